"""Quotes made through the real services, for the quote tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from accounts.tests.factories import UserFactory
from orders.services import cart_line_add
from orders.services.quotes import LinePrice, quote_price, quote_request_from_cart, quote_send

D = Decimal


def staff_user(**kwargs):
    kwargs.setdefault("is_staff", True)
    kwargs.setdefault("is_superuser", True)
    return UserFactory(**kwargs)


def requested_quote(buyer, product, *, quantity="10", target=None, note="Proje fiyatı lütfen"):
    line = cart_line_add(dealer_user=buyer, product=product, quantity=D(quantity)).line
    targets = {line.pk: D(target)} if target is not None else {}
    return quote_request_from_cart(dealer_user=buyer, note=note, targets=targets)


def priced_quote(quote, staff, *, net=None, percent=None, days=14, terms="Teslim 5 iş günü"):
    version = quote.versions.order_by("-number").first()
    prices = {line.pk: LinePrice(net=D(net) if net else None, percent=D(percent) if percent else None)
              for line in version.lines.all()}  # fmt: skip
    valid_until = timezone.localdate() + dt.timedelta(days=days)
    return quote_price(quote=quote, actor=staff, prices=prices, valid_until=valid_until, terms=terms)


def sent_quote(buyer, product, staff, *, net="80", quantity="10"):
    quote = requested_quote(buyer, product, quantity=quantity)
    priced_quote(quote, staff, net=net)
    quote_send(quote=quote, actor=staff)
    quote.refresh_from_db()
    return quote
