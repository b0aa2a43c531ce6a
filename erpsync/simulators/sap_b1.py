"""A local SAP Business One Service Layer (``/b1s/v1/``, OData v3-style JSON) for tests and demos. No SAP needed.

    with SapB1Simulator(users={"manager": "1234"}) as sim:
        session = requests.Session()
        session.post(sim.base_url + "Login", json={"CompanyDB": sim.company_db, "UserName": "manager",
                                                   "Password": "1234"})
        session.get(sim.base_url + "Items?$select=ItemCode,ItemName")

What it promises (as the Service Layer is documented):

- ``POST Login`` answers ``SessionId``/``Version``/``SessionTimeout`` and sets the ``B1SESSION`` and ``ROUTEID``
  cookies; every other call needs a live ``B1SESSION``. Sessions expire after ``session_timeout`` minutes without a
  call (sliding); an unknown or expired session is HTTP 401 with code 301. ``POST Logout`` ends the session.
- Errors are ``{"error": {"code", "message": {"lang": "en-us", "value"}}}``: -2028 not found (404), -2035 duplicate
  (400), -2039 stale ``If-Match`` (412), 301 invalid session (401), 100000027 login failed (401).
- Collections page by 20 with a relative ``odata.nextLink``; ``Prefer: odata.maxpagesize=N`` (echoed in
  ``Preference-Applied``) and ``B1S-PageSize: N`` change it, 0 turns paging off. ``$select``, ``$filter``,
  ``$orderby``, ``$top``, ``$skip``, ``$inlinecount=allpages`` / ``$count=true`` and ``Set/$count`` work;
  unsupported syntax is a 400 error body.
- ``POST Set`` creates (201 with the entity, or 204 with ``Prefer: return-no-content``), ``PATCH Set(key)`` updates
  (204; collections merge unless ``B1S-ReplaceCollectionsOnPatch: true``), ``POST Set(key)/Cancel|Close|Reopen``.

Where the notes are UNCONFIRMED the behaviour is a constructor argument: failed-login status, the session cap and
what happens at it, which page-size header wins, whether ``ROUTEID`` is required, how an approval procedure answers.

Faults for resilience tests (``sim.faults``): latency, 5xx, 429 with Retry-After, forced session expiry, connection
reset, and "apply the write, then drop the response". ``sim.stats`` counts requests and the most seen at once.

Not simulated: ``$batch``, ``$expand``, ``$metadata`` content, v2 (``/b1s/v2/``) annotations, DELETE.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import logging
import re
import secrets
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from erpsync.simulators import sap_b1_odata as odata
from erpsync.simulators.sap_b1_company import (
    BAD_REQUEST,
    ENTITY_SETS,
    ETAG_CONFLICT,
    INVALID_SESSION,
    LOGIN_FAILED,
    NOT_FOUND,
    B1Error,
    Clock,
    Company,
    seed_demo,
)

logger = logging.getLogger(__name__)

API_ROOT = "/b1s/v1/"
DEFAULT_PAGE_SIZE = 20
VERSION = "1000190"
# Characters left readable in odata.nextLink; spaces and the rest are percent-encoded.
NEXTLINK_SAFE = ",'()=:*$/"
SESSION_EXPIRED_MESSAGE = "Invalid session or session already timeout."


# ---------------------------------------------------------------------------------------------------------------
# Sessions


@dataclass
class Session:
    id: str
    user: str
    company_db: str
    route: str
    last_seen: float
    language: int | None = None


class Sessions:
    """Live sessions with a sliding idle timeout measured on a monotonic clock that tests can move forward."""

    def __init__(
        self,
        *,
        timeout_minutes: float,
        max_sessions: int | None,
        cap_policy: Literal["refuse", "evict_oldest"],
    ) -> None:
        self.timeout_minutes = timeout_minutes
        self.max_sessions = max_sessions
        self.cap_policy = cap_policy
        self._sessions: dict[str, Session] = {}
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        return time.monotonic() + self._offset

    def advance(self, seconds: float) -> None:
        """Pretend ``seconds`` of idleness passed for every session."""
        with self._lock:
            self._offset += seconds

    def _alive(self, session: Session, now: float) -> bool:
        return now - session.last_seen <= self.timeout_minutes * 60

    def open(self, *, user: str, company_db: str, route: str, language: int | None, cap_status: int) -> Session:
        """A new session; at the cap either refused (``cap_status``, code 100000027) or the oldest is evicted."""
        with self._lock:
            now = self.now()
            self._sessions = {key: s for key, s in self._sessions.items() if self._alive(s, now)}
            if self.max_sessions is not None and len(self._sessions) >= self.max_sessions:
                if self.cap_policy == "refuse":
                    raise B1Error(
                        cap_status,
                        LOGIN_FAILED,
                        f"Login failed: the maximum number of sessions ({self.max_sessions}) is in use",
                    )
                oldest = min(self._sessions.values(), key=lambda s: s.last_seen)
                del self._sessions[oldest.id]
            session = Session(str(secrets.token_hex(16)), user, company_db, route, now, language)
            # Format it like the Service Layer's GUID-style session ids.
            raw = session.id
            session.id = f"{raw[:8]}-{raw[8:12]}-{raw[12:16]}-{raw[16:20]}-{raw[20:32]}"
            self._sessions[session.id] = session
            return session

    def touch(self, session_id: str | None) -> Session:
        """The live session ``session_id``, its idle clock restarted; else HTTP 401 / code 301."""
        with self._lock:
            now = self.now()
            session = self._sessions.get(session_id or "")
            if session is None or not self._alive(session, now):
                self._sessions.pop(session_id or "", None)
                raise B1Error(401, INVALID_SESSION, SESSION_EXPIRED_MESSAGE)
            session.last_seen = now
            return session

    def close(self, session_id: str) -> None:
        with self._lock:
            self._sessions.pop(session_id, None)

    def expire(self, session_id: str | None = None) -> None:
        """Forget one session (or all): the next call with it gets 401 / 301."""
        with self._lock:
            if session_id is None:
                self._sessions.clear()
            else:
                self._sessions.pop(session_id, None)

    def count(self) -> int:
        with self._lock:
            now = self.now()
            return sum(1 for s in self._sessions.values() if self._alive(s, now))


# ---------------------------------------------------------------------------------------------------------------
# Faults and statistics

FaultKind = Literal["latency", "error", "throttle", "expire_session", "reset", "drop_response"]


@dataclass
class Fault:
    """One injected fault: applies to requests whose path (relative to ``/b1s/v1/``, e.g. ``Orders``,
    ``Orders(12)/Cancel``, ``Items?$filter=…`` without the query) matches ``pattern`` (fnmatch) and whose method
    matches ``method`` (``None`` = any), for the next ``count`` matching requests (``None`` = for ever)."""

    kind: FaultKind
    pattern: str = "*"
    method: str | None = None
    count: int | None = 1
    seconds: float = 0.0
    status: int = 503
    retry_after: int = 1
    mode: Literal["reset", "timeout"] = "reset"
    body: str | None = None
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method:
            return False
        return fnmatch.fnmatchcase(path, self.pattern)


class Faults:
    """The fault switches of one simulator. Thread-safe; each matching request consumes one count of each fault."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, kind: FaultKind, pattern: str = "*", *, method: str | None = None, count: int | None = 1,
            **options: Any) -> Fault:  # fmt: skip
        fault = Fault(kind, pattern, method, count, **options)
        with self._lock:
            self._faults.append(fault)
        return fault

    def latency(self, pattern: str = "*", seconds: float = 0.2, **kw: Any) -> Fault:
        """Delay matching requests by ``seconds`` before they are handled."""
        return self.add("latency", pattern, seconds=seconds, **kw)

    def error(self, pattern: str = "*", status: int = 503, **kw: Any) -> Fault:
        """Answer ``status`` (e.g. 502/503) with an HTML body, as the load balancer in front of the SL does."""
        return self.add("error", pattern, status=status, **kw)

    def throttle(self, pattern: str = "*", retry_after: int = 1, **kw: Any) -> Fault:
        """Answer 429 with ``Retry-After`` (seconds)."""
        return self.add("throttle", pattern, retry_after=retry_after, **kw)

    def expire_session(self, pattern: str = "*", **kw: Any) -> Fault:
        """End the caller's session just before the request is checked, so it gets 401 / 301."""
        return self.add("expire_session", pattern, **kw)

    def reset(self, pattern: str = "*", **kw: Any) -> Fault:
        """Close the connection without any response; nothing is applied."""
        return self.add("reset", pattern, **kw)

    def drop_response(self, pattern: str = "*", mode: Literal["reset", "timeout"] = "reset", seconds: float = 2.0,
                      **kw: Any) -> Fault:  # fmt: skip
        """Apply the request (the write happens) and then lose the answer: ``reset`` closes the connection at once,
        ``timeout`` holds it silent for ``seconds`` before closing, so a client with a shorter timeout gives up."""
        return self.add("drop_response", pattern, mode=mode, seconds=seconds, **kw)

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def take(self, method: str, path: str) -> list[Fault]:
        """The faults that fire for this request, their counts consumed."""
        fired: list[Fault] = []
        with self._lock:
            for fault in self._faults:
                if (fault.count is None or fault.count > 0) and fault.matches(method, path):
                    if fault.count is not None:
                        fault.count -= 1
                    fault.hits += 1
                    fired.append(fault)
        return fired


