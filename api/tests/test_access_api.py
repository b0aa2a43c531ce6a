"""Who reaches what: API keys (wrong, revoked, expired, moved to another dealer; a deactivated user or dealer refused
with the reason), the browser session, scopes, the account's
visibility, and the scoping gate over every endpoint — another dealer's ids answer 404, exactly like missing ones."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from api.models import ApiKey, Scope
from api.services import api_key_revoke
from api.tests.factories import api_shop, client_for, key_for
from dealers.models import Dealer, DealerDocument, DealerUser
from orders.models import Order
from orders.tests.factories import OrderFactory
from orders.tests.quote_factories import sent_quote, staff_user

pytestmark = pytest.mark.django_db


def test_a_valid_key_signs_in_and_is_stored_hashed():
    _dealer, _product, member = api_shop()
    row, key = key_for(member)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get("/api/v1/orders/").status_code == 200
    row.refresh_from_db()
    assert row.last_used_at is not None
    assert key not in {row.digest, row.prefix} and key.startswith(f"b2b_{row.prefix}_")
    assert not ApiKey.objects.filter(digest=key).exists()


@pytest.mark.parametrize("spoil", ["wrong_secret", "revoked", "expired", "moved_dealer", "no_such_prefix"])
def test_refused_keys_answer_401_as_a_problem(spoil):
    _dealer, _product, member = api_shop()
    row, key = key_for(member)
    if spoil == "wrong_secret":
        key = key[:-4] + "AAAA"
    elif spoil == "revoked":
        api_key_revoke(api_key=row)
    elif spoil == "expired":
        ApiKey.objects.filter(pk=row.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    elif spoil == "moved_dealer":
        other, _p, _m = api_shop()
        DealerUser.objects.filter(pk=member.pk).update(dealer=other)
    else:
        key = "b2b_00000000_" + key.split("_", 2)[2]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    response = client.get("/api/v1/orders/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("spoil", ["membership", "user", "dealer"])
def test_a_right_key_of_a_deactivated_user_or_dealer_is_refused_naming_the_reason(spoil):
    dealer, _product, member = api_shop()
    _row, key = key_for(member)
    if spoil == "membership":
        DealerUser.objects.filter(pk=member.pk).update(is_active=False)
    elif spoil == "user":
        type(member.user).objects.filter(pk=member.user_id).update(is_active=False)
    else:
        Dealer.objects.filter(pk=dealer.pk).update(status=Dealer.Status.INACTIVE)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    response = client.get("/api/v1/orders/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    expected = "dealer_deactivated" if spoil == "dealer" else "user_deactivated"
    assert body["code"] == expected and body["type"].endswith(f"/{expected}")
    assert "has been deactivated" in body["detail"] and "contact" in body["detail"]
    assert client.post("/api/v1/orders/", {}, format="json", HTTP_IDEMPOTENCY_KEY="x").status_code == 403
    assert Order.objects.count() == 0


def test_a_deactivated_users_wrong_key_still_says_nothing_of_the_reason():
    _dealer, _product, member = api_shop()
    _row, key = key_for(member)
    DealerUser.objects.filter(pk=member.pk).update(is_active=False)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key[:-4]}AAAA")
    response = client.get("/api/v1/orders/")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


def test_a_browser_session_of_a_user_deactivated_meanwhile_is_signed_out_of_the_api(client):
    _dealer, _product, member = api_shop()
    client.force_login(member.user)
    assert client.get("/api/v1/orders/", HTTP_ACCEPT="application/json").status_code == 200
    DealerUser.objects.filter(pk=member.pk).update(is_active=False)
    assert client.get("/api/v1/orders/", HTTP_ACCEPT="application/json").status_code == 401


def test_no_credentials_is_401():
    response = APIClient().get("/api/v1/products/")
    assert response.status_code == 401 and response.json()["status"] == 401


def test_a_signed_in_dealer_user_uses_the_browsable_api(client):
    _dealer, _product, member = api_shop()
    client.force_login(member.user)
    assert client.get("/api/v1/orders/", HTTP_ACCEPT="application/json").status_code == 200
    assert b"Order" in client.get("/api/v1/orders/", HTTP_ACCEPT="text/html").content


def test_a_read_key_cannot_order_and_an_order_key_cannot_read_the_account():
    _dealer, product, member = api_shop()
    reader = client_for(member, [Scope.READ])
    refused = reader.post(
        "/api/v1/orders/", {"lines": [{"sku": product.sku, "quantity": "1"}]}, format="json", HTTP_IDEMPOTENCY_KEY="a"
    )
    assert refused.status_code == 403 and refused.json()["code"] == "scope_missing"
    assert Order.objects.count() == 0
    orderer = client_for(member, [Scope.READ, Scope.ORDER])
    assert orderer.get("/api/v1/account/").json()["code"] == "scope_missing"
    assert client_for(member).get("/api/v1/account/").status_code == 200


def test_a_buyer_who_does_not_see_the_account_is_refused_it_whatever_the_key():
    _dealer, _product, buyer = api_shop(role=DealerUser.Role.BUYER)
    response = client_for(buyer).get("/api/v1/account/open-items/")
    assert response.status_code == 403 and response.json()["code"] == "account_not_visible"


def _other_dealers_things():
    """Another dealer's order, quote, document and a product only their price list carries."""
    other, product, member = api_shop()
    order = OrderFactory(dealer=other, placed_by=member.user, status="approved")
    quote = sent_quote(member, product, staff_user())
    document = DealerDocument.objects.create(
        dealer=other, order=order, kind=DealerDocument.Kind.INVOICE, number="INV-X1", issued_on=timezone.localdate()
    )
    return order, quote, document, product


