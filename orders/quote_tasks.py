"""Background work for quotes (django-q2), installed as schedules after ``migrate`` (see ``apps.py``)."""

from __future__ import annotations

from django.conf import settings

from b2bportal.schedules import schedules_ensure
from orders.services.quotes import quotes_expire_due, quotes_remind_expiring

SCHEDULES = {
    # name: (function, minutes)
    "orders:quotes": ("orders.quote_tasks.quotes_due", 60),
}


def quotes_due() -> int:
    """Expire the sent quotes past their validity date and remind dealers of those about to expire
    (``QUOTE_REMINDER_DAYS`` before). Hourly, so a quote expires within the hour after its last valid day; safe to
    run any number of times. Returns how many quotes expired."""
    expired = quotes_expire_due()
    quotes_remind_expiring(days=settings.QUOTE_REMINDER_DAYS)
    return expired


def schedules_install(**_kwargs) -> None:
    """Create the quote schedules that are missing (``post_migrate``); staff may change their timing."""
    schedules_ensure(SCHEDULES)
