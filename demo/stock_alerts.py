"""The demo's back-in-stock alert: the English-speaking buyer asked to be told when the first out-of-stock product
of their catalogue returns, through the same service as the product page's button. Made once: a second run keeps
it (and one already told stays told)."""

from __future__ import annotations

from catalog.availability import StockStatus, availability_for_products
from catalog.models import Product, StockAlert
from catalog.pricing import DealerPricing
from catalog.selectors import visible_products
from catalog.stock_alerts import stock_alert_subscribe
from dealers.models import DealerUser
from demo.quotes import BUYER_EMAIL
from demo.rows import Context

CHUNK = 500


def _first_out_of_stock(dealer_user: DealerUser) -> Product | None:
    products = visible_products(pricing=DealerPricing(dealer_user.dealer)).select_related("base_unit").order_by("sku")
    start = 0
    while chunk := list(products[start : start + CHUNK]):
        stock = availability_for_products(chunk)
        for product in chunk:
            if stock[product.pk].status == StockStatus.OUT:
                return product
        start += CHUNK
    return None


def load_stock_alerts(ctx: Context) -> None:
    ctx.log("Stock alerts")
    buyer = DealerUser.objects.select_related("dealer", "user").get(user__email=BUYER_EMAIL)
    if StockAlert.objects.filter(user=buyer.user).exists():
        ctx.log("  stock alerts: kept")
        return
    product = _first_out_of_stock(buyer)
    if product is None:
        ctx.log("  stock alerts: none (every product of the buyer's catalogue is in stock)")
        return
    stock_alert_subscribe(dealer_user=buyer, product=product)
    ctx.log(f"  stock alerts: 1 created, for {product.sku}")
