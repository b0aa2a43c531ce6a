import re
import zlib
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from b2bportal.pdf import OfflineURLFetcher
from b2bportal.vat import VatRow, vat_breakdown
from catalog.units import units_by_code
from orders.documents import order_confirmation_html, order_confirmation_pdf
from orders.models import Order
from orders.status import OrderStatus
from orders.tests.factories import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db


def add_line(order: Order, line_no: int, *, net: str = "100.00", vat_rate: str = "20", **fields):
    """A line whose VAT and gross follow from its net amount and rate, as placed orders store them."""
    net_amount = Decimal(net)
    vat = (net_amount * Decimal(vat_rate) / 100).quantize(Decimal("0.01"))
    return OrderLineFactory(
        order=order,
        line_no=line_no,
        quantity=Decimal("1"),
        unit_price_net=net_amount,
        unit_price_gross=net_amount + vat,
        vat_rate=Decimal(vat_rate),
        line_net=net_amount,
        line_vat=vat,
        line_gross=net_amount + vat,
        **fields,
    )


def pdf_text_objects(pdf: bytes) -> bytes:
    """The PDF's object syntax with every Flate stream inflated, so page and font dictionaries can be searched."""
    parts = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.DOTALL):
        try:
            parts.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return b"\n".join(parts)


@pytest.fixture
def company(settings):
    settings.B2B_COMPANY_NAME = "Örnek Dağıtım A.Ş."
    settings.B2B_COMPANY_ADDRESS = "Atatürk Cad. No: 5\nKadıköy İstanbul"
    settings.B2B_COMPANY_TAX_OFFICE = "Kozyatağı"
    settings.B2B_COMPANY_TAX_NUMBER = "1234567890"
    settings.B2B_COMPANY_PHONE = "+90 216 555 00 00"
    settings.B2B_COMPANY_EMAIL = "satis@ornek.example"
    settings.B2B_COMPANY_IBAN = "TR33 0006 1005 1978 6457 8413 26"


@pytest.fixture
def order():
    order = OrderFactory(
        number="B2B-000123",
        status=OrderStatus.SUBMITTED,
        payment_method=Order.PaymentMethod.BANK_TRANSFER,
        po_number="PO-4711",
        requested_delivery_date=date(2025, 3, 14),
        delivery_address_text="Merkez Depo\nOrganize Sanayi Bölgesi\nBursa",
        note="Please call before delivery.",
        total_net=Decimal("1234.56"),
        total_vat=Decimal("246.91"),
        total_gross=Decimal("1481.47"),
    )
    add_line(order, 1, net="1234.56", sku="VALVE-1", name="Küresel vana DN25", name_en="Ball valve DN25")
    return order


def test_pdf_is_an_a4_pdf_with_pages_and_dejavu_fonts(order, company):
    add_line(order, 2, name="Şişe ağzı İğne")

    pdf = order_confirmation_pdf(order=order, language="tr")

    assert pdf.startswith(b"%PDF-")
    objects = pdf_text_objects(pdf)
    page_count = re.search(rb"/Type\s*/Pages\b.*?/Count\s+(\d+)", objects, re.DOTALL)
    assert page_count is not None and int(page_count.group(1)) >= 1
    # A4 is 595 × 842 pt.
    assert re.search(rb"/MediaBox\s*\[\s*0\s+0\s+595\.\d+\s+841\.\d+\s*\]", objects)
    fonts = re.findall(rb"/BaseFont\s*/[A-Z]{6}\+([\w-]+)", objects)
    assert fonts and all(font.startswith(b"DejaVu-Sans") for font in fonts), fonts
    # The embedded fonts map glyphs to ş ğ ı İ: Turkish letters were drawn with DejaVu, not a fallback font.
    for code_point in (b"015F", b"011F", b"0131", b"0130"):
        assert re.search(rb"<[0-9A-F]+>\s*<" + code_point + rb">", objects, re.IGNORECASE), code_point


def test_long_orders_run_over_several_pages(order):
    for line_no in range(2, 81):
        add_line(order, line_no)

    objects = pdf_text_objects(order_confirmation_pdf(order=order, language="en"))

    page_count = re.search(rb"/Type\s*/Pages\b.*?/Count\s+(\d+)", objects, re.DOTALL)
    assert page_count is not None and int(page_count.group(1)) >= 2


def test_html_in_english_shows_company_dealer_order_and_lines(order, company):
    html = order_confirmation_html(order=order, language="en")

    assert '<html lang="en">' in html
    for text in (
        "Örnek Dağıtım A.Ş.",
        "Atatürk Cad. No: 5<br>Kadıköy İstanbul",
        "Kozyatağı / 1234567890",
        "+90 216 555 00 00",
        "satis@ornek.example",
        "TR33 0006 1005 1978 6457 8413 26",
        order.dealer.code,
        order.dealer.title,
        order.dealer.tax_office,
        order.dealer.tax_number,
        "B2B-000123",
        "Order confirmation",
        "Submitted",
        "PO-4711",
        "14 March 2025",
        "Bank transfer",
        "Merkez Depo<br>Organize Sanayi Bölgesi<br>Bursa",
        "Please call before delivery.",
        "VALVE-1",
        "Ball valve DN25",
        "1 Piece",
        "Net total",
        "₺1,234.56",
        "₺246.91",
        "₺1,481.47",
    ):
        assert text in html, text


