"""Writes of the API app: keys created and revoked, webhook endpoints registered, changed and removed, their
signing secrets rolled, a delivery sent again. Portal pages, the admin and tasks call these."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from api.keys import new_key
from api.models import ApiKey, Scope, WebhookDelivery, WebhookEndpoint, WebhookEvent
from api.targets import target_check
from api.throttling import parse_rate
from api.webhook_secrets import ROLL_OVERLAP, current_secret_readable, new_secret, secret_set
from api.webhooks import delivery_queue
from dealers.audit import dealer_changes_write, record_changes
from dealers.models import DealerChange, DealerUser


def _check_scopes(scopes) -> list[str]:
    chosen = [scope for scope in Scope.values if scope in set(scopes)]
    if not chosen or len(chosen) != len(set(scopes)):
        raise ValidationError({"scopes": _("Choose one or more of the scopes.")})
    return chosen


@transaction.atomic
def api_key_create(
    *,
    dealer_user: DealerUser,
    name: str,
    scopes,
    expires_at: dt.datetime | None = None,
    rate: str = "",
    created_by=None,
) -> tuple[ApiKey, str]:
    """A new key acting as ``dealer_user``; returns the key row and the key itself, which is shown once and never
    stored. Refuses a user who is not active, no scope or an unknown one, and an expiry in the past."""
    if not dealer_user.is_active:
        raise ValidationError(_("Keys can only be made for active users."))
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("The expiry must be in the future.")})
    if rate and parse_rate(rate) is None:
        raise ValidationError({"rate": _("Write the rate as a number of requests per s, min, hour or day: 600/min.")})
    key, prefix, digest = new_key()
    row = ApiKey.objects.create(
        dealer_id=dealer_user.dealer_id,
        dealer_user=dealer_user,
        name=name.strip() or prefix,
        prefix=prefix,
        digest=digest,
        scopes=_check_scopes(scopes),
        expires_at=expires_at,
        rate=rate.strip(),
        created_by=created_by,
    )
    return row, key


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """Revoke the key at once; revoking a revoked key changes nothing."""
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    api_key.refresh_from_db(fields=["revoked_at"])
    return api_key


def _check_events(events) -> list[str]:
    chosen = [event for event in WebhookEvent.values if event in set(events)]
    if not chosen or len(chosen) != len(set(events)):
        raise ValidationError({"events": _("Choose one or more of the events.")})
    return chosen


@transaction.atomic
def webhook_endpoint_create(*, dealer, url: str, events, created_by=None) -> tuple[WebhookEndpoint, str]:
    """Register ``url`` for ``events`` of ``dealer`` with a new signing secret; returns the endpoint and the
    secret, which is shown once and stored only encrypted. Refuses an address that is not public HTTPS
    (``api.targets``) and no event or an unknown one."""
    target_check(url)
    secret = new_secret()
    endpoint = WebhookEndpoint(dealer=dealer, url=url.strip(), events=_check_events(events), created_by=created_by)
    secret_set(endpoint, secret)
    endpoint.save()
    return endpoint, secret


@transaction.atomic
def webhook_endpoint_update(*, endpoint: WebhookEndpoint, url: str, events, is_active: bool) -> WebhookEndpoint:
    """Change the address, events or state; switching it on again clears its failures."""
    target_check(url)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    endpoint.url = url.strip()
    endpoint.events = _check_events(events)
    if is_active and not endpoint.is_active:
        endpoint.failures = 0
        endpoint.disabled_reason = ""
    endpoint.is_active = is_active
    endpoint.save(update_fields=["url", "events", "is_active", "failures", "disabled_reason", "updated_at"])
    return endpoint


def _audit_source(actor) -> str:
    if actor is None:
        return DealerChange.Source.SYSTEM
    return DealerChange.Source.STAFF if actor.is_staff else DealerChange.Source.DEALER


@transaction.atomic
def webhook_secret_roll(*, endpoint: WebhookEndpoint, actor, dealer=None) -> tuple[WebhookEndpoint, str]:
    """A new signing secret for ``endpoint``; returns the endpoint and the secret, shown once. The secret it
    replaces stays valid for ``ROLL_OVERLAP`` (deliveries carry both signatures), unless it can no longer be
    decrypted: then only the new one signs. Audited as a change of the dealer (who, old and new hint).
    ``dealer`` refuses another dealer's endpoint."""
    locked = WebhookEndpoint.objects.select_for_update().select_related("dealer").get(pk=endpoint.pk)
    if dealer is not None and locked.dealer_id != dealer.pk:
        raise PermissionDenied
    old_hint = locked.secret_hint
    if current_secret_readable(locked):
        locked.previous_secret_encrypted = locked.secret_encrypted
        locked.previous_secret_until = timezone.now() + ROLL_OVERLAP
        reason = f"previous secret valid until {locked.previous_secret_until.isoformat(timespec='seconds')}"
    else:
        locked.previous_secret_encrypted = ""
        locked.previous_secret_until = None
        reason = "previous secret could not be decrypted: not kept"
    secret = new_secret()
    secret_set(locked, secret)
    locked.save(
        update_fields=[
            "secret_encrypted", "secret_hint", "previous_secret_encrypted", "previous_secret_until", "updated_at"
        ]
    )  # fmt: skip
    dealer_changes_write(
        record_changes(
            dealer=locked.dealer,
            subject=locked.url,
            values=[("webhook_secret_rolled", old_hint, locked.secret_hint)],
            actor=actor,
            source=_audit_source(actor),
            reason=reason,
        )
    )
    return locked, secret


def webhook_delivery_replay(*, delivery: WebhookDelivery, dealer=None) -> WebhookDelivery:
    """Send the delivery again now (after it succeeded or gave up, or sooner than planned): it waits again with a
    fresh number of attempts, and is queued once this transaction commits. ``dealer`` refuses another dealer's."""
    with transaction.atomic():
        locked = WebhookDelivery.objects.select_for_update().select_related("endpoint").get(pk=delivery.pk)
        if dealer is not None and locked.endpoint.dealer_id != dealer.pk:
            raise PermissionDenied
        locked.status = WebhookDelivery.Status.PENDING
        locked.attempts = 0
        locked.next_attempt_at = timezone.now()
        locked.claimed_until = None
        locked.save(update_fields=["status", "attempts", "next_attempt_at", "claimed_until", "updated_at"])
        delivery_queue(locked.pk)
    return locked
