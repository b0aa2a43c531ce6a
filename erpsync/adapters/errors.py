"""Errors at the boundary with an ERP, one of three kinds so the engine knows what to do next (see
``erpsync.adapters.base``), and ``FeedError`` for an inbound feed that cannot be read as a whole."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar


class ErpError(Exception):
    """Something went wrong talking to the ERP. ``code`` is the ERP's own error code when it gave one."""

    retryable: ClassVar[bool] = False

    def __init__(self, message: str, *, code: str = "", details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = dict(details or {})


class RetryableError(ErpError):
    """Temporary: the same request may succeed later. ``retry_after`` (seconds) when the ERP said when."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class OutcomeUnknownError(RetryableError):
    """The request was sent and may have been applied (a timeout after sending, a dropped connection).
    Before trying again, the exporter looks the reference up."""


class PermanentError(ErpError):
    """The ERP refused the content; the same request will fail again until the data changes."""


class FeedError(Exception):
    """An inbound feed cannot be read as a whole (malformed file, wrong encoding, missing column, too big).
    Nothing from the feed is applied. ``line`` and ``column`` point at the first fault when known."""

    def __init__(self, message: str, *, source: str = "", line: int | None = None, column: str | int | None = None):
        super().__init__(message)
        self.message = message
        self.source = source
        self.line = line
        self.column = column

    def __str__(self) -> str:
        where = [self.source] if self.source else []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column not in (None, ""):
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}" if where else self.message
