"""Importers for the catalogue: units, categories, brands, items (with packs), warehouses, stock, price lists,
prices and dealer agreements.

The item code is the SKU; the binder (``ExternalRef``) only holds exceptions staff mapped by hand (an ERP code for
a product the portal knows under another SKU). Prices are stored per base unit with ``unit`` empty, a pack price
with its unit.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from b2bportal.sql import SqlNames
from catalog.categories import category_tree_forget
from catalog.models import (
    Brand,
    Category,
    DealerAgreement,
    PriceList,
    PriceListItem,
    Product,
    ProductUnit,
    StockLevel,
    Unit,
    Warehouse,
)
from dealers.models import Dealer
from erpsync.adapters.base import ErpCustomerPrice, ErpPrice, ErpProduct, ErpStock
from erpsync.binders import bound_join
from erpsync.importers.bulk import RowSpool, TableMerge
from erpsync.importers.staged import (
    STAFF_HOLD,
    RecordRejected,
    StagedImporter,
    execute,
    number,
    q,
    text,
)
from erpsync.models import ExternalRef, ValueMap
from orders.services.transitions import reservations_release_taken_over

ZERO = Decimal("0")
# Duplicates are judged on what the rows resolve to: two spellings of one break (unit given as the base unit or
# left empty, "1" and "1.0") land on one row.
STOCK_KEY = "product_id || '|' || warehouse_id"
PRICE_KEY = "price_list_id || '|' || product_id || '|' || COALESCE(unit_id, -1) || '|' || min_quantity"
ACTIVE_FLAGS = {True: "active", False: "inactive"}


def _codes(model) -> dict[str, int]:
    return dict(model.objects.values_list("code", "id"))


class UnitImporter(StagedImporter):
    entity = "unit"
    columns = {
        "erp_key": "varchar(255)",
        "code": "varchar(16)",
        "name": "varchar(64)",
        "name_en": "varchar(64)",
        "decimals": "smallint",
    }

    def rows(self, ctx, record) -> Iterator[tuple]:
        code = text(ctx.map(ValueMap.Kind.UNIT, record.code), 16, "code", required=True)
        decimals = int(record.decimals or 0)
        if not 0 <= decimals <= 6:
            raise RecordRejected("invalid_decimals", _("A unit has 0 to 6 decimals."))
        yield (record.code, code, text(record.name or code, 64, "name"), text(record.name_en, 64, "name_en"), decimals)

    def land(self, ctx, stage) -> None:
        self.drop_duplicates(ctx, stage, "code", "duplicate_code")  # two ERP units mapped onto one
        self.merge(
            ctx,
            TableMerge(
                model=Unit,
                key=("code",),
                values=("name", "name_en", "decimals"),
                source=q(stage),
                on_insert={"created_at": "%(now)s", "updated_at": "%(now)s"},
                on_update={"updated_at": "%(now)s"},
                label="unit",
            ),
        )


class CategoryImporter(StagedImporter):
    entity = "category"
    columns = {
        "erp_key": "varchar(255)",
        "code": "varchar(64)",
        "name": "varchar(255)",
        "name_en": "varchar(255)",
        "parent_code": "varchar(64)",
        "is_active": "boolean",
    }

    def rows(self, ctx, record) -> Iterator[tuple]:
        code = text(record.code, 64, "code", required=True)
        if record.parent_code == record.code:
            raise RecordRejected("invalid_parent", _("A category cannot be its own parent."))
        yield (
            code,
            code,
            text(record.name, 255, "name", required=True),
            text(record.name_en, 255, "name_en"),
            text(record.parent_code, 64, "parent_code"),
            bool(record.active),
        )

    def land(self, ctx, stage) -> None:
        c = SqlNames(Category)
        self.reject_unresolved(
            ctx,
            stage,
            f"parent_code <> '' AND parent_code NOT IN (SELECT code FROM {q(stage)}) "
            f"AND parent_code NOT IN (SELECT {c.code} FROM {c})",
            "unknown_parent",
            _("Category %(key)s names a parent category the portal does not know."),
        )
        self.merge(
            ctx,
            TableMerge(
                model=Category,
                key=("code",),
                values=("name", "name_en", "is_active"),
                source=q(stage),
                on_insert={"created_at": "%(now)s", "updated_at": "%(now)s", "sort_order": "0"},
                on_update={"updated_at": "%(now)s"},
                deactivate="is_active = FALSE, updated_at = %(now)s",
                deactivated_when="t.is_active = FALSE",
                label="category",
            ),
        )
        if not ctx.dry_run:
            execute(
                f"UPDATE {c} SET {c.parent_id} = (SELECT p.{c.id} FROM {c} p JOIN {q(stage)} s "
                f"ON p.{c.code} = s.parent_code WHERE s.code = {c}.{c.code}) "
                f"WHERE {c.code} IN (SELECT code FROM {q(stage)})"
            )
            transaction.on_commit(category_tree_forget)


class BrandImporter(StagedImporter):
    entity = "brand"
    columns = {"erp_key": "varchar(255)", "code": "varchar(64)", "name": "varchar(150)"}

    def rows(self, ctx, record) -> Iterator[tuple]:
        code = text(record.code, 64, "code", required=True)
        yield (code, code, text(record.name, 150, "name", required=True))

    def land(self, ctx, stage) -> None:
        self.merge(
            ctx,
            TableMerge(
                model=Brand,
                key=("code",),
                values=("name",),
                source=q(stage),
                on_insert={"created_at": "%(now)s", "updated_at": "%(now)s"},
                on_update={"updated_at": "%(now)s"},
                label="brand",
            ),
        )


class ProductImporter(StagedImporter):
    """Items with their packs. A record that cannot be mapped (unknown unit, category, brand or tax code) is
    not created, and an existing product it names is quarantined (not sellable) until the ERP sends it cleanly.
    Items missing from a full snapshot become inactive."""

    entity = "product"
    held_model, held_key = Product, "sku"
    columns = {
        "erp_key": "varchar(255)",
        "name": "varchar(255)",
        "name_en": "varchar(255)",
        "description": "text",
        "description_en": "text",
        "category_id": "bigint",
        "brand_id": "bigint",
        "barcode": "varchar(64)",
        "base_unit_id": "bigint",
        "vat_rate": "numeric(5,2)",
        "batch_managed": "boolean",
        "min_order_qty": "numeric(14,4)",
        "order_multiple": "numeric(14,4)",
        "status": "varchar(16)",
        "status_reason": "varchar(255)",
    }
    pack_columns = {
        "erp_key": "varchar(255)",
        "unit_id": "bigint",
        "factor": "numeric(14,6)",
        "barcode": "varchar(64)",
        "is_sales_unit": "boolean",
    }

    def before(self, ctx) -> None:
        self.units = _codes(Unit)
        self.categories = _codes(Category)
        self.brands = _codes(Brand)
        self.packs = RowSpool()

    def _unit(self, ctx, code: str, field: str) -> int:
        unit_id = self.units.get(ctx.map(ValueMap.Kind.UNIT, code))
        if unit_id is None:
            raise RecordRejected(
                "unknown_unit", _("Unknown unit %(unit)s in %(field)s.") % {"unit": code, "field": field}
            )
        return unit_id

    def _vat(self, ctx, record: ErpProduct) -> Decimal:
        if record.vat_rate is not None:
            rate = record.vat_rate
        elif record.tax_code:
            mapped = ctx.map(ValueMap.Kind.TAX_CODE, record.tax_code)
            try:
                rate = Decimal(mapped)
            except ArithmeticError:
                raise RecordRejected(
                    "unknown_tax_code", _("Tax code %(code)s has no VAT rate mapped.") % {"code": record.tax_code}
                ) from None
        else:
            raise RecordRejected("missing_vat", _("The item has neither a VAT rate nor a tax code."))
        rate = number(rate, "vat_rate", minimum=ZERO, places=2)
        if rate > 100:
            raise RecordRejected("invalid_vat", _("A VAT rate above 100 %."))
        return rate

    def rows(self, ctx, record: ErpProduct) -> Iterator[tuple]:
        code = text(record.code, 64, "code", required=True)
        category_id = brand_id = None
        if record.category_code:
            category_id = self.categories.get(record.category_code)
            if category_id is None:
                raise RecordRejected(
                    "unknown_category", _("Unknown category %(code)s.") % {"code": record.category_code}
                )
        if record.brand_code:
            brand_id = self.brands.get(record.brand_code)
            if brand_id is None:
                raise RecordRejected("unknown_brand", _("Unknown brand %(code)s.") % {"code": record.brand_code})
        if record.batch_managed and not ctx.options.batch_items_sellable:
            raise RecordRejected("batch_managed", _("Batch-managed items are not sold through this connection."))
        base_unit_id = self._unit(ctx, record.unit, "unit")
        packs = []
        for pack in record.units:
            unit_id = self._unit(ctx, pack.unit, "packs")
            factor = number(pack.factor, "factor", above=ZERO, places=6)
            if unit_id == base_unit_id:
                continue
            packs.append((code, unit_id, factor, text(pack.barcode, 64, "barcode"), bool(pack.sellable)))
        if len({p[1] for p in packs}) != len(packs):
            raise RecordRejected("duplicate_pack", _("The same pack unit is listed twice."))
        row = (
            code,
            text(record.name, 255, "name", required=True),
            text(record.name_en, 255, "name_en") or None,
            text(record.description, 100_000, "description") or None,
            text(record.description_en, 100_000, "description_en") or None,
            category_id,
            brand_id,
            text(record.barcode, 64, "barcode"),
            base_unit_id,
            self._vat(ctx, record),
            bool(record.batch_managed),
            number(record.min_order_qty, "min_order_qty", above=ZERO),
            number(record.order_multiple, "order_multiple", above=ZERO),
            ACTIVE_FLAGS[bool(record.active)],
            "" if record.active else _("Passive in the ERP."),
        )
        self.packs.extend(packs)
        yield row

    def land(self, ctx, stage) -> None:
        self.hold_refused(ctx)
        joins, product_id = bound_join(ctx.connection.pk, "product", Product, "sku", "s.erp_key", "p")
        resolved = self.resolved_copy(stage, "r", f"SELECT s.*, {product_id} AS id FROM {q(stage)} s {joins}")
        self.drop_duplicates(ctx, resolved, "id", "duplicate_product")
        values = tuple(c for c in self.columns if c != "erp_key")
        self.merge(
            ctx,
            TableMerge(
                model=Product,
                key=("id",),
                values=values,
                source=q(resolved),
                on_insert={"sku": "s.erp_key", "created_at": "%(now)s", "updated_at": "%(now)s", "image_url": "''"},
                on_update={"updated_at": "%(now)s"},
                keep_when_null={
                    "name_en": "''",
                    "description": "''",
                    "description_en": "''",
                    "min_order_qty": "1",
                    "order_multiple": "1",
                },
                deactivate="status = 'inactive', status_reason = %(gone)s, updated_at = %(now)s",
                # Quarantined products were in the feed, refused: they stay quarantined, not "missing".
                deactivated_when="t.status IN ('inactive', 'quarantined')",
                preserve={"status": STAFF_HOLD, "status_reason": STAFF_HOLD},
                label="product",
            ),
            {"gone": _("Not in the ERP's item list any more.")[:255]},
        )
        self._land_packs(ctx, resolved)

    def _land_packs(self, ctx, resolved) -> None:
        packs = ctx.staging("product_pack", self.pack_columns)
        packs.write(self.packs.rows())
        # New products got their ids from the insert above: found by SKU.
        p = SqlNames(Product)
        ids = self.resolved_copy(
            resolved,
            "ids",
            f"SELECT r.erp_key, COALESCE(r.id, p.{p.id}) AS product_id FROM {q(resolved)} r "
            f"LEFT JOIN {p} p ON p.{p.sku} = r.erp_key",
        )
        source = (
            f"(SELECT i.product_id, s.unit_id, s.factor, s.barcode, s.is_sales_unit "
            f"FROM {q(packs.name)} s JOIN {q(ids)} i ON i.erp_key = s.erp_key)"
        )
        self.merge(
            ctx,
            TableMerge(
                model=ProductUnit,
                key=("product_id", "unit_id"),
                values=("factor", "barcode", "is_sales_unit"),
                source=source,
                deactivate="is_sales_unit = FALSE",
                deactivated_when="t.is_sales_unit = FALSE",
                scope=f"t.product_id IN (SELECT product_id FROM {q(ids)})",
                label="pack",
            ),
            counted=False,
        )
        packs.drop()


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
    committed figure counts that order, and the portal's reservation for it is released."""

    entity = "stock"
    columns = {
        "erp_key": "varchar(255)",
        "product_code": "varchar(255)",
        "warehouse_code": "varchar(255)",
        "on_hand": "numeric(14,4)",
        "committed_erp": "numeric(14,4)",
        "as_of": "timestamp with time zone",
        "refused": "boolean",
    }

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
        present = self.resolved_copy(resolved, "seen", f"SELECT product_id, warehouse_id FROM {q(resolved)}")
        self.drop_duplicates(ctx, resolved, STOCK_KEY, "duplicate_code")
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
                scope=f"t.warehouse_id IN (SELECT DISTINCT warehouse_id FROM {q(present)})",
                present=q(present),
                label="stock",
            ),
        )
        if ctx.dry_run:
            return
        # As fresh as the oldest figure the ERP sent for the warehouse (its own time, not the import's): a
        # reservation is released only against figures taken after the ERP confirmed the order.
        execute(
            f"UPDATE {w} SET {w.stock_as_of} = (SELECT MIN(s.as_of) FROM {q(resolved)} s "
            f"WHERE s.warehouse_id = {w}.{w.id}) "
            f"WHERE {w.id} IN (SELECT DISTINCT warehouse_id FROM {q(resolved)})"
        )
        reservations_release_taken_over()

    def resolve_issues(self, ctx, stage) -> None:
        # Rows staged at zero after a refusal keep their issue open.
        execute(f"DELETE FROM {q(stage)} WHERE refused")
        super().resolve_issues(ctx, stage)


