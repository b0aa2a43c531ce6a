"""End to end in headless Debian Chromium: search → cart → checkout → held for credit → staff approves in the
admin → the dealer sees the order approved."""

from decimal import Decimal
from pathlib import Path

import pytest

from accounts.models import User
from accounts.tests.factories import TEST_PASSWORD
from catalog.tests.factories import PriceListFactory, PriceListItemFactory, ProductFactory, StockLevelFactory
from dealers.models import DealerUser
from dealers.tests.factories import DealerAddressFactory, DealerFactory, DealerUserFactory
from orders.models import Order
from orders.status import OrderStatus

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
D = Decimal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def journey():
    """Created before the browser starts (Playwright's greenlets would give ORM calls a connection of their own)."""
    price_list = PriceListFactory(code="TRY-B")
    dealer = DealerFactory(price_list=price_list, credit_limit=D("500"), erp_balance=D("400"))
    DealerAddressFactory(dealer=dealer, is_default=True, name="Merkez depo", city="Ankara")
    buyer = DealerUserFactory(dealer=dealer, role=DealerUser.Role.BUYER)
    product = ProductFactory(sku="KBL-3X25", name="Kablo 3x2,5 mm²", min_order_qty=D("1"), order_multiple=D("1"))
    PriceListItemFactory(price_list=price_list, product=product, price=D("100"))
    StockLevelFactory(product=product, on_hand=D("500"))
    staff = User.objects.create_superuser("satis@example.com", TEST_PASSWORD)
    return buyer, staff


def sign_in(page, url, email):
    page.goto(url)
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("main form button[type=submit], #login-form input[type=submit]")


def test_order_held_for_credit_then_approved_by_staff(journey, portal_server, browser_page):
    buyer, staff = journey
    page = browser_page
    base = portal_server.url
    ARTIFACTS.mkdir(exist_ok=True)

    sign_in(page, f"{base}/catalog/", buyer.user.email)
    page.wait_for_url(f"{base}/catalog/")
    page.fill("[data-testid=search]", "kablo")
    page.click("[data-testid=filters] button[type=submit]")
    page.wait_for_load_state()
    row = page.locator("[data-testid=products] .product").first
    row.locator("input[name=quantity]").fill("2")
    row.locator("[data-testid=add-to-cart] button").click()
    page.wait_for_load_state()

    page.goto(f"{base}/orders/cart/")
    assert page.locator("[data-testid=cart-total]").inner_text() == "240,00 ₺"
    # Changing the quantity refreshes the table in place.
    page.locator("#cart-table input[name=quantity]").fill("3")
    page.locator("#cart-table button:not([name=remove])").first.click()
    # A function, not an expression: Playwright evaluates an expression with eval, which the page's CSP refuses.
    page.wait_for_function("() => document.querySelector('[data-testid=cart-total]').innerText === '360,00 ₺'")
    page.click("[data-testid=to-checkout]")
    page.wait_for_url(f"{base}/orders/checkout/")
    page.check("input[name=payment_method][value=on_account]")
    page.click("[data-testid=place-order]")
    page.wait_for_url(f"{base}/orders/P*/")
    order = Order.objects.get()
    assert order.status == OrderStatus.ON_HOLD
    assert "Kredi limiti" in page.locator("[data-testid=hold-reasons]").inner_text()
    page.screenshot(path=str(ARTIFACTS / "order-held-tr.png"), full_page=True)

    staff_page = page.context.browser.new_page()
    sign_in(staff_page, f"{base}/admin/login/?next=/admin/orders/heldorder/", staff.email)
    staff_page.wait_for_url(f"{base}/admin/orders/heldorder/")
    staff_page.check(f"input[name=_selected_action][value='{order.pk}']")
    staff_page.select_option("select[name=action]", "approve_selected")
    staff_page.click("button[name=index]")
    staff_page.fill("textarea[name=note]", "Ödeme sözü alındı")
    staff_page.click("input[type=submit].default")
    staff_page.wait_for_load_state()
    staff_page.screenshot(path=str(ARTIFACTS / "approval-queue.png"), full_page=True)
    staff_page.close()

    page.reload()
    assert "Onaylandı" in page.locator(".badge").first.inner_text()
    order.refresh_from_db()
    assert order.status == OrderStatus.APPROVED
    page.screenshot(path=str(ARTIFACTS / "order-approved-tr.png"), full_page=True)


def test_checkout_warns_then_staff_filter_by_reason_and_approve_on_the_order_page(journey, portal_server, browser_page):
    buyer, staff = journey
    page = browser_page
    base = portal_server.url
    ARTIFACTS.mkdir(exist_ok=True)

    sign_in(page, f"{base}/catalog/", buyer.user.email)
    page.wait_for_url(f"{base}/catalog/")
    page.fill("[data-testid=search]", "kablo")
    page.click("[data-testid=filters] button[type=submit]")
    page.wait_for_load_state()
    row = page.locator("[data-testid=products] .product").first
    row.locator("input[name=quantity]").fill("2")
    row.locator("[data-testid=add-to-cart] button").click()
    page.wait_for_load_state()

    # 240 TRY more on an account with 100 TRY of credit left: the checkout says staff will approve it first.
    page.goto(f"{base}/orders/checkout/")
    notes = page.locator("[data-testid=payment-notes]").inner_text()
    assert "Cari hesaba: bu sipariş 100,00 ₺ kullanılabilir kredinizin üzerinde" in notes
    page.screenshot(path=str(ARTIFACTS / "checkout-guidance-tr.png"), full_page=True)
    page.check("input[name=payment_method][value=on_account]")
    page.click("[data-testid=place-order]")
    page.wait_for_url(f"{base}/orders/P*/")
    order = Order.objects.get()
    assert order.status == OrderStatus.ON_HOLD
    assert "personelimiz karar verecek" in page.locator("[data-testid=next-steps]").inner_text()

    staff_page = page.context.browser.new_page()
    sign_in(staff_page, f"{base}/admin/login/?next=/admin/orders/heldorder/%3Freason%3Dcredit_limit", staff.email)
    staff_page.wait_for_url(f"{base}/admin/orders/heldorder/?reason=credit_limit")
    staff_page.click(f"#result_list a:text('{order.number}')")
    staff_page.wait_for_url(f"{base}/admin/orders/heldorder/{order.pk}/change/**")
    staff_page.fill("[data-testid=order-decision] textarea[name=note]", "Ödeme sözü alındı")
    staff_page.screenshot(path=str(ARTIFACTS / "held-order-page.png"), full_page=True)
    staff_page.click("[data-testid=order-decision] button[value=approve]")
    staff_page.wait_for_url(f"{base}/admin/orders/heldorder/")
    # The staff user's language is English here.
    assert f"{order.number} approved" in staff_page.locator(".messagelist").inner_text()
    staff_page.close()
    order.refresh_from_db()
    assert order.status == OrderStatus.APPROVED
