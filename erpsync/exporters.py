"""Exporters: turn an outbox job into the ERP's document, exactly once.

Each exporter re-checks that the work is still wanted (an order cancelled before it left is not exported), builds
the plain record, and, when the adapter can look documents up by reference, asks the ERP first: a document
already carrying the reference (an earlier attempt that timed out after the ERP applied it, a worker killed
after the call) is bound instead of created again. It returns the ERP's document id.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from b2bportal.languages import portal_language
from dealers.models import Dealer, DealerAddress
from dealers.services import dealer_address_erp_code_set
from erpsync.adapters.base import (
    Capability,
    ErpAdapter,
    ErpAddress,
    ErpCancel,
    ErpCreditMemo,
    ErpNewCustomer,
    ErpOrder,
    ErpOrderLine,
    ErpOrderState,
    ErpPayment,
    ErpQuote,
    ErpShipTo,
    OutcomeUnknownError,
    PermanentError,
)
from erpsync.binders import BindingConflict, bind, to_external, to_external_many
from erpsync.enqueue import outbox_enqueue
from erpsync.models import SyncJob, ValueMap
from orders.models import Order, QuoteStatus, QuoteVersion
from orders.services.quotes import quote_erp_document_set
from orders.services.transitions import order_erp_document_set, order_transition
from orders.status import OrderStatus as S


class ExportSkipped(Exception):
    """The job is no longer needed (e.g. the order was cancelled before it left); it ends as cancelled."""


def _external_code(connection, entity: str, local_id: int, natural: str) -> str:
    """The ERP's code for a portal record: the binder's, else the portal's own code."""
    return to_external(connection, entity, local_id) or natural


def _erp_value(connection, kind: str, local: str) -> str:
    """The ERP's code for a portal value (the value map read backwards), else the portal value."""
    row = ValueMap.objects.filter(connection=connection, kind=kind, local_value=local).first()
    return row.external_value if row else local


def _bind(connection, entity: str, local_id: int, external_id: str) -> None:
    # The ERP's latest answer for the record wins (a document it filed again under a new id).
    bind(connection, entity, local_id, external_id, rebind_internal=True)


def _lookup_first(adapter: ErpAdapter, lookup, reference: str, create):
    """Bind the ERP's existing document for ``reference`` or create it; a document an earlier attempt left
    unfinished (``complete`` false) goes to ``create`` again, which finishes it. Without a lookup, an
    outcome-unknown failure cannot be resolved safely: it becomes permanent, for a human to check the ERP."""
    try:
        existing = lookup(reference)
        can_look_up = True
    except NotImplementedError:
        existing, can_look_up = None, False
    if existing is not None and getattr(existing, "complete", True):
        return existing
    try:
        return create()
    except OutcomeUnknownError as exc:
        if can_look_up:
            raise
        raise PermanentError(
            _("The ERP may or may not have %(ref)s (%(error)s); this ERP cannot be asked, please check it by hand.")
            % {"ref": reference, "error": exc.message}
        ) from exc


def _list_price_and_discount(steps) -> tuple[Decimal | None, Decimal]:
    """From an order line's price explanation: the net list price per unit and the dealer's discount percentage,
    when a percentage agreement priced the line in the list's own currency. Otherwise (fixed agreement price,
    converted currency, plain list price) there is no discount to show: (None, 0)."""
    kinds = [step.get("kind") for step in steps or ()]
    if "agreement_discount" not in kinds or "currency" in kinds:
        return None, Decimal(0)
    at = kinds.index("agreement_discount")
    try:
        list_price = Decimal(steps[at - 1]["amount"]) if at > 0 else None
        discounted = Decimal(steps[at]["amount"])
    except (KeyError, ArithmeticError, TypeError):
        return None, Decimal(0)
    if not list_price or list_price <= 0 or discounted > list_price:
        return None, Decimal(0)
    percent = ((1 - discounted / list_price) * 100).quantize(Decimal("0.01"))
    return list_price, percent


