"""Benchmark of order placement on PostgreSQL: throughput, latency and stock safety of ``order_place``.

A dealer buyer's cart of 10 lines is turned into an order by ``orders.services.order_place`` — re-priced, stock
reserved under row locks, credit checked under the dealer lock, the rules applied, the confirmation e-mail queued
on commit. Two scenarios, on a catalogue of 2,000 products in stock in 3 sellable warehouses (and a quarantine
warehouse that must never be reserved from), one price list, and 200 dealers with one buyer each (no approval
limit, a credit limit too large to hold anything):

* A, uncontended: N orders (default 200) placed one after another by different buyers. Filling the cart with
  ``cart_line_add`` and computing the signature the buyer confirms (``cart_priced``) are not timed; only the call
  to ``order_place`` is. Reports orders/s (N over the time spent in ``order_place``), latency p50/p95/max and the
  SQL queries of one placement.
* B, contended: 50 buyers at once (threads, each with its own database connection), each placing M orders
  (default 4) of 10 lines, 3–5 of them among 20 "hot" products that everyone orders and that have only 60 units
  each (20 free per sellable warehouse), so late orders run short. It goes in M rounds: every buyer fills a cart
  (not timed), then all 50 place their order at the same moment (timed), so placements compete with each other
  and not with cart filling. With the default stock rule ("hold") short orders are held, not refused; the run is
  repeated with ``B2B_ORDER_RULES = {"stock": "block"}`` (short orders refused) unless ``--skip-block``. Reports
  placements/s (over the wall time of the placing phases), latency p50/p95/max, approved / held / refused orders,
  errors (deadlocks or anything else: must be 0), the row-lock waits seen in ``pg_stat_activity`` (sampled every
  20 ms), and how long a placement keeps its stock rows locked (from its ``SELECT … FOR UPDATE`` to its commit).

* C, one SKU: the 50 buyers at once, each ordering one unit of the one product that has 10 units (in one
  warehouse), with the stock rule "block": exactly 10 orders must be placed and 40 refused; p95 reported.

CPU per placement is measured too: the placing thread's (``time.thread_time``) and its PostgreSQL backend's (from
``/proc/<pid>/schedstat``, the server running on this machine). From scenario A's mean comes the CPU floor of a
burst — buyers × CPU per placement ÷ cores, the least time the last of them can finish in — and B's p95 is shown
against it (goal: within 1.5×), with the share of placement time spent waiting for locks (goal: under 10 %).

After each scenario the stock is checked: for every stock row ``reserved_portal`` must equal the open
reservations against it and never exceed ``on_hand − committed_erp``; nothing may be reserved in a warehouse that
is not sellable; and every order line's open reservations plus its backordered quantity must equal its quantity.
Any breach (oversell) or error fails the run with exit status 1.

The task queue runs in sync mode, so the confirmation (e-mail with its PDF, locmem backend) is produced inside the
timed ``order_place`` call, after the transaction commits; its share is measured and shown separately ("without
confirmation" is the placement transaction alone, what a web request waits for when a worker sends the e-mail).
The buyers of scenario B are Python threads in one process: their latency includes waiting for the interpreter
lock while other buyers' Python code runs, on top of waiting for PostgreSQL's row locks; ``--processes`` makes them
processes forked from this one, as sync web workers are.
``--queue-confirmations`` leaves the confirmation in the task queue instead (the ORM broker, as in production; no
worker runs here, so nothing is sent): ``order_place`` then pays one INSERT on commit and no PDF.

It uses its own database, ``postgres://postgres@127.0.0.1:5432/b2bportal_bench_orders`` unless
``BENCH_ORDERS_DATABASE_URL`` says otherwise, creates and migrates it, and builds the data once (``--rebuild``
drops it and starts over); every run first deletes the orders and carts of the previous one.

    make bench-orders                       # installs the Python packages, starts PostgreSQL, then runs this
    .venv/bin/python bench/orders.py [--rebuild] [--orders N] [--buyers 50] [--per-buyer M] [--lines 10]
                                     [--skip-block] [--skip-one-sku] [--processes] [--queue-confirmations]

Goals, printed for comparison: at most 15 queries placing a 10-line order; stock rows locked at most 5 ms p95
uncontended; a burst's p95 within 1.5× its CPU floor, lock waits under 10 % of placement time; p95 of
``order_place`` at most 200 ms under contention.
"""

from __future__ import annotations

import argparse
import functools
import logging
import math
import os
import platform
import random
import re
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

# Run as a script: this folder is on the path.
from common import fill_cart, percentile
from database import BenchError, django_environment, ensure_database, migrate

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/b2bportal_bench_orders"
SETTINGS_MODULE = "b2bportal.settings.base"

SEED = 2026
MARKER = "BENCH-ORDERS-1"  # the price list's code: its presence says the data below was built
PRODUCTS = 2_000
HOT_PRODUCTS = 20
DEALERS = 200
PLENTY = Decimal("100000")  # on hand per sellable warehouse of an ordinary product
HOT_ON_HAND, HOT_COMMITTED = Decimal("25"), Decimal("5")  # 20 free per sellable warehouse, 60 in all
ONE_SKU, ONE_SKU_UNITS = "ONE-001", Decimal("10")  # scenario C: everyone wants it, it has 10 units in one warehouse
CREDIT_LIMIT = Decimal("1000000000.00")
WAREHOUSES = [
    ("MERKEZ", "İstanbul Merkez Depo", True),
    ("ANKARA", "Ankara Bölge Depo", True),
    ("IZMIR", "İzmir Bölge Depo", True),
    ("KARANTINA", "Karantina / Hasarlı Ürün Deposu", False),
]
PRODUCT_TYPES = [
    ("Kablo", "Cable"),
    ("Anahtar", "Switch"),
    ("Priz", "Socket"),
    ("Sigorta", "Circuit Breaker"),
    ("LED Ampul", "LED Bulb"),
    ("Vida", "Screw"),
    ("Dübel", "Anchor"),
    ("Silikon", "Silicone Sealant"),
    ("Boya Rulosu", "Paint Roller"),
    ("İş Eldiveni", "Work Glove"),
]
SERIES = ["Nova", "Arte", "Vega", "Prima", "Atlas", "Orion", "Zenit", "Toros", "Delta", "Poyraz"]
WARMUP = 5
GOAL_P95_MS = 200.0
GOAL_QUERIES = 15  # queries placing a 10-line order (the confirmation apart)
GOAL_HOLD_P95_MS = 5.0  # stock rows locked, uncontended
GOAL_FLOOR_FACTOR = 1.5  # burst p95 at most this times the CPU floor
GOAL_LOCK_SHARE = 0.10  # lock waits under this share of placement time
LOCK_SAMPLE_S = 0.02
ROUND_TIMEOUT_S = 900


