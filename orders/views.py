"""Dealer pages for carts and orders. Each view parses input, calls one service or selector and renders."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from b2bportal.money import format_money, format_quantity
from b2bportal.uploads import upload_limit, upload_refused
from catalog.availability import stock_refresh
from catalog.forms import AddToCartForm
from catalog.models import Product, Unit
from catalog.multi_add import KeptRow, multi_add_keep, multi_add_rows
from catalog.selectors import brand_choices
from dealers.access import dealer_required
from dealers.account import documents_for_dealer_user
from dealers.credit import credit_position
from dealers.hooks import live_risk_check
from orders.checkout import checkout_guidance
from orders.exceptions import CartRefused, DecisionRefused, OrderRefused, PricesChanged, QuoteRefused
from orders.forms import (
    CartLineForm,
    CheckoutForm,
    DecisionForm,
    OrderFilterForm,
    PreviouslyOrderedFilterForm,
    QuickOrderForm,
    SaveListForm,
)
from orders.hooks import payment_instructions
from orders.models import Cart, Order
from orders.previously_ordered import previously_ordered_page
from orders.pricing import cart_priced, reorder_differences
from orders.quick_order import (
    MAX_FILE_BYTES,
    QuickOrderError,
    file_too_large,
    parse_quick_order_file,
    parse_quick_order_text,
    quick_order_preview,
)
from orders.selectors import (
    order_get_for_dealer_user,
    order_list_for_dealer_user,
    order_search_for_dealer_user,
    orders_awaiting_dealer_approval,
)
from orders.services import (
    can_dealer_cancel,
    cart_line_add,
    order_dealer_approve,
    order_dealer_cancel,
    order_dealer_reject,
    order_place,
)
from orders.services.cart import (
    cart_add_previously_ordered,
    cart_clear,
    cart_from_order,
    cart_line_set_quantity,
    cart_lines_add,
    cart_load_list,
    cart_save_as_list,
    saved_lists_for,
)
from orders.services.placement import placement_preview
from orders.services.quotes import RequestedLine, quote_request


def _back(request, default: str) -> str:
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return back
    return default


def _refusal_text(refused: CartRefused) -> str:
    if refused.suggested is None:
        return refused.message
    suggestion = format_quantity(refused.suggested)
    return _("%(message)s Try %(quantity)s.") % {"message": refused.message, "quantity": suggestion}


def _current_cart(request):
    return Cart.objects.filter(dealer=request.dealer_user.dealer, owner=request.user, kind=Cart.Kind.ACTIVE).first()


# -- order history -----------------------------------------------------------------------------------------------


@dealer_required
def home(request):
    """The dealer's landing page: who they are, balance and credit as of when, recent orders."""
    dealer_user = request.dealer_user
    dealer = dealer_user.dealer
    recent_orders = order_list_for_dealer_user(dealer_user=dealer_user)[:5]
    return render(
        request,
        "dealers/home.html",
        {"dealer": dealer, "credit": credit_position(dealer), "recent_orders": recent_orders},
    )


@dealer_required
def order_list(request):
    form = OrderFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    orders = order_search_for_dealer_user(dealer_user=request.dealer_user, **filters)
    page = Paginator(orders, 25).get_page(request.GET.get("page"))
    return render(request, "orders/order_list.html", {"page": page, "form": form})


@dealer_required
def order_detail(request, number: str):
    order = order_get_for_dealer_user(dealer_user=request.dealer_user, number=number)
    # The documents this user may open (a buyer: those of the orders they placed), oldest first.
    documents = documents_for_dealer_user(request.dealer_user).filter(order=order).order_by("issued_on", "id")
    return render(
        request,
        "orders/order_detail.html",
        {
            "order": order,
            "documents": documents,
            "instructions": payment_instructions.first(order=order),
            "can_cancel": can_dealer_cancel(order)
            and (request.dealer_user.can_approve or order.placed_by_id == request.user.pk),
            "can_decide": request.dealer_user.can_approve and order.status == "awaiting_dealer_approval",
        },
    )


