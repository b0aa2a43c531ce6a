"""The dealer's recurring order pages: scheduling a saved list, changing, pausing, resuming and deleting it, the run
history with each skip's reason, another user's or dealer's schedule a 404, and query counts that do not grow with
schedules or runs."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dealers.models import Dealer
from dealers.tests.factories import DealerAddressFactory, DealerFactory
from orders.models import RecurringOrder, RecurringRun
from orders.services.recurring import recurring_run
from orders.tests.factories import buyer_of, make_shop
from orders.tests.recurring_factories import saved_list, weekly

pytestmark = pytest.mark.django_db
D = Decimal
MONDAY = dt.date(2027, 3, 1)


@pytest.fixture
def buyer_client(client):
    dealer, product = make_shop(stock="500", price="100")
    buyer = buyer_of(dealer)
    address = DealerAddressFactory(dealer=dealer, is_default=True, name="Merkez")
    client.force_login(buyer.user)
    client.buyer, client.dealer, client.product, client.address = buyer, dealer, product, address
    return client


def _form(client, saved, **changes):
    data = {
        "saved_list": saved.pk,
        "frequency": "monthly",
        "interval_weeks": "1",
        "day_of_month": "31",
        "start_date": "2027-01-01",
        "end_date": "",
        "payment_method": "on_account",
        "delivery_address": client.address.pk,
    }
    return {**data, **changes}


def test_a_saved_list_is_scheduled_from_the_cart_and_says_how_short_months_go(buyer_client):
    saved = saved_list(buyer_client.buyer, buyer_client.product)
    cart = buyer_client.get(reverse("orders:cart"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f"{reverse('orders:recurring_new')}?list={saved.pk}" in cart
    page = buyer_client.get(f"{reverse('orders:recurring_new')}?list={saved.pk}", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and "the month&#x27;s last day" in page.content.decode()
    response = buyer_client.post(reverse("orders:recurring_new"), _form(buyer_client, saved))
    recurring = RecurringOrder.objects.get()
    assert response.url == reverse("orders:recurring_detail", args=[recurring.pk])
    assert (recurring.frequency, recurring.day_of_month, recurring.owner_id) == (
        "monthly",
        31,
        buyer_client.buyer.user_id,
    )
    detail = buyer_client.get(response.url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Monthly on day 31" in detail and "In months shorter than 31 days" in detail


def test_a_bad_schedule_is_refused_on_the_page(buyer_client):
    saved = saved_list(buyer_client.buyer, buyer_client.product)
    other_dealer, other_product = make_shop()
    theirs = saved_list(buyer_of(other_dealer), other_product)
    for changes in (
        {"day_of_month": ""},
        {"end_date": "2026-12-01"},
        {"payment_method": "card"},
        {"saved_list": theirs.pk},
        {"delivery_address": DealerAddressFactory(dealer=other_dealer).pk},
    ):
        response = buyer_client.post(reverse("orders:recurring_new"), _form(buyer_client, saved, **changes))
        assert response.status_code == 200, changes
    assert not RecurringOrder.objects.exists()


def test_change_pause_resume_and_delete_on_the_page(buyer_client):
    recurring = weekly(buyer_client.buyer, buyer_client.product, start=MONDAY)
    url = reverse("orders:recurring_detail", args=[recurring.pk])
    changed = _form(buyer_client, recurring.saved_list, frequency="weekly", interval_weeks="3", start_date="2027-03-01")
    assert buyer_client.post(url, changed).status_code == 302
    recurring.refresh_from_db()
    assert (recurring.frequency, recurring.interval_weeks, recurring.day_of_month) == ("weekly", 3, None)
    buyer_client.post(reverse("orders:recurring_pause", args=[recurring.pk]))
    recurring.refresh_from_db()
    assert not recurring.is_active
    assert "Paused" in buyer_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    buyer_client.post(reverse("orders:recurring_resume", args=[recurring.pk]))
    recurring.refresh_from_db()
    assert recurring.is_active
    response = buyer_client.post(reverse("orders:recurring_delete", args=[recurring.pk]))
    assert response.url == reverse("orders:recurring_list") and not RecurringOrder.objects.exists()


def test_the_run_history_shows_orders_and_skips_with_their_reason(buyer_client):
    recurring = weekly(buyer_client.buyer, buyer_client.product, start=MONDAY)
    placed = recurring_run(recurring=recurring, day=MONDAY)
    Dealer.objects.filter(pk=buyer_client.dealer.pk).update(credit_hold=True, credit_hold_reason="overdue invoices")
    recurring_run(recurring=recurring, day=MONDAY + dt.timedelta(weeks=1))
    page = buyer_client.get(reverse("orders:recurring_detail", args=[recurring.pk]), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert placed.order.number in html
    assert "Skipped: Dealer on credit hold: overdue invoices" in html
    tr = buyer_client.get(reverse("orders:recurring_detail", args=[recurring.pk]), HTTP_ACCEPT_LANGUAGE="tr")
    assert "overdue invoices" in tr.content.decode() and "Dealer on credit hold" not in tr.content.decode()


def test_another_dealer_or_colleague_gets_404_and_changes_nothing(buyer_client, client):
    recurring = weekly(buyer_client.buyer, buyer_client.product, start=MONDAY)
    for stranger in (buyer_of(DealerFactory()), buyer_of(buyer_client.dealer)):
        client.force_login(stranger.user)
        assert client.get(reverse("orders:recurring_detail", args=[recurring.pk])).status_code == 404
        for name in ("recurring_pause", "recurring_resume", "recurring_delete"):
            assert client.post(reverse(f"orders:{name}", args=[recurring.pk])).status_code == 404
        assert (
            client.post(
                reverse("orders:recurring_detail", args=[recurring.pk]), _form(buyer_client, recurring.saved_list)
            ).status_code
            == 404
        )
        listing = client.get(reverse("orders:recurring_list")).content.decode()
        assert f'data-recurring="{recurring.pk}"' not in listing
    recurring.refresh_from_db()
    assert recurring.is_active and recurring.frequency == "weekly"


def _queries(client, url, marker, expected):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.content.decode().count(marker) == expected
    return len(captured)


def test_recurring_list_queries_do_not_grow_with_schedules(buyer_client):
    weekly(buyer_client.buyer, buyer_client.product, start=MONDAY)
    url = reverse("orders:recurring_list")
    buyer_client.get(url, HTTP_ACCEPT_LANGUAGE="en")  # the first request records more
    small = _queries(buyer_client, url, "data-recurring=", 1)
    for n in range(8):
        weekly(buyer_client.buyer, buyer_client.product, start=MONDAY, weeks=n + 1)
    large = _queries(buyer_client, url, "data-recurring=", 9)
    assert small == large, (small, large)


def test_recurring_page_queries_do_not_grow_with_runs(buyer_client):
    recurring = weekly(buyer_client.buyer, buyer_client.product, start=MONDAY)
    url = reverse("orders:recurring_detail", args=[recurring.pk])
    recurring_run(recurring=recurring, day=MONDAY)
    buyer_client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    small = _queries(buyer_client, url, "data-run=", 1)
    for week in range(1, 10):
        recurring_run(recurring=recurring, day=MONDAY + dt.timedelta(weeks=week))
    assert RecurringRun.objects.count() == 10
    large = _queries(buyer_client, url, "data-run=", 10)
    assert small == large <= 14, (small, large)


def test_staff_see_schedules_and_runs_with_reasons_in_the_admin_and_change_nothing(buyer_client, client, superuser):
    recurring = weekly(buyer_client.buyer, buyer_client.product, start=MONDAY)
    placed = recurring_run(recurring=recurring, day=MONDAY)
    Dealer.objects.filter(pk=buyer_client.dealer.pk).update(credit_hold=True, credit_hold_reason="overdue invoices")
    recurring_run(recurring=recurring, day=MONDAY + dt.timedelta(weeks=1))
    client.force_login(superuser)
    listing = client.get(reverse("admin:orders_recurringorder_changelist"), HTTP_ACCEPT_LANGUAGE="en")
    assert listing.status_code == 200 and recurring.saved_list.name in listing.content.decode()
    page = client.get(reverse("admin:orders_recurringorder_change", args=[recurring.pk]), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert placed.order.number in html and "Dealer on credit hold: overdue invoices" in html
    runs = client.get(reverse("admin:orders_recurringrun_changelist"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "overdue invoices" in runs
    client.post(reverse("admin:orders_recurringorder_change", args=[recurring.pk]), {"is_active": ""})
    assert client.post(reverse("admin:orders_recurringorder_delete", args=[recurring.pk])).status_code == 403
    recurring.refresh_from_db()
    assert recurring.is_active
