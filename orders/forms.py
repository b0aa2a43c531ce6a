"""Input of the cart, quick order, checkout, order history and decision pages."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealers.models import DealerAddress
from orders.models import Cart, Order, RecurringOrder
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

    def __init__(self, *args, refused_upload: str | None = None, **kwargs):
        """``refused_upload``: why the uploaded file was dropped before it was read (too large), shown as the
        form's error."""
        super().__init__(*args, **kwargs)
        self.refused_upload = refused_upload

    def clean(self):
        if self.refused_upload:
            raise forms.ValidationError(self.refused_upload)
        data = super().clean()
        if not data.get("text", "").strip() and not data.get("file"):
            raise forms.ValidationError(_("Paste lines or choose a file."))
        return data


class PaymentRadioSelect(forms.RadioSelect):
    """Radios of which some may be disabled (``disabled_values``): shown, with their reason, but not selectable."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.disabled_values: set[str] = set()

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if str(value) in self.disabled_values:
            option["attrs"]["disabled"] = True
        return option


class CheckoutForm(forms.Form):
    """The dealer's own delivery addresses only; the idempotency key and the confirmed price signature ride along.
    ``unavailable`` maps payment methods a placement rule would refuse to the reason: they are shown disabled,
    with the reason, and refused if sent anyway."""

    delivery_address = forms.ModelChoiceField(label=_("Delivery address"), queryset=DealerAddress.objects.none())
    po_number = forms.CharField(label=_("PO number"), max_length=64, required=False)
    requested_delivery_date = forms.DateField(
        label=_("Requested delivery date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3}))
    payment_method = forms.ChoiceField(
        label=_("Payment"), choices=Order.PaymentMethod.choices, widget=PaymentRadioSelect
    )
    idempotency_key = forms.UUIDField(widget=forms.HiddenInput)
    signature = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args, dealer, unavailable: dict[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.dealer = dealer
        self.unavailable = unavailable or {}
        addresses = DealerAddress.objects.filter(
            dealer=dealer, kind=DealerAddress.Kind.SHIPPING, is_active=True
        ).order_by("-is_default", "name")
        self.fields["delivery_address"].queryset = addresses
        default = next((a for a in addresses if a.is_default), None)
        self.fields["delivery_address"].initial = default.pk if default else None
        self.fields["po_number"].required = dealer.po_number_required
        self.fields["idempotency_key"].initial = uuid.uuid4()
        method = self.fields["payment_method"]
        method.choices = [
            (value, _("%(method)s — not available: %(reason)s") % {"method": label, "reason": self.unavailable[value]})
            if value in self.unavailable
            else (value, label)
            for value, label in Order.PaymentMethod.choices
        ]
        method.widget.disabled_values = set(self.unavailable)
        method.initial = next((value for value in Order.PaymentMethod.values if value not in self.unavailable), None)

    def clean_payment_method(self):
        value = self.cleaned_data["payment_method"]
        if value in self.unavailable:
            raise forms.ValidationError(self.unavailable[value])
        return value

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


class PreviouslyOrderedFilterForm(forms.Form):
    """Search, brand and sort of the previously ordered page; an invalid value is ignored."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100, strip=True)
    brand = forms.TypedChoiceField(label=_("Brand"), required=False, coerce=int, empty_value=None)
    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[("recent", _("Last ordered first")), ("most", _("Most often ordered")), ("name", _("Name"))],
    )

    def __init__(self, *args, brands: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["brand"].choices = [("", _("All brands")), *brands]

    def filters(self) -> dict:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return {"q": data.get("q") or "", "brand_id": data.get("brand"), "sort": data.get("sort") or "recent"}


class QuoteRequestForm(forms.Form):
    """The note of a quote request; target prices come as ``target_<line id>`` fields beside each line."""

    note = forms.CharField(
        label=_("Note for the quote"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def targets(self, data, line_ids) -> dict[int, Decimal]:
        """The target net unit prices typed beside the lines, by line id; an empty or unreadable one is left out,
        a negative one is an error of the form."""
        field = forms.DecimalField(min_value=Decimal("0"), max_digits=16, decimal_places=4, required=False)
        targets = {}
        for line_id in line_ids:
            raw = (data.get(f"target_{line_id}") or "").strip().replace(",", ".")
            if not raw:
                continue
            try:
                value = field.clean(raw)
            except forms.ValidationError:
                self.add_error(None, _("A target price must be a number from zero on."))
                continue
            if value is not None:
                targets[line_id] = value
        return targets


class QuoteAcceptForm(forms.Form):
    """What the order an accepted quote becomes needs: where, how it is paid, the buyer's PO number."""

    delivery_address = forms.ModelChoiceField(
        label=_("Delivery address"), queryset=DealerAddress.objects.none(), required=False
    )
    po_number = forms.CharField(label=_("PO number"), max_length=64, required=False)
    payment_method = forms.ChoiceField(label=_("Payment"), choices=Order.PaymentMethod.choices)

    def __init__(self, *args, dealer, **kwargs):
        super().__init__(*args, **kwargs)
        addresses = DealerAddress.objects.filter(
            dealer=dealer, kind=DealerAddress.Kind.SHIPPING, is_active=True
        ).order_by("-is_default", "name")
        self.fields["delivery_address"].queryset = addresses
        default = next((a for a in addresses if a.is_default), None)
        self.fields["delivery_address"].initial = default.pk if default else None
        self.fields["po_number"].required = dealer.po_number_required
        self.fields["payment_method"].initial = Order.PaymentMethod.ON_ACCOUNT


class QuoteAnswerForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RecurringForm(forms.Form):
    """A recurring order's list, timing, payment and delivery address; the dealer's own lists and active delivery
    addresses only (``recurring_save`` checks them again)."""

    saved_list = forms.ModelChoiceField(label=_("Saved list"), queryset=Cart.objects.none())
    frequency = forms.ChoiceField(
        label=_("How often"), choices=RecurringOrder.Frequency.choices, widget=forms.RadioSelect
    )
    interval_weeks = forms.IntegerField(label=_("Every how many weeks"), min_value=1, max_value=52, initial=1)
    day_of_month = forms.IntegerField(
        label=_("Day of the month"),
        min_value=1,
        max_value=31,
        required=False,
        help_text=_("29, 30 or 31: in shorter months the order is placed on the month's last day."),
    )
    start_date = forms.DateField(label=_("First date"), widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(label=_("Last date"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    payment_method = forms.ChoiceField(
        label=_("Payment"),
        choices=[(m.value, m.label) for m in (Order.PaymentMethod.ON_ACCOUNT, Order.PaymentMethod.BANK_TRANSFER)],
    )
    delivery_address = forms.ModelChoiceField(label=_("Delivery address"), queryset=DealerAddress.objects.none())

    def __init__(self, *args, lists, dealer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["saved_list"].queryset = lists.order_by("name")
        addresses = DealerAddress.objects.filter(
            dealer=dealer, kind=DealerAddress.Kind.SHIPPING, is_active=True
        ).order_by("-is_default", "name")
        self.fields["delivery_address"].queryset = addresses
        if not self.is_bound and "delivery_address" not in self.initial:
            default = next((a for a in addresses if a.is_default), None)
            self.initial["delivery_address"] = default.pk if default else None

    def clean(self):
        data = super().clean()
        if data.get("frequency") == RecurringOrder.Frequency.MONTHLY and not data.get("day_of_month"):
            self.add_error("day_of_month", _("Choose a day of the month from 1 to 31."))
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The last date is before the first date."))
        return data