@dealer_required
def order_pdf(request, number: str):
    from orders.documents import order_confirmation_pdf

    order = order_get_for_dealer_user(dealer_user=request.dealer_user, number=number)
    pdf = order_confirmation_pdf(order=order, language=get_language() or "tr")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{order.number}.pdf"'
    return response


@require_POST
@dealer_required
def order_cancel(request, number: str):
    order = order_get_for_dealer_user(dealer_user=request.dealer_user, number=number)
    form = DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    try:
        order_dealer_cancel(order=order, dealer_user=request.dealer_user, reason=note)
        messages.success(request, _("Order %(number)s is cancelled.") % {"number": order.number})
    except DecisionRefused as refused:
        messages.error(request, refused.message)
    return redirect("orders:order_detail", number=order.number)


@require_POST
@dealer_required
def order_decide(request, number: str, decision: str):
    """The dealer's approver approves or rejects a buyer's order above the buyer's limit."""
    order = order_get_for_dealer_user(dealer_user=request.dealer_user, number=number)
    form = DecisionForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    service = order_dealer_approve if decision == "approve" else order_dealer_reject
    try:
        order = service(order=order, approver=request.dealer_user, note=note)
        messages.success(
            request, _("Order %(number)s: %(status)s.") % {"number": order.number, "status": order.get_status_display()}
        )
    except DecisionRefused as refused:
        messages.error(request, refused.message)
    return redirect(_back(request, reverse("orders:order_detail", args=[order.number])))


@dealer_required
def approvals(request):
    orders = orders_awaiting_dealer_approval(dealer_user=request.dealer_user)
    return render(request, "orders/approvals.html", {"orders": orders})


@require_POST
@dealer_required
def reorder(request, number: str):
    order = order_get_for_dealer_user(dealer_user=request.dealer_user, number=number)
    results = cart_from_order(dealer_user=request.dealer_user, order=order)
    _report_added(request, results)
    cart = _current_cart(request)
    if cart is not None:
        priced = cart_priced(dealer=request.dealer_user.dealer, cart=cart)
        for difference in reorder_differences(order=order, priced=priced):
            values = {
                "sku": difference.sku,
                "ordered": format_money(difference.ordered, difference.currency),
                "now": format_money(difference.now, difference.currency) if difference.now is not None else "—",
            }
            messages.warning(request, _("%(sku)s: %(ordered)s on the earlier order, %(now)s today.") % values)
    return redirect("orders:cart")


@dealer_required
def previously_ordered(request):
    """What the dealer ordered before, with the last quantity and price paid beside today's; one click re-adds."""
    form = PreviouslyOrderedFilterForm(request.GET or None, brands=brand_choices())
    page, rows = previously_ordered_page(
        dealer_user=request.dealer_user, page=request.GET.get("page"), **form.filters()
    )
    return render(request, "orders/previously_ordered.html", {"form": form, "page": page, "rows": rows})


@require_POST
@dealer_required
def previously_ordered_add(request):
    """Re-add one product (the row's button) or the ticked ones, each with its last quantity and unit."""
    only = request.POST.get("only")
    chosen = [only] if only else request.POST.getlist("product")
    product_ids = [int(pk) for pk in chosen if str(pk).isdigit()]
    stock = stock_refresh(Product.objects.filter(pk__in=product_ids))  # one live check for every product re-added
    try:
        results = cart_add_previously_ordered(dealer_user=request.dealer_user, product_ids=product_ids)
        _report_added(request, results, stock=stock)
    except CartRefused as refused:
        messages.error(request, refused.message)
    return redirect(_back(request, reverse("orders:previously_ordered")))


# -- cart --------------------------------------------------------------------------------------------------------


