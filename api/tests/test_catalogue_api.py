"""The catalogue through the API: the dealer's price, VAT, packs and availability with its as-of; keyset paging and
updated_since; a constant number of queries whatever the page size; price with explanation; stock for SKUs."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.tests.factories import api_shop, client_for
from catalog.models import Product
from catalog.tests.factories import (
    PriceListFactory,
    PriceListItemFactory,
    ProductFactory,
    ProductUnitFactory,
    StockLevelFactory,
)

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def shop():
    dealer, product, member = api_shop()
    for n in range(5):
        extra = ProductFactory(min_order_qty=D("1"), order_multiple=D("1"))
        PriceListItemFactory(price_list=dealer.price_list, product=extra, price=D(10 + n))
        StockLevelFactory(product=extra, on_hand=D(n))
    ProductUnitFactory(product=product, factor=D("12"))
    return dealer, product, member


def test_list_carries_price_vat_packs_and_availability(shop):
    _dealer, product, member = shop
    ProductFactory()  # not on the dealer's price list: hidden
    body = client_for(member).get("/api/v1/products/").json()
    assert len(body["results"]) == 6 and body["next_cursor"] is None
    row = next(r for r in body["results"] if r["sku"] == product.sku)
    assert row["price"]["priced"] and row["price"]["net"] == "100.00" and row["price"]["gross"] == "120.00"
    assert row["vat_rate"] == "20.00"
    assert row["packs"] == [{"unit": "KOLI", "factor": "12.000000", "barcode": ""}]
    assert row["availability"]["available"] == "10.000" and row["availability"]["status"] in ("in_stock", "low")
    assert "as_of" in row["availability"] and body["as_of"]


def test_cursor_paging_walks_every_product_once(shop):
    client = client_for(shop[2])
    seen, url = [], "/api/v1/products/?page_size=2"
    while url:
        body = client.get(url).json()
        seen += [r["sku"] for r in body["results"]]
        url = body["next"]
    assert len(seen) == 6 == len(set(seen))


def test_updated_since_returns_only_changed_products(shop):
    _dealer, product, member = shop
    Product.objects.update(updated_at=timezone.now() - timedelta(days=2))
    Product.objects.filter(pk=product.pk).update(updated_at=timezone.now())
    since = (timezone.now() - timedelta(days=1)).isoformat()
    body = client_for(member).get("/api/v1/products/", {"updated_since": since}).json()
    assert [r["sku"] for r in body["results"]] == [product.sku]
    bad = client_for(member).get("/api/v1/products/", {"updated_since": "yesterday"})
    assert bad.status_code == 400 and "updated_since" in bad.json()["errors"]


def test_queries_do_not_grow_with_the_page_size(shop):
    client = client_for(shop[2])
    client.get("/api/v1/products/?page_size=1")  # warm the category tree and price data caches
    counts = []
    for size in (1, 6):
        with CaptureQueriesContext(connection) as queries:
            assert len(client.get(f"/api/v1/products/?page_size={size}").json()["results"]) == size
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 10


def test_price_for_a_quantity_and_pack_with_its_explanation(shop):
    _dealer, product, member = shop
    client = client_for(member)
    body = client.get(f"/api/v1/products/{product.sku}/price/", {"quantity": "2", "unit": "koli"}).json()
    assert body["priced"] and body["unit"] == "KOLI" and body["unit_factor"] == "12.000000"
    assert body["net"] == "1200.00" and body["line"]["net"] == "2400.00"
    assert body["explanation"] and body["steps"][0]["kind"]
    unknown = client.get(f"/api/v1/products/{product.sku}/price/", {"unit": "PALET"})
    assert unknown.status_code == 400 and unknown.json()["code"] == "unknown_unit"
    zero = client.get(f"/api/v1/products/{product.sku}/price/", {"quantity": "0"})
    assert zero.status_code == 400 and zero.json()["code"] == "invalid_quantity"


def test_stock_for_a_list_of_skus(shop):
    _dealer, product, member = shop
    hidden = ProductFactory()
    other_list = PriceListFactory()
    PriceListItemFactory(price_list=other_list, product=hidden)
    body = client_for(member).get("/api/v1/stock/", {"sku": f"{product.sku},{hidden.sku},NOPE"}).json()
    assert [r["sku"] for r in body["results"]] == [product.sku]
    assert body["results"][0]["available"] == "10.000" and body["results"][0]["warehouses"][0]["code"]
    assert body["unknown"] == [hidden.sku, "NOPE"]
    assert client_for(member).get("/api/v1/stock/").status_code == 400
