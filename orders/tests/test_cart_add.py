"""Adding to the cart from the catalogue: quantity rules, visibility, summing, stock warning, safe redirects."""

from decimal import Decimal

import pytest

from catalog.tests.factories import PriceListFactory, PriceListItemFactory, ProductFactory, StockLevelFactory
from orders.exceptions import CartRefused
from orders.models import CartLine
from orders.services import cart_line_add

pytestmark = pytest.mark.django_db
D = Decimal
URL = "/orders/cart/add/"


@pytest.fixture
def boxed(dealer_user):
    dealer = dealer_user.dealer
    dealer.price_list = PriceListFactory()
    dealer.save()
    product = ProductFactory(min_order_qty=D("12"), order_multiple=D("12"))
    PriceListItemFactory(price_list=dealer.price_list, product=product, price=D("10"))
    StockLevelFactory(product=product, on_hand=D("30"))
    return product


def test_adds_and_sums_with_the_existing_line(dealer_user, boxed):
    cart_line_add(dealer_user=dealer_user, product=boxed, quantity=D("12"))
    result = cart_line_add(dealer_user=dealer_user, product=boxed, quantity=D("12"))
    assert result.line.quantity == D("24") and result.decision.allowed
    assert CartLine.objects.count() == 1


def test_more_than_in_stock_is_added_with_a_warning(dealer_user, boxed):
    result = cart_line_add(dealer_user=dealer_user, product=boxed, quantity=D("36"))
    assert result.line.quantity == D("36")
    assert result.decision.reason == "insufficient_stock"


@pytest.mark.parametrize(("quantity", "suggested"), [(D("6"), D("12")), (D("18"), D("24"))])
def test_quantity_rules_refuse_with_a_suggestion(dealer_user, boxed, quantity, suggested):
    with pytest.raises(CartRefused) as refused:
        cart_line_add(dealer_user=dealer_user, product=boxed, quantity=quantity)
    assert refused.value.suggested == suggested
    assert not CartLine.objects.exists()


def test_a_product_the_dealer_cannot_see_is_refused(dealer_user, boxed):
    hidden = ProductFactory()
    with pytest.raises(CartRefused):
        cart_line_add(dealer_user=dealer_user, product=hidden, quantity=D("1"))
    assert not CartLine.objects.exists()


def test_the_view_adds_and_returns_with_a_message(dealer_client, boxed):
    response = dealer_client.post(
        URL, {"product": boxed.pk, "quantity": "24", "next": "/catalog/?page=2"}, HTTP_ACCEPT_LANGUAGE="en", follow=True
    )
    assert response.redirect_chain[-1][0] == "/catalog/?page=2"
    assert "24 in your cart" in response.content.decode()


def test_the_view_refuses_bad_quantities_and_foreign_redirects(dealer_client, boxed):
    response = dealer_client.post(
        URL, {"product": boxed.pk, "quantity": "5", "next": "https://evil.example/"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response["Location"] == "/catalog/"
    assert not CartLine.objects.exists()
    response = dealer_client.post(URL, {"product": boxed.pk, "quantity": "abc"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302 and not CartLine.objects.exists()


def test_the_view_needs_post(dealer_client, boxed):
    assert dealer_client.get(URL).status_code == 405
