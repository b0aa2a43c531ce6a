"""The errors an RFC client sees, shaped like pyrfc's (``pyrfc._exception``), and the message rows BAPIs answer
with (``BAPIRET2`` and the older ``BAPIRETURN``).

pyrfc raises ``CommunicationError`` (SDK group 1) when the connection breaks, ``LogonError`` (2), ``ABAPRuntimeError``
(3, 4), ``ABAPApplicationError`` (5: an exception the function module raised, e.g. ``DATA_BUFFER_EXCEEDED`` of
``RFC_READ_TABLE``) and ``ExternalRuntimeError`` (``RFC_CANCELED``, code 7, when a call outlives its timeout). Each
carries ``code``, ``key`` and ``message``. [PyRFC-exc] [PyRFC-errtable] [PyRFC-timeout]
"""

from __future__ import annotations

from typing import Any


class RFCError(Exception):
    """Base of the simulated client's errors."""


class RFCLibError(RFCError):
    def __init__(self, message: str, code: int = 0, key: str = "", msg_class: str = "", msg_number: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.key = key
        self.msg_class = msg_class
        self.msg_number = msg_number


class CommunicationError(RFCLibError):
    """The connection broke (RFC_COMMUNICATION_FAILURE, code 1): whatever the session had not committed is gone."""

    def __init__(self, message: str = "connection to partner broken") -> None:
        super().__init__(message, code=1, key="RFC_COMMUNICATION_FAILURE")


class LogonError(RFCLibError):
    def __init__(self, message: str = "Name or password is incorrect (repeat logon)") -> None:
        super().__init__(message, code=2, key="RFC_LOGON_FAILURE")


class ABAPApplicationError(RFCLibError):
    """An exception the function module raised (RFC_ABAP_EXCEPTION, code 5); ``key`` is its name."""

    def __init__(self, key: str, message: str = "") -> None:
        super().__init__(message or key, code=5, key=key)


class ABAPRuntimeError(RFCLibError):
    def __init__(self, message: str, key: str = "RFC_ABAP_RUNTIME_FAILURE") -> None:
        super().__init__(message, code=3, key=key)


class ExternalRuntimeError(RFCLibError):
    """A call cancelled because it outlived its timeout (``RFC_CANCELED``, code 7)."""

    def __init__(self, message: str = "Connection was canceled", code: int = 7, key: str = "RFC_CANCELED") -> None:
        super().__init__(message, code=code, key=key)


def bapiret2(kind: str, msg_class: str, number: str, message: str, *variables: str, **extra: Any) -> dict[str, Any]:
    """One ``BAPIRET2`` row (TYPE, ID, NUMBER, MESSAGE, LOG_NO, LOG_MSG_NO, MESSAGE_V1..V4, PARAMETER, ROW, FIELD,
    SYSTEM). [FT-create]"""
    values = [*variables, "", "", "", ""][:4]
    row = {
        "TYPE": kind,
        "ID": msg_class,
        "NUMBER": number,
        "MESSAGE": message[:220],
        "LOG_NO": "",
        "LOG_MSG_NO": "000000",
        "MESSAGE_V1": values[0],
        "MESSAGE_V2": values[1],
        "MESSAGE_V3": values[2],
        "MESSAGE_V4": values[3],
        "PARAMETER": "",
        "ROW": 0,
        "FIELD": "",
        "SYSTEM": "",
    }
    row.update(extra)
    return row


def bapireturn(kind: str = "", code: str = "", message: str = "") -> dict[str, Any]:
    """The older ``BAPIRETURN`` structure (TYPE, CODE, MESSAGE, LOG_NO, LOG_MSG_NO, MESSAGE_V1..V4) that
    ``BAPI_SALESORDER_GETLIST``, ``BAPI_SALESORDER_SIMULATE`` and ``BAPI_MATERIAL_GET_DETAIL`` answer with. [FT-list]"""
    return {"TYPE": kind, "CODE": code, "MESSAGE": message[:220], "LOG_NO": "", "LOG_MSG_NO": "000000",
            "MESSAGE_V1": "", "MESSAGE_V2": "", "MESSAGE_V3": "", "MESSAGE_V4": ""}  # fmt: skip
