"""What a dealer pays for a product, in a quantity and unit, on a day — the one place that answers it.

The catalogue, cart, checkout, API, tasks and the ERP export all call this module, always with a dealer and
never with a request, so they cannot disagree.

Order of precedence (each step is one entry of the price's explanation):

1. **Price list.** The dealer's list, or the list that takes over from it (``PriceList.supersedes``) once that
   list's start date has come, following the chain. A list that is inactive or outside its validity window on the
   day prices nothing. If the list prices the requested pack (``unit`` set on the item), that price is used as is;
   otherwise the base-unit price is used and multiplied by the pack's factor. Among the quantity breaks the row
   with the highest ``min_quantity`` not above the requested quantity wins (pack rows count packs, base-unit rows
   count base units). A list that includes VAT is turned into a net price first.
2. **Dealer agreement.** At most one agreement applies: the most specific one valid on the day whose
   ``min_quantity`` (in base units) is reached: product, then category (the product's own category before its
   parents), then brand. Within one target the highest ``min_quantity`` wins, then the latest start. A fixed
   net price replaces the list price (and prices a product that is not on the list); a discount needs a list
   price and takes the percentage off it.
3. **Currency.** A price in another currency than the dealer's is converted with the latest stored exchange rate
   on or before the day, no older than ``B2B_EXCHANGE_RATE_MAX_AGE_DAYS``. Without one there is no price.
4. **Quote.** A price negotiated in a quote (``QuotedPrice``, given to ``DealerPricing(quoted=…)`` for the
   products and units it covers) comes last: a net price replaces whatever the rules above gave (and prices a
   product they do not), a discount percentage comes off the normal price in the dealer's currency. The normal
   steps stay in the explanation before it.
5. **Rounding and VAT.** The unit price is rounded half up to cents; VAT is the rounded percentage of that
   net price and gross = net + VAT. When the price is a VAT-included list price left untouched (no agreement,
   no conversion), the listed gross is kept exactly and the net is derived from it, so the dealer sees the
   figure on the list. Intermediate steps keep four decimals.

Line totals come from the rounded unit price (``Price.line``) and order totals from rounded lines, as an
accountant adds up an invoice. A product without an applicable price gets a ``NoPrice`` that says why; it is
never guessed and cannot be ordered.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import (
    BooleanField,
    Case,
    DecimalField,
    Exists,
    Expression,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.lookups import Exact
from django.utils import timezone

from b2bportal.money import quantize_money
from catalog.categories import category_tree
from catalog.models import DealerAgreement, ExchangeRate, PriceList, PriceListItem, Product, ProductUnit
from catalog.prices import HUNDRED, ONE, NoPrice, Price, PriceResult, PriceStep, QuotedPrice

FOUR_PLACES = Decimal("0.0001")
_PRICE_FIELD = DecimalField(max_digits=24, decimal_places=8)


def _q4(amount: Decimal) -> Decimal:
    return amount.quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class _Item:
    unit_id: int | None
    min_quantity: Decimal
    price: Decimal


@dataclass(frozen=True)
class _Sale:
    """What is priced: ``quantity`` of a unit (``unit_id`` None for the base unit) of ``factor`` base units."""

    quantity: Decimal
    unit_id: int | None
    unit_code: str
    factor: Decimal

    @property
    def base_quantity(self) -> Decimal:
        return self.quantity * self.factor


@dataclass
class _Draft:
    """A price while the rules are applied to it: the amount so far (None while nothing prices the product), in
    ``currency``, and the steps that led to it."""

    currency: str
    amount: Decimal | None = None
    steps: tuple[PriceStep, ...] = ()
    tier_min: Decimal | None = None
    gross_listed: Decimal | None = None
    agreement: DealerAgreement | None = None
    exchange_rate: Decimal | None = None
    exchange_rate_date: dt.date | None = None

    def add(self, kind: str, amount: Decimal, params: dict) -> None:
        """A rule that set the amount; its step records the amount in the draft's currency."""
        self.amount = amount
        self.steps += (PriceStep(kind, amount, self.currency, params),)


