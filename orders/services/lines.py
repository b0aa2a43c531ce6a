"""Placing an order from lines given at once (a purchasing system's order through the API): no cart involved.

The lines are read the way quick order reads them (``orders.quick_order.quick_order_preview``: codes, barcodes,
packs, quantity rules, prices) and placed through ``order_place`` like every other order — the lines go into a
saved list that exists only inside the placement's transaction, so placement prices, checks and locks them exactly
as it does a recurring order's list, and nobody ever sees the list.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from dealers.models import DealerAddress, DealerUser
from orders.exceptions import OrderRefused
from orders.models import Cart, CartLine, Order
from orders.quick_order import PreviewLine, PreviewStatus, QuickOrderRow, quick_order_preview
from orders.services.placement import order_place


class LinesRefused(OrderRefused):
    """One or more lines cannot be ordered as given; ``lines`` is the row report (``PreviewLine``s, input order).
    Nothing was saved."""

    def __init__(self, lines: list[PreviewLine]):
        self.lines = lines
        refused = [line for line in lines if line.status != PreviewStatus.OK]
        super().__init__([f"{line.row.sku}: {line.message}" for line in refused])


def order_lines_check(*, dealer_user: DealerUser, rows: list[QuickOrderRow]) -> list[PreviewLine]:
    """The row report for ``rows`` without placing anything (quick order's preview): what each row would order."""
    return quick_order_preview(dealer_user=dealer_user, rows=rows)


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
    report = order_lines_check(dealer_user=dealer_user, rows=rows)
    if any(line.status != PreviewStatus.OK for line in report):
        raise LinesRefused(report)
    with transaction.atomic():
        carrier = Cart.objects.create(
            dealer_id=dealer_user.dealer_id,
            owner=dealer_user.user,
            kind=Cart.Kind.SAVED,
            name=f"order {idempotency_key}"[:100],
        )
        CartLine.objects.bulk_create(
            CartLine(cart=carrier, product=line.product, unit=line.unit, quantity=Decimal(line.quantity))
            for line in report
        )
        order = order_place(
            dealer_user=dealer_user,
            idempotency_key=idempotency_key,
            payment_method=payment_method,
            delivery_address=delivery_address,
            po_number=po_number,
            requested_delivery_date=requested_delivery_date,
            note=note,
            saved_list=carrier,
        )
        carrier.delete()
    return order
