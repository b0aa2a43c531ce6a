from decimal import Decimal

import factory
from django.utils import timezone

from catalog.tests.factories import ProductFactory
from dealers.tests.factories import DealerFactory
from orders.models import Order, OrderLine
from orders.status import OrderStatus


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
    unit_code = "ADET"
    quantity = Decimal("10")
    unit_price_net = Decimal("100.0000")
    unit_price_gross = Decimal("120.0000")
    vat_rate = Decimal("20")
    line_net = Decimal("1000.00")
    line_vat = Decimal("200.00")
    line_gross = Decimal("1200.00")
