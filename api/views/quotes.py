"""Quotes through the API: the dealer's quotes and their sent versions, and accepting one (an order placed
through ``order_place`` at the quoted prices, by ``orders.services.quotes.quote_accept``)."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from api.idempotency import idempotent
from api.models import Scope
from api.reports import order_report, quote_report
from api.serializers import OrderDetailOut, ProblemOut, QuoteAcceptIn, QuoteDetailOut, QuotePageOut
from api.views.base import ApiView, keyset_page
from api.views.orders import IDEMPOTENCY_HEADER, delivery_address_for
from orders.selectors import (
    quote_get_for_dealer_user,
    quote_list_for_dealer_user,
    quote_versions_for_dealer,
)
from orders.services.quotes import quote_accept

ERRORS = {400: ProblemOut, 401: ProblemOut, 403: ProblemOut, 429: ProblemOut}


class QuoteListApi(ApiView):
    @extend_schema(
        operation_id="list_quotes",
        summary="List quotes",
        description="The dealer's quotes, newest first, with the latest sent version's total and validity.",
        parameters=[OpenApiParameter("cursor", str), OpenApiParameter("page_size", int)],
        responses={200: QuotePageOut, **ERRORS},
        tags=["quotes"],
    )
    def get(self, request):
        quotes = quote_list_for_dealer_user(dealer_user=request.dealer_user)
        rows, next_cursor, next_url = keyset_page(request, quotes, descending=True)
        return Response({"results": [quote_report(q) for q in rows], "next_cursor": next_cursor, "next": next_url})


class QuoteDetailApi(ApiView):
    @extend_schema(
        operation_id="get_quote",
        summary="One quote",
        description="A quote with its sent versions and their lines at the quoted prices; another dealer's is 404.",
        responses={200: QuoteDetailOut, 404: ProblemOut, **ERRORS},
        tags=["quotes"],
    )
    def get(self, request, number: str):
        quote = quote_get_for_dealer_user(dealer_user=request.dealer_user, number=number)
        return Response(quote_report(quote, quote_versions_for_dealer(quote)))


class QuoteAcceptApi(ApiView):
    required_scope = Scope.ORDER

    @extend_schema(
        operation_id="accept_quote",
        summary="Accept a quote",
        description=(
            "Accepts the sent quote: an order is placed at the quoted prices (placement's credit, stock and approval "
            "rules apply). A quote not waiting for an answer, or expired, is 409 `quote_refused`. Requires "
            "`Idempotency-Key`; accepting an accepted quote answers its order."
        ),
        parameters=[IDEMPOTENCY_HEADER],
        request=QuoteAcceptIn,
        responses={201: OrderDetailOut, 404: ProblemOut, 409: ProblemOut, 422: ProblemOut, **ERRORS},
        tags=["quotes"],
    )
    @idempotent
    def post(self, request, number: str):
        data = QuoteAcceptIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        quote = quote_get_for_dealer_user(dealer_user=request.dealer_user, number=number)
        order = quote_accept(
            quote=quote,
            dealer_user=request.dealer_user,
            payment_method=values["payment_method"],
            delivery_address=delivery_address_for(request, values["delivery_address"]),
            po_number=values["po_number"],
            note=values["note"],
        )
        location = reverse("api:order_detail", args=[order.number])
        return Response(order_report(order, lines=True), status=201, headers={"Location": location})
