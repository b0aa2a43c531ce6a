"""The adapter contract, run against the Paraşüt adapter with the Paraşüt simulator as the ERP. Every request the
adapter sends and every answer the simulator gives is checked against Paraşüt's description (``sim.violations``)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

pytest.register_assert_rewrite("erpsync.tests.contract")

from erpsync.adapters.base import (  # noqa: E402
    DocumentKind,
    ErpAddress,
    ErpDocument,
    ErpLedgerEntry,
    ErpPrice,
    ErpPriceList,
    ErpUnit,
    LedgerKind,
)
from erpsync.adapters.parasut import ParasutAdapter  # noqa: E402
from erpsync.simulators.parasut import ParasutSimulator  # noqa: E402
from erpsync.tests.contract import (  # noqa: E402
    TIMEOUT_AFTER_APPLY,
    UNAVAILABLE,
    AdapterContract,
    ErpSide,
    canonical,
    sample_credit_memo,
    sample_order,
    sample_payment,
)

pytestmark = pytest.mark.django_db

CUSTOMER = "120.01.001"  # the contract's customer: a Paraşüt contact with this tax number (customer_code tax_number)
RECENT = date.today() - timedelta(days=3)
WINDOW_ENTITIES = {"invoice", "credit_memo", "ledger"}


def adapter_for(sim: ParasutSimulator, **settings: Any) -> ParasutAdapter:
    return ParasutAdapter(
        settings={"base_url": sim.root_url, "company_id": sim.company_id, "timeout_seconds": 5, **settings},
        credentials={
            "client_id": sim.client_id,
            "client_secret": sim.client_secret,
            "username": sim.username,
            "password": sim.password,
        },
    )


class ParasutErpSide(ErpSide):
    """An empty Paraşüt company with the contract's customer, its tea and a bank account; ``publish`` keys records
    in as the company's users would."""

    failures = frozenset({UNAVAILABLE, TIMEOUT_AFTER_APPLY})

    def __init__(self, sim: ParasutSimulator) -> None:
        self.sim = sim
        self.company = sim.company
        with self.company.lock:
            self.customer = self.company.add_contact("Öztürk Gıda", tax_number=CUSTOMER)
            self.tea = self.company.add_product(code="ÇAY-001", name="Rize Turist Çayı", list_price=0)
            self.bank = self.company.add_account("Garanti BBVA TL")
        self.warehouse_codes: dict[str, str] = {}

    def make_adapter(self) -> ParasutAdapter:
        return adapter_for(
            self.sim,
            customer_code="tax_number",
            payment_accounts={"*": str(self.bank.id)},
            refunds=True,
            rate_limit=1000,
            read_retries=0,
            throttle_retries=0,
        )

    def expected_complete(self, entity: str) -> bool:
        return entity not in WINDOW_ENTITIES

    # -- publishing ---------------------------------------------------------------------------------------------

    def publish(self, entity: str, records: Sequence[Any], *, complete: bool = True) -> None:
        with self.company.lock:
            getattr(self, f"_publish_{entity}")(records)

    def _product(self, code: str, **attributes: Any):
        for product in self.company.tables["products"].values():
            if product.attributes.get("code") == code:
                product.attributes.update(attributes)
                return product
        return self.company.add_product(**{"code": code, "name": code, **attributes})

    def _contact(self, key: str, **attributes: Any):
        """The contact whose tax number is ``key``, updated with ``attributes`` (made when there is none)."""
        for contact in self.company.tables["contacts"].values():
            if contact.attributes.get("tax_number") == key:
                contact.attributes.update(attributes)
                return contact
        attributes = {"tax_number": key, **attributes}
        return self.company.add_contact(attributes.pop("name", key), **attributes)

    def _publish_product(self, records) -> None:
        for product in records:
            self._product(
                product.code,
                name=product.name,
                unit=product.unit,
                barcode=product.barcode or None,
                vat_rate=float(product.vat_rate) if product.vat_rate is not None else None,
                archived=not product.active,
            )

    def _publish_unit(self, records) -> None:
        for unit in records:
            self._product(f"U-{unit.code}", unit=unit.code)

    def _publish_warehouse(self, records) -> None:
        for warehouse in records:
            made = self.company.add_warehouse(warehouse.name, archived=not warehouse.active)
            self.warehouse_codes[str(made.id)] = warehouse.code

    def _publish_stock(self, records) -> None:
        for stock in records:
            product = self._product(stock.product_code)
            warehouse = next(
                (w for w in self.company.tables["warehouses"].values() if w.attributes["name"] == stock.warehouse_code),
                None,
            )
            if warehouse is None:
                warehouse = self.company.add_warehouse(stock.warehouse_code)
                self.warehouse_codes[str(warehouse.id)] = stock.warehouse_code
            self.company.set_stock(product, warehouse, stock.on_hand)

    def _publish_price_list(self, records) -> None:
        for price_list in records:
            code = "TRL" if price_list.currency == "TRY" else price_list.currency
            self._product(f"P-{code}", list_price=1.0, currency=code)

    def _publish_price(self, records) -> None:
        for price in records:
            code = price.price_list_code.removeprefix("LIST-")
            self._product(price.product_code, list_price=float(price.price), currency="TRL" if code == "TRY" else code)

    def _publish_customer(self, records) -> None:
        for number, customer in enumerate(records):
            address = customer.addresses[0] if customer.addresses else None
            key = CUSTOMER if number == 0 else customer.tax_number  # the first one is the company's own contact
            self._contact(
                key,
                name=customer.title,
                tax_number=customer.tax_number,
                tax_office=customer.tax_office,
                email=customer.email or None,
                phone=customer.phone or None,
                archived=not customer.active,
                address=address and address.line1,
                city=address and address.city,
                district=(address and address.district) or None,
                postal_code=(address and address.postal_code) or None,
            )

    def _publish_balance(self, records) -> None:
        for balance in records:
            self._contact(balance.customer_code, trl_balance=float(balance.balance), balance=float(balance.balance))

    def _invoice(
        self,
        reference: str,
        issued: date,
        *,
        item_type: str = "invoice",
        price: float = 1000,
        quantity: float = 1,
        due: date | None = None,
    ):
        line = {
            "type": "sales_invoice_details",
            "attributes": {"quantity": quantity, "unit_price": price, "vat_rate": 20},
            "relationships": {"product": {"data": {"id": str(self.tea.id)}}},
        }
        attributes = {
            "item_type": item_type,
            "issue_date": issued.isoformat(),
            "currency": "TRL",
            "order_no": reference or None,
            "due_date": (due or issued).isoformat(),
        }
        return self.company.create_invoice(
            {
                "attributes": attributes,
                "relationships": {"contact": {"data": {"id": str(self.customer.id)}}, "details": {"data": [line]}},
            }
        )

    def _publish_invoice(self, records) -> None:
        for document in records:
            invoice = self._invoice(document.order_reference, document.issued_on, due=document.due_on)
            if document.e_invoice_uuid:
                self.company.issue_e_document(invoice, "e_invoices", document.e_invoice_uuid)

    def _publish_credit_memo(self, records) -> None:
        for document in records:
            self._invoice(document.order_reference, document.issued_on, item_type="refund")

    def _publish_ledger(self, records) -> None:
        invoice_entry, payment_entry = records
        invoice = self._invoice("", invoice_entry.posted_on, due=invoice_entry.due_on)
        self.company.pay_invoice(
            invoice,
            {
                "date": payment_entry.posted_on.isoformat(),
                "amount": float(-payment_entry.amount),
                "account_id": self.bank.id,
                "description": payment_entry.description,
            },
        )

    # -- what the contract expects of Paraşüt ---------------------------------------------------------------------

    def samples(self, entity: str) -> list[Any]:
        own = {
            # Paraşüt's units are the texts its products are counted in (the contract's tea is counted in Adet).
            "unit": [ErpUnit("Adet", "Adet"), ErpUnit("Kg", "Kg", decimals=3)],
            "price_list": [
                ErpPriceList("LIST-TRY", "Liste fiyatı (TRY)"),
                ErpPriceList("LIST-USD", "Liste fiyatı (USD)", currency="USD"),
            ],
            "price": [
                ErpPrice("LIST-TRY", "ÇAY-001", Decimal("1250.50")),
                ErpPrice("LIST-USD", "PMP-USD", Decimal("349")),
            ],
            "invoice": [
                ErpDocument(
                    DocumentKind.INVOICE,
                    "",
                    CUSTOMER,
                    RECENT,
                    order_reference="B2B-2026-000123",
                    net=Decimal("1000"),
                    vat=Decimal("200"),
                    gross=Decimal("1200"),
                    due_on=RECENT + timedelta(days=60),
                    e_invoice_uuid="5f0c6c9e-0000-4000-8000-000000000042",
                )
            ],
            "credit_memo": [
                ErpDocument(
                    DocumentKind.CREDIT_MEMO,
                    "",
                    CUSTOMER,
                    RECENT,
                    net=Decimal("1000"),
                    vat=Decimal("200"),
                    gross=Decimal("1200"),
                    due_on=RECENT,
                )
            ],
            "ledger": [
                ErpLedgerEntry(
                    "inv",
                    CUSTOMER,
                    RECENT,
                    LedgerKind.INVOICE,
                    Decimal("1200"),
                    due_on=RECENT + timedelta(days=30),
                    open_amount=Decimal("700"),
                ),
                ErpLedgerEntry(
                    "pay",
                    CUSTOMER,
                    RECENT + timedelta(days=1),
                    LedgerKind.COLLECTION,
                    Decimal("-500"),
                    description="Havale",
                ),
            ],
        }
        return list(own.get(entity) or super().samples(entity))

    def normalise(self, entity: str, record: Any) -> Any:
        """What Paraşüt carries of the contract's records: no categories, brands, packs, English names or
        timestamps on products; warehouses known by id; one address per contact; balances without open orders."""
        if entity == "product":
            return dataclasses.replace(
                record,
                name_en="",
                tax_code="",
                category_code="",
                brand_code="",
                description="",
                description_en="",
                min_order_qty=None,
                order_multiple=None,
                batch_managed=False,
                units=(),
                updated_at=None,
                vat_rate=canonical(record.vat_rate),
                inactive_reason="",
            )
        if entity == "warehouse":
            return dataclasses.replace(record, code="", sellable=True)
        if entity == "stock":
            return dataclasses.replace(
                record,
                warehouse_code=self.warehouse_codes.get(record.warehouse_code, record.warehouse_code),
                on_hand=canonical(record.on_hand),
                committed=Decimal(0),
                as_of=None,
            )
        if entity == "price":
            return dataclasses.replace(record, price=canonical(record.price))
        if entity == "customer":
            addresses = record.addresses[:1]
            if addresses:
                address = addresses[0]
                addresses = (
                    ErpAddress(
                        "FATURA",
                        record.title,
                        address.line1,
                        address.city,
                        kind="billing",
                        district=address.district,
                        postal_code=address.postal_code,
                        phone=record.phone,
                        is_default=True,
                    ),
                )
            return dataclasses.replace(
                record,
                code=record.tax_number,
                price_list_code="",
                payment_terms_days=None,
                addresses=addresses,
                updated_at=None,
            )
        if entity == "balance":
            return dataclasses.replace(record, balance=canonical(record.balance), open_orders=None, as_of=None)
        if entity in ("invoice", "credit_memo"):
            return dataclasses.replace(
                record,
                number="",
                net=canonical(record.net),
                vat=canonical(record.vat),
                gross=canonical(record.gross),
                updated_at=None,
                lines=None,  # the invoice's details are Paraşüt's; the adapter's tests check them
            )
        if entity == "ledger":
            return dataclasses.replace(
                record,
                entry_id=record.entry_id.split(":")[0],
                document_number="",
                amount=canonical(record.amount),
                open_amount=canonical(record.open_amount),
                updated_at=None,
            )
        return record

    # -- what the company holds -----------------------------------------------------------------------------------

    def received(self, kind: str) -> list[str]:
        with self.company.lock:
            invoices = [row.attributes for row in self.company.tables["sales_invoices"].values()]
            payments = [row.attributes for row in self.company.tables["payments"].values()]
        if kind == "orders":
            return sorted(row["order_no"] for row in invoices if row.get("order_no"))
        if kind == "cancellations":
            return sorted(
                row["order_no"] for row in invoices if row.get("order_no") and row["item_type"] == "cancelled"
            )
        if kind == "credit_memos":
            return sorted(row["order_no"] for row in invoices if row["item_type"] == "refund")
        if kind == "payments":
            return sorted(found for row in payments for found in re.findall(r"\[([^\]]+)\]", row.get("notes") or ""))
        return []

    def consume(self) -> None:
        """Nothing to do: Paraşüt keeps what it accepts at once."""

    def simulate(self, failure: str) -> None:
        if failure == UNAVAILABLE:
            self.sim.faults.error(status=503, count=None)
        elif failure == TIMEOUT_AFTER_APPLY:
            self.sim.faults.drop_response(f"/{self.sim.company_id}/sales_invoices", method="POST")
        else:
            super().simulate(failure)

    def sample_write(self, kind: str) -> Any:
        with self.company.lock:
            invoice = self._invoice("B2B-2026-000123", date(2026, 3, 1), price=1000, quantity=10)
        if kind == "credit_memos":
            return dataclasses.replace(sample_credit_memo(), invoice_number=f"#{invoice.id}")
        return sample_payment()

    def invalid_order(self):
        return dataclasses.replace(sample_order(), customer_code="0000000000")


class TestParasutAdapterContract(AdapterContract):
    @pytest.fixture
    def erp(self):
        with ParasutSimulator(rate_limit=0) as sim:
            yield ParasutErpSide(sim)
            assert sim.violations == []
