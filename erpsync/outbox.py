"""The outbox: changes the ERP must hear about, queued in the transaction that made them, delivered at least once.

- ``outbox_enqueue`` writes a ``SyncJob`` in the caller's transaction. The partial unique index on unfinished
  jobs keeps one job per change; a change already delivered is not queued again.
- ``outbox_drain`` claims due jobs (``FOR UPDATE SKIP LOCKED`` on PostgreSQL), marks them running under a lease,
  and runs each outside any transaction or lock (the ERP call can be slow). A job whose worker died keeps its
  lease until it expires, then is claimed again; exporters look the reference up before creating, so a rerun
  binds rather than duplicates.
- Failures: a retryable error waits ``backoff`` (exponential with jitter, per kind, or the ERP's Retry-After);
  after ``max_attempts``, or at once for a permanent error, the job waits as "needs a human" with an issue.
- Per connection: at most ``outbox_concurrency`` jobs run at once (the connection's setting, else its adapter's
  default, else ``ERPSYNC_OUTBOX_CONCURRENCY``), and a circuit breaker stops claiming after
  ``outbox_breaker_failures`` retryable failures in a row, for a cool-down that doubles while the ERP stays
  down. Jobs wait in order meanwhile; a job never overtakes an older unfinished job of the same change key.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta

from django.db import connection as db
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from erpsync.adapters import adapter_for, settings_for
from erpsync.adapters.base import ErpError, OutcomeUnknownError, PermanentError, RetryableError
from erpsync.enqueue import (  # noqa: F401  (re-exported: the outbox's public names)
    CAPABILITY_OF,
    DUE_STATES,
    export_connections,
    outbox_enqueue,
    outbox_enqueue_many,
)
from erpsync.exporters import EXPORTERS, ExportSkipped
from erpsync.issues import IssueDraft, sync_issues_record, sync_issues_resolve
from erpsync.models import Entity, ErpConnection, SyncIssue, SyncJob
from erpsync.queueing import queue_drain

log = logging.getLogger(__name__)

S = SyncJob.Status
K = SyncJob.Kind

# Kind → (first wait, longest wait) in seconds. Orders wait least: a dealer is waiting for the confirmation.
BACKOFF = {
    K.ORDER_EXPORT: (30, 3600),
    K.ORDER_CANCEL: (30, 3600),
    K.PAYMENT_EXPORT: (60, 6 * 3600),
    K.REFUND_EXPORT: (60, 6 * 3600),
    K.CUSTOMER_EXPORT: (300, 6 * 3600),
    K.SHIP_TO_EXPORT: (300, 6 * 3600),
}
ENTITY_OF = {
    K.ORDER_EXPORT: Entity.ORDER,
    K.ORDER_CANCEL: Entity.ORDER,
    K.PAYMENT_EXPORT: Entity.PAYMENT,
    K.REFUND_EXPORT: Entity.CREDIT_MEMO,
    K.CUSTOMER_EXPORT: Entity.CUSTOMER,
    K.SHIP_TO_EXPORT: Entity.ADDRESS,
}


def not_offered_message(kind: str) -> str:
    """Why a job of ``kind`` is not delivered by a connection that, as it is set up, does not take that kind."""
    return _("The ERP connection, as it is set up, does not take this (%(kind)s): enter it in the ERP by hand, or "
             "change the connection's settings and send it again.") % {"kind": SyncJob.Kind(kind).label}  # fmt: skip


class OutboxRefused(Exception):
    """A staff action on a job that does not apply to its state."""


def backoff(kind: str, attempts: int, *, retry_after: float | None = None, rng: random.Random | None = None) -> float:
    """Seconds to wait before attempt ``attempts + 1``: the ERP's Retry-After when it gave one, else
    exponential from the kind's first wait, capped, with ±25 % jitter so retries of many jobs spread out."""
    if retry_after is not None and retry_after > 0:
        return float(retry_after)
    first, cap = BACKOFF.get(kind, (60, 3600))
    delay = min(cap, first * 2 ** max(attempts - 1, 0))
    return delay * (rng or random).uniform(0.75, 1.25)


