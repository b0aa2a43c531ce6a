"""Keys, clients and shops for the API's tests: every shop is made through the real factories and services."""

from __future__ import annotations

from rest_framework.test import APIClient

from api.models import Scope
from api.services import api_key_create
from dealers.models import DealerUser
from dealers.tests.factories import DealerAddressFactory, DealerUserFactory
from orders.tests.factories import make_shop

ALL_SCOPES = [Scope.READ, Scope.ORDER, Scope.ACCOUNT]


def key_for(dealer_user, scopes=None, **kwargs) -> tuple:
    """(key row, the key itself) for ``dealer_user``."""
    return api_key_create(dealer_user=dealer_user, name="test", scopes=scopes or ALL_SCOPES, **kwargs)


def client_for(dealer_user, scopes=None, **kwargs) -> APIClient:
    row, key = key_for(dealer_user, scopes, **kwargs)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    client.api_key = row
    client.dealer_user = dealer_user
    return client


def api_shop(*, role=DealerUser.Role.ADMIN, **kwargs):
    """A dealer with one priced product in stock and a default delivery address, and a user of it:
    (dealer, product, dealer user)."""
    dealer, product = make_shop(**kwargs)
    DealerAddressFactory(dealer=dealer, is_default=True)
    member = DealerUserFactory(dealer=dealer, role=role)
    return dealer, product, member
