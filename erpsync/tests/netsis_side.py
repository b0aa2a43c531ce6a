"""The Netsis simulator as the ERP's end of a connection in tests: ``NetsisErpSide`` keys records into the company as
Netsis's users would (item cards, accounts, orders, dispatches, invoices, ledger lines) and says what it holds."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

pytest.register_assert_rewrite("erpsync.tests.contract")

from erpsync.adapters.base import (  # noqa: E402
    DocumentKind,
    ErpAddress,
    ErpBalance,
    ErpBrand,
    ErpCategory,
    ErpCredit,
    ErpCustomer,
    ErpDocument,
    ErpLedgerEntry,
    ErpOrderState,
    ErpOrderStatus,
    ErpPrice,
    ErpPriceList,
    ErpProduct,
    ErpProductUnit,
    ErpStock,
    ErpUnit,
    ErpWarehouse,
)
from erpsync.adapters.netsis import NetsisAdapter  # noqa: E402
from erpsync.simulators.netsis import NetsisSimulator  # noqa: E402
from erpsync.tests.contract import (  # noqa: E402
    CUSTOMER_TIMEOUT_AFTER_APPLY,
    STAMP,
    TIMEOUT_AFTER_APPLY,
    UNAVAILABLE,
    ErpSide,
    canonical,
    sample_order,
)

CUSTOMER = "120.01.001"
REFERENCE_FIELD = "EKACK1"


def netsis_adapter(sim: NetsisSimulator, **settings: Any) -> NetsisAdapter:
    return NetsisAdapter(
        settings={
            "base_url": sim.root_url,
            "db_name": sim.db_name,
            "branch_code": sim.branch,
            "timeout_seconds": 5,
            "read_retries": 0,
            "lookback_days": 3650,
            "warehouses": {"1": "Merkez", "3": "Konsinye"},
            "unsellable_warehouses": ["3"],
            "payment_accounts": {"*": "102.01.001"},
            **settings,
        },
        credentials={
            "username": sim.username,
            "password": sim.password,
            "db_user": sim.db_user,
            "db_password": sim.db_password,
        },
    )


def stamp_text() -> str:
    return STAMP.replace(tzinfo=None).isoformat()


class NetsisErpSide(ErpSide):
    """A company with warehouse 1, the contract's customer and its tea (ADET, KOLI, KG); ``publish`` keys records
    in."""

    failures = frozenset({UNAVAILABLE, TIMEOUT_AFTER_APPLY, CUSTOMER_TIMEOUT_AFTER_APPLY})

    def __init__(self, sim: NetsisSimulator, **settings: Any) -> None:
        self.sim = sim
        self.company = sim.company
        self.settings = settings
        with self.company.lock:
            self.company.add_warehouse(1, "Merkez")
            self.company.add_warehouse(3, "Konsinye")
            self.tea()
            self.company.add_customer(CUSTOMER, "Öztürk Gıda Ltd. Şti.", VERGI_NO="1234567890")

    def tea(self) -> None:
        self.company.add_item(
            "ÇAY-001",
            "Rize Turist Çayı",
            "ADET",
            OLCU_BR2="KOLI",
            PAY_1=12,
            PAYDA_1=1,
            OLCU_BR3="KG",
            PAY2=1,
            PAYDA2=1,
            KDV_ORANI=20,
            SATIS_FIAT1=1250.5,
        )

    def expected_complete(self, entity: str) -> bool:
        return entity not in ("order_status", "delivery", "invoice", "ledger")

    def make_adapter(self) -> NetsisAdapter:
        return netsis_adapter(self.sim, **self.settings)

    # -- publishing -------------------------------------------------------------------------------------------------

    def publish(self, entity: str, records: Sequence[Any], *, complete: bool = True) -> None:
        with self.company.lock:
            getattr(self, f"_publish_{entity}")(records)

    def _publish_unit(self, records) -> None:
        self.company.items.clear()
        for at, unit in enumerate(records):
            self.company.add_item(f"U-{at}", unit.name, unit.code)

    def _publish_category(self, records) -> None:
        self.company.items.clear()
        self.company.add_item("NULL-GRUP", "Grupsuz")
        for at, category in enumerate(records):
            self.company.add_item(f"G-{at}", category.name, GRUP_KODU=category.code)
            self.company.add_item(f"G2-{at}", category.name, GRUP_KODU=category.code)

    def _publish_brand(self, records) -> None:
        self.company.items.clear()
        self.company.add_item("NULL-KOD", "Kodsuz")
        for at, brand in enumerate(records):
            self.company.add_item(f"B-{at}", brand.name, KOD_1=brand.code)

    def _publish_product(self, records) -> None:
        self.company.items.clear()
        for product in records:
            columns: dict[str, Any] = {
                "GRUP_KODU": product.category_code or None,
                "KOD_1": product.brand_code or None,
                "KDV_ORANI": product.vat_rate,
                "BARKOD1": product.barcode or None,
                "DUZELTMETARIHI": product.updated_at.replace(tzinfo=None).isoformat() if product.updated_at else None,
                "KAYITTARIHI": None,
            }
            for index, unit in enumerate(product.units, start=2):
                pay = ("PAY_1", "PAYDA_1") if index == 2 else ("PAY2", "PAYDA2")
                columns.update({f"OLCU_BR{index}": unit.unit, pay[0]: unit.factor, pay[1]: 1})
                columns[f"BARKOD{index}"] = unit.barcode or None
            self.company.add_item(product.code, product.name, product.unit, **columns)

    def _publish_warehouse(self, records) -> None:
        self.company.stock.clear()
        for warehouse in records:
            self.company.add_warehouse(int(warehouse.code), warehouse.name)

    def _publish_stock(self, records) -> None:
        self.company.stock.clear()
        for stock in records:
            self.company.set_stock(stock.product_code, int(stock.warehouse_code), stock.on_hand, stock.committed)

    def _publish_price_list(self, records) -> None:
        self.company.items.clear()
        for at, price_list in enumerate(records):
            number = {"TRY": 0, "USD": 1, "EUR": 2}[price_list.currency]
            self.company.add_item(f"P-{at}", price_list.name, SATIS_FIAT1=10, SAT_DOV_TIP=number)

    def _publish_price(self, records) -> None:
        self.company.items.clear()
        for price in records:
            number = 1 if price.price_list_code.endswith("-USD") else 0
            self.company.add_item(price.product_code, price.product_code, SATIS_FIAT1=price.price, SAT_DOV_TIP=number)
        self.company.add_item("HZM-1", "Fiyatsız hizmet", "SAAT", SATIS_FIAT1=None)

    def _publish_customer(self, records) -> None:
        self.company.arps.clear()
        for customer in records:
            billing = next((a for a in customer.addresses if a.kind == "billing"), None)
            self.company.add_customer(
                customer.code,
                customer.title,
                VERGI_NO=customer.tax_number if len(customer.tax_number) == 10 else None,
                TC_KIMLIK_NO=customer.tax_number if len(customer.tax_number) == 11 else None,
                VERGI_DAIRESI=customer.tax_office or None,
                E_POSTA=customer.email or None,
                CARI_TEL=customer.phone or (billing.phone if billing else None) or None,
                VADE_GUNU=customer.payment_terms_days,
                CARI_ADRES=billing.line1 if billing else None,
                CARI_IL=billing.city if billing else None,
                CARI_ILCE=billing.district if billing else None,
                POSTA_KODU=billing.postal_code if billing else None,
                KILIT="H" if customer.active else "E",
                DUZELTMETARIHI=customer.updated_at.replace(tzinfo=None).isoformat() if customer.updated_at else None,
                KAYITTARIHI=None,
            )
        # A supplier is not a customer.
        self.company.add_customer("320.01.001", "Tedarikçi Ambalaj", CARI_TIP="S")

    def _ensure_customers(self, codes) -> None:
        for code in codes:
            if code not in self.company.arps:
                self.company.add_customer(code, code)

    def _publish_balance(self, records) -> None:
        self._ensure_customers(record.customer_code for record in records)
        for balance in records:
            if balance.balance >= 0:
                self.company.add_ledger(balance.customer_code, "DEVIR", debit=balance.balance)
            else:
                self.company.add_ledger(balance.customer_code, "DEVIR", credit=-balance.balance)

    def _publish_credit(self, records) -> None:
        self._ensure_customers(record.customer_code for record in records)
        for credit in records:
            self.company.arps[credit.customer_code].update(
                KREDI_LIMITI=credit.credit_limit, KILIT="E" if credit.hold else "H"
            )

    def order(self, reference: str, quantity: Any = 3, customer: str = CUSTOMER) -> dict[str, Any]:
        """An order slip keyed in as the adapter would send it (three ADET of tea)."""
        self._ensure_customers([customer])
        return self.company.create_slip(
            {
                "FaturaTip": "ftSSip",
                "Seri": "K",
                "FatUst": {"CariKod": customer, "Tarih": "2026-03-01", REFERENCE_FIELD: reference},
                "Kalems": [{"StokKodu": "ÇAY-001", "STra_GCMIK": quantity, "STra_NF": 100, "DEPO_KODU": 1}],
            }
        )

    def _publish_order_status(self, records) -> None:
        for status in records:
            slip = self.order(status.reference)
            number = slip["FatUst"]["FATIRS_NO"]
            if status.state == ErpOrderState.PARTIALLY_SHIPPED:
                self.company.convert_order(number, CUSTOMER, "ftSIrs", quantities={"ÇAY-001": 1})
            elif status.state == ErpOrderState.INVOICED:
                dispatch = self.company.convert_order(number, CUSTOMER, "ftSIrs")
                self.company.invoice_dispatch(dispatch["FatUst"]["FATIRS_NO"], CUSTOMER)
            elif status.state == ErpOrderState.SHIPPED:
                self.company.convert_order(number, CUSTOMER, "ftSIrs")

    def _publish_delivery(self, records) -> None:
        for document in records:
            slip = self.order(document.order_reference)
            self.company.convert_order(slip["FatUst"]["FATIRS_NO"], CUSTOMER, "ftSIrs")

    def _publish_invoice(self, records) -> None:
        for document in records:
            slip = self.order(document.order_reference)
            dispatch = self.company.convert_order(slip["FatUst"]["FATIRS_NO"], CUSTOMER, "ftSIrs")
            self.company.invoice_dispatch(dispatch["FatUst"]["FATIRS_NO"], CUSTOMER)

    def _publish_ledger(self, records) -> None:
        kinds = {"invoice": "FATURA", "credit_memo": "IADE", "collection": "TAHSILAT", "opening": "DEVIR"}
        for entry in records:
            amount = entry.amount
            self.company.add_ledger(
                entry.customer_code,
                kinds.get(entry.kind, "DUZELTME"),
                debit=max(amount, 0),
                credit=max(-amount, 0),
                TARIH=entry.posted_on.isoformat(),
                BELGE_NO=entry.document_number or None,
                ACIKLAMA=entry.description or None,
                VADE_TARIHI=entry.due_on.isoformat() if entry.due_on else None,
                KAYITTARIHI=entry.updated_at.replace(tzinfo=None).isoformat() if entry.updated_at else None,
            )

    # -- what the contract expects of Netsis ------------------------------------------------------------------------

    def samples(self, entity: str) -> list[Any]:
        address = ErpAddress(
            "MERKEZ",
            "Öztürk Gıda Ltd. Şti.",
            "Büyükdere Cad. No:1",
            "İstanbul",
            kind="billing",
            district="Şişli",
            postal_code="34394",
            phone="+90 212 000 00 00",
            is_default=True,
        )
        own: dict[str, list[Any]] = {
            "unit": [ErpUnit("ADET", "ADET"), ErpUnit("KG", "KG", decimals=3)],
            "category": [ErpCategory("GIDA", "GIDA"), ErpCategory("İÇECEK", "İÇECEK")],
            "brand": [ErpBrand("CAYKUR", "CAYKUR"), ErpBrand("ÜLKER", "ÜLKER")],
            "product": [
                ErpProduct(
                    code="ÇAY-001",
                    name="Rize Turist Çayı 1 kg ğüşıöç ĞÜŞİÖÇ",
                    unit="ADET",
                    vat_rate=Decimal("20"),
                    barcode="8690000000005",
                    category_code="ICECEK",
                    brand_code="CAYKUR",
                    units=(
                        ErpProductUnit("KOLI", Decimal("12"), "8690000000012"),
                        ErpProductUnit("PAKET", Decimal("6")),
                    ),
                    updated_at=STAMP,
                ),
                ErpProduct(
                    code="HAM-01",
                    name="Hammadde: çay yaprağı",
                    unit="KG",
                    vat_rate=Decimal("1"),
                    category_code="HAMMADDE",
                    active=False,
                    inactive_reason="not_sold",
                    updated_at=STAMP,
                ),
            ],
            "warehouse": [ErpWarehouse("1", "Merkez"), ErpWarehouse("3", "Konsinye", sellable=False)],
            "stock": [
                ErpStock("ÇAY-001", "1", Decimal("1234567.125"), Decimal("12")),
                ErpStock("ÇAY-001", "3", Decimal("-3")),
            ],
            "price_list": [
                ErpPriceList("SATIS1", "Netsis satış fiyatı 1 (TRY)"),
                ErpPriceList("SATIS1-USD", "Netsis satış fiyatı 1 (USD)", currency="USD"),
            ],
            "price": [
                ErpPrice("SATIS1", "ÇAY-001", Decimal("1250.5")),
                ErpPrice("SATIS1-USD", "UZN-İSİM", Decimal("7.25")),
            ],
            "customer": [
                ErpCustomer(
                    code=CUSTOMER,
                    title="Öztürk Gıda Ltd. Şti.",
                    tax_number="1234567890",
                    tax_office="Şişli",
                    email="muhasebe@ozturk.example",
                    phone="+90 212 000 00 00",
                    price_list_code="SATIS1",
                    payment_terms_days=60,
                    addresses=(address,),
                    updated_at=STAMP,
                ),
                ErpCustomer(
                    code="120.01.002",
                    title="Çiğdem Market",
                    tax_number="11111111110",
                    price_list_code="SATIS1",
                    active=False,
                ),
            ],
            "balance": [ErpBalance(CUSTOMER, Decimal("15000.4")), ErpBalance("120.01.002", Decimal("-120.5"))],
            "credit": [
                ErpCredit(CUSTOMER, Decimal("100000")),
                ErpCredit("120.01.002", Decimal("0"), hold=True, hold_reason="Netsis'te cari kilitli"),
            ],
            "order_status": [
                ErpOrderStatus("B2B-2026-000123", ErpOrderState.PARTIALLY_SHIPPED),
                ErpOrderStatus("B2B-2026-000124", ErpOrderState.OPEN),
                ErpOrderStatus("B2B-2026-000125", ErpOrderState.INVOICED),
            ],
            "delivery": [
                ErpDocument(
                    DocumentKind.DELIVERY,
                    "IRS000000000001",
                    CUSTOMER,
                    self.company.today,
                    order_reference="B2B-2026-000123",
                    net=Decimal("300"),
                    vat=Decimal("60"),
                    gross=Decimal("360"),
                )
            ],
            "invoice": [
                ErpDocument(
                    DocumentKind.INVOICE,
                    "FAT000000000001",
                    CUSTOMER,
                    self.company.today,
                    order_reference="B2B-2026-000123",
                    net=Decimal("300"),
                    vat=Decimal("60"),
                    gross=Decimal("360"),
                    related_number="IRS000000000001",
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
                    updated_at=STAMP,
                ),
                ErpLedgerEntry("", CUSTOMER, date(2026, 3, 6), "credit_memo", Decimal("-250.75")),
                ErpLedgerEntry("", CUSTOMER, date(2026, 3, 7), "collection", Decimal("-5000"), description="Havale"),
            ],
        }
        return list(own.get(entity) or super().samples(entity))

    def normalise(self, entity: str, record: Any) -> Any:
        """What Netsis carries of the contract's records (see docs/netsis.md)."""
        if entity == "product":
            return dataclasses.replace(
                record,
                vat_rate=canonical(record.vat_rate),
                units=tuple(dataclasses.replace(u, factor=canonical(u.factor)) for u in record.units),
            )
        if entity == "stock":
            return dataclasses.replace(
                record, on_hand=canonical(record.on_hand), committed=canonical(record.committed), as_of=None
            )
        if entity == "price":
            return dataclasses.replace(record, price=canonical(record.price))
        if entity == "balance":
            return dataclasses.replace(record, balance=canonical(record.balance), as_of=None)
        if entity == "credit":
            return dataclasses.replace(record, credit_limit=canonical(record.credit_limit), as_of=None)
        if entity == "order_status":
            return dataclasses.replace(record, document_number="", document_id="")
        if entity in ("delivery", "invoice"):
            return dataclasses.replace(
                record,
                net=canonical(record.net),
                vat=canonical(record.vat),
                gross=canonical(record.gross),
                due_on=None,
                lines=None,
            )
        if entity == "ledger":
            return dataclasses.replace(record, entry_id="", amount=canonical(record.amount))
        return record

    # -- what the company holds -------------------------------------------------------------------------------------

    def _references(self, slips, tip: str) -> list[str]:
        return [
            s["FatUst"].get(REFERENCE_FIELD)
            for s in slips
            if s["FaturaTip"] == tip and s["FatUst"].get(REFERENCE_FIELD)
        ]

    def received(self, kind: str) -> list[str]:
        with self.company.lock:
            held = list(self.company.slips.values())
            deleted = list(self.company.deleted)
            if kind == "orders":
                return sorted(self._references(held + deleted, "ftSSip"))
            if kind == "cancellations":
                return sorted(self._references(deleted, "ftSSip"))
            if kind == "quotes":
                return sorted(self._references(held + deleted, "ftSatTeklif"))
            if kind == "quote_cancellations":
                return sorted(self._references(deleted, "ftSatTeklif"))
            if kind == "payments":
                return sorted(
                    row["BELGE_NO"]
                    for row in self.company.ledger
                    if row["HAREKET_TURU"] == "TAHSILAT" and row["BELGE_NO"]
                )
            if kind == "customers":
                return sorted(self.company.created_arps)
        return []

    def consume(self) -> None:
        """Nothing to do: Netsis keeps what it accepts at once."""

    def simulate(self, failure: str) -> None:
        if failure == UNAVAILABLE:
            self.sim.faults.error(status=503, count=None)
        elif failure == TIMEOUT_AFTER_APPLY:
            # With numbers from NewNumber the create runs in a transaction: the answer lost is the commit's.
            new_number = self.settings.get("numbering") == "new_number"
            self.sim.faults.drop_response("Operations/CommitTransaction" if new_number else "ItemSlips", method="POST")
        elif failure == CUSTOMER_TIMEOUT_AFTER_APPLY:
            self.sim.faults.drop_response("ARPs", method="POST", count=1)
        else:
            super().simulate(failure)

    def invalid_order(self):
        return dataclasses.replace(sample_order(), customer_code="999.99.999")

    def publish_open_orders(self) -> tuple[set[str], set[str]]:
        with self.company.lock:
            self.order("B2B-OPEN-1")
            partial = self.order("B2B-OPEN-2")
            self.company.convert_order(partial["FatUst"]["FATIRS_NO"], CUSTOMER, "ftSIrs", quantities={"ÇAY-001": 1})
            cancelled = self.order("B2B-DONE-1")
            self.company.delete_slip("ftSSip", cancelled["FatUst"]["FATIRS_NO"], CUSTOMER)
            shipped = self.order("B2B-DONE-2")
            self.company.convert_order(shipped["FatUst"]["FATIRS_NO"], CUSTOMER, "ftSIrs")
        return {"B2B-OPEN-1", "B2B-OPEN-2"}, {"B2B-DONE-1", "B2B-DONE-2"}


__all__ = ["CUSTOMER", "NetsisErpSide", "canonical", "netsis_adapter"]
