"""Benchmark of the dealer catalogue on PostgreSQL: SQL queries per page and server time, alone and under load.

A dealer user signs in to a large catalogue (100,000 products in about 2,000 categories, 5 warehouses, three
price lists with quantity breaks, 5,000 dealers with 20,000 agreements) and asks for:

* the catalogue page with 50 items: all products, one category (with everything below it), sorted by price;
* a search for a word that matches a few hundred products;
* the product page, for random SKUs.

For each page it reports the number of SQL queries of one request, the items on the page, and the server
time p50/p95/max over N requests made in-process with Django's test client (after a warm-up); and the query
count at every page size the catalogue offers (24, 50, 100: the form ignores other values), which must be the
same. Then it starts gunicorn (sync workers) on 127.0.0.1 and
drives each page with wrk and the dealer's session cookie: requests/s and latency p50/p95/p99. Any answer
outside 2xx fails the run: a benchmark of error pages or sign-in redirects is worthless.

It uses its own database, ``postgres://postgres@127.0.0.1:5432/b2bportal_bench`` unless ``BENCH_DATABASE_URL``
says otherwise, creates and migrates it, and builds the catalogue once (``--rebuild`` drops it and starts over).

    make bench-catalog                        # installs wrk and the Python packages, then runs this
    .venv/bin/python bench/catalog.py [--rebuild] [--requests N] [--duration S] [--connections C] [--skip-load]

More options: ``--workers`` (gunicorn, default 3), ``--budget`` (seconds per page in-process before a slow page
stops early), ``--show-sql`` (each page's slowest query), ``--products`` (catalogue size), and ``--stand-in``, which
measures the existing dealer pages / and /orders/ in place of the catalogue pages, to check the benchmark itself.

Goals, printed for comparison: at most 10 queries per page, the same at every page size; p95 at the server of at
most 50 ms.
"""

from __future__ import annotations

import argparse
import http.client
import math
import os
import platform
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote, urlsplit

# Run as a script: this folder is on the path.
from database import BenchError, django_environment, ensure_database, migrate

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/b2bportal_bench"
SETTINGS_MODULE = "b2bportal.settings.base"

SEED = 2026
PRODUCTS = 100_000
DEALERS = 5_000
AGREEMENTS = 20_000
BENCH_EMAIL = "bench.dealer@bench.b2bportal.local"
BENCH_PASSWORD = "bench-dealer-2026!"  # noqa: S105 - a published password, in the benchmark database only
USD_RATE, EUR_RATE = Decimal("42.35"), Decimal("49.10")
WARMUP = 10
GOAL_QUERIES, GOAL_P95_MS = 10, 50.0
SKU_RE = re.compile(rb"\b[A-Z]{3}-\d{6}\b")

# The pages measured. --stand-in points them at existing dealer pages, to check the benchmark itself
# on a checkout where the catalogue views are not routed yet.
CATALOGUE_URLS = {
    "list": "/catalog/?per_page={per_page}",
    "category": "/catalog/?category={category}&per_page=50",
    "sort": "/catalog/?per_page=50&sort=price",
    "search": "/catalog/?q={q}&per_page=50",
    "product": "/catalog/p/{sku}/",
}
STAND_IN_URLS = {
    "list": "/orders/?per_page={per_page}",
    "category": "/orders/?category={category}&per_page=50",
    "sort": "/orders/?per_page=50&sort=price",
    "search": "/orders/?q={q}&per_page=50",
    "product": "/?sku={sku}",
}

# --- Catalogue vocabulary: "Turkish=English" ------------------------------------------------------


def items(text: str) -> list[str]:
    return text.split("|")


