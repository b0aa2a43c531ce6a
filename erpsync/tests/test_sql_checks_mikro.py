"""The Mikro adapter's default read-only SQL checks against the Mikro-shaped PostgreSQL database (``mikro_side``): a
Mikro connection with the live sources set to ``sql`` and no statements of its own asks ``fn_DepodakiMiktar`` and
``fn_CariHesapAnaDovizBakiye`` through the checks, on its own database URL and login; a statement the company wrote
wins; a separate read-only URL is used when one is given; a database that is down leaves the synced figures."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.core.cache import cache

from catalog.availability import stock_refresh
from catalog.models import StockLevel, Warehouse
from catalog.tests.factories import ProductFactory, StockLevelFactory, WarehouseFactory
from dealers.tests.factories import DealerFactory
from erpsync.adapters.mikro import MikroAdapter
from erpsync.adapters.mikro.checks import default_statements, default_url, risk_statement, stock_statement
from erpsync.binders import bind as bind_external
from erpsync.common_settings import connection_settings_problems
from erpsync.live import dealer_risk_check
from erpsync.models import ErpConnection, SyncRun
from erpsync.sqlchecks import validate_statement
from erpsync.sqlchecks.checks import SqlCheckFailed, run_risk_check, run_stock_check
from erpsync.tests.memory import MemoryAdapter
from erpsync.tests.mikro_side import CUSTOMER, MikroErpSide, database_for, mikro_databases  # noqa: F401

CREDENTIALS = "MIKROSQL"
ITEMS = ["ÇAY-001", "ŞEKER-02", "YOK-404"]


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def side(mikro_databases):  # noqa: F811
    """Two warehouses; tea moved in, out and across; sugar in the second warehouse; a cancelled movement; a TRY order
    partly delivered, a cancelled one and a USD one; the customer's ledger and credit limit."""
    erp = MikroErpSide(database_for(mikro_databases, "v16"))
    db = erp.database
    db.add_warehouse(2, "Ankara Şube Deposu")
    db.add_item("ŞEKER-02", "Toz Şeker 5 kg", "KG")
    db.move("ÇAY-001", 0, 100, 1)
    db.move("ÇAY-001", 1, 30, 1)
    db.move("ÇAY-001", 2, 20, 1, to=2)
    db.move("ÇAY-001", 0, 999, 1, sth_iptal=1)
    db.move("ŞEKER-02", 0, 5.5, 2)
    partly = db.key_in_order("R-1", [("ÇAY-001", 10)], warehouse=1)
    db.deliver("SIP", partly, {0: 4})
    cancelled = db.key_in_order("R-2", [("ŞEKER-02", 2)], warehouse=2)
    db.db.execute("UPDATE dbo.SIPARISLER SET sip_iptal = 1 WHERE sip_evrakno_sira = %s", (cancelled,))
    usd = db.key_in_order("R-3", [("ÇAY-001", 1)], warehouse=1)
    db.db.execute("UPDATE dbo.SIPARISLER SET sip_doviz_cinsi = 1 WHERE sip_evrakno_sira = %s", (usd,))
    db.ledger(CUSTOMER, 0, 5000.0)
    db.ledger(CUSTOMER, 1, 1250.5)
    db.db.execute("UPDATE dbo.CARI_HESAPLAR SET cari_kredi_limiti = 20000 WHERE cari_kod = %s", (CUSTOMER,))
    yield erp
    erp.close()


def mikro_connection(monkeypatch, side, **settings) -> ErpConnection:
    monkeypatch.setenv(f"{CREDENTIALS}_USERNAME", side.database.user)
    monkeypatch.delenv(f"{CREDENTIALS}_SQL_URL", raising=False)
    options = {
        "database_url": side.database.url,
        "version": "v16",
        "credit_limit_column": "cari_kredi_limiti",
        "live_stock_source": "sql",
        "live_risk_source": "sql",
        **settings,
    }
    return ErpConnection.objects.create(
        code="mikro", name="Mikro", adapter="mikro", is_default=True, credentials_ref=CREDENTIALS, settings=options
    )


def direct(side, sql: str, params=()) -> list[dict]:
    return side.database.rows(sql, params)


