"""Selectors for the sync health page and ``manage.py erpsync status``: where each connection stands.

All figures come from a handful of aggregate queries per connection, whatever the number of runs or jobs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Count, Max, Min, Q
from django.db.models.functions import TruncHour
from django.utils import timezone

from erpsync.adapters import adapter_for
from erpsync.adapters.base import ConnectionCheck
from erpsync.api_usage import Usage, api_usage_on
from erpsync.drift import DriftHealth, drift_health
from erpsync.enqueue import kinds_taken
from erpsync.models import Entity, ErpConnection, SyncIssue, SyncJob, SyncRun
from erpsync.rate_budget import rate_budget_in_use
from erpsync.token_store import token_problem

WINDOW = timedelta(hours=24)


@dataclass
class EntityHealth:
    entity: str
    last_success: datetime | None
    last_status: str
    lag: timedelta | None
    runs_24h: int
    failed_24h: int


@dataclass
class ApiHealth:
    """An ERP API with a published rate limit and OAuth tokens (Paraşüt): the requests sent in the current window,
    out of how many, and why no token can be had without a person ("" when there is no such problem)."""

    in_use: int
    limit: int
    window_seconds: float
    token_problem: str = ""


@dataclass(frozen=True)
class ExportOffer:
    """One kind of export, and whether this connection, as it is set up, sends it to the ERP."""

    kind: str
    label: str
    taken: bool


@dataclass
class ConnectionHealth:
    connection: ErpConnection
    entities: list[EntityHealth]
    backlog: int
    dead: int
    oldest_job_age: timedelta | None
    open_issues: int
    failed_runs_24h: int
    runs_24h: int
    breaker_open_until: datetime | None
    hours: list[dict] = field(default_factory=list)
    drift: DriftHealth | None = None
    api: ApiHealth | None = None
    live_failed_24h: int = 0  # live lookups (SQL checks, live balance/stock) that failed: pages used synced figures
    last_live_failure: SyncRun | None = None
    usage: Usage | None = None  # today's calls and credit, for an ERP that charges per call (DİA)
    exports: list[ExportOffer] = field(default_factory=list)

    @property
    def error_rate(self) -> float:
        return self.failed_runs_24h / self.runs_24h if self.runs_24h else 0.0

    @property
    def chart_peak(self) -> int:
        return max((h["succeeded"] + h["failed"] for h in self.hours), default=0) or 1


def connection_health(connection: ErpConnection, now: datetime | None = None) -> ConnectionHealth:
    now = now or timezone.now()
    since = now - WINDOW
    # Drift checks are not imports: they have their own section (``drift``). A live lookup of one dealer's balance
    # is not an import of the feed either: it would hide a stale feed's lag (it stays in the run log).
    runs = (
        SyncRun.objects.filter(connection=connection, direction=SyncRun.Direction.IMPORT, dry_run=False)
        .exclude(entity=Entity.DRIFT)
        .exclude(mode=SyncRun.Mode.LIVE)
    )
    per_entity = {
        row["entity"]: row
        for row in runs.values("entity").annotate(
            last_success=Max("finished_at", filter=Q(status__in=("succeeded", "partial"))),
            runs_24h=Count("id", filter=Q(started_at__gte=since)),
            failed_24h=Count("id", filter=Q(started_at__gte=since, status="failed")),
        )
    }
    last_status = dict(
        runs.order_by("entity", "-started_at").distinct("entity").values_list("entity", "status")
        if _distinct_on()
        else _last_status_portable(runs)
    )
    entities = [
        EntityHealth(
            entity=entity,
            last_success=row["last_success"],
            last_status=last_status.get(entity, ""),
            lag=(now - row["last_success"]) if row["last_success"] else None,
            runs_24h=row["runs_24h"],
            failed_24h=row["failed_24h"],
        )
        for entity, row in sorted(per_entity.items())
    ]
    jobs = SyncJob.objects.filter(connection=connection).aggregate(
        backlog=Count("id", filter=Q(status__in=("pending", "retrying", "running"))),
        dead=Count("id", filter=Q(status="dead")),
        oldest=Min("created_at", filter=Q(status__in=("pending", "retrying", "running", "dead"))),
    )
    hours = {
        row["hour"]: row
        for row in runs.filter(started_at__gte=since)
        .annotate(hour=TruncHour("started_at"))
        .values("hour")
        .annotate(
            succeeded=Count("id", filter=Q(status__in=("succeeded", "partial"))),
            failed=Count("id", filter=Q(status="failed")),
        )
    }
    start = (now - WINDOW).replace(minute=0, second=0, microsecond=0)
    series = []
    for i in range(25):
        at = start + timedelta(hours=i)
        row = next((r for h, r in hours.items() if h and abs((h - at).total_seconds()) < 1), None)
        series.append({"hour": at, "succeeded": row["succeeded"] if row else 0, "failed": row["failed"] if row else 0})
    return ConnectionHealth(
        connection=connection,
        entities=entities,
        backlog=jobs["backlog"],
        dead=jobs["dead"],
        oldest_job_age=(now - jobs["oldest"]) if jobs["oldest"] else None,
        open_issues=SyncIssue.objects.filter(connection=connection, status__in=("open", "retrying")).count(),
        failed_runs_24h=sum(e.failed_24h for e in entities),
        runs_24h=sum(e.runs_24h for e in entities),
        breaker_open_until=connection.breaker_open_until
        if connection.breaker_open_until and connection.breaker_open_until > now
        else None,
        hours=series,
        drift=drift_health(connection),
        api=api_health(connection),
        **live_failures(connection, since),
        usage=api_usage_today(connection),
        exports=connection_exports(connection),
    )


def connection_exports(connection: ErpConnection) -> list[ExportOffer]:
    """Each kind of export and whether the connection takes it (``erpsync.enqueue.kinds_taken``): what the
    portal sends this ERP, and what staff enter by hand."""
    taken = kinds_taken(connection)
    return [ExportOffer(kind=kind.value, label=str(kind.label), taken=kind in taken) for kind in SyncJob.Kind]


def live_failures(connection: ErpConnection, since: datetime) -> dict:
    """The live lookups of the last day that failed (pages showed the synced figures instead), and the last one."""
    failed = SyncRun.objects.filter(
        connection=connection, mode=SyncRun.Mode.LIVE, status=SyncRun.Status.FAILED, started_at__gte=since
    )
    last = failed.order_by("-started_at").first()
    return {"live_failed_24h": failed.count() if last else 0, "last_live_failure": last}


def api_health(connection: ErpConnection) -> ApiHealth | None:
    """The rate budget in use and the token's problem, for an adapter that keeps them (``budget_key``,
    ``token_key``); None for the others, or when the adapter cannot be made (its settings say why elsewhere)."""
    try:
        adapter = adapter_for(connection)
    except Exception:  # a connection with broken settings still gets its health page
        return None
    with adapter:
        budget_key = getattr(adapter, "budget_key", None)
        if budget_key is None:
            return None
        window = float(adapter.rate_window)
        return ApiHealth(
            in_use=rate_budget_in_use(budget_key, window=window),
            limit=adapter.rate_limit,
            window_seconds=window,
            token_problem=token_problem(adapter.token_key),
        )


def api_usage_today(connection: ErpConnection) -> Usage | None:
    """Today's calls and the credit they cost, for an adapter that counts them (``usage_key``); None for the
    others, or when the adapter cannot be made."""
    try:
        adapter = adapter_for(connection)
    except Exception:  # a connection with broken settings still gets its health page
        return None
    with adapter:
        key = getattr(adapter, "usage_key", None)
    return None if key is None else api_usage_on(key)


def _distinct_on() -> bool:
    from django.db import connection as db

    return db.features.can_distinct_on_fields


def _last_status_portable(runs):
    latest = runs.values("entity").annotate(at=Max("started_at"))
    pairs = {(row["entity"], row["at"]) for row in latest}
    return [
        (r.entity, r.status)
        for r in runs.filter(started_at__in={at for _e, at in pairs})
        if (r.entity, r.started_at) in pairs
    ]


def connection_test(connection: ErpConnection) -> ConnectionCheck:
    """Ask the adapter whether it reaches its ERP; any failure (bad settings, unreachable ERP, refused login)
    is a failed check with the reason, never an exception."""
    try:
        with adapter_for(connection) as adapter:
            return adapter.test_connection()
    except Exception as exc:
        return ConnectionCheck(False, f"{type(exc).__name__}: {exc}")
