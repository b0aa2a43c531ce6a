"""One DİA company (firma) and period (dönem) of the simulator: its cards and documents as DİA's list services show
them, and the services themselves (list, get, add, update, delete, the two reports), without HTTP.

Rows are dicts keyed by DİA's column names; every row has ``_key`` (text), ``_date`` (last insert/update) and
``_cdate`` (creation), ``YYYY-MM-DD HH:MM:SS`` in the company's local time. Amounts and quantities go out as strings
with ``decimals`` places (``"658.000000"``), as DİA sends them. What a real DİA does that this one does not:
permissions per user, e-documents, sub-models other than lines and addresses, most link fields.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

# Models whose list services exist here, and the text column that names a row in "Kayıt bulunamadı" errors.
TABLES = ("stokkart", "fiyatkart", "carikart", "siparis", "irsaliye", "fatura", "kasaislemleri", "carihesap_fisi",
          "sehirler", "vergidairesi")  # fmt: skip
# Reference rows of the sis module a new card links to (``_key_sis_sehirler``, ``_key_sis_vergidairesi``); the
# columns are those DİA's own sample reads (``sehiradi``; ``daire``, ``kod``), the rows and keys this simulator's.
CITIES = ("Adana", "Ankara", "Antalya", "Bursa", "İstanbul", "İzmir", "Kocaeli", "Konya", "Şanlıurfa")
TAX_OFFICES = (("Çankaya", "06257"), ("Kavaklıdere", "06251"), ("Şişli", "34252"), ("Kadıköy", "34260"),
               ("Karşıyaka", "35251"), ("Gebze", "41250"))  # fmt: skip
CARD_FIELDS = frozenset({"carikartkodu", "unvan", "carikarttipi", "carikayitturu", "verginumarasi", "tckimlikno",
                         "eposta", "kisaaciklama", "durum", "_key_sis_vergidairesi", "_key_sis_sube", "_key_sis_doviz",
                         "_key_sis_ozelkod2", "efaturasenaryosu", "m_adresler"})  # fmt: skip
ADDRESS_FIELDS = frozenset({"anaadres", "adresadi", "adrestipi", "adres1", "adres2", "ilce", "postakodu", "telefon1",
                            "ceptel", "fax", "_key_sis_sehirler", "_key_sis_ulkeler", "ulkeno"})  # fmt: skip
CARD_CODE_WIDTH = 30
AMOUNT_COLUMNS = frozenset(
    {
        "fiyat",
        "kdvsatis",
        "kdvalis",
        "gercek_stok",
        "fiili_stok",
        "bakiye",
        "borctoplam",
        "alacaktoplam",
        "orjbakiye",
        "toplam",
        "toplamkdv",
        "toplamara",
        "net",
        "toplammiktar",
        "teslimatkalanmiktar",
        "miktar",
        "birimfiyati",
        "tutari",
        "kdv",
        "borc",
        "alacak",
        "kalantutar_taksit",
        "kalan",
        "tutar",
    }
    | {f"fiyat{n}" for n in range(1, 11)}
)
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n%%EOF\n"


class DiaError(Exception):
    """A refusal in DİA's envelope: ``code`` (text, as DİA sends it) and ``msg`` (DİA's raw text)."""

    def __init__(self, code: str, msg: str) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg


def not_found(model: str, criteria: dict[str, Any]) -> DiaError:
    # DİA prints the criteria as a Python dict literal (single quotes).
    shown = ", ".join(f"'{key}': {value!r}" for key, value in criteria.items())
    return DiaError("500", f"Kayıt bulunamadı ({model} → {{{shown}}})")


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


class Company:
    """Firma ``code`` with period ``period``; ``clock`` gives the company's local time (tests move it)."""

    def __init__(self, code: int = 1, period: int = 1, *, name: str = "DEMO TİCARET A.Ş.", decimals: int = 6):
        self.code = code
        self.period = period
        self.name = name
        self.decimals = decimals
        self.lock = threading.RLock()
        self.now = datetime(2026, 3, 1, 9, 0, 0)
        self.tables: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
        self.branches = [{"_key": "1", "subekodu": "MRK", "subeadi": "Merkez"}]
        self.depots: list[dict[str, Any]] = []
        self.stock: dict[tuple[str, str], Decimal] = {}  # (stokkartkodu, depokodu) → quantity on hand
        self.movements: list[dict[str, Any]] = []  # the customer ledger (cari hareketler)
        self.deleted: list[tuple[str, dict[str, Any]]] = []
        self._items: dict[str, dict[str, Any]] = {}  # stokkartkodu → the newest card with it
        self._next_key = 1000
        self.created_customers: list[str] = []  # codes of the cards made through ``scf_carikart_ekle``
        self.tables["sehirler"] = [{"_key": str(800 + n), "sehiradi": name} for n, name in enumerate(CITIES)]
        self.tables["vergidairesi"] = [
            {"_key": str(900 + n), "daire": name, "kod": code} for n, (name, code) in enumerate(TAX_OFFICES)
        ]

    # -- time and keys ----------------------------------------------------------------------------------------------

    def tick(self, seconds: float = 1) -> str:
        self.now += timedelta(seconds=seconds)
        return self.stamp()

    def stamp(self) -> str:
        return self.now.strftime("%Y-%m-%d %H:%M:%S")

    def advance(self, *, days: float = 0, hours: float = 0) -> None:
        self.now += timedelta(days=days, hours=hours)

    def key(self) -> str:
        self._next_key += 1
        return str(self._next_key)

    def amount(self, value: Any) -> str | None:
        number = _decimal(value)
        return None if number is None else f"{number:.{self.decimals}f}"

    def insert(self, table: str, row: dict[str, Any]) -> dict[str, Any]:
        stamp = self.tick()
        row = {"_key": self.key(), "_cdate": stamp, "_date": stamp, **row}
        self.tables[table].append(row)
        return row

    def touch(self, row: dict[str, Any], **changes: Any) -> dict[str, Any]:
        row.update(changes)
        row["_date"] = self.tick()
        return row

    def find(self, table: str, **criteria: Any) -> list[dict[str, Any]]:
        return [row for row in self.tables[table] if all(row.get(k) == v for k, v in criteria.items())]

    def one(self, table: str, model: str, criteria: dict[str, Any]) -> dict[str, Any]:
        """The row a link field names (``{"_key": …}`` or matching columns), as DİA resolves ``_key_<model>``."""
        if not isinstance(criteria, dict):
            criteria = {"_key": str(criteria)}
        wanted = {k: str(v) for k, v in criteria.items()}
        if table == "stokkart" and set(wanted) == {"stokkartkodu"}:  # the common case, by the index
            row = self._items.get(wanted["stokkartkodu"])
            found = [row] if row is not None else []
        else:
            found = [r for r in self.tables[table] if all(str(r.get(k, "")) == v for k, v in wanted.items())]
        if not found:
            raise not_found(model, criteria)
        if len(found) > 1:
            raise DiaError("500", "Kritere uygun birden fazla kayıt var!")
        return found[0]

    # -- keying in, as DİA's own users would ------------------------------------------------------------------------

    def add_depot(self, code: str, name: str) -> None:
        self.depots.append({"_key": self.key(), "depokodu": code, "depoadi": name})

    def add_item(self, code: str, name: str, *, unit: str = "AD", unit_name: str = "Adet", vat: Any = 20,
                 prices: dict[int, Any] | None = None, active: bool = True, kind: str = "TCR", barcode: str = "",
                 brand: str = "", **extra: Any) -> dict[str, Any]:  # fmt: skip
        row: dict[str, Any] = {
            "stokkartkodu": code,
            "aciklama": name,
            "kodveaciklama": f"{code} | {name}",
            "birimkodu": unit,
            "birimadi": unit_name,
            "durum": "A" if active else "P",
            "stokkartturu": kind,
            "anabarkod": barcode or None,
            "marka": brand or None,
            "kdvsatis": self.amount(vat),
            "kdvalis": self.amount(vat),
            "b2c_durum": "H",
            "gercek_stok": self.amount(0),
            "fiili_stok": self.amount(0),
            "m_birimler": [{"birimkodu": unit, "birimadi": unit_name, "katsayi": Decimal(1)}],
        }
        for slot in range(1, 11):
            row[f"fiyat{slot}"] = self.amount((prices or {}).get(slot, 0))
        row.update(extra)
        self._items[code] = self.insert("stokkart", row)
        return self._items[code]

    def set_stock(self, item: str, depot: str, quantity: Any) -> None:
        self.stock[(item, depot)] = Decimal(str(quantity))
        card = self.one("stokkart", "scf_stokkart", {"stokkartkodu": item})
        total = sum((self.stock.get((item, d["depokodu"]), Decimal(0)) for d in self.depots), Decimal(0))
        self.touch(card, gercek_stok=self.amount(total), fiili_stok=self.amount(total))

    def add_price_card(self, code: str, item: str, price: Any, *, currency: str = "TL", customer: str = "",
                       name: str = "", vat_included: bool = False, start: str = "", end: str = "",
                       active: bool = True) -> dict[str, Any]:  # fmt: skip
        return self.insert(
            "fiyatkart",
            {
                "fiyatkartkodu": code,
                "aciklama": name or code,
                "durum": "A" if active else "P",
                "__stokkartkodu": item,
                "__carikartkodu": customer or None,
                "fiyat": self.amount(price),
                "__dovizadi": currency,
                "kdvdahil": "t" if vat_included else "f",
                "baslangictarihi": start or None,
                "bitistarihi": end or None,
            },
        )

    def add_customer(self, code: str, title: str, **columns: Any) -> dict[str, Any]:
        row = {
            "carikartkodu": code,
            "unvan": title,
            "kodveunvan": f"{code} | {title}",
            "carikarttipi": "AL",
            "carikayitturu": "SHS" if len(columns.get("verginumarasi") or "") != 10 else "KRLS",
            "durum": "A",
            "verginumarasi": None,
            "tckimlikno": None,
            "vergidairesi": None,
            "eposta": None,
            "ceptel": None,
            "telefon1": None,
            "adres1": None,
            "adres2": None,
            "ilce": None,
            "sehir": None,
            "postakodu": None,
            "ozelkod1": None,
            "bakiye": self.amount(0),
            "borctoplam": self.amount(0),
            "alacaktoplam": self.amount(0),
            "orjbakiye": self.amount(0),
            "dovizadi": "TL",
        }
        row.update(columns)
        return self.insert("carikart", row)

    def _link(self, value: Any, table: str, model: str) -> dict[str, Any] | None:
        """The row a link field names; ``0``, empty or missing: no link."""
        if value in (None, "", 0, "0"):
            return None
        return self.one(table, model, value)

    def create_customer(self, kart: dict[str, Any]) -> dict[str, Any]:
        """``scf_carikart_ekle``: a customer card from ``kart`` with its addresses (``m_adresler``, the main one
        ``anaadres`` "1"). ``carikartkodu`` and ``unvan`` are required; a code taken is refused with code 501 and
        PostgreSQL's text (as a duplicate card was seen answered); link fields resolve as DİA resolves them. DİA does
        not refuse a tax number another card holds."""
        unknown = sorted(set(kart) - CARD_FIELDS)
        if unknown:
            raise DiaError("500", f"Hatalı Veri: scf_carikart modelinde {unknown[0]} alanı yok")
        code = str(kart.get("carikartkodu") or "").strip()
        title = str(kart.get("unvan") or "").strip()
        if not code:
            raise DiaError("500", "Cari kart kodu (carikartkodu) zorunludur")
        if not title:
            raise DiaError("500", f"{code}: Ünvan (unvan) zorunludur")
        if len(code) > CARD_CODE_WIDTH:
            raise DiaError("500", f"value too long for type character varying({CARD_CODE_WIDTH})")
        if self.find("carikart", carikartkodu=code):
            raise DiaError(
                "501",
                'duplicate key value violates unique constraint "scf_carikart_carikartkodu_key"\n'
                f"DETAIL:  Key (carikartkodu)=({code}) already exists.",
            )
        kind = str(kart.get("carikarttipi") or "AL")
        if kind not in ("AL", "AS", "ST"):
            raise DiaError("500", f"Geçersiz carikarttipi: {kind}")
        tax, person = str(kart.get("verginumarasi") or ""), str(kart.get("tckimlikno") or "")
        if tax and not (tax.isdigit() and len(tax) == 10):
            raise DiaError("500", f"Vergi numarası 10 haneli olmalıdır: {tax}")
        if person and not (person.isdigit() and len(person) == 11):
            raise DiaError("500", f"T.C. kimlik numarası 11 haneli olmalıdır: {person}")
        registration = str(kart.get("carikayitturu") or ("SHS" if person else "KRLS"))
        if registration not in ("SHS", "KRLS"):
            raise DiaError("500", f"Geçersiz carikayitturu: {registration}")
        office = self._link(kart.get("_key_sis_vergidairesi"), "vergidairesi", "sis_vergidairesi")
        addresses = _list_of(kart.get("m_adresler"))
        stored = []
        for address in addresses:
            extra = sorted(set(address) - ADDRESS_FIELDS)
            if extra:
                raise DiaError("500", f"Hatalı Veri: scf_carikart_adresleri modelinde {extra[0]} alanı yok")
            city = self._link(address.get("_key_sis_sehirler"), "sehirler", "sis_sehirler")
            stored.append(
                {
                    "_key": self.key(),
                    **{name: address.get(name) or None for name in ADDRESS_FIELDS},
                    "anaadres": "1" if str(address.get("anaadres") or "") == "1" else "0",
                    "_key_sis_sehirler": city["_key"] if city else 0,
                    "sehir": city["sehiradi"] if city else None,
                }
            )
        main = next((a for a in stored if a["anaadres"] == "1"), stored[0] if stored else {})
        row = self.add_customer(
            code,
            title,
            carikarttipi=kind,
            carikayitturu=registration,
            verginumarasi=tax or None,
            tckimlikno=person or None,
            vergidairesi=office["daire"] if office else None,
            eposta=kart.get("eposta") or None,
            telefon1=main.get("telefon1"),
            ceptel=main.get("ceptel"),
            adres1=main.get("adres1"),
            adres2=main.get("adres2"),
            ilce=main.get("ilce"),
            sehir=main.get("sehir"),
            postakodu=main.get("postakodu"),
            durum=str(kart.get("durum") or "A"),
            dovizadi=(kart.get("_key_sis_doviz") or {}).get("adi") or "TL",
            m_adresler=stored,
        )
        self.created_customers.append(code)
        return row

    def post(self, customer: dict[str, Any], *, kind: str, number: str, debit: Any = 0, credit: Any = 0,
             due: str = "", text: str = "", currency: str = "TL") -> None:  # fmt: skip
        """A movement on the customer's account (invoice, collection…), its balance columns kept."""
        debit, credit = Decimal(str(debit)), Decimal(str(credit))
        self.movements.append(
            {
                "_key": self.key(),
                "_key_scf_carikart": customer["_key"],
                "tarih": self.now.date().isoformat(),
                "vadetarihi": due or self.now.date().isoformat(),
                "fisno": number,
                "belgeno": number,
                "turu": kind,
                "aciklama": text,
                "borc": debit,
                "alacak": credit,
                "dovizadi": currency,
            }
        )
        owed = Decimal(str(customer["borctoplam"])) + debit
        paid = Decimal(str(customer["alacaktoplam"])) + credit
        self.touch(
            customer,
            borctoplam=self.amount(owed),
            alacaktoplam=self.amount(paid),
            bakiye=self.amount(owed - paid),
            orjbakiye=self.amount(owed - paid),
        )

    # -- orders, dispatches, invoices -------------------------------------------------------------------------------

    def _order_lines(self, kart: dict[str, Any], depot: str) -> list[dict[str, Any]]:
        lines = []
        for number, line in enumerate(kart.get("m_kalemler") or [], 1):
            if line.get("kalemturu", "MLZM") != "MLZM":
                raise DiaError("500", f"Desteklenmeyen kalem türü: {line.get('kalemturu')}")
            item = self.one("stokkart", "scf_stokkart", line.get("_key_kalemturu") or {})
            quantity = _decimal(line.get("miktar"))
            unit = self._unit(item, line.get("_key_scf_kalem_birimleri"))
            price = _decimal(line.get("birimfiyati"))
            if quantity is None or quantity <= 0 or price is None:
                raise DiaError("500", f"{number}. kalemde miktar veya birim fiyatı hatalı")
            rate = _decimal(line.get("kdv")) or Decimal(0)
            net = quantity * price
            for step in range(1, 6):
                off = _decimal(line.get(f"indirim{step}")) or Decimal(0)
                net -= net * off / 100
            lines.append(
                {
                    "_key": self.key(),
                    "sirano": line.get("sirano") or number,
                    "__stokkartkodu": item["stokkartkodu"],
                    "birimkodu": unit["birimkodu"],
                    "miktar": quantity,
                    "anamiktar": quantity * unit["katsayi"],
                    "birimfiyati": price,
                    "kdv": rate,
                    "tutari": net,
                    "kdvtutari": net * rate / 100,
                    "sevkedilen": Decimal(0),
                    "depokodu": ((line.get("_key_sis_depo_source") or {}).get("depokodu")) or depot,
                    "note": line.get("note") or "",
                }
            )
        if not lines:
            raise DiaError("500", "Fişte kalem yok")
        return lines

    def add_unit(self, item: str, unit: str, factor: Any, name: str = "") -> None:
        """Another unit of the item (``m_birimler``): ``factor`` of the main unit."""
        card = self.one("stokkart", "scf_stokkart", {"stokkartkodu": item})
        card["m_birimler"].append({"birimkodu": unit, "birimadi": name or unit, "katsayi": Decimal(str(factor))})
        self.touch(card)

    @staticmethod
    def _unit(item: dict[str, Any], link: Any) -> dict[str, Any]:
        """The line's unit (``_key_scf_kalem_birimleri``): one of the item's units; the main unit when not given."""
        if not link:
            return item["m_birimler"][0]
        wanted = {k: str(v) for k, v in (link if isinstance(link, dict) else {"_key": link}).items()}
        for unit in item["m_birimler"]:
            if all(str(unit.get(k, "")) == v for k, v in wanted.items()):
                return unit
        shown = ", ".join(f"'{k}': {v!r}" for k, v in wanted.items())
        raise DiaError("500", f"Kayıt bulunamadı (scf_kalem_birimleri → {{{shown}}})")

    def create_order(self, kart: dict[str, Any]) -> dict[str, Any]:
        customer = self.one("carikart", "scf_carikart", kart.get("_key_scf_carikart") or {})
        for name in ("belgeno", "fisno"):
            if len(str(kart.get(name) or "")) > 30:
                raise DiaError("500", "value too long for type character varying(30)")
        depot = ((kart.get("_key_sis_depo_source") or {}).get("depokodu")) or ""
        lines = self._order_lines(kart, depot)
        net = sum((line["tutari"] for line in lines), Decimal(0))
        vat = sum((line["kdvtutari"] for line in lines), Decimal(0))
        currency = (kart.get("_key_sis_doviz") or {}).get("adi") or "TL"
        row = {
            "fisno": str(kart.get("fisno") or self._next_number("siparis", "SIP")),
            "belgeno": kart.get("belgeno") or None,
            "tarih": kart.get("tarih") or self.now.date().isoformat(),
            "saat": kart.get("saat") or self.now.strftime("%H:%M:%S"),
            "teslimattarihi": kart.get("teslimattarihi") or None,
            "turu": int(kart.get("turu") or 2),
            "onay": kart.get("onay") or "KABUL",
            "_key_scf_carikart": customer["_key"],
            "__carikodu": customer["carikartkodu"],
            "__cariunvan": customer["unvan"],
            "dovizadi": currency,
            "aciklama1": kart.get("aciklama1") or None,
            "ekalan1": kart.get("ekalan1") or None,
            "depokodu": depot,
            "m_kalemler": lines,
            "irsaliyenumaralari": "",
            "faturanumaralari": "",
        }
        self._order_totals(row, net, vat)
        return self.insert("siparis", row)

    def _order_totals(self, row: dict[str, Any], net: Decimal, vat: Decimal) -> None:
        ordered = sum((line["miktar"] for line in row["m_kalemler"]), Decimal(0))
        left = sum((line["miktar"] - line["sevkedilen"] for line in row["m_kalemler"]), Decimal(0))
        row.update(
            toplam=net, toplamara=net, toplamkdv=vat, net=net + vat, toplammiktar=ordered, teslimatkalanmiktar=left
        )
        row["siparisdurum"] = self.order_state_text(row)

    @staticmethod
    def order_state_text(row: dict[str, Any]) -> str:
        if row.get("onay") == "IPTAL":
            return "İptal"
        if row["teslimatkalanmiktar"] <= 0:
            return "Tamamı Karşılandı"
        if row["teslimatkalanmiktar"] < row["toplammiktar"]:
            return "+ Bekleyen Miktarlar Var (Kısmi)"
        return "+ Bekleyen Miktarlar Var"

    def _next_number(self, table: str, prefix: str) -> str:
        return f"{prefix}{len(self.tables[table]) + len(self.deleted) + 1:06d}"

    def update_order(self, kart: dict[str, Any]) -> dict[str, Any]:
        row = self.one("siparis", "scf_siparis", {"_key": kart.get("_key")})
        if "onay" in kart:
            if kart["onay"] == "IPTAL" and any(line["sevkedilen"] for line in row["m_kalemler"]):
                raise DiaError("500", "İrsaliyesi kesilmiş sipariş iptal edilemez")
            row["onay"] = kart["onay"]
        for name in ("aciklama1", "ekalan1", "teslimattarihi"):
            if name in kart:
                row[name] = kart[name]
        row["siparisdurum"] = self.order_state_text(row)
        return self.touch(row)

    def delete_order(self, key: Any) -> None:
        row = self.one("siparis", "scf_siparis", {"_key": key})
        if row["irsaliyenumaralari"] or any(line["sevkedilen"] for line in row["m_kalemler"]):
            raise DiaError("500", "Bu siparişe bağlı irsaliye var, silinemez")
        self.tables["siparis"].remove(row)
        self.deleted.append(("siparis", row))

    def dispatch(self, order_key: str, quantities: dict[int, Any] | None = None, *, carrier: str = "",
                 tracking: str = "", address: str = "") -> dict[str, Any]:  # fmt: skip
        """An irsaliye for the order's lines (``quantities`` by sirano; all that is left by default)."""
        order = self.one("siparis", "scf_siparis", {"_key": order_key})
        lines, net, vat = [], Decimal(0), Decimal(0)
        for line in order["m_kalemler"]:
            left = line["miktar"] - line["sevkedilen"]
            quantity = Decimal(str(quantities.get(line["sirano"], 0))) if quantities else left
            quantity = min(quantity, left)
            if quantity <= 0:
                continue
            line["sevkedilen"] += quantity
            share = line["tutari"] * quantity / line["miktar"]
            net += share
            vat += share * line["kdv"] / 100
            key = (line["__stokkartkodu"], line["depokodu"])
            self.stock[key] = self.stock.get(key, Decimal(0)) - quantity
            lines.append({**line, "miktar": quantity, "_key_scf_siparis_kalemi": line["_key"], "_key": self.key()})
        number = self._next_number("irsaliye", "IRS")
        row = self.insert(
            "irsaliye",
            {
                "fisno": number,
                "belgeno": number,
                "belgeno2": None,
                "tarih": self.now.date().isoformat(),
                "saat": self.now.strftime("%H:%M:%S"),
                "__carikartkodu": order["__carikodu"],
                "__cariunvan": order["__cariunvan"],
                "toplam": net,
                "toplamara": net,
                "toplamkdv": vat,
                "net": net + vat,
                "dovizadi": order["dovizadi"],
                "toplammiktar": sum((line["miktar"] for line in lines), Decimal(0)),
                "kalemsayisi": len(lines),
                "kargofirma": carrier or None,
                "kargotakipno": tracking or None,
                "sevkadresi": address or None,
                "turuack": "Toptan Satış İrsaliyesi",
                "m_kalemler": lines,
            },
        )
        numbers = [n for n in (order["irsaliyenumaralari"] or "").split(",") if n]
        order["irsaliyenumaralari"] = ",".join([*numbers, number])
        self._order_totals(order, order["toplam"], order["toplamkdv"])
        self.touch(order)
        return row

    def invoice(self, dispatch_keys: list[str], *, number: str = "", days: int = 30) -> dict[str, Any]:
        """A sales invoice of the dispatches: on the customer's account, its number on the orders."""
        dispatches = [self.one("irsaliye", "scf_irsaliye", {"_key": key}) for key in dispatch_keys]
        net = sum((d["toplam"] for d in dispatches), Decimal(0))
        vat = sum((d["toplamkdv"] for d in dispatches), Decimal(0))
        first = dispatches[0]
        number = number or f"DIA{self.now.year}{len(self.tables['fatura']) + 1:09d}"
        due = (self.now.date() + timedelta(days=days)).isoformat()
        row = self.insert(
            "fatura",
            {
                "belgeno": number,
                "belgeno2": number,
                "fisno": self._next_number("fatura", "FAT"),
                "belgeturu": "F",
                "belgeturuack": "Satış Faturası",
                "tarih": self.now.date().isoformat(),
                "vadegun": days,
                "vadetarihi": due,
                "toplam": net,
                "toplamara": net,
                "toplamkdv": vat,
                "net": net + vat,
                "kalantutar_taksit": net + vat,
                "kapanmadurumu": "Açık",
                "dovizadi": first["dovizadi"],
                "__carikartkodu": first["__carikartkodu"],
                "__cariunvan": first["__cariunvan"],
                "efatura_durum": "Gönderildi",
                "ebelge": "t",
                "irsaliyenumaralari": ",".join(d["fisno"] for d in dispatches),
            },
        )
        for d in dispatches:
            d["__faturabelgeno2"] = number
            self.touch(d)
        for order in self.tables["siparis"]:
            shipped = set((order["irsaliyenumaralari"] or "").split(","))
            if shipped & {d["fisno"] for d in dispatches}:
                numbers = [n for n in (order["faturanumaralari"] or "").split(",") if n]
                order["faturanumaralari"] = ",".join([*numbers, number])
                self.touch(order)
        customer = self.one("carikart", "scf_carikart", {"carikartkodu": first["__carikartkodu"]})
        self.post(customer, kind="Satış Faturası", number=number, debit=net + vat, due=due, text="Satış faturası")
        return row

    # -- collections ------------------------------------------------------------------------------------------------

    def _collection_common(self, kart: dict[str, Any]) -> None:
        for name in ("belgeno", "fisno"):
            if len(str(kart.get(name) or "")) > 30:
                raise DiaError("500", "value too long for type character varying(30)")

    def create_cash(self, kart: dict[str, Any]) -> dict[str, Any]:
        self._collection_common(kart)
        if kart.get("turu") not in ("TAH", "ODE"):
            raise DiaError("500", f"Geçersiz işlem türü: {kart.get('turu')}")
        customer = self.one("carikart", "scf_carikart", kart.get("_key_scf_carikart") or {})
        amount = _decimal(kart.get("borc_cari") or kart.get("borc")) or Decimal(0)
        if amount <= 0:
            raise DiaError("500", "Tutar sıfırdan büyük olmalı")
        row = self.insert(
            "kasaislemleri",
            {
                "turu": kart["turu"],
                "fisno": kart.get("fisno") or self._next_number("kasaislemleri", "KAS"),
                "belgeno": kart.get("belgeno") or None,
                "tarih": kart.get("tarih") or self.now.date().isoformat(),
                "__carikartkodu": customer["carikartkodu"],
                "tutar": amount,
                "aciklama": kart.get("aciklama") or None,
            },
        )
        self.post(customer, kind="Kasa Tahsilat", number=row["belgeno"] or row["fisno"], credit=amount,
                  text=row["aciklama"] or "")  # fmt: skip
        return row

    def create_account_slip(self, kart: dict[str, Any]) -> dict[str, Any]:
        self._collection_common(kart)
        if kart.get("turu") not in ("KK", "VF"):
            raise DiaError("500", f"Geçersiz fiş türü: {kart.get('turu')}")
        lines = kart.get("m_kalemler") or []
        if not lines:
            raise DiaError("500", "Fişte kalem yok")
        posted = []
        for line in lines:
            customer = self.one("carikart", "scf_carikart", line.get("_key_scf_carikart") or {})
            amount = _decimal(line.get("alacak")) or Decimal(0)
            if amount <= 0:
                raise DiaError("500", "Tutar sıfırdan büyük olmalı")
            posted.append((customer, amount, line))
        row = self.insert(
            "carihesap_fisi",
            {
                "turu": kart["turu"],
                "fisno": kart.get("fisno") or self._next_number("carihesap_fisi", "CHF"),
                "belgeno": kart.get("belgeno") or None,
                "tarih": kart.get("tarih") or self.now.date().isoformat(),
                "__carikartkodu": posted[0][0]["carikartkodu"],
                "tutar": sum((amount for _c, amount, _l in posted), Decimal(0)),
                "aciklama": kart.get("aciklama1") or None,
            },
        )
        for customer, amount, line in posted:
            kind = "Kredi Kartı Tahsilat" if kart["turu"] == "KK" else "Virman"
            number = row["belgeno"] or row["fisno"]
            self.post(customer, kind=kind, number=number, credit=amount, text=line.get("aciklama") or "")
        return row

    # -- reports ----------------------------------------------------------------------------------------------------

    def stock_report(self, param: dict[str, Any]) -> list[dict[str, Any]]:
        """scf2310a: stock per item and depot (``_depolar``: depot keys; ``pasiflerigoster``; ``stokkartkodu1..2``)."""
        wanted = {str(key) for key in (param.get("_depolar") or [])}
        depots = [d for d in self.depots if not wanted or d["_key"] in wanted]
        show_passive = str(param.get("pasiflerigoster", "False")).lower() == "true"
        first, last = param.get("stokkartkodu1") or "", param.get("stokkartkodu2") or ""
        rows = []
        for item in sorted(self.tables["stokkart"], key=lambda r: r["stokkartkodu"]):
            code = item["stokkartkodu"]
            if (item["durum"] == "P" and not show_passive) or (first and code < first) or (last and code > last):
                continue
            for depot in depots:
                quantity = self.stock.get((code, depot["depokodu"]))
                if quantity is None:
                    continue
                reserved = sum(
                    (
                        line["miktar"] - line["sevkedilen"]
                        for order in self.tables["siparis"]
                        if order.get("onay") != "IPTAL"
                        for line in order["m_kalemler"]
                        if line["__stokkartkodu"] == code and line["depokodu"] == depot["depokodu"]
                    ),
                    Decimal(0),
                )
                rows.append(
                    {
                        "stokkartkodu": code,
                        "aciklama": item["aciklama"],
                        "birimkodu": item["birimkodu"],
                        "depokodu": depot["depokodu"],
                        "depoadi": depot["depoadi"],
                        "miktar": self.amount(quantity),
                        "siparis_rezerve": self.amount(reserved),
                    }
                )
        return rows

    def statement(self, param: dict[str, Any]) -> list[dict[str, Any]]:
        """scf1110a: the customer's movements between ``tarihbaslangic`` and ``tarihbitis`` with a running balance."""
        customer = self.one("carikart", "scf_carikart", {"_key": param.get("_key")})
        start, end = param.get("tarihbaslangic") or "0000-00-00", param.get("tarihbitis") or "9999-99-99"
        balance = Decimal(0)
        rows = []
        for move in self.movements:
            if move["_key_scf_carikart"] != customer["_key"]:
                continue
            balance += move["borc"] - move["alacak"]
            if not start <= move["tarih"] <= end:
                continue
            rows.append(
                {
                    "_key": move["_key"],
                    "tarih": move["tarih"],
                    "vadetarihi": move["vadetarihi"],
                    "fisno": move["fisno"],
                    "belgeno": move["belgeno"],
                    "turuack": move["turu"],
                    "aciklama": move["aciklama"],
                    "borc": self.amount(move["borc"]),
                    "alacak": self.amount(move["alacak"]),
                    "bakiye": self.amount(balance),
                    "dovizadi": move["dovizadi"],
                    "carikartkodu": customer["carikartkodu"],
                }
            )
        return rows

    def ageing(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """scf_carikart_vade_bakiye_listele: per customer the open debits (``__borchareketler``), oldest paid first."""
        rows = []
        for customer in self.tables["carikart"]:
            moves = [m for m in self.movements if m["_key_scf_carikart"] == customer["_key"]]
            paid = sum((m["alacak"] for m in moves), Decimal(0))
            open_items = []
            for move in sorted((m for m in moves if m["borc"] > 0), key=lambda m: m["vadetarihi"]):
                settled = min(paid, move["borc"])
                paid -= settled
                if move["borc"] - settled > 0:
                    open_items.append(
                        {
                            "tarih": move["tarih"],
                            "vadetarihi": move["vadetarihi"],
                            "belgeno": move["belgeno"],
                            "tutar": self.amount(move["borc"]),
                            "kalan": self.amount(move["borc"] - settled),
                        }
                    )
            rows.append(
                {
                    "_key": customer["_key"],
                    "carikartkodu": customer["carikartkodu"],
                    "unvan": customer["unvan"],
                    "bakiye": customer["bakiye"],
                    "__borchareketler": open_items if str(params.get("detaygoster", "")).lower() == "true" else [],
                }
            )
        return rows

    # -- listing ----------------------------------------------------------------------------------------------------

    def listing(self, rows: list[dict[str, Any]], body: dict[str, Any]) -> list[dict[str, Any]]:
        """``filters`` (AND; no operator: contains), ``sorts``, ``params.selectedcolumns`` (an unknown column is
        refused), ``limit`` (0: all) and ``offset``, as DİA's list services take them."""
        for flt in _list_of(body.get("filters")):
            rows = [row for row in rows if _matches(row, flt)]
        for sort in reversed(_list_of(body.get("sorts"))):
            field = sort.get("field")
            rows = sorted(rows, key=lambda r, f=field: _sortable(r.get(f)), reverse=sort.get("sorttype") == "DESC")
        offset = int(body.get("offset") or 0)
        limit = int(body.get("limit") or 0)
        rows = rows[offset : offset + limit] if limit else rows[offset:]
        params = body.get("params") if isinstance(body.get("params"), dict) else {}
        columns = params.get("selectedcolumns") or []
        out = []
        for row in rows:
            shown = {k: v for k, v in row.items() if not k.startswith("m_")}
            if columns:
                unknown = [c for c in columns if c not in row]
                if unknown:
                    raise DiaError("500", f"Hatalı Veri: bilinmeyen kolon {unknown[0]}")
                shown = {c: row[c] for c in columns}
            out.append({k: self._out(k, v) for k, v in shown.items()})
        return out

    def _out(self, column: str, value: Any) -> Any:
        if isinstance(value, Decimal) or (column in AMOUNT_COLUMNS and value is not None and value != ""):
            return self.amount(value)
        if isinstance(value, list):
            return [{k: self._out(k, v) for k, v in item.items()} if isinstance(item, dict) else item for item in value]
        return value

    def full(self, row: dict[str, Any]) -> dict[str, Any]:
        return {k: self._out(k, v) for k, v in row.items()}


def _list_of(value: Any) -> list[dict[str, Any]]:
    """Filters and sorts: a list, or ``""`` (clients send empty strings and DİA takes them)."""
    if value in (None, ""):
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise DiaError("400", "malformed array literal")
    return value


def _sortable(value: Any) -> tuple[int, Any]:
    if isinstance(value, (int, Decimal)) or (isinstance(value, str) and _numeric(value)):
        return (0, Decimal(str(value)))
    return (1, "" if value is None else str(value))


def _numeric(text: str) -> bool:
    return bool(text) and text.replace(".", "", 1).replace("-", "", 1).isdigit()


OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
    "=": lambda a, b: a == b,
    "!": lambda a, b: a != b,
}


