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


def setting_number(settings: dict, name: str, default: float, *, who: str, whole: bool = False, zero: bool = False):
    """A connection setting that must be a positive (or, with ``zero``, non-negative) number, whole with
    ``whole``; anything else is refused with a message naming the adapter (``who``)."""
    from django.core.exceptions import ImproperlyConfigured

    value = settings.get(name, default)
    valid = isinstance(value, (int, float)) and not isinstance(value, bool)
    valid = valid and (value >= 0 if zero else value > 0) and (not whole or float(value).is_integer())
    if not valid:
        kind = "whole number" if whole else "number"
        raise ImproperlyConfigured(f"{who} adapter: {name!r} must be a positive {kind}, got {value!r}.")
    return value


def base_url_setting(settings: dict, *, who: str, what: str) -> str:
    """The ``base_url`` setting, ending with "/", when it is an http(s) URL; ``what`` says what it should point
    at in the error."""
    from urllib.parse import urlsplit

    from django.core.exceptions import ImproperlyConfigured

    base_url = settings.get("base_url")
    if not base_url or not isinstance(base_url, str):
        raise ImproperlyConfigured(f"{who} adapter: settings need 'base_url', {what}.")
    base_url = base_url if base_url.endswith("/") else base_url + "/"
    parts = urlsplit(base_url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ImproperlyConfigured(f"{who} adapter: 'base_url' must be an http(s) URL, got {base_url!r}.")
    return base_url


def flag_setting(settings: dict, name: str, default: bool, *, who: str) -> bool:
    from django.core.exceptions import ImproperlyConfigured

    value = settings.get(name, default)
    if not isinstance(value, bool):
        raise ImproperlyConfigured(f"{who} adapter: {name!r} must be true or false, got {value!r}.")
    return value


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
