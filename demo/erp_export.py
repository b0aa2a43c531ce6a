"""The ERP's sample export: everything the ERP owns planned in one pass, as records and as the files the file
adapter reads (CSV in several encodings and number formats, and XML)."""

from __future__ import annotations

import itertools
import random
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from demo.catalogue import PRICE_LISTS, PRICE_LISTS_FROM, PriceBook, ProductPlan, plan_prices, plan_products, plan_stock
from demo.catalogue_data import BRANDS, CATEGORIES, UNITS, WAREHOUSES, tr_en
from demo.company import ERP_EXPORT_DAY, SEED, money
from demo.customers import (
    CREDIT_HOLD_REASONS,
    PAYMENT_TERMS,
    SALES_REPS,
    DealerPlan,
    plan_agreements,
    plan_dealers,
)
from erpsync.adapters.base import (
    DocumentKind,
    ErpAddress,
    ErpBalance,
    ErpBrand,
    ErpCategory,
    ErpCredit,
    ErpCustomer,
    ErpCustomerPrice,
    ErpDocument,
    ErpLedgerEntry,
    ErpPrice,
    ErpPriceList,
    ErpProduct,
    ErpProductUnit,
    ErpStock,
    ErpUnit,
    ErpWarehouse,
)
from erpsync.adapters.file.writer import TextFormat, csv_text, xml_bytes


@dataclass
class ErpPlan:
    """Everything the ERP owns, planned in one pass of the random stream (no clock, no database), so the
    sample files and the orders built on them always agree."""

    products: list[ProductPlan]
    stock: list[ErpStock]
    prices: PriceBook
    dealers: list[DealerPlan]
    agreements: list[ErpCustomerPrice]


def plan_erp(rng: random.Random) -> ErpPlan:
    products = plan_products(rng)
    stock = plan_stock(rng, products)
    prices = plan_prices(rng, products)
    dealers = plan_dealers(rng)
    agreements = plan_agreements(rng, dealers, products, prices)
    return ErpPlan(products, stock, prices, dealers, agreements)


@dataclass(frozen=True)
class ExportFile:
    """One file of the sample export: the ERP writes most entities as UTF-8 CSV with ";" and a decimal comma;
    a few as Windows-1254 CSV, Turkish number and date formats, or XML, to show what the adapter reads."""

    entity: str
    name: str
    encoding: str = "utf-8"
    fmt: TextFormat = field(default_factory=TextFormat)

    @property
    def path(self) -> str:
        return f"inbound/{self.entity}/{self.name}"

    @property
    def xml(self) -> bool:
        return self.name.endswith(".xml")


_STAMP = ERP_EXPORT_DAY.strftime("%Y%m%d")
# In the order the sync imports them: each entity finds what the ones before it created.
ERP_EXPORT: tuple[ExportFile, ...] = (
    ExportFile("unit", f"units-{_STAMP}.csv"),
    ExportFile("category", f"categories-{_STAMP}.csv", encoding="cp1254"),
    ExportFile("brand", f"brands-{_STAMP}.csv"),
    ExportFile("warehouse", f"warehouses-{_STAMP}.csv", encoding="cp1254"),
    ExportFile("product", f"items-{_STAMP}.csv"),
    ExportFile("stock", f"stock-{_STAMP}.csv"),
    ExportFile("price_list", f"price-lists-{_STAMP}.csv", fmt=TextFormat(date_format="%d.%m.%Y")),
    ExportFile("price", f"prices-{_STAMP}.csv"),
    ExportFile("customer", f"customers-{_STAMP}.xml"),
    ExportFile("agreement", f"agreements-{_STAMP}.csv", fmt=TextFormat(date_format="%d.%m.%Y")),
    ExportFile("balance", f"balances-{_STAMP}.csv", fmt=TextFormat(thousands=True)),
    ExportFile("credit", f"credit-{_STAMP}.csv", fmt=TextFormat(thousands=True)),
    ExportFile("invoice", f"invoices-{_STAMP}.csv"),
    ExportFile("ledger", f"ledger-{_STAMP}.csv", fmt=TextFormat(date_format="%d.%m.%Y")),
)
# The connection reads the Windows-1254 files with that encoding named, as an integrator would configure it.
CONNECTION_ENTITY_SETTINGS = {f.entity: {"encoding": "windows-1254"} for f in ERP_EXPORT if f.encoding == "cp1254"}


LEDGER_FROM = date(ERP_EXPORT_DAY.year, 1, 1)
OVERDUE_HOLD = CREDIT_HOLD_REASONS[1]  # "Invoices more than 90 days overdue."
VAT_RATE = Decimal("0.20")


def _entry(dealer, key, posted_on, kind, amount, document, description, due_on=None) -> ErpLedgerEntry:
    return ErpLedgerEntry(
        entry_id=f"{dealer.code}/{key}",
        customer_code=dealer.code,
        posted_on=posted_on,
        kind=kind,
        amount=amount,
        currency=dealer.currency,
        document_number=document,
        due_on=due_on,
        description=description,
    )


