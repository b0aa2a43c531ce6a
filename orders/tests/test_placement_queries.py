"""order_place reads and writes in a constant number of queries, locks the stock rows last, and stays exact when
the stock or the cart changes under it (real PostgreSQL, a second connection doing the change)."""

import threading
import time
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from api.webhooks import endpoints_by_dealer
from b2bportal.tests.sqlite_run import sqlite_database, sqlite_script
from catalog.models import StockLevel
from catalog.tests.factories import PriceListItemFactory, ProductFactory, StockLevelFactory
from orders.exceptions import InvalidOrderTransition, OrderRefused, PricesChanged
from orders.hooks import erp_stock_rule
from orders.models import Cart, CartLine, Order, OrderStatusChange, StockReservation
from orders.pricing import cart_priced
from orders.services import cart_line_add, order_place
from orders.services.transitions import order_moves_at_placement
from orders.status import OrderStatus
from orders.tests.factories import OrderFactory, buyer_of, make_shop, place

D = Decimal
S = OrderStatus
MOST_QUERIES = 15


def shop_with_cart(lines, *, stock="100"):
    dealer, first = make_shop(stock=stock)
    buyer = buyer_of(dealer)
    products = [first]
    for _ in range(lines - 1):
        product = ProductFactory(min_order_qty=D("1"), order_multiple=D("1"), vat_rate=D("20"))
        PriceListItemFactory(price_list=dealer.price_list, product=product, price=D("50"))
        StockLevelFactory(product=product, on_hand=D(stock))
        products.append(product)
    for product in products:
        cart_line_add(dealer_user=buyer, product=product, quantity=D("2"))
    return buyer, products


def signature_of(buyer):
    return cart_priced(dealer=buyer.dealer, cart=Cart.objects.get(owner=buyer.user, kind=Cart.Kind.ACTIVE)).signature


def placing_queries(buyer):
    """The queries of one ``order_place`` call, the savepoint it opens inside the test's transaction left out
    (outside a test it opens the transaction itself, which is not a query)."""
    signature = signature_of(buyer)
    endpoints_by_dealer()  # the dealers' webhook addresses are read once and cached, like the price data
    with CaptureQueriesContext(connection) as captured:
        order = order_place(
            dealer_user=buyer,
            idempotency_key=uuid.uuid4(),
            payment_method=Order.PaymentMethod.ON_ACCOUNT,
            delivery_address=None,
            confirmed_signature=signature,
        )
    sql = [q["sql"] for q in captured.captured_queries if "SAVEPOINT" not in q["sql"]]
    return order, sql


# -- queries -----------------------------------------------------------------------------------------------------


def test_a_ten_line_order_is_placed_in_at_most_15_queries_as_many_as_one_line(db):
    one_line, _products = shop_with_cart(1)
    ten_lines, _products = shop_with_cart(10)
    order_one, sql_one = placing_queries(one_line)
    order_ten, sql_ten = placing_queries(ten_lines)
    assert order_one.status == order_ten.status == S.APPROVED
    assert order_ten.lines.count() == 10 and StockReservation.objects.filter(order=order_ten).count() == 10
    assert len(sql_ten) <= MOST_QUERIES, "\n".join(sql_ten)
    assert len(sql_ten) == len(sql_one), "\n".join(sql_ten)


def test_the_stock_rows_are_locked_by_the_last_reads_and_reserved_in_one_statement(db):
    buyer, products = shop_with_cart(3)
    order, sql = placing_queries(buyer)
    locking = [i for i, q in enumerate(sql) if "catalog_stocklevel" in q and "FOR UPDATE" in q]
    writing_stock = [i for i, q in enumerate(sql) if q.lstrip().startswith(("UPDATE", "WITH")) and "stocklevel" in q]
    assert len(locking) == 1 and len(writing_stock) == 1
    # Nothing but the reservation itself happens once the stock rows are locked.
    assert sql[locking[0] + 1 :] == [sql[writing_stock[0]]]
    assert sorted(StockLevel.objects.values_list("reserved_portal", flat=True)) == [D("2")] * 3
    assert {r.line.product_id for r in order.reservations.select_related("line")} == {p.pk for p in products}


def test_the_credit_check_counts_the_dealers_pending_on_account_orders(db):
    dealer, product = make_shop(credit_limit=D("1000"))
    OrderFactory(dealer=dealer, status=S.APPROVED, payment_method=Order.PaymentMethod.ON_ACCOUNT,
                 total_gross=D("500.00"))  # fmt: skip
    OrderFactory(dealer=dealer, status=S.APPROVED, payment_method=Order.PaymentMethod.CARD, total_gross=D("900.00"))
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=D("4"))  # 480 gross: 980 in all, within the limit
    order = place(buyer)
    assert order.status == S.APPROVED
    credit = next(c for c in order.placement_checks if c["rule"] == "credit_limit")
    assert credit["details"]["portal_pending"] == "500.00" and credit["details"]["exposure"] == "980.00"
    cart_line_add(dealer_user=buyer, product=product, quantity=D("1"))  # 120 more: 1,100 with this order
    held = place(buyer)
    assert held.status == S.ON_HOLD and held.hold_reasons[0]["details"]["portal_pending"] == "980.00"