# Price lists and exchange rates are the same for every dealer and change rarely: each process keeps them, read
# once, under a price-data version held in the shared cache. Every change bumps the version (``price_data_changed``:
# signals on save and delete, the importers and loaders after their bulk writes), so the next price anywhere
# reads them again; a process also reads them again after PRICE_DATA_CACHE_SECONDS.
PRICE_DATA_VERSION_KEY = "catalog:price-data:version"
PRICE_DATA_CACHE_SECONDS = 60 * 15
_shared: dict[dt.date, _SharedPriceData] = {}


@dataclass
class _SharedPriceData:
    """What every dealer priced on ``on`` reads alike: all price lists, and the exchange rates usable that day."""

    version: str
    loaded: float
    on: dt.date
    _lists: list[PriceList] | None = None
    _rates: dict[str, tuple[Decimal, dt.date]] | None = None

    @property
    def lists(self) -> list[PriceList]:
        if self._lists is None:
            self._lists = list(PriceList.objects.all())
        return self._lists

    @property
    def rates(self) -> dict[str, tuple[Decimal, dt.date]]:
        """Base-currency units per unit of each currency, with the rate's date: the latest within the allowed age."""
        if self._rates is None:
            oldest = self.on - dt.timedelta(days=settings.B2B_EXCHANGE_RATE_MAX_AGE_DAYS)
            rows = (
                ExchangeRate.objects.filter(rate_date__lte=self.on, rate_date__gte=oldest)
                .order_by("currency", "rate_date")
                .values_list("currency", "rate", "rate_date")
            )
            # Ascending dates: the latest one stays.
            self._rates = {code: (rate, rate_date) for code, rate, rate_date in rows}
        return self._rates


def price_data_version() -> str:
    version = cache.get(PRICE_DATA_VERSION_KEY)
    if version is None:
        version = uuid.uuid4().hex
        cache.add(PRICE_DATA_VERSION_KEY, version, PRICE_DATA_CACHE_SECONDS)
        version = cache.get(PRICE_DATA_VERSION_KEY) or version
    return version


def _shared_price_data(on: dt.date) -> _SharedPriceData:
    version = price_data_version()
    held = _shared.get(on)
    if held is None or held.version != version or held.loaded < time.monotonic() - PRICE_DATA_CACHE_SECONDS:
        if len(_shared) > 8:
            _shared.clear()
        held = _shared[on] = _SharedPriceData(version=version, loaded=time.monotonic(), on=on)
    return held


def _bump_price_data_version() -> None:
    cache.set(PRICE_DATA_VERSION_KEY, uuid.uuid4().hex, PRICE_DATA_CACHE_SECONDS)
    _shared.clear()


def price_data_changed(**_kwargs) -> None:
    """Price lists or exchange rates changed: every process reads them again for its next price. Bumped at once
    (this process, in its transaction, sees the change) and again after the commit (so that no other process
    keeps what it read before the commit under the new version)."""
    _bump_price_data_version()
    transaction.on_commit(_bump_price_data_version)


def resolve_price_list(start: PriceList | None, lists: Iterable[PriceList], on: dt.date) -> PriceList | None:
    """Follow ``supersedes`` from the dealer's list to the list in force on ``on``; the last one started wins."""
    successors: dict[int, list[PriceList]] = defaultdict(list)
    for price_list in lists:
        if price_list.supersedes_id:
            successors[price_list.supersedes_id].append(price_list)
    current = start
    seen: set[int] = set()
    while current is not None and current.pk not in seen:
        seen.add(current.pk)
        started = [
            s
            for s in successors.get(current.pk, [])
            if s.is_active and (s.valid_from is None or s.valid_from <= on) and (s.valid_to is None or s.valid_to >= on)
        ]
        if not started:
            break
        current = max(started, key=lambda s: (s.valid_from or dt.date.min, s.pk))
    return current