@dealer_required
def cart_detail(request):
    cart = _current_cart(request)
    priced = cart_priced(dealer=request.dealer_user.dealer, cart=cart) if cart else None
    context = {
        "priced": priced,
        "lists": saved_lists_for(request.dealer_user).order_by("name"),
        "save_form": SaveListForm(),
    }
    if request.headers.get("X-Fragment") == "cart":
        return render(request, "orders/partials/cart_table.html", {**context, "fragment": True})
    return render(request, "orders/cart.html", context)


@require_POST
@dealer_required
def cart_line_update(request, line_id: int):
    """Change or remove a line; answers a fetch() with the refreshed cart table, a form post with a redirect."""
    form = CartLineForm(request.POST)
    if request.POST.get("remove"):
        quantity = 0
    elif form.is_valid():
        quantity = form.cleaned_data["quantity"]
    else:
        quantity = None
        messages.error(request, " ".join(form.errors.get("quantity", [])))
    if quantity is not None:
        try:
            cart_line_set_quantity(dealer_user=request.dealer_user, line_id=line_id, quantity=quantity)
        except CartRefused as refused:
            messages.error(request, _refusal_text(refused))
    if request.headers.get("X-Fragment") == "cart":
        return cart_detail(request)
    return redirect("orders:cart")


@require_POST
@dealer_required
def cart_empty(request):
    cart_clear(dealer_user=request.dealer_user)
    return redirect("orders:cart")


@require_POST
@dealer_required
def cart_save(request):
    form = SaveListForm(request.POST)
    if form.is_valid():
        try:
            saved = cart_save_as_list(dealer_user=request.dealer_user, **form.cleaned_data)
            messages.success(request, _("Saved as “%(name)s”.") % {"name": saved.name})
        except CartRefused as refused:
            messages.error(request, refused.message)
    else:
        messages.error(request, _("Give the list a name."))
    return redirect("orders:cart")


@require_POST
@dealer_required
def cart_load(request, list_id: int):
    try:
        _report_added(request, cart_load_list(dealer_user=request.dealer_user, list_id=list_id))
    except CartRefused as refused:
        messages.error(request, refused.message)
    return redirect("orders:cart")


def _report_added(request, results, *, stock=None) -> None:
    """The messages of a many-line add. With ``stock`` (the live stock check asked before the add), the message
    says which stock figures were used, and every line short of stock says so with them, as a single add does."""
    added = [(item, result) for item, result in results if not isinstance(result, CartRefused)]
    refused = [(item, result) for item, result in results if isinstance(result, CartRefused)]
    if added:
        text = _("%(count)s lines added to your cart.") % {"count": len(added)}
        messages.success(request, f"{text} {_stock_basis(stock, None)}" if stock is not None and stock.live else text)
    if stock is not None:
        for (product, _quantity, _unit), result in added:
            if not result.decision.allowed:
                basis = _stock_basis(stock, result.decision.as_of)
                messages.warning(request, f"{product.sku}: {result.decision.message} {basis}")
    for (product, _quantity, _unit), result in refused:
        messages.error(request, f"{product.sku}: {result.message}")


@require_POST
@dealer_required
def cart_add(request):
    """The add-to-cart control of the catalogue and product pages; back where it came from with a message."""
    form = AddToCartForm(request.POST)
    back = _back(request, reverse("catalog:catalog_list"))
    if not form.is_valid():
        errors = form.errors.get("quantity") or [_("This product is not available to you.")]
        messages.error(request, " ".join(errors))
        return redirect(back)
    product = Product.objects.select_related("base_unit").filter(pk=form.cleaned_data["product"]).first()
    unit = Unit.objects.filter(pk=form.cleaned_data["unit"]).first() if form.cleaned_data["unit"] else None
    if product is None:
        messages.error(request, _("This product is not available to you."))
        return redirect(back)
    stock = stock_refresh([product])
    try:
        result = cart_line_add(
            dealer_user=request.dealer_user, product=product, quantity=form.cleaned_data["quantity"], unit=unit
        )
    except CartRefused as refused:
        messages.error(request, _refusal_text(refused))
        return redirect(back)
    added = _("%(product)s: %(quantity)s in your cart.") % {
        "product": product.display_name,
        "quantity": format_quantity(result.line.quantity),
    }
    if result.decision.allowed:
        messages.success(request, f"{added} {_stock_basis(stock, None)}" if stock.live else added)
    else:
        messages.warning(request, f"{added} {result.decision.message} {_stock_basis(stock, result.decision.as_of)}")
    return redirect(back)


