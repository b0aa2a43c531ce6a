"""End to end in headless Debian Chromium: a dealer orders, pays by card on the sandbox's hosted 3-D Secure page
and sees the order approved."""

from decimal import Decimal

import pytest

from accounts.tests.factories import TEST_PASSWORD
from catalog.tests.factories import PriceListFactory, PriceListItemFactory, ProductFactory, StockLevelFactory
from dealers.models import DealerUser
from dealers.tests.factories import DealerAddressFactory, DealerFactory, DealerUserFactory
from orders.models import Order
from orders.status import OrderStatus
from payments.models import Payment

D = Decimal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop():
    """Created before the browser starts (Playwright's greenlets would give ORM calls a connection of their own)."""
    price_list = PriceListFactory(code="TRY-K")
    dealer = DealerFactory(price_list=price_list, credit_limit=D("100000"), erp_balance=D("0"))
    DealerAddressFactory(dealer=dealer, is_default=True, name="Merkez", city="İzmir")
    buyer = DealerUserFactory(dealer=dealer, role=DealerUser.Role.BUYER)
    product = ProductFactory(sku="VNT-40", name="Vana 40 mm", min_order_qty=D("1"), order_multiple=D("1"))
    PriceListItemFactory(price_list=price_list, product=product, price=D("250"))
    StockLevelFactory(product=product, on_hand=D("50"))
    return buyer, product


def test_a_dealer_pays_an_order_by_card_through_3d_secure(shop, portal_server, browser_page):
    buyer, _product = shop
    page = browser_page
    base = portal_server.url
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", buyer.user.email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()

    page.goto(f"{base}/catalog/")
    row = page.locator("[data-testid=products] .product").first
    row.locator("input[name=quantity]").fill("2")
    row.locator("[data-testid=add-to-cart] button").click()
    page.wait_for_load_state()
    page.goto(f"{base}/orders/checkout/")
    page.check("input[name=payment_method][value=card]")
    page.click("[data-testid=place-order]")
    page.wait_for_url(f"{base}/orders/P*/")
    order = Order.objects.get()
    assert order.status == OrderStatus.AWAITING_PAYMENT

    page.click("[data-testid=pay-by-card]")
    page.wait_for_url(f"{base}/payments/sandbox/*/")
    assert page.locator("[data-testid=sandbox-amount]").inner_text() == "600,00 TRY"
    page.check("[data-testid=card-success]")
    page.click("[data-testid=sandbox-pay]")
    page.fill("[data-testid=sandbox-code]", "283126")
    page.click("[data-testid=sandbox-confirm]")
    page.wait_for_url(f"{base}/orders/{order.number}/")

    order.refresh_from_db()
    assert order.status == OrderStatus.APPROVED
    assert Payment.objects.get().status == Payment.Status.SUCCEEDED
    assert "600,00" in page.content()
    badge = page.locator("[data-testid=order-status], .badge").first.inner_text()
    assert badge.strip() in {"Onaylandı", "Approved"}
