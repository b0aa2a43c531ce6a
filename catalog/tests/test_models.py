from decimal import Decimal

import pytest
from django.utils import translation

from b2bportal.tests.assertions import refused
from catalog.models import DealerAgreement, ExchangeRate, ProductUnit
from catalog.tests.factories import (
    BrandFactory,
    CategoryFactory,
    PriceListFactory,
    PriceListItemFactory,
    ProductFactory,
    StockLevelFactory,
    UnitFactory,
)
from dealers.tests.factories import DealerFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("field", ["on_hand", "committed_erp", "reserved_portal"])
def test_stock_quantities_cannot_be_negative(field):
    refused(lambda: StockLevelFactory(**{field: Decimal("-1")}))


def test_one_stock_row_per_product_and_warehouse():
    row = StockLevelFactory()
    refused(lambda: StockLevelFactory(product=row.product, warehouse=row.warehouse))


def test_skus_are_unique():
    product = ProductFactory()
    refused(lambda: ProductFactory(sku=product.sku))


@pytest.mark.parametrize(
    ("field", "value"), [("min_order_qty", 0), ("order_multiple", 0), ("vat_rate", -1), ("vat_rate", 101)]
)
def test_product_quantities_and_vat_are_bounded(field, value):
    refused(lambda: ProductFactory(**{field: Decimal(value)}))


def test_pack_factor_must_be_positive():
    product = ProductFactory()
    case = UnitFactory(code="KOLI", name="Koli")
    refused(lambda: ProductUnit.objects.create(product=product, unit=case, factor=Decimal("0")))
    ProductUnit.objects.create(product=product, unit=case, factor=Decimal("12"))
    refused(lambda: ProductUnit.objects.create(product=product, unit=case, factor=Decimal("6")))


def test_one_price_per_list_product_unit_and_break():
    item = PriceListItemFactory(min_quantity=Decimal("10"))
    refused(lambda: PriceListItemFactory(price_list=item.price_list, product=item.product, min_quantity=Decimal("10")))
    # The base-unit row (unit empty) is unique too: NULLs are not distinct here.
    base = PriceListItemFactory()
    refused(lambda: PriceListItemFactory(price_list=base.price_list, product=base.product))


def test_price_cannot_be_negative():
    refused(lambda: PriceListItemFactory(price=Decimal("-0.01")))


def test_price_list_window_must_be_ordered():
    import datetime

    refused(lambda: PriceListFactory(valid_from=datetime.date(2026, 2, 1), valid_to=datetime.date(2026, 1, 1)))


def _agreement(**kwargs):
    defaults = {"dealer": DealerFactory(), "kind": DealerAgreement.Kind.DISCOUNT, "value": Decimal("5")}
    defaults.update(kwargs)
    return DealerAgreement.objects.create(**defaults)


def test_agreement_targets_exactly_one_of_product_category_brand():
    _agreement(brand=BrandFactory())
    refused(lambda: _agreement())
    refused(lambda: _agreement(brand=BrandFactory(), category=CategoryFactory()))


@pytest.mark.parametrize("value", ["-1", "100.01"])
def test_discount_is_a_percentage(value):
    refused(lambda: _agreement(category=CategoryFactory(), value=Decimal(value)))


def test_fixed_price_needs_a_currency():
    refused(lambda: _agreement(product=ProductFactory(), kind=DealerAgreement.Kind.FIXED_PRICE, value=Decimal("9")))
    _agreement(product=ProductFactory(), kind=DealerAgreement.Kind.FIXED_PRICE, value=Decimal("9"), currency="TRY")


def test_exchange_rate_positive_and_one_per_day():
    import datetime

    day = datetime.date(2026, 11, 2)
    ExchangeRate.objects.create(currency="USD", rate_date=day, rate=Decimal("42.1"))
    refused(lambda: ExchangeRate.objects.create(currency="USD", rate_date=day, rate=Decimal("42.2")))
    refused(lambda: ExchangeRate.objects.create(currency="EUR", rate_date=day, rate=Decimal("0")))


def test_names_follow_the_language():
    product = ProductFactory(name="Vida", name_en="Screw")
    with translation.override("tr"):
        assert product.display_name == "Vida"
    with translation.override("en"):
        assert product.display_name == "Screw"
    product.name_en = ""
    with translation.override("en"):
        assert product.display_name == "Vida"
