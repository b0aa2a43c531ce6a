"""Drift detection: does the portal still agree with the ERP?

Imports keep the portal in step with the ERP one entity at a time; a lost delta, a hand edit or a bug can still
leave the two apart without any run failing. ``drift_check`` compares what both sides hold now and opens a
``SyncIssue`` (entity "drift") for each disagreement above a tolerance; a disagreement seen again bumps the open
issue's ``occurrences``, and one that no longer holds is resolved. Three checks, each skipped (and the report
says why) when the ERP cannot answer it:

- ``balance``: per dealer, the balance the ERP sent (or, with ``drift_live_balance``, asked live) against the sum
  of the account movements the portal holds from this connection. Dealers without movements are not compared.
- ``stock``: per warehouse, on-hand and committed quantities summed over the ERP's full stock snapshot (read as a
  stream, never held whole) against the portal's stock levels.
- ``orders``: portal orders the ERP holds (exported, document number known, not yet closed) against the ERP's
  list of open orders, both ways.

Connection settings (all optional, declared in ``erpsync.common_settings``): ``drift_checks``,
``drift_balance_tolerance``, ``drift_stock_tolerance``, ``drift_order_grace_minutes``, ``drift_live_balance`` and
``drift_schedule_minutes``.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import islice
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Count, Exists, OuterRef, Subquery, Sum
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import Product, StockLevel, Warehouse
from dealers.models import AccountEntry, Dealer
from erpsync.adapters import adapter_for, settings_for
from erpsync.adapters.base import Capability, ErpAdapter, ErpOpenOrder
from erpsync.binders import bindings, to_external_many, to_internal_many
from erpsync.common_settings import CommonSettings
from erpsync.importers.engine import run_lock
from erpsync.issues import OPEN_STATES, IssueDraft, sync_issues_record, sync_issues_resolve
from erpsync.models import Entity, ErpConnection, SyncCursor, SyncIssue, SyncRun, ValueMap
from erpsync.queueing import queue_drift_check  # noqa: F401  (re-exported: where a retry looks it up)
from orders.models import Order
from orders.status import OrderStatus

log = logging.getLogger(__name__)

ZERO = Decimal("0")
BATCH = 2000

BALANCE_DRIFT = "balance_drift"
STOCK_DRIFT = "stock_drift"
ORDER_NOT_OPEN_IN_ERP = "order_not_open_in_erp"
ORDER_OPEN_ONLY_IN_ERP = "order_open_only_in_erp"

DRIFT_KINDS = {
    BALANCE_DRIFT: gettext_lazy("Balance differs from the account movements"),
    STOCK_DRIFT: gettext_lazy("Stock of a warehouse differs"),
    ORDER_NOT_OPEN_IN_ERP: gettext_lazy("Open in the portal, not open in the ERP"),
    ORDER_OPEN_ONLY_IN_ERP: gettext_lazy("Open in the ERP, closed or unknown in the portal"),
}

DEFAULT_SCHEDULE_MINUTES = CommonSettings.drift_schedule_minutes.default

COMPARED = "compared"
SKIPPED = "skipped"
FAILED = "failed"


def _portal_states():
    S = OrderStatus
    # Orders the ERP holds and has not finished with. Shipped orders are left out: many ERPs close an order once
    # it is fully delivered and invoice the delivery, so "shipped" may be open or closed there; invoiced likewise.
    open_in_erp = frozenset({S.SENT_TO_ERP, S.CONFIRMED, S.IN_FULFILMENT, S.PARTIALLY_SHIPPED})
    # An order the ERP still holds open while the portal has it in one of these is drift.
    finished = frozenset({S.CLOSED, S.CANCELLED, S.REJECTED})
    return open_in_erp, finished


# --- Report ------------------------------------------------------------------------------------------------


@dataclass
class DriftCheck:
    """One comparison and its outcome: ``state`` is compared, skipped (``reason`` says why) or failed."""

    name: str
    codes: tuple[str, ...] = ()
    state: str = COMPARED
    reason: str = ""
    compared: int = 0
    details: dict[str, Any] = field(default_factory=dict)
    drafts: list[IssueDraft] = field(default_factory=list, repr=False)
    # Records changed too recently to judge: their open issues are left as they are.
    keep: set[str] = field(default_factory=set, repr=False)

    @property
    def drifted(self) -> int:
        return len(self.drafts)

    def skip(self, reason: str) -> DriftCheck:
        self.state, self.reason = SKIPPED, reason
        return self

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"state": self.state, "compared": self.compared, "drifted": self.drifted}
        if self.reason:
            data["reason"] = self.reason
        if self.details:
            data["details"] = self.details
        return data


@dataclass
class DriftReport:
    connection: ErpConnection
    checks: list[DriftCheck] = field(default_factory=list)
    run: SyncRun | None = None
    recorded: int = 0
    resolved: int = 0
    error: str = ""

    def check(self, name: str) -> DriftCheck | None:
        return next((c for c in self.checks if c.name == name), None)

    @property
    def compared(self) -> int:
        return sum(c.compared for c in self.checks)

    @property
    def drifted(self) -> int:
        return sum(c.drifted for c in self.checks)

    @property
    def failed(self) -> bool:
        return bool(self.error) or any(c.state == FAILED for c in self.checks)

    @property
    def status(self) -> str:
        ran = [c for c in self.checks if c.state != SKIPPED]
        if self.error or (ran and all(c.state == FAILED for c in ran)):
            return SyncRun.Status.FAILED
        if self.failed or self.drifted:
            return SyncRun.Status.PARTIAL
        return SyncRun.Status.SUCCEEDED

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "compared": self.compared,
            "drifted": self.drifted,
            "recorded": self.recorded,
            "resolved": self.resolved,
            "checks": {c.name: c.as_dict() for c in self.checks},
        }
        if self.error:
            data["error"] = self.error
        return data


# --- Settings ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DriftOptions:
    checks: tuple[str, ...]
    balance_tolerance: Decimal
    stock_tolerance: Decimal
    order_grace: timedelta
    live_balance: bool

    @classmethod
    def of(cls, connection: ErpConnection) -> DriftOptions:
        """The connection's drift settings (``erpsync.common_settings``); refuses values that are not numbers or
        not known checks."""
        options = settings_for(connection)
        return cls(
            checks=options.drift_checks,
            balance_tolerance=options.drift_balance_tolerance,
            stock_tolerance=options.drift_stock_tolerance,
            order_grace=timedelta(minutes=float(options.drift_order_grace_minutes)),
            live_balance=options.drift_live_balance,
        )


def drift_schedule_minutes(connection: ErpConnection) -> int:
    """How often the scheduled drift check runs for the connection, in minutes; 0 when it is off. A value that is
    not a whole number keeps the default (and says so in the log)."""
    try:
        return settings_for(connection).drift_schedule_minutes
    except ImproperlyConfigured as exc:
        log.warning("%s; checking hourly.", exc)
        return DEFAULT_SCHEDULE_MINUTES


def _fmt(number: Decimal) -> str:
    """A quantity as people read it: no exponent, no trailing zeros."""
    text = f"{number.normalize():f}"
    return "0" if text in ("-0", "") else text


def _money(number: Decimal) -> str:
    return f"{number:.2f}"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


# --- Balances ----------------------------------------------------------------------------------------------


def check_balances(connection: ErpConnection, adapter: ErpAdapter, options: DriftOptions, now: datetime) -> DriftCheck:
    """Each dealer's ERP balance against the sum of its account movements from this connection."""
    check = DriftCheck("balance", codes=(BALANCE_DRIFT,))
    if not adapter.can_read("ledger"):
        return check.skip(_("The ERP does not send account movements."))
    live = options.live_balance and adapter.supports(Capability.LIVE_BALANCE)
    if not live and not adapter.can_read("balance"):
        return check.skip(_("The ERP does not send balances."))
    if options.live_balance and not live:
        check.details["live_balance"] = "not supported by the adapter: compared the imported balance"
    check.details["source"] = "live" if live else "imported"
    check.details["tolerance"] = _fmt(options.balance_tolerance)
    entries = AccountEntry.objects.filter(connection=connection)
    totals = {
        row["dealer_id"]: row
        for row in entries.order_by().values("dealer_id").annotate(total=Sum("amount"), movements=Count("id"))
    }
    check.details["dealers_without_movements"] = Dealer.objects.exclude(
        pk__in=entries.order_by().values("dealer_id")
    ).count()
    never = 0
    ids = sorted(totals)
    for start in range(0, len(ids), BATCH):
        chunk = ids[start : start + BATCH]
        dealers = Dealer.objects.filter(pk__in=chunk).only(
            "pk", "code", "currency", "erp_balance", "erp_balance_as_of", "ledger_as_of"
        )
        customer_codes = to_external_many(connection, Entity.CUSTOMER, chunk) if live else {}
        for dealer in dealers.order_by("pk"):
            if live:
                answer = adapter.live_balance(customer_codes.get(dealer.pk, dealer.code))
                erp_balance, erp_as_of = answer.balance, answer.as_of or now
            elif dealer.erp_balance_as_of is None:
                never += 1  # the ERP has not sent this dealer's balance yet: nothing to compare with
                continue
            else:
                erp_balance, erp_as_of = dealer.erp_balance, dealer.erp_balance_as_of
            movements = totals[dealer.pk]["total"] or ZERO
            check.compared += 1
            difference = erp_balance - movements
            if abs(difference) <= options.balance_tolerance:
                continue
            figures = {
                "dealer": dealer.code,
                "erp": _money(erp_balance),
                "portal": _money(movements),
                "difference": _money(difference),
                "currency": dealer.currency,
            }
            check.drafts.append(
                IssueDraft(
                    entity=Entity.DRIFT,
                    code=BALANCE_DRIFT,
                    external_id=dealer.code,
                    local_id=dealer.pk,
                    message=_(
                        "Balance of %(dealer)s: the ERP says %(erp)s %(currency)s, the account movements in the "
                        "portal add up to %(portal)s %(currency)s (difference %(difference)s)."
                    )
                    % figures,
                    payload={
                        "erp_balance": figures["erp"],
                        "movements_total": figures["portal"],
                        "difference": figures["difference"],
                        "currency": dealer.currency,
                        "movements": totals[dealer.pk]["movements"],
                        "source": "live" if live else "imported",
                        "erp_balance_as_of": _iso(erp_as_of),
                        "ledger_as_of": _iso(dealer.ledger_as_of),
                        "tolerance": _fmt(options.balance_tolerance),
                    },
                )
            )
    if never:
        check.details["balance_never_sent"] = never
    return check


