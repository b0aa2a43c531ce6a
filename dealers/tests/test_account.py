import csv
import io
import random
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from dealers.account import BUCKETS, bucket_index, statement
from dealers.models import AccountEntry, DealerDocument, DealerUser
from dealers.tests.factories import DealerFactory, DealerUserFactory
from erpsync.adapters.base import Capability, ErpAdapter, ErpBalance, RetryableError
from erpsync.health import connection_health
from erpsync.models import ErpConnection, SyncRun
from orders.tests.factories import OrderFactory
from payments.receivables import open_items

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def connection():
    return ErpConnection.objects.create(code="erp", name="ERP", adapter="file", settings={"root": "/nonexistent"})


def book(connection, dealer, rows, *, as_of=None):
    """Ledger rows (kind, posted_on, amount, document, due_on[, open_amount]) on ``dealer``."""
    start = AccountEntry.objects.count()
    entries = []
    for index, row in enumerate(rows, start=start):
        kind, posted_on, amount, number, due_on, *rest = row
        entries.append(
            AccountEntry(
                connection=connection,
                erp_id=f"J{index}",
                dealer=dealer,
                kind=kind,
                posted_on=posted_on,
                due_on=due_on,
                document_number=number,
                amount=D(amount),
                open_amount=D(rest[0]) if rest and rest[0] is not None else None,
                as_of=timezone.now(),
            )
        )
    AccountEntry.objects.bulk_create(entries)
    dealer.ledger_as_of = as_of or timezone.now()
    dealer.save(update_fields=["ledger_as_of"])


# --- statement arithmetic ------------------------------------------------------------------------------------


def test_statement_of_a_generated_ledger_adds_up(connection):
    rng = random.Random(8)
    dealer = DealerFactory()
    start = date(2025, 1, 1)
    rows = [("opening", start, "1500.00", "DEVIR", None)]
    for n in range(400):
        day = start + timedelta(days=rng.randrange(0, 700))
        kind = rng.choice(["invoice", "invoice", "collection", "credit_memo", "adjustment"])
        amount = D(rng.randrange(100, 500_000)) / 100
        if kind in ("collection", "credit_memo") or (kind == "adjustment" and rng.random() < 0.5):
            amount = -amount
        rows.append((kind, day, str(amount), f"D-{n}", day + timedelta(days=30)))
    book(connection, dealer, rows)
    every = sum((D(r[2]) for r in rows), D(0))
    for date_from, date_to in [
        (start, date(2026, 12, 31)),
        (date(2025, 3, 1), date(2025, 9, 30)),
        (date(2026, 5, 5),) * 2,
    ]:
        result = statement(dealer, date_from, date_to)
        before = sum((D(r[2]) for r in rows if r[1] < date_from), D(0))
        within = [r for r in rows if date_from <= r[1] <= date_to]
        # The ERP's opening movements that open the period are its opening row, not lines.
        first_other = min((r[1] for r in within if r[0] != "opening"), default=date_to)
        leading = [r for r in within if r[0] == "opening" and r[1] <= first_other]
        assert result.opening == before + sum((D(r[2]) for r in leading), D(0))
        assert len(result.lines) == len(within) - len(leading)
        assert result.closing == result.opening + result.total_debit - result.total_credit
        assert result.closing == before + sum((D(r[2]) for r in within), D(0))
        running = result.opening
        for line in result.lines:
            running += (line.debit or 0) - (line.credit or 0)
            assert line.balance == running
        assert (result.lines[-1].balance if result.lines else result.opening) == result.closing
    assert statement(dealer, start, date(2026, 12, 31)).closing == every


def test_statement_refuses_a_reversed_period():
    with pytest.raises(ValueError, match="starts after it ends"):
        statement(DealerFactory(), date(2026, 2, 1), date(2026, 1, 1))


# --- ageing ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "bucket"),
    [(-10, 0), (0, 0), (1, 1), (30, 1), (31, 2), (60, 2), (61, 3), (90, 3), (91, 4), (4000, 4)],
)
def test_ageing_buckets_at_their_edges(days, bucket):
    assert bucket_index(days) == bucket


def test_ageing_sums_open_items_per_bucket_on_a_day(connection):
    dealer = DealerFactory()
    on = date(2026, 6, 30)
    rows = [
        ("invoice", on - timedelta(days=days + 30), "100.00", f"F{days}", on - timedelta(days=days))
        for days in (0, 1, 30, 31, 60, 61, 90, 91)
    ]
    book(connection, dealer, rows)
    ageing = open_items(dealer, on=on)
    assert [amount for _label, amount in ageing.buckets] == [D(100), D(200), D(200), D(200), D(100)]
    assert ageing.total == D(800) and ageing.overdue == D(700)
    assert len(BUCKETS) == 5 and not ageing.from_erp_open_items


