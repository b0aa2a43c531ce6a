"""Pure translations between Tryton's records (as the REST API returns them) and the contract's records.

Codes: products by their code, customers (parties) by their code, warehouses by their location code, units by
their symbol, price lists and payment terms by their Tryton id, currencies by ISO code.

Ledger (the customer's account movements): the lines of posted journal entries on receivable accounts that name a
party with a code (``aml:<line id>``), debit less credit in the company currency, dated as their entry, due on their
maturity date. What they are comes from their origin: the lines to pay of a customer invoice or credit note carry its
number; a payment of an invoice, a cash journal's line, a bank statement or a payment is a collection (a refund when
it raises what the customer owes); an opening entry (journal of type situation) an opening; the rest (cancellations,
write-offs, entries keyed in by hand) an adjustment. Open: nothing on a reconciled line; on an invoice's lines to
pay, what its payment lines have not covered yet (earliest maturity first), and nothing on those payment lines; the
whole line otherwise. Draft entries are left out (Tryton's receivable counts them, so the two differ while drafts
exist).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from erpsync.adapters.base import (
    ErpAck,
    ErpAddress,
    ErpBalance,
    ErpCustomer,
    ErpDocumentLine,
    ErpLedgerEntry,
    ErpOrderAck,
    ErpOrderState,
    ErpProduct,
    ErpProductUnit,
    LedgerKind,
)
from erpsync.adapters.http import number as _number
from erpsync.adapters.http import text as _text

STATE_RANK = {"draft": 0, "quotation": 1, "confirmed": 2, "processing": 3, "done": 4}
# The customer reference of a sale that is a portal quote, before the quote reference (``quote:Q2026-000012-2``).
QUOTE_MARK = "quote:"
# Origins of journal entries that are money received from (or paid back to) a customer.
PAYMENT_ORIGINS = frozenset({"account.statement", "account.statement.line", "account.payment"})


def as_decimal(value: Any) -> Decimal | None:
    return _number(value, "Tryton")


def nested(row: Mapping[str, Any] | None, *path: str) -> Any:
    """``row[a][b]…`` where any step may be missing or None (a Many2One left empty)."""
    value: Any = row
    for step in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(step)
    return value


def latest(*stamps: datetime | None) -> datetime | None:
    present = [stamp for stamp in stamps if stamp is not None]
    return max(present) if present else None


def vat_rate(taxes: Iterable[Mapping[str, Any]] | None) -> Decimal | None:
    """The VAT rate in percent of a product's customer taxes (Tryton keeps rates as fractions: 0.20 → 20).
    None when the product has no account category; a fixed-amount tax makes the rate unknowable, so None too."""
    if taxes is None:
        return None
    total = Decimal(0)
    for tax in taxes:
        if tax.get("type", "percentage") != "percentage":
            return None
        total += as_decimal(tax.get("rate")) or Decimal(0)
    return as_decimal(total * 100)


def order_state(sale: Mapping[str, Any]) -> ErpOrderState:
    """A sale's progress as the portal understands it.

    ``processing`` means Tryton has created the shipments: the sale can no longer be cancelled as a whole, so it is
    "allocated" (the point of no return) until goods leave; then shipped, and invoiced once an invoice is posted
    and nothing is left to ship."""
    state = sale.get("state")
    if state == "cancelled":
        return ErpOrderState.CANCELLED
    if state == "done":
        return ErpOrderState.CLOSED
    if state != "processing":
        return ErpOrderState.OPEN
    shipment_state = sale.get("shipment_state")
    invoiced = sale.get("invoice_state") in ("awaiting payment", "partially paid", "paid")
    if shipment_state in ("sent", "none") and invoiced:
        return ErpOrderState.INVOICED
    if shipment_state == "sent":
        return ErpOrderState.SHIPPED
    if shipment_state == "partially shipped":
        return ErpOrderState.PARTIALLY_SHIPPED
    return ErpOrderState.ALLOCATED


def street_lines(street: str) -> tuple[str, str]:
    lines = [line.strip() for line in (street or "").splitlines() if line.strip()]
    return (lines[0] if lines else ""), ", ".join(lines[1:])


def receipt_ack(reference: str, row: Mapping[str, Any]) -> ErpAck:
    return ErpAck(reference, str(row["id"]), _text(row.get("number")))


def many2one_id(value: Any) -> Any:
    """A Many2One's id, read plain (an int) or with nested fields (a dict)."""
    return value.get("id") if isinstance(value, Mapping) else value


def signed(value: Any, sign: int) -> Decimal | None:
    number = as_decimal(value)
    return None if number is None else number * sign


def sale_ack(reference: str, sale: Mapping[str, Any], target: str) -> ErpOrderAck:
    """The ack of a sale; ``complete`` is false while it has not reached ``target`` (an attempt stopped half-way)."""
    state = sale.get("state")
    complete = state == "cancelled" or STATE_RANK.get(state, 0) >= STATE_RANK[target]
    return ErpOrderAck(reference, str(sale["id"]), _text(sale.get("number")), order_state(sale), complete=complete)