# --- Stock -------------------------------------------------------------------------------------------------


@dataclass
class _StockSum:
    on_hand: Decimal = ZERO
    committed: Decimal = ZERO
    rows: int = 0
    erp_codes: set[str] = field(default_factory=set)


def _quantity(value) -> Decimal:
    if value is None:
        return ZERO
    return value if isinstance(value, Decimal) else Decimal(str(value))


def _sum_snapshot(connection: ErpConnection, records: Iterable, warehouse_map: dict[str, str], counts: dict):
    """Per portal warehouse code, the quantities of one snapshot, read in batches: only the running sums are kept.
    Rows are counted the way the stock import applies them: a row of an item the portal does not know is left
    out, a refused (negative) row counts as zero."""
    sums: dict[str, _StockSum] = {}
    stream = iter(records)
    while chunk := list(islice(stream, BATCH)):
        codes = {record.product_code for record in chunk}
        known = set(to_internal_many(connection, Entity.PRODUCT, codes))
        known |= set(Product.objects.filter(sku__in=codes - known).values_list("sku", flat=True))
        for record in chunk:
            if record.product_code not in known:
                counts["unknown_product_rows"] += 1
                continue
            on_hand, committed = _quantity(record.on_hand), _quantity(record.committed)
            if on_hand < 0 or committed < 0:
                counts["refused_rows"] += 1
                on_hand = committed = ZERO
            code = warehouse_map.get(record.warehouse_code, record.warehouse_code)
            total = sums.setdefault(code, _StockSum())
            total.on_hand += on_hand
            total.committed += committed
            total.rows += 1
            total.erp_codes.add(record.warehouse_code)
    return sums