# --- Django -------------------------------------------------------------------------------------


def setup_django(url: str, *, queue_confirmations: bool) -> None:
    """Development settings on the benchmark database, DEBUG off, e-mail kept in memory, tasks run in-process
    (or, with ``queue_confirmations``, left in the ORM queue for a worker that does not run here)."""
    django_environment(url, EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend")
    os.environ.pop("ORDER_RULES", None)  # the default placement rules: a stock shortfall holds the order
    import django
    from django.conf import settings

    # Set before django.setup(): django-q reads Q_CLUSTER once, when its app is loaded. In sync mode the
    # confirmation task queued on commit runs at once, in the placing thread, without a worker.
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "sync": not queue_confirmations}
    django.setup()
    # django-q warns on every task run in sync mode that it keeps the caller's connection.
    logging.getLogger("django-q").setLevel(logging.ERROR)


def table(model) -> str:
    from django.db import connection

    return connection.ops.quote_name(model._meta.db_table)


# --- Building the data ---------------------------------------------------------------------------


def build() -> None:
    """One price list, 2,000 ordinary and 20 hot products with stock in every warehouse, 200 dealers each with
    one buyer."""
    from django.db import connection, transaction
    from stdnum.tr import vkn

    from accounts.models import User
    from catalog.models import PriceList, PriceListItem, Product, StockLevel, Unit, Warehouse
    from dealers.models import Dealer, DealerUser

    started = time.monotonic()
    rng = random.Random(SEED)  # noqa: S311 - reproducible data, not secrets
    with transaction.atomic():
        unit = Unit.objects.create(code="ADET", name="Adet", name_en="Piece", decimals=0)
        warehouses = [Warehouse.objects.create(code=c, name=n, is_sellable=s) for c, n, s in WAREHOUSES]
        price_list = PriceList.objects.create(code=MARKER, name="Bayi Liste (KDV hariç)", currency="TRY")
        products = []
        for n in range(1, PRODUCTS + HOT_PRODUCTS + 1):
            hot = n > PRODUCTS
            type_tr, type_en = rng.choice(PRODUCT_TYPES)
            series = rng.choice(SERIES)
            sku = f"HOT-{n - PRODUCTS:03d}" if hot else f"ORD-{n:05d}"
            products.append(
                Product(
                    sku=sku,
                    name=f"{type_tr} {series} {sku}",
                    name_en=f"{type_en} {series} {sku}",
                    base_unit=unit,
                    vat_rate=Decimal(rng.choices((20, 10, 1), weights=(85, 12, 3))[0]),
                    min_order_qty=Decimal("1"),
                    order_multiple=Decimal("1"),
                )
            )
        products.append(
            Product(
                sku=ONE_SKU,
                name=f"Sigorta Nova {ONE_SKU}",
                name_en=f"Circuit Breaker Nova {ONE_SKU}",
                base_unit=unit,
                vat_rate=Decimal(20),
                min_order_qty=Decimal("1"),
                order_multiple=Decimal("1"),
            )
        )
        products = Product.objects.bulk_create(products)
        # Stock rows as an ERP import writes them: warehouse by warehouse. The one SKU has 10 units in the first.
        levels = [
            StockLevel(product=products[-1], warehouse=warehouses[0], on_hand=ONE_SKU_UNITS, committed_erp=Decimal(0))
        ]
        for warehouse in warehouses:
            for product in products[:-1]:
                hot = product.sku.startswith("HOT-")
                on_hand = HOT_ON_HAND if hot and warehouse.is_sellable else PLENTY
                committed = HOT_COMMITTED if hot and warehouse.is_sellable else Decimal(rng.randint(0, 500))
                levels.append(
                    StockLevel(product=product, warehouse=warehouse, on_hand=on_hand, committed_erp=committed)
                )
        StockLevel.objects.bulk_create(levels, batch_size=2000)
        PriceListItem.objects.bulk_create(
            PriceListItem(
                price_list=price_list,
                product=product,
                min_quantity=Decimal("1"),
                price=Decimal(f"{math.exp(rng.uniform(math.log(5), math.log(2000))):.2f}"),
            )
            for product in products
        )
        dealers = Dealer.objects.bulk_create(
            Dealer(
                code=f"320.{n:05d}",
                title=f"Bayi {n:03d} Yapı Market San. ve Tic. Ltd. Şti.",
                tax_number=f"{200_000_000 + n}{vkn.calc_check_digit(str(200_000_000 + n))}",
                tax_office="Kadıköy",
                currency="TRY",
                price_list=price_list,
                credit_limit=CREDIT_LIMIT,
                erp_balance=Decimal("0"),
            )
            for n in range(1, DEALERS + 1)
        )
        users = []
        for n in range(1, DEALERS + 1):
            user = User(email=f"satinalma@bayi{n:03d}.example.com", full_name=f"Satın Alma {n:03d}")
            user.set_unusable_password()  # buyers here never sign in; hashing 200 passwords would take a minute
            users.append(user)
        users = User.objects.bulk_create(users)
        DealerUser.objects.bulk_create(
            DealerUser(user=user, dealer=dealer, role=DealerUser.Role.BUYER, approval_limit=None)
            for user, dealer in zip(users, dealers, strict=True)
        )
    built = time.monotonic() - started
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"Built in {built:.1f} s (VACUUM ANALYZE {time.monotonic() - started - built:.1f} s)")


def ensure_data(url: str) -> None:
    from django.db import connections

    from catalog.models import PriceList, Product
    from dealers.models import DealerUser

    built = (
        PriceList.objects.filter(code=MARKER).exists()
        and Product.objects.count() == PRODUCTS + HOT_PRODUCTS + 1
        and Product.objects.filter(sku=ONE_SKU).exists()
        and DealerUser.objects.count() == DEALERS
    )
    if built:
        print(
            f"Data already built ({PRODUCTS:,} + {HOT_PRODUCTS} hot products, {DEALERS} buyers); --rebuild starts over"
        )
        return
    if Product.objects.exists():
        print("The benchmark database holds other data: rebuilding it")
        connections.close_all()
        ensure_database(url, drop=True)
        migrate()
    print(
        f"Building: {PRODUCTS:,} products, {HOT_PRODUCTS} hot products, {len(WAREHOUSES)} warehouses, {DEALERS} buyers"
    )
    build()


