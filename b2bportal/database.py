"""The database connection settings, and the rules that let the embedded SQLite file be shared by the web server and
the task worker without losing work.

SQLite allows one writer at a time. Each connection to a SQLite file therefore:

- uses write-ahead logging (``journal_mode=WAL``): readers never block the writer nor the writer the readers;
- waits up to ``SQLITE_BUSY_TIMEOUT`` seconds for the write lock instead of failing at once;
- starts every transaction with ``BEGIN IMMEDIATE``: a transaction that reads and then writes takes the write lock
  up front, so it waits its turn rather than failing with "database is locked" when it tries to upgrade (which no
  timeout can cure).

The task worker runs one worker process on SQLite (more only add waiting), and tasks that write are wrapped in
``retry_when_locked``. PostgreSQL needs none of this and is left as configured.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

import dj_database_url
from django.db import OperationalError

log = logging.getLogger(__name__)

SQLITE_ENGINE = "django.db.backends.sqlite3"
SQLITE_BUSY_TIMEOUT = 30  # seconds a connection waits for the write lock
SQLITE_INIT_COMMAND = "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL"
LOCKED_RETRIES = 5

F = TypeVar("F", bound=Callable[..., Any])


def is_sqlite(database: dict[str, Any]) -> bool:
    return database.get("ENGINE") == SQLITE_ENGINE


def database_from_url(url: str, *, conn_max_age: int = 0, busy_timeout: int = SQLITE_BUSY_TIMEOUT) -> dict[str, Any]:
    """``DATABASES["default"]`` for ``url``; a SQLite file gets WAL, a busy timeout and immediate transactions."""
    database = dj_database_url.parse(url, conn_max_age=conn_max_age)
    if is_sqlite(database):
        database["OPTIONS"] = {
            "init_command": SQLITE_INIT_COMMAND,
            "transaction_mode": "IMMEDIATE",
            "timeout": busy_timeout,
            **database.get("OPTIONS", {}),
        }
    return database


def task_workers(database: dict[str, Any], configured: int | None, default: int = 2) -> int:
    """How many django-q2 worker processes to run: ``configured`` (``Q_WORKERS``) when set, else one on SQLite
    (a single writer at a time) and ``default`` elsewhere."""
    if configured is not None:
        return configured
    return 1 if is_sqlite(database) else default


def is_locked_error(exc: BaseException) -> bool:
    """SQLite's "database is locked" (or "busy"): the write lock was not free within the busy timeout."""
    message = str(exc).lower()
    return isinstance(exc, OperationalError) and ("database is locked" in message or "database is busy" in message)


def retry_when_locked(func: F) -> F:
    """Run ``func`` again (up to ``LOCKED_RETRIES`` times, waiting longer each time) when SQLite answers "database is
    locked"; any other error, and the last lock error, is raised. For task entry points, which run outside any
    transaction: each attempt is a fresh start."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        for attempt in range(LOCKED_RETRIES + 1):
            try:
                return func(*args, **kwargs)
            except OperationalError as exc:
                if not is_locked_error(exc) or attempt == LOCKED_RETRIES:
                    raise
                delay = min(0.5 * 2**attempt, 10.0)
                log.warning("%s: the database is locked; trying again in %.1f s", func.__qualname__, delay)
                time.sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    return wrapper  # type: ignore[return-value]
