"""Calls and credit spent per ERP account and day (``ApiUsage``), shared by every worker and web process: the sync
health page shows today's figures; a run's own figures go into its summary. For ERPs that charge per call (DİA's
kontör) this is what the company pays for the portal's traffic."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from erpsync.models import ApiUsage


@dataclass(frozen=True)
class Usage:
    calls: int
    credits: Decimal


def api_usage_add(key: str, *, calls: int = 1, credits: Decimal = Decimal(0), day: date | None = None) -> None:
    """Count ``calls`` costing ``credits`` under ``key`` on ``day`` (today, local time, by default)."""
    day = day or timezone.localdate()
    changes = {"calls": F("calls") + calls, "credits": F("credits") + credits}
    if ApiUsage.objects.filter(key=key, day=day).update(**changes):
        return
    try:
        with transaction.atomic():
            ApiUsage.objects.create(key=key, day=day, calls=calls, credits=credits)
    except IntegrityError:  # another process made the day's row first
        ApiUsage.objects.filter(key=key, day=day).update(**changes)


def api_usage_on(key: str, day: date | None = None) -> Usage:
    """The calls and credit counted under ``key`` on ``day`` (today by default)."""
    row = ApiUsage.objects.filter(key=key, day=day or timezone.localdate()).values("calls", "credits").first()
    return Usage(row["calls"], row["credits"]) if row else Usage(0, Decimal(0))
