"""The in-transaction hooks: how lower layers reach higher ones without importing them."""

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from b2bportal.hooks import Hook, all_hooks, unconnected_required_hooks
from dealers.hooks import live_balance_offered, live_balance_refresh, portal_pending
from orders.hooks import erp_stock_rule, order_approved, order_cancelling
from payments.hooks import collections_recorded, refund_made


def test_a_hook_calls_its_handlers_in_order_once_each():
    hook = Hook("test: called")
    calls = []

    def first(**kwargs):
        calls.append(("first", kwargs))
        return 1

    def second(**kwargs):
        calls.append(("second", kwargs))
        return 2

    hook.connect(first)
    hook.connect(second)
    hook.connect(first)  # connecting twice keeps one
    assert hook.send(value=7) == [1, 2]
    assert calls == [("first", {"value": 7}), ("second", {"value": 7})]
    assert hook.first(value=8) == 1
    hook.disconnect(first)
    assert hook.handlers == (second,)


def test_a_required_hook_without_handler_refuses_to_run_and_is_reported():
    hook = Hook("test: required and unhandled", required=True)
    try:
        with pytest.raises(ImproperlyConfigured, match="required and unhandled"):
            hook.send(order=None)
        with pytest.raises(ImproperlyConfigured):
            hook.first()
        assert hook in unconnected_required_hooks()
        errors = [e for e in run_checks() if e.id == "b2bportal.E012"]
        assert any("required and unhandled" in e.msg for e in errors)
    finally:
        hook.required = False  # leave the registry clean for the other tests


def test_an_optional_hook_without_handler_answers_the_default():
    assert Hook("test: optional").first(default="none", dealer=None) == "none"
    assert Hook("test: optional send").send() == []


def test_every_required_hook_of_the_portal_is_handled_at_start_up():
    for hook in (order_approved, order_cancelling, collections_recorded, refund_made, portal_pending):
        assert hook.required and hook.handlers, hook
    for hook in (erp_stock_rule, live_balance_offered, live_balance_refresh):
        assert hook.handlers, hook
    assert not [hook for hook in all_hooks() if hook.required and not hook.handlers and "test:" not in hook.name]
    assert not [e for e in run_checks() if e.id == "b2bportal.E012"]


@pytest.mark.django_db(transaction=True)
def test_a_failing_handler_rolls_the_callers_change_back():
    from dealers.tests.factories import DealerFactory

    hook = Hook("test: fails")

    def refuse(**kwargs):
        raise RuntimeError("the outbox is unreachable")

    hook.connect(refuse)
    dealer = DealerFactory(title="Before")
    with pytest.raises(RuntimeError), transaction.atomic():
        type(dealer).objects.filter(pk=dealer.pk).update(title="After")
        hook.send(dealer=dealer)
    dealer.refresh_from_db()
    assert dealer.title == "Before"
