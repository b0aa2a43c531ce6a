"""Importers for what the ERP says about orders: their status, and the delivery notes, invoices and credit memos
it issued. Volumes are small (documents of a day), so records go through the order transition service one by one:
every status change of an order is checked against the transition map and audited with source "ERP".
"""

from __future__ import annotations

from collections import deque
from decimal import Decimal

from django.utils.translation import gettext as _

from b2bportal.languages import portal_language
from dealers.models import Dealer, DealerDocument
from erpsync.adapters.base import ErpDocument, ErpOrderState, ErpOrderStatus
from erpsync.binders import to_internal_many
from erpsync.importers.engine import ImportContext
from erpsync.importers.staged import RecordRejected, number, text
from erpsync.models import ValueMap
from orders.models import Order, OrderStatusChange
from orders.notifications import documents_notify
from orders.services.transitions import order_erp_document_set, order_transition
from orders.status import TRANSITIONS, OrderStatus

S = OrderStatus

STATE_TO_STATUS = {
    ErpOrderState.OPEN: S.CONFIRMED,
    ErpOrderState.ALLOCATED: S.IN_FULFILMENT,
    ErpOrderState.PARTIALLY_SHIPPED: S.PARTIALLY_SHIPPED,
    ErpOrderState.SHIPPED: S.SHIPPED,
    ErpOrderState.INVOICED: S.INVOICED,
    ErpOrderState.CLOSED: S.CLOSED,
    ErpOrderState.CANCELLED: S.CANCELLED,
}
# The ERP moves an order forward; these detours are the portal's, never a step on the way to an ERP state.
NOT_ON_THE_WAY = frozenset({S.ON_HOLD, S.REJECTED, S.CANCELLED, S.AWAITING_PAYMENT, S.AWAITING_DEALER_APPROVAL})


def path_to(current: str, target: str) -> list[str] | None:
    """The shortest walk along the transition map from ``current`` to ``target`` (empty when already there),
    or None when the map has none: an older status arriving after a newer one."""
    if current == target:
        return []
    queue, seen = deque([(current, [])]), {current}
    while queue:
        state, walk = queue.popleft()
        for nxt in sorted(TRANSITIONS.get(state, ())):
            if nxt in seen or (nxt in NOT_ON_THE_WAY and nxt != target):
                continue
            if nxt == target:
                return [*walk, nxt]
            seen.add(nxt)
            queue.append((nxt, [*walk, nxt]))
    return None


class OrderStatusImporter:
    entity = "order_status"

    def apply(self, ctx: ImportContext) -> None:
        for record in ctx.tick(ctx.feed.records):
            record: ErpOrderStatus
            order = Order.objects.filter(number=record.reference).first()
            if order is None:
                ctx.reject(
                    key=record.reference,
                    code="unknown_order",
                    message=_("The ERP reports on order %(ref)s, which the portal does not know.")
                    % {"ref": record.reference},
                    payload=record,
                )
                continue
            target = STATE_TO_STATUS.get(ErpOrderState(record.state))
            walk = path_to(order.status, target)
            changed = order_erp_document_set(order=order, number=record.document_number)
            if walk is None:
                if target in TRANSITIONS.get(order.status, ()) or order.status in (S.CANCELLED, S.REJECTED):
                    ctx.reject(
                        key=record.reference,
                        code="status_conflict",
                        message=_("The ERP says %(state)s but the order is %(status)s in the portal.")
                        % {"state": record.state, "status": order.get_status_display()},
                        payload=record,
                    )
                else:
                    ctx.counts.unchanged += 1  # an older report arriving after a newer one
                continue
            for status in walk:
                with portal_language():  # the dealer reads it, whoever ran the import
                    reason = record.note or _("Reported by the ERP.")
                order_transition(order=order, to_status=status, source=OrderStatusChange.Source.ERP, reason=reason)
            if walk or changed:
                ctx.counts.updated += 1
            else:
                ctx.counts.unchanged += 1


