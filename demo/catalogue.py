"""The ERP's items, stock and price lists, planned from the catalogue data in one pass of the random stream."""

from __future__ import annotations

import math
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import product as cartesian

from stdnum import ean

from demo.catalogue_data import BRANDS, CATEGORIES, Leaf, choices, tr_en
from demo.company import USD_RATE, money, price4
from erpsync.adapters.base import ErpStock

PRODUCT_COUNT = 2000


# --- Products -----------------------------------------------------------------------------------

# Holds staff put on items in the portal (the ERP still lists them as active).
PRODUCT_HOLD_REASONS = [
    "Duplicate of another item code in the ERP; waiting for master-data cleanup.",
    "Supplier recall: lot under inspection in quality control.",
    "Barcode conflicts with another item; the ERP record is being corrected.",
    "No VAT code in the ERP; finance must assign one before sale.",
]


@dataclass
class ProductPlan:
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


def plan_products(rng: random.Random) -> list[ProductPlan]:
    """Names come round-robin from each leaf category's shuffled combinations, so the tree stays balanced."""
    queues = []
    for top, _names, leaves in CATEGORIES:
        for leaf in leaves:
            combos = list(cartesian(*(choices(dimension) for dimension in leaf.dims)))
            rng.shuffle(combos)
            queues.append((top, leaf, combos))
    plans: list[ProductPlan] = []
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


def _plan_product(rng: random.Random, top: str, leaf: Leaf, combo: tuple, number: int, index: int) -> ProductPlan:
    pattern, pattern_en = tr_en(leaf.pattern)
    # Joining the split words drops the double space an empty choice leaves behind.
    name = " ".join(pattern.format(*(tr for tr, _en in combo)).split())
    name_en = " ".join(pattern_en.format(*(en for _tr, en in combo)).split())
    brands = [code for code, _name, tops in BRANDS if top in tops]
    brand_index = next(i for i, (code, _n, _t) in enumerate(BRANDS) if code == brands[index % len(brands)])
    low, high = leaf.price_range
    base_net = Decimal(f"{math.exp(rng.uniform(math.log(low), math.log(high))):.2f}")
    # 869 is Türkiye's GS1 prefix; the product number keeps every barcode unique.
    barcode = f"869{1200 + brand_index * 37:04d}{index:05d}"
    plan = ProductPlan(
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


def _stock_quantity(rng: random.Random, plan: ProductPlan) -> Decimal:
    roll = rng.random()
    if roll < 0.10:
        return Decimal("0")
    if roll < 0.25:
        return Decimal(rng.randint(1, 9))
    if plan.unit in ("MT", "KG"):
        return Decimal(rng.randint(50, 5000)) + Decimal(rng.choice((0, 250, 500, 750))) / 1000
    return Decimal(rng.randint(10, 1500))


def plan_stock(rng: random.Random, plans: list[ProductPlan]) -> list[ErpStock]:
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


def _list_price(plan: ProductPlan, list_code: str) -> Decimal:
    """The base-unit price on a list: B is the net dealer price, A adds a margin and VAT, USD is for export."""
    if list_code == "TRY-A":
        return money(plan.base_net * Decimal("1.05") * (1 + plan.vat / 100))
    if list_code == "USD-EXP":
        return _list_round("USD-EXP", plan.base_net / USD_RATE * Decimal("0.95"))
    return plan.base_net


def _list_round(list_code: str, price: Decimal) -> Decimal:
    """Export prices keep four places: a metre of cable costs a few US cents, and a 3 % break must still show."""
    return price4(price) if list_code == "USD-EXP" else money(price)


@dataclass
class PriceBook:
    """The prices planned per (list, sku): base-unit breaks as (min_quantity, price), and a case price."""

    breaks: dict[tuple[str, str], list[tuple[Decimal, Decimal]]] = field(default_factory=dict)
    case: dict[tuple[str, str], Decimal] = field(default_factory=dict)


def plan_prices(rng: random.Random, plans: list[ProductPlan]) -> PriceBook:
    book = PriceBook()
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
                book.case[list_code, plan.sku] = money(price * plan.case_factor * CASE_DISCOUNT)
    return book
