"""A demo Paraşüt company with the shapes real small companies have: products without a code, priced in USD or EUR,
archived, services without stock tracking, names longer than a screen, Turkish letters everywhere, contacts without
a tax number or e-mail, a person (TCKN) next to companies (VKN), a supplier among the customers, an invoice
already paid, one half paid and one sent as an e-invoice."""

from __future__ import annotations

import random
from datetime import timedelta

from erpsync.simulators.parasut.company import Company, Record


def seed_demo(company: Company, *, products: int = 24, contacts: int = 8, seed: int = 0) -> dict[str, Record]:
    """Fill ``company``; returns the records a test may want by name."""
    rng = random.Random(seed)  # noqa: S311 - demo figures, not secrets
    named: dict[str, Record] = {}
    main = company.add_warehouse("Merkez Depo", city="İstanbul", district="Şişli")
    named["warehouse"] = main
    second = company.add_warehouse("Ankara Şube Deposu", city="Ankara")
    company.add_warehouse("Eski Depo (kullanılmıyor)", archived=True)
    named["bank"] = company.add_account("Garanti BBVA TL", "TRL", "bank", iban="TR880006200000000006298765")
    company.add_account("Kasa", "TRL", "cash")
    company.add_account("Garanti BBVA USD", "USD", "bank")
    shapes = [
        {
            "code": "ÇAY-001",
            "name": "Rize Turist Çayı 1 kg",
            "vat_rate": 1.0,
            "unit": "Adet",
            "list_price": 1250.5,
            "barcode": "8690000000005",
        },
        {"code": None, "name": "Kodsuz ürün — şube girişi", "vat_rate": 20.0, "unit": "Adet", "list_price": 99.9},
        {
            "code": "USD-PMP",
            "name": "Hidrofor pompası (ithal)",
            "vat_rate": 20.0,
            "unit": "Adet",
            "list_price": 349.0,
            "currency": "USD",
        },
        {
            "code": "EUR-VLF",
            "name": 'Vana 1/2" İtalyan',
            "vat_rate": 20.0,
            "unit": "Adet",
            "list_price": 12.75,
            "currency": "EUR",
        },
        {"code": "ARŞ-01", "name": "Eski model ısıtıcı", "vat_rate": 20.0, "archived": True, "list_price": 10.0},
        {"code": "HZM-MONTAJ", "name": "Montaj hizmeti (saat)", "vat_rate": 20.0, "unit": "Saat", "list_price": 750.0},
        {
            "code": "UZN-İSİM",
            "name": "Çok uzun isimli ürün " + "ğüşıöç ĞÜŞİÖÇ " * 12,
            "vat_rate": 10.0,
            "unit": "Kg",
            "list_price": 0.0,
        },
    ]
    for index, shape in enumerate(shapes):
        product = company.add_product(**shape)
        if shape["code"] not in ("HZM-MONTAJ", "ARŞ-01"):
            company.set_stock(product, main, rng.choice([0, 3, 120.5, 1500]))
            if index % 2:
                company.set_stock(product, second, rng.choice([-2, 0, 40]))
        named[shape["code"] or "nocode"] = product
    for number in range(len(shapes), products):
        product = company.add_product(
            code=f"STK-{number:04d}",
            name=f"Ürün {number} ışık",
            unit="Adet",
            list_price=round(rng.uniform(1, 5000), 2),
            vat_rate=rng.choice([1, 10, 20]),
            barcode=f"869{number:010d}" if number % 3 else None,
        )
        company.set_stock(product, main, rng.randint(0, 500))
    customers = [
        {
            "name": "Öztürk Gıda Ltd. Şti.",
            "tax_number": "1234567890",
            "tax_office": "Şişli",
            "email": "muhasebe@ozturk.example",
            "city": "İstanbul",
            "district": "Şişli",
            "address": "Büyükdere Cad. No:1",
            "iban": "TR330006100519786457841326",
        },
        {
            "name": "Çiğdem Yılmaz",
            "contact_type": "person",
            "iban": "TR12 3456 7890",
            "tax_number": "10000000146",
            "city": "İzmir",
        },
        {"name": "İsimsiz Bayi (vergi no yok)"},
        {"name": "Arşivlenmiş Bayi A.Ş.", "tax_number": "9876543210", "archived": True},
        {"name": "Tedarikçi Metal San.", "tax_number": "1111111111", "account_type": "supplier"},
    ]
    for number, shape in enumerate(customers):
        named[f"contact{number}"] = company.add_contact(**shape)
    for number in range(len(customers), contacts):
        company.add_contact(f"Bayi {number} Ticaret", tax_number=f"{5000000000 + number}", city="Bursa")
    customer = named["contact0"]
    today = company.current_date()

    def day(offset: int) -> str:
        return (today + timedelta(days=offset)).isoformat()

    tea = named["ÇAY-001"]
    line = {
        "type": "sales_invoice_details",
        "attributes": {"quantity": 10, "unit_price": 1250.5, "vat_rate": 1},
        "relationships": {"product": {"data": {"id": str(tea.id), "type": "products"}}},
    }
    body = {
        "attributes": {
            "item_type": "invoice",
            "issue_date": day(-40),
            "due_date": day(-10),
            "currency": "TRL",
            "description": "Geçen ayın satışı",
        },
        "relationships": {
            "contact": {"data": {"id": str(customer.id), "type": "contacts"}},
            "details": {"data": [line]},
        },
    }
    paid = company.create_invoice(body)
    company.pay_invoice(
        paid,
        {
            "date": day(-30),
            "amount": paid.attributes["net_total"],
            "account_id": named["bank"].id,
            "description": "Havale",
        },
    )
    half = company.create_invoice({**body, "attributes": {**body["attributes"], "issue_date": day(-25)}})
    company.pay_invoice(half, {"date": day(-20), "amount": 5000, "account_id": named["bank"].id, "description": None})
    company.issue_e_document(half, "e_invoices")
    named["paid_invoice"], named["half_paid_invoice"] = paid, half
    return named