def reset_orders() -> None:
    """Forget the orders of earlier runs: orders, carts, queued tasks, and stock reserved in the portal."""
    from django.db import connection, transaction
    from django_q.models import OrmQ, Task

    from catalog.models import StockLevel
    from orders.models import Cart, CartLine, Order, OrderLine, OrderStatusChange, StockReservation

    with transaction.atomic(), connection.cursor() as cursor:
        for model in (StockReservation, OrderStatusChange, OrderLine, Order, CartLine, Cart, Task, OrmQ):
            cursor.execute(f"DELETE FROM {table(model)}")  # noqa: S608 - table names from the models
        StockLevel.objects.exclude(reserved_portal=0).update(reserved_portal=Decimal("0"))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


@dataclass
class Data:
    buyers: list  # DealerUser, with dealer and user
    ordinary: list  # Product
    hot: list  # Product
    one: object  # Product: the one SKU of scenario C


def load_data() -> Data:
    from catalog.models import Product
    from dealers.models import DealerUser

    products = list(Product.objects.order_by("pk"))
    return Data(
        buyers=list(DealerUser.objects.select_related("dealer", "user").order_by("pk")),
        ordinary=[p for p in products if p.sku.startswith("ORD-")],
        hot=[p for p in products if p.sku.startswith("HOT-")],
        one=next(p for p in products if p.sku == ONE_SKU),
    )


# --- Measuring one placement ---------------------------------------------------------------------


class Instruments(threading.local):
    """Per thread: SQL time of the placement, and the time and first query of the confirmation on commit."""

    in_confirmation = False
    confirmation_s = 0.0
    confirmations = 0
    confirmation_query_index: int | None = None
    sql_s = 0.0
    locked_at: float | None = None  # when the stock rows (and what else the statement locks) were locked
    locked_cpu = 0.0
    hold_s: float | None = None  # from then to the commit
    hold_cpu_s: float | None = None  # CPU time of the placing thread meanwhile
    confirmation_cpu_s = 0.0  # the placing thread's and its database backend's CPU during the confirmation
    confirmation_server_s = 0.0  # the backend's share of it
    placing_server_s: float | None = None  # the backend's CPU from the start of order_place to the confirmation
    started_cpu: CpuReading | None = None
    stock_locks = 0  # statements that locked stock rows in this placement


INSTRUMENTS = Instruments()


@dataclass(frozen=True)
class CpuReading:
    thread_s: float  # the placing thread's CPU so far
    backend_pid: int
    backend_s: float | None  # its PostgreSQL backend's CPU so far (None: cannot be read, a server elsewhere)


def cpu_now() -> CpuReading:
    """CPU used so far by this thread and by its PostgreSQL backend process, from ``/proc/<pid>/schedstat`` (in
    nanoseconds): the server runs on this machine, so its share of a placement's CPU can be measured too."""
    from django.db import connection

    thread_s = time.thread_time()
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    try:
        with open(f"/proc/{pid}/schedstat") as stat:
            backend_s = int(stat.read().split()[0]) / 1e9
    except (OSError, ValueError, IndexError):
        backend_s = None
    return CpuReading(thread_s, pid, backend_s)


def backend_cpu_between(before: CpuReading, after: CpuReading) -> float | None:
    """The backend's CPU between two readings; when the connection was opened again in between (the task queue
    closes it after a task), the new backend's whole life (its start-up included)."""
    if before.backend_s is None or after.backend_s is None:
        return None
    if before.backend_pid != after.backend_pid:
        return after.backend_s
    return after.backend_s - before.backend_s


# The placement's stock statement: SELECT … FROM "catalog_stocklevel" … FOR UPDATE.
TRANSACTION_CONTROL_RE = re.compile(r"\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE SAVEPOINT)\b", re.IGNORECASE)
STOCK_LOCK_RE = re.compile(r'SELECT .* FROM "catalog_stocklevel" .* FOR UPDATE', re.DOTALL)


def sql_timer(execute, sql, params, many, context):
    """A database execute wrapper: adds up the time spent in SQL by the placement (the confirmation apart)."""
    started = time.perf_counter()
    try:
        return execute(sql, params, many, context)
    finally:
        if not INSTRUMENTS.in_confirmation:
            INSTRUMENTS.sql_s += time.perf_counter() - started
            if STOCK_LOCK_RE.match(sql):
                # The last one holds its locks until the commit: a placement that starts over (the stock
                # changed under it) released the first attempt's locks when it rolled back.
                INSTRUMENTS.locked_at, INSTRUMENTS.locked_cpu = time.perf_counter(), time.thread_time()
                INSTRUMENTS.stock_locks += 1


def instrument_confirmation() -> None:
    """Wrap the on-commit hook that queues the confirmation, to time it apart; what it does is unchanged.

    ``order_place`` calls ``orders.tasks.order_confirmation_queue`` through the module, so the wrapper is picked up."""
    import orders.tasks

    original = orders.tasks.order_confirmation_queue
    if getattr(original, "bench_wrapped", False):
        return

    @functools.wraps(original)
    def timed(order_id):
        from django.db import connection

        INSTRUMENTS.confirmation_query_index = len(connection.queries_log)
        INSTRUMENTS.in_confirmation = True
        INSTRUMENTS.confirmations += 1
        started = time.perf_counter()
        before = cpu_now()
        if INSTRUMENTS.started_cpu is not None:
            INSTRUMENTS.placing_server_s = backend_cpu_between(INSTRUMENTS.started_cpu, before)
        if INSTRUMENTS.locked_at is not None:  # committed just now: the row locks are gone
            INSTRUMENTS.hold_s = started - INSTRUMENTS.locked_at
            INSTRUMENTS.hold_cpu_s = time.thread_time() - INSTRUMENTS.locked_cpu
        try:
            return original(order_id)
        finally:
            INSTRUMENTS.confirmation_s += time.perf_counter() - started
            after = cpu_now()
            confirmation_server = backend_cpu_between(before, after) or 0.0
            INSTRUMENTS.confirmation_server_s += confirmation_server
            INSTRUMENTS.confirmation_cpu_s += (after.thread_s - before.thread_s) + confirmation_server
            INSTRUMENTS.in_confirmation = False

    timed.bench_wrapped = True
    orders.tasks.order_confirmation_queue = timed


@dataclass
class Placement:
    ms: float
    confirmation_ms: float
    sql_ms: float
    outcome: str  # an order status, "refused" or "error"
    error: str = ""
    confirmations: int = 0  # times the on-commit hook queued the confirmation (must be 1 for a placed order)
    hold_ms: float | None = None  # stock rows locked until the commit (placed orders only)
    hold_cpu_ms: float | None = None  # the placing thread's own CPU meanwhile
    client_cpu_ms: float = 0.0  # the placing thread's CPU in order_place
    server_cpu_ms: float | None = None  # its PostgreSQL backend's CPU meanwhile (None: not measurable)
    confirmation_cpu_ms: float = 0.0  # both, during the confirmation on commit
    stock_locks: int = 0  # statements that locked stock rows (more than one: it decided again under the lock)

    @property
    def without_confirmation_ms(self) -> float:
        return self.ms - self.confirmation_ms

    @property
    def cpu_ms(self) -> float:
        """CPU of the whole placement: the placing thread and its database backend."""
        return self.client_cpu_ms + (self.server_cpu_ms or 0.0)

    @property
    def cpu_without_confirmation_ms(self) -> float:
        return self.cpu_ms - self.confirmation_cpu_ms


