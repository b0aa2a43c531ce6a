"""Admin for payments, payment links, bank statements and allocations.

Money records are read-only here: payments change only through the provider callback and refund services,
statements and their transactions only through the import, allocations only through matching. Staff create
payment links; a link's status and payment are written when it is paid.
"""

from django.contrib import admin, messages
from django.db.models import Count
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from b2bportal.admin_site import ViewOnlyMixin, staff_action_log
from b2bportal.money import format_money
from b2bportal.staff_imports import StaffExportMixin
from notifications.rendering import absolute_url
from payments.link_form import PaymentLinkForm
from payments.models import (
    Allocation,
    BankCsvProfile,
    BankStatement,
    BankTransaction,
    Payment,
    PaymentLink,
    Refund,
    StatementImport,
)
from payments.services import PaymentRefused, payment_link_send, payment_refund
from payments.statements.background import (
    stalled,
    statement_import_again,
    statement_import_is_large,
    statement_import_request,
)
from payments.statements.continuity import warning_text
from payments.statements.forms import AUTO, StatementImportForm
from payments.statements.importer import detect_format, statement_import
from payments.statements.records import StatementError
from payments.views import link_url

#: Seconds between two refreshes of the statement import pages while an import runs.
REFRESH_SECONDS = 5


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


class RefundInline(ViewOnlyMixin, admin.TabularInline):
    model = Refund
    fields = ("created_at", "amount", "currency", "status", "reference", "provider_refund_id", "error", "reason",
              "requested_by", "attempts", "settled_at")  # fmt: skip
    readonly_fields = fields
    extra = 0
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("requested_by")


