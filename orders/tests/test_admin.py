"""The staff approval queue in the admin: held orders only, filters, single and bulk decisions with a note."""

from decimal import Decimal

import pytest
from django.urls import reverse

from orders.models import Order
from orders.services import cart_line_add
from orders.status import OrderStatus
from orders.tests.factories import buyer_of, make_shop, place

pytestmark = pytest.mark.django_db
D = Decimal
S = OrderStatus
URL = reverse("admin:orders_heldorder_changelist")


def held(**dealer_kwargs):
    dealer, product = make_shop(**dealer_kwargs)
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=D("2"))
    return place(buyer)


@pytest.fixture
def queue(db):
    return {
        "review": held(requires_manual_review=True),
        "credit": held(credit_limit="100"),
        "approved": held(),
    }


def test_lists_only_held_orders_with_reasons_and_filters(staff_client, queue):
    response = staff_client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    numbers = [o.number for o in response.context["cl"].result_list]
    assert sorted(numbers) == sorted([queue["review"].number, queue["credit"].number])
    html = response.content.decode()
    assert "Credit limit exceeded" in html and "Manual review" in html
    filtered = staff_client.get(URL, {"reason": "credit_limit"})
    assert [o.number for o in filtered.context["cl"].result_list] == [queue["credit"].number]


def test_detail_shows_credit_and_stock_now(staff_client, queue):
    order = queue["credit"]
    response = staff_client.get(reverse("admin:orders_heldorder_change", args=[order.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and "Available now" in response.content.decode()


def decide(client, action, orders, note=None):
    data = {"action": action, "_selected_action": [o.pk for o in orders]}
    if note is not None:
        data.update({"apply": "1", "note": note})
    return client.post(URL, data, HTTP_ACCEPT_LANGUAGE="en")


def test_bulk_approve_with_a_note(staff_client, queue):
    page = decide(staff_client, "approve_selected", [queue["review"], queue["credit"]])
    assert page.status_code == 200 and "Approve these orders" in page.content.decode()
    decide(staff_client, "approve_selected", [queue["review"], queue["credit"]], note="Checked")
    assert Order.objects.get(pk=queue["review"].pk).status == S.APPROVED
    # The superuser holds the credit override permission; the audit row says so.
    credit = Order.objects.get(pk=queue["credit"].pk)
    assert credit.status == S.APPROVED
    assert credit.status_changes.last().reason.startswith("Credit override")


def test_credit_approval_without_the_override_is_refused_visibly(client, queue):
    from django.contrib.auth.models import Permission

    from accounts.tests.factories import UserFactory

    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_heldorder", "change_order"]))
    client.force_login(staff)
    response = decide(client, "approve_selected", [queue["credit"]], note="ok")
    assert Order.objects.get(pk=queue["credit"].pk).status == S.ON_HOLD
    assert response.status_code == 302


def test_reject_needs_a_note(staff_client, queue):
    decide(staff_client, "reject_selected", [queue["review"]], note="")
    assert Order.objects.get(pk=queue["review"].pk).status == S.ON_HOLD
    decide(staff_client, "reject_selected", [queue["review"]], note="Duplicate")
    assert Order.objects.get(pk=queue["review"].pk).status == S.REJECTED