def check_stock(connection: ErpConnection, adapter: ErpAdapter, options: DriftOptions, now: datetime) -> DriftCheck:
    """Per warehouse, the ERP's full stock snapshot summed against the portal's stock levels."""
    check = DriftCheck("stock", codes=(STOCK_DRIFT,))
    if not adapter.can_read("stock"):
        return check.skip(_("The ERP does not send stock."))
    check.details["tolerance"] = _fmt(options.stock_tolerance)
    cursor = SyncCursor.objects.filter(connection=connection, entity="stock").first()
    applied = (cursor.state or {}).get("digest", "") if cursor else ""
    warehouse_map = dict(
        ValueMap.objects.filter(connection=connection, kind=ValueMap.Kind.WAREHOUSE).values_list(
            "external_value", "local_value"
        )
    )
    counts = {"unknown_product_rows": 0, "refused_rows": 0}
    totals: dict[str, _StockSum] = {}
    snapshots, pending = 0, []
    for feed in adapter.read("stock", full=True):
        if not feed.complete:
            return check.skip(_("The ERP sends stock changes only, no full snapshot to compare with."))
        if feed.digest and feed.digest != applied:
            # A snapshot the portal has not imported yet (a file still waiting): it differs by design.
            pending.append(feed.source)
            continue
        # A later snapshot replaces the warehouses it holds, as the import does.
        totals.update(_sum_snapshot(connection, feed.records, warehouse_map, counts))
        snapshots += 1
    if pending:
        check.details["not_yet_imported"] = pending[:20]
    if not snapshots:
        return check.skip(_("The ERP gave no stock snapshot the portal has imported."))
    check.details.update({"snapshots": snapshots, **counts})
    warehouses = dict(Warehouse.objects.filter(code__in=list(totals)).values_list("code", "id"))
    unknown = sorted(set(totals) - set(warehouses))
    if unknown:
        check.details["unknown_warehouses"] = unknown[:20]
    portal = {
        row["warehouse_id"]: row
        for row in StockLevel.objects.filter(warehouse_id__in=list(warehouses.values()))
        .order_by()
        .values("warehouse_id")
        .annotate(on_hand=Sum("on_hand"), committed=Sum("committed_erp"), rows=Count("id"))
    }
    for code in sorted(warehouses):
        erp, warehouse_id = totals[code], warehouses[code]
        row = portal.get(warehouse_id) or {}
        portal_on_hand, portal_committed = row.get("on_hand") or ZERO, row.get("committed") or ZERO
        check.compared += 1
        on_hand_diff, committed_diff = erp.on_hand - portal_on_hand, erp.committed - portal_committed
        if abs(on_hand_diff) <= options.stock_tolerance and abs(committed_diff) <= options.stock_tolerance:
            continue
        figures = {
            "warehouse": code,
            "erp_on_hand": _fmt(erp.on_hand),
            "erp_committed": _fmt(erp.committed),
            "portal_on_hand": _fmt(portal_on_hand),
            "portal_committed": _fmt(portal_committed),
            "on_hand_difference": _fmt(on_hand_diff),
            "committed_difference": _fmt(committed_diff),
        }
        check.drafts.append(
            IssueDraft(
                entity=Entity.DRIFT,
                code=STOCK_DRIFT,
                external_id=code,
                local_id=warehouse_id,
                message=_(
                    "Stock in warehouse %(warehouse)s: the ERP has %(erp_on_hand)s on hand and %(erp_committed)s "
                    "committed, the portal %(portal_on_hand)s on hand and %(portal_committed)s committed "
                    "(difference %(on_hand_difference)s on hand, %(committed_difference)s committed)."
                )
                % figures,
                payload={
                    **{k: v for k, v in figures.items() if k != "warehouse"},
                    "erp_warehouse_codes": sorted(erp.erp_codes),
                    "erp_rows": erp.rows,
                    "portal_rows": row.get("rows", 0),
                    "tolerance": _fmt(options.stock_tolerance),
                },
            )
        )
    return check


