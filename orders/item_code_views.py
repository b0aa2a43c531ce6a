"""The dealer admin's page of the dealer's own item codes: the codes its purchasing system uses for the portal's
products, read by quick order, the API and EDI orders (``orders/items.py``)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from dealers.access import dealer_admin_required, get_scoped_or_404, scoped
from orders.items import ItemCodeRefused, dealer_item_code_set
from orders.models import DealerItemCode


class ItemCodeForm(forms.Form):
    code = forms.CharField(label=gettext_lazy("Your item code"), max_length=64)
    sku = forms.CharField(label=gettext_lazy("Our SKU"), max_length=64)
    unit = forms.CharField(
        label=gettext_lazy("Unit"),
        max_length=16,
        required=False,
        help_text=gettext_lazy("Empty: the product's base unit; or a pack such as KOLI."),
    )


@dealer_admin_required
def item_code_list(request):
    form = ItemCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            item = dealer_item_code_set(
                dealer_user=request.dealer_user, code=data["code"], sku=data["sku"], unit_code=data["unit"]
            )
        except ItemCodeRefused as refused:
            form.add_error(None, refused.message)
        else:
            messages.success(request, _("%(code)s now orders %(sku)s.") % {"code": item.code, "sku": item.product.sku})
            return redirect("orders:item_code_list")
    codes = scoped(DealerItemCode.objects.select_related("product", "unit"), request.dealer_user).order_by("code")
    return render(request, "orders/item_code_list.html", {"form": form, "codes": codes, "nav_section": "api"})


@require_POST
@dealer_admin_required
def item_code_delete(request, pk: int):
    item = get_scoped_or_404(DealerItemCode, request.dealer_user, pk=pk)
    item.delete()
    messages.success(request, _("The item code %(code)s was removed.") % {"code": item.code})
    return redirect("orders:item_code_list")
