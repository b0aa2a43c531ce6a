"""Outgoing webhooks: events become deliveries in the transaction that made them (the outbox), sent after it
commits, signed, retried with a growing wait, and an endpoint that keeps failing is switched off with a notice.

Events come through the lower layers' hooks (``orders.hooks``, ``payments.hooks``), connected in
``ApiConfig.ready``; a rolled-back event leaves no delivery behind, and a delivery is never sent before its event
has committed. Which dealers have endpoints is cached (cleared whenever an endpoint changes), so an event of a
dealer without webhooks costs no query.

Signature: ``B2B-Webhook-Signature: v1=<hex>``, the HMAC-SHA256 with the endpoint's secret of
``"<B2B-Webhook-Timestamp>.<body>"``; for a day after the secret was rolled one ``v1=`` per valid secret, the new
one first, separated by commas (``api.webhook_secrets``). A receiver recomputes it over the raw body, accepts any
matching part and refuses old timestamps (docs/api.md). A secret that cannot be decrypted fails the delivery with
the reason and switches the endpoint off (never an exception).

Sending locks nothing: a delivery is claimed under a lease, the request made outside any transaction, and the
outcome written only while the claim is still ours.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Iterable
from datetime import timedelta

import requests
from django.conf import settings
from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django_q.tasks import async_task

from api.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from api.notifications import UNDECRYPTABLE, endpoint_disabled_notify
from api.targets import TargetRefused, target_check
from api.webhook_secrets import SecretUnreadable, signing_secrets

log = logging.getLogger(__name__)
ENDPOINTS_CACHE_KEY = "api:webhook-endpoints:v1"
USER_AGENT = "b2bportal-webhooks/1"


# --- signing --------------------------------------------------------------------------------------------------


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The ``v1=`` signature of ``body`` sent at ``timestamp`` (Unix seconds)."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"v1={mac.hexdigest()}"


def signature_header(secrets: list[str], timestamp: int, body: bytes) -> str:
    """The ``B2B-Webhook-Signature`` value: one ``v1=`` signature per secret, in the order given."""
    return ",".join(signature(secret, timestamp, body) for secret in secrets)


def signature_valid(secret: str, timestamp: str, body: bytes, header: str, *, tolerance: int = 300) -> bool:
    """What a receiver checks (the recipe of docs/api.md): a fresh timestamp and a matching signature."""
    try:
        sent = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs(time.time() - sent) > tolerance:
        return False
    return any(hmac.compare_digest(signature(secret, sent, body), part.strip()) for part in header.split(","))


def body_bytes(delivery: WebhookDelivery) -> bytes:
    return json.dumps(delivery.payload, cls=DjangoJSONEncoder, separators=(",", ":"), sort_keys=True).encode()


# --- the outbox: deliveries written with their event ----------------------------------------------------------


def endpoints_forget(**_kwargs) -> None:
    cache.delete(ENDPOINTS_CACHE_KEY)


def endpoints_by_dealer() -> dict[int, list[tuple[int, list[str]]]]:
    found = cache.get(ENDPOINTS_CACHE_KEY)
    if found is None:
        found = {}
        rows = WebhookEndpoint.objects.filter(is_active=True).values_list("dealer_id", "pk", "events")
        for dealer_id, pk, events in rows:
            found.setdefault(dealer_id, []).append((pk, list(events)))
        cache.set(ENDPOINTS_CACHE_KEY, found, 300)
    return found


def event_record(*, dealer_id: int, event: str, event_key: str, data: dict) -> list[int]:
    """Write a delivery of ``event`` for each active endpoint of the dealer that chose it, in the caller's
    transaction, and queue them for after it commits. ``event_key`` names the event: recorded again, it is not
    delivered again. Returns the deliveries' ids."""
    endpoints = [pk for pk, events in endpoints_by_dealer().get(dealer_id, []) if event in events]
    if not endpoints:
        return []
    now = timezone.now()
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                endpoint_id=pk,
                event=event,
                event_key=event_key,
                payload={"event": event, "created_at": now.isoformat(), "data": data},
                next_attempt_at=now,
            )
            for pk in endpoints
        ],
        ignore_conflicts=True,
    )
    ids = list(
        WebhookDelivery.objects.filter(
            endpoint_id__in=endpoints, event_key=event_key, status=WebhookDelivery.Status.PENDING, attempts=0
        ).values_list("pk", flat=True)
    )
    for pk in ids:
        delivery_queue(pk)
    return ids