def price_list_is_valid(price_list: PriceList, on: dt.date) -> bool:
    return (
        price_list.is_active
        and (price_list.valid_from is None or price_list.valid_from <= on)
        and (price_list.valid_to is None or price_list.valid_to >= on)
    )


class _AgreementCase(Expression):
    """``CASE WHEN <agreement applies> THEN <value> … ELSE <default> END`` over ``Product`` rows, one branch per
    agreement in precedence order (``DealerPricing._agreement_branches``), written out from the product's four
    columns it reads. The same CASE built from ``When(Q(…))`` objects cost more to compile than to run: a dealer
    with a few dozen agreements on categories made every catalogue page resolve hundreds of lookups."""

    COLUMNS = ("pk", "category_id", "brand_id", "min_order_qty")

    def __init__(self, branches: list[tuple[str, tuple, Decimal, object]], default, output_field) -> None:
        """``branches``: (column, ids, minimum quantity, value) — the value when ``column`` is one of ``ids`` and
        the product's minimum order quantity reaches the agreement's; plain values (numbers, None), no SQL."""
        super().__init__(output_field=output_field)
        self.branches = branches
        self.default = default
        self.columns = [F(name) for name in self.COLUMNS]

    def get_source_expressions(self):
        return self.columns

    def set_source_expressions(self, exprs):
        self.columns = list(exprs)

    def as_sql(self, compiler, connection):
        column_sql = {}
        for name, expression in zip(self.COLUMNS, self.columns, strict=True):
            sql, column_params = compiler.compile(expression)
            if column_params:
                raise ValueError("A product column compiled with parameters")
            column_sql[name] = sql
        parts, params = [], []
        for column, ids, min_quantity, value in self.branches:
            placeholders = ", ".join(["%s"] * len(ids))
            parts.append(f"WHEN ({column_sql[column]} IN ({placeholders}) AND {column_sql['min_order_qty']} >= %s)")
            params += [*ids, min_quantity]
            parts.append("THEN %s")
            params.append(value)
        if not parts:
            return "%s", [self.default]
        return f"CASE {' '.join(parts)} ELSE %s END", [*params, self.default]