DOCUMENT_FIELDS = (
    "dealer_id",
    "order_id",
    "issued_on",
    "due_on",
    "currency",
    "net",
    "vat",
    "gross",
    "carrier",
    "tracking_number",
    "tracking_url",
    "e_invoice_uuid",
    "related_number",
)


class DocumentImporter:
    """Delivery notes, invoices and credit memos onto the dealer (and the order when the ERP carried its number).
    A document of an unknown customer is refused; one naming an unknown order is kept without the link."""

    def __init__(self, entity: str):
        self.entity = entity

    def apply(self, ctx: ImportContext) -> None:
        batch: list[ErpDocument] = []
        for record in ctx.tick(ctx.feed.records):
            batch.append(record)
            if len(batch) >= 500:
                self._land(ctx, batch)
                batch = []
        if batch:
            self._land(ctx, batch)

    def _land(self, ctx: ImportContext, records: list[ErpDocument]) -> None:
        customers = {r.customer_code for r in records}
        dealers = dict(Dealer.objects.filter(code__in=customers).values_list("code", "id"))
        dealers.update(to_internal_many(ctx.connection, "customer", customers))
        orders = dict(
            Order.objects.filter(number__in={r.order_reference for r in records if r.order_reference}).values_list(
                "number", "id"
            )
        )
        existing = {
            (d.kind, d.number): d
            for d in DealerDocument.objects.filter(kind=self.entity, number__in={r.number for r in records})
        }
        create, update = [], []
        for record in records:
            try:
                values = self._values(ctx, record, dealers, orders)
            except RecordRejected as exc:
                ctx.reject(key=f"{self.entity}:{record.number}", code=exc.code, message=exc.message, payload=record)
                continue
            current = existing.get((self.entity, values["number"]))
            if current is None:
                document = DealerDocument(kind=self.entity, as_of=ctx.now, **values)
                create.append(document)
                existing[(self.entity, document.number)] = document
            elif any(getattr(current, f) != values[f] for f in DOCUMENT_FIELDS):
                for f in DOCUMENT_FIELDS:
                    setattr(current, f, values[f])
                current.as_of = ctx.now
                update.append(current)
            else:
                ctx.counts.unchanged += 1
        DealerDocument.objects.bulk_create(create)
        DealerDocument.objects.bulk_update(update, [*DOCUMENT_FIELDS, "as_of", "updated_at"])
        # New delivery notes and invoices (and a tracking number arriving late) tell the buyer; once each.
        documents_notify([*create, *update])
        ctx.counts.created += len(create)
        ctx.counts.updated += len(update)

    def _values(self, ctx, record: ErpDocument, dealers, orders) -> dict:
        dealer_id = dealers.get(record.customer_code)
        if dealer_id is None:
            raise RecordRejected(
                "unknown_customer", _("Customer %(c)s is not in the portal.") % {"c": record.customer_code}
            )
        currency = ctx.map(ValueMap.Kind.CURRENCY, record.currency or "TRY")
        carrier = ctx.map(ValueMap.Kind.CARRIER, record.carrier) if record.carrier else ""
        url = text(record.tracking_url, 500, "tracking link")
        if url and not url.startswith(("https://", "http://")):
            raise RecordRejected("invalid_url", _("The tracking link is not a web address."))
        return {
            "number": text(record.number, 64, "number", required=True),
            "dealer_id": dealer_id,
            "order_id": orders.get(record.order_reference),
            "issued_on": record.issued_on,
            "due_on": record.due_on,
            "currency": text(currency, 3, "currency"),
            "net": _money(record.net, "net"),
            "vat": _money(record.vat, "vat"),
            "gross": _money(record.gross, "gross"),
            "carrier": text(carrier, 64, "carrier"),
            "tracking_number": text(record.tracking_number, 128, "tracking number"),
            "tracking_url": url,
            "e_invoice_uuid": text(record.e_invoice_uuid, 64, "e-invoice id"),
            "related_number": text(record.related_number, 64, "related document"),
        }


def _money(value, field: str) -> Decimal | None:
    return number(value, field, places=2)