def place_timed(buyer, signature: str) -> Placement:
    """Call ``order_place`` once and time it; refusals and errors are outcomes, not exceptions."""
    from orders.exceptions import OrderRefused, PricesChanged
    from orders.services import order_place

    INSTRUMENTS.confirmation_s = INSTRUMENTS.sql_s = INSTRUMENTS.confirmation_cpu_s = 0.0
    INSTRUMENTS.confirmation_server_s = 0.0
    INSTRUMENTS.confirmations = INSTRUMENTS.stock_locks = 0
    INSTRUMENTS.locked_at = INSTRUMENTS.hold_s = INSTRUMENTS.hold_cpu_s = None
    outcome, error = "error", ""
    INSTRUMENTS.placing_server_s = None
    INSTRUMENTS.started_cpu = before = cpu_now()
    started = time.perf_counter()
    try:
        order = order_place(
            dealer_user=buyer,
            idempotency_key=uuid.uuid4(),
            payment_method="on_account",
            delivery_address=None,
            confirmed_signature=signature,
        )
        outcome = str(order.status)
    except PricesChanged:
        error = "PricesChanged: the signature confirmed before placing no longer matched"
    except OrderRefused:
        outcome = "refused"
    except Exception as exc:  # counted and reported: a benchmark of failing placements is worthless
        error = f"{type(exc).__name__}: {' '.join(str(exc).split())}"
    elapsed = time.perf_counter() - started
    after = cpu_now()
    if INSTRUMENTS.confirmations:  # the backend's CPU placing the order, then during the confirmation
        placing = INSTRUMENTS.placing_server_s
        server = None if placing is None else placing + INSTRUMENTS.confirmation_server_s
    else:
        server = backend_cpu_between(before, after)
    INSTRUMENTS.started_cpu = None
    return Placement(
        ms=elapsed * 1000,
        confirmation_ms=INSTRUMENTS.confirmation_s * 1000,
        sql_ms=INSTRUMENTS.sql_s * 1000,
        outcome=outcome,
        error=error,
        confirmations=INSTRUMENTS.confirmations,
        hold_ms=None if INSTRUMENTS.hold_s is None else INSTRUMENTS.hold_s * 1000,
        hold_cpu_ms=None if INSTRUMENTS.hold_cpu_s is None else INSTRUMENTS.hold_cpu_s * 1000,
        client_cpu_ms=(after.thread_s - before.thread_s) * 1000,
        server_cpu_ms=None if server is None else server * 1000,
        confirmation_cpu_ms=INSTRUMENTS.confirmation_cpu_s * 1000,
        stock_locks=INSTRUMENTS.stock_locks,
    )


def cart_lines(rng: random.Random, data: Data, lines: int, hot: int) -> list[tuple]:
    """``hot`` lines among the hot products (1–3 units), the rest among the ordinary ones (1–5 units)."""
    chosen = [(p, Decimal(rng.randint(1, 3))) for p in rng.sample(data.hot, hot)]
    chosen += [(p, Decimal(rng.randint(1, 5))) for p in rng.sample(data.ordinary, lines - hot)]
    rng.shuffle(chosen)
    return chosen


# --- Scenarios -----------------------------------------------------------------------------------


@dataclass
class Scenario:
    label: str
    buyers: int = 1  # placing at the same moment
    lines: int = 0  # per order, where all orders have as many
    floor: bool = True  # judged against the CPU floor of scenario A's orders (not for C's one-line orders)
    placements: list[Placement] = field(default_factory=list)
    wall_s: float = 0.0
    queries: tuple[int, int] | None = None  # (in the placement transaction, for the confirmation on commit)
    transaction_control: int = 0  # of the first: BEGIN, COMMIT, SAVEPOINT, RELEASE, ROLLBACK
    locks: LockMonitor | None = None
    deadlocks: int = 0  # PostgreSQL's own count during the run
    breaches: dict[str, list[str]] = field(default_factory=dict)
    emails: int = 0
    other_failures: list[str] = field(default_factory=list)  # outside order_place: filling carts, connecting

    def times(self, attribute: str = "ms") -> list[float]:
        values = [getattr(p, attribute) for p in self.placements if p.outcome != "error"]
        return [v for v in values if v is not None] or [0.0]

    @property
    def outcomes(self) -> Counter:
        return Counter(p.outcome for p in self.placements)

    @property
    def errors(self) -> list[str]:
        return [p.error for p in self.placements if p.outcome == "error"]

    @property
    def throughput(self) -> float:
        return len(self.placements) / self.wall_s if self.wall_s else 0.0


def uncontended(args, data: Data) -> Scenario:
    """Scenario A: one placement at a time, each by another buyer, ordinary products only."""
    from django.core import mail
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rng = random.Random(SEED + 1)  # noqa: S311 - reproducible carts
    scenario = Scenario(f"A uncontended, {args.orders} orders one at a time", lines=args.lines)
    with connection.execute_wrapper(sql_timer):
        for i in range(WARMUP + args.orders):
            buyer = data.buyers[i % len(data.buyers)]
            signature = fill_cart(buyer, cart_lines(rng, data, args.lines, hot=0))
            if i == WARMUP - 1:  # the last warm-up placement, with every query captured
                with CaptureQueriesContext(connection) as captured:
                    INSTRUMENTS.confirmation_query_index = None
                    placement = place_timed(buyer, signature)
                total = len(captured.captured_queries)
                start = INSTRUMENTS.confirmation_query_index
                in_transaction = total if start is None else start - captured.initial_queries
                scenario.queries = (in_transaction, total - in_transaction)
                scenario.transaction_control = sum(
                    TRANSACTION_CONTROL_RE.match(q["sql"]) is not None
                    for q in captured.captured_queries[:in_transaction]
                )
            else:
                placement = place_timed(buyer, signature)
            if placement.outcome == "error":
                raise BenchError(f"Placement {i + 1} failed without contention: {placement.error}")
            if i == WARMUP - 1:
                mail.outbox = []  # count the e-mails of the measured orders only
            if i >= WARMUP:
                scenario.placements.append(placement)
    scenario.wall_s = sum(p.ms for p in scenario.placements) / 1000
    return scenario


