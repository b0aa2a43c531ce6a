"""A believable demo company: catalogue, stock, prices, dealers with their terms, users and orders.

What the ERP owns (units, categories, brands, warehouses, items with packs, stock, price lists and prices,
customer accounts with addresses, agreements, balances, credit limits and holds) reaches the portal the way it
does in production: as export files in the file adapter's drop folder, read by ``erpsync.importers.sync_import``.
The sample export is committed in ``b2bportal/demo_erp/`` and rebuilt by ``demo_erp_export_write`` (``manage.py
demo --write-erp-files``) from the same plans the rest of the demo uses. What the portal owns (users, dealer
IBANs, exchange rates, staff settings on dealers and products, orders with their history) is written here.

``demo_load`` is deterministic (one ``random.Random(2026)``, no network) and idempotent: the sync skips a feed
identical to the one it applied before, and every portal row has a natural key (e-mail, order number, or a
composite key), so a second run creates only what is missing. It never overwrites rows that already exist,
so edits made while demoing survive.
"""

from __future__ import annotations

import math
import os
import random
import re
import shutil
import time
import unicodedata
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_HALF_UP, Decimal
from itertools import product as cartesian
from pathlib import Path
from typing import TextIO
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import models, transaction
from django.utils import timezone
from stdnum import ean, iban
from stdnum.tr import tckimlik, vkn

from accounts.models import User
from b2bportal.money import quantize_money
from catalog.models import (
    Brand,
    Category,
    DealerAgreement,
    ExchangeRate,
    PriceList,
    PriceListItem,
    Product,
    ProductUnit,
    StockLevel,
    Unit,
    Warehouse,
)
from dealers.models import Dealer, DealerAddress, DealerChange, DealerIban, DealerUser, PaymentTerms, SalesRep
from dealers.services import dealer_save
from erpsync.adapters.base import (
    DocumentKind,
    ErpAddress,
    ErpBalance,
    ErpBrand,
    ErpCategory,
    ErpCredit,
    ErpCustomer,
    ErpCustomerPrice,
    ErpDocument,
    ErpLedgerEntry,
    ErpPrice,
    ErpPriceList,
    ErpProduct,
    ErpProductUnit,
    ErpStock,
    ErpUnit,
    ErpWarehouse,
)
from erpsync.adapters.file.writer import TextFormat, csv_text, xml_bytes
from erpsync.importers import sync_import
from erpsync.models import ErpConnection, SyncIssue, SyncRun
from orders.models import Order, OrderLine, OrderStatusChange
from orders.status import OrderStatus, can_transition

SEED = 2026
PRODUCT_COUNT = 2000
AGREEMENT_COUNT = 150
BATCH_SIZE = 500  # SQLite caps the number of variables per statement.
EMAIL_DOMAIN = "demo.b2bportal.local"
# Published on purpose: the command prints them, and demo_load refuses to run in production.
DEMO_PASSWORD = "demo12345!"  # noqa: S105
ADMIN_PASSWORD = "admin12345!"  # noqa: S105
ADMIN_EMAIL = f"admin@{EMAIL_DOMAIN}"
ORDER_PREFIX = "B2B-2026-"
USD_RATE = Decimal("42.35")
EUR_RATE = Decimal("49.10")
BUYER_APPROVAL_LIMIT = Decimal("20000.00")
S = OrderStatus

# The committed sample export, and the drop folder the demo's ERP connection reads (environment, else var/).
DEMO_ERP_DIR = Path(__file__).resolve().parent / "demo_erp"
DROP_FOLDER_ENV = "B2B_DEMO_ERP_DROP"
CONNECTION_CODE = "demo-erp"
# The day the sample export was taken. The files are fixed, so dates in them are absolute: agreement windows
# are placed around this day far enough out that past, current and future ones stay so for years.
ERP_EXPORT_DAY = date(2026, 11, 20)
ERP_ZONE = ZoneInfo("Europe/Istanbul")


class DemoRefusedError(Exception):
    """The demo would create well-known passwords; it refuses to run with production settings."""


class DemoSyncError(Exception):
    """The sample ERP export did not import cleanly: a run failed or opened issues. Nothing was kept."""


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    role: str
    dealer: str
    language: str


@dataclass
class DemoSummary:
    created: Counter[str]
    totals: dict[str, int]
    logins: list[DemoLogin]
    seconds: float
    sync_runs: list[SyncRun] = field(default_factory=list)
    drop_folder: Path | None = None


@dataclass
class _Context:
    rng: random.Random
    now: datetime
    today: date
    out: TextIO | None

    def log(self, message: str) -> None:
        if self.out is not None:
            self.out.write(message + "\n")


def demo_drop_folder() -> Path:
    """Where the demo's ERP drops its files: ``$B2B_DEMO_ERP_DROP``, else ``var/erp-drop`` in the project."""
    configured = os.environ.get(DROP_FOLDER_ENV, "").strip()
    return Path(configured) if configured else Path(settings.BASE_DIR) / "var" / "erp-drop"


def demo_load(*, stdout: TextIO | None = None, drop_folder: Path | None = None) -> DemoSummary:
    """Import the sample ERP export through the file adapter, then create whatever portal data is missing, in
    one transaction, and report the totals and the sync runs.

    Refuses (``DemoRefusedError``) under the production settings module: the demo creates a superuser with a
    published password. Raises ``DemoSyncError`` (and keeps nothing) when a sync run fails or opens issues.
    """
    if str(getattr(settings, "SETTINGS_MODULE", "")).endswith(".production"):
        raise DemoRefusedError("The demo creates users with published passwords; it never runs in production.")
    started = time.monotonic()
    ctx = _Context(rng=random.Random(SEED), now=timezone.now(), today=timezone.localdate(), out=stdout)
    drop = (drop_folder or demo_drop_folder()).resolve()
    before = _counts()
    with transaction.atomic():
        plan = _plan_erp(ctx.rng)
        known = _Known.load()
        runs = _sync_sample_export(ctx, drop)
        _apply_portal_settings(ctx, plan, known)
        _load_exchange_rates(ctx)
        dealer_ids = _ids(Dealer)
        _load_ibans(ctx, plan.dealers, dealer_ids)
        user_ids, logins = _load_users(ctx, dealer_ids, {d.code: d.title for d in plan.dealers})
        _load_orders(ctx, plan, dealer_ids, user_ids)
    totals = _counts()
    created = Counter({label: totals[label] - before[label] for label in totals if totals[label] > before[label]})
    return DemoSummary(
        created=created,
        totals=totals,
        logins=logins,
        seconds=time.monotonic() - started,
        sync_runs=runs,
        drop_folder=drop,
    )


COUNTED_MODELS: tuple[type[models.Model], ...] = (
    Unit,
    Warehouse,
    Category,
    Brand,
    Product,
    ProductUnit,
    StockLevel,
    PriceList,
    PriceListItem,
    ExchangeRate,
    PaymentTerms,
    SalesRep,
    Dealer,
    DealerAddress,
    DealerIban,
    DealerAgreement,
    User,
    DealerUser,
    Order,
    OrderLine,
    OrderStatusChange,
)


def _counts() -> dict[str, int]:
    return {model._meta.label: model.objects.count() for model in COUNTED_MODELS}


# --- Writing ------------------------------------------------------------------------------------


def _insert_missing(ctx: _Context, objects: list[models.Model], key_fields: tuple[str, ...]) -> None:
    """Bulk-insert the portal's objects whose natural key is not in the table yet, and log how many.

    Keys are compared in Python rather than with ``ignore_conflicts`` because SQLite ignores
    ``nulls_distinct=False``, so a row with a NULL in its key would be inserted twice there.
    """
    if not objects:
        return
    model = type(objects[0])
    existing = set(model.objects.values_list(*key_fields))
    missing = []
    for obj in objects:
        key = tuple(getattr(obj, name) for name in key_fields)
        if key not in existing:
            existing.add(key)
            missing.append(obj)
    model.objects.bulk_create(missing, batch_size=BATCH_SIZE)
    ctx.log(f"  {model._meta.label}: {len(missing)} created, {len(objects) - len(missing)} already there")


def _ids(model: type[models.Model], key: str = "code") -> dict:
    return dict(model.objects.values_list(key, "id"))


def _money(value: Decimal) -> Decimal:
    return quantize_money(value)


def _price4(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _plain(value: Decimal) -> str:
    """10.000 → "10", 7.50 → "7.5": without the exponent ``normalize()`` alone would give ("1E+1")."""
    return format(value.normalize(), "f")


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text.replace("ı", "i").replace("İ", "I")).encode("ascii", "ignore")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.decode().lower()).strip("-")


# --- Catalogue master data ----------------------------------------------------------------------

UNITS = [
    ("ADET", "Adet", "Piece", 0),
    ("KOLI", "Koli", "Case", 0),
    ("KG", "Kilogram", "Kilogram", 3),
    ("MT", "Metre", "Metre", 3),
    ("PAKET", "Paket", "Pack", 0),
]

WAREHOUSES = [
    ("MERKEZ", "İstanbul Merkez Depo", True),
    ("ANKARA", "Ankara Bölge Depo", True),
    ("KARANTINA", "Karantina / Hasarlı Ürün Deposu", False),
]


@dataclass(frozen=True)
class _Leaf:
    """A leaf category and how its products are named: ``pattern`` filled with one choice per dimension.

    Texts read "Turkish=English" (a text without "=" is the same in both languages); a dimension's
    choices are separated by "|".
    """

    code: str
    names: str
    unit: str
    price_range: tuple[int, int]
    pattern: str
    dims: tuple[str, ...]
    vat: int = 20
    batch_managed: bool = False


def _tr_en(text: str) -> tuple[str, str]:
    tr, _sep, en = text.partition("=")
    return tr.strip(), (en or tr).strip()


def _choices(dimension: str) -> list[tuple[str, str]]:
    return [_tr_en(choice) for choice in dimension.split("|")]


COLOURS = "Beyaz=White | Krem=Cream | Antrasit=Anthracite | Siyah=Black"
PAINT_COLOURS = "Beyaz=White | Kırık Beyaz=Off-white | Fildişi=Ivory | Açık Gri=Light Grey | Vizon=Mink | Bej=Beige"
PAINT_SIZES = "2,5 L=2.5 L | 7,5 L=7.5 L | 15 L"
PIPE_SIZES = "20 mm | 25 mm | 32 mm | 40 mm | 50 mm | 63 mm"

