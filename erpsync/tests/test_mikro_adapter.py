"""The Mikro adapter beyond the contract, against the Mikro-shaped PostgreSQL database: order rows as Mikro keeps them,
a commit whose answer is lost, two workers numbering orders at once, the series lock, read-only connections, deltas
by ``<p>_lastup_date`` page by page, stock from the function and from the movements, VAT through ``fn_VergiYuzde``."""

from __future__ import annotations

import dataclasses
import threading
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured

from erpsync.adapters.base import Capability, ErpCancel, OutcomeUnknownError, PermanentError, RetryableError
from erpsync.adapters.mikro import MikroAdapter
from erpsync.adapters.mikro.dialect import dialect_for
from erpsync.adapters.mikro.mapping import order_state, pack_factor
from erpsync.adapters.mikro.writes import line_guid
from erpsync.tests.mikro_side import (  # noqa: F401
    TIMEOUT_AFTER_APPLY,
    MikroErpSide,
    database_for,
    mikro_adapter,
    mikro_databases,
    sample_order,
)


@pytest.fixture
def side(mikro_databases):  # noqa: F811
    erp = MikroErpSide(database_for(mikro_databases, "v16"))
    yield erp
    erp.close()


@pytest.fixture
def adapter(side):
    with side.make_adapter() as made:
        yield made


def order_rows(side, reference: str) -> list[dict]:
    return side.database.rows("SELECT * FROM dbo.SIPARISLER WHERE sip_belgeno = %s ORDER BY sip_satirno", (reference,))


# -- writing orders -----------------------------------------------------------------------------------------------


def test_order_becomes_one_row_per_line_in_base_units_with_its_text(side, adapter):
    order = sample_order()

    ack = adapter.order_push(order)

    rows = order_rows(side, order.reference)
    assert ack.document_id == "B2B-1" and {row["sip_evrakno_sira"] for row in rows} == {1}
    assert [(row["sip_satirno"], row["sip_stok_kod"], row["sip_birim_pntr"]) for row in rows] == [
        (0, "ÇAY-001", 2),
        (1, "ÇAY-001", 3),
    ]
    koli, kg = rows
    assert (koli["sip_miktar"], kg["sip_miktar"]) == (144.0, 1.5)  # 12 boxes of 12, 1.5 kg
    assert koli["sip_b_fiyat"] == pytest.approx(1250.50 / 12)
    assert (koli["sip_tutar"], koli["sip_vergi"], koli["sip_vergi_pntr"]) == (15006.0, 3001.2, 5)
    assert [row["sip_guid"] for row in rows] == [line_guid(order.reference, 1), line_guid(order.reference, 2)]
    assert {(row["sip_fileid"], row["sip_create_user"], row["sip_depono"], row["sip_iptal"]) for row in rows} == {
        (21, 1, 1, 0)
    }
    assert koli["sip_aciklama"] == "Çaykur Rize Turist ığüşöç"
    (note,) = side.database.rows("SELECT * FROM dbo.EVRAK_ACIKLAMALARI")
    assert (note["egk_evr_seri"], note["egk_evr_sira"]) == ("B2B", 1)
    assert note["egk_evracik2"] == "Müşteri sipariş no: PO-77"
    assert note["egk_evracik4"] == "Kapıda teslim"


def test_unknown_item_or_unit_or_other_vat_is_refused_and_nothing_written(side, adapter):
    order = sample_order()
    line = order.lines[0]
    for wrong in (
        dataclasses.replace(line, product_code="YOK-1"),
        dataclasses.replace(line, unit="PALET"),
        dataclasses.replace(line, vat_rate=Decimal(10)),
    ):
        with pytest.raises(PermanentError):
            adapter.order_push(dataclasses.replace(order, lines=(wrong,)))
    with pytest.raises(PermanentError, match="local currency"):
        adapter.order_push(dataclasses.replace(order, currency="EUR"))
    assert side.database.rows("SELECT * FROM dbo.SIPARISLER") == []
    assert side.database.rows("SELECT * FROM dbo.EVRAK_ACIKLAMALARI") == []


