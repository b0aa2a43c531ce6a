"""Builds the Tryton databases the Tryton adapter's tests run against (a test peer only; never product code).

Run as ``python -m erpsync.tests.tryton_seed --config <trytond.conf> --stage base|catalog --database <name>``
by ``erpsync.tests.tryton_server``, in its own process: it drives Tryton in-process through proteus, as the
module wheels' own test scenarios do.

- ``base``: an empty company as an ERP consultant leaves it after set-up: company in TRY, fiscal years, a chart of
  accounts, VAT taxes and product categories carrying them, a payment term, the warehouse ``IST``, and two REST
  application keys (one for the portal's connection user, one for the "ERP staff" side of the tests).
- ``catalog``: the base plus master data the portal imports: products and a variant, a second, non-sellable
  warehouse, stock, a dealer price list with a quantity break, and customers with tax numbers, addresses, credit
  limits, an open invoice (the first customer) and an invoice paid in full and reconciled (the second).
"""

from __future__ import annotations

import argparse
import datetime
from decimal import Decimal

# REST application keys of the seeded users. Test secrets of a throw-away database, not credentials.
PORTAL_KEY = "b2bportal-tests-portal-user-application-key"
STAFF_KEY = "b2bportal-tests-erp-staff-application-key"
COMPANY_NAME = "Anadolu Dağıtım A.Ş."
WAREHOUSE = ("IST", "İstanbul Depo")


def fiscal_years() -> list[int]:
    """The years the tests post in: the contract's fixed 2026 dates, and today's year and the next."""
    today = datetime.date.today()
    return sorted({2026, today.year, today.year + 1})


def seed_base(config) -> None:
    from proteus import Model
    from trytond.modules.account.tests.tools import create_chart, get_accounts
    from trytond.modules.company.tests.tools import create_company
    from trytond.modules.currency.tests.tools import get_currency

    Party = Model.get("party.party")
    User = Model.get("res.user")
    Application = Model.get("res.user.application")

    try_ = get_currency("TRY")
    get_currency("USD")
    get_currency("EUR")
    company_config = create_company(party=Party(name=COMPANY_NAME), currency=try_)
    company = company_config.form
    Company = Model.get("company.company")
    (company,) = Company.find([])
    company.timezone = "Europe/Istanbul"
    company.save()
    create_chart(company)

    FiscalYear = Model.get("account.fiscalyear")
    Sequence = Model.get("ir.sequence.strict")
    SequenceType = Model.get("ir.sequence.type")
    (move_type,) = SequenceType.find([("name", "=", "Account Move")], limit=1)
    (invoice_type,) = SequenceType.find([("name", "=", "Invoice")], limit=1)
    for year in fiscal_years():
        fiscalyear = FiscalYear(name=str(year), company=company)
        fiscalyear.start_date = datetime.date(year, 1, 1)
        fiscalyear.end_date = datetime.date(year, 12, 31)
        fiscalyear.move_sequence = Sequence(name=str(year), sequence_type=move_type, company=company)
        fiscalyear.move_sequence.save()
        invoices = Sequence(name=f"F{year}", sequence_type=invoice_type, company=company)
        invoices.save()
        (sequences,) = fiscalyear.invoice_sequences
        sequences.out_invoice_sequence = invoices
        sequences.in_invoice_sequence = invoices
        sequences.out_credit_note_sequence = invoices
        sequences.in_credit_note_sequence = invoices
        fiscalyear.save()
        fiscalyear.click("create_period")

    accounts = get_accounts(company)
    Tax = Model.get("account.tax")
    taxes = {}
    for rate in ("20", "10"):
        tax = Tax(name=f"KDV %{rate}", description=f"KDV %{rate}", type="percentage")
        tax.rate = Decimal(rate) / 100
        tax.invoice_account = accounts["tax"]
        tax.credit_note_account = accounts["tax"]
        tax.save()
        taxes[rate] = tax
    Category = Model.get("product.category")
    for code, name, rate in (("TICARI", "Ticari Mal", "20"), ("GIDA", "Gıda", "10")):
        category = Category(name=name, code=code, accounting=True)
        category.account_revenue = accounts["revenue"]
        category.account_expense = accounts["expense"]
        category.customer_taxes.append(Tax(taxes[rate].id))
        category.save()

    PaymentTerm = Model.get("account.invoice.payment_term")
    term = PaymentTerm(name="Peşin")
    term.lines.new(type="remainder")
    term.save()

    Location = Model.get("stock.location")
    (warehouse,) = Location.find([("type", "=", "warehouse")])
    warehouse.code, warehouse.name = WAREHOUSE
    warehouse.save()

    # The portal's connection user: what a Tryton administrator sets up for the integration.
    Group = Model.get("res.group")
    portal = User(name="B2B Portal", login="b2bportal")
    for group in Group.find([]):
        portal.groups.append(group)
    portal.companies.append(Company(company.id))
    portal.company = Company(company.id)
    portal.save()
    staff = User(config.user)
    staff.companies.append(Company(company.id))
    staff.company = Company(company.id)
    staff.save()
    for user, key in ((portal, PORTAL_KEY), (staff, STAFF_KEY)):
        Application(user=user, key=key, application="rest", state="validated").save()


