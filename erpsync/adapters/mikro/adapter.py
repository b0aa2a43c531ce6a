"""``MikroAdapter``: Mikro (v15, v16, v17) at the database level, composed of its session (``session``, over the
``dialect`` of the database URL), reads (``reads``) and writes (``writes``); the translation lives in ``mapping``,
the settings in ``settings``."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote, urlsplit

from erpsync.adapters.base import Capability, ConnectionCheck, ErpAdapter, ErpError
from erpsync.adapters.mikro import checks
from erpsync.adapters.mikro.dialect import dialect_for
from erpsync.adapters.mikro.reads import ENTITIES, MikroReads
from erpsync.adapters.mikro.session import MikroSession
from erpsync.adapters.mikro.settings import MikroSettings, login
from erpsync.adapters.mikro.writes import MikroWrites

logger = logging.getLogger(__name__)
WRITES = frozenset({Capability.ORDER_PUSH, Capability.ORDER_LOOKUP, Capability.ORDER_CANCEL, Capability.PAYMENT_PUSH})


class MikroAdapter(MikroReads, MikroWrites, MikroSession, ErpAdapter):
    """One Mikro company database per connection. See ``erpsync.adapters.mikro.settings`` for settings.

    Reads are SELECTs over Mikro's tables and its functions ``fn_VergiYuzde``, ``fn_DepodakiMiktar`` and
    ``fn_CariHesapAnaDovizBakiye``; orders are ``SIPARISLER`` rows written in one transaction; collections ledger rows
    when ``write_collections`` is on; nothing is written when ``read_only`` is on. Credit (holds from
    ``cari_cari_kilitli_flg``) only when ``credit_limit_column`` names the installation's limit column. Not built:
    delivery notes and invoices, quotes, new customers, Mikro's HTTP API."""

    key = "mikro"
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
            Capability.LEDGER,
            Capability.OPEN_ORDERS,
            Capability.LIVE_STOCK,
            Capability.LIVE_BALANCE,
            Capability.DELTA,
            *WRITES,
        }
    )
    readable = {entity: need for entity, need in ErpAdapter.readable.items() if entity in ENTITIES}
    settings_class = MikroSettings

    def __init__(self, *, settings: Mapping[str, Any] | None = None, credentials: Mapping[str, str] | None = None):
        super().__init__(settings=settings, credentials=credentials)
        options = self.options
        self.login = login(self.credentials)
        self.database_url = options.database_url
        self.database_name = unquote(urlsplit(options.database_url).path.lstrip("/"))
        self.dialect = dialect_for(options.database_url)
        self.version = options.version
        self.read_only = options.read_only
        self.firm_no, self.branch_no, self.user_no = options.firm_no, options.branch_no, options.user_no
        self.order_series = options.order_series
        self.reference_column = options.reference_column
        self.order_warehouse = options.order_warehouse
        self.order_fileid = options.order_fileid
        self.db_cno = options.db_cno
        self.collection_series = options.collection_series
        self.collection_document_type = options.collection_document_type
        self.stock_source = options.stock_source
        self.committed = options.committed
        self.vat_pointer = options.vat_pointer
        self.sold_kinds = frozenset(options.sold_kinds)
        self.price_warehouse = options.price_warehouse
        self.unsellable_warehouses = options.unsellable_warehouses
        self.currencies = options.currencies
        self.credit_limit_column = options.credit_limit_column
        self.zone = options.timezone
        self.page_size = options.page_size
        self.timeout = options.timeout_seconds
        self.lock_timeout = options.lock_timeout_seconds
        self.lookback_days = float(options.lookback_days)
        self.entities = ENTITIES
        if not self.credit_limit_column:
            self.entities = tuple(entity for entity in ENTITIES if entity != "credit")
        self._open_session()

    @classmethod
    def connection_capabilities(cls, common, options) -> frozenset[Capability]:
        """Credit only with a ``credit_limit_column``; no writes but the order look-up when ``read_only``, no
        collections without ``write_collections``."""
        capabilities = set(cls.capabilities)
        if not options.credit_limit_column:
            capabilities.discard(Capability.CREDIT)
        if options.read_only:
            capabilities -= WRITES - {Capability.ORDER_LOOKUP}
        elif not options.write_collections:
            capabilities.discard(Capability.PAYMENT_PUSH)
        return frozenset(capabilities)

    sql_check_kinds = checks.KINDS

    @classmethod
    def sql_check_statements(cls, settings: Mapping[str, Any] | None, dialect: str) -> dict[str, str]:
        """Live stock from ``fn_DepodakiMiktar``, live risk from ``fn_CariHesapAnaDovizBakiye`` (``checks``)."""
        return checks.default_statements(settings, dialect)

    @classmethod
    def sql_check_url(cls, settings: Mapping[str, Any] | None, credentials: Mapping[str, str]) -> str:
        """The connection's own Mikro database with its login, unless ``<credentials_ref>_SQL_URL`` names another."""
        return checks.default_url(settings, credentials)

    def can_read(self, entity: str) -> bool:
        return entity in self.entities and super().can_read(entity)

    def test_connection(self) -> ConnectionCheck:
        details = {"database": self.database_name, "version": self.version, "read_only": self.read_only}
        try:
            rows = self.query(
                f"SELECT S.sto_kod FROM {self.t('STOKLAR')} S ORDER BY S.sto_kod OFFSET 0 ROWS FETCH NEXT 1 ROWS ONLY"
            )
            self.query("SELECT dbo.fn_VergiYuzde(0) AS rate")
        except ErpError as exc:
            return ConnectionCheck(False, f"Mikro is not usable: {exc}", details)
        except Exception as exc:  # never raise from a check: the reason is what the operator needs
            logger.exception("Mikro connection check failed")
            return ConnectionCheck(False, f"Mikro check failed: {type(exc).__name__}: {exc}", details)
        mode = "read-only" if self.read_only else "read and write"
        found = "items found" if rows else "no items yet"
        return ConnectionCheck(
            True, f"Connected to Mikro database {self.database_name} ({self.version}, {mode}; {found}).", details
        )


__all__ = ["MikroAdapter"]
