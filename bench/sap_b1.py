"""Benchmark of the SAP Business One adapter against the Service Layer simulator, on PostgreSQL.

The ERP is ``erpsync.simulators.SapB1Simulator``: its company is built directly in Python (fixed seed, no HTTP) with
50,000 items (``--items``) in 10 warehouses, each item priced on 3 price lists (the third in USD, 80 % of the items),
and 2,000 business partners (``--customers``) with two addresses, balances, open-order balances, credit limits and a
few frozen accounts. It then serves the company over HTTP from a thread of this process, on the v2 Service Layer
(``/b1s/v2/``, OData v4, the adapter's default). Rows go out at the full width of the real ``$metadata``: a stock
row has the 65 properties of ``ItemWarehouseInfo`` and the company's UDF on it, 66 in all, as a recorded real company
sends them; an item's stock is ten such rows whether it has stock there or not. A connection ``sap_b1``
(credentials from the environment through ``credentials_ref``, as in production) reads it.

1. Import: for each entity the adapter reads — warehouse, price_list, product, stock, price, customer, balance,
   credit — in dependency order, into empty tables:

   a. the adapter's feed read to exhaustion (``adapter.read``: HTTP + turning rows into records), with every GET the
      adapter makes recorded at the simulator;
   b. the same GETs replayed with a plain ``requests`` session (log in, fetch each page, parse the JSON as the
      adapter does, with ``parse_float=Decimal``): HTTP alone — the simulator serving the page, the transfer and
      the JSON parsing;
   c. the import itself, ``sync_import`` (timed, with the SQL statements timed through Django's
      ``execute_wrapper``; the COPY streams into the staging tables are not among them).

   The simulator's own handling of the requests (its ``handle``: filtering, sorting and paging the in-memory
   collection, shaping rows) is timed in every pass and taken out of each pass first, as it varies from pass to
   pass. Then HTTP = the simulator's handling during the import + the wire ((b) without its handling: encoding,
   transfer, JSON parsing); mapping = (a) − (b); importer + database = (c) − (a) (the importer's validation,
   staging COPY, merge SQL and commit). The three add up to the import's time. They come from separate passes,
   each timed once, so the small entities' shares are noise. The simulator's handling is shown apart: a real
   Service Layer's cost is different.
2. Peak memory: every entity imported again (``full=True``; nothing changed, so the merge writes nothing) under
   ``tracemalloc``; the peak of Python allocations of the call. It counts the simulator thread's allocations while
   serving (the company was built before tracing started), not libpq's buffers nor PostgreSQL's.
3. Order export: N orders (default 500) of 5 lines placed by 50 dealer buyers through ``order_place`` (on account,
   ample credit: approved at once, so the outbox job is queued in the same transaction), then the outbox drained
   against the simulator by worker threads, each claiming one job at a time (``outbox_claim(limit=1)``, which
   enforces the connection's ``outbox_concurrency``) and running it (``outbox_run``); a thread without room waits
   for a job to finish. Three runs, each with its own N orders:

   - 1 worker, ``outbox_concurrency`` 1: one job after another (what one ``drain_outbox`` task does, whatever the
     cap: it claims up to the cap and runs them in turn);
   - ``--workers`` threads (default: the cap), ``outbox_concurrency`` = the cap (``--cap``, default 4);
   - the same threads with ``outbox_concurrency`` 1: whether the cap holds when more workers compete for it.

   Reported: orders/s (N over the wall time of the drain), p50/p95/max of ``outbox_run`` per order, the most jobs
   running at once and the most HTTP requests the simulator had in flight, requests per order. Then every order must
   exist exactly once in the company (counted by ``NumAtCard``), its job must have succeeded and the order must be
   "sent to ERP"; and no more jobs than the cap may have run at once. A duplicate, a missing order, a failed job or
   a cap exceeded fails the benchmark. ``--latency S`` delays every Service Layer request of the export by S seconds
   (e.g. 0.02), to show what the cap buys when the ERP is the slow part.

Caveat, printed with the figures: the simulator runs in this process, in threads, and competes with the adapter,
the importer and the outbox workers for the interpreter lock and the machine's cores. Without latency, parallel
workers may not help. Once the company is built its objects are frozen out of the garbage collector
(``gc.freeze()``): a real ERP's data is not in the portal's heap, and full collections walking millions of
simulator objects would land on whatever pass happens to be running.

It uses its own database, ``postgres://postgres@127.0.0.1:5432/b2bportal_bench_sap_b1`` unless
``BENCH_SAP_B1_DATABASE_URL`` says otherwise, dropped and created at every run and dropped at the end unless
``--keep``.

    make bench-sap-b1                     # starts PostgreSQL and installs the Python packages, then runs this
    .venv/bin/python bench/sap_b1.py [--items N] [--customers N] [--orders N] [--cap C] [--workers W]
                                     [--latency S] [--page-size P] [--skip-memory] [--skip-export] [--keep]
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import random
import resource
import sys
import threading
import time
import tracemalloc
import uuid
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import quote

# Run as a script: this folder is on the path.
from common import fill_cart, percentile
from database import (
    BenchError,
    SqlTimer,
    drop_database,
    ensure_database,
    machine_facts,
    migrate,
    setup_django,
    sql,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/b2bportal_bench_sap_b1"
SEED = 2026
ITEMS, CUSTOMERS, ORDERS, CAP, LINES, BUYERS = 50_000, 2_000, 500, 4, 5, 50
PAGE_SIZE = 100  # the adapter's default
CAP_CHECK_ORDERS = 100
CREDENTIALS_REF = "BENCH_SAP_B1_ERP"  # BENCH_SAP_B1_ERP_USERNAME / _PASSWORD, set for this process
USERNAME, PASSWORD = "manager", "1234"
YES, NO = "tYES", "tNO"
# Keep query values as readable as the adapter does; the cost of the request does not depend on it.
QUERY_SAFE = ",'()=:*$/"

WAREHOUSES = [
    ("01", "İstanbul Merkez Depo"),
    ("02", "Ankara Bölge Depo"),
    ("03", "İzmir Bölge Depo"),
    ("04", "Bursa Depo"),
    ("05", "Adana Depo"),
    ("06", "Antalya Depo"),
    ("07", "Konya Depo"),
    ("08", "Transit"),
    ("09", "İade Depo"),
    ("10", "Konsinye"),
]
# The warehouses most items have stock in; the others keep their (full-width) rows empty, as in a real company.
STOCKED = {"01", "02", "03", "04", "05"}
PRICE_LISTS = [(1, "Bayi Fiyatı", "TRY"), (2, "Perakende", "TRY"), (3, "İhracat", "USD")]
# SAP unit of measure → portal unit (code, name, English name, decimals); SAP VAT group → rate.
UNITS = {"Pcs": ("AD", "Adet", "Piece", 0), "Kg": ("KG", "Kilogram", "Kilogram", 3)}
VAT_GROUPS = {"S1": 20, "S2": 10, "S3": 1}
KINDS = ["Kablo", "Anahtar", "Priz", "Sigorta", "LED Ampul", "Vida", "Dübel", "Silikon", "Boya", "Eldiven"]
LINES_OF = ["Nova", "Arte", "Vega", "Prima", "Atlas", "Orion", "Zenit", "Toros"]
SIZES = ["6A", "16A", "9W", "18W", "M8", "50 mm", "2 m", "5 m", "1 kg", "25 kg"]
CITIES = [("İstanbul", "Şişli", "34394"), ("Ankara", "Çankaya", "06690"), ("İzmir", "Konak", "35250")]
# In dependency order: an entity's import finds what the ones before it created.
ENTITIES = ("warehouse", "price_list", "product", "stock", "price", "customer", "balance", "credit")


# --- Django -------------------------------------------------------------------------------------


def setup_portal(url: str) -> None:
    """Development settings on the benchmark database; e-mail kept in memory; the task queue left as it is (the
    ORM broker: order confirmations and outbox wake-ups are queued, no worker runs them here)."""
    os.environ.pop("ORDER_RULES", None)  # the default placement rules
    setup_django(url, CREDENTIALS_REF, USERNAME=USERNAME, PASSWORD=PASSWORD)
    logging.getLogger("django-q").setLevel(logging.ERROR)


# --- The ERP ------------------------------------------------------------------------------------


@dataclass
class Company:
    """What was put in the simulator's company, to check the imports against."""

    items: int = 0
    stock_rows: int = 0  # item × warehouse rows with stock or committed quantity (the adapter skips empty ones)
    prices: int = 0  # non-zero prices (a zero price means the list does not price the item)
    customers: int = 0
    buyer_codes: list[str] = field(default_factory=list)
    # Active, not batch-managed (the adapter keeps those to SAP's sales staff), priced on list 1, plenty in stock.
    order_items: list[str] = field(default_factory=list)
    seconds: float = 0.0


