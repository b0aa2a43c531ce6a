"""The ERP's customer accounts: dealers with their people, addresses, terms, credit, IBANs and price agreements."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from stdnum import iban
from stdnum.tr import tckimlik, vkn

from b2bportal.text import ascii_slug
from dealers.models import Dealer, DealerAddress
from demo.catalogue import PriceBook, ProductPlan
from demo.catalogue_data import BRANDS, CATEGORIES
from demo.company import ERP_EXPORT_DAY, ERP_ZONE, money, price4
from erpsync.adapters.base import ErpCustomerPrice

AGREEMENT_COUNT = 150

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
    "Karşılıksız çek, finans takibinde",
    "90 günü geçmiş faturalar",
    "Bakiye kredi limitinin üzerinde",
    "İcra takibi sürüyor",
    "İmzalı bayilik sözleşmesi eksik",
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
class DealerPlan:
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


def plan_dealers(rng: random.Random) -> list[DealerPlan]:
    used_numbers: set[str] = set()
    seq: Counter[str] = Counter()
    city_by_name = {c[1]: c for c in CITIES}
    domains: set[str] = set()

    def new_dealer(title: str, trade_name: str, city: tuple, *, sole_trader: bool = False) -> DealerPlan:
        plate, city_name, area, offices, _districts = city
        seq[plate] += 1
        # A reserved top-level domain: a demo must never e-mail a real company.
        domain = f"{ascii_slug(trade_name)}.example"
        domain = domain if domain not in domains else f"{ascii_slug(trade_name)}-{plate}.example"
        domains.add(domain)
        return DealerPlan(
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


def _set_commercial_terms(rng: random.Random, dealers: list[DealerPlan]) -> None:
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
    return money(share + Decimal(rng.randint(0, 99)) / 100)


def _make_branch(branch: DealerPlan, parent: DealerPlan) -> None:
    """A branch orders on its own account, on the same terms as its head; it is the same taxpayer."""
    branch.parent = parent.code
    branch.tax_number = parent.tax_number
    branch.currency, branch.price_list, branch.payment_terms = parent.currency, parent.price_list, parent.payment_terms
    branch.sales_rep = parent.sales_rep
    branch.email = f"{ascii_slug(branch.city)}@{parent.email.split('@')[1]}"


def _tax_number(rng: random.Random, used: set[str], *, sole_trader: bool) -> str:
    """A checksum-valid VKN (companies) or TCKN (sole traders), unique within the demo."""
    while True:
        first9 = str(rng.randint(1, 9)) + f"{rng.randint(0, 99_999_999):08d}"
        number = first9 + (tckimlik.calc_check_digits(first9) if sole_trader else vkn.calc_check_digit(first9))
        if number not in used:
            used.add(number)
            return number


def _plan_addresses(rng: random.Random, dealer: DealerPlan, city: tuple) -> None:
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


def _plan_ibans(rng: random.Random, dealer: DealerPlan, used: set[str]) -> None:
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


def plan_agreements(
    rng: random.Random, dealers: list[DealerPlan], products: list[ProductPlan], prices: PriceBook
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
                    value=price4(net * Decimal(rng.randint(82, 95)) / 100),
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
