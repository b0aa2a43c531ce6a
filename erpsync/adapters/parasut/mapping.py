"""Paraşüt's JSON:API resources to the contract's records and back, without requests.

Codes: a product's code is its ``code`` (``#<id>`` for a product keyed in without one); a customer's code is the
contact's Paraşüt id (contacts have no code of their own; the portal matches dealers by tax number); a warehouse's
code is its id. Currencies: Paraşüt's ``TRL`` is the portal's ``TRY``. Price lists: Paraşüt has one list price per
product, in the product's currency; each currency is its own list (``LIST-TRY``, ``LIST-USD``…).

Sums: Paraşüt's ``net_total`` is the grand total with VAT, ``gross_total`` the subtotal before discount;
a document's ``net`` is ``before_taxes_total``, its ``vat`` ``total_vat``, its ``gross`` ``net_total``.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from erpsync.adapters.base import (
    DocumentKind,
    ErpAddress,
    ErpBalance,
    ErpCustomer,
    ErpDocument,
    ErpDocumentLine,
    ErpLedgerEntry,
    ErpOrderAck,
    ErpOrderState,
    ErpPrice,
    ErpPriceList,
    ErpProduct,
    ErpStock,
    ErpUnit,
    ErpWarehouse,
    LedgerKind,
)
from erpsync.adapters.http import number
from erpsync.adapters.http import text as _text

SOURCE = "Paraşüt"
NO_CODE = "#"


def currency(value: Any) -> str:
    code = _text(value) or "TRL"
    return "TRY" if code == "TRL" else code


def parasut_currency(code: str) -> str:
    return "TRL" if code in ("TRY", "TL", "") else code


def as_decimal(value: Any) -> Decimal | None:
    return number(value, SOURCE)


def as_date(value: Any) -> date | None:
    return date.fromisoformat(str(value)[:10]) if value else None


def as_datetime(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def product_code(resource: dict[str, Any]) -> str:
    return _text(resource["attributes"].get("code")).strip() or f"{NO_CODE}{resource['id']}"


def product_record(resource: dict[str, Any]) -> ErpProduct:
    a = resource["attributes"]
    return ErpProduct(
        code=product_code(resource),
        name=_text(a.get("name")).strip(),
        unit=_text(a.get("unit")).strip(),
        vat_rate=as_decimal(a.get("vat_rate")),
        barcode=_text(a.get("barcode")).strip(),
        active=not a.get("archived"),
        updated_at=as_datetime(a.get("updated_at")),
    )


# Units counted in fractions; any other unit is counted whole.
DECIMAL_UNITS = frozenset({"kg", "kilogram", "gr", "gram", "lt", "litre", "m", "metre", "m2", "m²", "m3", "m³", "ton"})


def unit_records(names: set[Any]) -> list[ErpUnit]:
    """Paraşüt has no unit list: a product's ``unit`` is free text (``Adet``, ``Kg``…); each text is a unit."""
    found = sorted({_text(name).strip() for name in names} - {""})
    return [ErpUnit(name, name, decimals=3 if name.casefold() in DECIMAL_UNITS else 0) for name in found]


def price_list_code(code: str) -> str:
    return f"LIST-{code}"


def price_lists(currencies: set[str]) -> list[ErpPriceList]:
    return [ErpPriceList(price_list_code(code), f"Liste fiyatı ({code})", currency=code) for code in sorted(currencies)]


def price_record(resource: dict[str, Any]) -> ErpPrice | None:
    a = resource["attributes"]
    price = as_decimal(a.get("list_price"))
    if not price:
        return None  # no list price keyed in: nothing to sell it at
    return ErpPrice(price_list_code(currency(a.get("currency"))), product_code(resource), price)


def warehouse_record(resource: dict[str, Any]) -> ErpWarehouse:
    a = resource["attributes"]
    return ErpWarehouse(str(resource["id"]), _text(a.get("name")).strip(), active=not a.get("archived"))


