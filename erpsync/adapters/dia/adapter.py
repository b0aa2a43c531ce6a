"""``DiaAdapter``: DİA's web service API v3 (JSON over HTTPS), composed of its transport (``session``), reads
(``reads``) and writes (``writes``); the translation lives in ``mapping``, the settings in ``settings``."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from erpsync.adapters.base import Capability, ConnectionCheck, ErpAdapter, ErpError
from erpsync.adapters.dia.mapping import PRICE_CARD_COLUMNS
from erpsync.adapters.dia.reads import ENTITIES, DiaReads
from erpsync.adapters.dia.session import DiaSession
from erpsync.adapters.dia.settings import DiaSettings, dia_credentials
from erpsync.adapters.dia.writes import DiaWrites

logger = logging.getLogger(__name__)


class DiaAdapter(DiaReads, DiaWrites, DiaSession, ErpAdapter):
    """DİA, one company and period per connection. See ``erpsync.adapters.dia.settings`` for settings.

    Every call costs kontör: reads are list calls with only the columns needed, pages of ``page_size`` and ``_date``
    filters; there are no live look-ups (each would cost a call while a dealer waits). New dealers become customer
    cards (``scf_carikart_ekle``). Not built: credit limits (DİA's risk field is not documented), credit memos
    (return invoices), quotes."""

    key = "dia"
    capabilities = frozenset(
        {
            Capability.UNITS,
            Capability.PRODUCTS,
            Capability.WAREHOUSES,
            Capability.STOCK,
            Capability.PRICE_LISTS,
            Capability.PRICES,
            Capability.CUSTOMER_PRICES,
            Capability.CUSTOMERS,
            Capability.BALANCES,
            Capability.ORDER_STATUS,
            Capability.DOCUMENTS,
            Capability.LEDGER,
            Capability.ORDER_PUSH,
            Capability.ORDER_LOOKUP,
            Capability.ORDER_CANCEL,
            Capability.PAYMENT_PUSH,
            Capability.CUSTOMER_PUSH,
            Capability.DELTA,
        }
    )
    # Credit memos are documents too, but DİA's return invoices are not read yet.
    readable = {entity: need for entity, need in ErpAdapter.readable.items() if entity in ENTITIES}
    settings_class = DiaSettings
    # Kontör, not parallel work, is what DİA's traffic costs; orders go one after another.
    outbox_concurrency = 1

    def __init__(self, *, settings: Mapping[str, Any] | None = None, credentials: Mapping[str, str] | None = None):
        super().__init__(settings=settings, credentials=credentials)
        o = self.options
        self.login = dia_credentials(self.credentials)
        self.base_url = o.base_url
        self.firma_kodu, self.donem_kodu = o.firma_kodu, o.donem_kodu
        self.session_minutes = o.session_minutes
        self.disconnect_same_user = o.disconnect_same_user
        self.credit_per_call = o.credit_per_call
        self.page_size = o.page_size
        self.timeout = o.timeout_seconds
        self.read_retries = o.read_retries
        self.zone = o.timezone
        self.reference_field = o.order_reference_field
        self.order_branch, self.order_depot = o.order_branch, o.order_depot
        self.cancel_mode, self.cancel_status = o.cancel_mode, o.cancel_status
        self.collection_service = o.collection_service
        self.collection_slip_types = o.collection_slip_types
        self.bank_account, self.card_payment_plan, self.cash_box = o.bank_account, o.card_payment_plan, o.cash_box
        self.price_slots = o.price_slots
        bad_slots = sorted(slot for slot in self.price_slots if slot not in {str(n) for n in range(1, 11)})
        if bad_slots:
            raise ImproperlyConfigured(f"DİA adapter: price_slots are 1 to 10, not {', '.join(bad_slots)}.")
        self.price_cards = o.price_cards
        unknown = sorted(set(o.price_card_columns) - set(PRICE_CARD_COLUMNS))
        if unknown:
            raise ImproperlyConfigured(f"DİA adapter: price_card_columns has no key {', '.join(unknown)}.")
        self.card_columns = {**PRICE_CARD_COLUMNS, **o.price_card_columns}
        self.customer_price_list = o.customer_price_list
        self.sellable_kinds = o.sellable_kinds
        self.stock_mode, self.stock_field, self.stock_warehouse = o.stock_mode, o.stock_field, o.stock_warehouse
        if self.stock_mode == "card" and not self.stock_warehouse:
            raise ImproperlyConfigured("DİA adapter: stock_mode 'card' needs a stock_warehouse.")
        self.unsellable_warehouses = o.unsellable_warehouses
        self.ledger_customers = o.ledger_customers
        self.lookback_days = float(o.lookback_days)
        self.business_texts = tuple(o.business_texts)
        self._open_session()

    def test_connection(self) -> ConnectionCheck:
        try:
            firma, donem = self.company()
            balance = self._call("sis", "sis_kontor_sorgula", {}).get("result")
        except (ErpError, ImproperlyConfigured) as exc:
            return ConnectionCheck(False, f"DİA is not usable: {exc}", {"base_url": self.base_url})
        except Exception as exc:  # never raise from a check: the reason is what the operator needs
            logger.exception("DİA connection check failed")
            return ConnectionCheck(False, f"DİA check failed: {type(exc).__name__}: {exc}")
        left = balance.get("kontor") if isinstance(balance, dict) else balance
        return ConnectionCheck(
            True,
            f"Connected to DİA company {firma}, period {donem}; kontör left: {left if left is not None else '?'}.",
            {"firma_kodu": firma, "donem_kodu": donem, "kontor": str(left)},
        )
