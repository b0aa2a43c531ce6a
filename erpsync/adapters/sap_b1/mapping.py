"""Pure translations between the Service Layer's JSON and the contract's records: no requests here.

Units: items in a unit-of-measure group are sold in the group's units (the factor to the inventory unit from the
group's definitions); order lines carry ``UoMEntry``. Items with manual units are sold in their inventory unit.

Order status: an order's state is worked out from SAP's documents: cancelled; nothing delivered (open, or closed by
hand); partly delivered; fully delivered; invoiced (an invoice copied from the order or one of its deliveries).

Ledger (the customer's account movements): A/R invoices (``inv:<DocEntry>``, debit, open = ``DocTotal`` less
``PaidToDate``), A/R credit memos (``crn:<DocEntry>``, credit, open = what is not applied to an invoice) and incoming
payments from customers (``rct:<DocEntry>``, credit, open = what the payment did not apply to invoices). A cancelled
document stays on the statement with its reversal next to it (``…:cancel``, an adjustment of the opposite sign), so it
nets to zero in a full read and in a delta alike; SAP's own cancellation documents (``CancelStatus`` csCancellation)
are not read, the reversal stands for them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from erpsync.adapters.base import (
    ErpAddress,
    ErpBalance,
    ErpCredit,
    ErpCustomer,
    ErpCustomerPrice,
    ErpDocumentLine,
    ErpLedgerEntry,
    ErpOrderAck,
    ErpOrderLine,
    ErpOrderState,
    ErpProduct,
    ErpProductUnit,
    LedgerKind,
)
from erpsync.adapters.http import number as _number
from erpsync.adapters.http import text as _text

YES = "tYES"
OPEN = "bost_Open"
CLOSED = "bost_Close"
# Object types of the marketing documents (BoObjectTypes), as BaseType on copied lines.
ORDER_TYPE, DELIVERY_TYPE, INVOICE_TYPE = 17, 15, 13
# SAP's own reversal of a cancelled document (SAP 9 and later): the adapter's ``…:cancel`` entry stands for it.
CANCELLATION = "csCancellation"


def as_decimal(value: Any) -> Decimal | None:
    return _number(value, "SAP B1")


def as_date(value: Any) -> date | None:
    return date.fromisoformat(str(value)[:10]) if value else None


def as_code(value: Any) -> str:
    """A numeric SAP code as text; -1 and empty mean "none"."""
    return "" if value in (None, "", -1) else str(value)


def cancellation(row: Mapping[str, Any]) -> bool:
    """Whether ``row`` is SAP's cancellation document of another (SAP 9 and later): it copies the cancelled
    document's lines and amounts and is nobody's invoice or delivery."""
    return row.get("CancelStatus") == CANCELLATION


def order_state(row: Mapping[str, Any], invoiced: bool) -> ErpOrderState:
    """An order's state from its lines: how much left (delivered, or invoiced straight from the order) and whether
    an invoice was seen for it."""
    if row.get("Cancelled") == YES:
        return ErpOrderState.CANCELLED
    lines = row.get("DocumentLines") or []
    delivered = sum(
        (as_decimal(line.get("Quantity")) or Decimal(0)) - (as_decimal(line.get("RemainingOpenQuantity")) or 0)
        for line in lines
    )
    still_open = any(
        line.get("LineStatus", OPEN) == OPEN and (as_decimal(line.get("RemainingOpenQuantity")) or 0) > 0
        for line in lines
    )
    if delivered <= 0:
        return ErpOrderState.CLOSED if row.get("DocumentStatus") == CLOSED else ErpOrderState.OPEN
    if still_open and row.get("DocumentStatus") != CLOSED:
        return ErpOrderState.PARTIALLY_SHIPPED
    return ErpOrderState.INVOICED if invoiced else ErpOrderState.SHIPPED


def reversal(entry: ErpLedgerEntry, stamp: datetime | None) -> ErpLedgerEntry:
    """The reversal of a cancelled document's entry: the opposite amount under the same number and text (the portal
    names the kind), dated when SAP last changed the document (the cancellation), nothing left open on either."""
    return ErpLedgerEntry(
        entry_id=f"{entry.entry_id}:cancel",
        customer_code=entry.customer_code,
        posted_on=stamp.date() if stamp is not None else entry.posted_on,
        kind=LedgerKind.ADJUSTMENT,
        amount=-entry.amount,
        currency=entry.currency,
        document_number=entry.document_number,
        description=entry.description,
        open_amount=Decimal(0),
        updated_at=stamp,
    )


def order_ack(reference: str, row: Mapping[str, Any]) -> ErpOrderAck:
    if row.get("draft"):
        # Waiting for approval in SAP: no order number yet; the draft's entry keeps the export idempotent.
        return ErpOrderAck(reference, f"draft:{row['DocEntry']}", "", ErpOrderState.OPEN)
    if row.get("Cancelled") == YES:
        state = ErpOrderState.CANCELLED
    elif row.get("DocumentStatus") == "bost_Close":
        state = ErpOrderState.CLOSED
    else:
        state = ErpOrderState.OPEN
    return ErpOrderAck(reference, str(row["DocEntry"]), _text(row.get("DocNum")), state)


def special_price(
    code: str,
    card: str,
    item: str,
    price: Any,
    discount: Any,
    currency: Any,
    follows_list: bool,
    *,
    local_currency: str,
    valid_from: date | None = None,
    valid_to: date | None = None,
    min_quantity: Decimal = Decimal(1),
) -> ErpCustomerPrice:
    percent = as_decimal(discount) or Decimal(0)
    if follows_list and percent:
        kind, value, currency = "discount", percent, ""
    else:
        kind, value, currency = "fixed_price", as_decimal(price) or Decimal(0), _text(currency) or local_currency
    return ErpCustomerPrice(
        code=code[:64],
        customer_code=card,
        kind=kind,
        value=value,
        product_code=item,
        currency=currency,
        min_quantity=min_quantity,
        valid_from=valid_from,
        valid_to=valid_to,
        note="SAP B1 special price",
    )


def manual_unit(row: Mapping[str, Any]) -> str:
    """The unit of an item outside any unit group (``UoMGroupEntry`` -1), in this order: ``InventoryUOM``, then
    ``SalesUnit`` (items that are not kept in stock, rent or licences, have no inventory unit). The unit feed and the
    products both take it from here."""
    return _text(row.get("InventoryUOM")) or _text(row.get("SalesUnit"))


def within(day: date, start: Any, end: Any) -> bool:
    """Whether ``day`` falls in SAP's window ``start``…``end`` (either may be empty: open)."""
    first, last = as_date(start), as_date(end)
    return (first is None or first <= day) and (last is None or day <= last)


