"""``TrytonAdapter``: a Tryton server through its REST API (``/<database>/rest/model/<model>``) over HTTP(S).

The adapter is composed of its transport (``session``), its reads (``reads``) and its writes (``writes``); the
translation of Tryton's records lives in ``mapping`` and the connection settings in ``settings``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from django.core.exceptions import ImproperlyConfigured

from erpsync.adapters.base import Capability, ConnectionCheck, ErpAdapter, ErpError
from erpsync.adapters.tryton.reads import TrytonReads
from erpsync.adapters.tryton.session import TrytonSession
from erpsync.adapters.tryton.settings import TrytonSettings, api_key
from erpsync.adapters.tryton.writes import TrytonWrites

logger = logging.getLogger(__name__)


class TrytonAdapter(TrytonReads, TrytonWrites, TrytonSession, ErpAdapter):
    """Tryton through its REST API. See ``erpsync.adapters.tryton.settings`` for settings."""

    key = "tryton"
    settings_class = TrytonSettings
    capabilities = frozenset(
        {
            Capability.UNITS,
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
            Capability.ORDER_STATUS,
            Capability.DOCUMENTS,
            Capability.LIVE_STOCK,
            Capability.LIVE_BALANCE,
            Capability.PAYMENT_PUSH,
            Capability.LEDGER,
            Capability.OPEN_ORDERS,
            Capability.QUOTES,
            Capability.PRODUCT_MEDIA,
            Capability.SHIP_TO,
        }
    )

    def __init__(self, *, settings: Mapping[str, Any] | None = None, credentials: Mapping[str, str] | None = None):
        super().__init__(settings=settings, credentials=credentials)
        self._configure(self.options)
        self.api_key = api_key(self.credentials)
        self._open_session()

    def _configure(self, options: TrytonSettings) -> None:
        """The parsed settings as the parts of the adapter use them (see ``settings``)."""
        self.database = options.database
        self.rest_url = f"{options.base_url}{quote(self.database)}/rest/"
        self.verify_tls = options.verify_tls
        self.timeout = options.timeout_seconds
        self.page_size = options.page_size
        self.order_state = options.order_state
        self.sellable_warehouses = options.sellable_warehouses
        self.order_warehouse = options.order_warehouse
        self.reference_prefix = options.reference_prefix
        self.payment_journal = options.payment_journal
        self.payment_account = options.payment_account

    def test_connection(self) -> ConnectionCheck:
        details = {"database": self.database}
        try:
            company = self.company()
            list(self.search("stock.location", [["type", "=", "warehouse"]], ["code"]))
        except (ErpError, ImproperlyConfigured) as exc:
            return ConnectionCheck(False, f"Tryton is not usable: {exc}", details)
        except Exception as exc:  # never raise from a check: the reason is what the operator needs
            logger.exception("Tryton connection check failed")
            return ConnectionCheck(False, f"Tryton check failed: {type(exc).__name__}: {exc}", details)
        details["company"] = company["id"]
        return ConnectionCheck(
            True, f"Connected to Tryton database {self.database} (company {company['id']}).", details
        )