@dataclass
class Stats:
    """What the simulator saw: every request as ``(method, path)``, and the most requests in flight at once."""

    requests: list[tuple[str, str]] = field(default_factory=list)
    in_flight: int = 0
    max_concurrent: int = 0
    logins: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @contextlib.contextmanager
    def request(self, method: str, path: str) -> Iterator[None]:
        with self._lock:
            self.requests.append((method, path))
            self.in_flight += 1
            self.max_concurrent = max(self.max_concurrent, self.in_flight)
        try:
            yield
        finally:
            with self._lock:
                self.in_flight -= 1

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.max_concurrent = self.in_flight
            self.logins = 0

    def count(self, method: str | None = None, pattern: str = "*") -> int:
        """How many requests matched ``method`` and the fnmatch ``pattern`` on the relative path."""
        with self._lock:
            return sum(
                1
                for m, p in self.requests
                if (method is None or m == method.upper()) and fnmatch.fnmatchcase(p, pattern)
            )


# ---------------------------------------------------------------------------------------------------------------
# Requests and responses


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    cookies: list[str] = field(default_factory=list)
    content_type: str = "application/json;odata=minimalmetadata;charset=utf-8"


@dataclass
class Request:
    method: str
    path: str  # relative to /b1s/v1/, unquoted
    query: list[tuple[str, str]]
    headers: dict[str, str]  # lower-cased names
    cookies: dict[str, str]
    body: bytes
    base_url: str

    def json(self) -> Any:
        if not self.body:
            raise B1Error(400, BAD_REQUEST, "The request body is empty")
        try:
            return json.loads(self.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise B1Error(400, BAD_REQUEST, f"The request body is not valid JSON: {exc}") from exc

    def option(self, name: str) -> str | None:
        for key, value in self.query:
            if key == name:
                return value
        return None


_PATH = re.compile(r"^(?P<set>[A-Za-z]+)(?:\((?P<key>.*)\))?(?:/(?P<tail>\$?[A-Za-z]+))?$")
_KEY_PART = re.compile(r"^\s*(?:(?P<name>[A-Za-z]+)\s*=\s*)?(?P<value>'(?:[^']|'')*'|-?\d+)\s*$")


def parse_key(entity_set: str, text: str) -> Any:
    """``'A1'`` → ``'A1'``, ``12`` → ``12``, ``CardCode='C1',ItemCode='I1'`` → ``('C1', 'I1')`` in key order."""
    names = ENTITY_SETS[entity_set].keys
    parts = re.findall(r"(?:[^,']|'(?:[^']|'')*')+", text)
    if len(parts) != len(names):
        raise B1Error(400, BAD_REQUEST, f"Invalid key '{text}' for {entity_set}")
    values: dict[str, Any] = {}
    for position, part in enumerate(parts):
        match = _KEY_PART.match(part)
        if not match:
            raise B1Error(400, BAD_REQUEST, f"Invalid key '{text}' for {entity_set}")
        name = match["name"] or names[position]
        raw = match["value"]
        values[name] = raw[1:-1].replace("''", "'") if raw.startswith("'") else int(raw)
    if set(values) != set(names):
        raise B1Error(400, BAD_REQUEST, f"Invalid key '{text}' for {entity_set}")
    if len(names) == 1:
        return values[names[0]]
    return tuple(values[name] for name in names)


def _page_size(request: Request, precedence: str) -> tuple[int, dict[str, str]]:
    """The page size asked for, and the ``Preference-Applied`` header when the ``Prefer`` form was honoured."""
    prefer = None
    for part in request.headers.get("prefer", "").split(","):
        name, _, value = part.strip().partition("=")
        if name.strip().lower() == "odata.maxpagesize":
            prefer = value.strip()
    b1s = request.headers.get("b1s-pagesize")
    chosen: list[tuple[str, str]] = []
    if prefer is not None:
        chosen.append(("prefer", prefer))
    if b1s is not None:
        chosen.append(("b1s", b1s.strip()))
    if not chosen:
        return DEFAULT_PAGE_SIZE, {}
    chosen.sort(key=lambda pair: pair[0] != precedence)
    source, value = chosen[0]
    if not value.isdigit():
        raise B1Error(400, BAD_REQUEST, f"Invalid page size {value!r}")
    size = int(value)
    return size, ({"Preference-Applied": f"odata.maxpagesize={size}"} if source == "prefer" else {})


def _int_option(request: Request, name: str) -> int | None:
    value = request.option(name)
    if value is None:
        return None
    if not value.strip().isdigit():
        raise B1Error(400, BAD_REQUEST, f"Invalid value {value!r} for {name}")
    return int(value)


# ---------------------------------------------------------------------------------------------------------------
# The simulator


class SapB1Simulator:
    """A Service Layer on ``127.0.0.1`` (or ``host``) serving one in-memory company.

    Arguments a test may want to change:

    - ``company_db``, ``users`` (user → password): what Login accepts;
    - ``session_timeout`` (minutes, float allowed), ``max_sessions`` and ``session_cap_policy`` (``"refuse"``: Login
      answers ``session_cap_status`` with code 100000027; ``"evict_oldest"``: the oldest session dies and its next
      call gets 401 / 301);
    - ``login_failure_status`` (401; the notes only show the code), ``require_routeid`` (a call without the
      ``ROUTEID`` cookie gets 401 / 301, as behind the SL load balancer);
    - ``page_size_precedence``: which of ``Prefer: odata.maxpagesize`` (``"prefer"``) and ``B1S-PageSize``
      (``"b1s"``) wins when both are sent;
    - ``approval_error_status``: the status of the -2028 answer when an order went to approval as a draft;
    - ``items``, ``customers``, ``seed``: demo data (``0`` items and customers for an empty company).
    """

    def __init__(
        self,
        *,
        company_db: str = "SBODEMOTR",
        users: dict[str, str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        session_timeout: float = 30,
        max_sessions: int | None = None,
        session_cap_policy: Literal["refuse", "evict_oldest"] = "refuse",
        session_cap_status: int = 401,
        login_failure_status: int = 401,
        require_routeid: bool = False,
        page_size_precedence: Literal["prefer", "b1s"] = "prefer",
        approval_error_status: int = 400,
        items: int = 25,
        customers: int = 5,
        seed: int = 0,
        route_id: str = ".node1",
    ) -> None:
        self.company_db = company_db
        self.users = dict(users) if users is not None else {"manager": "1234"}
        self.host = host
        self.port = port
        self.session_cap_status = session_cap_status
        self.login_failure_status = login_failure_status
        self.require_routeid = require_routeid
        self.page_size_precedence = page_size_precedence
        self.approval_error_status = approval_error_status
        self.route_id = route_id
        self.company = Company(company_db)
        self.sessions = Sessions(
            timeout_minutes=session_timeout, max_sessions=max_sessions, cap_policy=session_cap_policy
        )
        self.faults = Faults()
        self.stats = Stats()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        if items or customers:
            seed_demo(self.company, items=items, customers=customers, seed=seed)

    # -- lifecycle ------------------------------------------------------------------------------------------------

    def start(self) -> SapB1Simulator:
        """Bind (a free port when ``port`` is 0) and serve from a daemon thread; returns ``self``."""
        if self._server is not None:
            return self
        server = ThreadingHTTPServer((self.host, self.port), _Handler)
        server.daemon_threads = True
        server.simulator = self  # type: ignore[attr-defined]
        self._server = server
        self.port = server.server_address[1]
        # A short poll interval keeps stop() (and so every test's teardown) quick.
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="sap-b1-simulator", daemon=True
        )
        self._thread.start()
        return self

    def wait(self) -> None:
        """Block until the server stops (Ctrl-C interrupts the wait); used by ``manage.py erp_simulator``."""
        if self._thread is not None:
            self._thread.join()

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> SapB1Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}{API_ROOT}"

    # -- acting as the clock and as the ERP user ------------------------------------------------------------------

    @property
    def clock(self) -> Clock:
        return self.company.clock

    def set_time(self, when: datetime) -> None:
        """Freeze the company clock (UpdateDate/UpdateTime of later changes) at ``when``."""
        self.company.clock.set(when)

    def advance_idle(self, seconds: float) -> None:
        """Let ``seconds`` of inactivity pass for the sessions (the company clock is not moved)."""
        self.sessions.advance(seconds)

    def expire_sessions(self) -> None:
        self.sessions.expire()

    def add_item(self, code: str, name: str | None = None, *, price: float | None = None,
                 stock: dict[str, float] | None = None, **fields: Any) -> dict[str, Any]:  # fmt: skip
        """Create an item: ``price`` goes to every price list, ``stock`` maps warehouse → InStock."""
        payload: dict[str, Any] = {"ItemCode": code, "ItemName": name or code, **fields}
        if price is not None:
            payload["ItemPrices"] = [
                {"PriceList": number, "Price": price, "Currency": self.company.currency}
                for number in self.company.price_lists
            ]
        if stock:
            payload["ItemWarehouseInfoCollection"] = [{"WarehouseCode": w, "InStock": q} for w, q in stock.items()]
        with self.company.lock:
            return self.company.add_item(payload)

    def add_customer(self, code: str, name: str | None = None, **fields: Any) -> dict[str, Any]:
        with self.company.lock:
            return self.company.add_business_partner({"CardCode": code, "CardName": name or code, **fields})

    def create(self, entity_set: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Create as an ERP user would (no HTTP); raises ``B1Error`` on refusal."""
        with self.company.lock:
            return self.company.create(entity_set, payload)[1]

    def touch_item(self, code: str, when: datetime | None = None, **changes: Any) -> dict[str, Any]:
        """Change an item (``changes`` are field values, may be none) stamped at ``when`` (default: the clock)."""
        with self.company.lock:
            item = self.company.get("Items", code)
            item.update(changes)
            self.company.stamp("Items", code, item, when=when)
            return item

    def deliver(self, doc_entry: int, lines: dict[int, float] | None = None, *, tracking_number: str | None = None,
                batches: dict[int, list[dict[str, Any]]] | None = None, **header: Any) -> dict[str, Any]:  # fmt: skip
        """Post a delivery note for order ``doc_entry``: ``lines`` maps order LineNum → quantity (default: every open
        line in full); ``batches`` gives BatchNumbers per LineNum for batch-managed items."""
        with self.company.lock:
            order = self.company.get("Orders", doc_entry)
            wanted = lines or {
                line["LineNum"]: line["RemainingOpenQuantity"]
                for line in order["DocumentLines"]
                if line["LineStatus"] == "bost_Open"
            }
            document_lines = []
            for line_num, quantity in wanted.items():
                row: dict[str, Any] = {"BaseType": 17, "BaseEntry": doc_entry, "BaseLine": line_num}
                row["Quantity"] = quantity
                if batches and line_num in batches:
                    row["BatchNumbers"] = batches[line_num]
                document_lines.append(row)
            payload = {"CardCode": order["CardCode"], "DocumentLines": document_lines, **header}
            if tracking_number is not None:
                payload["TrackingNumber"] = tracking_number
            return self.company.add_document("DeliveryNotes", payload)

    def invoice(self, doc_entry: int, *, base_type: int = 15, **header: Any) -> dict[str, Any]:
        """Post an A/R invoice for every open line of delivery note ``doc_entry`` (or of an order with
        ``base_type=17``, which also takes the stock out)."""
        with self.company.lock:
            base_set = "DeliveryNotes" if base_type == 15 else "Orders"
            base = self.company.get(base_set, doc_entry)
            document_lines = [
                {"BaseType": base_type, "BaseEntry": doc_entry, "BaseLine": line["LineNum"]}
                for line in base["DocumentLines"]
                if line["LineStatus"] == "bost_Open"
            ]
            payload = {"CardCode": base["CardCode"], "DocumentLines": document_lines, **header}
            return self.company.add_document("Invoices", payload)

    def credit_note(self, invoice_entry: int, lines: dict[int, float] | None = None, **header: Any) -> dict[str, Any]:
        """Post an A/R credit memo based on invoice ``invoice_entry`` (``lines``: LineNum → quantity; default all)."""
        with self.company.lock:
            invoice = self.company.get("Invoices", invoice_entry)
            wanted = lines or {
                line["LineNum"]: line["RemainingOpenQuantity"]
                for line in invoice["DocumentLines"]
                if line["LineStatus"] == "bost_Open"
            }
            document_lines = [
                {"BaseType": 13, "BaseEntry": invoice_entry, "BaseLine": n, "Quantity": q} for n, q in wanted.items()
            ]
            return self.company.add_document(
                "CreditNotes", {"CardCode": invoice["CardCode"], "DocumentLines": document_lines, **header}
            )

    def stock(self, item_code: str, warehouse: str = "01") -> dict[str, Any]:
        """The item's ItemWarehouseInfoCollection row for ``warehouse`` (a copy)."""
        with self.company.lock:
            for row in self.company.get("Items", item_code)["ItemWarehouseInfoCollection"]:
                if row["WarehouseCode"] == warehouse:
                    return dict(row)
        raise KeyError(warehouse)

    # -- request handling -----------------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        """Answer one request (no faults applied here). Never raises for bad input: errors become error bodies."""
        if request.path == "Login" and request.method == "POST":
            return self._login(request)
        if self.require_routeid and request.cookies.get("ROUTEID") != self.route_id:
            raise B1Error(401, INVALID_SESSION, SESSION_EXPIRED_MESSAGE)
        session = self.sessions.touch(request.cookies.get("B1SESSION"))
        if request.path == "Logout" and request.method == "POST":
            self.sessions.close(session.id)
            return Response(204)
        match = _PATH.match(request.path)
        if not match or match["set"] not in ENTITY_SETS:
            raise B1Error(404, BAD_REQUEST, f"Invalid resource path '{request.path}'")
        set_name, key_text, tail = match["set"], match["key"], match["tail"]
        with self.company.lock:
            if key_text is None:
                if tail == "$count" and request.method == "GET":
                    return self._count(request, set_name)
                if tail is not None:
                    raise B1Error(404, BAD_REQUEST, f"Invalid resource path '{request.path}'")
                if request.method == "GET":
                    return self._list(request, set_name)
                if request.method == "POST":
                    return self._create(request, set_name)
                raise B1Error(405, BAD_REQUEST, f"{request.method} is not supported on {set_name}")
            key = parse_key(set_name, key_text)
            if tail is not None:
                if request.method != "POST":
                    raise B1Error(405, BAD_REQUEST, f"{request.method} is not supported on actions")
                self.company.action(set_name, key, tail)
                return Response(204)
            if request.method == "GET":
                return self._get(request, set_name, key)
            if request.method == "PATCH":
                return self._patch(request, set_name, key)
            raise B1Error(405, BAD_REQUEST, f"{request.method} is not supported on {set_name}")

    def _login(self, request: Request) -> Response:
        body = request.json()
        if not isinstance(body, dict):
            raise B1Error(400, BAD_REQUEST, "The request body must be a JSON object")
        user, password, company_db = body.get("UserName"), body.get("Password"), body.get("CompanyDB")
        if company_db != self.company_db or user not in self.users or self.users[user] != password:
            raise B1Error(self.login_failure_status, LOGIN_FAILED, "Login failed")
        session = self.sessions.open(
            user=user,
            company_db=company_db,
            route=self.route_id,
            language=body.get("Language"),
            cap_status=self.session_cap_status,
        )
        with self.stats._lock:
            self.stats.logins += 1
        timeout = self.sessions.timeout_minutes
        return Response(
            200,
            {
                "odata.metadata": f"{request.base_url}$metadata#B1Sessions/@Element",
                "SessionId": session.id,
                "Version": VERSION,
                "SessionTimeout": int(timeout) if float(timeout).is_integer() else timeout,
            },
            cookies=[f"B1SESSION={session.id}; HttpOnly; path=/", f"ROUTEID={self.route_id}; path=/"],
        )

    def _rows(self, request: Request, set_name: str) -> list[dict[str, Any]]:
        entity_set = ENTITY_SETS[set_name]
        rows = [self.company.collection(set_name)[key] for key in sorted(self.company.collection(set_name))]
        case_insensitive = request.headers.get("b1s-caseinsensitive", "").lower() == "true"
        try:
            text = request.option("$filter")
            if text is not None:
                tree = odata.parse_filter(text, entity_set.fields)
                rows = [row for row in rows if odata.evaluate(tree, row, case_insensitive=case_insensitive)]
            text = request.option("$orderby")
            if text is not None:
                rows = odata.order_rows(rows, odata.parse_orderby(text, entity_set.fields))
        except odata.QueryError as exc:
            raise B1Error(400, BAD_REQUEST, str(exc)) from exc
        return rows

    def _count(self, request: Request, set_name: str) -> Response:
        return Response(200, str(len(self._rows(request, set_name))), content_type="text/plain;charset=utf-8")

    def _list(self, request: Request, set_name: str) -> Response:
        rows = self._rows(request, set_name)
        total = len(rows)
        skip = _int_option(request, "$skip") or 0
        top = _int_option(request, "$top")
        page_size, headers = _page_size(request, self.page_size_precedence)
        wanted = rows[skip:] if top is None else rows[skip : skip + top]
        page = wanted if page_size == 0 else wanted[:page_size]
        body: dict[str, Any] = {"odata.metadata": f"{request.base_url}$metadata#{set_name}"}
        inline = (request.option("$inlinecount") or "").lower() == "allpages"
        if inline or (request.option("$count") or "").lower() == "true":
            body["odata.count"] = str(total)
        body["value"] = [self._shape(request, set_name, row) for row in page]
        if len(page) < len(wanted):
            # The next page repeats the query with $skip moved on and what is left of $top.
            options = [(k, v) for k, v in request.query if k not in {"$skip", "$top"}]
            if top is not None:
                options.append(("$top", str(top - len(page))))
            options.append(("$skip", str(skip + len(page))))
            query = "&".join(f"{k}={quote(v, safe=NEXTLINK_SAFE)}" for k, v in options)
            body["odata.nextLink"] = f"{set_name}?{query}"
        return Response(200, body, headers)

    def _shape(self, request: Request, set_name: str, row: dict[str, Any]) -> dict[str, Any]:
        text = request.option("$select")
        if text is None:
            return json.loads(json.dumps(row))
        try:
            names = odata.parse_select(text, ENTITY_SETS[set_name].fields)
        except odata.QueryError as exc:
            raise B1Error(400, BAD_REQUEST, str(exc)) from exc
        return json.loads(json.dumps({name: row.get(name) for name in names}))

    def _get(self, request: Request, set_name: str, key: Any) -> Response:
        entity = self.company.get(set_name, key)
        body = {"odata.metadata": f"{request.base_url}$metadata#{set_name}/@Element"}
        etag = self.company.etag(set_name, key)
        headers: dict[str, str] = {}
        if request.option("$select") is None:
            # Only full reads carry a usable ETag (a $select answer's ETag is not to be trusted).
            body["odata.etag"] = etag
            headers["ETag"] = etag
        body.update(self._shape(request, set_name, entity))
        return Response(200, body, headers)

    def _create(self, request: Request, set_name: str) -> Response:
        if set_name not in ENTITY_SETS or not ENTITY_SETS[set_name].creatable:
            raise B1Error(405, BAD_REQUEST, f"Creating {set_name} is not supported")
        landed, entity = self.company.create(set_name, request.json())
        no_content = "return-no-content" in request.headers.get("prefer", "").lower()
        key_name = ENTITY_SETS[landed].keys
        key = entity[key_name[0]] if len(key_name) == 1 else tuple(entity[name] for name in key_name)
        shown = f"'{key}'" if isinstance(key, str) else str(key)
        location = f"{request.base_url}{landed}({shown})"
        if landed != set_name and not no_content:
            # An approval procedure turned the order into a draft: the SL reports it as an error.
            raise B1Error(self.approval_error_status, NOT_FOUND, "No matching records found (ODBC -2028)")
        if no_content:
            return Response(204, headers={"Location": location, "Preference-Applied": "return-no-content"})
        body = {"odata.metadata": f"{request.base_url}$metadata#{landed}/@Element"}
        body.update(json.loads(json.dumps(entity)))
        return Response(201, body, {"Location": location, "ETag": self.company.etag(landed, key)})

    def _patch(self, request: Request, set_name: str, key: Any) -> Response:
        self.company.get(set_name, key)
        if_match = request.headers.get("if-match")
        if if_match and if_match != "*" and if_match != self.company.etag(set_name, key):
            message = "Another user or another operation modified data; to continue, open the window again"
            raise B1Error(412, ETAG_CONFLICT, message)
        replace = request.headers.get("b1s-replacecollectionsonpatch", "").lower() == "true"
        self.company.patch(set_name, key, request.json(), replace_collections=replace)
        return Response(204)


# ---------------------------------------------------------------------------------------------------------------
# HTTP


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "SAP-B1-ServiceLayer-Simulator"
    # Headers and body go out in two writes; without TCP_NODELAY each keep-alive call waits on a delayed ACK.
    disable_nagle_algorithm = True

    @property
    def simulator(self) -> SapB1Simulator:
        return self.server.simulator  # type: ignore[attr-defined]

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        simulator = self.simulator
        split = urlsplit(self.path)
        raw_path = unquote(split.path)
        relative = raw_path[len(API_ROOT) :] if raw_path.startswith(API_ROOT) else raw_path
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        with simulator.stats.request(method, relative):
            fired = simulator.faults.take(method, relative)
            for fault in fired:
                if fault.kind == "latency":
                    time.sleep(fault.seconds)
            kinds = {fault.kind: fault for fault in fired}
            if "reset" in kinds:
                self._abort()
                return
            if "error" in kinds:
                fault = kinds["error"]
                text = fault.body or f"<html><body><h1>{fault.status} Service Unavailable</h1></body></html>"
                self._send(Response(fault.status, text, content_type="text/html"))
                return
            if "throttle" in kinds:
                error = B1Error(429, BAD_REQUEST, "Too many requests")
                self._send(Response(429, error.body(), {"Retry-After": str(kinds["throttle"].retry_after)}))
                return
            cookies = self._cookies()
            if "expire_session" in kinds:
                simulator.sessions.expire(cookies.get("B1SESSION", ""))
            if not raw_path.startswith(API_ROOT):
                response = Response(404, B1Error(404, BAD_REQUEST, f"Invalid resource path '{raw_path}'").body())
            else:
                host = self.headers.get("Host") or f"{simulator.host}:{simulator.port}"
                request = Request(
                    method=method,
                    path=relative,
                    query=parse_qsl(split.query, keep_blank_values=True),
                    headers={name.lower(): value for name, value in self.headers.items()},
                    cookies=cookies,
                    body=body,
                    base_url=f"http://{host}{API_ROOT}",
                )
                try:
                    response = simulator.handle(request)
                except B1Error as exc:
                    response = Response(exc.status, exc.body())
                except Exception:
                    # A simulator bug must still answer like a server would, and be visible in the test log.
                    logger.exception("SAP B1 simulator failed on %s %s", method, self.path)
                    response = Response(500, B1Error(500, -1, "Internal simulator error").body())
            if "drop_response" in kinds:
                fault = kinds["drop_response"]
                if fault.mode == "timeout":
                    time.sleep(fault.seconds)
                self._abort()
                return
            self._send(response)

    def _cookies(self) -> dict[str, str]:
        cookies: dict[str, str] = {}
        for header in self.headers.get_all("Cookie") or []:
            for part in header.split(";"):
                name, _, value = part.strip().partition("=")
                if name:
                    cookies[name] = value
        return cookies

    def _abort(self) -> None:
        """Drop the connection with no response at all; SO_LINGER 0 makes the close a reset (RST)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    def _send(self, response: Response) -> None:
        if response.body is None:
            payload = b""
        elif isinstance(response.body, str):
            payload = response.body.encode()
        else:
            payload = json.dumps(response.body, ensure_ascii=False).encode()
        self.send_response(response.status)
        if payload:
            self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("DataServiceVersion", "3.0")
        for name, value in response.headers.items():
            self.send_header(name, value)
        for cookie in response.cookies:
            self.send_header("Set-Cookie", cookie)
        self.end_headers()
        if payload and self.command != "HEAD":
            self.wfile.write(payload)


__all__ = ["B1Error", "Company", "Fault", "Faults", "SapB1Simulator", "Sessions", "Stats"]