def test_collections_settle_the_oldest_items_first(connection):
    dealer = DealerFactory()
    on = date(2026, 6, 30)
    book(
        connection,
        dealer,
        [
            ("invoice", date(2026, 3, 1), "1000.00", "F1", date(2026, 3, 31)),
            ("invoice", date(2026, 4, 1), "500.00", "F2", date(2026, 5, 1)),
            ("invoice", date(2026, 6, 1), "300.00", "F3", date(2026, 7, 1)),
            ("collection", date(2026, 4, 15), "-1200.00", "EFT", None),
            ("credit_memo", date(2026, 6, 10), "-100.00", "IADE", None),
        ],
    )
    ageing = open_items(dealer, on=on)
    assert [(i.document_number, i.open_amount) for i in ageing.items] == [("F2", D(200)), ("F3", D(300))]
    assert ageing.total == D(500) and ageing.overdue == D(200)
    assert ageing.total == statement(dealer, date(2026, 1, 1), on).closing


def test_more_credit_than_debt_is_unapplied_credit(connection):
    dealer = DealerFactory()
    book(
        connection,
        dealer,
        [
            ("invoice", date(2026, 3, 1), "100.00", "F1", None),
            ("collection", date(2026, 3, 5), "-150.00", "", None),
        ],
    )
    ageing = open_items(dealer, on=date(2026, 6, 1))
    assert ageing.items == [] and ageing.total == 0 and ageing.unapplied_credit == D(50)


def test_the_erps_own_open_items_are_used_when_it_keeps_them(connection):
    dealer = DealerFactory()
    today = timezone.localdate()
    book(
        connection,
        dealer,
        [
            # The ERP closed F2 against the payment, not the older F1 (FIFO would say otherwise).
            ("invoice", today - timedelta(days=50), "100.00", "F1", today - timedelta(days=40), "100.00"),
            ("invoice", today - timedelta(days=20), "100.00", "F2", today - timedelta(days=10), "0.00"),
            ("collection", today - timedelta(days=5), "-100.00", "", None, "0.00"),
        ],
    )
    ageing = open_items(dealer)
    assert ageing.from_erp_open_items
    assert [(i.document_number, i.open_amount, i.bucket) for i in ageing.items] == [("F1", D(100), 2)]


def test_portal_payments_newer_than_the_ledger_lower_what_is_open(connection):
    from payments.models import Allocation, Payment

    dealer = DealerFactory()
    book(
        connection,
        dealer,
        [
            ("invoice", date(2026, 3, 1), "100.00", "F1", None),
            ("invoice", date(2026, 3, 2), "100.00", "F2", None),
        ],
        as_of=timezone.now() - timedelta(hours=1),
    )
    for number, amount in (("F2", "60.00"), ("", "30.00")):
        payment = Payment.objects.create(dealer=dealer, method="card", amount=D(amount), status="succeeded")
        Allocation.objects.create(
            dealer=dealer, payment=payment, invoice_number=number, amount=D(amount), method="card"
        )
    ageing = open_items(dealer, on=date(2026, 6, 1))
    assert [(i.document_number, i.open_amount, i.paid_in_portal) for i in ageing.items] == [
        ("F1", D(70), D(30)),
        ("F2", D(40), D(60)),
    ]
    assert ageing.paid_in_portal == D(90)
    # Once the ERP has booked them (its movements are newer), they are not taken off twice.
    dealer.ledger_as_of = timezone.now() + timedelta(minutes=1)
    dealer.save()
    assert open_items(dealer, on=date(2026, 6, 1)).total == D(200)


# --- pages -------------------------------------------------------------------------------------------------


@pytest.fixture
def ledger_client(client, connection):
    dealer_user = DealerUserFactory(role=DealerUser.Role.ADMIN)
    client.force_login(dealer_user.user)
    client.dealer_user = dealer_user
    book(
        connection,
        dealer_user.dealer,
        [
            ("opening", date(2026, 1, 1), "250.00", "DEVIR", None),
            ("invoice", date(2026, 2, 1), "1000.00", "F-100", date(2026, 3, 3)),
            ("collection", date(2026, 2, 20), "-400.00", "EFT-1", None),
        ],
    )
    return client


