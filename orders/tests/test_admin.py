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


# -- deciding on the order's own page and the outcome messages ------------------------------------------------


def change_url(order):
    return reverse("admin:orders_heldorder_change", args=[order.pk])


def decide_on_page(client, order, decision, note=""):
    url = reverse("admin:orders_heldorder_decide", args=[order.pk])
    return client.post(url, {"decision": decision, "note": note}, HTTP_ACCEPT_LANGUAGE="en", follow=True)


def shown(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_the_order_page_has_approve_and_reject_buttons(staff_client, queue):
    html = staff_client.get(change_url(queue["credit"]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="order-decision"' in html
    assert "Credit limit exceeded: ₺240.00 with this order, limit ₺100.00" in html  # why it waits
    assert 'value="approve"' in html and 'value="reject"' in html


def test_approve_on_the_order_page_says_so(staff_client, queue):
    order = queue["review"]
    response = decide_on_page(staff_client, order, "approve", note="Checked by phone")
    assert Order.objects.get(pk=order.pk).status == S.APPROVED
    assert shown(response) == [f"{order.number} approved"]
    assert response.redirect_chain[-1][0] == URL


def test_reject_on_the_order_page_needs_a_note(staff_client, queue):
    order = queue["review"]
    response = decide_on_page(staff_client, order, "reject")
    assert Order.objects.get(pk=order.pk).status == S.ON_HOLD
    assert shown(response) == [f"{order.number} could not be rejected: Say why the order is rejected."]
    assert response.redirect_chain[-1][0] == change_url(order)
    response = decide_on_page(staff_client, order, "reject", note="Duplicate order")
    assert Order.objects.get(pk=order.pk).status == S.REJECTED
    assert shown(response) == [f"{order.number} rejected"]


def test_a_refused_approval_on_the_order_page_gives_the_reason(client, queue):
    from django.contrib.auth.models import Permission

    from accounts.tests.factories import UserFactory

    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_heldorder", "change_order"]))
    client.force_login(staff)
    order = queue["credit"]
    response = decide_on_page(client, order, "approve")
    assert Order.objects.get(pk=order.pk).status == S.ON_HOLD
    [message] = shown(response)
    assert message.startswith(f"{order.number} could not be approved: This order is above the credit limit")


def test_staff_who_may_only_look_see_no_buttons_and_cannot_decide(client, queue):
    from django.contrib.auth.models import Permission

    from accounts.tests.factories import UserFactory

    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_heldorder"))
    client.force_login(staff)
    order = queue["review"]
    assert 'data-testid="order-decision"' not in client.get(change_url(order)).content.decode()
    url = reverse("admin:orders_heldorder_decide", args=[order.pk])
    assert client.post(url, {"decision": "approve"}).status_code == 403
    assert Order.objects.get(pk=order.pk).status == S.ON_HOLD


def test_a_bulk_reject_without_a_note_keeps_the_selection(staff_client, queue):
    selected = [queue["review"], queue["credit"]]
    page = decide(staff_client, "reject_selected", selected, note="")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Say why the order is rejected." in html
    for order in selected:
        assert order.number in html and f'name="_selected_action" value="{order.pk}"' in html
    assert {o.status for o in Order.objects.filter(pk__in=[o.pk for o in selected])} == {S.ON_HOLD}
    response = staff_client.post(
        URL,
        {"action": "reject_selected", "_selected_action": [o.pk for o in selected], "apply": "1", "note": "No"},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    numbers = ", ".join(o.number for o in Order.objects.filter(pk__in=[o.pk for o in selected]).order_by("pk"))
    assert {o.status for o in Order.objects.filter(pk__in=[o.pk for o in selected])} == {S.REJECTED}
    assert len(shown(response)) == 1 and shown(response)[0].endswith(" rejected")
    assert sorted(shown(response)[0].removesuffix(" rejected").split(", ")) == sorted(numbers.split(", "))


def test_a_bulk_approval_names_each_outcome(client, queue):
    from django.contrib.auth.models import Permission

    from accounts.tests.factories import UserFactory

    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=["view_heldorder", "change_order"]))
    client.force_login(staff)
    selected = [queue["review"], queue["credit"]]
    response = client.post(
        URL,
        {"action": "approve_selected", "_selected_action": [o.pk for o in selected], "apply": "1", "note": ""},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )
    messages = shown(response)
    assert f"{queue['review'].number} approved" in messages
    assert any(m.startswith(f"{queue['credit'].number} could not be approved: ") for m in messages)
