"""What a connection can do is its adapter's capabilities narrowed by the connection's settings (``capabilities_for``),
and the outbox queues only that: a Nebim profile without a customer write or a Logo connection with
``customer_cards`` ``none`` queues no customer export, staff confirming a dealer are told to create the account by
hand (on the page and in the dealer's audit), and nothing lands in the exception queue. A job queued before the
settings changed waits for a human instead of reaching the ERP. The health page shows what the connection sends."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib import messages
from django.core.management import call_command
from django.urls import reverse

from dealers.models import Dealer, DealerAddress, DealerChange
from dealers.services import CUSTOMER_PORTAL_ONLY, CUSTOMER_QUEUED, dealer_confirm
from dealers.tests.factories import DealerAddressFactory, DealerFactory
from erpsync.adapters import capabilities_for
from erpsync.adapters.base import Capability
from erpsync.adapters.file import FileAdapter
from erpsync.adapters.logo import LogoAdapter
from erpsync.enqueue import connection_takes, export_connections, kinds_taken
from erpsync.health import connection_exports
from erpsync.models import ErpConnection, SyncIssue, SyncJob
from erpsync.outbox import not_offered_message, outbox_claim, outbox_enqueue, outbox_run
from erpsync.tests.nebim_side import nebim_profile

pytestmark = pytest.mark.django_db

K = SyncJob.Kind
LOGO = {"base_url": "http://logo.invalid/", "firm": 1, "period": 2}


def nebim_without_customer_writes() -> dict:
    profile = nebim_profile()
    profile["writes"].pop("customer")
    profile["reads"].pop("customer_lookup", None)
    return profile


def connection(adapter: str, settings: dict, **fields) -> ErpConnection:
    fields.setdefault("code", adapter)
    fields.setdefault("is_default", True)
    return ErpConnection.objects.create(name=adapter, adapter=adapter, settings=settings, **fields)


def registered(code: str) -> Dealer:
    dealer = DealerFactory(code=code, status=Dealer.Status.INACTIVE, status_reason="Portal registration")
    DealerAddressFactory(dealer=dealer, kind=DealerAddress.Kind.BILLING, name="Merkez", city="Ankara")
    return dealer


# -- what a connection can do ---------------------------------------------------------------------------------------


def test_a_nebim_profile_with_a_customer_write_creates_customers():
    nebim = connection("nebim", {"base_url": "http://v3:801/", "profile": nebim_profile()})
    assert Capability.CUSTOMER_PUSH in capabilities_for(nebim)
    assert connection_takes(nebim, K.CUSTOMER_EXPORT)


def test_a_nebim_profile_without_a_customer_write_creates_none():
    nebim = connection("nebim", {"base_url": "http://v3:801/", "profile": nebim_without_customer_writes()})
    capabilities = capabilities_for(nebim)
    assert Capability.CUSTOMER_PUSH not in capabilities
    assert Capability.ORDER_PUSH in capabilities  # the profile's other writes stay
    assert not connection_takes(nebim, K.CUSTOMER_EXPORT) and connection_takes(nebim, K.ORDER_EXPORT)


def test_logo_creates_customer_cards_unless_its_settings_say_none():
    logo = connection("logo", LOGO)
    assert Capability.CUSTOMER_PUSH in capabilities_for(logo)
    logo.settings = {**LOGO, "customer_cards": "none"}
    assert Capability.CUSTOMER_PUSH not in capabilities_for(logo)
    assert Capability.ORDER_PUSH in capabilities_for(logo)


def test_the_adapter_made_for_a_connection_agrees_with_capabilities_for(monkeypatch):
    monkeypatch.setenv("LOGO_T_CLIENT_ID", "c")
    monkeypatch.setenv("LOGO_T_CLIENT_SECRET", "s")
    monkeypatch.setenv("LOGO_T_USERNAME", "u")
    monkeypatch.setenv("LOGO_T_PASSWORD", "p")
    logo = connection("logo", {**LOGO, "customer_cards": "none"}, credentials_ref="LOGO_T")
    with LogoAdapter(settings=logo.settings, credentials={"client_id": "c", "client_secret": "s", "username": "u",
                                                           "password": "p"}) as adapter:  # fmt: skip
        assert adapter.capabilities == capabilities_for(logo)
        assert not adapter.supports(Capability.CUSTOMER_PUSH)


def test_an_adapter_without_the_capability_never_takes_it_and_one_with_it_does(tmp_path):
    tryton = connection("tryton", {"base_url": "http://tryton.invalid/", "database": "db"}, code="tryton")
    assert Capability.CUSTOMER_PUSH not in capabilities_for(tryton)
    assert not connection_takes(tryton, K.CUSTOMER_EXPORT)
    files = ErpConnection.objects.create(code="files", name="Files", adapter="file", settings={"root": str(tmp_path)})
    assert capabilities_for(files) == FileAdapter.capabilities
    assert K.CUSTOMER_EXPORT in kinds_taken(files)


def test_an_unknown_adapter_takes_nothing_and_unreadable_settings_leave_the_adapters_capabilities():
    unknown = connection("gone", {}, code="gone")
    assert capabilities_for(unknown) == frozenset() and kinds_taken(unknown) == frozenset()
    broken = connection("logo", {**LOGO, "customer_cards": "maybe"}, code="broken", is_default=False)
    assert capabilities_for(broken) == LogoAdapter.capabilities  # queued, then failing where staff see it


# -- the outbox queues what the connection can do -------------------------------------------------------------------


def test_the_outbox_queues_no_customer_export_where_the_connection_cannot_take_it():
    connection("logo", {**LOGO, "customer_cards": "none"})
    assert export_connections(K.CUSTOMER_EXPORT) == []
    assert outbox_enqueue(kind=K.CUSTOMER_EXPORT, identity_key="dealer:1", object_id=1) == []
    assert len(outbox_enqueue(kind=K.ORDER_EXPORT, identity_key="order:P1", object_id=1)) == 1
    assert list(SyncJob.objects.values_list("kind", flat=True)) == [K.ORDER_EXPORT]


def test_the_outbox_queues_the_customer_export_where_the_connection_takes_it():
    logo = connection("logo", LOGO)
    assert export_connections(K.CUSTOMER_EXPORT) == [logo]
    (job,) = outbox_enqueue(kind=K.CUSTOMER_EXPORT, identity_key="dealer:1", object_id=1)
    assert job.connection == logo


def test_a_job_queued_before_the_settings_changed_waits_for_a_human_and_the_erp_is_not_asked(monkeypatch):
    for name, value in {"CLIENT_ID": "c", "CLIENT_SECRET": "s", "USERNAME": "u", "PASSWORD": "p"}.items():
        monkeypatch.setenv(f"LOGO_T_{name}", value)
    logo = connection("logo", LOGO, credentials_ref="LOGO_T")
    (job,) = outbox_enqueue(kind=K.CUSTOMER_EXPORT, identity_key="dealer:7", object_id=7)
    ErpConnection.objects.filter(pk=logo.pk).update(settings={**LOGO, "customer_cards": "none"})
    logo.refresh_from_db()

    def no_erp(*args, **kwargs):
        raise AssertionError("the ERP was asked")

    monkeypatch.setattr(LogoAdapter, "customer_lookup", no_erp)
    monkeypatch.setattr(LogoAdapter, "customer_push", no_erp)
    (claimed,) = outbox_claim(connection=logo)
    outbox_run(job=claimed)

    job.refresh_from_db()
    assert job.status == SyncJob.Status.DEAD and job.last_error == str(not_offered_message(K.CUSTOMER_EXPORT))
    issue = SyncIssue.objects.get(job=job)
    assert (issue.code, issue.entity) == ("not_offered", "customer")


def test_a_collection_the_connection_cannot_take_waits_for_a_person_and_the_erp_is_not_asked(monkeypatch):
    for name, value in {"CLIENT_ID": "c", "CLIENT_SECRET": "s", "USERNAME": "u", "PASSWORD": "p"}.items():
        monkeypatch.setenv(f"LOGO_T_{name}", value)
    logo = connection("logo", LOGO, credentials_ref="LOGO_T")  # no payment_slips: Logo takes no collections
    assert not connection_takes(logo, K.PAYMENT_EXPORT)

    def no_erp(*args, **kwargs):
        raise AssertionError("the ERP was asked")

    monkeypatch.setattr(LogoAdapter, "payment_lookup", no_erp)
    monkeypatch.setattr(LogoAdapter, "payment_push", no_erp)
    (job,) = outbox_enqueue(kind=K.PAYMENT_EXPORT, identity_key="payment:9", object_id=9)
    (claimed,) = outbox_claim(connection=logo)
    outbox_run(job=claimed)

    job.refresh_from_db()
    assert job.status == SyncJob.Status.DEAD and job.last_error == str(not_offered_message(K.PAYMENT_EXPORT))
    assert SyncIssue.objects.get(job=job).code == "not_offered"


# -- staff confirming a dealer --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("adapter", "settings"),
    [
        ("nebim", {"base_url": "http://v3:801/", "profile": nebim_without_customer_writes()}),
        ("logo", {**LOGO, "customer_cards": "none"}),
    ],
    ids=["nebim-profile-without-customer-write", "logo-customer-cards-off"],
)
def test_confirming_where_the_connection_creates_no_customers_tells_staff_and_queues_nothing(
    adapter, settings, superuser
):
    connection(adapter, settings)
    dealer = registered("120.01.901")

    outcome = dealer_confirm(actor=superuser, dealer=dealer, note="Checked the tax office")

    assert not outcome.erp_queued
    assert str(outcome) == str(CUSTOMER_PORTAL_ONLY % {"code": "120.01.901"})
    dealer.refresh_from_db()
    assert dealer.status == Dealer.Status.ACTIVE
    change = DealerChange.objects.get(dealer=dealer, field="status")
    assert change.reason.startswith(str(outcome)) and "Checked the tax office" in change.reason
    assert not SyncJob.objects.exists() and not SyncIssue.objects.exists()


def test_confirming_where_the_connection_creates_customers_queues_the_export(superuser):
    connection("logo", LOGO)
    dealer = registered("120.01.902")

    outcome = dealer_confirm(actor=superuser, dealer=dealer)

    assert outcome.erp_queued and str(outcome) == str(CUSTOMER_QUEUED)
    job = SyncJob.objects.get()
    assert (job.kind, job.object_id, job.status) == (K.CUSTOMER_EXPORT, dealer.pk, SyncJob.Status.PENDING)
    assert DealerChange.objects.get(dealer=dealer, field="status").reason == str(CUSTOMER_QUEUED)
    assert not SyncIssue.objects.exists()


def test_the_admin_warns_staff_when_no_erp_account_is_created(staff_client):
    connection("logo", {**LOGO, "customer_cards": "none"})
    dealer = registered("120.01.903")
    url = reverse("admin:dealers_dealer_changelist")

    response = staff_client.post(url, {"action": "confirm", "_selected_action": [dealer.pk]}, follow=True)

    shown = [(m.level, m.message) for m in response.context["messages"]]
    expected = f"{dealer}: {CUSTOMER_PORTAL_ONLY % {'code': '120.01.903'}}"
    assert (messages.WARNING, expected) in shown
    assert not SyncJob.objects.exists() and not SyncIssue.objects.exists()


def test_the_admin_reports_the_queued_export_as_information(staff_client):
    connection("logo", LOGO)
    dealer = registered("120.01.904")
    url = reverse("admin:dealers_dealer_changelist")

    response = staff_client.post(url, {"action": "confirm", "_selected_action": [dealer.pk]}, follow=True)

    shown = [(m.level, m.message) for m in response.context["messages"]]
    assert (messages.INFO, f"{dealer}: {CUSTOMER_QUEUED}") in shown
    assert SyncJob.objects.filter(kind=K.CUSTOMER_EXPORT).count() == 1


# -- the health page ------------------------------------------------------------------------------------------------


def test_the_health_page_shows_what_the_connection_sends(staff_client):
    logo = connection("logo", {**LOGO, "customer_cards": "none"})
    offers = {offer.kind: offer.taken for offer in connection_exports(logo)}
    assert offers[K.CUSTOMER_EXPORT] is False and offers[K.ORDER_EXPORT] is True
    assert offers[K.PAYMENT_EXPORT] is False  # no payment_slips set

    response = staff_client.get(reverse("admin:erpsync_erpconnection_health", args=[logo.pk]))

    text = response.content.decode()
    assert response.status_code == 200
    assert f'<li data-kind="{K.CUSTOMER_EXPORT}">{K.CUSTOMER_EXPORT.label}: <strong>not sent</strong></li>' in text
    assert f'<li data-kind="{K.ORDER_EXPORT}">{K.ORDER_EXPORT.label}: sent</li>' in text


def test_erpsync_status_names_the_exports_the_connection_does_not_take():
    connection("logo", {**LOGO, "customer_cards": "none", "payment_slips": {"*": "bank:102.01"}})
    call_command("erpsync", "status", stdout=(out := StringIO()))
    assert "  not sent to this ERP: customer_export, quote_export, ship_to_export\n" in out.getvalue()


def test_quote_versions_are_sent_only_where_the_site_sends_quotes_and_a_sent_one_is_still_cancelled():
    logo = connection("logo", {**LOGO})  # quotes_to_erp: order_only, the default
    assert K.QUOTE_EXPORT not in kinds_taken(logo) and K.QUOTE_CANCEL in kinds_taken(logo)
    assert outbox_enqueue(kind=K.QUOTE_EXPORT, identity_key="quote:Q-1/1", object_id=1) == []
    offers = {offer.kind: offer.taken for offer in connection_exports(logo)}
    assert offers[K.QUOTE_EXPORT] is False
    logo.settings = {**LOGO, "quotes_to_erp": "quote"}
    logo.save()
    assert K.QUOTE_EXPORT in kinds_taken(logo)
    assert [job.kind for job in outbox_enqueue(kind=K.QUOTE_EXPORT, identity_key="quote:Q-1/1", object_id=1)] == [
        K.QUOTE_EXPORT
    ]


def test_unreadable_settings_send_no_quotes():
    broken = connection("logo", {**LOGO, "quotes_to_erp": "sometimes"})
    assert K.QUOTE_EXPORT not in kinds_taken(broken)
