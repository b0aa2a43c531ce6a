"""Writes on carts and orders, one named service each. Views, admin actions and tasks call these, nothing else
writes an order's status, its lines, stock reservations or carts."""

from orders.services.approval import (
    can_dealer_cancel,
    order_dealer_approve,
    order_dealer_cancel,
    order_dealer_reject,
    order_staff_approve,
    order_staff_reject,
)
from orders.services.cart import CartAddResult, cart_line_add
from orders.services.placement import order_place
from orders.services.transitions import order_transition, reservations_release

__all__ = [
    "CartAddResult",
    "can_dealer_cancel",
    "cart_line_add",
    "order_dealer_approve",
    "order_dealer_cancel",
    "order_dealer_reject",
    "order_place",
    "order_staff_approve",
    "order_staff_reject",
    "order_transition",
    "reservations_release",
]
