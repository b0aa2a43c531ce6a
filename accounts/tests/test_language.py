import pytest
from django.urls import reverse

from accounts.services import user_set_language
from accounts.tests.factories import UserFactory
from dealers.tests.factories import DealerUserFactory

pytestmark = pytest.mark.django_db


def test_browser_language_is_used_for_anonymous_visitors(client):
    response = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="tr-TR,tr;q=0.9")
    assert response.headers["Content-Language"] == "tr"
    assert "Bayi portalına giriş" in response.content.decode()


def test_english_browser_gets_english(client):
    response = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
    assert response.headers["Content-Language"] == "en"
    assert "Sign in to the dealer portal" in response.content.decode()


def test_the_users_choice_wins_over_the_browser_and_is_remembered(client):
    member = DealerUserFactory()
    client.force_login(member.user)
    response = client.post(reverse("accounts:language_set"), {"language": "tr", "next": "/"})
    assert response.status_code == 302
    member.user.refresh_from_db()
    assert member.user.language == "tr"
    client.cookies.pop("django_language", None)
    home = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")
    assert home.headers["Content-Language"] == "tr"
    assert "Kullanılabilir kredi" in home.content.decode()


def test_unknown_language_is_ignored(client):
    member = DealerUserFactory()
    client.force_login(member.user)
    client.post(reverse("accounts:language_set"), {"language": "xx", "next": "/"})
    member.user.refresh_from_db()
    assert member.user.language == ""


def test_language_switch_does_not_redirect_off_site(client):
    response = client.post(reverse("accounts:language_set"), {"language": "en", "next": "https://evil.example.com/"})
    assert response.url == "/"


def test_service_refuses_an_unsupported_language():
    user = UserFactory()
    with pytest.raises(ValueError, match="Unsupported language"):
        user_set_language(user=user, language="de")
