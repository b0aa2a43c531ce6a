"""What the DİA adapter reads, preferring list calls (``selectedcolumns``, ``limit``/``offset`` pages, ``_date``
filters) over per-record gets, since every call costs kontör:

- units and products from ``scf_stokkart_listele``; price slots ``fiyat1..10`` (``price_slots``) and price cards
  (``scf_fiyatkart_listele``) as price lists, prices and customers' agreed prices;
- warehouses from ``sis_yetkili_firma_donem_sube_depo``; stock per depot from report ``scf2310a``
  (``rpr_raporsonuc_getir``, base64 JSON rows in ``__rows``), or the card's stock (``stock_mode`` ``card``);
- customers and balances from ``scf_carikart_listele``; the ledger from report ``scf1110a`` per customer (from the
  watermark's day, else ``lookback_days`` back), its open amounts from ``scf_carikart_vade_bakiye_listele``;
- order statuses, dispatches and invoices from ``scf_siparis_listele``, ``scf_irsaliye_listele`` and
  ``scf_fatura_listele``, linked to the portal's orders by the orders' ``irsaliyenumaralari``/``faturanumaralari``.

Deltas: ``_date >= since`` (DİA's last insert/update time, the company's local time). The engine already took its
overlap (``delta_overlap_seconds``) off ``since``; nothing more is taken off here. The watermark is the newest
``_date`` read, so DİA's clock, not the portal's, decides. Deletions are not seen by deltas: a full read finds them.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from erpsync.adapters.base import ErpOrderStatus, ErpPrice, ErpStock, Feed, PermanentError
from erpsync.adapters.dia.mapping import (
    PRICE_CARD_COLUMNS,
    amount,
    balance_record,
    card_active,
    card_agreement,
    card_list,
    card_price,
    customer_record,
    delivery_record,
    dia_stamp,
    invoice_record,
    ledger_record,
    numbers,
    order_state,
    product_record,
    report_stock,
    slot_list,
    stamp,
    unit_record,
    warehouse_record,
)
from erpsync.adapters.http import text as _text

ENTITIES = (
    "unit",
    "product",
    "warehouse",
    "stock",
    "price_list",
    "price",
    "agreement",
    "customer",
    "balance",
    "order_status",
    "delivery",
    "invoice",
    "ledger",
)
DELTA_ENTITIES = frozenset(
    {"unit", "product", "price", "agreement", "customer", "order_status", "delivery", "invoice", "ledger"}
)
CHANGES_ONLY = frozenset({"delivery", "invoice", "ledger"})
FORWARD_DAYS = 31  # documents dated ahead (an invoice keyed in for next week) are on the statement too
SALES_ORDER = {"field": "turu", "operator": "=", "value": "2"}


def decode_report(result: Any) -> list[dict[str, Any]]:
    """A report's ``result``: base64 of JSON whose rows sit in ``__rows``."""
    try:
        body = json.loads(base64.b64decode(str(result or "")) or b"{}")
    except (ValueError, TypeError) as exc:
        raise PermanentError(f"DİA's report answer is not base64 JSON: {exc}") from None
    rows = body.get("__rows") if isinstance(body, dict) else body
    return rows if isinstance(rows, list) else []


