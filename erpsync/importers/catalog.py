"""Importers for the catalogue's items: units, categories, brands and items (with packs).

The item code is the SKU; the binder (``ExternalRef``) only holds exceptions staff mapped by hand (an ERP code for
a product the portal knows under another SKU). Warehouses and stock are in ``stock``, price lists, prices and
dealer agreements in ``prices``.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from b2bportal.sql import SqlNames
from catalog.categories import category_tree_forget
from catalog.models import Brand, Category, Product, ProductUnit, Unit
from catalog.units import units_forget
from erpsync.adapters.base import ErpProduct
from erpsync.binders import bound_join
from erpsync.importers.bulk import RowSpool, TableMerge
from erpsync.importers.staged import (
    STAFF_HOLD,
    ZERO,
    RecordRejected,
    StagedImporter,
    execute,
    ids_by_code,
    number,
    q,
    text,
)
from erpsync.models import ValueMap

ACTIVE_FLAGS = {True: "active", False: "inactive"}


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
        transaction.on_commit(units_forget)


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


def inactive_reason(code: str) -> str:
    """What staff read on an inactive product: why the ERP holds it back (``ErpProduct.inactive_reason``)."""
    reasons = {
        "not_sold": _("Not a sales item in the ERP."),
        "outside_validity": _("Outside its validity period in the ERP."),
        "frozen": _("Frozen in the ERP."),
    }
    return reasons.get(code, _("Passive in the ERP."))


class ProductImporter(StagedImporter):
    """Items with their packs. A record that cannot be mapped (unknown unit, category, brand or tax code) is
    not created, and an existing product it names is quarantined (not sellable) until the ERP sends it cleanly.
    Items missing from a full snapshot become inactive."""

    entity = "product"
    held_model, held_key = Product, "sku"
    digest_model = Product
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
        self.units = ids_by_code(Unit)
        self.categories = ids_by_code(Category)
        self.brands = ids_by_code(Brand)
        self.packs = RowSpool()

    def digest_context(self, ctx):
        return [sorted(self.units.items()), sorted(self.categories.items()), sorted(self.brands.items())]

    def landed(self, ctx, stage) -> str:
        return f"SELECT erp_key, product_id AS row_id, NULL::timestamptz AS stamp FROM {q(self._ids)}"

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
            "" if record.active else inactive_reason(record.inactive_reason),
        )
        self.packs.extend(packs)
        yield row

    def land(self, ctx, stage) -> None:
        self.hold_refused(ctx)
        joins, product_id = bound_join(ctx.connection.pk, "product", Product, "sku", "s.erp_key", "p")
        resolved = self.resolved_copy(stage, "r", f"SELECT s.*, {product_id} AS id FROM {q(stage)} s {joins}")
        self.drop_duplicates(ctx, resolved, "id", "duplicate_product")
        if self.kept:
            self.read_again_if_kept(f"SELECT 1 FROM {q(resolved)} r JOIN {q(self.kept)} k ON k.row_id = r.id")
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
                kept=q(self.kept) if self.kept else "",
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
        self._ids = ids
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
