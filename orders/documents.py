"""The order confirmation a dealer keeps: a PDF in the reader's language, rendered offline from an HTML template.

Rendering never reaches the network or the file system: the template is self-contained (inline CSS, system fonts)
and weasyprint gets no base URL and a URL fetcher that only accepts ``data:`` URLs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from orders.models import Order, OrderLine

CONFIRMATION_TEMPLATE = "orders/confirmation_pdf.html"


@dataclass(frozen=True)
class VatRow:
    """The lines of one VAT rate: their net amount and their VAT, as stored on the lines."""

    rate: Decimal
    net: Decimal
    vat: Decimal


class OfflineURLFetcher(URLFetcher):
    """A weasyprint URL fetcher for documents: ``data:`` URLs only.

    Every other URL (http, https, ftp, file, relative) is refused with ``ValueError``, so a document can never leak
    a request to a third party, wait on a slow host or read a local file.
    """

    def __init__(self, **kwargs) -> None:
        kwargs["allowed_protocols"] = ("data",)
        kwargs["allow_redirects"] = False
        super().__init__(**kwargs)

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        if urlsplit(url.strip()).scheme.lower() != "data":
            raise ValueError(f"Documents load no external resources; refused: {url[:200]}")
        return super().fetch(url, headers)


def vat_breakdown(lines: Iterable[OrderLine]) -> list[VatRow]:
    """Net and VAT summed per VAT rate, lowest rate first.

    Sums the amounts stored on the lines (what the dealer was charged); nothing is recalculated or re-rounded.
    """
    sums: dict[Decimal, tuple[Decimal, Decimal]] = {}
    for line in lines:
        net, vat = sums.get(line.vat_rate, (Decimal("0"), Decimal("0")))
        sums[line.vat_rate] = (net + line.line_net, vat + line.line_vat)
    return [VatRow(rate=rate, net=net, vat=vat) for rate, (net, vat) in sorted(sums.items())]


def company_details() -> dict[str, str]:
    """The seller's details printed on documents, from settings (each may be empty)."""
    return {
        "name": settings.B2B_COMPANY_NAME,
        "address": settings.B2B_COMPANY_ADDRESS,
        "tax_office": settings.B2B_COMPANY_TAX_OFFICE,
        "tax_number": settings.B2B_COMPANY_TAX_NUMBER,
        "phone": settings.B2B_COMPANY_PHONE,
        "email": settings.B2B_COMPANY_EMAIL,
        "iban": settings.B2B_COMPANY_IBAN,
    }


def _order_for_document(order_id: int) -> Order:
    # Two queries whatever the number of lines: the order with its dealer, then all lines.
    lines = OrderLine.objects.order_by("line_no")
    return (
        Order.objects.select_related("dealer")
        .prefetch_related(Prefetch("lines", queryset=lines, to_attr="document_lines"))
        .get(pk=order_id)
    )


def order_confirmation_html(*, order: Order, language: str) -> str:
    """The confirmation as a self-contained HTML page in ``language``, with numbers and money in its format.

    The order is read again from the database, so the document shows what is stored, not unsaved changes. Internal
    information (hold reasons, price explanations, ERP references) is left out. Raises ``LookupError`` for a language
    the portal does not offer and ``Order.DoesNotExist`` for an order that is not saved.
    """
    language = translation.get_supported_language_variant(language)
    order = _order_for_document(order.pk)
    lines = order.document_lines
    context = {
        "order": order,
        "dealer": order.dealer,
        "lines": lines,
        "vat_rows": vat_breakdown(lines),
        "company": company_details(),
    }
    with translation.override(language):
        return render_to_string(CONFIRMATION_TEMPLATE, context)


def order_confirmation_pdf(*, order: Order, language: str) -> bytes:
    """The confirmation as an A4 PDF in ``language``; see ``order_confirmation_html`` for content and refusals."""
    html = order_confirmation_html(order=order, language=language)
    return HTML(string=html, base_url=None, url_fetcher=OfflineURLFetcher()).write_pdf()
