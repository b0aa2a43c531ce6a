from decimal import Decimal

import pytest

from dealers.credit import credit_decision, credit_position, credit_positions, portal_pending_total
from dealers.hooks import portal_pending
from dealers.tests.factories import DealerFactory
from orders.status import OrderStatus
from orders.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db


def test_exposure_counts_balance_open_erp_orders_and_portal_orders_not_in_erp():
    dealer = DealerFactory(credit_limit=Decimal("10000"), erp_balance=Decimal("3000"), erp_open_orders=Decimal("1000"))
    OrderFactory(dealer=dealer, status=OrderStatus.ON_HOLD, total_gross=Decimal("500"))
    OrderFactory(dealer=dealer, status=OrderStatus.SENT_TO_ERP, total_gross=Decimal("250"))
    # Confirmed orders are in the ERP's open orders already; cancelled ones count nowhere.
    OrderFactory(dealer=dealer, status=OrderStatus.CONFIRMED, total_gross=Decimal("700"))
    OrderFactory(dealer=dealer, status=OrderStatus.CANCELLED, total_gross=Decimal("900"))
    OrderFactory(status=OrderStatus.ON_HOLD, total_gross=Decimal("10000"))  # another dealer
    position = credit_position(dealer)
    assert position.portal_pending == Decimal("750")
    assert position.exposure == Decimal("4750")
    assert position.available == Decimal("5250")


def test_available_never_below_zero():
    dealer = DealerFactory(credit_limit=Decimal("100"), erp_balance=Decimal("500"))
    assert credit_position(dealer).available == Decimal("0")


def test_credit_hold_leaves_nothing_available():
    dealer = DealerFactory(credit_limit=Decimal("100000"), erp_balance=Decimal("0"), credit_hold=True)
    assert credit_position(dealer).available == Decimal("0")


def test_credit_decision_allows_an_amount_within_the_limit_and_records_its_figures():
    dealer = DealerFactory(credit_limit=Decimal("10000"), erp_balance=Decimal("3000"), erp_open_orders=Decimal("1000"))
    OrderFactory(dealer=dealer, status=OrderStatus.APPROVED, total_gross=Decimal("500"))
    decision = credit_decision(dealer, Decimal("5500"))
    assert decision.allowed and decision.within_limit and not decision.on_hold
    assert decision.exposure == Decimal("10000") and decision.over_by == Decimal("0")
    details = decision.details()
    assert Decimal(details["portal_pending"]) == 500 and Decimal(details["order_total"]) == 5500
    assert Decimal(details["exposure"]) == 10000 and Decimal(details["credit_limit"]) == 10000


def test_credit_decision_refuses_an_amount_over_the_limit_and_a_dealer_on_hold():
    dealer = DealerFactory(credit_limit=Decimal("10000"), erp_balance=Decimal("3000"), erp_open_orders=Decimal("1000"))
    over = credit_decision(dealer, Decimal("6000.01"))
    assert not over.allowed and not over.within_limit and over.over_by == Decimal("0.01")
    held = DealerFactory(credit_limit=Decimal("100000"), credit_hold=True)
    decision = credit_decision(held, Decimal("1"))
    assert decision.within_limit and decision.on_hold and not decision.allowed


def test_pending_portal_orders_come_from_the_orders_app_through_its_hook():
    dealer = DealerFactory()
    OrderFactory(dealer=dealer, status=OrderStatus.SUBMITTED, total_gross=Decimal("120"))
    assert portal_pending.handlers, "orders connects the pending-orders answer at start-up"
    assert portal_pending_total(dealer) == Decimal("120")


def test_positions_of_many_dealers_in_one_query_equal_the_single_ones(django_assert_num_queries):
    lira = DealerFactory(erp_balance=Decimal("3000"), erp_open_orders=Decimal("1000"))
    euro = DealerFactory(currency="EUR", credit_hold=True)
    idle = DealerFactory()
    OrderFactory(dealer=lira, status=OrderStatus.ON_HOLD, total_gross=Decimal("500"))
    OrderFactory(dealer=lira, status=OrderStatus.SUBMITTED, total_gross=Decimal("250"))
    OrderFactory(dealer=lira, status=OrderStatus.SUBMITTED, total_gross=Decimal("90"), currency="EUR")
    OrderFactory(dealer=lira, status=OrderStatus.SUBMITTED, total_gross=Decimal("80"), payment_method="card")
    OrderFactory(dealer=lira, status=OrderStatus.CONFIRMED, total_gross=Decimal("700"))
    OrderFactory(dealer=euro, status=OrderStatus.APPROVED, total_gross=Decimal("40"), currency="EUR")
    OrderFactory(dealer=euro, status=OrderStatus.APPROVED, total_gross=Decimal("60"))  # not in the account's currency
    with django_assert_num_queries(1):
        positions = credit_positions([lira, euro, idle, lira])
    assert positions == {dealer.pk: credit_position(dealer) for dealer in (lira, euro, idle)}
    assert [positions[d.pk].portal_pending for d in (lira, euro, idle)] == [Decimal("750"), Decimal("40"), Decimal(0)]
    assert credit_positions([]) == {}
