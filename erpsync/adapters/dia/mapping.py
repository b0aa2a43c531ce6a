"""DİA's rows (as its ``_listele`` services and reports give them) to the contract's records and back, without calls.

Codes: an item is its ``stokkartkodu``, a customer its ``carikartkodu``, a depot its ``depokodu``. Currencies: DİA's
``TL`` (and ``TRL``) is the portal's ``TRY``. Amounts come as strings with fixed decimals (``"658.000000"``; some
tenants send numbers): read as Decimals without trailing zeros. Dates are ``YYYY-MM-DD``, ``_date`` is
``YYYY-MM-DD HH:MM:SS`` in the company's time zone.

Documents: DİA's ``toplam`` is the goods total, ``toplamara`` the subtotal after discounts, ``toplamkdv`` the VAT and
``net`` the total to pay: a document's ``net`` is ``toplamara`` (``net`` less ``toplamkdv`` when missing), its
``vat`` ``toplamkdv``, its ``gross`` DİA's ``net``.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any

from erpsync.adapters.base import (
    DocumentKind,
    ErpAddress,
    ErpBalance,
    ErpCustomer,
    ErpCustomerPrice,
    ErpDocument,
    ErpLedgerEntry,
    ErpOrderState,
    ErpPrice,
    ErpPriceList,
    ErpProduct,
    ErpStock,
    ErpUnit,
    ErpWarehouse,
    LedgerKind,
)
from erpsync.adapters.http import number
from erpsync.adapters.http import text as _text

SOURCE = "DİA"
# The price card's columns as the portal reads them (DİA's documentation does not list them: ``price_card_columns``
# renames any of them for a tenant whose cards differ).
PRICE_CARD_COLUMNS = {
    "code": "fiyatkartkodu",
    "name": "aciklama",
    "item": "__stokkartkodu",
    "customer": "__carikartkodu",
    "price": "fiyat",
    "currency": "__dovizadi",
    "vat_included": "kdvdahil",
    "start": "baslangictarihi",
    "end": "bitistarihi",
    "status": "durum",
}
DECIMAL_UNITS = frozenset({"KG", "GR", "LT", "M", "M2", "M3", "TON", "MT"})
TRUE = frozenset({"t", "true", "e", "evet", "1"})


def as_decimal(value: Any) -> Decimal | None:
    return number(value, SOURCE)


def amount(value: Any) -> Decimal:
    return as_decimal(value) or Decimal(0)


def flag(value: Any) -> bool:
    return str(value or "").strip().casefold() in TRUE


def currency(value: Any) -> str:
    code = _text(value).strip().upper()
    return "TRY" if code in ("", "TL", "TRL", "TRY") else code


def dia_currency(code: str) -> str:
    return "TL" if code in ("TRY", "TL", "") else code


def as_date(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def stamp(value: Any, zone: tzinfo) -> datetime | None:
    """``_date`` (local, no zone) as an aware time."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value)[:19]).replace(tzinfo=zone)
    except ValueError:
        return None


def dia_stamp(when: datetime, zone: tzinfo) -> str:
    return when.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def product_record(row: dict[str, Any], zone: tzinfo, sellable: frozenset[str]) -> ErpProduct:
    kind = _text(row.get("stokkartturu")).strip()
    passive = _text(row.get("durum")).strip().upper() == "P"
    reason = "passive in DİA" if passive else "" if kind in sellable else f"item card type {kind or '?'} not sold"
    return ErpProduct(
        code=_text(row.get("stokkartkodu")).strip(),
        name=_text(row.get("aciklama")).strip(),
        unit=_text(row.get("birimkodu")).strip(),
        vat_rate=as_decimal(row.get("kdvsatis")),
        barcode=_text(row.get("anabarkod")).strip(),
        active=not reason,
        updated_at=stamp(row.get("_date"), zone),
        inactive_reason=reason,
    )


def unit_record(code: str, name: str) -> ErpUnit:
    return ErpUnit(code, name or code, decimals=3 if code.upper() in DECIMAL_UNITS else 0)


