"""A demo Netsis company with the shapes real ones have: an item sold by the piece, box and kilo with barcodes
per unit, items priced in USD and EUR, a raw material and a fixed asset next to trade goods (not for sale), a name
wider than a screen, empty group codes (NULL), an item with no price; customers with a tax number or only a TCKN,
one locked, one in euros, a supplier among them; an open order keyed in Netsis, a dispatched and invoiced one and a
bank collection."""

from __future__ import annotations

from erpsync.simulators.netsis.company import Company


def seed_demo(company: Company) -> None:
    with company.lock:
        company.add_warehouse(1, "Merkez Depo")
        company.add_warehouse(2, "Ankara Şube Deposu")
        company.add_warehouse(3, "İzmir Konsinye (satışa kapalı)")
        company.add_item(
            "ÇAY-001", "Rize Turist Çayı 1 kg", "ADET", GRUP_KODU="ICECEK", KOD_1="CAYKUR", OLCU_BR2="KOLI",
            PAY_1=12, PAYDA_1=1, OLCU_BR3="PAKET", PAY2=6, PAYDA2=1, KDV_ORANI=20, SATIS_FIAT1=1250.50,
            BARKOD1="8690000000005", BARKOD2="8690000000012",
        )  # fmt: skip
        company.add_item("ŞKR-5", "Toz Şeker 5 kg", "KG", KDV_ORANI=1, SATIS_FIAT1=42.5)
        company.add_item(
            "UZN-İSİM", "Çok uzun isimli ürün " + "ğüşıöç ĞÜŞİÖÇ " * 10, "ADET", GRUP_KODU="GIDA", KDV_ORANI=10,
            SATIS_FIAT1=7.25, SAT_DOV_TIP=1,
        )  # fmt: skip
        company.add_item("ITH-EUR", "İthal espresso makinesi", "ADET", KDV_ORANI=20, SATIS_FIAT1=899, SAT_DOV_TIP=2)
        company.add_item("HAM-01", "Hammadde: çay yaprağı", "KG", GRUP_KODU="HAMMADDE", KDV_ORANI=1)
        company.add_item("DMR-99", "Forklift (demirbaş)", "ADET", GRUP_KODU="DEMIRBAS")
        company.add_item("HZM-MONTAJ", "Montaj hizmeti", "SAAT", KDV_ORANI=20, SATIS_FIAT1=None)
        for code, warehouse, on_hand in (
            ("ÇAY-001", 1, 480),
            ("ÇAY-001", 2, 36),
            ("ÇAY-001", 3, 100),
            ("ŞKR-5", 1, 1250.5),
            ("UZN-İSİM", 1, 0),
            ("ITH-EUR", 2, -2),
        ):
            company.set_stock(code, warehouse, on_hand)
        company.add_customer(
            "120.01.001", "Öztürk Gıda Ltd. Şti.", VERGI_NO="1234567890", VERGI_DAIRESI="Şişli",
            CARI_ADRES="Büyükdere Cad. No:1", CARI_IL="İstanbul", CARI_ILCE="Şişli", POSTA_KODU="34394",
            E_POSTA="muhasebe@ozturk.example", CARI_TEL="+90 212 000 00 00", KREDI_LIMITI=100000, VADE_GUNU=30,
            PLASIYER_KODU="P01",
        )  # fmt: skip
        company.add_customer("120.01.002", "Çiğdem Market", TC_KIMLIK_NO="11111111110", CARI_IL="İzmir")
        company.add_customer("120.01.003", "Kilitli Bayi A.Ş.", VERGI_NO="9876543209", KILIT="E", KREDI_LIMITI=0)
        company.add_customer("120.02.001", "Euro Trading GmbH", VERGI_NO="DE123456789", DOVIZ_KODU=2)
        company.add_customer("320.01.001", "Tedarikçi Ambalaj", VERGI_NO="5555555504", CARI_TIP="S")
        company.add_ledger("120.01.001", "DEVIR", debit=15000.40, BELGE_NO="DEVIR-2026", ACIKLAMA="Devir bakiyesi",
                           TARIH="2026-01-01")  # fmt: skip
        # An order keyed in Netsis (no portal reference), dispatched and invoiced, then paid by transfer.
        company.create_slip({
            "FaturaTip": "ftSSip", "Seri": "N",
            "FatUst": {"CariKod": "120.01.001", "Tarih": "2026-03-02", "TIPI": 2},
            "Kalems": [{"StokKodu": "ŞKR-5", "STra_GCMIK": 10, "STra_NF": 42.5, "DEPO_KODU": 1}],
        })  # fmt: skip
        order = next(iter(company.slips.values()))
        dispatch = company.convert_order(order["FatUst"]["FATIRS_NO"], "120.01.001", "ftSIrs")
        company.invoice_dispatch(dispatch["FatUst"]["FATIRS_NO"], "120.01.001")
        company.create_bank_transaction(
            {
                "NETHESKODU": "102.01.001",
                "CARI_KOD": "120.01.001",
                "TUTAR": 200,
                "TARIH": "2026-03-05",
                "BELGE_NO": "DEKONT-77",
                "ACIKLAMA": "Havale",
            }
        )
        company.create_slip({
            "FaturaTip": "ftSSip", "Seri": "N",
            "FatUst": {"CariKod": "120.01.002", "Tarih": "2026-03-08", "TIPI": 2},
            "Kalems": [{"StokKodu": "ÇAY-001", "STra_GCMIK": 2, "Olcubr": 2, "STra_NF": 14400, "DEPO_KODU": 1}],
        })  # fmt: skip
