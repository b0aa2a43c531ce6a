"""What dealers still owe: the one place that decides an invoice's open amount and a dealer's open items.

Every caller asks here — the dealer's account page (open items and ageing), the payments page and a card payment's
allocation (open amount per invoice), and the bank matcher (open amounts of every dealer's invoices, in bulk) — so
they always agree.

Two sources, chosen per dealer:

- **The ERP's ledger** (``AccountEntry``), when the ERP sends the dealer's movements. When it keeps open items (every
  debit carries its open amount) and the question is about today, those are used as they are; otherwise credits
  (collections, credit memos) settle the oldest debits first, by due date, as Turkish ERPs close accounts.
- **The invoices alone** (``DealerDocument``), otherwise: an invoice's gross less the money allocated to it.

Money paid in the portal after the ERP last sent its movements is not in them yet: it is taken off the invoices it
named, the rest off the oldest items, and shown as "paid in the portal", so a dealer is never asked to pay twice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from itertools import groupby
from operator import itemgetter

from django.db.models import F, Q, Sum
from django.utils import timezone

from dealers.account import BUCKETS, bucket_index
from dealers.credit import CreditPosition, credit_position
from dealers.hooks import live_balance_offered
from dealers.models import AccountEntry, Dealer, DealerDocument
from payments.models import Allocation

ZERO = Decimal("0.00")

# One ledger movement as the ageing reads it: kind, document number, posted on, due on, amount, open amount.
Movement = tuple[str, str, date, date | None, Decimal, Decimal | None]
MOVEMENT_FIELDS = ("kind", "document_number", "posted_on", "due_on", "amount", "open_amount")


@dataclass
class OpenItem:
    document_number: str
    kind: str
    kind_label: str
    posted_on: date
    due_on: date
    amount: Decimal
    open_amount: Decimal
    paid_in_portal: Decimal = ZERO
    days_overdue: int = 0

    @property
    def bucket(self) -> int:
        return bucket_index(self.days_overdue)

    @property
    def is_overdue(self) -> bool:
        return self.days_overdue > 0


@dataclass
class Ageing:
    on: date
    currency: str
    items: list[OpenItem]
    buckets: list[tuple[str, Decimal]]
    total: Decimal
    overdue: Decimal
    unapplied_credit: Decimal
    paid_in_portal: Decimal
    from_erp_open_items: bool
    as_of: datetime | None = None
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PortalCollections:
    """Money paid in the portal that the ERP's movements do not hold yet: per invoice number, and on account."""

    named: dict[str, Decimal]
    unnamed: Decimal = ZERO

    @property
    def total(self) -> Decimal:
        return sum(self.named.values(), ZERO) + self.unnamed


def _collections_query(dealers: Iterable[Dealer]):
    """Allocations newer than each dealer's ledger (all of them when the ERP never sent one): one join, however many
    dealers (a condition per dealer would outgrow SQLite's expression depth)."""
    newer = Q(dealer__ledger_as_of__isnull=True) | Q(created_at__gt=F("dealer__ledger_as_of"))
    return Allocation.objects.filter(newer, dealer_id__in=[dealer.pk for dealer in dealers])


def portal_collections_many(dealers: Iterable[Dealer]) -> dict[int, PortalCollections]:
    """``PortalCollections`` of each dealer, in one query."""
    dealers = list(dealers)
    named: dict[int, dict[str, Decimal]] = defaultdict(dict)
    unnamed: dict[int, Decimal] = defaultdict(lambda: ZERO)
    if dealers:
        rows = (
            _collections_query(dealers)
            .values("dealer_id", "invoice_number")
            .annotate(s=Sum("amount"))
            .values_list("dealer_id", "invoice_number", "s")
        )
        for dealer_id, number, total in rows:
            if number:
                named[dealer_id][number] = total
            else:
                unnamed[dealer_id] += total
    return {d.pk: PortalCollections(named=dict(named[d.pk]), unnamed=unnamed[d.pk]) for d in dealers}


