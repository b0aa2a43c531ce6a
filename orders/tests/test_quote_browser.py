"""End to end in headless Debian Chromium: a buyer asks for a quote from the cart → staff price it in the admin and
send it → the buyer accepts and sees the order at the quoted price."""

from decimal import Decimal
from pathlib import Path

import pytest

from accounts.models import User
from accounts.tests.factories import TEST_PASSWORD
from catalog.tests.factories import PriceListFactory, PriceListItemFactory, ProductFactory, StockLevelFactory
from dealers.models import DealerUser
from dealers.tests.factories import DealerAddressFactory, DealerFactory, DealerUserFactory
from orders.models import Order, Quote, QuoteStatus
from orders.services import cart_line_add
from orders.tests.test_browser import sign_in

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
D = Decimal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def journey():
    """Created before the browser starts (Playwright's greenlets would give ORM calls a connection of their own)."""
    price_list = PriceListFactory(code="TRY-Q")
    dealer = DealerFactory(price_list=price_list, credit_limit=D("100000"), erp_balance=D("0"))
    DealerAddressFactory(dealer=dealer, is_default=True, name="Şantiye", city="İzmir")
    buyer = DealerUserFactory(dealer=dealer, role=DealerUser.Role.BUYER)
    product = ProductFactory(sku="BOYA-15L", name="İç cephe boyası 15 L", min_order_qty=D("1"), order_multiple=D("1"))
    PriceListItemFactory(price_list=price_list, product=product, price=D("100"))
    StockLevelFactory(product=product, on_hand=D("500"))
    cart_line_add(dealer_user=buyer, product=product, quantity=D("20"))
    staff = User.objects.create_superuser("fiyat@example.com", TEST_PASSWORD)
    return buyer, staff


def test_a_buyer_asks_staff_price_and_the_buyer_accepts_into_an_order(journey, portal_server, browser_page):
    buyer, staff = journey
    page = browser_page
    base = portal_server.url
    ARTIFACTS.mkdir(exist_ok=True)

    # The buyer asks for a quote on the cart, with a target price and a note.
    sign_in(page, f"{base}/orders/cart/", buyer.user.email)
    page.wait_for_url(f"{base}/orders/cart/")
    request = page.locator("[data-testid=quote-request]")
    request.locator("input[name^=target_]").fill("80")
    request.locator("textarea[name=note]").fill("Otel projesi için 20 kova")
    request.locator("[data-testid=request-quote]").click()
    page.wait_for_url(f"{base}/orders/quotes/*/")
    quote = Quote.objects.get()
    assert quote.status == QuoteStatus.REQUESTED

    # Staff price the line in the admin, beside the dealer's normal price, and send it.
    staff_page = page.context.browser.new_page()
    sign_in(staff_page, f"{base}/admin/login/?next=/admin/orders/quote/{quote.pk}/change/", staff.email)
    staff_page.wait_for_url(f"{base}/admin/orders/quote/{quote.pk}/change/")
    staff_page.click("[data-testid=quote-price-link]")
    staff_page.wait_for_url(f"{base}/admin/orders/quote/{quote.pk}/price/")
    line = staff_page.locator("[data-testid=quote-line-1]")
    assert "100" in line.inner_text() and "80" in line.inner_text()  # normal price and the buyer's target
    line.locator("input[name^=price_]").fill("85")
    staff_page.fill("input[name=valid_until]", "2099-12-31")
    staff_page.fill("textarea[name=terms]", "Teslim 5 iş günü")
    staff_page.click("[data-testid=quote-save-send]")
    staff_page.wait_for_url(f"{base}/admin/orders/quote/{quote.pk}/change/")
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.SENT
    staff_page.close()

    # The buyer reads the sent quote, accepts it and sees the order at the quoted price.
    page.goto(f"{base}/orders/quotes/{quote.number}/")
    assert "Teslim 5 iş günü" in page.content()
    total = page.locator("[data-testid=quote-total]").inner_text()
    assert total == "2.040,00 ₺"  # 20 × 85 + 20 % VAT
    page.click("[data-testid=quote-accept]")
    page.wait_for_url(f"{base}/orders/P*/")
    order = Order.objects.get()
    assert page.url == f"{base}/orders/{order.number}/"
    assert "2.040,00 ₺" in page.content()
    assert [line.unit_price_net for line in order.lines.all()] == [D("85")]
    page.screenshot(path=str(ARTIFACTS / "quote-accepted-order.png"), full_page=True)
    # The quote now names its order.
    page.goto(f"{base}/orders/quotes/{quote.number}/")
    assert order.number in page.locator("[data-testid=quote-order]").inner_text()
    quote.refresh_from_db()
    assert (quote.status, quote.order_id) == (QuoteStatus.ACCEPTED, order.pk)
