"""Netsis's rows (as NetOpenX REST sends them) to the contract's records, without requests.

Items and accounts come flat or nested under ``StokTemelBilgi``/``CariTemelBilgi`` (clients show both): ``flat``
makes one dictionary of either, and ``col`` reads a field whatever its case. Amounts are read as Decimals.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from erpsync.adapters.base import (
    DocumentKind,
    ErpAddress,
    ErpCustomer,
    ErpDocument,
    ErpDocumentLine,
    ErpLedgerEntry,
    ErpOrderState,
    ErpProduct,
    ErpProductUnit,
)
from erpsync.adapters.http import number
from erpsync.adapters.http import text as _text

NESTED = ("StokTemelBilgi", "CariTemelBilgi", "StokEkBilgi", "CariEkBilgi")
DECIMAL_UNITS = frozenset({"KG", "LT", "M", "M2", "M3", "GR", "TON"})


def flat(row: dict[str, Any]) -> dict[str, Any]:
    """The fields of ``row`` with those of its nested blocks (``StokTemelBilgi``…) lifted to the top."""
    if not any(key in row for key in NESTED):
        return row
    merged = {key: value for key, value in row.items() if key not in NESTED}
    for key in NESTED:
        if isinstance(row.get(key), dict):
            merged.update(row[key])
    return merged


def col(row: dict[str, Any], name: str) -> Any:
    if name in row:
        return row[name]
    lowered = name.lower()
    for key, value in row.items():
        if key.lower() == lowered:
            return value
    return None


def txt(row: dict[str, Any], name: str) -> str:
    return _text(col(row, name)).strip()


def dec(value: Any) -> Decimal | None:
    return number(value, "Netsis")


def as_date(value: Any) -> date | None:
    if not value:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def as_time(value: Any, zone: ZoneInfo) -> datetime | None:
    if not value:
        return None
    found = datetime.fromisoformat(str(value))
    return found if found.tzinfo else found.replace(tzinfo=zone)


def currency(value: Any, currencies: dict[str, str]) -> str:
    try:
        key = str(int(value or 0))
    except (TypeError, ValueError):
        key = str(value)
    return currencies.get(key, "TRY")


def factor(row: dict[str, Any], index: int, ratio: str) -> Decimal:
    """Base units in one of unit ``index`` (2: PAY_1/PAYDA_1, 3: PAY2/PAYDA2), by ``unit_ratio``."""
    pay, payda = ("PAY_1", "PAYDA_1") if index == 2 else ("PAY2", "PAYDA2")
    top, bottom = dec(col(row, pay)) or Decimal(1), dec(col(row, payda)) or Decimal(1)
    value = top / bottom if ratio == "pay_over_payda" else bottom / top
    return dec(value) or Decimal(1)


def units_of(row: dict[str, Any]) -> list[str]:
    """The item's unit codes by index (1 = base): ``Olcubr`` of an order line is the place here plus one."""
    return [txt(row, f"OLCU_BR{index}") for index in (1, 2, 3)]


def product_record(row: dict[str, Any], *, ratio: str, unsold_groups: frozenset[str], zone: ZoneInfo) -> ErpProduct:
    row = flat(row)
    group = txt(row, "GRUP_KODU")
    packs = tuple(
        ErpProductUnit(txt(row, f"OLCU_BR{index}"), factor(row, index, ratio), txt(row, f"BARKOD{index}"))
        for index in (2, 3)
        if txt(row, f"OLCU_BR{index}")
    )
    not_sold = group in unsold_groups
    return ErpProduct(
        code=txt(row, "STOK_KODU"),
        name=txt(row, "STOK_ADI"),
        unit=txt(row, "OLCU_BR1") or "ADET",
        vat_rate=dec(col(row, "KDV_ORANI")),
        barcode=txt(row, "BARKOD1"),
        category_code=group,
        brand_code=txt(row, "KOD_1"),
        active=not not_sold,
        inactive_reason="not_sold" if not_sold else "",
        units=packs,
        updated_at=as_time(col(row, "DUZELTMETARIHI") or col(row, "KAYITTARIHI"), zone),
    )


