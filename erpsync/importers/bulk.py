"""Set-based writes for imports: rows go into a temporary staging table, then a few statements merge them.

On PostgreSQL the staging table is filled with ``COPY``; on SQLite with batched ``executemany``. The merge is the
same SQL on both: count what is new and what changed, ``UPDATE … FROM`` the rows that differ (an unchanged row is
never written), ``INSERT … SELECT`` the new ones, and for a full snapshot deactivate the rows it no longer holds.
A dry run counts and samples the same sets without writing.

Everything here runs inside the caller's transaction: if the feed turns out to be malformed half-way, the
caller's rollback takes the staged rows and the merge with it.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from django.db import connection as db
from django.db.models import Model

from b2bportal.bulk import rows_insert
from b2bportal.sql import column, table

SQLITE_BATCH = 500


def _quote(name: str) -> str:
    return db.ops.quote_name(name)


@dataclass
class Staging:
    """A temporary table named ``name`` with ``columns`` (name → SQL type), dropped by ``drop``."""

    name: str
    columns: dict[str, str]
    rows: int = 0

    def create(self) -> None:
        cols = ", ".join(f"{_quote(c)} {t}" for c, t in self.columns.items())
        with db.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {_quote(self.name)}")
            cursor.execute(f"CREATE TEMPORARY TABLE {_quote(self.name)} ({cols})")

    def write(self, rows: Iterable[Sequence]) -> int:
        """Append rows (tuples in ``columns`` order). Returns how many were written."""
        written = rows_insert(self.name, list(self.columns), rows)
        self.rows += written
        return written

    def analyze(self) -> None:
        """Statistics for the planner: a temporary table has none, and the merge joins it with big tables."""
        if db.vendor == "postgresql":
            with db.cursor() as cursor:
                cursor.execute(f"ANALYZE {_quote(self.name)}")

    def drop(self) -> None:
        with db.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {_quote(self.name)}")


class RowSpool:
    """Rows kept on disk until they can be staged: the parts of a record (packs, addresses) arrive while the
    records themselves are being copied, and a connection copies one table at a time. Memory stays flat however
    long the feed is."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()  # noqa: SIM115 - lives until the rows are read back
        self.count = 0

    def append(self, row: tuple) -> None:
        pickle.dump(row, self._file, protocol=pickle.HIGHEST_PROTOCOL)
        self.count += 1

    def extend(self, rows: Iterable[tuple]) -> None:
        for row in rows:
            self.append(row)

    def rows(self) -> Iterator[tuple]:
        """Every row appended, in order, read back once; the file is closed afterwards."""
        self._file.seek(0)
        try:
            for _ in range(self.count):
                yield pickle.load(self._file)  # noqa: S301 - our own rows, written by this process
        finally:
            self.close()

    def close(self) -> None:
        self._file.close()


@dataclass
class MergeCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0
    samples: list[dict] = field(default_factory=list)

    def add(self, other: MergeCounts) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.deactivated += other.deactivated
        self.samples.extend(other.samples)


