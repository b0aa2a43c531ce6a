"""The catalogue as this dealer sees it: products with the dealer's price, VAT, units and packs, availability and
its *as of*; one product's price for a quantity and unit with the explanation; stock for a list of SKUs.

Visibility, prices and stock come from ``catalog.selectors``, ``catalog.pricing`` and ``catalog.availability``,
the same as the catalogue pages; a page is a constant number of queries whatever its size."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from api.problems import Problem
from api.reports import availability_report, price_report, product_report
from api.serializers import PriceExplainedOut, ProblemOut, ProductOut, ProductPageOut, StockListOut
from api.views.base import ApiView, keyset_page, parse_datetime_param
from b2bportal.text import code_key
from catalog.availability import availability_for_products
from catalog.models import Brand, Category
from catalog.pricing import DealerPricing
from catalog.selectors import CatalogFilters, catalog_products, visible_product_or_404, visible_products

MAX_STOCK_SKUS = 200
ERRORS = {400: ProblemOut, 401: ProblemOut, 403: ProblemOut, 429: ProblemOut}


def _bool(value: str) -> bool:
    return value.strip().lower() in ("1", "true", "yes", "on")


def _code_id(model, code: str, name: str) -> int:
    found = model.objects.filter(code=code).values_list("pk", flat=True).first()
    if found is None:
        raise Problem(
            400, "invalid", _("No such code: %(code)s.") % {"code": code[:64]}, errors={name: [_("Unknown code.")]}
        )
    return found


class ProductListApi(ApiView):
    @extend_schema(
        operation_id="list_products",
        summary="List the catalogue",
        description=(
            "The products this dealer may order, each with the dealer's price at its minimum order quantity, VAT, "
            "units and packs, and availability with its *as of* time. Keyset paging: follow `next` (or pass "
            "`cursor`). For a delta sync pass `updated_since` (the `as_of` of the previous sync)."
        ),
        parameters=[
            OpenApiParameter("q", str, description="Search text (name, SKU, barcode, brand)."),
            OpenApiParameter("category", str, description="Category code (its subcategories included)."),
            OpenApiParameter("brand", str, description="Brand code."),
            OpenApiParameter("in_stock", bool, description="Only products available now."),
            OpenApiParameter("updated_since", OpenApiTypes.DATETIME, description="Products changed since then."),
            OpenApiParameter("cursor", str, description="The `next_cursor` of the previous page."),
            OpenApiParameter("page_size", int, description="1–200, default 50."),
        ],
        responses={200: ProductPageOut, **ERRORS},
        tags=["catalogue"],
    )
    def get(self, request):
        params = request.query_params
        as_of = timezone.now()
        filters = CatalogFilters(
            q=params.get("q", "").strip()[:200],
            category_id=_code_id(Category, params["category"], "category") if params.get("category") else None,
            brand_id=_code_id(Brand, params["brand"], "brand") if params.get("brand") else None,
            in_stock=_bool(params.get("in_stock", "")),
        )
        pricing = DealerPricing(request.dealer_user.dealer)
        products = catalog_products(pricing=pricing, filters=filters)
        since = parse_datetime_param(request, "updated_since")
        if since is not None:
            products = products.filter(updated_at__gte=since)
        rows, next_cursor, next_url = keyset_page(request, products)
        pricing.prime(rows, packs=True)
        stock = availability_for_products(rows)
        results = [product_report(p, pricing.price(p, p.min_order_qty), stock[p.pk], pricing.packs(p)) for p in rows]
        return Response({"results": results, "next_cursor": next_cursor, "next": next_url, "as_of": as_of})


class ProductDetailApi(ApiView):
    @extend_schema(
        operation_id="get_product",
        summary="One product",
        description="A product this dealer may see, as in the list; 404 for any other.",
        responses={200: ProductOut, 404: ProblemOut, **ERRORS},
        tags=["catalogue"],
    )
    def get(self, request, sku: str):
        pricing = DealerPricing(request.dealer_user.dealer)
        product = visible_product_or_404(pricing=pricing, sku=sku)
        pricing.prime([product], packs=True)
        stock = availability_for_products([product])
        return Response(
            product_report(
                product, pricing.price(product, product.min_order_qty), stock[product.pk], pricing.packs(product)
            )
        )


class ProductPriceApi(ApiView):
    @extend_schema(
        operation_id="get_product_price",
        summary="Price for a quantity and unit",
        description=(
            "This dealer's unit price for `quantity` in `unit` (the base unit when left out), the line's totals, and "
            "the explanation of every step (list price, quantity break, agreement, currency, VAT). Without a price, "
            "`priced` is false and `reason` says why."
        ),
        parameters=[
            OpenApiParameter("quantity", str, description="Quantity in the unit, e.g. 12 or 2.5 (default 1)."),
            OpenApiParameter("unit", str, description="Unit code: the base unit or a pack the product is sold in."),
        ],
        responses={200: PriceExplainedOut, 404: ProblemOut, **ERRORS},
        tags=["catalogue"],
    )
    def get(self, request, sku: str):
        pricing = DealerPricing(request.dealer_user.dealer)
        product = visible_product_or_404(pricing=pricing, sku=sku)
        try:
            quantity = Decimal(request.query_params.get("quantity", "1"))
        except InvalidOperation:
            quantity = Decimal("NaN")
        if not quantity.is_finite() or quantity <= 0:
            raise Problem(
                400, "invalid_quantity", _("The quantity must be above zero."), errors={"quantity": [_("Above zero.")]}
            )
        pricing.prime([product], packs=True)
        unit = None
        code = request.query_params.get("unit", "").strip()
        if code and code_key(code) != code_key(product.base_unit.code):
            pack = next((p for p in pricing.packs(product) if code_key(p.unit.code) == code_key(code)), None)
            if pack is None or not pack.is_sales_unit:
                message = _("%(sku)s is not sold in unit %(unit)s.") % {"sku": product.sku, "unit": code}
                raise Problem(400, "unknown_unit", message, errors={"unit": [_("Not sold in this unit.")]})
            unit = pack.unit
        return Response(price_report(pricing.price(product, quantity, unit), explain=True))


class StockApi(ApiView):
    @extend_schema(
        operation_id="get_stock",
        summary="Stock for a list of SKUs",
        description=(
            "Availability (free stock in sellable warehouses, per warehouse, each with its *as of*) of up to 200 "
            "SKUs, given as `sku=A&sku=B` or `sku=A,B`. SKUs not found or not visible to this dealer are listed in "
            "`unknown`, alike."
        ),
        parameters=[
            OpenApiParameter("sku", str, many=True, required=True, description="SKUs (repeat or comma-separate).")
        ],
        responses={200: StockListOut, **ERRORS},
        tags=["catalogue"],
    )
    def get(self, request):
        skus = list(
            dict.fromkeys(s.strip() for raw in request.query_params.getlist("sku") for s in raw.split(",") if s.strip())
        )
        if not skus or len(skus) > MAX_STOCK_SKUS:
            raise Problem(
                400, "invalid", _("Give from 1 to %(max)s SKUs.") % {"max": MAX_STOCK_SKUS},
                errors={"sku": [_("From 1 to %(max)s SKUs.") % {"max": MAX_STOCK_SKUS}]},
            )  # fmt: skip
        pricing = DealerPricing(request.dealer_user.dealer)
        products = list(visible_products(pricing=pricing).filter(sku__in=skus).select_related("base_unit"))
        stock = availability_for_products(products)
        by_sku = {p.sku: p for p in products}
        results = [
            {"sku": sku, **availability_report(stock[by_sku[sku].pk], warehouses=True)} for sku in skus if sku in by_sku
        ]
        return Response({"results": results, "unknown": [sku for sku in skus if sku not in by_sku]})
