"""EDI orders through the API: upload, the receipt with the answer document, Idempotency-Key replay, the same
interchange twice, malformed messages with their location, another dealer's party refused, the order scope."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from api.models import IdempotencyRecord, Scope
from api.tests.factories import client_for
from api.views import edi as edi_views
from dealers.tests.factories import DealerFactory, DealerUserFactory
from orders.models import EdiMessage, Order
from orders.tests.edi_factories import OTHER_GLN, edi_shop, orders_seen_elsewhere_while_placing, sample

pytestmark = pytest.mark.django_db
URL = "/api/v1/edi/orders/"


def _send(client, body, key="k-1", content_type="application/xml"):
    return client.generic("POST", URL, body, content_type=content_type, HTTP_IDEMPOTENCY_KEY=key)


def test_ubl_upload_places_the_order_and_answers_the_order_response():
    dealer, admin, _products = edi_shop()
    response = _send(client_for(admin), sample("peppol_order.xml"))
    assert response.status_code == 201, response.json()
    body = response.json()
    order = Order.objects.get(number=body["order"])
    assert order.dealer == dealer and body["status"] == "accepted" and body["replayed"] is False
    assert body["response_content_type"] == "application/xml"
    assert "<cbc:OrderResponseCode>AP</cbc:OrderResponseCode>" in body["response"]


def test_same_key_replays_and_same_interchange_under_a_new_key_answers_the_first_receipt():
    _dealer, admin, _products = edi_shop()
    client = client_for(admin)
    first = _send(client, sample("orders_d96a.edi"), content_type="application/EDIFACT")
    again = _send(client, sample("orders_d96a.edi"), content_type="application/EDIFACT")
    assert first.status_code == 201 and again.status_code == 201
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    resent = _send(client, sample("orders_d96a.edi"), key="k-2", content_type="application/EDIFACT")
    assert resent.status_code == 200
    assert resent.json()["replayed"] is True and resent.json()["order"] == first.json()["order"]
    assert Order.objects.count() == 1 and EdiMessage.objects.count() == 1


def test_an_interchange_still_being_received_answers_503_with_retry_after_and_is_not_kept_under_the_key():
    _dealer, admin, _products = edi_shop()
    client = client_for(admin)
    first = _send(client, sample("orders_d96a.edi"), content_type="application/EDIFACT")
    # As if a drop folder's worker were placing the same interchange right now.
    EdiMessage.objects.update(status=EdiMessage.Status.RECEIVED, claimed_until=timezone.now() + timedelta(minutes=5))
    with override_settings(B2B_EDI_WAIT_SECONDS=0):
        busy = _send(client, sample("orders_d96a.edi"), key="k-2", content_type="application/EDIFACT")
    assert busy.status_code == 503 and busy["Retry-After"] == "10"
    assert busy["Content-Type"] == "application/problem+json" and busy.json()["code"] == "edi_in_progress"
    EdiMessage.objects.update(status=EdiMessage.Status.ACCEPTED, claimed_until=None)
    again = _send(client, sample("orders_d96a.edi"), key="k-2", content_type="application/EDIFACT")
    assert again.status_code == 200 and not again.has_header("Idempotent-Replayed")
    assert again.json()["order"] == first.json()["order"] and Order.objects.count() == 1


def test_malformed_message_is_a_problem_naming_the_location():
    _dealer, admin, _products = edi_shop()
    payload = sample("orders_d96a.edi").replace(b"QTY+21:6:PCE", b"QTY+21:6,5,5:PCE")
    response = _send(client_for(admin), payload, content_type="application/EDIFACT")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "edi_malformed" and body["location"] == "segment 14 (QTY), element 1.2"
    assert Order.objects.count() == 0


def test_another_dealers_gln_on_a_dealers_key_is_refused():
    edi_shop()
    other = DealerFactory(gln=OTHER_GLN, tax_number="9876543210")
    member = DealerUserFactory(dealer=other)
    response = _send(client_for(member), sample("peppol_order.xml"))
    assert response.status_code == 403 and response.json()["code"] == "party_mismatch"
    assert Order.objects.count() == 0 and EdiMessage.objects.count() == 0


def test_a_read_only_key_cannot_send_orders():
    _dealer, admin, _products = edi_shop()
    response = _send(client_for(admin, scopes=[Scope.READ]), sample("peppol_order.xml"))
    assert response.status_code == 403
    assert Order.objects.count() == 0


def test_unknown_items_only_answers_rejected_without_an_order():
    _dealer, admin, _products = edi_shop()
    payload = sample("orders_d01b_changes.edi").replace(b"KB-3003", b"KB-0000")
    response = _send(client_for(admin), payload, content_type="text/plain")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "rejected" and body["order"] is None and "BGM+231+" in body["response"]


def test_the_order_api_reads_the_dealers_own_item_codes():
    _dealer, admin, _products = edi_shop()
    client = client_for(admin)
    check = client.post("/api/v1/orders/validate/", {"lines": [{"sku": "ACME-55", "quantity": "24"}]}, format="json")
    assert check.json()["lines"][0]["product"] == "KB-3003" and check.json()["orderable"] is True
    placed = client.post(
        "/api/v1/orders/", {"lines": [{"sku": "ACME-55", "quantity": "24"}]}, format="json", HTTP_IDEMPOTENCY_KEY="x"
    )
    assert placed.status_code == 201 and placed.json()["lines"][0]["sku"] == "KB-3003"


def test_a_multi_message_interchange_answers_every_message_and_the_contrl():
    _dealer, admin, _products = edi_shop()
    client = client_for(admin)
    response = _send(client, sample("orders_d96a_three_messages.edi"), content_type="application/EDIFACT")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "changed" and body["reference"] == "ACME000500"
    assert [(m["message_reference"], m["status"]) for m in body["messages"]] == [
        ("ME1", "accepted"),
        ("ME2", "rejected"),
        ("ME3", "accepted"),
    ]
    assert body["order"] == body["messages"][0]["order"] and body["messages"][1]["order"] is None
    assert body["error"] == "ME2: No line can be ordered." and body["messages"][1]["error"] == "No line can be ordered."
    assert "KB-9999" in body["response"]
    assert body["response"].count("ORDRSP:D:96A:UN") == 3
    assert "UCM+ME2+ORDERS:D:96A:UN:EAN008+7'" in body["contrl"]
    resent = _send(client, sample("orders_d96a_three_messages.edi"), key="k-2", content_type="application/EDIFACT")
    assert resent.status_code == 200 and resent.json()["replayed"] is True
    assert resent.json()["messages"] == body["messages"] and Order.objects.count() == 2


def test_a_single_message_receipt_keeps_its_shape_with_an_empty_contrl():
    _dealer, admin, _products = edi_shop()
    body = _send(client_for(admin), sample("peppol_order.xml")).json()
    assert body["contrl"] == "" and len(body["messages"]) == 1
    assert body["messages"][0]["order"] == body["order"] and body["messages"][0]["message_reference"] == ""


def test_a_syntax_error_is_a_problem_carrying_the_contrl():
    _dealer, admin, _products = edi_shop()
    payload = sample("orders_d96a.edi").replace(b"QTY+21:6:PCE", b"QTY+21:6:PCE:X")
    response = _send(client_for(admin), payload, content_type="application/EDIFACT")
    assert response.status_code == 400
    body = response.json()
    assert body["location"] == "segment 14 (QTY), element 1.4"
    # QTY is the 13th segment of the message; 16 = too many constituents, in component 4 of element 1.
    assert (
        "UCS+13'\nUCD+16+1:4'" in body["contrl"]
        and "UCI+ACME000417+8680000000013:14+8690000000012:14+4'" in (body["contrl"])
    )
    assert Order.objects.count() == 0


def test_an_unknown_delivery_point_answers_rejected_naming_the_gln():
    _dealer, admin, _products = edi_shop()
    payload = sample("peppol_order.xml").replace(b'schemeID="0088">8680000000037', b'schemeID="0088">8680000000044')
    response = _send(client_for(admin), payload)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "rejected" and body["order"] is None and "8680000000044" in body["error"]


# -- The upload's Idempotency-Key is committed first; each message commits on its own ----------------------------


def test_a_duplicate_sent_while_the_first_upload_runs_is_409_and_an_abandoned_key_is_taken_over():
    _dealer, admin, _products = edi_shop()
    client = client_for(admin)
    body = sample("orders_d96a.edi")
    first = _send(client, body, content_type="application/EDIFACT")
    assert first.status_code == 201
    record = IdempotencyRecord.objects.get()
    # As if the first upload were still running: its key is committed without a response.
    IdempotencyRecord.objects.update(status_code=None, body="")
    running = _send(client, body, content_type="application/EDIFACT")
    assert running.status_code == 409 and running.json()["code"] == "idempotency_key_in_use"
    other = _send(client, sample("orders_d96a_three_messages.edi"), content_type="application/EDIFACT")
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    # Its process stopped long ago: the key is taken over, and the interchange's own check replays the order.
    IdempotencyRecord.objects.update(created_at=timezone.now() - timedelta(minutes=11))
    again = _send(client, body, content_type="application/EDIFACT")
    assert again.status_code == 200 and again.json()["replayed"] is True
    assert again.json()["order"] == first.json()["order"] and Order.objects.count() == 1
    kept = IdempotencyRecord.objects.get()
    assert kept.pk != record.pk and kept.status_code == 200


def test_a_server_error_frees_the_uploads_key(monkeypatch):
    _dealer, admin, _products = edi_shop()
    client = client_for(admin)

    def broken(**kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(edi_views, "edi_order_receive", broken)
    with pytest.raises(RuntimeError):
        _send(client, sample("orders_d96a.edi"), content_type="application/EDIFACT")
    assert not IdempotencyRecord.objects.exists()
    monkeypatch.undo()
    assert _send(client, sample("orders_d96a.edi"), content_type="application/EDIFACT").status_code == 201


@pytest.mark.django_db(transaction=True)
def test_an_uploaded_interchange_commits_each_message_before_placing_the_next(monkeypatch):
    """Through the API too, placement's locks are held for one order at a time: while the third message is
    placed, another connection already sees the first message's order."""
    _dealer, admin, _products = edi_shop()
    seen_elsewhere = orders_seen_elsewhere_while_placing(monkeypatch)
    response = _send(client_for(admin), sample("orders_d96a_three_messages.edi"), content_type="application/EDIFACT")
    assert response.status_code == 201
    assert seen_elsewhere == [0, 1]
