"""What the Mikro adapter writes: an approved order as ``SIPARISLER`` rows (one per line) with its text in
``EVRAK_ACIKLAMALARI``, its cancellation (``sip_iptal``) while nothing is delivered, and, where the company allows it
(``write_collections``), collections as ``CARI_HESAP_HAREKETLERI`` rows.

Never twice: every write is one transaction that takes the series lock (``dialect.lock_series``), looks the
reference up again under it, allocates the next number of the series (``MAX + 1``, as Mikro's own integrations do)
and inserts. Order lines get deterministic ``sip_Guid``s (uuid5 of the portal's order reference and line number; v16):
when a commit's answer is lost (``OutcomeUnknownError``) the look-up finds what was written, and a second insert of
the same lines would break the primary key rather than duplicate the order. v15 has no Guid column: there the
reference column alone finds the order again.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from erpsync.adapters.base import (
    ErpAck,
    ErpCancel,
    ErpOrder,
    ErpOrderAck,
    ErpOrderState,
    ErpPayment,
    PermanentError,
    RetryableError,
)
from erpsync.adapters.mikro.mapping import as_decimal, clean, order_state, pack_factor
from erpsync.adapters.mikro.settings import REFERENCE_COLUMNS

logger = logging.getLogger(__name__)

# The namespace of the portal's deterministic Guids (uuid5 of "order:<reference>:<line>", "payment:<reference>").
NAMESPACE = uuid.UUID("6f1c2b0e-3a51-5d1e-9c0b-8a6e4d2f7b13")
LEDGER_FILEID = 51  # <p>_fileid of CARI_HESAP_HAREKETLERI rows (public integration code; check with a Mikro DBA)
NOTE_FILEID = 66  # egk_fileid of EVRAK_ACIKLAMALARI rows (UNCONFIRMED; Mikro accepts any)
NOTE_LINES = 10
NOTE_WIDTH = 127
MAX_PAYMENT_REFERENCE = 50
CENT = Decimal("0.01")


def line_guid(reference: str, line_no: int) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"order:{reference}:{line_no}")


def payment_guid(reference: str) -> uuid.UUID:
    return uuid.uuid5(NAMESPACE, f"payment:{reference}")


def fetch(cursor: Any, sql: str, params: tuple = ()) -> list[dict[str, Any]]:
    cursor.execute(sql, params)
    columns = [column[0].lower() for column in cursor.description]
    return [dict(zip(columns, values, strict=True)) for values in cursor.fetchall()]


def insert(cursor: Any, table: str, row: dict[str, Any]) -> None:
    cursor.execute(
        f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join(['%s'] * len(row))})", tuple(row.values())
    )


def note_lines(*parts: str) -> list[str]:
    lines: list[str] = []
    for part in parts:
        text = " ".join((part or "").split())
        while text and len(lines) < NOTE_LINES:
            lines.append(text[:NOTE_WIDTH])
            text = text[NOTE_WIDTH:]
    return lines


class MikroWrites:
    """The writing half of ``MikroAdapter``."""

    def _refuse_read_only(self, what: str) -> None:
        if self.read_only:
            raise PermanentError(f"This Mikro connection is read-only: {what} is not written (setting read_only).")

    def header(self, prefix: str, fileid: int, now: datetime, guid: uuid.UUID | None) -> dict[str, Any]:
        """The common columns every Mikro row starts with."""
        row: dict[str, Any] = {f"{prefix}_Guid": guid} if self.version == "v16" else {}
        row.update(
            {
                f"{prefix}_DBCno": self.db_cno,
                f"{prefix}_SpecRECno": 0,
                f"{prefix}_iptal": 0,
                f"{prefix}_fileid": fileid,
                f"{prefix}_hidden": 0,
                f"{prefix}_kilitli": 0,
                f"{prefix}_degisti": 0,
                f"{prefix}_checksum": 0,
                f"{prefix}_create_user": self.user_no,
                f"{prefix}_create_date": now,
                f"{prefix}_lastup_user": self.user_no,
                f"{prefix}_lastup_date": now,
                f"{prefix}_special1": "",
                f"{prefix}_special2": "",
                f"{prefix}_special3": "",
                f"{prefix}_firmano": self.firm_no,
                f"{prefix}_subeno": self.branch_no,
            }
        )
        return row

    def _lock(self, cursor: Any, resource: str) -> None:
        if not self.dialect.lock_series(cursor, resource, self.lock_timeout):
            raise RetryableError(f"Mikro series {resource} stayed locked for {self.lock_timeout} s; trying later")

    def _next_number(
        self, cursor: Any, table: str, prefix: str, series: str, where: str = "1 = 1", params: tuple = ()
    ) -> int:
        """The series' next number, read under the series lock (and, on SQL Server, holding the range it read)."""
        rows = fetch(
            cursor,
            f"SELECT MAX({prefix}_evrakno_sira) AS last FROM {self.t(table)}{self.dialect.locking_hint} "
            f"WHERE {prefix}_evrakno_seri = %s AND {where}",
            (series, *params),
        )
        return int(rows[0]["last"] or 0) + 1

    # -- orders -----------------------------------------------------------------------------------------------------

    def _order_match(self, reference: str, guids: list[uuid.UUID], alias: str) -> tuple[str, tuple]:
        condition, params = f"{alias}.{self.reference_column} = %s", [reference]
        if self.version == "v16" and guids:
            condition += f" OR {alias}.sip_Guid IN ({', '.join(['%s'] * len(guids))})"
            params += guids
        return f"({condition})", tuple(params)

    def _find_order(self, reference: str, guids: list[uuid.UUID]) -> ErpOrderAck | None:
        """The sales order carrying ``reference`` (or one of ``guids``): a live one before a cancelled one."""
        match, params = self._order_match(reference, guids, "C")
        rows = list(self.order_rows(documents=match, documents_params=params))
        if not rows:
            return None
        rows.sort(key=lambda row: order_state(row) == ErpOrderState.CANCELLED)
        number = self.document_id(rows[0])
        return ErpOrderAck(reference, number, number, order_state(rows[0]))

    def order_lookup(self, reference: str) -> ErpOrderAck | None:
        return self._find_order(reference, [line_guid(reference, 1)])

    def _check_order(self, order: ErpOrder) -> None:
        width = REFERENCE_COLUMNS[self.reference_column]
        if not order.reference or len(order.reference) > width:
            raise PermanentError(f"Order reference {order.reference!r} does not fit Mikro's {self.reference_column}")
        if self.currency_number(order.currency) != 0:
            raise PermanentError(
                f"Order {order.reference} is in {order.currency}: this Mikro connection sends orders in the local "
                "currency only"
            )
        if not order.lines:
            raise PermanentError(f"Order {order.reference} has no lines")

    def currency_number(self, code: str) -> int:
        for number_, iso in self.currencies.items():
            if iso == (code or "TRY").upper().replace("TL", "TRY"):
                return int(number_)
        raise PermanentError(f"No Mikro currency number for {code!r}: add it to the connection's currencies")

    def order_push(self, order: ErpOrder) -> ErpOrderAck:
        self._refuse_read_only(f"order {order.reference}")
        self._check_order(order)
        guids = [line_guid(order.reference, line.line_no) for line in order.lines]
        found = self._find_order(order.reference, guids)
        if found is not None:
            return found
        with self.transaction() as cursor:
            self._lock(cursor, f"SIPARISLER:{self.order_series}")
            match, params = self._order_match(order.reference, guids, "S")
            if fetch(
                cursor, f"SELECT 1 AS found FROM {self.t('SIPARISLER')} S WHERE S.sip_tip = 0 AND {match}", params
            ):
                number = None  # written by another worker while this one waited for the lock
            else:
                number = self._insert_order(cursor, order, guids)
        if number is None:
            return self._find_order(order.reference, guids)
        document = f"{self.order_series}-{number}"
        return ErpOrderAck(order.reference, document, document, ErpOrderState.OPEN)

    def _items(self, cursor: Any, codes: list[str]) -> dict[str, dict[str, Any]]:
        rows = fetch(
            cursor,
            "SELECT S.sto_kod, S.sto_birim1_ad, S.sto_birim2_ad, S.sto_birim2_katsayi, S.sto_birim3_ad, "
            f"S.sto_birim3_katsayi, S.{self.vat_pointer} AS vat_pointer, dbo.fn_VergiYuzde(S.{self.vat_pointer}) "
            f"AS vat_rate FROM {self.t('STOKLAR')} S WHERE S.sto_kod IN ({', '.join(['%s'] * len(codes))})",
            tuple(codes),
        )
        return {clean(row["sto_kod"]): row for row in rows}

    @staticmethod
    def _unit(item: dict[str, Any], unit: str) -> tuple[int, Decimal]:
        """(``sip_birim_pntr``, base units per ``unit``) of a line's unit."""
        if not unit or unit == clean(item["sto_birim1_ad"]):
            return 1, Decimal(1)
        for pointer in (2, 3):
            factor = pack_factor(item.get(f"sto_birim{pointer}_katsayi"))
            if unit == clean(item.get(f"sto_birim{pointer}_ad")) and factor:
                return pointer, factor
        raise PermanentError(f"Mikro item {clean(item['sto_kod'])} has no unit {unit!r}")

    def _insert_order(self, cursor: Any, order: ErpOrder, guids: list[uuid.UUID]) -> int:
        if not fetch(
            cursor, f"SELECT C.cari_kod FROM {self.t('CARI_HESAPLAR')} C WHERE C.cari_kod = %s", (order.customer_code,)
        ):
            raise PermanentError(f"Mikro has no customer {order.customer_code!r} (order {order.reference})")
        items = self._items(cursor, sorted({line.product_code for line in order.lines}))
        missing = sorted({line.product_code for line in order.lines} - set(items))
        if missing:
            raise PermanentError(f"Mikro has no item {', '.join(missing)} (order {order.reference})")
        number = self._next_number(cursor, "SIPARISLER", "sip", self.order_series, "sip_tip = 0")
        now = self.local(datetime.now(UTC))
        day = datetime.combine(order.ordered_on, datetime.min.time())
        due = datetime.combine(order.requested_on or order.ordered_on, datetime.min.time())
        for index, (line, guid) in enumerate(zip(order.lines, guids, strict=True)):
            item = items[line.product_code]
            pointer, factor = self._unit(item, line.unit)
            rate = as_decimal(item.get("vat_rate")) or Decimal(0)
            if rate != (as_decimal(line.vat_rate) or Decimal(0)):
                raise PermanentError(
                    f"Order {order.reference} line {line.line_no}: VAT {line.vat_rate} % but Mikro's pointer of item "
                    f"{line.product_code} stands for {rate} %"
                )
            list_price = line.list_price if line.list_price is not None else line.unit_price
            gross_amount = (list_price * line.quantity).quantize(CENT, ROUND_HALF_UP)
            net = (line.unit_price * line.quantity).quantize(CENT, ROUND_HALF_UP)
            base_quantity = line.quantity * factor
            row = self.header("sip", self.order_fileid, now, guid)
            row.update(
                {
                    "sip_tarih": day,
                    "sip_teslim_tarih": due,
                    "sip_tip": 0,
                    "sip_cins": 0,
                    "sip_evrakno_seri": self.order_series,
                    "sip_evrakno_sira": number,
                    "sip_satirno": index,
                    "sip_belgeno": "",
                    "sip_belge_tarih": day,
                    "sip_satici_kod": "",
                    "sip_musteri_kod": order.customer_code,
                    "sip_stok_kod": line.product_code,
                    "sip_b_fiyat": float(list_price / factor),
                    "sip_miktar": float(base_quantity),
                    "sip_birim_pntr": pointer,
                    "sip_teslim_miktar": 0.0,
                    "sip_tutar": float(gross_amount),
                    "sip_iskonto_1": float(gross_amount - net),
                    **{f"sip_iskonto_{n}": 0.0 for n in range(2, 7)},
                    **{f"sip_masraf_{n}": 0.0 for n in range(1, 5)},
                    "sip_vergi_pntr": int(item["vat_pointer"] or 0),
                    "sip_vergi": float((net * rate / 100).quantize(CENT, ROUND_HALF_UP)),
                    "sip_aciklama": (line.description or "")[:50],
                    "sip_depono": self.order_warehouse,
                    "sip_doviz_cinsi": 0,
                    "sip_doviz_kuru": 1.0,
                    "sip_fiyat_liste_no": 0,
                    "sip_kapat_fl": 0,
                    "sip_rezervasyon_miktari": 0.0,
                    "sip_harekettipi": 0,
                    "sip_stok_sormerk": "",
                    "sip_cari_sormerk": "",
                    "sip_projekodu": "",
                }
            )
            row[self.reference_column] = order.reference
            insert(cursor, self.t("SIPARISLER"), row)
        lines = note_lines(
            f"Portal siparişi {order.reference}",
            order.po_number and f"Müşteri sipariş no: {order.po_number}",
            order.delivery_address and f"Teslimat: {order.delivery_address}",
            order.note,
        )
        note = self.header("egk", NOTE_FILEID, now, uuid.uuid5(NAMESPACE, f"note:{order.reference}"))
        note.update(
            {
                "egk_dosyano": self.order_fileid,
                "egk_hareket_tip": 0,
                "egk_evr_tip": 0,
                "egk_evr_seri": self.order_series,
                "egk_evr_sira": number,
                "egk_evr_ustkod": "",
                "egk_evr_doksayisi": 0,
                **{f"egk_evracik{n + 1}": (lines[n] if n < len(lines) else "") for n in range(NOTE_LINES)},
            }
        )
        insert(cursor, self.t("EVRAK_ACIKLAMALARI"), note)
        return number

    def order_cancel(self, cancel: ErpCancel) -> ErpAck:
        self._refuse_read_only(f"the cancellation of order {cancel.reference}")
        found = self.order_lookup(cancel.reference)
        if found is None:
            raise PermanentError(f"Mikro holds no order for {cancel.reference}")
        if found.state == ErpOrderState.CANCELLED:
            return ErpAck(cancel.reference, found.document_id, found.document_number)
        if found.state != ErpOrderState.OPEN:
            raise PermanentError(
                f"Mikro order {found.document_number} ({cancel.reference}) is {found.state}: it cannot be cancelled "
                "once delivered or closed; cancel it in Mikro"
            )
        series, _, number = found.document_id.rpartition("-")
        with self.transaction() as cursor:
            cursor.execute(
                f"UPDATE {self.t('SIPARISLER')} SET sip_iptal = 1, sip_lastup_user = %s, sip_lastup_date = %s "
                "WHERE sip_tip = 0 AND sip_evrakno_seri = %s AND sip_evrakno_sira = %s AND NOT EXISTS (SELECT 1 FROM "
                f"{self.t('SIPARISLER')} D WHERE D.sip_tip = 0 AND D.sip_evrakno_seri = %s AND D.sip_evrakno_sira = %s "
                "AND D.sip_teslim_miktar > 0)",
                (self.user_no, self.local(datetime.now(UTC)), series, int(number), series, int(number)),
            )
            if cursor.rowcount == 0:
                raise PermanentError(
                    f"Mikro order {found.document_number} ({cancel.reference}) was delivered meanwhile; "
                    "cancel it in Mikro"
                )
        return ErpAck(cancel.reference, found.document_id, found.document_number)

    # -- collections ------------------------------------------------------------------------------------------------

    def payment_lookup(self, reference: str) -> ErpAck | None:
        condition, params = "H.cha_belge_no = %s", [self.collection_series, reference]
        if self.version == "v16":
            condition += " OR H.cha_Guid = %s"
            params.append(payment_guid(reference))
        rows = self.query(
            f"SELECT H.cha_evrakno_seri, H.cha_evrakno_sira FROM {self.t('CARI_HESAP_HAREKETLERI')} H "
            f"WHERE H.cha_evrakno_seri = %s AND H.cha_iptal = 0 AND ({condition}) "
            "ORDER BY H.cha_evrakno_sira",
            params,
        )
        if not rows:
            return None
        number = f"{clean(rows[0]['cha_evrakno_seri'])}-{int(rows[0]['cha_evrakno_sira'])}"
        return ErpAck(reference, number, number)

    def payment_push(self, payment: ErpPayment) -> ErpAck:
        self._refuse_read_only(f"collection {payment.reference}")
        if not payment.reference or len(payment.reference) > MAX_PAYMENT_REFERENCE:
            raise PermanentError(f"Payment reference {payment.reference!r} does not fit Mikro's cha_belge_no")
        if self.currency_number(payment.currency) != 0:
            raise PermanentError(f"Payment {payment.reference} is in {payment.currency}: only the local currency")
        found = self.payment_lookup(payment.reference)
        if found is not None:
            return found
        with self.transaction() as cursor:
            self._lock(cursor, f"CARI_HESAP_HAREKETLERI:{self.collection_series}")
            if fetch(
                cursor,
                f"SELECT 1 AS found FROM {self.t('CARI_HESAP_HAREKETLERI')} H WHERE H.cha_evrakno_seri = %s "
                "AND H.cha_belge_no = %s AND H.cha_iptal = 0",
                (self.collection_series, payment.reference),
            ):
                number = None
            else:
                number = self._insert_collection(cursor, payment)
        if number is None:
            return self.payment_lookup(payment.reference)
        document = f"{self.collection_series}-{number}"
        return ErpAck(payment.reference, document, document)

    def _insert_collection(self, cursor: Any, payment: ErpPayment) -> int:
        if not fetch(
            cursor,
            f"SELECT C.cari_kod FROM {self.t('CARI_HESAPLAR')} C WHERE C.cari_kod = %s",
            (payment.customer_code,),
        ):
            raise PermanentError(f"Mikro has no customer {payment.customer_code!r} (payment {payment.reference})")
        number = self._next_number(
            cursor,
            "CARI_HESAP_HAREKETLERI",
            "cha",
            self.collection_series,
            "cha_evrak_tip = %s",
            (self.collection_document_type,),
        )
        now = self.local(datetime.now(UTC))
        day = datetime.combine(payment.received_on or date.today(), datetime.min.time())
        amount = float(payment.amount)
        row = self.header("cha", LEDGER_FILEID, now, payment_guid(payment.reference))
        row.update(
            {
                "cha_evrak_tip": self.collection_document_type,
                "cha_evrakno_seri": self.collection_series,
                "cha_evrakno_sira": number,
                "cha_satir_no": 0,
                "cha_tarihi": day,
                "cha_belge_no": payment.reference,
                "cha_belge_tarih": day,
                "cha_kod": payment.customer_code,
                "cha_cari_cins": 0,
                "cha_tip": 1,
                "cha_cinsi": 0,
                "cha_normal_Iade": 0,
                "cha_meblag": amount,
                "cha_aratoplam": amount,
                "cha_aciklama": (payment.description or "Portal tahsilatı")[:40],
                "cha_d_cins": 0,
                "cha_d_kur": 1.0,
            }
        )
        insert(cursor, self.t("CARI_HESAP_HAREKETLERI"), row)
        return number


__all__ = ["NAMESPACE", "MikroWrites", "line_guid", "payment_guid"]
