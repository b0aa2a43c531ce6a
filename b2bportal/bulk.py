"""Writing many rows fast: ``COPY`` on PostgreSQL, batched ``executemany`` elsewhere (SQLite in development).

For work that comes in bulk (imports, bank matching) where building a model instance per row and Django's
``bulk_create`` compilation would cost more than the database itself. Runs in the caller's transaction.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Mapping, Sequence

from django.db import connection as db
from django.db.models import JSONField, Model
from django.utils import timezone

SQLITE_BATCH = 500


def rows_insert(table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table``; returns how many were written."""
    quoted = ", ".join(db.ops.quote_name(c) for c in columns)
    written = 0
    if db.vendor == "postgresql":
        with (
            db.cursor() as cursor,
            cursor.cursor.copy(f"COPY {db.ops.quote_name(table)} ({quoted}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
                written += 1
        return written
    sql = f"INSERT INTO {db.ops.quote_name(table)} ({quoted}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
    iterator = iter(rows)
    with db.cursor() as cursor:
        while batch := list(itertools.islice(iterator, SQLITE_BATCH)):
            cursor.executemany(sql, batch)
            written += len(batch)
    return written


def model_rows_insert(model: type[Model], rows: Iterable[Mapping]) -> int:
    """Insert rows of ``model`` given as dicts of field names (attnames for foreign keys, e.g. ``dealer_id``).
    Fields a row leaves out take their default; ``auto_now``/``auto_now_add`` fields take the time now. No model
    instance is built and no signal is sent."""
    now = timezone.now()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    # Per field, once: the time now, or the attribute name, its default and whether it is JSON.
    plan = []
    for f in fields:
        stamped = getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        plan.append((stamped, f.attname, None if stamped else f.get_default(), isinstance(f, JSONField), f))
    missing = object()

    def values(row: Mapping) -> list:
        out = []
        for stamped, attname, default, is_json, f in plan:
            if stamped:
                out.append(now)
                continue
            raw = row.get(attname, missing)
            raw = default if raw is missing else raw
            out.append(json.dumps(raw, cls=f.encoder, ensure_ascii=False) if is_json and raw is not None else raw)
        return out

    return rows_insert(model._meta.db_table, [f.column for f in fields], (values(row) for row in rows))
