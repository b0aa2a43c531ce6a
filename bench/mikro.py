"""Benchmark of the Mikro adapter against a Mikro-shaped PostgreSQL database (the tests' ``MikroDatabase``): a first
import of 50,000 items × 5 warehouses, and order write throughput with one and two workers.

The Mikro side is filled with SQL (fixed seed): ``--items`` items with a second unit (KOLI, -12) and a barcode, one
stock movement per item and warehouse (5 warehouses) plus a transfer for every tenth item, one price each on list 1,
and ``--customers`` customers with an address. A connection ``mikro`` (credentials from the environment, as in
production) reads it.

1. First import: ``unit``, ``category``, ``brand``, ``warehouse``, ``price_list``, ``product``, ``stock``, ``price``,
   ``customer`` with ``sync_import`` into empty tables; stock once more with ``stock_source`` ``movements``
   (one grouped statement per page instead of ``fn_DepodakiMiktar`` per item and warehouse). Wall time per entity.
2. Orders: ``--orders`` orders of ``--lines`` lines written as the outbox does (``order_lookup``, then
   ``order_push``: lock, look again, number, insert), by one worker, then by two at once (threads, own connections):
   orders a second, and a check that every reference became exactly one document with its own number.

Databases: the portal's ``postgres://postgres@127.0.0.1:5432/b2bportal_bench_mikro`` unless
``BENCH_MIKRO_DATABASE_URL`` says otherwise, and the Mikro side's, that name with ``_erp`` after it
(``b2bportal_bench_mikro_erp``), on the same server; both dropped and created at every run and dropped at the end
unless ``--keep``. PostgreSQL stands in for SQL Server
here: the figures say what the adapter's statements cost, not what a production Mikro will answer.

    make bench-mikro
    .venv/bin/python bench/mikro.py [--items N] [--customers N] [--orders N] [--lines N] [--keep]
"""

from __future__ import annotations

import os
import random
import sys
import threading
import time
from decimal import Decimal
from urllib.parse import urlsplit

# Run as a script: this folder is on the path.
from common import SEED, count_options, erp_connection, erp_order, export_orders, print_imports, throughput
from database import machine_facts, migrate, run, setup_django

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/b2bportal_bench_mikro"
ITEMS, CUSTOMERS, ORDERS, LINES = 50_000, 2_000, 200, 5
WAREHOUSES = 5
CREDENTIALS_REF = "BENCH_MIKRO_ERP"
ENTITIES = ("unit", "category", "brand", "warehouse", "price_list", "product", "stock", "price", "customer")


