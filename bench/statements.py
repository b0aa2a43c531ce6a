"""Benchmark: importing a large MT940 statement (``payments.statements``).

Generates a Turkish bank's MT940 file of about 160,000 lines and 19 MB (one statement of ~80,000 transfers in a
SWIFT envelope, each a ``:61:`` and a structured ``:86:``; ``--days`` splits it into daily statements) and imports
it three ways, each in its own process so that each has its own peak memory:

- ``whole-file``: the way the admin imported every upload before: the file's bytes in memory, every statement
  parsed with its lines, every row built, then stored (the baseline);
- ``streaming``: ``statement_import`` reading the file from disk, as the command line and small uploads do;
- ``background``: the task a large upload queues (``statement_import_run``), with its progress updates.

Prints for each: seconds, transactions stored per second and the peak resident memory the import added
(``ru_maxrss``). Matching runs after each import, as in the portal, and is included.

    make bench-statements                # or: python bench/statements.py [--lines N] [--days N] [--keep]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.database import BenchError, django_environment, drop_database, ensure_database, migrate

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/b2bportal_bench_statements"
VARIANTS = ("whole-file", "streaming", "background")


def _iban(n: int) -> str:
    from stdnum import iban

    bban = f"00061{n:017d}"
    return f"TR{iban.calc_check_digits(f'TR00{bban}')}{bban}"


def generate(path: Path, *, lines: int, days: int, seed: int) -> int:
    """Write the statement file; returns its number of transactions."""
    rng = random.Random(seed)  # noqa: S311 - benchmark data
    per_day = max(1, lines // 2 // days)
    balance = 1_000_000_00
    account = _iban(1)
    senders = [_iban(1000 + n) for n in range(5000)]
    count = 0
    with path.open("w", encoding="cp1254", newline="\r\n") as out:
        for day in range(days):
            when = f"25{3 + day // 28:02d}{1 + day % 28:02d}"
            out.write(f"{{1:F01TGBATRISAXXX0000000000}}{{2:O9400000{when}TGBATRISAXXX00000000002503040000N}}{{4:\n")
            out.write(f":20:STMT{when}\n:25:{account}\n:28C:{day + 1:05d}/1\n")
            out.write(f":60F:C{when}TRY{balance // 100},{balance % 100:02d}\n")
            for _ in range(per_day):
                count += 1
                cents = rng.randrange(100, 5_000_000)
                credit = rng.random() < 0.8
                balance += cents if credit else -cents
                mark = "C" if credit else "D"
                out.write(
                    f":61:{when}{when[2:]}{mark}{cents // 100},{cents % 100:02d}NTRFNONREF//BRF{when}{count:07d}\n"
                )
                out.write(
                    f":86:051?00HAVALE GELEN?20FATURA F-2025-{count:07d} VKN {rng.randrange(10**9, 10**10)} CARI "
                    f"HESAP ODEMESI SIPARIS B2B-{count:06d} MUSTERI NO {count % 5000:05d}?30TGBATRIS"
                    f"?31{senders[count % 5000]}?32BAYI {count % 5000} TICARET LTD?33 STI\n"
                )
            out.write(f":62F:C{when}TRY{balance // 100},{balance % 100:02d}\n-}}\n")
    return count


def whole_file(path: Path) -> int:
    """The previous import: all of the file, its statements, lines and rows in memory at once, then stored."""
    from django.db import transaction

    from payments.models import BankTransaction
    from payments.statements import importer
    from payments.statements.fingerprints import fingerprints, line_key
    from payments.statements.ibans import normalise_iban
    from payments.statements.mt940_format import parse_mt940

    data = path.read_bytes()
    statements = parse_mt940(data, file_name=path.name)
    merged = importer._merge(statements, "", path.name)
    lines = [line for s in statements for line in s.lines if line.amount != 0]
    account = normalise_iban(merged.account)
    keys = [
        line_key(account=account, booking_date=line.booking_date, amount=line.amount, currency=line.currency,
                 bank_reference=line.bank_reference, description=line.description)
        for line in lines
    ]  # fmt: skip
    import hashlib

    with transaction.atomic():
        checksum = hashlib.sha256(data).hexdigest()
        stored = importer._statement_row(merged, account, "mt940", path.name, checksum, None, [])
        prints = fingerprints(keys)
        rows = [importer._transaction(stored, account, line, fp) for line, fp in zip(lines, prints, strict=True)]
        BankTransaction.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    importer._match(stored)
    return stored.transactions.count()


def streaming(path: Path) -> int:
    from payments.statements.importer import statement_import

    with path.open("rb") as file:
        return statement_import(file_name=path.name, file=file, format="mt940").created


def background(path: Path) -> int:
    from django.core.files import File

    from payments.models import StatementImport
    from payments.statements.background import statement_import_run

    record = StatementImport(file_name=path.name, size=path.stat().st_size, format="mt940")
    with path.open("rb") as file:
        record.file.save("bench.upload", File(file), save=False)
    record.save()
    status = statement_import_run(record.pk)
    record.refresh_from_db()
    if status != "done":
        raise BenchError(f"background import {status}: {record.error}")
    return record.statement.transactions.count()


def child(variant: str, path: Path, url: str) -> None:
    """One import in this process; prints its figures as JSON."""
    django_environment(url, BANK_STATEMENT_UPLOAD_DIR=tempfile.mkdtemp(prefix="bench-statements-"))
    import django

    django.setup()
    from bench.database import sql

    # Each import starts from no statement (the one before left its own, and allocations may point at its lines).
    sql("TRUNCATE payments_banktransaction, payments_bankstatement, payments_statementimport CASCADE")
    before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    stored = {"whole-file": whole_file, "streaming": streaming, "background": background}[variant](path)
    seconds = time.monotonic() - started
    peak_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before_kb) / 1024
    print(json.dumps({"variant": variant, "seconds": seconds, "stored": stored, "peak_mb": peak_mb}))


def run(args) -> int:
    django_environment(args.database_url)
    ensure_database(args.database_url, drop=True)
    import django

    django.setup()
    migrate()
    with tempfile.TemporaryDirectory(prefix="bench-statements-") as folder:
        path = Path(folder) / "hesap_hareketleri.sta"
        started = time.monotonic()
        transactions = generate(path, lines=args.lines, days=args.days, seed=args.seed)
        with path.open("rb") as file:
            file_lines = sum(chunk.count(b"\n") for chunk in iter(lambda: file.read(1 << 20), b""))
        size_mb = path.stat().st_size / 1024 / 1024
        print(f"Generated {file_lines:,} lines, {size_mb:.1f} MB, {transactions:,} transactions in "
              f"{args.days} statement(s) in {time.monotonic() - started:.1f} s")  # fmt: skip
        results = []
        for variant in VARIANTS:
            command = [sys.executable, __file__, "--child", variant, "--file", str(path), "--database-url"]
            done = subprocess.run(  # noqa: S603 - this script, run again as a child
                [*command, args.database_url],
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode:
                raise BenchError(f"{variant} failed:\n{done.stderr[-3000:]}")
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    if not args.keep:
        drop_database(args.database_url)
    print()
    print(f"{'import':<14}{'seconds':>10}{'transactions/s':>16}{'stored':>10}{'peak memory added':>20}")
    for result in results:
        print(f"{result['variant']:<14}{result['seconds']:>9.1f}s{result['stored'] / result['seconds']:>16,.0f}"
              f"{result['stored']:>10,}{result['peak_mb']:>17.0f} MB")  # fmt: skip
    base = results[0]
    for result in results[1:]:
        print(f"{result['variant']} against whole-file: {result['seconds'] / base['seconds']:.2f}x the time, "
              f"{result['peak_mb'] / base['peak_mb']:.2f}x the memory")  # fmt: skip
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--lines", type=int, default=160_000, help="lines of the generated file (about)")
    parser.add_argument("--days", type=int, default=1, help="statements in the file, one a day")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    try:
        if args.child:
            child(args.child, args.file, args.database_url)
            return 0
        return run(args)
    except BenchError as exc:
        print(f"bench/statements.py: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
