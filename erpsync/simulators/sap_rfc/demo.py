"""A small SAP client with the awkward data real ones have: Turkish names, numeric material and customer numbers
(ALPHA-padded inside SAP), cartons and pallets, a service and a packaging material, a material not extended to the
sales area and one blocked for sales, a customer in euros, blanks where SAP users left fields empty, open items and
credit limits."""

from __future__ import annotations

from decimal import Decimal

from stdnum.tr import vkn

from erpsync.simulators.sap_rfc.system import SapSystem

D = Decimal
NAMES = (
    "Çaykur Rize Çayı 1 kg",
    "Ülker Çikolatalı Gofret",
    "Şişecam Bardak 6'lı",
    "İznik Çini Tabak",
    "Ğ-Profil Alüminyum 3 m",
    "Öztürk Zeytinyağı 5 L",
    "Işıklı Kablo 3x2,5 mm²",
    "Güneş Deterjan 4 kg",
)
CUSTOMERS = (
    ("Öztürk Gıda Ltd. Şti.", "İstanbul", "Şişli"),
    ("Çiğdem Market", "İzmir", ""),
    ("Işık Yapı Malzemeleri A.Ş.", "Ankara", "Çankaya"),
)


def demo_system(materials: int = 8, customers: int = 3, *, system: SapSystem | None = None) -> SapSystem:
    system = system or SapSystem()
    for number in range(1, materials + 1):
        code = f"{4700 + number}" if number % 2 else f"TR-{number:05d}"  # numeric ones are ALPHA-padded in SAP
        name = NAMES[(number - 1) % len(NAMES)] + ("" if number <= len(NAMES) else f" {number}")
        system.add_material(
            code,
            name,
            units={"KAR": (12, 1), "PAL": (480, 1)} if number % 3 else {"KAR": (6, 1)},
            price=D(10) + D(number) / 4,
            ean=f"86900000{number:05d}" if number % 4 else "",
            group="GIDA" if number % 2 else "",
        )
        system.set_stock(code, "1000", "0001", D(100 * number) + D("0.5"))
    system.add_material("900001", "Montaj hizmeti", base_unit="H", material_type="DIEN", price=250)
    system.add_material("PAL-EUR", "Euro palet (depozito)", material_type="VERP", price=D("12.5"))
    system.add_material("8000", "Eski model (satışta değil)", sales=False)
    system.add_material("8001", "Yeşil Çay (satış blokeli)", sales_status="Z1", price=20)
    for number in range(1, customers + 1):
        title, city, district = CUSTOMERS[(number - 1) % len(CUSTOMERS)]
        code = f"{100000 + number}"
        system.add_customer(
            code,
            title,
            city=city,
            district=district,
            street=f"Atatürk Cad. No:{number}",
            tax_number=_vkn(number),
            tax_office="Şişli" if number == 1 else "",
            currency="EUR" if number == 2 else None,
            payment_terms="Z030",
            email="",
            credit_limit=D(50000) * number,
            blocked=number == 3,
        )
        system.post_item(code, D("1500.40") * number, reference=f"DEVIR-{number}", text="Açılış bakiyesi")
    system.set_price(f"{4701}", D("9.90"), customer="100001")
    return system


def _vkn(number: int) -> str:
    """A valid Turkish tax number (VKN: nine digits and a check digit)."""
    digits = f"{123456780 + number:09d}"
    return digits + vkn.calc_check_digit(digits)
