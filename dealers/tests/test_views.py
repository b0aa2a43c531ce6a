from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


def test_home_shows_balance_limit_and_as_of_in_turkish(dealer_client):
    dealer = dealer_client.dealer_user.dealer
    dealer.erp_balance = Decimal("1234.56")
    dealer.credit_limit = Decimal("50000")
    dealer.erp_balance_as_of = timezone.now()
    dealer.save()
    dealer_client.dealer_user.user.language = "tr"
    dealer_client.dealer_user.user.save()
    body = dealer_client.get(reverse("home")).content.decode()
    assert "1.234,56 ₺" in body
    assert "50.000,00 ₺" in body
    assert "itibarıyla" in body


def test_home_in_english(dealer_client):
    dealer_client.dealer_user.user.language = "en"
    dealer_client.dealer_user.user.save()
    body = dealer_client.get(reverse("home")).content.decode()
    assert "Available credit" in body
    assert "not synced yet" in body


def test_home_warns_about_credit_hold(dealer_client):
    dealer = dealer_client.dealer_user.dealer
    dealer.credit_hold = True
    dealer.credit_hold_reason = "Overdue invoices"
    dealer.save()
    body = dealer_client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "on credit hold" in body
    assert "Overdue invoices" in body


def _count_queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_order_list_queries_do_not_grow_with_rows(dealer_client):
    dealer_user = dealer_client.dealer_user
    OrderFactory.create_batch(2, dealer=dealer_user.dealer, placed_by=dealer_user.user)
    few = _count_queries(dealer_client, reverse("orders:order_list"))
    OrderFactory.create_batch(20, dealer=dealer_user.dealer, placed_by=dealer_user.user)
    many = _count_queries(dealer_client, reverse("orders:order_list"))
    assert few == many


def test_home_queries_do_not_grow_with_orders(dealer_client):
    dealer_user = dealer_client.dealer_user
    OrderFactory.create_batch(1, dealer=dealer_user.dealer, placed_by=dealer_user.user)
    few = _count_queries(dealer_client, reverse("home"))
    OrderFactory.create_batch(10, dealer=dealer_user.dealer, placed_by=dealer_user.user)
    many = _count_queries(dealer_client, reverse("home"))
    assert few == many