def warehouse_record(row: dict[str, Any], unsellable: frozenset[str]) -> ErpWarehouse:
    code = _text(row.get("depokodu")).strip()
    return ErpWarehouse(code, _text(row.get("depoadi")).strip() or code, sellable=code not in unsellable)


def report_stock(row: dict[str, Any]) -> ErpStock:
    return ErpStock(
        _text(row.get("stokkartkodu")).strip(),
        _text(row.get("depokodu")).strip(),
        amount(row.get("miktar")),
        amount(row.get("siparis_rezerve")),
    )


def slot_list(slot: str, name: str) -> ErpPriceList:
    return ErpPriceList(f"FIYAT{slot}", name or f"Fiyat {slot}")


def card(row: dict[str, Any], columns: dict[str, str], name: str) -> Any:
    return row.get(columns[name])


def card_list(row: dict[str, Any], columns: dict[str, str]) -> ErpPriceList:
    code = _text(card(row, columns, "code")).strip()
    return ErpPriceList(
        code,
        _text(card(row, columns, "name")).strip() or code,
        currency=currency(card(row, columns, "currency")),
        vat_included=flag(card(row, columns, "vat_included")),
    )


def card_active(row: dict[str, Any], columns: dict[str, str], today: date) -> bool:
    if _text(card(row, columns, "status")).strip().upper() == "P":
        return False
    end = as_date(card(row, columns, "end"))
    return end is None or end >= today


def card_price(row: dict[str, Any], columns: dict[str, str]) -> ErpPrice | None:
    price = as_decimal(card(row, columns, "price"))
    if not price:
        return None
    return ErpPrice(
        _text(card(row, columns, "code")).strip(),
        _text(card(row, columns, "item")).strip(),
        price,
        currency=currency(card(row, columns, "currency")),
    )


def card_agreement(row: dict[str, Any], columns: dict[str, str]) -> ErpCustomerPrice | None:
    price = as_decimal(card(row, columns, "price"))
    if not price:
        return None
    return ErpCustomerPrice(
        code=_text(card(row, columns, "code")).strip(),
        customer_code=_text(card(row, columns, "customer")).strip(),
        kind="fixed_price",
        value=price,
        product_code=_text(card(row, columns, "item")).strip(),
        currency=currency(card(row, columns, "currency")),
        valid_from=as_date(card(row, columns, "start")),
        valid_to=as_date(card(row, columns, "end")),
        note=_text(card(row, columns, "name")).strip(),
    )


def customer_record(row: dict[str, Any], zone: tzinfo, price_list: str) -> ErpCustomer:
    title = _text(row.get("unvan")).strip()
    phone = _text(row.get("telefon1")).strip() or _text(row.get("ceptel")).strip()
    addresses: tuple[ErpAddress, ...] = ()
    if _text(row.get("adres1")).strip():
        addresses = (
            ErpAddress(
                code="FATURA",
                name=title,
                line1=_text(row.get("adres1")).strip(),
                line2=_text(row.get("adres2")).strip(),
                city=_text(row.get("sehir")).strip(),
                district=_text(row.get("ilce")).strip(),
                postal_code=_text(row.get("postakodu")).strip(),
                phone=phone,
                kind="billing",
                is_default=True,
            ),
        )
    return ErpCustomer(
        code=_text(row.get("carikartkodu")).strip(),
        title=title,
        tax_number=_text(row.get("verginumarasi")).strip() or _text(row.get("tckimlikno")).strip(),
        tax_office=_text(row.get("vergidairesi")).strip(),
        email=_text(row.get("eposta")).strip(),
        phone=phone,
        currency=currency(row.get("dovizadi")),
        price_list_code=price_list,
        active=_text(row.get("durum")).strip().upper() != "P",
        addresses=addresses,
        updated_at=stamp(row.get("_date"), zone),
    )


def balance_record(row: dict[str, Any]) -> ErpBalance:
    return ErpBalance(_text(row.get("carikartkodu")).strip(), amount(row.get("bakiye")))


