"""What the Netsis adapter reads, all through NetOpenX REST lists (SelectFilter ``q`` fragments built here, values
always as quoted literals): units, items, warehouses, stock per warehouse (``Company/BringBalance``), the items' sale
prices as one price list per currency, customer accounts, balances, credit limits and locks, order statuses,
dispatches, invoices and the customer ledger (``ARPTransactions``).

Deltas: items and accounts changed since ``since`` (``DUZELTMETARIHI``, or ``KAYITTARIHI`` for rows never changed);
the engine's overlap (``delta_overlap_seconds``) is taken off ``since`` before it gets here. Documents and the ledger
are read from ``since`` (or ``lookback_days`` back) by date; order statuses always ``lookback_days`` back, since a
dispatch or an invoice made today does not change the date of the order it came from.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from erpsync.adapters.base import (
    DocumentKind,
    ErpBalance,
    ErpBrand,
    ErpCategory,
    ErpCredit,
    ErpOrderStatus,
    ErpPrice,
    ErpPriceList,
    ErpStock,
    ErpUnit,
    ErpWarehouse,
    Feed,
)
from erpsync.adapters.netsis.mapping import (
    DECIMAL_UNITS,
    col,
    currency,
    customer_record,
    dec,
    document_record,
    flat,
    ledger_record,
    order_state,
    product_record,
    txt,
    units_of,
)
from erpsync.adapters.netsis.session import TokenRefused, literal

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
    "delivery",
    "invoice",
    "ledger",
)
DELTA_ENTITIES = frozenset({"product", "customer"})
WINDOW_ENTITIES = frozenset({"order_status", "delivery", "invoice", "ledger"})
ITEM_FIELDS = "STOK_KODU,OLCU_BR1,OLCU_BR2,OLCU_BR3"


class NetsisReads:
    """The reading half of ``NetsisAdapter``."""

    def read(self, entity: str, *, since: datetime | None = None, full: bool = False) -> Iterator[Feed]:
        self.refuse_unreadable(entity, self.entities, who="Netsis")
        return self._feeds(entity, since=since, full=full)

    def _feeds(self, entity: str, *, since: datetime | None, full: bool) -> Iterator[Feed]:
        started = datetime.now(UTC)
        scope = {"db": self.db_name, "branch": self.branch_code}
        source = f"netsis:{self.db_name}:{self.branch_code}:{entity}"
        if entity in WINDOW_ENTITIES:
            start = since if since is not None and not full else started - timedelta(days=self.lookback_days)
            if entity == "order_status":  # an old order dispatched or invoiced today is not changed by date
                start = started - timedelta(days=self.lookback_days)
            records = list(getattr(self, f"_read_{entity}")(start))
            yield Feed(entity, f"{source}?since={start.date().isoformat()}", records, watermark=started, scope=scope)
            return
        delta = since if entity in DELTA_ENTITIES and since is not None and not full else None
        records = list(getattr(self, f"_read_{entity}")(delta))
        yield Feed(entity, source, records, complete=delta is None, watermark=started, scope=scope)

    def _changed_since(self, since: datetime | None) -> str:
        if since is None:
            return ""
        moment = literal(since.astimezone(self.zone).replace(tzinfo=None).isoformat(timespec="seconds"))
        return f"(DUZELTMETARIHI >= {moment} OR (DUZELTMETARIHI IS NULL AND KAYITTARIHI >= {moment}))"

    def _day(self, start: datetime) -> str:
        return literal(start.astimezone(self.zone).date().isoformat())

    # -- items ------------------------------------------------------------------------------------------------------

    def _items(self, q: str = "", fields: str = "") -> Iterator[dict[str, Any]]:
        return (flat(row) for row in self.select("Items", q, sort="STOK_KODU", fields=fields))

    def _read_unit(self, _since: datetime | None) -> list[ErpUnit]:
        found: dict[str, ErpUnit] = {}
        for row in self._items(fields=ITEM_FIELDS):
            for code in units_of(row):
                if code and code not in found:
                    found[code] = ErpUnit(code, code, decimals=3 if code.upper() in DECIMAL_UNITS else 0)
        return list(found.values())

    def _codes(self, name: str) -> list[str]:
        return sorted({txt(row, name) for row in self._items(f"{name} IS NOT NULL", fields=name)} - {""})

    def _read_category(self, _since: datetime | None) -> list[ErpCategory]:
        """Item groups (``GRUP_KODU``) as categories, named by their code (NetOpenX REST offers no group names)."""
        return [ErpCategory(code, code) for code in self._codes("GRUP_KODU")]

    def _read_brand(self, _since: datetime | None) -> list[ErpBrand]:
        """The items' first special code (``KOD_1``) as brands, named by their code."""
        return [ErpBrand(code, code) for code in self._codes("KOD_1")]

    def _read_product(self, since: datetime | None) -> list[Any]:
        return [
            product_record(row, ratio=self.unit_ratio, unsold_groups=self.unsold_groups, zone=self.zone)
            for row in self._items(self._changed_since(since))
        ]

    def price_list_code(self, code: str) -> str:
        return self.price_list if code == "TRY" else f"{self.price_list}-{code}"

    def _read_price_list(self, _since: datetime | None) -> list[ErpPriceList]:
        seen = sorted(
            {currency(col(row, "SAT_DOV_TIP"), self.currencies) for row in self._items(fields="SAT_DOV_TIP")} | {"TRY"}
        )
        return [
            ErpPriceList(self.price_list_code(code), f"Netsis satış fiyatı 1 ({code})", currency=code) for code in seen
        ]

    def _read_price(self, _since: datetime | None) -> list[ErpPrice]:
        prices = []
        for row in self._items("SATIS_FIAT1 > 0", fields="STOK_KODU,SATIS_FIAT1,SAT_DOV_TIP"):
            code = currency(col(row, "SAT_DOV_TIP"), self.currencies)
            prices.append(ErpPrice(self.price_list_code(code), txt(row, "STOK_KODU"), dec(col(row, "SATIS_FIAT1"))))
        return prices

    # -- warehouses and stock ---------------------------------------------------------------------------------------

    def balances(self, code: str | None = None, *, token: str | None = None) -> Iterator[dict[str, Any]]:
        """Rows of ``Company/BringBalance`` (every item's, or ``code``'s), ``page_size`` at a time. ``token``: sent
        as it is, never renewed (see ``NetsisSession._envelope``)."""
        offset = 0
        while True:
            body = {"StokKodu": code, "DepoKodu": None, "Offset": offset, "Limit": self.page_size}
            rows = list(self._read("POST", "Company/BringBalance", body=body, token=token)["Data"] or [])
            yield from rows
            if len(rows) < self.page_size:
                return
            offset += len(rows)

    def balances_of_each(self, codes: list[str]) -> dict[str, list[dict[str, Any]]]:
        """Each of ``codes``' balance rows: one ``Company/BringBalance`` per item, since NetOpenX REST publishes no
        read of several items' warehouse balances in one request (``ItemBalances`` names one item; the SelectFilter
        lists, which take ``q … IN (…)``, hold no per-warehouse balances). Up to ``live_stock_concurrency`` of them
        are in flight at once, so a page of 50 items waits for about 50 / that many answers, not 50.

        The worker threads are given the token and never touch the database; an item whose request Netsis answered
        401 is read again here, once the token was renewed. The first other error stops the items not yet sent and
        is raised as it came (the same kinds, retries and timeouts as any read)."""
        workers = min(self.live_stock_concurrency, len(codes))
        if workers <= 1:
            return {code: list(self.balances(code)) for code in codes}
        token = self._token()

        def read(code: str) -> list[dict[str, Any]]:
            return list(self.balances(code, token=token))

        found: dict[str, list[dict[str, Any]]] = {}
        refused: list[str] = []
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="netsis-live-stock") as pool:
            futures: dict[str, Future] = {code: pool.submit(read, code) for code in codes}
            try:
                for code, future in futures.items():
                    try:
                        found[code] = future.result()
                    except TokenRefused:
                        refused.append(code)
            except BaseException:
                for future in futures.values():
                    future.cancel()
                raise
        if refused:
            self._token(stale=True)
            found.update({code: list(self.balances(code)) for code in refused})
        return {code: found[code] for code in codes}

    def _stock_record(self, row: dict[str, Any], now: datetime) -> ErpStock:
        return ErpStock(
            txt(row, "STOK_KODU"),
            txt(row, "DEPO_KODU"),
            dec(col(row, "BAKIYE")) or Decimal(0),
            dec(col(row, "SIPARIS_REZERVE")) or Decimal(0),
            as_of=now,
        )

    def _read_stock(self, _since: datetime | None) -> list[ErpStock]:
        now = datetime.now(UTC)
        return [self._stock_record(row, now) for row in self.balances()]

    def _read_warehouse(self, _since: datetime | None) -> list[ErpWarehouse]:
        """The warehouses ``warehouses`` names (NetOpenX REST lists none); without that setting, the numbers found in
        the balances, named by their number."""
        codes = dict(self.warehouse_names)
        if not codes:
            codes = {txt(row, "DEPO_KODU"): "" for row in self.balances()}
        return [
            ErpWarehouse(code, name or f"Depo {code}", sellable=code not in self.unsellable_warehouses)
            for code, name in sorted(codes.items())
        ]

    # -- accounts ---------------------------------------------------------------------------------------------------

    def _accounts(self, since: datetime | None = None) -> Iterator[dict[str, Any]]:
        q = "CARI_TIP IN (" + ", ".join(literal(kind) for kind in self.customer_types) + ")"
        changed = self._changed_since(since)
        return (flat(row) for row in self.select("ARPs", f"{q} AND {changed}" if changed else q, sort="CARI_KOD"))

    def _read_customer(self, since: datetime | None) -> list[Any]:
        return [
            customer_record(
                row,
                currencies=self.currencies,
                blocked_field=self.blocked_field,
                price_list=self.price_list_code(currency(col(row, "DOVIZ_KODU"), self.currencies)),
                zone=self.zone,
            )
            for row in self._accounts(since)
        ]

    def _read_balance(self, _since: datetime | None) -> list[ErpBalance]:
        now = datetime.now(UTC)
        return [
            ErpBalance(
                txt(row, "CARI_KOD"),
                dec((dec(col(row, "BORCLANAN_TUTAR")) or 0) - (dec(col(row, "ALACAKLANAN_TUTAR")) or 0)) or Decimal(0),
                currency=currency(col(row, "DOVIZ_KODU"), self.currencies),
                as_of=now,
            )
            for row in self._accounts()
        ]

    def _read_credit(self, _since: datetime | None) -> list[ErpCredit]:
        now = datetime.now(UTC)
        found = []
        for row in self._accounts():
            hold = txt(row, self.blocked_field).upper() == "E"
            found.append(
                ErpCredit(
                    txt(row, "CARI_KOD"),
                    dec(col(row, "KREDI_LIMITI")) or Decimal(0),
                    hold=hold,
                    hold_reason="Netsis'te cari kilitli" if hold else "",
                    as_of=now,
                )
            )
        return found

    # -- orders and documents ---------------------------------------------------------------------------------------

    def slips(self, tip: str, q: str = "", fields: str = "") -> Iterator[dict[str, Any]]:
        return self.select("ItemSlips", q, sort="FATIRS_NO", fields=fields, extra={"FaturaTip": self.type_value(tip)})

    def _since_day(self, start: datetime) -> str:
        return f"Tarih >= {self._day(start)}"

    def _invoiced_lines(self, start: datetime) -> dict[str, set[int]]:
        """Order number → its line numbers (``STra_SIPKONT``) that reached an invoice since ``start``."""
        found: dict[str, set[int]] = {}
        for slip in self.slips("ftSFat", self._since_day(start)):
            for line in slip.get("Kalems") or []:
                if txt(line, "STra_SIPNUM"):
                    found.setdefault(txt(line, "STra_SIPNUM"), set()).add(int(col(line, "STra_SIPKONT") or 0))
        return found

    def _read_order_status(self, start: datetime) -> list[ErpOrderStatus]:
        invoiced = self._invoiced_lines(start)
        statuses = []
        for slip in self.slips("ftSSip", f"{self.reference_field} IS NOT NULL AND {self._since_day(start)}"):
            header = slip.get("FatUst") or {}
            number = txt(header, "FATIRS_NO")
            state = order_state(slip, delivered_field=self.delivered_field, invoiced=invoiced.get(number, set()))
            customer = txt(header, "CARI_KOD") or txt(header, "CariKod")
            statuses.append(
                ErpOrderStatus(
                    txt(header, self.reference_field), state, number, self.slip_id("ftSSip", number, customer)
                )
            )
        return statuses

    def _order_references(self, start: datetime) -> dict[str, str]:
        fields = f"FATIRS_NO,{self.reference_field}"
        return {
            txt(row, "FATIRS_NO"): txt(row, self.reference_field)
            for row in self.slips("ftSSip", self._since_day(start - timedelta(days=self.lookback_days)), fields)
        }

    def _documents(self, tip: str, kind: DocumentKind, start: datetime) -> list[Any]:
        slips = list(self.slips(tip, self._since_day(start)))
        references = self._order_references(start) if slips else {}
        codes = sorted({txt(line, "StokKodu") for slip in slips for line in slip.get("Kalems") or []})
        units = self._units_of(codes)
        documents = []
        for slip in slips:
            header = slip.get("FatUst") or {}
            order = txt(header, "SIPARIS_NO") or next(
                (txt(line, "STra_SIPNUM") for line in slip.get("Kalems") or [] if txt(line, "STra_SIPNUM")), ""
            )
            documents.append(
                document_record(
                    slip,
                    kind,
                    reference=references.get(order, ""),
                    units=units,
                    currency_code=currency(col(header, "DOVIZTIP"), self.currencies),
                )
            )
        return documents

    def _units_of(self, codes: list[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for at in range(0, len(codes), 100):
            q = "STOK_KODU IN (" + ", ".join(literal(code) for code in codes[at : at + 100]) + ")"
            for row in self._items(q, ITEM_FIELDS):
                found[txt(row, "STOK_KODU")] = units_of(row)
        return found

    def _read_delivery(self, start: datetime) -> list[Any]:
        return self._documents("ftSIrs", DocumentKind.DELIVERY, start)

    def _read_invoice(self, start: datetime) -> list[Any]:
        return self._documents("ftSFat", DocumentKind.INVOICE, start)

    def _read_ledger(self, start: datetime) -> list[Any]:
        currencies = {
            txt(row, "CARI_KOD"): currency(col(row, "DOVIZ_KODU"), self.currencies) for row in self._accounts()
        }
        rows = self.select("ARPTransactions", f"TARIH >= {self._day(start)}", sort="INC_KEY_NUMBER")
        return [
            ledger_record(row, kinds=self.ledger_kinds, currency_code=currencies[txt(row, "CARI_KOD")], zone=self.zone)
            for row in rows
            if txt(row, "CARI_KOD") in currencies
        ]


__all__ = ["ENTITIES", "NetsisReads"]
