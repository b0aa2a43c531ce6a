"""A dealer's account (cari hesap) as the portal shows it: summary figures, the statement of account for a period,
open items and their ageing, and a live balance refresh from the ERP.

The movements are the ERP's (``AccountEntry``, imported by the sync). Payments the dealer made in the portal after
the ERP last sent its movements are not in them yet: open items show them as "paid in the portal, not yet in the
ERP" so a dealer is never asked to pay twice.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dealers.credit import CreditPosition, credit_position
from dealers.models import AccountEntry, Dealer

logger = logging.getLogger(__name__)
ZERO = Decimal("0.00")

# (label, first day overdue, last day overdue or None); "current" is not yet due (0 days or fewer).
BUCKETS: tuple[tuple[str, int | None, int | None], ...] = (
    (gettext_lazy("Current"), None, 0),
    (gettext_lazy("1–30 days"), 1, 30),
    (gettext_lazy("31–60 days"), 31, 60),
    (gettext_lazy("61–90 days"), 61, 90),
    (gettext_lazy("Over 90 days"), 91, None),
)
LIVE_REFRESH_SECONDS = 60


def bucket_index(days_overdue: int) -> int:
    """The ageing bucket of an item ``days_overdue`` past its due date (0 or less: not yet due)."""
    for index, (_label, first, last) in enumerate(BUCKETS):
        if (first is None or days_overdue >= first) and (last is None or days_overdue <= last):
            return index
    raise AssertionError(days_overdue)  # the buckets cover every integer


# --- Statement of account ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementLine:
    posted_on: date
    kind: str
    kind_label: str
    document_number: str
    description: str
    due_on: date | None
    debit: Decimal | None
    credit: Decimal | None
    balance: Decimal


@dataclass
class Statement:
    dealer: Dealer
    date_from: date
    date_to: date
    opening: Decimal
    lines: list[StatementLine]
    total_debit: Decimal
    total_credit: Decimal
    closing: Decimal
    as_of: datetime | None

    @property
    def currency(self) -> str:
        return self.dealer.currency


def statement_lines(dealer: Dealer, date_from: date, date_to: date, opening: Decimal) -> Iterator[StatementLine]:
    """The movements of the period in booking order, each with the running balance after it. Streams from the
    database (a year of a busy dealer is thousands of lines)."""
    labels = dict(AccountEntry.Kind.choices)
    balance = opening
    rows = (
        AccountEntry.objects.filter(dealer=dealer, posted_on__gte=date_from, posted_on__lte=date_to)
        .order_by("posted_on", "id")
        .values_list("posted_on", "kind", "document_number", "description", "due_on", "amount")
    )
    for posted_on, kind, number, description, due_on, amount in rows.iterator(chunk_size=2000):
        balance += amount
        yield StatementLine(
            posted_on=posted_on,
            kind=kind,
            kind_label=str(labels.get(kind, kind)),
            document_number=number,
            description=description,
            due_on=due_on,
            debit=amount if amount > 0 else None,
            credit=-amount if amount < 0 else None,
            balance=balance,
        )


def statement_opening(dealer: Dealer, date_from: date) -> Decimal:
    """The balance carried into the period: every movement booked before its first day."""
    total = AccountEntry.objects.filter(dealer=dealer, posted_on__lt=date_from).aggregate(s=Sum("amount"))["s"]
    return total or ZERO


STATEMENT_COLUMNS = (
    gettext_lazy("Date"),
    gettext_lazy("Kind"),
    gettext_lazy("Document"),
    gettext_lazy("Description"),
    gettext_lazy("Due date"),
    gettext_lazy("Debit"),
    gettext_lazy("Credit"),
    gettext_lazy("Balance"),
)
STATEMENT_MONEY_COLUMNS = (5, 6, 7)


def statement_table(result: Statement) -> Iterator[tuple]:
    """The statement as spreadsheet rows under ``STATEMENT_COLUMNS``: the opening balance, every movement, then the
    totals with the closing balance (those two as ``SummaryRow``)."""
    from b2bportal.spreadsheets import SummaryRow

    yield SummaryRow((result.date_from, _("Opening balance"), "", "", None, None, None, result.opening))
    for line in result.lines:
        yield (
            line.posted_on,
            line.kind_label,
            line.document_number,
            line.description,
            line.due_on,
            line.debit,
            line.credit,
            line.balance,
        )
    yield SummaryRow(
        (result.date_to, _("Closing balance"), "", "", None, result.total_debit, result.total_credit, result.closing)
    )


def statement(dealer: Dealer, date_from: date, date_to: date) -> Statement:
    """The statement of account for ``date_from``–``date_to`` (both included): opening balance, every movement with
    its running balance, totals and closing balance (opening + debits − credits). Refuses a reversed period."""
    if date_from > date_to:
        raise ValueError(_("The period starts after it ends."))
    opening = statement_opening(dealer, date_from)
    lines = list(statement_lines(dealer, date_from, date_to, opening))
    total_debit = sum((line.debit for line in lines if line.debit), ZERO)
    total_credit = sum((line.credit for line in lines if line.credit), ZERO)
    return Statement(
        dealer=dealer,
        date_from=date_from,
        date_to=date_to,
        opening=opening,
        lines=lines,
        total_debit=total_debit,
        total_credit=total_credit,
        closing=opening + total_debit - total_credit,
        as_of=dealer.ledger_as_of,
    )


# --- Open items and ageing ----------------------------------------------------------------------------------


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


def _portal_collections(dealer: Dealer) -> tuple[dict[str, Decimal], Decimal]:
    """Money the dealer paid in the portal that the ERP's movements do not hold yet (allocated after the ERP last
    sent them): per invoice number, and the part paid on account without naming one."""
    from payments.models import Allocation

    allocations = Allocation.objects.filter(dealer=dealer)
    if dealer.ledger_as_of is not None:
        allocations = allocations.filter(created_at__gt=dealer.ledger_as_of)
    named = dict(
        allocations.exclude(invoice_number="")
        .values("invoice_number")
        .annotate(s=Sum("amount"))
        .values_list("invoice_number", "s")
    )
    unnamed = allocations.filter(invoice_number="").aggregate(s=Sum("amount"))["s"] or ZERO
    return named, unnamed


def open_items(dealer: Dealer, on: date | None = None) -> Ageing:
    """What the dealer still owes, item by item, aged on ``on`` (today by default).

    When the ERP keeps open items (every debit movement carries its open amount) and the ageing is for today,
    those are used as they are. Otherwise credits (collections, credit memos) settle the oldest debits first
    (first in, first out, by due date), as Turkish ERPs close accounts. Money paid in the portal since the ERP last
    sent its movements is then taken off the invoices it named, the rest off the oldest items."""
    today = timezone.localdate()
    on = on or today
    labels = dict(AccountEntry.Kind.choices)
    entries = list(
        AccountEntry.objects.filter(dealer=dealer, posted_on__lte=on)
        .order_by("posted_on", "id")
        .values_list("kind", "document_number", "posted_on", "due_on", "amount", "open_amount")
    )
    debits = [e for e in entries if e[4] > 0]
    credits = [e for e in entries if e[4] < 0]
    tracked = on >= today and bool(debits) and all(e[5] is not None for e in debits)
    items: list[OpenItem] = []

    def item(kind, number, posted_on, due_on, amount, left) -> OpenItem:
        return OpenItem(
            document_number=number,
            kind=kind,
            kind_label=str(labels.get(kind, kind)),
            posted_on=posted_on,
            due_on=due_on or posted_on,
            amount=amount,
            open_amount=left,
        )

    if tracked:
        items = [item(k, n, p, d, a, o) for k, n, p, d, a, o in debits if o > 0]
        unapplied = -sum((o for *_rest, o in credits if o is not None and o < 0), ZERO)
    else:
        pool = -sum((e[4] for e in credits), ZERO)
        for kind, number, posted_on, due_on, amount, _open in sorted(debits, key=lambda e: (e[3] or e[2], e[2])):
            settled = min(pool, amount)
            pool -= settled
            if amount - settled > 0:
                items.append(item(kind, number, posted_on, due_on, amount, amount - settled))
        unapplied = pool

    named, unnamed = _portal_collections(dealer)
    paid_in_portal = sum(named.values(), ZERO) + unnamed
    for open_item in items:
        paid = min(named.get(open_item.document_number, ZERO), open_item.open_amount)
        if paid:
            named[open_item.document_number] -= paid
            open_item.paid_in_portal += paid
            open_item.open_amount -= paid
    # What was named but matches no open item, and what was paid on account, settle the oldest items.
    rest = unnamed + sum(named.values(), ZERO)
    for open_item in sorted(items, key=lambda i: (i.due_on, i.posted_on)):
        if rest <= 0:
            break
        paid = min(rest, open_item.open_amount)
        open_item.paid_in_portal += paid
        open_item.open_amount -= paid
        rest -= paid
    unapplied += rest
    items = [i for i in items if i.open_amount > 0]

    totals = [ZERO] * len(BUCKETS)
    for open_item in items:
        open_item.days_overdue = (on - open_item.due_on).days
        totals[open_item.bucket] += open_item.open_amount
    items.sort(key=lambda i: (i.due_on, i.posted_on, i.document_number))
    return Ageing(
        on=on,
        currency=dealer.currency,
        items=items,
        buckets=[(str(label), totals[i]) for i, (label, _f, _l) in enumerate(BUCKETS)],
        total=sum(totals, ZERO),
        overdue=sum(totals[1:], ZERO),
        unapplied_credit=unapplied,
        paid_in_portal=paid_in_portal,
        from_erp_open_items=tracked,
        as_of=dealer.ledger_as_of,
    )


def invoice_open_amounts_from_ledger(dealer: Dealer, numbers=None) -> dict[str, Decimal] | None:
    """Open amounts per invoice from the ERP's movements, newest first, or None when the ERP sends no movements
    for this dealer (the caller then works from the invoices alone)."""
    if dealer.ledger_as_of is None and not AccountEntry.objects.filter(dealer=dealer).exists():
        return None
    ageing = open_items(dealer)
    wanted = None if numbers is None else set(numbers)
    result = {}
    for item in sorted(ageing.items, key=lambda i: (i.posted_on, i.document_number), reverse=True):
        if item.kind != AccountEntry.Kind.INVOICE or not item.document_number:
            continue
        if wanted is None or item.document_number in wanted:
            result[item.document_number] = result.get(item.document_number, ZERO) + item.open_amount
    return result


# --- Summary and live refresh ----------------------------------------------------------------------------


@dataclass
class AccountSummary:
    dealer: Dealer
    credit: CreditPosition
    overdue: Decimal
    open_total: Decimal
    ledger_as_of: datetime | None
    live_refresh: bool


def account_summary(dealer: Dealer, ageing: Ageing | None = None) -> AccountSummary:
    ageing = ageing or open_items(dealer)
    return AccountSummary(
        dealer=dealer,
        credit=credit_position(dealer),
        overdue=ageing.overdue,
        open_total=ageing.total,
        ledger_as_of=dealer.ledger_as_of,
        live_refresh=balance_connection(dealer) is not None,
    )


class RefreshRefused(Exception):
    """A live balance refresh that cannot be done now; the message says why, for the dealer."""


def balance_connection(dealer: Dealer):
    """The ERP connection that can tell this dealer's balance live, with the dealer's code in it, or None: the
    connection the dealer was imported through, else the default one, if its adapter offers a live balance."""
    from erpsync.adapters import adapter_classes
    from erpsync.adapters.base import Capability
    from erpsync.models import ErpConnection, ExternalRef

    ref = (
        ExternalRef.objects.filter(entity="customer", local_id=dealer.pk, connection__is_active=True)
        .select_related("connection")
        .first()
    )
    if ref is not None:
        connection, code = ref.connection, ref.external_id
    else:
        connection = ErpConnection.objects.filter(is_active=True, is_default=True).first()
        code = dealer.code
    if connection is None:
        return None
    cls = adapter_classes().get(connection.adapter)
    if cls is None or Capability.LIVE_BALANCE not in cls.capabilities:
        return None
    return connection, code


def dealer_balance_refresh(dealer: Dealer) -> Dealer:
    """Ask the ERP for the dealer's balance now and store it with its *as of* time. At most once a minute per
    dealer; an ERP that does not answer leaves the stored figures as they were and raises ``RefreshRefused``."""
    from erpsync.adapters import adapter_for
    from erpsync.adapters.base import Capability, ErpError

    found = balance_connection(dealer)
    if found is None:
        raise RefreshRefused(_("Your account's figures cannot be refreshed live; they come with the regular sync."))
    connection, code = found
    if not cache.add(f"dealer-balance-refresh:{dealer.pk}", 1, LIVE_REFRESH_SECONDS):
        raise RefreshRefused(_("The figures were refreshed less than a minute ago."))
    try:
        with adapter_for(connection) as adapter:
            if not adapter.supports(Capability.LIVE_BALANCE):
                raise RefreshRefused(
                    _("Your account's figures cannot be refreshed live; they come with the regular sync.")
                )
            record = adapter.live_balance(code)
    except (ErpError, OSError) as exc:
        logger.warning("Live balance of dealer %s from %s failed: %s", dealer.code, connection.code, exc)
        raise RefreshRefused(_("The ERP did not answer; the figures shown are the last ones it sent.")) from exc
    if record.currency and record.currency != dealer.currency:
        logger.warning(
            "Live balance of dealer %s came in %s, the account is in %s", dealer.code, record.currency, dealer.currency
        )
        raise RefreshRefused(_("The ERP answered in another currency; the figures shown are the last ones it sent."))
    as_of = record.as_of or timezone.now()
    updates = {"erp_balance": record.balance, "erp_balance_as_of": as_of, "updated_at": timezone.now()}
    if record.open_orders is not None and record.open_orders >= 0:
        updates.update(erp_open_orders=record.open_orders, erp_open_orders_as_of=as_of)
    # An older answer never overwrites a newer figure the sync stored meanwhile.
    Dealer.objects.filter(pk=dealer.pk).filter(
        Q(erp_balance_as_of__isnull=True) | Q(erp_balance_as_of__lte=as_of)
    ).update(**updates)
    dealer.refresh_from_db()
    return dealer


# --- Documents ---------------------------------------------------------------------------------------------


def documents_for_dealer_user(dealer_user):
    """The delivery notes, invoices and credit memos a dealer user may see: all of the dealer's for those who see
    the account; for a buyer, the documents of the orders they placed."""
    from dealers.access import scoped
    from dealers.models import DealerDocument

    documents = scoped(DealerDocument.objects.select_related("order"), dealer_user)
    if not dealer_user.can_see_account:
        documents = documents.filter(order__placed_by=dealer_user.user_id)
    return documents.order_by("-issued_on", "-id")
