"""The adapter contract, run against the SAP Business One adapter with the Service Layer simulator as the ERP."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

pytest.register_assert_rewrite("erpsync.tests.contract")

from catalog.tests.media_files import image_bytes  # noqa: E402
from erpsync.adapters.base import (  # noqa: E402
    DocumentKind,
    ErpCustomerPrice,
    ErpDocument,
    ErpOrderState,
    ErpOrderStatus,
    ErpProductMedia,
    ErpUnit,
    MediaKind,
)
from erpsync.adapters.sap_b1 import SapB1Adapter  # noqa: E402
from erpsync.simulators import SapB1Simulator  # noqa: E402
from erpsync.tests.contract import (  # noqa: E402
    CUSTOMER_TIMEOUT_AFTER_APPLY,
    TIMEOUT_AFTER_APPLY,
    UNAVAILABLE,
    AdapterContract,
    ErpSide,
    canonical,
    sample_credit_memo,
    sample_order,
    sample_payment,
)

YES, NO = "tYES", "tNO"
# The contract's price list codes as SAP numbers its lists.
PRICE_LIST_NUMBERS = {"BAYI": 1, "USD": 2}
# The units the contract's order uses, in one unit group of the contract's item.
UNITS = (ErpUnit("AD", "Adet"), ErpUnit("KOLI", "Koli"), ErpUnit("KG", "Kilogram"))
CUSTOMER = "120.01.001"
WINDOW_ENTITIES = {"order_status", "delivery", "invoice", "credit_memo"}


def adapter_for(sim: SapB1Simulator, version: str = "v1", **settings: Any) -> SapB1Adapter:
    """An adapter on the simulator's ``version`` Service Layer (``/b1s/v1/`` or ``/b1s/v2/``)."""
    base_url = sim.base_url_v2 if version == "v2" else sim.base_url
    return SapB1Adapter(
        settings={"base_url": base_url, "company_db": sim.company_db, "timeout_seconds": 5, **settings},
        credentials={"username": "manager", "password": "1234"},
    )


