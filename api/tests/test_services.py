"""The API app's services and its place in the scoping gate: keys refused for inactive users, past expiries and
unknown scopes; the app's models registered with their path to the dealer, and a second path refused."""

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils import timezone

from api.keys import key_matches, key_prefix, new_key
from api.models import ApiKey, WebhookDelivery
from api.services import api_key_create, webhook_endpoint_create
from api.tests.factories import api_shop, key_for
from dealers.access import register_dealer_path, scoped
from dealers.models import DealerUser

pytestmark = pytest.mark.django_db


def test_key_material_round_trips_and_refuses_malformed_keys():
    key, prefix, digest = new_key()
    assert key_prefix(key) == prefix and key_matches(key, digest)
    assert not key_matches(key + "x", digest)
    assert key_prefix("b2b_short_x") is None and key_prefix("Bearer nonsense") is None


@pytest.mark.parametrize(
    "change", [{"scopes": []}, {"scopes": ["read", "admin"]}, {"expires_at": "past"}, {"inactive": True}]
)
def test_a_key_is_refused_for_bad_input(change):
    _dealer, _product, member = api_shop()
    kwargs = {"scopes": change.get("scopes", ["read"])}
    if change.get("expires_at"):
        kwargs["expires_at"] = timezone.now() - timedelta(minutes=1)
    if change.get("inactive"):
        DealerUser.objects.filter(pk=member.pk).update(is_active=False)
        member.refresh_from_db()
    with pytest.raises(ValidationError):
        api_key_create(dealer_user=member, name="x", **kwargs)
    assert not ApiKey.objects.exists()


def test_the_api_models_are_scoped_to_their_dealer(settings):
    settings.B2B_WEBHOOK_ALLOW_PRIVATE = True
    dealer, _product, member = api_shop()
    _other, _p, other_member = api_shop()
    key_for(member)
    key_for(other_member)
    webhook_endpoint_create(dealer=dealer, url="http://127.0.0.1:9/x", events=["quote.sent"])
    assert [k.dealer_id for k in scoped(ApiKey.objects.all(), member)] == [dealer.pk]
    assert scoped(WebhookDelivery.objects.all(), other_member).count() == 0


def test_a_second_path_for_a_registered_model_is_refused():
    register_dealer_path("api.apikey", "dealer")  # the same again is fine
    with pytest.raises(ImproperlyConfigured):
        register_dealer_path("api.apikey", "dealer_user__dealer")


def test_webhook_events_must_be_known(settings):
    settings.B2B_WEBHOOK_ALLOW_PRIVATE = True
    dealer, _product, _member = api_shop()
    with pytest.raises(ValidationError):
        webhook_endpoint_create(dealer=dealer, url="http://127.0.0.1:9/x", events=["order.teleported"])
