"""Reconciliation exports for accountants: the portal's figures next to the ERP's, row by row, with why they differ.

Three reports, each a header and a generator of rows; the last column of every row is its flag ("" or the
reason the two sides differ), and one bold totals row per currency closes the file:

- orders placed in the period: the portal's total against the ERP's invoices less its credit memos for the order,
  the portal's status against the last status the ERP reported;
- payments whose money arrived in the period: card payments (by confirmation) and incoming bank transfers (by value
  date) against the collections the outbox posted to the ERP (``SyncJob`` of kind payment export: ``payment:<ref>``
  for a card payment, ``bank:<transaction>:<n>`` for a transfer) less the refunds posted as credit memos;
- balances, as of now: each dealer's ERP balance against the sum of the account movements the ERP sent.

Rows are read with ``iterator`` in chunks, and what a chunk needs from other tables is fetched with one query per
chunk, so memory stays flat whatever the number of rows. ``reconciliation_export_run`` (a django-q2 task) writes
the file with ``b2bportal.spreadsheets`` and records progress on the export.
"""

from __future__ import annotations

import itertools
import logging
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from b2bportal.spreadsheets import SummaryRow, csv_write, xlsx_write
from erpsync.models import ReconciliationExport, SyncJob

log = logging.getLogger(__name__)

CHUNK = 2000
PROGRESS_EVERY = 5000
TOLERANCE = Decimal("0.01")
ZERO = Decimal(0)
# An approved order the ERP has not acknowledged after this long is reported as not in the ERP.
NOT_IN_ERP_AFTER = timedelta(days=1)

J = SyncJob.Status
UNFINISHED_JOB = frozenset({J.PENDING, J.RUNNING, J.RETRYING})


class TotalRow(SummaryRow):
    """A totals row (one per currency, after the data rows): bold in XLSX, not counted as data."""

    __slots__ = ()


@dataclass(frozen=True)
class Column:
    label: str | Promise
    money: bool = False
    width: int = 14


@dataclass(frozen=True)
class Report:
    """What a report is made of: its columns, how many data rows it will have, and the rows."""

    title: str | Promise  # the XLSX sheet's name: at most 31 characters, no colon
    columns: Callable[[ReconciliationExport], Sequence[Column]]
    count: Callable[[ReconciliationExport], int]
    rows: Callable[[ReconciliationExport], Iterator[tuple]]

    def money_columns(self, export: ReconciliationExport) -> list[int]:
        return [i for i, column in enumerate(self.columns(export)) if column.money]


def chunked(iterable: Iterable, size: int = CHUNK) -> Iterator[list]:
    iterator = iter(iterable)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def period_bounds(period_from: date, period_to: date) -> tuple[datetime, datetime]:
    """The period as aware datetimes in the portal's time zone: from the first day's midnight up to (not
    including) the midnight after the last day."""
    start = timezone.make_aware(datetime.combine(period_from, time.min))
    end = timezone.make_aware(datetime.combine(period_to + timedelta(days=1), time.min))
    return start, end


def _amount(payload: dict) -> Decimal:
    try:
        return Decimal(str(payload.get("amount", "0")))
    except (InvalidOperation, ValueError):
        return ZERO


def _differs(a: Decimal, b: Decimal) -> bool:
    return abs(a - b) > TOLERANCE


class _Totals:
    """Sums per currency of the money columns, and how many rows and flagged rows went into them."""

    def __init__(self, width: int, money: Sequence[int]):
        self.width, self.money = width, list(money)
        self.sums: dict[str, list[Decimal]] = {}
        self.counts: dict[str, list[int]] = {}

    def add(self, currency: str, row: Sequence, flagged: bool) -> None:
        sums = self.sums.setdefault(currency, [ZERO] * len(self.money))
        counts = self.counts.setdefault(currency, [0, 0])
        for i, index in enumerate(self.money):
            if row[index] is not None:
                sums[i] += row[index]
        counts[0] += 1
        counts[1] += flagged

    def rows(self, currency_column: int) -> Iterator[TotalRow]:
        for currency in sorted(self.sums):
            row: list = [None] * self.width
            rows, flagged = self.counts[currency]
            row[0] = _("Total: %(count)s rows") % {"count": rows}
            row[currency_column] = currency
            for i, index in enumerate(self.money):
                row[index] = self.sums[currency][i]
            row[-1] = _("%(count)s differ") % {"count": flagged} if flagged else ""
            yield TotalRow(row)