def is_quote(reference: str | None) -> bool:
    """Whether a sale's customer reference marks a portal quote (an offer, never a portal order)."""
    return bool(reference) and reference.startswith(QUOTE_MARK)


def quote_ack(reference: str, sale: Mapping[str, Any]) -> ErpOrderAck:
    """The ack of a quote's sale: open while a draft or quotation (``complete`` once quoted), cancelled, or closed
    once Tryton's staff confirmed it (an order there now, no longer an open offer)."""
    state = sale.get("state")
    if state == "cancelled":
        erp_state = ErpOrderState.CANCELLED
    elif state in ("draft", "quotation"):
        erp_state = ErpOrderState.OPEN
    else:
        erp_state = ErpOrderState.CLOSED
    return ErpOrderAck(reference, str(sale["id"]), _text(sale.get("number")), erp_state, complete=state != "draft")


def product_record(row: Mapping[str, Any]) -> ErpProduct:
    default_unit = _text(nested(row, "default_uom", "symbol"))
    sale_unit = _text(nested(row, "sale_uom", "symbol"))
    units: tuple[ErpProductUnit, ...] = ()
    if sale_unit and sale_unit != default_unit:
        base = as_decimal(nested(row, "default_uom", "factor")) or Decimal(1)
        factor = as_decimal((as_decimal(nested(row, "sale_uom", "factor")) or Decimal(1)) / base)
        units = (ErpProductUnit(sale_unit, factor),)
    category = row.get("account_category")
    barcodes = [i.get("code") for i in row.get("identifiers") or [] if i.get("type") == "ean" and i.get("code")]
    active = bool(row.get("active")) and bool(nested(row, "template", "active") if row.get("template") else True)
    return ErpProduct(
        code=row["code"],
        name=_text(row.get("name")),
        unit=default_unit,
        vat_rate=vat_rate(category.get("customer_taxes_used")) if isinstance(category, Mapping) else None,
        barcode=barcodes[0] if barcodes else "",
        description=_text(row.get("description")),
        active=active and bool(row.get("salable")),
        units=units,
        updated_at=latest(row.get("last_modified_at"), nested(row, "template", "last_modified_at")),
    )


def customer_record(row: Mapping[str, Any], currency: str) -> ErpCustomer:
    identifiers = [i.get("code") for i in row.get("identifiers") or [] if i.get("code")]
    tax_number = nested(row, "tax_identifier", "code") or (identifiers[0] if identifiers else "")
    addresses = sorted(
        (a for a in row.get("addresses") or [] if a.get("active", True)),
        key=lambda a: (a.get("sequence") or 0, a["id"]),
    )
    default = next((a["id"] for a in addresses if a.get("delivery")), addresses[0]["id"] if addresses else None)
    return ErpCustomer(
        code=row["code"],
        title=_text(row.get("name")),
        tax_number=_text(tax_number),
        email=_text(row.get("email")),
        phone=_text(row.get("phone")),
        currency=_text(nested(row, "customer_currency", "code")) or currency,
        price_list_code=_text(row.get("sale_price_list")),
        payment_terms_code=_text(row.get("customer_payment_term")),
        active=bool(row.get("active")),
        addresses=tuple(address_record(a, a["id"] == default) for a in addresses),
        updated_at=row.get("last_modified_at"),
    )


def address_record(row: Mapping[str, Any], is_default: bool) -> ErpAddress:
    line1, line2 = street_lines(_text(row.get("street")))
    invoice_only = row.get("invoice") and not row.get("delivery")
    return ErpAddress(
        code=str(row["id"]),
        name=_text(row.get("party_name")),
        line1=line1,
        line2=line2,
        city=_text(row.get("city")),
        kind="billing" if invoice_only else "shipping",
        postal_code=_text(row.get("postal_code")),
        country=_text(nested(row, "country", "code")) or "TR",
        is_default=is_default,
    )


def reference_of(value: Any) -> tuple[str, int | None]:
    """A Reference field's value (``"model,id"``) as its model and id."""
    if isinstance(value, (list, tuple)) and len(value) == 2:
        model, ident = value
    else:
        model, _comma, ident = _text(value).partition(",")
    try:
        return _text(model), int(ident)
    except (TypeError, ValueError):
        return _text(model), None


def invoice_of(row: Mapping[str, Any]) -> int | None:
    """The invoice a move line's entry comes from, when it does."""
    model, ident = reference_of(row.get("move_origin"))
    return ident if model == "account.invoice" else None


def line_amount(line: Mapping[str, Any]) -> Decimal:
    return (as_decimal(line.get("debit")) or Decimal(0)) - (as_decimal(line.get("credit")) or Decimal(0))