def stock_record(code: str, warehouse: str, count: Any) -> ErpStock:
    return ErpStock(code, warehouse, as_decimal(count) or Decimal(0))


def contact_code(resource: dict[str, Any], mode: str) -> str:
    """The portal's code of a contact: its Paraşüt id (``id``), or its tax number (``tax_number``; ``#<id>`` for a
    contact keyed in without one)."""
    if mode == "tax_number":
        return _text(resource["attributes"].get("tax_number")).strip() or f"{NO_CODE}{resource['id']}"
    return str(resource["id"])


def invoice_customer(document: Any, resource: dict[str, Any], mode: str) -> str:
    contacts = document.related(resource, "contact")
    if contacts:
        return contact_code(contacts[0], mode)
    contact = ((resource.get("relationships") or {}).get("contact") or {}).get("data") or {}
    return str(contact.get("id") or "")


def customer_record(resource: dict[str, Any], mode: str) -> ErpCustomer:
    a = resource["attributes"]
    addresses = ()
    if _text(a.get("address")).strip():  # a city alone is no address to deliver to
        addresses = (
            ErpAddress(
                code="FATURA",
                name=_text(a.get("name")).strip(),
                line1=_text(a.get("address")).strip(),
                city=_text(a.get("city")).strip(),
                kind="billing",
                district=_text(a.get("district")).strip(),
                postal_code=_text(a.get("postal_code")).strip(),
                phone=_text(a.get("phone")).strip(),
                is_default=True,
            ),
        )
    return ErpCustomer(
        code=contact_code(resource, mode),
        title=_text(a.get("name")).strip(),
        tax_number=_text(a.get("tax_number")).strip(),
        tax_office=_text(a.get("tax_office")).strip(),
        email=_text(a.get("email")).strip(),
        phone=_text(a.get("phone")).strip(),
        # Paraşüt has one list price per product: every customer buys from the lira list.
        price_list_code=price_list_code("TRY"),
        active=not a.get("archived"),
        addresses=addresses,
        updated_at=as_datetime(a.get("updated_at")),
        ibans=(_text(a.get("iban")).strip(),) if _text(a.get("iban")).strip() else (),
    )


def balance_records(resource: dict[str, Any], mode: str) -> list[ErpBalance]:
    """The contact's ``balance`` (Paraşüt's total, in TRY) as the dealer's one balance; the portal keeps one balance
    per dealer, so the per-currency ``trl_balance``/``usd_balance``… are not imported on their own."""
    a = resource["attributes"]
    total = a.get("balance") if a.get("balance") is not None else a.get("trl_balance")
    return [ErpBalance(contact_code(resource, mode), as_decimal(total) or Decimal(0), currency="TRY")]


def e_document_uuid(document: Any, resource: dict[str, Any]) -> str:
    for item in document.related(resource, "active_e_document"):
        return _text(item["attributes"].get("uuid"))
    return ""


def invoice_number(resource: dict[str, Any]) -> str:
    return _text(resource["attributes"].get("invoice_no")) or f"{NO_CODE}{resource['id']}"


def invoice_document(document: Any, resource: dict[str, Any], mode: str) -> ErpDocument:
    a = resource["attributes"]
    kind = DocumentKind.CREDIT_MEMO if a.get("item_type") == "refund" else DocumentKind.INVOICE
    return ErpDocument(
        kind=kind,
        number=invoice_number(resource),
        customer_code=invoice_customer(document, resource, mode),
        issued_on=as_date(a.get("issue_date")),
        order_reference=_text(a.get("order_no")),
        currency=currency(a.get("currency")),
        net=as_decimal(a.get("before_taxes_total")),
        vat=as_decimal(a.get("total_vat")),
        gross=as_decimal(a.get("net_total")),
        due_on=as_date(a.get("due_date")),
        e_invoice_uuid=e_document_uuid(document, resource),
        updated_at=as_datetime(a.get("updated_at")),
        lines=invoice_lines(document, resource),
    )


