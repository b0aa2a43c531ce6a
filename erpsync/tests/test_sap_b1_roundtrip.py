"""SAP Business One end to end on the portal's database: the company imported from the Service Layer simulator,
a dealer's order placed and approved in the portal, exported exactly once (also when SAP's answer is lost),
delivered and invoiced in SAP and followed back into the portal; the import survives an expired session."""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.models import DealerAgreement, PriceListItem, Product, ProductUnit, StockLevel, Unit
from dealers.models import Dealer, DealerDocument
from erpsync.adapters import settings_for
from erpsync.importers import sync_import
from erpsync.models import ErpConnection, SyncJob, SyncRun
from erpsync.outbox import outbox_drain
from erpsync.simulators import SapB1Simulator
from erpsync.simulators.sap_b1.errors import LOCKED_CODE, LOCKED_MESSAGE
from erpsync.tests.roundtrip import (
    approved_order,
    default_connection,
    drain_across_lost_answer,
    due_now,
    import_all,
    sent_to_erp,
)
from orders.exceptions import CartRefused, OrderRefused
from orders.models import Order
from orders.services import cart_line_add
from orders.services.approval import can_dealer_cancel, order_dealer_cancel, order_staff_approve
from orders.status import OrderStatus as S
from orders.tests.factories import buyer_of, place

pytestmark = pytest.mark.django_db
D = Decimal
IMPORT_ORDER = ("unit", "warehouse", "price_list", "product", "stock", "price", "customer", "balance", "credit",
                "agreement")  # fmt: skip


@pytest.fixture
def sim():
    with SapB1Simulator(items=8, customers=3) as simulator:
        yield simulator


@pytest.fixture
def sap(sim, monkeypatch):
    monkeypatch.setenv("SAPTEST_USERNAME", "manager")
    monkeypatch.setenv("SAPTEST_PASSWORD", "1234")
    # "*": items without a sales VAT group (SAP takes VAT from the customer); here they are sold at 20 %.
    return default_connection(
        "sap_b1",
        code="sap",
        name="SAP Business One",
        credentials_ref="SAPTEST",
        settings={
            "base_url": sim.base_url,
            "company_db": sim.company_db,
            "timeout_seconds": 2,
            "order_warehouse": "01",
            "vat_groups": {"20": "S1", "10": "S2"},
            "read_retries": 1,
        },
        tax_codes={"S1": "20", "S2": "10", "*": "20"},
    )


