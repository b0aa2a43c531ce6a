"""A dealer registered in the portal and confirmed by staff goes to the ERP as a new customer account once, through the
outbox: looked up by its code before it is created and after an answer that never came, the ERP's code bound to the
dealer; a dealer the ERP knows already (bound by an import) queues nothing; where the connection creates no customer
accounts the confirmation says so."""

from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from dealers.models import Dealer, DealerAddress, DealerChange
from dealers.services import CUSTOMER_PORTAL_ONLY, CUSTOMER_QUEUED, dealer_confirm
from dealers.tests.factories import DealerAddressFactory, DealerFactory
from erpsync.adapters.base import ErpAck
from erpsync.binders import bind, to_external
from erpsync.exporters import customer_record
from erpsync.issue_actions import sync_issue_retry
from erpsync.models import ErpConnection, ExternalRef, SyncIssue, SyncJob
from erpsync.outbox import outbox_drain

pytestmark = pytest.mark.django_db


def registered(**fields):
    dealer = DealerFactory(status=Dealer.Status.INACTIVE, status_reason="Portal registration", **fields)
    DealerAddressFactory(dealer=dealer, kind=DealerAddress.Kind.SHIPPING, name="Depo", city="Kocaeli")
    DealerAddressFactory(dealer=dealer, kind=DealerAddress.Kind.BILLING, name="Merkez", city="Ankara", is_default=True)
    return dealer


def test_confirmed_dealer_is_created_once_and_bound(memory_erp, superuser):
    dealer = registered(code="120.01.777")

    outcome = dealer_confirm(actor=superuser, dealer=dealer)

    assert outcome.erp_queued and str(outcome) == str(CUSTOMER_QUEUED)
    dealer.refresh_from_db()
    assert dealer.status == Dealer.Status.ACTIVE and dealer.status_reason == ""
    assert DealerChange.objects.filter(dealer=dealer, field="status", new_value="active").exists()
    job = SyncJob.objects.get(kind=SyncJob.Kind.CUSTOMER_EXPORT)
    assert (job.identity_key, job.object_id) == (f"dealer:{dealer.pk}", dealer.pk)
    assert outbox_drain(connection=memory_erp.connection) == 1
    assert memory_erp.customer_pushes == ["120.01.777"]
    assert to_external(memory_erp.connection, "customer", dealer.pk) == "120.01.777"
    job.refresh_from_db()
    assert job.status == SyncJob.Status.SUCCEEDED


def test_the_record_carries_the_billing_address_terms_and_rep(memory_erp):
    dealer = registered(code="120.01.778", title="Çağrı Yapı A.Ş.", email="a@b.example")
    record = customer_record(dealer, memory_erp.connection)
    assert (record.code, record.title, record.tax_number) == ("120.01.778", "Çağrı Yapı A.Ş.", dealer.tax_number)
    assert record.address is not None and (record.address.name, record.address.city) == ("Merkez", "Ankara")
    assert record.reference == f"dealer:{dealer.pk}"


def test_only_staff_confirm_and_only_dealers_not_yet_active(memory_erp, superuser, django_user_model):
    dealer = registered()
    clerk = django_user_model.objects.create_user(email="clerk@example.com", password="x")
    with pytest.raises(PermissionDenied):
        dealer_confirm(actor=clerk, dealer=dealer)
    dealer_confirm(actor=superuser, dealer=dealer)
    with pytest.raises(ValidationError):
        dealer_confirm(actor=superuser, dealer=dealer)
    assert SyncJob.objects.filter(kind=SyncJob.Kind.CUSTOMER_EXPORT).count() == 1


def test_a_dealer_the_erp_knows_already_queues_nothing(memory_erp, superuser):
    dealer = registered(code="120.01.779")
    bind(memory_erp.connection, "customer", dealer.pk, "120.01.779")  # an import matched it before
    dealer_confirm(actor=superuser, dealer=dealer)
    assert not SyncJob.objects.filter(kind=SyncJob.Kind.CUSTOMER_EXPORT).exists()


def test_an_account_the_erp_holds_already_is_bound_not_created(memory_erp, superuser):
    dealer = registered(code="120.01.780")
    memory_erp.customers["120.01.780"] = ErpAck("120.01.780", "120.01.780", "4711")  # keyed in by an ERP user
    dealer_confirm(actor=superuser, dealer=dealer)
    outbox_drain(connection=memory_erp.connection)
    assert memory_erp.customer_pushes == []
    assert to_external(memory_erp.connection, "customer", dealer.pk) == "120.01.780"


