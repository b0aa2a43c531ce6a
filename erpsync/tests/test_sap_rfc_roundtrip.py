"""SAP ECC over RFC end to end on the portal's database: the company imported through the BAPI simulator, a dealer's
order placed and approved in the portal, created in SAP exactly once (also when the commit's answer is lost),
delivered and invoiced in SAP and followed back into the portal; the system check for a missing pyrfc."""

from __future__ import annotations

import importlib.util
from decimal import Decimal

import pytest

from catalog.models import DealerAgreement, Product, ProductUnit, StockLevel
from dealers.models import Dealer, DealerDocument
from erpsync.checks import check_client_libraries
from erpsync.importers import sync_import
from erpsync.models import SyncJob, SyncRun
from erpsync.outbox import outbox_drain
from erpsync.simulators.sap_rfc import register, unregister
from erpsync.simulators.sap_rfc.demo import demo_system
from erpsync.tests.roundtrip import (
    approved_order,
    default_connection,
    drain_across_lost_answer,
    due_now,
    import_all,
    sent_to_erp,
)
from orders.models import Order
from orders.services.approval import can_dealer_cancel, order_dealer_cancel
from orders.status import OrderStatus as S

pytestmark = pytest.mark.django_db
D = Decimal
IMPORT_ORDER = ("unit", "category", "warehouse", "product", "stock", "customer", "balance", "credit", "agreement")


@pytest.fixture
def system():
    made = register("roundtrip", demo_system())
    yield made
    unregister("roundtrip")


@pytest.fixture
def sap(system, monkeypatch):
    for key, value in {"ASHOST": "sap.example", "SYSNR": "00", "CLIENT": "100", "USER": "RFC_B2B",
                       "PASSWD": "secret"}.items():  # fmt: skip
        monkeypatch.setenv(f"SAPRFCTEST_{key}", value)
    return default_connection(
        "sap_rfc",
        code="sap",
        name="SAP ECC",
        credentials_ref="SAPRFCTEST",
        settings={
            "transport": "simulator",
            "simulator": "roundtrip",
            "sales_org": "1000",
            "rejection_reason": "Z1",
            "locations": ["1000/0001"],
            "timeout_seconds": 1,
        },
        tax_codes={"1": "20"},
    )


def approved(dealer, sku: str, quantity: int = 3) -> tuple[Order, object]:
    StockLevel.objects.filter(product__sku=sku).update(on_hand=D(1000))
    return approved_order(dealer, Product.objects.get(sku=sku), quantity, by_staff=False)


def test_import_order_ship_and_invoice_round_trip(system, sap):
    runs = import_all(sap, IMPORT_ORDER)
    assert {entity: run.status for entity, run in runs.items()} == dict.fromkeys(IMPORT_ORDER, SyncRun.Status.SUCCEEDED)
    assert Product.objects.count() == len(system.materials) == 12
    service, blocked = Product.objects.get(sku="900001"), Product.objects.get(sku="8001")
    assert service.status == Product.Status.INACTIVE and blocked.status == Product.Status.INACTIVE
    assert ProductUnit.objects.get(product__sku="4701", unit__code="KAR").factor == 12
    assert StockLevel.objects.get(product__sku="4701", warehouse__code="1000/0001").on_hand == D("100.5")
    dealer = Dealer.objects.get(code="100001")
    assert DealerAgreement.objects.get(dealer=dealer, product__sku="4701").value == D("9.9")

    order, _buyer = approved(dealer, "4701")

    # SAP commits the order but the answer is lost: the retry finds it instead of creating another.
    system.fault("drop_after", "BAPI_TRANSACTION_COMMIT")
    drain_across_lost_answer(sap)
    sent_to_erp(order)
    (sap_order,) = system.order_by_po(order.number)
    assert system.stats.calls["BAPI_SALESORDER_CREATEFROMDAT2"] == 1
    assert (sap_order["KUNNR"], sap_order["items"][0]["MATNR"]) == ("0000100001", "000000000000004701")
    assert order.erp_document_number == sap_order["VBELN"].lstrip("0")

    sync_import(connection=sap, entity="order_status")
    order.refresh_from_db()
    assert order.status == S.CONFIRMED

    system.deliver(sap_order["VBELN"])
    for entity in ("order_status", "delivery"):
        assert sync_import(connection=sap, entity=entity).status == SyncRun.Status.SUCCEEDED
    order.refresh_from_db()
    assert order.status == S.SHIPPED
    assert DealerDocument.objects.get(kind="delivery", order=order).dealer == dealer

    invoice = system.invoice(sap_order["VBELN"])
    for entity in ("order_status", "invoice"):
        assert sync_import(connection=sap, entity=entity).status == SyncRun.Status.SUCCEEDED
    order.refresh_from_db()
    assert order.status == S.INVOICED
    billed = DealerDocument.objects.get(kind="invoice", order=order)
    header = system.invoices[invoice]
    assert billed.number == invoice.lstrip("0") and billed.gross == header["NETWR"] + header["MWSBK"]
    assert system.stats.calls["BAPI_SALESORDER_CREATEFROMDAT2"] == 1


def test_cancelled_in_the_portal_is_rejected_in_sap_until_the_first_delivery(system, sap):
    import_all(sap, IMPORT_ORDER)
    dealer = Dealer.objects.get(code="100001")
    assert Dealer.objects.get(code="100003").credit_hold  # KNKK's credit block
    kept, _ = approved(dealer, "4703")
    dropped, buyer = approved(dealer, "4703")
    outbox_drain(connection=sap)

    dropped.refresh_from_db()
    order_dealer_cancel(order=dropped, dealer_user=buyer, reason="Müşteri vazgeçti")
    outbox_drain(connection=sap)
    assert {item["ABGRU"] for item in system.order_by_po(dropped.number)[0]["items"]} == {"Z1"}
    assert SyncJob.objects.get(kind=SyncJob.Kind.ORDER_CANCEL).status == SyncJob.Status.SUCCEEDED

    (sap_kept,) = system.order_by_po(kept.number)
    system.deliver(sap_kept["VBELN"], {"000010": 1})
    sync_import(connection=sap, entity="order_status")
    kept.refresh_from_db()
    assert kept.status == S.PARTIALLY_SHIPPED and not can_dealer_cancel(kept)


def test_a_lock_in_sap_is_retried_then_the_order_goes_through(system, sap):
    import_all(sap, IMPORT_ORDER)
    order, _ = approved(Dealer.objects.get(code="100001"), "4701")
    system.lock_object("0000100001", "MEHMET")
    outbox_drain(connection=sap)
    job = SyncJob.objects.get(kind=SyncJob.Kind.ORDER_EXPORT)
    assert job.status == SyncJob.Status.RETRYING and "MEHMET" in job.last_error
    system.unlock_object("0000100001")
    due_now(job)
    outbox_drain(connection=sap)
    job.refresh_from_db()
    assert job.status == SyncJob.Status.SUCCEEDED
    assert len(system.order_by_po(order.number)) == 1


def test_a_connection_needing_pyrfc_is_reported_when_it_is_missing(sap, monkeypatch):
    assert check_client_libraries() == []  # the simulator needs nothing
    sap.settings["transport"] = "pyrfc"
    sap.save()
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *args: None)
    (error,) = check_client_libraries()
    assert error.id == "erpsync.E005" and "NW RFC SDK" in error.msg and "'sap'" in error.msg
    sap.is_active = False
    sap.save()
    assert check_client_libraries() == []
