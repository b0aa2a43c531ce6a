"""order_place: re-pricing, stock reservation, credit, the rules, idempotency — and races on real PostgreSQL."""

import datetime as dt
import threading
import uuid
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection

from catalog.models import StockLevel
from catalog.tests.factories import PriceListFactory, PriceListItemFactory, ProductFactory, StockLevelFactory
from dealers.tests.factories import DealerAddressFactory, DealerFactory
from erpsync.models import ErpConnection
from orders.exceptions import OrderRefused, PricesChanged
from orders.models import Cart, Order, OrderStatusChange, StockReservation
from orders.pricing import cart_priced
from orders.services import cart_line_add, order_place, order_transition
from orders.status import OrderStatus
from orders.tasks import order_confirmation_send
from orders.tests.factories import buyer_of, make_shop, place

D = Decimal
S = OrderStatus


@pytest.fixture
def shop(db):
    dealer, product = make_shop()
    return dealer, product, buyer_of(dealer)


def reserved(product):
    return StockLevel.objects.get(product=product).reserved_portal


# -- the happy path ----------------------------------------------------------------------------------------------


def test_an_on_account_order_within_every_limit_is_approved(shop):
    _dealer, product, buyer = shop
    cart_line_add(dealer_user=buyer, product=product, quantity=D("3"))
    order = place(buyer, po_number=" PO-1 ", note="Kapıya")
    order.refresh_from_db()
    assert order.status == S.APPROVED
    assert order.number == f"P{dt.date.today().year}-{order.pk:06d}"
    assert (order.total_net, order.total_vat, order.total_gross) == (D("300.00"), D("60.00"), D("360.00"))
    assert order.po_number == "PO-1" and order.hold_reasons == []
    line = order.lines.get()
    assert (line.quantity, line.unit_price_net, line.line_gross) == (D("3"), D("100.00"), D("360.00"))
    assert line.price_explanation[0]["en"].startswith("List ")
    assert reserved(product) == D("3")
    assert StockReservation.objects.get().quantity == D("3")
    assert not Cart.objects.get(owner=buyer.user).lines.exists()
    moves = list(order.status_changes.values_list("from_status", "to_status", "source"))
    assert moves == [(S.DRAFT, S.SUBMITTED, "dealer"), (S.SUBMITTED, S.APPROVED, "system")]
    assert {c["rule"] for c in order.placement_checks} >= {"credit_limit", "stock", "buyer_limit"}


def test_card_orders_wait_for_payment_and_skip_credit(db):
    dealer, product = make_shop(credit_limit=D("0"), credit_hold=True)
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=D("1"))
    order = place(buyer, payment_method=Order.PaymentMethod.CARD)
    assert order.status == S.AWAITING_PAYMENT
    assert "credit_limit" not in {c["rule"] for c in order.placement_checks}


def test_the_same_key_returns_the_same_order(shop):
    _dealer, product, buyer = shop
    cart_line_add(dealer_user=buyer, product=product, quantity=D("1"))
    key = uuid.uuid4()
    first = place(buyer, key=key)
    again = place(buyer, key=key, signature="stale")
    assert again.pk == first.pk and Order.objects.count() == 1


def test_confirmation_is_mailed_once_after_commit(shop, django_capture_on_commit_callbacks):
    _dealer, product, buyer = shop
    cart_line_add(dealer_user=buyer, product=product, quantity=D("1"))
    with django_capture_on_commit_callbacks(execute=True):
        order = place(buyer)
    assert len(mail.outbox) == 1 and order.number in mail.outbox[0].subject
    assert order_confirmation_send(order.pk) is False
    assert len(mail.outbox) == 1


# -- refusals: nothing saved -------------------------------------------------------------------------------------


def assert_nothing_saved(product):
    assert Order.objects.count() == 0
    assert StockReservation.objects.count() == 0
    assert reserved(product) == D("0")


def test_a_price_change_since_confirmation_is_refused_with_the_new_prices(shop):
    dealer, product, buyer = shop
    cart_line_add(dealer_user=buyer, product=product, quantity=D("2"))
    cart = Cart.objects.get(owner=buyer.user)
    seen = cart_priced(dealer=dealer, cart=cart).signature
    product.price_items.update(price=D("110"))
    with pytest.raises(PricesChanged) as changed:
        place(buyer, signature=seen)
    assert changed.value.priced.total_net == D("220.00")
    assert_nothing_saved(product)
    assert place(buyer, signature=changed.value.priced.signature).status == S.APPROVED


