from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone, translation

from catalog.tests.factories import ProductFactory, StockLevelFactory, WarehouseFactory
from dealers.models import AccountEntry
from dealers.tests.factories import DealerFactory
from erpsync.adapters.base import Capability, ErpBalance, ErpOpenOrder, ErpStock
from erpsync.drift import (
    BALANCE_DRIFT,
    ORDER_NOT_OPEN_IN_ERP,
    ORDER_OPEN_ONLY_IN_ERP,
    STOCK_DRIFT,
    drift_check,
    run_drift_check,
)
from erpsync.issue_actions import sync_issue_retry
from erpsync.models import ErpConnection, ExternalRef, SyncCursor, SyncIssue, SyncRun, ValueMap
from erpsync.schedules import planned_schedules
from erpsync.tests.memory import MemoryAdapter
from orders.models import Order
from orders.status import OrderStatus
from orders.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db
D = Decimal
LONG_AGO = timezone.now() - timedelta(days=2)


class BareAdapter(MemoryAdapter):
    """An ERP that can neither list open orders nor send stock or account movements."""

    key = "memory_bare"
    capabilities = MemoryAdapter.capabilities - {Capability.OPEN_ORDERS, Capability.STOCK, Capability.LEDGER}


class LiveAdapter(MemoryAdapter):
    """An ERP that answers balance questions live, from ``LIVE_BALANCES``."""

    key = "memory_live"
    capabilities = MemoryAdapter.capabilities | {Capability.LIVE_BALANCE}

    def live_balance(self, customer_code):
        self.erp.reads.append(("live_balance", customer_code, True))
        return ErpBalance(customer_code, LIVE_BALANCES[customer_code])


LIVE_BALANCES: dict[str, Decimal] = {}


def only(connection, *checks):
    connection.settings = {**connection.settings, "drift_checks": list(checks)}
    connection.save()


def drift_issues(**filters):
    return SyncIssue.objects.filter(entity="drift", **filters)


def movement(connection, dealer, erp_id, amount):
    return AccountEntry.objects.create(
        connection=connection,
        erp_id=erp_id,
        dealer=dealer,
        kind=AccountEntry.Kind.INVOICE if D(amount) > 0 else AccountEntry.Kind.COLLECTION,
        posted_on=date(2026, 3, 1),
        amount=D(amount),
        as_of=timezone.now(),
    )


# --- Balances ---


@pytest.fixture
def dealer_with_movements(memory_erp):
    dealer = DealerFactory(code="C1", erp_balance=D("200.00"), erp_balance_as_of=timezone.now())
    movement(memory_erp.connection, dealer, "J1", "1200.00")
    movement(memory_erp.connection, dealer, "J2", "-1000.00")
    only(memory_erp.connection, "balance")
    return dealer


def test_a_changed_balance_opens_a_drift_issue_bumped_when_seen_again_and_resolved_when_fixed(
    memory_erp, dealer_with_movements
):
    dealer = dealer_with_movements
    DealerFactory(code="C2")  # no movements: not compared
    assert drift_check(memory_erp.connection).drifted == 0
    assert not drift_issues().exists()

    dealer.erp_balance = D("250.00")
    dealer.save()
    report = drift_check(memory_erp.connection)
    check = report.check("balance")
    assert (check.state, check.compared, check.drifted) == ("compared", 1, 1)
    assert check.details["dealers_without_movements"] == 1
    issue = drift_issues().get()
    assert (issue.code, issue.external_id, issue.local_id, issue.occurrences) == (BALANCE_DRIFT, "C1", dealer.pk, 1)
    assert "250.00" in issue.message and "200.00" in issue.message and "50.00" in issue.message
    assert issue.payload["erp_balance"] == "250.00" and issue.payload["movements_total"] == "200.00"
    assert issue.payload["difference"] == "50.00"

    drift_check(memory_erp.connection)
    issue.refresh_from_db()
    assert issue.occurrences == 2 and drift_issues().count() == 1

    dealer.erp_balance = D("200.00")
    dealer.save()
    assert drift_check(memory_erp.connection).resolved == 1
    issue.refresh_from_db()
    assert issue.status == SyncIssue.Status.RESOLVED