# fmt: off
SECTORS = [
    ("ELK", "Elektrik=Electrical", "Kablo=Cable|Anahtar=Switch|Priz=Socket|Sigorta=Circuit Breaker|Kablo Kanalı=Cable "
     "Trunking|Buat=Junction Box|Uzatma Kablosu=Extension Lead|Klemens=Terminal Block|Kontaktör=Contactor|Pano=Panel|"
     "Topraklama Çubuğu=Earth Rod|Zil=Doorbell"),
    ("AYD", "Aydınlatma=Lighting", "LED Ampul=LED Bulb|LED Panel|Projektör=Floodlight|Şerit LED=LED Strip|"
     "Spot=Downlight|Avize=Chandelier|Aplik=Wall Light|Sokak Armatürü=Street Light|Acil Durum Armatürü=Emergency Light|"
     "Masa Lambası=Desk Lamp|Lambader=Floor Lamp|Bahçe Armatürü=Garden Light"),
    ("HRD", "Hırdavat=Hardware", "Pense=Pliers|Tornavida=Screwdriver|Çekiç=Hammer|Anahtar Takımı=Spanner Set|"
     "Vida=Screw|Dübel=Anchor|Menteşe=Hinge|Kilit=Lock|Zımpara=Sandpaper|Matkap Ucu=Drill Bit|Şerit Metre=Tape Measure|"
     "Su Terazisi=Spirit Level"),
    ("EAL", "Elektrikli El Aletleri=Power Tools", "Darbeli Matkap=Impact Drill|Akülü Vidalama=Cordless Drill|"
     "Avuç Taşlama=Angle Grinder|Kırıcı Delici=Rotary Hammer|Dekupaj Testere=Jigsaw|Daire Testere=Circular Saw|"
     "Planya=Planer|Sıcak Hava Tabancası=Heat Gun|Zımpara Makinesi=Sander|Kompresör=Compressor|"
     "Kaynak Makinesi=Welding Machine|Basınçlı Yıkama Makinesi=Pressure Washer"),
    ("BYA", "Boya=Paint", "İç Cephe Boyası=Interior Paint|Dış Cephe Boyası=Exterior Paint|Astar=Primer|Vernik=Varnish|"
     "Sprey Boya=Spray Paint|Macun=Filler|Boya Rulosu=Paint Roller|Fırça=Brush|Maskeleme Bandı=Masking Tape|"
     "Tiner=Thinner|Ahşap Koruyucu=Wood Stain|Metal Boya=Metal Paint"),
    ("TSS", "Tesisat=Plumbing", "PPR Boru=PPR Pipe|PPR Dirsek=PPR Elbow|Küresel Vana=Ball Valve|Batarya=Mixer Tap|"
     "Sifon=Siphon|Rezervuar=Cistern|Duş Seti=Shower Set|Flex Hortum=Flexible Hose|Radyatör Vanası=Radiator Valve|"
     "Pis Su Borusu=Waste Pipe|Çekvalf=Check Valve|Hidrofor=Booster Pump"),
    ("ISG", "İş Güvenliği=Work Safety", "İş Eldiveni=Work Glove|İş Ayakkabısı=Safety Shoe|Baret=Safety Helmet|"
     "Koruyucu Gözlük=Safety Glasses|Toz Maskesi=Dust Mask|Kulak Koruyucu=Ear Muffs|Reflektörlü Yelek=Hi-vis Vest|"
     "Emniyet Kemeri=Safety Harness|Yüz Siperi=Face Shield|İş Tulumu=Coverall|Kaynak Maskesi=Welding Mask|"
     "İlk Yardım Çantası=First Aid Kit"),
    ("BHC", "Bahçe=Garden", "Bahçe Hortumu=Garden Hose|Çim Biçme Makinesi=Lawn Mower|Budama Makası=Pruning Shears|"
     "Kürek=Shovel|Tırmık=Rake|Sulama Tabancası=Spray Gun|Damla Sulama Borusu=Drip Irrigation Pipe|Saksı=Flower Pot|"
     "Çim Tohumu=Grass Seed|Gübre=Fertiliser|Çit Makası=Hedge Shears|Motorlu Tırpan=Brush Cutter"),
    ("YPI", "Yapı Kimyasalları=Building Chemicals", "Silikon=Silicone Sealant|Poliüretan Köpük=PU Foam|"
     "Seramik Yapıştırıcı=Tile Adhesive|Derz Dolgu=Grout|Su Yalıtım Membranı=Waterproofing Membrane|Epoksi=Epoxy|"
     "Çimento=Cement|Alçı=Plaster|Sıva=Render|Montaj Yapıştırıcı=Construction Adhesive|Beton Katkısı=Concrete "
     "Admixture|Mastik=Mastic"),
    ("TMZ", "Temizlik=Cleaning", "Yüzey Temizleyici=Surface Cleaner|Çöp Torbası=Bin Bag|Mop|Kağıt Havlu=Paper Towel|"
     "Sıvı Sabun=Liquid Soap|Dezenfektan=Disinfectant|Paspas Kovası=Mop Bucket|Süpürge=Broom|"
     "Mikrofiber Bez=Microfibre Cloth|Bulaşık Deterjanı=Dish Soap|Cam Sileceği=Window Squeegee|"
     "Endüstriyel Süpürge=Industrial Vacuum"),
    ("OTO", "Oto Bakım=Car Care", "Motor Yağı=Engine Oil|Antifriz=Antifreeze|Akü=Battery|Silecek=Wiper Blade|"
     "Oto Şampuanı=Car Shampoo|Lastik Parlatıcı=Tyre Shine|Çekme Halatı=Tow Rope|Kriko=Jack|"
     "Akü Takviye Kablosu=Jump Leads|Hava Filtresi=Air Filter|Fren Hidroliği=Brake Fluid|Cam Suyu=Screenwash"),
    ("ISI", "Isıtma Soğutma=Heating & Cooling", "Kombi=Combi Boiler|Panel Radyatör=Panel Radiator|"
     "Klima=Air Conditioner|Vantilatör=Fan|Elektrikli Isıtıcı=Electric Heater|Termostat=Thermostat|"
     "Havlupan=Towel Radiator|Aspiratör=Extractor Fan|Şofben=Water Heater|Nem Alma Cihazı=Dehumidifier|"
     "Yerden Isıtma Borusu=Underfloor Heating Pipe|Baca Seti=Flue Kit"),
]
QUALIFIERS = items("Profesyonel=Professional|Ekonomik=Economy|Endüstriyel=Industrial|Ev Tipi=Household|"
                   "Paslanmaz=Stainless|Kompakt=Compact|Ağır Hizmet=Heavy Duty|Premium|Dış Mekan=Outdoor|"
                   "İç Mekan=Indoor|Akıllı=Smart|Yedek Parça=Spare Part|Aksesuar=Accessory")
SERIES = items("Nova|Arte|Vega|Prima|Sonata|Lale|Defne|Mira|Atlas|Orion|Zenit|Toros|Ergo|Flex|Delta|Sigma|Eko|Maxi|"
               "Lidya|Efes|Truva|Likya|Kapadokya|Pamir|Sarp|Tuna|Ada|Poyraz|Lodos|Kuzey")
SPECS = {
    "PCS": items('6A|16A|32A|9W|18W|36W|20 mm|50 mm|100 mm|1/2"|3/4"|230V|18V|M8|M10|No 4=Size 4|XL|42|1200W|2 m|5 m'),
    "KG": items("1 kg|2,5 kg=2.5 kg|5 kg|15 kg|25 kg Torba=25 kg Bag"),
    "BOX": items("50'li Kutu=Box of 50|100'lü Kutu=Box of 100|500'lü Kutu=Box of 500"),
}
COLOURS = items("Beyaz=White|Siyah=Black|Gri=Grey|Antrasit=Anthracite|Krom=Chrome|Mavi=Blue|Kırmızı=Red||||")
BRAND_STEMS = items("Volta|Arma|Lumex|Parla|Demirtaş|Kuvvet|Zırh|Renksan|Akar|Derya|Kalkan|Yıldırım|Ekin|Anka|Tunç|"
                    "Çelik|Güven|Simge|Ufuk|Akın|Özgür|Koral|Bora|Ilgaz|Erciyes|Sapanca|Fırat|Dicle|Meriç|Bereket")