# -- the first moves of a placed order ------------------------------------------------------------------------------


def test_placements_moves_are_recorded_with_one_update_and_one_insert(db):
    dealer, _product = make_shop()
    order = OrderFactory(dealer=dealer, status=S.DRAFT)
    moves = [(S.SUBMITTED, None, OrderStatusChange.Source.DEALER, ""), (S.ON_HOLD, None, "system", "review")]
    with CaptureQueriesContext(connection) as captured:
        order_moves_at_placement(order=order, moves=moves)
    assert [q["sql"].split()[0] for q in captured.captured_queries][:2] == ["UPDATE", "INSERT"]
    order.refresh_from_db()
    assert order.status == S.ON_HOLD
    assert list(order.status_changes.order_by("pk").values_list("from_status", "to_status", "reason")) == [
        (S.DRAFT, S.SUBMITTED, ""),
        (S.SUBMITTED, S.ON_HOLD, "review"),
    ]


def test_a_move_the_map_does_not_allow_is_refused_and_nothing_is_written(db):
    dealer, _product = make_shop()
    order = OrderFactory(dealer=dealer, status=S.DRAFT)
    with pytest.raises(InvalidOrderTransition):
        order_moves_at_placement(order=order, moves=[(S.SUBMITTED, None, "dealer", ""), (S.SHIPPED, None, "", "")])
    order.refresh_from_db()
    assert order.status == S.DRAFT and not order.status_changes.exists()


# -- changes under a placement, committed by another connection -----------------------------------------------------


def in_another_connection(function):
    """Run ``function`` in a thread of its own, so on a connection of its own that commits, and wait for it."""
    failure = []

    def runner():
        try:
            function()
        except Exception as error:  # re-raised in the test's thread
            failure.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=runner)
    thread.start()
    thread.join(30)
    if failure:
        raise failure[0]


@pytest.fixture
def between_pricing_and_locking(monkeypatch):
    """Call a function once, at the point where a placement has priced its lines on the stock figures read without
    locks and not yet locked the stock rows (when it reads the stock rule), and count the placement's attempts."""
    calls = []
    original = erp_stock_rule.handlers

    def install(function):
        def answer(**kwargs):
            calls.append(1)
            if len(calls) == 1:
                function()
            return original[0](**kwargs) if original else None

        monkeypatch.setattr(erp_stock_rule, "_handlers", [answer])
        return calls

    return install


@pytest.mark.django_db(transaction=True)
def test_stock_taken_meanwhile_makes_the_placement_decide_again_on_locked_figures(between_pricing_and_locking):
    dealer, product = make_shop(stock="10")
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=D("8"))
    # Another buyer's order takes 5 of the 10 units after this one priced its cart, before it locked the stock.
    attempts = between_pricing_and_locking(
        lambda: in_another_connection(
            lambda: StockLevel.objects.filter(product=product).update(reserved_portal=F("reserved_portal") + 5)
        )
    )
    order = place(buyer)
    assert len(attempts) == 2  # the first attempt saw 10 free, the locked figures 5: it started over
    assert order.status == S.ON_HOLD
    assert order.hold_reasons[0]["details"]["short"] == {product.sku: "3.000"}
    assert order.lines.get().backordered_qty == D("3")
    assert StockLevel.objects.get(product=product).reserved_portal == D("10")
    assert StockReservation.objects.get().quantity == D("5")
    assert Order.objects.count() == 1 and OrderStatusChange.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_stock_taken_again_on_the_second_attempt_is_decided_under_the_lock_the_third_time(monkeypatch):
    dealer, product = make_shop(stock="10")
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=D("8"))
    original = erp_stock_rule.handlers
    attempts = []

    def answer(**kwargs):
        attempts.append(1)
        if len(attempts) <= 2:  # 3 more units taken by others between pricing and locking, twice
            in_another_connection(
                lambda: StockLevel.objects.filter(product=product).update(reserved_portal=F("reserved_portal") + 3)
            )
        return original[0](**kwargs) if original else None

    monkeypatch.setattr(erp_stock_rule, "_handlers", [answer])
    order = place(buyer)
    assert len(attempts) == 3
    assert order.status == S.ON_HOLD and order.lines.get().backordered_qty == D("4")
    assert StockReservation.objects.get().quantity == D("4")
    assert StockLevel.objects.get(product=product).reserved_portal == D("10")


