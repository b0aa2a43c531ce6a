"""Hold reasons: recorded as rule codes with figures, worded in the reader's language, filtered on both databases."""

import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import translation

from b2bportal.tests.sqlite_run import sqlite_database, sqlite_script
from orders.models import Order
from orders.reasons import reason_text, reasons_text
from orders.selectors import orders_held_for
from orders.services import cart_line_add
from orders.status import OrderStatus
from orders.tests.factories import OrderFactory, buyer_of, make_shop, place

D = Decimal
S = OrderStatus
QUEUE = reverse("admin:orders_heldorder_changelist")

CREDIT_HOLD = {"rule": "credit_hold", "passed": False, "action": "hold", "details": {"reason": "Karşılıksız çek"}}
CREDIT_LIMIT = {
    "rule": "credit_limit",
    "passed": False,
    "action": "hold",
    "details": {"credit_limit": "1000.00", "exposure": "1100.00"},
}
STOCK = {"rule": "stock", "passed": False, "action": "hold", "details": {"short": {"VD-1": "2.000"}}}


@pytest.mark.parametrize(
    ("reason", "english", "turkish"),
    [
        (CREDIT_HOLD, "Dealer on credit hold: Karşılıksız çek", "Bayi kredi blokajında: Karşılıksız çek"),
        (
            CREDIT_LIMIT,
            "Credit limit exceeded: ₺1,100.00 with this order, limit ₺1,000.00",
            "Kredi limiti aşıldı: bu siparişle risk 1.100,00 ₺, limit 1.000,00 ₺",
        ),
        (STOCK, "Insufficient stock: VD-1 2 short", "Yetersiz stok: VD-1 2 eksik"),
        ("Stock: not enough on hand.", "Stock: not enough on hand", "Stock: not enough on hand"),
    ],
)
def test_a_reason_is_worded_in_the_readers_language(reason, english, turkish):
    with translation.override("en"):
        assert reason_text(reason, "TRY") == english
    with translation.override("tr"):
        assert reason_text(reason, "TRY") == turkish


def test_several_reasons_never_read_full_stop_semicolon():
    text = reasons_text(["Credit hold: the dealer cannot order on account.", CREDIT_LIMIT, "Manual review."])
    assert ".;" not in text and not text.endswith(".")


@pytest.mark.django_db
def test_placement_records_codes_and_figures_not_sentences():
    dealer, product = make_shop(credit_limit="100")
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=D("2"))
    with translation.override("tr"):
        order = place(buyer)
    [reason] = order.hold_reasons
    assert set(reason) == {"rule", "passed", "action", "details"}
    assert reason["rule"] == "credit_limit" and reason["details"]["exposure"] == "240.00"
    with translation.override("en"):
        assert reasons_text(order.hold_reasons, order.currency).startswith(
            "Credit limit exceeded: ₺240.00 with this order"
        )
    status_reason = order.status_changes.last().reason
    assert ".;" not in status_reason


@pytest.mark.django_db
def test_the_order_page_words_the_reasons_in_the_readers_language(dealer_client):
    order = OrderFactory(
        dealer=dealer_client.dealer_user.dealer,
        placed_by=dealer_client.dealer_user.user,
        status=S.ON_HOLD,
        hold_reasons=[CREDIT_HOLD, CREDIT_LIMIT],
    )
    url = reverse("orders:order_detail", args=[order.number])
    english = dealer_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    turkish = dealer_client.get(url, HTTP_ACCEPT_LANGUAGE="tr").content.decode()
    assert "Dealer on credit hold: Karşılıksız çek; Credit limit exceeded" in english
    assert "Bayi kredi blokajında: Karşılıksız çek; Kredi limiti aşıldı" in turkish
    assert "Dealer on credit hold" not in turkish


@pytest.mark.django_db
def test_the_queue_filter_finds_orders_by_rule_code(staff_client):
    credit = OrderFactory(status=S.ON_HOLD, hold_reasons=[CREDIT_HOLD, CREDIT_LIMIT])
    stock = OrderFactory(status=S.ON_HOLD, hold_reasons=[STOCK])
    OrderFactory(status=S.ON_HOLD, hold_reasons=["Credit hold, written as a sentence"])
    OrderFactory(status=S.ON_HOLD, hold_reasons=[{"rule": "manual_review", "details": {"note": "credit_hold"}}])
    found = {
        rule: sorted(o.number for o in staff_client.get(QUEUE, {"reason": rule}).context["cl"].result_list)
        for rule in ("credit_hold", "credit_limit", "stock", "buyer_limit")
    }
    assert found == {
        "credit_hold": [credit.number],
        "credit_limit": [credit.number],
        "stock": [stock.number],
        "buyer_limit": [],
    }
    assert list(orders_held_for(Order.objects.all(), "stock")) == [stock]


def test_the_queue_filter_works_on_sqlite(tmp_path):
    """The try-out database has no JSON ``contains``: the filter answered HTTP 500 there."""
    database = sqlite_database(tmp_path)
    found = sqlite_script(
        database,
        f"""
        import json
        from django.test import Client
        from django.test.utils import setup_test_environment
        from accounts.models import User
        from orders.status import OrderStatus
        from orders.tests.factories import OrderFactory
        credit = OrderFactory(status=OrderStatus.ON_HOLD, hold_reasons=[{CREDIT_HOLD!r}, {CREDIT_LIMIT!r}])
        stock = OrderFactory(status=OrderStatus.ON_HOLD, hold_reasons=[{STOCK!r}])
        OrderFactory(status=OrderStatus.ON_HOLD, hold_reasons=["Credit hold, written as a sentence"])
        review = {{"rule": "manual_review", "details": {{"x": "stock"}}}}
        OrderFactory(status=OrderStatus.ON_HOLD, hold_reasons=[review])
        setup_test_environment()  # the response's context, and "testserver" as an allowed host
        client = Client()
        client.force_login(User.objects.create_superuser("admin@example.com", "x"))
        result = {{}}
        for rule in ("credit_hold", "credit_limit", "stock", "buyer_limit"):
            response = client.get("{QUEUE}", {{"reason": rule}})
            listed = response.context["cl"].result_list if response.status_code == 200 else []
            numbers = sorted(o.number for o in listed)
            result[rule] = [response.status_code, numbers, credit.number, stock.number]
        print(json.dumps(result))
        """,
    )
    credit_number, stock_number = found["stock"][2], found["stock"][3]
    assert {rule: row[:2] for rule, row in found.items()} == {
        "credit_hold": [200, [credit_number]],
        "credit_limit": [200, [credit_number]],
        "stock": [200, [stock_number]],
        "buyer_limit": [200, []],
    }


@pytest.mark.django_db
def test_the_migration_turns_sentences_into_rule_codes():
    migration = importlib.import_module("orders.migrations.0004_hold_reasons_as_rule_codes")
    old = OrderFactory(
        status=S.ON_HOLD,
        hold_reasons=["Credit hold: the dealer cannot order on account.", "Stock: short.", "Called the dealer."],
    )
    kept = OrderFactory(status=S.ON_HOLD, hold_reasons=[CREDIT_LIMIT])
    migration.forwards(apps, None)
    old.refresh_from_db()
    kept.refresh_from_db()
    assert [r["rule"] for r in old.hold_reasons] == ["credit_hold", "stock", ""]
    assert old.hold_reasons[2]["text"] == "Called the dealer."
    assert kept.hold_reasons == [CREDIT_LIMIT]
    assert list(orders_held_for(Order.objects.all(), "credit_hold")) == [old]
