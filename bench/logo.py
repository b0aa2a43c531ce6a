"""Benchmark of the Logo adapter against the Logo simulator, on PostgreSQL: a first import of a large firm through
REST ``queries`` and through SOAP ``ExecQuery``, order export throughput over REST and SOAP, and the live stock
check of a 50-line cart.

The ERP is ``erpsync.simulators.logo.LogoSimulator``, its firm filled directly with SQL (fixed seed, no HTTP):
50,000 items (``--items``) in one unit set of three units with barcodes, each counted in 5 warehouses (``GNTOTST``),
one sales price card each, and 2,000 customers (``--customers``). A connection ``logo`` (credentials from the
environment, as in production) reads it.

1. First import: ``unit``, ``category``, ``warehouse``, ``price_list``, ``product``, ``stock``, ``price``,
   ``customer`` with ``sync_import`` into
   empty tables, once with ``query_transport`` ``rest`` and once (tables emptied of nothing: the second run updates)
   with ``soap``; requests counted at the simulator and wall time per entity.
2. Orders: ``--orders`` orders of ``--lines`` lines exported as the outbox does (``order_lookup``, then
   ``order_push``, which looks again before it creates), over REST and over SOAP: orders a second, and a check that
   every reference became exactly one slip.
3. New customers: ``--new-customers`` customer cards created as the exporter does (``customer_lookup``, then
   ``customer_push``, which looks again, and for the tax number, before it creates), over REST (``Arps``) and SOAP
   (``AR_APS/AR_AP``, data type 30): cards a second, and a check that every code became exactly one card.
4. Live stock: ``live_stock`` of 50 item codes, ``--checks`` times: median and p95 in milliseconds (through the
   REST ``queries`` of the simulator on this machine; the read-only SQL checks against a database are not built).

It uses its own database, ``postgres://postgres@127.0.0.1:5432/b2bportal_bench_logo`` unless
``BENCH_LOGO_DATABASE_URL`` says otherwise, dropped and created at every run and dropped at the end unless ``--keep``.

    make bench-logo
    .venv/bin/python bench/logo.py [--items N] [--customers N] [--orders N] [--lines N] [--new-customers N]
                                   [--checks N] [--keep]
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

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/b2bportal_bench_logo"
ITEMS, CUSTOMERS, ORDERS, LINES, CHECKS, NEW_CUSTOMERS = 50_000, 2_000, 100, 5, 200, 200
WAREHOUSES = 5
CREDENTIALS_REF = "BENCH_LOGO_ERP"
ENTITIES = ("unit", "category", "warehouse", "price_list", "product", "stock", "price", "customer")


def build_firm(firm, items: int, customers: int) -> list[str]:
    """Fill the firm with SQL; returns the item codes."""
    rng = random.Random(SEED)  # noqa: S311 - benchmark figures, not secrets
    with firm.lock:
        for number in range(WAREHOUSES):
            firm.add_warehouse(number, f"Depo {number} — şube")
        unit_set = firm.add_unit_set(
            "05", "ADET-KOLİ", [("ADET", "Adet", 1), ("KOLI", "Koli", 12), ("PAKET", "Paket", 6)]
        )
        lines = [row["LOGICALREF"] for row in firm.rows(f"SELECT LOGICALREF FROM {firm.t('UNITSETL')} ORDER BY LINENR")]
        stamp = firm.audit(created=True)
        audit_columns = ", ".join(stamp)
        audit_marks = ", ".join("?" for _ in stamp)
        codes = [f"STK-{number:06d}" for number in range(items)]
        firm.db.executemany(
            f"INSERT INTO {firm.t('ITEMS')} (LOGICALREF, CODE, NAME, STGRPCODE, VAT, SELLVAT, UNITSETREF, "
            f"{audit_columns}) VALUES (?, ?, ?, ?, ?, ?, ?, {audit_marks})",
            [
                (
                    n + 1,
                    code,
                    f"Ürün {n} — ışıklı şişe çöp kovası",
                    f"GRP-{n % 40}",
                    vat,
                    vat,
                    unit_set,
                    *stamp.values(),
                )
                for n, code in enumerate(codes)
                for vat in [rng.choice([1, 10, 20])]
            ],
        )
        firm.db.executemany(
            f"INSERT INTO {firm.t('ITMUNITA')} (ITEMREF, UNITLINEREF, LINENR, BARCODE, SALESCLAS, CONVFACT2) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (n + 1, line, index + 1, f"869{n:07d}{index}", int(index != 2), (1, 12, 6)[index])
                for n in range(items)
                for index, line in enumerate(lines)
            ],
        )
        firm.db.executemany(
            f"INSERT INTO {firm.p('GNTOTST')} (STOCKREF, INVENNO, ONHAND, RESERVED, ACTSORDER) VALUES (?, ?, ?, ?, ?)",
            [
                (n + 1, warehouse, rng.randint(0, 900), rng.randint(0, 5), 0)
                for n in range(items)
                for warehouse in range(WAREHOUSES)
            ],
        )
        firm.db.executemany(
            f"INSERT INTO {firm.t('PRCLIST')} (CARDREF, CODE, PRICE, PTYPE, CURRENCY, {audit_columns}) "
            f"VALUES (?, ?, ?, 2, 160, {audit_marks})",
            [(n + 1, f"P-{n}", round(rng.uniform(1, 5000), 2), *stamp.values()) for n in range(items)],
        )
        for number in range(customers):
            firm.add_customer(
                f"120.{number // 1000:02d}.{number % 1000:03d}",
                f"Bayi {number} Ticaret Ltd. Şti.",
                TAXNR=tax_number(100_000_000 + number * 7),
                TAXOFFICE="Şişli",
                CITY="İstanbul",
                ADDR1=f"Atatürk Cad. No:{number}",
                EMAILADDR=f"bayi{number}@example.com",
            )
    return codes


def create_connection(sim, code: str, **settings):
    return erp_connection(
        code,
        name="Logo",
        adapter="logo",
        credentials_ref=CREDENTIALS_REF,
        is_default=code == "logo",
        settings={
            "base_url": sim.root_url,
            "firm": sim.firm.firm,
            "period": sim.firm.period,
            "soap_url": sim.soap_url,
            "page_size": 2000,
            **settings,
        },
    )


def orders(sim, codes: list[str], count: int, lines: int, prefix: str):
    rng = random.Random(SEED)  # noqa: S311 - benchmark figures, not secrets
    customers = [row["CODE"] for row in sim.firm.rows(f"SELECT CODE FROM {sim.firm.t('CLCARD')} LIMIT 50")]
    return (erp_order(rng, f"{prefix}-{number:05d}", customers, codes, lines, unit="ADET") for number in range(count))


def export_customers(sim, connection, count: int, prefix: str) -> tuple[int, float]:
    """``count`` new customer cards as the exporter makes them; (requests sent, seconds)."""
    from erpsync.adapters import adapter_for
    from erpsync.adapters.base import ErpAddress, ErpNewCustomer

    before = len(sim.stats.requests)
    started = time.monotonic()
    with adapter_for(connection) as adapter:
        for number in range(count):
            customer = ErpNewCustomer(
                reference=f"dealer:{number}",
                code=f"{prefix}.{number:05d}",
                title=f"Yeni Bayi {number} Şahin İnşaat Ltd. Şti.",
                tax_number=f"{(7 if prefix.endswith('1') else 8)}{number:09d}",
                tax_office="Çankaya",
                email=f"bayi{number}@example.com",
                address=ErpAddress("", "Merkez", f"Atatürk Blv. {number}", "Ankara", kind="billing"),
            )
            if adapter.customer_lookup(customer.code) is None:
                adapter.customer_push(customer)
    return len(sim.stats.requests) - before, time.monotonic() - started


def measure(url: str, sim, args) -> list[str]:
    problems: list[str] = []
    setup_django(
        url,
        CREDENTIALS_REF,
        CLIENT_ID=sim.client_id,
        CLIENT_SECRET=sim.client_secret,
        USERNAME=sim.username,
        PASSWORD=sim.password,
        SECURITY_CODE=sim.soap.security_code,
    )
    migrate()
    started = time.monotonic()
    codes = build_firm(sim.firm, args.items, args.customers)
    print(
        f"Firm built in {time.monotonic() - started:.1f} s: {args.items:,} items × {WAREHOUSES} warehouses, "
        f"{args.customers:,} customers"
    )
    sim.start()
    for transport in ("rest", "soap"):
        connection = create_connection(sim, f"logo-{transport}", query_transport=transport)
        rows = timed_imports(connection, ENTITIES, lambda: len(sim.stats.requests))
        label = "REST queries" if transport == "rest" else "SOAP ExecQuery"
        print(f"\nImport through {label}{' (second run: updates)' if transport == 'soap' else ''}:")
        problems += print_imports(rows, failed=f"{transport} import of")
    for transport in ("rest", "soap"):
        connection = create_connection(sim, f"logo-orders-{transport}", write_transport=transport)
        prefix = f"B2B-{transport.upper()}"
        batch = orders(sim, codes, args.orders, args.lines, prefix)
        requests, took = export_orders(connection, batch, lambda: len(sim.stats.requests))
        made = sim.firm.rows(
            f"SELECT DOCODE, COUNT(*) AS N FROM {sim.firm.p('ORFICHE')} WHERE DOCODE LIKE ? GROUP BY DOCODE",
            (f"{prefix}-%",),
        )
        title = f"\nOrders over {transport.upper()} ({args.lines} lines, looked up, then pushed)"
        print(throughput(title, args.orders, took, requests))
        if len(made) != args.orders or any(row["N"] != 1 for row in made):
            problems.append(f"{transport}: {len(made)} references for {args.orders} orders")
    for transport, prefix in (("rest", "130.01"), ("soap", "130.02")):
        connection = create_connection(sim, f"logo-customers-{transport}", write_transport=transport)
        requests, took = export_customers(sim, connection, args.new_customers, prefix)
        made = sim.firm.rows(
            f"SELECT CODE, COUNT(*) AS N FROM {sim.firm.t('CLCARD')} WHERE CODE LIKE ? GROUP BY CODE",
            (f"{prefix}.%",),
        )
        title = f"\nNew customers over {transport.upper()} (looked up, then pushed)"
        print(throughput(title, args.new_customers, took, requests))
        if len(made) != args.new_customers or any(row["N"] != 1 for row in made):
            problems.append(f"{transport}: {len(made)} cards for {args.new_customers} new customers")
    took = live_checks(create_connection(sim, "logo"), codes, args.checks)
    print(live_stock_line("REST queries", took, " (goal ≤ 100 ms)"))
    print("\n" + machine_facts())
    return problems


def main(argv: list[str] | None = None) -> int:
    args = count_options(
        __doc__,
        argv,
        items=ITEMS,
        customers=CUSTOMERS,
        orders=ORDERS,
        lines=LINES,
        new_customers=NEW_CUSTOMERS,
        checks=CHECKS,
    )
    url = os.environ.get("BENCH_LOGO_DATABASE_URL", DEFAULT_DATABASE_URL)
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from erpsync.simulators.logo import LogoSimulator

    sim = LogoSimulator()
    return run(url, lambda: measure(url, sim, args), keep=args.keep, stop=sim.stop)


if __name__ == "__main__":
    sys.exit(main())