def statement_url(**params):
    query = {"date_from": "2026-01-01", "date_to": "2026-12-31", **params}
    return reverse("dealers:statement") + "?" + "&".join(f"{k}={v}" for k, v in query.items())


def test_account_page_shows_figures_ageing_and_open_items(ledger_client):
    body = ledger_client.get(reverse("account:summary")).content.decode()
    assert "Available credit" in body and "Overdue" in body and "F-100" in body
    assert 'name="invoice" value="F-100"' in body
    assert "₺850.00" in body  # 250 + 1000 − 400 open, oldest first


def test_statement_page_and_its_downloads(ledger_client):
    body = ledger_client.get(statement_url()).content.decode()
    assert "Opening balance" in body and "F-100" in body and "₺850.00" in body
    pdf = ledger_client.get(statement_url(format="pdf"))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF") and len(pdf.content) > 2000
    xlsx = ledger_client.get(statement_url(format="xlsx"))
    assert xlsx.status_code == 200 and "spreadsheetml" in xlsx["Content-Type"]
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    # One opening row: the ERP's own opening movement on the period's first day is the balance carried in.
    assert rows[0][0] == "Date" and rows[1][1] == "Opening balance" and rows[1][7] == 250
    assert [row[1] for row in rows].count("Opening balance") == 1
    assert rows[-1][1] == "Closing balance" and rows[-1][7] == 850 and rows[-1][5] == 1000 and rows[-1][6] == 400
    # The summary rows are bold, the movements are not.
    bold = [sheet.cell(row=n, column=2).font.bold for n in range(1, sheet.max_row + 1)]
    assert bold == [True, True, False, False, True]
    text = b"".join(ledger_client.get(statement_url(format="csv")).streaming_content).decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(text)))
    assert lines[-1][1] == "Closing balance" and lines[-1][7] == "850.00"


def test_statement_period_errors_are_shown(ledger_client):
    response = ledger_client.get(statement_url(date_from="2026-05-01", date_to="2026-01-01"))
    assert response.status_code == 400 and "starts after it ends" in response.content.decode()
    assert ledger_client.get(statement_url(date_from="nonsense")).status_code == 400
    assert ledger_client.get(statement_url(format="docx")).status_code == 400


def test_statement_csv_and_xlsx_escape_formula_text(ledger_client, connection):
    entry = AccountEntry.objects.get(document_number="F-100")
    entry.description = '=HYPERLINK("http://evil.example","click")'
    entry.document_number = "@SUM(A1)"
    entry.save()
    text = b"".join(ledger_client.get(statement_url(format="csv")).streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "'@SUM(A1)" in text
    sheet = load_workbook(
        io.BytesIO(b"".join(ledger_client.get(statement_url(format="xlsx")).streaming_content))
    ).active
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row]
    assert "'@SUM(A1)" in values and -400 not in values  # credits are shown positive in their own column
    assert all(not (isinstance(v, str) and v.startswith(("=", "@", "+"))) for v in values)


def test_a_buyer_sees_the_account_only_when_allowed(client, connection):
    buyer = DealerUserFactory(role=DealerUser.Role.BUYER)
    client.force_login(buyer.user)
    assert client.get(reverse("account:summary")).status_code == 403
    assert client.get(statement_url()).status_code == 403
    assert client.get(statement_url(format="pdf")).status_code == 403
    assert "dealers/account" not in client.get(reverse("home")).content.decode()
    buyer.sees_account = True
    buyer.save()
    assert client.get(reverse("account:summary")).status_code == 200
    assert client.get(statement_url()).status_code == 200


def test_pay_selected_hands_the_invoices_to_the_payment_page(ledger_client):
    response = ledger_client.get(reverse("payments:account_pay") + "?invoice=F-100&invoice=NOT-MINE")
    form = response.context["form"]
    assert form.initial == {"invoices": ["F-100"], "amount": D("850.00")}
    assert re.search(r'<input type="checkbox" name="invoices" value="F-100"[^>]*checked', response.content.decode())


# --- live balance ------------------------------------------------------------------------------------------


class LiveAdapter(ErpAdapter):
    """An ERP that answers a live balance (or fails to, when ``fail`` is set)."""

    key = "live"
    capabilities = frozenset({Capability.LIVE_BALANCE})
    answer = ErpBalance("120.LIVE", D("4321.09"), "TRY", D("100.00"))
    fail = False

    def live_balance(self, customer_code):
        if self.fail:
            raise RetryableError("The ERP did not answer in time.")
        assert customer_code == "120.LIVE"
        return self.answer