def ageing_from_movements(
    movements: list[Movement],
    collections: PortalCollections,
    *,
    on: date,
    today: date,
    currency: str,
    as_of: datetime | None,
) -> Ageing:
    """The open items of one dealer from its ledger ``movements`` (booking order, up to ``on``) and the money paid
    in the portal since; pure, so the account page and the bulk selector run the same rules."""
    debits = [m for m in movements if m[4] > 0]
    credits = [m for m in movements if m[4] < 0]
    tracked = on >= today and bool(debits) and all(m[5] is not None for m in debits)
    if tracked:
        items = [_item(kind, number, posted, due, amount, left) for kind, number, posted, due, amount, left in debits]
        items = [i for i in items if i.open_amount > 0]
        unapplied = -sum((m[5] for m in credits if m[5] is not None and m[5] < 0), ZERO)
    else:
        items, unapplied = _settle_oldest_first(debits, credits)
    unapplied += _take_off_portal_collections(items, collections)
    return _aged(
        items,
        on=on,
        currency=currency,
        unapplied=unapplied,
        paid_in_portal=collections.total,
        from_erp_open_items=tracked,
        as_of=as_of,
    )


def _aged(items: list[OpenItem], *, on: date, currency: str, unapplied: Decimal, paid_in_portal: Decimal,
          from_erp_open_items: bool, as_of: datetime | None) -> Ageing:  # fmt: skip
    """The open ones of ``items``, aged on ``on`` into the buckets, oldest due first."""
    items = [i for i in items if i.open_amount > 0]
    totals = [ZERO] * len(BUCKETS)
    for open_item in items:
        open_item.days_overdue = (on - open_item.due_on).days
        totals[open_item.bucket] += open_item.open_amount
    items.sort(key=lambda i: (i.due_on, i.posted_on, i.document_number))
    return Ageing(
        on=on,
        currency=currency,
        items=items,
        buckets=[(str(label), totals[i]) for i, (label, _f, _l) in enumerate(BUCKETS)],
        total=sum(totals, ZERO),
        overdue=sum(totals[1:], ZERO),
        unapplied_credit=unapplied,
        paid_in_portal=paid_in_portal,
        from_erp_open_items=from_erp_open_items,
        as_of=as_of,
    )


_KIND_LABELS = dict(AccountEntry.Kind.choices)


def _item(kind, number, posted_on, due_on, amount, left) -> OpenItem:
    return OpenItem(
        document_number=number,
        kind=kind,
        kind_label=str(_KIND_LABELS.get(kind, kind)),
        posted_on=posted_on,
        due_on=due_on or posted_on,
        amount=amount,
        open_amount=left,
    )


def _settle_oldest_first(debits: list[Movement], credits: list[Movement]) -> tuple[list[OpenItem], Decimal]:
    """Credits settle the debits with the earliest due date first; returns the open items and the credit left."""
    pool = -sum((m[4] for m in credits), ZERO)
    items = []
    for kind, number, posted_on, due_on, amount, _open in sorted(debits, key=lambda m: (m[3] or m[2], m[2])):
        settled = min(pool, amount)
        pool -= settled
        if amount - settled > 0:
            items.append(_item(kind, number, posted_on, due_on, amount, amount - settled))
    return items, pool


def _take_off_portal_collections(items: list[OpenItem], collections: PortalCollections) -> Decimal:
    """Take the portal's payments off the items they named, then off the oldest; returns what is left over."""
    named = dict(collections.named)
    for open_item in items:
        paid = min(named.get(open_item.document_number, ZERO), open_item.open_amount)
        if paid:
            named[open_item.document_number] -= paid
            open_item.paid_in_portal += paid
            open_item.open_amount -= paid
    # What was named but matches no open item, and what was paid on account, settle the oldest items.
    rest = collections.unnamed + sum(named.values(), ZERO)
    for open_item in sorted(items, key=lambda i: (i.due_on, i.posted_on)):
        if rest <= 0:
            break
        paid = min(rest, open_item.open_amount)
        open_item.paid_in_portal += paid
        open_item.open_amount -= paid
        rest -= paid
    return rest


