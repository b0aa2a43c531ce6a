"""Input of the cart, quick order, checkout, order history and decision pages."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealers.models import DealerAddress
from orders.models import Order
from orders.status import OrderStatus

QUANTITY = {"min_value": Decimal("0"), "max_value": Decimal("1000000"), "max_digits": 14, "decimal_places": 3}


class CartLineForm(forms.Form):
    quantity = forms.DecimalField(label=_("Quantity"), **QUANTITY)


class SaveListForm(forms.Form):
    name = forms.CharField(label=_("List name"), max_length=100)
    shared = forms.BooleanField(label=_("Share with my company's users"), required=False)


class QuickOrderForm(forms.Form):
    text = forms.CharField(
        label=_("SKU and quantity, one per line"),
        required=False,
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 8, "placeholder": "AYD-000001 24\nVD-4x40;100"}),
    )
    file = forms.FileField(label=_("or a CSV / Excel file"), required=False)

    def clean(self):
        data = super().clean()
        if not data.get("text", "").strip() and not data.get("file"):
            raise forms.ValidationError(_("Paste lines or choose a file."))
        return data


class CheckoutForm(forms.Form):
    """The dealer's own delivery addresses only; the idempotency key and the confirmed price signature ride along."""

    delivery_address = forms.ModelChoiceField(label=_("Delivery address"), queryset=DealerAddress.objects.none())
    po_number = forms.CharField(label=_("PO number"), max_length=64, required=False)
    requested_delivery_date = forms.DateField(
        label=_("Requested delivery date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    payment_method = forms.ChoiceField(
        label=_("Payment"), choices=Order.PaymentMethod.choices, widget=forms.RadioSelect
    )
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    signature = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, dealer, **kwargs):
        super().__init__(*args, **kwargs)
        self.dealer = dealer
        addresses = DealerAddress.objects.filter(
            dealer=dealer, kind=DealerAddress.Kind.SHIPPING, is_active=True
        ).order_by("-is_default", "name")
        self.fields["delivery_address"].queryset = addresses
        default = next((a for a in addresses if a.is_default), None)
        self.fields["delivery_address"].initial = default.pk if default else None
        self.fields["po_number"].required = dealer.po_number_required
        self.fields["idempotency_key"].initial = uuid.uuid4()
        self.fields["payment_method"].initial = Order.PaymentMethod.ON_ACCOUNT

    def clean_requested_delivery_date(self):
        value = self.cleaned_data.get("requested_delivery_date")
        if value and value < timezone.localdate():
            raise forms.ValidationError(_("The requested delivery date is in the past."))
        return value


class DecisionForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)


class OrderFilterForm(forms.Form):
    q = forms.CharField(label=_("Order or PO number"), required=False, max_length=64)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All")), *OrderStatus.choices])
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
