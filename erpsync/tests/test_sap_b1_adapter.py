"""The SAP Business One adapter against the Service Layer simulator: session handling, paging, deltas, error
mapping and order idempotency. No database: the simulator holds its company in memory."""

from __future__ import annotations

import dataclasses
import socket
import threading
import time
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured

from erpsync.adapters import adapter_classes
from erpsync.adapters.base import (
    ErpCancel,
    ErpOrder,
    ErpOrderLine,
    ErpOrderState,
    OutcomeUnknownError,
    PermanentError,
    RetryableError,
)
from erpsync.adapters.sap_b1 import SapB1Adapter, quote_literal
from erpsync.simulators import SapB1Simulator

CREDENTIALS = {"username": "manager", "password": "1234"}


@pytest.fixture
def sim():
    with SapB1Simulator() as simulator:
        yield simulator


def make(sim: SapB1Simulator, credentials: dict[str, str] | None = None, **settings) -> SapB1Adapter:
    options = {"base_url": sim.base_url, "company_db": sim.company_db, "timeout_seconds": 5, **settings}
    return SapB1Adapter(settings=options, credentials=credentials or CREDENTIALS)


@pytest.fixture
def empty_sim():
    """A company with no demo data (the demo data is stamped with today's date)."""
    with SapB1Simulator(items=0, customers=0) as simulator:
        yield simulator


@pytest.fixture
def adapter(sim):
    """An adapter that reports the first failure (no read retries), so each error's mapping shows."""
    with make(sim, order_warehouse="01", vat_groups={"20": "S1", "10": "S2"}, read_retries=0) as adapter:
        yield adapter


def order(reference: str = "B2B-2026-000001", customer: str = "C0001") -> ErpOrder:
    line = ErpOrderLine(1, "A0001", Decimal("3"), "Pcs", Decimal("12.50"), Decimal("10"))
    return ErpOrder(
        reference=reference,
        customer_code=customer,
        ordered_on=date(2026, 3, 1),
        currency="TRY",
        payment_method="open_account",
        lines=(line, dataclasses.replace(line, line_no=2, product_code="A0002", quantity=Decimal("1.5"))),
        net=Decimal("56.25"),
        vat=Decimal("5.63"),
        gross=Decimal("61.88"),
        requested_on=date(2026, 3, 5),
        note="Kapıda teslim",
    )


def records(adapter: SapB1Adapter, entity: str, **kwargs) -> list:
    feeds = list(adapter.read(entity, **kwargs))
    assert len(feeds) == 1
    return list(feeds[0].records)


# --- settings --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"base_url": None}, "'base_url'"),
        ({"base_url": "ftp://sap.example/b1s/v1/"}, "http"),
        ({"base_url": "https://sap.example:50000/b1s/v3/"}, "/b1s/v1/ or /b1s/v2/"),
        ({"service_layer_version": "v4"}, "'service_layer_version'"),
        ({"order_udfs": {"Kanal": "B2B"}}, "'order_udfs'"),
        ({"order_udfs": {"U_Kanal": {"from": "password"}}}, "'order_udfs'"),
        ({"po_number_field": "NumAtCard"}, "'po_number_field' and 'reference_field'"),
        ({"company_db": ""}, "'company_db'"),
        ({"verify_tls": "no"}, "'verify_tls'"),
        ({"timeout_seconds": 0}, "'timeout_seconds'"),
        ({"page_size": 2.5}, "'page_size'"),
        ({"timezone": "Mars/Olympus"}, "'timezone'"),
        ({"vat_groups": ["S1"]}, "'vat_groups'"),
    ],
)
def test_bad_settings_are_refused_with_a_clear_message(change, message):
    settings = {"base_url": "https://sap.example:50000/b1s/v1", "company_db": "SBODEMOTR", **change}
    with pytest.raises(ImproperlyConfigured, match=message):
        SapB1Adapter(settings=settings, credentials=CREDENTIALS)


