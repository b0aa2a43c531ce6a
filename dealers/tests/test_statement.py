"""The statement of account as a Turkish accountant reads it (hesap ekstresi): Borç / Alacak / Bakiye, one opening
row, its dates filled in, a PDF whose figures stay in their columns, and a CSV that Excel opens as it is."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook
from weasyprint import HTML
from weasyprint.formatting_structure.boxes import TextBox

from b2bportal.pdf import OfflineURLFetcher, html_render
from dealers.account import statement
from dealers.documents import STATEMENT_TEMPLATE
from dealers.models import AccountEntry, DealerUser
from dealers.tests.factories import DealerFactory, DealerUserFactory
from erpsync.models import ErpConnection

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def language_reset():
    """Requests in Turkish leave Turkish active in the thread; later tests expect the default again."""
    yield
    translation.deactivate()


@pytest.fixture
def connection():
    return ErpConnection.objects.create(code="erp", name="ERP", adapter="file", settings={"root": "/nonexistent"})


def book(connection, dealer, rows):
    """Ledger rows (kind, posted_on, amount, document[, description]) on ``dealer``."""
    start = AccountEntry.objects.count()
    AccountEntry.objects.bulk_create(
        AccountEntry(
            connection=connection,
            erp_id=f"S{index}",
            dealer=dealer,
            kind=kind,
            posted_on=posted_on,
            document_number=number,
            description=rest[0] if rest else "",
            amount=D(amount),
            as_of=timezone.now(),
        )
        for index, (kind, posted_on, amount, number, *rest) in enumerate(rows, start=start)
    )
    dealer.ledger_as_of = timezone.now()
    dealer.save(update_fields=["ledger_as_of"])


LEDGER = [
    ("opening", date(2026, 1, 1), "250.00", "DEVIR", "Önceki yıldan devir"),
    ("invoice", date(2026, 2, 1), "1000.00", "F-100", "Satış faturası"),
    ("collection", date(2026, 2, 20), "-400.00", "EFT-1", "Havale/EFT"),
]


@pytest.fixture
def account_client(client, connection):
    """A dealer admin signed in, in Turkish, with the ERP's opening movement on 1 January and two movements."""
    dealer_user = DealerUserFactory(role=DealerUser.Role.ADMIN)
    dealer_user.user.language = "tr"
    dealer_user.user.save()
    client.force_login(dealer_user.user)
    client.dealer_user = dealer_user
    book(connection, dealer_user.dealer, LEDGER)
    return client


def statement_url(**params):
    query = {"date_from": "2026-01-01", "date_to": "2026-12-31", **params}
    return reverse("dealers:statement") + "?" + "&".join(f"{k}={v}" for k, v in query.items())


def download(client, **params) -> bytes:
    response = client.get(statement_url(**params))
    assert response.status_code == 200
    return b"".join(response.streaming_content) if response.streaming else response.content


# --- the accountant's words -------------------------------------------------------------------------------------


def test_the_credit_column_is_alacak_everywhere_the_statement_is_shown(account_client):
    page = account_client.get(statement_url()).content.decode()
    headers = re.findall(r'<th scope="col" class="num">([^<]+)</th>', page)
    assert headers == ["Borç", "Alacak", "Bakiye"]
    assert "Kredi" not in page
    sheet = load_workbook(io.BytesIO(download(account_client, format="xlsx"))).active
    assert [cell.value for cell in sheet[1]][5:] == ["Borç", "Alacak", "Bakiye"]
    header = download(account_client, format="csv").decode("utf-8-sig").splitlines()[0]
    assert header.endswith("Borç;Alacak;Bakiye")
    dealer = account_client.dealer_user.dealer
    pdf_html = html_render(STATEMENT_TEMPLATE, {"statement": statement(dealer, date(2026, 1, 1), date(2026, 12, 31)),
                                                "dealer": dealer}, "tr")  # fmt: skip
    assert "Alacak" in pdf_html and "Kredi" not in pdf_html
    assert download(account_client, format="pdf").startswith(b"%PDF")


def test_the_credit_limit_keeps_its_own_word(account_client):
    """Only the ledger's column is "Alacak": the credit limit on the account page is still a "Kredi limiti"."""
    page = account_client.get(reverse("account:summary")).content.decode()
    assert "Kredi limiti" in page and "Alacak" not in page


def test_english_readers_see_debit_and_credit(account_client):
    account_client.dealer_user.user.language = "en"
    account_client.dealer_user.user.save()
    page = account_client.get(statement_url()).content.decode()
    assert re.findall(r'<th scope="col" class="num">([^<]+)</th>', page) == ["Debit", "Credit", "Balance"]


# --- one opening row ---------------------------------------------------------------------------------------------


def opening_rows(page: str) -> int:
    return len(re.findall(r"Devir bakiyesi", page))


