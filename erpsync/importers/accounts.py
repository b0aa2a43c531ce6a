"""Importers for customer accounts (dealers with addresses, terms, price list, sales rep), balances and credit.

Customers are matched by the binder, then by code, then by tax number among head accounts: never by name. A
customer matched by tax number under another code is bound (``ExternalRef``) so the next import finds it again.
Changes to the figures money depends on (price list, status, credit limit, hold) leave a ``DealerChange`` row
with source "ERP sync".
"""

from __future__ import annotations

from collections.abc import Iterator

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from b2bportal.sql import SqlNames
from catalog.models import PriceList
from dealers.audit import dealer_changes_record_sql
from dealers.models import Dealer, DealerAddress, DealerChange, DealerIban, PaymentTerms, SalesRep
from dealers.validators import normalize_iban, normalize_tax_number, validate_iban, validate_tax_number
from erpsync.adapters.base import ErpBalance, ErpCredit, ErpCustomer
from erpsync.binders import bind_missing, bound_join
from erpsync.importers.bulk import RowSpool, TableMerge
from erpsync.importers.staged import (
    STAFF_HOLD,
    ZERO,
    RecordRejected,
    StagedImporter,
    execute,
    fetchall,
    number,
    q,
    text,
)
from erpsync.models import ValueMap


def _audit(ctx, resolved: str, field: str, new: str | None = None) -> None:
    """One ``DealerChange`` per dealer whose ``field`` the merge is about to change (``new``: the SQL of the
    value it will write, over the staged row ``s`` and the dealer ``t``)."""
    if ctx.dry_run:
        return
    dealer_changes_record_sql(
        field=field,
        rows=q(resolved),
        new=new,
        source=DealerChange.Source.ERP,
        reason=_("Imported from the ERP."),
        now=ctx.now,
    )


