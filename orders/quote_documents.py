"""The quote a dealer keeps: the latest version sent to them as a PDF in the reader's language, rendered offline
like the order confirmation (``b2bportal.pdf``)."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import translation

from b2bportal.pdf import company_details, pdf_render
from orders.models import Quote
from orders.selectors import quote_versions_for_dealer

QUOTE_TEMPLATE = "orders/quote_pdf.html"


def quote_html(*, quote: Quote, language: str) -> str:
    """The quote's latest sent version as a self-contained HTML page in ``language`` (the lines asked for when
    none is sent yet). Internal figures (normal prices, stock, credit) are left out. ``LookupError`` for a
    language the portal does not offer."""
    language = translation.get_supported_language_variant(language)
    versions = quote_versions_for_dealer(quote)
    current = versions[0] if versions else None
    context = {
        "quote": quote,
        "dealer": quote.dealer,
        "version": current,
        "lines": current.shown_lines if current else [],
        "company": company_details(),
    }
    with translation.override(language):
        return render_to_string(QUOTE_TEMPLATE, context)


def quote_pdf(*, quote: Quote, language: str) -> bytes:
    return pdf_render(quote_html(quote=quote, language=language))
