"""Orders through the API: the dry run (quick order's row report), cart-less placement through ``order_place``
(``orders.services.lines``), the order list and detail, status history and cancellation while the dealer may
still cancel — each through the same selectors and services as the order pages."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from api.idempotency import idempotent, order_key
from api.models import Scope
from api.problems import Problem
from api.reports import order_report, row_report, status_change_report
from api.serializers import (
    CancelIn,
    LinesIn,
    OrderDetailOut,
    OrderIn,
    OrderPageOut,
    ProblemOut,
    StatusChangeOut,
    ValidationOut,
)
from api.views.base import ApiView, keyset_page, parse_datetime_param
from dealers.access import scoped
from dealers.models import DealerAddress
from orders.quick_order import QuickOrderRow
from orders.selectors import order_get_for_dealer_user, order_list_for_dealer_user
from orders.services import order_dealer_cancel
from orders.services.lines import order_lines_check, order_place_lines
from orders.status import OrderStatus

ERRORS = {400: ProblemOut, 401: ProblemOut, 403: ProblemOut, 429: ProblemOut}
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    location=OpenApiParameter.HEADER,
    required=True,
    description="A unique key per order (a UUID): a retry with the same key and body gets the first answer.",
)


def _rows(lines: list[dict]) -> list[QuickOrderRow]:
    return [
        QuickOrderRow(
            line_no=number,
            sku=line["sku"].strip(),
            quantity=line["quantity"],
            unit_code=line.get("unit", "").strip(),
            raw=f"{line['sku']} {line['quantity']} {line.get('unit', '')}".strip(),
        )
        for number, line in enumerate(lines, start=1)
    ]


def delivery_address_for(request, pk: int | None):
    addresses = scoped(
        DealerAddress.objects.filter(kind=DealerAddress.Kind.SHIPPING, is_active=True), request.dealer_user
    )
    if pk is None:
        return addresses.order_by("-is_default", "pk").first()
    address = addresses.filter(pk=pk).first()
    if address is None:
        raise Problem(
            400, "invalid", _("Choose one of your delivery addresses."),
            errors={"delivery_address": [_("Not one of your delivery addresses.")]},
        )  # fmt: skip
    return address


class OrderListApi(ApiView):
    required_scopes = {"POST": Scope.ORDER}

    @extend_schema(
        operation_id="list_orders",
        summary="List orders",
        description=(
            "The dealer's orders, newest first (a buyer's key: the orders its user placed). Filter by `status` and "
            "`updated_since`; keyset paging with `cursor`."
        ),
        parameters=[
            OpenApiParameter("status", str, enum=OrderStatus.values),
            OpenApiParameter("updated_since", OpenApiTypes.DATETIME),
            OpenApiParameter("cursor", str),
            OpenApiParameter("page_size", int, description="1–200, default 50."),
        ],
        responses={200: OrderPageOut, **ERRORS},
        tags=["orders"],
    )
    def get(self, request):
        orders = order_list_for_dealer_user(dealer_user=request.dealer_user)
        status = request.query_params.get("status", "")
        if status:
            orders = orders.filter(status=status)
        since = parse_datetime_param(request, "updated_since")
        if since is not None:
            orders = orders.filter(updated_at__gte=since)
        rows, next_cursor, next_url = keyset_page(request, orders, descending=True)
        return Response({"results": [order_report(o) for o in rows], "next_cursor": next_cursor, "next": next_url})

    @extend_schema(
        operation_id="place_order",
        summary="Place an order",
        description=(
            "Places an order of `lines` without a cart, through the same placement as the portal's checkout: "
            "prices, credit, stock and approval rules apply. Every line must be orderable exactly as given (see "
            "the dry run); otherwise 422 `lines_refused` with the row report. A placement rule that blocks answers "
            "422 with its reason code (`credit_hold`, `credit_limit`, `stock`…). Requires `Idempotency-Key`."
        ),
        parameters=[IDEMPOTENCY_HEADER],
        request=OrderIn,
        responses={201: OrderDetailOut, 422: ProblemOut, **ERRORS},
        tags=["orders"],
    )
    @idempotent
    def post(self, request):
        data = OrderIn(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        order = order_place_lines(
            dealer_user=request.dealer_user,
            idempotency_key=order_key(request),
            rows=_rows(values["lines"]),
            payment_method=values["payment_method"],
            delivery_address=delivery_address_for(request, values["delivery_address"]),
            po_number=values["po_number"],
            requested_delivery_date=values["requested_delivery_date"],
            note=values["note"],
        )
        location = reverse("api:order_detail", args=[order.number])
        return Response(order_report(order, lines=True), status=201, headers={"Location": location})


class OrderValidateApi(ApiView):
    required_scope = Scope.ORDER

    @extend_schema(
        operation_id="validate_order_lines",
        summary="Check lines without ordering (dry run)",
        description=(
            "Quick order's row report for `lines`: what each would order (SKU, barcode or pack barcode resolved, "
            "quantity, unit, price) or why not (`unknown_sku`, `not_orderable`, `no_price`, `invalid_quantity`, "
            "`unknown_unit`; `adjusted` says which quantity the product's minimum or multiple would need). "
            "Nothing is saved."
        ),
        request=LinesIn,
        responses={200: ValidationOut, **ERRORS},
        tags=["orders"],
    )
    def post(self, request):
        data = LinesIn(data=request.data)
        data.is_valid(raise_exception=True)
        report = order_lines_check(dealer_user=request.dealer_user, rows=_rows(data.validated_data["lines"]))
        return Response({"orderable": all(line.status == "ok" for line in report), "lines": row_report(report)})


class OrderDetailApi(ApiView):
    @extend_schema(
        operation_id="get_order",
        summary="One order",
        description="An order with its lines; another dealer's order (or one a buyer's key may not see) is 404.",
        responses={200: OrderDetailOut, 404: ProblemOut, **ERRORS},
        tags=["orders"],
    )
    def get(self, request, number: str):
        order = order_get_for_dealer_user(dealer_user=request.dealer_user, number=number)
        return Response(order_report(order, lines=True))


class OrderHistoryApi(ApiView):
    @extend_schema(
        operation_id="get_order_history",
        summary="An order's status history",
        description="Every status change of the order, oldest first: from, to, source and reason.",
        responses={200: StatusChangeOut(many=True), 404: ProblemOut, **ERRORS},
        tags=["orders"],
    )
    def get(self, request, number: str):
        order = order_get_for_dealer_user(dealer_user=request.dealer_user, number=number)
        changes = sorted(order.status_changes.all(), key=lambda change: (change.created_at, change.pk))
        return Response([status_change_report(change) for change in changes])


class OrderCancelApi(ApiView):
    required_scope = Scope.ORDER

    @extend_schema(
        operation_id="cancel_order",
        summary="Cancel an order",
        description=(
            "Cancels the order while the dealer may still cancel it (before the seller starts preparing it); "
            "otherwise 409 `not_allowed`. Cancelling a cancelled order is 409 too."
        ),
        request=CancelIn,
        responses={200: OrderDetailOut, 404: ProblemOut, 409: ProblemOut, **ERRORS},
        tags=["orders"],
    )
    def post(self, request, number: str):
        data = CancelIn(data=request.data)
        data.is_valid(raise_exception=True)
        order = order_get_for_dealer_user(dealer_user=request.dealer_user, number=number)
        order_dealer_cancel(order=order, dealer_user=request.dealer_user, reason=data.validated_data["reason"])
        order = order_get_for_dealer_user(dealer_user=request.dealer_user, number=number)
        return Response(order_report(order, lines=True))
