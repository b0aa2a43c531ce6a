"""The SAP Business One adapter beyond items and partners: units and special prices, what order lines carry,
approval drafts, order status and documents worked out from SAP's document chain, collections, refunds, live
lookups and the request cap. Against the Service Layer simulator; no database."""

from __future__ import annotations

import dataclasses
import threading
import time
from datetime import UTC, date, timedelta
from decimal import Decimal

import pytest

from dealers.models import DealerDocument
from dealers.tests.factories import DealerFactory
from erpsync.adapters.base import (
    Capability,
    DocumentKind,
    ErpCancel,
    ErpCreditMemo,
    ErpOrderState,
    ErpPayment,
    ErpProductUnit,
    OutcomeUnknownError,
    PermanentError,
)
from erpsync.adapters.sap_b1 import SapB1Adapter
from erpsync.importers import sync_import
from erpsync.simulators import SapB1Simulator
from erpsync.tests.test_sap_b1_adapter import make, order, records

YES = "tYES"


@pytest.fixture
def sim():
    with SapB1Simulator() as simulator:
        yield simulator


@pytest.fixture
def adapter(sim):
    options = {"payment_accounts": {"card": "108.01", "*": "102.01"}, "refund_account": "610.01", "read_retries": 0}
    with make(sim, **options) as adapter:
        yield adapter


def line(code: str = "A0001", quantity: str = "2", unit: str = "Pcs", price: str = "10", **changes):
    base = order().lines[0]
    return dataclasses.replace(
        base, product_code=code, quantity=Decimal(quantity), unit=unit, unit_price=Decimal(price), **changes
    )


def order_of(*lines, reference: str = "P2026-000001"):
    return dataclasses.replace(order(reference), lines=tuple(lines))


def sap_order(sim, reference: str):
    matches = [o for o in sim.company.orders.values() if o["NumAtCard"] == reference]
    assert len(matches) == 1, f"{len(matches)} orders carry {reference}"
    return matches[0]


# --- units and special prices ------------------------------------------------------------------------------


def test_units_are_the_uom_list_and_manual_units_of_items(adapter, sim):
    sim.add_item("M-1", InventoryUOM="Metre", SalesUnit="Metre")
    units = {unit.code: unit.name for unit in records(adapter, "unit")}
    assert units == {"Pcs": "Piece", "Box12": "Box of 12", "Metre": "Metre"}


def test_items_in_a_unit_group_carry_its_units_with_factors(adapter):
    products = {product.code: product for product in records(adapter, "product")}
    assert (products["A0005"].unit, products["A0005"].units) == ("Pcs", (ErpProductUnit("Box12", Decimal(12)),))
    assert (products["A0001"].unit, products["A0001"].units) == ("Pcs", ())
    assert products["A0003"].batch_managed and products["A0004"].batch_managed
    assert not products["A0001"].batch_managed


def test_factors_are_relative_to_the_inventory_unit(adapter, sim):
    with sim.company.lock:
        sim.company.add_uom(3, "Pack6", "Pack of 6")
        group = sim.company.uom_groups[1]
        group["UoMGroupDefinitionCollection"].append(
            {"AlternateUoM": 3, "AlternateQuantity": 1.0, "BaseQuantity": 6.0, "Active": YES}
        )
    sim.add_item("PK-1", UoMGroupEntry=1, InventoryUoMEntry=3)
    product = next(p for p in records(adapter, "product") if p.code == "PK-1")
    assert product.unit == "Pack6"
    assert sorted(product.units, key=lambda u: u.unit) == [
        ErpProductUnit("Box12", Decimal(2)),
        ErpProductUnit("Pcs", Decimal(1) / Decimal(6)),
    ]


