"""Benchmark of the DİA adapter against the DİA simulator, on PostgreSQL: the calls and kontör (credit) a first import
of a 10,000-item / 1,000-customer company needs, a delta run with nothing changed, and the calls and kontör per order.

The ERP is ``erpsync.simulators.dia.DiaSimulator`` with its demo company grown to ``--items`` item cards (prices in
two slots, stock in up to two of three depots) and ``--customers`` customer cards (fixed seed). A connection ``dia``
(credentials from the environment, as in production) reads it with the default page size (500 rows a call).

1. First import: ``unit``, ``warehouse``, ``price_list``, ``product``, ``stock``, ``price``, ``customer``,
   ``agreement``, ``balance``, ``ledger`` (every customer has an opening balance, so one statement report each) with
   ``sync_import`` into empty tables: calls and kontör per entity (counted at the simulator, and checked against what
   the adapter counted), wall time.
2. Delta: the delta entities again with their watermarks: what a sync every few minutes costs when nothing changed
   (the ledger once with ``ledger_customers`` ``moved``, the default, and once with ``changed``).
3. Orders: ``--orders`` orders of ``--lines`` lines exported as the outbox does (``order_lookup``, then
   ``order_push``, which looks again before it creates): calls and kontör per order, and a check that every
   reference became exactly one order.

It uses its own database, ``postgres://postgres@127.0.0.1:5432/b2bportal_bench_dia`` unless
``BENCH_DIA_DATABASE_URL`` says otherwise, dropped and created at every run and dropped at the end unless ``--keep``.

    make bench-dia
    .venv/bin/python bench/dia.py [--items N] [--customers N] [--orders N] [--lines N] [--keep]
"""

from __future__ import annotations

import os
import random
import sys
import time
from decimal import Decimal

# Run as a script: this folder is on the path.
from common import SEED, count_options, erp_connection, erp_order, push_order
from database import machine_facts, migrate, run, setup_django

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/b2bportal_bench_dia"
ITEMS, CUSTOMERS, ORDERS, LINES = 10_000, 1_000, 50, 5
CREDENTIALS_REF = "BENCH_DIA_ERP"
ENTITIES = (
    "unit",
    "warehouse",
    "price_list",
    "product",
    "stock",
    "price",
    "customer",
    "agreement",
    "balance",
    "ledger",
)
DELTA = ("product", "price", "customer", "agreement", "ledger")


def create_connection(sim):
    return erp_connection(
        "dia",
        name="DİA",
        adapter="dia",
        credentials_ref=CREDENTIALS_REF,
        is_default=True,
        settings={
            "base_url": sim.base_url,
            # Set, as the docs advise: otherwise every run spends one more call finding them.
            "firma_kodu": sim.company.code,
            "donem_kodu": sim.company.period,
            "price_slots": {"1": "Perakende", "2": "Bayi"},
            "customer_price_list": "FIYAT2",
            "unsellable_warehouses": ["KRN"],
            "order_depot": "MRK",
        },
    )


def spent(sim, before: tuple[int, Decimal]) -> tuple[int, Decimal]:
    return len(sim.calls) - before[0], before[1] - sim.credits


def mark(sim) -> tuple[int, Decimal]:
    return len(sim.calls), sim.credits


def import_runs(sim, connection, entities, *, full: bool) -> list[tuple[str, int, Decimal, float, str, int]]:
    from erpsync.importers import sync_import

    rows = []
    for entity in entities:
        before = mark(sim)
        started = time.monotonic()
        run = sync_import(connection=connection, entity=entity, full=full)
        calls, credits = spent(sim, before)
        counted = int((run.summary.get("api") or {}).get("calls") or 0)
        rows.append((entity, calls, credits, time.monotonic() - started, run.status, counted))
    return rows


def print_runs(title: str, rows) -> list[str]:
    problems = []
    print(f"\n{title}:")
    print(f"{'entity':<12}{'calls':>8}{'kontör':>10}{'seconds':>10}  status")
    for entity, calls, credits, took, status, counted in rows:
        print(f"{entity:<12}{calls:>8,}{credits:>10.4f}{took:>10.1f}  {status}")
        if status not in ("succeeded", "partial"):
            problems.append(f"{title}, {entity}: {status}")
        if counted != calls:
            problems.append(f"{title}, {entity}: the adapter counted {counted} calls, the simulator saw {calls}")
    total_credits = sum((r[2] for r in rows), Decimal(0))
    print(f"{'all':<12}{sum(r[1] for r in rows):>8,}{total_credits:>10.4f}{sum(r[3] for r in rows):>10.1f}")
    return problems


