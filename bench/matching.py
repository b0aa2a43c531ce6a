"""Benchmark: matching incoming bank transfers (``payments.matching.statement_match``).

100,000 statement lines against 5,000 dealers and 50,000 open invoices (scale with ``--lines``, ``--dealers``,
``--invoices``). The lines are a mix a Turkish distributor's bank account sees: transfers from IBANs the portal
knows, EFTs with the sender's tax number, invoice numbers with the exact or a partial amount, bare amounts, and
noise (interest, card settlements, unknown senders). Prints lines/s, the share allocated automatically, the time
in each phase (loading the portal's side, scoring, writing allocations and ERP collections) and peak memory.
Goal: at most 10 s for the whole run at full size.

    make bench-matching                 # or: python bench/matching.py [--lines N] [--keep]
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.database import ROOT, BenchError, django_environment, drop_database, ensure_database, migrate

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/b2bportal_bench_matching"
GOAL_SECONDS = 10.0


def _vkn(rng: random.Random) -> str:
    from stdnum.tr import vkn

    digits = f"{rng.randrange(10**8, 10**9)}"
    return digits + vkn.calc_check_digit(digits)


def _iban(n: int) -> str:
    from stdnum import iban

    bban = f"00061{n:017d}"  # bank code, reserve digit and account, as Turkish IBANs are built
    check = iban.calc_check_digits(f"TR00{bban}")
    return f"TR{check}{bban}"


def build(*, dealers: int, invoices: int, lines: int, seed: int) -> dict[str, int]:
    """The portal's side and one statement with ``lines`` lines; returns what each kind of line should do."""
    from dealers.models import Dealer, DealerDocument, DealerIban
    from erpsync.models import ErpConnection
    from payments.models import BankStatement, BankTransaction

    rng = random.Random(seed)  # noqa: S311 - benchmark data
    started = time.monotonic()
    ErpConnection.objects.create(code="bench", name="Bench ERP", adapter="file", is_default=True,
                                 settings={"root": str(ROOT / "var" / "bench-matching")})  # fmt: skip
    Dealer.objects.bulk_create(
        [
            Dealer(code=f"120.{n:05d}", title=f"Bayi {n} Ticaret Ltd. Şti.", tax_number=_vkn(rng))
            for n in range(dealers)
        ],
        batch_size=2000,
    )
    dealer_rows = list(Dealer.objects.values_list("pk", "tax_number"))
    known = dealer_rows[: dealers // 2]
    DealerIban.objects.bulk_create(
        [DealerIban(dealer_id=pk, iban=_iban(i)) for i, (pk, _tax) in enumerate(known)], batch_size=2000
    )
    documents = []
    for n in range(invoices):
        pk, _tax = dealer_rows[n % dealers]
        gross = Decimal(rng.randrange(10_000, 5_000_000)) / 100
        documents.append(DealerDocument(dealer_id=pk, kind="invoice", number=f"GIB2026{n:09d}",
                                        issued_on=date(2026, 1, 1) + timedelta(days=n % 60), gross=gross))  # fmt: skip
    DealerDocument.objects.bulk_create(documents, batch_size=5000)
    statement = BankStatement.objects.create(account_iban=_iban(999_999), format="camt053", file_sha256="f" * 64)
    kinds = {"iban": 0, "tax": 0, "invoice_exact": 0, "invoice_partial": 0, "amount_only": 0, "noise": 0}
    rows = []
    for n in range(lines):
        roll = rng.random()
        pk, tax = rng.choice(dealer_rows)
        amount = Decimal(rng.randrange(1_000, 2_000_000)) / 100
        description, sender = "HAVALE", ""
        if roll < 0.30:
            i = rng.randrange(len(known))
            sender, kind = _iban(i), "iban"
        elif roll < 0.50:
            description, kind = f"EFT {tax} CARI ODEME", "tax"
        elif roll < 0.70:
            doc = documents[rng.randrange(invoices)]
            description, amount, kind = f"FT {doc.number} ODEMESI", doc.gross, "invoice_exact"
        elif roll < 0.80:
            doc = documents[rng.randrange(invoices)]
            description, kind = f"FT {doc.number} KISMI", "invoice_partial"
            amount = (doc.gross / 3).quantize(Decimal("0.01")) or Decimal("1")
        elif roll < 0.90:
            doc = documents[rng.randrange(invoices)]
            amount, kind = doc.gross, "amount_only"
        else:
            description, kind = rng.choice(["MEVDUAT FAIZI", "POS BLOKE COZUM", "KIRA", "MAAS IADE"]), "noise"
        kinds[kind] += 1
        rows.append(BankTransaction(statement=statement, account_iban=statement.account_iban,
                                    booking_date=date(2026, 3, 1) + timedelta(days=n % 28), amount=amount,
                                    description=description, counterparty_iban=sender,
                                    counterparty_name="", fingerprint=f"bench-{n}"))  # fmt: skip
    BankTransaction.objects.bulk_create(rows, batch_size=5000)
    print(f"Built {dealers:,} dealers ({len(known):,} with a known IBAN), {invoices:,} invoices and {lines:,} "
          f"statement lines in {time.monotonic() - started:.1f} s")  # fmt: skip
    return kinds


def run(args) -> int:
    import django

    django_environment(args.database_url)
    ensure_database(args.database_url, drop=True)
    django.setup()
    migrate()
    from django.db import reset_queries
    from django.db.models import Count

    from payments import matching
    from payments.models import Allocation, BankTransaction

    kinds = build(dealers=args.dealers, invoices=args.invoices, lines=args.lines, seed=args.seed)
    reset_queries()
    before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report = matching.statement_match()
    total = report.seconds
    peak_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before_kb) / 1024
    timings = report.phases

    statuses = dict(BankTransaction.objects.values("status").annotate(n=Count("id")).values_list("status", "n"))
    allocations = Allocation.objects.count()
    print()
    print(f"{'lines':<44}{args.lines:>12,}")
    for kind, count in kinds.items():
        print(f"  {kind:<42}{count:>12,}")
    for name, seconds in timings.items():
        print(f"{name:<44}{seconds:>11.2f}s")
    print(f"{'total (index + matching + writes)':<44}{total:>11.2f}s   goal ≤ {GOAL_SECONDS:.0f} s")
    print(f"{'lines/s':<44}{args.lines / total:>12,.0f}")
    auto = statuses.get("allocated", 0) + statuses.get("partial", 0)
    print(f"{'allocated automatically':<44}{auto:>12,}  ({auto / args.lines:.1%})")
    print(f"{'waiting in the queue':<44}{statuses.get('unmatched', 0):>12,}")
    print(f"{'allocations written':<44}{allocations:>12,}")
    print(f"{'peak memory growth':<44}{peak_mb:>11.0f} MB")
    expected_auto = kinds["iban"] + kinds["tax"] + kinds["invoice_exact"]
    print(f"{'expected automatic (iban + tax + exact invoice)':<44}{expected_auto:>12,}")
    if not args.keep:
        from django.db import connections

        connections.close_all()
        drop_database(args.database_url)
    if total > GOAL_SECONDS:
        print(f"Above the goal of {GOAL_SECONDS:.0f} s.")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--dealers", type=int, default=5_000)
    parser.add_argument("--invoices", type=int, default=50_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    try:
        return run(args)
    except BenchError as exc:
        print(f"bench/matching.py: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
