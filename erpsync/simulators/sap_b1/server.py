"""A local SAP Business One Service Layer (``/b1s/v1/``, OData v3-style JSON, and ``/b1s/v2/``, OData v4) for tests
and demos. No SAP needed.

    with SapB1Simulator(users={"manager": "1234"}) as sim:
        session = requests.Session()
        session.post(sim.base_url + "Login", json={"CompanyDB": sim.company_db, "UserName": "manager",
                                                   "Password": "1234"})
        session.get(sim.base_url + "Items?$select=ItemCode,ItemName")

What it promises (as the Service Layer is documented):

- ``POST Login`` answers ``SessionId``/``Version``/``SessionTimeout`` and sets the ``B1SESSION`` and ``ROUTEID``
  cookies; every other call needs a live ``B1SESSION``. Sessions expire after ``session_timeout`` minutes without a
  call (sliding); an unknown or expired session is HTTP 401 with code 301. ``POST Logout`` ends the session.
- v1 and v2 answer in their own forms: ``odata.metadata``/``odata.nextLink``/``odata.etag``/``odata.count`` and
  ``DataServiceVersion: 3.0`` (v1); ``@odata.context``/``@odata.nextLink``/``@odata.etag``/``@odata.count``,
  ``OData-Version: 4.0`` and dates as ``2024-05-01T00:00:00Z`` (v2), as recorded v2 traffic shows them.
- Errors: v1 ``{"error": {"code", "message": {"lang": "en-us", "value"}}}``, v2 ``{"error": {"code": "<text>",
  "details": […], "message": "<text>"}}``: -2028 not found (404), -2035 duplicate (400), -2039 stale ``If-Match``
  (412), 301 invalid session (401), 100000027 login failed (401), -1000 "Property 'X' of 'T' is invalid" (400).
- Every body, ``$select``, ``$filter``, ``$orderby`` and ``$expand`` is checked against the real ``$metadata``
  subset (``metadata.py``); UDFs (``U_…``) exist once the company declares them (``company.declare_udf``); rows go
  out at the full width of their type (``metadata.Metadata.render``), each list row with its ETag.
- Collections page by 20 with a relative next link; ``Prefer: odata.maxpagesize=N`` (echoed in
  ``Preference-Applied``) and ``B1S-PageSize: N`` change it, 0 turns paging off. ``$select``, ``$filter``,
  ``$orderby``, ``$top``, ``$skip``, ``$expand`` of navigation properties (``BusinessPartner`` of documents and
  payments, with its own ``$select``), ``$inlinecount=allpages`` / ``$count=true`` and ``Set/$count`` work;
  unsupported syntax is a 400 error body.
- ``POST $batch`` (multipart/mixed; change sets are atomic), ``POST CompanyService_GetAdminInfo`` (the local
  currency), ``GET $metadata`` (the subset).
- ``POST Set`` creates (201 with the entity, or 204 with ``Prefer: return-no-content``), ``PATCH Set(key)`` updates
  (204; collections merge unless ``B1S-ReplaceCollectionsOnPatch: true``), ``POST Set(key)/Cancel|Close|Reopen``.

Where the notes are UNCONFIRMED the behaviour is a constructor argument: failed-login status, the session cap and
what happens at it, which page-size header wins, whether ``ROUTEID`` is required, how an approval procedure answers.

Faults for resilience tests (``sim.faults``): latency, 5xx, 429 with Retry-After, forced session expiry, connection
reset, "apply the write, then drop the response", and a refusal with a given code and message (a locked record).
``sim.stats`` counts requests and the most seen at once.

Not simulated: DELETE, ``$apply``, ``$expand`` of other navigation properties, paths into collections in
``$filter``.
"""

from __future__ import annotations

import logging
import re
import uuid
from datetime import datetime
from typing import Any, Literal
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from erpsync.simulators.http import LoopbackServer, SimulatorHandler
from erpsync.simulators.sap_b1 import batch, odata
from erpsync.simulators.sap_b1.clock import Clock
from erpsync.simulators.sap_b1.company import Company
from erpsync.simulators.sap_b1.demo import seed_demo
from erpsync.simulators.sap_b1.errors import (
    BAD_REQUEST,
    ETAG_CONFLICT,
    INVALID_SESSION,
    LOGIN_FAILED,
    NOT_FOUND,
    B1Error,
)
from erpsync.simulators.sap_b1.faults import Faults, Stats
from erpsync.simulators.sap_b1.metadata import METADATA_FILE, invalid_property, metadata
from erpsync.simulators.sap_b1.protocol import (
    API_ROOT,
    API_ROOT_V2,
    API_ROOTS,
    NEXTLINK_SAFE,
    PATH,
    VERSION,
    VERSION_V2,
    Request,
    Response,
    int_option,
    page_size_of,
    parse_key,
)
from erpsync.simulators.sap_b1.scenario import Scenario
from erpsync.simulators.sap_b1.schema import ENTITY_SETS
from erpsync.simulators.sap_b1.sessions import SESSION_EXPIRED_MESSAGE, Sessions

