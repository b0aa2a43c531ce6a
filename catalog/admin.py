"""Admin for the catalogue. Products and price items are large tables: never a <select> of them, no full counts."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Count
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from import_export import fields

from b2bportal.admin_site import ViewOnlyMixin
from b2bportal.staff_imports import CodeWidget, PortalOwnedResource, StaffImportExportMixin
from catalog.admin_media import ProductDocumentInline, ProductImageInline
from catalog.availability import availability_for
from catalog.forms import PriceCheckForm
from catalog.hooks import erp_bound
from catalog.media import product_images_settle
from catalog.models import (
    Brand,
    Category,
    DealerAgreement,
    ExchangeRate,
    PriceList,
    PriceListItem,
    Product,
    ProductUnit,
    StockAlert,
    StockLevel,
    Unit,
    Warehouse,
)
from catalog.pricing import DealerPricing
from catalog.selectors import product_visibility
from dealers.models import Dealer


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "parent", "sort_order", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name", "name_en")
    list_select_related = ("parent",)
    autocomplete_fields = ("parent",)
    readonly_fields = ("created_at", "updated_at")


@admin.register(Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")
    readonly_fields = ("created_at", "updated_at")


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "decimals")
    search_fields = ("code", "name", "name_en")
    readonly_fields = ("created_at", "updated_at")


class ProductUnitInline(admin.TabularInline):
    model = ProductUnit
    fields = ("unit", "factor", "barcode", "is_sales_unit")
    extra = 0


class ProductTextResource(PortalOwnedResource):
    """Product texts and low-stock levels by SKU: the fields the portal keeps itself. Names, codes, units, VAT,
    status and quantity rules come with the ERP's product feed and are refused as columns; a SKU the portal does
    not know is a row error (products are created by the sync)."""

    erp_owned = dict.fromkeys(
        (
            "name",
            "name_en",
            "barcode",
            "base_unit",
            "vat_rate",
            "status",
            "min_order_qty",
            "order_multiple",
            "category",
            "brand",
            "batch_managed",
        ),
        "product",
    )

    class Meta:
        model = Product
        fields = ("sku", "description", "description_en", "low_stock_level")
        import_id_fields = ("sku",)
        skip_unchanged = True
        report_skipped = True

    def init_instance(self, row=None):
        raise ValueError(
            _("No product with SKU %(sku)s; products are created by the ERP sync.") % {"sku": row.get("sku")}
        )


@admin.register(Product)
class ProductAdmin(StaffImportExportMixin, admin.ModelAdmin):
    resource_classes = [ProductTextResource]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ("sku", "name", "category", "brand", "base_unit", "vat_rate", "batch_managed", "status")
    list_filter = ("status", "category", "brand", "vat_rate", "batch_managed")
    search_fields = ("sku", "name", "name_en", "barcode")
    list_select_related = ("category", "brand", "base_unit")
    autocomplete_fields = ("category", "brand", "base_unit")
    readonly_fields = ("created_at", "updated_at")
    show_full_result_count = False
    inlines = (ProductUnitInline, ProductImageInline, ProductDocumentInline)
    change_list_template = "admin/catalog/product/change_list.html"

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Pictures added, removed or reordered: one primary, its thumbnail on the product row.
        product_images_settle(product=form.instance)

    def get_urls(self):
        price_check = self.admin_site.admin_view(self.price_check_view)
        return [path("price-check/", price_check, name="catalog_product_price_check"), *super().get_urls()]

    def price_check_view(self, request):
        """A dealer's price for a product with its explanation, and why the product is or is not in that dealer's
        catalogue — answered by the same functions the dealer pages use."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = PriceCheckForm(request.GET or None)
        result = None
        if form.is_bound and form.is_valid():
            data = form.cleaned_data
            pricing = DealerPricing(data["dealer"], on=data["on"])
            product = data["product"]
            result = {
                "dealer": data["dealer"],
                "product": product,
                "price": pricing.price(product, data["quantity"], data["unit"]),
                "hidden_because": product_visibility(pricing=pricing, product=product),
                "availability": availability_for(product),
            }
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Price and visibility check"),
            "form": form,
            "result": result,
        }
        return TemplateResponse(request, "admin/catalog/product/price_check.html", context)


@admin.register(ProductUnit)
class ProductUnitAdmin(admin.ModelAdmin):
    list_display = ("product", "unit", "factor", "barcode", "is_sales_unit")
    list_filter = ("is_sales_unit", "unit")
    search_fields = ("product__sku", "barcode")
    list_select_related = ("product", "unit")
    raw_id_fields = ("product",)
    show_full_result_count = False
    # The model orders by "product", which joins and sorts by SKU; by id the index does the work.
    ordering = ("product_id", "factor")


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "is_sellable", "is_active")
    list_editable = ("is_sellable",)
    list_filter = ("is_sellable", "is_active")
    search_fields = ("code", "name")
    readonly_fields = ("created_at", "updated_at")


@admin.register(StockLevel)
class StockLevelAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """Stock as imported from the ERP plus the portal's reservations: read-only here.

    On hand and committed are the ERP's figures (a hand edit would be overwritten and would make ``as_of``
    lie); ``reserved_portal`` belongs to the order services.
    """

    list_display = ("product", "warehouse", "on_hand", "committed_erp", "reserved_portal", "as_of")
    list_filter = ("warehouse",)
    search_fields = ("product__sku",)
    list_select_related = ("product", "warehouse")
    show_full_result_count = False


