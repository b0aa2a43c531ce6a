"""Running the drift check of a connection: the checks in turn under the connection's run lock, their drifts
recorded as issues (and the ones that no longer hold resolved), the whole check recorded as a ``SyncRun``."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from b2bportal.database import retry_when_locked
from erpsync.adapters import adapter_for
from erpsync.adapters.base import ErpAdapter
from erpsync.drift.balances import check_balances
from erpsync.drift.options import DriftOptions
from erpsync.drift.orders import check_orders
from erpsync.drift.report import COMPARED, FAILED, DriftCheck, DriftReport
from erpsync.drift.stock import check_stock
from erpsync.importers.engine import run_lock
from erpsync.issues import OPEN_STATES, sync_issues_record, sync_issues_resolve
from erpsync.models import Entity, ErpConnection, SyncIssue, SyncRun

log = logging.getLogger(__name__)

CHECKS: dict[str, Callable[[ErpConnection, ErpAdapter, DriftOptions, datetime], DriftCheck]] = {
    "balance": check_balances,
    "stock": check_stock,
    "orders": check_orders,
}


def _record(connection: ErpConnection, run: SyncRun, check: DriftCheck) -> tuple[int, int]:
    """Open or bump an issue per drift of a check that ran, and resolve the check's open issues that no longer
    hold. Returns (recorded, resolved)."""
    recorded = sync_issues_record(connection=connection, run=run, drafts=check.drafts)
    still = {(d.code, d.external_id) for d in check.drafts}
    stale: dict[str, list[str]] = defaultdict(list)
    for code, external_id in SyncIssue.objects.filter(
        connection=connection, entity=Entity.DRIFT, status__in=OPEN_STATES, code__in=check.codes
    ).values_list("code", "external_id"):
        if (code, external_id) not in still and external_id not in check.keep:
            stale[code].append(external_id)
    resolved = sum(
        sync_issues_resolve(connection=connection, entity=Entity.DRIFT, external_ids=ids, codes=[code])
        for code, ids in stale.items()
    )
    return recorded, resolved


def _run_checks(connection: ErpConnection, run: SyncRun, report: DriftReport, now: datetime) -> None:
    """Each check in turn, its drifts recorded as soon as it has compared; a check that fails does not stop the
    others. Raises when the settings or the adapter themselves are at fault."""
    options = DriftOptions.of(connection)
    with adapter_for(connection) as adapter:
        for name, compare in CHECKS.items():
            if name not in options.checks:
                report.checks.append(DriftCheck(name).skip(_("Turned off in the connection's settings.")))
                continue
            try:
                check = compare(connection, adapter, options, now)
            except NotImplementedError:
                check = DriftCheck(name).skip(_("The adapter does not implement what this check asks."))
            except Exception as exc:
                log.warning("Drift check %s of %s failed: %s", name, connection.code, exc)
                check = DriftCheck(name, state=FAILED, reason=f"{type(exc).__name__}: {exc}"[:2000])
            report.checks.append(check)
            if check.state == COMPARED:
                recorded, resolved = _record(connection, run, check)
                report.recorded += recorded
                report.resolved += resolved


def drift_check(connection: ErpConnection, *, now: datetime | None = None) -> DriftReport:
    """Compare the ERP and the portal for ``connection``, record the drifts as issues and the check as a
    ``SyncRun`` (entity "drift"). A check the ERP cannot answer is skipped; one that fails (the ERP unreachable)
    is reported and leaves its issues as they were. Never raises for the ERP's or the settings' faults."""
    now = now or timezone.now()
    report = DriftReport(connection=connection)
    with run_lock(connection, Entity.DRIFT) as taken:
        if not taken:
            report.error = _("Another drift check of this connection is running.")
            return report
        SyncRun.objects.filter(connection=connection, entity=Entity.DRIFT, status=SyncRun.Status.RUNNING).update(
            status=SyncRun.Status.FAILED, finished_at=timezone.now(), error="Interrupted before it finished."
        )
        run = SyncRun.objects.create(
            connection=connection, entity=Entity.DRIFT, direction=SyncRun.Direction.IMPORT, mode=SyncRun.Mode.FULL
        )
        report.run = run
        started = time.monotonic()
        try:
            _run_checks(connection, run, report, now)
        except Exception as exc:  # the settings or the adapter itself: nothing could be compared
            log.warning("Drift check of %s failed: %s", connection.code, exc)
            report.error = f"{type(exc).__name__}: {exc}"[:2000]
        run.status = report.status
        run.finished_at = timezone.now()
        run.unchanged = report.compared - report.drifted
        run.failed = report.drifted
        run.error = report.error or "; ".join(f"{c.name}: {c.reason}" for c in report.checks if c.state == FAILED)
        run.summary = {**report.as_dict(), "seconds": round(time.monotonic() - started, 3)}
        run.save()
    return report


@retry_when_locked
def run_drift_check(connection_id: int) -> str:
    """The scheduled check of one connection (django-q2); returns the run's status. Inactive connections are
    skipped."""
    connection = ErpConnection.objects.filter(pk=connection_id, is_active=True).first()
    if connection is None:
        return "skipped"
    report = drift_check(connection)
    return report.run.status if report.run else "skipped"
