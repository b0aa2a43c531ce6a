"""A Nebim V3 Integrator (``IntegratorService``) on loopback, over an in-memory company.

What it follows (docs/erp-protocols §11, and the public sources it cites):

- Nebim's own "NEBIM V3 Integrator Document" (E. Giresunlu, 2016 TR / 2020 EN, redistributed in
  cemyeten/nebim-v3-integrator-docs ``references/``): commands under ``/IntegratorService/``, ``Connect`` with
  ``DatabaseName``/``UserGroupCode``/``UserName``/``Password``, ``Post`` of one bare model chosen by ``ModelType``,
  ``RunQuery`` ``{ModelType: 32, QueryName, Criteria, Skip, Take}`` on registered queries only ("Kayıt bulunamadı"
  otherwise), ``RunProc`` ``{ModelType: 33, ProcName, Parameters: [{Name, Value}]}``.
- cemyeten/nebim-v3-integrator-docs ``docs/01-1-session-login.md``, ``docs/01-3-connect-token.md``,
  ``docs/03-call-proc.md``, ``docs/02-model-types.md`` and ``examples/`` (``Toptan Satış Sipariş WS_5``,
  ``Perakende Sipariş İptali_34``, ``Banka Gelen Giden Havale EFT_98``, ``Kredi Kartı Ödemesi_91``,
  ``Toptan Müşteri_2``, ``Perakende Müşteri Oluşturma_3``): the two
  session modes — a cookieless session in the URL (``/(S(id))/IntegratorService/…``), where Connect answers
  success **whatever the password** and only ``GetUserInfo`` tells, or a ``Token`` (header, or the last path
  segment as several clients send it); order lines ``ItemCode``/``Qty1``/``PriceVI``/``LDisRate1``; cancel lines
  ``LineID``/``Qty1``/``OrderCancelReasonCode``; a wholesale customer (``ModelType`` 2) ``CurrAccCode`` (30),
  ``CurrAccDescription`` (100; a retail customer's ``FirstName``/``LastName`` instead), ``IdentityNum`` (20),
  ``OfficeCode``, ``CurrencyCode``, ``TaxNumber`` (20), ``TaxOfficeCode`` (10), ``PostalAddresses[]``
  (``AddressTypeCode``, ``CountryCode``, ``Address`` 200), ``Communications[]`` (``CommunicationTypeCode`` 3 an
  e-mail, 1 a phone; ``CommAddress``). The Integrator document: a customer posted under a ``CurrAccCode`` V3 holds is
  updated, not created again.
- HoLyDreaM/NebimEnfotekIrsaliye ``Utility/Functions.cs``: POST of Connect with the credentials in the query.
- Errors: a JSON body with ``ExceptionMessage`` and ``StatusCode`` (a C# client's ``Error`` class); the HTTP status
  is 200 on business errors here, as clients are written to expect.
- Public client code checked (found by its text in the public code index, repositories not named there): a C#
  ``NebimV3`` helper that posts ``{ProcName, Parameters}`` to ``/(S(session))/IntegratorService/RunProc``, treats any
  answer containing ``ExceptionMessage`` as an error (``Error``: ``ModelType``, ``ExceptionMessage``,
  ``StackTrace``, ``ErrorSource``, ``StatusCode``) and reads ``OrderNumber``/``DocumentNumber`` from a ``Post``'s
  answer; Python scripts calling site procedures (``sp_OnlyItemAndColor``, ``sp_BPItemOrder``) the same way; JS
  clients sending the token as ``/IntegratorService/RunProc/{token}`` or as a ``Token`` header.

Not public, so defined here (an installation defines them the same way): the Post answer (the saved model echoed
with ``OrderNumber``, ``HeaderID`` and each line's ``LineID``; ``DocumentNumber`` for collections), and every read:
the company's queries and procedures are registered by name (``register``) over the views tests publish, plus the
look-up procedures ``usp_B2B_OrderByReference`` (``@Reference``: one row per order line with ``DocumentNumber``,
``Description``, ``OrderNumber``, ``LineID``, ``Qty1``, ``Status``) and ``usp_B2B_CollectionByReference``, and the
registered query ``B2B_CustomerByCode`` over every customer (``CurrAccCode``, ``CurrAccDescription``, ``IsBlocked``),
filtered by its criteria (``CurrAccCode = '…'``).

Changes only, as integrators' procedures take them (docs/erp-protocols §11.5: a ``Date`` "rows updated since"
parameter, e.g. HollyConnect's ``usp_GetProductList_HC``; V3's tables stamp rows in ``LastUpdatedDate``): every
registered procedure given a non-empty ``Date`` returns the rows whose ``LastUpdatedDate`` is at or after it (a row
without a stamp cannot be told, so it is returned); an empty ``Date`` returns every row. The document procedures
(``documents``: one row per line) return every line of a document any of whose rows is stamped since. Queries
filter by their ``Criteria``: conditions ``Column <op> 'value'`` (``=``, ``>=``, ``>``, ``<=``, ``<``; dates compared
as dates) joined by ``AND``. Dates are read leniently, as V3's parser takes them (ISO with or without ``T``/``Z``,
``yyyyMMdd``, ``dd.MM.yyyy``, ``dd-MM-yyyy``, ``/Date(ms)/``). ``proc_calls`` keeps each RunProc's name and
parameters.

Fault switches (``faults``, limited to some commands by ``faults.commands``): ``latency`` (seconds a done call's
answer waits), ``error_5xx`` (the next N calls answer 500 before doing anything),
``expire_sessions()`` (every session ends; the next call is told so), ``reset`` (the next N calls are cut before
they are applied) and ``apply_then_drop`` (the next N Posts are saved, then the connection is cut).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlsplit

from erpsync.simulators.http import Answer, LoopbackServer, SimulatorHandler

SESSION_PATH = re.compile(r"^/\(S\(([^)]+)\)\)(/.*)$")
CONDITION = r"\(?\s*(\w+)\s*(>=|<=|=|>|<)\s*'((?:[^']|'')*)'\s*\)?"
CRITERIA = re.compile(rf"^\s*{CONDITION}(?:\s+AND\s+{CONDITION})*\s*$", re.IGNORECASE)
CHANGED_SINCE = "Date"  # the procedures' "rows updated since" parameter
STAMP = "LastUpdatedDate"


@dataclass
class Faults:
    """The fault switches; ``commands`` limits them to some commands (``{"Post"}``), empty: every command."""

    latency: float = 0.0
    error_5xx: int = 0
    reset: int = 0
    apply_then_drop: int = 0
    commands: set[str] = field(default_factory=set)

    def applies(self, command: str) -> bool:
        return not self.commands or command in self.commands


@dataclass
class NebimCompany:
    """The V3 database: customers and items the writes check codes against, the views the site's queries and
    procedures read, and what was posted."""

    database: str = "V3_DEMO"
    customers: set[str] = field(default_factory=set)
    items: set[str] = field(default_factory=set)
    views: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    orders: list[dict[str, Any]] = field(default_factory=list)
    cancels: list[str] = field(default_factory=list)
    collections: list[dict[str, Any]] = field(default_factory=list)
    # Customers posted (ModelType 2) by code, and the codes in the order they were created (an update adds none).
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    created_customers: list[str] = field(default_factory=list)
    lock: threading.RLock = field(default_factory=threading.RLock)
    numbers: Any = field(default_factory=lambda: itertools.count(1))
    proc_calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    # The document procedures (one row per line) and the column naming the document: a delta returns whole documents.
    documents: dict[str, str] = field(
        default_factory=lambda: {
            "usp_B2B_Shipments": "ShippingNumber",
            "usp_B2B_Invoices": "InvoiceNumber",
            "usp_B2B_ReturnInvoices": "InvoiceNumber",
        }
    )

    def post(self, model: dict[str, Any]) -> dict[str, Any]:
        kind = model.get("ModelType")
        if kind == 5:
            return self._order(model)
        if kind == 34:
            return self._cancel(model)
        if kind in (91, 92, 98):
            return self._collection(model)
        if kind == 2:
            return self._customer(model)
        raise Refused(f"ModelType {kind!r} is not supported by this installation.")

    def _order(self, model: dict[str, Any]) -> dict[str, Any]:
        for key in ("CustomerCode", "OfficeCode", "WarehouseCode"):
            if not model.get(key):
                raise Refused(f"{key} alanı zorunludur.")
        if model["CustomerCode"] not in self.customers:
            raise Refused(f"Cari hesap bulunamadı: {model['CustomerCode']}")
        if len(str(model.get("DocumentNumber") or "")) > 30:
            raise Refused("String or binary data would be truncated: DocumentNumber")
        lines = model.get("Lines") or []
        if not lines:
            raise Refused("Sipariş satırı yok.")
        for line in lines:
            if line.get("ItemCode") not in self.items:
                raise Refused(f"Ürün bulunamadı: {line.get('ItemCode')}")
            if not Decimal(str(line.get("Qty1") or 0)) > 0:
                raise Refused("Qty1 sıfırdan büyük olmalı.")
        number = f"1-WS-2-{next(self.numbers):06d}"
        saved = {
            **model,
            "OrderNumber": number,
            "HeaderID": str(uuid.uuid4()),
            "Status": "open",
            "Lines": [{**line, "LineID": str(uuid.uuid4()), "CancelQty": 0} for line in lines],
        }
        self.orders.append(saved)
        return saved

    def _cancel(self, model: dict[str, Any]) -> dict[str, Any]:
        order = next((o for o in self.orders if o["OrderNumber"] == model.get("OrderNumber")), None)
        if order is None:
            raise Refused(f"Sipariş bulunamadı: {model.get('OrderNumber')}")
        by_id = {line["LineID"]: line for line in order["Lines"]}
        for line in model.get("Lines") or []:
            if line.get("LineID") not in by_id:
                raise Refused(f"Sipariş satırı bulunamadı: {line.get('LineID')}")
            by_id[line["LineID"]]["CancelQty"] = line.get("Qty1")
        order["Status"] = "cancelled"
        self.cancels.append(order["OrderNumber"])
        return {**model, "OrderNumber": order["OrderNumber"]}

    def _collection(self, model: dict[str, Any]) -> dict[str, Any]:
        lines = model.get("Lines") or []
        customer = model.get("CurrAccCode") or (lines[0].get("CurrAccCode") if lines else None)
        if customer not in self.customers:
            raise Refused(f"Cari hesap bulunamadı: {customer}")
        saved = {**model, "DocumentNumber": f"TAH-{next(self.numbers):06d}"}
        self.collections.append(saved)
        return saved

    def _customer(self, model: dict[str, Any]) -> dict[str, Any]:
        code = str(model.get("CurrAccCode") or "")
        if not code:  # this installation does not number customers itself
            raise Refused("CurrAccCode alanı zorunludur.")
        for key, limit in (("CurrAccCode", 30), ("CurrAccDescription", 100), ("TaxNumber", 20), ("IdentityNum", 20),
                           ("TaxOfficeCode", 10)):  # fmt: skip
            if len(str(model.get(key) or "")) > limit:
                raise Refused(f"String or binary data would be truncated: {key}")
        if not str(model.get("CurrAccDescription") or model.get("FirstName") or "").strip():
            raise Refused("CurrAccDescription alanı zorunludur.")
        if not model.get("OfficeCode"):
            raise Refused("OfficeCode alanı zorunludur.")
        for address in model.get("PostalAddresses") or []:
            if len(str(address.get("Address") or "")) > 200:
                raise Refused("String or binary data would be truncated: Address")
        saved = {**model, "CurrAccTypeCode": 3, "IsBlocked": False}
        if code in self.accounts or code in self.customers:  # V3 updates a customer it holds
            saved = {**self.accounts.get(code, {}), **saved}
        else:
            self.created_customers.append(code)
        self.accounts[code] = saved
        self.customers.add(code)
        return saved

    # --- reads ---
    def run_proc(self, name: str, parameters: dict[str, str]) -> list[dict[str, Any]]:
        self.proc_calls.append((name, dict(parameters)))
        if name == "usp_B2B_OrderByReference":
            reference = parameters.get("Reference", "")
            return [
                {
                    "DocumentNumber": o.get("DocumentNumber"),
                    "Description": o.get("Description"),
                    "OrderNumber": o["OrderNumber"],
                    "LineID": line["LineID"],
                    "Qty1": line["Qty1"],
                    "Status": o["Status"],
                }
                for o in self.orders
                if reference in (o.get("DocumentNumber"), o.get("Description"))
                for line in o["Lines"]
            ]
        if name == "usp_B2B_CollectionByReference":
            reference = parameters.get("Reference", "")
            return [
                {"Description": c.get("Description"), "DocumentNumber": c["DocumentNumber"]}
                for c in self.collections
                if c.get("Description") == reference
            ]
        if name not in self.views:
            raise Refused(f"Could not find stored procedure '{name}'.")
        rows = self.views[name]
        since_text = str(parameters.get(CHANGED_SINCE) or "").strip()
        if since_text:
            since = _moment(since_text)
            if since is None:
                raise Refused(f"Conversion failed when converting date and/or time from character string: {since_text}")
            key = self.documents.get(name)
            if key is None:
                rows = [row for row in rows if _stamped_since(row, since)]
            else:  # a document's lines come whole: any line (or its header) changed returns every line
                changed = {row.get(key) for row in rows if _stamped_since(row, since)}
                rows = [row for row in rows if row.get(key) in changed]
        return [dict(row) for row in rows]

    def run_query(self, name: str, criteria: str, skip: int, take: int) -> list[dict[str, Any]]:
        if name == "B2B_CustomerByCode":
            rows = [
                {
                    "CurrAccCode": code,
                    "CurrAccDescription": self.accounts.get(code, {}).get("CurrAccDescription"),
                    "IsBlocked": self.accounts.get(code, {}).get("IsBlocked", False),
                }
                for code in sorted(self.customers)
            ]
        elif name not in self.views:
            raise Refused("Kayıt bulunamadı")
        else:
            rows = self.views[name]
        if criteria and criteria.strip():
            if not CRITERIA.match(criteria):
                raise Refused(f"Incorrect syntax near '{criteria[:20]}'.")
            for column, operator, wanted in re.findall(CONDITION, criteria):
                rows = [row for row in rows if _holds(row.get(column), operator, wanted.replace("''", "'"))]
        return [dict(row) for row in rows[skip : skip + take]]


class Refused(Exception):
    pass


DATE_FORMATS = ("%Y%m%d", "%d.%m.%Y", "%d-%m-%Y", "%d.%m.%Y %H:%M:%S", "%d-%m-%Y %H:%M:%S")
EPOCH_DATE = re.compile(r"^/Date\((-?\d+)\)/$")


def _moment(raw: Any) -> datetime | None:
    """A date or time as V3 reads one, leniently; None when it is not one. Zones are dropped: V3 keeps wall time."""
    if isinstance(raw, datetime):
        return raw.replace(tzinfo=None)
    if isinstance(raw, date):
        return datetime(raw.year, raw.month, raw.day)
    text = str(raw or "").strip()
    if not text:
        return None
    epoch = EPOCH_DATE.match(text)
    if epoch:
        return datetime.fromtimestamp(int(epoch.group(1)) / 1000, UTC).replace(tzinfo=None)
    with contextlib.suppress(ValueError):
        return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)
    for form in DATE_FORMATS:
        with contextlib.suppress(ValueError):
            return datetime.strptime(text, form)  # V3 keeps the server's wall time
    return None


def _stamped_since(row: dict[str, Any], since: datetime) -> bool:
    stamp = _moment(row.get(STAMP))
    return stamp is None or stamp >= since


def _holds(value: Any, operator: str, wanted: str) -> bool:
    if operator == "=":
        return str(value) == wanted
    left, right = _moment(value), _moment(wanted)
    if left is None or right is None:
        left, right = str(value), wanted
    return {">=": left >= right, ">": left > right, "<=": left <= right, "<": left < right}[operator]


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return str(value)


class NebimHandler(SimulatorHandler):
    json_default = _default

    def _serve(self, method: str) -> None:
        sim: NebimSimulator = self.simulator
        raw = self._body()
        faults = sim.faults
        parts = urlsplit(self.path)
        command = next((s for s in SESSION_PATH.sub(r"\2", parts.path).split("/")[2:3]), "")
        with sim.lock:
            sim.calls += 1
            if faults.reset and faults.applies(command):
                faults.reset -= 1
                self._abort()
                return
            if faults.error_5xx and faults.applies(command):
                faults.error_5xx -= 1
                self._json(500, {"Message": "An error has occurred.", "StatusCode": 500})
                return
        path, session = parts.path, ""
        match = SESSION_PATH.match(path)
        if match:
            session, path = match.group(1), match.group(2)
        segments = [s for s in path.split("/") if s]
        if len(segments) < 2 or segments[0] != "IntegratorService":
            self._json(404, {"Message": "No HTTP resource was found that matches the request URI."})
            return
        command = segments[1]
        token = self.headers.get("Token") or (segments[2] if len(segments) > 2 else "")
        try:
            body = json.loads(raw or b"null", parse_float=Decimal)
        except ValueError:
            self._error("The JSON request could not be read.", 400)
            return
        if command == "Connect":
            self._connect(body, parse_qs(parts.query))
            return
        user = sim.sessions.get(session or token)
        if user is None:
            self._error("Session is expired or invalid. Please connect again.", 401)
            return
        if command == "GetUserInfo":
            if not user["valid"]:
                self._error("Kullanıcı adı veya şifre hatalı.", 401)
                return
            self._json(
                200,
                {
                    "UserGroupCode": user["group"],
                    "UserName": user["user"],
                    "DatabaseName": sim.company.database,
                    "LangCode": "TR",
                    "IsOfficeUser": True,
                    "OfficeCode": "M",
                    "WarehouseCode": "M",
                    "CompanyCode": 1,
                },
            )
            return
        if not user["valid"]:
            self._error("Kullanıcı doğrulanamadı.", 401)
            return
        if command == "Disconnect":
            sim.sessions.pop(session or token, None)
            self._json(200, {"Status": "Disconnected", "StatusCode": 200})
            return
        try:
            with sim.company.lock:
                if command == "Post":
                    answer = sim.company.post(body)
                    with sim.lock:
                        if faults.apply_then_drop and faults.applies(command):
                            faults.apply_then_drop -= 1
                            self._abort()
                            return
                elif command == "RunProc":
                    parameters = {p["Name"]: p["Value"] for p in body.get("Parameters") or []}
                    answer = sim.company.run_proc(body.get("ProcName", ""), parameters)
                elif command == "RunQuery":
                    answer = sim.company.run_query(
                        body.get("QueryName", ""),
                        body.get("Criteria") or "",
                        int(body.get("Skip") or 0),
                        int(body.get("Take") or 100),
                    )
                else:
                    self._error(f"Unknown command {command}.", 404)
                    return
        except Refused as exc:
            self._error(str(exc), 400, model_type=body.get("ModelType") if isinstance(body, dict) else None)
            return
        if faults.latency and faults.applies(command):
            time.sleep(faults.latency)  # done, but the answer is late
        self._json(200, answer)

    def _connect(self, body: Any, query: dict[str, list[str]]) -> None:
        sim: NebimSimulator = self.simulator
        given = body if isinstance(body, dict) else {k: v[-1] for k, v in query.items()}
        valid = (given.get("DatabaseName"), given.get("UserName"), given.get("Password")) == (
            sim.company.database,
            sim.username,
            sim.password,
        )
        key = uuid.uuid4().hex
        if sim.mode == "token":
            if not valid:
                self._error("Kullanıcı adı veya şifre hatalı.", 401, model_type=0)
                return
            sim.sessions[key.upper()] = {
                "user": given.get("UserName"),
                "group": given.get("UserGroupCode"),
                "valid": True,
            }
            self._json(
                200,
                {"ModelType": 0, "Status": "Connection Created Successfully", "StatusCode": 200, "Token": key.upper()},
            )
            return
        # Session mode: success whatever the password; GetUserInfo tells.
        sim.sessions[key[:24]] = {"user": given.get("UserName"), "group": given.get("UserGroupCode"), "valid": valid}
        self._json(
            200, {"ModelType": 0, "Status": "Connection Created Successfully", "StatusCode": 200, "SessionID": key[:24]}
        )

    def _error(self, message: str, code: int, *, model_type: Any = None) -> None:
        self._json(
            200,
            {
                "ModelType": model_type,
                "ExceptionMessage": message,
                "StatusCode": code,
                "ErrorSource": "IntegratorService",
            },
        )

    def _json(self, status: int, answer: Any) -> None:
        self._send(Answer(status, answer))


class NebimSimulator(LoopbackServer):
    """The Integrator of one company; ``mode`` ``token`` or ``session`` as the IIS Session State setting is."""

    thread_name: ClassVar[str] = "nebim-simulator"

    def __init__(
        self,
        *,
        username: str = "B2B",
        password: str = "Gizli-1",  # noqa: S107 - the simulator's own test user
        mode: str = "token",
        company: NebimCompany | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        self.username, self.password, self.mode = username, password, mode
        self.company = company or NebimCompany()
        self.sessions: dict[str, dict[str, Any]] = {}
        self.faults = Faults()
        self.lock = threading.Lock()
        self.calls = 0
        self.host, self.port = host, port
        self._server_init()

    def handler_class(self) -> type[SimulatorHandler]:
        return NebimHandler

    def expire_sessions(self) -> None:
        self.sessions.clear()


def demo_company() -> NebimCompany:
    """A few items, customers and the registered reads of the shipped profile (examples/nebim.json)."""
    company = NebimCompany()
    company.customers |= {"120.01", "120.02"}
    company.items |= {"KML-001", "ÇAY-001"}
    company.views.update(
        {
            "B2B_Units": [{"UnitOfMeasureCode": "AD", "UnitOfMeasureDescription": "Adet", "IsDecimal": 0}],
            "B2B_Warehouses": [{"WarehouseCode": "M", "WarehouseDescription": "Merkez Depo", "IsBlocked": False}],
            "usp_B2B_Products": [
                {
                    "ItemCode": "KML-001",
                    "ItemDescription": "Kumaş ceket Şile bezi",
                    "UnitOfMeasureCode1": "AD",
                    "VatRate": 10,
                    "Barcode": "8690000000011",
                    "IsActive": True,
                    "LastUpdatedDate": "2026-01-05T09:30:00",
                },
                {
                    "ItemCode": "ÇAY-001",
                    "ItemDescription": "Rize çayı",
                    "UnitOfMeasureCode1": "AD",
                    "VatRate": 20,
                    "Barcode": None,
                    "IsActive": False,
                    "LastUpdatedDate": "2025-11-20T16:00:00",
                },
            ],
            "usp_B2B_Inventory": [
                {"ItemCode": "KML-001", "WarehouseCode": "M", "InventoryQty1": 42, "ReserveQty1": 2},
                {"ItemCode": "ÇAY-001", "WarehouseCode": "M", "InventoryQty1": -1, "ReserveQty1": None},
            ],
            "usp_B2B_PriceGroups": [
                {"PriceGroupCode": "TOPTAN", "PriceGroupDescription": "Toptan", "CurrencyCode": "TRY"},
                {"PriceGroupCode": "IHR", "PriceGroupDescription": "İhracat", "CurrencyCode": "EUR"},
            ],
            "usp_B2B_Prices": [
                {"PriceGroupCode": "TOPTAN", "ItemCode": "KML-001", "Price": 1499.9},
                {"PriceGroupCode": "IHR", "ItemCode": "KML-001", "Price": 52.5, "CurrencyCode": "EUR"},
            ],
            "usp_B2B_Balances": [{"CurrAccCode": "120.01", "Balance": 15000.4, "CurrencyCode": "TRY"}],
            "usp_B2B_Customers": [
                {
                    "CurrAccCode": "120.01",
                    "CurrAccDescription": "Öztürk Tekstil",
                    "TaxNumber": "1234567890",
                    "CurrencyCode": "TRY",
                    "IsActive": True,
                }
            ],
        }
    )
    return company
