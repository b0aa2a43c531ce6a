"""Admin for quotes: the queue of requests, and each quote's page where staff price it line by line (the dealer's
normal price and its explanation beside each line, stock and credit now), set validity and terms, send it, start
a new version after a revision request, or cancel it.

Who: staff with ``orders.view_quote`` see every quote; a sales representative (a staff user linked to a
``SalesRep``) with ``orders.price_quote`` sees and prices the quotes of their own dealers. Pricing, sending, new
versions and cancellations need ``orders.price_quote``. Every step goes through ``orders.services.quotes`` (which
writes the quote's history) and is also written to the admin's own history of the quote.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Q, Subquery
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from b2bportal.admin_site import ViewOnlyMixin, staff_action_log
from b2bportal.money import format_money
from catalog.availability import availability_for_products
from dealers.credit import credit_decision
from orders.exceptions import QuoteRefused
from orders.models import Quote, QuoteEvent, QuoteLine, QuoteStatus, QuoteVersion
from orders.services.quotes import (
    LinePrice,
    quote_cancel,
    quote_current_version,
    quote_price,
    quote_revise,
    quote_send,
)

PRICE_PERMISSION = "orders.price_quote"
WAITING_FOR_US = (QuoteStatus.REQUESTED, QuoteStatus.DRAFT, QuoteStatus.REVISION_REQUESTED)


def quotes_visible_to(user, queryset):
    """All quotes for staff who may view them; a sales representative's own dealers' quotes otherwise."""
    if user.has_perm("orders.view_quote"):
        return queryset
    if user.has_perm(PRICE_PERMISSION):
        return queryset.filter(dealer__sales_rep__user=user)
    return queryset.none()


class QueueFilter(admin.SimpleListFilter):
    title = _("queue")
    parameter_name = "queue"

    def lookups(self, request, model_admin):
        return [("ours", _("Waiting for us")), ("dealer", _("Waiting for the dealer"))]

    def queryset(self, request, queryset):
        if self.value() == "ours":
            return queryset.filter(status__in=WAITING_FOR_US)
        if self.value() == "dealer":
            return queryset.filter(status=QuoteStatus.SENT)
        return queryset


class QuoteEventInline(ViewOnlyMixin, admin.TabularInline):
    model = QuoteEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "version_number", "action", "from_status", "to_status", "actor", "note")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class QuoteVersionInline(ViewOnlyMixin, admin.TabularInline):
    model = QuoteVersion
    extra = 0
    can_delete = False
    fields = ("number", "total_gross", "valid_until", "priced_by", "priced_at", "sent_by", "sent_at", "terms")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("priced_by", "sent_by")


class QuotePricingForm(forms.Form):
    valid_until = forms.DateField(
        label=_("Valid until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    terms = forms.CharField(label=_("Terms"), required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))

    def __init__(self, *args, lines: list[QuoteLine], **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = lines
        for line in lines:
            self.fields[f"price_{line.pk}"] = forms.DecimalField(
                label=_("Price"), required=False, min_value=Decimal("0"), max_digits=16, decimal_places=4,
                initial=line.quoted_price_net if line.discount_percent is None else None,
            )  # fmt: skip
            self.fields[f"discount_{line.pk}"] = forms.DecimalField(
                label=_("Discount %"), required=False, min_value=Decimal("0"), max_value=Decimal("99.99"),
                max_digits=5, decimal_places=2, initial=line.discount_percent,
            )  # fmt: skip

    def clean(self):
        data = super().clean()
        for line in self.lines:
            price, discount = data.get(f"price_{line.pk}"), data.get(f"discount_{line.pk}")
            if price is not None and discount is not None:
                self.add_error(f"price_{line.pk}", _("Give either a price or a discount."))
        return data

    def prices(self) -> dict[int, LinePrice]:
        result = {}
        for line in self.lines:
            price = self.cleaned_data.get(f"price_{line.pk}")
            discount = self.cleaned_data.get(f"discount_{line.pk}")
            if price is not None or discount is not None:
                result[line.pk] = LinePrice(net=price, percent=discount)
        return result

    def rows(self):
        """Each line with its two inputs, for the template."""
        return [(line, self[f"price_{line.pk}"], self[f"discount_{line.pk}"]) for line in self.lines]


@admin.register(Quote)
class QuoteAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ("number", "dealer", "sales_rep", "status", "requested_by", "created_at", "total")
    list_filter = (QueueFilter, "status", "dealer__sales_rep")
    search_fields = ("number", "dealer__code", "dealer__title", "order__number")
    list_select_related = ("dealer", "dealer__sales_rep", "requested_by")
    ordering = ("-created_at", "-id")
    readonly_fields = (
        "number",
        "dealer",
        "requested_by",
        "status",
        "note",
        "order",
        "erp_document_number",
        "created_at",
    )
    fields = readonly_fields
    inlines = (QuoteVersionInline, QuoteEventInline)
    change_form_template = "admin/orders/quote/change_form.html"

    def get_queryset(self, request):
        latest = QuoteVersion.objects.filter(quote=OuterRef("pk")).order_by("-number")
        queryset = super().get_queryset(request).annotate(latest_total=Subquery(latest.values("total_gross")[:1]))
        return quotes_visible_to(request.user, queryset)

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("orders.view_quote") or request.user.has_perm(PRICE_PERMISSION)

    def has_module_permission(self, request) -> bool:
        return self.has_view_permission(request)

    @admin.display(description=_("sales representative"))
    def sales_rep(self, obj):
        return obj.dealer.sales_rep or "—"

    @admin.display(description=_("total"))
    def total(self, obj):
        return format_money(obj.latest_total, obj.currency) if obj.latest_total is not None else "—"

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:object_id>/price/", wrap(self.price_view), name="orders_quote_price"),
            path("<int:object_id>/step/", wrap(self.step_view), name="orders_quote_step"),
            *super().get_urls(),
        ]

    def _quote(self, request, object_id) -> Quote:
        if not request.user.has_perm(PRICE_PERMISSION):
            raise PermissionDenied
        return get_object_or_404(quotes_visible_to(request.user, Quote.objects.select_related("dealer")), pk=object_id)

    def price_view(self, request, object_id: int):
        """The pricing page of the draft version: each line's normal price and explanation, target price, stock
        now, and the inputs; then save, or save and send."""
        quote = self._quote(request, object_id)
        version = quote_current_version(quote)
        if version is None or version.sent_at is not None:
            messages.error(request, _("This version was sent and cannot change; start a new version."))
            return redirect("admin:orders_quote_change", quote.pk)
        lines = list(version.lines.select_related("product__base_unit", "unit").order_by("line_no"))
        form = QuotePricingForm(
            request.POST or None,
            lines=lines,
            initial={"valid_until": version.valid_until, "terms": version.terms},
        )
        if request.method == "POST" and form.is_valid():
            try:
                quote_price(
                    quote=quote,
                    actor=request.user,
                    prices=form.prices(),
                    valid_until=form.cleaned_data["valid_until"],
                    terms=form.cleaned_data["terms"],
                )
                staff_action_log(request, [quote], _("Priced version %(n)s") % {"n": version.number})
                if "send" in request.POST:
                    quote_send(quote=quote, actor=request.user)
                    staff_action_log(request, [quote], _("Sent version %(n)s") % {"n": version.number})
                    messages.success(request, _("%(number)s is sent to the dealer.") % {"number": quote.number})
                    return redirect("admin:orders_quote_change", quote.pk)
                messages.success(request, _("%(number)s is priced.") % {"number": quote.number})
                return redirect("admin:orders_quote_price", quote.pk)
            except QuoteRefused as refused:
                form.add_error(None, refused.message)
        stock = availability_for_products([line.product for line in lines])
        context = {
            **self.admin_site.each_context(request),
            "title": _("Price %(number)s, version %(n)s") % {"number": quote.number, "n": version.number},
            "quote": quote,
            "version": version,
            "form": form,
            "stock": {pid: a.available for pid, a in stock.items()},
            "credit": credit_decision(quote.dealer, version.total_gross),
            "opts": self.model._meta,
            "original": quote,
        }
        return TemplateResponse(request, "admin/orders/quote/price.html", context)

    def step_view(self, request, object_id: int):
        """The quote page's buttons: send, new version, cancel."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        quote = self._quote(request, object_id)
        step = request.POST.get("step")
        note = request.POST.get("note", "")
        try:
            if step == "send":
                version = quote_send(quote=quote, actor=request.user)
                staff_action_log(request, [quote], _("Sent version %(n)s") % {"n": version.number})
            elif step == "revise":
                version = quote_revise(quote=quote, actor=request.user, note=note)
                staff_action_log(request, [quote], _("Started version %(n)s") % {"n": version.number})
                return redirect("admin:orders_quote_price", quote.pk)
            elif step == "cancel":
                quote_cancel(quote=quote, actor=request.user, note=note)
                staff_action_log(request, [quote], _("Cancelled"))
            else:
                raise QuoteRefused(_("Unknown step."))
        except QuoteRefused as refused:
            messages.error(request, refused.message)
        return redirect("admin:orders_quote_change", quote.pk)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        quote = get_object_or_404(self.get_queryset(request), pk=object_id)
        version = quote_current_version(quote)
        extra_context = {
            **(extra_context or {}),
            "can_price": request.user.has_perm(PRICE_PERMISSION),
            "current_version": version,
            "current_lines": list(version.lines.select_related("product").order_by("line_no")) if version else [],
            "today": timezone.localdate(),
        }
        return super().change_view(request, object_id, form_url, extra_context)


def quotes_waiting_count(user) -> int:
    """How many quotes wait for staff (for the admin's index), among those ``user`` may see."""
    return quotes_visible_to(user, Quote.objects.filter(Q(status__in=WAITING_FOR_US))).count()
