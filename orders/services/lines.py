"""Placing an order from lines given at once (a purchasing system's order through the API): no cart involved.

The lines are read the way quick order reads them (``orders.quick_order.quick_order_preview``: codes, barcodes,
packs, quantity rules, prices) and placed through ``order_place`` like every other order: placement prices, checks
and locks them as it does a cart's, with the prices the preview already read (one ``DealerPricing``), and nothing
but the order is written.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.utils.translation import gettext as _

from catalog.pricing import DealerPricing
from dealers.models import DealerAddress, DealerUser
from orders.exceptions import OrderRefused
from orders.models import CartLine, Order
from orders.quick_order import PreviewLine, PreviewStatus, QuickOrderRow, quick_order_preview
from orders.services.placement import order_place


class LinesRefused(OrderRefused):
    """One or more lines cannot be ordered as given; ``lines`` is the row report (``PreviewLine``s, input order).
    Nothing was saved."""

    def __init__(self, lines: list[PreviewLine]):
        self.lines = lines
        refused = [line for line in lines if line.status != PreviewStatus.OK]
        super().__init__([f"{line.row.sku}: {line.message}" for line in refused])


def order_lines_check(
    *, dealer_user: DealerUser, rows: list[QuickOrderRow], pricing: DealerPricing | None = None
) -> list[PreviewLine]:
    """The row report for ``rows`` without placing anything (quick order's preview): what each row would order."""
    return quick_order_preview(dealer_user=dealer_user, rows=rows, pricing=pricing)


def order_place_lines(
    *,
    dealer_user: DealerUser,
    idempotency_key: uuid.UUID,
    rows: list[QuickOrderRow],
    payment_method: str,
    delivery_address: DealerAddress | None = None,
    po_number: str = "",
    requested_delivery_date: dt.date | None = None,
    note: str = "",
) -> Order:
    """Place an order of ``rows`` for ``dealer_user`` through ``order_place`` and return it.

    Strict: every row must be orderable exactly as given — a row quick order would adjust (below the minimum, off
    the order multiple), an unknown or hidden code, a unit the product is not sold in or a product without a price
    refuses the whole order with ``LinesRefused`` (the row report), nothing saved. Rows of the same product and
    unit are summed, as in quick order. Everything else — prices, credit, stock, approval — is placement's.
    Idempotent by ``idempotency_key`` like ``order_place``: a second call returns the first order.
    """
    existing = Order.objects.filter(dealer_id=dealer_user.dealer_id, idempotency_key=idempotency_key).first()
    if existing is not None:
        return existing
    if not rows:
        raise OrderRefused([_("The order has no lines.")])
    pricing = DealerPricing(dealer_user.dealer)
    report = order_lines_check(dealer_user=dealer_user, rows=rows, pricing=pricing)
    if any(line.status != PreviewStatus.OK for line in report):
        raise LinesRefused(report)
    return order_place(
        dealer_user=dealer_user,
        idempotency_key=idempotency_key,
        payment_method=payment_method,
        delivery_address=delivery_address,
        po_number=po_number,
        requested_delivery_date=requested_delivery_date,
        note=note,
        lines=[CartLine(product=line.product, unit=line.unit, quantity=Decimal(line.quantity)) for line in report],
        pricing=pricing,
    )
