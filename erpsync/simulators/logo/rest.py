"""Logo Objects REST resources rendered from the firm's tables, and the read-only ``queries?tsql=`` runner.

Field names are the XML transfer names (§3.2 of the protocol notes: REST payloads use them); each list answers
``{"items": [...], "count": n}`` and takes ``offset`` (records skipped), ``limit`` and ``expandlevel`` (``full``:
lines, units and sub-records inline; otherwise the header alone).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from typing import Any

from erpsync.simulators.logo.firm import Firm, LogoBusinessError

DEFAULT_LIMIT = 25
SELECT = re.compile(r"^\s*select\b", re.IGNORECASE)
_ALLOWED_ACTIONS = {sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_FUNCTION, 33}  # 33: recursive CTE


def _day(value: Any) -> str | None:
    return str(value)[:10] if value else None


def _flag(value: Any) -> int:
    return int(bool(value))


class Resources:
    """The REST resources of one firm: ``render(name, row, full)`` and ``list``/``get`` by ``INTERNAL_REFERENCE``."""

    def __init__(self, firm: Firm) -> None:
        self.firm = firm
        f = firm
        # resource → (table, ORDER/WHERE extra, renderer)
        self.tables: dict[str, tuple[Callable[[], str], str, Callable[[dict[str, Any], bool], dict[str, Any]]]] = {
            "items": (lambda: f.t("ITEMS"), "", self._item),
            "unitSets": (lambda: f.t("UNITSETF"), "", self._unit_set),
            "Arps": (lambda: f.t("CLCARD"), "", self._arp),
            "ArpShipmentLocations": (lambda: f.t("SHIPINFO"), "", self._ship_location),
            "salesOrders": (lambda: f.p("ORFICHE"), "WHERE TRCODE = 1", self._order),
            "salesDispatches": (lambda: f.p("STFICHE"), "WHERE TRCODE = 8", self._dispatch),
            "salesInvoices": (lambda: f.p("INVOICE"), "WHERE TRCODE = 8", self._invoice),
            "salesItemPrices": (lambda: f.t("PRCLIST"), "WHERE PTYPE = 2", self._price),
            "ArpSlips": (lambda: f.p("CLFICHE"), "", self._arp_slip),
            "bankSlips": (lambda: f.p("BNFICHE"), "", self._bank_slip),
            "salesmen": (lambda: "LG_SLSMAN", f"WHERE FIRMNR = {f.firm}", self._salesman),
            "safeDepositSlips": (lambda: f.p("KSLINES"), "", self._cash_slip),
        }

    def names(self) -> list[str]:
        return list(self.tables)

    def resource(self, name: str) -> str | None:
        """The resource's own spelling for ``name`` (Logo's routing is case-insensitive)."""
        return next((known for known in self.tables if known.lower() == name.lower()), None)

    def list(self, name: str, *, offset: int, limit: int, full: bool) -> dict[str, Any]:
        table, where, render = self.tables[name]
        rows = self.firm.rows(f"SELECT * FROM {table()} {where} ORDER BY LOGICALREF")
        page = rows[offset : offset + limit]
        return {"items": [render(row, full) for row in page], "count": len(rows)}

    def get(self, name: str, ref: int, *, full: bool = True) -> dict[str, Any] | None:
        table, where, render = self.tables[name]
        clause = f"{where} AND LOGICALREF = ?" if where else "WHERE LOGICALREF = ?"
        row = self.firm.row(f"SELECT * FROM {table()} {clause}", (ref,))
        return None if row is None else render(row, full)

    # -- renderers --------------------------------------------------------------------------------------------------

    def _code(self, table: str, ref: Any) -> str:
        found = self.firm.row(f"SELECT CODE FROM {self.firm.t(table)} WHERE LOGICALREF = ?", (ref or 0,))
        return found["CODE"] if found else ""

    def _item(self, row: dict[str, Any], full: bool) -> dict[str, Any]:
        f = self.firm
        out = {
            "INTERNAL_REFERENCE": row["LOGICALREF"],
            "CARD_TYPE": row["CARDTYPE"],
            "CODE": row["CODE"],
            "NAME": row["NAME"],
            "NAME3": row["NAME3"],
            "GROUP_CODE": row["STGRPCODE"],
            "AUXIL_CODE": row["SPECODE"],
            "VAT": row["VAT"],
            "SELVAT": row["SELLVAT"],
            "RETURNVAT": row["RETURNVAT"],
            "UNITSET_CODE": self._code("UNITSETF", row["UNITSETREF"]),
            "RECORD_STATUS": row["ACTIVE"],
            "MARK_CODE": self._code("MARK", row["MARKREF"]),
            "TRACK_TYPE": row["TRACKTYPE"],
        }
        if full:
            units = f.rows(
                f"SELECT A.*, L.CODE FROM {f.t('ITMUNITA')} A JOIN {f.t('UNITSETL')} L ON L.LOGICALREF = A.UNITLINEREF "
                "WHERE A.ITEMREF = ? ORDER BY A.LINENR",
                (row["LOGICALREF"],),
            )
            out["UNITS"] = {
                "items": [
                    {
                        "UNIT_CODE": unit["CODE"],
                        "CONV_FACT1": unit["CONVFACT1"],
                        "CONV_FACT2": unit["CONVFACT2"],
                        "USEF_SALES": unit["SALESCLAS"],
                        "BARCODE_LIST": {"items": [{"BARCODE": unit["BARCODE"]}] if unit["BARCODE"] else []},
                    }
                    for unit in units
                ]
            }
        return out

    def _unit_set(self, row: dict[str, Any], full: bool) -> dict[str, Any]:
        f = self.firm
        out = {"INTERNAL_REFERENCE": row["LOGICALREF"], "CODE": row["CODE"], "NAME": row["NAME"]}
        if full:
            lines = f.rows(
                f"SELECT * FROM {f.t('UNITSETL')} WHERE UNITSETREF = ? ORDER BY LINENR", (row["LOGICALREF"],)
            )
            out["UNITS"] = {
                "items": [
                    {
                        "CODE": line["CODE"],
                        "NAME": line["NAME"],
                        "MAIN_UNIT": line["MAINUNIT"],
                        "CONV_FACT1": line["CONVFACT1"],
                        "CONV_FACT2": line["CONVFACT2"],
                    }
                    for line in lines
                ]
            }
        return out

    def _arp(self, row: dict[str, Any], full: bool) -> dict[str, Any]:
        return {
            "INTERNAL_REFERENCE": row["LOGICALREF"],
            "ACCOUNT_TYPE": row["CARDTYPE"],
            "CODE": row["CODE"],
            "TITLE": row["DEFINITION_"],
            "ADDRESS1": row["ADDR1"],
            "ADDRESS2": row["ADDR2"],
            "CITY": row["CITY"],
            "TOWN": row["TOWN"],
            "COUNTRY": row["COUNTRY"],
            "POSTAL_CODE": row["POSTCODE"],
            "TELEPHONE1": row["TELNRS1"],
            "E_MAIL": row["EMAILADDR"],
            "TAX_ID": row["TAXNR"],
            "TCKNO": row["TCKNO"],
            "TAX_OFFICE": row["TAXOFFICE"],
            "PAYMENT_CODE": self._code("PAYPLANS", row["PAYMENTREF"]),
            "CURRENCY": row["CCURRENCY"],
            "TRADING_GRP": row["TRADINGGRP"],
            "RECORD_STATUS": row["ACTIVE"],
            "BLOCKED": row["BLOCKED"],
        }

    def _ship_location(self, row: dict[str, Any], full: bool) -> dict[str, Any]:
        return {
            "INTERNAL_REFERENCE": row["LOGICALREF"],
            "ARP_CODE": self._code("CLCARD", row["CLIENTREF"]),
            "CODE": row["CODE"],
            "DESCRIPTION": row["NAME"],
            "ADDRESS1": row["ADDR1"],
            "ADDRESS2": row["ADDR2"],
            "CITY": row["CITY"],
            "TOWN": row["TOWN"],
            "COUNTRY": row["COUNTRY"],
            "POSTAL_CODE": row["POSTCODE"],
            "TELEPHONE1": row["TELNRS1"],
        }

    def _order(self, row: dict[str, Any], full: bool) -> dict[str, Any]:
        f = self.firm
        out = {
            "INTERNAL_REFERENCE": row["LOGICALREF"],
            "NUMBER": row["FICHENO"],
            "DATE": _day(row["DATE_"]),
            "TIME": row["TIME_"],
            "DOC_NUMBER": row["DOCODE"],
            "AUXIL_CODE": row["SPECODE"],
            "ARP_CODE": self._code("CLCARD", row["CLIENTREF"]),
            "SOURCE_WH": row["SOURCEINDEX"],
            "ORDER_STATUS": row["STATUS"],
            "CURR_TRANSACTIN": row["TRCURR"],
            "TC_XRATE": row["TRRATE"],
            "TOTAL_GROSS": row["GROSSTOTAL"],
            "TOTAL_DISCOUNTED": row["TOTALDISCOUNTED"],
            "TOTAL_VAT": row["TOTALVAT"],
            "TOTAL_NET": row["NETTOTAL"],
            "NOTES1": row["GENEXP1"],
            "GUID": row["GUID"],
            "CANCELLED": row["CANCELLED"],
            "SALESMAN_CODE": (
                f.row("SELECT CODE FROM LG_SLSMAN WHERE LOGICALREF = ?", (row["SALESMANREF"] or 0,)) or {}
            ).get("CODE", ""),
        }
        if full:
            lines = f.rows(
                f"SELECT O.*, I.CODE AS ITEMCODE, U.CODE AS UNITCODE FROM {f.p('ORFLINE')} O "
                f"LEFT JOIN {f.t('ITEMS')} I ON I.LOGICALREF = O.STOCKREF "
                f"LEFT JOIN {f.t('UNITSETL')} U ON U.LOGICALREF = O.UOMREF WHERE O.ORDFICHEREF = ? ORDER BY O.LINENO_",
                (row["LOGICALREF"],),
            )
            out["TRANSACTIONS"] = {
                "items": [
                    {
                        "INTERNAL_REFERENCE": line["LOGICALREF"],
                        "TYPE": line["LINETYPE"],
                        "MASTER_CODE": line["ITEMCODE"],
                        "QUANTITY": line["AMOUNT"],
                        "PRICE": line["PRICE"],
                        "EDT_CURR": line["PRCURR"],
                        "EDT_PRICE": line["PRPRICE"],
                        "TOTAL": line["TOTAL"],
                        "DISCOUNT_RATE": line["DISCPER"],
                        "VAT_RATE": line["VAT"],
                        "VAT_AMOUNT": line["VATAMNT"],
                        "UNIT_CODE": line["UNITCODE"],
                        "UNIT_CONV1": line["UINFO1"],
                        "UNIT_CONV2": line["UINFO2"],
                        "SHIPPED_AMOUNT": line["SHIPPEDAMOUNT"],
                        "CLOSED": line["CLOSED"],
                        "DUE_DATE": _day(line["DUEDATE"]),
                        "DETAILS": line["LINEEXP"],
                    }
                    for line in lines
                ]
            }
        return out

    def _dispatch(self, row: dict[str, Any], full: bool) -> dict[str, Any]:
        return {
            "INTERNAL_REFERENCE": row["LOGICALREF"],
            "GRPCODE": row["GRPCODE"],
            "TYPE": row["TRCODE"],
            "NUMBER": row["FICHENO"],
            "DATE": _day(row["DATE_"]),
            "DOC_NUMBER": row["DOCODE"],
            "ARP_CODE": self._code("CLCARD", row["CLIENTREF"]),
            "SOURCE_WH": row["SOURCEINDEX"],
            "TOTAL_GROSS": row["GROSSTOTAL"],
            "TOTAL_VAT": row["TOTALVAT"],
            "TOTAL_NET": row["NETTOTAL"],
            "SHIPPING_AGENT": row["SHPAGNCOD"],
            "TRACKING_NR": row["TRACKNR"],
            "GUID": row["GUID"],
            "CANCELLED": row["CANCELLED"],
        }

    def _invoice(self, row: dict[str, Any], full: bool) -> dict[str, Any]:
        return {
            "INTERNAL_REFERENCE": row["LOGICALREF"],
            "GRPCODE": row["GRPCODE"],
            "TYPE": row["TRCODE"],
            "NUMBER": row["FICHENO"],
            "DATE": _day(row["DATE_"]),
            "DOC_NUMBER": row["DOCODE"],
            "ARP_CODE": self._code("CLCARD", row["CLIENTREF"]),
            "TOTAL_GROSS": row["GROSSTOTAL"],
            "TOTAL_VAT": row["TOTALVAT"],
            "TOTAL_NET": row["NETTOTAL"],
            "EINVOICE": row["EINVOICE"],
            "GUID": row["GUID"],
            "CANCELLED": row["CANCELLED"],
        }

    def _price(self, row: dict[str, Any], full: bool) -> dict[str, Any]:
        f = self.firm
        unit = f.row(f"SELECT CODE FROM {f.t('UNITSETL')} WHERE LOGICALREF = ?", (row["UOMREF"] or 0,))
        return {
            "INTERNAL_REFERENCE": row["LOGICALREF"],
            "CODE": row["CODE"],
            "DESCRIPTION": row["DEFINITION_"],
            "ITEM_CODE": self._code("ITEMS", row["CARDREF"]),
            "ARP_CODE": row["CLIENTCODE"],
            "CL_SPECODE": row["CLSPECODE"],
            "PRICE": row["PRICE"],
            "UNIT_CODE": unit["CODE"] if unit else "",
            "CURRENCY": row["CURRENCY"],
            "INC_VAT": row["INCVAT"],
            "PRIORITY": row["PRIORITY"],
            "BEG_DATE": _day(row["BEGDATE"]),
            "END_DATE": _day(row["ENDDATE"]),
            "RECORD_STATUS": row["ACTIVE"],
        }

    def _arp_slip(self, row: dict[str, Any], full: bool) -> dict[str, Any]:
        return {
            "INTERNAL_REFERENCE": row["LOGICALREF"],
            "TYPE": row["TRCODE"],
            "NUMBER": row["FICHENO"],
            "DATE": _day(row["DATE_"]),
            "DOC_NUMBER": row["DOCODE"],
            "NOTES1": row["GENEXP1"],
            "TOTAL_DEBIT": row["DEBITTOT"],
            "TOTAL_CREDIT": row["CREDITTOT"],
            "CANCELLED": row["CANCELLED"],
        }

    def _salesman(self, row: dict[str, Any], full: bool) -> dict[str, Any]:
        return {
            "INTERNAL_REFERENCE": row["LOGICALREF"],
            "CODE": row["CODE"],
            "NAME": row["DEFINITION_"],
            "RECORD_STATUS": row["ACTIVE"],
        }

    def _bank_slip(self, row: dict[str, Any], full: bool) -> dict[str, Any]:
        return {
            "INTERNAL_REFERENCE": row["LOGICALREF"],
            "TYPE": row["TRCODE"],
            "NUMBER": row["FICHENO"],
            "DATE": _day(row["DATE_"]),
            "DOC_NUMBER": row["DOCODE"],
            "BANKACC_CODE": row["BANKACCCODE"],
            "TOTAL": row["TOTAL"],
        }

    def _cash_slip(self, row: dict[str, Any], full: bool) -> dict[str, Any]:
        return {
            "INTERNAL_REFERENCE": row["LOGICALREF"],
            "TYPE": row["TRCODE"],
            "NUMBER": row["FICHENO"],
            "DATE": _day(row["DATE_"]),
            "DOC_NUMBER": row["DOCODE"],
            "SD_CODE": row["CARDREF"],
            "ARP_CODE": self._code("CLCARD", row["CLIENTREF"]),
            "AMOUNT": row["AMOUNT"],
        }


def run_query(firm: Firm, tsql: str, *, limit: int | None = None, offset: int = 0) -> list[dict[str, Any]]:
    """Rows of one read-only ``SELECT`` over the firm's tables (``limit`` rows from ``offset``, when given); anything
    else is refused as Logo refuses it."""
    text = tsql.strip().rstrip(";").strip()
    if not SELECT.match(text) or ";" in text:
        raise LogoBusinessError("Sadece tek bir SELECT cümlesi çalıştırılabilir.")

    def authorise(action: int, *_args: Any) -> int:
        return sqlite3.SQLITE_OK if action in _ALLOWED_ACTIONS else sqlite3.SQLITE_DENY

    firm.db.set_authorizer(authorise)
    try:
        if limit is not None:
            cursor = firm.db.execute(f"SELECT * FROM ({text}) LIMIT ? OFFSET ?", (limit, offset))
        else:
            cursor = firm.db.execute(text)
        names = [column[0] for column in cursor.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    except sqlite3.Error as exc:
        raise LogoBusinessError(f"Sorgu çalıştırılamadı: {exc}") from None
    finally:
        firm.db.set_authorizer(None)


__all__ = ["DEFAULT_LIMIT", "Resources", "run_query"]
