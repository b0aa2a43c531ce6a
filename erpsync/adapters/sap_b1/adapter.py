"""``SapB1Adapter``: SAP Business One through the Service Layer (``/b1s/v2/``, OData v4, or ``/b1s/v1/``) over HTTPS.

The adapter is composed of its transport (``session``), its reads (``reads``) and its writes (``writes``); the
translation of SAP's JSON lives in ``mapping`` and the connection settings in ``settings``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from erpsync.adapters.base import Capability, ConnectionCheck, ErpAdapter, ErpError
from erpsync.adapters.sap_b1.reads import SapB1Reads
from erpsync.adapters.sap_b1.session import SapB1Session
from erpsync.adapters.sap_b1.settings import SapB1Settings, login, service_root
from erpsync.adapters.sap_b1.writes import SapB1Writes

logger = logging.getLogger(__name__)


class SapB1Adapter(SapB1Reads, SapB1Writes, SapB1Session, ErpAdapter):
    """SAP Business One through the Service Layer. See ``erpsync.adapters.sap_b1.settings`` for settings."""

    key = "sap_b1"
    capabilities = frozenset(
        {
            Capability.PRODUCTS,
            Capability.WAREHOUSES,
            Capability.STOCK,
            Capability.PRICE_LISTS,
            Capability.PRICES,
            Capability.CUSTOMERS,
            Capability.BALANCES,
            Capability.CREDIT,
            Capability.DELTA,
            Capability.ORDER_PUSH,
            Capability.ORDER_LOOKUP,
            Capability.ORDER_CANCEL,
            Capability.UNITS,
            Capability.CUSTOMER_PRICES,
            Capability.ORDER_STATUS,
            Capability.DOCUMENTS,
            Capability.PAYMENT_PUSH,
            Capability.CREDIT_MEMO_PUSH,
            Capability.LIVE_STOCK,
            Capability.LIVE_BALANCE,
            Capability.LEDGER,
            Capability.OPEN_ORDERS,
            Capability.QUOTES,
            Capability.PRODUCT_MEDIA,
            Capability.SHIP_TO,
            Capability.CUSTOMER_PUSH,
        }
    )
    settings_class = SapB1Settings
    # At most this many exports of one connection run at once unless the connection says otherwise.
    outbox_concurrency = 4

    def __init__(self, *, settings: Mapping[str, Any] | None = None, credentials: Mapping[str, str] | None = None):
        super().__init__(settings=settings, credentials=credentials)
        self._configure(self.options)
        self._units: dict[int, str] | None = None  # UoM AbsEntry → code, read once per adapter
        self._local_currency: str | None = None  # the company's local currency, read once per adapter
        self.username, self.password = login(self.credentials)
        self._open_session()

    def _configure(self, options: SapB1Settings) -> None:
        """The parsed settings as the parts of the adapter use them (see ``settings``)."""
        self.base_url, self.api_version = service_root(options.base_url, options.service_layer_version)
        self.company_db = options.company_db
        self.verify_tls = options.verify_tls
        self.timeout = options.timeout_seconds
        self.page_size = options.page_size
        self.zone = options.timezone
        self.order_warehouse = options.order_warehouse
        self.customer_warehouses = options.customer_warehouses
        self.item_warehouses = options.item_warehouses
        self.vat_groups = options.vat_groups
        self.line_tax_codes = options.line_tax_codes
        self.default_vat_group = options.default_vat_group
        self.reference_field = options.reference_field
        self.po_number_field = options.po_number_field
        self.order_udfs = options.order_udfs
        self.line_udfs = options.line_udfs
        self.stock_counts_ordered = options.stock_counts_ordered
        self.retryable_codes = frozenset(text for text in options.retryable_errors if text.lstrip("-").isdigit())
        self.retryable_messages = tuple(
            text.casefold() for text in sorted(options.retryable_errors) if not text.lstrip("-").isdigit()
        )
        if self.po_number_field and self.po_number_field == self.reference_field:
            raise ImproperlyConfigured(
                f"SAP B1 adapter: 'po_number_field' and 'reference_field' are both {self.reference_field!r}; "
                "the PO needs a field of its own (put the portal number in a UDF to send the PO in NumAtCard)."
            )
        self.concurrency = self.common.outbox_concurrency
        self.read_retries = options.read_retries
        self.lookback = timedelta(days=options.status_lookback_days)
        self.payment_accounts = options.payment_accounts
        self.payment_reference_field = options.payment_reference_field or "CounterReference"
        self.refund_account = options.refund_account
        self.allow_batch_items = options.allow_batch_managed_orders
        self.payment_delta = options.payment_delta

    @classmethod
    def connection_capabilities(cls, common, options) -> frozenset[Capability]:
        """Live stock and balance only with ``live_lookups`` on."""
        live = {Capability.LIVE_STOCK, Capability.LIVE_BALANCE}
        return cls.capabilities if options.live_lookups else cls.capabilities - live

    def test_connection(self) -> ConnectionCheck:
        try:
            self._call("GET", "Warehouses", query={"$select": "WarehouseCode", "$top": "1"})
        except (ErpError, ImproperlyConfigured) as exc:
            return ConnectionCheck(False, f"SAP B1 is not usable: {exc}", {"company_db": self.company_db})
        except Exception as exc:  # never raise from a check: the reason is what the operator needs
            logger.exception("SAP B1 connection check failed")
            return ConnectionCheck(False, f"SAP B1 check failed: {type(exc).__name__}: {exc}")
        message = f"Connected to SAP B1 company {self.company_db} (Service Layer version {self.version or '?'})."
        return ConnectionCheck(True, message, {"company_db": self.company_db, "version": self.version})
