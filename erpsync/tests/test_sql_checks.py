"""Read-only SQL checks against real database servers: the local PostgreSQL and MariaDB, each with a scratch
database of Logo-shaped tables (``sql_erp``), dropped afterwards. SQL Server is not available here: only the
statements sent to it are checked."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from decimal import Decimal as D

import pymysql
import pytest
from django.core.cache import cache
from django.db import connection as django_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from b2bportal.tests.sqlite_run import sqlite_database, sqlite_script
from catalog.availability import availability_for, stock_refresh
from catalog.models import StockLevel
from catalog.multi_add import field_name
from catalog.tests.factories import PriceListItemFactory, ProductFactory, StockLevelFactory, WarehouseFactory
from dealers.credit import credit_position
from dealers.models import Dealer
from dealers.tests.factories import DealerAddressFactory, DealerFactory, DealerUserFactory
from erpsync.adapters.base import Capability, ErpAdapter, ErpStock, RetryableError
from erpsync.binders import bind as bind_external
from erpsync.forms import ErpConnectionForm
from erpsync.health import connection_health
from erpsync.live import dealer_risk_check, stock_store
from erpsync.models import ErpConnection, SyncRun, ValueMap
from erpsync.sqlchecks import StatementRefused, bind, drivers, validate_statement
from erpsync.sqlchecks.checks import SqlCheckFailed, SqlCheckOff, run_risk_check, run_stock_check
from erpsync.sqlchecks.drivers import session_statements
from erpsync.tests import sql_erp
from orders.models import CartLine, Order
from orders.status import OrderStatus
from orders.tests.factories import OrderFactory, OrderLineFactory, buyer_of, make_shop

CREDENTIALS = "ERPSQL"


@pytest.fixture(autouse=True)
def memory_adapter(settings):
    """Connections here use the in-memory adapter: the SQL checks do not depend on the adapter."""
    settings.ERPSYNC_ADAPTERS = {**settings.ERPSYNC_ADAPTERS, "memory": "erpsync.tests.memory.MemoryAdapter"}


def mariadb_available() -> bool:
    try:
        pymysql.connect(**sql_erp.MARIADB, connect_timeout=2).close()
    except pymysql.Error:
        return False
    return True


def seed(conn) -> None:
    """Three items in warehouses 0 and 1 (and Logo's all-warehouses total row, -1, which must not count), two
    customers with totals and open orders."""
    sql_erp.insert(conn, "LG_001_ITEMS", [(1, "ÇİVİ-01", "Çivi 5 cm", 0, 1), (2, "VİDA-02", "Vida", 0, 1),
                                          (3, "SOMUN-03", "Somun", 0, 1)])  # fmt: skip
    sql_erp.insert(
        conn,
        "LG_001_01_STINVTOT",
        [
            (1, 0, "2026-12-01", 40.0, 5.0, 2.0),
            (1, 0, "2026-12-02", -10.0, 0.0, 0.0),  # a day's movement: on hand is the sum over days
            (1, 1, "2026-12-01", 7.5, 0.0, 0.0),
            (1, -1, "2026-12-01", 37.5, 5.0, 2.0),  # Logo's total over all warehouses
            (2, 1, "2026-12-01", 3.0, 1.0, 0.0),
        ],
    )
    sql_erp.insert(conn, "LG_001_CLCARD", [(10, "120.A", "Bayi A Ticaret A.Ş.", 0, 1),
                                           (11, "120.B", "Bayi B Ltd. Şti.", 0, 1)])  # fmt: skip
    sql_erp.insert(conn, "LG_001_01_GNTOTCL", [(10, 1, 5000.0, 1250.5), (10, 2, 99.0, 0.0), (11, 1, 80000.0, 0.0)])
    sql_erp.insert(conn, "LG_001_01_ORFICHE", [(100, 10, 1, 4, 0, 300.0), (101, 10, 1, 4, 1, 999.0),
                                               (102, 10, 1, 1, 0, 50.0)])  # fmt: skip


@pytest.fixture(scope="module")
def pg_erp():
    with sql_erp.pg_database(sql_erp.scratch_name("pg")) as conn:
        seed(conn)
        yield conn, sql_erp.pg_url(sql_erp.scratch_name("pg"))


@pytest.fixture(scope="module")
def maria_erp():
    if not mariadb_available():
        pytest.skip("no MariaDB server at 127.0.0.1:3306")
    with sql_erp.mariadb_database(sql_erp.scratch_name("maria")) as conn:
        seed(conn)
        yield conn, sql_erp.mariadb_url(sql_erp.scratch_name("maria"))


@pytest.fixture(params=["postgresql", "mysql"])
def erp_db(request):
    """(dialect, raw connection to the scratch database, its URL), for each server."""
    conn, url = request.getfixturevalue("pg_erp" if request.param == "postgresql" else "maria_erp")
    return request.param, conn, url


def sql_connection(monkeypatch, dialect, url, **settings) -> ErpConnection:
    monkeypatch.setenv(f"{CREDENTIALS}_SQL_URL", url)
    options = {
        "sql_dialect": dialect,
        "sql_stock_statement": sql_erp.STOCK_SQL,
        "sql_risk_statement": sql_erp.RISK_SQL,
        "live_stock_source": "sql",
        "live_risk_source": "sql",
        **settings,
    }
    return ErpConnection.objects.create(
        code="sql", name="ERP database", adapter="memory", is_default=True, credentials_ref=CREDENTIALS,
        settings=options,
    )  # fmt: skip


def by_item(answer) -> dict:
    return {(f.item_code, f.warehouse_code): (f.quantity, f.reserved, f.on_order) for f in answer.figures}


# --- stock and risk on both servers -------------------------------------------------------------------------


def test_the_stock_statement_answers_per_item_and_warehouse(db, monkeypatch, erp_db):
    dialect, _conn, url = erp_db
    connection = sql_connection(monkeypatch, dialect, url)
    answer = run_stock_check(connection, ["ÇİVİ-01", "VİDA-02", "NONE-9"])
    assert by_item(answer) == {
        ("ÇİVİ-01", "0"): (D("30"), D("7"), None),  # reserved + open sales orders: committed in the ERP
        ("ÇİVİ-01", "1"): (D("7.5"), D("0"), None),
        ("VİDA-02", "1"): (D("3"), D("1"), None),
    }
    assert not answer.cached
    only_one = run_stock_check(connection, ["ÇİVİ-01"], warehouse="1")
    assert by_item(only_one) == {("ÇİVİ-01", "1"): (D("7.5"), D("0"), None)}


def test_the_risk_statement_answers_for_one_customer(db, monkeypatch, erp_db):
    dialect, _conn, url = erp_db
    connection = sql_connection(monkeypatch, dialect, url)
    answer = run_risk_check(connection, "120.A")
    assert answer.balance == D("3749.5") and answer.open_orders == D("300") and answer.currency == "TRY"
    assert answer.exposure_in_erp == D("300") and answer.credit_limit is None


def test_a_risk_statement_for_an_unknown_customer_is_a_failure_not_a_zero(db, monkeypatch, erp_db):
    dialect, _conn, url = erp_db
    connection = sql_connection(monkeypatch, dialect, url)
    with pytest.raises(SqlCheckFailed, match=r"returned 0 rows for customer 120\.NONE"):
        run_risk_check(connection, "120.NONE")


# --- time limit, database down, fallback --------------------------------------------------------------------

SLOW = {
    "postgresql": "SELECT i.CODE AS item_code, '0' AS warehouse_code, 1 AS quantity FROM LG_001_ITEMS i "
    "CROSS JOIN (SELECT pg_sleep(3)) s WHERE i.CODE IN (:codes)",
    "mysql": "SELECT i.CODE AS item_code, '0' AS warehouse_code, SLEEP(3) AS quantity FROM LG_001_ITEMS i "
    "WHERE i.CODE IN (:codes)",
}


def test_a_slow_statement_is_stopped_at_its_time_limit_and_the_synced_figures_shown(db, monkeypatch, erp_db):
    dialect, _conn, url = erp_db
    connection = sql_connection(monkeypatch, dialect, url, sql_stock_statement=SLOW[dialect], sql_timeout_ms=300)
    product = ProductFactory(sku="ÇİVİ-01")
    level = StockLevelFactory(product=product, warehouse=WarehouseFactory(code="0"), on_hand=D("12"))
    started = time.monotonic()
    freshness = stock_refresh([product])
    assert time.monotonic() - started < 2.5
    assert not freshness.live and "stock statement failed" in freshness.reason
    level.refresh_from_db()
    assert level.on_hand == D("12")  # the synced figure stands
    run = SyncRun.objects.get(connection=connection, mode=SyncRun.Mode.LIVE)
    assert run.status == SyncRun.Status.FAILED and run.entity == "stock"
    assert connection_health(connection).live_failed_24h == 1


def test_a_database_that_is_down_falls_back_visibly_and_pauses_the_checks(db, monkeypatch, staff_client):
    connection = sql_connection(monkeypatch, "postgresql", "postgresql://reader@127.0.0.1:1/erp")
    product = ProductFactory(sku="ÇİVİ-01")
    StockLevelFactory(product=product, warehouse=WarehouseFactory(code="0"), on_hand=D("12"))
    freshness = stock_refresh([product])
    assert not freshness.live and "OperationalError" in freshness.reason
    # Paused: the next page does not wait for the dead server again, and records nothing more.
    started = time.monotonic()
    again = stock_refresh([product])
    assert time.monotonic() - started < 0.5 and "paused" in again.reason
    assert SyncRun.objects.filter(connection=connection, status=SyncRun.Status.FAILED).count() == 1
    page = staff_client.get(reverse("admin:erpsync_erpconnection_health", args=[connection.pk])).content.decode()
    assert 'data-testid="live-failures"' in page and "OperationalError" in page
    assert availability_for(product).available == D("12")


def test_the_tls_option_of_a_mariadb_url_is_followed(db, monkeypatch, maria_erp):
    _conn, url = maria_erp
    connection = sql_connection(monkeypatch, "mysql", url + "?ssl=disabled", sql_pause_seconds=0)
    assert by_item(run_stock_check(connection, ["VİDA-02"]))
    # The local server has no TLS: requiring it fails, and says so, rather than reading in clear.
    monkeypatch.setenv(f"{CREDENTIALS}_SQL_URL", url + "?ssl=required")
    with pytest.raises(SqlCheckFailed, match=r"SSL|TLS|ssl"):
        run_stock_check(connection, ["ÇİVİ-01"])
    monkeypatch.setenv(f"{CREDENTIALS}_SQL_URL", url + "?ssl=sometimes")
    with pytest.raises(SqlCheckFailed, match="ssl='sometimes' is not one of required, disabled, preferred"):
        run_stock_check(connection, ["SOMUN-03"])


def test_without_a_database_url_the_checks_are_off_and_nothing_is_recorded(db, monkeypatch):
    connection = sql_connection(monkeypatch, "postgresql", "")
    with pytest.raises(SqlCheckOff, match="ERPSQL_SQL_URL"):
        run_stock_check(connection, ["X"])
    assert not SyncRun.objects.exists()


# --- statements refused at save -----------------------------------------------------------------------------


def connection_form(settings: dict) -> ErpConnectionForm:
    data = {"code": "sql", "name": "ERP", "adapter": "memory", "settings": json.dumps(settings),
            "credentials_ref": CREDENTIALS, "is_active": "on"}  # fmt: skip
    return ErpConnectionForm(data=data)


@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("DELETE FROM LG_001_ITEMS WHERE CODE IN (:codes)", "must be a SELECT (or WITH … SELECT), not DELETE"),
        (sql_erp.STOCK_SQL + "; DROP TABLE LG_001_ITEMS", "must be one statement, found 2"),
        (
            "SELECT CODE AS item_code, '0' AS warehouse_code, 1 AS quantity INTO copy FROM LG_001_ITEMS "
            "WHERE CODE IN (:codes)",
            "must not write its result anywhere (SELECT … INTO)",
        ),
        (sql_erp.STOCK_SQL.replace(":warehouse", ":depot"), "has unknown parameters :depot"),
        (
            "SELECT CODE AS item_code, 1 AS quantity FROM LG_001_ITEMS WHERE CODE IN (:codes)",
            "must return the column warehouse_code",
        ),
        (
            "SELECT CODE AS item_code, '0' AS warehouse_code, 1 AS quantity FROM LG_001_ITEMS",
            "must use the parameter :codes",
        ),
        (sql_erp.STOCK_SQL + " FOR UPDATE", "must not lock rows"),
    ],
    ids=["dml", "two-statements", "select-into", "unknown-parameter", "missing-column", "no-codes", "locking"],
)
def test_a_bad_statement_is_refused_at_save_with_a_clear_message(db, statement, message):
    form = connection_form({"sql_dialect": "postgresql", "sql_stock_statement": statement,
                            "live_stock_source": "sql"})  # fmt: skip
    assert not form.is_valid()
    errors = " ".join(form.errors["settings"])
    assert "SQL checks: 'sql_stock_statement'" in errors and message in errors


def test_good_statements_are_saved(db):
    form = connection_form({"sql_dialect": "mysql", "sql_stock_statement": sql_erp.STOCK_SQL,
                            "sql_risk_statement": sql_erp.RISK_SQL, "live_stock_source": "sql",
                            "live_risk_source": "sql"})  # fmt: skip
    assert form.is_valid(), form.errors
    assert form.save().settings["live_risk_source"] == "sql"


def test_a_live_source_without_its_statement_is_refused(db):
    form = connection_form({"sql_dialect": "postgresql", "live_risk_source": "sql"})
    assert not form.is_valid()
    assert "'sql_risk_statement' is required when live_risk_source is 'sql'." in " ".join(form.errors["settings"])


def test_a_missing_column_behind_a_star_is_named_on_the_first_run(db, monkeypatch, erp_db):
    dialect, _conn, url = erp_db
    statement = "SELECT * FROM LG_001_ITEMS WHERE CODE IN (:codes)"
    assert connection_form({"sql_dialect": dialect, "sql_stock_statement": statement}).is_valid()
    connection = sql_connection(monkeypatch, dialect, url, sql_stock_statement=statement)
    with pytest.raises(SqlCheckFailed, match="returned no column item_code, warehouse_code, quantity"):
        run_stock_check(connection, ["ÇİVİ-01"])
    assert "item_code" in SyncRun.objects.get(connection=connection).error


# --- values are data ----------------------------------------------------------------------------------------


def test_an_injection_attempt_is_bound_as_data(db, monkeypatch, erp_db):
    dialect, conn, url = erp_db
    connection = sql_connection(monkeypatch, dialect, url)
    hostile = "x'; DROP TABLE LG_001_ITEMS; --"
    answer = run_stock_check(connection, [hostile, "VİDA-02"])
    assert by_item(answer) == {("VİDA-02", "1"): (D("3"), D("1"), None)}
    with pytest.raises(SqlCheckFailed, match="returned 0 rows"):
        run_risk_check(connection, "x' OR '1'='1")
    assert sql_erp.execute(conn, "SELECT COUNT(*) FROM LG_001_ITEMS")[0][0] == 3


# --- cache --------------------------------------------------------------------------------------------------


def test_a_second_question_within_seconds_is_answered_from_the_cache(db, monkeypatch, erp_db):
    dialect, conn, url = erp_db
    connection = sql_connection(monkeypatch, dialect, url, sql_cache_seconds=30)
    first = run_stock_check(connection, ["VİDA-02"])
    sql_erp.execute(conn, "UPDATE LG_001_01_STINVTOT SET ONHAND = 99 WHERE STOCKREF = 2")
    try:
        second = run_stock_check(connection, ["VİDA-02"])
        assert second.cached and by_item(second) == by_item(first)  # the database was not asked
        cache.clear()
        third = run_stock_check(connection, ["VİDA-02"])
        assert not third.cached and by_item(third)[("VİDA-02", "1")][0] == D("99")
    finally:
        sql_erp.execute(conn, "UPDATE LG_001_01_STINVTOT SET ONHAND = 3 WHERE STOCKREF = 2")


def test_without_a_cache_every_question_reaches_the_database(db, monkeypatch, erp_db):
    dialect, conn, url = erp_db
    connection = sql_connection(monkeypatch, dialect, url, sql_cache_seconds=0)
    run_stock_check(connection, ["VİDA-02"])
    sql_erp.execute(conn, "UPDATE LG_001_01_STINVTOT SET ONHAND = 99 WHERE STOCKREF = 2")
    try:
        again = run_stock_check(connection, ["VİDA-02"])
        assert not again.cached and by_item(again)[("VİDA-02", "1")][0] == D("99")
    finally:
        sql_erp.execute(conn, "UPDATE LG_001_01_STINVTOT SET ONHAND = 3 WHERE STOCKREF = 2")


# --- the portal's pages -------------------------------------------------------------------------------------


def test_add_to_cart_decides_on_live_stock_and_says_so(db, monkeypatch, client, pg_erp):
    _conn, url = pg_erp
    sql_connection(monkeypatch, "postgresql", url)
    dealer, product = make_shop(stock="100")
    product.sku = "VİDA-02"
    product.save()
    level = StockLevel.objects.get(product=product)
    level.warehouse.code = "1"
    level.warehouse.save()
    client.force_login(buyer_of(dealer).user)
    response = client.post(reverse("orders:cart_add"), {"product": product.pk, "quantity": "5"}, follow=True)
    text = " ".join(str(m) for m in response.context["messages"])
    # Synced: 100 on hand. Live: 3 on hand, 1 committed in the ERP → 2 available.
    assert "Only 2" in text and "Stock checked live in the ERP" in text
    level.refresh_from_db()
    assert (level.on_hand, level.committed_erp) == (D("3"), D("1"))


def test_add_to_cart_with_the_erp_database_down_uses_the_synced_stock_and_says_so(db, monkeypatch, client):
    sql_connection(monkeypatch, "postgresql", "postgresql://reader@127.0.0.1:1/erp")
    dealer, product = make_shop(stock="4")
    client.force_login(buyer_of(dealer).user)
    response = client.post(reverse("orders:cart_add"), {"product": product.pk, "quantity": "5"}, follow=True)
    text = " ".join(str(m) for m in response.context["messages"])
    assert "Only 4" in text and "Synced stock figures" in text and "live" not in text


def test_the_checkout_page_says_which_stock_figures_it_shows(db, monkeypatch, client, pg_erp):
    _conn, url = pg_erp
    connection = sql_connection(monkeypatch, "postgresql", url)
    dealer, product = make_shop(stock="100")
    client.force_login(buyer_of(dealer).user)
    client.post(reverse("orders:cart_add"), {"product": product.pk, "quantity": "1"})
    assert 'data-testid="stock-basis" data-live="1"' in client.get(reverse("orders:checkout")).content.decode()
    connection.settings = {**connection.settings, "live_stock_source": "off"}
    connection.save()
    assert 'data-testid="stock-basis"' not in client.get(reverse("orders:checkout")).content.decode()


def test_the_account_page_shows_the_signed_in_dealers_own_live_risk(db, monkeypatch, client, erp_db):
    dialect, _conn, url = erp_db
    connection = sql_connection(monkeypatch, dialect, url)
    mine = DealerFactory(code="PORTAL-A", erp_balance=D("1.00"), credit_limit=D("10000"))
    other = DealerFactory(code="PORTAL-B", erp_balance=D("2.00"))
    bind_external(connection, "customer", mine.pk, "120.A")
    bind_external(connection, "customer", other.pk, "120.B")
    client.force_login(DealerUserFactory(dealer=mine).user)
    page = client.get(reverse("account:summary")).content.decode()
    assert 'data-testid="risk-basis" data-live="1"' in page
    mine.refresh_from_db()
    other.refresh_from_db()
    assert (mine.erp_balance, mine.erp_open_orders) == (D("3749.50"), D("300.00"))
    assert other.erp_balance == D("2.00")  # only ever the signed-in dealer's own code is asked


def test_the_account_page_with_the_erp_database_down_shows_the_synced_figures(db, monkeypatch, client):
    connection = sql_connection(monkeypatch, "postgresql", "postgresql://reader@127.0.0.1:1/erp")
    dealer = DealerFactory(code="120.A", erp_balance=D("15.00"))
    client.force_login(DealerUserFactory(dealer=dealer).user)
    page = client.get(reverse("account:summary")).content.decode()
    assert 'data-testid="risk-basis" data-live="0"' in page
    dealer.refresh_from_db()
    assert dealer.erp_balance == D("15.00")
    assert SyncRun.objects.get(connection=connection).entity == "balance"


def test_placing_on_account_reads_the_live_risk_first(db, monkeypatch, client, pg_erp):
    _conn, url = pg_erp
    sql_connection(monkeypatch, "postgresql", url)
    # Synced: no balance, a limit of 3,000. Live: 3,749.50 owed → over the limit, the order is held or refused.
    dealer, product = make_shop(stock="100", credit_limit="3000", code="120.A")
    address = DealerAddressFactory(dealer=dealer, is_default=True)
    client.force_login(buyer_of(dealer).user)
    client.post(reverse("orders:cart_add"), {"product": product.pk, "quantity": "1"})
    form = client.get(reverse("orders:checkout")).context["form"]
    data = {
        "idempotency_key": form["idempotency_key"].value(),
        "signature": form["signature"].value(),
        "payment_method": "on_account",
        "delivery_address": address.pk,
    }
    client.post(reverse("orders:checkout"), data)
    dealer.refresh_from_db()
    assert dealer.erp_balance == D("3749.50") and dealer.erp_balance_as_of is not None
    order = Order.objects.get(dealer=dealer)  # the credit limit rule holds by default: placed, for staff to decide
    assert order.status == OrderStatus.ON_HOLD
    credit = next(c for c in order.placement_checks if c["rule"] == "credit_limit")
    assert not credit["passed"] and credit["details"]["erp_balance"] == "3749.50"


# --- the adapter's live stock when the statement fails ------------------------------------------------------


class ApiStockAdapter(ErpAdapter):
    key = "apistock"
    capabilities = frozenset({Capability.LIVE_STOCK})
    fail = False

    def live_stock(self, product_codes):
        if self.fail:
            raise RetryableError("The ERP did not answer in time.")
        return [ErpStock(code, "0", D("8")) for code in product_codes]


@pytest.fixture
def api_adapter(settings):
    settings.ERPSYNC_ADAPTERS = {**settings.ERPSYNC_ADAPTERS, "apistock": f"{__name__}.ApiStockAdapter"}
    ApiStockAdapter.fail = False


def test_a_failing_statement_falls_back_to_the_adapters_live_stock(db, monkeypatch, api_adapter):
    connection = sql_connection(monkeypatch, "postgresql", "postgresql://reader@127.0.0.1:1/erp")
    ErpConnection.objects.filter(pk=connection.pk).update(adapter="apistock")
    product = ProductFactory(sku="ITEM-1")
    level = StockLevelFactory(product=product, warehouse=WarehouseFactory(code="0"), on_hand=D("1"))
    freshness = stock_refresh([product])
    assert freshness.live and freshness.source == "api"
    level.refresh_from_db()
    assert level.on_hand == D("8")


def test_when_every_source_fails_the_synced_stock_stands(db, monkeypatch, api_adapter):
    connection = sql_connection(monkeypatch, "postgresql", "postgresql://reader@127.0.0.1:1/erp")
    ErpConnection.objects.filter(pk=connection.pk).update(adapter="apistock")
    ApiStockAdapter.fail = True
    product = ProductFactory(sku="ITEM-1")
    level = StockLevelFactory(product=product, warehouse=WarehouseFactory(code="0"), on_hand=D("1"))
    freshness = stock_refresh([product])
    assert not freshness.live and "did not answer" in freshness.reason
    level.refresh_from_db()
    assert level.on_hand == D("1")


# --- SQL Server: the statements sent, not the server --------------------------------------------------------


def test_sql_server_is_sent_its_session_settings_and_a_bound_logo_statement():
    assert session_statements("mssql", 1500) == ["SET TRANSACTION ISOLATION LEVEL READ COMMITTED",
                                                 "SET LOCK_TIMEOUT 1500"]  # fmt: skip
    statement = (
        "SELECT TOP 1000 i.CODE AS item_code, CAST(t.INVENNO AS varchar(5)) AS warehouse_code, "
        "SUM(t.ONHAND) AS quantity FROM LG_001_01_GNTOTST t WITH (NOLOCK) "
        "JOIN LG_001_ITEMS i WITH (NOLOCK) ON i.LOGICALREF = t.STOCKREF "
        "WHERE i.CODE IN (:codes) AND i.NAME NOT LIKE '%[İ]%' GROUP BY i.CODE, t.INVENNO"
    )
    assert validate_statement(statement, "stock", "mssql") == ["codes"]
    text, args = bind(statement, "mssql", {"codes": ["A", "B'C"]})
    assert "i.CODE IN (%s, %s)" in text and "LIKE '%%[İ]%%'" in text and args == ["A", "B'C"]
    with pytest.raises(StatementRefused, match="must not take locks"):
        validate_statement(statement.replace("NOLOCK", "UPDLOCK"), "stock", "mssql")


# --- storing live stock ---------------------------------------------------------------------------------------


def test_live_stock_is_stored_by_the_rules_of_the_docs(db, monkeypatch):
    connection = sql_connection(monkeypatch, "postgresql", "")
    ValueMap.objects.create(connection=connection, kind=ValueMap.Kind.WAREHOUSE, external_value="01", local_value="MRK")
    central, branch, quarantine = (WarehouseFactory(code=code) for code in ("MRK", "SUBE", "KRNT"))
    nail, screw = ProductFactory(sku="ÇİVİ-01"), ProductFactory(sku="VİDA-02")
    nail_central = StockLevelFactory(product=nail, warehouse=central, on_hand=D("50"))
    nail_branch = StockLevelFactory(product=nail, warehouse=branch, on_hand=D("9"))
    nail_quarantine = StockLevelFactory(product=nail, warehouse=quarantine, on_hand=D("4"))
    later = timezone.now() + timedelta(minutes=5)
    screw_central = StockLevelFactory(product=screw, warehouse=central, on_hand=D("7"), as_of=later)
    records = [
        ErpStock("ÇİVİ-01", "01", D("12"), D("2")),  # mapped: 01 → MRK
        ErpStock("ÇİVİ-01", "01", D("3")),  # a second row of the same warehouse adds up
        ErpStock("VİDA-02", "01", D("-4")),  # negative: stored as zero, but the sync's later figure stands
        ErpStock("VİDA-02", "SUBE", D("6")),  # no row yet: created
        ErpStock("VİDA-02", "ELSEWHERE", D("100")),  # a warehouse the portal does not have
    ]
    stock_store(connection, {"ÇİVİ-01": nail, "VİDA-02": screw}, records, timezone.now())
    for level in (nail_central, nail_branch, nail_quarantine, screw_central):
        level.refresh_from_db()
    assert (nail_central.on_hand, nail_central.committed_erp) == (D("15"), D("2"))
    assert nail_branch.on_hand == 0  # SUBE is named in the answer, the nail has no row there: none there
    assert nail_quarantine.on_hand == D("4")  # KRNT is not in the answer: the synced figure stands
    assert screw_central.on_hand == D("7")  # stored later by the sync
    assert StockLevel.objects.get(product=screw, warehouse=branch).on_hand == D("6")


def test_an_answer_in_another_currency_leaves_the_synced_risk(db, monkeypatch, client, pg_erp):
    _conn, url = pg_erp
    connection = sql_connection(monkeypatch, "postgresql", url,
                                sql_risk_statement=sql_erp.RISK_SQL.replace("'TRY'", "'USD'"))  # fmt: skip
    dealer = DealerFactory(code="120.A", erp_balance=D("15.00"))
    freshness = dealer_risk_check(dealer=dealer)
    assert not freshness.live and "Answered in USD" in freshness.reason
    dealer.refresh_from_db()
    assert dealer.erp_balance == D("15.00")
    connection.settings = {**connection.settings, "sql_risk_statement": sql_erp.RISK_SQL}
    connection.save()
    dealer = Dealer.objects.get(pk=dealer.pk)
    assert dealer_risk_check(dealer=dealer).live and dealer.erp_balance == D("3749.50")


def test_the_refresh_button_asks_the_risk_statement(db, monkeypatch, client, pg_erp):
    _conn, url = pg_erp
    connection = sql_connection(monkeypatch, "postgresql", url)
    dealer = DealerFactory(code="120.A", erp_balance=D("15.00"))
    client.force_login(DealerUserFactory(dealer=dealer).user)
    response = client.post(reverse("account:balance_refresh"), follow=True)
    assert "Balance refreshed from the ERP." in response.content.decode()
    dealer.refresh_from_db()
    assert dealer.erp_balance == D("3749.50")
    run = SyncRun.objects.get(connection=connection, mode=SyncRun.Mode.LIVE)
    assert run.status == SyncRun.Status.SUCCEEDED


def test_the_refresh_button_with_the_erp_database_down_keeps_the_figures(db, monkeypatch, client):
    sql_connection(monkeypatch, "postgresql", "postgresql://reader@127.0.0.1:1/erp")
    dealer = DealerFactory(code="120.A", erp_balance=D("15.00"))
    client.force_login(DealerUserFactory(dealer=dealer).user)
    response = client.post(reverse("account:balance_refresh"), follow=True)
    assert "The ERP did not answer" in response.content.decode()
    dealer.refresh_from_db()
    assert dealer.erp_balance == D("15.00")


def test_a_credit_limit_from_the_risk_statement_replaces_the_synced_one(db, monkeypatch, pg_erp):
    _conn, url = pg_erp
    with_limit = sql_erp.RISK_SQL.replace("'TRY' AS currency", "'TRY' AS currency, 5000 AS credit_limit")
    sql_connection(monkeypatch, "postgresql", url, sql_risk_statement=with_limit)
    dealer = DealerFactory(code="120.A", credit_limit=D("100000"))
    assert dealer_risk_check(dealer=dealer).live
    assert dealer.credit_limit == D("5000.00") and dealer.credit_limit_as_of is not None
    assert credit_position(dealer).available == D("950.50")  # 5,000 − (3,749.50 + 300 open orders)


def test_live_stock_and_risk_are_stored_on_the_sqlite_try_out_database_too(tmp_path, monkeypatch, pg_erp):
    """``make run`` keeps the portal in SQLite: the checks there are off until a connection is given statements
    and a database URL; given them, the live figures are stored the same way."""
    _conn, url = pg_erp
    monkeypatch.setenv(f"{CREDENTIALS}_SQL_URL", url)
    database = sqlite_database(tmp_path)
    result = sqlite_script(
        database,
        f"""
        import json
        from decimal import Decimal as D
        from catalog.availability import availability_for, stock_refresh
        from catalog.tests.factories import ProductFactory, StockLevelFactory, WarehouseFactory
        from dealers.tests.factories import DealerFactory
        from erpsync.live import dealer_risk_check
        from erpsync.models import ErpConnection
        from erpsync.tests import sql_erp

        product = ProductFactory(sku="VİDA-02")
        StockLevelFactory(product=product, warehouse=WarehouseFactory(code="1"), on_hand=D("100"))
        dealer = DealerFactory(code="120.A")
        off = stock_refresh([product])
        ErpConnection.objects.create(code="sql", name="ERP", adapter="file", is_default=True,
            credentials_ref="{CREDENTIALS}", settings={{"sql_dialect": "postgresql",
            "sql_stock_statement": sql_erp.STOCK_SQL, "sql_risk_statement": sql_erp.RISK_SQL,
            "live_stock_source": "sql", "live_risk_source": "sql"}})
        live = stock_refresh([product])
        risk = dealer_risk_check(dealer=dealer)
        print(json.dumps({{"off": off.live, "live": live.live, "available": str(availability_for(product).available),
                          "risk": risk.live, "balance": str(dealer.erp_balance)}}))
        """,
    )
    assert result == {"off": False, "live": True, "available": "2.000", "risk": True, "balance": "3749.50"}


def test_a_long_list_of_codes_is_asked_in_parts(db, monkeypatch, pg_erp):
    _conn, url = pg_erp
    connection = sql_connection(monkeypatch, "postgresql", url)
    monkeypatch.setattr("erpsync.sqlchecks.checks.MAX_CODES", 1)
    answer = run_stock_check(connection, ["ÇİVİ-01", "VİDA-02", "SOMUN-03"])
    assert set(by_item(answer)) == {("ÇİVİ-01", "0"), ("ÇİVİ-01", "1"), ("VİDA-02", "1")}


# --- every add-to-cart path -----------------------------------------------------------------------------------


def two_products(stock: str):
    """Screws (VİDA-02: live 3 on hand, 1 committed) and nails (ÇİVİ-01: live 7.5) in warehouse "1", each synced
    at ``stock`` an hour ago; the dealer ordered both before."""
    dealer, screws = make_shop(stock=stock)
    screws.sku = "VİDA-02"
    screws.save()
    level = StockLevel.objects.get(product=screws)
    level.warehouse.code = "1"
    level.warehouse.save()
    nails = ProductFactory(sku="ÇİVİ-01", min_order_qty=D("1"), order_multiple=D("1"), vat_rate=D("20"))
    PriceListItemFactory(price_list=dealer.price_list, product=nails, price=D("100"))
    StockLevelFactory(product=nails, warehouse=level.warehouse, on_hand=D(stock))
    StockLevel.objects.update(as_of=timezone.now() - timedelta(hours=1))  # the last stock import
    order = OrderFactory(dealer=dealer, status=OrderStatus.APPROVED, placed_at=timezone.now() - timedelta(days=3))
    OrderLineFactory(order=order, product=screws, quantity=D("5"), unit_price_net=D("90"))
    OrderLineFactory(order=order, product=nails, quantity=D("1"), unit_price_net=D("90"))
    return dealer, screws, nails


def add_by(path: str, client, screws, nails):
    """Add 5 screws and 1 nail by one of the many-line paths; the messages the dealer then sees."""
    if path == "add_many":
        data = {field_name(screws.pk): "5", field_name(nails.pk): "1"}
        response = client.post(reverse("orders:cart_add_many"), data, follow=True)
    elif path == "quick_order":
        data = {"text": "VİDA-02 5\nÇİVİ-01 1", "confirm": "1"}
        response = client.post(reverse("orders:quick_order"), data, follow=True)
    else:
        data = {"product": [screws.pk, nails.pk]}
        response = client.post(reverse("orders:previously_ordered_add"), data, follow=True)
    assert response.status_code == 200
    return " ".join(str(m) for m in response.context["messages"])


def counting_runs(monkeypatch) -> list:
    """The statements sent to the ERP's database (one per check)."""
    calls, run = [], drivers.run

    def counted(*args, **kwargs):
        calls.append(args[1])
        return run(*args, **kwargs)

    monkeypatch.setattr(drivers, "run", counted)
    return calls


ADD_PATHS = ["add_many", "quick_order", "previously_ordered"]


@pytest.mark.parametrize("path", ADD_PATHS)
def test_every_many_line_add_asks_live_stock_once_and_says_so(db, monkeypatch, client, pg_erp, path):
    _conn, url = pg_erp
    sql_connection(monkeypatch, "postgresql", url)
    dealer, screws, nails = two_products("100")
    client.force_login(buyer_of(dealer).user)
    runs = counting_runs(monkeypatch)

    text = add_by(path, client, screws, nails)

    # Synced: 100 of each. Live: 3 screws on hand, 1 committed in the ERP → 2 available; 7.5 nails.
    assert "VİDA-02: Only 2" in text and "Stock checked live in the ERP" in text
    assert "ÇİVİ-01" not in text
    assert len(runs) == 1  # one check for every code of the request
    stored = {level.product.sku: (level.on_hand, level.committed_erp) for level in StockLevel.objects.all()}
    assert stored == {"VİDA-02": (D("3"), D("1")), "ÇİVİ-01": (D("7.5"), D("0"))}
    assert CartLine.objects.filter(cart__dealer=dealer).count() == 2


@pytest.mark.parametrize("path", ADD_PATHS)
def test_every_many_line_add_with_the_erp_database_down_uses_the_synced_stock_and_says_so(
    db, monkeypatch, client, path
):
    connection = sql_connection(monkeypatch, "postgresql", "postgresql://reader@127.0.0.1:1/erp")
    dealer, screws, nails = two_products("4")
    client.force_login(buyer_of(dealer).user)

    text = add_by(path, client, screws, nails)

    assert "VİDA-02: Only 4" in text and "Synced stock figures as of" in text and "checked live" not in text
    assert SyncRun.objects.filter(connection=connection, status=SyncRun.Status.FAILED).count() == 1
    assert set(StockLevel.objects.values_list("on_hand", flat=True)) == {D("4")}


@pytest.mark.parametrize("path", ADD_PATHS)
def test_the_add_paths_ask_nothing_more_while_no_connection_offers_live_stock(db, monkeypatch, client, pg_erp, path):
    _conn, url = pg_erp
    connection = sql_connection(monkeypatch, "postgresql", url, live_stock_source="off")
    dealer, screws, nails = two_products("100")
    client.force_login(buyer_of(dealer).user)
    cache.clear()
    add_by(path, client, screws, nails)  # the first question reads the connection and remembers the answer
    runs = counting_runs(monkeypatch)

    with CaptureQueriesContext(django_connection) as captured:
        add_by(path, client, screws, nails)

    assert not [q for q in captured.captured_queries if "erpsync_erpconnection" in q["sql"]]
    assert runs == []
    connection.settings = {**connection.settings, "live_stock_source": "sql"}
    connection.save()  # the next add asks again, and live
    with CaptureQueriesContext(django_connection) as captured:
        text = add_by(path, client, screws, nails)
    assert [q for q in captured.captured_queries if "erpsync_erpconnection" in q["sql"]]
    assert len(runs) == 1 and "Stock checked live in the ERP" in text
