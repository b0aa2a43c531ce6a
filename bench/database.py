"""Database set-up shared by the benchmarks: each uses its own PostgreSQL database, never the test one."""

from __future__ import annotations

import os
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_MODULE = "b2bportal.settings.base"


class BenchError(Exception):
    """The benchmark cannot give a meaningful figure; the message says why."""


def maintenance_connection(url: str):
    """An autocommit connection to the server's ``postgres`` database, and the benchmark database's name."""
    import dj_database_url
    import psycopg

    db = dj_database_url.parse(url)
    if db["ENGINE"] != "django.db.backends.postgresql":
        raise BenchError(f"The benchmark database URL must point at PostgreSQL, got {db['ENGINE']}")
    conn = psycopg.connect(
        host=db["HOST"], port=db["PORT"] or 5432, user=db["USER"], password=db["PASSWORD"] or None, dbname="postgres"
    )
    conn.autocommit = True
    return conn, db["NAME"]


def ensure_database(url: str, *, drop: bool) -> None:
    """Create the benchmark database if missing; with ``drop``, drop it first."""
    from psycopg import sql

    conn, name = maintenance_connection(url)
    with conn:
        if drop:
            if "bench" not in name:
                raise BenchError(f"Refusing to drop {name!r}: the benchmark only drops a database named *bench*.")
            print(f"Dropping database {name}")
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            print(f"Creating database {name}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def django_environment(url: str, **extra: str) -> None:
    """Point Django, before ``django.setup()``, at the benchmark database: development settings with DEBUG off,
    the in-process cache, quiet logs, and ``extra`` environment variables on top."""
    os.environ["DJANGO_SETTINGS_MODULE"] = SETTINGS_MODULE
    os.environ["DATABASE_URL"] = url
    os.environ["DEBUG"] = "0"
    os.environ.pop("REDIS_URL", None)  # the default in-process cache (locmem) and the ORM broker
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # WhiteNoise warns that collectstatic has not run; static files play no part in the benchmarks.
    os.environ["PYTHONWARNINGS"] = "ignore:No directory at"
    warnings.filterwarnings("ignore", message="No directory at")
    os.environ.update(extra)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


def migrate() -> None:
    from django.core.management import call_command

    started = time.monotonic()
    call_command("migrate", interactive=False, verbosity=0)
    print(f"Migrated in {time.monotonic() - started:.1f} s")