# fmt: off
CATEGORIES: list[tuple[str, str, list[_Leaf]]] = [
    ("ELK", "Elektrik Malzemeleri=Electrical Supplies", [
        _Leaf("ELK-KBL", "Kablolar=Cables", "MT", (8, 180), "Kablo {0} {1} mm² {2}=Cable {0} {1} mm² {2}", (
            "NYM | NYA | H05VV-F | TTR | NYY | N2XH",
            "1x1,5=1x1.5 | 1x2,5=1x2.5 | 2x1,5=2x1.5 | 3x1,5=3x1.5 | 3x2,5=3x2.5 | 4x4 | 5x6 | 5x10",
            "Gri=Grey | Siyah=Black | Beyaz=White")),
        _Leaf("ELK-ANP", "Anahtar ve Prizler=Switches & Sockets", "ADET", (35, 400), "{0} {1} {2}", (
            "Nova | Arte | Vega | Prima | Sonata",
            "Anahtar=Switch | Komütatör=Two-circuit Switch | Vavien Anahtar=Two-way Switch"
            " | Topraklı Priz=Schuko Socket | Çocuk Korumalı Priz=Child-safe Socket | TV Prizi=TV Socket"
            " | Data Prizi Cat6=Data Socket Cat6 | Dimmer",
            COLOURS)),
        _Leaf("ELK-SGT", "Sigortalar ve Şalterler=Circuit Breakers", "ADET", (90, 2500), "{0} {2} {1}", (
            "Otomatik Sigorta B=MCB B-curve | Otomatik Sigorta C=MCB C-curve"
            " | Kaçak Akım Rölesi 30mA=RCD 30mA | Kaçak Akım Rölesi 300mA=RCD 300mA",
            "6A | 10A | 16A | 20A | 25A | 32A | 40A | 63A",
            "1 Kutup=1-pole | 2 Kutup=2-pole | 3 Kutup=3-pole | 4 Kutup=4-pole")),
        _Leaf("ELK-KNL", "Kablo Kanalları=Cable Trunking", "ADET", (25, 300),
              "Kablo Kanalı {0} {1} {2} 2 m=Cable Trunking {0} {1} {2} 2 m", (
            "16x16 | 25x16 | 40x16 | 40x25 | 60x40 | 80x40 | 100x60",
            "Yapışkanlı=Adhesive | Bölmeli=Divided | Standart=Standard",
            "Beyaz=White | Gri=Grey | Siyah=Black")),
    ]),
    ("AYD", "Aydınlatma=Lighting", [
        _Leaf("AYD-PNL", "LED Paneller=LED Panels", "ADET", (250, 1800), "LED Panel {0} {3} {1} {2}", (
            "60x60 | 30x120 | 30x30 | Yuvarlak Ø22=Round Ø22 | Yuvarlak Ø17=Round Ø17",
            "18W | 24W | 36W | 40W | 48W",
            "3000K Gün Işığı=3000K Warm White | 4000K Ilık Beyaz=4000K Neutral White | 6500K Beyaz=6500K Cool White",
            "Sıva Altı=Recessed | Sıva Üstü=Surface-mounted")),
        _Leaf("AYD-AMP", "LED Ampuller=LED Bulbs", "ADET", (30, 250),
              "LED Ampul {0} {1} {2} {3}=LED Bulb {0} {1} {2} {3}", (
            "A60 | Mum=Candle | Top=Globe | Armut=Pear | Filament Rustik=Vintage Filament | R63",
            "5W | 7W | 9W | 12W | 15W",
            "E27 | E14",
            "3000K | 6500K")),
        _Leaf("AYD-PRJ", "Projektörler=Floodlights", "ADET", (200, 4500),
              "LED Projektör {0} {1} {2} {3}=LED Floodlight {0} {1} {2} {3}", (
            "10W | 20W | 30W | 50W | 100W | 150W | 200W",
            "IP65 | IP66",
            "Siyah Kasa=Black Housing | Beyaz Kasa=White Housing",
            " | Sensörlü=with Sensor")),
        _Leaf("AYD-SRT", "Şerit LED=LED Strips", "ADET", (150, 1500),
              "Şerit LED {0} {1} {2} {3} 5 m=LED Strip {0} {1} {2} {3} 5 m", (
            "12V | 24V | 220V",
            "60 LED/m | 120 LED/m | 240 LED/m",
            "Gün Işığı=Warm White | Beyaz=Cool White | RGB | Mavi=Blue | Kırmızı=Red",
            "İç Mekan=Indoor | IP65 Dış Mekan=IP65 Outdoor")),
    ]),
    ("HRD", "Hırdavat=Hardware", [
        _Leaf("HRD-ELA", "El Aletleri=Hand Tools", "ADET", (80, 1500), "{0} {1} {2}", (
            "Pense=Combination Pliers | Yan Keski=Side Cutter | Kargaburun=Long-nose Pliers"
            " | Düz Tornavida=Flat Screwdriver | Yıldız Tornavida=Phillips Screwdriver | Çekiç=Claw Hammer"
            " | Kombine Anahtar Seti=Combination Spanner Set | Alyan Anahtar Seti=Hex Key Set"
            " | Maket Bıçağı=Utility Knife | Su Terazisi=Spirit Level | Şerit Metre=Tape Measure",
            "Profesyonel=Professional | Ekonomik=Economy | İzoleli VDE=Insulated VDE | Endüstriyel=Industrial",
            " | Askılı Blister=Hanging Blister")),
        _Leaf("HRD-VDA", "Vida ve Dübeller=Screws & Anchors", "PAKET", (60, 900), "{0} {1} {2} ({3})", (
            "Sunta Vidası=Chipboard Screw | Akıllı Vida=Self-drilling Screw | Trifon Vida=Coach Screw"
            " | Plastik Dübel=Plastic Anchor | Çelik Dübel=Steel Anchor | Alçıpan Vidası=Drywall Screw",
            "3,5x30=3.5x30 | 4x40 | 5x50 | 6x60 | 8x80",
            "Sarı Galvaniz=Yellow Zinc | Beyaz Galvaniz=White Zinc | Siyah Fosfat=Black Phosphate",
            "100 Adet=100 pcs | 500 Adet=500 pcs")),
        _Leaf("HRD-EAL", "Elektrikli El Aletleri=Power Tools", "ADET", (1200, 12000), "{0} {1} {2}", (
            "Darbeli Matkap=Impact Drill | Akülü Vidalama=Cordless Drill Driver | Avuç Taşlama=Angle Grinder"
            " | Kırıcı Delici=Rotary Hammer | Dekupaj Testere=Jigsaw | Sıcak Hava Tabancası=Heat Gun"
            " | Zımpara Makinesi=Sander",
            "550W | 750W | 1010W | 18V 2Ah | 18V 4Ah",
            "Kartonlu=Boxed | Çantalı=with Case")),
        _Leaf("HRD-KLT", "Kilit ve Menteşe=Locks & Hinges", "ADET", (150, 2500), "{0} {1} {2}", (
            "Barel Kilit=Euro Cylinder | Asma Kilit=Padlock | Gömme Kilit=Mortise Lock | Kapı Menteşesi=Door Hinge"
            " | Frenli Menteşe=Soft-close Hinge | Kapı Kolu=Door Handle",
            "30 mm | 40 mm | 50 mm | 60 mm | 70 mm",
            "Krom=Chrome | Pirinç=Brass | Mat Siyah=Matt Black | Saten Nikel=Satin Nickel")),
    ]),
    ("BYA", "Boya=Paint", [
        _Leaf("BYA-IC", "İç Cephe Boyaları=Interior Paints", "ADET", (400, 4500), "{0} {1} {2}", (
            "Silikonlu İç Cephe Boyası=Silicone Interior Paint | Plastik İç Cephe Boyası=Acrylic Interior Paint"
            " | Tavan Boyası=Ceiling Paint | Silinebilir Mat Boya=Washable Matt Paint"
            " | Antibakteriyel Boya=Antibacterial Paint",
            PAINT_COLOURS, PAINT_SIZES), batch_managed=True),
        _Leaf("BYA-DIS", "Dış Cephe Boyaları=Exterior Paints", "ADET", (600, 6000), "{0} {1} {2}", (
            "Silikonlu Dış Cephe Boyası=Silicone Exterior Paint"
            " | Elastomerik Dış Cephe Boyası=Elastomeric Exterior Paint"
            " | Akrilik Dış Cephe Boyası=Acrylic Exterior Paint | Grenli Kaplama=Textured Coating",
            PAINT_COLOURS, PAINT_SIZES), batch_managed=True),
        _Leaf("BYA-AST", "Astar ve Macun=Primers & Fillers", "KG", (15, 120), "{0} {1} {2}", (
            "Saten Alçı=Satin Plaster | Sıva Astarı=Plaster Primer | Dolgu Macunu=Filler Putty"
            " | Su Bazlı Astar=Water-based Primer | Antipas=Anti-rust Primer | Derz Dolgu=Joint Filler",
            "Standart=Standard | Premium | Hızlı Kuruyan=Fast-drying",
            "Dökme=Bulk | Torba=Bagged"), batch_managed=True),
        _Leaf("BYA-FRC", "Fırça ve Rulolar=Brushes & Rollers", "ADET", (25, 400), "{0} {1} {2}", (
            "Kestirme Fırça=Angled Brush | Yassı Fırça=Flat Brush | Boya Rulosu=Paint Roller | Mini Rulo=Mini Roller"
            " | Radyatör Fırçası=Radiator Brush",
            "No 1=Size 1 | No 2=Size 2 | No 3=Size 3 | No 4=Size 4 | No 5=Size 5",
            "Doğal Kıl=Natural Bristle | Sentetik=Synthetic | Mikrofiber=Microfibre")),
    ]),
    ("TSS", "Tesisat=Plumbing", [
        _Leaf("TSS-BRU", "PPR Borular=PPR Pipes", "MT", (15, 250), "PPR Boru {0} {1} {2}=PPR Pipe {0} {1} {2}", (
            PIPE_SIZES,
            "PN10 | PN16 | PN20 | PN25 Cam Elyaflı=PN25 Glass Fibre | PN25 Alüminyum Folyolu=PN25 Aluminium Foil",
            "Beyaz=White | Yeşil=Green | Gri=Grey")),
        _Leaf("TSS-EKP", "PPR Ek Parçalar=PPR Fittings", "ADET", (5, 150), "{0} {1} {2}", (
            "PPR Dirsek 90°=PPR Elbow 90° | PPR Dirsek 45°=PPR Elbow 45° | PPR Te=PPR Tee | PPR Manşon=PPR Coupling"
            " | PPR Redüksiyon=PPR Reducer | PPR Kör Tapa=PPR End Cap | PPR Dişli Dirsek=PPR Threaded Elbow",
            PIPE_SIZES,
            "Beyaz=White | Yeşil=Green")),
        _Leaf("TSS-VNA", "Vanalar=Valves", "ADET", (80, 1800), "{0} {1} {2}", (
            "Küresel Vana=Ball Valve | Radyatör Vanası=Radiator Valve | Çekvalf=Check Valve"
            " | Pislik Tutucu=Y-Strainer | Kelebek Vana=Butterfly Valve",
            '1/2" | 3/4" | 1" | 1 1/4" | 1 1/2" | 2"',
            "Pirinç=Brass | Nikel Kaplama=Nickel-plated")),
        _Leaf("TSS-BAT", "Bataryalar=Taps & Mixers", "ADET", (900, 9000), "{1} {0} {2}", (
            "Lavabo Bataryası=Basin Mixer | Eviye Bataryası=Sink Mixer | Banyo Bataryası=Bath Mixer"
            " | Ankastre Duş Seti=Concealed Shower Set | Termostatik Batarya=Thermostatic Mixer",
            "Arya | Defne | Lale | Mira",
            "Krom=Chrome | Mat Siyah=Matt Black | Fırçalanmış Altın=Brushed Gold | Beyaz=White")),
    ]),
    ("ISG", "İş Güvenliği=Work Safety", [
        _Leaf("ISG-ELD", "Eldivenler=Gloves", "ADET", (25, 400), "{0} {2} {1}", (
            "Nitril Kaplı İş Eldiveni=Nitrile-coated Work Glove | Lateks Eldiven=Latex Glove"
            " | Kesilme Dirençli Eldiven=Cut-resistant Glove | Deri Kaynakçı Eldiveni=Leather Welding Glove"
            " | Örme Eldiven=Knitted Glove",
            "7 (S) | 8 (M) | 9 (L) | 10 (XL) | 11 (XXL)",
            "Siyah=Black | Mavi=Blue | Gri=Grey"), vat=10, batch_managed=True),
        _Leaf("ISG-AYK", "İş Ayakkabıları=Safety Shoes", "ADET", (700, 3500), "{0} {2} No {1}={0} {2} Size {1}", (
            "S1P Çelik Burunlu Ayakkabı=S1P Steel-toe Shoe | S3 Kompozit Burunlu Bot=S3 Composite-toe Boot"
            " | S2 Kışlık Bot=S2 Winter Boot | S1 Sandalet=S1 Sandal",
            "38 | 39 | 40 | 41 | 42 | 43 | 44 | 45 | 46",
            "Siyah=Black | Lacivert=Navy | Gri=Grey")),
        _Leaf("ISG-BRT", "Baret ve Gözlük=Helmets & Goggles", "ADET", (60, 1500), "{0} {1} {2}", (
            "Baret=Safety Helmet | Vidalı Baret=Ratchet Helmet | Koruyucu Gözlük=Safety Glasses"
            " | Kaynak Maskesi=Welding Mask | Yüz Siperi=Face Shield | Kulak Koruyucu=Ear Muffs",
            "Beyaz=White | Sarı=Yellow | Kırmızı=Red | Mavi=Blue | Turuncu=Orange | Şeffaf=Clear",
            "Standart=Standard | Profesyonel=Professional")),
        _Leaf("ISG-MSK", "Maskeler=Masks", "ADET", (15, 900), "{0} {1} {2}", (
            "Toz Maskesi FFP1=Dust Mask FFP1 | Toz Maskesi FFP2=Dust Mask FFP2 | Toz Maskesi FFP3=Dust Mask FFP3"
            " | Yarım Yüz Maske=Half-face Mask | Gaz Filtresi A1=Gas Filter A1 | Gaz Filtresi ABEK1=Gas Filter ABEK1",
            "Ventilli=Valved | Ventilsiz=Unvalved",
            "Tekli=Single | 10'lu Kutu=Box of 10 | 20'li Kutu=Box of 20"), vat=10, batch_managed=True),
    ]),
]
# fmt: on

