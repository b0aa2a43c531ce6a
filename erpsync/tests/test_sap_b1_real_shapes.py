"""The SAP B1 adapter against items and documents as real companies hold them: recorded items (no inventory unit,
no sales VAT group, not sold, a price in pesos, ten full-width stock rows), validity and freeze windows, local
currencies, stock rows with ``Ordered`` and ``Locked``, busy records, v1 and v2, and what an order carries (ship-to,
PO, UDFs, tax codes, warehouses)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured

from catalog.models import Product, Unit
from erpsync.adapters.base import ErpOrderState, PermanentError, RetryableError
from erpsync.importers import sync_import
from erpsync.models import ErpConnection, SyncRun, ValueMap
from erpsync.simulators import SapB1Simulator
from erpsync.simulators.sap_b1.errors import LOCKED_CODE, LOCKED_MESSAGE
from erpsync.simulators.sap_b1.real import load_real_items
from erpsync.tests.test_sap_b1_adapter import make, records
from erpsync.tests.test_sap_b1_documents import line, order_of, sap_order

RECORDED = ("9990020012002", "9990050011002", "9990050011003", "9990050011004", "9990090011007", "9990140071261")


@pytest.fixture
def sim():
    with SapB1Simulator(items=6, customers=2) as simulator:
        yield simulator


@pytest.fixture
def empty_sim():
    with SapB1Simulator(items=0, customers=0) as simulator:
        yield simulator


@pytest.fixture
def recorded():
    """A company in pesos holding the recorded items."""
    with SapB1Simulator(items=0, customers=0, currency="MXN") as simulator:
        load_real_items(simulator.company)
        yield simulator


# --- recorded items ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_recorded_items_import_or_are_refused_for_a_real_reason(recorded, monkeypatch):
    monkeypatch.setenv("SAPREAL_USERNAME", "manager")
    monkeypatch.setenv("SAPREAL_PASSWORD", "1234")
    connection = ErpConnection.objects.create(
        code="real",
        name="Recorded company",
        adapter="sap_b1",
        credentials_ref="SAPREAL",
        settings={"base_url": recorded.base_url_v2, "company_db": recorded.company_db, "timeout_seconds": 5},
    )
    assert sync_import(connection=connection, entity="unit", full=True).status == SyncRun.Status.SUCCEEDED
    assert {"PIEZA", "KILO"} <= set(Unit.objects.values_list("code", flat=True))
    # No sales VAT group and nothing mapped for "*": refused for that reason, not for a unit or a missing VAT.
    refused = sync_import(connection=connection, entity="product", full=True)
    assert sorted(issue.code for issue in refused.issues.all()) == ["unknown_tax_code"] * 6
    ValueMap.objects.create(connection=connection, kind=ValueMap.Kind.TAX_CODE, external_value="*", local_value="16")

    run = sync_import(connection=connection, entity="product", full=True)

    assert run.status == SyncRun.Status.SUCCEEDED
    products = {p.sku: p for p in Product.objects.select_related("base_unit")}
    assert set(products) == set(RECORDED)
    # Rent, licences, fees: purchase or expense items, imported but never for sale.
    assert {(p.status, p.status_reason) for p in products.values()} == {
        (Product.Status.INACTIVE, "Not a sales item in the ERP.")
    }
    assert products["9990140071261"].base_unit.code == "KILO" and products["9990140071261"].vat_rate == 16


def test_recorded_items_read_with_their_units_currency_and_full_stock_rows(recorded):
    adapter = make(recorded, base_url=recorded.base_url_v2)
    assert {unit.code for unit in records(adapter, "unit")} == {"PIEZA", "KILO"}
    cheese = {p.code: p for p in records(adapter, "product")}["9990140071261"]
    assert (cheese.unit, cheese.tax_code, cheese.active, cheese.inactive_reason) == ("KILO", "*", False, "not_sold")
    prices = records(adapter, "price")
    assert [(p.price_list_code, p.price, p.currency) for p in prices] == [("2", Decimal("655"), "MXN")]
    assert records(adapter, "stock") == []  # ten rows of 66 properties each, all empty
    assert recorded.stats.count("GET", "Items") == 4


# --- findings on items ---------------------------------------------------------------------------------------------


def test_items_without_a_vat_group_take_the_connection_default(sim):
    products = {p.code: p for p in records(make(sim, default_vat_group="S1"), "product")}
    assert (
        products["Z9003"].tax_code == "S1" and products["A0001"].tax_code == sim.company.items["A0001"]["SalesVATGroup"]
    )
    assert {p.code: p for p in records(make(sim), "product")}["Z9003"].tax_code == "*"


def test_validity_and_freeze_windows_decide_today_and_a_delta_sees_them_open_and_close(empty_sim):
    sim = empty_sim
    today = datetime.now(make(sim).zone).date()
    sim.set_time(datetime(2026, 1, 1, 9, 0))  # the items were last changed long ago
    windows = {
        "W-ENDED": {"ValidTo": (today - timedelta(days=1)).isoformat()},
        "W-STARTS": {"ValidFrom": (today + timedelta(days=3)).isoformat()},
        "W-FROZEN": {"Frozen": "tYES", "FrozenFrom": today.isoformat()},
        "W-THAWED": {"Frozen": "tYES", "FrozenTo": (today - timedelta(days=1)).isoformat()},
        "W-NOW": {"ValidFrom": today.isoformat(), "ValidTo": (today + timedelta(days=9)).isoformat()},
        "W-PLAIN": {},
    }
    for code, fields in windows.items():
        sim.add_item(code, **fields)
    adapter = make(sim)
    products = {p.code: p for p in records(adapter, "product")}
    assert {code: (products[code].active, products[code].inactive_reason) for code in windows} == {
        "W-ENDED": (False, "outside_validity"),
        "W-STARTS": (False, "outside_validity"),
        "W-FROZEN": (False, "frozen"),
        "W-THAWED": (True, ""),
        "W-NOW": (True, ""),
        "W-PLAIN": (True, ""),
    }
    # A daily delta: nobody touched the items, but these windows opened or closed since yesterday.
    since = datetime.combine(today - timedelta(days=1), datetime.min.time()).replace(tzinfo=adapter.zone)
    changed = {p.code for p in records(adapter, "product", since=since)}
    assert changed == {"W-ENDED", "W-FROZEN", "W-THAWED", "W-NOW"}


def test_currencies_are_kept_and_default_to_the_companys_local_one():
    with SapB1Simulator(items=2, customers=1, currency="EUR") as sim:
        with sim.company.lock:
            sim.company.price_lists[1]["DefaultPrimeCurrency"] = None
            sim.company.business_partners["C0001"]["Currency"] = "##"
            sim.company.items["A0001"]["ItemPrices"][0]["Currency"] = "USD"
        adapter = make(sim)
        lists = {p.code: p.currency for p in records(adapter, "price_list")}
        assert lists == {"1": "EUR", "2": "EUR"}
        assert records(adapter, "customer")[0].currency == "EUR"
        prices = {(p.price_list_code, p.product_code): p.currency for p in records(adapter, "price")}
        assert prices[("1", "A0001")] == "USD" and prices[("2", "A0001")] == "EUR"
        assert sim.stats.count("POST", "CompanyService_GetAdminInfo") == 1  # read once per adapter


def test_stock_counts_ordered_when_asked_and_never_a_locked_row(sim):
    with sim.company.lock:
        rows = {row["WarehouseCode"]: row for row in sim.company.items["A0001"]["ItemWarehouseInfoCollection"]}
        rows["01"].update(InStock=10.0, Committed=2.0, Ordered=5.0)
        rows["02"].update(InStock=7.0, Locked="tYES")
    plain = {(s.product_code, s.warehouse_code): s for s in records(make(sim), "stock")}
    assert (plain[("A0001", "01")].on_hand, plain[("A0001", "01")].committed) == (10, 2)
    assert ("A0001", "02") not in plain
    promised = {(s.product_code, s.warehouse_code): s for s in records(make(sim, stock_counts_ordered=True), "stock")}
    assert promised[("A0001", "01")].on_hand == 15
    live = {(s.product_code, s.warehouse_code): s.on_hand for s in make(sim).live_stock(["A0001"])}
    assert live[("A0001", "02")] == 0


# --- errors ----------------------------------------------------------------------------------------------------------


def test_a_busy_record_is_retryable_and_other_refusals_stay_permanent(sim):
    adapter = make(sim)
    sim.faults.refuse("Orders", method="POST", code=LOCKED_CODE, message=LOCKED_MESSAGE)
    with pytest.raises(RetryableError) as busy:
        adapter.order_push(order_of(line(), reference="P-LOCK"))
    assert busy.value.details["busy"]
    sim.faults.refuse("Orders", method="POST", code=-5002, message="Internal error (-5002) occurred")
    with pytest.raises(PermanentError):
        adapter.order_push(order_of(line(), reference="P-LOCK"))
    sim.faults.refuse("Orders", method="POST", code=-5002, message="Internal error (-5002) occurred")
    with pytest.raises(RetryableError):
        make(sim, retryable_errors=["-5002"]).order_push(order_of(line(), reference="P-LOCK"))
    assert make(sim).order_push(order_of(line(), reference="P-LOCK")).document_id


# --- versions --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("version", "root"), [("v1", "/b1s/v1/"), ("v2", "/b1s/v2/")])
def test_the_server_root_and_the_version_setting_choose_the_service_layer(sim, version, root):
    server = sim.base_url.removesuffix("b1s/v1/")
    adapter = make(sim, base_url=server, service_layer_version=version)
    assert adapter.base_url == server + root.lstrip("/")
    assert len(records(adapter, "product")) == len(sim.company.items)
    assert adapter.order_push(order_of(line())).document_number
    assert make(sim, base_url=sim.base_url_v2).base_url.endswith("/b1s/v2/")  # the URL's own version wins


def test_v2_is_the_default_version(sim):
    server = sim.base_url.removesuffix("b1s/v1/")
    assert make(sim, base_url=server).api_version == 2


# --- what an order carries ------------------------------------------------------------------------------------


def test_an_order_carries_ship_to_po_udfs_tax_codes_and_warehouses(sim):
    sim.company.declare_udf("Document", "U_PortalRef", mandatory=True)
    sim.company.declare_udf("Document", "U_Kanal")
    sim.company.declare_udf("DocumentLine", "U_Satir")
    adapter = make(
        sim,
        base_url=sim.base_url_v2,
        order_udfs={"U_PortalRef": {"from": "reference"}, "U_Kanal": "B2B"},
        line_udfs={"U_Satir": {"from": "line_no"}},
        line_tax_codes={"10": "KDV10"},
        customer_warehouses={"C0001": "02"},
        item_warehouses={"A0002": "03"},
    )
    sent = dataclasses.replace(
        order_of(line("A0001"), line("A0002", line_no=2)), po_number="PO-4711", delivery_address_code="Depo"
    )
    adapter.order_push(sent)
    posted = sap_order(sim, sent.reference)
    assert (posted["ShipToCode"], posted["U_PortalRef"], posted["U_Kanal"]) == ("Depo", sent.reference, "B2B")
    assert posted["Comments"] == "PO: PO-4711\nKapıda teslim"
    first, second = posted["DocumentLines"]
    assert (first["TaxCode"], first["WarehouseCode"], first["U_Satir"]) == ("KDV10", "02", 1)
    assert (second["WarehouseCode"], second["U_Satir"]) == ("03", 2)


def test_the_po_may_go_to_num_at_card_with_the_portal_number_in_a_udf(sim):
    sim.company.declare_udf("Document", "U_PortalRef")
    adapter = make(sim, reference_field="U_PortalRef", po_number_field="NumAtCard")
    proposed = dataclasses.replace(order_of(line()), po_number="PO-9", delivery_address="Yeni şantiye, Gebze / Kocaeli")
    adapter.order_push(proposed)
    (posted,) = sim.company.orders.values()
    assert (posted["NumAtCard"], posted["U_PortalRef"]) == ("PO-9", proposed.reference)
    assert posted["ShipToCode"] is None and posted["Address2"] == "Yeni şantiye, Gebze / Kocaeli"
    # The lookup before every create uses the reference field: a retry finds the order.
    assert adapter.order_push(proposed).document_id == str(posted["DocEntry"])
    assert len(sim.company.orders) == 1
    assert adapter.order_lookup(proposed.reference).document_id == str(posted["DocEntry"])


def test_a_non_sales_item_is_refused_before_sending(sim):
    with pytest.raises(PermanentError, match="Z9001 is not a sales item"):
        make(sim).order_push(order_of(line("A0001"), line("Z9001", line_no=2)))
    assert sim.company.orders == {}


def test_an_undeclared_udf_setting_is_sap_s_refusal_not_a_silent_drop(sim):
    with pytest.raises(PermanentError, match="U_Yok"):
        make(sim, order_udfs={"U_Yok": "x"}).order_push(order_of(line()))


def test_the_reference_and_the_po_cannot_share_a_field(sim):
    with pytest.raises(ImproperlyConfigured, match="po_number_field"):
        make(sim, reference_field="U_Ref", po_number_field="U_Ref")


def test_a_bill_to_and_a_ship_to_of_the_same_name_stay_two_addresses(sim):
    sim.add_customer(
        "C0009",
        BPAddresses=[
            {"AddressName": "Merkez", "Street": "Fatura Sk. 1", "City": "Ankara", "AddressType": "bo_BillTo"},
            {"AddressName": "Merkez", "Street": "Sevk Sk. 2", "City": "Ankara", "AddressType": "bo_ShipTo"},
        ],
    )
    customer = {c.code: c for c in records(make(sim), "customer")}["C0009"]
    # The ship-to keeps SAP's name (what ShipToCode takes); the bill-to of the same name gets a code of its own.
    assert {(a.kind, a.code) for a in customer.addresses} == {("billing", "B:Merkez"), ("shipping", "Merkez")}


def test_sap_s_cancellation_documents_move_no_order_and_are_nobody_s_invoice(sim):
    adapter = make(sim, base_url=sim.base_url_v2)
    adapter.order_push(order_of(line(), reference="P-CANCEL"))
    order = sap_order(sim, "P-CANCEL")
    delivery = sim.deliver(order["DocEntry"])
    invoice = sim.invoice(delivery["DocEntry"])
    with sim.company.lock:
        sim.company.action("Invoices", invoice["DocEntry"], "Cancel")
    assert [row["CancelStatus"] for row in sim.company.invoices.values()] == ["csYes", "csCancellation"]

    (status,) = records(adapter, "order_status", full=True)
    assert (status.reference, status.state) == ("P-CANCEL", ErpOrderState.SHIPPED)  # delivered, no live invoice
    assert records(adapter, "invoice") == []
    ledger = {entry.entry_id for entry in records(adapter, "ledger")}
    assert ledger == {f"inv:{invoice['DocEntry']}", f"inv:{invoice['DocEntry']}:cancel"}
