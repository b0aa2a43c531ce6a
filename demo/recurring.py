"""The demo's recurring order: the Ege buyer's shared saved list "Demo: weekly shop restock", ordered every week
on account to the dealer's default delivery address, made through the cart and recurring order services as the
buyer would. Its first date, a week ago, has run (through placement, as the worker runs it), so the page shows a
run and the next date. Made once: a second run keeps it."""

from __future__ import annotations

import datetime as dt

from dealers.models import DealerAddress, DealerUser
from demo.quotes import BUYER_EMAIL, _products
from demo.rows import Context
from orders.models import Order, RecurringOrder
from orders.services.cart import cart_clear, cart_lines_add, cart_save_as_list
from orders.services.recurring import Timing, recurring_run, recurring_save

LIST_NAME = "Demo: weekly shop restock"


def load_recurring(ctx: Context) -> None:
    ctx.log("Recurring orders")
    if RecurringOrder.objects.filter(saved_list__name=LIST_NAME).exists():
        ctx.log("  recurring orders: kept")
        return
    buyer = DealerUser.objects.select_related("dealer", "user").get(user__email=BUYER_EMAIL)
    cart_clear(dealer_user=buyer)
    cart_lines_add(dealer_user=buyer, items=[(product, quantity, None) for product, quantity in _products(buyer, 2)])
    saved = cart_save_as_list(dealer_user=buyer, name=LIST_NAME, shared=True)
    cart_clear(dealer_user=buyer)
    address = DealerAddress.objects.get(dealer=buyer.dealer, kind=DealerAddress.Kind.SHIPPING, is_default=True)
    first = ctx.today - dt.timedelta(days=7)
    recurring = recurring_save(
        dealer_user=buyer,
        saved_list=saved,
        timing=Timing(frequency="weekly", start_date=first, interval_weeks=1),
        payment_method=Order.PaymentMethod.ON_ACCOUNT,
        delivery_address=address,
    )
    run = recurring_run(recurring=recurring, day=first)
    ctx.log(f"  recurring orders: 1 created, its first date {run.get_outcome_display().lower()}")