# --- The circuit breaker -------------------------------------------------------------------------------


def breaker_is_open(connection: ErpConnection, now=None) -> bool:
    now = now or timezone.now()
    return connection.breaker_open_until is not None and connection.breaker_open_until > now


def _breaker_record(connection: ErpConnection, *, failed: bool) -> None:
    """Count retryable failures in a row; at the threshold open the breaker for a cool-down that doubles each
    time it opens again. A success closes it."""
    with transaction.atomic():
        locked = ErpConnection.objects.select_for_update().get(pk=connection.pk)
        if not failed:
            if locked.breaker_failures or locked.breaker_open_until:
                locked.breaker_failures = 0
                locked.breaker_open_until = None
                locked.save(update_fields=["breaker_failures", "breaker_open_until"])
            return
        locked.breaker_failures += 1
        options = settings_for(locked)
        threshold = options.outbox_breaker_failures
        if locked.breaker_failures >= threshold:
            base = options.outbox_breaker_seconds
            openings = locked.breaker_failures - threshold
            seconds = min(base * 2**openings, 3600)
            locked.breaker_open_until = timezone.now() + timedelta(seconds=seconds)
        locked.save(update_fields=["breaker_failures", "breaker_open_until"])
    connection.breaker_failures, connection.breaker_open_until = locked.breaker_failures, locked.breaker_open_until


# --- Claiming and running ------------------------------------------------------------------------------


def _lease(connection: ErpConnection) -> timedelta:
    return timedelta(seconds=settings_for(connection).outbox_lease_seconds)


def _due(connection: ErpConnection, now):
    """Jobs that may run now, oldest first. The conditions on the job's own row are re-checked by PostgreSQL
    when a concurrent claim held it, so two claimers cannot both take it."""
    lease_expired = Q(status=S.RUNNING, locked_at__lt=now - _lease(connection))
    due = Q(status__in=DUE_STATES) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    older_unfinished = SyncJob.objects.filter(
        connection_id=OuterRef("connection_id"),
        identity_key=OuterRef("identity_key"),
        status__in=(*DUE_STATES, S.RUNNING, S.DEAD),
        created_at__lt=OuterRef("created_at"),
    )
    return (
        SyncJob.objects.filter(due | lease_expired, connection=connection)
        .exclude(Exists(older_unfinished))
        .order_by("created_at", "id")
    )


CLAIM_LOCK = 0x6F7574  # "out": the advisory lock class of the outbox's claims, one lock per connection


def _serialise_claims(connection: ErpConnection) -> None:
    """Claims of one connection take turns (until the claiming transaction ends): otherwise two workers counting
    the running jobs at once would each see room under the cap and both claim. SQLite serialises writers anyway."""
    if db.vendor == "postgresql":
        with db.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [CLAIM_LOCK, connection.pk])


def outbox_claim(*, connection: ErpConnection, limit: int | None = None) -> list[SyncJob]:
    """Claim up to ``limit`` due jobs of ``connection`` (within its concurrency cap; none while its breaker is
    open, one to probe when the cool-down is over). Each claimed job is running with a fresh lease and one more
    attempt counted. Concurrent claimers never get the same job."""
    now = timezone.now()
    options = settings_for(connection)
    cap = options.outbox_concurrency
    if breaker_is_open(connection, now):
        return []
    with transaction.atomic():
        _serialise_claims(connection)
        running = SyncJob.objects.filter(
            connection=connection, status=S.RUNNING, locked_at__gte=now - _lease(connection)
        ).count()
        room = cap - running
        if connection.breaker_failures >= options.outbox_breaker_failures:
            room = min(room, 1)  # half-open: one probe
        if limit is not None:
            room = min(room, limit)
        if room <= 0:
            return []
        query = _due(connection, now)
        if db.vendor == "postgresql":
            query = query.select_for_update(skip_locked=True, of=("self",))
        jobs = list(query[:room])
        for job in jobs:
            job.status = S.RUNNING
            job.locked_at = now
            job.attempts += 1
        SyncJob.objects.bulk_update(jobs, ["status", "locked_at", "attempts"])
    return jobs