BRANDS = [
    ("VOLTA", "Volta", ("ELK", "AYD")),
    ("ARMA", "Arma Elektrik", ("ELK", "AYD")),
    ("LUMEX", "Lumex", ("AYD",)),
    ("PARLA", "Parla Aydınlatma", ("AYD",)),
    ("DEMIRTAS", "Demirtaş", ("HRD",)),
    ("KUVVET", "Kuvvet Tools", ("HRD", "BYA", "ISG")),
    ("ZIRH", "Zırh Kilit", ("HRD",)),
    ("RENKSAN", "Renksan Boya", ("BYA",)),
    ("AKAR", "Akar Tesisat", ("TSS",)),
    ("DERYA", "Derya Armatür", ("TSS",)),
    ("KALKAN", "Kalkan İSG", ("ISG",)),
]


# --- Products -----------------------------------------------------------------------------------

# Holds staff put on items in the portal (the ERP still lists them as active).
PRODUCT_HOLD_REASONS = [
    "Duplicate of another item code in the ERP; waiting for master-data cleanup.",
    "Supplier recall: lot under inspection in quality control.",
    "Barcode conflicts with another item; the ERP record is being corrected.",
    "No VAT code in the ERP; finance must assign one before sale.",
]


@dataclass
class _ProductPlan:
    sku: str
    name: str
    name_en: str
    category: str
    brand: str
    unit: str
    vat: Decimal
    base_net: Decimal
    barcode: str
    batch_managed: bool
    case_factor: int | None = None
    case_barcode: str = ""
    min_order_qty: Decimal = Decimal("1")
    order_multiple: Decimal = Decimal("1")
    active: bool = True  # passive in the ERP: discontinued
    hold_reason: str = ""  # quarantined by staff in the portal

    @property
    def sellable(self) -> bool:
        return self.active and not self.hold_reason


def _plan_products(rng: random.Random) -> list[_ProductPlan]:
    """Names come round-robin from each leaf category's shuffled combinations, so the tree stays balanced."""
    queues = []
    for top, _names, leaves in CATEGORIES:
        for leaf in leaves:
            combos = list(cartesian(*(_choices(dimension) for dimension in leaf.dims)))
            rng.shuffle(combos)
            queues.append((top, leaf, combos))
    plans: list[_ProductPlan] = []
    counters: Counter[str] = Counter()
    while len(plans) < PRODUCT_COUNT:
        for top, leaf, combos in queues:
            if combos and len(plans) < PRODUCT_COUNT:
                counters[top] += 1
                plans.append(_plan_product(rng, top, leaf, combos.pop(), counters[top], len(plans)))
    for plan in rng.sample(plans, 20):
        plan.vat = Decimal("1")
    for index, plan in enumerate(rng.sample(plans, 20)):
        if index < 8:
            plan.hold_reason = PRODUCT_HOLD_REASONS[index % 4]
        else:
            plan.active = False
    return plans


def _plan_product(rng: random.Random, top: str, leaf: _Leaf, combo: tuple, number: int, index: int) -> _ProductPlan:
    pattern, pattern_en = _tr_en(leaf.pattern)
    # Joining the split words drops the double space an empty choice leaves behind.
    name = " ".join(pattern.format(*(tr for tr, _en in combo)).split())
    name_en = " ".join(pattern_en.format(*(en for _tr, en in combo)).split())
    brands = [code for code, _name, tops in BRANDS if top in tops]
    brand_index = next(i for i, (code, _n, _t) in enumerate(BRANDS) if code == brands[index % len(brands)])
    low, high = leaf.price_range
    base_net = Decimal(f"{math.exp(rng.uniform(math.log(low), math.log(high))):.2f}")
    # 869 is Türkiye's GS1 prefix; the product number keeps every barcode unique.
    barcode = f"869{1200 + brand_index * 37:04d}{index:05d}"
    plan = _ProductPlan(
        sku=f"{top}-{number:06d}",
        name=name,
        name_en=name_en,
        category=leaf.code,
        brand=brands[index % len(brands)],
        unit=leaf.unit,
        vat=Decimal(leaf.vat),
        base_net=base_net,
        barcode=barcode + ean.calc_check_digit(barcode),
        batch_managed=leaf.batch_managed and rng.random() < 0.8,
    )
    if leaf.unit in ("ADET", "PAKET") and rng.random() < 0.55:
        plan.case_factor = rng.choice((6, 12, 24))
        # A case carries a GTIN-14: indicator digit 1, then the item's number, then its own check digit.
        case = "1" + plan.barcode[:12]
        plan.case_barcode = case + ean.calc_check_digit(case)
        if rng.random() < 0.12:
            plan.min_order_qty = plan.order_multiple = Decimal(plan.case_factor)
    elif rng.random() < 0.06:
        plan.min_order_qty = Decimal(rng.choice((5, 10)))
    return plan


def _stock_quantity(rng: random.Random, plan: _ProductPlan) -> Decimal:
    roll = rng.random()
    if roll < 0.10:
        return Decimal("0")
    if roll < 0.25:
        return Decimal(rng.randint(1, 9))
    if plan.unit in ("MT", "KG"):
        return Decimal(rng.randint(50, 5000)) + Decimal(rng.choice((0, 250, 500, 750))) / 1000
    return Decimal(rng.randint(10, 1500))


def _plan_stock(rng: random.Random, plans: list[_ProductPlan]) -> list[ErpStock]:
    """Most items are in the central warehouse, many in Ankara, a few damaged ones in quarantine. No "as of":
    the figures are as fresh as the import that reads them."""
    presence = {"MERKEZ": 0.92, "ANKARA": 0.60, "KARANTINA": 0.05}
    rows = []
    for plan in plans:
        for code, chance in presence.items():
            if rng.random() < chance:
                on_hand = _stock_quantity(rng, plan)
                committed = Decimal("0")
                if on_hand > 1 and rng.random() < 0.25:
                    committed = (on_hand * Decimal(rng.randint(5, 60)) / 100).quantize(Decimal("1"))
                rows.append(ErpStock(product_code=plan.sku, warehouse_code=code, on_hand=on_hand, committed=committed))
    return rows


# --- Prices -------------------------------------------------------------------------------------

PRICE_LISTS = [
    ("TRY-A", "Bayi Liste A (KDV dahil)", "TRY", True),
    ("TRY-B", "Bayi Liste B (KDV hariç)", "TRY", False),
    ("USD-EXP", "Export Price List (USD)", "USD", False),
]
PRICE_LISTS_FROM = date(2026, 1, 1)
BREAKS = ((Decimal("10"), Decimal("0.97")), (Decimal("50"), Decimal("0.94")), (Decimal("100"), Decimal("0.90")))
CASE_DISCOUNT = Decimal("0.97")


def _list_price(plan: _ProductPlan, list_code: str) -> Decimal:
    """The base-unit price on a list: B is the net dealer price, A adds a margin and VAT, USD is for export."""
    if list_code == "TRY-A":
        return _money(plan.base_net * Decimal("1.05") * (1 + plan.vat / 100))
    if list_code == "USD-EXP":
        return _list_round("USD-EXP", plan.base_net / USD_RATE * Decimal("0.95"))
    return plan.base_net


def _list_round(list_code: str, price: Decimal) -> Decimal:
    """Export prices keep four places: a metre of cable costs a few US cents, and a 3 % break must still show."""
    return _price4(price) if list_code == "USD-EXP" else _money(price)


@dataclass
class _PriceBook:
    """The prices planned per (list, sku): base-unit breaks as (min_quantity, price), and a case price."""

    breaks: dict[tuple[str, str], list[tuple[Decimal, Decimal]]] = field(default_factory=dict)
    case: dict[tuple[str, str], Decimal] = field(default_factory=dict)


def _plan_prices(rng: random.Random, plans: list[_ProductPlan]) -> _PriceBook:
    book = _PriceBook()
    with_breaks = {plan.sku for plan in plans if rng.random() < 0.15}
    cased = [plan for plan in plans if plan.case_factor]
    with_case_price = {plan.sku for plan in rng.sample(cased, 40)}
    for list_code, _name, _currency, _vat in PRICE_LISTS:
        for plan in plans:
            if rng.random() < 0.03:
                continue  # a few items have no price on a list: the portal shows them as "price on request"
            price = _list_price(plan, list_code)
            tiers = [(Decimal("1"), price)]
            if plan.sku in with_breaks:
                tiers += [(qty, _list_round(list_code, price * factor)) for qty, factor in BREAKS]
            book.breaks[list_code, plan.sku] = tiers
            if plan.sku in with_case_price and list_code != "USD-EXP":
                book.case[list_code, plan.sku] = _money(price * plan.case_factor * CASE_DISCOUNT)
    return book


