"""Admin for carts and orders.

An order's status, totals, lines and money terms are read-only here: status moves only through
``orders.services.order_transition`` (which writes the audit row), and orders are placed only through the
placement service, so the admin can neither add nor delete them.
"""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from b2bportal.admin_site import ViewOnlyMixin
from b2bportal.money import format_money, format_quantity
from catalog.availability import availability_for_products
from dealers.credit import credit_position, credit_positions
from orders.edi_admin import OrderExportResource, StaffExportMixin
from orders.exceptions import DecisionRefused
from orders.models import Cart, CartLine, HeldOrder, Order, OrderLine, OrderStatusChange
from orders.quote_admin import QuoteAdmin  # noqa: F401  (registers the quotes' admin)
from orders.reasons import reasons_text
from orders.recurring_admin import RecurringOrderAdmin  # noqa: F401  (registers the recurring orders' admin)
from orders.rules import RULE_LABELS
from orders.selectors import orders_held_for
from orders.services import order_staff_approve, order_staff_reject


class ReadOnlyInline(ViewOnlyMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False


class OrderLineInline(ReadOnlyInline):
    model = OrderLine
    # sku and name are the line's own copies: no product lookup per line.
    fields = (
        "line_no",
        "sku",
        "name",
        "unit_code",
        "quantity",
        "unit_price_net",
        "vat_rate",
        "line_net",
        "line_vat",
        "line_gross",
        "shipped_qty",
        "backordered_qty",
    )
    readonly_fields = fields


class OrderStatusChangeInline(ReadOnlyInline):
    model = OrderStatusChange
    fields = ("created_at", "from_status", "to_status", "actor", "source", "reason")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


@admin.register(Order)
class OrderAdmin(StaffExportMixin, admin.ModelAdmin):
    resource_classes = [OrderExportResource]
    list_display = ("number", "dealer", "status", "payment_method", "total", "placed_at", "erp_document_number")
    list_filter = ("status", "payment_method", "placed_at", "dealer__sales_rep")
    search_fields = ("number", "po_number", "dealer__code", "dealer__title", "erp_document_number")
    list_select_related = ("dealer",)
    date_hierarchy = "placed_at"
    # Read-only below; kept so that making one editable never renders a <select> of every dealer.
    raw_id_fields = ("dealer", "placed_by", "delivery_address")
    readonly_fields = (
        "number",
        "dealer",
        "placed_by",
        "placed_at",
        "status",
        "reasons",
        "payment_method",
        "currency",
        "total_net",
        "total_vat",
        "total_gross",
        "idempotency_key",
        "delivery_address",
        "delivery_address_text",
        "erp_document_number",
        "created_at",
        "updated_at",
    )
    fields = (
        ("number", "status"),
        ("dealer", "placed_by", "placed_at"),
        "reasons",
        ("payment_method", "currency"),
        ("total_net", "total_vat", "total_gross"),
        "po_number",
        "requested_delivery_date",
        ("delivery_address", "delivery_address_text"),
        "note",
        "erp_document_number",
        "idempotency_key",
        ("created_at", "updated_at"),
    )
    inlines = (OrderLineInline, OrderStatusChangeInline)

    @admin.display(description=Order._meta.get_field("total_gross").verbose_name, ordering="total_gross")
    def total(self, obj: Order) -> str:
        return format_money(obj.total_gross, obj.currency)

    @admin.display(description=_("hold reasons"))
    def reasons(self, obj: Order) -> str:
        return reasons_text(obj.hold_reasons, obj.currency) or "—"

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deleting would take the status audit with it; orders end as cancelled or rejected.
        return False


@admin.register(OrderLine)
class OrderLineAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """Order lines are the price as ordered: never edited afterwards."""

    list_display = ("order", "line_no", "sku", "name", "quantity", "unit_code", "line_gross", "shipped_qty")
    search_fields = ("order__number", "sku")
    list_select_related = ("order",)
    show_full_result_count = False
    # The model orders by "order", i.e. a join sorted by placed_at; newest orders first, by id, is the same
    # idea without the join.
    ordering = ("-order_id", "line_no")


@admin.register(OrderStatusChange)
class OrderStatusChangeAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """The status audit, written only by the transition service."""

    list_display = ("created_at", "order", "from_status", "to_status", "actor", "source", "reason")
    list_filter = ("to_status", "from_status", "source")
    search_fields = ("order__number",)
    list_select_related = ("order", "actor")
    date_hierarchy = "created_at"


class CartLineInline(admin.TabularInline):
    model = CartLine
    fields = ("product", "unit", "quantity", "added_at")
    readonly_fields = ("added_at",)
    raw_id_fields = ("product",)
    extra = 0


@admin.register(Cart)
class CartAdmin(admin.ModelAdmin):
    list_display = ("__str__", "dealer", "owner", "kind", "is_shared", "updated_at")
    list_filter = ("kind", "is_shared")
    search_fields = ("name", "dealer__code", "dealer__title", "owner__email")
    list_select_related = ("dealer", "owner")
    autocomplete_fields = ("dealer", "owner")
    readonly_fields = ("created_at", "updated_at")
    inlines = (CartLineInline,)


@admin.register(CartLine)
class CartLineAdmin(admin.ModelAdmin):
    list_display = ("cart", "product", "unit", "quantity", "added_at")
    search_fields = ("product__sku", "cart__name", "cart__dealer__code")
    list_select_related = ("cart", "product", "unit")
    raw_id_fields = ("cart", "product")
    readonly_fields = ("added_at",)
    show_full_result_count = False


class HoldReasonFilter(admin.SimpleListFilter):
    title = _("reason")
    parameter_name = "reason"

    def lookups(self, request, model_admin):
        return [(rule, label) for rule, label in RULE_LABELS.items() if rule != "price_changed"]

    def queryset(self, request, queryset):
        if self.value():
            return orders_held_for(queryset, self.value())
        return queryset


class AgeFilter(admin.SimpleListFilter):
    title = _("waiting")
    parameter_name = "age"
    AGES = {"1h": timedelta(hours=1), "1d": timedelta(days=1), "3d": timedelta(days=3)}

    def lookups(self, request, model_admin):
        return [("1h", _("over an hour")), ("1d", _("over a day")), ("3d", _("over 3 days"))]

    def queryset(self, request, queryset):
        if self.value() in self.AGES:
            return queryset.filter(placed_at__lte=timezone.now() - self.AGES[self.value()])
        return queryset


class DecisionNoteForm(forms.Form):
    """The note of a staff decision: optional to approve, required to reject (the dealer sees it)."""

    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, approve: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["note"].required = not approve
        if not approve:
            self.fields["note"].error_messages["required"] = _("Say why the order is rejected.")


class ApprovalQueueChangeList(ChangeList):
    """The queue's page with every row's dealer's credit now, read for the whole page at once."""

    def get_results(self, request):
        super().get_results(request)
        positions = credit_positions(order.dealer for order in self.result_list)
        for order in self.result_list:
            order.credit_now = positions[order.dealer_id]


@admin.register(HeldOrder)
class ApprovalQueueAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """Held orders with their reasons, the credit picture then and now, and stock now; approve or reject one or
    many with a note. Decisions go through the approval services, which audit them."""

    list_display = (
        "number",
        "dealer",
        "sales_rep",
        "status",
        "reasons",
        "total",
        "exposure_then",
        "exposure_now",
        "placed_at",
    )
    list_filter = (HoldReasonFilter, AgeFilter, "status", "dealer__sales_rep")
    search_fields = ("number", "po_number", "dealer__code", "dealer__title")
    list_select_related = ("dealer", "dealer__sales_rep")
    ordering = ("placed_at", "id")
    actions = ("approve_selected", "reject_selected")
    readonly_fields = (
        "number",
        "dealer",
        "placed_by",
        "placed_at",
        "status",
        "reasons",
        "total",
        "po_number",
        "note",
        "decision_picture",
    )
    fields = readonly_fields
    inlines = (OrderLineInline, OrderStatusChangeInline)

    def get_changelist(self, request, **kwargs):
        return ApprovalQueueChangeList

    def get_actions(self, request):
        # View-only for edits, but deciding is the point of this page.
        actions = super().get_actions(request)
        if not request.user.has_perm("orders.change_order"):
            actions.pop("approve_selected", None)
            actions.pop("reject_selected", None)
        return actions

    @admin.display(description=_("sales representative"))
    def sales_rep(self, obj):
        return obj.dealer.sales_rep or "—"

    @admin.display(description=_("reasons"))
    def reasons(self, obj):
        return reasons_text(obj.hold_reasons, obj.currency) or "—"

    @admin.display(description=_("total"), ordering="total_gross")
    def total(self, obj):
        return format_money(obj.total_gross, obj.currency)

    def _credit_check(self, obj) -> dict:
        return next((c.get("details", {}) for c in obj.placement_checks if c.get("rule") == "credit_limit"), {})

    @admin.display(description=_("exposure / limit when placed"))
    def exposure_then(self, obj):
        details = self._credit_check(obj)
        if not details:
            return "—"
        return (
            f"{format_money(details['exposure'], obj.currency)} / {format_money(details['credit_limit'], obj.currency)}"
        )

    @admin.display(description=_("exposure / limit now"))
    def exposure_now(self, obj):
        position = getattr(obj, "credit_now", None) or credit_position(obj.dealer)
        return f"{format_money(position.exposure, obj.currency)} / {format_money(position.credit_limit, obj.currency)}"

    @admin.display(description=_("credit and stock now"))
    def decision_picture(self, obj):
        position = credit_position(obj.dealer)
        lines = list(obj.lines.select_related("product__base_unit"))
        stock = availability_for_products([line.product for line in lines])
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{} {}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    line.sku,
                    format_quantity(line.quantity),
                    line.unit_code,
                    format_quantity(stock[line.product_id].available),
                    format_quantity(line.backordered_qty),
                )
                for line in lines
            ),
        )
        return format_html(
            "<p>{}: {} · {}: {} · {}: {}{}</p><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th>"
            "</tr></thead><tbody>{}</tbody></table>",
            _("Credit limit"),
            format_money(position.credit_limit, position.currency),
            _("Exposure"),
            format_money(position.exposure, position.currency),
            _("Available"),
            format_money(position.available, position.currency),
            format_html(" · <strong>{}</strong>", _("credit hold")) if position.on_hold else "",
            _("SKU"),
            _("Ordered"),
            _("Available now"),
            _("Backordered"),
            rows,
        )

    def _decide_one(self, request, order, *, approve: bool, note: str) -> bool:
        """One staff decision through the approval services, its outcome told in a message; True when done."""
        try:
            if approve:
                order_staff_approve(order=order, actor=request.user, note=note)
            else:
                order_staff_reject(order=order, actor=request.user, note=note)
        except DecisionRefused as error:
            text = (
                _("%(number)s could not be approved: %(reason)s")
                if approve
                else _("%(number)s could not be rejected: %(reason)s")
            )
            self.message_user(request, text % {"number": order.number, "reason": error.message}, messages.ERROR)
            return False
        return True

    def _decided(self, request, numbers: list[str], *, approve: bool) -> None:
        if numbers:
            text = _("%(number)s approved") if approve else _("%(number)s rejected")
            self.message_user(request, text % {"number": ", ".join(numbers)}, messages.SUCCESS)

    def _decide(self, request, queryset, *, approve: bool):
        """The queue's bulk decision: a page with the selected orders and a note first; a reject without a note
        shows that page again, the selection kept, with the error."""
        if "apply" in request.POST:
            form = DecisionNoteForm(request.POST, approve=approve)
            if form.is_valid():
                note = form.cleaned_data["note"]
                done = [
                    order.number for order in queryset if self._decide_one(request, order, approve=approve, note=note)
                ]
                self._decided(request, done, approve=approve)
                return None
        else:
            form = DecisionNoteForm(approve=approve)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Approve orders") if approve else _("Reject orders"),
            "orders": queryset,
            "form": form,
            "action": request.POST.get("action"),
            "opts": self.model._meta,
            "approve": approve,
        }
        return TemplateResponse(request, "admin/orders/heldorder/decide.html", context)

    def get_urls(self):
        decide = self.admin_site.admin_view(self.decide_view)
        return [
            path("<int:object_id>/decide/", decide, name="orders_heldorder_decide"),
            *super().get_urls(),
        ]

    def decide_view(self, request, object_id: int):
        """The Approve and Reject buttons of one held order's own page."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not request.user.has_perm("orders.change_order"):
            raise PermissionDenied
        order = get_object_or_404(HeldOrder, pk=object_id)
        approve = request.POST.get("decision") == "approve"
        form = DecisionNoteForm(request.POST, approve=approve)
        if not form.is_valid():
            for error in form.errors.get("note", []):
                text = _("%(number)s could not be rejected: %(reason)s")
                self.message_user(request, text % {"number": order.number, "reason": error}, messages.ERROR)
            return redirect("admin:orders_heldorder_change", order.pk)
        if self._decide_one(request, order, approve=approve, note=form.cleaned_data["note"]):
            self._decided(request, [order.number], approve=approve)
            return redirect("admin:orders_heldorder_changelist")
        return redirect("admin:orders_heldorder_change", order.pk)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_decide": request.user.has_perm("orders.change_order")}
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.action(description=_("Approve selected orders"))
    def approve_selected(self, request, queryset):
        return self._decide(request, queryset, approve=True)

    @admin.action(description=_("Reject selected orders"))
    def reject_selected(self, request, queryset):
        return self._decide(request, queryset, approve=False)
