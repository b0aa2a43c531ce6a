"""Each user's day on the demo company, in headless Chromium, on the README's path (``make run`` on SQLite: the web
server and the worker sharing one database file) and on PostgreSQL: the dealer buyer (search in Turkish, quick order
paste, cart edit, checkout with its warnings), the dealer approver (notified, approves), staff (approval queue by
reason, approve on the order's page) and the accountant (statement PDF and Turkish CSV). Screenshots at desktop and
phone width land in test-artifacts/journeys/; no page may be wider than a 390 px phone; nothing the site logged may
be a traceback or a locked database."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest

from conftest import CHROMIUM
from demo.tests.site import DemoSite, demo_site_start, postgres_database_drop, scratch_database_name

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "journeys"
DEMO_PASSWORD = "demo12345!"
STAFF_PASSWORD = "admin12345!"
BUYER = "alici@demo.b2bportal.local"
APPROVER = "onay@demo.b2bportal.local"
DEALER_ADMIN = "bayi@demo.b2bportal.local"
STAFF = "admin@demo.b2bportal.local"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}

pytestmark = [pytest.mark.browser]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request, tmp_path_factory):
    engine = request.param
    workdir = tmp_path_factory.mktemp(f"demo-{engine}")
    database_name = scratch_database_name("journey")
    demo = demo_site_start(engine, workdir, database_name)
    demo.engine = engine
    demo.state = {}
    yield demo
    demo.stop()
    if engine == "postgresql":
        postgres_database_drop(demo.database_url)
    failures = demo.log_failures()
    assert not failures, "the demo logged failures:\n" + "\n".join(failures) + "\n\n" + demo.log()[-8000:]


@pytest.fixture(scope="module")
def browser(site):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"],
        )
        yield chromium
        chromium.close()


def page_for(browser, site: DemoSite, email: str, password: str, *, locale: str = "tr-TR", viewport=None, admin=False):
    context = browser.new_context(locale=locale, viewport=viewport or DESKTOP, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(20000)
    errors: list[str] = []
    page.on("response", lambda response: response.status >= 400 and errors.append(f"{response.status} {response.url}"))
    page.http_errors = errors
    login = f"{site.url}/admin/login/?next=/admin/" if admin else f"{site.url}/accounts/login/"
    page.goto(login)
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", password)
    page.click("main form button[type=submit], #login-form input[type=submit]")
    page.wait_for_load_state()
    assert "/login/" not in page.url, f"{email} could not sign in"
    return page


def shoot(page, site: DemoSite, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{site.engine}-{name}.png"), full_page=True)


def fits_phone(page) -> None:
    """The page is no wider than the phone: nothing to scroll sideways (tables scroll inside their own box)."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide on a {PHONE['width']} px phone"


def no_http_errors(page) -> None:
    assert not page.http_errors, f"failed requests: {page.http_errors}"


def test_dealer_buyer_searches_in_turkish_orders_by_paste_and_checks_out(site, browser):
    page = page_for(browser, site, BUYER, DEMO_PASSWORD)
    base = site.url

    # Search with Turkish letters, and without them, finds the same relay.
    for query in ("kaçak", "akım", "rolesi"):
        page.goto(f"{base}/catalog/?q={query}")
        names = page.locator("[data-testid=products] .product").all_inner_texts()
        assert any("Kaçak Akım Rölesi" in name for name in names), f"search {query!r} found {names[:3]}"
    page.goto(f"{base}/catalog/?q=boyası")
    assert page.locator("[data-testid=products] .product").count() > 0
    shoot(page, site, "buyer-search")

    # Quick order: paste two lines, check, add to the cart.
    page.goto(f"{base}/orders/quick/")
    page.fill("textarea[name=text]", "ELK-000023 10\nBYA-000185 4")
    page.click("[data-testid=quick-order-form] button[type=submit]:not([name=confirm])")
    preview = page.locator("[data-testid=quick-order-preview]").inner_text()
    assert "ELK-000023" in preview and "BYA-000185" in preview
    page.click("[data-testid=quick-order-add]")
    page.wait_for_load_state()

    # Cart: change a quantity; the total follows.
    page.goto(f"{base}/orders/cart/")
    before = page.locator("[data-testid=cart-total]").inner_text()
    row = page.locator("#cart-table tr", has_text="BYA-000185")
    row.locator("input[name=quantity]").fill("5")
    row.locator("button:not([name=remove])").first.click()
    page.wait_for_function(
        "before => document.querySelector('[data-testid=cart-total]').innerText !== before", arg=before
    )
    shoot(page, site, "buyer-cart")

    # Checkout: the buyer is told before placing that the order is above their approval limit.
    page.click("[data-testid=to-checkout]")
    page.wait_for_url(f"{base}/orders/checkout/")
    warnings = page.locator("[data-testid=checkout-warnings]").inner_text()
    assert "20.000,00 ₺" in warnings and "Ayşe Kaya" in warnings, warnings
    shoot(page, site, "buyer-checkout")
    page.fill("textarea[name=note]", "Depoya teslim, 09:00-17:00")
    page.check("input[name=payment_method][value=on_account]")
    page.click("[data-testid=place-order]")
    page.wait_for_url(f"{base}/orders/P*/")
    number = page.url.rstrip("/").rsplit("/", 1)[-1]
    site.state["order"] = number
    assert "Depoya teslim, 09:00-17:00" in page.content()
    assert "onaylayıcı" in page.locator("[data-testid=next-steps]").inner_text()
    shoot(page, site, "buyer-order")

    # A small order paid by bank transfer: its page shows the company's IBANs and the reference to quote.
    page.goto(f"{base}/orders/quick/")
    page.fill("textarea[name=text]", "ELK-000023 2")
    page.click("[data-testid=quick-order-form] button[type=submit]:not([name=confirm])")
    page.click("[data-testid=quick-order-add]")
    page.wait_for_load_state()
    page.goto(f"{base}/orders/checkout/")
    page.check("input[name=payment_method][value=bank_transfer]")
    page.click("[data-testid=place-order]")
    page.wait_for_url(f"{base}/orders/P*/")
    transfer_number = page.url.rstrip("/").rsplit("/", 1)[-1]
    assert transfer_number != number
    ibans = page.locator("[data-testid=company-iban]").all_inner_texts()
    assert ibans == ["TR88 0006 2000 0000 6298 7654 32", "TR36 0004 6000 0000 1234 5678 90"], ibans
    assert transfer_number in page.locator("[data-testid=payment-reference]").inner_text()
    shoot(page, site, "buyer-bank-transfer")
    no_http_errors(page)

    phone = page_for(browser, site, BUYER, DEMO_PASSWORD, viewport=PHONE)
    pages = ("/", "/catalog/", "/catalog/?q=kaçak", "/catalog/p/ELK-000023/", "/orders/cart/", f"/orders/{number}/")
    for path in (*pages, "/orders/", "/orders/quick/"):
        phone.goto(f"{base}{path}")
        fits_phone(phone)
    shoot(phone, site, "buyer-order-phone")
    phone.context.close()
    page.context.close()


