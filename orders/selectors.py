"""Reads of orders, scoped to what a dealer user may see."""

from __future__ import annotations

from django.db.models import QuerySet

from dealers.access import get_scoped_or_404, scoped
from dealers.models import DealerUser
from orders.models import Order


def order_list_for_dealer_user(*, dealer_user: DealerUser) -> QuerySet[Order]:
    """Approvers and dealer admins see all of the dealer's orders; a buyer sees the orders they placed."""
    orders = scoped(Order.objects.exclude(status="draft"), dealer_user).select_related("placed_by")
    if not dealer_user.can_approve:
        orders = orders.filter(placed_by=dealer_user.user_id)
    return orders.order_by("-placed_at", "-id")


def order_get_for_dealer_user(*, dealer_user: DealerUser, number: str) -> Order:
    """One order the dealer user may see, or 404."""
    return get_scoped_or_404(
        order_list_for_dealer_user(dealer_user=dealer_user).prefetch_related("lines", "status_changes__actor"),
        dealer_user,
        number=number,
    )
