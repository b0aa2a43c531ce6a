from decimal import Decimal

import pytest

from dealers.credit import credit_position
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
