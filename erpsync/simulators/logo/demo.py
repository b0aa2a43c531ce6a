"""A demo Logo firm with the shapes real ones have: items in boxes and kilos with barcodes per unit, a unit kept off
sales, a fixed asset and a raw material next to trade goods (not for sale), a passive item, a name wider than a
screen, empty specode and group codes (NULL), a USD price card and a customer-specific one with a validity window,
a VAT-included card; customers with a tax number or only a TCKN, one blocked, one passive, one in euros, a supplier
among them; an order from the previous period, open orders, a dispatch, an invoice with an e-invoice id and a bank
collection."""

from __future__ import annotations

from datetime import date

from erpsync.simulators.logo.firm import STATUS_APPROVED, STATUS_SUGGESTION, Firm


def seed_demo(firm: Firm) -> dict[str, int]:
    """Fill ``firm``; returns the references a test may want by name."""
    with firm.lock:
        named: dict[str, int] = {}
        firm.add_warehouse(0, "Merkez Depo")
        firm.add_warehouse(1, "Ankara Şube Deposu")
        firm.add_warehouse(2, "İzmir Konsinye (satışa kapalı)")
        firm.add_unit_set("05", "ADET-KOLİ", [("ADET", "Adet", 1), ("KOLI", "Koli", 12), ("PAKET", "Paket", 6)])
        firm.add_unit_set("KG", "Ağırlık", [("KG", "Kilogram", 1), ("GR", "Gram", 0.001)])
        firm.add_unit_set("SAAT", "Zaman", [("SAAT", "Saat", 1)])
        caykur = firm.add_mark("CAYKUR", "Çaykur")
        firm.add_payplan("30GUN", "30 gün vade")
        firm.add_payplan("PESIN", "Peşin")
        named["tea"] = firm.add_item(
            "ÇAY-001", "Rize Turist Çayı 1 kg", "05", vat=20, STGRPCODE="ICECEK", MARKREF=caykur,
            barcodes={"ADET": "8690000000005", "KOLI": "8690000000012"}, not_sold=["PAKET"], TRACKTYPE=1,
        )  # fmt: skip
        firm.add_item("ŞKR-5", "Toz Şeker 5 kg", "KG", vat=1, STGRPCODE=None, SPECODE=None)
        firm.add_item("UZN-İSİM", "Çok uzun isimli ürün " + "ğüşıöç ĞÜŞİÖÇ " * 10, "05", vat=10, STGRPCODE="GIDA")
        firm.add_item("ESK-01", "Eski model termos", "05", ACTIVE=1)
        firm.add_item("DMR-99", "Forklift (demirbaş)", "05", CARDTYPE=4)
        firm.add_item("HAM-01", "Hammadde: çay yaprağı", "KG", CARDTYPE=10)
        firm.add_item("HZM-MONTAJ", "Montaj hizmeti", "SAAT", vat=20)
        for code, warehouse, on_hand in (
            ("ÇAY-001", 0, 480),
            ("ÇAY-001", 1, 36),
            ("ŞKR-5", 0, 1250.5),
            ("UZN-İSİM", 0, 0),
            ("ESK-01", 1, -2),
            ("ÇAY-001", 2, 100),
        ):
            firm.set_stock(code, warehouse, on_hand)
        firm.add_price("ÇAY-001", 1250.50, CODE="BAYI-01", DEFINITION_="Bayi fiyatı", PRIORITY=1)
        firm.add_price("ÇAY-001", 14400, unit="KOLI", CODE="BAYI-02", DEFINITION_="Bayi koli fiyatı", PRIORITY=1)
        firm.add_price("ŞKR-5", 42.5, CODE="BAYI-03", INCVAT=1, DEFINITION_="KDV dahil")
        firm.add_price("UZN-İSİM", 7.25, CODE="USD-01", CURRENCY=1, DEFINITION_="Dolar fiyat")
        firm.add_price(
            "ÇAY-001", 1190, CODE="OZL-01", CLIENTCODE="120.01.001", BEGDATE=date(2026, 1, 1),
            ENDDATE=date(2026, 6, 30), PRIORITY=5, DEFINITION_="Öztürk özel fiyat",
        )  # fmt: skip
        named["ozturk"] = firm.add_customer(
            "120.01.001", "Öztürk Gıda Ltd. Şti.", TAXNR="1234567890", TAXOFFICE="Şişli", ADDR1="Büyükdere Cad. No:1",
            TOWN="Şişli", CITY="İstanbul", COUNTRY="TÜRKİYE", POSTCODE="34394", EMAILADDR="muhasebe@ozturk.example",
            TELNRS1="+90 212 000 00 00", PAYMENTREF=1, TRADINGGRP="BAYI", risk_limit=100000,
        )  # fmt: skip
        firm.add_ship_location("120.01.001", "DEPO", "Öztürk Depo", ADDR1="Organize San. 5. Cad.", CITY="Kocaeli")
        firm.set_rate(1, 36.4512)  # USD, today
        firm.set_rate(20, 39.8075)  # EUR, today
        firm.add_salesman("PL-01", "Ayşe Yılmaz")
        firm.add_salesman("PL-09", "Eski Plasiyer", active=False)
        firm.assign_salesman("120.01.001", "PL-01")
        firm.assign_salesman("120.01.001", "PL-09")  # a passive one besides: not read
        firm.add_customer("120.01.002", "Çiğdem Market", TCKNO="11111111110", ISPERSCOMP=1, CITY="Ankara", BLOCKED=1)
        firm.add_customer("120.01.003", "Kapanmış Bayi A.Ş.", TAXNR="2222222222", ACTIVE=1)
        firm.add_customer("120.02.001", "Euro Trading GmbH", TAXNR="3333333333", CCURRENCY=20, COUNTRY="ALMANYA")
        firm.add_customer("320.01.001", "Tedarikçi Ambalaj", TAXNR="4444444444", CARDTYPE=2)
        firm.add_customer("120.01.004", "Adı Boş Müşteri", TAXNR=None, TAXOFFICE=None, ADDR1=None, CITY=None)

        previous = firm.period
        firm.period = firm.periods[0]
        old = firm.create_order(
            {"ARP_CODE": "120.01.001", "DOC_NUMBER": "B2B-2025-000900", "DATE": "2025-12-30",
             "TRANSACTIONS": {"items": [{"TYPE": 0, "MASTER_CODE": "ÇAY-001", "QUANTITY": 2, "PRICE": 1200}]}}
        )  # fmt: skip
        named["old_order"] = old
        firm.period = previous
        named["open_order"] = firm.create_order(
            {"ARP_CODE": "120.01.001", "DOC_NUMBER": "", "DATE": "2026-02-20", "ORDER_STATUS": STATUS_APPROVED,
             "TRANSACTIONS": {"items": [{"TYPE": 0, "MASTER_CODE": "ŞKR-5", "QUANTITY": 10, "PRICE": 40}]}}
        )  # fmt: skip
        firm.create_order(
            {"ARP_CODE": "120.02.001", "DOC_NUMBER": "", "DATE": "2026-02-21", "ORDER_STATUS": STATUS_SUGGESTION,
             "TRANSACTIONS": {"items": [{"TYPE": 0, "MASTER_CODE": "UZN-İSİM", "QUANTITY": 5, "PRICE": 7.25}]}}
        )  # fmt: skip
        shipped = firm.create_order(
            {"ARP_CODE": "120.01.001", "DOC_NUMBER": "B2B-2026-000050", "DATE": "2026-02-25",
             "TRANSACTIONS": {"items": [{"TYPE": 0, "MASTER_CODE": "ÇAY-001", "QUANTITY": 1, "UNIT_CODE": "KOLI",
                                         "PRICE": 14400, "VAT_RATE": 20}]}}
        )  # fmt: skip
        dispatch = firm.dispatch(shipped, carrier="YURTICI", tracking="YK123456")
        firm.invoice([dispatch], e_invoice_uuid="5F0C6C9E-0000-4000-8000-000000000042")
        firm.create_bank_slip(
            {"BANKACC_CODE": "102.01.001", "DOC_NUMBER": "", "DATE": "2026-02-28",
             "TRANSACTIONS": {"items": [{"ARP_CODE": "120.01.001", "AMOUNT": 10000, "DESCRIPTION": "Havale"}]}}
        )  # fmt: skip
        return named


__all__ = ["seed_demo"]
