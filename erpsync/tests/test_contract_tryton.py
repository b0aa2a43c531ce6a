"""The adapter contract, run against the Tryton adapter and a real Tryton server (a fresh database per test).

The ERP's side keys records in as Tryton's own staff would, through the REST API with the staff's key: products
with their units and taxes, warehouses, stock moves, price lists, parties, journal entries, sales, shipments and
invoices. The adapter reaches the server through a relay that can refuse connections or lose an answer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any

import pytest

pytest.register_assert_rewrite("erpsync.tests.contract")

from erpsync.adapters.base import DocumentKind, ErpDocument, ErpOrderState, ErpOrderStatus, ErpPrice  # noqa: E402
from erpsync.adapters.tryton import TrytonAdapter  # noqa: E402
from erpsync.tests.contract import (  # noqa: E402
    TIMEOUT_AFTER_APPLY,
    UNAVAILABLE,
    AdapterContract,
    ErpSide,
    canonical,
    sample_order,
)
from erpsync.tests.tryton_seed import PORTAL_KEY  # noqa: E402
from erpsync.tests.tryton_server import FaultProxy, StaffClient, TrytonServer, ship  # noqa: E402


class TrytonErpSide(ErpSide):
    """An empty company on a real Tryton (the ``base`` database) plus what the contract's orders need: the
    customer 120.01.001 with an address, and the item ÇAY-001 counted in kilograms and also sold by the 12 kg case
    ("KOLI"), taxed at 20 %."""

    failures = frozenset({UNAVAILABLE, TIMEOUT_AFTER_APPLY})

    def __init__(self, server: TrytonServer, template: str = "base") -> None:
        self.server = server
        self.database = server.database(template)
        self.proxy = FaultProxy(server.port)
        self.price_lists: dict[str, int] = {}
        if template == "base":
            self.set_up()
        # Otherwise the copy has it all already; nothing is asked of the server until a test needs it (a test that
        # is skipped, or never talks to Tryton, costs no database start-up).

    def set_up(self) -> None:
        kg = self.unit("KG", "weight", digits=3)
        self.unit("KOLI", "weight", factor=12, digits=0)
        self.product("ÇAY-001", "Rize Turist Çayı", kg, category=self.taxed)
        self.party("120.01.001", "Öztürk Gıda")

    @cached_property
    def staff(self) -> StaffClient:
        return StaffClient(self.server.url, self.database)

    @cached_property
    def taxed(self) -> int:
        """The product category taxed at 20 %."""
        return self.staff.id_of("product.category", code="TICARI")

    @cached_property
    def categories(self) -> dict[str, int]:
        units = self.staff.read("product.uom", self.staff.id_of("product.uom", symbol="u"), ["category"])
        weight = self.staff.read("product.uom", self.staff.id_of("product.uom", symbol="kg"), ["category"])
        return {"unit": units["category"], "weight": weight["category"]}

    # --- keying records in ---

    def unit(self, symbol: str, kind: str = "unit", *, factor: float = 1, digits: int = 0, name: str = "") -> int:
        """The unit with ``symbol`` in the ``kind`` category ("unit" or "weight"), created when missing."""
        found = self.staff.search("product.uom", [["symbol", "=", symbol], ["category", "=", self.categories[kind]]])
        if found:
            if name:
                self.staff.write("product.uom", found[0]["id"], {"name": name, "digits": digits})
            return found[0]["id"]
        return self.staff.create(
            "product.uom",
            {
                "name": name or symbol,
                "symbol": symbol,
                "category": self.categories[kind],
                "factor": factor,
                "rate": round(1 / factor, 12),
                "rounding": 10**-digits,
                "digits": digits,
            },
        )

    def product(self, code: str, name: str, unit: int, *, category: int | None = None, **template: Any) -> int:
        found = self.staff.search("product.product", [["code", "=", code]], ["template"], active_test=False)
        values = {"name": name, "default_uom": unit, "sale_uom": unit, "account_category": category, **template}
        if found:
            self.staff.write("product.template", found[0]["template"], values)
            return found[0]["id"]
        template_id = self.staff.create(
            "product.template",
            {
                "code": code,
                "type": "goods",
                "salable": True,
                "list_price": Decimal(1),
                "products": [["create", [{}]]],
                **values,
            },
        )
        return self.staff.one("product.product", [["template", "=", template_id]])["id"]

    def party(self, code: str, name: str) -> int:
        found = self.staff.search("party.party", [["code", "=", code]], active_test=False)
        if found:
            return found[0]["id"]
        return self.staff.create(
            "party.party",
            {
                "code": code,
                "name": name,
                "addresses": [["create", [{"street": "Büyükdere Cad. 1", "city": "İstanbul"}]]],
            },
        )

    def country(self, code: str) -> int:
        found = self.staff.search("country.country", [["code", "=", code]])
        return found[0]["id"] if found else self.staff.create("country.country", {"code": code, "name": code})

    def warehouse(self, code: str, name: str) -> int:
        found = self.staff.search("stock.location", [["code", "=", code], ["type", "=", "warehouse"]])
        if found:
            self.staff.write("stock.location", found[0]["id"], {"name": name})
            return found[0]["id"]
        lost_found = self.staff.one("stock.location", [["type", "=", "lost_found"]])["id"]
        parts = {
            part: self.staff.create("stock.location", {"name": f"{name} {part}", "type": "storage"})
            for part in ("input", "output", "storage")
        }
        warehouse = self.staff.create(
            "stock.location",
            {
                "name": name,
                "code": code,
                "type": "warehouse",
                "input_location": parts["input"],
                "output_location": parts["output"],
                "storage_location": parts["storage"],
                "lost_found_location": lost_found,
            },
        )
        for part in parts.values():
            self.staff.write("stock.location", part, {"parent": warehouse})
        return warehouse

    def price_list(self, code: str, **values: Any) -> int:
        if code not in self.price_lists:
            self.price_lists[code] = self.staff.create("product.price_list", {"name": values.get("name", code)})
        if values:  # switched off last: Tryton freezes an inactive record's other fields
            active = values.pop("active", True)
            self.staff.write("product.price_list", self.price_lists[code], values)
            if not active:
                self.staff.write("product.price_list", self.price_lists[code], {"active": False})
        return self.price_lists[code]

    def planned_move(self, product: int, source: int, target: int, quantity: Decimal) -> None:
        """Goods promised to a customer but not yet gone (Tryton's draft outgoing move)."""
        unit = self.staff.read("product.product", product, ["default_uom"])["default_uom"]
        self.staff.create(
            "stock.move",
            {
                "product": product,
                "unit": unit,
                "quantity": float(quantity),
                "from_location": source,
                "to_location": target,
                "planned_date": date.today(),
                "company": self.staff.context["company"],
                "unit_price": Decimal(1),
                "currency": self.staff.id_of("currency.currency", code="TRY"),
            },
        )

    def sale(
        self,
        reference: str,
        quantity: Decimal = Decimal(2),
        *,
        product_code: str = "ÇAY-001",
        warehouse: int | None = None,
    ) -> int:
        """A sale keyed in by the sales desk, in draft."""
        product = self.staff.read(
            "product.product", self.staff.id_of("product.product", code=product_code), ["default_uom"]
        )
        party = self.staff.read("party.party", self.staff.id_of("party.party", code="120.01.001"), ["addresses"])
        line = {
            "product": product["id"],
            "quantity": float(quantity),
            "unit": product["default_uom"],
            "unit_price": Decimal(100),
            "taxes": [["add", [self.staff.id_of("account.tax", name="KDV %20")]]],
        }
        values = {
            "party": party["id"],
            "reference": reference,
            "invoice_address": party["addresses"][0],
            "shipment_address": party["addresses"][0],
            "lines": [["create", [line]]],
        }
        if warehouse is not None:
            values["warehouse"] = warehouse
        return self.staff.create("sale.sale", values)

    # --- the contract's hooks ---

    def make_adapter(self) -> TrytonAdapter:
        return TrytonAdapter(
            settings={
                "base_url": self.proxy.url,
                "database": self.database,
                "sellable_warehouses": ["IST"],
                "reference_prefix": "B2B-",
                "payment_journal": "CASH",
                "payment_account": "1.1.1",
                "timeout_seconds": 20,
            },
            credentials={"key": PORTAL_KEY},
        )

    def close(self) -> None:
        self.proxy.close()
        if "staff" in self.__dict__:
            self.staff.close()

    def publish(self, entity: str, records: Sequence[Any], *, complete: bool = True) -> None:
        if entity == "unit":  # the ERP's unit list is exactly these: the others are switched off
            keep = {
                self.unit(u.code, "weight" if u.code == "KG" else "unit", digits=u.decimals, name=u.name)
                for u in records
            }
            for row in self.staff.search("product.uom", [["id", "not in", sorted(keep)]]):
                self.staff.write("product.uom", row["id"], {"active": False})
            return
        for record in records:
            getattr(self, f"_publish_{entity}")(record)

    def _publish_product(self, product) -> None:
        unit = self.unit(product.unit, "weight" if product.unit == "KG" else "unit")
        sale_unit = unit
        for pack in product.units:
            packed = self.unit(pack.unit, "weight" if product.unit == "KG" else "unit", factor=float(pack.factor))
            if pack.sellable:
                sale_unit = packed
                break
        category = self.taxed if product.vat_rate == Decimal(20) else None
        product_id = self.product(
            product.code,
            product.name,
            unit,
            category=category,
            sale_uom=sale_unit,
        )
        self.staff.write(
            "product.product",
            product_id,
            {
                "description": product.description or None,
                "identifiers": [["create", [{"type": "ean", "code": product.barcode}]]] if product.barcode else [],
            },
        )
        if not product.active:  # switched off last: Tryton freezes an inactive record's other fields
            template = self.staff.read("product.product", product_id, ["template"])["template"]
            self.staff.write("product.template", template, {"active": False})

    def _publish_product_media(self, record) -> None:
        """A user attaches the file to the product's template (form → attachments)."""
        kg = self.unit("KG", "weight")
        product = self.product(record.product_code, record.product_code, kg)
        template = self.staff.read("product.product", product, ["template"])["template"]
        extension = "pdf" if record.kind == "document" else "jpg"
        self.staff.create(
            "ir.attachment",
            {
                "name": f"{record.product_code}-{record.position}.{extension}",
                "type": "data",
                "data": record.content,
                "resource": f"product.template,{template}",
                "description": record.title or None,
            },
        )

    def _publish_warehouse(self, warehouse) -> None:
        location = self.warehouse(warehouse.code, warehouse.name)
        self.staff.write("stock.location", location, {"active": warehouse.active})

    def _publish_stock(self, stock) -> None:
        kg = self.unit("KG", "weight")
        product = None
        if stock.product_code != "ÇAY-001":
            product = self.product(stock.product_code, stock.product_code, kg, category=self.taxed)
        product = product or self.staff.id_of("product.product", code=stock.product_code)
        warehouse = self.warehouse(stock.warehouse_code, stock.warehouse_code)
        storage = self.staff.read("stock.location", warehouse, ["storage_location", "output_location"])
        customers = self.staff.one("stock.location", [["type", "=", "customer"]])["id"]
        if stock.on_hand < 0:  # more shipped than was there: the warehouse forced the shipment out
            sale = self.sale(
                f"STOK-{stock.product_code}", -stock.on_hand, product_code=stock.product_code, warehouse=warehouse
            )
            self.staff.click("sale.sale", sale, "quote")
            self.staff.click("sale.sale", sale, "confirm")
            ship(self.staff, sale)
        elif stock.on_hand:  # a stock count: Tryton books the difference against lost and found
            line = {"product": product, "quantity": float(stock.on_hand)}
            inventory = self.staff.create(
                "stock.inventory", {"location": storage["storage_location"], "lines": [["create", [line]]]}
            )
            self.staff.click("stock.inventory", inventory, "confirm")
        if stock.committed:
            self.planned_move(product, storage["output_location"], customers, stock.committed)

    def _publish_price_list(self, price_list) -> None:
        self.price_list(
            price_list.code,
            name=price_list.name,
            tax_included=price_list.vat_included,
            active=price_list.active,
        )

    def _publish_price(self, price) -> None:
        product = self.staff.id_of("product.product", code=price.product_code)
        line = {"product": product, "formula": str(price.price)}
        if price.min_quantity > 1:
            line["quantity"] = float(price.min_quantity)
        # Tryton takes the first matching line: breaks go before the plain price.
        line["sequence"] = 10 if price.min_quantity > 1 else 20
        self.staff.write("product.price_list", self.price_list(price.price_list_code), {"lines": [["create", [line]]]})

    def _publish_customer(self, customer) -> None:
        party = self.party(customer.code, customer.title)
        current = self.staff.read("party.party", party, ["addresses", "identifiers", "contact_mechanisms"])
        turkey = self.country("TR")
        addresses = [
            {
                "party_name": address.name or None,
                "street": "\n".join(line for line in (address.line1, address.line2) if line),
                "city": address.city,
                "postal_code": address.postal_code or None,
                "country": turkey,
                "invoice": address.kind == "billing",
                "delivery": address.kind == "shipping",
                "sequence": number,
            }
            for number, address in enumerate(customer.addresses, start=1)
        ]
        contacts = [{"type": "email", "value": customer.email}] if customer.email else []
        contacts += [{"type": "phone", "value": customer.phone}] if customer.phone else []
        values: dict[str, Any] = {
            "name": customer.title,
            "active": customer.active,
            # Sample numbers need not pass the VKN/TCKN checksum: keyed in as identifiers without a type.
            "identifiers": [["delete", current["identifiers"]], ["create", [{"code": customer.tax_number}]]],
            "addresses": [["delete", current["addresses"]], ["create", addresses]],
            "contact_mechanisms": [["delete", current["contact_mechanisms"]], ["create", contacts]],
            "sale_price_list": self.price_list(customer.price_list_code) if customer.price_list_code else None,
        }
        self.staff.write("party.party", party, values)

    def _journal_entry(self, party: int, amount: Decimal) -> None:
        """A posted entry on the party's receivable: a debit makes the customer owe, a credit the other way."""
        receivable = self.receivable(party)
        revenue = self.revenue()
        journal = self.staff.id_of("account.journal", code="REV")
        debit, credit = (amount, Decimal(0)) if amount > 0 else (Decimal(0), -amount)
        move = self.staff.create(
            "account.move",
            {
                "journal": journal,
                "date": date.today(),
                "lines": [
                    [
                        "create",
                        [
                            {"account": receivable, "party": party, "debit": debit, "credit": credit},
                            {"account": revenue, "debit": credit, "credit": debit},
                        ],
                    ]
                ],
            },
        )
        self.staff.click("account.move", move, "post")

    def receivable(self, party: int) -> int:
        """The party's receivable account: its own, else the company's default."""
        own = self.staff.read("party.party", party, ["account_receivable"])["account_receivable"]
        default = self.staff.read("account.configuration", 1, ["default_account_receivable"])
        return own or default["default_account_receivable"]

    def revenue(self) -> int:
        return self.staff.read("product.category", self.taxed, ["account_revenue"])["account_revenue"]

    def _publish_balance(self, balance) -> None:
        party = self.party(balance.customer_code, balance.customer_code)
        self._journal_entry(party, balance.balance)

    def _publish_credit(self, credit) -> None:
        party = self.party(credit.customer_code, credit.customer_code)
        self.staff.write("party.party", party, {"credit_limit_amount": credit.credit_limit})

    def _publish_order_status(self, status: ErpOrderStatus) -> None:
        sale = self.sale(status.reference)
        if status.state == ErpOrderState.CANCELLED:
            self.staff.click("sale.sale", sale, "cancel")
            return
        self.staff.click("sale.sale", sale, "quote")
        if status.state == ErpOrderState.OPEN:
            return
        self.staff.click("sale.sale", sale, "confirm")
        if status.state == ErpOrderState.SHIPPED:
            ship(self.staff, sale)

    def _publish_delivery(self, document: ErpDocument) -> None:
        sale = self.sale(document.order_reference)
        self.staff.click("sale.sale", sale, "quote")
        self.staff.click("sale.sale", sale, "confirm")
        ship(self.staff, sale, on=document.issued_on)

    def _publish_invoice(self, document: ErpDocument) -> None:
        """An invoice of one line of tea (taxed at 20 %), or a credit note of one untaxed line without a product."""
        party = self.party(document.customer_code, document.customer_code)
        address = self.staff.read("party.party", party, ["addresses"])["addresses"][0]
        line: dict[str, Any] = {"account": self.revenue(), "quantity": 1, "unit_price": document.net or document.gross}
        if document.kind == DocumentKind.CREDIT_MEMO:
            line.update(quantity=-1, description=document.number)
        else:
            product = self.staff.read(
                "product.product", self.staff.id_of("product.product", code="ÇAY-001"), ["default_uom"]
            )
            line.update(product=product["id"], unit=product["default_uom"])
            line["taxes"] = [["add", [self.staff.id_of("account.tax", name="KDV %20")]]]
        values: dict[str, Any] = {
            "type": "out",
            "party": party,
            "invoice_address": address,
            "account": self.receivable(party),
            "journal": self.staff.id_of("account.journal", code="REV"),
            "invoice_date": document.issued_on,
            "lines": [["create", [line]]],
        }
        if document.due_on:
            days = (document.due_on - document.issued_on).days
            delta = {"days": days}
            term_line = {"type": "remainder", "relativedeltas": [["create", [delta]]]}
            values["payment_term"] = self.staff.create(
                "account.invoice.payment_term", {"name": f"{days} gün", "lines": [["create", [term_line]]]}
            )
        invoice = self.staff.create("account.invoice", values)
        self.staff.click("account.invoice", invoice, "post")

    _publish_credit_memo = _publish_invoice

    def _publish_ledger(self, entry) -> None:
        """Invoices and credit notes of one untaxed line, posted: their receivable lines are the movements."""
        party = self.party(entry.customer_code, entry.customer_code)
        if entry.kind not in ("invoice", "credit_memo") or entry.open_amount not in (None, entry.amount):
            raise NotImplementedError(f"publishing {entry.kind} movements")
        line = {
            "account": self.revenue(),
            "quantity": 1 if entry.kind == "invoice" else -1,
            "unit_price": abs(entry.amount),
            "description": entry.description or "Hizmet",
        }
        values: dict[str, Any] = {
            "type": "out",
            "party": party,
            "invoice_address": self.staff.read("party.party", party, ["addresses"])["addresses"][0],
            "account": self.receivable(party),
            "journal": self.staff.id_of("account.journal", code="REV"),
            "invoice_date": entry.posted_on,
            "description": entry.description or None,
            "lines": [["create", [line]]],
        }
        if entry.due_on and entry.due_on != entry.posted_on:
            delta = {"days": (entry.due_on - entry.posted_on).days}
            term_line = {"type": "remainder", "relativedeltas": [["create", [delta]]]}
            values["payment_term"] = self.staff.create(
                "account.invoice.payment_term", {"name": f"{delta['days']} gün", "lines": [["create", [term_line]]]}
            )
        invoice = self.staff.create("account.invoice", values)
        self.staff.click("account.invoice", invoice, "post")

    def publish_open_orders(self) -> tuple[set[str], set[str]]:
        quoted, confirmed, cancelled = (self.sale(f"B2B-{name}-1") for name in ("QUOTED", "CONFIRMED", "CANCELLED"))
        for sale in (quoted, confirmed):
            self.staff.click("sale.sale", sale, "quote")
        self.staff.click("sale.sale", confirmed, "confirm")
        self.staff.click("sale.sale", cancelled, "cancel")
        return {"B2B-QUOTED-1", "B2B-CONFIRMED-1"}, {"B2B-CANCELLED-1"}

    def received(self, kind: str) -> list[str]:
        sales = self.staff.search("sale.sale", [], ["reference", "state"])
        # Quotes are sales too: in the quotation state, their reference marked "quote:".
        quotes = [sale for sale in sales if (sale["reference"] or "").startswith("quote:")]
        sales = [sale for sale in sales if sale not in quotes]
        if kind == "orders":
            return sorted(sale["reference"] for sale in sales)
        if kind == "cancellations":
            return sorted(sale["reference"] for sale in sales if sale["state"] == "cancelled")
        if kind == "quotes":
            return sorted(sale["reference"].removeprefix("quote:") for sale in quotes)
        if kind == "quote_cancellations":
            return sorted(sale["reference"].removeprefix("quote:") for sale in quotes if sale["state"] == "cancelled")
        if kind == "payments":  # receipts: posted entries of the cash journal, described by the portal's reference
            moves = self.staff.search("account.move", [["journal.code", "=", "CASH"]], ["description", "state"])
            return sorted(move["description"] for move in moves if move["state"] == "posted")
        return []

    def consume(self) -> None:
        """Nothing to do: Tryton holds a sale the moment it accepts it."""

    def simulate(self, failure: str) -> None:
        if failure == UNAVAILABLE:  # the server is stopped: connections are refused
            self.proxy.down()
        elif failure == TIMEOUT_AFTER_APPLY:  # the sale is created, its answer lost on the way back
            self.proxy.lose_answer("POST", "/rest/model/sale.sale")
        else:
            super().simulate(failure)

    def samples(self, entity: str) -> list[Any]:
        records = super().samples(entity)
        if entity == "price":
            # Tryton's breaks are counted in the product's own unit; the portal's pack break becomes a unit break.
            return [records[0], ErpPrice("BAYI", "ÇAY-001", Decimal("1200"), min_quantity=Decimal("10"))]
        if entity == "invoice":
            # Tryton will not post an invoice falling due in the past without a person confirming it: dated today.
            today = date.today()
            return [
                dataclasses.replace(record, issued_on=today, due_on=today + timedelta(days=60)) for record in records
            ]
        if entity == "ledger":
            # Dated today, as invoices are; a credit note without terms falls due at once and stays open in full.
            today = date.today()
            invoice, memo = records
            return [
                dataclasses.replace(invoice, entry_id="aml", posted_on=today, due_on=today + timedelta(days=60)),
                dataclasses.replace(memo, entry_id="aml", posted_on=today, due_on=today, open_amount=memo.amount),
            ]
        if entity == "order_status":
            # What a real sale goes through here: quoted, confirmed (shipments made), shipped whole, cancelled.
            return [
                ErpOrderStatus("B2B-2026-000121", ErpOrderState.OPEN),
                ErpOrderStatus("B2B-2026-000122", ErpOrderState.ALLOCATED),
                ErpOrderStatus("B2B-2026-000123", ErpOrderState.SHIPPED),
                ErpOrderStatus("B2B-2026-000124", ErpOrderState.CANCELLED),
            ]
        return records

    def normalise(self, entity: str, record: Any) -> Any:
        """What Tryton carries of the contract's records: its own ids for price lists, numbers and addresses;
        no tax office, district, categories, brands, order minimums, credit hold or timestamps; list prices in the
        company's currency."""
        lists = {code: str(number) for code, number in self.price_lists.items()}
        if entity == "product_media":
            # Tryton keeps no language or kind on an attachment; an untitled one is called after its file.
            return dataclasses.replace(
                record,
                key="",
                source="",
                language="",
                document_kind="other",
                title=record.title if record.kind == "document" else "",
            )
        if entity == "unit":
            return dataclasses.replace(record, name_en="")
        if entity == "product":
            packs = tuple(
                dataclasses.replace(pack, barcode="", factor=canonical(pack.factor))
                for pack in record.units
                if pack.sellable
            )
            return dataclasses.replace(
                record,
                name_en="",
                tax_code="",
                category_code="",
                brand_code="",
                description_en="",
                min_order_qty=None,
                order_multiple=None,
                batch_managed=False,
                units=packs[:1],
                updated_at=None,
            )
        if entity == "stock":
            return dataclasses.replace(
                record, on_hand=canonical(record.on_hand), committed=canonical(record.committed), as_of=None
            )
        if entity == "price_list":
            return dataclasses.replace(
                record,
                code=lists.get(record.code, record.code),
                currency="TRY",
                valid_from=None,
                valid_to=None,
                supersedes="",
            )
        if entity == "price":
            return dataclasses.replace(
                record,
                price_list_code=lists.get(record.price_list_code, record.price_list_code),
                price=canonical(record.price),
                min_quantity=canonical(record.min_quantity),
            )
        if entity == "customer":
            addresses = tuple(
                dataclasses.replace(address, code="", district="", phone="", is_default=False)
                for address in record.addresses
            )
            return dataclasses.replace(
                record,
                price_list_code=lists.get(record.price_list_code, record.price_list_code),
                tax_office="",
                payment_terms_days=None,
                addresses=addresses,
                updated_at=None,
            )
        if entity == "balance":
            return dataclasses.replace(record, balance=canonical(record.balance), open_orders=None, as_of=None)
        if entity == "credit":
            return dataclasses.replace(
                record, credit_limit=canonical(record.credit_limit), hold=False, hold_reason="", as_of=None
            )
        if entity == "order_status":
            return dataclasses.replace(record, document_number="", document_id="", updated_at=None, note="")
        if entity == "ledger":
            # Ids are Tryton's move lines (aml:<id>), numbers its invoice sequence's; no timestamps.
            return dataclasses.replace(
                record,
                entry_id=record.entry_id.split(":")[0],
                document_number="",
                amount=canonical(record.amount),
                open_amount=canonical(record.open_amount),
                updated_at=None,
            )
        if entity in ("delivery", "invoice", "credit_memo"):
            return dataclasses.replace(
                record,
                number="",
                carrier="",
                tracking_number="",
                tracking_url="",
                e_invoice_uuid="",
                related_number="",
                updated_at=None,
                net=canonical(record.net) if record.kind == DocumentKind.INVOICE else None,
                vat=canonical(record.vat) if record.kind == DocumentKind.INVOICE else None,
                gross=canonical(record.gross),
                lines=None,  # the lines Tryton makes are its own; the adapter's tests check them
            )
        return record

    def invalid_order(self):
        """Metres of tea: Tryton refuses a unit outside the product's unit category, and nothing is created."""
        order = sample_order()
        return dataclasses.replace(order, lines=tuple(dataclasses.replace(line, unit="m") for line in order.lines))


@pytest.fixture(scope="module")
def contract_company(tryton_server) -> str:
    """The side's starting point built once, then copied for each test (each finds its records already there)."""
    side = TrytonErpSide(tryton_server)
    side.close()
    return tryton_server.derive("contract", side.database)


class TestTrytonAdapterContract(AdapterContract):
    @pytest.fixture
    def erp(self, tryton_server, contract_company):
        side = TrytonErpSide(tryton_server, contract_company)
        yield side
        side.close()
