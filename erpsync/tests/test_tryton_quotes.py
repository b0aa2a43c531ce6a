"""Quotes to Tryton as sales in the ``quotation`` state, against a real Tryton server: a sent version becomes one
sale (also when Tryton's answer to the create is lost), with its lines, validity and terms; a new version is a new
sale and the one it replaces is cancelled; cancelling the quote cancels the sale through the outbox; a sale Tryton's
staff confirmed is left as it is. The reads of orders (statuses, open orders, documents) and the drift check of
orders never take a quote's sale for a portal order."""

from __future__ import annotations

import dataclasses
import logging
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import Product
from dealers.models import Dealer
from erpsync.adapters.base import (
    Capability,
    ErpCancel,
    ErpOrderLine,
    ErpOrderState,
    ErpQuote,
    OutcomeUnknownError,
    PermanentError,
)
from erpsync.adapters.tryton import TrytonAdapter
from erpsync.drift import drift_check
from erpsync.models import SyncJob
from erpsync.outbox import outbox_drain
from erpsync.tests.test_tryton_adapter import make, order, records, sales
from erpsync.tests.test_tryton_sync import MASTER_DATA, imported, tryton  # noqa: F401 (the fixture)
from erpsync.tests.tryton_server import FaultProxy, StaffClient, ship
from orders.models import QuoteStatus
from orders.services.quotes import quote_accept, quote_cancel, quote_revise, quote_revision_request, quote_send
from orders.tests.factories import buyer_of
from orders.tests.quote_factories import priced_quote, requested_quote, staff_user

D = Decimal
K = SyncJob.Kind
QUOTED_ON = date.today()  # Tryton refuses to confirm a quotation once it expired


def quote(reference: str = "Q2026-000900-1", **changes) -> ErpQuote:
    line = ErpOrderLine(1, "DET-5", D("3"), "u", D("280.00"), D("20"), description="Deterjan, özel fiyat")
    values = {
        "reference": reference,
        "customer_code": "120.01.001",
        "quoted_on": QUOTED_ON,
        "valid_until": QUOTED_ON + timedelta(days=14),
        "currency": "TRY",
        "lines": (
            line,
            dataclasses.replace(line, line_no=2, product_code="BISK-9", unit_price=D("35"), vat_rate=D("10")),
        ),
        "net": D("875.00"),
        "vat": D("171.50"),
        "gross": D("1046.50"),
        "terms": "Teslim 5 iş günü, vade 30 gün",
        "note": "Şantiye için",
    }
    return ErpQuote(**{**values, **changes})


@pytest.fixture
def fresh(tryton_server):
    """A copy of the seeded company, its staff, and an adapter (no reference prefix: every sale with a reference
    could be the portal's) going through a fault relay."""
    database = tryton_server.database("catalog")
    proxy = FaultProxy(tryton_server.port)
    staff = StaffClient(tryton_server.url, database)
    adapter = make(proxy.url, database, sellable_warehouses=["IST"])
    yield adapter, staff, proxy
    adapter.close()
    staff.close()
    proxy.close()


def test_the_adapter_declares_quotes():
    assert Capability.QUOTES in TrytonAdapter.capabilities


def test_a_quote_is_one_quotation_sale_with_its_lines_validity_and_terms(fresh):
    adapter, staff, _proxy = fresh
    assert adapter.quote_lookup("Q2026-000900-1") is None

    ack = adapter.quote_push(quote())

    assert (ack.reference, ack.state, ack.complete) == ("Q2026-000900-1", ErpOrderState.OPEN, True)
    fields = ("number", "party.code", "quotation_date", "quotation_validity", "quotation_expire", "comment",
              "lines.product.code", "lines.quantity", "lines.unit_price", "sale_date")  # fmt: skip
    (sale,) = sales(staff, "quote:Q2026-000900-1", *fields)
    assert (sale["state"], str(sale["id"]), sale["number"]) == ("quotation", ack.document_id, ack.document_number)
    assert sale["party"]["code"] == "120.01.001"
    assert (sale["quotation_date"], sale["quotation_validity"]) == (QUOTED_ON, timedelta(days=14))
    assert sale["quotation_expire"] == QUOTED_ON + timedelta(days=14)  # Tryton's own date: the portal's valid-until
    assert sale["comment"] == "Şantiye için\n\nTeslim 5 iş günü, vade 30 gün"
    assert sale["sale_date"] is None  # an offer: no sale date until Tryton's staff confirm it
    lines = sorted((line["product"]["code"], line["quantity"], line["unit_price"]) for line in sale["lines"])
    assert lines == [("BISK-9", 3.0, D("35")), ("DET-5", 3.0, D("280"))]
    # Looked up before every create: pushed again, it is found, not made twice.
    assert adapter.quote_push(quote()) == ack
    assert adapter.quote_lookup("Q2026-000900-1") == ack
    assert adapter.quote_lookup("Q2026-000900-2") is None
    assert adapter.order_lookup("Q2026-000900-1") is None  # a quote is not an order
    assert len(staff.search("sale.sale", [], ["id"])) == 1