def customer_record(
    row: dict[str, Any], *, currencies: dict[str, str], blocked_field: str, price_list: str, zone: ZoneInfo
) -> ErpCustomer:
    row = flat(row)
    title = txt(row, "CARI_ISIM")
    addresses: tuple[ErpAddress, ...] = ()
    if txt(row, "CARI_ADRES"):
        addresses = (
            ErpAddress(
                code="MERKEZ",
                name=title,
                line1=txt(row, "CARI_ADRES"),
                city=txt(row, "CARI_IL"),
                kind="billing",
                district=txt(row, "CARI_ILCE"),
                postal_code=txt(row, "POSTA_KODU"),
                phone=txt(row, "CARI_TEL"),
                is_default=True,
            ),
        )
    days = col(row, "VADE_GUNU")
    return ErpCustomer(
        code=txt(row, "CARI_KOD"),
        title=title,
        tax_number=txt(row, "VERGI_NO") or txt(row, "TC_KIMLIK_NO"),
        tax_office=txt(row, "VERGI_DAIRESI"),
        email=txt(row, "E_POSTA"),
        phone=txt(row, "CARI_TEL"),
        currency=currency(col(row, "DOVIZ_KODU"), currencies),
        price_list_code=price_list,
        payment_terms_days=int(days) if days not in (None, "") else None,
        sales_rep_code=txt(row, "PLASIYER_KODU"),
        active=txt(row, blocked_field).upper() != "E",
        addresses=addresses,
        updated_at=as_time(col(row, "DUZELTMETARIHI") or col(row, "KAYITTARIHI"), zone),
    )


def order_state(order: dict[str, Any], *, delivered_field: str, invoiced: set[int]) -> ErpOrderState:
    """An order's state from its lines: delivered quantities against ordered, and whether the delivered lines
    (``Sira`` in ``invoiced``) reached an invoice; closed when the header says ``KAPALI``."""
    lines = order.get("Kalems") or []
    ordered = sum((dec(col(line, "STra_GCMIK")) or Decimal(0) for line in lines), Decimal(0))
    delivered = sum((dec(col(line, delivered_field)) or Decimal(0) for line in lines), Decimal(0))
    closed = txt(order.get("FatUst") or {}, "KAPALI").upper() == "E"
    if ordered and delivered >= ordered:
        every = all(int(col(line, "Sira") or 0) in invoiced for line in lines)
        return ErpOrderState.INVOICED if every else ErpOrderState.SHIPPED
    if delivered > 0:
        return ErpOrderState.CLOSED if closed else ErpOrderState.PARTIALLY_SHIPPED
    return ErpOrderState.CLOSED if closed else ErpOrderState.OPEN


def document_record(
    slip: dict[str, Any], kind: DocumentKind, *, reference: str, currency_code: str, units: dict[str, list[str]]
) -> ErpDocument:
    header = slip.get("FatUst") or {}
    lines = []
    for at, line in enumerate(slip.get("Kalems") or [], start=1):
        code = txt(line, "StokKodu")
        index = int(col(line, "Olcubr") or 1)
        names = units.get(code) or []
        quantity = dec(col(line, "STra_GCMIK")) or Decimal(0)
        price = dec(col(line, "STra_NF"))
        net = dec(quantity * price) if price is not None else None
        rate = dec(col(line, "KdvOrani"))
        lines.append(
            ErpDocumentLine(
                line_no=int(col(line, "Sira") or at),
                quantity=quantity,
                product_code=code,
                description=txt(line, "Aciklama"),
                unit=names[index - 1] if len(names) >= index else "",
                unit_price=price,
                vat_rate=rate,
                net=net,
                vat=dec((net * rate / 100).quantize(Decimal("0.01"))) if net is not None and rate is not None else None,
            )
        )
    return ErpDocument(
        kind=kind,
        number=txt(header, "FATIRS_NO"),
        customer_code=txt(header, "CARI_KOD") or txt(header, "CariKod"),
        issued_on=as_date(col(header, "Tarih")),
        order_reference=reference,
        currency=currency_code,
        net=dec(col(header, "BRUTTUTAR")),
        vat=dec(col(header, "KDV")),
        gross=dec(col(header, "GENELTOPLAM")),
        due_on=as_date(col(header, "ODEMETARIHI")),
        related_number=txt(header, "IRSALIYE_NO") if kind == DocumentKind.INVOICE else "",
        lines=tuple(lines),
    )


def ledger_record(row: dict[str, Any], *, kinds: dict[str, str], currency_code: str, zone: ZoneInfo):
    debit = dec(col(row, "BORC")) or Decimal(0)
    credit = dec(col(row, "ALACAK")) or Decimal(0)
    return ErpLedgerEntry(
        entry_id=txt(row, "INC_KEY_NUMBER"),
        customer_code=txt(row, "CARI_KOD"),
        posted_on=as_date(col(row, "TARIH")),
        kind=kinds.get(txt(row, "HAREKET_TURU"), "adjustment"),
        amount=dec(debit - credit) or Decimal(0),
        currency=currency_code,
        document_number=txt(row, "BELGE_NO"),
        due_on=as_date(col(row, "VADE_TARIHI")),
        description=txt(row, "ACIKLAMA"),
        updated_at=as_time(col(row, "KAYITTARIHI"), zone),
    )


__all__ = [
    "as_date",
    "col",
    "currency",
    "customer_record",
    "dec",
    "document_record",
    "factor",
    "flat",
    "ledger_record",
    "order_state",
    "product_record",
    "txt",
    "units_of",
]
