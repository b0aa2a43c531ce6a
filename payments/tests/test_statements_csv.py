"""CSV statements read with a profile: the shipped example profiles, number and date formats, profiles staff add,
and refusals with the line and the column."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from payments.models import BankCsvProfile
from payments.statements.choices import csv_profile
from payments.statements.csv_format import parse_amount, parse_csv, parse_date
from payments.statements.profiles import ProfileError, built_in_profiles, profile_from_settings
from payments.statements.records import StatementError
from payments.tests.statement_files import (
    ACCOUNT,
    CSV_DEBIT_CREDIT,
    CSV_DEBIT_CREDIT_ACCOUNT,
    CSV_DIRECTION,
    CSV_SIGNED,
    sample,
)

SIGNED = built_in_profiles()["tr-signed-amount"]
DEBIT_CREDIT = built_in_profiles()["tr-debit-credit"]
DIRECTION = built_in_profiles()["tr-comma-direction"]


def parse(data: bytes, profile, account_iban: str = ""):
    (statement,) = parse_csv(data, file_name="test.csv", profile=profile, account_iban=account_iban)
    return statement


def refusal(data: bytes, profile, account_iban: str = CSV_DEBIT_CREDIT_ACCOUNT) -> StatementError:
    with pytest.raises(StatementError) as caught:
        parse(data, profile, account_iban)
    return caught.value


def signed_text() -> str:
    return sample(CSV_SIGNED).decode("cp1254")


def test_signed_amount_profile_windows_1254_newest_first_with_account_above_the_header():
    statement = parse(sample(CSV_SIGNED), SIGNED)

    assert statement.account == ACCOUNT
    assert (statement.opening_balance, statement.closing_balance) == (Decimal("10000.00"), Decimal("31134.66"))
    assert (statement.period_start, statement.period_end) == (date(2025, 3, 3), date(2025, 3, 5))
    assert len(statement.lines) == 8  # the total row without a date is skipped
    newest = statement.lines[1]
    assert newest.amount == Decimal("1234.56") and newest.line == 8
    assert newest.description.startswith("EFT GELEN ÇAĞLAR ELEKTRİK LTD ŞTİ")
    assert newest.bank_reference == "BRF2503050007"
    assert statement.lines[0].amount == Decimal("-99.90")


def test_debit_credit_profile_utf8_bom_with_times_value_dates_and_counterparties():
    statement = parse(sample(CSV_DEBIT_CREDIT), DEBIT_CREDIT, CSV_DEBIT_CREDIT_ACCOUNT)

    assert statement.account == CSV_DEBIT_CREDIT_ACCOUNT
    assert (statement.opening_balance, statement.closing_balance) == (Decimal("100000.00"), Decimal("141333.23"))
    first, _, outgoing, zero = statement.lines
    assert (first.amount, first.booking_date, first.value_date) == (
        Decimal("45678.90"),
        date(2025, 3, 10),
        date(2025, 3, 10),
    )
    assert first.counterparty_name == "ÖZGÜR YAPI MARKET LTD. ŞTİ."
    assert first.counterparty_iban == "TR75 0001 5000 0009 8765 4321 00"
    assert outgoing.amount == Decimal("-12345.67")
    assert zero.amount == 0


def test_direction_profile_comma_delimited_with_quotes_and_joined_description():
    statement = parse(sample(CSV_DIRECTION), DIRECTION)

    assert statement.account == "TR140020500000012345600001"
    assert statement.opening_balance is None and statement.closing_balance is None
    assert [line.amount for line in statement.lines] == [Decimal("3750.00"), Decimal("3750.00"), Decimal("-15000.00")]
    assert statement.lines[0].description == "EFT - SİPARİŞ B2B-000140 VKN 1111111111"
    assert statement.lines[0].booking_date == date(2025, 3, 17)


@pytest.mark.parametrize(
    ("text", "decimal", "thousands", "expected"),
    [
        ("1.234,56", ",", ".", Decimal("1234.56")),
        ("-1.234,56", ",", ".", Decimal("-1234.56")),
        ("1.234,56-", ",", ".", Decimal("-1234.56")),
        ("(1.234,56)", ",", ".", Decimal("-1234.56")),
        ("1.234,56 TL", ",", ".", Decimal("1234.56")),
        ("₺1.234.567,5", ",", ".", Decimal("1234567.5")),
        ("1234,56", ",", ".", Decimal("1234.56")),
        ("1,234.56", ".", ",", Decimal("1234.56")),
        ("1 234,56", ",", " ", Decimal("1234.56")),
        ("1234.56", ",", ".", None),  # a full stop read as thousands must group by three
        ("12.34,56", ",", ".", None),
        ("1.234,56", ",", "", None),
        ("abc", ",", ".", None),
        ("", ",", ".", None),
    ],
)
def test_amounts(text, decimal, thousands, expected):
    assert parse_amount(text, decimal=decimal, thousands=thousands) == expected


@pytest.mark.parametrize(
    ("text", "date_format", "expected"),
    [
        ("05.03.2025", "dd.mm.yyyy", date(2025, 3, 5)),
        ("5.3.2025", "dd.mm.yyyy", date(2025, 3, 5)),
        ("05.03.2025 14:32:10", "dd.mm.yyyy", date(2025, 3, 5)),
        ("05/03/25", "dd/mm/yy", date(2025, 3, 5)),
        ("2025-03-05", "yyyy-mm-dd", date(2025, 3, 5)),
        ("31.02.2025", "dd.mm.yyyy", None),
        ("2025-03-05", "dd.mm.yyyy", None),
        ("05.03.2025x", "dd.mm.yyyy", None),
    ],
)
def test_dates(text, date_format, expected):
    assert parse_date(text, date_format) == expected


def test_missing_column_is_refused_naming_it():
    error = refusal(sample("csv_missing_column.csv"), DEBIT_CREDIT)

    assert (error.line, error.field) == (1, "Alacak")
    assert "'Alacak'" in error.message and "'Borç'" in error.message


def test_bad_date_is_refused_with_line_and_column():
    error = refusal(sample("csv_bad_date.csv"), SIGNED)

    assert (error.line, error.field) == (9, "Tarih") and "'31.02.2025'" in error.message


def test_bad_amount_is_refused_with_line_and_column():
    error = refusal(signed_text().replace(";750,00;", ";750.00;").encode("cp1254"), SIGNED)

    assert (error.line, error.field) == (9, "Tutar") and "1.234,56" in error.message


def test_running_balance_that_does_not_follow_is_refused():
    error = refusal(signed_text().replace(";750,00;30.000,00;", ";570,00;30.000,00;").encode("cp1254"), SIGNED)

    assert "does not follow" in error.message


def test_wrong_profile_finds_no_header():
    error = refusal(sample(CSV_DIRECTION), DEBIT_CREDIT)

    assert error.field == "İşlem Tarihi" and "right profile" in error.message


def test_wrong_encoding_is_refused_with_the_line():
    utf8_profile = profile_from_settings("x", {**_signed_settings(), "encoding": "utf-8"})

    error = refusal(sample(CSV_SIGNED), utf8_profile)

    assert error.line == 1 and "utf-8" in error.message


def test_unquoted_decimal_comma_in_a_comma_file_is_refused():
    data = sample(CSV_DIRECTION).replace(b'"15.000,00"', b"15.000,00")

    error = refusal(data, DIRECTION)

    assert error.line == 5 and "cells" in error.message


def test_row_with_both_debit_and_credit_is_refused():
    data = sample(CSV_DEBIT_CREDIT).decode("utf-8-sig").replace(";;8.000,00;", ";1,00;8.000,00;").encode("utf-8")

    error = refusal(data, DEBIT_CREDIT)

    assert (error.line, error.field) == (3, "Alacak") and "both" in error.message


def test_file_without_the_account_iban_is_refused():
    error = refusal(sample(CSV_DEBIT_CREDIT), DEBIT_CREDIT, account_iban="")

    assert "IBAN" in error.message


def test_row_without_date_is_refused_unless_the_profile_skips_them():
    data = sample(CSV_DEBIT_CREDIT).decode("utf-8-sig").replace("11.03.2025 16:30;", ";").encode("utf-8")

    assert refusal(data, DEBIT_CREDIT).line == 5


def _signed_settings() -> dict:
    return {
        "encoding": "cp1254",
        "skip_rows_without_date": True,
        "columns": {"booking_date": "Tarih", "amount": "Tutar", "description": "Açıklama", "balance": "Bakiye"},
    }


def test_profile_settings_are_validated_with_every_problem_listed():
    with pytest.raises(ProfileError) as caught:
        profile_from_settings(
            "bad",
            {
                "encoding": "klingon",
                "date_format": "mm/dd",
                "delimitter": ";",
                "currency": "TL",
                "account_iban": "TR000000",
                "columns": {"amount": "Tutar", "debit": "Borç"},
            },
        )

    problems = " | ".join(caught.value.problems)
    for expected in ("delimitter", "klingon", "date format", "three-letter", "TR000000", "booking_date", "either"):
        assert expected in problems


def test_valid_settings_give_a_profile():
    profile = profile_from_settings("mine", {**_signed_settings(), "account_iban": "tr19 0006 2000 1234 5678 9012 34"})

    assert profile.account_iban == ACCOUNT
    assert profile.column("amount") == ("Tutar",)


@pytest.mark.django_db
def test_staff_profile_is_validated_on_clean():
    with pytest.raises(ValidationError) as caught:
        BankCsvProfile(name="broken", settings={"columns": {}}).full_clean()

    assert "settings" in caught.value.message_dict
    BankCsvProfile(name="fine", settings=_signed_settings()).full_clean()


@pytest.mark.django_db
def test_staff_profile_takes_the_place_of_a_shipped_one_of_the_same_name():
    BankCsvProfile.objects.create(name="tr-signed-amount", settings={**_signed_settings(), "currency": "USD"})

    assert csv_profile("tr-signed-amount").currency == "USD"
    assert csv_profile("tr-debit-credit") == DEBIT_CREDIT
    assert csv_profile("no-such-profile") is None
