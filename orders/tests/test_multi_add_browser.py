"""In headless Debian Chromium: a buyer types quantities on several catalogue rows, adds them with one click, sees
the refused row kept with its reason, and finds the others in the cart; then re-adds from the previously ordered
page."""

from decimal import Decimal
from pathlib import Path

import pytest

from catalog.models import Product
from catalog.tests.factories import PriceListFactory, PriceListItemFactory, ProductFactory, StockLevelFactory
from dealers.models import DealerUser
from dealers.tests.factories import DealerFactory, DealerUserFactory
from orders.models import CartLine
from orders.status import OrderStatus
from orders.tests.factories import OrderFactory, OrderLineFactory
from orders.tests.test_browser import sign_in

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
D = Decimal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shelf():
    """Created before the browser starts (Playwright's greenlets would give ORM calls a connection of their own)."""
    price_list = PriceListFactory(code="TRY-M")
    dealer = DealerFactory(price_list=price_list, credit_limit=D("100000"), erp_balance=D("0"))
    buyer = DealerUserFactory(dealer=dealer, role=DealerUser.Role.BUYER)
    for sku, name, minimum in (("KBL-1", "Kablo 1", "1"), ("KBL-2", "Kablo 2", "1"), ("KBL-3", "Kablo 3", "10")):
        product = ProductFactory(sku=sku, name=name, min_order_qty=D(minimum), order_multiple=D(minimum))
        PriceListItemFactory(price_list=price_list, product=product, price=D("10"))
        StockLevelFactory(product=product, on_hand=D("500"))
    return buyer


def test_a_buyer_adds_several_rows_with_one_click(shelf, portal_server, browser_page):
    page = browser_page
    base = portal_server.url
    ARTIFACTS.mkdir(exist_ok=True)
    sign_in(page, f"{base}/catalog/", shelf.user.email)
    page.wait_for_url(f"{base}/catalog/")

    row = {
        sku: page.locator(f"[data-testid=products] .product[data-sku='{sku}']") for sku in ("KBL-1", "KBL-2", "KBL-3")
    }
    row["KBL-1"].locator("[data-testid=multi-add-row] input").fill("3")
    row["KBL-2"].locator("[data-testid=multi-add-row] input").fill("5")
    row["KBL-3"].locator("[data-testid=multi-add-row] input").fill("4")  # below its minimum of 10
    page.locator("[data-testid=multi-add] button[type=submit]").click()
    page.wait_for_url(f"{base}/catalog/")

    # The refused row is still filled in, with its reason; the page says what was added.
    refused = page.locator(".product[data-sku='KBL-3']")
    assert refused.locator("[data-testid=multi-add-row] input").input_value() == "4"
    assert "10" in refused.locator("[data-testid=multi-add-error]").inner_text()
    assert page.locator(".product[data-sku='KBL-1'] [data-testid=multi-add-row] input").input_value() == ""
    page.screenshot(path=str(ARTIFACTS / "multi-add-refused-tr.png"), full_page=True)

    page.goto(f"{base}/orders/cart/")
    cart = page.locator("#cart-table").inner_text()
    assert "KBL-1" in cart and "KBL-2" in cart and "KBL-3" not in cart
    lines = {line.product.sku: line.quantity for line in CartLine.objects.select_related("product")}
    assert lines == {"KBL-1": D("3"), "KBL-2": D("5")}
    page.screenshot(path=str(ARTIFACTS / "multi-add-cart-tr.png"), full_page=True)


@pytest.fixture
def history(shelf):
    order = OrderFactory(dealer=shelf.dealer, status=OrderStatus.INVOICED)
    for sku, quantity in (("KBL-1", "6"), ("KBL-3", "20")):
        OrderLineFactory(order=order, product=Product.objects.get(sku=sku), quantity=D(quantity))
    return order


def test_a_buyer_re_adds_ticked_products_from_the_previously_ordered_page(shelf, history, portal_server, browser_page):
    page = browser_page
    base = portal_server.url
    sign_in(page, f"{base}/orders/previously-ordered/", shelf.user.email)
    page.wait_for_url(f"{base}/orders/previously-ordered/")
    rows = page.locator("[data-testid=previously-ordered-row]")
    assert rows.count() == 2
    for sku in ("KBL-1", "KBL-3"):
        page.locator(f"[data-testid=previously-ordered-row][data-sku='{sku}'] input[type=checkbox]").check()
    page.screenshot(path=str(ARTIFACTS / "previously-ordered-tr.png"), full_page=True)
    page.click("[data-testid=re-add-selected]")
    page.wait_for_url(f"{base}/orders/previously-ordered/")
    assert "Sepetinize 2 satır eklendi." in page.locator("main").inner_text()
    lines = {line.product.sku: line.quantity for line in CartLine.objects.select_related("product")}
    assert lines == {"KBL-1": D("6"), "KBL-3": D("20")}
