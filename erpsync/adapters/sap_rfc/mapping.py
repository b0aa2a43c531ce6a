"""Translation between SAP's RFC values and the contract's records, without calls: ALPHA conversion of numbers,
SAP dates and numbers, BAPI message tables, the state of an order from its status rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from erpsync.adapters.base import ErpOrderState

MATERIAL_WIDTH = 18  # MATNR in ECC (S/4 widens it to 40; a numeric material is still padded to 18 by default)
CUSTOMER_WIDTH = 10  # KUNNR
DOCUMENT_WIDTH = 10  # VBELN
ITEM_STEP = 10  # order items 000010, 000020…
FAILED = ("E", "A")


def alpha_in(value: str, width: int) -> str:
    """CONVERSION_EXIT_ALPHA_INPUT: a number is zero-padded to ``width``; any other text goes as it is, upper-case."""
    text = (value or "").strip()
    return text.zfill(width) if text.isdigit() else text.upper()


def alpha_out(value: Any) -> str:
    """CONVERSION_EXIT_ALPHA_OUTPUT: leading zeros of a number dropped (``0000100001`` → ``100001``)."""
    text = str(value or "").strip()
    if text.isdigit():
        return text.lstrip("0") or "0"
    return text


def material_in(code: str) -> str:
    return alpha_in(code, MATERIAL_WIDTH)


def customer_in(code: str) -> str:
    return alpha_in(code, CUSTOMER_WIDTH)


def document_in(number: str) -> str:
    return alpha_in(number, DOCUMENT_WIDTH)


def item_number(line_no: int) -> str:
    return f"{line_no * ITEM_STEP:06d}"


def sap_date(value: Any) -> date | None:
    """A DATS value as pyrfc gives it (``date``) or as RFC_READ_TABLE writes it (``YYYYMMDD``); blanks are None."""
    if value is None or isinstance(value, date):
        return value.date() if isinstance(value, datetime) else value
    text = str(value).strip()
    if not text or set(text) <= {"0"}:
        return None
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return None


def dats(value: date | None) -> str:
    return value.strftime("%Y%m%d") if value else ""


def number(value: Any) -> Decimal | None:
    """A QUAN/CURR/DEC value (``Decimal`` from pyrfc, text from RFC_READ_TABLE, where a minus may trail)."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    text = str(value).strip().replace(",", "")
    if not text:
        return None
    if text.endswith("-"):
        text = "-" + text[:-1]
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def failures(rows: Iterable[Mapping[str, Any]] | Mapping[str, Any] | None) -> list[Mapping[str, Any]]:
    """The E and A rows of a BAPI's RETURN (a table of BAPIRET2, or one BAPIRET2/BAPIRETURN structure)."""
    if not rows:
        return []
    if isinstance(rows, Mapping):
        rows = [rows]
    return [row for row in rows if str(row.get("TYPE", "")) in FAILED]


def describe(rows: Iterable[Mapping[str, Any]]) -> str:
    """Messages as a person reads them: ``V1 392 Material X does not exist; …``."""
    parts = []
    for row in rows:
        ident = " ".join(str(row.get(key, "")).strip() for key in ("ID", "NUMBER") if str(row.get(key, "")).strip())
        ident = ident or str(row.get("CODE", "")).strip()
        text = str(row.get("MESSAGE", "")).strip()
        parts.append(f"{ident} {text}".strip())
    return "; ".join(part for part in parts if part)


def order_state(status_rows: list[Mapping[str, Any]], invoiced: Mapping[str, Decimal]) -> ErpOrderState:
    """The order's state from BAPI_SALESORDER_GETSTATUS rows (one per item and delivery) and the quantities billed
    per item (document flow): rejected everywhere → cancelled; every live item billed → invoiced; delivery status
    C → shipped, B → partially shipped; else open."""
    items: dict[str, Mapping[str, Any]] = {}
    for row in status_rows:
        items.setdefault(str(row.get("ITM_NUMBER", "")), row)
    live = {position: row for position, row in items.items() if not str(row.get("REA_FOR_RE", "")).strip()}
    if not live:
        return ErpOrderState.CANCELLED
    if all(invoiced.get(position, Decimal(0)) >= (number(row.get("REQ_QTY")) or 0) for position, row in live.items()):
        return ErpOrderState.INVOICED
    header = str(next(iter(items.values())).get("DLV_STAT_H", "")).strip()
    if header == "C":
        return ErpOrderState.SHIPPED
    if header == "B" or any(str(row.get("DLV_STAT_I", "")).strip() in ("B", "C") for row in live.values()):
        return ErpOrderState.PARTIALLY_SHIPPED
    return ErpOrderState.OPEN
