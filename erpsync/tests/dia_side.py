"""The DİA simulator as the ERP's end of a connection in tests: ``DiaErpSide`` keys records into the simulated company
as DİA's users would (item and customer cards, price cards, orders, dispatches, invoices, account movements) and says
what the company holds."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

pytest.register_assert_rewrite("erpsync.tests.contract")

from erpsync.adapters.base import (  # noqa: E402
    ErpCustomerPrice,
    ErpLedgerEntry,
    ErpPrice,
    ErpPriceList,
    ErpUnit,
)
from erpsync.adapters.dia import DiaAdapter  # noqa: E402
from erpsync.simulators.dia import DiaSimulator  # noqa: E402
from erpsync.tests.contract import (  # noqa: E402
    CUSTOMER_TIMEOUT_AFTER_APPLY,
    TIMEOUT_AFTER_APPLY,
    UNAVAILABLE,
    ErpSide,
    sample_order,
)

CUSTOMER = "120.01.001"


def dia_adapter(sim: DiaSimulator, **settings: Any) -> DiaAdapter:
    return DiaAdapter(
        settings={
            "base_url": sim.base_url,
            "timeout_seconds": 5,
            "read_retries": 0,
            "lookback_days": 3650,
            "bank_account": "1",
            "cash_box": "1",
            **settings,
        },
        credentials={"username": sim.username, "password": sim.password, "apikey": sim.apikey},
    )


class DiaErpSide(ErpSide):
    """A company with the contract's customer and its tea (in AD, KOLI and KG); ``publish`` keys records in."""

    failures = frozenset({UNAVAILABLE, TIMEOUT_AFTER_APPLY, CUSTOMER_TIMEOUT_AFTER_APPLY})

    def __init__(self, sim: DiaSimulator, **settings: Any) -> None:
        self.sim = sim
        self.company = sim.company
        self.settings = {
            "price_slots": {"1": "Perakende", "2": "Bayi"},
            "unsellable_warehouses": ["ANK"],
            "cancel_mode": "status",
            **settings,
        }
        self.field = self.settings.get("order_reference_field", "belgeno")
        with self.company.lock:
            self.company.add_item("ÇAY-001", "Rize Turist Çayı", unit="AD")
            self.company.add_unit("ÇAY-001", "KOLI", 12, "Koli")
            self.company.add_unit("ÇAY-001", "KG", 1, "Kilogram")
            self.company.add_customer(CUSTOMER, "Öztürk Gıda Ltd. Şti.", verginumarasi="1234567890")

    def expected_complete(self, entity: str) -> bool:
        return entity not in ("delivery", "invoice", "ledger")

    def make_adapter(self) -> DiaAdapter:
        return dia_adapter(self.sim, **self.settings)

    # -- publishing -------------------------------------------------------------------------------------------------

    def publish(self, entity: str, records: Sequence[Any], *, complete: bool = True) -> None:
        with self.company.lock:
            getattr(self, f"_publish_{entity}")(records)

    def _item(self, code: str, **columns: Any) -> dict[str, Any]:
        found = self.company.find("stokkart", stokkartkodu=code)
        return found[0] if found else self.company.add_item(code, code, **columns)

    def _customer(self, code: str) -> dict[str, Any]:
        found = self.company.find("carikart", carikartkodu=code)
        return found[0] if found else self.company.add_customer(code, code)

    def _publish_unit(self, records) -> None:
        for unit in records:
            self._item(f"U-{unit.code}", unit=unit.code, unit_name=unit.name)
        self._item("U-NONE", unit="AD", unit_name="Adet")

    def _publish_product(self, records) -> None:
        for product in records:
            self.company.tables["stokkart"] = [
                r for r in self.company.tables["stokkart"] if r["stokkartkodu"] != product.code
            ]
            self.company.add_item(
                product.code,
                product.name,
                unit=product.unit,
                vat=product.vat_rate,
                barcode=product.barcode,
                active=product.active,
                brand=product.brand_code,
            )

    def _publish_warehouse(self, records) -> None:
        for warehouse in records:
            self.company.add_depot(warehouse.code, warehouse.name)

    def _publish_stock(self, records) -> None:
        for stock in records:
            if not any(d["depokodu"] == stock.warehouse_code for d in self.company.depots):
                self.company.add_depot(stock.warehouse_code, stock.warehouse_code)
            self._item(stock.product_code)
            self.company.set_stock(stock.product_code, stock.warehouse_code, stock.on_hand)

    def _publish_price_list(self, records) -> None:
        for price_list in records:
            if not price_list.code.startswith("FIYAT"):
                self.company.add_price_card(price_list.code, "ÇAY-001", "10", currency=price_list.currency.replace(
                    "TRY", "TL"), name=price_list.name, vat_included=price_list.vat_included)  # fmt: skip
        self.company.add_price_card("OZEL-1", "ÇAY-001", "9", customer=CUSTOMER, name="Özel")  # an agreement

    def _publish_price(self, records) -> None:
        for price in records:
            item = self._item(price.product_code)
            if price.price_list_code.startswith("FIYAT"):
                slot = price.price_list_code.removeprefix("FIYAT")
                self.company.touch(item, **{f"fiyat{slot}": self.company.amount(price.price)})
            else:
                self.company.add_price_card(price.price_list_code, price.product_code, price.price,
                                            currency=price.currency.replace("TRY", "TL") or "TL")  # fmt: skip
        # A passive card, one that ran out and a passive item's slot price: none is read.
        self.company.add_price_card("ESKI", "ÇAY-001", "999", active=False)
        self.company.add_price_card("ESKI-2", "ÇAY-001", "998", end="2020-12-31")
        self.company.add_item("PASIF-1", "Pasif", prices={1: 5}, active=False)

    def _publish_agreement(self, records) -> None:
        for agreement in records:
            self._item(agreement.product_code)
            self.company.add_price_card(
                agreement.code,
                agreement.product_code,
                agreement.value,
                customer=agreement.customer_code,
                name=agreement.note,
                start=agreement.valid_from.isoformat() if agreement.valid_from else "",
                end=agreement.valid_to.isoformat() if agreement.valid_to else "",
            )
        self.company.add_price_card("LISTE-X", "ÇAY-001", "50")  # a list price, not an agreement

    def _publish_customer(self, records) -> None:
        for customer in records:
            billing = next((a for a in customer.addresses if a.kind == "billing"), None)
            tax = customer.tax_number
            columns = {
                "unvan": customer.title,
                "verginumarasi": tax if len(tax) == 10 else None,
                "tckimlikno": tax if len(tax) == 11 else None,
                "vergidairesi": customer.tax_office or None,
                "eposta": customer.email or None,
                "durum": "A" if customer.active else "P",
                "adres1": billing and billing.line1,
                "sehir": billing and billing.city,
                "ilce": billing and billing.district,
                "postakodu": billing and billing.postal_code,
                "telefon1": (billing and billing.phone) or None,
            }
            self.company.touch(self._customer(customer.code), **columns)

    def _publish_balance(self, records) -> None:
        for balance in records:
            customer = self._customer(balance.customer_code)
            side = {"debit": balance.balance} if balance.balance >= 0 else {"credit": -balance.balance}
            self.company.post(customer, kind="Devir", number="DEVIR", **side)

    def _order(self, reference: str, customer: str = CUSTOMER, *, price: Any = 100, lines: int = 2) -> str:
        self._customer(customer)
        kart = {
            "_key_scf_carikart": {"carikartkodu": customer},
            "m_kalemler": [
                {"_key_kalemturu": {"stokkartkodu": "ÇAY-001"}, "miktar": "1", "birimfiyati": str(price), "kdv": "20"}
                for _ in range(lines)
            ],
        }
        if reference:
            kart[self.field] = reference
        return self.company.create_order(kart)["_key"]

    def _publish_order_status(self, records) -> None:
        for status in records:
            key = self._order(status.reference)
            if status.state == "partially_shipped":
                self.company.dispatch(key, {1: 1})
            elif status.state == "cancelled":
                self.company.update_order({"_key": key, "onay": "IPTAL"})

    def _at(self, day: date) -> None:
        self.company.now = datetime(day.year, day.month, day.day, 10, 0, 0)

    def _publish_delivery(self, records) -> None:
        for document in records:
            self._at(document.issued_on)
            key = self._order(document.order_reference, document.customer_code)
            self.company.dispatch(key, carrier=document.carrier, tracking=document.tracking_number)

    def _publish_invoice(self, records) -> None:
        for document in records:
            self._at(document.issued_on)
            key = self._order(document.order_reference, document.customer_code, price=document.net, lines=1)
            dispatch = self.company.dispatch(key)
            days = (document.due_on - document.issued_on).days if document.due_on else 30
            self.company.invoice([dispatch["_key"]], number=document.number, days=days)

    def _publish_ledger(self, records) -> None:
        for entry in records:
            self._at(entry.posted_on)
            customer = self._customer(entry.customer_code)
            kind = {"invoice": "Satış Faturası", "collection": "Virman", "opening": "Devir"}[entry.kind]
            side = {"debit": entry.amount} if entry.amount >= 0 else {"credit": -entry.amount}
            due = entry.due_on.isoformat() if entry.due_on else ""
            self.company.post(customer, kind=kind, number=entry.document_number, due=due, text=entry.description,
                              **side)  # fmt: skip

    # -- what the contract expects of DİA ---------------------------------------------------------------------------

    def samples(self, entity: str) -> list[Any]:
        own = {
            "unit": [ErpUnit("AD", "Adet"), ErpUnit("KG", "Kilogram", decimals=3), ErpUnit("KOLİ", "Koli İç")],
            "price_list": [
                ErpPriceList("FIYAT1", "Perakende"),
                ErpPriceList("FIYAT2", "Bayi"),
                ErpPriceList("USD-LISTE", "İhracat (USD)", currency="USD"),
                ErpPriceList("EUR-KDV", "Avrupa, KDV dahil", currency="EUR", vat_included=True),
            ],
            "price": [
                ErpPrice("FIYAT1", "ÇAY-001", Decimal("1250.5")),
                ErpPrice("FIYAT2", "ÇAY-001", Decimal("1100")),
                ErpPrice("USD-LISTE", "ÇAY-001", Decimal("41.25"), currency="USD"),
                ErpPrice("LISTE-TL", "BISK-9", Decimal("99.9"), currency="TRY"),
            ],
            "agreement": [
                ErpCustomerPrice(
                    "OZEL-120.01.001",
                    CUSTOMER,
                    "fixed_price",
                    Decimal("119.9"),
                    product_code="ÇAY-001",
                    currency="TRY",
                    valid_from=date(2026, 1, 1),
                    valid_to=date(2099, 12, 31),
                    note="Öztürk özel fiyat",
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
                    due_on=date(2026, 5, 3),
                    description="Satış faturası",
                    open_amount=Decimal("15258.1"),
                ),
                ErpLedgerEntry(
                    "",
                    CUSTOMER,
                    date(2026, 3, 7),
                    "collection",
                    Decimal("-5000"),
                    document_number="HVL-1",
                    description="Havale",
                ),
            ],
        }
        return list(own.get(entity) or super().samples(entity))

    def normalise(self, entity: str, record: Any) -> Any:
        """What DİA carries of the contract's records (see docs/dia.md, mapping)."""
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
                inactive_reason="",
            )
        if entity == "stock":
            return dataclasses.replace(record, committed=Decimal(0), as_of=None)
        if entity == "customer":
            billing = [
                dataclasses.replace(a, code="FATURA", name=record.title, kind="billing", is_default=True)
                for a in record.addresses
                if a.kind == "billing"
            ]
            return dataclasses.replace(
                record, phone="", payment_terms_days=None, addresses=tuple(billing), updated_at=None, price_list_code=""
            )
        if entity == "balance":
            return dataclasses.replace(record, open_orders=None, as_of=None)
        if entity == "order_status":
            return dataclasses.replace(record, document_number="", document_id="", updated_at=None, note="")
        if entity in ("delivery", "invoice"):
            return dataclasses.replace(
                record,
                number="" if entity == "delivery" else record.number,
                net=record.net if entity == "invoice" else None,
                vat=record.vat if entity == "invoice" else None,
                gross=record.gross if entity == "invoice" else None,
                tracking_url="",
                updated_at=None,
                e_invoice_uuid="",
                # With the portal's number in fisno, every DİA order carries one: the links are checked in belgeno.
                order_reference=record.order_reference if self.field != "fisno" else "",
            )
        if entity == "ledger":
            return dataclasses.replace(record, entry_id="", updated_at=None)
        return record

    # -- what the company holds -------------------------------------------------------------------------------------

    def received(self, kind: str) -> list[str]:
        with self.company.lock:
            orders = self.company.tables["siparis"]
            deleted = [row for table, row in self.company.deleted if table == "siparis"]
            if kind == "orders":
                return sorted(r[self.field] for r in [*orders, *deleted] if r.get(self.field))
            if kind == "cancellations":
                gone = [*deleted, *(r for r in orders if r["onay"] == "IPTAL")]
                return sorted(r[self.field] for r in gone if r.get(self.field))
            if kind == "payments":
                slips = self.company.tables["carihesap_fisi"] + self.company.tables["kasaislemleri"]
                return sorted(r["belgeno"] for r in slips if r.get("belgeno"))
            if kind == "customers":
                return sorted(self.company.created_customers)
        return []

    def consume(self) -> None:
        """Nothing to do: DİA keeps what it accepts at once."""

    def simulate(self, failure: str) -> None:
        if failure == UNAVAILABLE:
            self.sim.faults.error(status=502, count=None)
        elif failure == TIMEOUT_AFTER_APPLY:
            self.sim.faults.drop_response("scf/scf_siparis_ekle")
        elif failure == CUSTOMER_TIMEOUT_AFTER_APPLY:
            self.sim.faults.drop_response("scf/scf_carikart_ekle")
        else:
            super().simulate(failure)

    def invalid_order(self):
        return dataclasses.replace(sample_order(), customer_code="999.99.999")


__all__ = ["CUSTOMER", "DiaErpSide", "dia_adapter"]
