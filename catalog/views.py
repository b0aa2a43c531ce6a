from django.conf import settings
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.static import serve

from catalog.categories import category_tree
from catalog.forms import CatalogFilterForm
from catalog.media import document_download_name, document_open
from catalog.pricing import DealerPricing
from catalog.selectors import brand_choices, catalog_page, product_detail, product_document_for_dealer
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
        },
    )


@dealer_required
def product_page(request, sku: str):
    detail = product_detail(pricing=DealerPricing(request.dealer_user.dealer), sku=sku)
    return render(request, "catalog/product_detail.html", {"detail": detail, "product": detail.product})


@require_GET
@dealer_required
def product_document(request, sku: str, document_id: int):
    """A product document as a download, for a dealer who may see the product (else 404, as for a missing one)."""
    document = product_document_for_dealer(
        pricing=DealerPricing(request.dealer_user.dealer), sku=sku, document_id=document_id
    )
    try:
        handle = document_open(document)
    except FileNotFoundError:
        raise Http404("The document's file is missing.") from None
    response = FileResponse(
        handle, as_attachment=True, filename=document_download_name(document), content_type=document.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def thumbnail(request, name: str):
    """A product thumbnail from ``MEDIA_ROOT/catalog/thumbs`` (when the portal serves media itself,
    ``SERVE_MEDIA``). Names are content digests, so a thumbnail never changes under its name: cached for a year.
    ``serve`` refuses paths leading outside the folder."""
    response = serve(request, name, document_root=settings.MEDIA_ROOT / "catalog" / "thumbs")
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    return response
