"""The company's marketing documents: quotations, orders, deliveries, invoices, credit notes and approval drafts,
with their effects on stock and on the documents they were copied from, and their cancellation, closing and
reopening. A quotation has no effect on stock or balances; its DocDueDate is its "valid until"."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

from erpsync.simulators.sap_b1.clock import day
from erpsync.simulators.sap_b1.errors import BAD_REQUEST, B1Error, refuse
from erpsync.simulators.sap_b1.schema import (
    CANCELLATION,
    CANCELLED_IN_PLACE,
    CLOSED,
    CREDIT_NOTE,
    DELIVERY,
    DOCUMENT_SETS,
    INVOICE,
    NO,
    OBJECT_CODES,
    OPEN,
    ORDER,
    SET_OF_TYPE,
    YES,
    document_line_template,
    document_template,
    is_date,
    merge,
    money,
    new_line,
    number_field,
    qty,
)


class SalesDocuments:
    """Adding, changing, cancelling, closing and reopening documents; part of ``Company``."""

    def add_document(self, set_name: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Create a marketing document and apply its effects.

        Refused (HTTP 400): unknown, supplier-only or frozen customer; no lines; unknown item or warehouse;
        quantity not above zero; a base line that does not exist, is closed, belongs to another customer or has less
        open quantity than asked; batch- or serial-managed items leaving stock without matching BatchNumbers /
        SerialNumbers; an order without DocDueDate.
        """
        lines_given = payload.get("DocumentLines")
        document = merge(
            document_template(), {k: v for k, v in payload.items() if k != "DocumentLines"}, "Document", self.udfs
        )
        now = self.clock.now()
        partner = self.business_partners.get(document["CardCode"] or "")
        if partner is None:
            raise refuse(f"Invalid BP code '{document['CardCode']}'")
        if partner["CardType"] == "cSupplier":
            raise refuse(f"BP '{partner['CardCode']}' is a vendor; select a customer")
        if partner["Frozen"] == YES or partner["Valid"] == NO:
            raise refuse(f"BP '{partner['CardCode']}' is inactive")
        if not isinstance(lines_given, list) or not lines_given:
            raise refuse("Document must contain at least one row")
        if set_name in {"Orders", "Drafts"} and not document["DocDueDate"]:
            raise refuse("Update the 'Delivery Date' field (DocDueDate)")
        if set_name == "Quotations" and not document["DocDueDate"]:
            raise refuse("Update the 'Valid Until' field (DocDueDate)")
        for name in ("DocDate", "DocDueDate", "TaxDate"):
            if document[name] is not None and not is_date(document[name]):
                raise B1Error(400, BAD_REQUEST, f"Property '{name}' has an invalid date {document[name]!r}")
        document["CardName"] = document["CardName"] or partner["CardName"]
        document["DocDate"] = (document["DocDate"] or day(now))[:10]
        document["TaxDate"] = (document["TaxDate"] or document["DocDate"])[:10]
        document["DocDueDate"] = (document["DocDueDate"] or document["DocDate"])[:10]
        document["DocCurrency"] = partner["Currency"] or self.currency
        document["DocObjectCode"] = OBJECT_CODES[set_name]
        base_type = DOCUMENT_SETS.get(set_name, ORDER)
        if document["DocType"] not in ("dDocument_Items", "dDocument_Service"):
            raise B1Error(400, BAD_REQUEST, f"Property 'DocType' has an invalid value {document['DocType']!r}")
        service = document["DocType"] == "dDocument_Service"
        line_of = self._service_line if service else self._document_line
        lines = [line_of(set_name, document, number, given) for number, given in enumerate(lines_given)]
        document["DocumentReferences"] = self._references(document)
        document["DocumentLines"] = lines
        self._total(document)

        # Everything is validated; from here on the document exists and its effects apply.
        self._doc_entry[set_name] += 1
        self._doc_num[set_name] += 1
        entry = document["DocEntry"] = self._doc_entry[set_name]
        document["DocNum"] = self._doc_num[set_name]
        self.collection(set_name)[entry] = document
        if set_name != "Drafts" and not service:
            for line in lines:
                self._apply_line(base_type, line)
        self.stamp(set_name, entry, document, created=True)
        self._refresh_balances(partner["CardCode"])
        if set_name == "Invoices":
            partner["CurrentAccountBalance"] = money(partner["CurrentAccountBalance"] + document["DocTotal"])
        elif set_name == "CreditNotes":
            partner["CurrentAccountBalance"] = money(partner["CurrentAccountBalance"] - document["DocTotal"])
            self._apply_credit(document)
        return document

    def _document_line(
        self, set_name: str, document: dict[str, Any], number: int, given: dict[str, Any]
    ) -> dict[str, Any]:
        line = new_line(given, number, self.udfs)
        base = None
        if line["BaseType"] not in (-1, None):
            base = self._base_line(set_name, document, line)
            for name in ("ItemCode", "UnitPrice", "DiscountPercent", "WarehouseCode", "VatGroup", "UoMEntry"):
                if name not in given:
                    line[name] = base[name]
            if "Quantity" not in given:
                line["Quantity"] = base["RemainingOpenQuantity"]
        item = self.items.get(line["ItemCode"] or "")
        if item is None:
            raise refuse(f"Invalid item code '{line['ItemCode']}' in row {number + 1}")
        if item["Frozen"] == YES or item["Valid"] == NO:
            raise refuse(f"Item '{item['ItemCode']}' is inactive")
        if item["SalesItem"] != YES:
            raise refuse(f"Item '{item['ItemCode']}' is not a sales item")
        line["Quantity"] = qty(number_field(line, "Quantity"))
        if line["Quantity"] <= 0:
            raise refuse(f"Quantity must be greater than zero in row {number + 1}")
        if base is not None and line["Quantity"] > base["RemainingOpenQuantity"] + 1e-9:
            raise refuse(
                f"Quantity {line['Quantity']:g} exceeds the open quantity "
                f"{base['RemainingOpenQuantity']:g} of the base document row"
            )
        line["WarehouseCode"] = line["WarehouseCode"] or item["DefaultWarehouse"]
        if line["WarehouseCode"] not in self.warehouses:
            raise refuse(f"Invalid warehouse code '{line['WarehouseCode']}' in row {number + 1}")
        line["ItemDescription"] = line["ItemDescription"] or item["ItemName"]
        line["VatGroup"] = line["VatGroup"] or item["SalesVATGroup"]
        if line["VatGroup"] not in self.vat_groups:
            raise refuse(f"Invalid tax group '{line['VatGroup']}' in row {number + 1}")
        self._line_uom(item, line)
        if "UnitPrice" not in given and "Price" not in given and base is None:
            on = date.fromisoformat(document["DocDate"])
            unit, discount, _currency = self.price_for(document["CardCode"], item["ItemCode"], on)
            line["UnitPrice"] = unit
            if "DiscountPercent" not in given:
                line["DiscountPercent"] = discount
        elif "UnitPrice" not in given and "Price" in given and base is None:
            line["UnitPrice"] = number_field(given, "Price")
        line["UnitPrice"] = money(number_field(line, "UnitPrice"))
        line["DiscountPercent"] = number_field(line, "DiscountPercent")
        line["Price"] = money(line["UnitPrice"] * (1 - line["DiscountPercent"] / 100))
        line["LineTotal"] = money(line["Price"] * line["Quantity"])
        rate = self.vat_groups[line["VatGroup"]]
        line["TaxTotal"] = money(line["LineTotal"] * rate / 100)
        line["TaxPercentagePerRow"] = float(rate)
        line["PriceAfterVAT"] = money(line["Price"] * (1 + rate / 100))
        line["Currency"] = document["DocCurrency"]
        line["RemainingOpenQuantity"] = line["Quantity"]
        line["LineStatus"] = OPEN
        line["ShipDate"] = (line["ShipDate"] or document["DocDueDate"])[:10]
        if set_name in {"DeliveryNotes", "Invoices"} and not self._stock_already_left(line):
            self._check_batches_and_serials(item, line, number)
        return line

    def _service_line(
        self, set_name: str, document: dict[str, Any], number: int, given: dict[str, Any]
    ) -> dict[str, Any]:
        """A line of a service document: an amount on a G/L account, no item and no stock."""
        line = new_line(given, number, self.udfs)
        if line["ItemCode"]:
            raise refuse(f"A service document row cannot carry an item (row {number + 1})")
        if not line["AccountCode"]:
            raise refuse(f"Enter a G/L account in row {number + 1}")
        line["VatGroup"] = line["VatGroup"] or "S1"
        if line["VatGroup"] not in self.vat_groups:
            raise refuse(f"Invalid tax group '{line['VatGroup']}' in row {number + 1}")
        rate = self.vat_groups[line["VatGroup"]]
        gross = money(number_field(line, "PriceAfterVAT"))
        if gross > 0:  # entered gross: the VAT is taken out of it
            line["TaxTotal"] = money(gross * rate / (100 + rate))
            line["LineTotal"] = money(gross - line["TaxTotal"])
        else:
            line["LineTotal"] = money(number_field(line, "LineTotal"))
            line["TaxTotal"] = money(line["LineTotal"] * rate / 100)
        if line["LineTotal"] <= 0:
            raise refuse(f"Enter an amount in row {number + 1}")
        line["Quantity"], line["UnitPrice"], line["Price"] = 1.0, line["LineTotal"], line["LineTotal"]
        line["PriceAfterVAT"] = money(line["LineTotal"] + line["TaxTotal"])
        line["TaxPercentagePerRow"] = float(rate)
        line["Currency"] = document["DocCurrency"]
        line["LineStatus"], line["RemainingOpenQuantity"] = OPEN, 0.0
        return line

    def _references(self, document: dict[str, Any]) -> list[dict[str, Any]]:
        """``DocumentReferences``: links to other documents of the same customer (an invoice a credit memo
        corrects). Only sales invoices are known here."""
        rows = []
        for number, given in enumerate(document["DocumentReferences"] or []):
            if not isinstance(given, dict) or given.get("RefObjType") != "rot_SalesInvoice":
                raise B1Error(400, BAD_REQUEST, "DocumentReferences: only RefObjType rot_SalesInvoice is supported")
            invoice = self.invoices.get(given.get("RefDocEntr"))
            if invoice is None or invoice["CardCode"] != document["CardCode"]:
                raise refuse(f"Referenced invoice {given.get('RefDocEntr')} is not an invoice of this customer")
            rows.append({"LineNumber": number + 1, "RefDocEntr": invoice["DocEntry"], "RefDocNum": invoice["DocNum"],
                         "RefObjType": "rot_SalesInvoice", "Remark": given.get("Remark")})  # fmt: skip
        return rows

    def _line_uom(self, item: dict[str, Any], line: dict[str, Any]) -> None:
        group = self.uom_groups.get(item["UoMGroupEntry"])
        if group is None:
            line["UoMEntry"], line["UoMCode"] = -1, "Manual"
            line["InventoryQuantity"] = line["Quantity"]
            return
        entry = line["UoMEntry"] if line["UoMEntry"] not in (None, -1) else item["DefaultSalesUoMEntry"]
        entry = entry if entry is not None else group["BaseUoM"]
        definition = next(
            (d for d in group["UoMGroupDefinitionCollection"] if d["AlternateUoM"] == entry and d["Active"] == YES),
            None,
        )
        if definition is None:
            raise refuse(f"Unit of measure {entry} is not defined in group '{group['Code']}'")
        line["UoMEntry"] = entry
        line["UoMCode"] = self.uoms.get(entry, {}).get("Code", str(entry))
        line["InventoryQuantity"] = qty(line["Quantity"] * definition["BaseQuantity"] / definition["AlternateQuantity"])

    def _check_batches_and_serials(self, item: dict[str, Any], line: dict[str, Any], number: int) -> None:
        if item["ManageBatchNumbers"] == YES:
            batches = line["BatchNumbers"] or []
            total = sum(number_field(batch, "Quantity") for batch in batches if isinstance(batch, dict))
            if not batches or abs(total - line["InventoryQuantity"]) > 1e-9:
                raise refuse(
                    f"Item '{item['ItemCode']}' is managed by batches; BatchNumbers must cover "
                    f"{line['InventoryQuantity']:g} in row {number + 1}"
                )
        if item["ManageSerialNumbers"] == YES:
            serials = line["SerialNumbers"] or []
            if len(serials) != line["InventoryQuantity"]:
                raise refuse(
                    f"Item '{item['ItemCode']}' is managed by serial numbers; select "
                    f"{line['InventoryQuantity']:g} serial numbers in row {number + 1}"
                )

    def _stock_already_left(self, line: dict[str, Any]) -> bool:
        # An invoice copied from a delivery does not move stock again, so it needs no batches either.
        return line["BaseType"] == DELIVERY

    def _base_line(self, set_name: str, document: dict[str, Any], line: dict[str, Any]) -> dict[str, Any]:
        allowed = {"DeliveryNotes": {ORDER}, "Invoices": {ORDER, DELIVERY}, "CreditNotes": {INVOICE, DELIVERY}}
        if line["BaseType"] not in allowed.get(set_name, set()):
            raise refuse(f"Base type {line['BaseType']} cannot be copied to {set_name}")
        base_doc = self.collection(SET_OF_TYPE[line["BaseType"]]).get(line["BaseEntry"])
        if base_doc is None:
            raise refuse(f"Base document {line['BaseEntry']} of type {line['BaseType']} does not exist")
        if base_doc["CardCode"] != document["CardCode"]:
            raise refuse("Base document belongs to another business partner")
        if base_doc["DocumentStatus"] != OPEN or base_doc["Cancelled"] == YES:
            raise refuse(f"Base document {base_doc['DocNum']} is already closed")
        base = next((row for row in base_doc["DocumentLines"] if row["LineNum"] == line["BaseLine"]), None)
        if base is None:
            raise refuse(f"Base line {line['BaseLine']} does not exist in document {base_doc['DocNum']}")
        if base["LineStatus"] != OPEN:
            raise refuse(f"Base line {line['BaseLine']} of document {base_doc['DocNum']} is already closed")
        return base

    def _apply_line(self, doc_type: int, line: dict[str, Any]) -> None:
        """Stock and base-document effects of one new line."""
        inventory = line["InventoryQuantity"]
        item, warehouse = line["ItemCode"], line["WarehouseCode"]
        if doc_type == ORDER:
            self.move_stock(item, warehouse, committed=inventory)
            return
        base_set = SET_OF_TYPE.get(line["BaseType"])
        if base_set is not None:
            base_doc = self.collection(base_set)[line["BaseEntry"]]
            base = next(row for row in base_doc["DocumentLines"] if row["LineNum"] == line["BaseLine"])
            base["RemainingOpenQuantity"] = qty(base["RemainingOpenQuantity"] - line["Quantity"])
            if base["RemainingOpenQuantity"] <= 0:
                base["LineStatus"] = CLOSED
            if base_set == "Orders":
                # What leaves for an order is no longer committed to it.
                self.move_stock(item, warehouse, committed=-min(inventory, base["InventoryQuantity"]))
            if all(row["LineStatus"] == CLOSED for row in base_doc["DocumentLines"]) and base_set != "Invoices":
                base_doc["DocumentStatus"] = CLOSED
            self.stamp(base_set, base_doc["DocEntry"], base_doc)
        if doc_type == DELIVERY or (doc_type == INVOICE and line["BaseType"] != DELIVERY):
            self.move_stock(item, warehouse, in_stock=-inventory)
        elif doc_type == CREDIT_NOTE:
            self.move_stock(item, warehouse, in_stock=inventory)

    def _total(self, document: dict[str, Any]) -> None:
        lines_total = sum(line["LineTotal"] for line in document["DocumentLines"])
        factor = 1 - number_field(document, "DiscountPercent") / 100
        document["TotalDiscount"] = money(lines_total * (1 - factor))
        document["VatSum"] = money(sum(line["TaxTotal"] for line in document["DocumentLines"]) * factor)
        document["DocTotal"] = money(lines_total * factor + document["VatSum"])

    def _patch_document(self, set_name: str, document: dict[str, Any], payload: dict[str, Any], replace: bool) -> None:
        if document["DocumentStatus"] != OPEN or document["Cancelled"] == YES:
            raise refuse(f"Document {document['DocNum']} is closed or cancelled; it cannot be updated")
        if "CardCode" in payload and payload["CardCode"] != document["CardCode"]:
            raise refuse("The business partner of a document cannot be changed")
        changes = payload.get("DocumentLines")
        for name, value in payload.items():
            if name != "DocumentLines":
                document[name] = copy.deepcopy(value)
        if changes is None:
            return
        if set_name != "Orders":
            raise refuse(f"Rows of {set_name} cannot be updated")
        if not isinstance(changes, list):
            raise B1Error(400, BAD_REQUEST, "Property 'DocumentLines' must be a collection")
        old_lines = document["DocumentLines"]
        if replace:
            if any(line["RemainingOpenQuantity"] != line["Quantity"] for line in old_lines):
                raise refuse("Rows already copied to a target document cannot be replaced")
            new_lines = [self._document_line(set_name, document, n, given) for n, given in enumerate(changes)]
            for line in old_lines:
                self.move_stock(line["ItemCode"], line["WarehouseCode"], committed=-line["InventoryQuantity"])
            for line in new_lines:
                self._apply_line(ORDER, line)
            document["DocumentLines"] = new_lines
        else:
            for change in changes:
                self._patch_order_line(document, change)
        self._total(document)
        self._refresh_balances(document["CardCode"])

    def _patch_order_line(self, document: dict[str, Any], change: dict[str, Any]) -> None:
        lines = document["DocumentLines"]
        current = next((line for line in lines if line["LineNum"] == change.get("LineNum")), None)
        if current is None:
            new = self._document_line(
                "Orders", document, len(lines), {k: v for k, v in change.items() if k != "LineNum"}
            )
            lines.append(new)
            self._apply_line(ORDER, new)
            return
        if current["LineStatus"] != OPEN:
            raise refuse(f"Row {current['LineNum']} is closed")
        delivered = current["Quantity"] - current["RemainingOpenQuantity"]
        merged = {k: v for k, v in current.items() if k in document_line_template()}
        merged.update(change)
        for computed in ("LineNum", "Price", "LineTotal", "TaxTotal", "PriceAfterVAT", "RemainingOpenQuantity"):
            merged.pop(computed, None)
        if "Quantity" in change and float(change["Quantity"]) < delivered:
            raise refuse(f"Row {current['LineNum']}: quantity cannot go below the delivered {delivered:g}")
        replacement = self._document_line("Orders", document, current["LineNum"], merged)
        replacement["RemainingOpenQuantity"] = qty(replacement["Quantity"] - delivered)
        old_open = current["RemainingOpenQuantity"] * current["InventoryQuantity"] / current["Quantity"]
        new_open = replacement["RemainingOpenQuantity"] * replacement["InventoryQuantity"] / replacement["Quantity"]
        self.move_stock(current["ItemCode"], current["WarehouseCode"], committed=-old_open)
        self.move_stock(replacement["ItemCode"], replacement["WarehouseCode"], committed=new_open)
        lines[lines.index(current)] = replacement

    def _release_open(self, set_name: str, document: dict[str, Any]) -> None:
        for line in document["DocumentLines"]:
            if line["LineStatus"] == OPEN and set_name == "Orders":
                open_inventory = line["RemainingOpenQuantity"] * line["InventoryQuantity"] / line["Quantity"]
                self.move_stock(line["ItemCode"], line["WarehouseCode"], committed=-open_inventory)
            line["LineStatus"] = CLOSED

    def cancel_document(self, set_name: str, document: dict[str, Any]) -> None:
        """Cancel: refused if closed, cancelled or already copied to a target document; releases commitments.

        An order or a quotation is cancelled in place (``Cancelled`` tYES, ``CancelStatus`` csYes). A posted
        document (delivery, invoice, credit note) is cancelled the way SAP 9 and later do it: the document is marked
        cancelled (csYes, closed) and a cancellation document is added to the same set (``CancelStatus``
        csCancellation, closed, same customer and amounts, its lines based on the cancelled document's lines); stock
        and balance effects are reversed.
        """
        if document["Cancelled"] == YES:
            raise refuse(f"Document {document['DocNum']} is already cancelled")
        if document["CancelStatus"] == CANCELLATION:
            raise refuse(f"Document {document['DocNum']} is a cancellation document; it cannot be cancelled")
        applied = set_name == "CreditNotes" and document["DocEntry"] in self._credit_applied
        if document["DocumentStatus"] != OPEN and not applied:
            raise refuse(f"Document {document['DocNum']} is closed; it cannot be cancelled")
        if any(line["RemainingOpenQuantity"] < line["Quantity"] for line in document["DocumentLines"]):
            raise refuse(f"Document {document['DocNum']} has been copied to a target document; close it instead")
        if document.get("PaidToDate") and not applied:
            raise refuse(f"Document {document['DocNum']} has payments; cancel the payments first")
        if applied:
            self._take_back_credit(document)
        self._release_open(set_name, document)
        if set_name not in CANCELLED_IN_PLACE:
            self._reverse_posting(set_name, document)
        document["Cancelled"] = YES
        document["CancelStatus"] = "csYes"
        document["DocumentStatus"] = CLOSED
        self.stamp(set_name, document["DocEntry"], document)
        if set_name not in CANCELLED_IN_PLACE:
            self._add_cancellation(set_name, document)
        self._refresh_balances(document["CardCode"])

    def _add_cancellation(self, set_name: str, document: dict[str, Any]) -> dict[str, Any]:
        """SAP's cancellation document of ``document`` (no stock or balance effect of its own here: the
        cancelled document's effects were reversed already)."""
        cancellation = copy.deepcopy(document)
        self._doc_entry[set_name] += 1
        self._doc_num[set_name] += 1
        entry = cancellation["DocEntry"] = self._doc_entry[set_name]
        cancellation["DocNum"] = self._doc_num[set_name]
        cancellation["Cancelled"] = NO
        cancellation["CancelStatus"] = CANCELLATION
        cancellation["DocumentStatus"] = CLOSED
        cancellation["DocDate"] = day(self.clock.now())
        cancellation["PaidToDate"] = 0.0
        for line in cancellation["DocumentLines"]:
            line["BaseType"] = DOCUMENT_SETS[set_name]
            line["BaseEntry"] = document["DocEntry"]
            line["BaseLine"] = line["LineNum"]
            line["LineStatus"] = CLOSED
            line["RemainingOpenQuantity"] = 0.0
        self.collection(set_name)[entry] = cancellation
        self.stamp(set_name, entry, cancellation, created=True)
        return cancellation

    def _reverse_posting(self, set_name: str, document: dict[str, Any]) -> None:
        doc_type = DOCUMENT_SETS[set_name]
        partner = self.business_partners[document["CardCode"]]
        for line in document["DocumentLines"]:
            moved = doc_type == DELIVERY or (doc_type == INVOICE and line["BaseType"] != DELIVERY)
            if moved:
                self.move_stock(line["ItemCode"], line["WarehouseCode"], in_stock=line["InventoryQuantity"])
            elif doc_type == CREDIT_NOTE:
                self.move_stock(line["ItemCode"], line["WarehouseCode"], in_stock=-line["InventoryQuantity"])
            base_set = SET_OF_TYPE.get(line["BaseType"])
            if base_set is not None:
                base_doc = self.collection(base_set)[line["BaseEntry"]]
                base = next(row for row in base_doc["DocumentLines"] if row["LineNum"] == line["BaseLine"])
                base["RemainingOpenQuantity"] = qty(base["RemainingOpenQuantity"] + line["Quantity"])
                base["LineStatus"] = OPEN
                base_doc["DocumentStatus"] = OPEN
                if base_set == "Orders":
                    self.move_stock(line["ItemCode"], line["WarehouseCode"], committed=line["InventoryQuantity"])
                self.stamp(base_set, base_doc["DocEntry"], base_doc)
        if doc_type == INVOICE:
            partner["CurrentAccountBalance"] = money(partner["CurrentAccountBalance"] - document["DocTotal"])
        elif doc_type == CREDIT_NOTE:
            partner["CurrentAccountBalance"] = money(partner["CurrentAccountBalance"] + document["DocTotal"])

    def close_document(self, set_name: str, document: dict[str, Any]) -> None:
        """Close manually: refused if already closed or cancelled; an order releases what is still committed."""
        if document["DocumentStatus"] != OPEN or document["Cancelled"] == YES:
            raise refuse(f"Document {document['DocNum']} is already closed")
        self._release_open(set_name, document)
        document["DocumentStatus"] = CLOSED
        self.stamp(set_name, document["DocEntry"], document)
        self._refresh_balances(document["CardCode"])

    def reopen_document(self, set_name: str, document: dict[str, Any]) -> None:
        """Reopen a manually closed order; refused for cancelled documents and for fully delivered lines."""
        if document["Cancelled"] == YES or document["DocumentStatus"] == OPEN:
            raise refuse(f"Document {document['DocNum']} cannot be reopened")
        if set_name != "Orders":
            raise refuse(f"Reopening {set_name} is not supported by the simulator")
        for line in document["DocumentLines"]:
            if line["RemainingOpenQuantity"] > 0:
                line["LineStatus"] = OPEN
                open_inventory = line["RemainingOpenQuantity"] * line["InventoryQuantity"] / line["Quantity"]
                self.move_stock(line["ItemCode"], line["WarehouseCode"], committed=open_inventory)
        if all(line["LineStatus"] == CLOSED for line in document["DocumentLines"]):
            raise refuse(f"Document {document['DocNum']} is fully delivered")
        document["DocumentStatus"] = OPEN
        self.stamp(set_name, document["DocEntry"], document)
        self._refresh_balances(document["CardCode"])
