"""Writes on carts: adding, changing and removing lines, saved lists, reorder."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from orders.exceptions import CartRefused
from orders.models import Cart, CartLine


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
    from catalog.availability import availability_for, quantity_decision
    from catalog.pricing import DealerPricing
    from catalog.selectors import visible_products

    dealer = dealer_user.dealer
    pricing = DealerPricing(dealer)
    if not visible_products(pricing=pricing).filter(pk=product.pk).exists():
        raise CartRefused(_("This product is not available to you."))
    price = pricing.price(product, quantity, unit)
    if not price.exists:
        raise CartRefused(price.message)
    factor = price.unit_factor
    unit_id = unit.pk if unit is not None and unit.pk != product.base_unit_id else None
    cart, _created = Cart.objects.get_or_create(dealer=dealer, owner=dealer_user.user, kind=Cart.Kind.ACTIVE)
    cart = Cart.objects.select_for_update().get(pk=cart.pk)
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