def availability(row: Mapping[str, Any], today: date) -> tuple[bool, str]:
    """Whether an item may be sold ``today``, and the reason (``ErpProduct.inactive_reason``) when not: a
    purchase-only or expense item (``SalesItem`` tNO) is not sold; an item ``Valid`` only from ``ValidFrom`` to
    ``ValidTo`` is inactive outside that window; a ``Frozen`` item is inactive within ``FrozenFrom``…``FrozenTo``
    (always when no dates)."""
    if row.get("SalesItem", YES) != YES:
        return False, "not_sold"
    if row.get("Valid", YES) != YES:
        return False, ""
    if not within(today, row.get("ValidFrom"), row.get("ValidTo")):
        return False, "outside_validity"
    if row.get("Frozen") == YES and within(today, row.get("FrozenFrom"), row.get("FrozenTo")):
        return False, "frozen"
    return True, ""


def item_units(
    row: Mapping[str, Any], groups: Mapping[int, Mapping[str, Any]], units: Mapping[int, str]
) -> tuple[str, tuple[ErpProductUnit, ...]]:
    """An item's inventory unit and its other units with their factor to it. Stock is counted in the inventory
    unit, so that is the portal's base unit; a unit without a code is left out. Items without a unit group take
    ``manual_unit``."""
    manual = manual_unit(row)
    group = groups.get(row.get("UoMGroupEntry"))
    if group is None:
        return manual, ()
    per_base = {}
    for definition in group.get("UoMGroupDefinitionCollection") or []:
        if definition.get("Active", YES) != YES:
            continue
        alternate = as_decimal(definition.get("AlternateQuantity")) or Decimal(1)
        per_base[int(definition["AlternateUoM"])] = (
            as_decimal(definition.get("BaseQuantity")) or Decimal(1)
        ) / alternate
    inventory = row.get("InventoryUoMEntry")
    if inventory in (None, -1):
        inventory = group.get("BaseUoM")
    inventory_factor = per_base.get(inventory, Decimal(1))
    packs = tuple(
        ErpProductUnit(unit=units[entry], factor=as_decimal(factor / inventory_factor))
        for entry, factor in per_base.items()
        if entry != inventory and units.get(entry)
    )
    return units.get(inventory) or manual, packs


