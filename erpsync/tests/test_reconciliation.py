"""Reconciliation exports: each report's rows, flags and totals on a small data set, the dealer filter, CSV and XLSX
files (formula cells escaped, numbers kept numbers), the admin flow from the add form to the download, a failed run,
and an export of 100,000 rows written in flat memory. Also the shared spreadsheet writers themselves."""

from __future__ import annotations

import csv
import dataclasses
import gc
import io
import os
import sys
import uuid
import zipfile
from datetime import date, datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from b2bportal.bulk import model_rows_insert
from b2bportal.spreadsheets import cell_value, csv_chunks, safe_text
from dealers.models import AccountEntry, Dealer, DealerDocument, DealerIban
from dealers.tests.factories import DealerFactory
from erpsync.models import ErpConnection, ReconciliationExport, SyncJob
from erpsync.reconciliation import REPORTS, TotalRow, export_file_write, order_rows, reconciliation_export_request
from orders.models import OrderStatusChange
from orders.status import OrderStatus as S
from orders.tests.factories import OrderFactory
from payments.gateways.base import Outcome, OutcomeStatus
from payments.matching import statement_match
from payments.models import Allocation, BankStatement, BankTransaction, Payment
from payments.services import payment_apply

pytestmark = pytest.mark.django_db
D = Decimal
R = ReconciliationExport.Report
MARCH = (date(2026, 3, 1), date(2026, 3, 31))
NOW = timezone.make_aware(datetime(2026, 3, 31, 12, 0))
FORMULAS = ['=HYPERLINK("http://x")', "-2+3", "@SUM(A1)", "+1", "\tTab Ltd.", "\rCR Ltd."]


@pytest.fixture(autouse=True)
def export_dir(settings, tmp_path):
    settings.RECONCILIATION_EXPORT_DIR = tmp_path / "exports"
    return settings.RECONCILIATION_EXPORT_DIR


@pytest.fixture
def erp(tmp_path):
    return ErpConnection.objects.create(
        code="files", name="Files", adapter="file", is_default=True, settings={"root": str(tmp_path / "erp")}
    )


def in_march(day: int, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime(2026, 3, day, hour, 0))


def export_of(report: str, *, dealer=None, file_format="csv", period=MARCH) -> ReconciliationExport:
    return ReconciliationExport(
        report=report, format=file_format, period_from=period[0], period_to=period[1], dealer=dealer
    )


def rows_of(report: str, **kwargs) -> tuple[dict[str, tuple], list[TotalRow]]:
    """The data rows keyed by their first column (order number, portal reference, dealer code), and the totals."""
    rows = list(REPORTS[report].rows(export_of(report, **kwargs)))
    data = [row for row in rows if not isinstance(row, TotalRow)]
    assert rows[len(data) :] == [row for row in rows if isinstance(row, TotalRow)], "totals come last"
    return {row[0]: row for row in data}, [row for row in rows if isinstance(row, TotalRow)]


def invoice(order, number, gross, *, kind="invoice", currency="TRY", day=20) -> DealerDocument:
    return DealerDocument.objects.create(
        dealer=order.dealer,
        order=order,
        kind=kind,
        number=number,
        issued_on=date(2026, 3, day),
        gross=D(gross),
        currency=currency,
    )


def job(kind, key, object_id, status, *, connection, amount=None, external_id="") -> SyncJob:
    return SyncJob.objects.create(
        connection=connection,
        kind=kind,
        identity_key=key,
        object_id=object_id,
        status=status,
        external_id=external_id,
        payload={"amount": str(amount)} if amount is not None else {},
    )