class SapB1ErpSide(ErpSide):
    """An empty company on the simulator with the customer and item the contract's orders use. ``publish``
    writes the records as an ERP user would key them in; orders reach the company the moment they are posted."""

    failures = frozenset({UNAVAILABLE, TIMEOUT_AFTER_APPLY, CUSTOMER_TIMEOUT_AFTER_APPLY})

    def __init__(self, sim: SapB1Simulator, version: str = "v1") -> None:
        self.keyed: set[str] = set()  # business partners keyed in here, not created by the portal
        self.sim = sim
        self.version = version
        self.company = sim.company
        self._put("Warehouses", "WarehouseCode", {"WarehouseCode": "IST", "WarehouseName": "İstanbul Depo"})
        with self.company.lock:
            for entry, unit in enumerate(UNITS, start=1):
                self.company.add_uom(entry, unit.code, unit.name)
            definitions = [
                {"AlternateUoM": 1, "AlternateQuantity": 1.0, "BaseQuantity": 1.0},
                {"AlternateUoM": 2, "AlternateQuantity": 1.0, "BaseQuantity": 12.0},
                {"AlternateUoM": 3, "AlternateQuantity": 1.0, "BaseQuantity": 1.0},
            ]
            self.company.add_uom_group(
                {"AbsEntry": 1, "Code": "CAY", "BaseUoM": 1, "UoMGroupDefinitionCollection": definitions}
            )
        self._put(
            "Items",
            "ItemCode",
            {"ItemCode": "ÇAY-001", "ItemName": "Rize Turist Çayı", "UoMGroupEntry": 1, "InventoryUoMEntry": 1},
        )
        self._put("BusinessPartners", "CardCode", {"CardCode": CUSTOMER, "CardName": "Öztürk Gıda"})

    def _put(self, set_name: str, key: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Create the entity, or replace it when it exists (kept fields: those ``payload`` does not name)."""
        if set_name == "BusinessPartners":
            self.keyed.add(payload[key])
        with self.company.lock:
            collection = self.company.collection(set_name)
            old = collection.pop(payload[key], None)
            if old is not None and set_name == "BusinessPartners":
                payload = {**{k: v for k, v in old.items() if k in ("CardName", "PriceListNum")}, **payload}
            return self.company.create(set_name, payload)[1]

    def make_adapter(self) -> SapB1Adapter:
        return adapter_for(
            self.sim,
            self.version,
            order_warehouse="IST",
            vat_groups={"20": "S1"},
            payment_accounts={"*": "102.01"},
            refund_account="610.01",
            read_retries=1,
        )

    def expected_complete(self, entity: str) -> bool:
        return entity not in WINDOW_ENTITIES

    def _order(self, reference: str) -> dict[str, Any]:
        lines = [{"ItemCode": "ÇAY-001", "Quantity": 10, "UnitPrice": 100, "WarehouseCode": "IST"},
                 {"ItemCode": "ÇAY-001", "Quantity": 5, "UnitPrice": 90, "WarehouseCode": "IST"}]  # fmt: skip
        return self.sim.create(
            "Orders", {"CardCode": CUSTOMER, "NumAtCard": reference, "DocDueDate": "2026-03-05", "DocumentLines": lines}
        )

    def _publish_unit(self, unit) -> None:
        """The contract's units are the company's (see ``samples``)."""
        assert unit.code in {known.code for known in UNITS}

    def _publish_agreement(self, agreement) -> None:
        with self.company.lock:
            if agreement.product_code not in self.company.items:
                self.company.add_item({"ItemCode": agreement.product_code, "ItemName": agreement.product_code})
            self.company.add_special_price(
                {
                    "CardCode": agreement.customer_code,
                    "ItemCode": agreement.product_code,
                    "Price": float(agreement.value) if agreement.kind == "fixed_price" else 0.0,
                    "DiscountPercent": float(agreement.value) if agreement.kind == "discount" else 0.0,
                    "AutoUpdate": YES if agreement.kind == "discount" else NO,
                    "Currency": agreement.currency or "TRY",
                    "ValidFrom": agreement.valid_from.isoformat() if agreement.valid_from else None,
                    "ValidTo": agreement.valid_to.isoformat() if agreement.valid_to else None,
                }
            )

    def _publish_order_status(self, status) -> None:
        order = self._order(status.reference)
        if status.state == ErpOrderState.CANCELLED:
            with self.company.lock:
                self.company.action("Orders", order["DocEntry"], "Cancel")
        elif status.state == ErpOrderState.PARTIALLY_SHIPPED:
            self.sim.deliver(order["DocEntry"], {0: 4})
        elif status.state == ErpOrderState.INVOICED:
            self.sim.invoice(self.sim.deliver(order["DocEntry"])["DocEntry"])

    def _publish_delivery(self, document) -> None:
        order = self._order(document.order_reference)
        self.sim.deliver(order["DocEntry"], tracking_number=document.tracking_number, DocDate=str(document.issued_on))

    def _publish_invoice(self, document) -> None:
        order = self._order(document.order_reference)
        self.sim.invoice(order["DocEntry"], base_type=17, DocDate=str(document.issued_on))

    def _publish_credit_memo(self, document) -> None:
        order = self._order(document.order_reference)
        invoice = self.sim.invoice(order["DocEntry"], base_type=17)
        self.sim.credit_note(invoice["DocEntry"], DocDate=str(document.issued_on))

    def _publish_ledger(self, entry) -> None:
        """Invoices and credit memos keyed in as service documents of one untaxed line, so their totals are the
        contract's amounts to the cent."""
        header = {
            "CardCode": entry.customer_code,
            "DocDate": str(entry.posted_on),
            "Comments": entry.description or None,
        }
        line = {"AccountCode": "600.01", "VatGroup": "S0", "PriceAfterVAT": float(abs(entry.amount))}
        service = {"DocType": "dDocument_Service", "DocumentLines": [line]}
        if entry.kind == "invoice" and entry.open_amount in (None, entry.amount):
            self.sim.create("Invoices", {**header, **service, "DocDueDate": str(entry.due_on or entry.posted_on)})
        elif entry.kind == "credit_memo" and entry.open_amount in (None, entry.amount):
            self.sim.create("CreditNotes", {**header, **service})
        else:
            raise NotImplementedError(f"publishing {entry.kind} movements")

    def publish_open_orders(self) -> tuple[set[str], set[str]]:
        self._order("B2B-OPEN-1")
        with self.company.lock:
            self.company.action("Orders", self._order("B2B-CANCELLED-1")["DocEntry"], "Cancel")
            self.company.action("Orders", self._order("B2B-CLOSED-1")["DocEntry"], "Close")
        return {"B2B-OPEN-1"}, {"B2B-CANCELLED-1", "B2B-CLOSED-1"}

    def publish(self, entity: str, records: Sequence[Any], *, complete: bool = True) -> None:
        for record in records:
            getattr(self, f"_publish_{entity}")(record)

    def _publish_product_media(self, record) -> None:
        if not record.removed:
            self.company.set_item_picture(record.product_code, f"{record.product_code}.jpg", record.content)

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
            quotations = list(self.company.quotations.values())
            payments = list(self.company.incoming_payments.values())
            credit_notes = list(self.company.credit_notes.values())
        if kind == "customers":
            with self.company.lock:
                codes = list(self.company.business_partners)
            return sorted(code for code in codes if code not in self.keyed)
        if kind == "payments":
            return sorted(payment["CounterReference"] for payment in payments)
        if kind == "credit_memos":
            return sorted(note["NumAtCard"] for note in credit_notes)
        if kind == "orders":
            return sorted(order["NumAtCard"] for order in orders)
        if kind == "cancellations":
            return sorted(order["NumAtCard"] for order in orders if order["Cancelled"] == YES)
        if kind == "quotes":
            return sorted(quotation["NumAtCard"] for quotation in quotations)
        if kind == "quote_cancellations":
            return sorted(quotation["NumAtCard"] for quotation in quotations if quotation["Cancelled"] == YES)
        return []

    def consume(self) -> None:
        """Nothing to do: the Service Layer books an order the moment it accepts it."""

    def simulate(self, failure: str) -> None:
        if failure == UNAVAILABLE:  # the load balancer answers for a Service Layer that is down
            self.sim.faults.error(status=503, count=None)
        elif failure == TIMEOUT_AFTER_APPLY:
            self.sim.faults.drop_response("Orders", method="POST")
        elif failure == CUSTOMER_TIMEOUT_AFTER_APPLY:
            self.sim.faults.drop_response("BusinessPartners", method="POST")
        else:
            super().simulate(failure)

    def sample_write(self, kind: str) -> Any:
        if kind == "payments":
            return sample_payment()
        invoice = self.sim.invoice(self._order("B2B-2026-000123")["DocEntry"], base_type=17)
        return dataclasses.replace(sample_credit_memo(), invoice_number=str(invoice["DocNum"]))

    def samples(self, entity: str) -> list[Any]:
        """SAP's own shapes where the contract's do not fit it: its units, special prices per customer and item,
        and documents SAP numbers itself (statuses and documents come from real orders, deliveries and
        invoices)."""
        sap = {
            "unit": list(UNITS),
            "agreement": [
                ErpCustomerPrice(
                    f"{CUSTOMER}|ÇAY-001",
                    CUSTOMER,
                    "fixed_price",
                    Decimal("99.9"),
                    product_code="ÇAY-001",
                    currency="TRY",
                    valid_to=date(2026, 6, 30),
                    note="SAP B1 special price",
                ),
                ErpCustomerPrice(
                    f"{CUSTOMER}|BISK-9",
                    CUSTOMER,
                    "discount",
                    Decimal("7.5"),
                    product_code="BISK-9",
                    note="SAP B1 special price",
                ),
            ],
            "order_status": [
                ErpOrderStatus("B2B-2026-000123", ErpOrderState.PARTIALLY_SHIPPED),
                ErpOrderStatus("B2B-2026-000124", ErpOrderState.CANCELLED),
                ErpOrderStatus("B2B-2026-000125", ErpOrderState.INVOICED),
                ErpOrderStatus("B2B-2026-000126", ErpOrderState.OPEN),
            ],
            "delivery": [
                ErpDocument(
                    DocumentKind.DELIVERY,
                    "",
                    CUSTOMER,
                    date(2026, 3, 4),
                    order_reference="B2B-2026-000123",
                    tracking_number="123456",
                ),
            ],
            "invoice": [
                ErpDocument(DocumentKind.INVOICE, "", CUSTOMER, date(2026, 3, 4), order_reference="B2B-2026-000123")
            ],
            "credit_memo": [
                ErpDocument(DocumentKind.CREDIT_MEMO, "", CUSTOMER, date(2026, 3, 6), order_reference="B2B-2026-9")
            ],
        }
        if entity in sap:
            return sap[entity]
        if entity == "product_media":
            # One picture per item in SAP; every other item of the company reads as having none.
            with self.company.lock:
                codes = sorted(self.company.items)
            picture = image_bytes("JPEG", size=(40, 30))
            return [
                ErpProductMedia(code, MediaKind.IMAGE, "picture", content=picture, position=1)
                if code == "ÇAY-001"
                else ErpProductMedia(code, MediaKind.IMAGE, "picture", removed=True)
                for code in codes
            ]
        records = super().samples(entity)
        if entity == "ledger":
            # SAP numbers its documents (ids follow its DocEntry); a credit memo applied to nothing is open in full.
            invoice, memo = records
            return [
                dataclasses.replace(invoice, entry_id="inv:1", document_number=""),
                dataclasses.replace(memo, entry_id="crn:1", open_amount=memo.amount),
            ]
        if entity == "price":
            # Quantity breaks and pack prices are not on the item's price lists in SAP (special prices are).
            return [record for record in records if not record.unit and record.min_quantity == 1]
        return records

    def normalise(self, entity: str, record: Any) -> Any:
        """What SAP carries of the contract's records: codes of price lists as numbers, no timestamps, and the
        fields the adapter does not map (yet) at their defaults."""
        number = {code: str(value) for code, value in PRICE_LIST_NUMBERS.items()}
        if entity == "product_media":
            return dataclasses.replace(record, source="")
        if entity == "product":
            return dataclasses.replace(
                record,
                # An item without a sales VAT group carries "*" (see the adapter's default_vat_group).
                tax_code="" if record.tax_code == "*" else record.tax_code,
                inactive_reason="",
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
        if entity == "order_status":
            return dataclasses.replace(record, document_number="", document_id="")
        if entity == "ledger":
            # Document numbers are SAP's own; the time of the last change is SAP's clock.
            return dataclasses.replace(
                record,
                document_number="",
                amount=canonical(record.amount),
                open_amount=canonical(record.open_amount),
                updated_at=None,
            )
        if entity in ("delivery", "invoice", "credit_memo"):
            # Numbers, sums, due dates and lines are SAP's own; the adapter's tests check them against the company.
            return dataclasses.replace(
                record, number="", net=None, vat=None, gross=None, due_on=None, related_number="", lines=None
            )
        return record

    def invalid_order(self):
        return dataclasses.replace(sample_order(), customer_code="NO-SUCH-CUSTOMER")


class TestSapB1AdapterContract(AdapterContract):
    """The contract on the v1 Service Layer (OData v3-style JSON)."""

    version = "v1"

    @pytest.fixture
    def erp(self):
        with SapB1Simulator(items=0, customers=0) as sim:
            yield SapB1ErpSide(sim, self.version)


class TestSapB1AdapterContractV2(TestSapB1AdapterContract):
    """The same contract on the v2 Service Layer (OData v4: ``@odata.*`` annotations, ISO dates with a time,
    error codes as text and plain messages)."""

    version = "v2"
