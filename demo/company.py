"""The demo company's fixed facts: its random seed, e-mail domain, exchange rates and the day its ERP export was
taken, and how its amounts are rounded and written."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from b2bportal.money import quantize_money

SEED = 2026
EMAIL_DOMAIN = "demo.b2bportal.local"
USD_RATE = Decimal("42.35")
EUR_RATE = Decimal("49.10")
BUYER_APPROVAL_LIMIT = Decimal("20000.00")

# The day the sample export was taken. The files are fixed, so dates in them are absolute: agreement windows
# are placed around this day far enough out that past, current and future ones stay so for years.
ERP_EXPORT_DAY = date(2026, 11, 20)
ERP_ZONE = ZoneInfo("Europe/Istanbul")


def money(value: Decimal) -> Decimal:
    return quantize_money(value)


def price4(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def plain(value: Decimal) -> str:
    """10.000 → "10", 7.50 → "7.5": without the exponent ``normalize()`` alone would give ("1E+1")."""
    return format(value.normalize(), "f")
