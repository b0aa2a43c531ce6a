"""Writes on carts: adding, changing and removing lines, saved lists, reorder."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from catalog.availability import availability_for, quantity_decision
from catalog.models import Unit
from catalog.pricing import DealerPricing
from catalog.selectors import is_visible
from orders.exceptions import CartRefused
from orders.models import Cart, CartLine
from orders.previously_ordered import last_ordered_items


@dataclass(frozen=True)
class CartAddResult:
    line: CartLine
    decision: object  # catalog.availability.Decision for the line's new quantity


@transaction.atomic
def cart_line_add(*, dealer_user, product, quantity: Decimal, unit=None) -> CartAddResult:
    """Add ``quantity`` × ``unit`` (default: base unit) of ``product`` to the user's active cart, summing with a
    line already there.

    Refuses with ``CartRefused`` a product this dealer cannot see or has no price for, and a total quantity the
    product's rules forbid (minimum, multiple, decimals). Stock is not a refusal here: the line is added and the
    result carries the stock decision, because stock is decided again, under lock, when the order is placed.
    The cart row is locked, so two tabs adding at once sum correctly.
    """

    dealer = dealer_user.dealer
    pricing = DealerPricing(dealer)
    if not is_visible(pricing=pricing, product=product):
        raise CartRefused(_("This product is not available to you."))
    price = pricing.price(product, quantity, unit)
    if not price.exists:
        raise CartRefused(price.message)
    factor = price.unit_factor
    unit_id = unit.pk if unit is not None and unit.pk != product.base_unit_id else None
    cart = _active_cart(dealer_user)
    line = CartLine.objects.filter(cart=cart, product=product, unit_id=unit_id).first()
    total = quantity + (line.quantity if line else 0)
    availability = availability_for(product)
    decision = quantity_decision(product, total, unit_factor=factor, availability=availability)
    if not decision.allowed and decision.reason != "insufficient_stock":
        raise CartRefused(decision.message, suggested=decision.suggested)
    if line is None:
        line = CartLine.objects.create(cart=cart, product=product, unit_id=unit_id, quantity=total)
    else:
        line.quantity = total
        line.save(update_fields=["quantity"])
    cart.save(update_fields=["updated_at"])
    return CartAddResult(line=line, decision=decision)


def _active_cart(dealer_user) -> Cart:
    cart, _created = Cart.objects.get_or_create(
        dealer=dealer_user.dealer, owner=dealer_user.user, kind=Cart.Kind.ACTIVE
    )
    return Cart.objects.select_for_update(of=("self",)).get(pk=cart.pk)


def _own_line(dealer_user, line_id: int) -> CartLine:
    line = (
        CartLine.objects.select_related("product__base_unit", "unit")
        .filter(pk=line_id, cart__owner=dealer_user.user, cart__dealer=dealer_user.dealer, cart__kind=Cart.Kind.ACTIVE)
        .first()
    )
    if line is None:
        raise CartRefused(_("This line is not in your cart."))
    return line


@transaction.atomic
def cart_line_set_quantity(*, dealer_user, line_id: int, quantity: Decimal) -> CartAddResult:
    """Set a line of the user's own active cart to ``quantity``; zero removes it. Refuses what the product's
    quantity rules forbid (with a suggestion) and lines of other carts."""

    _active_cart(dealer_user)
    line = _own_line(dealer_user, line_id)
    if quantity == 0:
        line.delete()
        return CartAddResult(line=line, decision=None)
    factor = Decimal("1")
    if line.unit_id:
        pack = line.product.units.filter(unit_id=line.unit_id).first()
        factor = pack.factor if pack else factor
    decision = quantity_decision(
        line.product, quantity, unit_factor=factor, availability=availability_for(line.product)
    )
    if not decision.allowed and decision.reason != "insufficient_stock":
        raise CartRefused(decision.message, suggested=decision.suggested)
    line.quantity = quantity
    line.save(update_fields=["quantity"])
    return CartAddResult(line=line, decision=decision)


@transaction.atomic
def cart_clear(*, dealer_user) -> int:
    cart = _active_cart(dealer_user)
    deleted, _detail = cart.lines.all().delete()
    return deleted


@transaction.atomic
def cart_lines_add(*, dealer_user, items) -> list[tuple[object, CartAddResult | CartRefused]]:
    """Add many ``(product, quantity, unit)`` items (quick order, reorder, a saved list), each on its own: one
    refused item does not stop the others. Returns each item with its result or its refusal."""
    results = []
    for product, quantity, unit in items:
        try:
            with transaction.atomic():
                results.append(
                    (
                        (product, quantity, unit),
                        cart_line_add(dealer_user=dealer_user, product=product, quantity=quantity, unit=unit),
                    )
                )
        except CartRefused as refused:
            results.append(((product, quantity, unit), refused))
    return results


@transaction.atomic
def cart_save_as_list(*, dealer_user, name: str, shared: bool = False) -> Cart:
    """Copy the active cart into a named list (the cart stays as it is). Refuses an empty cart or name."""
    name = name.strip()
    if not name:
        raise CartRefused(_("Give the list a name."))
    cart = _active_cart(dealer_user)
    lines = list(cart.lines.all())
    if not lines:
        raise CartRefused(_("Your cart is empty."))
    saved = Cart.objects.create(
        dealer=dealer_user.dealer, owner=dealer_user.user, kind=Cart.Kind.SAVED, name=name[:100], is_shared=shared
    )
    CartLine.objects.bulk_create(
        [
            CartLine(cart=saved, product_id=line.product_id, unit_id=line.unit_id, quantity=line.quantity)
            for line in lines
        ]
    )
    return saved


def saved_lists_for(dealer_user):
    """The user's own saved lists and those shared within the dealer."""
    from django.db.models import Q

    return Cart.objects.filter(dealer=dealer_user.dealer, kind=Cart.Kind.SAVED).filter(
        Q(owner=dealer_user.user) | Q(is_shared=True)
    )


