"""The Tryton adapter's transport: the REST API over HTTP(S), Tryton's JSON encoding, the user's context and
company, paged searches and workflow buttons.

Credentials: ``key``, the key of a validated ``res.user.application`` (application "REST API") of the Tryton user
the portal acts as. The user's company and preferences come from Tryton (``res.user/get_preferences``) and travel
in every request's ``X-Tryton-Context`` header.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import requests

from erpsync.adapters.base import ErpError, PermanentError, RetryableError
from erpsync.adapters.http import retry_after as _retry_after
from erpsync.adapters.http import text as _text
from erpsync.adapters.http import transport_error
from erpsync.adapters.tryton.mapping import nested

# Context keys of the user's preferences that Tryton's own clients send back with every call.
CONTEXT_KEYS = ("company", "companies", "company_filter", "employee", "employees", "language")


# --- Tryton's JSON ---------------------------------------------------------------------------------------------
# Decimals, dates, datetimes, timedeltas and bytes travel as {"__class__": ..., ...} objects; datetimes are UTC
# without a zone, timedeltas in seconds, bytes in base64.


def json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return {"__class__": "Decimal", "decimal": str(value)}
    if isinstance(value, datetime):
        value = value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
        return {
            "__class__": "datetime",
            "year": value.year,
            "month": value.month,
            "day": value.day,
            "hour": value.hour,
            "minute": value.minute,
            "second": value.second,
            "microsecond": value.microsecond,
        }
    if isinstance(value, date):
        return {"__class__": "date", "year": value.year, "month": value.month, "day": value.day}
    if isinstance(value, timedelta):
        return {"__class__": "timedelta", "seconds": value.total_seconds()}
    if isinstance(value, bytes | bytearray):
        return {"__class__": "bytes", "base64": base64.b64encode(value).decode()}
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def object_hook(value: dict[str, Any]) -> Any:
    kind = value.get("__class__")
    if kind == "Decimal":
        return Decimal(value["decimal"])
    if kind == "datetime":
        return datetime(
            value["year"],
            value["month"],
            value["day"],
            value.get("hour", 0),
            value.get("minute", 0),
            value.get("second", 0),
            value.get("microsecond", 0),
            tzinfo=UTC,
        )
    if kind == "date":
        return date(value["year"], value["month"], value["day"])
    if kind == "timedelta":
        return timedelta(seconds=value["seconds"])
    if kind == "bytes":  # Binary fields (an attachment's data)
        return base64.b64decode(value["base64"])
    return value


def dumps(value: Any) -> str:
    return json.dumps(value, default=json_default, ensure_ascii=False, separators=(",", ":"))


def encode_param(value: Any) -> str:
    """A domain, order or context as Tryton's REST API takes it: URL-safe base64 of its JSON."""
    return base64.urlsafe_b64encode(dumps(value).encode()).decode()


def fields_param(*fields: str) -> list[tuple[str, str]]:
    return [("f", name) for name in fields]


