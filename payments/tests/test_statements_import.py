"""Importing statement files: all or nothing, idempotent, overlapping statements counted once, identical lines
kept apart, outgoing lines ignored, zero lines skipped, IBANs validated."""

from datetime import date
from decimal import Decimal

import pytest

from accounts.tests.factories import UserFactory
from b2bportal.text import compact_key
from payments.models import BankStatement, BankTransaction
from payments.statements import importer
from payments.statements.fingerprints import fingerprints, line_key
from payments.statements.importer import detect_format, statement_import
from payments.statements.records import StatementError
from payments.tests.statement_files import (
    ACCOUNT,
    BANK_LAYOUTS,
    CAMT_V02,
    CAMT_V08,
    CSV_DEBIT_CREDIT,
    CSV_DEBIT_CREDIT_ACCOUNT,
    CSV_DIRECTION,
    CSV_SIGNED,
    MT940,
    edited_mt940,
    sample,
)

pytestmark = pytest.mark.django_db


def import_file(name: str, data: bytes | None = None, **kwargs):
    formats = {".sta": "mt940", ".xml": "camt053", ".csv": "csv"}
    kwargs.setdefault("format", formats[name[name.rindex(".") :]])
    return statement_import(file_name=name, data=sample(name) if data is None else data, **kwargs)


def counts() -> tuple[int, int]:
    return BankStatement.objects.count(), BankTransaction.objects.count()


def test_mt940_file_becomes_one_statement_with_its_lines():
    user = UserFactory()

    result = import_file(MT940, imported_by=user)

    statement = result.statement
    assert (result.created, result.duplicates, result.ignored, result.zero_skipped) == (6, 0, 1, 1)
    assert result.summary() == (
        "Created 6 lines, skipped 0 already imported, 1 outgoing line ignored, 1 zero-amount line skipped, "
        "0 allocated automatically, 5 waiting in the matching queue."
    )
    assert (statement.account_iban, statement.format, statement.statement_id) == (ACCOUNT, "mt940", "00062/1 … 00063/1")
    assert (statement.period_start, statement.period_end) == (date(2025, 3, 3), date(2025, 3, 4))
    assert (statement.opening_balance, statement.closing_balance) == (Decimal("10000.00"), Decimal("30000.00"))
    assert statement.imported_by == user and statement.file_name == MT940 and len(statement.file_sha256) == 64
    lines = list(statement.transactions.order_by("booking_date", "id"))
    assert [line.amount for line in lines] == [Decimal(v) for v in ("12500", "4000", "-1250", "2000", "2000", "750")]
    assert {line.account_iban for line in lines} == {ACCOUNT}
    assert lines[0].counterparty_iban == "TR150001000000001234567890"
    assert lines[0].status == BankTransaction.Status.UNMATCHED
    assert lines[1].counterparty_iban == "TR630004600000000000054321"


def test_outgoing_lines_are_stored_but_ignored_with_the_reason():
    import_file(MT940)

    outgoing = BankTransaction.objects.get(amount__lt=0)

    assert (outgoing.status, outgoing.status_reason) == (BankTransaction.Status.IGNORED, "outgoing")
    assert BankTransaction.objects.filter(status=BankTransaction.Status.IGNORED).count() == 1


def test_two_identical_transfers_on_one_day_stay_two():
    import_file(MT940)

    twins = BankTransaction.objects.filter(amount=Decimal("2000"))

    assert twins.count() == 2
    assert len({twin.fingerprint for twin in twins}) == 2
    assert {(t.description, t.counterparty_iban, t.bank_reference) for t in twins} == {
        ("CARI HESAP ODEMESI", "TR790011100000000011223344", "")
    }


def test_invalid_counterparty_iban_is_kept_as_text_outside_the_iban_field():
    import_file(MT940)

    line = BankTransaction.objects.get(amount=Decimal("750"))

    assert line.counterparty_iban == ""
    assert line.description == "SIPARIS B2B-000124 ODEME\nCounterparty IBAN (invalid): TR150001000000001234567891"


def test_same_file_twice_adds_nothing_and_says_so():
    first = import_file(MT940)

    again = import_file(MT940)

    assert again.already_imported and again.statement == first.statement
    assert (again.created, again.duplicates) == (0, 0)
    assert "already imported" in again.summary()
    assert counts() == (1, 6)