class DealerPricing:
    """Prices for one dealer on one day. Load once, then price any number of products without queries in a loop.

    Construction reads the price list chain, the dealer's agreements and (when needed) exchange rates;
    ``prime(products)`` reads the list items and pack sizes for a page of products in two queries.
    """

    def __init__(
        self,
        dealer,
        *,
        on: dt.date | None = None,
        quoted: dict[tuple[int, int | None], QuotedPrice] | None = None,
    ) -> None:
        """``quoted``: prices negotiated in a quote, by (product id, unit id or None for the base unit)."""
        self.dealer = dealer
        self.quoted = quoted or {}
        self.on = on or timezone.localdate()
        self.currency = dealer.currency
        self.price_list: PriceList | None = None
        self._shared = _shared_price_data(self.on)
        if dealer.price_list_id:
            lists = self._shared.lists
            start = next((p for p in lists if p.pk == dealer.price_list_id), None)
            self.price_list = resolve_price_list(start, lists, self.on)
        self.list_usable = self.price_list is not None and price_list_is_valid(self.price_list, self.on)
        valid = (Q(valid_from__isnull=True) | Q(valid_from__lte=self.on)) & (
            Q(valid_to__isnull=True) | Q(valid_to__gte=self.on)
        )
        self.agreements: list[DealerAgreement] = list(
            DealerAgreement.objects.filter(valid, dealer_id=dealer.pk, is_active=True).select_related(
                "product", "category", "brand"
            )
        )
        self._by_product: dict[int, list[DealerAgreement]] = defaultdict(list)
        self._by_category: dict[int, list[DealerAgreement]] = defaultdict(list)
        self._by_brand: dict[int, list[DealerAgreement]] = defaultdict(list)
        for agreement in self.agreements:
            if agreement.product_id:
                self._by_product[agreement.product_id].append(agreement)
            elif agreement.category_id:
                self._by_category[agreement.category_id].append(agreement)
            else:
                self._by_brand[agreement.brand_id].append(agreement)
        self._items: dict[int, list[_Item]] = {}
        self._packs: dict[int, dict[int, ProductUnit]] = {}
        self._tree = category_tree() if self._by_category else None

    # -- loading -----------------------------------------------------------------------------------------------

    def prime(self, products: Iterable[Product], *, packs: bool = False) -> None:
        """Read list items (and pack sizes) for these products in one query each; already loaded ones are skipped."""
        products = list(products)
        ids = [p.pk for p in products if p.pk not in self._items]
        for product_id in ids:
            self._items[product_id] = []
        if self.list_usable and ids:
            rows = PriceListItem.objects.filter(price_list_id=self.price_list.pk, product_id__in=ids).values_list(
                "product_id", "unit_id", "min_quantity", "price"
            )
            for product_id, unit_id, min_quantity, price in rows:
                self._items[product_id].append(_Item(unit_id, min_quantity, price))
        pack_ids = [p.pk for p in products if p.pk not in self._packs] if packs else []
        for product_id in pack_ids:
            self._packs[product_id] = {}
        if pack_ids:
            for pack in ProductUnit.objects.filter(product_id__in=pack_ids).select_related("unit"):
                self._packs[pack.product_id][pack.unit_id] = pack

    def packs(self, product: Product) -> list[ProductUnit]:
        """The product's pack sizes, smallest first (loaded by ``prime(..., packs=True)``)."""
        return sorted(self._packs.get(product.pk, {}).values(), key=lambda pack: pack.factor)

    def _rate(self, currency: str) -> tuple[Decimal, dt.date] | None:
        """Base-currency units per unit of ``currency``, with the rate's date; None when unknown or too old."""
        if currency == settings.B2B_BASE_CURRENCY:
            return ONE, self.on
        return self._shared.rates.get(currency)

    def conversion(self, source: str, target: str) -> tuple[Decimal, dt.date] | None:
        """The factor from ``source`` to ``target`` money and the older of the two rates' dates."""
        source_rate, target_rate = self._rate(source), self._rate(target)
        if source_rate is None or target_rate is None:
            return None
        return source_rate[0] / target_rate[0], min(source_rate[1], target_rate[1])

    # -- the policy --------------------------------------------------------------------------------------------

    def agreement_for(self, product: Product, base_quantity: Decimal) -> DealerAgreement | None:
        """The one agreement that applies: product, then nearest category, then brand (see the module doc)."""

        def best(candidates: list[DealerAgreement]) -> DealerAgreement | None:
            reached = [a for a in candidates if a.min_quantity <= base_quantity]
            if not reached:
                return None
            return max(reached, key=lambda a: (a.min_quantity, a.valid_from or dt.date.min, a.pk))

        found = best(self._by_product.get(product.pk, []))
        if found:
            return found
        if self._tree is not None:
            for category_id in self._tree.ancestors(product.category_id):
                found = best(self._by_category.get(category_id, []))
                if found:
                    return found
        return best(self._by_brand.get(product.brand_id, [])) if product.brand_id else None

    def price(self, product: Product, quantity: Decimal = ONE, unit=None) -> PriceResult:
        """The price of ``quantity`` × ``unit`` (default: the base unit) of ``product`` for this dealer: the list,
        then the agreement, then the currency, then rounding and VAT (see the module doc)."""
        self.prime([product], packs=unit is not None and unit.pk != product.base_unit_id)
        quantity = Decimal(quantity)
        if quantity <= 0:
            return NoPrice(product.pk, "invalid_quantity")
        sale = self._sale(product, quantity, unit)
        if isinstance(sale, NoPrice):
            return sale
        draft = _Draft(currency=self.currency)
        list_problem = self._apply_list(product, sale, draft)
        self._apply_agreement(product, sale, draft)
        quoted = self.quoted.get((product.pk, sale.unit_id))
        fixed_quote = quoted is not None and quoted.net is not None
        if draft.amount is None and not fixed_quote:
            return list_problem
        if draft.amount is not None:
            currency_problem = self._apply_currency(product, draft)
            if currency_problem is not None and not fixed_quote:
                return currency_problem
        if quoted is not None:
            self._apply_quote(draft, quoted)
        return self._finish(product, sale, draft)

    def _sale(self, product: Product, quantity: Decimal, unit) -> _Sale | NoPrice:
        """What is sold: the base unit, or a pack the product is sold in (``unit_not_sold`` otherwise)."""
        if unit is None or unit.pk == product.base_unit_id:
            return _Sale(quantity, None, product.base_unit.code, ONE)
        pack = self._packs.get(product.pk, {}).get(unit.pk)
        if pack is None or not pack.is_sales_unit:
            return NoPrice(product.pk, "unit_not_sold", {"unit": unit.code})
        return _Sale(quantity, unit.pk, unit.code, pack.factor)

    def _list_rows(self, product: Product, sale: _Sale) -> tuple[list[_Item], Decimal, Decimal]:
        """The list's rows for the sale, lowest break first, with the quantity their breaks count and the factor
        their price is multiplied by: the pack's own rows (counting packs, as they are), else the base-unit rows
        (counting base units, times the pack's factor)."""
        items = self._items.get(product.pk, [])
        pack_rows = [i for i in items if sale.unit_id is not None and i.unit_id == sale.unit_id]
        if pack_rows:
            rows, counted, multiply = pack_rows, sale.quantity, ONE
        else:
            rows = [i for i in items if i.unit_id is None or i.unit_id == product.base_unit_id]
            counted, multiply = sale.base_quantity, sale.factor
        rows.sort(key=lambda i: i.min_quantity)
        return rows, counted, multiply

    def _pick_break(self, product: Product, sale: _Sale) -> tuple[_Item, _Item, Decimal] | NoPrice:
        """The list's first row and the break that applies (the highest ``min_quantity`` reached), with the pack
        factor; or why the list does not price the sale."""
        if self.price_list is None:
            return NoPrice(product.pk, "no_price_list")
        if not self.list_usable:
            return NoPrice(product.pk, "price_list_not_valid", {"code": self.price_list.code, "date": self.on})
        rows, counted, multiply = self._list_rows(product, sale)
        reached = [i for i in rows if i.min_quantity <= counted]
        if not rows:
            return NoPrice(product.pk, "not_on_list", {"code": self.price_list.code})
        if not reached:
            return NoPrice(
                product.pk, "below_lowest_break", {"code": self.price_list.code, "min": rows[0].min_quantity}
            )
        return rows[0], reached[-1], multiply

    def _apply_list(self, product: Product, sale: _Sale, draft: _Draft) -> NoPrice | None:
        """Step 1: the list price, its break, the pack factor and, for a list with VAT, the net price. Returns
        why the list prices nothing (the draft then has no amount)."""
        picked = self._pick_break(product, sale)
        if isinstance(picked, NoPrice):
            return picked
        first, tier, multiply = picked
        draft.currency = self.price_list.currency
        draft.add("list", _q4(first.price), {"code": self.price_list.code})
        if tier is not first:
            draft.add("tier", _q4(tier.price), {"min": tier.min_quantity})
        draft.tier_min = tier.min_quantity
        if multiply != ONE:
            draft.add("pack", _q4(draft.amount * multiply), {"factor": multiply, "unit": sale.unit_code})
        if self.price_list.vat_included:
            draft.gross_listed = draft.amount
            draft.add("without_vat", _q4(draft.amount / (ONE + product.vat_rate / HUNDRED)), {"rate": product.vat_rate})
        return None

    def _apply_agreement(self, product: Product, sale: _Sale, draft: _Draft) -> None:
        """Step 2: the dealer's agreement, if one applies: a fixed price replaces the list's (or prices a product
        the list does not); a discount comes off the list price and, without one, is not applied."""
        agreement = self.agreement_for(product, sale.base_quantity)
        if agreement is None:
            return
        target = _agreement_target(agreement, self._tree)
        if agreement.kind == DealerAgreement.Kind.FIXED_PRICE:
            draft.currency = agreement.currency
            draft.add("agreement_fixed", _q4(agreement.value * sale.factor), {"target": target})
        elif draft.amount is not None:
            amount = _q4(draft.amount * (HUNDRED - agreement.value) / HUNDRED)
            draft.add("agreement_discount", amount, {"percent": agreement.value, "target": target})
        else:
            return  # a discount on nothing: the list's reason says why there is no price
        draft.gross_listed = None
        draft.agreement = agreement

    def _apply_currency(self, product: Product, draft: _Draft) -> NoPrice | None:
        """Step 3: a price in another currency than the dealer's, converted at the latest rate; without a rate,
        why there is no price."""
        if draft.currency == self.currency:
            return None
        source = draft.currency
        conversion = self.conversion(source, self.currency)
        if conversion is None:
            missing = source if self._rate(source) is None else self.currency
            return NoPrice(product.pk, "no_exchange_rate", {"currency": missing, "date": self.on}, steps=draft.steps)
        rate, rate_date = conversion
        draft.exchange_rate, draft.exchange_rate_date = rate, rate_date
        draft.gross_listed = None
        draft.currency = self.currency
        params = {"source": source, "target": self.currency, "rate": rate, "date": rate_date}
        draft.add("currency", _q4(draft.amount * rate), params)
        return None

    def _apply_quote(self, draft: _Draft, quoted: QuotedPrice) -> None:
        """Step 4: the quote's price — a net price in the dealer's currency, or its discount off the normal
        price (already in the dealer's currency)."""
        draft.gross_listed = None
        if quoted.net is not None:
            draft.currency = self.currency
            draft.add("quoted", _q4(quoted.net), {"reference": quoted.reference})
        else:
            amount = _q4(draft.amount * (HUNDRED - quoted.percent) / HUNDRED)
            draft.add("quote_discount", amount, {"percent": quoted.percent, "reference": quoted.reference})

    def _finish(self, product: Product, sale: _Sale, draft: _Draft) -> Price:
        """Step 5: the unit price rounded to cents and its VAT; a listed gross left untouched is kept exactly."""
        rate = product.vat_rate / HUNDRED
        if draft.gross_listed is not None:
            gross = quantize_money(draft.gross_listed)
            net = quantize_money(gross / (ONE + rate))
            vat = gross - net
        else:
            net = quantize_money(draft.amount)
            vat = quantize_money(net * rate)
            gross = net + vat
            if net != draft.amount:
                draft.steps += (PriceStep("rounded", net, draft.currency),)
        draft.steps += (PriceStep("vat", gross, draft.currency, {"rate": product.vat_rate}),)
        return Price(
            product_id=product.pk,
            quantity=sale.quantity,
            unit_code=sale.unit_code,
            unit_factor=sale.factor,
            currency=draft.currency,
            net=net,
            vat_rate=product.vat_rate,
            vat=vat,
            gross=gross,
            steps=draft.steps,
            priced_on=self.on,
            price_list_code=self.price_list.code if draft.tier_min is not None else None,
            tier_min_quantity=draft.tier_min,
            agreement_id=draft.agreement.pk if draft.agreement else None,
            exchange_rate=draft.exchange_rate,
            exchange_rate_date=draft.exchange_rate_date,
            gross_is_listed=draft.gross_listed is not None,
        )

    def _list_conversion(self) -> Decimal | None:
        """The factor from the list's currency to the dealer's, or None when the list cannot price anything."""
        if not self.list_usable:
            return None
        conversion = self.conversion(self.price_list.currency, self.currency)
        return conversion[0] if conversion else None

    def _list_items_at_minimum(self):
        """SQL: the list rows that price one base unit of the outer product at its minimum order quantity."""
        return PriceListItem.objects.filter(
            price_list_id=self.price_list.pk,
            product_id=OuterRef("pk"),
            min_quantity__lte=OuterRef("min_order_qty"),
        ).filter(Q(unit__isnull=True) | Q(unit_id=OuterRef("base_unit_id")))

    def _agreement_branches(self) -> list[tuple[DealerAgreement, str, tuple[int, ...]]]:
        """The dealer's agreements in precedence order (product, nearest category, brand; then threshold and
        start), each with the product column and ids it applies to: (agreement, column, ids)."""
        ordered = [(0, a) for a in self.agreements if a.product_id]
        if self._tree is not None:
            ordered += [(1, a) for a in self.agreements if a.category_id]
        ordered += [(2, a) for a in self.agreements if a.brand_id]

        def precedence(entry):
            level, a = entry
            depth = -self._tree.depth(a.category_id) if level == 1 else 0
            return (level, depth, -a.min_quantity, -(a.valid_from or dt.date.min).toordinal(), -a.pk)

        branches = []
        for level, agreement in sorted(ordered, key=precedence):
            if level == 0:
                branches.append((agreement, "pk", (agreement.product_id,)))
            elif level == 1:
                below = tuple(sorted(self._tree.descendants(agreement.category_id)))
                branches.append((agreement, "category_id", below))
            else:
                branches.append((agreement, "brand_id", (agreement.brand_id,)))
        return branches

    def _agreement_whens(self, then_for) -> list[When]:
        """One ``When`` per agreement in precedence order (``_agreement_branches``), each matching the products
        it would apply to at their minimum order quantity."""
        return [
            When(Q(**{f"{column}__in": ids}) & Q(min_order_qty__gte=agreement.min_quantity), then=then_for(agreement))
            for agreement, column, ids in self._agreement_branches()
        ]

    def _fixed_in_dealer_currency(self, agreement: DealerAgreement) -> Decimal | None:
        conversion = self.conversion(agreement.currency, self.currency)
        return agreement.value * conversion[0] if conversion else None

    def net_price_expression(self):
        """The same rules as ``price`` for one base unit at the product's minimum order quantity, as a SQL
        expression over ``Product`` rows: the net price in the dealer's currency, or NULL where ``price``
        gives ``NoPrice``. The catalogue sorts by it, so a sorted page is never priced in Python. Displayed
        prices always come from ``price``; this one skips the per-step rounding and may differ from it by a
        fraction of a cent. It costs a subquery per row: use it on bounded sets."""
        list_price = None
        factor = self._list_conversion()
        if factor is not None:
            items = self._list_items_at_minimum().order_by("-min_quantity").values("price")[:1]
            list_price = Subquery(items, output_field=_PRICE_FIELD) * Value(factor)
            if self.price_list.vat_included:
                list_price = list_price / (Value(ONE) + F("vat_rate") / Value(HUNDRED))

        def then_for(agreement):
            if agreement.kind == DealerAgreement.Kind.FIXED_PRICE:
                fixed = self._fixed_in_dealer_currency(agreement)
                return Value(fixed) if fixed is not None else Value(None)
            if list_price is None:
                return Value(None)
            return list_price * Value((HUNDRED - agreement.value) / HUNDRED)

        whens = self._agreement_whens(then_for)
        default = list_price if list_price is not None else Value(None)
        if not whens:
            return ExpressionWrapper(default, output_field=_PRICE_FIELD)
        return Case(*whens, default=default, output_field=_PRICE_FIELD)

    def is_priced(self, product: Product) -> bool:
        """Whether the catalogue offers ``product`` to this dealer: the agreement that applies at its minimum
        order quantity is a fixed price in a convertible currency, or else (a discount, or no agreement) the
        list has a base-unit price for it at some quantity. A product priced only from a higher quantity is
        offered; its row then says from which quantity. Needs ``prime`` for the product."""
        agreement = self.agreement_for(product, product.min_order_qty)
        if agreement is not None and agreement.kind == DealerAgreement.Kind.FIXED_PRICE:
            return self._fixed_in_dealer_currency(agreement) is not None
        if self._list_conversion() is None:
            return False
        return any(i.unit_id is None or i.unit_id == product.base_unit_id for i in self._items.get(product.pk, []))

    def priced_condition(self):
        """``is_priced`` as a SQL condition over ``Product`` rows, cheap for every row of a large catalogue: the
        list part is an ``EXISTS`` on the (product, list) index, probed only for the rows a page walks (a
        hashed ``IN`` would build a hash of the whole list on every page), the agreement part a CASE over the
        dealer's few agreements without subqueries. (List rows priced explicitly in the base unit count as
        base-unit rows in ``is_priced``; importers store them without a unit, as this condition expects.)"""
        if self._list_conversion() is not None:
            base_rows = PriceListItem.objects.filter(
                price_list_id=self.price_list.pk, product_id=OuterRef("pk"), unit__isnull=True
            )
            listed = Q(Exists(base_rows))
        else:
            listed = Q(pk__in=[])

        fixed = [a for a in self.agreements if a.kind == DealerAgreement.Kind.FIXED_PRICE]
        if not fixed:
            return listed

        # 1: a fixed price applies and converts; 2: a fixed price applies but cannot be converted; 0: the list
        # decides. The list's EXISTS appears once, so each row is probed at most once.
        def then_for(agreement):
            if agreement.kind != DealerAgreement.Kind.FIXED_PRICE:
                return 0
            return 1 if self._fixed_in_dealer_currency(agreement) is not None else 2

        branches = [(column, ids, a.min_quantity, then_for(a)) for a, column, ids in self._agreement_branches()]
        applies = _AgreementCase(branches, default=0, output_field=IntegerField())
        return Q(ExpressionWrapper(Q(Exact(applies, 1)), output_field=BooleanField())) | (
            Q(ExpressionWrapper(Q(Exact(applies, 0)), output_field=BooleanField())) & listed
        )

    def breaks(self, product: Product) -> list[Decimal]:
        """The quantities (base units) where this dealer's price for the product may change: list breaks and
        agreement thresholds, ascending, starting at the product's minimum order quantity."""
        self.prime([product])
        quantities = {product.min_order_qty}
        quantities.update(
            i.min_quantity
            for i in self._items.get(product.pk, [])
            if (i.unit_id is None or i.unit_id == product.base_unit_id) and i.min_quantity > product.min_order_qty
        )
        candidates = self._by_product.get(product.pk, []) + self._by_brand.get(product.brand_id, [])
        if self._tree is not None:
            for category_id in self._tree.ancestors(product.category_id):
                candidates += self._by_category.get(category_id, [])
        quantities.update(a.min_quantity for a in candidates if a.min_quantity > product.min_order_qty)
        return sorted(quantities)


def _agreement_target(agreement: DealerAgreement, tree) -> tuple[str, str, str]:
    """What an agreement is on, kept as data so the explanation reads in the reader's language."""
    if agreement.product_id:
        return ("product", agreement.product.sku, "")
    if agreement.category_id:
        node = tree.get(agreement.category_id) if tree else None
        if node:
            return ("category", node.name, node.name_en)
        return ("category", agreement.category.name, agreement.category.name_en)
    return ("brand", agreement.brand.name, "")


def price_for(dealer, product: Product, quantity: Decimal = ONE, unit=None, *, on: dt.date | None = None):
    """The price of one product for a dealer (see the module doc for the rules)."""
    return DealerPricing(dealer, on=on).price(product, quantity, unit)


def prices_for(
    dealer, products: Iterable[Product], *, quantity: Decimal | None = None, on: dt.date | None = None
) -> dict[int, PriceResult]:
    """Prices for a page of products in a constant number of queries. Each product is priced at ``quantity``
    base units, or at its minimum order quantity when not given. Products need ``base_unit`` loaded."""
    products = list(products)
    pricing = DealerPricing(dealer, on=on)
    pricing.prime(products)
    return {p.pk: pricing.price(p, quantity if quantity is not None else p.min_order_qty) for p in products}