def export_orders(sim, connection, count: int, lines: int) -> tuple[int, Decimal, float, list[str]]:
    from erpsync.adapters import adapter_for

    rng = random.Random(SEED)  # noqa: S311 - benchmark figures, not secrets
    with sim.company.lock:
        codes = [r["stokkartkodu"] for r in sim.company.tables["stokkart"] if r["durum"] == "A"]
        customers = [r["carikartkodu"] for r in sim.company.tables["carikart"] if r["durum"] == "A"][:50]
    references = [f"B2B-BENCH-{number:05d}" for number in range(count)]
    with adapter_for(connection) as adapter:
        adapter.order_lookup("B2B-WARM-UP")  # the session and the company, once per worker
        before = mark(sim)
        started = time.monotonic()
        for reference in references:
            push_order(adapter, erp_order(rng, reference, customers, codes, lines, unit=""))
        took = time.monotonic() - started
    calls, credits = spent(sim, before)
    return calls, credits, took, references


def measure(url: str, sim, args) -> list[str]:
    problems: list[str] = []
    setup_django(url, CREDENTIALS_REF, USERNAME=sim.username, PASSWORD=sim.password, APIKEY=sim.apikey)
    migrate()
    sim.start()
    connection = create_connection(sim)
    first = import_runs(sim, connection, ENTITIES, full=True)
    problems += print_runs("First import (full)", first)
    problems += print_runs("Delta with nothing changed", import_runs(sim, connection, DELTA, full=False))
    connection.settings = {**connection.settings, "ledger_customers": "changed"}
    connection.save(update_fields=["settings"])
    rows = import_runs(sim, connection, ("ledger",), full=False)
    problems += print_runs("Ledger delta with ledger_customers 'changed'", rows)
    calls, credits, took, references = export_orders(sim, connection, args.orders, args.lines)
    made = [row["belgeno"] for row in sim.company.tables["siparis"] if row["belgeno"] in set(references)]
    print(
        f"\nOrders ({args.lines} lines, looked up, then pushed): {args.orders} in {took:.1f} s, "
        f"{calls / args.orders:.1f} calls and {credits / args.orders:.4f} kontör each"
    )
    if sorted(made) != sorted(references):
        problems.append(f"{len(made)} orders in DİA for {len(references)} references")
    print(f"\nKontör per call: {sim.credit_per_call}; load average: {os.getloadavg()[0]:.2f}")
    print("\n" + machine_facts())
    return problems


def main(argv: list[str] | None = None) -> int:
    args = count_options(__doc__, argv, items=ITEMS, customers=CUSTOMERS, orders=ORDERS, lines=LINES)
    url = os.environ.get("BENCH_DIA_DATABASE_URL", DEFAULT_DATABASE_URL)
    if "dia" not in url.rsplit("/", 1)[-1]:
        print("BENCH_DIA_DATABASE_URL must name a database of its own (with 'dia' in its name).", file=sys.stderr)
        return 2
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from erpsync.simulators.dia import DiaSimulator

    started = time.monotonic()
    sim = DiaSimulator(items=args.items, customers=args.customers, seed=SEED, credits="100000")
    print(
        f"Company built in {time.monotonic() - started:.1f} s: {len(sim.company.tables['stokkart']):,} item cards, "
        f"{len(sim.company.tables['carikart']):,} customer cards, {len(sim.company.stock):,} stock lines"
    )
    with sim.company.lock:  # every customer has an opening balance: the ledger reads each one's statement
        for number, customer in enumerate(sim.company.tables["carikart"]):
            if customer["bakiye"] == sim.company.amount(0):
                sim.company.post(customer, kind="Devir", number="DEVIR", debit=100 + number)
    sim.company.advance(hours=2)  # DİA's users stop keying in: a delta finds nothing new
    return run(url, lambda: measure(url, sim, args), keep=args.keep, stop=sim.stop)


if __name__ == "__main__":
    sys.exit(main())