def contended(args, data: Data, label: str) -> Scenario:
    """Scenario B: ``args.buyers`` buyers start together, each placing ``args.per_buyer`` orders."""
    buyers = data.buyers[: args.buyers]
    plans = []
    for index in range(len(buyers)):
        rng = random.Random(SEED + 100 + index)  # noqa: S311 - reproducible carts
        plans.append(
            [cart_lines(rng, data, args.lines, hot=min(rng.randint(3, 5), args.lines)) for _ in range(args.per_buyer)]
        )
    return run_scenario(args, buyers, plans, label)


def one_sku(args, data: Data, label: str) -> Scenario:
    """Scenario C: ``args.buyers`` buyers at once, each ordering one unit of the one SKU that has 10 units."""
    buyers = data.buyers[: args.buyers]
    scenario = run_scenario(args, buyers, [[[(data.one, Decimal("1"))]] for _ in buyers], label)
    scenario.floor = False
    return scenario


def run_scenario(args, buyers, plans, label: str) -> Scenario:
    from django.db import connection

    scenario = Scenario(label, buyers=len(buyers))
    wait_for_connection_slots(len(buyers) + 1)
    scenario.locks = LockMonitor(connection.settings_dict)
    deadlocks_before = deadlock_count()
    results, scenario.wall_s = run_buyers(buyers, plans, scenario.locks, processes=args.processes)
    scenario.deadlocks = deadlock_count() - deadlocks_before
    for placements, failures, emails in results:
        scenario.placements += placements
        scenario.other_failures += failures
        scenario.emails += emails
    return scenario


def buyer_orders(buyer, plans, barrier) -> tuple[list[Placement], list[str], int]:
    """One buyer's orders, round by round, on the buyer's own database connection (closed at the end): fill the
    cart, wait for every other buyer's cart, place, wait for every other buyer's placement."""
    from django.db import connection

    placements, failures = [], []
    try:
        with connection.execute_wrapper(sql_timer):
            for lines in plans:
                signature = None
                try:
                    signature = fill_cart(buyer, lines)
                except Exception as exc:  # filling the cart is not measured, but must work
                    failures.append(f"filling a cart: {type(exc).__name__}: {exc}")
                barrier.wait(ROUND_TIMEOUT_S)
                if signature is not None:
                    placements.append(place_timed(buyer, signature))
                barrier.wait(ROUND_TIMEOUT_S)
    except Exception as exc:
        failures.append(f"buyer: {type(exc).__name__}: {exc}")
        barrier.abort()  # the others stop waiting for this buyer
    finally:
        connection.close()
    return placements, failures, 0


def run_buyers(buyers, plans, monitor: LockMonitor, *, processes: bool):
    """Run every buyer at once — threads of this process, or processes forked from it as sync web workers are —
    in rounds: all fill a cart (not timed), then all place an order together (timed), ``len(plans[0])`` times.

    Returns each buyer's (placements, failures, e-mails sent) and the wall time of the placing phases."""
    from django.core import mail
    from django.db import connections

    rounds = len(plans[0])
    if processes:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        barrier, queue = context.Barrier(len(buyers) + 1), context.Queue()

        def child(index: int) -> None:
            mail.outbox = []
            placements, failures, _emails = buyer_orders(buyers[index], plans[index], barrier)
            queue.put((placements, failures, len(mail.outbox)))

        connections.close_all()  # a connection must not be shared with the children
        workers = [context.Process(target=child, args=(i,), daemon=True) for i in range(len(buyers))]
    else:
        barrier, results = threading.Barrier(len(buyers) + 1), [None] * len(buyers)

        def runner(index: int) -> None:
            results[index] = buyer_orders(buyers[index], plans[index], barrier)

        workers = [threading.Thread(target=runner, args=(i,), name=f"buyer-{i}") for i in range(len(buyers))]
    for worker in workers:
        worker.start()
    monitor.start()
    placing = 0.0
    try:
        for _ in range(rounds):
            barrier.wait(ROUND_TIMEOUT_S)  # every cart filled
            started = time.perf_counter()
            barrier.wait(ROUND_TIMEOUT_S)  # every order placed
            placing += time.perf_counter() - started
    except threading.BrokenBarrierError:
        pass  # a buyer failed; its failure is in its results
    if processes:
        results = []
        for _ in workers:
            try:
                results.append(queue.get(timeout=ROUND_TIMEOUT_S))
            except Exception:
                results.append(([], ["a buyer process gave no results"], 0))
    for worker in workers:
        worker.join(ROUND_TIMEOUT_S)
    monitor.stop()
    if any(worker.is_alive() for worker in workers):
        raise BenchError(f"buyers still running {ROUND_TIMEOUT_S} s after the last round")
    return results, placing


def wait_for_connection_slots(needed: int, patience: float = 120.0) -> None:
    """Each buyer thread opens its own connection: wait (a while) until the server has that many free."""
    from django.db import connection

    deadline = time.monotonic() + patience
    while True:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('max_connections')::int"
                " - current_setting('superuser_reserved_connections')::int"
                " - (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')"
            )
            free = cursor.fetchone()[0]
        if free >= needed:
            return
        if time.monotonic() > deadline:
            raise BenchError(f"PostgreSQL has {free} free connections, the buyers need {needed}: try again later")
        print(f"  waiting for {needed} free connections on the server ({free} now)")
        time.sleep(5)


def deadlock_count() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()")
        return cursor.fetchone()[0]


class LockMonitor(threading.Thread):
    """Samples, every 20 ms on a connection of its own, the backends of the benchmark database that wait for a
    lock: what they run and which table the row they wait for belongs to (from their tuple lock)."""

    QUERY = """
        SELECT DISTINCT ON (a.pid) a.pid, a.wait_event,
               COALESCE(t.relation::regclass::text, w.relation::regclass::text, w.locktype), a.query
        FROM pg_stat_activity a
        JOIN pg_locks w ON w.pid = a.pid AND NOT w.granted
        LEFT JOIN pg_locks t ON t.pid = a.pid AND t.locktype = 'tuple'
        WHERE a.datname = current_database() AND a.wait_event_type = 'Lock' AND a.pid <> pg_backend_pid()
        ORDER BY a.pid
    """

    def __init__(self, settings_dict: dict) -> None:
        super().__init__(name="lock-monitor", daemon=True)
        self.settings_dict = settings_dict
        self.halt = threading.Event()
        self.samples = 0
        self.elapsed = 0.0
        self.waits: Counter = Counter()
        self.most_waiting = 0
        self.error = ""

    def run(self) -> None:
        import psycopg

        s = self.settings_dict
        try:
            with psycopg.connect(
                host=s["HOST"], port=s["PORT"] or 5432, user=s["USER"], password=s["PASSWORD"] or None, dbname=s["NAME"]
            ) as conn:
                conn.autocommit = True
                started = time.perf_counter()
                while not self.halt.is_set():
                    rows = conn.execute(self.QUERY).fetchall()
                    self.samples += 1
                    self.most_waiting = max(self.most_waiting, len(rows))
                    for _pid, event, target, query in rows:
                        self.waits[(statement_label(query), event, target)] += 1
                    self.halt.wait(LOCK_SAMPLE_S)
                self.elapsed = time.perf_counter() - started
        except Exception as exc:  # the figures above stand without it; say why it is missing
            self.error = f"{type(exc).__name__}: {exc}"

    def stop(self) -> None:
        self.halt.set()
        self.join(30)

    def wait_seconds(self, count: int) -> float:
        """Sampled backend-seconds of waiting."""
        return count * (self.elapsed / self.samples) if self.samples else 0.0