@pytest.fixture
def live_erp(settings):
    settings.ERPSYNC_ADAPTERS = {**settings.ERPSYNC_ADAPTERS, "live": f"{__name__}.LiveAdapter"}
    LiveAdapter.fail = False
    cache.clear()
    return ErpConnection.objects.create(code="live", name="Live ERP", adapter="live", is_default=True)


def test_the_balance_is_refreshed_live_from_the_erp(live_erp, client):
    dealer_user = DealerUserFactory(dealer=DealerFactory(code="120.LIVE"))
    client.force_login(dealer_user.user)
    assert 'data-testid="balance-refresh"' in client.get(reverse("account:summary")).content.decode()
    response = client.post(reverse("account:balance_refresh"), follow=True)
    assert "Balance refreshed from the ERP." in response.content.decode()
    dealer_user.dealer.refresh_from_db()
    assert dealer_user.dealer.erp_balance == D("4321.09") and dealer_user.dealer.erp_open_orders == D("100.00")
    assert dealer_user.dealer.erp_balance_as_of is not None
    again = client.post(reverse("account:balance_refresh"), follow=True)
    assert "less than a minute ago" in again.content.decode()
    # The question to the ERP is in the run log, apart from the feed's imports on the health page.
    run = SyncRun.objects.get(connection=live_erp, mode=SyncRun.Mode.LIVE)
    assert run.entity == "balance" and run.status == SyncRun.Status.SUCCEEDED and run.updated == 1
    assert run.summary == {"dealer": "120.LIVE"} and run.finished_at is not None
    assert [e.entity for e in connection_health(live_erp).entities] == []


def test_an_erp_that_does_not_answer_leaves_the_figures(live_erp, client):
    LiveAdapter.fail = True
    dealer = DealerFactory(code="120.LIVE", erp_balance=D("10.00"))
    client.force_login(DealerUserFactory(dealer=dealer).user)
    response = client.post(reverse("account:balance_refresh"), follow=True)
    assert "The ERP did not answer" in response.content.decode()
    dealer.refresh_from_db()
    assert dealer.erp_balance == D("10.00") and dealer.erp_balance_as_of is None
    run = SyncRun.objects.get(connection=live_erp, mode=SyncRun.Mode.LIVE)
    assert run.status == SyncRun.Status.FAILED and "did not answer in time" in run.error


def test_an_answer_in_another_currency_is_refused_and_logged(live_erp, client):
    dealer = DealerFactory(code="120.LIVE", erp_balance=D("10.00"), currency="EUR")
    client.force_login(DealerUserFactory(dealer=dealer).user)
    response = client.post(reverse("account:balance_refresh"), follow=True)
    assert "another currency" in response.content.decode()
    dealer.refresh_from_db()
    assert dealer.erp_balance == D("10.00")
    run = SyncRun.objects.get(connection=live_erp, mode=SyncRun.Mode.LIVE)
    assert run.status == SyncRun.Status.FAILED and "Answered in TRY" in run.error


def test_without_a_live_balance_there_is_no_refresh(ledger_client):
    assert 'data-testid="balance-refresh"' not in ledger_client.get(reverse("account:summary")).content.decode()
    response = ledger_client.post(reverse("account:balance_refresh"), follow=True)
    assert "cannot be refreshed live" in response.content.decode()


# --- documents ---------------------------------------------------------------------------------------------


def document(dealer, number, kind=DealerDocument.Kind.INVOICE, **kw):
    return DealerDocument.objects.create(
        dealer=dealer, kind=kind, number=number, issued_on=date(2026, 3, 1), gross=D("1180.00"), **kw
    )


