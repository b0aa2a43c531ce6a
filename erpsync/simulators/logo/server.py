"""A local Logo Objects REST service (``/api/v1``) over one firm, for tests, benchmarks and demos. No Logo needed.

    with LogoSimulator(demo=True) as sim:
        token = requests.post(sim.token_url, data={"grant_type": "password", "username": sim.username,
                              "password": sim.password, "firmno": sim.firm.firm},
                              auth=(sim.client_id, sim.client_secret)).json()["access_token"]
        requests.get(sim.base_url + "items?limit=25&expandlevel=full", headers={"Authorization": f"Bearer {token}"})

What it does, as the protocol notes (docs/logo.md, "Sources") describe Logo:

- ``/api/v1/token`` (GET or POST, form body or query): OAuth2 password grant with ``username``, ``password``,
  ``firmno`` and ``Authorization: Basic base64(client_id:client_secret)``; answers ``{access_token, token_type,
  expires_in}`` (``expires_in`` left out when ``send_expires_in`` is off: the exact set is not confirmed). Refused
  grants answer OAuth-style ``{"error", "error_description"}``.
- Data calls with ``Authorization: Bearer``; an expired or unknown token is answered ``login_error_status`` (401
  by default; 400 tolerated) with ASP.NET's ``{"Message", "ModelState": {"LoginError": [...]}}``.
- ``items``, ``unitSets``, ``Arps``, ``ArpShipmentLocations``, ``salesOrders``, ``salesDispatches``,
  ``salesInvoices``, ``salesItemPrices``, ``bankSlips``, ``safeDepositSlips``: lists (``offset``, ``limit``,
  ``expandlevel``) and ``GET …/{INTERNAL_REFERENCE}``; ``POST salesOrders|Arps|ArpSlips|bankSlips|safeDepositSlips``
  creates
  (``NUMBER: "~"`` takes the next slip number); ``PATCH salesOrders`` (body with ``INTERNAL_REFERENCE`` and
  ``CANCELLED: 1``) cancels; ``DELETE salesOrders/{ref}`` deletes. Logo refuses either once anything was shipped.
- ``queries?tsql=<SELECT>``: one read-only SELECT over the firm's tables (SQLite underneath; the SQL the adapter
  sends is kept to what T-SQL and SQLite both run). Anything else is refused.
- Business errors: 400 ``{"Message": "The request is invalid.", "ModelState": {"207": ["<Turkish text>"]}}``.
- LogoObjectService (SOAP) at ``/LogoObjectService.svc`` (WSDL at ``?wsdl``), see ``soap``; its shared secret is
  ``security_code``.

Fault switches (``sim.faults``, as ``erpsync.simulators.sap_b1.faults``, on paths relative to ``/api/v1/``, and
``LogoObjectService.svc/<operation>`` for SOAP calls):
latency, error (5xx with an IIS HTML page), reset, drop_response (apply, then lose the answer), refuse (a business
error with Logo's Turkish message, ``message``), expire_session (the caller's token expires just before the
request is checked).
"""

from __future__ import annotations

import base64
import json
import logging
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from erpsync.simulators.http import Answer, BearerTokens, LoopbackServer, SimulatorHandler, form_fields
from erpsync.simulators.logo.demo import seed_demo
from erpsync.simulators.logo.firm import Firm, LogoBusinessError
from erpsync.simulators.logo.rest import DEFAULT_LIMIT, Resources, run_query
from erpsync.simulators.logo.soap import SERVICE_PATH, LogoObjectService, wsdl
from erpsync.simulators.sap_b1.faults import Faults, Stats

logger = logging.getLogger(__name__)

LOGIN_EXPIRED = "Oturum süresi doldu, lütfen tekrar giriş yapınız."
INVALID = "The request is invalid."
IIS_ERROR = (
    "<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body><h2>Service Unavailable</h2>"
    "<hr><p>HTTP Error {status}. The service is unavailable.</p></body></html>"
)


def model_state(key: str, message: str, status: int = 400) -> Answer:
    return Answer(status, {"Message": INVALID, "ModelState": {key: [message]}})


