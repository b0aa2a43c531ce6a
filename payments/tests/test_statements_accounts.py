"""The statement's account in one form everywhere: an MT940 ``:25:`` written "IBAN/TRY", "IBAN TRY" or grouped with
spaces is the IBAN, so the same day as CAMT.053 or CSV adds nothing and staff may name the account as they like."""

import importlib
from datetime import date
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from payments.models import BankStatement, BankTransaction
from payments.statements.fingerprints import fingerprints, line_key
from payments.statements.ibans import StatementAccount, statement_account
from payments.statements.importer import statement_import
from payments.statements.mt940_format import parse_mt940
from payments.statements.records import StatementError
from payments.tests.statement_files import ACCOUNT, CAMT_V02, CSV_SIGNED, sample

pytestmark = pytest.mark.django_db

# A Turkish bank's MT940 of 4 March 2025, the account written "IBAN/TRY" as many Turkish banks write it.
IBAN_TRY = "mt940_iban-try_2025-03-04.sta"


def mt940_with_account(written: str) -> bytes:
    text = sample(IBAN_TRY).decode("cp1254")
    return text.replace(f":25:{ACCOUNT}/TRY", f":25:{written}").encode("cp1254")


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        (ACCOUNT, StatementAccount(ACCOUNT)),
        (f"{ACCOUNT}/TRY", StatementAccount(ACCOUNT, "TRY")),
        (f"{ACCOUNT} TRY", StatementAccount(ACCOUNT, "TRY")),
        (f"{ACCOUNT}TRY", StatementAccount(ACCOUNT, "TRY")),
        ("tr19 0006 2000 1234 5678 9012 34 / try", StatementAccount(ACCOUNT, "TRY")),
        ("TR19-0006-2000-1234-5678-9012-34", StatementAccount(ACCOUNT)),
        # An IBAN that itself ends in letters keeps them (Seychelles accounts end with their currency).
        ("SC18SSCB11010000000000001497USD", StatementAccount("SC18SSCB11010000000000001497USD")),
        # No IBAN: a bank code and account number, kept as written.
        ("10020030/ 1234567", StatementAccount("10020030/1234567")),
        # A wrong check digit is no IBAN: nothing is split off, so it never passes for the real account.
        (f"TR20{ACCOUNT[4:]}/TRY", StatementAccount(f"TR20{ACCOUNT[4:]}/TRY")),
    ],
)
def test_statement_account_is_the_iban_with_the_currency_apart(written, expected):
    assert statement_account(written) == expected


@pytest.mark.parametrize(
    "written",
    [f"{ACCOUNT}/TRY", f"{ACCOUNT} TRY", "TR19 0006 2000 1234 5678 9012 34/TRY", "TR19 0006 2000 1234 5678 9012 34"],
)
def test_mt940_account_with_currency_is_stored_as_the_iban_and_the_camt_of_the_same_day_adds_nothing(written):
    mt940 = statement_import(file_name=IBAN_TRY, data=mt940_with_account(written), format="mt940")

    camt = statement_import(file_name=CAMT_V02, data=sample(CAMT_V02), format="camt053")

    assert mt940.statement.account_iban == ACCOUNT and mt940.created == 3
    assert set(BankTransaction.objects.values_list("account_iban", flat=True)) == {ACCOUNT}
    assert (camt.created, camt.duplicates) == (0, 3)
    assert camt.statement.account_iban == ACCOUNT
    assert BankTransaction.objects.count() == 3


def test_the_csv_of_the_same_days_recognises_the_lines_of_an_iban_try_file():
    statement_import(file_name=IBAN_TRY, data=sample(IBAN_TRY), format="mt940")

    csv = statement_import(file_name=CSV_SIGNED, data=sample(CSV_SIGNED), format="csv", profile="tr-signed-amount")

    # The CSV holds 3, 4 and 5 March: its three lines of the 4th are the MT940's.
    assert csv.statement.account_iban == ACCOUNT
    assert csv.statement.transactions.filter(booking_date=date(2025, 3, 4)).count() == 0
    assert BankTransaction.objects.filter(booking_date=date(2025, 3, 4)).count() == 3


@pytest.mark.parametrize("given", [ACCOUNT, "TR19 0006 2000 1234 5678 9012 34", f"{ACCOUNT}/TRY"])
def test_an_import_naming_the_account_accepts_the_file_that_writes_it_with_its_currency(given):
    result = statement_import(file_name=IBAN_TRY, data=sample(IBAN_TRY), format="mt940", account_iban=given)

    assert result.created == 3 and result.statement.account_iban == ACCOUNT


def test_an_import_naming_another_account_is_still_refused():
    with pytest.raises(StatementError, match="not of"):
        statement_import(
            file_name=IBAN_TRY, data=sample(IBAN_TRY), format="mt940", account_iban="TR570006700010000000123456"
        )
    assert BankStatement.objects.count() == 0


