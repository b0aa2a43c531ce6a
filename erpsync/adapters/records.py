"""The plain typed records adapters exchange with the sync engine: read from the ERP (ERP → portal) and
written to it (portal → ERP). Frozen dataclasses, no behaviour: importers and exporters map them to models."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

# --- Records: ERP → portal ----------------------------------------------------------------------------------
# Codes are the ERP's own (item code, unit code, warehouse code, customer code); the importers translate units,
# tax codes, warehouses, currencies and carriers through ValueMap before they look them up in the portal.


@dataclass(frozen=True, slots=True)
class ErpUnit:
    code: str
    name: str = ""
    name_en: str = ""
    decimals: int = 0


@dataclass(frozen=True, slots=True)
class ErpCategory:
    code: str
    name: str
    name_en: str = ""
    parent_code: str = ""
    active: bool = True


@dataclass(frozen=True, slots=True)
class ErpBrand:
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class ErpProductUnit:
    """A pack the product is sold or counted in: ``factor`` base units per pack."""

    unit: str
    factor: Decimal
    barcode: str = ""
    sellable: bool = True


# Why the ERP holds a product back: not sold at all, outside its validity period, frozen (blocked) for now.
INACTIVE_REASONS = ("not_sold", "outside_validity", "frozen")


@dataclass(frozen=True, slots=True)
class ErpProduct:
    code: str
    name: str
    unit: str
    name_en: str = ""
    vat_rate: Decimal | None = None
    tax_code: str = ""
    barcode: str = ""
    category_code: str = ""
    brand_code: str = ""
    description: str = ""
    description_en: str = ""
    min_order_qty: Decimal | None = None
    order_multiple: Decimal | None = None
    batch_managed: bool = False
    active: bool = True
    units: tuple[ErpProductUnit, ...] = ()
    updated_at: datetime | None = None
    # Why an inactive product is inactive, one of ``INACTIVE_REASONS`` ("": passive in the ERP).
    inactive_reason: str = ""


class MediaKind(enum.StrEnum):
    IMAGE = "image"
    DOCUMENT = "document"


@dataclass(frozen=True, slots=True)
class ErpProductMedia:
    """A picture or a document of a product as the ERP holds it. ``key`` names it for good within the ERP (a file
    name, an attachment id): the same key again replaces it. ``content`` is the file's bytes as received, checked by
    the portal before anything is stored; ``None`` with ``removed`` says the ERP no longer has it; ``untold`` says
    the ERP's record of the item did not say (a field absent from its answer): the portal keeps what it has, even
    in a complete feed. ``position``
    orders pictures (1 first); ``document_kind`` is datasheet, manual, certificate or other; ``error`` says why the ERP
    could not hand the file out."""

    product_code: str
    kind: MediaKind
    key: str
    content: bytes | None = field(default=None, repr=False)
    position: int = 1
    title: str = ""
    language: str = ""
    document_kind: str = "other"
    removed: bool = False
    untold: bool = False
    source: str = ""  # where it was read from, for the issue a bad file opens
    error: str = ""  # the ERP could not hand the file out: why (the portal refuses the record with it)


@dataclass(frozen=True, slots=True)
class ErpWarehouse:
    code: str
    name: str
    sellable: bool = True
    active: bool = True


@dataclass(frozen=True, slots=True)
class ErpStock:
    """Stock of one item in one warehouse, in the item's base unit."""

    product_code: str
    warehouse_code: str
    on_hand: Decimal
    committed: Decimal = Decimal("0")
    as_of: datetime | None = None


@dataclass(frozen=True, slots=True)
class ErpPriceList:
    code: str
    name: str
    currency: str = "TRY"
    vat_included: bool = False
    valid_from: date | None = None
    valid_to: date | None = None
    supersedes: str = ""
    active: bool = True


@dataclass(frozen=True, slots=True)
class ErpPrice:
    """One price on a list. ``unit`` empty: per base unit; ``min_quantity`` above 1: a quantity break.
    ``currency`` empty: the list's; another currency than the list's is refused (never read as the list's)."""

    price_list_code: str
    product_code: str
    price: Decimal
    unit: str = ""
    min_quantity: Decimal = Decimal("1")
    currency: str = ""


@dataclass(frozen=True, slots=True)
class ErpCustomerPrice:
    """A customer's own price (``kind`` "fixed_price") or discount % ("discount") on exactly one of an item,
    a category or a brand. ``code`` is the ERP's key for the agreement."""

    code: str
    customer_code: str
    kind: str
    value: Decimal
    product_code: str = ""
    category_code: str = ""
    brand_code: str = ""
    currency: str = ""
    min_quantity: Decimal = Decimal("1")
    valid_from: date | None = None
    valid_to: date | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class ErpAddress:
    code: str
    name: str
    line1: str
    city: str
    kind: str = "shipping"
    line2: str = ""
    district: str = ""
    postal_code: str = ""
    country: str = "TR"
    phone: str = ""
    is_default: bool = False


