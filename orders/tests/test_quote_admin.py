"""Quotes in the admin: the queue, the pricing page with the normal price and its explanation beside each line,
validity and terms, send; new versions; the history; a sales representative with the permission sees and prices
only their own dealers' quotes, staff without it cannot price."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from dealers.models import SalesRep
from notifications.models import Notification
from orders.models import Quote, QuoteStatus
from orders.services.quotes import quote_revision_request
from orders.tests.factories import buyer_of, make_shop
from orders.tests.quote_factories import requested_quote, sent_quote, staff_user

pytestmark = pytest.mark.django_db
D = Decimal
Q = QuoteStatus
LIST = reverse("admin:orders_quote_changelist")


@pytest.fixture
def shop(db):
    dealer, product = make_shop(stock="50", price="100")
    return dealer, product, buyer_of(dealer)


def _pricing(quote, **fields):
    version = quote.versions.order_by("-number").first()
    line = version.lines.get()
    valid = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    data = {"valid_until": valid, "terms": "Peşin %2", f"price_{line.pk}": "", f"discount_{line.pk}": ""}
    data.update({key.format(line=line.pk): value for key, value in fields.items()})
    return data


def test_the_queue_lists_requests_waiting_for_staff(staff_client, shop):
    _dealer, product, buyer = shop
    waiting = requested_quote(buyer, product)
    sent = sent_quote(buyer, product, staff_user())
    response = staff_client.get(LIST + "?queue=ours", HTTP_ACCEPT_LANGUAGE="en")
    numbers = [q.number for q in response.context["cl"].result_list]
    assert numbers == [waiting.number] and sent.number not in numbers


def test_the_pricing_page_shows_the_normal_price_and_its_explanation(staff_client, shop):
    _dealer, product, buyer = shop
    quote = requested_quote(buyer, product, target="85")
    response = staff_client.get(reverse("admin:orders_quote_price", args=[quote.pk]), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response.status_code == 200
    assert "List price: ₺100.00" in html and "₺85.00" in html and 'data-testid="quote-credit"' in html


def test_staff_price_and_send_and_the_history_says_who(staff_client, superuser, shop):
    _dealer, product, buyer = shop
    quote = requested_quote(buyer, product, quantity="10")
    url = reverse("admin:orders_quote_price", args=[quote.pk])
    response = staff_client.post(url, {**_pricing(quote, **{"discount_{line}": "10"}), "send": "1"})
    assert response.status_code == 302
    quote.refresh_from_db()
    version = quote.versions.get()
    assert quote.status == Q.SENT and version.sent_by == superuser and version.terms == "Peşin %2"
    assert version.lines.get().quoted_price_net == D("90")
    assert list(quote.events.values_list("action", "actor")) == [
        ("requested", buyer.user.pk), ("priced", superuser.pk), ("sent", superuser.pk),
    ]  # fmt: skip
    messages = set(LogEntry.objects.filter(object_id=str(quote.pk)).values_list("change_message", flat=True))
    assert messages == {"Priced version 1", "Sent version 1"}
    assert Notification.objects.filter(kind="quote_sent", recipient=buyer.user).exists()
    page = staff_client.get(reverse("admin:orders_quote_change", args=[quote.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and "Version 1" in page.content.decode()


def test_a_price_and_a_discount_on_one_line_are_refused(staff_client, shop):
    _dealer, product, buyer = shop
    quote = requested_quote(buyer, product)
    url = reverse("admin:orders_quote_price", args=[quote.pk])
    response = staff_client.post(url, _pricing(quote, **{"price_{line}": "80", "discount_{line}": "5"}))
    assert response.status_code == 200 and "Give either a price or a discount." in response.content.decode()
    quote.refresh_from_db()
    assert quote.status == Q.REQUESTED


def test_a_sent_version_cannot_be_priced_again_but_a_new_version_can(staff_client, shop):
    _dealer, product, buyer = shop
    quote = sent_quote(buyer, product, staff_user(), net="90")
    price_url = reverse("admin:orders_quote_price", args=[quote.pk])
    assert staff_client.post(price_url, _pricing(quote, **{"price_{line}": "1"})).status_code == 302
    assert quote.versions.get().lines.get().quoted_price_net == D("90")
    quote_revision_request(quote=quote, dealer_user=buyer, note="Daha iyi fiyat?")
    step = reverse("admin:orders_quote_step", args=[quote.pk])
    assert staff_client.post(step, {"step": "revise"}).url == price_url
    quote.refresh_from_db()
    staff_client.post(price_url, {**_pricing(quote, **{"price_{line}": "85"}), "send": "1"})
    quote.refresh_from_db()
    assert quote.status == Q.SENT
    assert [v.lines.get().quoted_price_net for v in quote.versions.order_by("number")] == [D("90"), D("85")]


def test_staff_cancel_from_the_page(staff_client, shop):
    _dealer, product, buyer = shop
    quote = sent_quote(buyer, product, staff_user())
    staff_client.post(reverse("admin:orders_quote_step", args=[quote.pk]), {"step": "cancel", "note": "Stok yok"})
    quote.refresh_from_db()
    assert quote.status == Q.CANCELLED and quote.events.last().note == "Stok yok"


def _sales_rep_client(client, dealer):
    user = UserFactory(is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="price_quote"))
    rep = SalesRep.objects.create(code="PL-1", name="Plasiyer", user=user)
    dealer.sales_rep = rep
    dealer.save()
    client.force_login(user)
    return user


def test_a_sales_rep_prices_their_own_dealers_quotes_only(client, shop):
    dealer, product, buyer = shop
    own = requested_quote(buyer, product)
    other_dealer, other_product = make_shop(stock="5", price="50")
    other = requested_quote(buyer_of(other_dealer), other_product)
    rep = _sales_rep_client(client, dealer)
    response = client.get(LIST)
    assert [q.number for q in response.context["cl"].result_list] == [own.number]
    assert client.get(reverse("admin:orders_quote_price", args=[other.pk])).status_code == 404
    client.post(reverse("admin:orders_quote_price", args=[own.pk]), {**_pricing(own, **{"price_{line}": "95"}),
                                                                      "send": "1"})  # fmt: skip
    own.refresh_from_db()
    assert own.status == Q.SENT and own.versions.get().sent_by == rep


def test_staff_without_the_permission_cannot_price(client, shop):
    _dealer, product, buyer = shop
    quote = requested_quote(buyer, product)
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_quote"))
    client.force_login(viewer)
    assert client.get(LIST).status_code == 200
    assert client.post(reverse("admin:orders_quote_price", args=[quote.pk]), _pricing(quote)).status_code == 403
    assert Quote.objects.get(pk=quote.pk).status == Q.REQUESTED