def test_missing_credentials_are_refused():
    settings = {"base_url": "https://sap.example:50000/b1s/v1/", "company_db": "SBODEMOTR"}
    with pytest.raises(ImproperlyConfigured, match="'username' and 'password'"):
        SapB1Adapter(settings=settings, credentials={"username": "manager"})


def test_registered_under_its_key(settings):
    settings.ERPSYNC_ADAPTERS = {**settings.ERPSYNC_ADAPTERS, "sap_b1": "erpsync.adapters.sap_b1.SapB1Adapter"}
    assert adapter_classes()["sap_b1"] is SapB1Adapter
    assert SapB1Adapter.key == "sap_b1"


def test_quote_literal_doubles_quotes():
    assert quote_literal("O'Brien") == "'O''Brien'"


# --- session ---------------------------------------------------------------------------------------------


def test_one_login_for_many_calls_and_logout_on_close(sim):
    adapter = make(sim)
    assert sim.stats.logins == 0  # nothing happens before the first call
    for _ in range(3):
        records(adapter, "warehouse")
        adapter.order_lookup("B2B-NONE")
    assert adapter.test_connection().ok
    assert sim.stats.logins == 1
    assert sim.sessions.count() == 1

    adapter.close()
    adapter.close()
    assert sim.stats.count("POST", "Logout") == 1
    assert sim.sessions.count() == 0


def test_expired_session_mid_read_logs_in_again_and_replays(sim):
    adapter = make(sim, page_size=5)
    rows = iter(next(iter(adapter.read("product"))).records)
    first = [next(rows) for _ in range(5)]
    sim.expire_sessions()  # the session times out while the importer works on the first page

    rest = list(rows)

    assert [p.code for p in first + rest] == sorted(sim.company.items)
    assert sim.stats.logins == 2
    assert sim.stats.count("POST", "Login") == 2


def test_parallel_callers_share_one_relogin(sim):
    adapter = make(sim)
    adapter.order_lookup("B2B-WARMUP")
    sim.expire_sessions()
    errors = []

    def lookup() -> None:
        try:
            adapter.order_lookup("B2B-X")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=lookup) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert sim.stats.logins == 2


def test_wrong_password_is_permanent_and_check_says_why(sim):
    adapter = make(sim, credentials={"username": "manager", "password": "wrong"})
    check = adapter.test_connection()
    assert not check.ok
    assert "Login failed" in check.message
    with pytest.raises(PermanentError) as caught:
        list(adapter.read("warehouse"))
    assert caught.value.code == "100000027"


def test_connection_ok_names_company_and_version(adapter, sim):
    check = adapter.test_connection()
    assert check.ok
    assert sim.company_db in check.message
    assert check.details["version"] == "1000190"


# --- reading ---------------------------------------------------------------------------------------------


def test_paging_follows_next_links_with_the_page_size_asked(sim):
    adapter = make(sim, page_size=7)
    products = records(adapter, "product")
    assert len(products) == len(sim.company.items) == 31
    assert sim.stats.count("GET", "Items") == 5  # 7 + 7 + 7 + 7 + 3; the simulator's default would be 20 + 11


def test_feed_streams_pages_lazily(sim):
    adapter = make(sim, page_size=10)
    feed = next(iter(adapter.read("product")))
    assert sim.stats.count("GET", "Items") == 1  # the first page, fetched so an unreachable ERP fails the read
    rows = iter(feed.records)
    [next(rows) for _ in range(10)]
    assert sim.stats.count("GET", "Items") == 1
    next(rows)
    assert sim.stats.count("GET", "Items") == 2


def test_products_map_item_fields(adapter, sim):
    sim.touch_item("A0002", Frozen="tYES")
    products = {p.code: p for p in records(adapter, "product")}
    item = sim.company.items["A0003"]
    a3 = products["A0003"]
    assert (a3.name, a3.name_en, a3.barcode) == (item["ItemName"], item["ForeignName"], item["BarCode"])
    assert a3.tax_code == item["SalesVATGroup"]
    assert a3.batch_managed and not products["A0001"].batch_managed
    assert products["A0005"].unit == "Pcs"  # the inventory unit, not the box it is sold in
    assert not products["A0002"].active and products["A0001"].active


