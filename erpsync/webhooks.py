"""Webhook deliveries from ERPs that send them (Paraşüt): checked by the connection's adapter, kept once per change
they report, and turned into a targeted import of the record they name, through the normal importers.

``webhook_receive`` answers the ERP at once: the delivery is recorded (a second delivery of the same content hits
the unique constraint and is acknowledged without anything more) and its import queued after commit.
``webhook_import`` runs the import of each entity the record touches with ``keys`` (``sync_import``), so a record
imported twice is only updated in place."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from django.db import IntegrityError, transaction

from erpsync.adapters import adapter_for
from erpsync.adapters.base import PermanentError
from erpsync.importers import sync_import
from erpsync.models import ErpConnection, WebhookDelivery
from erpsync.queueing import queue_webhook_import

log = logging.getLogger(__name__)


class WebhookRefused(Exception):
    """The delivery is not accepted (bad signature, unknown connection, nothing to import); ``status`` for the
    answer."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def webhook_receive(*, connection: ErpConnection, body: bytes, headers: Mapping[str, str], queue=None):
    """Check and record one delivery; returns the new ``WebhookDelivery``, or None for one received before.
    ``queue(delivery_id)`` runs after commit (the task queue by default)."""
    with adapter_for(connection) as adapter:
        if not hasattr(adapter, "webhook_event"):
            raise WebhookRefused(f"The {connection.adapter} adapter takes no webhooks.", status=404)
        try:
            event = adapter.webhook_event(body, headers)
        except PermanentError as exc:
            status = 401 if exc.code == "bad_signature" else 400
            raise WebhookRefused(exc.message, status=status) from exc
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(
                connection=connection,
                digest=event.digest,
                resource=event.resource,
                action=event.action,
                record_id=event.record_id,
            )
    except IntegrityError:
        log.info("Webhook delivery %s of %s received again", event.digest[:12], connection.code)
        return None
    transaction.on_commit(lambda: (queue or queue_webhook_import)(delivery.pk))
    return delivery


def webhook_import(*, delivery: WebhookDelivery) -> str:
    """Import the record ``delivery`` names into every entity it touches; returns the delivery's status. Safe to run
    twice: the importers update in place."""
    with adapter_for(delivery.connection) as adapter:
        event_entities = [e for e in _entities_of(adapter, delivery.resource) if adapter.can_read(e)]
    errors = []
    for entity in event_entities:
        try:
            sync_import(connection=delivery.connection, entity=entity, keys=[delivery.record_id])
        except Exception as exc:  # recorded on the run and as an issue; the other entities still import
            errors.append(f"{entity}: {exc}")
    delivery.status = WebhookDelivery.Status.FAILED if errors else WebhookDelivery.Status.IMPORTED
    delivery.error = "; ".join(errors)[:4000]
    delivery.save(update_fields=["status", "error"])
    return delivery.status


def _entities_of(adapter, resource: str) -> tuple[str, ...]:
    return getattr(adapter, "webhook_entities", {}).get(resource, ())
