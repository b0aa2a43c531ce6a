"""Paraşüt end to end on the portal's database: the demo company imported from the simulator, a dealer's order placed
and approved in the portal, sent once as a draft invoice (also when Paraşüt's answer is lost), the card payment
posted once as a collection on that invoice, and the invoice read back into the portal as paid."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from catalog.models import Product, StockLevel
from dealers.models import AccountEntry, Dealer, DealerDocument
from erpsync.importers import sync_import
from erpsync.models import ErpConnection, SyncJob, SyncRun, ValueMap
from erpsync.outbox import outbox_drain
from erpsync.simulators.parasut import ParasutSimulator
from orders.models import Order
from orders.services import cart_line_add
from orders.services.approval import order_staff_approve
from orders.status import OrderStatus as S
from orders.tests.factories import buyer_of, place
from payments.hooks import collections_recorded, refund_made

pytestmark = pytest.mark.django_db
D = Decimal
IMPORT_ORDER = ("unit", "warehouse", "price_list", "product", "stock", "price", "customer", "balance")


@pytest.fixture
def sim():
    with ParasutSimulator(demo=True, rate_limit=0) as simulator:
        yield simulator
        assert simulator.violations == []


@pytest.fixture
def parasut(sim, monkeypatch):
    monkeypatch.setenv("PRSTEST_CLIENT_ID", sim.client_id)
    monkeypatch.setenv("PRSTEST_CLIENT_SECRET", sim.client_secret)
    monkeypatch.setenv("PRSTEST_USERNAME", sim.username)
    monkeypatch.setenv("PRSTEST_PASSWORD", sim.password)
    bank = next(a for a in sim.company.tables["accounts"].values() if a.attributes["name"] == "Garanti BBVA TL")
    connection = ErpConnection.objects.create(
        code="parasut",
        name="Paraşüt",
        adapter="parasut",
        is_default=True,
        credentials_ref="PRSTEST",
        settings={
            "base_url": sim.root_url,
            "company_id": sim.company_id,
            "customer_code": "tax_number",
            "payment_accounts": {"*": str(bank.id)},
            "timeout_seconds": 2,
            "rate_limit": 1000,
            "read_retries": 1,
        },
    )
    for rate in ("1", "10", "20"):
        ValueMap.objects.create(
            connection=connection, kind=ValueMap.Kind.TAX_CODE, external_value=rate, local_value=rate
        )
    return connection


def due_now(kind: str) -> None:
    SyncJob.objects.filter(kind=kind).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def test_import_order_invoice_once_payment_and_paid_in_the_portal(sim, parasut):
    runs = {entity: sync_import(connection=parasut, entity=entity, full=True) for entity in IMPORT_ORDER}
    failed = {
        entity: [i.message for i in run.issues.all()]
        for entity, run in runs.items()
        if run.status != SyncRun.Status.SUCCEEDED
    }
    assert {entity: run.status for entity, run in runs.items()}["product"] == SyncRun.Status.SUCCEEDED, failed
    tea = Product.objects.get(sku="ÇAY-001")
    assert tea.vat_rate == 1
    assert Product.objects.get(sku="ARŞ-01").status == Product.Status.INACTIVE
    dealer = Dealer.objects.get(code="1234567890")
    assert dealer.title.startswith("Öztürk Gıda")
    # The contact's IBAN is the dealer's for bank matching; a mistyped one is an issue, the dealer still comes in.
    assert list(dealer.ibans.values_list("iban", "source")) == [("TR330006100519786457841326", "erp")]
    assert Dealer.objects.filter(code="10000000146").exists()
    assert [i.external_id for i in runs["customer"].issues.filter(code="invalid_iban")] == ["10000000146"]
    StockLevel.objects.filter(product=tea).update(on_hand=D(1000))

    # The dealer orders three teas; staff approve if the rules held the order.
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=tea, quantity=D(3))
    order = place(buyer)
    if order.status != S.APPROVED:  # Paraşüt keeps no credit limits: staff approve what the portal held
        staff = UserFactory(is_staff=True, is_superuser=True)
        order = order_staff_approve(order=order, actor=staff, note="Paraşüt'te kredi limiti yok")
    assert order.status == S.APPROVED

    # Paraşüt makes the invoice but the answer is lost: the retry finds it instead of making another.
    sim.faults.drop_response(f"/{sim.company_id}/sales_invoices", method="POST")
    outbox_drain(connection=parasut)
    job = SyncJob.objects.get(kind=SyncJob.Kind.ORDER_EXPORT)
    assert job.status == SyncJob.Status.RETRYING
    due_now(SyncJob.Kind.ORDER_EXPORT)
    outbox_drain(connection=parasut)
    job.refresh_from_db()
    order.refresh_from_db()
    assert (job.status, order.status) == (SyncJob.Status.SUCCEEDED, S.SENT_TO_ERP)
    (invoice,) = [r for r in sim.company.tables["sales_invoices"].values() if r.attributes["order_no"] == order.number]
    assert sim.stats.count("POST", f"/{sim.company_id}/sales_invoices") == 1
    assert D(str(invoice.attributes["net_total"])) == order.total_gross

    # The dealer pays by card: the collection goes to Paraşüt once, on that invoice.
    payload = {
        "reference": "PAY-CARD0001",
        "dealer_id": dealer.pk,
        "amount": str(order.total_gross),
        "currency": "TRY",
        "received_on": timezone.localdate().isoformat(),
        "method": "card",
        "description": "Kart ödemesi",
        "order_number": order.number,
        "invoice_numbers": [],
    }
    collections_recorded.send(collections=[("payment:card-1", order.pk, payload)], fresh=False)
    sim.faults.drop_response(f"/{sim.company_id}/sales_invoices/*/payments", method="POST")
    outbox_drain(connection=parasut)
    due_now(SyncJob.Kind.PAYMENT_EXPORT)
    outbox_drain(connection=parasut)
    assert SyncJob.objects.get(kind=SyncJob.Kind.PAYMENT_EXPORT).status == SyncJob.Status.SUCCEEDED
    assert invoice.attributes["payment_status"] == "paid"
    assert len(invoice.relationships["payments"]) == 1

    # Read back: the invoice is on the dealer's documents and account, paid in full.
    for entity in ("invoice", "ledger", "balance"):
        run = sync_import(connection=parasut, entity=entity, full=True)
        # Contacts the portal refused (no tax number, an invalid TCKN) have balances it cannot place.
        assert {issue.code for issue in run.issues.all()} <= {"unknown_customer"}, entity
    document = DealerDocument.objects.get(kind="invoice", dealer=dealer, number=f"#{invoice.id}")
    assert document.gross == order.total_gross
    entry = AccountEntry.objects.get(dealer=dealer, erp_id=f"inv:{invoice.id}")
    assert entry.open_amount == 0
    # The demo's invoice sent as an e-invoice carries its id onto the dealer's document.
    e_invoice = next(r for r in sim.company.tables["e_invoices"].values())
    sent = DealerDocument.objects.get(kind="invoice", dealer=dealer, e_invoice_uuid=e_invoice.attributes["uuid"])
    assert sent.number.startswith("GIB")
    assert Order.objects.filter(number=order.number).exists()


def test_a_refund_waits_for_a_person_when_the_company_uses_no_refund_invoices(sim, parasut):
    for entity in IMPORT_ORDER:
        sync_import(connection=parasut, entity=entity, full=True)
    dealer = Dealer.objects.get(code="1234567890")
    payload = {
        "reference": "RF-0001",
        "dealer_id": dealer.pk,
        "amount": "120.00",
        "currency": "TRY",
        "issued_on": timezone.localdate().isoformat(),
        "invoice_number": "",
        "order_number": "B2B-1",
        "reason": "Hasarlı ürün",
    }
    refund_made.send(identity_key="refund:1", object_id=1, payload=payload)

    outbox_drain(connection=parasut)

    job = SyncJob.objects.get(kind=SyncJob.Kind.REFUND_EXPORT)
    assert job.status == SyncJob.Status.DEAD
    assert "does not use refund invoices" in job.last_error
    assert not [r for r in sim.company.tables["sales_invoices"].values() if r.attributes["item_type"] == "refund"]


def test_a_refund_becomes_one_refund_invoice_at_the_invoices_vat_rate(sim, parasut):
    parasut.settings["refunds"] = True
    parasut.save()
    for entity in IMPORT_ORDER:
        sync_import(connection=parasut, entity=entity, full=True)
    dealer = Dealer.objects.get(code="1234567890")
    paid = next(r for r in sim.company.tables["sales_invoices"].values() if r.attributes["payment_status"] == "paid")
    payload = {
        "reference": "RF-0002",
        "dealer_id": dealer.pk,
        "amount": "101.00",
        "currency": "TRY",
        "issued_on": timezone.localdate().isoformat(),
        "invoice_number": f"#{paid.id}",
        "reason": "İade",
    }
    refund_made.send(identity_key="refund:2", object_id=2, payload=payload)

    outbox_drain(connection=parasut)

    assert SyncJob.objects.get(kind=SyncJob.Kind.REFUND_EXPORT).status == SyncJob.Status.SUCCEEDED
    (refund,) = [r for r in sim.company.tables["sales_invoices"].values() if r.attributes["item_type"] == "refund"]
    assert (refund.attributes["order_no"], refund.attributes["net_total"]) == ("RF-0002", 101.0)
    (detail,) = [sim.company.tables["sales_invoice_details"][key] for _t, key in refund.relationships["details"]]
    assert detail.attributes["vat_rate"] == 1
