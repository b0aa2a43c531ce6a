import itertools

import pytest

from accounts.tests.factories import UserFactory
from orders.exceptions import InvalidOrderTransition
from orders.models import OrderStatusChange
from orders.services import order_transition
from orders.status import FINAL, POINT_OF_NO_RETURN, TRANSITIONS, OrderStatus, can_transition
from orders.tests.factories import OrderFactory

ALL = list(OrderStatus.values)


def test_every_state_is_in_the_map():
    assert set(TRANSITIONS) == set(ALL)
    for moves in TRANSITIONS.values():
        assert moves <= set(ALL)


def test_final_states_have_no_way_out():
    assert {OrderStatus.CLOSED, OrderStatus.REJECTED, OrderStatus.CANCELLED} == FINAL


def test_no_cancellation_after_the_point_of_no_return():
    for state in POINT_OF_NO_RETURN:
        assert not can_transition(state, OrderStatus.CANCELLED)


def test_every_state_except_final_can_reach_closed_or_an_end():
    for start in set(ALL) - FINAL:
        seen, frontier = {start}, [start]
        while frontier:
            for nxt in TRANSITIONS[frontier.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    frontier.append(nxt)
        assert seen & FINAL, start


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("from_status", "to_status"),
    [(a, b) for a, b in itertools.product(ALL, ALL) if can_transition(a, b)],
)
def test_allowed_move_changes_status_and_writes_an_audit_row(from_status, to_status):
    actor = UserFactory(is_staff=True)
    order = OrderFactory(status=from_status)
    order_transition(order=order, to_status=to_status, actor=actor, source="staff", reason="test")
    order.refresh_from_db()
    assert order.status == to_status
    change = OrderStatusChange.objects.get(order=order)
    assert (change.from_status, change.to_status, change.actor, change.reason) == (
        from_status,
        to_status,
        actor,
        "test",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("from_status", "to_status"),
    [(a, b) for a, b in itertools.product(ALL, ALL) if not can_transition(a, b)],
)
def test_forbidden_move_is_refused_and_nothing_changes(from_status, to_status):
    order = OrderFactory(status=from_status)
    with pytest.raises(InvalidOrderTransition):
        order_transition(order=order, to_status=to_status)
    order.refresh_from_db()
    assert order.status == from_status
    assert not OrderStatusChange.objects.filter(order=order).exists()