def test_a_balance_within_the_tolerance_is_no_drift(memory_erp, dealer_with_movements):
    dealer_with_movements.erp_balance = D("200.01")
    dealer_with_movements.save()
    assert drift_check(memory_erp.connection).drifted == 0
    memory_erp.connection.settings["drift_balance_tolerance"] = "0.001"
    memory_erp.connection.save()
    assert drift_check(memory_erp.connection).drifted == 1


def test_a_dealer_whose_balance_the_erp_never_sent_is_not_compared(memory_erp, dealer_with_movements):
    dealer_with_movements.erp_balance_as_of = None
    dealer_with_movements.erp_balance = D("0")
    dealer_with_movements.save()
    check = drift_check(memory_erp.connection).check("balance")
    assert (check.compared, check.drifted, check.details["balance_never_sent"]) == (0, 0, 1)


def test_the_live_balance_is_compared_when_asked_for(memory_erp, dealer_with_movements, settings):
    settings.ERPSYNC_ADAPTERS = {**settings.ERPSYNC_ADAPTERS, "memory_live": "erpsync.tests.test_drift.LiveAdapter"}
    connection = memory_erp.connection
    connection.adapter = "memory_live"
    connection.save()
    ExternalRef.objects.create(
        connection=connection, entity="customer", local_id=dealer_with_movements.pk, external_id="120.01"
    )
    LIVE_BALANCES["120.01"] = D("999.00")
    # Off by default: the imported balance agrees, the ERP is not asked.
    assert drift_check(connection).drifted == 0
    assert not [r for r in memory_erp.reads if r[0] == "live_balance"]
    connection.settings["drift_live_balance"] = True
    connection.save()
    report = drift_check(connection)
    assert report.check("balance").details["source"] == "live" and report.drifted == 1
    assert ("live_balance", "120.01", True) in memory_erp.reads
    assert drift_issues().get().payload["erp_balance"] == "999.00"


# --- Stock ---


@pytest.fixture
def stocked(memory_erp):
    a, b = ProductFactory(sku="A"), ProductFactory(sku="B")
    main, spare = WarehouseFactory(code="MAIN"), WarehouseFactory(code="SPARE")
    StockLevelFactory(product=a, warehouse=main, on_hand=D("10"), committed_erp=D("2"))
    StockLevelFactory(product=b, warehouse=main, on_hand=D("5"))
    StockLevelFactory(product=a, warehouse=spare, on_hand=D("7"))
    only(memory_erp.connection, "stock")
    return main, spare


def erp_stock(erp, *, main_b="5", spare_a="7", **kwargs):
    erp.publish(
        "stock",
        [
            ErpStock("A", "MAIN", D("10"), D("2")),
            ErpStock("B", "MAIN", D(main_b)),
            ErpStock("A", "SPARE", D(spare_a)),
            ErpStock("UNKNOWN", "SPARE", D("1000")),  # an item the portal does not carry: not counted
        ],
        **kwargs,
    )


def test_equal_stock_sums_are_no_drift(memory_erp, stocked):
    erp_stock(memory_erp)
    check = drift_check(memory_erp.connection).check("stock")
    assert (check.state, check.compared, check.drifted) == ("compared", 2, 0)
    assert check.details["unknown_product_rows"] == 1
    assert ("stock", None, True) in memory_erp.reads  # a full snapshot was asked for


def test_stock_sums_differing_per_warehouse_open_an_issue_per_warehouse(memory_erp, stocked):
    main, _spare = stocked
    erp_stock(memory_erp, main_b="8")
    report = drift_check(memory_erp.connection)
    assert report.check("stock").drifted == 1
    issue = drift_issues().get()
    assert (issue.code, issue.external_id, issue.local_id) == (STOCK_DRIFT, "MAIN", main.pk)
    assert issue.payload["erp_on_hand"] == "18" and issue.payload["portal_on_hand"] == "15"
    assert issue.payload["on_hand_difference"] == "3" and issue.payload["committed_difference"] == "0"
    assert "18" in issue.message and "15" in issue.message
    erp_stock(memory_erp)
    drift_check(memory_erp.connection)
    issue.refresh_from_db()
    assert issue.status == SyncIssue.Status.RESOLVED


