"""What the Tryton adapter reads: units, products, warehouses, stock, price lists and prices, customers, balances
and credit, sales' statuses, shipments and invoices, the customers' ledger, open orders and live lookups.

Open orders: sales quoted, confirmed or in processing that are not yet shipped and invoiced in full, and drafts
carrying the portal's reference.

Sales that are portal quotes (reference ``quote:…``, see ``writes``) are no portal orders: statuses, open orders and
documents leave them out while they are offers; one Tryton's staff confirmed is listed among the open orders as an
order keyed in Tryton itself (without a portal reference).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from erpsync.adapters.base import (
    DocumentKind,
    ErpAdapter,
    ErpBalance,
    ErpCredit,
    ErpCustomer,
    ErpDocument,
    ErpLedgerEntry,
    ErpOpenOrder,
    ErpOrderState,
    ErpOrderStatus,
    ErpPrice,
    ErpPriceList,
    ErpProduct,
    ErpProductMedia,
    ErpStock,
    ErpUnit,
    ErpWarehouse,
    Feed,
    MediaKind,
    PermanentError,
)
from erpsync.adapters.http import text as _text
from erpsync.adapters.tryton.mapping import (
    QUOTE_MARK,
    OpenItems,
    as_decimal,
    balance_record,
    customer_record,
    invoice_line_record,
    invoice_of,
    is_quote,
    ledger_record,
    many2one_id,
    move_line_record,
    nested,
    order_state,
    product_record,
    sale_line_of,
    signed,
)
from erpsync.adapters.tryton.session import fields_param

# Every entity of the contract but categories, brands and dealer agreements, which Tryton does not hold as such.
ENTITIES = tuple(entity for entity in ErpAdapter.readable if entity not in {"category", "brand", "agreement"})
DELTA_ENTITIES = frozenset(
    {"product", "customer", "order_status", "delivery", "invoice", "credit_memo", "ledger", "product_media"}
)
KEYS_PER_REQUEST = 200
# Sale states that are orders the company still has to carry out (drafts only with the portal's reference).
OPEN_SALE_STATES = ("quotation", "confirmed", "processing")


def _resource(row: dict[str, Any]) -> tuple[str, int]:
    """An attachment's resource as (model, id): Tryton gives a reference as "model,id"."""
    value = row.get("resource") or ""
    if isinstance(value, dict):
        return value.get("__name__", ""), int(value.get("id") or 0)
    model, _, record_id = str(value).partition(",")
    return model, int(record_id) if record_id.lstrip("-").isdigit() else 0


