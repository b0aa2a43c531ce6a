"""The API on SQLite (the try-out database of ``make run``): an order placed through the API, its replay under the
same Idempotency-Key, and the webhook deliveries written with the order."""

from b2bportal.tests.sqlite_run import sqlite_database, sqlite_script


def test_order_replay_and_outbox_on_sqlite(tmp_path):
    database = sqlite_database(tmp_path)
    result = sqlite_script(
        database,
        """
        import json
        from django.test import override_settings
        from api.models import WebhookDelivery
        from api.services import webhook_endpoint_create
        from api.tests.factories import api_shop, client_for
        from orders.models import Order

        dealer, product, member = api_shop()
        with override_settings(ALLOWED_HOSTS=["testserver"], B2B_WEBHOOK_ALLOW_PRIVATE=True):
            webhook_endpoint_create(dealer=dealer, url="http://127.0.0.1:9/h", events=["order.status_changed"])
            client = client_for(member)
            body = {"lines": [{"sku": product.sku, "quantity": "2"}]}
            first = client.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="sqlite-1")
            second = client.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY="sqlite-1")
            listed = client.get("/api/v1/products/").json()
        print(json.dumps({
            "codes": [first.status_code, second.status_code],
            "same": first.json() == second.json(),
            "orders": Order.objects.count(),
            "deliveries": WebhookDelivery.objects.count(),
            "products": len(listed["results"]),
        }))
        """,
    )
    assert result == {"codes": [201, 201], "same": True, "orders": 1, "deliveries": 2, "products": 1}
