"""The in-memory SAP Business One company behind the simulated Service Layer.

Entities are kept as the JSON objects the Service Layer (v1) shows: field names and enum spellings as SAP documents
them (``tYES``/``tNO``, ``bost_Open``/``bost_Close``, ``cCustomer``…), dates as
``'YYYY-MM-DD'`` and times as ``'HH:MM:SS'``. Every write goes through a method of ``Company`` so the business effects
happen in one place:

- an order commits stock (``Committed`` up per warehouse); a delivery based on it takes stock out (``InStock`` and
  ``Committed`` down), lowers the order line's ``RemainingOpenQuantity`` and closes the order when all is delivered;
  ``Cancel``/``Close`` release what is still committed;
- invoices raise, credit notes and incoming payments lower the customer's ``CurrentAccountBalance``; a payment raises
  the invoice's ``PaidToDate`` and closes it when paid in full; a credit note copied from an invoice is applied to
  it the same way (up to what the invoice still owes; the credit note's own ``PaidToDate`` is what it applied, and it
  closes when applied in full), and cancelling the credit note takes that back;
- every change stamps ``UpdateDate``/``UpdateTime`` from ``company.clock`` and bumps the entity's ETag.

Choices where the protocol notes are UNCONFIRMED (each is a flag on ``Company``):

- stock moved by documents does not bump the item's ``UpdateDate`` (``stock_bumps_item_update = False``);
- balance changes do not bump the business partner's ``UpdateDate``;
- a credit note copied from an invoice raises the invoice's ``PaidToDate`` (the internal reconciliation SAP makes);
- incoming payments carry ``UpdateDate``/``UpdateTime`` like documents (whether the Service Layer's Payment entity
  shows them is not confirmed);
- business-rule refusals answer HTTP 400 with code ``-10`` (``BUSINESS_ERROR``), the generic code the Service Layer
  uses for DI-API messages; -2028 / -2035 / -2039 / 301 are the documented ones.

Not simulated: journal entries, exchange rates (documents take the customer's currency at rate 1), bin locations,
serial-number identity (serial numbers are only counted), freight and rounding rules.
"""

from __future__ import annotations

import copy
import hashlib
import random
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from stdnum.tr import vkn

# Error codes the protocol notes document; BUSINESS_ERROR is the simulator's choice for validation refusals.
NOT_FOUND = -2028
DUPLICATE = -2035
ETAG_CONFLICT = -2039
INVALID_SESSION = 301
LOGIN_FAILED = 100000027
BUSINESS_ERROR = -10
BAD_REQUEST = -1000

YES, NO = "tYES", "tNO"
OPEN, CLOSED = "bost_Open", "bost_Close"

# BoObjectTypes of the marketing documents (used in BaseType on copied lines).
ORDER, DELIVERY, INVOICE, CREDIT_NOTE = 17, 15, 13, 14


class B1Error(Exception):
    """An error the Service Layer answers with ``{"error": {"code", "message": {"lang", "value"}}}``."""

    def __init__(self, status: int, code: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"error": {"code": self.code, "message": {"lang": "en-us", "value": self.message}}}


def not_found() -> B1Error:
    return B1Error(404, NOT_FOUND, "No matching records found (ODBC -2028)")


def refuse(message: str) -> B1Error:
    return B1Error(400, BUSINESS_ERROR, message)


class Clock:
    """The company's idea of "now" for ``UpdateDate``/``UpdateTime`` and default document dates.

    Runs with the wall clock of the company's zone (local times without a zone, as SAP stores them) until ``set``
    freezes it; ``advance`` moves a frozen clock (or shifts a running one).
    """

    def __init__(self, zone: str = "Europe/Istanbul") -> None:
        self.zone = ZoneInfo(zone)
        self._frozen: datetime | None = None
        self._offset = timedelta()

    def now(self) -> datetime:
        if self._frozen is not None:
            return self._frozen
        return datetime.now(self.zone).replace(tzinfo=None, microsecond=0) + self._offset

    def set(self, when: datetime) -> None:
        self._frozen = when.replace(microsecond=0)

    def advance(self, delta: timedelta) -> None:
        if self._frozen is not None:
            self._frozen += delta
        else:
            self._offset += delta

    def unfreeze(self) -> None:
        self._frozen = None
        self._offset = timedelta()


def day(value: date | datetime) -> str:
    return value.strftime("%Y-%m-%d")


def clock_time(value: datetime) -> str:
    return value.strftime("%H:%M:%S")


def money(value: float) -> float:
    return round(float(value) + 0.0, 2)


def qty(value: float) -> float:
    return round(float(value) + 0.0, 6)


# ---------------------------------------------------------------------------------------------------------------
# Templates: one full entity with every field the simulator knows, so $select/$filter can check names even on an
# empty collection and every created entity carries the same keys.


def item_template() -> dict[str, Any]:
    return {
        "ItemCode": None,
        "ItemName": None,
        "ForeignName": None,
        "ItemsGroupCode": 100,
        "BarCode": None,
        "ItemType": "itItems",
        "SalesItem": YES,
        "InventoryItem": YES,
        "PurchaseItem": YES,
        "Valid": YES,
        "ValidFrom": None,
        "ValidTo": None,
        "Frozen": NO,
        "FrozenFrom": None,
        "FrozenTo": None,
        "SalesVATGroup": "S1",
        "ArTaxCode": None,
        "VatLiable": YES,
        "TaxType": "tt_Yes",
        "SalesUnit": "Pcs",
        "SalesItemsPerUnit": 1.0,
        "SalesPackagingUnit": None,
        "SalesQtyPerPackUnit": 1.0,
        "InventoryUOM": "Pcs",
        "UoMGroupEntry": -1,
        "InventoryUoMEntry": -1,
        "DefaultSalesUoMEntry": None,
        "ManageBatchNumbers": NO,
        "ManageSerialNumbers": NO,
        "ManageStockByWarehouse": YES,
        "QuantityOnStock": 0.0,
        "QuantityOrderedByCustomers": 0.0,
        "QuantityOrderedFromVendors": 0.0,
        "DefaultWarehouse": "01",
        "ItemPrices": [],
        "ItemWarehouseInfoCollection": [],
        "ItemUnitOfMeasurementCollection": [],
        "CreateDate": None,
        "CreateTime": None,
        "UpdateDate": None,
        "UpdateTime": None,
    }


def item_price_template() -> dict[str, Any]:
    return {
        "PriceList": None,
        "PriceListName": None,
        "Price": 0.0,
        "Currency": "TRY",
        "AdditionalPrice1": 0.0,
        "AdditionalCurrency1": None,
        "AdditionalPrice2": 0.0,
        "AdditionalCurrency2": None,
        "BasePriceList": None,
        "Factor": 1.0,
        "UoMPrices": [],
    }


def warehouse_info_template() -> dict[str, Any]:
    return {
        "WarehouseCode": None,
        "InStock": 0.0,
        "Committed": 0.0,
        "Ordered": 0.0,
        "Locked": NO,
        "MinimalStock": 0.0,
        "MaximalStock": 0.0,
        "MinimalOrder": 0.0,
    }


def warehouse_template() -> dict[str, Any]:
    return {
        "WarehouseCode": None,
        "WarehouseName": None,
        "Inactive": NO,
        "DropShip": NO,
        "Nettable": YES,
        "EnableBinLocations": NO,
    }


def price_list_template() -> dict[str, Any]:
    return {
        "PriceListNo": None,
        "PriceListName": None,
        "BasePriceList": None,
        "Factor": 1.0,
        "RoundingMethod": "borm_NoRounding",
        "GroupNum": "pgum_1",
        "IsGrossPrice": NO,
        "Active": YES,
        "ValidFrom": None,
        "ValidTo": None,
        "DefaultPrimeCurrency": "TRY",
    }


def special_price_template() -> dict[str, Any]:
    return {
        "ItemCode": None,
        "CardCode": None,
        "Price": 0.0,
        "Currency": "TRY",
        "DiscountPercent": 0.0,
        "PriceListNum": None,
        "AutoUpdate": NO,
        "SourcePrice": "spp_Price",
        "Valid": YES,
        "ValidFrom": None,
        "ValidTo": None,
        "SpecialPriceDataAreas": [],
    }


def uom_group_template() -> dict[str, Any]:
    return {"AbsEntry": None, "Code": None, "Name": None, "BaseUoM": None, "UoMGroupDefinitionCollection": []}


def uom_template() -> dict[str, Any]:
    return {"AbsEntry": None, "Code": None, "Name": None}


