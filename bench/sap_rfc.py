"""Benchmark of the SAP RFC adapter against the in-process BAPI simulator, on PostgreSQL: a first import of 20,000
materials, and order throughput (sequential, then two threads on the connection's two RFC sessions, then with the
commit's answer lost for every tenth order).

The ERP is ``erpsync.simulators.sap_rfc.SapSystem`` filled in Python (fixed seed): ``--materials`` materials with
Turkish texts, numeric numbers (ALPHA-padded) and text ones, two alternative units each (MARM), a sales view
(MVKE), a tax classification (MLAN), stock in one storage location, and ``--customers`` customers. A connection
``sap_rfc`` (credentials from the environment, as in production) reads it through the simulator transport: the
calls are the adapter's real calls (``RFC_READ_TABLE`` pages of ``table_page_rows`` rows, split into passes when a
field list is wider than 512 characters; one ``BAPI_MATERIAL_AVAILABILITY`` per material and location), only the
wire is missing.

1. Import: ``unit``, ``category``, ``warehouse``, ``product``, ``stock``, ``customer`` with ``sync_import`` into empty
   tables; RFC calls counted at the simulator and wall time per entity.
2. Orders: ``--orders`` orders of ``--lines`` lines exported as the outbox does (``order_lookup``, then
   ``order_push``: look-up on the session, ``BAPI_SALESORDER_CREATEFROMDAT2``, ``BAPI_TRANSACTION_COMMIT`` with
   WAIT), sequentially; then by two threads sharing one adapter (``max_sessions`` 2); then sequentially with every
   tenth commit's answer dropped (the retry looks the order up and finds it). Every reference must end as exactly one
   committed order.

Caveat: the simulator runs in this process, with no network and no SAP update task; SAP's own time per BAPI (often
100–500 ms for a sales order) is not in these figures — they measure the adapter and the portal.

It uses its own database, ``postgres://postgres@127.0.0.1:5432/b2bportal_bench_saprfc`` unless
``BENCH_SAP_RFC_DATABASE_URL`` says otherwise, dropped and created at every run and dropped at the end unless
``--keep``.

    make bench-sap-rfc
    .venv/bin/python bench/sap_rfc.py [--materials N] [--customers N] [--orders N] [--lines N] [--keep]
"""

from __future__ import annotations

import os
import random
import sys
import threading
import time
from decimal import Decimal

# Run as a script: this folder is on the path.
from common import SEED, count_options, erp_connection, erp_order, push_order, throughput, timed_imports
from database import BenchError, machine_facts, migrate, run, setup_django

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/b2bportal_bench_saprfc"
MATERIALS, CUSTOMERS, ORDERS, LINES = 20_000, 200, 200, 5
CREDENTIALS_REF = "BENCH_SAP_RFC"
SIMULATOR = "bench"
ENTITIES = ("unit", "category", "warehouse", "product", "stock", "customer")
WORDS = ("Çay", "Şeker", "Gofret", "Bardak", "Kablo", "Profil", "Deterjan", "Zeytinyağı", "Işıklı", "Ğ-Tipi")


def build_system(materials: int, customers: int):
    from stdnum.tr import vkn

    from erpsync.simulators.sap_rfc import SapSystem, register

    rng = random.Random(SEED)  # noqa: S311 - benchmark figures, not secrets
    system = register(SIMULATOR, SapSystem())
    codes = []
    for number in range(1, materials + 1):
        code = f"{100000 + number}" if number % 3 else f"TR-{number:06d}"
        name = f"{rng.choice(WORDS)} {rng.choice(WORDS).lower()} {number}"
        system.add_material(
            code,
            name,
            text_en=f"Item {number}",
            units={"KAR": (12, 1), "PAL": (480, 1)},
            price=Decimal(rng.randint(100, 99_999)) / 100,
            group="GIDA" if number % 2 else "YAPI",
            ean=f"869{number:010d}",
        )
        system.set_stock(code, "1000", "0001", rng.randint(0, 5000))
        codes.append(code)
    for number in range(1, customers + 1):
        digits = f"{200000000 + number:09d}"
        system.add_customer(
            f"{300000 + number}",
            f"Bayi {number} Ticaret A.Ş.",
            tax_number=digits + vkn.calc_check_digit(digits),
            credit_limit=Decimal(1_000_000),
        )
    return system, codes


