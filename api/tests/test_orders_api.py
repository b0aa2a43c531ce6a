"""Orders through the API: the dry run, placement through order_place, refusals as problem documents with the
placement rules' reason codes, the list, detail, history and cancellation."""

from decimal import Decimal

import pytest

from api.tests.factories import api_shop, client_for
from orders.models import Cart, Order
from orders.status import OrderStatus

pytestmark = pytest.mark.django_db
D = Decimal


def _order(client, body, key="k-1"):
    return client.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_dry_run_reports_each_row_and_saves_nothing():
    _dealer, product, member = api_shop()
    client = client_for(member)
    response = client.post(
        "/api/v1/orders/validate/",
        {"lines": [{"sku": product.sku, "quantity": "2"}, {"sku": "NOPE-1", "quantity": "1"}]},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["orderable"] is False
    assert [row["status"] for row in body["lines"]] == ["ok", "unknown_sku"]
    assert body["lines"][0]["price"]["net"] == "100.00"
    assert Order.objects.count() == 0


def test_order_is_placed_through_placement_and_leaves_no_list_behind():
    dealer, product, member = api_shop()
    client = client_for(member)
    response = _order(client, {"lines": [{"sku": product.sku, "quantity": "3"}], "po_number": "PO-7"})
    assert response.status_code == 201, response.json()
    body = response.json()
    order = Order.objects.get(number=body["number"])
    assert order.dealer == dealer and order.status == OrderStatus.APPROVED
    assert order.po_number == "PO-7" and order.total_net == D("300.00")
    assert [line["quantity"] for line in body["lines"]] == ["3.000"]
    assert response["Location"] == f"/api/v1/orders/{order.number}/"
    assert not Cart.objects.filter(dealer=dealer, kind=Cart.Kind.SAVED).exists()
    assert order.status_changes.count() == 2


def test_a_line_that_is_not_orderable_as_given_refuses_the_order():
    _dealer, product, member = api_shop()
    product.min_order_qty = D("5")
    product.save()
    response = _order(client_for(member), {"lines": [{"sku": product.sku, "quantity": "2"}]})
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "lines_refused" and body["type"] == "/api/v1/problems/lines_refused"
    assert body["lines"][0]["status"] == "adjusted" and D(body["lines"][0]["quantity"]) == 5
    assert Order.objects.count() == 0


def test_credit_hold_refuses_with_the_web_pages_reason_code(settings):
    settings.B2B_ORDER_RULES = {"credit_hold": "block"}
    dealer, product, member = api_shop()
    dealer.credit_hold = True
    dealer.save()
    response = _order(client_for(member), {"lines": [{"sku": product.sku, "quantity": "1"}]})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "credit_hold"
    assert body["reasons"][0]["code"] == "credit_hold"
    assert Order.objects.count() == 0


def test_per_field_validation_errors():
    _dealer, _product, member = api_shop()
    response = _order(client_for(member), {"lines": [{"sku": "", "quantity": "-1"}], "payment_method": "cash"})
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert set(errors) == {"lines", "payment_method"}
    assert set(errors["lines"]["0"]) == {"sku", "quantity"}  # per line, by its index


def test_list_detail_history_and_cancel():
    _dealer, product, member = api_shop()
    client = client_for(member)
    number = _order(client, {"lines": [{"sku": product.sku, "quantity": "1"}]}).json()["number"]
    listed = client.get("/api/v1/orders/").json()
    assert [o["number"] for o in listed["results"]] == [number]
    assert client.get(f"/api/v1/orders/{number}/").json()["lines"][0]["sku"] == product.sku
    history = client.get(f"/api/v1/orders/{number}/history/").json()
    assert [h["status"] for h in history] == ["submitted", "approved"]
    cancelled = client.post(f"/api/v1/orders/{number}/cancel/", {"reason": "dup"}, format="json")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    again = client.post(f"/api/v1/orders/{number}/cancel/", {}, format="json")
    assert again.status_code == 409 and again.json()["code"] == "not_allowed"
