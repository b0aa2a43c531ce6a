"""Admin for the dealers' item codes (with CSV/XLSX import and export) and the EDI messages received (read-only:
the message, its answer, the order it made, the error when it was refused)."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from import_export import fields

from b2bportal.admin_site import ViewOnlyMixin
from b2bportal.staff_imports import CodeWidget, PortalOwnedResource, StaffExportMixin, StaffImportExportMixin
from catalog.models import Product, Unit
from dealers.models import Dealer
from orders.models import DealerItemCode, EdiMessage, Order


class DealerItemCodeResource(PortalOwnedResource):
    """Columns: dealer (its code), code (the dealer's item code), product (SKU), unit (optional unit code).
    A row of an existing dealer and code changes its product or unit."""

    dealer = fields.Field(
        attribute="dealer",
        column_name="dealer",
        widget=CodeWidget(Dealer, "code", _("No dealer with the code %(code)s.")),
    )
    product = fields.Field(
        attribute="product",
        column_name="product",
        widget=CodeWidget(Product, "sku", _("No product with the code %(code)s.")),
    )
    unit = fields.Field(
        attribute="unit", column_name="unit", widget=CodeWidget(Unit, "code", _("No unit with the code %(code)s."))
    )

    class Meta:
        model = DealerItemCode
        fields = ("dealer", "code", "product", "unit")
        import_id_fields = ("dealer", "code")
        skip_unchanged = True
        report_skipped = True


@admin.register(DealerItemCode)
class DealerItemCodeAdmin(StaffImportExportMixin, admin.ModelAdmin):
    resource_classes = [DealerItemCodeResource]
    list_display = ("dealer", "code", "product", "unit", "updated_at")
    list_filter = ("dealer",)
    search_fields = ("code", "product__sku", "dealer__code", "dealer__title")
    autocomplete_fields = ("dealer", "product")
    list_select_related = ("dealer", "product", "unit")


@admin.register(EdiMessage)
class EdiMessageAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "format",
        "channel",
        "status",
        "dealer",
        "sender",
        "reference",
        "message_reference",
        "order",
    )
    list_filter = ("status", "format", "channel")
    search_fields = ("sender", "reference", "document_number", "dealer__code", "order__number")
    list_select_related = ("dealer", "order")
    readonly_fields = (
        "created_at",
        "format",
        "channel",
        "status",
        "dealer",
        "sender",
        "reference",
        "message_reference",
        "document_number",
        "order",
        "error",
        "payload",
        "response",
        "contrl",
    )
    fieldsets = (
        (None, {"fields": ("created_at", "format", "channel", "status", "dealer", "order", "error")}),
        (_("Interchange"), {"fields": ("sender", "reference", "message_reference", "document_number")}),
        (_("Documents"), {"fields": ("payload", "response", "contrl")}),
    )


class OrderExportResource(PortalOwnedResource):
    dealer = fields.Field(attribute="dealer__code", column_name="dealer")

    class Meta:
        model = Order
        fields = (
            "number",
            "dealer",
            "status",
            "po_number",
            "payment_method",
            "currency",
            "total_net",
            "total_vat",
            "total_gross",
            "placed_at",
            "erp_document_number",
        )
        export_order = fields


__all__ = ["DealerItemCodeAdmin", "EdiMessageAdmin", "OrderExportResource", "StaffExportMixin"]