def order_record(order, connection) -> ErpOrder:
    """The ERP's view of an approved order: customer and item codes through the binder, units through the value
    map, prices net per unit as the dealer agreed them. Two queries for the lines, whatever their number."""
    order_lines = list(order.lines.order_by("line_no"))
    item_codes = to_external_many(connection, "product", [line.product_id for line in order_lines])
    unit_codes = dict(
        ValueMap.objects.filter(connection=connection, kind=ValueMap.Kind.UNIT).values_list(
            "local_value", "external_value"
        )
    )
    lines = []
    for line in order_lines:
        list_price, discount = _list_price_and_discount(line.price_explanation)
        lines.append(
            ErpOrderLine(
                line_no=line.line_no,
                product_code=item_codes.get(line.product_id, line.sku),
                quantity=line.quantity,
                unit=unit_codes.get(line.unit_code, line.unit_code),
                unit_price=line.unit_price_net,
                vat_rate=line.vat_rate,
                currency=order.currency,
                description=line.name,
                list_price=list_price,
                discount_percent=discount,
            )
        )
    address = order.delivery_address
    return ErpOrder(
        reference=order.number,
        customer_code=_external_code(connection, "customer", order.dealer_id, order.dealer.code),
        ordered_on=timezone.localdate(order.placed_at) if order.placed_at else timezone.localdate(),
        currency=_erp_value(connection, ValueMap.Kind.CURRENCY, order.currency),
        payment_method=_erp_value(connection, ValueMap.Kind.PAYMENT_METHOD, order.payment_method),
        lines=tuple(lines),
        net=order.total_net,
        vat=order.total_vat,
        gross=order.total_gross,
        po_number=order.po_number,
        requested_on=order.requested_delivery_date,
        delivery_address_code=address.code if address else "",
        delivery_address=order.delivery_address_text,
        note=order.note,
        # On-account orders reach the ERP unpaid; card and transfer orders are approved only once paid.
        paid=order.payment_method != order.PaymentMethod.ON_ACCOUNT,
        sales_rep_code=order.dealer.sales_rep.code if order.dealer.sales_rep else "",
    )


def export_order(*, adapter: ErpAdapter, job: SyncJob) -> str:

    order = Order.objects.select_related("dealer__sales_rep", "delivery_address").filter(pk=job.object_id).first()
    if order is None:
        raise PermanentError(_("The order no longer exists in the portal."))
    if order.status in (S.CANCELLED, S.REJECTED):
        return _withdrawn(adapter=adapter, job=job, order=order)
    if order.status not in (S.APPROVED, S.SENT_TO_ERP) and not order.erp_document_number:
        raise PermanentError(_("The order is %(status)s, not approved.") % {"status": order.get_status_display()})
    record = order_record(order, job.connection)
    ack = _lookup_first(adapter, adapter.order_lookup, order.number, lambda: adapter.order_push(record))
    _bind(job.connection, "order", order.pk, ack.document_id)
    order_erp_document_set(order=order, number=ack.document_number)
    order.refresh_from_db(fields=["status"])
    if order.status == S.APPROVED:
        with portal_language():  # the dealer reads it, whoever drained the outbox
            reason = _("Received by the ERP as %(doc)s.") % {"doc": ack.document_number or ack.document_id}
        order_transition(order=order, to_status=S.SENT_TO_ERP, source="erp", reason=reason)
    return ack.document_id


def _withdrawn(*, adapter: ErpAdapter, job: SyncJob, order) -> str:
    """The order was cancelled while its export was under way. An earlier attempt may have reached the ERP: when
    the ERP has the order it is bound and its cancellation queued (it runs after this job); when it has not, the
    export ends here. An ERP that cannot be asked, after an attempt that may have reached it, needs a human."""

    gone = _("The order was %(status)s before it reached the ERP.") % {"status": order.get_status_display()}
    try:
        found = adapter.order_lookup(order.number)
    except NotImplementedError:
        if job.attempts > 1:
            raise PermanentError(
                _("The order was cancelled after an export attempt; check by hand whether the ERP has %(ref)s.")
                % {"ref": order.number}
            ) from None
        raise ExportSkipped(gone) from None
    if found is None:
        raise ExportSkipped(gone)
    _bind(job.connection, "order", order.pk, found.document_id)
    order_erp_document_set(order=order, number=found.document_number)
    outbox_enqueue(
        kind=SyncJob.Kind.ORDER_CANCEL,
        identity_key=f"order:{order.number}",
        object_id=order.pk,
        payload={"number": order.number, "erp_document_number": found.document_number, "reason": ""},
    )
    return found.document_id


