"""Decisions on held orders (staff, dealer approvers) and cancellation by the dealer."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from accounts.tests.factories import UserFactory
from catalog.models import StockLevel
from dealers.models import DealerUser
from dealers.tests.factories import DealerUserFactory
from erpsync.models import ErpConnection, SyncJob
from orders.exceptions import DecisionRefused
from orders.services import (
    can_dealer_cancel,
    cart_line_add,
    order_dealer_approve,
    order_dealer_cancel,
    order_dealer_reject,
    order_staff_approve,
    order_staff_reject,
    order_transition,
)
from orders.status import OrderStatus
from orders.tests.factories import buyer_of, make_shop, place

pytestmark = pytest.mark.django_db
D = Decimal
S = OrderStatus


def held_for(reason: str):
    kwargs = {"credit": {"credit_limit": "100"}, "review": {"requires_manual_review": True}}[reason]
    dealer, product = make_shop(**kwargs)
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=D("2"))
    order = place(buyer)
    assert order.status == S.ON_HOLD
    return order, buyer, product


def staff(*permissions):
    user = UserFactory(is_staff=True)
    for codename in permissions:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return type(user).objects.get(pk=user.pk)


def test_staff_approve_a_review_hold():
    order, _buyer, _product = held_for("review")
    order = order_staff_approve(order=order, actor=staff(), note="Checked by phone")
    assert order.status == S.APPROVED
    assert order.status_changes.last().reason == "Checked by phone"


def test_a_credit_hold_needs_the_override_permission_and_is_audited():
    order, _buyer, _product = held_for("credit")
    with pytest.raises(DecisionRefused):
        order_staff_approve(order=order, actor=staff())
    order.refresh_from_db()
    assert order.status == S.ON_HOLD
    order = order_staff_approve(order=order, actor=staff("override_credit"), note="Payment promised")
    assert order.status == S.APPROVED
    assert order.status_changes.last().reason.startswith("Credit override")


def test_staff_reject_needs_a_reason_and_releases_stock():
    order, _buyer, product = held_for("review")
    with pytest.raises(DecisionRefused):
        order_staff_reject(order=order, actor=staff(), note=" ")
    order = order_staff_reject(order=order, actor=staff(), note="Duplicate of P-1")
    assert order.status == S.REJECTED
    assert StockLevel.objects.get(product=product).reserved_portal == D("0")


def test_only_held_orders_can_be_approved_by_staff():
    dealer, product = make_shop()
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=D("1"))
    order = place(buyer)
    with pytest.raises(DecisionRefused):
        order_staff_approve(order=order, actor=staff())


@pytest.fixture
def above_limit():
    dealer, product = make_shop()
    buyer = buyer_of(dealer, approval_limit=D("100"))
    cart_line_add(dealer_user=buyer, product=product, quantity=D("1"))
    order = place(buyer)
    assert order.status == S.AWAITING_DEALER_APPROVAL
    return order, dealer


def test_the_dealers_approver_approves(above_limit):
    order, dealer = above_limit
    approver = DealerUserFactory(dealer=dealer, role=DealerUser.Role.APPROVER)
    assert order_dealer_approve(order=order, approver=approver).status == S.APPROVED


@pytest.mark.parametrize("who", ["buyer", "other_dealer", "limited_approver"])
def test_who_cannot_approve(above_limit, who):
    order, dealer = above_limit
    approver = {
        "buyer": lambda: DealerUserFactory(dealer=dealer, role=DealerUser.Role.BUYER),
        "other_dealer": lambda: DealerUserFactory(role=DealerUser.Role.APPROVER),
        "limited_approver": lambda: DealerUserFactory(
            dealer=dealer, role=DealerUser.Role.APPROVER, approval_limit=D("50")
        ),
    }[who]()
    with pytest.raises(DecisionRefused):
        order_dealer_approve(order=order, approver=approver)


def test_dealer_approval_passes_to_staff_when_other_checks_held_it():
    dealer, product = make_shop(requires_manual_review=True)
    buyer = buyer_of(dealer, approval_limit=D("10"))
    cart_line_add(dealer_user=buyer, product=product, quantity=D("1"))
    order = place(buyer)
    approver = DealerUserFactory(dealer=dealer, role=DealerUser.Role.ADMIN)
    assert order_dealer_approve(order=order, approver=approver).status == S.ON_HOLD


def test_the_dealers_approver_rejects_with_a_reason(above_limit):
    order, dealer = above_limit
    approver = DealerUserFactory(dealer=dealer, role=DealerUser.Role.APPROVER)
    with pytest.raises(DecisionRefused):
        order_dealer_reject(order=order, approver=approver, note="")
    assert order_dealer_reject(order=order, approver=approver, note="Too many").status == S.REJECTED


def test_cancel_before_the_erp_is_immediate():
    dealer, product = make_shop()
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=D("1"))
    order = place(buyer)
    order = order_dealer_cancel(order=order, dealer_user=buyer, reason="Wrong item")
    assert order.status == S.CANCELLED and not SyncJob.objects.exists()


def test_cancel_after_erp_confirmation_queues_one_erp_cancellation():
    ErpConnection.objects.create(code="main", name="ERP", adapter="file", is_default=True)
    dealer, product = make_shop()
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=D("1"))
    order = place(buyer)
    order_transition(order=order, to_status=S.SENT_TO_ERP)
    order_transition(order=order, to_status=S.CONFIRMED)
    order = order_dealer_cancel(order=order, dealer_user=buyer)
    assert order.status == S.CANCELLED
    job = SyncJob.objects.get(kind=SyncJob.Kind.ORDER_CANCEL)
    assert job.identity_key == f"order:{order.number}"
    assert SyncJob.objects.filter(kind=SyncJob.Kind.ORDER_EXPORT, identity_key=f"order:{order.number}").exists()


def test_no_cancel_from_the_point_of_no_return_or_by_others():
    dealer, product = make_shop()
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=D("1"))
    order = place(buyer)
    with pytest.raises(DecisionRefused):
        order_dealer_cancel(order=order, dealer_user=buyer_of(dealer))  # another buyer of the same dealer
    with pytest.raises(DecisionRefused):
        order_dealer_cancel(order=order, dealer_user=DealerUserFactory())
    for status in (S.SENT_TO_ERP, S.CONFIRMED, S.IN_FULFILMENT):
        order_transition(order=order, to_status=status)
    assert not can_dealer_cancel(order)
    with pytest.raises(DecisionRefused):
        order_dealer_cancel(order=order, dealer_user=buyer)
    order.refresh_from_db()
    assert order.status == S.IN_FULFILMENT


def test_after_a_dealer_approval_only_the_reasons_still_true_remain():
    dealer, product = make_shop(requires_manual_review=True)
    buyer = buyer_of(dealer, approval_limit=D("10"))
    cart_line_add(dealer_user=buyer, product=product, quantity=D("1"))
    order = place(buyer)
    assert {r["rule"] for r in order.hold_reasons} == {"buyer_limit", "manual_review"}
    approver = DealerUserFactory(dealer=dealer, role=DealerUser.Role.ADMIN)
    order_dealer_approve(order=order, approver=approver)
    order.refresh_from_db()
    assert order.status == S.ON_HOLD
    assert [r["rule"] for r in order.hold_reasons] == ["manual_review"]  # why staff decide next


def test_a_refused_dealer_approval_keeps_the_reasons(above_limit):
    order, dealer = above_limit
    limited = DealerUserFactory(dealer=dealer, role=DealerUser.Role.APPROVER, approval_limit=D("50"))
    with pytest.raises(DecisionRefused):
        order_dealer_approve(order=order, approver=limited)
    order.refresh_from_db()
    assert [r["rule"] for r in order.hold_reasons] == ["buyer_limit"]