class CustomerImporter(StagedImporter):
    """Dealers with their addresses. A customer without a valid tax number (VKN or TCKN) is refused and, when
    the portal knows it, quarantined. Payment terms and sales reps the portal does not know are created from the
    codes the ERP sends. Customers missing from a full snapshot become inactive; their users can no longer order."""

    entity = "customer"
    held_model, held_key = Dealer, "code"
    digest_model = Dealer
    columns = {
        "erp_key": "varchar(255)",
        "title": "varchar(255)",
        "tax_number": "varchar(11)",
        "tax_office": "varchar(100)",
        "email": "varchar(254)",
        "phone": "varchar(40)",
        "currency": "varchar(3)",
        "price_list_code": "varchar(40)",
        "terms_code": "varchar(40)",
        "terms_days": "integer",
        "rep_code": "varchar(40)",
        "rep_name": "varchar(150)",
        "parent_code": "varchar(255)",
        "status": "varchar(16)",
        "status_reason": "varchar(255)",
    }
    address_columns = {
        "erp_key": "varchar(255)",
        "code": "varchar(40)",
        "kind": "varchar(16)",
        "name": "varchar(150)",
        "line1": "varchar(255)",
        "line2": "varchar(255)",
        "district": "varchar(100)",
        "city": "varchar(100)",
        "postal_code": "varchar(20)",
        "country": "varchar(2)",
        "phone": "varchar(40)",
        "is_default": "boolean",
    }

    def before(self, ctx) -> None:
        self.addresses = RowSpool()
        self.ibans = RowSpool()
        self._parts: list[str] = []

    def digest_context(self, ctx):
        return sorted(PriceList.objects.values_list("code", "id"))

    def landed(self, ctx, stage) -> str:
        d = SqlNames(Dealer)
        parts = " UNION ALL ".join(f"SELECT erp_key, id FROM {q(part)}" for part in self._parts)
        return (
            f"SELECT l.erp_key, COALESCE(l.id, d.{d.id}) AS row_id, NULL::timestamptz AS stamp FROM ({parts}) l "
            f"LEFT JOIN {d} d ON l.id IS NULL AND d.{d.code} = l.erp_key"
        )

    def rows(self, ctx, record: ErpCustomer) -> Iterator[tuple]:
        code = text(record.code, 40, "code", required=True)
        tax_number = normalize_tax_number(record.tax_number or "")
        if not tax_number:
            raise RecordRejected("missing_tax_number", _("The customer has no tax number (VKN or TCKN)."))
        try:
            validate_tax_number(tax_number)
        except ValidationError as exc:
            raise RecordRejected("invalid_tax_number", " ".join(exc.messages)) from None
        currency = ctx.map(ValueMap.Kind.CURRENCY, record.currency or "TRY")
        if currency not in settings.B2B_CURRENCIES:
            raise RecordRejected("unknown_currency", _("Unknown currency %(c)s.") % {"c": record.currency})
        days = record.payment_terms_days
        if days is not None and not 0 <= int(days) <= 3650:
            raise RecordRejected("invalid_terms", _("Payment terms of %(days)s days.") % {"days": days})
        addresses, defaults = [], set()
        for index, address in enumerate(record.addresses, start=1):
            kind = address.kind if address.kind in ("shipping", "billing") else None
            if kind is None:
                raise RecordRejected("invalid_address", _("Unknown address kind %(k)s.") % {"k": address.kind})
            if address.is_default:
                if kind in defaults:
                    raise RecordRejected("invalid_address", _("Two default %(k)s addresses.") % {"k": kind})
                defaults.add(kind)
            addresses.append(
                (
                    code,
                    text(address.code or f"ERP-{index}", 40, "address code"),
                    kind,
                    text(address.name or record.title, 150, "address name"),
                    text(address.line1, 255, "address line", required=True),
                    text(address.line2, 255, "address line 2"),
                    text(address.district, 100, "district"),
                    text(address.city, 100, "city", required=True),
                    text(address.postal_code, 20, "postal code"),
                    text(address.country or "TR", 2, "country").upper(),
                    text(address.phone, 40, "phone"),
                    bool(address.is_default),
                )
            )
        if len({a[1] for a in addresses}) != len(addresses):
            raise RecordRejected("invalid_address", _("Two addresses with the same code."))
        row = (
            code,
            text(record.title, 255, "title", required=True),
            tax_number,
            text(record.tax_office, 100, "tax office"),
            text(record.email, 254, "e-mail"),
            text(record.phone, 40, "phone"),
            currency,
            text(record.price_list_code, 40, "price list"),
            text(record.payment_terms_code, 40, "payment terms"),
            days,
            text(record.sales_rep_code, 40, "sales rep"),
            text(record.sales_rep_name, 150, "sales rep name"),
            text(record.parent_code, 40, "parent"),
            "active" if record.active else "inactive",
            "" if record.active else _("Passive in the ERP."),
        )
        self.addresses.extend(addresses)
        for given in record.ibans:
            number = normalize_iban(given or "")
            try:
                validate_iban(number)
            except ValidationError:
                # The dealer still comes in; the account number waits, visible, for the ERP to be corrected.
                ctx.reject(key=code, code="invalid_iban", message=_("Customer %(key)s: %(iban)s is not a valid IBAN.")
                           % {"key": code, "iban": given}, payload={"iban": given})  # fmt: skip
                continue
            self.ibans.append((code, number))
        yield row

    def land(self, ctx, stage) -> None:
        self.hold_refused(ctx)
        conn = int(ctx.connection.pk)
        joins, bound = bound_join(conn, "customer", Dealer, "code", "s.erp_key", "d")
        d, pl = SqlNames(Dealer), SqlNames(PriceList)
        # A head account may be known under another code: matched by tax number. A branch shares its head's tax
        # number, so it is matched by code (or the binder) only.
        resolved = self.resolved_copy(
            stage,
            "r",
            f"SELECT s.*, COALESCE({bound}, (SELECT t.{d.id} FROM {d} t WHERE s.parent_code = '' "
            f"AND t.{d.tax_number} = s.tax_number AND t.{d.parent_id} IS NULL)) AS id, l.{pl.id} AS price_list_id "
            f"FROM {q(stage)} s {joins} LEFT JOIN {pl} l ON l.{pl.code} = s.price_list_code",
        )
        # Before anything is set aside: a dealer whose record was refused is still in the ERP's list.
        self._deactivate_missing(ctx, resolved)
        self.reject_unresolved(
            ctx,
            resolved,
            "price_list_code <> '' AND price_list_id IS NULL",
            "unknown_price_list",
            _("Customer %(key)s: the price list is not in the portal."),
            hold=True,
        )
        # Two ERP accounts landing on one dealer (same tax number, both heads) cannot both be right.
        self.drop_duplicates(ctx, resolved, "id", "duplicate_tax_number")
        if self.kept:
            self.read_again_if_kept(f"SELECT 1 FROM {q(resolved)} r JOIN {q(self.kept)} k ON k.row_id = r.id")
            # Payment terms take the longest term the feed gives their code: one that would shorten needs the
            # terms of the customers skipped as unchanged too.
            pt = SqlNames(PaymentTerms)
            self.read_again_if_kept(
                f"SELECT 1 FROM {pt} pt JOIN (SELECT terms_code, MAX(terms_days) AS days FROM {q(resolved)} "
                f"GROUP BY terms_code) s ON s.terms_code = pt.{pt.code} WHERE s.days < pt.{pt.days} AND EXISTS "
                f"(SELECT 1 FROM {d} t JOIN {q(self.kept)} k ON k.row_id = t.{d.id} "
                f"WHERE t.{d.payment_terms_id} = pt.{pt.id})"
            )
        heads = (
            f"(SELECT tax_number FROM {q(resolved)} WHERE parent_code = '' AND id IS NULL "
            f"GROUP BY tax_number HAVING count(*) > 1)"
        )
        self.reject_unresolved(
            ctx,
            resolved,
            f"parent_code = '' AND id IS NULL AND tax_number IN {heads}",
            "duplicate_tax_number",
            _("Customer %(key)s shares its tax number with another new account."),
        )
        if not ctx.dry_run:
            self._reference_data(ctx, resolved)
        # Heads first, then branches: a new branch is inserted with its parent set, as the one-head-per-tax-number
        # rule needs, and its parent may be new in this very feed.
        for part, condition in (("h", "s.parent_code = ''"), ("b", "s.parent_code <> ''")):
            self._land_part(ctx, resolved, part, condition)
        if ctx.dry_run:
            return
        self._bind(ctx, resolved)
        self._land_addresses(ctx, resolved)
        self._land_ibans(ctx, resolved)

    def _land_part(self, ctx, resolved: str, part: str, condition: str) -> None:
        conn = int(ctx.connection.pk)
        pt, sr = SqlNames(PaymentTerms), SqlNames(SalesRep)
        terms = f"(SELECT pt.{pt.id} FROM {pt} pt WHERE pt.{pt.code} = s.terms_code)"
        rep = f"(SELECT sr.{sr.id} FROM {sr} sr WHERE sr.{sr.code} = s.rep_code)"
        joins, parent = bound_join(conn, "customer", Dealer, "code", "s.parent_code", "pa")
        landed = self.resolved_copy(
            resolved,
            part,
            f"SELECT s.id, s.erp_key, s.title, s.tax_number, s.tax_office, s.email, s.phone, s.currency, "
            f"s.price_list_id, {terms} AS payment_terms_id, {rep} AS sales_rep_id, s.status, s.status_reason, "
            f"CASE WHEN s.parent_code = '' THEN NULL ELSE {parent} END AS parent_id, s.parent_code "
            f"FROM {q(resolved)} s {joins} WHERE {condition}",
        )
        self._parts.append(landed)
        unknown = "parent_code <> '' AND parent_id IS NULL"
        if ctx.dry_run:  # a head new in this feed was not inserted: it is known all the same
            unknown += f" AND parent_code NOT IN (SELECT erp_key FROM {q(resolved)})"
        self.reject_unresolved(
            ctx,
            landed,
            unknown,
            "unknown_parent",
            _("Customer %(key)s names a head account the portal does not know."),
        )
        _audit(ctx, landed, "price_list")
        _audit(ctx, landed, "parent")
        # The status the merge will write: a staff hold stays.
        _audit(ctx, landed, "status", f"CASE WHEN {STAFF_HOLD} THEN t.status ELSE s.status END")
        self.merge(
            ctx,
            TableMerge(
                model=Dealer,
                key=("id",),
                values=(
                    "title",
                    "tax_number",
                    "tax_office",
                    "email",
                    "phone",
                    "currency",
                    "price_list_id",
                    "payment_terms_id",
                    "sales_rep_id",
                    "parent_id",
                    "status",
                    "status_reason",
                ),
                source=q(landed),
                on_insert={
                    "code": "s.erp_key",
                    "credit_limit": "0",
                    "erp_balance": "0",
                    "erp_open_orders": "0",
                    "credit_hold": "FALSE",
                    "credit_hold_reason": "''",
                    "requires_manual_review": "FALSE",
                    "po_number_required": "FALSE",
                    "created_at": "%(now)s",
                    "updated_at": "%(now)s",
                },
                on_update={"updated_at": "%(now)s"},
                preserve={"status": STAFF_HOLD, "status_reason": STAFF_HOLD},
                label="customer",
            ),
        )

    def _deactivate_missing(self, ctx, resolved: str) -> None:
        """Dealers a full snapshot no longer holds become inactive (their users can no longer order); held ones
        stay as they are."""
        if not ctx.feed.complete:
            return
        d = SqlNames(Dealer)
        missing = (
            f"FROM {d} t WHERE t.{d.status} = 'active' AND t.{d.id} NOT IN "
            f"(SELECT id FROM {q(resolved)} WHERE id IS NOT NULL)"
        )
        if self.kept:  # customers skipped as unchanged are in the list
            missing += f" AND NOT EXISTS (SELECT 1 FROM {q(self.kept)} k WHERE k.row_id = t.{d.id})"
        if ctx.dry_run:
            ctx.counts.deactivated += fetchall(f"SELECT count(*) {missing}")[0][0]
            return
        ctx.counts.deactivated += execute(
            f"UPDATE {d} SET {d.status} = 'inactive', {d.status_reason} = %(gone)s, {d.updated_at} = %(now)s "
            f"WHERE {d.id} IN (SELECT t.{d.id} {missing})",
            {"gone": _("Not in the ERP's customer list any more.")[:255], "now": ctx.now},
        )

    def _reference_data(self, ctx, resolved) -> None:
        pt, sr = SqlNames(PaymentTerms), SqlNames(SalesRep)
        execute(
            f"INSERT INTO {pt} ({pt.code}, {pt.name}, {pt.days}, {pt.created_at}, {pt.updated_at}) "
            f"SELECT terms_code, terms_code, COALESCE(MAX(terms_days), 0), %(now)s, %(now)s FROM {q(resolved)} "
            f"WHERE terms_code <> '' AND terms_code NOT IN (SELECT {pt.code} FROM {pt}) GROUP BY terms_code",
            {"now": ctx.now},
        )
        execute(
            f"UPDATE {pt} SET {pt.days} = (SELECT MAX(s.terms_days) FROM {q(resolved)} s "
            f"WHERE s.terms_code = {pt}.{pt.code}), {pt.updated_at} = %(now)s WHERE {pt.code} IN "
            f"(SELECT terms_code FROM {q(resolved)} WHERE terms_days IS NOT NULL) "
            f"AND {pt.days} <> (SELECT MAX(s.terms_days) FROM {q(resolved)} s "
            f"WHERE s.terms_code = {pt}.{pt.code})",
            {"now": ctx.now},
        )
        execute(
            f"INSERT INTO {sr} ({sr.code}, {sr.name}, {sr.email}, {sr.is_active}, {sr.created_at}, {sr.updated_at}) "
            f"SELECT rep_code, COALESCE(NULLIF(MAX(rep_name), ''), rep_code), '', TRUE, %(now)s, %(now)s "
            f"FROM {q(resolved)} WHERE rep_code <> '' AND rep_code NOT IN (SELECT {sr.code} FROM {sr}) "
            f"GROUP BY rep_code",
            {"now": ctx.now},
        )

    def _bind(self, ctx, resolved) -> None:
        # Matched by tax number under another code: remember the binding (unless either side is bound already).
        d = SqlNames(Dealer)
        bind_missing(
            int(ctx.connection.pk),
            "customer",
            f"SELECT d.{d.id} AS local_id, s.erp_key AS external_id FROM {q(resolved)} s JOIN {d} d "
            f"ON d.{d.id} = s.id WHERE d.{d.code} <> s.erp_key",
            {"now": ctx.now},
        )

    def _land_addresses(self, ctx, resolved) -> None:
        stage = ctx.staging("customer_address", self.address_columns)
        stage.write(self.addresses.rows())
        d, a = SqlNames(Dealer), SqlNames(DealerAddress)
        source = self.resolved_copy(
            stage.name,
            "r",
            f"SELECT d.{d.id} AS dealer_id, a.* FROM {q(stage.name)} a JOIN {q(resolved)} s ON s.erp_key = a.erp_key "
            f"JOIN {d} d ON d.{d.id} = s.id OR (s.id IS NULL AND d.{d.code} = s.erp_key)",
        )
        # One default per dealer and kind: clear the defaults that move before setting the new ones.
        execute(
            f"UPDATE {a} SET {a.is_default} = FALSE WHERE {a.is_default} AND {a.dealer_id} IN "
            f"(SELECT dealer_id FROM {q(source)}) AND NOT EXISTS (SELECT 1 FROM {q(source)} s WHERE "
            f"s.dealer_id = {a}.{a.dealer_id} AND s.code = {a}.{a.code} AND s.is_default)"
        )
        self.merge(
            ctx,
            TableMerge(
                model=DealerAddress,
                key=("dealer_id", "code"),
                values=(
                    "kind",
                    "name",
                    "line1",
                    "line2",
                    "district",
                    "city",
                    "postal_code",
                    "country",
                    "phone",
                    "is_default",
                ),
                source=q(source),
                on_insert={"is_active": "TRUE", "created_at": "%(now)s", "updated_at": "%(now)s"},
                on_update={"is_active": "TRUE", "updated_at": "%(now)s"},
                deactivate="is_active = FALSE, is_default = FALSE, updated_at = %(now)s",
                deactivated_when="t.is_active = FALSE",
                scope=f"t.code <> '' AND t.dealer_id IN (SELECT dealer_id FROM {q(source)})",
                label="address",
            ),
            counted=False,
        )
        stage.drop()

    def _land_ibans(self, ctx, resolved) -> None:
        """IBANs the ERP gives a customer become the dealer's (source ERP) for bank matching. An IBAN the portal
        already knows, for this or another dealer (staff's or learned from a match), is left as it is."""
        stage = ctx.staging("customer_iban", {"erp_key": "varchar(255)", "iban": "varchar(34)"})
        stage.write(self.ibans.rows())
        execute(_land_ibans_sql(stage.name, resolved), {"now": ctx.now})
        stage.drop()