def export_cancellation(*, adapter: ErpAdapter, job: SyncJob) -> str:
    number = job.payload.get("number") or job.identity_key.removeprefix("order:")
    bound = to_external(job.connection, "order", job.object_id)
    if bound is None and adapter.supports(Capability.ORDER_LOOKUP):  # bound by an earlier export, or ask
        found = adapter.order_lookup(number)
        if found is None:
            raise ExportSkipped(_("The ERP never received this order: nothing to cancel."))
        document_id = found.document_id
    else:
        document_id = bound or ""
    ack = adapter.order_cancel(
        ErpCancel(reference=number, document_id=document_id, reason=job.payload.get("reason", ""))
    )
    return ack.document_id


def quote_record(quote, version, connection) -> ErpQuote:
    """The ERP's view of a quote version as sent: codes through the binder and value maps like an order's, the
    quoted net unit prices, totals, validity and terms."""
    lines = list(version.lines.select_related("product").order_by("line_no"))
    item_codes = to_external_many(connection, "product", [line.product_id for line in lines])
    unit_codes = dict(
        ValueMap.objects.filter(connection=connection, kind=ValueMap.Kind.UNIT).values_list(
            "local_value", "external_value"
        )
    )
    currency = _erp_value(connection, ValueMap.Kind.CURRENCY, quote.currency)
    return ErpQuote(
        reference=quote_reference(quote.number, version.number),
        customer_code=_external_code(connection, "customer", quote.dealer_id, quote.dealer.code),
        quoted_on=timezone.localdate(version.sent_at),
        valid_until=version.valid_until,
        currency=currency,
        lines=tuple(
            ErpOrderLine(
                line_no=line.line_no,
                product_code=item_codes.get(line.product_id, line.product.sku),
                quantity=line.quantity,
                unit=unit_codes.get(line.unit_code, line.unit_code),
                unit_price=line.quoted_price_net,
                vat_rate=line.vat_rate,
                currency=currency,
                description=line.product.name,
            )
            for line in lines
        ),
        net=version.total_net,
        vat=version.total_vat,
        gross=version.total_gross,
        terms=version.terms,
        note=quote.note,
    )


def quote_reference(number: str, version: int) -> str:
    """The ERP-side key of a quote version: its number and version (``Q2026-000012-2``)."""
    return f"{number}-{version}"


def export_quote(*, adapter: ErpAdapter, job: SyncJob) -> str:
    """A sent quote version as the ERP's quote document, looked up by its reference before it is created. A quote
    cancelled before its export ran is not exported."""
    version = (
        QuoteVersion.objects.select_related("quote__dealer")
        .filter(quote_id=job.object_id, number=job.payload.get("version"), sent_at__isnull=False)
        .first()
    )
    if version is None:
        raise PermanentError(_("The quote version is not in the portal or was never sent."))
    quote = version.quote
    if quote.status == QuoteStatus.CANCELLED:
        raise ExportSkipped(_("The quote was cancelled before it reached the ERP."))
    record = quote_record(quote, version, job.connection)
    ack = _lookup_first(adapter, adapter.quote_lookup, record.reference, lambda: adapter.quote_push(record))
    _bind(job.connection, "quote", quote.pk, ack.document_id)
    quote_erp_document_set(quote=quote, number=ack.document_number or ack.document_id)
    _supersede(adapter, quote, version, record.reference)
    return ack.document_id


def _supersede(adapter: ErpAdapter, quote, version, reference: str) -> None:
    """One quote, one open quote document in the ERP: the documents of the versions sent before ``version`` are
    cancelled there once the new one is in (each stays in the ERP's history under its own number). Run again after
    a failure, it finds them cancelled and does nothing more."""
    earlier = quote.versions.filter(number__lt=version.number, sent_at__isnull=False).order_by("number")
    for number in earlier.values_list("number", flat=True):
        old = quote_reference(quote.number, number)
        found = adapter.quote_lookup(old)
        if found is None or found.state != ErpOrderState.OPEN:
            continue
        with portal_language():
            reason = _("Replaced by %(reference)s.") % {"reference": reference}
        adapter.quote_cancel(ErpCancel(reference=old, document_id=found.document_id, reason=reason))


