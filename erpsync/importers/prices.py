"""Importers for price lists, their prices and quantity breaks, and dealer agreements.

Prices are stored per base unit with ``unit`` empty, a pack price with its unit.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings
from django.utils.translation import gettext as _

from b2bportal.sql import SqlNames
from catalog.models import Brand, Category, DealerAgreement, PriceList, PriceListItem, Product, Unit
from catalog.pricing import price_data_changed
from dealers.models import Dealer
from erpsync.adapters.base import ErpCustomerPrice, ErpPrice
from erpsync.binders import bound_join
from erpsync.importers.bulk import TableMerge
from erpsync.importers.staged import ZERO, RecordRejected, StagedImporter, execute, ids_by_code, number, q, text
from erpsync.models import ExternalRef, ValueMap

# Duplicates are judged on what the rows resolve to: two spellings of one break (unit given as the base unit or
# left empty, "1" and "1.0") land on one row.
PRICE_KEY = "price_list_id || '|' || product_id || '|' || COALESCE(unit_id, -1) || '|' || min_quantity"


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
        # Bulk SQL sends no signals: every process reads the price lists again (catalog/pricing.py).
        price_data_changed()


class PriceImporter(StagedImporter):
    """Prices and quantity breaks. A full snapshot replaces the prices of the lists it carries: a price the ERP
    no longer lists is removed, so nothing is sold at a price the ERP withdrew (a price row has no identity of
    its own to deactivate; orders keep their own copy of every price)."""

    entity = "price"
    digest_model = PriceListItem
    columns = {
        "erp_key": "varchar(255)",
        "price_list_code": "varchar(40)",
        "product_code": "varchar(255)",
        "unit_id": "bigint",
        "min_quantity": "numeric(14,4)",
        "price": "numeric(16,4)",
        "refused": "boolean",
        "currency": "varchar(8)",
    }

    def before(self, ctx) -> None:
        self.units = ids_by_code(Unit)

    def digest_context(self, ctx):
        lists = sorted(PriceList.objects.values_list("code", "id", "currency"))
        return [sorted(self.units.items()), lists]

    def landed(self, ctx, stage) -> str:
        i = SqlNames(PriceListItem)
        return (
            f"SELECT r.erp_key, t.{i.id} AS row_id, NULL::timestamptz AS stamp FROM {q(self._resolved)} r "
            f"JOIN {i} t ON t.{i.price_list_id} = r.price_list_id AND t.{i.product_id} = r.product_id "
            f"AND COALESCE(t.{i.unit_id}, -1) = COALESCE(r.unit_id, -1) AND t.{i.min_quantity} = r.min_quantity"
        )

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
        currency = ctx.map(ValueMap.Kind.CURRENCY, record.currency) if record.currency else ""
        yield (
            self.key_of(record), record.price_list_code, record.product_code, unit_id, min_quantity, price, refused,
            currency,
        )  # fmt: skip

    def land(self, ctx, stage) -> None:
        joins, product_id = bound_join(ctx.connection.pk, "product", Product, "sku", "s.product_code", "p")
        p, pl, ref = SqlNames(Product), SqlNames(PriceList), SqlNames(ExternalRef)
        # A price in the item's base unit is stored without a unit, the way pricing looks it up.
        resolved = self.resolved_copy(
            stage,
            "r",
            f"SELECT s.erp_key, l.{pl.id} AS price_list_id, {product_id} AS product_id, "
            f"CASE WHEN s.unit_id = COALESCE(p_r_product.{p.base_unit_id}, p_n.{p.base_unit_id}) THEN NULL "
            f"ELSE s.unit_id END AS unit_id, s.min_quantity, s.price, s.refused, s.currency, "
            f"l.{pl.currency} AS list_currency FROM {q(stage)} s {joins} "
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
        # A price in another currency than its list's is refused rather than read as the list's currency.
        self.reject_unresolved(
            ctx,
            resolved,
            "currency <> '' AND currency <> list_currency",
            "currency_mismatch",
            _("Price %(key)s is in another currency than its price list."),
        )
        present = self.resolved_copy(
            resolved, "seen", f"SELECT price_list_id, product_id, unit_id, min_quantity FROM {q(resolved)}"
        )
        execute(f"DELETE FROM {q(resolved)} WHERE refused")
        self.drop_duplicates(ctx, resolved, PRICE_KEY, "duplicate_code")
        self._resolved = resolved
        i = SqlNames(PriceListItem)
        scope = f"SELECT DISTINCT price_list_id FROM {q(present)}"
        if self.kept:
            kept_rows = f"{i} t JOIN {q(self.kept)} k ON k.row_id = t.{i.id}"
            self.read_again_if_kept(
                f"SELECT 1 FROM {q(resolved)} r JOIN {kept_rows} ON t.{i.price_list_id} = r.price_list_id "
                f"AND t.{i.product_id} = r.product_id AND COALESCE(t.{i.unit_id}, -1) = COALESCE(r.unit_id, -1) "
                f"AND t.{i.min_quantity} = r.min_quantity"
            )
            # Lists whose every price was skipped are in the snapshot all the same.
            scope += f" UNION SELECT DISTINCT t.{i.price_list_id} FROM {kept_rows}"
        lists = self.resolved_copy(resolved, "lists", scope)
        self.merge(
            ctx,
            TableMerge(
                model=PriceListItem,
                key=("price_list_id", "product_id", "unit_id", "min_quantity"),
                values=("price",),
                source=q(resolved),
                nullable=("unit_id",),
                delete_missing=True,
                scope=f"t.price_list_id IN (SELECT price_list_id FROM {q(lists)})",
                present=q(present),
                kept=q(self.kept) if self.kept else "",
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
        self.categories = ids_by_code(Category)
        self.brands = ids_by_code(Brand)

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