def create_connection(code: str, **settings):
    return erp_connection(
        code,
        name="SAP ECC",
        adapter="sap_rfc",
        credentials_ref=CREDENTIALS_REF,
        is_default=code == "sap",
        settings={
            "transport": "simulator",
            "simulator": SIMULATOR,
            "sales_org": "1000",
            "locations": ["1000/0001"],
            "rejection_reason": "Z1",
            **settings,
        },
        tax_codes={"1": "20"},
    )


def calls(system) -> int:
    return sum(system.stats.calls.values())


def orders_for(prefix: str, count: int, lines: int, codes: list[str], customers: list[str]):
    rng = random.Random(SEED)  # noqa: S311 - benchmark figures, not secrets
    for number in range(count):
        yield erp_order(rng, f"{prefix}-{number:05d}", customers, codes, lines, unit="ST", price="10")


def export(adapter, order) -> None:
    """What the outbox does: look up, push when SAP has none; after an unknown outcome, look up again."""
    from erpsync.adapters.base import OutcomeUnknownError

    for _attempt in range(3):
        try:
            push_order(adapter, order)
            return
        except OutcomeUnknownError:
            continue
    raise BenchError(f"{order.reference} never went through")


def export_run(system, connection, orders: list, *, threads: int = 1, drop_every: int = 0) -> tuple[int, float]:
    from erpsync.adapters import adapter_for

    before = calls(system)
    started = time.monotonic()
    with adapter_for(connection) as adapter:
        if threads == 1:
            for at, order in enumerate(orders, start=1):
                if drop_every and at % drop_every == 0:
                    system.fault("drop_after", "BAPI_TRANSACTION_COMMIT")
                export(adapter, order)
        else:
            failures: list[Exception] = []

            def work(share: list) -> None:
                try:
                    for order in share:
                        export(adapter, order)
                except Exception as exc:  # reported below
                    failures.append(exc)

            workers = [threading.Thread(target=work, args=(orders[i::threads],)) for i in range(threads)]
            for worker in workers:
                worker.start()
            for worker in workers:
                worker.join()
            if failures:
                raise BenchError(f"export failed: {failures[0]}")
    return calls(system) - before, time.monotonic() - started


def measure(url: str, args) -> list[str]:
    problems: list[str] = []
    logon = {"ASHOST": "sap.example", "SYSNR": "00", "CLIENT": "100", "USER": "RFC_B2B", "PASSWD": "secret"}
    setup_django(url, CREDENTIALS_REF, **logon)
    migrate()
    started = time.monotonic()
    system, codes = build_system(args.materials, args.customers)
    print(
        f"SAP client built in {time.monotonic() - started:.1f} s: {args.materials:,} materials (2 units, "
        f"1 location each), {args.customers:,} customers"
    )
    connection = create_connection("sap")
    print("\nFirst import through the simulator transport:")
    print(f"{'entity':<12}{'records':>10}{'RFC calls':>11}{'seconds':>10}{'records/s':>11}  status")
    for entity, made, took, status, records in timed_imports(connection, ENTITIES, lambda: calls(system)):
        rate = records / took if took else 0
        print(f"{entity:<12}{records:>10,}{made:>11,}{took:>10.1f}{rate:>11,.0f}  {status}")
        if status != "succeeded":
            problems.append(f"import of {entity}: {status}")
    customers = sorted(system.customers)
    runs = (
        ("sequential", "SEQ", 1, 0),
        ("two threads, two sessions", "PAR", 2, 0),
        ("every tenth commit answer lost", "LOST", 1, 10),
    )
    for label, prefix, threads, drop_every in runs:
        orders = list(orders_for(f"B2B-{prefix}", args.orders, args.lines, codes, customers))
        made, took = export_run(system, connection, orders, threads=threads, drop_every=drop_every)
        counts = [len(system.order_by_po(order.reference)) for order in orders]
        title = f"\nOrders, {label} ({args.lines} lines, looked up, created, committed)"
        print(throughput(title, args.orders, took, made, "RFC calls"))
        if any(count != 1 for count in counts):
            problems.append(f"{label}: {sum(counts)} SAP orders for {args.orders} references")
    print(f"\nRFC sessions open at most: {system.stats.most_open}")
    print("\n" + machine_facts())
    return problems


def main(argv: list[str] | None = None) -> int:
    args = count_options(__doc__, argv, materials=MATERIALS, customers=CUSTOMERS, orders=ORDERS, lines=LINES)
    url = os.environ.get("BENCH_SAP_RFC_DATABASE_URL", DEFAULT_DATABASE_URL)
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    return run(url, lambda: measure(url, args), keep=args.keep)


if __name__ == "__main__":
    sys.exit(main())
