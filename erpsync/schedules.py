"""When each connection syncs what: declared here, installed into django-q2's schedule table by
``manage.py erpsync schedules --install``.

Defaults (minutes): stock every minute, prices every 15, customers and credit hourly, a nightly full reconcile of
everything the adapter reads, an hourly drift check (``erpsync.drift``), and the outbox drained every minute. A
connection overrides an entity's interval in its settings, ``{"schedules": {"stock": 5, "invoice": 0}}`` (0 turns
it off), the reconcile hour with ``{"reconcile_hour": 3}`` and the drift check's interval with
``{"drift_schedule_minutes": 240}`` (0 turns it off); all three are declared in ``erpsync.common_settings``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from erpsync.adapters import adapter_classes, credentials_for
from erpsync.common_settings import SCHEDULE_MINUTES
from erpsync.drift import drift_schedule_minutes
from erpsync.importers import IMPORTERS
from erpsync.models import ErpConnection

PREFIX = "erpsync:"


@dataclass(frozen=True)
class Planned:
    name: str
    func: str
    args: str
    minutes: int | None  # None: daily
    first_run: datetime


def _next_at(hour: int, now: datetime) -> datetime:
    local = timezone.localtime(now)
    at = timezone.make_aware(datetime.combine(local.date(), time(hour)), local.tzinfo)
    return at if at > local else at + timedelta(days=1)


def planned_schedules(now: datetime | None = None) -> list[Planned]:
    """Every schedule the active connections need, in a stable order. Entities the adapter cannot read are left
    out; an unknown adapter plans nothing (the connection's test in the admin says why)."""

    now = now or timezone.now()
    classes = adapter_classes()
    plans = [Planned(f"{PREFIX}outbox", "erpsync.tasks.drain_outbox", "", 1, now)]
    for connection in ErpConnection.objects.filter(is_active=True).order_by("code"):
        cls = classes.get(connection.adapter)
        if cls is None:
            continue
        try:
            adapter = cls(settings=connection.settings, credentials=credentials_for(connection.credentials_ref))
        except ImproperlyConfigured:
            continue  # the connection's test in the admin says what is missing
        options = adapter.common
        readable = [e for e in IMPORTERS if adapter.can_read(e)]
        if connection.adapter == "file":
            # EDI orders in the per-dealer drop folders (erpsync.adapters.file.edi_inbox).
            plans.append(
                Planned(f"{PREFIX}{connection.code}:edi", "erpsync.tasks.run_edi_inbox", f"{connection.pk}", 1, now)
            )
        for entity in readable:
            minutes = options.schedules.get(entity, SCHEDULE_MINUTES.get(entity, 60))
            if minutes <= 0:
                continue
            plans.append(
                Planned(
                    f"{PREFIX}{connection.code}:{entity}",
                    "erpsync.tasks.run_import",
                    f"{connection.pk}, {entity!r}",
                    minutes,
                    now,
                )
            )
        if readable:
            hour = options.reconcile_hour
            plans.append(
                Planned(
                    f"{PREFIX}{connection.code}:reconcile",
                    "erpsync.tasks.run_reconcile",
                    f"{connection.pk}",
                    None,
                    _next_at(hour, now),
                )
            )
            drift_minutes = drift_schedule_minutes(connection)
            if drift_minutes > 0:
                plans.append(
                    Planned(
                        f"{PREFIX}{connection.code}:drift",
                        "erpsync.drift.run_drift_check",
                        f"{connection.pk}",
                        drift_minutes,
                        now,
                    )
                )
    return plans


@transaction.atomic
def schedules_install() -> tuple[int, int, int]:
    """Make django-q2's schedules match ``planned_schedules``: create the missing, update the changed, delete the
    erpsync schedules no longer planned. Returns (created, updated, deleted)."""
    from django_q.models import Schedule

    plans = {p.name: p for p in planned_schedules()}
    existing = {s.name: s for s in Schedule.objects.filter(name__startswith=PREFIX)}
    created = updated = 0
    for name, plan in plans.items():
        kind = Schedule.MINUTES if plan.minutes else Schedule.DAILY
        values = {"func": plan.func, "args": plan.args or None, "schedule_type": kind, "minutes": plan.minutes}
        current = existing.get(name)
        if current is None:
            Schedule.objects.create(name=name, repeats=-1, next_run=plan.first_run, **values)
            created += 1
        elif any(getattr(current, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(current, k, v)
            current.save()
            updated += 1
    stale = [s.pk for n, s in existing.items() if n not in plans]
    Schedule.objects.filter(pk__in=stale).delete()
    return created, updated, len(stale)