WAREHOUSES = [("MERKEZ", "İstanbul Merkez Depo", True), ("ANKARA", "Ankara Bölge Depo", True),
              ("IZMIR", "İzmir Bölge Depo", True), ("BURSA", "Bursa Bölge Depo", True),
              ("KARANTINA", "Karantina / Hasarlı Ürün Deposu", False)]
PRICE_LISTS = [("TRY-NET", "Bayi Liste (KDV hariç)", "TRY", False),
               ("TRY-KDV", "Perakende Liste (KDV dahil)", "TRY", True),
               ("USD-NET", "Export Price List (USD)", "USD", False)]
TITLE_WORDS = items("Yıldız|Ege|Anadolu|Marmara|Karadeniz|Akdeniz|Toros|Başkent|Çınar|Kartal|Aslan|Deniz|Güneş|Kaya|"
                    "Demir|Altın|Yeşil|Mavi|Özgür|Umut|Birlik|Şimşek|Atlas|Pınar|Ufuk")
TRADES = ["Elektrik", "Yapı Market", "Hırdavat", "Tesisat", "İnşaat", "Boya", "Aydınlatma", "Nalbur", "Teknik"]
LEGAL_FORMS = ["San. ve Tic. Ltd. Şti.", "Tic. Ltd. Şti.", "San. ve Tic. A.Ş.", "İnş. San. Tic. Ltd. Şti."]
TAX_OFFICES = ["Kadıköy", "Beşiktaş", "Çankaya", "Konak", "Nilüfer", "Seyhan", "Selçuklu", "Muratpaşa", "Şahinbey"]
# fmt: on


def tr_en(text: str) -> tuple[str, str]:
    tr, _sep, en = text.partition("=")
    return tr.strip(), (en or tr).strip()


# --- Django -------------------------------------------------------------------------------------


def setup_django(url: str) -> None:
    django_environment(url, ALLOWED_HOSTS="127.0.0.1,testserver")
    import django

    django.setup()


# --- Building the catalogue ----------------------------------------------------------------------


def copy_rows(model, columns: list[str], rows) -> int:
    """COPY tuples (in ``columns`` order, by attname) into the model's table; other NOT NULL columns get their
    model default (timestamps: now). Returns the number of rows."""
    from django.db import connection
    from django.utils import timezone

    fields = {f.attname: f for f in model._meta.concrete_fields}
    extra_columns, extra_values = [], []
    for name, f in fields.items():
        if name in columns:
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            extra_columns.append(name)
            extra_values.append(timezone.now())
        elif f.has_default():
            extra_columns.append(name)
            extra_values.append(f.get_default())
        elif f.null or f.primary_key:
            continue
        elif f.empty_strings_allowed:
            extra_columns.append(name)
            extra_values.append("")
        else:
            raise BenchError(f"{model.__name__}.{name} is NOT NULL without a default: the builder must set it")
    qn = connection.ops.quote_name
    column_sql = ", ".join(qn(fields[name].column) for name in [*columns, *extra_columns])
    extra = tuple(extra_values)
    count = 0
    statement = f"COPY {qn(model._meta.db_table)} ({column_sql}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row + extra)
            count += 1
    return count


@dataclass
class Catalogue:
    """What the later steps need to know about the products built (index = product id - 1)."""

    sku: list[str] = field(default_factory=list)
    name: list[str] = field(default_factory=list)
    net: list[Decimal] = field(default_factory=list)
    vat: list[Decimal] = field(default_factory=list)
    active: list[bool] = field(default_factory=list)


def build(products: int) -> None:
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from catalog.models import Category, Product
    from dealers.models import Dealer

    started = time.monotonic()
    rng = random.Random(SEED)  # noqa: S311 - reproducible data, not secrets
    with transaction.atomic():
        ids = build_master_data(rng)
        catalogue = build_products(rng, products, ids)
        build_stock_and_prices(rng, catalogue, ids)
        dealer_count = build_dealers(rng, ids)
        build_agreements(rng, catalogue, ids, dealer_count)
        build_user()
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), [Category, Product, Dealer]):
                cursor.execute(statement)
    built = time.monotonic() - started
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    print(f"Built in {built:.1f} s (VACUUM ANALYZE {time.monotonic() - started - built:.1f} s)")