def _job_status_labels() -> dict[str, str]:
    return {value: str(label) for value, label in SyncJob.Status.choices}


def _collection_flags(jobs: list[tuple[str, str, str, Decimal]], expected: Decimal, received: Decimal) -> list[str]:
    """Why a payment's collections (``(status, external id, reference, amount)`` each) do not match what the
    ERP should have received; [] when they do."""
    if expected <= 0 and not jobs:
        return []
    statuses = {status for status, *_rest in jobs}
    if not jobs:
        return [_("not posted to the ERP")]
    reasons = []
    if J.DEAD in statuses:
        reasons.append(_("export failed — needs a human"))
    if J.SUCCEEDED not in statuses:
        if statuses & UNFINISHED_JOB:
            reasons.append(_("waiting to be posted to the ERP"))
        elif statuses == {J.CANCELLED}:
            reasons.append(_("export cancelled — not posted to the ERP"))
    elif _differs(expected, received):
        reasons.append(_("amounts differ"))
    return reasons


# --- Orders ---------------------------------------------------------------------------------------------------------


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
    from orders.models import Order

    start, end = period_bounds(export.period_from, export.period_to)
    orders = Order.objects.filter(placed_at__gte=start, placed_at__lt=end)
    return orders.filter(dealer_id=export.dealer_id) if export.dealer_id else orders


def order_count(export) -> int:
    return _orders(export).count()


