"""Continuity: each statement must open where the one before it closed, within a file and against what is stored.
A gap is imported with a warning staff see (import result, bank statement admin, matching queue); a repeated day
is recognised, not doubled; interim balances (:60M:/:62M:) chain the pages of a day."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from payments.models import BankStatement, BankTransaction
from payments.statements import mt940_format
from payments.statements.continuity import repeated_from, statement_chain
from payments.statements.importer import statement_import
from payments.statements.mt940_format import parse_mt940
from payments.tests.statement_files import DATA, sample

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}

DAY_10 = "mt940_nonref_2025-03-10.sta"  # opens 1,000.00, closes 1,020.00
DAYS_10_11 = "mt940_nonref_2025-03-10_2025-03-11.sta"  # closes 1,075.50 on the 11th
GAP = "mt940_gap_2025-03-12_2025-03-14.sta"  # the 12th, then the 14th: the 13th is missing
INTERIM = "mt940_interim_2025-03-12.sta"  # two pages of the 12th joined by :62M:/:60M:
REPEATED = "mt940_repeated-day_2025-03-10_2025-03-12.sta"  # 10, 11, 11 again, 12: 12 bank lines
MISSING_13TH = "Lines may be missing between 2025-03-12 and 2025-03-14"


def import_mt940(name: str, data: bytes | None = None):
    return statement_import(file_name=name, data=sample(name) if data is None else data, format="mt940")


def text(name: str) -> str:
    return sample(name).decode("cp1254")


def test_a_gap_between_the_statements_of_a_file_is_imported_with_a_warning():
    result = import_mt940(GAP)

    assert result.created == 2
    [warning] = result.statement.warnings
    assert warning == {
        "kind": "gap",
        "source": "file",
        "before": "2025-03-12",
        "closing": "1095.50",
        "after": "2025-03-14",
        "opening": "1195.50",
        "currency": "TRY",
    }
    [message] = result.warning_texts()
    assert message.startswith(MISSING_13TH) and "1,095.50" in message and "1,195.50" in message


def test_statements_that_join_leave_no_warning():
    result = import_mt940(DAYS_10_11)

    assert result.statement.warnings == [] and result.warning_texts() == []


def test_a_file_that_does_not_join_the_stored_statement_before_it_is_imported_with_a_warning():
    import_mt940(DAYS_10_11)  # closes 1,075.50 on the 11th
    day_14 = text(GAP)[text(GAP).index(":20:EKSTRE20250314") :]

    result = import_mt940("2025-03-14.sta", day_14.encode("cp1254"))

    assert result.created == 1
    [warning] = result.statement.warnings
    assert (warning["source"], warning["before"], warning["closing"], warning["after"], warning["opening"]) == (
        "stored_before",
        "2025-03-11",
        "1075.50",
        "2025-03-14",
        "1195.50",
    )
    assert "already imported for 2025-03-11" in result.warning_texts()[0]


def test_a_file_that_joins_the_stored_statement_before_it_has_no_warning():
    import_mt940(DAYS_10_11)

    result = import_mt940(GAP)  # its 12th opens at the 11th's 1,075.50; only the 13th is missing inside it

    assert [w["source"] for w in result.statement.warnings] == ["file"]


def test_an_older_file_that_does_not_join_the_stored_statement_after_it_is_imported_with_a_warning():
    import_mt940(GAP)  # the 12th opens at 1,075.50
    day_10 = text(DAY_10)  # closes 1,020.00 on the 10th: the 11th is missing

    result = import_mt940("2025-03-10.sta", day_10.encode("cp1254"))

    [warning] = result.statement.warnings
    assert (warning["source"], warning["before"], warning["after"]) == ("stored_after", "2025-03-10", "2025-03-12")


def test_an_overlapping_file_is_not_reported_as_a_gap():
    import_mt940(DAYS_10_11)

    result = import_mt940(DAY_10)

    assert result.created == 0 and result.statement.warnings == []


def test_a_day_repeated_in_one_file_is_stored_once():
    result = import_mt940(REPEATED)

    assert (result.created, result.duplicates) == (12, 3)
    assert BankTransaction.objects.count() == 12
    twins = BankTransaction.objects.filter(booking_date=date(2025, 3, 11), amount=Decimal("20.00"))
    assert twins.count() == 2  # two equal transfers of the 11th stay two
    assert result.statement.warnings == []
    assert (result.statement.opening_balance, result.statement.closing_balance) == (
        Decimal("1000.00"),
        Decimal("1140.50"),
    )


def test_a_file_with_its_days_out_of_order_read_in_small_windows_stores_the_same_lines(monkeypatch):
    def stored() -> list[tuple]:
        return sorted(BankTransaction.objects.values_list("booking_date", "amount", "description", "fingerprint"))

    import_mt940(REPEATED)
    in_order = stored()
    BankTransaction.objects.all().delete()
    BankStatement.objects.all().delete()

    # The days newest first, and each statement read two lines at a time: lines are kept on disk per statement and
    # fingerprinted in date order, so the same lines (with the same fingerprints) are stored.
    blocks = [":20:" + block for block in text(REPEATED).split(":20:") if block.strip()]
    monkeypatch.setattr(mt940_format, "WINDOW", 2)
    result = import_mt940(REPEATED, "".join(reversed(blocks)).encode("cp1254"))

    assert (result.created, result.duplicates) == (12, 3)
    assert stored() == in_order
    assert result.statement.warnings == []


def test_a_day_repeated_across_files_is_stored_once():
    import_mt940(DAYS_10_11)

    result = import_mt940(REPEATED)

    # Added: the 10th's fourth line, the 11th's second equal transfer and the 12th's five lines.
    assert (result.created, BankTransaction.objects.count()) == (7, 12)


def test_interim_pages_of_a_day_chain_and_keep_the_days_balances():
    result = import_mt940(INTERIM)

    statement = result.statement
    assert (statement.opening_balance, statement.closing_balance) == (Decimal("1000.00"), Decimal("1254.57"))
    assert statement.warnings == []
    # The same +20.00 from the same sender on both pages: two transfers.
    assert result.created == 4
    assert BankTransaction.objects.filter(description="EFT GELEN ALTAY YAPI LTD STI ODEME").count() == 2


def test_interim_pages_are_read_as_such():
    first, second = statement_chain(parse_mt940(sample(INTERIM), file_name=INTERIM))

    assert (first.opening_interim, first.closing_interim) == (False, True)
    assert (second.opening_interim, second.closing_interim) == (True, False)
    assert repeated_from([first, second]) == [None, None]


def test_a_file_ending_on_an_interim_balance_warns_that_the_day_goes_on():
    first_page = text(INTERIM)[: text(INTERIM).index(":20:EKSTRE20250312", 10)]

    result = import_mt940("page1.sta", first_page.encode("cp1254"))

    assert [w["kind"] for w in result.statement.warnings] == ["interim_end"]
    assert "ends on an interim balance" in result.warning_texts()[0]


def test_a_file_starting_on_an_interim_balance_nobody_closed_with_warns():
    second_page = text(INTERIM)[text(INTERIM).index(":20:EKSTRE20250312", 10) :]

    result = import_mt940("page2.sta", second_page.encode("cp1254"))

    assert [w["kind"] for w in result.statement.warnings] == ["interim_start"]


def test_the_whole_day_after_its_first_page_adds_only_the_second_page():
    first_page = text(INTERIM)[: text(INTERIM).index(":20:EKSTRE20250312", 10)]
    whole_day = (
        first_page.replace(":62M:C250312TRY1100,00", "")
        + text(INTERIM)[text(INTERIM).index(":61:", text(INTERIM).index(":60M:")) :]
    )
    import_mt940("page1.sta", first_page.encode("cp1254"))

    result = import_mt940("whole-day.sta", whole_day.encode("cp1254"))

    assert (result.created, result.duplicates) == (2, 2)
    assert BankTransaction.objects.count() == 4


def test_a_page_then_the_whole_day_in_one_file_is_stored_once():
    first_page = text(INTERIM)[: text(INTERIM).index(":20:EKSTRE20250312", 10)]
    whole_day = (
        first_page.replace(":62M:C250312TRY1100,00", "")
        + text(INTERIM)[text(INTERIM).index(":61:", text(INTERIM).index(":60M:")) :]
    )

    result = import_mt940("both.sta", (first_page + whole_day).encode("cp1254"))

    assert (result.created, result.duplicates) == (4, 2)
    assert (result.statement.opening_balance, result.statement.closing_balance) == (
        Decimal("1000.00"),
        Decimal("1254.57"),
    )
    assert result.statement.warnings == []


def test_the_admin_shows_the_warning_on_the_import_the_statement_and_the_matching_queue(staff_client):
    response = staff_client.post(
        reverse("admin:payments_bankstatement_import"),
        {"file": SimpleUploadedFile(GAP, sample(GAP)), "format": "mt940"},
        follow=True,
        **EN,
    )
    statement = BankStatement.objects.get()

    assert MISSING_13TH in response.content.decode()  # the import result, on the statement's page
    change = staff_client.get(reverse("admin:payments_bankstatement_change", args=[statement.pk]), **EN)
    assert MISSING_13TH in change.content.decode()
    listed = staff_client.get(reverse("admin:payments_bankstatement_changelist") + "?continuity=gaps", **EN)
    assert listed.context["cl"].result_count == 1 and "⚠ 1" in listed.content.decode()
    queue = staff_client.get(reverse("admin:payments_unmatchedtransfer_changelist"), **EN)
    assert MISSING_13TH in queue.content.decode()


def test_the_matching_queue_is_quiet_when_the_statements_join(staff_client):
    import_mt940(DAYS_10_11)

    queue = staff_client.get(reverse("admin:payments_unmatchedtransfer_changelist"), **EN)

    assert "Lines may be missing" not in queue.content.decode()


def test_the_command_prints_the_warning(capsys):
    call_command("bank_statement_import", str(DATA / GAP), "--format", "mt940")

    assert MISSING_13TH in capsys.readouterr().err
