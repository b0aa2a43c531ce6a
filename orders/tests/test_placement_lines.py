"""Orders of lines given at once (a purchasing system's order through the API or EDI): ``order_place_lines`` reads
the lines as quick order does and places them through ``order_place`` without any cart."""

import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Product
from catalog.tests.factories import PriceListItemFactory, ProductFactory, StockLevelFactory
from orders.exceptions import OrderRefused
from orders.models import Cart, CartLine, Order
from orders.quick_order import QuickOrderRow
from orders.services import cart_line_add, order_place
from orders.services.lines import LinesRefused, order_place_lines
from orders.status import OrderStatus
from orders.tests.factories import buyer_of, make_shop

pytestmark = pytest.mark.django_db
D = Decimal


def _rows(*pairs):
    return [
        QuickOrderRow(line_no=n, sku=sku, quantity=D(quantity), unit_code="", raw=f"{sku} {quantity}")
        for n, (sku, quantity) in enumerate(pairs, start=1)
    ]


def _place(buyer, rows, key=None):
    return order_place_lines(
        dealer_user=buyer, idempotency_key=key or uuid.uuid4(), rows=rows, payment_method=Order.PaymentMethod.ON_ACCOUNT
    )


def _more_products(dealer, count):
    products = []
    for _n in range(count):
        product = ProductFactory(min_order_qty=D("1"), order_multiple=D("1"), vat_rate=D("20"))
        PriceListItemFactory(price_list=dealer.price_list, product=product, price=D("10"))
        StockLevelFactory(product=product, on_hand=D("50"))
        products.append(product)
    return products


def test_lines_are_placed_priced_and_reserved_without_touching_any_cart():
    dealer, product = make_shop(stock="10", price="100")
    buyer = buyer_of(dealer)
    other = _more_products(dealer, 1)[0]
    cart_line_add(dealer_user=buyer, product=other, quantity=D("2"))  # the buyer's own cart, left alone
    order = _place(buyer, _rows((product.sku.lower(), "3"), (other.sku, "1"), (product.sku, "1")))
    assert order.status == OrderStatus.APPROVED
    assert [(line.sku, line.quantity, line.unit_price_net) for line in order.lines.order_by("line_no")] == [
        (product.sku, D("4"), D("100.0000")),
        (other.sku, D("1"), D("10.0000")),
    ]
    assert order.total_net == D("410.00")
    assert Cart.objects.filter(kind=Cart.Kind.SAVED).count() == 0
    assert list(CartLine.objects.values_list("product_id", "quantity")) == [(other.pk, D("2"))]
    assert order.reservations.count() == 2


def test_the_same_key_gives_the_first_order_again():
    dealer, product = make_shop()
    buyer = buyer_of(dealer)
    key = uuid.uuid4()
    first = _place(buyer, _rows((product.sku, "1")), key=key)
    assert _place(buyer, _rows((product.sku, "5")), key=key).pk == first.pk
    assert Order.objects.count() == 1


def test_an_unknown_code_refuses_the_whole_order_and_saves_nothing():
    dealer, product = make_shop()
    buyer = buyer_of(dealer)
    with pytest.raises(LinesRefused) as refused:
        _place(buyer, _rows((product.sku, "1"), ("NO-SUCH-CODE", "1")))
    assert [line.status for line in refused.value.lines] == ["ok", "unknown_sku"]
    assert Order.objects.count() == 0 and Cart.objects.count() == 0


def _place_given(buyer, product, quantity="1"):
    return order_place(
        dealer_user=buyer,
        idempotency_key=uuid.uuid4(),
        payment_method=Order.PaymentMethod.ON_ACCOUNT,
        delivery_address=None,
        lines=[CartLine(product=product, unit=None, quantity=D(quantity))],
    )


def test_placement_refuses_given_lines_of_a_product_that_cannot_be_ordered():
    dealer, product = make_shop()
    buyer = buyer_of(dealer)
    Product.objects.filter(pk=product.pk).update(status="inactive")
    with pytest.raises(OrderRefused) as refused:
        _place_given(buyer, Product.objects.get(pk=product.pk))
    assert product.sku in refused.value.messages[0]
    assert Order.objects.count() == 0


def test_placement_prices_given_lines_itself_and_refuses_a_price_removed_meanwhile():
    dealer, product = make_shop()
    buyer = buyer_of(dealer)
    dealer.price_list.items.filter(product=product).delete()
    with pytest.raises(OrderRefused):
        _place_given(buyer, product)
    assert Order.objects.count() == 0
    PriceListItemFactory(price_list=dealer.price_list, product=product, price=D("7"))
    assert _place_given(buyer, product, "2").total_net == D("14.00")


def test_no_given_lines_is_refused():
    dealer, _product = make_shop()
    with pytest.raises(OrderRefused):
        order_place(
            dealer_user=buyer_of(dealer),
            idempotency_key=uuid.uuid4(),
            payment_method=Order.PaymentMethod.ON_ACCOUNT,
            delivery_address=None,
            lines=[],
        )
    assert Order.objects.count() == 0


def test_queries_do_not_grow_with_the_number_of_lines():
    dealer, product = make_shop(stock="100")
    buyer = buyer_of(dealer)
    products = [product, *_more_products(dealer, 9)]

    def queries(count):
        with CaptureQueriesContext(connection) as captured:
            _place(buyer, _rows(*[(p.sku, "1") for p in products[:count]]))
        return len(captured.captured_queries)

    queries(1)  # what is read once per process (rules, exchange rates, the category tree)
    assert queries(2) == queries(10)
