"""Task schedules an app needs, created after ``migrate`` when missing; staff may change their timing afterwards."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def schedules_ensure(schedules: Mapping[str, tuple[str, int]], **options: Any) -> None:
    """Create each ``name: (function path, minutes)`` schedule that does not exist yet, repeating for ever;
    ``options`` are further ``Schedule`` fields (``intended_date_kwarg``…)."""
    from django_q.models import Schedule  # django-q2's models load only once the apps are ready

    for name, (func, minutes) in schedules.items():
        Schedule.objects.get_or_create(
            name=name,
            defaults={"func": func, "schedule_type": Schedule.MINUTES, "minutes": minutes, "repeats": -1, **options},
        )