def test_special_prices_become_agreements(adapter, sim):
    sim.create(
        "SpecialPrices",
        {
            "CardCode": "C0002",
            "ItemCode": "A0002",
            "DiscountPercent": 12.5,
            "AutoUpdate": YES,
            "ValidTo": "2026-12-31",
            "SpecialPriceDataAreas": [
                {
                    "RowNumber": 1,
                    "DateFrom": "2026-06-01",
                    "Dateto": "2026-06-30",
                    "Discount": 20.0,
                    "SpecialPriceQuantityAreas": [{"Quantity": 100.0, "Discountin": 25.0, "SpecialPrice": 7.5}],
                }
            ],
        },
    )
    sim.create("SpecialPrices", {"CardCode": "C0003", "ItemCode": "A0002", "Price": 5.0, "Valid": "tNO"})
    agreements = {a.code: a for a in records(adapter, "agreement")}

    assert set(agreements) == {"C0001|A0001", "C0002|A0002", "C0002|A0002|1", "C0002|A0002|1|100"}
    fixed = agreements["C0001|A0001"]
    assert (fixed.kind, fixed.currency, fixed.product_code, fixed.customer_code) == (
        "fixed_price",
        "TRY",
        "A0001",
        "C0001",
    )
    assert fixed.value == Decimal(str(sim.company.special_prices[("C0001", "A0001")]["Price"]))
    discount = agreements["C0002|A0002"]
    assert (discount.kind, discount.value, discount.valid_to) == ("discount", Decimal("12.5"), date(2026, 12, 31))
    period = agreements["C0002|A0002|1"]
    assert (period.value, period.valid_from, period.valid_to) == (Decimal(20), date(2026, 6, 1), date(2026, 6, 30))
    volume = agreements["C0002|A0002|1|100"]
    # The volume break follows the list with its own discount (Discountin), not its SpecialPrice as a fixed price.
    assert (volume.kind, volume.value, volume.min_quantity) == ("discount", 25, 100)


# --- order lines --------------------------------------------------------------------------------------------


def test_a_pack_line_goes_with_its_uom_entry(adapter, sim):
    adapter.order_push(order_of(line("A0005", "2", "Box12", "120")))
    sent = sap_order(sim, "P2026-000001")["DocumentLines"][0]
    assert (sent["UoMEntry"], sent["UoMCode"], sent["Quantity"], sent["InventoryQuantity"]) == (2, "Box12", 2, 24)
    assert sim.stock("A0005")["Committed"] == 24


def test_discounted_line_carries_list_price_and_percentage(adapter, sim):
    adapter.order_push(
        order_of(
            line("A0001", price="90", list_price=Decimal("100"), discount_percent=Decimal("10")),
            line("A0002", price="33.33", list_price=Decimal("50"), discount_percent=Decimal("33.3")),
        )
    )
    first, second = sap_order(sim, "P2026-000001")["DocumentLines"]
    assert (first["UnitPrice"], first["DiscountPercent"], first["Price"]) == (100, 10, 90)
    # 50 less 33.3 % is 33.35, not what the dealer was charged: the net price goes as it is.
    assert (second["UnitPrice"], second["DiscountPercent"], second["Price"]) == (33.33, 0, 33.33)


def test_lines_sap_would_refuse_are_refused_before_sending(adapter, sim):
    bad = order_of(
        line("A0003"),  # batch-managed
        line("NOPE"),
        line("A0005", unit="Koli"),
        line("A0001", unit="Box12"),
        line("A0002"),
    )
    with pytest.raises(PermanentError) as caught:
        adapter.order_push(bad)
    message = caught.value.message
    assert "A0003 is managed by batches" in message
    assert "SAP has no item NOPE" in message
    assert "unit Koli is not in the unit group BOX12 of item A0005" in message
    assert "A0001 is sold in Pcs only, not Box12" in message
    assert "A0002" not in message
    assert sim.stats.count("POST", "Orders") == 0


def test_batch_items_may_be_allowed(sim):
    with make(sim, allow_batch_managed_orders=True) as adapter:
        adapter.order_push(order_of(line("A0003")))
    assert sap_order(sim, "P2026-000001")["DocumentLines"][0]["ItemCode"] == "A0003"


# --- approval drafts ------------------------------------------------------------------------------------------


def test_an_order_held_for_approval_is_bound_to_its_draft_once(adapter, sim):
    sim.company.approval_required = True
    first = adapter.order_push(order_of(line()))
    again = adapter.order_push(order_of(line()))

    assert first.document_id.startswith("draft:") and first == again
    assert adapter.order_lookup("P2026-000001") == first
    assert not sim.company.orders and len(sim.company.drafts) == 1
    assert sim.stats.count("POST", "Orders") == 1
    with pytest.raises(PermanentError, match="waits for approval"):
        adapter.order_cancel(ErpCancel("P2026-000001", document_id=first.document_id))