@admin.register(StockAlert)
class StockAlertAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """Who waits for which product to return; written only by the users' requests and the alerts task."""

    list_display = ("product", "user", "dealer", "requested_at", "notified_at")
    list_filter = (("notified_at", admin.EmptyFieldListFilter),)
    search_fields = ("product__sku", "user__email", "dealer__code")
    list_select_related = ("product", "user", "dealer")
    show_full_result_count = False


@admin.register(PriceList)
class PriceListAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "currency", "vat_included", "valid_from", "valid_to", "is_active", "item_count")
    list_filter = ("currency", "vat_included", "is_active")
    search_fields = ("code", "name")
    autocomplete_fields = ("supersedes",)
    readonly_fields = ("item_count", "created_at", "updated_at")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(item_count=Count("items"))

    # Items are far too many for an inline: a count that links to the list's items instead.
    @admin.display(description=PriceListItem._meta.verbose_name_plural, ordering="item_count")
    def item_count(self, obj: PriceList):
        if obj.pk is None:
            return ""
        url = reverse("admin:catalog_pricelistitem_changelist") + f"?price_list__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.item_count)


class PriceListItemResource(PortalOwnedResource):
    """Prices of the price lists the portal keeps (not bound to an ERP price list): price list (code), product
    (SKU), unit (optional code), min_quantity (a break, default 1), price. A row for a price list the ERP's sync
    owns is a row error."""

    price_list = fields.Field(
        attribute="price_list",
        column_name="price_list",
        widget=CodeWidget(PriceList, "code", _("No price list with the code %(code)s.")),
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
        model = PriceListItem
        fields = ("price_list", "product", "unit", "min_quantity", "price")
        import_id_fields = ("price_list", "product", "unit", "min_quantity")
        skip_unchanged = True
        report_skipped = True

    def before_import_row(self, row, **kwargs):
        if not row.get("min_quantity"):
            row["min_quantity"] = "1"
        price_list = PriceList.objects.filter(code=str(row.get("price_list") or "").strip()).first()
        if price_list is not None and price_list.pk in (
            erp_bound.first(entity="price_list", ids=[price_list.pk]) or ()
        ):
            raise ValueError(
                _("The ERP maintains price list %(code)s; change its prices there.") % {"code": price_list.code}
            )
        super().before_import_row(row, **kwargs)


@admin.register(PriceListItem)
class PriceListItemAdmin(StaffImportExportMixin, admin.ModelAdmin):
    resource_classes = [PriceListItemResource]
    list_display = ("price_list", "product", "unit", "min_quantity", "price")
    list_filter = ("price_list",)
    search_fields = ("product__sku", "product__name")
    list_select_related = ("price_list", "product", "unit")
    raw_id_fields = ("product",)
    autocomplete_fields = ("price_list",)
    show_full_result_count = False
    # The model's ordering follows three relations (code, SKU, unit code): a sorted join over every item.
    # By ids the unique break index serves the order.
    ordering = ("price_list_id", "product_id", "unit_id", "min_quantity")


class DealerAgreementResource(PortalOwnedResource):
    """Portal-made dealer agreements: id (empty for a new one), dealer (code), product (SKU) or category or brand
    (code), kind, value, currency, valid_from, valid_to, note, is_active. The ERP's agreements carry their ERP code
    and come with the sync: the ``code`` column is refused and a row changing one of them is a row error."""

    erp_owned = {"code": "agreement"}
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
    category = fields.Field(
        attribute="category",
        column_name="category",
        widget=CodeWidget(Category, "code", _("No category with the code %(code)s.")),
    )
    brand = fields.Field(
        attribute="brand",
        column_name="brand",
        widget=CodeWidget(Brand, "code", _("No brand with the code %(code)s.")),
    )

    class Meta:
        model = DealerAgreement
        fields = (
            "id",
            "dealer",
            "product",
            "category",
            "brand",
            "kind",
            "value",
            "currency",
            "valid_from",
            "valid_to",
            "note",
            "is_active",
        )
        skip_unchanged = True
        report_skipped = True

    def before_save_instance(self, instance, row, **kwargs):
        if instance.pk and DealerAgreement.objects.filter(pk=instance.pk).exclude(code="").exists():
            raise ValueError(_("Agreement %(id)s comes from the ERP; change it there.") % {"id": instance.pk})
        instance.full_clean(exclude=["code"])
        super().before_save_instance(instance, row, **kwargs)


@admin.register(DealerAgreement)
class DealerAgreementAdmin(StaffImportExportMixin, admin.ModelAdmin):
    resource_classes = [DealerAgreementResource]
    list_display = (
        "dealer",
        "kind",
        "value",
        "currency",
        "product",
        "category",
        "brand",
        "min_quantity",
        "valid_from",
        "valid_to",
    )
    list_filter = ("kind", "currency")
    search_fields = ("dealer__code", "dealer__title", "product__sku", "note")
    list_select_related = ("dealer", "product", "category", "brand")
    autocomplete_fields = ("dealer", "category", "brand")
    raw_id_fields = ("product",)
    date_hierarchy = "valid_from"
    readonly_fields = ("created_at", "updated_at")


@admin.register(ExchangeRate)
class ExchangeRateAdmin(admin.ModelAdmin):
    list_display = ("rate_date", "currency", "rate", "source")
    list_filter = ("currency", "source")
    search_fields = ("currency",)
    date_hierarchy = "rate_date"
    readonly_fields = ("created_at",)
