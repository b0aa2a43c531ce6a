from django.conf import settings
from django.shortcuts import render

from catalog.categories import category_tree
from catalog.forms import CatalogFilterForm
from catalog.pricing import DealerPricing
from catalog.search import suggestion_query
from catalog.selectors import brand_choices, catalog_page, product_detail
from catalog.suggestions import product_suggestions, search_result_count
from dealers.access import dealer_required


@dealer_required
def catalog_list(request):
    """The dealer's catalogue: category navigation, search, filters, sort, list or grid, at the dealer's prices."""
    form = CatalogFilterForm(request.GET or None, brands=brand_choices())
    filters = form.filters()
    per_page = form.value("per_page", settings.B2B_CATALOG_PAGE_SIZES[0])
    pricing = DealerPricing(request.dealer_user.dealer)
    page = catalog_page(pricing=pricing, filters=filters, page=form.value("page", 1), per_page=per_page)
    tree = category_tree()
    current = tree.get(filters.category_id)
    # A search says how many products it found and links its pages by number.
    found = search_result_count(pricing=pricing, filters=filters) if filters.q else None
    return render(
        request,
        "catalog/catalog_list.html",
        {
            "form": form,
            "page": page,
            "view_mode": form.value("view", "list"),
            "unpriced_mode": settings.B2B_UNPRICED_PRODUCTS,
            "current_category": current,
            "breadcrumb": tree.breadcrumb(filters.category_id),
            "subcategories": tree.visible_children(filters.category_id),
            "found": found,
            "page_numbers": found.page_numbers(page.number, per_page) if found else [],
        },
    )


@dealer_required
def suggest(request):
    """Instant search: an HTML fragment with the first products the catalogue search finds for ``q``, at the
    dealer's prices, and a link to all of them. Empty for a query too short or too long."""
    query = suggestion_query(request.GET.get("q", ""))
    suggestions = None
    if query is not None:
        suggestions = product_suggestions(pricing=DealerPricing(request.dealer_user.dealer), query=query)
    return render(request, "catalog/partials/suggestions.html", {"suggestions": suggestions})


@dealer_required
def product_page(request, sku: str):
    detail = product_detail(pricing=DealerPricing(request.dealer_user.dealer), sku=sku)
    return render(request, "catalog/product_detail.html", {"detail": detail, "product": detail.product})