def test_a_not_found_answer_without_a_draft_stays_an_error(adapter, sim):
    sim.faults.error("Orders", status=404, method="POST")
    with pytest.raises(PermanentError):
        adapter.order_push(order_of(line()))


# --- order status and documents --------------------------------------------------------------------------------


def states(adapter, since=None) -> dict[str, ErpOrderState]:
    return {status.reference: status.state for status in records(adapter, "order_status", since=since)}


def test_order_states_follow_deliveries_invoices_and_cancellation(adapter, sim):
    for number in range(1, 6):
        adapter.order_push(order_of(line("A0001", "4"), line("A0002", "2"), reference=f"P2026-00000{number}"))
    entry = {n: sap_order(sim, f"P2026-00000{n}")["DocEntry"] for n in range(1, 6)}
    sim.deliver(entry[2], {0: 1})
    sim.invoice(sim.deliver(entry[3])["DocEntry"])
    sim.deliver(entry[4])
    with sim.company.lock:
        sim.company.action("Orders", entry[5], "Cancel")

    assert states(adapter) == {
        "P2026-000001": ErpOrderState.OPEN,
        "P2026-000002": ErpOrderState.PARTIALLY_SHIPPED,
        "P2026-000003": ErpOrderState.INVOICED,
        "P2026-000004": ErpOrderState.SHIPPED,
        "P2026-000005": ErpOrderState.CANCELLED,
    }
    feed = next(iter(adapter.read("order_status", full=True)))
    assert not feed.complete


def test_status_window_holds_orders_touched_by_a_later_invoice(adapter, sim):
    adapter.order_push(order_of(line()))
    delivery = sim.deliver(sap_order(sim, "P2026-000001")["DocEntry"])
    later = sim.company.clock.now() + timedelta(days=2)
    sim.set_time(later)
    sim.invoice(delivery["DocEntry"])

    since = later.replace(tzinfo=adapter.zone).astimezone(UTC) - timedelta(minutes=1)
    assert states(adapter, since=since) == {"P2026-000001": ErpOrderState.INVOICED}
    assert states(adapter, since=since + timedelta(days=1)) == {}


def test_documents_are_tied_to_the_portal_order_through_their_base(adapter, sim):
    adapter.order_push(order_of(line("A0001", "4")))
    order_entry = sap_order(sim, "P2026-000001")["DocEntry"]
    delivery = sim.deliver(order_entry, tracking_number="YK-123")
    invoice = sim.invoice(delivery["DocEntry"])
    sim.credit_note(invoice["DocEntry"], {0: 1})

    (shipped,) = records(adapter, "delivery")
    (billed,) = records(adapter, "invoice")
    (credited,) = records(adapter, "credit_memo")

    assert (shipped.kind, shipped.number, shipped.order_reference, shipped.tracking_number) == (
        DocumentKind.DELIVERY,
        str(delivery["DocNum"]),
        "P2026-000001",
        "YK-123",
    )
    assert (billed.number, billed.related_number, billed.order_reference) == (
        str(invoice["DocNum"]),
        str(delivery["DocNum"]),
        "P2026-000001",
    )
    assert billed.gross == Decimal(str(invoice["DocTotal"])) and billed.vat == Decimal(str(invoice["VatSum"]))
    assert billed.net == billed.gross - billed.vat and billed.due_on == date.fromisoformat(invoice["DocDueDate"])
    assert (credited.related_number, credited.order_reference, credited.customer_code) == (
        str(invoice["DocNum"]),
        "P2026-000001",
        "C0001",
    )


