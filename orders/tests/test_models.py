import uuid
from decimal import Decimal

import pytest

from b2bportal.tests.assertions import refused
from dealers.tests.factories import DealerFactory
from orders.models import Cart, CartLine
from orders.tests.factories import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db


def test_one_idempotency_key_per_dealer():
    key = uuid.uuid4()
    dealer = DealerFactory()
    OrderFactory(dealer=dealer, idempotency_key=key)
    refused(lambda: OrderFactory(dealer=dealer, idempotency_key=key))
    OrderFactory(idempotency_key=key)  # another dealer may by chance hold the same key


def test_order_numbers_are_unique():
    order = OrderFactory()
    refused(lambda: OrderFactory(number=order.number))


@pytest.mark.parametrize("field", ["total_net", "total_vat", "total_gross"])
def test_totals_cannot_be_negative(field):
    refused(lambda: OrderFactory(**{field: Decimal("-0.01")}))


def test_status_must_be_a_known_state():
    refused(lambda: OrderFactory(status="teleported"))


@pytest.mark.parametrize(
    ("field", "value"), [("quantity", "0"), ("quantity", "-1"), ("shipped_qty", "-1"), ("backordered_qty", "-2")]
)
def test_line_quantities_are_bounded(field, value):
    refused(lambda: OrderLineFactory(**{field: Decimal(value)}))


def test_line_numbers_unique_per_order():
    line = OrderLineFactory()
    refused(lambda: OrderLineFactory(order=line.order, line_no=line.line_no))


def test_one_active_cart_per_user_and_dealer(dealer_user):
    Cart.objects.create(dealer=dealer_user.dealer, owner=dealer_user.user)
    refused(lambda: Cart.objects.create(dealer=dealer_user.dealer, owner=dealer_user.user))
    Cart.objects.create(dealer=dealer_user.dealer, owner=dealer_user.user, kind=Cart.Kind.SAVED, name="Aylık")


def test_saved_cart_needs_a_name(dealer_user):
    refused(lambda: Cart.objects.create(dealer=dealer_user.dealer, owner=dealer_user.user, kind=Cart.Kind.SAVED))


def test_cart_line_quantity_positive(dealer_user):
    from catalog.tests.factories import ProductFactory

    cart = Cart.objects.create(dealer=dealer_user.dealer, owner=dealer_user.user)
    refused(lambda: CartLine.objects.create(cart=cart, product=ProductFactory(), quantity=Decimal("0")))