# --- Open orders -------------------------------------------------------------------------------------------


def check_orders(connection: ErpConnection, adapter: ErpAdapter, options: DriftOptions, now: datetime) -> DriftCheck:
    """Orders open on one side and not on the other. Orders entered in the ERP itself (no portal reference) and
    orders changed within the grace period (the ERP may not have them yet) are not judged."""
    check = DriftCheck("orders", codes=(ORDER_NOT_OPEN_IN_ERP, ORDER_OPEN_ONLY_IN_ERP))
    if not adapter.supports(Capability.OPEN_ORDERS):
        return check.skip(_("The ERP cannot list its open orders."))
    open_in_erp, finished = _portal_states()
    since = now - options.order_grace
    check.details["grace_minutes"] = round(options.order_grace.total_seconds() / 60, 1)

    by_reference: dict[str, ErpOpenOrder] = {}
    documents: set[str] = set()
    erp_open = entered_in_erp = 0
    for erp_order in adapter.open_orders():
        erp_open += 1
        if erp_order.document_number:
            documents.add(erp_order.document_number)
        reference = (erp_order.reference or "").strip()
        if reference:
            by_reference[reference] = erp_order
        else:
            entered_in_erp += 1  # entered in the ERP itself: not the portal's to judge
    check.details.update({"erp_open": erp_open, "entered_in_erp": entered_in_erp})

    # Portal → ERP: orders the portal believes the ERP holds open.
    bound = bindings(Entity.ORDER, connection=connection).filter(local_id=OuterRef("pk"))
    mine = Exists(bound)
    if connection.is_default:
        # Orders go to the default connection; one exported before bindings were kept has none anywhere.
        mine = mine | ~Exists(bindings(Entity.ORDER).filter(local_id=OuterRef("pk")))
    portal_open = (
        Order.objects.filter(mine, status__in=open_in_erp)
        .exclude(erp_document_number="")
        .annotate(bound_at=Subquery(bound.values("synced_at")[:1]))
        .annotate(changed_at=Greatest("updated_at", "bound_at"))
        .values_list("pk", "number", "erp_document_number", "status", "changed_at", "updated_at", "dealer__code")
        .order_by("pk")
    )
    recent = 0
    for pk, number, document, status, changed_at, updated_at, dealer_code in portal_open.iterator(chunk_size=BATCH):
        if number in by_reference or document in documents:
            check.compared += 1
            continue
        if (changed_at or updated_at) > since:
            recent += 1
            check.keep.add(number)
            continue
        check.compared += 1
        check.drafts.append(
            IssueDraft(
                entity=Entity.DRIFT,
                code=ORDER_NOT_OPEN_IN_ERP,
                external_id=number,
                local_id=pk,
                message=_(
                    "Order %(number)s (ERP document %(document)s) is %(status)s in the portal, but the ERP does "
                    "not list it among its open orders."
                )
                % {"number": number, "document": document, "status": _status_label(status)},
                payload={
                    "portal_status": status,
                    "erp_state": "not open",
                    "erp_document_number": document,
                    "dealer": dealer_code,
                },
            )
        )

    # ERP → portal: open in the ERP, with a reference the portal has closed or does not know.
    references = sorted(by_reference)
    for start in range(0, len(references), BATCH):
        chunk = references[start : start + BATCH]
        known = {
            row[0]: row
            for row in Order.objects.filter(number__in=chunk).values_list("number", "pk", "status", "updated_at")
        }
        for reference in chunk:
            erp_order = by_reference[reference]
            row = known.get(reference)
            payload = {
                "erp_document_number": erp_order.document_number,
                "erp_state": "open",
                "customer": erp_order.customer_code,
                "erp_gross": _money(erp_order.gross) if erp_order.gross is not None else None,
                "currency": erp_order.currency,
            }
            if row is None:
                check.compared += 1
                message = _(
                    "The ERP holds order %(document)s of %(customer)s open with the portal reference %(reference)s, "
                    "which the portal does not know."
                ) % {"document": erp_order.document_number, "customer": erp_order.customer_code, "reference": reference}
                check.drafts.append(
                    IssueDraft(
                        entity=Entity.DRIFT,
                        code=ORDER_OPEN_ONLY_IN_ERP,
                        external_id=reference,
                        message=message,
                        payload={**payload, "portal_status": None},
                    )
                )
                continue
            _number, pk, status, updated_at = row
            if status not in finished:
                continue  # compared above when the portal holds it open; otherwise not yet in the ERP's hands
            if updated_at > since:
                recent += 1
                check.keep.add(reference)
                continue
            check.compared += 1
            check.drafts.append(
                IssueDraft(
                    entity=Entity.DRIFT,
                    code=ORDER_OPEN_ONLY_IN_ERP,
                    external_id=reference,
                    local_id=pk,
                    message=_("The ERP holds order %(document)s open, but the portal has %(reference)s as %(status)s.")
                    % {"document": erp_order.document_number, "reference": reference, "status": _status_label(status)},
                    payload={**payload, "portal_status": status},
                )
            )
    if recent:
        check.details["changed_within_grace"] = recent
    return check