@dataclass
class TableMerge:
    """How staged rows land in one table.

    ``model``: the portal model written; every target column below is named as its field (or attribute) name and
    written to the model's column, while the staged ``source`` has columns of those same names.
    ``key``: the columns that identify a row in both (``("id",)`` when the importer resolved ids itself: rows
    with a NULL id are new). ``values``: the columns the ERP owns; a row is updated only when one of them differs.
    ``source``: the staged relation, a table name or a parenthesised SELECT over it. ``on_insert`` /
    ``on_update``: extra column → SQL expression (``%(now)s`` is the run's time). ``deactivate``: SET clause for
    rows a full snapshot no longer holds (None: they are left alone), limited to ``scope`` (an SQL condition on
    the target aliased ``t``) and to rows not already matching ``deactivated_when``; ``delete_missing`` deletes
    them instead (rows without an identity of their own, such as a list's prices); ``kept`` names a table whose
    ``row_id`` column lists target rows the feed holds without staging them (records skipped as unchanged), never
    missing. ``nullable``: key columns
    that may be NULL. ``keep_when_null``: value columns where NULL means "the ERP does not say": the portal's
    value stays, and a new row gets the given SQL default.
    """

    model: type[Model]
    key: tuple[str, ...]
    values: tuple[str, ...]
    source: str
    on_insert: dict[str, str] = field(default_factory=dict)
    on_update: dict[str, str] = field(default_factory=dict)
    deactivate: str | None = None
    deactivated_when: str = "1 = 0"
    delete_missing: bool = False
    scope: str = "1 = 1"
    nullable: tuple[str, ...] = ()
    keep_when_null: dict[str, str] = field(default_factory=dict)
    preserve: dict[str, str] = field(default_factory=dict)
    present: str = ""
    kept: str = ""
    label: str = ""

    @property
    def by_id(self) -> bool:
        return self.key == ("id",)

    @property
    def table(self) -> str:
        return table(self.model)

    def _t(self, name: str) -> str:
        """The target's column for a field name."""
        return column(self.model, name)

    def _join(self) -> str:
        # Equality (hashable, index-friendly) even for keys that may be NULL: those compare through COALESCE
        # with a value no id takes.
        parts = []
        for k in self.key:
            if k in self.nullable:
                parts.append(f"COALESCE(t.{self._t(k)}, -1) = COALESCE(s.{_quote(k)}, -1)")
            else:
                parts.append(f"t.{self._t(k)} = s.{_quote(k)}")
        return " AND ".join(parts)

    _match = _join

    def _incoming(self, v: str) -> str:
        """The value a column gets: the staged one; for ``keep_when_null`` columns the current one when the ERP
        sent nothing; for ``preserve`` columns the current one while the row matches the condition."""
        value = f"COALESCE(s.{_quote(v)}, t.{self._t(v)})" if v in self.keep_when_null else f"s.{_quote(v)}"
        if v in self.preserve:
            value = f"CASE WHEN {self.preserve[v]} THEN t.{self._t(v)} ELSE {value} END"
        return value

    def _differs(self) -> str:
        return " OR ".join(f"t.{self._t(v)} IS DISTINCT FROM {self._incoming(v)}" for v in self.values) or "1 = 0"

    def _new(self) -> str:
        if self.by_id:
            return "s.id IS NULL"
        return f"NOT EXISTS (SELECT 1 FROM {self.table} t WHERE {self._match()})"

    def statements(self, *, complete: bool = True, sample: int = 3) -> dict[str, str]:
        """Every statement the merge may run, by name (``new``, ``matched``, ``missing``, ``update``,
        ``delete_missing`` or ``deactivate``, ``insert``, ``sample_updates``, ``sample_creates``); which of them
        run depends on the counts. A test compiles them all against the schema."""
        table, source, join = self.table, self.source, self._join()
        sql = {
            "new": f"SELECT count(*) FROM {source} s WHERE {self._new()}",
            "matched": (
                f"SELECT count(*), coalesce(sum(CASE WHEN {self._differs()} THEN 1 ELSE 0 END), 0) "
                f"FROM {source} s JOIN {table} t ON {join}"
            ),
        }
        if complete and (self.deactivate or self.delete_missing):
            # ``present``: every key the feed held, refused ones too — a bad row is not a withdrawn one.
            missing = (
                f"FROM {table} t WHERE ({self.scope}) AND NOT ({self.deactivated_when}) "
                f"AND NOT EXISTS (SELECT 1 FROM {self.present or source} s WHERE {join})"
            )
            pk = self._t("pk")
            if self.kept:
                missing += f" AND NOT EXISTS (SELECT 1 FROM {self.kept} k WHERE k.row_id = t.{pk})"
            sql["missing"] = f"SELECT count(*) {missing}"
            if self.delete_missing:
                sql["delete_missing"] = f"DELETE FROM {table} WHERE {pk} IN (SELECT t.{pk} {missing})"
            else:
                sql["deactivate"] = (
                    f"UPDATE {table} AS t SET {self.deactivate} WHERE t.{pk} IN (SELECT t.{pk} {missing})"
                )
        sets = [f"{self._t(v)} = {self._incoming(v)}" for v in self.values]
        sets += [f"{self._t(c)} = {expr}" for c, expr in self.on_update.items()]
        sql["update"] = (
            f"UPDATE {table} AS t SET {', '.join(sets)} FROM {source} s WHERE {join} AND ({self._differs()})"
        )
        insert_cols = [c for c in (*self.key, *self.values) if not (self.by_id and c == "id")]
        columns = insert_cols + list(self.on_insert)
        selects = [
            f"COALESCE(s.{_quote(c)}, {self.keep_when_null[c]})" if c in self.keep_when_null else f"s.{_quote(c)}"
            for c in insert_cols
        ] + list(self.on_insert.values())
        sql["insert"] = (
            f"INSERT INTO {table} ({', '.join(self._t(c) for c in columns)}) "
            f"SELECT {', '.join(selects)} FROM {source} s WHERE {self._new()}"
        )
        keys = ", ".join(f"s.{_quote(k)}" for k in self.key)
        olds = ", ".join(f"t.{self._t(v)}, {self._incoming(v)}" for v in self.values)
        news = ", ".join(f"s.{_quote(v)}" for v in self.values)
        sql["sample_updates"] = (
            f"SELECT {keys}, {olds} FROM {source} s JOIN {table} t ON {join} WHERE {self._differs()} LIMIT {sample}"
        )
        sql["sample_creates"] = f"SELECT {keys}, {news} FROM {source} s WHERE {self._new()} LIMIT {sample}"
        return sql

    def run(self, *, now, dry_run: bool, complete: bool, params: dict | None = None, sample: int = 3) -> MergeCounts:
        """Apply (or, ``dry_run``, only count) the staged rows; ``complete`` feeds also deactivate or delete the
        rows they no longer hold. ``params`` are extra named SQL parameters for the expressions."""
        params = {"now": now, **(params or {})}
        sql = self.statements(complete=complete, sample=sample)
        counts = MergeCounts()
        with db.cursor() as cursor:
            cursor.execute(sql["new"], params)
            counts.created = cursor.fetchone()[0]
            cursor.execute(sql["matched"], params)
            matched, counts.updated = cursor.fetchone()
            counts.unchanged = matched - counts.updated
            if dry_run:
                if "missing" in sql:
                    cursor.execute(sql["missing"], params)
                    counts.deactivated = cursor.fetchone()[0]
                counts.samples = self._samples(cursor, sql, params) if sample else []
                return counts
            if counts.updated:
                cursor.execute(sql["update"], params)
            # Rows the snapshot no longer holds go before the new rows arrive: with ids resolved by the importer,
            # a new row is not yet told apart from a missing one.
            for name in ("delete_missing", "deactivate"):
                if name in sql:
                    cursor.execute(sql[name], params)
                    counts.deactivated = cursor.rowcount
            if counts.created:
                cursor.execute(sql["insert"], params)
        return counts

    def _samples(self, cursor, sql: dict[str, str], params: dict) -> list[dict]:
        """A few rows the merge would change, old and new values side by side, for a dry run's report."""
        samples = []
        cursor.execute(sql["sample_updates"], params)
        for row in cursor.fetchall():
            key, rest = row[: len(self.key)], row[len(self.key) :]
            changes = {
                v: [_plain(rest[2 * i]), _plain(rest[2 * i + 1])]
                for i, v in enumerate(self.values)
                if rest[2 * i] != rest[2 * i + 1]
            }
            samples.append(
                {
                    "table": self.label or self.model._meta.db_table,
                    "action": "update",
                    "key": _plain(key),
                    "changes": changes,
                }
            )
        cursor.execute(sql["sample_creates"], params)
        for row in cursor.fetchall():
            key, rest = row[: len(self.key)], row[len(self.key) :]
            samples.append(
                {
                    "table": self.label or self.model._meta.db_table,
                    "action": "create",
                    "key": _plain(key),
                    "values": {v: _plain(rest[i]) for i, v in enumerate(self.values)},
                }
            )
        return samples


def _plain(value):
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)
