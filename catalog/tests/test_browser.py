"""End to end in headless Debian Chromium: a dealer searches, filters, opens a product, reads the price explanation
and adds it to the cart."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.tests.factories import TEST_PASSWORD
from catalog.models import DealerAgreement
from catalog.tests.factories import (
    BrandFactory,
    DealerAgreementFactory,
    PriceListFactory,
    PriceListItemFactory,
    ProductFactory,
    StockLevelFactory,
)
from dealers.tests.factories import DealerUserFactory

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
D = Decimal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop():
    """Created before the browser starts (Playwright's greenlets would give ORM calls a connection of their own)."""
    member = DealerUserFactory()
    dealer = member.dealer
    dealer.price_list = PriceListFactory(code="TRY-B")
    dealer.save()
    volta, other = BrandFactory(name="Volta"), BrandFactory(name="Başka")
    for sku, name, brand in [("VD-1", "Vida 4x40", volta), ("VD-2", "Vida 5x50", other), ("SM-1", "Somun M8", volta)]:
        product = ProductFactory(sku=sku, name=name, brand=brand, min_order_qty=D("1"), order_multiple=D("1"))
        PriceListItemFactory(price_list=dealer.price_list, product=product, price=D("120"))
        PriceListItemFactory(price_list=dealer.price_list, product=product, min_quantity=D("50"), price=D("114"))
        StockLevelFactory(product=product, on_hand=D("80"), as_of=timezone.now())
    DealerAgreementFactory(dealer=dealer, brand=volta, kind=DealerAgreement.Kind.DISCOUNT, value=D("5"))
    return member


def test_dealer_searches_filters_opens_a_product_and_reads_the_explanation(shop, portal_server, browser_page):
    page = browser_page
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(f"{portal_server.url}/catalog/")
    page.fill("input[name=username]", shop.user.email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{portal_server.url}/catalog/")
    assert page.locator("[data-testid=products] .product").count() == 3

    page.fill("[data-testid=search]", "vida")
    page.select_option("select[name=brand]", label="Volta")
    page.click("[data-testid=filters] button[type=submit]")
    page.wait_for_load_state()
    rows = page.locator("[data-testid=products] .product")
    assert rows.count() == 1
    assert rows.first.get_attribute("data-sku") == "VD-1"
    assert rows.first.locator(".price__net").inner_text() == "114,00 ₺"
    assert "Stokta" in rows.first.locator("[data-testid=stock]").inner_text()
    page.screenshot(path=str(ARTIFACTS / "catalog-tr.png"), full_page=True)

    rows.first.locator(".product__name").click()
    page.wait_for_url("**/catalog/p/VD-1/")
    assert page.locator("[data-testid=product-name]").inner_text() == "Vida 4x40"
    explanation = page.locator("[data-testid=price-explanation]")
    assert not explanation.locator("ol").is_visible()
    explanation.locator("summary").click()
    steps = explanation.locator("li").all_inner_texts()
    assert steps == ["Liste fiyatı: 120,00 ₺", "anlaşma (Volta markası) −%5: 114,00 ₺", "KDV %20: 136,80 ₺"]
    breaks = page.locator("[data-testid=breaks] tbody tr").all_inner_texts()
    assert len(breaks) == 2 and "108,30 ₺" in breaks[1]
    page.screenshot(path=str(ARTIFACTS / "product-tr.png"), full_page=True)

    page.fill(".product-page__buy input[name=quantity]", "3")
    page.click(".product-page__buy [data-testid=add-to-cart] button")
    page.wait_for_load_state()
    assert "sepetinizde 3" in page.locator(".messages").inner_text()


def test_buyer_picks_a_suggestion_with_the_keyboard(shop, portal_server, browser_page):
    """Instant search: typing shows suggestions with the dealer's price and stock; arrow keys and Enter open one."""
    page = browser_page
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(f"{portal_server.url}/catalog/")
    page.fill("input[name=username]", shop.user.email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{portal_server.url}/catalog/")

    search = page.locator("[data-testid=search]")
    assert search.get_attribute("role") == "combobox" and search.get_attribute("aria-expanded") == "false"
    search.press_sequentially("vıda", delay=40)  # a dotless ı, as a Turkish keyboard may type it
    box = page.locator("[data-testid=suggestions]")
    box.locator("[data-testid=suggestion]").first.wait_for()
    assert search.get_attribute("aria-expanded") == "true"
    suggestions = box.locator("[data-testid=suggestion]")
    assert [suggestions.nth(i).get_attribute("data-sku") for i in range(suggestions.count())] == ["VD-1", "VD-2"]
    # VD-1 is a Volta product: the dealer's 5 % brand agreement applies; VD-2 is at the list price.
    assert suggestions.nth(0).locator("[data-testid=suggestion-price]").inner_text().startswith("114,00 ₺")
    assert suggestions.nth(1).locator("[data-testid=suggestion-price]").inner_text().startswith("120,00 ₺")
    assert "Stokta" in suggestions.nth(0).locator("[data-testid=suggestion-stock]").inner_text()
    assert box.locator("[data-testid=suggestion-all]").inner_text() == "2 sonucun tümünü gör"
    page.screenshot(path=str(ARTIFACTS / "suggestions-tr.png"), full_page=True)

    search.press("Escape")
    assert box.is_hidden() and search.get_attribute("aria-expanded") == "false"
    search.press("ArrowDown")  # opens the list again
    box.locator("[data-testid=suggestion]").first.wait_for()
    search.press("ArrowDown")
    search.press("ArrowDown")
    assert suggestions.nth(1).get_attribute("aria-selected") == "true"
    assert search.get_attribute("aria-activedescendant") == suggestions.nth(1).get_attribute("id")
    search.press("Enter")
    page.wait_for_url("**/catalog/p/VD-2/")
    assert page.locator("[data-testid=product-name]").inner_text() == "Vida 5x50"


def test_enter_without_a_chosen_suggestion_searches_and_pages_are_counted(shop, portal_server, browser_page):
    page = browser_page
    page.goto(f"{portal_server.url}/catalog/")
    page.fill("input[name=username]", shop.user.email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{portal_server.url}/catalog/")
    search = page.locator("[data-testid=search]")
    search.press_sequentially("vida", delay=40)
    page.locator("[data-testid=suggestion]").first.wait_for()
    search.press("Enter")
    page.wait_for_url("**/catalog/?q=vida*")
    assert page.locator("[data-testid=result-count]").inner_text() == "2 ürün"
    assert page.locator(".pager__current").inner_text() == "1"
    assert page.locator("[data-testid=products] .product").count() == 2