def test_html_in_turkish_formats_money_the_turkish_way(order):
    html = order_confirmation_html(order=order, language="tr")

    assert '<html lang="tr">' in html
    assert "1.234,56 ₺" in html
    assert "1.481,47 ₺" in html
    assert "₺1,234.56" not in html
    # "Order" has a Turkish translation already; the page header uses it.
    assert "Sipariş" in html
    # Product names, units and VAT in the document's language.
    assert "Küresel vana DN25" in html and "Ball valve DN25" not in html
    assert "1 Adet" in html and "%20" in html


def test_placed_date_is_shown_in_the_language_of_the_document(order):
    Order.objects.filter(pk=order.pk).update(placed_at="2025-01-10T09:00:00+03:00")

    assert "10 January 2025" in order_confirmation_html(order=order, language="en")
    assert "10 Ocak 2025" in order_confirmation_html(order=order, language="tr")


def test_order_in_another_currency_shows_that_currency(order):
    Order.objects.filter(pk=order.pk).update(currency="EUR")

    html = order_confirmation_html(order=order, language="tr")

    assert "1.234,56 €" in html
    assert "₺" not in html


def test_vat_is_grouped_per_rate():
    order = OrderFactory(total_net=Decimal("350.00"), total_vat=Decimal("65.00"), total_gross=Decimal("415.00"))
    add_line(order, 1, net="100.00", vat_rate="20")
    add_line(order, 2, net="200.00", vat_rate="20")
    add_line(order, 3, net="50.00", vat_rate="10")

    assert vat_breakdown(order.lines.all()) == [
        VatRow(rate=Decimal("10"), net=Decimal("50.00"), vat=Decimal("5.00")),
        VatRow(rate=Decimal("20"), net=Decimal("300.00"), vat=Decimal("60.00")),
    ]
    html = order_confirmation_html(order=order, language="en")
    vat_rows = re.findall(r'<tr class="vat">(.*?)</tr>', html)
    assert len(vat_rows) == 2
    assert "VAT 10% on ₺50.00" in vat_rows[0] and "₺5.00" in vat_rows[0]
    assert "VAT 20% on ₺300.00" in vat_rows[1] and "₺60.00" in vat_rows[1]


def test_vat_breakdown_of_no_lines_is_empty():
    assert vat_breakdown([]) == []


def test_hold_reasons_are_never_shown(order):
    Order.objects.filter(pk=order.pk).update(
        status=OrderStatus.ON_HOLD, hold_reasons=["Credit limit exceeded by 5.000 TL", "Manual review"]
    )

    html = order_confirmation_html(order=order, language="en")

    assert "On hold" in html
    assert "Credit limit exceeded" not in html
    assert "Manual review" not in html


def test_line_names_keep_turkish_letters(order):
    add_line(order, 2, sku="ŞİŞE-2", name="Şişe ağzı İğne ısıtıcı Öç Ü")

    html = order_confirmation_html(order=order, language="tr")

    assert "Şişe ağzı İğne ısıtıcı Öç Ü" in html
    assert "ŞİŞE-2" in html


def test_dealer_text_cannot_add_markup_or_resources(order):
    Order.objects.filter(pk=order.pk).update(note='<img src="http://tracker.example/pixel.png">')

    html = order_confirmation_html(order=order, language="en")

    assert "<img" not in html
    assert "&lt;img src=&quot;http://tracker.example/pixel.png&quot;&gt;" in html


def test_lines_are_in_line_number_order(order):
    add_line(order, 3, sku="THIRD")
    add_line(order, 2, sku="SECOND")

    html = order_confirmation_html(order=order, language="en")

    assert html.index("VALVE-1") < html.index("SECOND") < html.index("THIRD")


def test_unsupported_language_is_refused(order):
    with pytest.raises(LookupError):
        order_confirmation_html(order=order, language="xx")


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/logo.png",
        "https://example.com/style.css",
        "file:///etc/passwd",
        "ftp://example.com/font.ttf",
        "logo.png",
    ],
)
def test_url_fetcher_refuses_everything_but_data_urls(url):
    with pytest.raises(ValueError):
        OfflineURLFetcher()(url)


def test_url_fetcher_reads_data_urls():
    response = OfflineURLFetcher()("data:text/plain;base64,aGVsbG8=")

    assert response.read() == b"hello"


def test_queries_do_not_grow_with_the_number_of_lines():
    small = OrderFactory()
    for line_no in range(1, 6):
        add_line(small, line_no)
    large = OrderFactory()
    for line_no in range(1, 31):
        add_line(large, line_no)

    units_by_code()  # the few units are read once and cached for every page and document
    with CaptureQueriesContext(connection) as small_queries:
        order_confirmation_html(order=small, language="en")
    with CaptureQueriesContext(connection) as large_queries:
        order_confirmation_html(order=large, language="en")

    assert len(small_queries) == len(large_queries) == 2
