"""Text → value conversion shared by the CSV and XML readers.

Every parser takes the text of one cell or element, already stripped, and either returns a value or raises
``ValueError`` with a message meant for the person who produced the file; the readers add file, line and column.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from decimal import Decimal, InvalidOperation

from b2bportal.text import word_key
from erpsync.adapters.base import ErpOrderState

TRUE_WORDS = frozenset({"1", "true", "yes", "y", "evet", "e"})
FALSE_WORDS = frozenset({"0", "false", "no", "n", "hayir", "h"})


def parse_bool(text: str) -> bool:
    """1/0, true/false, yes/no, y/n, evet/hayır, e/h in any case; refuses anything else."""
    word = word_key(text)
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"{text!r} is not a yes/no value (use 1/0, true/false, yes/no or evet/hayır)")


# Thousands separators must group digits by three: "1.234,50" reads, "12.50" with a decimal comma does not,
# so a file written with the other convention fails loudly instead of turning 12.50 into 1250.
_NUMBER = {
    ",": re.compile(r"[+-]?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?"),
    ".": re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"),
}


def parse_decimal(text: str, mark: str) -> Decimal:
    """A finite decimal written with ``mark`` ("," or ".") as decimal separator and the other one as an
    optional thousands separator. Refuses exponents, NaN, Infinity and misplaced separators."""
    if not _NUMBER[mark].fullmatch(text):
        other = "." if mark == "," else ","
        raise ValueError(
            f"{text!r} is not a number (expected digits with {mark!r} as decimal separator and {other!r} "
            "between groups of three digits)"
        )
    thousands = "." if mark == "," else ","
    canonical = text.replace(thousands, "").replace(mark, ".")
    try:
        return Decimal(canonical)
    except InvalidOperation:  # pragma: no cover - the pattern only lets plain decimals through
        raise ValueError(f"{text!r} is not a number") from None


_INTEGER = re.compile(r"[+-]?\d{1,18}")


def parse_int(text: str) -> int:
    """A whole number of at most 18 digits; refuses decimals and separators."""
    if not _INTEGER.fullmatch(text):
        raise ValueError(f"{text!r} is not a whole number")
    return int(text)


DEFAULT_DATE_FORMATS: tuple[str, ...] = ("%Y-%m-%d", "%d.%m.%Y")
# The two default patterns are matched directly: ``strptime`` costs tens of microseconds a call, which adds up
# to minutes over a file of half a million rows. Other configured patterns go through ``strptime``.
_FAST_DATES: dict[str, tuple[re.Pattern[str], tuple[int, int, int]]] = {
    "%Y-%m-%d": (re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"), (1, 2, 3)),
    "%d.%m.%Y": (re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})"), (3, 2, 1)),
}
_CLOCK = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?")


def _date_in(text: str, pattern: str) -> date | None:
    fast = _FAST_DATES.get(pattern)
    if fast is None:
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            return None
    regex, (year, month, day) = fast
    match = regex.fullmatch(text)
    if match is None:
        return None
    try:
        return date(int(match[year]), int(match[month]), int(match[day]))
    except ValueError:  # 31.02.2026
        return None


def parse_date(text: str, formats: Sequence[str]) -> date:
    """A date in one of ``formats`` (``strptime`` patterns); refuses impossible dates such as 31.02.2026."""
    for pattern in formats:
        value = _date_in(text, pattern)
        if value is not None:
            return value
    raise ValueError(f"{text!r} is not a date (expected {_formats_hint(formats)})")


def parse_datetime(text: str, formats: Sequence[str], zone: tzinfo) -> datetime:
    """A point in time: ISO 8601 (``2026-03-01T14:30:00+03:00``, offset optional) or a date in one of
    ``formats`` followed by ``HH:MM[:SS]``. A time without offset is read in ``zone`` (the ERP's clock); a bare
    date means midnight there. Always returns an aware datetime."""
    value: datetime | None = None
    if len(text) >= 10 and text[4:5] == "-":
        try:
            value = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith("Z") else text)
        except ValueError:
            value = None
    if value is None:
        day, _, clock = text.partition(" ")
        value = _day_and_clock(day, clock.strip(), formats)
    if value is None:
        raise ValueError(
            f"{text!r} is not a date and time (expected ISO 8601 such as 2026-03-01T14:30:00+03:00, "
            f"or {_formats_hint(formats)} followed by HH:MM[:SS])"
        )
    return value if value.tzinfo is not None else value.replace(tzinfo=zone)


def _day_and_clock(day: str, clock: str, formats: Sequence[str]) -> datetime | None:
    on = next((value for pattern in formats if (value := _date_in(day, pattern)) is not None), None)
    if on is None:
        return None
    if not clock:
        return datetime(on.year, on.month, on.day)  # the caller attaches the ERP zone
    match = _CLOCK.fullmatch(clock)
    if match is None:
        return None
    hour, minute, second, fraction = match.groups()
    try:
        return datetime(  # the caller attaches the ERP zone
            on.year, on.month, on.day, int(hour), int(minute), int(second or 0), int((fraction or "0").ljust(6, "0"))
        )
    except ValueError:  # 25:00
        return None


def _formats_hint(formats: Sequence[str]) -> str:
    examples = {"%Y-%m-%d": "YYYY-MM-DD", "%d.%m.%Y": "DD.MM.YYYY", "%d/%m/%Y": "DD/MM/YYYY"}
    return " or ".join(examples.get(pattern, pattern) for pattern in formats)


# The ERP's own words for an order's state. Keys are ``word_key`` forms with spaces and dashes as "_".
STATE_WORDS: dict[str, ErpOrderState] = {
    **{state.value: state for state in ErpOrderState},
    "acik": ErpOrderState.OPEN,
    "beklemede": ErpOrderState.OPEN,
    "onaylandi": ErpOrderState.OPEN,
    "rezerve": ErpOrderState.ALLOCATED,
    "ayrildi": ErpOrderState.ALLOCATED,
    "kismi_sevk": ErpOrderState.PARTIALLY_SHIPPED,
    "kismi_sevk_edildi": ErpOrderState.PARTIALLY_SHIPPED,
    "kismen_sevk_edildi": ErpOrderState.PARTIALLY_SHIPPED,
    "sevk_edildi": ErpOrderState.SHIPPED,
    "sevkedildi": ErpOrderState.SHIPPED,
    "faturalandi": ErpOrderState.INVOICED,
    "faturali": ErpOrderState.INVOICED,
    "kapali": ErpOrderState.CLOSED,
    "kapandi": ErpOrderState.CLOSED,
    "tamamlandi": ErpOrderState.CLOSED,
    "iptal": ErpOrderState.CANCELLED,
    "iptal_edildi": ErpOrderState.CANCELLED,
    "canceled": ErpOrderState.CANCELLED,
}


def parse_state(text: str) -> ErpOrderState:
    """An order state: the English value (``partially_shipped``) or a Turkish word (``kısmi sevk``)."""
    key = re.sub(r"[\s-]+", "_", word_key(text))
    try:
        return STATE_WORDS[key]
    except KeyError:
        raise ValueError(
            f"{text!r} is not an order state (expected one of {', '.join(s.value for s in ErpOrderState)})"
        ) from None


@dataclass(frozen=True, slots=True)
class ValueFormat:
    """How one file writes numbers, dates and times."""

    decimal_mark: str = ","
    date_formats: tuple[str, ...] = DEFAULT_DATE_FORMATS
    zone: tzinfo = UTC
