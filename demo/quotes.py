"""The demo's quotes: one in each state, asked for by the Ege buyer (English) and priced by the demo admin, made
through the quote services as a dealer and staff would (requested, being priced, sent, revision asked, expired,
accepted — with its order —, declined and cancelled). Made once: a second run keeps them."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

from accounts.models import User
from catalog.availability import availability_for_products
from catalog.models import Product
from catalog.pricing import DealerPricing
from catalog.selectors import is_visible
from dealers.models import DealerUser
from demo.company import EMAIL_DOMAIN
from demo.rows import Context
from demo.users import ADMIN_EMAIL
from orders.models import Quote, QuoteStatus, QuoteVersion
from orders.services.quotes import (
    LinePrice,
    RequestedLine,
    quote_accept,
    quote_cancel,
    quote_decline,
    quote_price,
    quote_request,
    quote_revision_request,
    quote_send,
    quotes_expire_due,
)

BUYER_EMAIL = f"buyer@{EMAIL_DOMAIN}"
MARK = "Demo:"  # the start of every demo quote's note
# (what the dealer writes, how far the quote goes)
SCRIPTS = (
    ("Demo: prices for the new shop's opening stock", QuoteStatus.REQUESTED),
    ("Demo: project price for the hotel renovation", QuoteStatus.DRAFT),
    ("Demo: monthly volume for our three stores", QuoteStatus.SENT),
    ("Demo: school season order", QuoteStatus.REVISION_REQUESTED),
    ("Demo: spring campaign", QuoteStatus.EXPIRED),
    ("Demo: warehouse replenishment", QuoteStatus.ACCEPTED),
    ("Demo: trial order for a new customer", QuoteStatus.DECLINED),
    ("Demo: tender that was withdrawn", QuoteStatus.CANCELLED),
)


def _quantity(product: Product) -> Decimal:
    """The smallest quantity the product's minimum and multiple allow."""
    multiple = product.order_multiple or Decimal(1)
    least = max(product.min_order_qty or multiple, multiple)
    return Decimal(math.ceil(least / multiple)) * multiple


def _products(dealer_user: DealerUser, count: int) -> list[tuple[Product, Decimal]]:
    """Products the buyer's dealer sees with a price and with stock for ten quotes, each with its quantity."""
    pricing = DealerPricing(dealer_user.dealer)
    candidates = list(Product.objects.filter(status=Product.Status.ACTIVE).select_related("base_unit").order_by("sku"))
    stock = availability_for_products(candidates)
    chosen = []
    for product in candidates:
        quantity = _quantity(product)
        if stock[product.pk].available < quantity * 10 or not is_visible(pricing=pricing, product=product):
            continue
        if pricing.price(product, quantity).exists:
            chosen.append((product, quantity))
        if len(chosen) == count:
            break
    return chosen


def load_quotes(ctx: Context) -> None:
    ctx.log("Quotes")
    if Quote.objects.filter(note__startswith=MARK).exists():
        ctx.log("  quotes: kept")
        return
    staff = User.objects.get(email=ADMIN_EMAIL)
    buyer = DealerUser.objects.select_related("dealer", "user").get(user__email=BUYER_EMAIL)
    products = _products(buyer, 2)
    for note, target in SCRIPTS:
        lines = [RequestedLine(product=product, quantity=quantity) for product, quantity in products]
        quote = quote_request(dealer_user=buyer, lines=lines, note=note)
        if target == QuoteStatus.REQUESTED:
            continue
        version = quote.versions.get()
        valid_until = ctx.today + dt.timedelta(days=14)
        prices = {line.pk: LinePrice(percent=Decimal("7.5")) for line in version.lines.all()}
        quote_price(quote=quote, actor=staff, prices=prices, valid_until=valid_until, terms="Delivery in 5 work days.")
        if target == QuoteStatus.DRAFT:
            continue
        quote_send(quote=quote, actor=staff)
        if target == QuoteStatus.REVISION_REQUESTED:
            quote_revision_request(quote=quote, dealer_user=buyer, note="Could you do 10 % on the larger quantity?")
        elif target == QuoteStatus.EXPIRED:
            # Sent three weeks ago for a week: past its date now.
            QuoteVersion.objects.filter(pk=version.pk).update(
                sent_at=ctx.now - dt.timedelta(days=21), valid_until=ctx.today - dt.timedelta(days=14)
            )
            quotes_expire_due()
        elif target == QuoteStatus.ACCEPTED:
            quote_accept(quote=quote, dealer_user=buyer, po_number="PO-Q-1")
        elif target == QuoteStatus.DECLINED:
            quote_decline(quote=quote, dealer_user=buyer, note="We found a closer supplier.")
        elif target == QuoteStatus.CANCELLED:
            quote_cancel(quote=quote, actor=staff, note="The tender was withdrawn.")
    ctx.log(f"  quotes: {len(SCRIPTS)} created")
