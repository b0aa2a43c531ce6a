"""What the sync health page shows of the drift check: the last check and the drifts still open."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count

from erpsync.drift.report import DRIFT_KINDS
from erpsync.issues import OPEN_STATES
from erpsync.models import Entity, ErpConnection, SyncIssue, SyncRun


@dataclass
class DriftHealth:
    """For the sync health page: when drift was last checked and which drifts are open."""

    last_check: datetime | None
    last_status: str
    last_summary: dict
    open_by_kind: list[dict]

    @property
    def open_total(self) -> int:
        return sum(row["count"] for row in self.open_by_kind)

    @property
    def last_status_label(self) -> str:
        return str(SyncRun.Status(self.last_status).label) if self.last_status else ""


def drift_health(connection: ErpConnection) -> DriftHealth:
    """Two queries whatever the number of checks or issues."""
    last = (
        SyncRun.objects.filter(connection=connection, entity=Entity.DRIFT, dry_run=False)
        .exclude(status=SyncRun.Status.RUNNING)
        .order_by("-started_at")
        .only("finished_at", "status", "summary")
        .first()
    )
    counts = dict(
        SyncIssue.objects.filter(connection=connection, entity=Entity.DRIFT, status__in=OPEN_STATES)
        .order_by()
        .values("code")
        .annotate(n=Count("id"))
        .values_list("code", "n")
    )
    open_by_kind = [
        {"code": code, "label": str(DRIFT_KINDS.get(code, code)), "count": counts[code]}
        for code in [*DRIFT_KINDS, *sorted(set(counts) - set(DRIFT_KINDS))]
        if counts.get(code)
    ]
    return DriftHealth(
        last_check=last.finished_at if last else None,
        last_status=last.status if last else "",
        last_summary=last.summary if last else {},
        open_by_kind=open_by_kind,
    )