ENDPOINTS = [
    ("get", "/api/v1/orders/{order}/"),
    ("get", "/api/v1/orders/{order}/history/"),
    ("post", "/api/v1/orders/{order}/cancel/"),
    ("get", "/api/v1/quotes/{quote}/"),
    ("post", "/api/v1/quotes/{quote}/accept/"),
    ("get", "/api/v1/documents/{document}/"),
    ("get", "/api/v1/documents/{document}/pdf/"),
    ("get", "/api/v1/products/{sku}/"),
    ("get", "/api/v1/products/{sku}/price/"),
]


@pytest.mark.parametrize(("method", "template"), ENDPOINTS)
def test_another_dealers_ids_answer_404_on_every_endpoint(method, template):
    order, quote, document, product = _other_dealers_things()
    _dealer, _own_product, member = api_shop()
    client = client_for(member)
    url = template.format(order=order.number, quote=quote.number, document=document.pk, sku=product.sku)
    response = getattr(client, method)(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="scoping")
    missing = getattr(client, method)(url.replace(str(order.number), "NOPE").replace(quote.number, "NOPE")
                                      .replace(f"/{document.pk}/", "/999999/").replace(product.sku, "NOPE"),
                                      {}, format="json", HTTP_IDEMPOTENCY_KEY="scoping-2")  # fmt: skip
    assert response.status_code == missing.status_code == 404
    assert response.json() == missing.json() | {"detail": response.json()["detail"]}
    assert response.json()["code"] == "not_found"
    order.refresh_from_db()
    assert order.status == "approved"


LISTS = ["/api/v1/orders/", "/api/v1/quotes/", "/api/v1/documents/", "/api/v1/stock/?sku={sku}"]


@pytest.mark.parametrize("template", LISTS)
def test_lists_show_nothing_of_another_dealer(template):
    *_others, product = _other_dealers_things()
    _dealer, _own_product, member = api_shop()
    body = client_for(member).get(template.format(sku=product.sku)).json()
    assert body["results"] == []


def test_account_figures_are_the_keys_own_dealers():
    api_shop(credit_limit="5000")
    _dealer, _product, member = api_shop(credit_limit="7000")
    body = client_for(member).get("/api/v1/account/").json()
    assert body["credit"]["credit_limit"] == str(Decimal("7000.00"))
    statement = client_for(member).get("/api/v1/account/statement/").json()
    assert statement["lines"] == [] and statement["opening"] == "0.00"


