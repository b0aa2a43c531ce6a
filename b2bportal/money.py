"""Showing money and quantities in the reader's locale (Turkish: 1.234,56 ₺; English: ₺1,234.56)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils import formats, translation

CURRENCY_SYMBOLS = {"TRY": "₺", "USD": "$", "EUR": "€", "GBP": "£"}
CENT = Decimal("0.01")


def quantize_money(amount: Decimal) -> Decimal:
    """Round to cents, half up, as accountants expect (not banker's rounding)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def format_decimal(value, places: int = 2) -> str:
    """A number grouped and separated for the active language; '' for a missing value."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
    number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return formats.number_format(number, places, use_l10n=True, force_grouping=True)


def format_money(amount, currency: str) -> str:
    """An amount with its currency, in the active language's convention."""
    if amount is None or amount == "":
        return ""
    number = format_decimal(amount, 2)
    symbol = CURRENCY_SYMBOLS.get(currency, currency)
    language = (translation.get_language() or "en").split("-")[0]
    if language == "tr":
        return f"{number} {symbol}"
    if symbol == currency:
        return f"{number} {currency}"
    if number.startswith("-"):
        return f"-{symbol}{number[1:]}"
    return f"{symbol}{number}"


def format_quantity(value, places: int = 0) -> str:
    """A quantity in the active locale: whole quantities without decimals, others with up to three."""
    if value is None or value == "":
        return ""
    if places == 0 and Decimal(value) != Decimal(value).to_integral_value():
        places = 3
    return format_decimal(value, places)