def build_master_data(rng: random.Random) -> dict:
    from django.utils import timezone

    from catalog.models import Brand, Category, ExchangeRate, PriceList, Unit, Warehouse

    units = {
        code: Unit.objects.create(code=code, name=tr, name_en=en, decimals=decimals).pk
        for code, tr, en, decimals in [
            ("PCS", "Adet", "Piece", 0),
            ("BOX", "Koli", "Box", 0),
            ("KG", "Kilogram", "Kilogram", 3),
        ]
    }
    warehouses = [Warehouse.objects.create(code=c, name=n, is_sellable=s).pk for c, n, s in WAREHOUSES]
    today = timezone.localdate()
    lists = {
        code: PriceList.objects.create(
            code=code, name=name, currency=currency, vat_included=vat, valid_from=today.replace(month=1, day=1)
        ).pk
        for code, name, currency, vat in PRICE_LISTS
    }
    brands = [
        Brand(code=f"{stem.upper()}{suffix}", name=f"{stem}{label}")
        for stem in BRAND_STEMS
        for suffix, label in (("", ""), ("-T", " Teknik"))
    ]
    brands = [b.pk for b in Brand.objects.bulk_create(brands)]
    ExchangeRate.objects.bulk_create(
        ExchangeRate(
            currency=cur,
            rate_date=today - timedelta(days=d),
            rate=(base * Decimal(1 + rng.uniform(-0.01, 0.01))).quantize(Decimal("0.000001")),
            source="bench",
        )
        for d in range(10)
        for cur, base in (("USD", USD_RATE), ("EUR", EUR_RATE))
    )
    # Three levels: sector, product type, qualifier. Ids are given here so children can name their parent.
    rows, leaves, next_id = [], [], 1
    sectors = [(code, tr_en(names), [tr_en(t) for t in types.split("|")]) for code, names, types in SECTORS]
    for s_index, (s_code, (s_tr, s_en), types) in enumerate(sectors):
        sector_id, next_id = next_id, next_id + 1
        rows.append((sector_id, s_code, s_tr, s_en, None, s_index))
        for t_index, (t_tr, t_en) in enumerate(types):
            type_id, next_id = next_id, next_id + 1
            rows.append((type_id, f"{s_code}-{t_index + 1:02d}", t_tr, t_en, sector_id, t_index))
            for q_index, qualifier in enumerate(QUALIFIERS):
                q_tr, q_en = tr_en(qualifier)
                leaf_id, next_id = next_id, next_id + 1
                code = f"{s_code}-{t_index + 1:02d}-{q_index + 1:02d}"
                rows.append((leaf_id, code, f"{t_tr} — {q_tr}", f"{t_en} — {q_en}", type_id, q_index))
                leaves.append((leaf_id, s_index, s_code, t_tr, t_en, q_tr, q_en))
    copy_rows(Category, ["id", "code", "name", "name_en", "parent_id", "sort_order"], iter(rows))
    return {
        "units": units,
        "warehouses": warehouses,
        "lists": lists,
        "brands": brands,
        "leaves": leaves,
        "categories": rows,
    }


def build_products(rng: random.Random, count: int, ids: dict) -> Catalogue:
    from stdnum import ean

    from catalog.models import Product, ProductUnit

    units, leaves, brands = ids["units"], ids["leaves"], ids["brands"]
    # Product types differ in size (a few hundred to a few thousand products); qualifiers split them evenly.
    type_weights = {}
    for leaf in leaves:
        type_weights.setdefault((leaf[1], leaf[3]), math.exp(rng.gauss(0, 0.6)))
    leaf_weights = [type_weights[leaf[1], leaf[3]] for leaf in leaves]
    chosen = sorted(rng.choices(range(len(leaves)), weights=leaf_weights, k=count))
    sector_brands = {s: rng.sample(brands, 12) for s in range(len(SECTORS))}
    catalogue, products, packs = Catalogue(), [], []
    for index, leaf_index in enumerate(chosen):
        leaf_id, s_index, s_code, t_tr, t_en, q_tr, q_en = leaves[leaf_index]
        product_id = index + 1
        roll = rng.random()
        unit = "KG" if s_code in ("BYA", "YPI") and roll < 0.4 else "BOX" if s_code == "HRD" and roll < 0.3 else "PCS"
        spec_tr, spec_en = tr_en(rng.choice(SPECS[unit]))
        colour_tr, colour_en = tr_en(rng.choice(COLOURS)) if unit == "PCS" else ("", "")
        series = rng.choice(SERIES)
        name = " ".join(f"{t_tr} {series} {q_tr} {spec_tr} {colour_tr}".split())
        name_en = " ".join(f"{t_en} {series} {q_en} {spec_en} {colour_en}".split())
        sku = f"{s_code}-{product_id:06d}"
        barcode = f"869{product_id:09d}"
        barcode += ean.calc_check_digit(barcode)
        vat = Decimal(rng.choices((20, 10, 1), weights=(85, 12, 3))[0])
        net = Decimal(f"{math.exp(rng.uniform(math.log(5), math.log(20000))):.2f}")
        status = rng.choices(("active", "quarantined", "inactive"), weights=(98, 1, 1))[0]
        reason = {"active": "", "quarantined": "Kalite kontrolünde.", "inactive": "Üretimden kalktı."}[status]
        minimum = Decimal(rng.choice((6, 12))) if rng.random() < 0.05 else Decimal(1)
        pack = rng.choice((6, 12, 24)) if unit == "PCS" and rng.random() < 0.375 else 0
        description = f"{t_tr}, {q_tr.lower()} seri {series}." + (f" Koli içi {pack} adet." if pack else "")
        description_en = f"{t_en}, {q_en.lower()} range {series}." + (f" {pack} per box." if pack else "")
        image = f"https://cdn.example.com/products/{sku}.jpg" if rng.random() < 0.7 else ""
        row = (product_id, sku, name, name_en, description, description_en, leaf_id, rng.choice(sector_brands[s_index]))
        batch_managed = unit == "KG" and rng.random() < 0.5
        products.append((*row, barcode, units[unit], vat, batch_managed, minimum, minimum, image, status, reason))
        if pack:
            case = "1" + barcode[:12]
            packs.append((product_id, units["BOX"], Decimal(pack), case + ean.calc_check_digit(case), True))
        catalogue.sku.append(sku)
        catalogue.name.append(name)
        catalogue.net.append(net)
        catalogue.vat.append(vat)
        catalogue.active.append(status == "active")
    columns = ["id", "sku", "name", "name_en", "description", "description_en", "category_id", "brand_id", "barcode"]
    columns += ["base_unit_id", "vat_rate", "batch_managed", "min_order_qty", "order_multiple", "image_url"]
    columns += ["status", "status_reason"]
    copy_rows(Product, columns, iter(products))
    copy_rows(ProductUnit, ["product_id", "unit_id", "factor", "barcode", "is_sales_unit"], iter(packs))
    return catalogue