class PriceListImporter(StagedImporter):
    entity = "price_list"
    columns = {
        "erp_key": "varchar(255)",
        "code": "varchar(40)",
        "name": "varchar(150)",
        "currency": "varchar(3)",
        "vat_included": "boolean",
        "valid_from": "date",
        "valid_to": "date",
        "is_active": "boolean",
        "supersedes_code": "varchar(40)",
    }

    def rows(self, ctx, record) -> Iterator[tuple]:
        code = text(record.code, 40, "code", required=True)
        currency = ctx.map(ValueMap.Kind.CURRENCY, record.currency or "TRY")
        if currency not in settings.B2B_CURRENCIES:
            raise RecordRejected("unknown_currency", _("Unknown currency %(c)s.") % {"c": record.currency})
        if record.valid_from and record.valid_to and record.valid_to < record.valid_from:
            raise RecordRejected("invalid_window", _("The list ends before it starts."))
        yield (
            code,
            code,
            text(record.name or code, 150, "name"),
            currency,
            bool(record.vat_included),
            record.valid_from,
            record.valid_to,
            bool(record.active),
            text(record.supersedes, 40, "supersedes"),
        )

    def land(self, ctx, stage) -> None:
        self.merge(
            ctx,
            TableMerge(
                model=PriceList,
                key=("code",),
                values=("name", "currency", "vat_included", "valid_from", "valid_to", "is_active"),
                source=q(stage),
                on_insert={"created_at": "%(now)s", "updated_at": "%(now)s"},
                on_update={"updated_at": "%(now)s"},
                deactivate="is_active = FALSE, updated_at = %(now)s",
                deactivated_when="t.is_active = FALSE",
                label="price list",
            ),
        )
        if not ctx.dry_run:
            pl = SqlNames(PriceList)
            execute(
                f"UPDATE {pl} SET {pl.supersedes_id} = (SELECT p.{pl.id} FROM {pl} p JOIN {q(stage)} s "
                f"ON p.{pl.code} = s.supersedes_code WHERE s.code = {pl}.{pl.code} AND p.{pl.code} <> s.code) "
                f"WHERE {pl.code} IN (SELECT code FROM {q(stage)})"
            )


