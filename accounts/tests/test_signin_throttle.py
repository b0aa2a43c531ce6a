"""The sign-in throttle counts failures per account whatever its spelling, per client address behind trusted
proxies, and refuses an address that sprays passwords over many accounts."""

import pytest
from django.test import override_settings
from django.urls import reverse

from accounts.models import email_key
from accounts.signin import client_ip
from accounts.tests.factories import TEST_PASSWORD, UserFactory
from dealers.tests.factories import DealerUserFactory

pytestmark = pytest.mark.django_db

ATTACKER = "203.0.113.9"


def portal_login(client, email, password, ip=ATTACKER, **extra):
    return client.post(reverse("accounts:login"), {"username": email, "password": password}, REMOTE_ADDR=ip, **extra)


def admin_login(client, email, password, ip=ATTACKER):
    return client.post(reverse("admin:login"), {"username": email, "password": password}, REMOTE_ADDR=ip)


def spellings(email: str) -> list[str]:
    local, domain = email.split("@")
    return [email, email.upper(), f" {email}", f"{email}  ", f"{local.capitalize()}@{domain.upper()}"]


def test_email_key_folds_case_and_spaces_and_nothing_else():
    assert email_key("  BUYER@Example.COM ") == "buyer@example.com"
    assert email_key("buyer+a@example.com") != email_key("buyer@example.com")


@pytest.mark.parametrize("spelling", [0, 1, 2, 3, 4])
def test_after_five_failures_no_spelling_of_the_email_signs_in(client, spelling):
    member = DealerUserFactory()
    for _ in range(5):
        portal_login(client, member.user.email, "wrong-password")
    response = portal_login(client, spellings(member.user.email)[spelling], TEST_PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_guesses_spread_over_spellings_lock_the_account(client):
    member = DealerUserFactory()
    responses = [
        portal_login(client, spelling, f"guess-{n}") for n in range(4) for spelling in spellings(member.user.email)
    ]
    assert len(responses) == 20
    assert responses[-1].status_code == 429
    assert portal_login(client, member.user.email.upper(), TEST_PASSWORD).status_code == 429
    # The account's owner elsewhere still signs in: the lock is the account's from the attacker's address.
    assert portal_login(client, member.user.email, TEST_PASSWORD, ip="198.51.100.7").status_code == 302


def test_the_admin_login_counts_spellings_as_one_account(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    for spelling in spellings(staff.email):
        admin_login(client, spelling, "wrong-password")
    response = admin_login(client, staff.email.upper(), TEST_PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert admin_login(client, staff.email, TEST_PASSWORD, ip="198.51.100.7").status_code == 302


def test_a_correct_sign_in_under_another_spelling_still_works_before_the_limit(client):
    member = DealerUserFactory()
    for _ in range(3):
        portal_login(client, member.user.email, "wrong-password")
    assert portal_login(client, f" {member.user.email.upper()}", TEST_PASSWORD).status_code == 302


@override_settings(B2B_SIGNIN_IP_FAILURE_LIMIT=20)
def test_password_spraying_from_one_address_is_blocked(client):
    victims = [DealerUserFactory() for _ in range(6)]
    statuses = [
        portal_login(client, victim.user.email, f"Spring2026-{n}").status_code
        for victim in victims[:5]
        for n in range(4)
    ]
    # The 20th failure over five accounts, none of them locked on its own, locks the address.
    assert statuses == [200] * 19 + [429]
    last = victims[5]
    assert portal_login(client, last.user.email, TEST_PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session
    # Another address signs in as usual.
    assert portal_login(client, last.user.email, TEST_PASSWORD, ip="198.51.100.7").status_code == 302


@override_settings(B2B_SIGNIN_IP_FAILURE_LIMIT=20)
def test_failures_under_the_address_limit_do_not_block_the_address(client):
    victims = [DealerUserFactory() for _ in range(5)]
    for victim in victims[:4]:
        for n in range(4):
            portal_login(client, victim.user.email, f"Spring2026-{n}")
    assert portal_login(client, victims[4].user.email, TEST_PASSWORD).status_code == 302


def _request(rf, remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return rf.get("/", **extra)


def test_client_ip_without_proxies_is_the_peer_and_ignores_forwarded_headers(rf, settings):
    settings.B2B_PROXY_COUNT = 0
    assert client_ip(_request(rf, "192.0.2.1", "10.9.9.9")) == "192.0.2.1"


def test_client_ip_behind_proxies_takes_the_entry_the_outermost_proxy_appended(rf, settings):
    settings.B2B_PROXY_COUNT = 1
    # The client forged the first entry; the proxy appended the real address.
    assert client_ip(_request(rf, "10.0.0.2", "1.2.3.4, 198.51.100.20")) == "198.51.100.20"
    settings.B2B_PROXY_COUNT = 2
    assert client_ip(_request(rf, "10.0.0.2", "1.2.3.4, 198.51.100.20, 10.0.0.1")) == "198.51.100.20"
    # Fewer entries than trusted proxies: the peer's address, never a client-chosen one.
    assert client_ip(_request(rf, "10.0.0.2", "")) == "10.0.0.2"


def test_behind_the_proxy_an_attacker_cannot_lock_a_victim_out_for_everyone(client, settings):
    """All requests come from the proxy's address; the lock falls on the attacker's forwarded address only."""
    settings.B2B_PROXY_COUNT = 1
    member = DealerUserFactory()
    proxy = "10.0.0.2"
    for _ in range(5):
        portal_login(client, member.user.email, "wrong-password", ip=proxy, HTTP_X_FORWARDED_FOR=ATTACKER)
    assert (
        portal_login(client, member.user.email, TEST_PASSWORD, ip=proxy, HTTP_X_FORWARDED_FOR=ATTACKER).status_code
        == 429
    )
    # The victim, from their own address through the same proxy, signs in; a forged first entry changes nothing.
    victim = portal_login(
        client, member.user.email, TEST_PASSWORD, ip=proxy, HTTP_X_FORWARDED_FOR="203.0.113.9, 198.51.100.7"
    )
    assert victim.status_code == 302


def reset(client, email, ip=ATTACKER):
    return client.post(reverse("accounts:password_reset"), {"email": email}, REMOTE_ADDR=ip)


@override_settings(B2B_PASSWORD_RESET_PER_EMAIL=3, B2B_PASSWORD_RESET_PER_IP=10)
def test_password_reset_emails_are_limited_per_address_whatever_its_spelling(client, mailoutbox):
    member = DealerUserFactory()
    addresses = ["203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4", "203.0.113.5"]
    for ip, spelling in zip(addresses, spellings(member.user.email), strict=True):
        response = reset(client, spelling.strip(), ip=ip)
        # Same answer whether sent or not: the page never tells.
        assert response.status_code == 302
        assert response.url == reverse("accounts:password_reset_done")
    assert len(mailoutbox) == 3


@override_settings(B2B_PASSWORD_RESET_PER_EMAIL=3, B2B_PASSWORD_RESET_PER_IP=10)
def test_password_reset_requests_are_limited_per_client_address(client, mailoutbox):
    members = [DealerUserFactory() for _ in range(12)]
    for member in members:
        assert reset(client, member.user.email).status_code == 302
    assert len(mailoutbox) == 10
    # Another client address is not affected.
    reset(client, members[-1].user.email, ip="198.51.100.7")
    assert len(mailoutbox) == 11
