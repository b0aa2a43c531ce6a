import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.tests.factories import TEST_PASSWORD, UserFactory
from dealers.tests.factories import DealerUserFactory

pytestmark = pytest.mark.django_db


def login(client, email, password, ip="10.0.0.1"):
    return client.post(reverse("accounts:login"), {"username": email, "password": password}, REMOTE_ADDR=ip)


def test_dealer_user_logs_in_with_email_and_lands_on_home(client):
    member = DealerUserFactory()
    response = login(client, member.user.email.upper(), TEST_PASSWORD)
    assert response.status_code == 302
    assert response.url == reverse("home")
    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert member.dealer.title in home.content.decode()


def test_wrong_password_is_refused_with_a_message(client):
    member = DealerUserFactory()
    response = login(client, member.user.email, "not-the-password")
    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_home_requires_login(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("accounts:login"))


def test_logout_ends_the_session(client):
    member = DealerUserFactory()
    client.force_login(member.user)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 302


def test_logout_by_get_is_not_allowed(client):
    member = DealerUserFactory()
    client.force_login(member.user)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.get(reverse("home")).status_code == 200


def test_password_reset_flow(client):
    member = DealerUserFactory()
    response = client.post(reverse("accounts:password_reset"), {"email": member.user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/password-reset/\S+/\S+/)", mail.outbox[0].body).group(1)
    response = client.get(link, follow=True)
    assert response.status_code == 200
    form_url = response.redirect_chain[-1][0]
    new_password = "a-much-Better-passw0rd"
    response = client.post(form_url, {"new_password1": new_password, "new_password2": new_password})
    assert response.status_code == 302
    assert response.url == reverse("accounts:password_reset_complete")
    client.logout()
    assert login(client, member.user.email, new_password).status_code == 302


def test_password_reset_refuses_a_weak_password(client):
    member = DealerUserFactory()
    client.post(reverse("accounts:password_reset"), {"email": member.user.email})
    link = re.search(r"https?://[^/]+(/accounts/password-reset/\S+/\S+/)", mail.outbox[0].body).group(1)
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0]
    response = client.post(form_url, {"new_password1": "12345", "new_password2": "12345"})
    assert response.status_code == 200
    member.user.refresh_from_db()
    assert member.user.check_password(TEST_PASSWORD)


def test_password_reset_for_unknown_address_sends_nothing_and_reveals_nothing(client):
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.com"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_reset_link_cannot_be_tampered(client):
    response = client.get(reverse("accounts:password_reset_confirm", args=["MQ", "bad-token"]))
    assert response.status_code == 200
    assert "cannot be used" in response.content.decode()


def test_lockout_is_per_username_and_ip(client):
    """Five failures lock that e-mail from that IP only: a colleague behind another IP still signs in."""
    member = DealerUserFactory()
    for _ in range(5):
        login(client, member.user.email, "wrong", ip="203.0.113.9")
    locked = login(client, member.user.email, TEST_PASSWORD, ip="203.0.113.9")
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    ok = login(client, member.user.email, TEST_PASSWORD, ip="198.51.100.7")
    assert ok.status_code == 302


def test_lockout_of_one_user_does_not_lock_another_user_on_the_same_ip(client):
    attacked = DealerUserFactory()
    colleague = DealerUserFactory()
    for _ in range(5):
        login(client, attacked.user.email, "wrong", ip="203.0.113.9")
    assert login(client, colleague.user.email, TEST_PASSWORD, ip="203.0.113.9").status_code == 302


def test_user_without_dealer_is_refused_the_dealer_pages(client):
    user = UserFactory()
    client.force_login(user)
    assert client.get(reverse("home")).status_code == 403


def test_staff_without_dealer_goes_to_the_admin(client):
    staff = UserFactory(is_staff=True)
    client.force_login(staff)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url == reverse("admin:index")


def test_emails_are_unique_regardless_of_case():
    from django.db import IntegrityError, transaction

    UserFactory(email="ayse@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(email="AYSE@example.com")
