"""A local DİA web service (API v3, JSON) over one company, for tests, benchmarks and demos. No DİA needed.

    with DiaSimulator(demo=True) as sim:
        login = {"username": sim.username, "password": sim.password, "disconnect_same_user": "False",
                 "lang": "tr", "params": {"apikey": sim.apikey}}
        sid = requests.post(sim.url("sis"), json={"login": login}).json()["msg"]
        requests.post(sim.url("scf"), json={"scf_stokkart_listele": {"session_id": sid, "firma_kodu": 1,
                      "donem_kodu": 1, "limit": 100, "offset": 0}})

What it does, after DİA's published web-service documentation and clients of it (as collected in the project's
ERP protocol notes, DİA section, which grades each point):

- doc.dia.com.tr ``gelistirici:wsapi:genel`` (POST-only JSON to ``/api/v3/{modul}/json``, ``session_id``,
  ``firma_kodu``, ``donem_kodu`` on every call, 0.0125 kontör per call except login/logout), ``…:session`` (login with
  ``params.apikey``, ``{"code":"200","msg":<session_id>}``, ``{"code":"401","msg":"NOUSER"}``, 1 h idle timeout,
  ``disconnect_same_user``, logout), ``…:servis_turu_listeleme`` (``filters`` ``{field, operator, value}`` with
  ``< > <= >= ! = IN NOT IN`` and no operator meaning "contains", ``sorts``, ``params.selectedcolumns``, ``limit``
  0 = all, ``offset``, ``_date`` for changes), ``…:servis_turu_ekleme`` (``kart``, link fields as ``{"_key": …}``
  or matching columns, "Kayıt bulunamadı (model → {…})", "Kritere uygun birden fazla kayıt var!"), ``…:sss``
  (raw PostgreSQL texts such as "value too long for type character varying(…)", "malformed array literal").
- The error code table (200, 400, 401, 402, 405, 406 CREDIT_ERROR, 419 LOGIN_TIMEOUT, 500, 501) as mirrored in
  System141/mobilproje ``dia_web_service_api_detayli_dokumantasyon.md``; DİA's own C# sample dia-os/dia-ws-client
  (``Sabitler.cs``, ``Form_CariKartListesi.cs``: ``sis_yetkili_firma_donem_sube_depo``, ``firmakodu``,
  ``donemler[].donemkodu``, ``ontanimli``); yigitbayol/dia (``scf_siparis_*``, ``scf_fatura_*``, stock cards);
  MelihDreal/DiaFisTransferEntegrasyonu ``Services/DiaService.cs`` (``scf_kasaislemleri_ekle``,
  ``scf_carihesap_fisi_ekle``, the ``key`` of an add); ibrahimhlvaci/dia-integration (501 for a duplicate card);
  dia-os/dia-ws-client ``Form_CariKart.cs`` (``scf_carikart_ekle``: ``kart`` with ``carikartkodu``, ``unvan``,
  ``tckimlikno``, ``verginumarasi``, ``eposta``, ``carikayitturu`` SHS/KRLS, ``carikarttipi`` AL/AS/ST,
  ``_key_sis_vergidairesi``, ``_key_sis_sube``, ``m_adresler`` with ``anaadres`` "1", ``adres1``, ``telefon1``,
  ``postakodu``, ``_key_sis_sehirler``; ``sis_sehirler_listele`` ``sehiradi``, ``sis_vergidairesi_listele``
  ``daire``/``kod``).

Chosen here where the sources are silent (each a switch or a documented choice, listed in docs/dia.md): HTTP 200
with the code in the body (``http_status_on_error`` mirrors it in the HTTP status too); the list key ``result``
(``list_key="data"`` for the tenants that send ``data``); an expired session answers 419 (``expired_code=401``
for ``INVALID_SESSION``); the price card's, depot's, stock report's and statement's column names; ``onay: "IPTAL"``
as a cancelled order; the kontör balance under ``result.kontor``.

Fault switches (``sim.faults``, ``erpsync.simulators.sap_b1.faults``) match ``{module}/{service}`` paths, e.g.
``scf/scf_siparis_ekle``: latency, error (5xx with an nginx page), reset, drop_response (apply, then lose the
answer), refuse (DİA's envelope with ``code``/``message``), expire_session (the caller's session ends just before
the call is checked). ``sim.expire_sessions()`` ends every session now; ``sim.credits`` is the kontör balance:
below one call's cost every call but login/logout answers 406.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from erpsync.simulators.dia.company import Company, DiaError, report_body
from erpsync.simulators.dia.demo import seed_demo
from erpsync.simulators.http import Answer, LoopbackServer, SimulatorHandler
from erpsync.simulators.sap_b1.faults import Faults, Stats

logger = logging.getLogger(__name__)

NGINX_ERROR = (
    "<html><head><title>{status} Bad Gateway</title></head><body><center><h1>{status} Bad Gateway</h1></center>"
    "<hr><center>nginx</center></body></html>"
)
MODULES = ("sis", "scf", "rpr", "bcs", "muh", "gts")
FREE = frozenset({"login", "logout"})


class DiaSimulator(LoopbackServer):
    """DİA's web service for one company (``firma``) and period (``donem``) on ``127.0.0.1``."""

    thread_name = "dia-simulator"

    def __init__(
        self,
        *,
        firma: int = 1,
        donem: int = 1,
        username: str = "ws",
        password: str = "Gizli-1",  # noqa: S107 - the simulator's own test user
        apikey: str = "dia-test-apikey",
        session_timeout: float = 3600,
        credits: Any = "1000",
        credit_per_call: Any = "0.0125",
        expired_code: str = "419",
        list_key: str = "result",
        http_status_on_error: bool = False,
        decimals: int = 6,
        demo: bool = False,
        seed: int = 0,
        items: int = 0,
        customers: int = 0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.company = Company(firma, donem, decimals=decimals)
        self.username, self.password, self.apikey = username, password, apikey
        self.session_timeout = session_timeout
        self.credits = Decimal(str(credits))
        self.credit_per_call = Decimal(str(credit_per_call))
        self.expired_code = expired_code
        self.list_key = list_key
        self.http_status_on_error = http_status_on_error
        self.host, self.port = host, port
        self.faults = Faults()
        self.stats = Stats()
        self.calls: list[str] = []  # every service called, in order (login and logout included)
        self._sessions: dict[str, tuple[str, float]] = {}  # session_id → (user, last use)
        self._auth_lock = threading.Lock()
        self._server_init()
        if demo or items or customers:
            seed_demo(self.company, seed=seed, items=items or 30, customers=customers or 6)

    def handler_class(self) -> type[SimulatorHandler]:
        return _Handler

    def url(self, module: str) -> str:
        return f"{self.root_url}api/v3/{module}/json"

    @property
    def base_url(self) -> str:
        return f"{self.root_url}api/v3/"

    # -- sessions and credit ----------------------------------------------------------------------------------------

    def expire_sessions(self) -> None:
        """Every session ends now (as after an hour idle)."""
        with self._auth_lock:
            self._sessions = {sid: (user, -1e12) for sid, (user, _used) in self._sessions.items()}

    @property
    def sessions(self) -> int:
        with self._auth_lock:
            return sum(1 for _u, used in self._sessions.values() if used > 0)

    def count(self, service: str) -> int:
        return sum(1 for name in self.calls if name == service)

    def _login(self, body: dict[str, Any]) -> dict[str, Any]:
        params = body.get("params") if isinstance(body.get("params"), dict) else {}
        if body.get("username") != self.username or body.get("password") != self.password:
            return {"code": "401", "msg": "NOUSER"}
        if params.get("apikey") != self.apikey:
            return {"code": "401", "msg": "INVALID_APIKEY"}
        session_id = secrets.token_hex(16)
        kick = str(body.get("disconnect_same_user", "")).lower() == "true"
        with self._auth_lock:
            if kick:  # the user's older sessions end
                self._sessions = {s: v for s, v in self._sessions.items() if v[0] != self.username}
            self._sessions[session_id] = (self.username, time.monotonic())
        self.stats.logins += 1
        return {"code": "200", "msg": session_id, "warnings": []}

    def _session(self, session_id: Any) -> str:
        """``""`` when the session is usable (its idle timer restarted), else the refusal's code."""
        with self._auth_lock:
            found = self._sessions.get(str(session_id or ""))
            if found is None:
                return "401"
            user, used = found
            if time.monotonic() - used > self.session_timeout:
                return self.expired_code
            self._sessions[str(session_id)] = (user, time.monotonic())
        return ""

    def _charge(self) -> bool:
        with self._auth_lock:
            if self.credits < self.credit_per_call:
                return False
            self.credits -= self.credit_per_call
            return True

    # -- the services -----------------------------------------------------------------------------------------------

    def answer(self, module: str, raw: bytes, kinds: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """(service, envelope) for one call's body."""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            return "", {"code": "400", "msg": "INVALID_JSON"}
        if not isinstance(body, dict) or len(body) != 1:
            return "", {"code": "400", "msg": "Gövdede tek bir servis adı olmalı"}
        ((service, params),) = body.items()
        self.calls.append(service)
        if not isinstance(params, dict):
            return service, {"code": "400", "msg": "INVALID_PARAMS"}
        if service not in FREE and service.split("_", 1)[0] != module:
            return service, {"code": "400", "msg": f"{service} servisi {module} modülünde yok"}
        if service == "login":
            return service, self._login(params)
        if service == "logout":
            with self._auth_lock:
                self._sessions.pop(str(params.get("session_id") or ""), None)
            return service, {"code": "200", "msg": "OK"}
        if "expire_session" in kinds:
            self.expire_sessions()
        refused = self._session(params.get("session_id"))
        if refused:
            return service, {"code": refused, "msg": "LOGIN_TIMEOUT" if refused == "419" else "INVALID_SESSION"}
        if not self._charge():
            return service, {"code": "406", "msg": "CREDIT_ERROR: Kontör yetersiz"}
        handler = SERVICES.get(service)
        if handler is None:
            return service, {"code": "400", "msg": f"Servis bulunamadı: {service}"}
        if service != "sis_yetkili_firma_donem_sube_depo":
            firma, donem = _int(params.get("firma_kodu")), _int(params.get("donem_kodu"))
            if firma != self.company.code or donem != self.company.period:
                return service, {"code": "401", "msg": "INSUFFICIENT_PRIVILEGES: firma/dönem yetkisi yok"}
        try:
            with self.company.lock:
                return service, handler(self, params)
        except DiaError as exc:
            return service, {"code": exc.code, "msg": exc.msg}
        except (KeyError, TypeError, ValueError) as exc:  # DİA hands back the raw Python text
            return service, {"code": "500", "msg": f"{type(exc).__name__}: {exc}"}

    def listed(self, rows: list[dict[str, Any]]) -> dict[str, Any]:
        return {"code": "200", "msg": "", self.list_key: rows}


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _discovery(sim: DiaSimulator, params: dict[str, Any]) -> dict[str, Any]:
    c = sim.company
    return {
        "code": "200",
        "result": [
            {
                "firmakodu": c.code,
                "firmaadi": c.name,
                "donemler": [
                    {
                        "donemkodu": c.period,
                        "gorunendonemkodu": str(c.now.year),
                        "baslangictarihi": f"{c.now.year}-01-01",
                        "bitistarihi": f"{c.now.year}-12-31",
                        "ontanimli": "t",
                    }
                ],
                "subeler": [{**branch, "depolar": [dict(d) for d in c.depots]} for branch in c.branches],
                "ontanimli__donemkodu": c.period,
            }
        ],
    }


def _list(table: str) -> Callable[[DiaSimulator, dict[str, Any]], dict[str, Any]]:
    def serve(sim: DiaSimulator, params: dict[str, Any]) -> dict[str, Any]:
        return sim.listed(sim.company.listing(sim.company.tables[table], params))

    return serve


def _get(table: str) -> Callable[[DiaSimulator, dict[str, Any]], dict[str, Any]]:
    def serve(sim: DiaSimulator, params: dict[str, Any]) -> dict[str, Any]:
        row = sim.company.one(table, f"scf_{table}", {"_key": params.get("key")})
        return {"code": "200", "result": sim.company.full(row)}

    return serve


def _added(row: dict[str, Any]) -> dict[str, Any]:
    return {"code": "200", "msg": "Kayıt eklendi", "key": row["_key"]}


def _kart(params: dict[str, Any]) -> dict[str, Any]:
    kart = params.get("kart")
    if not isinstance(kart, dict):
        raise DiaError("400", "kart eksik")
    return kart


def _order_update(sim: DiaSimulator, params: dict[str, Any]) -> dict[str, Any]:
    row = sim.company.update_order(_kart(params))
    return {"code": "200", "msg": "Kayıt güncellendi", "key": row["_key"]}


def _order_delete(sim: DiaSimulator, params: dict[str, Any]) -> dict[str, Any]:
    sim.company.delete_order(params.get("key"))
    return {"code": "200", "msg": "Kayıt silindi", "key": str(params.get("key"))}


def _credit(sim: DiaSimulator, params: dict[str, Any]) -> dict[str, Any]:
    return {"code": "200", "result": {"kontor": f"{sim.credits:.4f}"}}


def _ageing(sim: DiaSimulator, params: dict[str, Any]) -> dict[str, Any]:
    options = params.get("params") if isinstance(params.get("params"), dict) else {}
    return sim.listed(sim.company.listing(sim.company.ageing(options), {**params, "params": {}}))


def _report(sim: DiaSimulator, params: dict[str, Any]) -> dict[str, Any]:
    code = params.get("report_code")
    param = params.get("param") if isinstance(params.get("param"), dict) else {}
    if code == "scf2310a":
        rows = sim.company.stock_report(param)
    elif code == "scf1110a":
        rows = sim.company.statement(param)
    else:
        raise DiaError("500", f"Rapor bulunamadı: {code}")
    return {"code": "200", "result": report_body(rows, str(params.get("format_type") or "json"))}


SERVICES: dict[str, Callable[[DiaSimulator, dict[str, Any]], dict[str, Any]]] = {
    "sis_yetkili_firma_donem_sube_depo": _discovery,
    "sis_kontor_sorgula": _credit,
    "scf_stokkart_listele": _list("stokkart"),
    "scf_stokkart_getir": _get("stokkart"),
    "scf_fiyatkart_listele": _list("fiyatkart"),
    "scf_carikart_listele": _list("carikart"),
    "scf_carikart_getir": _get("carikart"),
    "scf_carikart_vade_bakiye_listele": _ageing,
    "scf_carikart_ekle": lambda sim, p: _added(sim.company.create_customer(_kart(p))),
    "sis_sehirler_listele": _list("sehirler"),
    "sis_vergidairesi_listele": _list("vergidairesi"),
    "scf_siparis_listele": _list("siparis"),
    "scf_siparis_getir": _get("siparis"),
    "scf_siparis_ekle": lambda sim, p: _added(sim.company.create_order(_kart(p))),
    "scf_siparis_guncelle": _order_update,
    "scf_siparis_sil": _order_delete,
    "scf_irsaliye_listele": _list("irsaliye"),
    "scf_irsaliye_getir": _get("irsaliye"),
    "scf_fatura_listele": _list("fatura"),
    "scf_fatura_getir": _get("fatura"),
    "scf_kasaislemleri_listele": _list("kasaislemleri"),
    "scf_kasaislemleri_ekle": lambda sim, p: _added(sim.company.create_cash(_kart(p))),
    "scf_carihesap_fisi_listele": _list("carihesap_fisi"),
    "scf_carihesap_fisi_ekle": lambda sim, p: _added(sim.company.create_account_slip(_kart(p))),
    "rpr_raporsonuc_getir": _report,
}


class _Handler(SimulatorHandler):
    server_version = "nginx"
    logger = logger
    error_page = NGINX_ERROR

    def _serve(self, method: str) -> None:
        sim: DiaSimulator = self.simulator
        raw = self._body()
        parts = [part for part in self.path.split("?", 1)[0].split("/") if part]
        module = parts[2] if len(parts) == 4 and parts[:2] == ["api", "v3"] and parts[3] == "json" else ""
        if module not in MODULES:
            self._send(Answer(404, "Not Found", content_type="text/plain"))
            return
        if method != "POST":
            self._send(Answer(405, "Method Not Allowed", content_type="text/plain"))
            return
        service = _service_name(raw)
        self._serve_faulted(
            method, f"{module}/{service}", lambda kinds: self._envelope(sim.answer(module, raw, kinds)[1])
        )

    def _refused(self, fault: Any) -> Answer:
        return self._envelope({"code": str(fault.code or 500), "msg": fault.message or "İşlem yapılamadı."})

    def _envelope(self, envelope: dict[str, Any]) -> Answer:
        sim: DiaSimulator = self.simulator
        status = 200
        if sim.http_status_on_error and envelope.get("code") != "200":
            status = int(envelope.get("code") or 500)
        return Answer(status, json.dumps(envelope, ensure_ascii=False, default=str))


def _service_name(raw: bytes) -> str:
    try:
        body = json.loads(raw or b"{}")
    except ValueError:
        return ""
    return next(iter(body), "") if isinstance(body, dict) else ""


__all__ = ["DiaSimulator"]