def outbox_claim_one(*, job_id: int) -> SyncJob | None:
    """Claim one job by id, as a worker handed that id does: None when it is not due, or another worker holds
    it (a task delivered twice runs once)."""
    job = SyncJob.objects.select_related("connection").filter(pk=job_id).first()
    if job is None:
        return None
    now = timezone.now()
    claimed = (
        _due(job.connection, now)
        .filter(pk=job_id)
        .order_by()
        .update(status=S.RUNNING, locked_at=now, attempts=F("attempts") + 1)
    )
    if not claimed:
        return None
    job.refresh_from_db()
    return job


def outbox_run(*, job: SyncJob) -> SyncJob:
    """Run one claimed job through its exporter and record the outcome. Never raises for an ERP failure: the
    job's status, attempts, next attempt and last error say what happened, and a job that needs a human opens
    an issue."""

    connection = job.connection
    exporter = EXPORTERS.get(job.kind)
    if exporter is None:
        return _give_up(job, "no_exporter", _("Nothing exports jobs of this kind."))
    # The lease must outlast the ERP call: a worker still talking to the ERP must not be taken over.
    try:
        with adapter_for(connection) as adapter:
            needed = CAPABILITY_OF.get(job.kind)
            if needed is not None and not adapter.supports(needed):
                # Queued before the connection's settings stopped it: the ERP is not asked for what it was told
                # not to do, and staff decide (enter it by hand, or change the settings and send it again).
                return _give_up(job, "not_offered", str(not_offered_message(job.kind)))
            external_id = exporter(adapter=adapter, job=job)
    except ExportSkipped as exc:
        return _finish(job, S.CANCELLED, note=str(exc))
    except PermanentError as exc:
        _breaker_record(connection, failed=False)  # the ERP answered
        return _give_up(job, exc.code or "refused", _("The ERP refused it: %(error)s") % {"error": exc.message})
    except RetryableError as exc:
        _breaker_record(connection, failed=True)
        return _retry(job, exc)
    except ErpError as exc:
        return _give_up(job, exc.code or "erp_error", exc.message)
    except Exception as exc:  # a bug or a database error: retried, bounded, and visible
        log.exception("Outbox job %s failed", job.pk)
        return _retry(job, RetryableError(f"{type(exc).__name__}: {exc}"))
    _breaker_record(connection, failed=False)
    done = _finish(job, S.SUCCEEDED, external_id=external_id or "")
    if done.status != S.SUCCEEDED:
        return done
    sync_issues_resolve(
        connection=connection, entity=ENTITY_OF.get(job.kind, Entity.ORDER), external_ids=[job.identity_key]
    )
    return done


def _settle(job: SyncJob, **fields) -> bool:
    """Record a run's outcome, only while this worker still holds the job: a worker that outlived its lease
    (another took the job over) must not overwrite the newer outcome. Returns whether it was recorded."""
    fields.setdefault("locked_at", None)
    fields["updated_at"] = timezone.now()
    held = SyncJob.objects.filter(pk=job.pk, status=S.RUNNING, locked_at=job.locked_at).update(**fields)
    if not held:
        log.warning("Outbox job %s was taken over by another worker; this outcome is dropped.", job.pk)
        job.refresh_from_db()
        return False
    for name, value in fields.items():
        setattr(job, name, value)
    return True


def _finish(job: SyncJob, status: str, *, external_id: str = "", note: str = "") -> SyncJob:
    fields = {"status": status, "finished_at": timezone.now(), "next_attempt_at": None}
    if external_id:
        fields["external_id"] = external_id[:255]
    if note:
        fields["last_error"] = note
    _settle(job, **fields)
    return job


