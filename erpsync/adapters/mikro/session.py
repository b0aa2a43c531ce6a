"""The Mikro adapter's database session: one connection, opened when first needed and opened again after it broke;
every read a short transaction of its own, every write one transaction that commits or leaves nothing.

Errors: the database cannot be reached, or the connection breaks before a commit → ``RetryableError`` (nothing was
applied); the commit itself fails or its answer is lost → ``OutcomeUnknownError`` (the rows may be there: the outbox
looks the order up, by its deterministic ``sip_Guid``s, before it tries again); a key another worker wrote at the same
time → ``RetryableError``; anything else the database refuses (a missing column, a permission) → ``PermanentError``.

Reads go page by page over a key (``keyset``): ``… WHERE (k1 > %s OR (k1 = %s AND k2 > %s)) ORDER BY k1, k2 OFFSET 0
ROWS FETCH NEXT n ROWS ONLY``, so a page never skips or repeats a row while others write.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from erpsync.adapters.base import OutcomeUnknownError, PermanentError, RetryableError

logger = logging.getLogger(__name__)


def _row(columns: Sequence[str], values: Sequence[Any]) -> dict[str, Any]:
    # PostgreSQL folds unquoted names to lower case, SQL Server keeps them: rows are read by lower-case names.
    return dict(zip(columns, values, strict=True))


class MikroSession:
    """The transport half of ``MikroAdapter``: every statement goes through ``query``, ``keyset`` or ``transaction``."""

    # Wraps each new DB-API connection (tracing, or a test that loses the answer to a commit); None: as opened.
    wrap_connection: Callable[[Any], Any] | None = None

    def _open_session(self) -> None:
        self._conn: Any = None
        self.statements = 0

    def close(self) -> None:
        self._drop()

    def _drop(self) -> None:
        connection, self._conn = self._conn, None
        if connection is not None:
            try:
                connection.close()
            except Exception:
                logger.debug("Mikro connection did not close cleanly", exc_info=True)

    def _connection(self) -> Any:
        if self._conn is None:
            try:
                connection = self.dialect.connect(
                    self.database_url, *self.login, timeout=self.timeout, read_only=self.read_only
                )
            except Exception as exc:
                raise RetryableError(f"The Mikro database is not reachable: {type(exc).__name__}: {exc}") from exc
            self._conn = self.wrap_connection(connection) if self.wrap_connection else connection
        return self._conn

    def _unreachable(self, exc: BaseException) -> bool:
        return isinstance(exc, self.dialect.unreachable())

    # -- reads ------------------------------------------------------------------------------------------------------

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """The rows of one SELECT, as dicts keyed by lower-case column names; the read transaction ends with it."""
        connection = self._connection()
        try:
            cursor = connection.cursor()
            self.statements += 1
            cursor.execute(sql, tuple(params))
            columns = [column[0].lower() for column in cursor.description]
            rows = [_row(columns, values) for values in cursor.fetchall()]
            connection.rollback()
            return rows
        except Exception as exc:
            self._drop()
            if self._unreachable(exc):
                raise RetryableError(f"Mikro read failed, the database went away: {exc}") from exc
            raise PermanentError(f"Mikro refused a read: {type(exc).__name__}: {exc}") from exc

    def keyset(
        self,
        select: str,
        keys: Sequence[str],
        params: Sequence[Any] = (),
        *,
        where: str = "1 = 1",
        group_by: str = "",
    ) -> Iterator[dict[str, Any]]:
        """Every row of ``SELECT {select} … WHERE {where} [GROUP BY {group_by}]`` in ``page_size`` pages ordered by
        ``keys`` (expressions selected as ``k0``, ``k1``… too, and unique together; grouped statements group by
        them). The first page is read at once, so an unreachable database fails the call rather than the feed."""
        key_columns = ", ".join(f"{key} AS k{n}" for n, key in enumerate(keys))
        order = ", ".join(keys)

        def page(after: tuple[Any, ...] | None) -> list[dict[str, Any]]:
            condition, values = "", []
            if after is not None:
                condition, values = _after(keys, after)
            sql = (
                f"SELECT {key_columns}, {select} WHERE ({where}){condition}"
                f"{f' GROUP BY {group_by}' if group_by else ''} ORDER BY {order} "
                "OFFSET 0 ROWS FETCH NEXT %s ROWS ONLY"
            )
            return self.query(sql, (*params, *values, self.page_size))

        first = page(None)

        def rows() -> Iterator[dict[str, Any]]:
            current = first
            while current:
                yield from current
                if len(current) < self.page_size:
                    return
                last = current[-1]
                current = page(tuple(last[f"k{n}"] for n in range(len(keys))))

        return rows()

    # -- writes -----------------------------------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """A cursor in a transaction: committed when the block ends, rolled back when it raises."""
        connection = self._connection()
        try:
            cursor = connection.cursor()
            yield cursor
        except Exception as exc:
            try:
                connection.rollback()
            except Exception:
                self._drop()
            if isinstance(exc, (PermanentError, RetryableError)):
                raise
            self._drop()
            if self._unreachable(exc):
                raise RetryableError(f"Mikro write failed before its commit, nothing applied: {exc}") from exc
            if isinstance(exc, self.dialect.conflict()):
                raise RetryableError(f"Mikro write met a row written at the same time: {exc}") from exc
            raise PermanentError(f"Mikro refused the write: {type(exc).__name__}: {exc}") from exc
        try:
            self.statements += 1
            connection.commit()
        except Exception as exc:
            self._drop()
            raise OutcomeUnknownError(f"Mikro's answer to a commit was lost; it may have been applied: {exc}") from exc


def _after(keys: Sequence[str], after: tuple[Any, ...]) -> tuple[str, list[Any]]:
    """``AND (k1 > a1 OR (k1 = a1 AND k2 > a2) …)`` with its parameters."""
    parts, values = [], []
    for n in range(len(keys)):
        equal = [f"{keys[i]} = %s" for i in range(n)]
        parts.append("(" + " AND ".join([*equal, f"{keys[n]} > %s"]) + ")")
        values += [*after[:n], after[n]]
    return " AND (" + " OR ".join(parts) + ")", values


__all__ = ["MikroSession"]
