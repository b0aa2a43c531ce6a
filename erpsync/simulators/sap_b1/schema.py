"""What the simulated company holds, in the Service Layer's shapes: one template per entity (field names, defaults
and enum spellings as SAP documents them), the entity sets with their keys and what may be done to them, and the
checks every payload goes through."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from erpsync.simulators.sap_b1.errors import BAD_REQUEST, B1Error, refuse
from erpsync.simulators.sap_b1.metadata import Udf, metadata

YES, NO = "tYES", "tNO"
OPEN, CLOSED = "bost_Open", "bost_Close"
# CancelStatusEnum: csNo (an ordinary document), csYes (cancelled), csCancellation (SAP's cancellation document).
CANCELLATION = "csCancellation"

# BoObjectTypes of the marketing documents (used in BaseType on copied lines).
ORDER, DELIVERY, INVOICE, CREDIT_NOTE, QUOTATION = 17, 15, 13, 14, 23


def money(value: float) -> float:
    return round(float(value) + 0.0, 2)


def qty(value: float) -> float:
    return round(float(value) + 0.0, 6)


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
        "Price": 0.0,
        "Currency": None,
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
        "GroupNum": "boplgn_Group1",
        "IsGrossPrice": NO,
        "Active": YES,
        "ValidFrom": None,
        "ValidTo": None,
        "DefaultPrimeCurrency": None,
    }


def special_price_template() -> dict[str, Any]:
    return {
        "ItemCode": None,
        "CardCode": None,
        "Price": 0.0,
        "Currency": None,
        "DiscountPercent": 0.0,
        "PriceListNum": None,
        "AutoUpdate": NO,
        "SourcePrice": "sc_PrimaryCurrency",
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
        "Currency": None,
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
        "DocCurrency": None,
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
        "Currency": None,
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
        "DocCurrency": None,
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
        """The properties of the set's entity type in the real ``$metadata`` (UDFs are the company's)."""
        return metadata().names(self.type_name)


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
        # Sales quotations (oQuotations): the same Document type as orders; they commit no stock.
        EntitySet(
            "Quotations",
            "quotations",
            ("DocEntry",),
            document_template,
            "Document",
            actions=frozenset({"Cancel", "Close"}),
        ),
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

DOCUMENT_SETS = {"Orders": ORDER, "DeliveryNotes": DELIVERY, "Invoices": INVOICE, "CreditNotes": CREDIT_NOTE,
                 "Quotations": QUOTATION}  # fmt: skip
# Cancelled in place (no cancellation document): documents that post nothing.
CANCELLED_IN_PLACE = frozenset({"Orders", "Quotations"})
SET_OF_TYPE = {number: name for name, number in DOCUMENT_SETS.items()}
OBJECT_CODES = {"Orders": "oOrders", "DeliveryNotes": "oDeliveryNotes", "Invoices": "oInvoices",
                "CreditNotes": "oCreditNotes", "Drafts": "oOrders", "Quotations": "oQuotations"}  # fmt: skip
# Read-only on PATCH: keys, numbering, status and the sums the company computes.
READ_ONLY = frozenset(
    {
        "DocEntry", "DocNum", "DocObjectCode", "DocumentStatus", "Cancelled", "CancelStatus", "DocTotal", "VatSum",
        "PaidToDate", "CreationDate", "UpdateDate", "UpdateTime", "CreateDate", "CreateTime", "CurrentAccountBalance",
        "OpenDeliveryNotesBalance", "OpenOrdersBalance", "OpenChecksBalance", "QuantityOnStock",
        "QuantityOrderedByCustomers", "QuantityOrderedFromVendors",
    }
)  # fmt: skip


def merge(
    template: dict[str, Any], payload: dict[str, Any], what: str, udfs: Mapping[str, Mapping[str, Udf]]
) -> dict[str, Any]:
    """``payload`` laid over ``template`` after checking it against the entity type ``what`` (unknown property →
    -1000 "Property 'X' of 'T' is invalid"); the company's UDFs of ``what`` take their default, and a mandatory one
    left empty is refused (the simulator's wording)."""
    metadata().check(what, payload, udfs)
    merged = template
    merged.update(copy.deepcopy(payload))
    for udf in udfs.get(what, {}).values():
        if merged.get(udf.name) is None:
            merged[udf.name] = udf.default
        if udf.mandatory and merged[udf.name] in (None, ""):
            raise refuse(f"Enter a value in the mandatory field '{udf.name}' ({what})")
    return merged


def new_line(given: Any, number: int, udfs: Mapping[str, Mapping[str, Udf]]) -> dict[str, Any]:
    if not isinstance(given, dict):
        raise B1Error(400, BAD_REQUEST, "DocumentLines must hold objects")
    line = merge(document_line_template(), given, "DocumentLine", udfs)
    line["LineNum"] = number
    return line


def is_date(value: Any) -> bool:
    try:
        date.fromisoformat(str(value)[:10])
    except ValueError:
        return False
    return True


def number_field(payload: dict[str, Any], name: str, default: float = 0.0) -> float:
    value = payload.get(name, default)
    if value is None:
        return default
    try:
        return float(value)
    except (TypeError, ValueError) as exc:
        raise B1Error(400, BAD_REQUEST, f"Property '{name}' has an invalid value {value!r}") from exc
