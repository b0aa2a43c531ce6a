"""What dealers still owe: the one place that decides an invoice's open amount and a dealer's open items.

Every caller asks here — the dealer's account page (open items and ageing), the payments page and a card payment's
allocation (open amount per invoice), and the bank matcher (open amounts of every dealer's invoices, in bulk) — so
they always agree. What an order awaiting payment still owes is decided here too (``order_amounts_due``), for the
order page's transfer instructions, its card payment and the matcher.

Two sources, chosen per dealer:

- **The ERP's ledger** (``AccountEntry``), when the ERP sends the dealer's movements. When it keeps open items (every
  debit carries its open amount) and the question is about today, those are used as they are; otherwise credits
  (collections, credit memos) settle the oldest debits first, by due date, as Turkish ERPs close accounts.
- **The invoices alone** (``DealerDocument``), otherwise: an invoice's gross less the money allocated to it.

Money paid in the portal after the ERP last sent its movements is not in them yet: it is taken off the invoices it
named, the rest off the oldest items, and shown as "paid in the portal", so a dealer is never asked to pay twice.

**Prepayments for orders.** Money paid for an order (a card or transfer payment of the order in the portal, or a
collection in the ledger whose document number or description names an order the portal holds) is kept for that
order while the order waits for its invoice: it never settles older invoices, and the page shows it apart, as
"prepayment for order X". Once the ERP has invoiced the order, the money settles that order's invoices first. An
order that will not be invoiced (cancelled, rejected) leaves its money on account like any other payment.

How the open amounts were found is the ageing's ``basis`` (ERP open items, oldest first, or invoices), which the
account page explains to the dealer.
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
from orders.models import Order
from orders.status import FINAL, OrderStatus
from payments.models import Allocation

ZERO = Decimal("0.00")

# One ledger movement as the ageing reads it: kind, document number, posted on, due on, amount, open amount,
# description.
Movement = tuple[str, str, date, date | None, Decimal, Decimal | None, str]
MOVEMENT_FIELDS = ("kind", "document_number", "posted_on", "due_on", "amount", "open_amount", "description")

# How the open amounts were found (``Ageing.basis``).
ERP_OPEN_ITEMS = "erp_open_items"  # the ERP said what each invoice still owes
OLDEST_FIRST = "oldest_first"  # the ERP sent movements only: credits settle the oldest debits first
INVOICES = "invoices"  # no ledger: each invoice less the money allocated to it in the portal

# Orders whose money waits for their invoice: placed and still going, not invoiced, cancelled or rejected.
AWAITING_INVOICE = frozenset(OrderStatus.values) - FINAL - {OrderStatus.INVOICED, OrderStatus.DRAFT}
_WORD_EDGES = "\"'.,;:()[]{}<>"


def _words(*texts: str) -> set[str]:
    """The words of ``texts`` that could be a document or order number."""
    found = set()
    for text in texts:
        for word in (text or "").split():
            word = word.strip(_WORD_EDGES)
            if len(word) >= 3:
                found.add(word)
    return found


@dataclass(frozen=True)
class Prepayment:
    """Money paid for an order the ERP has not invoiced yet: kept for that order, not set against older items."""

    order_number: str
    amount: Decimal


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
    basis: str = OLDEST_FIRST
    prepayments: list[Prepayment] = field(default_factory=list)

    @property
    def prepaid(self) -> Decimal:
        return sum((p.amount for p in self.prepayments), ZERO)


@dataclass(frozen=True)
class PortalCollections:
    """Money paid in the portal that the ERP's movements do not hold yet: per invoice number, on account, for
    invoiced orders (order number, its invoices, amount) and for orders still waiting for their invoice."""

    named: dict[str, Decimal]
    unnamed: Decimal = ZERO
    for_orders: tuple[tuple[str, tuple[str, ...], Decimal], ...] = ()
    prepaid: dict[str, Decimal] = field(default_factory=dict)

    @property
    def total(self) -> Decimal:
        return (
            sum(self.named.values(), ZERO)
            + self.unnamed
            + sum((amount for _n, _i, amount in self.for_orders), ZERO)
            + sum(self.prepaid.values(), ZERO)
        )


@dataclass(frozen=True)
class OrderMoney:
    """What the portal knows of an order that money was paid for: its number, whether it still waits for its
    invoice, and the invoices the ERP issued for it (oldest first)."""

    number: str
    awaits_invoice: bool
    invoices: tuple[str, ...]


def _orders_paid_for(order_ids: Iterable[int]) -> dict[int, OrderMoney]:
    """``OrderMoney`` of each order in ``order_ids`` (a list or a subquery), in one query."""
    rows = (
        Order.objects.filter(pk__in=order_ids)
        .order_by("pk", "documents__issued_on", "documents__pk")
        .values_list("pk", "number", "status", "documents__kind", "documents__number")
    )
    found: dict[int, tuple[str, str, list[str]]] = {}
    for pk, number, status, kind, document in rows:
        entry = found.setdefault(pk, (number, status, []))
        if kind == DealerDocument.Kind.INVOICE and document:
            entry[2].append(document)
    return {
        pk: OrderMoney(number, not invoices and status in AWAITING_INVOICE, tuple(invoices))
        for pk, (number, status, invoices) in found.items()
    }


def _orders_awaiting_invoice(dealer_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """The orders of these dealers still waiting for their invoice, per dealer: every word that names one (its
    portal number, the ERP's order number) → its portal number. One query; a ledger collection that names one of
    them is a prepayment for it."""
    found: dict[int, dict[str, str]] = defaultdict(dict)
    rows = (
        Order.objects.filter(dealer_id__in=list(dealer_ids), status__in=AWAITING_INVOICE)
        .exclude(documents__kind=DealerDocument.Kind.INVOICE)
        .values_list("dealer_id", "number", "erp_document_number")
    )
    for dealer_id, number, erp_number in rows:
        for word in (number, erp_number):
            if word:
                found[dealer_id][word] = number
    return found


def _collections_query(dealers: Iterable[Dealer]):
    """Allocations newer than each dealer's ledger (all of them when the ERP never sent one): one join, however many
    dealers (a condition per dealer would outgrow SQLite's expression depth)."""
    newer = Q(dealer__ledger_as_of__isnull=True) | Q(created_at__gt=F("dealer__ledger_as_of"))
    return Allocation.objects.filter(newer, dealer_id__in=[dealer.pk for dealer in dealers])


def portal_collections_many(dealers: Iterable[Dealer]) -> dict[int, PortalCollections]:
    """``PortalCollections`` of each dealer, in two queries."""
    dealers = list(dealers)
    named: dict[int, dict[str, Decimal]] = defaultdict(dict)
    unnamed: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for_orders: dict[int, list[tuple[str, tuple[str, ...], Decimal]]] = defaultdict(list)
    prepaid: dict[int, dict[str, Decimal]] = defaultdict(dict)
    if dealers:
        rows = list(
            _collections_query(dealers)
            .values("dealer_id", "invoice_number", "order_id")
            .annotate(s=Sum("amount"))
            .values_list("dealer_id", "invoice_number", "order_id", "s")
        )
        paid_for = {order_id for _d, number, order_id, _s in rows if order_id is not None and not number}
        orders = _orders_paid_for(paid_for) if paid_for else {}
        for dealer_id, number, order_id, total in rows:
            order = orders.get(order_id) if not number else None
            if number:
                named[dealer_id][number] = named[dealer_id].get(number, ZERO) + total
            elif order is not None and order.awaits_invoice:
                prepaid[dealer_id][order.number] = prepaid[dealer_id].get(order.number, ZERO) + total
            elif order is not None and order.invoices:
                for_orders[dealer_id].append((order.number, order.invoices, total))
            else:
                unnamed[dealer_id] += total
    return {
        d.pk: PortalCollections(
            named=dict(named[d.pk]),
            unnamed=unnamed[d.pk],
            for_orders=tuple(for_orders[d.pk]),
            prepaid=dict(prepaid[d.pk]),
        )
        for d in dealers
    }


def ageing_from_movements(
    movements: list[Movement],
    collections: PortalCollections,
    *,
    on: date,
    today: date,
    currency: str,
    as_of: datetime | None,
    awaiting: dict[str, str] | None = None,
) -> Ageing:
    """The open items of one dealer from its ledger ``movements`` (booking order, up to ``on``) and the money paid
    in the portal since; ``awaiting`` names the dealer's orders still waiting for their invoice (word → order
    number): a credit that names one is a prepayment for it. Pure, so the account page and the bulk selector run
    the same rules."""
    awaiting = awaiting or {}
    debits = [m for m in movements if m[4] > 0]
    credits = [m for m in movements if m[4] < 0]
    tracked = on >= today and bool(debits) and all(m[5] is not None for m in debits)
    prepaid: dict[str, Decimal] = defaultdict(lambda: ZERO)
    if tracked:
        items = [
            _item(kind, number, posted, due, amount, left) for kind, number, posted, due, amount, left, _d in debits
        ]
        items = [i for i in items if i.open_amount > 0]
        unapplied = ZERO
        for credit in credits:
            left = -credit[5] if credit[5] is not None and credit[5] < 0 else ZERO
            order = _order_named(credit, awaiting)
            if order and left:
                prepaid[order] += left
            else:
                unapplied += left
    else:
        items, unapplied = _settle_oldest_first(debits, credits, awaiting, prepaid)
    unapplied += _take_off_portal_collections(items, collections)
    for number, amount in collections.prepaid.items():
        prepaid[number] += amount
    return _aged(
        items,
        on=on,
        currency=currency,
        unapplied=unapplied,
        paid_in_portal=collections.total - sum(collections.prepaid.values(), ZERO),  # prepayments are shown apart
        from_erp_open_items=tracked,
        as_of=as_of,
        basis=ERP_OPEN_ITEMS if tracked else OLDEST_FIRST,
        prepaid=prepaid,
    )


def _order_named(movement: Movement, awaiting: dict[str, str]) -> str | None:
    """The order still waiting for its invoice that a ledger movement names (in its document number or
    description), if any."""
    if not awaiting:
        return None
    for word in sorted(_words(movement[1], movement[6])):
        if word in awaiting:
            return awaiting[word]
    return None


def _aged(items: list[OpenItem], *, on: date, currency: str, unapplied: Decimal, paid_in_portal: Decimal,
          from_erp_open_items: bool, as_of: datetime | None, basis: str,
          prepaid: dict[str, Decimal] | None = None) -> Ageing:  # fmt: skip
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
        basis=basis,
        prepayments=[Prepayment(number, amount) for number, amount in sorted((prepaid or {}).items()) if amount > 0],
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


def _settle_oldest_first(
    debits: list[Movement], credits: list[Movement], awaiting: dict[str, str], prepaid: dict[str, Decimal]
) -> tuple[list[OpenItem], Decimal]:
    """Credits settle the debits with the earliest due date first; a credit that names an order still waiting for
    its invoice is kept for it (added to ``prepaid``). Returns the open items and the credit left."""
    pool = ZERO
    for credit in credits:
        order = _order_named(credit, awaiting)
        if order:
            prepaid[order] += -credit[4]
        else:
            pool -= credit[4]
    items = []
    for kind, number, posted_on, due_on, amount, *_rest in sorted(debits, key=lambda m: (m[3] or m[2], m[2])):
        settled = min(pool, amount)
        pool -= settled
        if amount - settled > 0:
            items.append(_item(kind, number, posted_on, due_on, amount, amount - settled))
    return items, pool


def _take_off_portal_collections(items: list[OpenItem], collections: PortalCollections) -> Decimal:
    """Take the portal's payments off the items they named (an invoiced order's: off its invoices, oldest first),
    then off the oldest; returns what is left over. Prepayments for orders are not touched."""
    named = dict(collections.named)
    for open_item in items:
        paid = min(named.get(open_item.document_number, ZERO), open_item.open_amount)
        if paid:
            named[open_item.document_number] -= paid
            open_item.paid_in_portal += paid
            open_item.open_amount -= paid
    by_number = {i.document_number: i for i in items if i.kind == AccountEntry.Kind.INVOICE and i.document_number}
    rest = ZERO
    for _order, invoices, amount in collections.for_orders:
        for number in invoices:
            open_item = by_number.get(number)
            paid = min(amount, open_item.open_amount) if open_item else ZERO
            if paid > 0:
                open_item.paid_in_portal += paid
                open_item.open_amount -= paid
                amount -= paid
        rest += amount
    # What was named but matches no open item, and what was paid on account, settle the oldest items.
    rest += collections.unnamed + sum(named.values(), ZERO)
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
        movements,
        collections,
        on=on,
        today=today,
        currency=dealer.currency,
        as_of=dealer.ledger_as_of,
        awaiting=_orders_awaiting_invoice([dealer.pk])[dealer.pk],
    )


def _has_ledger(dealer: Dealer) -> bool:
    return bool(_dealers_with_ledger([dealer.pk]))


def _ageing_from_invoices(dealer: Dealer, on: date) -> Ageing:
    """Open items of a dealer without a ledger: each invoice issued by ``on`` less the money allocated to it (for
    it, or for the order it invoices); money paid for an order still waiting for its invoice is a prepayment,
    money paid on account without naming an invoice (or more than an order's invoices owed) unapplied credit."""
    items = []
    leftover = InvoiceLeftover()
    for _dealer_id, number, issued_on, due_on, gross, paid in _invoice_rows([dealer.pk], on=on, leftover=leftover):
        item = _item(AccountEntry.Kind.INVOICE, number, issued_on, due_on, gross, gross - min(paid, gross))
        item.paid_in_portal = min(paid, gross)
        items.append(item)
    unnamed = leftover.unapplied[dealer.pk]
    prepaid = leftover.prepaid[dealer.pk]
    open_ones = [i for i in items if i.open_amount > 0]
    return _aged(
        open_ones,
        on=on,
        currency=dealer.currency,
        unapplied=unnamed,
        paid_in_portal=sum((i.paid_in_portal for i in open_ones), ZERO) + unnamed,
        from_erp_open_items=False,
        as_of=None,
        basis=INVOICES,
        prepaid=prepaid,
    )


@dataclass
class InvoiceLeftover:
    """What ``_invoice_rows`` found paid in the portal but set against none of the invoices, per dealer: on account
    (unapplied) and for orders still waiting for their invoice (order number → amount)."""

    unapplied: dict[int, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    prepaid: dict[int, dict[str, Decimal]] = field(default_factory=lambda: defaultdict(dict))


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


def _invoice_rows(dealer_ids, *, exclude_ids=(), numbers=None, on: date | None = None, leftover=None):
    """The invoices of the dealers ``dealer_ids`` (all when None, less ``exclude_ids``), newest first, each with
    the money allocated to it in the portal — naming it, or paid for the order it invoices (an order's money goes
    to its invoices oldest first, each up to what it owes): (dealer id, number, issued on, due on, gross, paid).
    The one rule for what an invoice owes when the ERP sends no ledger (two queries; a third for the orders paid
    for when ``leftover`` is asked). Money set against none of them is added to ``leftover`` (an
    ``InvoiceLeftover``) when given."""
    documents = DealerDocument.objects.filter(kind=DealerDocument.Kind.INVOICE, gross__gt=0).exclude(
        dealer_id__in=exclude_ids
    )
    allocated = Allocation.objects.exclude(dealer_id__in=exclude_ids)
    if dealer_ids is not None:
        documents = documents.filter(dealer_id__in=dealer_ids)
        allocated = allocated.filter(dealer_id__in=dealer_ids)
    if on is not None:
        documents = documents.filter(issued_on__lte=on)
    if numbers is not None:  # those invoices, and the other invoices of their orders (an order's money is shared)
        orders = documents.filter(number__in=numbers).exclude(order=None).values("order_id")
        documents = documents.filter(Q(number__in=numbers) | Q(order_id__in=orders))
    if numbers is not None:
        allocated = allocated.filter(Q(invoice_number__in=numbers) | Q(invoice_number=""))
    # Money naming an invoice: (dealer id, number) → amount; paid for an order or on account, naming no invoice:
    # (dealer id, order id or None) → amount.
    paid: dict[tuple[int, str], Decimal] = defaultdict(lambda: ZERO)
    unnamed: dict[tuple[int, int | None], Decimal] = defaultdict(lambda: ZERO)
    for dealer_id, number, order_id, total in (
        allocated.values("dealer_id", "invoice_number", "order_id")
        .annotate(s=Sum("amount"))
        .values_list("dealer_id", "invoice_number", "order_id", "s")
    ):
        if number:
            paid[(dealer_id, number)] += total
        else:
            unnamed[(dealer_id, order_id)] += total
    rows = list(
        documents.order_by("-issued_on", "-pk").values_list(
            "dealer_id", "number", "issued_on", "due_on", "gross", "order_id"
        )
    )
    by_order: dict[tuple[int, int], list[int]] = defaultdict(list)
    for index, row in enumerate(rows):
        if row[5] is not None:
            by_order[(row[0], row[5])].insert(0, index)  # oldest first
    from_order = [ZERO] * len(rows)
    orders = _orders_paid_for([order_id for _d, order_id in unnamed if order_id is not None]) if leftover else {}
    for (dealer_id, order_id), amount in unnamed.items():
        for index in by_order.get((dealer_id, order_id), ()) if order_id is not None else ():
            row = rows[index]
            share = min(amount, max(row[4] - paid.get((row[0], row[1]), ZERO), ZERO))
            from_order[index] += share
            amount -= share
        if leftover is None or amount <= 0:
            continue
        order = orders.get(order_id)
        if order is not None and order.awaits_invoice:
            prepaid = leftover.prepaid[dealer_id]
            prepaid[order.number] = prepaid.get(order.number, ZERO) + amount
        else:
            leftover.unapplied[dealer_id] += amount
    for index, (dealer_id, number, issued_on, due_on, gross, _order_id) in enumerate(rows):
        if numbers is None or number in numbers:
            yield dealer_id, number, issued_on, due_on, gross, paid.get((dealer_id, number), ZERO) + from_order[index]


def _ledger_open_amounts(ledger_dealers: list[Dealer], wanted: set[str] | None) -> dict[tuple[int, str], Decimal]:
    """Open amounts of the ledger dealers' invoices; their movements are streamed, one dealer at a time."""
    today = timezone.localdate()
    by_id = {dealer.pk: dealer for dealer in ledger_dealers}
    collections = portal_collections_many(ledger_dealers)
    awaiting = _orders_awaiting_invoice(by_id)
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
            movements,
            collections[dealer_id],
            on=today,
            today=today,
            currency=dealer.currency,
            as_of=None,
            awaiting=awaiting.get(dealer_id),
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


def order_amounts_due(orders) -> dict[int, Decimal]:
    """What is left to pay of each of ``orders`` (a queryset): its total less the money allocated to it (card payments
    and matched bank transfers alike), never below zero, by order id. One query. The one rule for what an order still
    owes: the order page's transfer instructions, a card payment of the order and the bank matcher ask here."""
    rows = orders.order_by().annotate(paid=Sum("allocations__amount")).values_list("pk", "total_gross", "paid")
    return {pk: max(total - (paid or ZERO), ZERO) for pk, total, paid in rows}


def order_amount_due(order: Order) -> Decimal:
    """What is left to pay of ``order`` (``order_amounts_due`` for one order)."""
    return order_amounts_due(Order.objects.filter(pk=order.pk)).get(order.pk, ZERO)


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
