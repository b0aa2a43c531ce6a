"""Admin for dealers. Saving a dealer goes through ``dealer_save`` so every change money depends on is audited."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import OuterRef
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from import_export import fields, widgets

from b2bportal.admin_site import ViewOnlyMixin
from b2bportal.staff_imports import CodeWidget, PortalOwnedResource, StaffImportExportMixin
from dealers.models import (
    AccountEntry,
    Dealer,
    DealerAddress,
    DealerChange,
    DealerIban,
    DealerInvitation,
    DealerUser,
    PaymentTerms,
    SalesRep,
)
from dealers.services import (
    dealer_address_decide,
    dealer_confirm,
    dealer_invitation_send,
    dealer_save,
    dealer_user_invite,
    dealer_user_save,
)

# The dealer page shows the latest audit rows only; the full history is one click away, filtered.
DEALER_CHANGE_INLINE_ROWS = 20


@admin.register(SalesRep)
class SalesRepAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "email", "user", "is_active")
    list_filter = ("is_active",)
    search_fields = ("code", "name", "email")
    list_select_related = ("user",)
    autocomplete_fields = ("user",)
    readonly_fields = ("created_at", "updated_at")


@admin.register(PaymentTerms)
class PaymentTermsAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "days")
    search_fields = ("code", "name")
    readonly_fields = ("created_at", "updated_at")


class DealerUserInline(admin.TabularInline):
    model = DealerUser
    fields = ("user", "role", "approval_limit", "sees_account", "is_active")
    autocomplete_fields = ("user",)
    extra = 0


class DealerAddressInline(admin.StackedInline):
    model = DealerAddress
    # A proposed address is approved or refused with the actions of the address list, never by hand here.
    readonly_fields = ("status",)
    fields = (
        ("kind", "code", "is_default", "is_active", "status"),
        "name",
        "line1",
        "line2",
        ("district", "city", "postal_code", "country"),
        ("phone", "gln"),
    )
    extra = 0


class DealerIbanInline(admin.TabularInline):
    model = DealerIban
    fields = ("iban", "bank_name", "source")
    # New IBANs entered here are the staff's; where an existing one came from is history.
    readonly_fields = ("source",)
    extra = 0


class DealerChangeInline(ViewOnlyMixin, admin.TabularInline):
    """The latest audit rows of the dealer, read-only: the audit is written by ``dealers.audit`` alone."""

    model = DealerChange
    verbose_name_plural = _("latest changes")
    fields = ("created_at", "subject", "field", "old_value", "new_value", "actor", "source", "reason")
    readonly_fields = fields
    ordering = ("-created_at", "-id")
    extra = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request):
        # The inline formset filters by dealer after this, so the limit is a per-dealer subquery, not a slice.
        latest = (
            DealerChange.objects.filter(dealer=OuterRef("dealer"))
            .order_by("-created_at", "-id")
            .values("pk")[:DEALER_CHANGE_INLINE_ROWS]
        )
        return super().get_queryset(request).filter(pk__in=latest).select_related("actor")


@admin.register(Dealer)
class DealerAdmin(admin.ModelAdmin):
    list_display = (
        "code",
        "title",
        "tax_number",
        "sales_rep",
        "price_list",
        "credit_limit",
        "erp_balance",
        "credit_hold",
        "status",
    )
    list_filter = ("status", "credit_hold", "requires_manual_review", "currency", "sales_rep", "price_list")
    search_fields = ("code", "title", "tax_number")
    list_select_related = ("sales_rep", "price_list")
    autocomplete_fields = ("parent", "price_list", "payment_terms", "sales_rep")
    # ERP figures: the sync writes them with their *as of*; staff changes to the limit and hold are
    # stamped by dealer_save.
    readonly_fields = (
        "credit_limit_as_of",
        "credit_hold_as_of",
        "erp_balance",
        "erp_balance_as_of",
        "erp_open_orders",
        "erp_open_orders_as_of",
        "ledger_as_of",
        "account_movements",
        "change_history",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (None, {"fields": ("code", "title", "parent", "status", "status_reason")}),
        (_("Tax and contact"), {"fields": ("tax_number", "tax_office", "email", "phone")}),
        (
            _("Commercial terms"),
            {
                "fields": (
                    "currency",
                    "price_list",
                    "payment_terms",
                    "sales_rep",
                    "requires_manual_review",
                    "po_number_required",
                )
            },
        ),
        (
            _("Credit"),
            {
                "fields": (
                    ("credit_limit", "credit_limit_as_of"),
                    ("credit_hold", "credit_hold_as_of"),
                    "credit_hold_reason",
                    ("erp_balance", "erp_balance_as_of"),
                    ("erp_open_orders", "erp_open_orders_as_of"),
                    ("account_movements", "ledger_as_of"),
                )
            },
        ),
        (_("Record"), {"fields": ("change_history", "created_at", "updated_at")}),
    )
    inlines = (DealerUserInline, DealerAddressInline, DealerIbanInline, DealerChangeInline)
    actions = ("confirm",)

    @admin.action(description=_("Confirm the new dealers (and create them in the ERP)"))
    def confirm(self, request, queryset) -> None:
        def confirm_one(dealer):
            outcome = dealer_confirm(actor=request.user, dealer=dealer)
            # Staff expect an ERP account: where none is created for them, the message must stand out.
            level = messages.INFO if outcome.erp_queued else messages.WARNING
            self.message_user(request, f"{dealer}: {outcome}", level)

        _each(self, request, queryset, confirm_one, _("%(count)s dealers confirmed."))

    @admin.display(description=_("change history"))
    def change_history(self, obj: Dealer) -> str:
        if obj.pk is None:
            return ""
        url = reverse("admin:dealers_dealerchange_changelist") + f"?dealer__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("All changes of this dealer"))

    @admin.display(description=_("account movements"))
    def account_movements(self, obj: Dealer) -> str:
        if obj.pk is None:
            return ""
        url = reverse("admin:dealers_accountentry_changelist") + f"?dealer__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("The movements the ERP sent for this dealer"))

    def save_model(self, request, obj, form, change) -> None:
        # Never obj.save(): credit limit, hold, price list, terms and status changes must leave an audit row.
        dealer_save(dealer=obj, actor=request.user, source=DealerChange.Source.STAFF, reason="admin")

    def save_formset(self, request, form, formset, change) -> None:
        if formset.model is not DealerUser:
            return super().save_formset(request, form, formset, change)
        # Dealer users' roles, limits and active flags are audited like the dealer's own terms.
        for member in formset.save(commit=False):
            dealer_user_save(dealer_user=member, actor=request.user, reason="admin")
        for member in formset.deleted_objects:
            member.delete()
        formset.save_m2m()


def _each(modeladmin, request, queryset, service, done) -> None:
    """Run ``service`` on each selected row; refusals are shown per row, the rest go on."""
    count = 0
    for obj in queryset:
        try:
            service(obj)
        except ValidationError as error:
            modeladmin.message_user(request, f"{obj}: {' '.join(error.messages)}", messages.ERROR)
        else:
            count += 1
    if count:
        modeladmin.message_user(request, done % {"count": count}, messages.SUCCESS)


class DealerUserResource(PortalOwnedResource):
    """New dealer users from a file: dealer (code), email, full_name, role, approval_limit, sees_account,
    language. Each row goes through ``dealer_user_invite`` — the user gets the invitation e-mail once the import is
    confirmed (the preview sends nothing) — so an address that already has an account is a row error. Exports list
    the users with the same columns."""

    dealer = fields.Field(
        attribute="dealer",
        column_name="dealer",
        widget=CodeWidget(Dealer, "code", _("No dealer with the code %(code)s.")),
    )
    email = fields.Field(attribute="user__email", column_name="email")
    full_name = fields.Field(attribute="user__full_name", column_name="full_name")
    language = fields.Field(attribute="user__language", column_name="language")
    sees_account = fields.Field(attribute="sees_account", column_name="sees_account", widget=widgets.BooleanWidget())

    class Meta:
        model = DealerUser
        fields = ("dealer", "email", "full_name", "role", "approval_limit", "sees_account", "language")
        export_order = fields

    def get_instance(self, instance_loader, row):
        return None

    def import_field(self, field, instance, row, is_m2m=False, **kwargs):
        if field.attribute and field.attribute.startswith("user__"):
            setattr(instance, f"_import_{field.column_name}", str(row.get(field.column_name) or "").strip())
            return
        super().import_field(field, instance, row, is_m2m, **kwargs)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        pass

    def save_instance(self, instance, is_create, row, **kwargs):
        invitation = dealer_user_invite(
            actor=kwargs.get("user"),
            dealer=instance.dealer,
            email=getattr(instance, "_import_email", ""),
            full_name=getattr(instance, "_import_full_name", ""),
            role=instance.role or DealerUser.Role.BUYER,
            approval_limit=instance.approval_limit,
            sees_account=bool(instance.sees_account),
            language=getattr(instance, "_import_language", ""),
        )
        instance.pk, instance.user = invitation.dealer_user.pk, invitation.dealer_user.user


@admin.register(DealerUser)
class DealerUserAdmin(StaffImportExportMixin, admin.ModelAdmin):
    resource_classes = [DealerUserResource]
    """Dealer users. Saving goes through ``dealer_user_save``: role, limit and active changes are audited. A user
    added here without a password gets their one-time link with the action "Send the invitation"."""

    list_display = ("user", "dealer", "role", "approval_limit", "sees_account", "is_active", "invitation_state")
    list_filter = ("role", "is_active")
    search_fields = ("user__email", "user__full_name", "dealer__code", "dealer__title")
    list_select_related = ("user", "dealer", "invitation")
    autocomplete_fields = ("user", "dealer")
    readonly_fields = ("created_at", "updated_at")
    actions = ("send_invitation",)

    @admin.display(description=_("invitation"))
    def invitation_state(self, obj: DealerUser) -> str:
        invitation = getattr(obj, "invitation", None)
        if invitation is None:
            return "—"
        if invitation.accepted_at:
            return _("accepted")
        return _("pending") if invitation.is_pending else _("expired")

    def save_model(self, request, obj, form, change) -> None:
        dealer_user_save(dealer_user=obj, actor=request.user, reason="admin")

    @admin.action(description=_("Send the invitation (again)"))
    def send_invitation(self, request, queryset) -> None:
        _each(
            self,
            request,
            queryset.select_related("user", "dealer"),
            lambda member: dealer_invitation_send(actor=request.user, dealer_user=member),
            _("%(count)s invitations sent."),
        )


@admin.register(DealerInvitation)
class DealerInvitationAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """Invitations as they were sent: sending again is the dealer user list's action."""

    list_display = ("dealer_user", "invited_by", "sent_count", "expires_at", "accepted_at", "created_at")
    list_filter = ("accepted_at",)
    search_fields = ("dealer_user__user__email", "dealer_user__dealer__code", "dealer_user__dealer__title")
    list_select_related = ("dealer_user__user", "dealer_user__dealer", "invited_by")


