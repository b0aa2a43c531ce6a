"""Background work for the sync (django-q2). Tasks are thin: they take ids, call one service, and are safe to run
twice (imports hold a lock per connection and entity, jobs are claimed under a lease), so each runs again when the
embedded SQLite database stays locked (``retry_when_locked``)."""

from __future__ import annotations

import logging

from b2bportal.database import retry_when_locked
from erpsync.adapters import adapter_for
from erpsync.adapters.file.edi_inbox import edi_inbox_scan
from erpsync.importers import IMPORTERS, sync_import
from erpsync.models import ErpConnection, WebhookDelivery
from erpsync.outbox import outbox_drain
from erpsync.queueing import queue_drain, queue_import  # noqa: F401  (re-exported: where callers look them up)
from erpsync.webhooks import webhook_import

log = logging.getLogger(__name__)


@retry_when_locked
def run_edi_inbox(connection_id: int) -> int:
    """Process the EDI orders waiting in a file connection's per-dealer drop folders; returns how many files."""

    connection = ErpConnection.objects.filter(pk=connection_id, is_active=True, adapter="file").first()
    if connection is None:
        return 0
    with adapter_for(connection) as adapter:
        return len(edi_inbox_scan(adapter.config.root))


@retry_when_locked
def run_import(connection_id: int, entity: str, full: bool = False) -> str:
    """Import one entity of one connection; returns the run's status. Inactive connections are skipped."""

    connection = ErpConnection.objects.filter(pk=connection_id, is_active=True).first()
    if connection is None:
        return "skipped"
    return sync_import(connection=connection, entity=entity, full=full).status


@retry_when_locked
def drain_outbox(connection_id: int | None = None) -> int:
    """Deliver due outbox jobs of one connection, or of every active connection; returns how many ran."""

    connections = ErpConnection.objects.filter(is_active=True)
    if connection_id is not None:
        connections = connections.filter(pk=connection_id)
    return sum(outbox_drain(connection=c) for c in connections)


@retry_when_locked
def run_reconcile(connection_id: int) -> dict[str, str]:
    """The nightly full snapshot of every entity the connection reads, in dependency order: records the ERP no
    longer holds are deactivated, and drift that deltas missed is corrected. Returns each entity's run status."""

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


@retry_when_locked
def run_webhook_import(delivery_id: int) -> str:
    """Import what one webhook delivery names (``erpsync.webhooks.webhook_import``); gone or inactive: skipped."""
    delivery = WebhookDelivery.objects.select_related("connection").filter(pk=delivery_id).first()
    if delivery is None or not delivery.connection.is_active:
        return "skipped"
    return webhook_import(delivery=delivery)
