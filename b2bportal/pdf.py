"""PDF documents the portal renders (order confirmations, statements, invoices as the portal's copy): offline, from
self-contained HTML, with the seller's details from settings.

Rendering never reaches the network or the file system: templates carry inline CSS and use system fonts, and
weasyprint gets no base URL and a URL fetcher that only accepts ``data:`` URLs.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse


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


def html_render(template: str, context: dict, language: str) -> str:
    """``template`` rendered in ``language`` (the nearest the portal speaks) with the seller's details as
    ``company``."""
    language = translation.get_supported_language_variant(language)
    with translation.override(language):
        return render_to_string(template, {**context, "company": company_details()})


def pdf_render(html: str) -> bytes:
    """An A4 PDF of self-contained ``html``, loading nothing from outside."""
    return HTML(string=html, base_url=None, url_fetcher=OfflineURLFetcher()).write_pdf()
