"""The Service Layer's error answers with the codes the protocol notes document; ``BUSINESS_ERROR`` is the
simulator's choice for validation refusals.

v1 (``/b1s/v1/``): ``{"error": {"code": -2028, "message": {"lang": "en-us", "value": "…"}}}``.
v2 (``/b1s/v2/``), as recorded (operator-ita/b1sl-python, cassette test_bp_addresses_real): the code is text and the
message plain, ``{"error": {"code": "-2028", "details": [{"code": "", "message": ""}], "message": "…"}}``.
"""

from __future__ import annotations

from typing import Any

NOT_FOUND = -2028
DUPLICATE = -2035
ETAG_CONFLICT = -2039
INVALID_SESSION = 301
LOGIN_FAILED = 100000027
BUSINESS_ERROR = -10
BAD_REQUEST = -1000
# A refusal because another user or process holds the record, as a real Service Layer was seen answering it (the
# message's beginning is what matters: its end and the code vary by version and are UNCONFIRMED).
LOCKED_CODE = -2038
LOCKED_MESSAGE = "Another user or API is modifying the same record; try again later"


class B1Error(Exception):
    """An error the Service Layer answers with ``{"error": {"code", "message": {"lang", "value"}}}``."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self, version: int = 1) -> dict[str, Any]:
        if version == 2:
            return {
                "error": {"code": str(self.code), "details": [{"code": "", "message": ""}], "message": self.message}
            }
        return {"error": {"code": self.code, "message": {"lang": "en-us", "value": self.message}}}


def not_found() -> B1Error:
    return B1Error(404, NOT_FOUND, "No matching records found (ODBC -2028)")


def refuse(message: str) -> B1Error:
    return B1Error(400, BUSINESS_ERROR, message)
