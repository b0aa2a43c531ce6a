"""What the DİA adapter writes: sales orders (``scf_siparis_ekle``), their cancellation by the company's rule,
collections (``scf_carihesap_fisi_ekle`` or ``scf_kasaislemleri_ekle``), and dealers staff confirmed as customer cards
(``scf_carikart_ekle``, looked up by ``carikartkodu``, which DİA keeps unique).

DİA has no idempotency key. The portal's number goes into a field of the document (``order_reference_field``; the
collection's ``belgeno``) and the document is looked up by it (``scf_siparis_listele`` / the slip's list filtered on
it) before every create (the outbox's own look-up just before counts, once); the outbox looks it up again after an
outcome-unknown, so a lost answer never makes a second order or collection.
"""

from __future__ import annotations

import time
from datetime import datetime
from decimal import Decimal
from typing import Any

from erpsync.adapters.base import (
    ErpAck,
    ErpCancel,
    ErpError,
    ErpNewCustomer,
    ErpOrder,
    ErpOrderAck,
    ErpOrderState,
    ErpPayment,
    OutcomeUnknownError,
    PermanentError,
)
from erpsync.adapters.dia.mapping import dia_currency, order_state
from erpsync.adapters.dia.reads import SALES_ORDER
from erpsync.adapters.http import text as _text

# A look-up that found nothing this long ago (in this process) counts as the look-up before the create: the outbox
# looks up, then pushes at once, and each call costs kontör. Any failure of the create forgets it.
FRESH_MISS_SECONDS = 10.0
SHIPPED = frozenset({ErpOrderState.PARTIALLY_SHIPPED, ErpOrderState.SHIPPED, ErpOrderState.INVOICED})
ORDER_COLUMNS = ["_key", "fisno", "onay", "toplammiktar", "teslimatkalanmiktar", "faturanumaralari"]
CARD_CODE_WIDTH = 30
CUSTOMER_KINDS = "AL,AS"  # carikarttipi of a customer: alıcı, alıcı-satıcı (ST is a supplier)


def _amount(value: Decimal) -> str:
    return f"{value:.6f}"


