"""Importers (ERP → portal), one per entity, and ``sync_import`` which runs them."""

from functools import partial

from erpsync.importers import engine
from erpsync.importers.accounts import BalanceImporter, CreditImporter, CustomerImporter
from erpsync.importers.catalog import BrandImporter, CategoryImporter, ProductImporter, UnitImporter
from erpsync.importers.documents import DocumentImporter, OrderStatusImporter
from erpsync.importers.engine import ImportRefused
from erpsync.importers.ledger import LedgerImporter
from erpsync.importers.media import ProductMediaImporter
from erpsync.importers.prices import AgreementImporter, PriceImporter, PriceListImporter
from erpsync.importers.stock import StockImporter, WarehouseImporter

# In dependency order: an entity's importer finds what the ones before it created. Each feed gets a fresh
# importer (they hold per-feed state).
IMPORTERS = {
    "unit": UnitImporter,
    "category": CategoryImporter,
    "brand": BrandImporter,
    "warehouse": WarehouseImporter,
    "product": ProductImporter,
    "product_media": ProductMediaImporter,
    "stock": StockImporter,
    "price_list": PriceListImporter,
    "price": PriceImporter,
    "customer": CustomerImporter,
    "agreement": AgreementImporter,
    "balance": BalanceImporter,
    "credit": CreditImporter,
    "order_status": OrderStatusImporter,
    "delivery": partial(DocumentImporter, "delivery"),
    "invoice": partial(DocumentImporter, "invoice"),
    "credit_memo": partial(DocumentImporter, "credit_memo"),
    "ledger": LedgerImporter,
}


def sync_import(**kwargs):
    """Import an entity with its importer from ``IMPORTERS``; see ``erpsync.importers.engine.sync_import``."""
    return engine.sync_import(importers=IMPORTERS, **kwargs)


__all__ = ["IMPORTERS", "ImportRefused", "sync_import"]
