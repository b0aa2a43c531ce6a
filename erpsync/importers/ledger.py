"""Account movements (cari hesap hareketleri): the lines of a dealer's statement, as the ERP booked them.

Set-based like the other large imports: records are checked in Python, staged, resolved to dealers in SQL and
merged on (connection, ERP id). A movement of an unknown customer, or in another currency than the dealer's
account, is refused with its reason. A complete feed (a full read of the ledger) also removes the movements the
ERP no longer holds for this connection; a partial one (files of changes, deltas) only adds and updates.
"""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import gettext as _

from b2bportal.sql import SqlNames
from dealers.models import AccountEntry, Dealer
from erpsync.adapters.base import ErpLedgerEntry
from erpsync.binders import bound_join
from erpsync.importers.bulk import TableMerge
from erpsync.importers.staged import RecordRejected, StagedImporter, execute, number, q, text
from erpsync.models import ValueMap

KINDS = frozenset(AccountEntry.Kind.values)
# The sign an entry of each kind must have (0: either); a credit memo that raises the debt is a wrong feed.
SIGNS = {"invoice": 1, "credit_memo": -1, "collection": -1, "refund": 1, "opening": 0, "adjustment": 0}
VALUES = (
    "dealer_id",
    "kind",
    "posted_on",
    "due_on",
    "document_number",
    "description",
    "currency",
    "amount",
    "open_amount",
)


class LedgerImporter(StagedImporter):
    entity = "ledger"
    digest_model = AccountEntry
    columns = {
        "erp_key": "varchar(255)",
        "customer": "varchar(255)",
        "kind": "varchar(16)",
        "posted_on": "date",
        "due_on": "date",
        "document_number": "varchar(64)",
        "description": "varchar(255)",
        "currency": "varchar(3)",
        "amount": "numeric(16,2)",
        "open_amount": "numeric(16,2)",
        "as_of": "timestamp with time zone",
    }

    def landed(self, ctx, stage) -> str:
        e = SqlNames(AccountEntry)
        return (
            f"SELECT r.erp_key, t.{e.id} AS row_id, NULL::timestamptz AS stamp FROM {q(self._resolved)} r "
            f"JOIN {e} t ON t.{e.connection_id} = {int(ctx.connection.pk)} AND t.{e.erp_id} = r.erp_key"
        )

    def key_of(self, record) -> str:
        return str(getattr(record, "entry_id", ""))[:255]

    def rows(self, ctx, record: ErpLedgerEntry) -> Iterator[tuple]:
        kind = (record.kind or "").strip().lower()
        if kind not in KINDS:
            raise RecordRejected(
                "unknown_kind",
                _("Movement kind %(kind)s is not one of %(kinds)s.")
                % {"kind": record.kind, "kinds": ", ".join(sorted(KINDS))},
            )
        amount = number(record.amount, "amount", places=2)
        if amount is None:
            raise RecordRejected("missing_value", _("%(field)s is empty.") % {"field": "amount"})
        sign = SIGNS[kind]
        if sign and amount * sign < 0:
            raise RecordRejected(
                "wrong_sign",
                _("A movement of kind %(kind)s cannot have the amount %(amount)s: check the sign.")
                % {"kind": kind, "amount": amount},
            )
        open_amount = number(record.open_amount, "open_amount", places=2)
        if open_amount is not None and (open_amount * amount < 0 or abs(open_amount) > abs(amount)):
            raise RecordRejected(
                "invalid_open_amount",
                _("The open amount %(open)s does not fit the movement's amount %(amount)s.")
                % {"open": open_amount, "amount": amount},
            )
        if record.posted_on is None:
            raise RecordRejected("missing_value", _("%(field)s is empty.") % {"field": "posted_on"})
        currency = ctx.map(ValueMap.Kind.CURRENCY, record.currency or "TRY")
        yield (
            text(record.entry_id, 128, "entry id", required=True),
            text(record.customer_code, 255, "customer", required=True),
            kind,
            record.posted_on,
            record.due_on,
            text(record.document_number, 64, "document"),
            text(record.description, 255, "description"),
            text(currency, 3, "currency", required=True),
            amount,
            open_amount,
            record.updated_at or ctx.now,
        )

    def land(self, ctx, stage) -> None:
        joins, dealer_id = bound_join(ctx.connection.pk, "customer", Dealer, "code", "s.customer", "d")
        d = SqlNames(Dealer)
        resolved = self.resolved_copy(
            stage,
            "r",
            f"SELECT s.*, {dealer_id} AS dealer_id, a.{d.currency} AS account_currency FROM {q(stage)} s {joins} "
            f"LEFT JOIN {d} a ON a.{d.id} = {dealer_id}",
        )
        self.reject_unresolved(
            ctx,
            resolved,
            "dealer_id IS NULL",
            "unknown_customer",
            _("%(key)s: the customer is not in the portal."),
        )
        self.reject_unresolved(
            ctx,
            resolved,
            "currency <> account_currency",
            "currency_mismatch",
            _("%(key)s: the movement is not in the currency of the dealer's account."),
        )
        self.merge(
            ctx,
            TableMerge(
                model=AccountEntry,
                key=("connection_id", "erp_id"),
                values=VALUES,
                source=f"(SELECT r.*, %(conn)s AS connection_id, r.erp_key AS erp_id FROM {q(resolved)} r)",
                on_update={"as_of": "%(now)s"},
                on_insert={"as_of": "%(now)s"},
                delete_missing=True,
                scope="t.connection_id = %(conn)s",
                # Every key the feed held, refused ones too: a movement the portal could not take is not withdrawn.
                present=f"(SELECT %(conn)s AS connection_id, erp_key AS erp_id FROM {q(stage)})",
                kept=q(self.kept) if self.kept else "",
                label=self.entity,
            ),
        )
        self._resolved = resolved
        if not ctx.dry_run:
            dealers = f"SELECT dealer_id FROM {q(resolved)}"
            if self.kept:  # the dealers of movements skipped as unchanged are as fresh
                e = SqlNames(AccountEntry)
                dealers += f" UNION SELECT t.{e.dealer_id} FROM {e} t JOIN {q(self.kept)} k ON k.row_id = t.{e.id}"
            execute(
                f"UPDATE {d} SET {d.ledger_as_of} = %(now)s, {d.updated_at} = %(now)s WHERE {d.id} IN ({dealers})",
                {"now": ctx.now},
            )
