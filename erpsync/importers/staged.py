"""The shape every set-based importer shares: validate records in Python, stage them, resolve, merge in SQL."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal, InvalidOperation

from django.db import connection as db
from django.db.models import Q
from django.utils.translation import gettext as _

from b2bportal.sql import SqlNames
from erpsync.importers.bulk import Staging, TableMerge
from erpsync.importers.digests import LineDigests, ReadAgain, exists
from erpsync.importers.engine import ISSUES_KEPT_PER_FEED, ImportContext
from erpsync.models import SyncIssue

RESOLVED_CODES_EXCLUDED = ("feed_malformed", "import_failed")
OPEN_ISSUE = (SyncIssue.Status.OPEN.value, SyncIssue.Status.RETRYING.value)
# A product or dealer the sync takes out of use says so in its status reason; one staff quarantined stays
# quarantined whatever the ERP sends (a recall, a dispute), while the sync lifts its own holds.
SYNC_HOLD_PREFIX = "ERP: "
STAFF_HOLD = f"t.status = 'quarantined' AND t.status_reason NOT LIKE '{SYNC_HOLD_PREFIX}%%'"
ZERO = Decimal("0")


class RecordRejected(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def ids_by_code(model) -> dict[str, int]:
    """The portal ids of a small code-keyed model (units, categories, brands), by code: loaded once per feed."""
    return dict(model.objects.values_list("code", "id"))


def q(name: str) -> str:
    return db.ops.quote_name(name)


def execute(sql: str, params=None) -> int:
    with db.cursor() as cursor:
        cursor.execute(sql, params or {})
        return cursor.rowcount


def fetchall(sql: str, params=None) -> list[tuple]:
    with db.cursor() as cursor:
        cursor.execute(sql, params or {})
        return cursor.fetchall()


def text(value, limit: int, field: str, *, required: bool = False) -> str:
    value = (value or "").strip() if isinstance(value, str) else ("" if value is None else str(value))
    if required and not value:
        raise RecordRejected("missing_value", _("%(field)s is empty.") % {"field": field})
    if len(value) > limit:
        raise RecordRejected(
            "value_too_long", _("%(field)s is longer than %(limit)s characters.") % {"field": field, "limit": limit}
        )
    return value


_LIMIT = Decimal(10) ** 11


def number(value, field: str, *, minimum: Decimal | None = None, above: Decimal | None = None, places: int = 4):
    """A Decimal within the column's range, or None for None. Refuses NaN, infinities and out-of-range values;
    more than ``places`` decimals are rounded half-even to ``places``."""
    if value is None:
        return None
    if not isinstance(value, Decimal):
        try:
            value = Decimal(value)
        except (InvalidOperation, TypeError, ValueError):
            raise RecordRejected("invalid_number", _("%(field)s is not a number.") % {"field": field}) from None
    if not value.is_finite() or abs(value) >= _LIMIT:
        raise RecordRejected("invalid_number", _("%(field)s is out of range.") % {"field": field})
    if minimum is not None and value < minimum:
        raise RecordRejected(
            f"negative_{field}" if minimum == 0 else "value_too_small",
            _("%(field)s is below %(min)s: %(value)s.") % {"field": field, "min": minimum, "value": value},
        )
    if above is not None and value <= above:
        raise RecordRejected(
            "value_too_small",
            _("%(field)s must be above %(min)s: %(value)s.") % {"field": field, "min": above, "value": value},
        )
    return value if value.as_tuple().exponent >= -places else round(value, places)


class StagedImporter:
    """Subclasses name the staging ``columns`` (the first is always ``erp_key``, the record's ERP identity),
    turn records into rows in ``rows`` (raising ``RecordRejected`` for one record) and land the staged rows in
    ``land``. The base streams the feed into staging, drops keys the feed holds twice (an issue each), and,
    once landed, resolves the open issues of every record that went through."""

    entity: str = ""
    columns: dict[str, str] = {}
    # The portal model a refused record takes out of use (status "quarantined"), and the field holding its code.
    held_model = None
    held_key = ""
    # Skipping unchanged records (``erpsync.importers.digests``): the model of a record's main row (None: every
    # record is parsed) and the version of the importer's rules, to bump whenever they change what a record
    # becomes. Importers that set it implement ``landed`` and honour ``self.kept`` in ``land``.
    digest_model = None
    digest_version = 1

    def apply(self, ctx: ImportContext) -> None:
        self._held: list[tuple[str, str]] = []
        # Everything the rows look up is loaded now: no query may run while COPY holds the connection.
        ctx.map("", "")
        self.before(ctx)
        lines = LineDigests.start(ctx, self)
        self.kept = lines.kept if lines is not None else None
        columns = self.columns if lines is None else {**self.columns, "line_digest": "bigint"}
        stage = ctx.staging(self.entity, columns)
        stage.write(self._rows(ctx) if lines is None else self._digested_rows(ctx, lines))
        if lines is not None:
            lines.check_clash(stage.name)
        self.drop_duplicates(ctx, stage.name, "erp_key", "duplicate_code")
        stage.analyze()
        self.land(ctx, stage.name)
        self.resolve_issues(ctx, stage.name)
        if lines is not None:
            if not ctx.dry_run:
                lines.record(stage.name, self.landed(ctx, stage.name))
            lines.finish()
        stage.drop()

    def before(self, ctx: ImportContext) -> None:
        """Load the small lookups (units, categories…) the rows need."""

    def digest_context(self, ctx: ImportContext):
        """What else, besides a record's text, decides what it becomes (JSON-able; part of every digest)."""
        return None

    def landed(self, ctx: ImportContext, stage: str) -> str:
        """A SELECT of (erp_key, row_id, stamp) of the records of this feed that landed, ``row_id`` being the
        record's row in ``digest_model``'s table; a refused record must not be among them."""
        raise NotImplementedError

    def _rows(self, ctx: ImportContext) -> Iterator[tuple]:
        for record in ctx.tick(ctx.feed.records):
            try:
                yield from self.rows(ctx, record)
            except RecordRejected as exc:
                ctx.reject(key=self.key_of(record), code=exc.code, message=exc.message, payload=record)
                self.quarantine_key(ctx, self.key_of(record), exc.message)

    def _digested_rows(self, ctx: ImportContext, lines: LineDigests) -> Iterator[tuple]:
        """As ``_rows`` for the records the plan parses, each row with its record's digest last."""
        for digest, record in ctx.tick(lines.records()):
            try:
                for row in self.rows(ctx, record):
                    yield (*row, digest)
            except RecordRejected as exc:
                ctx.reject(key=self.key_of(record), code=exc.code, message=exc.message, payload=record)
                self.quarantine_key(ctx, self.key_of(record), exc.message)

    def key_of(self, record) -> str:
        return str(getattr(record, "code", ""))[:255]

    def rows(self, ctx: ImportContext, record) -> Iterator[tuple]:
        raise NotImplementedError

    def land(self, ctx: ImportContext, stage: str) -> None:
        raise NotImplementedError

    def quarantine_key(self, ctx: ImportContext, key: str, reason: str) -> None:
        """Note the portal record of a refused ERP record, to take it out of use until the ERP sends it cleanly."""
        self._hold_by(self.held_key, key, reason)

    def _hold_by(self, field: str, value, reason: str) -> None:
        if self.held_model is not None:
            self._held.append((field, value, (SYNC_HOLD_PREFIX + reason)[:255]))

    def hold_refused(self, ctx: ImportContext) -> None:
        """Quarantine the portal records of this feed's refused records, except those already inactive or held
        by staff (whose reason is theirs to keep)."""
        staff_hold = Q(status="quarantined") & ~Q(status_reason__startswith=SYNC_HOLD_PREFIX)
        for field, value, reason in self._held:
            self.held_model.objects.filter(**{field: value}).exclude(status="inactive").exclude(staff_hold).update(
                status="quarantined", status_reason=reason, updated_at=ctx.now
            )
        self._held = []

    def merge(self, ctx: ImportContext, merge: TableMerge, params: dict | None = None, *, counted: bool = True) -> None:
        """Run one merge; its counts are the run's unless ``counted`` is off (a record's parts, such as packs)."""
        counts = merge.run(
            now=ctx.now,
            dry_run=ctx.dry_run,
            complete=ctx.feed.complete,
            params={"conn": ctx.connection.pk, **(params or {})},
        )
        if counted:
            ctx.counts.add(counts)

    def drop_duplicates(self, ctx: ImportContext, stage: str, key: str, code: str) -> None:
        """Rows sharing ``key`` (a column, or an SQL expression over the resolved columns — two spellings of one
        price land on one row) cannot be applied safely (which one is right?): all of them are set aside, each
        an issue under its ERP key, and the portal record they name is quarantined before anything lands."""
        expr = q(key) if key.isidentifier() else key
        clash = f"(SELECT {expr} FROM {q(stage)} WHERE {expr} IS NOT NULL GROUP BY {expr} HAVING count(*) > 1)"
        rows = fetchall(f"SELECT erp_key, {expr} FROM {q(stage)} WHERE {expr} IN {clash}")
        if not rows:
            return
        for erp_key, value in rows:
            ctx.reject(
                key=str(erp_key),
                code=code,
                message=_("The ERP sent %(key)s more than once in one feed (as %(value)s).")
                % {"key": erp_key, "value": value},
                payload={"key": erp_key, "clashes_on": str(value)},
            )
            if key == "id":
                self._hold_by("pk", value, _("Sent more than once by the ERP."))
            else:
                self.quarantine_key(ctx, str(erp_key), _("Sent more than once by the ERP."))
        execute(f"DELETE FROM {q(stage)} WHERE {expr} IN {clash}")
        self.hold_refused(ctx)

    def reject_unresolved(
        self, ctx: ImportContext, stage: str, condition: str, code: str, message: str, *, hold: bool = False
    ) -> int:
        """Rows of ``stage`` matching ``condition`` (their item, warehouse or customer is unknown) become issues
        and leave the stage; with ``hold``, the portal records they resolved to (column ``id``) are quarantined.
        Returns how many."""
        ids = "id" if hold else "NULL"
        rows = fetchall(f"SELECT erp_key, {ids} FROM {q(stage)} WHERE {condition} LIMIT {ISSUES_KEPT_PER_FEED}")
        if not rows:
            return 0
        total = fetchall(f"SELECT count(*) FROM {q(stage)} WHERE {condition}")[0][0]
        for key, local_id in rows:
            ctx.reject(key=key, code=code, message=message % {"key": key}, payload={"key": key})
            if local_id is not None:
                self._hold_by("pk", local_id, message % {"key": key})
        # Beyond the rows read, the feed's one summary issue counts them (a wrong feed cannot bury the queue).
        ctx.failed += total - len(rows)
        ctx.suppressed += total - len(rows)
        execute(f"DELETE FROM {q(stage)} WHERE {condition}")
        if hold:
            self.hold_refused(ctx)
        return total

    def resolve_issues(self, ctx: ImportContext, stage: str) -> None:
        """Records that landed cleanly close their open issues; one refused anywhere in this feed (at reading,
        resolution or as a duplicate) keeps its issue open."""
        refused = Staging(f"{stage}_refused", {"erp_key": "varchar(255)"})
        refused.create()
        refused.write((key,) for key in ctx.rejected_keys)
        i = SqlNames(SyncIssue)
        execute(
            f"UPDATE {i} SET {i.status} = %(resolved)s, {i.resolved_at} = %(now)s, {i.updated_at} = %(now)s "
            f"WHERE {i.connection_id} = %(conn)s AND {i.entity} = %(entity)s AND {i.status} IN {OPEN_ISSUE!r} "
            f"AND {i.code} NOT IN {RESOLVED_CODES_EXCLUDED!r} AND {i.external_id} IN (SELECT erp_key FROM {q(stage)}) "
            f"AND {i.external_id} NOT IN (SELECT erp_key FROM {q(refused.name)})",
            {
                "now": ctx.now,
                "conn": ctx.connection.pk,
                "entity": self.entity,
                "resolved": SyncIssue.Status.RESOLVED.value,
            },
        )
        refused.drop()

    def read_again_if_kept(self, condition_sql: str) -> None:
        """Raise ``ReadAgain`` when ``condition_sql`` (a SELECT) finds a row: a staged record lands on the row of a
        record skipped as unchanged, so the feed names that row twice and must be read whole."""
        if self.kept and exists(condition_sql):
            raise ReadAgain

    def resolved_copy(self, stage: str, name: str, select: str) -> str:
        """``CREATE TEMPORARY TABLE name AS select`` over the stage: lookups done once, not in every statement."""
        target = f"{stage}_{name}"
        execute(f"DROP TABLE IF EXISTS {q(target)}")
        execute(f"CREATE TEMPORARY TABLE {q(target)} AS {select}")
        Staging(target, {}).analyze()
        return target