# --- Orders ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def orders(erp):
    dealer, other = DealerFactory(code="120.001"), DealerFactory(code="120.002")
    made = {
        "matched": OrderFactory(dealer=dealer, number="P-1", status=S.INVOICED, erp_document_number="SO-1",
                                placed_at=in_march(2)),
        "differs": OrderFactory(dealer=dealer, number="P-2", status=S.INVOICED, erp_document_number="SO-2",
                                placed_at=in_march(3)),
        "missing": OrderFactory(dealer=dealer, number="P-3", status=S.APPROVED, placed_at=in_march(4)),
        "dead": OrderFactory(dealer=dealer, number="P-4", status=S.APPROVED, placed_at=in_march(5)),
        "cancelled": OrderFactory(dealer=dealer, number="P-5", status=S.CANCELLED, erp_document_number="SO-5",
                                  placed_at=in_march(6)),
        "euro": OrderFactory(dealer=dealer, number="P-6", status=S.SHIPPED, erp_document_number="SO-6",
                             currency="EUR", total_gross=D("300.00"), placed_at=in_march(7)),
        "recent": OrderFactory(dealer=dealer, number="P-7", status=S.APPROVED, placed_at=NOW - timedelta(hours=2)),
        "partial": OrderFactory(dealer=dealer, number="P-8", status=S.PARTIALLY_SHIPPED, erp_document_number="SO-8",
                                placed_at=in_march(8)),
        "other_dealer": OrderFactory(dealer=other, number="P-9", status=S.SUBMITTED, placed_at=in_march(9)),
        "april": OrderFactory(dealer=dealer, number="P-10", status=S.SUBMITTED, placed_at=in_march(31, 23)
                              + timedelta(hours=2)),
    }  # fmt: skip
    invoice(made["matched"], "INV-1", "1200.00")
    invoice(made["differs"], "INV-2", "1300.00", day=21)
    invoice(made["differs"], "INV-2B", "100.00", day=22)
    invoice(made["differs"], "CM-2", "150.00", kind="credit_memo")
    invoice(made["cancelled"], "INV-5", "1200.00")
    invoice(made["euro"], "INV-6", "9000.00", currency="TRY")
    invoice(made["partial"], "INV-8", "400.00")
    matched = made["matched"]
    for to_status, source in ((S.CONFIRMED, "erp"), (S.INVOICED, "erp"), (S.INVOICED, "staff")):
        OrderStatusChange.objects.create(order=matched, from_status=S.SENT_TO_ERP, to_status=to_status, source=source)
    job(SyncJob.Kind.ORDER_EXPORT, "order:P-4", made["dead"].pk, SyncJob.Status.DEAD, connection=erp)
    return made


def order_report(**kwargs):
    rows = list(order_rows(export_of(R.ORDERS, **kwargs), now=NOW))
    return {row[0]: row for row in rows if not isinstance(row, TotalRow)}, [r for r in rows if isinstance(r, TotalRow)]


def test_orders_rows_and_flags(orders):
    rows, _totals = order_report()

    assert "P-10" not in rows, "placed on 1 April in the portal's time zone"
    assert set(rows) == {f"P-{n}" for n in range(1, 10)}
    matched = rows["P-1"]
    assert matched == (
        "P-1", "120.001", orders["matched"].dealer.title, "SO-1", date(2026, 3, 2), "INV-1", "2026-03-20", "TRY",
        D("1200.00"), D("1200.00"), "Invoiced", "Invoiced", D("0.00"), "",
    )  # fmt: skip
    differs = rows["P-2"]
    assert (differs[5], differs[6]) == ("INV-2, INV-2B", "2026-03-21, 2026-03-22")
    assert (differs[9], differs[12], differs[-1]) == (D("1250.00"), D("-50.00"), "amounts differ")
    assert rows["P-2"][11] == "", "no status from the ERP"
    assert rows["P-3"][-1] == "not in the ERP"
    assert rows["P-4"][-1] == "export failed — needs a human"
    assert rows["P-5"][-1] == "cancelled in the portal but invoiced in the ERP"
    assert rows["P-6"][-1] == "ERP documents in TRY, order in EUR"
    assert (rows["P-6"][9], rows["P-6"][12]) == (None, None)
    assert rows["P-7"][-1] == "", "approved two hours ago: not yet expected in the ERP"
    assert rows["P-8"][-1] == "partly invoiced so far"
    assert rows["P-9"][-1] == "", "submitted, not approved: the ERP is not expected to know it"


def test_orders_totals_per_currency(orders):
    rows, totals = order_report()

    by_currency = {row[7]: row for row in totals}
    assert set(by_currency) == {"EUR", "TRY"}
    try_total = by_currency["TRY"]
    assert try_total[0] == "Total: 8 rows"
    assert try_total[8] == sum(row[8] for row in rows.values() if row[7] == "TRY")
    assert try_total[9] == D("1200") + D("1250") + D("1200") + D("400")
    assert try_total[12] == D("0") + D("-50") + D("0") + D("800")
    assert try_total[-1] == "5 differ"
    assert by_currency["EUR"][8] == D("300.00")