def test_tryton_refuses_to_confirm_a_quotation_past_its_validity(fresh):
    adapter, staff, _proxy = fresh
    ack = adapter.quote_push(quote(quoted_on=QUOTED_ON - timedelta(days=20), valid_until=QUOTED_ON - timedelta(days=6)))
    (sale,) = sales(staff, "quote:Q2026-000900-1", "quotation_expire")
    assert sale["quotation_expire"] == QUOTED_ON - timedelta(days=6)

    with pytest.raises(AssertionError, match="Sale Date"):
        staff.click("sale.sale", int(ack.document_id), "confirm")
    assert [s["state"] for s in sales(staff, "quote:Q2026-000900-1")] == ["quotation"]


def test_a_lost_answer_to_the_create_leaves_a_draft_the_next_push_quotes(fresh):
    adapter, staff, proxy = fresh
    proxy.lose_answer("POST", "/rest/model/sale.sale")
    with pytest.raises(OutcomeUnknownError):
        adapter.quote_push(quote())

    found = adapter.quote_lookup("Q2026-000900-1")
    assert found is not None and (found.state, found.complete) == (ErpOrderState.OPEN, False)
    ack = adapter.quote_push(quote())

    assert (ack.document_id, ack.complete) == (found.document_id, True)
    assert [sale["state"] for sale in sales(staff, "quote:Q2026-000900-1")] == ["quotation"]


def test_a_lost_answer_to_the_quote_step_is_outcome_unknown_and_the_sale_is_found_quoted(fresh):
    adapter, staff, proxy = fresh
    proxy.lose_answer("POST", "/quote")
    with pytest.raises(OutcomeUnknownError):
        adapter.quote_push(quote())

    found = adapter.quote_lookup("Q2026-000900-1")

    assert found is not None and found.complete is True
    assert adapter.quote_push(quote()).document_id == found.document_id
    assert [sale["state"] for sale in sales(staff, "quote:Q2026-000900-1")] == ["quotation"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"lines": (ErpOrderLine(1, "NOPE", D("1"), "u", D("1"), D("20")),)}, "no product with code 'NOPE'"),
        ({"customer_code": "999"}, "no party with code '999'"),
        ({"valid_until": QUOTED_ON - timedelta(days=1)}, "before it was quoted"),
    ],
)
def test_a_quote_tryton_cannot_take_is_permanent_and_writes_nothing(fresh, change, message):
    adapter, staff, _proxy = fresh
    with pytest.raises(PermanentError, match=message):
        adapter.quote_push(quote(**change))
    assert staff.search("sale.sale", [], ["id"]) == []


def test_cancel_cancels_the_quotation_and_a_second_cancel_is_harmless(fresh):
    adapter, staff, _proxy = fresh
    first = adapter.quote_push(quote("Q2026-000900-1"))
    second = adapter.quote_push(quote("Q2026-000900-2"))

    ack = adapter.quote_cancel(ErpCancel("Q2026-000900-1", reason="Vazgeçildi"))
    again = adapter.quote_cancel(ErpCancel("Q2026-000900-1", document_id=first.document_id))
    by_id = adapter.quote_cancel(ErpCancel("Q2026-000900-2", document_id=second.document_id))

    assert (ack.document_id, ack.document_number, again) == (first.document_id, first.document_number, ack)
    assert by_id.document_id == second.document_id
    assert [s["state"] for s in sales(staff, "quote:Q2026-000900-1")] == ["cancelled"]
    assert [s["state"] for s in sales(staff, "quote:Q2026-000900-2")] == ["cancelled"]
    assert adapter.quote_lookup("Q2026-000900-1").state == ErpOrderState.CANCELLED


