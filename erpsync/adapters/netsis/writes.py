"""What the Netsis adapter writes: an approved order as a sales order slip (``ItemSlips``, ``FaturaTip`` ftSSip), a
quote as a sales quote slip (``quote_type``), their cancellation (the slip deleted while nothing was delivered),
collections as bank account transactions or fast collection slips, each carrying the portal's reference; and a dealer
staff confirmed as a customer account (``ARPs``) under the dealer's code, which is its own key (``CARI_KOD``).

Never twice: the slip's number (``FATIRS_NO``) is made from the portal's number (``numbering`` "reference"), so
Netsis itself refuses a second slip of that number for the customer; or it comes from ``ItemSlips/NewNumber`` in the
same transaction as the create ("new_number"). Either way every create is preceded by a look-up of the reference
(``reference_field``, and the number it would get), the outbox looks it up again after an answer that never came
(``OutcomeUnknownError``), and a refused create is looked up once more before it counts as refused.
"""

from __future__ import annotations

import contextlib
import logging
import re
from typing import Any

from erpsync.adapters.base import (
    ErpAck,
    ErpCancel,
    ErpNewCustomer,
    ErpOrder,
    ErpOrderAck,
    ErpOrderState,
    ErpPayment,
    ErpQuote,
    PermanentError,
)
from erpsync.adapters.netsis.mapping import flat, order_state, txt
from erpsync.adapters.netsis.session import composite_id, literal

logger = logging.getLogger(__name__)

NUMBER_WIDTH = 15  # FATIRS_NO holds 15 characters
MAX_REFERENCE = 50
MAX_ACCOUNT_CODE = 35  # TBLCASABIT.CARI_KOD
MAX_ACCOUNT_NAME = 100  # TBLCASABIT.CARI_ISIM
DIGITS = re.compile(r"\d")


