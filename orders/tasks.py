"""Background work for orders (django-q2). Tasks take ids, re-check that the work is still needed, and are safe to
run twice."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django_q.tasks import async_task

from b2bportal.database import retry_when_locked
from orders.models import Order

log = logging.getLogger(__name__)


def order_confirmation_queue(order_id: int) -> None:
    """Queue the confirmation e-mail; called on commit of the placement."""
    async_task("orders.tasks.order_confirmation_send", order_id, task_name=f"order-confirmation-{order_id}")


@retry_when_locked
def order_confirmation_send(order_id: int) -> bool:
    """E-mail the order confirmation (with the PDF when it can be rendered) to the user who placed it, in their
    language. Does nothing when it was already sent; returns whether it sent now."""
    with transaction.atomic():
        order = Order.objects.select_for_update(of=("self",)).select_related("placed_by", "dealer").get(pk=order_id)
        if order.confirmation_sent_at is not None or order.placed_by is None or not order.placed_by.email:
            return False
        language = order.placed_by.language or settings.LANGUAGE_CODE
        with translation.override(language):
            subject = render_to_string("orders/email/confirmation_subject.txt", {"order": order}).strip()
            body = render_to_string("orders/email/confirmation_body.txt", {"order": order})
        message = EmailMessage(subject, body, to=[order.placed_by.email])
        pdf = _confirmation_pdf(order, language)
        if pdf is not None:
            message.attach(f"{order.number}.pdf", pdf, "application/pdf")
        order.confirmation_sent_at = timezone.now()
        order.save(update_fields=["confirmation_sent_at", "updated_at"])
    # Sent after the row is marked and committed: a crash in between loses one e-mail rather than sending two,
    # and the failure is logged where staff look.
    try:
        message.send()
    except Exception:
        log.exception("Order %s: confirmation e-mail could not be sent", order.number)
        Order.objects.filter(pk=order_id).update(confirmation_sent_at=None)
        raise
    return True


def _confirmation_pdf(order, language: str) -> bytes | None:
    from orders.documents import order_confirmation_pdf  # loads weasyprint (about a second): only when needed

    try:
        return order_confirmation_pdf(order=order, language=language)
    except Exception:
        log.exception("Order %s: confirmation PDF could not be rendered; e-mail goes without it", order.number)
        return None
