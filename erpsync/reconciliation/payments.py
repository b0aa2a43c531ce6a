"""The payments report: card payments and incoming bank transfers against the collections (less refunds) the
outbox posted to the ERP for them."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterator

from django.db.models import Exists, OuterRef
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dealers.models import Dealer
from erpsync.models import SyncJob
from erpsync.reconciliation.report import (
    CHUNK,
    ZERO,
    Column,
    J,
    Totals,
    chunked,
    collection_flags,
    differs,
    job_status_labels,
    payload_amount,
    period_bounds,
)
from payments.models import Allocation, BankTransaction, Payment


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
    start, end = period_bounds(export.period_from, export.period_to)
    payments = Payment.objects.filter(status__in=SETTLED_PAYMENTS, confirmed_at__gte=start, confirmed_at__lt=end)
    return payments.filter(dealer_id=export.dealer_id) if export.dealer_id else payments


def _transfers(export):
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
    totals = Totals(len(columns), [i for i, c in enumerate(columns) if c.money])
    for row in itertools.chain(_card_rows(export), _transfer_rows(export)):
        totals.add(row[10], row, bool(row[-1]))
        yield row
    yield from totals.rows(currency_column=10)


def _card_rows(export) -> Iterator[tuple]:
    methods = {value: str(label) for value, label in Payment.Method.choices}
    statuses = job_status_labels()
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
            entry = (status, external_id, (payload or {}).get("reference", ""), payload_amount(payload or {}))
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
            reasons = collection_flags(jobs, amount, posted)
            if differs(refunded, refunds_posted):
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
    kind = str(Payment.Method.BANK_TRANSFER.label)
    statuses = job_status_labels()
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
            collections[object_id].append((status, external_id, payload.get("reference", ""), payload_amount(payload)))
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
            reasons += collection_flags(jobs, allocated, received)
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
