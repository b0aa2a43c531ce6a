"""The dealer's pages as Chromium lays them out, at desktop and phone width: buttons readable on their cards, the
payment choices lined up with their labels, nothing wider than a 390 px phone, the cart's amounts and total in
view on a phone, and no missing favicon."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.tests.factories import TEST_PASSWORD
from catalog.tests.factories import (
    PriceListFactory,
    PriceListItemFactory,
    ProductFactory,
    ProductUnitFactory,
    StockLevelFactory,
    UnitFactory,
    WarehouseFactory,
)
from dealers.models import DealerUser
from dealers.tests.factories import DealerAddressFactory, DealerFactory, DealerUserFactory
from orders.services import cart_line_add
from orders.services.cart import cart_save_as_list
from orders.status import OrderStatus
from orders.tests.factories import OrderFactory, OrderLineFactory

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
D = Decimal
PHONE = {"width": 390, "height": 844}

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The colour a text is drawn in and the colour behind it (the first ancestor with a background that is not
# transparent), as Chromium computes them.
COLOURS = """element => {
  let node = element, background = "rgba(0, 0, 0, 0)";
  while (node && (background === "rgba(0, 0, 0, 0)" || background === "transparent")) {
    background = getComputedStyle(node).backgroundColor;
    node = node.parentElement;
  }
  return [getComputedStyle(element).color, background];
}"""


@pytest.fixture
def shop():
    """Created before the browser starts (Playwright's greenlets would give ORM calls a connection of their own):
    a cart of two long-named lines with large amounts, one in metres with a pack size, a saved list and an order."""
    price_list = PriceListFactory(code="TRY-B")
    dealer = DealerFactory(price_list=price_list, credit_limit=D("10000000"), erp_balance=D("0"))
    DealerAddressFactory(dealer=dealer, is_default=True, name="Merkez depo", city="İstanbul")
    member = DealerUserFactory(dealer=dealer, role=DealerUser.Role.ADMIN)
    metre = UnitFactory(code="MT", name="Metre", name_en="Metre", decimals=3)
    cable = ProductFactory(
        sku="ELK-000001",
        name="Kablo NYA 2x1,5 mm² Gri Halojensiz Yangına Dayanıklı Uzun Ürün Adı",
        base_unit=metre,
        min_order_qty=D("1"),
        order_multiple=D("1"),
    )
    pipe = ProductFactory(sku="TSS-000001", name="PPR Boru 25 mm PN25 Alüminyum Folyolu Yeşil", min_order_qty=D("1"))
    ProductUnitFactory(product=cable, factor=D("100"), barcode="8691234567890123")
    for product, price in ((cable, D("1845.75")), (pipe, D("9876.54"))):
        PriceListItemFactory(price_list=price_list, product=product, price=price)
    for name in ("İstanbul Merkez Depo ve Dağıtım Merkezi", "Ankara Bölge Deposu Ostim Organize Sanayi"):
        warehouse = WarehouseFactory(name=name)
        StockLevelFactory(product=cable, warehouse=warehouse, on_hand=D("465.500"), as_of=timezone.now())
        StockLevelFactory(product=pipe, warehouse=warehouse, on_hand=D("1200"), as_of=timezone.now())
    cart_line_add(dealer_user=member, product=cable, quantity=D("120"))
    cart_line_add(dealer_user=member, product=pipe, quantity=D("30"))
    cart_save_as_list(dealer_user=member, name="Haftalık şantiye siparişi")
    order = OrderFactory(
        dealer=dealer, placed_by=member.user, status=OrderStatus.INVOICED, note="Forklift yok, elle boşaltma."
    )
    OrderLineFactory(order=order, product=cable, unit_code="MT", quantity=D("120.5"))
    return member, order


def sign_in(page, base, email):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_cart_and_saved_list_buttons_are_readable(shop, portal_server, browser_page):
    member, _order = shop
    page, base = browser_page, portal_server.url
    sign_in(page, base, member.user.email)
    page.goto(f"{base}/orders/cart/")
    buttons = page.locator("#cart-table form button, form[action*='/lists/'] button")
    assert buttons.count() == 5  # Update and Remove on two lines, Add to cart on the saved list
    for index in range(buttons.count()):
        colour, background = buttons.nth(index).evaluate(COLOURS)
        assert colour != background, buttons.nth(index).inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "cart-tr.png"), full_page=True)


def test_payment_choices_sit_next_to_their_labels(shop, portal_server, browser_page):
    member, _order = shop
    page, base = browser_page, portal_server.url
    sign_in(page, base, member.user.email)
    page.goto(f"{base}/orders/checkout/")
    labels = page.locator("fieldset label:has(input[name=payment_method])")
    assert labels.count() == 3
    for index in range(labels.count()):
        label = labels.nth(index)
        radio = label.locator("input").bounding_box()
        text = label.evaluate(
            "l => { const r = document.createRange(); r.selectNodeContents(l);"
            " const boxes = [...r.getClientRects()].filter(b => b.width > 12); const b = boxes[boxes.length - 1];"
            " return {x: b.x, y: b.y, height: b.height}; }"
        )
        assert radio["width"] <= 24, "the radio is stretched like a text input"
        assert radio["x"] + radio["width"] <= text["x"] + 1, "the radio is left of its label"
        middle = radio["y"] + radio["height"] / 2
        assert text["y"] <= middle <= text["y"] + text["height"], "the radio is on its label's line"


def test_no_page_is_wider_than_a_phone(shop, portal_server, browser_page):
    member, order = shop
    page, base = browser_page, portal_server.url
    sign_in(page, base, member.user.email)
    page.set_viewport_size(PHONE)
    ARTIFACTS.mkdir(exist_ok=True)
    for name, path in [
        ("home", "/"),
        ("catalog", "/catalog/"),
        ("product", "/catalog/p/ELK-000001/"),
        ("cart", "/orders/cart/"),
        ("checkout", "/orders/checkout/"),
        ("orders", "/orders/"),
        ("order", f"/orders/{order.number}/"),
    ]:
        page.goto(base + path)
        width = page.evaluate("document.documentElement.scrollWidth")
        page.screenshot(path=str(ARTIFACTS / f"phone-{name}.png"), full_page=True)
        assert width <= PHONE["width"], f"{path} is {width} px wide"


def test_the_phone_cart_shows_amounts_and_the_total(shop, portal_server, browser_page):
    member, _order = shop
    page, base = browser_page, portal_server.url
    sign_in(page, base, member.user.email)
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/orders/cart/")
    wrap = page.locator("#cart-table .table-wrap").bounding_box()
    visible_right = min(PHONE["width"], wrap["x"] + wrap["width"])
    cells = page.locator("#cart-table tbody td:last-child, [data-testid=cart-total]")
    assert cells.count() == 3
    for index in range(cells.count()):
        box = cells.nth(index).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= visible_right + 1, cells.nth(index).inner_text()
    assert page.locator("[data-testid=cart-total]").inner_text().endswith("₺")


def test_pages_ask_for_nothing_that_is_missing_and_have_a_favicon(shop, portal_server, browser_page):
    member, _order = shop
    page, base = browser_page, portal_server.url
    failed = []
    page.on("response", lambda response: failed.append(response.url) if response.status >= 400 else None)
    sign_in(page, base, member.user.email)
    page.goto(f"{base}/orders/cart/")
    icons = page.locator("link[rel=icon]")
    assert icons.count() >= 1
    for index in range(icons.count()):
        response = page.request.get(base + icons.nth(index).get_attribute("href"))
        assert response.status == 200 and response.body()
    assert page.request.get(f"{base}/favicon.ico").status == 200
    assert failed == []


def test_the_phone_order_list_shows_totals(shop, portal_server, browser_page):
    member, _order = shop
    page, base = browser_page, portal_server.url
    sign_in(page, base, member.user.email)
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/orders/")
    wrap = page.locator(".table-wrap").first.bounding_box()
    total = page.locator(".table-wrap tbody td.num").first
    box = total.bounding_box()
    assert box["x"] + box["width"] <= min(PHONE["width"], wrap["x"] + wrap["width"]) + 1, total.inner_text()


def test_the_phone_order_page_shows_amounts_and_the_total(shop, portal_server, browser_page):
    member, order = shop
    page, base = browser_page, portal_server.url
    sign_in(page, base, member.user.email)
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/orders/{order.number}/")
    wrap = page.locator(".table-wrap").first.bounding_box()
    visible_right = min(PHONE["width"], wrap["x"] + wrap["width"]) + 1
    cells = page.locator(".table-wrap tbody td:last-child, [data-testid=order-total]")
    assert cells.count() == 2
    for index in range(cells.count()):
        box = cells.nth(index).bounding_box()
        assert box["x"] + box["width"] <= visible_right, cells.nth(index).inner_text()
