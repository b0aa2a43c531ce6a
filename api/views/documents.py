"""Delivery notes, invoices and credit memos the dealer user may see (``dealers.account``), and their PDFs
(``dealers.documents``) — the same ones as the documents page."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import get_language
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response

from api.problems import Problem
from api.reports import document_report
from api.serializers import DocumentDetailOut, DocumentPageOut, ProblemOut
from api.views.base import ApiView, keyset_page, parse_datetime_param
from dealers.account import document_get_for_dealer_user, documents_for_dealer_user
from dealers.documents import document_pdf
from dealers.models import DealerDocument

ERRORS = {400: ProblemOut, 401: ProblemOut, 403: ProblemOut, 429: ProblemOut}


class DocumentListApi(ApiView):
    @extend_schema(
        operation_id="list_documents",
        summary="List documents",
        description="Delivery notes (with tracking), invoices and credit memos, newest first; filter by `kind`.",
        parameters=[
            OpenApiParameter("kind", str, enum=DealerDocument.Kind.values),
            OpenApiParameter("updated_since", OpenApiTypes.DATETIME),
            OpenApiParameter("cursor", str),
            OpenApiParameter("page_size", int),
        ],
        responses={200: DocumentPageOut, **ERRORS},
        tags=["documents"],
    )
    def get(self, request):
        documents = documents_for_dealer_user(request.dealer_user)
        kind = request.query_params.get("kind", "")
        if kind:
            if kind not in DealerDocument.Kind.values:
                raise Problem(400, "invalid", "Unknown kind.", errors={"kind": ["Unknown kind."]})
            documents = documents.filter(kind=kind)
        since = parse_datetime_param(request, "updated_since")
        if since is not None:
            documents = documents.filter(updated_at__gte=since)
        rows, next_cursor, next_url = keyset_page(request, documents, descending=True)
        return Response({"results": [document_report(d) for d in rows], "next_cursor": next_cursor, "next": next_url})


class DocumentDetailApi(ApiView):
    @extend_schema(
        operation_id="get_document",
        summary="One document",
        description="A document with its lines as the ERP sent them; another dealer's is 404.",
        responses={200: DocumentDetailOut, 404: ProblemOut, **ERRORS},
        tags=["documents"],
    )
    def get(self, request, pk: int):
        document = document_get_for_dealer_user(request.dealer_user, pk)
        return Response(document_report(document, lines=document.line_list))


class DocumentPdfApi(ApiView):
    @extend_schema(
        operation_id="get_document_pdf",
        summary="A document's PDF",
        description="The document as PDF, in the language of `Accept-Language` (Turkish by default).",
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The PDF."),
            404: ProblemOut,
            **ERRORS,
        },
        tags=["documents"],
    )
    def get(self, request, pk: int):
        document = document_get_for_dealer_user(request.dealer_user, pk)
        response = HttpResponse(document_pdf(document, language=get_language() or "tr"), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{document.kind}-{document.pk}.pdf"'
        return response
