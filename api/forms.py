"""The dealer admin's forms: a new API key, and a webhook endpoint with its events."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from api.models import Scope, WebhookEvent
from dealers.models import DealerUser


class ApiKeyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("What the key is for, e.g. “ERP link”."))
    dealer_user = forms.ModelChoiceField(label=_("Acts as"), queryset=DealerUser.objects.none())
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple, initial=[Scope.READ]
    )
    expires_on = forms.DateField(label=_("Expires on"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, dealer, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dealer_user"].queryset = (
            DealerUser.objects.filter(dealer=dealer, is_active=True).select_related("user").order_by("user__email")
        )
        self.fields["dealer_user"].label_from_instance = lambda m: (
            f"{m.user.get_full_name() or m.user.email} ({m.get_role_display()})"
        )


class WebhookEndpointForm(forms.Form):
    url = forms.URLField(label=_("Address"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("Events"), choices=WebhookEvent.choices, widget=forms.CheckboxSelectMultiple
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
