"""Writes on dealers. Changes to what money depends on are audited in ``DealerChange``."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from dealers.audit import dealer_changes, dealer_changes_write
from dealers.models import Dealer, DealerChange

AS_OF_FIELDS = {"credit_limit": "credit_limit_as_of", "credit_hold": "credit_hold_as_of"}


@transaction.atomic
def dealer_save(
    *,
    dealer: Dealer,
    actor=None,
    source: str = DealerChange.Source.STAFF,
    reason: str = "",
    fields: Iterable[str] | None = None,
) -> Dealer:
    """Save a dealer, writing one ``DealerChange`` row per audited field whose value changed.

    Validates the whole record first (``full_clean``): an invalid tax number or a negative limit is
    refused with ``ValidationError`` and nothing is written.
    """
    dealer.full_clean()
    before = None
    if dealer.pk is not None:
        before = Dealer.objects.select_for_update(of=("self",)).filter(pk=dealer.pk).first()
    now = timezone.now()
    changes: list[DealerChange] = []
    if before is not None:
        changes = dealer_changes(before=before, after=dealer, actor=actor, source=source, reason=reason)
        if source == DealerChange.Source.STAFF:
            for change in changes:
                if change.field in AS_OF_FIELDS:
                    setattr(dealer, AS_OF_FIELDS[change.field], now)
    if fields is not None:
        update = (
            set(fields)
            | {c.field for c in changes}
            | {AS_OF_FIELDS[c.field] for c in changes if c.field in AS_OF_FIELDS}
        )
        update.add("updated_at")
        dealer.save(update_fields=sorted(update))
    else:
        dealer.save()
    dealer_changes_write(changes)
    return dealer
