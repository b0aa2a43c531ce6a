from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import Brand, Category, PriceList, PriceListItem, Product, ProductUnit, StockLevel, Unit, Warehouse
from catalog.pricing import price_for
from dealers.tests.factories import DealerFactory
from erpsync.adapters.base import (
    ErpBrand,
    ErpCategory,
    ErpPrice,
    ErpPriceList,
    ErpProduct,
    ErpProductUnit,
    ErpStock,
    ErpUnit,
    ErpWarehouse,
)
from erpsync.importers import sync_import
from erpsync.models import ExternalRef, SyncIssue, SyncRun, ValueMap

pytestmark = pytest.mark.django_db

D = Decimal


def item(code, **kw):
    defaults = {"name": f"Item {code}", "unit": "AD", "vat_rate": D("20"), "category_code": "C1", "brand_code": "B1"}
    return ErpProduct(code=code, **{**defaults, **kw})


def load_basics(erp):
    erp.publish("unit", [ErpUnit("AD", "Adet", "Piece"), ErpUnit("KOLI", "Koli", "Case")])
    erp.publish("category", [ErpCategory("C1", "Kablo", "Cable"), ErpCategory("C2", "Güç", parent_code="C1")])
    erp.publish("brand", [ErpBrand("B1", "Volta")])
    erp.publish("warehouse", [ErpWarehouse("W1", "Ana depo"), ErpWarehouse("Q", "Karantina", sellable=False)])
    for entity in ("unit", "category", "brand", "warehouse"):
        run = sync_import(connection=erp.connection, entity=entity)
        assert run.status == SyncRun.Status.SUCCEEDED, run.summary


def test_products_created_then_unchanged_then_updated_and_deactivated(memory_erp):
    load_basics(memory_erp)
    packs = (ErpProductUnit("KOLI", D("12"), "8690000000012"),)
    memory_erp.publish("product", [item("P1", units=packs), item("P2", name_en="Two")])
    run = sync_import(connection=memory_erp.connection, entity="product")
    assert (run.created, run.updated, run.unchanged, run.status) == (2, 0, 0, "succeeded")
    p1 = Product.objects.get(sku="P1")
    assert p1.base_unit.code == "AD" and p1.category.code == "C1" and p1.brand.code == "B1"
    assert ProductUnit.objects.get(product=p1).factor == D("12")

    memory_erp.publish("product", [item("P1", units=packs), item("P2", name_en="Two")])
    run = sync_import(connection=memory_erp.connection, entity="product")
    assert (run.created, run.updated, run.unchanged) == (0, 0, 2)

    memory_erp.publish("product", [item("P1", name="Renamed", units=packs)])
    run = sync_import(connection=memory_erp.connection, entity="product")
    assert (run.created, run.updated, run.unchanged, run.deactivated) == (0, 1, 0, 1)
    assert Product.objects.get(sku="P1").name == "Renamed"
    gone = Product.objects.get(sku="P2")
    assert gone.status == Product.Status.INACTIVE and gone.name_en == "Two"


def test_unmappable_product_is_quarantined_with_an_issue_and_the_feed_goes_on(memory_erp):
    load_basics(memory_erp)
    memory_erp.publish("product", [item("P1"), item("P2")])
    sync_import(connection=memory_erp.connection, entity="product")
    memory_erp.publish("product", [item("P1", unit="LT"), item("P2"), item("P3", brand_code="NOPE")])
    run = sync_import(connection=memory_erp.connection, entity="product")
    assert run.status == SyncRun.Status.PARTIAL and run.failed == 2
    assert Product.objects.get(sku="P1").status == Product.Status.QUARANTINED
    assert not Product.objects.filter(sku="P3").exists()
    codes = set(SyncIssue.objects.filter(status="open").values_list("external_id", "code"))
    assert codes == {("P1", "unknown_unit"), ("P3", "unknown_brand")}
    # Mapped, the unit resolves: the product is back and its issue resolved by the sync itself.
    ValueMap.objects.create(connection=memory_erp.connection, kind="unit", external_value="LT", local_value="AD")
    memory_erp.publish("product", [item("P1", unit="LT"), item("P2"), item("P3", brand_code="NOPE")])
    sync_import(connection=memory_erp.connection, entity="product")
    assert Product.objects.get(sku="P1").status == Product.Status.ACTIVE
    assert set(SyncIssue.objects.filter(status="open").values_list("external_id", flat=True)) == {"P3"}
    assert SyncIssue.objects.get(external_id="P3").occurrences == 2


def test_duplicate_codes_in_one_feed_are_set_aside(memory_erp):
    load_basics(memory_erp)
    memory_erp.publish("product", [item("P1"), item("P1", name="Other"), item("P2")])
    run = sync_import(connection=memory_erp.connection, entity="product")
    assert run.created == 1 and not Product.objects.filter(sku="P1").exists()
    assert SyncIssue.objects.get(external_id="P1").code == "duplicate_code"