# ``ItemImages('A0001')`` and ``ItemImages('A0001')/$value`` (the item's picture as a file).
ITEM_IMAGE_PATH = re.compile(r"^ItemImages\((?P<key>.*)\)(?P<value>/\$value)?$")
PICTURE_TYPES = {
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "gif": "image/gif",
    "bmp": "image/bmp",
    "webp": "image/webp",
}

logger = logging.getLogger(__name__)


class SapB1Simulator(Scenario, LoopbackServer):
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
    - ``items``, ``customers``, ``seed``: demo data (``0`` items and customers for an empty company);
    - ``currency``: the company's local currency (``CompanyService_GetAdminInfo``).

    ``base_url`` is the v1 root (``/b1s/v1/``, OData v3-style JSON), ``base_url_v2`` the v2 one (OData v4).
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
        currency: str = "TRY",
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
        self.company = Company(company_db, currency=currency)
        self.sessions = Sessions(
            timeout_minutes=session_timeout, max_sessions=max_sessions, cap_policy=session_cap_policy
        )
        self.faults = Faults()
        self.stats = Stats()
        self._server_init()
        if items or customers:
            seed_demo(self.company, items=items, customers=customers, seed=seed)

    # -- lifecycle ------------------------------------------------------------------------------------------------

    thread_name = "sap-b1-simulator"

    def handler_class(self) -> type[SimulatorHandler]:
        return _Handler

    @property
    def base_url(self) -> str:
        """The v1 root (``/b1s/v1/``); ``base_url_v2`` is the OData v4 one."""
        return f"http://{self.host}:{self.port}{API_ROOT}"

    @property
    def base_url_v2(self) -> str:
        return f"http://{self.host}:{self.port}{API_ROOT_V2}"

    # -- the clock and the sessions ---------------------------------------------------------------------------------

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

    # -- the Service Layer ------------------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        """Answer one request (no faults applied here). Never raises for bad input: errors become error bodies."""
        if request.path == "Login" and request.method == "POST":
            return self._login(request)
        if self.require_routeid and request.cookies.get("ROUTEID") != self.route_id:
            raise B1Error(401, INVALID_SESSION, SESSION_EXPIRED_MESSAGE)
        session = self.sessions.touch(request.cookies.get("B1SESSION"))
        if request.path == "Logout" and request.method == "POST":
            self.sessions.close(session.id)
            return Response(204, version=request.version)
        if request.path == "$batch" and request.method == "POST":
            return self._batch(request)
        return self.route(request)

    def route(self, request: Request) -> Response:
        """Answer one request of a live session (a ``$batch`` part goes through here too)."""
        if request.path == "$metadata" and request.method == "GET":
            xml = METADATA_FILE.read_text(encoding="utf-8")
            return Response(200, xml, content_type="application/xml", version=request.version)
        if request.path == "CompanyService_GetAdminInfo" and request.method == "POST":
            with self.company.lock:
                info = self.company.admin_info()
            return Response(200, self._annotated(request, "AdminInfo", info), version=request.version)
        image = ITEM_IMAGE_PATH.match(request.path)
        if image and request.method == "GET":
            with self.company.lock:
                return self._item_image(request, parse_key("Items", image["key"]), raw=bool(image["value"]))
        match = PATH.match(request.path)
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
                return Response(204, version=request.version)
            if request.method == "GET":
                return self._get(request, set_name, key)
            if request.method == "PATCH":
                return self._patch(request, set_name, key)
            raise B1Error(405, BAD_REQUEST, f"{request.method} is not supported on {set_name}")

    def _item_image(self, request: Request, item_code: str, *, raw: bool) -> Response:
        """``ItemImages('code')``: the item's ``Picture`` file name; with ``/$value`` the file itself, read from the
        company's pictures folder, typed by its extension. An unknown item, an item without a picture, or a picture
        whose file is not in the folder: 404 "No matching records found"."""
        item = self.company.get("Items", item_code)  # 404 -2028 for an unknown item
        picture = item.get("Picture") or ""
        if not raw:
            body = self._annotated(request, "ItemImages", {"ItemCode": item_code, "Picture": picture})
            return Response(200, body, version=request.version)
        data = self.company.pictures.get(picture) if picture else None
        if data is None:
            raise B1Error(404, NOT_FOUND, "No matching records found (ODBC -2028)")
        kind = PICTURE_TYPES.get(picture.rsplit(".", 1)[-1].lower(), "application/octet-stream")
        return Response(200, data, content_type=kind, version=request.version)

    def _annotated(self, request: Request, context: str, body: dict[str, Any]) -> dict[str, Any]:
        """``body`` with its context annotation: ``odata.metadata`` …``/@Element`` (v1) or ``@odata.context``
        …``/$entity`` (v2)."""
        if request.version == 2:
            head = {"@odata.context": f"{request.base_url}$metadata#{context}/$entity"}
        else:
            head = {"odata.metadata": f"{request.base_url}$metadata#{context}/@Element"}
        return {**head, **body}

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
        answer = {
            "SessionId": session.id,
            "Version": VERSION_V2 if request.version == 2 else VERSION,
            "SessionTimeout": int(timeout) if float(timeout).is_integer() else timeout,
        }
        return Response(
            200,
            self._annotated(request, "B1Sessions", answer),
            cookies=[f"B1SESSION={session.id}; HttpOnly; path=/", f"ROUTEID={self.route_id}; path=/"],
            version=request.version,
        )

    def _type_and_udfs(self, set_name: str) -> tuple[str, dict[str, Any]]:
        type_name = ENTITY_SETS[set_name].type_name
        return type_name, self.company.udfs.get(type_name, {})

    def _rows(self, request: Request, set_name: str) -> list[dict[str, Any]]:
        entity_set = ENTITY_SETS[set_name]
        _type_name, udfs = self._type_and_udfs(set_name)
        fields = [*entity_set.fields, *udfs]
        rows = [self.company.collection(set_name)[key] for key in sorted(self.company.collection(set_name))]
        case_insensitive = request.headers.get("b1s-caseinsensitive", "").lower() == "true"
        try:
            text = request.option("$filter")
            if text is not None:
                tree = odata.parse_filter(text, fields)
                rows = [row for row in rows if odata.evaluate(tree, row, case_insensitive=case_insensitive)]
            text = request.option("$orderby")
            if text is not None:
                rows = odata.order_rows(rows, odata.parse_orderby(text, fields))
        except odata.QueryError as exc:
            raise B1Error(400, BAD_REQUEST, str(exc)) from exc
        return rows

    def _count(self, request: Request, set_name: str) -> Response:
        rows = self._rows(request, set_name)
        return Response(200, str(len(rows)), content_type="text/plain;charset=utf-8", version=request.version)

    def _list(self, request: Request, set_name: str) -> Response:
        rows = self._rows(request, set_name)
        total = len(rows)
        skip = int_option(request, "$skip") or 0
        top = int_option(request, "$top")
        page_size, headers = page_size_of(request, self.page_size_precedence)
        wanted = rows[skip:] if top is None else rows[skip : skip + top]
        page = wanted if page_size == 0 else wanted[:page_size]
        at = request.annotation
        if request.version == 2:
            body: dict[str, Any] = {"@odata.context": f"{request.base_url}$metadata#{set_name}"}
        else:
            body = {"odata.metadata": f"{request.base_url}$metadata#{set_name}"}
        inline = (request.option("$inlinecount") or "").lower() == "allpages"
        if inline or (request.option("$count") or "").lower() == "true":
            body[f"{at}count"] = total if request.version == 2 else str(total)
        shape = self._shaper(request, set_name)
        key_names = ENTITY_SETS[set_name].keys
        values = []
        for row in page:
            key = row[key_names[0]] if len(key_names) == 1 else tuple(row[name] for name in key_names)
            # Every row carries its ETag (recorded v2 lists show it on each row, with or without $select).
            values.append({f"{at}etag": self.company.etag(set_name, key), **shape(row)})
        body["value"] = values
        if len(page) < len(wanted):
            # The next page repeats the query with $skip moved on and what is left of $top.
            options = [(k, v) for k, v in request.query if k not in {"$skip", "$top"}]
            if top is not None:
                options.append(("$top", str(top - len(page))))
            options.append(("$skip", str(skip + len(page))))
            query = "&".join(f"{k}={quote(v, safe=NEXTLINK_SAFE)}" for k, v in options)
            body[f"{at}nextLink"] = f"{set_name}?{query}"
        return Response(200, body, headers, version=request.version)

    def _shaper(self, request: Request, set_name: str):
        """A function giving one row as the request asks for it: ``$select`` (checked against the entity type and
        the company's UDFs of it), ``$expand`` of navigation properties, full-width rows, v2 dates."""
        type_name, udfs = self._type_and_udfs(set_name)
        meta = metadata()
        select = None
        text = request.option("$select")
        if text is not None:
            names = [name.strip() for name in text.split(",") if name.strip()]
            if not names:
                raise B1Error(400, BAD_REQUEST, "Empty $select")
            if names != ["*"]:
                meta.known(type_name, names, udfs)
                select = names
        expands = parse_expand(request.option("$expand"), type_name)
        for _nav, target, nav_select in expands:
            if nav_select is not None:
                meta.known(target, nav_select, self.company.udfs.get(target, {}))
        all_udfs = self.company.udfs

        def shape(row: dict[str, Any]) -> dict[str, Any]:
            out = meta.render(type_name, row, all_udfs, version=request.version, select=select)
            for nav, target, nav_select in expands:
                related = self._related(target, row)
                out[nav] = (
                    None
                    if related is None
                    else meta.render(target, related, all_udfs, version=request.version, select=nav_select)
                )
            return out

        return shape

    def _related(self, target: str, row: dict[str, Any]) -> dict[str, Any] | None:
        if target == "BusinessPartner":
            return self.company.business_partners.get(row.get("CardCode") or "")
        return None

    def _get(self, request: Request, set_name: str, key: Any) -> Response:
        entity = self.company.get(set_name, key)
        etag = self.company.etag(set_name, key)
        headers: dict[str, str] = {"ETag": etag}
        body = self._annotated(request, set_name, {f"{request.annotation}etag": etag})
        body.update(self._shaper(request, set_name)(entity))
        return Response(200, body, headers, version=request.version)

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
            headers = {"Location": location, "Preference-Applied": "return-no-content"}
            return Response(204, headers=headers, version=request.version)
        etag = self.company.etag(landed, key)
        body = self._annotated(request, landed, {f"{request.annotation}etag": etag})
        body.update(
            metadata().render(ENTITY_SETS[landed].type_name, entity, self.company.udfs, version=request.version)
        )
        return Response(201, body, {"Location": location, "ETag": etag}, version=request.version)

    def _patch(self, request: Request, set_name: str, key: Any) -> Response:
        self.company.get(set_name, key)
        if_match = request.headers.get("if-match")
        if if_match and if_match != "*" and if_match != self.company.etag(set_name, key):
            message = "Another user or another operation modified data; to continue, open the window again"
            raise B1Error(412, ETAG_CONFLICT, message)
        replace = request.headers.get("b1s-replacecollectionsonpatch", "").lower() == "true"
        self.company.patch(set_name, key, request.json(), replace_collections=replace)
        return Response(204, version=request.version)

    # -- $batch -----------------------------------------------------------------------------------------------------

    def _batch(self, request: Request) -> Response:
        """``POST $batch`` (multipart/mixed): plain parts are answered one by one; a change set
        (a nested multipart/mixed) is atomic: when one of its requests fails, none of them stays applied and the
        change set is answered by that failure alone."""
        try:
            parts = batch.parse(request.headers.get("content-type", ""), request.body)
        except batch.BatchError as exc:
            raise B1Error(400, BAD_REQUEST, str(exc)) from exc
        answers: list[batch.Answer] = []
        for part in parts:
            if isinstance(part, list):
                answers.append(self._changeset(request, part))
            else:
                answers.append(self._batch_part(request, part))
        boundary = f"batchresponse_{uuid.uuid4()}"
        payload = batch.render(boundary, answers, version=request.version)
        return Response(202 if request.version == 1 else 200, payload,
                        content_type=f"multipart/mixed;boundary={boundary}", version=request.version)  # fmt: skip

    def _batch_part(self, request: Request, part: batch.Part) -> tuple[batch.Part, Response]:
        sub = batch.sub_request(request, part)
        try:
            return part, self.route(sub)
        except B1Error as exc:
            return part, Response(exc.status, exc.body(request.version), version=request.version)

    def _changeset(self, request: Request, parts: list[batch.Part]) -> list[tuple[batch.Part, Response]] | tuple:
        with self.company.lock:
            saved = self.company.snapshot()
            done = []
            for part in parts:
                answered, response = self._batch_part(request, part)
                if response.status >= 400:
                    self.company.restore(saved)
                    return answered, response
                done.append((answered, response))
            return done


