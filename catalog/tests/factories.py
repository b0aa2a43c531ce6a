from decimal import Decimal

import factory

from catalog.models import (
    Brand,
    Category,
    DealerAgreement,
    ExchangeRate,
    PriceList,
    PriceListItem,
    Product,
    ProductUnit,
    StockLevel,
    Unit,
    Warehouse,
)


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit
        django_get_or_create = ("code",)

    code = "ADET"
    name = "Adet"
    name_en = "Piece"


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    code = factory.Sequence(lambda n: f"CAT{n:04d}")
    name = factory.Sequence(lambda n: f"Kategori {n}")
    name_en = factory.Sequence(lambda n: f"Category {n}")


class BrandFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Brand

    code = factory.Sequence(lambda n: f"BR{n:03d}")
    name = factory.Sequence(lambda n: f"Marka {n}")


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:06d}")
    name = factory.Sequence(lambda n: f"Ürün {n}")
    name_en = factory.Sequence(lambda n: f"Product {n}")
    category = factory.SubFactory(CategoryFactory)
    brand = factory.SubFactory(BrandFactory)
    base_unit = factory.SubFactory(UnitFactory)
    vat_rate = Decimal("20")


class WarehouseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Warehouse

    code = factory.Sequence(lambda n: f"WH{n:05d}")  # sorts as created, however many came before
    name = factory.Sequence(lambda n: f"Depo {n}")


class StockLevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StockLevel

    product = factory.SubFactory(ProductFactory)
    warehouse = factory.SubFactory(WarehouseFactory)
    on_hand = Decimal("100")


class PriceListFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriceList

    code = factory.Sequence(lambda n: f"PL{n:03d}")
    name = factory.Sequence(lambda n: f"Fiyat listesi {n}")
    currency = "TRY"


class PriceListItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriceListItem

    price_list = factory.SubFactory(PriceListFactory)
    product = factory.SubFactory(ProductFactory)
    price = Decimal("100.00")


class ProductUnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProductUnit

    product = factory.SubFactory(ProductFactory)
    unit = factory.SubFactory(UnitFactory, code="KOLI", name="Koli", name_en="Case")
    factor = Decimal("12")


class DealerAgreementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DealerAgreement

    kind = DealerAgreement.Kind.DISCOUNT
    value = Decimal("5")


class ExchangeRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExchangeRate

    currency = "USD"
    rate = Decimal("34.500000")
    source = "TCMB"
