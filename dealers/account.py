"""A dealer's account (cari hesap) as the ERP keeps it: the statement of account for a period, the ageing
buckets, and the documents a dealer user may see.

The movements are the ERP's (``AccountEntry``, imported by the sync). What is still open — which needs the payments
made in the portal since the ERP last sent its movements — is decided in ``payments.receivables``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Prefetch, Sum
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from b2bportal.spreadsheets import SummaryRow
from dealers.access import scoped
from dealers.models import AccountEntry, Dealer, DealerDocument, DealerDocumentLine

ZERO = Decimal("0.00")

# (label, first day overdue, last day overdue or None); "current" is not yet due (0 days or fewer).
BUCKETS: tuple[tuple[str, int | None, int | None], ...] = (
    (gettext_lazy("Current"), None, 0),
    (gettext_lazy("1–30 days"), 1, 30),
    (gettext_lazy("31–60 days"), 31, 60),
    (gettext_lazy("61–90 days"), 61, 90),
    (gettext_lazy("Over 90 days"), 91, None),
)


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
    made_at: datetime | None = None

    @property
    def currency(self) -> str:
        return self.dealer.currency


def statement_lines(
    dealer: Dealer, date_from: date, date_to: date, opening: Decimal, *, leave_out: frozenset[int] = frozenset()
) -> Iterator[StatementLine]:
    """The movements of the period in booking order (less the ids in ``leave_out``), each with the running balance
    after it. Streams from the database (a year of a busy dealer is thousands of lines)."""
    labels = dict(AccountEntry.Kind.choices)
    balance = opening
    rows = (
        AccountEntry.objects.filter(dealer=dealer, posted_on__gte=date_from, posted_on__lte=date_to)
        .exclude(pk__in=leave_out)
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


def statement_leading_openings(dealer: Dealer, date_from: date, date_to: date) -> dict[int, Decimal]:
    """The ERP's own opening movements (devir) that open the period: booked in it before, or on the day of, its
    first other movement. They are the carried balance, so the statement shows them in its one opening row
    instead of a second "opening balance" line; an opening booked after other movements (a new fiscal year in
    the middle of the period) stays a line. Id → amount."""
    in_period = AccountEntry.objects.filter(dealer=dealer, posted_on__gte=date_from, posted_on__lte=date_to)
    first_other = (
        in_period.exclude(kind=AccountEntry.Kind.OPENING).order_by("posted_on").values_list("posted_on", flat=True)
    ).first()
    openings = in_period.filter(kind=AccountEntry.Kind.OPENING)
    if first_other is not None:
        openings = openings.filter(posted_on__lte=first_other)
    return dict(openings.values_list("pk", "amount"))


STATEMENT_COLUMNS = (
    gettext_lazy("Date"),
    gettext_lazy("Kind"),
    gettext_lazy("Document"),
    gettext_lazy("Description"),
    gettext_lazy("Due date"),
    pgettext_lazy("account column", "Debit"),
    pgettext_lazy("account column", "Credit"),
    pgettext_lazy("account column", "Balance"),
)
STATEMENT_MONEY_COLUMNS = (5, 6, 7)


def statement_table(result: Statement) -> Iterator[tuple]:
    """The statement as spreadsheet rows under ``STATEMENT_COLUMNS``: the opening balance, every movement, then the
    totals with the closing balance (those two as ``SummaryRow``)."""
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
    """The statement of account for ``date_from``–``date_to`` (both included): one opening balance (what was booked
    before the period, with the ERP's own opening movements that open it), every movement with its running
    balance, totals and closing balance (opening + debits − credits). Refuses a reversed period."""
    if date_from > date_to:
        raise ValueError(_("The period starts after it ends."))
    leading = statement_leading_openings(dealer, date_from, date_to)
    opening = statement_opening(dealer, date_from) + sum(leading.values(), ZERO)
    lines = list(statement_lines(dealer, date_from, date_to, opening, leave_out=frozenset(leading)))
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
        made_at=timezone.now(),
    )


# --- Documents ---------------------------------------------------------------------------------------------


def document_get_for_dealer_user(dealer_user, pk: int) -> DealerDocument:
    """One document the dealer user may see (``documents_for_dealer_user``) with its dealer, order and lines (each
    with its product), in three queries whatever the number of lines; 404 for any other."""
    lines = DealerDocumentLine.objects.select_related("product").order_by("line_no")
    return get_object_or_404(
        documents_for_dealer_user(dealer_user)
        .select_related("dealer")
        .prefetch_related(Prefetch("lines", queryset=lines, to_attr="line_list")),
        pk=pk,
    )


def documents_for_dealer_user(dealer_user):
    """The delivery notes, invoices and credit memos a dealer user may see: all of the dealer's for those who see
    the account; for a buyer, the documents of the orders they placed."""
    documents = scoped(DealerDocument.objects.select_related("order"), dealer_user)
    if not dealer_user.can_see_account:
        documents = documents.filter(order__placed_by=dealer_user.user_id)
    return documents.order_by("-issued_on", "-id")
