"""``SapB1Adapter``: SAP Business One through the Service Layer (``/b1s/v1/``, OData v3-style JSON) over HTTPS.

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
from erpsync.adapters.http import flag_setting
from erpsync.adapters.http import text as _text
from erpsync.adapters.sap_b1 import settings as _settings
from erpsync.adapters.sap_b1.reads import SapB1Reads
from erpsync.adapters.sap_b1.session import SapB1Session
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
        }
    )
    # At most this many exports of one connection run at once unless the connection says otherwise.
    outbox_concurrency = 4

    def __init__(self, *, settings: Mapping[str, Any] | None = None, credentials: Mapping[str, str] | None = None):
        super().__init__(settings=settings, credentials=credentials)
        self._configure(self.settings)
        self._units: dict[int, str] | None = None  # UoM AbsEntry → code, read once per adapter
        self.username, self.password = _settings.login(self.credentials)
        self._open_session()

    def _configure(self, options: Mapping[str, Any]) -> None:
        """Every connection setting, checked in the order an operator reads them (see ``settings``)."""
        number = _settings.positive_number
        self.base_url = _settings.service_layer_url(options)
        self.company_db = _settings.company_db(options)
        self.verify_tls = flag_setting(options, "verify_tls", True, who="SAP B1")
        self.timeout = number(options, "timeout_seconds", 30)
        self.page_size = int(number(options, "page_size", 100, whole=True))
        self.delta_overlap = timedelta(seconds=number(options, "delta_overlap_seconds", 300, zero=True))
        self.zone = _settings.time_zone(options)
        self.order_warehouse = _text(options.get("order_warehouse"))
        self.vat_groups = _settings.vat_groups(options)
        self.concurrency = int(number(options, "outbox_concurrency", self.outbox_concurrency, whole=True))
        self.read_retries = int(number(options, "read_retries", 3, whole=True, zero=True))
        self.lookback = timedelta(days=number(options, "status_lookback_days", 30))
        self.payment_accounts = _settings.payment_accounts(options)
        self.payment_reference_field = _settings.payment_reference_field(options)
        self.refund_account = _text(options.get("refund_account"))
        _settings.check_flags(options)
        self.allow_batch_items = options.get("allow_batch_managed_orders", False)
        self.payment_delta = _settings.payment_delta(options)
        if not options.get("live_lookups", True):
            self.capabilities = self.capabilities - {Capability.LIVE_STOCK, Capability.LIVE_BALANCE}

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
