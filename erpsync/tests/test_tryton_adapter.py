"""The Tryton adapter against a real Tryton server: settings, errors, every mapping and the order workflow.

Read-only tests share one copy of the seeded company (``catalog``); tests that change Tryton get their own copy.
Failures come from Tryton itself (its validation, its error pages) or from the network, through a relay that
refuses connections, loses answers, or answers in Tryton's place as an overloaded reverse proxy would."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured

from erpsync.adapters import adapter_classes
from erpsync.adapters.base import (
    DocumentKind,
    ErpCancel,
    ErpOrder,
    ErpOrderLine,
    ErpOrderState,
    ErpPayment,
    ErpProductUnit,
    ErpShipTo,
    OutcomeUnknownError,
    PermanentError,
    RetryableError,
)
from erpsync.adapters.tryton import TrytonAdapter, order_state, vat_rate
from erpsync.tests.tryton_seed import PORTAL_KEY
from erpsync.tests.tryton_server import FaultProxy, StaffClient, ship

D = Decimal


def make(url: str, database: str, **settings) -> TrytonAdapter:
    return TrytonAdapter(
        settings={"base_url": url, "database": database, "timeout_seconds": 20, **settings},
        credentials={"key": PORTAL_KEY},
    )


def records(adapter: TrytonAdapter, entity: str, **kwargs) -> list:
    feeds = list(adapter.read(entity, **kwargs))
    assert len(feeds) == 1
    return list(feeds[0].records)


def by_code(items, attribute: str = "code") -> dict:
    return {getattr(item, attribute): item for item in items}


@pytest.fixture(scope="module")
def catalog(tryton_server):
    """The seeded company, shared by the tests that only read."""
    adapter = make(tryton_server.url, tryton_server.database("catalog"), sellable_warehouses=["IST"])
    yield adapter
    adapter.close()


@pytest.fixture
def fresh(tryton_server):
    """A copy of the seeded company of its own, its staff, and an adapter going through a fault relay."""
    database = tryton_server.database("catalog")
    proxy = FaultProxy(tryton_server.port)
    staff = StaffClient(tryton_server.url, database)
    adapter = make(proxy.url, database, sellable_warehouses=["IST"], reference_prefix="B2B-")
    yield adapter, staff, proxy
    adapter.close()
    staff.close()
    proxy.close()


@pytest.fixture(scope="module")
def untouched(tryton_server):
    """One copy shared by the tests whose every request is refused: each checks it left the copy as it was."""
    database = tryton_server.database("catalog")
    staff = StaffClient(tryton_server.url, database)
    yield database, staff
    staff.close()


@pytest.fixture
def refusing(tryton_server, untouched):
    database, staff = untouched
    adapter = make(tryton_server.url, database, sellable_warehouses=["IST"], reference_prefix="B2B-")
    adapter.payment_journal, adapter.payment_account = "CASH", "1.1.1"
    yield adapter, staff
    adapter.close()


def order(reference: str = "B2B-2026-000001", **changes) -> ErpOrder:
    line = ErpOrderLine(1, "DET-5", D("3"), "u", D("300.50"), D("20"), description="Deterjan, bayi fiyatı")
    values = {
        "reference": reference,
        "customer_code": "120.01.001",
        "ordered_on": date(2026, 3, 1),
        "currency": "TRY",
        "payment_method": "on_account",
        "lines": (
            line,
            dataclasses.replace(line, line_no=2, product_code="BISK-9", unit_price=D("37.80"), vat_rate=D("10")),
        ),
        "net": D("939.30"),
        "vat": D("182.08"),
        "gross": D("1121.38"),
        "po_number": "PO-77",
        "note": "Kapıda teslim",
    }
    return ErpOrder(**{**values, **changes})


def sales(staff: StaffClient, reference: str, *fields: str) -> list[dict]:
    return staff.search("sale.sale", [["reference", "=", reference]], ["state", *fields])


# --- settings ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"base_url": None}, "'base_url'"),
        ({"base_url": "ftp://erp.example/"}, "http"),
        ({"database": ""}, "'database'"),
        ({"database": "a/b"}, "'database'"),
        ({"verify_tls": "no"}, "'verify_tls'"),
        ({"timeout_seconds": 0}, "'timeout_seconds'"),
        ({"page_size": 2.5}, "'page_size'"),
        ({"delta_overlap_seconds": -1}, "'delta_overlap_seconds'"),
        ({"order_state": "processing"}, "'order_state'"),
        ({"sellable_warehouses": "IST"}, "'sellable_warehouses'"),
        ({"reference_prefix": 7}, "'reference_prefix'"),
        ({"order_warehouse": ["IST"]}, "'order_warehouse'"),
        ({"payment_journal": "CASH"}, "'payment_account'"),
    ],
)
def test_bad_settings_are_refused_with_a_clear_message(change, message):
    settings = {"base_url": "https://erp.example:8000", "database": "tryton", **change}
    with pytest.raises(ImproperlyConfigured, match=message):
        TrytonAdapter(settings=settings, credentials={"key": "k"})


def test_good_settings_are_taken_and_the_rest_url_built():
    adapter = TrytonAdapter(
        settings={"base_url": "https://erp.example:8000", "database": "şirket", "order_state": "confirmed"},
        credentials={"key": "k"},
    )
    assert adapter.rest_url == "https://erp.example:8000/%C5%9Firket/rest/"
    assert (adapter.order_state, adapter.sellable_warehouses, adapter.page_size) == ("confirmed", None, 200)


def test_missing_key_is_refused():
    with pytest.raises(ImproperlyConfigured, match="'key'"):
        TrytonAdapter(settings={"base_url": "https://erp.example/", "database": "tryton"}, credentials={})


def test_registered_under_its_key():
    assert adapter_classes()["tryton"] is TrytonAdapter
    assert TrytonAdapter.key == "tryton"


# --- connection and errors ---------------------------------------------------------------------------------


def test_connection_ok_names_database_and_company(catalog):
    check = catalog.test_connection()
    assert check.ok, check.message
    assert check.details["database"] == catalog.database
    assert check.details["company"] == 1


def test_wrong_key_is_permanent_and_the_check_says_why(tryton_server, catalog):
    adapter = TrytonAdapter(
        settings={"base_url": tryton_server.url, "database": catalog.database}, credentials={"key": "not-a-key"}
    )
    check = adapter.test_connection()
    assert not check.ok
    assert "application key" in check.message
    with pytest.raises(PermanentError) as caught:
        records(adapter, "warehouse")
    assert caught.value.details["status"] == 401


def test_unknown_database_is_permanent(tryton_server):
    adapter = make(tryton_server.url, "no_such_database")
    with pytest.raises(PermanentError) as caught:
        records(adapter, "warehouse")
    assert caught.value.details["status"] == 404


def test_stopped_server_is_retryable_and_the_check_is_not_ok(fresh):
    adapter, _staff, proxy = fresh
    proxy.down()
    with pytest.raises(RetryableError) as caught:
        records(adapter, "product")
    assert not isinstance(caught.value, OutcomeUnknownError)  # the request never left
    with pytest.raises(RetryableError):
        adapter.order_push(order())
    assert not adapter.test_connection().ok
    proxy.up()
    assert adapter.test_connection().ok


def test_overloaded_proxy_is_retryable_after_the_time_it_names(fresh):
    adapter, _staff, proxy = fresh
    adapter.context()
    proxy.answer_instead(503, b"<html><p>Service Unavailable</p></html>", {"Retry-After": "7"})
    with pytest.raises(RetryableError) as caught:
        records(adapter, "warehouse")
    assert caught.value.retry_after == 7
    assert "Service Unavailable" in caught.value.message
    proxy.answer_instead(429, b"", {"Retry-After": "2"})
    with pytest.raises(RetryableError) as caught:
        adapter.order_lookup("B2B-1")
    assert caught.value.retry_after == 2
    assert adapter.order_lookup("B2B-1") is None  # and the next call goes through


def test_an_answer_that_is_not_json_is_retryable(fresh):
    adapter, _staff, proxy = fresh
    adapter.context()
    proxy.answer_instead(200, b"<html>maintenance</html>")
    with pytest.raises(RetryableError, match="not JSON"):
        records(adapter, "warehouse")


def test_trytons_internal_error_is_retryable_with_its_message(catalog):
    with pytest.raises(RetryableError) as caught:
        list(catalog.search("no.such.model", [], ["id"]))
    assert caught.value.details["status"] == 500
    assert "no.such.model" in caught.value.message
    assert not isinstance(caught.value, PermanentError)


def test_an_action_tryton_does_not_offer_is_permanent(catalog):
    with pytest.raises(PermanentError) as caught:
        catalog.button("sale.sale", 1, "delete_everything")
    assert caught.value.details["status"] == 403


def test_a_lost_answer_to_a_read_is_retryable_not_outcome_unknown(fresh):
    adapter, _staff, proxy = fresh
    adapter.context()
    proxy.lose_answer("GET", "/rest/model/stock.location")
    with pytest.raises(RetryableError) as caught:
        records(adapter, "warehouse")
    assert not isinstance(caught.value, OutcomeUnknownError)


def test_validation_error_is_permanent_with_trytons_message(fresh):
    adapter, staff, _proxy = fresh
    line = ErpOrderLine(1, "DET-5", D("3"), "kg", D("300.50"), D("20"))  # kilograms of a product counted in units
    with pytest.raises(PermanentError) as caught:
        adapter.order_push(order(lines=(line,)))
    assert caught.value.details["status"] == 400
    assert "not valid according to its domain" in caught.value.message
    assert sales(staff, "B2B-2026-000001") == []  # Tryton rolled the whole create back


# --- reading -------------------------------------------------------------------------------------------------


def test_products_map_codes_units_taxes_barcodes_and_variants(catalog):
    feeds = list(catalog.read("product", full=True))
    assert feeds[0].complete and feeds[0].watermark is not None
    products = by_code(feeds[0].records)
    assert set(products) == {"ÇAY-001", "BISK-9", "DET-5", "KHV-250", "KHV-500"}
    tea = products["ÇAY-001"]
    assert (tea.name, tea.unit, tea.vat_rate, tea.barcode, tea.active) == (
        "Rize Turist Çayı 1 kg",
        "u",
        D("10"),
        "8690000000005",
        True,
    )
    assert tea.units == (ErpProductUnit("KOLI", D("12")),)
    assert tea.updated_at is not None and tea.updated_at.tzinfo is not None
    assert (products["DET-5"].vat_rate, products["DET-5"].units) == (D("20"), ())
    assert products["KHV-250"].name == products["KHV-500"].name == "Kahve"  # two variants, two items


def test_switched_off_products_come_inactive_and_products_without_code_stay_out(fresh):
    adapter, staff, _proxy = fresh
    det = staff.one("product.product", [["code", "=", "DET-5"]], ["template"])
    staff.write("product.template", det["template"], {"salable": False})
    coffee = staff.one("product.product", [["code", "=", "KHV-500"]])
    staff.write("product.product", coffee["id"], {"active": False})
    unit = staff.id_of("product.uom", symbol="u")
    staff.create(
        "product.template",
        {"name": "Kodsuz", "type": "goods", "default_uom": unit, "products": [["create", [{}]]]},
    )

    products = by_code(records(adapter, "product"))

    assert products["DET-5"].active is False
    assert products["KHV-500"].active is False
    assert products["KHV-250"].active is True  # the other variant of the template
    assert products["ÇAY-001"].active is True
    assert "Kodsuz" not in {p.name for p in products.values()}


def test_product_delta_reads_what_changed_since(fresh):
    adapter, staff, _proxy = fresh
    since = datetime.now(UTC) + timedelta(seconds=1)
    assert records(adapter, "product", since=since) == []

    det = staff.one("product.product", [["code", "=", "DET-5"]], ["template"])
    staff.write("product.template", det["template"], {"name": "Deterjan 5 L (yeni)"})
    feeds = list(adapter.read("product", since=since - timedelta(seconds=5)))

    assert [feed.complete for feed in feeds] == [False]
    assert [(p.code, p.name) for p in feeds[0].records] == [("DET-5", "Deterjan 5 L (yeni)")]
    assert len(records(adapter, "product", since=since, full=True)) == 5  # full ignores since


def test_units_are_the_active_units_by_symbol(catalog):
    units = by_code(records(catalog, "unit"))
    assert (units["u"].name, units["u"].decimals) == ("Unit", 0)
    assert units["KOLI"].decimals == 0
    assert units["kg"].decimals == 2


def test_warehouses_are_sellable_as_the_setting_says(catalog, tryton_server):
    assert {(w.code, w.name, w.sellable, w.active) for w in records(catalog, "warehouse")} == {
        ("IST", "İstanbul Depo", True, True),
        ("ANK", "Ankara Karantina Depo", False, True),
    }
    every = make(tryton_server.url, catalog.database)
    assert {w.sellable for w in records(every, "warehouse")} == {True}


def test_stock_on_hand_and_committed_per_warehouse(fresh):
    adapter, staff, _proxy = fresh
    before = {(s.product_code, s.warehouse_code): (s.on_hand, s.committed) for s in records(adapter, "stock")}
    assert before[("DET-5", "IST")] == (D("35"), D("0"))
    assert before[("ÇAY-001", "ANK")] == (D("12"), D("0"))
    assert ("KHV-500", "IST") not in before  # nothing there, nothing said

    ack = adapter.order_push(order(lines=(ErpOrderLine(1, "DET-5", D("5"), "u", D("300"), D("20")),)))
    staff.click("sale.sale", int(ack.document_id), "confirm")
    committed = by_code(records(adapter, "stock"), "product_code")
    assert (committed["DET-5"].on_hand, committed["DET-5"].committed) == (D("35"), D("5"))

    ship(staff, int(ack.document_id))
    shipped = {(s.product_code, s.warehouse_code): (s.on_hand, s.committed) for s in records(adapter, "stock")}
    assert shipped[("DET-5", "IST")] == (D("30"), D("0"))


def test_live_stock_answers_for_the_codes_asked_zero_included(catalog):
    stock = {(s.product_code, s.warehouse_code): s.on_hand for s in catalog.live_stock(["KHV-500", "ÇAY-001", "YOK"])}
    assert stock == {
        ("KHV-500", "IST"): D("0"),
        ("KHV-500", "ANK"): D("0"),
        ("ÇAY-001", "IST"): D("240"),
        ("ÇAY-001", "ANK"): D("12"),
    }
    assert catalog.live_stock([]) == []


def test_price_lists_and_the_prices_tryton_computes(catalog):
    (price_list,) = records(catalog, "price_list")
    assert (price_list.name, price_list.currency, price_list.vat_included, price_list.active) == (
        "Bayi Fiyatı",
        "TRY",
        False,
        True,
    )
    prices = by_code(records(catalog, "price"), "product_code")
    assert {p.price_list_code for p in prices.values()} == {price_list.code}
    assert (prices["BISK-9"].price, prices["BISK-9"].unit) == (D("37.8"), "")  # list price 42, less 10 %
    assert (prices["KHV-500"].price, prices["DET-5"].price) == (D("161.91"), D("279"))  # variant's own list price
    # Sold by the case: one case is 12 units, past the list's 10-unit break.
    assert (prices["ÇAY-001"].price, prices["ÇAY-001"].unit) == (D("1320"), "KOLI")


def test_quantity_breaks_tax_included_and_switched_off_lists(fresh):
    adapter, staff, _proxy = fresh
    (price_list,) = staff.search("product.price_list", [], ["lines"])
    det = staff.id_of("product.product", code="DET-5")
    lines = [["write", [line], {"sequence": 100 + n}] for n, line in enumerate(price_list["lines"])]
    lines.append(["create", [{"product": det, "quantity": 10, "formula": "250", "sequence": 1}]])
    staff.write("product.price_list", price_list["id"], {"lines": lines, "tax_included": True})
    other = staff.create("product.price_list", {"name": "Eski Liste"})
    staff.write("product.price_list", other, {"active": False})

    lists = by_code(records(adapter, "price_list"), "name")
    det_prices = sorted((p.min_quantity, p.price) for p in records(adapter, "price") if p.product_code == "DET-5")

    assert (lists["Bayi Fiyatı"].vat_included, lists["Eski Liste"].active) == (True, False)
    assert det_prices == [(D("1"), D("279")), (D("10"), D("250"))]
    # A list without lines prices nothing: no price is made up for it.
    assert lists["Eski Liste"].code not in {p.price_list_code for p in records(adapter, "price")}


def test_customers_map_tax_numbers_contacts_and_addresses(catalog):
    customers = by_code(records(catalog, "customer"))
    assert set(customers) == {"120.01.001", "120.01.002"}  # the company's own party is no customer
    customer = customers["120.01.001"]
    assert (customer.title, customer.tax_number, customer.email, customer.phone, customer.currency) == (
        "Öztürk Gıda Ltd. Şti.",
        "1234567808",
        "muhasebe@12001001.example",
        "+90 212 000 00 00",
        "TRY",
    )
    assert customer.price_list_code == records(catalog, "price_list")[0].code
    assert customer.payment_terms_code
    billing, shipping = customer.addresses
    assert (billing.kind, billing.line1, billing.line2, billing.city, billing.postal_code, billing.country) == (
        "billing",
        "Büyükdere Cad. No:1",
        "Kat 3",
        "İstanbul",
        "34394",
        "TR",
    )
    assert (shipping.kind, shipping.name, shipping.is_default, billing.is_default) == ("shipping", "Depo", True, False)


def test_customer_delta_follows_address_changes_and_new_parties(fresh):
    adapter, staff, _proxy = fresh
    since = datetime.now(UTC) - timedelta(seconds=1)
    party = staff.one("party.party", [["code", "=", "120.01.002"]], ["addresses"])
    staff.write("party.address", party["addresses"][1], {"city": "Eskişehir"})
    newcomer = staff.create("party.party", {"name": "Yeni Müşteri"})  # numbered by Tryton's party sequence
    code = staff.read("party.party", newcomer, ["code"])["code"]

    changed = by_code(records(adapter, "customer", since=since))

    assert set(changed) == {"120.01.002", code}
    assert changed["120.01.002"].addresses[1].city == "Eskişehir"
    assert "120.01.001" not in changed


def test_balances_credit_limits_and_live_balance(catalog):
    balances = by_code(records(catalog, "balance"), "customer_code")
    assert (balances["120.01.001"].balance, balances["120.01.001"].currency) == (D("3720"), "TRY")
    assert balances["120.01.002"].balance == D("0")
    assert balances["120.01.001"].open_orders is None  # Tryton does not keep it: unknown, not zero
    credit = by_code(records(catalog, "credit"), "customer_code")
    assert (credit["120.01.001"].credit_limit, credit["120.01.001"].hold) == (D("100000"), False)
    assert catalog.live_balance("120.01.001").balance == D("3720")
    with pytest.raises(PermanentError, match="no party"):
        catalog.live_balance("120.99.999")


def test_order_status_and_documents_follow_the_sale(fresh):
    adapter, staff, _proxy = fresh
    ack = adapter.order_push(order())
    sale = int(ack.document_id)
    staff.create(
        "sale.sale",
        {"party": staff.id_of("party.party", code="120.01.002"), "reference": "TEL-55", "invoice_address": 3},
    )
    status = by_code(records(adapter, "order_status"), "reference")
    assert set(status) == {"B2B-2026-000001"}  # the phone order is not the portal's
    assert (status["B2B-2026-000001"].state, status["B2B-2026-000001"].document_id) == (ErpOrderState.OPEN, str(sale))

    staff.click("sale.sale", sale, "confirm")
    assert records(adapter, "order_status")[0].state == ErpOrderState.ALLOCATED
    assert records(adapter, "delivery") == []

    ship(staff, sale)
    assert records(adapter, "order_status")[0].state == ErpOrderState.SHIPPED
    (delivery,) = records(adapter, "delivery")
    assert (delivery.kind, delivery.customer_code, delivery.order_reference, delivery.issued_on) == (
        DocumentKind.DELIVERY,
        "120.01.001",
        "B2B-2026-000001",
        date.today(),
    )
    assert delivery.number

    (invoice_id,) = staff.read("sale.sale", sale, ["invoices"])["invoices"]
    staff.click("account.invoice", invoice_id, "post")
    assert records(adapter, "order_status")[0].state == ErpOrderState.INVOICED
    invoices = [i for i in records(adapter, "invoice") if i.order_reference]
    (invoice,) = invoices
    assert (invoice.net, invoice.vat, invoice.gross) == (D("1014.9"), D("191.64"), D("1206.54"))
    assert (invoice.customer_code, invoice.currency, invoice.due_on) == ("120.01.001", "TRY", date.today())


def test_documents_carry_the_shipped_moves_and_the_invoice_lines(fresh):
    adapter, staff, _proxy = fresh
    sale = int(adapter.order_push(order()).document_id)
    staff.click("sale.sale", sale, "confirm")
    ship(staff, sale)
    (delivery,) = records(adapter, "delivery")
    shipped = {line.product_code: line for line in delivery.lines}
    assert set(shipped) == {"DET-5", "BISK-9"}
    assert [(x.quantity, x.order_line_no) for x in (shipped["DET-5"], shipped["BISK-9"])] == [(D("3"), 1), (D("3"), 2)]
    assert shipped["DET-5"].unit and shipped["DET-5"].description

    (invoice_id,) = staff.read("sale.sale", sale, ["invoices"])["invoices"]
    staff.click("account.invoice", invoice_id, "post")
    (invoice,) = [i for i in records(adapter, "invoice") if i.order_reference]
    billed = {line.product_code: line for line in invoice.lines}
    assert (billed["DET-5"].net, billed["DET-5"].vat_rate, billed["DET-5"].order_line_no) == (D("901.5"), D("20"), 1)
    assert (billed["BISK-9"].net, billed["BISK-9"].vat_rate, billed["BISK-9"].order_line_no) == (D("113.4"), D("10"), 2)
    assert billed["DET-5"].unit_price == D("300.50") and billed["DET-5"].vat is None  # Tryton taxes per invoice
    assert sum(line.net for line in invoice.lines) == invoice.net
    assert [line.line_no for line in invoice.lines] == [1, 2]


def test_credit_notes_are_credit_memos_with_positive_amounts(fresh):
    adapter, staff, _proxy = fresh
    party = staff.id_of("party.party", code="120.01.001")
    configuration = staff.read("account.configuration", 1, ["default_account_receivable"])
    category = staff.one("product.category", [["code", "=", "TICARI"]], ["account_revenue"])
    line = {"quantity": -1, "unit_price": D("250.75"), "account": category["account_revenue"], "description": "İade"}
    note = staff.create(
        "account.invoice",
        {
            "type": "out",
            "party": party,
            "invoice_address": 1,
            "account": configuration["default_account_receivable"],
            "journal": staff.id_of("account.journal", code="REV"),
            "lines": [["create", [line]]],
        },
    )
    staff.click("account.invoice", note, "post")

    (memo,) = records(adapter, "credit_memo")
    assert (memo.kind, memo.customer_code, memo.gross, memo.net, memo.vat) == (
        DocumentKind.CREDIT_MEMO,
        "120.01.001",
        D("250.75"),
        D("250.75"),
        D("0"),
    )
    assert memo.number not in {i.number for i in records(adapter, "invoice")}
    (memo_line,) = memo.lines
    assert (memo_line.quantity, memo_line.net, memo_line.description) == (D("1"), D("250.75"), "İade")


# --- orders ---------------------------------------------------------------------------------------------------


def test_push_creates_one_quoted_sale_with_the_orders_data(fresh):
    adapter, staff, _proxy = fresh

    ack = adapter.order_push(order())

    (sale,) = sales(
        staff,
        "B2B-2026-000001",
        "number",
        "description",
        "comment",
        "sale_date",
        "party.code",
        "shipment_address",
        "invoice_address",
        "warehouse.code",
        "untaxed_amount",
        "tax_amount",
        "lines.product.code",
        "lines.quantity",
        "lines.unit_price",
        "lines.description",
        "lines.unit.symbol",
    )
    assert (ack.document_id, ack.document_number, ack.state, ack.complete) == (
        str(sale["id"]),
        sale["number"],
        ErpOrderState.OPEN,
        True,
    )
    assert (sale["state"], sale["description"], sale["comment"], sale["sale_date"]) == (
        "quotation",
        "PO-77",
        "Kapıda teslim",
        date(2026, 3, 1),
    )
    assert (sale["party"]["code"], sale["shipment_address"], sale["invoice_address"], sale["warehouse"]["code"]) == (
        "120.01.001",
        2,  # the party's delivery address
        1,  # and its invoice address
        "IST",
    )
    lines = [
        (line["product"]["code"], line["quantity"], line["unit_price"], line["unit"]["symbol"])
        for line in sale["lines"]
    ]
    assert lines == [("DET-5", 3.0, D("300.5000"), "u"), ("BISK-9", 3.0, D("37.8000"), "u")]
    assert sale["lines"][0]["description"] == "Deterjan, bayi fiyatı"
    assert (sale["untaxed_amount"], sale["tax_amount"]) == (D("1014.90"), D("191.64"))  # Tryton's own taxes
    assert adapter.order_push(order()).document_id == ack.document_id
    assert len(sales(staff, "B2B-2026-000001")) == 1


@pytest.mark.parametrize(("state", "expected"), [("draft", "draft"), ("confirmed", "processing")])
def test_order_state_setting_takes_the_sale_as_far_as_asked(fresh, state, expected):
    adapter, staff, _proxy = fresh
    adapter.order_state = state
    ack = adapter.order_push(order())
    assert [sale["state"] for sale in sales(staff, "B2B-2026-000001")] == [expected]
    assert ack.complete


def test_chosen_delivery_address_is_used(fresh):
    adapter, staff, _proxy = fresh
    adapter.order_push(order(delivery_address_code="1"))
    assert sales(staff, "B2B-2026-000001", "shipment_address")[0]["shipment_address"] == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"customer_code": "120.99.999"}, "no party"),
        ({"currency": "XAU"}, "no currency"),
        ({"delivery_address_code": "3"}, "not one of party"),  # another party's address
        ({"lines": (ErpOrderLine(1, "YOK-1", D("1"), "u", D("1"), D("20")),)}, "no product"),
        ({"lines": (ErpOrderLine(1, "DET-5", D("1"), "koli?", D("1"), D("20")),)}, "no unit"),
        ({"lines": (ErpOrderLine(1, "DET-5", D("1"), "u", D("1"), D("10")),)}, "VAT"),
    ],
)
def test_push_refuses_what_tryton_does_not_know_and_writes_nothing(refusing, change, message):
    adapter, staff = refusing
    with pytest.raises(PermanentError, match=message):
        adapter.order_push(order(**change))
    assert sales(staff, "B2B-2026-000001") == []


def test_lookup_prefers_the_live_sale_and_knows_no_other_reference(fresh):
    adapter, staff, _proxy = fresh
    assert adapter.order_lookup("B2B-2026-000001") is None
    first = adapter.order_push(order())
    adapter.order_cancel(ErpCancel("B2B-2026-000001"))
    assert adapter.order_lookup("B2B-2026-000001").state == ErpOrderState.CANCELLED
    party = staff.id_of("party.party", code="120.01.001")
    live = staff.create("sale.sale", {"party": party, "reference": "B2B-2026-000001", "invoice_address": 1})

    found = adapter.order_lookup("B2B-2026-000001")

    assert (found.document_id, found.state) == (str(live), ErpOrderState.OPEN)
    assert found.document_id != first.document_id
    assert adapter.order_lookup("B2B-2026-000002") is None


def test_a_lost_answer_to_the_quote_is_outcome_unknown_and_the_next_push_finishes_the_sale(fresh):
    adapter, staff, proxy = fresh
    proxy.lose_answer("POST", "/quote")
    with pytest.raises(OutcomeUnknownError):
        adapter.order_push(order())
    assert [sale["state"] for sale in sales(staff, "B2B-2026-000001")] == ["quotation"]  # Tryton did quote it

    ack = adapter.order_push(order())

    assert (ack.state, ack.complete) == (ErpOrderState.OPEN, True)
    assert len(sales(staff, "B2B-2026-000001")) == 1


def test_a_draft_left_behind_is_incomplete_and_the_next_push_quotes_it(fresh):
    adapter, staff, proxy = fresh
    proxy.lose_answer("POST", "/rest/model/sale.sale")
    with pytest.raises(OutcomeUnknownError):
        adapter.order_push(order())

    found = adapter.order_lookup("B2B-2026-000001")
    assert found is not None and found.complete is False
    ack = adapter.order_push(order())

    assert (ack.document_id, ack.complete) == (found.document_id, True)
    assert [sale["state"] for sale in sales(staff, "B2B-2026-000001")] == ["quotation"]


def test_cancel_quoted_and_draft_sales_and_a_second_cancel_is_harmless(fresh):
    adapter, staff, _proxy = fresh
    quoted = adapter.order_push(order("B2B-2026-000001"))
    adapter.order_state = "draft"
    draft = adapter.order_push(order("B2B-2026-000002"))

    ack = adapter.order_cancel(ErpCancel("B2B-2026-000001", reason="Müşteri vazgeçti"))
    again = adapter.order_cancel(ErpCancel("B2B-2026-000001"))
    by_id = adapter.order_cancel(ErpCancel("B2B-2026-000002", document_id=draft.document_id))

    assert (ack.document_id, again.document_id, ack.document_number) == (
        quoted.document_id,
        quoted.document_id,
        quoted.document_number,
    )
    assert by_id.document_id == draft.document_id
    assert [s["state"] for s in sales(staff, "B2B-2026-000001")] == ["cancelled"]
    assert [s["state"] for s in sales(staff, "B2B-2026-000002")] == ["cancelled"]


def test_cancel_is_refused_once_shipments_exist_or_when_tryton_has_no_sale(fresh):
    adapter, staff, _proxy = fresh
    ack = adapter.order_push(order())
    staff.click("sale.sale", int(ack.document_id), "confirm")

    with pytest.raises(PermanentError, match="processing"):
        adapter.order_cancel(ErpCancel("B2B-2026-000001"))
    with pytest.raises(PermanentError, match="no sale"):
        adapter.order_cancel(ErpCancel("B2B-2026-000099"))
    assert [s["state"] for s in sales(staff, "B2B-2026-000001")] == ["processing"]


# --- payments -------------------------------------------------------------------------------------------------


def payment(reference: str = "PAY-2026-0001", **changes) -> ErpPayment:
    values = {
        "reference": reference,
        "customer_code": "120.01.001",
        "amount": D("1000.00"),
        "currency": "TRY",
        "received_on": date.today(),
        "method": "card",
        "description": "Sanal POS tahsilatı",
        "order_reference": "B2B-2026-000001",
        "invoice_numbers": ("1",),
    }
    return ErpPayment(**{**values, **changes})


@pytest.fixture
def cashier(fresh):
    adapter, staff, proxy = fresh
    adapter.payment_journal, adapter.payment_account = "CASH", "1.1.1"
    return adapter, staff, proxy


def receipts(staff: StaffClient, reference: str) -> list[dict]:
    return staff.search(
        "account.move",
        [["description", "=", reference]],
        ["state", "date", "journal.code", "lines.account.code", "lines.party.code", "lines.debit", "lines.credit"],
    )


def test_payment_is_a_posted_receipt_on_the_customers_account(cashier):
    adapter, staff, _proxy = cashier
    assert adapter.payment_lookup("PAY-2026-0001") is None

    ack = adapter.payment_push(payment())

    (move,) = receipts(staff, "PAY-2026-0001")
    assert (move["state"], move["date"], move["journal"]["code"]) == ("posted", date.today(), "CASH")
    lines = sorted((line["account"]["code"], line["debit"], line["credit"]) for line in move["lines"])
    assert lines[0] == ("1.1.1", D("1000.00"), D("0"))
    assert [line["party"]["code"] for line in move["lines"] if line["credit"]] == ["120.01.001"]
    assert (ack.reference, ack.document_id) == ("PAY-2026-0001", str(move["id"]))
    assert adapter.payment_lookup("PAY-2026-0001") == ack
    assert adapter.payment_push(payment()) == ack  # pushed again: the same receipt
    assert len(receipts(staff, "PAY-2026-0001")) == 1
    assert adapter.live_balance("120.01.001").balance == D("2720")  # 3720 owed, 1000 paid


def test_a_receipt_whose_posting_was_not_answered_is_posted_by_the_next_push(cashier):
    adapter, staff, proxy = cashier
    proxy.lose_answer("POST", "/rest/model/account.move")
    with pytest.raises(OutcomeUnknownError):
        adapter.payment_push(payment())
    assert [move["state"] for move in receipts(staff, "PAY-2026-0001")] == ["draft"]
    assert adapter.payment_lookup("PAY-2026-0001") is None  # a draft is no receipt yet

    ack = adapter.payment_push(payment())

    assert [move["state"] for move in receipts(staff, "PAY-2026-0001")] == ["posted"]
    assert ack.document_id == str(receipts(staff, "PAY-2026-0001")[0]["id"])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"customer_code": "120.99.999"}, "no party"),
        ({"currency": "USD"}, "company currency"),
        ({"amount": D("0")}, "positive amount"),
        ({"received_on": date(2019, 1, 2)}, "no open period"),
    ],
)
def test_payment_refuses_what_tryton_cannot_book_and_writes_nothing(refusing, change, message):
    adapter, staff = refusing
    with pytest.raises(PermanentError, match=message):
        adapter.payment_push(payment(**change))
    assert receipts(staff, "PAY-2026-0001") == []


@pytest.mark.parametrize(
    ("settings", "message"),
    [({"payment_journal": "YOK"}, "no journal"), ({"payment_account": "9.9.9"}, "no open account")],
)
def test_payment_settings_naming_what_tryton_lacks_are_refused(refusing, settings, message):
    adapter, staff = refusing
    for name, value in settings.items():
        setattr(adapter, name, value)
    with pytest.raises(PermanentError, match=message):
        adapter.payment_push(payment())
    assert receipts(staff, "PAY-2026-0001") == []


def test_payments_without_settings_are_refused_with_what_to_set(refusing):
    adapter, _staff = refusing
    adapter.payment_journal = adapter.payment_account = ""
    with pytest.raises(PermanentError, match="payment_journal"):
        adapter.payment_push(payment())


# --- pure mappings ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sale", "expected"),
    [
        ({"state": "draft"}, ErpOrderState.OPEN),
        ({"state": "quotation"}, ErpOrderState.OPEN),
        ({"state": "confirmed"}, ErpOrderState.OPEN),
        ({"state": "processing", "shipment_state": "waiting", "invoice_state": "pending"}, ErpOrderState.ALLOCATED),
        ({"state": "processing", "shipment_state": "partially shipped"}, ErpOrderState.PARTIALLY_SHIPPED),
        ({"state": "processing", "shipment_state": "sent", "invoice_state": "pending"}, ErpOrderState.SHIPPED),
        (
            {"state": "processing", "shipment_state": "sent", "invoice_state": "awaiting payment"},
            ErpOrderState.INVOICED,
        ),
        ({"state": "processing", "shipment_state": "none", "invoice_state": "paid"}, ErpOrderState.INVOICED),
        (
            {"state": "processing", "shipment_state": "waiting", "invoice_state": "awaiting payment"},
            ErpOrderState.ALLOCATED,
        ),
        ({"state": "done"}, ErpOrderState.CLOSED),
        ({"state": "cancelled"}, ErpOrderState.CANCELLED),
    ],
)
def test_sale_states_as_the_portal_reads_them(sale, expected):
    assert order_state(sale) == expected


def test_vat_rate_of_customer_taxes():
    assert vat_rate([{"type": "percentage", "rate": D("0.20")}]) == D("20")
    assert vat_rate([{"rate": D("0.18")}, {"rate": D("0.02")}]) == D("20")
    assert vat_rate([]) == D("0")
    assert vat_rate(None) is None
    assert vat_rate([{"type": "fixed", "amount": D("5")}]) is None


# --- ship-to addresses ------------------------------------------------------------------------------------------


def ship_to(**changes) -> ErpShipTo:
    values = {"reference": "ship-to-7", "customer_code": "120.01.001", "name": "Gebze Depo", "line1": "Sanayi Sok. 5"}
    return ErpShipTo(**{**values, "city": "Kocaeli", "line2": "B Blok", "postal_code": "41400", **changes})


def test_ship_to_is_a_delivery_address_of_the_party_created_once(fresh):
    adapter, staff, _proxy = fresh
    assert adapter.ship_to_lookup(ship_to()) is None
    ack = adapter.ship_to_push(ship_to())
    (row,) = staff.search(
        "party.address",
        [["party.code", "=", "120.01.001"], ["party_name", "=", "Gebze Depo"]],
        ["street", "city", "postal_code", "delivery", "invoice", "country.code"],
    )
    assert str(row["id"]) == ack.document_id
    assert (row["city"], row["postal_code"], row["delivery"], row["invoice"]) == ("Kocaeli", "41400", True, False)
    assert row["street"].splitlines()[0] == "Sanayi Sok. 5"
    assert adapter.ship_to_lookup(ship_to()) == ack  # a retry binds it instead of creating another
    customer = by_code(records(adapter, "customer", full=True))["120.01.001"]
    assert ack.document_id in {address.code for address in customer.addresses}


def test_ship_to_of_the_same_name_elsewhere_is_refused(fresh):
    adapter, _staff, _proxy = fresh
    adapter.ship_to_push(ship_to())
    with pytest.raises(PermanentError, match="another address"):
        adapter.ship_to_lookup(ship_to(line1="Başka Cad. 9"))
    with pytest.raises(PermanentError, match="no party"):
        adapter.ship_to_push(ship_to(customer_code="NOPE"))
