"""End to end in headless Debian Chromium: a dealer user signs in and sees the home page in both languages."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.tests.factories import TEST_PASSWORD
from dealers.tests.factories import DealerFactory, DealerUserFactory

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def member():
    """Created before the browser starts: Playwright's greenlets would give ORM calls a connection of their own."""
    dealer = DealerFactory(
        title="Yıldız Elektrik Ltd. Şti.",
        credit_limit=Decimal("1234567.89"),
        erp_balance=Decimal("1234.56"),
        erp_balance_as_of=timezone.now(),
        credit_limit_as_of=timezone.now(),
    )
    return DealerUserFactory(dealer=dealer)


def test_dealer_signs_in_and_sees_home_in_turkish_and_english(member, portal_server, browser_page):
    dealer = member.dealer
    page = browser_page
    ARTIFACTS.mkdir(exist_ok=True)

    page.goto(f"{portal_server.url}/")
    assert "/accounts/login/" in page.url
    assert page.locator("h1").inner_text() == "Bayi portalına giriş"
    page.fill("input[name=username]", member.user.email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{portal_server.url}/")

    assert page.locator("h1").inner_text() == dealer.title
    assert page.locator("[data-testid=balance] .stat__value").inner_text() == "1.234,56 ₺"
    assert page.locator("[data-testid=credit-limit] .stat__value").inner_text() == "1.234.567,89 ₺"
    assert page.locator("[data-testid=balance] .stat__label").text_content() == "Bakiye"
    page.screenshot(path=str(ARTIFACTS / "home-tr.png"), full_page=True)

    page.click("button[name=language][value=en]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("[data-testid=balance] .stat__value").inner_text() == "₺1,234.56"
    assert page.locator("[data-testid=balance] .stat__label").text_content() == "Balance"
    page.screenshot(path=str(ARTIFACTS / "home-en.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(ARTIFACTS / "home-en-phone.png"), full_page=True)
