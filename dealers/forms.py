"""Forms of the dealer's self-service pages: they parse input; the rules are in ``dealers.services``."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from dealers.models import DealerAddress, DealerUser


class MemberForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=DealerUser.Role.choices)
    approval_limit = forms.DecimalField(
        label=_("Order approval limit"),
        required=False,
        min_value=0,
        max_digits=16,
        decimal_places=2,
        help_text=_("Orders above this total wait for an approver. Empty: no limit."),
    )
    sees_account = forms.BooleanField(label=_("Sees the statement of account"), required=False)


class InviteForm(MemberForm):
    email = forms.EmailField(label=_("E-mail"))
    full_name = forms.CharField(label=_("Full name"), max_length=150, required=False)
    language = forms.ChoiceField(label=_("Language of the e-mail"), choices=settings.LANGUAGES)

    field_order = ["email", "full_name", "language", "role", "approval_limit", "sees_account"]


class MemberChangeForm(MemberForm):
    is_active = forms.BooleanField(
        label=_("Active"), required=False, help_text=_("A deactivated user cannot sign in to the portal any more.")
    )


class AddressProposalForm(forms.ModelForm):
    class Meta:
        model = DealerAddress
        fields = ("name", "line1", "line2", "district", "city", "postal_code", "phone", "gln")
