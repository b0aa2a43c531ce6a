"""The company's master data: warehouses, price lists, units and unit groups, items with their stock, business
partners and special prices, and the price an item has for a customer on a day."""

from __future__ import annotations

from datetime import date
from typing import Any

from erpsync.simulators.sap_b1.clock import day
from erpsync.simulators.sap_b1.errors import BAD_REQUEST, DUPLICATE, B1Error, refuse
from erpsync.simulators.sap_b1.schema import (
    YES,
    address_template,
    business_partner_template,
    item_price_template,
    item_template,
    merge,
    price_list_template,
    qty,
    special_price_template,
    uom_group_template,
    warehouse_info_template,
    warehouse_template,
)


class MasterData:
    """Adding master data and moving stock; part of ``Company``."""

    def add_warehouse(self, payload: dict[str, Any]) -> dict[str, Any]:
        warehouse = merge(warehouse_template(), payload, "Warehouse", self.udfs)
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
        price_list = merge(price_list_template(), payload, "PriceList", self.udfs)
        price_list["DefaultPrimeCurrency"] = price_list["DefaultPrimeCurrency"] or self.currency
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
        group = merge(uom_group_template(), payload, "UnitOfMeasurementGroup", self.udfs)
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
        item = merge(item_template(), payload, "Item", self.udfs)
        code = item["ItemCode"]
        if not code:
            raise refuse("Enter an item code")
        if code in self.items:
            raise B1Error(400, DUPLICATE, "This entry already exists in the following tables (OITM)")
        prices = []
        for given in item["ItemPrices"]:
            price = item_price_template()
            price.update(given)
            price["Currency"] = given.get("Currency") or self.currency
            prices.append(price)
        listed = {price["PriceList"] for price in prices}
        for number in self.price_lists:
            if number not in listed:
                # A list that does not price the item: zero, no currency (as recorded items show it).
                prices.append({**item_price_template(), "PriceList": number, "Currency": None})
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
        partner = merge(business_partner_template(), payload, "BusinessPartner", self.udfs)
        partner["Currency"] = partner["Currency"] or self.currency
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
        special = merge(special_price_template(), payload, "SpecialPrice", self.udfs)
        special["Currency"] = special["Currency"] or self.currency
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