def test_orders_dealer_filter(orders):
    rows, totals = order_report(dealer=orders["other_dealer"].dealer)

    assert list(rows) == ["P-9"]
    assert len(totals) == 1 and totals[0][0] == "Total: 1 rows"


def test_a_succeeded_order_export_stands_in_for_a_missing_document_number(orders, erp):
    missing = orders["missing"]
    job(SyncJob.Kind.ORDER_EXPORT, "order:P-3", missing.pk, SyncJob.Status.SUCCEEDED, connection=erp,
        external_id="DOC-77")  # fmt: skip

    rows, _totals = order_report()

    assert (rows["P-3"][3], rows["P-3"][-1]) == ("DOC-77", "")


# --- Payments -------------------------------------------------------------------------------------------------------


def card(dealer, amount, *, status=Payment.Status.SUCCEEDED, refunded="0", day=10, **kwargs) -> Payment:
    return Payment.objects.create(
        dealer=dealer,
        method=Payment.Method.CARD,
        gateway="sandbox",
        provider_payment_id=kwargs.pop("provider_payment_id", f"prov-{uuid.uuid4().hex[:8]}"),
        amount=D(amount),
        refunded_amount=D(refunded),
        status=status,
        confirmed_at=in_march(day),
        **kwargs,
    )


def collection(payment, status, *, connection, amount=None, external_id="") -> SyncJob:
    return job(SyncJob.Kind.PAYMENT_EXPORT, f"payment:{payment.reference}", payment.pk, status, connection=connection,
               amount=payment.amount if amount is None else amount, external_id=external_id)  # fmt: skip


@pytest.fixture
def statement():
    return BankStatement.objects.create(account_iban="TR120006200000000000000001", format="csv", file_sha256="b" * 64)


def transfer(
    statement, amount, *, day=12, value_day=None, reference="", status="unmatched", booked=None, iban="", pk=None
):
    return BankTransaction.objects.create(
        pk=pk,
        statement=statement,
        account_iban=statement.account_iban,
        counterparty_iban=iban,
        booking_date=booked or date(2026, 3, day),
        value_date=date(2026, 3, value_day) if value_day else None,
        amount=D(amount),
        bank_reference=reference,
        fingerprint=uuid.uuid4().hex,
        status=status,
    )


SHARED_PK = 900_000_001


@pytest.fixture
def payments(erp, statement):
    dealer, other = DealerFactory(code="120.010"), DealerFactory(code="120.011")
    # The posted card payment and the allocated transfer share an id, as rows of two tables may: their collections
    # carry the same object id and are told apart by their keys.
    posted = card(dealer, "500.00", commission=D("12.50"), provider_payment_id="iyz-1", pk=SHARED_PK)
    collection(posted, SyncJob.Status.SUCCEEDED, connection=erp, external_id="COL-1")
    unposted = card(dealer, "250.00")
    dead = card(dealer, "300.00")
    collection(dead, SyncJob.Status.DEAD, connection=erp)
    refunded = card(dealer, "500.00", status=Payment.Status.PARTIALLY_REFUNDED, refunded="100.00")
    collection(refunded, SyncJob.Status.SUCCEEDED, connection=erp, external_id="COL-4")
    waiting = card(other, "75.00")
    collection(waiting, SyncJob.Status.RETRYING, connection=erp)
    card(dealer, "999.00", status=Payment.Status.FAILED)
    early = card(dealer, "111.00", day=1)
    outside = card(dealer, "123.00")
    Payment.objects.filter(pk=outside.pk).update(confirmed_at=timezone.make_aware(datetime(2026, 4, 1, 0, 30)))

    allocated = transfer(statement, "800.00", reference="EFT-1", value_day=14, status="allocated", pk=SHARED_PK)
    Allocation.objects.create(dealer=dealer, bank_transaction=allocated, amount=D("800.00"))
    job(SyncJob.Kind.PAYMENT_EXPORT, f"bank:{allocated.pk}:0", allocated.pk, SyncJob.Status.SUCCEEDED, connection=erp,
        amount="800.00", external_id="COL-B1")  # fmt: skip
    unmatched = transfer(statement, "60.00", reference="EFT-2")
    partial = transfer(statement, "1000.00", reference="EFT-3", status="partial")
    Allocation.objects.create(dealer=other, bank_transaction=partial, amount=D("600.00"))
    transfer(statement, "-50.00", reference="FEE")  # money out: not a dealer's payment
    transfer(statement, "70.00", reference="EFT-LATE", booked=date(2026, 4, 1))
    return {"dealer": dealer, "other": other, "posted": posted, "unposted": unposted, "dead": dead,
            "refunded": refunded, "waiting": waiting, "early": early, "allocated": allocated, "unmatched": unmatched,
            "partial": partial}  # fmt: skip


