"""Quotes to SAP Business One as sales quotations (``Quotations``), against the Service Layer simulator: a sent
version becomes one quotation (also when SAP's answer to the create is lost), a new version is a new quotation and
the one it replaces is cancelled in SAP, cancelling the quote cancels the quotation through the outbox, and a
quotation commits no stock."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import Product, StockLevel
from dealers.models import Dealer
from erpsync.adapters.base import Capability, ErpCancel, ErpOrderLine, ErpQuote, PermanentError
from erpsync.adapters.sap_b1 import SapB1Adapter
from erpsync.models import ErpConnection, SyncJob, ValueMap
from erpsync.outbox import outbox_drain
from erpsync.simulators import SapB1Simulator
from erpsync.simulators.sap_b1.errors import B1Error
from erpsync.tests.roundtrip import due_now, import_all
from erpsync.tests.test_sap_b1_roundtrip import IMPORT_ORDER
from orders.models import QuoteStatus
from orders.services.quotes import quote_accept, quote_cancel, quote_revise, quote_revision_request, quote_send
from orders.tests.factories import buyer_of
from orders.tests.quote_factories import priced_quote, requested_quote, staff_user

pytestmark = pytest.mark.django_db
D = Decimal
K = SyncJob.Kind
YES, NO = "tYES", "tNO"


@pytest.fixture
def sim():
    with SapB1Simulator(items=8, customers=3) as simulator:
        yield simulator


@pytest.fixture
def quoting(sim, monkeypatch):
    """The default connection on the simulator, set to push quotes, with the company imported."""
    monkeypatch.setenv("SAPTEST_USERNAME", "manager")
    monkeypatch.setenv("SAPTEST_PASSWORD", "1234")
    connection = ErpConnection.objects.create(
        code="sap", name="SAP Business One", adapter="sap_b1", is_default=True, credentials_ref="SAPTEST",
        settings={"base_url": sim.base_url, "company_db": sim.company_db, "timeout_seconds": 2,
                  "order_warehouse": "01", "vat_groups": {"20": "S1", "10": "S2"}, "read_retries": 1,
                  "quotes_to_erp": "quote"},
    )  # fmt: skip
    for code, rate in (("S1", "20"), ("S2", "10"), ("*", "20")):
        ValueMap.objects.create(
            connection=connection, kind=ValueMap.Kind.TAX_CODE, external_value=code, local_value=rate
        )
    import_all(connection, IMPORT_ORDER)
    StockLevel.objects.filter(product__sku="A0001").update(on_hand=D(1000))
    return connection


def quotations(sim, prefix: str) -> list[dict]:
    return sorted(
        (doc for doc in sim.company.quotations.values() if (doc["NumAtCard"] or "").startswith(prefix)),
        key=lambda doc: doc["DocEntry"],
    )


def sent(buyer, staff, *, net="95", terms="Teslim 5 iş günü, peşin"):
    quote = requested_quote(buyer, Product.objects.get(sku="A0001"), quantity="4", note="Şantiye için")
    priced_quote(quote, staff, net=net, days=10, terms=terms)
    quote_send(quote=quote, actor=staff)
    quote.refresh_from_db()
    return quote


def test_the_adapter_declares_quotes():
    assert Capability.QUOTES in SapB1Adapter.capabilities


def test_a_sent_quote_becomes_one_sap_quotation_even_when_the_answer_is_lost(sim, quoting):
    buyer, staff = buyer_of(Dealer.objects.get(code="C0001")), staff_user()
    committed = sim.stock("A0001", "01")["Committed"]
    sim.faults.drop_response("Quotations", method="POST")
    quote = sent(buyer, staff)

    outbox_drain(connection=quoting)
    job = SyncJob.objects.get(kind=K.QUOTE_EXPORT)
    assert job.status == SyncJob.Status.RETRYING  # SAP made it, the portal never heard
    due_now(job)
    outbox_drain(connection=quoting)
    job.refresh_from_db()
    assert job.status == SyncJob.Status.SUCCEEDED

    (doc,) = quotations(sim, quote.number)
    assert sim.stats.count("POST", "Quotations") == 1  # the retry found it instead of posting again
    assert doc["NumAtCard"] == f"{quote.number}-1" and doc["CardCode"] == "C0001"
    assert doc["DocObjectCode"] == "oQuotations"
    valid_until = quote.versions.get(number=1).valid_until
    assert doc["DocDueDate"][:10] == valid_until.isoformat()
    assert (doc["Comments"], doc["ClosingRemarks"]) == ("Şantiye için", "Teslim 5 iş günü, peşin")
    (line,) = doc["DocumentLines"]
    group = {D(20): "S1", D(10): "S2"}[Product.objects.get(sku="A0001").vat_rate]  # the connection's vat_groups
    assert (line["ItemCode"], line["Quantity"], line["UnitPrice"], line["VatGroup"]) == ("A0001", 4, 95, group)
    quote.refresh_from_db()
    assert quote.erp_document_number == str(doc["DocNum"])
    # A quotation is an offer: SAP commits no stock to it.
    assert sim.stock("A0001", "01")["Committed"] == committed


def test_a_new_version_is_a_new_quotation_and_the_old_one_is_cancelled_in_sap(sim, quoting):
    buyer, staff = buyer_of(Dealer.objects.get(code="C0001")), staff_user()
    quote = sent(buyer, staff, net="95")
    outbox_drain(connection=quoting)
    quote_revision_request(quote=quote, dealer_user=buyer, note="90 olur mu?")
    quote_revise(quote=quote, actor=staff)
    priced_quote(quote, staff, net="90", days=10)
    quote_send(quote=quote, actor=staff)
    outbox_drain(connection=quoting)

    first, second = quotations(sim, quote.number)
    assert (first["NumAtCard"], first["Cancelled"]) == (f"{quote.number}-1", YES)
    assert (second["NumAtCard"], second["Cancelled"], second["DocumentStatus"]) == (
        f"{quote.number}-2", NO, "bost_Open",
    )  # fmt: skip
    assert second["DocumentLines"][0]["UnitPrice"] == 90
    quote.refresh_from_db()
    assert quote.erp_document_number == str(second["DocNum"])
    # Draining again changes nothing in SAP.
    assert outbox_drain(connection=quoting) == 0
    assert sim.stats.count("POST", "Quotations") == 2


def test_cancelling_the_quote_cancels_the_quotation_through_the_outbox(sim, quoting):
    buyer, staff = buyer_of(Dealer.objects.get(code="C0002")), staff_user()
    quote = sent(buyer, staff)
    outbox_drain(connection=quoting)
    quote_cancel(quote=quote, actor=staff, note="Fiyatlar değişti")
    job = SyncJob.objects.get(kind=K.QUOTE_CANCEL)

    outbox_drain(connection=quoting)
    job.refresh_from_db()
    (doc,) = quotations(sim, quote.number)
    assert job.status == SyncJob.Status.SUCCEEDED
    assert (doc["Cancelled"], doc["CancelStatus"], doc["DocumentStatus"]) == (YES, "csYes", "bost_Close")
    # Cancelled in place: no cancellation document is added for a quotation.
    assert len(quotations(sim, quote.number)) == 1


def test_an_accepted_quote_leaves_the_quotation_and_pushes_the_order(sim, quoting):
    buyer, staff = buyer_of(Dealer.objects.get(code="C0001")), staff_user()
    quote = sent(buyer, staff)
    outbox_drain(connection=quoting)
    order = quote_accept(quote=quote, dealer_user=buyer)
    outbox_drain(connection=quoting)
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.ACCEPTED
    assert [o["NumAtCard"] for o in sim.company.orders.values()] == [order.number]
    (doc,) = quotations(sim, quote.number)
    assert doc["Cancelled"] == NO


# -- the adapter on its own ----------------------------------------------------------------------------------------


def _line(code="A0001") -> ErpOrderLine:
    return ErpOrderLine(line_no=1, product_code=code, quantity=D("2"), unit="", unit_price=D("50"), vat_rate=D("20"))


def _quote(reference="Q2026-000900-1", **changes) -> ErpQuote:
    today = timezone.localdate()
    values = {"reference": reference, "customer_code": "C0001", "quoted_on": today, "currency": "TRY",
              "valid_until": today + dt.timedelta(days=7), "lines": (_line(),), "net": D("100"), "vat": D("20"),
              "gross": D("120")}  # fmt: skip
    return ErpQuote(**{**values, **changes})


@pytest.fixture
def adapter(sim):
    with SapB1Adapter(
        settings={
            "base_url": sim.base_url,
            "company_db": sim.company_db,
            "timeout_seconds": 2,
            "vat_groups": {"20": "S1"},
        },
        credentials={"username": "manager", "password": "1234"},
    ) as sap_adapter:
        yield sap_adapter


def test_lookup_push_and_cancel(sim, adapter):
    assert adapter.quote_lookup("Q2026-000900-1") is None
    ack = adapter.quote_push(_quote())
    assert adapter.quote_push(_quote()) == ack  # the reference is looked up first
    assert adapter.quote_lookup("Q2026-000900-1") == ack and ack.document_number
    assert adapter.quote_lookup("Q2026-000900-2") is None
    cancelled = adapter.quote_cancel(ErpCancel("Q2026-000900-1", reason="Vazgeçildi"))
    assert cancelled.document_id == ack.document_id
    assert sim.company.quotations[int(ack.document_id)]["Cancelled"] == YES
    # Again (a retry after an unanswered cancel): nothing left to do, no error.
    assert adapter.quote_cancel(ErpCancel("Q2026-000900-1", document_id=ack.document_id)) == cancelled
    assert adapter.quote_lookup("Q2026-000900-1").state == "cancelled"


def test_a_quotation_sap_closed_is_left_as_it_is(sim, adapter):
    ack = adapter.quote_push(_quote("Q2026-000901-1"))
    with sim.company.lock:
        sim.company.action("Quotations", int(ack.document_id), "Close")
    adapter.quote_cancel(ErpCancel("Q2026-000901-1", document_id=ack.document_id))
    assert sim.company.quotations[int(ack.document_id)]["Cancelled"] == NO


def test_cancelling_a_quotation_sap_never_had_is_permanent(adapter):
    with pytest.raises(PermanentError):
        adapter.quote_cancel(ErpCancel("Q2026-000999-1"))


def test_a_quotation_sap_refuses_is_permanent(sim, adapter):
    with pytest.raises(PermanentError, match="SAP has no item NOPE"):
        adapter.quote_push(_quote(lines=(_line("NOPE"),)))
    assert not sim.company.quotations


def test_the_simulator_wants_a_validity_date_on_a_quotation(sim):
    with sim.company.lock, pytest.raises(B1Error, match="Valid Until"):
        sim.company.create("Quotations", {"CardCode": "C0001", "DocumentLines": [{"ItemCode": "A0001", "Quantity": 1}]})
