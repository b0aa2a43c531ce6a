"""The contract's documented column names of each profile read, and the rows they return as contract records.

A read's columns are named after the fields of the record it gives (``erpsync.adapters.records``): a product read
returns ``code``, ``name``, ``unit`` and any of ``vat_rate``, ``barcode``, ``active``…; a stock read
``product_code``, ``warehouse_code``, ``on_hand`` and maybe ``committed``, ``as_of``. Fields without a default are
required. Nested records (a product's packs, a customer's addresses) are not read by profiles. Besides the
entities, three look-ups: ``order_lookup`` (by ``:reference``; one row per order line, ``line_id`` and
``quantity`` are what a line-level cancel needs), ``payment_lookup`` (by ``:reference``), ``customer_lookup`` (by
``:reference``, the customer's code: ``code`` and maybe ``title``) and ``open_orders``.

Document reads (``delivery``, ``invoice``, ``credit_memo``) may return their lines too: one row per line, the
document's columns repeated, the line's in ``line_no``, ``line_quantity`` and any of ``line_product_code``,
``line_description``, ``line_unit``, ``line_unit_price``, ``line_discount_percent``, ``line_vat_rate``,
``line_net``, ``line_vat``, ``line_currency``, ``line_order_line_no`` (the fields of ``ErpDocumentLine``; a read
mapping one of them must map ``line_no`` and ``line_quantity``). The rows of one ``number`` make one document; a row
with an empty ``line_no`` is a document without lines. A read mapping no line column leaves the lines as the portal
has them.
"""

from __future__ import annotations

import dataclasses
import difflib
import typing
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from erpsync.adapters.base import (
    DocumentKind,
    ErpBalance,
    ErpCredit,
    ErpCustomer,
    ErpDocument,
    ErpDocumentLine,
    ErpLedgerEntry,
    ErpOpenOrder,
    ErpOrderState,
    ErpOrderStatus,
    ErpPrice,
    ErpPriceList,
    ErpProduct,
    ErpStock,
    ErpUnit,
    ErpWarehouse,
    PermanentError,
)

RECORDS: dict[str, type] = {
    "unit": ErpUnit,
    "product": ErpProduct,
    "warehouse": ErpWarehouse,
    "stock": ErpStock,
    "price_list": ErpPriceList,
    "price": ErpPrice,
    "customer": ErpCustomer,
    "balance": ErpBalance,
    "credit": ErpCredit,
    "ledger": ErpLedgerEntry,
    "order_status": ErpOrderStatus,
    "delivery": ErpDocument,
    "invoice": ErpDocument,
    "credit_memo": ErpDocument,
    "open_orders": ErpOpenOrder,
}
DOCUMENT_KINDS = {
    "delivery": DocumentKind.DELIVERY,
    "invoice": DocumentKind.INVOICE,
    "credit_memo": DocumentKind.CREDIT_MEMO,
}
# A document line's columns: ``line_no`` and ``line_<field>`` of ``ErpDocumentLine``.
LINE_COLUMNS: dict[str, str] = {
    (f.name if f.name == "line_no" else f"line_{f.name}"): f.name for f in dataclasses.fields(ErpDocumentLine)
}
LINE_REQUIRED = ("line_no", "line_quantity")
# Fields set by the adapter, never read: the document's kind comes from the entity.
FIXED = {"kind"}
NESTED = {"units", "addresses", "ibans", "lines"}
# The look-ups' own columns (required, optional).
LOOKUPS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "order_lookup": (("reference", "document_id"), ("document_number", "state", "line_id", "quantity")),
    "payment_lookup": (("reference", "document_id"), ("document_number",)),
    "customer_lookup": (("code",), ("title",)),
}
# What each read may take as parameters (``:since`` is the delta's start, None on a full read).
PARAMETERS: dict[str, tuple[str, ...]] = {
    **dict.fromkeys(RECORDS, ("since",)),
    "order_lookup": ("reference",),
    "payment_lookup": ("reference",),
    "customer_lookup": ("reference",),  # the customer's code
}
READS = tuple(PARAMETERS)


def _fields(record: type) -> list[dataclasses.Field]:
    fixed = FIXED if record is ErpDocument else set()
    return [f for f in dataclasses.fields(record) if f.name not in fixed | NESTED]