def order_rows(export, *, now: datetime | None = None) -> Iterator[tuple]:
    """One row per order placed in the period, then the totals. The ERP amount is the gross of the order's
    invoices less its credit memos (documents the ERP linked to the order)."""
    from dealers.models import DealerDocument
    from orders.models import OrderStatusChange
    from orders.status import OrderStatus as S

    now = now or timezone.now()
    should_be_in_erp = {S.APPROVED, S.SENT_TO_ERP, S.CONFIRMED, S.IN_FULFILMENT, S.PARTIALLY_SHIPPED, S.SHIPPED,
                        S.INVOICED, S.CLOSED}  # fmt: skip
    still_shipping = {S.SENT_TO_ERP, S.CONFIRMED, S.IN_FULFILMENT, S.PARTIALLY_SHIPPED, S.SHIPPED}
    labels = {value: str(label) for value, label in S.choices}
    columns = order_columns()
    totals = _Totals(len(columns), [i for i, c in enumerate(columns) if c.money])
    rows = (
        _orders(export)
        .order_by("placed_at", "pk")
        .values_list(
            *("pk", "number", "dealer__code", "dealer__title", "erp_document_number", "placed_at", "currency"),
            *("total_gross", "status"),
        )
    )
    for chunk in chunked(rows.iterator(chunk_size=CHUNK)):
        ids = [row[0] for row in chunk]
        documents: dict[int, list[tuple]] = defaultdict(list)
        for order_id, kind, number, issued_on, currency, gross in (
            DealerDocument.objects.filter(order_id__in=ids, kind__in=("invoice", "credit_memo"))
            .order_by("issued_on", "pk")
            .values_list("order_id", "kind", "number", "issued_on", "currency", "gross")
        ):
            documents[order_id].append((kind, number, issued_on, currency, gross or ZERO))
        erp_status = dict(
            OrderStatusChange.objects.filter(order_id__in=ids, source=OrderStatusChange.Source.ERP)
            .order_by("created_at", "pk")
            .values_list("order_id", "to_status")
        )  # the last one the ERP reported wins
        exports = dict(
            SyncJob.objects.filter(kind=SyncJob.Kind.ORDER_EXPORT, object_id__in=ids)
            .order_by("created_at", "pk")
            .values_list("object_id", "status")
        )
        refs = dict(
            SyncJob.objects.filter(kind=SyncJob.Kind.ORDER_EXPORT, object_id__in=ids, status=J.SUCCEEDED)
            .exclude(external_id="")
            .values_list("object_id", "external_id")
        )
        for pk, number, code, title, erp_number, placed_at, currency, gross, status in chunk:
            docs = documents.get(pk, [])
            invoices = [d for d in docs if d[0] == "invoice"]
            foreign = sorted({d[3] for d in docs} - {currency})
            reasons = []
            erp_amount = difference = None
            if foreign:
                reasons.append(
                    _("ERP documents in %(erp)s, order in %(portal)s") % {"erp": ", ".join(foreign), "portal": currency}
                )
            elif docs:
                erp_amount = sum((d[4] if d[0] == "invoice" else -d[4] for d in docs), ZERO)
                difference = gross - erp_amount
            erp_number = erp_number or refs.get(pk, "")
            if status in (S.CANCELLED, S.REJECTED):
                if invoices:
                    reasons.append(_("cancelled in the portal but invoiced in the ERP"))
            elif status in should_be_in_erp and not erp_number:
                export_status = exports.get(pk)
                if export_status == J.DEAD:
                    reasons.append(_("export failed — needs a human"))
                elif export_status == J.CANCELLED:
                    reasons.append(_("export cancelled — not in the ERP"))
                elif placed_at < now - NOT_IN_ERP_AFTER:
                    reasons.append(_("not in the ERP"))
            if status not in (S.CANCELLED, S.REJECTED) and difference is not None and _differs(gross, erp_amount):
                if status in still_shipping and erp_amount < gross:
                    reasons.append(_("partly invoiced so far"))
                else:
                    reasons.append(_("amounts differ"))
            if status in (S.INVOICED, S.CLOSED) and not invoices and not foreign:
                reasons.append(_("invoiced in the portal, no invoice from the ERP"))
            flag = "; ".join(reasons)
            row = (
                number,
                code,
                title,
                erp_number,
                timezone.localdate(placed_at),
                ", ".join(d[1] for d in invoices),
                ", ".join(sorted({d[2].isoformat() for d in invoices})),
                currency,
                gross,
                erp_amount,
                labels.get(status, status),
                labels.get(erp_status[pk], erp_status[pk]) if pk in erp_status else "",
                difference,
                flag,
            )
            totals.add(currency, row, bool(flag))
            yield row
    yield from totals.rows(currency_column=7)


# --- Payments -------------------------------------------------------------------------------------------------------


def payment_columns(export=None) -> list[Column]:
    return [
        Column(gettext_lazy("Kind"), width=14),
        Column(gettext_lazy("Date"), width=12),
        Column(gettext_lazy("Dealer"), width=12),
        Column(gettext_lazy("Dealer title"), width=30),
        Column(gettext_lazy("Portal reference"), width=38),
        Column(gettext_lazy("Provider reference"), width=20),
        Column(gettext_lazy("Bank transaction"), width=20),
        Column(gettext_lazy("Order"), width=16),
        Column(gettext_lazy("ERP collection"), width=20),
        Column(gettext_lazy("Collection status"), width=18),
        Column(gettext_lazy("Currency"), width=8),
        Column(gettext_lazy("Amount"), money=True),
        Column(gettext_lazy("Refunded"), money=True),
        Column(gettext_lazy("Commission"), money=True),
        Column(gettext_lazy("Expected in the ERP"), money=True),
        Column(gettext_lazy("ERP received"), money=True),
        Column(gettext_lazy("Difference"), money=True),
        Column(gettext_lazy("Flag"), width=40),
    ]


SETTLED_PAYMENTS = ("succeeded", "partially_refunded", "refunded")