def test_import_order_ship_and_invoice_round_trip(sim, sap, client):
    runs = import_all(sap, IMPORT_ORDER)
    # Every item comes in; the one price in US dollars on a lira list is refused, not read as liras.
    expected = {**dict.fromkeys(IMPORT_ORDER, SyncRun.Status.SUCCEEDED), "price": SyncRun.Status.PARTIAL}
    assert {entity: run.status for entity, run in runs.items()} == expected
    assert [issue.code for issue in runs["price"].issues.all()] == ["currency_mismatch"]
    assert not PriceListItem.objects.filter(product__sku="Z9004").exists()
    assert Product.objects.count() == len(sim.company.items) == 14
    assert Dealer.objects.filter(code__startswith="C").count() == 3
    rent, service = Product.objects.get(sku="Z9001"), Product.objects.get(sku="Z9003")
    assert (rent.status, rent.status_reason) == (Product.Status.INACTIVE, "Not a sales item in the ERP.")
    assert (service.status, service.base_unit.code, service.vat_rate) == (Product.Status.ACTIVE, "Pcs", 20)
    assert Product.objects.get(sku="Z9005").status == Product.Status.INACTIVE  # valid until 2020
    assert Product.objects.get(sku="Z9006").status == Product.Status.ACTIVE  # frozen from 2099 on
    pack = ProductUnit.objects.get(product__sku="A0005", unit__code="Box12")
    assert pack.factor == 12
    on_hand = StockLevel.objects.get(product__sku="A0001", warehouse__code="01").on_hand
    assert on_hand == D(str(sim.stock("A0001", "01")["InStock"]))
    dealer = Dealer.objects.get(code="C0001")
    special = sim.company.special_prices[("C0001", "A0001")]["Price"]
    assert DealerAgreement.objects.get(dealer=dealer, product__sku="A0001").value == D(str(special))
    assert PriceListItem.objects.filter(product__sku="A0002").exists()
    for sku in ("A0001", "A0005"):
        StockLevel.objects.filter(product__sku=sku, warehouse__code="01").update(on_hand=D(1000))

    # The dealer orders: three of A0001 at the special price and a box of A0005.
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=Product.objects.get(sku="A0001"), quantity=D(3))
    box = Unit.objects.get(code="Box12")
    cart_line_add(dealer_user=buyer, product=Product.objects.get(sku="A0005"), quantity=D(1), unit=box)
    order = place(buyer)
    if order.status != S.APPROVED:
        order = order_staff_approve(order=order, actor=None, note="")
    assert order.status == S.APPROVED

    # SAP takes the order but the answer is lost: the retry finds it instead of posting again.
    sim.faults.drop_response("Orders", method="POST")
    drain_across_lost_answer(sap)
    sent_to_erp(order)
    (sap_order,) = [o for o in sim.company.orders.values() if o["NumAtCard"] == order.number]
    assert sim.stats.count("POST", "Orders") == 1
    lines = {line["ItemCode"]: line for line in sap_order["DocumentLines"]}
    assert (lines["A0001"]["Quantity"], lines["A0001"]["UnitPrice"]) == (3, special)
    assert (lines["A0005"]["UoMEntry"], lines["A0005"]["InventoryQuantity"]) == (2, 12)
    assert order.erp_document_number == str(sap_order["DocNum"])

    # SAP confirms it (status read), then delivers with a tracking number.
    sync_import(connection=sap, entity="order_status")
    order.refresh_from_db()
    assert order.status == S.CONFIRMED
    sim.deliver(sap_order["DocEntry"], tracking_number="YK-778899")
    for entity in ("order_status", "delivery"):
        assert sync_import(connection=sap, entity=entity).status == SyncRun.Status.SUCCEEDED
    order.refresh_from_db()
    assert order.status == S.SHIPPED
    delivery = DealerDocument.objects.get(kind="delivery", order=order)
    assert delivery.tracking_number == "YK-778899" and delivery.dealer == dealer
    client.force_login(buyer.user)
    page = client.get(reverse("orders:order_detail", args=[order.number]))
    assert page.status_code == 200 and "YK-778899" in page.content.decode()

    # The invoice follows the delivery; the order ends invoiced with the invoice on the dealer's account.
    delivery_entry = max(sim.company.delivery_notes)
    invoice = sim.invoice(delivery_entry)
    for entity in ("order_status", "invoice"):
        assert sync_import(connection=sap, entity=entity).status == SyncRun.Status.SUCCEEDED
    order.refresh_from_db()
    assert order.status == S.INVOICED
    billed = DealerDocument.objects.get(kind="invoice", order=order)
    assert billed.number == str(invoice["DocNum"]) and billed.gross == D(str(invoice["DocTotal"]))
    assert sim.stats.count("POST", "Orders") == 1


def approved(dealer, sku: str = "A0001"):
    StockLevel.objects.filter(product__sku=sku).update(on_hand=D(1000))
    return approved_order(dealer, Product.objects.get(sku=sku), 2, by_staff=False)


def test_cancelled_in_the_portal_is_cancelled_in_sap_until_the_first_delivery(sim, sap):
    import_all(sap, IMPORT_ORDER)
    dealer = Dealer.objects.get(code="C0002")
    kept, _ = approved(dealer)
    dropped, buyer = approved(dealer)
    outbox_drain(connection=sap)

    dropped.refresh_from_db()
    order_dealer_cancel(order=dropped, dealer_user=buyer, reason="Müşteri vazgeçti")
    outbox_drain(connection=sap)
    by_number = {o["NumAtCard"]: o for o in sim.company.orders.values()}
    assert by_number[dropped.number]["Cancelled"] == "tYES"
    assert SyncJob.objects.get(kind=SyncJob.Kind.ORDER_CANCEL).status == SyncJob.Status.SUCCEEDED

    # Once SAP delivered, the order is past the point of no return: the dealer can no longer cancel it.
    sim.deliver(by_number[kept.number]["DocEntry"], {0: 1})
    sync_import(connection=sap, entity="order_status")
    kept.refresh_from_db()
    assert kept.status == S.PARTIALLY_SHIPPED and not can_dealer_cancel(kept)
    assert by_number[kept.number]["Cancelled"] == "tNO"