def open_items(dealer: Dealer, on: date | None = None) -> Ageing:
    """What the dealer still owes, item by item, aged on ``on`` (today by default): from the ERP's ledger less what
    was paid in the portal since the ERP last sent its movements; for a dealer whose ERP sends no ledger, from the
    invoices less the money allocated to them (what the payments page and the bank matcher use too)."""
    today = timezone.localdate()
    on = on or today
    if not _has_ledger(dealer):
        return _ageing_from_invoices(dealer, on)
    movements = list(
        AccountEntry.objects.filter(dealer=dealer, posted_on__lte=on)
        .order_by("posted_on", "id")
        .values_list(*MOVEMENT_FIELDS)
    )
    collections = portal_collections_many([dealer])[dealer.pk]
    return ageing_from_movements(
        movements, collections, on=on, today=today, currency=dealer.currency, as_of=dealer.ledger_as_of
    )


def _has_ledger(dealer: Dealer) -> bool:
    return bool(_dealers_with_ledger([dealer.pk]))


def _ageing_from_invoices(dealer: Dealer, on: date) -> Ageing:
    """Open items of a dealer without a ledger: each invoice issued by ``on`` less the money allocated to it; money
    paid on account without naming an invoice is unapplied credit."""
    items = []
    for _dealer_id, number, issued_on, due_on, gross, paid in _invoice_rows([dealer.pk], on=on):
        item = _item(AccountEntry.Kind.INVOICE, number, issued_on, due_on, gross, gross - min(paid, gross))
        item.paid_in_portal = min(paid, gross)
        items.append(item)
    unnamed = Allocation.objects.filter(dealer=dealer, invoice_number="").aggregate(s=Sum("amount"))["s"] or ZERO
    open_ones = [i for i in items if i.open_amount > 0]
    return _aged(
        open_ones,
        on=on,
        currency=dealer.currency,
        unapplied=unnamed,
        paid_in_portal=sum((i.paid_in_portal for i in open_ones), ZERO) + unnamed,
        from_erp_open_items=False,
        as_of=None,
    )


def _ledger_invoices(ageing: Ageing, wanted: set[str] | None) -> dict[str, Decimal]:
    result: dict[str, Decimal] = {}
    for item in sorted(ageing.items, key=lambda i: (i.posted_on, i.document_number), reverse=True):
        if item.kind != AccountEntry.Kind.INVOICE or not item.document_number:
            continue
        if wanted is None or item.document_number in wanted:
            result[item.document_number] = result.get(item.document_number, ZERO) + item.open_amount
    return result


def _dealers_with_ledger(dealer_ids: Iterable[int] | None) -> list[Dealer]:
    """Dealers whose ERP sends their movements (a ledger time, or movements held)."""
    dealers = Dealer.objects.filter(Q(ledger_as_of__isnull=False) | Q(account_entries__isnull=False)).distinct()
    if dealer_ids is not None:
        dealers = dealers.filter(pk__in=list(dealer_ids))
    return list(dealers.only("pk", "currency", "ledger_as_of"))


def _invoice_rows(dealer_ids, *, exclude_ids=(), numbers=None, on: date | None = None):
    """The invoices of the dealers ``dealer_ids`` (all when None, less ``exclude_ids``), newest first, each with
    the money allocated to it in the portal: (dealer id, number, issued on, due on, gross, paid) — the one rule for
    what an invoice owes when the ERP sends no ledger (two queries)."""
    documents = DealerDocument.objects.filter(kind=DealerDocument.Kind.INVOICE, gross__gt=0).exclude(
        dealer_id__in=exclude_ids
    )
    allocated = Allocation.objects.exclude(invoice_number="").exclude(dealer_id__in=exclude_ids)
    if dealer_ids is not None:
        documents = documents.filter(dealer_id__in=dealer_ids)
        allocated = allocated.filter(dealer_id__in=dealer_ids)
    if numbers is not None:
        documents = documents.filter(number__in=numbers)
        allocated = allocated.filter(invoice_number__in=numbers)
    if on is not None:
        documents = documents.filter(issued_on__lte=on)
    paid = {
        (dealer_id, number): total
        for dealer_id, number, total in allocated.values("dealer_id", "invoice_number")
        .annotate(s=Sum("amount"))
        .values_list("dealer_id", "invoice_number", "s")
    }
    rows = documents.order_by("-issued_on", "-pk").values_list("dealer_id", "number", "issued_on", "due_on", "gross")
    for dealer_id, number, issued_on, due_on, gross in rows:
        yield dealer_id, number, issued_on, due_on, gross, paid.get((dealer_id, number), ZERO)


