"""The bank matching queue: incoming transfers the matcher left to staff, with ranked candidates and reasons.

Staff run the matcher again, match a transfer by hand (one dealer or several parts: orders, invoices, account),
or set it aside with a reason. A manual match remembers the sender's IBAN for the next statement."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from b2bportal.admin_site import ViewOnlyMixin, staff_action_log
from b2bportal.money import format_money
from dealers.models import Dealer
from orders.models import Order
from payments.matching import Part, allocate_manually, statement_match, transaction_ignore
from payments.models import BankStatement, BankTransaction, UnmatchedTransfer
from payments.statements.continuity import warning_text


class PartForm(forms.Form):
    dealer = forms.ModelChoiceField(label=_("Dealer"), queryset=None, required=False)
    order_number = forms.CharField(label=_("Order"), max_length=32, required=False)
    invoice_number = forms.CharField(label=_("Invoice"), max_length=64, required=False)
    amount = forms.DecimalField(label=_("Amount"), min_value=Decimal("0.01"), decimal_places=2, required=False)

    def __init__(self, *args, **kwargs):

        super().__init__(*args, **kwargs)
        self.fields["dealer"].queryset = Dealer.objects.order_by("title")

    def clean(self):
        data = super().clean()
        filled = [data.get(name) not in (None, "") for name in ("dealer", "amount")]
        if any(filled) and not all(filled):
            raise forms.ValidationError(_("A part needs a dealer and an amount."))
        number = data.get("order_number")
        if number and data.get("dealer"):
            order = Order.objects.filter(number=number.strip(), dealer=data["dealer"]).first()
            if order is None:
                raise forms.ValidationError(_("The dealer has no order %(number)s.") % {"number": number})
            data["order"] = order
        return data


#: The queue names at most this many statements that may miss lines; the bank statement list filters them all.
MAX_STATEMENT_WARNINGS = 10

PartFormSet = forms.formset_factory(PartForm, extra=3, max_num=10)


class IgnoreForm(forms.Form):
    reason = forms.CharField(label=_("Why is it not a dealer's payment?"), max_length=255)


@admin.register(UnmatchedTransfer)
class UnmatchedTransferAdmin(ViewOnlyMixin, admin.ModelAdmin):
    list_display = ("booking_date", "amount_display", "counterparty_name", "counterparty_iban", "description",
                    "best_candidates", "status", "match_link")  # fmt: skip
    list_filter = ("status", "account_iban")
    search_fields = ("counterparty_name", "counterparty_iban", "description", "bank_reference")
    date_hierarchy = "booking_date"
    actions = ("match_again",)

    def changelist_view(self, request, extra_context=None):
        """The queue says which statements of the transfers waiting in it may miss lines (``continuity``): a
        payment among the missing lines cannot be matched until the missing statement is imported."""
        if request.method == "GET":
            waiting = UnmatchedTransfer.objects.values("statement_id")
            flagged = BankStatement.objects.filter(pk__in=waiting).exclude(warnings=[]).order_by("-period_end")
            for statement in flagged[:MAX_STATEMENT_WARNINGS]:
                url = reverse("admin:payments_bankstatement_change", args=[statement.pk])
                for warning in statement.warnings:
                    self.message_user(
                        request,
                        format_html('<a href="{}">{}</a>: {}', url, statement, warning_text(warning)),
                        messages.WARNING,
                    )
        return super().changelist_view(request, extra_context=extra_context)

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, obj) -> str:
        return format_money(obj.amount, obj.currency)

    @admin.display(description=_("candidates"))
    def best_candidates(self, obj) -> str:

        ranked = obj.candidates or []
        names = dict(Dealer.objects.filter(pk__in=[c["dealer_id"] for c in ranked]).values_list("pk", "title"))
        if not ranked:
            return obj.status_reason or "—"
        return format_html_join(
            "", "<div>{} ({}): {}</div>",
            ((names.get(c["dealer_id"], c["dealer_id"]), c["score"], "; ".join(c["reasons"])) for c in ranked[:3]),
        )  # fmt: skip

    @admin.display(description="")
    def match_link(self, obj) -> str:
        url = reverse("admin:payments_transfer_match", args=[obj.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Match…"))

    @admin.action(description=_("Run the matcher again on the selected transfers"))
    def match_again(self, request, queryset) -> None:
        chosen = list(queryset.values_list("pk", flat=True))
        report = statement_match(transactions=BankTransaction.objects.filter(pk__in=chosen))
        ran = BankTransaction.objects.filter(pk__in=chosen).exclude(status__in=("unmatched", "ignored"))
        staff_action_log(request, ran, _("Allocated by the matcher, run again by staff."))
        self.message_user(request, _("%(allocated)s allocated, %(queued)s still waiting.")
                          % {"allocated": report.allocated, "queued": report.queued})  # fmt: skip

    def get_urls(self):
        view = self.admin_site.admin_view(self.match_view)
        return [path("<int:pk>/match/", view, name="payments_transfer_match"), *super().get_urls()]

    def match_view(self, request, pk: int):
        if not request.user.has_perm("payments.change_banktransaction"):
            raise PermissionDenied
        tx = get_object_or_404(UnmatchedTransfer, pk=pk)
        initial = [{"dealer": c["dealer_id"]} for c in (tx.candidates or [])[:1]]
        parts = PartFormSet(request.POST or None, prefix="part", initial=initial)
        ignore = IgnoreForm(request.POST or None, prefix="ignore")
        if request.method == "POST" and "ignore" in request.POST and ignore.is_valid():
            transaction_ignore(tx=tx, reason=ignore.cleaned_data["reason"])
            staff_action_log(request, [BankTransaction.objects.get(pk=tx.pk)],
                             _("Set aside: %(reason)s") % {"reason": ignore.cleaned_data["reason"]})  # fmt: skip
            self.message_user(request, _("The transfer was set aside."))
            return redirect("admin:payments_unmatchedtransfer_changelist")
        if request.method == "POST" and "allocate" in request.POST and parts.is_valid():
            chosen = [
                Part(form.cleaned_data["dealer"].pk, form.cleaned_data["amount"],
                     getattr(form.cleaned_data.get("order"), "pk", None), form.cleaned_data.get("invoice_number", ""))
                for form in parts if form.cleaned_data.get("dealer")
            ]  # fmt: skip
            try:
                allocate_manually(tx=tx, parts=chosen, user=request.user)
            except ValueError as refused:
                self.message_user(request, str(refused), level=messages.ERROR)
            else:
                names = dict(Dealer.objects.filter(pk__in={p.dealer_id for p in chosen}).values_list("pk", "code"))
                described = "; ".join(
                    " ".join(filter(None, [names.get(p.dealer_id, str(p.dealer_id)),
                                           format_money(p.amount, tx.currency), p.invoice_number]))
                    for p in chosen
                )  # fmt: skip
                message = _("Matched by hand: %(parts)s") if len(chosen) == 1 else _("Split by hand: %(parts)s")
                staff_action_log(request, [BankTransaction.objects.get(pk=tx.pk)], message % {"parts": described})
                self.message_user(request, _("The transfer was allocated."))
                return redirect("admin:payments_unmatchedtransfer_changelist")
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "tx": tx, "parts": parts,
                   "ignore": ignore, "title": _("Match a transfer")}  # fmt: skip
        return TemplateResponse(request, "admin/payments/unmatchedtransfer/match.html", context)
