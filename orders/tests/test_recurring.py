"""Recurring orders: which dates run (every N weeks, a day of the month clamped to short months, until a last
date), each run placed through ``order_place`` priced today under the same rules, skipped with its reasons when it
cannot be placed, never twice for one date, the owner notified; the hourly task with the clock frozen."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.db import connection
from django.utils.module_loading import import_string
from django_q.models import Schedule

from catalog.models import PriceListItem, Product
from dealers.models import Dealer
from dealers.tests.factories import DealerAddressFactory
from notifications.models import Notification
from notifications.services import kinds_for
from orders.models import Cart, Order, RecurringOrder, RecurringRun
from orders.recurring import day_in_month, is_due, next_run_on
from orders.recurring_tasks import SCHEDULES, schedules_install
from orders.services import cart_line_add
from orders.services.recurring import (
    RecurringRefused,
    Timing,
    idempotency_key,
    recurring_delete,
    recurring_pause,
    recurring_resume,
    recurring_run,
    recurring_runs_due,
    recurring_save,
)
from orders.status import OrderStatus
from orders.tests.factories import buyer_of, make_shop, place
from orders.tests.recurring_factories import monthly, saved_list, weekly

D = Decimal
MONDAY = dt.date(2027, 3, 1)
Run = RecurringRun.Outcome


@pytest.fixture
def shop(db):
    dealer, product = make_shop(stock="100", price="100")
    return dealer, product, buyer_of(dealer, approval_limit=None)


# -- the dates ---------------------------------------------------------------------------------------------------


def test_every_two_weeks_runs_from_the_first_date_until_the_last(shop):
    _dealer, product, buyer = shop
    recurring = weekly(buyer, product, start=MONDAY, weeks=2, end=MONDAY + dt.timedelta(weeks=4))
    due = [MONDAY + dt.timedelta(days=n) for n in range(-7, 60) if is_due(recurring, MONDAY + dt.timedelta(days=n))]
    assert due == [MONDAY, MONDAY + dt.timedelta(weeks=2), MONDAY + dt.timedelta(weeks=4)]
    assert next_run_on(recurring, MONDAY + dt.timedelta(days=1)) == MONDAY + dt.timedelta(weeks=2)
    assert next_run_on(recurring, MONDAY + dt.timedelta(weeks=4, days=1)) is None


def test_day_31_falls_on_the_last_day_of_shorter_months(shop):
    _dealer, product, buyer = shop
    recurring = monthly(buyer, product, start=dt.date(2027, 1, 1), day=31)
    assert day_in_month(2027, 2, 31) == 28 and day_in_month(2028, 2, 31) == 29 and day_in_month(2027, 4, 31) == 30
    assert is_due(recurring, dt.date(2027, 1, 31)) and is_due(recurring, dt.date(2027, 2, 28))
    assert is_due(recurring, dt.date(2027, 4, 30)) and not is_due(recurring, dt.date(2027, 3, 30))
    assert next_run_on(recurring, dt.date(2027, 2, 1)) == dt.date(2027, 2, 28)
    recurring_pause(dealer_user=buyer, recurring_id=recurring.pk)
    recurring.refresh_from_db()
    assert next_run_on(recurring, dt.date(2027, 2, 1)) is None


# -- saving --------------------------------------------------------------------------------------------------------


def test_another_dealers_list_address_or_a_card_payment_is_refused(shop):
    dealer, product, buyer = shop
    other_dealer, other_product = make_shop()
    other = buyer_of(other_dealer)
    theirs = saved_list(other, other_product)
    mine = saved_list(buyer, product)
    address = DealerAddressFactory(dealer=dealer)
    timing = Timing(frequency="weekly", start_date=MONDAY)
    with pytest.raises(RecurringRefused, match="not available"):
        recurring_save(
            dealer_user=buyer, saved_list=theirs, timing=timing, payment_method="on_account", delivery_address=address
        )
    with pytest.raises(RecurringRefused, match="delivery addresses"):
        recurring_save(
            dealer_user=buyer,
            saved_list=mine,
            timing=timing,
            payment_method="on_account",
            delivery_address=DealerAddressFactory(dealer=other_dealer),
        )
    with pytest.raises(RecurringRefused, match="bank transfer"):
        recurring_save(
            dealer_user=buyer, saved_list=mine, timing=timing, payment_method="card", delivery_address=address
        )
    with pytest.raises(RecurringRefused, match="before the first"):
        recurring_save(
            dealer_user=buyer,
            saved_list=mine,
            timing=Timing(frequency="weekly", start_date=MONDAY, end_date=MONDAY - dt.timedelta(days=1)),
            payment_method="on_account",
            delivery_address=address,
        )
    with pytest.raises(RecurringRefused, match="day of the month"):
        recurring_save(
            dealer_user=buyer,
            saved_list=mine,
            timing=Timing(frequency="monthly", start_date=MONDAY, day_of_month=32),
            payment_method="on_account",
            delivery_address=address,
        )
    assert not RecurringOrder.objects.exists()
    saved = recurring_save(
        dealer_user=buyer, saved_list=mine, timing=timing, payment_method="bank_transfer", delivery_address=address
    )
    assert (saved.owner_id, saved.dealer_id, saved.is_active) == (buyer.user_id, dealer.pk, True)


def test_pause_resume_and_delete_are_the_owners_only(shop):
    dealer, product, buyer = shop
    recurring = weekly(buyer, product, start=MONDAY)
    colleague = buyer_of(dealer)
    for service in (recurring_pause, recurring_resume, recurring_delete):
        with pytest.raises(RecurringRefused):
            service(dealer_user=colleague, recurring_id=recurring.pk)
    assert not recurring_pause(dealer_user=buyer, recurring_id=recurring.pk).is_active
    assert recurring_run(recurring=recurring, day=MONDAY) is None  # paused: nothing runs
    assert recurring_resume(dealer_user=buyer, recurring_id=recurring.pk).is_active
    recurring_delete(dealer_user=buyer, recurring_id=recurring.pk)
    assert not RecurringOrder.objects.exists() and Cart.objects.filter(pk=recurring.saved_list_id).exists()


# -- runs ----------------------------------------------------------------------------------------------------------


def test_a_run_places_the_list_priced_today_and_notifies_the_owner(shop, django_capture_on_commit_callbacks):
    dealer, product, buyer = shop
    recurring = weekly(buyer, product, start=MONDAY)
    PriceListItem.objects.filter(price_list=dealer.price_list, product=product).update(price=D("120"))
    with django_capture_on_commit_callbacks(execute=True):
        run = recurring_run(recurring=recurring, day=MONDAY)
    assert run.outcome == Run.PLACED and run.reasons == []
    order = run.order
    assert order.idempotency_key == idempotency_key(recurring.pk, MONDAY)
    assert order.status == OrderStatus.APPROVED and order.placed_by_id == buyer.user_id
    assert order.lines.get().unit_price_net == D("120")  # priced today, not when the list was saved
    assert order.delivery_address_id == recurring.delivery_address_id
    assert recurring.saved_list.lines.count() == 1  # the list stays
    notice = Notification.objects.get(kind="recurring_placed")
    assert notice.recipient_id == buyer.user_id and notice.url.endswith(f"/{order.number}/")
    # One e-mail for the run: the order's confirmation, saying it was the schedule, with the link; the run's notice
    # stays in the portal's list.
    assert notice.status == Notification.Status.SKIPPED and notice.skip_reason == "portal only"
    assert [m.to for m in mail.outbox] == [[buyer.user.email]]
    sent = mail.outbox[0]
    assert order.number in sent.subject and recurring.saved_list.name in sent.subject
    assert "was ordered again as scheduled" in sent.body and order.number in sent.body
    assert f"{settings.B2B_SITE_URL}/orders/{order.number}/" in sent.body
    order.refresh_from_db()
    assert order.confirmation_sent_at is not None


def test_a_placed_run_sends_one_e_mail_in_the_owners_language(shop, django_capture_on_commit_callbacks):
    _dealer, product, buyer = shop
    buyer.user.language = "tr"
    buyer.user.save()
    recurring = weekly(buyer, product, start=MONDAY)
    with django_capture_on_commit_callbacks(execute=True):
        run = recurring_run(recurring=recurring, day=MONDAY)
    assert len(mail.outbox) == 1
    assert "tekrarlayan siparişi verildi" in mail.outbox[0].subject and run.order.number in mail.outbox[0].subject
    assert "bugünkü fiyatlarla yeniden sipariş edildi" in mail.outbox[0].body


def test_a_run_waiting_for_approval_tells_the_owner_once_and_the_approver_separately(
    shop, django_capture_on_commit_callbacks
):
    dealer, product, _buyer = shop
    limited = buyer_of(dealer, approval_limit=D("50"))
    approver = buyer_of(dealer, role="approver")
    recurring = weekly(limited, product, start=MONDAY)
    with django_capture_on_commit_callbacks(execute=True):
        run = recurring_run(recurring=recurring, day=MONDAY)
    assert run.order.status == OrderStatus.AWAITING_DEALER_APPROVAL
    to_owner = [m for m in mail.outbox if m.to == [limited.user.email]]
    to_approver = [m for m in mail.outbox if m.to == [approver.user.email]]
    assert len(to_owner) == 1 and "scheduled" in to_owner[0].body
    assert len(to_approver) == 1 and run.order.number in to_approver[0].body


def test_a_skipped_run_sends_one_e_mail_with_the_reason(shop, django_capture_on_commit_callbacks):
    dealer, product, buyer = shop
    recurring = weekly(buyer, product, start=MONDAY)
    Dealer.objects.filter(pk=dealer.pk).update(credit_hold=True, credit_hold_reason="overdue invoices")
    with django_capture_on_commit_callbacks(execute=True):
        recurring_run(recurring=recurring, day=MONDAY)
    assert [m.to for m in mail.outbox] == [[buyer.user.email]]
    assert "overdue invoices" in mail.outbox[0].body


def test_an_order_placed_by_hand_is_confirmed_as_before(shop, django_capture_on_commit_callbacks):
    dealer, product, buyer = shop
    cart_line_add(dealer_user=buyer, product=product, quantity=D("1"))
    with django_capture_on_commit_callbacks(execute=True):
        order = place(buyer)
    assert [m.to for m in mail.outbox] == [[buyer.user.email]]
    assert mail.outbox[0].subject == f"Order {order.number} received"
    assert mail.outbox[0].body.startswith(f"We have received order {order.number} of {dealer.title}.")
    assert "scheduled" not in mail.outbox[0].body and "/orders/" not in mail.outbox[0].body
    assert not Notification.objects.filter(kind="recurring_placed").exists()


def test_the_preferences_page_offers_the_skipped_run_e_mail_only(shop):
    _dealer, _product, buyer = shop
    keys = [kind.key for kind in kinds_for(buyer.user)]
    assert "recurring_skipped" in keys and "recurring_placed" not in keys


def test_a_date_runs_once_even_when_its_run_record_is_lost(shop):
    _dealer, product, buyer = shop
    recurring = weekly(buyer, product, start=MONDAY)
    first = recurring_run(recurring=recurring, day=MONDAY)
    assert recurring_run(recurring=recurring, day=MONDAY).pk == first.pk
    RecurringRun.objects.all().delete()
    again = recurring_run(recurring=recurring, day=MONDAY)
    assert again.order_id == first.order_id  # the idempotency key finds the order placed before
    assert Order.objects.count() == 1
    nxt = recurring_run(recurring=recurring, day=MONDAY + dt.timedelta(weeks=1))
    assert nxt.order_id != first.order_id and Order.objects.count() == 2


def test_a_date_not_due_does_not_run(shop):
    _dealer, product, buyer = shop
    recurring = weekly(buyer, product, start=MONDAY, weeks=2)
    assert recurring_run(recurring=recurring, day=MONDAY + dt.timedelta(weeks=1)) is None
    assert recurring_run(recurring=recurring, day=MONDAY - dt.timedelta(weeks=2)) is None
    assert not RecurringRun.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_workers_on_one_date_place_one_order():
    dealer, product = make_shop(stock="100")
    buyer = buyer_of(dealer)
    recurring = weekly(buyer, product, start=MONDAY)
    barrier, results = threading.Barrier(2), []

    def worker():
        try:
            barrier.wait()
            results.append(recurring_run(recurring=recurring, day=MONDAY).pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 2 and results[0] == results[1]
    assert Order.objects.filter(dealer=dealer).count() == 1 and RecurringRun.objects.count() == 1


def test_credit_hold_skips_the_date_with_its_reason_and_the_next_date_runs(shop, django_capture_on_commit_callbacks):
    dealer, product, buyer = shop
    recurring = weekly(buyer, product, start=MONDAY)
    Dealer.objects.filter(pk=dealer.pk).update(credit_hold=True, credit_hold_reason="overdue invoices")
    with django_capture_on_commit_callbacks(execute=True):
        run = recurring_run(recurring=recurring, day=MONDAY)
    assert run.outcome == Run.SKIPPED and run.order is None
    assert [r["rule"] for r in run.reasons] == ["credit_hold"]
    assert not Order.objects.exists()
    notice = Notification.objects.get(kind="recurring_skipped", recipient=buyer.user)
    assert notice.url.endswith(f"/recurring/{recurring.pk}/")
    assert any("overdue invoices" in m.body for m in mail.outbox)
    # The skipped date stays skipped; the schedule goes on.
    assert recurring_run(recurring=recurring, day=MONDAY).pk == run.pk
    Dealer.objects.filter(pk=dealer.pk).update(credit_hold=False)
    assert recurring_run(recurring=recurring, day=MONDAY + dt.timedelta(weeks=1)).outcome == Run.PLACED


def test_a_product_no_longer_orderable_skips_the_date(shop):
    _dealer, product, buyer = shop
    recurring = weekly(buyer, product, start=MONDAY)
    Product.objects.filter(pk=product.pk).update(status=Product.Status.INACTIVE)
    run = recurring_run(recurring=recurring, day=MONDAY)
    assert run.outcome == Run.SKIPPED and product.sku in run.reasons[0]["text"]
    assert not Order.objects.exists()


def test_an_empty_list_an_inactive_address_or_a_departed_owner_skip_the_date(shop):
    _dealer, product, buyer = shop
    recurring = weekly(buyer, product, start=MONDAY)
    recurring.saved_list.lines.all().delete()
    assert recurring_run(recurring=recurring, day=MONDAY).reasons == [{"text": "The list is empty."}]
    recurring.delivery_address.is_active = False
    recurring.delivery_address.save()
    second = recurring_run(recurring=recurring, day=MONDAY + dt.timedelta(weeks=1))
    assert "delivery address" in second.reasons[0]["text"]
    buyer.is_active = False
    buyer.save()
    third = recurring_run(recurring=recurring, day=MONDAY + dt.timedelta(weeks=2))
    assert "owner" in third.reasons[0]["text"] and not Order.objects.exists()


def test_above_the_owners_approval_limit_the_order_waits_for_the_dealers_approver(shop):
    dealer, product, _buyer = shop
    limited = buyer_of(dealer, approval_limit=D("50"))
    recurring = weekly(limited, product, start=MONDAY)
    run = recurring_run(recurring=recurring, day=MONDAY)
    assert run.outcome == Run.PLACED
    assert run.order.status == OrderStatus.AWAITING_DEALER_APPROVAL


def test_a_shortfall_holds_the_order_for_staff_like_any_order(db):
    dealer, product = make_shop(stock="1")
    buyer = buyer_of(dealer)
    recurring = weekly(buyer, product, start=MONDAY)
    run = recurring_run(recurring=recurring, day=MONDAY)
    assert run.outcome == Run.PLACED and run.order.status == OrderStatus.ON_HOLD
    assert [r["rule"] for r in run.order.hold_reasons] == ["stock"]


def test_a_skip_is_worded_in_the_owners_language(shop, django_capture_on_commit_callbacks):
    _dealer, product, buyer = shop
    buyer.user.language = "tr"
    buyer.user.save()
    recurring = weekly(buyer, product, start=MONDAY)
    Product.objects.filter(pk=product.pk).update(status=Product.Status.INACTIVE)
    with django_capture_on_commit_callbacks(execute=True):
        run = recurring_run(recurring=recurring, day=MONDAY)
    assert run.reasons == [{"text": f"{product.sku}: Bu ürün size açık değil."}]
    assert Notification.objects.get(kind="recurring_skipped").language == "tr"


# -- the schedule --------------------------------------------------------------------------------------------------


def test_the_hourly_task_runs_what_is_due_today_in_the_portals_time_zone(shop):
    _dealer, product, buyer = shop
    Schedule.objects.filter(name="orders:recurring").delete()
    schedules_install()
    schedules_install()
    installed = Schedule.objects.get(name="orders:recurring")
    assert set(SCHEDULES) == {"orders:recurring"}
    assert (installed.schedule_type, installed.minutes, installed.repeats) == (Schedule.MINUTES, 60, -1)
    task = import_string(installed.func)
    every_two = weekly(buyer, product, start=MONDAY, weeks=2)
    monthly_last = monthly(buyer, product, start=dt.date(2027, 1, 1), day=31)

    # 22:30 UTC on Sunday 28 February is already Monday 1 March in Istanbul (UTC+3).
    with time_machine.travel(dt.datetime(2027, 2, 28, 22, 30, tzinfo=dt.UTC), tick=False):
        assert task() == 1
        assert task() == 0
    assert RecurringRun.objects.get().recurring_id == every_two.pk
    with time_machine.travel(dt.datetime(2027, 3, 8, 9, 0, tzinfo=dt.UTC), tick=False):
        assert task() == 0  # the off week
    with time_machine.travel(dt.datetime(2027, 3, 15, 9, 0, tzinfo=dt.UTC), tick=False):
        assert task() == 1
    with time_machine.travel(dt.datetime(2027, 4, 30, 9, 0, tzinfo=dt.UTC), tick=False):
        assert [run.recurring_id for run in recurring_runs_due()] == [monthly_last.pk]
    assert sorted(RecurringRun.objects.values_list("run_on", flat=True)) == [
        dt.date(2027, 3, 1),
        dt.date(2027, 3, 15),
        dt.date(2027, 4, 30),
    ]
    assert Order.objects.count() == 3


def test_a_rule_configured_to_block_skips_the_date_with_that_rule(db, settings):
    settings.B2B_ORDER_RULES = {"stock": "block"}
    dealer, product = make_shop(stock="1")
    buyer = buyer_of(dealer)
    recurring = weekly(buyer, product, start=MONDAY)
    run = recurring_run(recurring=recurring, day=MONDAY)
    assert run.outcome == Run.SKIPPED and [r["rule"] for r in run.reasons] == ["stock"]
    assert run.reasons[0]["details"]["short"] == {product.sku: "1.000"} and not Order.objects.exists()
