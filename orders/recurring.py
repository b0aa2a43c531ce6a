"""Which dates a recurring order runs on: every N weeks counted from its first date, or a day of the month (29, 30
and 31 fall on the month's last day in months that are shorter), from its first date to its last date when it
has one. Pure date arithmetic, no queries; the runs themselves are ``orders.services.recurring``."""

from __future__ import annotations

import calendar
import datetime as dt

WEEKLY, MONTHLY = "weekly", "monthly"
# How far ahead ``next_run_on`` looks: more than any schedule's period.
HORIZON_DAYS = 800


def day_in_month(year: int, month: int, day_of_month: int) -> int:
    """``day_of_month`` in that month, the month's last day when the month is shorter."""
    return min(day_of_month, calendar.monthrange(year, month)[1])


def is_due(recurring, day: dt.date) -> bool:
    """Whether ``recurring`` runs on ``day`` by its dates and period (paused or not)."""
    if day < recurring.start_date or (recurring.end_date is not None and day > recurring.end_date):
        return False
    if recurring.frequency == MONTHLY:
        return day.day == day_in_month(day.year, day.month, recurring.day_of_month)
    return (day - recurring.start_date).days % (7 * recurring.interval_weeks) == 0


def next_run_on(recurring, after: dt.date) -> dt.date | None:
    """The first date on or after ``after`` when ``recurring`` runs; None when it never runs again (past its last
    date) or is paused."""
    if not recurring.is_active:
        return None
    day = max(after, recurring.start_date)
    for _ in range(HORIZON_DAYS):
        if recurring.end_date is not None and day > recurring.end_date:
            return None
        if is_due(recurring, day):
            return day
        day += dt.timedelta(days=1)
    return None


def is_clamped(day_of_month: int | None) -> bool:
    """Whether a monthly day falls on an earlier day in some months (29, 30, 31)."""
    return day_of_month is not None and day_of_month > 28
