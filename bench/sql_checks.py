"""Benchmark of the read-only SQL checks: the live stock check of a 50-line cart against the local PostgreSQL and
MariaDB servers, each holding a Logo-shaped firm of 50,000 items counted in 5 warehouses. Goal: p95 ≤ 100 ms.

The ERP databases are scratch databases of the tables the tests use (``erpsync/tests/sql_erp.py``:
``LG_001_ITEMS`` with its unique code index, ``LG_001_01_STINVTOT`` with a row per item, warehouse and day, over
``--days`` days, plus Logo's all-warehouses row ``INVENNO = -1`` per item and day, indexed on
``(STOCKREF, INVENNO)``), named ``sqlchecks_bench_erp``, created at every run and dropped at the end unless
``--keep``. The check is ``erpsync.sqlchecks.checks.run_stock_check`` with the stock statement of the tests (a join and
a ``GROUP BY`` over the day rows), as the portal runs it: a fresh connection per check, the read-only transaction,
the time limit, the bound ``IN (…)`` list of 50 codes, the column check. MariaDB is reached with ``?ssl=disabled``
(the local server has no TLS). The connection to the ERP is not saved
in a portal database: the check does not need one unless it fails (then it records the failure).

1. Without the cache (``sql_cache_seconds`` 0): ``--checks`` checks of a random 50-code cart each.
2. With the cache (``sql_cache_seconds`` 5): the same cart asked ``--checks`` times; the first answer comes from
   the database, the others from the cache (the in-process cache; Redis adds a round trip).

    make bench-sql-checks
    .venv/bin/python bench/sql_checks.py [--items N] [--days N] [--checks N] [--keep] [--only postgresql|mysql]
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time

from database import ROOT, django_environment

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from erpsync.tests import sql_erp

SEED = 2026
ITEMS, WAREHOUSES, DAYS, CHECKS, CART = 50_000, 5, 2, 200, 50
NAME = "sqlchecks_bench_erp"
CREDENTIALS_REF = "BENCH_SQLCHECKS_ERP"


def item_code(n: int) -> str:
    return f"ÜRÜN-{n:06d}"


def stock_rows(items: int, days: int):
    """(STOCKREF, INVENNO, DATE_, ONHAND, RESERVED, ACTSORDER) per item, warehouse and day, and Logo's total row."""
    rng = random.Random(SEED)  # noqa: S311 - benchmark figures, not secrets
    for ref in range(1, items + 1):
        for day in range(1, days + 1):
            date = f"2026-11-{day:02d}"
            total = [0.0, 0.0, 0.0]
            for warehouse in range(WAREHOUSES):
                row = (float(rng.randint(-5, 40)), float(rng.randint(0, 3)), float(rng.randint(0, 2)))
                total = [a + b for a, b in zip(total, row, strict=True)]
                yield (ref, warehouse, date, *row)
            yield (ref, -1, date, *total)


def fill_postgresql(conn, items: int, days: int) -> None:
    with conn.cursor() as cursor:
        with cursor.copy("COPY LG_001_ITEMS (LOGICALREF, CODE, NAME, ACTIVE, CARDTYPE) FROM STDIN") as copy:
            for ref in range(1, items + 1):
                copy.write_row((ref, item_code(ref), f"Ürün {ref} — çeşit", 0, 1))
        with cursor.copy("COPY LG_001_01_STINVTOT FROM STDIN") as copy:
            for row in stock_rows(items, days):
                copy.write_row(row)
        cursor.execute("ANALYZE")


