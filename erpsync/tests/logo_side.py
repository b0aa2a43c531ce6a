"""The Logo simulator as the ERP's end of a connection in tests: ``LogoErpSide`` keys records into the firm as Logo's
users would (cards, price cards, orders, dispatches, invoices, ledger lines) and says what the firm holds."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

# The contract's asserts are rewritten wherever it is first imported from (this module, or a test module).
pytest.register_assert_rewrite("erpsync.tests.contract")

from erpsync.adapters.base import (  # noqa: E402
    ErpAddress,
    ErpCustomerPrice,
    ErpLedgerEntry,
    ErpPrice,
    ErpPriceList,
    ErpUnit,
)
from erpsync.adapters.logo import LogoAdapter  # noqa: E402
from erpsync.adapters.logo.settings import REFERENCE_FIELDS  # noqa: E402
from erpsync.simulators.logo import LogoSimulator  # noqa: E402
from erpsync.tests.contract import (  # noqa: E402
    CUSTOMER_TIMEOUT_AFTER_APPLY,
    TIMEOUT_AFTER_APPLY,
    UNAVAILABLE,
    ErpSide,
    canonical,
    sample_credit_memo,
    sample_new_customer,
    sample_order,
    sample_payment,
    sample_quote,
)

CUSTOMER = "120.01.001"
WAREHOUSES = {"IST": 0, "ANK": 1}


def logo_adapter(sim: LogoSimulator, **settings: Any) -> LogoAdapter:
    return LogoAdapter(
        settings={
            "base_url": sim.root_url,
            "firm": sim.firm.firm,
            "period": sim.firm.period,
            "previous_period": sim.firm.periods[0],
            "timeout_seconds": 5,
            "read_retries": 0,
            "lookback_days": 3650,
            "soap_url": sim.soap_url,
            **settings,
        },
        credentials={
            "client_id": sim.client_id,
            "client_secret": sim.client_secret,
            "username": sim.username,
            "password": sim.password,
            "security_code": sim.soap.security_code,
        },
    )


class LogoErpSide(ErpSide):
    """A firm with the contract's customer and its tea (in ADET, KOLI and KG); ``publish`` keys records in."""

    failures = frozenset({UNAVAILABLE, TIMEOUT_AFTER_APPLY, CUSTOMER_TIMEOUT_AFTER_APPLY})

    def __init__(self, sim: LogoSimulator, **settings: Any) -> None:
        self.sim = sim
        self.firm = sim.firm
        self.settings = settings
        self.field = settings.get("reference_field", "DOC_NUMBER")
        self.column = REFERENCE_FIELDS[self.field]
        with self.firm.lock:
            self.firm.add_warehouse(0, "Merkez")
            self.firm.add_unit_set(
                "CAY", "Çay birimleri", [("ADET", "Adet", 1), ("KOLI", "Koli", 12), ("KG", "Kilogram", 1)]
            )
            self.firm.add_item("ÇAY-001", "Rize Turist Çayı", "CAY")
            self.firm.add_customer(CUSTOMER, "Öztürk Gıda Ltd. Şti.", TAXNR="1234567890")
        self.keyed_customers = {CUSTOMER}  # cards keyed in here, not by the portal

    def expected_complete(self, entity: str) -> bool:
        return entity not in ("delivery", "invoice", "ledger")

    def make_adapter(self) -> LogoAdapter:
        return logo_adapter(
            self.sim,
            unsellable_warehouses=["1"],
            credit_limit="ACCRISKLIMIT",
            payment_slips={"*": "bank:102.01.001", "cash": "cash:100.01"},
            **self.settings,
        )

    # -- publishing -------------------------------------------------------------------------------------------------

    def publish(self, entity: str, records: Sequence[Any], *, complete: bool = True) -> None:
        with self.firm.lock:
            getattr(self, f"_publish_{entity}")(records)

    def _drop_item(self, code: str) -> None:
        found = self.firm.item(code)
        if found is not None:
            self.firm.db.execute(f"DELETE FROM {self.firm.t('ITMUNITA')} WHERE ITEMREF = ?", (found["LOGICALREF"],))
            self.firm.db.execute(f"DELETE FROM {self.firm.t('ITEMS')} WHERE LOGICALREF = ?", (found["LOGICALREF"],))

    def _ensure_item(self, code: str) -> dict[str, Any]:
        if self.firm.item(code) is None:
            self.firm.add_unit_set(f"U-{code}", code, [("ADET", "Adet", 1)])
            self.firm.add_item(code, code, f"U-{code}")
        return self.firm.item(code)

    def _publish_unit(self, records) -> None:
        for unit in records:
            if not self.firm.row(f"SELECT 1 FROM {self.firm.t('UNITSETL')} WHERE CODE = ?", (unit.code,)):
                self.firm.add_unit_set(f"S-{unit.code}", unit.name, [(unit.code, unit.name, 1)])

    def _publish_category(self, records) -> None:
        for number, category in enumerate(records):
            self.firm.add_unit_set(f"G-{number}", "", [("ADET", "Adet", 1)])
            self.firm.add_item(f"G-{number}", category.name, f"G-{number}", STGRPCODE=category.code)

    def _publish_brand(self, records) -> None:
        for brand in records:
            self.firm.add_mark(brand.code, brand.name)

    def _publish_product(self, records) -> None:
        for product in records:
            self._drop_item(product.code)
            units = [(product.unit, product.unit, 1.0)] + [(u.unit, u.unit, float(u.factor)) for u in product.units]
            self.firm.add_unit_set(f"U-{product.code}", product.name[:20], units)
            barcodes = {product.unit: product.barcode} if product.barcode else {}
            barcodes.update({u.unit: u.barcode for u in product.units if u.barcode})
            mark = self.firm.add_mark(product.brand_code, product.brand_code) if product.brand_code else 0
            self.firm.add_item(
                product.code,
                product.name,
                f"U-{product.code}",
                vat=float(product.vat_rate) if product.vat_rate is not None else None,
                barcodes=barcodes,
                not_sold=[u.unit for u in product.units if not u.sellable],
                NAME3=product.name_en or None,
                STGRPCODE=product.category_code or None,
                MARKREF=mark,
                TRACKTYPE=int(product.batch_managed),
                ACTIVE=0 if product.active else 1,
            )

    def _publish_warehouse(self, records) -> None:
        for warehouse in records:
            number = WAREHOUSES[warehouse.code]
            if number:
                self.firm.add_warehouse(number, warehouse.name)
            else:
                self.firm.db.execute("UPDATE L_CAPIWHOUSE SET NAME = ? WHERE NR = 0", (warehouse.name,))

    def _publish_stock(self, records) -> None:
        for stock in records:
            self._ensure_item(stock.product_code)
            self.firm.set_stock(
                stock.product_code,
                WAREHOUSES[stock.warehouse_code],
                float(stock.on_hand),
                reserved=float(stock.committed),
            )

    def _publish_price_list(self, records) -> None:
        self._ensure_item("ÇAY-001")
        self.firm.add_price("ÇAY-001", 10, INCVAT=1)
        self.firm.add_price("ÇAY-001", 1, CURRENCY=1)

    def _publish_price(self, records) -> None:
        for price in records:
            self._ensure_item(price.product_code)
            self.firm.add_price(price.product_code, float(price.price), unit=price.unit, PRIORITY=1)
        # A card of lower rank and one that ran out: neither is read.
        self.firm.add_price("ÇAY-001", 999, PRIORITY=9)
        self.firm.add_price("ÇAY-001", 5, ENDDATE=date(2020, 1, 1))

    def _publish_agreement(self, records) -> None:
        for agreement in records:
            self._ensure_item(agreement.product_code)
            self.firm.add_price(
                agreement.product_code,
                float(agreement.value),
                CODE=agreement.code,
                CLIENTCODE=agreement.customer_code,
                BEGDATE=agreement.valid_from,
                ENDDATE=agreement.valid_to,
                DEFINITION_=agreement.note,
            )

    def _publish_customer(self, records) -> None:
        for customer in records:
            self.keyed_customers.add(customer.code)
            billing = next((a for a in customer.addresses if a.kind == "billing"), None)
            columns = {
                "DEFINITION_": customer.title,
                "TAXNR": customer.tax_number,
                "TAXOFFICE": customer.tax_office or None,
                "EMAILADDR": customer.email or None,
                "ACTIVE": 0 if customer.active else 1,
                "ADDR1": billing and billing.line1,
                "CITY": billing and billing.city,
                "TOWN": billing and billing.district,
                "POSTCODE": billing and billing.postal_code,
                "TELNRS1": billing and billing.phone,
            }
            if self.firm.customer(customer.code):
                self.firm.change_customer(customer.code, **columns)
            else:
                self.firm.add_customer(
                    customer.code, customer.title, **{k: v for k, v in columns.items() if k != "DEFINITION_"}
                )
            for address in customer.addresses:
                if address.kind == "shipping":
                    self.firm.add_ship_location(
                        customer.code,
                        address.code,
                        address.name,
                        ADDR1=address.line1,
                        CITY=address.city,
                        TOWN=address.district,
                        POSTCODE=address.postal_code,
                    )

    def _ensure_customer(self, code: str) -> dict[str, Any]:
        self.keyed_customers.add(code)
        if self.firm.customer(code) is None:
            self.firm.add_customer(code, code)
        return self.firm.customer(code)

    def _publish_balance(self, records) -> None:
        for balance in records:
            ref = self._ensure_customer(balance.customer_code)["LOGICALREF"]
            sign = 0 if balance.balance >= 0 else 1
            self.firm.ledger_line(
                ref,
                module=5,
                trcode=14,
                number="DEVIR",
                doc="",
                sign=sign,
                amount=float(abs(balance.balance)),
                source=0,
            )

    def _publish_credit(self, records) -> None:
        for credit in records:
            ref = self._ensure_customer(credit.customer_code)["LOGICALREF"]
            self.firm.change_customer(credit.customer_code, BLOCKED=int(credit.hold))
            self.firm.insert(self.firm.t("CLRNUMS"), {"CLCARDREF": ref, "ACCRISKLIMIT": float(credit.credit_limit)})

    def _order(self, reference: str, customer: str = CUSTOMER, *, price: float = 100, lines: int = 2) -> int:
        self._ensure_customer(customer)
        return self.firm.create_order(
            {
                "ARP_CODE": customer,
                self.field: reference,
                "TRANSACTIONS": {
                    "items": [
                        {"TYPE": 0, "MASTER_CODE": "ÇAY-001", "QUANTITY": 1, "PRICE": price, "VAT_RATE": 20}
                        for _ in range(lines)
                    ]
                },
            }
        )

    def _publish_order_status(self, records) -> None:
        for status in records:
            ref = self._order(status.reference)
            if status.state == "partially_shipped":
                self.firm.dispatch(ref, {1: 1})
            elif status.state == "cancelled":
                self.firm.cancel_order(ref)

    def _at(self, day: date) -> None:
        self.firm.now = datetime(day.year, day.month, day.day, 10, 0, 0)

    def _publish_delivery(self, records) -> None:
        for document in records:
            self._at(document.issued_on)
            ref = self._order(document.order_reference, document.customer_code)
            self.firm.dispatch(ref, carrier=document.carrier, tracking=document.tracking_number)

    def _publish_invoice(self, records) -> None:
        for document in records:
            self._at(document.issued_on)
            ref = self._order(document.order_reference, document.customer_code, price=float(document.net), lines=1)
            dispatch = self.firm.dispatch(ref)
            self.firm.invoice([dispatch], e_invoice_uuid=document.e_invoice_uuid.upper())

    def _publish_ledger(self, records) -> None:
        for entry in records:
            ref = self._ensure_customer(entry.customer_code)["LOGICALREF"]
            trcode = {"invoice": 38, "credit_memo": 33, "collection": 20}[entry.kind]
            self.firm.ledger_line(
                ref,
                module=4,
                trcode=trcode,
                number=entry.document_number,
                doc="",
                sign=0 if entry.amount >= 0 else 1,
                amount=float(abs(entry.amount)),
                source=0,
                description=entry.description,
                when=entry.posted_on,
            )

    # -- what the contract expects of Logo --------------------------------------------------------------------------

    def samples(self, entity: str) -> list[Any]:
        own = {
            "unit": [ErpUnit("ADET", "Adet"), ErpUnit("KOLI", "Koli"), ErpUnit("KG", "Kilogram", decimals=3)],
            "price_list": [
                ErpPriceList("LOGO-TRY-KDV", "Logo satış fiyatları (TRY, KDV dahil)", vat_included=True),
                ErpPriceList("LOGO-USD", "Logo satış fiyatları (USD)", currency="USD"),
            ],
            "price": [
                ErpPrice("LOGO-TRY", "ÇAY-001", Decimal("1250.5")),
                ErpPrice("LOGO-TRY", "ÇAY-001", Decimal("14400"), unit="KOLI"),
            ],
            "agreement": [
                ErpCustomerPrice(
                    "AGR-2",
                    CUSTOMER,
                    "fixed_price",
                    Decimal("99.9"),
                    product_code="BISK-9",
                    currency="TRY",
                    valid_from=date(2026, 1, 1),
                    valid_to=date(2026, 6, 30),
                    note="Özel fiyat",
                )
            ],
            "ledger": [
                ErpLedgerEntry(
                    "",
                    CUSTOMER,
                    date(2026, 3, 4),
                    "invoice",
                    Decimal("20258.1"),
                    document_number="GIB2026000000042",
                    description="Satış faturası",
                ),
                ErpLedgerEntry("", CUSTOMER, date(2026, 3, 6), "credit_memo", Decimal("-250.75")),
                ErpLedgerEntry("", CUSTOMER, date(2026, 3, 7), "collection", Decimal("-5000"), description="Havale"),
            ],
        }
        return list(own.get(entity) or super().samples(entity))

    def normalise(self, entity: str, record: Any) -> Any:
        """What Logo carries of the contract's records (see docs/logo.md, mapping)."""
        if entity == "category":
            return dataclasses.replace(record, name=record.code, name_en="", parent_code="", active=True)
        if entity == "product":
            return dataclasses.replace(
                record,
                tax_code="",
                description="",
                description_en="",
                min_order_qty=None,
                order_multiple=None,
                updated_at=None,
                vat_rate=canonical(record.vat_rate),
                units=tuple(dataclasses.replace(u, factor=canonical(u.factor)) for u in record.units),
            )
        if entity == "warehouse":
            code = {str(number): code for code, number in WAREHOUSES.items()}.get(record.code, record.code)
            return dataclasses.replace(record, code=code)
        if entity == "stock":
            code = {str(number): code for code, number in WAREHOUSES.items()}.get(record.warehouse_code)
            return dataclasses.replace(
                record,
                warehouse_code=code or record.warehouse_code,
                on_hand=canonical(record.on_hand),
                committed=canonical(record.committed),
                as_of=None,
            )
        if entity == "price":
            return dataclasses.replace(record, price=canonical(record.price), min_quantity=Decimal(1))
        if entity == "agreement":
            return dataclasses.replace(record, value=canonical(record.value))
        if entity == "customer":
            addresses = tuple(
                ErpAddress(
                    "FATURA" if a.kind == "billing" else a.code,
                    "",
                    a.line1,
                    a.city,
                    kind=a.kind,
                    district=a.district,
                    postal_code=a.postal_code,
                )
                for a in record.addresses
            )
            return dataclasses.replace(
                record,
                phone="",
                price_list_code="",
                payment_terms_days=None,
                payment_terms_code="",
                addresses=addresses,
                updated_at=None,
            )
        if entity == "balance":
            return dataclasses.replace(record, balance=canonical(record.balance), open_orders=None, as_of=None)
        if entity == "credit":
            return dataclasses.replace(record, hold_reason="", as_of=None, credit_limit=canonical(record.credit_limit))
        if entity == "order_status":
            return dataclasses.replace(record, document_number="", document_id="", updated_at=None, note="")
        if entity in ("delivery", "invoice"):
            return dataclasses.replace(
                record,
                number="",
                net=None,
                vat=canonical(record.vat) if entity == "invoice" else None,
                gross=canonical(record.gross) if entity == "invoice" else None,
                due_on=None,
                tracking_url="",
                updated_at=None,
                e_invoice_uuid=record.e_invoice_uuid.lower(),
            )
        if entity == "ledger":
            return dataclasses.replace(
                record, entry_id="", due_on=None, open_amount=None, updated_at=None, amount=canonical(record.amount)
            )
        return record

    # -- what the firm holds ----------------------------------------------------------------------------------------

    def _slips(self, table: str, where: str = "") -> list[dict[str, Any]]:
        rows = []
        with self.firm.lock:
            for period in self.firm.periods:
                rows += self.firm.rows(f"SELECT * FROM {self.firm.p(table, period)} {where}")
        return rows

    def received(self, kind: str) -> list[str]:
        marker = self.settings.get("quote_marker", "B2B-TEKLIF")
        quotes = kind.startswith("quote")
        column = "DOCODE" if quotes else self.column

        def mine(row: dict[str, Any]) -> bool:  # a quote slip or an order slip, as ``kind`` asks
            return ((row["SPECODE"] or "") == marker) == quotes

        deleted = [row[column] for resource, row in self.firm.deleted if resource == "salesOrders" and mine(row)]
        if kind in ("orders", "quotes"):
            held = [row[column] for row in self._slips("ORFICHE", "WHERE TRCODE = 1") if mine(row)]
            return sorted(reference for reference in held + deleted if reference)
        if kind in ("cancellations", "quote_cancellations"):
            held = [row[column] for row in self._slips("ORFICHE", "WHERE CANCELLED = 1") if mine(row)]
            return sorted(reference for reference in held + deleted if reference)
        if kind == "customers":
            with self.firm.lock:
                codes = [row["CODE"] for row in self.firm.rows(f"SELECT CODE FROM {self.firm.t('CLCARD')}")]
            return sorted(code for code in codes if code not in self.keyed_customers)
        if kind == "credit_memos":
            return sorted(row["DOCODE"] for row in self._slips("CLFICHE", "WHERE TRCODE = 4") if row["DOCODE"])
        if kind == "payments":
            return sorted(
                row["DOCODE"] for table in ("BNFICHE", "KSLINES") for row in self._slips(table) if row["DOCODE"]
            )
        return []

    def consume(self) -> None:
        """Nothing to do: Logo keeps what it accepts at once."""

    def simulate(self, failure: str) -> None:
        if failure == UNAVAILABLE:
            self.sim.faults.error(status=503, count=None)
        elif failure == TIMEOUT_AFTER_APPLY:
            soap = self.settings.get("write_transport") == "soap"
            self.sim.faults.drop_response("LogoObjectService.svc/AppendDataObject" if soap else "salesOrders")
        elif failure == CUSTOMER_TIMEOUT_AFTER_APPLY:
            soap = self.settings.get("write_transport") == "soap"
            self.sim.faults.drop_response("LogoObjectService.svc/AppendDataObject" if soap else "Arps")
        else:
            super().simulate(failure)

    def sample_write(self, kind: str) -> Any:
        """Logo's credit notes name one of the customer's invoices: one is shipped and invoiced here first."""
        if kind != "credit_memos":
            return super().sample_write(kind)
        with self.firm.lock:
            ref = self._order("B2B-2026-000123", price=1000, lines=1)
            invoice = self.firm.invoice([self.firm.dispatch(ref)])
            number = self.firm.row(f"SELECT FICHENO FROM {self.firm.p('INVOICE')} WHERE LOGICALREF = ?", (invoice,))
        return dataclasses.replace(sample_credit_memo(), invoice_number=number["FICHENO"])

    def invalid_order(self):
        return dataclasses.replace(sample_order(), customer_code="999.99.999")

    def publish_open_orders(self) -> tuple[set[str], set[str]]:
        with self.firm.lock:
            self._order("B2B-OPEN-1")
            partial = self._order("B2B-OPEN-2")
            self.firm.dispatch(partial, {1: 1})
            cancelled = self._order("B2B-DONE-1")
            self.firm.cancel_order(cancelled)
            shipped = self._order("B2B-DONE-2")
            self.firm.dispatch(shipped)
        return {"B2B-OPEN-1", "B2B-OPEN-2"}, {"B2B-DONE-1", "B2B-DONE-2"}


__all__ = [
    "CUSTOMER",
    "LogoErpSide",
    "canonical",
    "logo_adapter",
    "sample_credit_memo",
    "sample_new_customer",
    "sample_order",
    "sample_payment",
    "sample_quote",
]
