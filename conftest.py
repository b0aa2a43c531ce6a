"""Shared fixtures: users with a dealer, signed-in clients."""

import pytest

from dealers.tests.factories import DealerUserFactory


@pytest.fixture
def dealer_user(db):
    return DealerUserFactory()


@pytest.fixture
def dealer_client(client, dealer_user):
    client.force_login(dealer_user.user)
    client.dealer_user = dealer_user
    return client
