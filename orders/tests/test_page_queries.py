"""The cart, checkout and approval pages read a fixed number of queries however many lines or orders they show:
the dealer's cart and checkout, the dealer approver's queue and the staff approval queue in the admin."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import DealerAgreement
from catalog.tests.factories import (
    DealerAgreementFactory,
    PriceListItemFactory,
    ProductFactory,
    ProductUnitFactory,
    StockLevelFactory,
)
from dealers.credit import credit_position
from dealers.models import DealerUser, SalesRep
from dealers.tests.factories import DealerAddressFactory, DealerFactory, DealerUserFactory
from orders.services import cart_line_add
from orders.status import OrderStatus
from orders.tests.factories import OrderFactory, buyer_of, make_shop
from orders.tests.test_admin import held

pytestmark = pytest.mark.django_db
D = Decimal
FEW, MANY = 2, 25


def page_queries(client, url: str, rows: str, expected: int) -> int:
    """The queries one request for ``url`` makes, after checking that the page shows ``expected`` rows (the
    number of ``rows`` markers in its HTML)."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.content.decode().count(rows) == expected
    return len(captured)


@pytest.fixture
def buyer_client(client):
    dealer, _product = make_shop(stock="50")
    buyer = buyer_of(dealer)
    DealerAddressFactory(dealer=dealer, is_default=True, name="Merkez")
    client.force_login(buyer.user)
    client.buyer, client.dealer = buyer, dealer
    return client


def fill_cart(client, first: int, count: int) -> None:
    """``count`` lines of products of their own brand and category, every third one in a case of 12, with a
    discount agreed on every other brand and a second delivery address each."""
    dealer = client.dealer
    for n in range(first, first + count):
        product = ProductFactory(sku=f"C-{n:03d}", min_order_qty=D("1"), order_multiple=D("1"))
        PriceListItemFactory(price_list=dealer.price_list, product=product, price=D("100"))
        StockLevelFactory(product=product, on_hand=D("500"))
        if n % 2:
            DealerAgreementFactory(dealer=dealer, brand=product.brand, kind=DealerAgreement.Kind.DISCOUNT, value=D("5"))
        unit = None
        if n % 3 == 0:
            unit = ProductUnitFactory(product=product, factor=D("12"), is_sales_unit=True).unit
        cart_line_add(dealer_user=client.buyer, product=product, quantity=D("2"), unit=unit)
        DealerAddressFactory(dealer=dealer)


def test_cart_page_queries_do_not_grow_with_lines(buyer_client):
    url = reverse("orders:cart")
    fill_cart(buyer_client, 0, FEW)
    buyer_client.get(url)  # the first request warms the session and the category tree
    few = page_queries(buyer_client, url, "<tr data-sku=", FEW)

    fill_cart(buyer_client, FEW, MANY - FEW)
    many = page_queries(buyer_client, url, "<tr data-sku=", MANY)

    assert few == many <= 14


def test_checkout_page_queries_do_not_grow_with_lines_or_addresses(buyer_client):
    url = reverse("orders:checkout")
    fill_cart(buyer_client, 0, FEW)
    buyer_client.get(url)
    few = page_queries(buyer_client, url, '<span class="mono">C-', FEW)

    fill_cart(buyer_client, FEW, MANY - FEW)
    many = page_queries(buyer_client, url, '<span class="mono">C-', MANY)

    # The placement preview (what placing would do) reads stock, the ERP's stock rule and the credit exposure once.
    assert few == many <= 15


def awaiting(dealer, count: int) -> None:
    """``count`` orders above their buyers' limits, each placed by a buyer of its own."""
    for _n in range(count):
        buyer = buyer_of(dealer, approval_limit=D("10"))
        OrderFactory(dealer=dealer, placed_by=buyer.user, status=OrderStatus.AWAITING_DEALER_APPROVAL)


def test_dealer_approvals_page_queries_do_not_grow_with_orders(client):
    dealer = DealerFactory()
    approver = DealerUserFactory(dealer=dealer, role=DealerUser.Role.APPROVER)
    client.force_login(approver.user)
    url = reverse("orders:approvals")
    awaiting(dealer, FEW)
    client.get(url)
    few = page_queries(client, url, 'data-testid="dealer-approve"', FEW)

    awaiting(dealer, MANY - FEW)
    many = page_queries(client, url, 'data-testid="dealer-approve"', MANY)

    assert few == many <= 6


def held_orders(template, first: int, count: int) -> None:
    """``count`` orders held like ``template``, each of a dealer of its own with a sales representative, placed
    by a buyer of that dealer; every other one on account, so that it counts in the dealer's exposure now."""
    for n in range(first, first + count):
        rep = SalesRep.objects.create(code=f"S{n:03d}", name=f"Rep {n}")
        dealer = DealerFactory(sales_rep=rep, credit_limit=D("100"))
        OrderFactory(
            dealer=dealer,
            placed_by=buyer_of(dealer).user,
            status=OrderStatus.ON_HOLD,
            payment_method=template.payment_method if n % 2 else "card",
            hold_reasons=template.hold_reasons,
            placement_checks=template.placement_checks,
        )


def test_staff_approval_queue_queries_do_not_grow_with_orders(staff_client):
    url = reverse("admin:orders_heldorder_changelist")
    template = held(credit_limit="100")
    assert template.status == OrderStatus.ON_HOLD
    held_orders(template, 1, FEW - 1)
    staff_client.get(url)  # the first request warms the session and caches
    few = page_queries(staff_client, url, 'class="action-select"', FEW)

    held_orders(template, FEW, MANY - FEW)
    many = page_queries(staff_client, url, 'class="action-select"', MANY)

    assert few == many <= 10
    # The credit read for the whole page is each dealer's own.
    rows = staff_client.get(url).context["cl"].result_list
    assert {D("0"), D("1200")} <= {order.credit_now.portal_pending for order in rows}
    assert all(order.credit_now == credit_position(order.dealer) for order in rows)