def test_same_file_imported_concurrently_is_stored_once(monkeypatch):
    first = import_file(MT940)

    # The other import has not committed when this one looks: only the unique checksum stops it.
    class NotYetVisible:
        def first(self):
            return None

    look_up = importer.BankStatement.objects.filter
    monkeypatch.setattr(
        importer.BankStatement.objects,
        "filter",
        lambda **kwargs: NotYetVisible() if "file_sha256" in kwargs else look_up(**kwargs),
    )
    again = import_file(MT940)

    assert again.already_imported and again.statement.pk == first.statement.pk
    assert counts() == (1, 6)


def test_overlapping_csv_counts_only_its_new_lines():
    import_file(MT940)

    result = import_file(CSV_SIGNED, profile="tr-signed-amount")

    assert (result.created, result.duplicates, result.ignored) == (2, 6, 1)
    assert result.statement.transactions.count() == 2
    assert set(result.statement.transactions.values_list("booking_date", flat=True)) == {date(2025, 3, 5)}
    assert counts() == (2, 8)


def test_the_same_day_in_camt_after_mt940_adds_nothing():
    import_file(MT940)

    result = import_file(CAMT_V02)

    assert (result.created, result.duplicates) == (0, 3)
    assert result.statement.transactions.count() == 0
    assert counts() == (2, 6)


def test_a_third_identical_transfer_in_a_later_statement_is_new():
    import_file(MT940)
    extra = (
        ":61:2503040304C2000,00NTRFNONREF\r\n"
        ":86:/NAME/KARADENİZ İNŞAAT/IBAN/TR790011100000000011223344/REMI/CARI HESAP ODEMESI\r\n"
    )
    data = edited_mt940(":62F:C250304TRY30000,00", f"{extra}:62F:C250304TRY32000,00")

    result = import_file("later.sta", data=data)

    assert (result.created, result.duplicates) == (1, 6)
    assert BankTransaction.objects.filter(amount=Decimal("2000")).count() == 3


def test_camt_v08_batch_lines_and_csv_profiles_import():
    camt = import_file(CAMT_V08)
    debit_credit = import_file(CSV_DEBIT_CREDIT, profile="tr-debit-credit", account_iban=CSV_DEBIT_CREDIT_ACCOUNT)
    direction = import_file(CSV_DIRECTION, profile="tr-comma-direction")

    assert (camt.created, camt.ignored) == (4, 1)
    assert (debit_credit.created, debit_credit.ignored, debit_credit.zero_skipped) == (3, 1, 1)
    assert debit_credit.statement.account_iban == CSV_DEBIT_CREDIT_ACCOUNT
    invalid = BankTransaction.objects.get(bank_reference="REF-0310-02")
    assert invalid.counterparty_iban == "" and "TR15 0001 0000 0000 1234 5678 91" in invalid.description
    valid = BankTransaction.objects.get(bank_reference="REF-0310-01")
    assert valid.counterparty_iban == "TR750001500000098765432100"
    assert (direction.created, direction.ignored) == (3, 1)
    assert direction.statement.account_iban == "TR140020500000012345600001"


@pytest.mark.parametrize(
    ("name", "kwargs", "message"),
    [
        ("mt940_truncated.sta", {}, "truncated"),
        ("camt053_wrong_namespace.xml", {}, "not a CAMT.053"),
        ("camt053_billion_laughs.xml", {}, "DTD"),
        ("camt053_external_entity.xml", {}, "DTD"),
        ("csv_missing_column.csv", {"profile": "tr-debit-credit", "account_iban": CSV_DEBIT_CREDIT_ACCOUNT}, "Alacak"),
        ("csv_bad_date.csv", {"profile": "tr-signed-amount"}, "31.02.2025"),
        (CSV_SIGNED, {}, "needs a profile"),
        (CSV_SIGNED, {"profile": "nope"}, "no CSV profile"),
        (MT940, {"profile": "tr-signed-amount"}, "CSV files only"),
        (MT940, {"account_iban": CSV_DEBIT_CREDIT_ACCOUNT}, "not of"),
        (CSV_DEBIT_CREDIT, {"profile": "tr-debit-credit", "account_iban": "TR12345"}, "not valid"),
        (MT940, {"format": "ofx"}, "Unknown statement format"),
    ],
)
def test_a_refused_file_leaves_nothing_behind(name, kwargs, message):
    with pytest.raises(StatementError) as caught:
        import_file(name, **kwargs)

    assert message in str(caught.value)
    assert counts() == (0, 0)


