"""Idempotency-Key on creating POSTs: replay of the stored status and body, 422 for the same key with another body,
one order from concurrent duplicates (threads on PostgreSQL), refusals kept like successes, and the purge."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from api.models import IdempotencyRecord
from api.tasks import idempotency_keys_purge
from api.tests.factories import api_shop, client_for
from orders.models import Order


def _order(client, quantity="1", key="key-1"):
    return client.post(
        "/api/v1/orders/",
        {"lines": [{"sku": client.sku, "quantity": quantity}]},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )


@pytest.fixture
def client(db):
    _dealer, product, member = api_shop()
    client = client_for(member)
    client.sku = product.sku
    return client


def test_missing_key_is_refused(client):
    response = client.post("/api/v1/orders/", {"lines": [{"sku": client.sku, "quantity": "1"}]}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "idempotency_key_missing"
    assert Order.objects.count() == 0


def test_same_key_and_body_replays_the_stored_response(client):
    first = _order(client)
    second = _order(client)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true" and second["Location"] == first["Location"]
    assert Order.objects.count() == 1


def test_same_key_with_another_body_is_422(client):
    _order(client)
    response = _order(client, quantity="2")
    assert response.status_code == 422
    assert response.json()["code"] == "idempotency_key_reused"
    assert Order.objects.count() == 1


def test_a_refusal_is_replayed_too(client):
    client.sku = "NO-SUCH-SKU"
    first = _order(client)
    assert first.status_code == 422 and first.json()["code"] == "lines_refused"
    second = _order(client)
    assert second.status_code == 422 and second.json() == first.json() and second["Idempotent-Replayed"] == "true"


def test_keys_are_per_api_key(client):
    _order(client)
    other = client_for(client.dealer_user)
    other.sku = client.sku
    assert _order(other).status_code == 201
    assert Order.objects.count() == 2


def test_old_keys_are_purged_and_may_be_used_again(client):
    _order(client)
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert idempotency_keys_purge() == 1
    assert IdempotencyRecord.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_make_one_order():
    assert connection.vendor == "postgresql"
    _dealer, product, member = api_shop(stock="100")
    client = client_for(member)
    client.sku = product.sku
    barrier = threading.Barrier(4)
    answers = []

    def send():
        from rest_framework.test import APIClient

        own = APIClient()
        own.credentials(HTTP_AUTHORIZATION=client._credentials["HTTP_AUTHORIZATION"])
        own.sku = product.sku
        barrier.wait()
        try:
            answers.append(_order(own, key="same"))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [201] * 4
    assert len({a.json()["number"] for a in answers}) == 1
    assert Order.objects.count() == 1
    assert sum(a.has_header("Idempotent-Replayed") for a in answers) == 3


def test_a_key_past_its_hours_is_free_again_before_the_purge(client):
    first = _order(client)
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(hours=25))
    again = _order(client, quantity="2")  # another body: not a conflict, the old answer is forgotten
    assert again.status_code == 201 and not again.has_header("Idempotent-Replayed")
    assert again.json()["number"] != first.json()["number"]
    assert IdempotencyRecord.objects.count() == 1
