"""The Netsis adapter's transport: the token (``POST api/v2/token``, form-encoded with branch, user and company
database, shared by every process through ``erpsync.token_store`` and renewed once when NetOpenX refuses it), the
``TResult`` envelope, errors mapped to the contract's kinds, read retries, SelectFilter lists page by page and
explicit transactions.

Errors: no answer to a write → ``OutcomeUnknownError`` (inside a transaction the adapter rolls it back first: once
``RoolBackTransaction`` answered, nothing was applied and the error is retryable); 5xx, 408, 429 → ``RetryableError``;
401 → a new token and the request once more (not for a request sent with a token it was given: ``TokenRefused``,
the caller renews); HTTP 200 with ``IsSuccessful: false`` → ``PermanentError`` carrying
``ErrorCode``, or ``RetryableError`` when the code is one of ``retryable_codes``. ``ErrorDesc`` and
``ErrorDescription`` are both read.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlencode

import requests
from requests.adapters import HTTPAdapter

from erpsync.adapters.base import ErpError, OutcomeUnknownError, PermanentError, RetryableError
from erpsync.adapters.http import retry_after
from erpsync.adapters.tokens import bearer_send, token_pair, token_post
from erpsync.token_store import TokenPair

logger = logging.getLogger(__name__)

# One REST client numbers JTFaturaTip from 0; sent only when ``type_format`` is "number".
TYPE_NUMBERS = {
    "ftSFat": 0,
    "ftAFat": 1,
    "ftSIrs": 2,
    "ftAIrs": 3,
    "ftDepo": 4,
    "ftLokalDepo": 5,
    "ftASip": 6,
    "ftSSip": 7,
    "ftAmbarG": 8,
    "ftAmbarC": 9,
    "ftAlTalep": 10,
    "ftAlTeklif": 11,
    "ftSatTalep": 12,
    "ftSatTeklif": 13,
}


def literal(value: Any) -> str:
    """``value`` as a string literal of a ``q`` WHERE fragment (quotes doubled): what the portal puts into ``q`` is
    always a literal, never SQL."""
    return "'" + str(value).replace("'", "''") + "'"


def composite_id(tip: str, number: str, customer: str) -> str:
    """A slip's id for GET and DELETE, ``FaturaTip;FATIRS_NO;CARI_KOD``, each part URL-escaped."""
    return ";".join(quote(str(part), safe="") for part in (tip, number, customer))


class TokenRefused(RetryableError):
    """Netsis answered 401 to a request sent with a token the caller gave (``_read(token=…)``, from a worker thread
    that must not renew it): the caller renews the token and sends the request again."""


def error_text(body: Any, fallback: str = "") -> str:
    if isinstance(body, dict):
        if body.get("error"):
            return f"{body['error']}: {body.get('error_description') or ''}".strip(": ")
        for key in ("ErrorDesc", "ErrorDescription", "Message", "message"):
            if body.get(key):
                return str(body[key])
    return fallback.strip()[:300]


