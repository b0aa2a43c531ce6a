"""An approved delivery address goes to the ERP as a ship-to address once, through the outbox: looked up before it is
created, its ERP code stored on the address; an ERP error waits in the exception queue and a retry does not create
it twice; where the connection takes no ship-to addresses the approval says the address stays in the portal."""

from pathlib import Path

import pytest

from dealers.models import DealerAddress
from dealers.services import PORTAL_ONLY, SHIP_TO_QUEUED, dealer_address_decide, dealer_address_propose
from dealers.tests.factories import DealerUserFactory
from erpsync.adapters.base import ErpAck
from erpsync.handlers import ship_to_export_queue
from erpsync.issue_actions import sync_issue_retry
from erpsync.models import ErpConnection, SyncIssue, SyncJob
from erpsync.outbox import outbox_drain
from erpsync.simulators import SapB1Simulator
from erpsync.simulators.sap_b1.errors import B1Error

pytestmark = pytest.mark.django_db


def proposed(name="Yeni Depo"):
    admin = DealerUserFactory(role="admin")
    return dealer_address_propose(
        actor=admin.user, dealer=admin.dealer, name=name, line1="Sanayi Sok. 5", city="Kocaeli", district="Gebze"
    )


def approve(address, superuser):
    return dealer_address_decide(actor=superuser, address=address, approve=True)


def test_approved_address_is_created_once_and_takes_the_erp_code(memory_erp, superuser):
    address = approve(proposed(), superuser)
    assert address.erp_note == str(SHIP_TO_QUEUED)
    job = SyncJob.objects.get(kind=SyncJob.Kind.SHIP_TO_EXPORT)
    assert job.identity_key == f"address:{address.pk}"
    assert outbox_drain(connection=memory_erp.connection) == 1
    address.refresh_from_db()
    (ack,) = memory_erp.ship_tos.values()
    assert address.code == ack.document_id and ack.document_id in address.erp_note
    assert list(memory_erp.ship_tos) == [(address.dealer.code, "Yeni Depo")]
    job.refresh_from_db()
    assert job.status == SyncJob.Status.SUCCEEDED


def test_refused_address_goes_nowhere(memory_erp, superuser):
    dealer_address_decide(actor=superuser, address=proposed(), approve=False)
    assert not SyncJob.objects.filter(kind=SyncJob.Kind.SHIP_TO_EXPORT).exists()


def test_an_erp_error_waits_in_the_exception_queue_and_the_retry_creates_it_once(memory_erp, superuser):
    address = approve(proposed(), superuser)
    memory_erp.failures.append("rejected")
    outbox_drain(connection=memory_erp.connection)
    job = SyncJob.objects.get(kind=SyncJob.Kind.SHIP_TO_EXPORT)
    assert job.status == SyncJob.Status.DEAD
    issue = SyncIssue.objects.get(job=job)
    assert issue.entity == "address" and issue.external_id == f"address:{address.pk}"
    address.refresh_from_db()
    assert address.code == "" and not memory_erp.ship_tos
    sync_issue_retry(issue=issue, user=superuser)
    outbox_drain(connection=memory_erp.connection)
    job.refresh_from_db()
    assert job.status == SyncJob.Status.SUCCEEDED
    assert len(memory_erp.ship_tos) == 1


def test_a_retry_after_the_erp_applied_binds_the_existing_ship_to(memory_erp, superuser):
    address = approve(proposed(), superuser)
    # The ERP has it already (an earlier attempt it applied, the answer lost): looked up, not created again.
    memory_erp.ship_tos[(address.dealer.code, address.name)] = ErpAck("earlier", "ST-EARLIER")
    outbox_drain(connection=memory_erp.connection)
    address.refresh_from_db()
    assert address.code == "ST-EARLIER" and len(memory_erp.ship_tos) == 1


def test_approval_twice_queues_one_export(memory_erp, superuser):
    address = approve(proposed(), superuser)
    outbox_drain(connection=memory_erp.connection)
    ship_to_export_queue(address=address)  # the same address again: delivered already
    assert SyncJob.objects.filter(kind=SyncJob.Kind.SHIP_TO_EXPORT).count() == 1


def test_without_a_connection_that_takes_ship_tos_the_address_stays_in_the_portal(superuser):
    ErpConnection.objects.create(code="parasut", name="Paraşüt", adapter="parasut", is_default=True)
    address = approve(proposed(), superuser)
    assert address.erp_note == str(PORTAL_ONLY) and address.is_active
    assert not SyncJob.objects.exists()
    assert DealerAddress.objects.get(pk=address.pk).erp_note == str(PORTAL_ONLY)


def test_file_connection_writes_one_ship_to_file(tmp_path: Path, superuser):
    connection = ErpConnection.objects.create(
        code="files", name="Files", adapter="file", is_default=True, settings={"root": str(tmp_path)}
    )
    address = approve(proposed("Şube Çarşı"), superuser)
    outbox_drain(connection=connection)
    (written,) = (tmp_path / "outbound" / "ship_tos").glob("*.xml")
    assert written.name == f"ship-to-{address.pk}.xml"
    text = written.read_text(encoding="utf-8")
    assert "<ShipTo" in text and "<name>Şube Çarşı</name>" in text and "<city>Kocaeli</city>" in text
    assert f"<customer_code>{address.dealer.code}</customer_code>" in text
    address.refresh_from_db()
    assert address.code == f"ship-to-{address.pk}"
    # Queued again by hand: the file was handed over already, nothing is written twice.
    SyncJob.objects.update(status=SyncJob.Status.PENDING)
    DealerAddress.objects.filter(pk=address.pk).update(code="")
    outbox_drain(connection=connection)
    assert len(list((tmp_path / "outbound").rglob("ship-to-*.xml"))) == 2  # the file and its ledger copy


