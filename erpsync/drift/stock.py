"""The stock check: per warehouse, the ERP's full stock snapshot summed against the portal's stock levels."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from itertools import islice

from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from catalog.models import Product, StockLevel, Warehouse
from erpsync.adapters.base import ErpAdapter
from erpsync.binders import to_internal_many
from erpsync.drift.options import BATCH, DriftOptions
from erpsync.drift.report import STOCK_DRIFT, DriftCheck, quantity_text
from erpsync.issues import IssueDraft
from erpsync.models import Entity, ErpConnection, SyncCursor, ValueMap

ZERO = Decimal("0")


@dataclass
class _StockSum:
    on_hand: Decimal = ZERO
    committed: Decimal = ZERO
    rows: int = 0
    erp_codes: set[str] = field(default_factory=set)


def check_stock(connection: ErpConnection, adapter: ErpAdapter, options: DriftOptions, now: datetime) -> DriftCheck:
    """Per warehouse, the ERP's full stock snapshot summed against the portal's stock levels."""
    check = DriftCheck("stock", codes=(STOCK_DRIFT,))
    if not adapter.can_read("stock"):
        return check.skip(_("The ERP does not send stock."))
    check.details["tolerance"] = quantity_text(options.stock_tolerance)
    totals = _erp_totals(connection, adapter, check)
    if totals is None:
        return check
    warehouses = dict(Warehouse.objects.filter(code__in=list(totals)).values_list("code", "id"))
    unknown = sorted(set(totals) - set(warehouses))
    if unknown:
        check.details["unknown_warehouses"] = unknown[:20]
    portal = _portal_totals(warehouses.values())
    for code in sorted(warehouses):
        draft = _compare_warehouse(code, warehouses[code], totals[code], portal.get(warehouses[code]) or {}, options)
        check.compared += 1
        if draft is not None:
            check.drafts.append(draft)
    return check


def _erp_totals(connection: ErpConnection, adapter: ErpAdapter, check: DriftCheck) -> dict[str, _StockSum] | None:
    """Per portal warehouse code, the sums of the ERP's full snapshots the portal has imported; None when there is
    nothing to compare with (``check`` is then skipped and says why)."""
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
            check.skip(_("The ERP sends stock changes only, no full snapshot to compare with."))
            return None
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
        check.skip(_("The ERP gave no stock snapshot the portal has imported."))
        return None
    check.details.update({"snapshots": snapshots, **counts})
    return totals


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


def _portal_totals(warehouse_ids: Iterable[int]) -> dict[int, dict]:
    """Per warehouse id, the portal's on-hand and committed sums and its number of stock levels: one query."""
    return {
        row["warehouse_id"]: row
        for row in StockLevel.objects.filter(warehouse_id__in=list(warehouse_ids))
        .order_by()
        .values("warehouse_id")
        .annotate(on_hand=Sum("on_hand"), committed=Sum("committed_erp"), rows=Count("id"))
    }


def _compare_warehouse(
    code: str, warehouse_id: int, erp: _StockSum, row: dict, options: DriftOptions
) -> IssueDraft | None:
    """The issue for one warehouse whose sums differ beyond the tolerance, or None when they agree."""
    portal_on_hand, portal_committed = row.get("on_hand") or ZERO, row.get("committed") or ZERO
    on_hand_diff, committed_diff = erp.on_hand - portal_on_hand, erp.committed - portal_committed
    if abs(on_hand_diff) <= options.stock_tolerance and abs(committed_diff) <= options.stock_tolerance:
        return None
    figures = {
        "warehouse": code,
        "erp_on_hand": quantity_text(erp.on_hand),
        "erp_committed": quantity_text(erp.committed),
        "portal_on_hand": quantity_text(portal_on_hand),
        "portal_committed": quantity_text(portal_committed),
        "on_hand_difference": quantity_text(on_hand_diff),
        "committed_difference": quantity_text(committed_diff),
    }
    return IssueDraft(
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
            "tolerance": quantity_text(options.stock_tolerance),
        },
    )