def order_state(row: dict[str, Any], cancelled: str) -> ErpOrderState:
    if _text(row.get("onay")).strip() == cancelled:
        return ErpOrderState.CANCELLED
    if _text(row.get("faturanumaralari")).strip():
        return ErpOrderState.INVOICED
    ordered, left = amount(row.get("toplammiktar")), amount(row.get("teslimatkalanmiktar"))
    if ordered and left <= 0:
        return ErpOrderState.SHIPPED
    if left < ordered:
        return ErpOrderState.PARTIALLY_SHIPPED
    return ErpOrderState.OPEN


def numbers(value: Any) -> list[str]:
    """``irsaliyenumaralari`` / ``faturanumaralari``: the numbers of an order's documents, comma-separated."""
    return [part.strip() for part in _text(value).split(",") if part.strip()]


def _sums(row: dict[str, Any]) -> tuple[Decimal | None, Decimal | None, Decimal | None]:
    gross, vat = as_decimal(row.get("net")), as_decimal(row.get("toplamkdv"))
    net = as_decimal(row.get("toplamara"))
    if net is None and gross is not None:
        net = gross - (vat or 0)
    return net, vat, gross


def delivery_record(row: dict[str, Any], order_reference: str, zone: tzinfo) -> ErpDocument:
    net, vat, gross = _sums(row)
    return ErpDocument(
        kind=DocumentKind.DELIVERY,
        number=_text(row.get("belgeno")).strip() or _text(row.get("fisno")).strip(),
        customer_code=_text(row.get("__carikartkodu")).strip(),
        issued_on=as_date(row.get("tarih")),
        order_reference=order_reference,
        currency=currency(row.get("dovizadi")),
        net=net,
        vat=vat,
        gross=gross,
        carrier=_text(row.get("kargofirma")).strip(),
        tracking_number=_text(row.get("kargotakipno")).strip(),
        updated_at=stamp(row.get("_date"), zone),
    )


def invoice_record(row: dict[str, Any], order_reference: str, zone: tzinfo) -> ErpDocument:
    net, vat, gross = _sums(row)
    issued = as_date(row.get("tarih"))
    due = as_date(row.get("vadetarihi"))
    if due is None and issued is not None and _text(row.get("vadegun")).strip().isdigit():
        due = issued + timedelta(days=int(_text(row.get("vadegun")).strip()))
    return ErpDocument(
        kind=DocumentKind.INVOICE,
        number=_text(row.get("belgeno")).strip() or _text(row.get("fisno")).strip(),
        customer_code=_text(row.get("__carikartkodu")).strip(),
        issued_on=issued,
        order_reference=order_reference,
        currency=currency(row.get("dovizadi")),
        net=net,
        vat=vat,
        gross=gross,
        due_on=due,
        updated_at=stamp(row.get("_date"), zone),
    )


def ledger_kind(text: str, debit: Decimal) -> str:
    folded = text.casefold()
    if "devir" in folded or "açılış" in folded:
        return LedgerKind.OPENING
    if "iade" in folded:
        return LedgerKind.CREDIT_MEMO
    if "fatura" in folded:
        return LedgerKind.INVOICE
    if "tahsil" in folded or "virman" in folded or "kredi kart" in folded or "havale" in folded:
        return LedgerKind.COLLECTION
    return LedgerKind.ADJUSTMENT if debit else LedgerKind.COLLECTION


def ledger_record(row: dict[str, Any], customer: str, open_amounts: dict[tuple[str, str], Decimal]) -> ErpLedgerEntry:
    debit, credit = amount(row.get("borc")), amount(row.get("alacak"))
    document = _text(row.get("belgeno")).strip() or _text(row.get("fisno")).strip()
    return ErpLedgerEntry(
        entry_id=_text(row.get("_key")),
        customer_code=customer,
        posted_on=as_date(row.get("tarih")),
        kind=ledger_kind(_text(row.get("turuack")), debit),
        amount=debit - credit,
        currency=currency(row.get("dovizadi")),
        document_number=document,
        due_on=as_date(row.get("vadetarihi")) if debit else None,
        description=_text(row.get("aciklama")).strip(),
        open_amount=open_amounts.get((customer, document), Decimal(0)) if debit else None,
    )
