"""Running an import: one ``SyncRun`` per call, one transaction per feed, issues for what could not be applied.

``sync_import`` reads an entity's feeds from the connection's adapter and hands each to the entity's importer.
A feed is applied whole or not at all: a malformed feed (``FeedError``) is rolled back, refused at the adapter
(the file goes to ``error/``) and becomes an issue naming file, line and column; the next feed goes on. A record
the importer cannot map or validate becomes an issue too, and the rest of the feed is applied.

Only one run per connection and entity at a time (a PostgreSQL advisory lock; runs that find it taken skip).
A run killed half-way leaves nothing half-applied: its feed's transaction dies with it, its file stays in the
inbox, and the next run marks the dead ``SyncRun`` as interrupted and applies the feed again.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

from django.db import connection as db
from django.db import transaction
from django.utils import timezone

from erpsync.adapters import adapter_for, settings_for
from erpsync.adapters.base import Capability, Feed, FeedError
from erpsync.common_settings import CommonSettings
from erpsync.importers.bulk import MergeCounts, Staging
from erpsync.importers.digests import ReadAgain
from erpsync.issues import IssueDraft, sync_issues_record
from erpsync.models import ErpConnection, SyncCursor, SyncIssue, SyncRun, ValueMap

log = logging.getLogger(__name__)

# A feed refusing more records than this keeps one issue per record up to here and one summary for the rest:
# memory stays bounded, and the queue is not buried by one wrong export.
ISSUES_KEPT_PER_FEED = 5000
FEED_MALFORMED = "feed_malformed"
IMPORT_FAILED = "import_failed"
SAMPLE_LIMIT = 5


class ImportRefused(Exception):
    """The import cannot start: unknown entity, or an adapter that cannot read it."""


class _DryRun(Exception):
    """Raised at the end of a dry run's feed so its transaction rolls back."""

    def __init__(self, ctx: ImportContext):
        super().__init__()
        self.ctx = ctx


@dataclass
class ImportContext:
    """What an importer needs while it applies one feed."""

    connection: ErpConnection
    run: SyncRun
    entity: str
    feed: Feed
    now: datetime
    dry_run: bool
    issues: list[IssueDraft] = field(default_factory=list)
    counts: MergeCounts = field(default_factory=MergeCounts)
    failed: int = 0
    suppressed: int = 0
    rejected_keys: set[str] = field(default_factory=set)
    progress: Callable[[int], None] | None = None
    # A full run reads every record; ``skip_lines`` off (the feed read again after ``ReadAgain``) too.
    full: bool = False
    skip_lines: bool = True
    skipped: int = 0  # records skipped as unchanged (counted among ``counts.unchanged`` too)
    _value_maps: dict[str, dict[str, str]] | None = None

    @cached_property
    def options(self) -> CommonSettings:
        """The connection's settings every connection has, parsed once per feed."""
        return settings_for(self.connection)

    def reject(self, *, key: str, code: str, message: str, payload: Any = None, entity: str = "") -> None:
        """A record that cannot be applied: it becomes (or updates) an open issue; the feed goes on."""
        self.failed += 1
        self.rejected_keys.add(key)
        if len(self.issues) >= ISSUES_KEPT_PER_FEED:
            self.suppressed += 1
            return
        self.issues.append(
            IssueDraft(
                entity=entity or self.entity,
                code=code,
                message=message,
                external_id=key,
                payload={"source": self.feed.source, "record": _jsonable(payload)},
            )
        )

    def map(self, kind: str, value: str) -> str:
        """The portal's value for an ERP code of ``kind`` (``ValueMap``), or the code itself when unmapped."""
        if self._value_maps is None:
            maps: dict[str, dict[str, str]] = {}
            for row in ValueMap.objects.filter(connection=self.connection).values_list(
                "kind", "external_value", "local_value"
            ):
                maps.setdefault(row[0], {})[row[1]] = row[2]
            self._value_maps = maps
        return self._value_maps.get(kind, {}).get(value, value)

    def tick(self, records: Iterable) -> Iterator:
        """Pass records through, reporting progress every 1,000."""
        count = 0
        for record in records:
            yield record
            count += 1
            if self.progress and count % 1000 == 0:
                self.progress(1000)
        if self.progress and count % 1000:
            self.progress(count % 1000)

    def staging(self, name: str, columns: dict[str, str]) -> Staging:
        staging = Staging(f"erpsync_stage_{name}", columns)
        staging.create()
        return staging


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return {name: _jsonable(getattr(value, name)) for name in value.__dataclass_fields__}
    return str(value)


@contextmanager
def run_lock(connection: ErpConnection, entity: str):
    """Hold the one-run-at-a-time lock of (connection, entity) for the block; yields False when it is taken."""
    if db.vendor != "postgresql":
        yield True
        return
    key = int.from_bytes(hashlib.sha256(f"erpsync:{connection.pk}:{entity}".encode()).digest()[:8], "big", signed=True)
    with db.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [key])
        taken = cursor.fetchone()[0]
    try:
        yield taken
    finally:
        if taken:
            with db.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [key])