def _card_payments(export):
    from payments.models import Payment

    start, end = period_bounds(export.period_from, export.period_to)
    payments = Payment.objects.filter(status__in=SETTLED_PAYMENTS, confirmed_at__gte=start, confirmed_at__lt=end)
    return payments.filter(dealer_id=export.dealer_id) if export.dealer_id else payments


def _transfers(export):
    from payments.models import Allocation, BankTransaction

    transfers = (
        BankTransaction.objects.filter(amount__gt=0)
        .exclude(status=BankTransaction.Status.IGNORED)
        .annotate(day=Coalesce("value_date", "booking_date"))
        .filter(day__gte=export.period_from, day__lte=export.period_to)
    )
    if export.dealer_id:
        mine = Allocation.objects.filter(bank_transaction_id=OuterRef("pk"), dealer_id=export.dealer_id)
        transfers = transfers.filter(Exists(mine))
    return transfers


def payment_count(export) -> int:
    return _card_payments(export).count() + _transfers(export).count()


def payment_rows(export) -> Iterator[tuple]:
    """Card payments confirmed in the period, then incoming bank transfers with a value date in it, then the
    totals. "ERP received" is what the collections posted to the ERP add up to, less the refunds posted as
    credit memos."""
    columns = payment_columns()
    totals = _Totals(len(columns), [i for i, c in enumerate(columns) if c.money])
    for row in itertools.chain(_card_rows(export), _transfer_rows(export)):
        totals.add(row[10], row, bool(row[-1]))
        yield row
    yield from totals.rows(currency_column=10)


def _card_rows(export) -> Iterator[tuple]:
    from payments.models import Payment

    methods = {value: str(label) for value, label in Payment.Method.choices}
    statuses = _job_status_labels()
    payments = (
        _card_payments(export)
        .order_by("confirmed_at", "pk")
        .values_list("pk", "reference", "method", "confirmed_at", "dealer__code", "dealer__title",
                     "provider_payment_id", "order__number", "currency", "amount", "refunded_amount", "commission")
    )  # fmt: skip
    for chunk in chunked(payments.iterator(chunk_size=CHUNK)):
        collections: dict[int, list] = defaultdict(list)
        refunds: dict[int, list] = defaultdict(list)
        keys = {f"payment:{row[1]}": row[0] for row in chunk}
        for object_id, kind, key, status, external_id, payload in (
            SyncJob.objects.filter(
                kind__in=(SyncJob.Kind.PAYMENT_EXPORT, SyncJob.Kind.REFUND_EXPORT), object_id__in=list(keys.values())
            )
            .order_by("created_at", "pk")
            .values_list("object_id", "kind", "identity_key", "status", "external_id", "payload")
        ):
            entry = (status, external_id, (payload or {}).get("reference", ""), _amount(payload or {}))
            if kind == SyncJob.Kind.REFUND_EXPORT:
                refunds[object_id].append(entry)
            elif keys.get(key) == object_id:  # a transfer's collection may carry the same object id
                collections[object_id].append(entry)
        for row in chunk:
            pk, reference, method, confirmed_at, code, title, provider_id, order, currency, amount, refunded, fee = row
            jobs, memos = collections.get(pk, []), refunds.get(pk, [])
            posted = sum((a for s, _e, _r, a in jobs if s == J.SUCCEEDED), ZERO)
            refunds_posted = sum((a for s, _e, _r, a in memos if s == J.SUCCEEDED), ZERO)
            expected, received = amount - refunded, posted - refunds_posted
            reasons = _collection_flags(jobs, amount, posted)
            if _differs(refunded, refunds_posted):
                if any(s == J.DEAD for s, *_rest in memos):
                    reasons.append(_("refund export failed — needs a human"))
                elif refunded > refunds_posted:
                    reasons.append(_("refund not posted to the ERP"))
                else:
                    reasons.append(_("refunds differ"))
            yield (
                methods.get(method, method),
                timezone.localdate(confirmed_at),
                code,
                title,
                str(reference),
                provider_id or "",
                "",
                order or "",
                ", ".join(e for _s, e, _r, _a in jobs if e),
                ", ".join(statuses.get(s, s) for s, *_rest in jobs),
                currency,
                amount,
                refunded,
                fee,
                expected,
                received,
                expected - received,
                "; ".join(reasons),
            )


