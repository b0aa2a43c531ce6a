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
3. Live stock: ``live_stock`` of 50 item codes (``Company/BringBalance`` per item), ``--checks`` times: median and
   p95 in milliseconds.

It uses its own database, ``postgres://postgres@127.0.0.1:5432/b2bportal_bench_netsis`` unless
``BENCH_NETSIS_DATABASE_URL`` says otherwise, dropped and created at every run and dropped at the end unless
``--keep``.

    make bench-netsis
    .venv/bin/python bench/netsis.py [--items N] [--customers N] [--orders N] [--lines N] [--checks N] [--keep]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date
from decimal import Decimal

# Run as a script: this folder is on the path.
from database import BenchError, django_environment, drop_database, ensure_database, machine_facts, migrate

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/b2bportal_bench_netsis"
SEED = 2026
ITEMS, CUSTOMERS, ORDERS, LINES, CHECKS = 50_000, 2_000, 100, 5, 50
WAREHOUSES = 5
CREDENTIALS_REF = "BENCH_NETSIS_ERP"
ENTITIES = ("unit", "category", "brand", "warehouse", "price_list", "product", "stock", "price", "customer")


def setup_django(url: str, sim) -> None:
    django_environment(
        url,
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        **{
            f"{CREDENTIALS_REF}_USERNAME": sim.username,
            f"{CREDENTIALS_REF}_PASSWORD": sim.password,
            f"{CREDENTIALS_REF}_DB_USER": sim.db_user,
            f"{CREDENTIALS_REF}_DB_PASSWORD": sim.db_password,
        },
    )
    import django

    django.setup()


def tax_number(base: int) -> str:
    from stdnum.tr import vkn

    digits = f"{base:09d}"
    return digits + vkn.calc_check_digit(digits)


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
    from erpsync.models import ErpConnection, ValueMap

    connection, _ = ErpConnection.objects.update_or_create(
        code=code,
        defaults={
            "name": "Netsis",
            "adapter": "netsis",
            "credentials_ref": CREDENTIALS_REF,
            "is_default": code == "netsis",
            "settings": {
                "base_url": sim.root_url,
                "db_name": sim.db_name,
                "page_size": 5000,
                "warehouses": {str(n): f"Depo {n}" for n in range(1, WAREHOUSES + 1)},
                **settings,
            },
        },
    )
    for rate in ("1", "10", "20"):
        ValueMap.objects.get_or_create(
            connection=connection, kind=ValueMap.Kind.TAX_CODE, external_value=rate, defaults={"local_value": rate}
        )
    return connection


def import_all(sim, connection) -> list[tuple[str, int, float, str]]:
    from erpsync.importers import sync_import

    rows = []
    for entity in ENTITIES:
        before = len(sim.stats.requests)
        started = time.monotonic()
        run = sync_import(connection=connection, entity=entity, full=True)
        rows.append((entity, len(sim.stats.requests) - before, time.monotonic() - started, run.status))
    return rows


def export_orders(sim, connection, codes: list[str], count: int, lines: int, prefix: str) -> tuple[int, float]:
    from erpsync.adapters import adapter_for
    from erpsync.adapters.base import ErpOrder, ErpOrderLine

    rng = random.Random(SEED)  # noqa: S311 - benchmark figures, not secrets
    customers = sorted(sim.company.arps)[:50]
    before = len(sim.stats.requests)
    started = time.monotonic()
    with adapter_for(connection) as adapter:
        for number in range(count):
            order_lines = tuple(
                ErpOrderLine(i + 1, code, Decimal(rng.randint(1, 9)), "ADET", Decimal("100"), Decimal("20"))
                for i, code in enumerate(rng.sample(codes, lines))
            )
            order = ErpOrder(
                f"{prefix}-{number:05d}", rng.choice(customers), date.today(), "TRY", "open_account", order_lines,
                Decimal(0), Decimal(0), Decimal(0),
            )  # fmt: skip
            if adapter.order_lookup(order.reference) is None:
                adapter.order_push(order)
    return len(sim.stats.requests) - before, time.monotonic() - started


def live_checks(connection, codes: list[str], checks: int) -> list[float]:
    from erpsync.adapters import adapter_for

    rng = random.Random(SEED)  # noqa: S311 - benchmark figures, not secrets
    took = []
    with adapter_for(connection) as adapter:
        adapter.live_stock(codes[:1])  # the token
        for _ in range(checks):
            cart = rng.sample(codes, 50)
            started = time.perf_counter()
            found = adapter.live_stock(cart)
            took.append((time.perf_counter() - started) * 1000)
            if len({s.product_code for s in found}) != 50:
                raise BenchError(f"live stock answered {len(found)} rows for 50 items")
    return took


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=ITEMS)
    parser.add_argument("--customers", type=int, default=CUSTOMERS)
    parser.add_argument("--orders", type=int, default=ORDERS)
    parser.add_argument("--lines", type=int, default=LINES)
    parser.add_argument("--checks", type=int, default=CHECKS)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    url = os.environ.get("BENCH_NETSIS_DATABASE_URL", DEFAULT_DATABASE_URL)
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from erpsync.simulators.netsis import NetsisSimulator

    sim = NetsisSimulator(db_password="bench")  # noqa: S106 - the simulator's own database password
    problems: list[str] = []
    try:
        ensure_database(url, drop=True)
        setup_django(url, sim)
        migrate()
        started = time.monotonic()
        codes = build_company(sim.company, args.items, args.customers)
        print(
            f"Company built in {time.monotonic() - started:.1f} s: {args.items:,} items × {WAREHOUSES} warehouses, "
            f"{args.customers:,} customers"
        )
        sim.start()
        connection = create_connection(sim, "netsis")
        rows = import_all(sim, connection)
        print("\nImport through NetOpenX REST lists:")
        print(f"{'entity':<12}{'requests':>10}{'seconds':>10}  status")
        for entity, requests, took, status in rows:
            print(f"{entity:<12}{requests:>10,}{took:>10.1f}  {status}")
            if status not in ("succeeded", "partial"):
                problems.append(f"import of {entity}: {status}")
        print(f"{'all':<12}{sum(r[1] for r in rows):>10,}{sum(r[2] for r in rows):>10.1f}")
        for numbering, prefix in (("reference", "B2B-2026"), ("new_number", "B2B-2027")):
            connection = create_connection(sim, f"netsis-{numbering}", numbering=numbering)
            requests, took = export_orders(sim, connection, codes, args.orders, args.lines, prefix)
            with sim.company.lock:
                made = [s["FatUst"].get("EKACK1") for s in sim.company.slips.values() if s["FaturaTip"] == "ftSSip"]
            mine = [reference for reference in made if reference and reference.startswith(prefix)]
            print(
                f"\nOrders, numbering {numbering} ({args.lines} lines, looked up, then pushed): {args.orders} in "
                f"{took:.1f} s = {args.orders / took:.1f} a second, {requests / args.orders:.1f} requests each"
            )
            if len(mine) != args.orders or len(set(mine)) != args.orders:
                problems.append(f"{numbering}: {len(mine)} slips for {args.orders} orders")
        took = sorted(live_checks(create_connection(sim, "netsis"), codes, args.checks))
        p95 = took[max(0, int(len(took) * 0.95) - 1)]
        print(
            f"\nLive stock of a 50-line cart (Company/BringBalance per item, {args.checks} checks): median "
            f"{statistics.median(took):.1f} ms, p95 {p95:.1f} ms"
        )
        print("\n" + machine_facts())
    except BenchError as exc:
        print(f"\nBENCHMARK FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        sim.stop()
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        if not args.keep:
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