def _load_exchange_rates(ctx: _Context) -> None:
    """Today's rates, as the portal keeps them (the ERP does not send them)."""
    ctx.log("Exchange rates, dealer IBANs")
    objects = [
        ExchangeRate(currency=currency, rate_date=ctx.today, rate=rate, source="demo")
        for currency, rate in (("USD", USD_RATE), ("EUR", EUR_RATE))
    ]
    _insert_missing(ctx, objects, ("currency", "rate_date"))


# --- Dealers ------------------------------------------------------------------------------------

PAYMENT_TERMS = [
    ("PESIN", "Peşin (Cash)", 0),
    ("VADE30", "30 Gün Vade (Net 30)", 30),
    ("VADE60", "60 Gün Vade (Net 60)", 60),
]
SALES_REPS = [
    ("PLS01", "Murat Aksoy"),
    ("PLS02", "Zeynep Çelik"),
    ("PLS03", "Burak Erdem"),
    ("PLS04", "Deniz Korkmaz"),
]
# plate code, city, area code, tax offices, districts
CITIES = [
    ("34", "İstanbul", "212", ("Kozyatağı", "Şişli", "İkitelli"), ("Kadıköy", "Ümraniye", "Başakşehir", "Pendik")),
    ("06", "Ankara", "312", ("Ostim", "Çankaya", "Yenimahalle"), ("Yenimahalle", "Çankaya", "Etimesgut", "Sincan")),
    ("35", "İzmir", "232", ("Bornova", "Karşıyaka", "Konak"), ("Bornova", "Çiğli", "Buca", "Karşıyaka")),
    ("16", "Bursa", "224", ("Nilüfer", "Osmangazi"), ("Nilüfer", "Osmangazi", "Yıldırım")),
    ("07", "Antalya", "242", ("Muratpaşa", "Kepez"), ("Muratpaşa", "Kepez", "Konyaaltı")),
    ("41", "Kocaeli", "262", ("Gebze", "Tepecik"), ("Gebze", "İzmit", "Darıca")),
    ("42", "Konya", "332", ("Selçuk", "Meram"), ("Selçuklu", "Karatay", "Meram")),
    ("01", "Adana", "322", ("Seyhan", "Ziyapaşa"), ("Seyhan", "Yüreğir", "Çukurova")),
    ("27", "Gaziantep", "342", ("Şahinbey", "Şehitkamil"), ("Şahinbey", "Şehitkamil")),
    ("38", "Kayseri", "352", ("Erciyes", "Kocasinan"), ("Melikgazi", "Kocasinan", "Talas")),
    ("55", "Samsun", "362", ("19 Mayıs", "Gaziler"), ("İlkadım", "Atakum", "Canik")),
    ("26", "Eskişehir", "222", ("Anadolu", "Osmangazi"), ("Tepebaşı", "Odunpazarı")),
]  # fmt: skip
STREETS = [
    "Atatürk Cad.", "Cumhuriyet Cad.", "İnönü Cad.", "Gazi Mustafa Kemal Bulvarı", "Fevzi Çakmak Cad.",
    "Sanayi Cad.", "Organize Sanayi Bölgesi 3. Cad.", "Mimar Sinan Cad.", "Kazım Karabekir Cad.", "Hürriyet Cad.",
]  # fmt: skip
TITLE_WORDS = [
    "Anadolu", "Marmara", "Akdeniz", "Karadeniz", "Başkent", "Toros", "Uludağ", "Erciyes", "Güneş", "Doğan",
    "Özgür", "Altın", "Işık", "Öztürk", "Demirci", "Çelik", "Aydınlar", "Bereket", "Ulusoy", "Şahin", "Arslan",
    "Polat", "Ekinci", "Tekin", "Yavuz", "Sönmez", "Koçak", "Akın", "Ergin", "Başaran", "Umut", "Mavi",
    "Güney", "Doğu", "Batı", "Asil", "Pınar", "Ata", "Kartal", "Atlas",
]  # fmt: skip
SECTORS = [
    "Elektrik", "Aydınlatma", "Hırdavat", "Yapı Market", "Boya", "Tesisat", "Yapı Malzemeleri",
    "Elektrik ve Aydınlatma", "Isı ve Su Tesisatı", "İş Güvenliği",
]  # fmt: skip
LEGAL_FORMS = ["San. ve Tic. Ltd. Şti.", "Tic. Ltd. Şti.", "San. ve Tic. A.Ş.", "İnş. San. Tic. Ltd. Şti.", "Paz. A.Ş."]
FIRST_NAMES = ["Mehmet", "Ahmet", "Ayşe", "Fatma", "Mustafa", "Hüseyin", "Emine", "Ali", "Hatice", "İbrahim"]
LAST_NAMES = ["Kaya", "Yılmaz", "Demir", "Şahin", "Aydın", "Özdemir", "Arslan", "Doğan", "Kılıç", "Koç"]
CREDIT_HOLD_REASONS = [
    "Cheque returned unpaid; finance follow-up.",
    "Invoices more than 90 days overdue.",
    "Balance above the credit limit.",
    "Legal follow-up (icra takibi) in progress.",
    "Signed dealer agreement missing.",
]
BANKS = [("00010", "Ziraat Bankası"), ("00012", "Halkbank"), ("00015", "VakıfBank"), ("00046", "Akbank"),
         ("00062", "Garanti BBVA"), ("00064", "İş Bankası"), ("00067", "Yapı Kredi"), ("00111", "QNB")]  # fmt: skip
CREDIT_LIMITS_TRY = [50_000, 75_000, 100_000, 150_000, 250_000, 400_000, 500_000, 750_000, 1_000_000, 2_000_000]


@dataclass
class _AddressPlan:
    kind: str
    code: str
    name: str
    line1: str
    line2: str
    district: str
    city: str
    postal_code: str
    phone: str
    is_default: bool


@dataclass
class _DealerPlan:
    code: str
    title: str
    tax_number: str
    tax_office: str
    city: str
    email: str
    phone: str
    currency: str = "TRY"
    price_list: str = "TRY-B"
    payment_terms: str = "VADE30"
    sales_rep: str = "PLS01"
    credit_limit: Decimal = Decimal("100000.00")
    erp_balance: Decimal = Decimal("0.00")
    erp_open_orders: Decimal = Decimal("0.00")
    figures_as_of: datetime | None = None  # None: as fresh as the import
    credit_hold_reason: str = ""
    parent: str = ""
    # Set by staff in the portal, not by the ERP.
    requires_manual_review: bool = False
    po_number_required: bool = False
    status: str = Dealer.Status.ACTIVE
    status_reason: str = ""
    addresses: list[_AddressPlan] = field(default_factory=list)
    ibans: list[tuple[str, str]] = field(default_factory=list)


# The dealers the demo logins belong to; the rest are generated.
YILDIZ, EGE, KUZEY = "120.34.001", "120.35.001", "120.55.001"


def _plan_dealers(rng: random.Random) -> list[_DealerPlan]:
    used_numbers: set[str] = set()
    seq: Counter[str] = Counter()
    city_by_name = {c[1]: c for c in CITIES}
    domains: set[str] = set()

    def new_dealer(title: str, trade_name: str, city: tuple, *, sole_trader: bool = False) -> _DealerPlan:
        plate, city_name, area, offices, _districts = city
        seq[plate] += 1
        # A reserved top-level domain: a demo must never e-mail a real company.
        domain = f"{_slug(trade_name)}.example"
        domain = domain if domain not in domains else f"{_slug(trade_name)}-{plate}.example"
        domains.add(domain)
        return _DealerPlan(
            code=f"120.{plate}.{seq[plate]:03d}",
            title=title,
            tax_number=_tax_number(rng, used_numbers, sole_trader=sole_trader),
            tax_office=rng.choice(offices),
            city=city_name,
            email=f"muhasebe@{domain}",
            phone=f"+90 {area} {rng.randint(200, 699)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
            sales_rep=rng.choice(SALES_REPS)[0],
            credit_limit=Decimal(rng.choice(CREDIT_LIMITS_TRY)),
        )

    dealers = [
        new_dealer("Yıldız Elektrik San. ve Tic. Ltd. Şti.", "Yıldız Elektrik", city_by_name["İstanbul"]),
        new_dealer("Yıldız Elektrik San. ve Tic. Ltd. Şti. Ankara Şubesi", "Yıldız Elektrik", city_by_name["Ankara"]),
        new_dealer("Ege Dış Ticaret ve Pazarlama A.Ş.", "Ege Dış Ticaret", city_by_name["İzmir"]),
        new_dealer("Kuzey Yapı Market Tic. A.Ş.", "Kuzey Yapı Market", city_by_name["Samsun"]),
    ]
    titles = {d.title for d in dealers}
    while len(dealers) < 50:
        city = rng.choice(CITIES)
        # Sole traders (şahıs şirketi) trade under the owner's name and have a TCKN instead of a VKN.
        sole_trader = len(dealers) % 12 == 5
        if sole_trader:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            trade_name = f"{last} {rng.choice(SECTORS)}"
            title = f"{first} {last} - {trade_name}"
        else:
            trade_name = f"{rng.choice(TITLE_WORDS)} {rng.choice(SECTORS)}"
            title = f"{trade_name} {rng.choice(LEGAL_FORMS)}"
        dealer = new_dealer(title, trade_name, city, sole_trader=sole_trader)
        if dealer.title not in titles:
            titles.add(dealer.title)
            dealers.append(dealer)
    _set_commercial_terms(rng, dealers)
    for dealer in dealers:
        _plan_addresses(rng, dealer, city_by_name[dealer.city])
        _plan_ibans(rng, dealer, used_numbers)
    return dealers


def _set_commercial_terms(rng: random.Random, dealers: list[_DealerPlan]) -> None:
    """Named dealers get the terms the demo logins show off; the rest a believable spread."""
    yildiz, branch, ege, kuzey, *others = dealers
    *others, second_branch = others
    for dealer in others:
        dealer.price_list = "TRY-A" if rng.random() < 0.4 else "TRY-B"
        dealer.payment_terms = rng.choice(("PESIN", "VADE30", "VADE30", "VADE60"))
        dealer.erp_balance = _share(rng, dealer.credit_limit, -5, 95)
        dealer.erp_open_orders = _share(rng, dealer.credit_limit, 0, 20) if rng.random() < 0.7 else Decimal("0.00")
        dealer.po_number_required = rng.random() < 0.15
    over_limit = rng.sample(others, 6)
    for dealer in over_limit:
        dealer.erp_balance = _share(rng, dealer.credit_limit, 102, 130)
    for dealer, reason in zip(over_limit[:4], CREDIT_HOLD_REASONS[1:], strict=True):
        dealer.credit_hold_reason = reason
    for dealer in rng.sample(others, 3):
        dealer.requires_manual_review = True
    quarantined = rng.choice([d for d in others if not d.credit_hold_reason])
    quarantined.status = Dealer.Status.QUARANTINED
    quarantined.status_reason = "Tax number also found on another ERP account; finance is checking for a duplicate."
    # Figures the ERP has not refreshed for days, to show what an old "as of" looks like.
    quarantined.figures_as_of = datetime(2026, 11, 11, 17, 45, tzinfo=ERP_ZONE)
    for dealer in rng.sample([d for d in others if d is not quarantined and not d.credit_hold_reason], 2):
        dealer.currency, dealer.price_list, dealer.payment_terms = "USD", "USD-EXP", "VADE60"
        dealer.credit_limit = Decimal(rng.choice((25_000, 50_000, 80_000)))
        dealer.erp_balance = _share(rng, dealer.credit_limit, 10, 70)
        dealer.erp_open_orders = Decimal("0.00")
    parent = next(d for d in others if len(d.tax_number) == 10 and d.currency == "TRY" and d.status == "active")
    _make_branch(second_branch, parent)
    second_branch.title = f"{parent.title} {second_branch.city} Şubesi"

    yildiz.credit_limit, yildiz.erp_balance, yildiz.erp_open_orders = (
        Decimal("750000.00"), Decimal("312480.55"), Decimal("45210.00"),
    )  # fmt: skip
    _make_branch(branch, yildiz)
    branch.credit_limit, branch.erp_balance = Decimal("150000.00"), Decimal("38950.20")
    ege.currency, ege.price_list, ege.payment_terms = "USD", "USD-EXP", "VADE60"
    ege.credit_limit, ege.erp_balance, ege.erp_open_orders = (
        Decimal("120000.00"),
        Decimal("41800.00"),
        Decimal("9500.00"),
    )
    kuzey.price_list, kuzey.payment_terms = "TRY-A", "PESIN"
    kuzey.credit_limit, kuzey.erp_balance = Decimal("250000.00"), Decimal("287340.10")
    kuzey.credit_hold_reason = CREDIT_HOLD_REASONS[0]
    kuzey.po_number_required = True


