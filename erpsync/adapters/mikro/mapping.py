"""Mikro's rows (lower-case column names, as ``MikroSession.query`` returns them) to the contract's records, without
statements.

Codes: an item's code is ``sto_kod``, a unit's its name (``sto_birim1_ad``…), a warehouse's its number (``dep_no``), a
customer's ``cari_kod``, a price list's its number (``sfl_sirano``; ``<n>-<currency>`` for its prices in another
currency than the local one), an order's ``<series>-<number>`` (``sip_evrakno_seri``/``sira``).

Units: ``sto_birim2_katsayi`` (and ``…3…``) is Mikro's pack factor, negative when the pack holds that many base units
(-12: a box of 12) and positive when it is a fraction of one (public code reads it as ``sto_birim2_katsayi * -1``
and ``ABS(sto_birim2_katsayi)``). Amounts on the ledger are in the local currency, signed from the company's side:
``cha_tip`` 0 (debit) the customer owes more, 1 (credit) less.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from erpsync.adapters.base import (
    ErpAddress,
    ErpCustomer,
    ErpLedgerEntry,
    ErpOrderState,
    ErpPrice,
    ErpPriceList,
    ErpProduct,
    ErpProductUnit,
)
from erpsync.adapters.http import number
from erpsync.adapters.http import text as _text

SOURCE = "Mikro"
# cha_evrak_tip → ledger kind (63 is a sales invoice at the installations public code describes); others by side.
LEDGER_KINDS = {63: "invoice"}


def as_decimal(value: Any) -> Decimal | None:
    """Mikro keeps quantities and amounts as float: the shortest decimal that float stands for."""
    return number(value, SOURCE)


def flag(value: Any) -> bool:
    return bool(int(value or 0))


def clean(value: Any) -> str:
    return _text(value).strip()


def as_date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def stamp(value: Any, zone: ZoneInfo) -> datetime | None:
    """A Mikro date (server-local, without zone) as an aware time; None for none (or Mikro's 1899/1900 'empty')."""
    if not isinstance(value, datetime) or value.year < 1901:
        return None
    return value.replace(tzinfo=zone) if value.tzinfo is None else value


def currency(value: Any, currencies: dict[str, str]) -> str:
    return currencies.get(str(int(value or 0)), "TRY")


def pack_factor(value: Any) -> Decimal | None:
    """Base units per pack from a Mikro ``katsayi``: -12 → 12, 0.5 → 2; None when it is not set."""
    factor = as_decimal(value)
    if not factor:
        return None
    return as_decimal(-factor if factor < 0 else Decimal(1) / factor)


def product_record(
    row: dict[str, Any], barcodes: dict[int, str], *, sold_kinds: frozenset[str], zone: ZoneInfo
) -> ErpProduct:
    """An item card with its second and third units and the barcodes by unit pointer (1 = the base unit)."""
    base = clean(row.get("sto_birim1_ad"))
    units = []
    for pointer in (2, 3):
        name, factor = clean(row.get(f"sto_birim{pointer}_ad")), pack_factor(row.get(f"sto_birim{pointer}_katsayi"))
        if name and factor and name != base:
            units.append(ErpProductUnit(name, factor, barcodes.get(pointer, "")))
    passive = flag(row.get("sto_pasif_fl")) or flag(row.get("sto_iptal"))
    kind = str(int(row.get("sto_cins") or 0))
    sold = (not sold_kinds or kind in sold_kinds) and not flag(row.get("sto_satis_dursun"))
    return ErpProduct(
        code=clean(row["sto_kod"]),
        name=clean(row.get("sto_isim")),
        unit=base,
        name_en=clean(row.get("sto_yabanci_isim")),
        vat_rate=as_decimal(row.get("vat_rate")),
        barcode=barcodes.get(1, ""),
        category_code=clean(row.get("sto_kategori_kodu")),
        brand_code=clean(row.get("sto_marka_kodu")),
        active=not passive and sold,
        units=tuple(units),
        updated_at=stamp(row.get("sto_lastup_date"), zone),
        inactive_reason="" if passive or sold else "not_sold",
    )


def price_list_code(number_: Any, currency_code: str) -> str:
    return str(int(number_ or 0)) if currency_code == "TRY" else f"{int(number_ or 0)}-{currency_code}"


def price_list_record(row: dict[str, Any], currency_code: str) -> ErpPriceList:
    name = clean(row.get("sfl_aciklama")) or f"Liste {int(row['sfl_sirano'])}"
    return ErpPriceList(
        price_list_code(row["sfl_sirano"], currency_code),
        name if currency_code == "TRY" else f"{name} ({currency_code})",
        currency=currency_code,
        vat_included=flag(row.get("sfl_kdvdahil")),
    )


def price_record(row: dict[str, Any], currency_code: str) -> ErpPrice:
    pointer = int(row.get("sfiyat_birim_pntr") or 1)
    unit = "" if pointer <= 1 else clean(row.get(f"sto_birim{pointer}_ad"))
    return ErpPrice(
        price_list_code(row["sfiyat_listesirano"], currency_code),
        clean(row["sfiyat_stokkod"]),
        as_decimal(row.get("sfiyat_fiyati")) or Decimal(0),
        unit=unit,
    )


def address_record(row: dict[str, Any], title: str, *, billing_no: int) -> ErpAddress:
    number_ = int(row.get("adr_adres_no") or 0)
    street = " ".join(part for part in (clean(row.get("adr_mahalle")), clean(row.get("adr_cadde"))) if part)
    return ErpAddress(
        code=str(number_),
        name=title,
        line1=street,
        city=clean(row.get("adr_il")),
        kind="billing" if number_ == billing_no else "shipping",
        line2=clean(row.get("adr_sokak")),
        district=clean(row.get("adr_ilce")),
        postal_code=clean(row.get("adr_posta_kodu")),
        phone=clean(row.get("adr_tel_no1")),
        is_default=number_ == billing_no,
    )


def customer_record(
    row: dict[str, Any], addresses: list[dict[str, Any]], *, currencies: dict[str, str], zone: ZoneInfo
) -> ErpCustomer:
    title = " ".join(part for part in (clean(row.get("cari_unvan1")), clean(row.get("cari_unvan2"))) if part)
    billing_no = int(row.get("cari_fatura_adres_no") or 1)
    price_list = int(row.get("cari_satis_fk") or 0)
    code = currency(row.get("cari_doviz_cinsi"), currencies)
    return ErpCustomer(
        code=clean(row["cari_kod"]),
        title=title,
        tax_number=clean(row.get("cari_vdaire_no")) or clean(row.get("cari_vergikimlikno")),
        tax_office=clean(row.get("cari_vdaire_adi")),
        email=clean(row.get("cari_email")),
        phone=clean(row.get("cari_ceptel")),
        currency=code,
        price_list_code=price_list_code(price_list, code) if price_list else "",
        payment_terms_code=str(abs(int(row.get("cari_odemeplan_no") or 0)) or ""),
        active=not flag(row.get("cari_iptal")) and not flag(row.get("cari_hidden")),
        addresses=tuple(address_record(address, title, billing_no=billing_no) for address in addresses),
        updated_at=stamp(row.get("cari_lastup_date"), zone),
    )


def order_state(row: dict[str, Any]) -> ErpOrderState:
    """An order's state from its lines (summed): cancelled when every line is, shipped when everything is delivered,
    partly shipped while open lines remain, closed when the rest was closed short, else open."""
    if int(row.get("live_lines") or 0) == 0:
        return ErpOrderState.CANCELLED
    ordered = as_decimal(row.get("ordered")) or Decimal(0)
    delivered = as_decimal(row.get("delivered")) or Decimal(0)
    open_lines = int(row.get("open_lines") or 0)
    if ordered and delivered >= ordered:
        return ErpOrderState.SHIPPED
    if delivered > 0:
        return ErpOrderState.PARTIALLY_SHIPPED if open_lines else ErpOrderState.CLOSED
    return ErpOrderState.OPEN if open_lines else ErpOrderState.CLOSED


def ledger_record(row: dict[str, Any], *, zone: ZoneInfo, key: str) -> ErpLedgerEntry:
    amount = as_decimal(row.get("cha_meblag")) or Decimal(0)
    credit = int(row.get("cha_tip") or 0) == 1
    evrak = int(row.get("cha_evrak_tip") or 0)
    if evrak in LEDGER_KINDS and not credit:
        kind = LEDGER_KINDS[evrak]
    elif credit:
        kind = "credit_memo" if flag(row.get("cha_normal_iade")) else "collection"
    else:
        kind = "refund" if flag(row.get("cha_normal_iade")) else "adjustment"
    series, sequence = clean(row.get("cha_evrakno_seri")), int(row.get("cha_evrakno_sira") or 0)
    return ErpLedgerEntry(
        entry_id=f"CHA:{key}",
        customer_code=clean(row["cha_kod"]),
        posted_on=as_date(row["cha_tarihi"]),
        kind=kind,
        amount=-amount if credit else amount,
        document_number=clean(row.get("cha_belge_no")) or (f"{series}-{sequence}" if sequence else ""),
        description=clean(row.get("cha_aciklama")),
        updated_at=stamp(row.get("cha_lastup_date"), zone),
    )


__all__ = [
    "as_date",
    "as_decimal",
    "clean",
    "currency",
    "customer_record",
    "flag",
    "ledger_record",
    "order_state",
    "pack_factor",
    "price_list_code",
    "price_list_record",
    "price_record",
    "product_record",
    "stamp",
]
