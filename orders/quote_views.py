"""Dealer pages for quotes: ask for one from the cart (or a quick-order paste), read it, download its PDF, and
accept, decline or ask for a revision. Each view parses input, calls one service or selector and renders."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalog.availability import availability_for_products
from dealers.access import dealer_required
from dealers.credit import credit_decision
from orders.exceptions import OrderRefused, QuoteRefused
from orders.forms import QuoteAcceptForm, QuoteAnswerForm, QuoteRequestForm
from orders.models import Cart, QuoteStatus
from orders.quote_documents import quote_pdf as quote_pdf_render
from orders.selectors import (
    quote_get_for_dealer_user,
    quote_list_for_dealer_user,
    quote_request_lines,
    quote_versions_for_dealer,
)
from orders.services.quotes import (
    DEALER_CANCELLABLE,
    quote_accept,
    quote_cancel,
    quote_decline,
    quote_request_from_cart,
    quote_revision_request,
)


@dealer_required
def quote_list(request):
    page = Paginator(quote_list_for_dealer_user(dealer_user=request.dealer_user), 25).get_page(request.GET.get("page"))
    return render(request, "orders/quote_list.html", {"page": page})


def quote_page_context(quote, dealer_user) -> dict:
    """What the quote's page shows: the versions sent (newest first), the lines asked for while none is, stock
    and credit now beside what they were when priced, and the resulting order's shipped and remaining
    quantities."""
    versions = quote_versions_for_dealer(quote)
    current = versions[0] if versions else None
    lines = current.shown_lines if current else quote_request_lines(quote)
    stock = availability_for_products([line.product for line in lines])
    order_lines = {}
    if quote.order_id:
        order_lines = {line.line_no: line for line in quote.order.lines.all()}
    rows = []
    for line in lines:
        ordered = order_lines.get(line.line_no)
        rows.append(
            {
                "line": line,
                "available_now": stock[line.product_id].available,
                "shipped": ordered.shipped_qty if ordered else None,
                "remaining": ordered.quantity - ordered.shipped_qty if ordered else None,
            }
        )
    today = timezone.localdate()
    expired = current is not None and current.valid_until is not None and current.valid_until < today
    credit_now = credit_decision(quote.dealer, current.total_gross) if current else None
    return {
        "quote": quote,
        "versions": versions,
        "current": current,
        "rows": rows,
        "credit_now": credit_now,
        "can_answer": quote.status == QuoteStatus.SENT and not expired,
        "can_cancel": quote.status in DEALER_CANCELLABLE,
        "expired": expired,
        "dealer_user": dealer_user,
    }


@dealer_required
def quote_detail(request, number: str):
    quote = quote_get_for_dealer_user(dealer_user=request.dealer_user, number=number)
    context = quote_page_context(quote, request.dealer_user)
    context["accept_form"] = QuoteAcceptForm(dealer=request.dealer_user.dealer)
    context["answer_form"] = QuoteAnswerForm()
    return render(request, "orders/quote_detail.html", context)


@dealer_required
def quote_pdf(request, number: str):
    quote = quote_get_for_dealer_user(dealer_user=request.dealer_user, number=number)
    pdf = quote_pdf_render(quote=quote, language=get_language() or "tr")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{quote.number}.pdf"'
    return response


@require_POST
@dealer_required
def quote_from_cart(request):
    """The cart's "Request a quote": the note and the target prices typed beside the lines."""
    cart = Cart.objects.filter(dealer=request.dealer_user.dealer, owner=request.user, kind=Cart.Kind.ACTIVE).first()
    line_ids = list(cart.lines.values_list("pk", flat=True)) if cart else []
    form = QuoteRequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The quote request could not be read."))
        return redirect("orders:cart")
    targets = form.targets(request.POST, line_ids)
    if form.errors:
        for error in form.non_field_errors():
            messages.error(request, error)
        return redirect("orders:cart")
    try:
        quote = quote_request_from_cart(
            dealer_user=request.dealer_user, note=form.cleaned_data["note"], targets=targets
        )
    except QuoteRefused as refused:
        messages.error(request, refused.message)
        return redirect("orders:cart")
    messages.success(request, _("Quote request %(number)s is sent to our sales team.") % {"number": quote.number})
    return redirect("orders:quote_detail", number=quote.number)


@require_POST
@dealer_required
def quote_accept_view(request, number: str):
    quote = quote_get_for_dealer_user(dealer_user=request.dealer_user, number=number)
    form = QuoteAcceptForm(request.POST, dealer=request.dealer_user.dealer)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect("orders:quote_detail", number=quote.number)
    data = form.cleaned_data
    try:
        order = quote_accept(
            quote=quote,
            dealer_user=request.dealer_user,
            payment_method=data["payment_method"],
            delivery_address=data["delivery_address"],
            po_number=data["po_number"],
        )
    except QuoteRefused as refused:
        messages.error(request, refused.message)
        return redirect("orders:quote_detail", number=quote.number)
    except OrderRefused as refused:
        for message in refused.messages:
            messages.error(request, message)
        return redirect("orders:quote_detail", number=quote.number)
    messages.success(
        request, _("Quote %(quote)s is accepted: order %(order)s.") % {"quote": quote.number, "order": order.number}
    )
    return redirect("orders:order_detail", number=order.number)


@require_POST
@dealer_required
def quote_answer(request, number: str, answer: str):
    """Decline, ask for a revision, or cancel a request not sent yet."""
    quote = quote_get_for_dealer_user(dealer_user=request.dealer_user, number=number)
    form = QuoteAnswerForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        if answer == "decline":
            quote_decline(quote=quote, dealer_user=request.dealer_user, note=note)
            messages.success(request, _("You declined quote %(number)s.") % {"number": quote.number})
        elif answer == "revision":
            quote_revision_request(quote=quote, dealer_user=request.dealer_user, note=note)
            messages.success(request, _("You asked for a new version of quote %(number)s.") % {"number": quote.number})
        else:
            quote_cancel(quote=quote, actor=request.user, note=note, dealer_user=request.dealer_user)
            messages.success(request, _("Quote request %(number)s is cancelled.") % {"number": quote.number})
    except QuoteRefused as refused:
        messages.error(request, refused.message)
    return redirect("orders:quote_detail", number=quote.number)
