"""The kernel's background work (django-q2): the worker heartbeat, installed as a schedule after ``migrate``."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from b2bportal.database import retry_when_locked
from b2bportal.models import WorkerHeartbeat
from b2bportal.schedules import schedules_ensure

HEARTBEAT_SCHEDULE = "portal:heartbeat"
HEARTBEAT_FUNC = "b2bportal.tasks.worker_heartbeat"
HEARTBEAT_KEEP = timedelta(days=1)


@retry_when_locked
def worker_heartbeat(scheduled_for: str | datetime | None = None) -> int:
    """Record that a worker ran this task (for the schedule's run due at ``scheduled_for``) and forget runs older
    than a day, in one transaction (run again whole when SQLite stays locked). Returns the new row's id."""
    now = timezone.now()
    if isinstance(scheduled_for, str):
        scheduled_for = parse_datetime(scheduled_for)
    with transaction.atomic():
        beat = WorkerHeartbeat.objects.create(
            scheduled_for=scheduled_for, ran_at=now, worker=f"{socket.gethostname()}:{os.getpid()}"[:100]
        )
        WorkerHeartbeat.objects.filter(ran_at__lt=now - HEARTBEAT_KEEP).delete()
    return beat.pk


def schedules_install(**_kwargs) -> None:
    """Create the heartbeat schedule when missing (``post_migrate``): every minute, told the time it was due."""
    schedules_ensure({HEARTBEAT_SCHEDULE: (HEARTBEAT_FUNC, 1)}, intended_date_kwarg="scheduled_for")
