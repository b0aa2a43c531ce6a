"""The back-in-stock alerts' background work (django-q2), installed as a schedule after ``migrate``."""

from __future__ import annotations

from b2bportal.schedules import schedules_ensure
from catalog.stock_alerts import stock_alerts_check

SCHEDULES = {
    # name: (function, minutes)
    "catalog:stock-alerts": ("catalog.stock_alert_tasks.stock_alerts_due", 5),
}


def stock_alerts_due() -> int:
    """Tell the users whose product is back in stock (see ``catalog.stock_alerts``); safe to run twice at once.
    Returns how many were told."""
    return stock_alerts_check()


def schedules_install(**_kwargs) -> None:
    """Create the alerts' schedule when it is missing (``post_migrate``); staff may change its timing."""
    schedules_ensure(SCHEDULES)
