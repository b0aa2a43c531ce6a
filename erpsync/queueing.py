"""Background work of erpsync, queued by the task's dotted name (django-q2): an import, an outbox drain, a drift
check. Callers queue here and never import the code that runs the task."""

from __future__ import annotations

from django_q.tasks import async_task


def queue_import(*, connection_id: int, entity: str, full: bool = False) -> None:
    async_task(
        "erpsync.tasks.run_import", connection_id, entity, full, task_name=f"erpsync-import-{connection_id}-{entity}"
    )


def queue_drain(*, connection_id: int) -> None:
    async_task("erpsync.tasks.drain_outbox", connection_id, task_name=f"erpsync-outbox-{connection_id}")


def queue_drift_check(*, connection_id: int) -> None:
    async_task("erpsync.drift.run_drift_check", connection_id, task_name=f"erpsync-drift-{connection_id}")


def queue_webhook_import(delivery_id: int) -> None:
    async_task("erpsync.tasks.run_webhook_import", delivery_id, task_name=f"erpsync-webhook-{delivery_id}")