class NetsisSession:
    """The transport half of ``NetsisAdapter``: every request goes through ``_call``."""

    def _open_session(self) -> None:
        self._http = requests.Session()
        self._http.headers.update({"Accept": "application/json"})
        # Enough kept connections for every live stock request in flight (``live_stock_concurrency``, at most 16).
        for scheme in ("http://", "https://"):
            self._http.mount(scheme, HTTPAdapter(pool_maxsize=16))
        self._pair = TokenPair("", "", None, 0)
        self.requests_sent = 0
        self._counting = threading.Lock()  # live stock sends from several threads

    def close(self) -> None:
        self._http.close()

    @property
    def token_key(self) -> str:
        return f"netsis:{self.base_url}:{self.db_name}:{self.branch_code}:{self.login['username']}"

    def type_value(self, tip: str) -> Any:
        return TYPE_NUMBERS[tip] if self.type_format == "number" else tip

    # -- the token --------------------------------------------------------------------------------------------------

    def _new_pair(self, current: TokenPair) -> tuple[str, str, int]:
        form = {
            "grant_type": "password",
            "branchcode": str(self.branch_code),
            "username": self.login["username"],
            "password": self.login["password"],
            "dbname": self.db_name,
            "dbuser": self.login["db_user"],
            "dbpassword": self.login["db_password"],
            "dbtype": self.db_type,
        }
        with self._counting:
            self.requests_sent += 1
        return token_post(
            self._http,
            self.api_url + "token",
            who="Netsis",
            timeout=self.timeout,
            lifetime=self.token_lifetime,
            refused=lambda body, text: (
                f"Netsis refused to sign in as {self.login['username']} to {self.db_name}, branch {self.branch_code} "
                f"({error_text(body, text)}): check the connection's user, passwords, database and branch."
            ),
            data=form,
        )

    def _token(self, *, stale: bool = False) -> str:
        self._pair = token_pair(self.token_key, self._pair, self._new_pair, stale=stale)
        return self._pair.access_token

    # -- requests ---------------------------------------------------------------------------------------------------

    def _send(self, method: str, url: str, *, body: Any, write: bool, token: str, where: str) -> requests.Response:
        with self._counting:
            self.requests_sent += 1
        return bearer_send(
            self._http,
            method,
            url,
            token=token,
            body=body,
            timeout=self.timeout,
            who="Netsis",
            where=where,
            write=write,
        )

    def _http_error(self, response: requests.Response) -> ErpError:
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = None
        text = f"Netsis answered {status}: {error_text(body, response.text or response.reason or '')}".rstrip(": ")
        if status >= 500 or status in (408, 429):
            return RetryableError(text, retry_after=retry_after(response), code=str(status), details={"status": status})
        return PermanentError(text, code=str(status), details={"status": status})

    def _business_error(self, body: dict[str, Any], where: str) -> ErpError:
        code = str(body.get("ErrorCode") or "")
        text = f"Netsis refused {where}: {error_text(body, 'no reason given')}" + (f" ({code})" if code else "")
        if code in self.retryable_codes:
            return RetryableError(text, code=code)
        return PermanentError(text, code=code or "refused")

    def _call(
        self, method: str, path: str, *, query: Mapping[str, Any] | None = None, body: Any = None, write: bool = False
    ) -> Any:
        """One request below ``api/v2/``; the envelope's ``Data`` (the whole envelope for lists: ``envelope``)."""
        return self._envelope(method, path, query=query, body=body, write=write).get("Data")

    def _envelope(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        write: bool = False,
        token: str | None = None,
    ) -> dict[str, Any]:
        """One request and its ``TResult``. With ``token`` the request is sent with it and never renews it (a refusal
        is ``TokenRefused``): nothing here touches the token store, so it may run outside Django's threads."""
        url = self.api_url + path
        if query:
            url += "?" + urlencode({key: str(value) for key, value in query.items()})
        where = path.split("?", 1)[0]
        attempts = 0
        stale = False
        while True:
            attempts += 1
            sent_with = token if token is not None else self._token(stale=stale)
            response = self._send(method, url, body=body, write=write, token=sent_with, where=where)
            stale = False
            if response.status_code == 401 and token is not None:
                raise TokenRefused(f"Netsis refused the token for {where}", code="401")
            if response.status_code == 401 and attempts == 1:
                stale = True  # refused before it was looked at: sending it again is safe
                continue
            if response.status_code >= 400:
                raise self._http_error(response)
            try:
                answer = response.json(parse_float=Decimal)
            except ValueError:
                raise RetryableError(f"Netsis answered {response.status_code} with a body that is not JSON") from None
            if not isinstance(answer, dict) or "IsSuccessful" not in answer:
                raise RetryableError(f"Netsis answered {where} without a TResult envelope")
            if not answer["IsSuccessful"]:
                raise self._business_error(answer, f"{method} {where}")
            return answer

    def _read(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        body: Any = None,
        token: str | None = None,
    ) -> Any:
        """A read (GET, or a POST that changes nothing), tried again (``read_retries``) also when no answer came.
        ``token``: as ``_envelope`` (a refused token is not tried again here)."""
        attempts = 0
        while True:
            attempts += 1
            try:
                return self._envelope(method, path, query=query, body=body, token=token)
            except TokenRefused:
                raise
            except RetryableError as exc:
                if attempts > self.read_retries:
                    raise
                time.sleep(min(exc.retry_after or 0.2 * attempts, 10.0))

    def select(
        self, resource: str, q: str = "", *, sort: str = "", fields: str = "", extra: Mapping[str, Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """Every row of a SelectFilter list, ``page_size`` at a time (``offset``/``limit``) until a short page. The
        first page is read at once, so an unreachable Netsis fails the read rather than the feed."""
        params = {**(extra or {}), **({"q": q} if q else {}), **({"sort": sort} if sort else {})}
        if fields:
            params["fields"] = fields

        def page(offset: int) -> list[dict[str, Any]]:
            data = self._read("GET", resource, query={**params, "offset": offset, "limit": self.page_size})["Data"]
            return list(data.get("Items") or data.get("Data") or []) if isinstance(data, dict) else list(data or [])

        first = page(0)

        def rows() -> Iterator[dict[str, Any]]:
            current, offset = first, 0
            while True:
                yield from current
                if len(current) < self.page_size:
                    return
                offset += len(current)
                current = page(offset)

        return rows()

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """``Operations/BeginTransaction`` … ``CommitTransaction``; rolled back (``RoolBackTransaction``) when the
        body raises. A write whose answer was lost is certainly not applied once the rollback answered, so its
        ``OutcomeUnknownError`` becomes retryable; a lost answer to the commit stays outcome unknown."""
        if not self.use_transactions:
            yield
            return
        self._call("POST", "Operations/BeginTransaction", write=True)
        try:
            yield
        except BaseException as exc:
            try:
                self._call("POST", "Operations/RoolBackTransaction", write=True)
            except ErpError:
                logger.warning("Netsis did not confirm the rollback after %s", type(exc).__name__)
                raise exc from None
            if isinstance(exc, OutcomeUnknownError):
                raise RetryableError(f"{exc} (rolled back: nothing was applied)") from exc
            raise
        self._call("POST", "Operations/CommitTransaction", write=True)


__all__ = ["TYPE_NUMBERS", "NetsisSession", "TokenRefused", "composite_id", "error_text", "literal"]