@transaction.atomic
def cart_load_list(*, dealer_user, list_id: int):
    """Add a saved list's lines to the active cart, re-checked now."""
    saved = saved_lists_for(dealer_user).filter(pk=list_id).first()
    if saved is None:
        raise CartRefused(_("This list is not available to you."))
    lines = saved.lines.select_related("product__base_unit", "unit")
    return cart_lines_add(dealer_user=dealer_user, items=[(line.product, line.quantity, line.unit) for line in lines])


@transaction.atomic
def cart_from_order(*, dealer_user, order) -> list:
    """Reorder: add the lines of an earlier order of this dealer to the cart, re-priced and re-checked now.
    Returns each line's result; the cart page then shows today's prices next to the ones ordered."""
    if order.dealer_id != dealer_user.dealer_id:
        raise CartRefused(_("This order is not available to you."))

    lines = list(order.lines.select_related("product__base_unit"))
    units = {u.code: u for u in Unit.objects.filter(code__in={line.unit_code for line in lines})}
    items = []
    for line in lines:
        unit = units.get(line.unit_code)
        if unit is not None and unit.pk == line.product.base_unit_id:
            unit = None
        items.append((line.product, line.quantity, unit))
    return cart_lines_add(dealer_user=dealer_user, items=items)


@transaction.atomic
def cart_add_previously_ordered(*, dealer_user, product_ids) -> list:
    """Add products the dealer ordered before, each with its last quantity and unit, re-priced and re-checked
    now like any add (one refused product does not stop the others). Refuses when none of ``product_ids`` is a
    product this dealer ordered (another dealer's history is never read)."""
    items = last_ordered_items(dealer_user=dealer_user, product_ids=product_ids)
    if not items:
        raise CartRefused(_("Choose products your company ordered before."))
    return cart_lines_add(dealer_user=dealer_user, items=items)
