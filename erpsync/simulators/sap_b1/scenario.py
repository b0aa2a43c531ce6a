"""What SAP's users do to the simulated company between the portal's calls: items and customers added or changed,
orders delivered, invoiced and credited, stock looked at. Tests use these to set up a case."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from erpsync.simulators.sap_b1.company import Company


class Scenario:
    """Conveniences of ``SapB1Simulator`` acting on its ``company``."""

    company: Company

    def add_item(self, code: str, name: str | None = None, *, price: float | None = None,
                 stock: dict[str, float] | None = None, **fields: Any) -> dict[str, Any]:  # fmt: skip
        """Create an item: ``price`` goes to every price list, ``stock`` maps warehouse → InStock."""
        payload: dict[str, Any] = {"ItemCode": code, "ItemName": name or code, **fields}
        if price is not None:
            payload["ItemPrices"] = [
                {"PriceList": number, "Price": price, "Currency": self.company.currency}
                for number in self.company.price_lists
            ]
        if stock:
            payload["ItemWarehouseInfoCollection"] = [{"WarehouseCode": w, "InStock": q} for w, q in stock.items()]
        with self.company.lock:
            return self.company.add_item(payload)

    def add_customer(self, code: str, name: str | None = None, **fields: Any) -> dict[str, Any]:
        with self.company.lock:
            return self.company.add_business_partner({"CardCode": code, "CardName": name or code, **fields})

    def create(self, entity_set: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Create as an ERP user would (no HTTP); raises ``B1Error`` on refusal."""
        with self.company.lock:
            return self.company.create(entity_set, payload)[1]

    def touch_item(self, code: str, when: datetime | None = None, **changes: Any) -> dict[str, Any]:
        """Change an item (``changes`` are field values, may be none) stamped at ``when`` (default: the clock)."""
        with self.company.lock:
            item = self.company.get("Items", code)
            item.update(changes)
            self.company.stamp("Items", code, item, when=when)
            return item

    def deliver(self, doc_entry: int, lines: dict[int, float] | None = None, *, tracking_number: str | None = None,
                batches: dict[int, list[dict[str, Any]]] | None = None, **header: Any) -> dict[str, Any]:  # fmt: skip
        """Post a delivery note for order ``doc_entry``: ``lines`` maps order LineNum → quantity (default: every open
        line in full); ``batches`` gives BatchNumbers per LineNum for batch-managed items."""
        with self.company.lock:
            order = self.company.get("Orders", doc_entry)
            wanted = lines or {
                line["LineNum"]: line["RemainingOpenQuantity"]
                for line in order["DocumentLines"]
                if line["LineStatus"] == "bost_Open"
            }
            document_lines = []
            for line_num, quantity in wanted.items():
                row: dict[str, Any] = {"BaseType": 17, "BaseEntry": doc_entry, "BaseLine": line_num}
                row["Quantity"] = quantity
                if batches and line_num in batches:
                    row["BatchNumbers"] = batches[line_num]
                document_lines.append(row)
            payload = {"CardCode": order["CardCode"], "DocumentLines": document_lines, **header}
            if tracking_number is not None:
                payload["TrackingNumber"] = tracking_number
            return self.company.add_document("DeliveryNotes", payload)

    def invoice(self, doc_entry: int, *, base_type: int = 15, **header: Any) -> dict[str, Any]:
        """Post an A/R invoice for every open line of delivery note ``doc_entry`` (or of an order with
        ``base_type=17``, which also takes the stock out)."""
        with self.company.lock:
            base_set = "DeliveryNotes" if base_type == 15 else "Orders"
            base = self.company.get(base_set, doc_entry)
            document_lines = [
                {"BaseType": base_type, "BaseEntry": doc_entry, "BaseLine": line["LineNum"]}
                for line in base["DocumentLines"]
                if line["LineStatus"] == "bost_Open"
            ]
            payload = {"CardCode": base["CardCode"], "DocumentLines": document_lines, **header}
            return self.company.add_document("Invoices", payload)

    def credit_note(self, invoice_entry: int, lines: dict[int, float] | None = None, **header: Any) -> dict[str, Any]:
        """Post an A/R credit memo based on invoice ``invoice_entry`` (``lines``: LineNum → quantity; default all)."""
        with self.company.lock:
            invoice = self.company.get("Invoices", invoice_entry)
            wanted = lines or {
                line["LineNum"]: line["RemainingOpenQuantity"]
                for line in invoice["DocumentLines"]
                if line["LineStatus"] == "bost_Open"
            }
            document_lines = [
                {"BaseType": 13, "BaseEntry": invoice_entry, "BaseLine": n, "Quantity": q} for n, q in wanted.items()
            ]
            return self.company.add_document(
                "CreditNotes", {"CardCode": invoice["CardCode"], "DocumentLines": document_lines, **header}
            )

    def stock(self, item_code: str, warehouse: str = "01") -> dict[str, Any]:
        """The item's ItemWarehouseInfoCollection row for ``warehouse`` (a copy)."""
        with self.company.lock:
            for row in self.company.get("Items", item_code)["ItemWarehouseInfoCollection"]:
                if row["WarehouseCode"] == warehouse:
                    return dict(row)
        raise KeyError(warehouse)