# --- SAP Business One: BPAddresses on the business partner ---------------------------------------------------


@pytest.fixture
def sim():
    with SapB1Simulator(items=2, customers=2) as simulator:
        yield simulator


@pytest.fixture
def sap(sim, monkeypatch):
    monkeypatch.setenv("SAPTEST_USERNAME", "manager")
    monkeypatch.setenv("SAPTEST_PASSWORD", "1234")
    return ErpConnection.objects.create(
        code="sap",
        name="SAP Business One",
        adapter="sap_b1",
        is_default=True,
        credentials_ref="SAPTEST",
        settings={"base_url": sim.base_url, "company_db": sim.company_db, "timeout_seconds": 2, "read_retries": 0},
    )


def sap_proposed(name="Gebze Depo"):
    admin = DealerUserFactory(role="admin", dealer__code="C0001")
    return dealer_address_propose(
        actor=admin.user, dealer=admin.dealer, name=name, line1="Sanayi Sok. 5", line2="B Blok", city="Kocaeli"
    )


def ship_tos(sim, name):
    partner = sim.company.business_partners["C0001"]
    return [row for row in partner["BPAddresses"] if row["AddressName"] == name and row["AddressType"] == "bo_ShipTo"]


def test_sap_adds_the_ship_to_to_the_partner_once_and_keeps_its_other_addresses(sim, sap, superuser):
    before = len(sim.company.business_partners["C0001"]["BPAddresses"])
    address = approve(sap_proposed(), superuser)
    outbox_drain(connection=sap)
    (row,) = ship_tos(sim, "Gebze Depo")
    assert (row["Street"], row["Block"], row["City"], row["BPCode"]) == ("Sanayi Sok. 5", "B Blok", "Kocaeli", "C0001")
    partner = sim.company.business_partners["C0001"]
    assert len(partner["BPAddresses"]) == before + 1
    assert len({r["RowNum"] for r in partner["BPAddresses"]}) == before + 1  # SAP numbered the new row
    address.refresh_from_db()
    assert address.code == "Gebze Depo"  # the ship-to's name is the code orders name it by (ShipToCode)
    # Run again (a worker that died after SAP applied it): looked up, not added twice.
    SyncJob.objects.update(status=SyncJob.Status.PENDING)
    DealerAddress.objects.filter(pk=address.pk).update(code="")
    outbox_drain(connection=sap)
    assert len(ship_tos(sim, "Gebze Depo")) == 1


def test_sap_refusal_waits_in_the_exception_queue_and_the_retry_adds_it_once(sim, sap, superuser):
    address = approve(sap_proposed(), superuser)
    sim.faults.refuse("*BusinessPartners*", code=-10, message="Invalid country code 'TR'", method="PATCH")
    outbox_drain(connection=sap)
    job = SyncJob.objects.get(kind=SyncJob.Kind.SHIP_TO_EXPORT)
    assert job.status == SyncJob.Status.DEAD
    issue = SyncIssue.objects.get(job=job)
    assert "Invalid country" in issue.message and not ship_tos(sim, "Gebze Depo")
    sim.faults.clear()
    sync_issue_retry(issue=issue, user=superuser)
    outbox_drain(connection=sap)
    job.refresh_from_db()
    assert job.status == SyncJob.Status.SUCCEEDED and len(ship_tos(sim, "Gebze Depo")) == 1
    address.refresh_from_db()
    assert address.code == "Gebze Depo"


def test_sap_ship_to_of_the_same_name_elsewhere_is_not_bound(sim, sap, superuser):
    sim.company.patch("BusinessPartners", "C0001", {"BPAddresses": [
        {"AddressName": "Gebze Depo", "AddressType": "bo_ShipTo", "Street": "Başka Cad. 9", "City": "Bursa"}
    ]})  # fmt: skip
    address = approve(sap_proposed(), superuser)
    outbox_drain(connection=sap)
    assert SyncJob.objects.get().status == SyncJob.Status.DEAD
    assert "another address" in SyncIssue.objects.get().message
    address.refresh_from_db()
    assert address.code == "" and len(ship_tos(sim, "Gebze Depo")) == 1


def test_sap_simulator_refuses_a_second_ship_to_of_one_name_and_applies_nothing(sim):
    partner = sim.company.business_partners["C0001"]
    before = [dict(row) for row in partner["BPAddresses"]]
    row = {"AddressName": "X", "AddressType": "bo_ShipTo", "Street": "S", "City": "C"}
    with pytest.raises(B1Error):
        sim.company.patch("BusinessPartners", "C0001", {"BPAddresses": [row, dict(row)]})
    assert partner["BPAddresses"] == before
