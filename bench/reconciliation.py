"""Benchmark: reconciliation exports (``erpsync.reconciliation``), rows/s and memory as the export grows.

For each size (100,000 and 1,000,000 rows unless ``--sizes`` says otherwise) the tables are emptied and filled
again with ``COPY`` (``b2bportal.bulk``), then each report is written once as CSV and once as XLSX with the
export's own writer (``export_file_write``: the chunked row generator and ``b2bportal.spreadsheets``), into a
temporary file:

- orders: that many orders placed in March 2026 over 5,000 dealers, each with an invoice from the ERP (some for
  another amount, some orders cancelled yet invoiced, some approved and never acknowledged) and the status the ERP
  reported last;
- balances: that many dealers, each with an ERP balance and one account movement (one in ten disagreeing).

Printed per report, format and size: seconds, rows/s, the file's size and how much the process's resident memory
grew while writing. Each export runs in a fresh process, so memory freed by building the data cannot hide growth;
its resident memory is read from ``/proc/self/statm`` before the export, every 1,000 rows and at the end
(tracemalloc would slow openpyxl down about fivefold). Flat memory means the growth stays the same
from the smaller size to the larger one.

It uses its own database, ``postgres://postgres@127.0.0.1:5432/b2bportal_bench_reconciliation`` unless
``--database-url`` says otherwise, dropped and created at every run and dropped at the end unless ``--keep``.

    make bench-reconciliation           # or: python bench/reconciliation.py [--sizes 100000,1000000] [--keep]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.database import BenchError, django_environment, drop_database, ensure_database, machine_facts, migrate, sql

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/b2bportal_bench_reconciliation"
DEALERS_WITH_ORDERS = 5_000
PERIOD = (date(2026, 3, 1), date(2026, 3, 31))


def resident() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Sampler:
    """The export's progress hook: passes the rows on and samples the resident memory every 1,000 rows."""

    def __init__(self):
        self.done = self.flagged = self.peak = 0

    def __call__(self, rows):
        from erpsync.reconciliation import TotalRow

        for row in rows:
            if not isinstance(row, TotalRow):
                self.done += 1
                self.flagged += bool(row[-1])
                if self.done % 1000 == 0:
                    self.peak = max(self.peak, resident())
            yield row


def _empty() -> None:
    sql(
        "TRUNCATE dealers_accountentry, dealers_dealerdocument, orders_orderstatuschange, orders_order, "
        "dealers_dealer RESTART IDENTITY CASCADE"
    )


def _dealers(count: int, *, balances: bool) -> int:
    """``count`` dealers; returns the first one's id (ids are consecutive after ``RESTART IDENTITY``)."""
    from b2bportal.bulk import model_rows_insert
    from dealers.models import Dealer

    now = datetime.now().astimezone()
    model_rows_insert(
        Dealer,
        ({"code": f"120.{n:07d}", "title": f"Bayi {n} Ticaret A.Ş.", "tax_number": f"{n:010d}",
          "erp_balance": Decimal(n % 9973) + (Decimal("0.50") if balances and n % 10 == 0 else 0),
          "erp_balance_as_of": now, "ledger_as_of": now} for n in range(count)),
    )  # fmt: skip
    return Dealer.objects.order_by("pk").values_list("pk", flat=True).first()


def build_balances(size: int) -> None:
    from b2bportal.bulk import model_rows_insert
    from dealers.models import AccountEntry
    from erpsync.models import ErpConnection

    connection = ErpConnection.objects.get(code="bench")
    first = _dealers(size, balances=True)
    now = datetime.now().astimezone()
    model_rows_insert(
        AccountEntry,
        ({"connection_id": connection.pk, "erp_id": f"M{n}", "dealer_id": first + n, "kind": "invoice",
          "posted_on": date(2026, 3, 1), "document_number": f"F{n:08d}", "amount": Decimal(n % 9973),
          "as_of": now} for n in range(size)),
    )  # fmt: skip


def build_orders(size: int) -> None:
    from django.utils import timezone

    from b2bportal.bulk import model_rows_insert
    from dealers.models import DealerDocument
    from orders.models import Order, OrderStatusChange
    from orders.status import OrderStatus as S

    first_dealer = _dealers(DEALERS_WITH_ORDERS, balances=False)
    start = timezone.make_aware(datetime.combine(PERIOD[0], datetime.min.time()))
    step = (timedelta(days=31) - timedelta(seconds=1)) / size

    def status(n: int) -> str:
        return S.CANCELLED if n % 50 == 0 else S.APPROVED if n % 50 == 1 else S.INVOICED

    model_rows_insert(
        Order,
        ({"number": f"B2B-{n:08d}", "dealer_id": first_dealer + n % DEALERS_WITH_ORDERS, "status": status(n),
          "currency": "TRY", "total_net": Decimal(1000 + n % 997), "total_vat": Decimal(200),
          "total_gross": Decimal(1200 + n % 997), "idempotency_key": uuid.uuid4(), "placed_at": start + step * n,
          "erp_document_number": "" if n % 50 == 1 else f"SO{n:08d}"} for n in range(size)),
    )  # fmt: skip
    first_order = Order.objects.order_by("pk").values_list("pk", flat=True).first()
    model_rows_insert(
        DealerDocument,
        ({"dealer_id": first_dealer + n % DEALERS_WITH_ORDERS, "order_id": first_order + n, "kind": "invoice",
          "number": f"F{n:08d}", "issued_on": date(2026, 4, 1), "currency": "TRY",
          "gross": Decimal(1200 + n % 997 + (5 if n % 20 == 0 else 0))} for n in range(size) if n % 50 != 1),
    )  # fmt: skip
    model_rows_insert(
        OrderStatusChange,
        ({"order_id": first_order + n, "from_status": S.SHIPPED, "to_status": S.INVOICED, "source": "erp"}
         for n in range(size) if status(n) == S.INVOICED),
    )  # fmt: skip