class DiaWrites:
    """The writing half of ``DiaAdapter``."""

    # -- orders -----------------------------------------------------------------------------------------------------

    def _find_order(self, reference: str) -> dict[str, Any] | None:
        field = self.reference_field
        filters = [{"field": field, "operator": "=", "value": reference}, SALES_ORDER]
        columns = [*ORDER_COLUMNS, field]
        rows = list(self._list("scf", "scf_siparis_listele", filters=filters, columns=columns, limit=10))
        rows = [row for row in rows if _text(row.get(field)).strip() == reference]
        return rows[0] if rows else None

    def _order_ack(self, reference: str, row: dict[str, Any]) -> ErpOrderAck:
        return ErpOrderAck(
            reference, _text(row.get("_key")), _text(row.get("fisno")), order_state(row, self.cancel_status)
        )

    def _missed(self, kind: str, reference: str) -> None:
        self._misses[(kind, reference)] = time.monotonic()

    def _freshly_missed(self, kind: str, reference: str) -> bool:
        """Whether a look-up just found nothing for ``reference`` (forgotten at once: one create per look-up)."""
        when = self._misses.pop((kind, reference), None)
        return when is not None and time.monotonic() - when < FRESH_MISS_SECONDS

    def order_lookup(self, reference: str) -> ErpOrderAck | None:
        row = self._find_order(reference)
        if row is None:
            self._missed("order", reference)
        return None if row is None else self._order_ack(reference, row)

    def _order_kart(self, order: ErpOrder) -> dict[str, Any]:
        now = datetime.now(self.zone)
        note = " · ".join(
            part
            for part in (f"Portal {order.reference}", order.po_number and f"PO {order.po_number}", order.note)
            if part
        )
        kart: dict[str, Any] = {
            "turu": 2,
            "tarih": order.ordered_on.isoformat(),
            "saat": now.strftime("%H:%M:%S"),
            "onay": "KABUL",
            "_key_scf_carikart": {"carikartkodu": order.customer_code},
            "_key_sis_doviz": {"adi": dia_currency(order.currency)},
            "aciklama1": note[:250],
        }
        kart[self.reference_field] = order.reference
        if order.requested_on:
            kart["teslimattarihi"] = order.requested_on.isoformat()
        if self.order_branch:
            kart["_key_sis_sube_source"] = {"subekodu": self.order_branch}
        if self.order_depot:
            kart["_key_sis_depo_source"] = {"depokodu": self.order_depot}
        if order.delivery_address:
            kart["teslimat_adresi"] = order.delivery_address[:250]
        lines = []
        for line in order.lines:
            item: dict[str, Any] = {
                "sirano": line.line_no,
                "kalemturu": "MLZM",
                "_key_kalemturu": {"stokkartkodu": line.product_code},
                "miktar": _amount(line.quantity),
                "kdv": _amount(line.vat_rate),
                "kdvdurumu": "H",
                "onay": "KABUL",
                "rezervasyon": "H",
                "_key_sis_doviz": {"adi": dia_currency(line.currency or order.currency)},
                "note": (line.description or "")[:250],
            }
            if line.unit:
                item["_key_scf_kalem_birimleri"] = {"birimkodu": line.unit}
            if line.list_price is not None and line.discount_percent:
                item.update(birimfiyati=_amount(line.list_price), indirim1=_amount(line.discount_percent))
            else:
                item["birimfiyati"] = _amount(line.unit_price)
            if self.order_depot:
                item["_key_sis_depo_source"] = {"depokodu": self.order_depot}
            lines.append(item)
        kart["m_kalemler"] = lines
        return kart

    def order_push(self, order: ErpOrder) -> ErpOrderAck:
        if len(order.reference) > 30 or not order.reference.isprintable() or "/" in order.reference:
            raise PermanentError(f"DİA cannot carry the order number {order.reference!r} in {self.reference_field}")
        if not self._freshly_missed("order", order.reference):
            existing = self._find_order(order.reference)
            if existing is not None:
                return self._order_ack(order.reference, existing)
        envelope = self._call("scf", "scf_siparis_ekle", {"kart": self._order_kart(order)}, write=True)
        return ErpOrderAck(order.reference, _text(envelope.get("key")), "", ErpOrderState.OPEN)

    def order_cancel(self, cancel: ErpCancel) -> ErpAck:
        if self.cancel_mode == "refuse":
            raise PermanentError(
                f"The portal does not cancel orders in DİA (setting cancel_mode is 'refuse'): cancel order "
                f"{cancel.reference} in DİA yourself"
                + (f" (DİA order {cancel.document_id})" if cancel.document_id else "")
                + ", then mark this job done.",
                code="cancel_by_hand",
            )
        row = self._find_order(cancel.reference)
        if row is None:
            if self.cancel_mode == "delete":  # deleted before (an answer lost): nothing left to do
                return ErpAck(cancel.reference, cancel.document_id)
            raise PermanentError(f"DİA holds no order {cancel.reference} to cancel")
        ack = self._order_ack(cancel.reference, row)
        if ack.state == ErpOrderState.CANCELLED:
            return ErpAck(cancel.reference, ack.document_id, ack.document_number)
        if ack.state in SHIPPED:
            raise PermanentError(
                f"Order {cancel.reference} (DİA {ack.document_number}) is {ack.state.value} in DİA: it cannot be "
                "cancelled; agree a return with the dealer."
            )
        if self.cancel_mode == "status":
            kart = {"_key": ack.document_id, "onay": self.cancel_status}
            self._call("scf", "scf_siparis_guncelle", {"kart": kart}, write=True)
        else:
            self._call("scf", "scf_siparis_sil", {"key": ack.document_id}, write=True)
        return ErpAck(cancel.reference, ack.document_id, ack.document_number)

    # -- new customers (scf_carikart) --------------------------------------------------------------------------------

    def _find_customer(self, code: str) -> ErpAck | None:
        filters = [{"field": "carikartkodu", "operator": "=", "value": code}]
        rows = self._list("scf", "scf_carikart_listele", filters=filters, columns=["_key", "carikartkodu"], limit=10)
        mine = [row for row in rows if _text(row.get("carikartkodu")).strip() == code]
        return ErpAck(code, code, _text(mine[0].get("_key"))) if mine else None

    def customer_lookup(self, code: str) -> ErpAck | None:
        """The card (of any type, passive or not) with ``carikartkodu`` = ``code``; ``document_number`` its
        ``_key``."""
        found = self._find_customer(code)
        if found is None:
            self._missed("customer", code)
        return found

    def _customer_kart(self, customer: ErpNewCustomer) -> dict[str, Any]:
        """The ``kart`` of ``scf_carikart_ekle``, in the fields DİA's own sample sends (see the simulator's sources):
        the tax office and the city as link fields DİA resolves by name (``daire``, ``sehiradi``)."""
        tax = customer.tax_number.strip()
        person = len(tax) == 11  # a TC identity number: a sole proprietor (şahıs)
        kart: dict[str, Any] = {
            "carikartkodu": customer.code.strip(),
            "unvan": customer.title.strip()[:250],
            "carikarttipi": "AL",
            "carikayitturu": "SHS" if person else "KRLS",
            "tckimlikno" if person else "verginumarasi": tax,
            "eposta": customer.email,
            "_key_sis_doviz": {"adi": dia_currency(customer.currency)},
        }
        if customer.tax_office.strip():
            kart["_key_sis_vergidairesi"] = {"daire": customer.tax_office.strip()}
        address = customer.address
        phone = customer.phone or (address.phone if address is not None else "")
        if address is not None:
            row: dict[str, Any] = {
                "anaadres": "1",
                "adresadi": (address.name or "Merkez")[:50],
                "adres1": address.line1[:250],
                "adres2": address.line2[:250],
                "ilce": address.district,
                "postakodu": address.postal_code,
                "telefon1": phone[:30],
            }
            if address.city.strip():
                row["_key_sis_sehirler"] = {"sehiradi": address.city.strip()}
            kart["m_adresler"] = [{key: value for key, value in row.items() if value not in (None, "")}]
        return {key: value for key, value in kart.items() if value not in (None, "")}

    def customer_push(self, customer: ErpNewCustomer) -> ErpAck:
        """A customer card under the dealer's code; looked up first (unless the outbox just did), refused when
        another customer card holds the tax number. DİA refuses a second card with the code, so a create refused
        after one that was applied finds it instead. Each call costs kontör: a new dealer costs two or three."""
        code = customer.code.strip()
        if not code or len(code) > CARD_CODE_WIDTH:
            raise PermanentError(f"Customer code {code!r} does not fit DİA's carikartkodu (1 to {CARD_CODE_WIDTH})")
        if not customer.title.strip():
            raise PermanentError(f"Customer {code} has no title for DİA's unvan")
        if not self._freshly_missed("customer", code):
            existing = self._find_customer(code)
            if existing is not None:
                return ErpAck(customer.reference, existing.document_id, existing.document_number)
        tax = customer.tax_number.strip()
        if tax:
            filters = [
                {"field": "tckimlikno" if len(tax) == 11 else "verginumarasi", "operator": "=", "value": tax},
                {"field": "carikarttipi", "operator": "IN", "value": CUSTOMER_KINDS},
            ]
            same = [
                _text(row.get("carikartkodu")).strip()
                for row in self._list("scf", "scf_carikart_listele", filters=filters, columns=["carikartkodu"])
            ]
            if same:  # DİA takes it, but the company would have two cards for one customer
                raise PermanentError(
                    f"DİA holds customer {', '.join(same)} with tax number {tax} already: give the dealer that code "
                    f"(the next customer import binds it) instead of creating {code}",
                    code="tax_number_taken",
                )
        try:
            envelope = self._call("scf", "scf_carikart_ekle", {"kart": self._customer_kart(customer)}, write=True)
        except OutcomeUnknownError:
            raise
        except ErpError:
            found = self._find_customer(code)  # refused because the card is there already?
            if found is not None:
                return ErpAck(customer.reference, found.document_id, found.document_number)
            raise
        return ErpAck(customer.reference, code, _text(envelope.get("key")))

    # -- collections ------------------------------------------------------------------------------------------------

    @property
    def _collection_list(self) -> str:
        return f"scf_{self.collection_service}_listele"

    def payment_lookup(self, reference: str) -> ErpAck | None:
        found = self._find_payment(reference)
        if found is None:
            self._missed("payment", reference)
        return found

    def _find_payment(self, reference: str) -> ErpAck | None:
        rows = list(
            self._list(
                "scf",
                self._collection_list,
                filters=[{"field": "belgeno", "operator": "=", "value": reference}],
                columns=["_key", "fisno", "belgeno"],
                limit=10,
            )
        )
        rows = [row for row in rows if _text(row.get("belgeno")).strip() == reference]
        return ErpAck(reference, _text(rows[0].get("_key"))) if rows else None

    def _collection_kart(self, payment: ErpPayment) -> dict[str, Any]:
        now = datetime.now(self.zone)
        text = f"{payment.description or 'Portal tahsilatı'} [{payment.reference}]"[:250]
        money = _amount(payment.amount)
        customer = {"carikartkodu": payment.customer_code}
        if self.collection_service == "kasaislemleri":
            if not self.cash_box:
                raise PermanentError("Set the connection's cash_box (the DİA cash box _key) to send cash collections.")
            return {
                "turu": "TAH",
                "belgeno": payment.reference,
                "tarih": payment.received_on.isoformat(),
                "saat": now.strftime("%H:%M:%S"),
                "_key_scf_carikart": customer,
                "_key_scf_kasa": {"_key": self.cash_box},
                "_key_sis_doviz": {"adi": "TL"},
                "_key_sis_doviz_cari": {"adi": "TL"},
                "borc": money,
                "borc_cari": money,
                "alacak": _amount(Decimal(0)),
                "alacak_cari": _amount(Decimal(0)),
                "dovizkuru": "1.0000",
                "odemeturu": "E",
                "aciklama": text,
            }
        if not self.bank_account:
            raise PermanentError("Set the connection's bank_account (the DİA bank account _key) to send collections.")
        kind = self.collection_slip_types.get(payment.method) or self.collection_slip_types.get("*") or "VF"
        line: dict[str, Any] = {
            "_key_scf_carikart": customer,
            "_key_bcs_bankahesabi": {"_key": self.bank_account},
            "alacak": money,
            "dovizkuru": "1.0000",
            "vade": payment.received_on.isoformat(),
            "aciklama": text,
            "makbuzno": payment.reference,
        }
        if kind == "KK" and self.card_payment_plan:
            line["_key_scf_banka_odeme_plani"] = {"_key": self.card_payment_plan}
        return {
            "turu": kind,
            "belgeno": payment.reference,
            "tarih": payment.received_on.isoformat(),
            "saat": now.strftime("%H:%M:%S"),
            "aciklama1": text,
            "m_kalemler": [line],
        }

    def payment_push(self, payment: ErpPayment) -> ErpAck:
        if payment.currency not in ("TRY", "TL"):
            raise PermanentError(
                f"Collection {payment.reference} is in {payment.currency}: the portal sends lira collections only "
                "(a foreign-currency one needs the day's rate); book it in DİA and mark the job done."
            )
        if len(payment.reference) > 30:
            raise PermanentError(f"DİA cannot carry the collection number {payment.reference!r} in belgeno")
        if not self._freshly_missed("payment", payment.reference):
            existing = self._find_payment(payment.reference)
            if existing is not None:
                return existing
        service = f"scf_{self.collection_service}_ekle"
        envelope = self._call("scf", service, {"kart": self._collection_kart(payment)}, write=True)
        return ErpAck(payment.reference, _text(envelope.get("key")))


__all__ = ["DiaWrites"]