def delivery_queue(delivery_id: int) -> None:
    """Send the delivery once the current transaction commits (never before: its event may still roll back)."""
    transaction.on_commit(
        lambda: async_task("api.tasks.webhook_deliver", delivery_id, task_name=f"webhook-{delivery_id}")
    )


def _money(value) -> str:
    return str(value) if value is not None else None


def on_order_status_changed(*, order, change, **_kwargs) -> None:
    event_record(
        dealer_id=order.dealer_id,
        event=WebhookEvent.ORDER_STATUS_CHANGED,
        event_key=f"status:{change.pk}",
        data={
            "order": order.number,
            "po_number": order.po_number,
            "from_status": change.from_status,
            "status": change.to_status,
            "changed_at": (change.created_at or timezone.now()).isoformat(),
            "total_gross": _money(order.total_gross),
            "currency": order.currency,
        },
    )


def on_document_issued(*, document, kind: str, event: str, **_kwargs) -> None:
    shipped = kind == "shipped"
    data = {
        "document": document.number,
        "kind": document.kind,
        "issued_on": document.issued_on.isoformat() if document.issued_on else None,
        "order": document.order.number if document.order_id else None,
    }
    if shipped:
        data.update(
            carrier=document.carrier, tracking_number=document.tracking_number, tracking_url=document.tracking_url
        )
    else:
        data.update(
            total_gross=_money(document.gross),
            currency=document.currency,
            due_on=document.due_on.isoformat() if document.due_on else None,
        )
    event_record(
        dealer_id=document.dealer_id,
        event=WebhookEvent.ORDER_SHIPPED if shipped else WebhookEvent.ORDER_INVOICED,
        event_key=f"document:{event}",
        data=data,
    )


def on_collections_recorded(*, collections: Iterable, **_kwargs) -> None:
    for identity_key, _object_id, payload in collections:
        if not payload.get("dealer_id"):
            continue
        event_record(
            dealer_id=payload["dealer_id"],
            event=WebhookEvent.PAYMENT_RECEIVED,
            event_key=f"payment:{identity_key}",
            data={
                "reference": payload.get("reference", ""),
                "amount": payload.get("amount"),
                "currency": payload.get("currency", ""),
                "received_on": payload.get("received_on"),
                "method": payload.get("method", ""),
                "order": payload.get("order_number") or None,
                "invoices": list(payload.get("invoice_numbers") or []),
            },
        )


def on_quote_sent(*, quote, version, **_kwargs) -> None:
    event_record(
        dealer_id=quote.dealer_id,
        event=WebhookEvent.QUOTE_SENT,
        event_key=f"quote:{quote.pk}:{version.number}",
        data={
            "quote": quote.number,
            "version": version.number,
            "valid_until": version.valid_until.isoformat() if version.valid_until else None,
        },
    )