class LogoSimulator(LoopbackServer):
    """Logo Objects REST for firm ``firm`` (periods ``periods``, the last the working one) on ``127.0.0.1``."""

    thread_name = "logo-simulator"

    def __init__(
        self,
        *,
        firm: int = 1,
        periods: tuple[int, ...] = (1, 2),
        client_id: str = "LOGO",
        client_secret: str = "LOGO-SECRET",  # noqa: S107 - the simulator's own test client
        username: str = "PORTAL",
        password: str = "Gizli-1",  # noqa: S107 - the simulator's own test user
        token_lifetime: float = 1200,
        send_expires_in: bool = True,
        login_error_status: int = 401,
        security_code: str = "LOGO-GUVENLIK",
        demo: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.firm = Firm(firm, periods)
        self.resources = Resources(self.firm)
        self.soap = LogoObjectService(self.firm, security_code)
        self.client_id, self.client_secret = client_id, client_secret
        self.username, self.password = username, password
        self.token_lifetime = token_lifetime
        self.send_expires_in = send_expires_in
        self.login_error_status = login_error_status
        self.host, self.port = host, port
        self.faults = Faults()
        self.stats = Stats()
        self.tokens = BearerTokens()
        self._server_init()
        if demo:
            seed_demo(self.firm)

    def handler_class(self) -> type[SimulatorHandler]:
        return _Handler

    @property
    def base_url(self) -> str:
        return f"{self.root_url}api/v1/"

    @property
    def soap_url(self) -> str:
        return f"http://{self.host}:{self.port}{SERVICE_PATH}"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}token"

    @property
    def tokens_issued(self) -> int:
        return self.tokens.issued

    def expire_tokens(self) -> None:
        self.tokens.clear()

    # -- tokens -----------------------------------------------------------------------------------------------------

    def _token(self, form: dict[str, str], authorization: str) -> Answer:
        scheme, _, encoded = authorization.partition(" ")
        try:
            client = base64.b64decode(encoded).decode() if scheme.lower() == "basic" else ""
        except ValueError:
            client = ""
        if client != f"{self.client_id}:{self.client_secret}":
            return Answer(400, {"error": "invalid_client", "error_description": "İstemci bilgileri hatalı."})
        if form.get("grant_type") != "password":
            return Answer(400, {"error": "unsupported_grant_type"})
        if form.get("username") != self.username or form.get("password") != self.password:
            return Answer(400, {"error": "invalid_grant", "error_description": "Kullanıcı adı veya şifre hatalı."})
        if str(form.get("firmno") or "").lstrip("0") != str(self.firm.firm):
            return Answer(400, {"error": "invalid_grant", "error_description": "Firma numarası hatalı."})
        token = self.tokens.issue(self.token_lifetime)
        body: dict[str, Any] = {"access_token": token, "token_type": "bearer"}
        if self.send_expires_in:
            body["expires_in"] = int(self.token_lifetime)
        return Answer(200, body)

    # -- routes -----------------------------------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: dict[str, str], body: Any) -> Answer:
        parts = [part for part in path.split("/") if part]
        if not parts:
            return Answer(404, {"Message": "No HTTP resource was found that matches the request URI."})
        if parts[0].lower() == "queries" and method == "GET":
            offset = max(0, int(query.get("offset") or 0))
            limit = int(query["limit"]) if query.get("limit") else None
            with self.firm.lock:
                rows = run_query(self.firm, query.get("tsql", ""), limit=limit, offset=offset)
            return Answer(200, {"items": rows, "count": len(rows)})
        name = self.resources.resource(parts[0])
        if name is None:
            return Answer(404, {"Message": f"No HTTP resource was found that matches the request URI '{path}'."})
        ref = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        with self.firm.lock:
            if method == "GET" and ref is None:
                offset = max(0, int(query.get("offset") or 0))
                limit = int(query.get("limit") or DEFAULT_LIMIT)
                full = (query.get("expandlevel") or query.get("ExpandLevel") or "").lower() == "full"
                return Answer(200, self.resources.list(name, offset=offset, limit=limit, full=full))
            if method == "GET":
                found = self.resources.get(name, ref)
                return Answer(200, found) if found is not None else Answer(404, {"Message": "Kayıt bulunamadı."})
            if method == "POST" and ref is None:
                return self._create(name, body)
            if name == "salesOrders" and method == "PATCH":
                key = ref or int((body or {}).get("INTERNAL_REFERENCE") or 0)
                if int((body or {}).get("CANCELLED") or 0) == 1:
                    self.firm.cancel_order(key)
                return Answer(200, self.resources.get(name, key))
            if name == "salesOrders" and method == "DELETE" and ref is not None:
                self.firm.cancel_order(ref, delete=True)
                return Answer(200, None)
        return Answer(405, {"Message": f"The requested resource does not support http method '{method}'."})

    def _create(self, name: str, body: Any) -> Answer:
        if not isinstance(body, dict):
            return model_state("body", "Gövde boş veya hatalı.")
        make = {
            "salesOrders": self.firm.create_order,
            "Arps": self.firm.create_customer,
            "ArpSlips": self.firm.create_arp_slip,
            "bankSlips": self.firm.create_bank_slip,
            "safeDepositSlips": self.firm.create_cash_slip,
        }.get(name)
        if make is None:
            return Answer(405, {"Message": "The requested resource does not support http method 'POST'."})
        ref = make(body)
        return Answer(200, self.resources.get(name, ref))