# SAP names a partner's addresses per kind: a bill-to and a ship-to address may share a name. The ship-to keeps
# the name as its code (it is what ``ShipToCode`` takes); a bill-to sharing it gets this prefix.
BILL_TO_PREFIX = "B:"


def partner_address(row: Mapping[str, Any], ship_to_names: frozenset[str] = frozenset()) -> ErpAddress:
    name = _text(row.get("AddressName"))
    billing = row.get("AddressType") == "bo_BillTo"
    return ErpAddress(
        code=f"{BILL_TO_PREFIX}{name}" if billing and name in ship_to_names else name,
        name=name,
        line1=_text(row.get("Street")),
        city=_text(row.get("City")),
        kind="billing" if row.get("AddressType") == "bo_BillTo" else "shipping",
        district=_text(row.get("County")),
        postal_code=_text(row.get("ZipCode")),
        country=_text(row.get("Country")) or "TR",
    )


def stamp(row: Mapping[str, Any], zone: ZoneInfo) -> datetime | None:
    """When SAP last changed ``row`` (``UpdateDate`` and ``UpdateTime`` on the company's clock)."""
    day, clock = _text(row.get("UpdateDate"))[:10], _text(row.get("UpdateTime")) or "00:00:00"
    if not day:
        return None
    try:
        return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=zone)
    except ValueError:
        return None


def ledger_document(
    prefix: str, kind: LedgerKind, sign: int, zone: ZoneInfo, local_currency: str, row: Mapping[str, Any]
):
    """An invoice (``sign`` 1) or credit memo (-1) on the customer's account; a cancelled one with its reversal."""
    if cancellation(row):
        return
    total = as_decimal(row.get("DocTotal")) or Decimal(0)
    paid = as_decimal(row.get("PaidToDate")) or Decimal(0)
    cancelled = row.get("Cancelled") == YES
    number = _text(row.get("DocNum"))
    entry = ErpLedgerEntry(
        entry_id=f"{prefix}:{row['DocEntry']}",
        customer_code=_text(row.get("CardCode")),
        posted_on=as_date(row.get("DocDate")),
        kind=kind,
        amount=sign * total,
        currency=currency_of(row.get("DocCurrency"), local_currency),
        document_number=number,
        due_on=as_date(row.get("DocDueDate")) if kind == LedgerKind.INVOICE else None,
        description=_text(row.get("Comments"))[:255],
        open_amount=Decimal(0) if cancelled else sign * min(max(total - paid, Decimal(0)), total),
        updated_at=stamp(row, zone),
    )
    yield entry
    if cancelled:
        yield reversal(entry, stamp(row, zone))


def ledger_payment(zone: ZoneInfo, local_currency: str, row: Mapping[str, Any]):
    """A customer's incoming payment: the sum of its means of payment, as a credit. Open: what it did not apply
    to invoices (unknown when it also applied other documents); later reconciliations in SAP are not seen."""
    total = (as_decimal(row.get("CashSum")) or Decimal(0)) + (as_decimal(row.get("TransferSum")) or Decimal(0))
    total += sum((as_decimal(check.get("CheckSum")) or Decimal(0)) for check in row.get("PaymentChecks") or [])
    total += sum((as_decimal(card.get("CreditSum")) or Decimal(0)) for card in row.get("PaymentCreditCards") or [])
    applied_rows = row.get("PaymentInvoices") or []
    cancelled = row.get("Cancelled") == YES
    if cancelled:
        unapplied: Decimal | None = Decimal(0)
    elif all(applied.get("InvoiceType", "it_Invoice") in ("it_Invoice", INVOICE_TYPE) for applied in applied_rows):
        applied = sum((as_decimal(applied.get("SumApplied")) or Decimal(0)) for applied in applied_rows)
        unapplied = -min(max(total - applied, Decimal(0)), total)
    else:
        unapplied = None
    entry = ErpLedgerEntry(
        entry_id=f"rct:{row['DocEntry']}",
        customer_code=_text(row.get("CardCode")),
        posted_on=as_date(row.get("DocDate")),
        kind=LedgerKind.COLLECTION,
        amount=-total,
        currency=currency_of(row.get("DocCurrency"), local_currency),
        document_number=_text(row.get("DocNum")),
        description=_text(row.get("Remarks"))[:255],
        open_amount=unapplied,
        updated_at=stamp(row, zone),
    )
    yield entry
    if cancelled:
        yield reversal(entry, stamp(row, zone))