class TrytonReads:
    """The reading half of ``TrytonAdapter`` (over ``TrytonSession``'s searches)."""

    def read(self, entity: str, *, since: datetime | None = None, full: bool = False) -> Iterator[Feed]:
        self.refuse_unreadable(entity, ENTITIES, who="Tryton")
        return self._read(entity, since=since, full=full)

    def _read(self, entity: str, *, since: datetime | None, full: bool) -> Iterator[Feed]:
        started = datetime.now(UTC)
        delta = since is not None and not full and entity in DELTA_ENTITIES
        window = since if delta else None  # the engine has taken the connection's overlap off already
        records = getattr(self, f"_read_{entity}")(window, started)
        yield Feed(
            entity=entity,
            source=f"tryton:{self.database}:{entity}" + (f"?since={since.isoformat()}" if delta else ""),
            records=records,
            complete=not delta,
            watermark=started,
            scope={"database": self.database},
        )

    @staticmethod
    def _changed(window: datetime | None, *paths: str) -> list:
        """The domain of records changed in the window: their own stamp or one of their parts' (``paths``)."""
        if window is None:
            return []
        return ["OR", *([f"{path}last_modified_at", ">=", window] for path in ("", *paths))]

    def _read_unit(self, window, started) -> Iterator[ErpUnit]:
        # Inactive units cannot be used on new documents: the portal does not need them.
        rows = self.search("product.uom", [], ["symbol", "name", "digits"])
        return (
            ErpUnit(code=row["symbol"], name=_text(row.get("name")), decimals=int(row.get("digits") or 0))
            for row in rows
            if row.get("symbol")
        )

    PRODUCT_FIELDS = (
        "code",
        "name",
        "active",
        "salable",
        "description",
        "template.active",
        "template.last_modified_at",
        "last_modified_at",
        "default_uom.symbol",
        "default_uom.factor",
        "sale_uom.symbol",
        "sale_uom.factor",
        "account_category.customer_taxes_used.rate",
        "account_category.customer_taxes_used.type",
        "identifiers.type",
        "identifiers.code",
    )

    def _read_product(self, window, started) -> Iterator[ErpProduct]:
        domain = [["code", "!=", None], self._changed(window, "template.", "identifiers.")]
        rows = self.search("product.product", domain, self.PRODUCT_FIELDS, context={"active_test": False})
        return (product_record(row) for row in rows)

    def _warehouses(self, *, active_only: bool = False) -> list[dict[str, Any]]:
        domain = [["type", "=", "warehouse"], ["code", "!=", None]]
        context = None if active_only else {"active_test": False}
        return list(self.search("stock.location", domain, ["code", "name", "active"], context=context))

    def _read_product_media(self, window, started) -> Iterator[ErpProductMedia]:
        """Attachments (``ir.attachment`` of type data) on product templates and variants, oldest first per
        product; a template's go to every variant of it. Tryton lets a user search attachments only for named
        resources (``resource in [...]``), so the products are listed first and their attachments asked for in
        chunks; each file is fetched when its record is read. Whether an attachment is a picture or a document is
        told by its content (a PDF starts with ``%PDF-``), never by its name; the portal checks it either way.
        Link attachments (a URL) are not fetched."""
        products = self.search(
            "product.product", [["code", "!=", None]], ["code", "template"], context={"active_test": False}
        )
        codes: dict[str, list[str]] = {}
        for product in products:
            template = product.get("template")
            template_id = template.get("id") if isinstance(template, dict) else template
            codes.setdefault(f"product.product,{product['id']}", []).append(product["code"])
            codes.setdefault(f"product.template,{template_id}", []).append(product["code"])
        resources = sorted(codes)
        rows: list[dict[str, Any]] = []
        for at in range(0, len(resources), KEYS_PER_REQUEST):
            domain: list = [["type", "=", "data"], ["resource", "in", resources[at : at + KEYS_PER_REQUEST]]]
            if window is not None:
                domain.append(self._changed(window))
            rows += self.search("ir.attachment", domain, ["name", "description", "resource"])

        def records() -> Iterator[ErpProductMedia]:
            positions: dict[str, int] = {}
            for row in sorted(rows, key=lambda r: r["id"]):
                data = self._call("GET", f"model/ir.attachment/{int(row['id'])}", params=fields_param("data"))
                content = data.get("data") or b""
                kind = MediaKind.DOCUMENT if content[:5] == b"%PDF-" else MediaKind.IMAGE
                name = _text(row.get("name"))
                model, record_id = _resource(row)
                for code in codes.get(f"{model},{record_id}", []):
                    position = positions[f"{kind}:{code}"] = positions.get(f"{kind}:{code}", 0) + 1
                    yield ErpProductMedia(
                        product_code=code,
                        kind=kind,
                        key=f"attachment:{row['id']}",
                        content=content,
                        position=position,
                        title=_text(row.get("description")) or name.rsplit(".", 1)[0],
                        source=name,
                    )

        return records()

    def _read_warehouse(self, window, started) -> Iterator[ErpWarehouse]:
        return (
            ErpWarehouse(
                code=row["code"],
                name=_text(row.get("name")),
                sellable=self.sellable_warehouses is None or row["code"] in self.sellable_warehouses,
                active=bool(row.get("active")),
            )
            for row in self._warehouses()
        )

    def _stock(self, codes: list[str] | None, as_of: datetime) -> Iterator[ErpStock]:
        """Per warehouse: on hand (done moves up to today, what Tryton calls quantity) and committed (goods on
        outgoing moves not yet done: confirmed sales waiting for shipment). The warehouses are read at once, so an
        unreachable server fails the call rather than the feed."""
        warehouses = self._warehouses(active_only=True)
        return self._stock_rows(warehouses, codes, as_of)

    def _stock_rows(self, warehouses: list[dict[str, Any]], codes: list[str] | None, as_of: datetime):
        product_domain: list = [["code", "!=", None], ["type", "=", "goods"]]
        if codes is not None:
            product_domain.append(["code", "in", codes])
        for warehouse in warehouses:
            location = {"locations": [warehouse["id"]]}
            on_hand = {
                row["code"]: as_decimal(row.get("quantity")) or Decimal(0)
                for row in self.search("product.product", product_domain, ["code", "quantity"], context=location)
            }
            move_domain = [
                ["from_location", "child_of", [warehouse["id"]], "parent"],
                ["to_location", "not child_of", [warehouse["id"]], "parent"],
                ["state", "in", ["draft", "assigned"]],
                ["product.code", "!=", None],
            ]
            if codes is not None:
                move_domain.append(["product.code", "in", codes])
            committed: dict[str, Decimal] = {}
            for move in self.search("stock.move", move_domain, ["product.code", "internal_quantity"]):
                code = nested(move, "product", "code")
                committed[code] = committed.get(code, Decimal(0)) + (as_decimal(move.get("internal_quantity")) or 0)
            for code in sorted(set(on_hand) | set(committed)):
                quantity, reserved = on_hand.get(code, Decimal(0)), as_decimal(committed.get(code, Decimal(0)))
                if quantity or reserved or codes is not None:
                    yield ErpStock(code, warehouse["code"], quantity, reserved, as_of=as_of)

    def _read_stock(self, window, started) -> Iterator[ErpStock]:
        return self._stock(None, started)

    def _read_price_list(self, window, started) -> Iterator[ErpPriceList]:
        currency = self.company()["currency"] or "TRY"
        rows = self.search("product.price_list", [], ["name", "tax_included", "active"], context={"active_test": False})
        return (
            ErpPriceList(
                code=str(row["id"]),
                name=_text(row.get("name")),
                currency=currency,
                vat_included=bool(row.get("tax_included")),
                active=bool(row.get("active")),
            )
            for row in rows
        )

    def _read_price(self, window, started) -> Iterator[ErpPrice]:
        """Tryton computes prices from formulas; the adapter asks it for each list's price of every salable product
        at quantity 1 (per sale unit), and at each quantity break of the list for products sold in their default
        unit (breaks are counted in the default unit)."""
        self.company()  # the company context the list's formulas need (list prices are per company)
        price_lists = list(self.search("product.price_list", [], ["lines.quantity"]))
        fields = ["code", "sale_price_uom", "default_uom", "sale_uom.symbol"]
        domain = [["code", "!=", None], ["salable", "=", True]]

        def records() -> Iterator[ErpPrice]:
            for price_list in price_lists:
                code = str(price_list["id"])
                breaks = sorted(
                    {Decimal(str(line["quantity"])) for line in price_list.get("lines") or [] if line.get("quantity")}
                )
                context = {"price_list": price_list["id"], "quantity": 1}
                base: dict[str, Decimal] = {}
                for row in self.search("product.product", domain, fields, context=context):
                    price = as_decimal(row.get("sale_price_uom"))
                    if price is None:
                        continue  # the list does not price this product
                    base[row["code"]] = price
                    own_unit = many2one_id(row.get("sale_uom")) == many2one_id(row.get("default_uom"))
                    unit = "" if own_unit else _text(nested(row, "sale_uom", "symbol"))
                    yield ErpPrice(code, row["code"], price, unit=unit)
                for quantity in (q for q in breaks if q > 1):
                    context = {"price_list": price_list["id"], "quantity": float(quantity)}
                    for row in self.search("product.product", domain, fields, context=context):
                        price = as_decimal(row.get("sale_price_uom"))
                        own_unit = many2one_id(row.get("sale_uom")) == many2one_id(row.get("default_uom"))
                        if own_unit and price is not None and price != base.get(row["code"]):
                            yield ErpPrice(code, row["code"], price, min_quantity=as_decimal(quantity))

        return records()

    CUSTOMER_FIELDS = (
        "code",
        "name",
        "active",
        "email",
        "phone",
        "last_modified_at",
        "tax_identifier.code",
        "identifiers.code",
        "sale_price_list",
        "customer_payment_term",
        "customer_currency.code",
        "addresses.party_name",
        "addresses.street",
        "addresses.postal_code",
        "addresses.city",
        "addresses.country.code",
        "addresses.invoice",
        "addresses.delivery",
        "addresses.sequence",
        "addresses.active",
    )

    def _customers(self, fields: Iterable[str], window=None, *, codes: list[str] | None = None):
        """Parties with a code, the companies' own parties left out."""
        company = self.company()
        domain: list = [["code", "!=", None], ["id", "!=", company["party"]]]
        if codes is not None:
            domain.append(["code", "in", codes])
        domain.append(self._changed(window, "addresses.", "identifiers.", "contact_mechanisms."))
        return self.search("party.party", domain, fields, context={"active_test": False})

    def _read_customer(self, window, started) -> Iterator[ErpCustomer]:
        currency = self.company()["currency"] or "TRY"
        return (customer_record(row, currency) for row in self._customers(self.CUSTOMER_FIELDS, window))

    def _read_balance(self, window, started) -> Iterator[ErpBalance]:
        currency = self.company()["currency"] or "TRY"
        rows = self._customers(["code", "receivable"])
        return (balance_record(row, currency, started) for row in rows)

    def _credit_module(self) -> None:
        fields = self._call("POST", "model/party.party/fields_get", body={"fields_names": ["credit_limit_amount"]})
        if "credit_limit_amount" not in (fields or {}):
            raise PermanentError(
                "Tryton has no credit limits: activate the account_credit_limit module, or switch credit off."
            )

    def _read_credit(self, window, started) -> Iterator[ErpCredit]:
        self._credit_module()
        rows = self._customers(["code", "credit_limit_amount"])
        return (
            ErpCredit(row["code"], as_decimal(row.get("credit_limit_amount")) or Decimal(0), as_of=started)
            for row in rows
        )

    SALE_FIELDS = ("reference", "number", "state", "shipment_state", "invoice_state", "last_modified_at")

    def _portal_sales(self) -> list:
        """The domain of sales carrying a portal order's reference (the prefix's, and not a quote's)."""
        prefix = self.reference_prefix.replace("\\", "\\\\").replace("%", "\\%")
        return [["reference", "like", prefix + "%"], ["reference", "not like", QUOTE_MARK + "%"]]

    def _read_order_status(self, window, started) -> Iterator[ErpOrderStatus]:
        domain = [*self._portal_sales(), self._changed(window)]
        rows = self.search("sale.sale", domain, self.SALE_FIELDS)
        return (
            ErpOrderStatus(
                reference=row["reference"],
                state=order_state(row),
                document_number=_text(row.get("number")),
                document_id=str(row["id"]),
                updated_at=row.get("last_modified_at"),
            )
            for row in rows
        )

    MOVE_FIELDS = ("product.code", "product.name", "quantity", "unit.symbol", "origin", "state")

    def _read_delivery(self, window, started) -> Iterator[ErpDocument]:
        domain = [["state", "=", "done"], ["customer.code", "!=", None], self._changed(window)]
        fields = [
            "number",
            "effective_date",
            "customer.code",
            "last_modified_at",
            "outgoing_moves.sale.reference",
            *(f"outgoing_moves.{name}" for name in self.MOVE_FIELDS),
        ]
        rows = list(self.search("stock.shipment.out", domain, fields))
        currency = self.company()["currency"] or "TRY"
        moves = {id(row): self._shipped_moves(row) for row in rows}
        order_lines = self._order_line_numbers(move.get("origin") for found in moves.values() for move in found)
        return (
            ErpDocument(
                kind=DocumentKind.DELIVERY,
                number=_text(row.get("number")),
                customer_code=nested(row, "customer", "code"),
                issued_on=row.get("effective_date"),
                order_reference=self._reference(
                    nested(move, "sale", "reference") for move in row.get("outgoing_moves") or []
                ),
                currency=currency,
                updated_at=row.get("last_modified_at"),
                lines=tuple(
                    move_line_record(move, number, order_lines) for number, move in enumerate(moves[id(row)], 1)
                ),
            )
            for row in rows
        )

    @staticmethod
    def _shipped_moves(row) -> list:
        """The shipment's outgoing moves that left (a cancelled move shipped nothing), in Tryton's order."""
        moves = [move for move in row.get("outgoing_moves") or [] if move.get("state") != "cancelled"]
        return sorted(moves, key=lambda move: move.get("id") or 0)

    def _order_line_numbers(self, origins) -> dict[int, int]:
        """``sale.line`` id → the portal order's line number, for the lines ``origins`` name: the portal creates a
        sale's lines in its order's line order, so the n-th line of the sale is the order's line n. Two searches
        whatever the number of documents."""
        ids = sorted({ident for ident in map(sale_line_of, origins) if ident is not None})
        if not ids:
            return {}
        sales = {
            many2one_id(row.get("sale"))
            for at in range(0, len(ids), KEYS_PER_REQUEST)
            for row in self.search("sale.line", [["id", "in", ids[at : at + KEYS_PER_REQUEST]]], ["sale"])
        }
        sales.discard(None)
        numbers: dict[int, int] = {}
        counters: dict[int, int] = {}
        domain = [["sale", "in", sorted(sales)], ["type", "=", "line"]]
        for row in self.search("sale.line", domain, ["sale"]):  # by id: the order they were created in
            sale = many2one_id(row.get("sale"))
            counters[sale] = counters.get(sale, 0) + 1
            numbers[row["id"]] = counters[sale]
        return numbers

    def _reference(self, references: Iterable[str | None]) -> str:
        """The portal order a document belongs to: the first of its sales carrying a portal order's reference."""
        for reference in references:
            if reference and reference.startswith(self.reference_prefix) and not is_quote(reference):
                return reference
        return ""

    def _invoices(self, kind: DocumentKind, window) -> Iterator[ErpDocument]:
        sequence = "credit_note" if kind == DocumentKind.CREDIT_MEMO else "invoice"
        domain = [
            ["type", "=", "out"],
            ["state", "in", ["posted", "paid"]],
            ["sequence_type_cache", "=", sequence],
            ["party.code", "!=", None],
            self._changed(window),
        ]
        fields = [
            "number",
            "invoice_date",
            "party.code",
            "currency.code",
            "untaxed_amount",
            "tax_amount",
            "total_amount",
            "last_modified_at",
            "lines_to_pay.maturity_date",
            "sales.reference",
            *(f"lines.{name}" for name in self.INVOICE_LINE_FIELDS),
        ]
        sign = -1 if kind == DocumentKind.CREDIT_MEMO else 1  # a credit note's totals are negative in Tryton
        rows = list(self.search("account.invoice", domain, fields))
        items = {id(row): self._item_lines(row) for row in rows}
        order_lines = self._order_line_numbers(line.get("origin") for found in items.values() for line in found)
        for row in rows:
            maturities = [line.get("maturity_date") for line in row.get("lines_to_pay") or []]
            maturities = [day for day in maturities if day]
            yield ErpDocument(
                kind=kind,
                number=_text(row.get("number")),
                customer_code=nested(row, "party", "code"),
                issued_on=row.get("invoice_date"),
                order_reference=self._reference(sale.get("reference") for sale in row.get("sales") or []),
                currency=_text(nested(row, "currency", "code")) or "TRY",
                net=signed(row.get("untaxed_amount"), sign),
                vat=signed(row.get("tax_amount"), sign),
                gross=signed(row.get("total_amount"), sign),
                due_on=max(maturities) if maturities and kind == DocumentKind.INVOICE else None,
                updated_at=row.get("last_modified_at"),
                lines=tuple(
                    invoice_line_record(line, number, sign, order_lines)
                    for number, line in enumerate(items[id(row)], 1)
                ),
            )

    INVOICE_LINE_FIELDS = (
        "type",
        "sequence",
        "product.code",
        "description",
        "quantity",
        "unit.symbol",
        "unit_price",
        "amount",
        "taxes.rate",
        "taxes.type",
        "origin",
    )

    @staticmethod
    def _item_lines(row) -> list:
        """The invoice's lines that charge something (not titles, subtotals or comments), in the invoice's order."""
        lines = [line for line in row.get("lines") or [] if line.get("type", "line") == "line"]
        return sorted(lines, key=lambda line: (line.get("sequence") is None, line.get("sequence") or 0, line["id"]))

    def _read_invoice(self, window, started) -> Iterator[ErpDocument]:
        return self._invoices(DocumentKind.INVOICE, window)

    def _read_credit_memo(self, window, started) -> Iterator[ErpDocument]:
        return self._invoices(DocumentKind.CREDIT_MEMO, window)

    LEDGER_FIELDS = (
        "party.code",
        "debit",
        "credit",
        "maturity_date",
        "description",
        "reconciliation",
        "invoice_payment",
        "move_origin",
        "last_modified_at",
        "move.number",
        "move.date",
        "move.description",
        "move.journal.type",
    )

    INVOICE_FIELDS = (
        "number",
        "total_amount",
        "lines_to_pay.debit",
        "lines_to_pay.credit",
        "lines_to_pay.maturity_date",
        "lines_to_pay.reconciliation",
        "payment_lines.debit",
        "payment_lines.credit",
        "payment_lines.reconciliation",
    )

    def _read_ledger(self, window, started) -> Iterator[ErpLedgerEntry]:
        """Lines of posted entries on receivable accounts, of parties with a code. A delta also takes the lines of
        entries whose invoice changed (a payment added to it changes what is open of its lines)."""
        company = self.company()
        domain: list = [
            ["account.type.receivable", "=", True],
            ["move.state", "=", "posted"],
            ["move.company", "=", company["id"]],
            ["party.code", "!=", None],
        ]
        if window is not None:
            domain.append(
                [
                    "OR",
                    ["last_modified_at", ">=", window],
                    ["move.last_modified_at", ">=", window],
                    ["move.origin.last_modified_at", ">=", window, "account.invoice"],
                ]
            )
        rows = self.search("account.move.line", domain, self.LEDGER_FIELDS)
        currency = company["currency"] or "TRY"
        invoices: dict[int, OpenItems] = {}

        def records() -> Iterator[ErpLedgerEntry]:
            batch: list[dict[str, Any]] = []
            for row in rows:
                batch.append(row)
                if len(batch) >= self.page_size:
                    yield from self._ledger_batch(batch, invoices, currency)
                    batch = []
            yield from self._ledger_batch(batch, invoices, currency)

        return records()

    def _ledger_batch(
        self, rows: list[dict[str, Any]], invoices: dict[int, OpenItems], currency: str
    ) -> Iterator[ErpLedgerEntry]:
        wanted = {invoice_of(row) for row in rows} | {many2one_id(row.get("invoice_payment")) for row in rows}
        wanted = sorted(entry for entry in wanted if entry and entry not in invoices)
        for at in range(0, len(wanted), KEYS_PER_REQUEST):
            found = self.search(
                "account.invoice", [["id", "in", wanted[at : at + KEYS_PER_REQUEST]]], self.INVOICE_FIELDS
            )
            invoices.update({row["id"]: OpenItems(row) for row in found})
        for row in rows:
            yield ledger_record(row, invoices, currency)

    def open_orders(self) -> Iterator[ErpOpenOrder]:
        """Sales quoted, confirmed or in processing, unless shipped and invoiced in full; drafts only when they carry
        the portal's reference (the portal's orders parked as drafts: ``order_state`` draft). Portal quotes are
        offers, not orders: left out until Tryton's staff confirm one (then it is an order of Tryton's own)."""
        domain = ["OR", ["state", "in", list(OPEN_SALE_STATES)], [["state", "=", "draft"], *self._portal_sales()]]
        fields = ("number", "reference", "state", "shipment_state", "invoice_state", "party.code", "total_amount",
                  "currency.code")  # fmt: skip
        rows = self.search("sale.sale", domain, fields)

        def records() -> Iterator[ErpOpenOrder]:
            for row in rows:
                reference = self._reference([row.get("reference")])
                if row.get("state") == "draft" and not reference:
                    continue
                if row.get("state") == "quotation" and is_quote(row.get("reference")):
                    continue
                if order_state(row) in (ErpOrderState.INVOICED, ErpOrderState.CLOSED, ErpOrderState.CANCELLED):
                    continue
                yield ErpOpenOrder(
                    document_number=_text(row.get("number")),
                    customer_code=_text(nested(row, "party", "code")),
                    reference=reference,
                    gross=as_decimal(row.get("total_amount")),
                    currency=_text(nested(row, "currency", "code")) or "TRY",
                )

        return records()

    def live_stock(self, product_codes: Iterable[str]) -> list[ErpStock]:
        """Current stock of the given products in every active warehouse, zero rows included."""
        codes = sorted({code for code in product_codes if code})
        now = datetime.now(UTC)
        stock: list[ErpStock] = []
        for at in range(0, len(codes), KEYS_PER_REQUEST):
            stock.extend(self._stock(codes[at : at + KEYS_PER_REQUEST], now))
        return stock

    def live_balance(self, customer_code: str) -> ErpBalance:
        rows = list(self._customers(["code", "receivable"], codes=[customer_code]))
        if not rows:
            raise PermanentError(f"Tryton has no party with code {customer_code!r}")
        return balance_record(rows[0], self.company()["currency"] or "TRY", datetime.now(UTC))
