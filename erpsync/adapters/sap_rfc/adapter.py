"""``SapRfcAdapter``: SAP ECC / S/4HANA through RFC and BAPIs (pyrfc), composed of its sessions (``session``), reads
(``reads``) and writes (``writes``); the translation lives in ``mapping``, the settings in ``settings``, the seam to
pyrfc or the simulator in ``transport``."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from erpsync.adapters.base import Capability, ConnectionCheck, ErpAdapter, ErpError
from erpsync.adapters.sap_rfc.reads import ENTITIES, SapRfcReads
from erpsync.adapters.sap_rfc.session import SapRfcSession
from erpsync.adapters.sap_rfc.settings import SapRfcSettings, connection_parameters, locations_of
from erpsync.adapters.sap_rfc.transport import pyrfc_missing
from erpsync.adapters.sap_rfc.writes import SapRfcWrites

logger = logging.getLogger(__name__)


class SapRfcAdapter(SapRfcReads, SapRfcWrites, SapRfcSession, ErpAdapter):
    """SAP ECC or S/4HANA, one sales area per connection. See ``erpsync.adapters.sap_rfc.settings`` for settings.

    Not built: payments and credit memos (FI postings stay with SAP's own processes), quotes, ship-to addresses,
    product media, price lists (dealer prices come from SAP's pricing, per customer)."""

    key = "sap_rfc"
    capabilities = frozenset(
        {
            Capability.UNITS,
            Capability.CATEGORIES,
            Capability.WAREHOUSES,
            Capability.PRODUCTS,
            Capability.STOCK,
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
            Capability.OPEN_ORDERS,
            Capability.LIVE_STOCK,
            Capability.LIVE_BALANCE,
        }
    )
    readable = {entity: need for entity, need in ErpAdapter.readable.items() if entity in ENTITIES}
    settings_class = SapRfcSettings
    # RFC sessions are expensive: two exports at once unless the connection says otherwise.
    outbox_concurrency = 2

    def __init__(self, *, settings: Mapping[str, Any] | None = None, credentials: Mapping[str, str] | None = None):
        super().__init__(settings=settings, credentials=credentials)
        options: SapRfcSettings = self.options
        self.transport_kind = options.transport
        self.simulator_name = options.simulator
        if self.transport_kind == "simulator" and not self.simulator_name:
            raise ImproperlyConfigured("SAP RFC adapter: the simulator transport needs 'simulator' (its name).")
        self.parameters = connection_parameters(self.credentials)
        self.sales_org, self.distribution_channel, self.division = (
            options.sales_org,
            options.distribution_channel,
            options.division,
        )
        self.order_type = options.order_type
        self.company_code, self.credit_control_area = options.company_code, options.credit_control_area
        self.local_currency = options.currency
        self.item_categories = options.item_categories
        self.order_plant, self.order_storage_location = options.order_plant, options.order_storage_location
        self.to_sales_unit = options.convert_to_sales_unit
        self.price_condition = options.price_condition
        self.po_number_field = options.po_number_field
        self.lookup = options.order_lookup
        self.rejection_reason = options.rejection_reason
        self.retryable_ids = frozenset(text for text in options.retryable_messages if _is_message_id(text))
        self.retryable_pieces = tuple(
            text.casefold() for text in options.retryable_messages if not _is_message_id(text)
        )
        self.material_source = options.material_source
        self.material_types = frozenset(options.material_types)
        self.description_fields = list(options.description_fields)
        self.languages = options.languages
        self.tax_country = options.tax_country
        self.location_pairs = locations_of(options)
        self.credit_source, self.credit_probe_material = options.credit_source, options.credit_probe_material
        self.ledger_source, self.ledger_days = options.ledger_source, options.ledger_days
        self.lookback_days = options.status_lookback_days
        self.simulate_batch = options.simulate_batch
        self.page_rows = options.table_page_rows
        self.max_sessions = options.max_sessions
        self.timeout = options.timeout_seconds
        self._open_pool()

    @classmethod
    def connection_capabilities(cls, common, options) -> frozenset[Capability]:
        """Live stock and balance only with ``live_lookups`` on."""
        live = {Capability.LIVE_STOCK, Capability.LIVE_BALANCE}
        return cls.capabilities if options.live_lookups else cls.capabilities - live

    @classmethod
    def missing_requirements(cls, settings: Mapping[str, Any] | None) -> list[str]:
        """What this machine lacks for a connection with ``settings`` (the system check reports it)."""
        if (settings or {}).get("transport", "pyrfc") != "pyrfc":
            return []
        missing = pyrfc_missing()
        return [missing] if missing else []

    def test_connection(self) -> ConnectionCheck:
        details = {"sales_org": self.sales_org, "transport": self.transport_kind}
        try:
            self.ping()
        except (ErpError, ImproperlyConfigured) as exc:
            return ConnectionCheck(False, f"SAP is not usable: {exc}", details)
        except Exception as exc:  # never raise from a check: the reason is what the operator needs
            logger.exception("SAP RFC connection check failed")
            return ConnectionCheck(False, f"SAP check failed: {type(exc).__name__}: {exc}", details)
        host = self.parameters.get("ashost") or self.parameters.get("mshost") or self.simulator_name
        return ConnectionCheck(True, f"RFC_PING answered by SAP {host} client {self.parameters['client']}.", details)


def _is_message_id(text: str) -> bool:
    """``V1 042``: a message class and a three-digit number."""
    parts = text.split()
    return len(parts) == 2 and len(parts[1]) == 3 and parts[1].isdigit()
