"""Deactivated accounts: sign-in refused saying so and whom to contact — only after the right password — for a
deactivated user, dealer membership or dealer; a signed-in session ended on its next request with that message
instead of a 403; a password reset re-enables nothing."""

import re

import pytest
from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.urls import reverse

from accounts.tests.factories import TEST_PASSWORD, UserFactory
from dealers.models import Dealer, DealerUser, SalesRep
from dealers.tests.factories import DealerFactory, DealerUserFactory

pytestmark = pytest.mark.django_db


def login(client, email, password, language="en"):
    return client.post(
        reverse("accounts:login"),
        {"username": email, "password": password},
        REMOTE_ADDR="10.0.0.1",
        HTTP_ACCEPT_LANGUAGE=language,
    )


@pytest.fixture
def team(settings):
    settings.B2B_COMPANY_NAME = "Volta A.Ş."
    settings.B2B_COMPANY_EMAIL = "destek@volta.example"
    dealer = DealerFactory(title="Ege Yapı")
    admin = DealerUserFactory(dealer=dealer, user__full_name="Ayşe Admin", user__email="ayse@ege.example")
    buyer = DealerUserFactory(dealer=dealer, role=DealerUser.Role.BUYER)
    return dealer, admin, buyer


def deactivate(member):
    DealerUser.objects.filter(pk=member.pk).update(is_active=False)


def test_a_deactivated_membership_is_refused_at_sign_in_naming_the_dealers_admin(client, team):
    _dealer, _admin, buyer = team
    deactivate(buyer)
    response = login(client, buyer.user.email, TEST_PASSWORD)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Your access to the dealer portal for Ege Yapı has been deactivated" in html
    assert "Ayşe Admin &lt;ayse@ege.example&gt;" in html
    assert SESSION_KEY not in client.session


def test_the_refusal_is_in_turkish_for_a_turkish_reader(client, team):
    _dealer, _admin, buyer = team
    deactivate(buyer)
    html = login(client, buyer.user.email, TEST_PASSWORD, language="tr").content.decode()
    assert "Ege Yapı için bayi portalı erişiminiz devre dışı bırakıldı" in html


def test_a_wrong_password_does_not_tell_that_the_account_is_deactivated(client, team):
    _dealer, _admin, buyer = team
    deactivate(buyer)
    inactive_user = UserFactory(is_active=False)
    for email in (buyer.user.email, inactive_user.email):
        html = login(client, email, "not-the-password").content.decode()
        assert "not correct" in html and "deactivated" not in html
        assert SESSION_KEY not in client.session


def test_a_deactivated_user_is_refused_naming_the_company(client, settings):
    settings.B2B_COMPANY_NAME = "Volta A.Ş."
    settings.B2B_COMPANY_EMAIL = "destek@volta.example"
    user = UserFactory(is_active=False)
    html = login(client, user.email, TEST_PASSWORD).content.decode()
    assert "Your account has been deactivated. Please contact Volta A.Ş. (destek@volta.example)." in html
    assert SESSION_KEY not in client.session


def test_a_deactivated_dealer_is_refused_naming_its_sales_representative(client, team):
    dealer, _admin, buyer = team
    dealer.sales_rep = SalesRep.objects.create(code="P1", name="Murat Plasiyer", email="murat@volta.example")
    dealer.status = Dealer.Status.INACTIVE
    dealer.save()
    html = login(client, buyer.user.email, TEST_PASSWORD).content.decode()
    assert "The dealer account Ege Yapı has been deactivated. Please contact Murat Plasiyer" in html
    assert SESSION_KEY not in client.session


def test_a_quarantined_dealer_and_an_active_membership_still_sign_in(client, team):
    dealer, _admin, buyer = team
    Dealer.objects.filter(pk=dealer.pk).update(status=Dealer.Status.QUARANTINED)
    response = login(client, buyer.user.email, TEST_PASSWORD)
    assert response.status_code == 302 and client.session[SESSION_KEY] == str(buyer.user.pk)