def test_a_quotation_tryton_staff_confirmed_is_left_as_it_is_and_reported(fresh, caplog):
    adapter, staff, _proxy = fresh
    ack = adapter.quote_push(quote())
    staff.click("sale.sale", int(ack.document_id), "confirm")

    assert adapter.quote_lookup("Q2026-000900-1").state == ErpOrderState.CLOSED  # no longer an open offer
    with caplog.at_level(logging.WARNING, logger="erpsync.adapters.tryton.writes"):
        cancelled = adapter.quote_cancel(ErpCancel("Q2026-000900-1", document_id=ack.document_id))

    assert cancelled.document_id == ack.document_id
    assert [s["state"] for s in sales(staff, "quote:Q2026-000900-1")] == ["processing"]
    assert "Q2026-000900-1" in caplog.text and "processing" in caplog.text


def test_cancelling_what_is_no_quote_of_tryton_is_permanent(fresh):
    adapter, staff, _proxy = fresh
    placed = adapter.order_push(order("B2B-2026-000001"))
    with pytest.raises(PermanentError, match="no quotation sale"):
        adapter.quote_cancel(ErpCancel("Q2026-000999-1"))
    with pytest.raises(PermanentError, match="is not the quote"):
        adapter.quote_cancel(ErpCancel("Q2026-000999-1", document_id=placed.document_id))
    assert [s["state"] for s in sales(staff, "B2B-2026-000001")] == ["quotation"]  # the order's sale untouched


def test_quote_sales_are_no_orders_in_statuses_open_orders_or_documents(fresh):
    adapter, staff, _proxy = fresh
    placed = adapter.order_push(order("B2B-2026-000001"))
    offered = adapter.quote_push(quote("Q2026-000900-1"))
    adapter.quote_push(quote("Q2026-000900-2"))
    adapter.quote_cancel(ErpCancel("Q2026-000900-2"))

    statuses = records(adapter, "order_status", full=True)
    assert [status.reference for status in statuses] == ["B2B-2026-000001"]
    assert [(item.document_number, item.reference) for item in adapter.open_orders()] == [
        (placed.document_number, "B2B-2026-000001")
    ]

    # Tryton's staff turn the offer into a sale there and ship it: an order of Tryton's own, not a portal order.
    staff.click("sale.sale", int(offered.document_id), "confirm")
    ship(staff, int(offered.document_id))
    opened = {item.document_number: item.reference for item in adapter.open_orders()}
    assert opened == {placed.document_number: "B2B-2026-000001", offered.document_number: ""}
    assert [status.reference for status in records(adapter, "order_status", full=True)] == ["B2B-2026-000001"]
    deliveries = records(adapter, "delivery", full=True)
    assert [delivery.order_reference for delivery in deliveries] == [""]


# -- the whole loop: the portal's quotes through the outbox -----------------------------------------------------------


@pytest.fixture
def quoting(tryton):  # noqa: F811 (the fixture imported above)
    """The Tryton connection set to push quotes, with the company imported."""
    connection, proxy, staff = tryton
    connection.settings = {**connection.settings, "quotes_to_erp": "quote", "drift_checks": ["orders"]}
    connection.save()
    imported(connection, *MASTER_DATA)
    return connection, proxy, staff


def due_now(job: SyncJob) -> None:
    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def sent(buyer, staff, *, net="280", terms="Teslim 5 iş günü, peşin"):
    offer = requested_quote(buyer, Product.objects.get(sku="DET-5"), quantity="4", note="Şantiye için")
    priced_quote(offer, staff, net=net, days=10, terms=terms)
    quote_send(quote=offer, actor=staff)
    offer.refresh_from_db()
    return offer


def quote_sales(staff: StaffClient, number: str, *fields: str) -> list[dict]:
    found = staff.search("sale.sale", [["reference", "like", f"quote:{number}-%"]], ["reference", "state", *fields])
    return sorted(found, key=lambda sale: sale["id"])


