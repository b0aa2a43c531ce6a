"""The staff form for a payment link: the invoices are picked from the dealer's open invoices (what each still owes,
``payments.receivables.invoice_open_amounts``, the rule the dealer's payments page uses), the currency from
``B2B_CURRENCIES``, the expiry defaults to ``B2B_PAYMENT_LINK_DAYS`` days ahead. Left empty, the amount is what
the chosen invoices still owe.

Without JavaScript the dealer is chosen first: saving with a dealer and neither invoices nor amount shows that
dealer's open invoices to pick from."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from b2bportal.money import format_money
from dealers.models import Dealer
from payments.models import PaymentLink
from payments.receivables import invoice_open_amounts


class PaymentLinkForm(forms.ModelForm):
    invoices = forms.MultipleChoiceField(
        label=_("Invoices"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The dealer's open invoices with what each still owes. Choose the dealer first to see them."),
    )
    currency = forms.ChoiceField(label=_("currency"))

    class Meta:
        model = PaymentLink
        fields = ("dealer", "invoices", "amount", "currency", "description", "expires_at")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [(code, code) for code in settings.B2B_CURRENCIES]
        self.fields["amount"].required = False
        self.fields["amount"].help_text = _("Empty: what the chosen invoices still owe.")
        dealer = self._dealer()
        self.open_amounts: dict[str, Decimal] = invoice_open_amounts(dealer) if dealer is not None else {}
        currency = dealer.currency if dealer is not None else settings.B2B_BASE_CURRENCY
        choices = [(number, f"{number} — {format_money(left, currency)}") for number, left in self.open_amounts.items()]
        # A saved link keeps its invoices even once they are paid (the link may be what paid them).
        choices += [(number, number) for number in self.instance.invoice_numbers if number not in self.open_amounts]
        self.fields["invoices"].choices = choices
        if self.instance.pk is None:
            self.fields["currency"].initial = currency
            self.fields["expires_at"].initial = timezone.localtime() + timedelta(days=settings.B2B_PAYMENT_LINK_DAYS)
        else:
            self.fields["invoices"].initial = list(self.instance.invoice_numbers)

    def _dealer(self) -> Dealer | None:
        if self.instance.dealer_id:
            return self.instance.dealer
        raw = self.data.get(self.add_prefix("dealer")) if self.is_bound else self.initial.get("dealer")
        if isinstance(raw, Dealer):
            return raw
        try:
            return Dealer.objects.filter(pk=int(raw)).first() if raw else None
        except (TypeError, ValueError):
            return None

    def clean(self) -> dict:
        cleaned = super().clean()
        invoices = cleaned.get("invoices") or []
        if cleaned.get("amount") is None and "amount" not in self.errors:
            if not invoices:
                raise forms.ValidationError(_("Choose the invoices to pay or enter an amount."))
            cleaned["amount"] = sum((self.open_amounts.get(number, Decimal(0)) for number in invoices), Decimal(0))
            if cleaned["amount"] <= 0:
                raise forms.ValidationError(_("Choose the invoices to pay or enter an amount."))
        expires_at = cleaned.get("expires_at")
        if expires_at is not None and expires_at <= timezone.now():
            self.add_error("expires_at", _("The expiry must be in the future."))
        return cleaned

    def save(self, commit: bool = True) -> PaymentLink:
        self.instance.amount = self.cleaned_data["amount"]
        self.instance.invoice_numbers = list(self.cleaned_data.get("invoices") or [])
        return super().save(commit=commit)
