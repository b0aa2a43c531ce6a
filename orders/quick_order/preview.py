"""The preview: the parsed rows resolved against the catalogue for one dealer user (SKU, barcode, pack), with
prices, availability and quantity rules, as the lines that would go into the cart."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from b2bportal.money import format_quantity
from b2bportal.text import code_key
from catalog.availability import Availability, Decision, availability_for_products, quantity_decision
from catalog.models import Product, ProductUnit, Unit
from catalog.prices import PriceResult
from catalog.pricing import DealerPricing
from catalog.selectors import visible_products
from catalog.units import unit_name
from orders.items import ItemCandidate, item_candidates
from orders.quick_order.rows import MAX_SKU_LENGTH, QuickOrderRow, sku_error

# Pack quantities are stepped up to the next allowed one; a product whose minimum, multiple and pack factor
# never line up gives up after this many steps instead of looping.
MAX_ADJUST_STEPS = 1000


class PreviewStatus:
    OK = "ok"
    ADJUSTED = "adjusted"
    UNKNOWN_SKU = "unknown_sku"
    NOT_ORDERABLE = "not_orderable"
    NO_PRICE = "no_price"
    INVALID_QUANTITY = "invalid_quantity"
    UNKNOWN_UNIT = "unknown_unit"

    ADDABLE = frozenset({OK, ADJUSTED})


@dataclass(frozen=True)
class PreviewLine:
    """What one row (or several rows of the same product and unit, summed) would add to the cart.

    ``quantity`` is what would be added, in ``unit`` (None: the product's base unit); it is None when nothing
    would be added. ``requested`` is the quantity asked for, before any adjustment. ``line_nos`` lists every
    input line summed into this one. ``product`` and ``price`` are None for "unknown_sku" and "not_orderable".
    """

    row: QuickOrderRow
    status: str
    product: Product | None
    quantity: Decimal | None
    unit: Unit | None
    price: PriceResult | None
    message: str
    requested: Decimal | None = None
    line_nos: tuple[int, ...] = ()

    @property
    def can_be_added(self) -> bool:
        return self.status in PreviewStatus.ADDABLE


def _candidates(rows: list[QuickOrderRow], dealer_id: int) -> list[list[ItemCandidate]]:
    """For each row, the products its code may mean, best first (``orders/items.py`` decides)."""
    codes = [row.sku.strip() if row.sku and not sku_error(row.sku) else "" for row in rows]
    return item_candidates(dealer_id=dealer_id, codes=codes)


def _too_many_places(quantity: Decimal, places: int) -> bool:
    return quantity != quantity.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _fit(
    product: Product, quantity: Decimal, *, factor: Decimal, places: int, availability: Availability
) -> tuple[Decimal | None, Decision, Decision]:
    """The requested quantity, or the least larger one that the minimum and the order multiple allow and that
    the row's unit can express: (that quantity, or None when none fits; the decision on the request; the
    decision on the answer). Stock never makes it None."""
    first = quantity_decision(product, quantity, unit_factor=factor, availability=availability)
    decision, candidate = first, quantity
    step = Decimal(1).scaleb(-places)
    for _attempt in range(MAX_ADJUST_STEPS):
        if decision.reason not in ("below_minimum", "not_a_multiple"):
            break
        # ``suggested`` counts base units: back to the row's unit, rounded up to what the unit can express.
        candidate = max((decision.suggested / factor).quantize(step, rounding=ROUND_CEILING), candidate + step)
        decision = quantity_decision(product, candidate, unit_factor=factor, availability=availability)
    if decision.allowed or decision.reason == "insufficient_stock":
        return candidate, first, decision
    return None, first, decision


def _pack_for(
    product: Product, code: str, pack_unit_id: int | None, packs: list[ProductUnit]
) -> tuple[bool, ProductUnit | None]:
    """(known, pack) for a typed unit code, else for the pack a barcode named; pack None is the base unit.
    A pack that is not sold is not known."""
    if code:
        if code_key(code) == code_key(product.base_unit.code):
            return True, None
        pack = next((p for p in packs if code_key(p.unit.code) == code_key(code)), None)
    elif pack_unit_id is None or pack_unit_id == product.base_unit_id:
        return True, None
    else:
        pack = next((p for p in packs if p.unit_id == pack_unit_id), None)
    if pack is None or not pack.is_sales_unit or pack.unit_id == product.base_unit_id:
        return False, None
    return True, pack


@dataclass
class _Group:
    product: Product
    pack: ProductUnit | None
    rows: list[QuickOrderRow]


def quick_order_preview(
    *, dealer_user, rows: list[QuickOrderRow], pricing: DealerPricing | None = None
) -> list[PreviewLine]:
    """What each row would add to ``dealer_user``'s cart, in input order; nothing is written.

    Rows of the same product and unit are summed into one line, in the first row's place. A quantity below
    the minimum or off the order multiple is raised to the next allowed one ("adjusted", the message says from
    what to what); one with more decimals than its unit allows is refused ("invalid_quantity"). Low stock is
    mentioned, never refused: stock is decided when the order is placed.
    Refuses, line by line: unknown codes ("unknown_sku"), products the dealer cannot see or that are not active
    (both "not_orderable", saying nothing about the product), units the product is not sold in
    ("unknown_unit"), and quantities without a price for this dealer ("no_price").
    Reads the database in a constant number of queries, whatever the number of rows. ``pricing``: a
    ``DealerPricing`` of the user's dealer to read the prices into (placing the lines next uses what it read).
    """
    pricing = pricing or DealerPricing(dealer_user.dealer)
    candidates = _candidates(rows, dealer_user.dealer_id)
    product_ids = {candidate.product_id for found in candidates for candidate in found}
    products: dict[int, Product] = {}
    if product_ids:
        visible = visible_products(pricing=pricing).filter(pk__in=product_ids).select_related("base_unit")
        products = {product.pk: product for product in visible}
    pricing.prime(products.values(), packs=True)
    stock = availability_for_products(products.values()) if products else {}

    slots: list[PreviewLine | tuple[int, int | None]] = []
    groups: dict[tuple[int, int | None], _Group] = {}
    for row, found in zip(rows, candidates, strict=True):
        resolved = _resolve(row, found, products, pricing)
        if isinstance(resolved, PreviewLine):
            slots.append(resolved)
            continue
        product, pack = resolved
        key = (product.pk, pack.unit_id if pack else None)
        if key not in groups:
            groups[key] = _Group(product=product, pack=pack, rows=[])
            slots.append(key)
        groups[key].rows.append(row)
    return [
        slot if isinstance(slot, PreviewLine) else _group_line(groups[slot], pricing, stock[slot[0]]) for slot in slots
    ]


def _refused(row: QuickOrderRow, status: str, message: str, *, product=None, unit=None, requested=None) -> PreviewLine:
    return PreviewLine(
        row=row,
        status=status,
        product=product,
        quantity=None,
        unit=unit,
        price=None,
        message=message,
        requested=requested,
        line_nos=(row.line_no,),
    )


def _resolve(
    row: QuickOrderRow, found: list[ItemCandidate], products: dict[int, Product], pricing: DealerPricing
) -> PreviewLine | tuple[Product, ProductUnit | None]:
    """The product and pack a row orders, or the line that says why it cannot join the cart."""
    code = row.sku.strip()[:MAX_SKU_LENGTH]
    if not found:
        message = sku_error(row.sku) or _("No product with the code %(code)s.") % {"code": code}
        return _refused(row, PreviewStatus.UNKNOWN_SKU, message)
    chosen = next((candidate for candidate in found if candidate.product_id in products), None)
    if chosen is None:
        # Hidden and inactive products get the same answer, and it names only what the dealer typed.
        return _refused(row, PreviewStatus.NOT_ORDERABLE, _("%(code)s cannot be ordered.") % {"code": code})
    product = products[chosen.product_id]
    if row.error:
        return _refused(row, PreviewStatus.INVALID_QUANTITY, row.error, product=product)
    packs = pricing.packs(product)
    known, pack = _pack_for(product, row.unit_code, chosen.pack_unit_id, packs)
    if not known:
        named = row.unit_code or next((p.unit.code for p in packs if p.unit_id == chosen.pack_unit_id), "")
        sold = dict.fromkeys([product.base_unit.code] + [p.unit.code for p in packs if p.is_sales_unit])
        message = _("%(sku)s is not sold in unit %(unit)s; it is sold in %(units)s.") % {
            "sku": product.sku,
            "unit": named,
            "units": ", ".join(sold),
        }
        return _refused(row, PreviewStatus.UNKNOWN_UNIT, message, product=product, requested=row.quantity)
    unit = pack.unit if pack else product.base_unit
    if _too_many_places(row.quantity, unit.decimals):
        message = _("%(unit)s allows %(places)s decimal places.") % {"unit": unit.code, "places": unit.decimals}
        return _refused(
            row,
            PreviewStatus.INVALID_QUANTITY,
            message,
            product=product,
            unit=pack.unit if pack else None,
            requested=row.quantity,
        )
    return product, pack


def _group_line(group: _Group, pricing: DealerPricing, availability: Availability) -> PreviewLine:
    """The line for one product and unit: the summed quantity, adjusted to the rules, with its price."""
    product, pack = group.product, group.pack
    unit = pack.unit if pack else None
    shown_unit = unit or product.base_unit
    line_nos = tuple(row.line_no for row in group.rows)
    requested = sum((row.quantity for row in group.rows), Decimal("0"))
    parts = []
    if len(line_nos) > 1:
        parts.append(_("Lines %(lines)s were combined into one.") % {"lines": ", ".join(map(str, line_nos))})
    quantity, first, final = _fit(
        product,
        requested,
        factor=pack.factor if pack else Decimal("1"),
        places=shown_unit.decimals,
        availability=availability,
    )

    def line(status: str, *, price: PriceResult | None = None, quantity: Decimal | None = None) -> PreviewLine:
        return PreviewLine(group.rows[0], status, product, quantity, unit, price, " ".join(parts), requested, line_nos)

    if quantity is None:
        parts.append(final.message)
        return line(PreviewStatus.INVALID_QUANTITY)
    status = PreviewStatus.OK
    if quantity != requested:
        status = PreviewStatus.ADJUSTED
        parts.append(
            _("Quantity changed from %(requested)s to %(quantity)s %(unit)s: %(reason)s")
            % {
                "requested": format_quantity(requested),
                "quantity": format_quantity(quantity, max_places=shown_unit.decimals),
                "unit": unit_name(shown_unit),
                "reason": first.message,
            }
        )
    if final.reason == "insufficient_stock":
        parts.append(
            _("Low stock: %(available)s %(unit)s available now; the rest may be delivered later.")
            % {
                "available": format_quantity(final.available, max_places=product.base_unit.decimals),
                "unit": unit_name(product.base_unit),
            }
        )
    price = pricing.price(product, quantity, unit)
    if not price.exists:
        parts.append(price.message)
        return line(PreviewStatus.NO_PRICE, price=price)
    return line(status, price=price, quantity=quantity)
