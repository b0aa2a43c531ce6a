"""One Logo firm in memory, held in a real SQLite database whose tables are named and shaped like Logo's
(``LG_<firm>_ITEMS``, ``LG_<firm>_<period>_ORFICHE``, ``L_CAPIWHOUSE``…), so the SQL the adapter sends through
``queries?tsql=`` runs against the same rows the REST resources render.

Only the columns the portal reads or the simulator needs are kept (a real ``ITEMS`` has some 200); names follow
Logo's schema, including its spellings (``CAPIBLOCK_CREADEDDATE``). Dates are stored as ``YYYY-MM-DD HH:MM:SS``
text, the way a ``datetime`` column compares in T-SQL; audit times are kept Logo's way: the date at midnight in
``CAPIBLOCK_MODIFIEDDATE`` and the time in ``…HOUR``/``…MIN``/``…SEC``.

Every change goes through a method here, under ``lock``: slip numbers, stock totals (``GNTOTST`` per warehouse and
for ``INVENNO = -1``, with a dated ``STINVTOT`` row per movement), the customer's ledger lines (``CLFLINE``) and the
audit columns are kept consistent as Logo keeps them.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

# Logo's order slip statuses (ORFICHE.STATUS): 1 suggestion (öneri), 2 not to be shipped, 4 to be shipped.
STATUS_SUGGESTION, STATUS_BLOCKED, STATUS_APPROVED = 1, 2, 4
# TRCODEs: ORFICHE 1 sales order; STFICHE 8 wholesale sales dispatch; INVOICE 8 wholesale sales invoice (GRPCODE 2);
# CLFLINE 38 wholesale sales invoice, 20 bank transfer received, 1 cash collection.
TR_SALES_ORDER = 1
TR_SALES_DISPATCH = 8
TR_SALES_INVOICE = 8
CL_INVOICE, CL_BANK_IN, CL_CASH_IN = 38, 20, 1
# ARP slips (CLFICHE, "cari hesap fişleri") and their CLFLINE TRCODEs: 3 debit note (borç dekontu), 4 credit note
# (alacak dekontu).
CL_DEBIT_NOTE, CL_CREDIT_NOTE = 3, 4
# Logo's currency numbers (L_CURRENCYLIST): 0 or 160 local (TL), 1 USD, 17 GBP, 20 EUR.
CURRENCIES = {0: "TRY", 160: "TRY", 1: "USD", 17: "GBP", 20: "EUR"}
AUDIT = (
    "CAPIBLOCK_CREATEDBY INTEGER DEFAULT 1, CAPIBLOCK_CREADEDDATE TEXT, CAPIBLOCK_CREATEDHOUR INTEGER, "
    "CAPIBLOCK_CREATEDMIN INTEGER, CAPIBLOCK_CREATEDSEC INTEGER, CAPIBLOCK_MODIFIEDBY INTEGER, "
    "CAPIBLOCK_MODIFIEDDATE TEXT, CAPIBLOCK_MODIFIEDHOUR INTEGER, CAPIBLOCK_MODIFIEDMIN INTEGER, "
    "CAPIBLOCK_MODIFIEDSEC INTEGER"
)
FIRM_TABLES = {
    "ITEMS": "LOGICALREF INTEGER PRIMARY KEY, ACTIVE INTEGER DEFAULT 0, CARDTYPE INTEGER DEFAULT 1, CODE TEXT UNIQUE, "
    "NAME TEXT, NAME3 TEXT, STGRPCODE TEXT, SPECODE TEXT, PRODUCERCODE TEXT, VAT REAL, SELLVAT REAL, "
    "RETURNVAT REAL, UNITSETREF INTEGER, TRACKTYPE INTEGER DEFAULT 0, LOCTRACKING INTEGER DEFAULT 0, "
    f"MARKREF INTEGER DEFAULT 0, {AUDIT}",
    "MARK": "LOGICALREF INTEGER PRIMARY KEY, CODE TEXT, DESCR TEXT",
    "UNITSETF": f"LOGICALREF INTEGER PRIMARY KEY, CODE TEXT UNIQUE, NAME TEXT, CARDTYPE INTEGER DEFAULT 0, {AUDIT}",
    "UNITSETL": "LOGICALREF INTEGER PRIMARY KEY, UNITSETREF INTEGER, CODE TEXT, NAME TEXT, LINENR INTEGER, "
    "MAINUNIT INTEGER DEFAULT 0, CONVFACT1 REAL DEFAULT 1, CONVFACT2 REAL DEFAULT 1",
    "ITMUNITA": "LOGICALREF INTEGER PRIMARY KEY, ITEMREF INTEGER, UNITLINEREF INTEGER, LINENR INTEGER, "
    "BARCODE TEXT, SALESCLAS INTEGER DEFAULT 1, CONVFACT1 REAL DEFAULT 1, CONVFACT2 REAL DEFAULT 1",
    "CLCARD": "LOGICALREF INTEGER PRIMARY KEY, ACTIVE INTEGER DEFAULT 0, CARDTYPE INTEGER DEFAULT 1, CODE TEXT UNIQUE, "
    "DEFINITION_ TEXT, DEFINITION2 TEXT, TAXNR TEXT, TCKNO TEXT, ISPERSCOMP INTEGER DEFAULT 0, TAXOFFICE TEXT, "
    "ADDR1 TEXT, ADDR2 TEXT, CITY TEXT, TOWN TEXT, COUNTRY TEXT, POSTCODE TEXT, TELNRS1 TEXT, EMAILADDR TEXT, "
    "PAYMENTREF INTEGER DEFAULT 0, DISCRATE REAL DEFAULT 0, BLOCKED INTEGER DEFAULT 0, CCURRENCY INTEGER DEFAULT 0, "
    f"TRADINGGRP TEXT, SPECODE TEXT, CYPHCODE TEXT, {AUDIT}",
    "CLRNUMS": "LOGICALREF INTEGER PRIMARY KEY, CLCARDREF INTEGER UNIQUE, ACCRISKLIMIT REAL DEFAULT 0, "
    "ORDRISKLIMIT REAL DEFAULT 0",
    "SHIPINFO": "LOGICALREF INTEGER PRIMARY KEY, CLIENTREF INTEGER, CODE TEXT, NAME TEXT, ADDR1 TEXT, ADDR2 TEXT, "
    "CITY TEXT, TOWN TEXT, COUNTRY TEXT, POSTCODE TEXT, TELNRS1 TEXT, ACTIVE INTEGER DEFAULT 0",
    "SLSCLREL": "LOGICALREF INTEGER PRIMARY KEY, SALESMANREF INTEGER, CLIENTREF INTEGER",
    "PAYPLANS": "LOGICALREF INTEGER PRIMARY KEY, CODE TEXT UNIQUE, DEFINITION_ TEXT",
    "PRCLIST": "LOGICALREF INTEGER PRIMARY KEY, CARDREF INTEGER, CODE TEXT, DEFINITION_ TEXT, CLIENTCODE TEXT, "
    "CLSPECODE TEXT, PAYPLANREF INTEGER DEFAULT 0, PRICE REAL, UOMREF INTEGER DEFAULT 0, INCVAT INTEGER DEFAULT 0, "
    "CURRENCY INTEGER DEFAULT 160, PRIORITY INTEGER DEFAULT 0, PTYPE INTEGER DEFAULT 2, BEGDATE TEXT, ENDDATE TEXT, "
    f"ACTIVE INTEGER DEFAULT 0, {AUDIT}",
}
PERIOD_TABLES = {
    "GNTOTST": "LOGICALREF INTEGER PRIMARY KEY, STOCKREF INTEGER, INVENNO INTEGER, ONHAND REAL DEFAULT 0, "
    "RESERVED REAL DEFAULT 0, ACTSORDER REAL DEFAULT 0, SHIPPED REAL DEFAULT 0, UNIQUE (STOCKREF, INVENNO)",
    "STINVTOT": "LOGICALREF INTEGER PRIMARY KEY, STOCKREF INTEGER, INVENNO INTEGER, DATE_ TEXT, ONHAND REAL DEFAULT 0, "
    "RESERVED REAL DEFAULT 0, ACTSORDER REAL DEFAULT 0, SHIPPED REAL DEFAULT 0",
    "ORFICHE": "LOGICALREF INTEGER PRIMARY KEY, TRCODE INTEGER, FICHENO TEXT, DATE_ TEXT, TIME_ INTEGER, DOCODE TEXT, "
    "SPECODE TEXT, CLIENTREF INTEGER, SHIPINFOREF INTEGER DEFAULT 0, SOURCEINDEX INTEGER DEFAULT 0, STATUS INTEGER, "
    "GROSSTOTAL REAL, NETTOTAL REAL, TOTALVAT REAL, TOTALDISCOUNTED REAL, TRCURR INTEGER DEFAULT 0, "
    "TRRATE REAL DEFAULT 0, "
    f"CANCELLED INTEGER DEFAULT 0, GENEXP1 TEXT, GUID TEXT, SALESMANREF INTEGER DEFAULT 0, {AUDIT}",
    "ORFLINE": "LOGICALREF INTEGER PRIMARY KEY, ORDFICHEREF INTEGER, CLIENTREF INTEGER, STOCKREF INTEGER, "
    "TRCODE INTEGER, LINETYPE INTEGER DEFAULT 0, LINENO_ INTEGER, DATE_ TEXT, AMOUNT REAL, PRICE REAL, TOTAL REAL, "
    "SHIPPEDAMOUNT REAL DEFAULT 0, DISCPER REAL DEFAULT 0, VAT REAL, VATAMNT REAL, UOMREF INTEGER, USREF INTEGER, "
    "UINFO1 REAL DEFAULT 1, UINFO2 REAL DEFAULT 1, CLOSED INTEGER DEFAULT 0, DUEDATE TEXT, "
    "SOURCEINDEX INTEGER DEFAULT 0, STATUS INTEGER, CANCELLED INTEGER DEFAULT 0, LINEEXP TEXT, "
    "PRCURR INTEGER DEFAULT 0, PRPRICE REAL DEFAULT 0",
    "STFICHE": "LOGICALREF INTEGER PRIMARY KEY, GRPCODE INTEGER DEFAULT 2, TRCODE INTEGER, FICHENO TEXT, DATE_ TEXT, "
    "DOCODE TEXT, CLIENTREF INTEGER, INVOICEREF INTEGER DEFAULT 0, SOURCEINDEX INTEGER DEFAULT 0, NETTOTAL REAL, "
    "GROSSTOTAL REAL, TOTALVAT REAL, TRCURR INTEGER DEFAULT 0, CANCELLED INTEGER DEFAULT 0, SHPAGNCOD TEXT, "
    f"TRACKNR TEXT, GUID TEXT, EDESPATCH INTEGER DEFAULT 0, {AUDIT}",
    "STLINE": "LOGICALREF INTEGER PRIMARY KEY, STFICHEREF INTEGER, INVOICEREF INTEGER DEFAULT 0, "
    "ORDFICHEREF INTEGER DEFAULT 0, ORDTRANSREF INTEGER DEFAULT 0, STOCKREF INTEGER, TRCODE INTEGER, "
    "LINETYPE INTEGER DEFAULT 0, AMOUNT REAL, PRICE REAL, TOTAL REAL, VAT REAL, SOURCEINDEX INTEGER DEFAULT 0, "
    "CLIENTREF INTEGER, DATE_ TEXT",
    "INVOICE": "LOGICALREF INTEGER PRIMARY KEY, GRPCODE INTEGER DEFAULT 2, TRCODE INTEGER, FICHENO TEXT, DATE_ TEXT, "
    "DOCODE TEXT, CLIENTREF INTEGER, NETTOTAL REAL, GROSSTOTAL REAL, TOTALVAT REAL, TRCURR INTEGER DEFAULT 0, "
    f"CANCELLED INTEGER DEFAULT 0, GUID TEXT, EINVOICE INTEGER DEFAULT 0, PROFILEID INTEGER DEFAULT 0, {AUDIT}",
    "CLFLINE": "LOGICALREF INTEGER PRIMARY KEY, CLIENTREF INTEGER, DATE_ TEXT, MODULENR INTEGER, TRCODE INTEGER, "
    "TRANNO TEXT, DOCODE TEXT, LINEEXP TEXT, SIGN INTEGER, AMOUNT REAL, TRCURR INTEGER DEFAULT 0, TRNET REAL, "
    f"SOURCEFREF INTEGER, PAYDEFREF INTEGER DEFAULT 0, CANCELLED INTEGER DEFAULT 0, {AUDIT}",
    "GNTOTCL": "LOGICALREF INTEGER PRIMARY KEY, CARDREF INTEGER, TOTTYP INTEGER DEFAULT 1, DEBIT REAL DEFAULT 0, "
    "CREDIT REAL DEFAULT 0, UNIQUE (CARDREF, TOTTYP)",
    "CLFICHE": "LOGICALREF INTEGER PRIMARY KEY, TRCODE INTEGER, FICHENO TEXT, DATE_ TEXT, DOCODE TEXT, GENEXP1 TEXT, "
    "DEBITTOT REAL DEFAULT 0, CREDITTOT REAL DEFAULT 0, TRCURR INTEGER DEFAULT 0, CANCELLED INTEGER DEFAULT 0, "
    f"{AUDIT}",
    "BNFICHE": "LOGICALREF INTEGER PRIMARY KEY, TRCODE INTEGER, FICHENO TEXT, DATE_ TEXT, DOCODE TEXT, "
    f"BANKACCCODE TEXT, TOTAL REAL, CANCELLED INTEGER DEFAULT 0, {AUDIT}",
    "KSLINES": "LOGICALREF INTEGER PRIMARY KEY, TRCODE INTEGER, FICHENO TEXT, DATE_ TEXT, DOCODE TEXT, CARDREF TEXT, "
    f"CLIENTREF INTEGER, AMOUNT REAL, CANCELLED INTEGER DEFAULT 0, {AUDIT}",
}
GLOBAL_TABLES = {
    "L_CAPIWHOUSE": "LOGICALREF INTEGER PRIMARY KEY, FIRMNR INTEGER, NR INTEGER, NAME TEXT, DIVISNR INTEGER DEFAULT 0",
    "L_CAPIFIRM": "LOGICALREF INTEGER PRIMARY KEY, NR INTEGER, NAME TEXT",
    # Sales representatives (satış elemanları) are kept across firms, each row naming its firm.
    "LG_SLSMAN": "LOGICALREF INTEGER PRIMARY KEY, FIRMNR INTEGER, CODE TEXT, DEFINITION_ TEXT, "
    "ACTIVE INTEGER DEFAULT 0",
    # Daily exchange rates (RATES1: the buying rate, local currency per unit) by currency number.
    "L_DAILYEXCHANGES": "LREF INTEGER PRIMARY KEY, DATE_ TEXT, CRTYPE INTEGER, RATES1 REAL, RATES2 REAL",
    "L_CAPIPERIOD": "LOGICALREF INTEGER PRIMARY KEY, FIRMNR INTEGER, NR INTEGER, BEGDATE TEXT, ENDDATE TEXT, "
    "ACTIVE INTEGER",
}


class LogoBusinessError(Exception):
    """Logo refused the content: ``message`` is Logo's own (Turkish) text, ``key`` the ModelState key it goes under."""

    def __init__(self, message: str, *, key: str = "207") -> None:
        super().__init__(message)
        self.message = message
        self.key = key


