"""The open-orders check: portal orders the ERP holds (exported, document number known, not yet closed) against
the ERP's list of open orders, both ways."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.db.models.functions import Greatest
from django.utils.translation import gettext as _

from erpsync.adapters.base import Capability, ErpAdapter, ErpOpenOrder
from erpsync.binders import bindings
from erpsync.drift.options import BATCH, DriftOptions
from erpsync.drift.report import ORDER_NOT_OPEN_IN_ERP, ORDER_OPEN_ONLY_IN_ERP, DriftCheck, money_text
from erpsync.issues import IssueDraft
from erpsync.models import Entity, ErpConnection
from orders.models import Order
from orders.status import OrderStatus


def _portal_states():
    S = OrderStatus
    # Orders the ERP holds and has not finished with. Shipped orders are left out: many ERPs close an order once
    # it is fully delivered and invoice the delivery, so "shipped" may be open or closed there; invoiced likewise.
    open_in_erp = frozenset({S.SENT_TO_ERP, S.CONFIRMED, S.IN_FULFILMENT, S.PARTIALLY_SHIPPED})
    # An order the ERP still holds open while the portal has it in one of these is drift.
    finished = frozenset({S.CLOSED, S.CANCELLED, S.REJECTED})
    return open_in_erp, finished


def check_orders(connection: ErpConnection, adapter: ErpAdapter, options: DriftOptions, now: datetime) -> DriftCheck:
    """Orders open on one side and not on the other. Orders entered in the ERP itself (no portal reference) and
    orders changed within the grace period (the ERP may not have them yet) are not judged."""
    check = DriftCheck("orders", codes=(ORDER_NOT_OPEN_IN_ERP, ORDER_OPEN_ONLY_IN_ERP))
    if not adapter.supports(Capability.OPEN_ORDERS):
        return check.skip(_("The ERP cannot list its open orders."))
    open_in_erp, finished = _portal_states()
    since = now - options.order_grace
    check.details["grace_minutes"] = round(options.order_grace.total_seconds() / 60, 1)
    by_reference, documents = _read_erp_open_orders(adapter, check)
    recent = _check_portal_open(connection, check, by_reference, documents, open_in_erp=open_in_erp, since=since)
    recent += _check_erp_open(check, by_reference, finished=finished, since=since)
    if recent:
        check.details["changed_within_grace"] = recent
    return check


def _read_erp_open_orders(adapter: ErpAdapter, check: DriftCheck) -> tuple[dict[str, ErpOpenOrder], set[str]]:
    """The ERP's open orders by portal reference, and the document numbers of all of them."""
    by_reference: dict[str, ErpOpenOrder] = {}
    documents: set[str] = set()
    erp_open = entered_in_erp = 0
    for erp_order in adapter.open_orders():
        erp_open += 1
        if erp_order.document_number:
            documents.add(erp_order.document_number)
        reference = (erp_order.reference or "").strip()
        if reference:
            by_reference[reference] = erp_order
        else:
            entered_in_erp += 1  # entered in the ERP itself: not the portal's to judge
    check.details.update({"erp_open": erp_open, "entered_in_erp": entered_in_erp})
    return by_reference, documents


def _portal_open_orders(connection: ErpConnection, open_in_erp: frozenset) -> QuerySet:
    """Orders the portal believes this connection's ERP holds open, with when either side last changed them."""
    bound = bindings(Entity.ORDER, connection=connection).filter(local_id=OuterRef("pk"))
    mine = Exists(bound)
    if connection.is_default:
        # Orders go to the default connection; one exported before bindings were kept has none anywhere.
        mine = mine | ~Exists(bindings(Entity.ORDER).filter(local_id=OuterRef("pk")))
    return (
        Order.objects.filter(mine, status__in=open_in_erp)
        .exclude(erp_document_number="")
        .annotate(bound_at=Subquery(bound.values("synced_at")[:1]))
        .annotate(changed_at=Greatest("updated_at", "bound_at"))
        .values_list("pk", "number", "erp_document_number", "status", "changed_at", "updated_at", "dealer__code")
        .order_by("pk")
    )


