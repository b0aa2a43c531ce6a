"""Reads for the dealer catalogue: which products a dealer sees, filtered, searched, sorted and paged.

A page is a constant number of queries whatever its size: one for the products (with category, brand and unit
joined), then prices and stock for the whole page at once (``catalog/pricing.py``, ``catalog/availability.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.db.models import F, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import translation
from django.utils.translation import gettext as _

from catalog.availability import Availability, availability_for_products
from catalog.categories import CategoryTree, category_tree
from catalog.models import Brand, Product, ProductDocument, ProductImage, ProductUnit, StockLevel
from catalog.prices import PriceResult
from catalog.pricing import DealerPricing
from catalog.search import product_search

SORTS = ("name", "price", "price_desc", "newest", "relevance")
BRANDS_CACHE_KEY = "catalog:brands:v1"


@dataclass(frozen=True)
class CatalogFilters:
    q: str = ""
    category_id: int | None = None
    brand_id: int | None = None
    in_stock: bool = False
    sort: str = ""

    @property
    def effective_sort(self) -> str:
        if self.sort in SORTS and not (self.sort == "relevance" and not self.q):
            return self.sort
        return "relevance" if self.q else "name"


@dataclass
class CatalogRow:
    product: Product
    price: PriceResult
    availability: Availability
    cells: dict = field(default_factory=dict)  # the row's texts for the list page (``catalog/rows.py``)


@dataclass
class CatalogPage:
    rows: list[CatalogRow]
    number: int
    per_page: int
    has_next: bool
    filters: CatalogFilters = field(default_factory=CatalogFilters)
    price_sort_refused: bool = False

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1


def _available_stock():
    sellable = StockLevel.objects.filter(
        product_id=OuterRef("pk"), warehouse__is_sellable=True, warehouse__is_active=True
    )
    total = sellable.values("product_id").annotate(t=Sum(F("on_hand") - F("committed_erp") - F("reserved_portal")))
    return Coalesce(Subquery(total.values("t")), Decimal("0"))


def visible_products(
    *, pricing: DealerPricing, tree: CategoryTree | None = None, priced_only: bool = True
) -> QuerySet[Product]:
    """The products this dealer may see: active, not in an inactive category, and, when unpriced products are
    hidden (``B2B_UNPRICED_PRODUCTS = "hide"``), priced for the dealer (``DealerPricing.priced_condition``).
    ``priced_only=False`` leaves the price out: the candidates a query over visible products has to look at."""
    tree = tree or category_tree()
    queryset = Product.objects.filter(status=Product.Status.ACTIVE)
    if tree.hidden:
        queryset = queryset.exclude(category_id__in=tree.hidden)
    if priced_only and settings.B2B_UNPRICED_PRODUCTS == "hide":
        queryset = queryset.filter(pricing.priced_condition())
    return queryset


def is_visible(*, pricing: DealerPricing, product: Product, tree: CategoryTree | None = None) -> bool:
    """The same answer as ``visible_products`` for one product, without a query when its prices are loaded."""
    tree = tree or category_tree()
    if product.status != Product.Status.ACTIVE:
        return False
    if product.category_id is not None and not tree.is_visible(product.category_id):
        return False
    if settings.B2B_UNPRICED_PRODUCTS == "hide":
        pricing.prime([product])
        return pricing.is_priced(product)
    return True


def catalog_products(*, pricing: DealerPricing, filters: CatalogFilters, priced_only: bool = True) -> QuerySet[Product]:
    tree = category_tree()
    queryset = visible_products(pricing=pricing, tree=tree, priced_only=priced_only)
    if filters.category_id is not None:
        queryset = queryset.filter(category_id__in=tree.descendants(filters.category_id))
    if filters.brand_id is not None:
        queryset = queryset.filter(brand_id=filters.brand_id)
    if filters.in_stock:
        queryset = queryset.annotate(stock_available=_available_stock()).filter(stock_available__gt=0)
    if filters.q:
        queryset = product_search(queryset, filters.q)
    if filters.effective_sort in ("price", "price_desc"):
        queryset = queryset.annotate(sort_price=pricing.net_price_expression())
    name = "name_en" if (translation.get_language() or "").startswith("en") else "name"
    order = {
        "name": [name, "sku"],
        "price": [F("sort_price").asc(nulls_last=True), name, "pk"],
        "price_desc": [F("sort_price").desc(nulls_last=True), name, "pk"],
        "newest": ["-created_at", "-pk"],
        "relevance": ["search_rank", name, "sku"],
    }[filters.effective_sort]
    return queryset.select_related("base_unit", "brand", "category").order_by(*order)


def catalog_page(*, pricing: DealerPricing, filters: CatalogFilters, page: int, per_page: int) -> CatalogPage:
    """One page of the catalogue with each product's price and availability. Counting 100,000 visible products
    on every page would cost more than the page itself, so a page knows only whether another one follows."""
    page = max(page, 1)
    start = (page - 1) * per_page
    price_sort_refused = False
    if filters.effective_sort in ("price", "price_desc"):
        # Pricing every product of a huge list to sort it would take seconds: ask to narrow it first. What a
        # sort costs is the products it looks at, priced for the dealer or not (it prices them to find out), so
        # the limit counts those; counting only the priced ones took longer than the page itself.
        limit = settings.B2B_CATALOG_PRICE_SORT_LIMIT
        candidates = catalog_products(pricing=pricing, filters=replace(filters, sort="name"), priced_only=False)
        if candidates.order_by()[: limit + 1].count() > limit:
            filters, price_sort_refused = replace(filters, sort="name"), True
    matching = catalog_products(pricing=pricing, filters=filters)
    if filters.q:
        # A search matches a few hundred products at most; its condition is SQL written for the unaliased
        # product table (catalog/search.py), which an inner query would not be.
        products = list(matching[start : start + per_page + 1])
    else:
        # The page's ids are found first, then only those rows are joined to their unit, brand and category:
        # joined before the LIMIT, every product of a large category was joined and sorted with all its columns.
        page_ids = matching.values("pk")[start : start + per_page + 1]
        products = list(matching.filter(pk__in=page_ids))
    has_next = len(products) > per_page
    products = products[:per_page]
    pricing.prime(products)
    stock = availability_for_products(products)
    rows = [CatalogRow(product=p, price=pricing.price(p, p.min_order_qty), availability=stock[p.pk]) for p in products]
    return CatalogPage(
        rows=rows,
        number=page,
        per_page=per_page,
        has_next=has_next,
        filters=filters,
        price_sort_refused=price_sort_refused,
    )


def brand_choices() -> list[tuple[int, str]]:
    """Brands for the filter, cached; brand changes drop the cache (``catalog/apps.py``)."""
    brands = cache.get(BRANDS_CACHE_KEY)
    if brands is None:
        brands = list(Brand.objects.order_by("name").values_list("id", "name"))
        cache.set(BRANDS_CACHE_KEY, brands, 60 * 15)
    return brands


def brand_choices_forget(**_kwargs) -> None:
    cache.delete(BRANDS_CACHE_KEY)


@dataclass
class ProductDetail:
    product: Product
    price: PriceResult
    breaks: list[tuple[Decimal, PriceResult]]
    pack_prices: list[tuple[ProductUnit, PriceResult]]
    availability: Availability
    breadcrumb: list
    images: list[ProductImage] = field(default_factory=list)
    documents: list[ProductDocument] = field(default_factory=list)


def visible_product_or_404(*, pricing: DealerPricing, sku: str, tree: CategoryTree | None = None) -> Product:
    """The product ``sku`` when the dealer may see it (``is_visible``); "not found" otherwise, the same as a
    missing one, so a dealer cannot tell another dealer's hidden product from none."""
    tree = tree or category_tree()
    product = Product.objects.select_related("base_unit", "brand", "category").filter(sku=sku).first()
    if product is not None:
        pricing.prime([product], packs=True)
    if product is None or not is_visible(pricing=pricing, product=product, tree=tree):
        raise Http404(_("Product not found."))
    return product


