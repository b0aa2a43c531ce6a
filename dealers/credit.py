"""Credit exposure and available credit: the one place the home page, checkout and accounts ask.

exposure = ERP balance + open orders in the ERP + portal orders the ERP has not taken over yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Sum

from dealers.models import Dealer


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
            return Decimal("0.00")
        return max(self.credit_limit - self.exposure, Decimal("0.00"))


def portal_pending_total(dealer: Dealer) -> Decimal:
    """Totals of the dealer's on-account portal orders that the ERP's figures do not include yet. Orders paid by
    card or bank transfer are not credit: they are released only once paid."""
    from orders.models import Order
    from orders.status import NOT_YET_IN_ERP

    total = Order.objects.filter(
        dealer=dealer,
        status__in=NOT_YET_IN_ERP,
        currency=dealer.currency,
        payment_method=Order.PaymentMethod.ON_ACCOUNT,
    ).aggregate(total=Sum("total_gross"))["total"]
    return total or Decimal("0.00")


def credit_position(dealer: Dealer) -> CreditPosition:
    return CreditPosition(
        currency=dealer.currency,
        credit_limit=dealer.credit_limit,
        erp_balance=dealer.erp_balance,
        erp_open_orders=dealer.erp_open_orders,
        portal_pending=portal_pending_total(dealer),
        on_hold=dealer.credit_hold,
        hold_reason=dealer.credit_hold_reason,
        credit_limit_as_of=dealer.credit_limit_as_of,
        erp_balance_as_of=dealer.erp_balance_as_of,
    )