def test_dry_run_counts_and_writes_nothing(memory_erp):
    load_basics(memory_erp)
    memory_erp.publish("product", [item("P1"), item("P2", unit="??")])
    run = sync_import(connection=memory_erp.connection, entity="product", dry_run=True)
    assert run.dry_run and run.created == 1 and run.failed == 1
    assert not Product.objects.exists() and not SyncIssue.objects.exists()
    assert run.summary["samples"][0]["action"] == "create"
    assert "product-1" not in memory_erp.acknowledged


def test_malformed_feed_is_rolled_back_whole_and_named(memory_erp):
    load_basics(memory_erp)
    memory_erp.publish("product", [item("P1")])
    sync_import(connection=memory_erp.connection, entity="product")
    rows = [ErpStock("P1", "W1", D(i)) for i in range(5)]
    memory_erp.publish("stock", rows, source="stock.csv", broken_at=1)
    run = sync_import(connection=memory_erp.connection, entity="stock")
    assert run.failed == 1 and not StockLevel.objects.exists()
    issue = SyncIssue.objects.get(code="feed_malformed")
    assert "stock.csv" in issue.message and "line 3" in issue.message and issue.payload["column"] == "on_hand"
    assert memory_erp.rejected == ["stock.csv"]


def test_stock_merge_refuses_negative_and_zeroes_missing_rows(memory_erp):
    load_basics(memory_erp)
    memory_erp.publish("product", [item("P1"), item("P2")])
    sync_import(connection=memory_erp.connection, entity="product")
    memory_erp.publish("stock", [ErpStock("P1", "W1", D("10"), D("2")), ErpStock("P2", "W1", D("5"))])
    run = sync_import(connection=memory_erp.connection, entity="stock")
    assert run.created == 2
    warehouse = Warehouse.objects.get(code="W1")
    first_seen = warehouse.stock_as_of
    memory_erp.publish("stock", [ErpStock("P1", "W1", D("-3")), ErpStock("NOPE", "W1", D("1"))])
    run = sync_import(connection=memory_erp.connection, entity="stock")
    p1 = StockLevel.objects.get(product__sku="P1")
    p2 = StockLevel.objects.get(product__sku="P2")
    assert (p1.on_hand, p1.committed_erp) == (0, 0) and p2.on_hand == 0
    assert set(SyncIssue.objects.values_list("external_id", "code")) == {
        ("P1@W1", "negative_stock"),
        ("NOPE@W1", "unknown_product"),
    }
    warehouse.refresh_from_db()
    assert warehouse.stock_as_of > first_seen
    assert not Warehouse.objects.get(code="Q").is_sellable


def test_unchanged_stock_is_not_written_but_warehouse_freshness_moves(memory_erp):
    load_basics(memory_erp)
    memory_erp.publish("product", [item("P1")])
    sync_import(connection=memory_erp.connection, entity="product")
    old = timezone.now() - timedelta(hours=1)
    memory_erp.publish("stock", [ErpStock("P1", "W1", D("10"), as_of=old)])
    sync_import(connection=memory_erp.connection, entity="stock")
    memory_erp.publish("stock", [ErpStock("P1", "W1", D("10"))])
    run = sync_import(connection=memory_erp.connection, entity="stock")
    assert (run.updated, run.unchanged) == (0, 1)
    assert StockLevel.objects.get().as_of == old
    from catalog.availability import availability_for

    assert availability_for(Product.objects.get(sku="P1")).as_of > old


def test_prices_land_per_base_unit_and_withdrawn_prices_go(memory_erp):
    load_basics(memory_erp)
    memory_erp.publish("product", [item("P1", units=(ErpProductUnit("KOLI", D("12")),))])
    sync_import(connection=memory_erp.connection, entity="product")
    memory_erp.publish("price_list", [ErpPriceList("L1", "Bayi", "TRY"), ErpPriceList("L2", "Yeni", supersedes="L1")])
    sync_import(connection=memory_erp.connection, entity="price_list")
    assert PriceList.objects.get(code="L2").supersedes.code == "L1"
    memory_erp.publish(
        "price",
        [
            ErpPrice("L1", "P1", D("10"), unit="AD"),
            ErpPrice("L1", "P1", D("9"), min_quantity=D("50")),
            ErpPrice("L1", "P1", D("110"), unit="KOLI"),
            ErpPrice("L9", "P1", D("1")),
        ],
    )
    run = sync_import(connection=memory_erp.connection, entity="price")
    assert run.created == 3 and run.failed == 1
    assert set(PriceListItem.objects.values_list("unit__code", "min_quantity", "price")) == {
        (None, D("1"), D("10")),
        (None, D("50"), D("9")),
        ("KOLI", D("1"), D("110")),
    }
    memory_erp.publish("price", [ErpPrice("L1", "P1", D("10.5"))])
    run = sync_import(connection=memory_erp.connection, entity="price")
    assert (run.updated, run.deactivated) == (1, 2)
    assert list(PriceListItem.objects.values_list("price", flat=True)) == [D("10.5")]