@admin.register(DealerAddress)
class DealerAddressAdmin(admin.ModelAdmin):
    """Addresses. Those a dealer admin proposed wait with the status "waiting for approval"; the actions approve
    them (they become delivery addresses) or refuse them."""

    list_display = ("name", "dealer", "kind", "city", "code", "gln", "status", "erp_note", "is_default", "is_active")
    list_filter = ("status", "kind", "is_default", "is_active")
    search_fields = ("name", "code", "city", "gln", "dealer__code", "dealer__title")
    list_select_related = ("dealer",)
    autocomplete_fields = ("dealer",)
    readonly_fields = ("status", "erp_note", "proposed_by", "decided_by", "decided_at", "created_at", "updated_at")
    actions = ("approve", "refuse")

    @admin.action(description=_("Approve the proposed addresses"))
    def approve(self, request, queryset) -> None:
        def decide(address):
            decided = dealer_address_decide(actor=request.user, address=address, approve=True)
            # Staff see at once when the ERP will not know the address (the note stays on the address too).
            self.message_user(request, f"{decided}: {decided.erp_note}", messages.INFO)

        _each(self, request, queryset, decide, _("%(count)s addresses approved."))

    @admin.action(description=_("Refuse the proposed addresses"))
    def refuse(self, request, queryset) -> None:
        _each(
            self,
            request,
            queryset,
            lambda address: dealer_address_decide(actor=request.user, address=address, approve=False),
            _("%(count)s addresses refused."),
        )