def test_full_read_is_a_complete_snapshot_with_a_watermark(adapter):
    before = datetime.now(UTC)
    feed = next(iter(adapter.read("product")))
    assert feed.complete
    assert feed.entity == "product"
    assert before <= feed.watermark <= datetime.now(UTC)


def test_stock_prices_lists_and_warehouses(adapter, sim):
    adapter.order_push(order())
    stock = {(s.product_code, s.warehouse_code): s for s in records(adapter, "stock")}
    row = sim.stock("A0001", "01")
    assert stock[("A0001", "01")].on_hand == Decimal(str(row["InStock"]))
    assert stock[("A0001", "01")].committed == Decimal("3")

    prices = {(p.price_list_code, p.product_code): p.price for p in records(adapter, "price")}
    listed = sim.company.items["A0001"]["ItemPrices"]
    assert prices[("1", "A0001")] == Decimal(str(listed[0]["Price"]))
    assert prices[("2", "A0001")] == Decimal(str(listed[1]["Price"]))

    assert {(p.code, p.name) for p in records(adapter, "price_list")} == {("1", "Base Price"), ("2", "Dealer Price")}
    warehouses = {w.code: w for w in records(adapter, "warehouse")}
    assert set(warehouses) == {f"{n:02d}" for n in range(1, 11)}
    assert warehouses["01"].sellable and not warehouses["05"].sellable


def test_customers_balances_and_credit_are_customers_only(adapter, sim):
    with sim.company.lock:
        sim.company.business_partners["C0002"].update(Frozen="tYES", FrozenRemarks="Vadesi geçmiş")
        sim.company.business_partners["C0003"]["CurrentAccountBalance"] = 1500.25
    customers = {c.code: c for c in records(adapter, "customer")}
    assert set(customers) == {"C0001", "C0002", "C0003", "C0004", "C0005"}
    partner = sim.company.business_partners["C0001"]
    c1 = customers["C0001"]
    assert (c1.title, c1.tax_number, c1.currency) == (partner["CardName"], partner["FederalTaxID"], "TRY")
    assert c1.price_list_code == str(partner["PriceListNum"])
    assert [(a.code, a.kind, a.city) for a in c1.addresses] == [
        ("Merkez", "billing", "Istanbul"),
        ("Depo", "shipping", "Kocaeli"),
    ]

    balances = {b.customer_code: b for b in records(adapter, "balance")}
    assert balances["C0003"].balance == Decimal("1500.25")
    credit = {c.customer_code: c for c in records(adapter, "credit")}
    assert credit["C0002"].hold and credit["C0002"].hold_reason == "Vadesi geçmiş"
    assert not credit["C0001"].hold
    assert credit["C0001"].credit_limit == Decimal(str(partner["CreditLimit"]))


def test_delta_filter_handles_date_and_time_columns(sim):
    adapter = make(sim, timezone="Europe/Istanbul")
    since = datetime(2026, 3, 1, 11, 25, tzinfo=UTC)  # the engine has taken the overlap off already
    assert adapter.delta_filter(since) == (
        "UpdateDate gt '2026-03-01' or (UpdateDate eq '2026-03-01' and UpdateTime ge '14:25:00') or "
        "CreateDate gt '2026-03-01' or (CreateDate eq '2026-03-01' and CreateTime ge '14:25:00')"
    )
    assert adapter.delta_filter(since, created=False) == (
        "UpdateDate gt '2026-03-01' or (UpdateDate eq '2026-03-01' and UpdateTime ge '14:25:00')"
    )


def test_delta_counts_a_new_item_without_an_update_stamp(empty_sim):
    sim = empty_sim
    sim.set_time(datetime(2026, 3, 5, 9, 0))
    sim.add_item("NEW-1")
    sim.company.items["NEW-1"].update(UpdateDate=None, UpdateTime=None)
    adapter = make(sim, delta_overlap_seconds=0, timezone="UTC")
    assert [p.code for p in records(adapter, "product", since=datetime(2026, 3, 5, 8, 0, tzinfo=UTC))] == ["NEW-1"]
    assert records(adapter, "product", since=datetime(2026, 3, 5, 10, 0, tzinfo=UTC)) == []