def parse_expand(text: str | None, type_name: str) -> list[tuple[str, str, list[str] | None]]:
    """``$expand=BusinessPartner`` or ``BusinessPartner($select=CardCode,CardName)`` as (navigation property,
    target type, its ``$select``); a name that is no navigation property of ``type_name`` is refused."""
    if not text:
        return []
    found = []
    for part in re.findall(r"[A-Za-z_]+(?:\([^)]*\))?", text):
        name, _, options = part.partition("(")
        target = metadata().navigation.get(type_name, {}).get(name)
        if target is None:
            raise invalid_property(name, type_name)
        select = None
        for option in options.rstrip(")").split(";"):
            key, _, value = option.partition("=")
            if key.strip() == "$select":
                select = [n.strip() for n in value.split(",") if n.strip()]
            elif key.strip():
                raise B1Error(400, BAD_REQUEST, f"Unsupported option {key.strip()!r} in $expand")
        found.append((name, target, select))
    return found


class _Handler(SimulatorHandler):
    server_version = "SAP-B1-ServiceLayer-Simulator"
    logger = logger
    error_page = "<html><body><h1>{status} Service Unavailable</h1></body></html>"

    def _serve(self, method: str) -> None:
        split = urlsplit(self.path)
        raw_path = unquote(split.path)
        root = next((root for root in API_ROOTS if raw_path.startswith(root)), "")
        self._version = API_ROOTS.get(root, 1)
        relative = raw_path[len(root) :]
        body = self._body()
        self._serve_faulted(
            method, relative, lambda kinds: self._answer(method, root, raw_path, relative, split.query, body, kinds)
        )

    def _error_reply(self, status: int, html: str) -> Response:
        return Response(status, html, content_type="text/html")

    def _throttled(self, fault: Any) -> Response:
        error = B1Error(429, BAD_REQUEST, "Too many requests")
        headers = {"Retry-After": str(fault.retry_after)}
        return Response(429, error.body(self._version), headers, version=self._version)

    def _refused(self, fault: Any) -> Response:
        error = B1Error(fault.status, fault.code, fault.message)
        return Response(fault.status, error.body(self._version), version=self._version)

    def _answer(
        self, method: str, root: str, raw_path: str, relative: str, query: str, body: bytes, kinds: dict[str, Any]
    ) -> Response:
        simulator = self.simulator
        version = self._version
        cookies = self._cookies()
        if "expire_session" in kinds:
            simulator.sessions.expire(cookies.get("B1SESSION", ""))
        if not root:
            return Response(404, B1Error(404, BAD_REQUEST, f"Invalid resource path '{raw_path}'").body())
        host = self.headers.get("Host") or f"{simulator.host}:{simulator.port}"
        request = Request(
            method=method,
            path=relative,
            query=parse_qsl(query, keep_blank_values=True),
            headers={name.lower(): value for name, value in self.headers.items()},
            cookies=cookies,
            body=body,
            base_url=f"http://{host}{root}",
            version=version,
        )
        try:
            return simulator.handle(request)
        except B1Error as exc:
            return Response(exc.status, exc.body(version), version=version)
        except Exception:
            # A simulator bug must still answer like a server would, and be visible in the test log.
            logger.exception("SAP B1 simulator failed on %s %s", method, self.path)
            return Response(500, B1Error(500, -1, "Internal simulator error").body(version), version=version)

    def _cookies(self) -> dict[str, str]:
        cookies: dict[str, str] = {}
        for header in self.headers.get_all("Cookie") or []:
            for part in header.split(";"):
                name, _, value = part.strip().partition("=")
                if name:
                    cookies[name] = value
        return cookies

    def _headers(self, reply: Response) -> list[tuple[str, str]]:
        version = ("OData-Version", "4.0") if reply.version == 2 else ("DataServiceVersion", "3.0")
        return [version, *reply.headers.items(), *(("Set-Cookie", cookie) for cookie in reply.cookies)]
