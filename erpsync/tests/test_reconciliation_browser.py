"""The reconciliation exports list in Chromium at a 1366 px laptop width: each finished export's Download link is on
screen, however long the dealer's name, the period and a failed run's error."""

from datetime import date
from pathlib import Path

import pytest

from accounts.models import User
from accounts.tests.factories import TEST_PASSWORD
from dealers.tests.factories import DealerFactory
from erpsync.models import ReconciliationExport

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
LAPTOP = {"width": 1366, "height": 768}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def exports():
    """Created before the browser starts (Playwright's greenlets would give ORM calls a connection of their own)."""
    staff = User.objects.create_superuser("muhasebe@example.com", TEST_PASSWORD)
    dealer = DealerFactory(title="Yıldız Elektrik İnşaat Taahhüt Sanayi ve Ticaret Limited Şirketi Ankara Şubesi")
    R, F, S = ReconciliationExport.Report, ReconciliationExport.Format, ReconciliationExport.Status
    for report in (R.ORDERS, R.PAYMENTS):
        ReconciliationExport.objects.create(
            report=report,
            format=F.XLSX,
            period_from=date(2026, 11, 1),
            period_to=date(2026, 11, 30),
            dealer=dealer,
            requested_by=staff,
            status=S.DONE,
            rows_total=123456,
            rows_done=123456,
            rows_flagged=42,
            file=f"exports/{report}.xlsx",
        )
    ReconciliationExport.objects.create(
        report=R.BALANCES,
        requested_by=staff,
        status=S.FAILED,
        error="The ERP did not answer in time while the balances were read; the run stopped at row 5120 of 9000.",
    )
    return staff


def test_the_download_links_are_on_screen_at_1366_px(exports, portal_server, browser_page):
    page, base = browser_page, portal_server.url
    page.set_viewport_size(LAPTOP)
    page.goto(f"{base}/admin/login/?next=/admin/erpsync/reconciliationexport/")
    page.fill("input[name=username]", exports.email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("#login-form input[type=submit]")
    page.wait_for_url(f"{base}/admin/erpsync/reconciliationexport/")

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "reconciliation-exports-1366.png"))
    results = page.locator("#result_list").evaluate("t => t.parentElement.getBoundingClientRect().right")
    links = page.locator("#result_list a[href$='/download/']")
    assert links.count() == 2
    for index in range(links.count()):
        box = links.nth(index).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= min(LAPTOP["width"], results), box