def _land_ibans_sql(stage: str, resolved: str) -> str:
    d, i = SqlNames(Dealer), SqlNames(DealerIban)
    return (
        f"INSERT INTO {i} ({i.dealer_id}, {i.iban}, {i.bank_name}, {i.source}, {i.created_at}, {i.updated_at}) "
        f"SELECT DISTINCT d.{d.id}, a.iban, '', 'erp', %(now)s, %(now)s FROM {q(stage)} a "
        f"JOIN {q(resolved)} s ON s.erp_key = a.erp_key "
        f"JOIN {d} d ON d.{d.id} = s.id OR (s.id IS NULL AND d.{d.code} = s.erp_key) "
        f"WHERE NOT EXISTS (SELECT 1 FROM {i} x WHERE x.{i.iban} = a.iban)"
    )


class _DealerFigures(StagedImporter):
    """Balance and credit rows: figures on an existing dealer, never a new dealer."""

    def key_of(self, record) -> str:
        return str(record.customer_code)[:255]

    def land_figures(self, ctx, stage, values, audited=(), keep_when_null=None) -> None:
        joins, dealer_id = bound_join(ctx.connection.pk, "customer", Dealer, "code", "s.erp_key", "d")
        resolved = self.resolved_copy(stage, "r", f"SELECT s.*, {dealer_id} AS id FROM {q(stage)} s {joins}")
        self.reject_unresolved(
            ctx, resolved, "id IS NULL", "unknown_customer", _("%(key)s: the customer is not in the portal.")
        )
        self.drop_duplicates(ctx, resolved, "id", "duplicate_code")
        for field in audited:
            _audit(ctx, resolved, field)
        self.merge(
            ctx,
            TableMerge(
                model=Dealer,
                key=("id",),
                values=values,
                source=q(resolved),
                on_update={"updated_at": "%(now)s"},
                keep_when_null=keep_when_null or {},
                label=self.entity,
            ),
        )


