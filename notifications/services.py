"""Writing notices and delivering their e-mails.

- ``notify``: one notice per recipient of one event, inside the caller's transaction (``notify_many``: many events
  of one kind at once). The key (kind, event,
  recipient) is unique, so notifying the same event again changes nothing. The e-mail is queued with django-q2 when
  the transaction commits; a rolled-back change notifies nobody.
- ``notification_send``: claims a pending notice (a conditional update, so two workers never both send it), sends
  it and marks it sent. When the mail server refuses or is down the notice stays pending with the error and the
  time of its next attempt (backoff doubling from a minute up to six hours), and gives up after
  ``NOTIFICATIONS_MAX_ATTEMPTS`` (staff see it in the admin and may send it again).
- ``notifications_retry``: the scheduled sweep that sends what is due again, and frees notices whose worker died
  while sending (after ``NOTIFICATIONS_LEASE_SECONDS``).
- ``notifications_digest``: the scheduled collection of digest kinds: one e-mail per recipient and kind listing
  every pending notice.

A notice is marked sent only after the mail server accepted it: a worker dying between the two sends it again
after the lease (at least once), never loses it.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django_q.tasks import async_task

from notifications import rendering
from notifications.kinds import DEALER, STAFF, Kind, all_kinds, kind_for
from notifications.models import Notification, NotificationPreference

log = logging.getLogger("notifications")
N = Notification.Status
BATCH = 100
# Values in one ``IN (…)`` or rows in one INSERT: well under SQLite's limit of bound parameters.
IN_BATCH = 500


@dataclass(frozen=True)
class Address:
    """A recipient who is not a portal user (a dealer's company e-mail), with the language to write in."""

    email: str
    language: str = ""


def user_language(user) -> str:
    """The language a user reads: their choice, else the portal's default."""
    return user.language or settings.LANGUAGE_CODE


def _recipient_key(recipient) -> str:
    if isinstance(recipient, Address):
        return f"e:{recipient.email.strip().lower()}"
    return f"u:{recipient.pk}"


def _key(kind: str, event: str, recipient_key: str) -> str:
    key = f"{kind}:{event}:{recipient_key}"
    if len(key) <= 255:
        return key
    return f"{kind}:{hashlib.sha256(key.encode()).hexdigest()}"


@dataclass(frozen=True)
class Event:
    """One event of a kind for ``notify_many``: its name within the kind, who hears of it, what the templates need
    (JSON) and the portal path the notice links to."""

    event: str
    recipients: Sequence[Any]
    params: dict[str, Any] | None = None
    url: str = ""


def notify(
    kind: str,
    *,
    event: str,
    recipients: Iterable[Any],
    params: dict[str, Any] | None = None,
    url: str = "",
) -> list[str]:
    """Notify each of ``recipients`` (users, or ``Address``) of ``event`` (a string that names the event within
    its kind: the order status change's id, the document's id). ``params`` (JSON) are what the kind's templates
    need; ``url`` the portal path the notice links to. Inactive users are left out; a user who switched an optional
    kind off still gets the notice in the portal, without the e-mail. Returns the keys of the notices."""
    return notify_many(kind, [Event(event=event, recipients=list(recipients), params=params, url=url)])


def notify_many(kind: str, events: Iterable[Event]) -> list[str]:
    """``notify`` for many events of one kind at once (a bank statement's collections): the recipients'
    preferences read in batches, the notices written in batches and their e-mails queued once, when the
    transaction commits, whatever the number of events. Returns the keys of the notices."""
    declared = kind_for(kind)
    chosen: list[tuple[Event, dict[str, Any]]] = []
    user_ids: set[int] = set()
    for event in events:
        unique: dict[str, Any] = {}
        for recipient in event.recipients:
            if recipient is None or (not isinstance(recipient, Address) and not recipient.is_active):
                continue
            unique.setdefault(_recipient_key(recipient), recipient)
        if unique:
            chosen.append((event, unique))
            user_ids.update(r.pk for r in unique.values() if not isinstance(r, Address))
    if not chosen:
        return []
    switched_off: set[int] = set()
    if user_ids and not declared.mandatory:
        ordered = sorted(user_ids)
        for start in range(0, len(ordered), IN_BATCH):
            switched_off.update(
                NotificationPreference.objects.filter(
                    user_id__in=ordered[start : start + IN_BATCH], kind=kind, email=False
                ).values_list("user_id", flat=True)
            )
    rows = []
    for event, unique in chosen:
        for recipient_key, recipient in unique.items():
            is_user = not isinstance(recipient, Address)
            email = (recipient.email or "").strip()
            status, reason = N.PENDING, ""
            if not declared.emailed:
                status, reason = N.SKIPPED, "portal only"
            elif not email:
                status, reason = N.SKIPPED, "no e-mail address"
            elif is_user and recipient.pk in switched_off:
                status, reason = N.SKIPPED, "switched off"
            rows.append(
                Notification(
                    kind=kind,
                    key=_key(kind, event.event, recipient_key),
                    recipient=recipient if is_user else None,
                    email=email,
                    language=user_language(recipient) if is_user else (recipient.language or settings.LANGUAGE_CODE),
                    params=event.params or {},
                    url=event.url,
                    digest=declared.digest,
                    status=status,
                    skip_reason=reason,
                )
            )
    Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=IN_BATCH)
    keys = [row.key for row in rows]
    if not declared.digest:
        transaction.on_commit(partial(_queue, keys), robust=True)
    return keys


