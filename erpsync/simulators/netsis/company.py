"""One Netsis company in memory, as NetOpenX REST shows it: item cards (TBLSTSABIT's columns), balances per
warehouse, customer accounts (TBLCASABIT) and their ledger (TBLCAHAR), item slips (orders, dispatches, invoices,
quotes: one object, ``FatUst`` + ``Kalems``) keyed ``FaturaTip;FATIRS_NO;CARI_KOD``, bank account transactions and
fast collections, slip numbering per type and series, and explicit transactions.

What a slip does: an order (ftSSip) reserves the base quantity of each line in its warehouse; a dispatch (ftSIrs)
takes stock out; an invoice (ftSFat) not made from a dispatch takes stock out too, and every invoice debits the
customer's account; a quote (ftSatTeklif) does nothing to stock or the account. ``SiparisToIrsFat`` turns (what is
left of) an order into a dispatch or an invoice, ``IrsToFat`` a dispatch into an invoice; an order with anything
delivered cannot be deleted. ``FATIRS_NO`` is unique per type and customer.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

SALES_TYPES = {"ftSSip", "ftSIrs", "ftSFat", "ftSatTeklif", "ftSatTalep"}
KNOWN_TYPES = SALES_TYPES | {"ftAFat", "ftAIrs", "ftASip", "ftDepo", "ftLokalDepo", "ftAmbarG", "ftAmbarC",
                             "ftAlTalep", "ftAlTeklif"}  # fmt: skip
# One REST client numbers the types from 0 (ftSFat=0 … ftSSip=7); the simulator takes the numbers that way too.
TYPE_NUMBERS = ["ftSFat", "ftAFat", "ftSIrs", "ftAIrs", "ftDepo", "ftLokalDepo", "ftASip", "ftSSip", "ftAmbarG",
                "ftAmbarC", "ftAlTalep", "ftAlTeklif", "ftSatTalep", "ftSatTeklif"]  # fmt: skip
NUMBER_WIDTH = 15
Q2 = Decimal("0.01")

ARP_CODE_WIDTH = 35  # TBLCASABIT.CARI_KOD
ARP_NAME_WIDTH = 100  # TBLCASABIT.CARI_ISIM
# What a new account may carry (the rest of the list's columns are the service's: totals, stamps).
ARP_FIELDS = frozenset({"CARI_KOD", "CARI_ISIM", "CARI_TIP", "VERGI_NO", "VERGI_DAIRESI", "TC_KIMLIK_NO", "CARI_ADRES",
                        "CARI_IL", "CARI_ILCE", "POSTA_KODU", "CARI_TEL", "E_POSTA", "DOVIZ_KODU", "KREDI_LIMITI",
                        "KILIT", "PLASIYER_KODU", "VADE_GUNU"})  # fmt: skip
ARP_TYPES = frozenset({"A", "S", "T", "D", "K", "I"})  # alıcı, satıcı, toptancı, diğer, komisyoncu, ihracat
DUPLICATE = "7002"
UNKNOWN = "7003"
REFUSED = "7004"
LOCKED = "7001"


class NetsisBusinessError(Exception):
    """What NetOpenX answers ``IsSuccessful: false`` with: ``code`` (ErrorCode) and a Turkish ``message``."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def D(value: Any) -> Decimal:
    if value is None or value == "":
        return Decimal(0)
    return value if isinstance(value, Decimal) else Decimal(str(value))


def slip_type(value: Any) -> str:
    """A ``FaturaTip`` sent as its name or its (0-based) number."""
    if isinstance(value, str) and not value.strip().lstrip("-").isdigit():
        if value not in KNOWN_TYPES:
            raise NetsisBusinessError(REFUSED, f"Geçersiz belge tipi: {value}")
        return value
    try:
        return TYPE_NUMBERS[int(value)]
    except (TypeError, ValueError, IndexError):
        raise NetsisBusinessError(REFUSED, f"Geçersiz belge tipi: {value}") from None


