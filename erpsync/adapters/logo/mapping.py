"""Logo's rows (the columns of ``LG_<firm>_…`` tables as ``queries`` returns them) to the contract's records and back,
without requests.

Codes: an item's code is ``ITEMS.CODE``, a unit's ``UNITSETL.CODE``, a warehouse's its number (``INVENNO``/``NR``),
a customer's ``CLCARD.CODE``. Price cards (``PRCLIST``, sales) without a customer are list prices: one list per
currency and VAT treatment (``LOGO-TRY``, ``LOGO-TRY-KDV``, ``LOGO-USD``…); a card with ``CLIENTCODE`` is that
customer's own price (an agreement). Amounts on the ledger are in the local currency, signed from the company's
side (SIGN 0 debit: the customer owes more).
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
    ErpCustomerPrice,
    ErpDocument,
    ErpLedgerEntry,
    ErpOrderState,
    ErpPrice,
    ErpPriceList,
    ErpProduct,
    ErpProductUnit,
    ErpUnit,
)
from erpsync.adapters.http import number
from erpsync.adapters.http import text as _text

SOURCE = "Logo"
DECIMAL_UNITS = frozenset({"KG", "GR", "LT", "M", "M2", "M3", "TON", "MT"})


def as_decimal(value: Any) -> Decimal | None:
    return number(value, SOURCE)


def as_date(value: Any) -> date | None:
    if value in (None, ""):
        return None
    return date.fromisoformat(str(value)[:10])


def stamp(row: dict[str, Any], zone: ZoneInfo, prefix: str = "MODIFIED") -> datetime | None:
    """Logo's audit time: the date in ``CAPIBLOCK_<prefix>DATE`` and the time in its HOUR/MIN/SEC columns, in the
    server's zone; the creation time when the row was never modified."""
    day = row.get(f"CAPIBLOCK_{prefix}DATE") if prefix == "MODIFIED" else row.get("CAPIBLOCK_CREADEDDATE")
    if not day:
        return stamp(row, zone, "CREATED") if prefix == "MODIFIED" else None
    found = as_date(day)
    return datetime(
        found.year,
        found.month,
        found.day,
        int(row.get(f"CAPIBLOCK_{prefix}HOUR") or 0),
        int(row.get(f"CAPIBLOCK_{prefix}MIN") or 0),
        int(row.get(f"CAPIBLOCK_{prefix}SEC") or 0),
        tzinfo=zone,
    )


def currency(value: Any, currencies: dict[str, str]) -> str:
    return currencies.get(str(int(value or 0)), "TRY")


def unit_record(row: dict[str, Any]) -> ErpUnit:
    code = _text(row["CODE"]).strip()
    return ErpUnit(code, _text(row.get("NAME")).strip() or code, decimals=3 if code.upper() in DECIMAL_UNITS else 0)


def _factor(unit: dict[str, Any]) -> Decimal:
    """Base units per pack: CONVFACT2 / CONVFACT1, without float noise."""
    factor = (as_decimal(unit.get("CONVFACT2")) or Decimal(1)) / (as_decimal(unit.get("CONVFACT1")) or Decimal(1))
    return as_decimal(factor) or Decimal(1)


def product_record(
    row: dict[str, Any], units: list[dict[str, Any]], *, sold_types: frozenset[str], zone: ZoneInfo
) -> ErpProduct:
    """An item card with its units (``ITMUNITA`` joined to ``UNITSETL``: factor CONVFACT2/CONVFACT1, barcode,
    SALESCLAS 0 = not sold in that unit); the main unit is the base unit."""
    ordered = sorted(units, key=lambda unit: (-int(unit.get("MAINUNIT") or 0), int(unit.get("LINENR") or 0)))
    main = ordered[0] if ordered else None
    packs = tuple(
        ErpProductUnit(
            _text(unit["UNITCODE"]).strip(),
            _factor(unit),
            _text(unit.get("BARCODE")).strip(),
            # SALESCLAS 0: not sold in this unit; empty (NULL, or an empty ExecQuery element) counts as sold.
            sellable=_text(unit.get("SALESCLAS")).strip() in ("", "1") or bool(as_decimal(unit.get("SALESCLAS"))),
        )
        for unit in ordered[1:]
    )
    passive = bool(int(row.get("ACTIVE") or 0))
    sold = str(int(row.get("CARDTYPE") or 0)) in sold_types
    return ErpProduct(
        code=_text(row["CODE"]).strip(),
        name=_text(row.get("NAME")).strip(),
        unit=_text(main["UNITCODE"]).strip() if main else "",
        name_en=_text(row.get("NAME3")).strip(),
        vat_rate=as_decimal(row.get("SELLVAT") if row.get("SELLVAT") is not None else row.get("VAT")),
        barcode=_text(main.get("BARCODE")).strip() if main else "",
        category_code=_text(row.get("STGRPCODE")).strip(),
        brand_code=_text(row.get("MARKCODE")).strip(),
        batch_managed=bool(int(row.get("TRACKTYPE") or 0)),
        active=not passive and sold,
        units=packs,
        updated_at=stamp(row, zone),
        inactive_reason="" if passive or sold else "not_sold",
    )


