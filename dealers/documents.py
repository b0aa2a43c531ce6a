"""PDFs the dealer downloads from the account pages: the statement of account, and a document (invoice, delivery
note, credit memo) drawn by the portal from the ERP's data when the ERP gives no file. Rendered offline like the
order confirmation: self-contained HTML, no external resources."""

from __future__ import annotations

from b2bportal.pdf import html_render, pdf_render
from b2bportal.vat import vat_breakdown
from dealers.account import Statement
from dealers.models import DealerDocument

STATEMENT_TEMPLATE = "dealers/statement_pdf.html"
DOCUMENT_TEMPLATE = "dealers/document_pdf.html"


def _pdf(template: str, context: dict, language: str) -> bytes:
    return pdf_render(html_render(template, context, language))


def statement_pdf(statement: Statement, *, language: str) -> bytes:
    """The statement of account as an A4 PDF in ``language``."""
    return _pdf(STATEMENT_TEMPLATE, {"statement": statement, "dealer": statement.dealer}, language)


def document_html(document: DealerDocument, *, language: str) -> str:
    """A delivery note, invoice or credit memo as the ERP described it, as self-contained HTML in ``language``: the
    seller, the dealer, the lines with a VAT breakdown, the totals and the e-invoice id. Without lines from the ERP it
    says so and shows the totals only. ``document`` comes from ``document_get_for_dealer_user`` (lines prefetched as
    ``line_list``); otherwise its lines are read here."""
    lines = getattr(document, "line_list", None)
    if lines is None:
        lines = list(document.lines.select_related("product").order_by("line_no"))
    context = {"document": document, "dealer": document.dealer, "lines": lines, "vat_rows": vat_breakdown(lines)}
    return html_render(DOCUMENT_TEMPLATE, context, language)


def document_pdf(document: DealerDocument, *, language: str) -> bytes:
    """``document_html`` as an A4 PDF. The portal's copy for reference: the legal document is the ERP's (or the
    e-invoice, when there is one)."""
    return pdf_render(document_html(document, language=language))