def test_documents_list_and_pdf_only_of_the_own_dealer(dealer_client):
    own = dealer_client.dealer_user.dealer
    mine = document(own, "GIB-1", e_invoice_uuid="5f0c6c9e-0000-4000-8000-000000000042", net=D(1000), vat=D(180))
    delivery = document(own, "IRS-1", kind=DealerDocument.Kind.DELIVERY, tracking_number="TRK-9", carrier="Aras")
    theirs = document(DealerFactory(), "GIB-2")
    body = dealer_client.get(reverse("dealers:document_list")).content.decode()
    assert "GIB-1" in body and "IRS-1" in body and "TRK-9" in body and "5f0c6c9e" in body
    assert "GIB-2" not in body
    pdf = dealer_client.get(reverse("dealers:document_pdf", args=[mine.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert dealer_client.get(reverse("dealers:document_pdf", args=[delivery.pk])).status_code == 200
    assert dealer_client.get(reverse("dealers:document_pdf", args=[theirs.pk])).status_code == 404
    filtered = dealer_client.get(reverse("dealers:document_list") + "?kind=delivery").content.decode()
    assert "IRS-1" in filtered and "GIB-1" not in filtered


def test_a_buyer_sees_the_documents_of_the_orders_they_placed(client):
    buyer = DealerUserFactory(role=DealerUser.Role.BUYER)
    colleague = DealerUserFactory(role=DealerUser.Role.BUYER, dealer=buyer.dealer)
    own_order = OrderFactory(dealer=buyer.dealer, placed_by=buyer.user)
    other_order = OrderFactory(dealer=buyer.dealer, placed_by=colleague.user)
    document(buyer.dealer, "GIB-OWN", order=own_order)
    other = document(buyer.dealer, "GIB-OTHER", order=other_order)
    loose = document(buyer.dealer, "GIB-LOOSE")
    client.force_login(buyer.user)
    body = client.get(reverse("dealers:document_list")).content.decode()
    assert "GIB-OWN" in body and "GIB-OTHER" not in body and "GIB-LOOSE" not in body
    assert client.get(reverse("dealers:document_pdf", args=[other.pk])).status_code == 404
    assert client.get(reverse("dealers:document_pdf", args=[loose.pk])).status_code == 404


def test_staff_read_the_ledger_in_the_admin_but_cannot_change_it(ledger_client, superuser):
    from django.test import Client

    staff_client = Client()
    staff_client.force_login(superuser)
    dealer = AccountEntry.objects.first().dealer
    page = staff_client.get(reverse("admin:dealers_dealer_change", args=[dealer.pk])).content.decode()
    assert "The movements the ERP sent for this dealer" in page
    listing = staff_client.get(reverse("admin:dealers_accountentry_changelist") + f"?dealer__id__exact={dealer.pk}")
    assert listing.status_code == 200 and "F-100" in listing.content.decode()
    assert staff_client.get(reverse("admin:dealers_accountentry_add")).status_code == 403


def test_the_account_and_statement_speak_turkish(ledger_client):
    user = ledger_client.dealer_user.user
    user.language = "tr"
    user.save()
    account_page = ledger_client.get(reverse("account:summary")).content.decode()
    assert "Vadesi geçmiş" in account_page and "Açık kalemlerin yaşlandırması" in account_page
    assert "850,00 ₺" in account_page
    statement_page = ledger_client.get(statement_url()).content.decode()
    assert "Devir bakiyesi" in statement_page and "Kapanış bakiyesi" in statement_page
    text = b"".join(ledger_client.get(statement_url(format="csv")).streaming_content).decode("utf-8-sig")
    assert text.startswith("Tarih;")  # Turkish Excel's separator for a Turkish reader


def test_a_long_statement_comes_in_pages_and_as_pdf_only_when_it_fits(ledger_client, connection, monkeypatch):
    from dealers import views

    monkeypatch.setattr(views, "STATEMENT_PAGE_LINES", 1)
    monkeypatch.setattr(views, "STATEMENT_PDF_MAX_LINES", 1)
    first = ledger_client.get(statement_url()).content.decode()
    assert "Opening balance" in first and "F-100" in first and "EFT-1" not in first
    assert 'data-testid="statement-pdf"' not in first
    second = ledger_client.get(statement_url(page=2)).content.decode()
    assert "Carried forward" in second and "EFT-1" in second and "F-100" not in second
    assert re.search(r'data-testid="statement-carried"><strong>₺1,250.00', second)  # 250 + 1000 before page 2
    assert "Opening balance" not in second
    assert re.search(r'data-testid="statement-closing"><strong>₺850.00', second)
    response = ledger_client.get(statement_url(format="pdf"), follow=True)
    assert response["Content-Type"].startswith("text/html")
    assert "downloaded as Excel or CSV" in response.content.decode()


def test_the_account_page_lists_the_oldest_open_items_when_there_are_many(ledger_client, connection, monkeypatch):
    from payments import views

    book(connection, ledger_client.dealer_user.dealer, [("invoice", date(2026, 1, 5), "900.00", "F-090", None)])
    monkeypatch.setattr(views, "OPEN_ITEMS_SHOWN", 1)
    body = ledger_client.get(reverse("account:summary")).content.decode()
    assert "The 1 oldest of 2 open items are shown" in body
    assert 'value="F-090"' in body and 'value="F-100"' not in body