def _status_label(status: str) -> str:
    try:
        return str(OrderStatus(status).label)
    except ValueError:
        return status


CHECKS: dict[str, Callable[[ErpConnection, ErpAdapter, DriftOptions, datetime], DriftCheck]] = {
    "balance": check_balances,
    "stock": check_stock,
    "orders": check_orders,
}


# --- Running a check ---------------------------------------------------------------------------------------


def _record(connection: ErpConnection, run: SyncRun, check: DriftCheck) -> tuple[int, int]:
    """Open or bump an issue per drift of a check that ran, and resolve the check's open issues that no longer
    hold. Returns (recorded, resolved)."""
    recorded = sync_issues_record(connection=connection, run=run, drafts=check.drafts)
    still = {(d.code, d.external_id) for d in check.drafts}
    stale: dict[str, list[str]] = defaultdict(list)
    for code, external_id in SyncIssue.objects.filter(
        connection=connection, entity=Entity.DRIFT, status__in=OPEN_STATES, code__in=check.codes
    ).values_list("code", "external_id"):
        if (code, external_id) not in still and external_id not in check.keep:
            stale[code].append(external_id)
    resolved = sum(
        sync_issues_resolve(connection=connection, entity=Entity.DRIFT, external_ids=ids, codes=[code])
        for code, ids in stale.items()
    )
    return recorded, resolved


