"""The adapter contract: what every ERP adapter offers the sync engine, and in what shape.

An adapter talks to one ERP and nothing else. It never touches the portal's models: it reads the ERP into
the plain records of ``erpsync.adapters.records`` and writes records back. The importers and exporters
(``erpsync.importers``, ``erpsync.exporters``) map records to models, keep the binder and open issues. The records
and the errors (``erpsync.adapters.errors``) are part of the contract, and importable from here.

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
from datetime import datetime
from typing import Any, ClassVar

from erpsync.adapters.errors import (
    ErpError,
    FeedError,
    OutcomeUnknownError,
    PermanentError,
    RetryableError,
)
from erpsync.adapters.records import (
    ConnectionCheck,
    DocumentKind,
    ErpAck,
    ErpAddress,
    ErpBalance,
    ErpBrand,
    ErpCancel,
    ErpCategory,
    ErpCredit,
    ErpCreditMemo,
    ErpCustomer,
    ErpCustomerPrice,
    ErpDocument,
    ErpDocumentLine,
    ErpLedgerEntry,
    ErpNewCustomer,
    ErpOpenOrder,
    ErpOrder,
    ErpOrderAck,
    ErpOrderLine,
    ErpOrderState,
    ErpOrderStatus,
    ErpPayment,
    ErpPrice,
    ErpPriceList,
    ErpProduct,
    ErpProductMedia,
    ErpProductUnit,
    ErpQuote,
    ErpShipTo,
    ErpStock,
    ErpUnit,
    ErpWarehouse,
    LedgerKind,
    MediaKind,
)
from erpsync.common_settings import adapter_settings_parse
from erpsync.connection_settings import Settings

# The contract's records and errors are part of it: importers, exporters and adapters take them from here.
__all__ = [
    "Capability",
    "ConnectionCheck",
    "DocumentKind",
    "ErpAck",
    "ErpAdapter",
    "ErpAddress",
    "ErpBalance",
    "ErpBrand",
    "ErpCancel",
    "ErpCategory",
    "ErpCredit",
    "ErpCreditMemo",
    "ErpCustomer",
    "ErpCustomerPrice",
    "ErpDocument",
    "ErpDocumentLine",
    "ErpError",
    "ErpLedgerEntry",
    "ErpNewCustomer",
    "ErpOpenOrder",
    "ErpOrder",
    "ErpOrderAck",
    "ErpOrderLine",
    "ErpOrderState",
    "ErpOrderStatus",
    "ErpPayment",
    "ErpPrice",
    "ErpPriceList",
    "ErpProduct",
    "ErpProductMedia",
    "ErpProductUnit",
    "ErpQuote",
    "ErpShipTo",
    "ErpStock",
    "ErpUnit",
    "ErpWarehouse",
    "Feed",
    "FeedError",
    "LedgerKind",
    "MediaKind",
    "OutcomeUnknownError",
    "PermanentError",
    "RetryableError",
]


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
    QUOTES = "quotes"  # quote_push, quote_lookup and quote_cancel
    PRODUCT_MEDIA = "product_media"  # pictures (and documents, where the ERP keeps them) of products
    SHIP_TO = "ship_to"  # ship_to_lookup and ship_to_push: a customer's delivery address created in the ERP
    CUSTOMER_PUSH = "customer_push"  # customer_lookup and customer_push: a new dealer created as the ERP's customer


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

    def line_digests(self, salt: bytes) -> Iterator[int] | None:
        """A digest of each record's raw text, in feed order, found without parsing the records (keyed with
        ``salt``); None when the feed cannot tell them (then ``records`` is read as usual)."""
        return None

    def line_records(self, salt: bytes, keep: bytearray | None) -> Iterator[tuple[int, Any]]:
        """(digest, record) of the records whose number (their place in ``line_digests``) is set in ``keep``, all
        when None. Only for feeds whose ``line_digests`` is not None; may be called more than once."""
        raise NotImplementedError

    def acknowledge(self, summary: Mapping[str, Any]) -> None:
        """The feed was applied (or, in a dry run, checked). Adapters move files, remember pages…"""

    def reject(self, error: Exception) -> None:
        """The feed was refused as a whole."""

    def refuse_record(self, record: Any, reason: str) -> None:
        """One record of the feed was refused (the rest applied); a file-per-record feed sets that file aside."""


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
        "product_media": Capability.PRODUCT_MEDIA,
    }

    def __init__(self, *, settings: Mapping[str, Any] | None = None, credentials: Mapping[str, str] | None = None):
        self.settings = dict(settings or {})
        self.credentials = dict(credentials or {})
        self.common, self.options = adapter_settings_parse(type(self), self.settings)
        self.capabilities = type(self).connection_capabilities(self.common, self.options)

    @classmethod
    def connection_capabilities(cls, common: Any, options: Settings | None) -> frozenset[Capability]:
        """What a connection of this adapter can do with its parsed settings (``common``, ``options``): the class's
        ``capabilities`` narrowed by what the settings switch off. Reads the settings only, never the ERP, so the
        outbox can ask inside the caller's transaction (``erpsync.adapters.capabilities_for``). An adapter whose
        settings narrow what it does overrides it; it never adds a capability the class does not declare."""
        return cls.capabilities

    def supports(self, capability: Capability) -> bool:
        return capability in self.capabilities

    # --- read-only SQL checks (erpsync.sqlchecks) ---
    # The kinds (``stock``, ``risk``) the adapter ships a default statement for: a connection with the live source
    # ``sql`` and no statement of its own uses the adapter's.
    sql_check_kinds: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def sql_check_statements(cls, settings: Mapping[str, Any] | None, dialect: str) -> dict[str, str]:
        """The default statements by kind for a connection with ``settings`` and a database of ``dialect``."""
        return {}

    @classmethod
    def sql_check_url(cls, settings: Mapping[str, Any] | None, credentials: Mapping[str, str]) -> str:
        """The database URL the checks use when the connection's credentials name none of its own (``_SQL_URL``)."""
        return ""

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

    def read_keys(self, entity: str, keys: Iterable[str]) -> Iterator[Feed]:
        """Feeds (changes only, no watermark) of just the records of ``entity`` the ERP's ids ``keys`` name: what a
        webhook said changed. Adapters that take webhooks implement it."""
        raise NotImplementedError

    @classmethod
    def refuse_unreadable(cls, entity: str, reads: Iterable[str], *, who: str) -> None:
        """Refuse with ``ValueError`` an entity the contract does not know, or one this adapter (``who``) does not
        read among ``reads``."""
        if entity not in ErpAdapter.readable:
            raise ValueError(f"Unknown entity {entity!r}; the {who} adapter reads {', '.join(reads)}.")
        if entity not in reads:
            raise ValueError(f"The {who} adapter cannot read {entity!r}; it reads {', '.join(reads)}.")

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

    def quote_lookup(self, reference: str) -> ErpOrderAck | None:
        """The ERP's quote document carrying ``reference``, or None (``Capability.QUOTES``)."""
        raise NotImplementedError

    def quote_push(self, quote: ErpQuote) -> ErpOrderAck:
        """Create the quote document (``Capability.QUOTES``)."""
        raise NotImplementedError

    def quote_cancel(self, cancel: ErpCancel) -> ErpAck:
        """Cancel (close) the quote document (``Capability.QUOTES``)."""
        raise NotImplementedError

    def ship_to_lookup(self, ship_to: ErpShipTo) -> ErpAck | None:
        """The ERP's ship-to address of ``ship_to.customer_code`` named ``ship_to.name``, or None
        (``Capability.SHIP_TO``)."""
        raise NotImplementedError

    def ship_to_push(self, ship_to: ErpShipTo) -> ErpAck:
        """Add the ship-to address to the customer in the ERP (``Capability.SHIP_TO``). ``document_id`` of the
        answer is the ERP's code of the address."""
        raise NotImplementedError

    def customer_lookup(self, code: str) -> ErpAck | None:
        """The ERP's customer account with the code ``code``, or None (``Capability.CUSTOMER_PUSH``).

        ``document_id`` of the answer is the ERP's own code of the account (what the portal binds the dealer to),
        ``document_number`` its internal number when it has one (Logo's ``LOGICALREF``), else empty. An account
        the ERP keeps as passive or blocked is found all the same: it exists, and creating it again would make a
        second one. ``reference`` is ``code``."""
        raise NotImplementedError

    def customer_push(self, customer: ErpNewCustomer) -> ErpAck:
        """Create the customer account ``customer`` (``Capability.CUSTOMER_PUSH``); answers like ``customer_lookup``
        (``reference`` is ``customer.reference``).

        The exporter has looked ``customer.code`` up just before, and looks it up again after an
        ``OutcomeUnknownError``; the push itself answers the account the ERP holds under ``customer.code``
        instead of creating a second one (the contract suite checks it). A code or tax number the ERP refuses
        raises ``PermanentError`` (staff fix the dealer and retry); an ERP that numbers accounts itself answers
        its own code, which the portal binds to the dealer instead of the proposed one."""
        raise NotImplementedError

    def payment_lookup(self, reference: str) -> ErpAck | None:
        raise NotImplementedError

    def payment_push(self, payment: ErpPayment) -> ErpAck:
        raise NotImplementedError

    def credit_memo_lookup(self, reference: str) -> ErpAck | None:
        raise NotImplementedError

    def credit_memo_push(self, memo: ErpCreditMemo) -> ErpAck:
        raise NotImplementedError
