"""Writing the portal's own demo rows: insert what is missing by natural key, never overwrite."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime
from typing import TextIO

from django.db import models

BATCH_SIZE = 500  # SQLite caps the number of variables per statement.


@dataclass
class Context:
    rng: random.Random
    now: datetime
    today: date
    out: TextIO | None

    def log(self, message: str) -> None:
        if self.out is not None:
            self.out.write(message + "\n")


def insert_missing(ctx: Context, objects: list[models.Model], key_fields: tuple[str, ...]) -> None:
    """Bulk-insert the portal's objects whose natural key is not in the table yet, and log how many.

    Keys are compared in Python rather than with ``ignore_conflicts`` because SQLite ignores
    ``nulls_distinct=False``, so a row with a NULL in its key would be inserted twice there.
    """
    if not objects:
        return
    model = type(objects[0])
    existing = set(model.objects.values_list(*key_fields))
    missing = []
    for obj in objects:
        key = tuple(getattr(obj, name) for name in key_fields)
        if key not in existing:
            existing.add(key)
            missing.append(obj)
    model.objects.bulk_create(missing, batch_size=BATCH_SIZE)
    ctx.log(f"  {model._meta.label}: {len(missing)} created, {len(objects) - len(missing)} already there")


def ids(model: type[models.Model], key: str = "code") -> dict:
    return dict(model.objects.values_list(key, "id"))
