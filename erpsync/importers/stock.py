"""Importers for warehouses and the stock they hold."""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import gettext as _

from b2bportal.sql import SqlNames
from catalog.models import Product, StockAlert, StockLevel, Warehouse
from catalog.stock_alert_tasks import stock_alerts_queue
from erpsync.adapters.base import ErpStock
from erpsync.binders import bound_join
from erpsync.importers.bulk import TableMerge
from erpsync.importers.staged import (
    ZERO,
    RecordRejected,
    StagedImporter,
    execute,
    fetchall,
    ids_by_code,
    number,
    q,
    text,
)
from erpsync.models import ValueMap
from orders.services.transitions import reservations_release_taken_over

# Duplicates are judged on what the rows resolve to: two ERP codes of one item, or two ERP warehouses mapped onto
# one, land on one row.
STOCK_KEY = "product_id || '|' || warehouse_id"


class WarehouseImporter(StagedImporter):
    """Warehouses. Whether stock there is offered to dealers is the ERP's flag for a new warehouse only: after
    that staff decide (a quarantine or damaged-goods store must never turn sellable because of a sync)."""

    entity = "warehouse"
    columns = {
        "erp_key": "varchar(255)",
        "code": "varchar(32)",
        "name": "varchar(150)",
        "is_active": "boolean",
        "is_sellable": "boolean",
    }

    def rows(self, ctx, record) -> Iterator[tuple]:
        code = text(ctx.map(ValueMap.Kind.WAREHOUSE, record.code), 32, "code", required=True)
        yield (record.code, code, text(record.name or code, 150, "name"), bool(record.active), bool(record.sellable))

    def land(self, ctx, stage) -> None:
        self.drop_duplicates(ctx, stage, "code", "duplicate_code")  # two ERP warehouses mapped onto one
        self.merge(
            ctx,
            TableMerge(
                model=Warehouse,
                key=("code",),
                values=("name", "is_active"),
                source=q(stage),
                on_insert={"is_sellable": "s.is_sellable", "created_at": "%(now)s", "updated_at": "%(now)s"},
                on_update={"updated_at": "%(now)s"},
                deactivate="is_active = FALSE, updated_at = %(now)s",
                deactivated_when="t.is_active = FALSE",
                label="warehouse",
            ),
        )