def build_company(sim, items: int, customers: int, buyers: int) -> Company:
    """Fill the simulator's company directly (no HTTP): warehouses, price lists, items with prices and stock per
    warehouse, business partners. The first ``buyers`` partners order in the export runs: price list 1, TRY,
    a credit limit nothing reaches, no balance."""
    from stdnum import ean
    from stdnum.tr import vkn

    started = time.perf_counter()
    rng = random.Random(SEED)  # noqa: S311 - reproducible data, not secrets
    company = sim.company
    built = Company()
    with company.lock:
        # A UDF on stock rows (a bin location), as the recorded company has one: 66 properties per row.
        company.declare_udf("ItemWarehouseInfo", "U_Konum")
        for code, name in WAREHOUSES:
            company.add_warehouse({"WarehouseCode": code, "WarehouseName": name})
        for number, name, currency in PRICE_LISTS:
            company.add_price_list({"PriceListNo": number, "PriceListName": name, "DefaultPrimeCurrency": currency})
        for n in range(1, items + 1):
            code = f"ITM{n:06d}"
            unit = "Kg" if rng.random() < 0.1 else "Pcs"
            barcode = f"869{n:09d}"
            base = round(rng.uniform(5, 5000), 2)
            prices = [
                {"PriceList": 1, "Price": base, "Currency": "TRY"},
                {"PriceList": 2, "Price": round(base * 1.35, 2), "Currency": "TRY"},
            ]
            if rng.random() < 0.8:
                prices.append({"PriceList": 3, "Price": max(0.01, round(base * 0.03, 2)), "Currency": "USD"})
            stock = []
            for warehouse, _name in WAREHOUSES:
                if warehouse not in STOCKED:
                    continue
                on_hand = 0 if rng.random() < 0.1 else rng.randint(1, 2000)
                committed = rng.randint(0, on_hand // 3) if on_hand and rng.random() < 0.2 else 0
                stock.append({"WarehouseCode": warehouse, "InStock": float(on_hand), "Committed": float(committed)})
                built.stock_rows += bool(on_hand or committed)
            active = rng.random() >= 0.01
            batch = rng.random() < 0.02
            kind = rng.choice(KINDS)
            company.add_item(
                {
                    "ItemCode": code,
                    "ItemName": f"{kind} {rng.choice(LINES_OF)} {rng.choice(SIZES)} {code[-4:]}",
                    "ForeignName": f"{kind} {n}" if rng.random() < 0.5 else None,
                    "BarCode": barcode + ean.calc_check_digit(barcode),
                    "SalesVATGroup": rng.choices(list(VAT_GROUPS), weights=(85, 12, 3))[0],
                    "InventoryUOM": unit,
                    "SalesUnit": unit,
                    "ManageBatchNumbers": YES if batch else NO,
                    "Valid": YES if active else NO,
                    "ItemPrices": prices,
                    "ItemWarehouseInfoCollection": stock,
                }
            )
            built.items += 1
            built.prices += len(prices)
            free = min(row["InStock"] - row["Committed"] for row in stock)
            if active and not batch and free >= 100:
                built.order_items.append(code)
        used: set[str] = set()
        for n in range(1, customers + 1):
            while True:
                first9 = str(rng.randint(1, 9)) + f"{rng.randint(0, 99_999_999):08d}"
                tax_number = first9 + vkn.calc_check_digit(first9)
                if tax_number not in used:
                    used.add(tax_number)
                    break
            code = f"C{n:05d}"
            buyer = n <= buyers
            price_list = 1 if buyer else rng.choice((1, 1, 2, 3))
            frozen = not buyer and rng.random() < 0.03
            city, county, zip_code = rng.choice(CITIES)
            company.add_business_partner(
                {
                    "CardCode": code,
                    "CardName": f"{rng.choice(LINES_OF)} {rng.choice(KINDS)} San. ve Tic. Ltd. Şti. {n}",
                    "FederalTaxID": tax_number,
                    "Currency": "USD" if price_list == 3 else "TRY",
                    "EmailAddress": f"muhasebe{n}@bayi.example.com",
                    "Phone1": f"+90 212 {rng.randint(200, 699)} {rng.randint(1000, 9999)}",
                    "PriceListNum": price_list,
                    "PayTermsGrpCode": rng.choice((1, 2, 3, 4)),
                    "SalesPersonCode": rng.choice((-1, *range(1, 21))),
                    "CurrentAccountBalance": 0.0 if buyer else round(rng.uniform(-5_000, 250_000), 2),
                    "OpenOrdersBalance": 0.0 if buyer else round(rng.uniform(0, 50_000), 2),
                    "CreditLimit": 1_000_000_000.0 if buyer else float(rng.choice((50_000, 100_000, 250_000))),
                    "Frozen": YES if frozen else NO,
                    "FrozenRemarks": "Vadesi geçmiş bakiye" if frozen else None,
                    "BPAddresses": [
                        {
                            "AddressName": "Merkez",
                            "Street": f"Sanayi Cad. No:{rng.randint(1, 200)}",
                            "City": city,
                            "County": county,
                            "ZipCode": zip_code,
                            "AddressType": "bo_BillTo",
                        },
                        {
                            "AddressName": "Depo",
                            "Street": f"Depo Sok. No:{rng.randint(1, 99)}",
                            "City": city,
                            "County": county,
                            "ZipCode": zip_code,
                            "AddressType": "bo_ShipTo",
                        },
                    ],
                }
            )
            built.customers += 1
            if buyer:
                built.buyer_codes.append(code)
    built.seconds = time.perf_counter() - started
    return built


class ServerProbe:
    """Wraps the simulator's request handler: the time it spends answering (query, filter, sort, page, shape; not
    encoding nor sending), how many requests, and, while recording, every GET as (path, query, Prefer)."""

    def __init__(self, sim):
        self.original = sim.handle
        self.lock = threading.Lock()
        self.seconds = 0.0
        self.requests = 0
        self.recording: list[tuple[str, list[tuple[str, str]], str | None]] | None = None
        sim.handle = self._handle  # the HTTP handler calls simulator.handle(request)

    def _handle(self, request):
        started = time.perf_counter()
        try:
            return self.original(request)
        finally:
            elapsed = time.perf_counter() - started
            with self.lock:
                self.seconds += elapsed
                self.requests += 1
                if self.recording is not None and request.method == "GET":
                    self.recording.append((request.path, list(request.query), request.headers.get("prefer")))

    def reading(self) -> tuple[float, int]:
        with self.lock:
            return self.seconds, self.requests


def create_connection(sim, page_size: int):
    """The default ERP connection (orders are exported through it), the portal's units, and the value maps from
    SAP's units and VAT groups to the portal's."""
    from catalog.models import Unit
    from erpsync.models import ErpConnection, ValueMap

    connection = ErpConnection.objects.create(
        code="bench-sap-b1",
        name="Bench SAP Business One (simulator)",
        adapter="sap_b1",
        settings={
            "base_url": sim.base_url_v2,
            "company_db": sim.company_db,
            "page_size": page_size,
            "timeout_seconds": 300,
            "order_warehouse": WAREHOUSES[0][0],
            "vat_groups": {str(rate): group for group, rate in VAT_GROUPS.items()},
        },
        credentials_ref=CREDENTIALS_REF,
        is_default=True,
    )
    for sap_unit, (code, name, name_en, decimals) in UNITS.items():
        Unit.objects.create(code=code, name=name, name_en=name_en, decimals=decimals)
        ValueMap.objects.create(
            connection=connection, kind=ValueMap.Kind.UNIT, external_value=sap_unit, local_value=code
        )
    for group, rate in VAT_GROUPS.items():
        ValueMap.objects.create(
            connection=connection, kind=ValueMap.Kind.TAX_CODE, external_value=group, local_value=str(rate)
        )
    return connection


# --- Import -------------------------------------------------------------------------------------


@dataclass
class EntityFigures:
    """The three passes of one entity. Each pass's wall time includes the simulator's own request handling, which
    varies from pass to pass; the split takes it out of each pass first and counts the import's own."""

    entity: str
    rows: int = 0  # records the adapter yielded
    pages: int = 0  # GET requests of one read
    read_s: float = 0.0  # (a) adapter.read to exhaustion
    read_sim_s: float = 0.0  # the simulator's handling within (a)
    replay_s: float = 0.0  # (b) the same GETs replayed, JSON parsed
    replay_sim_s: float = 0.0
    import_s: float = 0.0  # (c) sync_import
    import_sim_s: float = 0.0
    sql_s: float = 0.0
    statements: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    peak: int | None = None
    memory_s: float | None = None
    payload_bytes: int = 0  # JSON bytes of the replayed answers (b)

    @property
    def wire_s(self) -> float:
        """HTTP without the simulator's handling: the server encoding and sending, the client receiving and
        parsing the JSON."""
        return self.replay_s - self.replay_sim_s

    @property
    def http_s(self) -> float:
        """HTTP in the import: the simulator's handling during the import, plus the wire."""
        return self.import_sim_s + self.wire_s

    @property
    def mapping_s(self) -> float:
        return (self.read_s - self.read_sim_s) - self.wire_s

    @property
    def db_s(self) -> float:
        return (self.import_s - self.import_sim_s) - (self.read_s - self.read_sim_s)

    @property
    def rate(self) -> float:
        return self.rows / self.import_s if self.import_s else 0.0

    @property
    def rate_without_sim(self) -> float:
        portal = self.import_s - self.import_sim_s
        return self.rows / portal if portal > 0 else 0.0


def read_pass(connection, probe: ServerProbe, figures: EntityFigures) -> list:
    """(a) Read the entity's feeds to the end through the adapter, recording the GETs it makes."""
    from erpsync.adapters import adapter_for

    recorded: list = []
    probe.recording = recorded
    sim_before, _ = probe.reading()
    count = 0
    gc.collect()
    started = time.perf_counter()
    try:
        with adapter_for(connection) as adapter:
            for feed in adapter.read(figures.entity):
                for _record in feed.records:
                    count += 1
    finally:
        figures.read_s = time.perf_counter() - started
        probe.recording = None
    figures.read_sim_s = probe.reading()[0] - sim_before
    figures.rows, figures.pages = count, len(recorded)
    return recorded


def http_pass(sim, probe: ServerProbe, recorded: list, figures: EntityFigures) -> None:
    """(b) Replay the recorded GETs with a plain session: log in, fetch, parse the JSON as the adapter does, log
    out. No records are made."""
    import requests

    sim_before, _ = probe.reading()
    rows = 0
    gc.collect()
    started = time.perf_counter()
    with requests.Session() as session:
        session.headers.update({"Accept": "application/json"})
        login = {"CompanyDB": sim.company_db, "UserName": USERNAME, "Password": PASSWORD}
        session.post(sim.base_url_v2 + "Login", json=login, timeout=300).raise_for_status()
        for path, query, prefer in recorded:
            url = sim.base_url_v2 + quote(path, safe="()'=,$/")
            if query:
                url += "?" + "&".join(f"{k}={quote(v, safe=QUERY_SAFE)}" for k, v in query)
            response = session.get(url, headers={"Prefer": prefer} if prefer else {}, timeout=300)
            if response.status_code != 200:
                raise BenchError(f"Replaying {path}: the simulator answered {response.status_code}: {response.text}")
            figures.payload_bytes += len(response.content)
            rows += len(response.json(parse_float=Decimal).get("value") or [])
        session.post(sim.base_url_v2 + "Logout", timeout=300)
    figures.replay_s = time.perf_counter() - started
    figures.replay_sim_s = probe.reading()[0] - sim_before
    if rows < figures.pages:
        raise BenchError(f"Replaying the {figures.entity} requests gave {rows} rows in {figures.pages} pages")


def import_pass(connection, probe: ServerProbe, figures: EntityFigures, problems: list[str]) -> None:
    """(c) ``sync_import`` of the entity into empty tables, its SQL statements timed."""
    from django.db import connection as db

    from erpsync.importers import sync_import

    timer = SqlTimer()
    sim_before, _ = probe.reading()
    gc.collect()
    with db.execute_wrapper(timer):
        started = time.perf_counter()
        run = sync_import(connection=connection, entity=figures.entity)
        figures.import_s = time.perf_counter() - started
    figures.import_sim_s = probe.reading()[0] - sim_before
    figures.sql_s, figures.statements = timer.total, len(timer.statements)
    figures.counts = {
        "created": run.created,
        "updated": run.updated,
        "unchanged": run.unchanged,
        "deactivated": run.deactivated,
        "failed": run.failed,
    }
    check_run(connection, run, figures, problems, first=True)


def check_run(connection, run, figures: EntityFigures, problems: list[str], *, first: bool) -> None:
    """A run must succeed without refusals and account for every record; a first load creates them all (balances
    and credit update the dealers the customer import created)."""
    from erpsync.models import SyncIssue

    entity = figures.entity
    seen = run.created + run.updated + run.unchanged
    wrong = []
    if run.status != "succeeded":
        wrong.append(f"status {run.status} ({run.error or 'no error recorded'})")
    if run.failed:
        issues = SyncIssue.objects.filter(connection=connection, entity=entity).values_list("code", "message")[:3]
        wrong.append(f"{run.failed} records refused, e.g. {list(issues)}")
    if seen != figures.rows:
        wrong.append(f"created + updated + unchanged = {seen:,}, the adapter read {figures.rows:,}")
    if first and entity not in ("balance", "credit") and run.created != figures.rows:
        wrong.append(f"created {run.created:,} of {figures.rows:,}")
    if wrong:
        problems.append(f"{entity} {'import' if first else 'memory pass'}: " + "; ".join(wrong))


def memory_pass(connection, figures: EntityFigures, problems: list[str]) -> None:
    """The entity imported again in full under tracemalloc: the peak of Python allocations during the call."""
    from erpsync.importers import sync_import

    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    started = time.perf_counter()
    try:
        run = sync_import(connection=connection, entity=figures.entity, full=True)
    finally:
        figures.memory_s = time.perf_counter() - started
        _current, figures.peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    check_run(connection, run, figures, problems, first=False)


def run_imports(sim, probe: ServerProbe, connection, company: Company, args, problems: list[str]):
    figures = []
    expected = {
        "warehouse": len(WAREHOUSES),
        "price_list": len(PRICE_LISTS),
        "product": company.items,
        "stock": company.stock_rows,
        "price": company.prices,
        "customer": company.customers,
        "balance": company.customers,
        "credit": company.customers,
    }
    from erpsync.adapters import adapter_for

    with adapter_for(connection) as adapter:  # warm-up, not timed: modules loaded, first connection made
        check = adapter.test_connection()
    if not check.ok:
        raise BenchError(f"The adapter cannot reach the simulator: {check.message}")
    print("Import, per entity: (a) adapter read, (b) HTTP replay of the same GETs, (c) sync_import")
    for entity in ENTITIES:
        f = EntityFigures(entity)
        recorded = read_pass(connection, probe, f)
        if f.rows != expected[entity]:
            problems.append(f"{entity}: the adapter read {f.rows:,} records, the company holds {expected[entity]:,}")
        http_pass(sim, probe, recorded, f)
        import_pass(connection, probe, f, problems)
        print(
            f"  {entity:<11}{f.rows:>9,} rows {f.pages:>5,} pages  (a) {f.read_s:7.2f} s (sim {f.read_sim_s:6.2f})  "
            f"(b) {f.replay_s:7.2f} s (sim {f.replay_sim_s:6.2f})  (c) {f.import_s:7.2f} s (sim "
            f"{f.import_sim_s:6.2f}, SQL {f.sql_s:6.2f} in {f.statements} statements) {f.rate:>8,.0f} rows/s  "
            + " ".join(f"{k} {v:,}" for k, v in f.counts.items() if v),
            flush=True,
        )
        figures.append(f)
    sql("VACUUM (ANALYZE)")
    if not args.skip_memory:
        print("Peak memory: each entity imported again in full (unchanged) under tracemalloc")
        for f in figures:
            memory_pass(connection, f, problems)
            print(f"  {f.entity:<11}{f.rows:>9,} rows  peak {f.peak / 2**20:8.1f} MiB  ({f.memory_s:.2f} s traced)")
    return figures


# --- Order export -------------------------------------------------------------------------------


class JobProbe:
    """Wraps ``erpsync.outbox.outbox_run`` (which ``outbox_drain`` and the workers call): each job's duration and the
    most jobs running at once. What a job does is unchanged."""

    def __init__(self):
        import erpsync.outbox as outbox

        self.lock = threading.Lock()
        self.in_flight = self.most = self.over_cap = 0
        self.cap = 1
        self.durations: list[float] = []
        original = outbox.outbox_run

        def timed(*, job):
            with self.lock:
                self.over_cap += self.in_flight >= self.cap
                self.in_flight += 1
                self.most = max(self.most, self.in_flight)
            started = time.perf_counter()
            try:
                return original(job=job)
            finally:
                elapsed = time.perf_counter() - started
                with self.lock:
                    self.in_flight -= 1
                    self.durations.append(elapsed)

        outbox.outbox_run = timed

    def reset(self, cap: int) -> None:
        with self.lock:
            self.in_flight = self.most = self.over_cap = 0
            self.cap = cap
            self.durations = []


@dataclass
class ExportRun:
    label: str
    cap: int
    workers: int
    orders: int
    wall_s: float = 0.0
    place_s: float = 0.0
    durations: list[float] = field(default_factory=list)
    most_jobs: int = 0
    over_cap: int = 0  # jobs that started while the cap's worth of jobs were already running
    most_requests: int = 0
    requests: int = 0
    sim_s: float = 0.0  # the simulator's request handling during the drain, summed over its threads
    jobs: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    duplicates: dict[str, int] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.orders / self.wall_s if self.wall_s else 0.0

    @property
    def failures(self) -> list[str]:
        failed = []
        if self.duplicates:
            sample = dict(list(self.duplicates.items())[:5])
            failed.append(f"{len(self.duplicates)} orders more than once in SAP: {sample}")
        if self.missing:
            failed.append(f"{len(self.missing)} orders not in SAP, e.g. {self.missing[:5]}")
        if self.jobs != Counter({"succeeded": self.orders}):
            failed.append(f"jobs {dict(self.jobs)}, expected {self.orders} succeeded")
        if self.statuses != Counter({"sent_to_erp": self.orders}):
            failed.append(f"orders {dict(self.statuses)}, expected {self.orders} sent to the ERP")
        if self.most_jobs > self.cap:
            failed.append(
                f"the cap did not hold: up to {self.most_jobs} jobs ran at once with a cap of {self.cap} "
                f"({self.over_cap} of {self.orders} jobs started while {self.cap} were running)"
            )
        failed += self.errors[:3]
        return failed


def prepare_buyers(company: Company) -> list:
    """A buyer (no approval limit) for each ordering dealer the customer import created."""
    from accounts.models import User
    from dealers.models import Dealer, DealerUser

    dealers = list(Dealer.objects.filter(code__in=company.buyer_codes).order_by("code"))
    if len(dealers) != len(company.buyer_codes):
        raise BenchError(f"Only {len(dealers)} of the {len(company.buyer_codes)} ordering dealers were imported")
    users = []
    for dealer in dealers:
        user = User(email=f"satinalma@{dealer.code.lower()}.example.com", full_name=f"Satın Alma {dealer.code}")
        user.set_unusable_password()
        users.append(user)
    users = User.objects.bulk_create(users)
    DealerUser.objects.bulk_create(
        DealerUser(user=user, dealer=dealer, role=DealerUser.Role.BUYER, approval_limit=None)
        for user, dealer in zip(users, dealers, strict=True)
    )
    return list(DealerUser.objects.select_related("dealer", "user").order_by("dealer__code"))


def place_orders(rng: random.Random, buyers: list, products: list, count: int, lines: int) -> list[str]:
    """``count`` orders placed on account; each must be approved at once (its export job queued with it)."""
    from orders.services import order_place
    from orders.status import OrderStatus

    numbers = []
    for i in range(count):
        buyer = buyers[i % len(buyers)]
        chosen = [(product, Decimal(rng.randint(1, 3))) for product in rng.sample(products, lines)]
        signature = fill_cart(buyer, chosen)
        order = order_place(
            dealer_user=buyer,
            idempotency_key=uuid.uuid4(),
            payment_method="on_account",
            delivery_address=None,
            confirmed_signature=signature,
        )
        if order.status != OrderStatus.APPROVED:
            raise BenchError(f"Order {order.number} is {order.status}, not approved: {order.hold_reasons}")
        numbers.append(order.number)
    return numbers


def worker(connection_id: int, changed: threading.Condition, state: dict, deadline: float) -> None:
    """Claim one job at a time within the connection's cap and run it; without room, wait for a job to end."""
    from django.db import connection as db

    import erpsync.outbox as outbox
    from erpsync.models import ErpConnection, SyncJob

    try:
        connection = ErpConnection.objects.get(pk=connection_id)
        while time.monotonic() < deadline:
            with changed:
                seen = state["finished"]
            jobs = outbox.outbox_claim(connection=connection, limit=1)
            if jobs:
                jobs[0].connection = connection
                outbox.outbox_run(job=jobs[0])
                with changed:
                    state["finished"] += 1
                    changed.notify()  # one slot freed: one waiting worker may take it
                continue
            waiting = SyncJob.objects.filter(
                connection_id=connection_id, status__in=(SyncJob.Status.PENDING, SyncJob.Status.RUNNING)
            )
            if not waiting.exists():
                return
            with changed:
                if state["finished"] == seen:
                    changed.wait(0.05)
        state["errors"].append("a worker stopped at the deadline with jobs left")
    except Exception as exc:  # reported: a benchmark whose workers crash measures nothing
        state["errors"].append(f"worker: {type(exc).__name__}: {exc}")
    finally:
        db.close()


def export_run(sim, probe: ServerProbe, connection, run: ExportRun, rng, buyers, products, args, jobs: JobProbe):
    from erpsync.models import SyncJob
    from orders.models import Order

    started = time.perf_counter()
    numbers = place_orders(rng, buyers, products, run.orders, args.lines)
    run.place_s = time.perf_counter() - started
    keys = [f"order:{number}" for number in numbers]
    queued = SyncJob.objects.filter(identity_key__in=keys, status=SyncJob.Status.PENDING).count()
    if queued != run.orders:
        raise BenchError(f"{run.label}: {queued} export jobs queued for {run.orders} approved orders")
    connection.settings = {**connection.settings, "outbox_concurrency": run.cap}
    connection.save(update_fields=["settings"])
    sim.stats.reset()
    jobs.reset(run.cap)
    sim_before, _ = probe.reading()
    if args.latency:
        sim.faults.latency("*", seconds=args.latency, count=None)
    try:
        started = time.perf_counter()
        changed = threading.Condition()
        state = {"finished": 0, "errors": run.errors}
        deadline = time.monotonic() + 600 + run.orders * (1 + 10 * args.latency)
        threads = [
            threading.Thread(target=worker, args=(connection.pk, changed, state, deadline), name=f"outbox-{i}")
            for i in range(run.workers)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        run.wall_s = time.perf_counter() - started
    finally:
        sim.faults.clear()
    run.sim_s = probe.reading()[0] - sim_before
    run.durations = list(jobs.durations)
    run.most_jobs, run.over_cap = jobs.most, jobs.over_cap
    run.most_requests = sim.stats.max_concurrent
    run.requests = sim.stats.count()
    run.jobs = Counter(SyncJob.objects.filter(identity_key__in=keys).values_list("status", flat=True))
    run.statuses = Counter(Order.objects.filter(number__in=numbers).values_list("status", flat=True))
    with sim.company.lock:
        in_sap = Counter(order["NumAtCard"] for order in sim.company.orders.values())
    run.duplicates = {number: n for number, n in in_sap.items() if n > 1}
    run.missing = [number for number in numbers if not in_sap.get(number)]
    drafts = len(sim.company.drafts)
    if drafts:
        run.errors.append(f"{drafts} orders landed in SAP as drafts")
    print(
        f"  {run.label:<44} {run.orders} orders placed in {run.place_s:.1f} s (not timed), drained in "
        f"{run.wall_s:.2f} s: {run.rate:,.1f} orders/s; most jobs at once {run.most_jobs}"
        + ("" if not run.failures else f"; FAILED: {'; '.join(run.failures)}"),
        flush=True,
    )
    return run


def run_exports(sim, probe: ServerProbe, connection, company: Company, args) -> list[ExportRun]:
    from catalog.models import Product

    buyers = prepare_buyers(company)
    products = list(Product.objects.filter(sku__in=company.order_items[:500], status="active").order_by("sku"))
    if len(products) < args.lines:
        raise BenchError(f"Only {len(products)} products to order from; more items are needed (--items)")
    rng = random.Random(SEED + 1)  # noqa: S311 - reproducible orders
    jobs = JobProbe()
    latency = f", simulator latency {args.latency * 1000:.0f} ms per request" if args.latency else ""
    print(
        f"Order export: {args.orders} orders of {args.lines} lines per run, {len(buyers)} buyers, "
        f"{len(products)} products{latency}"
    )
    runs = [
        ExportRun("1 worker, concurrency 1", 1, 1, args.orders),
        ExportRun(f"{args.workers} workers, cap {args.cap}", args.cap, args.workers, args.orders),
    ]
    if args.workers > 1:  # does the cap hold when more workers than it compete for jobs? (fewer orders do)
        check = min(args.orders, CAP_CHECK_ORDERS)
        runs.append(ExportRun(f"{args.workers} workers, cap 1 (cap check)", 1, args.workers, check))
    return [export_run(sim, probe, connection, run, rng, buyers, products, args, jobs) for run in runs]


# --- Report -------------------------------------------------------------------------------------


def share(part: float, whole: float) -> str:
    return f"{part / whole:.0%}" if whole else "—"


def print_report(args, company: Company, figures: list[EntityFigures], exports: list[ExportRun], took: float):
    print(
        f"\nSAP Business One import through the Service Layer simulator: {company.items:,} items × {len(WAREHOUSES)} "
        f"warehouses, {len(PRICE_LISTS)} price lists, {company.customers:,} business partners; page size "
        f"{args.page_size}; company built in {company.seconds:.1f} s (Python, no HTTP)"
    )
    header = (
        f"{'entity':<11}{'rows':>9}{'pages':>7}{'import s':>10}{'rows/s':>9}{'w/o sim':>9} |{'HTTP s':>8}"
        f"{'(sim)':>8}{'mapping s':>10}{'imp+DB s':>10} |{'HTTP':>5}{'map':>5}{'DB':>5} |{'SQL s':>7}{'peak MiB':>9}"
    )
    print(header)
    print("-" * len(header))
    total = EntityFigures("total")
    summed = ("rows", "pages", "read_s", "read_sim_s", "replay_s", "replay_sim_s", "import_s", "import_sim_s", "sql_s")
    for f in [*figures, None]:
        if f is None:
            print("-" * len(header))
            f = total
        else:
            for name in summed:
                setattr(total, name, getattr(total, name) + getattr(f, name))
            if f.peak is not None:
                total.peak = max(total.peak or 0, f.peak)
        peak = "—" if f.peak is None else f"{f.peak / 2**20:.1f}"
        print(
            f"{f.entity:<11}{f.rows:>9,}{f.pages:>7,}{f.import_s:>10.2f}{f.rate:>9,.0f}{f.rate_without_sim:>9,.0f} |"
            f"{f.http_s:>8.2f}{f.import_sim_s:>8.2f}{f.mapping_s:>10.2f}{f.db_s:>10.2f} |"
            f"{share(f.http_s, f.import_s):>5}{share(f.mapping_s, f.import_s):>5}{share(f.db_s, f.import_s):>5} |"
            f"{f.sql_s:>7.2f}{peak:>9}"
        )
    print(
        "How the split is derived. Three passes over the same data, each timed once: (a) adapter.read to the end "
        "(HTTP + records), (b) the adapter's GETs replayed with a plain requests session, JSON parsed as the "
        "adapter does (HTTP alone), (c) sync_import. In each, the simulator's own request handling (filter, sort, "
        "page and shape the in-memory collection; not the JSON encoding) is timed at the simulator and taken out "
        "first, as it varies from pass to pass. Then: HTTP s = (sim) + the wire, where (sim) is the simulator's "
        "handling during the import and the wire is (b) without its handling (encoding, transfer, parsing); "
        "mapping s = (a) − (b), both without handling; imp+DB s = (c) − (a), both without handling: the importer's "
        "validation and staging COPY, the merge SQL, the commit. The three add up to the import's time; shares are "
        "of it; on small entities they are noise and may be negative. PostgreSQL runs in its own process on "
        "another core: its COPY work partly overlaps the importer's fetching, so imp+DB s is what the database "
        "adds to the wall time, not all its work. SQL s: time in statements through Django during the import (the "
        "COPY streams are not among them). w/o sim: rows/s of the import without the simulator's handling, what "
        "the portal's side would do against an ERP answering instantly. The simulator sorts its whole collection "
        "for every page: its handling grows with the collection, unlike a database-backed Service Layer. peak "
        "MiB: tracemalloc peak of a second, unchanged full import of the entity (Python allocations in this "
        "process, the simulator thread's included; libpq and PostgreSQL not). rows: records the adapter yielded "
        "(stock and prices without the empty rows SAP keeps per item × warehouse and per list)."
    )
    for f in figures:
        if f.entity in ("product", "stock", "price"):
            print(
                f"{f.entity} payload: {f.payload_bytes / 2**20:,.1f} MiB in {f.pages:,} pages, "
                f"{f.payload_bytes / max(company.items, 1) / 1024:,.1f} KiB per item"
            )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"Process peak RSS so far (the simulator's company included): {rss:,.0f} MiB")

    if exports:
        latency = f"{args.latency * 1000:.0f} ms per request" if args.latency else "none"
        print(f"\nOrder export through the outbox (simulator latency: {latency})")
        header = (
            f"{'run':<34}{'cap':>4}{'workers':>8}{'orders':>7}{'wall s':>8}{'orders/s':>9}{'p50 ms':>8}"
            f"{'p95 ms':>8}{'max ms':>8}{'sim ms':>8}{'jobs at once':>13}{'HTTP at once':>13}{'req/order':>10}"
            "  once in SAP"
        )
        print(header)
        print("-" * len(header))
        for r in exports:
            ms = [d * 1000 for d in r.durations] or [0.0]
            once = (
                "yes"
                if not r.duplicates and not r.missing
                else f"NO ({len(r.duplicates)} dup, {len(r.missing)} missing)"
            )
            print(
                f"{r.label:<34}{r.cap:>4}{r.workers:>8}{r.orders:>7}{r.wall_s:>8.2f}{r.rate:>9.1f}"
                f"{percentile(ms, 50):>8.1f}{percentile(ms, 95):>8.1f}{max(ms):>8.1f}{r.sim_s * 1000 / r.orders:>8.1f}"
                f"{r.most_jobs:>13}{r.most_requests:>13}{r.requests / r.orders:>10.1f}  {once}"
            )
        print(
            "orders/s: orders over the wall time of the drain (placing them is not timed). p50/p95/max: outbox_run "
            "per order (a new adapter: login, look-up by NumAtCard, item reads, POST Orders, logout; and the "
            "portal's writes). sim ms: the simulator's own handling of the requests, per order, summed over its "
            "threads (its filters run over every item in Python: it grows with the company, unlike SAP's indexed "
            "look-ups). jobs at once: outbox_run calls in progress at the same moment (must not exceed the cap). "
            "HTTP at once: the most requests the simulator served at the same moment. req/order: requests the "
            "simulator served over orders. once in SAP: every order exactly once, counted by NumAtCard. A single "
            "drain_outbox task runs its jobs one after another whatever the cap: parallel delivery needs several "
            "workers (django-q workers in production)."
        )
        for r in exports:
            if r.over_cap:
                print(
                    f"!! {r.label}: {r.over_cap} of {r.orders} jobs started while {r.cap} were already running "
                    f"(up to {r.most_jobs} at once): outbox_claim counts the running jobs and claims in one "
                    "transaction, but concurrent claimers do not see each other's uncommitted claims."
                )
        base = next((r for r in exports if r.cap == 1 and r.workers == 1), None)
        capped = next((r for r in exports if r.cap == args.cap and r.workers == args.workers), None)
        if base and capped and base.rate:
            print(f"Cap {args.cap} over concurrency 1: {capped.rate / base.rate:.2f}× the orders/s")
    print(
        "\nCaveat: the simulator serves from threads of this very process; it competes with the adapter, the "
        f"importer and the outbox workers for the interpreter lock (GIL) and the machine's {os.cpu_count()} cores, "
        "and PostgreSQL runs on the same machine. The HTTP share includes the simulator's own Python work, and "
        "parallel export workers gain little unless the ERP's latency dominates (--latency)."
    )
    print(f"Machine: {machine_facts()}")
    print(f"Total runtime: {took:.0f} s")


# --- Command line --------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=ITEMS, help=f"items in the company (default {ITEMS})")
    parser.add_argument("--customers", type=int, default=CUSTOMERS, help=f"business partners (default {CUSTOMERS})")
    parser.add_argument("--orders", type=int, default=ORDERS, help=f"orders per export run (default {ORDERS})")
    parser.add_argument("--cap", type=int, default=CAP, help=f"the outbox concurrency cap to compare (default {CAP})")
    parser.add_argument("--workers", type=int, help="outbox worker threads (default: the cap)")
    parser.add_argument("--lines", type=int, default=LINES, help=f"lines per order (default {LINES})")
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds of latency per Service Layer request during the export"
    )
    parser.add_argument(
        "--page-size", type=int, default=PAGE_SIZE, help=f"the adapter's page size (default {PAGE_SIZE})"
    )
    parser.add_argument("--skip-memory", action="store_true", help="no tracemalloc pass")
    parser.add_argument("--skip-export", action="store_true", help="no order export")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    args.workers = args.workers or args.cap
    if args.items < 100 or args.customers < BUYERS or args.orders < 1 or args.cap < 1 or args.lines < 1:
        parser.error(f"--items must be at least 100, --customers at least {BUYERS}, the others at least 1")
    if args.latency < 0 or args.page_size < 1:
        parser.error("--latency must not be negative, --page-size at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = os.environ.get("BENCH_SAP_B1_DATABASE_URL", DEFAULT_DATABASE_URL)
    started = time.monotonic()
    problems: list[str] = []
    sim = None
    try:
        ensure_database(url, drop=True)
        setup_portal(url)
        migrate()
        from erpsync.simulators import SapB1Simulator

        sim = SapB1Simulator(items=0, customers=0, users={USERNAME: PASSWORD})
        company = build_company(sim, args.items, args.customers, BUYERS)
        gc.collect()
        gc.freeze()  # the company's objects stay out of the collector's way (see the module documentation)
        print(
            f"Company built in {company.seconds:.1f} s: {company.items:,} items, {company.stock_rows:,} non-empty "
            f"stock rows, {company.prices:,} prices, {company.customers:,} business partners"
        )
        sim.start()
        probe = ServerProbe(sim)
        connection = create_connection(sim, args.page_size)
        figures = run_imports(sim, probe, connection, company, args, problems)
        exports = [] if args.skip_export else run_exports(sim, probe, connection, company, args)
        for run in exports:
            problems += [f"{run.label}: {failure}" for failure in run.failures]
        print_report(args, company, figures, exports, time.monotonic() - started)
    except BenchError as exc:
        print(f"\nBENCHMARK FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        if sim is not None:
            sim.stop()
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        if args.keep:
            print("Kept the database")
        else:
            try:
                drop_database(url)
            except BenchError as exc:
                print(f"Could not drop the benchmark database: {exc}", file=sys.stderr)
    if problems:
        print("\nBENCHMARK FAILED:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
