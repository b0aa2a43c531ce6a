"""``ParasutAdapter``: Paraşüt's API v4 (JSON:API over HTTPS, OAuth2), composed of its transport (``session``),
reads (``reads``) and writes (``writes``); the translation lives in ``mapping``, the settings in ``settings``."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from erpsync.adapters.base import Capability, ConnectionCheck, ErpAdapter, ErpError
from erpsync.adapters.parasut.reads import ParasutReads
from erpsync.adapters.parasut.session import ParasutSession
from erpsync.adapters.parasut.settings import ParasutSettings, oauth_credentials
from erpsync.adapters.parasut.webhooks import ParasutWebhooks
from erpsync.adapters.parasut.writes import ParasutWrites

logger = logging.getLogger(__name__)


class ParasutAdapter(ParasutWebhooks, ParasutReads, ParasutWrites, ParasutSession, ErpAdapter):
    """Paraşüt, one company per connection. See ``erpsync.adapters.parasut.settings`` for settings.

    Refunds (``CREDIT_MEMO_PUSH``) only when the connection's ``refunds`` says the company uses refund invoices.
    Not declared: order statuses, deltas (Paraşüt has no change filter),
    live look-ups (each would spend the company's rate budget while a dealer waits)."""

    key = "parasut"
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
            Capability.DOCUMENTS,
            Capability.LEDGER,
            Capability.ORDER_PUSH,
            Capability.ORDER_LOOKUP,
            Capability.ORDER_CANCEL,
            Capability.PAYMENT_PUSH,
            Capability.CREDIT_MEMO_PUSH,
        }
    )
    # Paraşüt has shipment documents but no link from them to the invoices or orders: deliveries are not read.
    readable = {entity: need for entity, need in ErpAdapter.readable.items() if entity != "delivery"}
    settings_class = ParasutSettings
    # The company's rate budget is the bottleneck, not parallel work.
    outbox_concurrency = 1

    def __init__(self, *, settings: Mapping[str, Any] | None = None, credentials: Mapping[str, str] | None = None):
        super().__init__(settings=settings, credentials=credentials)
        options = self.options
        self.oauth = oauth_credentials(self.credentials)
        self.company_id = options.company_id
        self.token_url = options.base_url + "oauth/token"
        self.api_url = f"{options.base_url}v4/{options.company_id}/"
        self.customer_code = options.customer_code
        self.order_document = options.order_document
        self.invoice_item_type = options.invoice_item_type
        self.payment_accounts = options.payment_accounts
        self.stock_mode = options.stock_mode
        self.stock_warehouse = options.stock_warehouse
        if self.stock_mode == "total" and not self.stock_warehouse:
            raise ImproperlyConfigured("Paraşüt adapter: stock_mode 'total' needs a stock_warehouse.")
        self.timeout = options.timeout_seconds
        self.page_size = options.page_size
        self.rate_limit = options.rate_limit
        self.rate_window = float(options.rate_window_seconds)
        self.throttle_retries = options.throttle_retries
        self.read_retries = options.read_retries
        self.lookback_days = float(options.lookback_days)
        self.lookup_pages = options.lookup_pages
        self._open_session()

    @classmethod
    def connection_capabilities(cls, common, options) -> frozenset[Capability]:
        """Refunds only with ``refunds`` on."""
        return cls.capabilities if options.refunds else cls.capabilities - {Capability.CREDIT_MEMO_PUSH}

    def test_connection(self) -> ConnectionCheck:
        try:
            self._call("GET", "warehouses", query={"page[size]": 1})
        except (ErpError, ImproperlyConfigured) as exc:
            return ConnectionCheck(False, f"Paraşüt is not usable: {exc}", {"company_id": self.company_id})
        except Exception as exc:  # never raise from a check: the reason is what the operator needs
            logger.exception("Paraşüt connection check failed")
            return ConnectionCheck(False, f"Paraşüt check failed: {type(exc).__name__}: {exc}")
        return ConnectionCheck(
            True, f"Connected to Paraşüt company {self.company_id}.", {"company_id": self.company_id}
        )
