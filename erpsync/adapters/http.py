"""Helpers shared by the adapters that talk HTTP (SAP Business One's Service Layer, Tryton's REST API)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from typing import Any

import requests
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

from erpsync.adapters.base import OutcomeUnknownError, PermanentError, RetryableError


def number(value: Any, source: str) -> Decimal | None:
    """A JSON number as a Decimal without float noise or needless trailing zeros (``100.0`` → ``100``); None for
    nothing. ``source`` names the ERP in the error for anything that is not a number."""
    if value is None or value == "":
        return None
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        raise PermanentError(f"{source} sent {value!r} where a number belongs") from None
    result = result.normalize()
    return result.quantize(Decimal(1)) if result.as_tuple().exponent > 0 else result


def text(value: Any) -> str:
    return "" if value is None else str(value)


def retry_after(response: requests.Response) -> float | None:
    """Seconds the server asked to wait (``Retry-After`` as seconds or as an HTTP date), if it said."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def not_sent(exc: requests.RequestException) -> bool:
    """Whether the request certainly never reached the server (no connection could be made)."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if not isinstance(exc, requests.ConnectionError):
        return False
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, (NewConnectionError, NameResolutionError, ConnectTimeoutError))


def transport_error(exc: requests.RequestException, *, who: str, method: str, where: str, write: bool):
    """The contract's error for a request that got no answer: retryable when it certainly never left, outcome
    unknown for a write that may have been applied, retryable for a read."""
    if not_sent(exc):
        return RetryableError(f"{who} is not reachable ({method} {where}): {exc}")
    if write:
        return OutcomeUnknownError(
            f"{who} did not answer {method} {where}; it may have applied it: {type(exc).__name__}"
        )
    return RetryableError(f"{who} did not answer {method} {where}: {type(exc).__name__}")
