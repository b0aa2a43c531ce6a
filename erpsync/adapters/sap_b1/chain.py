"""Links between SAP's marketing documents: deliveries and invoices do not carry the portal number themselves;
they are tied to the order through their lines' ``BaseType``/``BaseEntry`` links."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from erpsync.adapters.http import text as _text
from erpsync.adapters.sap_b1.mapping import DELIVERY_TYPE, INVOICE_TYPE, ORDER_TYPE


def order_fields(reference_field: str) -> str:
    """What is read of an order to know its state, with the field carrying the portal's number."""
    return f"DocEntry,DocNum,{reference_field},Cancelled,DocumentStatus,DocumentLines"


# Fetches documents of one set by DocEntry: (set name, entries, $select) → DocEntry → row.
Fetch = Callable[[str, Iterable[int], str], dict[int, dict[str, Any]]]


class DocumentChain:
    """Walks copied lines back to the orders they came from: a delivery line names its order line (BaseType 17),
    an invoice line an order or delivery line, a credit memo line an invoice or delivery line. Base documents are
    fetched by key in batches and kept for the read."""

    SETS = {ORDER_TYPE: "Orders", DELIVERY_TYPE: "DeliveryNotes", INVOICE_TYPE: "Invoices"}

    def __init__(
        self, fetch: Fetch, orders: Mapping[int, dict[str, Any]] | None = None, *, reference_field: str = "NumAtCard"
    ) -> None:
        self.fetch = fetch
        self.reference_field = reference_field
        self.docs: dict[int, dict[int, dict[str, Any]]] = {kind: {} for kind in self.SETS}
        self.docs[ORDER_TYPE].update(orders or {})

    @property
    def orders(self) -> dict[int, dict[str, Any]]:
        return self.docs[ORDER_TYPE]

    @staticmethod
    def bases(row: Mapping[str, Any]) -> list[tuple[int, int]]:
        found = []
        for line in row.get("DocumentLines") or []:
            kind, entry = line.get("BaseType"), line.get("BaseEntry")
            if kind in DocumentChain.SETS and entry is not None and (int(kind), int(entry)) not in found:
                found.append((int(kind), int(entry)))
        return found

    def resolve(self, rows: Iterable[Mapping[str, Any]]) -> None:
        """Fetch every base document up the chain of ``rows`` (at most three levels: credit memo → invoice →
        delivery → order)."""
        pending = list(rows)
        for _level in range(3):
            wanted: dict[int, set[int]] = {}
            for row in pending:
                for kind, entry in self.bases(row):
                    if entry not in self.docs[kind]:
                        wanted.setdefault(kind, set()).add(entry)
            if not wanted:
                return
            pending = []
            for kind, entries in wanted.items():
                select = order_fields(self.reference_field) if kind == ORDER_TYPE else "DocEntry,DocNum,DocumentLines"
                found = self.fetch(self.SETS[kind], entries, select)
                self.docs[kind].update(found)
                pending.extend(found.values())

    def orders_of(self, row: Mapping[str, Any], depth: int = 0) -> list[int]:
        """DocEntries of the orders ``row`` derives from, first line first."""
        found: list[int] = []
        for kind, entry in self.bases(row):
            if kind == ORDER_TYPE:
                candidates = [entry]
            elif depth < 3 and entry in self.docs[kind]:
                candidates = self.orders_of(self.docs[kind][entry], depth + 1)
            else:
                candidates = []
            found.extend(c for c in candidates if c not in found)
        return found

    def order_line_of(self, line: Mapping[str, Any], depth: int = 0) -> tuple[int, int] | None:
        """(order DocEntry, order LineNum) the document ``line`` was copied from, up the chain; None when it was
        not copied from an order (or the chain was not resolved that far)."""
        kind, entry, base_line = line.get("BaseType"), line.get("BaseEntry"), line.get("BaseLine")
        if kind not in self.SETS or entry is None or base_line is None:
            return None
        if int(kind) == ORDER_TYPE:
            return int(entry), int(base_line)
        base = self.docs[int(kind)].get(int(entry))
        if base is None or depth >= 3:
            return None
        for row in base.get("DocumentLines") or []:
            if row.get("LineNum") == base_line:
                return self.order_line_of(row, depth + 1)
        return None

    def related_number(self, row: Mapping[str, Any]) -> str:
        """The number of the document ``row`` was copied from when that was not the order: the invoice a credit
        memo corrects, the delivery an invoice bills."""
        for kind, entry in self.bases(row):
            if kind != ORDER_TYPE and entry in self.docs[kind]:
                return _text(self.docs[kind][entry].get("DocNum"))
        return ""
