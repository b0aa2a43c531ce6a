from django.conf import settings
from django.shortcuts import render

from catalog.categories import category_tree
from catalog.forms import CatalogFilterForm
from catalog.pricing import DealerPricing
from catalog.rows import add_cells
from catalog.selectors import brand_choices, catalog_page, product_detail
from dealers.access import dealer_required


@dealer_required
def catalog_list(request):
    """The dealer's catalogue: category navigation, search, filters, sort, list or grid, at the dealer's prices."""
    form = CatalogFilterForm(request.GET or None, brands=brand_choices())
    filters = form.filters()
    per_page = form.value("per_page", settings.B2B_CATALOG_PAGE_SIZES[0])
    pricing = DealerPricing(request.dealer_user.dealer)
    page = catalog_page(pricing=pricing, filters=filters, page=form.value("page", 1), per_page=per_page)
    add_cells(page.rows)
    tree = category_tree()
    current = tree.get(filters.category_id)
    return render(
        request,
        "catalog/catalog_list.html",
        {
            "form": form,
            "page": page,
            "next_path": request.get_full_path(),
            "view_mode": form.value("view", "list"),
            "unpriced_mode": settings.B2B_UNPRICED_PRODUCTS,
            "current_category": current,
            "breadcrumb": tree.breadcrumb(filters.category_id),
            "subcategories": tree.visible_children(filters.category_id),
        },
    )


@dealer_required
def product_page(request, sku: str):
    detail = product_detail(pricing=DealerPricing(request.dealer_user.dealer), sku=sku)
    return render(request, "catalog/product_detail.html", {"detail": detail, "product": detail.product})
