"""End to end in headless Debian Chromium: a dealer opens the statement of account and downloads it as a PDF and as
the CSV their (Turkish) Excel opens."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.tests.factories import TEST_PASSWORD
from dealers.models import AccountEntry, DealerUser
from dealers.tests.factories import DealerFactory, DealerUserFactory
from erpsync.models import ErpConnection

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def dealer_with_ledger():
    """Created before the browser starts (Playwright's greenlets would give ORM calls a connection of their own)."""
    connection = ErpConnection.objects.create(code="erp", name="ERP", adapter="file", settings={"root": "/nonexistent"})
    dealer = DealerFactory(code="120.01.777", title="Ege Yapı Market Ltd. Şti.", ledger_as_of=timezone.now())
    approver = DealerUserFactory(dealer=dealer, role=DealerUser.Role.APPROVER)
    year = timezone.localdate().year
    for n, (kind, day, amount, number) in enumerate(
        [
            ("opening", date(year, 1, 1), "1250.00", "DEVIR"),
            ("invoice", date(year, 1, 10), "5900.00", "GIB2026000000101"),
            ("collection", date(year, 1, 20), "-3000.00", "EFT-0120"),
        ]
    ):
        AccountEntry.objects.create(
            connection=connection,
            erp_id=f"J{n}",
            dealer=dealer,
            kind=kind,
            posted_on=day,
            document_number=number,
            amount=Decimal(amount),
            as_of=timezone.now(),
        )
    return approver


def test_a_dealer_downloads_the_statement_as_pdf(dealer_with_ledger, portal_server, browser_page, tmp_path):
    page = browser_page
    base = portal_server.url
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", dealer_with_ledger.user.email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()

    page.goto(f"{base}/account/statement/")
    assert "GIB2026000000101" in page.locator("[data-testid=statement]").inner_text()
    assert page.locator("[data-testid=statement-closing]").inner_text().startswith("4.150,00")
    with page.expect_download() as download_info:
        page.click("[data-testid=statement-pdf]")
    download = download_info.value
    assert download.suggested_filename.endswith(".pdf") and "120.01.777" in download.suggested_filename
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    data = target.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 2000

    # As a Turkish accountant reads it: the period in its fields, one opening row, Borç / Alacak / Bakiye.
    assert page.input_value("input[name=date_from]") == f"{timezone.localdate().year}-01-01"
    assert page.input_value("input[name=date_to]") == f"{timezone.localdate():%Y-%m-%d}"
    table = page.locator("[data-testid=statement]")
    assert table.inner_text().count("Devir bakiyesi") == 1 and "DEVIR" not in table.inner_text()
    assert [h.strip() for h in table.locator("th.num").all_text_contents()] == ["Borç", "Alacak", "Bakiye"]
    with page.expect_download() as download_info:
        page.click("[data-testid=statement-csv]")
    target = tmp_path / "statement.csv"
    download_info.value.save_as(target)
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data[3:].decode("utf-8")), delimiter=";"))
    assert rows[0][5:] == ["Borç", "Alacak", "Bakiye"] and rows[1][7] == "1250,00"
    assert rows[-1][1] == "Kapanış bakiyesi" and rows[-1][5:] == ["5900,00", "3000,00", "4150,00"]
    assert page.locator("[data-testid=statement-csv-other]").inner_text() == "CSV (uluslararası)"
