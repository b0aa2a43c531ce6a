from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.static import serve

from catalog.availability import StockStatus
from catalog.categories import category_tree
from catalog.forms import CatalogFilterForm
from catalog.media import document_download_name, document_open
from catalog.models import Product
from catalog.multi_add import multi_add_kept
from catalog.pricing import DealerPricing
from catalog.rows import add_cells
from catalog.search import suggestion_query
from catalog.selectors import brand_choices, catalog_page, product_detail, product_document_for_dealer
from catalog.stock_alerts import (
    StockAlertRefused,
    open_alert_product_ids,
    stock_alert_cancel,
    stock_alert_subscribe,
    stock_alerts_for,
)
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
    add_cells(page.rows)
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
            "next_path": request.get_full_path(),
            "view_mode": form.value("view", "list"),
            "unpriced_mode": settings.B2B_UNPRICED_PRODUCTS,
            "current_category": current,
            "breadcrumb": tree.breadcrumb(filters.category_id),
            "subcategories": tree.visible_children(filters.category_id),
            "kept_rows": multi_add_kept(request.session),
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
    context = {"detail": detail, "product": detail.product, "alerted": _alerted(request, [detail])}
    return render(request, "catalog/product_detail.html", context)


def _alerted(request, rows) -> set[int]:
    """The out-of-stock products among ``rows`` the user already asked about (no query when none is out). The
    catalogue list does not ask: its rows always offer the button (asking twice keeps one alert), so the list
    costs no query more."""
    out = [row.product.pk for row in rows if row.availability.status == StockStatus.OUT]
    return open_alert_product_ids(request.dealer_user, out)


def _back(request, default: str) -> str:
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return back
    return default


@require_POST
@dealer_required
def stock_alert_create(request):
    """The button "tell me when it is back" of an out-of-stock product, on the list or the product page."""
    product_id = request.POST.get("product", "")
    product = (
        Product.objects.select_related("base_unit").filter(pk=product_id).first() if product_id.isdigit() else None
    )
    try:
        if product is None:
            raise StockAlertRefused(_("This product is not available to you."))
        stock_alert_subscribe(dealer_user=request.dealer_user, product=product)
        messages.success(request, _("%(sku)s: we will tell you when it is back in stock.") % {"sku": product.sku})
    except StockAlertRefused as refused:
        messages.error(request, refused.message)
    return redirect(_back(request, reverse("catalog:stock_alerts")))


@dealer_required
def stock_alerts(request):
    return render(request, "catalog/stock_alerts.html", {"alerts": stock_alerts_for(request.dealer_user)})


@require_POST
@dealer_required
def stock_alert_remove(request, alert_id: int):
    try:
        stock_alert_cancel(dealer_user=request.dealer_user, alert_id=alert_id)
        messages.success(request, _("The stock alert is removed."))
    except StockAlertRefused as refused:
        messages.error(request, refused.message)
    return redirect("catalog:stock_alerts")


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