class PriceImporter(StagedImporter):
    """Prices and quantity breaks. A full snapshot replaces the prices of the lists it carries: a price the ERP
    no longer lists is removed, so nothing is sold at a price the ERP withdrew (a price row has no identity of
    its own to deactivate; orders keep their own copy of every price)."""

    entity = "price"
    columns = {
        "erp_key": "varchar(255)",
        "price_list_code": "varchar(40)",
        "product_code": "varchar(255)",
        "unit_id": "bigint",
        "min_quantity": "numeric(14,4)",
        "price": "numeric(16,4)",
        "refused": "boolean",
    }

    def before(self, ctx) -> None:
        self.units = _codes(Unit)

    def key_of(self, record: ErpPrice) -> str:
        return f"{record.price_list_code}|{record.product_code}|{record.unit}|{record.min_quantity}"[:255]

    def rows(self, ctx, record: ErpPrice) -> Iterator[tuple]:
        unit_id = None
        if record.unit:
            unit_id = self.units.get(ctx.map(ValueMap.Kind.UNIT, record.unit))
            if unit_id is None:
                raise RecordRejected("unknown_unit", _("Unknown unit %(unit)s.") % {"unit": record.unit})
        min_quantity = number(record.min_quantity, "min_quantity", above=ZERO)
        try:
            price, refused = number(record.price, "price", minimum=ZERO), False
        except RecordRejected as exc:
            # Kept in the stage, flagged: a refused price is not a withdrawn one, and must not delete the price
            # the portal has for the same break.
            ctx.reject(key=self.key_of(record), code=exc.code, message=exc.message, payload=record)
            price, refused = None, True
        yield (self.key_of(record), record.price_list_code, record.product_code, unit_id, min_quantity, price, refused)

    def land(self, ctx, stage) -> None:
        joins, product_id = bound_join(ctx.connection.pk, "product", Product, "sku", "s.product_code", "p")
        p, pl, ref = SqlNames(Product), SqlNames(PriceList), SqlNames(ExternalRef)
        # A price in the item's base unit is stored without a unit, the way pricing looks it up.
        resolved = self.resolved_copy(
            stage,
            "r",
            f"SELECT s.erp_key, l.{pl.id} AS price_list_id, {product_id} AS product_id, "
            f"CASE WHEN s.unit_id = COALESCE(p_r_product.{p.base_unit_id}, p_n.{p.base_unit_id}) THEN NULL "
            f"ELSE s.unit_id END AS unit_id, s.min_quantity, s.price, s.refused FROM {q(stage)} s {joins} "
            f"LEFT JOIN {p} p_r_product ON p_r_product.{p.id} = p_r.{ref.local_id} "
            f"LEFT JOIN {pl} l ON l.{pl.code} = s.price_list_code",
        )
        self.reject_unresolved(
            ctx,
            resolved,
            "price_list_id IS NULL",
            "unknown_price_list",
            _("Price %(key)s: the price list is not in the portal."),
        )
        self.reject_unresolved(
            ctx, resolved, "product_id IS NULL", "unknown_product", _("Price %(key)s: the item is not in the portal.")
        )
        present = self.resolved_copy(
            resolved, "seen", f"SELECT price_list_id, product_id, unit_id, min_quantity FROM {q(resolved)}"
        )
        execute(f"DELETE FROM {q(resolved)} WHERE refused")
        self.drop_duplicates(ctx, resolved, PRICE_KEY, "duplicate_code")
        self.merge(
            ctx,
            TableMerge(
                model=PriceListItem,
                key=("price_list_id", "product_id", "unit_id", "min_quantity"),
                values=("price",),
                source=q(resolved),
                nullable=("unit_id",),
                delete_missing=True,
                scope=f"t.price_list_id IN (SELECT DISTINCT price_list_id FROM {q(present)})",
                present=q(present),
                label="price",
            ),
        )