def product_document_for_dealer(*, pricing: DealerPricing, sku: str, document_id: int) -> ProductDocument:
    """A document of a product the dealer may see; "not found" for any other."""
    product = visible_product_or_404(pricing=pricing, sku=sku)
    document = ProductDocument.objects.filter(product=product, pk=document_id).first()
    if document is None:
        raise Http404(_("Document not found."))
    document.product = product
    return document


def product_detail(*, pricing: DealerPricing, sku: str) -> ProductDetail:
    """A product the dealer may see, with prices per quantity break and pack, stock per warehouse, its pictures and
    documents. A product the dealer may not see is "not found", the same as a missing one."""
    tree = category_tree()
    product = visible_product_or_404(pricing=pricing, sku=sku, tree=tree)
    packs = [pack for pack in pricing.packs(product) if pack.is_sales_unit and pack.unit_id != product.base_unit_id]
    return ProductDetail(
        product=product,
        price=pricing.price(product, product.min_order_qty),
        breaks=[(quantity, pricing.price(product, quantity)) for quantity in pricing.breaks(product)],
        pack_prices=[(pack, pricing.price(product, Decimal("1"), pack.unit)) for pack in packs],
        availability=availability_for_products([product])[product.pk],
        breadcrumb=tree.breadcrumb(product.category_id),
        images=list(ProductImage.objects.filter(product=product).order_by("-is_primary", "position", "id")),
        documents=list(ProductDocument.objects.filter(product=product).order_by("position", "title", "id")),
    )


def product_visibility(*, pricing: DealerPricing, product: Product) -> list[str]:
    """Why a product is not in this dealer's catalogue; an empty list when it is. For staff."""
    reasons = []
    tree = category_tree()
    if product.status != Product.Status.ACTIVE:
        reasons.append(
            _("The product is %(status)s: %(reason)s")
            % {"status": product.get_status_display(), "reason": product.status_reason or "—"}
        )
    if product.category_id and not tree.is_visible(product.category_id):
        reasons.append(_("Its category or a parent category is inactive."))
    price = pricing.price(product, product.min_order_qty)
    pricing.prime([product])
    if not pricing.is_priced(product) and settings.B2B_UNPRICED_PRODUCTS == "hide":
        reasons.append(_("No price for this dealer (unpriced products are hidden): %s") % price.staff_message)
    if not reasons and not is_visible(pricing=pricing, product=product, tree=tree):
        reasons.append(_("Not listed although every rule allows it; please report this."))
    return reasons
