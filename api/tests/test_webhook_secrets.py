"""Webhook signing secrets: stored encrypted (a plain secret encrypted by the migration, and back), shown once,
rolled by the dealer admin or staff with the previous one valid for a day (both signatures in that window, only
the new one after), the roll audited, refused to other users and other dealers, and a secret no key decrypts
failing its delivery visibly and switching the endpoint off."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from api.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from api.services import webhook_endpoint_create, webhook_secret_roll
from api.tests.factories import api_shop
from api.tests.receiver import Receiver
from api.webhook_secrets import ROLL_OVERLAP, SecretUnreadable, signing_secrets
from api.webhooks import delivery_send, event_record, signature, signature_valid
from b2bportal.encryption import decrypt
from dealers.models import DealerChange, DealerUser
from dealers.tests.factories import DealerUserFactory
from notifications.models import Notification
from notifications.rendering import message

pytestmark = pytest.mark.django_db

OLD_KEY = "old-key-material-0123456789-abcdefghijklmnop"
NEW_KEY = "new-key-material-9876543210-zyxwvutsrqponmlk"


@pytest.fixture(autouse=True)
def loopback_allowed(settings):
    settings.B2B_WEBHOOK_ALLOW_PRIVATE = True
    settings.B2B_FIELD_ENCRYPTION_KEYS = [OLD_KEY]


def _endpoint(dealer, url="http://127.0.0.1:9/x"):
    return webhook_endpoint_create(dealer=dealer, url=url, events=[WebhookEvent.ORDER_STATUS_CHANGED])


def _deliver(dealer, key: str) -> int:
    [pk] = event_record(dealer_id=dealer.pk, event=WebhookEvent.ORDER_STATUS_CHANGED, event_key=key, data={})
    return pk


def test_the_secret_is_stored_encrypted_with_a_hint():
    dealer, _p, _m = api_shop()
    endpoint, secret = _endpoint(dealer)
    endpoint.refresh_from_db()
    assert secret not in endpoint.secret_encrypted and decrypt(endpoint.secret_encrypted) == secret
    assert endpoint.secret_hint == secret[:10] and signing_secrets(endpoint) == [secret]


def test_rolling_signs_with_both_secrets_for_a_day_then_only_the_new():
    dealer, _p, admin = api_shop(role=DealerUser.Role.ADMIN)
    with Receiver() as receiver:
        endpoint, first = _endpoint(dealer, receiver.url)
        endpoint, second = webhook_secret_roll(endpoint=endpoint, actor=admin.user, dealer=dealer)
        assert second != first and endpoint.previous_secret_until > timezone.now() + ROLL_OVERLAP - timedelta(1)
        assert delivery_send(_deliver(dealer, "s:1")) is True
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(previous_secret_until=timezone.now())  # a day later
        assert delivery_send(_deliver(dealer, "s:2")) is True
    (during, body1), (after, body2) = receiver.requests
    stamp1, header1 = during["B2B-Webhook-Timestamp"], during["B2B-Webhook-Signature"]
    # In the window: "v1=<new>,v1=<previous>", the new one first; a receiver with either secret accepts it.
    assert header1 == f"{signature(second, int(stamp1), body1)},{signature(first, int(stamp1), body1)}"
    assert signature_valid(first, stamp1, body1, header1) and signature_valid(second, stamp1, body1, header1)
    # After it: only the new one.
    stamp2, header2 = after["B2B-Webhook-Timestamp"], after["B2B-Webhook-Signature"]
    assert header2 == signature(second, int(stamp2), body2) and "," not in header2
    assert not signature_valid(first, stamp2, body2, header2) and signature_valid(second, stamp2, body2, header2)


def test_the_previous_secret_ends_with_its_window():
    dealer, _p, admin = api_shop()
    endpoint, first = _endpoint(dealer)
    endpoint, second = webhook_secret_roll(endpoint=endpoint, actor=admin.user)
    assert signing_secrets(endpoint) == [second, first]
    assert signing_secrets(endpoint, now=timezone.now() + ROLL_OVERLAP + timedelta(minutes=1)) == [second]
    endpoint, third = webhook_secret_roll(endpoint=endpoint, actor=admin.user)
    assert signing_secrets(endpoint) == [third, second]  # rolled again: the oldest is gone at once


def test_a_roll_is_audited_with_who_and_the_hints():
    dealer, _p, admin = api_shop(role=DealerUser.Role.ADMIN)
    endpoint, first = _endpoint(dealer)
    endpoint, second = webhook_secret_roll(endpoint=endpoint, actor=admin.user, dealer=dealer)
    change = DealerChange.objects.get(dealer=dealer, field="webhook_secret_rolled")
    assert (change.old_value, change.new_value) == (first[:10], second[:10])
    assert change.actor == admin.user and change.source == DealerChange.Source.DEALER
    assert change.subject == endpoint.url and "valid until" in change.reason
    assert first not in change.reason + change.old_value and second not in change.new_value


def test_another_dealers_endpoint_cannot_be_rolled_by_the_service():
    dealer, _p, _m = api_shop()
    other, _p2, other_admin = api_shop()
    endpoint, first = _endpoint(dealer)
    with pytest.raises(PermissionDenied):
        webhook_secret_roll(endpoint=endpoint, actor=other_admin.user, dealer=other)
    endpoint.refresh_from_db()
    assert signing_secrets(endpoint) == [first] and not DealerChange.objects.filter(dealer=dealer).exists()


def test_a_secret_no_key_decrypts_fails_the_delivery_visibly(settings, admin_client_factory):
    dealer, _p, admin = api_shop(role=DealerUser.Role.ADMIN)
    with Receiver() as receiver:
        endpoint, _secret = _endpoint(dealer, receiver.url)
        settings.B2B_FIELD_ENCRYPTION_KEYS = [NEW_KEY]  # the key it was stored with was removed
        pk = _deliver(dealer, "s:1")
        assert delivery_send(pk) is False
    assert receiver.requests == []  # nothing unsigned or wrongly signed left the portal
    delivery = WebhookDelivery.objects.get(pk=pk)
    attempt = WebhookAttempt.objects.get(delivery=delivery)
    assert "cannot be decrypted" in delivery.last_error and attempt.error == delivery.last_error
    assert delivery.status == WebhookDelivery.Status.PENDING  # sent once the key is back or the secret rolled
    endpoint.refresh_from_db()
    assert not endpoint.is_active and "cannot be decrypted" in endpoint.disabled_reason
    notice = Notification.objects.get(kind="webhook_endpoint_disabled", recipient=admin.user)
    assert notice.params["reason"] == "secret_unreadable"
    for language, phrase in (("en", "signing secret cannot be decrypted"), ("tr", "imza sırrı çözülemiyor")):
        notice.language = language
        assert phrase in message(notice).body and "times in a row" not in message(notice).body
    with pytest.raises(SecretUnreadable):
        signing_secrets(endpoint)
    # The dealer admin's pages show the reason; no error page.
    client = admin_client_factory(admin)
    for url in ("/account/webhooks/", f"/account/webhooks/{endpoint.pk}/"):
        response = client.get(url)
        assert response.status_code == 200 and "cannot be decrypted" in response.content.decode()


def test_rolling_an_unreadable_secret_keeps_no_previous_one(settings):
    dealer, _p, admin = api_shop()
    endpoint, _lost = _endpoint(dealer)
    settings.B2B_FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    endpoint, secret = webhook_secret_roll(endpoint=endpoint, actor=admin.user)
    assert signing_secrets(endpoint) == [secret] and endpoint.previous_secret_until is None
    assert "not kept" in DealerChange.objects.get(field="webhook_secret_rolled").reason


@pytest.fixture
def admin_client_factory(client):
    def signed_in(dealer_user):
        client.force_login(dealer_user.user)
        return client

    return signed_in


def test_the_dealer_admin_rolls_the_secret_and_sees_it_once(admin_client_factory):
    dealer, _p, admin = api_shop(role=DealerUser.Role.ADMIN)
    endpoint, first = _endpoint(dealer)
    client = admin_client_factory(admin)
    response = client.post(f"/account/webhooks/{endpoint.pk}/roll-secret/")
    assert response.status_code == 200
    second = response.context["new_secret"]
    endpoint.refresh_from_db()
    assert second != first and signing_secrets(endpoint) == [second, first]
    assert second in response.content.decode()
    page = client.get(f"/account/webhooks/{endpoint.pk}/").content.decode()
    assert second not in page and first not in page and f"{second[:10]}…" in page
    assert client.get(f"/account/webhooks/{endpoint.pk}/roll-secret/").status_code == 405  # a POST only


def test_a_dealer_user_who_is_not_admin_cannot_roll(admin_client_factory):
    dealer, _p, _admin = api_shop(role=DealerUser.Role.ADMIN)
    buyer = DealerUserFactory(dealer=dealer, role=DealerUser.Role.BUYER)
    endpoint, first = _endpoint(dealer)
    response = admin_client_factory(buyer).post(f"/account/webhooks/{endpoint.pk}/roll-secret/")
    assert response.status_code == 403
    endpoint.refresh_from_db()
    assert signing_secrets(endpoint) == [first] and not DealerChange.objects.exists()


def test_another_dealers_endpoint_is_not_found(admin_client_factory):
    dealer, _p, _m = api_shop()
    _other, _p2, other_admin = api_shop(role=DealerUser.Role.ADMIN)
    endpoint, first = _endpoint(dealer)
    client = admin_client_factory(other_admin)
    assert client.post(f"/account/webhooks/{endpoint.pk}/roll-secret/").status_code == 404
    assert client.get(f"/account/webhooks/{endpoint.pk}/").status_code == 404
    endpoint.refresh_from_db()
    assert signing_secrets(endpoint) == [first]


def test_staff_roll_in_the_admin_and_see_the_secret_once(staff_client, superuser):
    dealer, _p, _m = api_shop()
    endpoint, first = _endpoint(dealer)
    response = staff_client.post(
        "/admin/api/webhookendpoint/", {"action": "roll_secret", "_selected_action": [endpoint.pk]}
    )
    assert response.status_code == 302
    endpoint.refresh_from_db()
    second = signing_secrets(endpoint)[0]
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert second != first and any(second in text for text in shown)
    assert second in staff_client.get("/admin/api/webhookendpoint/").content.decode()  # the message, once
    page = staff_client.get(f"/admin/api/webhookendpoint/{endpoint.pk}/change/").content.decode()
    assert second not in page and first not in page and second[:10] in page
    change = DealerChange.objects.get(field="webhook_secret_rolled")
    assert change.actor == superuser and change.source == DealerChange.Source.STAFF


@pytest.mark.django_db(transaction=True)
def test_the_migration_encrypts_a_plain_secret_and_back():
    executor = MigrationExecutor(connection)
    before, after = [("api", "0002_webhook_secret_encrypted_fields")], [("api", "0004_remove_webhook_plain_secret")]
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    dealer_id = api_shop()[0].pk
    OldEndpoint = old_apps.get_model("api", "WebhookEndpoint")
    plain = "whsec_plain-from-before-0123456789"
    row = OldEndpoint.objects.create(dealer_id=dealer_id, url="https://93.184.215.14/h", events=[], secret=plain)
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    endpoint = WebhookEndpoint.objects.get(pk=row.pk)
    assert plain not in endpoint.secret_encrypted and signing_secrets(endpoint) == [plain]
    assert endpoint.secret_hint == plain[:10]
    executor = MigrationExecutor(connection)
    executor.migrate(before)  # and back: the plain secret again
    assert OldEndpoint.objects.get(pk=row.pk).secret == plain
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes("api"))


def test_encryption_rotate_moves_every_secret_to_the_new_key(settings):
    dealer, _p, admin = api_shop()
    endpoint, first = _endpoint(dealer)
    endpoint, second = webhook_secret_roll(endpoint=endpoint, actor=admin.user)
    settings.B2B_FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]  # a new key put first
    out = StringIO()
    call_command("encryption_rotate", stdout=out)
    assert "2 values" in out.getvalue()
    settings.B2B_FIELD_ENCRYPTION_KEYS = [NEW_KEY]  # the old one removed
    endpoint.refresh_from_db()
    assert signing_secrets(endpoint) == [second, first]


def test_encryption_rotate_names_a_secret_no_key_decrypts(settings):
    dealer, _p, _m = api_shop()
    endpoint, _secret = _endpoint(dealer)
    settings.B2B_FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    with pytest.raises(CommandError, match=f"api.WebhookEndpoint #{endpoint.pk} secret_encrypted"):
        call_command("encryption_rotate", stdout=StringIO())
    settings.B2B_FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    endpoint.refresh_from_db()
    assert len(signing_secrets(endpoint)) == 1  # left as it was: the old key still reads it
