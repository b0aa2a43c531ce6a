"""Logo end to end on the portal's database: the demo firm imported from the simulator over REST, a dealer's order
placed and approved in the portal, sent once as a sales order slip (also when Logo's answer is lost), shipped and
invoiced in Logo, and read back into the portal as shipped, invoiced and on the dealer's statement; a new dealer
confirmed in the portal made once as a Logo customer card."""

from __future__ import annotations

from decimal import Decimal

import pytest

from accounts.tests.factories import UserFactory
from catalog.models import Product, StockLevel
from dealers.models import Dealer, DealerDocument
from dealers.services import dealer_confirm
from dealers.tests.factories import DealerAddressFactory, DealerFactory
from erpsync.binders import to_external
from erpsync.importers import sync_import
from erpsync.models import SyncJob, SyncRun
from erpsync.outbox import outbox_drain
from erpsync.simulators.logo import LogoSimulator
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
from orders.services.quotes import quote_cancel, quote_send
from orders.status import OrderStatus as S
from orders.tests.factories import buyer_of
from orders.tests.quote_factories import priced_quote, requested_quote, staff_user

pytestmark = pytest.mark.django_db
D = Decimal
IMPORT_ORDER = FULL_IMPORT


@pytest.fixture
def sim():
    with LogoSimulator(demo=True) as simulator:
        yield simulator


@pytest.fixture
def logo(sim, monkeypatch):
    credentials(
        monkeypatch,
        "LOGOTEST",
        CLIENT_ID=sim.client_id,
        CLIENT_SECRET=sim.client_secret,
        USERNAME=sim.username,
        PASSWORD=sim.password,
    )
    return default_connection(
        "logo",
        code="logo",
        name="Logo Tiger",
        credentials_ref="LOGOTEST",
        settings={
            "base_url": sim.root_url,
            "firm": 1,
            "period": 2,
            "previous_period": 1,
            "timeout_seconds": 2,
            "read_retries": 1,
            "lookback_days": 3650,
            "unsellable_warehouses": ["2"],
        },
    )


def test_import_order_once_dispatch_invoice_and_statement(sim, logo):
    runs = import_all(logo, IMPORT_ORDER)
    assert runs["product"].status == SyncRun.Status.SUCCEEDED, refused(runs)
    tea = Product.objects.get(sku="ÇAY-001")
    assert tea.vat_rate == 20
    assert Product.objects.get(sku="ESK-01").status == Product.Status.INACTIVE
    assert Product.objects.get(sku="DMR-99").status == Product.Status.INACTIVE
    dealer = Dealer.objects.get(code="120.01.001")
    assert dealer.title.startswith("Öztürk Gıda")
    StockLevel.objects.filter(product=tea).update(on_hand=D(1000))

    order, _buyer = approved_order(dealer, tea, 3, note="Logo onayı")

    # Logo makes the slip but the answer is lost: the retry finds it instead of making another.
    sim.faults.drop_response("salesOrders", method="POST")
    drain_across_lost_answer(logo)
    sent_to_erp(order)
    assert sim.stats.count("POST", "salesOrders") == 1
    with sim.firm.lock:
        (slip,) = sim.firm.rows("SELECT * FROM LG_001_02_ORFICHE WHERE DOCODE = ?", (order.number,))
        lines = sim.firm.order_lines(slip["LOGICALREF"])
    assert [(line["AMOUNT"], line["STATUS"]) for line in lines] == [(3.0, 4)]
    assert dealer.sales_rep is not None and dealer.sales_rep.code == "PL-01"  # from SLSCLREL
    with sim.firm.lock:
        assert slip["SALESMANREF"] == sim.firm.salesman("PL-01")["LOGICALREF"]
    assert D(str(slip["NETTOTAL"])).quantize(D("0.01")) == order.total_gross

    # Logo's users ship and invoice it (an e-invoice); the portal reads it back.
    with sim.firm.lock:
        sim.firm.advance(days=1)
        dispatch = sim.firm.dispatch(slip["LOGICALREF"], carrier="ARAS", tracking="AR-998877")
        sim.firm.invoice([dispatch], e_invoice_uuid="7A1B2C3D-0000-4000-8000-0000000000AA")
    # The demo firm's own orders (keyed in Logo, or sent before the portal) are not the portal's.
    read_back(logo, ("order_status", "delivery", "invoice", "ledger", "balance"))
    order.refresh_from_db()
    assert order.status == S.INVOICED
    invoice = DealerDocument.objects.get(
        kind="invoice", dealer=dealer, e_invoice_uuid__iexact="7a1b2c3d-0000-4000-8000-0000000000aa"
    )
    assert invoice.gross == order.total_gross
    delivery = DealerDocument.objects.get(
        kind="delivery", dealer=dealer, number__startswith="IRS", tracking_number="AR-998877"
    )
    assert (delivery.order_id, invoice.order_id) == (order.pk, order.pk)
    on_statement_once(order, dealer, invoice.number)


