"""An order's states and the one map of moves between them.

Only ``orders.services.order_transition`` changes an order's status, and only along ``TRANSITIONS``.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OrderStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    AWAITING_DEALER_APPROVAL = "awaiting_dealer_approval", _("Awaiting dealer approval")
    ON_HOLD = "on_hold", _("On hold")
    APPROVED = "approved", _("Approved")
    AWAITING_PAYMENT = "awaiting_payment", _("Awaiting payment")
    SENT_TO_ERP = "sent_to_erp", _("Sent to ERP")
    CONFIRMED = "confirmed", _("Confirmed by ERP")
    IN_FULFILMENT = "in_fulfilment", _("In fulfilment")
    PARTIALLY_SHIPPED = "partially_shipped", _("Partially shipped")
    SHIPPED = "shipped", _("Shipped")
    INVOICED = "invoiced", _("Invoiced")
    CLOSED = "closed", _("Closed")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


S = OrderStatus

TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.SUBMITTED, S.CANCELLED}),
    S.SUBMITTED: frozenset(
        {S.AWAITING_DEALER_APPROVAL, S.ON_HOLD, S.APPROVED, S.AWAITING_PAYMENT, S.REJECTED, S.CANCELLED}
    ),
    S.AWAITING_DEALER_APPROVAL: frozenset({S.ON_HOLD, S.APPROVED, S.AWAITING_PAYMENT, S.REJECTED, S.CANCELLED}),
    S.ON_HOLD: frozenset({S.APPROVED, S.AWAITING_PAYMENT, S.REJECTED, S.CANCELLED}),
    S.AWAITING_PAYMENT: frozenset({S.APPROVED, S.CANCELLED}),
    S.APPROVED: frozenset({S.SENT_TO_ERP, S.CANCELLED}),
    S.SENT_TO_ERP: frozenset({S.CONFIRMED, S.CANCELLED, S.ON_HOLD}),
    S.CONFIRMED: frozenset({S.IN_FULFILMENT, S.PARTIALLY_SHIPPED, S.SHIPPED, S.INVOICED, S.CANCELLED}),
    S.IN_FULFILMENT: frozenset({S.PARTIALLY_SHIPPED, S.SHIPPED, S.INVOICED}),
    S.PARTIALLY_SHIPPED: frozenset({S.PARTIALLY_SHIPPED, S.SHIPPED, S.INVOICED}),
    S.SHIPPED: frozenset({S.INVOICED, S.CLOSED}),
    S.INVOICED: frozenset({S.CLOSED}),
    S.CLOSED: frozenset(),
    S.REJECTED: frozenset(),
    S.CANCELLED: frozenset(),
}

# Reserved stock is released when an order leaves the portal's hands this way.
RELEASES_RESERVATION = frozenset({S.REJECTED, S.CANCELLED})

# From these states on, the seller has started picking: the dealer can no longer cancel in the portal.
POINT_OF_NO_RETURN = frozenset({S.IN_FULFILMENT, S.PARTIALLY_SHIPPED, S.SHIPPED, S.INVOICED, S.CLOSED})

# Orders that count towards the dealer's credit exposure but are not yet in the ERP's open orders.
NOT_YET_IN_ERP = frozenset(
    {S.SUBMITTED, S.AWAITING_DEALER_APPROVAL, S.ON_HOLD, S.APPROVED, S.AWAITING_PAYMENT, S.SENT_TO_ERP}
)

FINAL = frozenset(state for state, moves in TRANSITIONS.items() if not moves)

# What the dealer reads next to an order they can no longer cancel in the portal: where it stands and what happens
# next, for each state.
STATUS_NOTES: dict[str, str] = {
    S.DRAFT: _("This order has not been placed."),
    S.SUBMITTED: _("The order is being checked before it goes to the seller."),
    S.AWAITING_DEALER_APPROVAL: _("An approver in your company must approve this order before it goes ahead."),
    S.ON_HOLD: _("The seller is reviewing this order before it goes ahead."),
    S.APPROVED: _("The order is approved and on its way to the seller."),
    S.AWAITING_PAYMENT: _("The order goes ahead once its payment is received."),
    S.SENT_TO_ERP: _("The order has been passed to the seller."),
    S.CONFIRMED: _("The seller has confirmed this order: changes or a cancellation must be asked of them."),
    S.IN_FULFILMENT: _("The seller is preparing this order: changes or a cancellation must be asked of them."),
    S.PARTIALLY_SHIPPED: _("Part of this order has been shipped; the rest follows."),
    S.SHIPPED: _("This order has been shipped."),
    S.INVOICED: _("This order has been shipped and invoiced."),
    S.CLOSED: _("This order is complete."),
    S.REJECTED: _("This order was rejected."),
    S.CANCELLED: _("This order was cancelled."),
}


def allowed_next(status: str) -> frozenset[str]:
    return TRANSITIONS.get(status, frozenset())


def can_transition(from_status: str, to_status: str) -> bool:
    return to_status in allowed_next(from_status)
