"""What the Logo adapter writes, over REST or SOAP (``write_transport``): an approved order as a sales order slip
(``salesOrders``) carrying the portal order number in ``DOC_NUMBER`` (or ``reference_field``), its cancellation while
nothing is shipped, a confirmed new dealer as a customer card (``Arps`` / ``AR_APS/AR_AP``, looked up by its code
first), and collections as bank or cash slips carrying the portal's reference in ``DOC_NUMBER``.

Never twice: Logo does not enforce ``DOC_NUMBER``, so every create is preceded by a look-up of the reference in the
order slips of the working period and the one before it (``previous_period``), the outbox looks it up again after
an answer that never came (``OutcomeUnknownError``), and the push itself looks once more.
"""

from __future__ import annotations

import logging
from datetime import datetime
from decimal import Decimal
from typing import Any

from erpsync.adapters.base import (
    ErpAck,
    ErpCancel,
    ErpCreditMemo,
    ErpNewCustomer,
    ErpOrder,
    ErpOrderAck,
    ErpOrderLine,
    ErpOrderState,
    ErpPayment,
    ErpQuote,
    PermanentError,
)
from erpsync.adapters.http import text as _text
from erpsync.adapters.logo.mapping import as_decimal, order_state
from erpsync.adapters.logo.session import sql_text
from erpsync.adapters.logo.soap import ACCOUNTS_RP, ARP_VOUCHER, BANK_VOUCHER, SAFE_DEPOSIT

logger = logging.getLogger(__name__)

MAX_REFERENCE = 32  # DOCODE / SPECODE hold at most this many characters
MAX_CUSTOMER_CODE = 17  # CLCARD.CODE
CREDIT_NOTE = 4  # CLFICHE TRCODE: alacak dekontu
ORDER_SUGGESTION = 1  # ORFICHE STATUS: öneri
# ISO country codes → the country name Logo's cards carry (COUNTRY is free text there; others go as the code).
COUNTRIES = {"TR": "TÜRKİYE"}


def packed_time(when: datetime) -> int:
    """Logo's packed TIME: h·2^24 + m·2^16 + s·2^8."""
    return (when.hour << 24) + (when.minute << 16) + (when.second << 8)


