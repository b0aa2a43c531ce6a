"""Nebim V3 Integrator's transport: ``Connect`` (token or cookieless session), ``GetUserInfo``, ``Post``,
``RunQuery``/``RunProc`` and ``Disconnect`` under ``/IntegratorService/`` (see docs/erp-protocols §11).

Errors: Nebim answers a refused call with a JSON body carrying ``ExceptionMessage`` (and ``StatusCode``), possibly
with HTTP 200; a ``StatusCode`` or HTTP status of 401/403, or a message about the session, means the session ended:
one new Connect and the call again (nothing was applied). 5xx and no answer: retryable for a read; for a ``Post``
the outcome is unknown unless the connection was never made (the exporter looks the reference up before it tries
again). Any other ``ExceptionMessage``: the content was refused for good.
"""

from __future__ import annotations

import contextlib
import json
from decimal import Decimal
from typing import Any

import requests

from erpsync.adapters.base import OutcomeUnknownError, PermanentError, RetryableError
from erpsync.adapters.http import transport_error

WHO = "Nebim V3 Integrator"
SESSION_TEXTS = ("session", "oturum", "token")


class SessionEnded(Exception):
    pass


class NebimClient:
    """One Integrator session, opened on first use."""

    def __init__(
        self,
        *,
        base_url: str,
        mode: str,
        placement: str,
        database: str,
        user_group: str,
        user: str,
        password: str,
        timeout: float,
        page_size: int,
    ):
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.mode, self.placement = mode, placement
        self.login = {
            "ModelType": 1,
            "DatabaseName": database,
            "UserGroupCode": user_group,
            "UserName": user,
            "Password": password,
        }
        self.timeout, self.page_size = timeout, page_size
        self.http = requests.Session()
        self.token = ""
        self.session_id = ""

    # --- session ---
    def _url(self, command: str) -> str:
        prefix = f"(S({self.session_id}))/" if self.session_id else ""
        url = f"{self.base_url}{prefix}IntegratorService/{command}"
        if self.token and self.placement == "path":
            url += f"/{self.token}"
        return url

    def _headers(self) -> dict[str, str]:
        return {"Token": self.token} if self.token and self.placement == "header" else {}

    def connect(self) -> dict[str, Any]:
        """Connect, then GetUserInfo: in session mode Connect says yes to any password, so only GetUserInfo tells."""
        self.token = self.session_id = ""
        try:
            answer = self._send("POST", "Connect", self.login, write=False, connecting=True)
        except SessionEnded as exc:
            raise PermanentError(f"{WHO}: the user name or password was refused (Connect: {exc}).") from None
        if self.mode == "token":
            self.token = str(answer.get("Token") or "")
            if not self.token:
                raise PermanentError(f"{WHO}: Connect gave no Token; is the service in session mode?")
        else:
            self.session_id = str(answer.get("SessionID") or "")
            if not self.session_id:
                raise PermanentError(f"{WHO}: Connect gave no SessionID; is the service in token mode?")
        try:
            info = self._send("GET", "GetUserInfo", None, write=False, connecting=True)
        except SessionEnded:
            self.token = self.session_id = ""
            raise PermanentError(f"{WHO}: the user name or password was refused (GetUserInfo).") from None
        if not isinstance(info, dict) or not info.get("UserName"):
            self.token = self.session_id = ""
            raise PermanentError(f"{WHO}: the user name or password was refused (GetUserInfo gave no user).")
        return info

    def disconnect(self) -> None:
        if self.token or self.session_id:
            with contextlib.suppress(requests.RequestException):
                self.http.get(self._url("Disconnect"), headers=self._headers(), timeout=min(self.timeout, 5))
        self.token = self.session_id = ""
        self.http.close()

    # --- calls ---
    def call(self, command: str, body: Any, *, write: bool) -> Any:
        if not (self.token or self.session_id):
            self.connect()
        try:
            return self._send("POST", command, body, write=write)
        except SessionEnded:
            self.connect()
            try:
                return self._send("POST", command, body, write=write)
            except SessionEnded:
                raise RetryableError(f"{WHO}: the session ended again right after Connect") from None

    def post(self, model: dict[str, Any]) -> dict[str, Any]:
        answer = self.call("Post", model, write=True)
        if not isinstance(answer, dict):
            raise OutcomeUnknownError(f"{WHO}: Post answered {type(answer).__name__}, not the saved model")
        return answer

    def run_proc(self, name: str, parameters: dict[str, str]) -> list[dict[str, Any]]:
        body = {
            "ModelType": 33,
            "ProcName": name,
            "Parameters": [{"Name": k, "Value": v} for k, v in parameters.items()],
        }
        return _rows(self.call("RunProc", body, write=False), name)

    def run_query(self, name: str, criteria: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        while True:
            body = {"ModelType": 32, "QueryName": name, "Criteria": criteria, "Skip": len(rows), "Take": self.page_size}
            page = _rows(self.call("RunQuery", body, write=False), name)
            rows.extend(page)
            if len(page) < self.page_size:
                return rows

    def _send(self, method: str, command: str, body: Any, *, write: bool, connecting: bool = False) -> Any:
        url = self._url(command)
        try:
            response = self.http.request(
                method,
                url,
                data=None if body is None else json.dumps(body, default=_json_default),
                headers={"Content-Type": "application/json", **self._headers()},
                timeout=self.timeout,
            )
        except requests.RequestException as exc:
            raise transport_error(exc, who=WHO, method=method, where=command, write=write) from None
        try:
            answer = json.loads(response.text, parse_float=Decimal) if response.text.strip() else None
        except ValueError:
            answer = None
        status = response.status_code
        code = answer.get("StatusCode") if isinstance(answer, dict) else None
        message = (
            str(answer.get("ExceptionMessage") or answer.get("Exception") or "") if isinstance(answer, dict) else ""
        )
        error_code = code if isinstance(code, int) and code >= 400 else status if status >= 400 else None
        if error_code is None and not message:
            if answer is None:
                if write:
                    raise OutcomeUnknownError(f"{WHO}: {command} answered HTTP {status} without a body")
                raise RetryableError(f"{WHO}: {command} answered HTTP {status} without a body")
            return answer
        if error_code in (401, 403) or (not connecting and any(t in message.lower() for t in SESSION_TEXTS)):
            raise SessionEnded(message)
        if (error_code is not None and error_code >= 500) or status >= 500:
            text = f"{WHO}: {command} failed with {error_code}: {message or response.reason}"
            if write and error_code != 503:
                raise OutcomeUnknownError(text)
            raise RetryableError(text)
        raise PermanentError(f"{WHO}: {command} refused: {message or response.reason}", code=str(error_code or ""))


def _rows(answer: Any, name: str) -> list[dict[str, Any]]:
    if isinstance(answer, dict) and isinstance(answer.get("rows"), list):
        answer = answer["rows"]
    if not isinstance(answer, list) or not all(isinstance(row, dict) for row in answer):
        raise RetryableError(f"{WHO}: {name} answered {type(answer).__name__}, not a list of rows")
    return answer


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return str(value)
