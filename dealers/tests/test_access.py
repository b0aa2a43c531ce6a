"""A dealer user can never reach another dealer's data."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404
from django.urls import reverse

from dealers.access import (
    DEALER_DEACTIVATED,
    USER_DEACTIVATED,
    access_refused,
    dealer_user_for,
    get_scoped_or_404,
    membership_refusal,
    scoped,
)
from dealers.models import Dealer, DealerAddress, DealerUser
from dealers.tests.factories import DealerAddressFactory, DealerFactory, DealerUserFactory
from orders.models import Order, OrderLine
from orders.tests.factories import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_dealers():
    a = DealerUserFactory()
    b = DealerUserFactory()
    return a, b


def test_order_of_another_dealer_is_404(client, two_dealers):
    a, b = two_dealers
    own = OrderFactory(dealer=a.dealer, placed_by=a.user)
    theirs = OrderFactory(dealer=b.dealer, placed_by=b.user)
    client.force_login(a.user)
    assert client.get(reverse("orders:order_detail", args=[own.number])).status_code == 200
    assert client.get(reverse("orders:order_detail", args=[theirs.number])).status_code == 404
    assert client.get(reverse("orders:order_detail", args=["NO-SUCH-ORDER"])).status_code == 404


def test_order_list_shows_only_own_dealer(client, two_dealers):
    a, b = two_dealers
    own = OrderFactory(dealer=a.dealer, placed_by=a.user)
    theirs = OrderFactory(dealer=b.dealer, placed_by=b.user)
    client.force_login(a.user)
    body = client.get(reverse("orders:order_list")).content.decode()
    assert own.number in body
    assert theirs.number not in body


def test_addresses_show_only_own_dealer(client, two_dealers):
    a, b = two_dealers
    DealerAddressFactory(dealer=a.dealer, name="Bizim Depo")
    DealerAddressFactory(dealer=b.dealer, name="Rakip Depo")
    client.force_login(a.user)
    body = client.get(reverse("dealers:address_list")).content.decode()
    assert "Bizim Depo" in body
    assert "Rakip Depo" not in body


def test_buyer_sees_own_orders_approver_sees_all(client):
    buyer = DealerUserFactory(role=DealerUser.Role.BUYER)
    approver = DealerUserFactory(dealer=buyer.dealer, role=DealerUser.Role.APPROVER)
    mine = OrderFactory(dealer=buyer.dealer, placed_by=buyer.user)
    colleagues = OrderFactory(dealer=buyer.dealer, placed_by=approver.user)
    client.force_login(buyer.user)
    assert client.get(reverse("orders:order_detail", args=[mine.number])).status_code == 200
    assert client.get(reverse("orders:order_detail", args=[colleagues.number])).status_code == 404
    client.force_login(approver.user)
    assert client.get(reverse("orders:order_detail", args=[mine.number])).status_code == 200


def test_inactive_dealer_membership_is_refused_and_signed_out(client):
    member = DealerUserFactory(is_active=False)
    assert dealer_user_for(member.user) is None
    assert membership_refusal(member).code == USER_DEACTIVATED
    client.force_login(member.user)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


def test_inactive_dealer_is_refused_and_signed_out(client):
    member = DealerUserFactory(dealer=DealerFactory(status=Dealer.Status.INACTIVE))
    assert dealer_user_for(member.user) is None
    assert membership_refusal(member).code == DEALER_DEACTIVATED
    client.force_login(member.user)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response.url.startswith(reverse("accounts:login"))


def test_an_active_membership_is_not_refused_and_the_gate_reads_it_once(django_assert_num_queries):
    member = DealerUserFactory()
    user = type(member.user).objects.get(pk=member.user_id)
    assert membership_refusal(member) is None
    with django_assert_num_queries(1):
        assert access_refused(user=user) is None
        assert dealer_user_for(user).pk == member.pk


@pytest.mark.parametrize(
    ("model", "make"),
    [
        (Order, lambda dealer: OrderFactory(dealer=dealer)),
        (OrderLine, lambda dealer: OrderLineFactory(order=OrderFactory(dealer=dealer))),
        (DealerAddress, lambda dealer: DealerAddressFactory(dealer=dealer)),
        (Dealer, lambda dealer: dealer),
    ],
)
def test_scoped_filters_every_registered_model(two_dealers, model, make):
    a, b = two_dealers
    own, theirs = make(a.dealer), make(b.dealer)
    rows = set(scoped(model.objects.all(), a).values_list("pk", flat=True))
    assert own.pk in rows
    assert theirs.pk not in rows
    assert get_scoped_or_404(model, a, pk=own.pk) == own
    with pytest.raises(Http404):
        get_scoped_or_404(model, a, pk=theirs.pk)


def test_scoping_an_unregistered_model_is_refused(dealer_user):
    from catalog.models import Product

    with pytest.raises(ImproperlyConfigured, match="not registered"):
        scoped(Product.objects.all(), dealer_user)


def test_no_membership_sees_nothing():
    OrderFactory()
    assert list(scoped(Order.objects.all(), None)) == []