def _stock_basis(stock, as_of) -> str:
    """Which stock figures a message about stock speaks of: read from the ERP just now, or synced as of a time."""
    if stock.live:
        return _("(Stock checked live in the ERP at %(time)s.)") % {"time": date_format(
            timezone.localtime(stock.as_of), "TIME_FORMAT")}  # fmt: skip
    if as_of is None:
        return _("(Synced stock figures.)")
    return _("(Synced stock figures as of %(when)s.)") % {"when": date_format(
        timezone.localtime(as_of), "SHORT_DATETIME_FORMAT")}  # fmt: skip


@require_POST
@dealer_required
def cart_add_many(request):
    """The catalogue's "add selected to cart": every row with a quantity goes through the cart service on its own;
    the rows it refuses come back on the catalogue with their quantity and reason, the others are in the cart."""
    back = _back(request, reverse("catalog:catalog_list"))
    rows = multi_add_rows(request.POST)
    if not rows:
        messages.info(request, _("Enter a quantity on the rows you want to add."))
        return redirect(back)
    products = Product.objects.select_related("base_unit").in_bulk([row.product_id for row in rows if row.quantity])
    kept: dict[int, KeptRow] = {}
    entered: dict[int, str] = {}
    items = []
    for row in rows:
        product = products.get(row.product_id)
        if row.quantity is None:
            kept[row.product_id] = KeptRow(entered=row.entered, error=row.error)
        elif product is None:
            kept[row.product_id] = KeptRow(entered=row.entered, error=_("This product is not available to you."))
        else:
            entered[product.pk] = row.entered
            items.append((product, row.quantity, None))
    stock = stock_refresh([product for product, _quantity, _unit in items])  # one live check for every row
    added = 0
    for (product, _quantity, _unit), result in cart_lines_add(dealer_user=request.dealer_user, items=items):
        if isinstance(result, CartRefused):
            kept[product.pk] = KeptRow(entered=entered[product.pk], error=_refusal_text(result))
            messages.error(request, f"{product.sku}: {_refusal_text(result)}")
            continue
        added += 1
        if not result.decision.allowed:
            basis = _stock_basis(stock, result.decision.as_of)
            messages.warning(request, f"{product.sku}: {result.decision.message} {basis}")
    if added:
        text = _("%(count)s products added to your cart.") % {"count": added}
        messages.success(request, f"{text} {_stock_basis(stock, None)}" if stock.live else text)
    if kept:
        messages.error(
            request,
            _("%(count)s rows were not added; their quantities are kept with the reason on each row.")
            % {"count": len(kept)},
        )
    multi_add_keep(request.session, kept)
    return redirect(back)


# -- quick order -------------------------------------------------------------------------------------------------