def statement_label(sql: str) -> str:
    """``UPDATE catalog_stocklevel``, ``SELECT catalog_stocklevel FOR UPDATE``: enough to tell statements apart."""
    words = sql.split(None, 1)
    verb = words[0].upper() if words else "?"
    match = re.search(r'\b(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', sql, re.IGNORECASE)
    lock = re.search(r"\bFOR (NO KEY UPDATE|UPDATE|SHARE|KEY SHARE)\b", sql, re.IGNORECASE)
    return f"{verb} {match.group(1) if match else '?'}" + (f" FOR {lock.group(1).upper()}" if lock else "")


# --- Stock safety --------------------------------------------------------------------------------


def stock_breaches() -> dict[str, list[str]]:
    """Every way the stock figures can be wrong after placements, each with the offending rows (empty: none)."""
    from django.db.models import DecimalField, F, OuterRef, Q, Subquery, Sum, Value
    from django.db.models.functions import Coalesce

    from catalog.models import StockLevel
    from orders.models import OrderLine, StockReservation

    zero = Value(Decimal("0"), output_field=DecimalField())
    open_reserved = (
        StockReservation.objects.filter(stock_level=OuterRef("pk"), released_at__isnull=True)
        .values("stock_level")
        .annotate(total=Sum("quantity"))
        .values("total")
    )
    levels = StockLevel.objects.annotate(open_reserved=Coalesce(Subquery(open_reserved), zero)).values_list(
        "product__sku", "warehouse__code", "on_hand", "committed_erp", "reserved_portal", "open_reserved"
    )
    lines = (
        OrderLine.objects.annotate(
            reserved=Coalesce(Sum("reservations__quantity", filter=Q(reservations__released_at__isnull=True)), zero)
        )
        .annotate(
            accounted=F("reserved") + F("backordered_qty") * F("unit_factor"), ordered=F("quantity") * F("unit_factor")
        )
        .exclude(accounted=F("ordered"))
        .values_list("order__number", "sku", "ordered", "accounted")
    )
    checks = {
        "reserved_portal ≠ open reservations": levels.exclude(reserved_portal=F("open_reserved")),
        "oversell: reserved_portal > on_hand − committed_erp": levels.filter(
            reserved_portal__gt=F("on_hand") - F("committed_erp")
        ),
        "reserved in a warehouse that is not sellable": levels.filter(warehouse__is_sellable=False).filter(
            Q(reserved_portal__gt=0) | Q(open_reserved__gt=0)
        ),
        "order line: reserved + backordered ≠ quantity": lines,
    }
    return {name: [" ".join(str(value) for value in row) for row in rows] for name, rows in checks.items()}


def check_stock(scenario: Scenario) -> None:
    from django.core import mail

    scenario.breaches = stock_breaches()
    scenario.emails += len(getattr(mail, "outbox", []))
    mail.outbox = []


# --- Report --------------------------------------------------------------------------------------


def triple(values: list[float]) -> str:
    return f"{percentile(values, 50):.1f} / {percentile(values, 95):.1f} / {max(values):.1f}"


def print_scenario(scenario: Scenario) -> None:
    outcomes = scenario.outcomes
    placed = sum(n for outcome, n in outcomes.items() if outcome not in ("refused", "error"))
    print(
        f"  {scenario.label}: {len(scenario.placements)} placements in {scenario.wall_s:.1f} s; "
        f"order_place ms p50/p95/max {triple(scenario.times())}; "
        f"outcomes {dict(sorted(outcomes.items()))}"
    )
    again = sum(p.stock_locks > 1 for p in scenario.placements)
    print(f"    placements that locked the stock rows more than once (decided again on locked figures): {again}")
    queued = sum(p.confirmations for p in scenario.placements)
    print(f"    confirmations queued on commit: {queued} for {placed} orders placed; e-mails sent: {scenario.emails}")
    if scenario.errors:
        print(f"  !! {len(scenario.errors)} errors, first: {scenario.errors[0]}")
    if scenario.other_failures:
        print(f"  !! {len(scenario.other_failures)} failures outside order_place, first: {scenario.other_failures[0]}")
    for name, rows in scenario.breaches.items():
        if rows:
            print(f"  !! {name}: {len(rows)} rows, e.g. {'; '.join(rows[:3])}")


def print_locks(scenario: Scenario) -> None:
    monitor = scenario.locks
    if monitor is None:
        return
    if monitor.error:
        print(f"  lock sampling failed: {monitor.error}")
        return
    total = sum(monitor.waits.values())
    placing_s = sum(scenario.times()) / 1000
    share = monitor.wait_seconds(total) / placing_s if placing_s else 0.0
    print(f"  Lock waits: ≈ {monitor.wait_seconds(total):.1f} s of {placing_s:.1f} s spent placing ({share:.1%})")
    print(
        f"  Lock waits in {scenario.label} ({monitor.samples} samples every {LOCK_SAMPLE_S * 1000:.0f} ms; "
        f"at most {monitor.most_waiting} backends waiting at once; ≈ {monitor.wait_seconds(total):.1f} "
        "backend-seconds of waiting in all):"
    )
    if not total:
        print("    none seen")
    for (statement, event, target), count in monitor.waits.most_common(6):
        print(
            f"    {count / total:6.1%}  ≈ {monitor.wait_seconds(count):6.1f} s  {statement:<42} "
            f"waits on {event} (row of {target})"
        )


def mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def cpu_floor_ms(args, uncontended_run: Scenario, s: Scenario, *, confirmation: bool = True) -> float:
    """The least time the last of ``s.buyers`` placements started together can take on this machine: their CPU
    (the mean per placement measured without contention, the placing thread and its database backend) spread over
    every core."""
    attribute = "cpu_ms" if confirmation else "cpu_without_confirmation_ms"
    return s.buyers * mean(uncontended_run.times(attribute)) / (os.cpu_count() or 1)


