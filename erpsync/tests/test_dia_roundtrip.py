"""DİA end to end on the portal's database: the demo company imported from the simulator, a dealer's order placed and
approved in the portal, sent once as a sales order (also when DİA's answer is lost), dispatched and invoiced in DİA,
and read back into the portal as shipped, invoiced and on the dealer's statement — with the kontör it cost counted."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from accounts.tests.factories import UserFactory
from catalog.models import Product, StockLevel
from dealers.models import Dealer, DealerAddress, DealerDocument
from dealers.services import CUSTOMER_QUEUED, dealer_confirm
from dealers.tests.factories import DealerAddressFactory, DealerFactory
from erpsync.api_usage import api_usage_on
from erpsync.binders import to_external
from erpsync.models import SyncJob
from erpsync.outbox import outbox_drain
from erpsync.simulators.dia import DiaSimulator
from erpsync.tests.roundtrip import (
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
IMPORT_ORDER = ("unit", "warehouse", "price_list", "product", "stock", "price", "customer", "agreement", "balance")


@pytest.fixture
def sim():
    with DiaSimulator(demo=True) as simulator:
        # DİA's clock: Istanbul's local time, without a zone (as ``_date`` and document dates are).
        simulator.company.now = datetime.now(ZoneInfo("Europe/Istanbul")).replace(tzinfo=None, microsecond=0)
        yield simulator


@pytest.fixture
def dia(sim, monkeypatch):
    credentials(monkeypatch, "DIATEST", USERNAME=sim.username, PASSWORD=sim.password, APIKEY=sim.apikey)
    return default_connection(
        "dia",
        code="dia",
        name="DİA",
        credentials_ref="DIATEST",
        settings={
            "base_url": sim.base_url,
            "timeout_seconds": 2,
            "read_retries": 1,
            "price_slots": {"1": "Perakende", "2": "Bayi"},
            "customer_price_list": "FIYAT2",
            "unsellable_warehouses": ["KRN"],
            "order_depot": "MRK",
        },
    )


def test_import_order_once_dispatch_invoice_and_statement(sim, dia):
    runs = import_all(dia, IMPORT_ORDER)
    # The demo company's awkward rows are refused one by one, never the run: a depot below zero, a customer without
    # a tax number (and so its balance).
    assert refused(runs) == {
        "stock": ["stock is below 0: -4."],
        "customer": ["The customer has no tax number (VKN or TCKN)."],
        "balance": ["120.01.002: the customer is not in the portal."],
    }
    tea = Product.objects.get(sku="ÇAY-001")
    assert tea.vat_rate == 20
    assert Product.objects.get(sku="ESK-01").status == Product.Status.INACTIVE  # passive in DİA
    assert Product.objects.get(sku="DMR-99").status == Product.Status.INACTIVE  # a fixture, not for sale
    dealer = Dealer.objects.get(code="120.01.001")
    assert dealer.title.startswith("Öztürk Gıda")
    assert all("api" in run.summary for run in runs.values())
    StockLevel.objects.filter(product=tea).update(on_hand=D(1000))

    order, _buyer = approved_order(dealer, tea, 3, note="DİA")

    # DİA books the order but the answer is lost: the retry finds it by its number instead of making another.
    sim.faults.drop_response("scf/scf_siparis_ekle")
    drain_across_lost_answer(dia)
    sent_to_erp(order)
    assert sim.count("scf_siparis_ekle") == 1
    (booked,) = sim.company.find("siparis", belgeno=order.number)
    assert [(line["__stokkartkodu"], line["miktar"]) for line in booked["m_kalemler"]] == [("ÇAY-001", D(3))]
    assert booked["net"].quantize(D("0.01")) == order.total_gross

    # DİA's users dispatch and invoice it; the portal reads it back.
    with sim.company.lock:
        sim.company.advance(days=1)
        dispatch = sim.company.dispatch(booked["_key"], carrier="Aras Kargo", tracking="AR-998877")
        invoice = sim.company.invoice([dispatch["_key"]], number="DIA2026000000777")
    read_back(dia, ("order_status", "delivery", "invoice", "ledger", "balance"))
    order.refresh_from_db()
    assert order.status == S.INVOICED
    document = DealerDocument.objects.get(kind="invoice", dealer=dealer, number="DIA2026000000777")
    assert document.gross == order.total_gross == invoice["net"].quantize(D("0.01"))
    delivery = DealerDocument.objects.get(kind="delivery", dealer=dealer, tracking_number="AR-998877")
    assert (delivery.order_id, document.order_id) == (order.pk, order.pk)
    on_statement_once(order, dealer, "DIA2026000000777")
    spent = api_usage_on(f"dia:{sim.base_url}")
    assert spent.calls == len(sim.calls)
    assert Decimal(1000) - sim.credits == spent.credits


def test_a_confirmed_dealer_becomes_one_dia_card_also_when_the_answer_is_lost(sim, dia):
    dealer = DealerFactory(code="120.01.950", status=Dealer.Status.INACTIVE, title="Güneş Yapı Market Ltd. Şti.")
    DealerAddressFactory(dealer=dealer, kind=DealerAddress.Kind.BILLING, name="Merkez", city="Ankara")
    confirmed = dealer_confirm(actor=UserFactory(is_staff=True, is_superuser=True), dealer=dealer)
    assert confirmed.erp_queued and str(confirmed) == str(CUSTOMER_QUEUED)
    sim.faults.drop_response("scf/scf_carikart_ekle")

    outbox_drain(connection=dia)
    job = SyncJob.objects.get(kind=SyncJob.Kind.CUSTOMER_EXPORT)
    assert job.status == SyncJob.Status.RETRYING
    due_now(SyncJob.Kind.CUSTOMER_EXPORT)
    outbox_drain(connection=dia)

    job.refresh_from_db()
    assert job.status == SyncJob.Status.SUCCEEDED
    assert sim.company.created_customers == ["120.01.950"] and sim.count("scf_carikart_ekle") == 1
    (card,) = [row for row in sim.company.tables["carikart"] if row["carikartkodu"] == "120.01.950"]
    assert (card["unvan"], card["verginumarasi"], card["vergidairesi"], card["sehir"]) == (
        "Güneş Yapı Market Ltd. Şti.",
        dealer.tax_number,
        "Kadıköy",
        "Ankara",
    )
    assert to_external(dia, "customer", dealer.pk) == "120.01.950"
