"""What the Paraşüt adapter writes: an approved order as a draft sales invoice or a sales offer (``order_document``)
carrying the portal order number in ``order_no``, its cancellation, and collections on invoices.

Never twice: Paraşüt does not enforce ``order_no`` and has no filter on it, so every create is preceded by a
look-up that narrows by what the order fixes (the customer and the order's date for invoices, Paraşüt's text search
for offers) and compares ``order_no`` exactly; ``order_lookup`` with the number alone reads the invoices made in the
last ``lookback_days``, newest first. Collections are looked up in the account's transactions by the portal's
reference, which goes into the collection's description.

Cancellation follows Paraşüt's rules: an invoice is cancelled (``DELETE …/cancel``) unless it has collections or
went out as an e-invoice/e-archive (then Paraşüt refuses, and the reason goes to a person); an offer is marked
rejected (it stays, so a later look-up still sees it).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from erpsync.adapters.base import (
    Capability,
    ErpAck,
    ErpCancel,
    ErpCreditMemo,
    ErpOrder,
    ErpOrderAck,
    ErpOrderState,
    ErpPayment,
    PermanentError,
)
from erpsync.adapters.parasut.mapping import (
    NO_CODE,
    as_datetime,
    as_decimal,
    invoice_number,
    order_ack,
    parasut_currency,
)
from erpsync.adapters.parasut.session import Document, related_id

logger = logging.getLogger(__name__)

KINDS = {"sales_invoice": "sales_invoices", "sales_offer": "sales_offers"}
LIVE_INVOICE_TYPES = "invoice,estimate,export"


class ParasutWrites:
    """The writing half of ``ParasutAdapter``."""

    # -- orders -----------------------------------------------------------------------------------------------------

    @property
    def order_kind(self) -> str:
        return KINDS[self.order_document]

    def _match(self, rows: list[dict[str, Any]], reference: str) -> dict[str, Any] | None:
        """The live document carrying ``reference`` (a cancelled or rejected one only when there is no other)."""
        mine = [row for row in rows if (row["attributes"].get("order_no") or "") == reference]
        live = [
            r
            for r in mine
            if r["attributes"].get("item_type") != "cancelled" and r["attributes"].get("status") != "rejected"
        ]
        return (live or mine or [None])[0]

    def _find_offer(self, reference: str) -> dict[str, Any] | None:
        rows = [
            row
            for _page, row in self._pages("sales_offers", {"filter[query]": reference, "sort": "-id"}, page_size=False)
        ]
        return self._match(rows, reference)

    def _find_invoice(
        self, reference: str, *, customer: str = "", issued: str = "", item_types: str = LIVE_INVOICE_TYPES
    ) -> dict[str, Any] | None:
        """With the order's customer and date: one narrow query. With the reference alone: the invoices made in
        the last ``lookback_days``, newest first, read until it is found, at most ``lookup_pages`` pages (the
        narrow query before every create is what keeps a second invoice out)."""
        if customer and issued:
            query = {
                "filter[contact_id]": customer,
                "filter[issue_date]": issued,
                "filter[item_type]": item_types,
                "sort": "-id",
            }
            return self._match([row for _page, row in self._pages("sales_invoices", query)], reference)
        oldest = datetime.now(UTC) - timedelta(days=self.lookback_days)
        rows = []
        for index, (_page, row) in enumerate(
            self._pages("sales_invoices", {"filter[item_type]": item_types, "sort": "-id"})
        ):
            created = as_datetime(row["attributes"].get("created_at"))
            if created is not None and created < oldest:
                break
            rows.append(row)
            if (
                row["attributes"].get("order_no") or ""
            ) == reference or index + 1 >= self.lookup_pages * self.page_size:
                break  # found, or the last row of the pages it may read (the next would fetch another page)
        return self._match(rows, reference)

    def order_lookup(self, reference: str) -> ErpOrderAck | None:
        row = self._find_offer(reference) if self.order_kind == "sales_offers" else self._find_invoice(reference)
        return None if row is None else order_ack(reference, self.order_kind, row)

    def _product_ids(self, codes: set[str]) -> dict[str, str]:
        """Paraşüt ids of the order's products (``#<id>`` codes name the id), one query per other code."""
        found = {code: code[len(NO_CODE) :] for code in codes if code.startswith(NO_CODE)}
        for code in sorted(codes - set(found)):
            rows = [row for _page, row in self._pages("products", {"filter[code]": code})]
            exact = [row for row in rows if (row["attributes"].get("code") or "").strip() == code]
            if exact:
                found[code] = str(exact[0]["id"])
        return found

    def _order_body(self, order: ErpOrder, contact: str) -> dict[str, Any]:
        ids = self._product_ids({line.product_code for line in order.lines})
        missing = sorted({line.product_code for line in order.lines} - set(ids))
        if missing:
            raise PermanentError(f"Paraşüt has no product with code {', '.join(missing)} (order {order.reference})")
        detail_type = "sales_invoice_details" if self.order_kind == "sales_invoices" else "sales_offer_details"
        details = []
        for line in order.lines:
            attributes: dict[str, Any] = {
                "quantity": line.quantity,
                "vat_rate": line.vat_rate,
                "description": (line.description or line.product_code)[:255],
            }
            if line.list_price is not None and line.discount_percent:
                attributes.update(
                    unit_price=line.list_price, discount_type="percentage", discount_value=line.discount_percent
                )
            else:
                attributes["unit_price"] = line.unit_price
            details.append(
                {
                    "type": detail_type,
                    "attributes": attributes,
                    "relationships": {"product": {"data": {"id": ids[line.product_code], "type": "products"}}},
                }
            )
        note = " · ".join(
            part
            for part in (f"Portal {order.reference}", order.po_number and f"PO {order.po_number}", order.note)
            if part
        )
        attributes = {
            "issue_date": order.ordered_on.isoformat(),
            "currency": parasut_currency(order.currency),
            "order_no": order.reference,
            "description": note[:255],
        }
        if order.requested_on:
            attributes["due_date"] = order.requested_on.isoformat()
        if self.order_kind == "sales_invoices":
            attributes.update(item_type=self.invoice_item_type, order_date=order.ordered_on.isoformat())
            if order.delivery_address:
                attributes["shipment_addres"] = order.delivery_address[:255]  # Paraşüt's own spelling
        return {
            "data": {
                "type": self.order_kind,
                "attributes": attributes,
                "relationships": {
                    "contact": {"data": {"id": contact, "type": "contacts"}},
                    "details": {"data": details},
                },
            }
        }

    def _existing(self, order: ErpOrder, contact: str) -> dict[str, Any] | None:
        if self.order_kind == "sales_offers":
            return self._find_offer(order.reference)
        return self._find_invoice(order.reference, customer=contact, issued=order.ordered_on.isoformat())

    def _contact_id(self, code: str) -> str:
        """The Paraşüt id of the contact the portal calls ``code`` (``customer_code``), or PermanentError."""
        if code.startswith(NO_CODE) and code[1:].isdigit():
            return code[1:]
        if self.customer_code == "id":
            if not code.isdigit():
                raise PermanentError(f"{code!r} is not a Paraşüt contact id")
            return code
        query = {"filter[tax_number]": code, "filter[account_type]": "customer"}
        rows = [row for _page, row in self._pages("contacts", query)]
        rows = [row for row in rows if (row["attributes"].get("tax_number") or "").strip() == code]
        live = [row for row in rows if not row["attributes"].get("archived")] or rows
        if len(live) != 1:
            found = ", ".join(str(row["id"]) for row in live) or "none"
            raise PermanentError(f"Paraşüt customers with tax number {code}: {found}; exactly one is needed")
        return str(live[0]["id"])

    def order_push(self, order: ErpOrder) -> ErpOrderAck:
        contact = self._contact_id(order.customer_code)
        existing = self._existing(order, contact)
        if existing is not None:
            return order_ack(order.reference, self.order_kind, existing)
        created = self._call("POST", self.order_kind, body=self._order_body(order, contact), write=True)
        return order_ack(order.reference, self.order_kind, created.data)

    def order_cancel(self, cancel: ErpCancel) -> ErpAck:
        kind, _, key = cancel.document_id.partition("/")
        if kind != self.order_kind or not key.isdigit():
            found = self.order_lookup(cancel.reference)
            if found is None:
                raise PermanentError(f"Paraşüt holds no document for order {cancel.reference}")
            kind, _, key = found.document_id.partition("/")
        row = self._call("GET", f"{kind}/{key}").data
        ack = order_ack(cancel.reference, kind, row)
        if ack.state == ErpOrderState.CANCELLED:
            return ErpAck(cancel.reference, ack.document_id, ack.document_number)  # cancelled before: nothing to do
        if kind == "sales_offers":
            body = {"data": {"type": "sales_offers", "attributes": {"status": "rejected"}}}
            self._call("PATCH", f"sales_offers/{key}/update_status", body=body, write=True)
        else:
            self._call("DELETE", f"sales_invoices/{key}/cancel", write=True)
        return ErpAck(cancel.reference, ack.document_id, ack.document_number)

    # -- collections ------------------------------------------------------------------------------------------------

    def _accounts(self) -> list[str]:
        return sorted(set(self.payment_accounts.values()))

    def _find_payment(self, reference: str, *, on: str = "") -> ErpAck | None:
        """The collection whose description carries ``reference``, in the accounts' transactions (of the day ``on``
        when known, else those keyed in during the last ``lookback_days``)."""
        oldest = datetime.now(UTC) - timedelta(days=self.lookback_days)
        tag = f"[{reference}]"
        for account in self._accounts():
            query = {"sort": "-id"}
            if on:
                query["filter[date]"] = on
            for _page, row in self._pages(f"accounts/{account}/transactions", query):
                a = row["attributes"]
                created = as_datetime(a.get("created_at"))
                if not on and created is not None and created < oldest:
                    break  # newest first: what follows was keyed in before the look-back
                if tag in (a.get("description") or ""):
                    return ErpAck(reference, f"payments/{related_id(row, 'payments') or row['id']}")
        return None

    def payment_lookup(self, reference: str) -> ErpAck | None:
        return self._find_payment(reference)

    def _invoice_for(self, payment: ErpPayment) -> dict[str, Any]:
        """The open invoice the collection settles: the first of ``invoice_numbers`` still open, else the one made
        from ``order_reference``."""
        candidates: list[dict[str, Any]] = []
        for number in payment.invoice_numbers:
            if number.startswith(NO_CODE) and number[1:].isdigit():
                candidates.append(self._call("GET", f"sales_invoices/{number[1:]}").data)
            else:
                query = {"filter[contact_id]": self._contact_id(payment.customer_code), "sort": "-id"}
                candidates += [
                    row
                    for _p, row in self._pages("sales_invoices", query)
                    if row["attributes"].get("invoice_no") == number
                ]
        if not candidates and payment.order_reference:
            row = self._find_invoice(payment.order_reference)
            candidates = [row] if row is not None else []
        open_ = [row for row in candidates if (as_decimal(row["attributes"].get("remaining")) or 0) > 0]
        if not open_:
            raise PermanentError(
                f"Paraşüt takes collections on invoices: no open invoice for payment {payment.reference} "
                f"(invoices {', '.join(payment.invoice_numbers) or '-'}, order {payment.order_reference or '-'})"
            )
        return open_[0]

    def payment_push(self, payment: ErpPayment) -> ErpAck:
        existing = self._find_payment(payment.reference, on=payment.received_on.isoformat())
        if existing is not None:
            return existing
        account = self.payment_accounts.get(payment.method) or self.payment_accounts.get("*")
        if not account:
            raise PermanentError(
                f"No Paraşüt account for payment method {payment.method!r}: add it to the connection's payment_accounts"
            )
        invoice = self._invoice_for(payment)
        amount = min(payment.amount, as_decimal(invoice["attributes"].get("remaining")) or Decimal(0))
        description = f"{payment.description or 'Portal tahsilatı'} [{payment.reference}]"[:255]
        body = {
            "data": {
                "type": "payments",
                "attributes": {
                    "date": payment.received_on.isoformat(),
                    "amount": amount,
                    "account_id": int(account),
                    "description": description,
                },
            }
        }
        created: Document = self._call("POST", f"sales_invoices/{invoice['id']}/payments", body=body, write=True)
        return ErpAck(payment.reference, f"payments/{created.data['id']}")

    # -- refunds (``refunds`` on): a refund-type invoice ------------------------------------------------------------

    def credit_memo_lookup(self, reference: str) -> ErpAck | None:
        row = self._find_invoice(reference, item_types="refund")
        return None if row is None else ErpAck(reference, f"sales_invoices/{row['id']}", invoice_number(row))

    def _refunded_invoice(self, memo: ErpCreditMemo, contact: str) -> Document:
        """The invoice the refund corrects (by its number, else the one made from its order), with its details."""
        key = ""
        if memo.invoice_number.startswith(NO_CODE) and memo.invoice_number[1:].isdigit():
            key = memo.invoice_number[1:]
        elif memo.invoice_number:
            query = {"filter[contact_id]": contact, "sort": "-id"}
            found = [
                row
                for _p, row in self._pages("sales_invoices", query)
                if row["attributes"].get("invoice_no") == memo.invoice_number
            ]
            key = str(found[0]["id"]) if found else ""
        elif memo.order_reference:
            row = self._find_invoice(memo.order_reference)
            key = str(row["id"]) if row is not None else ""
        if not key:
            raise PermanentError(
                f"Paraşüt has no invoice {memo.invoice_number or '-'} (order {memo.order_reference or '-'}) for "
                f"refund {memo.reference}"
            )
        return self._call("GET", f"sales_invoices/{key}", query={"include": "details"})

    def credit_memo_push(self, memo: ErpCreditMemo) -> ErpAck:
        """A refund-type invoice of one line for the refunded amount (VAT included), at the refunded invoice's VAT
        rate, carrying the portal's reference in ``order_no``; refused when the invoice mixes VAT rates (which
        part of the amount carries which rate is for a person to say)."""
        if not self.supports(Capability.CREDIT_MEMO_PUSH):
            raise PermanentError(
                f"Refund {memo.reference} ({memo.amount} {memo.currency}) is not sent: this Paraşüt connection does "
                "not use refund invoices (setting refunds). Book it in Paraşüt and mark the job done."
            )
        contact = self._contact_id(memo.customer_code)
        existing = self._find_invoice(
            memo.reference, customer=contact, issued=memo.issued_on.isoformat(), item_types="refund"
        )
        if existing is not None:
            return ErpAck(memo.reference, f"sales_invoices/{existing['id']}", invoice_number(existing))
        document = self._refunded_invoice(memo, contact)
        invoice = document.data
        rates = {as_decimal(d["attributes"].get("vat_rate")) for d in document.related(invoice, "details")}
        if len(rates) != 1:
            raise PermanentError(
                f"Invoice {invoice_number(invoice)} has VAT rates {sorted(map(str, rates))}: refund {memo.reference} "
                "needs a person to split it in Paraşüt"
            )
        (rate,) = rates
        if memo.amount <= 0 or memo.amount > (as_decimal(invoice["attributes"].get("net_total")) or 0):
            raise PermanentError(f"Refund {memo.amount} does not fit invoice {invoice_number(invoice)}")
        net = (memo.amount / (1 + (rate or 0) / 100)).quantize(Decimal("0.0001"))
        detail = {
            "type": "sales_invoice_details",
            "attributes": {
                "quantity": 1,
                "unit_price": net,
                "vat_rate": rate or 0,
                "description": f"İade: {invoice_number(invoice)}"[:255],
            },
        }
        attributes = {
            "item_type": "refund",
            "issue_date": memo.issued_on.isoformat(),
            "currency": parasut_currency(memo.currency),
            "order_no": memo.reference,
            "description": (memo.reason or f"Portal {memo.reference}")[:255],
        }
        body = {
            "data": {
                "type": "sales_invoices",
                "attributes": attributes,
                "relationships": {
                    "contact": {"data": {"id": contact, "type": "contacts"}},
                    "details": {"data": [detail]},
                },
            }
        }
        created = self._call("POST", "sales_invoices", body=body, write=True)
        return ErpAck(memo.reference, f"sales_invoices/{created.data['id']}", invoice_number(created.data))
