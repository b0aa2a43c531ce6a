from decimal import Decimal

import pytest
from django.utils import translation

from b2bportal.money import format_decimal, format_money, format_percent, format_quantity, quantize_money


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


@pytest.mark.parametrize(
    ("language", "value", "max_places", "expected"),
    [
        ("tr", Decimal("465.500"), 3, "465,5"),
        ("en", Decimal("1465.500"), 3, "1,465.5"),
        ("tr", Decimal("12.000"), 3, "12"),
        ("tr", Decimal("0.125"), 3, "0,125"),
        ("tr", Decimal("2.25"), 1, "2,3"),
    ],
)
def test_quantities_show_the_decimals_they_need_up_to_their_units(language, value, max_places, expected):
    with translation.override(language):
        assert format_quantity(value, max_places=max_places) == expected


@pytest.mark.parametrize(
    ("language", "rate", "expected"), [("tr", "20.00", "%20"), ("en", "20", "20%"), ("tr", "8.5", "%8,5")]
)
def test_percentages_are_written_as_each_language_writes_them(language, rate, expected):
    with translation.override(language):
        assert format_percent(Decimal(rate)) == expected