def export_quote_cancellation(*, adapter: ErpAdapter, job: SyncJob) -> str:
    """Cancel the ERP's quote document of the quote's last exported version; nothing to do when the ERP never
    received it."""
    reference = job.payload.get("reference", "")
    found = adapter.quote_lookup(reference)
    if found is None:
        raise ExportSkipped(_("The ERP never received this quote: nothing to cancel."))
    ack = adapter.quote_cancel(
        ErpCancel(reference=reference, document_id=found.document_id, reason=job.payload.get("reason", ""))
    )
    return ack.document_id


def _amount(payload: dict, key: str) -> Decimal:
    try:
        return Decimal(str(payload[key]))
    except (KeyError, ArithmeticError):
        raise PermanentError(_("The job has no valid %(key)s.") % {"key": key}) from None


def _customer(job: SyncJob) -> str:

    dealer = Dealer.objects.filter(pk=job.payload.get("dealer_id")).first()
    if dealer is None:
        raise PermanentError(_("The dealer of this job is not in the portal."))
    return _external_code(job.connection, "customer", dealer.pk, dealer.code)


def _invoice_numbers(payload: dict) -> tuple[str, ...]:
    numbers = payload.get("invoice_numbers") or ([payload["invoice_number"]] if payload.get("invoice_number") else [])
    if isinstance(numbers, str) or not all(isinstance(n, (str, int)) for n in numbers):
        raise PermanentError(_("The job's invoice numbers are not a list of numbers."))
    return tuple(str(n) for n in numbers)


def export_payment(*, adapter: ErpAdapter, job: SyncJob) -> str:
    """A collection on the dealer's account. The payload is written by the payments service that confirmed it."""
    p = job.payload
    record = ErpPayment(
        reference=p.get("reference") or job.identity_key,
        customer_code=_customer(job),
        amount=_amount(p, "amount"),
        currency=_erp_value(job.connection, ValueMap.Kind.CURRENCY, p.get("currency", "TRY")),
        received_on=date.fromisoformat(p["received_on"]) if p.get("received_on") else timezone.localdate(),
        method=_erp_value(job.connection, ValueMap.Kind.PAYMENT_METHOD, p.get("method", "")),
        description=p.get("description", ""),
        order_reference=p.get("order_number", ""),
        invoice_numbers=_invoice_numbers(p),
    )
    ack = _lookup_first(adapter, adapter.payment_lookup, record.reference, lambda: adapter.payment_push(record))
    return ack.document_id


def export_refund(*, adapter: ErpAdapter, job: SyncJob) -> str:
    """A refund as a credit memo linked to the invoice it corrects."""
    p = job.payload
    record = ErpCreditMemo(
        reference=p.get("reference") or job.identity_key,
        customer_code=_customer(job),
        amount=_amount(p, "amount"),
        currency=_erp_value(job.connection, ValueMap.Kind.CURRENCY, p.get("currency", "TRY")),
        issued_on=date.fromisoformat(p["issued_on"]) if p.get("issued_on") else timezone.localdate(),
        invoice_number=p.get("invoice_number", ""),
        order_reference=p.get("order_number", ""),
        reason=p.get("reason", ""),
    )
    ack = _lookup_first(adapter, adapter.credit_memo_lookup, record.reference, lambda: adapter.credit_memo_push(record))
    return ack.document_id


def ship_to_record(address: DealerAddress, connection) -> ErpShipTo:
    """The ERP's view of an approved delivery address: the dealer's customer code through the binder, the address's
    own lines. The name is the key ERPs file ship-to addresses under (SAP: 50 characters)."""
    return ErpShipTo(
        reference=f"ship-to-{address.pk}",
        customer_code=_external_code(connection, "customer", address.dealer_id, address.dealer.code),
        name=address.name[:50],
        line1=address.line1,
        line2=address.line2,
        district=address.district,
        city=address.city,
        postal_code=address.postal_code,
        country=address.country,
        phone=address.phone,
    )


