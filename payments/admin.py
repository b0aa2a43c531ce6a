"""Admin for payments, payment links, bank statements and allocations.

Money records are read-only here: payments change only through the provider callback and refund services,
statements and their transactions only through the import, allocations only through matching. Staff create
payment links; a link's status and payment are written when it is paid.
"""

from django.contrib import admin
from django.db.models import Count

from b2bportal.admin_site import ViewOnlyMixin
from b2bportal.money import format_money
from payments.models import Allocation, BankStatement, BankTransaction, Payment, PaymentLink


def _amount_display(field_model, field_name: str = "amount"):
    """A list column showing ``field_name`` with the row's currency, labelled with the field's own name."""

    @admin.display(description=field_model._meta.get_field(field_name).verbose_name, ordering=field_name)
    def display(_model_admin, obj) -> str:
        return format_money(getattr(obj, field_name), obj.currency)

    return display


class AllocationInline(ViewOnlyMixin, admin.TabularInline):
    model = Allocation
    fields = ("created_at", "dealer", "order", "invoice_number", "amount", "currency", "method", "score", "created_by")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("dealer", "order", "created_by")


@admin.register(Payment)
class PaymentAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "dealer",
        "order",
        "method",
        "gateway",
        "amount_with_currency",
        "status",
        "provider_payment_id",
        "confirmed_at",
    )
    list_filter = ("status", "method", "gateway")
    search_fields = ("provider_payment_id", "dealer__code", "dealer__title", "order__number")
    list_select_related = ("dealer", "order")
    date_hierarchy = "created_at"
    inlines = (AllocationInline,)

    amount_with_currency = _amount_display(Payment)


@admin.register(PaymentLink)
class PaymentLinkAdmin(admin.ModelAdmin):
    list_display = ("created_at", "dealer", "amount_with_currency", "description", "status", "expires_at", "used_at")
    list_filter = ("status", "currency")
    search_fields = ("dealer__code", "dealer__title", "description")
    list_select_related = ("dealer",)
    date_hierarchy = "created_at"
    autocomplete_fields = ("dealer",)
    readonly_fields = ("token", "status", "payment", "used_at", "created_by", "created_at", "updated_at")

    amount_with_currency = _amount_display(PaymentLink)

    def has_delete_permission(self, request, obj=None) -> bool:
        # A link may already be in a dealer's inbox: it ends as cancelled or expired, never vanishes.
        return False

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class BankTransactionInline(ViewOnlyMixin, admin.TabularInline):
    model = BankTransaction
    fields = (
        "booking_date",
        "value_date",
        "amount",
        "currency",
        "counterparty_name",
        "counterparty_iban",
        "description",
        "bank_reference",
        "status",
        "status_reason",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(BankStatement)
class BankStatementAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "account_iban",
        "format",
        "period_start",
        "period_end",
        "opening_balance",
        "closing_balance",
        "currency",
        "transaction_count",
        "imported_by",
    )
    list_filter = ("format", "currency", "account_iban")
    search_fields = ("account_iban", "statement_id", "file_name", "file_sha256")
    list_select_related = ("imported_by",)
    date_hierarchy = "created_at"
    inlines = (BankTransactionInline,)

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(transaction_count=Count("transactions"))

    @admin.display(description=BankTransaction._meta.verbose_name_plural, ordering="transaction_count")
    def transaction_count(self, obj: BankStatement) -> int:
        return obj.transaction_count


@admin.register(BankTransaction)
class BankTransactionAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = (
        "booking_date",
        "amount_with_currency",
        "counterparty_name",
        "counterparty_iban",
        "description",
        "status",
        "account_iban",
    )
    list_filter = ("status", "booking_date", "currency", "account_iban")
    search_fields = ("description", "counterparty_name", "counterparty_iban", "bank_reference")
    date_hierarchy = "booking_date"
    show_full_result_count = False
    inlines = (AllocationInline,)

    amount_with_currency = _amount_display(BankTransaction)


@admin.register(Allocation)
class AllocationAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "dealer",
        "amount_with_currency",
        "method",
        "score",
        "bank_transaction",
        "payment",
        "order",
        "invoice_number",
        "created_by",
    )
    list_filter = ("method", "currency")
    search_fields = ("dealer__code", "dealer__title", "invoice_number", "order__number")
    list_select_related = ("dealer", "bank_transaction", "payment", "order", "created_by")
    date_hierarchy = "created_at"

    amount_with_currency = _amount_display(Allocation)