# Every route of the API and how the tests above show it keeps to the key's dealer: by id (another dealer's → 404),
# as a list (another dealer's rows absent), or answering the key's own dealer only (nothing of another's to name).
SCOPING_COVERED = {
    "order_detail": "id", "order_history": "id", "order_cancel": "id", "quote_detail": "id", "quote_accept": "id",
    "document_detail": "id", "document_pdf": "id", "product_detail": "id", "product_price": "id",
    "order_list": "list", "quote_list": "list", "document_list": "list", "stock": "list",
    "product_list": "own dealer's prices (test_catalogue_api)", "order_validate": "own dealer's prices",
    "account": "own", "open_items": "own", "statement": "own",
    "edi_orders": "own dealer's party (test_edi_api: another dealer's GLN is 403)",
    "schema": "public", "docs": "public", "redoc": "public",
}  # fmt: skip


def test_every_route_has_its_scoping_tested():
    from api.urls import urlpatterns

    assert {pattern.name for pattern in urlpatterns} == set(SCOPING_COVERED)
    assert len(ENDPOINTS) == sum(kind == "id" for kind in SCOPING_COVERED.values())
    assert len(LISTS) == sum(kind == "list" for kind in SCOPING_COVERED.values())


SCOPED = [
    ("get", "/api/v1/products/", Scope.READ),
    ("get", "/api/v1/products/{sku}/", Scope.READ),
    ("get", "/api/v1/products/{sku}/price/", Scope.READ),
    ("get", "/api/v1/stock/?sku={sku}", Scope.READ),
    ("get", "/api/v1/orders/", Scope.READ),
    ("post", "/api/v1/orders/", Scope.ORDER),
    ("post", "/api/v1/orders/validate/", Scope.ORDER),
    ("get", "/api/v1/orders/{order}/", Scope.READ),
    ("get", "/api/v1/orders/{order}/history/", Scope.READ),
    ("post", "/api/v1/orders/{order}/cancel/", Scope.ORDER),
    ("get", "/api/v1/quotes/", Scope.READ),
    ("get", "/api/v1/quotes/{quote}/", Scope.READ),
    ("post", "/api/v1/quotes/{quote}/accept/", Scope.ORDER),
    ("get", "/api/v1/documents/", Scope.READ),
    ("get", "/api/v1/documents/{document}/", Scope.READ),
    ("get", "/api/v1/documents/{document}/pdf/", Scope.READ),
    ("get", "/api/v1/account/", Scope.ACCOUNT),
    ("get", "/api/v1/account/open-items/", Scope.ACCOUNT),
    ("get", "/api/v1/account/statement/", Scope.ACCOUNT),
    ("post", "/api/v1/edi/orders/", Scope.ORDER),
]


@pytest.mark.parametrize(("method", "template", "scope"), SCOPED)
def test_every_endpoint_refuses_a_key_without_its_scope_and_serves_one_with_it(method, template, scope):
    order, quote, document, product = _other_dealers_things()  # this time the key's own dealer's
    member = DealerUser.objects.filter(dealer=order.dealer).order_by("pk").first()
    url = template.format(order=order.number, quote=quote.number, document=document.pk, sku=product.sku)
    others = [s for s in (Scope.READ, Scope.ORDER, Scope.ACCOUNT) if s != scope]
    refused = getattr(client_for(member, others), method)(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="s1")
    assert refused.status_code == 403 and refused.json()["code"] == "scope_missing"
    allowed = getattr(client_for(member, [scope]), method)(url, {}, format="json", HTTP_IDEMPOTENCY_KEY="s2")
    assert allowed.status_code not in (401, 403), allowed.content[:300]


def test_every_route_but_the_schema_pages_has_its_scope_tested():
    assert len({template.split("?")[0] for _m, template, _s in SCOPED}) == len(SCOPING_COVERED) - 3