def test_delta_picks_up_a_later_day_at_an_earlier_time(empty_sim):
    sim = empty_sim
    sim.set_time(datetime(2026, 3, 1, 10, 0))
    for code in ("D1", "D2", "D3"):
        sim.add_item(code)
    adapter = make(sim, delta_overlap_seconds=0, timezone="UTC")
    since = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    sim.touch_item("D1", when=datetime(2026, 3, 3, 8, 0))  # a later day, earlier in the day than `since`
    sim.touch_item("D2", when=datetime(2026, 3, 2, 12, 30))  # the same day, later
    sim.touch_item("D3", when=datetime(2026, 3, 2, 11, 59))  # just before

    feeds = list(adapter.read("product", since=since))

    assert [p.code for p in feeds[0].records] == ["D1", "D2"]
    assert not feeds[0].complete
    assert len(records(adapter, "product", since=since, full=True)) == 3


def test_customer_delta_keeps_to_customers(empty_sim):
    sim = empty_sim
    sim.set_time(datetime(2026, 3, 5, 9, 0))
    sim.add_customer("C0100", "Yeni Bayi")
    sim.add_customer("V0100", "Yeni Tedarikçi", CardType="cSupplier")
    adapter = make(sim, delta_overlap_seconds=0, timezone="UTC")
    changed = records(adapter, "customer", since=datetime(2026, 3, 4, tzinfo=UTC))
    assert [c.code for c in changed] == ["C0100"]


def test_stock_is_always_a_full_snapshot(adapter):
    feed = next(iter(adapter.read("stock", since=datetime.now(UTC))))
    assert feed.complete


# --- errors ----------------------------------------------------------------------------------------------


def test_throttled_is_retryable_with_retry_after(adapter, sim):
    sim.faults.throttle("Items", retry_after=7)
    with pytest.raises(RetryableError) as caught:
        list(adapter.read("product"))
    assert caught.value.retry_after == 7
    assert not isinstance(caught.value, OutcomeUnknownError)


def test_a_throttled_read_waits_as_told_then_goes_on(sim):
    sim.faults.throttle("Items", retry_after=1)
    started = time.monotonic()
    with make(sim, read_retries=2) as adapter:
        products = records(adapter, "product")
    assert len(products) == len(sim.company.items)
    assert time.monotonic() - started >= 1
    assert sim.stats.count("GET", "Items") == 2


def test_a_read_gives_up_after_its_retries(sim):
    sim.faults.error("Warehouses", status=503, count=None)
    with make(sim, read_retries=2) as adapter, pytest.raises(RetryableError) as caught:
        records(adapter, "warehouse")
    assert caught.value.details["status"] == 503
    assert sim.stats.count("GET", "Warehouses") == 3


def test_a_refused_write_is_not_replayed_by_the_adapter(sim):
    sim.faults.error("Orders", status=503, method="POST", count=None)
    with make(sim, read_retries=3) as adapter, pytest.raises(RetryableError):
        adapter.order_push(order())
    assert sim.stats.count("POST", "Orders") == 1
    assert not sim.company.orders


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retryable(adapter, sim, status):
    sim.faults.error("Orders", status=status)
    with pytest.raises(RetryableError) as caught:
        adapter.order_lookup("B2B-1")
    assert caught.value.details["status"] == status
    assert not isinstance(caught.value, (OutcomeUnknownError, PermanentError))


def test_reset_on_a_read_is_retryable_not_unknown(adapter, sim):
    sim.faults.reset("Warehouses")
    with pytest.raises(RetryableError) as caught:
        list(adapter.read("warehouse"))
    assert not isinstance(caught.value, OutcomeUnknownError)


def test_nothing_listening_is_retryable(sim):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    adapter = SapB1Adapter(
        settings={
            "base_url": f"http://127.0.0.1:{port}/b1s/v1/",
            "company_db": "X",
            "timeout_seconds": 2,
            "read_retries": 0,
        },
        credentials=CREDENTIALS,
    )
    with pytest.raises(RetryableError) as caught:
        adapter.order_push(order())
    assert not isinstance(caught.value, OutcomeUnknownError)
    assert not adapter.test_connection().ok


