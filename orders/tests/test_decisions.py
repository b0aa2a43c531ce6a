"""Placement takes its stock and credit decisions from the one place each (``catalog.availability``,
``dealers.credit``): what the catalogue shows free is what placement reserves, and the credit figures recorded with
an order are the credit decision's own."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.availability import availability_for
from catalog.models import StockLevel
from catalog.tests.factories import StockLevelFactory, WarehouseFactory
from dealers.credit import credit_decision
from dealers.models import Dealer
from erpsync.models import ErpConnection
from orders.models import Cart, StockReservation
from orders.pricing import cart_priced
from orders.services import cart_line_add
from orders.status import OrderStatus
from orders.tests.factories import OrderFactory, buyer_of, make_shop, place

pytestmark = pytest.mark.django_db
D = Decimal
S = OrderStatus


# -- stock: the catalogue's free figure is what placement can take ----------------------------------------------


@pytest.fixture
def awkward_stock():
    """A product in several warehouses: one promised more than it holds, one holding portal reservations already,
    one plain, and a quarantine and a closed warehouse full of goods that must never count."""
    dealer, product = make_shop(stock="10")
    StockLevel.objects.filter(product=product).update(committed_erp=D("15"))  # net −5
    StockLevelFactory(product=product, on_hand=D("20"), reserved_portal=D("3"))  # net 17
    StockLevelFactory(product=product, on_hand=D("6"), committed_erp=D("1"))  # net 5
    StockLevelFactory(product=product, on_hand=D("400"), warehouse=WarehouseFactory(is_sellable=False))
    StockLevelFactory(product=product, on_hand=D("300"), warehouse=WarehouseFactory(is_active=False))
    return dealer, product


@pytest.mark.parametrize(("stock_rule", "status"), [("hold", S.ON_HOLD), ("backorder", S.APPROVED)])
def test_placement_reserves_exactly_what_the_catalogue_shows_free(awkward_stock, stock_rule, status):
    ErpConnection.objects.create(
        code="main", name="ERP", adapter="file", is_default=True, settings={"stock_shortfall": stock_rule}
    )
    dealer, product = awkward_stock
    shown = availability_for(product).available
    assert shown == D("17")  # 17 + 5 − 5; quarantine and closed warehouses not counted
    nets_before = {
        level.pk: level.on_hand - level.committed_erp - level.reserved_portal
        for level in StockLevel.objects.filter(product=product)
    }
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=D("25"))

    order = place(buyer)

    assert order.status == status
    assert sum(r.quantity for r in StockReservation.objects.filter(order=order)) == shown
    line = order.lines.get()
    assert line.backordered_qty == D("25") - shown
    [stock_check] = [c for c in order.placement_checks if c["rule"] == "stock"]
    assert not stock_check["passed"] and stock_check["action"] == stock_rule
    assert D(stock_check["details"]["short"][product.sku]) == D("25") - shown
    # What was reserved is what the catalogue showed: nothing is free any more, and every reservation sits in a
    # sellable warehouse, within what that warehouse could give.
    assert availability_for(product).available == D("0")
    for reservation in StockReservation.objects.filter(order=order).select_related("stock_level__warehouse"):
        warehouse = reservation.stock_level.warehouse
        assert warehouse.is_sellable and warehouse.is_active
        assert 0 < reservation.quantity <= nets_before[reservation.stock_level_id]


def test_placement_within_what_the_catalogue_shows_free_is_not_short(awkward_stock):
    dealer, product = awkward_stock
    shown = availability_for(product).available
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=shown)
    order = place(buyer)
    assert order.status == S.APPROVED and order.lines.get().backordered_qty == 0
    assert sum(r.quantity for r in StockReservation.objects.filter(order=order)) == shown
    assert availability_for(product).available == D("0")


# -- credit: the figures recorded with the order are the credit decision's ------------------------------------------


@pytest.fixture
def dealer_with_exposure():
    """Limit 5000; exposure 3700 before the order: balance 2000, open ERP orders 1000, a portal order of 700."""
    dealer, product = make_shop(
        stock="100",
        credit_limit="5000",
        erp_open_orders=D("1000"),
        erp_balance_as_of=timezone.now() - dt.timedelta(hours=2),
        credit_limit_as_of=timezone.now() - dt.timedelta(days=3),
    )
    Dealer.objects.filter(pk=dealer.pk).update(erp_balance=D("2000"))
    OrderFactory(dealer=dealer, status=S.APPROVED, total_gross=D("700"))
    return dealer, product


@pytest.mark.parametrize(("quantity", "within", "status"), [(10, True, S.APPROVED), (30, False, S.ON_HOLD)])
def test_placement_records_the_credit_decision_and_acts_on_its_verdict(dealer_with_exposure, quantity, within, status):
    dealer, product = dealer_with_exposure
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=D(quantity))  # 120 gross a piece
    # The decision as the credit module takes it just before placing, from the dealer as stored.
    stored = Dealer.objects.get(pk=dealer.pk)
    total = cart_priced(dealer=stored, cart=Cart.objects.get(owner=buyer.user)).total_gross
    decision = credit_decision(stored, total)
    assert decision.within_limit is within

    order = place(buyer)

    assert order.total_gross == total
    [record] = [c for c in order.placement_checks if c["rule"] == "credit_limit"]
    assert record["details"] == decision.details()
    assert record["details"]["portal_pending"] == "700.00" and record["details"]["balance_as_of"] is not None
    assert record["passed"] is decision.within_limit
    assert order.status == status
    held_for_credit = [r for r in order.hold_reasons if r["rule"] == "credit_limit"]
    if within:
        assert held_for_credit == []
    else:
        assert held_for_credit == [record]
        assert D(record["details"]["exposure"]) - D(record["details"]["credit_limit"]) == decision.over_by > 0
