"""The SAP RFC simulator as the contract's ERP side, shared by the SAP RFC tests: an SAP client with the sales area,
units and locations the portal's connection names, records published as SAP's users key them in."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from datetime import timedelta
from decimal import Decimal
from typing import Any

from erpsync.adapters.base import (
    DocumentKind,
    ErpAddress,
    ErpBalance,
    ErpCategory,
    ErpCredit,
    ErpCustomer,
    ErpCustomerPrice,
    ErpDocument,
    ErpLedgerEntry,
    ErpOrderState,
    ErpOrderStatus,
    ErpProduct,
    ErpProductUnit,
    ErpStock,
    ErpUnit,
    ErpWarehouse,
    LedgerKind,
)
from erpsync.adapters.sap_rfc import SapRfcAdapter
from erpsync.simulators.sap_rfc import SapSystem, alpha, register, unregister
from erpsync.tests.contract import TIMEOUT_AFTER_APPLY, UNAVAILABLE, ErpSide, sample_order

D = Decimal
CUSTOMER = "120.01.001"
CREDENTIALS = {"ashost": "sap.example", "sysnr": "00", "client": "100", "user": "RFC_B2B", "passwd": "secret"}
_names = itertools.count(1)


def new_system() -> tuple[str, SapSystem]:
    """A fresh simulated client, registered under a name of its own."""
    name = f"sim{next(_names)}"
    system = register(name, SapSystem())
    system.sales_areas = {("1000", "10", "00")}
    return name, system


def adapter_settings(name: str, **settings: Any) -> dict[str, Any]:
    return {
        "transport": "simulator",
        "simulator": name,
        "sales_org": "1000",
        "rejection_reason": "Z1",
        "locations": ["1000/0001", "1000/0002"],
        "description_fields": ["ZZLANGTEXT", "ZZVERPACKUNG"],
        "timeout_seconds": 2,
        **settings,
    }


class SapRfcErpSide(ErpSide):
    """An SAP client holding the contract's customer and the material its orders use (sold in KOLI of 12 and KG)."""

    failures = frozenset({UNAVAILABLE, TIMEOUT_AFTER_APPLY})

    def __init__(self) -> None:
        self.name, self.system = new_system()
        self.system.add_customer(CUSTOMER, "Öztürk Gıda Ltd. Şti.", tax_number="1234567890")
        self.system.add_material("ÇAY-001", "Rize Turist Çayı", units={"KOLI": (12, 1), "KG": (1, 1)}, price=100)
        self.system.set_stock("ÇAY-001", "1000", "0001", 500)

    def close(self) -> None:
        unregister(self.name)

    def make_adapter(self, **settings: Any) -> SapRfcAdapter:
        return SapRfcAdapter(settings=adapter_settings(self.name, **settings), credentials=CREDENTIALS)

    def expected_complete(self, entity: str) -> bool:
        return entity not in {"order_status", "delivery", "invoice"}

    # --- publishing ---

    def publish(self, entity: str, records: Sequence[Any], *, complete: bool = True) -> None:
        for record in records:
            getattr(self, f"_publish_{entity}")(record)

    def _publish_unit(self, unit: ErpUnit) -> None:
        self.system.units[unit.code] = (unit.code, unit.name)

    def _publish_category(self, category: ErpCategory) -> None:
        self.system.groups[category.code] = category.name

    def _publish_warehouse(self, warehouse: ErpWarehouse) -> None:
        plant, _, location = warehouse.code.partition("/")
        self.system.locations[(plant, location)] = warehouse.name

    def _publish_product(self, product: ErpProduct) -> None:
        description, _, packaging = product.description.partition("\n")
        self.system.add_material(
            product.code,
            product.name,
            text_en=product.name_en,
            base_unit=product.unit,
            units={unit.unit: (int(unit.factor), 1) for unit in product.units},
            ean=product.barcode,
            group=product.category_code,
            material_type="DIEN" if product.unit == "H" else "HAWA",
            sales=product.inactive_reason != "not_sold" or product.unit == "H",
            sales_status="Z1" if product.inactive_reason == "frozen" else "",
            long_text=description,
            packaging=packaging,
        )

    def _material(self, code: str) -> None:
        if alpha(code, 18) not in self.system.materials:
            self.system.add_material(code, code, price=10)

    def _publish_stock(self, stock: ErpStock) -> None:
        self._material(stock.product_code)
        plant, _, location = stock.warehouse_code.partition("/")
        self.system.set_stock(stock.product_code, plant, location, stock.on_hand)

    def _publish_agreement(self, agreement: ErpCustomerPrice) -> None:
        self._material(agreement.product_code)
        if alpha(agreement.customer_code, 10) not in self.system.customers:
            self.system.add_customer(agreement.customer_code, agreement.customer_code)
        self.system.set_price(
            agreement.product_code,
            agreement.value,
            customer=agreement.customer_code,
            currency=agreement.currency or None,
        )

    def _publish_customer(self, customer: ErpCustomer) -> None:
        main = customer.addresses[0] if customer.addresses else ErpAddress("MAIN", "", "", "")
        self.system.add_customer(
            customer.code,
            customer.title,
            city=main.city,
            street=main.line1,
            district=main.district,
            postal_code=main.postal_code,
            country=main.country,
            phone=customer.phone,
            email=customer.email,
            tax_number=customer.tax_number,
            tax_office=customer.tax_office,
            currency=customer.currency,
            payment_terms=customer.payment_terms_code,
            order_block="" if customer.active else "01",
        )

    def _publish_balance(self, balance: ErpBalance) -> None:
        if alpha(balance.customer_code, 10) not in self.system.customers:
            self.system.add_customer(balance.customer_code, balance.customer_code)
        self.system.post_item(balance.customer_code, balance.balance, text="Devir")

    def _publish_credit(self, credit: ErpCredit) -> None:
        if alpha(credit.customer_code, 10) not in self.system.customers:
            self.system.add_customer(credit.customer_code, credit.customer_code)
        self.system.add_customer(
            credit.customer_code,
            self.system.customers[alpha(credit.customer_code, 10)]["NAME1"],
            credit_limit=credit.credit_limit,
            blocked=credit.hold,
        )

    def _order(self, reference: str, customer: str = CUSTOMER) -> str:
        return self.system.key_in_order(reference, customer, [("ÇAY-001", 10), ("ÇAY-001", 5)])

    def _publish_order_status(self, status: ErpOrderStatus) -> None:
        document = self._order(status.reference)
        if status.state == ErpOrderState.CANCELLED:
            self.system.reject(document)
        elif status.state == ErpOrderState.PARTIALLY_SHIPPED:
            self.system.deliver(document, {"000010": 4})
        elif status.state == ErpOrderState.SHIPPED:
            self.system.deliver(document)
        elif status.state == ErpOrderState.INVOICED:
            self.system.deliver(document)
            self.system.invoice(document)

    def _publish_delivery(self, document: ErpDocument) -> None:
        self.system.deliver(self._order(document.order_reference), on=document.issued_on)

    def _publish_invoice(self, document: ErpDocument) -> None:
        order = self._order(document.order_reference)
        self.system.deliver(order)
        self.system.invoice(order, on=document.issued_on)

    def _publish_ledger(self, entry: ErpLedgerEntry) -> None:
        due = (entry.due_on - entry.posted_on).days if entry.due_on else 0
        kind = {LedgerKind.INVOICE: "DR", LedgerKind.COLLECTION: "DZ"}[entry.kind]
        self.system.post_item(
            entry.customer_code,
            entry.amount,
            reference=entry.document_number,
            text=entry.description,
            doc_type=kind,
            on=entry.posted_on,
            due_days=due,
            cleared=entry.open_amount == 0,
        )

    def publish_open_orders(self) -> tuple[set[str], set[str]]:
        self._order("B2B-OPEN-1")
        self.system.reject(self._order("B2B-CANCELLED-1"))
        self.system.deliver(self._order("B2B-DELIVERED-1"))
        return {"B2B-OPEN-1"}, {"B2B-CANCELLED-1", "B2B-DELIVERED-1"}

    # --- what SAP holds ---

    def received(self, kind: str) -> list[str]:
        self.system.run_updates()
        with self.system.lock:
            orders = list(self.system.orders.values())
        if kind == "orders":
            return sorted(order["BSTNK"] for order in orders)
        if kind == "cancellations":
            return sorted(order["BSTNK"] for order in orders if all(item["ABGRU"] for item in order["items"]))
        return []

    def consume(self) -> None:
        """Nothing to do: SAP books an order the moment its commit is through."""

    def simulate(self, failure: str) -> None:
        if failure == UNAVAILABLE:
            self.system.fault("unavailable", count=None)
        elif failure == TIMEOUT_AFTER_APPLY:
            self.system.fault("drop_after", "BAPI_TRANSACTION_COMMIT")
        else:
            super().simulate(failure)

    def invalid_order(self):
        return dataclasses.replace(sample_order(), customer_code="NO-SUCH-CUSTOMER")

    # --- SAP's shapes of the contract's records ---

    def samples(self, entity: str) -> list[Any]:
        today = self.system.today
        address = ErpAddress(
            "MAIN",
            "Öztürk Gıda Ltd. Şti.",
            "Büyükdere Cad. No:1",
            "İstanbul",
            kind="billing",
            district="Şişli",
            postal_code="34394",
            phone="+90 212 000 00 00",
            is_default=True,
        )
        sap = {
            "unit": [ErpUnit(code, name) for code, (_ext, name) in self.system.units.items()],
            "category": [ErpCategory(code, name) for code, name in self.system.groups.items()],
            "warehouse": [ErpWarehouse("1000/0001", "Merkez Depo"), ErpWarehouse("1000/0002", "İzmir Şube")],
            "product": [
                ErpProduct(
                    "ÇAY-001",
                    "Rize Turist Çayı 1 kg ğüşıöç ĞÜŞİÖÇ",
                    "ST",
                    name_en="Rize tea",
                    barcode="8690000000005",
                    category_code="ICECEK",
                    tax_code="1",
                    description='Siyah çay; "özel" harman ' + "ı" * 200 + "\n" + " ".join(["Koli 12x1 kg"] * 19),
                    units=(ErpProductUnit("KAR", D(12)), ErpProductUnit("PAL", D(480))),
                ),
                ErpProduct(
                    "4711",
                    "Kablo 3x2,5 mm² (sayısal malzeme no.)",
                    "ST",
                    tax_code="1",
                    units=(ErpProductUnit("KAR", D(10)),),
                ),
                ErpProduct("BISK-9", "Bisküvi", "KG", tax_code="1", active=False, inactive_reason="not_sold"),
                ErpProduct("900001", "Montaj hizmeti", "H", tax_code="1", active=False, inactive_reason="not_sold"),
                ErpProduct("ÇAY-002", "Yeşil Çay", "ST", tax_code="1", active=False, inactive_reason="frozen"),
            ],
            "stock": [
                ErpStock("ÇAY-001", "1000/0001", D("1234567.125")),
                ErpStock("ÇAY-001", "1000/0002", D("0")),
                ErpStock("4711", "1000/0001", D("5")),
                ErpStock("4711", "1000/0002", D("2.5")),
            ],
            "agreement": [
                ErpCustomerPrice(
                    f"{CUSTOMER}|ÇAY-001",
                    CUSTOMER,
                    "fixed_price",
                    D("99.9"),
                    product_code="ÇAY-001",
                    currency="TRY",
                    note="SAP pricing (simulated order)",
                ),
                ErpCustomerPrice(
                    f"{CUSTOMER}|4711",
                    CUSTOMER,
                    "fixed_price",
                    D("10"),
                    product_code="4711",
                    currency="TRY",
                    note="SAP pricing (simulated order)",
                ),
                ErpCustomerPrice(
                    "100001|ÇAY-001",
                    "100001",
                    "fixed_price",
                    D("87.5"),
                    product_code="ÇAY-001",
                    currency="EUR",
                    note="SAP pricing (simulated order)",
                ),
                ErpCustomerPrice(
                    "100001|4711",
                    "100001",
                    "fixed_price",
                    D("10"),
                    product_code="4711",
                    currency="TRY",
                    note="SAP pricing (simulated order)",
                ),
            ],
            "customer": [
                ErpCustomer(
                    CUSTOMER,
                    "Öztürk Gıda Ltd. Şti.",
                    "1234567890",
                    tax_office="Şişli",
                    email="muhasebe@ozturk.example",
                    phone="+90 212 000 00 00",
                    payment_terms_code="Z060",
                    addresses=(address,),
                ),
                ErpCustomer("100001", "Çiğdem Market", "99999999999", currency="EUR", active=False),
            ],
            "balance": [ErpBalance(CUSTOMER, D("15000.40")), ErpBalance("100001", D("-120.50"))],
            "credit": [
                ErpCredit(CUSTOMER, D("100000")),
                ErpCredit("100001", D("0"), hold=True, hold_reason="Credit blocked in SAP"),
            ],
            "order_status": [
                ErpOrderStatus("B2B-2026-000123", ErpOrderState.PARTIALLY_SHIPPED),
                ErpOrderStatus("B2B-2026-000124", ErpOrderState.CANCELLED),
                ErpOrderStatus("B2B-2026-000125", ErpOrderState.INVOICED),
                ErpOrderStatus("B2B-2026-000126", ErpOrderState.OPEN),
                ErpOrderStatus("B2B-2026-000127", ErpOrderState.SHIPPED),
            ],
            "delivery": [ErpDocument(DocumentKind.DELIVERY, "", CUSTOMER, today, order_reference="B2B-2026-000123")],
            "invoice": [
                ErpDocument(
                    DocumentKind.INVOICE,
                    "",
                    CUSTOMER,
                    today,
                    order_reference="B2B-2026-000123",
                    net=D("1500.00"),
                    vat=D("300.00"),
                    gross=D("1800.00"),
                ),
            ],
            "ledger": [
                ErpLedgerEntry(
                    "",
                    CUSTOMER,
                    today - timedelta(days=3),
                    LedgerKind.INVOICE,
                    D("20258.10"),
                    document_number="GIB2026000000042",
                    due_on=today + timedelta(days=57),
                    description="Satış faturası",
                    open_amount=D("20258.10"),
                ),
                ErpLedgerEntry(
                    "",
                    CUSTOMER,
                    today - timedelta(days=1),
                    LedgerKind.COLLECTION,
                    D("-250.75"),
                    document_number="DZ-7",
                    due_on=today - timedelta(days=1),
                    description="Havale",
                    open_amount=D("0"),
                ),
            ],
        }
        if entity == "agreement":
            # Customer 100001 pays in euros for ÇAY-001 (a price of its own); 4711 has only the list price.
            self.system.add_customer("100001", "Çiğdem Market", currency="EUR")
            self.system.add_material("4711", "Kablo", price=10)
            self.system.prices.pop(("", alpha("ÇAY-001", 18)), None)
        return sap[entity]

    def normalise(self, entity: str, record: Any) -> Any:
        if entity == "order_status":
            return dataclasses.replace(record, document_number="", document_id="")
        if entity in ("delivery", "invoice"):
            return dataclasses.replace(record, number="", currency="TRY", related_number="")
        if entity == "ledger":
            return dataclasses.replace(record, entry_id="", currency="TRY")
        if entity == "stock":
            return dataclasses.replace(record, on_hand=record.on_hand.normalize())
        return record