def plan_ledger(dealers: list[DealerPlan]) -> tuple[list[ErpDocument], list[ErpLedgerEntry]]:
    """This year's account movements of every dealer, as the ERP's customer ledger holds them, and as a dealer's
    account really runs: last year's balance carried over on 1 January and collected in January; monthly invoices
    (also sent as invoices, with their e-invoice ids), each paid around its due date; a few dealers behind with
    their latest due invoices (so those, and only those, are overdue); and this month's deliveries, not due yet,
    that bring the account to the balance the ERP reports (a dealer in credit paid in advance). The ERP sends no
    open items, so the portal settles the oldest invoices first, which here is what happened. A random stream of
    its own, so the rest of the plan stays as it was."""
    rng = random.Random(SEED + 8)
    terms = {code: days for code, _name, days in PAYMENT_TERMS}
    invoices: list[ErpDocument] = []
    entries: list[ErpLedgerEntry] = []
    counter = itertools.count(1)

    def invoice(dealer: DealerPlan, issued: date, gross: Decimal, days: int) -> ErpLedgerEntry:
        number = next(counter)
        net = money(gross / (1 + VAT_RATE))
        doc = f"GIB{ERP_EXPORT_DAY.year}{number:09d}"
        due = issued + timedelta(days=days)
        uuid_text = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        invoices.append(
            ErpDocument(DocumentKind.INVOICE, doc, dealer.code, issued, currency=dealer.currency, net=net,
                        vat=gross - net, gross=gross, due_on=due, e_invoice_uuid=uuid_text)
        )  # fmt: skip
        return _entry(dealer, f"F{number}", issued, "invoice", gross, doc, "Satış faturası", due_on=due)

    receipts = itertools.count(1)

    def collection(dealer: DealerPlan, paid_on: date, amount: Decimal, text: str) -> ErpLedgerEntry:
        number = next(receipts)
        return _entry(dealer, f"T{number}", paid_on, "collection", -amount, f"TAH-{number:06d}", text)

    for dealer in dealers:
        days = terms[dealer.payment_terms]
        scale = max(dealer.credit_limit, Decimal("20000")) / 10
        carried = money(scale * Decimal(rng.randint(20, 120)) / 100)
        paid_on = LEDGER_FROM + timedelta(days=rng.randint(5, 25))
        moves = [collection(dealer, paid_on, carried, "Havale/EFT – devir bakiyesi")]
        due_invoices: list[ErpLedgerEntry] = []
        for month in range(1, ERP_EXPORT_DAY.month + 1):
            if rng.random() < 0.25:
                continue
            issued = date(ERP_EXPORT_DAY.year, month, rng.randint(1, 28))
            if issued > ERP_EXPORT_DAY:
                continue
            gross = money(scale * Decimal(rng.randint(20, 120)) / 100)
            entry = invoice(dealer, issued, gross, days)
            moves.append(entry)
            if entry.due_on <= ERP_EXPORT_DAY:
                due_invoices.append(entry)
        # Most dealers pay each invoice around its due date; some are behind with their latest ones (the one held
        # for invoices over 90 days overdue, with half of this year's).
        behind = 1 if rng.random() < 0.2 else 0
        if dealer.credit_hold_reason:
            behind = len(due_invoices) // 2 if dealer.credit_hold_reason == OVERDUE_HOLD else 2
        for entry in due_invoices[: len(due_invoices) - behind]:
            paid_on = min(entry.due_on + timedelta(days=rng.randint(-5, 12)), ERP_EXPORT_DAY)
            moves.append(collection(dealer, paid_on, entry.amount, f"Havale/EFT {entry.document_number}"))
        # This month's deliveries (not due yet) or a payment in advance bring the account to the ERP's balance.
        rest = dealer.erp_balance - carried - sum((m.amount for m in moves), Decimal(0))
        if rest > 0:  # delivered in the export's last ten days, due some weeks after it (cash: on the export day)
            parts = min(3, 1 + int(rest // (scale * 2)))
            back = 9 if days else 0
            days_issued = sorted(ERP_EXPORT_DAY - timedelta(days=rng.randint(0, back)) for _part in range(parts))
            for index, issued in enumerate(days_issued):
                share = money(rest / parts) if index < parts - 1 else rest - money(rest / parts) * (parts - 1)
                moves.append(invoice(dealer, issued, share, days))
        elif rest < 0:
            paid_on = ERP_EXPORT_DAY - timedelta(days=rng.randint(1, 20))
            moves.append(collection(dealer, paid_on, -rest, "Havale/EFT – avans"))
        opening = _entry(dealer, "D", LEDGER_FROM, "opening", carried, "DEVIR", "Önceki yıldan devir")
        entries += [opening, *sorted(moves, key=lambda m: (m.posted_on, m.entry_id))]
    return invoices, entries


def demo_erp_records(plan: ErpPlan | None = None) -> dict[str, list]:
    """The records of the sample export per entity, as the file adapter reads them back."""
    plan = plan or plan_erp(random.Random(SEED))
    invoices, ledger = plan_ledger(plan.dealers)
    return {
        "unit": [ErpUnit(code, tr, en, decimals) for code, tr, en, decimals in UNITS],
        "category": _category_records(),
        "brand": [ErpBrand(code, name) for code, name, _tops in BRANDS],
        "warehouse": [ErpWarehouse(code, name, sellable) for code, name, sellable in WAREHOUSES],
        "product": _product_records(plan.products),
        "stock": plan.stock,
        "price_list": [
            ErpPriceList(code, name, currency, vat_included, valid_from=PRICE_LISTS_FROM)
            for code, name, currency, vat_included in PRICE_LISTS
        ],
        "price": _price_records(plan.products, plan.prices),
        "customer": _customer_records(plan.dealers),
        "agreement": plan.agreements,
        "balance": [
            ErpBalance(d.code, d.erp_balance, d.currency, d.erp_open_orders, d.figures_as_of) for d in plan.dealers
        ],
        "credit": [
            ErpCredit(d.code, d.credit_limit, bool(d.credit_hold_reason), d.credit_hold_reason, d.figures_as_of)
            for d in plan.dealers
        ],
        "invoice": invoices,
        "ledger": ledger,
    }


def _category_records() -> list[ErpCategory]:
    categories = []
    for code, names, leaves in CATEGORIES:
        categories.append(ErpCategory(code, *tr_en(names)))
        categories += [ErpCategory(leaf.code, *tr_en(leaf.names), parent_code=code) for leaf in leaves]
    return categories


def _product_records(plans: list[ProductPlan]) -> list[ErpProduct]:
    """Items with their case pack; the description names the brand and, for a packed item, the case size."""
    brand_names = {code: name for code, name, _tops in BRANDS}
    products = []
    for p in plans:
        case_tr = f" Koli içi {p.case_factor} adet." if p.case_factor else ""
        case_en = f" {p.case_factor} per case." if p.case_factor else ""
        packs = (ErpProductUnit("KOLI", Decimal(p.case_factor), p.case_barcode),) if p.case_factor else ()
        products.append(
            ErpProduct(
                code=p.sku,
                name=p.name,
                unit=p.unit,
                name_en=p.name_en,
                vat_rate=p.vat,
                barcode=p.barcode,
                category_code=p.category,
                brand_code=p.brand,
                description=f"{brand_names[p.brand]} {p.name}.{case_tr}",
                description_en=f"{brand_names[p.brand]} {p.name_en}.{case_en}",
                min_order_qty=p.min_order_qty,
                order_multiple=p.order_multiple,
                batch_managed=p.batch_managed,
                active=p.active,
                units=packs,
            )
        )
    return products


def _price_records(plans: list[ProductPlan], book: PriceBook) -> list[ErpPrice]:
    """List by list: each item's base-unit breaks, then its case price if it has one."""
    prices = []
    for list_code, _name, _currency, _vat in PRICE_LISTS:
        for p in plans:
            tiers = book.breaks.get((list_code, p.sku), [])
            prices += [ErpPrice(list_code, p.sku, price, min_quantity=qty) for qty, price in tiers]
            if (list_code, p.sku) in book.case:
                prices.append(ErpPrice(list_code, p.sku, book.case[list_code, p.sku], unit="KOLI"))
    return prices


def _customer_records(dealers: list[DealerPlan]) -> list[ErpCustomer]:
    terms = {code: days for code, _name, days in PAYMENT_TERMS}
    reps = dict(SALES_REPS)
    return [
        ErpCustomer(
            code=d.code,
            title=d.title,
            tax_number=d.tax_number,
            tax_office=d.tax_office,
            email=d.email,
            phone=d.phone,
            currency=d.currency,
            price_list_code=d.price_list,
            payment_terms_code=d.payment_terms,
            payment_terms_days=terms[d.payment_terms],
            sales_rep_code=d.sales_rep,
            sales_rep_name=reps[d.sales_rep],
            parent_code=d.parent,
            addresses=tuple(
                ErpAddress(
                    code=a.code,
                    name=a.name,
                    line1=a.line1,
                    city=a.city,
                    kind=a.kind,
                    line2=a.line2,
                    district=a.district,
                    postal_code=a.postal_code,
                    phone=a.phone,
                    is_default=a.is_default,
                )
                for a in d.addresses
            ),
        )
        for d in dealers
    ]


def demo_erp_export() -> dict[str, bytes]:
    """The sample export's files (path under ``demo/sample_export/`` → content), built from the demo's plans."""
    records = demo_erp_records()
    files = {}
    for spec in ERP_EXPORT:
        if spec.xml:
            files[spec.path] = xml_bytes(spec.entity, records[spec.entity], encoding=spec.encoding.upper())
        else:
            files[spec.path] = csv_text(spec.entity, records[spec.entity], fmt=spec.fmt).encode(spec.encoding)
    return files


def demo_erp_export_write(folder: Path) -> list[Path]:
    """Write the sample export under ``folder`` (``inbound/<entity>/<file>``); returns the files written.
    ``demo/sample_export`` holds the committed copy, which must be exactly what this writes."""
    written = []
    for relative, data in demo_erp_export().items():
        target = folder / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written.append(target)
    return written