def sql_date(value: date | datetime | str | None) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    return f"{value:%Y-%m-%d} 00:00:00"


def packed_time(when: datetime) -> int:
    """Logo's packed TIME: h·2^24 + m·2^16 + s·2^8."""
    return (when.hour << 24) + (when.minute << 16) + (when.second << 8)


class Firm:
    """Firm ``firm`` (``LG_001_…``) with periods ``periods`` (``LG_001_01_…``); ``period`` is the working one.
    ``clock`` is the firm's time (a test moves it with ``advance``)."""

    def __init__(self, firm: int = 1, periods: Iterable[int] = (1, 2), period: int | None = None) -> None:
        self.firm = firm
        self.periods = tuple(periods)
        self.period = period if period is not None else self.periods[-1]
        self.lock = threading.RLock()
        self.now = datetime(2026, 3, 1, 9, 0, 0)
        self.deleted: list[tuple[str, dict[str, Any]]] = []  # (resource, header row) of slips deleted
        self.db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self._create()

    # -- names and schema -------------------------------------------------------------------------------------------

    def t(self, name: str) -> str:
        return f"LG_{self.firm:03d}_{name}"

    def p(self, name: str, period: int | None = None) -> str:
        return f"LG_{self.firm:03d}_{period or self.period:02d}_{name}"

    def _create(self) -> None:
        for name, columns in GLOBAL_TABLES.items():
            self.db.execute(f"CREATE TABLE {name} ({columns})")
        for name, columns in FIRM_TABLES.items():
            self.db.execute(f"CREATE TABLE {self.t(name)} ({columns})")
        for period in self.periods:
            for name, columns in PERIOD_TABLES.items():
                self.db.execute(f"CREATE TABLE {self.p(name, period)} ({columns})")
        self.db.execute("INSERT INTO L_CAPIFIRM (NR, NAME) VALUES (?, ?)", (self.firm, "Demo Dağıtım A.Ş."))
        for index, period in enumerate(self.periods):
            year = 2026 - len(self.periods) + 1 + index
            self.db.execute(
                "INSERT INTO L_CAPIPERIOD (FIRMNR, NR, BEGDATE, ENDDATE, ACTIVE) VALUES (?, ?, ?, ?, ?)",
                (self.firm, period, f"{year}-01-01 00:00:00", f"{year}-12-31 00:00:00", int(period == self.period)),
            )

    # -- plumbing ---------------------------------------------------------------------------------------------------

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def audit(self, *, created: bool) -> dict[str, Any]:
        stamp = {
            "CAPIBLOCK_MODIFIEDBY": 1,
            "CAPIBLOCK_MODIFIEDDATE": sql_date(self.now),
            "CAPIBLOCK_MODIFIEDHOUR": self.now.hour,
            "CAPIBLOCK_MODIFIEDMIN": self.now.minute,
            "CAPIBLOCK_MODIFIEDSEC": self.now.second,
        }
        if created:
            stamp.update(
                CAPIBLOCK_CREATEDBY=1,
                CAPIBLOCK_CREADEDDATE=sql_date(self.now),
                CAPIBLOCK_CREATEDHOUR=self.now.hour,
                CAPIBLOCK_CREATEDMIN=self.now.minute,
                CAPIBLOCK_CREATEDSEC=self.now.second,
            )
        return stamp

    def insert(self, table: str, values: Mapping[str, Any]) -> int:
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        cursor = self.db.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({marks})", [_plain(v) for v in values.values()]
        )
        return int(cursor.lastrowid)

    def update(self, table: str, ref: int, values: Mapping[str, Any]) -> None:
        assignments = ", ".join(f"{column} = ?" for column in values)
        self.db.execute(f"UPDATE {table} SET {assignments} WHERE LOGICALREF = ?", [*map(_plain, values.values()), ref])

    def rows(self, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
        return [dict(row) for row in self.db.execute(sql, tuple(params)).fetchall()]

    def row(self, sql: str, params: Iterable[Any] = ()) -> dict[str, Any] | None:
        found = self.rows(sql, params)
        return found[0] if found else None

    def touch(self, table: str, ref: int) -> None:
        self.update(table, ref, self.audit(created=False))

    # -- master data ------------------------------------------------------------------------------------------------

    def add_warehouse(self, number: int, name: str) -> int:
        return self.insert("L_CAPIWHOUSE", {"FIRMNR": self.firm, "NR": number, "NAME": name})

    def add_unit_set(self, code: str, name: str, units: Iterable[tuple[str, str, float]]) -> int:
        """A unit set and its units ``(code, name, base units per unit)``; the first unit is the main one."""
        ref = self.insert(self.t("UNITSETF"), {"CODE": code, "NAME": name, **self.audit(created=True)})
        for number, (unit, unit_name, factor) in enumerate(units, start=1):
            self.insert(
                self.t("UNITSETL"),
                {
                    "UNITSETREF": ref,
                    "CODE": unit,
                    "NAME": unit_name,
                    "LINENR": number,
                    "MAINUNIT": int(number == 1),
                    "CONVFACT1": 1,
                    "CONVFACT2": factor,
                },
            )
        return ref

    def unit_line(self, unitset_ref: int, code: str) -> dict[str, Any] | None:
        return self.row(f"SELECT * FROM {self.t('UNITSETL')} WHERE UNITSETREF = ? AND CODE = ?", (unitset_ref, code))

    def add_mark(self, code: str, name: str) -> int:
        return self.insert(self.t("MARK"), {"CODE": code, "DESCR": name})

    def add_item(
        self,
        code: str,
        name: str,
        unit_set: str,
        *,
        vat: float | None = 20,
        barcodes: Mapping[str, str] | None = None,
        not_sold: Iterable[str] = (),
        **columns: Any,
    ) -> int:
        """An item card on unit set ``unit_set`` (its code), with a barcode per unit (``{"KOLI": "869…"}``); units in
        ``not_sold`` are kept off sales (``SALESCLAS`` 0)."""
        unitset = self.row(f"SELECT LOGICALREF FROM {self.t('UNITSETF')} WHERE CODE = ?", (unit_set,))
        if unitset is None:
            raise LogoBusinessError(f"Birim seti bulunamadı: {unit_set}")
        values = {
            "CODE": code,
            "NAME": name,
            "VAT": vat,
            "SELLVAT": vat,
            "RETURNVAT": vat,
            "UNITSETREF": unitset["LOGICALREF"],
            **self.audit(created=True),
            **columns,
        }
        ref = self.insert(self.t("ITEMS"), values)
        lines = self.rows(
            f"SELECT * FROM {self.t('UNITSETL')} WHERE UNITSETREF = ? ORDER BY LINENR", (unitset["LOGICALREF"],)
        )
        barcodes = dict(barcodes or {})
        blocked = set(not_sold)
        for line in lines:
            self.insert(
                self.t("ITMUNITA"),
                {
                    "ITEMREF": ref,
                    "UNITLINEREF": line["LOGICALREF"],
                    "LINENR": line["LINENR"],
                    "BARCODE": barcodes.get(line["CODE"]),
                    "SALESCLAS": 0 if line["CODE"] in blocked else 1,
                    "CONVFACT1": line["CONVFACT1"],
                    "CONVFACT2": line["CONVFACT2"],
                },
            )
        return ref

    def item(self, code: str) -> dict[str, Any] | None:
        return self.row(f"SELECT * FROM {self.t('ITEMS')} WHERE CODE = ?", (code,))

    def change_item(self, code: str, **columns: Any) -> None:
        found = self.item(code)
        if found is None:
            raise LogoBusinessError(f"Malzeme kartı bulunamadı: {code}")
        self.update(self.t("ITEMS"), found["LOGICALREF"], {**columns, **self.audit(created=False)})

    def add_salesman(self, code: str, name: str, *, active: bool = True) -> int:
        return self.insert(
            "LG_SLSMAN", {"FIRMNR": self.firm, "CODE": code, "DEFINITION_": name, "ACTIVE": int(not active)}
        )

    def salesman(self, code: str) -> dict[str, Any] | None:
        return self.row("SELECT * FROM LG_SLSMAN WHERE FIRMNR = ? AND CODE = ?", (self.firm, code))

    def assign_salesman(self, customer: str, code: str) -> None:
        """The sales representative ``code`` looks after ``customer`` (``SLSCLREL``); the card counts as changed."""
        found, rep = self.customer(customer), self.salesman(code)
        if found is None or rep is None:
            raise LogoBusinessError(f"Cari hesap veya satış elemanı bulunamadı: {customer} / {code}")
        self.insert(self.t("SLSCLREL"), {"SALESMANREF": rep["LOGICALREF"], "CLIENTREF": found["LOGICALREF"]})
        self.touch(self.t("CLCARD"), found["LOGICALREF"])

    def set_rate(self, currency: int, rate: float, day: date | None = None) -> None:
        """Logo's daily rate of ``currency`` (local currency per unit) for ``day`` (today by the firm's clock)."""
        self.insert("L_DAILYEXCHANGES", {"DATE_": sql_date(day or self.now.date()), "CRTYPE": currency, "RATES1": rate})

    def rate(self, currency: int, day: date) -> float:
        found = self.row(
            "SELECT RATES1 FROM L_DAILYEXCHANGES WHERE CRTYPE = ? AND DATE_ = ? AND RATES1 > 0",
            (currency, sql_date(day)),
        )
        if found is None:
            raise LogoBusinessError(f"Kur bilgisi bulunamadı: {CURRENCIES.get(currency, currency)} {day:%d.%m.%Y}")
        return float(found["RATES1"])

    def add_payplan(self, code: str, name: str) -> int:
        return self.insert(self.t("PAYPLANS"), {"CODE": code, "DEFINITION_": name})

    def add_customer(self, code: str, title: str, *, risk_limit: float | None = None, **columns: Any) -> int:
        ref = self.insert(self.t("CLCARD"), {"CODE": code, "DEFINITION_": title, **self.audit(created=True), **columns})
        if risk_limit is not None:
            self.insert(self.t("CLRNUMS"), {"CLCARDREF": ref, "ACCRISKLIMIT": risk_limit, "ORDRISKLIMIT": risk_limit})
        return ref

    def customer(self, code: str) -> dict[str, Any] | None:
        return self.row(f"SELECT * FROM {self.t('CLCARD')} WHERE CODE = ?", (code,))

    def create_customer(self, body: Mapping[str, Any]) -> int:
        """A customer card (``CLCARD``) from an ``AR_AP`` transfer body (REST ``Arps`` POST, or SOAP data type 30), as
        Logo checks it: a code and a title, a code no other card has, a 10-digit tax number (``TAX_ID``) or an
        11-digit TC identity number (``TCKNO``, ``PERSCOMPANY`` 1), a known payment plan, and the currency's number."""
        code = str(body.get("CODE") or "").strip()
        title = str(body.get("TITLE") or "").strip()
        if not code:
            raise LogoBusinessError("Cari hesap kodu girilmelidir.")
        if len(code) > 17:
            raise LogoBusinessError("Cari hesap kodu en fazla 17 karakter olabilir.")
        if not title:
            raise LogoBusinessError("Cari hesap unvanı girilmelidir.")
        if self.customer(code) is not None:
            raise LogoBusinessError(f"Bu kodla kayıtlı bir cari hesap kartı zaten var: {code}")
        tax_id, tckno = str(body.get("TAX_ID") or "").strip(), str(body.get("TCKNO") or "").strip()
        person = int(body.get("PERSCOMPANY") or 0)
        if tax_id and not (tax_id.isdigit() and len(tax_id) == 10):
            raise LogoBusinessError(f"Vergi numarası 10 haneli olmalıdır: {tax_id}")
        if tckno and not (tckno.isdigit() and len(tckno) == 11):
            raise LogoBusinessError(f"TC kimlik numarası 11 haneli olmalıdır: {tckno}")
        if person and not tckno:
            raise LogoBusinessError("Şahıs şirketi için TC kimlik numarası girilmelidir.")
        payment = 0
        if body.get("PAYMENT_CODE"):
            plan = self.row(f"SELECT LOGICALREF FROM {self.t('PAYPLANS')} WHERE CODE = ?", (body["PAYMENT_CODE"],))
            if plan is None:
                raise LogoBusinessError(f"Ödeme planı bulunamadı: {body['PAYMENT_CODE']}")
            payment = plan["LOGICALREF"]
        currency = int(body.get("CURRENCY") or 0)
        if currency not in CURRENCIES:
            raise LogoBusinessError(f"Döviz türü tanımlı değil: {currency}")
        return self.insert(
            self.t("CLCARD"),
            {
                "CARDTYPE": int(body.get("ACCOUNT_TYPE") or 1),
                "CODE": code,
                "DEFINITION_": title[:200],
                "TAXNR": tax_id or None,
                "TCKNO": tckno or None,
                "ISPERSCOMP": person,
                "TAXOFFICE": str(body.get("TAX_OFFICE") or "") or None,
                "ADDR1": str(body.get("ADDRESS1") or "") or None,
                "ADDR2": str(body.get("ADDRESS2") or "") or None,
                "CITY": str(body.get("CITY") or "") or None,
                "TOWN": str(body.get("TOWN") or "") or None,
                "COUNTRY": str(body.get("COUNTRY") or "") or None,
                "POSTCODE": str(body.get("POSTAL_CODE") or "") or None,
                "TELNRS1": str(body.get("TELEPHONE1") or "") or None,
                "EMAILADDR": str(body.get("E_MAIL") or "") or None,
                "PAYMENTREF": payment,
                "CCURRENCY": currency,
                "SPECODE": str(body.get("AUXIL_CODE") or "") or None,
                **self.audit(created=True),
            },
        )

    def change_customer(self, code: str, **columns: Any) -> None:
        found = self.customer(code)
        if found is None:
            raise LogoBusinessError(f"Cari hesap kartı bulunamadı: {code}")
        self.update(self.t("CLCARD"), found["LOGICALREF"], {**columns, **self.audit(created=False)})

    def add_ship_location(self, customer: str, code: str, name: str, **columns: Any) -> int:
        found = self.customer(customer)
        if found is None:
            raise LogoBusinessError(f"Cari hesap kartı bulunamadı: {customer}")
        return self.insert(
            self.t("SHIPINFO"), {"CLIENTREF": found["LOGICALREF"], "CODE": code, "NAME": name, **columns}
        )

    def add_price(self, item: str, price: float, *, unit: str = "", **columns: Any) -> int:
        """A sales price card (``PRCLIST``, PTYPE 2) of ``item``, per ``unit`` (its main unit when empty)."""
        found = self.item(item)
        if found is None:
            raise LogoBusinessError(f"Malzeme kartı bulunamadı: {item}")
        uom = 0
        if unit:
            line = self.unit_line(found["UNITSETREF"], unit)
            if line is None:
                raise LogoBusinessError(f"Birim bulunamadı: {unit}")
            uom = line["LOGICALREF"]
        values = {"CARDREF": found["LOGICALREF"], "PRICE": price, "UOMREF": uom, "PTYPE": 2, **columns}
        for key in ("BEGDATE", "ENDDATE"):
            if key in values:
                values[key] = sql_date(values[key])
        return self.insert(self.t("PRCLIST"), {**values, **self.audit(created=True)})

    # -- stock ------------------------------------------------------------------------------------------------------

    def _stock_move(self, item_ref: int, warehouse: int, *, on_hand: float = 0, orders: float = 0,
                    reserved: float = 0, shipped: float = 0, when: datetime | None = None) -> None:  # fmt: skip
        """A stock movement: a dated ``STINVTOT`` row and the ``GNTOTST`` totals, for the warehouse and for -1."""
        for number in (warehouse, -1):
            self.insert(
                self.p("STINVTOT"),
                {
                    "STOCKREF": item_ref,
                    "INVENNO": number,
                    "DATE_": sql_date(when or self.now),
                    "ONHAND": on_hand,
                    "RESERVED": reserved,
                    "ACTSORDER": orders,
                    "SHIPPED": shipped,
                },
            )
            self.db.execute(
                f"INSERT INTO {self.p('GNTOTST')} (STOCKREF, INVENNO) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (item_ref, number),
            )
            self.db.execute(
                f"UPDATE {self.p('GNTOTST')} SET ONHAND = ONHAND + ?, ACTSORDER = ACTSORDER + ?, "
                "RESERVED = RESERVED + ?, SHIPPED = SHIPPED + ? WHERE STOCKREF = ? AND INVENNO = ?",
                (on_hand, orders, reserved, shipped, item_ref, number),
            )

    def set_stock(self, item: str, warehouse: int, on_hand: float, *, reserved: float = 0) -> None:
        """Count ``item`` in ``warehouse``: a movement that brings its totals to ``on_hand`` and ``reserved``."""
        found = self.item(item)
        if found is None:
            raise LogoBusinessError(f"Malzeme kartı bulunamadı: {item}")
        now = self.row(
            f"SELECT ONHAND, RESERVED FROM {self.p('GNTOTST')} WHERE STOCKREF = ? AND INVENNO = ?",
            (found["LOGICALREF"], warehouse),
        ) or {"ONHAND": 0, "RESERVED": 0}
        self._stock_move(
            found["LOGICALREF"], warehouse, on_hand=on_hand - now["ONHAND"], reserved=reserved - now["RESERVED"]
        )

    # -- sales orders -----------------------------------------------------------------------------------------------

    def next_number(self, table: str, trcode: int, prefix: str = "") -> str:
        found = self.row(f"SELECT COUNT(*) AS N FROM {table} WHERE TRCODE = ?", (trcode,))
        return f"{prefix}{found['N'] + 1:0{16 - len(prefix)}d}" if prefix else f"{found['N'] + 1:08d}"

    def create_order(self, body: Mapping[str, Any]) -> int:
        """A sales order slip from a transfer-format body (``ARP_CODE``, ``DOC_NUMBER``, ``TRANSACTIONS``…)."""
        customer = self.customer(str(body.get("ARP_CODE") or ""))
        if customer is None:
            raise LogoBusinessError(f"Cari hesap kodu bulunamadı: {body.get('ARP_CODE') or ''}")
        if customer["ACTIVE"]:
            raise LogoBusinessError(f"Cari hesap kartı kullanım dışı: {customer['CODE']}")
        lines = ((body.get("TRANSACTIONS") or {}).get("items")) or []
        if not lines:
            raise LogoBusinessError("Fişte satır yok.")
        number = str(body.get("NUMBER") or "~")
        if number == "~":
            number = self.next_number(self.p("ORFICHE"), TR_SALES_ORDER, "SS")
        elif self.row(f"SELECT 1 FROM {self.p('ORFICHE')} WHERE FICHENO = ? AND TRCODE = 1", (number,)):
            raise LogoBusinessError(f"Bu numarada fiş zaten var: {number}")
        doc_number = str(body.get("DOC_NUMBER") or "")
        if len(doc_number) > 32:
            raise LogoBusinessError("Belge numarası en fazla 32 karakter olabilir.")
        when = date.fromisoformat(str(body.get("DATE") or self.now.date().isoformat())[:10])
        warehouse = int(body.get("SOURCE_WH") or 0)
        status = int(body.get("ORDER_STATUS") or STATUS_APPROVED)
        currency = int(body.get("CURRSEL_TOTAL") or 0) and int(body.get("TC_CURR") or 0)
        converted = False
        salesman = 0
        if body.get("SALESMAN_CODE"):
            rep = self.salesman(str(body["SALESMAN_CODE"]))
            if rep is None or rep["ACTIVE"]:
                raise LogoBusinessError(f"Satış elemanı bulunamadı: {body['SALESMAN_CODE']}")
            salesman = rep["LOGICALREF"]
        # A discount line (TYPE 2, DISCOUNT_RATE) applies to the material line before it; the simulator keeps it on
        # that line (DISCPER) rather than as a row of its own.
        merged: list[dict[str, Any]] = []
        for line in lines:
            if int(line.get("TYPE") or 0) == 2:
                if not merged:
                    raise LogoBusinessError("İndirim satırından önce malzeme satırı olmalı.")
                rate = float(line.get("DISCOUNT_RATE") or 0)
                if not 0 <= rate < 100:
                    raise LogoBusinessError(f"İndirim oranı hatalı: {rate}")
                merged[-1] = {**merged[-1], "DISCOUNT_RATE": rate}
            elif int(line.get("TYPE") or 0) == 0:
                merged.append(line)
            else:
                raise LogoBusinessError(f"Desteklenmeyen satır türü: {line.get('TYPE')}")
        lines = merged
        resolved = []
        for index, line in enumerate(lines, start=1):
            item = self.item(str(line.get("MASTER_CODE") or ""))
            if item is None:
                raise LogoBusinessError(f"Malzeme kodu bulunamadı: {line.get('MASTER_CODE') or ''}")
            if item["ACTIVE"]:
                raise LogoBusinessError(f"Malzeme kartı kullanım dışı: {item['CODE']}")
            unit_code = str(line.get("UNIT_CODE") or "")
            unit = (
                self.unit_line(item["UNITSETREF"], unit_code)
                if unit_code
                else self.row(
                    f"SELECT * FROM {self.t('UNITSETL')} WHERE UNITSETREF = ? AND MAINUNIT = 1", (item["UNITSETREF"],)
                )
            )
            if unit is None:
                raise LogoBusinessError(f"Birim bulunamadı: {unit_code} ({item['CODE']})")
            quantity = float(line.get("QUANTITY") or 0)
            if quantity <= 0:
                raise LogoBusinessError(f"Miktar sıfırdan büyük olmalı (satır {index}).")
            line_currency = int(line.get("EDT_CURR") or 0)
            if line_currency not in (0, 160):  # priced in another currency: Logo converts at the day's rate
                if line_currency not in CURRENCIES:
                    raise LogoBusinessError(f"Döviz türü tanımlı değil: {line_currency}")
                if currency and currency != line_currency:
                    raise LogoBusinessError("Fişte tek bir işlem dövizi olabilir.")
                currency, converted = line_currency, True
                price = round(float(line.get("EDT_PRICE") or 0) * self.rate(line_currency, when), 4)
            else:
                price = float(line.get("PRICE") or 0)
            discount = float(line.get("DISCOUNT_RATE") or 0)
            vat = float(line.get("VAT_RATE") if line.get("VAT_RATE") is not None else item["SELLVAT"] or 0)
            total = round(quantity * price, 2)
            net = round(total * (1 - discount / 100), 2)
            resolved.append((index, item, unit, quantity, price, discount, vat, total, net, line))
        gross = round(sum(r[7] for r in resolved), 2)
        net_lines = round(sum(r[8] for r in resolved), 2)
        vat_total = round(sum(r[8] * r[6] / 100 for r in resolved), 2)
        ref = self.insert(
            self.p("ORFICHE"),
            {
                "TRCODE": TR_SALES_ORDER,
                "FICHENO": number,
                "DATE_": sql_date(when),
                "TIME_": int(body.get("TIME") or packed_time(self.now)),
                "DOCODE": doc_number,
                "SPECODE": body.get("AUXIL_CODE") or "",
                "CLIENTREF": customer["LOGICALREF"],
                "SOURCEINDEX": warehouse,
                "STATUS": status,
                "GROSSTOTAL": gross,
                "TOTALDISCOUNTED": net_lines,
                "TOTALVAT": vat_total,
                "NETTOTAL": round(net_lines + vat_total, 2),
                "TRCURR": currency,
                "TRRATE": (self.rate(currency, when) if converted else float(body.get("TC_XRATE") or 0)),
                "GENEXP1": str(body.get("NOTES1") or "")[:50],
                "GUID": str(body.get("GUID") or uuid.uuid4()).upper(),
                "SALESMANREF": salesman,
                **self.audit(created=True),
            },
        )
        for index, item, unit, quantity, price, discount, vat, total, net, line in resolved:
            self.insert(
                self.p("ORFLINE"),
                {
                    "ORDFICHEREF": ref,
                    "CLIENTREF": customer["LOGICALREF"],
                    "STOCKREF": item["LOGICALREF"],
                    "TRCODE": TR_SALES_ORDER,
                    "LINENO_": index,
                    "DATE_": sql_date(when),
                    "AMOUNT": quantity,
                    "PRICE": price,
                    "TOTAL": total,
                    "DISCPER": discount,
                    "VAT": vat,
                    "VATAMNT": round(net * vat / 100, 2),
                    "UOMREF": unit["LOGICALREF"],
                    "USREF": item["UNITSETREF"],
                    "UINFO1": unit["CONVFACT1"],
                    "UINFO2": unit["CONVFACT2"],
                    "DUEDATE": sql_date(line.get("DUE_DATE")),
                    "SOURCEINDEX": warehouse,
                    "STATUS": status,
                    "LINEEXP": str(line.get("DESCRIPTION") or "")[:250],
                    "PRCURR": int(line.get("EDT_CURR") or 0),
                    "PRPRICE": float(line.get("EDT_PRICE") or 0),
                },
            )
            if status == STATUS_APPROVED:
                base = quantity * unit["CONVFACT2"] / (unit["CONVFACT1"] or 1)
                self._stock_move(item["LOGICALREF"], warehouse, orders=base)
        return ref

    def order(self, ref: int, period: int | None = None) -> dict[str, Any] | None:
        return self.row(f"SELECT * FROM {self.p('ORFICHE', period)} WHERE LOGICALREF = ?", (ref,))

    def order_lines(self, ref: int, period: int | None = None) -> list[dict[str, Any]]:
        return self.rows(f"SELECT * FROM {self.p('ORFLINE', period)} WHERE ORDFICHEREF = ? ORDER BY LINENO_", (ref,))

    def _open_line_effect(self, line: dict[str, Any], sign: int) -> None:
        if line["STATUS"] == STATUS_APPROVED and not line["CLOSED"] and not line["CANCELLED"]:
            left = (line["AMOUNT"] - line["SHIPPEDAMOUNT"]) * line["UINFO2"] / (line["UINFO1"] or 1)
            if left > 0:
                self._stock_move(line["STOCKREF"], line["SOURCEINDEX"], orders=sign * left)

    def cancel_order(self, ref: int, *, delete: bool = False, period: int | None = None) -> None:
        """Cancel (``CANCELLED`` 1) or delete an order slip; Logo refuses either once anything was shipped."""
        slip = self.order(ref, period)
        if slip is None:
            raise LogoBusinessError("Kayıt bulunamadı.", key="404")
        lines = self.order_lines(ref, period)
        if any(line["SHIPPEDAMOUNT"] for line in lines):
            raise LogoBusinessError("Sevkiyatı yapılmış sipariş fişi iptal edilemez / silinemez.")
        if slip["CANCELLED"] and not delete:
            return
        for line in lines:
            if not slip["CANCELLED"]:
                self._open_line_effect(line, -1)
        if delete:
            self.db.execute(f"DELETE FROM {self.p('ORFLINE', period)} WHERE ORDFICHEREF = ?", (ref,))
            self.db.execute(f"DELETE FROM {self.p('ORFICHE', period)} WHERE LOGICALREF = ?", (ref,))
            self.deleted.append(("salesOrders", slip))
            return
        self.db.execute(f"UPDATE {self.p('ORFLINE', period)} SET CANCELLED = 1 WHERE ORDFICHEREF = ?", (ref,))
        self.update(self.p("ORFICHE", period), ref, {"CANCELLED": 1, **self.audit(created=False)})

    def set_order_status(self, ref: int, status: int) -> None:
        lines = self.order_lines(ref)
        for line in lines:
            self._open_line_effect(line, -1)
        self.db.execute(f"UPDATE {self.p('ORFLINE')} SET STATUS = ? WHERE ORDFICHEREF = ?", (status, ref))
        self.update(self.p("ORFICHE"), ref, {"STATUS": status, **self.audit(created=False)})
        for line in self.order_lines(ref):
            self._open_line_effect(line, +1)

    def close_order(self, ref: int) -> None:
        """Close every line (what a user does when the rest will not be shipped)."""
        for line in self.order_lines(ref):
            self._open_line_effect(line, -1)
        self.db.execute(f"UPDATE {self.p('ORFLINE')} SET CLOSED = 1 WHERE ORDFICHEREF = ?", (ref,))
        self.touch(self.p("ORFICHE"), ref)

    # -- dispatches, invoices, the ledger ---------------------------------------------------------------------------

    def dispatch(self, order_ref: int, quantities: Mapping[int, float] | None = None, *, carrier: str = "",
                 tracking: str = "", guid: str = "") -> int:  # fmt: skip
        """A sales dispatch (``STFICHE`` TRCODE 8) of an order: every open line in full, or ``{line number: qty}``;
        stock leaves the warehouse and the order's lines record what was shipped."""
        slip = self.order(order_ref)
        if slip is None or slip["CANCELLED"]:
            raise LogoBusinessError("Sevk edilecek sipariş bulunamadı.")
        ref = self.insert(
            self.p("STFICHE"),
            {
                "GRPCODE": 2,
                "TRCODE": TR_SALES_DISPATCH,
                "FICHENO": self.next_number(self.p("STFICHE"), TR_SALES_DISPATCH, "IRS"),
                "DATE_": sql_date(self.now),
                "DOCODE": slip["DOCODE"],
                "CLIENTREF": slip["CLIENTREF"],
                "SOURCEINDEX": slip["SOURCEINDEX"],
                "TRCURR": slip["TRCURR"],
                "SHPAGNCOD": carrier,
                "TRACKNR": tracking,
                "GUID": guid or str(uuid.uuid4()).upper(),
                **self.audit(created=True),
            },
        )
        net = vat = 0.0
        for line in self.order_lines(order_ref):
            left = line["AMOUNT"] - line["SHIPPEDAMOUNT"]
            quantity = left if quantities is None else min(left, quantities.get(line["LINENO_"], 0))
            if quantity <= 0 or line["CLOSED"]:
                continue
            total = round(quantity * line["PRICE"] * (1 - line["DISCPER"] / 100), 2)
            net += total
            vat += round(total * line["VAT"] / 100, 2)
            self.insert(
                self.p("STLINE"),
                {
                    "STFICHEREF": ref,
                    "ORDFICHEREF": order_ref,
                    "ORDTRANSREF": line["LOGICALREF"],
                    "STOCKREF": line["STOCKREF"],
                    "TRCODE": TR_SALES_DISPATCH,
                    "AMOUNT": quantity,
                    "PRICE": line["PRICE"],
                    "TOTAL": total,
                    "VAT": line["VAT"],
                    "SOURCEINDEX": line["SOURCEINDEX"],
                    "CLIENTREF": slip["CLIENTREF"],
                    "DATE_": sql_date(self.now),
                },
            )
            base = quantity * line["UINFO2"] / (line["UINFO1"] or 1)
            self._stock_move(line["STOCKREF"], line["SOURCEINDEX"], on_hand=-base, orders=-base, shipped=base)
            shipped = line["SHIPPEDAMOUNT"] + quantity
            self.update(
                self.p("ORFLINE"),
                line["LOGICALREF"],
                {"SHIPPEDAMOUNT": shipped, "CLOSED": int(shipped >= line["AMOUNT"])},
            )
        self.update(
            self.p("STFICHE"),
            ref,
            {"NETTOTAL": round(net + vat, 2), "GROSSTOTAL": round(net, 2), "TOTALVAT": round(vat, 2)},
        )
        self.touch(self.p("ORFICHE"), order_ref)
        return ref

    def invoice(self, dispatch_refs: Iterable[int], *, e_invoice_uuid: str = "", due: date | None = None) -> int:
        """A wholesale sales invoice (``INVOICE`` TRCODE 8) of dispatches, with its debit line on the account."""
        dispatches = [self.row(f"SELECT * FROM {self.p('STFICHE')} WHERE LOGICALREF = ?", (r,)) for r in dispatch_refs]
        if not dispatches or None in dispatches:
            raise LogoBusinessError("Faturalanacak irsaliye bulunamadı.")
        first = dispatches[0]
        gross = round(sum(d["GROSSTOTAL"] for d in dispatches), 2)
        vat = round(sum(d["TOTALVAT"] for d in dispatches), 2)
        total = round(gross + vat, 2)
        number = self.next_number(self.p("INVOICE"), TR_SALES_INVOICE, "GIB2026")
        ref = self.insert(
            self.p("INVOICE"),
            {
                "GRPCODE": 2,
                "TRCODE": TR_SALES_INVOICE,
                "FICHENO": number,
                "DATE_": sql_date(self.now),
                "DOCODE": first["DOCODE"],
                "CLIENTREF": first["CLIENTREF"],
                "NETTOTAL": total,
                "GROSSTOTAL": gross,
                "TOTALVAT": vat,
                "TRCURR": first["TRCURR"],
                "GUID": e_invoice_uuid or str(uuid.uuid4()).upper(),
                "EINVOICE": int(bool(e_invoice_uuid)),
                **self.audit(created=True),
            },
        )
        for dispatch in dispatches:
            self.update(self.p("STFICHE"), dispatch["LOGICALREF"], {"INVOICEREF": ref})
            self.db.execute(
                f"UPDATE {self.p('STLINE')} SET INVOICEREF = ? WHERE STFICHEREF = ?", (ref, dispatch["LOGICALREF"])
            )
        self.ledger_line(
            first["CLIENTREF"],
            module=4,
            trcode=CL_INVOICE,
            number=number,
            doc=first["DOCODE"] or "",
            sign=0,
            amount=total,
            source=ref,
            description="Toptan satış faturası",
            currency=first["TRCURR"],
            when=self.now,
        )
        return ref

    def ledger_line(self, client_ref: int, *, module: int, trcode: int, number: str, doc: str, sign: int,
                    amount: float, source: int, description: str = "", currency: int = 0,
                    when: datetime | date | None = None) -> int:  # fmt: skip
        """A line on the customer's account (``CLFLINE``; SIGN 0 debit, 1 credit) and its ``GNTOTCL`` total."""
        ref = self.insert(
            self.p("CLFLINE"),
            {
                "CLIENTREF": client_ref,
                "DATE_": sql_date(when or self.now),
                "MODULENR": module,
                "TRCODE": trcode,
                "TRANNO": number,
                "DOCODE": doc,
                "LINEEXP": description,
                "SIGN": sign,
                "AMOUNT": amount,
                "TRCURR": currency,
                "TRNET": amount,
                "SOURCEFREF": source,
                **self.audit(created=True),
            },
        )
        self.db.execute(
            f"INSERT INTO {self.p('GNTOTCL')} (CARDREF, TOTTYP) VALUES (?, 1) ON CONFLICT DO NOTHING", (client_ref,)
        )
        column = "DEBIT" if sign == 0 else "CREDIT"
        self.db.execute(
            f"UPDATE {self.p('GNTOTCL')} SET {column} = {column} + ? WHERE CARDREF = ? AND TOTTYP = 1",
            (amount, client_ref),
        )
        return ref

    # -- collections ------------------------------------------------------------------------------------------------

    def _collection_lines(self, body: Mapping[str, Any]) -> list[tuple[dict[str, Any], float, str]]:
        lines = ((body.get("TRANSACTIONS") or {}).get("items")) or []
        if not lines:
            raise LogoBusinessError("Fişte satır yok.")
        found = []
        for line in lines:
            customer = self.customer(str(line.get("ARP_CODE") or ""))
            if customer is None:
                raise LogoBusinessError(f"Cari hesap kodu bulunamadı: {line.get('ARP_CODE') or ''}")
            amount = float(line.get("AMOUNT") or line.get("TC_AMOUNT") or 0)
            if amount <= 0:
                raise LogoBusinessError("Tutar sıfırdan büyük olmalı.")
            found.append((customer, amount, str(line.get("DESCRIPTION") or line.get("LINEEXP") or "")))
        return found

    def create_bank_slip(self, body: Mapping[str, Any]) -> int:
        """A bank slip of incoming transfers (``BNFICHE`` TRCODE 3) crediting each line's customer."""
        lines = self._collection_lines(body)
        bank = str(body.get("BANKACC_CODE") or "")
        if not bank:
            raise LogoBusinessError("Banka hesap kodu girilmelidir.")
        when = date.fromisoformat(str(body.get("DATE") or self.now.date().isoformat())[:10])
        number = str(body.get("NUMBER") or "~")
        if number == "~":
            number = self.next_number(self.p("BNFICHE"), 3, "BH")
        doc = str(body.get("DOC_NUMBER") or "")
        ref = self.insert(
            self.p("BNFICHE"),
            {
                "TRCODE": 3,
                "FICHENO": number,
                "DATE_": sql_date(when),
                "DOCODE": doc,
                "BANKACCCODE": bank,
                "TOTAL": round(sum(amount for _c, amount, _d in lines), 2),
                **self.audit(created=True),
            },
        )
        for customer, amount, description in lines:
            self.ledger_line(
                customer["LOGICALREF"], module=7, trcode=CL_BANK_IN, number=number, doc=doc, sign=1, amount=amount,
                source=ref, description=description or "Gelen havale", when=when,
            )  # fmt: skip
        return ref

    def create_arp_slip(self, body: Mapping[str, Any]) -> int:
        """A debit or credit note on customers' accounts (``CLFICHE`` TRCODE 3 / 4, ``TYPE`` in the body): each line
        names ``ARP_CODE`` and ``DEBIT`` or ``CREDIT``, and becomes a ``CLFLINE`` line of the same TRCODE."""
        kind = int(body.get("TYPE") or 0)
        if kind not in (CL_DEBIT_NOTE, CL_CREDIT_NOTE):
            raise LogoBusinessError(f"Desteklenmeyen cari hesap fişi türü: {body.get('TYPE')}")
        column = "CREDIT" if kind == CL_CREDIT_NOTE else "DEBIT"
        lines = ((body.get("TRANSACTIONS") or {}).get("items")) or []
        if not lines:
            raise LogoBusinessError("Fişte satır yok.")
        resolved = []
        for line in lines:
            customer = self.customer(str(line.get("ARP_CODE") or ""))
            if customer is None:
                raise LogoBusinessError(f"Cari hesap kodu bulunamadı: {line.get('ARP_CODE') or ''}")
            amount = float(line.get(column) or 0)
            if amount <= 0:
                raise LogoBusinessError("Tutar sıfırdan büyük olmalı.")
            resolved.append((customer, amount, str(line.get("DESCRIPTION") or "")))
        when = date.fromisoformat(str(body.get("DATE") or self.now.date().isoformat())[:10])
        number = str(body.get("NUMBER") or "~")
        if number == "~":
            number = self.next_number(self.p("CLFICHE"), kind, "CH")
        doc = str(body.get("DOC_NUMBER") or "")
        if len(doc) > 32:
            raise LogoBusinessError("Belge numarası en fazla 32 karakter olabilir.")
        total = round(sum(amount for _c, amount, _d in resolved), 2)
        ref = self.insert(
            self.p("CLFICHE"),
            {
                "TRCODE": kind,
                "FICHENO": number,
                "DATE_": sql_date(when),
                "DOCODE": doc,
                "GENEXP1": str(body.get("NOTES1") or "")[:50],
                f"{column}TOT": total,
                **self.audit(created=True),
            },
        )
        for customer, amount, description in resolved:
            self.ledger_line(
                customer["LOGICALREF"], module=5, trcode=kind, number=number, doc=doc, amount=amount, source=ref,
                sign=1 if kind == CL_CREDIT_NOTE else 0, description=description, when=when,
            )  # fmt: skip
        return ref

    def create_cash_slip(self, body: Mapping[str, Any]) -> int:
        """A cash collection from a customer (``KSLINES`` TRCODE 11) crediting the customer."""
        (customer, amount, description), *rest = self._collection_lines(body)
        if rest:
            raise LogoBusinessError("Kasa işleminde tek cari hesap olabilir.")
        cash = str(body.get("SD_CODE") or "")
        if not cash:
            raise LogoBusinessError("Kasa kodu girilmelidir.")
        when = date.fromisoformat(str(body.get("DATE") or self.now.date().isoformat())[:10])
        number = str(body.get("NUMBER") or "~")
        if number == "~":
            number = self.next_number(self.p("KSLINES"), 11, "KS")
        doc = str(body.get("DOC_NUMBER") or "")
        ref = self.insert(
            self.p("KSLINES"),
            {
                "TRCODE": 11,
                "FICHENO": number,
                "DATE_": sql_date(when),
                "DOCODE": doc,
                "CARDREF": cash,
                "CLIENTREF": customer["LOGICALREF"],
                "AMOUNT": amount,
                **self.audit(created=True),
            },
        )
        self.ledger_line(
            customer["LOGICALREF"], module=10, trcode=CL_CASH_IN, number=number, doc=doc, sign=1, amount=amount,
            source=ref, description=description or "Nakit tahsilat", when=when,
        )  # fmt: skip
        return ref


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, bool):
        return int(value)
    return value


__all__ = ["CURRENCIES", "Firm", "LogoBusinessError", "packed_time", "sql_date"]
