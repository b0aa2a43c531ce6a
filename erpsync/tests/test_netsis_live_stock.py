"""Live stock from Netsis: one ``Company/BringBalance`` per item (NetOpenX REST reads one item's warehouse balances
per request), several in flight at once; an error fails the check and the page keeps the synced figures."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from catalog.availability import stock_refresh
from catalog.tests.factories import ProductFactory, StockLevelFactory, WarehouseFactory
from erpsync.adapters.base import RetryableError
from erpsync.models import ErpConnection
from erpsync.simulators.netsis import NetsisSimulator
from erpsync.tests.netsis_side import NetsisErpSide, netsis_adapter

pytestmark = pytest.mark.django_db
BALANCE = ("POST", "Company/BringBalance")
CODES = [f"VİDA-{n:02d}" for n in range(12)]


@pytest.fixture
def sim():
    with NetsisSimulator() as simulator:
        NetsisErpSide(simulator)
        with simulator.company.lock:
            for n, code in enumerate(CODES):
                simulator.company.add_item(code, f"Vida {n}", "ADET")
                simulator.company.set_stock(code, 1, 10 + n, reserved=n % 3)
                if n % 2:
                    simulator.company.set_stock(code, 3, n)
        yield simulator


def expected() -> set[tuple[str, str, D, D]]:
    found = set()
    for n, code in enumerate(CODES):
        found.add((code, "1", D(10 + n), D(n % 3)))
        if n % 2:
            found.add((code, "3", D(n), D(0)))
    return found


def figures(records) -> set[tuple[str, str, D, D]]:
    return {(r.product_code, r.warehouse_code, r.on_hand, r.committed) for r in records}


def balance_requests(sim) -> int:
    return sum(1 for request in sim.stats.requests if request == BALANCE)


def test_each_item_is_read_once_with_several_requests_in_flight(sim):
    with netsis_adapter(sim, live_stock_concurrency=4) as adapter:
        adapter.live_stock(CODES[:1])  # the token
        sim.stats.reset()
        sim.faults.latency("Company/BringBalance", seconds=0.2, count=None)
        records = adapter.live_stock([*CODES, CODES[0], ""])
    assert figures(records) == expected()
    assert balance_requests(sim) == len(CODES) and sim.stats.logins == 0
    assert 2 <= sim.stats.max_concurrent <= 4


def test_with_concurrency_1_the_items_are_read_one_after_another(sim):
    with netsis_adapter(sim, live_stock_concurrency=1) as adapter:
        sim.faults.latency("Company/BringBalance", seconds=0.05, count=None)
        records = adapter.live_stock(CODES)
    assert figures(records) == expected()
    assert balance_requests(sim) == len(CODES) and sim.stats.max_concurrent == 1


def test_an_error_on_one_item_fails_the_whole_check(sim):
    with netsis_adapter(sim, live_stock_concurrency=4) as adapter:
        adapter.live_stock(CODES[:1])
        sim.faults.error("Company/BringBalance", status=503, count=1)
        with pytest.raises(RetryableError, match="503"):
            adapter.live_stock(CODES)


def test_a_token_refused_mid_check_is_renewed_once_and_every_item_read(sim):
    with netsis_adapter(sim, live_stock_concurrency=4) as adapter:
        adapter.live_stock(CODES[:1])
        sim.stats.reset()
        sim.faults.expire_session("Company/BringBalance", count=1)
        records = adapter.live_stock(CODES)
    assert figures(records) == expected()
    assert sim.stats.logins == 1


def page_connection(sim, monkeypatch) -> ErpConnection:
    for name, value in {"USERNAME": sim.username, "PASSWORD": sim.password, "DB_USER": sim.db_user,
                        "DB_PASSWORD": sim.db_password}.items():  # fmt: skip
        monkeypatch.setenv(f"NETSIS_LIVE_{name}", value)
    return ErpConnection.objects.create(
        code="netsis", name="Netsis", adapter="netsis", is_default=True, credentials_ref="NETSIS_LIVE",
        settings={"base_url": sim.root_url, "db_name": sim.db_name, "branch_code": sim.branch, "read_retries": 0,
                  "timeout_seconds": 5, "live_stock_source": "api"},
    )  # fmt: skip


def test_a_page_stores_the_live_figures_of_its_items(sim, monkeypatch):
    page_connection(sim, monkeypatch)
    products = [ProductFactory(sku=code) for code in CODES[:3]]
    level = StockLevelFactory(product=products[0], warehouse=WarehouseFactory(code="1"), on_hand=D("99"))
    freshness = stock_refresh(products)
    assert freshness.live and freshness.source == "api"
    level.refresh_from_db()
    assert (level.on_hand, level.committed_erp) == (D("10"), D("0"))


def test_a_failing_item_leaves_the_page_on_the_synced_figures_without_an_error(sim, monkeypatch):
    page_connection(sim, monkeypatch)
    products = [ProductFactory(sku=code) for code in CODES[:6]]
    level = StockLevelFactory(product=products[0], warehouse=WarehouseFactory(code="1"), on_hand=D("99"))
    sim.faults.error("Company/BringBalance", status=503, count=1)
    freshness = stock_refresh(products)
    assert not freshness.live and "503" in freshness.reason
    level.refresh_from_db()
    assert level.on_hand == D("99")
