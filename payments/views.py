"""Card payment pages: start a payment (an order awaiting payment, a payment link, invoices or an amount on
account), the provider's return and server-to-server callback, and the sandbox provider's hosted pages."""

from __future__ import annotations

import logging
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core import signing
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.signin import client_ip
from b2bportal.models import MONEY_MAX_DIGITS
from b2bportal.money import format_money
from dealers.access import account_required, dealer_required
from dealers.hooks import NO_LIVE_BALANCE, RefreshRefused, live_balance_refresh, live_risk_check
from orders.models import Order
from payments.gateways import gateway_for, gateway_keys
from payments.gateways.base import CallbackRejected, GatewayError
from payments.gateways.sandbox import TEST_CARDS, THREE_D_SECURE_CODE
from payments.models import Payment, PaymentLink, SandboxCharge
from payments.receivables import account_summary, invoice_open_amounts, open_items
from payments.services import PaymentRefused, payment_finish, payment_start

log = logging.getLogger("payments")
LINK_SALT = "payments.link"
_LINK_SIGNER = signing.Signer(salt=f"{LINK_SALT}.address")


def link_url(link: PaymentLink) -> str:
    """The link's path: its token, signed, so a guessed or altered URL is refused before the database is asked.

    The same link always has the same path (its expiry is the link's own field), so the page a payment returns to is
    the address the dealer was sent."""
    return reverse("payments:link", args=[_LINK_SIGNER.sign(str(link.token))])


def _return_url(request, gateway_key: str) -> str:
    return request.build_absolute_uri(reverse("payments:return", args=[gateway_key]))


def _start(request, **kwargs):
    started = payment_start(
        return_url=_return_url(request, gateway_for().key),
        ip=client_ip(request),  # behind trusted proxies, the client's own address
        locale=(get_language() or "tr")[:2],
        **kwargs,
    )
    return redirect(started.redirect_url)


@require_POST
@dealer_required
def order_pay(request, number: str):

    order = get_object_or_404(Order, number=number, dealer=request.dealer_user.dealer)
    try:
        return _start(request, dealer=order.dealer, order=order, user=request.user)
    except PaymentRefused as refused:
        messages.error(request, str(refused))
        return redirect("orders:order_detail", number=order.number)