def print_cpu(args, uncontended_run: Scenario, contended_runs: list[Scenario]) -> None:
    a = uncontended_run
    server = [p.server_cpu_ms for p in a.placements if p.server_cpu_ms is not None]
    measured = "" if server else " (the database backend's CPU could not be read: the placing thread's only)"
    print(
        f"CPU per placement, uncontended{measured}: mean {mean(a.times('cpu_ms')):.1f} ms = placing thread "
        f"{mean(a.times('client_cpu_ms')):.1f} + database backend {mean(server):.1f}; without the confirmation "
        f"{mean(a.times('cpu_without_confirmation_ms')):.1f} ms (p50 / p95 "
        f"{percentile(a.times('cpu_without_confirmation_ms'), 50):.1f} / "
        f"{percentile(a.times('cpu_without_confirmation_ms'), 95):.1f})"
    )
    cores = os.cpu_count() or 1
    for s in contended_runs:
        if not s.floor:
            continue
        floor, floor_without = cpu_floor_ms(args, a, s), cpu_floor_ms(args, a, s, confirmation=False)
        p95, p95_without = percentile(s.times(), 95), percentile(s.times("without_confirmation_ms"), 95)
        print(
            f"  {s.label}: CPU floor {s.buyers} × {mean(a.times('cpu_ms')):.1f} ms ÷ {cores} cores = {floor:.0f} ms, "
            f"p95 {p95:.0f} ms = {p95 / floor:.2f}× the floor; without the confirmation floor {floor_without:.0f} ms, "
            f"p95 {p95_without:.0f} ms = {p95_without / floor_without:.2f}×; CPU per placement here "
            f"{mean(s.times('cpu_ms')):.1f} ms"
        )
        if not args.processes:
            gil = s.buyers * mean(a.times("client_cpu_ms"))
            print(
                f"    (buyers are threads of one interpreter: their Python runs on one core at a time, so "
                f"{s.buyers} × {mean(a.times('client_cpu_ms')):.1f} ms = {gil:.0f} ms is a floor too; "
                "--processes lifts it)"
            )


def lock_share(s: Scenario) -> float:
    placing_s = sum(s.times()) / 1000
    if s.locks is None or not placing_s:
        return 0.0
    return s.locks.wait_seconds(sum(s.locks.waits.values())) / placing_s


def print_goals(uncontended_run: Scenario, contended_runs: list[Scenario]) -> None:
    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    if uncontended_run.queries:
        queries = uncontended_run.queries[0] - uncontended_run.transaction_control
        print(f"Goal: ≤ {GOAL_QUERIES} queries placing a {uncontended_run.lines}-line order (BEGIN / COMMIT / "
              f"SAVEPOINT apart): {queries}, {verdict(queries <= GOAL_QUERIES)}")  # fmt: skip
    hold = percentile(uncontended_run.times("hold_ms"), 95)
    print(f"Goal: stock rows locked ≤ {GOAL_HOLD_P95_MS:.0f} ms p95 uncontended: {hold:.1f} ms, "
          f"{verdict(hold <= GOAL_HOLD_P95_MS)}")  # fmt: skip
    for s in contended_runs:
        share = lock_share(s)
        if not s.floor:
            print(f"{s.label}: lock waits {share:.1%} of placement time (every buyer wants the same stock row)")
            continue
        floor = cpu_floor_ms(None, uncontended_run, s)
        ratio = percentile(s.times(), 95) / floor if floor else 0.0
        print(
            f"Goal: {s.label}: p95 ≤ {GOAL_FLOOR_FACTOR}× the CPU floor: {ratio:.2f}×, "
            f"{verdict(ratio <= GOAL_FLOOR_FACTOR)}; lock waits < {GOAL_LOCK_SHARE:.0%} of placement time: "
            f"{share:.1%}, {verdict(share < GOAL_LOCK_SHARE)}"
        )


def machine_facts() -> str:
    import django
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    return (
        f"{os.cpu_count()} CPUs, {platform.system()} {platform.machine()}, PostgreSQL {pg_version}, "
        f"Python {platform.python_version()}, Django {django.get_version()}; load average now "
        + " / ".join(f"{load:.1f}" for load in os.getloadavg())
        + " (1 / 5 / 15 min: other work on the machine skews the figures)"
    )


def print_summary(args, scenarios: list[Scenario], facts: str, took: float) -> None:
    uncontended_run, contended_runs = scenarios[0], scenarios[1:]
    print("\nOrder placement benchmark")
    header = (
        f"{'scenario':<40}{'orders':>7}{'per s':>7}  {'order_place ms p50 / p95 / max':>31}"
        f"{'w/o confirm. p50 / p95':>24}{'SQL p50 / p95':>18}{'approved':>9}{'held':>6}{'refused':>8}{'errors':>7}"
    )
    print(header)
    print("-" * len(header))
    for s in scenarios:
        outcomes = s.outcomes
        without = s.times("without_confirmation_ms")
        sql = s.times("sql_ms")
        print(
            f"{s.label:<40}{len(s.placements):>7}{s.throughput:>7.1f}  {triple(s.times()):>31}"
            f"{f'{percentile(without, 50):.1f} / {percentile(without, 95):.1f}':>24}"
            f"{f'{percentile(sql, 50):.1f} / {percentile(sql, 95):.1f}':>18}"
            f"{outcomes['approved']:>9}{outcomes['on_hold']:>6}{outcomes['refused']:>8}{outcomes['error']:>7}"
        )
    print("-" * len(header))
    print(
        "orders/s: A = orders over the time spent in order_place; B = placements over the wall time of the "
        "placing phases (all buyers place at once, then fill their next cart)"
    )
    if uncontended_run.queries:
        in_transaction, confirmation = uncontended_run.queries
        control = uncontended_run.transaction_control
        print(
            f"Queries per placement: {in_transaction + confirmation} ({in_transaction} placing the order: "
            f"{in_transaction - control} statements and {control} BEGIN / COMMIT / SAVEPOINT; "
            f"{confirmation} for the confirmation on commit)"
        )
    print("Stock rows locked by a placement, from its SELECT … FOR UPDATE to its commit (placed orders):")
    for s in scenarios:
        hold, cpu = s.times("hold_ms"), s.times("hold_cpu_ms")
        print(
            f"  {s.label:<40} p50 {percentile(hold, 50):7.1f} ms, p95 {percentile(hold, 95):7.1f} ms; "
            f"the placing thread's own CPU meanwhile p50 {percentile(cpu, 50):5.1f} ms"
        )
    base = percentile(uncontended_run.times(), 95)
    for s in contended_runs:
        print(f"Baseline: {s.label} p95 / uncontended p95 = {percentile(s.times(), 95) / base:.1f}×")
    print_cpu(args, uncontended_run, contended_runs)
    for s in scenarios:
        errors = s.errors
        deadlocks = sum("deadlock" in e.lower() for e in errors)
        oversell = len(s.breaches.get("oversell: reserved_portal > on_hand − committed_erp", []))
        other = sum(len(rows) for rows in s.breaches.values()) - oversell
        line = (
            f"After {s.label}: oversell {oversell} (must be 0), other stock breaches {other}, "
            f"errors {len(errors)} (deadlocks {deadlocks}; PostgreSQL counted {s.deadlocks})"
        )
        if errors:
            line += f", first: {errors[0]}"
        print(line)
    print_goals(uncontended_run, contended_runs)
    worst = max(percentile(s.times(), 95) for s in contended_runs) if contended_runs else 0.0
    worst_without = max((percentile(s.times("without_confirmation_ms"), 95) for s in contended_runs), default=0.0)
    verdict = "ok" if worst <= GOAL_P95_MS else "MISSED"
    verdict_without = "ok" if worst_without <= GOAL_P95_MS else "MISSED"
    print(
        f"Goal: p95 ≤ {GOAL_P95_MS:.0f} ms under contention: order_place {worst:.1f} ms, {verdict}; "
        f"without the confirmation {worst_without:.1f} ms, {verdict_without}"
    )
    print(
        f"Setup: {args.buyers} buyers × {args.per_buyer} orders, {args.lines} lines per order (3–5 hot), "
        f"{HOT_PRODUCTS} hot products with {3 * (HOT_ON_HAND - HOT_COMMITTED):.0f} units each; "
        + ("buyers as processes; " if args.processes else "buyers as threads of one process; ")
        + (
            "confirmations left in the task queue (ORM broker, no worker)"
            if args.queue_confirmations
            else "task queue in sync mode (the confirmation e-mail and PDF are made inside order_place)"
        )
    )
    print(f"Machine: {facts}")
    print(f"Run took {took:.1f} s")


