"""The catalogue's notification: a product a user asked about can be ordered again (templates in
``catalog/templates/catalog/notifications/stock_back*``). One notice per alert and round (``stock_alerts.py``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from catalog.models import Product
from notifications.kinds import Kind, register


def _product_context(params: dict) -> dict:
    product = Product.objects.filter(pk=params.get("product_id")).first()
    name = product.display_name if product is not None else params.get("name") or params.get("sku", "")
    return {**params, "product": product, "product_name": name}


STOCK_BACK = register(
    Kind(
        key="stock_back",
        label=_("A product I asked about is back in stock"),
        template="catalog/notifications/stock_back",
        description=_("Sent once for each back-in-stock alert you set on a product."),
        context=_product_context,
    )
)
