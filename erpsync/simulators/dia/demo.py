"""Demo data of the DİA simulator: a distributor's company with the shapes real tenants have — passive and service
cards, empty (null) columns, prices in USD and EUR price cards, a customer-specific card, stock in three depots (one
with a negative line), customers without tax numbers or addresses, Turkish letters everywhere, opening balances."""

from __future__ import annotations

import random
from decimal import Decimal

from stdnum.tr import vkn

from erpsync.simulators.dia.company import Company

DEPOTS = (("MRK", "Merkez Depo"), ("IST", "İstanbul Şube Deposu"), ("KRN", "Karantina / İade"))
FIXED_ITEMS = (
    ("ÇAY-001", "Rize Turist Çayı 1 kg ğüşıöç", "AD", "Adet", 20, {1: "1250.50", 2: "1100"}),
    ("ŞEK-010", "Küp Şeker 1 kg", "AD", "Adet", 10, {1: "89.90", 2: "79"}),
    ("KHV-200", "Türk Kahvesi 100 gr", "PK", "Paket", 20, {1: "145", 2: "129.75"}),
    ("UN-25", "Un Tip 550, 25 kg çuval", "KG", "Kilogram", 1, {1: "22.40", 2: "19.95"}),
)
WORDS = ("Çay", "Şeker", "Kahve", "Pirinç", "Bulgur", "Mercimek", "Nohut", "Zeytinyağı", "Salça", "Makarna")
CITIES = (("İstanbul", "Şişli"), ("Ankara", "Çankaya"), ("İzmir", "Karşıyaka"), ("Bursa", "Nilüfer"), ("Muğla", ""))


def vkn_of(digits: str) -> str:
    """A valid Turkish tax number (VKN): nine digits and their check digit."""
    return digits + vkn.calc_check_digit(digits)


def seed_demo(company: Company, *, seed: int = 0, items: int = 30, customers: int = 6) -> None:
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    c = company
    with c.lock:
        for code, name in DEPOTS:
            c.add_depot(code, name)
        for code, name, unit, unit_name, vat, prices in FIXED_ITEMS:
            c.add_item(code, name, unit=unit, unit_name=unit_name, vat=vat, prices=prices, barcode="869" + code[-3:])
        c.add_item("ESK-01", "Eski Ürün (satıştan kalktı)", prices={1: 10}, active=False)
        c.add_item("NAK-01", "Nakliye Bedeli", unit="ADT", unit_name="Hizmet", kind="HZM", prices={1: 250})
        c.add_item("DMR-99", "Demirbaş Raf", kind="DMR", prices={})  # a fixture: not for sale, no prices
        for number in range(max(0, items - 7)):
            word = WORDS[number % len(WORDS)]
            price = Decimal(rng.randint(500, 500000)) / 100
            c.add_item(
                f"STK{number:05d}",
                f"{word} {number} – ürün açıklaması ığüşöç",
                vat=rng.choice((1, 10, 20)),
                prices={1: price, 2: (price * Decimal("0.9")).quantize(Decimal("0.01"))},
                brand=rng.choice(("", "Doğuş", "Çaykur")),
            )
        for card in c.tables["stokkart"]:
            if card["durum"] == "A" and card["stokkartturu"] == "TCR":
                c.set_stock(card["stokkartkodu"], "MRK", rng.randint(0, 500))
                if rng.random() < 0.5:
                    c.set_stock(card["stokkartkodu"], "IST", rng.randint(0, 80))
        c.set_stock("ŞEK-010", "KRN", -4)  # more went out of quarantine than was booked in
        c.add_price_card("USD-LISTE", "ÇAY-001", "41.25", currency="USD", name="İhracat fiyatları (USD)")
        c.add_price_card("USD-LISTE", "KHV-200", "4.80", currency="USD", name="İhracat fiyatları (USD)")
        c.add_price_card("EUR-LISTE", "ÇAY-001", "38", currency="EUR", name="Avrupa fiyatları", vat_included=True)
        c.add_price_card("ESKI-2025", "ÇAY-001", "999", name="2025 fiyatları", active=False)
        fixed = (
            ("120.01.001", "Öztürk Gıda Ltd. Şti.", "1234567890", "Şişli", "İstanbul", "Şişli"),
            ("120.01.002", "Çiğdem Market – Ayşe Çiğdem", None, None, None, None),
            ("120.02.015", "İzmir Şarküteri A.Ş.", vkn_of("987654321"), "Karşıyaka", "İzmir", "Karşıyaka"),
        )
        for code, title, tax, office, city, district in fixed:
            c.add_customer(
                code,
                title,
                verginumarasi=tax,
                vergidairesi=office,
                sehir=city,
                ilce=district,
                adres1="Büyükdere Cad. No:1" if city else None,
                eposta=f"muhasebe@{code.replace('.', '')}.example" if tax else None,
            )
        c.add_customer("120.09.999", "Kapanmış Cari (pasif)", durum="P", verginumarasi=vkn_of("111111111"))
        c.add_customer("120.05.001", "Ege İhracat Ltd.", verginumarasi=vkn_of("555555555"), dovizadi="USD")
        for number in range(max(0, customers - 5)):
            city, district = CITIES[number % len(CITIES)]
            c.add_customer(
                f"120.10.{number:04d}",
                f"Bayi {number} Gıda Şti. – {city}",
                verginumarasi=vkn_of(f"{rng.randrange(10**8, 10**9)}"),
                vergidairesi=district or None,
                sehir=city,
                ilce=district or None,
                adres1=f"Cumhuriyet Mah. {number}. Sok. No:{number % 90 + 1}",
                telefon1=None if number % 3 else "+90 212 555 00 00",
            )
        c.add_price_card("OZEL-120.01.001", "KHV-200", "119.90", customer="120.01.001", name="Öztürk özel fiyat",
                         start="2026-01-01", end="2026-12-31")  # fmt: skip
        opening = c.one("carikart", "scf_carikart", {"carikartkodu": "120.01.001"})
        c.post(opening, kind="Devir", number="DEVIR-2026", debit="15000.40", text="Açılış bakiyesi")
        other = c.one("carikart", "scf_carikart", {"carikartkodu": "120.02.015"})
        c.post(other, kind="Devir", number="DEVIR-2026", credit="120.50", text="Açılış (alacaklı)")


__all__ = ["seed_demo"]