@pytest.mark.parametrize("transport", ["rest", "soap"])
def test_new_dealer_becomes_one_logo_customer_card(sim, logo, transport, monkeypatch):
    """A dealer staff confirm is created once as a Logo customer card (also when Logo's answer is lost), over REST or
    SOAP, and the next customer import keeps it matched to the same dealer."""
    if transport == "soap":
        monkeypatch.setenv("LOGOTEST_SECURITY_CODE", sim.soap.security_code)
        logo.settings.update(write_transport="soap", soap_url=sim.soap_url)
        logo.save(update_fields=["settings"])
    dealer = DealerFactory(code="120.01.950", title="Şahin Yapı Malzemeleri Ltd. Şti.", status="inactive")
    DealerAddressFactory(dealer=dealer, kind="billing", name="Merkez", line1="Atatürk Blv. 5", city="Ankara")
    staff = UserFactory(is_staff=True, is_superuser=True)
    dealer_confirm(actor=staff, dealer=dealer)

    lost = "LogoObjectService.svc/AppendDataObject" if transport == "soap" else "Arps"
    sim.faults.drop_response(lost, method="POST")
    drain_across_lost_answer(logo, SyncJob.Kind.CUSTOMER_EXPORT)
    assert sim.stats.count("POST", lost) == 1
    with sim.firm.lock:
        (card,) = sim.firm.rows("SELECT * FROM LG_001_CLCARD WHERE CODE = ?", ("120.01.950",))
    assert (card["DEFINITION_"], card["TAXNR"], card["CITY"], card["CARDTYPE"]) == (
        "Şahin Yapı Malzemeleri Ltd. Şti.",
        dealer.tax_number,
        "Ankara",
        1,
    )
    assert to_external(logo, "customer", dealer.pk) == "120.01.950"

    sync_import(connection=logo, entity="price_list", full=True)
    run = sync_import(connection=logo, entity="customer", full=True)
    assert not [i.message for i in run.issues.all() if "120.01.950" in i.message]  # the demo firm's own are messy
    assert Dealer.objects.filter(tax_number=dealer.tax_number).count() == 1
    dealer.refresh_from_db()
    assert dealer.status == Dealer.Status.ACTIVE


def test_a_new_dealer_whose_tax_number_logo_knows_is_not_made_twice(sim, logo):
    """Logo holds 120.01.001 with the dealer's tax number: the export waits for staff instead of a second card."""
    dealer = DealerFactory(
        code="120.01.951", title="Öztürk Gıda (yeni kayıt)", tax_number="1234567890", status="inactive"
    )
    dealer_confirm(actor=UserFactory(is_staff=True, is_superuser=True), dealer=dealer)
    outbox_drain(connection=logo)
    job = SyncJob.objects.get(kind=SyncJob.Kind.CUSTOMER_EXPORT)
    assert job.status == SyncJob.Status.DEAD and "120.01.001" in job.last_error
    with sim.firm.lock:
        assert not sim.firm.customer("120.01.951")
    assert to_external(logo, "customer", dealer.pk) is None


def test_a_sent_quote_becomes_one_suggestion_slip_and_its_cancellation_cancels_it(sim, logo):
    """With ``quotes_to_erp`` ``quote`` a sent quote version is a Logo sales order slip in status 1 (öneri), marked
    as the portal's quote: it reserves nothing, the order reads leave it out, cancelling the quote cancels it."""
    logo.settings["quotes_to_erp"] = "quote"
    logo.save(update_fields=["settings"])
    import_all(logo, IMPORT_ORDER)
    tea = Product.objects.get(sku="ÇAY-001")
    StockLevel.objects.filter(product=tea).update(on_hand=D(1000))
    with sim.firm.lock:
        reserved = sim.firm.rows("SELECT SUM(ACTSORDER) AS N FROM LG_001_02_GNTOTST")[0]["N"]
    buyer, staff = buyer_of(Dealer.objects.get(code="120.01.001")), staff_user()
    quote = requested_quote(buyer, tea, quantity="4", note="Şantiye için")
    priced_quote(quote, staff, net="1100", days=10, terms="Teslim 5 iş günü")
    quote_send(quote=quote, actor=staff)
    sim.faults.drop_response("salesOrders", method="POST")  # Logo makes it, the answer is lost

    outbox_drain(connection=logo)
    due_now(SyncJob.Kind.QUOTE_EXPORT)
    outbox_drain(connection=logo)

    job = SyncJob.objects.get(kind=SyncJob.Kind.QUOTE_EXPORT)
    assert job.status == SyncJob.Status.SUCCEEDED, job.last_error
    assert sim.stats.count("POST", "salesOrders") == 1
    with sim.firm.lock:
        (slip,) = sim.firm.rows("SELECT * FROM LG_001_02_ORFICHE WHERE DOCODE = ?", (f"{quote.number}-1",))
        assert sim.firm.rows("SELECT SUM(ACTSORDER) AS N FROM LG_001_02_GNTOTST")[0]["N"] == reserved
    assert (slip["STATUS"], slip["SPECODE"], slip["CANCELLED"]) == (1, "B2B-TEKLIF", 0)
    quote.refresh_from_db()
    assert quote.erp_document_number == slip["FICHENO"]
    run = sync_import(connection=logo, entity="order_status", full=True)
    assert not [i for i in run.issues.all() if quote.number in i.message]  # not read as an unknown order

    quote_cancel(quote=quote, actor=staff, note="Vazgeçildi")
    outbox_drain(connection=logo)
    assert SyncJob.objects.get(kind=SyncJob.Kind.QUOTE_CANCEL).status == SyncJob.Status.SUCCEEDED
    with sim.firm.lock:
        assert sim.firm.order(slip["LOGICALREF"])["CANCELLED"] == 1
