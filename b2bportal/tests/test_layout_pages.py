"""The layout every page shares: exactly one lit main-menu entry, a favicon, English dates day first, time spans
to the minute."""

import datetime as dt
import re
from datetime import timedelta

import pytest
from django.contrib.staticfiles import finders
from django.template import Context, Template
from django.urls import reverse
from django.utils import formats, translation

from orders.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db
ACTIVE = re.compile(r'class="nav__link is-active">([^<]+)<')


@pytest.mark.parametrize(
    "url_name, args, entry",
    [
        ("home", [], "Home"),
        ("catalog:catalog_list", [], "Catalogue"),
        ("orders:cart", [], "Cart"),
        ("orders:quick_order", [], "Cart"),
        ("orders:approvals", [], "Approvals"),
        ("orders:order_list", [], "Orders"),
        ("orders:order_detail", ["ORDER"], "Orders"),
        ("account:summary", [], "Account"),
        ("dealers:statement", [], "Account"),
        ("dealers:document_list", [], "Documents"),
        ("payments:account_pay", [], "Payments"),
        ("dealers:address_list", [], "Addresses"),
        ("orders:previously_ordered", [], "Previously ordered"),
        ("catalog:stock_alerts", [], "Stock alerts"),
    ],
)
def test_one_menu_entry_is_lit_on_each_page(dealer_client, url_name, args, entry):
    if args:
        args = [OrderFactory(dealer=dealer_client.dealer_user.dealer, placed_by=dealer_client.dealer_user.user).number]
    response = dealer_client.get(reverse(url_name, args=args), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert ACTIVE.findall(response.content.decode()) == [entry]


def test_every_page_links_a_favicon_that_exists(dealer_client):
    html = dealer_client.get(reverse("home")).content.decode()
    icons = re.findall(r'<link rel="icon" href="/static/([^"]+)"', html)
    assert icons and all(finders.find(icon) for icon in icons)


def test_favicon_ico_at_the_root_leads_to_the_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"].endswith("b2bportal/favicon.ico")
    assert finders.find("b2bportal/favicon.ico")


def test_english_dates_are_day_first():
    day = dt.date(2026, 12, 7)
    with translation.override("en"):
        assert formats.date_format(day, "SHORT_DATE_FORMAT") == "07 Dec 2026"
        assert formats.date_format(day, "DATE_FORMAT") == "7 December 2026"
        assert formats.get_format("DATE_INPUT_FORMATS")[:2] == ["%Y-%m-%d", "%d/%m/%Y"]
    with translation.override("tr"):
        assert formats.date_format(day, "SHORT_DATE_FORMAT") == "07 Ara 2026"


@pytest.mark.parametrize(
    "span, shown",
    [
        (timedelta(hours=2, minutes=5, seconds=31, microseconds=123456), "2 h 5 min"),
        (timedelta(days=3, hours=4, minutes=59), "3 d 4 h"),
        (timedelta(minutes=12, seconds=59, microseconds=999999), "12 min"),
        (timedelta(seconds=42, microseconds=5), "42 s"),
        (timedelta(days=1, seconds=30), "1 d"),
    ],
)
def test_a_time_span_is_shown_to_the_minute(span, shown):
    with translation.override("en"):
        assert Template("{% load portal %}{{ span|duration }}").render(Context({"span": span})) == shown