def fill_mariadb(conn, items: int, days: int) -> None:
    batch = 5_000
    with conn.cursor() as cursor:
        rows = [(ref, item_code(ref), f"Ürün {ref} — çeşit", 0, 1) for ref in range(1, items + 1)]
        for start in range(0, len(rows), batch):
            cursor.executemany("INSERT INTO LG_001_ITEMS VALUES (%s, %s, %s, %s, %s)", rows[start : start + batch])
        chunk = []
        for row in stock_rows(items, days):
            chunk.append(row)
            if len(chunk) == batch:
                cursor.executemany("INSERT INTO LG_001_01_STINVTOT VALUES (%s, %s, %s, %s, %s, %s)", chunk)
                chunk = []
        if chunk:
            cursor.executemany("INSERT INTO LG_001_01_STINVTOT VALUES (%s, %s, %s, %s, %s, %s)", chunk)
        cursor.execute("ANALYZE TABLE LG_001_ITEMS, LG_001_01_STINVTOT")
        cursor.fetchall()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, -(-len(ordered) * q // 100) - 1))]


def measure(dialect: str, url: str, items: int, checks: int) -> list[str]:
    from django.core.cache import cache

    from erpsync.models import ErpConnection
    from erpsync.sqlchecks.checks import run_stock_check

    os.environ[f"{CREDENTIALS_REF}_SQL_URL"] = url
    rng = random.Random(SEED)  # noqa: S311
    lines = []
    for cache_seconds in (0, 5):
        connection = ErpConnection(
            pk=1 if cache_seconds == 0 else 2,
            code=f"bench-{dialect}",
            adapter="logo",
            credentials_ref=CREDENTIALS_REF,
            settings={
                "sql_dialect": dialect,
                "sql_stock_statement": sql_erp.STOCK_SQL,
                "live_stock_source": "sql",
                "sql_cache_seconds": cache_seconds,
                "sql_timeout_ms": 2000,
            },
        )
        cache.clear()
        same_cart = [item_code(rng.randint(1, items)) for _ in range(CART)]
        timings, rows, hits = [], 0, 0
        for _ in range(checks):
            cart = [item_code(rng.randint(1, items)) for _ in range(CART)] if cache_seconds == 0 else same_cart
            started = time.perf_counter()
            answer = run_stock_check(connection, cart)
            timings.append((time.perf_counter() - started) * 1000)
            rows, hits = rows + len(answer.figures), hits + answer.cached
        label = "without cache" if cache_seconds == 0 else f"with cache ({hits} of {checks} from the cache)"
        lines.append(
            f"{dialect:10} live stock, {CART}-line cart, {label}: p50 {percentile(timings, 50):.1f} ms, "
            f"p95 {percentile(timings, 95):.1f} ms, max {max(timings):.1f} ms, first {timings[0]:.1f} ms "
            f"({rows / checks:.0f} rows a check)"
        )
        print(lines[-1], flush=True)
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=ITEMS)
    parser.add_argument("--days", type=int, default=DAYS)
    parser.add_argument("--checks", type=int, default=CHECKS)
    parser.add_argument("--only", choices=("postgresql", "mysql"))
    parser.add_argument("--keep", action="store_true", help="leave the ERP databases for a look")
    args = parser.parse_args()
    django_environment(os.environ.get("BENCH_SQL_CHECKS_DATABASE_URL", "sqlite:///:memory:"))
    import django

    django.setup()
    print(
        f"{args.items:,} items × {WAREHOUSES} warehouses × {args.days} days "
        f"(+ Logo's all-warehouses rows) = {args.items * (WAREHOUSES + 1) * args.days:,} stock rows"
    )
    results = []
    # The local MariaDB has TLS turned off: ``ssl=disabled`` says so rather than letting PyMySQL build a TLS context
    # for every connection first (its ``preferred`` default, about 0.1 s a connection on this machine).
    servers = [("postgresql", sql_erp.pg_database, sql_erp.pg_url, fill_postgresql),
               ("mysql", sql_erp.mariadb_database, lambda name: sql_erp.mariadb_url(name, "?ssl=disabled"),
                fill_mariadb)]  # fmt: skip
    for dialect, database, url_of, fill in servers:
        if args.only and dialect != args.only:
            continue
        with database(NAME, keep=args.keep) as conn:
            started = time.monotonic()
            fill(conn, args.items, args.days)
            print(f"{dialect}: filled in {time.monotonic() - started:.1f} s", flush=True)
            results += measure(dialect, url_of(NAME), args.items, args.checks)
    print()
    print("\n".join(results))
    load = " / ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"{os.cpu_count()} CPUs; load average at the end {load}")
    out = io.StringIO()
    print("goal: p95 ≤ 100 ms without the cache", file=out)
    print(out.getvalue(), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