@dataclass(frozen=True, slots=True)
class ErpCustomer:
    code: str
    title: str
    tax_number: str
    tax_office: str = ""
    email: str = ""
    phone: str = ""
    currency: str = "TRY"
    price_list_code: str = ""
    payment_terms_code: str = ""
    payment_terms_days: int | None = None
    sales_rep_code: str = ""
    sales_rep_name: str = ""
    parent_code: str = ""
    active: bool = True
    addresses: tuple[ErpAddress, ...] = ()
    updated_at: datetime | None = None
    # The customer's bank accounts the ERP knows: incoming transfers from them are matched to the dealer.
    ibans: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ErpBalance:
    """The customer's account balance (positive: the customer owes) and orders accepted but not yet invoiced."""

    customer_code: str
    balance: Decimal
    currency: str = "TRY"
    open_orders: Decimal | None = None
    as_of: datetime | None = None


@dataclass(frozen=True, slots=True)
class ErpCredit:
    customer_code: str
    credit_limit: Decimal
    hold: bool = False
    hold_reason: str = ""
    as_of: datetime | None = None


class ErpOrderState(enum.StrEnum):
    """An ERP document's state as the portal understands it. Adapters translate their own codes to these."""

    OPEN = "open"
    ALLOCATED = "allocated"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    INVOICED = "invoiced"
    CLOSED = "closed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class ErpOrderStatus:
    """What the ERP says about an order it holds; ``reference`` is the portal order number."""

    reference: str
    state: ErpOrderState
    document_number: str = ""
    document_id: str = ""
    updated_at: datetime | None = None
    note: str = ""


class DocumentKind(enum.StrEnum):
    DELIVERY = "delivery"
    INVOICE = "invoice"
    CREDIT_MEMO = "credit_memo"


@dataclass(frozen=True, slots=True)
class ErpDocumentLine:
    """One line of a delivery note, invoice or credit memo, as the ERP wrote it. ``product_code`` is the ERP's item
    code ('' for a text or service line without one); ``order_line_no`` the portal order's line it came from, when
    the ERP carries the link. Amounts are net, in the document's currency (``currency`` '' : the document's; another
    one is refused). Quantities of a credit memo are positive."""

    line_no: int
    quantity: Decimal
    product_code: str = ""
    description: str = ""
    unit: str = ""
    unit_price: Decimal | None = None
    discount_percent: Decimal | None = None
    vat_rate: Decimal | None = None
    net: Decimal | None = None
    vat: Decimal | None = None
    currency: str = ""
    order_line_no: int | None = None


@dataclass(frozen=True, slots=True)
class ErpDocument:
    """A delivery note, invoice or credit memo. ``order_reference`` ties it to a portal order when known.

    ``lines``: None when the ERP said nothing about the lines (the portal keeps those it has); a tuple, possibly
    empty, replaces them."""

    kind: DocumentKind
    number: str
    customer_code: str
    issued_on: date
    order_reference: str = ""
    currency: str = "TRY"
    net: Decimal | None = None
    vat: Decimal | None = None
    gross: Decimal | None = None
    due_on: date | None = None
    carrier: str = ""
    tracking_number: str = ""
    tracking_url: str = ""
    e_invoice_uuid: str = ""
    related_number: str = ""
    updated_at: datetime | None = None
    lines: tuple[ErpDocumentLine, ...] | None = None


class LedgerKind(enum.StrEnum):
    OPENING = "opening"
    INVOICE = "invoice"
    CREDIT_MEMO = "credit_memo"
    COLLECTION = "collection"
    REFUND = "refund"
    ADJUSTMENT = "adjustment"


@dataclass(frozen=True, slots=True)
class ErpLedgerEntry:
    """One movement on a customer's account (cari hesap hareketi), in the account's currency.

    ``amount`` is signed from the company's side: positive when the customer owes more (invoice, opening debit,
    refund paid out), negative when less (collection, credit memo). ``entry_id`` is the ERP's own id of the
    movement (journal line), stable across reads. ``open_amount``: what is still unpaid of a debit (or unapplied
    of a credit) when the ERP tracks open items; None when it does not say."""

    entry_id: str
    customer_code: str
    posted_on: date
    kind: str
    amount: Decimal
    currency: str = "TRY"
    document_number: str = ""
    due_on: date | None = None
    description: str = ""
    open_amount: Decimal | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ErpOpenOrder:
    """An order the ERP holds as open (not cancelled, not fully invoiced or closed): what drift detection compares
    with the portal's open orders. ``reference`` is the portal order number the ERP carries ('' for an order
    entered in the ERP itself)."""

    document_number: str
    customer_code: str
    reference: str = ""
    gross: Decimal | None = None
    currency: str = "TRY"


