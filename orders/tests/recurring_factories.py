"""Recurring orders for tests: a buyer's saved list and a schedule on it, made through the services."""

import datetime as dt
from decimal import Decimal

from dealers.tests.factories import DealerAddressFactory
from orders.services import cart_line_add
from orders.services.cart import cart_clear, cart_save_as_list
from orders.services.recurring import Timing, recurring_save


def saved_list(buyer, product, quantity="2", name="Weekly restock"):
    cart_line_add(dealer_user=buyer, product=product, quantity=Decimal(quantity))
    saved = cart_save_as_list(dealer_user=buyer, name=name)
    cart_clear(dealer_user=buyer)
    return saved


def delivery_address(dealer):
    """The dealer's default delivery address, made when it has none."""
    return dealer.addresses.filter(is_default=True, kind="shipping").first() or DealerAddressFactory(
        dealer=dealer, is_default=True
    )


def weekly(buyer, product, *, start: dt.date, weeks=1, end=None, payment_method="on_account", address=None):
    address = address or delivery_address(buyer.dealer)
    return recurring_save(
        dealer_user=buyer,
        saved_list=saved_list(buyer, product),
        timing=Timing(frequency="weekly", start_date=start, interval_weeks=weeks, end_date=end),
        payment_method=payment_method,
        delivery_address=address,
    )


def monthly(buyer, product, *, start: dt.date, day: int, end=None):
    return recurring_save(
        dealer_user=buyer,
        saved_list=saved_list(buyer, product),
        timing=Timing(frequency="monthly", start_date=start, day_of_month=day, end_date=end),
        payment_method="on_account",
        delivery_address=delivery_address(buyer.dealer),
    )
