"""The only vendor-specific code of the Mikro adapter: opening the database by its URL's scheme, the lock that
serialises number allocation, and which driver errors mean "not reachable". Every statement the adapter sends
otherwise is portable SQL (ANSI joins, ``OFFSET … FETCH NEXT … ROWS ONLY``, ``%s`` parameters, ``dbo.`` names)
that SQL Server and PostgreSQL both run.

- SQL Server (``mssql://``, ``sqlserver://``): ``pymssql``; the series lock is ``sp_getapplock`` owned by the
  transaction, and the ``MAX`` of the series is read ``WITH (UPDLOCK, HOLDLOCK)`` so that a number Mikro's own users
  take at the same time waits as well.
  The read-only SQL checks' default statements read ``WITH (NOLOCK)``, as Mikro's own reports do.
- PostgreSQL (``postgresql://``): ``psycopg``; the series lock is a transaction-scoped advisory lock. Used by the
  tests' Mikro-shaped database and the benchmark; never by a real Mikro.

The drivers are imported when a connection is opened, so a site that never talks to Mikro needs neither.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit


@dataclass(frozen=True)
class Dialect:
    name: str
    module: str
    # Table hint of the statement that reads the highest number of a series under the lock.
    locking_hint: str
    # Table hint of the read-only SQL checks' statements (``erpsync.adapters.mikro.checks``): SQL Server reads
    # without waiting for Mikro's own writers, as Mikro's reports do; PostgreSQL readers never wait.
    reading_hint: str = ""

    @property
    def driver(self) -> Any:
        return importlib.import_module(self.module)

    def connect(self, url: str, user: str, password: str, *, timeout: float, read_only: bool) -> Any:
        parts = urlsplit(url)
        database = unquote(parts.path.lstrip("/"))
        if self.name == "mssql":
            return self.driver.connect(
                server=parts.hostname or "localhost",
                port=str(parts.port or 1433),
                user=user,
                password=password,
                database=database,
                login_timeout=max(int(timeout), 1),
                timeout=max(int(timeout), 1),
                charset="UTF-8",
                appname="b2bportal",
                autocommit=False,
            )
        connection = self.driver.connect(
            host=parts.hostname or "localhost",
            port=parts.port or 5432,
            user=user,
            password=password or None,
            dbname=database,
            connect_timeout=max(int(timeout), 1),
            application_name="b2bportal-mikro",
            autocommit=False,
        )
        connection.read_only = read_only
        return connection

    def lock_series(self, cursor: Any, resource: str, timeout_seconds: int) -> bool:
        """Take the transaction's exclusive lock on ``resource`` (a series); False when it was not granted in time."""
        if self.name == "mssql":
            cursor.execute(
                "DECLARE @r int; EXEC @r = sp_getapplock @Resource = %s, @LockMode = 'Exclusive', "
                "@LockOwner = 'Transaction', @LockTimeout = %s; SELECT @r",
                (f"b2bportal:{resource}", timeout_seconds * 1000),
            )
            return int(cursor.fetchone()[0]) >= 0
        cursor.execute(f"SET LOCAL lock_timeout = '{int(timeout_seconds)}s'")
        try:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"b2bportal:{resource}",))
        except self.driver.errors.LockNotAvailable:
            return False
        return True

    def unreachable(self) -> tuple[type[BaseException], ...]:
        """Errors that say the database (or the connection to it) is gone, not that the statement is wrong."""
        driver = self.driver
        return (driver.OperationalError, driver.InterfaceError)

    def conflict(self) -> tuple[type[BaseException], ...]:
        """Errors of a write that may succeed when tried again: a key written by another worker at the same time."""
        return (self.driver.IntegrityError,)


DIALECTS = {
    "mssql": Dialect("mssql", "pymssql", " WITH (UPDLOCK, HOLDLOCK)", " WITH (NOLOCK)"),
    "postgresql": Dialect("postgresql", "psycopg", "", ""),
}
SCHEMES = {"mssql": "mssql", "sqlserver": "mssql", "postgresql": "postgresql", "postgres": "postgresql"}


def dialect_for(url: str) -> Dialect:
    scheme = url.split("://", 1)[0].split("+", 1)[0].lower()
    return DIALECTS[SCHEMES[scheme]]


__all__ = ["DIALECTS", "Dialect", "dialect_for"]