def price_list_code(currency_code: str, vat_included: bool) -> str:
    return f"LOGO-{currency_code}" + ("-KDV" if vat_included else "")


def price_list_record(code: str, currency_code: str, vat_included: bool) -> ErpPriceList:
    name = f"Logo satış fiyatları ({currency_code}{', KDV dahil' if vat_included else ''})"
    return ErpPriceList(code, name, currency=currency_code, vat_included=vat_included)


def price_record(row: dict[str, Any], code: str) -> ErpPrice:
    return ErpPrice(code, _text(row["ITEMCODE"]).strip(), as_decimal(row["PRICE"]) or Decimal(0), unit=_unit(row))


def _unit(row: dict[str, Any]) -> str:
    """The card's unit, '' when it is the item's main unit (per base unit)."""
    if not row.get("UNITCODE") or int(row.get("MAINUNIT") or 0):
        return ""
    return _text(row["UNITCODE"]).strip()


def agreement_record(row: dict[str, Any], currency_code: str) -> ErpCustomerPrice:
    return ErpCustomerPrice(
        code=_text(row.get("CODE")).strip() or f"PRC-{row['K']}",
        customer_code=_text(row["CLIENTCODE"]).strip(),
        kind="fixed_price",
        value=as_decimal(row["PRICE"]) or Decimal(0),
        product_code=_text(row["ITEMCODE"]).strip(),
        currency=currency_code,
        valid_from=as_date(row.get("BEGDATE")),
        valid_to=as_date(row.get("ENDDATE")),
        note=_text(row.get("DEFINITION_")).strip(),
    )


def customer_record(
    row: dict[str, Any], locations: list[dict[str, Any]], *, currencies: dict[str, str], zone: ZoneInfo
) -> ErpCustomer:
    addresses: list[ErpAddress] = []
    title = _text(row.get("DEFINITION_")).strip()
    if _text(row.get("ADDR1")).strip():
        addresses.append(
            ErpAddress(
                code="FATURA",
                name=title,
                line1=_text(row.get("ADDR1")).strip(),
                city=_text(row.get("CITY")).strip(),
                kind="billing",
                line2=_text(row.get("ADDR2")).strip(),
                district=_text(row.get("TOWN")).strip(),
                postal_code=_text(row.get("POSTCODE")).strip(),
                phone=_text(row.get("TELNRS1")).strip(),
                is_default=True,
            )
        )
    for location in locations:
        addresses.append(
            ErpAddress(
                code=_text(location["CODE"]).strip(),
                name=_text(location.get("NAME")).strip() or title,
                line1=_text(location.get("ADDR1")).strip(),
                city=_text(location.get("CITY")).strip(),
                kind="shipping",
                line2=_text(location.get("ADDR2")).strip(),
                district=_text(location.get("TOWN")).strip(),
                postal_code=_text(location.get("POSTCODE")).strip(),
                phone=_text(location.get("TELNRS1")).strip(),
            )
        )
    code = currency(row.get("CCURRENCY"), currencies)
    return ErpCustomer(
        code=_text(row["CODE"]).strip(),
        title=title,
        tax_number=_text(row.get("TAXNR")).strip() or _text(row.get("TCKNO")).strip(),
        tax_office=_text(row.get("TAXOFFICE")).strip(),
        email=_text(row.get("EMAILADDR")).strip(),
        phone=_text(row.get("TELNRS1")).strip(),
        currency=code,
        price_list_code=price_list_code(code, False),
        payment_terms_code=_text(row.get("PAYPLANCODE")).strip(),
        sales_rep_code=_text(row.get("SLSMANCODE")).strip(),
        sales_rep_name=_text(row.get("SLSMANNAME")).strip(),
        active=not int(row.get("ACTIVE") or 0),
        addresses=tuple(addresses),
        updated_at=stamp(row, zone),
    )


