"""Order status changes: the only code that writes ``Order.status``, along ``orders.status.TRANSITIONS``."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from orders.exceptions import InvalidOrderTransition
from orders.models import Order, OrderStatusChange, StockReservation
from orders.status import RELEASES_RESERVATION, can_transition


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
    locked = Order.objects.select_for_update(of=("self",)).get(pk=order.pk)
    from_status = locked.status
    if not can_transition(from_status, to_status):
        raise InvalidOrderTransition(locked.number, from_status, to_status)
    locked.status = to_status
    locked.save(update_fields=["status", "updated_at"])
    if to_status in RELEASES_RESERVATION:
        reservations_release(order=locked)
    OrderStatusChange.objects.create(
        order=locked, from_status=from_status, to_status=to_status, actor=actor, source=source, reason=reason
    )
    order.status = locked.status
    order.updated_at = locked.updated_at
    return order


def reservations_release(*, order: Order) -> int:
    """Give back the stock still reserved for ``order``: each open reservation is closed and its warehouse's
    ``reserved_portal`` lowered, stock rows locked in primary-key order like placement does. Returns how many
    reservations were released; running it again releases nothing more."""
    from catalog.models import StockLevel

    open_reservations = list(
        StockReservation.objects.select_for_update(of=("self",))
        .filter(order=order, released_at__isnull=True)
        .order_by("pk")
    )
    if not open_reservations:
        return 0
    level_ids = sorted({r.stock_level_id for r in open_reservations})
    levels = {
        level.pk: level
        for level in StockLevel.objects.select_for_update(of=("self",)).filter(pk__in=level_ids).order_by("pk")
    }
    for reservation in open_reservations:
        level = levels[reservation.stock_level_id]
        level.reserved_portal = max(level.reserved_portal - reservation.quantity, 0)
        reservation.released_at = timezone.now()
    StockLevel.objects.bulk_update(levels.values(), ["reserved_portal"])
    StockReservation.objects.bulk_update(open_reservations, ["released_at"])
    return len(open_reservations)
