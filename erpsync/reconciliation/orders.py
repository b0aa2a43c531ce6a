"""The orders report: each order placed in the period against what the ERP made of it (its invoices less its
credit memos, the last status it reported), with why the two differ."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dealers.models import DealerDocument
from erpsync.models import SyncJob
from erpsync.reconciliation.report import (
    CHUNK,
    NOT_IN_ERP_AFTER,
    ZERO,
    Column,
    J,
    Totals,
    chunked,
    differs,
    period_bounds,
)
from orders.models import Order, OrderStatusChange
from orders.status import OrderStatus as S

SHOULD_BE_IN_ERP = frozenset(
    {S.APPROVED, S.SENT_TO_ERP, S.CONFIRMED, S.IN_FULFILMENT, S.PARTIALLY_SHIPPED, S.SHIPPED, S.INVOICED, S.CLOSED}
)
STILL_SHIPPING = frozenset({S.SENT_TO_ERP, S.CONFIRMED, S.IN_FULFILMENT, S.PARTIALLY_SHIPPED, S.SHIPPED})
ENDED = (S.CANCELLED, S.REJECTED)
ORDER_FIELDS = (
    *("pk", "number", "dealer__code", "dealer__title", "erp_document_number", "placed_at", "currency"),
    *("total_gross", "status"),
)


def order_columns(export=None) -> list[Column]:
    return [
        Column(gettext_lazy("Order"), width=16),
        Column(gettext_lazy("Dealer"), width=12),
        Column(gettext_lazy("Dealer title"), width=30),
        Column(gettext_lazy("ERP document"), width=16),
        Column(gettext_lazy("Placed on"), width=12),
        Column(gettext_lazy("ERP invoices"), width=20),
        Column(gettext_lazy("ERP invoice dates"), width=14),
        Column(gettext_lazy("Currency"), width=8),
        Column(gettext_lazy("Portal amount"), money=True),
        Column(gettext_lazy("ERP amount"), money=True),
        Column(gettext_lazy("Portal status"), width=18),
        Column(gettext_lazy("ERP status"), width=18),
        Column(gettext_lazy("Difference"), money=True),
        Column(gettext_lazy("Flag"), width=40),
    ]


def _orders(export):
    start, end = period_bounds(export.period_from, export.period_to)
    orders = Order.objects.filter(placed_at__gte=start, placed_at__lt=end)
    return orders.filter(dealer_id=export.dealer_id) if export.dealer_id else orders


def order_count(export) -> int:
    return _orders(export).count()


@dataclass
class _ErpSide:
    """What the ERP holds for a chunk of orders, by order id: four queries whatever the chunk's size."""

    documents: dict[int, list[tuple]] = field(default_factory=lambda: defaultdict(list))
    status: dict[int, str] = field(default_factory=dict)  # the last one the ERP reported
    export: dict[int, str] = field(default_factory=dict)  # the latest export job's status
    reference: dict[int, str] = field(default_factory=dict)  # the ERP's id from a succeeded export

    @classmethod
    def of(cls, ids: list[int]) -> _ErpSide:
        erp = cls()
        for order_id, kind, number, issued_on, currency, gross in (
            DealerDocument.objects.filter(order_id__in=ids, kind__in=("invoice", "credit_memo"))
            .order_by("issued_on", "pk")
            .values_list("order_id", "kind", "number", "issued_on", "currency", "gross")
        ):
            erp.documents[order_id].append((kind, number, issued_on, currency, gross or ZERO))
        erp.status = dict(
            OrderStatusChange.objects.filter(order_id__in=ids, source=OrderStatusChange.Source.ERP)
            .order_by("created_at", "pk")
            .values_list("order_id", "to_status")
        )
        exports = SyncJob.objects.filter(kind=SyncJob.Kind.ORDER_EXPORT, object_id__in=ids)
        erp.export = dict(exports.order_by("created_at", "pk").values_list("object_id", "status"))
        erp.reference = dict(
            exports.filter(status=J.SUCCEEDED).exclude(external_id="").values_list("object_id", "external_id")
        )
        return erp


