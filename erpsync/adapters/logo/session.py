"""The Logo adapter's REST transport: the token (password grant with ``firmno`` and the client as HTTP Basic, shared
by every process through ``erpsync.token_store`` and renewed once when Logo refuses it), errors mapped to the
contract's kinds, read retries, and ``queries?tsql=`` read page by page.

Errors: no answer to a write → ``OutcomeUnknownError``; 5xx, 408, 429 → ``RetryableError``; 401, or a ModelState
with a ``LoginError`` key whatever the status (versions differ) → a new token and the request once more (Logo
refused it before looking at it, so sending a write again is safe); 400/404/409 with ASP.NET's ``Message`` and
``ModelState`` → ``PermanentError`` naming Logo's messages.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

import requests

from erpsync.adapters.base import ErpError, PermanentError, RetryableError
from erpsync.adapters.http import retry_after
from erpsync.adapters.tokens import bearer_send, token_pair, token_post
from erpsync.token_store import TokenPair

logger = logging.getLogger(__name__)

LOGIN_ERROR = "LoginError"


def error_text(body: Any, fallback: str = "") -> str:
    """Logo's messages in an ASP.NET error body (``Message`` and every ``ModelState`` entry) or an OAuth one."""
    if not isinstance(body, dict):
        return fallback.strip()[:300]
    if body.get("error"):
        return f"{body['error']}: {body.get('error_description') or ''}".strip(": ")
    parts = []
    state = body.get("ModelState") or body.get("modelState") or {}
    if isinstance(state, dict):
        for key, messages in state.items():
            for message in messages if isinstance(messages, list) else [messages]:
                parts.append(f"{message} ({key})" if key and not str(key).startswith("body") else str(message))
    message = body.get("ExceptionMessage") or body.get("Message") or body.get("message") or ""
    if not parts:
        return str(message) or fallback.strip()[:300]
    return "; ".join(parts)


def login_refused(response: requests.Response) -> bool:
    if response.status_code == 401:
        return True
    if response.status_code >= 500 or response.status_code < 400:
        return False
    try:
        body = response.json()
    except ValueError:
        return False
    state = body.get("ModelState") if isinstance(body, dict) else None
    return isinstance(state, dict) and LOGIN_ERROR in state


def sql_text(value: str) -> str:
    """``value`` as a T-SQL string literal (quotes doubled): what the portal puts into a ``queries`` statement is
    always a literal, never SQL."""
    return "'" + str(value).replace("'", "''") + "'"