def udf_values(wanted: Mapping[str, Any], source: Any) -> dict[str, Any]:
    """The configured UDFs (``order_udfs``/``line_udfs``) with their values: fixed, or ``{"from": field}`` of the
    order or line (dates as ISO dates; an empty field leaves the UDF out, so SAP's own default applies)."""
    values: dict[str, Any] = {}
    for name, given in wanted.items():
        if isinstance(given, Mapping):
            value = getattr(source, given["from"], None)
            if value in (None, ""):
                continue
            values[name] = value.isoformat() if isinstance(value, date) else value
        else:
            values[name] = given
    return values


def line_price(line: ErpOrderLine) -> dict[str, Any]:
    """List price and discount when they give exactly the dealer's net price (SAP rounds the discounted price
    to cents, as the portal does); the net price as it is otherwise."""
    if line.list_price and line.discount_percent:
        discounted = line.list_price * (1 - line.discount_percent / 100)
        if discounted.quantize(Decimal("0.01"), ROUND_HALF_UP) == line.unit_price:
            return {"UnitPrice": line.list_price, "DiscountPercent": line.discount_percent}
    return {"UnitPrice": line.unit_price}


# The tax code of items without a sales VAT group when the connection names none: the *Tax code* value map may
# give it a rate.
NO_VAT_GROUP = "*"


def product_record(
    row: Mapping[str, Any],
    groups: Mapping[int, Mapping[str, Any]],
    units: Mapping[int, str],
    *,
    today: date,
    default_vat_group: str = "",
) -> ErpProduct:
    """An item as a product, in its inventory unit with its unit group's other units; sold or not ``today``
    (``availability``). An item without ``SalesVATGroup`` (SAP takes VAT from the customer or tax determination)
    gets ``default_vat_group``, else ``NO_VAT_GROUP``."""
    base, packs = item_units(row, groups, units)
    active, reason = availability(row, today)
    return ErpProduct(
        code=row["ItemCode"],
        name=_text(row.get("ItemName")),
        unit=base,
        name_en=_text(row.get("ForeignName")),
        tax_code=_text(row.get("SalesVATGroup")) or default_vat_group or NO_VAT_GROUP,
        barcode=_text(row.get("BarCode")),
        batch_managed=row.get("ManageBatchNumbers") == YES or row.get("ManageSerialNumbers") == YES,
        active=active,
        units=packs,
        inactive_reason=reason,
    )


def special_prices(row: Mapping[str, Any], local_currency: str) -> Iterator[ErpCustomerPrice]:
    """The agreements of one special price row: its own price, then one per period and per volume row. Rows for every
    customer of a price list (``CardCode`` ``*n``) and invalid rows give none."""
    card, item = _text(row.get("CardCode")), _text(row.get("ItemCode"))
    if not card or card.startswith("*") or row.get("Valid", YES) != YES:
        return
    follows_list = row.get("AutoUpdate") == YES
    key = f"{card}|{item}"
    yield special_price(
        key, card, item, row.get("Price"), row.get("DiscountPercent"), row.get("Currency"), follows_list,
        local_currency=local_currency, valid_from=as_date(row.get("ValidFrom")), valid_to=as_date(row.get("ValidTo")),
    )  # fmt: skip
    for area in row.get("SpecialPriceDataAreas") or []:
        number = _text(area.get("RowNumber"))
        window = {
            "valid_from": as_date(area.get("DateFrom")),
            "valid_to": as_date(area.get("Dateto")),
            "local_currency": local_currency,
        }
        yield special_price(
            f"{key}|{number}", card, item, area.get("SpecialPrice"), area.get("Discount"),
            area.get("PriceCurrency"), follows_list, **window,
        )  # fmt: skip
        for volume in area.get("SpecialPriceQuantityAreas") or []:
            quantity = as_decimal(volume.get("Quantity")) or Decimal(1)
            # A volume row's discount is spelled ``Discountin`` in the Service Layer (SpecialPriceQuantityArea).
            yield special_price(
                f"{key}|{number}|{quantity}", card, item, volume.get("SpecialPrice"),
                volume.get("Discountin"), volume.get("PriceCurrency"), follows_list,
                min_quantity=quantity, **window,
            )  # fmt: skip


