"""What the SAP Business One adapter reads: master data, stock and prices (full or as deltas), order statuses and
documents for a time window, the customers' ledger, open orders and live lookups.

Open orders: sales orders open and not cancelled, and approval drafts of orders that carry a reference.

Watermark: the Service Layer does not tell its own time, so a feed's ``watermark`` is the portal's clock when the
read started; the connection's ``delta_overlap_seconds``, applied by the import engine before ``since`` reaches
the adapter, covers clock skew and changes committed while the read was running.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any
from urllib.parse import quote

from erpsync.adapters.base import (
    Capability,
    DocumentKind,
    ErpAdapter,
    ErpBalance,
    ErpCredit,
    ErpCustomer,
    ErpCustomerPrice,
    ErpDocument,
    ErpDocumentLine,
    ErpLedgerEntry,
    ErpOpenOrder,
    ErpOrderStatus,
    ErpPrice,
    ErpPriceList,
    ErpProduct,
    ErpProductMedia,
    ErpStock,
    ErpUnit,
    ErpWarehouse,
    Feed,
    LedgerKind,
    MediaKind,
    PermanentError,
)
from erpsync.adapters.http import text as _text
from erpsync.adapters.sap_b1.chain import DocumentChain, order_fields
from erpsync.adapters.sap_b1.mapping import (
    OPEN,
    YES,
    as_date,
    as_decimal,
    balance_record,
    cancellation,
    credit_record,
    currency_of,
    customer_record,
    document_line,
    ledger_document,
    ledger_payment,
    manual_unit,
    order_state,
    product_record,
    special_prices,
)
from erpsync.adapters.sap_b1.session import KEYS_PER_REQUEST, QUERY_SAFE, quote_literal

# Every entity of the contract but categories and brands (item groups and manufacturers are not mapped).
ENTITIES = tuple(entity for entity in ErpAdapter.readable if entity not in {"category", "brand"})
DELTA_ENTITIES = frozenset({"product", "customer", "ledger", "product_media"})
# Read for a time window only (since the watermark, or ``status_lookback_days`` back): never a full snapshot.
WINDOW_ENTITIES = frozenset({"order_status", "delivery", "invoice", "credit_memo"})
DOCUMENT_SETS = {
    DocumentKind.DELIVERY: "DeliveryNotes",
    DocumentKind.INVOICE: "Invoices",
    DocumentKind.CREDIT_MEMO: "CreditNotes",
}
DOCUMENT_FIELDS = (
    "DocEntry,DocNum,CardCode,DocDate,DocDueDate,DocCurrency,DocTotal,VatSum,TrackingNumber,Cancelled,"
    "CancelStatus,DocumentStatus,DocumentLines"
)
# The marketing documents on a customer's account, and how each counts: (set, entry id prefix, kind, sign).
LEDGER_DOCUMENTS = (
    ("Invoices", "inv", LedgerKind.INVOICE, 1),
    ("CreditNotes", "crn", LedgerKind.CREDIT_MEMO, -1),
)
LEDGER_FIELDS = (
    "DocEntry,DocNum,CardCode,DocDate,DocDueDate,DocCurrency,DocTotal,PaidToDate,Comments,Cancelled,CancelStatus,"
    "UpdateDate,UpdateTime"
)
PAYMENT_FIELDS = (
    "DocEntry,DocNum,DocType,CardCode,DocDate,DocCurrency,CashSum,TransferSum,PaymentChecks,PaymentCreditCards,"
    "PaymentInvoices,Remarks,Cancelled"
)
OPEN_ORDER_FIELDS = "DocEntry,DocNum,CardCode,DocTotal,DocCurrency,Cancelled,DocumentStatus"

ITEM_FIELDS = (
    "ItemCode,ItemName,ForeignName,InventoryUOM,SalesUnit,SalesVATGroup,BarCode,ManageBatchNumbers,"
    "ManageSerialNumbers,SalesItem,Valid,ValidFrom,ValidTo,Frozen,FrozenFrom,FrozenTo,UoMGroupEntry,InventoryUoMEntry"
)
# The windows that make an item sold or not on a given day (``availability``).
WINDOW_FIELDS = (("ValidFrom", "ValidTo"), ("FrozenFrom", "FrozenTo"))
PARTNER_FIELDS = (
    "CardCode,CardName,FederalTaxID,EmailAddress,Phone1,Currency,PriceListNum,PayTermsGrpCode,"
    "SalesPersonCode,Valid,BPAddresses"
)


class SapB1Reads:
    """The reading half of ``SapB1Adapter`` (over ``SapB1Session``'s requests)."""

    def read(self, entity: str, *, since: datetime | None = None, full: bool = False) -> Iterator[Feed]:
        self.refuse_unreadable(entity, ENTITIES, who="SAP B1")
        return self._read(entity, since=since, full=full)

    def _read(self, entity: str, *, since: datetime | None, full: bool) -> Iterator[Feed]:
        started = datetime.now(UTC)
        if entity in WINDOW_ENTITIES:
            # Documents are read for a window: since the watermark, or the lookback on a first or full run.
            window = since if since is not None and not full else started - self.lookback
            records = getattr(self, f"_read_{entity}")(window, started)
            source = f"sap_b1:{self.company_db}:{entity}?since={window.isoformat()}"
            scope = {"company_db": self.company_db}
            yield Feed(entity, source, records, complete=False, watermark=started, scope=scope)
            return
        delta = since is not None and not full and entity in DELTA_ENTITIES
        records = getattr(self, f"_read_{entity}")(since if delta else None, started)
        yield Feed(
            entity=entity,
            source=f"sap_b1:{self.company_db}:{entity}" + (f"?since={since.isoformat()}" if delta else ""),
            records=records,
            complete=not delta,
            watermark=started,
            scope={"company_db": self.company_db},
        )

    def delta_filter(self, since: datetime, *, created: bool = True) -> str:
        """Rows changed at or after ``since`` on the company's clock. Date and time are separate
        columns, so a later day counts whatever its time of day. Master data created since then counts too
        (``CreateDate``/``CreateTime``): a row SAP added may carry no update stamp yet."""
        local = since if since.tzinfo is None else since.astimezone(self.zone).replace(tzinfo=None)
        day, clock = local.strftime("%Y-%m-%d"), local.strftime("%H:%M:%S")
        stamps = [("UpdateDate", "UpdateTime")] + ([("CreateDate", "CreateTime")] if created else [])
        return " or ".join(
            f"{date_field} gt '{day}' or ({date_field} eq '{day}' and {time_field} ge '{clock}')"
            for date_field, time_field in stamps
        )

    def _items(self, select: str, since: datetime | None, *, windows: bool = False) -> Iterator[dict[str, Any]]:
        """Items, all or changed since ``since``; with ``windows``, also those whose validity or freeze window
        opened or closed since then (nobody changed them, but they became sold or unsold: a daily delta
        re-evaluates them)."""
        query = {"$select": select, "$orderby": "ItemCode"}
        if since is not None:
            condition = self.delta_filter(since)
            if windows:
                condition += " or " + self.window_filter(since)
            query["$filter"] = condition
        return self._collection("Items", query)

    def _today(self) -> date:
        return datetime.now(self.zone).date()

    def window_filter(self, since: datetime) -> str:
        """Items whose window starts after ``since``'s day and by today, or ended on or after the day before
        ``since`` and before today (an end date is the last day inside the window)."""
        local = since if since.tzinfo is None else since.astimezone(self.zone)
        first, today = local.strftime("%Y-%m-%d"), self._today().isoformat()
        day_before = (local.date() - timedelta(days=1)).isoformat()
        parts = []
        for start, end in WINDOW_FIELDS:
            parts.append(f"({start} gt '{first}' and {start} le '{today}')")
            parts.append(f"({end} ge '{day_before}' and {end} lt '{today}')")
        return " or ".join(parts)

    def local_currency(self) -> str:
        """The company's local currency (``CompanyService_GetAdminInfo``), read once per adapter: the currency of
        a price list, customer, price or document that names none."""
        if self._local_currency is None:
            info = self._json(self._call("POST", "CompanyService_GetAdminInfo", body={}))
            self._local_currency = _text(info.get("LocalCurrency"))
            if not self._local_currency:
                raise PermanentError("SAP B1 did not say the company's local currency (AdminInfo.LocalCurrency)")
        return self._local_currency

    def _customers(self, select: str, since: datetime | None) -> Iterator[dict[str, Any]]:
        where = "CardType eq 'cCustomer'"
        if since is not None:
            where = f"{where} and ({self.delta_filter(since)})"
        return self._collection("BusinessPartners", {"$select": select, "$filter": where, "$orderby": "CardCode"})

    def _unit_codes(self) -> dict[int, str]:
        """UoM AbsEntry → code, read once per adapter (a handful of rows)."""
        if self._units is None:
            rows = self._collection("UnitOfMeasurements", {"$select": "AbsEntry,Code", "$orderby": "AbsEntry"})
            self._units = {int(row["AbsEntry"]): _text(row.get("Code")) for row in rows}
        return self._units

    def _unit_groups(self) -> dict[int, dict[str, Any]]:
        query = {"$select": "AbsEntry,Code,BaseUoM,UoMGroupDefinitionCollection", "$orderby": "AbsEntry"}
        return {int(row["AbsEntry"]): row for row in self._collection("UnitOfMeasurementGroups", query)}

    def _read_unit(self, since: datetime | None, started: datetime) -> Iterator[ErpUnit]:
        rows = list(self._collection("UnitOfMeasurements", {"$select": "AbsEntry,Code,Name", "$orderby": "AbsEntry"}))
        # Items outside any group name their unit in free text (InventoryUOM, or SalesUnit for items not kept in
        # stock): those are units too, taken as the products take them (``manual_unit``).
        manual = self._collection(
            "Items",
            {"$select": "ItemCode,InventoryUOM,SalesUnit", "$filter": "UoMGroupEntry eq -1", "$orderby": "ItemCode"},
        )

        def records() -> Iterator[ErpUnit]:
            seen = set()
            for row in rows:
                code = _text(row.get("Code"))
                if code and code not in seen:
                    seen.add(code)
                    yield ErpUnit(code=code, name=_text(row.get("Name")) or code)
            for row in manual:
                code = manual_unit(row)
                if code and code not in seen:
                    seen.add(code)
                    yield ErpUnit(code=code, name=code)

        return records()

    def _read_product(self, since: datetime | None, started: datetime) -> Iterator[ErpProduct]:
        units, groups = self._unit_codes(), self._unit_groups()
        rows = self._items(ITEM_FIELDS, since, windows=True)
        today = self._today()
        return (
            product_record(row, groups, units, today=today, default_vat_group=self.default_vat_group) for row in rows
        )

    def _read_product_media(self, since: datetime | None, started: datetime) -> Iterator[ErpProductMedia]:
        """Each item's picture: ``Items.Picture`` names a file in the company's pictures folder, and the Service
        Layer hands the file out as ``ItemImages('<code>')/$value`` (B1 keeps one picture per item). An item
        whose ``Picture`` is null or empty says its picture is gone; a row without ``Picture`` at all says nothing
        about it (``untold``: the portal keeps what it has). One whose file SAP cannot serve comes as a record the
        portal refuses with SAP's answer, and the other items go on."""
        rows = self._items("ItemCode,Picture", since)

        def records() -> Iterator[ErpProductMedia]:
            for row in rows:
                code = row["ItemCode"]
                if "Picture" not in row:
                    yield ErpProductMedia(code, MediaKind.IMAGE, "picture", untold=True, source=f"Items('{code}')")
                    continue
                picture = (row["Picture"] or "").strip()
                if not picture:
                    yield ErpProductMedia(code, MediaKind.IMAGE, "picture", removed=True, source=f"Items('{code}')")
                    continue
                path = f"ItemImages({quote(quote_literal(code), safe=QUERY_SAFE)})/$value"
                try:
                    content = self._call("GET", path).content
                except PermanentError as exc:
                    yield ErpProductMedia(code, MediaKind.IMAGE, "picture", source=picture, error=exc.message)
                    continue
                yield ErpProductMedia(code, MediaKind.IMAGE, "picture", content=content, position=1, source=picture)

        return records()

    def _read_warehouse(self, since: datetime | None, started: datetime) -> Iterator[ErpWarehouse]:
        query = {"$select": "WarehouseCode,WarehouseName,Inactive,Nettable", "$orderby": "WarehouseCode"}
        rows = self._collection("Warehouses", query)
        # Nettable warehouses count towards what can be promised: the portal sells from those.
        return (
            ErpWarehouse(
                code=row["WarehouseCode"],
                name=_text(row.get("WarehouseName")),
                sellable=row.get("Nettable", YES) == YES,
                active=row.get("Inactive") != YES,
            )
            for row in rows
        )

    def _read_stock(self, since: datetime | None, started: datetime) -> Iterator[ErpStock]:
        rows = self._items("ItemCode,ItemWarehouseInfoCollection", None)

        def records() -> Iterator[ErpStock]:
            for row in rows:
                for info in row.get("ItemWarehouseInfoCollection") or []:
                    stock = self._stock_of(row["ItemCode"], info, started)
                    # SAP keeps a row per item and warehouse; an empty row is no stock, as a missing one is.
                    if stock is not None and (stock.on_hand or stock.committed):
                        yield stock

        return records()

    def _stock_of(self, item_code: str, info: dict[str, Any], as_of: datetime) -> ErpStock | None:
        """One warehouse row as stock: ``InStock`` and ``Committed``, plus what vendors will deliver (``Ordered``)
        when ``stock_counts_ordered``; none for a row ``Locked`` in that warehouse (nothing can leave it)."""
        if info.get("Locked") == YES:
            return None
        on_hand = as_decimal(info.get("InStock")) or Decimal(0)
        if self.stock_counts_ordered:
            on_hand += as_decimal(info.get("Ordered")) or Decimal(0)
        committed = as_decimal(info.get("Committed")) or Decimal(0)
        return ErpStock(item_code, info["WarehouseCode"], on_hand, committed, as_of=as_of)

    def _read_price_list(self, since: datetime | None, started: datetime) -> Iterator[ErpPriceList]:
        select = "PriceListNo,PriceListName,DefaultPrimeCurrency,IsGrossPrice,Active,ValidFrom,ValidTo"
        rows = self._collection("PriceLists", {"$select": select, "$orderby": "PriceListNo"})
        local = self.local_currency()
        return (
            ErpPriceList(
                code=str(row["PriceListNo"]),
                name=_text(row.get("PriceListName")),
                currency=currency_of(row.get("DefaultPrimeCurrency"), local),
                vat_included=row.get("IsGrossPrice") == YES,
                valid_from=as_date(row.get("ValidFrom")),
                valid_to=as_date(row.get("ValidTo")),
                active=row.get("Active", YES) == YES,
            )
            for row in rows
        )

    def _read_price(self, since: datetime | None, started: datetime) -> Iterator[ErpPrice]:
        rows = self._items("ItemCode,ItemPrices", None)

        def records() -> Iterator[ErpPrice]:
            for row in rows:
                for price in row.get("ItemPrices") or []:
                    amount = as_decimal(price.get("Price"))
                    # SAP holds a row for every list; a zero price means the list does not price the item.
                    if amount and price.get("PriceList") is not None:
                        # The price's own currency goes with it: one unlike its list's is refused, not misread.
                        currency = _text(price.get("Currency"))
                        yield ErpPrice(str(price["PriceList"]), row["ItemCode"], amount, currency=currency)

        return records()

    def _read_agreement(self, since: datetime | None, started: datetime) -> Iterator[ErpCustomerPrice]:
        """Special prices for one customer and item. A price that follows the price list (``AutoUpdate``) with a
        discount is the discount; otherwise the special price is a fixed price. Period and volume rows
        (``SpecialPriceDataAreas``) each become an agreement of their own. Rows for every customer of a price
        list (``CardCode`` ``*n``) are price lists' business, not a dealer's agreement, and are skipped."""
        select = (
            "CardCode,ItemCode,Price,Currency,DiscountPercent,AutoUpdate,Valid,ValidFrom,ValidTo,SpecialPriceDataAreas"
        )
        rows = self._collection("SpecialPrices", {"$select": select, "$orderby": "CardCode,ItemCode"})
        local = self.local_currency()
        return (price for row in rows for price in special_prices(row, local))

    def _read_customer(self, since: datetime | None, started: datetime) -> Iterator[ErpCustomer]:
        rows = self._customers(PARTNER_FIELDS, since)
        local = self.local_currency()
        return (customer_record(row, local) for row in rows)

    def _read_balance(self, since: datetime | None, started: datetime) -> Iterator[ErpBalance]:
        rows = self._customers("CardCode,Currency,CurrentAccountBalance,OpenOrdersBalance", None)
        local = self.local_currency()
        return (balance_record(row, started, local) for row in rows)

    def _read_credit(self, since: datetime | None, started: datetime) -> Iterator[ErpCredit]:
        rows = self._customers("CardCode,CreditLimit,Frozen,FrozenRemarks", None)
        return (credit_record(row, started) for row in rows)

    def _changed(self, set_name: str, select: str, window: datetime, where: str = "") -> list[dict[str, Any]]:
        """Documents of ``set_name`` changed since ``window`` (a day or so: a list is fine)."""
        # Documents carry UpdateDate/UpdateTime from the moment they are added.
        condition = f"({self.delta_filter(window, created=False)})" + (f" and {where}" if where else "")
        return list(self._collection(set_name, {"$select": select, "$filter": condition, "$orderby": "DocEntry"}))

    def _by_entry(self, set_name: str, entries: Iterable[int], select: str) -> dict[int, dict[str, Any]]:
        """Documents by DocEntry, a few keys per request."""
        keys = sorted(set(entries))
        found: dict[int, dict[str, Any]] = {}
        for at in range(0, len(keys), KEYS_PER_REQUEST):
            where = " or ".join(f"DocEntry eq {key}" for key in keys[at : at + KEYS_PER_REQUEST])
            for row in self._collection(set_name, {"$select": select, "$filter": where}):
                found[int(row["DocEntry"])] = row
        return found

    def _read_order_status(self, window: datetime, started: datetime) -> Iterator[ErpOrderStatus]:
        field = self.reference_field
        orders = {
            int(row["DocEntry"]): row
            for row in self._changed("Orders", order_fields(field), window, f"{field} ne null")
            if row.get(field)
        }
        # A delivery or invoice moves an order on without always touching the order itself. SAP's cancellation
        # documents (csCancellation) copy the cancelled document's lines: they move no order on.
        chain = DocumentChain(self._by_entry, orders, reference_field=field)
        select = "DocEntry,Cancelled,CancelStatus,DocumentLines"
        deliveries = [row for row in self._changed("DeliveryNotes", select, window) if not cancellation(row)]
        invoices = [row for row in self._changed("Invoices", select, window) if not cancellation(row)]
        chain.resolve(deliveries + invoices)
        invoiced = {entry for row in invoices if row.get("Cancelled") != YES for entry in chain.orders_of(row)}
        for row in (*deliveries, *invoices):
            orders.update({entry: chain.orders[entry] for entry in chain.orders_of(row) if entry in chain.orders})
        by_reference: dict[str, dict[str, Any]] = {}
        for row in orders.values():
            reference = _text(row.get(field))
            known = by_reference.get(reference)
            # NumAtCard is not unique in SAP: the live order speaks for the reference, not an old cancelled one.
            if reference and (known is None or known.get("Cancelled") == YES):
                by_reference[reference] = row
        return iter(
            [
                ErpOrderStatus(
                    reference=reference,
                    state=order_state(row, int(row["DocEntry"]) in invoiced),
                    document_number=_text(row.get("DocNum")),
                    document_id=str(row["DocEntry"]),
                )
                for reference, row in sorted(by_reference.items())
            ]
        )

    def _documents(self, kind: DocumentKind, window: datetime) -> Iterator[ErpDocument]:
        field = self.reference_field
        rows = self._changed(DOCUMENT_SETS[kind], f"{DOCUMENT_FIELDS},{field}", window)
        # A cancelled document was never issued; SAP's cancellation document of it is no document of the dealer's.
        rows = [row for row in rows if row.get("Cancelled") != YES and not cancellation(row)]
        chain = DocumentChain(self._by_entry, reference_field=field)
        local = self.local_currency()
        chain.resolve(rows)
        for row in rows:
            origins = chain.orders_of(row)
            order = chain.orders.get(origins[0]) if origins else None
            gross = as_decimal(row.get("DocTotal"))
            vat = as_decimal(row.get("VatSum"))
            yield ErpDocument(
                kind=kind,
                number=_text(row.get("DocNum")),
                customer_code=_text(row.get("CardCode")),
                issued_on=as_date(row.get("DocDate")),
                order_reference=_text(order.get(field) if order else row.get(field)),
                currency=currency_of(row.get("DocCurrency"), local),
                net=None if gross is None or vat is None else gross - vat,
                vat=vat,
                gross=gross,
                due_on=as_date(row.get("DocDueDate")) if kind == DocumentKind.INVOICE else None,
                tracking_number=_text(row.get("TrackingNumber")),
                related_number=chain.related_number(row),
                lines=self._document_lines(row, chain, order, local),
            )

    @staticmethod
    def _document_lines(row, chain: DocumentChain, order, local: str) -> tuple[ErpDocumentLine, ...]:
        """The document's item lines; the order-line link only for lines copied from the document's own order."""
        currency = currency_of(row.get("DocCurrency"), local)
        order_entry = int(order["DocEntry"]) if order and order.get("DocEntry") is not None else None
        lines = []
        for line in row.get("DocumentLines") or []:
            origin = chain.order_line_of(line)
            if origin is not None and origin[0] != order_entry:
                origin = None
            lines.append(document_line(line, currency=currency, local_currency=local, order_line=origin))
        return tuple(lines)

    def _read_delivery(self, window: datetime, started: datetime) -> Iterator[ErpDocument]:
        return self._documents(DocumentKind.DELIVERY, window)

    def _read_invoice(self, window: datetime, started: datetime) -> Iterator[ErpDocument]:
        return self._documents(DocumentKind.INVOICE, window)

    def _read_credit_memo(self, window: datetime, started: datetime) -> Iterator[ErpDocument]:
        return self._documents(DocumentKind.CREDIT_MEMO, window)

    def _read_ledger(self, since: datetime | None, started: datetime) -> Iterator[ErpLedgerEntry]:
        """Every A/R invoice, credit memo and customer payment (a full read), or those changed since ``since``.
        The first page of each set is fetched now, so an unreachable Service Layer fails the read, not the feed."""
        sources = []
        local = self.local_currency()
        for set_name, prefix, kind, sign in LEDGER_DOCUMENTS:
            query = {"$select": LEDGER_FIELDS, "$orderby": "DocEntry"}
            if since is not None:
                query["$filter"] = self.delta_filter(since, created=False)
            entries = partial(ledger_document, prefix, kind, sign, self.zone, local)
            sources.append((self._collection(set_name, query), entries))
        # Payments have no UpdateDate/UpdateTime in the Service Layer: a delta reads them by document date.
        where, select = "DocType eq 'rCustomer'", PAYMENT_FIELDS
        if since is not None:
            local = since.astimezone(self.zone) if since.tzinfo else since
            where += f" and DocDate ge '{(local - self.lookback).strftime('%Y-%m-%d')}'"
        payments = self._collection("IncomingPayments", {"$select": select, "$filter": where, "$orderby": "DocEntry"})
        sources.append((payments, partial(ledger_payment, self.zone, local)))

        def records() -> Iterator[ErpLedgerEntry]:
            for rows, entries in sources:
                for row in rows:
                    if _text(row.get("CardCode")):
                        yield from entries(row)

        return records()

    def open_orders(self) -> Iterator[ErpOpenOrder]:
        """Sales orders open and not cancelled, then approval drafts of orders carrying a reference (the portal's
        orders waiting for approval; a closed draft became the order). Both first pages are fetched now."""
        where = f"DocumentStatus eq '{OPEN}' and Cancelled eq 'tNO'"
        field = self.reference_field
        select = f"{OPEN_ORDER_FIELDS},{field}"
        local = self.local_currency()
        orders = self._collection("Orders", {"$select": select, "$filter": where, "$orderby": "DocEntry"})
        drafts = self._collection(
            "Drafts",
            {
                "$select": select,
                "$filter": f"{where} and DocObjectCode eq 'oOrders' and {field} ne null",
                "$orderby": "DocEntry",
            },
        )

        def records() -> Iterator[ErpOpenOrder]:
            for rows, draft in ((orders, False), (drafts, True)):
                for row in rows:
                    if row.get("Cancelled") == YES or row.get("DocumentStatus", OPEN) != OPEN:
                        continue
                    yield ErpOpenOrder(
                        document_number="" if draft else _text(row.get("DocNum")),
                        customer_code=_text(row.get("CardCode")),
                        reference=_text(row.get(field)),
                        gross=as_decimal(row.get("DocTotal")),
                        currency=currency_of(row.get("DocCurrency"), local),
                    )

        return records()

    def live_stock(self, product_codes: Iterable[str]) -> list[ErpStock]:
        """Current stock of the given items in every warehouse (zero rows included: "none now" is an answer)."""
        if Capability.LIVE_STOCK not in self.capabilities:
            raise NotImplementedError("Live lookups are switched off for this SAP B1 connection.")
        codes = sorted({code for code in product_codes if code})
        now = datetime.now(UTC)
        stock = []
        for at in range(0, len(codes), KEYS_PER_REQUEST):
            where = " or ".join(f"ItemCode eq {quote_literal(code)}" for code in codes[at : at + KEYS_PER_REQUEST])
            rows = self._collection("Items", {"$select": "ItemCode,ItemWarehouseInfoCollection", "$filter": where})
            for row in rows:
                for info in row.get("ItemWarehouseInfoCollection") or []:
                    found = self._stock_of(row["ItemCode"], info, now)
                    stock.append(found or ErpStock(row["ItemCode"], info["WarehouseCode"], Decimal(0), as_of=now))
        return stock

    def live_balance(self, customer_code: str) -> ErpBalance:
        if Capability.LIVE_BALANCE not in self.capabilities:
            raise NotImplementedError("Live lookups are switched off for this SAP B1 connection.")
        path = f"BusinessPartners({quote(quote_literal(customer_code), safe=QUERY_SAFE)})"
        row = self._json(
            self._call("GET", path, query={"$select": "CardCode,Currency,CurrentAccountBalance,OpenOrdersBalance"})
        )
        return balance_record(row, datetime.now(UTC), self.local_currency())
