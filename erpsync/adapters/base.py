"""The adapter contract: what every ERP adapter offers the sync engine, and in what shape.

An adapter talks to one ERP and nothing else. It never touches the portal's models: it reads the ERP into
the plain records below and writes records back. The importers and exporters (``erpsync.importers``,
``erpsync.exporters``) map records to models, keep the binder and open issues.

Errors at the boundary are one of three kinds, so the engine knows what to do next:

- ``RetryableError``: try again later (timeout before sending, 5xx, 429 with ``retry_after``, session expired,
  record locked by an ERP user).
- ``OutcomeUnknownError``: the request went out and no answer came back: the ERP may have applied it. The
  exporter looks the reference up before it tries again.
- ``PermanentError``: the ERP refused the content (validation, unknown code). Retrying the same content
  fails the same way; a human fixes the data first.

Inbound data arrives as ``Feed`` objects: one per file, page set or snapshot. A feed is applied whole or not at
all: if reading it raises ``FeedError`` half-way, nothing from it stays applied.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from erpsync.common_settings import adapter_settings_parse
from erpsync.connection_settings import Settings


class Capability(enum.StrEnum):
    """What an adapter can do. The engine asks before it calls; an unsupported call is never made."""

    PRODUCTS = "products"
    UNITS = "units"
    CATEGORIES = "categories"
    BRANDS = "brands"
    WAREHOUSES = "warehouses"
    STOCK = "stock"
    PRICE_LISTS = "price_lists"
    PRICES = "prices"
    CUSTOMER_PRICES = "customer_prices"
    CUSTOMERS = "customers"
    BALANCES = "balances"
    CREDIT = "credit"
    ORDER_PUSH = "order_push"
    ORDER_CANCEL = "order_cancel"
    ORDER_LOOKUP = "order_lookup"
    ORDER_STATUS = "order_status"
    DOCUMENTS = "documents"
    LEDGER = "ledger"
    OPEN_ORDERS = "open_orders"
    PAYMENT_PUSH = "payment_push"
    CREDIT_MEMO_PUSH = "credit_memo_push"
    DELTA = "delta"
    LIVE_STOCK = "live_stock"
    LIVE_BALANCE = "live_balance"


# --- Errors ----------------------------------------------------------------------------------------------


class ErpError(Exception):
    """Something went wrong talking to the ERP. ``code`` is the ERP's own error code when it gave one."""

    retryable: ClassVar[bool] = False

    def __init__(self, message: str, *, code: str = "", details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.details = dict(details or {})


class RetryableError(ErpError):
    """Temporary: the same request may succeed later. ``retry_after`` (seconds) when the ERP said when."""

    retryable = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class OutcomeUnknownError(RetryableError):
    """The request was sent and may have been applied (a timeout after sending, a dropped connection).
    Before trying again, the exporter looks the reference up."""


class PermanentError(ErpError):
    """The ERP refused the content; the same request will fail again until the data changes."""


class FeedError(Exception):
    """An inbound feed cannot be read as a whole (malformed file, wrong encoding, missing column, too big).
    Nothing from the feed is applied. ``line`` and ``column`` point at the first fault when known."""

    def __init__(self, message: str, *, source: str = "", line: int | None = None, column: str | int | None = None):
        super().__init__(message)
        self.message = message
        self.source = source
        self.line = line
        self.column = column

    def __str__(self) -> str:
        where = [self.source] if self.source else []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column not in (None, ""):
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


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
    """One price on a list. ``unit`` empty: per base unit; ``min_quantity`` above 1: a quantity break."""

    price_list_code: str
    product_code: str
    price: Decimal
    unit: str = ""
    min_quantity: Decimal = Decimal("1")


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
class ErpDocument:
    """A delivery note, invoice or credit memo. ``order_reference`` ties it to a portal order when known."""

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


# --- Feeds ---------------------------------------------------------------------------------------------------


@dataclass
class Feed:
    """One unit of inbound data, applied whole or not at all.

    ``records`` is read once, lazily; it may raise ``FeedError``. ``complete`` says the feed is a full snapshot
    of its entity (records missing from it are deactivated); otherwise it holds changes only. ``watermark``
    is the ERP's time the next delta starts from, once this feed is applied. ``digest`` identifies the
    feed's content when the adapter can tell it (a file's hash): a feed seen and applied before is skipped.
    The engine calls ``acknowledge`` after it committed the feed and ``reject`` when it refused it.
    """

    entity: str
    source: str
    records: Iterable[Any]
    complete: bool = False
    watermark: datetime | None = None
    digest: str = ""
    scope: Mapping[str, Any] = field(default_factory=dict)

    def acknowledge(self, summary: Mapping[str, Any]) -> None:
        """The feed was applied (or, in a dry run, checked). Adapters move files, remember pages…"""

    def reject(self, error: Exception) -> None:
        """The feed was refused as a whole."""


# --- The adapter ----------------------------------------------------------------------------------------------


class ErpAdapter:
    """Base class of every adapter. Subclasses set ``key`` and ``capabilities`` and implement what they declare.

    ``settings`` is the connection's settings (JSON from ``ErpConnection.settings``); ``credentials`` what
    ``credentials_ref`` resolved to. Neither is ever logged. The settings are parsed once, when the adapter is
    made: ``common`` holds those of every connection (``erpsync.common_settings``), ``options`` the adapter's own,
    declared by ``settings_class`` (None: it has none). A wrong value refuses the adapter, naming every problem.
    """

    key: ClassVar[str] = ""
    settings_class: ClassVar[type[Settings] | None] = None
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    # Entity name (erpsync.models.Entity values) → the capability that reading it needs.
    readable: ClassVar[Mapping[str, Capability]] = {
        "unit": Capability.UNITS,
        "category": Capability.CATEGORIES,
        "brand": Capability.BRANDS,
        "product": Capability.PRODUCTS,
        "warehouse": Capability.WAREHOUSES,
        "stock": Capability.STOCK,
        "price_list": Capability.PRICE_LISTS,
        "price": Capability.PRICES,
        "agreement": Capability.CUSTOMER_PRICES,
        "customer": Capability.CUSTOMERS,
        "balance": Capability.BALANCES,
        "credit": Capability.CREDIT,
        "order_status": Capability.ORDER_STATUS,
        "delivery": Capability.DOCUMENTS,
        "invoice": Capability.DOCUMENTS,
        "credit_memo": Capability.DOCUMENTS,
        "ledger": Capability.LEDGER,
    }

    def __init__(self, *, settings: Mapping[str, Any] | None = None, credentials: Mapping[str, str] | None = None):
        self.settings = dict(settings or {})
        self.credentials = dict(credentials or {})
        self.common, self.options = adapter_settings_parse(type(self), self.settings)

    def supports(self, capability: Capability) -> bool:
        return capability in self.capabilities

    def can_read(self, entity: str) -> bool:
        capability = self.readable.get(entity)
        return capability is not None and self.supports(capability)

    def close(self) -> None:
        """Release sessions and connections. Safe to call twice."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- checks ---
    def test_connection(self) -> ConnectionCheck:
        raise NotImplementedError

    # --- reading ---
    def read(self, entity: str, *, since: datetime | None = None, full: bool = False) -> Iterator[Feed]:
        """Feeds of ``entity``: changes since ``since`` when the adapter supports deltas and ``full`` is off,
        else a full snapshot."""
        raise NotImplementedError

    def live_stock(self, product_codes: Iterable[str]) -> list[ErpStock]:
        raise NotImplementedError

    def live_balance(self, customer_code: str) -> ErpBalance:
        raise NotImplementedError

    def open_orders(self) -> Iterator[ErpOpenOrder]:
        """Every order the ERP holds open now (``Capability.OPEN_ORDERS``)."""
        raise NotImplementedError

    # --- writing ---
    def order_lookup(self, reference: str) -> ErpOrderAck | None:
        """The ERP's document carrying ``reference``, or None when the ERP has none."""
        raise NotImplementedError

    def order_push(self, order: ErpOrder) -> ErpOrderAck:
        raise NotImplementedError

    def order_cancel(self, cancel: ErpCancel) -> ErpAck:
        raise NotImplementedError

    def payment_lookup(self, reference: str) -> ErpAck | None:
        raise NotImplementedError

    def payment_push(self, payment: ErpPayment) -> ErpAck:
        raise NotImplementedError

    def credit_memo_lookup(self, reference: str) -> ErpAck | None:
        raise NotImplementedError

    def credit_memo_push(self, memo: ErpCreditMemo) -> ErpAck:
        raise NotImplementedError