class LogoWrites:
    """The writing half of ``LogoAdapter``."""

    # -- orders -----------------------------------------------------------------------------------------------------

    def _find_order(self, reference: str, *, quotes: bool = False) -> tuple[int, dict[str, Any]] | None:
        """(period, row) of the order slip (or quote slip) carrying ``reference``: a live one before a cancelled one,
        the working period before the previous one."""
        found: list[tuple[int, dict[str, Any]]] = []
        column = "DOCODE" if quotes else self.reference_column
        for period in self.periods:
            where = f" AND F.{column} = {sql_text(reference)}"
            found += [(period, row) for row in self.keyset(self._order_sql(period, where, quotes=quotes))]
        live = [item for item in found if not int(item[1].get("CANCELLED") or 0)]
        return (live or found or [None])[0]

    def _ack(self, reference: str, period: int, row: dict[str, Any]) -> ErpOrderAck:
        return ErpOrderAck(reference, f"{period}/{row['K']}", _text(row["FICHENO"]).strip(), order_state(row))

    def order_lookup(self, reference: str) -> ErpOrderAck | None:
        found = self._find_order(reference)
        return None if found is None else self._ack(reference, *found)

    def _order_body(self, order: ErpOrder) -> dict[str, Any]:
        if not order.reference or len(order.reference) > MAX_REFERENCE:
            raise PermanentError(f"Order reference {order.reference!r} does not fit Logo's {self.reference_field}")
        note = " · ".join(part for part in (order.po_number and f"PO {order.po_number}", order.note) if part)
        now = datetime.now(self.zone)
        body: dict[str, Any] = {
            "NUMBER": "~",
            "DATE": order.ordered_on.isoformat(),
            "TIME": packed_time(now),
            "ARP_CODE": order.customer_code,
            self.reference_field: order.reference,
            "ORDER_STATUS": self.order_status,
            "SOURCE_WH": self.order_warehouse,
            "NOTES1": note[:50],
            "TRANSACTIONS": {"items": [item for line in order.lines for item in self._order_lines(order, line)]},
        }
        if order.sales_rep_code:
            body["SALESMAN_CODE"] = order.sales_rep_code
        if order.delivery_address_code:
            body["SHIPLOC_CODE"] = order.delivery_address_code
        return body

    def _order_lines(self, order: ErpOrder, line: ErpOrderLine) -> list[dict[str, Any]]:
        """The transfer lines of one order line: the material line, and with ``line_discounts`` ``discount_line``
        a discount line (TYPE 2) after it when the dealer's percentage discount priced it."""
        discounted = self.line_discounts == "discount_line" and line.list_price and line.discount_percent > 0
        price = line.list_price if discounted else line.unit_price
        foreign = self._logo_currency(order.currency)
        material: dict[str, Any] = {
            "TYPE": 0,
            "MASTER_CODE": line.product_code,
            "QUANTITY": line.quantity,
            # In another currency: the price in it (EDT_PRICE, EDT_CURR); Logo converts at its rate of the day.
            **({"EDT_CURR": foreign, "EDT_PRICE": price} if foreign else {"PRICE": price}),
            "UNIT_CODE": line.unit,
            "VAT_RATE": line.vat_rate,
            "SOURCE_WH": self.order_warehouse,
            **({"DUE_DATE": order.requested_on.isoformat()} if order.requested_on else {}),
            **({"SALESMAN_CODE": order.sales_rep_code} if order.sales_rep_code else {}),
        }
        if not discounted:
            return [material]
        return [material, {"TYPE": 2, "DISCOUNT_RATE": line.discount_percent}]

    def order_push(self, order: ErpOrder) -> ErpOrderAck:
        body = self._order_body(order)
        existing = self._find_order(order.reference)
        if existing is not None:
            return self._ack(order.reference, *existing)
        if self.write_transport == "soap":
            key, number = self.soap_append_order(body)
            created = {"INTERNAL_REFERENCE": key, "NUMBER": number} if key and number else {}
        else:
            created = self._call("POST", "salesOrders", body=body, write=True) or {}
        key = created.get("INTERNAL_REFERENCE")
        if not key:
            found = self._find_order(order.reference)  # an answer without the record: read what was made
            if found is None:
                raise PermanentError(f"Logo accepted order {order.reference} but holds no slip for it")
            return self._ack(order.reference, *found)
        return ErpOrderAck(order.reference, f"{self.period}/{key}", _text(created.get("NUMBER")).strip())

    def order_cancel(self, cancel: ErpCancel) -> ErpAck:
        return self._cancel_slip(cancel, quotes=False)

    def _cancel_slip(self, cancel: ErpCancel, *, quotes: bool) -> ErpAck:
        found = self._find_order(cancel.reference, quotes=quotes)
        if found is None:
            raise PermanentError(f"Logo holds no {'quote' if quotes else 'order'} slip for {cancel.reference}")
        period, row = found
        ack = self._ack(cancel.reference, period, row)
        if ack.state == ErpOrderState.CANCELLED:
            return ErpAck(cancel.reference, ack.document_id, ack.document_number)
        if ack.state != ErpOrderState.OPEN:
            raise PermanentError(
                f"Logo order {ack.document_number} ({cancel.reference}) is {ack.state}: it cannot be cancelled "
                "once shipped or closed; cancel it in Logo"
            )
        if period != self.period:
            raise PermanentError(
                f"Logo order {ack.document_number} ({cancel.reference}) is in period {period}, not the working "
                f"period {self.period}: cancel it in Logo"
            )
        if self.write_transport == "soap":
            self.soap_delete_order(int(row["K"]))
        elif self.cancel_mode == "delete":
            self._call("DELETE", f"salesOrders/{row['K']}", write=True)
        else:
            self._call("PATCH", "salesOrders", body={"INTERNAL_REFERENCE": row["K"], "CANCELLED": 1}, write=True)
        return ErpAck(cancel.reference, ack.document_id, ack.document_number)

    # -- quotes (suggestion order slips) -----------------------------------------------------------------------------

    def quote_lookup(self, reference: str) -> ErpOrderAck | None:
        found = self._find_order(reference, quotes=True)
        return None if found is None else self._ack(reference, *found)

    def quote_push(self, quote: ErpQuote) -> ErpOrderAck:
        """The quote as a sales order slip in status 1 (öneri, suggestion: nothing reserved, nothing shipped), marked
        with ``quote_marker`` in ``AUXIL_CODE`` and carrying the quote's number and version in ``DOC_NUMBER``, its
        validity, note and terms in the notes. Looked up first, like an order."""
        if quote.valid_until < quote.quoted_on:
            raise PermanentError(f"Quote {quote.reference} is valid until {quote.valid_until}, before it was quoted")
        as_order = ErpOrder(
            reference=quote.reference,
            customer_code=quote.customer_code,
            ordered_on=quote.quoted_on,
            currency=quote.currency,
            payment_method="",
            lines=quote.lines,
            net=quote.net,
            vat=quote.vat,
            gross=quote.gross,
        )
        body = self._order_body(as_order)
        body.pop("AUXIL_CODE", None)
        body.update(
            DOC_NUMBER=quote.reference,
            AUXIL_CODE=self.quote_marker,
            ORDER_STATUS=ORDER_SUGGESTION,
            NOTES1=f"Teklif, geçerlilik {quote.valid_until:%d.%m.%Y}"[:50],
            NOTES2=quote.note[:50],
            NOTES3=quote.terms[:50],
        )
        existing = self._find_order(quote.reference, quotes=True)
        if existing is not None:
            return self._ack(quote.reference, *existing)
        if self.write_transport == "soap":
            key, number = self.soap_append_order(body)
        else:
            created = self._call("POST", "salesOrders", body=body, write=True) or {}
            key, number = created.get("INTERNAL_REFERENCE"), _text(created.get("NUMBER")).strip()
        if not key:
            found = self._find_order(quote.reference, quotes=True)
            if found is None:
                raise PermanentError(f"Logo accepted quote {quote.reference} but holds no slip for it")
            return self._ack(quote.reference, *found)
        return ErpOrderAck(quote.reference, f"{self.period}/{key}", number)

    def quote_cancel(self, cancel: ErpCancel) -> ErpAck:
        """Cancel the quote's slip as an order's (while open; a slip a Logo user approved and shipped stays)."""
        return self._cancel_slip(cancel, quotes=True)

    # -- new customers (CLCARD) -------------------------------------------------------------------------------------

    def customer_lookup(self, code: str) -> ErpAck | None:
        """The customer card (any card type, passive or not) with ``CLCARD.CODE`` = ``code``."""
        rows = self.query(
            f"SELECT LOGICALREF, CODE FROM {self.t('CLCARD')} WHERE CODE = {sql_text(code)} ORDER BY LOGICALREF"
        )
        if not rows:
            return None
        return ErpAck(code, _text(rows[0]["CODE"]).strip(), str(rows[0]["LOGICALREF"]))

    def _logo_currency(self, iso: str) -> int:
        """Logo's currency number of ``iso`` (``currencies`` read backwards; the local currency is 0). A number
        (a currency value map to Logo's numbers) is taken as it is."""
        if iso in ("", "TRY", "TL"):
            return 0
        if iso.isdigit():
            return 0 if iso in ("0", "160") else int(iso)
        for number, code in self.currencies.items():
            if code == iso and number not in ("0", "160"):
                return int(number)
        raise PermanentError(f"No Logo currency number for {iso}: add it to the connection's currencies")

    def _customer_body(self, customer: ErpNewCustomer) -> dict[str, Any]:
        """The ``AR_AP`` fields (REST ``Arps`` and the transfer format share them) of a new customer card."""
        code = customer.code.strip()
        if not code or len(code) > MAX_CUSTOMER_CODE:
            raise PermanentError(f"Customer code {code!r} does not fit Logo's CODE (1 to {MAX_CUSTOMER_CODE})")
        tax = customer.tax_number.strip()
        person = len(tax) == 11  # a TC identity number: a sole proprietor (şahıs şirketi)
        address = customer.address
        body: dict[str, Any] = {
            "ACCOUNT_TYPE": 1,  # 1 = customer (alıcı)
            "CODE": code,
            "TITLE": customer.title[:200],
            "TAX_OFFICE": customer.tax_office[:31],
            "E_MAIL": customer.email,
            "TELEPHONE1": customer.phone[:15] if customer.phone else "",
            "CURRENCY": self._logo_currency(customer.currency),
            **({"TCKNO": tax, "PERSCOMPANY": 1} if person else {"TAX_ID": tax}),
        }
        if customer.payment_terms_code:
            body["PAYMENT_CODE"] = customer.payment_terms_code
        if address is not None:
            body.update(
                ADDRESS1=address.line1[:200],
                ADDRESS2=address.line2[:200],
                TOWN=address.district,
                CITY=address.city,
                COUNTRY=COUNTRIES.get(address.country, address.country),
                POSTAL_CODE=address.postal_code,
            )
            if address.phone and not body["TELEPHONE1"]:
                body["TELEPHONE1"] = address.phone[:15]
        return {key: value for key, value in body.items() if value not in (None, "")}

    def customer_push(self, customer: ErpNewCustomer) -> ErpAck:
        body = self._customer_body(customer)
        existing = self.customer_lookup(customer.code)
        if existing is not None:  # Logo refuses a second card with the code; the one there is the answer
            return ErpAck(customer.reference, existing.document_id, existing.document_number)
        tax = sql_text(customer.tax_number.strip())
        same_tax = self.query(
            f"SELECT CODE FROM {self.t('CLCARD')} WHERE CARDTYPE IN (1, 3) AND (TAXNR = {tax} OR TCKNO = {tax}) "
            "ORDER BY LOGICALREF"
        )
        if same_tax:  # Logo takes it, but the company would have two accounts for one customer
            codes = ", ".join(_text(row["CODE"]).strip() for row in same_tax)
            raise PermanentError(
                f"Logo holds customer {codes} with tax number {customer.tax_number} already: give the dealer that "
                f"code (the next customer import binds it) instead of creating {customer.code}"
            )
        if self.write_transport == "soap":
            key, _number = self.soap_append(ACCOUNTS_RP, body)
        else:
            key = (self._call("POST", "Arps", body=body, write=True) or {}).get("INTERNAL_REFERENCE")
        if not key:
            found = self.customer_lookup(customer.code)  # an answer without the record: read what was made
            if found is None:
                raise PermanentError(f"Logo accepted customer {customer.code} but holds no card for it")
            return ErpAck(customer.reference, found.document_id, found.document_number)
        return ErpAck(customer.reference, body["CODE"], str(key))

    # -- collections ------------------------------------------------------------------------------------------------

    def payment_lookup(self, reference: str) -> ErpAck | None:
        literal = sql_text(reference)
        for kind, table in (("bankSlips", "BNFICHE"), ("safeDepositSlips", "KSLINES")):
            rows = self.query(
                f"SELECT LOGICALREF, FICHENO FROM {self.p(table)} WHERE DOCODE = {literal} AND CANCELLED = 0 "
                "ORDER BY LOGICALREF"
            )
            if rows:
                return ErpAck(reference, f"{kind}/{rows[0]['LOGICALREF']}", _text(rows[0]["FICHENO"]).strip())
        return None

    def payment_push(self, payment: ErpPayment) -> ErpAck:
        target = self.payment_slips.get(payment.method) or self.payment_slips.get("*") or ""
        kind, _, account = target.partition(":")
        if kind not in ("bank", "cash") or not account:
            raise PermanentError(
                f"No Logo bank account or cash box for payment method {payment.method!r}: add it to the connection's "
                "payment_slips"
            )
        if len(payment.reference) > MAX_REFERENCE:
            raise PermanentError(f"Payment reference {payment.reference!r} does not fit Logo's DOC_NUMBER")
        existing = self.payment_lookup(payment.reference)
        if existing is not None:
            return existing
        line = {
            "ARP_CODE": payment.customer_code,
            "AMOUNT": payment.amount,
            "DESCRIPTION": (payment.description or "Portal tahsilatı")[:50],
        }
        body: dict[str, Any] = {
            "NUMBER": "~",
            "DATE": payment.received_on.isoformat(),
            "DOC_NUMBER": payment.reference,
            "TRANSACTIONS": {"items": [line]},
        }
        if kind == "bank":
            resource, data_type = "bankSlips", BANK_VOUCHER
            body.update(TYPE=3, BANKACC_CODE=account)
        else:
            resource, data_type = "safeDepositSlips", SAFE_DEPOSIT
            body.update(TYPE=11, SD_CODE=account)
        if self.write_transport == "soap":
            key, number = self.soap_append(data_type, body)
            created = {"INTERNAL_REFERENCE": key, "NUMBER": number} if key else {}
        else:
            created = self._call("POST", resource, body=body, write=True) or {}
        if not created.get("INTERNAL_REFERENCE"):
            found = self.payment_lookup(payment.reference)
            if found is None:
                raise PermanentError(f"Logo accepted payment {payment.reference} but holds no slip for it")
            return found
        return ErpAck(payment.reference, f"{resource}/{created['INTERNAL_REFERENCE']}", _text(created.get("NUMBER")))

    # -- credit memos (credit notes on the customer's account) ---------------------------------------------------------

    def credit_memo_lookup(self, reference: str) -> ErpAck | None:
        """The credit note (``CLFICHE`` TRCODE 4) carrying ``reference`` in ``DOC_NUMBER``, in the working period or
        the one before it."""
        for period in self.periods:
            rows = self.query(
                f"SELECT LOGICALREF, FICHENO FROM {self.p('CLFICHE', period)} WHERE DOCODE = {sql_text(reference)} "
                f"AND TRCODE = {CREDIT_NOTE} AND CANCELLED = 0 ORDER BY LOGICALREF"
            )
            if rows:
                return ErpAck(reference, f"{period}/{rows[0]['LOGICALREF']}", _text(rows[0]["FICHENO"]).strip())
        return None

    def _invoice_total(self, customer_code: str, number: str) -> Decimal | None:
        """The gross total of the customer's sales invoice ``number`` (FICHENO), None when Logo has none."""
        for period in self.periods:
            rows = self.query(
                f"SELECT V.NETTOTAL FROM {self.p('INVOICE', period)} V JOIN {self.t('CLCARD')} C "
                f"ON C.LOGICALREF = V.CLIENTREF WHERE V.FICHENO = {sql_text(number)} "
                f"AND C.CODE = {sql_text(customer_code)} AND V.CANCELLED = 0"
            )
            if rows:
                return as_decimal(rows[0]["NETTOTAL"])
        return None

    def credit_memo_push(self, memo: ErpCreditMemo) -> ErpAck:
        """A refund as a credit note (alacak dekontu: ``ArpSlips`` TYPE 4, or ``ARP_VOUCHERS/ARP_VOUCHER`` data type
        31 over SOAP) crediting the customer, ``DOC_NUMBER`` the portal's reference, the invoice it corrects named
        in the line's description; an invoice Logo does not hold for the customer, or an amount above its total,
        is refused."""
        if not memo.reference or len(memo.reference) > MAX_REFERENCE:
            raise PermanentError(f"Refund reference {memo.reference!r} does not fit Logo's DOC_NUMBER")
        if memo.amount <= 0:
            raise PermanentError(f"Refund {memo.reference} is {memo.amount}: a credit note needs a positive amount")
        existing = self.credit_memo_lookup(memo.reference)
        if existing is not None:
            return existing
        if memo.currency not in ("", "TRY", "TL"):
            raise PermanentError(
                f"Refund {memo.reference} is in {memo.currency}: credit notes go to Logo in the local currency only"
            )
        if memo.invoice_number:
            total = self._invoice_total(memo.customer_code, memo.invoice_number)
            if total is None:
                raise PermanentError(f"Logo holds no invoice {memo.invoice_number} of {memo.customer_code}")
            if memo.amount > total:
                raise PermanentError(f"Refund {memo.amount} is more than invoice {memo.invoice_number} ({total})")
        about = f"İade: {memo.invoice_number}" if memo.invoice_number else "İade"
        line: dict[str, Any] = {
            "ARP_CODE": memo.customer_code,
            "DESCRIPTION": " · ".join(part for part in (about, memo.reason) if part)[:50],
            "CREDIT": memo.amount,
        }
        body: dict[str, Any] = {
            "NUMBER": "~",
            "DATE": memo.issued_on.isoformat(),
            "TYPE": CREDIT_NOTE,
            "DOC_NUMBER": memo.reference,
            "NOTES1": (memo.reason or about)[:50],
            "TRANSACTIONS": {"items": [line]},
        }
        if self.write_transport == "soap":
            key, number = self.soap_append(ARP_VOUCHER, body)
        else:
            created = self._call("POST", "ArpSlips", body=body, write=True) or {}
            key, number = created.get("INTERNAL_REFERENCE"), _text(created.get("NUMBER")).strip()
        if not key:
            found = self.credit_memo_lookup(memo.reference)
            if found is None:
                raise PermanentError(f"Logo accepted credit note {memo.reference} but holds no slip for it")
            return found
        return ErpAck(memo.reference, f"{self.period}/{key}", number)


__all__ = ["LogoWrites", "packed_time"]