@dealer_required
@upload_limit(MAX_FILE_BYTES)
def quick_order(request):
    """Paste or upload; first a row-by-row report, then "add" puts the accepted rows into the cart. A file past
    ``MAX_FILE_BYTES`` is dropped while it arrives and never read."""
    posted = request.method == "POST"  # bound even when the dropped upload left no field at all
    data, files = (request.POST, request.FILES) if posted else (None, None)  # reading the body sets upload_refused
    refused = file_too_large() if upload_refused(request) else None
    form = QuickOrderForm(data, files, refused_upload=refused)
    preview = None
    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data.get("file"):
                upload = form.cleaned_data["file"]
                if upload.size > MAX_FILE_BYTES:
                    raise QuickOrderError(file_too_large())
                rows = parse_quick_order_file(upload.read(MAX_FILE_BYTES + 1), upload.name)
            else:
                rows = parse_quick_order_text(form.cleaned_data["text"])
            preview = quick_order_preview(dealer_user=request.dealer_user, rows=rows)
        except QuickOrderError as error:
            form.add_error(None, str(error))
        if preview is not None and request.POST.get("quote"):
            accepted = [p for p in preview if p.can_be_added]
            lines = [RequestedLine(product=p.product, quantity=p.quantity, unit=p.unit) for p in accepted]
            try:
                quote = quote_request(
                    dealer_user=request.dealer_user, lines=lines, note=request.POST.get("quote_note", "")[:2000]
                )
            except QuoteRefused as refused:
                form.add_error(None, refused.message)
            else:
                messages.success(
                    request, _("Quote request %(number)s is sent to our sales team.") % {"number": quote.number}
                )
                return redirect("orders:quote_detail", number=quote.number)
        if preview is not None and request.POST.get("confirm"):
            items = [(p.product, p.quantity, p.unit) for p in preview if p.can_be_added]
            stock = stock_refresh([product for product, _quantity, _unit in items])  # one check for every row
            _report_added(request, cart_lines_add(dealer_user=request.dealer_user, items=items), stock=stock)
            return redirect("orders:cart")
    return render(request, "orders/quick_order.html", {"form": form, "preview": preview})


# -- checkout ----------------------------------------------------------------------------------------------------


def _guidance(request, priced):
    """What placing ``priced`` would do, in words (``orders.checkout``), from the placement checks themselves."""
    preview = placement_preview(dealer_user=request.dealer_user, priced=priced)
    return checkout_guidance(preview, priced.currency)


@dealer_required
def checkout(request):
    dealer = request.dealer_user.dealer
    cart = _current_cart(request)
    stock = stock_refresh(Product.objects.filter(pk__in=cart.lines.values_list("product_id"))) if cart else None
    priced = cart_priced(dealer=dealer, cart=cart) if cart else None
    if priced is None or not priced.lines:
        messages.info(request, _("Your cart is empty."))
        return redirect("orders:cart")
    guidance = _guidance(request, priced)
    form = CheckoutForm(
        request.POST or None,
        dealer=dealer,
        unavailable=guidance.unavailable,
        initial={"signature": priced.signature},
    )
    changed = None
    if request.method == "POST" and form.is_valid() and priced.orderable:
        data = form.cleaned_data
        if data["payment_method"] == Order.PaymentMethod.ON_ACCOUNT:
            live_risk_check.first(default=None, dealer=dealer)  # live balance and risk where offered, before placing
        try:
            order = order_place(
                dealer_user=request.dealer_user,
                idempotency_key=data["idempotency_key"],
                payment_method=data["payment_method"],
                delivery_address=data["delivery_address"],
                po_number=data["po_number"],
                requested_delivery_date=data["requested_delivery_date"],
                note=data["note"],
                confirmed_signature=data["signature"],
            )
            messages.success(request, _("Order %(number)s is placed.") % {"number": order.number})
            return redirect("orders:order_detail", number=order.number)
        except PricesChanged as prices:
            changed = prices.priced
            priced = prices.priced
            guidance = _guidance(request, priced)
            form = CheckoutForm(
                {**request.POST.dict(), "signature": priced.signature}, dealer=dealer, unavailable=guidance.unavailable
            )
            form.is_valid()
        except OrderRefused as refused:
            for message in refused.messages:
                form.add_error(None, message)
    context = {"form": form, "priced": priced, "changed": changed, "guidance": guidance, "stock": stock}
    return render(request, "orders/checkout.html", context)