class DiaReads:
    """The reading half of ``DiaAdapter``."""

    def read(self, entity: str, *, since: datetime | None = None, full: bool = False) -> Iterator[Feed]:
        self.refuse_unreadable(entity, ENTITIES, who="DİA")
        return self._read(entity, since=None if full or entity not in DELTA_ENTITIES else since)

    def _changed_since(self, since: datetime | None) -> list[dict[str, Any]]:
        return [] if since is None else [{"field": "_date", "operator": ">=", "value": dia_stamp(since, self.zone)}]

    def _newest(self, rows: Iterable[dict[str, Any]]) -> datetime | None:
        stamps = [when for row in rows if (when := stamp(row.get("_date"), self.zone)) is not None]
        return max(stamps) if stamps else None

    def _read(self, entity: str, *, since: datetime | None) -> Iterator[Feed]:
        firma, donem = self.company()
        scope = {"firma_kodu": firma, "donem_kodu": donem}
        source = f"dia:{firma}:{donem}:{entity}"
        records, watermark = getattr(self, f"_read_{entity}")(since)
        complete = since is None and entity not in CHANGES_ONLY
        yield Feed(entity, source, records, complete=complete, watermark=watermark, scope=scope)

    # -- items and prices -------------------------------------------------------------------------------------------

    def _items(self, columns: list[str], since: datetime | None) -> list[dict[str, Any]]:
        return list(
            self._list("scf", "scf_stokkart_listele", filters=self._changed_since(since), columns=["_date", *columns])
        )

    def _read_unit(self, since):
        """The units of the item cards (changed since ``since``: a delta brings the units of new items)."""
        found = {}
        rows = self._items(["birimkodu", "birimadi"], since)
        for row in rows:
            code = _text(row.get("birimkodu")).strip()
            if code:
                found.setdefault(code, _text(row.get("birimadi")).strip())
        return [unit_record(code, name) for code, name in sorted(found.items())], self._newest(rows)

    def _read_product(self, since):
        columns = ["stokkartkodu", "aciklama", "birimkodu", "kdvsatis", "anabarkod", "durum", "stokkartturu"]
        rows = self._items(columns, since)
        return [product_record(row, self.zone, self.sellable_kinds) for row in rows], self._newest(rows)

    def _price_cards(self, since: datetime | None) -> list[dict[str, Any]]:
        if not self.price_cards:
            return []
        return list(self._list("scf", "scf_fiyatkart_listele", filters=self._changed_since(since)))

    def _today(self):
        return datetime.now(self.zone).date()

    def _read_price_list(self, since):
        lists = [slot_list(slot, name) for slot, name in sorted(self.price_slots.items())]
        seen = set()
        for row in self._price_cards(None):
            if _text(row.get(self.card_columns["customer"])).strip():
                continue
            found = card_list(row, self.card_columns)
            if found.code and found.code not in seen:
                seen.add(found.code)
                lists.append(found)
        return lists, None

    def _read_price(self, since):
        records, rows = [], []
        if self.price_slots:
            slots = sorted(self.price_slots)
            rows = self._items(["stokkartkodu", "durum", *(f"fiyat{slot}" for slot in slots)], since)
            for row in rows:
                for slot in slots:
                    price = amount(row.get(f"fiyat{slot}"))
                    if price > 0 and _text(row.get("durum")).strip().upper() != "P":
                        records.append(ErpPrice(f"FIYAT{slot}", _text(row.get("stokkartkodu")).strip(), price))
        cards = self._price_cards(since)
        today = self._today()
        for row in cards:
            if _text(row.get(self.card_columns["customer"])).strip() or not card_active(row, self.card_columns, today):
                continue
            price = card_price(row, self.card_columns)
            if price is not None:
                records.append(price)
        return records, self._newest([*rows, *cards])

    def _read_agreement(self, since):
        cards = self._price_cards(since)
        today = self._today()
        records = [
            found
            for row in cards
            if _text(row.get(self.card_columns["customer"])).strip() and card_active(row, self.card_columns, today)
            if (found := card_agreement(row, self.card_columns)) is not None
        ]
        return records, self._newest(cards)

    # -- depots and stock -------------------------------------------------------------------------------------------

    def _depots(self) -> list[dict[str, Any]]:
        firma, _donem = self.company()
        depots: dict[str, dict[str, Any]] = {}
        for company in self.discovery():
            if int(company.get("firmakodu") or 0) != firma:
                continue
            for branch in company.get("subeler") or []:
                for depot in branch.get("depolar") or []:
                    depots.setdefault(_text(depot.get("depokodu")).strip(), depot)
        return [depot for code, depot in sorted(depots.items()) if code]

    def _read_warehouse(self, since):
        depots = self._depots()
        if not depots and self.stock_mode == "card" and self.stock_warehouse:
            depots = [{"depokodu": self.stock_warehouse, "depoadi": self.stock_warehouse}]
        return [warehouse_record(depot, self.unsellable_warehouses) for depot in depots], None

    def _read_stock(self, since):
        if self.stock_mode == "card":
            rows = self._items(["stokkartkodu", "durum", self.stock_field], None)
            return [
                ErpStock(
                    _text(row.get("stokkartkodu")).strip(), self.stock_warehouse, amount(row.get(self.stock_field))
                )
                for row in rows
                if _text(row.get("durum")).strip().upper() != "P"
            ], None
        param = {
            "_depolar": [int(d["_key"]) if str(d.get("_key", "")).isdigit() else d.get("_key") for d in self._depots()],
            "filtreler": [],
            "siralama": [],
            "gruplama": [],
            "pasiflerigoster": "False",
            "depolardaolmayangoster": "False",
            "stokkartkodu1": "",
            "stokkartkodu2": "",
        }
        rows = self._report("scf2310a", param)
        return [report_stock(row) for row in rows if _text(row.get("stokkartkodu")).strip()], None

    def _report(self, code: str, param: dict[str, Any]) -> list[dict[str, Any]]:
        envelope = self._call(
            "rpr", "rpr_raporsonuc_getir", {"report_code": code, "param": param, "format_type": "json"}
        )
        return decode_report(envelope.get("result", envelope.get("data")))

    # -- customers, balances, the ledger ----------------------------------------------------------------------------

    def _read_customer(self, since):
        rows = list(self._list("scf", "scf_carikart_listele", filters=self._changed_since(since)))
        return [customer_record(row, self.zone, self.customer_price_list) for row in rows], self._newest(rows)

    def _read_balance(self, since):
        rows = self._list("scf", "scf_carikart_listele", columns=["carikartkodu", "bakiye"])
        return [balance_record(row) for row in rows], None

    def _open_amounts(self) -> dict[tuple[str, str], Any]:
        params = {"irsaliyeleriDahilEt": "False", "tarihreferans": self._today().isoformat(), "detaygoster": "True"}
        found = {}
        for row in self._list("scf", "scf_carikart_vade_bakiye_listele", params=params):
            customer = _text(row.get("carikartkodu")).strip()
            for item in row.get("__borchareketler") or []:
                found[(customer, _text(item.get("belgeno")).strip())] = amount(item.get("kalan"))
        return found

    def _read_ledger(self, since):
        started = datetime.now(UTC)
        first = (since or started - timedelta(days=self.lookback_days)).astimezone(self.zone).date()
        columns = ["_key", "carikartkodu", "borctoplam", "alacaktoplam"]
        changed = self._changed_since(since) if self.ledger_customers == "changed" else []
        customers = [
            row
            for row in self._list("scf", "scf_carikart_listele", columns=columns, filters=changed)
            if self.ledger_customers == "all" or amount(row.get("borctoplam")) or amount(row.get("alacaktoplam"))
        ]
        open_amounts = self._open_amounts() if customers else {}
        records = []
        for customer in customers:
            code = _text(customer.get("carikartkodu")).strip()
            param = {
                "_key": int(customer["_key"]) if str(customer["_key"]).isdigit() else customer["_key"],
                "tarihbaslangic": first.isoformat(),
                "tarihbitis": (self._today() + timedelta(days=FORWARD_DAYS)).isoformat(),
                "tarihreferans": self._today().isoformat(),
                "irsaliyeleriDahilEt": "False",
                "vadeyontem": "B",
                "filtreler": [],
                "siralama": [],
                "gruplama": [],
            }
            records += [ledger_record(row, code, open_amounts) for row in self._report("scf1110a", param)]
        return records, started

    # -- orders and their documents ---------------------------------------------------------------------------------

    def _orders(self, since: datetime | None, columns: list[str]) -> list[dict[str, Any]]:
        field = self.reference_field
        rows = self._list(
            "scf",
            "scf_siparis_listele",
            filters=[SALES_ORDER, *self._changed_since(since)],
            columns=["_key", "_date", field, *columns],
        )
        return [row for row in rows if _text(row.get(field)).strip()]

    def _read_order_status(self, since):
        columns = ["fisno", "onay", "toplammiktar", "teslimatkalanmiktar", "faturanumaralari"]
        rows = self._orders(since, columns)
        records = [
            ErpOrderStatus(
                reference=_text(row.get(self.reference_field)).strip(),
                state=order_state(row, self.cancel_status),
                document_number=_text(row.get("fisno")).strip(),
                document_id=_text(row.get("_key")),
                updated_at=stamp(row.get("_date"), self.zone),
            )
            for row in rows
        ]
        return records, self._newest(rows)

    def _documents_since(self, since: datetime | None) -> datetime:
        return since or datetime.now(UTC) - timedelta(days=self.lookback_days)

    def _order_links(self, start: datetime, column: str) -> dict[str, str]:
        """Document number → the portal reference of the order it came from (orders changed since ``start``)."""
        links = {}
        for row in self._orders(start, [column]):
            for number in numbers(row.get(column)):
                links[number] = _text(row.get(self.reference_field)).strip()
        return links

    def _read_delivery(self, since):
        start = self._documents_since(since)
        rows = list(self._list("scf", "scf_irsaliye_listele", filters=self._changed_since(start)))
        links = self._order_links(start - timedelta(days=self.lookback_days), "irsaliyenumaralari") if rows else {}
        records = [
            delivery_record(
                row,
                links.get(_text(row.get("fisno")).strip()) or links.get(_text(row.get("belgeno")).strip(), ""),
                self.zone,
            )
            for row in rows
        ]
        return records, self._newest(rows)

    def _read_invoice(self, since):
        start = self._documents_since(since)
        rows = list(self._list("scf", "scf_fatura_listele", filters=self._changed_since(start)))
        links = self._order_links(start - timedelta(days=self.lookback_days), "faturanumaralari") if rows else {}
        records = [
            invoice_record(
                row,
                links.get(_text(row.get("belgeno")).strip()) or links.get(_text(row.get("fisno")).strip(), ""),
                self.zone,
            )
            for row in rows
        ]
        return records, self._newest(rows)


__all__ = ["DELTA_ENTITIES", "ENTITIES", "PRICE_CARD_COLUMNS", "DiaReads", "decode_report"]