def order_state(row: dict[str, Any]) -> ErpOrderState:
    """An order slip's state from its lines: cancelled, invoiced (everything shipped and invoiced), shipped,
    partly shipped, closed (lines closed short), else open."""
    if int(row.get("CANCELLED") or 0):
        return ErpOrderState.CANCELLED
    ordered = as_decimal(row.get("ORDERED")) or Decimal(0)
    shipped = as_decimal(row.get("SHIPPED")) or Decimal(0)
    open_lines = int(row.get("OPENLINES") or 0)
    if ordered and shipped >= ordered:
        uninvoiced = int(row.get("UNINVOICED") or 0)
        return ErpOrderState.SHIPPED if uninvoiced else ErpOrderState.INVOICED
    if shipped > 0:
        return ErpOrderState.PARTIALLY_SHIPPED if open_lines else ErpOrderState.CLOSED
    return ErpOrderState.OPEN if open_lines else ErpOrderState.CLOSED


def document_record(row: dict[str, Any], kind: DocumentKind, *, currencies: dict[str, str], zone: ZoneInfo):
    gross = as_decimal(row.get("NETTOTAL"))
    net = as_decimal(row.get("GROSSTOTAL"))
    guid = _text(row.get("GUID")).strip().lower()
    return ErpDocument(
        kind=kind,
        number=_text(row["FICHENO"]).strip(),
        customer_code=_text(row["CLCODE"]).strip(),
        issued_on=as_date(row["DATE_"]),
        order_reference=_text(row.get("REFERENCE")).strip(),
        currency=currency(row.get("TRCURR"), currencies),
        net=net,
        vat=as_decimal(row.get("TOTALVAT")),
        gross=gross,
        carrier=_text(row.get("SHPAGNCOD")).strip(),
        tracking_number=_text(row.get("TRACKNR")).strip(),
        e_invoice_uuid=guid if kind == DocumentKind.INVOICE and int(row.get("EINVOICE") or 0) else "",
        updated_at=stamp(row, zone),
    )


# CLFLINE TRCODE → ledger kind (Logo's "cari hesap hareket türleri"); others: by sign.
LEDGER_KINDS = {
    14: "opening",
    3: "adjustment",  # debit note (borç dekontu)
    4: "credit_memo",  # credit note (alacak dekontu): the portal's refunds
    31: "adjustment",
    32: "invoice",
    33: "credit_memo",
    34: "invoice",
    35: "adjustment",
    36: "adjustment",
    37: "invoice",
    38: "invoice",
    39: "invoice",
    1: "collection",
    2: "refund",
    20: "collection",
    21: "refund",
    70: "collection",
    5: "adjustment",
    6: "adjustment",
}


def ledger_record(row: dict[str, Any], *, zone: ZoneInfo) -> ErpLedgerEntry:
    amount = as_decimal(row.get("AMOUNT")) or Decimal(0)
    credit = int(row.get("SIGN") or 0) == 1
    kind = LEDGER_KINDS.get(int(row.get("TRCODE") or 0)) or ("collection" if credit else "adjustment")
    return ErpLedgerEntry(
        entry_id=f"CLF:{row['PERIOD']}:{row['K']}",
        customer_code=_text(row["CLCODE"]).strip(),
        posted_on=as_date(row["DATE_"]),
        kind=kind,
        amount=-amount if credit else amount,
        document_number=_text(row.get("TRANNO")).strip(),
        description=_text(row.get("LINEEXP")).strip(),
        updated_at=stamp(row, zone),
    )


__all__ = [
    "agreement_record",
    "as_date",
    "as_decimal",
    "currency",
    "customer_record",
    "document_record",
    "ledger_record",
    "order_state",
    "price_list_code",
    "price_list_record",
    "price_record",
    "product_record",
    "stamp",
    "unit_record",
]
