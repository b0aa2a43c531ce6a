"""The balances report: each dealer's ERP balance against the sum of the account movements the ERP sent."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dealers.models import AccountEntry, Dealer
from erpsync.reconciliation.report import CHUNK, ZERO, Column, Totals, chunked, differs


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
    dealers = Dealer.objects.all()
    return dealers.filter(pk=export.dealer_id) if export.dealer_id else dealers


def balance_count(export) -> int:
    return _dealers(export).count()


def balance_rows(export) -> Iterator[tuple]:
    """One row per dealer, as things stand now (the period does not apply), then the totals. Positive amounts:
    the dealer owes. Movements in another currency than the dealer's are left out of the sum and flagged."""
    columns = balance_columns(export)
    totals = Totals(len(columns), [i for i, c in enumerate(columns) if c.money])
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
            if differs(balance, movements):
                reasons.append(disagree if mine else unsynced)
            if others:
                reasons.append(_("movements in another currency: %(currencies)s") % {"currencies": ", ".join(others)})
            row = (code, title, currency, balance, balance_as_of, movements, count, ledger_as_of, difference,
                   "; ".join(reasons))  # fmt: skip
            totals.add(currency, row, bool(row[-1]))
            yield row
    yield from totals.rows(currency_column=2)
