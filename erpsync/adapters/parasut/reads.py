"""What the Paraşüt adapter reads: units (the texts products are counted in), products, their list prices (one price
list per currency), warehouses, stock per warehouse (``/product/{id}/inventory_levels``) or in total, customers
(contacts of type customer), their balance in liras, sales invoices and refunds as documents (with their
e-invoice/e-archive ids), and the customers' ledger (invoices and their collections).

Paraşüt documents no "changed since" filter: master data is read whole (``complete`` snapshots); documents and the
ledger are read newest first (``sort=-issue_date``) and the read stops at the window's start (the watermark, or
``lookback_days`` back).

A feed's records are read whole before the feed is handed over: every request takes the company's rate budget from
the database (``erpsync.rate_budget``), and the import streams a feed into the database with COPY, during which
no other query may run on its connection.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from erpsync.adapters.base import Feed
from erpsync.adapters.parasut.mapping import (
    as_date,
    balance_records,
    currency,
    customer_record,
    invoice_document,
    ledger_entries,
    price_lists,
    price_record,
    product_code,
    product_record,
    stock_record,
    unit_records,
    warehouse_record,
)
from erpsync.adapters.parasut.session import related_id

ENTITIES = (
    "unit",
    "product",
    "warehouse",
    "stock",
    "price_list",
    "price",
    "customer",
    "balance",
    "invoice",
    "credit_memo",
    "ledger",
)
WINDOW_ENTITIES = frozenset({"invoice", "credit_memo", "ledger"})


class ParasutReads:
    """The reading half of ``ParasutAdapter``."""

    def read(self, entity: str, *, since: datetime | None = None, full: bool = False) -> Iterator[Feed]:
        self.refuse_unreadable(entity, ENTITIES, who="Paraşüt")
        return self._read(entity, since=since, full=full)

    def _read(self, entity: str, *, since: datetime | None, full: bool) -> Iterator[Feed]:
        started = datetime.now(UTC)
        scope = {"company_id": self.company_id}
        if entity in WINDOW_ENTITIES:
            start = since if since is not None and not full else started - timedelta(days=self.lookback_days)
            records = list(getattr(self, f"_read_{entity}")(start))
            source = f"parasut:{self.company_id}:{entity}?since={start.date().isoformat()}"
            yield Feed(entity, source, records, complete=False, watermark=started, scope=scope)
            return
        records = list(getattr(self, f"_read_{entity}")())
        yield Feed(
            entity, f"parasut:{self.company_id}:{entity}", records, complete=True, watermark=started, scope=scope
        )

    # -- master data ------------------------------------------------------------------------------------------------

    def _products(self) -> Iterator[dict[str, Any]]:
        return (resource for _page, resource in self._pages("products", {"sort": "id"}))

    def _read_unit(self) -> list[Any]:
        return unit_records({resource["attributes"].get("unit") for resource in self._products()})

    def _read_product(self) -> Iterator[Any]:
        return (product_record(resource) for resource in self._products())

    def _read_price_list(self) -> list[Any]:
        return price_lists({currency(resource["attributes"].get("currency")) for resource in self._products()})

    def _read_price(self) -> Iterator[Any]:
        return (price for price in map(price_record, self._products()) if price is not None)

    def _read_warehouse(self) -> Iterator[Any]:
        return (warehouse_record(resource) for _page, resource in self._pages("warehouses", {"sort": "id"}))

    def _read_stock(self) -> Iterator[Any]:
        products = self._products()
        if self.stock_mode == "total":
            return (
                stock_record(product_code(resource), self.stock_warehouse, resource["attributes"].get("stock_count"))
                for resource in products
                if resource["attributes"].get("inventory_tracking")
            )
        return self._stock_by_warehouse(products)

    def _stock_by_warehouse(self, products: Iterator[dict[str, Any]]) -> Iterator[Any]:
        for product in products:
            if not product["attributes"].get("inventory_tracking"):
                continue  # a service, or stock not tracked: no levels to read
            code = product_code(product)
            for _page, level in self._pages(f"product/{product['id']}/inventory_levels", {"sort": "id"}):
                yield stock_record(code, related_id(level, "warehouse"), level["attributes"].get("stock_count"))

    def _contacts(self) -> Iterator[dict[str, Any]]:
        query = {"filter[account_type]": "customer", "sort": "id"}
        return (resource for _page, resource in self._pages("contacts", query))

    def _read_customer(self) -> Iterator[Any]:
        return (customer_record(resource, self.customer_code) for resource in self._contacts())

    def _read_balance(self) -> Iterator[Any]:
        return (balance for resource in self._contacts() for balance in balance_records(resource, self.customer_code))

    # -- documents and the ledger -----------------------------------------------------------------------------------

    def _invoices(self, start: datetime, item_types: str, include: str) -> Iterator[tuple[Any, dict[str, Any]]]:
        """Invoices of ``item_types`` issued on or after ``start``'s day, newest first; the read stops at the
        first older one."""
        first_day = start.date()
        query = {"filter[item_type]": item_types, "sort": "-issue_date", "include": include}
        for page, resource in self._pages("sales_invoices", query):
            issued = as_date(resource["attributes"].get("issue_date"))
            if issued is not None and issued < first_day:
                return
            yield page, resource

    def _read_invoice(self, start: datetime) -> Iterator[Any]:
        rows = self._invoices(start, "invoice,export", "contact,active_e_document,details")
        return (invoice_document(page, row, self.customer_code) for page, row in rows)

    def _read_credit_memo(self, start: datetime) -> Iterator[Any]:
        rows = self._invoices(start, "refund", "contact,active_e_document,details")
        return (invoice_document(page, row, self.customer_code) for page, row in rows)

    def _read_ledger(self, start: datetime) -> Iterator[Any]:
        return (
            entry
            for page, resource in self._invoices(start, "invoice,export,refund", "contact,payments")
            for entry in ledger_entries(page, resource, self.customer_code)
        )


__all__ = ["ENTITIES", "ParasutReads"]