def export_ship_to(*, adapter: ErpAdapter, job: SyncJob) -> str:
    """An approved delivery address as a ship-to address of the dealer in the ERP: looked up by the dealer and the
    address's name first (an earlier attempt the ERP applied is bound, not created twice), then the ERP's code is
    stored on the address. An address no longer approved, or already carrying an ERP code, is not exported."""
    address = DealerAddress.objects.select_related("dealer").filter(pk=job.object_id).first()
    if address is None:
        raise PermanentError(_("The address no longer exists in the portal."))
    if address.status != DealerAddress.Status.APPROVED:
        raise ExportSkipped(_("The address is not approved."))
    if address.code:
        raise ExportSkipped(_("The address already has the ERP code %(code)s.") % {"code": address.code})
    record = ship_to_record(address, job.connection)
    existing = adapter.ship_to_lookup(record)
    ack = existing if existing is not None else adapter.ship_to_push(record)
    try:
        dealer_address_erp_code_set(address_id=address.pk, code=ack.document_id)
    except ValidationError as exc:
        raise PermanentError(" ".join(exc.messages)) from exc
    _bind(job.connection, "address", address.pk, f"{record.customer_code}/{ack.document_id}")
    return ack.document_id


def customer_record(dealer: Dealer, connection) -> ErpNewCustomer:
    """The ERP's view of a confirmed dealer as a new customer account: its code, title and tax figures, currency
    through the value map, payment terms and sales rep by their codes, and its default billing address (any active
    approved address when it has none marked billing)."""
    addresses = dealer.addresses.filter(is_active=True, status=DealerAddress.Status.APPROVED)
    billing = addresses.order_by(
        # billing before shipping, the default first
        models.Case(models.When(kind=DealerAddress.Kind.BILLING, then=0), default=1),
        "-is_default",
        "pk",
    ).first()
    address = None
    if billing is not None:
        address = ErpAddress(
            code=billing.code or "",
            name=billing.name,
            line1=billing.line1,
            city=billing.city,
            kind=billing.kind,
            line2=billing.line2,
            district=billing.district,
            postal_code=billing.postal_code,
            country=billing.country,
            phone=billing.phone,
            is_default=True,
        )
    return ErpNewCustomer(
        reference=f"dealer:{dealer.pk}",
        code=dealer.code,
        title=dealer.title,
        tax_number=dealer.tax_number,
        tax_office=dealer.tax_office,
        email=dealer.email,
        phone=dealer.phone,
        currency=_erp_value(connection, ValueMap.Kind.CURRENCY, dealer.currency),
        payment_terms_code=dealer.payment_terms.code if dealer.payment_terms else "",
        sales_rep_code=dealer.sales_rep.code if dealer.sales_rep else "",
        address=address,
    )


def export_customer(*, adapter: ErpAdapter, job: SyncJob) -> str:
    """A dealer staff confirmed, as a new customer account in the ERP: the ERP is asked for the dealer's code first
    (an account an earlier attempt left there, or one the ERP's users keyed in meanwhile, is bound, not created
    again; after an answer that never came the outbox asks again), then the ERP's code is bound to the dealer. A
    dealer no longer active, or already bound to an ERP account, is not exported."""
    dealer = Dealer.objects.select_related("payment_terms", "sales_rep").filter(pk=job.object_id).first()
    if dealer is None:
        raise PermanentError(_("The dealer no longer exists in the portal."))
    if dealer.status != Dealer.Status.ACTIVE:
        raise ExportSkipped(_("The dealer is not active."))
    bound = to_external(job.connection, "customer", dealer.pk)
    if bound is not None:
        raise ExportSkipped(_("The dealer is bound to the ERP's customer %(code)s already.") % {"code": bound})
    record = customer_record(dealer, job.connection)
    ack = _lookup_first(adapter, adapter.customer_lookup, record.code, lambda: adapter.customer_push(record))
    try:
        bind(job.connection, "customer", dealer.pk, ack.document_id)
    except BindingConflict as exc:
        raise PermanentError(
            _("The ERP's customer %(code)s belongs to another dealer in the portal: %(error)s")
            % {"code": ack.document_id, "error": exc}
        ) from exc
    return ack.document_id


EXPORTERS = {
    SyncJob.Kind.ORDER_EXPORT: export_order,
    SyncJob.Kind.ORDER_CANCEL: export_cancellation,
    SyncJob.Kind.PAYMENT_EXPORT: export_payment,
    SyncJob.Kind.REFUND_EXPORT: export_refund,
    SyncJob.Kind.QUOTE_EXPORT: export_quote,
    SyncJob.Kind.QUOTE_CANCEL: export_quote_cancellation,
    SyncJob.Kind.SHIP_TO_EXPORT: export_ship_to,
    SyncJob.Kind.CUSTOMER_EXPORT: export_customer,
}
