"""An in-memory SAP ECC client (one ``MANDT``) answering the BAPIs the portal calls over RFC, with their real
parameter, structure and table names, so the adapter is tested through the same ``call(name, **params)`` it makes
on pyrfc.

What is reproduced, and from where:

- pyrfc's calling convention: ``call`` takes import, changing and table parameters by name and answers a dict of
  every export, changing and table parameter; structures are dicts, tables lists of dicts, DATS are ``date``, QUAN
  and CURR are ``Decimal``. [PyRFC-client]
- ``BAPI_SALESORDER_CREATEFROMDAT2``: ``ORDER_HEADER_IN`` (BAPISDHD1: DOC_TYPE, SALES_ORG, DISTR_CHAN, DIVISION,
  PURCH_NO_C, PURCH_DATE, REQ_DATE_H, CURRENCY, …), ``ORDER_ITEMS_IN`` (BAPISDITM: ITM_NUMBER, MATERIAL, PLANT,
  STORE_LOC, TARGET_QTY, TARGET_QU, SALES_UNIT, ITEM_CATEG, SHORT_TEXT, REASON_REJ), ``ORDER_PARTNERS`` (PARTN_ROLE,
  PARTN_NUMB), ``ORDER_SCHEDULES_IN`` (ITM_NUMBER, SCHED_LINE, REQ_DATE, REQ_QTY), ``ORDER_CONDITIONS_IN``
  (ITM_NUMBER, COND_TYPE, COND_VALUE, CURRENCY, COND_UNIT, COND_P_UNT), export ``SALESDOCUMENT``, table ``RETURN``
  (BAPIRET2). [FT-create] [ABAP-sample]
- The BAPI LUW: nothing a BAPI wrote is kept until ``BAPI_TRANSACTION_COMMIT`` on the same connection; ``WAIT``
  'X' makes the update synchronous, without it the update task books the document a moment later; closing or
  losing the connection, or ``BAPI_TRANSACTION_ROLLBACK``, throws it away. Business errors come back as RETURN rows
  of TYPE E/A, never as exceptions. [erp-protocols §2.3]
- ``BAPI_SALESORDER_GETLIST`` (CUSTOMER_NUMBER and SALES_ORGANIZATION required, PURCHASE_ORDER_NUMBER; table
  SALES_ORDERS of BAPIORDERS, RETURN a BAPIRETURN structure) [FT-list]; ``BAPI_SALESORDER_GETSTATUS``
  (STATUSINFO of BAPISDSTAT) [FT-status]; ``BAPI_SALESORDER_CHANGE`` (ORDER_HEADER_INX, ORDER_ITEM_IN/INX with
  REASON_REJ and UPDATEFLAG 'U') [FT-change]; ``BAPI_SALESORDER_SIMULATE`` (BAPISDHEAD, BAPIITEMIN whose REQ_QTY is
  NUMC 13 in thousandths — "00009001 corresponds to 9.001" —, ORDER_ITEMS_OUT, BILLING_PARTY of BAPIPAYER with
  CRED_LIMIT, RCVBL_VALS, ORDER_VALS, CRED_LIAB, CURRENCY, ORDER_BLCK) [FT-simulate].
- ``BAPI_MATERIAL_AVAILABILITY`` (PLANT, MATERIAL, UNIT required, AV_QTY_PLT out) [Theobald-ATP]; STGE_LOC is
  UNCONFIRMED and accepted here. ``BAPI_MATERIAL_GET_DETAIL`` (MATERIAL_GENERAL_DATA: MATL_DESC, BASE_UOM, …)
  [ABAP-matdet]; ``BAPI_CUSTOMER_GETDETAIL2`` exports (CUSTOMERADDRESS, CUSTOMERGENERALDETAIL,
  CUSTOMERCOMPANYDETAIL, RETURN) [Hibersap-cust] — the fields inside them are SAP's usual names, UNCONFIRMED.
- ``RFC_READ_TABLE`` with its 512-character row limit: see ``tables``. ``RFC_PING`` answers nothing.
- ``BAPI_AR_ACC_GETOPENITEMS`` / ``BAPI_AR_ACC_GETSTATEMENT`` (COMPANYCODE, CUSTOMER, KEYDATE or DATE_FROM/DATE_TO;
  LINEITEMS of BAPI3007_2 with DOC_NO, ITEM_NUM, FISC_YEAR, PSTNG_DATE, DOC_DATE, DB_CR_IND S/H, LC_AMOUNT,
  AMT_DOCCUR, CURRENCY, BLINE_DATE, DSCT_DAYS1, REF_DOC_NO, ITEM_TEXT, DOC_TYPE): structure field names UNCONFIRMED.
- Messages: ``V1 311`` ("Standard Order … has been saved") and the lock message ``V1 042`` ("… is currently being
  processed by …") are SAP's; the other message numbers here are illustrative, their TYPE is what matters.
- ALPHA conversion: BAPIs take internal numbers, so a numeric material is zero-padded to 18 characters and a numeric
  customer to 10; an unpadded number is not found, as in SAP. Units are internal codes (ST, KAR, KG).

Sources: [PyRFC-client] SAP/PyRFC ``doc/client.rst``; [PyRFC-exc] ``src/pyrfc/_exception.py``; [PyRFC-errtable]
``doc/tables/error_types.csv``; [PyRFC-timeout] SAP/PyRFC ``tests/test_timeout.py`` (``options={"timeout": …}``,
RFC_CANCELED code 7); [PyRFC-desc] SAP/PyRFC ``tests/data/func_desc_BAPISDORDER_GETDETAILEDLIST.py``;
[FT-create] SAP/fundamental-tools @6d51dbd ``api/salesOrder/bapi_salesorder_createfromdat2.js``; [FT-list]
``…/bapi_salesorder_getlist.js``; [FT-status] ``…/bapi_salesorder_getstatus.js``; [FT-change]
``…/bapi_salesorder_change.js``; [FT-simulate] ``…/bapi_salesorder_simulate.js``; [ABAP-sample]
urcm/bapi_erstellen_kundenauftrag.abap; [ABAP-matdet] urcm/bapi_materialstammdaten_anlegen_andern_lesen
``bapi_material_get_detail.abap``; [Theobald-ATP] theobald-software helpcenter ``retrieve-stock-quantity``;
[Hibersap-cust] drools-example/apachecamel-sap ``CustomerDetailsBapi.java``; [RFC-RT-a]/[RFC-RT-b] public client
code calling RFC_READ_TABLE with QUERY_TABLE/DELIMITER/OPTIONS/FIELDS and cutting ``WA`` at the answered OFFSET
and LENGTH. See also /docs/sap-rfc.md.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from erpsync.simulators.sap_rfc import tables
from erpsync.simulators.sap_rfc.errors import (
    ABAPApplicationError,
    CommunicationError,
    ExternalRuntimeError,
    LogonError,
    bapiret2,
    bapireturn,
)

D = Decimal
CENT = D("0.01")
ORDER_TYPE_NAMES = {"TA": "Standard Order", "OR": "Standard Order", "ZB2B": "Portal Order"}


def alpha(value: str, width: int) -> str:
    """SAP's ALPHA conversion (CONVERSION_EXIT_ALPHA_INPUT): a number is zero-padded to ``width``, text stays."""
    text = str(value or "").strip()
    return text.zfill(width) if text.isdigit() else text.upper()