class NetsisWrites:
    """The writing half of ``NetsisAdapter``."""

    def slip_id(self, tip: str, number: str, customer: str) -> str:
        return composite_id(tip, number, customer)

    def slip_number(self, reference: str, prefix: str) -> str:
        """The ``FATIRS_NO`` made from a portal number: ``prefix`` and the number's digits, zero-padded to 15."""
        digits = "".join(DIGITS.findall(reference))
        width = NUMBER_WIDTH - len(prefix)
        if not digits or len(digits.lstrip("0")) > width:
            raise PermanentError(
                f"Cannot make a Netsis slip number from {reference!r} (prefix {prefix!r}, {width} digits): use "
                "numbering 'new_number'"
            )
        return prefix + digits.lstrip("0").zfill(width)

    # -- slips ------------------------------------------------------------------------------------------------------

    def _find_slip(self, tip: str, reference: str, prefix: str) -> dict[str, Any] | None:
        """The slip of ``tip`` carrying ``reference``: by the reference field, or by the number it would have been
        given (a slip made by an earlier version of the settings, or whose reference field was cleared)."""
        conditions = [f"{self.reference_field} = {literal(reference)}"]
        if self.numbering == "reference":
            with contextlib.suppress(PermanentError):
                conditions.append(f"FATIRS_NO = {literal(self.slip_number(reference, prefix))}")
        found = list(self.slips(tip, " OR ".join(conditions)))
        mine = [slip for slip in found if txt(slip.get("FatUst") or {}, self.reference_field) == reference]
        unmarked = [slip for slip in found if not txt(slip.get("FatUst") or {}, self.reference_field)]
        return (mine or unmarked or [None])[0]

    def _collision(self, tip: str, reference: str, prefix: str) -> PermanentError | None:
        """Why a ``reference``-numbered create was refused when another portal number took the slip number."""
        if self.numbering != "reference":
            return None
        number = self.slip_number(reference, prefix)
        for slip in self.slips(tip, f"FATIRS_NO = {literal(number)}"):
            other = txt(slip.get("FatUst") or {}, self.reference_field)
            if other and other != reference:
                return PermanentError(
                    f"Netsis slip {number} carries {other!r}, not {reference!r}: two portal numbers give the same "
                    "slip number; use numbering 'new_number'",
                    code="number_taken",
                )
        return None

    def _ack(self, tip: str, reference: str, slip: dict[str, Any]) -> ErpOrderAck:
        header = slip.get("FatUst") or {}
        number = txt(header, "FATIRS_NO")
        customer = txt(header, "CARI_KOD") or txt(header, "CariKod")
        state = order_state(slip, delivered_field=self.delivered_field, invoiced=set())
        return ErpOrderAck(reference, self.slip_id(tip, number, customer), number, state)

    def _lines(self, document: ErpOrder | ErpQuote) -> list[dict[str, Any]]:
        units = self._units_of(sorted({line.product_code for line in document.lines}))
        lines = []
        for line in document.lines:
            names = units.get(line.product_code)
            if names is None:
                raise PermanentError(f"Netsis has no item {line.product_code!r} ({document.reference})")
            if line.unit not in names:
                raise PermanentError(
                    f"Netsis item {line.product_code} has no unit {line.unit!r} (it has "
                    f"{', '.join(name for name in names if name)}) ({document.reference})"
                )
            body = {
                "StokKodu": line.product_code,
                "STra_GCMIK": line.quantity,
                "Olcubr": names.index(line.unit) + 1,
                "STra_NF": line.unit_price,
                "STra_BF": line.list_price if line.list_price is not None else line.unit_price,
                "KdvOrani": line.vat_rate,
                "DEPO_KODU": self.order_warehouse,
                "Sira": line.line_no,
            }
            if line.description:
                body["Aciklama"] = line.description[:50]
            lines.append(body)
        return lines

    def _push(self, tip: str, prefix: str, document: ErpOrder | ErpQuote, header: dict[str, Any]) -> ErpOrderAck:
        reference = document.reference
        if not reference or len(reference) > MAX_REFERENCE:
            raise PermanentError(f"Reference {reference!r} does not fit Netsis's {self.reference_field}")
        if document.currency not in ("TRY", "TL", ""):
            raise PermanentError(
                f"{reference} is in {document.currency}: this Netsis connection sends documents in the local currency "
                "only"
            )
        existing = self._find_slip(tip, reference, prefix)
        if existing is not None:
            return self._ack(tip, reference, existing)
        number = self.slip_number(reference, prefix) if self.numbering == "reference" else ""
        body = {
            "FaturaTip": self.type_value(tip),
            "KayitliNumaraOtomatikGuncellensin": False,
            "SeriliHesapla": False,
            "FatUst": {
                "CariKod": document.customer_code,
                "FATIRS_NO": number,
                "TIPI": self.order_kind,
                "KDV_DAHILMI": self.vat_included,
                "DEPO_KODU": self.order_warehouse,
                self.reference_field: reference,
                **header,
            },
            "Kalems": self._lines(document),
        }
        try:
            if self.numbering == "reference":
                created = self._call("POST", "ItemSlips", body=body, write=True)
            else:
                with self.transaction():
                    body["Seri"] = self.series
                    asked = {"FaturaTip": self.type_value(tip), "Seri": self.series}
                    body["FatUst"]["FATIRS_NO"] = str(self._call("POST", "ItemSlips/NewNumber", body=asked, write=True))
                    created = self._call("POST", "ItemSlips", body=body, write=True)
        except PermanentError:
            found = self._find_slip(tip, reference, prefix)  # refused because it is there already?
            if found is not None:
                return self._ack(tip, reference, found)
            collision = self._collision(tip, reference, prefix)
            if collision is not None:
                raise collision from None
            raise
        number = txt(created, "FisNo") if isinstance(created, dict) else ""
        if number:  # Netsis answers the slip's number (``FisNo``): no need to read it back
            return ErpOrderAck(reference, self.slip_id(tip, number, document.customer_code), number)
        found = self._find_slip(tip, reference, prefix)
        if found is None:
            raise PermanentError(f"Netsis accepted {reference} but holds no slip for it")
        return self._ack(tip, reference, found)

    def _cancel(self, tip: str, prefix: str, cancel: ErpCancel, what: str) -> ErpAck:
        found = self._find_slip(tip, cancel.reference, prefix)
        if found is None:
            if cancel.document_id:  # deleted already (a retry after an answer that never came)
                return ErpAck(cancel.reference, cancel.document_id, cancel.document_id.split(";")[1])
            raise PermanentError(f"Netsis holds no {what} for {cancel.reference}")
        ack = self._ack(tip, cancel.reference, found)
        if ack.state != ErpOrderState.OPEN:
            raise PermanentError(
                f"Netsis {what} {ack.document_number} ({cancel.reference}) is {ack.state}: it cannot be cancelled once "
                "delivered or closed; cancel it in Netsis"
            )
        self._call("DELETE", f"ItemSlips/{ack.document_id}", write=True)
        return ErpAck(cancel.reference, ack.document_id, ack.document_number)

    # -- orders -----------------------------------------------------------------------------------------------------

    def order_lookup(self, reference: str) -> ErpOrderAck | None:
        found = self._find_slip("ftSSip", reference, self.number_prefix)
        return None if found is None else self._ack("ftSSip", reference, found)

    def order_push(self, order: ErpOrder) -> ErpOrderAck:
        note = " · ".join(part for part in (order.note, order.delivery_address) if part)
        header: dict[str, Any] = {"Tarih": order.ordered_on.isoformat()}
        if order.requested_on:
            header["SIPARIS_TEST"] = order.requested_on.isoformat()
        if order.po_number:
            header[self.po_field] = order.po_number[:15]
        if note:
            header["Aciklama"] = note[:100]
        return self._push("ftSSip", self.number_prefix, order, header)

    def order_cancel(self, cancel: ErpCancel) -> ErpAck:
        return self._cancel("ftSSip", self.number_prefix, cancel, "order slip")

    # -- quotes -----------------------------------------------------------------------------------------------------

    def quote_lookup(self, reference: str) -> ErpOrderAck | None:
        found = self._find_slip(self.quote_type, reference, self.quote_number_prefix)
        return None if found is None else self._ack(self.quote_type, reference, found)

    def quote_push(self, quote: ErpQuote) -> ErpOrderAck:
        note = " · ".join(part for part in (quote.note, quote.terms) if part)
        header: dict[str, Any] = {"Tarih": quote.quoted_on.isoformat(), "SIPARIS_TEST": quote.valid_until.isoformat()}
        if note:
            header["Aciklama"] = note[:100]
        return self._push(self.quote_type, self.quote_number_prefix, quote, header)

    def quote_cancel(self, cancel: ErpCancel) -> ErpAck:
        return self._cancel(self.quote_type, self.quote_number_prefix, cancel, "quote")

    # -- new customers (ARPs) ---------------------------------------------------------------------------------------

    def customer_lookup(self, code: str) -> ErpAck | None:
        """The account (``ARPs``, of any ``CARI_TIP``, locked or not) with ``CARI_KOD`` = ``code``."""
        for row in self.select("ARPs", f"CARI_KOD = {literal(code)}", sort="CARI_KOD"):
            found = txt(flat(row), "CARI_KOD")
            if found:
                return ErpAck(code, found)
        return None

    def _netsis_currency(self, iso: str) -> int:
        """Netsis's currency number (``DOVIZ_KODU``) of ``iso``: ``currencies`` read backwards, 0 the local
        currency. A number (a value map to Netsis's numbers) is taken as it is."""
        if iso in ("", "TRY", "TL"):
            return 0
        if iso.isdigit():
            return int(iso)
        for number, code in self.currencies.items():
            if code == iso and str(number).isdigit():
                return int(number)
        raise PermanentError(f"No Netsis currency number for {iso}: add it to the connection's currencies")

    def _account_body(self, customer: ErpNewCustomer) -> dict[str, Any]:
        """The ``ARPs`` fields of a new customer account, in the columns the account list answers with."""
        code = customer.code.strip()
        if not code or len(code) > MAX_ACCOUNT_CODE:
            raise PermanentError(f"Customer code {code!r} does not fit Netsis's CARI_KOD (1 to {MAX_ACCOUNT_CODE})")
        title = customer.title.strip()
        if not title:
            raise PermanentError(f"Customer {code} has no title for Netsis's CARI_ISIM")
        tax = customer.tax_number.strip()
        address = customer.address
        body: dict[str, Any] = {
            "CARI_KOD": code,
            "CARI_ISIM": title[:MAX_ACCOUNT_NAME],
            "CARI_TIP": self.customer_types[0],
            # 11 digits: a TC identity number (a sole proprietor); otherwise the company's tax number
            **({"TC_KIMLIK_NO": tax} if len(tax) == 11 else {"VERGI_NO": tax}),
            "VERGI_DAIRESI": customer.tax_office[:30],
            "E_POSTA": customer.email[:60],
            "CARI_TEL": customer.phone[:20],
            "DOVIZ_KODU": self._netsis_currency(customer.currency),
            "PLASIYER_KODU": customer.sales_rep_code,
        }
        if customer.payment_terms_code.isdigit():  # Netsis keeps the terms as days (VADE_GUNU)
            body["VADE_GUNU"] = int(customer.payment_terms_code)
        if address is not None:
            line = ", ".join(part for part in (address.line1, address.line2) if part)
            body.update(
                CARI_ADRES=line[:100],
                CARI_IL=address.city[:15],
                CARI_ILCE=address.district[:15],
                POSTA_KODU=address.postal_code[:8],
            )
            if address.phone and not body["CARI_TEL"]:
                body["CARI_TEL"] = address.phone[:20]
        return {key: value for key, value in body.items() if value not in (None, "")}

    def customer_push(self, customer: ErpNewCustomer) -> ErpAck:
        """A customer account (``POST ARPs``, the fields under ``CariTemelBilgi``) under the dealer's code; looked
        up first, and refused when another account holds the tax number. Netsis refuses a second account with the
        code, so a create refused after one that was applied finds it instead."""
        body = self._account_body(customer)
        code = body["CARI_KOD"]
        existing = self.customer_lookup(code)
        if existing is not None:
            return ErpAck(customer.reference, existing.document_id)
        tax = customer.tax_number.strip()
        if tax:
            kinds = ", ".join(literal(kind) for kind in self.customer_types)
            same = [
                txt(flat(row), "CARI_KOD")
                for row in self.select(
                    "ARPs",
                    f"(VERGI_NO = {literal(tax)} OR TC_KIMLIK_NO = {literal(tax)}) AND CARI_TIP IN ({kinds})",
                    sort="CARI_KOD",
                )
            ]
            if same:  # Netsis takes it, but the company would have two accounts for one customer
                raise PermanentError(
                    f"Netsis holds account {', '.join(same)} with tax number {tax} already: give the dealer that code "
                    f"(the next customer import binds it) instead of creating {code}",
                    code="tax_number_taken",
                )
        try:
            created = self._call("POST", "ARPs", body={"CariTemelBilgi": body}, write=True)
        except PermanentError:
            found = self.customer_lookup(code)  # refused because it is there already?
            if found is not None:
                return ErpAck(customer.reference, found.document_id)
            raise
        made = txt(flat(created), "CARI_KOD") if isinstance(created, dict) else ""
        if made:
            return ErpAck(customer.reference, made)
        found = self.customer_lookup(code)
        if found is None:
            raise PermanentError(f"Netsis accepted customer {code} but holds no account for it")
        return ErpAck(customer.reference, found.document_id)

    # -- collections ------------------------------------------------------------------------------------------------

    def payment_lookup(self, reference: str) -> ErpAck | None:
        rows = list(
            self.select("ARPTransactions", f"BELGE_NO = {literal(reference)} AND ALACAK > 0", sort="INC_KEY_NUMBER")
        )
        if not rows:
            return None
        return ErpAck(reference, f"ARPTransactions/{txt(rows[0], 'INC_KEY_NUMBER')}", txt(rows[0], "BELGE_NO"))

    def payment_push(self, payment: ErpPayment) -> ErpAck:
        account = self.payment_accounts.get(payment.method) or self.payment_accounts.get("*") or ""
        if not account:
            raise PermanentError(
                f"No Netsis bank account or cash box for payment method {payment.method!r}: add it to the "
                "connection's payment_accounts"
            )
        if payment.currency not in ("TRY", "TL", ""):
            raise PermanentError(f"Payment {payment.reference} is in {payment.currency}: only TRY is sent to Netsis")
        existing = self.payment_lookup(payment.reference)
        if existing is not None:
            return existing
        text = (payment.description or "Portal tahsilatı")[:50]
        if self.payment_slip == "bank":
            body = {
                "NETHESKODU": account,
                "CARI_KOD": payment.customer_code,
                "TARIH": payment.received_on.isoformat(),
                "TUTAR": payment.amount,
                "ACIKLAMA": text,
                "BELGE_NO": payment.reference,
            }
            self._call("POST", "BankAccountTransaction", body=body, write=True)
        else:
            body = {
                "CariKod": payment.customer_code,
                "KasaKodu": account,
                "Tarih": payment.received_on.isoformat(),
                "Tutar": payment.amount,
                "Aciklama": text,
                "BelgeNo": payment.reference,
            }
            self._call("POST", "FastPayMain", body=body, write=True)
        found = self.payment_lookup(payment.reference)
        if found is None:
            raise PermanentError(f"Netsis accepted payment {payment.reference} but holds no ledger line for it")
        return found


__all__ = ["NetsisWrites"]