def sync_import(
    *,
    connection: ErpConnection,
    entity: str,
    full: bool = False,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
    importers: dict[str, Callable[[], Any]],
    keys: Sequence[str] | None = None,
) -> SyncRun:
    """Import ``entity`` from ``connection``'s ERP with its importer among ``importers`` (the package's registry,
    ``erpsync.importers.IMPORTERS``, passes them) and return the run's record.

    Delta since the stored watermark (less the safety buffer) when the adapter supports deltas and ``full`` is
    off; otherwise a full snapshot, whose missing records are deactivated. ``dry_run`` reads, validates and
    counts what would be created, updated and deactivated (with a few sample differences in
    ``SyncRun.summary``) and writes nothing but the run record. Refuses an unknown entity or an adapter that
    cannot read it (``ImportRefused``); an ERP that cannot be reached fails the run and opens an issue. ``keys``
    (the ERP's ids of single records, e.g. from a webhook) imports just those records, as changes
    (``ErpAdapter.read_keys``)."""
    importer = importers.get(entity)
    if importer is None:
        raise ImportRefused(f"Nothing imports {entity!r}; importable: {', '.join(sorted(importers))}.")
    with run_lock(connection, entity) as taken:
        if not taken:
            return SyncRun.objects.create(
                connection=connection,
                entity=entity,
                dry_run=dry_run,
                status=SyncRun.Status.SUCCEEDED,
                finished_at=timezone.now(),
                summary={"skipped": "Another run of this entity was in progress."},
            )
        # Under the lock, a run still marked running was killed: say so rather than leave it running forever.
        SyncRun.objects.filter(
            connection=connection, entity=entity, direction=SyncRun.Direction.IMPORT, status=SyncRun.Status.RUNNING
        ).update(status=SyncRun.Status.FAILED, finished_at=timezone.now(), error="Interrupted before it finished.")
        return _import(connection, entity, importer, full=full, dry_run=dry_run, progress=progress, keys=keys)


def _import(connection, entity, importer, *, full, dry_run, progress, keys=None) -> SyncRun:
    # The run is recorded before anything can fail (the adapter's settings, its session, the first read), so every
    # failure leaves a failed run in the log; a refusal (the adapter cannot read the entity) leaves none.
    run = SyncRun.objects.create(connection=connection, entity=entity, dry_run=dry_run)
    started = time.monotonic()
    totals = MergeCounts()
    summary: dict[str, Any] = {"feeds": [], "samples": []}
    failed = 0
    try:
        with adapter_for(connection) as adapter:
            if not adapter.can_read(entity):
                raise ImportRefused(f"The {connection.adapter} adapter cannot read {entity}.")
            cursor, _created = SyncCursor.objects.get_or_create(connection=connection, entity=entity)
            delta = adapter.supports(Capability.DELTA) and not full and cursor.watermark is not None
            # The one place the connection's delta_overlap_seconds is applied (see erpsync.common_settings): clocks
            # differ and ERP transactions commit late.
            overlap = timedelta(seconds=adapter.common.delta_overlap_seconds)
            since = cursor.watermark - overlap if delta else None
            run.mode = SyncRun.Mode.DELTA if delta or keys else SyncRun.Mode.FULL
            run.window_from = since
            run.save(update_fields=["mode", "window_from"])
            feeds = adapter.read_keys(entity, keys) if keys else adapter.read(entity, since=since, full=full)
            for feed in feeds:
                outcome = _apply_feed(
                    connection, run, cursor, importer, feed, dry_run=dry_run, full=full, progress=progress
                )
                summary["feeds"].append(outcome.report)
                failed += outcome.failed
                if outcome.counts:
                    totals.add(outcome.counts)
                    if len(summary["samples"]) < SAMPLE_LIMIT * 3:
                        summary["samples"].extend(outcome.counts.samples[:SAMPLE_LIMIT])
            if hasattr(adapter, "run_usage"):  # an ERP that charges per call: what this run spent
                summary["api"] = adapter.run_usage()
    except ImportRefused:
        run.delete()
        raise
    except Exception as exc:
        _fail_run(run, connection, entity, exc, record_issue=not dry_run)
        raise
    run.created, run.updated, run.unchanged = totals.created, totals.updated, totals.unchanged
    run.deactivated, run.failed = totals.deactivated, failed
    run.status = SyncRun.Status.PARTIAL if failed else SyncRun.Status.SUCCEEDED
    run.finished_at = timezone.now()
    run.window_to = cursor.watermark if delta else None
    summary["seconds"] = round(time.monotonic() - started, 3)
    run.summary = summary
    if not summary["feeds"] and not dry_run:
        # Nothing was waiting (a drop folder polled every minute): the cursor notes the poll, and the run log
        # keeps runs that did something or failed.
        cursor.save(update_fields=["updated_at"])
        run.delete()
        return run
    run.save()
    if not dry_run:
        SyncIssue.objects.filter(
            connection=connection, entity=entity, code=IMPORT_FAILED, status__in=("open", "retrying")
        ).update(status=SyncIssue.Status.RESOLVED, resolved_at=timezone.now())
    return run