def test_payments_rows_and_flags(payments):
    data = list(REPORTS[R.PAYMENTS].rows(export_of(R.PAYMENTS)))
    by_ref = {row[4]: row for row in data if not isinstance(row, TotalRow)}
    totals = [row for row in data if isinstance(row, TotalRow)]

    p = payments
    assert set(by_ref) == {
        str(p[k].reference) for k in ("posted", "unposted", "dead", "refunded", "waiting", "early")
    } | {f"BNK-{p[k].pk}" for k in ("allocated", "unmatched", "partial")}
    posted = by_ref[str(p["posted"].reference)]
    assert posted[:2] == ("Card", date(2026, 3, 10))
    assert posted[5:11] == ("iyz-1", "", "", "COL-1", "Succeeded", "TRY")
    assert posted[11:] == (D("500.00"), D("0.00"), D("12.50"), D("500.00"), D("500.00"), D("0.00"), "")
    assert by_ref[str(p["unposted"].reference)][-1] == "not posted to the ERP"
    assert by_ref[str(p["unposted"].reference)][-2] == D("250.00")
    assert by_ref[str(p["dead"].reference)][-1] == "export failed — needs a human"
    assert by_ref[str(p["dead"].reference)][9] == "Needs a human"
    refunded = by_ref[str(p["refunded"].reference)]
    assert (refunded[14], refunded[15], refunded[16]) == (D("400.00"), D("500.00"), D("-100.00"))
    assert refunded[-1] == "refund not posted to the ERP"
    assert by_ref[str(p["waiting"].reference)][-1] == "waiting to be posted to the ERP"
    bank = by_ref[f"BNK-{p['allocated'].pk}"]
    assert bank[:4] == ("Bank transfer", date(2026, 3, 14), "120.010", p["dealer"].title)
    assert bank[6:10] == ("EFT-1", "", "COL-B1", "Succeeded")
    assert bank[11:] == (D("800.00"), None, None, D("800.00"), D("800.00"), D("0.00"), "")
    assert by_ref[f"BNK-{p['unmatched'].pk}"][-1] == "not allocated to a dealer"
    assert by_ref[f"BNK-{p['partial'].pk}"][-1] == "only partly allocated; not posted to the ERP"
    assert len(totals) == 1 and totals[0][0] == "Total: 9 rows" and totals[0][-1] == "7 differ"
    assert totals[0][11] == D("3596.00"), "500 + 250 + 300 + 500 + 75 + 111 + 800 + 60 + 1000"
    assert totals[0][16] == sum(row[16] for row in by_ref.values())


def test_payments_dealer_filter(payments):
    data = list(REPORTS[R.PAYMENTS].rows(export_of(R.PAYMENTS, dealer=payments["other"])))

    assert [row[4] for row in data if not isinstance(row, TotalRow)] == [
        str(payments["waiting"].reference),
        f"BNK-{payments['partial'].pk}",
    ]


