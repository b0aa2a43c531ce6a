"""Background work for orders (django-q2). Tasks take ids, re-check that the work is still needed, and are safe to
run twice."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django_q.tasks import async_task

from b2bportal.database import retry_when_locked
from b2bportal.schedules import schedules_ensure
from notifications.rendering import absolute_url
from orders.models import Order, RecurringRun

log = logging.getLogger(__name__)


# The sweep (``order_confirmations_due``, every minute): confirmations not sent this long after placing are sent by
# it, up to this many per run, for orders placed at most this long ago.
CONFIRMATION_SWEEP_AFTER = timedelta(minutes=2)
CONFIRMATION_SWEEP_WINDOW = timedelta(hours=48)
CONFIRMATION_SWEEP_BATCH = 100
CONFIRMATION_SCHEDULE = "orders:confirmations"


def order_confirmation_queue(order_id: int) -> None:
    """Queue the confirmation e-mail; called on commit of the placement."""
    async_task("orders.tasks.order_confirmation_send", order_id, task_name=f"order-confirmation-{order_id}")


def confirmation_lease() -> timedelta:
    """How long a claim on an order's confirmation holds: long enough to render and send it, and shorter than the
    task queue's ``retry`` (after which a task whose worker died is run again), so the task run again takes over."""
    retry = timedelta(seconds=settings.Q_CLUSTER.get("retry", 720))
    return max(min(timedelta(minutes=10), retry - timedelta(minutes=1)), timedelta(minutes=1))


@retry_when_locked
def order_confirmation_send(order_id: int) -> bool:
    """E-mail the order confirmation (with the PDF when it can be rendered) to the user who placed it, in their
    language. Returns whether it sent now.

    Three steps, the slow one outside any lock: a short transaction claims the order (``confirmation_claimed_at``);
    the e-mail and its PDF are rendered and sent with no row locked; then the order is marked sent. Nothing is sent
    when it was sent already or another worker's claim still holds (a task run twice sends once); a claim older than
    ``confirmation_lease`` is taken over (the worker died), and a failed send gives the claim back and raises, so the
    e-mail is never lost for good. A worker dying between sending and marking sends it twice at worst.

    An order placed by a recurring order's run is confirmed as that run: the subject names the list, the text says
    it was ordered as scheduled and links to the order. It is the one e-mail of the run (the run's notice stays in
    the portal's list: ``orders.recurring_notifications``); an order placed by hand is confirmed as always."""
    claim = _confirmation_claim(order_id)
    if claim is None:
        return False
    order, claimed_at = claim
    language = order.placed_by.language or settings.LANGUAGE_CODE
    context = _confirmation_context(order)
    try:
        with translation.override(language):
            subject = render_to_string("orders/email/confirmation_subject.txt", context).strip()
            body = render_to_string("orders/email/confirmation_body.txt", context)
        message = EmailMessage(subject, body, to=[order.placed_by.email])
        pdf = _confirmation_pdf(order, language)
        if pdf is not None:
            message.attach(f"{order.number}.pdf", pdf, "application/pdf")
        message.send()
    except Exception:
        log.exception("Order %s: confirmation e-mail could not be sent", order.number)
        _confirmation_release(order_id, claimed_at)
        raise
    _confirmation_sent(order_id, claimed_at)
    return True


def _confirmation_context(order: Order) -> dict:
    run = RecurringRun.objects.select_related("recurring__saved_list").filter(order_id=order.pk).first()
    if run is None:
        return {"order": order}
    return {"order": order, "run": run, "url": absolute_url(reverse("orders:order_detail", args=[order.number]))}


@retry_when_locked
def _confirmation_release(order_id: int, claimed_at) -> None:
    """Give a claim back after a failed send, so that the next run sends at once."""
    Order.objects.filter(pk=order_id, confirmation_claimed_at=claimed_at).update(confirmation_claimed_at=None)


@retry_when_locked
def _confirmation_sent(order_id: int, claimed_at) -> None:
    """Mark the confirmation sent (retried on its own when SQLite is locked: the e-mail is out already)."""
    marked = Order.objects.filter(pk=order_id, confirmation_claimed_at=claimed_at).update(
        confirmation_sent_at=timezone.now(), confirmation_claimed_at=None
    )
    if not marked:  # another worker took the claim over meanwhile (this one was slower than the lease)
        log.warning("Order %s: confirmation sent after its claim was taken over", order_id)
        Order.objects.filter(pk=order_id, confirmation_sent_at=None).update(confirmation_sent_at=timezone.now())


def _confirmation_claim(order_id: int):
    """Claim the order's confirmation in a short transaction: the order and the claim's time, or None when there is
    nothing to send or another worker's claim holds."""
    with transaction.atomic():
        order = Order.objects.select_for_update(of=("self",)).select_related("placed_by", "dealer").get(pk=order_id)
        if order.confirmation_sent_at is not None or order.placed_by is None or not order.placed_by.email:
            return None
        now = timezone.now()
        if order.confirmation_claimed_at is not None and order.confirmation_claimed_at > now - confirmation_lease():
            return None
        order.confirmation_claimed_at = now
        order.save(update_fields=["confirmation_claimed_at", "updated_at"])
    return order, now


@retry_when_locked
def order_confirmations_due() -> int:
    """Send the confirmations nobody is sending: placed more than ``CONFIRMATION_SWEEP_AFTER`` ago (and within
    ``CONFIRMATION_SWEEP_WINDOW``), not sent, not claimed or claimed longer ago than the lease. The task queued on
    commit normally sends them first; this catches the ones whose task was lost (the Redis broker never delivers a
    task again, whether its worker died or its send failed). Claims keep it from sending what a worker is sending.
    Returns how many it sent."""
    now = timezone.now()
    due = (
        Order.objects.filter(
            confirmation_sent_at=None,
            placed_by__isnull=False,
            placed_at__gte=now - CONFIRMATION_SWEEP_WINDOW,
            placed_at__lte=now - CONFIRMATION_SWEEP_AFTER,
        )
        .filter(Q(confirmation_claimed_at=None) | Q(confirmation_claimed_at__lte=now - confirmation_lease()))
        .exclude(placed_by__email="")
        .order_by("placed_at", "pk")
        .values_list("pk", flat=True)[:CONFIRMATION_SWEEP_BATCH]
    )
    sent = 0
    for order_id in list(due):
        try:
            sent += order_confirmation_send(order_id)
        except Exception as exc:  # its claim is given back: the next sweep tries again
            log.warning("Order %s: the confirmation sweep could not send it: %s", order_id, exc)
    return sent


def schedules_install(**_kwargs) -> None:
    """Create the confirmation sweep's schedule when missing (``post_migrate``): every minute."""
    schedules_ensure({CONFIRMATION_SCHEDULE: ("orders.tasks.order_confirmations_due", 1)})


def _confirmation_pdf(order, language: str) -> bytes | None:
    from orders.documents import order_confirmation_pdf  # loads weasyprint (about a second): only when needed

    try:
        return order_confirmation_pdf(order=order, language=language)
    except Exception:
        log.exception("Order %s: confirmation PDF could not be rendered; e-mail goes without it", order.number)
        return None
