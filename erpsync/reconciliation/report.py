"""What the reconciliation reports share: their shape, the totals rows, chunked reading and the flags of an ERP
collection."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from b2bportal.spreadsheets import SummaryRow
from erpsync.models import ReconciliationExport, SyncJob

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


def payload_amount(payload: dict) -> Decimal:
    try:
        return Decimal(str(payload.get("amount", "0")))
    except (InvalidOperation, ValueError):
        return ZERO


def differs(a: Decimal, b: Decimal) -> bool:
    return abs(a - b) > TOLERANCE


class Totals:
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


def job_status_labels() -> dict[str, str]:
    return {value: str(label) for value, label in SyncJob.Status.choices}


def collection_flags(jobs: list[tuple[str, str, str, Decimal]], expected: Decimal, received: Decimal) -> list[str]:
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
    elif differs(expected, received):
        reasons.append(_("amounts differ"))
    return reasons