def build_company(db, items: int, customers: int) -> list[str]:
    """Fill the Mikro side with set-based SQL; returns the item codes."""
    rng = random.Random(SEED)  # noqa: S311 - benchmark figures, not secrets
    for number in range(1, WAREHOUSES + 1):
        db.add_warehouse(number, f"Depo {number} — şube")
    db.db.execute(
        "INSERT INTO dbo.STOKLAR (sto_kod, sto_isim, sto_birim1_ad, sto_birim2_ad, sto_birim2_katsayi, "
        "sto_toptan_vergi, sto_kategori_kodu, sto_marka_kodu, sto_lastup_date) "
        "SELECT 'STK-' || lpad(n::text, 6, '0'), 'Ürün ' || n || ' — ışıklı şişe çöp kovası', 'ADET', 'KOLI', -12, "
        "(ARRAY[2, 5, 7])[1 + n %% 3], 'GRP-' || (n %% 40), 'MRK-' || (n %% 25), LOCALTIMESTAMP "
        "FROM generate_series(0, %s - 1) AS n",
        (items,),
    )
    db.db.execute(
        "INSERT INTO dbo.BARKOD_TANIMLARI (bar_kodu, bar_stokkodu, bar_birimpntr) "
        "SELECT '869' || lpad(n::text, 9, '0'), 'STK-' || lpad(n::text, 6, '0'), 1 FROM generate_series(0, %s - 1) n",
        (items,),
    )
    db.db.execute(
        "INSERT INTO dbo.STOK_HAREKETLERI (sth_tarih, sth_tip, sth_stok_kod, sth_miktar, sth_giris_depo_no, "
        "sth_cikis_depo_no) SELECT LOCALTIMESTAMP, 0, 'STK-' || lpad(n::text, 6, '0'), (n * 7 + w * 13) %% 900, w, w "
        "FROM generate_series(0, %s - 1) n CROSS JOIN generate_series(1, %s) w",
        (items, WAREHOUSES),
    )
    db.db.execute(
        "INSERT INTO dbo.STOK_HAREKETLERI (sth_tarih, sth_tip, sth_stok_kod, sth_miktar, sth_giris_depo_no, "
        "sth_cikis_depo_no) SELECT LOCALTIMESTAMP, 2, 'STK-' || lpad(n::text, 6, '0'), 3, 2, 1 "
        "FROM generate_series(0, %s - 1, 10) n",
        (items,),
    )
    db.insert("STOK_SATIS_FIYAT_LISTE_TANIMLARI", sfl_sirano=1, sfl_aciklama="Bayi fiyatı", sfl_kdvdahil=0)
    db.db.execute(
        "INSERT INTO dbo.STOK_SATIS_FIYAT_LISTELERI (sfiyat_stokkod, sfiyat_listesirano, sfiyat_fiyati) "
        "SELECT 'STK-' || lpad(n::text, 6, '0'), 1, round((1 + (n * 37) %% 5000)::numeric / 3, 2) "
        "FROM generate_series(0, %s - 1) n",
        (items,),
    )
    from stdnum.tr import vkn

    for number in range(customers):
        digits = f"{100_000_000 + number * 7:09d}"
        code = f"120.{number // 1000:02d}.{number % 1000:03d}"
        db.add_customer(
            code,
            f"Bayi {number} Ticaret",
            cari_unvan2="Ltd. Şti.",
            cari_vdaire_adi="Şişli",
            cari_vdaire_no=digits + vkn.calc_check_digit(digits),
            cari_EMail=f"bayi{number}@example.com",
            cari_satis_fk=1,
        )
        db.insert("CARI_HESAP_ADRESLERI", adr_cari_kod=code, adr_adres_no=1, adr_cadde=f"Atatürk Cad. No:{number}",
                  adr_il="İstanbul", adr_ilce=rng.choice(["Şişli", "Kadıköy", "Üsküdar"]))  # fmt: skip
    db.db.execute("ANALYZE")
    return [f"STK-{n:06d}" for n in range(items)]


def create_connection(db, code: str, **settings):
    return erp_connection(
        code,
        name="Mikro",
        adapter="mikro",
        credentials_ref=CREDENTIALS_REF,
        is_default=code == "mikro",
        settings={"database_url": db.url, "order_series": "B2B", "page_size": 2000, **settings},
    )


def import_entities(connection, entities) -> list[tuple[str, int, float, str]]:
    from erpsync.importers import sync_import

    rows = []
    for entity in entities:
        started = time.monotonic()
        run = sync_import(connection=connection, entity=entity, full=True)
        rows.append((entity, run.created + run.updated + run.unchanged, time.monotonic() - started, run.status))
        issue = run.issues.first()
        if issue is not None:
            print(f"  {entity}: {run.issues.count()} issues, e.g. {issue.message}")
    return rows


def vat(code: str) -> Decimal:
    return Decimal((1, 20, 10)[int(code[4:]) % 3])


def write_orders(connection, codes: list[str], customers: list[str], count: int, lines: int, prefix: str) -> float:
    rng = random.Random(f"{SEED}-{prefix}")  # noqa: S311 - benchmark figures, not secrets
    orders = (
        erp_order(rng, f"{prefix}-{number:05d}", customers, codes, lines, unit="ADET", vat=vat)
        for number in range(count)
    )
    return export_orders(connection, orders)[1]


