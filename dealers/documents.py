"""PDFs the dealer downloads from the account pages: the statement of account, and a document (invoice, delivery
note, credit memo) drawn by the portal from the ERP's data when the ERP gives no file. Rendered offline like the
order confirmation: self-contained HTML, no external resources."""

from __future__ import annotations

from b2bportal.pdf import html_render, pdf_render
from dealers.account import Statement
from dealers.models import DealerDocument

STATEMENT_TEMPLATE = "dealers/statement_pdf.html"
DOCUMENT_TEMPLATE = "dealers/document_pdf.html"


def _pdf(template: str, context: dict, language: str) -> bytes:
    return pdf_render(html_render(template, context, language))


def statement_pdf(statement: Statement, *, language: str) -> bytes:
    """The statement of account as an A4 PDF in ``language``."""
    return _pdf(STATEMENT_TEMPLATE, {"statement": statement, "dealer": statement.dealer}, language)


def document_pdf(document: DealerDocument, *, language: str) -> bytes:
    """A delivery note, invoice or credit memo as the ERP described it, as an A4 PDF in ``language``. The
    portal's copy for reference: the legal document is the ERP's (or the e-invoice, when there is one)."""
    return _pdf(DOCUMENT_TEMPLATE, {"document": document, "dealer": document.dealer}, language)
