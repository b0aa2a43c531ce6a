"""Benchmark of the Netsis adapter against the Netsis simulator (NetOpenX REST), on PostgreSQL: a first import of a
large company, order export throughput with slip numbers made from the portal's numbers and with ``NewNumber`` in a
transaction, and the live stock check of a 50-line cart.

The ERP is ``erpsync.simulators.netsis.NetsisSimulator``, its company filled directly (fixed seed, no HTTP): 50,000
items (``--items``) in three units with barcodes, each counted in 5 warehouses, a sale price each, and 2,000
customers (``--customers``). A connection ``netsis`` (credentials from the environment, as in production) reads it.

1. First import: ``unit``, ``category``, ``brand``, ``warehouse``, ``price_list``, ``product``, ``stock``, ``price``,
   ``customer`` with ``sync_import`` into empty tables; requests counted at the simulator and wall time per entity.
2. Orders: ``--orders`` orders of ``--lines`` lines exported as the outbox does (``order_lookup``, then
   ``order_push``, which looks again before it creates), with ``numbering`` ``reference`` and ``new_number``: orders a
   second, and a check that every reference became exactly one slip.
3. Live stock: ``live_stock`` of 50 item codes (``Company/BringBalance`` per item, 4 in flight), ``--checks`` times:
   median and p95 in milliseconds.

It uses its own database, ``postgres://postgres@127.0.0.1:5432/b2bportal_bench_netsis`` unless
``BENCH_NETSIS_DATABASE_URL`` says otherwise, dropped and created at every run and dropped at the end unless
``--keep``.

    make bench-netsis
    .venv/bin/python bench/netsis.py [--items N] [--customers N] [--orders N] [--lines N] [--checks N] [--keep]
"""

from __future__ import annotations

import os
import random
import sys
import time

# Run as a script: this folder is on the path.
from common import (
    SEED,
    count_options,
    erp_connection,
    erp_order,
    export_orders,
    live_checks,
    live_stock_line,
    print_imports,
    tax_number,
    throughput,
    timed_imports,
)
from database import machine_facts, migrate, run, setup_django

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/b2bportal_bench_netsis"
ITEMS, CUSTOMERS, ORDERS, LINES, CHECKS = 50_000, 2_000, 100, 5, 50
WAREHOUSES = 5
CREDENTIALS_REF = "BENCH_NETSIS_ERP"
ENTITIES = ("unit", "category", "brand", "warehouse", "price_list", "product", "stock", "price", "customer")


def build_company(company, items: int, customers: int) -> list[str]:
    """Fill the company directly; returns the item codes."""
    rng = random.Random(SEED)  # noqa: S311 - benchmark figures, not secrets
    with company.lock:
        for number in range(1, WAREHOUSES + 1):
            company.add_warehouse(number, f"Depo {number} — şube")
        codes = [f"STK-{number:06d}" for number in range(items)]
        for n, code in enumerate(codes):
            company.add_item(
                code, f"Ürün {n} — ışıklı şişe çöp kovası", "ADET", GRUP_KODU=f"GRP-{n % 40}", KOD_1=f"MRK-{n % 25}",
                OLCU_BR2="KOLI", PAY_1=12, PAYDA_1=1, OLCU_BR3="PAKET", PAY2=6, PAYDA2=1,
                KDV_ORANI=rng.choice([1, 10, 20]), SATIS_FIAT1=round(rng.uniform(1, 5000), 2),
                SAT_DOV_TIP=0 if n % 50 else 1, BARKOD1=f"869{n:07d}0", BARKOD2=f"869{n:07d}1",
            )  # fmt: skip
            for warehouse in range(1, WAREHOUSES + 1):
                company.set_stock(code, warehouse, rng.randint(0, 900))
        for number in range(customers):
            company.add_customer(
                f"120.{number // 1000:02d}.{number % 1000:03d}", f"Bayi {number} Ticaret Ltd. Şti.",
                VERGI_NO=tax_number(100_000_000 + number * 7), VERGI_DAIRESI="Şişli", CARI_IL="İstanbul",
                CARI_ADRES=f"Atatürk Cad. No:{number}", E_POSTA=f"bayi{number}@example.com", KREDI_LIMITI=50_000,
            )  # fmt: skip
    return codes


def create_connection(sim, code: str, **settings):
    return erp_connection(
        code,
        name="Netsis",
        adapter="netsis",
        credentials_ref=CREDENTIALS_REF,
        is_default=code == "netsis",
        settings={
            "base_url": sim.root_url,
            "db_name": sim.db_name,
            "page_size": 5000,
            "warehouses": {str(n): f"Depo {n}" for n in range(1, WAREHOUSES + 1)},
            **settings,
        },
    )


def orders(sim, codes: list[str], count: int, lines: int, prefix: str):
    rng = random.Random(SEED)  # noqa: S311 - benchmark figures, not secrets
    customers = sorted(sim.company.arps)[:50]
    return (erp_order(rng, f"{prefix}-{number:05d}", customers, codes, lines, unit="ADET") for number in range(count))


def measure(url: str, sim, args) -> list[str]:
    problems: list[str] = []
    setup_django(
        url,
        CREDENTIALS_REF,
        USERNAME=sim.username,
        PASSWORD=sim.password,
        DB_USER=sim.db_user,
        DB_PASSWORD=sim.db_password,
    )
    migrate()
    started = time.monotonic()
    codes = build_company(sim.company, args.items, args.customers)
    print(
        f"Company built in {time.monotonic() - started:.1f} s: {args.items:,} items × {WAREHOUSES} warehouses, "
        f"{args.customers:,} customers"
    )
    sim.start()
    connection = create_connection(sim, "netsis")
    rows = timed_imports(connection, ENTITIES, lambda: len(sim.stats.requests))
    print("\nImport through NetOpenX REST lists:")
    problems += print_imports(rows)
    for numbering, prefix in (("reference", "B2B-2026"), ("new_number", "B2B-2027")):
        connection = create_connection(sim, f"netsis-{numbering}", numbering=numbering)
        batch = orders(sim, codes, args.orders, args.lines, prefix)
        requests, took = export_orders(connection, batch, lambda: len(sim.stats.requests))
        with sim.company.lock:
            made = [s["FatUst"].get("EKACK1") for s in sim.company.slips.values() if s["FaturaTip"] == "ftSSip"]
        mine = [reference for reference in made if reference and reference.startswith(prefix)]
        title = f"\nOrders, numbering {numbering} ({args.lines} lines, looked up, then pushed)"
        print(throughput(title, args.orders, took, requests))
        if len(mine) != args.orders or len(set(mine)) != args.orders:
            problems.append(f"{numbering}: {len(mine)} slips for {args.orders} orders")
    took = live_checks(create_connection(sim, "netsis"), codes, args.checks)
    print(live_stock_line("Company/BringBalance per item, 4 in flight (live_stock_concurrency)", took))
    print("\n" + machine_facts())
    return problems


def main(argv: list[str] | None = None) -> int:
    args = count_options(__doc__, argv, items=ITEMS, customers=CUSTOMERS, orders=ORDERS, lines=LINES, checks=CHECKS)
    url = os.environ.get("BENCH_NETSIS_DATABASE_URL", DEFAULT_DATABASE_URL)
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from erpsync.simulators.netsis import NetsisSimulator

    sim = NetsisSimulator(db_password="bench")  # noqa: S106 - the simulator's own database password
    return run(url, lambda: measure(url, sim, args), keep=args.keep, stop=sim.stop)


if __name__ == "__main__":
    sys.exit(main())