def test_an_import_survives_a_session_expiring_mid_read(sim, sap):
    for number in range(1, 1500):
        sim.add_item(f"B{number:04d}", price=10.0)
    sap.settings["page_size"] = 100
    sap.save()
    sync_import(connection=sap, entity="unit", full=True)
    logins = sim.stats.logins

    def expire_once(done: int) -> None:
        if sim.stats.logins == logins:  # after the first thousand rows, SAP forgets the session
            sim.expire_sessions()

    run = sync_import(connection=sap, entity="product", full=True, progress=expire_once)

    assert run.status == SyncRun.Status.SUCCEEDED
    assert Product.objects.count() == len(sim.company.items) == 1499 + 8 + 6
    assert sim.stats.logins == logins + 1


def test_sap_connections_run_four_exports_at_once_unless_told(sap, settings, tmp_path):
    files = ErpConnection.objects.create(code="files", name="Files", adapter="file", settings={"root": str(tmp_path)})
    assert settings_for(sap).outbox_concurrency == 4
    sap.settings["outbox_concurrency"] = 2
    assert settings_for(sap).outbox_concurrency == 2
    assert settings_for(files).outbox_concurrency == settings.ERPSYNC_OUTBOX_CONCURRENCY


FAULTS = {
    "latency beyond the timeout": lambda faults: faults.latency("Orders", seconds=3, method="POST"),
    "server error": lambda faults: faults.error("Orders", status=503, method="POST"),
    "throttled": lambda faults: faults.throttle("Orders", retry_after=1, method="POST"),
    "session expired": lambda faults: faults.expire_session("Orders", method="POST"),
    "connection reset": lambda faults: faults.reset("Orders", method="POST"),
    "applied, answer dropped": lambda faults: faults.drop_response("Orders", method="POST"),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_no_fault_loses_or_duplicates_an_order(sim, sap, fault):
    import_all(sap, IMPORT_ORDER)
    order, _ = approved(Dealer.objects.get(code="C0003"))
    FAULTS[fault](sim.faults)
    job = None
    for _attempt in range(4):
        outbox_drain(connection=sap)
        job = SyncJob.objects.get(kind=SyncJob.Kind.ORDER_EXPORT)
        if job.status == SyncJob.Status.SUCCEEDED:
            break
        assert job.status == SyncJob.Status.RETRYING, job.last_error
        due_now(job)
    order.refresh_from_db()
    assert job.status == SyncJob.Status.SUCCEEDED and order.status == S.SENT_TO_ERP
    assert [o["NumAtCard"] for o in sim.company.orders.values()] == [order.number]
    time.sleep(0.1)  # a request the client gave up on may still be finishing in the simulator
    assert len(sim.company.orders) == 1


def test_schedules_cover_what_sap_reads_and_skip_a_connection_without_credentials(sap, monkeypatch):
    from erpsync.schedules import planned_schedules

    names = {plan.name for plan in planned_schedules()}
    assert {"erpsync:sap:order_status", "erpsync:sap:agreement", "erpsync:sap:invoice"} <= names
    assert "erpsync:sap:brand" not in names
    monkeypatch.delenv("SAPTEST_PASSWORD")
    assert not any(plan.name.startswith("erpsync:sap:") for plan in planned_schedules())


def test_ship_to_po_and_a_mandatory_udf_reach_sap(sim, sap):
    """The company requires a UDF on orders; the connection fills it with the portal number, sends the dealer's PO
    to a UDF of its own and the delivery address SAP knows (imported from BPAddresses) as ShipToCode."""
    sim.company.declare_udf("Document", "U_B2BRef", mandatory=True)
    sim.company.declare_udf("Document", "U_MusteriPO")
    sap.settings.update(order_udfs={"U_B2BRef": {"from": "reference"}}, po_number_field="U_MusteriPO")
    sap.save()
    import_all(sap, IMPORT_ORDER)
    dealer = Dealer.objects.get(code="C0001")
    depot = dealer.addresses.get(code="Depo")
    assert depot.kind == depot.Kind.SHIPPING and depot.city == "Kocaeli"
    StockLevel.objects.filter(product__sku="A0001").update(on_hand=D(1000))
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=Product.objects.get(sku="A0001"), quantity=D(2))
    order = place(buyer, delivery_address=depot, po_number="PO-778")
    if order.status != S.APPROVED:
        order = order_staff_approve(order=order, actor=None, note="")

    outbox_drain(connection=sap)

    assert SyncJob.objects.get(kind=SyncJob.Kind.ORDER_EXPORT).status == SyncJob.Status.SUCCEEDED
    (sap_order,) = sim.company.orders.values()
    assert (sap_order["NumAtCard"], sap_order["U_B2BRef"]) == (order.number, order.number)
    assert (sap_order["U_MusteriPO"], sap_order["ShipToCode"]) == ("PO-778", "Depo")
    sync_import(connection=sap, entity="order_status")
    order.refresh_from_db()
    assert order.status == S.CONFIRMED


