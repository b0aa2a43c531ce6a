"""Admin for carts and orders.

An order's status, totals, lines and money terms are read-only here: status moves only through
``orders.services.order_transition`` (which writes the audit row), and orders are placed only through the
placement service, so the admin can neither add nor delete them.
"""

from django.contrib import admin

from b2bportal.admin_site import ViewOnlyMixin
from b2bportal.money import format_money
from orders.models import Cart, CartLine, Order, OrderLine, OrderStatusChange


class ReadOnlyInline(ViewOnlyMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    # sku and name are the line's own copies: no product lookup per line.
    fields = (
        "line_no",
        "sku",
        "name",
        "unit_code",
        "quantity",
        "unit_price_net",
        "vat_rate",
        "line_net",
        "line_vat",
        "line_gross",
        "shipped_qty",
        "backordered_qty",
    )
    readonly_fields = fields


class OrderStatusChangeInline(ReadOnlyInline):
    model = OrderStatusChange
    fields = ("created_at", "from_status", "to_status", "actor", "source", "reason")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("number", "dealer", "status", "payment_method", "total", "placed_at", "erp_document_number")
    list_filter = ("status", "payment_method", "placed_at", "dealer__sales_rep")
    search_fields = ("number", "po_number", "dealer__code", "dealer__title", "erp_document_number")
    list_select_related = ("dealer",)
    date_hierarchy = "placed_at"
    # Read-only below; kept so that making one editable never renders a <select> of every dealer.
    raw_id_fields = ("dealer", "placed_by", "delivery_address")
    readonly_fields = (
        "number",
        "dealer",
        "placed_by",
        "placed_at",
        "status",
        "hold_reasons",
        "payment_method",
        "currency",
        "total_net",
        "total_vat",
        "total_gross",
        "idempotency_key",
        "delivery_address",
        "delivery_address_text",
        "erp_document_number",
        "created_at",
        "updated_at",
    )
    fields = (
        ("number", "status"),
        ("dealer", "placed_by", "placed_at"),
        "hold_reasons",
        ("payment_method", "currency"),
        ("total_net", "total_vat", "total_gross"),
        "po_number",
        "requested_delivery_date",
        ("delivery_address", "delivery_address_text"),
        "note",
        "erp_document_number",
        "idempotency_key",
        ("created_at", "updated_at"),
    )
    inlines = (OrderLineInline, OrderStatusChangeInline)

    @admin.display(description=Order._meta.get_field("total_gross").verbose_name, ordering="total_gross")
    def total(self, obj: Order) -> str:
        return format_money(obj.total_gross, obj.currency)

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deleting would take the status audit with it; orders end as cancelled or rejected.
        return False


@admin.register(OrderLine)
class OrderLineAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """Order lines are the price as ordered: never edited afterwards."""

    list_display = ("order", "line_no", "sku", "name", "quantity", "unit_code", "line_gross", "shipped_qty")
    search_fields = ("order__number", "sku")
    list_select_related = ("order",)
    show_full_result_count = False
    # The model orders by "order", i.e. a join sorted by placed_at; newest orders first, by id, is the same
    # idea without the join.
    ordering = ("-order_id", "line_no")


@admin.register(OrderStatusChange)
class OrderStatusChangeAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """The status audit, written only by the transition service."""

    list_display = ("created_at", "order", "from_status", "to_status", "actor", "source", "reason")
    list_filter = ("to_status", "from_status", "source")
    search_fields = ("order__number",)
    list_select_related = ("order", "actor")
    date_hierarchy = "created_at"


class CartLineInline(admin.TabularInline):
    model = CartLine
    fields = ("product", "unit", "quantity", "added_at")
    readonly_fields = ("added_at",)
    raw_id_fields = ("product",)
    extra = 0


@admin.register(Cart)
class CartAdmin(admin.ModelAdmin):
    list_display = ("__str__", "dealer", "owner", "kind", "is_shared", "updated_at")
    list_filter = ("kind", "is_shared")
    search_fields = ("name", "dealer__code", "dealer__title", "owner__email")
    list_select_related = ("dealer", "owner")
    autocomplete_fields = ("dealer", "owner")
    readonly_fields = ("created_at", "updated_at")
    inlines = (CartLineInline,)


@admin.register(CartLine)
class CartLineAdmin(admin.ModelAdmin):
    list_display = ("cart", "product", "unit", "quantity", "added_at")
    search_fields = ("product__sku", "cart__name", "cart__dealer__code")
    list_select_related = ("cart", "product", "unit")
    raw_id_fields = ("cart", "product")
    readonly_fields = ("added_at",)
    show_full_result_count = False
