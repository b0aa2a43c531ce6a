"""Products, units and pack sizes, warehouses and stock, price lists with quantity breaks, dealer agreements.

Prices and stock are stored here as imported from the ERP; what a dealer pays and what it can order are
answered by ``catalog/pricing.py`` and ``catalog/availability.py``, never by these models.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Coalesce
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from b2bportal.models import TimeStampedModel, currency_field, quantity_field
from b2bportal.text import code_key_sql


def round_up_to_multiple(quantity: Decimal, multiple: Decimal) -> Decimal:
    """The least multiple of ``multiple`` that is at least ``quantity``."""
    return (quantity / multiple).to_integral_value(rounding="ROUND_CEILING") * multiple


class LocalizedNameMixin(models.Model):
    """Catalogue texts in Turkish (``name``) and English (``name_en``; empty falls back to ``name``)."""

    name = models.CharField(_("name (Turkish)"), max_length=255)
    name_en = models.CharField(_("name (English)"), max_length=255, blank=True)

    class Meta:
        abstract = True

    @property
    def display_name(self) -> str:
        if (translation.get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name


class Category(LocalizedNameMixin, TimeStampedModel):
    code = models.CharField(_("code"), max_length=64, unique=True)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), on_delete=models.PROTECT, null=True, blank=True, related_name="children"
    )
    sort_order = models.IntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["sort_order", "name"]
        constraints = [models.CheckConstraint(condition=~Q(parent=models.F("pk")), name="category_not_own_parent")]

    def __str__(self) -> str:
        return self.name


class Brand(TimeStampedModel):
    code = models.CharField(_("code"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=150)

    class Meta:
        verbose_name = _("brand")
        verbose_name_plural = _("brands")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Unit(TimeStampedModel):
    """A unit of measure: piece, case, kg, metre."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name (Turkish)"), max_length=64)
    name_en = models.CharField(_("name (English)"), max_length=64, blank=True)
    decimals = models.PositiveSmallIntegerField(
        _("decimal places"), default=0, help_text=_("0 for countable units; 3 for kg or metres.")
    )

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["code"]
        constraints = [models.CheckConstraint(condition=Q(decimals__lte=3), name="unit_decimals_at_most_3")]

    def __str__(self) -> str:
        return self.code

    @property
    def display_name(self) -> str:
        if (translation.get_language() or "").startswith("en") and self.name_en:
            return self.name_en
        return self.name