@dataclass(frozen=True)
class _Amounts:
    """The ERP's amount for an order and the difference to the portal's, when its documents can be summed."""

    invoices: list[tuple]
    foreign: list[str]  # currencies of the ERP's documents other than the order's
    erp_amount: Decimal | None = None
    difference: Decimal | None = None

    @classmethod
    def of(cls, docs: list[tuple], currency: str, gross: Decimal) -> _Amounts:
        invoices = [d for d in docs if d[0] == "invoice"]
        foreign = sorted({d[3] for d in docs} - {currency})
        if foreign or not docs:
            return cls(invoices, foreign)
        erp_amount = sum((d[4] if d[0] == "invoice" else -d[4] for d in docs), ZERO)
        return cls(invoices, foreign, erp_amount, gross - erp_amount)


def _missing_in_erp(export_status: str | None, placed_at: datetime, now: datetime) -> list[str]:
    """Why an order that should be in the ERP, and has no ERP document, is not there."""
    if export_status == J.DEAD:
        return [_("export failed — needs a human")]
    if export_status == J.CANCELLED:
        return [_("export cancelled — not in the ERP")]
    if placed_at < now - NOT_IN_ERP_AFTER:
        return [_("not in the ERP")]
    return []


def _order_reasons(status, currency, gross, amounts: _Amounts, erp_number, export_status, placed_at, now) -> list[str]:
    """Why the portal's order and the ERP's documents differ; [] when they agree."""
    reasons = []
    if amounts.foreign:
        reasons.append(
            _("ERP documents in %(erp)s, order in %(portal)s") % {"erp": ", ".join(amounts.foreign), "portal": currency}
        )
    if status in ENDED:
        if amounts.invoices:
            reasons.append(_("cancelled in the portal but invoiced in the ERP"))
    elif status in SHOULD_BE_IN_ERP and not erp_number:
        reasons += _missing_in_erp(export_status, placed_at, now)
    if status not in ENDED and amounts.difference is not None and differs(gross, amounts.erp_amount):
        if status in STILL_SHIPPING and amounts.erp_amount < gross:
            reasons.append(_("partly invoiced so far"))
        else:
            reasons.append(_("amounts differ"))
    if status in (S.INVOICED, S.CLOSED) and not amounts.invoices and not amounts.foreign:
        reasons.append(_("invoiced in the portal, no invoice from the ERP"))
    return reasons


def _order_row(order: tuple, erp: _ErpSide, labels: dict[str, str], now: datetime) -> tuple:
    pk, number, code, title, erp_number, placed_at, currency, gross, status = order
    amounts = _Amounts.of(erp.documents.get(pk, []), currency, gross)
    erp_number = erp_number or erp.reference.get(pk, "")
    reasons = _order_reasons(status, currency, gross, amounts, erp_number, erp.export.get(pk), placed_at, now)
    flag = "; ".join(reasons)
    return (
        number,
        code,
        title,
        erp_number,
        timezone.localdate(placed_at),
        ", ".join(d[1] for d in amounts.invoices),
        ", ".join(sorted({d[2].isoformat() for d in amounts.invoices})),
        currency,
        gross,
        amounts.erp_amount,
        labels.get(status, status),
        labels.get(erp.status[pk], erp.status[pk]) if pk in erp.status else "",
        amounts.difference,
        flag,
    )


def order_rows(export, *, now: datetime | None = None) -> Iterator[tuple]:
    """One row per order placed in the period, then the totals. The ERP amount is the gross of the order's
    invoices less its credit memos (documents the ERP linked to the order)."""
    now = now or timezone.now()
    labels = {value: str(label) for value, label in S.choices}
    columns = order_columns()
    totals = Totals(len(columns), [i for i, c in enumerate(columns) if c.money])
    orders = _orders(export).order_by("placed_at", "pk").values_list(*ORDER_FIELDS)
    for chunk in chunked(orders.iterator(chunk_size=CHUNK)):
        erp = _ErpSide.of([order[0] for order in chunk])
        for order in chunk:
            row = _order_row(order, erp, labels, now)
            totals.add(row[7], row, bool(row[-1]))
            yield row
    yield from totals.rows(currency_column=7)