@admin.register(Payment)
class PaymentAdmin(StaffExportMixin, ViewOnlyMixin, admin.ModelAdmin):
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
    inlines = (AllocationInline, RefundInline)
    readonly_fields = ("refund_link",)

    amount_with_currency = _amount_display(Payment)

    @admin.display(description=_("refund"))
    def refund_link(self, obj) -> str:
        from django.urls import reverse
        from django.utils.html import format_html

        if obj.status not in (Payment.Status.SUCCEEDED, Payment.Status.PARTIALLY_REFUNDED):
            return "—"
        url = reverse("admin:payments_payment_refund", args=[obj.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Refund…"))

    def get_urls(self):
        from django.urls import path

        own = [path("<int:pk>/refund/", self.admin_site.admin_view(self.refund_view), name="payments_payment_refund")]
        return own + super().get_urls()

    def refund_view(self, request, pk: int):
        """Staff refund all or part of a card payment through its provider; the credit memo goes to the ERP."""
        from django import forms
        from django.shortcuts import get_object_or_404, redirect
        from django.template.response import TemplateResponse

        if not request.user.has_perm("payments.change_payment"):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        payment = get_object_or_404(Payment, pk=pk)

        class RefundForm(forms.Form):
            amount = forms.DecimalField(label=_("Amount"), min_value=0, decimal_places=2,
                                        initial=payment.amount - payment.refunded_amount)  # fmt: skip
            reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

        form = RefundForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            amount = format_money(form.cleaned_data["amount"], payment.currency)
            try:
                refund = payment_refund(payment=payment, amount=form.cleaned_data["amount"], user=request.user,
                                        reason=form.cleaned_data["reason"])  # fmt: skip
            except PaymentRefused as refused:
                staff_action_log(request, [payment], _("Refund of %(amount)s refused: %(reason)s")
                                 % {"amount": amount, "reason": refused})  # fmt: skip
                form.add_error(None, str(refused))
            else:
                staff_action_log(request, [payment], _("Refund of %(amount)s (reference %(reference)s): %(status)s.")
                                 % {"amount": amount, "reference": refund.reference,
                                    "status": refund.get_status_display()})  # fmt: skip
                if refund.status == Refund.Status.SUCCEEDED:
                    self.message_user(request, _("The refund was made; the credit memo is on its way to the ERP."))
                else:
                    self.message_user(request, _("The provider has not confirmed the refund yet. The portal asks it "
                                                 "again shortly; do not refund again."), messages.WARNING)  # fmt: skip
                return redirect("admin:payments_payment_change", payment.pk)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "payment": payment,
                   "form": form, "title": _("Refund %(payment)s") % {"payment": payment}}  # fmt: skip
        return TemplateResponse(request, "admin/payments/payment/refund.html", context)


@admin.register(PaymentLink)
class PaymentLinkAdmin(admin.ModelAdmin):
    form = PaymentLinkForm
    list_display = ("created_at", "dealer", "amount_with_currency", "description", "status", "expires_at", "used_at")
    list_filter = ("status", "currency")
    search_fields = ("dealer__code", "dealer__title", "description")
    list_select_related = ("dealer",)
    date_hierarchy = "created_at"
    autocomplete_fields = ("dealer",)
    readonly_fields = ("url", "token", "status", "payment", "used_at", "created_by", "created_at", "updated_at")
    actions = ("send_again", "withdraw")

    amount_with_currency = _amount_display(PaymentLink)

    @admin.display(description=_("link"))
    def url(self, obj) -> str:
        return absolute_url(link_url(obj)) if obj.pk else "—"

    def has_delete_permission(self, request, obj=None) -> bool:
        # A link may already be in a dealer's inbox: it ends as cancelled or expired, never vanishes.
        return False

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        if not change:
            self._send(request, obj, again=False)

    def _send(self, request, link, *, again: bool) -> None:
        if payment_link_send(link=link, path=link_url(link), again=again):
            self.message_user(
                request,
                _("The link is e-mailed to %(email)s; its delivery shows under Notifications.")
                % {"email": link.dealer.email},
            )
        else:
            self.message_user(
                request,
                _("The dealer has no e-mail address: copy the link from the link field."),
                level=messages.WARNING,
            )

    @admin.action(description=_("E-mail the selected links again"))
    def send_again(self, request, queryset) -> None:
        for link in queryset.filter(status=PaymentLink.Status.ACTIVE).select_related("dealer"):
            self._send(request, link, again=True)

    @admin.action(description=_("Withdraw the selected links"))
    def withdraw(self, request, queryset) -> None:
        active = list(queryset.filter(status=PaymentLink.Status.ACTIVE))
        chosen = PaymentLink.objects.filter(pk__in=[link.pk for link in active], status=PaymentLink.Status.ACTIVE)
        count = chosen.update(status=PaymentLink.Status.CANCELLED)
        staff_action_log(request, active, _("Payment link withdrawn."))
        self.message_user(request, _("%(count)d links withdrawn.") % {"count": count})


def _texts(statement: BankStatement) -> list[str]:
    return [warning_text(warning) for warning in statement.warnings]


class ContinuityFilter(admin.SimpleListFilter):
    title = _("continuity")
    parameter_name = "continuity"

    def lookups(self, request, model_admin):
        return [("gaps", _("Lines may be missing")), ("joined", _("Joins"))]

    def queryset(self, request, queryset):
        if self.value() == "gaps":
            return queryset.exclude(warnings=[])
        if self.value() == "joined":
            return queryset.filter(warnings=[])
        return queryset


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
        "continuity",
        "imported_by",
    )
    list_filter = (ContinuityFilter, "format", "currency", "account_iban")
    search_fields = ("account_iban", "statement_id", "file_name", "file_sha256")
    list_select_related = ("imported_by",)
    date_hierarchy = "created_at"
    inlines = (BankTransactionInline,)
    change_list_template = "admin/payments/bankstatement/change_list.html"
    exclude = ("warnings",)
    readonly_fields = ("continuity_warnings",)

    @admin.display(description=_("continuity"))
    def continuity(self, obj: BankStatement) -> str:
        return (
            format_html('<span title="{}">⚠ {}</span>', " ".join(_texts(obj)), len(obj.warnings))
            if obj.warnings
            else "✓"
        )

    @admin.display(description=_("continuity warnings"))
    def continuity_warnings(self, obj: BankStatement) -> str:
        if not obj.warnings:
            return _("No gap was found.")
        return format_html_join("", '<p class="warning">{}</p>', ((text,) for text in _texts(obj)))

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(transaction_count=Count("transactions"))

    @admin.display(description=BankTransaction._meta.verbose_name_plural, ordering="transaction_count")
    def transaction_count(self, obj: BankStatement) -> int:
        return obj.transaction_count

    def get_urls(self):
        from django.urls import path

        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="payments_bankstatement_import"), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_import": self._can_import(request)}
        return super().changelist_view(request, extra_context=extra_context)

    def _can_import(self, request) -> bool:
        # The admin adds no statement by hand (ViewOnlyMixin); importing one is the add permission's job.
        return request.user.has_perm("payments.add_bankstatement")

    def import_view(self, request):
        """Staff upload a statement file; the result (lines created, duplicates skipped, outgoing ignored) or the
        error with its line is shown. The import itself is ``statement_import``; a file larger than
        ``BANK_STATEMENT_BACKGROUND_BYTES`` is imported in the background and its progress shown with the
        statement imports."""
        from django.core.exceptions import PermissionDenied
        from django.shortcuts import redirect
        from django.template.response import TemplateResponse

        if not self._can_import(request):
            raise PermissionDenied
        form = StatementImportForm(request.POST, request.FILES) if request.method == "POST" else StatementImportForm()
        if form.is_bound and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                chosen = form.cleaned_data["format"]
                file_format = detect_format(upload.file.read(4096)) if chosen == AUTO else chosen
                if statement_import_is_large(upload.size):
                    record = statement_import_request(
                        upload=upload,
                        file_name=upload.name,
                        format=file_format,
                        profile=form.cleaned_data["profile"],
                        account_iban=form.cleaned_data["account_iban"],
                        user=request.user,
                    )
                    self.message_user(
                        request,
                        _("The file is large: it is imported in the background. Its progress and result show here."),
                    )
                    return redirect("admin:payments_statementimport_change", record.pk)
                result = statement_import(
                    file_name=upload.name,
                    file=upload.file,
                    format=file_format,
                    profile=form.cleaned_data["profile"] or None,
                    account_iban=form.cleaned_data["account_iban"],
                    imported_by=request.user,
                )
            except StatementError as exc:
                form.add_error(None, str(exc.located(file_name=upload.name)))
            else:
                level = messages.WARNING if result.already_imported else messages.SUCCESS
                self.message_user(request, result.summary(), level)
                for warning in result.warning_texts():
                    self.message_user(request, warning, messages.WARNING)
                return redirect("admin:payments_bankstatement_change", result.statement.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": _("Import a bank statement"),
            "form": form,
        }
        return TemplateResponse(request, "admin/payments/bankstatement/import.html", context)