# --- Records: portal → ERP ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ErpOrderLine:
    line_no: int
    product_code: str
    quantity: Decimal
    unit: str
    unit_price: Decimal
    vat_rate: Decimal
    currency: str = "TRY"
    description: str = ""
    # The list price per unit before the dealer's discount, when the price came from a percentage agreement:
    # an ERP that keeps discounts on the line gets list price and percentage; ``unit_price`` stays what the dealer
    # pays (net, per unit).
    list_price: Decimal | None = None
    discount_percent: Decimal = Decimal("0")


@dataclass(frozen=True, slots=True)
class ErpOrder:
    """An approved portal order. ``reference`` (the portal order number) is the ERP-side key that keeps the
    export idempotent."""

    reference: str
    customer_code: str
    ordered_on: date
    currency: str
    payment_method: str
    lines: tuple[ErpOrderLine, ...]
    net: Decimal
    vat: Decimal
    gross: Decimal
    po_number: str = ""
    requested_on: date | None = None
    delivery_address_code: str = ""
    delivery_address: str = ""
    note: str = ""
    paid: bool = False
    # The ERP's code of the dealer's sales representative (plasiyer), when the dealer has one.
    sales_rep_code: str = ""


@dataclass(frozen=True, slots=True)
class ErpQuote:
    """A quote version sent to a dealer. ``reference`` (the portal quote number and version, ``Q2026-000012-2``)
    is the ERP-side key that keeps the export idempotent; each version sent is its own ERP quote."""

    reference: str
    customer_code: str
    quoted_on: date
    valid_until: date
    currency: str
    lines: tuple[ErpOrderLine, ...]
    net: Decimal
    vat: Decimal
    gross: Decimal
    terms: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class ErpOrderAck:
    """The ERP's document for an order: its internal id and the number people see.

    ``complete`` is false when the ERP holds the document but an earlier push stopped before finishing it (an ERP
    whose documents go through several steps, e.g. created as a draft, then quoted): the exporter then pushes the
    order again, and the adapter finishes the document it finds instead of creating another."""

    reference: str
    document_id: str
    document_number: str = ""
    state: ErpOrderState = ErpOrderState.OPEN
    complete: bool = True


@dataclass(frozen=True, slots=True)
class ErpCancel:
    reference: str
    document_id: str = ""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ErpPayment:
    """A collection on the customer's account (card payment, matched transfer). ``reference`` is the portal's."""

    reference: str
    customer_code: str
    amount: Decimal
    currency: str
    received_on: date
    method: str
    description: str = ""
    order_reference: str = ""
    # ERP invoice numbers the payment settles, in order; what is left over stays on account.
    invoice_numbers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ErpCreditMemo:
    reference: str
    customer_code: str
    amount: Decimal
    currency: str
    issued_on: date
    invoice_number: str = ""
    order_reference: str = ""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class ErpShipTo:
    """A delivery address of a customer the portal's staff approved, for the ERP's ship-to addresses.
    ``reference`` (``ship-to:<portal id>``) keeps the export idempotent; ``name`` is unique per customer in the
    portal's export (the ERP keys ship-to addresses by name)."""

    reference: str
    customer_code: str
    name: str
    line1: str
    city: str
    line2: str = ""
    district: str = ""
    postal_code: str = ""
    country: str = "TR"
    phone: str = ""


@dataclass(frozen=True, slots=True)
class ErpNewCustomer:
    """A dealer registered in the portal and confirmed by staff, to be created as the ERP's customer account
    (``Capability.CUSTOMER_PUSH``).

    ``code`` is the account code the portal proposes (the dealer's code) and the key the export looks the customer up
    by before every create, so a retry never makes a second account. ``reference`` (``dealer:<portal id>``) names the
    change in the outbox. ``address`` is the billing address, when the dealer has one; ``currency`` the account's
    currency (ISO code, mapped through the value map); ``payment_terms_code`` and ``sales_rep_code`` the ERP's codes
    as the portal knows them (empty: the ERP's default)."""

    reference: str
    code: str
    title: str
    tax_number: str
    tax_office: str = ""
    email: str = ""
    phone: str = ""
    currency: str = "TRY"
    payment_terms_code: str = ""
    sales_rep_code: str = ""
    address: ErpAddress | None = None


@dataclass(frozen=True, slots=True)
class ErpAck:
    """The ERP's receipt for a payment, credit memo or cancellation."""

    reference: str
    document_id: str
    document_number: str = ""


@dataclass(frozen=True, slots=True)
class ConnectionCheck:
    ok: bool
    message: str
    details: Mapping[str, Any] = field(default_factory=dict)
