"""The drift check's connection settings (declared, with their defaults, in ``erpsync.common_settings``)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django.core.exceptions import ImproperlyConfigured

from erpsync.adapters import settings_for
from erpsync.common_settings import CommonSettings
from erpsync.models import ErpConnection

log = logging.getLogger(__name__)

DEFAULT_SCHEDULE_MINUTES = CommonSettings.drift_schedule_minutes.default

# Rows read or looked up at a time: the checks keep running sums, never a whole table or snapshot.
BATCH = 2000


@dataclass(frozen=True)
class DriftOptions:
    checks: tuple[str, ...]
    balance_tolerance: Decimal
    stock_tolerance: Decimal
    order_grace: timedelta
    live_balance: bool

    @classmethod
    def of(cls, connection: ErpConnection) -> DriftOptions:
        """The connection's drift settings (``erpsync.common_settings``); refuses values that are not numbers or
        not known checks."""
        options = settings_for(connection)
        return cls(
            checks=options.drift_checks,
            balance_tolerance=options.drift_balance_tolerance,
            stock_tolerance=options.drift_stock_tolerance,
            order_grace=timedelta(minutes=float(options.drift_order_grace_minutes)),
            live_balance=options.drift_live_balance,
        )


def drift_schedule_minutes(connection: ErpConnection) -> int:
    """How often the scheduled drift check runs for the connection, in minutes; 0 when it is off. A value that is
    not a whole number keeps the default (and says so in the log)."""
    try:
        return settings_for(connection).drift_schedule_minutes
    except ImproperlyConfigured as exc:
        log.warning("%s; checking hourly.", exc)
        return DEFAULT_SCHEDULE_MINUTES