def _matches(row: dict[str, Any], flt: dict[str, Any]) -> bool:
    field, operator, wanted = flt.get("field"), (flt.get("operator") or "").upper(), flt.get("value")
    if field not in row:
        raise DiaError("500", f"Hatalı Veri: bilinmeyen alan {field}")
    value = row.get(field)
    if operator in ("IN", "NOT IN"):
        choices = {part.strip() for part in str(wanted).split(",")}
        inside = str(value) in choices
        return inside if operator == "IN" else not inside
    if not operator:
        return value is not None and str(wanted).casefold() in str(value).casefold()
    compare = OPERATORS.get(operator)
    if compare is None:
        raise DiaError("400", f"Geçersiz operatör: {operator}")
    if value is None:
        return operator == "!"
    left, right = _decimal(value), _decimal(wanted)
    numeric = isinstance(value, (Decimal, int)) or (isinstance(value, str) and _numeric(value))
    if numeric and _numeric(str(wanted)) and left is not None and right is not None:
        return compare(left, right)
    return compare(str(value), str(wanted))


def report_body(rows: list[dict[str, Any]], format_type: str) -> str:
    """A report's ``result``: base64 of JSON whose rows sit in ``__rows``, or of a PDF."""
    if format_type == "pdf":
        return base64.b64encode(PDF).decode()
    return base64.b64encode(json.dumps({"__rows": rows}, ensure_ascii=False).encode()).decode()


__all__ = ["Company", "DiaError", "not_found", "report_body"]