def test_the_erps_opening_movement_is_the_one_opening_row(account_client):
    dealer = account_client.dealer_user.dealer
    result = statement(dealer, date(2026, 1, 1), date(2026, 12, 31))
    assert result.opening == D("250.00")
    assert [line.document_number for line in result.lines] == ["F-100", "EFT-1"]
    assert result.total_debit == D("1000.00") and result.closing == D("850.00")
    assert [line.balance for line in result.lines] == [D("1250.00"), D("850.00")]
    page = account_client.get(statement_url()).content.decode()
    assert opening_rows(page) == 1 and "DEVIR" not in page
    assert re.search(r'data-testid="statement-opening"><strong>250,00 ₺', page)
    rows = list(csv.reader(io.StringIO(download(account_client, format="csv").decode("utf-8-sig")), delimiter=";"))
    assert [row[1] for row in rows].count("Devir bakiyesi") == 1 and rows[1][7] == "250,00"
    # A period that starts before the ERP's first movement: its opening movement still opens the statement.
    earlier = statement(dealer, date(2025, 12, 1), date(2026, 12, 31))
    assert earlier.opening == D("250.00") and len(earlier.lines) == 2 and earlier.closing == D("850.00")


def test_an_opening_booked_after_other_movements_stays_a_line(account_client, connection):
    """A new fiscal year's opening in the middle of the period is a movement of the period, not its opening."""
    dealer = account_client.dealer_user.dealer
    book(connection, dealer, [("opening", date(2026, 3, 1), "-850.00", "DEVIR-Y", "Yıl sonu kapanış")])
    result = statement(dealer, date(2026, 1, 1), date(2026, 12, 31))
    assert result.opening == D("250.00")
    assert [line.document_number for line in result.lines] == ["F-100", "EFT-1", "DEVIR-Y"]
    assert result.closing == D("0.00") == result.lines[-1].balance


def test_a_period_after_the_opening_carries_everything_before_it(account_client):
    result = statement(account_client.dealer_user.dealer, date(2026, 2, 10), date(2026, 12, 31))
    assert result.opening == D("1250.00") and [line.document_number for line in result.lines] == ["EFT-1"]


# --- dates ----------------------------------------------------------------------------------------------------


def test_the_statement_shows_its_dates(account_client):
    """The period fields hold the period (a date picker takes only YYYY-MM-DD), and the statement says when it was
    made and how fresh the ERP's movements are."""
    page = account_client.get(reverse("dealers:statement")).content.decode()
    today = timezone.localdate()
    assert f'name="date_from" value="{today.year}-01-01"' in page
    assert f'name="date_to" value="{today:%Y-%m-%d}"' in page
    chosen = account_client.get(statement_url()).content.decode()
    assert 'name="date_from" value="2026-01-01"' in chosen and 'name="date_to" value="2026-12-31"' in chosen
    dates = re.search(r'data-testid="statement-dates">(.*?)</p>', chosen, re.S).group(1)
    assert "Ekstre tarihi" in dates and "01 Oca 2026 – 31 Ara 2026" in dates and "itibarıyla" in dates
    dealer = account_client.dealer_user.dealer
    with translation.override("tr"):
        html = html_render(STATEMENT_TEMPLATE, {"statement": statement(dealer, date(2026, 1, 1), date(2026, 12, 31)),
                                                "dealer": dealer}, "tr")  # fmt: skip
    facts = re.search(r'data-testid="statement-facts">(.*?)</table>', html, re.S).group(1)
    cells = dict(re.findall(r"<th>(?:<strong>)?([^<]+)(?:</strong>)?</th><td[^>]*>(?:<strong>)?([^<]*)", facts))
    assert cells["Ekstre tarihi"].strip() and cells["Dönem"] == "01 Oca 2026 – 31 Ara 2026"
    assert cells["Hareketlerin tarihi"].strip() not in ("", "—")


def test_a_statement_never_synced_says_so():
    dealer = DealerFactory()
    html = html_render(STATEMENT_TEMPLATE, {"statement": statement(dealer, date(2026, 1, 1), date(2026, 1, 31)),
                                            "dealer": dealer}, "tr")  # fmt: skip
    assert "henüz senkronize edilmedi" in html


# --- the PDF's layout ---------------------------------------------------------------------------------------------


def text_boxes(pdf_html: str) -> list[tuple[str, float, float, float, float]]:
    """Every piece of text weasyprint laid out on the first page: (text, left, top, right, bottom) in CSS px."""
    page = HTML(string=pdf_html, url_fetcher=OfflineURLFetcher()).render().pages[0]
    found = []
    for box in page._page_box.descendants():
        if isinstance(box, TextBox) and box.text.strip():
            x, y = box.position_x, box.position_y
            found.append((box.text, x, y, x + box.width, y + box.height))
    return found


def overlaps(boxes) -> list[tuple[str, str]]:
    clashes = []
    for index, (text, left, top, right, bottom) in enumerate(boxes):
        for other, left2, top2, right2, bottom2 in boxes[index + 1 :]:
            if left < right2 - 0.5 and left2 < right - 0.5 and top < bottom2 - 0.5 and top2 < bottom - 0.5:
                clashes.append((text, other))
    return clashes


