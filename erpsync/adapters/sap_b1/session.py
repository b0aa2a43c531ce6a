"""The Service Layer session of the SAP Business One adapter (v1 or v2 alike: errors, paging links and login answers
are read in either form): login and logout, the ``B1SESSION``/``ROUTEID``
cookies, one re-login under a lock when a session times out, retries of reads, the cap on requests in flight, and
the request helpers (JSON, paging, OData literals).

One HTTP session per adapter; it logs in on first use and keeps the cookies. When the Service Layer answers 401
(code 301, the session timed out) it logs in again once, under a lock so parallel callers open one new session, and
replays the request.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import requests

from erpsync.adapters.base import ErpError, PermanentError, RetryableError
from erpsync.adapters.http import retry_after as _retry_after
from erpsync.adapters.http import text as _text
from erpsync.adapters.http import transport_error

logger = logging.getLogger(__name__)

INVALID_SESSION = 301
# Characters left as they are in query values; the rest (spaces, non-ASCII letters) is percent-encoded.
QUERY_SAFE = ",'()=:*$/"
# Entities fetched by key in one request: ``Key eq 1 or Key eq 2 …``, short enough for any URL limit.
KEYS_PER_REQUEST = 20


def quote_literal(value: str) -> str:
    """``value`` as an OData string literal: single quotes inside are doubled."""
    return "'" + value.replace("'", "''") + "'"


def _error_of(response: requests.Response) -> tuple[str, str]:
    """(code, message) from a Service Layer error body; v1 ``message.value`` and v2 plain ``message`` both work."""
    try:
        body = response.json()
    except ValueError:
        return "", (response.text or response.reason or "")[:200].strip()
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "", str(body)[:200]
    message = error.get("message")
    if isinstance(message, dict):
        message = message.get("value")
    return _text(error.get("code")), _text(message)


def _pause(exc: RetryableError, attempt: int) -> float:
    """How long a read waits before trying again: SAP's Retry-After (at most a minute), else 0.5 s doubling."""
    if exc.retry_after is not None:
        return min(exc.retry_after, 60.0)
    return min(0.5 * 2 ** (attempt - 1), 8.0)


