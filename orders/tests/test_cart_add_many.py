"""Adding many catalogue rows with one click: each row through the cart service, refused rows kept on the
catalogue with their quantity and reason, the others in the cart; the catalogue page stays constant in queries."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.multi_add import MAX_ROWS, field_name, multi_add_rows
from catalog.tests.factories import PriceListItemFactory, ProductFactory, StockLevelFactory
from orders.models import CartLine

pytestmark = pytest.mark.django_db
D = Decimal
URL = "/orders/cart/add-many/"
CATALOG = "/catalog/"


def listed(shop, sku, *, minimum="1", multiple="1", stock="100"):
    product = ProductFactory(sku=sku, min_order_qty=D(minimum), order_multiple=D(multiple))
    PriceListItemFactory(price_list=shop.price_list, product=product, price=D("10"))
    StockLevelFactory(product=product, on_hand=D(stock))
    return product


def in_cart(client):
    return {
        line.product.sku: line.quantity
        for line in CartLine.objects.filter(cart__owner=client.dealer_user.user).select_related("product")
    }


def test_all_rows_with_a_quantity_are_added_in_one_post(dealer_client, shop):
    a, b, c = listed(shop, "A"), listed(shop, "B", minimum="12", multiple="12"), listed(shop, "C")
    response = dealer_client.post(
        URL,
        {field_name(a.pk): "3", field_name(b.pk): "24", field_name(c.pk): "", "next": "/catalog/?page=1"},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/catalog/?page=1"
    assert in_cart(dealer_client) == {"A": D("3"), "B": D("24")}
    assert "2 products added to your cart." in response.content.decode()
    assert 'data-testid="multi-add-error"' not in response.content.decode()


def test_refused_rows_are_reported_per_row_and_kept_while_the_others_are_added(dealer_client, shop):
    good = listed(shop, "GOOD")
    boxed = listed(shop, "BOX", minimum="12", multiple="12")
    hidden = ProductFactory(sku="HIDDEN")  # no price for this dealer: not in their catalogue
    response = dealer_client.post(
        URL,
        {
            field_name(good.pk): "2",
            field_name(boxed.pk): "5",
            field_name(hidden.pk): "1",
            field_name(999999): "1",
            "next": CATALOG,
        },
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    assert in_cart(dealer_client) == {"GOOD": D("2")}
    html = response.content.decode()
    assert "BOX: The minimum order quantity is 12" in html and "Try 12." in html
    assert "3 rows were not added" in html
    # The refused row on the catalogue keeps what the buyer typed, with its reason beside it.
    assert html.count('data-testid="multi-add-error"') == 1
    assert f'name="{field_name(boxed.pk)}"' in html
    row = html[html.index(f'name="{field_name(boxed.pk)}"') :][:400]
    assert 'value="5"' in row and 'aria-invalid="true"' in row
    # Shown once: a reload starts empty.
    again = dealer_client.get(CATALOG, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="multi-add-error"' not in again


def test_more_than_in_stock_is_added_with_a_warning_as_for_one_row(dealer_client, shop):
    scarce = listed(shop, "SCARCE", stock="2")
    response = dealer_client.post(
        URL, {field_name(scarce.pk): "5", "next": CATALOG}, HTTP_ACCEPT_LANGUAGE="en", follow=True
    )
    assert in_cart(dealer_client) == {"SCARCE": D("5")}
    assert "SCARCE: Only 2" in response.content.decode()


def test_sums_with_a_line_already_in_the_cart(dealer_client, shop):
    a = listed(shop, "A")
    dealer_client.post(URL, {field_name(a.pk): "2"})
    dealer_client.post(URL, {field_name(a.pk): "3"})
    assert in_cart(dealer_client) == {"A": D("5")}


def test_nothing_entered_adds_nothing_and_says_so(dealer_client, shop):
    a = listed(shop, "A")
    response = dealer_client.post(URL, {field_name(a.pk): "", "next": CATALOG}, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert in_cart(dealer_client) == {}
    assert "Enter a quantity on the rows you want to add." in response.content.decode()


def test_an_unsafe_next_is_ignored(dealer_client, shop):
    a = listed(shop, "A")
    response = dealer_client.post(URL, {field_name(a.pk): "1", "next": "https://evil.example/"})
    assert response["Location"] == CATALOG


def test_get_is_refused_and_anonymous_users_go_to_sign_in(client, dealer_client, shop):
    assert dealer_client.get(URL).status_code == 405
    dealer_client.logout()
    response = dealer_client.post(URL, {})
    assert response.status_code == 302 and "login" in response["Location"]


def test_rows_are_parsed_with_decimal_commas_and_bad_values_flagged():
    rows = multi_add_rows(
        {"qty-3": "2,5", "qty-1": "0", "qty-2": "abc", "qty-4": "-1", "qty-x": "1", "other": "1", "qty-5": " "}
    )
    assert [(r.product_id, r.quantity, bool(r.error)) for r in rows] == [
        (2, None, True),
        (3, D("2.5"), False),
        (4, None, True),
    ]
    many = {f"qty-{n}": "1" for n in range(1, MAX_ROWS + 50)}
    assert len(multi_add_rows(many)) == MAX_ROWS


def test_the_catalogue_with_the_multi_add_fields_is_constant_in_queries(dealer_client, shop):
    for n in range(60):
        listed(shop, f"Q-{n:02d}")
    dealer_client.get(CATALOG)
    counts = []
    for per_page in (24, 50):
        with CaptureQueriesContext(connection) as captured:
            response = dealer_client.get(CATALOG, {"per_page": per_page})
        html = response.content.decode()
        assert html.count('data-testid="multi-add-row"') == per_page
        assert html.count('form="multi-add"') == per_page + 1  # a field per row and the button under the list
        counts.append(len(captured))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("view", ["list", "grid"])
def test_list_and_grid_carry_one_form_and_a_field_per_priced_row(dealer_client, shop, view, settings):
    settings.B2B_UNPRICED_PRODUCTS = "on_request"
    listed(shop, "PRICED")
    ProductFactory(sku="UNPRICED")
    html = dealer_client.get(CATALOG, {"view": view}).content.decode()
    assert html.count('<form id="multi-add"') == 1
    assert html.count('data-testid="multi-add-row"') == 1
