"""Queueing changes for the ERP, in the caller's transaction: the write side of the outbox (``erpsync.outbox``
claims and delivers them).

``outbox_enqueue`` writes a ``SyncJob``; the partial unique index on unfinished jobs keeps one job per change, and a
change already delivered is not queued again. ``outbox_enqueue_many`` writes many new ones with one ``COPY``. The
worker is woken after commit.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils import timezone

from b2bportal.bulk import model_rows_insert
from erpsync.adapters import capabilities_for, settings_for
from erpsync.adapters.base import Capability
from erpsync.models import ErpConnection, SyncJob
from erpsync.queueing import queue_drain

S = SyncJob.Status
K = SyncJob.Kind

CAPABILITY_OF = {
    K.ORDER_EXPORT: Capability.ORDER_PUSH,
    K.ORDER_CANCEL: Capability.ORDER_CANCEL,
    K.PAYMENT_EXPORT: Capability.PAYMENT_PUSH,
    K.REFUND_EXPORT: Capability.CREDIT_MEMO_PUSH,
    K.QUOTE_EXPORT: Capability.QUOTES,
    K.QUOTE_CANCEL: Capability.QUOTES,
    K.SHIP_TO_EXPORT: Capability.SHIP_TO,
    K.CUSTOMER_EXPORT: Capability.CUSTOMER_PUSH,
}
DUE_STATES = (S.PENDING, S.RETRYING)
# Money the ERP must hear about although no one is at hand to be told: where the connection, as it is set up, does
# not take it, the job is queued all the same and waits at once for a person in the exception queue (the outbox
# never asks the ERP for it), who books it by hand or changes the settings and sends it again.
BOOKED_BY_HAND = frozenset({K.PAYMENT_EXPORT, K.REFUND_EXPORT})


def kinds_taken(connection: ErpConnection) -> frozenset[str]:
    """The kinds of job ``connection`` can deliver: what its adapter does *as this connection is set up*
    (``capabilities_for``: a Nebim profile without a customer write, a Logo connection with ``customer_cards``
    ``none``) and as the site chose (quotes only with ``quotes_to_erp`` ``quote``), not what the adapter could do in
    general. The one answer the outbox uses when it queues, when it
    runs a job, and that the health page shows."""
    capabilities = capabilities_for(connection)
    kinds = {kind for kind, needed in CAPABILITY_OF.items() if needed in capabilities}
    if not _sends_quotes(connection):
        # Quotes go to the ERP only where the site says so (``quotes_to_erp``); a quote sent there before is still
        # cancelled there.
        kinds.discard(K.QUOTE_EXPORT)
    return frozenset(kinds)


def _sends_quotes(connection: ErpConnection) -> bool:
    """Whether sent quote versions become quote documents in this ERP (``quotes_to_erp``: ``quote``); settings that
    cannot be read send none (the checks report them)."""
    try:
        return settings_for(connection).quotes_to_erp == "quote"
    except ImproperlyConfigured:
        return False


def connection_takes(connection: ErpConnection, kind: str) -> bool:
    """Whether ``connection`` can deliver jobs of ``kind`` (``kinds_taken``)."""
    return kind in kinds_taken(connection)


def export_connections(kind: str) -> list[ErpConnection]:
    """Where a change of ``kind`` goes: the default connection, when it is active and can take it
    (``connection_takes``); collections and refunds it cannot take go there too, to wait for a person
    (``BOOKED_BY_HAND``). Orders, collections and credit memos belong in one ERP, never copied to several."""
    connection = ErpConnection.objects.filter(is_default=True, is_active=True).first()
    if connection is None or not (kind in BOOKED_BY_HAND or connection_takes(connection, kind)):
        return []
    return [connection]


def outbox_enqueue(*, kind: str, identity_key: str, object_id: int, payload: dict | None = None) -> list[SyncJob]:
    """Queue ``kind`` for the change ``identity_key`` (e.g. ``order:P2026-000123``), in the caller's transaction.

    Returns the jobs queued: none when no connection takes this kind, or when the change is already queued or
    delivered (the same order is exported once, however often it is approved). The worker is woken after
    commit."""
    jobs = []
    for connection in export_connections(kind):
        same = SyncJob.objects.filter(connection=connection, kind=kind, identity_key=identity_key)
        if same.filter(status__in=(*DUE_STATES, S.RUNNING, S.DEAD, S.SUCCEEDED)).exists():
            continue
        try:
            with transaction.atomic():
                job = SyncJob.objects.create(
                    connection=connection,
                    kind=kind,
                    identity_key=identity_key,
                    object_id=object_id,
                    payload=payload or {},
                    status=S.PENDING,
                    next_attempt_at=timezone.now(),
                    max_attempts=settings_for(connection).outbox_max_attempts,
                )
        except IntegrityError:  # the unique index: another transaction queued it first
            continue
        jobs.append(job)
        transaction.on_commit(lambda connection_id=connection.pk: _wake(connection_id))
    return jobs


def outbox_enqueue_many(*, kind: str, items: list[tuple[str, int, dict]]) -> int:
    """Queue many new changes of ``kind`` at once (``(identity_key, object_id, payload)`` each) in the caller's
    transaction, written with one ``COPY``: for work that comes in bulk, such as matched bank transfers. The caller
    guarantees the keys are new (a duplicate fails the transaction on the unique index). Returns how many were
    queued."""
    connections = export_connections(kind) if items else []
    for connection in connections:
        now = timezone.now()
        attempts = settings_for(connection).outbox_max_attempts
        model_rows_insert(
            SyncJob,
            (
                {"connection_id": connection.pk, "kind": kind, "identity_key": key, "object_id": object_id,
                 "payload": payload, "status": S.PENDING, "next_attempt_at": now, "max_attempts": attempts}
                for key, object_id, payload in items
            ),
        )  # fmt: skip
        transaction.on_commit(lambda connection_id=connection.pk: _wake(connection_id))
    return len(items) if connections else 0


def _wake(connection_id: int) -> None:
    queue_drain(connection_id=connection_id)