def test_collections_queued_by_the_payment_services_are_linked(erp, statement, settings):
    """The real services queue the collections: a card payment confirmed by its provider and a transfer from a
    known IBAN matched automatically. The report finds both jobs, then shows them posted once the ERP took them."""
    dealer = DealerFactory(code="120.020")
    payment = Payment.objects.create(dealer=dealer, method=Payment.Method.CARD, gateway="sandbox",
                                     amount=D("640.00"), status=Payment.Status.PENDING)  # fmt: skip
    payment_apply(
        gateway_key="sandbox",
        outcome=Outcome(reference=str(payment.reference), status=OutcomeStatus.SUCCEEDED, provider_payment_id="sb-1",
                        amount=D("640.00"), currency="TRY", commission=D("9.60")),
    )  # fmt: skip
    DealerIban.objects.create(dealer=dealer, iban="TR330006100519786457841326")
    tx = transfer(statement, "1500.00", reference="EFT-9", day=15, iban="TR330006100519786457841326")
    statement_match()
    period = (date(2026, 3, 1), max(timezone.localdate(), date(2026, 3, 31)))

    before = {row[4]: row for row in REPORTS[R.PAYMENTS].rows(export_of(R.PAYMENTS, period=period))}
    SyncJob.objects.filter(kind=SyncJob.Kind.PAYMENT_EXPORT).update(status=SyncJob.Status.SUCCEEDED, external_id="X")
    after = {row[4]: row for row in REPORTS[R.PAYMENTS].rows(export_of(R.PAYMENTS, period=period))}

    card_key, bank_key = str(payment.reference), f"BNK-{tx.pk}"
    assert before[card_key][-1] == before[bank_key][-1] == "waiting to be posted to the ERP"
    assert (after[card_key][13], after[card_key][15], after[card_key][-1]) == (D("9.60"), D("640.00"), "")
    assert (after[bank_key][2], after[bank_key][15], after[bank_key][-1]) == ("120.020", D("1500.00"), "")


# --- Balances -------------------------------------------------------------------------------------------------------


def movement(erp, dealer, amount, *, currency="TRY") -> AccountEntry:
    return AccountEntry.objects.create(
        connection=erp,
        erp_id=uuid.uuid4().hex,
        dealer=dealer,
        kind=AccountEntry.Kind.INVOICE if D(amount) > 0 else AccountEntry.Kind.COLLECTION,
        posted_on=date(2026, 3, 1),
        amount=D(amount),
        currency=currency,
        as_of=NOW,
    )


@pytest.fixture
def balances(erp):
    agreed = DealerFactory(code="A1", erp_balance=D("1000.00"), erp_balance_as_of=NOW)
    movement(erp, agreed, "600.00")
    movement(erp, agreed, "400.00")
    disagree = DealerFactory(code="A2", erp_balance=D("500.00"))
    movement(erp, disagree, "300.00")
    unsynced = DealerFactory(code="A3", erp_balance=D("250.00"))
    DealerFactory(code="A4", erp_balance=D("0.00"))
    negative = DealerFactory(code="A5", title=FORMULAS[0], erp_balance=D("-150.50"))
    movement(erp, negative, "-150.50")
    movement(erp, negative, "20.00", currency="USD")
    return {"agreed": agreed, "disagree": disagree, "unsynced": unsynced, "negative": negative}


def test_balances_rows_and_flags(balances):
    rows, totals = rows_of(R.BALANCES)

    assert list(rows) == ["A1", "A2", "A3", "A4", "A5"]
    assert rows["A1"][2:] == ("TRY", D("1000.00"), NOW, D("1000.00"), 2, None, D("0.00"), "")
    assert (rows["A2"][5], rows["A2"][8], rows["A2"][-1]) == (D("300.00"), D("200.00"), "ERP balance and movements "
                                                             "disagree")  # fmt: skip
    assert (rows["A3"][5], rows["A3"][6], rows["A3"][-1]) == (D(0), 0, "no movements synced")
    assert rows["A4"][-1] == ""
    assert (rows["A5"][5], rows["A5"][-1]) == (D("-150.50"), "movements in another currency: USD")
    assert len(totals) == 1
    assert totals[0][3] == D("1000") + D("500") + D("250") + D("0") + D("-150.50")
    assert totals[0][8] == D("450.00") and totals[0][-1] == "3 differ"


def test_balances_dealer_filter_and_header_says_as_of_now(balances):
    rows, totals = rows_of(R.BALANCES, dealer=balances["disagree"])
    header = [str(c.label) for c in REPORTS[R.BALANCES].columns(export_of(R.BALANCES))]

    assert list(rows) == ["A2"] and totals[0][0] == "Total: 1 rows"
    assert header[5].startswith("Sum of movements, as of ")


# --- Files ----------------------------------------------------------------------------------------------------------