def _share(rng: random.Random, amount: Decimal, low_percent: int, high_percent: int) -> Decimal:
    """A figure between the two percentages of ``amount``, with cents, as ERP balances have."""
    share = amount * Decimal(rng.randint(low_percent * 100, high_percent * 100)) / 10000
    return _money(share + Decimal(rng.randint(0, 99)) / 100)


def _make_branch(branch: _DealerPlan, parent: _DealerPlan) -> None:
    """A branch orders on its own account, on the same terms as its head; it is the same taxpayer."""
    branch.parent = parent.code
    branch.tax_number = parent.tax_number
    branch.currency, branch.price_list, branch.payment_terms = parent.currency, parent.price_list, parent.payment_terms
    branch.sales_rep = parent.sales_rep
    branch.email = f"{_slug(branch.city)}@{parent.email.split('@')[1]}"


def _tax_number(rng: random.Random, used: set[str], *, sole_trader: bool) -> str:
    """A checksum-valid VKN (companies) or TCKN (sole traders), unique within the demo."""
    while True:
        first9 = str(rng.randint(1, 9)) + f"{rng.randint(0, 99_999_999):08d}"
        number = first9 + (tckimlik.calc_check_digits(first9) if sole_trader else vkn.calc_check_digit(first9))
        if number not in used:
            used.add(number)
            return number


def _plan_addresses(rng: random.Random, dealer: _DealerPlan, city: tuple) -> None:
    plate, city_name, area, _offices, districts = city

    def address(kind: str, code: str, name: str, is_default: bool) -> _AddressPlan:
        return _AddressPlan(
            kind=kind,
            code=code,
            name=name,
            line1=f"{rng.choice(STREETS)} No: {rng.randint(1, 240)}",
            line2=rng.choice(("", "", f"Kat: {rng.randint(1, 6)}", f"{rng.choice('ABCD')} Blok")),
            district=rng.choice(districts),
            city=city_name,
            postal_code=f"{plate}{rng.randint(0, 999):03d}",
            phone=f"+90 {area} {rng.randint(200, 699)} {rng.randint(10, 99)} {rng.randint(10, 99)}",
            is_default=is_default,
        )

    dealer.addresses = [
        address(DealerAddress.Kind.BILLING, "FAT-01", "Merkez", True),
        address(DealerAddress.Kind.SHIPPING, "SEV-01", "Depo", True),
    ]
    if rng.random() < 0.5:
        dealer.addresses.append(address(DealerAddress.Kind.SHIPPING, "SEV-02", "Şantiye", False))


def _plan_ibans(rng: random.Random, dealer: _DealerPlan, used: set[str]) -> None:
    if rng.random() < 0.4:
        return
    for _ in range(rng.choice((1, 1, 2))):
        bank_code, bank_name = rng.choice(BANKS)
        while True:
            bban = f"{bank_code}0{rng.randint(0, 10**16 - 1):016d}"
            number = f"TR{iban.calc_check_digits('TR00' + bban)}{bban}"
            if number not in used:
                break
        used.add(number)
        dealer.ibans.append((number, bank_name))


def _load_ibans(ctx: _Context, plans: list[_DealerPlan], dealer_ids: dict[str, int]) -> None:
    objects = [
        DealerIban(dealer_id=dealer_ids[plan.code], iban=number, bank_name=bank, source=DealerIban.Source.STAFF)
        for plan in plans
        for number, bank in plan.ibans
    ]
    _insert_missing(ctx, objects, ("iban",))


def _agreement_window(rng: random.Random) -> tuple[date | None, date | None]:
    """Past, current or future around the export day, far enough out to stay so for years."""
    day = ERP_EXPORT_DAY
    roll = rng.random()
    if roll < 0.2:  # expired
        start = day - timedelta(days=rng.randint(400, 700))
        return start, start + timedelta(days=rng.randint(60, 180))
    if roll < 0.35:  # starts later: a framework agreement signed ahead
        start = day + timedelta(days=rng.randint(1100, 1400))
        return start, start + timedelta(days=rng.randint(90, 365))
    start = day - timedelta(days=rng.randint(10, 300))
    return start, (None if rng.random() < 0.3 else day + timedelta(days=rng.randint(1500, 1900)))


def _plan_agreements(
    rng: random.Random, dealers: list[_DealerPlan], products: list[_ProductPlan], prices: _PriceBook
) -> list[ErpCustomerPrice]:
    """Fixed net prices on products, discounts on categories and brands; at most one per dealer and target."""
    targets = [top for top, _names, _leaves in CATEGORIES]
    targets += [leaf.code for _top, _names, leaves in CATEGORIES for leaf in leaves]
    sellable = [p for p in products if p.sellable]
    order = dealers[:4] + rng.sample(dealers[4:], len(dealers) - 4)
    agreements: list[ErpCustomerPrice] = []
    for dealer in order:
        if len(agreements) >= AGREEMENT_COUNT:
            break
        chosen = set()
        for _ in range(rng.randint(3, 6)):
            kind = rng.choice(("product", "product", "category", "brand"))
            valid_from, valid_to = _agreement_window(rng)
            common = {
                "code": f"ANL-{len(agreements) + 1:05d}",
                "customer_code": dealer.code,
                "valid_from": valid_from,
                "valid_to": valid_to,
            }
            if kind == "product":
                plan = rng.choice(sellable)
                tiers = prices.breaks.get((dealer.price_list, plan.sku))
                if not tiers or plan.sku in chosen:
                    continue
                chosen.add(plan.sku)
                net = tiers[0][1] / (1 + plan.vat / 100) if dealer.price_list == "TRY-A" else tiers[0][1]
                agreement = ErpCustomerPrice(
                    kind="fixed_price",
                    value=_price4(net * Decimal(rng.randint(82, 95)) / 100),
                    product_code=plan.sku,
                    currency=dealer.currency,
                    min_quantity=Decimal(rng.choice((1, 1, 1, 10, 50))),
                    note="Project price",
                    **common,
                )
            else:
                target = rng.choice(targets) if kind == "category" else rng.choice(BRANDS)[0]
                if target in chosen:
                    continue
                chosen.add(target)
                agreement = ErpCustomerPrice(
                    kind="discount",
                    value=Decimal(rng.choice((2, 3, 5, 7.5, 10, 12, 15))).quantize(Decimal("0.01")),
                    category_code=target if kind == "category" else "",
                    brand_code=target if kind == "brand" else "",
                    note="Category discount" if kind == "category" else "Brand discount",
                    **common,
                )
            agreements.append(agreement)
    return agreements[:AGREEMENT_COUNT]


# --- The ERP's export ---------------------------------------------------------------------------


@dataclass
class _ErpPlan:
    """Everything the ERP owns, planned in one pass of the random stream (no clock, no database), so the
    sample files and the orders built on them always agree."""

    products: list[_ProductPlan]
    stock: list[ErpStock]
    prices: _PriceBook
    dealers: list[_DealerPlan]
    agreements: list[ErpCustomerPrice]


def _plan_erp(rng: random.Random) -> _ErpPlan:
    products = _plan_products(rng)
    stock = _plan_stock(rng, products)
    prices = _plan_prices(rng, products)
    dealers = _plan_dealers(rng)
    agreements = _plan_agreements(rng, dealers, products, prices)
    return _ErpPlan(products, stock, prices, dealers, agreements)


@dataclass(frozen=True)
class _ExportFile:
    """One file of the sample export: the ERP writes most entities as UTF-8 CSV with ";" and a decimal comma;
    a few as Windows-1254 CSV, Turkish number and date formats, or XML, to show what the adapter reads."""

    entity: str
    name: str
    encoding: str = "utf-8"
    fmt: TextFormat = field(default_factory=TextFormat)

    @property
    def path(self) -> str:
        return f"inbound/{self.entity}/{self.name}"

    @property
    def xml(self) -> bool:
        return self.name.endswith(".xml")


_STAMP = ERP_EXPORT_DAY.strftime("%Y%m%d")
# In the order the sync imports them: each entity finds what the ones before it created.
ERP_EXPORT: tuple[_ExportFile, ...] = (
    _ExportFile("unit", f"units-{_STAMP}.csv"),
    _ExportFile("category", f"categories-{_STAMP}.csv", encoding="cp1254"),
    _ExportFile("brand", f"brands-{_STAMP}.csv"),
    _ExportFile("warehouse", f"warehouses-{_STAMP}.csv", encoding="cp1254"),
    _ExportFile("product", f"items-{_STAMP}.csv"),
    _ExportFile("stock", f"stock-{_STAMP}.csv"),
    _ExportFile("price_list", f"price-lists-{_STAMP}.csv", fmt=TextFormat(date_format="%d.%m.%Y")),
    _ExportFile("price", f"prices-{_STAMP}.csv"),
    _ExportFile("customer", f"customers-{_STAMP}.xml"),
    _ExportFile("agreement", f"agreements-{_STAMP}.csv", fmt=TextFormat(date_format="%d.%m.%Y")),
    _ExportFile("balance", f"balances-{_STAMP}.csv", fmt=TextFormat(thousands=True)),
    _ExportFile("credit", f"credit-{_STAMP}.csv", fmt=TextFormat(thousands=True)),
    _ExportFile("invoice", f"invoices-{_STAMP}.csv"),
    _ExportFile("ledger", f"ledger-{_STAMP}.csv", fmt=TextFormat(date_format="%d.%m.%Y")),
)
# The connection reads the Windows-1254 files with that encoding named, as an integrator would configure it.
CONNECTION_ENTITY_SETTINGS = {f.entity: {"encoding": "windows-1254"} for f in ERP_EXPORT if f.encoding == "cp1254"}


