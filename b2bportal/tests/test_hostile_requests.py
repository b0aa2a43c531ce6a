"""Requests no browser sends (NUL bytes in the address, absurd amounts, unknown providers, a sign-in loop) are
answered with a clean 400 or 404, never a server error."""

import pytest
from django.test import Client
from django.urls import reverse

from payments import views as payment_views

pytestmark = pytest.mark.django_db


@pytest.fixture
def quiet_client(dealer_client):
    dealer_client.raise_request_exception = False
    return dealer_client


@pytest.mark.parametrize(
    "path",
    [
        "/orders/%00/",
        "/orders/A%00B/pdf/",
        "/catalog/p/%00/",
        "/catalog/p/SKU%00/",
        "/payments/sandbox/%00/",
        "/payments/sandbox/x%00/3ds/",
        "/orders/?q=%00",
        "/catalog/?q=a%00b",
    ],
)
def test_nul_bytes_in_the_address_are_a_bad_request(quiet_client, path):
    assert quiet_client.get(path).status_code == 400


def test_nul_byte_in_the_card_payment_address_is_a_bad_request(quiet_client):
    assert quiet_client.post("/payments/orders/%00/card/").status_code == 400


def test_a_normal_address_still_works(quiet_client):
    assert quiet_client.get("/orders/NO-SUCH-ORDER/").status_code == 404
    assert quiet_client.get("/catalog/p/NO-SUCH-SKU/").status_code == 404


@pytest.mark.parametrize("amount", ["1e20", "99999999999999999", "1E+400", "NaN", "Infinity"])
def test_an_absurd_amount_on_account_is_a_form_error(quiet_client, amount):
    response = quiet_client.post(reverse("payments:account_pay"), {"amount": amount})
    assert response.status_code == 200
    assert response.context["form"].errors["amount"]


@pytest.mark.parametrize("kind", ["callback", "return"])
def test_an_unknown_payment_provider_is_not_found(kind):
    client = Client(raise_request_exception=False)
    assert client.post(f"/payments/{kind}/no-such-provider/", {"x": "1"}).status_code == 404
    assert client.get("/payments/return/no-such-provider/").status_code == 404


def test_the_sign_in_page_naming_itself_as_next_sends_a_signed_in_user_home(quiet_client):
    response = quiet_client.get("/accounts/login/?next=/accounts/login/")
    assert response.status_code == 302
    assert response.url == reverse("home")


def test_the_sign_in_page_still_follows_a_safe_next_for_a_signed_in_user(quiet_client):
    response = quiet_client.get("/accounts/login/?next=/orders/")
    assert response.status_code == 302
    assert response.url == "/orders/"


def test_the_card_provider_gets_the_clients_address_behind_the_proxy(quiet_client, settings, monkeypatch):
    seen = []
    real_start = payment_views.payment_start

    def recording_start(**kwargs):
        seen.append(kwargs["ip"])
        return real_start(**kwargs)

    monkeypatch.setattr(payment_views, "payment_start", recording_start)
    settings.B2B_PROXY_COUNT = 1
    response = quiet_client.post(
        reverse("payments:account_pay"), {"amount": "10"}, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.4"
    )
    assert response.status_code == 302
    assert seen == ["198.51.100.4"]