@pytest.fixture
def formula_dealers(erp):
    for n, title in enumerate(FORMULAS):
        dealer = DealerFactory(code=f"F{n}", title=title, erp_balance=D("-2.50"))
        movement(erp, dealer, "-2.50")


def test_csv_escapes_formula_text_and_keeps_negative_numbers(formula_dealers):
    out = io.BytesIO()
    export_file_write(export_of(R.BALANCES), out)

    text = out.getvalue().decode("utf-8")
    assert text.startswith("\ufeffDealer,Dealer title,Currency,ERP balance")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    titles = [row[1] for row in rows[1:-1]]
    assert titles == ["'" + title for title in FORMULAS]
    assert {row[3] for row in rows[1:-1]} == {"-2.50"}, "negative amounts stay plain numbers"
    assert rows[-1][0] == "Total: 6 rows" and rows[-1][3] == "-15.00"


def test_xlsx_escapes_formula_text_formats_money_and_bolds_totals(formula_dealers, tmp_path):
    path = tmp_path / "balances.xlsx"
    export_file_write(export_of(R.BALANCES, file_format="xlsx"), str(path))

    sheet = openpyxl.load_workbook(path).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("Dealer", "Dealer title", "Currency", "ERP balance")
    assert [row[1] for row in rows[1:-1]] == ["'" + title for title in FORMULAS]
    assert all(sheet.cell(row=r, column=2).data_type == "s" for r in range(2, len(rows)))
    balance = sheet.cell(row=2, column=4)
    assert (balance.value, balance.data_type, balance.number_format) == (-2.5, "n", "#,##0.00")
    total = sheet.cell(row=len(rows), column=1)
    assert total.value == "Total: 6 rows" and total.font.b
    assert sheet.cell(row=len(rows), column=4).value == -15 and not sheet.cell(row=2, column=1).font.b


def test_xlsx_orders_file_has_dates_and_money(orders, tmp_path):
    path = tmp_path / "orders.xlsx"
    progress = export_file_write(export_of(R.ORDERS, file_format="xlsx"), str(path))

    sheet = openpyxl.load_workbook(path).active
    rows = list(sheet.iter_rows(values_only=True))
    assert progress.done == 9 and len(rows) == 1 + 9 + 2
    first = sheet.cell(row=2, column=5)
    assert (first.value, first.number_format) == (datetime(2026, 3, 2), "yyyy-mm-dd")
    assert sheet.cell(row=2, column=9).number_format == "#,##0.00"


# --- The admin flow -------------------------------------------------------------------------------------------------


def add_export(client, **data):
    return client.post(
        reverse("admin:erpsync_reconciliationexport_add"),
        {"report": "balances", "format": "xlsx", "period_from": "2026-03-01", "period_to": "2026-03-31", "dealer": "",
         **data},
    )  # fmt: skip