def build_stock_and_prices(rng: random.Random, catalogue: Catalogue, ids: dict) -> None:
    from django.utils import timezone

    from catalog.models import PriceListItem, StockLevel

    now = timezone.now()

    def stock():
        for product_id in range(1, len(catalogue.sku) + 1):
            for warehouse_id in ids["warehouses"]:
                on_hand = 0 if rng.random() < 0.15 else rng.randint(1, 2000)
                committed = rng.randint(0, on_hand // 3) if on_hand and rng.random() < 0.2 else 0
                reserved = rng.randint(0, on_hand // 5) if on_hand and rng.random() < 0.1 else 0
                as_of = now - timedelta(minutes=rng.randint(1, 240))
                yield (product_id, warehouse_id, Decimal(on_hand), Decimal(committed), Decimal(reserved), as_of)

    def prices():
        for code, list_id in ids["lists"].items():
            for index, net in enumerate(catalogue.net):
                if code == "TRY-KDV":
                    base, places = net * Decimal("1.05") * (1 + catalogue.vat[index] / 100), Decimal("0.01")
                elif code == "USD-NET":
                    base, places = net / USD_RATE * Decimal("0.95"), Decimal("0.0001")
                else:
                    base, places = net, Decimal("0.01")
                breaks = rng.choices((1, 2, 3), weights=(50, 30, 20))[0]
                for quantity, factor in ((1, "1"), (10, "0.97"), (50, "0.94"))[:breaks]:
                    yield (list_id, index + 1, None, Decimal(quantity), (base * Decimal(factor)).quantize(places))

    columns = ["product_id", "warehouse_id", "on_hand", "committed_erp", "reserved_portal", "as_of"]
    copy_rows(StockLevel, columns, stock())
    copy_rows(PriceListItem, ["price_list_id", "product_id", "unit_id", "min_quantity", "price"], prices())


def build_dealers(rng: random.Random, ids: dict) -> int:
    from django.utils import timezone
    from stdnum.tr import vkn

    from dealers.models import Dealer

    now = timezone.now()
    lists = list(ids["lists"].values())

    def dealers():
        for n, base in enumerate(rng.sample(range(10**8, 10**9), DEALERS), start=1):
            title = f"{rng.choice(TITLE_WORDS)} {rng.choice(TRADES)} {rng.choice(LEGAL_FORMS)}"
            # The first dealer (the one that signs in) is on the TRY net list; the rest are spread 50/35/15.
            price_list = lists[0] if n == 1 else rng.choices(lists, weights=(50, 35, 15))[0]
            limit = Decimal(rng.choice((50_000, 100_000, 250_000, 500_000, 1_000_000)))
            balance = (limit * Decimal(rng.uniform(0, 0.8))).quantize(Decimal("0.01"))
            tax_number = f"{base}{vkn.calc_check_digit(str(base))}"  # a VKN: nine digits and a check digit
            row = (n, f"120.{n:05d}", title, tax_number, rng.choice(TAX_OFFICES), f"muhasebe@bayi{n:05d}.com.tr")
            yield (*row, "TRY", price_list, limit, now, balance, now)

    columns = ["id", "code", "title", "tax_number", "tax_office", "email", "currency", "price_list_id"]
    columns += ["credit_limit", "credit_limit_as_of", "erp_balance", "erp_balance_as_of"]
    return copy_rows(Dealer, columns, dealers())


def build_agreements(rng: random.Random, catalogue: Catalogue, ids: dict, dealer_count: int) -> None:
    from django.utils import timezone

    from catalog.models import DealerAgreement

    today = timezone.localdate()
    active = [i for i, ok in enumerate(catalogue.active) if ok]
    first_page = sorted(active, key=catalogue.name.__getitem__)[:200]  # the first products by name
    categories = [row[0] for row in ids["categories"]]

    def window(current_only: bool = False):
        roll = 0.5 if current_only else rng.random()
        if roll < 0.55:
            return None, None
        if roll < 0.80:
            start = today - timedelta(days=rng.randint(10, 300))
            return start, (None if rng.random() < 0.3 else today + timedelta(days=rng.randint(30, 365)))
        if roll < 0.92:
            start = today - timedelta(days=rng.randint(200, 500))
            return start, start + timedelta(days=rng.randint(30, 150))  # expired
        start = today + timedelta(days=rng.randint(5, 60))
        return start, start + timedelta(days=rng.randint(90, 365))  # starts later

    def agreement(dealer_id: int, target: str, index: int | None = None, current_only: bool = False):
        valid_from, valid_to = window(current_only)
        product = category = brand = None
        currency, min_quantity = "", Decimal(1)
        if target == "product":
            index = rng.choice(active) if index is None else index
            product = index + 1
        if target == "product" and rng.random() < 0.85:
            kind, currency = "fixed_price", rng.choices(("TRY", "USD", "EUR"), weights=(85, 10, 5))[0]
            value = catalogue.net[index] * Decimal(rng.uniform(0.80, 0.95))
            value /= {"TRY": 1, "USD": USD_RATE, "EUR": EUR_RATE}[currency]
            min_quantity = Decimal(rng.choices((1, 10, 50), weights=(80, 10, 10))[0])
        else:
            kind, value = "discount", Decimal(rng.randint(4, 50)) / 2  # 2–25 %
            if target == "category":
                category = rng.choice(categories)
            elif target == "brand":
                brand = rng.choice(ids["brands"])
            min_quantity = Decimal(rng.choices((1, 10), weights=(90, 10))[0])
        row = (dealer_id, product, category, brand, kind, value.quantize(Decimal("0.0001")), currency, min_quantity)
        return (*row, valid_from, valid_to, "Proje fiyatı" if kind == "fixed_price" else "Bayi iskontosu")

    def agreements():
        # The signed-in dealer: prices on products of its first page, discounts on categories and brands.
        mine = [agreement(1, "product", index, current_only=True) for index in rng.sample(first_page, 10)]
        mine += [agreement(1, target) for target in ["product"] * 5 + ["category"] * 5 + ["brand"] * 4]
        yield from mine
        for _ in range(AGREEMENTS - len(mine)):
            target = rng.choices(("product", "category", "brand"), weights=(50, 30, 20))[0]
            yield agreement(rng.randint(2, dealer_count), target)

    columns = ["dealer_id", "product_id", "category_id", "brand_id", "kind", "value", "currency", "min_quantity"]
    copy_rows(DealerAgreement, [*columns, "valid_from", "valid_to", "note"], agreements())


def build_user() -> None:
    from accounts.models import User
    from dealers.models import DealerUser

    user = User.objects.create_user(BENCH_EMAIL, BENCH_PASSWORD, full_name="Bench Bayi Yöneticisi")
    DealerUser.objects.create(user=user, dealer_id=1, role=DealerUser.Role.ADMIN)


def row_counts() -> dict[str, int]:
    from django.apps import apps

    labels = ["catalog.Category", "catalog.Brand", "catalog.Product", "catalog.ProductUnit", "catalog.Warehouse",
              "catalog.StockLevel", "catalog.PriceList", "catalog.PriceListItem", "catalog.ExchangeRate",
              "dealers.Dealer", "catalog.DealerAgreement", "dealers.DealerUser"]  # fmt: skip
    return {label.split(".")[1]: apps.get_model(label).objects.count() for label in labels}


def ensure_catalogue(url: str, products: int) -> None:
    from django.db import connections

    from accounts.models import User
    from catalog.models import Product

    if Product.objects.count() == products and User.objects.filter(email=BENCH_EMAIL).exists():
        print(f"Catalogue already built ({products:,} products); --rebuild starts over")
    else:
        if Product.objects.exists():
            print("The benchmark database holds another catalogue: rebuilding it")
            connections.close_all()
            ensure_database(url, drop=True)
            migrate()
        print(f"Building the catalogue: {products:,} products")
        build(products)
    print("Rows: " + ", ".join(f"{name} {count:,}" for name, count in row_counts().items()))


# --- Measuring in-process ------------------------------------------------------------------------


@dataclass
class Page:
    """One measured page: the URLs asked for in turn (many for the product page) and the figures."""

    key: str
    label: str
    urls: list[str]
    queries: int = 0
    items: int = 0
    slowest_sql: tuple[float, str] = (0.0, "")
    times_ms: list[float] = field(default_factory=list)
    db_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)  # this process's CPU time: the part other load does not add
    load: dict[str, float] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


class DbTimer:
    """A database execute wrapper that adds up the time spent in SQL."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


def get_ok(client, url: str):
    response = client.get(url)
    if response.status_code != 200:
        where = f" → {response['Location']}" if response.has_header("Location") else ""
        raise BenchError(f"GET {url} answered {response.status_code}{where}; only 200 pages are worth measuring")
    return response


def check_routed(urls: list[str]) -> None:
    from django.urls import Resolver404, resolve

    for url in urls:
        path = urlsplit(url).path
        try:
            resolve(path)
        except Resolver404:
            raise BenchError(
                f"{path} is not routed in this checkout. Run with --stand-in to check the benchmark against the "
                "existing dealer pages (/ and /orders/) until the catalogue views exist."
            ) from None


def pick_search_term() -> tuple[str, int]:
    """A plain word naming a product type that a few hundred product names contain (0.3 % of the catalogue)."""
    from django.db.models import Count, Q

    from catalog.models import Category, Product

    types = Category.objects.filter(parent__isnull=False, parent__parent__isnull=True).annotate(
        n=Count("children__products")
    )
    target = max(3, round(Product.objects.count() * 0.003))
    candidates = sorted((abs(t.n - target), t.name) for t in types if t.name.isascii() and " " not in t.name)
    for _distance, word in candidates[:10]:
        matches = Product.objects.filter(Q(name__icontains=word) | Q(name_en__icontains=word)).count()
        if target / 3 <= matches <= target * 3:
            return word.lower(), matches
    raise BenchError("No search word matches a few hundred products in this catalogue")


def pick_categories() -> list[int]:
    """The largest product type (a category with children), then its largest leaf as a fallback."""
    from django.db.models import Count

    from catalog.models import Category

    kind = (
        Category.objects.filter(parent__isnull=False, parent__parent__isnull=True)
        .annotate(n=Count("children__products"))
        .order_by("-n", "id")
        .first()
    )
    leaf = Category.objects.filter(parent=kind).annotate(n=Count("products")).order_by("-n", "id").first()
    return [kind.pk, leaf.pk]


def measure_page(client, page: Page, args) -> None:
    """Warm up, count the queries of one request, then time ``args.requests`` requests (or as many as fit in
    ``args.budget`` seconds, at least 20, when the page is slow)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    urls = page.urls
    for i in range(WARMUP):
        get_ok(client, urls[i % len(urls)])
    with CaptureQueriesContext(connection) as captured:
        response = get_ok(client, urls[WARMUP % len(urls)])
    page.queries = len(captured.captured_queries)
    page.slowest_sql = max(((float(q["time"]) * 1000, q["sql"]) for q in captured.captured_queries), default=(0, ""))
    page.items = len(set(SKU_RE.findall(response.content)))
    timer = DbTimer()
    deadline = time.monotonic() + args.budget if args.budget else math.inf
    with connection.execute_wrapper(timer):
        for i in range(args.requests):
            if i >= 20 and time.monotonic() > deadline:
                break
            timer.seconds = 0.0
            started, cpu_started = time.perf_counter(), time.process_time()
            get_ok(client, urls[(WARMUP + 1 + i) % len(urls)])
            page.times_ms.append((time.perf_counter() - started) * 1000)
            page.cpu_ms.append((time.process_time() - cpu_started) * 1000)
            page.db_ms.append(timer.seconds * 1000)
    cut = (
        f" (time budget: {len(page.times_ms)} of {args.requests} requests)"
        if len(page.times_ms) < args.requests
        else ""
    )
    print(
        f"  {page.label:<34} {page.queries:>3} queries, {page.items:>3} SKUs shown, "
        f"p50 {percentile(page.times_ms, 50):7.1f} ms, p95 {percentile(page.times_ms, 95):7.1f} ms, "
        f"max {max(page.times_ms):7.1f} ms, CPU p50 {percentile(page.cpu_ms, 50):6.1f} ms, "
        f"slowest query {page.slowest_sql[0]:.1f} ms{cut}"
    )
    if args.show_sql:
        print(f"    slowest query: {page.slowest_sql[1][:2000]}")


def query_count(client, url: str) -> tuple[int, int]:
    """The queries of one request (after a warm-up) and the SKUs on the page."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    get_ok(client, url)
    with CaptureQueriesContext(connection) as captured:
        response = get_ok(client, url)
    return len(captured.captured_queries), len(set(SKU_RE.findall(response.content)))


def measure_in_process(args, templates: dict[str, str]):
    from django.conf import settings
    from django.test import Client

    from accounts.models import User
    from catalog.models import Product

    rng = random.Random(SEED + 1)  # noqa: S311 - reproducible choice of SKUs
    user = User.objects.get(email=BENCH_EMAIL)
    client = Client()
    client.force_login(user)
    term, matches = pick_search_term()
    skus = list(Product.objects.filter(status="active").values_list("sku", flat=True))
    skus = rng.sample(skus, min(len(skus), max(1000, args.requests + WARMUP + 1)))
    kind, leaf = pick_categories()
    pages = [
        Page("list", "catalogue, 50 items", [templates["list"].format(per_page=50)]),
        Page("category", "catalogue, one category", [templates["category"].format(category=kind)]),
        Page("sort", "catalogue, sorted by price", [templates["sort"]]),
        Page("search", f"search {term!r} ({matches} hits)", [templates["search"].format(q=quote(term))]),
        Page("product", "product page, random SKUs", [templates["product"].format(sku=quote(s)) for s in skus]),
    ]
    check_routed([page.urls[0] for page in pages])
    print(f"In-process, Django test client: {WARMUP} warm-up requests, then {args.requests} per page")
    for page in pages:
        measure_page(client, page, args)
        if page.key == "category" and page.items == 0 and not args.stand_in:
            print("  (no products shown for a category with children: measuring one leaf category instead)")
            page.urls = [templates["category"].format(category=leaf)]
            page.times_ms, page.db_ms = [], []
            measure_page(client, page, args)
    # Queries at each page size the catalogue offers (the form ignores other values), smallest and largest.
    sizes = sorted({*getattr(settings, "B2B_CATALOG_PAGE_SIZES", [10]), 50})
    per_page = {size: query_count(client, templates["list"].format(per_page=size)) for size in sizes}
    return client, pages, per_page


# --- Measuring under load ------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_get(port: int, path: str, cookie: str) -> tuple[int, str | None]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
        response = conn.getresponse()
        response.read()
        return response.status, response.getheader("Location")
    finally:
        conn.close()


def start_server(url: str, port: int, workers: int) -> subprocess.Popen:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE, "DEBUG": "0", "DATABASE_URL": url}
    env["ALLOWED_HOSTS"] = "127.0.0.1"
    command = [sys.executable, "-m", "gunicorn", "b2bportal.wsgi", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(workers), "--worker-class", "sync", "--timeout", "60", "--graceful-timeout", "10"]
    command += ["--log-level", "warning"]
    server = subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603 - our own interpreter and arguments
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise BenchError(f"gunicorn exited with status {server.returncode} before answering")
        try:
            if http_get(port, "/accounts/login/", "")[0] == 200:
                return server
        except OSError:
            pass
        time.sleep(0.3)
    stop_server(server)
    raise BenchError("gunicorn did not answer within 60 s")


def stop_server(server: subprocess.Popen) -> None:
    if server.poll() is None:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def run_wrk(wrk: str, port: int, page: Page, cookie: str, args, workdir: Path) -> None:
    paths = workdir / f"{page.key}.txt"
    paths.write_text("".join(url + "\n" for url in page.urls))
    for url in page.urls[:3]:
        status, location = http_get(port, url, cookie)
        if status != 200:
            raise BenchError(f"gunicorn answered {status} for {url}" + (f" → {location}" if location else ""))
    command = [wrk, "-t", str(min(2, args.connections)), "-c", str(args.connections), "-d", f"{args.duration}s"]
    command += ["--latency", "--timeout", "30s", "-s", str(ROOT / "bench" / "wrk_report.lua")]
    command += ["-H", f"Cookie: {cookie}", f"http://127.0.0.1:{port}{page.urls[0]}", "--", str(paths)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    line = next((line for line in result.stdout.splitlines() if line.startswith("BENCH ")), None)
    if result.returncode != 0 or line is None:
        raise BenchError(f"wrk failed (status {result.returncode}): {result.stderr or result.stdout}")
    stats = {key: int(value) for key, value in (item.split("=", 1) for item in line.split()[1:])}
    page.load = {**stats, "rps": stats["requests"] / (stats["duration_us"] / 1e6)}
    errors = {key: stats[key] for key in ("connect", "read", "write", "timeout") if stats[key]}
    print(
        f"  {page.label:<34} {page.load['rps']:7.1f} req/s, p50 {stats['p50_us'] / 1000:6.1f} ms, "
        f"p95 {stats['p95_us'] / 1000:6.1f} ms, p99 {stats['p99_us'] / 1000:6.1f} ms, "
        f"non-2xx {stats['non2xx']}" + (f", socket errors {errors}" if errors else "")
    )
    if not stats["requests"]:
        page.failures.append(f"no request finished within {args.duration} s under load")
    if stats["non2xx"]:
        page.failures.append(f"{stats['non2xx']} of {stats['requests']} answers under load were not 2xx")
    if errors:
        page.failures.append(f"socket errors under load (timeouts are left out of the latencies): {errors}")
    for failure in page.failures:
        print(f"  !! FAILED: {failure}")


def measure_load(args, url: str, pages: list[Page], client) -> None:
    from django.conf import settings

    wrk = shutil.which("wrk")
    if wrk is None:
        raise BenchError("wrk is not installed: `make bench-deps` (as root) installs the Debian package")
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    port = free_port()
    print(
        f"Under load: gunicorn, {args.workers} sync workers on 127.0.0.1:{port}; wrk, "
        f"{min(2, args.connections)} threads, {args.connections} connections, {args.duration} s per page"
    )
    server = start_server(url, port, args.workers)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-catalog-") as workdir:
            for page in pages:
                run_wrk(wrk, port, page, cookie, args, Path(workdir))
    finally:
        stop_server(server)


# --- Report --------------------------------------------------------------------------------------


def machine_facts() -> str:
    import django
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg_version = cursor.fetchone()[0]
    conn_max_age = connection.settings_dict.get("CONN_MAX_AGE", 0)
    return (
        f"{os.cpu_count()} CPUs, {platform.system()} {platform.machine()}, PostgreSQL {pg_version}, "
        f"Python {platform.python_version()}, Django {django.get_version()}; database connections kept "
        f"{conn_max_age} s (DATABASE_CONN_MAX_AGE)"
    )


def print_summary(args, pages: list[Page], per_page: dict[int, tuple[int, int]], facts: str) -> None:
    def verdict(ok: bool) -> str:
        return "ok" if ok else "MISSED"

    print("\nCatalogue benchmark" + ("  [STAND-IN PAGES: / and /orders/, not the catalogue]" if args.stand_in else ""))
    header = f"{'page':<34}{'SKUs':>5}{'queries':>8}{'n':>5}  {'in-process ms p50 / p95 / max':>30}"
    header += f"{'SQL ms p50':>11}{'CPU ms p50':>11}"
    if not args.skip_load:
        header += f"{'req/s':>9}  {'load ms p50 / p95 / p99':>26}{'non-2xx':>8}"
    print(header)
    print("-" * len(header))
    for page in pages:
        times = f"{percentile(page.times_ms, 50):.1f} / {percentile(page.times_ms, 95):.1f} / {max(page.times_ms):.1f}"
        row = f"{page.label:<34}{page.items:>5}{page.queries:>8}{len(page.times_ms):>5}  {times:>30}"
        row += f"{percentile(page.db_ms, 50):>11.1f}{percentile(page.cpu_ms, 50):>11.1f}"
        if page.load:
            load = page.load
            latency = f"{load['p50_us'] / 1000:.1f} / {load['p95_us'] / 1000:.1f} / {load['p99_us'] / 1000:.1f}"
            row += f"{load['rps']:>9.1f}  {latency:>26}{load['non2xx']:>8}"
        print(row)
    print("-" * len(header))
    sizes = ", ".join(f"{size} → {queries} queries ({items} SKUs shown)" for size, (queries, items) in per_page.items())
    counts = {queries for queries, _items in per_page.values()}
    print(f"Queries by page size: {sizes}; constant: {verdict(len(counts) == 1)}")
    worst_queries = max(page.queries for page in pages)
    worst_p95 = max(percentile(page.times_ms, 95) for page in pages)
    print(
        f"Goals: ≤ {GOAL_QUERIES} queries per page, the same at every page size: worst {worst_queries}, "
        f"{verdict(worst_queries <= GOAL_QUERIES and len(counts) == 1)}; p95 at the server ≤ {GOAL_P95_MS:.0f} ms: "
        f"worst in-process {worst_p95:.1f} ms, {verdict(worst_p95 <= GOAL_P95_MS)}"
    )
    if not args.skip_load:
        print(
            f"Load: gunicorn {args.workers} sync workers, wrk {min(2, args.connections)} threads, "
            f"{args.connections} connections, {args.duration} s per page; latency under load includes the wait "
            "for a free worker"
        )
    print(f"Machine: {facts}")
    print(f"Load average at the end (1, 5, 15 min): {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


# --- Command line --------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rebuild", action="store_true", help="drop the benchmark database and build it again")
    parser.add_argument("--requests", type=int, default=200, help="in-process requests per page (default 200)")
    parser.add_argument("--duration", type=int, default=15, help="seconds of load per page (default 15)")
    parser.add_argument("--connections", type=int, default=8, help="concurrent connections under load (default 8)")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers (default 3)")
    parser.add_argument("--skip-load", action="store_true", help="measure in-process only (no gunicorn, no wrk)")
    parser.add_argument(
        "--budget", type=int, default=60, help="seconds per page in-process before a slow page stops early (0: none)"
    )
    parser.add_argument("--show-sql", action="store_true", help="print the slowest query of each page")
    parser.add_argument(
        "--products", type=int, default=PRODUCTS, help="catalogue size (default 100000; another size rebuilds)"
    )
    parser.add_argument(
        "--stand-in",
        action="store_true",
        help="measure existing dealer pages (/ and /orders/) in place of the catalogue pages, to check the benchmark",
    )
    args = parser.parse_args(argv)
    if min(args.requests, args.duration, args.connections, args.workers) < 1 or args.budget < 0:
        parser.error("--requests, --duration, --connections and --workers must be positive")
    if args.products < 1000:
        parser.error("--products must be at least 1000")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL)
    try:
        ensure_database(url, drop=args.rebuild)
        setup_django(url)
        migrate()
        ensure_catalogue(url, args.products)
        templates = STAND_IN_URLS if args.stand_in else CATALOGUE_URLS
        client, pages, per_page = measure_in_process(args, templates)
        if not args.skip_load:
            measure_load(args, url, pages, client)
        print_summary(args, pages, per_page, machine_facts())
    except BenchError as exc:
        print(f"\nBENCHMARK FAILED: {exc}", file=sys.stderr)
        return 1
    failures = [f"{page.label}: {failure}" for page in pages for failure in page.failures]
    if failures:
        print("\nBENCHMARK FAILED, these figures are not to be trusted:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
