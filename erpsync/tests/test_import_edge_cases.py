"""Edge cases of the import engine: refused and duplicate records never cost the portal data it had, issues keep
their history, dry runs write nothing, reservations are released only against figures newer than the ERP's
confirmation, and staff holds are audited truthfully."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import PriceListItem, Product
from dealers.models import Dealer, DealerChange
from erpsync.adapters.base import ErpOrderState, ErpOrderStatus, ErpPrice, ErpPriceList, ErpStock
from erpsync.importers import sync_import
from erpsync.models import ExternalRef, SyncIssue
from erpsync.tests.test_import_accounts import customer, placed_order
from erpsync.tests.test_import_catalog import item, load_basics
from orders.models import StockReservation

pytestmark = pytest.mark.django_db
D = Decimal


def imp(erp, entity, records, **kw):
    erp.publish(entity, records)
    return sync_import(connection=erp.connection, entity=entity, **kw)


def prices(erp):
    load_basics(erp)
    imp(erp, "product", [item("P1"), item("P2"), item("P3")])
    imp(erp, "price_list", [ErpPriceList("L1", "Bayi")])
    imp(erp, "price", [ErpPrice("L1", "P1", D("10")), ErpPrice("L1", "P2", D("20")), ErpPrice("L1", "P3", D("30"))])


def test_refused_and_duplicate_prices_keep_the_portal_price(memory_erp):
    prices(memory_erp)
    run = imp(
        memory_erp,
        "price",
        [
            ErpPrice("L1", "P1", D("11")),
            ErpPrice("L1", "P1", D("11.5"), unit="AD"),  # the same break spelled with the base unit
            ErpPrice("L1", "P2", D("-1")),
            ErpPrice("L1", "P3", D("30")),
        ],
    )
    assert run.deactivated == 0 and run.failed == 3
    assert dict(PriceListItem.objects.values_list("product__sku", "price")) == {
        "P1": D("10"),
        "P2": D("20"),
        "P3": D("30"),
    }
    assert set(SyncIssue.objects.values_list("code", flat=True)) == {"duplicate_code", "negative_price"}


def test_one_break_spelled_two_ways_is_held_not_a_failed_import(memory_erp):
    prices(memory_erp)
    run = imp(
        memory_erp,
        "price",
        [
            ErpPrice("L1", "P1", D("10"), min_quantity=D("5")),
            ErpPrice("L1", "P1", D("9"), min_quantity=D("5.0")),
            ErpPrice("L1", "P2", D("20")),
            ErpPrice("L1", "P3", D("30")),
        ],
    )
    assert run.status == "partial" and not PriceListItem.objects.filter(min_quantity=5).exists()


def test_unresolved_record_keeps_one_issue_across_runs(memory_erp):
    load_basics(memory_erp)
    imp(memory_erp, "product", [item("P1")])
    for _ in range(3):
        imp(memory_erp, "stock", [ErpStock("P1", "W1", D("5")), ErpStock("NOPE", "W1", D("5"))])
    issue = SyncIssue.objects.get(code="unknown_product")
    assert (issue.status, issue.occurrences) == ("open", 3)


def test_refused_customers_are_quarantined_not_deactivated(memory_erp):
    imp(memory_erp, "price_list", [ErpPriceList("L1", "Bayi")])
    imp(memory_erp, "customer", [customer("C1", 1, price_list_code="L1"), customer("C2", 2)])
    run = imp(memory_erp, "customer", [customer("C1", 1, price_list_code="L9"), customer("C2", 2)])
    assert run.deactivated == 0
    assert Dealer.objects.get(code="C1").status == Dealer.Status.QUARANTINED
    run = imp(memory_erp, "customer", [customer("C1", 1, price_list_code="L1"), customer("C9", 1), customer("C2", 2)])
    assert run.deactivated == 0 and Dealer.objects.get(code="C1").status != Dealer.Status.INACTIVE
    assert not Dealer.objects.filter(code="C9").exists()


def test_two_erp_codes_on_one_product_hold_it_and_name_both_codes(memory_erp):
    load_basics(memory_erp)
    imp(memory_erp, "product", [item("X"), item("Y")])
    x = Product.objects.get(sku="X")
    ExternalRef.objects.create(connection=memory_erp.connection, entity="product", local_id=x.pk, external_id="ERP-X")
    run = imp(memory_erp, "product", [item("X"), item("ERP-X"), item("Y")])
    x.refresh_from_db()
    assert run.deactivated == 0 and x.status == Product.Status.QUARANTINED
    assert set(SyncIssue.objects.values_list("external_id", "code")) == {
        ("X", "duplicate_product"),
        ("ERP-X", "duplicate_product"),
    }


def test_staff_hold_is_not_audited_as_lifted(memory_erp):
    imp(memory_erp, "customer", [customer("C1", 1)])
    Dealer.objects.filter(code="C1").update(status="quarantined", status_reason="Dispute")
    for _ in range(2):
        imp(memory_erp, "customer", [customer("C1", 1)])
    assert not DealerChange.objects.filter(field="status").exists()


def test_dry_run_of_a_malformed_feed_writes_no_issue(memory_erp):
    load_basics(memory_erp)
    memory_erp.publish("stock", [ErpStock("P1", "W1", D("5"))] * 3, broken_at=1)
    run = sync_import(connection=memory_erp.connection, entity="stock", dry_run=True)
    assert run.failed == 1 and not SyncIssue.objects.exists() and memory_erp.rejected == []


def test_stock_taken_before_the_erp_confirmation_keeps_the_reservation(memory_erp):
    order, product = placed_order()
    imp(memory_erp, "order_status", [ErpOrderStatus(order.number, ErpOrderState.OPEN)])
    warehouse = product.stock_levels.get().warehouse
    old = timezone.now() - timedelta(hours=1)
    imp(memory_erp, "stock", [ErpStock(product.sku, warehouse.code, D("10"), D("0"), as_of=old)])
    assert StockReservation.objects.filter(order=order, released_at__isnull=True).exists()
    imp(memory_erp, "stock", [ErpStock(product.sku, warehouse.code, D("10"), D("2"), as_of=timezone.now())])
    assert not StockReservation.objects.filter(order=order, released_at__isnull=True).exists()
