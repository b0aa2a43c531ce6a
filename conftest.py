"""Shared fixtures: users with a dealer, staff, signed-in clients."""

import pytest

from accounts.models import User
from accounts.tests.factories import TEST_PASSWORD
from dealers.tests.factories import DealerUserFactory


@pytest.fixture
def dealer_user(db):
    return DealerUserFactory()


@pytest.fixture
def dealer_client(client, dealer_user):
    client.force_login(dealer_user.user)
    client.dealer_user = dealer_user
    return client


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("admin@example.com", TEST_PASSWORD)


@pytest.fixture
def staff_client(client, superuser):
    client.force_login(superuser)
    return client