def test_stock_resolves_warehouses_through_the_value_map(memory_erp, stocked):
    ValueMap.objects.create(connection=memory_erp.connection, kind="warehouse", external_value="01", local_value="MAIN")
    memory_erp.publish("stock", [ErpStock("A", "01", D("10"), D("2")), ErpStock("B", "01", D("5"))])
    check = drift_check(memory_erp.connection).check("stock")
    assert (check.compared, check.drifted) == (1, 0)


def test_stock_is_not_compared_with_a_snapshot_the_portal_has_not_imported_or_a_delta(memory_erp, stocked):
    SyncCursor.objects.create(connection=memory_erp.connection, entity="stock", state={"digest": "old"})
    erp_stock(memory_erp, main_b="8", digest="new")
    check = drift_check(memory_erp.connection).check("stock")
    assert check.state == "skipped" and check.details["not_yet_imported"] == ["stock-1"]
    erp_stock(memory_erp, main_b="8", complete=False)
    assert drift_check(memory_erp.connection).check("stock").state == "skipped"
    assert not drift_issues().exists()


def test_a_broken_stock_feed_fails_the_check_and_keeps_its_issues(memory_erp, stocked):
    erp_stock(memory_erp, main_b="8")
    drift_check(memory_erp.connection)
    erp_stock(memory_erp, broken_at=2)
    report = drift_check(memory_erp.connection)
    assert report.check("stock").state == "failed" and "malformed row" in report.check("stock").reason
    assert report.run.status == SyncRun.Status.FAILED
    assert drift_issues(status="open").count() == 1


# --- Open orders ---


def exported(number, status=OrderStatus.CONFIRMED, at=LONG_AGO, document=None):
    """A portal order the ERP took over as ``document`` at ``at``."""
    order = OrderFactory(number=number, status=status, erp_document_number=document or f"SO-{number}")
    connection = ErpConnection.objects.get(code="mem")
    ExternalRef.objects.create(connection=connection, entity="order", local_id=order.pk, external_id=f"D-{order.pk}")
    ExternalRef.objects.filter(entity="order", local_id=order.pk).update(synced_at=at)
    Order.objects.filter(pk=order.pk).update(updated_at=at)
    return order


def test_an_order_open_in_the_portal_and_missing_from_the_erps_open_list_is_drift(memory_erp):
    only(memory_erp.connection, "orders")
    listed = exported("B2B-1")
    missing = exported("B2B-2", status=OrderStatus.IN_FULFILMENT)
    exported("B2B-3", status=OrderStatus.INVOICED)  # finished in the portal: not expected open
    exported("B2B-4", document="SO-77")
    memory_erp.open_orders = [
        ErpOpenOrder("SO-B2B-1", "C1", reference=listed.number),
        ErpOpenOrder("SO-77", "C1"),  # the ERP lost the reference; its document number still matches
    ]
    check = drift_check(memory_erp.connection).check("orders")
    assert (check.state, check.compared, check.drifted) == ("compared", 3, 1)
    issue = drift_issues().get()
    assert (issue.code, issue.external_id, issue.local_id) == (ORDER_NOT_OPEN_IN_ERP, "B2B-2", missing.pk)
    assert issue.payload["portal_status"] == "in_fulfilment" and issue.payload["erp_document_number"] == "SO-B2B-2"
    assert "B2B-2" in issue.message and "SO-B2B-2" in issue.message
    memory_erp.open_orders.append(ErpOpenOrder("SO-B2B-2", "C1", reference="B2B-2"))
    assert drift_check(memory_erp.connection).resolved == 1


def test_an_order_exported_within_the_grace_period_is_not_drift_yet(memory_erp):
    only(memory_erp.connection, "orders")
    order = exported("B2B-1", status=OrderStatus.SENT_TO_ERP, at=timezone.now() - timedelta(minutes=5))
    check = drift_check(memory_erp.connection).check("orders")
    assert (check.drifted, check.details["changed_within_grace"]) == (0, 1)
    memory_erp.connection.settings["drift_order_grace_minutes"] = 1
    memory_erp.connection.save()
    assert drift_issues().count() == 0
    assert drift_check(memory_erp.connection).drifted == 1
    assert drift_issues().get().local_id == order.pk


