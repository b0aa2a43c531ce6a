"""Importers for what the ERP says about orders: their status, and the delivery notes, invoices and credit memos
it issued. Volumes are small (documents of a day), so records go through the order transition service one by one:
every status change of an order is checked against the transition map and audited with source "ERP".
"""

from __future__ import annotations

from collections import deque
from decimal import Decimal

from django.utils.translation import gettext as _

from b2bportal.languages import portal_language
from catalog.models import Product
from dealers.models import Dealer, DealerDocument, DealerDocumentLine
from erpsync.adapters.base import ErpDocument, ErpDocumentLine, ErpOrderState, ErpOrderStatus
from erpsync.binders import to_internal_many
from erpsync.importers.engine import ImportContext
from erpsync.importers.staged import ZERO, RecordRejected, number, text
from erpsync.models import ValueMap
from orders.models import Order, OrderLine, OrderStatusChange
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


LINE_FIELDS = (
    "line_no",
    "item_code",
    "product_id",
    "description",
    "quantity",
    "unit",
    "unit_price",
    "discount_percent",
    "vat_rate",
    "line_net",
    "line_vat",
    "order_line_id",
)
MAX_LINES = 5000
HUNDRED = Decimal(100)


class DocumentImporter:
    """Delivery notes, invoices and credit memos onto the dealer (and the order when the ERP carried its number),
    with their lines when the ERP sends them. A document of an unknown customer is refused; one naming an unknown
    order is kept without the link. A document with a line that does not hold up (a number out of range, another
    currency, a text too long, two lines with one number) is refused whole: neither it nor any of its lines is
    written, and it waits in the exception queue. Lines sent again replace the document's lines; the same lines
    sent again change nothing."""

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
        lookups = _LineLookups(ctx, records, orders)
        existing = {
            (d.kind, d.number): d
            for d in DealerDocument.objects.filter(kind=self.entity, number__in={r.number for r in records})
        }
        current_lines = _lines_of([d.pk for d in existing.values()])
        create, update, relined = [], [], {}
        for record in records:
            try:
                values = self._values(ctx, record, dealers, orders)
                lines = None if record.lines is None else _line_values(ctx, record, values, lookups)
            except RecordRejected as exc:
                ctx.reject(key=f"{self.entity}:{record.number}", code=exc.code, message=exc.message, payload=record)
                continue
            current = existing.get((self.entity, values["number"]))
            lines_changed = lines is not None and (current is None or current_lines.get(current.pk, []) != lines)
            if current is None:
                document = DealerDocument(kind=self.entity, as_of=ctx.now, **values)
                create.append(document)
                existing[(self.entity, document.number)] = document
                if lines:
                    relined[document.number] = (document, lines)
            elif any(getattr(current, f) != values[f] for f in DOCUMENT_FIELDS) or lines_changed:
                for f in DOCUMENT_FIELDS:
                    setattr(current, f, values[f])
                current.as_of = ctx.now
                if current not in update:
                    update.append(current)
                if lines_changed:
                    relined[current.number] = (current, lines)
                    current_lines[current.pk] = lines
            else:
                ctx.counts.unchanged += 1
        DealerDocument.objects.bulk_create(create)
        DealerDocument.objects.bulk_update(update, [*DOCUMENT_FIELDS, "as_of", "updated_at"])
        _lines_replace(relined.values())
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


class _LineLookups:
    """What the lines of a batch of documents refer to, loaded once per batch: products by the ERP's item code
    (the binder's, else the portal SKU) and the order lines of the orders the documents name."""

    def __init__(self, ctx: ImportContext, records: list[ErpDocument], orders: dict[str, int]):
        codes = {line.product_code for r in records for line in r.lines or () if line.product_code}
        self.products = dict(Product.objects.filter(sku__in=codes).values_list("sku", "id")) if codes else {}
        if codes:
            self.products.update(to_internal_many(ctx.connection, "product", codes))
        order_ids = {orders[r.order_reference] for r in records if r.lines and r.order_reference in orders}
        self.order_lines = (
            {
                (order_id, line_no): pk
                for pk, order_id, line_no in OrderLine.objects.filter(order_id__in=order_ids).values_list(
                    "id", "order_id", "line_no"
                )
            }
            if order_ids
            else {}
        )


