"""What the Mikro adapter reads, with portable SELECTs over Mikro's tables (schema ``dbo``; the column names are
Mikro's, from a live v16 schema dump and public integration code, see docs/mikro.md): units, categories and brands
(the codes the item cards use), items with their units and barcodes, warehouses, stock per warehouse, price lists
and prices, customers with their addresses, balances, credit holds, order statuses, open orders and the ledger.

Deltas: the changed rows are those whose ``<p>_lastup_date`` is at or after ``since`` (in the Mikro server's zone),
read page by page over (``<p>_lastup_date``, key); the engine has taken its one overlap
(``delta_overlap_seconds``) off ``since`` before it gets here. Values from outside always go in as parameters.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from erpsync.adapters.base import (
    ErpBalance,
    ErpBrand,
    ErpCategory,
    ErpCredit,
    ErpOpenOrder,
    ErpOrderState,
    ErpOrderStatus,
    ErpStock,
    ErpUnit,
    ErpWarehouse,
    Feed,
)
from erpsync.adapters.mikro.checks import BALANCE_IN_MAIN_CURRENCY, OPEN_ORDER_LINE, STOCK_IN_WAREHOUSE
from erpsync.adapters.mikro.mapping import (
    as_decimal,
    clean,
    currency,
    customer_record,
    flag,
    ledger_record,
    order_state,
    price_list_record,
    price_record,
    product_record,
    stamp,
)

ENTITIES = (
    "unit",
    "category",
    "brand",
    "product",
    "warehouse",
    "stock",
    "price_list",
    "price",
    "customer",
    "balance",
    "credit",
    "order_status",
    "ledger",
)
DELTA_ENTITIES = frozenset({"product", "price", "customer", "order_status"})
WINDOW_ENTITIES = frozenset({"ledger"})
CHUNK = 1000  # codes per IN list (SQL Server takes at most 2,100 parameters)
DECIMAL_UNITS = frozenset({"KG", "GR", "LT", "M", "M2", "M3", "TON", "MT"})
OPEN_STATES = frozenset({ErpOrderState.OPEN, ErpOrderState.PARTIALLY_SHIPPED})
ITEM_COLUMNS = (
    "S.sto_kod, S.sto_isim, S.sto_yabanci_isim, S.sto_birim1_ad, S.sto_birim2_ad, S.sto_birim2_katsayi, "
    "S.sto_birim3_ad, S.sto_birim3_katsayi, S.sto_kategori_kodu, S.sto_marka_kodu, S.sto_pasif_fl, S.sto_iptal, "
    "S.sto_cins, S.sto_satis_dursun, S.sto_lastup_date"
)


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def marks(count: int) -> str:
    return ", ".join(["%s"] * count)


class MikroReads:
    """The reading half of ``MikroAdapter``."""

    def t(self, table: str) -> str:
        return f"dbo.{table}"

    def row_key(self, prefix: str) -> str:
        """The row key column of a table with column prefix ``prefix``: ``<p>_Guid`` (v16) or ``<p>_RECno`` (v15)."""
        return f"{prefix}_Guid" if self.version == "v16" else f"{prefix}_RECno"

    def local(self, when: datetime) -> datetime:
        """``when`` as the Mikro server's clock shows it (its columns hold local time without a zone)."""
        return when.astimezone(self.zone).replace(tzinfo=None)

    # -- feeds ------------------------------------------------------------------------------------------------------

    def read(self, entity: str, *, since: datetime | None = None, full: bool = False) -> Iterator[Feed]:
        self.refuse_unreadable(entity, self.entities, who="Mikro")
        return self._read(entity, since=since, full=full)

    def _read(self, entity: str, *, since: datetime | None, full: bool) -> Iterator[Feed]:
        started = datetime.now(UTC)
        scope = {"database": self.database_name}
        source = f"mikro:{self.database_name}:{entity}"
        if entity in WINDOW_ENTITIES:
            start = since if since is not None and not full else started - timedelta(days=self.lookback_days)
            records = list(getattr(self, f"_read_{entity}")(start))
            yield Feed(entity, f"{source}?since={start.date().isoformat()}", records, watermark=started, scope=scope)
            return
        delta = since if entity in DELTA_ENTITIES and since is not None and not full else None
        records = list(getattr(self, f"_read_{entity}")(delta))
        yield Feed(entity, source, records, complete=delta is None, watermark=started, scope=scope)

    def _changed(self, prefix: str, alias: str, keys: list[str], since: datetime | None) -> tuple[list[str], str, list]:
        """Keyset keys, condition and parameters of a read: all rows, or those changed since ``since``."""
        if since is None:
            return keys, "1 = 1", []
        column = f"{alias}.{prefix}_lastup_date"
        return [column, *keys], f"{column} >= %s", [self.local(since)]

    # -- master data ------------------------------------------------------------------------------------------------

    def _distinct(self, column: str) -> list[str]:
        rows = self.query(
            f"SELECT {column} AS code FROM {self.t('STOKLAR')} WHERE {column} IS NOT NULL AND {column} <> '' "
            f"GROUP BY {column} ORDER BY {column}"
        )
        return [clean(row["code"]) for row in rows if clean(row["code"])]

    def _read_unit(self, _since: datetime | None) -> list[Any]:
        """Mikro has no unit table for the portal: every unit name the item cards use is a unit."""
        names: set[str] = set()
        for pointer in (1, 2, 3):
            names.update(self._distinct(f"sto_birim{pointer}_ad"))
        return [ErpUnit(name, name, decimals=3 if name.upper() in DECIMAL_UNITS else 0) for name in sorted(names)]

    def _read_category(self, _since: datetime | None) -> list[Any]:
        return [ErpCategory(code, code) for code in self._distinct("sto_kategori_kodu")]

    def _read_brand(self, _since: datetime | None) -> list[Any]:
        return [ErpBrand(code, code) for code in self._distinct("sto_marka_kodu")]

    def _barcodes(self, codes: Sequence[str]) -> dict[str, dict[int, str]]:
        found: dict[str, dict[int, str]] = defaultdict(dict)
        for part in chunks(codes):
            rows = self.query(
                f"SELECT B.bar_stokkodu, B.bar_birimpntr, B.bar_kodu FROM {self.t('BARKOD_TANIMLARI')} B "
                f"WHERE B.bar_stokkodu IN ({marks(len(part))}) AND B.bar_kodu <> '' "
                "ORDER BY B.bar_stokkodu, B.bar_birimpntr, B.bar_kodu",
                part,
            )
            for row in rows:
                found[clean(row["bar_stokkodu"])].setdefault(int(row["bar_birimpntr"] or 1), clean(row["bar_kodu"]))
        return found

    def _read_product(self, since: datetime | None) -> Iterator[Any]:
        keys, where, params = self._changed("sto", "S", ["S.sto_kod"], since)
        rows = self.keyset(
            f"{ITEM_COLUMNS}, dbo.fn_VergiYuzde(S.{self.vat_pointer}) AS vat_rate FROM {self.t('STOKLAR')} S",
            keys,
            params,
            where=where,
        )
        page: list[dict[str, Any]] = []
        for row in rows:
            page.append(row)
            if len(page) >= CHUNK:
                yield from self._products(page)
                page = []
        yield from self._products(page)

    def _products(self, rows: list[dict[str, Any]]) -> Iterator[Any]:
        barcodes = self._barcodes([clean(row["sto_kod"]) for row in rows]) if rows else {}
        for row in rows:
            yield product_record(
                row, barcodes.get(clean(row["sto_kod"]), {}), sold_kinds=self.sold_kinds, zone=self.zone
            )

    def _read_warehouse(self, _since: datetime | None) -> list[Any]:
        rows = self.query(f"SELECT D.dep_no, D.dep_adi FROM {self.t('DEPOLAR')} D ORDER BY D.dep_no")
        return [
            ErpWarehouse(
                str(row["dep_no"]),
                clean(row["dep_adi"]) or str(row["dep_no"]),
                sellable=str(row["dep_no"]) not in self.unsellable_warehouses,
            )
            for row in rows
        ]

    # -- stock ------------------------------------------------------------------------------------------------------

    def _stock_rows(self, where: str, params: Sequence[Any]) -> list[dict[str, Any]]:
        if self.stock_source == "function":
            return self.query(
                f"SELECT S.sto_kod AS code, D.dep_no AS warehouse, "
                f"{STOCK_IN_WAREHOUSE.format(item='S.sto_kod', warehouse='D.dep_no')} AS on_hand "
                f"FROM {self.t('STOKLAR')} S CROSS JOIN {self.t('DEPOLAR')} D "
                f"WHERE {where.format(c='S.sto_kod')} "
                "ORDER BY S.sto_kod, D.dep_no",
                params,
            )
        return self.query(
            "SELECT H.sth_stok_kod AS code, D.dep_no AS warehouse, SUM(CASE WHEN H.sth_tip = 0 THEN H.sth_miktar "
            "WHEN H.sth_tip = 1 THEN -H.sth_miktar WHEN H.sth_giris_depo_no = D.dep_no THEN H.sth_miktar "
            f"ELSE -H.sth_miktar END) AS on_hand FROM {self.t('STOK_HAREKETLERI')} H JOIN {self.t('DEPOLAR')} D "
            "ON (D.dep_no = H.sth_giris_depo_no OR D.dep_no = H.sth_cikis_depo_no) "
            f"WHERE H.sth_iptal = 0 AND {where.format(c='H.sth_stok_kod')} "
            "GROUP BY H.sth_stok_kod, D.dep_no ORDER BY H.sth_stok_kod, D.dep_no",
            params,
        )

    def _committed_rows(self, where: str, params: Sequence[Any]) -> dict[tuple[str, str], Decimal]:
        if self.committed == "none":
            return {}
        rows = self.query(
            "SELECT O.sip_stok_kod AS code, O.sip_depono AS warehouse, SUM(O.sip_miktar - O.sip_teslim_miktar) "
            f"AS open_quantity FROM {self.t('SIPARISLER')} O WHERE {OPEN_ORDER_LINE.format(o='O')} "
            f"AND {where.format(c='O.sip_stok_kod')} "
            "GROUP BY O.sip_stok_kod, O.sip_depono",
            params,
        )
        return {(clean(r["code"]), str(r["warehouse"])): as_decimal(r["open_quantity"]) or Decimal(0) for r in rows}

    def _stock(self, where: str, params: Sequence[Any]) -> Iterator[ErpStock]:
        committed = self._committed_rows(where, params)
        seen = set()
        for row in self._stock_rows(where, params):
            key = (clean(row["code"]), str(row["warehouse"]))
            seen.add(key)
            on_hand = as_decimal(row["on_hand"]) or Decimal(0)
            held = committed.get(key, Decimal(0))
            if on_hand or held:
                yield ErpStock(key[0], key[1], on_hand, held)
        for key, held in committed.items():  # ordered where nothing moved yet (movements) or no card (function)
            if key not in seen and held:
                yield ErpStock(key[0], key[1], Decimal(0), held)

    def _read_stock(self, _since: datetime | None) -> Iterator[Any]:
        """Per item and warehouse, a page of item codes at a time; rows with nothing on hand and nothing ordered are
        left out (a complete snapshot: the portal reads them as zero)."""
        codes = [clean(row["sto_kod"]) for row in self.keyset(f"S.sto_kod FROM {self.t('STOKLAR')} S", ["S.sto_kod"])]
        for part in chunks(codes, self.page_size):
            yield from self._stock("{c} >= %s AND {c} <= %s", (part[0], part[-1]))

    def live_stock(self, product_codes: Iterable[str]) -> list[ErpStock]:
        codes = sorted({code for code in product_codes if code})
        now = datetime.now(UTC)
        found = []
        for part in chunks(codes):
            for stock in self._stock(f"{{c}} IN ({marks(len(part))})", part):
                found.append(ErpStock(stock.product_code, stock.warehouse_code, stock.on_hand, stock.committed, now))
        return found

    # -- prices -----------------------------------------------------------------------------------------------------

    def _read_price_list(self, _since: datetime | None) -> list[Any]:
        lists = self.query(
            f"SELECT L.sfl_sirano, L.sfl_aciklama, L.sfl_kdvdahil FROM {self.t('STOK_SATIS_FIYAT_LISTE_TANIMLARI')} L "
            "ORDER BY L.sfl_sirano"
        )
        used: dict[int, set[str]] = defaultdict(set)
        for row in self.query(
            f"SELECT P.sfiyat_listesirano, P.sfiyat_doviz FROM {self.t('STOK_SATIS_FIYAT_LISTELERI')} P "
            "WHERE P.sfiyat_deposirano = %s GROUP BY P.sfiyat_listesirano, P.sfiyat_doviz",
            (self.price_warehouse,),
        ):
            used[int(row["sfiyat_listesirano"])].add(currency(row["sfiyat_doviz"], self.currencies))
        return [
            price_list_record(row, code)
            for row in lists
            for code in sorted(used.get(int(row["sfl_sirano"])) or {"TRY"})
        ]

    def _read_price(self, since: datetime | None) -> Iterator[Any]:
        """One price per list, item and unit pointer: the warehouse's (``price_warehouse``) for the first payment
        plan (0)."""
        keys, where, params = self._changed(
            "sfiyat", "P", ["P.sfiyat_listesirano", "P.sfiyat_stokkod", "P.sfiyat_birim_pntr"], since
        )
        rows = self.keyset(
            "P.sfiyat_listesirano, P.sfiyat_stokkod, P.sfiyat_birim_pntr, P.sfiyat_fiyati, P.sfiyat_doviz, "
            f"S.sto_birim2_ad, S.sto_birim3_ad FROM {self.t('STOK_SATIS_FIYAT_LISTELERI')} P "
            f"JOIN {self.t('STOKLAR')} S ON S.sto_kod = P.sfiyat_stokkod",
            keys,
            [self.price_warehouse, *params],
            where=f"P.sfiyat_deposirano = %s AND P.sfiyat_odemeplan = 0 AND {where}",
        )
        return (price_record(row, currency(row["sfiyat_doviz"], self.currencies)) for row in rows)

    # -- customers --------------------------------------------------------------------------------------------------

    def _addresses(self, codes: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        found: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for part in chunks(codes):
            for row in self.query(
                "SELECT A.adr_cari_kod, A.adr_adres_no, A.adr_cadde, A.adr_mahalle, A.adr_sokak, A.adr_ilce, "
                f"A.adr_il, A.adr_posta_kodu, A.adr_tel_no1 FROM {self.t('CARI_HESAP_ADRESLERI')} A "
                f"WHERE A.adr_cari_kod IN ({marks(len(part))}) ORDER BY A.adr_cari_kod, A.adr_adres_no",
                part,
            ):
                found[clean(row["adr_cari_kod"])].append(row)
        return found

    def _read_customer(self, since: datetime | None) -> Iterator[Any]:
        keys, where, params = self._changed("cari", "C", ["C.cari_kod"], since)
        rows = list(
            self.keyset(
                "C.cari_kod, C.cari_unvan1, C.cari_unvan2, C.cari_vdaire_adi, C.cari_vdaire_no, C.cari_VergiKimlikNo, "
                "C.cari_EMail, C.cari_CepTel, C.cari_doviz_cinsi, C.cari_satis_fk, C.cari_odemeplan_no, "
                "C.cari_fatura_adres_no, C.cari_iptal, C.cari_hidden, C.cari_lastup_date "
                f"FROM {self.t('CARI_HESAPLAR')} C",
                keys,
                params,
                where=where,
            )
        )
        addresses = self._addresses([clean(row["cari_kod"]) for row in rows])
        return (
            customer_record(row, addresses.get(clean(row["cari_kod"]), []), currencies=self.currencies, zone=self.zone)
            for row in rows
        )

    def _balance_rows(self, where: str = "1 = 1", params: Sequence[Any] = ()) -> Iterator[dict[str, Any]]:
        return self.keyset(
            f"C.cari_kod, {BALANCE_IN_MAIN_CURRENCY.format(customer='C.cari_kod')} AS balance "
            f"FROM {self.t('CARI_HESAPLAR')} C",
            ["C.cari_kod"],
            params,
            where=where,
        )

    def _read_balance(self, _since: datetime | None) -> Iterator[Any]:
        now = datetime.now(UTC)
        return (
            ErpBalance(clean(row["cari_kod"]), as_decimal(row["balance"]) or Decimal(0), as_of=now)
            for row in self._balance_rows()
        )

    def live_balance(self, customer_code: str) -> ErpBalance:
        rows = list(self._balance_rows("C.cari_kod = %s", (customer_code,)))
        balance = as_decimal(rows[0]["balance"]) if rows else None
        return ErpBalance(customer_code, balance or Decimal(0), as_of=datetime.now(UTC))

    def _read_credit(self, _since: datetime | None) -> Iterator[Any]:
        rows = self.keyset(
            f"C.cari_kod, C.cari_cari_kilitli_flg, C.{self.credit_limit_column} AS limit_ "
            f"FROM {self.t('CARI_HESAPLAR')} C",
            ["C.cari_kod"],
        )
        return (
            ErpCredit(
                clean(row["cari_kod"]),
                max(as_decimal(row.get("limit_")) or Decimal(0), Decimal(0)),
                hold=flag(row.get("cari_cari_kilitli_flg")),
                hold_reason="Mikro: cari hesap kilitli" if flag(row.get("cari_cari_kilitli_flg")) else "",
            )
            for row in rows
        )

    # -- orders -----------------------------------------------------------------------------------------------------

    def order_rows(
        self, where: str = "1 = 1", params: Sequence[Any] = (), *, documents: str = "", documents_params: Sequence = ()
    ) -> Iterator[dict[str, Any]]:
        """Sales orders (``sip_tip`` 0), one row per document with its lines summed. ``documents``: a condition on
        lines (alias ``C``) that picks whole documents: every line of a document with one such line is summed (an
        ANSI join to the documents found, so the statement stays linear in the table)."""
        reference = f"S.{self.reference_column}"
        join = ""
        if documents:
            join = (
                f" JOIN (SELECT C.sip_evrakno_seri AS seri, C.sip_evrakno_sira AS sira FROM {self.t('SIPARISLER')} C "
                f"WHERE C.sip_tip = 0 AND ({documents}) GROUP BY C.sip_evrakno_seri, C.sip_evrakno_sira) M "
                "ON M.seri = S.sip_evrakno_seri AND M.sira = S.sip_evrakno_sira"
            )
        return self.keyset(
            f"MAX({reference}) AS reference, MAX(S.sip_musteri_kod) AS customer, MAX(S.sip_doviz_cinsi) AS currency, "
            "SUM(CASE WHEN S.sip_iptal = 0 THEN S.sip_miktar ELSE 0 END) AS ordered, "
            "SUM(CASE WHEN S.sip_iptal = 0 THEN S.sip_teslim_miktar ELSE 0 END) AS delivered, "
            "SUM(CASE WHEN S.sip_iptal = 0 THEN 1 ELSE 0 END) AS live_lines, "
            "SUM(CASE WHEN S.sip_iptal = 0 AND S.sip_kapat_fl = 0 AND S.sip_teslim_miktar < S.sip_miktar THEN 1 "
            "ELSE 0 END) AS open_lines, "
            "SUM(CASE WHEN S.sip_iptal = 0 THEN S.sip_tutar + S.sip_vergi ELSE 0 END) AS gross, "
            f"MAX(S.sip_lastup_date) AS lastup FROM {self.t('SIPARISLER')} S{join}",
            ["S.sip_evrakno_seri", "S.sip_evrakno_sira"],
            [*documents_params, *params],
            where=f"S.sip_tip = 0 AND {where}",
            group_by="S.sip_evrakno_seri, S.sip_evrakno_sira",
        )

    @staticmethod
    def document_id(row: dict[str, Any]) -> str:
        return f"{clean(row['k0'])}-{int(row['k1'])}"

    def _read_order_status(self, since: datetime | None) -> Iterator[Any]:
        where = f"S.{self.reference_column} <> ''"
        changed = (
            {} if since is None else {"documents": "C.sip_lastup_date >= %s", "documents_params": [self.local(since)]}
        )
        for row in self.order_rows(where, **changed):
            number = self.document_id(row)
            yield ErpOrderStatus(
                clean(row["reference"]), order_state(row), number, number, stamp(row["lastup"], self.zone)
            )

    def open_orders(self) -> Iterator[ErpOpenOrder]:
        for row in self.order_rows("S.sip_iptal = 0"):
            if order_state(row) not in OPEN_STATES:
                continue
            yield ErpOpenOrder(
                self.document_id(row),
                clean(row["customer"]),
                clean(row["reference"]),
                as_decimal(row["gross"]),
                currency(row["currency"], self.currencies),
            )

    # -- the ledger -------------------------------------------------------------------------------------------------

    def _read_ledger(self, start: datetime) -> Iterator[Any]:
        key = f"H.{self.row_key('cha')}"
        rows = self.keyset(
            "H.cha_kod, H.cha_tarihi, H.cha_evrak_tip, H.cha_tip, H.cha_normal_Iade, H.cha_meblag, H.cha_belge_no, "
            f"H.cha_evrakno_seri, H.cha_evrakno_sira, H.cha_aciklama, H.cha_lastup_date "
            f"FROM {self.t('CARI_HESAP_HAREKETLERI')} H",
            [key],
            [self.local(start).replace(hour=0, minute=0, second=0, microsecond=0)],
            where="H.cha_cari_cins = 0 AND H.cha_iptal = 0 AND H.cha_tarihi >= %s",
        )
        return (ledger_record(row, zone=self.zone, key=str(row["k0"]).lower()) for row in rows)


__all__ = ["DELTA_ENTITIES", "ENTITIES", "MikroReads"]