# --- Command line --------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rebuild", action="store_true", help="drop the benchmark database and build it again")
    parser.add_argument("--orders", type=int, default=200, help="orders placed one at a time (default 200)")
    parser.add_argument("--buyers", type=int, default=50, help="buyers placing orders at once (default 50)")
    parser.add_argument("--per-buyer", type=int, default=4, help="orders each concurrent buyer places (default 4)")
    parser.add_argument("--lines", type=int, default=10, help="lines per order (default 10)")
    parser.add_argument("--skip-block", action="store_true", help="skip the contended run with the stock rule 'block'")
    parser.add_argument(
        "--skip-one-sku", action="store_true", help="skip scenario C (every buyer at once on one SKU with 10 units)"
    )
    parser.add_argument(
        "--processes",
        action="store_true",
        help="concurrent buyers as processes (like sync web workers) instead of threads sharing one interpreter",
    )
    parser.add_argument(
        "--queue-confirmations",
        action="store_true",
        help="leave the confirmation in the task queue (as in production) instead of running it in sync mode",
    )
    args = parser.parse_args(argv)
    if min(args.orders, args.buyers, args.per_buyer) < 1:
        parser.error("--orders, --buyers and --per-buyer must be positive")
    if args.buyers > DEALERS:
        parser.error(f"--buyers can be at most {DEALERS}, one per dealer")
    if not 5 <= args.lines <= 50:
        parser.error("--lines must be between 5 and 50")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = os.environ.get("BENCH_ORDERS_DATABASE_URL", DEFAULT_DATABASE_URL)
    started = time.monotonic()
    scenarios: list[Scenario] = []
    try:
        ensure_database(url, drop=args.rebuild)
        setup_django(url, queue_confirmations=args.queue_confirmations)
        from django.test.utils import override_settings

        from orders.rules import rule_action

        migrate()
        ensure_data(url)
        reset_orders()
        instrument_confirmation()
        data = load_data()
        print(f"Stock rule by default: {rule_action('stock')}")

        print(f"A: {WARMUP} warm-up orders, then {args.orders} orders of {args.lines} lines, one at a time")
        scenarios.append(uncontended(args, data))
        check_stock(scenarios[-1])
        print_scenario(scenarios[-1])

        label = f"B contended, {args.buyers}×{args.per_buyer}, stock hold"
        print(f"B: {args.buyers} buyers at once, {args.per_buyer} orders each, stock rule 'hold'")
        scenarios.append(contended(args, data, label))
        check_stock(scenarios[-1])
        print_scenario(scenarios[-1])
        print_locks(scenarios[-1])

        if not args.skip_block:
            reset_orders()  # the hot products' stock back to 60 units
            label = f"B contended, {args.buyers}×{args.per_buyer}, stock block"
            print("B: the same with B2B_ORDER_RULES = {'stock': 'block'}")
            with override_settings(B2B_ORDER_RULES={"stock": "block"}):
                scenarios.append(contended(args, data, label))
            check_stock(scenarios[-1])
            print_scenario(scenarios[-1])
            print_locks(scenarios[-1])

        if not args.skip_one_sku:
            reset_orders()
            label = f"C one SKU, {args.buyers} buyers on {ONE_SKU_UNITS:.0f} units, stock block"
            print(
                f"C: {args.buyers} buyers at once, one unit each of {ONE_SKU} ({ONE_SKU_UNITS:.0f} units), "
                "stock rule 'block'"
            )
            with override_settings(B2B_ORDER_RULES={"stock": "block"}):
                scenarios.append(one_sku(args, data, label))
            check_stock(scenarios[-1])
            print_scenario(scenarios[-1])
            print_locks(scenarios[-1])
            outcomes = scenarios[-1].outcomes
            placed = sum(n for outcome, n in outcomes.items() if outcome not in ("refused", "error"))
            expected = min(args.buyers, int(ONE_SKU_UNITS))
            if placed != expected:
                scenarios[-1].other_failures.append(f"{placed} orders placed of the one SKU, not exactly {expected}")
            print(
                f"  C: placed {placed} (exactly {expected} expected), refused {outcomes['refused']}, "
                f"p95 {percentile(scenarios[-1].times(), 95):.1f} ms"
            )

        print_summary(args, scenarios, machine_facts(), time.monotonic() - started)
    except BenchError as exc:
        print(f"\nBENCHMARK FAILED: {exc}", file=sys.stderr)
        return 1
    failures = []
    for s in scenarios:
        failures += [f"{s.label}: {name}: {len(rows)}" for name, rows in s.breaches.items() if rows]
        if s.errors:
            failures.append(f"{s.label}: {len(s.errors)} placements failed, first: {s.errors[0]}")
        if s.other_failures:
            failures.append(f"{s.label}: {len(s.other_failures)} failures outside order_place: {s.other_failures[0]}")
    if failures:
        print("\nBENCHMARK FAILED, stock or placements went wrong:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
