"""The recurring orders' background work (django-q2), installed as a schedule after ``migrate`` (see ``apps.py``)."""

from __future__ import annotations

from b2bportal.schedules import schedules_ensure
from orders.services.recurring import recurring_runs_due

SCHEDULES = {
    # name: (function, minutes)
    "orders:recurring": ("orders.recurring_tasks.recurring_due", 60),
}


def recurring_due() -> int:
    """Run the recurring orders due today (the portal's time zone). Hourly, so a date runs within its first hour
    and a worker that was down catches up later the same day; a date runs once however often this is called.
    Returns how many runs were made."""
    return len(recurring_runs_due())


def schedules_install(**_kwargs) -> None:
    """Create the recurring orders' schedule when it is missing (``post_migrate``); staff may change its timing."""
    schedules_ensure(SCHEDULES)