LEDGER_FROM = date(ERP_EXPORT_DAY.year, 1, 1)
VAT_RATE = Decimal("0.20")


def _entry(dealer, key, posted_on, kind, amount, document, description, due_on=None) -> ErpLedgerEntry:
    return ErpLedgerEntry(
        entry_id=f"{dealer.code}/{key}",
        customer_code=dealer.code,
        posted_on=posted_on,
        kind=kind,
        amount=amount,
        currency=dealer.currency,
        document_number=document,
        due_on=due_on,
        description=description,
    )


def _plan_ledger(dealers: list[_DealerPlan]) -> tuple[list[ErpDocument], list[ErpLedgerEntry]]:
    """This year's account movements of every dealer, as the ERP's customer ledger holds them: the balance carried
    over on 1 January, monthly invoices (also sent as invoices, with their e-invoice ids) and the collections
    that paid most of them. The movements add up to the balance the ERP reports for the dealer. A random stream
    of its own, so the rest of the plan stays as it was."""
    rng = random.Random(SEED + 8)
    terms = {code: days for code, _name, days in PAYMENT_TERMS}
    invoices: list[ErpDocument] = []
    entries: list[ErpLedgerEntry] = []
    number = 0
    for dealer in dealers:
        days = terms[dealer.payment_terms]
        scale = max(dealer.credit_limit, Decimal("20000")) / 10
        moves: list[ErpLedgerEntry] = []
        for month in range(1, ERP_EXPORT_DAY.month + 1):
            if rng.random() < 0.25:
                continue
            issued = date(ERP_EXPORT_DAY.year, month, rng.randint(1, 28))
            if issued > ERP_EXPORT_DAY:
                continue
            number += 1
            gross = _money(scale * Decimal(rng.randint(20, 120)) / 100)
            net = _money(gross / (1 + VAT_RATE))
            doc = f"GIB{ERP_EXPORT_DAY.year}{number:09d}"
            due = issued + timedelta(days=days)
            invoices.append(
                ErpDocument(
                    DocumentKind.INVOICE,
                    doc,
                    dealer.code,
                    issued,
                    currency=dealer.currency,
                    net=net,
                    vat=gross - net,
                    gross=gross,
                    due_on=due,
                    e_invoice_uuid=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                )
            )
            moves.append(_entry(dealer, f"F{number}", issued, "invoice", gross, doc, "Satış faturası", due_on=due))
            if due <= ERP_EXPORT_DAY - timedelta(days=10) and rng.random() < 0.85:
                paid_on = min(due + timedelta(days=rng.randint(-5, 20)), ERP_EXPORT_DAY)
                moves.append(
                    _entry(dealer, f"T{number}", paid_on, "collection", -gross, f"TAH-{number:06d}", "Havale/EFT")
                )
        carried = dealer.erp_balance - sum((m.amount for m in moves), Decimal(0))
        opening = _entry(dealer, "D", LEDGER_FROM, "opening", carried, "DEVIR", "Önceki yıldan devir")
        entries += [opening, *sorted(moves, key=lambda m: (m.posted_on, m.entry_id))]
    return invoices, entries


def demo_erp_records(plan: _ErpPlan | None = None) -> dict[str, list]:
    """The records of the sample export per entity, as the file adapter reads them back."""
    plan = plan or _plan_erp(random.Random(SEED))
    brand_names = {code: name for code, name, _tops in BRANDS}
    categories = []
    for code, names, leaves in CATEGORIES:
        categories.append(ErpCategory(code, *_tr_en(names)))
        categories += [ErpCategory(leaf.code, *_tr_en(leaf.names), parent_code=code) for leaf in leaves]
    products = []
    for p in plan.products:
        case_tr = f" Koli içi {p.case_factor} adet." if p.case_factor else ""
        case_en = f" {p.case_factor} per case." if p.case_factor else ""
        packs = (ErpProductUnit("KOLI", Decimal(p.case_factor), p.case_barcode),) if p.case_factor else ()
        products.append(
            ErpProduct(
                code=p.sku,
                name=p.name,
                unit=p.unit,
                name_en=p.name_en,
                vat_rate=p.vat,
                barcode=p.barcode,
                category_code=p.category,
                brand_code=p.brand,
                description=f"{brand_names[p.brand]} {p.name}.{case_tr}",
                description_en=f"{brand_names[p.brand]} {p.name_en}.{case_en}",
                min_order_qty=p.min_order_qty,
                order_multiple=p.order_multiple,
                batch_managed=p.batch_managed,
                active=p.active,
                units=packs,
            )
        )
    prices = []
    for list_code, _name, _currency, _vat in PRICE_LISTS:
        for p in plan.products:
            tiers = plan.prices.breaks.get((list_code, p.sku), [])
            prices += [ErpPrice(list_code, p.sku, price, min_quantity=qty) for qty, price in tiers]
            if (list_code, p.sku) in plan.prices.case:
                prices.append(ErpPrice(list_code, p.sku, plan.prices.case[list_code, p.sku], unit="KOLI"))
    terms = {code: days for code, _name, days in PAYMENT_TERMS}
    reps = dict(SALES_REPS)
    invoices, ledger = _plan_ledger(plan.dealers)
    return {
        "unit": [ErpUnit(code, tr, en, decimals) for code, tr, en, decimals in UNITS],
        "category": categories,
        "brand": [ErpBrand(code, name) for code, name, _tops in BRANDS],
        "warehouse": [ErpWarehouse(code, name, sellable) for code, name, sellable in WAREHOUSES],
        "product": products,
        "stock": plan.stock,
        "price_list": [
            ErpPriceList(code, name, currency, vat_included, valid_from=PRICE_LISTS_FROM)
            for code, name, currency, vat_included in PRICE_LISTS
        ],
        "price": prices,
        "customer": [
            ErpCustomer(
                code=d.code,
                title=d.title,
                tax_number=d.tax_number,
                tax_office=d.tax_office,
                email=d.email,
                phone=d.phone,
                currency=d.currency,
                price_list_code=d.price_list,
                payment_terms_code=d.payment_terms,
                payment_terms_days=terms[d.payment_terms],
                sales_rep_code=d.sales_rep,
                sales_rep_name=reps[d.sales_rep],
                parent_code=d.parent,
                addresses=tuple(
                    ErpAddress(
                        code=a.code,
                        name=a.name,
                        line1=a.line1,
                        city=a.city,
                        kind=a.kind,
                        line2=a.line2,
                        district=a.district,
                        postal_code=a.postal_code,
                        phone=a.phone,
                        is_default=a.is_default,
                    )
                    for a in d.addresses
                ),
            )
            for d in plan.dealers
        ],
        "agreement": plan.agreements,
        "balance": [
            ErpBalance(d.code, d.erp_balance, d.currency, d.erp_open_orders, d.figures_as_of) for d in plan.dealers
        ],
        "credit": [
            ErpCredit(d.code, d.credit_limit, bool(d.credit_hold_reason), d.credit_hold_reason, d.figures_as_of)
            for d in plan.dealers
        ],
        "invoice": invoices,
        "ledger": ledger,
    }


def demo_erp_export() -> dict[str, bytes]:
    """The sample export's files (path under ``demo_erp/`` → content), built from the demo's plans."""
    records = demo_erp_records()
    files = {}
    for spec in ERP_EXPORT:
        if spec.xml:
            files[spec.path] = xml_bytes(spec.entity, records[spec.entity], encoding=spec.encoding.upper())
        else:
            files[spec.path] = csv_text(spec.entity, records[spec.entity], fmt=spec.fmt).encode(spec.encoding)
    return files


def demo_erp_export_write(folder: Path) -> list[Path]:
    """Write the sample export under ``folder`` (``inbound/<entity>/<file>``); returns the files written.
    ``b2bportal/demo_erp`` holds the committed copy, which must be exactly what this writes."""
    written = []
    for relative, data in demo_erp_export().items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written.append(target)
    return written


# --- Importing the export -----------------------------------------------------------------------


def _demo_connection(drop: Path) -> ErpConnection:
    """The demo's file connection, reading ``drop``. Made the default connection unless another one is."""
    drop.mkdir(parents=True, exist_ok=True)
    root = str(drop)
    connection, created = ErpConnection.objects.get_or_create(
        code=CONNECTION_CODE,
        defaults={
            "name": "Demo ERP (file exchange)",
            "adapter": "file",
            "settings": {"root": root, "entities": CONNECTION_ENTITY_SETTINGS},
            "is_active": True,
            "is_default": not ErpConnection.objects.filter(is_default=True).exists(),
        },
    )
    if not created and connection.settings.get("root") != root:
        # The files go where the connection reads; other settings staff changed stay.
        connection.settings = {**connection.settings, "root": root}
        connection.save(update_fields=["settings", "updated_at"])
    return connection


def _hand_over(drop: Path) -> None:
    """Copy the sample export into the drop folder as an ERP does: under a temporary name, then renamed, so the
    adapter never reads a half-written file."""
    for spec in ERP_EXPORT:
        folder = drop / "inbound" / spec.entity
        folder.mkdir(parents=True, exist_ok=True)
        temp = folder / f".{spec.name}.tmp"
        shutil.copyfile(DEMO_ERP_DIR / spec.path, temp)
        os.replace(temp, folder / spec.name)


def _sync_sample_export(ctx: _Context, drop: Path) -> list[SyncRun]:
    """Drop the sample export and import it entity by entity through ``sync_import``. Raises ``DemoSyncError``
    with the issue messages when a run fails or opens issues: the demo data must import cleanly."""
    ctx.log(f"ERP sync from {drop}")
    connection = _demo_connection(drop)
    _hand_over(drop)
    runs = []
    for spec in ERP_EXPORT:
        try:
            run = sync_import(connection=connection, entity=spec.entity)
        except Exception as exc:
            raise DemoSyncError(f"Importing {spec.entity} from {drop} failed: {exc}") from exc
        runs.append(run)
        ctx.log(f"  {sync_run_text(run)}")
        issues = SyncIssue.objects.filter(run=run, status__in=(SyncIssue.Status.OPEN, SyncIssue.Status.RETRYING))
        if run.status != SyncRun.Status.SUCCEEDED or issues.exists():
            listed = [f"{i.entity} {i.external_id}: {i.code}: {i.message}" for i in issues.order_by("pk")[:10]]
            more = issues.count() - len(listed)
            raise DemoSyncError(
                "\n".join(
                    [f"The sample ERP export did not import cleanly: {sync_run_text(run)}", *listed]
                    + ([f"... and {more} more issues."] if more > 0 else [])
                    + ([run.error] if run.error else [])
                )
            )
    return runs


def sync_run_text(run: SyncRun) -> str:
    """One line for a run: entity, status, counts, and the feed it read (or why it skipped it)."""
    feeds = run.summary.get("feeds", [])
    notes = [f"{f['source']} skipped, {f['skipped']}" if f.get("skipped") else f["source"] for f in feeds]
    return (
        f"{run.entity:<10} {run.status}: {run.created} created, {run.updated} updated, {run.unchanged} unchanged, "
        f"{run.deactivated} deactivated, {run.failed} failed ({'; '.join(notes) or 'no file waiting'})"
    )


# --- What staff set in the portal ---------------------------------------------------------------


