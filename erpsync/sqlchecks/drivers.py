"""Running one statement on the ERP's database, read-only, with a time limit, and nothing left behind.

- PostgreSQL (psycopg): ``SET TRANSACTION READ ONLY`` and ``SET LOCAL statement_timeout`` in the statement's
  transaction, rolled back at the end.
- MariaDB / MySQL (PyMySQL): ``START TRANSACTION READ ONLY`` and the session's time limit
  (``max_statement_time`` in seconds on MariaDB, ``max_execution_time`` in milliseconds on MySQL), rolled back.
  TLS follows the URL's ``?ssl=required|disabled|preferred`` (see ``_mysql_tls``).
- SQL Server (pymssql): login and query timeouts, ``SET TRANSACTION ISOLATION LEVEL READ COMMITTED`` and
  ``SET LOCK_TIMEOUT``, rolled back. SQL Server is not run where the portal is tested; only the statements sent
  to it are (``session_statements``).

Values are bound by the driver (``%s`` placeholders, see ``statements.bind``). Every connection is opened for one
check and closed after it: checks are rare (they are cached) and a pooled connection to an ERP database is one
more thing to leak.
"""

from __future__ import annotations

import math
import ssl
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import psycopg
import pymssql
import pymysql

from erpsync.sqlchecks.statements import bind

SCHEMES = {
    "postgresql": "postgresql",
    "postgres": "postgresql",
    "mysql": "mysql",
    "mariadb": "mysql",
    "mssql": "mssql",
    "sqlserver": "mssql",
}
CONNECT_SECONDS = 3


class DatabaseFailed(Exception):
    """The ERP database could not be reached, or the statement failed or ran out of time."""


@dataclass(frozen=True)
class Result:
    columns: list[str]  # lower case
    rows: list[tuple[Any, ...]]


def url_dialect(url: str) -> str:
    scheme = urlsplit(url).scheme.split("+")[0].lower()
    if scheme not in SCHEMES:
        raise DatabaseFailed(f"the database URL's scheme {scheme!r} is not one of {', '.join(sorted(SCHEMES))}.")
    return SCHEMES[scheme]


def session_statements(dialect: str, timeout_ms: int, *, mariadb: bool = True) -> list[str]:
    """What is sent before the check's statement, in its transaction (numbers only: nothing here comes from a
    user)."""
    timeout_ms = int(timeout_ms)
    if dialect == "postgresql":
        return ["SET TRANSACTION READ ONLY", f"SET LOCAL statement_timeout = {timeout_ms}",
                f"SET LOCAL lock_timeout = {timeout_ms}"]  # fmt: skip
    if dialect == "mysql":
        limit = (
            f"SET SESSION max_statement_time = {timeout_ms / 1000:.3f}"
            if mariadb
            else f"SET SESSION max_execution_time = {timeout_ms}"
        )
        return [limit, "START TRANSACTION READ ONLY"]
    if dialect == "mssql":
        return ["SET TRANSACTION ISOLATION LEVEL READ COMMITTED", f"SET LOCK_TIMEOUT {timeout_ms}"]
    raise DatabaseFailed(f"unknown database kind {dialect!r}.")


def run(url: str, sql: str, args: list[Any], *, timeout_ms: int) -> Result:
    """Run ``sql`` (with ``%s`` placeholders) with ``args`` on the database at ``url``, read-only, within
    ``timeout_ms``; raises ``DatabaseFailed`` with the reason."""
    dialect = url_dialect(url)
    runner = {"postgresql": _postgresql, "mysql": _mysql, "mssql": _mssql}[dialect]
    try:
        return runner(url, sql, args, timeout_ms)
    except (psycopg.Error, pymysql.Error, pymssql.Error, OSError) as exc:
        raise DatabaseFailed(f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc) else ''}") from exc


def _rows(cursor) -> Result:
    columns = [str(d[0]).lower() for d in cursor.description or ()]
    return Result(columns=columns, rows=[tuple(row) for row in cursor.fetchall()])


def _postgresql(url: str, sql: str, args: list[Any], timeout_ms: int) -> Result:
    # A client-side cursor binds like the other two drivers (``%s`` quoted by the driver), so an untyped NULL
    # (``:warehouse IS NULL``) needs no cast.
    with psycopg.connect(url, connect_timeout=CONNECT_SECONDS, cursor_factory=psycopg.ClientCursor) as conn:
        try:
            with conn.cursor() as cursor:
                # One round trip: the client-side cursor sends the settings as one simple query.
                cursor.execute("; ".join(session_statements("postgresql", timeout_ms)))
                cursor.execute(sql, args)
                return _rows(cursor)
        finally:
            conn.rollback()


