"""Documents the portal hands to the ERP, as XML: orders, cancellations, payments, credit memos, quotes, quote
cancellations, ship-to addresses and new customer accounts.

Every field of the record becomes a child element of the same name, in the record's field order; tuples of
records (an order's lines) or of values (a payment's invoice numbers) become a container (``<Lines>``,
``<InvoiceNumbers>``) of items (``<Line>``, ``<InvoiceNumber>``); a nested record (a new customer's ``address``)
an element of that name holding its fields. Values: text as is,
decimals with "." and no thousands separator, dates ISO (YYYY-MM-DD), booleans ``true``/``false``, an
absent optional value an empty element. Files are UTF-8 with an XML declaration.
"""

from __future__ import annotations

import dataclasses
import enum
import io
import re
from datetime import date
from decimal import Decimal
from typing import Any
from xml.etree.ElementTree import Element, ElementTree, SubElement, indent  # building only: nothing is parsed

from erpsync.adapters.base import PermanentError

SCHEMA_VERSION = "1"
ROOT_ELEMENTS: dict[str, str] = {
    "orders": "Order",
    "cancellations": "Cancellation",
    "payments": "Payment",
    "credit_memos": "CreditMemo",
    "quotes": "Quote",
    "quote_cancellations": "QuoteCancellation",
    "ship_tos": "ShipTo",
    "customers": "Customer",
}
_CONTAINERS = {"lines": ("Lines", "Line"), "invoice_numbers": ("InvoiceNumbers", "InvoiceNumber")}
# Characters XML 1.0 cannot carry at all, not even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
SAFE_REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def check_reference(reference: str) -> str:
    """``reference`` when it can be a file name on any file system the ERP may share: 1-100 characters of
    ASCII letters, digits, ".", "_" and "-", starting with a letter or digit, not ending in a temp suffix.
    Refuses anything else with ``PermanentError`` (path separators, "..", spaces, Turkish letters)."""
    if not isinstance(reference, str) or not SAFE_REFERENCE.fullmatch(reference):
        raise PermanentError(
            f"Reference {reference!r} cannot be used as a file name: use 1-100 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit.",
            code="invalid_reference",
        )
    if reference.lower().endswith((".tmp", ".part")):
        raise PermanentError(f"Reference {reference!r} ends like a temp file name.", code="invalid_reference")
    return reference


def render(kind: str, record: Any) -> bytes:
    """The XML document for ``record`` (an ``ErpOrder``, ``ErpCancel``, ``ErpPayment`` or ``ErpCreditMemo``).
    Refuses with ``PermanentError`` a value XML cannot carry: a NaN or infinite decimal, control characters."""
    root = Element(ROOT_ELEMENTS[kind], {"version": SCHEMA_VERSION})
    _fill(root, record)
    indent(root)
    buffer = io.BytesIO()
    ElementTree(root).write(buffer, encoding="UTF-8", xml_declaration=True)
    return buffer.getvalue() + b"\n"


def _fill(parent: Element, record: Any) -> None:
    for item in dataclasses.fields(record):
        value = getattr(record, item.name)
        if isinstance(value, tuple):
            container, child_tag = _CONTAINERS.get(item.name, (item.name, "Item"))
            holder = SubElement(parent, container)
            for child in value:
                if dataclasses.is_dataclass(child):
                    _fill(SubElement(holder, child_tag), child)
                else:
                    SubElement(holder, child_tag).text = _text(item.name, child)
        elif dataclasses.is_dataclass(value):  # one nested record (a new customer's address)
            _fill(SubElement(parent, item.name), value)
        else:
            SubElement(parent, item.name).text = _text(item.name, value)


def _text(name: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise PermanentError(f"{name} is {value}, which is not a number the ERP can take.", code="invalid_value")
        return format(value, "f")
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    text = str(value)
    if _NOT_XML.search(text):
        raise PermanentError(f"{name} holds control characters XML cannot carry.", code="invalid_value")
    return text