def _fail_run(run: SyncRun, connection: ErpConnection, entity: str, exc: Exception, *, record_issue: bool) -> None:
    log.exception("Import of %s from %s failed", entity, connection.code)
    run.status = SyncRun.Status.FAILED
    run.finished_at = timezone.now()
    run.error = f"{type(exc).__name__}: {exc}"[:4000]
    run.save(update_fields=["status", "finished_at", "error"])
    if not record_issue:
        return
    sync_issues_record(
        connection=connection,
        run=run,
        drafts=[
            IssueDraft(
                entity=entity,
                code=IMPORT_FAILED,
                message=str(exc)[:2000] or type(exc).__name__,
                payload={"error": type(exc).__name__, "retryable": getattr(exc, "retryable", False)},
            )
        ],
    )


@dataclass
class _Outcome:
    report: dict
    counts: MergeCounts | None = None
    failed: int = 0


def _apply_feed(connection, run, cursor, importer, feed: Feed, *, dry_run: bool, full: bool, progress) -> _Outcome:
    report: dict[str, Any] = {"source": feed.source, "complete": feed.complete}
    if not (dry_run or full) and feed.digest and feed.digest == cursor.state.get("digest"):
        # The very same content was applied before (an ERP re-export, or a run killed after its commit but
        # before the file was archived): nothing in it can have changed. A full run applies it anyway, to
        # correct anything changed on the portal's side since.
        report["skipped"] = "identical to the feed applied before"
        feed.acknowledge(report)
        return _Outcome(report, MergeCounts())
    now = timezone.now()
    try:
        try:
            ctx = _apply_once(connection, run, cursor, importer(), feed, now, dry_run, full, progress, True)
        except ReadAgain:
            # A key the feed holds twice, one copy skipped as unchanged: read the whole feed, so it is refused
            # as a duplicate as it always was.
            ctx = _apply_once(connection, run, cursor, importer(), feed, now, dry_run, full, progress, False)
    except _DryRun as dry:
        ctx = dry.ctx
    except FeedError as exc:
        if not exc.source:
            exc.source = feed.source
        report["error"] = str(exc)
        if dry_run:  # reported, not recorded: a dry run writes nothing but its run
            return _Outcome(report, None, failed=1)
        sync_issues_record(
            connection=connection,
            run=run,
            drafts=[
                IssueDraft(
                    entity=feed.entity,
                    code=FEED_MALFORMED,
                    message=str(exc),
                    external_id=feed.source,
                    payload={"source": feed.source, "line": exc.line, "column": _jsonable(exc.column)},
                )
            ],
        )
        if not dry_run:
            feed.reject(exc)
        return _Outcome(report, None, failed=1)
    counts = ctx.counts
    report.update(
        created=counts.created,
        updated=counts.updated,
        unchanged=counts.unchanged,
        deactivated=counts.deactivated,
        failed=ctx.failed,
    )
    if ctx.skipped:
        report["skipped_unchanged"] = ctx.skipped
    if dry_run:
        report["issues"] = [
            {"code": i.code, "key": i.external_id, "message": i.message} for i in ctx.issues[:SAMPLE_LIMIT]
        ]
    else:
        feed.acknowledge(report)
    return _Outcome(report, counts, failed=ctx.failed)


def _apply_once(connection, run, cursor, importer, feed, now, dry_run, full, progress, skip_lines) -> ImportContext:
    """Apply ``feed`` in one transaction; returns its context (a dry run raises ``_DryRun`` carrying it)."""
    ctx = ImportContext(
        connection=connection,
        run=run,
        entity=feed.entity,
        feed=feed,
        now=now,
        dry_run=dry_run,
        progress=progress,
        full=full,
        skip_lines=skip_lines,
    )
    with transaction.atomic():
        locked = SyncCursor.objects.select_for_update().get(pk=cursor.pk)
        importer.apply(ctx)
        if ctx.suppressed:
            ctx.issues.append(
                IssueDraft(
                    entity=feed.entity,
                    code="many_refused",
                    message=f"{ctx.suppressed} more records of {feed.source} were refused; see the first ones.",
                    external_id=f"{feed.source}:more",
                    payload={"source": feed.source, "more": ctx.suppressed},
                )
            )
        sync_issues_record(connection=connection, run=run, drafts=ctx.issues)
        if feed.watermark and (locked.watermark is None or feed.watermark > locked.watermark):
            locked.watermark = feed.watermark
        if feed.digest:
            locked.state = {**locked.state, "digest": feed.digest, "source": feed.source}
        locked.save()
        if dry_run:
            raise _DryRun(ctx)
    cursor.watermark, cursor.state = locked.watermark, locked.state
    return ctx