def slip_id(tip: str, number: str, customer: str) -> str:
    return f"{tip};{number};{customer}"


@dataclass
class Company:
    """The company's data; every method expects ``lock`` held by the caller (the server holds it per request)."""

    today: date = field(default_factory=lambda: date(2026, 3, 10))
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    warehouses: dict[int, str] = field(default_factory=dict)
    stock: dict[tuple[str, int], dict[str, Decimal]] = field(default_factory=dict)
    arps: dict[str, dict[str, Any]] = field(default_factory=dict)
    ledger: list[dict[str, Any]] = field(default_factory=list)
    slips: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    bank: list[dict[str, Any]] = field(default_factory=list)
    numbers: dict[tuple[str, str], int] = field(default_factory=dict)
    deleted: list[dict[str, Any]] = field(default_factory=list)
    created_arps: list[str] = field(default_factory=list)  # codes of the accounts made through ``POST ARPs``
    next_key: int = 1000
    _stock_keys: list[tuple[str, int]] | None = field(default=None, repr=False)
    # While a transaction is open: the stock cells as they were before it first touched them (None: it made them).
    _journal: dict[tuple[str, int], dict[str, Decimal] | None] | None = field(default=None, repr=False)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def key(self) -> int:
        self.next_key += 1
        return self.next_key

    def stamp(self) -> str:
        return datetime.combine(self.today, datetime.min.time()).replace(hour=9).isoformat()

    def advance(self, days: int = 1) -> None:
        self.today += timedelta(days=days)

    # -- master data ------------------------------------------------------------------------------------------------

    def add_warehouse(self, code: int, name: str) -> None:
        self.warehouses[code] = name

    def add_item(self, code: str, name: str, unit: str = "ADET", **columns: Any) -> dict[str, Any]:
        row = {
            "STOK_KODU": code,
            "STOK_ADI": name,
            "GRUP_KODU": None,
            "KOD_1": None,
            "OLCU_BR1": unit,
            "OLCU_BR2": None,
            "PAY_1": None,
            "PAYDA_1": None,
            "OLCU_BR3": None,
            "PAY2": None,
            "PAYDA2": None,
            "KDV_ORANI": 20,
            "SATIS_FIAT1": None,
            "SAT_DOV_TIP": 0,
            "BARKOD1": None,
            "BARKOD2": None,
            "BARKOD3": None,
            "KAYITTARIHI": self.stamp(),
            "DUZELTMETARIHI": None,
        }
        row.update(columns)
        self.items[code] = row
        return row

    def touch_item(self, code: str, **columns: Any) -> None:
        self.items[code].update(columns, DUZELTMETARIHI=self.stamp())

    def set_stock(self, code: str, warehouse: int, on_hand: Any, reserved: Any = 0) -> None:
        self._remember((code, warehouse))
        self.stock[(code, warehouse)] = {"on_hand": D(on_hand), "reserved": D(reserved)}
        self._stock_keys = None

    def _remember(self, key: tuple[str, int]) -> None:
        if self._journal is not None and key not in self._journal:
            cell = self.stock.get(key)
            self._journal[key] = None if cell is None else dict(cell)

    def cell(self, code: str, warehouse: int) -> dict[str, Decimal]:
        """The stock cell of an item in a warehouse, to change (made at zero when missing)."""
        if (code, warehouse) not in self.stock:
            self.set_stock(code, warehouse, 0)
        self._remember((code, warehouse))
        return self.stock[(code, warehouse)]

    def stock_keys(self) -> list[tuple[str, int]]:
        """The (item, warehouse) pairs in order, kept until a pair is added."""
        if self._stock_keys is None or len(self._stock_keys) != len(self.stock):
            self._stock_keys = sorted(self.stock)
        return self._stock_keys

    def add_customer(self, code: str, title: str, **columns: Any) -> dict[str, Any]:
        row = {
            "CARI_KOD": code,
            "CARI_ISIM": title,
            "CARI_TIP": "A",
            "VERGI_NO": None,
            "VERGI_DAIRESI": None,
            "TC_KIMLIK_NO": None,
            "CARI_ADRES": None,
            "CARI_IL": None,
            "CARI_ILCE": None,
            "POSTA_KODU": None,
            "CARI_TEL": None,
            "E_POSTA": None,
            "DOVIZ_KODU": 0,
            "KREDI_LIMITI": None,
            "KILIT": "H",
            "PLASIYER_KODU": None,
            "VADE_GUNU": None,
            "KAYITTARIHI": self.stamp(),
            "DUZELTMETARIHI": None,
        }
        row.update(columns)
        self.arps[code] = row
        return row

    def create_arp(self, body: Any) -> dict[str, Any]:
        """``POST ARPs``: a new account from its fields, flat or under ``CariTemelBilgi``/``CariEkBilgi``. Refused
        (``IsSuccessful: false``) without a code or name, with a code taken, a field the account does not have, a
        tax number that is not 10 digits or a TC identity number that is not 11. Netsis does not refuse a tax number
        another account holds: keeping one account per customer is the caller's care."""
        if not isinstance(body, dict):
            raise NetsisBusinessError(REFUSED, "Cari bilgisi eksik")
        fields: dict[str, Any] = {}
        for key, value in body.items():
            if key in ("CariTemelBilgi", "CariEkBilgi"):
                if not isinstance(value, dict):
                    raise NetsisBusinessError(REFUSED, f"{key} bir nesne olmalı")
                fields.update(value)
            else:
                fields[key] = value
        unknown = sorted(key for key in fields if key not in ARP_FIELDS)
        if unknown:
            raise NetsisBusinessError(REFUSED, f"Cari kartında tanımsız alan: {', '.join(unknown)}")
        code = str(fields.pop("CARI_KOD", None) or "").strip()
        name = str(fields.pop("CARI_ISIM", None) or "").strip()
        if not code:
            raise NetsisBusinessError(REFUSED, "Cari kodu (CARI_KOD) boş olamaz")
        if len(code) > ARP_CODE_WIDTH:
            raise NetsisBusinessError(REFUSED, f"Cari kodu {ARP_CODE_WIDTH} karakterden uzun: {code}")
        if not name:
            raise NetsisBusinessError(REFUSED, f"{code} carisinin ismi (CARI_ISIM) boş olamaz")
        if len(name) > ARP_NAME_WIDTH:
            raise NetsisBusinessError(REFUSED, f"Cari ismi {ARP_NAME_WIDTH} karakterden uzun")
        if code in self.arps:
            raise NetsisBusinessError(DUPLICATE, f"{code} kodlu cari zaten kayıtlı")
        tax, person = fields.get("VERGI_NO"), fields.get("TC_KIMLIK_NO")
        if tax not in (None, "") and not (str(tax).isdigit() and len(str(tax)) == 10):
            raise NetsisBusinessError(REFUSED, f"Vergi numarası 10 haneli olmalı: {tax}")
        if person not in (None, "") and not (str(person).isdigit() and len(str(person)) == 11):
            raise NetsisBusinessError(REFUSED, f"T.C. kimlik numarası 11 haneli olmalı: {person}")
        if str(fields.get("CARI_TIP") or "A") not in ARP_TYPES:
            raise NetsisBusinessError(REFUSED, f"Geçersiz cari tipi: {fields.get('CARI_TIP')}")
        row = self.add_customer(code, name, **{key: value for key, value in fields.items() if value != ""})
        self.created_arps.append(code)
        return row

    def add_ledger(self, customer: str, kind: str, debit: Any = 0, credit: Any = 0, **columns: Any) -> dict[str, Any]:
        if customer not in self.arps:
            raise NetsisBusinessError(UNKNOWN, f"Cari bulunamadı: {customer}")
        row = {
            "INC_KEY_NUMBER": self.key(),
            "CARI_KOD": customer,
            "TARIH": self.today.isoformat(),
            "VADE_TARIHI": None,
            "BELGE_NO": None,
            "ACIKLAMA": None,
            "HAREKET_TURU": kind,
            "BORC": D(debit),
            "ALACAK": D(credit),
            "KAYITTARIHI": self.stamp(),
        }
        row.update(columns)
        self.ledger.append(row)
        return row

    def arp_totals(self, code: str) -> tuple[Decimal, Decimal]:
        debit = sum((row["BORC"] for row in self.ledger if row["CARI_KOD"] == code), Decimal(0))
        credit = sum((row["ALACAK"] for row in self.ledger if row["CARI_KOD"] == code), Decimal(0))
        return debit, credit

    def open_orders_total(self, code: str) -> Decimal:
        total = Decimal(0)
        for (tip, _, customer), slip in self.slips.items():
            if tip == "ftSSip" and customer == code:
                for line in slip["Kalems"]:
                    left = D(line["STra_GCMIK"]) - D(line.get("TESLIM_MIKTARI"))
                    if left > 0:
                        total += (left * D(line["STra_NF"]) * (1 + D(line.get("KdvOrani")) / 100)).quantize(Q2)
        return total

    # -- units ------------------------------------------------------------------------------------------------------

    def base_factor(self, item: dict[str, Any], index: int) -> Decimal:
        """Base units (OLCU_BR1) in one of unit ``index``: PAY/PAYDA (1 for the base unit)."""
        if index == 1:
            return Decimal(1)
        pay, payda = ("PAY_1", "PAYDA_1") if index == 2 else ("PAY2", "PAYDA2")
        if not item.get(f"OLCU_BR{index}"):
            raise NetsisBusinessError(REFUSED, f"{item['STOK_KODU']} stoğunun {index}. ölçü birimi tanımlı değil")
        return D(item.get(pay) or 1) / D(item.get(payda) or 1)

    # -- numbering --------------------------------------------------------------------------------------------------

    def new_number(self, tip: str, series: str) -> str:
        """The next free number of ``tip`` in ``series`` (the series' letters then digits, 15 characters)."""
        series = (series or "").upper()
        last = self.numbers.get((tip, series), 0)
        while True:
            last += 1
            number = series + str(last).zfill(NUMBER_WIDTH - len(series))
            if not any(t == tip and n == number for t, n, _ in self.slips):
                self.numbers[(tip, series)] = last
                return number

    # -- slips ------------------------------------------------------------------------------------------------------

    def slip(self, tip: str, number: str, customer: str) -> dict[str, Any]:
        found = self.slips.get((tip, number, customer))
        if found is None:
            raise NetsisBusinessError(UNKNOWN, f"Belge bulunamadı: {slip_id(tip, number, customer)}")
        return found

    def create_slip(self, body: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("FatUst"), dict):
            raise NetsisBusinessError(REFUSED, "FatUst bilgisi eksik")
        tip = slip_type(body.get("FaturaTip"))
        header = dict(body["FatUst"])
        customer = str(header.get("CariKod") or header.get("CARI_KOD") or "")
        if tip in SALES_TYPES and customer not in self.arps:
            raise NetsisBusinessError(UNKNOWN, f"Cari kod bulunamadı: {customer}")
        if tip in SALES_TYPES and self.arps[customer].get("KILIT") == "E":
            raise NetsisBusinessError(REFUSED, f"{customer} carisi kilitli, belge kaydedilemez")
        lines = body.get("Kalems") or []
        if not lines:
            raise NetsisBusinessError(REFUSED, "Belgede kalem yok")
        number = str(header.get("FATIRS_NO") or "").strip()
        series = str(body.get("Seri") or "")
        if not number:
            if not body.get("KayitliNumaraOtomatikGuncellensin") and not series:
                raise NetsisBusinessError(REFUSED, "Belge numarası (FATIRS_NO) boş")
            number = self.new_number(tip, series)
        if len(number) > NUMBER_WIDTH:
            raise NetsisBusinessError(REFUSED, f"Belge numarası {NUMBER_WIDTH} karakterden uzun: {number}")
        if (tip, number, customer) in self.slips:
            raise NetsisBusinessError(DUPLICATE, f"{number} numaralı belge bu cari için zaten kayıtlı")
        warehouse_default = int(header.get("DEPO_KODU") or 0)
        made: list[dict[str, Any]] = []
        for at, raw in enumerate(lines, start=1):
            code = str(raw.get("StokKodu") or raw.get("STOK_KODU") or "")
            item = self.items.get(code)
            if item is None:
                raise NetsisBusinessError(UNKNOWN, f"Stok kodu bulunamadı: {code}")
            index = int(raw.get("Olcubr") or 1)
            factor = self.base_factor(item, index)
            warehouse = int(raw.get("DEPO_KODU") or warehouse_default)
            if self.warehouses and warehouse not in self.warehouses:
                raise NetsisBusinessError(UNKNOWN, f"Depo kodu bulunamadı: {warehouse}")
            quantity = D(raw.get("STra_GCMIK"))
            if quantity <= 0:
                raise NetsisBusinessError(REFUSED, f"{code}: miktar sıfırdan büyük olmalı")
            net = D(raw.get("STra_NF") if raw.get("STra_NF") is not None else raw.get("STra_BF"))
            vat = D(raw.get("KdvOrani") if raw.get("KdvOrani") is not None else item.get("KDV_ORANI"))
            made.append(
                {
                    "Sira": at,
                    "StokKodu": code,
                    "STra_GCMIK": quantity,
                    "Olcubr": index,
                    "BASE_MIKTAR": quantity * factor,
                    "STra_NF": net,
                    "STra_BF": D(raw.get("STra_BF") if raw.get("STra_BF") is not None else net),
                    "KdvOrani": vat,
                    "DEPO_KODU": warehouse,
                    "STra_SIPNUM": raw.get("STra_SIPNUM"),
                    "STra_SIPKONT": raw.get("STra_SIPKONT"),
                    "TESLIM_MIKTARI": Decimal(0),
                    "Aciklama": raw.get("Aciklama"),
                }
            )
        slip_header = {key: value for key, value in header.items() if key not in ("CariKod", "CARI_KOD")}
        slip_header.update(FATIRS_NO=number, CARI_KOD=customer, Tarih=str(header.get("Tarih") or self.today)[:10])
        slip_header.setdefault("KAYITTARIHI", self.stamp())
        slip = {"FaturaTip": tip, "Seri": series, "FatUst": slip_header, "Kalems": made, "KayitNo": self.key()}
        self._totals(slip)
        self.slips[(tip, number, customer)] = slip
        self._apply(slip, +1, from_dispatch=bool(header.get("IRSALIYE_NO")))
        return slip

    def _totals(self, slip: dict[str, Any]) -> None:
        lines = slip["Kalems"]
        net = sum(((D(x["STra_GCMIK"]) * D(x["STra_NF"])).quantize(Q2) for x in lines), Decimal(0))
        vat = sum(
            ((D(x["STra_GCMIK"]) * D(x["STra_NF"]) * D(x["KdvOrani"]) / 100).quantize(Q2) for x in lines), Decimal(0)
        )
        slip["FatUst"].update(BRUTTUTAR=net, KDV=vat, GENELTOPLAM=net + vat)

    def _apply(self, slip: dict[str, Any], sign: int, *, from_dispatch: bool = False) -> None:
        tip, header = slip["FaturaTip"], slip["FatUst"]
        for line in slip["Kalems"]:
            cell = self.cell(line["StokKodu"], line["DEPO_KODU"])
            if tip == "ftSSip":
                cell["reserved"] += sign * line["BASE_MIKTAR"]
            elif tip == "ftSIrs" or (tip == "ftSFat" and not from_dispatch):
                cell["on_hand"] -= sign * line["BASE_MIKTAR"]
        if tip == "ftSFat":
            if sign > 0:
                self.add_ledger(
                    header["CARI_KOD"], "FATURA", debit=header["GENELTOPLAM"], BELGE_NO=header["FATIRS_NO"],
                    VADE_TARIHI=header.get("ODEMETARIHI"), ACIKLAMA="Satış faturası", TARIH=header["Tarih"],
                )  # fmt: skip
            else:
                self.ledger = [
                    row for row in self.ledger
                    if not (row["BELGE_NO"] == header["FATIRS_NO"] and row["CARI_KOD"] == header["CARI_KOD"])
                ]  # fmt: skip

    def delete_slip(self, tip: str, number: str, customer: str) -> dict[str, Any]:
        slip = self.slip(tip, number, customer)
        if tip == "ftSSip" and any(D(line["TESLIM_MIKTARI"]) > 0 for line in slip["Kalems"]):
            raise NetsisBusinessError(REFUSED, f"{number} numaralı siparişin sevk edilmiş kalemi var, silinemez")
        if tip == "ftSIrs" and slip["FatUst"].get("FATURA_NO"):
            raise NetsisBusinessError(REFUSED, f"{number} numaralı irsaliye faturalanmış, silinemez")
        if tip == "ftSSip":  # release what is still reserved
            for line in slip["Kalems"]:
                cell = self.cell(line["StokKodu"], line["DEPO_KODU"])
                cell["reserved"] -= line["BASE_MIKTAR"]
            del self.slips[(tip, number, customer)]
        else:
            del self.slips[(tip, number, customer)]
            self._apply(slip, -1, from_dispatch=bool(slip["FatUst"].get("IRSALIYE_NO")))
        self.deleted.append(copy.deepcopy(slip))
        return slip

    def convert_order(self, number: str, customer: str, target: str = "ftSIrs", *,
                      quantities: dict[str, Any] | None = None, **header: Any) -> dict[str, Any]:  # fmt: skip
        """``SiparisToIrsFat``: what is left of the order (or ``quantities`` per item) as a new dispatch or invoice
        numbered in series ``IRS``/``FAT``; the order's lines record it as delivered and release the reservation."""
        if target not in ("ftSIrs", "ftSFat"):
            raise NetsisBusinessError(REFUSED, f"Sipariş {target} tipine aktarılamaz")
        order = self.slip("ftSSip", number, customer)
        lines = []
        for line in order["Kalems"]:
            left = D(line["STra_GCMIK"]) - D(line["TESLIM_MIKTARI"])
            take = min(left, D(quantities.get(line["StokKodu"], 0))) if quantities is not None else left
            if take <= 0:
                continue
            lines.append({**line, "STra_GCMIK": take, "STra_SIPNUM": number, "STra_SIPKONT": line["Sira"]})
        if not lines:
            raise NetsisBusinessError(REFUSED, f"{number} numaralı siparişte aktarılacak miktar kalmadı")
        made = self.create_slip(
            {
                "FaturaTip": target,
                "Seri": "IRS" if target == "ftSIrs" else "FAT",
                "FatUst": {"CariKod": customer, "Tarih": self.today.isoformat(), "SIPARIS_NO": number, **header},
                "Kalems": lines,
            }
        )
        for line in order["Kalems"]:
            moved = sum((D(m["STra_GCMIK"]) for m in made["Kalems"] if m["STra_SIPKONT"] == line["Sira"]), D(0))
            if moved:
                line["TESLIM_MIKTARI"] = D(line["TESLIM_MIKTARI"]) + moved
                factor = line["BASE_MIKTAR"] / D(line["STra_GCMIK"])
                self.cell(line["StokKodu"], line["DEPO_KODU"])["reserved"] -= moved * factor
        order["FatUst"]["DUZELTMETARIHI"] = self.stamp()
        return made

    def invoice_dispatch(self, number: str, customer: str, **header: Any) -> dict[str, Any]:
        """``IrsToFat``: the dispatch as an invoice (stock already left with the dispatch)."""
        dispatch = self.slip("ftSIrs", number, customer)
        if dispatch["FatUst"].get("FATURA_NO"):
            raise NetsisBusinessError(REFUSED, f"{number} numaralı irsaliye zaten faturalanmış")
        made = self.create_slip(
            {
                "FaturaTip": "ftSFat",
                "Seri": "FAT",
                "FatUst": {
                    "CariKod": customer,
                    "Tarih": self.today.isoformat(),
                    "IRSALIYE_NO": number,
                    "SIPARIS_NO": dispatch["FatUst"].get("SIPARIS_NO"),
                    "ODEMETARIHI": (self.today + timedelta(days=30)).isoformat(),
                    **header,
                },
                "Kalems": [dict(line) for line in dispatch["Kalems"]],
            }
        )
        dispatch["FatUst"]["FATURA_NO"] = made["FatUst"]["FATIRS_NO"]
        return made

    # -- collections ------------------------------------------------------------------------------------------------

    def create_bank_transaction(self, body: dict[str, Any]) -> dict[str, Any]:
        customer = str(body.get("CARI_KOD") or "")
        amount = D(body.get("TUTAR"))
        if not body.get("NETHESKODU"):
            raise NetsisBusinessError(REFUSED, "Banka hesap kodu (NETHESKODU) boş")
        if amount <= 0:
            raise NetsisBusinessError(REFUSED, "Tutar sıfırdan büyük olmalı")
        line = self.add_ledger(
            customer, "TAHSILAT", credit=amount, BELGE_NO=body.get("BELGE_NO"), TARIH=str(body.get("TARIH"))[:10],
            ACIKLAMA=body.get("ACIKLAMA"),
        )  # fmt: skip
        row = {"KAYITNO": self.key(), **body, "TUTAR": amount, "CARI_HAREKET": line["INC_KEY_NUMBER"]}
        self.bank.append(row)
        return row

    def create_fast_pay(self, body: dict[str, Any]) -> dict[str, Any]:
        customer = str(body.get("CariKod") or body.get("CARI_KOD") or "")
        amount = D(body.get("Tutar") or body.get("TUTAR"))
        if amount <= 0:
            raise NetsisBusinessError(REFUSED, "Tutar sıfırdan büyük olmalı")
        line = self.add_ledger(
            customer, "TAHSILAT", credit=amount, BELGE_NO=body.get("BelgeNo") or body.get("BELGE_NO"),
            TARIH=str(body.get("Tarih") or body.get("TARIH") or self.today)[:10],
            ACIKLAMA=body.get("Aciklama") or body.get("ACIKLAMA"),
        )  # fmt: skip
        return {"KAYITNO": line["INC_KEY_NUMBER"], **body}

    # -- transactions -----------------------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """What a rollback restores. Item and account rows and ledger lines are never changed by the service once
        written (only replaced or added), so their containers are copied, not the rows; stock cells are journaled as
        they are first touched (``forget`` ends the journal at a commit)."""
        self._journal = {}
        return {
            "items": dict(self.items),
            "arps": dict(self.arps),
            "ledger": list(self.ledger),
            "slips": copy.deepcopy(self.slips),
            "bank": list(self.bank),
            "numbers": dict(self.numbers),
            "deleted": list(self.deleted),
            "created_arps": list(self.created_arps),
            "next_key": self.next_key,
        }

    def forget(self) -> None:
        self._journal = None

    def restore(self, saved: dict[str, Any]) -> None:
        for name, value in saved.items():
            setattr(self, name, value)
        for key, cell in (self._journal or {}).items():
            if cell is None:
                self.stock.pop(key, None)
            else:
                self.stock[key] = cell
        self._journal = None
        self._stock_keys = None


__all__ = ["Company", "NetsisBusinessError", "slip_id", "slip_type"]