@dataclass
class _Known:
    """Codes of the ERP-owned rows that existed before the sync: staff settings go on new rows only, so what
    staff changed while demoing stays."""

    categories: set[str]
    products: set[str]
    terms: set[str]
    reps: set[str]
    dealers: set[str]

    @classmethod
    def load(cls) -> _Known:
        return cls(
            categories=set(Category.objects.values_list("code", flat=True)),
            products=set(Product.objects.values_list("sku", flat=True)),
            terms=set(PaymentTerms.objects.values_list("code", flat=True)),
            reps=set(SalesRep.objects.values_list("code", flat=True)),
            dealers=set(Dealer.objects.values_list("code", flat=True)),
        )


def _apply_portal_settings(ctx: _Context, plan: _ErpPlan, known: _Known) -> None:
    """On rows the sync just created: the category order, term names and rep e-mails the ERP does not send,
    the items staff hold back, and the dealers staff review, ask for PO numbers or hold.

    The importers treat an item's and a customer's status as the ERP's: an export that is applied again (not
    the identical one, which the sync skips) lifts these holds."""
    ctx.log("Portal settings on new ERP records")
    sort_orders = {code: index * 10 for index, (code, _names, _leaves) in enumerate(CATEGORIES)}
    sort_orders |= {leaf.code: index * 10 for _c, _n, leaves in CATEGORIES for index, leaf in enumerate(leaves)}
    categories = list(Category.objects.filter(code__in=set(sort_orders) - known.categories))
    for category in categories:
        category.sort_order = sort_orders[category.code]
    Category.objects.bulk_update(categories, ["sort_order"])
    for reason in PRODUCT_HOLD_REASONS:
        held = [p.sku for p in plan.products if p.hold_reason == reason and p.sku not in known.products]
        Product.objects.filter(sku__in=held).update(
            status=Product.Status.QUARANTINED, status_reason=reason, updated_at=ctx.now
        )
    for code, name, _days in PAYMENT_TERMS:
        if code not in known.terms:
            PaymentTerms.objects.filter(code=code).update(name=name)
    for code, name in SALES_REPS:
        if code not in known.reps:
            SalesRep.objects.filter(code=code).update(email=f"{_slug(name).replace('-', '.')}@{EMAIL_DOMAIN}")
    staff_set = {
        d.code: d
        for d in plan.dealers
        if d.code not in known.dealers and (d.requires_manual_review or d.po_number_required or d.status_reason)
    }
    for dealer in Dealer.objects.filter(code__in=staff_set).order_by("pk"):
        wanted = staff_set[dealer.code]
        dealer.requires_manual_review = wanted.requires_manual_review
        dealer.po_number_required = wanted.po_number_required
        dealer.status, dealer.status_reason = wanted.status, wanted.status_reason
        dealer_save(
            dealer=dealer,
            source=DealerChange.Source.STAFF,
            reason="Demo setup",
            fields=["requires_manual_review", "po_number_required", "status", "status_reason"],
        )
    ctx.log(f"  {len(categories)} category orders, {len(staff_set)} dealer settings")


# --- Users --------------------------------------------------------------------------------------

# email local part, full name, dealer, role, approval limit, language
DEALER_LOGINS = [
    ("bayi", "Selin Yıldız", YILDIZ, DealerUser.Role.ADMIN, None, "tr"),
    ("alici", "Emre Demir", YILDIZ, DealerUser.Role.BUYER, BUYER_APPROVAL_LIMIT, "tr"),
    ("onay", "Ayşe Kaya", YILDIZ, DealerUser.Role.APPROVER, None, "tr"),
    ("buyer", "Daniel Weber", EGE, DealerUser.Role.BUYER, None, "en"),
    ("kuzey", "Hakan Kuzey", KUZEY, DealerUser.Role.ADMIN, None, "tr"),
]


def _role_text(role: str, limit: Decimal | None) -> str:
    """English, like the rest of the command's output, whatever LANGUAGE_CODE says."""
    text = {"admin": "dealer admin", "buyer": "buyer", "approver": "approver"}[role]
    return f"{text} (approval limit {limit:,.0f} TRY)" if limit is not None else text


