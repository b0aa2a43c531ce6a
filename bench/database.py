"""Database set-up shared by the benchmarks: each uses its own PostgreSQL database, never the test one."""

from __future__ import annotations


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
