"""Benchmark: the dealer's account — importing the customer ledger, and the pages built on it.

A distributor's year: ``--dealers`` dealers (default 2,000) with ``--movements`` movements each (default 200), and
one busy dealer with ``--busy`` movements (default 20,000: invoices, collections, credit memos every working day).
The ledger goes through the real path: a CSV file in the file adapter's drop folder, imported by ``sync_import``.
Then, for the busy dealer and for an ordinary one:

* the account page (figures, ageing, open items): SQL queries and server time p50/p95 over N requests;
* the statement of account for the year: page p50/p95, and its downloads — PDF, XLSX, CSV — time and peak Python
  memory (tracemalloc) of each;
* open items and ageing alone.

The ledger import is timed as a first load, then as an unchanged re-sync (the same movements in another order:
nothing may be written), and compared with a raw ``COPY`` of the same rows into the emptied table at the end; its
peak Python memory is taken on a full re-read under tracemalloc (not timed).

Goals, printed for comparison: ledger import at least 20,000 rows/s, at least 0.5× raw COPY, an unchanged re-sync
at least 3× as fast as the first load; the account page at most 10 queries and p95 at most 150 ms for an ordinary
dealer.

    make bench-account                 # or: python bench/account.py [--dealers N] [--movements N] [--busy N]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import percentile
from bench.database import ROOT, django_environment, drop_database, ensure_database, machine_facts, migrate

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/b2bportal_bench_account"
GOAL_IMPORT_ROWS_S, GOAL_QUERIES, GOAL_P95_MS = 20_000, 10, 150.0
YEAR = 2026
PDF_LIMIT_MOVEMENTS = 495  # a statement just under the PDF cap (dealers.views.STATEMENT_PDF_MAX_LINES)


def _vkn(n: int) -> str:
    from stdnum.tr import vkn

    digits = f"{100_000_000 + n:09d}"
    return digits + vkn.calc_check_digit(digits)


def _ledger_rows(rng: random.Random, code: str, count: int):
    """``count`` movements of one dealer over the year: invoices, most of them collected, some credit memos."""
    day0 = date(YEAR, 1, 1)
    yield f"{code}/D;{code};01.01.{YEAR};opening;{rng.randint(0, 50_000)},00;TRY;DEVIR;;Devir;;"
    for n in range(1, count):
        day = day0 + timedelta(days=int(n * 330 / count))
        stamp = day.strftime("%d.%m.%Y")
        due = (day + timedelta(days=30)).strftime("%d.%m.%Y")
        roll = rng.random()
        if roll < 0.55:
            amount = rng.randint(1_000, 90_000)
            yield f"{code}/{n};{code};{stamp};invoice;{amount},50;TRY;GIB{YEAR}{n:09d};{due};Satış faturası;;"
        elif roll < 0.95:
            amount = rng.randint(1_000, 80_000)
            yield f"{code}/{n};{code};{stamp};collection;-{amount},00;TRY;TAH-{n:06d};;Havale/EFT;;"
        else:
            yield f"{code}/{n};{code};{stamp};credit_memo;-{rng.randint(100, 5_000)},25;TRY;IADE-{n};;İade;;"


def build(*, dealers: int, movements: int, busy: int, seed: int) -> tuple[Path, int]:
    """Dealers in the database, the ledger as one CSV in a fresh drop folder; returns the folder and row count."""
    import shutil

    from dealers.models import Dealer, DealerUser
    from erpsync.models import ErpConnection

    rng = random.Random(seed)  # noqa: S311 - benchmark data
    Dealer.objects.bulk_create(
        [Dealer(code=f"120.{n:05d}", title=f"Bayi {n} Ticaret Ltd. Şti.", tax_number=_vkn(n)) for n in range(dealers)],
        batch_size=2000,
    )
    from accounts.models import User

    for code in ("120.00000", "120.00001", "120.00002"):
        user = User.objects.create_user(f"bench.{code}@bench.b2bportal.local", "bench-account-2026!")
        DealerUser.objects.create(user=user, dealer=Dealer.objects.get(code=code), role=DealerUser.Role.ADMIN)
    root = ROOT / "var" / "bench-account"
    shutil.rmtree(root, ignore_errors=True)
    folder = root / "inbound" / "ledger"
    folder.mkdir(parents=True)
    rows = 0
    with (folder / f"ledger-{YEAR}1231.csv").open("w", encoding="utf-8") as out:
        out.write("entry_id;customer_code;posted_on;kind;amount;currency;document_number;due_on;description;"
                  "open_amount;updated_at\n")  # fmt: skip
        for n in range(dealers):
            count = busy if n == 0 else PDF_LIMIT_MOVEMENTS if n == 2 else movements
            for line in _ledger_rows(rng, f"120.{n:05d}", count):
                out.write(line + "\n")
                rows += 1
    ErpConnection.objects.create(code="bench", name="Bench ERP", adapter="file", is_default=True,
                                 settings={"root": str(root)})  # fmt: skip
    return root, rows


def _redeliver(root: Path, name: str) -> None:
    """The last applied ledger file again, its movements in reverse order (so the file's own digest differs)."""
    done = root / "inbound" / "ledger" / "done"
    source = sorted(p for p in done.glob("*.csv") if not p.name.endswith(".result.json"))[-1]
    header, *lines = source.read_text(encoding="utf-8").splitlines()
    (root / "inbound" / "ledger" / name).write_text("\n".join([header, *reversed(lines)]) + "\n", encoding="utf-8")


def resync(connection, root: Path, rows: int, first: float) -> None:
    """The same movements in another order: nothing changed, so nothing may be written."""
    from django.db import connection as db

    from erpsync.importers import sync_import

    with db.cursor() as cursor:
        cursor.execute("SELECT txid_current()")
        since = cursor.fetchone()[0] % 2**32
    _redeliver(root, f"ledger-{YEAR}1231-again.csv")
    started = time.perf_counter()
    run = sync_import(connection=connection, entity="ledger")
    elapsed = time.perf_counter() - started
    with db.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM dealers_accountentry WHERE xmin::text::bigint > %s", [since])
        written = cursor.fetchone()[0]
    [feed] = run.summary["feeds"]
    print(
        f"Ledger import, unchanged re-sync (other row order): {elapsed:.1f} s = {rows / elapsed:,.0f} rows/s, "
        f"{first / elapsed:.2f}× the first load (goal 3×); created {run.created}, updated {run.updated}, "
        f"unchanged {run.unchanged:,}, skipped unparsed {feed.get('skipped_unchanged', 0):,}; "
        f"movements written {written}"
    )


def copy_baseline(rows: int, first: float) -> None:
    """A raw COPY of the same movements (dealers resolved) into the emptied table, in one transaction."""
    import io

    from django.db import connection, transaction

    with connection.cursor() as cursor:
        buffer = io.BytesIO()
        with cursor.cursor.copy(
            "COPY (SELECT dealer_id, connection_id, erp_id, kind, posted_on, due_on, document_number, description, "
            "currency, amount, open_amount, as_of FROM dealers_accountentry) TO STDOUT"
        ) as copy:
            for block in copy:
                buffer.write(block)
        cursor.execute("TRUNCATE dealers_accountentry")
    columns = ("dealer_id, connection_id, erp_id, kind, posted_on, due_on, document_number, description, currency, "
               "amount, open_amount, as_of")  # fmt: skip
    started = time.perf_counter()
    with (
        transaction.atomic(),
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY dealers_accountentry ({columns}) FROM STDIN") as copy,
    ):
        copy.write(buffer.getvalue())
    elapsed = time.perf_counter() - started
    print(
        f"\nBaseline: raw COPY of the same {rows:,} movements into the emptied table: {elapsed:.1f} s = "
        f"{rows / elapsed:,.0f} rows/s; the first load is {elapsed / first:.2f}× its rows/s (goal 0.5×)"
    )


def timed(fn, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return times


def peak(fn) -> tuple[float, float, object]:
    """Milliseconds of one call, and the peak Python memory (MiB) of a second one under tracemalloc (which slows
    Python several times, so it is not timed)."""
    started = time.perf_counter()
    result = fn()
    elapsed = (time.perf_counter() - started) * 1000
    tracemalloc.start()
    fn()
    _current, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, top / 2**20, result


def measure_dealer(label: str, code: str, requests: int) -> None:
    from django.db import connection
    from django.test import Client

    from dealers.account import statement
    from dealers.models import AccountEntry, Dealer
    from dealers.views import STATEMENT_PDF_MAX_LINES
    from payments.receivables import open_items

    dealer = Dealer.objects.get(code=code)
    count = AccountEntry.objects.filter(dealer=dealer).count()
    print(f"\n{label}: {code}, {count:,} movements")
    client = Client()
    client.force_login(dealer.users.get().user)
    period = f"date_from={YEAR}-01-01&date_to={YEAR}-12-31"

    def get(url: str):
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{url} answered {response.status_code}")
        if hasattr(response, "streaming_content"):
            return b"".join(response.streaming_content)
        return response.content

    for name, url, repeat in (
        ("account page", "/account/", requests),
        ("statement page", f"/account/statement/?{period}", max(3, requests // 10)),
    ):
        get(url)
        statements: list[str] = []

        def counting(execute, sql, *rest, statements=statements):
            statements.append(sql)
            return execute(sql, *rest)

        with connection.execute_wrapper(counting):
            get(url)
        times = timed(lambda url=url: get(url), repeat)
        print(
            f"  {name:<16} {len(statements):>3} queries  p50 {percentile(times, 50):8.1f} ms  "
            f"p95 {percentile(times, 95):8.1f} ms  ({repeat} requests)"
        )
    for fmt in ("csv", "xlsx", "pdf"):
        if fmt == "pdf" and count > STATEMENT_PDF_MAX_LINES:
            print(f"  download pdf     refused: more than {STATEMENT_PDF_MAX_LINES:,} lines go as XLSX or CSV")
            continue
        ms, mib, body = peak(lambda fmt=fmt: get(f"/account/statement/?{period}&format={fmt}"))
        print(f"  download {fmt:<7} {ms:8.1f} ms  peak {mib:7.1f} MiB  {len(body) / 2**20:6.2f} MiB file")
    ms, mib, result = peak(lambda: open_items(dealer))
    print(f"  open items       {ms:8.1f} ms  peak {mib:7.1f} MiB  {len(result.items):,} open, total {result.total}")
    ms, mib, result = peak(lambda: statement(dealer, date(YEAR, 1, 1), date(YEAR, 12, 31)))
    print(f"  statement        {ms:8.1f} ms  peak {mib:7.1f} MiB  closing {result.closing}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dealers", type=int, default=2_000)
    parser.add_argument("--movements", type=int, default=200)
    parser.add_argument("--busy", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--database-url", default=DEFAULT_URL)
    args = parser.parse_args()

    ensure_database(args.database_url, drop=True)
    django_environment(args.database_url, ALLOWED_HOSTS="127.0.0.1,testserver")
    import django

    django.setup()
    migrate()
    print(machine_facts())
    started = time.monotonic()
    _root, rows = build(dealers=args.dealers, movements=args.movements, busy=args.busy, seed=args.seed)
    print(f"Built {args.dealers:,} dealers and a ledger file of {rows:,} rows in {time.monotonic() - started:.1f} s")

    from django.db.models import Sum

    from dealers.models import AccountEntry
    from erpsync.importers import sync_import
    from erpsync.models import ErpConnection

    connection = ErpConnection.objects.get(code="bench")
    started = time.perf_counter()
    run = sync_import(connection=connection, entity="ledger")
    first = time.perf_counter() - started
    rate = run.created / first if first else 0
    print(
        f"\nLedger import, first load: {run.created:,} created, {run.failed} refused, {run.status}, in {first:.1f} s "
        f"= {rate:,.0f} rows/s (goal {GOAL_IMPORT_ROWS_S:,}; timed without tracemalloc)"
    )
    stored = AccountEntry.objects.count()
    if stored != rows:
        raise SystemExit(f"The file held {rows:,} movements but {stored:,} were stored.")
    print(f"Sum of all movements: {AccountEntry.objects.aggregate(s=Sum('amount'))['s']}")
    resync(connection, _root, rows, first)

    _redeliver(_root, f"ledger-{YEAR}1231-memory.csv")
    tracemalloc.start()
    run = sync_import(connection=connection, entity="ledger", full=True)
    _current, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"Ledger import, every record read (full run) under tracemalloc: peak Python memory {top / 2**20:.1f} MiB")

    measure_dealer("Ordinary dealer", "120.00001", args.requests)
    measure_dealer("Dealer at the PDF limit", "120.00002", args.requests)
    measure_dealer("Busy dealer", "120.00000", args.requests)
    copy_baseline(rows, first)
    print(
        f"\nGoals: import ≥ {GOAL_IMPORT_ROWS_S:,} rows/s; account page ≤ {GOAL_QUERIES} queries, "
        f"p95 ≤ {GOAL_P95_MS:.0f} ms for an ordinary dealer."
    )
    if not args.keep:
        from django.db import connections

        connections.close_all()
        drop_database(args.database_url)


if __name__ == "__main__":
    main()