@lru_cache(maxsize=8)
def _tls_context(ca: str) -> ssl.SSLContext:
    """One TLS context per CA file for the process: building one loads the certificate store (about 0.1 s)."""
    context = ssl.create_default_context(cafile=ca or None)
    if not ca:  # as PyMySQL does without a CA: encrypted, the server's certificate not checked
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _mysql_tls(options: dict[str, str]) -> dict[str, Any]:
    """The URL's ``ssl`` option: ``required`` (TLS; ``ssl_ca`` to check the server's certificate), ``disabled``, or
    PyMySQL's own ``preferred`` (TLS when the server offers it; builds a TLS context at every connection)."""
    mode = options.get("ssl", "preferred")
    if mode == "disabled":
        return {"ssl_disabled": True}
    if mode == "required":
        return {"ssl": _tls_context(options.get("ssl_ca", ""))}
    if mode != "preferred":
        raise DatabaseFailed(f"the database URL's ssl={mode!r} is not one of required, disabled, preferred.")
    return {}


def _mysql(url: str, sql: str, args: list[Any], timeout_ms: int) -> Result:
    parts = urlsplit(url)
    options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    conn = pymysql.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 3306,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        database=unquote(parts.path.lstrip("/")) or None,
        charset="utf8mb4",
        connect_timeout=CONNECT_SECONDS,
        read_timeout=math.ceil(timeout_ms / 1000) + 2,
        write_timeout=CONNECT_SECONDS,
        autocommit=True,
        **_mysql_tls(options),
    )
    try:
        mariadb = "mariadb" in conn.get_server_info().lower()
        with conn.cursor() as cursor:
            for statement in session_statements("mysql", timeout_ms, mariadb=mariadb):
                cursor.execute(statement)
            cursor.execute(sql, args)
            return _rows(cursor)
    finally:
        try:
            conn.rollback()
        finally:
            conn.close()


def _mssql(url: str, sql: str, args: list[Any], timeout_ms: int) -> Result:  # pragma: no cover - no SQL Server here
    parts = urlsplit(url)
    options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    conn = pymssql.connect(
        server=parts.hostname or "127.0.0.1",
        port=str(parts.port or 1433),
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        database=unquote(parts.path.lstrip("/")),
        login_timeout=CONNECT_SECONDS,
        timeout=math.ceil(timeout_ms / 1000),
        charset=options.get("charset", "UTF-8"),
        autocommit=False,
    )
    try:
        cursor = conn.cursor()
        for statement in session_statements("mssql", timeout_ms):
            cursor.execute(statement)
        cursor.execute(sql, tuple(args))
        return _rows(cursor)
    finally:
        try:
            conn.rollback()
        finally:
            conn.close()


def run_in_transaction(url: str, dialect: str, number_sql: str, header_sql: str, line_sql: str,
                       header: dict[str, Any], lines: list[dict[str, Any]], *, timeout_ms: int) -> Any:  # fmt: skip
    """Write one document in one transaction: ``number_sql`` takes the next number under a lock (an ``UPDATE …
    RETURNING`` / ``OUTPUT`` of the counter row) and gives it as ``:number`` to ``header_sql`` and each
    ``line_sql`` (with the line's own values). Commits at the end, rolls back on any failure (``DatabaseFailed``);
    returns the number. For the profile adapter's order writes (PostgreSQL only so far); the checks above never
    write."""
    if url_dialect(url) != "postgresql" or dialect != "postgresql":
        raise DatabaseFailed("writing documents is built for PostgreSQL only (SQL Server: not yet).")
    try:
        with psycopg.connect(url, connect_timeout=CONNECT_SECONDS, cursor_factory=psycopg.ClientCursor) as conn:
            with conn.transaction(), conn.cursor() as cursor:
                cursor.execute(f"SET LOCAL statement_timeout = {int(timeout_ms)}")
                cursor.execute(*bind(number_sql, "postgresql", header))
                row = cursor.fetchone()
                if row is None:
                    raise DatabaseFailed("the numbering statement gave no number (no counter row?).")
                values = {**header, "number": row[0]}
                cursor.execute(*bind(header_sql, "postgresql", values))
                for line in lines:
                    cursor.execute(*bind(line_sql, "postgresql", {**values, **line}))
            return row[0]
    except psycopg.Error as exc:
        raise DatabaseFailed(f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc) else ''}") from exc
