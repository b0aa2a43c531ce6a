"""The order page lists its delivery notes and invoices, each opening a document page with its lines; the invoice
PDF carries the lines, a VAT breakdown, the totals and the e-invoice id. A dealer reaches only their own documents, and
the pages read a fixed number of queries however many lines or documents they show."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.tests.factories import ProductFactory
from dealers.documents import document_html, document_pdf
from dealers.models import DealerDocument, DealerDocumentLine, DealerUser
from dealers.tests.factories import DealerUserFactory
from orders.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db
D = Decimal
FEW, MANY = 2, 25


def document(order, number, kind=DealerDocument.Kind.INVOICE, lines=0, rates=("20",), **kw):
    values = {
        "issued_on": date(2026, 11, 20),
        "net": D("100.00") * lines,
        "vat": D("20.00") * lines,
        "gross": D("120.00") * lines,
    }
    doc = DealerDocument.objects.create(dealer=order.dealer, order=order, kind=kind, number=number, **{**values, **kw})
    add_lines(doc, 1, lines, rates)
    return doc


def add_lines(doc, first, count, rates=("20",)):
    for n in range(first, first + count):
        rate = D(rates[n % len(rates)])
        DealerDocumentLine.objects.create(
            document=doc,
            line_no=n,
            item_code=f"SKU-{n:03d}",
            product=ProductFactory(sku=f"SKU-{doc.pk}-{n:03d}", name=f"Ürün {n}"),
            description=f"Ürün {n}",
            quantity=D("2"),
            unit="ADET",
            unit_price=D("50"),
            vat_rate=rate,
            line_net=D("100.00"),
            line_vat=D("100.00") * rate / 100,
        )


@pytest.fixture
def order(dealer_client):
    dealer_user = dealer_client.dealer_user
    return OrderFactory(dealer=dealer_user.dealer, placed_by=dealer_user.user)


def queries(client, url, marker, expected):
    with CaptureQueriesContext(db_connection) as captured:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.content.decode().count(marker) == expected
    return len(captured)


def test_order_page_links_its_delivery_notes_and_invoices(dealer_client, order):
    delivery = document(
        order, "IRS-1", DealerDocument.Kind.DELIVERY, 1, tracking_url="https://kargo.example/1", tracking_number="T1"
    )
    invoice = document(order, "FTR-1", lines=1, due_on=date(2026, 12, 20))
    page = dealer_client.get(reverse("orders:order_detail", args=[order.number]), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert html.count('data-testid="order-document"') == 2
    for doc in (delivery, invoice):
        assert reverse("dealers:document_detail", args=[doc.pk]) in html
    assert "https://kargo.example/1" in html and "(T1)" in html


def test_document_page_shows_the_shipped_quantities_of_a_delivery_note(dealer_client, order):
    delivery = document(order, "IRS-1", DealerDocument.Kind.DELIVERY, 2)
    html = dealer_client.get(reverse("dealers:document_detail", args=[delivery.pk]), HTTP_ACCEPT_LANGUAGE="en")
    html = html.content.decode()
    assert "Shipped quantity" in html and html.count('data-testid="document-line"') == 2
    assert "SKU-001" in html and "2 ADET" in html
    assert "Unit price" not in html  # a delivery note shows what was shipped, not prices


def test_document_page_without_lines_says_so(dealer_client, order):
    invoice = document(order, "FTR-0", lines=0, gross=None)
    html = dealer_client.get(reverse("dealers:document_detail", args=[invoice.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert 'data-testid="no-lines"' in html.content.decode()


def test_another_dealers_document_is_not_found(dealer_client):
    other = OrderFactory()
    invoice = document(other, "FTR-X", lines=1)
    for name in ("dealers:document_detail", "dealers:document_pdf"):
        assert dealer_client.get(reverse(name, args=[invoice.pk])).status_code == 404


def test_a_buyer_reaches_only_the_documents_of_the_orders_they_placed(client, order):
    colleague = DealerUserFactory(dealer=order.dealer, role=DealerUser.Role.BUYER)
    invoice = document(order, "FTR-1", lines=1)
    client.force_login(colleague.user)
    assert client.get(reverse("dealers:document_detail", args=[invoice.pk])).status_code == 404


def test_document_list_links_each_document_page(dealer_client, order):
    invoice = document(order, "FTR-1", lines=1)
    html = dealer_client.get(reverse("dealers:document_list")).content.decode()
    assert reverse("dealers:document_detail", args=[invoice.pk]) in html


def test_document_page_queries_do_not_grow_with_lines(dealer_client, order):
    invoice = document(order, "FTR-1", lines=FEW, rates=("10", "20"))
    url = reverse("dealers:document_detail", args=[invoice.pk])
    dealer_client.get(url)
    few = queries(dealer_client, url, 'data-testid="document-line"', FEW)
    add_lines(invoice, FEW + 1, MANY - FEW, rates=("10", "20"))
    many = queries(dealer_client, url, 'data-testid="document-line"', MANY)
    assert few == many <= 8


def test_order_page_queries_do_not_grow_with_documents(dealer_client, order):
    url = reverse("orders:order_detail", args=[order.number])
    for n in range(FEW):
        document(order, f"FTR-{n}", lines=1)
    dealer_client.get(url)
    few = queries(dealer_client, url, 'data-testid="order-document"', FEW)
    for n in range(FEW, MANY):
        document(order, f"FTR-{n}", lines=1)
    many = queries(dealer_client, url, 'data-testid="order-document"', MANY)
    assert few == many


def test_invoice_pdf_has_lines_vat_breakdown_totals_and_e_invoice_id(dealer_client, order, settings):
    settings.B2B_COMPANY_NAME = "Örnek Dağıtım A.Ş."
    invoice = document(order, "FTR-1", lines=3, rates=("10", "20"), e_invoice_uuid="5f0c6c9e-0042")
    html = document_html(invoice, language="tr")
    assert "Örnek Dağıtım A.Ş." in html and order.dealer.title in html and "5f0c6c9e-0042" in html
    for n in (1, 2, 3):
        assert f"SKU-{n:03d}" in html and f"Ürün {n}" in html
    assert "%10" in html and "%20" in html  # one VAT row per rate, in Turkish
    assert html.count('class="vat"') == 2
    assert "data-no-lines" not in html
    english = document_html(invoice, language="en")
    assert "Unit price (net)" in english
    pdf = dealer_client.get(reverse("dealers:document_pdf", args=[invoice.pk]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_invoice_pdf_without_lines_says_so_and_shows_the_totals(order):
    invoice = document(order, "FTR-2", lines=0, gross=D("118.00"), net=D("100.00"), vat=D("18.00"))
    html = document_html(invoice, language="en")
    assert "data-no-lines" in html and "The ERP sent no lines" in html
    assert "118.00" in html or "118,00" in html
    assert document_pdf(invoice, language="en").startswith(b"%PDF")


def test_document_dates_sort_oldest_first_on_the_order_page(dealer_client, order):
    late = document(order, "FTR-LATE", lines=0, issued_on=date(2026, 11, 20) + timedelta(days=5))
    early = document(order, "IRS-EARLY", DealerDocument.Kind.DELIVERY, 0)
    html = dealer_client.get(reverse("orders:order_detail", args=[order.number])).content.decode()
    assert html.index(early.number) < html.index(late.number)