def _transfer_rows(export) -> Iterator[tuple]:
    from dealers.models import Dealer
    from payments.models import Allocation, BankTransaction, Payment

    kind = str(Payment.Method.BANK_TRANSFER.label)
    statuses = _job_status_labels()
    transfers = (
        _transfers(export)
        .order_by("day", "pk")
        .values_list("pk", "day", "bank_reference", "currency", "amount", "status", "counterparty_name")
    )
    for chunk in chunked(transfers.iterator(chunk_size=CHUNK)):
        ids = [row[0] for row in chunk]
        allocations: dict[int, list] = defaultdict(list)
        for tx_id, dealer_id, amount, order in Allocation.objects.filter(bank_transaction_id__in=ids).values_list(
            "bank_transaction_id", "dealer_id", "amount", "order__number"
        ):
            allocations[tx_id].append((dealer_id, amount, order))
        dealer_ids = {dealer_id for parts in allocations.values() for dealer_id, _a, _o in parts}
        dealers = {pk: (code, title) for pk, code, title in Dealer.objects.filter(pk__in=dealer_ids).values_list(
            "pk", "code", "title")}  # fmt: skip
        collections: dict[int, list] = defaultdict(list)
        for object_id, status, external_id, payload in (
            SyncJob.objects.filter(kind=SyncJob.Kind.PAYMENT_EXPORT, object_id__in=ids)
            .filter(identity_key__startswith="bank:")
            .order_by("created_at", "pk")
            .values_list("object_id", "status", "external_id", "payload")
        ):
            payload = payload or {}
            collections[object_id].append((status, external_id, payload.get("reference", ""), _amount(payload)))
        for pk, day, bank_reference, currency, amount, status, counterparty in chunk:
            parts, jobs = allocations.get(pk, []), collections.get(pk, [])
            allocated = sum((a for _d, a, _o in parts), ZERO)
            received = sum((a for s, _e, _r, a in jobs if s == J.SUCCEEDED), ZERO)
            named = [dealers[d] for d in dict.fromkeys(d for d, _a, _o in parts) if d in dealers]
            reasons = []
            if not parts:
                reasons.append(_("not allocated to a dealer"))
            elif status == BankTransaction.Status.PARTIALLY_ALLOCATED:
                reasons.append(_("only partly allocated"))
            reasons += _collection_flags(jobs, allocated, received)
            yield (
                kind,
                day,
                ", ".join(code for code, _t in named),
                ", ".join(title for _c, title in named) or counterparty,
                f"BNK-{pk}",
                "",
                bank_reference or f"#{pk}",
                ", ".join(dict.fromkeys(o for _d, _a, o in parts if o)),
                ", ".join(e for _s, e, _r, _a in jobs if e),
                ", ".join(statuses.get(s, s) for s, *_rest in jobs),
                currency,
                amount,
                None,
                None,
                allocated,
                received,
                allocated - received,
                "; ".join(reasons),
            )


# --- Balances -------------------------------------------------------------------------------------------------------


def balance_columns(export=None) -> list[Column]:
    when = timezone.localtime(getattr(export, "started_at", None) or timezone.now())
    return [
        Column(gettext_lazy("Dealer"), width=12),
        Column(gettext_lazy("Dealer title"), width=30),
        Column(gettext_lazy("Currency"), width=8),
        Column(gettext_lazy("ERP balance"), money=True),
        Column(gettext_lazy("Balance as of"), width=18),
        Column(_("Sum of movements, as of %(when)s") % {"when": when.strftime("%Y-%m-%d %H:%M")}, money=True),
        Column(gettext_lazy("Movements"), width=10),
        Column(gettext_lazy("Movements as of"), width=18),
        Column(gettext_lazy("Difference"), money=True),
        Column(gettext_lazy("Flag"), width=40),
    ]


