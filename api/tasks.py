"""Tasks of the API app (django-q2): sending a webhook delivery, the sweep of due retries, and removing
idempotency keys past their 24 hours. Each takes ids, re-checks that the work is still needed, and is safe twice."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from api.models import IdempotencyRecord
from api.webhooks import deliveries_send_due, delivery_send
from b2bportal.schedules import schedules_ensure

SCHEDULES = {
    "api:webhooks-due": ("api.tasks.webhooks_send_due", 1),
    "api:idempotency-purge": ("api.tasks.idempotency_keys_purge", 60),
}


def webhook_deliver(delivery_id: int) -> bool | None:
    return delivery_send(delivery_id)


def webhooks_send_due() -> int:
    return deliveries_send_due()


def idempotency_keys_purge() -> int:
    """Forget the responses of idempotency keys older than ``B2B_API_IDEMPOTENCY_HOURS``; returns how many."""
    cutoff = timezone.now() - timedelta(hours=settings.B2B_API_IDEMPOTENCY_HOURS)
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted


def schedules_install(**_kwargs) -> None:
    schedules_ensure(SCHEDULES)