class Product(LocalizedNameMixin, TimeStampedModel):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        QUARANTINED = "quarantined", _("Quarantined")
        INACTIVE = "inactive", _("Inactive")

    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    description = models.TextField(_("description (Turkish)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.PROTECT, null=True, blank=True, related_name="products"
    )
    brand = models.ForeignKey(
        Brand, verbose_name=_("brand"), on_delete=models.PROTECT, null=True, blank=True, related_name="products"
    )
    barcode = models.CharField(_("barcode"), max_length=64, blank=True, db_index=True)
    base_unit = models.ForeignKey(Unit, verbose_name=_("base unit"), on_delete=models.PROTECT, related_name="+")
    vat_rate = models.DecimalField(_("VAT rate %"), max_digits=5, decimal_places=2, default=Decimal("20"))
    batch_managed = models.BooleanField(_("batch managed"), default=False)
    min_order_qty = quantity_field(_("minimum order quantity"), default=Decimal("1"))
    order_multiple = quantity_field(_("order multiple"), default=Decimal("1"))
    low_stock_level = quantity_field(
        _("low stock level"),
        null=True,
        blank=True,
        help_text=_("Below this quantity the catalogue shows low stock. Empty: the portal's default."),
    )
    image_url = models.URLField(_("image URL"), blank=True)
    # The content digest of the primary image (``ProductImage``): its thumbnails' names derive from it
    # (``catalog/media.py``), so list pages show the picture without another query. Empty: no image.
    thumbnail_key = models.CharField(
        _("thumbnail key"), max_length=64, blank=True, default="", db_default="", editable=False
    )
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)
    status_reason = models.CharField(_("status reason"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["sku"]
        constraints = [
            models.CheckConstraint(condition=Q(vat_rate__gte=0) & Q(vat_rate__lte=100), name="product_vat_rate_range"),
            models.CheckConstraint(condition=Q(min_order_qty__gt=0), name="product_min_order_qty_positive"),
            models.CheckConstraint(condition=Q(order_multiple__gt=0), name="product_order_multiple_positive"),
            models.CheckConstraint(
                condition=Q(status__in=["active", "quarantined", "inactive"]), name="product_status_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["status", "category"], name="product_status_category_idx"),
            # The catalogue pages walk these in order and stop after a page.
            models.Index(fields=["name", "sku"], name="product_name_idx"),
            models.Index(fields=["name_en", "sku"], name="product_name_en_idx"),
            models.Index(fields=["-created_at", "-id"], name="product_newest_idx"),
            # Codes typed or sent (quick order, API and EDI lines) are matched on the folded SKU.
            models.Index(code_key_sql("sku"), name="product_sku_key_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"

    @property
    def smallest_order_quantity(self) -> Decimal:
        """The least quantity that meets both the minimum and the order multiple (minimum 5, multiple 12: 12)."""
        return round_up_to_multiple(self.min_order_qty, self.order_multiple)

    @property
    def display_description(self) -> str:
        if (translation.get_language() or "").startswith("en") and self.description_en:
            return self.description_en
        return self.description


class MediaSource(models.TextChoices):
    ADMIN = "admin", _("Uploaded in the admin")
    ERP = "erp", _("Imported from the ERP")


class ProductImage(TimeStampedModel):
    """A picture of a product. The original is kept privately (``b2bportal.storage``); dealers see thumbnails made
    once per content (``catalog/media.py``). Lower ``position`` comes first; one image per product is primary."""

    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="images")
    position = models.PositiveIntegerField(_("position"), default=0)
    is_primary = models.BooleanField(_("primary"), default=False)
    alt_text = models.CharField(
        _("alternative text"), max_length=255, blank=True, help_text=_("Empty: the product's name.")
    )
    original = models.CharField(_("original file"), max_length=255, editable=False)
    digest = models.CharField(_("content digest"), max_length=64, editable=False)
    format = models.CharField(_("format"), max_length=8, editable=False)
    width = models.PositiveIntegerField(_("width"), default=0, editable=False)
    height = models.PositiveIntegerField(_("height"), default=0, editable=False)
    # The digest the thumbnails on disk were made from; equal to ``digest`` once they are made.
    thumbnails_digest = models.CharField(max_length=64, blank=True, editable=False)
    source = models.CharField(_("source"), max_length=8, choices=MediaSource.choices, default=MediaSource.ADMIN)
    source_key = models.CharField(
        _("source key"), max_length=255, blank=True, help_text=_("The ERP's name for this picture.")
    )

    class Meta:
        verbose_name = _("product image")
        verbose_name_plural = _("product images")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["product"], condition=Q(is_primary=True), name="product_image_one_primary"),
            models.UniqueConstraint(
                fields=["product", "source_key"], condition=~Q(source_key=""), name="product_image_source_key_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}#{self.position}"


class ProductDocument(TimeStampedModel):
    """A file a dealer downloads for a product: datasheet, manual, certificate. Kept privately and handed out only
    to dealers who may see the product (``catalog.views.product_document``)."""

    class Kind(models.TextChoices):
        DATASHEET = "datasheet", _("Datasheet")
        MANUAL = "manual", _("User manual")
        CERTIFICATE = "certificate", _("Certificate")
        OTHER = "other", _("Document")

    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.OTHER)
    title = models.CharField(_("title"), max_length=200)
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        choices=settings.LANGUAGES,
        help_text=_("Empty: for every language."),
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    file = models.CharField(_("stored file"), max_length=255, editable=False)
    content_type = models.CharField(_("content type"), max_length=64, editable=False)
    size = models.PositiveBigIntegerField(_("size in bytes"), default=0, editable=False)
    digest = models.CharField(_("content digest"), max_length=64, editable=False)
    source = models.CharField(_("source"), max_length=8, choices=MediaSource.choices, default=MediaSource.ADMIN)
    source_key = models.CharField(_("source key"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("product document")
        verbose_name_plural = _("product documents")
        ordering = ["position", "title", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "source_key"],
                condition=~Q(source_key=""),
                name="product_document_source_key_unique",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["datasheet", "manual", "certificate", "other"]),
                name="product_document_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ProductUnit(models.Model):
    """A pack size of a product: 1 case = ``factor`` base units, with its own barcode."""

    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="units")
    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    factor = models.DecimalField(
        _("base units per unit"), max_digits=14, decimal_places=6, help_text=_("A case of 12 pieces has factor 12.")
    )
    barcode = models.CharField(_("barcode"), max_length=64, blank=True, db_index=True)
    is_sales_unit = models.BooleanField(_("sold in this unit"), default=True)

    class Meta:
        verbose_name = _("product unit")
        verbose_name_plural = _("product units")
        ordering = ["product_id", "factor"]
        constraints = [
            models.UniqueConstraint(fields=["product", "unit"], name="product_unit_unique"),
            models.CheckConstraint(condition=Q(factor__gt=0), name="product_unit_factor_positive"),
        ]

    def __str__(self) -> str:
        return f"1 × {self.factor.normalize()}"


class Warehouse(TimeStampedModel):
    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=150)
    is_sellable = models.BooleanField(
        _("sellable"),
        default=True,
        help_text=_("Stock here is offered to dealers. Off for quarantine or damaged goods."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    stock_as_of = models.DateTimeField(
        _("stock as of"),
        null=True,
        blank=True,
        help_text=_("When the ERP last sent this warehouse's stock; figures that did not change are as fresh."),
    )

    class Meta:
        verbose_name = _("warehouse")
        verbose_name_plural = _("warehouses")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class StockLevel(models.Model):
    """Stock of a product in a warehouse, in base units. On hand and committed come from the ERP;
    ``reserved_portal`` counts portal orders the ERP has not taken over yet."""

    # No index of its own: the unique (product, warehouse) index serves lookups by product, and every index
    # costs the stock import on each row it writes.
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="stock_levels", db_index=False
    )
    warehouse = models.ForeignKey(
        Warehouse, verbose_name=_("warehouse"), on_delete=models.CASCADE, related_name="stock_levels"
    )
    on_hand = quantity_field(_("on hand"), default=Decimal("0"))
    committed_erp = quantity_field(_("committed in the ERP"), default=Decimal("0"))
    reserved_portal = quantity_field(_("reserved in the portal"), default=Decimal("0"))
    as_of = models.DateTimeField(_("as of"), null=True, blank=True)

    class Meta:
        verbose_name = _("stock level")
        verbose_name_plural = _("stock levels")
        constraints = [
            models.UniqueConstraint(fields=["product", "warehouse"], name="stock_level_product_warehouse_unique"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stock_level_on_hand_non_negative"),
            models.CheckConstraint(condition=Q(committed_erp__gte=0), name="stock_level_committed_non_negative"),
            models.CheckConstraint(condition=Q(reserved_portal__gte=0), name="stock_level_reserved_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.product_id}@{self.warehouse_id}: {self.on_hand}"


class PriceList(TimeStampedModel):
    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=150)
    currency = currency_field(default="TRY")
    vat_included = models.BooleanField(_("prices include VAT"), default=False)
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    supersedes = models.ForeignKey(
        "self",
        verbose_name=_("takes over from"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="successors",
        help_text=_("Dealers on that list get this one from its start date."),
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("price list")
        verbose_name_plural = _("price lists")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_to__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="price_list_valid_window",
            ),
            models.CheckConstraint(condition=~Q(supersedes=models.F("pk")), name="price_list_not_own_successor"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class PriceListItem(models.Model):
    """A price on a list, per base unit unless ``unit`` names a pack. Rows with a higher ``min_quantity``
    are the quantity breaks."""

    # Neither key has an index of its own: the unique break index starts with the list, the (product, list)
    # index with the product; a third and fourth index would only slow the price import.
    price_list = models.ForeignKey(
        PriceList, verbose_name=_("price list"), on_delete=models.CASCADE, related_name="items", db_index=False
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="price_items", db_index=False
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Empty: per base unit."),
    )
    min_quantity = quantity_field(_("from quantity"), default=Decimal("1"))
    price = models.DecimalField(_("price"), max_digits=16, decimal_places=4)

    class Meta:
        verbose_name = _("price list item")
        verbose_name_plural = _("price list items")
        ordering = ["price_list_id", "product_id", "unit_id", "min_quantity"]
        constraints = [
            # One price per list, product, unit and break; "no unit" (the base unit) counts as one unit. Written
            # with COALESCE rather than NULLS NOT DISTINCT so that SQLite enforces it as PostgreSQL does.
            models.UniqueConstraint(
                "price_list",
                "product",
                Coalesce("unit", Value(0)),
                "min_quantity",
                name="price_item_unique_break",
            ),
            models.CheckConstraint(condition=Q(price__gte=0), name="price_item_price_non_negative"),
            models.CheckConstraint(condition=Q(min_quantity__gt=0), name="price_item_min_quantity_positive"),
        ]
        indexes = [models.Index(fields=["product", "price_list"], name="price_item_product_list_idx")]

    def __str__(self) -> str:
        return f"≥{self.min_quantity.normalize()}: {self.price}"


class DealerAgreement(TimeStampedModel):
    """A dealer's own price or discount on a product, a category or a brand, for a period."""

    class Kind(models.TextChoices):
        FIXED_PRICE = "fixed_price", _("Fixed net price")
        DISCOUNT = "discount", _("Discount %")

    dealer = models.ForeignKey(
        "dealers.Dealer", verbose_name=_("dealer"), on_delete=models.CASCADE, related_name="agreements"
    )
    product = models.ForeignKey(
        Product, verbose_name=_("product"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    category = models.ForeignKey(
        Category, verbose_name=_("category"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    brand = models.ForeignKey(
        Brand, verbose_name=_("brand"), on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    value = models.DecimalField(
        _("value"), max_digits=16, decimal_places=4, help_text=_("The net price, or the discount in percent.")
    )
    currency = currency_field(blank=True, help_text=_("For a fixed price."))
    min_quantity = quantity_field(_("from quantity"), default=Decimal("1"))
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    code = models.CharField(
        _("ERP code"),
        max_length=64,
        blank=True,
        help_text=_("The agreement's key in the ERP; empty for portal-made ones."),
    )
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Inactive agreements no longer price anything; kept for the record.")
    )

    class Meta:
        verbose_name = _("dealer agreement")
        verbose_name_plural = _("dealer agreements")
        ordering = ["dealer_id", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(product__isnull=False, category__isnull=True, brand__isnull=True)
                    | Q(product__isnull=True, category__isnull=False, brand__isnull=True)
                    | Q(product__isnull=True, category__isnull=True, brand__isnull=False)
                ),
                name="agreement_exactly_one_target",
            ),
            models.CheckConstraint(condition=Q(kind__in=["fixed_price", "discount"]), name="agreement_kind_valid"),
            models.CheckConstraint(
                condition=Q(kind="fixed_price", value__gte=0) | Q(kind="discount", value__gte=0, value__lte=100),
                name="agreement_value_range",
            ),
            models.CheckConstraint(
                condition=Q(kind="discount") | ~Q(currency=""), name="agreement_fixed_price_has_currency"
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_to__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="agreement_valid_window",
            ),
            models.CheckConstraint(condition=Q(min_quantity__gt=0), name="agreement_min_quantity_positive"),
            models.UniqueConstraint(fields=["code"], condition=~Q(code=""), name="agreement_code_unique"),
        ]

    def __str__(self) -> str:
        target = self.product or self.category or self.brand
        return f"{self.dealer_id}: {self.get_kind_display()} {self.value} on {target}"


class ExchangeRate(models.Model):
    """Units of the base currency (``B2B_BASE_CURRENCY``) for one unit of ``currency`` on ``rate_date``."""

    currency = currency_field()
    rate_date = models.DateField(_("date"))
    rate = models.DecimalField(_("rate"), max_digits=18, decimal_places=6)
    source = models.CharField(_("source"), max_length=64, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ["-rate_date", "currency"]
        constraints = [
            models.UniqueConstraint(fields=["currency", "rate_date"], name="exchange_rate_unique_per_day"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="exchange_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.currency} {self.rate_date}: {self.rate} {settings.B2B_BASE_CURRENCY}"


class StockAlert(models.Model):
    """A user's request to be told when an out-of-stock product can be ordered again. One per user and product:
    asking again after being told reopens the same row (``requested_at`` moves on, ``notified_at`` empties).
    ``notified_at`` set means told, and closed."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="stock_alerts"
    )
    dealer = models.ForeignKey(
        "dealers.Dealer", verbose_name=_("dealer"), on_delete=models.CASCADE, related_name="stock_alerts"
    )
    product = models.ForeignKey(Product, verbose_name=_("product"), on_delete=models.CASCADE, related_name="+")
    requested_at = models.DateTimeField(_("asked at"))
    notified_at = models.DateTimeField(_("told at"), null=True, blank=True)

    class Meta:
        verbose_name = _("back-in-stock alert")
        verbose_name_plural = _("back-in-stock alerts")
        constraints = [models.UniqueConstraint(fields=["user", "product"], name="stock_alert_unique_user_product")]
        indexes = [
            models.Index(fields=["id"], condition=Q(notified_at__isnull=True), name="stock_alert_open"),
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.product_id}"

    @property
    def is_open(self) -> bool:
        return self.notified_at is None
