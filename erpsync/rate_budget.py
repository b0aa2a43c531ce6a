"""A rate limit shared by every worker and web process: at most ``limit`` requests under one key (an ERP account)
in any ``window`` seconds, counted in the database (``RateBudget``), so that processes on one or several machines
stay within an ERP's published limit together.

``rate_budget_take`` waits (outside any transaction) until the request fits, then records it; the row lock makes
two processes see each other's requests. ``margin`` seconds are added to the window: a request recorded here
reaches the ERP a little later, and the ERP measures on its own clock."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.db import transaction

from erpsync.models import RateBudget


def _fit(key: str, *, limit: int, window: float, now: float) -> float:
    """Record a request at ``now`` if it fits (0.0), else how long to wait. One short transaction."""
    with transaction.atomic():
        RateBudget.objects.get_or_create(key=key)
        budget = RateBudget.objects.select_for_update().get(key=key)
        recent = sorted(moment for moment in budget.sent if moment > now - window)
        if len(recent) >= limit:
            wait = recent[len(recent) - limit] + window - now
            if recent != budget.sent:
                budget.sent = recent
                budget.save(update_fields=["sent", "updated_at"])
            return max(wait, 0.001)
        budget.sent = [*recent, now]
        budget.save(update_fields=["sent", "updated_at"])
        return 0.0


def rate_budget_take(
    key: str,
    *,
    limit: int,
    window: float,
    margin: float = 0.25,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
    max_wait: float = 120.0,
) -> float:
    """Wait until one more request under ``key`` fits and record it; returns the seconds waited. Refuses with
    ``TimeoutError`` after ``max_wait`` seconds (the caller turns that into a retry later)."""
    waited = 0.0
    while True:
        wait = _fit(key, limit=limit, window=window + margin, now=clock())
        if not wait:
            return waited
        if waited + wait > max_wait:
            raise TimeoutError(f"the rate budget {key} stays full for more than {max_wait:.0f} s")
        sleep(wait)
        waited += wait


def rate_budget_in_use(key: str, *, window: float, now: float | None = None) -> int:
    """How many requests under ``key`` were sent in the last ``window`` seconds (the sync health page shows it)."""
    now = time.time() if now is None else now
    sent = RateBudget.objects.filter(key=key).values_list("sent", flat=True).first() or []
    return sum(1 for moment in sent if moment > now - window)