class OpenItems:
    """A customer invoice or credit note as its lines to pay stand: the payment lines added to it and not reconciled
    yet are set against its open lines, earliest maturity first; what they do not cover stays open on them."""

    def __init__(self, row: Mapping[str, Any]) -> None:
        self.number = _text(row.get("number"))
        self.credit_note = (as_decimal(row.get("total_amount")) or Decimal(0)) < 0
        due = [line for line in row.get("lines_to_pay") or [] if isinstance(line, Mapping)]
        payments = [line for line in row.get("payment_lines") or [] if isinstance(line, Mapping)]
        self.to_pay = {line["id"] for line in due}
        self.open: dict[int, Decimal] = {}
        left = sum((line_amount(line) for line in payments if not line.get("reconciliation")), Decimal(0))
        for line in sorted(due, key=lambda line: (line.get("maturity_date") or date.max, line["id"])):
            amount = Decimal(0) if line.get("reconciliation") else line_amount(line)
            if amount and left and (amount > 0) != (left > 0):
                sign = 1 if amount > 0 else -1
                taken = min(abs(amount), abs(left))
                amount -= sign * taken
                left += sign * taken
            self.open[line["id"]] = amount
        # Paid beyond what the invoice owes: the rest stays open on its payment lines, first line first.
        for line in payments:
            amount = Decimal(0) if line.get("reconciliation") else line_amount(line)
            share = min(abs(amount), abs(left)) if amount and left and (amount > 0) == (left > 0) else Decimal(0)
            self.open[line["id"]] = share if amount > 0 else -share
            left -= self.open[line["id"]]


def ledger_record(row: Mapping[str, Any], invoices: Mapping[int, OpenItems], currency: str) -> ErpLedgerEntry:
    """One receivable line as a movement on the customer's account (see the module documentation)."""
    amount = line_amount(row)
    model, _ident = reference_of(row.get("move_origin"))
    invoice = invoices.get(invoice_of(row) or 0)
    paid = invoices.get(many2one_id(row.get("invoice_payment")) or 0)
    journal = nested(row, "move", "journal", "type")
    number = _text(nested(row, "move", "number"))
    if invoice is not None and row["id"] in invoice.to_pay:
        kind = LedgerKind.CREDIT_MEMO if invoice.credit_note else LedgerKind.INVOICE
        number = invoice.number or number
    elif paid is not None or invoice is not None or model in PAYMENT_ORIGINS or journal == "cash":
        kind = LedgerKind.COLLECTION if amount <= 0 else LedgerKind.REFUND
    elif journal == "situation":
        kind = LedgerKind.OPENING
    else:
        kind = LedgerKind.ADJUSTMENT
    if (kind == LedgerKind.INVOICE and amount < 0) or (kind == LedgerKind.CREDIT_MEMO and amount > 0):
        kind = LedgerKind.ADJUSTMENT  # a line against the document's own direction
    if row.get("reconciliation"):
        open_amount = Decimal(0)
    else:
        items = invoice if invoice is not None and row["id"] in invoice.open else paid
        open_amount = items.open[row["id"]] if items is not None and row["id"] in items.open else amount
    return ErpLedgerEntry(
        entry_id=f"aml:{row['id']}",
        customer_code=_text(nested(row, "party", "code")),
        posted_on=nested(row, "move", "date"),
        kind=kind,
        amount=amount,
        currency=currency,
        document_number=number,
        due_on=row.get("maturity_date"),
        description=(_text(row.get("description")) or _text(nested(row, "move", "description")))[:255],
        open_amount=open_amount,
        updated_at=row.get("last_modified_at"),
    )


def balance_record(row: Mapping[str, Any], currency: str, as_of: datetime) -> ErpBalance:
    return ErpBalance(row["code"], as_decimal(row.get("receivable")) or Decimal(0), currency, as_of=as_of)


def sale_line_of(value: Any) -> int | None:
    """The ``sale.line`` id a document line or stock move came from (its ``origin``), when it did."""
    model, ident = reference_of(value)
    return ident if model == "sale.line" else None


def invoice_line_record(
    row: Mapping[str, Any], number: int, sign: int, order_lines: Mapping[int, int]
) -> ErpDocumentLine:
    """An ``account.invoice.line`` of type "line": Tryton gives a credit note's quantities and amounts negative,
    ``sign`` turns them positive. The line's VAT amount is not a field in Tryton (taxes are computed per invoice),
    so only the rate is given."""
    taxes = row.get("taxes") or []
    return ErpDocumentLine(
        line_no=number,
        quantity=signed(row.get("quantity"), sign) or Decimal(0),
        product_code=_text(nested(row, "product", "code")),
        description=" ".join(_text(row.get("description")).split())[:255],
        unit=_text(nested(row, "unit", "symbol")),
        unit_price=as_decimal(row.get("unit_price")),
        vat_rate=vat_rate(taxes) if taxes else Decimal(0),
        net=signed(row.get("amount"), sign),
        order_line_no=order_lines.get(sale_line_of(row.get("origin"))),
    )


def move_line_record(row: Mapping[str, Any], number: int, order_lines: Mapping[int, int]) -> ErpDocumentLine:
    """An outgoing ``stock.move`` of a customer shipment: what left the warehouse."""
    return ErpDocumentLine(
        line_no=number,
        quantity=as_decimal(row.get("quantity")) or Decimal(0),
        product_code=_text(nested(row, "product", "code")),
        description=_text(nested(row, "product", "name"))[:255],
        unit=_text(nested(row, "unit", "symbol")),
        order_line_no=order_lines.get(sale_line_of(row.get("origin"))),
    )