@pytest.mark.parametrize("language", ["tr", "en"])
def test_the_pdf_figures_stay_in_their_columns(connection, language):
    """Millions in every money column, the longest document numbers and descriptions: no two texts overlap and
    nothing runs past the page's right margin."""
    dealer = DealerFactory(title="Anadolu Elektrik Malzemeleri İnşaat Sanayi ve Ticaret Anonim Şirketi")
    book(
        connection,
        dealer,
        [
            ("opening", date(2026, 1, 1), "9876543.21", "DEVIR"),
            ("invoice", date(2026, 1, 15), "8765432.10", "GIB2026000000000123456789", "Satış faturası " * 4),
            ("collection", date(2026, 2, 15), "-7654321.09", "TAH-2026-0000000001", "Havale/EFT Ziraat Bankası"),
            ("invoice", date(2026, 3, 15), "6543210.98", "GIB2026000000000123456790", "Satış faturası"),
        ],
    )
    result = statement(dealer, date(2026, 1, 1), date(2026, 12, 31))
    assert result.closing == D("17530865.20")
    boxes = text_boxes(html_render(STATEMENT_TEMPLATE, {"statement": result, "dealer": dealer}, language))
    texts = " ".join(box[0] for box in boxes)
    assert "17.530.865,20" in texts or "17,530,865.20" in texts
    assert overlaps(boxes) == []
    a4_width_px, right_margin_px = 210 / 25.4 * 96, 15 / 25.4 * 96
    assert max(box[3] for box in boxes) <= a4_width_px - right_margin_px + 0.5


# --- CSV for the reader's Excel ------------------------------------------------------------------------------------


def parse_turkish_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM: Excel reads the file as UTF-8
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8")), delimiter=";"))


def turkish_number(text: str) -> Decimal:
    assert re.fullmatch(r"-?\d+(,\d+)?", text), text
    return D(text.replace(",", "."))


def test_a_turkish_reader_gets_the_csv_turkish_excel_opens(account_client, connection):
    book(connection, account_client.dealer_user.dealer, [("invoice", date(2026, 3, 1), "1234567.89", "F-200",
                                                          "Kablo; 3x2,5 mm²")])  # fmt: skip
    rows = parse_turkish_csv(download(account_client, format="csv"))
    assert rows[0] == ["Tarih", "Tür", "Belge", "Açıklama", "Vade tarihi", "Borç", "Alacak", "Bakiye"]
    assert all(len(row) == 8 for row in rows)
    assert rows[1][0] == "01.01.2026" and turkish_number(rows[1][7]) == D("250.00")
    by_document = {row[2]: row for row in rows[2:-1]}
    assert by_document["F-200"][3] == "Kablo; 3x2,5 mm²" and by_document["F-200"][5] == "1234567,89"
    assert by_document["EFT-1"][0] == "20.02.2026" and turkish_number(by_document["EFT-1"][6]) == D("400.00")
    debits = sum((turkish_number(row[5]) for row in rows[2:-1] if row[5]), D(0))
    credits = sum((turkish_number(row[6]) for row in rows[2:-1] if row[6]), D(0))
    assert rows[-1][1] == "Kapanış bakiyesi"
    assert turkish_number(rows[-1][5]) == debits and turkish_number(rows[-1][6]) == credits
    assert turkish_number(rows[-1][7]) == D("250.00") + debits - credits == D("1235417.89")


def test_the_international_csv_stays_available(account_client):
    page = account_client.get(statement_url()).content.decode()
    link = re.search(r'data-testid="statement-csv-other" href="([^"]+)">([^<]+)</a>', page)
    assert link.group(2) == "CSV (uluslararası)"
    data = download(account_client, **dict(re.findall(r"(\w+)=([^&]+)", link.group(1).replace("&amp;", "&"))))
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][5:] == ["Borç", "Alacak", "Bakiye"]
    assert rows[1][0] == "2026-01-01" and rows[-1][7] == "850.00" and rows[-1][5] == "1000.00"


def test_an_english_reader_gets_the_international_csv_and_can_ask_for_the_turkish_one(account_client):
    account_client.dealer_user.user.language = "en"
    account_client.dealer_user.user.save()
    rows = list(csv.reader(io.StringIO(download(account_client, format="csv").decode("utf-8-sig"))))
    assert rows[0][0] == "Date" and rows[-1][7] == "850.00"
    page = account_client.get(statement_url()).content.decode()
    assert 'data-testid="statement-csv-other"' in page and "CSV (Turkish Excel)" in page
    rows = parse_turkish_csv(download(account_client, format="csv", csv="tr"))
    assert rows[0][6] == "Credit" and rows[-1][7] == "850,00"


def test_the_turkish_csv_escapes_formula_text_too(account_client):
    entry = AccountEntry.objects.get(document_number="F-100")
    entry.description = '=HYPERLINK("http://evil.example";"click")'
    entry.document_number = "+SUM(A1)"
    entry.save()
    rows = parse_turkish_csv(download(account_client, format="csv"))
    row = next(row for row in rows if row[2].endswith("SUM(A1)"))
    assert row[2] == "'+SUM(A1)" and row[3].startswith("'=HYPERLINK")
    assert turkish_number(next(r for r in rows if r[2] == "EFT-1")[6]) == D("400.00")