def test_a_csv_account_given_with_its_currency_is_stored_as_the_iban():
    result = statement_import(
        file_name=CSV_SIGNED,
        data=sample(CSV_SIGNED),
        format="csv",
        profile="tr-signed-amount",
        account_iban="TR19 0006 2000 1234 5678 9012 34 TRY",
    )

    assert result.statement.account_iban == ACCOUNT


def test_an_account_currency_other_than_the_balances_is_refused_at_the_account_line():
    with pytest.raises(StatementError) as caught:
        parse_mt940(mt940_with_account(f"{ACCOUNT}/EUR"), file_name=IBAN_TRY)

    assert (caught.value.line, caught.value.field) == (2, ":25:")
    assert "EUR" in caught.value.message and "TRY" in caught.value.message


def test_the_fingerprint_is_the_same_whichever_way_the_account_is_written():
    def key(account):
        return line_key(
            account=account,
            booking_date=date(2025, 3, 4),
            amount=Decimal("750.00"),
            currency="TRY",
            bank_reference="BRF2503040004",
            description="",
        )

    assert key(f"{ACCOUNT}/TRY") == key("TR19 0006 2000 1234 5678 9012 34") == key(ACCOUNT)
    assert key("TR570006700010000000123456") != key(ACCOUNT)


def _stored_under(account: str, lines: list[dict]) -> list[BankTransaction]:
    """Lines stored as the importer stored them before accounts were normalised: under ``account`` as written,
    fingerprinted with it."""
    statement = BankStatement.objects.create(account_iban=account, format="mt940", file_sha256=account[-8:] * 8)
    keys = [
        "|".join((account, "2025-03-04", f"{line['amount']:.2f}", "TRY", line["identity"]))  # the key format then
        for line in lines
    ]
    return [
        BankTransaction.objects.create(
            statement=statement,
            account_iban=account,
            booking_date=date(2025, 3, 4),
            amount=line["amount"],
            currency="TRY",
            description=line.get("description", ""),
            bank_reference=line.get("reference", ""),
            fingerprint=fingerprint,
        )
        for line, fingerprint in zip(lines, fingerprints(keys), strict=True)
    ]


def test_migration_normalises_stored_accounts_and_recomputes_their_fingerprints():
    migration = importlib.import_module("payments.migrations.0006_statement_accounts_as_iban")
    written = f"{ACCOUNT}/TRY"
    twin = {"amount": Decimal("2000.00"), "identity": "text:carihesapodemesi", "description": "CARI HESAP ODEMESI"}
    invalid_iban_note = "SIPARIS B2B-000124 ODEME\nCounterparty IBAN (invalid): TR150001000000001234567891"
    stored = _stored_under(
        written,
        [
            twin,
            twin,
            {"amount": Decimal("750.00"), "identity": "ref:BRF2503040004", "reference": "BRF2503040004"},
            {"amount": Decimal("5.00"), "identity": "text:siparisb2b000124odeme", "description": invalid_iban_note},
        ],
    )
    unknown = BankTransaction.objects.create(
        statement=stored[0].statement, account_iban=written, booking_date=date(2025, 3, 4), amount=Decimal("1.00"),
        currency="TRY", fingerprint="f" * 64,
    )  # fmt: skip

    migration.forwards(apps, None)

    assert set(BankStatement.objects.values_list("account_iban", flat=True)) == {ACCOUNT}
    assert set(BankTransaction.objects.values_list("account_iban", flat=True)) == {ACCOUNT}
    unknown.refresh_from_db()
    assert unknown.fingerprint == "f" * 64  # not reproducible: left as it was
    # The CAMT.053 of the same day names the account plainly: it now recognises all three of its lines.
    camt = statement_import(file_name=CAMT_V02, data=sample(CAMT_V02), format="camt053")
    assert (camt.created, camt.duplicates) == (0, 3)


def test_migration_sets_aside_a_line_stored_twice_under_both_spellings():
    migration = importlib.import_module("payments.migrations.0006_statement_accounts_as_iban")
    line = {"amount": Decimal("750.00"), "identity": "ref:BRF2503040004", "reference": "BRF2503040004"}
    [plain] = _stored_under(ACCOUNT, [line])
    [suffixed] = _stored_under(f"{ACCOUNT}/TRY", [line])

    migration.forwards(apps, None)

    plain.refresh_from_db()
    suffixed.refresh_from_db()
    assert plain.status == BankTransaction.Status.UNMATCHED
    assert suffixed.account_iban == ACCOUNT and suffixed.fingerprint != plain.fingerprint
    assert suffixed.status == BankTransaction.Status.IGNORED
    assert suffixed.status_reason == f"duplicate of bank transaction {plain.pk}"


def test_admin_upload_of_an_iban_try_file_with_the_account_iban_filled_in(staff_client):
    response = staff_client.post(
        reverse("admin:payments_bankstatement_import"),
        {"file": SimpleUploadedFile(IBAN_TRY, sample(IBAN_TRY)), "format": "mt940", "account_iban": ACCOUNT},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert "Created 3 lines" in response.content.decode()
    assert BankStatement.objects.get().account_iban == ACCOUNT
