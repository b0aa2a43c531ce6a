"""Benchmark of the ERP import on PostgreSQL: how fast ``sync_import`` applies big feeds, and that it writes
nothing when nothing changed.

It plays the ERP of the file connection: a generated feed (fixed seed) of 100,000 products (some with packs),
500,000 stock rows (5 warehouses × 100,000), 300,000 prices (3 lists × 100,000) and 5,000 customers (valid VKN
tax numbers, one address each) is written as CSV files with ``erpsync.adapters.file.writer`` (";" and decimal
comma, as documented in ``docs/file-exchange.md``) into a temporary drop folder, and each file is applied with
``erpsync.importers.sync_import``. Units, categories, brands, warehouses and price lists are imported first from
small files and not measured. For each entity, in one run:

1. first load into empty tables;
2. unchanged re-sync: (a) the identical file delivered again (the engine skips it by its SHA-256 digest) and
   (b) the same records exported in another row order, so the digest differs and the real merge runs; (b) is
   the honest figure. Both must write 0 rows: the writes are counted with ``pg_stat_user_tables``
   (``n_tup_ins + n_tup_upd + n_tup_del`` of the entity's tables, after ``pg_stat_force_next_flush()``) and
   cross-checked by counting the rows whose ``xmin`` is newer than the run;
3. a 1 % delta: a full snapshot with 1 % of the records changed; for stock also a changes-only file
   (``entities: {"stock": {"snapshot": false}}``) with another 1 %.

Baselines in the same run (``--skip-baselines`` leaves them out): a raw ``COPY`` of the same rows, ids already
resolved, from an in-memory CSV into the emptied target tables; and django-import-export with a plain
``ModelResource`` for ``catalog.Product`` importing the first 5,000 rows of the product CSV (it is slow: its
rows/s is extrapolated to the full feed). Last, the peak Python memory (``tracemalloc``) of a first product load
of 25 %, 50 % and 100 % of the feed, to see whether memory stays flat as the file grows.

After each measured import the target tables get ``VACUUM ANALYZE`` (not timed), as autovacuum would between
two feeds; the wall time of every ``sync_import`` call is split into SQL statements (timed through Django's
``execute_wrapper``; the COPY into the staging table is not among them) and the rest (reading, parsing,
validating the file and streaming the COPY). ``--explain S`` logs the plan (``auto_explain``, with
``EXPLAIN ANALYZE`` figures) of every statement slower than S seconds; it slows everything down, so its figures
are for reading plans only.

It uses its own database, ``postgres://postgres@127.0.0.1:5432/b2bportal_bench_sync`` unless
``BENCH_SYNC_DATABASE_URL`` says otherwise, dropped and created at every run and dropped at the end unless
``--keep``.

    make bench-sync                         # starts PostgreSQL and installs the Python packages, then runs this
    .venv/bin/python bench/sync.py [--products N] [--customers N] [--skip-baselines] [--skip-import-export] [--keep]
                                   [--explain S]

Goals, printed with the figures: a first load at least 0.5× the rows/s of raw COPY and at least 50× those of
django-import-export; an unchanged re-sync (b) at least 3× the rows/s of the first load, writing 0 rows; peak
memory flat as the file grows.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import gc
import io
import os
import random
import shutil
import sys
import tempfile
import time
import tracemalloc
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

# Run as a script: this folder is on the path.
from database import (
    BenchError,
    SqlTimer,
    django_environment,
    drop_database,
    ensure_database,
    machine_facts,
    migrate,
    sql,
)

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/b2bportal_bench_sync"
SETTINGS_MODULE = "b2bportal.settings.base"

SEED = 2026
PRODUCTS = 100_000
CUSTOMERS = 5_000
DELTA_SHARE = 0.01
IMPORT_EXPORT_SAMPLE = 5_000
MEMORY_SHARES = (0.25, 0.5, 1.0)
FLAT_MEMORY_RATIO = 1.5  # peak at 100 % over peak at 25 % of the feed: at most this counts as "flat"
GOAL_VS_COPY, GOAL_VS_IMPORT_EXPORT, GOAL_UNCHANGED_SPEEDUP = 0.5, 50.0, 3.0
AS_OF = datetime(2026, 3, 1, 14, 30, tzinfo=ZoneInfo("Europe/Istanbul"))

# fmt: off
SECTORS = [
    ("ELK", "Elektrik"), ("AYD", "Aydınlatma"), ("HRD", "Hırdavat"), ("EAL", "El Aletleri"), ("BYA", "Boya"),
    ("TSS", "Tesisat"), ("ISG", "İş Güvenliği"), ("BHC", "Bahçe"), ("YPI", "Yapı Kimyasalları"),
    ("TMZ", "Temizlik"), ("OTO", "Oto Bakım"), ("ISI", "Isıtma Soğutma"),
]
TYPES = ["Kablo", "Anahtar", "Priz", "Sigorta", "LED Ampul", "Vida", "Dübel", "Silikon", "Boya Rulosu",
         "İş Eldiveni", "Matkap Ucu", "Hortum"]
SERIES = ["Nova", "Arte", "Vega", "Prima", "Atlas", "Orion", "Zenit", "Toros", "Delta", "Poyraz", "Lodos", "Sarp"]
SPECS = ["6A", "16A", "9W", "18W", "20 mm", "50 mm", '1/2"', "230V", "M8", "XL", "2 m", "5 m", "1 kg", "25 kg"]
COLOURS = ["Beyaz", "Siyah", "Gri", "Antrasit", "Krom", "Mavi", "Kırmızı", "", "", ""]
BRANDS = ["Volta", "Arma", "Lumex", "Parla", "Demirtaş", "Kuvvet", "Zırh", "Renksan", "Akar", "Derya", "Kalkan",
          "Yıldırım", "Ekin", "Anka", "Tunç", "Sarp", "Bora", "Efe", "Ilgaz", "Kartal"]
WAREHOUSES = [("IST", "İstanbul Merkez Depo"), ("ANK", "Ankara Bölge Depo"), ("IZM", "İzmir Bölge Depo"),
              ("BRS", "Bursa Depo"), ("ADN", "Adana Depo")]
PRICE_LISTS = [("BAYI", "Bayi Fiyatı", "TRY", False), ("PERAKENDE", "Perakende", "TRY", True),
               ("IHRACAT", "İhracat", "USD", False)]
CITIES = [("İstanbul", "Şişli", "34394"), ("Ankara", "Çankaya", "06690"), ("İzmir", "Konak", "35250"),
          ("Bursa", "Nilüfer", "16110"), ("Adana", "Seyhan", "01060"), ("Konya", "Selçuklu", "42060")]
TRADES = ["Elektrik", "Yapı Market", "Hırdavat", "Tesisat", "İnşaat", "Boya", "Aydınlatma", "Nalbur"]
LEGAL_FORMS = ["San. ve Tic. Ltd. Şti.", "Tic. Ltd. Şti.", "San. ve Tic. A.Ş."]
TERMS = [("PESIN", 0), ("V30", 30), ("V60", 60), ("V90", 90)]
# fmt: on

# The tables an entity's import writes; a re-sync of unchanged records must leave them untouched.
TARGETS = {
    "product": ("catalog_product", "catalog_productunit"),
    "stock": ("catalog_stocklevel",),
    "price": ("catalog_pricelistitem",),
    "customer": (
        "dealers_dealer",
        "dealers_dealeraddress",
        "dealers_dealerchange",
        "dealers_paymentterms",
        "dealers_salesrep",
        "erpsync_externalref",
    ),
}
# The tables whose rows are checked by xmin (new or updated rows carry a newer transaction id).
XMIN_TABLES = {
    "product": ("catalog_product", "catalog_productunit"),
    "stock": ("catalog_stocklevel",),
    "price": ("catalog_pricelistitem",),
    "customer": ("dealers_dealer", "dealers_dealeraddress"),
}
FIRST, SAME_FILE, REORDERED = "first load", "unchanged (a) same file", "unchanged (b) reordered"
DELTA, DELTA_CHANGES = "1% delta, snapshot", "1% delta, changes-only file"


# --- Django -------------------------------------------------------------------------------------


def setup_django(url: str) -> None:
    django_environment(url)
    import django

    django.setup()


# --- The generated ERP data ---------------------------------------------------------------------


class Erp:
    """The ERP's records, generated from a fixed seed, and their changes. Stock and prices are kept as arrays
    (one slot per product × warehouse or list × product) and become records only while a file is written."""

    def __init__(self, products: int, customers: int):
        from stdnum import ean
        from stdnum.tr import vkn

        from b2bportal.text import ascii_slug
        from erpsync.adapters.base import ErpAddress, ErpCustomer, ErpProduct, ErpProductUnit

        self.rng = random.Random(SEED)  # noqa: S311 - reproducible data, not secrets
        rng = self.rng
        self.products: list = []
        for index in range(products):
            sector = rng.randrange(len(SECTORS))
            code, _sector_name = SECTORS[sector]
            leaf = rng.randrange(len(TYPES))
            unit = "KG" if code in ("BYA", "YPI") and rng.random() < 0.4 else "AD"
            sku = f"{code}-{index + 1:06d}"
            barcode = f"869{index + 1:09d}"
            barcode += ean.calc_check_digit(barcode)
            packs = ()
            if unit == "AD" and rng.random() < 0.3:
                case = "1" + barcode[:12]
                packs = (ErpProductUnit("KOLI", Decimal(rng.choice((6, 12, 24))), case + ean.calc_check_digit(case)),)
                if rng.random() < 0.2:
                    packs += (ErpProductUnit("PAKET", Decimal("2.5"), "", False),)
            type_name, series = TYPES[leaf], rng.choice(SERIES)
            name = " ".join(f"{type_name} {series} {rng.choice(SPECS)} {rng.choice(COLOURS)}".split())
            self.products.append(
                ErpProduct(
                    code=sku,
                    name=name,
                    unit=unit,
                    name_en=f"{type_name} {series}" if rng.random() < 0.5 else "",
                    vat_rate=Decimal(rng.choices((20, 10, 1), weights=(85, 12, 3))[0]),
                    barcode=barcode,
                    category_code=f"{code}-{leaf + 1:02d}",
                    brand_code=ascii_slug(rng.choice(BRANDS)).upper(),
                    description=f'{type_name}, seri {series}; "{SECTORS[sector][1]}" ürün grubu.',
                    min_order_qty=Decimal(rng.choice((6, 12))) if rng.random() < 0.05 else Decimal(1),
                    order_multiple=Decimal(1),
                    active=rng.random() < 0.99,
                    units=packs,
                )
            )
        self.skus = [p.code for p in self.products]
        self.on_hand = array("q", (0 if rng.random() < 0.15 else rng.randint(1, 2000) for _ in self.stock_slots()))
        self.committed = array("q", (rng.randint(0, v // 3) if v and rng.random() < 0.2 else 0 for v in self.on_hand))
        base = [int(rng.uniform(5, 20000) * 100) for _ in range(products)]
        self.cents = array("q", (int(b * f) for f in (1.0, 1.35, 0.03) for b in base))
        used: set[str] = set()
        self.customers: list = []
        for index in range(customers):
            while True:
                first9 = str(rng.randint(1, 9)) + f"{rng.randint(0, 99_999_999):08d}"
                tax_number = first9 + vkn.calc_check_digit(first9)
                if tax_number not in used:
                    used.add(tax_number)
                    break
            city, district, postal = rng.choice(CITIES)
            trade, rep = rng.choice(TRADES), rng.randint(1, 20)
            terms_code, terms_days = rng.choice(TERMS)
            title = f"{rng.choice(SERIES)} {trade} {rng.choice(LEGAL_FORMS)}"
            self.customers.append(
                ErpCustomer(
                    code=f"120.{index // 1000 + 1:02d}.{index % 1000 + 1:03d}",
                    title=title,
                    tax_number=tax_number,
                    tax_office=district,
                    email=f"muhasebe{index + 1}@bayi.example.com",
                    phone=f"+90 212 {rng.randint(200, 699)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
                    price_list_code=rng.choice(("BAYI", "BAYI", "PERAKENDE")),
                    payment_terms_code=terms_code,
                    payment_terms_days=terms_days,
                    sales_rep_code=f"R{rep:02d}",
                    sales_rep_name=f"Temsilci {rep}",
                    addresses=(
                        ErpAddress(
                            code="MERKEZ",
                            name="Merkez",
                            line1=f"Sanayi Cad. No:{rng.randint(1, 200)}",
                            city=city,
                            district=district,
                            postal_code=postal,
                            is_default=True,
                        ),
                    ),
                )
            )

    def stock_slots(self) -> range:
        return range(len(self.skus) * len(WAREHOUSES))

    def size(self, entity: str) -> int:
        return {
            "product": len(self.products),
            "stock": len(self.on_hand),
            "price": len(self.cents),
            "customer": len(self.customers),
        }[entity]

    def records(self, entity: str, order: Iterable[int]) -> Iterator:
        """The records of ``entity`` at the slots ``order`` names, in that order."""
        from erpsync.adapters.base import ErpPrice, ErpStock

        if entity == "product":
            return (self.products[i] for i in order)
        if entity == "customer":
            return (self.customers[i] for i in order)
        if entity == "stock":
            w = len(WAREHOUSES)
            return (
                ErpStock(
                    self.skus[k // w],
                    WAREHOUSES[k % w][0],
                    Decimal(self.on_hand[k]),
                    Decimal(self.committed[k]),
                    AS_OF,
                )
                for k in order
            )
        n = len(self.skus)
        return (ErpPrice(PRICE_LISTS[k // n][0], self.skus[k % n], Decimal(self.cents[k]).scaleb(-2)) for k in order)

    def shuffled(self, entity: str) -> list[int]:
        order = list(range(self.size(entity)))
        self.rng.shuffle(order)
        return order

    def change(self, entity: str, share: float = DELTA_SHARE) -> list[int]:
        """Change ``share`` of the records of ``entity`` (ERP-side edits); returns their slots."""
        rng = self.rng
        slots = sorted(rng.sample(range(self.size(entity)), max(1, round(self.size(entity) * share))))
        for k in slots:
            if entity == "product":
                p = self.products[k]
                self.products[k] = dataclasses.replace(p, name=f"{p.name} Yeni", vat_rate=Decimal(20))
            elif entity == "stock":
                self.on_hand[k] += rng.randint(1, 50)
            elif entity == "price":
                self.cents[k] = self.cents[k] * 105 // 100 + 1
            else:
                c = self.customers[k]
                self.customers[k] = dataclasses.replace(c, email=f"finans.{c.email}", phone=c.phone[:-2] + "00")
        return slots


def master_records() -> dict[str, list]:
    from b2bportal.text import ascii_slug
    from erpsync.adapters.base import ErpBrand, ErpCategory, ErpPriceList, ErpUnit, ErpWarehouse

    categories = []
    for code, name in SECTORS:
        categories.append(ErpCategory(code, name))
        categories += [
            ErpCategory(f"{code}-{i + 1:02d}", f"{name} / {t}", parent_code=code) for i, t in enumerate(TYPES)
        ]
    return {
        "unit": [
            ErpUnit("AD", "Adet", "Piece"),
            ErpUnit("KOLI", "Koli", "Case"),
            ErpUnit("PAKET", "Paket", "Pack"),
            ErpUnit("KG", "Kilogram", "Kilogram", 3),
        ],
        "category": categories,
        "brand": [ErpBrand(ascii_slug(name).upper(), name) for name in BRANDS],
        "warehouse": [ErpWarehouse(code, name) for code, name in WAREHOUSES],
        "price_list": [
            ErpPriceList(code, name, currency, vat, valid_from=AS_OF.date().replace(month=1, day=1))
            for code, name, currency, vat in PRICE_LISTS
        ],
    }


# --- The drop folder ----------------------------------------------------------------------------


class DropFolder:
    """The ERP side of the file connection: writes each feed as the documented CSV."""

    def __init__(self, root: Path):
        self.root = root
        self.sequence = 0

    def deliver(self, entity: str, label: str, records: Iterable) -> tuple[bytes, int]:
        from erpsync.adapters.file.writer import csv_text

        data = csv_text(entity, records).encode()
        self.deliver_bytes(entity, label, data)
        return data, data.count(b"\n") - 1

    def deliver_bytes(self, entity: str, label: str, data: bytes) -> None:
        from erpsync.adapters.file.writer import drop

        self.sequence += 1
        drop(self.root / "inbound" / entity, f"{entity}-{self.sequence:03d}-{label}.csv", data)


# --- Measuring ----------------------------------------------------------------------------------


@dataclass
class Result:
    entity: str
    phase: str
    rows: int
    seconds: float
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    failed: int = 0
    status: str = ""
    skipped: bool = False
    target_writes: int = 0
    other_writes: dict[str, int] = field(default_factory=dict)
    new_xmin: int = 0
    sql: SqlTimer | None = None
    plans: list[str] = field(default_factory=list)
    read_seconds: float | None = None

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else float("inf")


def table_writes() -> dict[str, int]:
    """``n_tup_ins + n_tup_upd + n_tup_del`` per table of the public schema, counters flushed first."""
    # This backend's pending counters reach the shared statistics when it goes idle after a transaction;
    # the flag makes that happen at once instead of at most once a second.
    sql("SELECT pg_stat_force_next_flush()")
    sql("SELECT pg_stat_clear_snapshot()")
    rows = sql("SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_user_tables WHERE schemaname = 'public'")
    return dict(rows)


def current_xid() -> int:
    return sql("SELECT pg_current_xact_id()::text::bigint % 4294967296")[0][0]


def rows_newer_than(tables: Iterable[str], xid: int) -> int:
    """Rows inserted or updated by a transaction after ``xid`` (deletes show in the statistics only)."""
    return sum(sql(f"SELECT count(*) FROM {t} WHERE xmin::text::bigint >= %s", [xid])[0][0] for t in tables)  # noqa: S608


def vacuum(tables: Iterable[str]) -> None:
    sql(f"VACUUM (ANALYZE) {', '.join(tables)}")


class AutoExplain:
    """With ``seconds``, the plans (EXPLAIN ANALYZE) of statements slower than that, sent to this client."""

    def __init__(self, seconds: float | None):
        self.seconds = seconds
        self.plans: list[str] = []

    def __enter__(self):
        if self.seconds is None:
            return self
        from django.db import connection

        connection.ensure_connection()
        connection.connection.add_notice_handler(self._notice)
        sql("LOAD 'auto_explain'")
        sql(f"SET auto_explain.log_min_duration = {int(self.seconds * 1000)}")
        sql("SET auto_explain.log_analyze = on")
        sql("SET auto_explain.log_buffers = on")
        sql("SET auto_explain.log_nested_statements = on")
        sql("SET client_min_messages = log")
        return self

    def _notice(self, diagnostic) -> None:
        message = diagnostic.message_primary or ""
        if "plan:" in message or "Query Text" in message:
            self.plans.append(message)

    def __exit__(self, *exc) -> None:
        if self.seconds is None:
            return
        from django.db import connection

        sql("SET auto_explain.log_min_duration = -1")
        sql("RESET client_min_messages")
        connection.connection.remove_notice_handler(self._notice)


def measure(connection, entity: str, phase: str, rows: int, *, explain: float | None) -> Result:
    """Apply the feed waiting for ``entity`` with ``sync_import``, timed, with the writes it made."""
    from django.db import connection as db

    from erpsync.importers import sync_import

    targets = TARGETS[entity]
    before, xid = table_writes(), current_xid()
    timer = SqlTimer()
    gc.collect()
    # Commits are timed apart: Django's foreign keys are DEFERRABLE INITIALLY DEFERRED, so their checks run there.
    commit = db._commit

    def timed_commit():
        started = time.perf_counter()
        try:
            return commit()
        finally:
            timer.commits += time.perf_counter() - started

    db._commit = timed_commit
    try:
        with AutoExplain(explain) as explained, db.execute_wrapper(timer):
            started = time.perf_counter()
            run = sync_import(connection=connection, entity=entity)
            seconds = time.perf_counter() - started
    finally:
        del db._commit
    after = table_writes()
    writes = {t: after.get(t, 0) - before.get(t, 0) for t in after}
    feeds = run.summary.get("feeds", [])
    result = Result(
        entity=entity,
        phase=phase,
        rows=rows,
        seconds=seconds,
        created=run.created,
        updated=run.updated,
        unchanged=run.unchanged,
        deactivated=run.deactivated,
        failed=run.failed,
        status=run.status,
        skipped=bool(feeds) and all("skipped" in f for f in feeds),
        target_writes=sum(writes.get(t, 0) for t in targets),
        other_writes={t: n for t, n in writes.items() if n and t not in targets},
        new_xmin=rows_newer_than(XMIN_TABLES[entity], xid),
        sql=timer,
        plans=explained.plans,
    )
    if len(feeds) != 1:
        raise BenchError(f"{entity} {phase}: expected one feed in the run, got {feeds}")
    vacuum(targets)
    print(
        f"  {entity:<9}{phase:<30}{rows:>9,} rows {seconds:>8.2f} s {result.rate:>10,.0f} rows/s   "
        f"created {run.created:,} updated {run.updated:,} unchanged {run.unchanged:,} "
        f"deactivated {run.deactivated:,} failed {run.failed:,}; rows written {result.target_writes:,}",
        flush=True,
    )
    return result


def read_only(connection, entity: str, rows: int) -> float:
    """Seconds to read the waiting file through the adapter alone: decode, split, values into records (nothing
    staged, the file stays in the inbox). The part of an import no merge can avoid."""
    from erpsync.adapters import adapter_for

    count = 0
    started = time.perf_counter()
    with adapter_for(connection) as adapter:
        for feed in adapter.read(entity):
            for _record in feed.records:
                count += 1
    seconds = time.perf_counter() - started
    if count != rows:
        raise BenchError(f"Reading the {entity} file gave {count} records, not {rows}")
    return seconds


def check(result: Result, expected: dict[str, int], problems: list[str]) -> None:
    """Counts the run must report; a difference means the figures measure something else than intended."""
    if result.status != "succeeded":
        problems.append(f"{result.entity} {result.phase}: run status {result.status}")
    got = {name: getattr(result, name) for name in ("created", "updated", "unchanged", "deactivated", "failed")}
    wrong = {name: (got[name], want) for name, want in expected.items() if got[name] != want}
    if wrong:
        detail = ", ".join(f"{name} {g:,} (expected {w:,})" for name, (g, w) in wrong.items())
        problems.append(f"{result.entity} {result.phase}: {detail}")


# --- The import phases --------------------------------------------------------------------------


def load_master_data(connection, folder: DropFolder) -> None:
    from erpsync.importers import sync_import

    started = time.monotonic()
    for entity, records in master_records().items():
        folder.deliver(entity, "master", records)
        run = sync_import(connection=connection, entity=entity)
        if run.status != "succeeded" or run.created != len(records):
            raise BenchError(f"Master data {entity}: {run.status}, created {run.created} of {len(records)}")
    print(f"Master data (units, categories, brands, warehouses, price lists) in {time.monotonic() - started:.1f} s")


def run_entity(connection, erp: Erp, folder: DropFolder, entity: str, args, problems: list[str]) -> list[Result]:
    size = erp.size(entity)
    results = []
    first, _rows = folder.deliver(entity, "first", erp.records(entity, range(size)))
    reading = read_only(connection, entity, size)
    result = measure(connection, entity, FIRST, size, explain=args.explain)
    result.read_seconds = reading
    check(result, {"created": size, "updated": 0, "unchanged": 0, "deactivated": 0, "failed": 0}, problems)
    results.append(result)

    folder.deliver_bytes(entity, "same", first)
    result = measure(connection, entity, SAME_FILE, size, explain=args.explain)
    check(result, {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}, problems)
    if not result.skipped:
        problems.append(f"{entity} {SAME_FILE}: the identical file was not skipped by its digest")
    results.append(result)

    folder.deliver(entity, "reordered", erp.records(entity, erp.shuffled(entity)))
    result = measure(connection, entity, REORDERED, size, explain=args.explain)
    check(result, {"created": 0, "updated": 0, "unchanged": size, "deactivated": 0, "failed": 0}, problems)
    results.append(result)

    changed = erp.change(entity)
    folder.deliver(entity, "delta", erp.records(entity, range(size)))
    result = measure(connection, entity, DELTA, size, explain=args.explain)
    expected = {"created": 0, "updated": len(changed), "unchanged": size - len(changed), "deactivated": 0}
    check(result, {**expected, "failed": 0}, problems)
    results.append(result)

    if entity == "stock":
        changed = erp.change(entity)
        connection.settings = {**connection.settings, "entities": {"stock": {"snapshot": False}}}
        connection.save(update_fields=["settings"])
        folder.deliver(entity, "changes", erp.records(entity, changed))
        result = measure(connection, entity, DELTA_CHANGES, len(changed), explain=args.explain)
        check(result, {"created": 0, "updated": len(changed), "unchanged": 0, "deactivated": 0, "failed": 0}, problems)
        results.append(result)
        connection.settings = {k: v for k, v in connection.settings.items() if k != "entities"}
        connection.save(update_fields=["settings"])
    return results


# --- Baselines ----------------------------------------------------------------------------------


@dataclass
class Baseline:
    entity: str
    label: str
    rows: int
    seconds: float
    note: str = ""

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else float("inf")


def csv_buffer(rows: Iterable[tuple]) -> bytes:
    """Rows as CSV for ``COPY … (FORMAT csv, NULL '\\N')``: None is \\N, an empty string stays empty."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for row in rows:
        writer.writerow(["\\N" if value is None else value for value in row])
    return buffer.getvalue().encode()


