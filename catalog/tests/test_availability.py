"""Availability: sellable warehouses only, ERP commitments and portal reservations, quantity rules."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.availability import (
    StockStatus,
    allocate,
    availability_for,
    availability_for_products,
    free_stock,
    quantity_decision,
    sellable_levels,
)
from catalog.models import Product
from catalog.tests.factories import ProductFactory, StockLevelFactory, UnitFactory, WarehouseFactory

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def product(db):
    return ProductFactory(min_order_qty=D("1"), order_multiple=D("1"))


def test_sums_sellable_warehouses_minus_committed_and_reserved(product):
    older = timezone.now() - dt.timedelta(hours=3)
    StockLevelFactory(product=product, on_hand=D("100"), committed_erp=D("30"), reserved_portal=D("5"), as_of=older)
    StockLevelFactory(product=product, on_hand=D("20"), as_of=timezone.now())
    availability = availability_for(product)
    assert availability.available == D("85")
    assert [w.available for w in availability.warehouses] == [D("65"), D("20")]
    assert availability.as_of == older


def test_quarantine_and_inactive_warehouses_are_not_sellable(product):
    StockLevelFactory(product=product, on_hand=D("10"))
    StockLevelFactory(product=product, on_hand=D("500"), warehouse=WarehouseFactory(is_sellable=False))
    StockLevelFactory(product=product, on_hand=D("700"), warehouse=WarehouseFactory(is_active=False))
    availability = availability_for(product)
    assert availability.available == D("10")
    assert len(availability.warehouses) == 1


def test_an_overcommitted_warehouse_eats_the_others_and_total_never_goes_below_zero(product):
    StockLevelFactory(product=product, on_hand=D("10"), committed_erp=D("25"))
    StockLevelFactory(product=product, on_hand=D("8"))
    assert availability_for(product).available == D("0")
    StockLevelFactory(product=product, on_hand=D("20"))
    availability = availability_for(product)
    assert availability.available == D("13")
    assert min(w.available for w in availability.warehouses) == D("0")


@pytest.mark.parametrize(
    ("on_hand", "own_level", "status"),
    [
        (D("0"), None, StockStatus.OUT),
        (D("5"), None, StockStatus.LOW),
        (D("10"), None, StockStatus.IN_STOCK),
        (D("10"), D("50"), StockStatus.LOW),
    ],
)
def test_status_in_low_out(product, settings, on_hand, own_level, status):
    settings.B2B_LOW_STOCK_LEVEL = 10
    product.low_stock_level = own_level
    StockLevelFactory(product=product, on_hand=on_hand)
    assert availability_for(product).status == status


def test_no_stock_rows_is_out_and_unknown_as_of(product):
    availability = availability_for(product)
    assert (availability.available, availability.status, availability.as_of) == (D("0"), StockStatus.OUT, None)


def test_many_products_in_one_query(product, django_assert_num_queries):
    products = [product, *ProductFactory.create_batch(5)]
    for p in products:
        StockLevelFactory(product=p, on_hand=D("3"))
    with django_assert_num_queries(1):
        result = availability_for_products(products)
    assert {a.available for a in result.values()} == {D("3")}


@pytest.fixture
def boxed(db):
    product = ProductFactory(min_order_qty=D("24"), order_multiple=D("12"))
    StockLevelFactory(product=product, on_hand=D("100"))
    return product


@pytest.mark.parametrize(
    ("quantity", "factor", "allowed", "reason", "suggested"),
    [
        (D("24"), D("1"), True, "ok", None),
        (D("96"), D("1"), True, "ok", None),
        (D("12"), D("1"), False, "below_minimum", D("24")),
        (D("30"), D("1"), False, "not_a_multiple", D("36")),
        (D("108"), D("1"), False, "insufficient_stock", None),
        (D("0"), D("1"), False, "invalid_quantity", None),
        (D("24.5"), D("1"), False, "invalid_quantity", None),
        (D("2"), D("12"), True, "ok", None),
        (D("9"), D("12"), False, "insufficient_stock", None),
    ],
)
def test_quantity_decision(boxed, quantity, factor, allowed, reason, suggested):
    decision = quantity_decision(boxed, quantity, unit_factor=factor)
    assert (decision.allowed, decision.reason, decision.suggested) == (allowed, reason, suggested)
    assert decision.available == D("100")
    assert decision.message or allowed


def test_decimal_units_allow_their_places(db):
    product = ProductFactory(
        base_unit=UnitFactory(code="KG", name="Kilogram", decimals=3), min_order_qty=D("0.5"), order_multiple=D("0.25")
    )
    StockLevelFactory(product=product, on_hand=D("10"))
    assert quantity_decision(product, D("0.75")).allowed
    assert quantity_decision(product, D("0.8")).reason == "not_a_multiple"
    assert quantity_decision(product, D("0.7505")).reason == "invalid_quantity"


@pytest.mark.parametrize("status", [Product.Status.QUARANTINED, Product.Status.INACTIVE])
def test_a_product_that_is_not_active_cannot_be_ordered(boxed, status):
    boxed.status = status
    assert quantity_decision(boxed, D("24")).reason == "product_not_active"


def test_smallest_order_quantity_meets_minimum_and_multiple(db):
    assert ProductFactory(min_order_qty=D("5"), order_multiple=D("12")).smallest_order_quantity == D("12")
    assert ProductFactory(min_order_qty=D("24"), order_multiple=D("12")).smallest_order_quantity == D("24")


# -- allocation: where placement takes an order's stock from ------------------------------------------------------


def levels_of(*products):
    """The stock rows placement reads: sellable ones only, with their warehouse."""
    return list(sellable_levels().filter(product__in=products).select_related("warehouse").order_by("pk"))


def taken(allocation, product):
    return [(level.warehouse.code, quantity) for level, quantity in allocation.plan[product.pk]]


def test_free_stock_sums_before_clamping_and_never_goes_below_zero():
    assert free_stock([D("10"), D("-4"), D("3")]) == D("9")
    assert free_stock([D("2"), D("-5")]) == D("0")
    assert free_stock([]) == D("0")


def test_allocation_covers_from_several_warehouses_in_code_order(product):
    # Created out of code order: the plan follows the codes, not the rows' creation.
    StockLevelFactory(product=product, on_hand=D("8"), warehouse=WarehouseFactory(code="C-IZMIR"))
    StockLevelFactory(
        product=product,
        on_hand=D("10"),
        committed_erp=D("4"),
        reserved_portal=D("2"),
        warehouse=WarehouseFactory(code="A-MERKEZ"),
    )
    StockLevelFactory(product=product, on_hand=D("3"), warehouse=WarehouseFactory(code="B-ANKARA"))
    allocation = allocate(levels_of(product), {product.pk: D("9")})
    assert allocation.shortfall == {}
    assert taken(allocation, product) == [("A-MERKEZ", D("4")), ("B-ANKARA", D("3")), ("C-IZMIR", D("2"))]


def test_allocation_never_takes_more_than_a_warehouses_net(product):
    StockLevelFactory(product=product, on_hand=D("5"), reserved_portal=D("5"), warehouse=WarehouseFactory(code="A"))
    StockLevelFactory(product=product, on_hand=D("9"), committed_erp=D("2"), warehouse=WarehouseFactory(code="B"))
    allocation = allocate(levels_of(product), {product.pk: D("7")})
    assert allocation.shortfall == {}
    assert taken(allocation, product) == [("B", D("7"))]
    for level, quantity in allocation.plan[product.pk]:
        assert quantity <= level.on_hand - level.committed_erp - level.reserved_portal


def test_allocation_of_several_products_at_once(product):
    other = ProductFactory()
    StockLevelFactory(product=product, on_hand=D("6"), warehouse=WarehouseFactory(code="A"))
    StockLevelFactory(product=other, on_hand=D("2"), warehouse=WarehouseFactory(code="B"))
    allocation = allocate(levels_of(product, other), {product.pk: D("5"), other.pk: D("3")})
    assert taken(allocation, product) == [("A", D("5"))]
    assert taken(allocation, other) == [("B", D("2"))]
    assert allocation.shortfall == {other.pk: D("1")}


def test_asking_for_more_than_is_free_takes_what_is_free_and_reports_the_rest(product):
    StockLevelFactory(product=product, on_hand=D("4"), warehouse=WarehouseFactory(code="A"))
    StockLevelFactory(product=product, on_hand=D("3"), committed_erp=D("1"), warehouse=WarehouseFactory(code="B"))
    allocation = allocate(levels_of(product), {product.pk: D("10")})
    assert taken(allocation, product) == [("A", D("4")), ("B", D("2"))]
    assert allocation.shortfall == {product.pk: D("4")}


def test_a_warehouse_that_promised_more_than_it_holds_eats_into_the_others(product):
    StockLevelFactory(product=product, on_hand=D("10"), committed_erp=D("15"), warehouse=WarehouseFactory(code="A"))
    StockLevelFactory(product=product, on_hand=D("8"), warehouse=WarehouseFactory(code="B"))
    allocation = allocate(levels_of(product), {product.pk: D("6")})
    # 8 on the shelf in B, but A owes 5 more than it holds: only 3 are free.
    assert taken(allocation, product) == [("B", D("3"))]
    assert allocation.shortfall == {product.pk: D("3")}
    assert availability_for(product).available == D("3")


def test_quarantine_and_inactive_warehouses_are_never_allocated(product):
    StockLevelFactory(product=product, on_hand=D("2"), warehouse=WarehouseFactory(code="B"))
    StockLevelFactory(
        product=product, on_hand=D("500"), warehouse=WarehouseFactory(code="A-KARANTINA", is_sellable=False)
    )
    StockLevelFactory(product=product, on_hand=D("700"), warehouse=WarehouseFactory(code="A-KAPALI", is_active=False))
    levels = levels_of(product)
    assert [level.warehouse.code for level in levels] == ["B"]
    allocation = allocate(levels, {product.pk: D("5")})
    assert taken(allocation, product) == [("B", D("2"))]
    assert allocation.shortfall == {product.pk: D("3")}


def test_without_stock_rows_everything_is_short(product):
    allocation = allocate([], {product.pk: D("5")})
    assert allocation.plan == {product.pk: []}
    assert allocation.shortfall == {product.pk: D("5")}
    nothing = allocate([], {})
    assert (nothing.plan, nothing.shortfall) == ({}, {})
