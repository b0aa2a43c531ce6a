"""The shop the EDI samples (``edi_samples/``) order from: a dealer with the buyer's GLN and tax number, the
products the samples name by SKU, GTIN, pack GTIN and the dealer's own code, priced by the dealer's price list."""

from __future__ import annotations

import threading
from decimal import Decimal
from pathlib import Path

from django.db import connection

from catalog.tests.factories import (
    PriceListFactory,
    PriceListItemFactory,
    ProductFactory,
    ProductUnitFactory,
    StockLevelFactory,
)
from dealers.models import DealerUser
from dealers.tests.factories import DealerAddressFactory, DealerFactory, DealerUserFactory
from orders.edi import intake
from orders.models import DealerItemCode, Order
from orders.services.lines import order_place_lines

D = Decimal
SAMPLES = Path(__file__).parent / "edi_samples"
BUYER_GLN = "8680000000013"
OTHER_GLN = "8680000000020"
BUYER_VKN = "1234567890"
# The store the samples deliver to (NAD+DP, cac:DeliveryLocation): one of the dealer's delivery addresses.
STORE_GLN = "8680000000037"


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def _product(price_list, sku, price, **kwargs):
    product = ProductFactory(sku=sku, min_order_qty=kwargs.pop("min_order_qty", D("1")), **kwargs)
    PriceListItemFactory(price_list=price_list, product=product, price=D(price))
    StockLevelFactory(product=product, on_hand=D("1000"))
    return product


def edi_shop(*, gln=BUYER_GLN, tax_number=BUYER_VKN, skus_prefix=""):
    """(dealer, its admin, {sku: product}): KB-1001 at 100, KB-2002 (GTIN 8691234500019) at 50, KB-3003 at 10 a
    piece sold by twelve (case KOLI of 12, case GTIN 8691234500026) that the dealer calls ACME-55. The dealer has
    a default delivery address and a store with the GLN ``STORE_GLN`` the samples deliver to."""
    price_list = PriceListFactory()
    dealer = DealerFactory(
        price_list=price_list, credit_limit=D("100000"), erp_balance=D("0"), gln=gln, tax_number=tax_number
    )
    DealerAddressFactory(dealer=dealer, is_default=True)
    DealerAddressFactory(dealer=dealer, name="Mağaza Şişli", gln=STORE_GLN)
    admin = DealerUserFactory(dealer=dealer, role=DealerUser.Role.ADMIN)
    p = skus_prefix
    products = {
        "KB-1001": _product(price_list, f"{p}KB-1001", "100"),
        "KB-2002": _product(price_list, f"{p}KB-2002", "50", barcode=f"{p}8691234500019"),
        "KB-3003": _product(
            price_list, f"{p}KB-3003", "10", barcode=f"{p}8691234500033", order_multiple=D("12"), min_order_qty=D("12")
        ),
    }
    ProductUnitFactory(product=products["KB-3003"], factor=D("12"), barcode=f"{p}8691234500026")
    DealerItemCode.objects.create(dealer=dealer, code=f"{p}ACME-55", product=products["KB-3003"])
    return dealer, admin, products


def orders_seen_elsewhere_while_placing(monkeypatch) -> list[int]:
    """Before each EDI message's order is placed, count the orders another database connection sees (what is
    committed by then); returns the list the counts are appended to."""
    seen: list[int] = []

    def count():
        try:
            seen.append(Order.objects.count())
        finally:
            connection.close()

    def counted(**kwargs):
        thread = threading.Thread(target=count)
        thread.start()
        thread.join()
        return order_place_lines(**kwargs)

    monkeypatch.setattr(intake, "order_place_lines", counted)
    return seen