def unalpha(value: str) -> str:
    """ALPHA output: leading zeros of a number dropped."""
    text = str(value or "").strip()
    return text.lstrip("0") or "0" if text.isdigit() else text


def _date(value: Any) -> date | None:
    if value in (None, "", "00000000"):
        return None
    if isinstance(value, date):
        return value
    text = str(value)
    return date(int(text[:4]), int(text[4:6]), int(text[6:8]))


def _dats(value: date | None) -> str:
    return value.strftime("%Y%m%d") if value else "00000000"


@dataclass
class Fault:
    """One fault switch: ``kind`` for calls of ``function`` ("*" any), the next ``count`` times (None: always).

    - ``latency``: the call takes ``seconds`` longer; past the connection's timeout it is cancelled (RFC_CANCELED)
      after the server did the work;
    - ``drop_before``: the connection breaks before the call runs (the session's uncommitted work is gone);
    - ``drop_after``: the call runs, then the connection breaks before the answer arrives;
    - ``drop_after_answer``: the call runs and answers, then the connection is dead for the next call;
    - ``unavailable``: no connection can be opened and every call fails.
    """

    kind: str
    function: str = "*"
    count: int | None = 1
    seconds: float = 0.0

    def matches(self, name: str) -> bool:
        return self.function in ("*", name)


@dataclass
class Stats:
    calls: Counter = field(default_factory=Counter)
    commits: list[str] = field(default_factory=list)  # the WAIT flag of every commit
    connections: int = 0
    open_now: int = 0
    most_open: int = 0


