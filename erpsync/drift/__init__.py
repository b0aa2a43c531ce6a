"""Drift detection: does the portal still agree with the ERP?

Imports keep the portal in step with the ERP one entity at a time; a lost delta, a hand edit or a bug can still
leave the two apart without any run failing. ``drift_check`` compares what both sides hold now and opens a
``SyncIssue`` (entity "drift") for each disagreement above a tolerance; a disagreement seen again bumps the open
issue's ``occurrences``, and one that no longer holds is resolved. Three checks, each skipped (and the report
says why) when the ERP cannot answer it:

- ``balance``: per dealer, the balance the ERP sent (or, with ``drift_live_balance``, asked live) against the sum
  of the account movements the portal holds from this connection. Dealers without movements are not compared.
- ``stock``: per warehouse, on-hand and committed quantities summed over the ERP's full stock snapshot (read as a
  stream, never held whole) against the portal's stock levels.
- ``orders``: portal orders the ERP holds (exported, document number known, not yet closed) against the ERP's
  list of open orders, both ways.

Connection settings (all optional, declared in ``erpsync.common_settings``): ``drift_checks``,
``drift_balance_tolerance``, ``drift_stock_tolerance``, ``drift_order_grace_minutes``, ``drift_live_balance`` and
``drift_schedule_minutes``.

Modules: ``options`` (the settings), ``report`` (kinds of drift, what a check reports), ``balances``, ``stock`` and
``orders`` (one check each), ``run`` (``drift_check`` and the scheduled task) and ``health`` (for the sync health
page). The scheduled task is queued by its dotted name, ``erpsync.drift.run_drift_check``.
"""

from erpsync.drift.balances import check_balances
from erpsync.drift.health import DriftHealth, drift_health
from erpsync.drift.options import DEFAULT_SCHEDULE_MINUTES, DriftOptions, drift_schedule_minutes
from erpsync.drift.orders import check_orders
from erpsync.drift.report import (
    BALANCE_DRIFT,
    COMPARED,
    DRIFT_KINDS,
    FAILED,
    ORDER_NOT_OPEN_IN_ERP,
    ORDER_OPEN_ONLY_IN_ERP,
    SKIPPED,
    STOCK_DRIFT,
    DriftCheck,
    DriftReport,
)
from erpsync.drift.run import CHECKS, drift_check, run_drift_check
from erpsync.drift.stock import check_stock

# Where a retry of a drift issue queues a new check (looked up on this module, so it can be replaced in tests).
from erpsync.queueing import queue_drift_check

__all__ = [
    "BALANCE_DRIFT",
    "CHECKS",
    "COMPARED",
    "DEFAULT_SCHEDULE_MINUTES",
    "DRIFT_KINDS",
    "FAILED",
    "ORDER_NOT_OPEN_IN_ERP",
    "ORDER_OPEN_ONLY_IN_ERP",
    "SKIPPED",
    "STOCK_DRIFT",
    "DriftCheck",
    "DriftHealth",
    "DriftOptions",
    "DriftReport",
    "check_balances",
    "check_orders",
    "check_stock",
    "drift_check",
    "drift_health",
    "drift_schedule_minutes",
    "queue_drift_check",
    "run_drift_check",
]
