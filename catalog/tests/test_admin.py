"""Staff price and visibility check: the same functions as the dealer pages."""

from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.models import Product
from catalog.tests.factories import PriceListFactory, PriceListItemFactory, ProductFactory
from dealers.tests.factories import DealerFactory

pytestmark = pytest.mark.django_db
URL = "admin:catalog_product_price_check"


@pytest.fixture
def priced(db):
    price_list = PriceListFactory(code="TRY-A")
    dealer = DealerFactory(code="120.01", price_list=price_list)
    product = ProductFactory(sku="P-1")
    PriceListItemFactory(price_list=price_list, product=product, price=Decimal("100"))
    return dealer, product


def test_shows_price_with_explanation_and_visibility(staff_client, priced):
    response = staff_client.get(
        reverse(URL), {"dealer_code": "120.01", "sku": "P-1", "quantity": "1"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "List price (TRY-A): ₺100.00" in html and 'data-testid="visible"' in html


def test_says_why_a_product_is_hidden(staff_client, priced):
    ProductFactory(sku="P-2", status=Product.Status.QUARANTINED, status_reason="unmapped unit")
    response = staff_client.get(
        reverse(URL), {"dealer_code": "120.01", "sku": "P-2", "quantity": "1"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    html = response.content.decode()
    assert "unmapped unit" in html and "No price for this dealer" in html


def test_unknown_codes_are_form_errors(staff_client, priced):
    response = staff_client.get(
        reverse(URL), {"dealer_code": "nope", "sku": "nope", "quantity": "1"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    html = response.content.decode()
    assert "No dealer with this code." in html and "No product with this SKU." in html
    assert 'data-testid="price-check-result"' not in html


def test_dealer_users_cannot_open_it(dealer_client):
    response = dealer_client.get(reverse(URL))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
