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


def format_quantity(value, places: int = 0, max_places: int = 3) -> str:
    """A quantity in the active locale: whole quantities without decimals, others with the decimals they need, at
    most ``max_places`` (a unit's decimal places: 465.5 metres read "465,5", not "465,500")."""
    if value is None or value == "":
        return ""
    number = Decimal(value)
    if places == 0 and number != number.to_integral_value():
        exponent = number.normalize().as_tuple().exponent
        needed = -exponent if isinstance(exponent, int) else 0
        places = max(1, min(needed, max_places or 3))
    return format_decimal(number, places)


def format_percent(rate) -> str:
    """A percentage in the active language's convention: "%20" in Turkish, "20%" in English."""
    number = format_quantity(rate)
    language = (translation.get_language() or "en").split("-")[0]
    return f"%{number}" if language == "tr" else f"{number}%"
