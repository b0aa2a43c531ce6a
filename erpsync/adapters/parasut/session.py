"""The Paraşüt adapter's transport: OAuth tokens (shared and renewed under a lock, ``erpsync.token_store``), the
company's rate budget (shared by every process, ``erpsync.rate_budget``), errors mapped to the contract's kinds,
429 backoff, read retries, and JSON:API documents and pages.

Tokens: a request uses the stored access token; a 401 (or a token about to expire) renews it once: with the
refresh token, whose successor is stored at once (it rotates), else (refresh refused) with the password grant;
when neither works the token row records why and the request fails as ``PermanentError`` until a person fixes the
credentials (sync health shows the reason).

Errors: no answer to a write → ``OutcomeUnknownError``; 429, 5xx, 408, 409 → ``RetryableError``; 400, 403, 404,
422 with JSON:API ``errors`` → ``PermanentError`` naming ``title``/``detail``.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode, urljoin

import requests

from erpsync.adapters.base import ErpError, PermanentError, RetryableError
from erpsync.adapters.http import retry_after, transport_error
from erpsync.adapters.tokens import token_pair
from erpsync.rate_budget import rate_budget_take
from erpsync.token_store import NeedsAuthorisation, TokenPair

logger = logging.getLogger(__name__)

OOB = "urn:ietf:wg:oauth:2.0:oob"
JSON_API = "application/vnd.api+json"
DEFAULT_THROTTLE_PAUSE = 10.0


@dataclass
class Document:
    """A JSON:API answer: ``data`` (one resource or a list), ``included`` by (type, id), ``meta``."""

    data: Any
    included: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def related(self, resource: Mapping[str, Any], name: str) -> list[dict[str, Any]]:
        """The included records ``resource``'s relationship ``name`` points at (one or many)."""
        link = ((resource.get("relationships") or {}).get(name) or {}).get("data")
        links = link if isinstance(link, list) else ([link] if link else [])
        return [
            self.included[(item["type"], item["id"])] for item in links if (item["type"], item["id"]) in self.included
        ]


def related_id(resource: Mapping[str, Any], name: str) -> str:
    """The id the relationship ``name`` points at (the first, for a to-many one); "" for none."""
    link = ((resource.get("relationships") or {}).get(name) or {}).get("data")
    if isinstance(link, list):
        link = link[0] if link else None
    return str(link["id"]) if isinstance(link, dict) and link.get("id") else ""


def _errors(response: requests.Response) -> str:
    """``title: detail`` of a JSON:API error body (or the text of any other body)."""
    try:
        body = response.json()
    except ValueError:
        return (response.text or response.reason or "").strip()[:200]
    if isinstance(body, dict) and isinstance(body.get("errors"), list):
        parts = []
        for error in body["errors"]:
            if isinstance(error, dict):
                title, detail = error.get("title") or "", error.get("detail") or ""
                parts.append(f"{title}: {detail}" if title and detail else title or detail)
        return "; ".join(part for part in parts if part)
    if isinstance(body, dict) and body.get("error"):
        return f"{body['error']}: {body.get('error_description') or ''}".strip(": ")
    return str(body)[:200]