def drift_check(connection: ErpConnection, *, now: datetime | None = None) -> DriftReport:
    """Compare the ERP and the portal for ``connection``, record the drifts as issues and the check as a
    ``SyncRun`` (entity "drift"). A check the ERP cannot answer is skipped; one that fails (the ERP unreachable)
    is reported and leaves its issues as they were. Never raises for the ERP's or the settings' faults."""
    now = now or timezone.now()
    report = DriftReport(connection=connection)
    with run_lock(connection, Entity.DRIFT) as taken:
        if not taken:
            report.error = _("Another drift check of this connection is running.")
            return report
        SyncRun.objects.filter(connection=connection, entity=Entity.DRIFT, status=SyncRun.Status.RUNNING).update(
            status=SyncRun.Status.FAILED, finished_at=timezone.now(), error="Interrupted before it finished."
        )
        run = SyncRun.objects.create(
            connection=connection, entity=Entity.DRIFT, direction=SyncRun.Direction.IMPORT, mode=SyncRun.Mode.FULL
        )
        report.run = run
        started = time.monotonic()
        try:
            options = DriftOptions.of(connection)
            with adapter_for(connection) as adapter:
                for name, compare in CHECKS.items():
                    if name not in options.checks:
                        report.checks.append(DriftCheck(name).skip(_("Turned off in the connection's settings.")))
                        continue
                    try:
                        check = compare(connection, adapter, options, now)
                    except NotImplementedError:
                        check = DriftCheck(name).skip(_("The adapter does not implement what this check asks."))
                    except Exception as exc:
                        log.warning("Drift check %s of %s failed: %s", name, connection.code, exc)
                        check = DriftCheck(name, state=FAILED, reason=f"{type(exc).__name__}: {exc}"[:2000])
                    report.checks.append(check)
                    if check.state == COMPARED:
                        recorded, resolved = _record(connection, run, check)
                        report.recorded += recorded
                        report.resolved += resolved
        except Exception as exc:  # the settings or the adapter itself: nothing could be compared
            log.warning("Drift check of %s failed: %s", connection.code, exc)
            report.error = f"{type(exc).__name__}: {exc}"[:2000]
        run.status = report.status
        run.finished_at = timezone.now()
        run.unchanged = report.compared - report.drifted
        run.failed = report.drifted
        run.error = report.error or "; ".join(f"{c.name}: {c.reason}" for c in report.checks if c.state == FAILED)
        run.summary = {**report.as_dict(), "seconds": round(time.monotonic() - started, 3)}
        run.save()
    return report