def test_documents_carry_their_lines_as_the_service_layer_returns_them(adapter, sim):
    adapter.order_push(order_of(line("A0001", "4", price="100"), line("A0002", "3", price="50", line_no=2)))
    order_entry = sap_order(sim, "P2026-000001")["DocEntry"]
    delivery = sim.deliver(order_entry, {1: 2})  # part of the second order line only
    invoice = sim.invoice(delivery["DocEntry"])
    sim.credit_note(invoice["DocEntry"], {0: 1})

    (shipped,) = records(adapter, "delivery")
    (billed,) = records(adapter, "invoice")
    (credited,) = records(adapter, "credit_memo")

    (shipped_line,) = shipped.lines
    sap_line = delivery["DocumentLines"][0]
    assert (shipped_line.line_no, shipped_line.product_code, shipped_line.quantity) == (1, "A0002", Decimal("2"))
    assert shipped_line.order_line_no == 2  # SAP's order LineNum 1, the portal's second line
    assert shipped_line.description == sap_line["ItemDescription"]
    (billed_line,) = billed.lines
    sap_line = invoice["DocumentLines"][0]
    assert billed_line.order_line_no == 2  # through the delivery it bills
    assert billed_line.net == Decimal(str(sap_line["LineTotal"])) and billed_line.vat == Decimal(
        str(sap_line["TaxTotal"])
    )
    assert billed_line.vat_rate == Decimal(str(sap_line["TaxPercentagePerRow"])) == Decimal("20")
    assert billed_line.unit_price == Decimal(str(sap_line["UnitPrice"]))
    assert sum(x.net + x.vat for x in billed.lines) == billed.gross
    (credited_line,) = credited.lines
    assert credited_line.quantity == Decimal("1") and credited_line.order_line_no == 2


@pytest.mark.django_db
def test_document_lines_import_onto_the_portal_document(adapter, sim, memory_erp):
    DealerFactory(code="C0001")
    adapter.order_push(order_of(line("A0001", "4", price="100")))
    sim.invoice(sap_order(sim, "P2026-000001")["DocEntry"], base_type=17)
    memory_erp.publish("invoice", records(adapter, "invoice"))
    sync_import(connection=memory_erp.connection, entity="invoice")
    (stored,) = DealerDocument.objects.get(kind="invoice").lines.all()
    assert (stored.item_code, stored.quantity, stored.vat_rate) == ("A0001", Decimal("4"), Decimal("10"))


def test_a_document_without_a_base_keeps_its_own_reference(adapter, sim):
    sim.create(
        "Invoices",
        {"CardCode": "C0002", "NumAtCard": "PO-77", "DocumentLines": [{"ItemCode": "A0001", "Quantity": 1}]},
    )
    (invoice,) = records(adapter, "invoice")
    assert (invoice.order_reference, invoice.related_number, invoice.customer_code) == ("PO-77", "", "C0002")


# --- collections and refunds ------------------------------------------------------------------------------------


def payment(reference: str = "PAY-1", amount: str = "100", **changes) -> ErpPayment:
    return ErpPayment(reference, "C0001", Decimal(amount), "TRY", date(2026, 3, 2), "card", **changes)


def invoiced(adapter, sim, quantity: str = "2") -> dict:
    adapter.order_push(order_of(line("A0001", quantity, price="100")))
    return sim.invoice(sap_order(sim, "P2026-000001")["DocEntry"], base_type=17)


def test_a_collection_settles_the_invoices_named_and_leaves_the_rest_on_account(adapter, sim):
    invoice = invoiced(adapter, sim)
    before = sim.company.business_partners["C0001"]["CurrentAccountBalance"]
    ack = adapter.payment_push(payment(amount="500", invoice_numbers=(str(invoice["DocNum"]),)))

    booked = sim.company.incoming_payments[int(ack.document_id)]
    assert (booked["CounterReference"], booked["TransferAccount"], booked["TransferSum"]) == ("PAY-1", "108.01", 500)
    assert booked["PaymentInvoices"][0]["SumApplied"] == invoice["DocTotal"]
    assert sim.company.invoices[invoice["DocEntry"]]["DocumentStatus"] == "bost_Close"
    assert sim.company.business_partners["C0001"]["CurrentAccountBalance"] == pytest.approx(before - 500)
    assert adapter.payment_lookup("PAY-1") == ack
    assert adapter.payment_push(payment(amount="500")) == ack
    assert len(sim.company.incoming_payments) == 1


def test_a_collection_whose_answer_is_lost_is_found_not_booked_twice(adapter, sim):
    sim.faults.drop_response("IncomingPayments", method="POST")
    with pytest.raises(OutcomeUnknownError):
        adapter.payment_push(payment())
    found = adapter.payment_lookup("PAY-1")
    assert found is not None and adapter.payment_push(payment()) == found
    assert len(sim.company.incoming_payments) == 1


def test_a_collection_needs_an_account_and_a_real_invoice(sim, adapter):
    with make(sim) as bare, pytest.raises(PermanentError, match="No G/L account"):
        bare.payment_push(payment())
    with pytest.raises(PermanentError, match="no invoice 999"):
        adapter.payment_push(payment(invoice_numbers=("999",)))
    assert not sim.company.incoming_payments