def _dealers(export):
    from dealers.models import Dealer

    dealers = Dealer.objects.all()
    return dealers.filter(pk=export.dealer_id) if export.dealer_id else dealers


def balance_count(export) -> int:
    return _dealers(export).count()


def balance_rows(export) -> Iterator[tuple]:
    """One row per dealer, as things stand now (the period does not apply), then the totals. Positive amounts:
    the dealer owes. Movements in another currency than the dealer's are left out of the sum and flagged."""
    from dealers.models import AccountEntry

    columns = balance_columns(export)
    totals = _Totals(len(columns), [i for i, c in enumerate(columns) if c.money])
    unsynced, disagree = _("no movements synced"), _("ERP balance and movements disagree")
    dealers = (
        _dealers(export)
        .order_by("code", "pk")
        .values_list("pk", "code", "title", "currency", "erp_balance", "erp_balance_as_of", "ledger_as_of")
    )
    for chunk in chunked(dealers.iterator(chunk_size=CHUNK)):
        sums: dict[int, dict[str, tuple[Decimal, int]]] = defaultdict(dict)
        for dealer_id, currency, total, count in (
            AccountEntry.objects.filter(dealer_id__in=[row[0] for row in chunk])
            .order_by()
            .values("dealer_id", "currency")
            .annotate(total=Sum("amount"), count=Count("pk"))
            .values_list("dealer_id", "currency", "total", "count")
        ):
            sums[dealer_id][currency] = (total, count)
        for pk, code, title, currency, balance, balance_as_of, ledger_as_of in chunk:
            mine = sums.get(pk, {})
            movements, count = mine.get(currency, (ZERO, 0))
            others = sorted(c for c in mine if c != currency)
            difference = balance - movements
            reasons = []
            if _differs(balance, movements):
                reasons.append(disagree if mine else unsynced)
            if others:
                reasons.append(_("movements in another currency: %(currencies)s") % {"currencies": ", ".join(others)})
            row = (code, title, currency, balance, balance_as_of, movements, count, ledger_as_of, difference,
                   "; ".join(reasons))  # fmt: skip
            totals.add(currency, row, bool(row[-1]))
            yield row
    yield from totals.rows(currency_column=2)


REPORTS: dict[str, Report] = {
    ReconciliationExport.Report.ORDERS: Report(gettext_lazy("Orders"), order_columns, order_count, order_rows),
    ReconciliationExport.Report.PAYMENTS: Report(
        gettext_lazy("Payments"), payment_columns, payment_count, payment_rows
    ),
    ReconciliationExport.Report.BALANCES: Report(
        gettext_lazy("Balances"), balance_columns, balance_count, balance_rows
    ),
}


# --- Writing the file -----------------------------------------------------------------------------------------------


class _Progress:
    """Passes the rows through, counting data rows and flagged ones, and records the count on the export every
    ``every`` rows (an UPDATE the admin's list reads)."""

    def __init__(self, export_id: int | None, every: int = PROGRESS_EVERY):
        self.export_id, self.every = export_id, every
        self.done = self.flagged = 0

    def __call__(self, rows: Iterable[Sequence]) -> Iterator[Sequence]:
        for row in rows:
            if not isinstance(row, TotalRow):
                self.done += 1
                self.flagged += bool(row[-1])
                if self.export_id and self.done % self.every == 0:
                    ReconciliationExport.objects.filter(pk=self.export_id).update(
                        rows_done=self.done, rows_flagged=self.flagged, updated_at=timezone.now()
                    )
            yield row