def seed_catalog(config) -> None:
    from proteus import Model

    Uom = Model.get("product.uom")
    (unit,) = Uom.find([("symbol", "=", "u")])
    koli = Uom(name="Koli (12)", symbol="KOLI", category=unit.category, factor=12, rounding=1, digits=0)
    koli.save()
    Category = Model.get("product.category")
    ticari, gida = Category.find([("code", "in", ["TICARI", "GIDA"])], order=[("code", "DESC")])

    Template = Model.get("product.template")
    Identifier = Model.get("product.identifier")
    products = {}
    for code, name, price, category, sale_uom, ean in (
        ("ÇAY-001", "Rize Turist Çayı 1 kg", "125.50", gida, koli, "8690000000005"),
        ("BISK-9", "Bisküvi Çeşitleri", "42.00", gida, None, ""),
        ("DET-5", "Deterjan 5 L", "310.00", ticari, None, ""),
    ):
        template = Template(name=name, code=code, type="goods", salable=True, default_uom=unit)
        template.list_price = Decimal(price)
        template.account_category = category
        if sale_uom is not None:
            template.sale_uom = sale_uom
        template.save()
        (product,) = template.products
        if ean:
            Identifier(product=product, type="ean", code=ean).save()
        products[code] = product
    # A template with two variants: one item each in the portal.
    template = Template(name="Kahve", code="KHV-", type="goods", salable=True, default_uom=unit)
    template.list_price = Decimal("99.90")
    template.account_category = gida
    template.save()
    (first,) = template.products
    first.suffix_code = "250"
    first.save()
    Product = Model.get("product.product")
    second = Product(template=template, suffix_code="500")
    second.list_price = Decimal("179.90")
    second.save()
    products["KHV-250"], products["KHV-500"] = first, second

    Location = Model.get("stock.location")
    (ist,) = Location.find([("type", "=", "warehouse")])
    (lost_found,) = Location.find([("type", "=", "lost_found")])
    storage = Location(name="Ankara Karantina", code="ANK-STO", type="storage")
    storage.save()
    ank_input = Location(name="Ankara Giriş", type="storage")
    ank_input.save()
    ank_output = Location(name="Ankara Çıkış", type="storage")
    ank_output.save()
    ank = Location(name="Ankara Karantina Depo", code="ANK", type="warehouse")
    ank.input_location, ank.output_location, ank.storage_location = ank_input, ank_output, storage
    ank.lost_found_location = lost_found
    ank.save()
    for location in (storage, ank_input, ank_output):
        location.reload()
        location.parent = ank
        location.save()

    Inventory = Model.get("stock.inventory")
    for warehouse, quantities in (
        (ist, {"ÇAY-001": 240, "BISK-9": 1000, "DET-5": 35, "KHV-250": 50}),
        (ank, {"ÇAY-001": 12}),
    ):
        inventory = Inventory(location=warehouse.storage_location)
        for code, quantity in quantities.items():
            inventory.lines.new(product=products[code], quantity=quantity)
        inventory.click("confirm")

    PriceList = Model.get("product.price_list")
    price_list = PriceList(name="Bayi Fiyatı", price="list_price", unit="product_default")
    price_list.lines.new(product=products["ÇAY-001"], quantity=10, formula="110")
    price_list.lines.new(product=products["ÇAY-001"], formula="120")
    price_list.lines.new(formula="unit_price * 0.9")
    price_list.save()

    Party = Model.get("party.party")
    Country = Model.get("country.country")
    turkey = Country(name="Türkiye", code="TR")
    turkey.save()
    Term = Model.get("account.invoice.payment_term")
    (term,) = Term.find([("name", "=", "Peşin")])
    customers = {}
    for code, name, vkn, city, limit in (
        ("120.01.001", "Öztürk Gıda Ltd. Şti.", "1234567808", "İstanbul", Decimal("100000")),
        ("120.01.002", "Çiğdem Market", "9999999994", "Ankara", Decimal("0")),
    ):
        party = Party(name=name, code=code)
        party.identifiers.new(type="tr_vat", code=vkn)
        party.contact_mechanisms.new(type="email", value=f"muhasebe@{code.replace('.', '')}.example")
        party.contact_mechanisms.new(type="phone", value="+90 212 000 00 00")
        (address,) = party.addresses
        address.street = "Büyükdere Cad. No:1\nKat 3"
        address.city = city
        address.postal_code = "34394"
        address.country = turkey
        address.invoice = True
        address.delivery = False
        depot = party.addresses.new(street="Depo Sok. 5", city=city, country=turkey, delivery=True, invoice=False)
        depot.party_name = "Depo"
        party.sale_price_list = price_list
        party.customer_payment_term = term
        party.credit_limit_amount = limit
        party.save()
        customers[code] = party

    # An open invoice, so the first customer owes the company something.
    Invoice = Model.get("account.invoice")
    invoice = Invoice(type="out", party=customers["120.01.001"], payment_term=term)
    line = invoice.lines.new(product=products["DET-5"], quantity=10)
    line.unit_price = Decimal("310.00")
    invoice.click("post")

    # The second customer's invoice, paid in full at the till: reconciled with its payment, so that customer owes
    # nothing and its account shows both movements.
    from trytond.modules.account.tests.tools import get_accounts

    cash_account = get_accounts()["cash"]
    Journal = Model.get("account.journal")
    (cash,) = Journal.find([("type", "=", "cash")], limit=1)
    PaymentMethod = Model.get("account.invoice.payment.method")
    method = PaymentMethod(name="Nakit", journal=cash, credit_account=cash_account, debit_account=cash_account)
    method.save()
    settled = Invoice(type="out", party=customers["120.01.002"], payment_term=term, description="Peşin satış")
    line = settled.lines.new(product=products["BISK-9"], quantity=5)
    line.unit_price = Decimal("42.00")
    settled.click("post")
    pay = settled.click("pay")
    pay.form.payment_method = method
    pay.execute("choice")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", required=True)
    parser.add_argument("--database", required=True)
    parser.add_argument("--stage", choices=("base", "catalog"), required=True)
    args = parser.parse_args()

    from proteus import config as pconfig

    config = pconfig.set_trytond(database=args.database, config_file=args.config)
    if args.stage == "base":
        seed_base(config)
    else:
        seed_catalog(config)


if __name__ == "__main__":
    main()
