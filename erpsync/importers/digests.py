"""Skipping the records a feed repeats unchanged: raw line digests of the last applied feed.

A big ERP export is mostly the same as the one before it. When the feed can hash each record's raw text
without parsing it (``Feed.line_digests``: CSV files), the importer compares those digests with the ones it
kept when it last applied a feed of the same connection and entity (``LineDigest``), and parses, validates and
stages only the records whose digest it does not find. A skipped record still counts as present in a full
snapshot (nothing it names is deactivated or deleted) and as unchanged in the run's counts.

A digest only stands for a record when all of these still hold, otherwise the record is read again:

* the salt is the same: the importer's name and ``digest_version`` (bumped when its rules change), the
  connection's settings and value maps, the small lookups the importer resolves codes with
  (``StagedImporter.digest_context``), and, from the file, its header and reading rules;
* the portal row the record landed on is still there and untouched since: its PostgreSQL ``xmin`` is the one
  noted with the digest, so an edit by staff, another process or by hand, a deleted row or an emptied table
  all read the record again;
* the feed holds the record's key once: a key that comes twice (one copy unchanged, one not) makes the whole
  feed be read again without skipping (``ReadAgain``), so duplicates are refused as before.

Digests are written in the feed's own transaction, after the merge, for the records that landed (never for a
refused one): a feed that fails or is rolled back leaves the digests of the feed before it. A full run
(``sync_import(full=True)``) and a dry run that has no digests yet read every record. Only PostgreSQL keeps
digests (the row check needs ``xmin``).
"""

from __future__ import annotations

import hashlib
import json

from django.db import connection as db

from b2bportal.sql import SqlNames, table
from erpsync.importers.bulk import Staging
from erpsync.models import LineDigest, ValueMap


class ReadAgain(Exception):
    """The feed cannot be applied with skipped records (a key comes twice): roll back and read it whole."""


def _q(name: str) -> str:
    return db.ops.quote_name(name)


