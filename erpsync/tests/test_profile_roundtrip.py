"""Nebim and ETA end to end on the portal's database, each through its shipped profile: the catalogue and the
dealer imported, a dealer's order placed and approved in the portal, written to the ERP once (also when Nebim's
answer is lost), and the ERP's status read back until the portal shows the order shipped."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

pytest.register_assert_rewrite("erpsync.tests.contract")

from accounts.tests.factories import UserFactory  # noqa: E402
from catalog.models import Product, StockLevel  # noqa: E402
from dealers.models import Dealer, DealerDocumentLine  # noqa: E402
from demo.tests.site import postgres_database, postgres_database_drop, scratch_database_name  # noqa: E402
from erpsync.adapters.base import (  # noqa: E402
    DocumentKind,
    ErpBalance,
    ErpCustomer,
    ErpDocument,
    ErpDocumentLine,
    ErpOrderState,
    ErpOrderStatus,
    ErpPrice,
    ErpPriceList,
    ErpProduct,
    ErpStock,
    ErpUnit,
    ErpWarehouse,
)
from erpsync.importers import sync_import  # noqa: E402
from erpsync.models import ErpConnection, SyncJob, SyncRun, ValueMap  # noqa: E402
from erpsync.outbox import outbox_drain  # noqa: E402
from erpsync.simulators.nebim import NebimSimulator  # noqa: E402
from erpsync.tests.eta_side import EtaDatabase, EtaErpSide  # noqa: E402
from erpsync.tests.nebim_side import NebimErpSide, nebim_profile  # noqa: E402
from orders.models import Order  # noqa: E402
from orders.services import cart_line_add  # noqa: E402
from orders.services.approval import order_staff_approve  # noqa: E402
from orders.status import OrderStatus as S  # noqa: E402
from orders.tests.factories import buyer_of, place  # noqa: E402

pytestmark = pytest.mark.django_db
D = Decimal
DEALER = "120.01.001"
TEA = "ÇAY-001"


def due_now(kind: str) -> None:
    SyncJob.objects.filter(kind=kind).update(next_attempt_at=timezone.now() - timedelta(seconds=1))


def imported(connection, entities) -> None:
    runs = {entity: sync_import(connection=connection, entity=entity, full=True) for entity in entities}
    failed = {e: [i.message for i in r.issues.all()] for e, r in runs.items() if r.status != SyncRun.Status.SUCCEEDED}
    assert failed == {}


def approved_order(dealer: Dealer) -> Order:
    tea = Product.objects.get(sku=TEA)
    StockLevel.objects.filter(product=tea).update(on_hand=D(1000))
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=tea, quantity=D(3))
    order = place(buyer)
    if order.status != S.APPROVED:
        order = order_staff_approve(order=order, actor=UserFactory(is_staff=True, is_superuser=True), note="ERP")
    assert order.status == S.APPROVED
    return order


def tax_codes(connection) -> None:
    for rate in ("10", "20"):
        ValueMap.objects.create(
            connection=connection, kind=ValueMap.Kind.TAX_CODE, external_value=rate, local_value=rate
        )


# -- Nebim ---------------------------------------------------------------------------------------------------------


def test_nebim_import_order_once_and_shipped_back(monkeypatch):
    with NebimSimulator(mode="session") as sim:
        side = NebimErpSide(sim)
        monkeypatch.setenv("NEBIMTEST_USERNAME", sim.username)
        monkeypatch.setenv("NEBIMTEST_PASSWORD", sim.password)
        connection = ErpConnection.objects.create(
            code="nebim",
            name="Nebim V3",
            adapter="nebim",
            is_default=True,
            credentials_ref="NEBIMTEST",
            settings={
                "profile": nebim_profile(),
                "base_url": sim.root_url,
                "session_mode": "session",
                "database_name": sim.company.database,
                "user_group_code": "B2B",
                "office_code": "M",
                "warehouse_code": "M",
                "timeout_seconds": 2,
            },
        )
        tax_codes(connection)
        side.publish("unit", [ErpUnit("AD", "Adet")])
        side.publish("warehouse", [ErpWarehouse("M", "Merkez Depo"), ErpWarehouse("IADE", "İade", sellable=False)])
        side.publish("price_list", [ErpPriceList("TOPTAN", "Toptan"), ErpPriceList("USD", "Dolar", currency="USD")])
        side.publish(
            "product",
            [
                ErpProduct(TEA, "Rize Turist Çayı", "AD", vat_rate=D(20)),
                ErpProduct("ESKİ-1", "Eski ürün", "AD", vat_rate=D(10), active=False),
            ],
        )
        side.publish("stock", [ErpStock(TEA, "M", D("120.5"))])
        side.publish("price", [ErpPrice("TOPTAN", TEA, D("150.00"))])
        side.publish("customer", [ErpCustomer(DEALER, "Öztürk Gıda Ltd. Şti.", "1234567890", price_list_code="TOPTAN")])
        side.publish("balance", [ErpBalance(DEALER, D("1500.40"))])
        imported(connection, ("unit", "warehouse", "price_list", "product", "stock", "price", "customer", "balance"))
        assert Product.objects.get(sku="ESKİ-1").status == Product.Status.INACTIVE
        order = approved_order(Dealer.objects.get(code=DEALER))

        # Nebim saves the order but the answer is lost: the retry finds it by its number instead of making another.
        sim.faults.apply_then_drop, sim.faults.commands = 1, {"Post"}
        outbox_drain(connection=connection)
        job = SyncJob.objects.get(kind=SyncJob.Kind.ORDER_EXPORT)
        assert job.status == SyncJob.Status.RETRYING
        due_now(SyncJob.Kind.ORDER_EXPORT)
        outbox_drain(connection=connection)
        job.refresh_from_db()
        order.refresh_from_db()
        assert (job.status, order.status) == (SyncJob.Status.SUCCEEDED, S.SENT_TO_ERP), job.last_error
        (saved,) = sim.company.orders
        assert saved["DocumentNumber"] == order.number
        assert [(line["ItemCode"], line["Qty1"]) for line in saved["Lines"]] == [(TEA, D(3))]

        # The site's status procedure says it was dispatched.
        side.publish(
            "order_status",
            [ErpOrderStatus(order.number, ErpOrderState.SHIPPED, saved["OrderNumber"], saved["HeaderID"])],
        )
        side.publish(
            "delivery",
            [
                ErpDocument(
                    DocumentKind.DELIVERY,
                    "IRS-1",
                    DEALER,
                    date.today(),
                    order_reference=order.number,
                    tracking_number="YK-1",
                    lines=(ErpDocumentLine(1, D(3), TEA, "Rize Turist Çayı", "AD"),),
                )
            ],
        )
        imported(connection, ("order_status", "delivery"))
        order.refresh_from_db()
        assert order.status == S.SHIPPED
        (line,) = DealerDocumentLine.objects.filter(document__number="IRS-1")
        assert (line.item_code, line.quantity, line.product.sku) == (TEA, D(3), TEA)


# -- ETA -----------------------------------------------------------------------------------------------------------


@pytest.fixture
def eta_db():
    url = f"postgres://postgres@127.0.0.1:5432/{scratch_database_name('profile_eta_roundtrip')}"
    postgres_database(url)
    db = EtaDatabase(url)
    db.create()
    yield db
    postgres_database_drop(url)


def test_eta_import_order_file_once_and_shipped_back(eta_db, tmp_path, monkeypatch):
    side = EtaErpSide(eta_db, tmp_path / "transfer")
    monkeypatch.setenv("ETATEST_SQL_URL", eta_db.url)
    connection = ErpConnection.objects.create(
        code="eta",
        name="ETA:SQL",
        adapter="eta",
        is_default=True,
        credentials_ref="ETATEST",
        settings={"profile": side.profile, "outbound_folder": str(side.folder), "sql_timeout_ms": 5000},
    )
    tax_codes(connection)
    ValueMap.objects.create(
        connection=connection, kind=ValueMap.Kind.WAREHOUSE, external_value="MERKEZ", local_value="MERKEZ"
    )
    side.publish(
        "product",
        [
            ErpProduct(TEA, "Rize Turist Çayı", "AD", vat_rate=D(20)),
            ErpProduct("PASİF-1", "Pasif ürün", "AD", vat_rate=D(10), active=False),
        ],
    )
    eta_db.execute("UPDATE STKKART SET STKBAKIYE = 250 WHERE STKKOD = %s", (TEA,))
    side.publish("price", [ErpPrice("1", TEA, D("150.00")), ErpPrice("2", TEA, D("4.5"), currency="USD")])
    side.publish("customer", [ErpCustomer(DEALER, "Öztürk Gıda Ltd. Şti.", "1234567890", tax_office="Şişli")])
    eta_db.execute("UPDATE CARKART SET CARBAKIYE = 1500.40")
    imported(connection, ("unit", "price_list", "product", "price", "customer", "balance"))
    order = approved_order(Dealer.objects.get(code=DEALER))

    outbox_drain(connection=connection)
    job = SyncJob.objects.get(kind=SyncJob.Kind.ORDER_EXPORT)
    assert job.status == SyncJob.Status.SUCCEEDED, job.last_error
    assert (side.folder / f"{order.number}.txt").exists()
    side.consume()  # ETA's transfer module imports the file
    job.delete()
    order.refresh_from_db()
    assert order.status == S.SENT_TO_ERP
    assert side.received("orders") == [order.number]

    # ETA's users dispatch it: the dispatch note's number goes on the order.
    eta_db.execute(
        "INSERT INTO IRSFIS (IRSFISREFNO, IRSFISTAR, IRSFISTIPI, IRSFISCARKOD, IRSFISEVRAKNO1) "
        "VALUES (1, CURRENT_DATE, 3, %s, 'IRS-9')",
        (DEALER,),
    )
    eta_db.execute("UPDATE SIPFIS SET SIPFISIRSREFNO = 1 WHERE SIPFISEVRAKNO1 = %s", (order.number,))
    imported(connection, ("order_status", "delivery"))
    order.refresh_from_db()
    assert order.status == S.SHIPPED
    assert side.received("orders") == [order.number]
