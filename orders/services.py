"""Writes on orders. An order's status changes only here."""

from __future__ import annotations

from django.db import transaction

from orders.exceptions import InvalidOrderTransition
from orders.models import Order, OrderStatusChange
from orders.status import can_transition


@transaction.atomic
def order_transition(
    *,
    order: Order,
    to_status: str,
    actor=None,
    source: str = OrderStatusChange.Source.SYSTEM,
    reason: str = "",
) -> Order:
    """Move an order to ``to_status`` along the transition map and record who, when, from, to and why.

    Locks the order row first, so two concurrent moves cannot both start from the same status.
    Refuses a move the map does not allow with ``InvalidOrderTransition``; nothing is written then.
    """
    locked = Order.objects.select_for_update().get(pk=order.pk)
    from_status = locked.status
    if not can_transition(from_status, to_status):
        raise InvalidOrderTransition(locked.number, from_status, to_status)
    locked.status = to_status
    locked.save(update_fields=["status", "updated_at"])
    OrderStatusChange.objects.create(
        order=locked, from_status=from_status, to_status=to_status, actor=actor, source=source, reason=reason
    )
    order.status = locked.status
    order.updated_at = locked.updated_at
    return order
