"""Writes on carts and orders, one named service each. Views, admin actions and tasks call these, nothing else
writes an order's status, its lines, stock reservations or carts."""

from orders.services.cart import CartAddResult, cart_line_add
from orders.services.placement import order_place
from orders.services.transitions import order_transition, reservations_release

__all__ = ["CartAddResult", "cart_line_add", "order_place", "order_transition", "reservations_release"]