class LogoSession:
    """The transport half of ``LogoAdapter``: every request goes through ``_call``."""

    def _open_session(self) -> None:
        self._http = requests.Session()
        self._http.headers.update({"Accept": "application/json"})
        self._pair = TokenPair("", "", None, 0)
        self.requests_sent = 0

    def close(self) -> None:
        self._http.close()

    @property
    def token_key(self) -> str:
        return f"logo:{self.base_url}:{self.firm}:{self.rest['username']}"

    # -- the token --------------------------------------------------------------------------------------------------

    def _new_pair(self, current: TokenPair) -> tuple[str, str, int]:
        form = {
            "grant_type": "password",
            "username": self.rest["username"],
            "password": self.rest["password"],
            "firmno": str(self.firm),
        }
        self.requests_sent += 1
        return token_post(
            self._http,
            self.api_url + "token",
            who="Logo",
            timeout=self.timeout,
            lifetime=self.token_lifetime,
            refused=lambda body, text: (
                f"Logo refused to sign in as {self.rest['username']} to firm {self.firm} "
                f"({error_text(body, text)}): check the connection's client, user, password and firm."
            ),
            data=form,
            auth=(self.rest["client_id"], self.rest["client_secret"]),
        )

    def _token(self, *, stale: bool = False) -> str:
        self._pair = token_pair(self.token_key, self._pair, self._new_pair, stale=stale)
        return self._pair.access_token

    # -- requests ---------------------------------------------------------------------------------------------------

    def _send(self, method: str, url: str, *, body: Any, write: bool, token: str, where: str) -> requests.Response:
        self.requests_sent += 1
        return bearer_send(
            self._http, method, url, token=token, body=body, timeout=self.timeout, who="Logo", where=where, write=write
        )

    def _error(self, response: requests.Response) -> ErpError:
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = None
        text = f"Logo answered {status}: {error_text(body, response.text or response.reason or '')}".rstrip(": ")
        details = {"status": status}
        if status >= 500 or status in (408, 429):
            return RetryableError(text, retry_after=retry_after(response), code=str(status), details=details)
        state = (body or {}).get("ModelState") if isinstance(body, dict) else None
        code = next(iter(state), str(status)) if isinstance(state, dict) and state else str(status)
        return PermanentError(text, code=str(code), details=details)

    def _call(
        self, method: str, path: str, *, query: Mapping[str, Any] | None = None, body: Any = None, write: bool = False
    ) -> Any:
        """One request below ``api/v1/``; the decoded JSON answer (None for an empty one)."""
        url = self.api_url + path
        if query:
            url += "?" + urlencode({key: str(value) for key, value in query.items()})
        where = path.split("?", 1)[0]
        attempts = 0
        stale = False
        while True:
            attempts += 1
            response = self._send(method, url, body=body, write=write, token=self._token(stale=stale), where=where)
            stale = False
            if login_refused(response) and attempts == 1:
                stale = True
                continue
            if response.status_code >= 400:
                raise self._error(response)
            if not response.content:
                return None
            try:
                return response.json(parse_float=Decimal)
            except ValueError:
                raise RetryableError(f"Logo answered {response.status_code} with a body that is not JSON") from None

    def _read_call(self, path: str, query: Mapping[str, Any]) -> Any:
        """A read, tried again (``read_retries``) also when no answer came."""
        attempts = 0
        while True:
            attempts += 1
            try:
                return self._call("GET", path, query=query)
            except RetryableError as exc:
                if attempts > self.read_retries:
                    raise
                time.sleep(min(exc.retry_after or 0.2 * attempts, 10.0))

    def _rows(self, sql: str, limit: int | None = None) -> list[dict[str, Any]]:
        """The rows of one SELECT: ``queries?tsql=`` (with ``limit``), or ``ExecQuery`` over SOAP
        (``query_transport``; no limit there: it answers every row)."""
        if self.query_transport == "soap":
            attempts = 0
            while True:
                attempts += 1
                try:
                    return self.soap_query(sql)
                except RetryableError:
                    if attempts > self.read_retries:
                        raise
                    time.sleep(0.2 * attempts)
        answer = self._read_call("queries", {"tsql": sql, **({"limit": limit} if limit else {})})
        rows = (answer or {}).get("items") if isinstance(answer, dict) else answer
        return list(rows or [])

    def query(self, sql: str) -> list[dict[str, Any]]:
        """The rows of one SELECT."""
        return self._rows(sql)

    def keyset(self, sql: str, *, start: Any = 0) -> Iterator[dict[str, Any]]:
        """Every row of ``sql``, which selects a key column ``K``, orders by it and holds ``{after}`` in a
        ``K > {after}`` condition: read ``page_size`` rows at a time (``limit``) until a page comes back empty,
        whatever limit the server applies (or caps). Rows sharing a key (several warehouses of one item) are read
        whole: a page gives back the rows of its last key, which the next page reads again from its start; a full
        page of one key is read again with a larger limit. The first page is read at once, so an unreachable Logo
        fails the read rather than the feed."""

        def page(after: Any) -> list[dict[str, Any]]:
            limit = self.page_size
            while True:
                rows = self._rows(sql.format(after=after), limit)
                if len(rows) < limit or rows[0]["K"] != rows[-1]["K"]:
                    return rows
                limit *= 2

        first = page(start)

        def rows() -> Iterator[dict[str, Any]]:
            current = first
            while current:
                last = current[-1]["K"]
                if current[0]["K"] != last:  # the last key may go on past this page (whatever cut it)
                    current = [row for row in current if row["K"] != last]
                    last = current[-1]["K"]
                yield from current
                current = page(last)

        return rows()


__all__ = ["LogoSession", "error_text", "sql_text"]
