"""Paraşüt's webhook deliveries: a bad signature is refused, a good one imports the record it names once, through the
normal importers, even when Paraşüt delivers it twice. And the sync health page of the same connection: the rate
budget in use, and a token that needs a person."""

from __future__ import annotations

import pytest
from django.urls import reverse

from catalog.models import Product
from dealers.models import Dealer
from erpsync.adapters.base import PermanentError
from erpsync.importers import sync_import
from erpsync.models import ErpConnection, SyncRun, ValueMap, WebhookDelivery
from erpsync.simulators.parasut import ParasutSimulator

pytestmark = pytest.mark.django_db


@pytest.fixture
def sim():
    with ParasutSimulator(demo=True, rate_limit=0) as simulator:
        yield simulator
        assert simulator.violations == []


@pytest.fixture
def parasut(sim, monkeypatch):
    for name, value in (
        ("CLIENT_ID", sim.client_id),
        ("CLIENT_SECRET", sim.client_secret),
        ("USERNAME", sim.username),
        ("PASSWORD", sim.password),
        ("WEBHOOK_KEY", sim.webhook_key),
    ):
        monkeypatch.setenv(f"PRSHOOK_{name}", value)
    connection = ErpConnection.objects.create(
        code="parasut",
        name="Paraşüt",
        adapter="parasut",
        credentials_ref="PRSHOOK",
        settings={
            "base_url": sim.root_url,
            "company_id": sim.company_id,
            "customer_code": "tax_number",
            "rate_limit": 1000,
        },
    )
    for rate in ("1", "10", "20"):
        ValueMap.objects.create(
            connection=connection, kind=ValueMap.Kind.TAX_CODE, external_value=rate, local_value=rate
        )
    for entity in ("unit", "price_list", "product", "customer"):
        sync_import(connection=connection, entity=entity, full=True)
    url = reverse("erpsync:webhook", args=[connection.code])
    for model in ("product", "contact", "sales_invoice"):
        sim.company.add("webhooks", {"model": model, "action": "update", "uri": url})
    return connection


def poster(client):
    def post(uri, *, data, headers):
        return client.post(uri, data=data, content_type=headers["Content-Type"], HTTP_SIGNATURE=headers["Signature"])

    return post


def test_a_product_change_is_imported_once_when_delivered_twice(
    sim, parasut, client, django_capture_on_commit_callbacks
):
    tea = next(p for p in sim.company.tables["products"].values() if p.attributes["code"] == "ÇAY-001")
    tea.attributes["name"] = "Rize Turist Çayı 1 kg (yeni ambalaj)"
    runs_before = SyncRun.objects.filter(entity="product").count()

    with django_capture_on_commit_callbacks(execute=True):
        (first,) = sim.deliver("product", "update", tea, post=poster(client))
    with django_capture_on_commit_callbacks(execute=True):
        (again,) = sim.deliver("product", "update", tea, post=poster(client))

    assert (first.status_code, first.content) == (200, b"ok")
    assert (again.status_code, again.content) == (200, b"already received")
    assert Product.objects.get(sku="ÇAY-001").name == "Rize Turist Çayı 1 kg (yeni ambalaj)"
    (delivery,) = WebhookDelivery.objects.all()
    assert (delivery.resource, delivery.record_id, delivery.status) == ("product", str(tea.id), "imported")
    runs = SyncRun.objects.filter(entity="product").order_by("pk")[runs_before:]
    assert [(run.mode, run.updated) for run in runs] == [("delta", 1)]


def test_a_contact_change_updates_the_dealer(sim, parasut, client, django_capture_on_commit_callbacks):
    contact = next(c for c in sim.company.tables["contacts"].values() if c.attributes["tax_number"] == "1234567890")
    contact.attributes["email"] = "yeni@ozturk.example"
    with django_capture_on_commit_callbacks(execute=True):
        (answer,) = sim.deliver("contact", "update", contact, post=poster(client))
    assert answer.status_code == 200
    assert Dealer.objects.get(code="1234567890").email == "yeni@ozturk.example"


def test_a_bad_signature_is_refused_and_nothing_is_recorded(sim, parasut, client):
    tea = next(p for p in sim.company.tables["products"].values() if p.attributes["code"] == "ÇAY-001")
    tea.attributes["name"] = "Sahte"
    (answer,) = sim.deliver("product", "update", tea, signature="0" * 64, post=poster(client))
    assert answer.status_code == 401
    assert not WebhookDelivery.objects.exists()
    assert Product.objects.get(sku="ÇAY-001").name != "Sahte"


def test_a_delivery_for_another_company_is_refused(sim, parasut, client):
    tea = next(iter(sim.company.tables["products"].values()))
    sim.company_id = 999  # the event says another company; the signature is right
    (answer,) = sim.deliver("product", "update", tea, post=poster(client))
    assert answer.status_code == 400
    assert not WebhookDelivery.objects.exists()


def test_sync_health_shows_the_budget_in_use_and_a_token_that_needs_a_person(sim, parasut, staff_client):
    url = reverse("admin:erpsync_erpconnection_health", args=[parasut.pk])
    page = staff_client.get(url).content.decode()
    assert "API requests in the last 10 s:" in page and "of 1,000" in page
    assert "Authorise the portal again" not in page

    sim._refresh_tokens.clear()  # revoked in Paraşüt, and the password changed there
    sim.expire_tokens()
    sim.password = "changed-in-parasut"
    with pytest.raises(PermanentError, match="refused to sign in"):
        sync_import(connection=parasut, entity="warehouse", full=True)
    assert SyncRun.objects.filter(entity="warehouse").latest("pk").status == SyncRun.Status.FAILED

    page = staff_client.get(url).content.decode()
    assert "Authorise the portal again in the ERP" in page
    assert "Paraşüt refused to sign in as" in page