@pytest.mark.django_db
def test_a_sent_quote_becomes_one_quotation_sale_even_when_the_answer_is_lost(quoting):
    connection, proxy, staff = quoting
    buyer, pricer = buyer_of(Dealer.objects.get(code="120.01.001")), staff_user()
    proxy.lose_answer("POST", "/rest/model/sale.sale")
    offer = sent(buyer, pricer)

    outbox_drain(connection=connection)
    job = SyncJob.objects.get(kind=K.QUOTE_EXPORT)
    assert job.status == SyncJob.Status.RETRYING, job.last_error  # Tryton made it, the portal never heard
    due_now(job)
    outbox_drain(connection=connection)
    job.refresh_from_db()
    assert job.status == SyncJob.Status.SUCCEEDED, job.last_error

    (sale,) = quote_sales(staff, offer.number, "number", "party.code", "quotation_expire", "comment", "lines.quantity",
                          "lines.unit_price")  # fmt: skip
    assert (sale["reference"], sale["state"]) == (f"quote:{offer.number}-1", "quotation")
    assert sale["quotation_expire"] == offer.versions.get(number=1).valid_until
    assert sale["comment"] == "Şantiye için\n\nTeslim 5 iş günü, peşin"
    assert [(line["quantity"], line["unit_price"]) for line in sale["lines"]] == [(4.0, D("280"))]
    offer.refresh_from_db()
    assert offer.erp_document_number == sale["number"]
    # The quotation is no portal order: its status is not read as an unknown order's (no issue), and the drift
    # check of orders finds nothing.
    imported(connection, "order_status", "delivery", "invoice")
    check = drift_check(connection).check("orders")
    assert (check.state, check.drifted, check.details["entered_in_erp"]) == ("compared", 0, 0), check.details


@pytest.mark.django_db
def test_a_new_version_is_a_new_sale_and_the_old_one_is_cancelled_in_tryton(quoting):
    connection, _proxy, staff = quoting
    buyer, pricer = buyer_of(Dealer.objects.get(code="120.01.001")), staff_user()
    offer = sent(buyer, pricer, net="280")
    outbox_drain(connection=connection)
    quote_revision_request(quote=offer, dealer_user=buyer, note="270 olur mu?")
    quote_revise(quote=offer, actor=pricer)
    priced_quote(offer, pricer, net="270", days=10)
    quote_send(quote=offer, actor=pricer)
    outbox_drain(connection=connection)

    first, second = quote_sales(staff, offer.number, "number", "lines.unit_price")
    assert (first["reference"], first["state"]) == (f"quote:{offer.number}-1", "cancelled")
    assert (second["reference"], second["state"]) == (f"quote:{offer.number}-2", "quotation")
    assert second["lines"][0]["unit_price"] == D("270")
    offer.refresh_from_db()
    assert offer.erp_document_number == second["number"]
    # Draining again changes nothing in Tryton.
    assert outbox_drain(connection=connection) == 0
    assert len(quote_sales(staff, offer.number)) == 2


@pytest.mark.django_db
def test_cancelling_the_quote_cancels_the_sale_through_the_outbox(quoting):
    connection, _proxy, staff = quoting
    buyer, pricer = buyer_of(Dealer.objects.get(code="120.01.001")), staff_user()
    offer = sent(buyer, pricer)
    outbox_drain(connection=connection)
    quote_cancel(quote=offer, actor=pricer, note="Fiyatlar değişti")

    outbox_drain(connection=connection)
    job = SyncJob.objects.get(kind=K.QUOTE_CANCEL)
    assert job.status == SyncJob.Status.SUCCEEDED, job.last_error
    assert [sale["state"] for sale in quote_sales(staff, offer.number)] == ["cancelled"]


@pytest.mark.django_db
def test_an_accepted_quote_leaves_the_quotation_and_pushes_the_order_the_only_one_drift_compares(quoting):
    connection, _proxy, staff = quoting
    buyer, pricer = buyer_of(Dealer.objects.get(code="120.01.001")), staff_user()
    offer = sent(buyer, pricer)
    outbox_drain(connection=connection)
    placed = quote_accept(quote=offer, dealer_user=buyer)
    outbox_drain(connection=connection)
    offer.refresh_from_db()
    assert offer.status == QuoteStatus.ACCEPTED

    assert [sale["state"] for sale in quote_sales(staff, offer.number)] == ["quotation"]
    (sale,) = sales(staff, placed.number, "lines.unit_price")
    assert sale["lines"][0]["unit_price"] == D("280")
    check = drift_check(connection).check("orders")
    assert (check.state, check.compared, check.drifted) == ("compared", 1, 0), check.details