# --- the statements -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("dialect", ["mssql", "postgresql"])
def test_the_default_statements_pass_the_checks_the_admin_applies(dialect):
    statements = default_statements({"database_url": "mssql://sql-host/MikroDB_V16_FIRMA"}, dialect)
    assert validate_statement(statements["stock"], "stock", dialect) == ["codes", "warehouse"]
    assert validate_statement(statements["risk"], "risk", dialect) == ["customer"]


def test_one_text_serves_both_servers_the_dialect_gives_the_table_hint():
    for make in (stock_statement, risk_statement):
        mssql, postgresql = make("mssql"), make("postgresql")
        assert "WITH (NOLOCK)" in mssql and "NOLOCK" not in postgresql
        assert mssql.replace(" WITH (NOLOCK)", "") == postgresql


def test_a_mikro_connection_needs_no_statement_of_its_own_other_adapters_do():
    settings = {"database_url": "mssql://sql-host/MikroDB", "live_stock_source": "sql", "live_risk_source": "sql"}
    assert [p for p in connection_settings_problems(MikroAdapter, settings) if not p.warning] == []
    problems = connection_settings_problems(MemoryAdapter, {"live_stock_source": "sql", "live_risk_source": "sql"})
    assert {p.key for p in problems if not p.warning} == {"sql_stock_statement", "sql_risk_statement"}


def test_the_checks_url_is_the_mikro_database_with_the_connections_login():
    settings = {"database_url": "mssql://sql-host:1433/MikroDB_V16_FİRMA"}
    assert default_url(settings, {"username": "portal okur", "password": "p@ss:1"}) == (
        "mssql://portal%20okur:p%40ss%3A1@sql-host:1433/MikroDB_V16_FİRMA"
    )
    assert default_url(settings, {}) == ""  # no login: no URL, the checks are off
    assert default_url({"database_url": "mysql://h/db"}, {"username": "u"}) == ""


# --- answers equal Mikro's functions --------------------------------------------------------------------------


def test_live_stock_is_what_fn_depodakimiktar_gives_with_open_orders_as_reserved(db, monkeypatch, side):
    connection = mikro_connection(monkeypatch, side)

    answer = run_stock_check(connection, ITEMS)

    got = {(f.item_code, f.warehouse_code): (f.quantity, f.reserved) for f in answer.figures}
    expected = {
        (row["code"], str(row["dep"])): D(str(row["qty"]))
        for row in direct(
            side,
            "SELECT S.sto_kod AS code, D.dep_no AS dep, dbo.fn_DepodakiMiktar(S.sto_kod, D.dep_no, 0) AS qty "
            "FROM dbo.STOKLAR S CROSS JOIN dbo.DEPOLAR D WHERE S.sto_kod = ANY(%s)",
            (ITEMS,),
        )
    }
    assert {key: quantity for key, (quantity, _reserved) in got.items()} == expected
    assert got[("ÇAY-001", "1")] == (D("50"), D("7"))  # 100 in, 30 out, 20 across; 6 + 1 still on order
    assert got[("ÇAY-001", "2")] == (D("20"), D("0"))
    assert got[("ŞEKER-02", "2")] == (D("5.5"), D("0"))  # the cancelled order holds nothing
    with side.make_adapter() as adapter:
        api = {(s.product_code, s.warehouse_code): (s.on_hand, s.committed) for s in adapter.live_stock(ITEMS)}
    assert api == {key: value for key, value in got.items() if any(value)}


def test_live_risk_is_what_fn_carihesapanadovizbakiye_gives_with_open_orders(db, monkeypatch, side):
    connection = mikro_connection(monkeypatch, side)

    answer = run_risk_check(connection, CUSTOMER)

    [row] = direct(
        side,
        "SELECT dbo.fn_CariHesapAnaDovizBakiye('', 0, %s, '', '', NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL) AS b",
        (CUSTOMER,),
    )
    assert answer.balance == D(str(row["b"])) == D("3749.5")
    with side.make_adapter() as adapter:
        assert adapter.live_balance(CUSTOMER).balance == answer.balance
    # The TRY order: 10 ordered, 4 delivered → 6/10 of 1,000 + 200 VAT; the USD and cancelled orders do not count.
    assert answer.open_orders == D("720")
    assert (answer.credit_limit, answer.currency) == (D("20000"), "TRY")