def test_lost_commit_answer_is_found_again_and_not_duplicated(side, adapter):
    order = sample_order()
    side.simulate(TIMEOUT_AFTER_APPLY)

    with pytest.raises(OutcomeUnknownError):
        adapter.order_push(order)
    found = adapter.order_lookup(order.reference)
    again = adapter.order_push(order)

    assert found is not None and again.document_id == found.document_id == "B2B-1"
    assert len(order_rows(side, order.reference)) == 2
    assert len(side.database.rows("SELECT 1 FROM dbo.EVRAK_ACIKLAMALARI")) == 1


def test_guids_find_the_order_after_mikro_users_changed_its_reference(side, adapter):
    order = sample_order()
    first = adapter.order_push(order)
    side.database.db.execute("UPDATE dbo.SIPARISLER SET sip_belgeno = 'ELLE-DUZELTILDI'")

    again = adapter.order_push(order)

    assert again.document_id == first.document_id
    assert len(side.database.rows("SELECT 1 FROM dbo.SIPARISLER")) == 2


def test_two_workers_writing_at_once_get_distinct_numbers(side):
    side.database.key_in_order("", [("ÇAY-001", 1)], series="B2B")  # Mikro's users took number 1 of the series
    start = threading.Barrier(2)
    acks, errors = [], []

    def worker(name: str) -> None:
        with side.make_adapter() as adapter:
            start.wait()
            for n in range(4):
                try:
                    acks.append(adapter.order_push(sample_order(f"B2B-{name}-{n}")))
                except Exception as exc:
                    errors.append(exc)

    threads = [threading.Thread(target=worker, args=(name,)) for name in ("A", "B")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    numbers = sorted(int(ack.document_id.split("-")[1]) for ack in acks)
    assert numbers == list(range(2, 10))
    documents = side.database.rows(
        "SELECT sip_evrakno_sira, COUNT(DISTINCT sip_belgeno) AS refs, COUNT(*) AS lines FROM dbo.SIPARISLER "
        "WHERE sip_belgeno <> '' GROUP BY sip_evrakno_sira"
    )
    assert len(documents) == 8 and {(row["refs"], row["lines"]) for row in documents} == {(1, 2)}


def test_series_lock_held_elsewhere_is_retryable_and_writes_nothing(side):
    holder = side.database.connect()
    holder.autocommit = False
    holder.execute("SELECT pg_advisory_xact_lock(hashtext('b2bportal:SIPARISLER:B2B'))")
    try:
        with (
            mikro_adapter(side.database, lock_timeout_seconds=1) as adapter,
            pytest.raises(RetryableError, match="locked"),
        ):
            adapter.order_push(sample_order())
    finally:
        holder.rollback()
        holder.close()
    assert side.database.rows("SELECT 1 FROM dbo.SIPARISLER") == []


def test_cancel_marks_every_line_and_is_refused_once_delivered(side, adapter):
    adapter.order_push(sample_order("B2B-IPTAL"))
    adapter.order_push(sample_order("B2B-TESLIM"))
    side.database.deliver("B2B", 2, {0: 12})

    adapter.order_cancel(ErpCancel("B2B-IPTAL"))
    with pytest.raises(PermanentError, match="partially_shipped"):
        adapter.order_cancel(ErpCancel("B2B-TESLIM"))

    assert {row["sip_iptal"] for row in order_rows(side, "B2B-IPTAL")} == {1}
    assert {row["sip_iptal"] for row in order_rows(side, "B2B-TESLIM")} == {0}
    assert adapter.order_lookup("B2B-IPTAL").state == "cancelled"


def test_read_only_connection_refuses_every_write(side):
    with mikro_adapter(side.database, read_only=True, write_collections=True) as adapter:
        assert not adapter.supports(Capability.ORDER_PUSH) and not adapter.supports(Capability.PAYMENT_PUSH)
        assert adapter.supports(Capability.ORDER_LOOKUP)
        with pytest.raises(PermanentError, match="read-only"):
            adapter.order_push(sample_order())
        with pytest.raises(PermanentError, match="read-only"):
            adapter.order_cancel(ErpCancel("B2B-1"))
        # The database session itself is read-only too.
        with pytest.raises(PermanentError, match="read-only"), adapter.transaction() as cursor:
            cursor.execute("DELETE FROM dbo.STOKLAR")
        assert adapter.test_connection().ok
    assert side.database.rows("SELECT 1 FROM dbo.STOKLAR")


def test_collections_are_off_unless_the_company_allows_them(side):
    with mikro_adapter(side.database) as adapter:
        assert not adapter.supports(Capability.PAYMENT_PUSH)
    with side.make_adapter() as adapter:
        assert adapter.supports(Capability.PAYMENT_PUSH)


# -- reading ------------------------------------------------------------------------------------------------------


def test_delta_reads_rows_changed_since_page_by_page_ties_included(side, adapter):
    db = side.database
    old, new = datetime(2026, 1, 1, 9), datetime(2026, 3, 1, 14, 30)
    db.db.execute("UPDATE dbo.STOKLAR SET sto_lastup_date = %s", (old,))
    for n in range(7):  # more than two pages, all changed in the same second
        db.add_item(f"YENİ-{n}", f"Yeni ürün {n}", sto_lastup_date=new)
    since = new.replace(tzinfo=adapter.zone) - timedelta(seconds=1)

    (feed,) = adapter.read("product", since=since)

    assert not feed.complete
    assert sorted(product.code for product in feed.records) == [f"YENİ-{n}" for n in range(7)]
    (full,) = adapter.read("product", since=since, full=True)
    assert full.complete and len(list(full.records)) == 8


def test_stock_from_the_function_and_from_the_movements_agree(side):
    db = side.database
    db.add_warehouse(2, "Ankara")
    db.add_item("KBL-3X2.5", "Kablo 3x2,5 mm²", "M")
    db.move("KBL-3X2.5", 0, 500.5, 1)
    db.move("KBL-3X2.5", 1, 20, 1)
    db.move("KBL-3X2.5", 2, 100, 1, to=2)
    db.move("KBL-3X2.5", 1, 1000, 1, sth_iptal=1)  # cancelled: never counted
    db.key_in_order("", [("KBL-3X2.5", 30)], warehouse=2)
    expected = {("KBL-3X2.5", "1"): (Decimal("380.5"), Decimal(0)), ("KBL-3X2.5", "2"): (Decimal(100), Decimal(30))}

    for source in ("function", "movements"):
        with mikro_adapter(db, stock_source=source) as adapter:
            (feed,) = adapter.read("stock")
            read = {(s.product_code, s.warehouse_code): (s.on_hand, s.committed) for s in feed.records}
            assert read == expected, source
            live = adapter.live_stock(["KBL-3X2.5", "YOK"])
            assert {(s.product_code, s.warehouse_code): s.on_hand for s in live} == {
                key: value[0] for key, value in expected.items()
            }


def test_vat_comes_from_the_installations_pointer_and_passive_or_unsold_items_are_inactive(side):
    db = side.database
    db.add_item("ÇAY-002", "Yeşil çay", sto_toptan_vergi=5, sto_perakende_vergi=7)
    db.add_item("HAM-1", "Hammadde", sto_cins=1)
    db.add_item("ESK-1", "Eski ürün", sto_pasif_fl=1)
    with mikro_adapter(db, vat_pointer="sto_perakende_vergi", sold_kinds=["0"]) as adapter:
        (feed,) = adapter.read("product")
        products = {product.code: product for product in feed.records}
    assert products["ÇAY-002"].vat_rate == 10
    assert (products["HAM-1"].active, products["HAM-1"].inactive_reason) == (False, "not_sold")
    assert (products["ESK-1"].active, products["ESK-1"].inactive_reason) == (False, "")
    assert products["ÇAY-002"].active


def test_balance_and_credit_hold_of_a_locked_customer(side, adapter):
    db = side.database
    db.add_customer("120.09.009", "Kilitli Bayi", cari_cari_kilitli_flg=1, cari_kredi_limiti=25000.0)
    db.ledger("120.09.009", 0, 1000.0)
    db.ledger("120.09.009", 1, 250.25)

    assert adapter.live_balance("120.09.009").balance == Decimal("749.75")
    (feed,) = adapter.read("credit")
    credit = {record.customer_code: record for record in feed.records}["120.09.009"]
    assert (credit.credit_limit, credit.hold) == (Decimal(25000), True)


# -- settings -----------------------------------------------------------------------------------------------------


def test_settings_refuse_an_unknown_scheme_and_a_wrong_series():
    with pytest.raises(ImproperlyConfigured, match="database_url"):
        MikroAdapter(settings={"database_url": "mysql://db/x"}, credentials={"username": "u"})
    with pytest.raises(ImproperlyConfigured, match="order_series"):
        MikroAdapter(settings={"database_url": "mssql://db/x", "order_series": "B2B-'"}, credentials={"username": "u"})
    with pytest.raises(ImproperlyConfigured, match="username"):
        MikroAdapter(settings={"database_url": "mssql://db/x"}, credentials={})


def test_sql_server_url_opens_pymssql_lazily_and_an_unreachable_server_is_retryable():
    assert dialect_for("mssql://sql:1433/MikroDB_V16_FIRMA").module == "pymssql"
    assert dialect_for("postgresql://db/x").module == "psycopg"
    adapter = MikroAdapter(
        settings={"database_url": "mssql://127.0.0.1:1/MikroDB_V16_TEST", "timeout_seconds": 1},
        credentials={"username": "portal", "password": "x"},
    )
    check = adapter.test_connection()
    assert not check.ok and "not reachable" in check.message
    with pytest.raises(RetryableError):
        adapter.order_lookup("B2B-1")


def test_broken_connection_during_a_read_is_retryable_then_reconnects(side, adapter):
    assert adapter.order_lookup("B2B-1") is None
    with side.database._maintenance() as admin:
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND application_name = "
            "'b2bportal-mikro'",
            (side.database.name,),
        )
    with pytest.raises(RetryableError):
        adapter.order_lookup("B2B-1")
    assert adapter.order_lookup("B2B-1") is None