def test_account_given_with_an_mt940_file_must_be_its_own():
    assert import_file(MT940, account_iban="TR19 0006 2000 1234 5678 9012 34").created == 6


def test_a_statement_without_account_identification_is_refused():
    data = edited_mt940(":25:TR190006200012345678901234\r\n", ":25:\r\n")

    with pytest.raises(StatementError, match="no account") as caught:
        import_file("no-account.sta", data=data)
    assert (caught.value.line, caught.value.field) == (3, ":25:")
    assert counts() == (0, 0)


def test_a_failure_while_storing_rolls_the_whole_file_back(monkeypatch):
    stored = []

    def failing(statement, account, line, fingerprint):
        if len(stored) == 3:
            raise RuntimeError("disk full")
        stored.append(line)
        return original(statement, account, line, fingerprint)

    original = importer._transaction
    monkeypatch.setattr(importer, "_transaction", failing)

    with pytest.raises(RuntimeError):
        import_file(MT940)

    assert counts() == (0, 0)


def test_a_file_with_statements_of_two_accounts_is_refused():
    data = edited_mt940(
        ":25:TR190006200012345678901234\r\n:28C:00063/1", ":25:TR570006700010000000123456\r\n:28C:00063/1"
    )

    with pytest.raises(StatementError) as caught:
        import_file("two.sta", data=data)

    assert "several accounts" in caught.value.message and caught.value.line == 15
    assert counts() == (0, 0)


def test_empty_and_oversized_files_are_refused(monkeypatch):
    with pytest.raises(StatementError, match="empty"):
        import_file("empty.sta", data=b"  \r\n")
    monkeypatch.setattr(importer, "MAX_STATEMENT_BYTES", 100)
    with pytest.raises(StatementError, match="larger than"):
        import_file(MT940)
    assert counts() == (0, 0)


@pytest.mark.parametrize(
    ("name", "expected"), [(MT940, "mt940"), (CAMT_V08, "camt053"), (CSV_SIGNED, "csv"), (CSV_DIRECTION, "csv")]
)
def test_detect_format(name, expected):
    assert detect_format(sample(name)) == expected


@pytest.mark.parametrize("layout", sorted(BANK_LAYOUTS))
def test_detect_format_recognises_mt940_behind_envelopes_framing_and_preambles(layout):
    assert detect_format(BANK_LAYOUTS[layout]()) == "mt940"


def test_detect_format_refuses_what_it_does_not_know():
    with pytest.raises(StatementError):
        detect_format(b"%PDF-1.7 binary")


def test_fingerprint_ignores_turkish_letters_spacing_and_placeholder_references():
    def key(description, reference="NONREF"):
        return line_key(
            account=ACCOUNT,
            booking_date=date(2025, 3, 4),
            amount=Decimal("2000.00"),
            currency="TRY",
            bank_reference=reference,
            description=description,
        )

    assert compact_key("KARADENİZ İnşaat  Ödemesi") == "karadenizinsaatodemesi"
    assert key("CARİ HESAP ÖDEMESİ") == key("cari hesap odemesi", reference="")
    assert key("A", reference="BR-1") == key("B", reference=" br-1 ")
    assert key("A") != key("B")
    first, second = fingerprints([key("A"), key("A")])
    assert first != second and fingerprints([key("A")]) == [first]


def test_imported_lines_are_matched_at_once():
    from dealers.models import DealerIban
    from dealers.tests.factories import DealerFactory

    first = import_file(MT940)
    sender = first.statement.transactions.filter(amount__gt=0).exclude(counterparty_iban="").first()
    assert sender is not None
    BankTransaction.objects.all().delete()
    first.statement.delete()
    DealerIban.objects.create(dealer=DealerFactory(), iban=sender.counterparty_iban)

    result = import_file(MT940)

    assert result.allocated >= 1 and result.allocated + result.queued == 5