class SapSystem:
    """One SAP client in memory. Master data are dicts keyed by internal numbers; ``connect`` opens a session."""

    def __init__(
        self,
        *,
        sysid: str = "ECC",
        client: str = "100",
        company_code: str = "1000",
        credit_area: str = "1000",
        currency: str = "TRY",
        users: dict[str, str] | None = None,
    ) -> None:
        self.sysid, self.client = sysid, client
        self.company_code, self.credit_area, self.currency = company_code, credit_area, currency
        self.users = users if users is not None else {"RFC_B2B": "secret"}
        self.lock = threading.RLock()
        self.sales_areas: set[tuple[str, str, str]] = {("1000", "10", "00")}
        self.order_types = {"TA"}
        self.item_categories = {"TAN", "TANN"}
        self.manual_conditions = {"PR00", "ZPRB"}
        self.rejection_reasons = {"00", "01", "02", "Z1"}
        self.locations: dict[tuple[str, str], str] = {("1000", "0001"): "Merkez Depo", ("1000", "0002"): "İzmir"}
        self.units: dict[str, tuple[str, str]] = {
            "ST": ("PC", "Adet"),
            "KAR": ("CAR", "Karton"),
            "KG": ("KG", "Kilogram"),
            "PAL": ("PAL", "Palet"),
            "H": ("HR", "Saat"),
        }
        self.groups: dict[str, str] = {"GIDA": "Gıda", "ICECEK": "İçecek", "YAPI": "Yapı Malzemeleri"}
        self.materials: dict[str, dict[str, Any]] = {}
        self.stock: dict[tuple[str, str, str], Decimal] = {}
        self._stock_of: dict[str, set[tuple[str, str]]] = {}  # material → its stock's locations (an index)
        self.prices: dict[tuple[str, str], tuple[Decimal, str]] = {}
        self.vat: dict[str, Decimal] = {}
        self.customers: dict[str, dict[str, Any]] = {}
        self.credit: dict[tuple[str, str], dict[str, Any]] = {}
        self.orders: dict[str, dict[str, Any]] = {}
        self.deliveries: dict[str, dict[str, Any]] = {}
        self.invoices: dict[str, dict[str, Any]] = {}
        self.flow: list[dict[str, Any]] = []
        self.ar_items: list[dict[str, Any]] = []
        self.locks: dict[str, str] = {}  # object (customer or sales document number) → user holding it
        self.faults: list[Fault] = []
        self.stats = Stats()
        self.update_delay = 0.3  # seconds the update task takes after a commit without WAIT
        self._updates: list[tuple[float, Callable[[], None]]] = []
        self._numbers = {"order": 10000000, "delivery": 80000000, "invoice": 90000000, "fi": 1800000000}
        self.today = date.today()

    # --- sessions and faults ---

    def connect(self, *, user: str = "RFC_B2B", passwd: str = "", timeout: float | None = None):
        with self.lock:
            if self._fault("unavailable", "*", consume=False):
                raise CommunicationError("partner '127.0.0.1:sapgw00' not reached")
            if self.users.get(user.upper()) != (passwd or None):
                raise LogonError()
            self.stats.connections += 1
            self.stats.open_now += 1
            self.stats.most_open = max(self.stats.most_open, self.stats.open_now)
        return SimConnection(self, user.upper(), timeout)

    def fault(self, kind: str, function: str = "*", *, count: int | None = 1, seconds: float = 0.0) -> Fault:
        entry = Fault(kind, function, count, seconds)
        with self.lock:
            self.faults.append(entry)
        return entry

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()

    def _fault(self, kind: str, name: str, *, consume: bool = True) -> Fault | None:
        for entry in self.faults:
            if entry.kind == kind and entry.matches(name) and (entry.count is None or entry.count > 0):
                if consume and entry.count is not None:
                    entry.count -= 1
                return entry
        return None

    def _next(self, kind: str) -> str:
        self._numbers[kind] += 1
        return f"{self._numbers[kind]:010d}"

    def run_updates(self) -> None:
        """Book the updates the update task has finished by now."""
        with self.lock:
            now = time.monotonic()
            due = [update for at, update in self._updates if at <= now]
            self._updates = [(at, update) for at, update in self._updates if at > now]
        for update in due:
            update()

    # --- master data, as SAP's users key it in ---

    def add_material(
        self,
        number: str,
        text: str,
        *,
        base_unit: str = "ST",
        units: dict[str, tuple[int, int]] | None = None,
        material_type: str = "HAWA",
        group: str = "",
        ean: str = "",
        price: Decimal | float | None = None,
        currency: str | None = None,
        vat: Decimal | float = 20,
        sales: bool = True,
        sales_status: str = "",
        sales_unit: str = "",
        deleted: bool = False,
        text_en: str = "",
        long_text: str = "",
        packaging: str = "",
        changed: date | None = None,
    ) -> str:
        matnr = alpha(number, 18)
        with self.lock:
            if group:
                self.groups.setdefault(group, group.title())
            self.materials[matnr] = {
                "MATNR": matnr,
                "MTART": material_type,
                "MATKL": group,
                "MEINS": base_unit,
                "SPART": "00",
                "EAN11": ean,
                "LVORM": "X" if deleted else "",
                "MSTAV": "",
                "LAEDA": _dats(changed or self.today),
                "ZZLANGTEXT": long_text,
                "ZZVERPACKUNG": packaging,
                "texts": {"T": text, **({"E": text_en} if text_en else {})},
                "units": dict(units or {}),
                "sales": {
                    (org, chan): {"VMSTA": sales_status, "VRKME": sales_unit, "AUMNG": D(0)}
                    for org, chan, _div in self.sales_areas
                }
                if sales
                else {},
            }
            if price is not None:
                self.prices[("", matnr)] = (D(str(price)), currency or self.currency)
            self.vat[matnr] = D(str(vat))
        return matnr

    def set_stock(self, number: str, plant: str, location: str, quantity: Decimal | float) -> None:
        with self.lock:
            matnr = alpha(number, 18)
            self.stock[(matnr, plant, location)] = D(str(quantity))
            self._stock_of.setdefault(matnr, set()).add((plant, location))

    def set_price(self, number: str, price: Decimal | float, *, customer: str = "", currency: str | None = None):
        with self.lock:
            key = (alpha(customer, 10) if customer else "", alpha(number, 18))
            self.prices[key] = (D(str(price)), currency or self.currency)

    def add_customer(
        self,
        number: str,
        name: str,
        *,
        city: str = "İstanbul",
        street: str = "",
        district: str = "",
        postal_code: str = "",
        country: str = "TR",
        phone: str = "",
        email: str = "",
        tax_number: str = "",
        tax_office: str = "",
        currency: str | None = None,
        payment_terms: str = "",
        credit_limit: Decimal | float | None = None,
        blocked: bool = False,
        order_block: str = "",
        deleted: bool = False,
        ship_to: Iterable[str] = (),
        name2: str = "",
    ) -> str:
        kunnr = alpha(number, 10)
        with self.lock:
            self.customers[kunnr] = {
                "KUNNR": kunnr,
                "NAME1": name,
                "NAME2": name2,
                "ORT01": city,
                "ORT02": district,
                "PSTLZ": postal_code,
                "STRAS": street,
                "LAND1": country,
                "TELF1": phone,
                "SMTP_ADDR": email,
                "STCD1": tax_office,
                "STCD2": tax_number,
                "WAERS": currency if currency is not None else self.currency,
                "ZTERM": payment_terms,
                "LOEVM": "X" if deleted else "",
                "AUFSD": order_block,
                "ship_to": [alpha(code, 10) for code in ship_to],
            }
            if credit_limit is not None or blocked:
                self.credit[(kunnr, self.credit_area)] = {
                    "KUNNR": kunnr,
                    "KKBER": self.credit_area,
                    "KLIMK": D(str(credit_limit or 0)),
                    "SKFOR": D(0),
                    "SAUFT": D(0),
                    "CRBLB": "X" if blocked else "",
                    "WAERS": currency or self.currency,
                }
        return kunnr

    def lock_object(self, key: str, user: str = "MEHMET") -> None:
        """An SAP user opens ``key`` (a customer or sales document number) in change mode: it is enqueued."""
        with self.lock:
            self.locks[key] = user

    def unlock_object(self, key: str) -> None:
        with self.lock:
            self.locks.pop(key, None)

    # --- what SAP's users do to orders: key in, deliver, invoice, pay ---

    def key_in_order(self, po: str, customer: str, lines: Iterable[tuple[str, Decimal | float]], **header) -> str:
        """An order keyed in by an SAP user (VA01), committed; ``lines`` are (material, quantity in base unit)."""
        user = next(iter(self.users))
        connection = self.connect(user=user, passwd=self.users[user])
        try:
            items, schedules = [], []
            for at, (material, quantity) in enumerate(lines, start=1):
                items.append({"ITM_NUMBER": f"{at * 10:06d}", "MATERIAL": alpha(material, 18)})
                schedules.append({"ITM_NUMBER": f"{at * 10:06d}", "REQ_QTY": D(str(quantity))})
            org, chan, div = sorted(self.sales_areas)[0]
            answer = connection.call(
                "BAPI_SALESORDER_CREATEFROMDAT2",
                ORDER_HEADER_IN={
                    "DOC_TYPE": sorted(self.order_types)[0],
                    "SALES_ORG": org,
                    "DISTR_CHAN": chan,
                    "DIVISION": div,
                    "PURCH_NO_C": po,
                    **header,
                },
                ORDER_PARTNERS=[{"PARTN_ROLE": "AG", "PARTN_NUMB": alpha(customer, 10)}],
                ORDER_ITEMS_IN=items,
                ORDER_SCHEDULES_IN=schedules,
            )
            errors = [row["MESSAGE"] for row in answer["RETURN"] if row["TYPE"] in ("E", "A")]
            if errors:
                raise ValueError("; ".join(errors))
            connection.call("BAPI_TRANSACTION_COMMIT", WAIT="X")
            return answer["SALESDOCUMENT"]
        finally:
            connection.close()

    def reject(self, vbeln: str, reason: str = "Z1") -> None:
        """An SAP user rejects every open item of the order (VA02)."""
        with self.lock:
            for item in self.orders[alpha(vbeln, 10)]["items"]:
                if not item["delivered"]:
                    item["ABGRU"] = reason

    def order_by_po(self, po: str) -> list[dict[str, Any]]:
        self.run_updates()
        with self.lock:
            return [order for order in self.orders.values() if order["BSTNK"] == po]

    def deliver(self, vbeln: str, quantities: dict[str, Decimal | float] | None = None, *, on: date | None = None):
        """Post an outbound delivery of the order's open quantities (``quantities`` per item number: part)."""
        self.run_updates()
        with self.lock:
            order = self.orders[alpha(vbeln, 10)]
            number = self._next("delivery")
            items = []
            for item in order["items"]:
                if item["ABGRU"]:
                    continue
                wanted = quantities.get(item["POSNR"]) if quantities else item["KWMENG"] - item["delivered"]
                if not wanted:
                    continue
                wanted = D(str(wanted))
                item["delivered"] += wanted
                items.append({"POSNR": item["POSNR"], "qty": wanted})
                self.flow.append(
                    {
                        "VBELV": order["VBELN"],
                        "POSNV": item["POSNR"],
                        "VBELN": number,
                        "POSNN": item["POSNR"],
                        "VBTYP_N": "J",
                        "RFMNG": wanted,
                        "MEINS": item["VRKME"],
                        "ERDAT": _dats(on or self.today),
                    }
                )
            self.deliveries[number] = {
                "VBELN": number,
                "order": order["VBELN"],
                "date": on or self.today,
                "items": items,
            }
            order["AEDAT"] = _dats(on or self.today)
            return number

    def invoice(self, vbeln: str, *, on: date | None = None, e_invoice: str = "") -> str:
        """Bill what was delivered and not billed yet; posts the receivable on the customer's account."""
        self.run_updates()
        with self.lock:
            order = self.orders[alpha(vbeln, 10)]
            billed = Counter()
            for row in self.flow:
                if row["VBELV"] == order["VBELN"] and row["VBTYP_N"] == "M":
                    billed[row["POSNV"]] += row["RFMNG"]
            number = self._next("invoice")
            net = vat = D(0)
            day = on or self.today
            for item in order["items"]:
                quantity = item["delivered"] - billed[item["POSNR"]]
                if quantity <= 0:
                    continue
                line_net = (item["NETWR"] / item["KWMENG"] * quantity).quantize(CENT, ROUND_HALF_UP)
                net += line_net
                vat += (line_net * self.vat.get(item["MATNR"], D(20)) / 100).quantize(CENT, ROUND_HALF_UP)
                self.flow.append(
                    {
                        "VBELV": order["VBELN"],
                        "POSNV": item["POSNR"],
                        "VBELN": number,
                        "POSNN": item["POSNR"],
                        "VBTYP_N": "M",
                        "RFMNG": quantity,
                        "MEINS": item["VRKME"],
                        "ERDAT": _dats(day),
                    }
                )
            self.invoices[number] = {
                "VBELN": number,
                "FKART": "F2",
                "FKDAT": day,
                "KUNAG": order["KUNNR"],
                "WAERK": order["WAERK"],
                "NETWR": net,
                "MWSBK": vat,
                "FKSTO": "",
                "XBLNR": e_invoice,
                "order": order["VBELN"],
            }
            self.post_item(
                order["KUNNR"],
                net + vat,
                currency=order["WAERK"],
                reference=number,
                text="Fatura",
                doc_type="RV",
                on=day,
                due_days=30,
            )
            order["AEDAT"] = _dats(day)
            return number

    def post_item(
        self,
        customer: str,
        amount: Decimal | float,
        *,
        currency: str | None = None,
        reference: str = "",
        text: str = "",
        doc_type: str = "DR",
        on: date | None = None,
        due_days: int = 0,
        cleared: bool = False,
    ) -> dict[str, Any]:
        """An FI line item on the customer's account: positive debits (S), negative credits (H)."""
        amount = D(str(amount))
        with self.lock:
            day = on or self.today
            row = {
                "COMP_CODE": self.company_code,
                "CUSTOMER": alpha(customer, 10),
                "FISC_YEAR": f"{day.year}",
                "DOC_NO": self._next("fi"),
                "ITEM_NUM": "001",
                "PSTNG_DATE": day,
                "DOC_DATE": day,
                "DB_CR_IND": "S" if amount >= 0 else "H",
                "LC_AMOUNT": abs(amount),
                "AMT_DOCCUR": abs(amount),
                "CURRENCY": currency or self.currency,
                "BLINE_DATE": day,
                "DSCT_DAYS1": D(due_days),
                "REF_DOC_NO": reference,
                "ITEM_TEXT": text,
                "DOC_TYPE": doc_type,
                "CLEAR_DATE": day if cleared else None,
            }
            self.ar_items.append(row)
            return row

    # --- RFC_READ_TABLE rows ---

    def table_rows(self, table: str) -> Iterable[dict[str, Any]]:
        self.run_updates()
        with self.lock:
            if table == "MARA":
                return [{k: v for k, v in m.items() if k.isupper()} for m in self.materials.values()]
            if table == "MAKT":
                return [
                    {"MATNR": m["MATNR"], "SPRAS": lang, "MAKTX": text}
                    for m in self.materials.values()
                    for lang, text in m["texts"].items()
                ]
            if table == "MARM":
                rows = []
                for m in self.materials.values():
                    rows.append({"MATNR": m["MATNR"], "MEINH": m["MEINS"], "UMREZ": 1, "UMREN": 1, "EAN11": m["EAN11"]})
                    for unit, (num, den) in m["units"].items():
                        rows.append({"MATNR": m["MATNR"], "MEINH": unit, "UMREZ": num, "UMREN": den, "EAN11": ""})
                return rows
            if table == "MVKE":
                return [
                    {"MATNR": m["MATNR"], "VKORG": org, "VTWEG": chan, **sales}
                    for m in self.materials.values()
                    for (org, chan), sales in m["sales"].items()
                ]
            if table == "T023T":
                return [{"SPRAS": "T", "MATKL": code, "WGBEZ": name} for code, name in self.groups.items()]
            if table == "MLAN":
                classes = {D(20): "1", D(10): "2", D(1): "3", D(0): "0"}
                return [{"MATNR": m, "ALAND": "TR", "TAXM1": classes.get(rate, "1")} for m, rate in self.vat.items()]
            if table == "T006A":
                return [
                    {"SPRAS": "T", "MSEHI": code, "MSEH3": ext, "MSEHL": text}
                    for code, (ext, text) in self.units.items()
                ]
            if table == "T001L":
                return [{"WERKS": w, "LGORT": loc, "LGOBE": text} for (w, loc), text in self.locations.items()]
            if table == "KNKK":
                return list(self.credit.values())
            if table == "VBAK":
                return [
                    {
                        "VBELN": o["VBELN"],
                        "ERDAT": o["ERDAT"],
                        "AEDAT": o["AEDAT"],
                        "AUART": o["AUART"],
                        "VKORG": o["VKORG"],
                        "KUNNR": o["KUNNR"],
                        "BSTNK": o["BSTNK"][:20],
                        "NETWR": o["NETWR"],
                        "WAERK": o["WAERK"],
                        "GBSTK": self._overall(o),
                    }
                    for o in self.orders.values()
                ]
            if table == "VBKD":
                return [
                    {
                        "VBELN": o["VBELN"],
                        "POSNR": "000000",
                        "BSTKD": o["BSTNK"],
                        "BSTKD_E": o["PURCH_NO_S"],
                        "IHREZ": o["REF_1"],
                    }
                    for o in self.orders.values()
                ]
            if table == "VBFA":
                return list(self.flow)
            if table == "VBRK":
                return [
                    {**{k: v for k, v in i.items() if k != "order"}, "FKDAT": _dats(i["FKDAT"])}
                    for i in self.invoices.values()
                ]
        return []

    def _overall(self, order: dict[str, Any]) -> str:
        live = [item for item in order["items"] if not item["ABGRU"]]
        if not live:
            return "C"
        if all(item["delivered"] >= item["KWMENG"] for item in live):
            return "C"
        return "B" if any(item["delivered"] for item in live) else "A"


