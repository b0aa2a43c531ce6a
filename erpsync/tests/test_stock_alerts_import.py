"""Back-in-stock alerts and the ERP's stock import: a product the import puts back in stock is checked for its open
alerts as soon as the import commits (a django-q2 task, run synchronously in tests), not at the next scheduled
check; each alert is told once for its return, whether the import, a second import or the schedule gets there."""

from decimal import Decimal

import pytest
from django.core import mail
from django.db import transaction

from catalog.models import StockAlert, StockLevel, Warehouse
from catalog.stock_alert_tasks import stock_alerts_due, stock_alerts_queue
from catalog.stock_alerts import stock_alert_subscribe
from catalog.tests.factories import PriceListFactory, PriceListItemFactory, ProductFactory, StockLevelFactory
from dealers.tests.factories import DealerFactory, DealerUserFactory
from erpsync.adapters.base import ErpStock
from erpsync.importers import sync_import
from erpsync.models import SyncRun
from notifications.models import Notification

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def waiting(memory_erp):
    """Two out-of-stock products in warehouse W1, each awaited by a user of the dealer that can order them."""
    warehouse = Warehouse.objects.create(code="W1", name="Ana depo", is_sellable=True)
    price_list = PriceListFactory()
    member = DealerUserFactory(dealer=DealerFactory(price_list=price_list), user__language="en")
    products = []
    for sku in ("BACK-1", "BACK-2"):
        product = ProductFactory(sku=sku)
        PriceListItemFactory(price_list=price_list, product=product, price=D("10"))
        StockLevelFactory(product=product, warehouse=warehouse, on_hand=D("0"))
        stock_alert_subscribe(dealer_user=member, product=product)
        products.append(product)
    return member, products


def import_stock(erp, rows):
    erp.publish("stock", rows, complete=False)
    run = sync_import(connection=erp.connection, entity="stock")
    assert run.status == SyncRun.Status.SUCCEEDED, run.summary
    return run


def told(user):
    return sorted(Notification.objects.filter(recipient=user, kind="stock_back").values_list("params__sku", flat=True))


def test_a_product_the_import_restocks_is_told_when_the_import_commits(
    memory_erp, waiting, django_capture_on_commit_callbacks
):
    member, (back, still_out) = waiting
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        import_stock(memory_erp, [ErpStock("BACK-1", "W1", D("20")), ErpStock("BACK-2", "W1", D("0"))])
    assert callbacks  # queued on commit, not run inside the import's transaction
    assert told(member.user) == ["BACK-1"]
    assert [m.to for m in mail.outbox] == [[member.user.email]] and "BACK-1" in mail.outbox[0].subject
    assert not StockAlert.objects.get(product=back).is_open
    assert StockAlert.objects.get(product=still_out).is_open


def test_an_alert_is_told_once_across_imports_and_the_schedule(memory_erp, waiting, django_capture_on_commit_callbacks):
    member, _products = waiting
    with django_capture_on_commit_callbacks(execute=True):
        import_stock(memory_erp, [ErpStock("BACK-1", "W1", D("20"))])
    with django_capture_on_commit_callbacks(execute=True):
        import_stock(memory_erp, [ErpStock("BACK-1", "W1", D("25"))])  # more stock: the same return
    assert stock_alerts_due() == 0  # the schedule finds nothing left to tell
    assert told(member.user) == ["BACK-1"] and len(mail.outbox) == 1


def test_stock_that_returns_by_another_path_waits_for_the_schedule(
    memory_erp, waiting, django_capture_on_commit_callbacks
):
    member, (_imported, other) = waiting
    StockLevel.objects.filter(product=other).update(on_hand=D("5"))  # not through the import
    with django_capture_on_commit_callbacks(execute=True):
        import_stock(memory_erp, [ErpStock("BACK-1", "W1", D("0"))])
    assert told(member.user) == []  # the import checks only what it restocked
    assert stock_alerts_due() == 1
    assert told(member.user) == ["BACK-2"]


def test_an_import_that_restocks_nothing_awaited_queues_nothing(memory_erp, waiting, monkeypatch):
    queued = []
    monkeypatch.setattr("catalog.stock_alert_tasks.async_task", lambda *args, **kwargs: queued.append(args))
    unawaited = ProductFactory(sku="PLAIN")
    StockLevelFactory(product=unawaited, warehouse=Warehouse.objects.get(code="W1"), on_hand=D("0"))
    import_stock(memory_erp, [ErpStock("PLAIN", "W1", D("9")), ErpStock("BACK-1", "W1", D("3"), D("3"))])
    assert queued == []  # PLAIN has no alert; BACK-1's stock is all committed in the ERP
    assert StockAlert.objects.filter(notified_at__isnull=True).count() == 2


def test_a_rolled_back_change_queues_nothing(waiting, django_capture_on_commit_callbacks):
    _member, (back, _other) = waiting
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        assert stock_alerts_queue([back.pk]) == 1
        raise RuntimeError("the import failed")
    assert callbacks == [] and StockAlert.objects.get(product=back).is_open
