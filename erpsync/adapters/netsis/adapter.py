"""``NetsisAdapter``: Logo Netsis through NetOpenX REST, composed of its transport (``session``), reads (``reads``)
and writes (``writes``); the translation lives in ``mapping``, the settings in ``settings``."""

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
from erpsync.adapters.netsis.mapping import col, currency, dec, order_state, txt
from erpsync.adapters.netsis.reads import ENTITIES, NetsisReads
from erpsync.adapters.netsis.session import NetsisSession
from erpsync.adapters.netsis.settings import NetsisSettings, credentials_of
from erpsync.adapters.netsis.writes import NetsisWrites

logger = logging.getLogger(__name__)
OPEN_STATES = frozenset({ErpOrderState.OPEN, ErpOrderState.ALLOCATED, ErpOrderState.PARTIALLY_SHIPPED})


class NetsisAdapter(NetsisReads, NetsisWrites, NetsisSession, ErpAdapter):
    """Logo Netsis 3, one company database and branch per connection. See ``erpsync.adapters.netsis.settings``.

    Reads are NetOpenX REST lists filtered with ``q``; orders and quotes are item slips, collections bank account
    transactions or fast collection slips, new dealers customer accounts (``ARPs``). Not built yet: credit memos
    (return invoices), names of item groups and special codes (read by their codes), price lists beyond the items'
    first sale price."""

    key = "netsis"
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
            Capability.CUSTOMERS,
            Capability.BALANCES,
            Capability.CREDIT,
            Capability.ORDER_STATUS,
            Capability.DOCUMENTS,
            Capability.LEDGER,
            Capability.ORDER_PUSH,
            Capability.ORDER_LOOKUP,
            Capability.ORDER_CANCEL,
            Capability.QUOTES,
            Capability.PAYMENT_PUSH,
            Capability.CUSTOMER_PUSH,
            Capability.OPEN_ORDERS,
            Capability.LIVE_STOCK,
            Capability.LIVE_BALANCE,
            Capability.DELTA,
        }
    )
    readable = {entity: need for entity, need in ErpAdapter.readable.items() if entity in ENTITIES}
    settings_class = NetsisSettings

    def __init__(self, *, settings: Mapping[str, Any] | None = None, credentials: Mapping[str, str] | None = None):
        super().__init__(settings=settings, credentials=credentials)
        options = self.options
        self.login = credentials_of(self.credentials)
        self.base_url = options.base_url
        self.api_url = options.base_url + "api/v2/"
        self.db_name = options.db_name
        self.branch_code = options.branch_code
        self.db_type = options.db_type
        self.type_format = options.type_format
        self.numbering = options.numbering
        self.number_prefix = options.number_prefix
        self.quote_number_prefix = options.quote_number_prefix
        if self.number_prefix == self.quote_number_prefix and options.quote_type == "ftSSip":
            raise ImproperlyConfigured("Netsis adapter: quotes and orders need different number prefixes.")
        self.series = options.series
        self.reference_field = options.reference_field
        self.po_field = options.po_field
        self.order_warehouse = options.order_warehouse
        self.order_kind = options.order_kind
        self.vat_included = options.vat_included
        self.quote_type = options.quote_type
        self.payment_slip = options.payment_slip
        self.payment_accounts = options.payment_accounts
        self.unit_ratio = options.unit_ratio
        self.unsold_groups = frozenset(options.unsold_groups)
        self.customer_types = list(options.customer_types) or ["A"]
        self.currencies = options.currencies
        self.price_list = options.price_list
        self.warehouse_names = {str(code): name for code, name in options.warehouses.items()}
        self.unsellable_warehouses = frozenset(options.unsellable_warehouses)
        self.delivered_field = options.delivered_field
        self.blocked_field = options.blocked_field
        self.ledger_kinds = options.ledger_kinds
        self.retryable_codes = frozenset(options.retryable_codes)
        self.use_transactions = options.transactions
        self.zone = options.timezone
        self.timeout = options.timeout_seconds
        self.page_size = options.page_size
        self.read_retries = options.read_retries
        self.live_stock_concurrency = options.live_stock_concurrency
        self.token_lifetime = options.token_lifetime_seconds
        self.lookback_days = float(options.lookback_days)
        self.entities = ENTITIES
        self._open_session()

    @classmethod
    def connection_capabilities(cls, common, options) -> frozenset[Capability]:
        """Collections only with ``payment_accounts``."""
        return cls.capabilities if options.payment_accounts else cls.capabilities - {Capability.PAYMENT_PUSH}

    def can_read(self, entity: str) -> bool:
        return entity in self.entities and super().can_read(entity)

    def test_connection(self) -> ConnectionCheck:
        details = {"db_name": self.db_name, "branch": self.branch_code}
        try:
            self._call("POST", "Operations/Ping")
            rows = list(self.select("ARPs", fields="CARI_KOD"))
        except (ErpError, ImproperlyConfigured) as exc:
            return ConnectionCheck(False, f"Netsis is not usable: {exc}", details)
        except Exception as exc:  # never raise from a check: the reason is what the operator needs
            logger.exception("Netsis connection check failed")
            return ConnectionCheck(False, f"Netsis check failed: {type(exc).__name__}: {exc}", details)
        return ConnectionCheck(
            True, f"Connected to Netsis {self.db_name}, branch {self.branch_code} ({len(rows)} accounts).", details
        )

    # -- live look-ups ----------------------------------------------------------------------------------------------

    def live_stock(self, product_codes: Iterable[str]) -> list[ErpStock]:
        """Every warehouse balance of the items now: one ``Company/BringBalance`` per item, several in flight at once
        (``balances_of_each``). Any item's error fails the whole check (the page keeps the synced figures)."""
        now = datetime.now(UTC)
        rows = self.balances_of_each(sorted({code for code in product_codes if code}))
        return [self._stock_record(row, now) for found in rows.values() for row in found]

    def live_balance(self, customer_code: str) -> ErpBalance:
        risk = self._read("POST", "ARPs/CustomerRisk", body={"CariKod": customer_code})["Data"] or {}
        return ErpBalance(
            customer_code,
            dec(col(risk, "BAKIYE")) or Decimal(0),
            open_orders=dec(col(risk, "SIPARIS_BAKIYE")),
            as_of=datetime.now(UTC),
        )

    def open_orders(self) -> Iterator[ErpOpenOrder]:
        for slip in self.slips("ftSSip"):
            if order_state(slip, delivered_field=self.delivered_field, invoiced=set()) not in OPEN_STATES:
                continue
            header = slip.get("FatUst") or {}
            yield ErpOpenOrder(
                txt(header, "FATIRS_NO"),
                txt(header, "CARI_KOD") or txt(header, "CariKod"),
                txt(header, self.reference_field),
                dec(col(header, "GENELTOPLAM")),
                currency(col(header, "DOVIZTIP"), self.currencies),
            )