def test_order_status_delta_sums_every_line_of_a_changed_order_only(side, adapter):
    db = side.database
    changed = db.key_in_order("B2B-DEGISEN", [("ÇAY-001", 2), ("ÇAY-001", 3)])
    db.key_in_order("B2B-AYNI", [("ÇAY-001", 1)])
    db.db.execute("UPDATE dbo.SIPARISLER SET sip_lastup_date = '2026-01-01 09:00'")
    db.deliver("SIP", changed, {0: 2})  # only the first line changes (and gets a new sip_lastup_date)
    since = datetime.now(adapter.zone) - timedelta(hours=1)

    (feed,) = adapter.read("order_status", since=since)

    assert not feed.complete
    assert [(status.reference, status.state) for status in feed.records] == [("B2B-DEGISEN", "partially_shipped")]


@pytest.mark.parametrize(
    ("katsayi", "factor"), [(-12, Decimal(12)), (-0.5, Decimal("0.5")), (4, Decimal("0.25")), (0, None), (None, None)]
)
def test_pack_factor_reads_mikros_sign_convention(katsayi, factor):
    assert pack_factor(katsayi) == factor


@pytest.mark.parametrize(
    ("row", "state"),
    [
        ({"live_lines": 0, "ordered": 0}, "cancelled"),
        ({"live_lines": 2, "ordered": 5, "delivered": 5, "open_lines": 0}, "shipped"),
        ({"live_lines": 2, "ordered": 5, "delivered": 2, "open_lines": 1}, "partially_shipped"),
        ({"live_lines": 2, "ordered": 5, "delivered": 2, "open_lines": 0}, "closed"),
        ({"live_lines": 1, "ordered": 5, "delivered": 0, "open_lines": 0}, "closed"),
        ({"live_lines": 1, "ordered": 5, "delivered": 0, "open_lines": 1}, "open"),
    ],
)
def test_order_state_from_the_summed_lines(row, state):
    assert order_state(row) == state
