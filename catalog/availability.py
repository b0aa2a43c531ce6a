"""How much of a product a dealer can order, and whether a requested quantity is allowed — the one place.

available = Σ over active sellable warehouses of (on hand − committed in the ERP − reserved in the portal),
never below zero. The sum is taken before clamping: a warehouse that has promised more than it holds eats into
the others, so the portal never offers stock the ERP has already promised. Quarantine and damaged-goods
warehouses (``is_sellable`` off) are never counted. All quantities are in the product's base unit.

Every answer carries the *as of* time of the oldest stock figure it used, so a caller knows how fresh it is.
Where the ERP offers live stock, ``stock_refresh`` first stores the ERP's figures of the products asked about in
their stock rows (``catalog.hooks``): the decision is the same, on fresher figures.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from b2bportal.live import SYNCED, Freshness
from catalog.hooks import live_stock_refresh
from catalog.models import Product, StockLevel, round_up_to_multiple
from catalog.units import quantity_with_unit

ZERO = Decimal("0")


class StockStatus:
    IN_STOCK = "in_stock"
    LOW = "low"
    OUT = "out"


@dataclass(frozen=True)
class WarehouseStock:
    warehouse_id: int
    code: str
    name: str
    on_hand: Decimal
    committed_erp: Decimal
    reserved_portal: Decimal
    as_of: datetime | None

    @property
    def net(self) -> Decimal:
        """What this warehouse can still give; negative when it has promised more than it holds."""
        return self.on_hand - self.committed_erp - self.reserved_portal

    @property
    def available(self) -> Decimal:
        return max(self.net, ZERO)


@dataclass(frozen=True)
class Availability:
    product_id: int
    available: Decimal
    warehouses: tuple[WarehouseStock, ...]
    as_of: datetime | None
    low_level: Decimal

    @property
    def status(self) -> str:
        if self.available <= 0:
            return StockStatus.OUT
        if self.available < self.low_level:
            return StockStatus.LOW
        return StockStatus.IN_STOCK

    @property
    def status_label(self) -> str:
        labels = {
            StockStatus.IN_STOCK: _("In stock"),
            StockStatus.LOW: _("Low stock"),
            StockStatus.OUT: _("Out of stock"),
        }
        return labels[self.status]


@dataclass(frozen=True)
class Decision:
    """The answer for a requested quantity: ``allowed``, a stable ``reason`` code, and what is ``available``.

    ``suggested`` is the nearest quantity that would pass the quantity rules (minimum, multiple), when there is one.
    """

    allowed: bool
    reason: str
    available: Decimal
    requested: Decimal
    as_of: datetime | None
    message: str = ""
    suggested: Decimal | None = None


def sellable_levels():
    """Stock rows that count: active, sellable warehouses only (never quarantine or damaged goods)."""
    return StockLevel.objects.filter(warehouse__is_sellable=True, warehouse__is_active=True)


def free_stock(nets: Iterable[Decimal]) -> Decimal:
    """What a product can still give over its warehouses: the sum of each warehouse's net (on hand − committed −
    reserved) taken before clamping, so a warehouse that promised more than it holds eats into the others."""
    return max(sum(nets, ZERO), ZERO)


def _net(level: StockLevel) -> Decimal:
    return level.on_hand - level.committed_erp - level.reserved_portal


@dataclass(frozen=True)
class StockAllocation:
    """Where an order's stock comes from: ``plan`` lists (stock row, quantity) per product, warehouse by warehouse;
    ``shortfall`` is what could not be covered per product (products covered in full are absent)."""

    plan: dict[int, list[tuple[StockLevel, Decimal]]]
    shortfall: dict[int, Decimal]


def allocate(levels: Iterable[StockLevel], needed: Mapping[int, Decimal]) -> StockAllocation:
    """Take ``needed`` (base units per product id) from ``levels`` — the sellable stock rows of those products, read
    under their row locks by the caller — in warehouse code order, never more than is free (``free_stock``).
    The rows must carry their warehouse (``select_related("warehouse")``)."""
    by_product: dict[int, list[StockLevel]] = defaultdict(list)
    for level in levels:
        by_product[level.product_id].append(level)
    plan: dict[int, list[tuple[StockLevel, Decimal]]] = {}
    shortfall: dict[int, Decimal] = {}
    for product_id, wanted in needed.items():
        product_levels = sorted(by_product.get(product_id, []), key=lambda level: level.warehouse.code)
        free = free_stock(_net(level) for level in product_levels)
        if wanted > free:
            shortfall[product_id] = wanted - free
        remaining = min(wanted, free)
        taken = []
        for level in product_levels:
            if remaining <= 0:
                break
            take = min(max(_net(level), ZERO), remaining)
            if take > 0:
                taken.append((level, take))
                remaining -= take
        plan[product_id] = taken
    return StockAllocation(plan=plan, shortfall=shortfall)


def stock_refresh(products: Iterable[Product]) -> Freshness:
    """Ask the ERP for the stock of ``products`` now, where the default connection offers live stock: their stock
    rows are refreshed, and what is available is then decided on them as always. Never fails: the synced figures
    stand when nothing answers or the ERP does not. Call it before a transaction, not inside one. ``products``
    may be a query: it is read only when a live source is offered."""
    return live_stock_refresh.first(default=None, products=products) or SYNCED


def low_stock_level(product: Product) -> Decimal:
    if product.low_stock_level is not None:
        return product.low_stock_level
    return Decimal(settings.B2B_LOW_STOCK_LEVEL) * product.order_multiple


def availability_for_products(products: Iterable[Product]) -> dict[int, Availability]:
    """Availability of many products in one query."""
    products = list(products)
    levels: dict[int, list[WarehouseStock]] = defaultdict(list)
    rows = (
        sellable_levels()
        .filter(product_id__in=[p.pk for p in products])
        .order_by("warehouse__code")
        .values_list(
            "product_id",
            "warehouse_id",
            "warehouse__code",
            "warehouse__name",
            "on_hand",
            "committed_erp",
            "reserved_portal",
            "as_of",
            "warehouse__stock_as_of",
        )
    )
    for product_id, *stock, row_as_of, feed_as_of in rows:
        # A figure is as fresh as the last stock feed that carried its warehouse, even when it did not change.
        known = [t for t in (row_as_of, feed_as_of) if t is not None]
        levels[product_id].append(WarehouseStock(*stock, max(known) if known else None))
    result = {}
    for product in products:
        warehouses = tuple(levels.get(product.pk, ()))
        total = free_stock(w.net for w in warehouses)
        known = [w.as_of for w in warehouses if w.as_of is not None]
        result[product.pk] = Availability(
            product_id=product.pk,
            available=total,
            warehouses=warehouses,
            as_of=min(known) if known else None,
            low_level=low_stock_level(product),
        )
    return result


def availability_for(product: Product) -> Availability:
    return availability_for_products([product])[product.pk]


def quantity_decision(
    product: Product,
    quantity: Decimal,
    *,
    unit_factor: Decimal = Decimal("1"),
    availability: Availability | None = None,
) -> Decision:
    """May ``quantity`` (in a unit of ``unit_factor`` base units) of ``product`` be ordered now?

    Refuses: a product that is not active, a quantity not above zero or with more decimals than the unit allows,
    below the minimum order quantity, not a multiple of the order multiple, and more than is available.
    """
    availability = availability or availability_for(product)
    requested = Decimal(quantity) * unit_factor
    common = {"available": availability.available, "requested": requested, "as_of": availability.as_of}
    if product.status != Product.Status.ACTIVE:
        return Decision(False, "product_not_active", message=_("This product cannot be ordered now."), **common)
    if requested <= 0:
        return Decision(False, "invalid_quantity", message=_("The quantity must be above zero."), **common)
    places = product.base_unit.decimals
    if requested != requested.quantize(Decimal(1).scaleb(-places)):
        return Decision(
            False,
            "invalid_quantity",
            message=_("%(unit)s allows %(places)s decimal places.")
            % {"unit": product.base_unit.code, "places": places},
            **common,
        )
    if requested < product.min_order_qty:
        return Decision(
            False,
            "below_minimum",
            message=_("The minimum order quantity is %(min)s.")
            % {"min": quantity_with_unit(product.min_order_qty, product.base_unit)},
            suggested=product.smallest_order_quantity,
            **common,
        )
    if requested % product.order_multiple != 0:
        return Decision(
            False,
            "not_a_multiple",
            message=_("This product is sold in multiples of %(multiple)s.")
            % {"multiple": quantity_with_unit(product.order_multiple, product.base_unit)},
            suggested=round_up_to_multiple(requested, product.order_multiple),
            **common,
        )
    if requested > availability.available:
        return Decision(
            False,
            "insufficient_stock",
            message=_("Only %(quantity)s in stock.")
            % {"quantity": quantity_with_unit(availability.available, product.base_unit)},
            **common,
        )
    return Decision(True, "ok", **common)
