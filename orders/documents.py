"""The order confirmation a dealer keeps: a PDF in the reader's language, rendered offline from an HTML template.

Rendering never reaches the network or the file system: the template is self-contained (inline CSS, system fonts)
and weasyprint gets no base URL and a URL fetcher that only accepts ``data:`` URLs.
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import translation

from b2bportal.pdf import company_details, pdf_render
from b2bportal.vat import vat_breakdown
from orders.models import Order, OrderLine

CONFIRMATION_TEMPLATE = "orders/confirmation_pdf.html"


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
    return pdf_render(html)
