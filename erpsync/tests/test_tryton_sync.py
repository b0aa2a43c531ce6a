"""The whole loop between the portal and a real Tryton: master data imported with ``sync_import``, a dealer's order
approved and exported through the outbox (exactly one sale, also when Tryton's answer is lost), then confirmed,
shipped and invoiced by Tryton's staff and reported back to the portal."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import PriceList, Product, StockLevel, Warehouse
from dealers.models import Dealer, DealerDocument, DealerUser
from erpsync.adapters import adapter_for
from erpsync.exporters import export_order
from erpsync.importers import sync_import
from erpsync.models import ErpConnection, ExternalRef, SyncIssue, SyncJob, SyncRun
from erpsync.outbox import outbox_drain, outbox_enqueue
from erpsync.tests.tryton_seed import PORTAL_KEY
from erpsync.tests.tryton_server import FaultProxy, StaffClient, ship
from orders.services import cart_line_add
from orders.services.approval import order_dealer_approve, order_dealer_cancel
from orders.status import OrderStatus as S
from orders.tests.factories import buyer_of, place

pytestmark = pytest.mark.django_db
D = Decimal
MASTER_DATA = ("unit", "warehouse", "product", "stock", "price_list", "price", "customer", "balance", "credit")


@pytest.fixture
def tryton(tryton_server, monkeypatch):
    """A connection to a fresh copy of the seeded company, through a relay that can lose answers."""
    database = tryton_server.database("catalog")
    proxy = FaultProxy(tryton_server.port)
    staff = StaffClient(tryton_server.url, database)
    monkeypatch.setenv("TRYTON_TEST_KEY", PORTAL_KEY)
    connection = ErpConnection.objects.create(
        code="tryton",
        name="Tryton",
        adapter="tryton",
        is_default=True,
        credentials_ref="TRYTON_TEST",
        settings={
            "base_url": proxy.url,
            "database": database,
            "sellable_warehouses": ["IST"],
            "timeout_seconds": 20,
        },
    )
    yield connection, proxy, staff
    proxy.close()
    staff.close()


def imported(connection, *entities: str) -> None:
    for entity in entities:
        run = sync_import(connection=connection, entity=entity)
        assert run.status == SyncRun.Status.SUCCEEDED, (entity, run.summary, list(SyncIssue.objects.values("message")))
    assert not SyncIssue.objects.filter(status=SyncIssue.Status.OPEN).exists(), list(
        SyncIssue.objects.values_list("entity", "message")
    )


def drain(connection) -> SyncJob:
    outbox_drain(connection=connection)
    return SyncJob.objects.get(kind=SyncJob.Kind.ORDER_EXPORT)


def test_master_data_lands_in_the_portal(tryton):
    connection, _proxy, _staff = tryton

    imported(connection, *MASTER_DATA)

    dealer = Dealer.objects.get(code="120.01.001")
    assert dealer.tax_number == "1234567808"
    assert dealer.credit_limit == D("100000")
    assert dealer.erp_balance == D("3720")
    assert dealer.price_list == PriceList.objects.get(name="Bayi Fiyatı")
    assert set(Product.objects.values_list("sku", flat=True)) == {"ÇAY-001", "BISK-9", "DET-5", "KHV-250", "KHV-500"}
    assert Product.objects.get(sku="DET-5").vat_rate == D("20")
    assert set(Warehouse.objects.values_list("code", "is_sellable")) == {("IST", True), ("ANK", False)}
    assert StockLevel.objects.get(product__sku="DET-5", warehouse__code="IST").on_hand == D("35")


def test_order_round_trip_exactly_one_sale_then_shipped_then_invoiced(tryton):
    connection, proxy, staff = tryton
    imported(connection, *MASTER_DATA)
    dealer = Dealer.objects.get(code="120.01.001")
    buyer = buyer_of(dealer, approval_limit=D("100"))
    approver = buyer_of(dealer, role=DealerUser.Role.APPROVER)
    product = Product.objects.get(sku="DET-5")

    # A dealer orders above the buyer's limit; the dealer's approver approves.
    cart_line_add(dealer_user=buyer, product=product, quantity=D("2"))
    order = place(buyer, po_number="PO-7")
    assert order.status == S.AWAITING_DEALER_APPROVAL, order.hold_reasons
    order = order_dealer_approve(order=order, approver=approver)
    assert order.status == S.APPROVED

    # First delivery: Tryton creates the sale, and its answer is lost on the way back.
    proxy.lose_answer("POST", "/rest/model/sale.sale")
    job = drain(connection)
    assert proxy.lost and proxy.lost[0][2] == 200, "Tryton applied the create"
    assert job.status == SyncJob.Status.RETRYING, job.last_error
    sales = staff.search("sale.sale", [["reference", "=", order.number]], ["state"])
    assert [sale["state"] for sale in sales] == ["draft"]

    # The retry looks the reference up, finds the draft and finishes it: still exactly one sale.
    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())
    job = drain(connection)
    assert job.status == SyncJob.Status.SUCCEEDED, job.last_error
    sales = staff.search("sale.sale", [["reference", "=", order.number]], ["state", "number", "lines.quantity"])
    assert len(sales) == 1
    sale = sales[0]
    assert sale["state"] == "quotation"
    assert [line["quantity"] for line in sale["lines"]] == [2.0]
    order.refresh_from_db()
    assert order.status == S.SENT_TO_ERP
    assert order.erp_document_number == sale["number"]
    assert ExternalRef.objects.get(entity="order", local_id=order.pk).external_id == str(sale["id"])

    # A forced second export (a duplicate delivery of the job) binds the same sale again.
    job.refresh_from_db()
    with adapter_for(connection) as adapter:
        assert export_order(adapter=adapter, job=job) == str(sale["id"])
    assert len(staff.search("sale.sale", [["reference", "=", order.number]])) == 1

    # Tryton's staff confirm it: the portal learns the order is being fulfilled.
    staff.click("sale.sale", sale["id"], "confirm")
    imported(connection, "order_status")
    order.refresh_from_db()
    assert order.status == S.IN_FULFILMENT

    # The warehouse ships it: shipped, with the delivery note on the order.
    ship(staff, sale["id"])
    imported(connection, "order_status", "delivery")
    order.refresh_from_db()
    assert order.status == S.SHIPPED
    delivery = DealerDocument.objects.get(kind="delivery")
    assert (delivery.order_id, delivery.dealer_id) == (order.pk, dealer.pk)

    # Accounting posts the invoice: invoiced, with the invoice on the order.
    (invoice,) = staff.read("sale.sale", sale["id"], ["invoices"])["invoices"]
    staff.click("account.invoice", invoice, "post")
    imported(connection, "order_status", "invoice")
    order.refresh_from_db()
    assert order.status == S.INVOICED
    document = DealerDocument.objects.get(kind="invoice", order=order)
    assert document.gross == order.total_gross
    assert document.dealer_id == dealer.pk


def test_cancelled_in_the_portal_before_confirmation_cancels_the_sale(tryton):
    connection, _proxy, staff = tryton
    imported(connection, *MASTER_DATA)
    dealer = Dealer.objects.get(code="120.01.001")
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=Product.objects.get(sku="BISK-9"), quantity=D("10"))
    order = place(buyer)
    assert order.status == S.APPROVED, order.hold_reasons
    assert drain(connection).status == SyncJob.Status.SUCCEEDED

    order.refresh_from_db()
    order_dealer_cancel(order=order, dealer_user=buyer, reason="Vazgeçtik")
    outbox_drain(connection=connection)

    cancel = SyncJob.objects.get(kind=SyncJob.Kind.ORDER_CANCEL)
    assert cancel.status == SyncJob.Status.SUCCEEDED, cancel.last_error
    sales = staff.search("sale.sale", [["reference", "=", order.number]], ["state"])
    assert [sale["state"] for sale in sales] == ["cancelled"]


def test_a_collection_reaches_tryton_once_and_the_balance_comes_back_lower(tryton):
    connection, proxy, staff = tryton
    connection.settings.update(payment_journal="CASH", payment_account="1.1.1")
    connection.save(update_fields=["settings"])
    imported(connection, "price_list", "customer", "balance")
    dealer = Dealer.objects.get(code="120.01.001")
    assert dealer.erp_balance == D("3720")

    # What the payments service queues once a card payment is confirmed; the first answer is lost.
    outbox_enqueue(
        kind=SyncJob.Kind.PAYMENT_EXPORT,
        identity_key="payment:demo-1",
        object_id=1,
        payload={
            "reference": "PAY-DEMO0001",
            "dealer_id": dealer.pk,
            "amount": "1500.00",
            "currency": "TRY",
            "received_on": timezone.localdate().isoformat(),
            "method": "card",
            "description": "Kart ödemesi",
            "order_number": "",
            "invoice_numbers": ["1"],
        },
    )
    proxy.lose_answer("POST", "/rest/model/account.move")
    outbox_drain(connection=connection)
    job = SyncJob.objects.get(kind=SyncJob.Kind.PAYMENT_EXPORT)
    assert job.status == SyncJob.Status.RETRYING, job.last_error
    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())
    outbox_drain(connection=connection)
    job.refresh_from_db()

    assert job.status == SyncJob.Status.SUCCEEDED, job.last_error
    moves = staff.search("account.move", [["description", "=", "PAY-DEMO0001"]], ["state"])
    assert [move["state"] for move in moves] == ["posted"]
    assert job.external_id == str(moves[0]["id"])
    imported(connection, "balance")
    dealer.refresh_from_db()
    assert dealer.erp_balance == D("2220")
