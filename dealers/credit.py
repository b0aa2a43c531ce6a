"""Credit exposure and available credit: the one place the home page, checkout and accounts ask.

exposure = ERP balance + open orders in the ERP + portal orders the ERP has not taken over yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Sum

from dealers.models import Dealer

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class CreditPosition:
    currency: str
    credit_limit: Decimal
    erp_balance: Decimal
    erp_open_orders: Decimal
    portal_pending: Decimal
    on_hold: bool
    hold_reason: str
    credit_limit_as_of: datetime | None
    erp_balance_as_of: datetime | None

    @property
    def exposure(self) -> Decimal:
        return self.erp_balance + self.erp_open_orders + self.portal_pending

    @property
    def available(self) -> Decimal:
        """What the dealer can still order on account; never below zero; zero while on credit hold."""
        if self.on_hold:
            return ZERO
        return max(self.credit_limit - self.exposure, ZERO)


def _portal_pending_orders():
    """On-account portal orders that the ERP's figures do not include yet. Orders paid by card or bank transfer
    are not credit: they are released only once paid."""
    from orders.models import Order
    from orders.status import NOT_YET_IN_ERP

    return Order.objects.filter(status__in=NOT_YET_IN_ERP, payment_method=Order.PaymentMethod.ON_ACCOUNT)


def portal_pending_total(dealer: Dealer) -> Decimal:
    """Totals of the dealer's on-account portal orders, in the dealer's currency, that the ERP's figures do not
    include yet."""
    total = (
        _portal_pending_orders()
        .filter(dealer=dealer, currency=dealer.currency)
        .aggregate(total=Sum("total_gross"))["total"]
    )
    return total or ZERO


def _position(dealer: Dealer, portal_pending: Decimal) -> CreditPosition:
    return CreditPosition(
        currency=dealer.currency,
        credit_limit=dealer.credit_limit,
        erp_balance=dealer.erp_balance,
        erp_open_orders=dealer.erp_open_orders,
        portal_pending=portal_pending,
        on_hold=dealer.credit_hold,
        hold_reason=dealer.credit_hold_reason,
        credit_limit_as_of=dealer.credit_limit_as_of,
        erp_balance_as_of=dealer.erp_balance_as_of,
    )


def credit_position(dealer: Dealer) -> CreditPosition:
    return _position(dealer, portal_pending_total(dealer))


def credit_positions(dealers: Iterable[Dealer]) -> dict[int, CreditPosition]:
    """``credit_position`` of many dealers (a page of a list) in one query, by dealer id."""
    by_id = {dealer.pk: dealer for dealer in dealers}
    if not by_id:
        return {}
    rows = (
        _portal_pending_orders()
        .filter(dealer_id__in=by_id)
        .order_by()
        .values("dealer_id", "currency")
        .annotate(total=Sum("total_gross"))
        .values_list("dealer_id", "currency", "total")
    )
    pending = {dealer_id: total for dealer_id, currency, total in rows if currency == by_id[dealer_id].currency}
    return {pk: _position(dealer, pending.get(pk) or ZERO) for pk, dealer in by_id.items()}