def json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class SapB1Session:
    """The transport half of ``SapB1Adapter``: every request to the Service Layer goes through ``_call``."""

    def _open_session(self) -> None:
        """Set up the HTTP session (no request yet: the first call logs in)."""
        self._in_flight = threading.BoundedSemaphore(self.concurrency)
        self._http = requests.Session()
        self._http.headers.update({"Accept": "application/json"})
        self._lock = threading.Lock()
        self._generation = 0  # bumped on every login; a 401 re-logs in only if no one else did meanwhile
        self._logged_in = False
        self.version = ""

    def _login(self) -> None:
        """Open a new session (the caller holds the lock). The cookies land in the HTTP session's jar."""
        body = {"CompanyDB": self.company_db, "UserName": self.username, "Password": self.password}
        response = self._send("POST", self.base_url + "Login", body=body, write=False)
        if response.status_code != 200:
            code, message = _error_of(response)
            if response.status_code in (401, 403) or (response.status_code == 400 and code):
                raise PermanentError(f"SAP B1 login failed: {message or response.status_code}", code=code)
            raise self._error(response, write=False)
        data = response.json()
        self.version = _text(data.get("Version"))
        self._generation += 1
        self._logged_in = True

    def _session(self) -> int:
        """The current session's generation, logging in first when there is none."""
        with self._lock:
            if not self._logged_in:
                self._login()
            return self._generation

    def _relogin(self, failed_generation: int) -> None:
        with self._lock:
            if self._generation == failed_generation:
                logger.info("SAP B1 session expired; logging in again")
                self._http.cookies.clear()
                self._logged_in = False
                self._login()

    def close(self) -> None:
        with self._lock:
            if self._logged_in:
                self._logged_in = False
                try:
                    self._http.post(self.base_url + "Logout", timeout=self.timeout, verify=self.verify_tls)
                except requests.RequestException as exc:
                    logger.info("SAP B1 logout failed: %s", exc)
            self._http.close()

    def _send(
        self,
        method: str,
        url: str,
        *,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        write: bool,
    ) -> requests.Response:
        """One HTTP exchange; transport failures become the contract's errors."""
        data = None
        all_headers = dict(headers or {})
        if body is not None:
            data = json.dumps(body, default=json_default, ensure_ascii=False).encode()
            all_headers["Content-Type"] = "application/json"
        try:
            return self._http.request(
                method, url, data=data, headers=all_headers, timeout=self.timeout, verify=self.verify_tls
            )
        except requests.RequestException as exc:
            where = urlsplit(url).path.rsplit(f"/b1s/v{self.api_version}/", 1)[-1]
            raise transport_error(exc, who="SAP B1", method=method, where=where, write=write) from exc

    def _error(self, response: requests.Response, *, write: bool) -> ErpError:
        status = response.status_code
        code, message = _error_of(response)
        text = f"SAP B1 answered {status}" + (f" ({code})" if code else "") + (f": {message}" if message else "")
        details = {"status": status}
        if status >= 500 or status in (408, 409, 412, 423, 429):
            return RetryableError(text, retry_after=_retry_after(response), code=code, details=details)
        if self._busy(code, message):
            # Locked or being changed by someone else (``retryable_errors``): another try later will do.
            return RetryableError(text, code=code, details={**details, "busy": True})
        if status == 401:
            return RetryableError(text, code=code, details=details)
        return PermanentError(text, code=code, details=details)

    def _busy(self, code: str, message: str) -> bool:
        """Whether SAP's answer says the record is busy (``retryable_errors``: codes, or pieces of the message)."""
        if code and code in self.retryable_codes:
            return True
        folded = message.casefold()
        return any(piece in folded for piece in self.retryable_messages)

    def _call(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        write: bool = False,
    ) -> requests.Response:
        """A request with the session, errors mapped, and reads tried again (``read_retries``) while SAP is busy
        or down. ``path`` is relative to the base URL (a nextLink fits as it is)."""
        url = urljoin(self.base_url, path)
        if query:
            url += ("&" if "?" in url else "?") + "&".join(f"{k}={quote(v, safe=QUERY_SAFE)}" for k, v in query.items())
        attempt = 0
        while True:
            attempt += 1
            try:
                return self._exchange(method, url, body=body, headers=headers, write=write)
            except RetryableError as exc:
                if write or attempt > self.read_retries:
                    raise
                pause = _pause(exc, attempt)
                logger.info("SAP B1 %s %s failed (%s); trying again in %.1f s", method, path, exc.message, pause)
                time.sleep(pause)

    def _exchange(
        self, method: str, url: str, *, body: Any, headers: Mapping[str, str] | None, write: bool
    ) -> requests.Response:
        """One request, re-logging in once when SAP says the session expired."""
        for attempt in (1, 2):
            generation = self._session()
            with self._in_flight:
                response = self._send(method, url, body=body, headers=headers, write=write)
            if response.status_code == 401 and attempt == 1:
                code, _ = _error_of(response)
                if code in ("", str(INVALID_SESSION)):
                    # The Service Layer refused the session before it looked at the request: safe to replay.
                    self._relogin(generation)
                    continue
            if response.status_code >= 400:
                raise self._error(response, write=write)
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def _json(self, response: requests.Response) -> Any:
        try:
            return response.json(parse_float=Decimal)
        except ValueError:
            raise RetryableError(f"SAP B1 answered {response.status_code} with a body that is not JSON") from None

    def _pages(self, first: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """Rows of a collection, page after page from ``first`` on, following ``odata.nextLink``."""
        page = first
        while True:
            yield from page.get("value") or []
            next_link = page.get("odata.nextLink") or page.get("@odata.nextLink")
            if not next_link:
                return
            page = self._json(self._call("GET", next_link, headers=self._page_headers()))

    def _page_headers(self) -> dict[str, str]:
        return {"Prefer": f"odata.maxpagesize={self.page_size}"}

    def _collection(self, path: str, query: Mapping[str, str]) -> Iterator[dict[str, Any]]:
        """Fetch the first page now (so an unreachable ERP fails the read, not the feed) and stream the rest."""
        first = self._json(self._call("GET", path, query=query, headers=self._page_headers()))
        return self._pages(first)