def currency_of(value: Any, local_currency: str) -> str:
    """A currency SAP names, else the company's local one; ``##`` (a customer trading in all currencies) is the
    local one too."""
    code = _text(value)
    return local_currency if code in ("", "##") else code


def partner_addresses(rows: list[Mapping[str, Any]]) -> tuple[ErpAddress, ...]:
    ship_to = frozenset(_text(row.get("AddressName")) for row in rows if row.get("AddressType") != "bo_BillTo")
    return tuple(partner_address(row, ship_to) for row in rows)


def customer_record(row: Mapping[str, Any], local_currency: str) -> ErpCustomer:
    return ErpCustomer(
        code=row["CardCode"],
        title=_text(row.get("CardName")),
        tax_number=_text(row.get("FederalTaxID")),
        email=_text(row.get("EmailAddress")),
        phone=_text(row.get("Phone1")),
        currency=currency_of(row.get("Currency"), local_currency),
        price_list_code=as_code(row.get("PriceListNum")),
        payment_terms_code=as_code(row.get("PayTermsGrpCode")),
        sales_rep_code=as_code(row.get("SalesPersonCode")),
        active=row.get("Valid", YES) == YES,
        addresses=partner_addresses(row.get("BPAddresses") or []),
    )


def balance_record(row: Mapping[str, Any], as_of: datetime, local_currency: str) -> ErpBalance:
    return ErpBalance(
        customer_code=row["CardCode"],
        balance=as_decimal(row.get("CurrentAccountBalance")) or Decimal(0),
        currency=currency_of(row.get("Currency"), local_currency),
        open_orders=as_decimal(row.get("OpenOrdersBalance")),
        as_of=as_of,
    )


def credit_record(row: Mapping[str, Any], as_of: datetime) -> ErpCredit:
    return ErpCredit(
        customer_code=row["CardCode"],
        credit_limit=as_decimal(row.get("CreditLimit")) or Decimal(0),
        hold=row.get("Frozen") == YES,
        hold_reason=_text(row.get("FrozenRemarks")) if row.get("Frozen") == YES else "",
        as_of=as_of,
    )


def document_line(
    line: Mapping[str, Any], *, currency: str, local_currency: str, order_line: tuple[int, int] | None
) -> ErpDocumentLine:
    """One ``DocumentLines`` row of a delivery note, invoice or credit note in the document's ``currency``.

    SAP keeps ``LineTotal`` and ``TaxTotal`` in the company's local currency and ``RowTotalFC`` in the document's
    when that is foreign; a line priced in a third currency (``Currency`` neither) has no unit price the document's
    currency can show, so it is left out. ``LineNum`` counts from 0; the portal numbers lines from 1, as it numbered
    the order's lines it sent (``order_line``: the order's DocEntry and LineNum this line was copied from)."""
    foreign = currency != local_currency
    line_currency = currency_of(line.get("Currency"), currency)
    net = as_decimal(line.get("RowTotalFC") if foreign else line.get("LineTotal"))
    vat = None if foreign else as_decimal(line.get("TaxTotal"))
    unit = _text(line.get("UoMCode"))
    return ErpDocumentLine(
        line_no=int(line.get("LineNum") or 0) + 1,
        quantity=as_decimal(line.get("Quantity")) or Decimal(0),
        product_code=_text(line.get("ItemCode")),
        description=_text(line.get("ItemDescription")),
        unit="" if unit == "Manual" else unit,
        unit_price=as_decimal(line.get("UnitPrice")) if line_currency == currency else None,
        discount_percent=as_decimal(line.get("DiscountPercent")),
        vat_rate=as_decimal(line.get("TaxPercentagePerRow")),
        net=net,
        vat=vat,
        order_line_no=order_line[1] + 1 if order_line else None,
    )