def _retry(job: SyncJob, exc: RetryableError) -> SyncJob:
    unknown = isinstance(exc, OutcomeUnknownError)
    message = str(exc) + (" " + _("(the ERP may have applied it; the retry looks it up first)") if unknown else "")
    if job.attempts >= job.max_attempts:
        return _give_up(
            job,
            "attempts_exhausted",
            _("Gave up after %(n)s attempts: %(error)s") % {"n": job.attempts, "error": message},
        )
    wait = backoff(job.kind, job.attempts, retry_after=exc.retry_after)
    _settle(
        job,
        status=S.RETRYING,
        last_error=message[:4000],
        next_attempt_at=timezone.now() + timedelta(seconds=wait),
    )
    return job


def _give_up(job: SyncJob, code: str, message: str) -> SyncJob:
    if not _settle(job, status=S.DEAD, next_attempt_at=None, last_error=message[:4000]):
        return job
    sync_issues_record(
        connection=job.connection,
        job=job,
        drafts=[
            IssueDraft(
                entity=ENTITY_OF.get(job.kind, Entity.ORDER),
                code=code[:64],
                message=message,
                external_id=job.identity_key,
                local_id=job.object_id,
                payload={"kind": job.kind, "attempts": job.attempts, "payload": job.payload},
            )
        ],
    )
    return job


def outbox_drain(*, connection: ErpConnection, limit: int = 500) -> int:
    """Run due jobs of ``connection`` until none is due, the breaker opens or ``limit`` jobs ran. Returns how
    many ran."""
    ran = 0
    while ran < limit:
        connection.refresh_from_db(fields=["breaker_failures", "breaker_open_until", "is_active"])
        if not connection.is_active:
            break
        jobs = outbox_claim(connection=connection, limit=min(10, limit - ran))
        if not jobs:
            break
        for job in jobs:
            job.connection = connection
            outbox_run(job=job)
            ran += 1
    return ran


# --- Staff actions -------------------------------------------------------------------------------------


@transaction.atomic
def outbox_requeue(*, job: SyncJob, user=None) -> SyncJob:
    """Send a job that needs a human (or waits to retry) again now, with a fresh set of attempts. Refuses jobs
    that are running, delivered or cancelled."""
    locked = SyncJob.objects.select_for_update().get(pk=job.pk)
    if locked.status not in (S.DEAD, S.RETRYING, S.PENDING):
        raise OutboxRefused(_("Only a job that waits or needs a human can be sent again."))
    locked.status = S.PENDING
    locked.next_attempt_at = timezone.now()
    locked.max_attempts = locked.attempts + settings_for(locked.connection).outbox_max_attempts
    locked.save(update_fields=["status", "next_attempt_at", "max_attempts", "updated_at"])

    SyncIssue.objects.filter(job=locked, status=SyncIssue.Status.OPEN).update(status=SyncIssue.Status.RETRYING)
    connection_id = locked.connection_id
    transaction.on_commit(lambda: queue_drain(connection_id=connection_id))
    return locked


@transaction.atomic
def outbox_cancel(*, job: SyncJob, user=None, reason: str = "") -> SyncJob:
    """Stop a job that has not been delivered: the ERP will not hear about this change from the portal (staff
    enter it by hand, or it is no longer wanted). Refuses running and finished jobs."""
    locked = SyncJob.objects.select_for_update().get(pk=job.pk)
    if locked.status not in (S.DEAD, S.RETRYING, S.PENDING):
        raise OutboxRefused(_("Only a job that waits or needs a human can be cancelled."))
    who = getattr(user, "email", "") or _("staff")
    locked.last_error = (_("Cancelled by %(who)s. %(reason)s") % {"who": who, "reason": reason}).strip()[:4000]
    locked.status = S.CANCELLED
    locked.finished_at = timezone.now()
    locked.next_attempt_at = None
    locked.save(update_fields=["status", "finished_at", "next_attempt_at", "last_error", "updated_at"])

    SyncIssue.objects.filter(job=locked, status__in=("open", "retrying")).update(
        status=SyncIssue.Status.IGNORED, resolved_at=timezone.now(), resolved_by=user
    )
    return locked