class ParasutSession:
    """The transport half of ``ParasutAdapter``: every request goes through ``_call``."""

    def _open_session(self) -> None:
        self._http = requests.Session()
        self._http.headers.update({"Accept": JSON_API})
        self._pair = TokenPair("", "", None, 0)
        self.requests_sent = 0

    def close(self) -> None:
        self._http.close()

    @property
    def token_key(self) -> str:
        return f"parasut:{self.company_id}:{self.oauth['client_id']}:{self.oauth['username']}"

    @property
    def budget_key(self) -> str:
        """The rate limit is the company's: every connection and process calling it shares one budget."""
        return f"parasut:{self.company_id}"

    # -- tokens -----------------------------------------------------------------------------------------------------

    def _grant(self, form: dict[str, str]) -> requests.Response:
        self._take_budget()
        try:
            return self._http.post(self.token_url, data=form, timeout=self.timeout)
        except requests.RequestException as exc:
            raise transport_error(exc, who="Paraşüt", method="POST", where="oauth/token", write=False) from exc

    def _new_pair(self, current: TokenPair) -> tuple[str, str, int]:
        """A new pair from Paraşüt: the refresh grant when there is a refresh token, the password grant when that
        is refused or there is none. Called by ``token_renew`` with the token row locked."""
        client = {"client_id": self.oauth["client_id"], "client_secret": self.oauth["client_secret"]}
        refused = ""
        if current.refresh_token:
            answer = self._grant({"grant_type": "refresh_token", "refresh_token": current.refresh_token, **client})
            if answer.status_code == 200:
                return self._pair_of(answer)
            if answer.status_code >= 500 or answer.status_code == 429:
                raise RetryableError(f"Paraşüt could not renew the token now: {answer.status_code} {_errors(answer)}")
            refused = _errors(answer)
            logger.warning("Paraşüt refused the refresh token (%s); signing in again", refused)
        if not (self.oauth["username"] and self.oauth["password"]):
            raise NeedsAuthorisation(
                "Paraşüt refused the stored refresh token"
                + (f" ({refused})" if refused else "")
                + " and the connection has no username and password: a person must authorise the portal again."
            )
        form = {
            "grant_type": "password",
            "username": self.oauth["username"],
            "password": self.oauth["password"],
            "redirect_uri": OOB,
            **client,
        }
        answer = self._grant(form)
        if answer.status_code == 200:
            return self._pair_of(answer)
        if answer.status_code >= 500 or answer.status_code == 429:
            raise RetryableError(f"Paraşüt could not sign in now: {answer.status_code} {_errors(answer)}")
        raise NeedsAuthorisation(
            f"Paraşüt refused to sign in as {self.oauth['username']} ({_errors(answer)}): check the connection's "
            "client id, secret, username and password, then retry."
        )

    @staticmethod
    def _pair_of(answer: requests.Response) -> tuple[str, str, int]:
        body = answer.json()
        return body["access_token"], body.get("refresh_token") or "", int(body.get("expires_in") or 7200)

    def _token(self, *, stale: bool = False) -> str:
        """A usable access token: this process's, the stored one, or a renewed one (``stale``: the last one was
        refused)."""
        self._pair = token_pair(self.token_key, self._pair, self._new_pair, stale=stale)
        return self._pair.access_token

    # -- requests ---------------------------------------------------------------------------------------------------

    def _take_budget(self) -> None:
        try:
            waited = rate_budget_take(self.budget_key, limit=self.rate_limit, window=self.rate_window)
        except TimeoutError as exc:
            raise RetryableError(f"Paraşüt's rate budget is taken by other work: {exc}", retry_after=30) from exc
        if waited:
            logger.debug("Paraşüt rate budget: waited %.2f s", waited)
        self.requests_sent += 1

    def _send(self, method: str, url: str, *, body: Any, write: bool, token: str) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"}
        data = None
        if body is not None:
            data = json.dumps(body, ensure_ascii=False, default=_json_default).encode()
            headers["Content-Type"] = JSON_API
        self._take_budget()
        try:
            return self._http.request(method, url, data=data, headers=headers, timeout=self.timeout)
        except requests.RequestException as exc:
            raise transport_error(
                exc, who="Paraşüt", method=method, where=url.split("/v4/", 1)[-1], write=write
            ) from exc

    def _error(self, response: requests.Response) -> ErpError:
        status = response.status_code
        text = f"Paraşüt answered {status}: {_errors(response)}".rstrip(": ")
        details = {"status": status}
        if status == 429 or status >= 500 or status in (408, 409):
            return RetryableError(text, retry_after=retry_after(response), code=str(status), details=details)
        return PermanentError(text, code=str(status), details=details)

    def _call(
        self, method: str, path: str, *, query: Mapping[str, Any] | None = None, body: Any = None, write: bool = False
    ) -> Document | None:
        """One request below the company's root (``sales_invoices``), retried as the module says."""
        url = urljoin(self.api_url, path)
        if query:
            url += "?" + urlencode({key: str(value) for key, value in query.items()})
        attempts = throttled = 0
        stale = False
        while True:
            attempts += 1
            response = self._send(method, url, body=body, write=write, token=self._token(stale=stale))
            stale = False
            if response.status_code == 401 and attempts == 1:
                stale = True  # refused before the request was looked at: safe to send again with a new token
                continue
            if response.status_code == 429 and throttled < self.throttle_retries:
                # Nothing was applied: waiting and sending again is safe for writes too.
                throttled += 1
                pause = min(retry_after(response) or DEFAULT_THROTTLE_PAUSE, 60.0)
                logger.info("Paraşüt throttled %s %s; waiting %.1f s", method, path, pause)
                time.sleep(pause)
                continue
            if response.status_code >= 400:
                error = self._error(response)
                if not write and isinstance(error, RetryableError) and attempts <= self.read_retries + 1:
                    time.sleep(min(error.retry_after or 0.5 * attempts, 30.0))
                    continue
                raise error
            if response.status_code == 204 or not response.content:
                return None
            return self._document(response)

    def _document(self, response: requests.Response) -> Document:
        try:
            body = response.json(parse_float=Decimal)
        except ValueError:
            raise RetryableError(f"Paraşüt answered {response.status_code} with a body that is not JSON") from None
        included = {(item["type"], str(item["id"])): item for item in body.get("included") or []}
        return Document(body.get("data"), included, body.get("meta") or {})

    def _pages(self, path: str, query: Mapping[str, Any], *, page_size: bool = True) -> Iterator[tuple[Document, dict]]:
        """(page, resource) of a list, page after page (``page[number]``) until ``meta.total_pages``. The first page
        is fetched at once, so an unreachable Paraşüt fails the read rather than the feed."""
        params = {**query}
        if page_size:
            params["page[size]"] = self.page_size
        first = self._call("GET", path, query={**params, "page[number]": 1})

        def rows() -> Iterator[tuple[Document, dict]]:
            page, number = first, 1
            while True:
                for resource in page.data or []:
                    yield page, resource
                total = int(page.meta.get("total_pages") or 0)
                if number >= total or not page.data:
                    return
                number += 1
                page = self._call("GET", path, query={**params, "page[number]": number})

        return rows()


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")