class AgreementImporter(StagedImporter):
    """A dealer's own prices and discounts, keyed by the ERP's agreement code. One missing from a full
    snapshot is deactivated (kept for the record, no longer pricing)."""

    entity = "agreement"
    columns = {
        "erp_key": "varchar(255)",
        "customer_code": "varchar(255)",
        "product_code": "varchar(255)",
        "category_id": "bigint",
        "brand_id": "bigint",
        "kind": "varchar(16)",
        "value": "numeric(16,4)",
        "currency": "varchar(3)",
        "min_quantity": "numeric(14,4)",
        "valid_from": "date",
        "valid_to": "date",
        "note": "varchar(255)",
    }

    def before(self, ctx) -> None:
        self.categories = _codes(Category)
        self.brands = _codes(Brand)

    def rows(self, ctx, record: ErpCustomerPrice) -> Iterator[tuple]:
        code = text(record.code, 64, "code", required=True)
        targets = [bool(record.product_code), bool(record.category_code), bool(record.brand_code)]
        if sum(targets) != 1:
            raise RecordRejected("invalid_target", _("An agreement names exactly one item, category or brand."))
        if record.kind not in ("fixed_price", "discount"):
            raise RecordRejected("invalid_kind", _("Unknown agreement kind %(kind)s.") % {"kind": record.kind})
        value = number(record.value, "value", minimum=ZERO)
        if record.kind == "discount" and value > 100:
            raise RecordRejected("invalid_discount", _("A discount above 100 %."))
        currency = ctx.map(ValueMap.Kind.CURRENCY, record.currency) if record.currency else ""
        if record.kind == "fixed_price" and not currency:
            raise RecordRejected("missing_currency", _("A fixed price needs a currency."))
        category_id = self.categories.get(record.category_code) if record.category_code else None
        brand_id = self.brands.get(record.brand_code) if record.brand_code else None
        if record.category_code and category_id is None:
            raise RecordRejected("unknown_category", _("Unknown category %(code)s.") % {"code": record.category_code})
        if record.brand_code and brand_id is None:
            raise RecordRejected("unknown_brand", _("Unknown brand %(code)s.") % {"code": record.brand_code})
        if record.valid_from and record.valid_to and record.valid_to < record.valid_from:
            raise RecordRejected("invalid_window", _("The agreement ends before it starts."))
        yield (
            code,
            record.customer_code,
            record.product_code or None,
            category_id,
            brand_id,
            record.kind,
            value,
            currency,
            number(record.min_quantity or 1, "min_quantity", above=ZERO),
            record.valid_from,
            record.valid_to,
            text(record.note, 255, "note"),
        )

    def land(self, ctx, stage) -> None:
        d_joins, dealer_id = bound_join(ctx.connection.pk, "customer", Dealer, "code", "s.customer_code", "d")
        p_joins, product_id = bound_join(ctx.connection.pk, "product", Product, "sku", "s.product_code", "p")
        resolved = self.resolved_copy(
            stage,
            "r",
            f"SELECT s.erp_key AS code, s.erp_key, {dealer_id} AS dealer_id, "
            f"CASE WHEN s.product_code IS NULL THEN NULL ELSE {product_id} END AS product_id, "
            f"s.product_code, s.category_id, s.brand_id, s.kind, s.value, s.currency, s.min_quantity, s.valid_from, "
            f"s.valid_to, s.note, TRUE AS is_active FROM {q(stage)} s {d_joins} {p_joins}",
        )
        self.reject_unresolved(
            ctx,
            resolved,
            "dealer_id IS NULL",
            "unknown_customer",
            _("Agreement %(key)s: the customer is not in the portal."),
        )
        self.reject_unresolved(
            ctx,
            resolved,
            "product_code IS NOT NULL AND product_id IS NULL",
            "unknown_product",
            _("Agreement %(key)s: the item is not in the portal."),
        )
        self.merge(
            ctx,
            TableMerge(
                model=DealerAgreement,
                key=("code",),
                values=(
                    "dealer_id",
                    "product_id",
                    "category_id",
                    "brand_id",
                    "kind",
                    "value",
                    "currency",
                    "min_quantity",
                    "valid_from",
                    "valid_to",
                    "note",
                    "is_active",
                ),
                source=q(resolved),
                on_insert={"created_at": "%(now)s", "updated_at": "%(now)s"},
                on_update={"updated_at": "%(now)s"},
                deactivate="is_active = FALSE, updated_at = %(now)s",
                deactivated_when="t.is_active = FALSE",
                scope="t.code <> ''",
                label="agreement",
            ),
        )