class BalanceImporter(_DealerFigures):
    entity = "balance"
    columns = {
        "erp_key": "varchar(255)",
        "erp_balance": "numeric(16,2)",
        "erp_balance_as_of": "timestamp with time zone",
        "erp_open_orders": "numeric(16,2)",
        "erp_open_orders_as_of": "timestamp with time zone",
    }

    def rows(self, ctx, record: ErpBalance) -> Iterator[tuple]:
        as_of = record.as_of or ctx.now
        open_orders = number(record.open_orders, "open_orders", minimum=ZERO, places=2)
        yield (
            record.customer_code,
            number(record.balance, "balance", places=2),
            as_of,
            open_orders,
            as_of if open_orders is not None else None,
        )

    def land(self, ctx, stage) -> None:
        self.land_figures(
            ctx,
            stage,
            ("erp_balance", "erp_balance_as_of", "erp_open_orders", "erp_open_orders_as_of"),
            keep_when_null={"erp_open_orders": "0", "erp_open_orders_as_of": "NULL"},
        )


class CreditImporter(_DealerFigures):
    """Credit limits and holds: the ERP's figures overwrite the portal's, each change audited. Staff who need a
    different limit change it in the ERP (the portal would lose the edit at the next import)."""

    entity = "credit"
    columns = {
        "erp_key": "varchar(255)",
        "credit_limit": "numeric(16,2)",
        "credit_limit_as_of": "timestamp with time zone",
        "credit_hold": "boolean",
        "credit_hold_reason": "varchar(255)",
        "credit_hold_as_of": "timestamp with time zone",
    }

    def rows(self, ctx, record: ErpCredit) -> Iterator[tuple]:
        as_of = record.as_of or ctx.now
        yield (
            record.customer_code,
            number(record.credit_limit, "credit_limit", minimum=ZERO, places=2),
            as_of,
            bool(record.hold),
            text(record.hold_reason, 255, "hold reason"),
            as_of,
        )

    def land(self, ctx, stage) -> None:
        self.land_figures(
            ctx,
            stage,
            ("credit_limit", "credit_limit_as_of", "credit_hold", "credit_hold_reason", "credit_hold_as_of"),
            audited=("credit_limit", "credit_hold"),
        )
