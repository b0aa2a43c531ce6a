"""Lines without a transaction type code (``:61:…C20,00NONREF``) are read with their own reference, and the
fingerprint tells genuinely different lines apart while recognising the same line in another file: the CAMT.053
of the same day, the same statement sent again with lines added, two files overlapping by a day."""

import hashlib
import importlib
from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
from django.apps import apps

from payments.models import BankStatement, BankTransaction
from payments.statements.importer import statement_import
from payments.statements.mt940_format import parse_mt940
from payments.tests.statement_files import sample

pytestmark = pytest.mark.django_db

# A Turkish bank's MT940 whose :61: lines carry no transaction type code, only NONREF or a reference after "//".
DAY_10 = "mt940_nonref_2025-03-10.sta"
DAYS_10_11 = "mt940_nonref_2025-03-10_2025-03-11.sta"
CAMT_DAY_10 = "camt053_nonref_2025-03-10.xml"
TEXTS_DAY_10 = ["EFT GELEN ALTAY YAPI LTD STI ODEME", "EFT GELEN BORA MAKINA ODEME", "POS KOMISYONU MART"]


def text(name: str) -> str:
    return sample(name).decode("cp1254")


def import_mt940(name: str, data: bytes | None = None):
    return statement_import(file_name=name, data=sample(name) if data is None else data, format="mt940")


def test_lines_without_a_type_code_are_read_with_their_own_reference():
    [statement] = parse_mt940(sample(DAY_10), file_name=DAY_10)

    assert [line.amount for line in statement.lines] == [Decimal("20.00"), Decimal("20.00"), Decimal("-20.00")]
    assert [line.bank_reference for line in statement.lines] == ["NONREF", "NONREF", "K0310-3"]
    assert [line.description for line in statement.lines] == TEXTS_DAY_10


def test_a_type_code_followed_by_a_reference_is_still_read_as_before():
    data = text(DAY_10).replace(":61:2503100310D20,00NONREF//K0310-3", ":61:2503100310D20,00NMSCK0310-3//B-77")
    [statement] = parse_mt940(data.encode("cp1254"), file_name=DAY_10)

    assert statement.lines[2].bank_reference == "B-77"
    data = text(DAY_10).replace(":61:2503100310D20,00NONREF//K0310-3", ":61:2503100310D20,00NMSCK0310-3")
    [statement] = parse_mt940(data.encode("cp1254"), file_name=DAY_10)
    assert statement.lines[2].bank_reference == "K0310-3"


def test_stored_lines_keep_no_placeholder_reference():
    import_mt940(DAY_10)

    stored = BankTransaction.objects.order_by("pk")
    assert [line.bank_reference for line in stored] == ["", "", "K0310-3"]
    assert [line.description for line in stored] == TEXTS_DAY_10


def test_the_camt_of_the_same_day_recognises_every_line():
    import_mt940(DAY_10)

    camt = statement_import(file_name=CAMT_DAY_10, data=sample(CAMT_DAY_10), format="camt053")

    assert (camt.created, camt.duplicates) == (0, 3)
    assert BankTransaction.objects.count() == 3


def test_the_mt940_of_the_same_day_recognises_every_line_of_the_camt():
    statement_import(file_name=CAMT_DAY_10, data=sample(CAMT_DAY_10), format="camt053")

    mt940 = import_mt940(DAY_10)

    assert (mt940.created, mt940.duplicates) == (0, 3)


def test_a_different_line_of_the_same_day_and_amount_in_a_later_file_is_kept():
    import_mt940(DAY_10)
    # The next day's statement brings a credit value-dated the 10th (no entry date): same day, same +20.00,
    # another sender.
    day_11 = (
        ":20:EKSTRE20250311\r\n:25:TR190006200012345678901234/TRY\r\n:28C:00070/00001\r\n:60F:C250310TRY1020,00\r\n"
        ":61:250310C20,00NONREF\r\n:86:EFT GELEN DERE GIDA ODEME\r\n:62F:C250311TRY1040,00\r\n"
    )

    result = import_mt940("2025-03-11.sta", day_11.encode("cp1254"))

    assert (result.created, result.duplicates) == (1, 0)
    on_the_10th = BankTransaction.objects.filter(booking_date=date(2025, 3, 10), amount=Decimal("20.00"))
    assert sorted(on_the_10th.values_list("description", flat=True)) == [
        "EFT GELEN ALTAY YAPI LTD STI ODEME",
        "EFT GELEN BORA MAKINA ODEME",
        "EFT GELEN DERE GIDA ODEME",
    ]


def test_the_statement_sent_again_with_a_line_added_at_the_end_adds_only_that_line():
    import_mt940(DAY_10)
    added = ":61:2503100310C20,00NONREF\r\n:86:EFT GELEN CINAR ELEKTRIK ODEME\r\n:62F:C250310TRY1040,00"
    data = text(DAY_10).replace(":62F:C250310TRY1020,00", added).encode("cp1254")

    result = import_mt940("resent.sta", data)

    assert (result.created, result.duplicates) == (1, 3)
    assert result.statement.transactions.get().description == "EFT GELEN CINAR ELEKTRIK ODEME"


