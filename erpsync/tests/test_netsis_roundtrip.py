"""Netsis end to end on the portal's database: the demo company imported from the simulator over NetOpenX REST, a
dealer's order placed and approved in the portal, sent once as an order slip (also when Netsis's answer is lost),
dispatched and invoiced in Netsis, and read back into the portal as shipped, invoiced and on the dealer's
statement."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.tests.factories import UserFactory
from catalog.models import Product, StockLevel
from dealers.models import Dealer, DealerAddress, DealerDocument
from dealers.services import CUSTOMER_QUEUED, dealer_confirm
from dealers.tests.factories import DealerAddressFactory, DealerFactory
from erpsync.binders import to_external
from erpsync.models import SyncJob, SyncRun
from erpsync.outbox import outbox_drain
from erpsync.simulators.netsis import NetsisSimulator
from erpsync.tests.roundtrip import (
    FULL_IMPORT,
    approved_order,
    credentials,
    default_connection,
    drain_across_lost_answer,
    due_now,
    import_all,
    on_statement_once,
    read_back,
    refused,
    sent_to_erp,
)
from orders.status import OrderStatus as S

pytestmark = pytest.mark.django_db
D = Decimal
IMPORT_ORDER = FULL_IMPORT


@pytest.fixture
def sim():
    with NetsisSimulator(demo=True) as simulator:
        yield simulator


@pytest.fixture
def netsis(sim, monkeypatch):
    credentials(
        monkeypatch,
        "NETSISTEST",
        USERNAME=sim.username,
        PASSWORD=sim.password,
        DB_USER=sim.db_user,
        DB_PASSWORD=sim.db_password,
    )
    return default_connection(
        "netsis",
        code="netsis",
        name="Netsis",
        credentials_ref="NETSISTEST",
        settings={
            "base_url": sim.root_url,
            "db_name": sim.db_name,
            "timeout_seconds": 2,
            "read_retries": 1,
            "lookback_days": 3650,
            "warehouses": {"1": "Merkez Depo", "2": "Ankara", "3": "İzmir Konsinye"},
            "unsellable_warehouses": ["3"],
        },
    )


def test_import_order_once_dispatch_invoice_and_statement(sim, netsis):
    runs = import_all(netsis, IMPORT_ORDER)
    assert runs["product"].status == SyncRun.Status.SUCCEEDED, refused(runs)
    tea = Product.objects.get(sku="ÇAY-001")
    assert tea.vat_rate == 20
    assert Product.objects.get(sku="HAM-01").status == Product.Status.INACTIVE  # a raw material, not for sale
    dealer = Dealer.objects.get(code="120.01.001")
    assert dealer.title.startswith("Öztürk Gıda")
    StockLevel.objects.filter(product=tea).update(on_hand=D(1000))

    order, _buyer = approved_order(dealer, tea, 3, note="Netsis onayı")

    # Netsis makes the slip but the answer is lost: the retry finds it instead of making another.
    sim.faults.drop_response("ItemSlips", method="POST")
    drain_across_lost_answer(netsis)
    sent_to_erp(order)
    assert sim.stats.count("POST", "ItemSlips") == 1
    with sim.company.lock:
        (slip,) = [s for s in sim.company.slips.values() if s["FatUst"].get("EKACK1") == order.number]
        assert slip["FaturaTip"] == "ftSSip"
        assert [(line["StokKodu"], line["STra_GCMIK"]) for line in slip["Kalems"]] == [("ÇAY-001", 3)]
        assert slip["FatUst"]["GENELTOPLAM"] == order.total_gross
        number = slip["FatUst"]["FATIRS_NO"]
        assert sim.company.stock[("ÇAY-001", 1)]["reserved"] == 24 + 3  # the demo's open order holds 2 boxes

        # Netsis's users dispatch and invoice it; the portal reads it back.
        sim.company.advance(days=1)
        dispatch = sim.company.convert_order(number, "120.01.001", "ftSIrs")
        sim.company.invoice_dispatch(dispatch["FatUst"]["FATIRS_NO"], "120.01.001")
        assert sim.company.stock[("ÇAY-001", 1)] == {"on_hand": 480 - 3, "reserved": 24}
    # The demo company's own orders (keyed in Netsis) are not the portal's.
    read_back(netsis, ("order_status", "delivery", "invoice", "ledger", "balance"))
    order.refresh_from_db()
    assert order.status == S.INVOICED
    invoice = DealerDocument.objects.get(kind="invoice", dealer=dealer, order=order)
    assert invoice.gross == order.total_gross
    delivery = DealerDocument.objects.get(kind="delivery", dealer=dealer, order=order)
    assert delivery.number.startswith("IRS")
    on_statement_once(order, dealer, invoice.number)


def test_a_confirmed_dealer_becomes_one_netsis_account_also_when_the_answer_is_lost(sim, netsis):
    dealer = DealerFactory(code="120.01.950", status=Dealer.Status.INACTIVE, title="Güneş Yapı Market Ltd. Şti.")
    DealerAddressFactory(dealer=dealer, kind=DealerAddress.Kind.BILLING, name="Merkez", city="Ankara")
    confirmed = dealer_confirm(actor=UserFactory(is_staff=True, is_superuser=True), dealer=dealer)
    assert confirmed.erp_queued and str(confirmed) == str(CUSTOMER_QUEUED)
    sim.faults.drop_response("ARPs", method="POST")

    outbox_drain(connection=netsis)
    job = SyncJob.objects.get(kind=SyncJob.Kind.CUSTOMER_EXPORT)
    assert job.status == SyncJob.Status.RETRYING
    due_now(SyncJob.Kind.CUSTOMER_EXPORT)
    outbox_drain(connection=netsis)

    job.refresh_from_db()
    assert job.status == SyncJob.Status.SUCCEEDED
    assert sim.company.created_arps == ["120.01.950"] and sim.stats.count("POST", "ARPs") == 1
    account = sim.company.arps["120.01.950"]
    assert (account["CARI_ISIM"], account["VERGI_NO"], account["VERGI_DAIRESI"], account["CARI_IL"]) == (
        "Güneş Yapı Market Ltd. Şti.",
        dealer.tax_number,
        "Kadıköy",
        "Ankara",
    )
    assert to_external(netsis, "customer", dealer.pk) == "120.01.950"
