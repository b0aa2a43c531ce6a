"""Two-factor authentication for staff: when required, the admin asks for a one-time code."""

import pytest
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.tests.factories import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return UserFactory(is_staff=True, is_superuser=True)


def admin_login(client, user, otp_token=None, device=None):
    data = {"username": user.email, "password": TEST_PASSWORD, "next": reverse("admin:index")}
    if otp_token is not None:
        data["otp_token"] = otp_token
        data["otp_device"] = device.persistent_id
    return client.post(reverse("admin:login"), data, REMOTE_ADDR="10.1.1.1")


def test_without_2fa_required_staff_sign_in_with_password(client, staff, settings):
    settings.B2B_ADMIN_REQUIRE_2FA = False
    assert admin_login(client, staff).status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_with_2fa_required_a_password_alone_is_not_enough(client, staff, settings):
    settings.B2B_ADMIN_REQUIRE_2FA = True
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    token = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    wrong = f"{(token + 1) % 1000000:06d}"
    response = admin_login(client, staff, otp_token=wrong, device=device)
    assert response.status_code == 200
    assert client.get(reverse("admin:index")).status_code == 302


def test_with_2fa_required_a_valid_code_lets_staff_in(client, staff, settings):
    settings.B2B_ADMIN_REQUIRE_2FA = True
    device = TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)
    token = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    response = admin_login(client, staff, otp_token=f"{token:06d}", device=device)
    assert response.status_code == 302
    assert client.get(reverse("admin:index")).status_code == 200


def test_dealer_users_cannot_enter_the_admin(client):
    from dealers.tests.factories import DealerUserFactory

    member = DealerUserFactory()
    client.force_login(member.user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert reverse("admin:login") in response.url