class StockImporter(StagedImporter):
    """Stock per item and warehouse, in base units. Negative figures are refused (an issue) and the row is
    staged at zero, so nothing is offered from it. An unchanged figure is not written: the warehouse's
    ``stock_as_of`` says how fresh all its figures are. A full snapshot zeroes rows of its warehouses it no
    longer holds. Once the stock of a warehouse is newer than an order's confirmation by the ERP, the ERP's
    committed figure counts that order, and the portal's reservation for it is released. Products with stock that
    someone asked to be told about are checked for their alerts as soon as the import commits."""

    entity = "stock"
    digest_model = StockLevel
    columns = {
        "erp_key": "varchar(255)",
        "product_code": "varchar(255)",
        "warehouse_code": "varchar(255)",
        "on_hand": "numeric(14,4)",
        "committed_erp": "numeric(14,4)",
        "as_of": "timestamp with time zone",
        "refused": "boolean",
    }

    def digest_context(self, ctx):
        return sorted(ids_by_code(Warehouse).items())

    def landed(self, ctx, stage) -> str:
        t = SqlNames(StockLevel)
        return (
            f"SELECT r.erp_key, t.{t.id} AS row_id, r.as_of AS stamp FROM {q(self._resolved)} r JOIN {t} t "
            f"ON t.{t.product_id} = r.product_id AND t.{t.warehouse_id} = r.warehouse_id WHERE NOT r.refused"
        )

    def key_of(self, record: ErpStock) -> str:
        return f"{record.product_code}@{record.warehouse_code}"[:255]

    def rows(self, ctx, record: ErpStock) -> Iterator[tuple]:
        warehouse = ctx.map(ValueMap.Kind.WAREHOUSE, record.warehouse_code)
        key = self.key_of(record)
        refused = False
        try:
            on_hand = number(record.on_hand, "stock", minimum=ZERO)
            committed = number(record.committed or ZERO, "stock", minimum=ZERO)
        except RecordRejected as exc:
            ctx.reject(key=key, code=exc.code, message=exc.message, payload=record)
            on_hand = committed = ZERO
            refused = True
        yield (key, record.product_code, warehouse, on_hand, committed, record.as_of or ctx.now, refused)

    def land(self, ctx, stage) -> None:
        joins, product_id = bound_join(ctx.connection.pk, "product", Product, "sku", "s.product_code", "p")
        w = SqlNames(Warehouse)
        resolved = self.resolved_copy(
            stage,
            "r",
            f"SELECT s.erp_key, {product_id} AS product_id, w.{w.id} AS warehouse_id, s.on_hand, s.committed_erp, "
            f"s.as_of, s.refused FROM {q(stage)} s {joins} LEFT JOIN {w} w ON w.{w.code} = s.warehouse_code",
        )
        self.reject_unresolved(
            ctx,
            resolved,
            "product_id IS NULL",
            "unknown_product",
            _("Stock for %(key)s: the item is not in the portal."),
        )
        self.reject_unresolved(
            ctx,
            resolved,
            "warehouse_id IS NULL",
            "unknown_warehouse",
            _("Stock for %(key)s: the warehouse is not in the portal."),
        )
        self._resolved = resolved
        present = self.resolved_copy(resolved, "seen", f"SELECT product_id, warehouse_id FROM {q(resolved)}")
        self.drop_duplicates(ctx, resolved, STOCK_KEY, "duplicate_code")
        t = SqlNames(StockLevel)
        scope = f"SELECT DISTINCT warehouse_id FROM {q(present)}"
        if self.kept:
            kept_rows = f"{t} t JOIN {q(self.kept)} k ON k.row_id = t.{t.id}"
            self.read_again_if_kept(
                f"SELECT 1 FROM {q(resolved)} r JOIN {kept_rows} "
                f"ON t.{t.product_id} = r.product_id AND t.{t.warehouse_id} = r.warehouse_id"
            )
            # Warehouses whose every record was skipped are in the snapshot all the same.
            scope += f" UNION SELECT DISTINCT t.{t.warehouse_id} FROM {kept_rows}"
        warehouses = self.resolved_copy(resolved, "wh", scope)
        self.merge(
            ctx,
            TableMerge(
                model=StockLevel,
                key=("product_id", "warehouse_id"),
                values=("on_hand", "committed_erp"),
                source=q(resolved),
                on_insert={"reserved_portal": "0", "as_of": "s.as_of"},
                on_update={"as_of": "s.as_of"},
                deactivate="on_hand = 0, committed_erp = 0, as_of = %(now)s",
                deactivated_when="t.on_hand = 0 AND t.committed_erp = 0",
                scope=f"t.warehouse_id IN (SELECT warehouse_id FROM {q(warehouses)})",
                present=q(present),
                kept=q(self.kept) if self.kept else "",
                label="stock",
            ),
        )
        if ctx.dry_run:
            return
        # As fresh as the oldest figure the ERP sent for the warehouse (its own time, not the import's): a
        # reservation is released only against figures taken after the ERP confirmed the order.
        # Records skipped as unchanged count with the time they carried (kept with their digest).
        times = f"SELECT warehouse_id, as_of FROM {q(resolved)}"
        if self.kept:
            times += (
                f" UNION ALL SELECT t.{t.warehouse_id}, k.stamp FROM {t} t JOIN {q(self.kept)} k "
                f"ON k.row_id = t.{t.id} WHERE t.{t.warehouse_id} IN (SELECT DISTINCT warehouse_id FROM {q(resolved)})"
            )
        oldest = self.resolved_copy(
            resolved, "oldest", f"SELECT warehouse_id, MIN(as_of) AS as_of FROM ({times}) x GROUP BY 1"
        )
        execute(
            f"UPDATE {w} SET {w.stock_as_of} = (SELECT s.as_of FROM {q(oldest)} s WHERE s.warehouse_id = {w}.{w.id}) "
            f"WHERE {w.id} IN (SELECT DISTINCT warehouse_id FROM {q(resolved)})"
        )
        reservations_release_taken_over()
        # Users waiting for a product this import put back in stock hear of it when the import commits, not at the
        # next scheduled check (which stays, for stock that returns by other paths).
        a = SqlNames(StockAlert)
        restocked = fetchall(
            f"SELECT DISTINCT r.product_id FROM {q(resolved)} r JOIN {a} a ON a.{a.product_id} = r.product_id "
            f"WHERE a.{a.notified_at} IS NULL AND NOT r.refused AND r.on_hand > r.committed_erp"
        )
        stock_alerts_queue(row[0] for row in restocked)

    def resolve_issues(self, ctx, stage) -> None:
        # Rows staged at zero after a refusal keep their issue open.
        execute(f"DELETE FROM {q(stage)} WHERE refused")
        super().resolve_issues(ctx, stage)
