"""Request bodies the API reads (validated per field), and the shapes it answers (``api.reports``), described for
the OpenAPI schema. Amounts and quantities are decimal strings, as stored: no float ever carries money."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from orders.models import Order
from orders.quick_order import MAX_QUANTITY, MAX_ROWS, MAX_SKU_LENGTH

Dec = serializers.CharField  # a decimal as a string, e.g. "12.500"


# --- requests -------------------------------------------------------------------------------------------------


class LineIn(serializers.Serializer):
    sku = serializers.CharField(max_length=MAX_SKU_LENGTH, help_text=_("SKU or barcode (of the product or a pack)."))
    quantity = serializers.DecimalField(
        max_digits=14, decimal_places=3, min_value=Decimal("0.001"), max_value=MAX_QUANTITY
    )
    unit = serializers.CharField(max_length=16, required=False, allow_blank=True, default="")


class LinesIn(serializers.Serializer):
    lines = LineIn(many=True, allow_empty=False, max_length=MAX_ROWS)


class QuoteAcceptIn(serializers.Serializer):
    """The terms of an order: what accepting a quote asks, and placing an order too (``OrderIn``)."""

    payment_method = serializers.ChoiceField(
        choices=Order.PaymentMethod.choices, default=Order.PaymentMethod.ON_ACCOUNT
    )
    delivery_address = serializers.IntegerField(required=False, allow_null=True, default=None)
    po_number = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class OrderIn(LinesIn, QuoteAcceptIn):
    requested_delivery_date = serializers.DateField(required=False, allow_null=True, default=None)


class CancelIn(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


# --- answers (schema) -----------------------------------------------------------------------------------------


class CursorPageOut(serializers.Serializer):
    """A page of a list read with a cursor; each list's page adds its ``results``."""

    next_cursor = serializers.CharField(allow_null=True)
    next = serializers.CharField(allow_null=True)


class PriceOut(serializers.Serializer):
    priced = serializers.BooleanField()
    currency = serializers.CharField(required=False)
    quantity = Dec(required=False)
    unit = serializers.CharField(required=False)
    unit_factor = Dec(required=False)
    net = Dec(required=False)
    vat_rate = Dec(required=False)
    vat = Dec(required=False)
    gross = Dec(required=False)
    priced_on = serializers.DateField(required=False)
    reason = serializers.CharField(required=False, help_text=_("Why there is no price (when not priced)."))
    message = serializers.CharField(required=False)


class StepOut(serializers.Serializer):
    kind = serializers.CharField()
    amount = Dec()
    currency = serializers.CharField()
    text = serializers.CharField()


class AmountsOut(serializers.Serializer):
    net = Dec()
    vat = Dec()
    gross = Dec()


class PriceExplainedOut(PriceOut):
    line = AmountsOut(required=False)
    explanation = serializers.CharField()
    steps = StepOut(many=True, required=False)