def _ledger_open_amounts(ledger_dealers: list[Dealer], wanted: set[str] | None) -> dict[tuple[int, str], Decimal]:
    """Open amounts of the ledger dealers' invoices; their movements are streamed, one dealer at a time."""
    today = timezone.localdate()
    by_id = {dealer.pk: dealer for dealer in ledger_dealers}
    collections = portal_collections_many(ledger_dealers)
    rows = (
        AccountEntry.objects.filter(dealer_id__in=list(by_id), posted_on__lte=today)
        .order_by("dealer_id", "posted_on", "id")
        .values_list("dealer_id", *MOVEMENT_FIELDS)
    )
    result: dict[tuple[int, str], Decimal] = {}
    grouped = groupby(rows.iterator(chunk_size=5000), key=itemgetter(0))
    for dealer_id, group in grouped:
        dealer = by_id[dealer_id]
        movements = [tuple(row[1:]) for row in group]
        ageing = ageing_from_movements(
            movements, collections[dealer_id], on=today, today=today, currency=dealer.currency, as_of=None
        )
        for number, left in _ledger_invoices(ageing, wanted).items():
            result[(dealer_id, number)] = left
    return result


def invoice_open_amounts_many(
    dealer_ids: Iterable[int] | None = None, numbers: Iterable[str] | None = None
) -> dict[tuple[int, str], Decimal]:
    """What each invoice still owes, keyed by (dealer id, invoice number), for the dealers ``dealer_ids`` names (all
    by default) and the invoices ``numbers`` names (all by default); fully paid ones are left out, newest first.
    A fixed number of queries, however many dealers and invoices."""
    dealer_ids = None if dealer_ids is None else list(dealer_ids)
    wanted = None if numbers is None else set(numbers)
    ledger_dealers = _dealers_with_ledger(dealer_ids)
    result = _ledger_open_amounts(ledger_dealers, wanted)
    for dealer_id, number, _issued, _due, gross, paid in _invoice_rows(
        dealer_ids, exclude_ids=[d.pk for d in ledger_dealers], numbers=wanted
    ):
        if gross - paid > 0:
            result[(dealer_id, number)] = gross - paid
    return result


def invoice_open_amounts(dealer: Dealer, numbers: Iterable[str] | None = None) -> dict[str, Decimal]:
    """What each of the dealer's invoices still owes, for the invoices ``numbers`` names or all of them; fully paid
    ones are left out. Newest first."""
    found = invoice_open_amounts_many([dealer.pk], numbers)
    return {number: left for (_dealer_id, number), left in found.items()}


@dataclass
class AccountSummary:
    dealer: Dealer
    credit: CreditPosition
    overdue: Decimal
    open_total: Decimal
    ledger_as_of: datetime | None
    live_refresh: bool


def account_summary(dealer: Dealer, ageing: Ageing | None = None) -> AccountSummary:
    """The figures at the top of the dealer's account page, each with its *as of* time."""
    ageing = ageing or open_items(dealer)
    return AccountSummary(
        dealer=dealer,
        credit=credit_position(dealer),
        overdue=ageing.overdue,
        open_total=ageing.total,
        ledger_as_of=dealer.ledger_as_of,
        live_refresh=bool(live_balance_offered.first(default=False, dealer=dealer)),
    )