def test_admin_add_runs_the_task_and_staff_download_the_file(
    staff_client, superuser, balances, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = add_export(staff_client)

    assert response.status_code == 302
    export = ReconciliationExport.objects.get()
    assert (export.status, export.requested_by, export.rows_total, export.rows_done, export.rows_flagged) == (
        "done", superuser, 5, 5, 3,
    )  # fmt: skip
    assert export.file.name.endswith(".xlsx") and export.file.path.startswith(str(export.file.storage.location))
    listing = staff_client.get(reverse("admin:erpsync_reconciliationexport_changelist"))
    download = reverse("admin:erpsync_reconciliationexport_download", args=[export.pk])
    assert download in listing.content.decode() and 'http-equiv="refresh"' not in listing.content.decode()
    assert staff_client.get(reverse("admin:erpsync_reconciliationexport_change", args=[export.pk])).status_code == 200

    response = staff_client.get(download)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert 'filename="reconciliation-balances.xlsx"' in response["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert workbook.active.cell(row=2, column=1).value == "A1"


def test_the_download_is_for_staff_with_the_view_permission(client, balances, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        export = reconciliation_export_request(
            report="orders", file_format="csv", period_from=MARCH[0], period_to=MARCH[1], dealer=balances["agreed"]
        )
    export.refresh_from_db()
    url = reverse("admin:erpsync_reconciliationexport_download", args=[export.pk])
    dealer_user, staff, accountant = UserFactory(), UserFactory(is_staff=True), UserFactory(is_staff=True)
    accountant.user_permissions.add(Permission.objects.get(codename="view_reconciliationexport"))

    client.logout()
    assert client.get(url).status_code == 302, "anonymous: to the login page"
    client.force_login(dealer_user)
    assert client.get(url).status_code == 302, "not staff: to the admin login page"
    client.force_login(staff)
    assert client.get(url).status_code == 403, "staff without the permission"
    client.force_login(accountant)
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="reconciliation-orders-2026-03-01-2026-03-31-A1.csv"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith("\ufeffOrder,Dealer".encode())


def test_the_file_has_no_public_url(balances, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        export = reconciliation_export_request(report="balances", file_format="csv")
    export.refresh_from_db()

    with pytest.raises(NotImplementedError):
        export.file.url  # noqa: B018


def test_a_failed_run_records_and_shows_its_error(staff_client, balances, monkeypatch,
                                                  django_capture_on_commit_callbacks):  # fmt: skip
    def broken(export):
        yield ("A1",) * 10
        raise RuntimeError("the database went away")

    monkeypatch.setitem(REPORTS, R.BALANCES, dataclasses.replace(REPORTS[R.BALANCES], rows=broken))
    with django_capture_on_commit_callbacks(execute=True):
        add_export(staff_client, format="csv")

    export = ReconciliationExport.objects.get()
    assert export.status == "failed" and export.error == "RuntimeError: the database went away"
    assert not export.file and not list(export.file.storage.listdir("")[1])
    listing = staff_client.get(reverse("admin:erpsync_reconciliationexport_changelist"))
    assert "the database went away" in listing.content.decode()
    download = staff_client.get(reverse("admin:erpsync_reconciliationexport_download", args=[export.pk]))
    assert download.status_code == 404

    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(reverse("admin:erpsync_reconciliationexport_changelist"),
                          {"action": "run_again", "_selected_action": [export.pk]})  # fmt: skip
    export.refresh_from_db()
    assert (export.status, export.error, export.rows_done) == ("done", "", 5)


def test_the_period_is_required_for_orders_and_payments(staff_client):
    response = add_export(staff_client, report="orders", period_from="", period_to="")

    assert response.status_code == 200
    assert "need a period" in str(response.context["adminform"].form.errors)
    assert not ReconciliationExport.objects.exists()


def test_the_list_refreshes_while_an_export_runs(staff_client):
    ReconciliationExport.objects.create(report="balances", status="running", rows_total=200, rows_done=50)

    page = staff_client.get(reverse("admin:erpsync_reconciliationexport_changelist")).content.decode()

    assert 'http-equiv="refresh"' in page and '<progress value="25" max="100"' in page


# --- 100,000 rows in flat memory ------------------------------------------------------------------------------------

BIG = 100_000


def resident() -> int:
    """The process's resident memory in bytes, now."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class MemorySampler:
    """Passes the rows on to the writer and, every 1,000 rows, samples the process's resident memory and the
    number of small Python objects alive (``sys.getallocatedblocks``: objects, whatever memory the allocator keeps
    for reuse). Neither slows the run down, unlike tracemalloc."""

    def __init__(self):
        gc.collect()
        self.base = (resident(), sys.getallocatedblocks())
        self.peak = self.base
        self.done = self.flagged = 0

    def sample(self) -> None:
        self.peak = (max(self.peak[0], resident()), max(self.peak[1], sys.getallocatedblocks()))

    @property
    def growth(self) -> tuple[int, int]:
        self.sample()
        return self.peak[0] - self.base[0], self.peak[1] - self.base[1]

    def __call__(self, rows):
        for row in rows:
            self.done += not isinstance(row, TotalRow)
            if self.done % 1000 == 0:
                self.sample()
            yield row


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads the resident memory from /proc")
def test_an_export_of_100000_rows_is_written_in_flat_memory(erp, tmp_path):
    """The peak is sampled while the rows stream rather than traced with tracemalloc: tracing every allocation
    slows openpyxl about fivefold, minutes for 100,000 XLSX rows."""
    now = timezone.now()
    model_rows_insert(
        Dealer,
        ({"code": f"M{n:06d}", "title": f"Bayi {n} Ticaret A.Ş.", "tax_number": f"{n:010d}",
          "erp_balance": D(n % 997) + D("0.25"), "erp_balance_as_of": now} for n in range(BIG)),
    )  # fmt: skip
    first = Dealer.objects.order_by("pk").values_list("pk", flat=True).first()
    model_rows_insert(
        AccountEntry,
        ({"connection_id": erp.pk, "erp_id": str(n), "dealer_id": first + n, "kind": "invoice",
          "posted_on": date(2026, 3, 1), "amount": D(n % 997), "as_of": now} for n in range(BIG)),
    )  # fmt: skip
    export = export_of(R.BALANCES)

    growth = {}
    for file_format in ("csv", "xlsx"):
        export.format = file_format
        sampler = MemorySampler()
        progress = export_file_write(export, str(tmp_path / f"big.{file_format}"), progress=sampler)
        growth[file_format] = sampler.growth
        assert progress.done == BIG
    # Last, what keeping every row would cost (measured last, so the memory it frees cannot hide growth above).
    sampler = MemorySampler()
    every_row = list(sampler(REPORTS[R.BALANCES].rows(export)))
    held = sampler.growth
    del every_row

    # Keeping every row (a tuple of ten values: Decimals, datetimes, strings) takes about 750 bytes and 8 objects a
    # row: measured, 72 MB and 820,000 objects for 100,000 rows. Streaming holds one chunk of 2,000 rows and what was
    # fetched for it, and openpyxl's write-only sheet streams rows to a temporary file: measured, the process grew by
    # 3 MB for the CSV (and by nothing for the XLSX written after it) with some 31,000 more objects alive, whatever
    # the number of rows. The bounds, 20 MB and 100,000 objects, leave room for allocator noise and still fail far
    # below keeping every row.
    mb = 2**20
    assert held[0] > 40 * mb and held[1] > 400_000, f"keeping every row: {held[0] / mb:.0f} MB, {held[1]:,} objects"
    for file_format, (memory, objects) in growth.items():
        assert memory < 20 * mb, f"{file_format}: the process grew by {memory / mb:.1f} MB"
        assert objects < 100_000, f"{file_format}: {objects:,} more objects alive"
    with open(tmp_path / "big.csv", encoding="utf-8-sig") as file:
        assert sum(1 for _line in file) == 1 + BIG + 1
    with zipfile.ZipFile(tmp_path / "big.xlsx") as xlsx:
        last_rows = xlsx.read("xl/worksheets/sheet1.xml")[-3000:].decode()
    assert f'<row r="{1 + BIG + 1}"' in last_rows, "header, 100,000 rows and the totals"


# --- The spreadsheet writers ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "shown"),
    [("=1+1", "'=1+1"), ("+90 555", "'+90 555"), ("-x", "'-x"), ("@A1", "'@A1"), ("\tx", "'\tx"), ("\rx", "'\rx"),
     ("Bayi A.Ş.", "Bayi A.Ş."), ("", ""), ("1=1", "1=1")],
)  # fmt: skip
def test_safe_text(text, shown):
    assert safe_text(text) == shown


def test_cell_value_keeps_numbers_dates_and_escapes_text():
    aware = timezone.make_aware(datetime(2026, 3, 1, 9, 30))
    assert cell_value(D("-2.50")) == D("-2.50") and cell_value(-3) == -3 and cell_value(True) is True
    assert cell_value(None) == ""
    assert cell_value(date(2026, 3, 1)) == date(2026, 3, 1)
    assert cell_value(aware) == datetime(2026, 3, 1, 9, 30) and cell_value(aware).tzinfo is None
    assert cell_value("-2+3") == "'-2+3" and cell_value(uuid.UUID(int=0)) == str(uuid.UUID(int=0))


def test_csv_chunks_one_per_row_with_a_bom_first():
    chunks = list(csv_chunks(["Name", "=Amount"], [("=cmd", D("-1.50")), ("a,b", None)]))

    assert chunks == ["\ufeffName,'=Amount\r\n".encode(), b"'=cmd,-1.50\r\n", b'"a,b",\r\n']
    assert list(csv_chunks(["x"], [], bom=False)) == [b"x\r\n"]
