"""The dealer admin's pages: a key is shown once and stored hashed, revoked at once; buyers cannot reach the
pages; webhook addresses are registered with their secret, private addresses refused; staff create keys in the
admin too."""

import pytest
from django.contrib.messages import get_messages
from rest_framework.test import APIClient

from api.keys import key_digest
from api.models import ApiKey, WebhookEndpoint
from api.tests.factories import api_shop, key_for
from dealers.models import DealerUser

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    _dealer, _product, admin = api_shop(role=DealerUser.Role.ADMIN)
    client.force_login(admin.user)
    client.dealer_user = admin
    return client


def test_the_dealer_admin_creates_a_key_shown_once_and_stored_hashed(admin_client):
    member = admin_client.dealer_user
    response = admin_client.post(
        "/account/api-keys/", {"name": "ERP link", "dealer_user": member.pk, "scopes": ["read", "order"]}
    )
    assert response.status_code == 200
    key = response.context["new_key"]
    row = ApiKey.objects.get()
    assert row.digest == key_digest(key) and row.scopes == ["read", "order"] and row.created_by == member.user
    page = admin_client.get("/account/api-keys/").content.decode()
    assert row.prefix in page and key not in page  # the list shows the prefix, never the key again
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get("/api/v1/products/").status_code == 200


def test_a_key_needs_a_scope(admin_client):
    response = admin_client.post("/account/api-keys/", {"name": "x", "dealer_user": admin_client.dealer_user.pk})
    assert response.status_code == 200 and response.context["form"].errors["scopes"]
    assert not ApiKey.objects.exists()


def test_revoking_stops_the_key_at_once(admin_client):
    row, key = key_for(admin_client.dealer_user)
    assert admin_client.post(f"/account/api-keys/{row.pk}/revoke/").status_code == 302
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert api.get("/api/v1/products/").status_code == 401


def test_another_dealers_key_cannot_be_revoked(admin_client):
    _d, _p, other = api_shop()
    row, _key = key_for(other)
    assert admin_client.post(f"/account/api-keys/{row.pk}/revoke/").status_code == 404
    row.refresh_from_db()
    assert row.revoked_at is None


def test_buyers_do_not_reach_the_pages(client):
    _d, _p, buyer = api_shop(role=DealerUser.Role.BUYER)
    client.force_login(buyer.user)
    assert client.get("/account/api-keys/").status_code == 403
    assert client.get("/account/webhooks/").status_code == 403


def test_webhook_registration_shows_the_secret_and_refuses_private_addresses(admin_client, settings):
    settings.B2B_WEBHOOK_ALLOW_PRIVATE = False
    refused = admin_client.post("/account/webhooks/", {"url": "https://10.1.2.3/hook", "events": ["order.shipped"]})
    assert refused.context["form"].errors["url"] and not WebhookEndpoint.objects.exists()
    created = admin_client.post(
        "/account/webhooks/", {"url": "https://93.184.215.14/hook", "events": ["order.shipped", "quote.sent"]}
    )
    endpoint = WebhookEndpoint.objects.get()
    secret = created.context["new_secret"]
    assert endpoint.events == ["order.shipped", "quote.sent"] and secret.startswith("whsec_")
    assert secret in created.content.decode() and secret not in endpoint.secret_encrypted
    assert endpoint.secret_hint == secret[:10]
    # Shown once: neither the list nor the address's page shows it again, only its hint.
    for url in ("/account/webhooks/", f"/account/webhooks/{endpoint.pk}/"):
        page = admin_client.get(url).content.decode()
        assert secret not in page and f"{endpoint.secret_hint}…" in page


def test_staff_create_a_key_in_the_admin_shown_once(staff_client):
    _d, _p, member = api_shop()
    response = staff_client.post(
        "/admin/api/apikey/add/",
        {"dealer_user": member.pk, "name": "Staff made", "scopes": ["read"], "expires_at_0": "", "expires_at_1": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    row = ApiKey.objects.get()
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    key = next(text.split(": ", 1)[1] for text in shown if "b2b_" in text)
    assert row.digest == key_digest(key) and row.dealer == member.dealer


def test_admin_lists_and_pages_of_keys_endpoints_and_deliveries(staff_client, settings):
    from api.models import WebhookDelivery
    from api.services import webhook_endpoint_create
    from api.webhooks import event_record

    settings.B2B_WEBHOOK_ALLOW_PRIVATE = True
    dealer, _p, member = api_shop()
    row, _key = key_for(member)
    endpoint, _secret = webhook_endpoint_create(
        dealer=dealer, url="http://127.0.0.1:9/x", events=["order.status_changed"]
    )
    event_record(dealer_id=dealer.pk, event="order.status_changed", event_key="s:1", data={"order": "P1"})
    delivery = WebhookDelivery.objects.get()
    for url in (
        "/admin/api/apikey/",
        f"/admin/api/apikey/{row.pk}/change/",
        "/admin/api/webhookendpoint/",
        f"/admin/api/webhookendpoint/{endpoint.pk}/change/",
        "/admin/api/webhookdelivery/",
        f"/admin/api/webhookdelivery/{delivery.pk}/change/",
    ):
        assert staff_client.get(url).status_code == 200, url
    revoked = staff_client.post("/admin/api/apikey/", {"action": "revoke", "_selected_action": [row.pk]})
    assert revoked.status_code == 302
    row.refresh_from_db()
    assert row.revoked_at is not None
