"""What each entity's file holds: the record it becomes, its columns or elements, and how text becomes values.

The schema is derived from the record dataclasses in ``erpsync.adapters.base``: every field is a column (CSV)
or a child element (XML) of the same name, required exactly when the field has no default. Three fields are
special: a product's packs (``packs`` column / ``<Packs>``), a customer's addresses (``address_*`` columns /
``<Addresses>``) and a document's kind (taken from the folder). Both readers collect text into ``RawRecord``
and call ``build``, so a value means the same thing in CSV and XML.
"""

from __future__ import annotations

import dataclasses
import enum
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from types import UnionType
from typing import Any

from b2bportal.text import word_key
from erpsync.adapters.base import (
    DocumentKind,
    ErpAddress,
    ErpBalance,
    ErpBrand,
    ErpCategory,
    ErpCredit,
    ErpCustomer,
    ErpCustomerPrice,
    ErpDocument,
    ErpDocumentLine,
    ErpLedgerEntry,
    ErpOrderState,
    ErpOrderStatus,
    ErpPrice,
    ErpPriceList,
    ErpProduct,
    ErpProductUnit,
    ErpStock,
    ErpUnit,
    ErpWarehouse,
    FeedError,
)
from erpsync.adapters.file.values import (
    ValueFormat,
    parse_bool,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_int,
    parse_state,
)


