import uuid
from decimal import Decimal

import factory
from django.utils import timezone

from catalog.tests.factories import PriceListFactory, PriceListItemFactory, ProductFactory, StockLevelFactory
from dealers.models import DealerUser
from dealers.tests.factories import DealerFactory, DealerUserFactory
from orders.models import Cart, Order, OrderLine
from orders.pricing import cart_priced
from orders.services import order_place
from orders.status import OrderStatus

D = Decimal


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    number = factory.Sequence(lambda n: f"B2B-T{n:06d}")
    dealer = factory.SubFactory(DealerFactory)
    status = OrderStatus.SUBMITTED
    currency = "TRY"
    total_net = Decimal("1000.00")
    total_vat = Decimal("200.00")
    total_gross = Decimal("1200.00")
    placed_at = factory.LazyFunction(timezone.now)


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    line_no = factory.Sequence(lambda n: n + 1)
    product = factory.SubFactory(ProductFactory)
    sku = factory.LazyAttribute(lambda o: o.product.sku)
    name = factory.LazyAttribute(lambda o: o.product.name)
    name_en = factory.LazyAttribute(lambda o: o.product.name_en)
    unit_code = "ADET"
    quantity = Decimal("10")
    unit_price_net = Decimal("100.0000")
    unit_price_gross = Decimal("120.0000")
    vat_rate = Decimal("20")
    line_net = Decimal("1000.00")
    line_vat = Decimal("200.00")
    line_gross = Decimal("1200.00")


# -- orders placed through the real service ----------------------------------------------------------------


def make_shop(*, stock="10", price="100", credit_limit="100000", **dealer_kwargs):
    stock, price, credit_limit = D(stock), D(price), D(credit_limit)
    price_list = PriceListFactory()
    dealer = DealerFactory(price_list=price_list, credit_limit=credit_limit, erp_balance=D("0"), **dealer_kwargs)
    product = ProductFactory(min_order_qty=D("1"), order_multiple=D("1"), vat_rate=D("20"))
    PriceListItemFactory(price_list=price_list, product=product, price=price)
    StockLevelFactory(product=product, on_hand=stock)
    return dealer, product


def buyer_of(dealer, **kwargs):
    kwargs.setdefault("role", DealerUser.Role.BUYER)
    return DealerUserFactory(dealer=dealer, **kwargs)


def place(dealer_user, *, key=None, payment_method=Order.PaymentMethod.ON_ACCOUNT, **kwargs):
    cart = Cart.objects.filter(owner=dealer_user.user, kind=Cart.Kind.ACTIVE).first()
    signature = cart_priced(dealer=dealer_user.dealer, cart=cart).signature if cart else ""
    kwargs.setdefault("delivery_address", None)
    return order_place(
        dealer_user=dealer_user,
        idempotency_key=key or uuid.uuid4(),
        payment_method=payment_method,
        confirmed_signature=kwargs.pop("signature", signature),
        **kwargs,
    )
