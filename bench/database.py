"""Database set-up shared by the benchmarks: each uses its own PostgreSQL database, never the test one."""

from __future__ import annotations

import os
import platform
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


def drop_database(url: str) -> None:
    """Drop the benchmark database (only one named *bench*)."""
    from psycopg import sql as pgsql

    conn, name = maintenance_connection(url)
    with conn:
        if "bench" not in name:
            raise BenchError(f"Refusing to drop {name!r}: the benchmark only drops a database named *bench*.")
        conn.execute(pgsql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(pgsql.Identifier(name)))


def sql(statement: str, params=None) -> list[tuple]:
    """Run one statement on Django's connection; its rows, if any."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


class SqlTimer:
    """An ``execute_wrapper``: the time of every SQL statement Django runs (COPY streams are not among them)."""

    def __init__(self):
        self.statements: list[tuple[float, str]] = []
        self.commits = 0.0

    def __call__(self, execute, statement, params, many, context):
        started = time.perf_counter()
        try:
            return execute(statement, params, many, context)
        finally:
            self.statements.append((time.perf_counter() - started, statement))

    @property
    def total(self) -> float:
        return sum(s for s, _ in self.statements)


def machine_facts() -> str:
    """CPUs, OS, PostgreSQL version and the settings that matter for bulk writes, Python, Django, load average."""
    import django

    settings = dict(
        sql(
            "SELECT name, setting || COALESCE(unit, '') FROM pg_settings WHERE name IN "
            "('shared_buffers', 'work_mem', 'maintenance_work_mem', 'synchronous_commit', 'max_wal_size')"
        )
    )
    version = sql("SHOW server_version")[0][0]
    return (
        f"{os.cpu_count()} CPUs, {platform.system()} {platform.machine()}, PostgreSQL {version} ("
        + ", ".join(f"{k} {v}" for k, v in sorted(settings.items()))
        + f"), Python {platform.python_version()}, Django {django.get_version()}; load average now "
        + " / ".join(f"{load:.1f}" for load in os.getloadavg())
    )


def setup_django(url: str, credentials_ref: str, **credentials: str) -> None:
    """Django on the benchmark database (see ``django_environment``), e-mail kept in memory, the ERP connection's
    ``credentials`` in the environment under ``credentials_ref`` as in production (``USERNAME`` →
    ``<credentials_ref>_USERNAME``)."""
    django_environment(
        url,
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        **{f"{credentials_ref}_{key}": value for key, value in credentials.items()},
    )
    import django

    django.setup()


def run(url: str, measure, *, keep: bool, stop=None, drop_also=None) -> int:
    """Create the benchmark database afresh and run ``measure()``, which returns the problems it found; then, come
    what may, ``stop()``, close Django's connections and, unless ``keep``, ``drop_also()`` and drop the database.
    The exit status: 1 when the benchmark failed or found problems (printed), else 0."""
    try:
        ensure_database(url, drop=True)
        problems = measure()
    except BenchError as exc:
        print(f"\nBENCHMARK FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        if stop is not None:
            stop()
        if "django" in sys.modules:
            from django.db import connections

            connections.close_all()
        if not keep:
            try:
                if drop_also is not None:
                    drop_also()
                drop_database(url)
            except BenchError as exc:
                print(f"Could not drop the benchmark database: {exc}", file=sys.stderr)
    if problems:
        print("\nBENCHMARK FAILED:\n  " + "\n  ".join(problems), file=sys.stderr)
        return 1
    return 0
