"""Order status changes: the only code that writes ``Order.status``, along ``orders.status.TRANSITIONS`` —
``order_transition`` for an order that exists, ``order_moves_at_placement`` for the first moves of one being placed."""

from __future__ import annotations

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from catalog.models import StockLevel
from orders.exceptions import InvalidOrderTransition
from orders.hooks import order_approved, order_status_changed
from orders.models import Order, OrderStatusChange, StockReservation
from orders.notifications import order_status_notify
from orders.status import RELEASES_RESERVATION, OrderStatus, can_transition

S = OrderStatus


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
    change = OrderStatusChange.objects.create(
        order=locked, from_status=from_status, to_status=to_status, actor=actor, source=source, reason=reason
    )
    # Whoever must hear of it (approvers, the buyer, staff) is notified in this transaction; e-mails go on commit.
    order_status_notify(order=locked, change=change)
    order_status_changed.send(order=locked, change=change)
    if to_status == S.APPROVED:
        # The outbox row commits with the approval, or neither does: an approved order always reaches the ERP.
        order_approved.send(order=locked)
    order.status = locked.status
    order.updated_at = locked.updated_at
    return order


def order_moves_at_placement(*, order: Order, moves: list[tuple[str, object, str, str]]) -> Order:
    """Record the first moves of an order placement has created in this very transaction — ``moves`` are
    ``(to_status, actor, source, reason)`` from its DRAFT status — and save the order: each move is checked against
    the map like ``order_transition`` does, then the order (with whatever else the caller set on it) is written with
    its final status in one UPDATE, the changes in one INSERT, and whoever must hear of each move is notified and
    the hooks sent, in order, as ``order_transition`` does.

    No other transaction can move the order meanwhile: it is not committed yet (its INSERT holds the row), so
    re-reading it under a lock, as ``order_transition`` does, would learn nothing. A move that releases stock has no
    place here and is refused."""
    from_status = order.status
    changes = []
    for to_status, actor, source, reason in moves:
        if not can_transition(from_status, to_status) or to_status in RELEASES_RESERVATION:
            raise InvalidOrderTransition(order.number, from_status, to_status)
        changes.append(
            OrderStatusChange(
                order=order, from_status=from_status, to_status=to_status, actor=actor, source=source, reason=reason
            )
        )
        from_status = to_status
    order.status = from_status
    order.save()
    OrderStatusChange.objects.bulk_create(changes)
    for change in changes:
        order_status_notify(order=order, change=change)
        order_status_changed.send(order=order, change=change)
        if change.to_status == S.APPROVED:
            order_approved.send(order=order)
    return order


def reservations_release(*, order: Order) -> int:
    """Give back the stock still reserved for ``order``: each open reservation is closed and its warehouse's
    ``reserved_portal`` lowered, stock rows locked in primary-key order like placement does. Returns how many
    reservations were released; running it again releases nothing more."""
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


# From these states on the ERP holds the order: its committed stock figures count it.
ERP_HOLDS = frozenset({S.CONFIRMED, S.IN_FULFILMENT, S.PARTIALLY_SHIPPED, S.SHIPPED, S.INVOICED, S.CLOSED})


def reservations_release_taken_over() -> int:
    """Release the reservations of orders the ERP has taken over: confirmed by the ERP, and every warehouse they
    reserve in has sent stock newer than that confirmation (so the ERP's committed figure now counts the order
    and the portal must stop counting it twice). Returns how many orders were released."""
    confirmed_at = (
        OrderStatusChange.objects.filter(order=OuterRef("order_id"), to_status=S.CONFIRMED)
        .order_by("created_at")
        .values("created_at")[:1]
    )
    feed_as_of = StockLevel.objects.filter(pk=OuterRef("stock_level_id")).values("warehouse__stock_as_of")[:1]
    rows = (
        StockReservation.objects.filter(released_at__isnull=True, order__status__in=ERP_HOLDS)
        .annotate(confirmed_at=Subquery(confirmed_at), feed_as_of=Subquery(feed_as_of))
        .values_list("order_id", "confirmed_at", "feed_as_of")
    )
    ready: dict[int, bool] = {}
    for order_id, confirmed, fed in rows:
        fresh = confirmed is not None and fed is not None and fed > confirmed
        ready[order_id] = ready.get(order_id, True) and fresh
    released = 0
    for order_id in sorted(order_id for order_id, ok in ready.items() if ok):
        released += bool(reservations_release(order=Order(pk=order_id)))
    return released


@transaction.atomic
def order_erp_document_set(*, order: Order, number: str) -> bool:
    """Record the ERP's document number for ``order``. Returns whether it changed; an empty number changes
    nothing (the ERP not saying is not the ERP clearing it)."""
    number = (number or "").strip()[:64]
    if not number:
        return False
    changed = (
        Order.objects.filter(pk=order.pk)
        .exclude(erp_document_number=number)
        .update(erp_document_number=number, updated_at=timezone.now())
    )
    order.erp_document_number = number
    return bool(changed)