def measure(report: str, file_format: str, size: int, folder: str) -> dict:
    """Write one export in a fresh process (so memory freed by building the data cannot hide growth); its
    figures."""
    command = [sys.executable, __file__, "--database-url", os.environ["DATABASE_URL"], "--measure",
               f"{report},{file_format},{size},{folder}"]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603 - our own script
    if done.returncode != 0:
        raise BenchError(f"{report} {file_format}: {done.stderr.strip()[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_here(report: str, file_format: str, size: int, folder: str) -> dict:
    """In the child process: the export written once, timed, its resident memory sampled."""
    from erpsync.models import ReconciliationExport
    from erpsync.reconciliation import export_file_write

    export = ReconciliationExport(report=report, format=file_format, period_from=PERIOD[0], period_to=PERIOD[1])
    path = os.path.join(folder, f"{report}-{size}.{file_format}")
    gc.collect()
    base, sampler = resident(), Sampler()
    started = time.perf_counter()
    export_file_write(export, path, progress=sampler)
    seconds = time.perf_counter() - started
    peak = max(sampler.peak, resident())
    if sampler.done != size:
        raise BenchError(f"{report}: {sampler.done:,} rows written, {size:,} expected")
    result = {"report": report, "format": file_format, "rows": size, "seconds": seconds, "rows_s": size / seconds,
              "file_mb": os.path.getsize(path) / 2**20, "memory_mb": (peak - base) / 2**20,
              "flagged": sampler.flagged}  # fmt: skip
    os.remove(path)
    return result


def run(args) -> int:
    import django

    django_environment(args.database_url)
    if args.measure:
        django.setup()
        report, file_format, size, folder = args.measure.split(",", 3)
        print(json.dumps(measure_here(report, file_format, int(size), folder)))
        return 0
    ensure_database(args.database_url, drop=True)
    django.setup()
    migrate()
    from erpsync.models import ErpConnection

    ErpConnection.objects.create(code="bench", name="Bench ERP", adapter="file")
    print(machine_facts())
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-reconciliation-") as folder:
        for size in args.sizes:
            for report in args.reports:
                _empty()
                started = time.monotonic()
                (build_orders if report == "orders" else build_balances)(size)
                sql("ANALYZE")
                print(f"Built {size:,} rows for {report} in {time.monotonic() - started:.1f} s")
                for file_format in args.formats:
                    result = measure(report, file_format, size, folder)
                    results.append(result)
                    print(f"  {report:<9}{file_format:<5}{size:>11,} rows {result['seconds']:>8.1f} s "
                          f"{result['rows_s']:>9,.0f} rows/s  file {result['file_mb']:>6.1f} MB  "
                          f"memory +{result['memory_mb']:.1f} MB  ({result['flagged']:,} flagged)",
                          flush=True)  # fmt: skip
    print()
    print(f"{'report':<10}{'format':<7}{'rows':>11}{'seconds':>10}{'rows/s':>10}{'file MB':>9}{'memory MB':>11}")
    for r in results:
        print(f"{r['report']:<10}{r['format']:<7}{r['rows']:>11,}{r['seconds']:>10.1f}{r['rows_s']:>10,.0f}"
              f"{r['file_mb']:>9.1f}{r['memory_mb']:>11.1f}")  # fmt: skip
    if not args.keep:
        from django.db import connections

        connections.close_all()
        drop_database(args.database_url)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--sizes", default="100000,1000000", help="rows per export, comma-separated")
    parser.add_argument("--reports", default="orders,balances")
    parser.add_argument("--formats", default="csv,xlsx")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--measure", default="", help=argparse.SUPPRESS)  # report,format,size,folder: one export
    args = parser.parse_args()
    args.sizes = [int(s) for s in args.sizes.split(",") if s]
    args.reports = [r for r in args.reports.split(",") if r]
    args.formats = [f for f in args.formats.split(",") if f]
    if not set(args.reports) <= {"orders", "balances"} or not set(args.formats) <= {"csv", "xlsx"}:
        parser.error("reports: orders, balances; formats: csv, xlsx")
    try:
        return run(args)
    except BenchError as exc:
        print(f"bench/reconciliation.py: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
