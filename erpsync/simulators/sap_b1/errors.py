"""The Service Layer's error answers: ``{"error": {"code", "message": {"lang", "value"}}}`` with the codes the
protocol notes document; ``BUSINESS_ERROR`` is the simulator's choice for validation refusals."""

from __future__ import annotations

from typing import Any

NOT_FOUND = -2028
DUPLICATE = -2035
ETAG_CONFLICT = -2039
INVALID_SESSION = 301
LOGIN_FAILED = 100000027
BUSINESS_ERROR = -10
BAD_REQUEST = -1000


class B1Error(Exception):
    """An error the Service Layer answers with ``{"error": {"code", "message": {"lang", "value"}}}``."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": {"lang": "en-us", "value": self.message}}}


def not_found() -> B1Error:
    return B1Error(404, NOT_FOUND, "No matching records found (ODBC -2028)")


def refuse(message: str) -> B1Error:
    return B1Error(400, BUSINESS_ERROR, message)