def business_partner_template() -> dict[str, Any]:
    return {
        "CardCode": None,
        "CardName": None,
        "CardForeignName": None,
        "CardType": "cCustomer",
        "GroupCode": 100,
        "FederalTaxID": None,
        "AdditionalID": None,
        "VatGroup": None,
        "Currency": "TRY",
        "EmailAddress": None,
        "Phone1": None,
        "CurrentAccountBalance": 0.0,
        "OpenDeliveryNotesBalance": 0.0,
        "OpenOrdersBalance": 0.0,
        "OpenChecksBalance": 0.0,
        "CreditLimit": 0.0,
        "MaxCommitment": 0.0,
        "DiscountPercent": 0.0,
        "PayTermsGrpCode": -1,
        "PriceListNum": 1,
        "SalesPersonCode": -1,
        "Frozen": NO,
        "FrozenFrom": None,
        "FrozenTo": None,
        "FrozenRemarks": None,
        "Valid": YES,
        "Block": NO,
        "BPAddresses": [],
        "ContactEmployees": [],
        "CreateDate": None,
        "CreateTime": None,
        "UpdateDate": None,
        "UpdateTime": None,
    }


def address_template() -> dict[str, Any]:
    return {
        "AddressName": None,
        "Street": None,
        "Block": None,
        "ZipCode": None,
        "City": None,
        "County": None,
        "Country": "TR",
        "State": None,
        "AddressType": "bo_ShipTo",
        "BPCode": None,
        "RowNum": 0,
    }


def document_template() -> dict[str, Any]:
    return {
        "DocEntry": None,
        "DocNum": None,
        "DocType": "dDocument_Items",
        "DocObjectCode": None,
        "CardCode": None,
        "CardName": None,
        "NumAtCard": None,
        "DocDate": None,
        "DocDueDate": None,
        "TaxDate": None,
        "DocCurrency": "TRY",
        "DocRate": 1.0,
        "Comments": None,
        "DiscountPercent": 0.0,
        "TotalDiscount": 0.0,
        "DocTotal": 0.0,
        "VatSum": 0.0,
        "PaidToDate": 0.0,
        "DocumentStatus": OPEN,
        "Cancelled": NO,
        "CancelStatus": "csNo",
        "TrackingNumber": None,
        "Series": 1,
        "ShipToCode": None,
        "PayToCode": None,
        "SalesPersonCode": -1,
        "CreationDate": None,
        "UpdateDate": None,
        "UpdateTime": None,
        "DocumentLines": [],
        "DocumentReferences": [],
    }


def document_line_template() -> dict[str, Any]:
    return {
        "LineNum": None,
        "ItemCode": None,
        "ItemDescription": None,
        "Quantity": 0.0,
        "UnitPrice": 0.0,
        "Price": 0.0,
        "PriceAfterVAT": 0.0,
        "DiscountPercent": 0.0,
        "Currency": "TRY",
        "WarehouseCode": None,
        "VatGroup": None,
        "TaxCode": None,
        "LineTotal": 0.0,
        "TaxTotal": 0.0,
        "UoMEntry": -1,
        "UoMCode": "Manual",
        "InventoryQuantity": 0.0,
        "LineStatus": OPEN,
        "RemainingOpenQuantity": 0.0,
        "BaseType": -1,
        "BaseEntry": None,
        "BaseLine": None,
        "ShipDate": None,
        "BatchNumbers": [],
        "SerialNumbers": [],
        "AccountCode": None,
    }


def payment_template() -> dict[str, Any]:
    return {
        "DocEntry": None,
        "DocNum": None,
        "DocType": "rCustomer",
        "CardCode": None,
        "CardName": None,
        "DocDate": None,
        "DocCurrency": "TRY",
        "CashSum": 0.0,
        "CashAccount": None,
        "TransferSum": 0.0,
        "TransferAccount": None,
        "TransferDate": None,
        "TransferReference": None,
        "CounterReference": None,
        "Remarks": None,
        "JournalRemarks": None,
        "Cancelled": NO,
        "UpdateDate": None,
        "UpdateTime": None,
        "PaymentInvoices": [],
        "PaymentChecks": [],
        "PaymentCreditCards": [],
    }


def payment_invoice_template() -> dict[str, Any]:
    return {
        "LineNum": None,
        "DocEntry": None,
        "SumApplied": 0.0,
        "AppliedFC": 0.0,
        "InvoiceType": "it_Invoice",
        "InstallmentId": 1,
        "DiscountPercent": 0.0,
    }


# ---------------------------------------------------------------------------------------------------------------
# Entity sets


@dataclass(frozen=True)
class EntitySet:
    """How one Service Layer entity set maps onto the company: where it lives, its key, what may be done to it."""

    name: str
    attr: str
    keys: tuple[str, ...]
    template: Callable[[], dict[str, Any]]
    type_name: str
    creatable: bool = True
    patchable: bool = True
    actions: frozenset[str] = frozenset()

    @property
    def fields(self) -> list[str]:
        return list(self.template())


DOCUMENT_ACTIONS = frozenset({"Cancel", "Close", "Reopen"})
ENTITY_SETS: dict[str, EntitySet] = {
    entity_set.name: entity_set
    for entity_set in (
        EntitySet("Items", "items", ("ItemCode",), item_template, "Item"),
        EntitySet("Warehouses", "warehouses", ("WarehouseCode",), warehouse_template, "Warehouse"),
        EntitySet("PriceLists", "price_lists", ("PriceListNo",), price_list_template, "PriceList"),
        EntitySet("SpecialPrices", "special_prices", ("CardCode", "ItemCode"), special_price_template, "SpecialPrice"),
        EntitySet("UnitOfMeasurementGroups", "uom_groups", ("AbsEntry",), uom_group_template, "UnitOfMeasurementGroup"),
        EntitySet("UnitOfMeasurements", "uoms", ("AbsEntry",), uom_template, "UnitOfMeasurement"),
        EntitySet("BusinessPartners", "business_partners", ("CardCode",), business_partner_template, "BusinessPartner"),
        EntitySet("Orders", "orders", ("DocEntry",), document_template, "Document", actions=DOCUMENT_ACTIONS),
        EntitySet(
            "DeliveryNotes", "delivery_notes", ("DocEntry",), document_template, "Document", actions=DOCUMENT_ACTIONS
        ),
        EntitySet("Invoices", "invoices", ("DocEntry",), document_template, "Document", actions=DOCUMENT_ACTIONS),
        EntitySet(
            "CreditNotes", "credit_notes", ("DocEntry",), document_template, "Document", actions=DOCUMENT_ACTIONS
        ),
        EntitySet("Drafts", "drafts", ("DocEntry",), document_template, "Document", patchable=False, creatable=False),
        EntitySet(
            "IncomingPayments",
            "incoming_payments",
            ("DocEntry",),
            payment_template,
            "Payment",
            patchable=False,
            actions=frozenset({"Cancel"}),
        ),
    )
}

DOCUMENT_SETS = {"Orders": ORDER, "DeliveryNotes": DELIVERY, "Invoices": INVOICE, "CreditNotes": CREDIT_NOTE}
SET_OF_TYPE = {number: name for name, number in DOCUMENT_SETS.items()}
OBJECT_CODES = {"Orders": "oOrders", "DeliveryNotes": "oDeliveryNotes", "Invoices": "oInvoices",
                "CreditNotes": "oCreditNotes", "Drafts": "oOrders"}  # fmt: skip
# Read-only on PATCH: keys, numbering, status and the sums the company computes.
READ_ONLY = frozenset(
    {
        "DocEntry", "DocNum", "DocObjectCode", "DocumentStatus", "Cancelled", "CancelStatus", "DocTotal", "VatSum",
        "PaidToDate", "CreationDate", "UpdateDate", "UpdateTime", "CreateDate", "CreateTime", "CurrentAccountBalance",
        "OpenDeliveryNotesBalance", "OpenOrdersBalance", "OpenChecksBalance", "QuantityOnStock",
        "QuantityOrderedByCustomers", "QuantityOrderedFromVendors",
    }
)  # fmt: skip


def _merge(template: dict[str, Any], payload: dict[str, Any], what: str) -> dict[str, Any]:
    unknown = sorted(set(payload) - set(template))
    if unknown:
        raise B1Error(400, BAD_REQUEST, f"Property '{unknown[0]}' of '{what}' is invalid")
    merged = template
    merged.update(copy.deepcopy(payload))
    return merged


