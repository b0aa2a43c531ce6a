"""Paraşüt's webhook deliveries: the check of their ``Signature`` and what they name.

Paraşüt posts form fields (``company_id``, ``resource``, ``action``, ``event_date``, ``data[id]``, ``data[data]``:
the record's JSON text…) with a ``Signature`` header made by hashing the event data and the company's webhook key
with SHA-256 (Paraşüt's description). Here: the hex SHA-256 of ``data[data]`` followed by the key, compared in
constant time; the key is the connection's ``webhook_key`` credential. Which fields, and in what order, go into the
hash is not spelled out by Paraşüt beyond that sentence: a company whose deliveries are refused should check it
first (docs/parasut.md).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

from erpsync.adapters.base import Feed, PermanentError
from erpsync.adapters.parasut.mapping import (
    balance_records,
    customer_record,
    invoice_document,
    ledger_entries,
    price_record,
    product_code,
    product_record,
    stock_record,
)
from erpsync.adapters.parasut.session import related_id

# Paraşüt's webhook resource → the portal's entities a change of it may touch, in import order.
ENTITIES_OF = {
    "product": ("product", "price", "stock"),
    "contact": ("customer", "balance"),
    "sales_invoice": ("invoice", "credit_memo", "ledger"),
}


@dataclass(frozen=True)
class WebhookEvent:
    resource: str
    action: str
    record_id: str
    digest: str
    entities: tuple[str, ...]


class ParasutWebhooks:
    """The webhook half of ``ParasutAdapter``."""

    webhook_entities = ENTITIES_OF

    def webhook_event(self, body: bytes, headers: Mapping[str, str]) -> WebhookEvent:
        """The event a delivery names, or ``PermanentError`` when its signature does not match or it names nothing
        the portal imports."""
        key = self.credentials.get("webhook_key", "")
        if not key:
            raise PermanentError("The connection has no webhook_key credential: Paraşüt's deliveries cannot be checked")
        fields = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        data = fields.get("data[data]", "")
        expected = hashlib.sha256((data + key).encode()).hexdigest()
        given = headers.get("Signature") or headers.get("signature") or ""
        if not hmac.compare_digest(expected.encode(), given.strip().lower().encode()):
            raise PermanentError("The delivery's Signature does not match", code="bad_signature")
        if str(fields.get("company_id")) != str(self.company_id):
            raise PermanentError(f"The delivery is for company {fields.get('company_id')}, not {self.company_id}")
        resource, record_id = fields.get("resource", ""), fields.get("data[id]", "")
        if resource not in ENTITIES_OF or not record_id.isdigit():
            raise PermanentError(f"Nothing to import from a {resource!r} delivery", code="not_imported")
        # One change of one record, however often Paraşüt delivers it: a later change has a later updated_at.
        change = "|".join((resource, fields.get("action", ""), record_id, fields.get("data[updated_at]", "")))
        digest = hashlib.sha256(change.encode()).hexdigest()
        return WebhookEvent(resource, fields.get("action", ""), record_id, digest, ENTITIES_OF[resource])

    def read_keys(self, entity: str, keys: Iterable[str]) -> Iterator[Feed]:
        """One feed of changes with the records of the Paraşüt ids ``keys`` (products, contacts or invoices)."""
        self.refuse_unreadable(
            entity, tuple(entity for names in ENTITIES_OF.values() for entity in names), who="Paraşüt webhook"
        )
        keys = [key for key in keys if str(key).isdigit()]
        records = [record for key in keys for record in self._records_of(entity, str(key))]
        source = f"parasut:{self.company_id}:{entity}?ids={','.join(keys)}"
        yield Feed(entity, source, records, complete=False, scope={"company_id": self.company_id})

    def _records_of(self, entity: str, key: str) -> list:
        if entity in ("product", "price", "stock"):
            product = self._call("GET", f"products/{key}").data
            if entity == "product":
                return [product_record(product)]
            if entity == "price":
                return [price for price in [price_record(product)] if price is not None]
            if not product["attributes"].get("inventory_tracking"):
                return []
            levels = self._pages(f"product/{key}/inventory_levels", {"sort": "id"})
            return [
                stock_record(
                    product_code(product), related_id(level, "warehouse"), level["attributes"].get("stock_count")
                )
                for _page, level in levels
            ]
        if entity in ("customer", "balance"):
            contact = self._call("GET", f"contacts/{key}").data
            if contact["attributes"].get("account_type") != "customer":
                return []
            if entity == "customer":
                return [customer_record(contact, self.customer_code)]
            return balance_records(contact, self.customer_code)
        include = "contact,payments" if entity == "ledger" else "contact,active_e_document"
        document = self._call("GET", f"sales_invoices/{key}", query={"include": include})
        invoice = document.data
        item_type = invoice["attributes"].get("item_type")
        if entity == "ledger":
            return ledger_entries(document, invoice, self.customer_code) if item_type != "cancelled" else []
        wanted = ("refund",) if entity == "credit_memo" else ("invoice", "export")
        return [invoice_document(document, invoice, self.customer_code)] if item_type in wanted else []