def memo(invoice: dict, amount, reference: str = "RF-1") -> ErpCreditMemo:
    return ErpCreditMemo(reference, "C0001", Decimal(str(amount)), "TRY", date(2026, 3, 3), str(invoice["DocNum"]))


def test_a_full_refund_copies_the_invoice_lines(adapter, sim):
    invoice = invoiced(adapter, sim)
    ack = adapter.credit_memo_push(memo(invoice, invoice["DocTotal"]))

    note = sim.company.credit_notes[int(ack.document_id)]
    assert note["NumAtCard"] == "RF-1" and note["DocTotal"] == invoice["DocTotal"]
    assert {(line["BaseType"], line["BaseEntry"]) for line in note["DocumentLines"]} == {(13, invoice["DocEntry"])}
    assert adapter.credit_memo_push(memo(invoice, invoice["DocTotal"])) == ack
    assert len(sim.company.credit_notes) == 1


def test_a_partial_refund_is_a_service_memo_referring_to_the_invoice(adapter, sim):
    invoice = invoiced(adapter, sim)
    ack = adapter.credit_memo_push(memo(invoice, "60"))

    note = sim.company.credit_notes[int(ack.document_id)]
    assert note["DocType"] == "dDocument_Service" and note["DocTotal"] == pytest.approx(60)
    assert note["DocumentLines"][0]["AccountCode"] == "610.01"
    assert note["DocumentReferences"][0]["RefDocEntr"] == invoice["DocEntry"]


def test_refunds_sap_cannot_take_are_refused(adapter, sim):
    invoice = invoiced(adapter, sim)
    with make(sim) as bare, pytest.raises(PermanentError, match="refund_account"):
        bare.credit_memo_push(memo(invoice, "60"))
    with pytest.raises(PermanentError, match="does not fit"):
        adapter.credit_memo_push(memo(invoice, invoice["DocTotal"] + 1))
    with pytest.raises(PermanentError, match="names no invoice"):
        adapter.credit_memo_push(dataclasses.replace(memo(invoice, "60"), invoice_number=""))
    assert not sim.company.credit_notes


def test_a_refund_whose_answer_is_lost_is_found_not_booked_twice(adapter, sim):
    invoice = invoiced(adapter, sim)
    sim.faults.drop_response("CreditNotes", method="POST")
    with pytest.raises(OutcomeUnknownError):
        adapter.credit_memo_push(memo(invoice, "60"))
    assert adapter.credit_memo_push(memo(invoice, "60")) == adapter.credit_memo_lookup("RF-1")
    assert len(sim.company.credit_notes) == 1


# --- live lookups and the request cap ---------------------------------------------------------------------------


def test_live_stock_and_balance(adapter, sim):
    stock = {(s.product_code, s.warehouse_code): s.on_hand for s in adapter.live_stock(["A0001", "A0002", "NOPE"])}
    assert stock[("A0001", "01")] == Decimal(str(sim.stock("A0001")["InStock"]))
    # A row per warehouse, empty ones included ("none now" is an answer).
    assert {code for code, _ in stock} == {"A0001", "A0002"} and len(stock) == 2 * len(sim.company.warehouses)
    balance = adapter.live_balance("C0001")
    assert balance.balance == Decimal(str(sim.company.business_partners["C0001"]["CurrentAccountBalance"]))


def test_live_lookups_can_be_switched_off(sim):
    with make(sim, live_lookups=False) as adapter:
        assert not adapter.supports(Capability.LIVE_STOCK) and not adapter.supports(Capability.LIVE_BALANCE)
        with pytest.raises(NotImplementedError):
            adapter.live_stock(["A0001"])


def test_requests_in_flight_are_capped(sim):
    sim.faults.latency("Orders", seconds=0.3, count=None)
    with make(sim, outbox_concurrency=2) as adapter:
        adapter.order_lookup("warm-up")  # logs in
        started = time.monotonic()
        threads = [threading.Thread(target=adapter.order_lookup, args=(f"P-{n}",)) for n in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    # Six 0.3 s requests two at a time take three rounds.
    assert elapsed >= 0.85


def test_cap_defaults_to_four():
    assert SapB1Adapter.outbox_concurrency == 4
