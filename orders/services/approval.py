"""Deciding held orders (staff and the dealer's own approvers) and cancelling by the dealer."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from dealers.models import DealerUser
from orders.exceptions import DecisionRefused
from orders.hooks import order_cancelling
from orders.models import Order, OrderStatusChange
from orders.reasons import reason_rule, reasons_without
from orders.services.transitions import order_transition
from orders.status import FINAL, POINT_OF_NO_RETURN, OrderStatus

S = OrderStatus
STAFF_RULES = {"credit_limit", "stock", "manual_review", "dealer_quarantined", "credit_hold"}


def _after_approval(order: Order) -> str:
    return S.APPROVED if order.payment_method == Order.PaymentMethod.ON_ACCOUNT else S.AWAITING_PAYMENT


def _failed(order: Order, rule: str) -> bool:
    return any(reason_rule(reason) == rule and reason.get("action") == "hold" for reason in order.hold_reasons)


@transaction.atomic
def order_staff_approve(*, order: Order, actor, note: str = "") -> Order:
    """Staff release an order held for review. An order held for credit needs the ``orders.override_credit``
    permission (the override is written in the audit row). Refuses an order that is not on hold."""
    order = Order.objects.select_for_update(of=("self",)).get(pk=order.pk)
    if order.status != S.ON_HOLD:
        raise DecisionRefused(_("Only orders on hold can be approved here."))
    reason = note or _("Approved by staff.")
    if _failed(order, "credit_limit"):
        if not actor.has_perm("orders.override_credit"):
            raise DecisionRefused(_("This order is above the credit limit: approving it needs the credit override."))
        reason = _("Credit override: %(note)s") % {"note": reason}
    return order_transition(
        order=order, to_status=_after_approval(order), actor=actor, source=OrderStatusChange.Source.STAFF, reason=reason
    )


@transaction.atomic
def order_staff_reject(*, order: Order, actor, note: str) -> Order:
    """Staff reject a held order; the reason is required (the dealer sees it). Stock reserved for it is released."""
    order = Order.objects.select_for_update(of=("self",)).get(pk=order.pk)
    if order.status not in (S.ON_HOLD, S.AWAITING_DEALER_APPROVAL):
        raise DecisionRefused(_("Only orders waiting for a decision can be rejected."))
    if not note.strip():
        raise DecisionRefused(_("Say why the order is rejected."))
    return order_transition(
        order=order, to_status=S.REJECTED, actor=actor, source=OrderStatusChange.Source.STAFF, reason=note.strip()
    )


def _check_dealer_approver(order: Order, approver: DealerUser) -> None:
    if approver.dealer_id != order.dealer_id or not approver.can_approve or not approver.is_active:
        raise DecisionRefused(_("You cannot decide on this order."))
    if order.status != S.AWAITING_DEALER_APPROVAL:
        raise DecisionRefused(_("This order is not waiting for your approval."))


@transaction.atomic
def order_dealer_approve(*, order: Order, approver: DealerUser, note: str = "") -> Order:
    """The dealer's approver accepts a buyer's order above the buyer's limit. It then goes on as placement decided:
    to staff when other checks held it, otherwise approved or waiting for payment. An approver with a limit of
    their own cannot approve above it."""
    order = Order.objects.select_for_update(of=("self",)).get(pk=order.pk)
    _check_dealer_approver(order, approver)
    if approver.approval_limit is not None and order.total_gross > approver.approval_limit:
        raise DecisionRefused(_("This order is above your own approval limit."))
    # The approval settles the buyer's limit: only the reasons still true stay, and they say why staff decide next.
    order.hold_reasons = reasons_without(order.hold_reasons, {"buyer_limit"})
    order.save(update_fields=["hold_reasons", "updated_at"])
    staff_holds = [r for r in order.hold_reasons if reason_rule(r) in STAFF_RULES and r.get("action") == "hold"]
    target = S.ON_HOLD if staff_holds else _after_approval(order)
    return order_transition(
        order=order,
        to_status=target,
        actor=approver.user,
        source=OrderStatusChange.Source.DEALER,
        reason=note or _("Approved by the dealer's approver."),
    )


@transaction.atomic
def order_dealer_reject(*, order: Order, approver: DealerUser, note: str) -> Order:
    order = Order.objects.select_for_update(of=("self",)).get(pk=order.pk)
    _check_dealer_approver(order, approver)
    if not note.strip():
        raise DecisionRefused(_("Say why the order is rejected."))
    return order_transition(
        order=order,
        to_status=S.REJECTED,
        actor=approver.user,
        source=OrderStatusChange.Source.DEALER,
        reason=note.strip(),
    )


def can_dealer_cancel(order: Order) -> bool:
    return order.status not in POINT_OF_NO_RETURN and order.status not in FINAL and order.status != S.DRAFT


@transaction.atomic
def order_dealer_cancel(*, order: Order, dealer_user: DealerUser, reason: str = "") -> Order:
    """The dealer cancels before the point of no return. Before the ERP has the order it is simply cancelled; once
    sent or confirmed, a cancellation is queued for the ERP in the same transaction. Refuses from picking on
    (the change must come from the seller) and another dealer's order."""
    order = Order.objects.select_for_update(of=("self",)).get(pk=order.pk)
    if order.dealer_id != dealer_user.dealer_id:
        raise DecisionRefused(_("You cannot cancel this order."))
    if not dealer_user.can_approve and order.placed_by_id != dealer_user.user_id:
        raise DecisionRefused(_("You cannot cancel this order."))
    if not can_dealer_cancel(order):
        raise DecisionRefused(
            _("The seller has started preparing this order; please ask them for a change or cancellation.")
        )
    # The ERP may hold the order already: the cancellation is queued for it in this transaction.
    order_cancelling.send(order=order, reason=reason.strip())
    return order_transition(
        order=order,
        to_status=S.CANCELLED,
        actor=dealer_user.user,
        source=OrderStatusChange.Source.DEALER,
        reason=reason.strip() or _("Cancelled by the dealer."),
    )
