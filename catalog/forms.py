"""Input of the dealer catalogue pages."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from catalog.categories import category_tree
from catalog.models import Product, Unit
from catalog.selectors import CatalogFilters
from dealers.models import Dealer

SORT_CHOICES = [
    ("", _("Best match / name")),
    ("name", _("Name")),
    ("price", _("Price: low to high")),
    ("price_desc", _("Price: high to low")),
    ("newest", _("Newest")),
]
VIEW_CHOICES = [("list", _("List")), ("grid", _("Grid"))]


class CatalogFilterForm(forms.Form):
    """Search, filters, sort, view and paging from the query string. An invalid value is reported and ignored;
    the page still shows with the valid ones."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100, strip=True)
    category = forms.IntegerField(label=_("Category"), required=False, min_value=1)
    brand = forms.TypedChoiceField(label=_("Brand"), required=False, coerce=int, empty_value=None)
    in_stock = forms.BooleanField(label=_("In stock only"), required=False)
    sort = forms.ChoiceField(label=_("Sort"), required=False, choices=SORT_CHOICES)
    view = forms.ChoiceField(label=_("View"), required=False, choices=VIEW_CHOICES)
    per_page = forms.TypedChoiceField(label=_("Per page"), required=False, coerce=int, empty_value=None)
    page = forms.IntegerField(required=False, min_value=1, max_value=10_000)

    def __init__(self, *args, brands: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["brand"].choices = [("", _("All brands")), *brands]
        self.fields["per_page"].choices = [(n, n) for n in settings.B2B_CATALOG_PAGE_SIZES]

    def clean_category(self):
        category_id = self.cleaned_data.get("category")
        if category_id is not None and not category_tree().is_visible(category_id):
            raise forms.ValidationError(_("This category does not exist."))
        return category_id

    def value(self, name: str, default=None):
        """The cleaned value of a field, or ``default`` when it is missing or invalid."""
        if not self.is_bound:
            return default
        self.is_valid()
        value = self.cleaned_data.get(name)
        return default if value in (None, "") else value

    def filters(self) -> CatalogFilters:
        return CatalogFilters(
            q=self.value("q", ""),
            category_id=self.value("category"),
            brand_id=self.value("brand"),
            in_stock=bool(self.value("in_stock", False)),
            sort=self.value("sort", ""),
        )


class AddToCartForm(forms.Form):
    product = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    unit = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
    quantity = forms.DecimalField(label=_("Quantity"), min_value=Decimal("0.001"), max_digits=14, decimal_places=3)
    next = forms.CharField(widget=forms.HiddenInput, required=False, max_length=500)


class PriceCheckForm(forms.Form):
    """Staff: which dealer, product, quantity, unit and day to price. Codes are typed, never picked from a list
    of thousands."""

    dealer_code = forms.CharField(label=_("Dealer code"), max_length=40)
    sku = forms.CharField(label=_("SKU"), max_length=64)
    quantity = forms.DecimalField(label=_("Quantity"), min_value=Decimal("0.001"), initial=1, max_digits=14)
    unit_code = forms.CharField(label=_("Unit code"), max_length=16, required=False, help_text=_("Empty: base unit."))
    on = forms.DateField(label=_("Price on"), required=False, help_text=_("Empty: today."))

    def clean(self):

        data = super().clean()
        if data.get("dealer_code"):
            data["dealer"] = Dealer.objects.select_related("price_list").filter(code=data["dealer_code"]).first()
            if data["dealer"] is None:
                self.add_error("dealer_code", _("No dealer with this code."))
        if data.get("sku"):
            data["product"] = Product.objects.select_related("base_unit").filter(sku=data["sku"]).first()
            if data["product"] is None:
                self.add_error("sku", _("No product with this SKU."))
        data["unit"] = None
        if data.get("unit_code"):
            data["unit"] = Unit.objects.filter(code=data["unit_code"]).first()
            if data["unit"] is None:
                self.add_error("unit_code", _("No unit with this code."))
        return data