def copy_csv(table: str, columns: list[str], data: bytes) -> None:
    from django.db import connection

    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv, NULL '\\N')"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for offset in range(0, len(data), 1 << 20):
            copy.write(data[offset : offset + (1 << 20)])


def timed_copy(parts: list[tuple[str, list[str], bytes]]) -> float:
    """COPY each (table, columns, csv) in one transaction; seconds until committed."""
    from django.db import transaction

    started = time.perf_counter()
    with transaction.atomic():
        for table, columns, data in parts:
            copy_csv(table, columns, data)
    return time.perf_counter() - started


STOCK_COLUMNS = ["product_id", "warehouse_id", "on_hand", "committed_erp", "reserved_portal", "as_of"]
PRICE_COLUMNS = ["price_list_id", "product_id", "unit_id", "min_quantity", "price"]
PACK_COLUMNS = ["product_id", "unit_id", "factor", "barcode", "is_sales_unit"]


def raw_copy_baselines(erp: Erp) -> dict[str, Baseline]:
    """The same rows, ids resolved beforehand, COPYed straight into the emptied target tables."""
    from django.utils import timezone

    from catalog.models import Brand, Category, PriceList, Unit, Warehouse
    from dealers.models import PaymentTerms, SalesRep

    now = timezone.now()
    units = dict(Unit.objects.values_list("code", "id"))
    categories = dict(Category.objects.values_list("code", "id"))
    brands = dict(Brand.objects.values_list("code", "id"))
    warehouses = [dict(Warehouse.objects.values_list("code", "id"))[code] for code, _name in WAREHOUSES]
    lists = dict(PriceList.objects.values_list("code", "id"))
    list_ids = [lists[code] for code, *_rest in PRICE_LISTS]
    terms = dict(PaymentTerms.objects.values_list("code", "id"))
    reps = dict(SalesRep.objects.values_list("code", "id"))
    sql(
        "TRUNCATE catalog_product, catalog_productunit, catalog_stocklevel, catalog_pricelistitem "
        "RESTART IDENTITY CASCADE"
    )
    sql("TRUNCATE dealers_dealer, dealers_dealeraddress, dealers_dealerchange RESTART IDENTITY CASCADE")
    vacuum(TARGETS["product"] + TARGETS["stock"] + TARGETS["price"] + TARGETS["customer"])

    product_columns = ["id", "sku", "name", "name_en", "description", "description_en", "category_id", "brand_id"]
    product_columns += ["barcode", "base_unit_id", "vat_rate", "batch_managed", "min_order_qty", "order_multiple"]
    product_columns += ["image_url", "status", "status_reason", "created_at", "updated_at"]
    products = csv_buffer(
        (
            i + 1,
            p.code,
            p.name,
            p.name_en,
            p.description,
            p.description_en,
            categories[p.category_code],
            brands[p.brand_code],
            p.barcode,
            units[p.unit],
            p.vat_rate,
            "t" if p.batch_managed else "f",
            p.min_order_qty or 1,
            p.order_multiple or 1,
            "",
            "active" if p.active else "inactive",
            "" if p.active else "Passive in the ERP.",
            now,
            now,
        )
        for i, p in enumerate(erp.products)
    )
    packs = csv_buffer(
        (i + 1, units[u.unit], u.factor, u.barcode, "t" if u.sellable else "f")
        for i, p in enumerate(erp.products)
        for u in p.units
    )
    pack_rows = sum(len(p.units) for p in erp.products)
    w = len(WAREHOUSES)
    stock = csv_buffer(
        (k // w + 1, warehouses[k % w], erp.on_hand[k], erp.committed[k], 0, AS_OF) for k in erp.stock_slots()
    )
    n = len(erp.skus)
    prices = csv_buffer(
        (list_ids[k // n], k % n + 1, None, 1, Decimal(erp.cents[k]).scaleb(-2)) for k in range(len(erp.cents))
    )
    dealers = csv_buffer(
        (
            i + 1,
            c.code,
            c.title,
            c.tax_number,
            c.tax_office,
            c.email,
            c.phone,
            c.currency,
            lists[c.price_list_code],
            terms[c.payment_terms_code],
            reps[c.sales_rep_code],
            0,
            0,
            0,
            "f",
            "",
            "f",
            "f",
            "active",
            "",
            now,
            now,
        )
        for i, c in enumerate(erp.customers)
    )
    addresses = csv_buffer(
        (
            i + 1,
            a.code,
            a.kind,
            a.name,
            a.line1,
            a.line2,
            a.district,
            a.city,
            a.postal_code,
            a.country,
            a.phone,
            "t" if a.is_default else "f",
            "t",
            now,
            now,
        )
        for i, c in enumerate(erp.customers)
        for a in c.addresses
    )
    dealer_columns = ["id", "code", "title", "tax_number", "tax_office", "email", "phone", "currency"]
    dealer_columns += ["price_list_id", "payment_terms_id", "sales_rep_id", "credit_limit", "erp_balance"]
    dealer_columns += ["erp_open_orders", "credit_hold", "credit_hold_reason", "requires_manual_review"]
    dealer_columns += ["po_number_required", "status", "status_reason", "created_at", "updated_at"]
    address_columns = ["dealer_id", "code", "kind", "name", "line1", "line2", "district", "city", "postal_code"]
    address_columns += ["country", "phone", "is_default", "is_active", "created_at", "updated_at"]
    pack_table = ("catalog_productunit", PACK_COLUMNS, packs)
    baselines = {
        "product": Baseline(
            "product",
            "raw COPY",
            len(erp.products),
            timed_copy([("catalog_product", product_columns, products), pack_table]),
            f"with {pack_rows:,} packs",
        ),
        "stock": Baseline(
            "stock",
            "raw COPY",
            len(erp.on_hand),
            timed_copy([("catalog_stocklevel", STOCK_COLUMNS, stock)]),
        ),
        "price": Baseline(
            "price",
            "raw COPY",
            len(erp.cents),
            timed_copy([("catalog_pricelistitem", PRICE_COLUMNS, prices)]),
        ),
        "customer": Baseline(
            "customer",
            "raw COPY",
            len(erp.customers),
            timed_copy(
                [("dealers_dealer", dealer_columns, dealers), ("dealers_dealeraddress", address_columns, addresses)]
            ),
            "with one address each",
        ),
    }
    for baseline in baselines.values():
        print(
            f"  {baseline.entity:<9}{baseline.label:<30}{baseline.rows:>9,} rows {baseline.seconds:>8.2f} s "
            f"{baseline.rate:>10,.0f} rows/s {baseline.note}",
            flush=True,
        )
    return baselines


def import_export_baseline(erp: Erp, sample: int) -> Baseline:
    """django-import-export, a plain ``ModelResource`` for ``catalog.Product``, on the first rows of the same
    product CSV (codes resolved by ``ForeignKeyWidget``; the packs column is not imported), into an empty table."""
    import tablib
    from import_export import fields, resources, widgets

    from catalog.models import Brand, Category, Product, Unit
    from erpsync.adapters.file.writer import csv_text

    class ProductResource(resources.ModelResource):
        sku = fields.Field(attribute="sku", column_name="code")
        base_unit = fields.Field(
            attribute="base_unit", column_name="unit", widget=widgets.ForeignKeyWidget(Unit, "code")
        )
        category = fields.Field(
            attribute="category", column_name="category_code", widget=widgets.ForeignKeyWidget(Category, "code")
        )
        brand = fields.Field(
            attribute="brand", column_name="brand_code", widget=widgets.ForeignKeyWidget(Brand, "code")
        )

        class Meta:
            model = Product
            import_id_fields = ("sku",)
            fields = (
                "sku",
                "name",
                "name_en",
                "description",
                "description_en",
                "category",
                "brand",
                "barcode",
                "base_unit",
                "vat_rate",
                "batch_managed",
                "min_order_qty",
                "order_multiple",
            )

    text = csv_text("product", erp.products[:sample])
    sql("TRUNCATE catalog_product, catalog_productunit RESTART IDENTITY CASCADE")
    vacuum(TARGETS["product"])
    started = time.perf_counter()
    dataset = tablib.Dataset().load(text, format="csv", delimiter=";")
    result = ProductResource().import_data(dataset, dry_run=False, raise_errors=True)
    seconds = time.perf_counter() - started
    created = result.totals.get("new", 0)
    if created != sample or Product.objects.count() != sample:
        raise BenchError(f"django-import-export created {created} of {sample} products")
    baseline = Baseline("product", "django-import-export", sample, seconds, "sample; rows/s extrapolated")
    print(
        f"  {'product':<9}{'django-import-export':<30}{sample:>9,} rows {seconds:>8.2f} s {baseline.rate:>10,.0f} "
        f"rows/s (a sample: {len(erp.products):,} rows would take about {len(erp.products) / baseline.rate:,.0f} s)",
        flush=True,
    )
    return baseline


# --- Memory -------------------------------------------------------------------------------------


@dataclass
class MemoryProbe:
    rows: int
    peak: int
    seconds: float


def memory_probes(connection, erp: Erp, folder: DropFolder) -> list[MemoryProbe]:
    """Peak Python memory of a first product load of growing files into an empty table (tracemalloc)."""
    from erpsync.importers import sync_import

    probes = []
    for share in MEMORY_SHARES:
        rows = max(1, int(len(erp.products) * share))
        sql("TRUNCATE catalog_product, catalog_productunit RESTART IDENTITY CASCADE")
        vacuum(TARGETS["product"])
        folder.deliver("product", f"memory-{rows}", erp.products[:rows])
        gc.collect()
        tracemalloc.start()
        tracemalloc.reset_peak()
        started = time.perf_counter()
        run = sync_import(connection=connection, entity="product")
        seconds = time.perf_counter() - started
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        if run.status != "succeeded" or run.created != rows:
            raise BenchError(f"Memory probe at {rows} rows: {run.status}, created {run.created}")
        probes.append(MemoryProbe(rows, peak, seconds))
        print(
            f"  product   first load under tracemalloc {rows:>9,} rows {seconds:>8.2f} s  peak {peak / 2**20:,.1f} MiB"
        )
    return probes


# --- Report -------------------------------------------------------------------------------------


def ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}×"


def print_report(
    results: list[Result],
    copies: dict[str, Baseline],
    import_export: Baseline | None,
    probes: list[MemoryProbe],
    problems: list[str],
    took: float,
) -> None:
    first = {r.entity: r for r in results if r.phase == FIRST}
    print("\nERP import benchmark (sync_import, file connection, CSV)")
    header = (
        f"{'entity':<9}{'phase':<30}{'rows':>9}{'seconds':>9}{'rows/s':>12}{'vs COPY':>10}{'vs i-e':>11}"
        f"{'vs first':>10}  {'created':>8}{'updated':>8}{'unchgd':>8}{'deact.':>7}{'failed':>7}{'written':>9}"
        f"{'xmin':>8}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        copy = copies.get(r.entity)
        vs_copy = r.rate / copy.rate if copy else None
        vs_ie = r.rate / import_export.rate if import_export and r.entity == "product" else None
        vs_first = r.rate / first[r.entity].rate if r.phase != FIRST else None
        print(
            f"{r.entity:<9}{r.phase:<30}{r.rows:>9,}{r.seconds:>9.2f}{r.rate:>12,.0f}{ratio(vs_copy):>10}"
            f"{ratio(vs_ie):>11}{ratio(vs_first):>10}  {r.created:>8,}{r.updated:>8,}{r.unchanged:>8,}"
            f"{r.deactivated:>7,}{r.failed:>7,}{r.target_writes:>9,}{r.new_xmin:>8,}"
        )
    for baseline in [*copies.values(), *([import_export] if import_export else [])]:
        print(
            f"{baseline.entity:<9}{('baseline: ' + baseline.label):<30}{baseline.rows:>9,}{baseline.seconds:>9.2f}"
            f"{baseline.rate:>12,.0f}  {baseline.note}"
        )
    print("-" * len(header))
    print(
        "rows/s: records in the file over the wall time of sync_import (reading the file, staging, merging, "
        "committing, moving the file to done/). vs COPY / vs i-e: rows/s over those of the raw COPY of the entity / "
        "of django-import-export (product; extrapolated from a sample). vs first: rows/s over the first load's. "
        "written: n_tup_ins + n_tup_upd + n_tup_del in pg_stat_user_tables of the entity's tables "
        "(" + "; ".join(f"{e}: {', '.join(t)}" for e, t in TARGETS.items()) + "). xmin: rows of "
        "the entity's main tables inserted or updated after the run began. Unchanged (a) is skipped whole by "
        "the file's digest: its rows/s is that of hashing the file."
    )
    print("Writes to other tables (the run's own records, the warehouses' stock_as_of), unchanged re-syncs:")
    for r in results:
        if r.phase in (SAME_FILE, REORDERED):
            others = ", ".join(f"{t} {n}" for t, n in sorted(r.other_writes.items())) or "none"
            print(f"  {r.entity} {r.phase}: {others}")

    if probes:
        print("\nPeak memory of a first product load (tracemalloc: Python allocations of the sync_import call;")
        print(
            "libpq buffers and the PostgreSQL server are not counted; tracing slows the call, its time is not a figure)"
        )
        base = probes[0]
        for probe in probes:
            print(
                f"  {probe.rows:>9,} rows  peak {probe.peak / 2**20:>8.1f} MiB  "
                f"({probe.peak / probe.rows:,.0f} bytes/row, {probe.peak / base.peak:.2f}× the smallest)"
            )

    print("\nWhere the time goes (per sync_import call: SQL statements through Django; commit, where the deferred")
    print("foreign-key checks run; the rest is reading, parsing and validating the file, streaming the COPY into")
    print("staging, moving the file)")
    for r in results:
        if r.skipped or r.sql is None:
            continue
        statements = sorted(r.sql.statements, reverse=True)
        rest = r.seconds - r.sql.total - r.sql.commits
        print(
            f"  {r.entity} {r.phase}: {r.seconds:.2f} s = SQL {r.sql.total:.2f} s ({len(statements)} statements) + "
            f"commit {r.sql.commits:.2f} s + rest {rest:.2f} s"
        )
        if r.read_seconds is not None:
            print(
                f"      of which reading the file alone (adapter: decode, CSV, values into records; measured apart): "
                f"{r.read_seconds:.2f} s ({r.read_seconds / r.seconds:.0%} of the first load, "
                f"{r.read_seconds * 1e6 / r.rows:.0f} µs per row)"
            )
        for seconds, statement in statements[:3]:
            if seconds >= 0.05 * r.seconds:
                print(f"      {seconds:7.2f} s  {' '.join(statement.split())[:230]}")
        for plan in r.plans:
            print("      plan: " + plan.replace("\n", "\n      "))

    print("\nGoals")
    goals: list[tuple[str, bool, str]] = []
    for entity, r in first.items():
        copy = copies.get(entity)
        if copy:
            value = r.rate / copy.rate
            goals.append((f"{entity}: first load ≥ {GOAL_VS_COPY}× raw COPY", value >= GOAL_VS_COPY, f"{value:.2f}×"))
        if entity == "product" and import_export:
            value = r.rate / import_export.rate
            label = f"product: first load ≥ {GOAL_VS_IMPORT_EXPORT:.0f}× django-import-export"
            goals.append((label, value >= GOAL_VS_IMPORT_EXPORT, f"{value:.1f}×"))
    for r in results:
        if r.phase == REORDERED:
            value = r.rate / first[r.entity].rate
            label = f"{r.entity}: unchanged (b) ≥ {GOAL_UNCHANGED_SPEEDUP:.0f}× the first load's rows/s"
            goals.append((label, value >= GOAL_UNCHANGED_SPEEDUP, f"{value:.2f}×"))
        if r.phase in (SAME_FILE, REORDERED):
            written = f"{r.target_writes} written, {r.new_xmin} with a new xmin"
            goals.append((f"{r.entity}: {r.phase} writes 0 rows", r.target_writes == 0 and r.new_xmin == 0, written))
    if len(probes) > 1:
        value = probes[-1].peak / probes[0].peak
        label = (
            f"product: peak memory flat (≤ {FLAT_MEMORY_RATIO}× from {probes[0].rows:,} to {probes[-1].rows:,} rows)"
        )
        goals.append((label, value <= FLAT_MEMORY_RATIO, f"{value:.2f}×"))
    for label, met, value in goals:
        print(f"  {'met    ' if met else 'NOT MET'}  {label}: {value}")
    print(f"\nMachine: {machine_facts()}")
    print(f"Total runtime: {took:.0f} s")
    if problems:
        print("\nBENCHMARK FAILED, these figures are not to be trusted:\n  " + "\n  ".join(problems), file=sys.stderr)


# --- Command line --------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--products", type=int, default=PRODUCTS, help="products (default 100000); stock is 5×, prices 3×"
    )
    parser.add_argument("--customers", type=int, default=CUSTOMERS, help="customers (default 5000)")
    parser.add_argument("--skip-baselines", action="store_true", help="no raw COPY, no django-import-export")
    parser.add_argument(
        "--skip-import-export", action="store_true", help="the raw COPY baseline only (django-import-export is slow)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database and the drop folder afterwards")
    parser.add_argument(
        "--explain", type=float, metavar="S", help="print the plans of statements slower than S seconds (slows all)"
    )
    args = parser.parse_args(argv)
    if args.products < 1000 or args.customers < 100:
        parser.error("--products must be at least 1000 and --customers at least 100")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = os.environ.get("BENCH_SYNC_DATABASE_URL", DEFAULT_DATABASE_URL)
    started = time.monotonic()
    root = Path(tempfile.mkdtemp(prefix="b2bportal-bench-sync-"))
    problems: list[str] = []
    try:
        ensure_database(url, drop=True)
        setup_django(url)
        migrate()
        from erpsync.models import ErpConnection

        connection = ErpConnection.objects.create(
            code="bench-file", name="Bench ERP (drop folder)", adapter="file", settings={"root": str(root)}
        )
        folder = DropFolder(root)
        load_master_data(connection, folder)
        generated = time.monotonic()
        erp = Erp(args.products, args.customers)
        print(
            f"Generated {len(erp.products):,} products, {len(erp.on_hand):,} stock rows, {len(erp.cents):,} prices, "
            f"{len(erp.customers):,} customers in {time.monotonic() - generated:.1f} s; drop folder {root}"
        )
        print("Imports (each sync_import call timed):")
        results = []
        for entity in ("product", "stock", "price", "customer"):
            results += run_entity(connection, erp, folder, entity, args, problems)
        copies, import_export = {}, None
        if not args.skip_baselines:
            print("Baselines:")
            copies = raw_copy_baselines(erp)
            if not args.skip_import_export:
                import_export = import_export_baseline(erp, min(IMPORT_EXPORT_SAMPLE, len(erp.products)))
        print("Memory:")
        probes = memory_probes(connection, erp, folder)
        print_report(results, copies, import_export, probes, problems, time.monotonic() - started)
    except BenchError as exc:
        print(f"\nBENCHMARK FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        if args.keep:
            print(f"Kept the database and the drop folder {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
            if "django" in sys.modules:
                from django.db import connections

                connections.close_all()
            try:
                drop_database(url)
            except BenchError as exc:
                print(f"Could not drop the benchmark database: {exc}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