def _line_values(ctx: ImportContext, record: ErpDocument, document: dict, lookups: _LineLookups) -> list[dict]:
    """The validated values of the document's lines, in line order; ``RecordRejected`` naming the first line that
    does not hold up."""
    if len(record.lines) > MAX_LINES:
        raise RecordRejected("too_many_lines", _("The document has more than %(max)s lines.") % {"max": MAX_LINES})
    values, seen = [], set()
    for line in record.lines:
        try:
            row = _line(ctx, line, document, lookups)
        except RecordRejected as exc:
            raise RecordRejected(
                exc.code, _("Line %(line)s: %(message)s") % {"line": line.line_no, "message": exc.message}
            ) from None
        if row["line_no"] in seen:
            raise RecordRejected("duplicate_line", _("Line %(line)s appears twice.") % {"line": row["line_no"]})
        seen.add(row["line_no"])
        values.append(row)
    return sorted(values, key=lambda row: row["line_no"])


def _line(ctx: ImportContext, line: ErpDocumentLine, document: dict, lookups: _LineLookups) -> dict:
    if not isinstance(line.line_no, int) or isinstance(line.line_no, bool) or not 0 <= line.line_no < 2**31:
        raise RecordRejected("invalid_number", _("the line number is not a whole number from 0."))
    if line.currency:
        currency = ctx.map(ValueMap.Kind.CURRENCY, line.currency)
        if currency != document["currency"]:
            raise RecordRejected(
                "currency_mismatch",
                _("the line is in %(line)s, the document in %(document)s.")
                % {"line": currency, "document": document["currency"]},
            )
    code = text(line.product_code, 64, "item code")
    unit = text(ctx.map(ValueMap.Kind.UNIT, line.unit) if line.unit else "", 32, "unit")
    order_line = None
    if line.order_line_no is not None and document["order_id"] is not None:
        order_line = lookups.order_lines.get((document["order_id"], line.order_line_no))
    return {
        "line_no": line.line_no,
        "item_code": code,
        "product_id": lookups.products.get(code) if code else None,
        "description": text(line.description, 255, "description"),
        "quantity": number(line.quantity, "quantity", minimum=ZERO, places=3),
        "unit": unit,
        "unit_price": number(line.unit_price, "unit price", places=4),
        "discount_percent": _percent(line.discount_percent, "discount"),
        "vat_rate": _percent(line.vat_rate, "VAT rate"),
        "line_net": _money(line.net, "net"),
        "line_vat": _money(line.vat, "vat"),
        "order_line_id": order_line,
    }


def _percent(value, field: str) -> Decimal | None:
    value = number(value, field, minimum=ZERO, places=2)
    if value is not None and value > HUNDRED:
        raise RecordRejected(
            "value_too_large", _("%(field)s is above 100: %(value)s.") % {"field": field, "value": value}
        )
    return value


def _lines_of(document_ids: list[int]) -> dict[int, list[dict]]:
    """The stored lines of the documents, as the importer builds them, to tell whether the ERP changed any."""
    lines: dict[int, list[dict]] = {}
    if not document_ids:
        return lines
    for row in (
        DealerDocumentLine.objects.filter(document_id__in=document_ids)
        .order_by("document_id", "line_no")
        .values("document_id", *LINE_FIELDS)
    ):
        lines.setdefault(row.pop("document_id"), []).append(row)
    return lines


def _lines_replace(documents) -> None:
    """The documents' lines become the given ones: the old ones deleted, the new ones written, in the import's
    transaction (a failure leaves the old ones)."""
    documents = list(documents)
    if not documents:
        return
    DealerDocumentLine.objects.filter(document__in=[document for document, _lines in documents]).delete()
    DealerDocumentLine.objects.bulk_create(
        DealerDocumentLine(document=document, **row) for document, lines in documents for row in lines
    )


def _money(value, field: str) -> Decimal | None:
    return number(value, field, places=2)