def columns(read: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The read's (required, optional) contract columns."""
    if read in LOOKUPS:
        return LOOKUPS[read]
    fields = _fields(RECORDS[read])
    required = tuple(
        f.name for f in fields if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
    )
    optional = tuple(f.name for f in fields if f.name not in required)
    if read in DOCUMENT_KINDS:
        optional += tuple(LINE_COLUMNS)
    return required, optional


def column_problems(read: str, names: typing.Iterable[str]) -> list[str]:
    """What is wrong with a read returning ``names`` (lower case): each required column missing, each column the
    contract does not know (with the nearest known one), named."""
    required, optional = columns(read)
    given = [n.lower() for n in names]
    problems = [f"missing the column {c!r}" for c in required if c not in given]
    if read in DOCUMENT_KINDS and any(n in LINE_COLUMNS for n in given):
        problems.extend(
            f"missing the column {c!r} (a read returning document lines needs {' and '.join(LINE_REQUIRED)})"
            for c in LINE_REQUIRED
            if c not in given
        )
    known = required + optional
    for name in given:
        if name not in known:
            near = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            problems.append(f"returns the column {name!r}, which the contract does not know{hint}")
    return problems


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(record: type) -> dict[str, Any]:
    if record not in _HINTS:
        _HINTS[record] = typing.get_type_hints(record)
    return _HINTS[record]


def _base(hint: Any) -> Any:
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    return args[0] if args else hint


def value(kind: Any, raw: Any, *, column: str, source: str) -> Any:
    """``raw`` (a database value or JSON) as ``kind``; None stays None."""
    if raw is None:
        return None
    try:
        if kind is Decimal:
            result = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip().replace(",", "."))
            return result
        if kind is bool:
            if isinstance(raw, str):
                return raw.strip().lower() in ("1", "true", "evet", "e", "yes", "y")
            return bool(raw)
        if kind is int:
            return int(raw)
        if kind is datetime:
            return raw if isinstance(raw, datetime) else datetime.fromisoformat(str(raw).replace("Z", "+00:00"))
        if kind is date:
            if isinstance(raw, datetime):
                return raw.date()
            if isinstance(raw, date):
                return raw
            text = str(raw).strip()
            if len(text) == 8 and text.isdigit():  # yyyyMMdd, as ETA and Nebim write it
                return date(int(text[:4]), int(text[4:6]), int(text[6:]))
            if len(text) == 10 and text[2] == ".":  # dd.MM.yyyy
                return date(int(text[6:]), int(text[3:5]), int(text[:2]))
            return date.fromisoformat(text[:10])
        if kind is ErpOrderState:
            return ErpOrderState(str(raw).strip().lower())
        return str(raw).strip() if isinstance(raw, str) else str(raw)
    except (ValueError, InvalidOperation) as exc:
        raise PermanentError(
            f"{source}: column {column!r} holds {raw!r}, which is not a {getattr(kind, '__name__', kind)}: {exc}"
        ) from None


def to_record(read: str, row: dict[str, Any], *, source: str) -> Any:
    """A row (contract column name → value) as the read's record. A null in an optional column keeps the record's
    default; a null in a required one refuses the row."""
    record = RECORDS[read]
    hints = _hints(record)
    kwargs: dict[str, Any] = {}
    for f in _fields(record):
        if f.name not in row:
            continue
        converted = value(_base(hints[f.name]), row[f.name], column=f.name, source=source)
        if converted is None:
            if f.default is dataclasses.MISSING:
                raise PermanentError(f"{source}: the required column {f.name!r} is empty")
            continue
        kwargs[f.name] = converted
    if read in DOCUMENT_KINDS:
        kwargs["kind"] = DOCUMENT_KINDS[read]
    try:
        return record(**kwargs)
    except TypeError as exc:
        raise PermanentError(f"{source}: {exc}") from None


def has_lines(read: str, names: typing.Iterable[str]) -> bool:
    """Whether a document read returns its lines (it names ``line_no``)."""
    return read in DOCUMENT_KINDS and "line_no" in {n.lower() for n in names}


def to_line(row: dict[str, Any], *, source: str) -> ErpDocumentLine | None:
    """A row's document line; None when its ``line_no`` is empty (a document without lines)."""
    if row.get("line_no") is None:
        return None
    hints = _hints(ErpDocumentLine)
    kwargs: dict[str, Any] = {}
    for column, name in LINE_COLUMNS.items():
        converted = value(_base(hints[name]), row.get(column), column=column, source=source)
        if converted is None:
            if name == "quantity":
                raise PermanentError(f"{source}: the required column {column!r} is empty")
            continue
        kwargs[name] = converted
    return ErpDocumentLine(**kwargs)