class SimConnection:
    """One RFC session on a ``SapSystem``, shaped like ``pyrfc.Connection``: ``call``, ``close``, ``alive``."""

    def __init__(self, system: SapSystem, user: str, timeout: float | None) -> None:
        self.system = system
        self.user = user
        self.timeout = timeout
        self.alive = True
        self._luw: list[Callable[[], None]] = []
        self._table_cache: dict[str, Any] = {}

    def close(self) -> None:
        if self.alive:
            self.alive = False
            self._luw.clear()  # uncommitted work disappears with the session
            with self.system.lock:
                self.system.stats.open_now -= 1

    def _break(self) -> None:
        self.close()

    def call(self, name: str, options: dict[str, Any] | None = None, **params: Any) -> dict[str, Any]:
        system = self.system
        if not self.alive:
            raise CommunicationError("connection closed")
        timeout = (options or {}).get("timeout", self.timeout)
        with system.lock:
            system.stats.calls[name] += 1
            unavailable = system._fault("unavailable", name, consume=False)
            before = system._fault("drop_before", name)
            latency = system._fault("latency", name)
            after = system._fault("drop_after", name)
            after_answer = system._fault("drop_after_answer", name)
        if unavailable or before:
            self._break()
            raise CommunicationError()
        if latency:
            if timeout and latency.seconds > timeout:
                time.sleep(timeout)
                self._run(name, params)  # the server finishes the work; the client has given up
                self._break()
                raise ExternalRuntimeError()
            time.sleep(latency.seconds)
        answer = self._run(name, params)
        if after:
            self._break()
            raise CommunicationError()
        if after_answer:
            self._break()
        return answer

    def _run(self, name: str, params: dict[str, Any]) -> dict[str, Any]:
        handler = getattr(self, "fm_" + name.replace("/", "_"), None)
        if handler is None:
            raise ABAPApplicationError("FU_NOT_FOUND", f"ID:FL Type:E Number:046 {name}")
        self.system.run_updates()
        return handler(**params)

    # --- basis ---

    def fm_RFC_PING(self) -> dict[str, Any]:
        return {}

    def fm_RFC_READ_TABLE(self, **params: Any) -> dict[str, Any]:
        return tables.read_table(self.system.table_rows, params, self._table_cache)

    def fm_BAPI_TRANSACTION_COMMIT(self, WAIT: str = "") -> dict[str, Any]:
        work, self._luw = self._luw, []
        system = self.system
        with system.lock:
            system.stats.commits.append(WAIT)
            if WAIT == "X":
                for apply in work:
                    apply()
            else:
                at = time.monotonic() + system.update_delay
                system._updates.extend((at, apply) for apply in work)
        return {"RETURN": bapiret2("", "", "000", "")}

    def fm_BAPI_TRANSACTION_ROLLBACK(self) -> dict[str, Any]:
        self._luw.clear()
        return {"RETURN": bapiret2("", "", "000", "")}

    # --- materials ---

    def fm_BAPI_MATERIAL_GETLIST(self, MATNRSELECTION=(), MAXROWS=0, **_ignored) -> dict[str, Any]:
        system = self.system
        with system.lock:
            numbers = sorted(system.materials)
        chosen = []
        for number in numbers:
            for sel in MATNRSELECTION or [{"SIGN": "I", "OPTION": "CP", "MATNR_LOW": "*"}]:
                low, high = sel.get("MATNR_LOW", ""), sel.get("MATNR_HIGH", "")
                option = sel.get("OPTION", "EQ")
                hit = (
                    (option == "EQ" and number == low)
                    or (option == "BT" and low <= number <= high)
                    or (option == "CP" and (low == "*" or number.startswith(low.rstrip("*"))))
                )
                if hit:
                    chosen.append(number)
                    break
        if MAXROWS:
            chosen = chosen[: int(MAXROWS)]
        rows = [
            {
                "MATERIAL": n,
                "MATL_DESC": system.materials[n]["texts"].get("T", ""),
                "MATERIAL_EXTERNAL": "",
                "MATERIAL_GUID": "",
                "MATERIAL_VERSION": "",
                "MATERIAL_LONG": n,
            }
            for n in chosen
        ]
        messages = [] if rows else [bapiret2("I", "M3", "812", "No materials found")]
        return {"MATNRLIST": rows, "MATNRSELECTION": list(MATNRSELECTION), "RETURN": messages}

    def fm_BAPI_MATERIAL_GET_DETAIL(self, MATERIAL="", PLANT="", **_ignored) -> dict[str, Any]:
        material = self.system.materials.get(MATERIAL)
        if material is None:
            return {
                "MATERIAL_GENERAL_DATA": {},
                "MATERIALPLANTDATA": {},
                "RETURN": bapireturn("E", "M3305", f"The material {unalpha(MATERIAL)} does not exist"),
            }
        general = {
            "MATL_DESC": material["texts"].get("T", ""),
            "BASE_UOM": material["MEINS"],
            "BASE_UOM_ISO": "",
            "MATL_TYPE": material["MTART"],
            "MATL_GROUP": material["MATKL"],
            "DIVISION": material["SPART"],
            "DEL_FLAG": material["LVORM"],
            "EAN_UPC": material["EAN11"],
            "PUR_STATUS": "",
            "SAL_STATUS": material["MSTAV"],
        }
        return {"MATERIAL_GENERAL_DATA": general, "MATERIALPLANTDATA": {}, "RETURN": bapireturn()}

    def fm_BAPI_MATERIAL_AVAILABILITY(self, PLANT="", MATERIAL="", UNIT="", STGE_LOC="", CHECK_RULE="", **_ignored):
        system = self.system
        material = system.materials.get(MATERIAL)
        if not (PLANT and MATERIAL and UNIT):
            return {"AV_QTY_PLT": D(0), "RETURN": bapireturn("E", "M7001", "PLANT, MATERIAL and UNIT are required")}
        if material is None:
            return {"AV_QTY_PLT": D(0), "RETURN": bapireturn("E", "M3305", f"Material {unalpha(MATERIAL)} not found")}
        with system.lock:
            quantity = sum(
                (
                    system.stock[(MATERIAL, w, loc)]
                    for w, loc in system._stock_of.get(MATERIAL, ())
                    if w == PLANT and STGE_LOC in ("", loc)
                ),
                D(0),
            )
            reserved = sum(
                (item["KWMENG"] - item["delivered"]) * _factor(material, item["VRKME"])
                for order in system.orders.values()
                for item in order["items"]
                if item["MATNR"] == MATERIAL
                and not item["ABGRU"]
                and item["WERKS"] == PLANT
                and STGE_LOC in ("", item["LGORT"])
            )
        factor = _factor(material, UNIT)
        if factor is None:
            return {"AV_QTY_PLT": D(0), "RETURN": bapireturn("E", "M7021", f"Unit {UNIT} not defined for material")}
        return {
            "AV_QTY_PLT": ((quantity - reserved) / factor).quantize(D("0.001")),
            "DIALOGFLAG": "",
            "ENDLEADTME": None,
            "RETURN": bapireturn(),
        }

    # --- customers ---

    def fm_BAPI_CUSTOMER_GETLIST(self, IDRANGE=(), MAXROWS=0, CPDONLY="", **_ignored) -> dict[str, Any]:
        system = self.system
        with system.lock:
            numbers = sorted(system.customers)
        chosen = []
        for number in numbers:
            for sel in IDRANGE or [{"SIGN": "I", "OPTION": "CP", "LOW": "*"}]:
                low, high, option = sel.get("LOW", ""), sel.get("HIGH", ""), sel.get("OPTION", "EQ")
                if (
                    (option == "EQ" and number == low)
                    or (option == "BT" and low <= number <= high)
                    or (option == "CP" and (low == "*" or number.startswith(low.rstrip("*"))))
                ):
                    chosen.append(number)
                    break
        if MAXROWS:
            chosen = chosen[: int(MAXROWS)]
        rows = []
        for number in chosen:
            c = system.customers[number]
            rows.append(
                {
                    "CUSTOMER": number,
                    "NAME": c["NAME1"],
                    "CITY": c["ORT01"],
                    "STREET": c["STRAS"],
                    "POSTL_COD1": c["PSTLZ"],
                    "COUNTRY": c["LAND1"],
                    "TEL1_NUMBR": c["TELF1"],
                }
            )
        return {"ADDRESSDATA": rows, "IDRANGE": list(IDRANGE), "RETURN": bapiret2("", "", "000", "")}

    def fm_BAPI_CUSTOMER_GETDETAIL2(self, CUSTOMERNO="", COMPANYCODE="", **_ignored) -> dict[str, Any]:
        c = self.system.customers.get(CUSTOMERNO)
        if c is None:
            return {
                "CUSTOMERADDRESS": {},
                "CUSTOMERGENERALDETAIL": {},
                "CUSTOMERCOMPANYDETAIL": {},
                "RETURN": bapiret2("E", "F2", "163", f"Customer {unalpha(CUSTOMERNO)} has not been created"),
                "CUSTOMERBANKDETAIL": [],
                "CUSTOMERIBANDETAIL": [],
            }
        address = {
            "CUSTOMER": c["KUNNR"],
            "NAME": c["NAME1"],
            "NAME_2": c["NAME2"],
            "CITY": c["ORT01"],
            "DISTRICT": c["ORT02"],
            "POSTL_COD1": c["PSTLZ"],
            "STREET": c["STRAS"],
            "COUNTRY": c["LAND1"],
            "TELEPHONE1": c["TELF1"],
            "E_MAIL": c["SMTP_ADDR"],
            "CURRENCY": c["WAERS"],
            "LANGU": "T",
        }
        general = {
            "TAX_NO_1": c["STCD1"],
            "TAX_NO_2": c["STCD2"],
            "DELETION_FLAG": c["LOEVM"],
            "ORDER_BLOCK": c["AUFSD"],
        }
        company = {"COMP_CODE": COMPANYCODE, "PMNTTRMS": c["ZTERM"]}
        return {
            "CUSTOMERADDRESS": address,
            "CUSTOMERGENERALDETAIL": general,
            "CUSTOMERCOMPANYDETAIL": company,
            "RETURN": bapiret2("", "", "000", ""),
            "CUSTOMERBANKDETAIL": [],
            "CUSTOMERIBANDETAIL": [],
        }

    # --- pricing ---

    def fm_BAPI_SALESORDER_SIMULATE(self, ORDER_HEADER_IN=None, ORDER_ITEMS_IN=(), ORDER_PARTNERS=(), **_ignored):
        system = self.system
        header = dict(ORDER_HEADER_IN or {})
        sold_to = next((p.get("PARTN_NUMB", "") for p in ORDER_PARTNERS if p.get("PARTN_ROLE") == "AG"), "")
        customer = system.customers.get(sold_to)
        if customer is None:
            return {
                "ORDER_ITEMS_OUT": [],
                "BILLING_PARTY": {},
                "SOLD_TO_PARTY": {},
                "RETURN": bapireturn("E", "V1002", f"Sold-to party {unalpha(sold_to)} not maintained"),
            }
        area = (header.get("SALES_ORG", ""), header.get("DISTR_CHAN", ""), header.get("DIVISION", ""))
        if area not in system.sales_areas:
            return {
                "ORDER_ITEMS_OUT": [],
                "BILLING_PARTY": {},
                "SOLD_TO_PARTY": {},
                "RETURN": bapireturn("E", "V1312", "Sales area is not defined"),
            }
        out = []
        for item in ORDER_ITEMS_IN:
            material = system.materials.get(item.get("MATERIAL", ""))
            raw = str(item.get("REQ_QTY") or "0")
            if not raw.isdigit():
                return {
                    "ORDER_ITEMS_OUT": [],
                    "BILLING_PARTY": {},
                    "SOLD_TO_PARTY": {},
                    "RETURN": bapireturn("E", "V1098", f"REQ_QTY {raw!r} is not NUMC"),
                }
            quantity = D(int(raw)) / 1000
            if material is None or (area[0], area[1]) not in material["sales"]:
                continue  # SAP leaves such items out of the result, with a message in MESSAGETABLE
            unit = item.get("SALES_UNIT") or material["MEINS"]
            factor = _factor(material, unit)
            price = system.prices.get((sold_to, material["MATNR"])) or system.prices.get(("", material["MATNR"]))
            if factor is None or price is None:
                continue
            amount, currency = price
            out.append(
                {
                    "ITM_NUMBER": item.get("ITM_NUMBER", ""),
                    "MATERIAL": material["MATNR"],
                    "REQ_QTY": quantity,
                    "SALES_UNIT": unit,
                    "NET_VALUE": (amount * factor * quantity).quantize(CENT, ROUND_HALF_UP),
                    "SUBTOTAL_1": (amount * factor * quantity).quantize(CENT, ROUND_HALF_UP),
                    "CURRENCY": currency,
                }
            )
        credit = system.credit.get((sold_to, system.credit_area), {})
        billing = {
            "PAYER": sold_to,
            "NAME": customer["NAME1"],
            "C_CTR_AREA": system.credit_area,
            "CRED_LIMIT": credit.get("KLIMK", D(0)),
            "RCVBL_VALS": _receivables(system, sold_to),
            "ORDER_VALS": _open_order_value(system, sold_to),
            "CRED_LIAB": D(0),
            "CURRENCY": credit.get("WAERS", system.currency),
            "ORDER_BLCK": customer["AUFSD"] or ("01" if credit.get("CRBLB") else ""),
        }
        return {
            "ORDER_ITEMS_OUT": out,
            "BILLING_PARTY": billing,
            "SOLD_TO_PARTY": {"SOLD_TO": sold_to},
            "RETURN": bapireturn(),
            "ORDER_ITEMS_IN": list(ORDER_ITEMS_IN),
        }

    # --- orders ---

    def fm_BAPI_SALESORDER_CREATEFROMDAT2(
        self,
        ORDER_HEADER_IN=None,
        ORDER_ITEMS_IN=(),
        ORDER_PARTNERS=(),
        ORDER_SCHEDULES_IN=(),
        ORDER_CONDITIONS_IN=(),
        TESTRUN="",
        **_ignored,
    ) -> dict[str, Any]:
        system = self.system
        header = dict(ORDER_HEADER_IN or {})
        errors: list[dict[str, Any]] = []

        def error(msg_class: str, number: str, text: str, *values: str) -> None:
            errors.append(bapiret2("E", msg_class, number, text, *values))

        kind = header.get("DOC_TYPE", "")
        if kind not in system.order_types:
            error("V1", "380", f"Sales document type {kind} is not defined", kind)
        area = (header.get("SALES_ORG", ""), header.get("DISTR_CHAN", ""), header.get("DIVISION", ""))
        if area not in system.sales_areas:
            error(
                "V1",
                "312",
                f"Sales organization {area[0]} distribution channel {area[1]} division {area[2]} is not defined",
                *area,
            )
        roles = {p.get("PARTN_ROLE", ""): p.get("PARTN_NUMB", "") for p in ORDER_PARTNERS}
        sold_to = roles.get("AG", "")
        customer = system.customers.get(sold_to)
        with system.lock:
            holder = system.locks.get(sold_to)
        if holder:
            errors.append(
                bapiret2(
                    "E",
                    "V1",
                    "042",
                    f"{unalpha(sold_to)} is currently being processed by {holder}",
                    unalpha(sold_to),
                    holder,
                )
            )
        elif not sold_to:
            error("V1", "045", "Enter the sold-to party")
        elif customer is None or customer["LOEVM"]:
            error("V1", "002", f"Sold-to party {sold_to} not maintained for sales area", sold_to)
        elif customer["AUFSD"]:
            error("V1", "048", f"Customer {unalpha(sold_to)} is blocked for sales orders", sold_to)
        ship_to = roles.get("WE", sold_to)
        if customer is not None and ship_to not in (sold_to, *customer["ship_to"]):
            error("V1", "155", f"Ship-to party {ship_to} is not defined for sold-to party {sold_to}", ship_to)
        currency = header.get("CURRENCY") or (customer or {}).get("WAERS") or system.currency
        quantities = Counter()
        for line in ORDER_SCHEDULES_IN:
            quantities[line.get("ITM_NUMBER", "")] += D(str(line.get("REQ_QTY") or 0))
        prices = {}
        for cond in ORDER_CONDITIONS_IN:
            if cond.get("COND_TYPE") not in system.manual_conditions:
                error("V1", "805", f"Condition type {cond.get('COND_TYPE')} cannot be entered manually")
                continue
            if cond.get("CURRENCY") and cond["CURRENCY"] != currency:
                error("V1", "806", f"Condition currency {cond['CURRENCY']} differs from document currency {currency}")
            per = D(str(cond.get("COND_P_UNT") or 1))
            prices[cond.get("ITM_NUMBER", "")] = (D(str(cond.get("COND_VALUE") or 0)) / per, cond.get("COND_UNIT", ""))
        items = []
        if not ORDER_ITEMS_IN:
            error("V1", "761", "No items were entered")
        for item in ORDER_ITEMS_IN:
            position = item.get("ITM_NUMBER", "")
            number = item.get("MATERIAL", "")
            material = system.materials.get(number)
            if material is None:
                error("V1", "392", f"Material {number} does not exist", number)
                continue
            sales = material["sales"].get((area[0], area[1]))
            if sales is None or material["LVORM"]:
                error(
                    "V1",
                    "391",
                    f"Material {unalpha(number)} is not defined for sales org.{area[0]}, distr.chan.{area[1]}",
                    number,
                    area[0],
                    area[1],
                )
                continue
            if sales["VMSTA"] or material["MSTAV"]:
                error("VV", "012", f"Material {unalpha(number)} is blocked for sales", number)
                continue
            unit = item.get("TARGET_QU") or item.get("SALES_UNIT") or sales["VRKME"] or material["MEINS"]
            factor = _factor(material, unit)
            if factor is None:
                error("V1", "510", f"Unit {unit} is not defined for material {unalpha(number)}", unit, number)
                continue
            category = item.get("ITEM_CATEG", "")
            if category and category not in system.item_categories:
                error("V1", "395", f"Item category {category} is not defined", category)
                continue
            plant, location = item.get("PLANT", "") or "1000", item.get("STORE_LOC", "")
            if location and (plant, location) not in system.locations:
                error("M7", "018", f"Storage location {plant} {location} does not exist", plant, location)
                continue
            quantity = quantities.get(position) or D(str(item.get("TARGET_QTY") or 0))
            if quantity <= 0:
                error("V1", "322", f"Item {position}: enter an order quantity", position)
                continue
            manual = prices.get(position)
            if manual is not None:
                per_unit = manual[0] if manual[1] in ("", unit) else manual[0] * factor
            else:
                price = system.prices.get((sold_to, number)) or system.prices.get(("", number))
                if price is None:
                    error("V1", "801", f"Pricing error: mandatory condition PR00 is missing for {unalpha(number)}")
                    continue
                if price[1] != currency:
                    error("V1", "806", f"Price of {unalpha(number)} is in {price[1]}, the document in {currency}")
                    continue
                per_unit = price[0] * factor
            items.append(
                {
                    "POSNR": position,
                    "MATNR": number,
                    "KWMENG": quantity,
                    "VRKME": unit,
                    "PSTYV": category or "TAN",
                    "WERKS": plant,
                    "LGORT": location,
                    "NETWR": (per_unit * quantity).quantize(CENT, ROUND_HALF_UP),
                    "ABGRU": "",
                    "delivered": D(0),
                    "ARKTX": item.get("SHORT_TEXT", "") or material["texts"].get("T", ""),
                }
            )
        if errors:
            # SAP answers with its errors and a final note that nothing was saved.
            errors.append(bapiret2("E", "V4", "219", "Sales document was not changed"))
            return {
                "SALESDOCUMENT": "",
                "RETURN": errors,
                "ORDER_ITEMS_IN": list(ORDER_ITEMS_IN),
                "ORDER_PARTNERS": list(ORDER_PARTNERS),
            }
        if TESTRUN == "X":
            return {"SALESDOCUMENT": "", "RETURN": [bapiret2("S", "V1", "311", "Test run successful")]}
        with system.lock:
            vbeln = system._next("order")
        order = {
            "VBELN": vbeln,
            "ERDAT": _dats(system.today),
            "AEDAT": _dats(system.today),
            "AUART": kind,
            "VKORG": area[0],
            "VTWEG": area[1],
            "SPART": area[2],
            "KUNNR": sold_to,
            "KUNWE": ship_to,
            "BSTNK": header.get("PURCH_NO_C", ""),
            "PURCH_NO_S": header.get("PURCH_NO_S", ""),
            "REF_1": header.get("REF_1", ""),
            "PURCH_DATE": header.get("PURCH_DATE"),
            "REQ_DATE_H": header.get("REQ_DATE_H"),
            "WAERK": currency,
            "NETWR": sum((i["NETWR"] for i in items), D(0)),
            "items": items,
        }

        def save() -> None:
            with system.lock:
                system.orders[vbeln] = order

        self._luw.append(save)
        name = ORDER_TYPE_NAMES.get(kind, "Sales document")
        messages = [
            bapiret2("S", "V4", "233", "SALES_HEADER_IN has been processed successfully", "VBAKKOM"),
            *(
                bapiret2("S", "V4", "233", "SALES_ITEM_IN has been processed successfully", "VBAPKOM", i["POSNR"])
                for i in items
            ),
            bapiret2("S", "V1", "311", f"{name} {unalpha(vbeln)} has been saved", name, unalpha(vbeln)),
        ]
        return {
            "SALESDOCUMENT": vbeln,
            "RETURN": messages,
            "ORDER_ITEMS_IN": list(ORDER_ITEMS_IN),
            "ORDER_PARTNERS": list(ORDER_PARTNERS),
        }

    def fm_BAPI_SALESORDER_GETLIST(
        self,
        CUSTOMER_NUMBER="",
        SALES_ORGANIZATION="",
        PURCHASE_ORDER_NUMBER="",
        DOCUMENT_DATE=None,
        DOCUMENT_DATE_TO=None,
        **_ignored,
    ):
        system = self.system
        if not CUSTOMER_NUMBER or not SALES_ORGANIZATION:
            return {"SALES_ORDERS": [], "RETURN": bapireturn("E", "V4001", "Customer and sales organization required")}
        rows = []
        with system.lock:
            for order in system.orders.values():
                if order["KUNNR"] != CUSTOMER_NUMBER or order["VKORG"] != SALES_ORGANIZATION:
                    continue
                if PURCHASE_ORDER_NUMBER and order["BSTNK"] != PURCHASE_ORDER_NUMBER:
                    continue
                for item in order["items"]:
                    rows.append(
                        {
                            "SD_DOC": order["VBELN"],
                            "ITM_NUMBER": item["POSNR"],
                            "MATERIAL": item["MATNR"],
                            "SHORT_TEXT": item["ARKTX"],
                            "DOC_TYPE": order["AUART"],
                            "DOC_DATE": _date(order["ERDAT"]),
                            "REQ_QTY": item["KWMENG"],
                            "PURCH_NO": order["BSTNK"][:20],
                            "PURCH_NO_C": order["BSTNK"],
                            "SOLD_TO": order["KUNNR"],
                            "NET_VAL_HD": order["NETWR"],
                            "CURRENCY": order["WAERK"],
                            "SALES_ORG": order["VKORG"],
                            "DOC_STATUS": system._overall(order),
                            "REA_FOR_RE": item["ABGRU"],
                        }
                    )
        return {"SALES_ORDERS": rows, "RETURN": bapireturn()}

    def fm_BAPI_SALESORDER_GETSTATUS(self, SALESDOCUMENT="", **_ignored) -> dict[str, Any]:
        system = self.system
        with system.lock:
            order = system.orders.get(SALESDOCUMENT)
            if order is None:
                return {
                    "STATUSINFO": [],
                    "RETURN": bapireturn("E", "V1302", f"Sales document {unalpha(SALESDOCUMENT)} not found"),
                }
            header = system._overall(order)
            rows = []
            for item in order["items"]:
                base = {
                    "DOC_NUMBER": order["VBELN"],
                    "DOC_DATE": _date(order["ERDAT"]),
                    "PURCH_NO": order["BSTNK"][:20],
                    "PURCH_NO_C": order["BSTNK"],
                    "PRC_STAT_H": "C",
                    "DLV_STAT_H": header,
                    "ITM_NUMBER": item["POSNR"],
                    "MATERIAL": item["MATNR"],
                    "SHORT_TEXT": item["ARKTX"],
                    "REQ_QTY": item["KWMENG"],
                    "SALES_UNIT": item["VRKME"],
                    "CUM_CF_QTY": item["KWMENG"],
                    "NET_VALUE": item["NETWR"],
                    "CURRENCY": order["WAERK"],
                    "DLV_STAT_I": "C" if item["delivered"] >= item["KWMENG"] else "B" if item["delivered"] else "A",
                    "REA_FOR_RE": item["ABGRU"],
                    "DELIV_NUMB": "",
                    "DELIV_ITEM": "000000",
                    "DELIV_DATE": None,
                    "DLV_QTY": D(0),
                }
                deliveries = [
                    (number, delivery, line)
                    for number, delivery in system.deliveries.items()
                    if delivery["order"] == order["VBELN"]
                    for line in delivery["items"]
                    if line["POSNR"] == item["POSNR"]
                ]
                if not deliveries:
                    rows.append(base)
                for number, delivery, line in deliveries:
                    rows.append(
                        {
                            **base,
                            "DELIV_NUMB": number,
                            "DELIV_ITEM": line["POSNR"],
                            "DELIV_DATE": delivery["date"],
                            "DLV_QTY": line["qty"],
                        }
                    )
        return {"STATUSINFO": rows, "RETURN": bapireturn()}

    def fm_BAPI_SALESORDER_CHANGE(
        self, SALESDOCUMENT="", ORDER_HEADER_INX=None, ORDER_ITEM_IN=(), ORDER_ITEM_INX=(), **_ignored
    ):
        system = self.system
        with system.lock:
            order = system.orders.get(SALESDOCUMENT)
            holder = system.locks.get(SALESDOCUMENT)
        if holder:
            return {
                "RETURN": [
                    bapiret2(
                        "E",
                        "V1",
                        "042",
                        f"Sales document {unalpha(SALESDOCUMENT)} is currently being processed by {holder}",
                        unalpha(SALESDOCUMENT),
                        holder,
                    )
                ]
            }
        if order is None:
            return {"RETURN": [bapiret2("E", "V1", "302", f"Sales document {SALESDOCUMENT} is not in the database")]}
        if (ORDER_HEADER_INX or {}).get("UPDATEFLAG") != "U":
            return {"RETURN": [bapiret2("E", "V1", "518", "ORDER_HEADER_INX-UPDATEFLAG must be U")]}
        flagged = {row.get("ITM_NUMBER"): row for row in ORDER_ITEM_INX if row.get("UPDATEFLAG") == "U"}
        changes, errors = [], []
        for row in ORDER_ITEM_IN:
            position = row.get("ITM_NUMBER", "")
            if position not in flagged or flagged[position].get("REASON_REJ") != "X":
                continue
            item = next((i for i in order["items"] if i["POSNR"] == position), None)
            reason = row.get("REASON_REJ", "")
            if item is None:
                errors.append(bapiret2("E", "V1", "331", f"Item {position} does not exist"))
            elif reason not in system.rejection_reasons:
                errors.append(bapiret2("E", "V1", "399", f"Reason for rejection {reason} is not defined"))
            elif item["delivered"]:
                errors.append(
                    bapiret2(
                        "E", "V1", "082", f"Item {position} has already been delivered; it cannot be rejected", position
                    )
                )
            else:
                changes.append((item, reason))
        if errors:
            return {"RETURN": [*errors, bapiret2("E", "V4", "219", "Sales document was not changed")]}

        def save() -> None:
            with system.lock:
                for item, reason in changes:
                    item["ABGRU"] = reason
                order["AEDAT"] = _dats(system.today)

        self._luw.append(save)
        return {"RETURN": [bapiret2("S", "V1", "311", f"Standard Order {unalpha(SALESDOCUMENT)} has been saved")]}

    # --- accounts receivable ---

    def fm_BAPI_AR_ACC_GETOPENITEMS(self, COMPANYCODE="", CUSTOMER="", KEYDATE=None, **_ignored):
        system = self.system
        key = _date(KEYDATE) or system.today
        with system.lock:
            rows = [
                dict(r)
                for r in system.ar_items
                if r["CUSTOMER"] == CUSTOMER
                and r["COMP_CODE"] == COMPANYCODE
                and r["PSTNG_DATE"] <= key
                and (r["CLEAR_DATE"] is None or r["CLEAR_DATE"] > key)
            ]
        return {"LINEITEMS": rows, "RETURN": bapiret2("", "", "000", "")}

    def fm_BAPI_AR_ACC_GETSTATEMENT(self, COMPANYCODE="", CUSTOMER="", DATE_FROM=None, DATE_TO=None, **_ignored):
        system = self.system
        start, end = _date(DATE_FROM) or date(1900, 1, 1), _date(DATE_TO) or date(9999, 12, 31)
        with system.lock:
            rows = [
                dict(r)
                for r in system.ar_items
                if r["CUSTOMER"] == CUSTOMER and r["COMP_CODE"] == COMPANYCODE and start <= r["PSTNG_DATE"] <= end
            ]
        return {"LINEITEMS": rows, "RETURN": bapiret2("", "", "000", "")}