def test_an_empty_cart_is_refused(shop):
    _dealer, product, buyer = shop
    with pytest.raises(OrderRefused):
        place(buyer)
    assert_nothing_saved(product)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"payment_method": "cash"}, "payment method"),
        ({"requested_delivery_date": dt.date.today() - dt.timedelta(days=1)}, "past"),
    ],
)
def test_bad_checkout_input_is_refused(shop, kwargs, message):
    _dealer, product, buyer = shop
    cart_line_add(dealer_user=buyer, product=product, quantity=D("1"))
    with pytest.raises(OrderRefused) as refused:
        place(buyer, **kwargs)
    assert message in str(refused.value)
    assert_nothing_saved(product)


def test_another_dealers_address_is_refused(shop):
    dealer, product, buyer = shop
    cart_line_add(dealer_user=buyer, product=product, quantity=D("1"))
    with pytest.raises(OrderRefused):
        place(buyer, delivery_address=DealerAddressFactory())
    assert_nothing_saved(product)
    own = DealerAddressFactory(dealer=dealer, name="Merkez depo", city="Ankara")
    order = place(buyer, delivery_address=own)
    assert "Merkez depo" in order.delivery_address_text and "Ankara" in order.delivery_address_text


def test_a_required_po_number_is_enforced(db):
    dealer, product = make_shop(po_number_required=True)
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=D("1"))
    with pytest.raises(OrderRefused):
        place(buyer, po_number="  ")
    assert_nothing_saved(product)
    assert place(buyer, po_number="PO-9").status == S.APPROVED


def test_credit_hold_blocks_on_account_orders(db):
    dealer, product = make_shop(credit_hold=True, credit_hold_reason="overdue invoices")
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=D("1"))
    with pytest.raises(OrderRefused) as refused:
        place(buyer)
    assert "credit hold" in str(refused.value)
    assert_nothing_saved(product)


def test_a_rule_set_to_block_refuses(db, settings):
    settings.B2B_ORDER_RULES = {"stock": "block"}
    dealer, product = make_shop(stock=D("1"))
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=D("2"))
    with pytest.raises(OrderRefused):
        place(buyer)
    assert_nothing_saved(product)


# -- holds -------------------------------------------------------------------------------------------------------


def test_over_the_credit_limit_is_held_with_the_figures(db):
    dealer, product = make_shop(credit_limit=D("1000"), erp_open_orders=D("500"))
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=D("5"))  # 600 gross
    order = place(buyer)
    assert order.status == S.ON_HOLD
    [reason] = order.hold_reasons
    assert reason["rule"] == "credit_limit" and reason["details"]["exposure"] == "1100.00"
    assert reserved(product) == D("5")


def test_a_stock_shortfall_holds_and_reserves_what_there_is(db):
    dealer, product = make_shop(stock=D("4"))
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=D("6"))
    order = place(buyer)
    assert order.status == S.ON_HOLD
    assert order.hold_reasons[0]["details"]["short"] == {product.sku: "2.000"}
    assert order.lines.get().backordered_qty == D("2")
    assert reserved(product) == D("4")


def test_the_erp_connection_can_choose_backorders(db):
    ErpConnection.objects.create(
        code="main", name="ERP", adapter="file", is_default=True, settings={"stock_shortfall": "backorder"}
    )
    dealer, product = make_shop(stock=D("4"))
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=D("6"))
    order = place(buyer)
    assert order.status == S.APPROVED
    assert order.lines.get().backordered_qty == D("2")
    assert order.hold_reasons[0]["action"] == "backorder"


def test_above_the_buyers_limit_waits_for_the_dealers_approver(db):
    dealer, product = make_shop()
    buyer = buyer_of(dealer, approval_limit=D("100"))
    cart_line_add(dealer_user=buyer, product=product, quantity=D("1"))  # 120 gross
    assert place(buyer).status == S.AWAITING_DEALER_APPROVAL


def test_manual_review_and_quarantined_dealers_are_held(db):
    dealer, product = make_shop(requires_manual_review=True)
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=D("1"))
    order = place(buyer)
    assert order.status == S.ON_HOLD and order.hold_reasons[0]["rule"] == "manual_review"


def test_cancelling_releases_the_reservation_once(shop):
    _dealer, product, buyer = shop
    cart_line_add(dealer_user=buyer, product=product, quantity=D("3"))
    order = place(buyer)
    order_transition(order=order, to_status=S.CANCELLED, actor=buyer.user, source=OrderStatusChange.Source.DEALER)
    assert reserved(product) == D("0")
    assert StockReservation.objects.get().released_at is not None


# -- races on real PostgreSQL ------------------------------------------------------------------------------------