# --- sending --------------------------------------------------------------------------------------------------


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failure: 1, 2, 4… minutes, at most 6 hours."""
    return timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), 6 * 3600))


def _lease() -> timedelta:
    return timedelta(seconds=settings.B2B_WEBHOOK_TIMEOUT_SECONDS * 3 + 60)


def _claim(delivery_id: int, now) -> WebhookDelivery | None:
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("endpoint")
            .filter(pk=delivery_id, status=WebhookDelivery.Status.PENDING, endpoint__is_active=True)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
            .first()
        )
        if delivery is None:
            return None
        delivery.claimed_until = now + _lease()
        delivery.attempts += 1
        delivery.save(update_fields=["claimed_until", "attempts", "updated_at"])
        return delivery


def _post(delivery: WebhookDelivery, secrets: list[str]) -> tuple[int | None, str]:
    body = body_bytes(delivery)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "B2B-Webhook-Id": str(delivery.uuid),
        "B2B-Webhook-Event": delivery.event,
        "B2B-Webhook-Timestamp": str(timestamp),
        "B2B-Webhook-Signature": signature_header(secrets, timestamp, body),
    }
    try:
        target_check(delivery.endpoint.url)
        response = requests.post(
            delivery.endpoint.url,
            data=body,
            headers=headers,
            timeout=settings.B2B_WEBHOOK_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except TargetRefused as error:
        return None, " ".join(error.messages)[:255]
    except requests.RequestException as error:
        return None, f"{type(error).__name__}: {error}"[:255]
    response.close()
    return response.status_code, "" if 200 <= response.status_code < 300 else response.reason[:255]


def delivery_send(delivery_id: int) -> bool | None:
    """Try the delivery now if it is due and not being sent elsewhere. Returns True when the endpoint took it
    (any 2xx), False when this attempt failed, None when there was nothing to do. Safe to run twice."""
    now = timezone.now()
    delivery = _claim(delivery_id, now)
    if delivery is None:
        return None
    started = time.monotonic()
    try:
        secrets = signing_secrets(delivery.endpoint)
    except SecretUnreadable as unreadable:
        status_code, error, secret_lost = None, str(unreadable)[:255], True
    else:
        status_code, error = _post(delivery, secrets)
        secret_lost = False
    duration = int((time.monotonic() - started) * 1000)
    ok = status_code is not None and 200 <= status_code < 300
    with transaction.atomic():
        # Only while the claim is still ours: a worker that outlived its lease does not overwrite the outcome.
        current = (
            WebhookDelivery.objects.select_for_update()
            .filter(pk=delivery.pk, claimed_until=delivery.claimed_until)
            .first()
        )
        if current is None:
            return None
        WebhookAttempt.objects.create(delivery=current, status_code=status_code, error=error, duration_ms=duration)
        current.last_status_code = status_code
        current.last_error = error
        current.claimed_until = None
        if ok:
            current.status = WebhookDelivery.Status.SUCCEEDED
            current.delivered_at = timezone.now()
            current.next_attempt_at = None
            WebhookEndpoint.objects.filter(pk=current.endpoint_id).update(failures=0)
        else:
            if current.attempts >= settings.B2B_WEBHOOK_MAX_ATTEMPTS:
                current.status = WebhookDelivery.Status.FAILED
                current.next_attempt_at = None
            else:
                current.next_attempt_at = timezone.now() + backoff(current.attempts)
            if secret_lost:
                _endpoint_secret_unreadable(current.endpoint_id, error)
            else:
                _endpoint_failed(current.endpoint_id)
        current.save()
    return ok


def _endpoint_failed(endpoint_id: int) -> None:
    """Count a failure; at ``B2B_WEBHOOK_DISABLE_AFTER`` in a row the endpoint is switched off and the dealer's
    admins are told (in this transaction, so the notice and the switch-off commit together)."""
    WebhookEndpoint.objects.filter(pk=endpoint_id).update(failures=F("failures") + 1)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
    if endpoint.is_active and endpoint.failures >= settings.B2B_WEBHOOK_DISABLE_AFTER:
        endpoint.is_active = False
        endpoint.disabled_reason = f"{endpoint.failures} failed attempts in a row"
        endpoint.save(update_fields=["is_active", "disabled_reason", "updated_at"])
        transaction.on_commit(endpoints_forget)
        endpoint_disabled_notify(endpoint=endpoint)
        log.warning("webhook endpoint %s disabled after %s failures", endpoint.pk, endpoint.failures)


def _endpoint_secret_unreadable(endpoint_id: int, reason: str) -> None:
    """Switch the endpoint off at once with ``reason``: no retry can sign until a key is restored or the secret is
    rolled. Its waiting deliveries go out when it is switched on again."""
    WebhookEndpoint.objects.filter(pk=endpoint_id).update(failures=F("failures") + 1)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
    if endpoint.is_active:
        endpoint.is_active = False
        endpoint.disabled_reason = reason[:255]
        endpoint.save(update_fields=["is_active", "disabled_reason", "updated_at"])
        transaction.on_commit(endpoints_forget)
        endpoint_disabled_notify(endpoint=endpoint, reason=UNDECRYPTABLE)
        log.error("webhook endpoint %s disabled: its signing secret cannot be decrypted", endpoint.pk)


def deliveries_send_due(*, limit: int = 200) -> int:
    """Send the deliveries that are due (retries, and any whose queued task was lost); returns how many were
    tried."""
    due = list(
        WebhookDelivery.objects.filter(
            status=WebhookDelivery.Status.PENDING, endpoint__is_active=True, next_attempt_at__lte=timezone.now()
        )
        .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=timezone.now()))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(delivery_send(pk) is not None for pk in due)
