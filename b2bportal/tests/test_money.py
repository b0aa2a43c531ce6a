from decimal import Decimal

import pytest
from django.utils import translation

from b2bportal.money import format_decimal, format_money, quantize_money


@pytest.mark.parametrize(
    ("language", "amount", "currency", "expected"),
    [
        ("tr", Decimal("1234.56"), "TRY", "1.234,56 ₺"),
        ("en", Decimal("1234.56"), "TRY", "₺1,234.56"),
        ("tr", Decimal("1234567.5"), "USD", "1.234.567,50 $"),
        ("en", Decimal("-99.995"), "EUR", "-€100.00"),
        ("en", Decimal("5"), "CHF", "5.00 CHF"),
    ],
)
def test_money_in_the_readers_locale(language, amount, currency, expected):
    with translation.override(language):
        assert format_money(amount, currency) == expected


def test_rounding_is_half_up_not_bankers():
    assert quantize_money(Decimal("0.125")) == Decimal("0.13")
    assert quantize_money(Decimal("0.135")) == Decimal("0.14")


def test_missing_values_render_empty():
    assert format_money(None, "TRY") == ""
    assert format_decimal(None) == ""


def test_quantity_decimal_comma_in_turkish():
    with translation.override("tr"):
        assert format_decimal(Decimal("12.5"), 3) == "12,500"
