"""Writes on dealers. Changes to what money depends on are audited in ``DealerChange``."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from dealers.models import Dealer, DealerChange

# Fields whose every change is recorded: who, when, old → new.
AUDITED_FIELDS = (
    "credit_limit",
    "credit_hold",
    "credit_hold_reason",
    "price_list",
    "payment_terms",
    "currency",
    "status",
    "requires_manual_review",
)
AS_OF_FIELDS = {"credit_limit": "credit_limit_as_of", "credit_hold": "credit_hold_as_of"}


def _value(dealer: Dealer, field: str):
    """The stored value: the id for a relation, so 100000 and 100000.00 compare equal."""
    return Dealer._meta.get_field(field).value_from_object(dealer)


def _display(dealer: Dealer, field: str) -> str:
    value = getattr(dealer, field)
    if value is None:
        return ""
    return str(value)


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
        for field in AUDITED_FIELDS:
            if _value(before, field) != _value(dealer, field):
                old, new = _display(before, field), _display(dealer, field)
                changes.append(
                    DealerChange(
                        dealer=dealer,
                        field=field,
                        old_value=old,
                        new_value=new,
                        actor=actor,
                        source=source,
                        reason=reason,
                    )
                )
                as_of = AS_OF_FIELDS.get(field)
                if as_of and source == DealerChange.Source.STAFF:
                    setattr(dealer, as_of, now)
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
    DealerChange.objects.bulk_create(changes)
    return dealer
