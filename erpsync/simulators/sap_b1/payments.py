"""The customer's account in the company: incoming payments and their cancellation, credit notes applied to the
invoices they were copied from, and the balances every such change moves."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from erpsync.simulators.sap_b1.clock import day
from erpsync.simulators.sap_b1.errors import refuse
from erpsync.simulators.sap_b1.schema import (
    CLOSED,
    INVOICE,
    OPEN,
    YES,
    merge,
    money,
    number_field,
    payment_invoice_template,
    payment_template,
)


class Payments:
    """Incoming payments, credit applied to invoices and customer balances; part of ``Company``."""

    def _apply_credit(self, note: dict[str, Any]) -> None:
        """A credit note copied from invoices settles them, first invoice first, up to what each still owes."""
        left = note["DocTotal"]
        applied = []
        for entry in dict.fromkeys(line["BaseEntry"] for line in note["DocumentLines"] if line["BaseType"] == INVOICE):
            invoice = self.invoices[entry]
            share = money(min(left, invoice["DocTotal"] - invoice["PaidToDate"]))
            if share <= 0:
                continue
            invoice["PaidToDate"] = money(invoice["PaidToDate"] + share)
            if invoice["PaidToDate"] >= invoice["DocTotal"] - 0.001:
                invoice["DocumentStatus"] = CLOSED
            self.stamp("Invoices", entry, invoice)
            applied.append((entry, share))
            left = money(left - share)
        if applied:
            self._credit_applied[note["DocEntry"]] = applied
            note["PaidToDate"] = money(note["DocTotal"] - left)
            if left <= 0.001:
                note["DocumentStatus"] = CLOSED
            self.stamp("CreditNotes", note["DocEntry"], note)

    def _take_back_credit(self, note: dict[str, Any]) -> None:
        for entry, share in self._credit_applied.pop(note["DocEntry"], []):
            invoice = self.invoices[entry]
            invoice["PaidToDate"] = money(invoice["PaidToDate"] - share)
            invoice["DocumentStatus"] = OPEN
            self.stamp("Invoices", entry, invoice)
        note["PaidToDate"] = 0.0

    def _refresh_balances(self, card_code: str) -> None:
        partner = self.business_partners[card_code]

        def open_value(documents: Iterable[dict[str, Any]]) -> float:
            total = 0.0
            for document in documents:
                if document["CardCode"] != card_code or document["DocumentStatus"] != OPEN:
                    continue
                factor = 1 - number_field(document, "DiscountPercent") / 100
                for line in document["DocumentLines"]:
                    if line["LineStatus"] == OPEN:
                        rate = self.vat_groups.get(line["VatGroup"], 0.0)
                        total += line["Price"] * line["RemainingOpenQuantity"] * factor * (1 + rate / 100)
            return money(total)

        partner["OpenOrdersBalance"] = open_value(self.orders.values())
        partner["OpenDeliveryNotesBalance"] = open_value(self.delivery_notes.values())

    def add_incoming_payment(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Record a customer payment.

        Refused: unknown customer; no amount; an applied invoice that does not exist, belongs to someone else, is
        cancelled or would be overpaid; applied sums above the amount paid. The rest of the amount stays on account.
        """
        given_invoices = payload.get("PaymentInvoices") or []
        payment = merge(
            payment_template(), {k: v for k, v in payload.items() if k != "PaymentInvoices"}, "Payment", self.udfs
        )
        partner = self.business_partners.get(payment["CardCode"] or "")
        if partner is None:
            raise refuse(f"Invalid BP code '{payment['CardCode']}'")
        payment["CardName"] = partner["CardName"]
        payment["DocDate"] = (payment["DocDate"] or day(self.clock.now()))[:10]
        payment["DocCurrency"] = partner["Currency"] or self.currency
        payment["CashSum"] = money(number_field(payment, "CashSum"))
        payment["TransferSum"] = money(number_field(payment, "TransferSum"))
        card_sum = sum(
            number_field(card, "CreditSum") for card in payment["PaymentCreditCards"] if isinstance(card, dict)
        )
        check_sum = sum(
            number_field(check, "CheckSum") for check in payment["PaymentChecks"] if isinstance(check, dict)
        )
        total = money(payment["CashSum"] + payment["TransferSum"] + card_sum + check_sum)
        if total <= 0:
            raise refuse("Enter a payment amount")
        rows = []
        for number, given in enumerate(given_invoices):
            row = merge(payment_invoice_template(), given, "PaymentInvoice", self.udfs)
            row["LineNum"] = number
            row["SumApplied"] = money(number_field(row, "SumApplied"))
            if row["InvoiceType"] not in {"it_Invoice", 13}:
                raise refuse(f"Only A/R invoices can be applied (row {number + 1})")
            row["InvoiceType"] = "it_Invoice"
            invoice = self.invoices.get(row["DocEntry"])
            if invoice is None or invoice["CardCode"] != partner["CardCode"] or invoice["Cancelled"] == YES:
                raise refuse(f"Invoice {row['DocEntry']} is not an open invoice of '{partner['CardCode']}'")
            if row["SumApplied"] > money(invoice["DocTotal"] - invoice["PaidToDate"]) + 0.001:
                raise refuse(f"Amount applied to invoice {invoice['DocNum']} exceeds its balance due")
            rows.append(row)
        if sum(row["SumApplied"] for row in rows) > total + 0.001:
            raise refuse("The amounts applied exceed the payment amount")
        payment["PaymentInvoices"] = rows
        self._doc_entry["IncomingPayments"] += 1
        self._doc_num["IncomingPayments"] += 1
        entry = payment["DocEntry"] = self._doc_entry["IncomingPayments"]
        payment["DocNum"] = self._doc_num["IncomingPayments"]
        self.incoming_payments[entry] = payment
        for row in rows:
            invoice = self.invoices[row["DocEntry"]]
            invoice["PaidToDate"] = money(invoice["PaidToDate"] + row["SumApplied"])
            if invoice["PaidToDate"] >= invoice["DocTotal"] - 0.001:
                invoice["DocumentStatus"] = CLOSED
            self.stamp("Invoices", invoice["DocEntry"], invoice)
        partner["CurrentAccountBalance"] = money(partner["CurrentAccountBalance"] - total)
        self.stamp("IncomingPayments", entry, payment, created=True)
        return payment

    def cancel_payment(self, payment: dict[str, Any]) -> None:
        if payment["Cancelled"] == YES:
            raise refuse(f"Payment {payment['DocNum']} is already cancelled")
        partner = self.business_partners[payment["CardCode"]]
        for row in payment["PaymentInvoices"]:
            invoice = self.invoices[row["DocEntry"]]
            invoice["PaidToDate"] = money(invoice["PaidToDate"] - row["SumApplied"])
            invoice["DocumentStatus"] = OPEN
            self.stamp("Invoices", invoice["DocEntry"], invoice)
        total = payment["CashSum"] + payment["TransferSum"]
        total += sum(
            number_field(card, "CreditSum") for card in payment["PaymentCreditCards"] if isinstance(card, dict)
        )
        total += sum(number_field(check, "CheckSum") for check in payment["PaymentChecks"] if isinstance(check, dict))
        partner["CurrentAccountBalance"] = money(partner["CurrentAccountBalance"] + total)
        payment["Cancelled"] = YES
        self.stamp("IncomingPayments", payment["DocEntry"], payment)