def error_message(response: requests.Response) -> str:
    """Tryton's own words: a user error's ``message`` (and ``description``), else the text of the HTML error page."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("message"):
        description = _text(body.get("description")).strip()
        return _text(body["message"]).strip() + (f" ({description})" if description else "")
    text = response.text or response.reason or ""
    if "<p>" in text:  # werkzeug's error page: the message is the paragraph
        text = text.split("<p>", 1)[1].split("</p>", 1)[0]
    return " ".join(text.replace("&#39;", "'").replace("&quot;", '"').split())[:300]


class TrytonSession:
    """The transport half of ``TrytonAdapter``: every request goes through ``_call`` (or ``search``/``button``)."""

    def _open_session(self) -> None:
        """Set up the HTTP session with the application key; the user's context is asked on first use."""
        self._http = requests.Session()
        self._http.headers.update({"Accept": "application/json", "Authorization": f"Bearer {self.api_key}"})
        self._lock = threading.Lock()
        self._context: dict[str, Any] | None = None
        self._company: dict[str, Any] | None = None

    def close(self) -> None:
        self._http.close()

    def _send(self, method: str, path: str, *, params=None, body: Any = None, context=None, write: bool):
        """One HTTP exchange; transport failures become the contract's errors."""
        headers = {}
        data = None
        if body is not None:
            data = dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if context is not None:
            headers["X-Tryton-Context"] = encode_param(context)
        try:
            return self._http.request(
                method,
                self.rest_url + path,
                params=params,
                data=data,
                headers=headers,
                timeout=self.timeout,
                verify=self.verify_tls,
            )
        except requests.RequestException as exc:
            where = path.split("?", 1)[0]
            raise transport_error(exc, who="Tryton", method=method, where=where, write=write) from exc

    def error_for(self, response: requests.Response) -> ErpError:
        """The contract's error for a Tryton answer that is not a success."""
        status = response.status_code
        message = error_message(response)
        text = f"Tryton answered {status}" + (f": {message}" if message else "")
        details = {"status": status}
        if status == 429 or status >= 500 or status in (408, 423):
            # 423: a record locked by a concurrent transaction; 503: the database was busy.
            return RetryableError(text, retry_after=_retry_after(response), code=str(status), details=details)
        if status == 401:
            return PermanentError(
                f"Tryton refused the application key ({status}): is the REST user application validated?",
                code=str(status),
                details=details,
            )
        # 400 (Tryton's user and validation errors), 403 (access), 404 (database or record), 409 (a warning that
        # needs a person to confirm it): the same request fails again until someone changes the data or the rights.
        return PermanentError(text, code=str(status), details=details)

    def _call(self, method: str, path: str, *, params=None, body: Any = None, write: bool = False, context=None):
        """A request in the user's context (plus ``context``), errors mapped; the decoded JSON answer."""
        full_context = {**self.context(), **(context or {})}
        response = self._send(method, path, params=params, body=body, context=full_context, write=write)
        return self._decode(response)

    def _decode(self, response: requests.Response) -> Any:
        if response.status_code >= 400:
            raise self.error_for(response)
        if response.status_code == 204 or not response.content:
            return None
        try:
            return json.loads(response.content, object_hook=object_hook, parse_float=Decimal)
        except ValueError:
            raise RetryableError(f"Tryton answered {response.status_code} with a body that is not JSON") from None

    def context(self) -> dict[str, Any]:
        """The user's context (company, language…), asked once per adapter."""
        with self._lock:
            if self._context is None:
                response = self._send(
                    "POST", "model/res.user/get_preferences", body={"context_only": True}, write=False
                )
                preferences = self._decode(response) or {}
                self._context = {key: preferences[key] for key in CONTEXT_KEYS if key in preferences}
            return self._context

    def company(self) -> dict[str, Any]:
        """The user's current company: its id, party id and currency code."""
        if self._company is None:
            company_id = self.context().get("company")
            if not company_id:
                raise PermanentError("The Tryton user of the application key has no current company.")
            row = self._call(
                "GET", f"model/company.company/{int(company_id)}", params=fields_param("party", "currency.code")
            )
            self._company = {"id": row["id"], "party": row.get("party"), "currency": nested(row, "currency", "code")}
        return self._company

    def search(
        self,
        model: str,
        domain: list,
        fields: Iterable[str],
        *,
        context: Mapping[str, Any] | None = None,
        eager: bool = True,
    ) -> Iterator[dict[str, Any]]:
        """Every record of ``model`` matching ``domain``, page after page by id (new records cannot shift a page).
        The first page is fetched now, so an unreachable server fails the call rather than the feed."""
        field_params = [("f", name) for name in fields]
        order = encode_param([["id", "ASC"]])

        def page(after: int) -> list[dict[str, Any]]:
            params = [
                ("d", encode_param([domain, ["id", ">", after]])),
                ("o", order),
                ("s", str(self.page_size)),
                *field_params,
            ]
            return self._call("GET", f"model/{model}", params=params, context=context) or []

        first = page(0)

        def rows() -> Iterator[dict[str, Any]]:
            batch = first
            while True:
                yield from batch
                if len(batch) < self.page_size:
                    return
                batch = page(batch[-1]["id"])

        return rows()

    def button(self, model: str, record_id: int, action: str) -> Any:
        return self._call("POST", f"model/{model}/{int(record_id)}/{action}", body={}, write=True)
