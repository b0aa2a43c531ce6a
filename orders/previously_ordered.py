"""What a dealer has ordered before, product by product: the last quantity and unit, the last unit price paid (in
that order's currency) and the last order date, beside today's price and availability for the dealer.

Every user of the dealer reads the dealer's whole history here (a buyer who sees only their own orders in the
order list still sees which products the dealer buys and at what price, not the orders themselves). Orders that
never became one — drafts, rejected, cancelled — do not count.

A page is a constant number of queries: the count, the page of products (each with its last line found by a
subquery), the lines with their orders and products, then units, prices and stock for the whole page at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.paginator import Page, Paginator
from django.db.models import Count, F, Max, OuterRef, QuerySet, Subquery

from catalog.availability import Availability, availability_for_products
from catalog.categories import category_tree
from catalog.models import Product, Unit
from catalog.prices import PriceResult
from catalog.pricing import DealerPricing
from catalog.search import product_search
from catalog.selectors import is_visible
from dealers.access import scoped
from dealers.models import DealerUser
from orders.models import OrderLine
from orders.status import OrderStatus

NOT_ORDERED = (OrderStatus.DRAFT, OrderStatus.REJECTED, OrderStatus.CANCELLED)
SORTS = ("recent", "name", "most")
PER_PAGE = 25


def ordered_lines(dealer_user: DealerUser) -> QuerySet[OrderLine]:
    """The lines of the dealer's orders that count as ordered (never another dealer's)."""
    return scoped(OrderLine.objects.all(), dealer_user).exclude(order__status__in=NOT_ORDERED)


def _last_line_id(lines: QuerySet[OrderLine], outer: str) -> Subquery:
    """The id of the newest of ``lines`` for the product at ``outer`` in the enclosing query."""
    latest = lines.filter(product_id=OuterRef(outer)).order_by(
        F("order__placed_at").desc(nulls_last=True), "-order_id", "-line_no"
    )
    return Subquery(latest.values("pk")[:1])


def previously_ordered(
    *, dealer_user: DealerUser, q: str = "", brand_id: int | None = None, sort: str = "recent"
) -> QuerySet:
    """One row per product the dealer ordered: ``pk`` (the product's), ``last_at`` (the last order's time),
    ``times`` (in how many orders) and ``last_line_id``; searched like the catalogue (SKU, names, barcode, with
    Turkish folding)."""
    lines = ordered_lines(dealer_user)
    products = Product.objects.filter(pk__in=lines.values("product_id"))
    if q:
        products = product_search(products, q)
    if brand_id:
        products = products.filter(brand_id=brand_id)
    per_product = lines.filter(product_id=OuterRef("pk")).order_by().values("product_id")
    products = products.annotate(
        last_at=Subquery(per_product.annotate(last=Max("order__placed_at")).values("last")),
        times=Subquery(per_product.annotate(count=Count("order_id", distinct=True)).values("count")),
        last_line_id=_last_line_id(lines, "pk"),
    )
    order = {
        "recent": (F("last_at").desc(nulls_last=True), "-pk"),
        "name": ("name", "pk"),
        "most": ("-times", F("last_at").desc(nulls_last=True), "-pk"),
    }[sort if sort in SORTS else "recent"]
    return products.order_by(*order).values("pk", "last_at", "times", "last_line_id")


@dataclass
class PreviouslyOrderedRow:
    product: Product
    last_line: OrderLine
    times: int
    price: PriceResult  # today, for the last quantity and unit
    availability: Availability
    orderable: bool  # still in the dealer's catalogue with a price: it can be added to the cart

    @property
    def currency(self) -> str:
        return self.last_line.order.currency


def last_lines(*, dealer_user: DealerUser, line_ids: Iterable[int]) -> list[OrderLine]:
    """The dealer's order lines ``line_ids``, with their order, product and the product's unit, brand, category."""
    return list(
        ordered_lines(dealer_user)
        .filter(pk__in=list(line_ids))
        .select_related("order", "product__base_unit", "product__brand", "product__category")
    )


def line_units(lines: Iterable[OrderLine]) -> dict[int, Unit | None]:
    """Each line's unit as the cart takes it: None for the product's base unit (one query for all)."""
    lines = list(lines)
    units = {u.code: u for u in Unit.objects.filter(code__in={line.unit_code for line in lines})}
    result = {}
    for line in lines:
        unit = units.get(line.unit_code)
        result[line.pk] = None if unit is None or unit.pk == line.product.base_unit_id else unit
    return result


def previously_ordered_page(
    *, dealer_user: DealerUser, q: str = "", brand_id: int | None = None, sort: str = "recent", page=1
) -> tuple[Page, list[PreviouslyOrderedRow]]:
    """A page of ``previously_ordered`` with each product's last line, today's price and availability."""
    paged = Paginator(previously_ordered(dealer_user=dealer_user, q=q, brand_id=brand_id, sort=sort), PER_PAGE)
    page_obj = paged.get_page(page)
    entries = list(page_obj.object_list)
    found = last_lines(dealer_user=dealer_user, line_ids=[entry["last_line_id"] for entry in entries])
    by_id = {line.pk: line for line in found}
    lines = [by_id[e["last_line_id"]] for e in entries if e["last_line_id"] in by_id]
    products = [line.product for line in lines]
    pricing = DealerPricing(dealer_user.dealer)
    pricing.prime(products, packs=True)
    stock = availability_for_products(products)
    units = line_units(lines)
    tree = category_tree()
    times = {e["pk"]: e["times"] for e in entries}
    rows = []
    for line in lines:
        product = line.product
        price = pricing.price(product, line.quantity, units[line.pk])
        rows.append(
            PreviouslyOrderedRow(
                product=product,
                last_line=line,
                times=times[product.pk],
                price=price,
                availability=stock[product.pk],
                orderable=price.exists and is_visible(pricing=pricing, product=product, tree=tree),
            )
        )
    return page_obj, rows


def last_ordered_items(*, dealer_user: DealerUser, product_ids: Iterable[int]) -> list[tuple[Product, Decimal, object]]:
    """``(product, last quantity, unit)`` for each of ``product_ids`` the dealer ordered before; products the
    dealer never ordered (or another dealer's) are left out."""
    wanted = {int(pk) for pk in product_ids}
    if not wanted:
        return []
    grouped = (
        ordered_lines(dealer_user)
        .filter(product_id__in=wanted)
        .order_by()
        .values("product_id")
        .annotate(last_line_id=_last_line_id(ordered_lines(dealer_user), "product_id"))
    )
    lines = last_lines(dealer_user=dealer_user, line_ids=[row["last_line_id"] for row in grouped])
    units = line_units(lines)
    lines.sort(key=lambda line: line.product.sku)
    return [(line.product, line.quantity, units[line.pk]) for line in lines]
