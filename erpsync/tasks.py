"""Background work for the sync (django-q2). Tasks are thin: they take ids, call one service, and are safe to run
twice (imports hold a lock per connection and entity, jobs are claimed under a lease)."""

from __future__ import annotations

import logging

from django_q.tasks import async_task

log = logging.getLogger(__name__)


def queue_import(*, connection_id: int, entity: str, full: bool = False) -> None:
    async_task(
        "erpsync.tasks.run_import", connection_id, entity, full, task_name=f"erpsync-import-{connection_id}-{entity}"
    )


def queue_drain(*, connection_id: int) -> None:
    async_task("erpsync.tasks.drain_outbox", connection_id, task_name=f"erpsync-outbox-{connection_id}")


def run_import(connection_id: int, entity: str, full: bool = False) -> str:
    """Import one entity of one connection; returns the run's status. Inactive connections are skipped."""
    from erpsync.importers import sync_import
    from erpsync.models import ErpConnection

    connection = ErpConnection.objects.filter(pk=connection_id, is_active=True).first()
    if connection is None:
        return "skipped"
    return sync_import(connection=connection, entity=entity, full=full).status


def drain_outbox(connection_id: int | None = None) -> int:
    """Deliver due outbox jobs of one connection, or of every active connection; returns how many ran."""
    from erpsync.models import ErpConnection
    from erpsync.outbox import outbox_drain

    connections = ErpConnection.objects.filter(is_active=True)
    if connection_id is not None:
        connections = connections.filter(pk=connection_id)
    return sum(outbox_drain(connection=c) for c in connections)


def run_reconcile(connection_id: int) -> dict[str, str]:
    """The nightly full snapshot of every entity the connection reads, in dependency order: records the ERP no
    longer holds are deactivated, and drift that deltas missed is corrected. Returns each entity's run status."""
    from erpsync.adapters import adapter_for
    from erpsync.importers import IMPORTERS, sync_import
    from erpsync.models import ErpConnection

    connection = ErpConnection.objects.filter(pk=connection_id, is_active=True).first()
    if connection is None:
        return {}
    with adapter_for(connection) as adapter:
        entities = [e for e in IMPORTERS if adapter.can_read(e)]
    statuses = {}
    for entity in entities:
        try:
            statuses[entity] = sync_import(connection=connection, entity=entity, full=True).status
        except Exception as exc:  # recorded on the run and as an issue; the other entities still reconcile
            log.warning("Reconcile of %s on %s failed: %s", entity, connection.code, exc)
            statuses[entity] = "failed"
    return statuses