def test_a_second_identical_line_sent_later_in_the_day_is_a_new_line():
    import_mt940(DAY_10)
    again = ":61:2503100310C20,00NONREF\r\n:86:EFT GELEN BORA MAKINA ODEME\r\n:62F:C250310TRY1040,00"
    data = text(DAY_10).replace(":62F:C250310TRY1020,00", again).encode("cp1254")

    result = import_mt940("resent.sta", data)

    assert (result.created, result.duplicates) == (1, 3)
    assert BankTransaction.objects.filter(description="EFT GELEN BORA MAKINA ODEME").count() == 2


@pytest.mark.parametrize("first", [DAY_10, CAMT_DAY_10])
def test_two_files_overlapping_by_a_day_store_each_line_once(first):
    statement_import(file_name=first, data=sample(first), format="camt053" if first.endswith(".xml") else "mt940")

    result = import_mt940(DAYS_10_11)

    assert (result.created, result.duplicates) == (2, 3)
    assert set(result.statement.transactions.values_list("booking_date", flat=True)) == {date(2025, 3, 11)}
    assert BankTransaction.objects.count() == 5


def test_the_day_already_stored_in_a_longer_file_is_recognised_in_the_single_day_file():
    import_mt940(DAYS_10_11)

    assert (import_mt940(DAY_10).created, BankTransaction.objects.count()) == (0, 5)


ACCOUNT = "TR190006200012345678901234"


def _stored_as_before(texts_and_references: list[tuple[str, str]], *, status="unmatched") -> list[BankTransaction]:
    """The 10th's lines as the reader stored them before: each NONREF line with the reference "EF" and a fingerprint
    of "ref:EF", its occurrence counted among the lines of the same amount."""
    statement = BankStatement.objects.create(account_iban=ACCOUNT, format="mt940", file_sha256="e" * 64)
    stored, seen = [], Counter()
    for description, reference in texts_and_references:
        amount = Decimal("-20.00") if reference == "K0310-3" else Decimal("20.00")
        key = "|".join((ACCOUNT, "2025-03-10", f"{amount:.2f}", "TRY", f"ref:{reference}"))
        fingerprint = hashlib.sha256(f"{key}|{seen[key]}".encode()).hexdigest()
        seen[key] += 1
        stored.append(
            BankTransaction.objects.create(
                statement=statement,
                account_iban=ACCOUNT,
                booking_date=date(2025, 3, 10),
                amount=amount,
                currency="TRY",
                description=description,
                bank_reference=reference,
                fingerprint=fingerprint,
                status=status,
            )
        )
    return stored


def _repair():
    importlib.import_module("payments.migrations.0009_mt940_placeholder_references").forwards(apps, None)


def test_lines_stored_with_the_placeholder_reference_are_repaired_and_recognised_by_the_file():
    stored = _stored_as_before([(TEXTS_DAY_10[0], "EF"), (TEXTS_DAY_10[1], "EF"), (TEXTS_DAY_10[2], "K0310-3")])
    before = [line.fingerprint for line in stored]

    _repair()

    after = list(BankTransaction.objects.order_by("pk"))
    assert [line.bank_reference for line in after] == ["", "", "K0310-3"]
    assert after[0].fingerprint != before[0] and after[2].fingerprint == before[2]
    # The day's file, read as it is read now, finds every line already stored.
    result = import_mt940(DAY_10)
    assert (result.created, result.duplicates) == (0, 3)


def test_without_the_repair_the_same_file_would_store_the_placeholder_lines_again():
    _stored_as_before([(TEXTS_DAY_10[0], "EF"), (TEXTS_DAY_10[1], "EF"), (TEXTS_DAY_10[2], "K0310-3")])

    result = import_mt940(DAY_10)

    assert (result.created, result.duplicates) == (2, 1)


def test_a_placeholder_line_already_stored_again_correctly_is_set_aside_and_one_not_reproduced_is_left():
    [old_altay, old_bora] = _stored_as_before([(TEXTS_DAY_10[0], "EF"), (TEXTS_DAY_10[1], "EF")])
    BankTransaction.objects.filter(pk=old_bora.pk).update(fingerprint="b" * 64)  # not the old key's: left alone
    correct = import_mt940(DAY_10)  # read correctly: Altay's line stored a second time, under its text
    assert correct.created == 3

    _repair()

    old_altay.refresh_from_db()
    old_bora.refresh_from_db()
    assert old_altay.status == BankTransaction.Status.IGNORED
    assert old_altay.status_reason.startswith("duplicate of bank transaction ")
    assert (old_bora.bank_reference, old_bora.fingerprint, old_bora.status) == ("EF", "b" * 64, "unmatched")
