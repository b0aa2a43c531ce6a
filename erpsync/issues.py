"""The exception queue: opening, updating, resolving and working ``SyncIssue`` rows.

A record that fails again updates its open issue (one open issue per record and reason, enforced by a partial
unique index); an issue is resolved by the sync itself when the record imports or exports cleanly, or by staff.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from erpsync.models import ErpConnection, SyncIssue, SyncJob
from erpsync.notifications import issues_notify

OPEN_STATES = (SyncIssue.Status.OPEN, SyncIssue.Status.RETRYING)
PAYLOAD_LIMIT = 8_000


@dataclass
class IssueDraft:
    """An issue to open or update; built during an import, written in bulk."""

    entity: str
    code: str
    message: str
    external_id: str = ""
    local_id: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)


def _bounded(payload: dict) -> dict:
    """Payloads are shown to staff; a huge ERP record is cut rather than stored whole."""
    text = repr(payload)
    if len(text) <= PAYLOAD_LIMIT:
        return payload
    return {"truncated": text[:PAYLOAD_LIMIT]}


def sync_issues_record(
    *, connection: ErpConnection, drafts: Iterable[IssueDraft], run=None, job: SyncJob | None = None
) -> int:
    """Open an issue per draft, or bump the open issue of the same record and reason (message and payload
    refreshed, ``occurrences`` + 1). Returns how many drafts were recorded. Two drafts for the same record and
    reason in one call count as one issue seen twice."""
    merged: dict[tuple, IssueDraft] = {}
    seen: dict[tuple, int] = {}
    for draft in drafts:
        key = (draft.entity, draft.external_id, draft.local_id, draft.code)
        merged[key] = draft
        seen[key] = seen.get(key, 0) + 1
    if not merged:
        return 0
    with transaction.atomic():
        existing = {
            (i.entity, i.external_id, i.local_id, i.code): i
            for i in SyncIssue.objects.select_for_update()
            .filter(
                connection=connection,
                status__in=OPEN_STATES,
                entity__in={k[0] for k in merged},
                code__in={k[3] for k in merged},
                external_id__in={k[1] for k in merged},
            )
            .order_by("pk")
        }
        to_update, to_create = [], []
        for key, draft in merged.items():
            issue = existing.get(key)
            if issue is None:
                to_create.append(
                    SyncIssue(
                        connection=connection,
                        run=run,
                        job=job,
                        entity=draft.entity,
                        external_id=draft.external_id[:255],
                        local_id=draft.local_id,
                        code=draft.code,
                        message=draft.message,
                        payload=_bounded(draft.payload),
                        occurrences=seen[key],
                    )
                )
            else:
                issue.message = draft.message
                issue.payload = _bounded(draft.payload)
                issue.occurrences += seen[key]
                issue.status = SyncIssue.Status.OPEN
                issue.run = run or issue.run
                issue.job = job or issue.job
                issue.last_seen_at = timezone.now()
                to_update.append(issue)
        SyncIssue.objects.bulk_create(to_create, batch_size=500)
        SyncIssue.objects.bulk_update(
            to_update, ["message", "payload", "occurrences", "status", "run", "job", "last_seen_at"], batch_size=500
        )
        # New issues need a person: staff hear of them in the next digest (an issue seen again is not news).
        issues_notify(connection=connection, issues=to_create)
    return len(merged)


def sync_issues_resolve(
    *, connection: ErpConnection, entity: str, external_ids: Iterable[str] = (), codes: Iterable[str] | None = None
) -> int:
    """Resolve the open issues of these records: they went through cleanly. Returns how many were resolved."""
    ids = list(external_ids)
    if not ids:
        return 0
    issues = SyncIssue.objects.filter(connection=connection, entity=entity, status__in=OPEN_STATES, external_id__in=ids)
    if codes is not None:
        issues = issues.filter(code__in=list(codes))
    return issues.update(status=SyncIssue.Status.RESOLVED, resolved_at=timezone.now())


class IssueRefused(Exception):
    """A staff action on an issue that does not apply to it (already closed, nothing to map)."""


def _locked_open(issue: SyncIssue) -> SyncIssue:
    locked = SyncIssue.objects.select_for_update().get(pk=issue.pk)
    if locked.status not in OPEN_STATES:
        raise IssueRefused(_("This issue is already %(status)s.") % {"status": locked.get_status_display()})
    return locked


@transaction.atomic
def sync_issue_ignore(*, issue: SyncIssue, user) -> SyncIssue:
    """Close an open issue without fixing it (the record stays as it is); the issue stays in the record."""
    locked = _locked_open(issue)
    locked.status = SyncIssue.Status.IGNORED
    locked.resolved_at = timezone.now()
    locked.resolved_by = user
    locked.save(update_fields=["status", "resolved_at", "resolved_by", "updated_at"])
    return locked


def open_issue_counts(connection_ids: Iterable[int]) -> dict[int, int]:
    rows = (
        SyncIssue.objects.filter(connection_id__in=list(connection_ids), status__in=OPEN_STATES)
        .values("connection_id")
        .annotate(n=Count("id"))
    )
    return {row["connection_id"]: row["n"] for row in rows}
