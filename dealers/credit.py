"""Credit exposure and available credit: the one place the home page, checkout and accounts ask.

exposure = ERP balance + open orders in the ERP + portal orders the ERP has not taken over yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from dealers.hooks import portal_pending
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


def portal_pending_totals(dealers: Iterable[Dealer]) -> dict[int, Decimal]:
    """Totals of each dealer's on-account portal orders, in the dealer's currency, that the ERP's figures do not
    include yet, by dealer id, in one query (the orders app answers, see ``orders.selectors``)."""
    dealers = list(dealers)
    if not dealers:
        return {}
    return portal_pending.first(dealers=dealers)


def portal_pending_total(dealer: Dealer) -> Decimal:
    """``portal_pending_totals`` of one dealer."""
    return portal_pending_totals([dealer]).get(dealer.pk, ZERO)


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
    """``credit_position`` of many dealers (a page of a list), by dealer id, in one query."""
    by_id = {dealer.pk: dealer for dealer in dealers}
    pending = portal_pending_totals(by_id.values())
    return {pk: _position(dealer, pending.get(pk) or ZERO) for pk, dealer in by_id.items()}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


@dataclass(frozen=True)
class CreditDecision:
    """May the dealer take ``amount`` more on account? ``on_hold`` and ``within_limit`` are the two verdicts the
    placement rules act on (credit hold, credit limit); ``details`` are the figures recorded with the order."""

    position: CreditPosition
    amount: Decimal

    @property
    def exposure(self) -> Decimal:
        """The exposure once this amount is added."""
        return self.position.exposure + self.amount

    @property
    def on_hold(self) -> bool:
        return self.position.on_hold

    @property
    def within_limit(self) -> bool:
        return self.exposure <= self.position.credit_limit

    @property
    def allowed(self) -> bool:
        return not self.on_hold and self.within_limit

    @property
    def over_by(self) -> Decimal:
        return max(self.exposure - self.position.credit_limit, Decimal("0.00"))

    def details(self) -> dict[str, str | None]:
        position = self.position
        return {
            "credit_limit": str(position.credit_limit),
            "erp_balance": str(position.erp_balance),
            "erp_open_orders": str(position.erp_open_orders),
            "portal_pending": str(position.portal_pending),
            "order_total": str(self.amount),
            "exposure": str(self.exposure),
            "balance_as_of": _iso(position.erp_balance_as_of),
            "limit_as_of": _iso(position.credit_limit_as_of),
        }


def credit_decision(dealer: Dealer, amount: Decimal) -> CreditDecision:
    """The credit verdict for ``amount`` more on the dealer's account, with the figures it used. Read the dealer
    under its row lock when the answer decides a write (placement does)."""
    return CreditDecision(position=credit_position(dealer), amount=amount)