def test_dealer_approver_is_notified_and_approves(site, browser):
    number = site.state.get("order")
    assert number, "the buyer's journey placed no order"
    # The worker e-mails the approver, in Turkish, with a link back to the portal.
    mail = site.wait_for_mail(APPROVER, number)
    text = mail.get_body(preferencelist=("plain",)).get_content()
    html = mail.get_body(preferencelist=("html",)).get_content()
    assert "onayınızı bekliyor" in mail["Subject"]
    assert f"{site.url}/" in text and number in html

    page = page_for(browser, site, APPROVER, DEMO_PASSWORD)
    page.goto(f"{site.url}/notifications/")
    assert int(page.locator("[data-testid=unread-count]").inner_text()) >= 1
    notice = page.locator("[data-testid=notification]", has_text=number)
    assert notice.count() == 1
    shoot(page, site, "approver-notifications")
    notice.locator("button").click()
    page.wait_for_url(f"{site.url}/orders/{number}/")
    page.goto(f"{site.url}/orders/approvals/")
    card = page.locator("[data-testid=approval]", has_text=number)
    assert card.count() == 1
    reasons = card.locator("[data-testid=approval-reasons]").inner_text()
    assert "onay limit" in reasons.lower(), reasons
    assert "BYA-000185" in card.locator("[data-testid=approval-lines]").inner_text()
    shoot(page, site, "approver-queue")
    card.locator("[data-testid=dealer-approve]").click()
    page.wait_for_load_state()
    page.goto(f"{site.url}/orders/{number}/")
    shoot(page, site, "approver-order-approved")
    no_http_errors(page)
    page.context.close()
    # The buyer hears of it once the worker has sent it.
    site.wait_for_mail(BUYER, number)


def test_staff_filters_the_queue_by_reason_and_approves_on_the_order_page(site, browser):
    # The demo company's credit-held order waits in the queue; staff find it by its reason.
    page = page_for(browser, site, STAFF, STAFF_PASSWORD, admin=True)
    page.goto(f"{site.url}/admin/orders/heldorder/")
    page.click("#changelist-filter a[href*='reason=credit_hold']")
    page.wait_for_load_state()
    rows = page.locator("#result_list tbody tr")
    assert rows.count() >= 1
    shoot(page, site, "staff-queue-by-reason")
    number = rows.first.locator("th a, td a").first.inner_text()
    rows.first.locator("th a, td a").first.click()
    page.wait_for_url("**/change/**")
    shoot(page, site, "staff-held-order")
    page.fill("[data-testid=order-decision] textarea[name=note]", "Teminat mektubu alındı")
    page.click("[data-testid=order-decision] button[value=approve]")
    page.wait_for_load_state()
    assert f"{number} approved" in page.locator(".messagelist").inner_text()
    no_http_errors(page)
    page.context.close()


def test_accountant_downloads_the_statement_as_pdf_and_turkish_csv(site, browser):
    page = page_for(browser, site, DEALER_ADMIN, DEMO_PASSWORD)
    page.goto(f"{site.url}/account/statement/")
    shoot(page, site, "accountant-statement")
    closing = decimal_tr(page.locator("[data-testid=statement-closing]").inner_text().split("₺")[0].split()[-1])
    with page.expect_download() as pdf:
        page.click("[data-testid=statement-pdf]")
    assert Path(pdf.value.path()).read_bytes().startswith(b"%PDF")

    # The Turkish CSV opens in Turkish Excel: BOM, ';' and decimal commas; its last balance is the closing one.
    with page.expect_download() as download:
        page.click("[data-testid=statement-csv]")
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = csv_rows(data, ";")
    header = rows[0]
    assert "Borç" in header and "Alacak" in header and "Bakiye" in header, header
    balance = rows[-1][header.index("Bakiye")] or rows[-2][header.index("Bakiye")]
    assert decimal_tr(balance) == closing
    no_http_errors(page)

    phone = page_for(browser, site, DEALER_ADMIN, DEMO_PASSWORD, viewport=PHONE)
    for path in ("/account/", "/account/statement/", "/account/documents/", "/notifications/"):
        phone.goto(f"{site.url}{path}")
        fits_phone(phone)
    shoot(phone, site, "accountant-statement-phone")
    phone.context.close()
    page.context.close()


def decimal_tr(text: str) -> Decimal:
    return Decimal(text.replace(".", "").replace(",", "."))


def csv_rows(data: bytes, delimiter: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=delimiter))
