"""What the SAP Business One adapter writes: sales orders (looked up by reference before every create, approval
drafts included), their cancellation, sales quotations (``Quotations``, looked up the same way) and their
cancellation, incoming payments and credit memos.

An order carries the portal number in ``reference_field``, the PO in ``po_number_field``, the dealer's ship-to
address (``ShipToCode``, the SAP address name imported from ``BPAddresses``; an address proposed in the portal,
without a code, goes as the document's ship-to text ``Address2``), the configured UDFs (``order_udfs``,
``line_udfs``), and per line the warehouse (``item_warehouses`` → ``customer_warehouses`` → ``order_warehouse``),
the VAT group (``vat_groups``) or tax code (``line_tax_codes``)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from erpsync.adapters.base import (
    ErpAck,
    ErpCancel,
    ErpCreditMemo,
    ErpNewCustomer,
    ErpOrder,
    ErpOrderAck,
    ErpPayment,
    ErpQuote,
    ErpShipTo,
    PermanentError,
)
from erpsync.adapters.http import text as _text
from erpsync.adapters.sap_b1.mapping import (
    CLOSED,
    INVOICE_TYPE,
    OPEN,
    YES,
    as_decimal,
    line_price,
    manual_unit,
    order_ack,
    udf_values,
)
from erpsync.adapters.sap_b1.session import KEYS_PER_REQUEST, QUERY_SAFE, quote_literal

logger = logging.getLogger(__name__)

NOT_FOUND = "-2028"


SHIP_TO = "bo_ShipTo"


class SapB1Writes:
    """The writing half of ``SapB1Adapter``. Every create looks its reference up first, so a retry never makes a
    second document."""

    def _find_order(self, reference: str) -> dict[str, Any] | None:
        """The order carrying ``reference``, else an approval draft of it (see ``order_push``), else None."""
        query = {
            "$select": "DocEntry,DocNum,Cancelled,DocumentStatus",
            "$filter": f"{self.reference_field} eq {quote_literal(reference)}",
            "$orderby": "DocEntry",
        }
        rows = list(self._collection("Orders", query))
        # NumAtCard (or a UDF) is not unique in SAP: prefer the live document when an old one was cancelled.
        live = [row for row in rows if row.get("Cancelled") != YES]
        if live or rows:
            return (live or rows)[0]
        drafts = [row for row in self._collection("Drafts", query) if row.get("Cancelled") != YES]
        drafts = [row for row in drafts if row.get("DocumentStatus") != CLOSED]  # a closed draft became the order
        return {**drafts[0], "draft": True} if drafts else None

    def order_lookup(self, reference: str) -> ErpOrderAck | None:
        row = self._find_order(reference)
        return None if row is None else order_ack(reference, row)

    def _items_of(self, codes: Iterable[str]) -> dict[str, dict[str, Any]]:
        codes = sorted(set(codes))
        select = "ItemCode,InventoryUOM,SalesUnit,UoMGroupEntry,ManageBatchNumbers,ManageSerialNumbers,SalesItem"
        found = {}
        for at in range(0, len(codes), KEYS_PER_REQUEST):
            where = " or ".join(f"ItemCode eq {quote_literal(code)}" for code in codes[at : at + KEYS_PER_REQUEST])
            found.update(
                {row["ItemCode"]: row for row in self._collection("Items", {"$select": select, "$filter": where})}
            )
        return found

    def _order_lines(self, order: ErpOrder | ErpQuote) -> list[dict[str, Any]]:
        """The order's lines as SAP takes them, or PermanentError naming every line SAP would refuse."""
        items = self._items_of(line.product_code for line in order.lines)
        units = {code.casefold(): entry for entry, code in self._unit_codes().items()}
        groups: dict[int, dict[str, Any]] | None = None
        problems, lines = [], []
        for line in order.lines:
            item = items.get(line.product_code)
            if item is None:
                problems.append(f"line {line.line_no}: SAP has no item {line.product_code}")
                continue
            if item.get("SalesItem", YES) != YES:
                problems.append(f"line {line.line_no}: item {line.product_code} is not a sales item in SAP")
                continue
            if not self.allow_batch_items and YES in (item.get("ManageBatchNumbers"), item.get("ManageSerialNumbers")):
                problems.append(
                    f"line {line.line_no}: item {line.product_code} is managed by batches or serial numbers in SAP; "
                    "this connection does not take portal orders for such items (allow_batch_managed_orders)"
                )
                continue
            row: dict[str, Any] = {"ItemCode": line.product_code, "Quantity": line.quantity}
            if item.get("UoMGroupEntry") in (None, -1):
                own = manual_unit(item)
                if line.unit and own and line.unit.casefold() != own.casefold():
                    problems.append(
                        f"line {line.line_no}: item {line.product_code} is sold in {own} only, not {line.unit}"
                    )
                    continue
            else:
                if groups is None:
                    groups = self._unit_groups()
                group = groups.get(int(item["UoMGroupEntry"])) or {}
                entry = units.get(line.unit.casefold())
                allowed = {
                    int(d["AlternateUoM"])
                    for d in group.get("UoMGroupDefinitionCollection") or []
                    if d.get("Active", YES) == YES
                }
                if entry not in allowed:
                    problems.append(
                        f"line {line.line_no}: unit {line.unit} is not in the unit group {group.get('Code', '?')} "
                        f"of item {line.product_code}"
                    )
                    continue
                row["UoMEntry"] = entry
            row.update(line_price(line))
            rate = line.vat_rate.normalize()
            if self.vat_groups.get(rate):
                row["VatGroup"] = self.vat_groups[rate]
            if self.line_tax_codes.get(rate):
                row["TaxCode"] = self.line_tax_codes[rate]
            warehouse = (
                self.item_warehouses.get(line.product_code)
                or self.customer_warehouses.get(order.customer_code)
                or self.order_warehouse
            )
            if warehouse:
                row["WarehouseCode"] = warehouse
            row.update(udf_values(self.line_udfs, line))
            lines.append(row)
        if problems:
            raise PermanentError(f"SAP B1 cannot take order {order.reference}: " + "; ".join(problems))
        return lines

    def _order_body(self, order: ErpOrder) -> dict[str, Any]:
        body: dict[str, Any] = {
            "CardCode": order.customer_code,
            self.reference_field: order.reference,
            "DocDate": order.ordered_on.isoformat(),
            "DocDueDate": (order.requested_on or order.ordered_on).isoformat(),
        }
        comments = order.note
        if order.po_number and self.po_number_field == "Comments":
            comments = f"PO: {order.po_number}" + (f"\n{order.note}" if order.note else "")
        elif order.po_number and self.po_number_field:
            body[self.po_number_field] = order.po_number[:100]
        if comments:
            body["Comments"] = comments[:254]
        if order.delivery_address_code:
            body["ShipToCode"] = order.delivery_address_code
        elif order.delivery_address:
            # An address the dealer proposed in the portal has no SAP code: it goes as the ship-to text.
            body["Address2"] = order.delivery_address[:254]
        body.update(udf_values(self.order_udfs, order))
        body["DocumentLines"] = self._order_lines(order)
        return body

    def order_push(self, order: ErpOrder) -> ErpOrderAck:
        existing = self._find_order(order.reference)
        if existing is not None:
            return order_ack(order.reference, existing)
        body = self._order_body(order)
        try:
            created = self._json(self._call("POST", "Orders", body=body, write=True))
        except PermanentError as exc:
            if exc.code != NOT_FOUND:
                raise
            # An approval procedure kept the order as a draft and SAP reports that as "not found".
            draft = self._find_order(order.reference)
            if draft is None:
                raise
            logger.info("SAP B1 keeps order %s as draft %s awaiting approval", order.reference, draft["DocEntry"])
            return order_ack(order.reference, draft)
        return order_ack(order.reference, created)

    def order_cancel(self, cancel: ErpCancel) -> ErpAck:
        if cancel.document_id and not cancel.document_id.startswith("draft:"):
            entry = cancel.document_id
            row = self._json(
                self._call(
                    "GET", f"Orders({int(entry)})", query={"$select": "DocEntry,DocNum,Cancelled,DocumentStatus"}
                )
            )
        else:
            row = self._find_order(cancel.reference)
            if row is None:
                raise PermanentError(f"SAP B1 holds no order with reference {cancel.reference!r}")
        if row.get("draft"):
            raise PermanentError(
                f"Order {cancel.reference} waits for approval in SAP B1 as draft {row['DocEntry']}; "
                "reject the draft there (a draft cannot be cancelled through the Service Layer)."
            )
        ack = ErpAck(cancel.reference, str(row["DocEntry"]), _text(row.get("DocNum")))
        if row.get("Cancelled") == YES:
            return ack  # cancelled before (a retry after an unanswered cancel): nothing left to do
        self._call("POST", f"Orders({int(row['DocEntry'])})/Cancel", write=True)
        return ack

    # -- sales quotations ------------------------------------------------------------------------------------------

    def _find_quotation(self, reference: str) -> dict[str, Any] | None:
        """The quotation carrying ``reference`` (the live one when an earlier one was cancelled), or None."""
        query = {
            "$select": "DocEntry,DocNum,Cancelled,DocumentStatus",
            "$filter": f"{self.reference_field} eq {quote_literal(reference)}",
            "$orderby": "DocEntry",
        }
        rows = list(self._collection("Quotations", query))
        live = [row for row in rows if row.get("Cancelled") != YES]
        return (live or rows)[0] if rows else None

    def quote_lookup(self, reference: str) -> ErpOrderAck | None:
        row = self._find_quotation(reference)
        return None if row is None else order_ack(reference, row)

    def quote_push(self, quote: ErpQuote) -> ErpOrderAck:
        """A sales quotation: the portal reference in ``reference_field``, the validity date as ``DocDueDate``
        (SAP's "Valid Until"), the dealer's note in ``Comments``, the terms in ``ClosingRemarks`` (printed under
        the lines), the lines as an order's (warehouse, VAT group, unit) at the quoted net prices. Looked up first:
        a retry after an unanswered create finds it instead of adding another."""
        existing = self._find_quotation(quote.reference)
        if existing is not None:
            return order_ack(quote.reference, existing)
        body: dict[str, Any] = {
            "CardCode": quote.customer_code,
            self.reference_field: quote.reference,
            "DocDate": quote.quoted_on.isoformat(),
            "DocDueDate": quote.valid_until.isoformat(),
        }
        if quote.note:
            body["Comments"] = quote.note[:254]
        if quote.terms:
            body["ClosingRemarks"] = quote.terms
        body["DocumentLines"] = self._order_lines(quote)
        created = self._json(self._call("POST", "Quotations", body=body, write=True))
        return order_ack(quote.reference, created)

    def quote_cancel(self, cancel: ErpCancel) -> ErpAck:
        """Cancel the quotation (``Quotations(n)/Cancel``). Done already when it is cancelled; a quotation SAP
        closed (copied to an order there, or closed by hand) is left as it is."""
        select = {"$select": "DocEntry,DocNum,Cancelled,DocumentStatus"}
        if cancel.document_id.isdigit():
            row = self._json(self._call("GET", f"Quotations({int(cancel.document_id)})", query=select))
        else:
            row = self._find_quotation(cancel.reference)
            if row is None:
                raise PermanentError(f"SAP B1 holds no quotation with reference {cancel.reference!r}")
        ack = ErpAck(cancel.reference, str(row["DocEntry"]), _text(row.get("DocNum")))
        if row.get("Cancelled") == YES or row.get("DocumentStatus") == CLOSED:
            return ack
        self._call("POST", f"Quotations({int(row['DocEntry'])})/Cancel", write=True)
        return ack

    def _partner_addresses(self, customer_code: str) -> list[dict[str, Any]]:
        path = f"BusinessPartners({quote(quote_literal(customer_code), safe=QUERY_SAFE)})"
        row = self._json(self._call("GET", path, query={"$select": "CardCode,BPAddresses"}))
        return row.get("BPAddresses") or []

    def ship_to_lookup(self, ship_to: ErpShipTo) -> ErpAck | None:
        """The partner's ship-to address (``bo_ShipTo``) named ``ship_to.name``; its name is its code (what
        ``ShipToCode`` takes). Refuses (``PermanentError``) a ship-to of that name at another street or city:
        SAP keys addresses by name, so the portal would otherwise bind a stranger's address."""
        for row in self._partner_addresses(ship_to.customer_code):
            if row.get("AddressType") != SHIP_TO or _text(row.get("AddressName")) != ship_to.name:
                continue
            same = (_text(row.get("Street")), _text(row.get("City"))) == (ship_to.line1, ship_to.city)
            if not same:
                raise PermanentError(
                    f"SAP B1 already has a ship-to address named {ship_to.name!r} for {ship_to.customer_code} at "
                    f"another address ({_text(row.get('Street'))}, {_text(row.get('City'))}); rename one of them."
                )
            return ErpAck(ship_to.reference, ship_to.name)
        return None

    def ship_to_push(self, ship_to: ErpShipTo) -> ErpAck:
        """Add the ship-to address to the partner: ``PATCH BusinessPartners('code')`` with one ``BPAddresses`` row
        without ``RowNum``, which SAP adds to the collection (the other addresses stay, as no
        ``B1S-ReplaceCollectionsOnPatch`` is sent)."""
        path = f"BusinessPartners({quote(quote_literal(ship_to.customer_code), safe=QUERY_SAFE)})"
        row = {
            "AddressName": ship_to.name,
            "AddressType": SHIP_TO,
            "Street": ship_to.line1,
            "Block": ship_to.line2,
            "County": ship_to.district,
            "City": ship_to.city,
            "ZipCode": ship_to.postal_code,
            "Country": ship_to.country,
        }
        self._call("PATCH", path, body={"BPAddresses": [row]}, write=True)
        return ErpAck(ship_to.reference, ship_to.name)

    # -- new customers (business partners) ---------------------------------------------------------------------------

    def customer_lookup(self, code: str) -> ErpAck | None:
        """The business partner (of any type) with ``CardCode`` = ``code``."""
        query = {"$select": "CardCode", "$filter": f"CardCode eq {quote_literal(code)}"}
        rows = list(self._collection("BusinessPartners", query))
        return ErpAck(code, _text(rows[0]["CardCode"])) if rows else None

    def customer_push(self, customer: ErpNewCustomer) -> ErpAck:
        """A customer business partner (``cCustomer``) under the dealer's code, with its tax number
        (``FederalTaxID``), contact, currency and billing address (``bo_BillTo``); looked up first. SAP refuses a
        second partner with the code (OCRD), so a retry after an applied create finds it instead."""
        code = customer.code.strip()
        if not code or len(code) > 15:
            raise PermanentError(f"Customer code {code!r} does not fit SAP B1's CardCode (1 to 15 characters)")
        existing = self.customer_lookup(code)
        if existing is not None:
            return ErpAck(customer.reference, existing.document_id)
        body: dict[str, Any] = {
            "CardCode": code,
            "CardName": customer.title[:100],
            "CardType": "cCustomer",
            "FederalTaxID": customer.tax_number,
            "EmailAddress": customer.email,
            "Phone1": customer.phone[:20],
            "Currency": customer.currency or "##",
        }
        if customer.address is not None:
            address = customer.address
            body["BPAddresses"] = [
                {
                    "AddressName": (address.name or "Fatura")[:50],
                    "AddressType": "bo_BillTo",
                    "Street": address.line1,
                    "Block": address.line2,
                    "County": address.district,
                    "City": address.city,
                    "ZipCode": address.postal_code,
                    "Country": address.country,
                }
            ]
        self._call("POST", "BusinessPartners", body=body, write=True)
        return ErpAck(customer.reference, code)

    def payment_lookup(self, reference: str) -> ErpAck | None:
        field = self.payment_reference_field
        query = {"$select": "DocEntry,DocNum,Cancelled", "$filter": f"{field} eq {quote_literal(reference)}"}
        rows = [row for row in self._collection("IncomingPayments", query) if row.get("Cancelled") != YES]
        return ErpAck(reference, str(rows[0]["DocEntry"]), _text(rows[0].get("DocNum"))) if rows else None

    def _invoice(self, customer_code: str, number: str, select: str) -> dict[str, Any]:
        try:
            doc_num = int(number)
        except ValueError:
            raise PermanentError(f"{number!r} is not an SAP B1 invoice number") from None
        where = f"DocNum eq {doc_num} and CardCode eq {quote_literal(customer_code)}"
        rows = list(self._collection("Invoices", {"$select": select, "$filter": where}))
        live = [row for row in rows if row.get("Cancelled") != YES]
        if not live:
            raise PermanentError(f"SAP B1 has no invoice {number} of customer {customer_code}")
        return live[0]

    def payment_push(self, payment: ErpPayment) -> ErpAck:
        existing = self.payment_lookup(payment.reference)
        if existing is not None:
            return existing
        account = self.payment_accounts.get(payment.method) or self.payment_accounts.get("*")
        if not account:
            raise PermanentError(
                f"No G/L account for payment method {payment.method!r}: add it to the connection's payment_accounts"
            )
        applied, left = [], payment.amount
        for number in payment.invoice_numbers:
            if left <= 0:
                break
            invoice = self._invoice(payment.customer_code, number, "DocEntry,DocNum,DocTotal,PaidToDate,Cancelled")
            due = (as_decimal(invoice.get("DocTotal")) or 0) - (as_decimal(invoice.get("PaidToDate")) or 0)
            if due <= 0:
                continue  # paid meanwhile: the money stays on account
            share = min(due, left)
            applied.append({"DocEntry": int(invoice["DocEntry"]), "SumApplied": share, "InvoiceType": "it_Invoice"})
            left -= share
        body: dict[str, Any] = {
            "CardCode": payment.customer_code,
            "DocDate": payment.received_on.isoformat(),
            "TransferSum": payment.amount,
            "TransferAccount": account,
            "TransferDate": payment.received_on.isoformat(),
            self.payment_reference_field: payment.reference,
            "Remarks": (payment.description or f"Portal {payment.reference}")[:254],
            "JournalRemarks": f"Portal {payment.reference}"[:50],
            "PaymentInvoices": applied,
        }
        if payment.currency:
            body["DocCurrency"] = payment.currency
        created = self._json(self._call("POST", "IncomingPayments", body=body, write=True))
        return ErpAck(payment.reference, str(created["DocEntry"]), _text(created.get("DocNum")))

    def credit_memo_lookup(self, reference: str) -> ErpAck | None:
        query = {"$select": "DocEntry,DocNum,Cancelled", "$filter": f"NumAtCard eq {quote_literal(reference)}"}
        rows = [row for row in self._collection("CreditNotes", query) if row.get("Cancelled") != YES]
        return ErpAck(reference, str(rows[0]["DocEntry"]), _text(rows[0].get("DocNum"))) if rows else None

    def credit_memo_push(self, memo: ErpCreditMemo) -> ErpAck:
        """A refund of the whole invoice copies its open lines (goods back, linked line by line); a partial refund
        is a service credit memo for the amount on ``refund_account``, referring to the invoice."""
        existing = self.credit_memo_lookup(memo.reference)
        if existing is not None:
            return existing
        if not memo.invoice_number:
            raise PermanentError(f"Refund {memo.reference} names no invoice; SAP B1 credit memos refer to one")
        invoice = self._invoice(
            memo.customer_code, memo.invoice_number, "DocEntry,DocNum,DocTotal,VatSum,Cancelled,DocumentLines"
        )
        total = as_decimal(invoice.get("DocTotal")) or Decimal(0)
        if memo.amount <= 0 or memo.amount > total:
            raise PermanentError(f"Refund {memo.amount} does not fit invoice {memo.invoice_number} of {total}")
        body: dict[str, Any] = {
            "CardCode": memo.customer_code,
            "NumAtCard": memo.reference,
            "DocDate": memo.issued_on.isoformat(),
            "Comments": (memo.reason or f"Refund of invoice {memo.invoice_number}")[:254],
        }
        open_lines = [
            line for line in invoice.get("DocumentLines") or [] if line.get("LineStatus", OPEN) == OPEN
        ]  # fmt: skip
        whole = all(
            as_decimal(line.get("RemainingOpenQuantity")) == as_decimal(line.get("Quantity")) for line in open_lines
        )
        if memo.amount == total and open_lines and whole:
            body["DocumentLines"] = [
                {"BaseType": INVOICE_TYPE, "BaseEntry": int(invoice["DocEntry"]), "BaseLine": line["LineNum"]}
                for line in open_lines
            ]
        else:
            if not self.refund_account:
                raise PermanentError(
                    f"Refund {memo.reference} is part of invoice {memo.invoice_number}: a partial refund needs the "
                    "connection's refund_account (the G/L account of the service credit memo)"
                )
            lines = invoice.get("DocumentLines") or []
            first = lines[0] if lines else {}
            line: dict[str, Any] = {
                "ItemDescription": f"Refund, invoice {memo.invoice_number}"[:100],
                "AccountCode": self.refund_account,
                # Entered gross: SAP takes the VAT out of it, so the memo totals exactly what was refunded.
                "PriceAfterVAT": memo.amount,
            }
            if first.get("VatGroup"):
                line["VatGroup"] = first["VatGroup"]
            body["DocType"] = "dDocument_Service"
            body["DocumentLines"] = [line]
            body["DocumentReferences"] = [
                {
                    "RefDocEntr": int(invoice["DocEntry"]),
                    "RefDocNum": invoice.get("DocNum"),
                    "RefObjType": "rot_SalesInvoice",
                }
            ]
        created = self._json(self._call("POST", "CreditNotes", body=body, write=True))
        return ErpAck(memo.reference, str(created["DocEntry"]), _text(created.get("DocNum")))