class AccountPaymentForm(forms.Form):
    amount = forms.DecimalField(
        label=gettext_lazy("Amount"), min_value=Decimal("0.01"), max_digits=MONEY_MAX_DIGITS, decimal_places=2
    )
    invoices = forms.MultipleChoiceField(label=gettext_lazy("Invoices"), required=False,
                                         widget=forms.CheckboxSelectMultiple)  # fmt: skip

    def __init__(self, *args, invoices=(), currency="TRY", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["invoices"].choices = [
            (number, f"{number} · {format_money(left, currency)}") for number, left in invoices
        ]


OPEN_ITEMS_SHOWN = 200


@account_required
def account(request):
    """Balance, credit, overdue, terms — each with its *as of* — and the open items with their ageing; open
    invoices can be chosen and paid."""
    dealer = request.dealer_user.dealer
    risk = live_risk_check.first(default=None, dealer=dealer)  # the signed-in dealer's own figures, live if offered
    ageing = open_items(dealer)
    summary = account_summary(dealer, ageing)
    return render(
        request,
        "dealers/account.html",
        {"dealer": dealer, "summary": summary, "ageing": ageing, "open_items_shown": OPEN_ITEMS_SHOWN, "risk": risk},
    )


@require_POST
@account_required
def balance_refresh(request):
    """Ask the dealer's ERP for the balance now (erpsync answers through ``dealers.hooks``)."""
    dealer = request.dealer_user.dealer
    try:
        if live_balance_refresh.first(dealer=dealer) is None:  # no ERP sync installed to ask
            raise RefreshRefused(NO_LIVE_BALANCE)
        messages.success(request, _("Balance refreshed from the ERP."))
    except RefreshRefused as refused:
        messages.warning(request, str(refused))
    return redirect("account:summary")


@dealer_required
def account_pay(request):
    """A dealer pays an amount on account, optionally naming which of their invoices it settles."""
    dealer = request.dealer_user.dealer
    open_amounts = list(invoice_open_amounts(dealer).items())[:50]
    initial = {}
    chosen = set(request.GET.getlist("invoice"))
    if chosen:  # handed over from the account page: the open invoices the dealer ticked, for what they owe
        picked = [(number, left) for number, left in open_amounts if number in chosen]
        initial = {"invoices": [n for n, _left in picked], "amount": sum((left for _n, left in picked), Decimal(0))}
    form = AccountPaymentForm(
        request.POST or None, invoices=open_amounts, currency=dealer.currency, initial=initial or None
    )
    if request.method == "POST" and form.is_valid():
        try:
            return _start(
                request,
                dealer=dealer,
                amount=form.cleaned_data["amount"],
                invoice_numbers=form.cleaned_data["invoices"],
                user=request.user,
            )
        except PaymentRefused as refused:
            form.add_error(None, str(refused))
    return render(request, "payments/account_pay.html", {"form": form, "dealer": dealer})


def _link(signed: str) -> PaymentLink:
    try:
        token = _LINK_SIGNER.unsign(signed)
    except signing.BadSignature:
        try:  # links sent before the path was made stable carried a signing time
            token = signing.loads(signed, salt=LINK_SALT)
        except signing.BadSignature:
            raise Http404("No such payment link.") from None
    return get_object_or_404(PaymentLink.objects.select_related("dealer"), token=token)


def link_pay(request, signed: str):
    """A payment link: the dealer pays without signing in. Expired, used or cancelled links say so."""
    link = _link(signed)
    if link.status == PaymentLink.Status.ACTIVE and link.expires_at <= timezone.now():
        PaymentLink.objects.filter(pk=link.pk, status=PaymentLink.Status.ACTIVE).update(
            status=PaymentLink.Status.EXPIRED
        )
        link.status = PaymentLink.Status.EXPIRED
    if request.method == "POST" and link.status == PaymentLink.Status.ACTIVE:
        try:
            return _start(request, dealer=link.dealer, link=link, user=request.user)
        except PaymentRefused as refused:
            messages.error(request, str(refused))
    return render(request, "payments/link.html", {"link": link})


def _after(request, payment: Payment):
    """Where the dealer lands after the provider: the order, the link, or the account page."""
    if payment.status == Payment.Status.SUCCEEDED:
        messages.success(
            request,
            _("Thank you: your payment of %(amount)s was received.")
            % {"amount": format_money(payment.amount, payment.currency)},
        )
    elif payment.status == Payment.Status.FAILED:
        messages.error(request, _("The payment did not go through: %(reason)s") % {"reason": payment.failure_reason})
    else:
        messages.info(request, _("The bank has not confirmed the payment yet; we will update it shortly."))
    if payment.for_link_id is not None:
        return redirect(link_url(payment.for_link))
    if payment.order_id is not None:
        return redirect("orders:order_detail", number=payment.order.number)
    return redirect("home")


def _known_gateway(key: str) -> None:
    if key not in gateway_keys():
        raise Http404("No such payment provider.")


@csrf_exempt
def payment_return(request, gateway: str):
    """The provider sends the dealer back here (a cross-site POST or a GET): verified, applied, redirected."""
    _known_gateway(gateway)
    body = request.body  # read before the form fields: the raw bytes are what providers sign
    params = request.POST if request.method == "POST" else request.GET
    try:
        payment = payment_finish(gateway_key=gateway, params=params, body=body)
    except CallbackRejected:
        return render(request, "payments/rejected.html", status=400)
    except GatewayError as exc:
        # The provider cannot confirm right now: the payment stays pending and the status check settles it.
        log.warning("payment return from %s could not be confirmed: %s", gateway, exc.message)
        messages.info(request, _("The bank has not confirmed the payment yet; we will update it shortly."))
        return redirect("home")
    return _after(request, payment)


@csrf_exempt
@require_POST
def payment_callback(request, gateway: str):
    """The provider's server-to-server notification."""
    _known_gateway(gateway)
    body = request.body
    try:
        payment_finish(gateway_key=gateway, params=request.POST, body=body)
    except CallbackRejected:
        return HttpResponseBadRequest("rejected")
    except GatewayError:
        return HttpResponse("retry later", status=503)  # the provider calls again
    return HttpResponse("OK")


# --- the sandbox provider's hosted pages ----------------------------------------------------------------------


def _charge(charge_id: str) -> SandboxCharge:
    _known_gateway("sandbox")  # production without DEMO_SITE has no sandbox
    return get_object_or_404(SandboxCharge, charge_id=charge_id)


def _send_back(request, charge: SandboxCharge):
    fields = gateway_for("sandbox").outcome_fields(charge)
    return render(request, "payments/sandbox_return.html", {"charge": charge, "fields": fields})


def sandbox_page(request, charge_id: str):
    """Step 1: choose a test card."""
    charge = _charge(charge_id)
    if charge.status in (SandboxCharge.Status.SUCCEEDED, SandboxCharge.Status.FAILED):
        return _send_back(request, charge)
    error = ""
    if request.method == "POST":
        card = request.POST.get("card", "")
        if card in TEST_CARDS:
            step = gateway_for("sandbox").choose_card(charge, card)
            if step == "done":
                return _send_back(request, charge)
            if step == "waiting":
                return render(request, "payments/sandbox_waiting.html", {"charge": charge})
            return render(request, "payments/sandbox_3ds.html", {"charge": charge, "code": THREE_D_SECURE_CODE})
        error = _("Choose one of the test cards.")
    return render(request, "payments/sandbox_page.html", {"charge": charge, "cards": TEST_CARDS, "error": error})


@require_POST
def sandbox_3ds(request, charge_id: str):
    """Step 2: the bank's 3-D Secure code."""
    charge = _charge(charge_id)
    gateway_for("sandbox").confirm_3d_secure(charge, request.POST.get("code", ""))
    return _send_back(request, charge)
