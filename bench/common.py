"""Helpers shared by the benchmarks that place orders and report latencies (Django set up by the caller)."""

from __future__ import annotations

import math


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def fill_cart(buyer, lines) -> str:
    """Empty the buyer's active cart, add ``lines`` (product, quantity) and return the signature the buyer
    confirms at checkout."""
    from orders.models import Cart, CartLine
    from orders.pricing import cart_priced
    from orders.services import cart_line_add

    CartLine.objects.filter(cart__owner=buyer.user, cart__kind=Cart.Kind.ACTIVE).delete()
    for product, quantity in lines:
        cart_line_add(dealer_user=buyer, product=product, quantity=quantity)
    cart = Cart.objects.get(owner=buyer.user, kind=Cart.Kind.ACTIVE)
    return cart_priced(dealer=buyer.dealer, cart=cart).signature
