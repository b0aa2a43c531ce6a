"""What the SAP RFC adapter reads, every entity as a full snapshot (SAP's BAPIs offer no change pointers here)
except order statuses and documents, read for a window of ``status_lookback_days`` or since the watermark.

- units: T006A; categories: material groups (T023T); warehouses: T001L for the configured ``locations``;
- products: MARA, MAKT, MARM, MVKE through ``RFC_READ_TABLE`` (``material_source`` ``read_table``), or
  ``BAPI_MATERIAL_GETLIST`` + ``BAPI_MATERIAL_GET_DETAIL`` (``bapi``: base unit only). A material of another type
  than ``material_types``, not extended to the sales area, or flagged for deletion is not sold; one with a sales
  status (MVKE-VMSTA, MARA-MSTAV) is frozen. Codes leave SAP without ALPHA zeros (``4711``, not
  ``000000000000004711``);
- stock: ``BAPI_MATERIAL_AVAILABILITY`` per material and location (available to promise, in the base unit);
- dealer prices (agreements): ``BAPI_SALESORDER_SIMULATE`` per customer, ``simulate_batch`` materials a call, as
  fixed net prices per base unit;
- customers: ``BAPI_CUSTOMER_GETLIST`` + ``BAPI_CUSTOMER_GETDETAIL2``; balances: the open items
  (``BAPI_AR_ACC_GETOPENITEMS``); credit: KNKK or a simulation's BILLING_PARTY (``credit_source``);
- order statuses and deliveries: VBAK changed in the window, then ``BAPI_SALESORDER_GETSTATUS`` per order;
  invoices: the document flow (VBFA, category M) and the billing headers (VBRK);
- ledger: ``BAPI_AR_ACC_GETSTATEMENT`` (or ``GETOPENITEMS``) per customer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from erpsync.adapters.base import (
    DocumentKind,
    ErpBalance,
    ErpCategory,
    ErpCredit,
    ErpCustomer,
    ErpCustomerPrice,
    ErpDocument,
    ErpLedgerEntry,
    ErpOpenOrder,
    ErpOrderStatus,
    ErpProduct,
    ErpProductUnit,
    ErpStock,
    ErpUnit,
    ErpWarehouse,
    Feed,
    LedgerKind,
    PermanentError,
)
from erpsync.adapters.base import ErpAddress as Address
from erpsync.adapters.sap_rfc.mapping import (
    alpha_out,
    customer_in,
    dats,
    describe,
    failures,
    material_in,
    number,
    order_state,
    sap_date,
)
from erpsync.adapters.sap_rfc.session import literal

ENTITIES = (
    "unit",
    "category",
    "warehouse",
    "product",
    "stock",
    "agreement",
    "customer",
    "balance",
    "credit",
    "order_status",
    "delivery",
    "invoice",
    "ledger",
)
WINDOW_ENTITIES = frozenset({"order_status", "delivery", "invoice"})
# FI document types that are payments received (DZ) or credit memos (DG, RE-style reversals stay adjustments).
LEDGER_KINDS = {
    "RV": LedgerKind.INVOICE,
    "DR": LedgerKind.INVOICE,
    "DZ": LedgerKind.COLLECTION,
    "DG": LedgerKind.CREDIT_MEMO,
    "AB": LedgerKind.ADJUSTMENT,
}
ZERO = Decimal(0)


class SapRfcReads:
    """The reading half of ``SapRfcAdapter``."""

    def read(self, entity: str, *, since: datetime | None = None, full: bool = False) -> Iterator[Feed]:
        self.refuse_unreadable(entity, ENTITIES, who="SAP RFC")
        return self._read(entity, since=since, full=full)

    def _read(self, entity: str, *, since: datetime | None, full: bool) -> Iterator[Feed]:
        started = datetime.now(UTC)
        scope = {"sales_org": self.sales_org}
        if entity in WINDOW_ENTITIES:
            window = since if since is not None and not full else started - timedelta(days=self.lookback_days)
            records = getattr(self, f"_read_{entity}")(window.date())
            source = f"sap_rfc:{self.sales_org}:{entity}?since={window.date().isoformat()}"
            yield Feed(entity, source, records, complete=False, watermark=started, scope=scope)
            return
        records = getattr(self, f"_read_{entity}")()
        yield Feed(entity, f"sap_rfc:{self.sales_org}:{entity}", records, complete=True, watermark=started, scope=scope)

    # --- master data ---

    def _read_unit(self) -> list[ErpUnit]:
        language = self.languages.get("tr", "T")
        rows = self.read_table("T006A", ["MSEHL"], keys=["SPRAS", "MSEHI"], where=f"SPRAS EQ {literal(language)}")
        return [ErpUnit(row["MSEHI"], row["MSEHL"]) for row in rows]

    def _read_category(self) -> list[ErpCategory]:
        texts: dict[str, dict[str, str]] = defaultdict(dict)
        where = in_clause_of("SPRAS", self.languages.values())
        for row in self.read_table("T023T", ["WGBEZ"], keys=["SPRAS", "MATKL"], where=where):
            texts[row["MATKL"]][row["SPRAS"]] = row["WGBEZ"]
        tr, en = self.languages.get("tr", "T"), self.languages.get("en", "E")
        return [
            ErpCategory(code, names.get(tr) or names.get(en) or code, names.get(en, ""))
            for code, names in sorted(texts.items())
        ]

    def _read_warehouse(self) -> list[ErpWarehouse]:
        wanted = set(self.location_pairs)
        plants = sorted({plant for plant, _ in wanted})
        rows = self.read_in("T001L", ["LGOBE"], keys=["WERKS", "LGORT"], field="WERKS", values=plants)
        names = {(row["WERKS"], row["LGORT"]): row["LGOBE"] for row in rows}
        return [
            ErpWarehouse(f"{plant}/{location}", names.get((plant, location)) or f"{plant}/{location}")
            for plant, location in self.location_pairs
            if (plant, location) in names or not location
        ]

    def _materials(self) -> list[dict[str, str]]:
        fields = ["MTART", "MATKL", "MEINS", "EAN11", "LVORM", "MSTAV", "LAEDA"]
        fields.extend(self.description_fields)
        return self.read_table("MARA", fields, keys=["MATNR"])

    def _read_product(self) -> list[ErpProduct]:
        if self.material_source == "bapi":
            return self._products_by_bapi()
        materials = self._materials()
        texts: dict[tuple[str, str], str] = {}
        for row in self.read_table(
            "MAKT", ["MAKTX"], keys=["MATNR", "SPRAS"], where=in_clause_of("SPRAS", self.languages.values())
        ):
            texts[(row["MATNR"], row["SPRAS"])] = row["MAKTX"]
        units: dict[str, list[ErpProductUnit]] = defaultdict(list)
        for row in self.read_table("MARM", ["UMREZ", "UMREN", "EAN11"], keys=["MATNR", "MEINH"]):
            factor = (number(row["UMREZ"]) or Decimal(1)) / (number(row["UMREN"]) or Decimal(1))
            units[row["MATNR"]].append(ErpProductUnit(row["MEINH"], factor.normalize(), row["EAN11"]))
        where = f"VKORG EQ {literal(self.sales_org)} AND VTWEG EQ {literal(self.distribution_channel)}"
        sales = {
            row["MATNR"]: row
            for row in self.read_table(
                "MVKE", ["VMSTA", "VRKME", "AUMNG"], keys=["MATNR", "VKORG", "VTWEG"], where=where
            )
        }
        tax = self.read_table("MLAN", ["TAXM1"], keys=["MATNR", "ALAND"], where=f"ALAND EQ {literal(self.tax_country)}")
        tax_codes = {row["MATNR"]: row["TAXM1"] for row in tax}
        tr, en = self.languages.get("tr", "T"), self.languages.get("en", "E")
        products = []
        for row in materials:
            matnr, base = row["MATNR"], row["MEINS"]
            extended = sales.get(matnr)
            reason = self._inactive_reason(
                row["MTART"], row["LVORM"], extended is not None, row["MSTAV"] or (extended or {}).get("VMSTA", "")
            )
            minimum = number((extended or {}).get("AUMNG"))
            products.append(
                ErpProduct(
                    code=alpha_out(matnr),
                    name=texts.get((matnr, tr)) or texts.get((matnr, en)) or alpha_out(matnr),
                    unit=base,
                    name_en=texts.get((matnr, en), ""),
                    barcode=row["EAN11"],
                    tax_code=tax_codes.get(matnr, ""),
                    category_code=row["MATKL"],
                    description="\n".join(row[name] for name in self.description_fields if row.get(name)),
                    min_order_qty=minimum if minimum else None,
                    active=not reason,
                    inactive_reason=reason,
                    units=tuple(sorted((u for u in units[matnr] if u.unit != base), key=lambda u: u.unit)),
                    updated_at=None,
                )
            )
        return products

    def _inactive_reason(self, kind: str, deleted: str, extended: bool, status: str) -> str:
        if deleted or kind not in self.material_types or not extended:
            return "not_sold"
        return "frozen" if status else ""

    def _products_by_bapi(self) -> list[ErpProduct]:
        listed = self._ask("BAPI_MATERIAL_GETLIST", MATNRSELECTION=[{"SIGN": "I", "OPTION": "CP", "MATNR_LOW": "*"}])
        products = []
        with self._held() as holder:
            for row in listed.get("MATNRLIST") or []:
                detail = self._read_call(holder, "BAPI_MATERIAL_GET_DETAIL", MATERIAL=row["MATERIAL"])
                problems = failures(detail.get("RETURN"))
                if problems:
                    raise PermanentError(f"SAP refused material {alpha_out(row['MATERIAL'])}: {describe(problems)}")
                general = detail.get("MATERIAL_GENERAL_DATA") or {}
                reason = self._inactive_reason(
                    general.get("MATL_TYPE", ""), general.get("DEL_FLAG", ""), True, general.get("SAL_STATUS", "")
                )
                products.append(
                    ErpProduct(
                        code=alpha_out(row["MATERIAL"]),
                        name=general.get("MATL_DESC") or row.get("MATL_DESC", ""),
                        unit=general.get("BASE_UOM", ""),
                        category_code=general.get("MATL_GROUP", ""),
                        barcode=general.get("EAN_UPC", ""),
                        active=not reason,
                        inactive_reason=reason,
                    )
                )
        return products

    def _sales_materials(self) -> list[tuple[str, str]]:
        """(material, base unit) of the materials the portal sells."""
        return [
            (row["MATNR"], row["MEINS"])
            for row in self._materials()
            if row["MTART"] in self.material_types and not row["LVORM"]
        ]

    # --- stock ---

    def _availability(self, holder, material: str, unit: str) -> list[ErpStock]:
        stocks = []
        for plant, location in self.location_pairs:
            answer = self._read_call(
                holder, "BAPI_MATERIAL_AVAILABILITY", PLANT=plant, MATERIAL=material, UNIT=unit, STGE_LOC=location
            )
            problems = failures(answer.get("RETURN"))
            if problems:
                raise PermanentError(f"SAP availability of {alpha_out(material)}: {describe(problems)}")
            quantity = number(answer.get("AV_QTY_PLT")) or ZERO
            stocks.append(ErpStock(alpha_out(material), f"{plant}/{location}", quantity.normalize()))
        return stocks

    def _read_stock(self) -> Iterator[ErpStock]:
        materials = self._sales_materials()
        with self._held() as holder:
            for material, unit in materials:
                yield from self._availability(holder, material, unit)

    def live_stock(self, product_codes: Iterable[str]) -> list[ErpStock]:
        codes = [material_in(code) for code in product_codes]
        units = {
            row["MATNR"]: row["MEINS"]
            for row in self.read_in("MARA", ["MEINS"], keys=["MATNR"], field="MATNR", values=codes)
        }
        with self._held() as holder:
            return [stock for code in codes if code in units for stock in self._availability(holder, code, units[code])]

    # --- prices ---

    def _customer_numbers(self) -> list[str]:
        answer = self._ask("BAPI_CUSTOMER_GETLIST", IDRANGE=[{"SIGN": "I", "OPTION": "CP", "LOW": "*", "HIGH": ""}])
        problems = failures(answer.get("RETURN"))
        if problems:
            raise PermanentError(f"SAP refused the customer list: {describe(problems)}")
        return [str(row["CUSTOMER"]) for row in answer.get("ADDRESSDATA") or []]

    def _simulate(self, holder, customer: str, materials: list[tuple[str, str]]) -> dict[str, Any]:
        items = [
            {"ITM_NUMBER": f"{(at + 1) * 10:06d}", "MATERIAL": material, "REQ_QTY": "1000", "SALES_UNIT": unit}
            for at, (material, unit) in enumerate(materials)
        ]
        answer = self._read_call(
            holder,
            "BAPI_SALESORDER_SIMULATE",
            ORDER_HEADER_IN={
                "DOC_TYPE": self.order_type,
                "SALES_ORG": self.sales_org,
                "DISTR_CHAN": self.distribution_channel,
                "DIVISION": self.division,
            },
            ORDER_ITEMS_IN=items,
            ORDER_PARTNERS=[{"PARTN_ROLE": "AG", "PARTN_NUMB": customer}],
        )
        problems = failures(answer.get("RETURN"))
        if problems:
            raise PermanentError(f"SAP could not price for {alpha_out(customer)}: {describe(problems)}")
        return answer

    def _read_agreement(self) -> Iterator[ErpCustomerPrice]:
        materials = self._sales_materials()
        customers = self._customer_numbers()
        with self._held() as holder:
            for customer in customers:
                for at in range(0, len(materials), self.simulate_batch):
                    answer = self._simulate(holder, customer, materials[at : at + self.simulate_batch])
                    for row in answer.get("ORDER_ITEMS_OUT") or []:
                        quantity = number(row.get("REQ_QTY")) or Decimal(1)
                        value = (number(row.get("NET_VALUE")) or ZERO) / quantity
                        code = alpha_out(row["MATERIAL"])
                        yield ErpCustomerPrice(
                            f"{alpha_out(customer)}|{code}",
                            alpha_out(customer),
                            "fixed_price",
                            value.quantize(Decimal("0.01")).normalize(),
                            product_code=code,
                            currency=str(row.get("CURRENCY") or ""),
                            note="SAP pricing (simulated order)",
                        )

    # --- customers, balances, credit ---

    def _read_customer(self) -> Iterator[ErpCustomer]:
        numbers = self._customer_numbers()
        with self._held() as holder:
            for customer in numbers:
                detail = self._read_call(
                    holder, "BAPI_CUSTOMER_GETDETAIL2", CUSTOMERNO=customer, COMPANYCODE=self.company_code
                )
                problems = failures(detail.get("RETURN"))
                if problems:
                    raise PermanentError(f"SAP refused customer {alpha_out(customer)}: {describe(problems)}")
                address = detail.get("CUSTOMERADDRESS") or {}
                general = detail.get("CUSTOMERGENERALDETAIL") or {}
                company = detail.get("CUSTOMERCOMPANYDETAIL") or {}
                title = " ".join(part for part in (address.get("NAME"), address.get("NAME_2")) if part)
                main = Address(
                    code="MAIN",
                    name=title,
                    line1=address.get("STREET") or "",
                    city=address.get("CITY") or "",
                    kind="billing",
                    district=address.get("DISTRICT") or "",
                    postal_code=address.get("POSTL_COD1") or "",
                    country=address.get("COUNTRY") or "TR",
                    phone=address.get("TELEPHONE1") or "",
                    is_default=True,
                )
                yield ErpCustomer(
                    code=alpha_out(customer),
                    title=title,
                    tax_number=general.get("TAX_NO_2") or "",
                    tax_office=general.get("TAX_NO_1") or "",
                    email=address.get("E_MAIL") or "",
                    phone=address.get("TELEPHONE1") or "",
                    currency=address.get("CURRENCY") or self.local_currency,
                    payment_terms_code=company.get("PMNTTRMS") or "",
                    active=not (general.get("DELETION_FLAG") or general.get("ORDER_BLOCK")),
                    addresses=(main,) if main.line1 else (),  # SAP without a street: no address the portal can ship to
                )

    def _open_items(self, holder, customer: str) -> list[dict[str, Any]]:
        answer = self._read_call(
            holder,
            "BAPI_AR_ACC_GETOPENITEMS",
            COMPANYCODE=self.company_code,
            CUSTOMER=customer,
            KEYDATE=dats(date.today()),
        )
        problems = failures(answer.get("RETURN"))
        if problems:
            raise PermanentError(f"SAP refused the open items of {alpha_out(customer)}: {describe(problems)}")
        return list(answer.get("LINEITEMS") or [])

    def _balance(self, holder, customer: str) -> ErpBalance:
        total, currency = ZERO, self.local_currency
        for row in self._open_items(holder, customer):
            amount = number(row.get("LC_AMOUNT")) or ZERO
            total += amount if row.get("DB_CR_IND") == "S" else -amount
        return ErpBalance(alpha_out(customer), total, currency=currency)

    def _read_balance(self) -> Iterator[ErpBalance]:
        customers = self._customer_numbers()
        with self._held() as holder:
            for customer in customers:
                yield self._balance(holder, customer)

    def live_balance(self, customer_code: str) -> ErpBalance:
        with self._held() as holder:
            return self._balance(holder, customer_in(customer_code))

    def _read_credit(self) -> Iterator[ErpCredit]:
        if self.credit_source == "KNKK":
            where = f"KKBER EQ {literal(self.credit_control_area)}"
            for row in self.read_table("KNKK", ["KLIMK", "CRBLB"], keys=["KUNNR", "KKBER"], where=where):
                blocked = row["CRBLB"] == "X"
                yield ErpCredit(
                    alpha_out(row["KUNNR"]),
                    number(row["KLIMK"]) or ZERO,
                    hold=blocked,
                    hold_reason="Credit blocked in SAP" if blocked else "",
                )
            return
        if not self.credit_probe_material:
            raise PermanentError("SAP RFC adapter: credit by simulation needs 'credit_probe_material'")
        customers = self._customer_numbers()
        probe = [(material_in(self.credit_probe_material), "")]
        with self._held() as holder:
            for customer in customers:
                party = self._simulate(holder, customer, probe).get("BILLING_PARTY") or {}
                blocked = bool(str(party.get("ORDER_BLCK") or "").strip())
                yield ErpCredit(
                    alpha_out(customer),
                    number(party.get("CRED_LIMIT")) or ZERO,
                    hold=blocked,
                    hold_reason="Blocked for orders in SAP" if blocked else "",
                )

    # --- orders and documents ---

    def _changed_orders(self, since: date) -> list[dict[str, str]]:
        org, day = literal(self.sales_org), dats(since)
        where = f"VKORG EQ {org} AND AEDAT GE '{day}' OR VKORG EQ {org} AND ERDAT GE '{day}'"
        return self.read_table("VBAK", ["KUNNR", "WAERK", "NETWR", "GBSTK"], keys=["VBELN"], where=where)

    def _billed(self, documents: list[str]) -> tuple[dict[str, dict[str, Decimal]], list[dict[str, str]]]:
        """Per order, the quantity billed per item (VBFA category M, cancelled invoices left out); and the rows."""
        flow = self.read_in(
            "VBFA",
            ["RFMNG", "VBTYP_N", "ERDAT"],
            keys=["VBELV", "POSNV", "VBELN", "POSNN"],
            field="VBELV",
            values=documents,
            where="VBTYP_N EQ 'M'",
        )
        invoices = {
            row["VBELN"]: row
            for row in self.read_in("VBRK", ["FKSTO"], keys=["VBELN"], field="VBELN", values=[r["VBELN"] for r in flow])
        }
        billed: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
        live = [row for row in flow if invoices.get(row["VBELN"], {}).get("FKSTO") != "X"]
        for row in live:
            billed[row["VBELV"]][row["POSNV"]] += number(row["RFMNG"]) or ZERO
        return billed, live

    def _statuses(self, since: date) -> Iterator[tuple[dict[str, str], list[dict[str, Any]], dict[str, Decimal]]]:
        orders = self._changed_orders(since)
        billed, _flow = self._billed([row["VBELN"] for row in orders])
        with self._held() as holder:
            for order in orders:
                answer = self._read_call(holder, "BAPI_SALESORDER_GETSTATUS", SALESDOCUMENT=order["VBELN"])
                rows = answer.get("STATUSINFO") or []
                if rows and str(rows[0].get("PURCH_NO_C") or "").strip():
                    yield order, rows, billed.get(order["VBELN"], {})

    def _read_order_status(self, since: date) -> Iterator[ErpOrderStatus]:
        for order, rows, billed in self._statuses(since):
            yield ErpOrderStatus(
                str(rows[0]["PURCH_NO_C"]).strip(),
                order_state(rows, billed),
                document_number=alpha_out(order["VBELN"]),
                document_id=order["VBELN"],
            )

    def _read_delivery(self, since: date) -> Iterator[ErpDocument]:
        for order, rows, _billed in self._statuses(since):
            seen: dict[str, date] = {}
            for row in rows:
                number_ = str(row.get("DELIV_NUMB") or "").strip()
                if number_ and number_ not in seen:
                    seen[number_] = sap_date(row.get("DELIV_DATE")) or since
            for delivery, issued in sorted(seen.items()):
                yield ErpDocument(
                    DocumentKind.DELIVERY,
                    alpha_out(delivery),
                    alpha_out(order["KUNNR"]),
                    issued,
                    order_reference=str(rows[0]["PURCH_NO_C"]).strip(),
                    currency=order["WAERK"],
                )

    def _read_invoice(self, since: date) -> Iterator[ErpDocument]:
        flow = self.read_table(
            "VBFA",
            ["ERDAT"],
            keys=["VBELV", "POSNV", "VBELN", "POSNN"],
            where=f"VBTYP_N EQ 'M' AND ERDAT GE '{dats(since)}'",
        )
        orders_of: dict[str, str] = {}
        for row in flow:
            orders_of.setdefault(row["VBELN"], row["VBELV"])
        references = {
            row["VBELN"]: row["BSTKD"]
            for row in self.read_in(
                "VBKD",
                ["BSTKD"],
                keys=["VBELN", "POSNR"],
                field="VBELN",
                values=set(orders_of.values()),
                where="POSNR EQ '000000'",
            )
        }
        headers = self.read_in(
            "VBRK",
            ["FKDAT", "KUNAG", "WAERK", "NETWR", "MWSBK", "FKSTO", "XBLNR"],
            keys=["VBELN"],
            field="VBELN",
            values=list(orders_of),
        )
        for row in headers:
            if row["FKSTO"] == "X":
                continue
            net, vat = number(row["NETWR"]) or ZERO, number(row["MWSBK"]) or ZERO
            yield ErpDocument(
                DocumentKind.INVOICE,
                alpha_out(row["VBELN"]),
                alpha_out(row["KUNAG"]),
                sap_date(row["FKDAT"]) or since,
                order_reference=references.get(orders_of[row["VBELN"]], ""),
                currency=row["WAERK"],
                net=net,
                vat=vat,
                gross=net + vat,
                related_number=row["XBLNR"],
            )

    def open_orders(self) -> Iterator[ErpOpenOrder]:
        where = f"VKORG EQ {literal(self.sales_org)} AND GBSTK NE 'C'"
        orders = self.read_table("VBAK", ["KUNNR", "WAERK", "NETWR"], keys=["VBELN"], where=where)
        references = {
            row["VBELN"]: row["BSTKD"]
            for row in self.read_in(
                "VBKD",
                ["BSTKD"],
                keys=["VBELN", "POSNR"],
                field="VBELN",
                values=[o["VBELN"] for o in orders],
                where="POSNR EQ '000000'",
            )
        }
        for order in orders:
            yield ErpOpenOrder(
                alpha_out(order["VBELN"]),
                alpha_out(order["KUNNR"]),
                reference=references.get(order["VBELN"], ""),
                gross=number(order["NETWR"]),
                currency=order["WAERK"],
            )

    # --- ledger ---

    def _read_ledger(self) -> Iterator[ErpLedgerEntry]:
        customers = self._customer_numbers()
        today = date.today()
        with self._held() as holder:
            for customer in customers:
                if self.ledger_source == "open_items":
                    rows = self._open_items(holder, customer)
                else:
                    answer = self._read_call(
                        holder,
                        "BAPI_AR_ACC_GETSTATEMENT",
                        COMPANYCODE=self.company_code,
                        CUSTOMER=customer,
                        DATE_FROM=dats(today - timedelta(days=self.ledger_days)),
                        DATE_TO=dats(today),
                    )
                    problems = failures(answer.get("RETURN"))
                    if problems:
                        refused = describe(problems)
                        raise PermanentError(f"SAP refused the statement of {alpha_out(customer)}: {refused}")
                    rows = answer.get("LINEITEMS") or []
                for row in rows:
                    yield ledger_entry(customer, row)


def ledger_entry(customer: str, row: dict[str, Any]) -> ErpLedgerEntry:
    amount = number(row.get("AMT_DOCCUR")) or ZERO
    signed = amount if row.get("DB_CR_IND") == "S" else -amount
    kind = LEDGER_KINDS.get(str(row.get("DOC_TYPE") or ""), LedgerKind.ADJUSTMENT)
    posted = sap_date(row.get("PSTNG_DATE")) or sap_date(row.get("DOC_DATE"))
    baseline = sap_date(row.get("BLINE_DATE"))
    days = int(number(row.get("DSCT_DAYS1")) or 0)
    cleared = sap_date(row.get("CLEAR_DATE"))
    return ErpLedgerEntry(
        entry_id="/".join(str(row.get(key, "")) for key in ("COMP_CODE", "FISC_YEAR", "DOC_NO", "ITEM_NUM")),
        customer_code=alpha_out(customer),
        posted_on=posted,
        kind=kind,
        amount=signed,
        currency=str(row.get("CURRENCY") or ""),
        document_number=str(row.get("REF_DOC_NO") or row.get("DOC_NO") or ""),
        due_on=baseline + timedelta(days=days) if baseline else None,
        description=str(row.get("ITEM_TEXT") or ""),
        open_amount=ZERO if cleared else signed,
    )


def in_clause_of(field: str, values: Iterable[str]) -> str:
    return f"{field} IN ( {' , '.join(literal(value) for value in sorted(set(values)))} )"


__all__ = ["ENTITIES", "SapRfcReads"]