class LineDigests:
    """The skip plan of one feed for one importer: which records to parse (``keep``, by record number; None:
    all), and ``kept``, a temporary table of the skipped ones (``ordinal, digest_id, key, row_id, stamp``)."""

    def __init__(self, ctx, importer, salt: bytes) -> None:
        self.ctx = ctx
        self.importer = importer
        self.salt = salt
        self.keep: bytearray | None = None
        self.kept: str | None = None
        self.skipped = 0
        self.entity = importer.entity
        self.scan_table = f"erpsync_scan_{self.entity}"
        self.kept_table = f"erpsync_kept_{self.entity}"

    @classmethod
    def start(cls, ctx, importer) -> LineDigests | None:
        """The plan for ``ctx.feed``, or None when the feed or the database cannot tell records apart by digest."""
        if importer.digest_model is None or db.vendor != "postgresql":
            return None
        salt = _salt(ctx, importer)
        digests = ctx.feed.line_digests(salt)
        if digests is None:
            if not ctx.dry_run:  # a feed read whole (XML) leaves no digest to trust behind it
                d = SqlNames(LineDigest)
                execute(
                    f"DELETE FROM {d} WHERE {d.connection_id} = %(conn)s AND {d.entity} = %(entity)s",
                    {"conn": ctx.connection.pk, "entity": importer.entity},
                )
            return None
        plan = cls(ctx, importer, salt)
        known = LineDigest.objects.filter(connection=ctx.connection, entity=plan.entity).exists()
        if ctx.skip_lines and not ctx.full and known:
            plan._compare(digests)
        else:
            digests.close()
        return plan

    def _compare(self, digests) -> None:
        scan = Staging(self.scan_table, {"ordinal": "integer", "digest": "bigint"})
        scan.create()
        total = _copy_numbered(scan.name, digests)
        scan.analyze()
        d, target = SqlNames(LineDigest), table(self.importer.digest_model)
        execute(f"DROP TABLE IF EXISTS {_q(self.kept_table)}")
        # A digest the feed holds twice is not skipped: the records are parsed, and refused as duplicates.
        execute(
            f"CREATE TEMPORARY TABLE {_q(self.kept_table)} AS "
            f"SELECT s.ordinal, d.{d.id} AS digest_id, d.{d.key} AS key, d.{d.row_id} AS row_id, "
            f"d.{d.stamp} AS stamp FROM {_q(scan.name)} s "
            f"JOIN {d} d ON d.{d.digest} = s.digest AND d.{d.connection_id} = %(conn)s AND d.{d.entity} = %(entity)s "
            f"JOIN {target} t ON t.id = d.{d.row_id} AND t.xmin::text::bigint = d.{d.row_xmin} "
            f"WHERE s.digest NOT IN (SELECT digest FROM {_q(scan.name)} GROUP BY digest HAVING count(*) > 1)",
            {"conn": self.ctx.connection.pk, "entity": self.entity},
        )
        Staging(self.kept_table, {}).analyze()
        self.kept = self.kept_table
        self.keep = bytearray(total)
        with db.cursor() as cursor:
            cursor.execute(
                f"SELECT s.ordinal FROM {_q(scan.name)} s WHERE NOT EXISTS "
                f"(SELECT 1 FROM {_q(self.kept_table)} k WHERE k.ordinal = s.ordinal)"
            )
            parsed = 0
            while chunk := cursor.fetchmany(10_000):
                for (ordinal,) in chunk:
                    self.keep[ordinal] = 1
                parsed += len(chunk)
        self.skipped = total - parsed
        scan.drop()

    def records(self):
        """(digest, record) of the records to parse."""
        if self.keep is not None and not self.keep.count(1):
            return iter(())
        return self.ctx.feed.line_records(self.salt, self.keep)

    def check_clash(self, stage: str) -> None:
        """A parsed record whose key is also among the skipped ones: the feed holds the key twice."""
        if self.kept and exists(f"SELECT 1 FROM {_q(stage)} s JOIN {_q(self.kept)} k ON k.key = s.erp_key"):
            raise ReadAgain

    def record(self, stage: str, landed: str) -> None:
        """Replace the digests of this connection and entity with those of the feed just applied: ``landed`` is a
        SELECT of (erp_key, row_id, stamp) of the records that landed; the skipped ones keep theirs. Not for a
        dry run."""
        ctx = self.ctx
        d, target = SqlNames(LineDigest), table(self.importer.digest_model)
        params = {"conn": ctx.connection.pk, "entity": self.entity}
        scope = f"{d.connection_id} = %(conn)s AND {d.entity} = %(entity)s"
        if ctx.feed.complete or self.kept is None:
            # Everything the feed did not skip is gone or read again.
            keep = ""
            if self.kept:
                keep = f" AND NOT EXISTS (SELECT 1 FROM {_q(self.kept)} k WHERE k.digest_id = {d}.{d.id})"
            execute(f"DELETE FROM {d} WHERE {scope}{keep}", params)
        else:
            refused = Staging(f"{stage}_refused_keys", {"erp_key": "varchar(255)"})
            refused.create()
            refused.write((key,) for key in ctx.rejected_keys)
            execute(
                f"DELETE FROM {d} WHERE {scope} AND ({d.key} IN (SELECT erp_key FROM {_q(stage)}) "
                f"OR {d.key} IN (SELECT erp_key FROM {_q(refused.name)}))",
                params,
            )
            refused.drop()
        execute(
            f"INSERT INTO {d} ({d.connection_id}, {d.entity}, {d.key}, {d.digest}, {d.row_id}, {d.row_xmin}, "
            f"{d.stamp}) SELECT %(conn)s, %(entity)s, l.erp_key, s.line_digest, t.id, t.xmin::text::bigint, l.stamp "
            f"FROM ({landed}) l JOIN {_q(stage)} s ON s.erp_key = l.erp_key JOIN {target} t ON t.id = l.row_id "
            f"WHERE s.line_digest IS NOT NULL",
            params,
        )
        # Fresh statistics for the next feed's joins (a table just filled has none: the planner would take it
        # for empty and join it row by row).
        execute(f"ANALYZE {d}")

    def finish(self) -> None:
        if self.kept:
            execute(f"DROP TABLE IF EXISTS {_q(self.kept)}")
        if self.skipped:
            self.ctx.counts.unchanged += self.skipped
            self.ctx.skipped += self.skipped


def _copy_numbered(name: str, values) -> int:
    """COPY (number, value) rows into the table ``name`` in text blocks: a row costs a string, not a call."""
    total = 0
    with db.cursor() as cursor, cursor.cursor.copy(f"COPY {_q(name)} (ordinal, digest) FROM STDIN") as copy:
        block: list[str] = []
        for ordinal, value in enumerate(values):
            block.append(f"{ordinal}\t{value}\n")
            total = ordinal + 1
            if len(block) == 20_000:
                copy.write("".join(block))
                block.clear()
        if block:
            copy.write("".join(block))
    return total


def _salt(ctx, importer) -> bytes:
    """What a record's meaning depends on besides its text (see the module's docstring)."""
    maps = sorted(
        ValueMap.objects.filter(connection=ctx.connection).values_list("kind", "external_value", "local_value")
    )
    parts = [
        type(importer).__module__,
        type(importer).__qualname__,
        importer.digest_version,
        ctx.connection.pk,
        ctx.connection.settings,
        maps,
        importer.digest_context(ctx),
    ]
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).digest()


def execute(sql: str, params=None) -> int:
    with db.cursor() as cursor:
        cursor.execute(sql, params or {})
        return cursor.rowcount


def exists(sql: str, params=None) -> bool:
    """Whether ``sql`` finds a row. Counted, not ``EXISTS``: a check that usually finds nothing must be planned for
    the whole join (hashed), not for the first row (a nested loop over two big tables)."""
    with db.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({sql}) x", params or {})
        return bool(cursor.fetchone()[0])