class Kind(enum.Enum):
    TEXT = "text"
    DECIMAL = "decimal"
    INT = "integer"
    BOOL = "yes/no"
    DATE = "date"
    DATETIME = "date and time"
    STATE = "order state"


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One record field: ``key`` is its default column / element name."""

    name: str
    key: str
    kind: Kind
    required: bool
    default: Any


@dataclass(frozen=True, slots=True)
class NestedSpec:
    """Records inside a record (a product's packs, a customer's addresses).

    In CSV they come either inline in one column (``csv_column``, items split by ``|`` and parts by ``*``) or
    from prefixed columns of consecutive rows of the same record (``csv_prefix``)."""

    attr: str
    schema: RecordSchema
    xml_container: str
    xml_item: str
    csv_column: str = ""
    csv_prefix: str = ""
    # The field whose value ties consecutive CSV rows to one record (``csv_prefix`` only).
    group_key: str = "code"
    # No nested item at all: the record's default (None: "the file says nothing") rather than an empty tuple.
    absent_is_default: bool = False


@dataclass(frozen=True, slots=True)
class RecordSchema:
    record: type
    fields: tuple[FieldSpec, ...]
    xml_root: str = ""
    xml_item: str = ""
    nested: NestedSpec | None = None
    fixed: Mapping[str, Any] = field(default_factory=dict)

    def field_keys(self) -> tuple[str, ...]:
        return tuple(spec.key for spec in self.fields)


@dataclass(slots=True)
class RawRecord:
    """The text of one record as a file gave it, before conversion, and where each piece came from.

    ``values`` and ``labels`` are keyed by field key; ``labels`` holds the header text or element name to
    report in an error, ``lines`` the line a value started on (``line`` when absent)."""

    line: int
    values: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    lines: dict[str, int] = field(default_factory=dict)
    children: list[RawRecord] = field(default_factory=list)


_KINDS: dict[Any, Kind] = {
    str: Kind.TEXT,
    Decimal: Kind.DECIMAL,
    int: Kind.INT,
    bool: Kind.BOOL,
    date: Kind.DATE,
    datetime: Kind.DATETIME,
    ErpOrderState: Kind.STATE,
}


def _field_specs(record: type, *, skip: tuple[str, ...] = (), keys: Mapping[str, str] | None = None):
    hints = typing.get_type_hints(record)
    specs = []
    for item in dataclasses.fields(record):
        if item.name in skip:
            continue
        hint = hints[item.name]
        if isinstance(hint, UnionType):  # "X | None": the optional form of X
            hint = next(arg for arg in typing.get_args(hint) if arg is not type(None))
        required = item.default is dataclasses.MISSING and item.default_factory is dataclasses.MISSING
        default = None if required else item.default
        specs.append(FieldSpec(item.name, (keys or {}).get(item.name, item.name), _KINDS[hint], required, default))
    return tuple(specs)


def _schema(record: type, root: str, item: str, *, skip=(), nested=None, fixed=None) -> RecordSchema:
    return RecordSchema(record, _field_specs(record, skip=skip), root, item, nested, fixed or {})


PACK_SCHEMA = RecordSchema(ErpProductUnit, _field_specs(ErpProductUnit))
ADDRESS_SCHEMA = RecordSchema(ErpAddress, _field_specs(ErpAddress, keys={"is_default": "default"}))
PACKS = NestedSpec("units", PACK_SCHEMA, "Packs", "Pack", csv_column="packs")
ADDRESSES = NestedSpec("addresses", ADDRESS_SCHEMA, "Addresses", "Address", csv_prefix="address_")


# A document's lines, optional: ``line_*`` columns on consecutive rows of one document number, or ``<Lines>``.
DOCUMENT_LINE_SCHEMA = RecordSchema(ErpDocumentLine, _field_specs(ErpDocumentLine))
DOCUMENT_LINES = NestedSpec(
    "lines", DOCUMENT_LINE_SCHEMA, "Lines", "Line", csv_prefix="line_", group_key="number", absent_is_default=True
)


def _document(kind: DocumentKind, root: str, item: str) -> RecordSchema:
    return _schema(ErpDocument, root, item, skip=("kind", "lines"), nested=DOCUMENT_LINES, fixed={"kind": kind})


SCHEMAS: dict[str, RecordSchema] = {
    "unit": _schema(ErpUnit, "Units", "Unit"),
    "category": _schema(ErpCategory, "Categories", "Category"),
    "brand": _schema(ErpBrand, "Brands", "Brand"),
    "product": _schema(ErpProduct, "Products", "Product", skip=("units",), nested=PACKS),
    "warehouse": _schema(ErpWarehouse, "Warehouses", "Warehouse"),
    "stock": _schema(ErpStock, "StockLevels", "Stock"),
    "price_list": _schema(ErpPriceList, "PriceLists", "PriceList"),
    "price": _schema(ErpPrice, "Prices", "Price"),
    "agreement": _schema(ErpCustomerPrice, "Agreements", "Agreement"),
    # IBANs are not in the file layouts (yet): customers from files carry none.
    "customer": _schema(ErpCustomer, "Customers", "Customer", skip=("addresses", "ibans"), nested=ADDRESSES),
    "balance": _schema(ErpBalance, "Balances", "Balance"),
    "credit": _schema(ErpCredit, "Credits", "Credit"),
    "order_status": _schema(ErpOrderStatus, "OrderStatuses", "OrderStatus"),
    "delivery": _document(DocumentKind.DELIVERY, "Deliveries", "Delivery"),
    "invoice": _document(DocumentKind.INVOICE, "Invoices", "Invoice"),
    "credit_memo": _document(DocumentKind.CREDIT_MEMO, "CreditMemos", "CreditMemo"),
    "ledger": _schema(ErpLedgerEntry, "AccountEntries", "Entry"),
}


_CONVERTERS: dict[Kind, Callable[[str, ValueFormat], Any]] = {
    Kind.TEXT: lambda text, fmt: text,
    Kind.DECIMAL: lambda text, fmt: parse_decimal(text, fmt.decimal_mark),
    Kind.INT: lambda text, fmt: parse_int(text),
    Kind.BOOL: lambda text, fmt: parse_bool(text),
    Kind.DATE: lambda text, fmt: parse_date(text, fmt.date_formats),
    Kind.DATETIME: lambda text, fmt: parse_datetime(text, fmt.date_formats, fmt.zone),
    Kind.STATE: lambda text, fmt: parse_state(text),
}


def convert(spec: FieldSpec, text: str, fmt: ValueFormat) -> Any:
    """The value of ``text`` (already stripped, not empty) for ``spec``; ``ValueError`` when it does not parse."""
    return _CONVERTERS[spec.kind](text, fmt)


# Per schema, once: each field with its converter (None for text, kept as is). Looking the converter up by kind
# for every value of a half-million-row file costs more than converting most values.
_PLANS: dict[int, tuple[RecordSchema, tuple]] = {}


def _plan(schema: RecordSchema) -> tuple:
    cached = _PLANS.get(id(schema))
    if cached is None or cached[0] is not schema:
        plan = tuple(
            (spec, spec.key, spec.name, spec.required, None if spec.kind is Kind.TEXT else _CONVERTERS[spec.kind])
            for spec in schema.fields
        )
        cached = _PLANS[id(schema)] = (schema, plan)
    return cached[1]


def build(schema: RecordSchema, raw: RawRecord, fmt: ValueFormat, source: str) -> Any:
    """The record ``raw`` describes. Refuses, with ``FeedError`` naming the line and column, a required value
    that is missing or empty, a value holding a NUL character and a value that does not parse. An empty
    optional value takes the record's default. Semantic checks (unknown codes, negative stock) are left to
    the importer."""
    values: dict[str, Any] = dict(schema.fixed) if schema.fixed else {}
    given = raw.values
    for spec, key, name, required, converter in _plan(schema):
        text = given.get(key)
        if text:
            text = text.strip()
        if not text:
            if required:
                missing = "is missing" if key not in given else "is empty"
                raise _fault(f"required value {missing}", raw, spec, source)
            continue  # the dataclass default applies
        if "\x00" in text:  # PostgreSQL cannot store it, and no ERP means it: a sign of a wrong encoding
            raise _fault("the value contains a NUL character", raw, spec, source)
        if converter is None:
            values[name] = text
            continue
        try:
            values[name] = converter(text, fmt)
        except ValueError as exc:
            raise _fault(str(exc), raw, spec, source) from None
    if schema.nested is not None:
        nested = schema.nested
        if raw.children or not nested.absent_is_default:
            values[nested.attr] = tuple(build(nested.schema, child, fmt, source) for child in raw.children)
    return schema.record(**values)


def _fault(message: str, raw: RawRecord, spec: FieldSpec, source: str) -> FeedError:
    return FeedError(
        message, source=source, line=raw.lines.get(spec.key, raw.line), column=raw.labels.get(spec.key, spec.key)
    )


def split_packs(raw: RawRecord, column: str, source: str) -> list[RawRecord]:
    """The packs written inline in one CSV cell: ``UNIT*FACTOR[*BARCODE[*SELLABLE]]`` items separated by
    ``|``. Refuses (``FeedError``) an item with fewer than two or more than four parts."""
    text = (raw.values.get(column) or "").strip()
    if not text:
        return []
    label = raw.labels.get(column, column)
    keys = PACK_SCHEMA.field_keys()
    packs = []
    for item in text.split("|"):
        parts = [part.strip() for part in item.split("*")]
        if not 2 <= len(parts) <= len(keys):
            message = f"pack {item.strip()!r} is not UNIT*FACTOR[*BARCODE[*SELLABLE]]"
            raise FeedError(message, source=source, line=raw.line, column=label)
        values = dict(zip(keys, parts, strict=False))
        packs.append(RawRecord(line=raw.line, values=values, labels=dict.fromkeys(keys, label)))
    return packs


def match_key(text: str) -> str:
    """The form header texts and element names are compared in: trimmed, case- and Turkish-insensitive."""
    return word_key(text.lstrip("\ufeff"))