def test_an_open_erp_order_with_an_unknown_or_closed_portal_reference_is_drift(memory_erp):
    only(memory_erp.connection, "orders")
    cancelled = exported("B2B-9", status=OrderStatus.CANCELLED)
    memory_erp.open_orders = [
        ErpOpenOrder("SO-1", "C1", reference="B2B-404", gross=D("1200.00")),
        ErpOpenOrder("SO-2", "C1", reference="B2B-9"),
        ErpOpenOrder("SO-3", "C1"),  # entered in the ERP itself: not drift
    ]
    check = drift_check(memory_erp.connection).check("orders")
    assert check.drifted == 2 and check.details["entered_in_erp"] == 1
    issues = {i.external_id: i for i in drift_issues()}
    assert set(issues) == {"B2B-404", "B2B-9"}
    assert {i.code for i in issues.values()} == {ORDER_OPEN_ONLY_IN_ERP}
    assert issues["B2B-404"].local_id is None and issues["B2B-404"].payload["erp_gross"] == "1200.00"
    assert issues["B2B-9"].local_id == cancelled.pk and issues["B2B-9"].payload["portal_status"] == "cancelled"
    assert "SO-1" in issues["B2B-404"].message and "B2B-404" in issues["B2B-404"].message


def test_orders_entered_in_the_erp_alone_are_not_drift(memory_erp):
    only(memory_erp.connection, "orders")
    memory_erp.open_orders = [ErpOpenOrder("SO-1", "C1"), ErpOpenOrder("SO-2", "C2", reference="  ")]
    check = drift_check(memory_erp.connection).check("orders")
    assert (check.state, check.drifted, check.details["entered_in_erp"]) == ("compared", 0, 2)


# --- Capabilities, settings, runs ---


def test_an_adapter_lacking_a_capability_skips_that_check(memory_erp, settings):
    settings.ERPSYNC_ADAPTERS = {**settings.ERPSYNC_ADAPTERS, "memory_bare": "erpsync.tests.test_drift.BareAdapter"}
    connection = ErpConnection.objects.create(code="bare", name="Bare ERP", adapter="memory_bare")
    report = drift_check(connection)
    assert {c.name: c.state for c in report.checks} == {"balance": "skipped", "stock": "skipped", "orders": "skipped"}
    assert all(c.reason for c in report.checks)
    assert report.run.status == SyncRun.Status.SUCCEEDED and not report.failed
    assert report.run.summary["checks"]["orders"]["reason"]
    assert not [r for r in memory_erp.reads if r[0] in ("stock", "open_orders")]


def test_a_check_is_recorded_as_a_drift_run(memory_erp, dealer_with_movements):
    dealer_with_movements.erp_balance = D("1")
    dealer_with_movements.save()
    report = drift_check(memory_erp.connection)
    run = SyncRun.objects.get(entity="drift")
    assert run == report.run and run.status == SyncRun.Status.PARTIAL and run.finished_at
    assert (run.summary["compared"], run.summary["drifted"], run.unchanged, run.failed) == (1, 1, 0, 1)
    assert drift_issues().get().run == run


def test_invalid_drift_settings_fail_the_run_clearly(memory_erp):
    memory_erp.connection.settings = {"drift_balance_tolerance": "a lot"}
    memory_erp.connection.save()
    report = drift_check(memory_erp.connection)
    assert report.failed and "drift_balance_tolerance" in report.error
    assert report.run.status == SyncRun.Status.FAILED and "drift_balance_tolerance" in report.run.error


def test_the_drift_check_is_scheduled_per_connection_and_runs_as_a_task(memory_erp):
    plans = {p.name: p for p in planned_schedules()}
    assert plans["erpsync:mem:drift"].func == "erpsync.drift.run_drift_check"
    assert plans["erpsync:mem:drift"].minutes == 60 and plans["erpsync:mem:drift"].args == str(memory_erp.connection.pk)
    assert run_drift_check(memory_erp.connection.pk) == SyncRun.Status.SUCCEEDED
    memory_erp.connection.is_active = False
    memory_erp.connection.save()
    assert "erpsync:mem:drift" not in {p.name for p in planned_schedules()}
    assert run_drift_check(memory_erp.connection.pk) == "skipped"