def _new_line(given: Any, number: int) -> dict[str, Any]:
    if not isinstance(given, dict):
        raise B1Error(400, BAD_REQUEST, "DocumentLines must hold objects")
    line = _merge(document_line_template(), given, "DocumentLine")
    line["LineNum"] = number
    return line


def _is_date(value: Any) -> bool:
    try:
        date.fromisoformat(str(value)[:10])
    except ValueError:
        return False
    return True


def _number(payload: dict[str, Any], name: str, default: float = 0.0) -> float:
    value = payload.get(name, default)
    if value is None:
        return default
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise B1Error(400, BAD_REQUEST, f"Property '{name}' has an invalid value {value!r}") from exc


class Company:
    """One company database (``CompanyDB``) held in memory; thread-safe through ``lock``.

    The collections are plain dicts keyed like the Service Layer keys them (``items['A0001']``, ``orders[12]``,
    ``special_prices[('C0001', 'A0001')]``). Read them freely in tests; write through the methods.
    """

    def __init__(self, name: str = "SBODEMOTR", *, currency: str = "TRY") -> None:
        self.name = name
        self.currency = currency
        self.clock = Clock()
        self.lock = threading.RLock()
        self.items: dict[str, dict[str, Any]] = {}
        self.warehouses: dict[str, dict[str, Any]] = {}
        self.price_lists: dict[int, dict[str, Any]] = {}
        self.special_prices: dict[tuple[str, str], dict[str, Any]] = {}
        self.uom_groups: dict[int, dict[str, Any]] = {}
        self.uoms: dict[int, dict[str, Any]] = {}
        self.business_partners: dict[str, dict[str, Any]] = {}
        self.orders: dict[int, dict[str, Any]] = {}
        self.delivery_notes: dict[int, dict[str, Any]] = {}
        self.invoices: dict[int, dict[str, Any]] = {}
        self.credit_notes: dict[int, dict[str, Any]] = {}
        self.drafts: dict[int, dict[str, Any]] = {}
        self.incoming_payments: dict[int, dict[str, Any]] = {}
        # VAT groups with their rate in percent (the Service Layer exposes them as VatGroups; here they only price).
        self.vat_groups: dict[str, float] = {"S0": 0.0, "S1": 20.0, "S2": 10.0, "S3": 1.0}
        self.stock_bumps_item_update = False
        # When set, Orders POST creates a Draft (approval procedure) instead of the order; see ``create``.
        self.approval_required = False
        self._versions: dict[tuple[str, Any], int] = {}
        # Credit note DocEntry → [(invoice DocEntry, amount applied)]: taken back when the credit note is cancelled.
        self._credit_applied: dict[int, list[tuple[int, float]]] = {}
        # Each object type numbers its own DocEntry and DocNum, the way ONNM series do.
        numbered = (*DOCUMENT_SETS, "Drafts", "IncomingPayments")
        self._doc_entry = dict.fromkeys(numbered, 0)
        self._doc_num = {name: 1000 * (i + 1) for i, name in enumerate(numbered)}

    # -- generic access -------------------------------------------------------------------------------------------

    def collection(self, set_name: str) -> dict[Any, dict[str, Any]]:
        return getattr(self, ENTITY_SETS[set_name].attr)

    def get(self, set_name: str, key: Any) -> dict[str, Any]:
        """The entity under ``key`` or a 404 / -2028 error."""
        entity = self.collection(set_name).get(key)
        if entity is None:
            raise not_found()
        return entity

    def etag(self, set_name: str, key: Any) -> str:
        version = self._versions.get((set_name, key), 0)
        digest = hashlib.sha1(f"{set_name}:{key}:{version}".encode(), usedforsecurity=False).hexdigest()
        return f'W/"{digest}"'

    def stamp(
        self, set_name: str, key: Any, entity: dict[str, Any], *, created: bool = False, when: datetime | None = None
    ) -> None:
        """Record a change: ``UpdateDate``/``UpdateTime`` from the clock (or ``when``) and a new ETag."""
        now = when.replace(microsecond=0) if when is not None else self.clock.now()
        self._versions[(set_name, key)] = self._versions.get((set_name, key), 0) + 1
        if "UpdateDate" in entity:
            entity["UpdateDate"] = day(now)
            entity["UpdateTime"] = clock_time(now)
        if created:
            if "CreateDate" in entity:
                entity["CreateDate"] = day(now)
                entity["CreateTime"] = clock_time(now)
            if "CreationDate" in entity:
                entity["CreationDate"] = day(now)

    # -- master data ----------------------------------------------------------------------------------------------

    def add_warehouse(self, payload: dict[str, Any]) -> dict[str, Any]:
        warehouse = _merge(warehouse_template(), payload, "Warehouse")
        code = warehouse["WarehouseCode"]
        if not code:
            raise refuse("Enter a warehouse code")
        if code in self.warehouses:
            raise B1Error(400, DUPLICATE, "This entry already exists in the following tables (OWHS)")
        self.warehouses[code] = warehouse
        self.stamp("Warehouses", code, warehouse, created=True)
        for item in self.items.values():
            self._warehouse_info(item, code)
        return warehouse

    def add_price_list(self, payload: dict[str, Any]) -> dict[str, Any]:
        price_list = _merge(price_list_template(), payload, "PriceList")
        number = price_list["PriceListNo"]
        if number is None:
            number = price_list["PriceListNo"] = max(self.price_lists, default=0) + 1
        if number in self.price_lists:
            raise B1Error(400, DUPLICATE, "This entry already exists in the following tables (OPLN)")
        self.price_lists[number] = price_list
        self.stamp("PriceLists", number, price_list, created=True)
        return price_list

    def add_uom(self, abs_entry: int, code: str, name: str | None = None) -> dict[str, Any]:
        uom = {"AbsEntry": abs_entry, "Code": code, "Name": name or code}
        self.uoms[abs_entry] = uom
        return uom

    def add_uom_group(self, payload: dict[str, Any]) -> dict[str, Any]:
        group = _merge(uom_group_template(), payload, "UnitOfMeasurementGroup")
        entry = group["AbsEntry"]
        if entry is None:
            entry = group["AbsEntry"] = max(self.uom_groups, default=0) + 1
        if entry in self.uom_groups:
            raise B1Error(400, DUPLICATE, "This entry already exists in the following tables (OUGP)")
        for definition in group["UoMGroupDefinitionCollection"]:
            definition.setdefault("BaseQuantity", 1.0)
            definition.setdefault("Active", YES)
        self.uom_groups[entry] = group
        self.stamp("UnitOfMeasurementGroups", entry, group, created=True)
        return group

    def add_item(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Create an item; every warehouse gets a stock row and missing price lists a zero price (as B1 does)."""
        item = _merge(item_template(), payload, "Item")
        code = item["ItemCode"]
        if not code:
            raise refuse("Enter an item code")
        if code in self.items:
            raise B1Error(400, DUPLICATE, "This entry already exists in the following tables (OITM)")
        prices = []
        for given in item["ItemPrices"]:
            price = item_price_template()
            price.update(given)
            prices.append(price)
        listed = {price["PriceList"] for price in prices}
        for number, price_list in self.price_lists.items():
            if number not in listed:
                prices.append({**item_price_template(), "PriceList": number, "Currency": self.currency})
            for price in prices:
                if price["PriceList"] == number:
                    price["PriceListName"] = price_list["PriceListName"]
        item["ItemPrices"] = sorted(prices, key=lambda price: price["PriceList"] or 0)
        rows = []
        for given in item["ItemWarehouseInfoCollection"]:
            if given.get("WarehouseCode") not in self.warehouses:
                raise refuse(f"Invalid warehouse code '{given.get('WarehouseCode')}'")
            row = warehouse_info_template()
            row.update(given)
            rows.append(row)
        item["ItemWarehouseInfoCollection"] = rows
        for warehouse in self.warehouses:
            self._warehouse_info(item, warehouse)
        self._recount_item(item)
        self.items[code] = item
        self.stamp("Items", code, item, created=True)
        return item

    def add_business_partner(self, payload: dict[str, Any]) -> dict[str, Any]:
        partner = _merge(business_partner_template(), payload, "BusinessPartner")
        code = partner["CardCode"]
        if not code:
            raise refuse("Enter a BP code")
        if code in self.business_partners:
            raise B1Error(400, DUPLICATE, "This entry already exists in the following tables (OCRD)")
        if partner["CardType"] not in {"cCustomer", "cSupplier", "cLid"}:
            raise B1Error(400, BAD_REQUEST, f"Property 'CardType' has an invalid value {partner['CardType']!r}")
        if partner["PriceListNum"] not in self.price_lists and self.price_lists:
            raise refuse(f"Invalid price list {partner['PriceListNum']}")
        addresses = []
        for row, given in enumerate(partner["BPAddresses"]):
            address = address_template()
            address.update(given)
            address["BPCode"] = code
            address["RowNum"] = row
            addresses.append(address)
        partner["BPAddresses"] = addresses
        self.business_partners[code] = partner
        self.stamp("BusinessPartners", code, partner, created=True)
        return partner

    def add_special_price(self, payload: dict[str, Any]) -> dict[str, Any]:
        special = _merge(special_price_template(), payload, "SpecialPrice")
        key = (special["CardCode"], special["ItemCode"])
        if special["ItemCode"] not in self.items:
            raise refuse(f"Invalid item code '{special['ItemCode']}'")
        if special["CardCode"] not in self.business_partners:
            raise refuse(f"Invalid BP code '{special['CardCode']}'")
        if key in self.special_prices:
            raise B1Error(400, DUPLICATE, "This entry already exists in the following tables (OSPP)")
        self.special_prices[key] = special
        self.stamp("SpecialPrices", key, special, created=True)
        return special

    def _warehouse_info(self, item: dict[str, Any], warehouse: str) -> dict[str, Any]:
        for row in item["ItemWarehouseInfoCollection"]:
            if row["WarehouseCode"] == warehouse:
                return row
        row = {**warehouse_info_template(), "WarehouseCode": warehouse}
        item["ItemWarehouseInfoCollection"].append(row)
        return row

    def _recount_item(self, item: dict[str, Any]) -> None:
        rows = item["ItemWarehouseInfoCollection"]
        item["QuantityOnStock"] = qty(sum(row["InStock"] for row in rows))
        item["QuantityOrderedByCustomers"] = qty(sum(row["Committed"] for row in rows))
        item["QuantityOrderedFromVendors"] = qty(sum(row["Ordered"] for row in rows))

    def move_stock(self, item_code: str, warehouse: str, *, in_stock: float = 0.0, committed: float = 0.0) -> None:
        """Change an item's stock row; bumps the item's UpdateDate only if ``stock_bumps_item_update``."""
        item = self.items[item_code]
        if item["InventoryItem"] != YES:
            return
        row = self._warehouse_info(item, warehouse)
        row["InStock"] = qty(row["InStock"] + in_stock)
        row["Committed"] = qty(row["Committed"] + committed)
        self._recount_item(item)
        if self.stock_bumps_item_update:
            self.stamp("Items", item_code, item)

    def price_for(self, card_code: str, item_code: str, on: date) -> tuple[float, float, str]:
        """(unit price, discount %, currency) the company would propose: a valid special price, else the BP's list."""
        partner = self.business_partners[card_code]
        special = self.special_prices.get((card_code, item_code))
        if special and special["Valid"] == YES:
            starts, ends = special["ValidFrom"], special["ValidTo"]
            if (not starts or starts[:10] <= day(on)) and (not ends or ends[:10] >= day(on)):
                return special["Price"], special["DiscountPercent"], special["Currency"]
        for price in self.items[item_code]["ItemPrices"]:
            if price["PriceList"] == partner["PriceListNum"]:
                return price["Price"], 0.0, price["Currency"] or self.currency
        return 0.0, 0.0, partner["Currency"] or self.currency

    # -- generic create / patch / actions (the HTTP layer calls these) ---------------------------------------------

    def create(self, set_name: str, payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Create in ``set_name``; returns (the set it landed in, the entity). Orders may land in Drafts."""
        if not isinstance(payload, dict):
            raise B1Error(400, BAD_REQUEST, "The request body must be a JSON object")
        creators: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "Items": self.add_item,
            "Warehouses": self.add_warehouse,
            "PriceLists": self.add_price_list,
            "SpecialPrices": self.add_special_price,
            "UnitOfMeasurementGroups": self.add_uom_group,
            "BusinessPartners": self.add_business_partner,
            "IncomingPayments": self.add_incoming_payment,
        }
        if set_name in creators:
            return set_name, creators[set_name](payload)
        if set_name == "Orders" and self.approval_required:
            return "Drafts", self.add_document("Drafts", payload)
        if set_name in DOCUMENT_SETS:
            return set_name, self.add_document(set_name, payload)
        raise B1Error(405, BAD_REQUEST, f"Creating {set_name} is not supported")

    def patch(self, set_name: str, key: Any, payload: dict[str, Any], *, replace_collections: bool = False) -> None:
        """Update fields of an entity (PATCH). Collections merge by their row key unless ``replace_collections``.

        Refused: read-only fields (numbering, status, computed sums), unknown fields, closed or cancelled documents.
        Order line quantity changes move the committed stock by the difference.
        """
        if not isinstance(payload, dict):
            raise B1Error(400, BAD_REQUEST, "The request body must be a JSON object")
        entity_set = ENTITY_SETS[set_name]
        entity = self.get(set_name, key)
        if not entity_set.patchable:
            raise B1Error(405, BAD_REQUEST, f"Updating {set_name} is not supported")
        unknown = sorted(set(payload) - set(entity))
        if unknown:
            raise B1Error(400, BAD_REQUEST, f"Property '{unknown[0]}' of '{entity_set.type_name}' is invalid")
        blocked = sorted((set(payload) & READ_ONLY) | (set(payload) & set(entity_set.keys)))
        if blocked:
            raise refuse(f"Field '{blocked[0]}' cannot be updated")
        if set_name in DOCUMENT_SETS:
            self._patch_document(set_name, entity, payload, replace_collections)
        else:
            for name, value in payload.items():
                if isinstance(entity.get(name), list):
                    entity[name] = self._patched_rows(set_name, name, entity[name], value, replace_collections)
                else:
                    entity[name] = copy.deepcopy(value)
            if set_name == "Items":
                self._recount_item(entity)
        self.stamp(set_name, key, entity)

    def _patched_rows(
        self, set_name: str, name: str, rows: list[dict[str, Any]], given: Any, replace: bool
    ) -> list[dict[str, Any]]:
        if not isinstance(given, list):
            raise B1Error(400, BAD_REQUEST, f"Property '{name}' must be a collection")
        if replace:
            return copy.deepcopy(given)
        row_keys = {"ItemPrices": "PriceList", "ItemWarehouseInfoCollection": "WarehouseCode", "BPAddresses": "RowNum"}
        row_key = row_keys.get(name)
        result = copy.deepcopy(rows)
        for change in given:
            target = next((row for row in result if row_key and row.get(row_key) == change.get(row_key)), None)
            if target is None:
                result.append(copy.deepcopy(change))
            else:
                target.update(copy.deepcopy(change))
        return result

    def action(self, set_name: str, key: Any, name: str) -> None:
        entity_set = ENTITY_SETS[set_name]
        entity = self.get(set_name, key)
        if name not in entity_set.actions:
            raise B1Error(400, BAD_REQUEST, f"Action '{name}' is not supported on {set_name}")
        if set_name == "IncomingPayments":
            self.cancel_payment(entity)
        elif name == "Cancel":
            self.cancel_document(set_name, entity)
        elif name == "Close":
            self.close_document(set_name, entity)
        else:
            self.reopen_document(set_name, entity)

    # -- documents ------------------------------------------------------------------------------------------------

    def add_document(self, set_name: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Create a marketing document and apply its effects.

        Refused (HTTP 400): unknown, supplier-only or frozen customer; no lines; unknown item or warehouse;
        quantity not above zero; a base line that does not exist, is closed, belongs to another customer or has less
        open quantity than asked; batch- or serial-managed items leaving stock without matching BatchNumbers /
        SerialNumbers; an order without DocDueDate.
        """
        lines_given = payload.get("DocumentLines")
        document = _merge(document_template(), {k: v for k, v in payload.items() if k != "DocumentLines"}, "Document")
        now = self.clock.now()
        partner = self.business_partners.get(document["CardCode"] or "")
        if partner is None:
            raise refuse(f"Invalid BP code '{document['CardCode']}'")
        if partner["CardType"] == "cSupplier":
            raise refuse(f"BP '{partner['CardCode']}' is a vendor; select a customer")
        if partner["Frozen"] == YES or partner["Valid"] == NO:
            raise refuse(f"BP '{partner['CardCode']}' is inactive")
        if not isinstance(lines_given, list) or not lines_given:
            raise refuse("Document must contain at least one row")
        if set_name in {"Orders", "Drafts"} and not document["DocDueDate"]:
            raise refuse("Update the 'Delivery Date' field (DocDueDate)")
        for name in ("DocDate", "DocDueDate", "TaxDate"):
            if document[name] is not None and not _is_date(document[name]):
                raise B1Error(400, BAD_REQUEST, f"Property '{name}' has an invalid date {document[name]!r}")
        document["CardName"] = document["CardName"] or partner["CardName"]
        document["DocDate"] = (document["DocDate"] or day(now))[:10]
        document["TaxDate"] = (document["TaxDate"] or document["DocDate"])[:10]
        document["DocDueDate"] = (document["DocDueDate"] or document["DocDate"])[:10]
        document["DocCurrency"] = partner["Currency"] or self.currency
        document["DocObjectCode"] = OBJECT_CODES[set_name]
        base_type = DOCUMENT_SETS.get(set_name, ORDER)
        if document["DocType"] not in ("dDocument_Items", "dDocument_Service"):
            raise B1Error(400, BAD_REQUEST, f"Property 'DocType' has an invalid value {document['DocType']!r}")
        service = document["DocType"] == "dDocument_Service"
        line_of = self._service_line if service else self._document_line
        lines = [line_of(set_name, document, number, given) for number, given in enumerate(lines_given)]
        document["DocumentReferences"] = self._references(document)
        document["DocumentLines"] = lines
        self._total(document)

        # Everything is validated; from here on the document exists and its effects apply.
        self._doc_entry[set_name] += 1
        self._doc_num[set_name] += 1
        entry = document["DocEntry"] = self._doc_entry[set_name]
        document["DocNum"] = self._doc_num[set_name]
        self.collection(set_name)[entry] = document
        if set_name != "Drafts" and not service:
            for line in lines:
                self._apply_line(base_type, line)
        self.stamp(set_name, entry, document, created=True)
        self._refresh_balances(partner["CardCode"])
        if set_name == "Invoices":
            partner["CurrentAccountBalance"] = money(partner["CurrentAccountBalance"] + document["DocTotal"])
        elif set_name == "CreditNotes":
            partner["CurrentAccountBalance"] = money(partner["CurrentAccountBalance"] - document["DocTotal"])
            self._apply_credit(document)
        return document

    def _apply_credit(self, note: dict[str, Any]) -> None:
        """A credit note copied from invoices settles them, first invoice first, up to what each still owes."""
        left = note["DocTotal"]
        applied = []
        for entry in dict.fromkeys(line["BaseEntry"] for line in note["DocumentLines"] if line["BaseType"] == INVOICE):
            invoice = self.invoices[entry]
            share = money(min(left, invoice["DocTotal"] - invoice["PaidToDate"]))
            if share <= 0:
                continue
            invoice["PaidToDate"] = money(invoice["PaidToDate"] + share)
            if invoice["PaidToDate"] >= invoice["DocTotal"] - 0.001:
                invoice["DocumentStatus"] = CLOSED
            self.stamp("Invoices", entry, invoice)
            applied.append((entry, share))
            left = money(left - share)
        if applied:
            self._credit_applied[note["DocEntry"]] = applied
            note["PaidToDate"] = money(note["DocTotal"] - left)
            if left <= 0.001:
                note["DocumentStatus"] = CLOSED
            self.stamp("CreditNotes", note["DocEntry"], note)

    def _take_back_credit(self, note: dict[str, Any]) -> None:
        for entry, share in self._credit_applied.pop(note["DocEntry"], []):
            invoice = self.invoices[entry]
            invoice["PaidToDate"] = money(invoice["PaidToDate"] - share)
            invoice["DocumentStatus"] = OPEN
            self.stamp("Invoices", entry, invoice)
        note["PaidToDate"] = 0.0

    def _document_line(
        self, set_name: str, document: dict[str, Any], number: int, given: dict[str, Any]
    ) -> dict[str, Any]:
        line = _new_line(given, number)
        base = None
        if line["BaseType"] not in (-1, None):
            base = self._base_line(set_name, document, line)
            for name in ("ItemCode", "UnitPrice", "DiscountPercent", "WarehouseCode", "VatGroup", "UoMEntry"):
                if name not in given:
                    line[name] = base[name]
            if "Quantity" not in given:
                line["Quantity"] = base["RemainingOpenQuantity"]
        item = self.items.get(line["ItemCode"] or "")
        if item is None:
            raise refuse(f"Invalid item code '{line['ItemCode']}' in row {number + 1}")
        if item["Frozen"] == YES or item["Valid"] == NO:
            raise refuse(f"Item '{item['ItemCode']}' is inactive")
        if item["SalesItem"] != YES:
            raise refuse(f"Item '{item['ItemCode']}' is not a sales item")
        line["Quantity"] = qty(_number(line, "Quantity"))
        if line["Quantity"] <= 0:
            raise refuse(f"Quantity must be greater than zero in row {number + 1}")
        if base is not None and line["Quantity"] > base["RemainingOpenQuantity"] + 1e-9:
            raise refuse(
                f"Quantity {line['Quantity']:g} exceeds the open quantity "
                f"{base['RemainingOpenQuantity']:g} of the base document row"
            )
        line["WarehouseCode"] = line["WarehouseCode"] or item["DefaultWarehouse"]
        if line["WarehouseCode"] not in self.warehouses:
            raise refuse(f"Invalid warehouse code '{line['WarehouseCode']}' in row {number + 1}")
        line["ItemDescription"] = line["ItemDescription"] or item["ItemName"]
        line["VatGroup"] = line["VatGroup"] or item["SalesVATGroup"]
        if line["VatGroup"] not in self.vat_groups:
            raise refuse(f"Invalid tax group '{line['VatGroup']}' in row {number + 1}")
        self._line_uom(item, line)
        if "UnitPrice" not in given and "Price" not in given and base is None:
            on = date.fromisoformat(document["DocDate"])
            unit, discount, _currency = self.price_for(document["CardCode"], item["ItemCode"], on)
            line["UnitPrice"] = unit
            if "DiscountPercent" not in given:
                line["DiscountPercent"] = discount
        elif "UnitPrice" not in given and "Price" in given and base is None:
            line["UnitPrice"] = _number(given, "Price")
        line["UnitPrice"] = money(_number(line, "UnitPrice"))
        line["DiscountPercent"] = _number(line, "DiscountPercent")
        line["Price"] = money(line["UnitPrice"] * (1 - line["DiscountPercent"] / 100))
        line["LineTotal"] = money(line["Price"] * line["Quantity"])
        rate = self.vat_groups[line["VatGroup"]]
        line["TaxTotal"] = money(line["LineTotal"] * rate / 100)
        line["PriceAfterVAT"] = money(line["Price"] * (1 + rate / 100))
        line["Currency"] = document["DocCurrency"]
        line["RemainingOpenQuantity"] = line["Quantity"]
        line["LineStatus"] = OPEN
        line["ShipDate"] = (line["ShipDate"] or document["DocDueDate"])[:10]
        if set_name in {"DeliveryNotes", "Invoices"} and not self._stock_already_left(line):
            self._check_batches_and_serials(item, line, number)
        return line

    def _service_line(
        self, set_name: str, document: dict[str, Any], number: int, given: dict[str, Any]
    ) -> dict[str, Any]:
        """A line of a service document: an amount on a G/L account, no item and no stock."""
        line = _new_line(given, number)
        if line["ItemCode"]:
            raise refuse(f"A service document row cannot carry an item (row {number + 1})")
        if not line["AccountCode"]:
            raise refuse(f"Enter a G/L account in row {number + 1}")
        line["VatGroup"] = line["VatGroup"] or "S1"
        if line["VatGroup"] not in self.vat_groups:
            raise refuse(f"Invalid tax group '{line['VatGroup']}' in row {number + 1}")
        rate = self.vat_groups[line["VatGroup"]]
        gross = money(_number(line, "PriceAfterVAT"))
        if gross > 0:  # entered gross: the VAT is taken out of it
            line["TaxTotal"] = money(gross * rate / (100 + rate))
            line["LineTotal"] = money(gross - line["TaxTotal"])
        else:
            line["LineTotal"] = money(_number(line, "LineTotal"))
            line["TaxTotal"] = money(line["LineTotal"] * rate / 100)
        if line["LineTotal"] <= 0:
            raise refuse(f"Enter an amount in row {number + 1}")
        line["Quantity"], line["UnitPrice"], line["Price"] = 1.0, line["LineTotal"], line["LineTotal"]
        line["PriceAfterVAT"] = money(line["LineTotal"] + line["TaxTotal"])
        line["Currency"] = document["DocCurrency"]
        line["LineStatus"], line["RemainingOpenQuantity"] = OPEN, 0.0
        return line

    def _references(self, document: dict[str, Any]) -> list[dict[str, Any]]:
        """``DocumentReferences``: links to other documents of the same customer (an invoice a credit memo
        corrects). Only sales invoices are known here."""
        rows = []
        for number, given in enumerate(document["DocumentReferences"] or []):
            if not isinstance(given, dict) or given.get("RefObjType") != "rot_SalesInvoice":
                raise B1Error(400, BAD_REQUEST, "DocumentReferences: only RefObjType rot_SalesInvoice is supported")
            invoice = self.invoices.get(given.get("RefDocEntr"))
            if invoice is None or invoice["CardCode"] != document["CardCode"]:
                raise refuse(f"Referenced invoice {given.get('RefDocEntr')} is not an invoice of this customer")
            rows.append({"LineNumber": number + 1, "RefDocEntr": invoice["DocEntry"], "RefDocNum": invoice["DocNum"],
                         "RefObjType": "rot_SalesInvoice", "Remark": given.get("Remark")})  # fmt: skip
        return rows

    def _line_uom(self, item: dict[str, Any], line: dict[str, Any]) -> None:
        group = self.uom_groups.get(item["UoMGroupEntry"])
        if group is None:
            line["UoMEntry"], line["UoMCode"] = -1, "Manual"
            line["InventoryQuantity"] = line["Quantity"]
            return
        entry = line["UoMEntry"] if line["UoMEntry"] not in (None, -1) else item["DefaultSalesUoMEntry"]
        entry = entry if entry is not None else group["BaseUoM"]
        definition = next(
            (d for d in group["UoMGroupDefinitionCollection"] if d["AlternateUoM"] == entry and d["Active"] == YES),
            None,
        )
        if definition is None:
            raise refuse(f"Unit of measure {entry} is not defined in group '{group['Code']}'")
        line["UoMEntry"] = entry
        line["UoMCode"] = self.uoms.get(entry, {}).get("Code", str(entry))
        line["InventoryQuantity"] = qty(line["Quantity"] * definition["BaseQuantity"] / definition["AlternateQuantity"])

    def _check_batches_and_serials(self, item: dict[str, Any], line: dict[str, Any], number: int) -> None:
        if item["ManageBatchNumbers"] == YES:
            batches = line["BatchNumbers"] or []
            total = sum(_number(batch, "Quantity") for batch in batches if isinstance(batch, dict))
            if not batches or abs(total - line["InventoryQuantity"]) > 1e-9:
                raise refuse(
                    f"Item '{item['ItemCode']}' is managed by batches; BatchNumbers must cover "
                    f"{line['InventoryQuantity']:g} in row {number + 1}"
                )
        if item["ManageSerialNumbers"] == YES:
            serials = line["SerialNumbers"] or []
            if len(serials) != line["InventoryQuantity"]:
                raise refuse(
                    f"Item '{item['ItemCode']}' is managed by serial numbers; select "
                    f"{line['InventoryQuantity']:g} serial numbers in row {number + 1}"
                )

    def _stock_already_left(self, line: dict[str, Any]) -> bool:
        # An invoice copied from a delivery does not move stock again, so it needs no batches either.
        return line["BaseType"] == DELIVERY

    def _base_line(self, set_name: str, document: dict[str, Any], line: dict[str, Any]) -> dict[str, Any]:
        allowed = {"DeliveryNotes": {ORDER}, "Invoices": {ORDER, DELIVERY}, "CreditNotes": {INVOICE, DELIVERY}}
        if line["BaseType"] not in allowed.get(set_name, set()):
            raise refuse(f"Base type {line['BaseType']} cannot be copied to {set_name}")
        base_doc = self.collection(SET_OF_TYPE[line["BaseType"]]).get(line["BaseEntry"])
        if base_doc is None:
            raise refuse(f"Base document {line['BaseEntry']} of type {line['BaseType']} does not exist")
        if base_doc["CardCode"] != document["CardCode"]:
            raise refuse("Base document belongs to another business partner")
        if base_doc["DocumentStatus"] != OPEN or base_doc["Cancelled"] == YES:
            raise refuse(f"Base document {base_doc['DocNum']} is already closed")
        base = next((row for row in base_doc["DocumentLines"] if row["LineNum"] == line["BaseLine"]), None)
        if base is None:
            raise refuse(f"Base line {line['BaseLine']} does not exist in document {base_doc['DocNum']}")
        if base["LineStatus"] != OPEN:
            raise refuse(f"Base line {line['BaseLine']} of document {base_doc['DocNum']} is already closed")
        return base

    def _apply_line(self, doc_type: int, line: dict[str, Any]) -> None:
        """Stock and base-document effects of one new line."""
        inventory = line["InventoryQuantity"]
        item, warehouse = line["ItemCode"], line["WarehouseCode"]
        if doc_type == ORDER:
            self.move_stock(item, warehouse, committed=inventory)
            return
        base_set = SET_OF_TYPE.get(line["BaseType"])
        if base_set is not None:
            base_doc = self.collection(base_set)[line["BaseEntry"]]
            base = next(row for row in base_doc["DocumentLines"] if row["LineNum"] == line["BaseLine"])
            base["RemainingOpenQuantity"] = qty(base["RemainingOpenQuantity"] - line["Quantity"])
            if base["RemainingOpenQuantity"] <= 0:
                base["LineStatus"] = CLOSED
            if base_set == "Orders":
                # What leaves for an order is no longer committed to it.
                self.move_stock(item, warehouse, committed=-min(inventory, base["InventoryQuantity"]))
            if all(row["LineStatus"] == CLOSED for row in base_doc["DocumentLines"]) and base_set != "Invoices":
                base_doc["DocumentStatus"] = CLOSED
            self.stamp(base_set, base_doc["DocEntry"], base_doc)
        if doc_type == DELIVERY or (doc_type == INVOICE and line["BaseType"] != DELIVERY):
            self.move_stock(item, warehouse, in_stock=-inventory)
        elif doc_type == CREDIT_NOTE:
            self.move_stock(item, warehouse, in_stock=inventory)

    def _total(self, document: dict[str, Any]) -> None:
        lines_total = sum(line["LineTotal"] for line in document["DocumentLines"])
        factor = 1 - _number(document, "DiscountPercent") / 100
        document["TotalDiscount"] = money(lines_total * (1 - factor))
        document["VatSum"] = money(sum(line["TaxTotal"] for line in document["DocumentLines"]) * factor)
        document["DocTotal"] = money(lines_total * factor + document["VatSum"])

    def _patch_document(self, set_name: str, document: dict[str, Any], payload: dict[str, Any], replace: bool) -> None:
        if document["DocumentStatus"] != OPEN or document["Cancelled"] == YES:
            raise refuse(f"Document {document['DocNum']} is closed or cancelled; it cannot be updated")
        if "CardCode" in payload and payload["CardCode"] != document["CardCode"]:
            raise refuse("The business partner of a document cannot be changed")
        changes = payload.get("DocumentLines")
        for name, value in payload.items():
            if name != "DocumentLines":
                document[name] = copy.deepcopy(value)
        if changes is None:
            return
        if set_name != "Orders":
            raise refuse(f"Rows of {set_name} cannot be updated")
        if not isinstance(changes, list):
            raise B1Error(400, BAD_REQUEST, "Property 'DocumentLines' must be a collection")
        old_lines = document["DocumentLines"]
        if replace:
            if any(line["RemainingOpenQuantity"] != line["Quantity"] for line in old_lines):
                raise refuse("Rows already copied to a target document cannot be replaced")
            new_lines = [self._document_line(set_name, document, n, given) for n, given in enumerate(changes)]
            for line in old_lines:
                self.move_stock(line["ItemCode"], line["WarehouseCode"], committed=-line["InventoryQuantity"])
            for line in new_lines:
                self._apply_line(ORDER, line)
            document["DocumentLines"] = new_lines
        else:
            for change in changes:
                self._patch_order_line(document, change)
        self._total(document)
        self._refresh_balances(document["CardCode"])

    def _patch_order_line(self, document: dict[str, Any], change: dict[str, Any]) -> None:
        lines = document["DocumentLines"]
        current = next((line for line in lines if line["LineNum"] == change.get("LineNum")), None)
        if current is None:
            new = self._document_line(
                "Orders", document, len(lines), {k: v for k, v in change.items() if k != "LineNum"}
            )
            lines.append(new)
            self._apply_line(ORDER, new)
            return
        if current["LineStatus"] != OPEN:
            raise refuse(f"Row {current['LineNum']} is closed")
        delivered = current["Quantity"] - current["RemainingOpenQuantity"]
        merged = {k: v for k, v in current.items() if k in document_line_template()}
        merged.update(change)
        for computed in ("LineNum", "Price", "LineTotal", "TaxTotal", "PriceAfterVAT", "RemainingOpenQuantity"):
            merged.pop(computed, None)
        if "Quantity" in change and float(change["Quantity"]) < delivered:
            raise refuse(f"Row {current['LineNum']}: quantity cannot go below the delivered {delivered:g}")
        replacement = self._document_line("Orders", document, current["LineNum"], merged)
        replacement["RemainingOpenQuantity"] = qty(replacement["Quantity"] - delivered)
        old_open = current["RemainingOpenQuantity"] * current["InventoryQuantity"] / current["Quantity"]
        new_open = replacement["RemainingOpenQuantity"] * replacement["InventoryQuantity"] / replacement["Quantity"]
        self.move_stock(current["ItemCode"], current["WarehouseCode"], committed=-old_open)
        self.move_stock(replacement["ItemCode"], replacement["WarehouseCode"], committed=new_open)
        lines[lines.index(current)] = replacement

    def _release_open(self, set_name: str, document: dict[str, Any]) -> None:
        for line in document["DocumentLines"]:
            if line["LineStatus"] == OPEN and set_name == "Orders":
                open_inventory = line["RemainingOpenQuantity"] * line["InventoryQuantity"] / line["Quantity"]
                self.move_stock(line["ItemCode"], line["WarehouseCode"], committed=-open_inventory)
            line["LineStatus"] = CLOSED

    def cancel_document(self, set_name: str, document: dict[str, Any]) -> None:
        """Cancel: refused if closed, cancelled or already copied to a target document; releases commitments.

        Posted documents (deliveries, invoices, credit notes) are cancelled here in place rather than through a
        reversing cancellation document (that B1 detail is UNCONFIRMED in the protocol notes); stock and balance
        effects are reversed.
        """
        if document["Cancelled"] == YES:
            raise refuse(f"Document {document['DocNum']} is already cancelled")
        applied = set_name == "CreditNotes" and document["DocEntry"] in self._credit_applied
        if document["DocumentStatus"] != OPEN and not applied:
            raise refuse(f"Document {document['DocNum']} is closed; it cannot be cancelled")
        if any(line["RemainingOpenQuantity"] < line["Quantity"] for line in document["DocumentLines"]):
            raise refuse(f"Document {document['DocNum']} has been copied to a target document; close it instead")
        if document.get("PaidToDate") and not applied:
            raise refuse(f"Document {document['DocNum']} has payments; cancel the payments first")
        if applied:
            self._take_back_credit(document)
        self._release_open(set_name, document)
        if set_name != "Orders":
            self._reverse_posting(set_name, document)
        document["Cancelled"] = YES
        document["CancelStatus"] = "csCancelled"
        document["DocumentStatus"] = CLOSED
        self.stamp(set_name, document["DocEntry"], document)
        self._refresh_balances(document["CardCode"])

    def _reverse_posting(self, set_name: str, document: dict[str, Any]) -> None:
        doc_type = DOCUMENT_SETS[set_name]
        partner = self.business_partners[document["CardCode"]]
        for line in document["DocumentLines"]:
            moved = doc_type == DELIVERY or (doc_type == INVOICE and line["BaseType"] != DELIVERY)
            if moved:
                self.move_stock(line["ItemCode"], line["WarehouseCode"], in_stock=line["InventoryQuantity"])
            elif doc_type == CREDIT_NOTE:
                self.move_stock(line["ItemCode"], line["WarehouseCode"], in_stock=-line["InventoryQuantity"])
            base_set = SET_OF_TYPE.get(line["BaseType"])
            if base_set is not None:
                base_doc = self.collection(base_set)[line["BaseEntry"]]
                base = next(row for row in base_doc["DocumentLines"] if row["LineNum"] == line["BaseLine"])
                base["RemainingOpenQuantity"] = qty(base["RemainingOpenQuantity"] + line["Quantity"])
                base["LineStatus"] = OPEN
                base_doc["DocumentStatus"] = OPEN
                if base_set == "Orders":
                    self.move_stock(line["ItemCode"], line["WarehouseCode"], committed=line["InventoryQuantity"])
                self.stamp(base_set, base_doc["DocEntry"], base_doc)
        if doc_type == INVOICE:
            partner["CurrentAccountBalance"] = money(partner["CurrentAccountBalance"] - document["DocTotal"])
        elif doc_type == CREDIT_NOTE:
            partner["CurrentAccountBalance"] = money(partner["CurrentAccountBalance"] + document["DocTotal"])

    def close_document(self, set_name: str, document: dict[str, Any]) -> None:
        """Close manually: refused if already closed or cancelled; an order releases what is still committed."""
        if document["DocumentStatus"] != OPEN or document["Cancelled"] == YES:
            raise refuse(f"Document {document['DocNum']} is already closed")
        self._release_open(set_name, document)
        document["DocumentStatus"] = CLOSED
        self.stamp(set_name, document["DocEntry"], document)
        self._refresh_balances(document["CardCode"])

    def reopen_document(self, set_name: str, document: dict[str, Any]) -> None:
        """Reopen a manually closed order; refused for cancelled documents and for fully delivered lines."""
        if document["Cancelled"] == YES or document["DocumentStatus"] == OPEN:
            raise refuse(f"Document {document['DocNum']} cannot be reopened")
        if set_name != "Orders":
            raise refuse(f"Reopening {set_name} is not supported by the simulator")
        for line in document["DocumentLines"]:
            if line["RemainingOpenQuantity"] > 0:
                line["LineStatus"] = OPEN
                open_inventory = line["RemainingOpenQuantity"] * line["InventoryQuantity"] / line["Quantity"]
                self.move_stock(line["ItemCode"], line["WarehouseCode"], committed=open_inventory)
        if all(line["LineStatus"] == CLOSED for line in document["DocumentLines"]):
            raise refuse(f"Document {document['DocNum']} is fully delivered")
        document["DocumentStatus"] = OPEN
        self.stamp(set_name, document["DocEntry"], document)
        self._refresh_balances(document["CardCode"])

    def _refresh_balances(self, card_code: str) -> None:
        partner = self.business_partners[card_code]

        def open_value(documents: Iterable[dict[str, Any]]) -> float:
            total = 0.0
            for document in documents:
                if document["CardCode"] != card_code or document["DocumentStatus"] != OPEN:
                    continue
                factor = 1 - _number(document, "DiscountPercent") / 100
                for line in document["DocumentLines"]:
                    if line["LineStatus"] == OPEN:
                        rate = self.vat_groups.get(line["VatGroup"], 0.0)
                        total += line["Price"] * line["RemainingOpenQuantity"] * factor * (1 + rate / 100)
            return money(total)

        partner["OpenOrdersBalance"] = open_value(self.orders.values())
        partner["OpenDeliveryNotesBalance"] = open_value(self.delivery_notes.values())

    # -- incoming payments ----------------------------------------------------------------------------------------

    def add_incoming_payment(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Record a customer payment.

        Refused: unknown customer; no amount; an applied invoice that does not exist, belongs to someone else, is
        cancelled or would be overpaid; applied sums above the amount paid. The rest of the amount stays on account.
        """
        given_invoices = payload.get("PaymentInvoices") or []
        payment = _merge(payment_template(), {k: v for k, v in payload.items() if k != "PaymentInvoices"}, "Payment")
        partner = self.business_partners.get(payment["CardCode"] or "")
        if partner is None:
            raise refuse(f"Invalid BP code '{payment['CardCode']}'")
        payment["CardName"] = partner["CardName"]
        payment["DocDate"] = (payment["DocDate"] or day(self.clock.now()))[:10]
        payment["DocCurrency"] = partner["Currency"] or self.currency
        payment["CashSum"] = money(_number(payment, "CashSum"))
        payment["TransferSum"] = money(_number(payment, "TransferSum"))
        card_sum = sum(_number(card, "CreditSum") for card in payment["PaymentCreditCards"] if isinstance(card, dict))
        check_sum = sum(_number(check, "CheckSum") for check in payment["PaymentChecks"] if isinstance(check, dict))
        total = money(payment["CashSum"] + payment["TransferSum"] + card_sum + check_sum)
        if total <= 0:
            raise refuse("Enter a payment amount")
        rows = []
        for number, given in enumerate(given_invoices):
            row = _merge(payment_invoice_template(), given, "PaymentInvoice")
            row["LineNum"] = number
            row["SumApplied"] = money(_number(row, "SumApplied"))
            if row["InvoiceType"] not in {"it_Invoice", 13}:
                raise refuse(f"Only A/R invoices can be applied (row {number + 1})")
            row["InvoiceType"] = "it_Invoice"
            invoice = self.invoices.get(row["DocEntry"])
            if invoice is None or invoice["CardCode"] != partner["CardCode"] or invoice["Cancelled"] == YES:
                raise refuse(f"Invoice {row['DocEntry']} is not an open invoice of '{partner['CardCode']}'")
            if row["SumApplied"] > money(invoice["DocTotal"] - invoice["PaidToDate"]) + 0.001:
                raise refuse(f"Amount applied to invoice {invoice['DocNum']} exceeds its balance due")
            rows.append(row)
        if sum(row["SumApplied"] for row in rows) > total + 0.001:
            raise refuse("The amounts applied exceed the payment amount")
        payment["PaymentInvoices"] = rows
        self._doc_entry["IncomingPayments"] += 1
        self._doc_num["IncomingPayments"] += 1
        entry = payment["DocEntry"] = self._doc_entry["IncomingPayments"]
        payment["DocNum"] = self._doc_num["IncomingPayments"]
        self.incoming_payments[entry] = payment
        for row in rows:
            invoice = self.invoices[row["DocEntry"]]
            invoice["PaidToDate"] = money(invoice["PaidToDate"] + row["SumApplied"])
            if invoice["PaidToDate"] >= invoice["DocTotal"] - 0.001:
                invoice["DocumentStatus"] = CLOSED
            self.stamp("Invoices", invoice["DocEntry"], invoice)
        partner["CurrentAccountBalance"] = money(partner["CurrentAccountBalance"] - total)
        self.stamp("IncomingPayments", entry, payment, created=True)
        return payment

    def cancel_payment(self, payment: dict[str, Any]) -> None:
        if payment["Cancelled"] == YES:
            raise refuse(f"Payment {payment['DocNum']} is already cancelled")
        partner = self.business_partners[payment["CardCode"]]
        for row in payment["PaymentInvoices"]:
            invoice = self.invoices[row["DocEntry"]]
            invoice["PaidToDate"] = money(invoice["PaidToDate"] - row["SumApplied"])
            invoice["DocumentStatus"] = OPEN
            self.stamp("Invoices", invoice["DocEntry"], invoice)
        total = payment["CashSum"] + payment["TransferSum"]
        total += sum(_number(card, "CreditSum") for card in payment["PaymentCreditCards"] if isinstance(card, dict))
        total += sum(_number(check, "CheckSum") for check in payment["PaymentChecks"] if isinstance(check, dict))
        partner["CurrentAccountBalance"] = money(partner["CurrentAccountBalance"] + total)
        payment["Cancelled"] = YES
        self.stamp("IncomingPayments", payment["DocEntry"], payment)


# ---------------------------------------------------------------------------------------------------------------
# Demo data


def _tax_number(rng: random.Random) -> str:
    """A valid Turkish tax number (VKN): nine digits and their check digit."""
    digits = f"{rng.randrange(10**8, 10**9)}"
    return digits + vkn.calc_check_digit(digits)


def seed_demo(company: Company, *, items: int = 25, customers: int = 5, seed: int = 0) -> None:
    """Fill an empty company with warehouses, price lists, units, ``items`` items and ``customers`` customers.

    Deterministic for a given ``seed``. Items are ``A0001``…, customers ``C0001``…; item ``A0003`` (when it exists)
    is batch-managed, ``A0004`` serial-managed, ``A0005`` sold in boxes of 12. One supplier ``V0001`` and one lead
    ``L0001`` are added so card types can be told apart.
    """
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    with company.lock:
        if not company.warehouses:
            company.add_warehouse({"WarehouseCode": "01", "WarehouseName": "Main warehouse"})
            company.add_warehouse({"WarehouseCode": "02", "WarehouseName": "Izmir depot"})
        if not company.price_lists:
            company.add_price_list({"PriceListNo": 1, "PriceListName": "Base Price"})
            company.add_price_list(
                {"PriceListNo": 2, "PriceListName": "Dealer Price", "BasePriceList": 1, "Factor": 0.85}
            )
        if not company.uoms:
            company.add_uom(1, "Pcs", "Piece")
            company.add_uom(2, "Box12", "Box of 12")
        if not company.uom_groups:
            company.add_uom_group(
                {
                    "AbsEntry": 1,
                    "Code": "BOX12",
                    "Name": "Piece / box of 12",
                    "BaseUoM": 1,
                    "UoMGroupDefinitionCollection": [
                        {"AlternateUoM": 1, "AlternateQuantity": 1.0, "BaseQuantity": 1.0},
                        {"AlternateUoM": 2, "AlternateQuantity": 1.0, "BaseQuantity": 12.0},
                    ],
                }
            )
        groups = [100, 101, 102]
        for number in range(1, items + 1):
            code = f"A{number:04d}"
            if code in company.items:
                continue
            base = round(rng.uniform(5, 500), 2)
            payload: dict[str, Any] = {
                "ItemCode": code,
                "ItemName": f"Demo item {number}",
                "ForeignName": f"Demo ürün {number}",
                "ItemsGroupCode": rng.choice(groups),
                "BarCode": f"869{rng.randrange(10**9, 10**10)}",
                "SalesVATGroup": rng.choice(["S1", "S1", "S1", "S2"]),
                "ItemPrices": [
                    {"PriceList": 1, "Price": base, "Currency": company.currency},
                    {"PriceList": 2, "Price": round(base * 0.85, 2), "Currency": company.currency},
                ],
                "ItemWarehouseInfoCollection": [
                    {"WarehouseCode": "01", "InStock": float(rng.randrange(0, 500))},
                    {"WarehouseCode": "02", "InStock": float(rng.randrange(0, 100))},
                ],
            }
            if number == 3:
                payload["ManageBatchNumbers"] = YES
            if number == 4:
                payload["ManageSerialNumbers"] = YES
            if number == 5:
                payload.update(
                    {"UoMGroupEntry": 1, "InventoryUoMEntry": 1, "DefaultSalesUoMEntry": 2, "SalesUnit": "Box12"}
                )
            company.add_item(payload)
        for number in range(1, customers + 1):
            code = f"C{number:04d}"
            if code in company.business_partners:
                continue
            company.add_business_partner(
                {
                    "CardCode": code,
                    "CardName": f"Demo Bayi {number} Ltd. Şti.",
                    "FederalTaxID": _tax_number(rng),
                    "CreditLimit": float(rng.choice([50_000, 100_000, 250_000])),
                    "PriceListNum": rng.choice([1, 2]),
                    "PayTermsGrpCode": rng.choice([1, 2, 3]),
                    "SalesPersonCode": rng.choice([-1, 1, 2]),
                    "EmailAddress": f"bayi{number}@example.com",
                    "BPAddresses": [
                        {
                            "AddressName": "Merkez",
                            "Street": f"Atatürk Cd. {number}",
                            "City": "Istanbul",
                            "AddressType": "bo_BillTo",
                        },
                        {
                            "AddressName": "Depo",
                            "Street": f"Sanayi Sk. {number}",
                            "City": "Kocaeli",
                            "AddressType": "bo_ShipTo",
                        },
                    ],
                }
            )
        if customers and "V0001" not in company.business_partners:
            company.add_business_partner({"CardCode": "V0001", "CardName": "Demo Tedarikçi", "CardType": "cSupplier"})
            company.add_business_partner({"CardCode": "L0001", "CardName": "Demo Aday", "CardType": "cLid"})
        if items >= 2 and customers >= 1 and ("C0001", "A0001") not in company.special_prices:
            list_price = company.items["A0001"]["ItemPrices"][0]["Price"]
            company.add_special_price({"CardCode": "C0001", "ItemCode": "A0001", "Price": round(list_price * 0.8, 2)})