@admin.register(StatementImport)
class StatementImportAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """Statement files imported in the background: what was uploaded, how far the import got, how it ended. The
    list refreshes itself while an import runs."""

    list_display = ("created_at", "file_name", "status_display", "progress", "statement_link", "summary",
                    "requested_by")  # fmt: skip
    list_filter = ("status", "format")
    search_fields = ("file_name",)
    list_select_related = ("requested_by", "statement")
    date_hierarchy = "created_at"
    fields = ("file_name", "size", "format", "profile", "account_iban", "requested_by", "status_display", "progress",
              "summary", "error", "statement_link", "created_at", "started_at", "finished_at")  # fmt: skip
    readonly_fields = fields
    actions = ("run_again",)
    change_list_template = "admin/payments/statementimport/change_list.html"

    def changelist_view(self, request, extra_context=None):
        S = StatementImport.Status
        running = StatementImport.objects.filter(status__in=(S.QUEUED, S.RUNNING)).exists()
        context = {"refresh_seconds": REFRESH_SECONDS if running else 0, **(extra_context or {})}
        return super().changelist_view(request, extra_context=context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        S = StatementImport.Status
        running = StatementImport.objects.filter(pk=object_id, status__in=(S.QUEUED, S.RUNNING)).exists()
        context = {"refresh_seconds": REFRESH_SECONDS if running else 0, **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra_context=context)

    @admin.display(description=_("status"), ordering="status")
    def status_display(self, obj: StatementImport) -> str:
        if obj.status == StatementImport.Status.FAILED:
            return format_html('<span title="{}">{}: {}</span>', obj.error, obj.get_status_display(),
                               Truncator(obj.error).chars(120))  # fmt: skip
        if stalled(obj):
            return _("Stalled: the import stopped reporting progress")
        return obj.get_status_display()

    @admin.display(description=_("progress"))
    def progress(self, obj: StatementImport) -> str:
        if obj.status == StatementImport.Status.QUEUED:
            return "—"
        percent = obj.percent_done
        if percent is None:
            return _("counting lines…") if obj.status == StatementImport.Status.RUNNING else "—"
        if obj.status == StatementImport.Status.RUNNING and obj.rows_done >= obj.rows_total:
            return _("storing the lines…")
        return format_html('<progress value="{}" max="100" style="width: 8em"></progress> {} % ({} / {})',
                           percent, percent, obj.rows_done, obj.rows_total)  # fmt: skip

    @admin.display(description=_("bank statement"))
    def statement_link(self, obj: StatementImport) -> str:
        if obj.statement_id is None:
            return "—"
        url = reverse("admin:payments_bankstatement_change", args=[obj.statement_id])
        return format_html('<a href="{}">{}</a>', url, obj.statement)

    @admin.action(description=_("Run the selected failed or stalled imports again"), permissions=("import",))
    def run_again(self, request, queryset) -> None:
        again = 0
        for record in queryset:
            if (record.status == StatementImport.Status.FAILED or stalled(record)) and statement_import_again(record):
                again += 1
            else:
                self.message_user(request, _("%(import)s cannot run again: it is not failed or stalled, or its file "
                                             "is gone.") % {"import": record}, messages.WARNING)  # fmt: skip
        if again:
            self.message_user(request, _("%(count)s imports queued again.") % {"count": again}, messages.SUCCESS)

    def has_import_permission(self, request) -> bool:
        return request.user.has_perm("payments.add_bankstatement")

    def has_view_permission(self, request, obj=None) -> bool:
        # Whoever may import a statement follows the imports the upload page sends to the background.
        return self.has_import_permission(request) or super().has_view_permission(request, obj)


@admin.register(BankCsvProfile)
class BankCsvProfileAdmin(admin.ModelAdmin):
    """Staff describe their bank's CSV export here; ``BankCsvProfile.clean`` validates the settings."""

    list_display = ("name", "description", "updated_at")
    search_fields = ("name", "description")
    readonly_fields = ("created_at", "updated_at")


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
class AllocationAdmin(StaffExportMixin, ViewOnlyMixin, admin.ModelAdmin):
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
