"""Paraşüt end to end on the portal's database: the demo company imported from the simulator, a dealer's order placed
and approved in the portal, sent once as a draft invoice (also when Paraşüt's answer is lost), the card payment
posted once as a collection on that invoice, and the invoice read back into the portal as paid."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import Product, StockLevel
from dealers.models import AccountEntry, Dealer, DealerDocument
from erpsync.models import SyncIssue, SyncJob, SyncRun
from erpsync.outbox import not_offered_message, outbox_drain
from erpsync.simulators.parasut import ParasutSimulator
from erpsync.tests.roundtrip import (
    approved_order,
    credentials,
    default_connection,
    drain_across_lost_answer,
    due_now,
    import_all,
    read_back,
    refused,
    sent_to_erp,
)
from orders.models import Order
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
    credentials(
        monkeypatch,
        "PRSTEST",
        CLIENT_ID=sim.client_id,
        CLIENT_SECRET=sim.client_secret,
        USERNAME=sim.username,
        PASSWORD=sim.password,
    )
    bank = next(a for a in sim.company.tables["accounts"].values() if a.attributes["name"] == "Garanti BBVA TL")
    return default_connection(
        "parasut",
        code="parasut",
        name="Paraşüt",
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


def test_import_order_invoice_once_payment_and_paid_in_the_portal(sim, parasut):
    runs = import_all(parasut, IMPORT_ORDER)
    assert runs["product"].status == SyncRun.Status.SUCCEEDED, refused(runs)
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
    # Paraşüt keeps no credit limits: staff approve what the portal held.
    order, _buyer = approved_order(dealer, tea, 3, note="Paraşüt'te kredi limiti yok")

    # Paraşüt makes the invoice but the answer is lost: the retry finds it instead of making another.
    sim.faults.drop_response(f"/{sim.company_id}/sales_invoices", method="POST")
    drain_across_lost_answer(parasut)
    sent_to_erp(order)
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
    # Contacts the portal refused (no tax number, an invalid TCKN) have balances it cannot place.
    read_back(parasut, ("invoice", "ledger", "balance"), allowed=frozenset({"unknown_customer"}))
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
    import_all(parasut, IMPORT_ORDER)
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
    assert job.last_error == str(not_offered_message(SyncJob.Kind.REFUND_EXPORT))
    assert SyncIssue.objects.get(job=job).code == "not_offered"
    assert not [r for r in sim.company.tables["sales_invoices"].values() if r.attributes["item_type"] == "refund"]


def test_a_refund_becomes_one_refund_invoice_at_the_invoices_vat_rate(sim, parasut):
    parasut.settings["refunds"] = True
    parasut.save()
    import_all(parasut, IMPORT_ORDER)
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
