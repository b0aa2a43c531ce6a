"""The previously ordered page: per product the last quantity, unit and price paid (in that order's currency) and the
last order date, today's price and availability; search, brand, paging; one-click re-add through the cart service;
another dealer's orders never shown or re-added; a constant number of queries."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from catalog.models import Product
from catalog.tests.factories import (
    BrandFactory,
    PriceListItemFactory,
    ProductFactory,
    ProductUnitFactory,
    StockLevelFactory,
)
from dealers.models import DealerUser
from dealers.tests.factories import DealerFactory, DealerUserFactory
from orders import previously_ordered as module
from orders.exceptions import CartRefused
from orders.models import CartLine
from orders.previously_ordered import previously_ordered_page
from orders.services.cart import cart_add_previously_ordered
from orders.status import OrderStatus
from orders.tests.factories import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db
D = Decimal
URL = "/orders/previously-ordered/"
ADD = "/orders/previously-ordered/add/"


def priced(shop, sku, price="100", **kwargs):
    product = ProductFactory(sku=sku, min_order_qty=D("1"), order_multiple=D("1"), **kwargs)
    PriceListItemFactory(price_list=shop.price_list, product=product, price=D(price))
    StockLevelFactory(product=product, on_hand=D("50"))
    return product


def ordered(dealer, product, *, quantity="10", price="90", days_ago=1, status=OrderStatus.APPROVED, **kwargs):
    order = OrderFactory(dealer=dealer, status=status, placed_at=timezone.now() - dt.timedelta(days=days_ago), **kwargs)
    return OrderLineFactory(order=order, product=product, quantity=D(quantity), unit_price_net=D(price))


def rows_of(response):
    return {row.product.sku: row for row in response.context["rows"]}


def in_cart(dealer_user):
    return {
        (line.product.sku, line.unit.code if line.unit else None): line.quantity
        for line in CartLine.objects.filter(cart__owner=dealer_user.user).select_related("product", "unit")
    }


def test_each_product_shows_its_last_quantity_price_and_date(dealer_client, shop):
    a, b, c = priced(shop, "A", price="120"), priced(shop, "B"), priced(shop, "C")
    ordered(shop, a, quantity="5", price="80", days_ago=30)
    last = ordered(shop, a, quantity="7", price="95.5", days_ago=3, currency="EUR")
    ordered(shop, b, quantity="2", days_ago=10)
    ordered(shop, c, quantity="99", days_ago=1, status=OrderStatus.CANCELLED)  # never became an order
    response = dealer_client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    rows = rows_of(response)
    assert list(rows) == ["A", "B"]  # most recent first; the cancelled order does not count
    row = rows["A"]
    assert row.last_line == last and row.times == 2 and row.currency == "EUR"
    assert row.price.net == D("120.00") and row.orderable and row.availability.available == D("50")
    html = response.content.decode()
    assert "€95.50" in html and "₺120.00" in html
    assert timezone.localtime(last.order.placed_at).strftime("%d %b %Y") in html


def test_every_user_of_the_dealer_sees_the_dealers_history(dealer_client, shop):
    product = priced(shop, "A")
    colleague = DealerUserFactory(dealer=shop, role=DealerUser.Role.BUYER)
    ordered(shop, product, placed_by=colleague.user)
    dealer_client.dealer_user.role = DealerUser.Role.BUYER
    dealer_client.dealer_user.save()
    assert list(rows_of(dealer_client.get(URL))) == ["A"]


def test_another_dealers_orders_never_show(dealer_client, shop):
    mine, theirs = priced(shop, "MINE"), priced(shop, "THEIRS")
    other = DealerFactory(price_list=shop.price_list)
    ordered(shop, mine, quantity="3", price="90", days_ago=5)
    ordered(other, mine, quantity="500", price="1", days_ago=1)  # newer, but another dealer's
    ordered(other, theirs)
    response = dealer_client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    rows = rows_of(response)
    assert list(rows) == ["MINE"]
    assert rows["MINE"].last_line.quantity == D("3") and rows["MINE"].last_line.unit_price_net == D("90")
    assert "THEIRS" not in response.content.decode()


def test_products_no_longer_visible_or_priced_are_unavailable_and_not_re_addable(dealer_client, shop):
    gone = ProductFactory(sku="GONE")  # no price for the dealer any more
    off = priced(shop, "OFF", status=Product.Status.INACTIVE)
    ordered(shop, gone)
    ordered(shop, off)
    response = dealer_client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    rows = rows_of(response)
    assert not rows["GONE"].orderable and not rows["OFF"].orderable
    html = response.content.decode()
    assert html.count('data-testid="not-orderable"') == 2 and 'data-testid="re-add"' not in html
    dealer_client.post(ADD, {"only": gone.pk})
    assert in_cart(dealer_client.dealer_user) == {}


def test_one_click_re_adds_the_last_quantity_and_the_selected_ones_together(dealer_client, shop):
    a, b = priced(shop, "A"), priced(shop, "B")
    ordered(shop, a, quantity="4")
    ordered(shop, b, quantity="6")
    response = dealer_client.post(ADD, {"only": a.pk, "next": URL}, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert response.redirect_chain[-1][0] == URL
    assert in_cart(dealer_client.dealer_user) == {("A", None): D("4")}
    dealer_client.post(ADD, {"product": [a.pk, b.pk]})
    assert in_cart(dealer_client.dealer_user) == {("A", None): D("8"), ("B", None): D("6")}


def test_re_adding_keeps_the_pack_it_was_ordered_in(dealer_client, shop):
    product = priced(shop, "P")
    pack = ProductUnitFactory(product=product)
    line = ordered(shop, product, quantity="2")
    line.unit_code, line.unit_factor = pack.unit.code, D("12")
    line.save()
    rows = rows_of(dealer_client.get(URL))
    assert rows["P"].price.unit_code == "KOLI" and rows["P"].price.net == D("1200.00")
    dealer_client.post(ADD, {"only": product.pk})
    assert in_cart(dealer_client.dealer_user) == {("P", "KOLI"): D("2")}


def test_re_adding_another_dealers_product_is_refused(dealer_user):
    other = DealerFactory()
    product = ProductFactory()
    ordered(other, product)
    with pytest.raises(CartRefused):
        cart_add_previously_ordered(dealer_user=dealer_user, product_ids=[product.pk])
    assert in_cart(dealer_user) == {}


def test_a_refused_product_does_not_stop_the_others(dealer_client, shop):
    good, gone = priced(shop, "GOOD"), ProductFactory(sku="GONE")
    ordered(shop, good, quantity="1")
    ordered(shop, gone, quantity="1")
    response = dealer_client.post(ADD, {"product": [good.pk, gone.pk]}, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert in_cart(dealer_client.dealer_user) == {("GOOD", None): D("1")}
    assert "GONE: This product is not available to you." in response.content.decode()


def test_search_brand_and_sort(dealer_client, shop):
    brand = BrandFactory()
    cable = priced(shop, "KBL-1", name="Kablo Çift", brand=brand)
    switch = priced(shop, "ANH-1", name="Anahtar")
    ordered(shop, cable, days_ago=9)
    ordered(shop, switch, days_ago=1)
    ordered(shop, switch, days_ago=2)
    assert list(rows_of(dealer_client.get(URL, {"q": "cift"}))) == ["KBL-1"]
    assert list(rows_of(dealer_client.get(URL, {"brand": brand.pk}))) == ["KBL-1"]
    assert list(rows_of(dealer_client.get(URL, {"sort": "name"}))) == ["ANH-1", "KBL-1"]
    assert list(rows_of(dealer_client.get(URL, {"sort": "most"}))) == ["ANH-1", "KBL-1"]
    assert list(rows_of(dealer_client.get(URL, {"sort": "nonsense"}))) == ["ANH-1", "KBL-1"]
    empty = dealer_client.get(URL, {"q": "yok"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No previously ordered product matches." in empty


def test_pages(dealer_user, monkeypatch):
    monkeypatch.setattr(module, "PER_PAGE", 2)
    for n in range(5):
        ordered(dealer_user.dealer, ProductFactory(sku=f"S{n}"), days_ago=n + 1)
    page, rows = previously_ordered_page(dealer_user=dealer_user, page=3)
    assert page.paginator.count == 5 and page.number == 3 and [r.product.sku for r in rows] == ["S4"]


def test_the_page_is_constant_in_queries(dealer_client, shop):
    made = []

    def queries(count):
        for n in range(count):
            product = priced(shop, f"Q-{len(made):03d}")
            made.append(product)
            if n % 3 == 0:
                ProductUnitFactory(product=product)
            ordered(shop, product, days_ago=n + 1)
        with CaptureQueriesContext(connection) as captured:
            response = dealer_client.get(URL)
        assert response.status_code == 200
        return len(captured), len(response.context["rows"])

    queries(2)  # the first page read fills the caches (units, category tree)
    few, many = queries(2), queries(20)
    assert few[1] == 4 and many[1] == 24
    assert few[0] == many[0]


def test_the_menu_links_the_page(dealer_client):
    html = dealer_client.get(reverse("home")).content.decode()
    assert f'href="{URL}"' in html