@pytest.mark.django_db(transaction=True)
def test_stock_taken_meanwhile_is_refused_on_the_locked_figures_when_the_rule_blocks(
    between_pricing_and_locking, settings
):
    settings.B2B_ORDER_RULES = {"stock": "block"}
    dealer, product = make_shop(stock="10")
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=D("8"))
    attempts = between_pricing_and_locking(
        lambda: in_another_connection(
            lambda: StockLevel.objects.filter(product=product).update(reserved_portal=F("reserved_portal") + 5)
        )
    )
    with pytest.raises(OrderRefused) as refused:
        place(buyer)
    assert len(attempts) == 1  # refused under the lock, without starting over
    assert "short of stock" in str(refused.value)
    assert [c.details for c in refused.value.checks if c.rule == "stock"] == [{"short": {product.sku: "3.000"}}]
    assert Order.objects.count() == 0 and StockReservation.objects.count() == 0
    assert StockLevel.objects.get(product=product).reserved_portal == D("5")
    assert CartLine.objects.filter(cart__owner=buyer.user).count() == 1  # the cart is left as it was


@pytest.mark.django_db(transaction=True)
def test_stock_unchanged_in_between_is_reserved_on_the_first_attempt(between_pricing_and_locking):
    dealer, product = make_shop(stock="10")
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=D("8"))
    other = ProductFactory()
    StockLevelFactory(product=other, on_hand=D("5"))
    # Another product's stock changes meanwhile: nothing this order needs.
    attempts = between_pricing_and_locking(
        lambda: in_another_connection(lambda: StockLevel.objects.filter(product=other).update(reserved_portal=2))
    )
    order = place(buyer)
    assert len(attempts) == 1
    assert order.status == S.APPROVED and StockLevel.objects.get(product=product).reserved_portal == D("8")


@pytest.mark.django_db(transaction=True)
def test_a_cart_line_changed_while_the_order_waits_for_the_cart_is_refused_with_the_new_prices():
    dealer, product = make_shop(stock="10")
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=D("2"))
    signature = signature_of(buyer)
    cart = Cart.objects.get(owner=buyer.user)
    locked, release = threading.Event(), threading.Event()

    def another_tab():
        from django.db import transaction

        with transaction.atomic():
            Cart.objects.select_for_update().get(pk=cart.pk)  # as every cart change does
            CartLine.objects.filter(cart=cart).update(quantity=D("3"))
            locked.set()
            release.wait(10)
        connection.close()

    tab = threading.Thread(target=another_tab)
    tab.start()
    locked.wait(10)
    threading.Timer(0.5, release.set).start()  # commits while the placement waits for the cart
    started = time.monotonic()
    with pytest.raises(PricesChanged) as changed:
        order_place(
            dealer_user=buyer,
            idempotency_key=uuid.uuid4(),
            payment_method=Order.PaymentMethod.ON_ACCOUNT,
            delivery_address=None,
            confirmed_signature=signature,
        )
    tab.join(10)
    assert time.monotonic() - started >= 0.4  # it did wait for the other tab
    assert changed.value.priced.lines[0].line.quantity == D("3")
    assert Order.objects.count() == 0 and StockLevel.objects.get(product=product).reserved_portal == D("0")
    assert CartLine.objects.get(cart=cart).quantity == D("3")  # the cart is left as the other tab made it


def test_placement_reserves_and_refuses_on_sqlite_as_on_postgresql(tmp_path):
    """The try-out database has no data-modifying WITH: placement reserves there one stock row at a time, with the
    same result — stock reserved for what is free, and an order short of stock refused whole under "block"."""
    database = sqlite_database(tmp_path)
    result = sqlite_script(
        database,
        """
        import json
        from decimal import Decimal as D
        from django.test import override_settings
        from catalog.models import StockLevel
        from orders.exceptions import OrderRefused
        from orders.models import StockReservation
        from orders.services import cart_line_add
        from orders.tests.factories import buyer_of, make_shop, place

        dealer, product = make_shop(stock="10")
        buyer = buyer_of(dealer)
        cart_line_add(dealer_user=buyer, product=product, quantity=D(4))
        order = place(buyer)
        reserved = [str(r.quantity.normalize()) for r in StockReservation.objects.filter(order=order)]
        other = buyer_of(dealer)
        cart_line_add(dealer_user=other, product=product, quantity=D(7))
        refused = ""
        with override_settings(B2B_ORDER_RULES={"stock": "block"}):
            try:
                place(other)
            except OrderRefused as error:
                refused = str(error)
        level = StockLevel.objects.get(product=product)
        print(json.dumps({"status": order.status, "reserved": reserved, "refused": refused,
                          "reserved_portal": str(level.reserved_portal.normalize()),
                          "reservations": StockReservation.objects.count()}))
        """,
    )
    assert result["reserved"] == ["4"] and result["reserved_portal"] == "4" and result["reservations"] == 1
    assert result["status"] != "draft" and result["refused"]
