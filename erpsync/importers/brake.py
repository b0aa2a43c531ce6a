"""The removal brake: whether a full import may remove what its snapshot no longer holds, all at once.

An ERP that sends an empty or broken list (a failed export, a wrong filter, a folder it could not read) looks like
an ERP that removed everything. A full import asks ``removal_brake`` before it removes records that are merely
missing; above the connection's share (``removal_brake_percent`` of ``removal_brake_minimum`` records or more) it
removes nothing and opens an issue for staff (``removal_held_issue``), resolved by the next full import that passes.
A change import (delta) never asks: it removes only what the ERP said is gone, one record at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from erpsync.common_settings import CommonSettings
from erpsync.issues import IssueDraft

REMOVAL_HELD = "removal_held"


@dataclass(frozen=True)
class BrakeVerdict:
    """``held``: remove nothing. ``removing`` of ``holding`` records would go (``percent`` of them)."""

    held: bool
    removing: int
    holding: int
    percent: Decimal
    limit: int


def removal_brake(*, options: CommonSettings, removing: int, holding: int) -> BrakeVerdict:
    """Whether removing ``removing`` of the ``holding`` records a full import would touch must be held back: more
    than ``removal_brake_percent`` of them, and at least ``removal_brake_minimum``. Nothing to remove is never
    held; a limit of 100 never holds."""
    limit = options.removal_brake_percent
    percent = (Decimal(removing) * 100 / holding).quantize(Decimal("0.1"), ROUND_HALF_UP) if holding else Decimal(0)
    held = bool(removing) and limit < 100 and removing >= options.removal_brake_minimum and percent > limit
    return BrakeVerdict(held=held, removing=removing, holding=holding, percent=percent, limit=limit)


def removal_held_issue(*, entity: str, key: str, subject: str, verdict: BrakeVerdict, source: str) -> IssueDraft:
    """The issue staff see when the brake held a removal (one per entity and ``key``, seen again while it lasts):
    ``subject`` (in the reader's words) would have gone from how many products, and what to do about it."""
    return IssueDraft(
        entity=entity,
        code=REMOVAL_HELD,
        external_id=key,
        message=_(
            "%(subject)s: the full import would have removed them from %(removing)s of %(holding)s products "
            "(%(percent)s%%, more than the %(limit)s%% allowed at once), so nothing was removed. Check what the ERP "
            "sends; if the removal is right, raise the connection's removal_brake_percent for one full import."
        )
        % {
            "subject": subject,
            "removing": verdict.removing,
            "holding": verdict.holding,
            "percent": verdict.percent,
            "limit": verdict.limit,
        },
        payload={
            "source": source,
            "removing": verdict.removing,
            "holding": verdict.holding,
            "percent": str(verdict.percent),
            "limit": verdict.limit,
        },
    )