@admin.register(DealerIban)
class DealerIbanAdmin(admin.ModelAdmin):
    list_display = ("iban", "dealer", "bank_name", "source", "created_at")
    list_filter = ("source",)
    search_fields = ("iban", "bank_name", "dealer__code", "dealer__title")
    list_select_related = ("dealer",)
    autocomplete_fields = ("dealer",)
    readonly_fields = ("created_at", "updated_at")


@admin.register(DealerChange)
class DealerChangeAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """The audit trail: readable by staff, written only through ``dealers.audit``."""

    list_display = ("created_at", "dealer", "subject", "field", "old_value", "new_value", "actor", "source", "reason")
    list_filter = ("field", "source")
    search_fields = ("dealer__code", "dealer__title", "subject")
    list_select_related = ("dealer", "actor")
    date_hierarchy = "created_at"


@admin.register(AccountEntry)
class AccountEntryAdmin(ViewOnlyMixin, admin.ModelAdmin):
    """The customer ledger as the ERP sent it: readable by staff, written only by the sync."""

    list_display = ("posted_on", "dealer", "kind", "document_number", "amount", "open_amount", "due_on", "as_of")
    list_filter = ("kind", "connection")
    search_fields = ("dealer__code", "dealer__title", "document_number", "erp_id")
    list_select_related = ("dealer",)
    date_hierarchy = "posted_on"
    show_full_result_count = False