def run_together(functions):
    """Start all at once, wait for all; each thread closes its own database connection."""
    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)

    def runner(index, function):
        try:
            barrier.wait()
            results[index] = function()
        except Exception as error:  # collected, asserted by the test
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.mark.django_db(transaction=True)
def test_fifty_buyers_racing_for_ten_units_never_oversell(settings):
    settings.B2B_ORDER_RULES = {"stock": "block"}
    price_list = PriceListFactory()
    product = ProductFactory(min_order_qty=D("1"), order_multiple=D("1"))
    PriceListItemFactory(price_list=price_list, product=product, price=D("10"))
    StockLevelFactory(product=product, on_hand=D("10"))
    buyers = []
    for _ in range(50):
        dealer = DealerFactory(price_list=price_list)
        buyer = buyer_of(dealer)
        cart_line_add(dealer_user=buyer, product=product, quantity=D("1"))
        buyers.append(buyer)
    signatures = {b.pk: cart_priced(dealer=b.dealer, cart=Cart.objects.get(owner=b.user)).signature for b in buyers}
    results = run_together(
        [
            (
                lambda b=b: order_place(
                    dealer_user=b,
                    idempotency_key=uuid.uuid4(),
                    payment_method="on_account",
                    delivery_address=None,
                    confirmed_signature=signatures[b.pk],
                )
            )
            for b in buyers
        ]
    )
    placed = [r for r in results if isinstance(r, Order)]
    refused = [r for r in results if isinstance(r, OrderRefused)]
    assert len(placed) == 10 and len(refused) == 40, [r for r in results if not isinstance(r, Order | OrderRefused)]
    assert StockLevel.objects.get(product=product).reserved_portal == D("10")
    assert sum(r.quantity for r in StockReservation.objects.all()) == D("10")


@pytest.mark.django_db(transaction=True)
def test_two_on_account_orders_cannot_together_exceed_the_credit_limit():
    dealer, product = make_shop(credit_limit=D("1000"), stock=D("100"))
    buyers = [buyer_of(dealer), buyer_of(dealer)]
    for buyer in buyers:
        cart_line_add(dealer_user=buyer, product=product, quantity=D("5"))  # 600 gross each
    signatures = [cart_priced(dealer=dealer, cart=Cart.objects.get(owner=b.user)).signature for b in buyers]
    results = run_together(
        [
            (
                lambda b=b, s=s: order_place(
                    dealer_user=b,
                    idempotency_key=uuid.uuid4(),
                    payment_method="on_account",
                    delivery_address=None,
                    confirmed_signature=s,
                )
            )
            for b, s in zip(buyers, signatures, strict=True)
        ]
    )
    assert all(isinstance(r, Order) for r in results), results
    assert sorted(Order.objects.values_list("status", flat=True)) == [S.APPROVED, S.ON_HOLD]


@pytest.mark.django_db(transaction=True)
def test_the_same_key_from_two_requests_makes_one_order():
    dealer, product = make_shop()
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=D("2"))
    signature = cart_priced(dealer=dealer, cart=Cart.objects.get(owner=buyer.user)).signature
    key = uuid.uuid4()
    results = run_together(
        [
            (
                lambda: order_place(
                    dealer_user=buyer,
                    idempotency_key=key,
                    payment_method="on_account",
                    delivery_address=None,
                    confirmed_signature=signature,
                )
            )
            for _ in range(2)
        ]
    )
    assert Order.objects.count() == 1
    orders = [r for r in results if isinstance(r, Order)]
    assert orders and {o.pk for o in orders} == {Order.objects.get().pk}
    assert reserved(product) == D("2")


def test_row_locks_never_reach_joined_tables(shop):
    """A plain FOR UPDATE over a join also locks the joined rows (e.g. every sellable warehouse), which made
    all placements queue behind each other and deadlock; every lock names its own table."""
    from django.test.utils import CaptureQueriesContext

    _dealer, product, buyer = shop
    cart_line_add(dealer_user=buyer, product=product, quantity=D("1"))
    with CaptureQueriesContext(connection) as ctx:
        order = place(buyer)
    from orders.services import order_transition

    with CaptureQueriesContext(connection) as cancel:
        order_transition(order=order, to_status=S.CANCELLED)
    locking = [q["sql"] for q in [*ctx.captured_queries, *cancel.captured_queries] if "FOR UPDATE" in q["sql"]]
    assert len(locking) >= 4
    assert all("FOR UPDATE OF" in sql for sql in locking), [s for s in locking if "FOR UPDATE OF" not in s]


def test_a_reservation_spreads_over_warehouses_in_code_order(db):
    from catalog.tests.factories import WarehouseFactory

    dealer, product = make_shop(stock="3")
    first = StockLevel.objects.get(product=product)
    first.warehouse.code = "A-MERKEZ"
    first.warehouse.save()
    StockLevelFactory(product=product, on_hand=D("4"), warehouse=WarehouseFactory(code="B-ANKARA"))
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=D("6"))
    order = place(buyer)
    assert order.status == S.APPROVED
    taken = dict(StockReservation.objects.values_list("stock_level__warehouse__code", "quantity"))
    assert taken == {"A-MERKEZ": D("3"), "B-ANKARA": D("3")}
    assert sorted(StockLevel.objects.filter(product=product).values_list("reserved_portal", flat=True)) == [D("3")] * 2
