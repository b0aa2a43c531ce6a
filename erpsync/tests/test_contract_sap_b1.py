"""The adapter contract, run against the SAP Business One adapter with the Service Layer simulator as the ERP."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pytest

pytest.register_assert_rewrite("erpsync.tests.contract")

from erpsync.adapters.sap_b1 import SapB1Adapter  # noqa: E402
from erpsync.simulators import SapB1Simulator  # noqa: E402
from erpsync.tests.contract import (  # noqa: E402
    TIMEOUT_AFTER_APPLY,
    UNAVAILABLE,
    AdapterContract,
    ErpSide,
    sample_order,
)

YES, NO = "tYES", "tNO"
# The contract's price list codes as SAP numbers its lists.
PRICE_LIST_NUMBERS = {"BAYI": 1, "USD": 2}


def canonical(value: Decimal | None) -> Decimal | None:
    """A Decimal without trailing zeros, so ``1250.50`` and ``1250.5`` also sort alike."""
    if value is None:
        return None
    value = value.normalize()
    return value.quantize(Decimal(1)) if value.as_tuple().exponent > 0 else value


def adapter_for(sim: SapB1Simulator, **settings: Any) -> SapB1Adapter:
    return SapB1Adapter(
        settings={"base_url": sim.base_url, "company_db": sim.company_db, "timeout_seconds": 5, **settings},
        credentials={"username": "manager", "password": "1234"},
    )


class SapB1ErpSide(ErpSide):
    """An empty company on the simulator with the customer and item the contract's orders use. ``publish``
    writes the records as an ERP user would key them in; orders reach the company the moment they are posted."""

    failures = frozenset({UNAVAILABLE, TIMEOUT_AFTER_APPLY})

    def __init__(self, sim: SapB1Simulator) -> None:
        self.sim = sim
        self.company = sim.company
        self._put("Warehouses", "WarehouseCode", {"WarehouseCode": "IST", "WarehouseName": "İstanbul Depo"})
        self._put("Items", "ItemCode", {"ItemCode": "ÇAY-001", "ItemName": "Rize Turist Çayı"})
        self._put("BusinessPartners", "CardCode", {"CardCode": "120.01.001", "CardName": "Öztürk Gıda"})

    def _put(self, set_name: str, key: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Create the entity, or replace it when it exists (kept fields: those ``payload`` does not name)."""
        with self.company.lock:
            collection = self.company.collection(set_name)
            old = collection.pop(payload[key], None)
            if old is not None and set_name == "BusinessPartners":
                payload = {**{k: v for k, v in old.items() if k in ("CardName", "PriceListNum")}, **payload}
            return self.company.create(set_name, payload)[1]

    def make_adapter(self) -> SapB1Adapter:
        return adapter_for(self.sim, order_warehouse="IST", vat_groups={"20": "S1"})

    def publish(self, entity: str, records: Sequence[Any], *, complete: bool = True) -> None:
        for record in records:
            getattr(self, f"_publish_{entity}")(record)

    def _publish_product(self, product) -> None:
        self._put(
            "Items",
            "ItemCode",
            {
                "ItemCode": product.code,
                "ItemName": product.name,
                "ForeignName": product.name_en or None,
                "InventoryUOM": product.unit,
                "SalesUnit": product.unit,
                "SalesVATGroup": product.tax_code or None,
                "BarCode": product.barcode or None,
                "ManageBatchNumbers": YES if product.batch_managed else NO,
                "Frozen": NO if product.active else YES,
            },
        )

    def _publish_warehouse(self, warehouse) -> None:
        payload = {
            "WarehouseCode": warehouse.code,
            "WarehouseName": warehouse.name,
            "Nettable": YES if warehouse.sellable else NO,
            "Inactive": NO if warehouse.active else YES,
        }
        self._put("Warehouses", "WarehouseCode", payload)

    def _publish_stock(self, stock) -> None:
        with self.company.lock:
            if stock.warehouse_code not in self.company.warehouses:
                self.company.add_warehouse({"WarehouseCode": stock.warehouse_code, "WarehouseName": "Depo"})
            if stock.product_code not in self.company.items:
                self.company.add_item({"ItemCode": stock.product_code, "ItemName": stock.product_code})
            self.company.move_stock(
                stock.product_code,
                stock.warehouse_code,
                in_stock=float(stock.on_hand),
                committed=float(stock.committed),
            )

    def _publish_price_list(self, price_list) -> None:
        payload = {
            "PriceListNo": PRICE_LIST_NUMBERS[price_list.code],
            "PriceListName": price_list.name,
            "DefaultPrimeCurrency": price_list.currency,
            "IsGrossPrice": YES if price_list.vat_included else NO,
            "Active": YES if price_list.active else NO,
            "ValidFrom": price_list.valid_from.isoformat() if price_list.valid_from else None,
            "ValidTo": price_list.valid_to.isoformat() if price_list.valid_to else None,
        }
        self._put("PriceLists", "PriceListNo", payload)

    def _publish_price(self, price) -> None:
        number = PRICE_LIST_NUMBERS[price.price_list_code]
        with self.company.lock:
            if number not in self.company.price_lists:
                self.company.add_price_list({"PriceListNo": number, "PriceListName": price.price_list_code})
            if price.product_code not in self.company.items:
                self.company.add_item({"ItemCode": price.product_code, "ItemName": price.product_code})
            self.company.patch(
                "Items", price.product_code, {"ItemPrices": [{"PriceList": number, "Price": float(price.price)}]}
            )

    def _publish_customer(self, customer) -> None:
        addresses = [
            {
                "AddressName": address.code,
                "Street": address.line1,
                "City": address.city,
                "County": address.district or None,
                "ZipCode": address.postal_code or None,
                "Country": address.country,
                "AddressType": "bo_BillTo" if address.kind == "billing" else "bo_ShipTo",
            }
            for address in customer.addresses
        ]
        payload = {
            "CardCode": customer.code,
            "CardName": customer.title,
            "FederalTaxID": customer.tax_number,
            "EmailAddress": customer.email or None,
            "Phone1": customer.phone or None,
            "Currency": customer.currency,
            "PriceListNum": PRICE_LIST_NUMBERS.get(customer.price_list_code),
            "Valid": YES if customer.active else NO,
            "BPAddresses": addresses,
        }
        self._put("BusinessPartners", "CardCode", payload)

    def _publish_balance(self, balance) -> None:
        payload = {
            "CardCode": balance.customer_code,
            "Currency": balance.currency,
            "CurrentAccountBalance": float(balance.balance),
            "OpenOrdersBalance": float(balance.open_orders or 0),
        }
        self._put("BusinessPartners", "CardCode", payload)

    def _publish_credit(self, credit) -> None:
        payload = {
            "CardCode": credit.customer_code,
            "CreditLimit": float(credit.credit_limit),
            "Frozen": YES if credit.hold else NO,
            "FrozenRemarks": credit.hold_reason or None,
        }
        self._put("BusinessPartners", "CardCode", payload)

    def received(self, kind: str) -> list[str]:
        with self.company.lock:
            orders = list(self.company.orders.values())
        if kind == "orders":
            return sorted(order["NumAtCard"] for order in orders)
        if kind == "cancellations":
            return sorted(order["NumAtCard"] for order in orders if order["Cancelled"] == YES)
        return []

    def consume(self) -> None:
        """Nothing to do: the Service Layer books an order the moment it accepts it."""

    def simulate(self, failure: str) -> None:
        if failure == UNAVAILABLE:  # the load balancer answers for a Service Layer that is down
            self.sim.faults.error(status=503, count=None)
        elif failure == TIMEOUT_AFTER_APPLY:
            self.sim.faults.drop_response("Orders", method="POST")
        else:
            super().simulate(failure)

    def samples(self, entity: str) -> list[Any]:
        records = super().samples(entity)
        if entity == "price":
            # Quantity breaks and pack prices are not on the item's price lists in SAP (special prices are).
            return [record for record in records if not record.unit and record.min_quantity == 1]
        return records

    def normalise(self, entity: str, record: Any) -> Any:
        """What SAP carries of the contract's records: codes of price lists as numbers, no timestamps, and the
        fields the adapter does not map (yet) at their defaults."""
        number = {code: str(value) for code, value in PRICE_LIST_NUMBERS.items()}
        if entity == "product":
            return dataclasses.replace(
                record,
                vat_rate=None,
                category_code="",
                brand_code="",
                description="",
                min_order_qty=None,
                order_multiple=None,
                units=(),
                updated_at=None,
            )
        if entity == "stock":
            return dataclasses.replace(
                record, on_hand=canonical(record.on_hand), committed=canonical(record.committed), as_of=None
            )
        if entity == "price_list":
            return dataclasses.replace(record, code=number.get(record.code, record.code), supersedes="")
        if entity == "price":
            return dataclasses.replace(
                record,
                price_list_code=number.get(record.price_list_code, record.price_list_code),
                price=canonical(record.price),
            )
        if entity == "customer":
            addresses = tuple(
                dataclasses.replace(address, name=address.code, line2="", phone="", is_default=False)
                for address in record.addresses
            )
            return dataclasses.replace(
                record,
                price_list_code=number.get(record.price_list_code, record.price_list_code),
                tax_office="",
                payment_terms_days=None,
                addresses=addresses,
                updated_at=None,
            )
        if entity == "balance":
            return dataclasses.replace(
                record,
                balance=canonical(record.balance),
                open_orders=canonical(record.open_orders or Decimal(0)),
                as_of=None,
            )
        if entity == "credit":
            return dataclasses.replace(record, credit_limit=canonical(record.credit_limit), as_of=None)
        return record

    def invalid_order(self):
        return dataclasses.replace(sample_order(), customer_code="NO-SUCH-CUSTOMER")


class TestSapB1AdapterContract(AdapterContract):
    @pytest.fixture
    def erp(self):
        with SapB1Simulator(items=0, customers=0) as sim:
            yield SapB1ErpSide(sim)