def test_an_answer_that_never_came_is_looked_up_and_not_created_twice(memory_erp, superuser):
    dealer = registered(code="120.01.781")
    dealer_confirm(actor=superuser, dealer=dealer)
    memory_erp.failures.append("timeout_after_apply")
    outbox_drain(connection=memory_erp.connection)
    job = SyncJob.objects.get(kind=SyncJob.Kind.CUSTOMER_EXPORT)
    assert job.status == SyncJob.Status.RETRYING
    SyncJob.objects.filter(pk=job.pk).update(next_attempt_at=job.created_at)
    outbox_drain(connection=memory_erp.connection)
    job.refresh_from_db()
    assert job.status == SyncJob.Status.SUCCEEDED
    assert memory_erp.customer_pushes == ["120.01.781"]
    assert to_external(memory_erp.connection, "customer", dealer.pk) == "120.01.781"


def test_an_erp_refusal_waits_in_the_exception_queue_and_the_retry_creates_it_once(memory_erp, superuser):
    dealer = registered(code="120.01.782")
    dealer_confirm(actor=superuser, dealer=dealer)
    memory_erp.failures.append("rejected")
    outbox_drain(connection=memory_erp.connection)
    job = SyncJob.objects.get(kind=SyncJob.Kind.CUSTOMER_EXPORT)
    assert job.status == SyncJob.Status.DEAD
    issue = SyncIssue.objects.get(job=job)
    assert issue.entity == "customer"
    assert to_external(memory_erp.connection, "customer", dealer.pk) is None
    sync_issue_retry(issue=issue, user=superuser)
    outbox_drain(connection=memory_erp.connection)
    job.refresh_from_db()
    assert job.status == SyncJob.Status.SUCCEEDED and memory_erp.customer_pushes == ["120.01.782"]


def test_an_erp_code_bound_to_another_dealer_is_refused(memory_erp, superuser):
    other = DealerFactory(code="120.01.900")
    bind(memory_erp.connection, "customer", other.pk, "120.01.783")
    dealer = registered(code="120.01.783")
    dealer_confirm(actor=superuser, dealer=dealer)
    outbox_drain(connection=memory_erp.connection)
    job = SyncJob.objects.get(kind=SyncJob.Kind.CUSTOMER_EXPORT)
    assert job.status == SyncJob.Status.DEAD and "another dealer" in job.last_error


def test_a_dealer_deactivated_before_the_export_is_not_created(memory_erp, superuser):
    dealer = registered()
    dealer_confirm(actor=superuser, dealer=dealer)
    Dealer.objects.filter(pk=dealer.pk).update(status=Dealer.Status.INACTIVE)
    outbox_drain(connection=memory_erp.connection)
    assert memory_erp.customer_pushes == []
    assert SyncJob.objects.get(kind=SyncJob.Kind.CUSTOMER_EXPORT).status == SyncJob.Status.CANCELLED


def test_without_a_connection_that_creates_customers_staff_are_told(superuser):
    ErpConnection.objects.create(code="parasut", name="Paraşüt", adapter="parasut", is_default=True)
    dealer = registered(code="120.01.784")
    outcome = dealer_confirm(actor=superuser, dealer=dealer)
    assert not outcome.erp_queued and str(outcome) == str(CUSTOMER_PORTAL_ONLY % {"code": "120.01.784"})
    assert not SyncJob.objects.exists()


def test_file_connection_writes_one_customer_file(tmp_path: Path, superuser):
    connection = ErpConnection.objects.create(
        code="files", name="Files", adapter="file", is_default=True, settings={"root": str(tmp_path)}
    )
    dealer = registered(code="120.01.785", title="Öz Şişli Gıda")
    dealer_confirm(actor=superuser, dealer=dealer)
    outbox_drain(connection=connection)
    (written,) = (tmp_path / "outbound" / "customers").glob("*.xml")
    assert written.name == "120.01.785.xml"
    text = written.read_text(encoding="utf-8")
    assert "<Customer" in text and "<title>Öz Şişli Gıda</title>" in text
    assert "<address>" in text and "<city>Ankara</city>" in text
    assert to_external(connection, "customer", dealer.pk) == "120.01.785"
    # Queued again by hand, the binding lost: the file was handed over already, nothing is written twice.
    SyncJob.objects.update(status=SyncJob.Status.PENDING)
    ExternalRef.objects.filter(entity="customer").delete()
    outbox_drain(connection=connection)
    assert len(list((tmp_path / "outbound").rglob("120.01.785.xml"))) == 2  # the file and its ledger copy
    assert to_external(connection, "customer", dealer.pk) == "120.01.785"


def test_staff_confirm_in_the_admin(memory_erp, staff_client):
    new, active = registered(code="120.01.786"), DealerFactory(code="120.01.787")
    url = reverse("admin:dealers_dealer_changelist")
    response = staff_client.post(url, {"action": "confirm", "_selected_action": [new.pk, active.pk]}, follow=True)
    text = response.content.decode()
    assert str(CUSTOMER_QUEUED) in text and "120.01.787" in text  # the active one refused, by name
    new.refresh_from_db()
    assert new.status == Dealer.Status.ACTIVE
    assert list(SyncJob.objects.values_list("object_id", flat=True)) == [new.pk]
