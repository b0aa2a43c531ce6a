"""Webhooks out, against a loopback receiver: deliveries written in the event's transaction and sent only after it
commits, signed (timestamp + HMAC-SHA256), retried with a growing wait, an endpoint switched off after repeated
failures with a notice to the dealer's admins, sent again from the portal, and targets kept to public HTTPS."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from api.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from api.services import webhook_endpoint_create
from api.targets import target_check
from api.tests.factories import api_shop, client_for
from api.tests.receiver import Receiver
from api.webhooks import deliveries_send_due, delivery_send, event_record, signature_header, signature_valid
from dealers.models import DealerDocument, DealerUser
from notifications.models import Notification
from orders.notifications import documents_notify
from orders.services import order_transition
from orders.tests.factories import OrderFactory
from orders.tests.quote_factories import sent_quote, staff_user
from payments.hooks import collections_recorded

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def loopback_allowed(settings):
    settings.B2B_WEBHOOK_ALLOW_PRIVATE = True


def _endpoint(dealer, url, events=(WebhookEvent.ORDER_STATUS_CHANGED,)):
    endpoint, _secret = webhook_endpoint_create(dealer=dealer, url=url, events=list(events))
    return endpoint


def test_an_order_placed_through_the_api_is_delivered_signed_after_commit(django_capture_on_commit_callbacks):
    dealer, product, member = api_shop()
    with Receiver() as receiver:
        _endpoint_row, secret = webhook_endpoint_create(
            dealer=dealer, url=receiver.url, events=[WebhookEvent.ORDER_STATUS_CHANGED]
        )
        with django_capture_on_commit_callbacks(execute=True):
            response = client_for(member).post(
                "/api/v1/orders/", {"lines": [{"sku": product.sku, "quantity": "1"}]}, format="json",
                HTTP_IDEMPOTENCY_KEY="wh-1",
            )  # fmt: skip
            assert response.status_code == 201
            assert receiver.requests == []  # nothing leaves before the order's transaction commits
    number = response.json()["number"]
    assert WebhookDelivery.objects.filter(status=WebhookDelivery.Status.SUCCEEDED).count() == 2
    statuses = []
    for headers, body in receiver.requests:
        assert signature_valid(secret, headers["B2B-Webhook-Timestamp"], body, headers["B2B-Webhook-Signature"])
        assert not signature_valid(
            "whsec_wrong", headers["B2B-Webhook-Timestamp"], body, headers["B2B-Webhook-Signature"]
        )
        assert headers["B2B-Webhook-Event"] == "order.status_changed" and headers["Content-Type"] == "application/json"
        payload = json.loads(body)
        assert payload["data"]["order"] == number
        statuses.append(payload["data"]["status"])
    assert sorted(statuses) == ["approved", "submitted"]


def test_a_rolled_back_event_leaves_no_delivery(django_capture_on_commit_callbacks):
    dealer, _product, member = api_shop()
    order = OrderFactory(dealer=dealer, placed_by=member.user, status="approved")
    with Receiver() as receiver:
        _endpoint(dealer, receiver.url)
        with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
            order_transition(order=order, to_status="cancelled")
            assert WebhookDelivery.objects.count() == 1  # written with the event…
            raise RuntimeError("the change fails after the event")
    assert WebhookDelivery.objects.count() == 0  # …and gone with it
    assert receiver.requests == []


def test_other_dealers_and_unchosen_events_are_not_delivered(django_capture_on_commit_callbacks):
    dealer, _product, member = api_shop()
    other, _p, _m = api_shop()
    _endpoint(other, "http://127.0.0.1:9/other")
    _endpoint(dealer, "http://127.0.0.1:9/quotes-only", events=[WebhookEvent.QUOTE_SENT])
    order = OrderFactory(dealer=dealer, placed_by=member.user, status="approved")
    order_transition(order=order, to_status="cancelled")
    assert WebhookDelivery.objects.count() == 0


def test_the_same_event_recorded_twice_is_delivered_once():
    dealer, _product, _member = api_shop()
    _endpoint(dealer, "http://127.0.0.1:9/x")
    first = event_record(dealer_id=dealer.pk, event=WebhookEvent.ORDER_STATUS_CHANGED, event_key="status:1", data={})
    second = event_record(dealer_id=dealer.pk, event=WebhookEvent.ORDER_STATUS_CHANGED, event_key="status:1", data={})
    assert len(first) == 1 and set(second) <= set(first) and WebhookDelivery.objects.count() == 1


def test_a_failed_delivery_is_retried_with_backoff_until_it_succeeds():
    dealer, _product, _member = api_shop()
    with Receiver(codes=(500, 200)) as receiver:
        _endpoint(dealer, receiver.url)
        [pk] = event_record(dealer_id=dealer.pk, event=WebhookEvent.ORDER_STATUS_CHANGED, event_key="s:1", data={})
        assert delivery_send(pk) is False
        delivery = WebhookDelivery.objects.get(pk=pk)
        assert delivery.status == "pending" and delivery.attempts == 1 and delivery.last_status_code == 500
        assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=50)
        assert deliveries_send_due() == 0  # not due yet
        WebhookDelivery.objects.filter(pk=pk).update(next_attempt_at=timezone.now())
        assert deliveries_send_due() == 1
    delivery.refresh_from_db()
    assert delivery.status == "succeeded" and delivery.attempts == 2
    assert [a.status_code for a in delivery.attempt_log.order_by("attempted_at", "pk")] == [500, 200]
    assert len(receiver.requests) == 2
    assert WebhookEndpoint.objects.get().failures == 0


def test_an_endpoint_that_keeps_failing_is_switched_off_and_the_admins_told(settings):
    settings.B2B_WEBHOOK_DISABLE_AFTER = 2
    dealer, _product, admin = api_shop(role=DealerUser.Role.ADMIN)
    with Receiver(codes=(503,)) as receiver:
        endpoint = _endpoint(dealer, receiver.url)
        ids = [
            event_record(dealer_id=dealer.pk, event=WebhookEvent.ORDER_STATUS_CHANGED, event_key=f"s:{n}", data={})[0]
            for n in range(3)
        ]
        assert delivery_send(ids[0]) is False
        endpoint.refresh_from_db()
        assert endpoint.is_active
        assert delivery_send(ids[1]) is False
        assert delivery_send(ids[2]) is None  # switched off: nothing more is sent
    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.failures == 2
    assert Notification.objects.filter(kind="webhook_endpoint_disabled", recipient=admin.user).count() == 1
    assert len(receiver.requests) == 2


def test_a_delivery_that_gave_up_can_be_sent_again_from_the_portal(
    client, settings, django_capture_on_commit_callbacks
):
    settings.B2B_WEBHOOK_MAX_ATTEMPTS = 1
    dealer, _product, admin = api_shop(role=DealerUser.Role.ADMIN)
    with Receiver(codes=(500, 204)) as receiver:
        _endpoint(dealer, receiver.url)
        [pk] = event_record(dealer_id=dealer.pk, event=WebhookEvent.ORDER_STATUS_CHANGED, event_key="s:1", data={})
        delivery_send(pk)
        assert WebhookDelivery.objects.get(pk=pk).status == "failed"
        client.force_login(admin.user)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/account/webhooks/deliveries/{pk}/replay/")
        assert response.status_code == 302
    delivery = WebhookDelivery.objects.get(pk=pk)
    assert delivery.status == "succeeded" and delivery.last_status_code == 204
    _other, _p, other_admin = api_shop(role=DealerUser.Role.ADMIN)
    client.force_login(other_admin.user)
    assert client.post(f"/account/webhooks/deliveries/{pk}/replay/").status_code == 404


def test_quote_sent_document_issued_and_payment_received_are_recorded():
    dealer, product, member = api_shop()
    events = [
        WebhookEvent.QUOTE_SENT,
        WebhookEvent.ORDER_SHIPPED,
        WebhookEvent.ORDER_INVOICED,
        WebhookEvent.PAYMENT_RECEIVED,
    ]
    _endpoint(dealer, "http://127.0.0.1:9/all", events=events)
    quote = sent_quote(member, product, staff_user())
    order = OrderFactory(dealer=dealer, placed_by=member.user)
    note = DealerDocument.objects.create(
        dealer=dealer, order=order, kind=DealerDocument.Kind.DELIVERY, number="IRS-1", issued_on=timezone.localdate(),
        carrier="Yurtiçi", tracking_number="YK123",
    )  # fmt: skip
    invoice = DealerDocument.objects.create(
        dealer=dealer, order=order, kind=DealerDocument.Kind.INVOICE, number="FTR-1", issued_on=timezone.localdate(),
        gross=Decimal("1200.00"),
    )  # fmt: skip
    documents_notify([note, invoice])
    payload = {"dealer_id": dealer.pk, "amount": "50.00", "currency": "TRY", "method": "card", "order_number": ""}
    collections_recorded.send(collections=[("payment:abc", 1, payload)], fresh=False)
    found = {d.event: d.payload["data"] for d in WebhookDelivery.objects.all()}
    assert found["quote.sent"]["quote"] == quote.number
    assert found["order.shipped"]["tracking_number"] == "YK123" and found["order.shipped"]["order"] == order.number
    assert found["order.invoiced"]["total_gross"] == "1200.00"
    assert found["payment.received"]["amount"] == "50.00"


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://93.184.215.14/hook", True),
        ("http://93.184.215.14/hook", False),
        ("https://127.0.0.1/hook", False),
        ("https://10.0.0.5/hook", False),
        ("https://169.254.169.254/latest", False),
        ("https://[::1]/hook", False),
        ("https://user:pw@93.184.215.14/", False),
        ("ftp://93.184.215.14/", False),
    ],
)
def test_targets_are_public_https_unless_allowed(settings, url, allowed):
    settings.B2B_WEBHOOK_ALLOW_PRIVATE = False
    if allowed:
        target_check(url)
    else:
        with pytest.raises(ValidationError):
            target_check(url)


def test_the_setting_allows_loopback_for_tests_and_intranets(settings):
    settings.B2B_WEBHOOK_ALLOW_PRIVATE = True
    target_check("http://127.0.0.1:8080/hook")
    with pytest.raises(ValidationError):
        target_check("http://93.184.215.14/hook")  # plain HTTP only to private addresses


def test_the_verification_recipe_in_the_docs_accepts_a_real_delivery(settings):
    """The Python recipe of docs/api.md, run as written, against a signature the portal made."""
    import re
    import time
    from pathlib import Path

    from api.webhooks import signature

    text = (Path(settings.BASE_DIR) / "docs" / "api.md").read_text()
    recipe = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    namespace: dict = {}
    exec(recipe, namespace)  # noqa: S102 - the documentation's own code
    body, stamp = b'{"data":{"order":"P2026-000001"},"event":"order.status_changed"}', int(time.time())
    header = signature("whsec_test", stamp, body)
    assert namespace["verify"]("whsec_test", str(stamp), body, header)
    assert not namespace["verify"]("whsec_test", str(stamp), body.replace(b"01", b"02"), header)
    assert not namespace["verify"]("whsec_test", str(stamp - 3600), body, signature("whsec_test", stamp - 3600, body))
    # After a roll: the header carries both signatures, and the recipe accepts it with either secret.
    rolled = signature_header(["whsec_new", "whsec_test"], stamp, body)
    assert rolled.count("v1=") == 2
    assert namespace["verify"]("whsec_test", str(stamp), body, rolled)
    assert namespace["verify"]("whsec_new", str(stamp), body, rolled)
    assert not namespace["verify"]("whsec_other", str(stamp), body, rolled)