def _queue(keys: Sequence[str]) -> None:
    ids = []
    for start in range(0, len(keys), IN_BATCH):
        ids += Notification.objects.filter(key__in=keys[start : start + IN_BATCH], status=N.PENDING).values_list(
            "pk", flat=True
        )
    for start in range(0, len(ids), BATCH):
        try:
            async_task("notifications.tasks.notifications_send", ids[start : start + BATCH])
        except Exception:
            # The queue itself is unreachable: the notices stay pending and the scheduled retry sends them.
            log.exception("notifications %s could not be queued; the retry sweep will send them", ids)


def _due(now) -> Q:
    return Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)


def _claim(queryset: QuerySet) -> tuple[uuid.UUID, int]:
    token, now = uuid.uuid4(), timezone.now()
    claimed = (
        queryset.filter(status=N.PENDING)
        .filter(_due(now))
        .update(status=N.SENDING, claim=token, claimed_at=now, attempts=F("attempts") + 1)
    )
    return token, claimed


def backoff(attempts: int) -> timedelta:
    """The wait before attempt ``attempts + 1``: one minute, doubling, at most six hours."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


def _deliver(rows: Sequence[Notification], token: uuid.UUID, build: Callable[[], EmailMessage]) -> bool:
    try:
        build().send()
    except Exception as exc:
        now = timezone.now()
        error = f"{type(exc).__name__}: {exc}"[:2000]
        for row in rows:
            gave_up = row.attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS
            Notification.objects.filter(pk=row.pk, claim=token).update(
                status=N.FAILED if gave_up else N.PENDING,
                last_error=error,
                next_attempt_at=None if gave_up else now + backoff(row.attempts),
                claim=None,
            )
        log.warning("notification %s (%s) not sent, attempt %s: %s", rows[0].pk, rows[0].kind, rows[0].attempts, error)
        return False
    Notification.objects.filter(pk__in=[row.pk for row in rows], claim=token).update(
        status=N.SENT, sent_at=timezone.now(), last_error="", next_attempt_at=None, claim=None
    )
    return True


def notification_send(notification_id: int) -> bool:
    """Send one pending, due, non-digest notice. Returns whether it was sent now (False: already sent, claimed
    by another worker, not due yet, or the mail server failed)."""
    token, claimed = _claim(Notification.objects.filter(pk=notification_id, digest=False))
    if not claimed:
        return False
    notification = Notification.objects.get(pk=notification_id)
    return _deliver([notification], token, partial(rendering.message, notification))


def notifications_retry(*, limit: int = 500) -> int:
    """Free notices stuck in sending past the lease, then send the pending ones that are due. Returns how many
    were sent."""
    now = timezone.now()
    lease = now - timedelta(seconds=settings.NOTIFICATIONS_LEASE_SECONDS)
    Notification.objects.filter(status=N.SENDING, claimed_at__lt=lease).update(status=N.PENDING, claim=None)
    due = (
        Notification.objects.filter(status=N.PENDING, digest=False)
        .filter(_due(now))
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(notification_send(pk) for pk in list(due))


def notifications_digest() -> int:
    """Send each recipient one e-mail per digest kind listing its pending notices. Returns how many e-mails were
    sent."""
    groups: dict[tuple[str, str], list[int]] = {}
    rows = (
        Notification.objects.filter(status=N.PENDING, digest=True)
        .filter(_due(timezone.now()))
        .order_by("created_at", "pk")
        .values_list("pk", "kind", "email")
    )
    for pk, kind, email in rows:
        groups.setdefault((kind, email.lower()), []).append(pk)
    sent = 0
    for (kind_key, _email), ids in groups.items():
        token, claimed = _claim(Notification.objects.filter(pk__in=ids, digest=True))
        if not claimed:
            continue
        batch = list(Notification.objects.filter(claim=token).order_by("created_at", "pk"))
        sent += _deliver(batch, token, partial(_digest_message, kind_key, batch))
    return sent


def _digest_message(kind_key: str, batch: Sequence[Notification]) -> EmailMessage:
    return rendering.digest_message(kind_for(kind_key), batch)


def notification_resend(*, queryset: QuerySet) -> int:
    """Staff: send failed (or skipped) notices again from the first attempt. Returns how many were queued."""
    ids = list(queryset.filter(status__in=(N.FAILED, N.SKIPPED)).exclude(email="").values_list("pk", flat=True))
    Notification.objects.filter(pk__in=ids).update(
        status=N.PENDING, attempts=0, next_attempt_at=None, last_error="", skip_reason=""
    )
    keys = list(Notification.objects.filter(pk__in=ids, digest=False).values_list("key", flat=True))
    transaction.on_commit(partial(_queue, keys), robust=True)
    return len(ids)


# --- The portal's list ----------------------------------------------------------------------------------------


def notifications_for(user) -> QuerySet[Notification]:
    """The notices a user may see: their own, newest first."""
    return Notification.objects.filter(recipient=user)


def unread_count(user) -> int:
    return notifications_for(user).filter(read_at__isnull=True).count()


def notifications_mark_read(*, user, ids: Iterable[int] | None = None) -> int:
    """Mark the user's own notices read (all of them when ``ids`` is None); another user's are left alone."""
    queryset = notifications_for(user).filter(read_at__isnull=True)
    if ids is not None:
        queryset = queryset.filter(pk__in=list(ids))
    return queryset.update(read_at=timezone.now())


# --- Preferences ----------------------------------------------------------------------------------------------


def kinds_for(user) -> list[Kind]:
    """The kinds a user's preferences page lists: dealer kinds for dealer users, staff kinds for staff; not the
    kinds that are never e-mailed."""
    audiences = set()
    if user.is_staff:
        audiences.add(STAFF)
    if not user.is_staff or hasattr(user, "dealer_user"):
        audiences.add(DEALER)
    return [kind for kind in all_kinds() if kind.audience in audiences and kind.emailed]


def preferences_for(user) -> dict[str, bool]:
    """Kind → whether it is e-mailed to ``user`` (mandatory kinds always are)."""
    off = set(NotificationPreference.objects.filter(user=user, email=False).values_list("kind", flat=True))
    return {kind.key: kind.mandatory or kind.key not in off for kind in kinds_for(user)}


@transaction.atomic
def preferences_set(*, user, email_on: Iterable[str]) -> dict[str, bool]:
    """Switch the optional kinds listed for ``user`` on when in ``email_on``, off otherwise. Mandatory kinds cannot
    be switched off; kinds not listed for the user are left alone."""
    wanted = set(email_on)
    for kind in kinds_for(user):
        if kind.mandatory:
            continue
        NotificationPreference.objects.update_or_create(
            user=user, kind=kind.key, defaults={"email": kind.key in wanted}
        )
    return preferences_for(user)


# --- Staff recipients -----------------------------------------------------------------------------------------


def staff_with_permission(permission: str) -> QuerySet:
    """Active staff who hold ``permission`` ("app_label.codename"), directly, through a group, or as superusers."""
    app_label, codename = permission.split(".", 1)
    direct = Q(user_permissions__codename=codename, user_permissions__content_type__app_label=app_label)
    grouped = Q(groups__permissions__codename=codename, groups__permissions__content_type__app_label=app_label)
    users = get_user_model().objects.filter(is_active=True, is_staff=True)
    ids = users.filter(direct | grouped | Q(is_superuser=True)).values("pk")
    return users.filter(pk__in=ids).order_by("pk")
