"""One Paraşüt company in memory: its products, warehouses, stock per warehouse, contacts, cash and bank accounts,
sales offers, sales invoices with their details, payments and transactions, e-invoices and e-archives, webhooks;
and their rendering as JSON:API resources the way the description shapes them.

Sums follow Paraşüt's own (odd) naming: ``gross_total`` is the subtotal before discounts and VAT ("Ara toplam"),
``net_total`` the grand total with VAT ("Genel Toplam"); ``remaining`` is what is still unpaid of ``net_total``.
A contact's ``balance`` fields move with its invoices and payments (positive: the customer owes).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

ISTANBUL = timezone(timedelta(hours=3))
CURRENCIES = ("TRL", "USD", "EUR", "GBP")
# The company's exchange rates (liras per unit), for the ``*_in_trl`` figures and the contacts' total balance.
RATES = {"TRL": 1, "USD": 38.5, "EUR": 41.7, "GBP": 48.9}
CENT = Decimal("0.01")
# Resources whose attributes the description gives no created_at/updated_at.
UNSTAMPED = frozenset({"sales_offers"})


class ParasutError(Exception):
    """An answer with JSON:API ``errors`` (``title``, ``detail``)."""

    def __init__(self, status: int, title: str, detail: str = "", headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status} {title}: {detail}")
        self.status = status
        self.title = title
        self.detail = detail
        self.headers = dict(headers or {})

    def body(self) -> dict[str, Any]:
        return {"errors": [{"title": self.title, "detail": self.detail}]}


def not_found(kind: str, key: Any) -> ParasutError:
    return ParasutError(404, "Record not found", f"Couldn't find {kind} with 'id'={key}")


def invalid(detail: str) -> ParasutError:
    return ParasutError(422, "Validation Failed", detail)


def money(value: Decimal) -> float:
    return float(value.quantize(CENT, ROUND_HALF_UP))


def number(value: Any) -> Decimal:
    return Decimal(str(value))


@dataclass
class Record:
    """A stored resource: its id, attributes and relationships (name → (type, id) or a list of them)."""

    type: str
    id: int
    attributes: dict[str, Any]
    relationships: dict[str, Any] = field(default_factory=dict)


class Company:
    """The company's data, guarded by ``lock`` (the server takes it around every request)."""

    def __init__(self, company_id: int, *, today: date | None = None) -> None:
        self.company_id = company_id
        self.lock = threading.RLock()
        self.today = today
        self._next_id = 1000
        self.tables: dict[str, dict[int, Record]] = {
            name: {}
            for name in (
                "products",
                "warehouses",
                "inventory_levels",
                "contacts",
                "accounts",
                "sales_offers",
                "sales_offer_details",
                "sales_invoices",
                "sales_invoice_details",
                "payments",
                "transactions",
                "e_invoices",
                "e_archives",
                "webhooks",
            )
        }
        self.clock: datetime | None = None

    # -- time and ids ---------------------------------------------------------------------------------------------

    def now(self) -> datetime:
        return self.clock or datetime.now(ISTANBUL)

    def stamp(self) -> str:
        """Paraşüt's timestamps: local time with milliseconds and offset (``2026-03-01T14:30:00.000+03:00``)."""
        return self.now().astimezone(ISTANBUL).isoformat(timespec="milliseconds")

    def current_date(self) -> date:
        return self.today or self.now().astimezone(ISTANBUL).date()

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def add(
        self,
        type_: str,
        attributes: dict[str, Any],
        relationships: dict[str, Any] | None = None,
        *,
        id: int | None = None,
    ) -> Record:
        record_id = id if id is not None else self.new_id()
        self._next_id = max(self._next_id, record_id)
        stamps = {} if type_ in UNSTAMPED else {"created_at": self.stamp(), "updated_at": self.stamp()}
        record = Record(type_, record_id, {**attributes, **stamps}, dict(relationships or {}))
        self.tables[type_][record_id] = record
        return record

    def touch(self, record: Record) -> None:
        if record.type not in UNSTAMPED:
            record.attributes["updated_at"] = self.stamp()

    def get(self, type_: str, key: Any, kind: str = "") -> Record:
        try:
            return self.tables[type_][int(key)]
        except (KeyError, ValueError, TypeError):
            raise not_found(kind or type_, key) from None

    # -- master data, as the company's users key it in --------------------------------------------------------------

    def add_product(self, **attributes: Any) -> Record:
        defaults = {
            "code": None,
            "vat_rate": 20.0,
            "unit": "Adet",
            "list_price": 0.0,
            "currency": "TRL",
            "buying_price": 0.0,
            "buying_currency": "TRL",
            "inventory_tracking": False,
            "barcode": None,
            "archived": False,
            "stock_count": 0.0,
            "sales_excise_duty": 0.0,
            "sales_excise_duty_type": "percentage",
            "communications_tax_rate": 0.0,
            "gtip": None,
        }
        record = self.add("products", {**defaults, **attributes})
        self._price_in_trl(record)
        return record

    def _price_in_trl(self, record: Record) -> None:
        rate = RATES.get(record.attributes.get("currency") or "TRL", 1)
        record.attributes["list_price_in_trl"] = money(number(record.attributes.get("list_price") or 0) * number(rate))
        record.attributes["buying_price_in_trl"] = money(number(record.attributes.get("buying_price") or 0))

    def add_warehouse(self, name: str, **attributes: Any) -> Record:
        defaults = {"address": None, "city": None, "district": None, "is_abroad": False, "archived": False}
        return self.add("warehouses", {**defaults, "name": name, **attributes})

    def set_stock(self, product: Record, warehouse: Record, count: Any, critical: Any = 0) -> Record:
        """The product's level in the warehouse; the product's ``stock_count`` is the sum over warehouses."""
        level = next(
            (
                row
                for row in self.tables["inventory_levels"].values()
                if row.relationships["product"][1] == product.id and row.relationships["warehouse"][1] == warehouse.id
            ),
            None,
        )
        if level is None:
            level = self.add(
                "inventory_levels",
                {"stock_count": 0.0, "initial_stock_count": 0.0, "critical_stock_count": 0.0},
                {"product": ("products", product.id), "warehouse": ("warehouses", warehouse.id)},
            )
        level.attributes.update(stock_count=float(count), critical_stock_count=float(critical))
        self.touch(level)
        product.attributes["inventory_tracking"] = True
        product.attributes["stock_count"] = float(
            sum(
                number(row.attributes["stock_count"])
                for row in self.tables["inventory_levels"].values()
                if row.relationships["product"][1] == product.id
            )
        )
        self.touch(product)
        return level

    def add_contact(self, name: str, **attributes: Any) -> Record:
        defaults = {
            "email": None,
            "short_name": None,
            "contact_type": "company",
            "tax_office": None,
            "tax_number": None,
            "district": None,
            "postal_code": None,
            "city": None,
            "country": "Türkiye",
            "address": None,
            "phone": None,
            "fax": None,
            "is_abroad": False,
            "archived": False,
            "iban": None,
            "account_type": "customer",
            "untrackable": False,
            "balance": 0.0,
            "trl_balance": 0.0,
            "usd_balance": 0.0,
            "eur_balance": 0.0,
            "gbp_balance": 0.0,
        }
        return self.add("contacts", {**defaults, "name": name, **attributes})

    def add_account(self, name: str, currency: str = "TRL", account_type: str = "bank", **attributes: Any) -> Record:
        defaults = {
            "bank_name": None,
            "bank_branch": None,
            "bank_account_no": None,
            "iban": None,
            "archived": False,
            "balance": 0.0,
        }
        return self.add(
            "accounts", {**defaults, "name": name, "currency": currency, "account_type": account_type, **attributes}
        )

    # -- sales offers and invoices ----------------------------------------------------------------------------------

    def _details(self, detail_type: str, parent: Record, rows: list[dict[str, Any]]) -> list[Record]:
        records = []
        for row in rows:
            attributes = dict(row.get("attributes") or {})
            relationships = {}
            for name in ("product", "warehouse"):
                data = ((row.get("relationships") or {}).get(name) or {}).get("data")
                if data:
                    type_ = "products" if name == "product" else "warehouses"
                    target = self.get(type_, data.get("id"), name)
                    if name == "product" and target.attributes.get("archived"):
                        raise invalid(f"Ürün arşivlenmiş: {target.attributes['name']}")
                    relationships[name] = (type_, target.id)
            records.append(self.add(detail_type, attributes, relationships))
        parent.relationships["details"] = [(detail_type, record.id) for record in records]
        return records

    def _totals(self, record: Record, details: list[Record]) -> None:
        gross = discount = vat = Decimal(0)
        for detail in details:
            a = detail.attributes
            line = number(a["quantity"]) * number(a["unit_price"])
            off = Decimal(0)
            if a.get("discount_value"):
                off = (
                    (line * number(a["discount_value"]) / 100)
                    if a.get("discount_type") == "percentage"
                    else (number(a["discount_value"]))
                )
            net = line - off
            a["net_total"] = money(net)
            gross += line
            discount += off
            vat += net * number(a["vat_rate"]) / 100
        attributes = record.attributes
        attributes.update(
            gross_total=money(gross),
            total_discount=money(discount),
            total_invoice_discount=0.0,
            before_taxes_total=money(gross - discount),
            total_vat=money(vat),
            withholding=0.0,
            total_excise_duty=0.0,
            total_communications_tax=0.0,
            total_vat_withholding=0.0,
            net_total=money(gross - discount + vat),
        )
        if record.type == "sales_offers":
            del attributes["before_taxes_total"]  # an offer's attributes do not carry it

    def _contact_of(self, body: dict[str, Any]) -> Record:
        data = (((body.get("relationships") or {}).get("contact") or {}).get("data")) or {}
        if not data.get("id"):
            raise invalid("Müşteri seçilmelidir (contact is required)")
        return self.get("contacts", data["id"], "Contact")

    def create_offer(self, body: dict[str, Any]) -> Record:
        contact = self._contact_of(body)
        attributes = {
            "description": None,
            "due_date": None,
            "currency": "TRL",
            "exchange_rate": 1.0,
            "order_no": None,
            "content": None,
            "archived": False,
            "status": "waiting",
            "sharings_count": 0,
            **body.get("attributes", {}),
        }
        attributes.pop("item_type", None)  # the description asks for it; an offer has no type of its own
        details = ((body.get("relationships") or {}).get("details") or {}).get("data") or []
        if not details:
            raise invalid("Teklif en az bir kalem içermelidir")
        offer = self.add("sales_offers", attributes, {"contact": ("contacts", contact.id)})
        self._totals(offer, self._details("sales_offer_details", offer, details))
        return offer

    def offer_status(self, offer: Record, status: str) -> Record:
        offer.attributes["status"] = status
        self.touch(offer)
        return offer

    def create_invoice(self, body: dict[str, Any]) -> Record:
        contact = self._contact_of(body)
        attributes = {
            "archived": False,
            "invoice_no": None,
            "description": None,
            "due_date": None,
            "invoice_series": None,
            "invoice_id": None,
            "currency": "TRL",
            "exchange_rate": 1.0,
            "order_no": None,
            "order_date": None,
            "tax_number": contact.attributes.get("tax_number"),
            "tax_office": contact.attributes.get("tax_office"),
            "city": contact.attributes.get("city"),
            "district": contact.attributes.get("district"),
            "billing_address": contact.attributes.get("address"),
            "is_abroad": False,
            "shipment_included": False,
            "cash_sale": False,
            "invoice_note": None,
            **body.get("attributes", {}),
        }
        attributes["due_date"] = attributes.get("due_date") or attributes["issue_date"]
        details = ((body.get("relationships") or {}).get("details") or {}).get("data") or []
        if not details:
            raise invalid("Fatura en az bir kalem içermelidir")
        invoice = self.add("sales_invoices", attributes, {"contact": ("contacts", contact.id), "payments": []})
        self._totals(invoice, self._details("sales_invoice_details", invoice, details))
        if attributes.get("invoice_id") is not None:
            invoice.attributes["invoice_no"] = f"{attributes.get('invoice_series') or ''}{attributes['invoice_id']}"
        self._settle(invoice)
        if attributes["item_type"] in ("invoice", "export", "refund"):
            sign = -1 if attributes["item_type"] == "refund" else 1
            self._move_balance(contact, attributes["currency"], sign * number(invoice.attributes["net_total"]))
        return invoice

    def _move_balance(self, contact: Record, currency: str, amount: Decimal) -> None:
        key = f"{(currency or 'TRL').lower()}_balance"
        contact.attributes[key] = money(number(contact.attributes.get(key) or 0) + amount)
        # ``balance``: the total in liras, foreign balances at the company's rates.
        contact.attributes["balance"] = money(
            sum(number(contact.attributes.get(f"{code.lower()}_balance") or 0) * number(RATES[code]) for code in RATES)
        )
        self.touch(contact)

    def _settle(self, invoice: Record) -> None:
        """``remaining`` and ``payment_status`` from the invoice's payments."""
        paid = sum(
            (number(self.get("payments", key).attributes["amount"]) for _t, key in invoice.relationships["payments"]),
            Decimal(0),
        )
        remaining = number(invoice.attributes["net_total"]) - paid
        a = invoice.attributes
        a["remaining"] = money(remaining)
        a["remaining_in_trl"] = money(remaining * number(a.get("exchange_rate") or 1))
        if remaining <= 0:
            a["payment_status"] = "paid"
        elif paid > 0:
            a["payment_status"] = "partially_paid"
        elif date.fromisoformat(a["due_date"]) < self.current_date():
            a["payment_status"] = "overdue"
        else:
            a["payment_status"] = "unpaid"

    def cancel_invoice(self, invoice: Record) -> Record:
        """Paraşüt's rules: an invoice with collections, or made official as an e-invoice/e-archive, is not
        cancelled (the collections or the e-document go first)."""
        if invoice.attributes["item_type"] == "cancelled":
            raise invalid("Fatura zaten iptal edilmiş")
        if invoice.relationships.get("payments"):
            raise invalid("Tahsilatı olan fatura iptal edilemez; önce tahsilatları silin")
        if invoice.relationships.get("active_e_document"):
            raise invalid("e-Fatura/e-Arşiv olarak gönderilmiş fatura iptal edilemez")
        if invoice.attributes["item_type"] in ("invoice", "export"):
            contact = self.get("contacts", invoice.relationships["contact"][1])
            self._move_balance(contact, invoice.attributes["currency"], -number(invoice.attributes["net_total"]))
        invoice.attributes["item_type"] = "cancelled"
        self.touch(invoice)
        return invoice

    def pay_invoice(self, invoice: Record, attributes: dict[str, Any]) -> Record:
        if invoice.attributes["item_type"] not in ("invoice", "export"):
            raise invalid("Bu faturaya tahsilat eklenemez")
        for key in ("date", "amount", "account_id"):
            if attributes.get(key) in (None, ""):
                raise invalid(f"{key} boş olamaz")
        account = self.get("accounts", attributes["account_id"], "Account")
        amount = number(attributes["amount"])
        if amount <= 0:
            raise invalid("Tutar sıfırdan büyük olmalıdır")
        if amount > number(invoice.attributes["remaining"]):
            raise invalid("Tahsilat tutarı kalan tutardan büyük olamaz")
        description = attributes.get("description")
        transaction = self.add(
            "transactions",
            {
                "description": description,
                "transaction_type": "collection",
                "date": attributes["date"],
                "amount_in_trl": money(amount * number(invoice.attributes.get("exchange_rate") or 1)),
                "debit_amount": money(amount),
                "debit_currency": account.attributes["currency"],
                "credit_amount": money(amount),
                "credit_currency": invoice.attributes["currency"],
            },
            {"debit_account": ("accounts", account.id), "payments": []},
        )
        payment = self.add(
            "payments",
            {
                "date": attributes["date"],
                "amount": money(amount),
                "currency": invoice.attributes["currency"],
                "notes": description,
            },
            {"payable": ("sales_invoices", invoice.id), "transaction": ("transactions", transaction.id)},
        )
        transaction.relationships["payments"] = [("payments", payment.id)]
        invoice.relationships["payments"].append(("payments", payment.id))
        self._settle(invoice)
        self.touch(invoice)
        contact = self.get("contacts", invoice.relationships["contact"][1])
        self._move_balance(contact, invoice.attributes["currency"], -amount)
        return payment

    def issue_e_document(self, invoice: Record, kind: str = "e_invoices", uuid: str = "") -> Record:
        """The company sends the invoice to the tax authority as an e-invoice (or e-archive)."""
        if kind == "e_invoices":
            attributes = {
                "uuid": uuid or f"{invoice.id:08d}-0000-4000-8000-000000000000",
                "env_uuid": None,
                "external_id": None,
                "direction": "outbound",
                "status": "successful",
                "scenario": "commercial",
                "item_type": "invoice",
                "issue_date": invoice.attributes["issue_date"],
                "net_total": invoice.attributes["net_total"],
                "currency": invoice.attributes["currency"],
                "is_expired": False,
                "is_answerable": False,
            }
        else:
            attributes = {
                "uuid": uuid or f"{invoice.id:08d}-0000-4000-8000-00000000a000",
                "vkn": None,
                "invoice_number": f"GIB{invoice.id:013d}",
                "status": "sent",
                "is_printed": False,
                "is_signed": True,
            }
        link = "invoice" if kind == "e_invoices" else "sales_invoice"
        document = self.add(kind, attributes, {link: ("sales_invoices", invoice.id)})
        invoice.relationships["active_e_document"] = (kind, document.id)
        invoice.attributes["invoice_no"] = invoice.attributes.get("invoice_no") or f"GIB{invoice.id:013d}"
        self.touch(invoice)
        return document

    # -- rendering --------------------------------------------------------------------------------------------------

    def resource(self, record: Record, *, relationships: tuple[str, ...] = ()) -> dict[str, Any]:
        """``record`` as a JSON:API resource object, with the named relationships' linkage."""
        body: dict[str, Any] = {"id": str(record.id), "type": record.type, "attributes": dict(record.attributes)}
        if relationships:
            links = {}
            for name in relationships:
                value = record.relationships.get(name)
                if isinstance(value, list):
                    links[name] = {"data": [{"id": str(key), "type": type_} for type_, key in value]}
                elif value:
                    links[name] = {"data": {"id": str(value[1]), "type": value[0]}}
                else:
                    links[name] = {"data": None}
            body["relationships"] = links
        return body

    def related(self, record: Record, path: str) -> list[Record]:
        """The records ``include=path`` (``details.product``) reaches from ``record``."""
        found = [record]
        for name in path.split("."):
            step = []
            for item in found:
                value = item.relationships.get(name)
                for type_, key in value if isinstance(value, list) else ([value] if value else []):
                    if key in self.tables.get(type_, {}):
                        step.append(self.tables[type_][key])
            found = step
        return found