def test_the_last_admin_deactivated_is_told_to_contact_the_company(client, team):
    _dealer, admin, _buyer = team
    deactivate(admin)
    html = login(client, admin.user.email, TEST_PASSWORD).content.decode()
    assert "has been deactivated. Please contact Volta A.Ş. (destek@volta.example)." in html


def test_staff_with_a_deactivated_membership_still_sign_in_to_the_admin(client):
    member = DealerUserFactory(user__is_staff=True)
    deactivate(member)
    assert login(client, member.user.email, TEST_PASSWORD).status_code == 302
    assert client.get(reverse("home")).url == reverse("admin:index")


def test_a_session_deactivated_meanwhile_ends_on_the_next_request_with_the_message(client, team):
    _dealer, _admin, buyer = team
    client.force_login(buyer.user)
    assert client.get(reverse("home")).status_code == 200
    deactivate(buyer)
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("accounts:login"))
    assert "Your access to the dealer portal for Ege Yapı has been deactivated" in response.content.decode()
    assert SESSION_KEY not in client.session
    assert client.get(reverse("home")).status_code == 302  # signed out for good, not a 403


def test_a_user_deactivated_meanwhile_is_signed_out_with_the_message(client, team):
    _dealer, _admin, buyer = team
    client.force_login(buyer.user)
    type(buyer.user).objects.filter(pk=buyer.user.pk).update(is_active=False)
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("accounts:login"))
    assert "Your access to the dealer portal for Ege Yapı has been deactivated" in response.content.decode()
    assert SESSION_KEY not in client.session


def test_a_dealer_deactivated_meanwhile_ends_its_users_sessions(client, team):
    dealer, _admin, buyer = team
    client.force_login(buyer.user)
    Dealer.objects.filter(pk=dealer.pk).update(status=Dealer.Status.INACTIVE)
    response = client.get(reverse("catalog:catalog_list"), HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "The dealer account Ege Yapı has been deactivated" in response.content.decode()
    assert SESSION_KEY not in client.session


def test_an_active_session_is_left_alone(client, team):
    _dealer, _admin, buyer = team
    client.force_login(buyer.user)
    for _ in range(2):
        assert client.get(reverse("home")).status_code == 200
    assert client.session[SESSION_KEY] == str(buyer.user.pk)


def reset_link(client, email):
    client.post(reverse("accounts:password_reset"), {"email": email})
    found = re.search(r"https?://[^/]+(/accounts/password-reset/\S+/\S+/)", mail.outbox[-1].body)
    return found.group(1)


def test_a_password_reset_does_not_reactivate_a_deactivated_membership(client, team):
    _dealer, _admin, buyer = team
    deactivate(buyer)
    link = reset_link(client, buyer.user.email)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    new_password = "a-much-Better-passw0rd"
    response = client.post(form_url, {"new_password1": new_password, "new_password2": new_password})
    assert response.status_code == 302
    buyer.refresh_from_db()
    assert not buyer.is_active and buyer.user.check_password(new_password)
    html = login(client, buyer.user.email, new_password).content.decode()
    assert "has been deactivated" in html and SESSION_KEY not in client.session


def test_a_deactivated_user_gets_no_reset_e_mail(client):
    user = UserFactory(is_active=False)
    response = client.post(reverse("accounts:password_reset"), {"email": user.email})
    assert response.status_code == 302 and mail.outbox == []
    user.refresh_from_db()
    assert not user.is_active


def test_the_admin_refuses_a_deactivated_staff_user_only_with_the_right_password(client):
    staff = UserFactory(is_staff=True, is_active=False)
    url = reverse("admin:login")
    wrong = client.post(url, {"username": staff.email, "password": "nope"}, HTTP_ACCEPT_LANGUAGE="en")
    assert "inactive" not in wrong.content.decode()
    right = client.post(url, {"username": staff.email, "password": TEST_PASSWORD}, HTTP_ACCEPT_LANGUAGE="en")
    assert right.status_code == 200 and "inactive" in right.content.decode()
    assert SESSION_KEY not in client.session
