"""The order confirmation e-mail: claimed in a short transaction, rendered (with its PDF) and sent with no row locked,
then marked sent. A task run twice sends once; a worker that died after claiming does not lose the e-mail: its claim
runs out and the task run again takes over; a failed send gives the claim back. The sweep every minute sends what no
task is sending (the Redis broker never delivers a lost or failed task again)."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.db import DatabaseError, connection, connections, transaction
from django.utils import timezone

from orders import tasks
from orders.models import Order
from orders.services import cart_line_add
from orders.tasks import (
    CONFIRMATION_SCHEDULE,
    CONFIRMATION_SWEEP_AFTER,
    CONFIRMATION_SWEEP_WINDOW,
    confirmation_lease,
    order_confirmation_send,
    order_confirmations_due,
)
from orders.tests.factories import buyer_of, make_shop, place

D = Decimal


def placed_order() -> Order:
    dealer, product = make_shop()
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=D("1"))
    return place(buyer)  # the confirmation task is queued on commit, which a test in a transaction never reaches


def lock_order_elsewhere(order_id: int) -> str:
    """From another database connection: try to lock the order's row without waiting."""
    outcome = []

    def attempt():
        try:
            with transaction.atomic():
                list(Order.objects.select_for_update(nowait=True).filter(pk=order_id))
            outcome.append("locked")
        except DatabaseError:
            outcome.append("busy")
        finally:
            connections.close_all()

    thread = threading.Thread(target=attempt)
    thread.start()
    thread.join(30)
    return outcome[0]


@pytest.mark.django_db(transaction=True)
def test_the_pdf_is_rendered_with_the_order_row_unlocked(monkeypatch):
    render = tasks._confirmation_pdf
    seen = []

    def rendering(order, language):
        seen.append((lock_order_elsewhere(order.pk), connection.in_atomic_block))
        return render(order, language)

    monkeypatch.setattr(tasks, "_confirmation_pdf", rendering)
    order = placed_order()  # committed: the confirmation task runs (synchronously in the tests)
    order_confirmation_send(order.pk)  # sends now unless the task already did
    assert seen == [("locked", False)]
    order.refresh_from_db()
    assert order.confirmation_sent_at is not None and order.confirmation_claimed_at is None
    assert len(mail.outbox) == 1 and mail.outbox[0].attachments[0][0] == f"{order.number}.pdf"


@pytest.mark.django_db
def test_a_claim_that_holds_is_not_sent_twice_and_one_that_ran_out_is_taken_over():
    order = placed_order()
    assert tasks._confirmation_claim(order.pk) is not None  # a worker claimed it, then died
    assert order_confirmation_send(order.pk) is False  # the claim holds: the task run twice sends nothing
    assert mail.outbox == []

    Order.objects.filter(pk=order.pk).update(
        confirmation_claimed_at=timezone.now() - confirmation_lease() - timedelta(seconds=1)
    )
    assert order_confirmation_send(order.pk) is True  # run again after the lease: taken over, sent once
    assert order_confirmation_send(order.pk) is False
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_a_failed_send_gives_the_claim_back_and_the_next_run_sends(monkeypatch):
    order = placed_order()
    send = EmailMessage.send

    def refused(self, fail_silently=False):
        raise ConnectionRefusedError("the mail server is down")

    monkeypatch.setattr(EmailMessage, "send", refused)
    with pytest.raises(ConnectionRefusedError):
        order_confirmation_send(order.pk)
    order.refresh_from_db()
    assert (order.confirmation_sent_at, order.confirmation_claimed_at) == (None, None)

    monkeypatch.setattr(EmailMessage, "send", send)
    assert order_confirmation_send(order.pk) is True
    assert len(mail.outbox) == 1


def test_the_lease_runs_out_before_the_task_queue_runs_a_lost_task_again(settings):
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "retry": 720}
    assert confirmation_lease() == timedelta(minutes=10)
    settings.Q_CLUSTER = {**settings.Q_CLUSTER, "retry": 300}
    assert confirmation_lease() == timedelta(minutes=4)


def placed_ago(age: timedelta) -> Order:
    order = placed_order()
    Order.objects.filter(pk=order.pk).update(placed_at=timezone.now() - age)
    return order


@pytest.mark.django_db
def test_the_sweep_sends_a_confirmation_whose_task_was_lost_once():
    order = placed_ago(CONFIRMATION_SWEEP_AFTER + timedelta(minutes=1))
    assert order_confirmations_due() == 1
    assert order_confirmations_due() == 0
    assert [m.to for m in mail.outbox] == [[order.placed_by.email]]
    assert order.number in mail.outbox[0].subject
    order.refresh_from_db()
    assert order.confirmation_sent_at is not None


@pytest.mark.django_db
def test_the_sweep_leaves_fresh_claimed_sent_and_old_orders_alone():
    fresh = placed_ago(timedelta(seconds=10))  # its own task is about to send it
    old = placed_ago(CONFIRMATION_SWEEP_WINDOW + timedelta(hours=1))
    sent = placed_ago(timedelta(minutes=30))
    Order.objects.filter(pk=sent.pk).update(confirmation_sent_at=timezone.now())
    claimed = placed_ago(timedelta(minutes=30))
    assert tasks._confirmation_claim(claimed.pk) is not None  # a worker is sending it
    assert order_confirmations_due() == 0
    assert mail.outbox == []

    # The worker died: once its claim has run out the sweep sends it, and only it.
    Order.objects.filter(pk=claimed.pk).update(
        confirmation_claimed_at=timezone.now() - confirmation_lease() - timedelta(seconds=1)
    )
    assert order_confirmations_due() == 1
    assert len(mail.outbox) == 1 and claimed.number in mail.outbox[0].subject
    assert {o.number for o in Order.objects.filter(confirmation_sent_at=None)} >= {fresh.number, old.number}


@pytest.mark.django_db
def test_a_send_that_failed_is_sent_by_a_later_sweep(monkeypatch):
    order = placed_ago(timedelta(minutes=5))
    other = placed_ago(timedelta(minutes=4))
    send = EmailMessage.send
    refused_for = []

    def refused_once(self, fail_silently=False):
        if order.number in self.subject and not refused_for:
            refused_for.append(order.number)
            raise ConnectionRefusedError("the mail server is down")
        return send(self, fail_silently)

    monkeypatch.setattr(EmailMessage, "send", refused_once)
    assert order_confirmations_due() == 1  # the other order is still sent
    assert refused_for == [order.number]
    assert [other.number in m.subject for m in mail.outbox] == [True]
    order.refresh_from_db()
    assert (order.confirmation_sent_at, order.confirmation_claimed_at) == (None, None)
    assert order_confirmations_due() == 1
    assert order_confirmations_due() == 0
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_migrate_installs_the_sweep_every_minute():
    from django_q.models import Schedule

    schedule = Schedule.objects.get(name=CONFIRMATION_SCHEDULE)
    assert (schedule.func, schedule.schedule_type, schedule.minutes) == (
        "orders.tasks.order_confirmations_due",
        Schedule.MINUTES,
        1,
    )
