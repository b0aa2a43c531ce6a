"""Staff manage API keys (a new key is shown once, in the message after saving; revoked by an action) and see
every webhook endpoint (its secret only by its hint; rolled by an action that shows the new one once) and delivery
with its attempts, and send deliveries again."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from api.models import ApiKey, Scope, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from api.services import api_key_create, api_key_revoke, webhook_delivery_replay, webhook_secret_roll
from b2bportal.admin_site import ViewOnlyMixin


class ApiKeyAddForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(label=_("scopes"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ApiKey
        fields = ("dealer_user", "name", "scopes", "expires_at", "rate")


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "dealer", "dealer_user", "scopes", "expires_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix", "dealer__code", "dealer__title", "dealer_user__user__email")
    list_select_related = ("dealer", "dealer_user__user")
    raw_id_fields = ("dealer_user",)
    actions = ("revoke",)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = ApiKeyAddForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("dealer", "dealer_user", "prefix", "scopes", "expires_at", "last_used_at", "revoked_at", "created_by")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("dealer_user", "name", "scopes", "expires_at", "rate")
        return ("name", "rate", *self.get_readonly_fields(request, obj))

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        try:
            row, key = api_key_create(
                dealer_user=form.cleaned_data["dealer_user"],
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                expires_at=form.cleaned_data["expires_at"],
                rate=form.cleaned_data["rate"],
                created_by=request.user,
            )
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from error
        obj.pk = row.pk
        messages.warning(request, _("The new key (shown only now): %(key)s") % {"key": key})

    @admin.action(description=_("Revoke the selected keys"))
    def revoke(self, request, queryset) -> None:
        for api_key in queryset:
            api_key_revoke(api_key=api_key)
        self.message_user(request, _("%(count)d keys revoked.") % {"count": len(queryset)})


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ("url", "dealer", "is_active", "failures", "disabled_reason")
    list_filter = ("is_active",)
    search_fields = ("url", "dealer__code", "dealer__title")
    list_select_related = ("dealer",)
    readonly_fields = (
        "dealer", "url", "secret_hint", "previous_secret_until", "failures", "disabled_reason", "created_by"
    )  # fmt: skip
    fields = ("dealer", "url", "events", "is_active", *readonly_fields[2:])
    actions = ("roll_secret",)

    def has_add_permission(self, request) -> bool:
        return False  # registered by the dealer admin, whose address checks apply (api.services)

    @admin.action(description=_("Roll the signing secret of the selected addresses"))
    def roll_secret(self, request, queryset) -> None:
        for endpoint in queryset:
            endpoint, secret = webhook_secret_roll(endpoint=endpoint, actor=request.user)
            messages.warning(
                request,
                _("New signing secret of %(address)s (shown only now; the previous one stays valid for 24 hours): "
                  "%(secret)s") % {"address": endpoint.url, "secret": secret},
            )  # fmt: skip


class WebhookAttemptInline(ViewOnlyMixin, admin.TabularInline):
    model = WebhookAttempt
    fields = ("attempted_at", "status_code", "error", "duration_ms")
    extra = 0


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ("created_at", "event", "endpoint", "status", "attempts", "last_status_code", "next_attempt_at")
    list_filter = ("status", "event")
    search_fields = ("endpoint__url", "event_key")
    list_select_related = ("endpoint",)
    inlines = (WebhookAttemptInline,)
    actions = ("send_again",)

    @admin.action(description=_("Send the selected deliveries again"))
    def send_again(self, request, queryset) -> None:
        for delivery in queryset:
            webhook_delivery_replay(delivery=delivery)
        self.message_user(request, _("%(count)d deliveries queued again.") % {"count": len(queryset)})