def _check_portal_open(
    connection: ErpConnection,
    check: DriftCheck,
    by_reference: dict[str, ErpOpenOrder],
    documents: set[str],
    *,
    open_in_erp: frozenset,
    since: datetime,
) -> int:
    """Portal → ERP: an issue per order open in the portal that the ERP does not list as open. Returns how many
    were changed within the grace period and left unjudged."""
    recent = 0
    portal_open = _portal_open_orders(connection, open_in_erp)
    for pk, number, document, status, changed_at, updated_at, dealer_code in portal_open.iterator(chunk_size=BATCH):
        if number in by_reference or document in documents:
            check.compared += 1
            continue
        if (changed_at or updated_at) > since:
            recent += 1
            check.keep.add(number)
            continue
        check.compared += 1
        check.drafts.append(
            IssueDraft(
                entity=Entity.DRIFT,
                code=ORDER_NOT_OPEN_IN_ERP,
                external_id=number,
                local_id=pk,
                message=_(
                    "Order %(number)s (ERP document %(document)s) is %(status)s in the portal, but the ERP does "
                    "not list it among its open orders."
                )
                % {"number": number, "document": document, "status": _status_label(status)},
                payload={
                    "portal_status": status,
                    "erp_state": "not open",
                    "erp_document_number": document,
                    "dealer": dealer_code,
                },
            )
        )
    return recent


def _check_erp_open(
    check: DriftCheck, by_reference: dict[str, ErpOpenOrder], *, finished: frozenset, since: datetime
) -> int:
    """ERP → portal: an issue per order open in the ERP with a reference the portal has closed or does not know.
    Returns how many were changed within the grace period and left unjudged."""
    recent = 0
    references = sorted(by_reference)
    for start in range(0, len(references), BATCH):
        chunk = references[start : start + BATCH]
        known = {
            row[0]: row
            for row in Order.objects.filter(number__in=chunk).values_list("number", "pk", "status", "updated_at")
        }
        for reference in chunk:
            erp_order = by_reference[reference]
            row = known.get(reference)
            if row is None:
                check.compared += 1
                check.drafts.append(_unknown_in_portal_draft(reference, erp_order))
                continue
            _number, pk, status, updated_at = row
            if status not in finished:
                continue  # compared above when the portal holds it open; otherwise not yet in the ERP's hands
            if updated_at > since:
                recent += 1
                check.keep.add(reference)
                continue
            check.compared += 1
            check.drafts.append(
                IssueDraft(
                    entity=Entity.DRIFT,
                    code=ORDER_OPEN_ONLY_IN_ERP,
                    external_id=reference,
                    local_id=pk,
                    message=_("The ERP holds order %(document)s open, but the portal has %(reference)s as %(status)s.")
                    % {"document": erp_order.document_number, "reference": reference, "status": _status_label(status)},
                    payload={**_erp_open_payload(erp_order), "portal_status": status},
                )
            )
    return recent


def _unknown_in_portal_draft(reference: str, erp_order: ErpOpenOrder) -> IssueDraft:
    message = _(
        "The ERP holds order %(document)s of %(customer)s open with the portal reference %(reference)s, "
        "which the portal does not know."
    ) % {"document": erp_order.document_number, "customer": erp_order.customer_code, "reference": reference}
    return IssueDraft(
        entity=Entity.DRIFT,
        code=ORDER_OPEN_ONLY_IN_ERP,
        external_id=reference,
        message=message,
        payload={**_erp_open_payload(erp_order), "portal_status": None},
    )


def _erp_open_payload(erp_order: ErpOpenOrder) -> dict:
    return {
        "erp_document_number": erp_order.document_number,
        "erp_state": "open",
        "customer": erp_order.customer_code,
        "erp_gross": money_text(erp_order.gross) if erp_order.gross is not None else None,
        "currency": erp_order.currency,
    }


def _status_label(status: str) -> str:
    try:
        return str(OrderStatus(status).label)
    except ValueError:
        return status