def test_the_dealers_account_reads_the_live_risk_through_the_default_statement(db, monkeypatch, side):
    connection = mikro_connection(monkeypatch, side)
    dealer = DealerFactory(code="B-1", erp_balance=D("0"), credit_limit=D("100"))
    bind_external(connection, "customer", dealer.pk, CUSTOMER)

    freshness = dealer_risk_check(dealer=dealer)

    dealer.refresh_from_db()
    assert freshness.live and freshness.source == "sql"
    assert (dealer.erp_balance, dealer.erp_open_orders, dealer.credit_limit) == (D("3749.5"), D("720"), D("20000"))


def test_a_statement_the_company_wrote_wins_over_the_default(db, monkeypatch, side):
    connection = mikro_connection(
        monkeypatch,
        side,
        sql_dialect="postgresql",
        sql_stock_statement="SELECT S.sto_kod AS item_code, '1' AS warehouse_code, 777 AS quantity "
        "FROM dbo.STOKLAR S WHERE S.sto_kod IN (:codes)",
        sql_risk_statement="SELECT 12.5 AS balance FROM dbo.CARI_HESAPLAR C WHERE C.cari_kod = :customer",
    )

    stock = run_stock_check(connection, ["ÇAY-001"])
    risk = run_risk_check(connection, CUSTOMER)

    assert [(f.item_code, f.warehouse_code, f.quantity) for f in stock.figures] == [("ÇAY-001", "1", D("777"))]
    assert (risk.balance, risk.open_orders) == (D("12.5"), None)


def test_a_separate_read_only_url_is_used_instead_of_the_mikro_database(db, monkeypatch, side):
    connection = mikro_connection(monkeypatch, side)
    monkeypatch.setenv(f"{CREDENTIALS}_SQL_URL", "postgresql://portal_reader@127.0.0.1:1/mikro")

    with pytest.raises(SqlCheckFailed, match="stock statement failed"):
        run_stock_check(connection, ["ÇAY-001"])
    assert SyncRun.objects.filter(connection=connection, status=SyncRun.Status.FAILED).count() == 1


# --- the portal's side ----------------------------------------------------------------------------------------


def portal_stock():
    """The tea in the portal, synced: 900 in each of Mikro's two warehouses."""
    product = ProductFactory(sku="ÇAY-001")
    for code in ("1", "2"):
        StockLevelFactory(
            product=product, warehouse=WarehouseFactory(code=code), on_hand=D("900"), committed_erp=D("0")
        )
    return product


def test_live_stock_from_the_default_statement_is_stored_on_the_stock_rows(db, monkeypatch, side):
    mikro_connection(monkeypatch, side)
    product = portal_stock()

    freshness = stock_refresh([product])

    assert freshness.live and freshness.source == "sql"
    levels = {level.warehouse.code: (level.on_hand, level.committed_erp) for level in StockLevel.objects.all()}
    assert levels == {"1": (D("50"), D("7")), "2": (D("20"), D("0"))}


def test_with_the_mikro_database_down_the_synced_stock_and_risk_stand(db, monkeypatch, side):
    connection = mikro_connection(monkeypatch, side)
    product = portal_stock()
    dealer = DealerFactory(code="B-1", erp_balance=D("10"), credit_limit=D("100"))
    bind_external(connection, "customer", dealer.pk, CUSTOMER)
    side.database.available(False)
    try:
        stock = stock_refresh([product])
        risk = dealer_risk_check(dealer=dealer)
    finally:
        side.database.available(True)

    assert not stock.live and not risk.live
    assert set(StockLevel.objects.values_list("on_hand", flat=True)) == {D("900")}
    dealer.refresh_from_db()
    assert dealer.erp_balance == D("10")
    failed = SyncRun.objects.filter(connection=connection, status=SyncRun.Status.FAILED, mode=SyncRun.Mode.LIVE)
    assert failed.exists()
    assert Warehouse.objects.count() == 2
