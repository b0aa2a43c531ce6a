"""The notifications orders send: its kinds (templates in ``orders/templates/orders/notifications/``) and who is told
of what. ``order_status_notify`` runs inside ``order_transition``, so every status change — placement, the dealer's
approver, staff, the ERP, a payment — is considered in one place, in the transaction of the change;
``documents_notify`` is called by the ERP's document import for new delivery notes and invoices.

Who is told:

- waiting for the dealer's approval → the dealer's active approvers and admins whose own limit covers the order
  (not the buyer who placed it);
- approved after a decision (staff or the dealer's approver), held after placement, rejected, cancelled by someone
  else → the buyer who placed it (at placement itself the confirmation e-mail says the outcome);
- on hold for review → staff with ``orders.change_order``, as one digest of the held orders not yet notified;
- shipped (a delivery note, with carrier and tracking) and invoiced (an invoice) → the buyer of the order, or the
  dealer's admins when the ERP's document names no portal order.

Rejected and cancelled are mandatory (the order will not be delivered); the others can be switched off.
"""

from __future__ import annotations

from datetime import timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealers.models import DealerDocument, DealerUser
from notifications.kinds import STAFF, Kind, register
from notifications.services import notify, staff_with_permission
from orders.hooks import document_issued
from orders.models import Order, OrderStatusChange
from orders.status import OrderStatus

S = OrderStatus
DECIDED_FROM = frozenset({S.ON_HOLD, S.AWAITING_DEALER_APPROVAL})
HELD_STAFF_PERMISSION = "orders.change_order"
# Documents issued longer ago than this are history (a first import of the ERP's archive): nobody is told of them.
DOCUMENT_NOTICE_DAYS = 7


def _order_context(params: dict) -> dict:
    order = Order.objects.select_related("dealer", "placed_by").filter(pk=params.get("order_id")).first()
    return {**params, "order": order}


def _document_context(params: dict) -> dict:
    document = DealerDocument.objects.select_related("dealer", "order").filter(pk=params.get("document_id")).first()
    return {**params, "document": document, "order": document.order if document else None}


def _kind(key: str, label, *, mandatory: bool = False, **extra) -> Kind:
    return register(
        Kind(
            key=key,
            label=label,
            template=f"orders/notifications/{key}",
            mandatory=mandatory,
            context=extra.pop("context", _order_context),
            **extra,
        )
    )


AWAITING_APPROVAL = _kind("order_awaiting_approval", _("An order waits for my approval"))
APPROVED = _kind("order_approved", _("My order was approved"))
HELD = _kind("order_held", _("My order was put on hold"))
REJECTED = _kind("order_rejected", _("My order was rejected"), mandatory=True)
CANCELLED = _kind("order_cancelled", _("My order was cancelled"), mandatory=True)
SHIPPED = _kind("order_shipped", _("My order was shipped (with tracking)"), context=_document_context)
INVOICED = _kind("order_invoiced", _("An invoice was issued"), context=_document_context)
HELD_STAFF = _kind(
    "order_held_staff",
    _("Orders on hold for review (digest)"),
    digest=True,
    audience=STAFF,
    description=_("One e-mail every few minutes listing the orders newly put on hold."),
)


def _order_url(order: Order) -> str:
    return reverse("orders:order_detail", args=[order.number])


def _approvers(order: Order):
    users = (
        DealerUser.objects.filter(
            dealer_id=order.dealer_id,
            is_active=True,
            role__in=(DealerUser.Role.APPROVER, DealerUser.Role.ADMIN),
            user__is_active=True,
        )
        .filter(Q(approval_limit__isnull=True) | Q(approval_limit__gte=order.total_gross))
        .exclude(user_id=order.placed_by_id)
        .select_related("user")
        .order_by("pk")
    )
    return [dealer_user.user for dealer_user in users]


def order_status_notify(*, order: Order, change: OrderStatusChange) -> None:
    """Notify whoever must hear of ``change`` (see the module's docstring); called by ``order_transition``. Moves
    nobody hears of (submitted, sent to the ERP, confirmed…) cost no query."""
    to, came_from = change.to_status, change.from_status
    buyer_kind = None
    if to in (S.APPROVED, S.AWAITING_PAYMENT) and came_from in DECIDED_FROM:
        buyer_kind = APPROVED
    elif to == S.REJECTED:
        buyer_kind = REJECTED
    elif to == S.CANCELLED and (order.placed_by_id is None or change.actor_id != order.placed_by_id):
        buyer_kind = CANCELLED
    elif to == S.ON_HOLD and came_from != S.SUBMITTED:
        buyer_kind = HELD  # at placement the confirmation e-mail says the order is on hold
    if buyer_kind is None and to not in (S.AWAITING_DEALER_APPROVAL, S.ON_HOLD):
        return
    event = str(change.pk)
    params = {"order_id": order.pk, "reason": change.reason, "status": to}
    if buyer_kind is not None and order.placed_by_id:
        notify(buyer_kind.key, event=event, recipients=[order.placed_by], params=params, url=_order_url(order))
    if to == S.AWAITING_DEALER_APPROVAL:
        notify(AWAITING_APPROVAL.key, event=event, recipients=_approvers(order), params=params, url=_order_url(order))
    if to == S.ON_HOLD:
        notify(
            HELD_STAFF.key,
            event=event,
            recipients=staff_with_permission(HELD_STAFF_PERMISSION),
            params=params,
            url=reverse("admin:orders_order_change", args=[order.pk]),
        )


def documents_notify(documents) -> int:
    """Notify of new delivery notes (shipped, with tracking) and invoices issued in the last
    ``DOCUMENT_NOTICE_DAYS`` days. A delivery note whose tracking number arrives later is notified again with it
    (the event is the document and its tracking number); an invoice is notified once. Returns how many documents
    were notified."""
    notified = 0
    oldest = timezone.localdate() - timedelta(days=DOCUMENT_NOTICE_DAYS)
    for document in documents:
        if document.issued_on is None or document.issued_on < oldest:
            continue
        if document.kind == DealerDocument.Kind.DELIVERY:
            kind, event = SHIPPED, f"{document.pk}:{document.tracking_number}"
        elif document.kind == DealerDocument.Kind.INVOICE:
            kind, event = INVOICED, str(document.pk)
        else:
            continue
        order = Order.objects.select_related("placed_by").filter(pk=document.order_id).first()
        if order is not None and order.placed_by_id:
            recipients, url = [order.placed_by], _order_url(order)
        else:
            admins = DealerUser.objects.filter(
                dealer_id=document.dealer_id, is_active=True, role=DealerUser.Role.ADMIN
            ).select_related("user")
            recipients, url = [a.user for a in admins], reverse("dealers:document_list")
        notify(kind.key, event=event, recipients=recipients, params={"document_id": document.pk}, url=url)
        document_issued.send(document=document, kind="shipped" if kind is SHIPPED else "invoiced", event=event)
        notified += 1
    return notified
