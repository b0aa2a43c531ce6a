"""Mikro end to end on the portal's database: the demo company imported from the Mikro-shaped database, a dealer's
order placed and approved in the portal, written once as SIPARISLER rows,
delivered by Mikro's users and read back into the portal as shipped."""

from __future__ import annotations

from decimal import Decimal

import pytest

from catalog.models import Product, StockLevel
from dealers.models import Dealer
from erpsync.importers import sync_import
from erpsync.models import SyncJob, SyncRun
from erpsync.outbox import outbox_drain
from erpsync.tests.mikro_side import database_for, mikro_databases, seed_demo  # noqa: F401
from erpsync.tests.roundtrip import FULL_IMPORT, approved_order, credentials, default_connection, import_all, refused
from orders.status import OrderStatus as S

pytestmark = pytest.mark.django_db
IMPORT_ORDER = FULL_IMPORT


@pytest.fixture
def mikro(mikro_databases, monkeypatch):  # noqa: F811
    database = database_for(mikro_databases, "v16")
    seed_demo(database)
    credentials(monkeypatch, "MIKROTEST", USERNAME=database.user)
    connection = default_connection(
        "mikro",
        code="mikro",
        name="Mikro",
        credentials_ref="MIKROTEST",
        settings={
            "database_url": database.url,
            "order_series": "B2B",
            "timeout_seconds": 5,
            "lookback_days": 3650,
            "unsellable_warehouses": ["9"],
            "sold_kinds": ["0"],
            "credit_limit_column": "cari_kredi_limiti",
        },
        tax_codes={rate: rate for rate in ("0", "1", "10", "20")},
    )
    return database, connection


def test_import_order_once_delivery_and_shipped(mikro):
    database, connection = mikro
    runs = import_all(connection, IMPORT_ORDER)
    # The item keyed in without a name is the only record the portal refuses.
    assert refused(runs) == {"product": ["name is empty."]}
    assert runs["product"].issues.get().message == "name is empty."
    tea = Product.objects.get(sku="ÇAY-001")
    assert tea.vat_rate == 20
    assert Product.objects.get(sku="ESK-01").status == Product.Status.INACTIVE
    assert Product.objects.get(sku="HAM-01").status == Product.Status.INACTIVE
    dealer = Dealer.objects.get(code="120.01.001")
    assert dealer.title == "Öztürk Gıda Ltd. Şti."
    assert StockLevel.objects.filter(product=tea).exists()
    StockLevel.objects.filter(product=tea).update(on_hand=Decimal(1000))

    order, _buyer = approved_order(dealer, tea, 3, note="Mikro onayı")

    outbox_drain(connection=connection)
    job = SyncJob.objects.get(kind=SyncJob.Kind.ORDER_EXPORT)
    order.refresh_from_db()
    assert (job.status, order.status) == (SyncJob.Status.SUCCEEDED, S.SENT_TO_ERP), job.last_error
    outbox_drain(connection=connection)  # nothing left to send: the order stays one document
    rows = database.rows("SELECT * FROM dbo.SIPARISLER WHERE sip_belgeno = %s", (order.number,))
    assert [(row["sip_stok_kod"], row["sip_miktar"], row["sip_evrakno_seri"]) for row in rows] == [
        ("ÇAY-001", 3.0, "B2B")
    ]
    assert Decimal(str(rows[0]["sip_tutar"] + rows[0]["sip_vergi"])).quantize(Decimal("0.01")) == order.total_gross

    # Mikro's users dispatch it; the portal reads the delivered quantities back.
    database.deliver("B2B", rows[0]["sip_evrakno_sira"])
    run = sync_import(connection=connection, entity="order_status", full=True)
    assert run.status == SyncRun.Status.SUCCEEDED, [i.message for i in run.issues.all()]
    order.refresh_from_db()
    assert order.status == S.SHIPPED