def export_file_write(export: ReconciliationExport, target, *, progress: _Progress | None = None) -> _Progress:
    """Write ``export``'s report into ``target`` (a path or a binary file) in its format; returns the counts."""
    report = REPORTS[export.report]
    columns = report.columns(export)
    header = [str(column.label) for column in columns]
    progress = progress or _Progress(None)
    rows = progress(report.rows(export))
    if export.format == ReconciliationExport.Format.CSV:
        if isinstance(target, str | os.PathLike):
            with open(target, "wb") as file:
                csv_write(file, header, rows)
        else:
            csv_write(target, header, rows)
    else:
        xlsx_write(
            target if not isinstance(target, os.PathLike) else str(target),
            header,
            rows,
            title=str(report.title)[:31],
            money_columns=[i for i, column in enumerate(columns) if column.money],
            widths=[column.width for column in columns],
        )
    return progress


def reconciliation_export_request(
    *, report: str, file_format: str, period_from=None, period_to=None, dealer=None, user=None, language: str = ""
) -> ReconciliationExport:
    """Record an export and queue its run after the transaction commits."""
    export = ReconciliationExport(
        report=report,
        format=file_format,
        period_from=period_from,
        period_to=period_to,
        dealer=dealer,
        requested_by=user,
        language=language or translation.get_language() or "",
    )
    export.full_clean()
    export.save()
    reconciliation_export_queue(export)
    return export


def reconciliation_export_queue(export: ReconciliationExport) -> None:
    """Run ``export`` in the background once the transaction that recorded it commits."""
    from django_q.tasks import async_task

    export_id = export.pk
    task = "erpsync.reconciliation.reconciliation_export_run"
    transaction.on_commit(lambda: async_task(task, export_id, task_name=f"reconciliation-export-{export_id}"))


def reconciliation_export_again(export: ReconciliationExport) -> bool:
    """Queue a failed (or stalled) export again; returns whether it was queued."""
    S = ReconciliationExport.Status
    again = ReconciliationExport.objects.filter(pk=export.pk, status__in=(S.FAILED, S.RUNNING)).update(
        status=S.QUEUED, error="", rows_done=0, rows_flagged=0, finished_at=None, updated_at=timezone.now()
    )
    if again:
        reconciliation_export_queue(export)
    return bool(again)


def reconciliation_export_run(export_id: int) -> str:
    """The task: write the export's file, recording progress, then done with the counts, or failed with the error
    (logged). Returns the export's status. A run finds the export queued and claims it, so a task delivered twice
    writes the file once."""
    S = ReconciliationExport.Status
    now = timezone.now()
    claimed = ReconciliationExport.objects.filter(pk=export_id, status=S.QUEUED).update(
        status=S.RUNNING, started_at=now, updated_at=now, rows_done=0, rows_flagged=0, error=""
    )
    if not claimed:
        return ReconciliationExport.objects.filter(pk=export_id).values_list("status", flat=True).first() or "missing"
    export = ReconciliationExport.objects.select_related("dealer").get(pk=export_id)
    storage = export.file.storage
    name = f"reconciliation-{export.pk}-{export.report}.{export.format}"
    partial = ""
    try:
        with translation.override(export.language or settings.LANGUAGE_CODE):
            total = REPORTS[export.report].count(export)
            ReconciliationExport.objects.filter(pk=export_id).update(rows_total=total)
            os.makedirs(storage.location, exist_ok=True)
            partial = storage.path(name + ".part")
            progress = export_file_write(export, partial, progress=_Progress(export_id))
            os.replace(partial, storage.path(name))
    except Exception as exc:
        log.exception("Reconciliation export %s (%s) failed", export_id, export.report)
        if partial and os.path.exists(partial):
            os.remove(partial)
        ReconciliationExport.objects.filter(pk=export_id).update(
            status=S.FAILED, error=f"{type(exc).__name__}: {exc}"[:4000], finished_at=timezone.now(),
            updated_at=timezone.now(),
        )  # fmt: skip
        return S.FAILED
    ReconciliationExport.objects.filter(pk=export_id).update(
        status=S.DONE,
        file=name,
        rows_total=progress.done,
        rows_done=progress.done,
        rows_flagged=progress.flagged,
        finished_at=timezone.now(),
        updated_at=timezone.now(),
    )
    log.info("Reconciliation export %s: %s rows, %s differ", export_id, progress.done, progress.flagged)
    return S.DONE