def test_map_to_existing_product_binds_the_erp_code(memory_erp):
    load_basics(memory_erp)
    memory_erp.publish("product", [item("X100")])
    sync_import(connection=memory_erp.connection, entity="product")
    product = Product.objects.get(sku="X100")
    ExternalRef.objects.create(
        connection=memory_erp.connection, entity="product", local_id=product.pk, external_id="X-100"
    )
    memory_erp.publish("product", [item("X-100", name="Bound")], complete=False)
    run = sync_import(connection=memory_erp.connection, entity="product")
    assert run.updated == 1 and Product.objects.count() == 1
    product.refresh_from_db()
    assert (product.sku, product.name) == ("X100", "Bound")
    memory_erp.publish("stock", [ErpStock("X-100", "W1", D("4"))])
    sync_import(connection=memory_erp.connection, entity="stock")
    assert StockLevel.objects.get().product == product


def test_category_tree_and_units(memory_erp):
    load_basics(memory_erp)
    assert Category.objects.get(code="C2").parent.code == "C1"
    assert set(Unit.objects.values_list("code", flat=True)) >= {"AD", "KOLI"}
    assert Brand.objects.get(code="B1").name == "Volta"


def test_delta_reads_from_the_watermark_less_the_buffer(memory_erp, settings):
    settings.ERPSYNC_ADAPTERS = {**settings.ERPSYNC_ADAPTERS, "memory_delta": "erpsync.tests.memory.DeltaMemoryAdapter"}
    settings.ERPSYNC_DELTA_BUFFER_SECONDS = 120
    memory_erp.connection.adapter = "memory_delta"
    memory_erp.connection.save()
    mark = timezone.now() - timedelta(hours=2)
    memory_erp.publish("unit", [ErpUnit("AD", "Adet")], complete=False, watermark=mark)
    first = sync_import(connection=memory_erp.connection, entity="unit")
    assert first.mode == SyncRun.Mode.FULL and memory_erp.reads[-1][1] is None  # no watermark yet
    memory_erp.publish("unit", [ErpUnit("AD", "Adet 2")], complete=False, watermark=mark + timedelta(hours=1))
    second = sync_import(connection=memory_erp.connection, entity="unit")
    assert second.mode == SyncRun.Mode.DELTA and memory_erp.reads[-1][1] == mark - timedelta(seconds=120)
    assert second.window_to == mark + timedelta(hours=1) and Unit.objects.get().name == "Adet 2"
    sync_import(connection=memory_erp.connection, entity="unit", full=True)
    assert memory_erp.reads[-1] == ("unit", None, True)


def test_a_delta_feed_deactivates_nothing(memory_erp):
    load_basics(memory_erp)
    memory_erp.publish("product", [item("P1"), item("P2")])
    sync_import(connection=memory_erp.connection, entity="product")
    memory_erp.publish("product", [item("P1", name="Changed")], complete=False)
    run = sync_import(connection=memory_erp.connection, entity="product")
    assert (run.updated, run.deactivated) == (1, 0) and Product.objects.get(sku="P2").status == "active"


def test_a_poll_that_finds_nothing_leaves_no_run(memory_erp):
    run = sync_import(connection=memory_erp.connection, entity="unit")
    assert run.status == SyncRun.Status.SUCCEEDED and not SyncRun.objects.exists()
    memory_erp.failures.append("unavailable")
    with pytest.raises(Exception, match="unavailable"):
        sync_import(connection=memory_erp.connection, entity="unit")
    assert SyncRun.objects.get().status == SyncRun.Status.FAILED  # a failure always stays visible


def test_a_price_list_import_is_seen_by_the_next_price_at_once(memory_erp):
    """Price lists are kept per process (catalog/pricing.py); the import's bulk writes bump their version."""
    load_basics(memory_erp)
    memory_erp.publish("product", [item("P1")])
    sync_import(connection=memory_erp.connection, entity="product")
    memory_erp.publish("price_list", [ErpPriceList("L1", "Bayi", "TRY")])
    sync_import(connection=memory_erp.connection, entity="price_list")
    memory_erp.publish("price", [ErpPrice("L1", "P1", D("10"))])
    sync_import(connection=memory_erp.connection, entity="price")
    dealer = DealerFactory(price_list=PriceList.objects.get(code="L1"), currency="TRY")
    product = Product.objects.select_related("base_unit").get(sku="P1")
    assert price_for(dealer, product).net == D("10.00")
    memory_erp.publish("price_list", [ErpPriceList("L1", "Bayi", "TRY", active=False)])
    sync_import(connection=memory_erp.connection, entity="price_list")
    assert not PriceList.objects.get(code="L1").is_active
    assert price_for(dealer, product).reason == "price_list_not_valid"