# --- Tasks -------------------------------------------------------------------------------------------------


def run_drift_check(connection_id: int) -> str:
    """The scheduled check of one connection (django-q2); returns the run's status. Inactive connections are
    skipped."""
    connection = ErpConnection.objects.filter(pk=connection_id, is_active=True).first()
    if connection is None:
        return "skipped"
    report = drift_check(connection)
    return report.run.status if report.run else "skipped"


# --- Health ------------------------------------------------------------------------------------------------


@dataclass
class DriftHealth:
    """For the sync health page: when drift was last checked and which drifts are open."""

    last_check: datetime | None
    last_status: str
    last_summary: dict
    open_by_kind: list[dict]

    @property
    def open_total(self) -> int:
        return sum(row["count"] for row in self.open_by_kind)

    @property
    def last_status_label(self) -> str:
        return str(SyncRun.Status(self.last_status).label) if self.last_status else ""


def drift_health(connection: ErpConnection) -> DriftHealth:
    """Two queries whatever the number of checks or issues."""
    last = (
        SyncRun.objects.filter(connection=connection, entity=Entity.DRIFT, dry_run=False)
        .exclude(status=SyncRun.Status.RUNNING)
        .order_by("-started_at")
        .only("finished_at", "status", "summary")
        .first()
    )
    counts = dict(
        SyncIssue.objects.filter(connection=connection, entity=Entity.DRIFT, status__in=OPEN_STATES)
        .order_by()
        .values("code")
        .annotate(n=Count("id"))
        .values_list("code", "n")
    )
    open_by_kind = [
        {"code": code, "label": str(DRIFT_KINDS.get(code, code)), "count": counts[code]}
        for code in [*DRIFT_KINDS, *sorted(set(counts) - set(DRIFT_KINDS))]
        if counts.get(code)
    ]
    return DriftHealth(
        last_check=last.finished_at if last else None,
        last_status=last.status if last else "",
        last_summary=last.summary if last else {},
        open_by_kind=open_by_kind,
    )