def _load_users(
    ctx: _Context, dealer_ids: dict[str, int], titles: dict[str, str]
) -> tuple[dict[str, int], list[DemoLogin]]:
    """Demo users, dealer memberships and the logins to print. Existing users keep their password."""
    ctx.log("Users")
    existing = set(User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").values_list("email", flat=True))
    hashes = {}
    # One hash per password, and only when a user is missing: hashing is deliberately slow.
    if any(f"{local}@{EMAIL_DOMAIN}" not in existing for local, *_ in DEALER_LOGINS):
        hashes[DEMO_PASSWORD] = make_password(DEMO_PASSWORD)
    if ADMIN_EMAIL not in existing:
        hashes[ADMIN_PASSWORD] = make_password(ADMIN_PASSWORD)
    users = [
        User(email=f"{local}@{EMAIL_DOMAIN}", full_name=name, language=language, password=hashes.get(DEMO_PASSWORD, ""))
        for local, name, _dealer, _role, _limit, language in DEALER_LOGINS
    ]
    users.append(
        User(
            email=ADMIN_EMAIL,
            full_name="Demo Admin",
            language="en",
            is_staff=True,
            is_superuser=True,
            password=hashes.get(ADMIN_PASSWORD, ""),
        )
    )
    _insert_missing(ctx, users, ("email",))
    user_ids = dict(User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").values_list("email", "id"))
    memberships = [
        DealerUser(
            user_id=user_ids[f"{local}@{EMAIL_DOMAIN}"], dealer_id=dealer_ids[dealer], role=role, approval_limit=limit
        )
        for local, _name, dealer, role, limit, _language in DEALER_LOGINS
    ]
    _insert_missing(ctx, memberships, ("user_id",))
    logins = [
        DemoLogin(
            f"{local}@{EMAIL_DOMAIN}", DEMO_PASSWORD, _role_text(role, limit), f"{dealer} {titles[dealer]}", language
        )
        for local, _name, dealer, role, limit, language in DEALER_LOGINS
    ]
    logins.append(DemoLogin(ADMIN_EMAIL, ADMIN_PASSWORD, "staff superuser", "", "en"))
    return user_ids, logins


# --- Orders -------------------------------------------------------------------------------------

FORWARD = [S.SUBMITTED, S.APPROVED, S.SENT_TO_ERP, S.CONFIRMED, S.IN_FULFILMENT, S.SHIPPED, S.INVOICED, S.CLOSED]
PATHS: dict[str, list[str]] = {
    **{status: FORWARD[: FORWARD.index(status) + 1] for status in FORWARD},
    S.AWAITING_DEALER_APPROVAL: [S.SUBMITTED, S.AWAITING_DEALER_APPROVAL],
    S.ON_HOLD: [S.SUBMITTED, S.ON_HOLD],
    S.AWAITING_PAYMENT: [S.SUBMITTED, S.AWAITING_PAYMENT],
    S.PARTIALLY_SHIPPED: [*FORWARD[:5], S.PARTIALLY_SHIPPED],
    S.CANCELLED: [S.SUBMITTED, S.APPROVED, S.CANCELLED],
    S.REJECTED: [S.SUBMITTED, S.ON_HOLD, S.REJECTED],
}
SHIPPED_STATES = {S.SHIPPED, S.INVOICED, S.CLOSED}


@dataclass(frozen=True)
class _OrderScript:
    dealer: str
    user: str
    status: str
    days_ago: int
    hold_reasons: tuple[str, ...] = ()
    path: tuple[str, ...] = ()
    payment_method: str = Order.PaymentMethod.ON_ACCOUNT


ORDER_SCRIPTS = [
    _OrderScript(YILDIZ, "bayi", S.CLOSED, 58),
    _OrderScript(YILDIZ, "alici", S.INVOICED, 45),
    _OrderScript(YILDIZ, "bayi", S.SHIPPED, 30),
    _OrderScript(YILDIZ, "onay", S.PARTIALLY_SHIPPED, 21),
    _OrderScript(YILDIZ, "bayi", S.IN_FULFILMENT, 12),
    _OrderScript(YILDIZ, "alici", S.CONFIRMED, 9),
    _OrderScript(YILDIZ, "bayi", S.SENT_TO_ERP, 2),
    _OrderScript(
        YILDIZ, "alici", S.APPROVED, 3, path=(S.SUBMITTED, S.AWAITING_DEALER_APPROVAL, S.APPROVED)
    ),
    _OrderScript(YILDIZ, "alici", S.AWAITING_DEALER_APPROVAL, 1),
    _OrderScript(YILDIZ, "bayi", S.ON_HOLD, 1, hold_reasons=("Stock: not enough on hand for one line.",
                                                               "Price changed since the item was added to the cart.")),
    _OrderScript(YILDIZ, "bayi", S.SUBMITTED, 0),
    _OrderScript(YILDIZ, "alici", S.CANCELLED, 16),
    _OrderScript(YILDIZ, "bayi", S.REJECTED, 25, hold_reasons=("Manual review: unusual quantity for this dealer.",)),
    _OrderScript(EGE, "buyer", S.INVOICED, 40),
    _OrderScript(EGE, "buyer", S.CONFIRMED, 7),
    _OrderScript(EGE, "buyer", S.SUBMITTED, 0),
    _OrderScript(KUZEY, "kuzey", S.ON_HOLD, 4, hold_reasons=("Credit hold: the dealer cannot order on account.",
                                                             "Credit: exposure above the credit limit.")),
    _OrderScript(KUZEY, "kuzey", S.AWAITING_PAYMENT, 0, payment_method=Order.PaymentMethod.CARD),
]  # fmt: skip


MAX_LINES = 5


@dataclass
class _LinePlan:
    plan: _ProductPlan
    unit_code: str
    unit_factor: Decimal
    quantity: Decimal
    unit_price_net: Decimal
    unit_price_gross: Decimal
    explanation: list[str]

    @property
    def net(self) -> Decimal:
        return _money(self.quantity * self.unit_price_net)

    @property
    def vat(self) -> Decimal:
        return _money(self.net * self.plan.vat / 100)


def _price_line(
    plan: _ProductPlan, list_code: str, vat_included: bool, quantity: Decimal, prices: _PriceBook, in_cases: bool
) -> _LinePlan:
    """The line's price from the planned list, as placement would have explained it."""
    explanation = [f"List {list_code}"]
    if in_cases:
        unit_code, factor = "KOLI", Decimal(plan.case_factor)
        listed = prices.case.get((list_code, plan.sku))
        if listed is None:
            listed = prices.breaks[list_code, plan.sku][0][1] * factor
            explanation.append(f"Case of {plan.case_factor} {plan.unit} at the unit price")
        else:
            explanation.append(f"Case price ({plan.case_factor} {plan.unit})")
    else:
        unit_code, factor = plan.unit, Decimal("1")
        min_qty, listed = max(
            (tier for tier in prices.breaks[list_code, plan.sku] if tier[0] <= quantity), key=lambda t: t[0]
        )
        if min_qty > 1:
            explanation.append(f"Tier ≥ {_plain(min_qty)}")
    rate = 1 + plan.vat / 100
    if vat_included:
        net, gross = _price4(listed / rate), _price4(listed)
        explanation.append(f"VAT {_plain(plan.vat)} % included in the list price")
    else:
        net, gross = _price4(listed), _price4(listed * rate)
    return _LinePlan(plan, unit_code, factor, quantity, net, gross, explanation)


def _plan_lines(
    rng: random.Random,
    script: _OrderScript,
    candidates: list[_ProductPlan],
    list_code: str,
    vat_included: bool,
    prices: _PriceBook,
) -> list[_LinePlan]:
    """1-5 lines; a buyer's order stays within their approval limit unless it is waiting for that approval."""
    limit = BUYER_APPROVAL_LIMIT if script.user == "alici" else None
    must_exceed = limit is not None and S.AWAITING_DEALER_APPROVAL in (script.status, *script.path)
    lines: list[_LinePlan] = []
    wanted = rng.randint(1, MAX_LINES)
    for _ in range(100):
        if len(lines) >= wanted and (not must_exceed or _gross(lines) > limit):
            break
        plan = rng.choice(candidates)
        if any(line.plan.sku == plan.sku for line in lines):
            continue
        quantity, in_cases = _line_quantity(rng, plan, prices.breaks[list_code, plan.sku][0][1], list_code)
        line = _price_line(plan, list_code, vat_included, quantity, prices, in_cases)
        if limit is not None and not must_exceed and _gross([*lines, line]) > limit:
            continue
        if must_exceed and len(lines) == MAX_LINES - 1 and _gross([*lines, line]) <= limit:
            continue  # the last line must take the order over the limit
        lines.append(line)
    return lines


def _line_quantity(rng: random.Random, plan: _ProductPlan, unit_price: Decimal, list_code: str) -> tuple[Decimal, bool]:
    """A quantity worth roughly 800-30,000 TRY that respects the item's minimum and multiple, and whether
    it is counted in cases."""
    target = Decimal(f"{math.exp(rng.uniform(math.log(800), math.log(30_000))):.2f}")
    if list_code == "USD-EXP":
        target /= USD_RATE
    case_price = unit_price * (plan.case_factor or 0)
    if plan.case_factor and plan.order_multiple == 1 and 0 < case_price <= target and rng.random() < 0.4:
        return Decimal(min(10, int(target / case_price))), True
    quantity = max(1, int(target / unit_price))
    if quantity > 20:
        quantity -= quantity % (10 if quantity > 100 else 5)
    multiple = plan.order_multiple
    return max(plan.min_order_qty, (Decimal(quantity) / multiple).to_integral_value(ROUND_CEILING) * multiple), False


def _gross(lines: list[_LinePlan]) -> Decimal:
    return sum((line.net + line.vat for line in lines), Decimal("0"))


def _load_orders(ctx: _Context, plan: _ErpPlan, dealer_ids: dict[str, int], user_ids: dict[str, int]) -> None:
    """Orders with lines and a status history that follows the transition map, for the products, dealers and
    delivery addresses the sync created.

    An order that already exists is left alone with its lines and history; the random draws happen
    either way, so the orders created are the same whichever of them are missing.
    """
    ctx.log("Orders")
    rng = ctx.rng
    prices = plan.prices
    product_ids = _ids(Product, "sku")
    by_code = {d.code: d for d in plan.dealers}
    code_by_id = {dealer_id: code for code, dealer_id in dealer_ids.items()}
    ordering = [dealer_ids[code] for code in {script.dealer for script in ORDER_SCRIPTS}]
    addresses = {
        code_by_id[address.dealer_id]: address
        for address in DealerAddress.objects.filter(dealer_id__in=ordering, code="SEV-01")
    }
    vat_included = {code: included for code, _n, _c, included in PRICE_LISTS}
    sellable = [p for p in plan.products if p.sellable]
    existing = set(Order.objects.filter(number__startswith=ORDER_PREFIX).values_list("number", flat=True))
    orders: list[Order] = []
    lines: list[OrderLine] = []
    history: list[tuple[OrderStatusChange, datetime]] = []
    for index, script in enumerate(ORDER_SCRIPTS, start=1):
        dealer = by_code[script.dealer]
        candidates = [p for p in sellable if (dealer.price_list, p.sku) in prices.breaks]
        planned = _plan_lines(rng, script, candidates, dealer.price_list, vat_included[dealer.price_list], prices)
        placed_at = ctx.now - timedelta(days=script.days_ago, hours=rng.randint(1, 9), minutes=rng.randint(0, 59))
        order = _build_order(ctx, index, script, dealer, dealer_ids, addresses, user_ids, planned, placed_at)
        steps = _build_history(ctx, script, order, user_ids, placed_at)
        order.updated_at = steps[-1][1]
        if order.number in existing:
            continue
        orders.append(order)
        lines += [
            _build_line(order, line_no, line, product_ids[line.plan.sku])
            for line_no, line in enumerate(planned, start=1)
        ]
        for change, when in steps:
            change.order = order
            history.append((change, when))
    _insert_missing(ctx, orders, ("number",))
    # auto_now_add stamps rows with the time of insert; bulk_update writes the planned history times back.
    Order.objects.bulk_update(orders, ["created_at", "updated_at"], batch_size=BATCH_SIZE)
    changes = [change for change, _when in history]
    for row in [*lines, *changes]:
        row.order_id = row.order.pk  # the orders had no primary key when their lines were built
    _insert_missing(ctx, lines, ("order_id", "line_no"))
    OrderStatusChange.objects.bulk_create(changes, batch_size=BATCH_SIZE)
    for change, when in history:
        change.created_at = when
    OrderStatusChange.objects.bulk_update(changes, ["created_at"], batch_size=BATCH_SIZE)
    ctx.log(f"  order status changes: {len(changes)} created")


def _build_order(
    ctx: _Context,
    index: int,
    script: _OrderScript,
    dealer: _DealerPlan,
    dealer_ids: dict[str, int],
    addresses: dict[str, DealerAddress],
    user_ids: dict[str, int],
    lines: list[_LinePlan],
    placed_at: datetime,
) -> Order:
    rng = ctx.rng
    total_net = sum((line.net for line in lines), Decimal("0"))
    total_vat = sum((line.vat for line in lines), Decimal("0"))
    address = addresses[script.dealer]
    reached_erp = S.CONFIRMED in (script.path or PATHS[script.status])
    po_number = f"PO-{rng.randint(4500000000, 4599999999)}" if dealer.po_number_required or rng.random() < 0.4 else ""
    return Order(
        number=f"{ORDER_PREFIX}{index:06d}",
        dealer_id=dealer_ids[script.dealer],
        placed_by_id=user_ids[f"{script.user}@{EMAIL_DOMAIN}"],
        po_number=po_number,
        status=script.status,
        payment_method=script.payment_method,
        currency=dealer.currency,
        total_net=total_net,
        total_vat=total_vat,
        total_gross=total_net + total_vat,
        idempotency_key=uuid.UUID(int=rng.getrandbits(128), version=4),
        delivery_address_id=address.pk,
        delivery_address_text=address.as_text(),
        requested_delivery_date=(placed_at + timedelta(days=rng.randint(2, 10))).date(),
        note=rng.choice(("", "", "Lütfen teslimattan önce arayınız.", "Forklift yok, elle boşaltma.")),
        hold_reasons=list(script.hold_reasons),
        erp_document_number=f"SS{placed_at:%y}-{rng.randint(1000, 99999):06d}" if reached_erp else "",
        placed_at=placed_at,
        created_at=placed_at - timedelta(minutes=rng.randint(2, 30)),
    )


def _build_history(
    ctx: _Context, script: _OrderScript, order: Order, user_ids: dict[str, int], placed_at: datetime
) -> list[tuple[OrderStatusChange, datetime]]:
    """One audit row per step, from "" to the current status; refuses a step the transition map forbids."""
    path = list(script.path or PATHS[script.status])
    placed_by = user_ids[f"{script.user}@{EMAIL_DOMAIN}"]
    admin = user_ids[ADMIN_EMAIL]
    approver = user_ids[f"onay@{EMAIL_DOMAIN}"]
    history = []
    when = placed_at
    previous = ""
    for status in path:
        if previous and not can_transition(previous, status):
            raise ValueError(f"Demo order {order.number}: {previous} → {status} is not an allowed transition.")
        actor, source, reason = None, OrderStatusChange.Source.SYSTEM, ""
        if status == S.SUBMITTED:
            actor, source = placed_by, OrderStatusChange.Source.DEALER
        elif status == S.AWAITING_DEALER_APPROVAL:
            reason = "Above the buyer's approval limit."
        elif status == S.ON_HOLD:
            reason = " ".join(script.hold_reasons)
        elif status == S.AWAITING_PAYMENT:
            reason = "Waiting for the card payment."
        elif status == S.APPROVED and previous == S.AWAITING_DEALER_APPROVAL:
            actor, source, reason = approver, OrderStatusChange.Source.DEALER, "OK, project order."
        elif status == S.APPROVED:
            reason = "All checks passed."
        elif status == S.REJECTED:
            actor, source, reason = admin, OrderStatusChange.Source.STAFF, "Rejected after a call with the dealer."
        elif status == S.CANCELLED:
            actor, source, reason = placed_by, OrderStatusChange.Source.DEALER, "Ordered twice by mistake."
        elif status in (S.CONFIRMED, S.IN_FULFILMENT, S.PARTIALLY_SHIPPED, S.SHIPPED, S.INVOICED, S.CLOSED):
            source = OrderStatusChange.Source.ERP
        change = OrderStatusChange(from_status=previous, to_status=status, actor_id=actor, source=source, reason=reason)
        history.append((change, when))
        previous = status
        when += timedelta(hours=ctx.rng.randint(1, 30) if status != S.SUBMITTED else 0, minutes=ctx.rng.randint(1, 50))
    # Later steps are squeezed before "now": a recent order cannot have a history in the future.
    latest = ctx.now - timedelta(minutes=1)
    if history[-1][1] > latest:
        span = (history[-1][1] - placed_at) or timedelta(seconds=1)
        room = max(latest - placed_at, timedelta(0))
        history = [(change, placed_at + (at - placed_at) * (room / span)) for change, at in history]
    return history


def _build_line(order: Order, line_no: int, line: _LinePlan, product_id: int) -> OrderLine:
    """Shipped and backordered quantities follow the order's status; a partial delivery sent half of each line."""
    shipped = Decimal("0")
    if order.status in SHIPPED_STATES:
        shipped = line.quantity
    elif order.status == S.PARTIALLY_SHIPPED:
        shipped = (line.quantity / 2).quantize(Decimal("1"), rounding=ROUND_DOWN)
    backordered = line.quantity - shipped if order.status == S.PARTIALLY_SHIPPED else Decimal("0")
    net, vat = line.net, line.vat
    return OrderLine(
        order=order,
        line_no=line_no,
        product_id=product_id,
        sku=line.plan.sku,
        name=line.plan.name,
        unit_code=line.unit_code,
        unit_factor=line.unit_factor,
        quantity=line.quantity,
        unit_price_net=line.unit_price_net,
        unit_price_gross=line.unit_price_gross,
        vat_rate=line.plan.vat,
        line_net=net,
        line_vat=vat,
        line_gross=net + vat,
        price_list_currency=order.currency,
        price_explanation=line.explanation,
        shipped_qty=shipped,
        backordered_qty=backordered,
    )