def invoice_lines(document: Any, resource: dict[str, Any]) -> tuple[ErpDocumentLine, ...] | None:
    """The invoice's ``details``, in their order. The line's net is quantity times unit price less its discount (a
    percentage, or an amount off the line), as Paraşüt defines them; Paraşüt totals VAT per invoice, so a line carries
    its rate, not a VAT amount. A sales invoice cannot include the details' products (the API's ``include`` stops at
    the details), so a line has no item code: its text is the detail's description. None when the details were not
    included."""
    if "details" not in (resource.get("relationships") or {}):
        return None
    lines = []
    for number_, detail in enumerate(document.related(resource, "details"), 1):
        a = detail["attributes"]
        quantity = as_decimal(a.get("quantity")) or Decimal(0)
        price = as_decimal(a.get("unit_price"))
        off, percent = Decimal(0), None
        value = as_decimal(a.get("discount_value")) or Decimal(0)
        if a.get("discount_type") == "percentage":
            percent = value
            off = (quantity * (price or 0) * value / 100) if value else Decimal(0)
        elif value:
            off = value
        net = None if price is None else (quantity * price - off).quantize(Decimal("0.01"), ROUND_HALF_UP)
        lines.append(
            ErpDocumentLine(
                line_no=number_,
                quantity=quantity,
                description=_text(a.get("description")).strip(),
                unit_price=price,
                discount_percent=percent,
                vat_rate=as_decimal(a.get("vat_rate")),
                net=net,
            )
        )
    return tuple(lines)


def ledger_entries(document: Any, resource: dict[str, Any], mode: str) -> list[ErpLedgerEntry]:
    """The invoice on its customer's account and each of its collections."""
    a = resource["attributes"]
    contact = invoice_customer(document, resource, mode)
    refund = a.get("item_type") == "refund"
    total = as_decimal(a.get("net_total")) or Decimal(0)
    code = currency(a.get("currency"))
    number_ = invoice_number(resource)
    entries = [
        ErpLedgerEntry(
            entry_id=f"inv:{resource['id']}",
            customer_code=contact,
            posted_on=as_date(a.get("issue_date")),
            kind=LedgerKind.CREDIT_MEMO if refund else LedgerKind.INVOICE,
            amount=-total if refund else total,
            currency=code,
            document_number=number_,
            due_on=as_date(a.get("due_date")),
            description=_text(a.get("description")),
            open_amount=-(as_decimal(a.get("remaining")) or Decimal(0)) if refund else as_decimal(a.get("remaining")),
            updated_at=as_datetime(a.get("updated_at")),
        )
    ]
    for payment in document.related(resource, "payments"):
        p = payment["attributes"]
        amount = as_decimal(p.get("amount")) or Decimal(0)
        entries.append(
            ErpLedgerEntry(
                entry_id=f"pay:{payment['id']}",
                customer_code=contact,
                posted_on=as_date(p.get("date")),
                kind=LedgerKind.REFUND if refund else LedgerKind.COLLECTION,
                amount=amount if refund else -amount,
                currency=currency(p.get("currency") or a.get("currency")),
                document_number=number_,
                description=_text(p.get("notes")),
                open_amount=None,
                updated_at=as_datetime(p.get("updated_at")),
            )
        )
    return entries


def order_ack(reference: str, kind: str, resource: dict[str, Any]) -> ErpOrderAck:
    """The ack of an invoice or offer made from an order; ``document_id`` names the kind (``sales_invoices/12``)."""
    a = resource["attributes"]
    cancelled = a.get("item_type") == "cancelled" or a.get("status") == "rejected"
    number_ = invoice_number(resource) if kind == "sales_invoices" else f"{NO_CODE}{resource['id']}"
    state = ErpOrderState.CANCELLED if cancelled else ErpOrderState.OPEN
    return ErpOrderAck(reference, f"{kind}/{resource['id']}", number_, state)
