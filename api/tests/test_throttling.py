"""Requests per key: past the key's rate (or the portal's default) the answer is 429 with Retry-After, as a
problem document; another key of the same user has its own count."""

import pytest

from api.services import api_key_create
from api.tests.factories import api_shop, client_for

pytestmark = pytest.mark.django_db


def test_a_key_past_its_rate_gets_429_with_retry_after():
    _dealer, _product, member = api_shop()
    client = client_for(member, rate="2/min")
    assert [client.get("/api/v1/orders/").status_code for _ in range(2)] == [200, 200]
    refused = client.get("/api/v1/orders/")
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/problem+json"
    assert refused.json()["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 60
    assert client_for(member, rate="2/min").get("/api/v1/orders/").status_code == 200  # its own count


def test_the_default_rate_comes_from_the_settings(settings):
    settings.B2B_API_RATE = "1/hour"
    _dealer, _product, member = api_shop()
    client = client_for(member)
    assert client.get("/api/v1/orders/").status_code == 200
    refused = client.get("/api/v1/orders/")
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 60


def test_a_rate_that_is_not_a_rate_is_refused_when_the_key_is_made():
    _dealer, _product, member = api_shop()
    with pytest.raises(Exception, match="rate"):
        api_key_create(dealer_user=member, name="x", scopes=["read"], rate="lots")


def test_a_key_whose_rate_was_spoiled_by_hand_falls_back_to_the_default(settings):
    from api.models import ApiKey

    settings.B2B_API_RATE = "1/hour"
    _dealer, _product, member = api_shop()
    client = client_for(member)
    ApiKey.objects.filter(pk=client.api_key.pk).update(rate="many")
    assert client.get("/api/v1/orders/").status_code == 200
    assert client.get("/api/v1/orders/").status_code == 429