def test_the_drift_schedule_can_be_turned_off(memory_erp):
    memory_erp.connection.settings = {"drift_schedule_minutes": 0}
    memory_erp.connection.save()
    names = {p.name for p in planned_schedules()}
    assert "erpsync:mem:drift" not in names and "erpsync:mem:reconcile" in names


def test_retrying_a_drift_issue_checks_again_instead_of_importing(
    memory_erp, superuser, monkeypatch, django_capture_on_commit_callbacks
):
    checks, imports = [], []
    monkeypatch.setattr("erpsync.drift.queue_drift_check", lambda **kw: checks.append(kw))
    monkeypatch.setattr("erpsync.tasks.queue_import", lambda **kw: imports.append(kw))
    issue = SyncIssue.objects.create(
        connection=memory_erp.connection, entity="drift", external_id="C1", code=BALANCE_DRIFT, message="m"
    )
    with django_capture_on_commit_callbacks(execute=True):
        sync_issue_retry(issue=issue, user=superuser)
    assert checks == [{"connection_id": memory_erp.connection.pk}] and imports == []


# --- Health page and command ---


def test_the_health_page_shows_the_drift_section(memory_erp, dealer_with_movements, staff_client):
    url = reverse("admin:erpsync_erpconnection_health", args=[memory_erp.connection.pk])
    body = staff_client.get(url).content.decode()
    assert "Drift between the ERP and the portal" in body and "No open drift." in body
    dealer_with_movements.erp_balance = D("1")
    dealer_with_movements.save()
    drift_check(memory_erp.connection)
    response = staff_client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Balance differs from the account movements" in body
    assert "entity__exact=drift&amp;code__exact=balance_drift" in body
    assert "No open drift." not in body
    # The drift run is not an import: the per-entity table does not list it.
    assert "<td>drift</td>" not in body
    changelist = staff_client.get(
        reverse("admin:erpsync_syncissue_changelist")
        + f"?connection__id__exact={memory_erp.connection.pk}&entity__exact=drift&code__exact=balance_drift"
    )
    assert changelist.status_code == 200 and "C1" in changelist.content.decode()


def test_the_status_command_shows_the_last_drift_check(memory_erp):
    drift_check(memory_erp.connection)
    out = StringIO()
    call_command("erpsync", "status", stdout=out)
    assert "drift" in out.getvalue() and "last check" in out.getvalue()


def test_the_drift_command_runs_the_check(memory_erp, dealer_with_movements):
    dealer_with_movements.erp_balance = D("1")
    dealer_with_movements.save()
    out = StringIO()
    call_command("erpsync", "drift", "--connection", "mem", verbosity=2, stdout=out)
    text = out.getvalue()
    assert "mem: 1 compared, 1 differ" in text and "balance_drift C1" in text and "stock" in text
    assert drift_issues().count() == 1
    out = StringIO()
    call_command("erpsync", "drift", stdout=out)  # every active connection
    assert "mem:" in out.getvalue()


def test_the_drift_command_fails_for_an_unknown_connection_or_a_failing_erp(memory_erp):
    with pytest.raises(CommandError, match="No connection 'nope'"):
        call_command("erpsync", "drift", "--connection", "nope", stdout=StringIO())
    only(memory_erp.connection, "stock")
    memory_erp.failures.append("unavailable")
    with pytest.raises(CommandError, match="drift checks failed"):
        call_command("erpsync", "drift", "--connection", "mem", stdout=StringIO(), stderr=StringIO())
    assert SyncRun.objects.get(entity="drift").status == SyncRun.Status.FAILED


def test_the_drift_command_speaks_one_language_on_a_turkish_portal(memory_erp, dealer_with_movements, settings):
    settings.LANGUAGE_CODE = "tr"  # the portal's default; commands run with no language of their own
    translation.deactivate()
    dealer_with_movements.erp_balance = D("1")
    dealer_with_movements.save()
    out = StringIO()
    call_command("erpsync", "drift", "--connection", "mem", verbosity=2, stdout=out)
    text = out.getvalue()
    skipped = "Turned off in the connection's settings."
    with translation.override("tr"):
        turkish = translation.gettext(skipped)
    assert turkish != skipped  # the catalogue translates it: a Turkish line would show
    assert "1 compared, 1 differ" in text and skipped in text and "Balance of C1: the ERP says 1.00 TRY" in text
    assert turkish not in text
