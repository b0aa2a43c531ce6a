"""What the Logo adapter reads, all through ``queries?tsql=`` over Logo's tables (the columns are Logo's documented
schema; the REST resources' JSON field names for reading are not): units, items with their units and barcodes,
warehouses, stock per warehouse, price cards (lists and customer prices), customers with their shipment locations,
balances, credit limits and holds, order statuses, dispatches, invoices and the customer ledger.

Every statement is one SELECT built here from the connection's firm and period numbers; values from outside
(references, codes) go in as quoted literals (``sql_text``). Statements keep to what T-SQL and SQLite both run.

Deltas: ``CAPIBLOCK_MODIFIEDDATE`` (or ``CAPIBLOCK_CREADEDDATE`` for rows never modified) from the day of ``since``,
then the time in the HOUR/MIN/SEC columns decides; the engine's overlap (``delta_overlap_seconds``) is taken off
``since`` before it gets here. Documents and the ledger are read from ``since`` (or ``lookback_days`` back) by date.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from erpsync.adapters.base import (
    DocumentKind,
    ErpBalance,
    ErpBrand,
    ErpCategory,
    ErpCredit,
    ErpOrderStatus,
    ErpStock,
    ErpWarehouse,
    Feed,
)
from erpsync.adapters.http import text as _text
from erpsync.adapters.logo.mapping import (
    agreement_record,
    as_decimal,
    currency,
    customer_record,
    document_record,
    ledger_record,
    order_state,
    price_list_code,
    price_list_record,
    price_record,
    product_record,
    stamp,
    unit_record,
)
from erpsync.adapters.logo.session import sql_text

ENTITIES = (
    "unit",
    "category",
    "brand",
    "product",
    "warehouse",
    "stock",
    "price_list",
    "price",
    "agreement",
    "customer",
    "balance",
    "credit",
    "order_status",
    "delivery",
    "invoice",
    "ledger",
)
DELTA_ENTITIES = frozenset({"product", "customer", "price", "agreement", "order_status"})
WINDOW_ENTITIES = frozenset({"delivery", "invoice", "ledger"})
AUDIT_COLUMNS = (
    "{a}.CAPIBLOCK_CREADEDDATE, {a}.CAPIBLOCK_CREATEDHOUR, {a}.CAPIBLOCK_CREATEDMIN, {a}.CAPIBLOCK_CREATEDSEC, "
    "{a}.CAPIBLOCK_MODIFIEDDATE, {a}.CAPIBLOCK_MODIFIEDHOUR, {a}.CAPIBLOCK_MODIFIEDMIN, {a}.CAPIBLOCK_MODIFIEDSEC"
)


def audit(alias: str) -> str:
    return AUDIT_COLUMNS.format(a=alias)


class LogoReads:
    """The reading half of ``LogoAdapter``."""

    # -- names ------------------------------------------------------------------------------------------------------

    def t(self, name: str) -> str:
        return f"LG_{self.firm:03d}_{name}"

    def p(self, name: str, period: int | None = None) -> str:
        return f"LG_{self.firm:03d}_{period or self.period:02d}_{name}"

    def _since_clause(self, alias: str, since: datetime | None) -> str:
        if since is None:
            return ""
        day = since.astimezone(self.zone).date().isoformat()
        return (
            f" AND ({alias}.CAPIBLOCK_MODIFIEDDATE >= '{day}' OR ({alias}.CAPIBLOCK_MODIFIEDDATE IS NULL AND "
            f"{alias}.CAPIBLOCK_CREADEDDATE >= '{day}'))"
        )

    def _changed(self, rows: Iterator[dict[str, Any]], since: datetime | None) -> Iterator[dict[str, Any]]:
        if since is None:
            yield from rows
            return
        for row in rows:
            when = stamp(row, self.zone)
            if when is None or when >= since:
                yield row

    # -- feeds ------------------------------------------------------------------------------------------------------

    def read(self, entity: str, *, since: datetime | None = None, full: bool = False) -> Iterator[Feed]:
        self.refuse_unreadable(entity, self.entities, who="Logo")
        return self._read(entity, since=since, full=full)

    def _read(self, entity: str, *, since: datetime | None, full: bool) -> Iterator[Feed]:
        started = datetime.now(UTC)
        scope = {"firm": self.firm, "period": self.period}
        source = f"logo:{self.firm}:{self.period}:{entity}"
        if entity in WINDOW_ENTITIES:
            start = since if since is not None and not full else started - timedelta(days=self.lookback_days)
            records = list(getattr(self, f"_read_{entity}")(start))
            yield Feed(entity, f"{source}?since={start.date().isoformat()}", records, watermark=started, scope=scope)
            return
        delta = since if entity in DELTA_ENTITIES and since is not None and not full else None
        records = list(getattr(self, f"_read_{entity}")(delta))
        yield Feed(entity, source, records, complete=delta is None, watermark=started, scope=scope)

    # -- master data ------------------------------------------------------------------------------------------------

    def _read_unit(self, _since: datetime | None) -> list[Any]:
        rows = self.keyset(
            f"SELECT L.LOGICALREF AS K, L.CODE, L.NAME FROM {self.t('UNITSETL')} L WHERE L.LOGICALREF > {{after}} "
            "ORDER BY L.LOGICALREF"
        )
        found: dict[str, Any] = {}
        for row in rows:
            code = _text(row["CODE"]).strip()
            if code and code not in found:
                found[code] = unit_record(row)
        return list(found.values())

    def _read_category(self, _since: datetime | None) -> list[Any]:
        """Logo keeps no category tree for the portal: each item group code (``STGRPCODE``) is a category."""
        rows = self.query(
            f"SELECT STGRPCODE AS CODE FROM {self.t('ITEMS')} WHERE STGRPCODE IS NOT NULL AND STGRPCODE <> '' "
            "GROUP BY STGRPCODE ORDER BY STGRPCODE"
        )
        return [ErpCategory(_text(row["CODE"]).strip(), _text(row["CODE"]).strip()) for row in rows]

    def _read_brand(self, _since: datetime | None) -> list[Any]:
        rows = self.keyset(
            f"SELECT M.LOGICALREF AS K, M.CODE, M.DESCR FROM {self.t('MARK')} M WHERE M.LOGICALREF > {{after}} "
            "ORDER BY M.LOGICALREF"
        )
        return [
            ErpBrand(_text(row["CODE"]).strip(), _text(row["DESCR"]).strip() or _text(row["CODE"]).strip())
            for row in rows
        ]

    def _read_product(self, since: datetime | None) -> Iterator[Any]:
        items = list(
            self._changed(
                self.keyset(
                    f"SELECT I.LOGICALREF AS K, I.CODE, I.NAME, I.NAME3, I.ACTIVE, I.CARDTYPE, I.STGRPCODE, I.VAT, "
                    f"I.SELLVAT, I.TRACKTYPE, M.CODE AS MARKCODE, {audit('I')} FROM {self.t('ITEMS')} I "
                    f"LEFT JOIN {self.t('MARK')} M ON M.LOGICALREF = I.MARKREF "
                    f"WHERE I.LOGICALREF > {{after}}{self._since_clause('I', since)} ORDER BY I.LOGICALREF"
                ),
                since,
            )
        )
        units: dict[int, list[dict[str, Any]]] = defaultdict(list)
        if items:
            for row in self.keyset(
                f"SELECT A.ITEMREF AS K, A.LINENR, A.BARCODE, A.SALESCLAS, L.CODE AS UNITCODE, L.MAINUNIT, "
                f"L.CONVFACT1, L.CONVFACT2 FROM {self.t('ITMUNITA')} A JOIN {self.t('UNITSETL')} L "
                "ON L.LOGICALREF = A.UNITLINEREF WHERE A.ITEMREF > {after} ORDER BY A.ITEMREF"
            ):
                units[int(row["K"])].append(row)
        return (
            product_record(row, units.get(int(row["K"]), []), sold_types=self.sold_types, zone=self.zone)
            for row in items
        )

    def _read_warehouse(self, _since: datetime | None) -> list[Any]:
        rows = self.query(f"SELECT NR, NAME FROM L_CAPIWHOUSE WHERE FIRMNR = {self.firm} ORDER BY NR")
        return [
            ErpWarehouse(
                str(row["NR"]), _text(row["NAME"]).strip(), sellable=str(row["NR"]) not in self.unsellable_warehouses
            )
            for row in rows
        ]

    def _stock_sql(self, codes: str = "") -> str:
        table = self.p(self.stock_table)
        where = f" AND I.CODE IN ({codes})" if codes else ""
        return (
            f"SELECT S.STOCKREF AS K, I.CODE, S.INVENNO, SUM(S.ONHAND) AS ONHAND, SUM(S.RESERVED) AS RESERVED, "
            f"SUM(S.ACTSORDER) AS ACTSORDER FROM {table} S JOIN {self.t('ITEMS')} I ON I.LOGICALREF = S.STOCKREF "
            f"WHERE S.INVENNO >= 0 AND S.STOCKREF > {{after}}{where} GROUP BY S.STOCKREF, I.CODE, S.INVENNO "
            "ORDER BY S.STOCKREF, S.INVENNO"
        )

    def _stock_record(self, row: dict[str, Any]) -> ErpStock:
        reserved = as_decimal(row.get("RESERVED")) or Decimal(0)
        orders = as_decimal(row.get("ACTSORDER")) or Decimal(0)
        committed = {
            "reserved_and_orders": reserved + orders,
            "reserved": reserved,
            "orders": orders,
            "none": Decimal(0),
        }[self.committed]
        return ErpStock(
            _text(row["CODE"]).strip(),
            str(row["INVENNO"]),
            as_decimal(row.get("ONHAND")) or Decimal(0),
            as_decimal(committed) or Decimal(0),
        )

    def _read_stock(self, _since: datetime | None) -> Iterator[Any]:
        return (self._stock_record(row) for row in self.keyset(self._stock_sql()))

    def _price_rows(self, since: datetime | None, *, customers: bool) -> list[dict[str, Any]]:
        today = datetime.now(self.zone).date().isoformat()
        who = "P.CLIENTCODE IS NOT NULL AND P.CLIENTCODE <> ''" if customers else "COALESCE(P.CLIENTCODE, '') = ''"
        validity = (
            ""
            if customers
            else f" AND (P.BEGDATE IS NULL OR P.BEGDATE <= '{today} 23:59:59') AND "
            f"(P.ENDDATE IS NULL OR P.ENDDATE >= '{today}')"
        )
        rows = self.keyset(
            f"SELECT P.LOGICALREF AS K, P.CODE, P.DEFINITION_, P.CLIENTCODE, P.PRICE, P.INCVAT, P.CURRENCY, "
            f"P.PRIORITY, P.BEGDATE, P.ENDDATE, I.CODE AS ITEMCODE, U.CODE AS UNITCODE, U.MAINUNIT, {audit('P')} "
            f"FROM {self.t('PRCLIST')} P JOIN {self.t('ITEMS')} I ON I.LOGICALREF = P.CARDREF "
            f"LEFT JOIN {self.t('UNITSETL')} U ON U.LOGICALREF = P.UOMREF "
            f"WHERE P.PTYPE = 2 AND P.ACTIVE = 0 AND {who}{validity} AND P.LOGICALREF > {{after}}"
            f"{self._since_clause('P', since)} ORDER BY P.LOGICALREF"
        )
        return list(self._changed(rows, since))

    def _list_of(self, row: dict[str, Any]) -> tuple[str, str, bool]:
        code = currency(row.get("CURRENCY"), self.currencies)
        vat_included = bool(int(row.get("INCVAT") or 0))
        return price_list_code(code, vat_included), code, vat_included

    def _read_price_list(self, _since: datetime | None) -> list[Any]:
        lists = {self._list_of(row) for row in self._price_rows(None, customers=False)}
        return [price_list_record(*found) for found in sorted(lists)]

    def _read_price(self, since: datetime | None) -> list[Any]:
        """One price per list, item and unit: of several valid cards the one ``price_priority`` puts first."""
        best: dict[tuple[str, str, str], tuple[tuple[int, int], Any]] = {}
        sign = 1 if self.price_priority == "lowest_first" else -1
        for row in self._price_rows(since, customers=False):
            record = price_record(row, self._list_of(row)[0])
            rank = (sign * int(row.get("PRIORITY") or 0), -int(row["K"]))
            key = (record.price_list_code, record.product_code, record.unit)
            if key not in best or rank < best[key][0]:
                best[key] = (rank, record)
        return [record for _rank, record in best.values()]

    def _read_agreement(self, since: datetime | None) -> list[Any]:
        return [
            agreement_record(row, currency(row.get("CURRENCY"), self.currencies))
            for row in self._price_rows(since, customers=True)
        ]

    def _customer_sql(self, since: datetime | None) -> str:
        return (
            f"SELECT C.LOGICALREF AS K, C.CODE, C.DEFINITION_, C.ACTIVE, C.TAXNR, C.TCKNO, C.TAXOFFICE, C.ADDR1, "
            f"C.ADDR2, C.CITY, C.TOWN, C.POSTCODE, C.TELNRS1, C.EMAILADDR, C.CCURRENCY, C.BLOCKED, "
            f"Y.CODE AS PAYPLANCODE, {self._salesman_columns('C')}, {audit('C')} FROM {self.t('CLCARD')} C "
            f"LEFT JOIN {self.t('PAYPLANS')} Y ON Y.LOGICALREF = C.PAYMENTREF "
            f"WHERE C.CARDTYPE IN (1, 3) AND C.LOGICALREF > {{after}}{self._since_clause('C', since)} "
            "ORDER BY C.LOGICALREF"
        )

    def _salesman_columns(self, card: str) -> str:
        """The customer's sales representative (``LG_SLSMAN`` through ``LG_<firm>_SLSCLREL``; the lowest code when
        several look after it) as SLSMANCODE and SLSMANNAME, in SQL both T-SQL and SQLite run."""
        rep_code = (
            f"(SELECT MIN(S.CODE) FROM LG_SLSMAN S JOIN {self.t('SLSCLREL')} R ON R.SALESMANREF = S.LOGICALREF "
            f"WHERE R.CLIENTREF = {card}.LOGICALREF AND S.FIRMNR = {self.firm} AND S.ACTIVE = 0)"
        )
        rep_name = f"(SELECT MIN(N.DEFINITION_) FROM LG_SLSMAN N WHERE N.FIRMNR = {self.firm} AND N.CODE = {rep_code})"
        return f"{rep_code} AS SLSMANCODE, {rep_name} AS SLSMANNAME"

    def _read_customer(self, since: datetime | None) -> Iterator[Any]:
        rows = list(self._changed(self.keyset(self._customer_sql(since)), since))
        locations: dict[int, list[dict[str, Any]]] = defaultdict(list)
        if rows:
            for row in self.keyset(
                f"SELECT S.CLIENTREF AS K, S.CODE, S.NAME, S.ADDR1, S.ADDR2, S.CITY, S.TOWN, S.POSTCODE, S.TELNRS1 "
                f"FROM {self.t('SHIPINFO')} S WHERE S.ACTIVE = 0 AND S.CLIENTREF > {{after}} "
                "ORDER BY S.CLIENTREF, S.LOGICALREF"
            ):
                locations[int(row["K"])].append(row)
        return (
            customer_record(row, locations.get(int(row["K"]), []), currencies=self.currencies, zone=self.zone)
            for row in rows
        )

    def _balance_sql(self, where: str = "") -> str:
        card = self.t("CLCARD")
        if self.balance_source == "GNTOTCL":
            return (
                f"SELECT T.CARDREF AS K, C.CODE, SUM(T.DEBIT - T.CREDIT) AS BALANCE FROM {self.p('GNTOTCL')} T "
                f"JOIN {card} C ON C.LOGICALREF = T.CARDREF WHERE T.TOTTYP = 1 AND C.CARDTYPE IN (1, 3) "
                f"AND T.CARDREF > {{after}}{where} GROUP BY T.CARDREF, C.CODE ORDER BY T.CARDREF"
            )
        return (
            f"SELECT L.CLIENTREF AS K, C.CODE, SUM(CASE WHEN L.SIGN = 0 THEN L.AMOUNT ELSE -L.AMOUNT END) AS BALANCE "
            f"FROM {self.p('CLFLINE')} L JOIN {card} C ON C.LOGICALREF = L.CLIENTREF WHERE L.CANCELLED = 0 "
            f"AND C.CARDTYPE IN (1, 3) AND L.CLIENTREF > {{after}}{where} GROUP BY L.CLIENTREF, C.CODE "
            "ORDER BY L.CLIENTREF"
        )

    def _open_orders_sql(self, period: int, where: str = "") -> str:
        """Per customer, gross value not invoiced yet: approved order lines (status 4, open, not cancelled) for what
        is still to ship, and sales dispatch lines (TRCODE 8) not invoiced yet; the portal's quote slips left out."""
        quotes = f" AND COALESCE(F.SPECODE, '') <> {sql_text(self.quote_marker)}" if self.quote_marker else ""
        card = self.t("CLCARD")
        return (
            f"SELECT X.CLIENTREF AS K, C.CODE, SUM(X.OPENVALUE) AS OPENVALUE FROM ("
            f"SELECT F.CLIENTREF, (O.AMOUNT - O.SHIPPEDAMOUNT) * O.PRICE * (1 - O.DISCPER / 100) * (1 + O.VAT / 100) "
            f"AS OPENVALUE FROM {self.p('ORFLINE', period)} O JOIN {self.p('ORFICHE', period)} F "
            f"ON F.LOGICALREF = O.ORDFICHEREF WHERE F.TRCODE = 1 AND F.CANCELLED = 0 AND F.STATUS = 4 "
            f"AND O.LINETYPE = 0 AND O.CLOSED = 0 AND O.CANCELLED = 0 AND O.AMOUNT > O.SHIPPEDAMOUNT{quotes} "
            f"UNION ALL SELECT S.CLIENTREF, S.TOTAL * (1 + S.VAT / 100) AS OPENVALUE FROM {self.p('STLINE', period)} S "
            f"WHERE S.TRCODE = 8 AND S.INVOICEREF = 0) X JOIN {card} C ON C.LOGICALREF = X.CLIENTREF "
            f"WHERE X.CLIENTREF > {{after}}{where} GROUP BY X.CLIENTREF, C.CODE ORDER BY X.CLIENTREF"
        )

    def _open_order_values(self, where: str = "") -> dict[str, Decimal]:
        """Customer code → the gross value of its orders Logo accepted and has not invoiced (both periods)."""
        found: dict[str, Decimal] = defaultdict(Decimal)
        for period in self.periods:
            for row in self.keyset(self._open_orders_sql(period, where)):
                found[_text(row["CODE"]).strip()] += as_decimal(row["OPENVALUE"]) or Decimal(0)
        return {code: value.quantize(Decimal("0.01")) for code, value in found.items()}

    def _read_balance(self, _since: datetime | None) -> Iterator[Any]:
        now = datetime.now(UTC)
        open_orders = self._open_order_values()
        balances = [
            ErpBalance(
                _text(row["CODE"]).strip(),
                as_decimal(row["BALANCE"]) or Decimal(0),
                open_orders=open_orders.pop(_text(row["CODE"]).strip(), Decimal(0)),
                as_of=now,
            )
            for row in self.keyset(self._balance_sql())
        ]
        # Customers with orders and nothing on their account yet.
        balances += [ErpBalance(code, Decimal(0), open_orders=value, as_of=now) for code, value in open_orders.items()]
        return iter(balances)

    def _read_credit(self, _since: datetime | None) -> Iterator[Any]:
        column = self.credit_limit
        rows = self.keyset(
            f"SELECT C.LOGICALREF AS K, C.CODE, C.BLOCKED, R.{column} AS LIMIT_ FROM {self.t('CLCARD')} C "
            f"LEFT JOIN {self.t('CLRNUMS')} R ON R.CLCARDREF = C.LOGICALREF WHERE C.CARDTYPE IN (1, 3) "
            "AND C.LOGICALREF > {after} ORDER BY C.LOGICALREF"
        )
        return (
            ErpCredit(
                _text(row["CODE"]).strip(),
                as_decimal(row.get("LIMIT_")) or Decimal(0),
                hold=bool(int(row.get("BLOCKED") or 0)),
                hold_reason="Logo: cari hesap bloke" if int(row.get("BLOCKED") or 0) else "",
            )
            for row in rows
        )

    # -- orders and documents ---------------------------------------------------------------------------------------

    def _order_sql(self, period: int, where: str, *, quotes: bool = False) -> str:
        """Order slips (or, with ``quotes``, the quotes the portal sent as suggestion slips: ``AUXIL_CODE`` the
        connection's ``quote_marker``, the reference in ``DOC_NUMBER``) with their shipped and invoiced figures."""
        slips, lines, stock_lines = self.p("ORFICHE", period), self.p("ORFLINE", period), self.p("STLINE", period)
        column = "DOCODE" if quotes else self.reference_column
        if self.quote_marker:
            kind = "=" if quotes else "<>"
            where = f" AND COALESCE(F.SPECODE, '') {kind} {sql_text(self.quote_marker)}{where}"
        return (
            f"SELECT F.LOGICALREF AS K, F.FICHENO, F.{column} AS REFERENCE, F.CANCELLED, F.STATUS, F.NETTOTAL, "
            f"F.TRCURR, C.CODE AS CLCODE, {audit('F')}, "
            f"(SELECT SUM(O.AMOUNT) FROM {lines} O WHERE O.ORDFICHEREF = F.LOGICALREF AND O.LINETYPE = 0) AS ORDERED, "
            f"(SELECT SUM(O.SHIPPEDAMOUNT) FROM {lines} O WHERE O.ORDFICHEREF = F.LOGICALREF) AS SHIPPED, "
            f"(SELECT COUNT(*) FROM {lines} O WHERE O.ORDFICHEREF = F.LOGICALREF AND O.CLOSED = 0) AS OPENLINES, "
            f"(SELECT COUNT(*) FROM {stock_lines} S WHERE S.ORDFICHEREF = F.LOGICALREF AND S.INVOICEREF = 0) "
            f"AS UNINVOICED FROM {slips} F LEFT JOIN {self.t('CLCARD')} C ON C.LOGICALREF = F.CLIENTREF "
            f"WHERE F.TRCODE = 1 AND F.LOGICALREF > {{after}}{where} ORDER BY F.LOGICALREF"
        )

    def _read_order_status(self, since: datetime | None) -> Iterator[Any]:
        column = self.reference_column
        for period in self.periods:
            where = f" AND F.{column} IS NOT NULL AND F.{column} <> ''" + self._since_clause("F", since)
            for row in self._changed(self.keyset(self._order_sql(period, where)), since):
                yield ErpOrderStatus(
                    _text(row["REFERENCE"]).strip(),
                    order_state(row),
                    _text(row["FICHENO"]).strip(),
                    f"{period}/{row['K']}",
                    stamp(row, self.zone),
                )

    def _order_reference(self, link: str, alias: str) -> str:
        """The portal reference of the order a dispatch or invoice was made from: its lines (``STLINE``) point at
        the order slip (``ORDFICHEREF``), whose ``reference_field`` carries it."""
        return (
            f"(SELECT MAX(O.{self.reference_column}) FROM {self.p('STLINE')} S JOIN {self.p('ORFICHE')} O "
            f"ON O.LOGICALREF = S.ORDFICHEREF WHERE S.{link} = {alias}.LOGICALREF)"
        )

    def _read_delivery(self, start: datetime) -> Iterator[Any]:
        day = start.astimezone(self.zone).date().isoformat()
        rows = self.keyset(
            f"SELECT D.LOGICALREF AS K, D.FICHENO, D.DATE_, {self._order_reference('STFICHEREF', 'D')} AS REFERENCE, "
            f"D.NETTOTAL, D.GROSSTOTAL, "
            f"D.TOTALVAT, D.TRCURR, D.SHPAGNCOD, D.TRACKNR, D.GUID, C.CODE AS CLCODE, {audit('D')} "
            f"FROM {self.p('STFICHE')} D JOIN {self.t('CLCARD')} C ON C.LOGICALREF = D.CLIENTREF "
            f"WHERE D.TRCODE = 8 AND D.CANCELLED = 0 AND D.DATE_ >= '{day}' AND D.LOGICALREF > {{after}} "
            "ORDER BY D.LOGICALREF"
        )
        return (document_record(row, DocumentKind.DELIVERY, currencies=self.currencies, zone=self.zone) for row in rows)

    def _read_invoice(self, start: datetime) -> Iterator[Any]:
        day = start.astimezone(self.zone).date().isoformat()
        rows = self.keyset(
            f"SELECT V.LOGICALREF AS K, V.FICHENO, V.DATE_, {self._order_reference('INVOICEREF', 'V')} AS REFERENCE, "
            f"V.NETTOTAL, V.GROSSTOTAL, "
            f"V.TOTALVAT, V.TRCURR, V.GUID, V.EINVOICE, C.CODE AS CLCODE, {audit('V')} "
            f"FROM {self.p('INVOICE')} V JOIN {self.t('CLCARD')} C ON C.LOGICALREF = V.CLIENTREF "
            f"WHERE V.TRCODE = 8 AND V.CANCELLED = 0 AND V.DATE_ >= '{day}' AND V.LOGICALREF > {{after}} "
            "ORDER BY V.LOGICALREF"
        )
        return (document_record(row, DocumentKind.INVOICE, currencies=self.currencies, zone=self.zone) for row in rows)

    def _read_ledger(self, start: datetime) -> Iterator[Any]:
        day = start.astimezone(self.zone).date().isoformat()
        rows = self.keyset(
            f"SELECT L.LOGICALREF AS K, {self.period} AS PERIOD, L.DATE_, L.TRCODE, L.TRANNO, L.LINEEXP, L.SIGN, "
            f"L.AMOUNT, C.CODE AS CLCODE, {audit('L')} FROM {self.p('CLFLINE')} L "
            f"JOIN {self.t('CLCARD')} C ON C.LOGICALREF = L.CLIENTREF WHERE L.CANCELLED = 0 AND L.DATE_ >= '{day}' "
            "AND L.LOGICALREF > {after} ORDER BY L.LOGICALREF"
        )
        return (ledger_record(row, zone=self.zone) for row in rows)

    # -- live ------------------------------------------------------------------------------------------------------

    @property
    def periods(self) -> tuple[int, ...]:
        return (self.period, self.previous_period) if self.previous_period else (self.period,)


__all__ = ["DELTA_ENTITIES", "ENTITIES", "LogoReads"]