def measure(url: str, args, sides: list) -> list[str]:
    problems: list[str] = []
    setup_django(url, CREDENTIALS_REF, USERNAME=urlsplit(url).username or "postgres")
    migrate()
    from erpsync.tests.mikro_side import MikroDatabase

    started = time.monotonic()
    mikro = MikroDatabase("v16", name=f"{urlsplit(url).path.lstrip('/')}_erp")
    sides.append(mikro)
    codes = build_company(mikro, args.items, args.customers)
    customers = [row["cari_kod"] for row in mikro.rows("SELECT cari_kod FROM dbo.CARI_HESAPLAR LIMIT 50")]
    print(
        f"Mikro company built in {time.monotonic() - started:.1f} s: {args.items:,} items × {WAREHOUSES} "
        f"warehouses, {args.customers:,} customers"
    )
    connection = create_connection(mikro, "mikro")
    rows = import_entities(connection, ENTITIES)
    movements = create_connection(mikro, "mikro-movements", stock_source="movements")
    rows += [("stock*", *row[1:]) for row in import_entities(movements, ("stock",))]
    print("\nFirst import (stock* again with stock_source movements: updates):")
    problems += print_imports(rows, counted="records", totals=rows[:-1], note="  (without stock*)")

    # The import leaves dead rows and a lot of WAL behind: vacuum both databases and flush first, so the order
    # figures do not pay for autovacuum and a checkpoint of the import.
    started = time.monotonic()
    from django.db import connection as portal

    with portal.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    mikro.db.execute("VACUUM (ANALYZE)")
    mikro.db.execute("CHECKPOINT")
    print(f"\nVacuum and checkpoint after the import: {time.monotonic() - started:.1f} s")
    took = write_orders(connection, codes, customers, args.orders, args.lines, "B2B-ONE")
    print(throughput(f"Orders, one worker ({args.lines} lines, looked up, then pushed)", args.orders, took))
    results: dict[str, float] = {}
    threads = [
        threading.Thread(
            target=lambda p=prefix: results.__setitem__(
                p, write_orders(connection, codes, customers, args.orders // 2, args.lines, p)
            )
        )
        for prefix in ("B2B-TWO-A", "B2B-TWO-B")
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    took = time.monotonic() - started
    written = len(results) * (args.orders // 2)
    print(throughput("Orders, two workers at once", written, took))
    documents = mikro.rows(
        "SELECT sip_belgeno, COUNT(DISTINCT sip_evrakno_sira) AS docs, COUNT(*) AS lines FROM dbo.SIPARISLER "
        "WHERE sip_belgeno LIKE 'B2B-%%' GROUP BY sip_belgeno"
    )
    numbers = mikro.rows(
        "SELECT COUNT(DISTINCT sip_evrakno_sira) AS n FROM dbo.SIPARISLER WHERE sip_evrakno_seri = 'B2B'"
    )
    expected = args.orders + written
    if len(documents) != expected or any((d["docs"], d["lines"]) != (1, args.lines) for d in documents):
        problems.append(f"{len(documents)} references for {expected} orders, or a reference in two documents")
    if numbers[0]["n"] != expected:
        problems.append(f"{numbers[0]['n']} order numbers for {expected} orders")
    print(f"Every reference one document of {args.lines} lines, {numbers[0]['n']} distinct numbers: "
          f"{'yes' if not problems else 'NO'}")  # fmt: skip
    print("\n" + machine_facts())
    return problems


def main(argv: list[str] | None = None) -> int:
    args = count_options(__doc__, argv, items=ITEMS, customers=CUSTOMERS, orders=ORDERS, lines=LINES)
    url = os.environ.get("BENCH_MIKRO_DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ["DATABASE_URL"] = url  # the Mikro side goes on the same server
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    sides: list = []  # the Mikro side, once made
    return run(
        url,
        lambda: measure(url, args, sides),
        keep=args.keep,
        drop_also=lambda: [side.drop() for side in sides],
    )


if __name__ == "__main__":
    sys.exit(main())