def test_without_the_mandatory_udf_sap_refuses_and_a_person_is_asked(sim, sap):
    sim.company.declare_udf("Document", "U_B2BRef", mandatory=True)
    import_all(sap, IMPORT_ORDER)
    approved(Dealer.objects.get(code="C0001"))
    outbox_drain(connection=sap)
    job = SyncJob.objects.get(kind=SyncJob.Kind.ORDER_EXPORT)
    assert job.status == SyncJob.Status.DEAD and "U_B2BRef" in job.last_error
    assert sim.company.orders == {}


def test_a_locked_record_is_retried_then_the_order_goes_through(sim, sap):
    import_all(sap, IMPORT_ORDER)
    order, _ = approved(Dealer.objects.get(code="C0002"))
    sim.faults.refuse("Orders", method="POST", code=LOCKED_CODE, message=LOCKED_MESSAGE)
    outbox_drain(connection=sap)
    job = SyncJob.objects.get(kind=SyncJob.Kind.ORDER_EXPORT)
    assert job.status == SyncJob.Status.RETRYING and LOCKED_MESSAGE in job.last_error
    assert sim.company.orders == {}
    due_now(job)
    outbox_drain(connection=sap)
    job.refresh_from_db()
    order.refresh_from_db()
    assert job.status == SyncJob.Status.SUCCEEDED and order.status == S.SENT_TO_ERP
    assert [o["NumAtCard"] for o in sim.company.orders.values()] == [order.number]


def test_a_non_sales_item_is_refused_at_placement(sim, sap):
    """An item SAP stops selling (SalesItem tNO) becomes inactive at the next product read; an order holding it is
    refused by the portal's own orderability rule before anything reaches SAP."""
    import_all(sap, IMPORT_ORDER)
    dealer = Dealer.objects.get(code="C0001")
    StockLevel.objects.filter(product__sku="A0002").update(on_hand=D(1000))
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=Product.objects.get(sku="A0002"), quantity=D(1))
    sim.touch_item("A0002", SalesItem="tNO")
    assert sync_import(connection=sap, entity="product").status == SyncRun.Status.SUCCEEDED
    product = Product.objects.get(sku="A0002")
    assert (product.status, product.status_reason) == (Product.Status.INACTIVE, "Not a sales item in the ERP.")

    with pytest.raises(OrderRefused) as refused:
        place(buyer)

    assert any(message.startswith("A0002:") for message in refused.value.messages)
    assert not Order.objects.filter(dealer=dealer).exists()
    with pytest.raises(CartRefused):
        cart_line_add(dealer_user=buyer, product=product, quantity=D(1))
