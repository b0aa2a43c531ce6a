"""What the Tryton adapter writes: sales (looked up by the portal's reference first, and taken through the
workflow up to ``order_state``), their cancellation, quotes as sales in the ``quotation`` state and their
cancellation, and receipts of payments as posted journal entries.

Sales carry the portal order number as the customer ``reference``; a push looks the reference up first and
finishes the workflow of a sale an earlier attempt left behind, so retries never create a second sale.

A quote version is a sale of its own whose reference is the quote reference behind ``QUOTE_MARK``
(``quote:Q2026-000012-2``): the reads of orders (statuses, open orders, documents) leave such sales out, so an
offer is never taken for a portal order.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from erpsync.adapters.base import (
    ErpAck,
    ErpCancel,
    ErpOrder,
    ErpOrderAck,
    ErpPayment,
    ErpQuote,
    ErpShipTo,
    PermanentError,
)
from erpsync.adapters.http import text as _text
from erpsync.adapters.tryton.mapping import (
    QUOTE_MARK,
    STATE_RANK,
    as_decimal,
    nested,
    quote_ack,
    receipt_ack,
    sale_ack,
    street_lines,
    vat_rate,
)
from erpsync.adapters.tryton.session import fields_param

# Each step of Tryton's sale workflow, and the button that takes a sale there.
WORKFLOW = {"quotation": "quote", "confirmed": "confirm"}
# Sale states in which Tryton's "cancel" still works (a confirmed sale goes back to draft first).
CANCELLABLE = ("draft", "quotation", "confirmed")

logger = logging.getLogger(__name__)


class TrytonWrites:
    """The writing half of ``TrytonAdapter``. Every create looks its reference up first, so a retry never makes a
    second sale or receipt."""

    def _find_sale(self, reference: str) -> dict[str, Any] | None:
        rows = list(self.search("sale.sale", [["reference", "=", reference]], self.SALE_FIELDS))
        # A customer reference is not unique in Tryton: prefer the live sale when an old one was cancelled.
        live = [row for row in rows if row.get("state") != "cancelled"]
        return (live or rows or [None])[0]

    def order_lookup(self, reference: str) -> ErpOrderAck | None:
        sale = self._find_sale(reference)
        return None if sale is None else sale_ack(reference, sale, self.order_state)

    def order_push(self, order: ErpOrder) -> ErpOrderAck:
        sale = self._find_sale(order.reference)
        if sale is None:
            created = self._call("POST", "model/sale.sale", body=self.sale_values(order), write=True)
            sale = {"id": created["id"], "state": "draft", "reference": order.reference}
        elif sale.get("state") == "cancelled":
            return sale_ack(order.reference, sale, self.order_state)
        sale = self._advance(sale)
        return sale_ack(order.reference, sale, self.order_state)

    def _advance(self, sale: dict[str, Any]) -> dict[str, Any]:
        """Take the sale through the workflow up to ``order_state``; steps already done are skipped, so an attempt
        that stopped half-way is finished by the next one."""
        target = STATE_RANK[self.order_state]
        for state, action in WORKFLOW.items():
            if STATE_RANK.get(sale.get("state"), 0) < STATE_RANK[state] <= target:
                self.button("sale.sale", sale["id"], action)
                sale = self._call("GET", f"model/sale.sale/{int(sale['id'])}", params=fields_param(*self.SALE_FIELDS))
        return sale

    def sale_values(self, order: ErpOrder) -> dict[str, Any]:
        """The ``sale.sale`` create values for ``order``: party, addresses, products, units, currency and taxes are
        looked up by their codes; anything Tryton does not know is refused before anything is written."""
        values = self._sale_base(order, order.delivery_address_code)
        values.update(reference=order.reference, sale_date=order.ordered_on)
        if order.po_number:
            values["description"] = order.po_number
        comment = "\n".join(part for part in (order.note, order.delivery_address) if part)
        if comment:
            values["comment"] = comment
        return values

    def _sale_base(self, order: ErpOrder | ErpQuote, delivery_address_code: str) -> dict[str, Any]:
        """What a sale for an order and one for a quote have in common: party, addresses, currency, payment term,
        warehouse and lines."""
        parties = list(
            self.search(
                "party.party",
                [["code", "=", order.customer_code]],
                ["addresses.invoice", "addresses.delivery", "addresses.sequence", "customer_payment_term"],
            )
        )
        if not parties:
            raise PermanentError(f"Tryton has no party with code {order.customer_code!r}")
        party = parties[0]
        addresses = sorted(party.get("addresses") or [], key=lambda a: (a.get("sequence") or 0, a["id"]))
        if not addresses:
            raise PermanentError(f"Party {order.customer_code!r} has no address in Tryton")
        codes = sorted({line.product_code for line in order.lines})
        products = {
            row["code"]: row
            for row in self.search(
                "product.product",
                [["code", "in", codes]],
                ["code", "default_uom.category", "account_category.customer_taxes_used.rate", "salable"],
            )
        }
        missing = [code for code in codes if code not in products]
        if missing:
            raise PermanentError(f"Tryton has no product with code {', '.join(map(repr, missing))}")
        symbols = sorted({line.unit for line in order.lines})
        units: dict[str, list[dict[str, Any]]] = {}
        for row in self.search("product.uom", [["symbol", "in", symbols]], ["symbol", "category"]):
            units.setdefault(row["symbol"], []).append(row)
        currencies = list(self.search("currency.currency", [["code", "=", order.currency]], ["code"]))
        if not currencies:
            raise PermanentError(f"Tryton has no currency {order.currency!r}")
        lines = self._sale_lines(order, products, units)
        delivery = self._delivery_address(order.customer_code, delivery_address_code, addresses)
        invoice = next((a for a in addresses if a.get("invoice")), addresses[0])
        values: dict[str, Any] = {
            "party": party["id"],
            "currency": currencies[0]["id"],
            "invoice_address": invoice["id"],
            "shipment_address": delivery["id"],
            "lines": [["create", lines]],
        }
        if party.get("customer_payment_term"):
            values["payment_term"] = party["customer_payment_term"]
        warehouse = self.order_warehouse
        if not warehouse and self.sellable_warehouses is not None and len(self.sellable_warehouses) == 1:
            (warehouse,) = self.sellable_warehouses
        if warehouse:
            found = [row for row in self._warehouses(active_only=True) if row["code"] == warehouse]
            if not found:
                raise PermanentError(f"Tryton has no active warehouse {warehouse!r}")
            values["warehouse"] = found[0]["id"]
        return values

    def _sale_lines(
        self,
        order: ErpOrder | ErpQuote,
        products: Mapping[str, dict[str, Any]],
        units: Mapping[str, list[dict[str, Any]]],
    ) -> list[dict[str, Any]]:
        """The sale's lines: each product with its unit and customer taxes, refused when Tryton's taxes make another
        VAT rate than the portal charged."""
        lines = []
        for line in order.lines:
            product = products[line.product_code]
            unit = self._unit(line.unit, units, nested(product, "default_uom", "category"))
            taxes = nested(product, "account_category", "customer_taxes_used") or []
            rate = vat_rate(taxes) or Decimal(0)
            if rate != (as_decimal(line.vat_rate) or Decimal(0)):
                raise PermanentError(
                    f"Line {line.line_no}: the portal charged {line.vat_rate}% VAT on {line.product_code}, "
                    f"Tryton's taxes for it make {rate}%"
                )
            values = {
                "type": "line",
                "product": product["id"],
                "quantity": float(line.quantity),
                "unit": unit,
                "unit_price": line.unit_price,
                "taxes": [["add", [tax["id"] for tax in taxes]]],
            }
            if line.description:
                values["description"] = line.description
            lines.append(values)
        return lines

    @staticmethod
    def _unit(symbol: str, units: Mapping[str, list[dict[str, Any]]], category: int | None) -> int:
        """The unit with ``symbol``; among homonyms, the one of the product's unit category. A unit of another
        category is passed on as it is: Tryton itself refuses it, with its own message."""
        candidates = units.get(symbol) or []
        if not candidates:
            raise PermanentError(f"Tryton has no unit with symbol {symbol!r}")
        same = [row for row in candidates if row.get("category") == category]
        return (same or candidates)[0]["id"]

    @staticmethod
    def _delivery_address(customer_code: str, code: str, addresses: list[dict[str, Any]]) -> dict[str, Any]:
        if code:
            chosen = [a for a in addresses if str(a["id"]) == code]
            if not chosen:
                raise PermanentError(f"Address {code!r} is not one of party {customer_code!r}'s in Tryton")
            return chosen[0]
        return next((a for a in addresses if a.get("delivery")), addresses[0])

    def ship_to_lookup(self, ship_to: ErpShipTo) -> ErpAck | None:
        """The party's active address named ``ship_to.name`` (``party_name``); its Tryton id is its code, as the
        customer import reads it. Refuses (``PermanentError``) one of that name at another street or city."""
        domain = [["party.code", "=", ship_to.customer_code], ["party_name", "=", ship_to.name]]
        for row in self.search("party.address", domain, ["street", "city"]):
            line1, _rest = street_lines(_text(row.get("street")))
            if (line1, _text(row.get("city"))) != (ship_to.line1, ship_to.city):
                raise PermanentError(
                    f"Tryton already has an address named {ship_to.name!r} for party {ship_to.customer_code!r} at "
                    f"another address ({line1}, {_text(row.get('city'))}); rename one of them."
                )
            return ErpAck(ship_to.reference, str(row["id"]))
        return None

    def ship_to_push(self, ship_to: ErpShipTo) -> ErpAck:
        """Create a delivery address (``party.address``, delivery and not invoice) on the party."""
        parties = list(self.search("party.party", [["code", "=", ship_to.customer_code]], ["code"]))
        if not parties:
            raise PermanentError(f"Tryton has no party with code {ship_to.customer_code!r}")
        countries = list(self.search("country.country", [["code", "=", ship_to.country]], ["code"]))
        if not countries:
            raise PermanentError(f"Tryton has no country {ship_to.country!r}")
        street = "\n".join(part for part in (ship_to.line1, ship_to.line2, ship_to.district) if part)
        values = {
            "party": parties[0]["id"],
            "party_name": ship_to.name,
            "street": street,
            "postal_code": ship_to.postal_code,
            "city": ship_to.city,
            "country": countries[0]["id"],
            "delivery": True,
            "invoice": False,
        }
        created = self._call("POST", "model/party.address", body=values, write=True)
        return ErpAck(ship_to.reference, str(created["id"]))

    def order_cancel(self, cancel: ErpCancel) -> ErpAck:
        if cancel.document_id:
            sale = self._call(
                "GET", f"model/sale.sale/{int(cancel.document_id)}", params=fields_param(*self.SALE_FIELDS)
            )
        else:
            sale = self._find_sale(cancel.reference)
            if sale is None:
                raise PermanentError(f"Tryton holds no sale with reference {cancel.reference!r}")
        ack = ErpAck(cancel.reference, str(sale["id"]), _text(sale.get("number")))
        state = sale.get("state")
        if state == "cancelled":
            return ack  # cancelled before (a retry after an unanswered cancel): nothing left to do
        if state not in CANCELLABLE:
            raise PermanentError(
                f"Sale {sale.get('number') or sale['id']} is {state} in Tryton: its shipments exist, it can no longer "
                "be cancelled as a whole"
            )
        if state == "confirmed":
            self.button("sale.sale", sale["id"], "draft")
        self.button("sale.sale", sale["id"], "cancel")
        return ack

    # -- quotes ------------------------------------------------------------------------------------------------

    def quote_lookup(self, reference: str) -> ErpOrderAck | None:
        sale = self._find_sale(QUOTE_MARK + reference)
        return None if sale is None else quote_ack(reference, sale)

    def quote_push(self, quote: ErpQuote) -> ErpOrderAck:
        """A sale in the ``quotation`` state: created as a draft with its lines, the marked reference, the quotation
        date and validity (Tryton's "Quotation Expire" is the portal's valid-until date; Tryton cancels the sale
        once it passes), the dealer's note and the terms as its comment; then quoted (numbered). Looked up first: a
        retry after an unanswered create or quote finds the sale and finishes it instead of adding another."""
        sale = self._find_sale(QUOTE_MARK + quote.reference)
        if sale is None:
            created = self._call("POST", "model/sale.sale", body=self.quote_values(quote), write=True)
            sale = {"id": created["id"], "state": "draft"}
        if sale.get("state") == "draft":
            self.button("sale.sale", sale["id"], WORKFLOW["quotation"])
            sale = self._call("GET", f"model/sale.sale/{int(sale['id'])}", params=fields_param(*self.SALE_FIELDS))
        return quote_ack(quote.reference, sale)

    def quote_values(self, quote: ErpQuote) -> dict[str, Any]:
        """The ``sale.sale`` create values for ``quote`` (checked as an order's are, nothing written when refused)."""
        if quote.valid_until < quote.quoted_on:
            raise PermanentError(
                f"Quote {quote.reference} is valid until {quote.valid_until.isoformat()}, before it was quoted"
            )
        values = self._sale_base(quote, "")
        values.update(
            reference=QUOTE_MARK + quote.reference,
            quotation_date=quote.quoted_on,
            quotation_validity=quote.valid_until - quote.quoted_on,
        )
        comment = "\n\n".join(part for part in (quote.note, quote.terms) if part)
        if comment:
            values["comment"] = comment
        return values

    def quote_cancel(self, cancel: ErpCancel) -> ErpAck:
        """Cancel the quotation sale (Tryton's ``cancel``). Done already when it is cancelled; a sale Tryton's staff
        confirmed (or that is processed further) is an order there now: it is left as it is, with a warning, and
        its lookup reports the quote closed."""
        if cancel.document_id.isdigit():
            sale = self._call(
                "GET", f"model/sale.sale/{int(cancel.document_id)}", params=fields_param(*self.SALE_FIELDS)
            )
            if sale.get("reference") != QUOTE_MARK + cancel.reference:
                raise PermanentError(
                    f"Tryton's sale {cancel.document_id} is not the quote {cancel.reference!r} "
                    f"(its reference is {sale.get('reference')!r})"
                )
        else:
            sale = self._find_sale(QUOTE_MARK + cancel.reference)
            if sale is None:
                raise PermanentError(f"Tryton holds no quotation sale for quote {cancel.reference!r}")
        ack = ErpAck(cancel.reference, str(sale["id"]), _text(sale.get("number")))
        state = sale.get("state")
        if state in ("draft", "quotation"):
            self.button("sale.sale", sale["id"], "cancel")
        elif state != "cancelled":
            logger.warning(
                "Quote %s was not cancelled in Tryton: its sale %s is %s there (an order now).",
                cancel.reference,
                sale.get("number") or sale["id"],
                state,
            )
        return ack

    def _find_receipt(self, reference: str) -> dict[str, Any] | None:
        """The journal entry carrying ``reference`` in the payments journal, posted ones first."""
        domain = [["description", "=", reference], ["journal.code", "=", self.payment_journal]]
        rows = list(self.search("account.move", domain, ["state", "number"]))
        rows.sort(key=lambda row: row.get("state") != "posted")
        return rows[0] if rows else None

    def payment_lookup(self, reference: str) -> ErpAck | None:
        """The posted receipt for ``reference``. A draft an earlier attempt left is no receipt yet: the next push
        posts it."""
        self._payments_configured()
        row = self._find_receipt(reference)
        if row is None or row.get("state") != "posted":
            return None
        return receipt_ack(reference, row)

    def payment_push(self, payment: ErpPayment) -> ErpAck:
        self._payments_configured()
        row = self._find_receipt(payment.reference)
        if row is None:
            created = self._call("POST", "model/account.move", body=self.receipt_values(payment), write=True)
            row = {"id": created["id"], "state": "draft"}
        if row.get("state") != "posted":
            self.button("account.move", row["id"], "post")
            row = self._call("GET", f"model/account.move/{int(row['id'])}", params=fields_param("state", "number"))
        return receipt_ack(payment.reference, row)

    def _payments_configured(self) -> None:
        if not self.payment_journal:
            raise PermanentError(
                "Payments are not set up for this Tryton connection: set 'payment_journal' and 'payment_account'."
            )

    def receipt_values(self, payment: ErpPayment) -> dict[str, Any]:
        """The ``account.move`` create values of a collection; refuses what Tryton does not know."""
        if payment.amount <= 0:
            raise PermanentError(f"A receipt needs a positive amount, got {payment.amount}")
        company = self.company()
        if payment.currency != company["currency"]:
            raise PermanentError(
                f"Receipts are posted in the company currency {company['currency']}, not {payment.currency}"
            )
        parties = list(self.search("party.party", [["code", "=", payment.customer_code]], ["account_receivable"]))
        if not parties:
            raise PermanentError(f"Tryton has no party with code {payment.customer_code!r}")
        receivable = parties[0].get("account_receivable")
        if not receivable:
            configuration = self._call(
                "GET", "model/account.configuration/1", params=fields_param("default_account_receivable")
            )
            receivable = (configuration or {}).get("default_account_receivable")
        if not receivable:
            raise PermanentError(f"Party {payment.customer_code!r} has no receivable account in Tryton")
        journals = list(self.search("account.journal", [["code", "=", self.payment_journal]], ["code"]))
        if not journals:
            raise PermanentError(f"Tryton has no journal with code {self.payment_journal!r}")
        accounts = list(
            self.search(
                "account.account",
                [["code", "=", self.payment_account], ["company", "=", company["id"]], ["closed", "!=", True]],
                ["code"],
            )
        )
        if not accounts:
            raise PermanentError(f"Tryton has no open account with code {self.payment_account!r}")
        periods = list(
            self.search(
                "account.period",
                [
                    ["company", "=", company["id"]],
                    ["type", "=", "standard"],
                    ["state", "=", "open"],
                    ["start_date", "<=", payment.received_on],
                    ["end_date", ">=", payment.received_on],
                ],
                ["name"],
            )
        )
        if not periods:
            raise PermanentError(f"Tryton has no open period on {payment.received_on.isoformat()}")
        text = " ".join(
            part
            for part in (
                payment.method,
                payment.description,
                payment.order_reference,
                ", ".join(payment.invoice_numbers),
            )
            if part
        )[:250]
        lines = [
            {"account": accounts[0]["id"], "debit": payment.amount, "credit": Decimal(0), "description": text},
            {
                "account": receivable,
                "party": parties[0]["id"],
                "debit": Decimal(0),
                "credit": payment.amount,
                "description": text,
            },
        ]
        return {
            "journal": journals[0]["id"],
            "period": periods[0]["id"],
            "date": payment.received_on,
            "description": payment.reference,
            "lines": [["create", lines]],
        }