def _factor(material: dict[str, Any], unit: str) -> Decimal | None:
    """Base units in one ``unit`` of the material (MARM: UMREZ/UMREN), None when the material has no such unit."""
    if unit == material["MEINS"]:
        return D(1)
    conversion = material["units"].get(unit)
    if conversion is None:
        return None
    return D(conversion[0]) / D(conversion[1])


def _receivables(system: SapSystem, customer: str) -> Decimal:
    return sum(
        (
            (r["LC_AMOUNT"] if r["DB_CR_IND"] == "S" else -r["LC_AMOUNT"])
            for r in system.ar_items
            if r["CUSTOMER"] == customer and r["CLEAR_DATE"] is None
        ),
        D(0),
    )


def _open_order_value(system: SapSystem, customer: str) -> Decimal:
    return sum(
        (o["NETWR"] for o in system.orders.values() if o["KUNNR"] == customer and system._overall(o) != "C"), D(0)
    )


_REGISTRY: dict[str, SapSystem] = {}


def register(name: str, system: SapSystem) -> SapSystem:
    """Make ``system`` reachable by name (the ``simulator`` transport of a connection names it)."""
    _REGISTRY[name] = system
    return system


def unregister(name: str) -> None:
    _REGISTRY.pop(name, None)


def registered(name: str) -> SapSystem | None:
    return _REGISTRY.get(name)


__all__ = [
    "Fault",
    "SapSystem",
    "SimConnection",
    "alpha",
    "register",
    "registered",
    "timedelta",
    "unalpha",
    "unregister",
]
