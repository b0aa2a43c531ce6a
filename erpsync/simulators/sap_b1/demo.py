"""Demo data for the simulated company: the awkward shapes real companies have (batch- and serial-managed items, a
unit group, a supplier and a lead among the customers, a special price, ten warehouses, items that are not sold
(rent, licences: ``SalesItem`` tNO), items without an inventory unit or a sales VAT group, a price in another
currency, validity and freeze windows), deterministic for a seed. The shapes follow recorded items of a real
company (``sap_b1_real_items.json``)."""

from __future__ import annotations

import random
from typing import Any

from stdnum.tr import vkn

from erpsync.simulators.sap_b1.company import Company
from erpsync.simulators.sap_b1.schema import YES


def tax_number(rng: random.Random) -> str:
    """A valid Turkish tax number (VKN): nine digits and their check digit."""
    digits = f"{rng.randrange(10**8, 10**9)}"
    return digits + vkn.calc_check_digit(digits)


def seed_demo(company: Company, *, items: int = 25, customers: int = 5, seed: int = 0) -> None:
    """Fill an empty company with warehouses, price lists, units, ``items`` items and ``customers`` customers.

    Deterministic for a given ``seed``. Items are ``A0001``…, customers ``C0001``…; item ``A0003`` (when it exists)
    is batch-managed, ``A0004`` serial-managed, ``A0005`` sold in boxes of 12. With five items or more, the items of
    ``AWKWARD_ITEMS`` follow (``Z9001``…). One supplier ``V0001`` and one lead ``L0001`` are added so card types can
    be told apart. Ten warehouses; stock lies in ``01`` and ``02``.
    """
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    with company.lock:
        _seed_setup(company)
        _seed_items(company, rng, items)
        if items >= 5:
            _seed_awkward_items(company)
        _seed_customers(company, rng, customers)
        if customers and "V0001" not in company.business_partners:
            company.add_business_partner({"CardCode": "V0001", "CardName": "Demo Tedarikçi", "CardType": "cSupplier"})
            company.add_business_partner({"CardCode": "L0001", "CardName": "Demo Aday", "CardType": "cLid"})
        if items >= 2 and customers >= 1 and ("C0001", "A0001") not in company.special_prices:
            list_price = company.items["A0001"]["ItemPrices"][0]["Price"]
            company.add_special_price({"CardCode": "C0001", "ItemCode": "A0001", "Price": round(list_price * 0.8, 2)})


def _seed_setup(company: Company) -> None:
    """Ten warehouses (as the recorded company has), a base and a dealer price list, pieces and boxes of 12, and a
    UDF on stock rows (the bin location, as the recorded company keeps one)."""
    if "U_Konum" not in company.udfs.get("ItemWarehouseInfo", {}):
        company.declare_udf("ItemWarehouseInfo", "U_Konum")
    if not company.warehouses:
        company.add_warehouse({"WarehouseCode": "01", "WarehouseName": "Main warehouse"})
        company.add_warehouse({"WarehouseCode": "02", "WarehouseName": "Izmir depot"})
        for number in range(3, 11):
            # Transit, returns, consignment… places a real company keeps stock rows for; not sold from.
            company.add_warehouse(
                {"WarehouseCode": f"{number:02d}", "WarehouseName": f"Depot {number}", "Nettable": "tNO"}
            )
    if not company.price_lists:
        company.add_price_list({"PriceListNo": 1, "PriceListName": "Base Price"})
        company.add_price_list({"PriceListNo": 2, "PriceListName": "Dealer Price", "BasePriceList": 1, "Factor": 0.85})
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


def _seed_items(company: Company, rng: random.Random, items: int) -> None:
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


def _seed_customers(company: Company, rng: random.Random, customers: int) -> None:
    for number in range(1, customers + 1):
        code = f"C{number:04d}"
        if code in company.business_partners:
            continue
        company.add_business_partner(
            {
                "CardCode": code,
                "CardName": f"Demo Bayi {number} Ltd. Şti.",
                "FederalTaxID": tax_number(rng),
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


# Items as real companies hold them next to their goods (see ``sap_b1_real_items.json``): what is bought or booked
# but never sold, and sales items without an inventory unit or a sales VAT group.
AWKWARD_ITEMS: tuple[dict[str, Any], ...] = (
    {"ItemCode": "Z9001", "ItemName": "Depo kirası", "SalesItem": "tNO", "InventoryItem": "tNO",
     "InventoryUOM": None, "SalesUnit": "Pcs", "SalesVATGroup": None},
    {"ItemCode": "Z9002", "ItemName": "Yazılım lisansı", "SalesItem": "tNO", "InventoryItem": "tNO",
     "InventoryUOM": None, "SalesUnit": "Pcs", "SalesVATGroup": None, "PurchaseItem": "tYES"},
    {"ItemCode": "Z9003", "ItemName": "Montaj hizmeti", "InventoryItem": "tNO", "InventoryUOM": None,
     "SalesUnit": "Pcs", "SalesVATGroup": None},
    {"ItemCode": "Z9004", "ItemName": "İthal pompa",
     "ItemPrices": [{"PriceList": 1, "Price": 655.0, "Currency": "USD"}]},
    {"ItemCode": "Z9005", "ItemName": "Eski model", "ValidTo": "2020-12-31"},
    {"ItemCode": "Z9006", "ItemName": "Yeni sezon", "Frozen": "tYES", "FrozenFrom": "2099-01-01"},
)  # fmt: skip


def _seed_awkward_items(company: Company) -> None:
    for payload in AWKWARD_ITEMS:
        if payload["ItemCode"] not in company.items:
            company.add_item(dict(payload))