class WarehouseOut(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    available = Dec()
    as_of = serializers.DateTimeField(allow_null=True)


class AvailabilityOut(serializers.Serializer):
    available = Dec()
    status = serializers.CharField(help_text="in_stock, low or out.")
    as_of = serializers.DateTimeField(allow_null=True)


class StockOut(AvailabilityOut):
    sku = serializers.CharField()
    warehouses = WarehouseOut(many=True)


class StockListOut(serializers.Serializer):
    results = StockOut(many=True)
    unknown = serializers.ListField(child=serializers.CharField(), help_text=_("SKUs not found or not visible."))


class UnitOut(serializers.Serializer):
    code = serializers.CharField()
    decimals = serializers.IntegerField()


class PackOut(serializers.Serializer):
    unit = serializers.CharField()
    factor = Dec()
    barcode = serializers.CharField()


class ProductOut(serializers.Serializer):
    sku = serializers.CharField()
    name = serializers.CharField()
    name_en = serializers.CharField()
    barcode = serializers.CharField()
    brand = serializers.CharField(allow_null=True)
    category = serializers.CharField(allow_null=True)
    unit = UnitOut()
    packs = PackOut(many=True)
    vat_rate = Dec()
    min_order_qty = Dec()
    order_multiple = Dec()
    price = PriceOut(help_text=_("This dealer's price at the minimum order quantity."))
    availability = AvailabilityOut()
    updated_at = serializers.DateTimeField()


class ProductPageOut(CursorPageOut):
    results = ProductOut(many=True)
    as_of = serializers.DateTimeField(help_text=_("Use as updated_since of the next delta sync."))


class RowOut(serializers.Serializer):
    line_nos = serializers.ListField(child=serializers.IntegerField())
    sku = serializers.CharField()
    status = serializers.CharField(
        help_text="ok, adjusted, unknown_sku, not_orderable, no_price, invalid_quantity or unknown_unit."
    )
    orderable = serializers.BooleanField()
    product = serializers.CharField(allow_null=True)
    requested = Dec(allow_null=True)
    quantity = Dec(allow_null=True)
    unit = serializers.CharField(allow_null=True)
    price = PriceOut(allow_null=True)
    message = serializers.CharField()


class ValidationOut(serializers.Serializer):
    orderable = serializers.BooleanField(help_text=_("Whether every line can be ordered exactly as given."))
    lines = RowOut(many=True)


class OrderLineOut(serializers.Serializer):
    line_no = serializers.IntegerField()
    sku = serializers.CharField()
    name = serializers.CharField()
    unit = serializers.CharField()
    quantity = Dec()
    unit_price_net = Dec()
    vat_rate = Dec()
    line_net = Dec()
    line_vat = Dec()
    line_gross = Dec()
    shipped = Dec()
    backordered = Dec()


class OrderOut(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.CharField()
    po_number = serializers.CharField()
    payment_method = serializers.CharField()
    currency = serializers.CharField()
    total_net = Dec()
    total_vat = Dec()
    total_gross = Dec()
    placed_at = serializers.DateTimeField(allow_null=True)
    updated_at = serializers.DateTimeField()
    requested_delivery_date = serializers.DateField(allow_null=True)
    erp_document_number = serializers.CharField()


class OrderDetailOut(OrderOut):
    note = serializers.CharField()
    delivery_address = serializers.CharField()
    hold_reasons = serializers.ListField(child=serializers.CharField())
    lines = OrderLineOut(many=True)


class OrderPageOut(CursorPageOut):
    results = OrderOut(many=True)


class StatusChangeOut(serializers.Serializer):
    from_status = serializers.CharField()
    status = serializers.CharField()
    source = serializers.CharField()
    reason = serializers.CharField()
    changed_at = serializers.DateTimeField()


class QuoteLineOut(serializers.Serializer):
    line_no = serializers.IntegerField()
    sku = serializers.CharField()
    unit = serializers.CharField()
    quantity = Dec()
    quoted_price_net = Dec(allow_null=True)
    quoted_price_gross = Dec(allow_null=True)
    vat_rate = Dec(allow_null=True)


class QuoteVersionOut(serializers.Serializer):
    number = serializers.IntegerField()
    valid_until = serializers.DateField(allow_null=True)
    sent_at = serializers.DateTimeField()
    total_gross = Dec()
    lines = QuoteLineOut(many=True)


class QuoteOut(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.CharField()
    order = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    sent_version = serializers.IntegerField(allow_null=True)
    sent_total = Dec(allow_null=True)
    valid_until = serializers.DateField(allow_null=True)


class QuoteDetailOut(QuoteOut):
    versions = QuoteVersionOut(many=True)


class QuotePageOut(CursorPageOut):
    results = QuoteOut(many=True)


class DocumentLineOut(serializers.Serializer):
    line_no = serializers.IntegerField()
    item_code = serializers.CharField()
    sku = serializers.CharField(allow_null=True)
    description = serializers.CharField()
    quantity = Dec()
    unit = serializers.CharField()
    unit_price = Dec(allow_null=True)
    discount_percent = Dec(allow_null=True)
    vat_rate = Dec(allow_null=True)
    line_net = Dec(allow_null=True)
    line_vat = Dec(allow_null=True)


class DocumentOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField(help_text="The document's kind: delivery note, invoice or credit memo.")
    number = serializers.CharField()
    issued_on = serializers.DateField()
    due_on = serializers.DateField(allow_null=True)
    currency = serializers.CharField()
    net = Dec(allow_null=True)
    vat = Dec(allow_null=True)
    gross = Dec(allow_null=True)
    order = serializers.CharField(allow_null=True)
    carrier = serializers.CharField()
    tracking_number = serializers.CharField()
    tracking_url = serializers.CharField()
    as_of = serializers.DateTimeField(allow_null=True)


class DocumentDetailOut(DocumentOut):
    lines = DocumentLineOut(many=True)


class DocumentPageOut(CursorPageOut):
    results = DocumentOut(many=True)


class CreditOut(serializers.Serializer):
    currency = serializers.CharField()
    credit_limit = Dec()
    erp_balance = Dec()
    erp_open_orders = Dec()
    portal_pending = Dec()
    exposure = Dec()
    available = Dec()
    on_hold = serializers.BooleanField()
    hold_reason = serializers.CharField()
    credit_limit_as_of = serializers.DateTimeField(allow_null=True)
    erp_balance_as_of = serializers.DateTimeField(allow_null=True)


class AccountOut(serializers.Serializer):
    currency = serializers.CharField()
    balance = Dec()
    open_total = Dec()
    overdue = Dec()
    ledger_as_of = serializers.DateTimeField(allow_null=True)
    credit = CreditOut()


class OpenItemOut(serializers.Serializer):
    document_number = serializers.CharField()
    kind = serializers.CharField()
    posted_on = serializers.DateField()
    due_on = serializers.DateField()
    amount = Dec()
    open_amount = Dec()
    paid_in_portal = Dec()
    days_overdue = serializers.IntegerField()


class OpenItemsOut(serializers.Serializer):
    on = serializers.DateField()
    currency = serializers.CharField()
    total = Dec()
    overdue = Dec()
    unapplied_credit = Dec()
    as_of = serializers.DateTimeField(allow_null=True)
    buckets = serializers.ListField(child=serializers.DictField())
    items = OpenItemOut(many=True)


class StatementLineOut(serializers.Serializer):
    posted_on = serializers.DateField()
    kind = serializers.CharField()
    document_number = serializers.CharField()
    description = serializers.CharField()
    due_on = serializers.DateField(allow_null=True)
    debit = Dec(allow_null=True)
    credit = Dec(allow_null=True)
    balance = Dec()


class StatementOut(serializers.Serializer):
    currency = serializers.CharField()
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    opening = Dec()
    total_debit = Dec()
    total_credit = Dec()
    closing = Dec()
    as_of = serializers.DateTimeField(allow_null=True)
    lines = StatementLineOut(many=True)


class ProblemOut(serializers.Serializer):
    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    code = serializers.CharField(help_text=_("The reason code (docs/api.md lists them)."))
    errors = serializers.DictField(required=False, help_text=_("Validation errors per field."))
