from decimal import Decimal

import pytest

from dealers.credit import credit_position, credit_positions
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