@pytest.mark.parametrize("mode", ["reset", "timeout"])
def test_lost_answer_after_post_is_unknown_then_found_without_duplicate(sim, mode):
    adapter = make(sim, timeout_seconds=0.5)
    sim.faults.drop_response("Orders", method="POST", mode=mode, seconds=1.0)
    with pytest.raises(OutcomeUnknownError):
        adapter.order_push(order())

    found = adapter.order_lookup("B2B-2026-000001")
    again = adapter.order_push(order())

    assert found is not None and found.state == ErpOrderState.OPEN
    assert again.document_id == found.document_id
    assert [o["NumAtCard"] for o in sim.company.orders.values()] == ["B2B-2026-000001"]
    assert sim.stats.count("POST", "Orders") == 1


def test_unknown_customer_is_permanent_with_the_sap_code(adapter, sim):
    with pytest.raises(PermanentError) as caught:
        adapter.order_push(order(customer="NOPE"))
    assert caught.value.code == "-10"
    assert "Invalid BP code 'NOPE'" in caught.value.message
    assert sim.company.orders == {}


def test_unknown_document_is_permanent_not_found(adapter):
    with pytest.raises(PermanentError) as caught:
        adapter.order_cancel(ErpCancel("B2B-1", document_id="999"))
    assert caught.value.code == "-2028"


# --- orders ----------------------------------------------------------------------------------------------


def test_order_push_sends_reference_dates_lines_and_mapped_codes(adapter, sim):
    ack = adapter.order_push(order())
    document = sim.company.orders[int(ack.document_id)]
    assert ack.document_number == str(document["DocNum"])
    assert (document["CardCode"], document["NumAtCard"]) == ("C0001", "B2B-2026-000001")
    assert (document["DocDate"], document["DocDueDate"]) == ("2026-03-01", "2026-03-05")
    assert document["Comments"] == "Kapıda teslim"
    lines = [
        (x["ItemCode"], x["Quantity"], x["UnitPrice"], x["VatGroup"], x["WarehouseCode"])
        for x in document["DocumentLines"]
    ]
    assert lines == [("A0001", 3.0, 12.5, "S2", "01"), ("A0002", 1.5, 12.5, "S2", "01")]


def test_order_lookup_escapes_quotes(adapter):
    ack = adapter.order_push(order("B2B-O'BRIEN"))
    assert adapter.order_lookup("B2B-O'BRIEN") == ack
    assert adapter.order_lookup("B2B-O") is None


def test_order_cancel_is_idempotent(adapter, sim):
    ack = adapter.order_push(order())
    first = adapter.order_cancel(ErpCancel(ack.reference))
    second = adapter.order_cancel(ErpCancel(ack.reference, document_id=ack.document_id))
    assert first == second
    assert first.document_id == ack.document_id
    assert sim.stats.count("POST", f"Orders({ack.document_id})/Cancel") == 1
    assert adapter.order_lookup(ack.reference).state == ErpOrderState.CANCELLED


def test_cancel_of_an_unknown_reference_is_permanent(adapter):
    with pytest.raises(PermanentError, match="B2B-NEVER"):
        adapter.order_cancel(ErpCancel("B2B-NEVER"))


def test_lookup_prefers_the_live_order_over_a_cancelled_one(adapter, sim):
    first = adapter.order_push(order())
    adapter.order_cancel(ErpCancel(first.reference))
    with sim.company.lock:
        payload = {"CardCode": "C0001", "NumAtCard": first.reference, "DocDueDate": "2026-03-05",
                   "DocumentLines": [{"ItemCode": "A0001", "Quantity": 1, "WarehouseCode": "01"}]}  # fmt: skip
        second = sim.company.add_document("Orders", payload)
    found = adapter.order_lookup(first.reference)
    assert found.document_id == str(second["DocEntry"])
    assert found.state == ErpOrderState.OPEN
