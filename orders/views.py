from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from b2bportal.money import format_quantity
from catalog.forms import AddToCartForm
from catalog.models import Product, Unit
from dealers.access import dealer_required
from orders.exceptions import CartRefused
from orders.selectors import order_get_for_dealer_user, order_list_for_dealer_user
from orders.services import cart_line_add


@dealer_required
def order_list(request):
    page = Paginator(order_list_for_dealer_user(dealer_user=request.dealer_user), 25).get_page(request.GET.get("page"))
    return render(request, "orders/order_list.html", {"page": page})


@dealer_required
def order_detail(request, number: str):
    order = order_get_for_dealer_user(dealer_user=request.dealer_user, number=number)
    return render(request, "orders/order_detail.html", {"order": order})


@require_POST
@dealer_required
def cart_add(request):
    """The add-to-cart control of the catalogue and product pages; back where it came from with a message."""
    form = AddToCartForm(request.POST)
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        back = reverse("catalog:catalog_list")
    if not form.is_valid():
        errors = form.errors.get("quantity") or [_("This product is not available to you.")]
        messages.error(request, " ".join(errors))
        return redirect(back)
    product = Product.objects.select_related("base_unit").filter(pk=form.cleaned_data["product"]).first()
    unit = Unit.objects.filter(pk=form.cleaned_data["unit"]).first() if form.cleaned_data["unit"] else None
    if product is None:
        messages.error(request, _("This product is not available to you."))
        return redirect(back)
    try:
        result = cart_line_add(
            dealer_user=request.dealer_user, product=product, quantity=form.cleaned_data["quantity"], unit=unit
        )
    except CartRefused as refused:
        text = refused.message
        if refused.suggested is not None:
            text = _("%(message)s Try %(quantity)s.") % {
                "message": text,
                "quantity": format_quantity(refused.suggested),
            }
        messages.error(request, text)
        return redirect(back)
    added = _("%(product)s: %(quantity)s in your cart.") % {
        "product": product.display_name,
        "quantity": format_quantity(result.line.quantity),
    }
    if result.decision.allowed:
        messages.success(request, added)
    else:
        messages.warning(request, f"{added} {result.decision.message}")
    return redirect(back)
