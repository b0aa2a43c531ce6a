"""The back-in-stock alerts' background work (django-q2): the check of every open alert, installed as a schedule
after ``migrate``, and the check of a few products queued by a stock import when it commits."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial

from django.db import transaction
from django_q.tasks import async_task

from b2bportal.schedules import schedules_ensure
from catalog.stock_alerts import products_with_open_alerts, stock_alerts_check

log = logging.getLogger(__name__)
# Products per queued check: a full stock snapshot that restocks thousands of awaited products makes several tasks.
QUEUE_BATCH = 500

SCHEDULES = {
    # name: (function, minutes)
    "catalog:stock-alerts": ("catalog.stock_alert_tasks.stock_alerts_due", 5),
}


def stock_alerts_due() -> int:
    """Tell the users whose product is back in stock (see ``catalog.stock_alerts``); safe to run twice at once.
    Returns how many were told."""
    return stock_alerts_check()


def stock_alerts_queue(product_ids: Iterable[int]) -> int:
    """Queue a check of the alerts of ``product_ids`` (those someone is waiting for) for when the caller's
    transaction commits: the stock it changed is then visible, and a rolled-back change queues nothing. Returns
    how many products will be checked. Told once all the same: the check closes each alert as it tells it."""
    waited_for = products_with_open_alerts(product_ids)
    for start in range(0, len(waited_for), QUEUE_BATCH):
        transaction.on_commit(partial(_queue, waited_for[start : start + QUEUE_BATCH]), robust=True)
    return len(waited_for)


def _queue(product_ids: list[int]) -> None:
    try:
        async_task("catalog.stock_alert_tasks.stock_alerts_back", product_ids, task_name="stock-alerts-back")
    except Exception:
        # The queue itself is unreachable: the scheduled check tells these users a few minutes later.
        log.exception("back-in-stock check of products %s could not be queued; the schedule will do it", product_ids)


def stock_alerts_back(product_ids: list[int]) -> int:
    """Tell the users waiting for ``product_ids`` whose product is back (see ``catalog.stock_alerts``); safe to run
    twice, and alongside the scheduled check. Returns how many were told."""
    return stock_alerts_check(product_ids=product_ids)


def schedules_install(**_kwargs) -> None:
    """Create the alerts' schedule when it is missing (``post_migrate``); staff may change its timing."""
    schedules_ensure(SCHEDULES)
