"""``LogoAdapter``: Logo Tiger / Go through the Logo Objects REST service, composed of its transport (``session``),
reads (``reads``) and writes (``writes``); the translation lives in ``mapping``, the settings in ``settings``."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from erpsync.adapters.base import (
    Capability,
    ConnectionCheck,
    ErpAdapter,
    ErpBalance,
    ErpError,
    ErpOpenOrder,
    ErpOrderState,
    ErpStock,
)
from erpsync.adapters.http import text as _text
from erpsync.adapters.logo.mapping import as_decimal, currency, order_state
from erpsync.adapters.logo.reads import ENTITIES, LogoReads
from erpsync.adapters.logo.session import LogoSession, sql_text
from erpsync.adapters.logo.settings import ORDER_STATUSES, REFERENCE_FIELDS, LogoSettings, rest_credentials
from erpsync.adapters.logo.soap import LogoSoap
from erpsync.adapters.logo.writes import LogoWrites

logger = logging.getLogger(__name__)
OPEN_STATES = frozenset({ErpOrderState.OPEN, ErpOrderState.ALLOCATED, ErpOrderState.PARTIALLY_SHIPPED})


class LogoAdapter(LogoReads, LogoWrites, LogoSoap, LogoSession, ErpAdapter):
    """Logo Tiger / Go, one firm per connection. See ``erpsync.adapters.logo.settings`` for settings.

    Reads are SQL over Logo's tables, sent as ``queries?tsql=`` (the user needs SQL permission in Logo) or as the
    SOAP service's ``ExecQuery`` (``query_transport``); orders go through the REST resources or the SOAP service's
    ``AppendDataObject`` (``write_transport``), and so do new customer cards (``Arps`` / ``AR_APS/AR_AP``),
    collections (bank or cash slips), refunds (credit notes on the customer's account) and quotes (suggestion
    order slips marked ``quote_marker``). Credit (limits and holds) only when ``credit_limit`` names a column."""

    key = "logo"
    capabilities = frozenset(
        {
            Capability.UNITS,
            Capability.CATEGORIES,
            Capability.BRANDS,
            Capability.PRODUCTS,
            Capability.WAREHOUSES,
            Capability.STOCK,
            Capability.PRICE_LISTS,
            Capability.PRICES,
            Capability.CUSTOMER_PRICES,
            Capability.CUSTOMERS,
            Capability.BALANCES,
            Capability.CREDIT,
            Capability.ORDER_STATUS,
            Capability.DOCUMENTS,
            Capability.LEDGER,
            Capability.ORDER_PUSH,
            Capability.ORDER_LOOKUP,
            Capability.ORDER_CANCEL,
            Capability.PAYMENT_PUSH,
            Capability.CREDIT_MEMO_PUSH,
            Capability.CUSTOMER_PUSH,
            Capability.QUOTES,
            Capability.OPEN_ORDERS,
            Capability.LIVE_STOCK,
            Capability.LIVE_BALANCE,
            Capability.DELTA,
        }
    )
    readable = {entity: need for entity, need in ErpAdapter.readable.items() if entity in ENTITIES}
    settings_class = LogoSettings

    def __init__(self, *, settings: Mapping[str, Any] | None = None, credentials: Mapping[str, str] | None = None):
        super().__init__(settings=settings, credentials=credentials)
        options = self.options
        self.rest = rest_credentials(self.credentials)
        self.base_url = options.base_url
        self.api_url = options.base_url + "api/v1/"
        self.firm = options.firm
        self.period = options.period
        self.previous_period = options.previous_period
        if self.previous_period == self.period:
            raise ImproperlyConfigured("Logo adapter: previous_period must differ from period.")
        self.write_transport = options.write_transport
        self.query_transport = options.query_transport
        self.soap_url = options.soap_url.rstrip("?")
        self.security_code = self.credentials.get("security_code", "")
        if "soap" in (self.write_transport, self.query_transport) and not self.security_code:
            raise ImproperlyConfigured("Logo adapter: the SOAP transport needs 'security_code' in the credentials.")
        self.reference_field = options.reference_field
        self.reference_column = REFERENCE_FIELDS[options.reference_field]
        self.order_status = ORDER_STATUSES[options.order_status]
        self.order_warehouse = options.order_warehouse
        self.line_discounts = options.line_discounts
        self.quote_marker = options.quote_marker.strip() if options.quote_document != "none" else ""
        self.cancel_mode = options.cancel_mode
        self.payment_slips = options.payment_slips
        self.stock_table = options.stock_table
        self.committed = options.committed
        self.unsellable_warehouses = options.unsellable_warehouses
        self.sold_types = frozenset(options.sold_card_types)
        self.currencies = options.currencies
        self.price_priority = options.price_priority
        self.balance_source = options.balance_source
        self.credit_limit = options.credit_limit
        self.zone = options.timezone
        self.timeout = options.timeout_seconds
        self.page_size = options.page_size
        self.read_retries = options.read_retries
        self.token_lifetime = options.token_lifetime_seconds
        self.lookback_days = float(options.lookback_days)
        self.entities = ENTITIES
        if self.credit_limit == "none":
            self.entities = tuple(entity for entity in ENTITIES if entity != "credit")
        self._open_session()

    @classmethod
    def connection_capabilities(cls, common, options: LogoSettings) -> frozenset[Capability]:
        """Credit only with a ``credit_limit`` column, collections only with ``payment_slips``, quotes, credit notes
        and new customer cards unless their setting is ``none``."""
        off = set()
        if options.credit_limit == "none":
            off.add(Capability.CREDIT)
        if not options.payment_slips:
            off.add(Capability.PAYMENT_PUSH)
        if options.quote_document == "none":
            off.add(Capability.QUOTES)
        if options.credit_memos == "none":
            off.add(Capability.CREDIT_MEMO_PUSH)
        if options.customer_cards == "none":
            off.add(Capability.CUSTOMER_PUSH)
        return cls.capabilities - off

    def can_read(self, entity: str) -> bool:
        return entity in self.entities and super().can_read(entity)

    def test_connection(self) -> ConnectionCheck:
        details = {"firm": self.firm, "period": self.period}
        try:
            rows = self.query(f"SELECT NR, NAME FROM L_CAPIFIRM WHERE NR = {self.firm}")
        except (ErpError, ImproperlyConfigured) as exc:
            return ConnectionCheck(False, f"Logo is not usable: {exc}", details)
        except Exception as exc:  # never raise from a check: the reason is what the operator needs
            logger.exception("Logo connection check failed")
            return ConnectionCheck(False, f"Logo check failed: {type(exc).__name__}: {exc}", details)
        if not rows:
            return ConnectionCheck(False, f"Logo has no firm {self.firm}.", details)
        name = _text(rows[0].get("NAME")).strip()
        return ConnectionCheck(True, f"Connected to Logo firm {self.firm} ({name}), period {self.period}.", details)

    # -- live look-ups ----------------------------------------------------------------------------------------------

    def live_stock(self, product_codes: Iterable[str]) -> list[ErpStock]:
        codes = sorted({code for code in product_codes if code})
        if not codes:
            return []
        now = datetime.now(UTC)
        literal = ", ".join(sql_text(code) for code in codes)
        rows = self.query(self._stock_sql(literal).format(after=0))
        return [
            ErpStock(s.product_code, s.warehouse_code, s.on_hand, s.committed, as_of=now)
            for s in map(self._stock_record, rows)
        ]

    def live_balance(self, customer_code: str) -> ErpBalance:
        sql = self._balance_sql(f" AND C.CODE = {sql_text(customer_code)}").format(after=0)
        rows = self.query(sql)
        balance = as_decimal(rows[0]["BALANCE"]) if rows else Decimal(0)
        open_orders = self._open_order_values(f" AND C.CODE = {sql_text(customer_code)}")
        return ErpBalance(
            customer_code,
            balance or Decimal(0),
            open_orders=open_orders.get(customer_code, Decimal(0)),
            as_of=datetime.now(UTC),
        )

    def open_orders(self) -> Iterator[ErpOpenOrder]:
        for period in self.periods:
            for row in self.keyset(self._order_sql(period, " AND F.CANCELLED = 0")):
                if order_state(row) not in OPEN_STATES:
                    continue
                yield ErpOpenOrder(
                    _text(row["FICHENO"]).strip(),
                    _text(row.get("CLCODE")).strip(),
                    _text(row.get("REFERENCE")).strip(),
                    as_decimal(row.get("NETTOTAL")),
                    currency(row.get("TRCURR"), self.currencies),
                )