class _Handler(SimulatorHandler):
    server_version = "Microsoft-IIS/10.0"
    logger = logger
    error_page = IIS_ERROR

    def _serve(self, method: str) -> None:
        split = urlsplit(self.path)
        path = unquote(split.path)
        raw = self._body()
        relative = path[len("/api/v1/") :] if path.startswith("/api/v1/") else path.lstrip("/")
        action = (self.headers.get("SOAPAction") or "").strip('"').rsplit("/", 1)[-1]
        # Faults and statistics see a SOAP call as ``LogoObjectService.svc/<operation>``.
        seen = f"{relative}/{action}" if action and "/" + relative == SERVICE_PATH else relative
        self._serve_faulted(method, seen, lambda kinds: self._answer(method, relative, split.query, raw, kinds))

    def _refused(self, fault: Any) -> Answer:
        return model_state(str(fault.code or 207), fault.message or "İşlem yapılamadı.", fault.status)

    def _answer(self, method: str, relative: str, query_text: str, raw: bytes, kinds: dict[str, Any]) -> Answer:
        sim: LogoSimulator = self.simulator
        query = dict(parse_qsl(query_text, keep_blank_values=True))
        if "/" + relative == SERVICE_PATH:
            if method == "GET" and query_text.lower() in ("wsdl", "singlewsdl"):
                return Answer(200, wsdl(sim.soap_url), content_type="text/xml; charset=utf-8")
            if method != "POST":
                return Answer(405, "Method not allowed", content_type="text/plain")
            status, text = sim.soap.answer(raw)
            return Answer(status, text, content_type="text/xml; charset=utf-8")
        if relative.lower() == "token":
            if method not in ("GET", "POST"):
                return Answer(405, {"error": "invalid_request"})
            sim.stats.logins += 1
            return sim._token({**query, **form_fields(raw)}, self.headers.get("Authorization", ""))
        if not self.path.startswith("/api/v1/"):
            return Answer(404, {"Message": "No HTTP resource was found that matches the request URI."})
        if "expire_session" in kinds:
            sim.expire_tokens()
        if sim.tokens.check(self.headers.get("Authorization", "")) is None:
            return model_state("LoginError", LOGIN_EXPIRED, sim.login_error_status)
        body = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                return model_state("body", "Gövde JSON değil.")
        try:
            return sim.handle(method, relative, query, body)
        except LogoBusinessError as exc:
            if exc.key == "404":
                return Answer(404, {"Message": exc.message})
            return model_state(exc.key, exc.message)
        except Exception:
            logger.exception("Logo simulator failed on %s %s", method, self.path)
            return Answer(500, {"Message": "An error has occurred."})


__all__ = ["LogoSimulator"]
