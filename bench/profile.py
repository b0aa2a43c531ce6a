"""Benchmark of the profile adapters at the adapter boundary (no portal database): how long reading a large company
takes through the shipped profiles, and what an order costs.

1. Nebim: the Integrator simulator with ``--items`` products, stock rows and prices in its views, read through
   ``examples/nebim.json`` (``RunProc`` answers whole, ``RunQuery`` paged by ``Take`` 500), then ``--orders`` orders
   pushed (each one ``order_lookup`` by ``RunProc`` before its ``Post``): calls per order, and each reference once.
2. ETA: an ETA-shaped PostgreSQL database with ``--items`` rows in ``STKKART`` and ``STKFIYAT``, read through
   ``examples/eta.json`` (read-only transaction, one connection per read), then ``--orders`` orders written into
   ``SIPFIS``/``SIPHAR`` in one transaction each (numbered from ``HARREFNO``).

Its own database, ``postgres://postgres@127.0.0.1:5432/b2bportal_bench_profile`` unless ``BENCH_PROFILE_DATABASE_URL``
says otherwise, dropped and created at every run and dropped at the end.

    .venv/bin/python bench/profile.py [--items N] [--orders N]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

# Run as a script: this folder is on the path.
from database import BenchError, django_environment, drop_database, ensure_database, machine_facts

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/b2bportal_bench_profile"


def nebim(items: int, orders: int) -> None:
    from erpsync.simulators.nebim import NebimSimulator
    from erpsync.tests.contract import sample_order
    from erpsync.tests.nebim_side import NebimErpSide

    with NebimSimulator() as sim:
        side = NebimErpSide(sim, page_size=500)
        views = sim.company.views
        views["usp_B2B_Products"] = [
            {
                "ItemCode": f"ÜRN-{n:06d}",
                "ItemDescription": f"Ürün {n} ğüşıöç",
                "UnitOfMeasureCode1": "AD",
                "VatRate": 20,
                "Barcode": f"869{n:010d}",
                "IsActive": n % 17 != 0,
            }
            for n in range(items)
        ]
        views["usp_B2B_Inventory"] = [
            {"ItemCode": f"ÜRN-{n:06d}", "WarehouseCode": "M", "InventoryQty1": n % 50} for n in range(items)
        ]
        views["B2B_Units"] = [{"UnitOfMeasureCode": f"B{n}", "UnitOfMeasureDescription": "Birim"} for n in range(1200)]
        with side.make_adapter() as adapter:
            for entity in ("product", "stock", "unit"):
                before, started = sim.calls, time.monotonic()
                count = sum(len(feed.records) for feed in adapter.read(entity, full=True))
                print(
                    f"nebim read {entity}: {count} records, {sim.calls - before} calls, "
                    f"{time.monotonic() - started:.2f} s"
                )
            base = sample_order()
            before, started = sim.calls, time.monotonic()
            for n in range(orders):
                adapter.order_push(_with_reference(base, n))
            elapsed = time.monotonic() - started
        _once(side.received("orders"), orders)
        print(
            f"nebim orders: {orders} in {elapsed:.2f} s ({elapsed / orders * 1000:.1f} ms each), "
            f"{(sim.calls - before) / orders:.1f} calls each, every reference once"
        )


def _once(references: list[str], orders: int) -> None:
    if not len(references) == len(set(references)) == orders:
        raise BenchError(f"{orders} orders pushed, the ERP holds {len(references)} ({len(set(references))} distinct).")


def _with_reference(order, n: int):
    return dataclasses.replace(order, reference=f"B2B-BENCH-{n:05d}")


def eta(url: str, items: int, orders: int) -> None:
    from erpsync.tests.contract import sample_order
    from erpsync.tests.eta_side import SQL_ORDER_WRITE, EtaDatabase, EtaErpSide

    db = EtaDatabase(url)
    db.create()
    side = EtaErpSide(db, Path(tempfile.mkdtemp()), order=SQL_ORDER_WRITE)
    db.execute(
        "INSERT INTO STKKART (STKKOD, STKCINSI, STKBIRIM, STKKDVORAN, STKBAKIYE) VALUES (%s, %s, 'AD', 20, %s)",
        *[(f"ÜRN-{n:06d}", f"Ürün {n}", Decimal(n % 50)) for n in range(items)],
    )
    db.execute(
        "INSERT INTO STKFIYAT (STKFIYSTKKOD, STKFIYNO, STKFIYTUTAR, STKFIYDOVKOD) VALUES (%s, %s, %s, %s)",
        *[(f"ÜRN-{n:06d}", 1 + n % 2, Decimal("10.5") + n, "USD" if n % 2 else None) for n in range(items)],
    )
    with side.make_adapter() as adapter:
        for entity in ("product", "stock", "price", "price_list"):
            started = time.monotonic()
            count = sum(len(feed.records) for feed in adapter.read(entity, full=True))
            print(f"eta read {entity}: {count} records, {time.monotonic() - started:.2f} s")
        started = time.monotonic()
        for n in range(orders):
            adapter.order_push(_with_reference(sample_order(), n))
        elapsed = time.monotonic() - started
    _once(side.received("orders"), orders)
    print(
        f"eta orders into SIPFIS/SIPHAR: {orders} in {elapsed:.2f} s ({elapsed / orders * 1000:.1f} ms each), "
        "every reference once"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--orders", type=int, default=50)
    args = parser.parse_args()
    url = os.environ.get("BENCH_PROFILE_DATABASE_URL", DEFAULT_DATABASE_URL)
    django_environment(url)
    import django

    django.setup()
    ensure_database(url, drop=True)
    try:
        print(machine_facts())
        nebim(args.items, args.orders)
        eta(url, args.items, args.orders)
    except BenchError as exc:
        print(exc, file=sys.stderr)
        return 1
    finally:
        drop_database(url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
