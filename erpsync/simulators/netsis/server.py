"""A local NetOpenX REST service (``/api/v2``) over one Netsis company, for tests, benchmarks and demos.

    with NetsisSimulator(demo=True) as sim:
        token = requests.post(sim.token_url, data={"grant_type": "password", "branchcode": 0,
                              "username": sim.username, "password": sim.password, "dbname": sim.db_name,
                              "dbuser": sim.db_user, "dbpassword": sim.db_password, "dbtype": 0}).json()
        requests.get(sim.base_url + "Items?limit=50&q=GRUP_KODU%3D'ICECEK'",
                     headers={"Authorization": f"Bearer {token['access_token']}"}).json()["Data"]

What it does, as the public descriptions of NetOpenX REST say (docs/netsis.md, "Sources"):

- ``POST /api/v2/token``, form-encoded: ``grant_type=password``, ``branchcode``, ``username``, ``password`` (the
  Netsis user), ``dbname``, ``dbuser``, ``dbpassword``, ``dbtype`` (``0``, ``1`` or ``vtMSSQL``: clients disagree on
  the number, so all three are taken). Answers ``{access_token, token_type, expires_in}``; a refused grant answers
  400 ``{"error": "invalid_grant", "error_description"}``. Calls carry ``Authorization: Bearer``; an unknown or
  expired token is answered 401 ``{"Message": "Authorization has been denied for this request."}``.
- Every answer is a ``TResult``: ``{IsSuccessful, ErrorCode, ErrorDesc, Data}`` (``error_key`` names the message
  field: some builds call it ``ErrorDescription``); lists (``TSelectData``) add ``TotalCount``. A business error is
  HTTP 200 with ``IsSuccessful: false`` and a Turkish ``ErrorDesc``.
- Resources (``GET`` list with SelectFilter ``q``/``sort``/``fields``/``offset``/``limit``/``first``/``last``, see
  ``select``; ``GET …/GetInternalById?id=`` or ``GET …/{id}``; ``POST …/Describe`` the fields): ``Items``,
  ``ARPs`` (``POST`` creates an account from the list's columns, flat or under ``CariTemelBilgi``; and ``POST
  ARPs/CustomerRisk``), ``ARPTransactions``, ``ItemSlips`` (list per ``FaturaTip``; ``POST``
  creates, ``DELETE ItemSlips/{FaturaTip;FATIRS_NO;CARI_KOD}`` deletes, ``POST ItemSlips/NewNumber``,
  ``ItemSlips/SiparisToIrsFat``, ``ItemSlips/IrsToFat``), ``BankAccountTransaction`` (list and ``POST``),
  ``FastPayMain`` (``POST``), ``Company/BringBalance`` (balances per item and warehouse: the parameter's shape is the
  simulator's reading, ``StokKodu``/``DepoKodu``/``Offset``/``Limit``), ``Operations/BeginTransaction``,
  ``CommitTransaction``, ``RoolBackTransaction`` (sic), ``Ping``, ``LogOut``; ``GET /api/v2/help`` lists them.
- Items and ARPs come flat (TBLSTSABIT / TBLCASABIT column names), or nested under ``StokTemelBilgi`` /
  ``CariTemelBilgi`` when ``nested`` is on: public clients show both shapes.

Sources: the 320-row NetOpenX REST catalogue in bilalakyuz61/CalibraHub
(``src/CalibraHub.Web/Resources/Integration/NetsisRestEndpoints.csv``: resources, verbs, ``RoolBackTransaction``,
``ItemSlips`` GetInternal taking ``JTFaturaTip, SelectFilter``, ``Company/BringBalance`` taking ``ItemBalances``);
the ``verii_wms_api_v2`` ErpIntegration contracts (``NetsisItemSlipRequest``: ``FaturaTip``,
``KayitliNumaraOtomatikGuncellensin``, ``Seri``, ``FatUst``, ``Kalems``; ``CommitUncertain``); NetOpenX COM samples
(bahadirdogru.com "NetOpenX - Sipariş Revizyon": ``FatUst.FATIRS_NO``, ``CariKod``, ``Gir_Depo_Kodu``,
``DEPO_KODU``, ``STra_GCMIK``, ``STra_BF``, ``TFaturaTip.ftSSip``); Merchanter's NetOpenX.Rest.Client use
(``FATIRS_NO`` made from the web order number, ``JTFaturaTip.ftSSip``); a Netsis order sample putting the web order
number in ``EKACK14``. Field names the sources do not settle (per-warehouse balances, ``TESLIM_MIKTARI``,
``HAREKET_TURU``, ``KILIT``) are this simulator's, and settings of the adapter.

Fault switches (``sim.faults``, as ``erpsync.simulators.sap_b1.faults``, on paths relative to ``/api/v2/``):
latency, error (5xx with an IIS HTML page), reset, drop_response (apply, then lose the answer), refuse (HTTP 200,
``IsSuccessful: false``, ``code`` and a Turkish ``message``), expire_session (every token expires just before the
request is checked). ``sim.company`` holds the data (take ``sim.company.lock`` to change it).
"""

from __future__ import annotations

import bisect
import json
import logging
from collections.abc import Iterable
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from erpsync.simulators.http import Answer, BearerTokens, LoopbackServer, SimulatorHandler, form_fields
from erpsync.simulators.netsis.company import (
    LOCKED,
    REFUSED,
    UNKNOWN,
    Company,
    NetsisBusinessError,
    slip_id,
    slip_type,
)
from erpsync.simulators.netsis.demo import seed_demo
from erpsync.simulators.netsis.select import FilterError, select
from erpsync.simulators.sap_b1.faults import Faults, Stats

logger = logging.getLogger(__name__)

DENIED = "Authorization has been denied for this request."
IIS_ERROR = (
    "<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body><h2>Service Unavailable</h2>"
    "<hr><p>HTTP Error {status}. The service is unavailable.</p></body></html>"
)
DB_TYPES = ("0", "1", "vtmssql")
DESCRIBE = {
    "Items": ["STOK_KODU", "STOK_ADI", "GRUP_KODU", "KOD_1", "OLCU_BR1", "OLCU_BR2", "PAY_1", "PAYDA_1", "OLCU_BR3",
              "PAY2", "PAYDA2", "KDV_ORANI", "SATIS_FIAT1", "SAT_DOV_TIP", "BARKOD1", "BARKOD2", "BARKOD3",
              "KAYITTARIHI", "DUZELTMETARIHI"],
    "ARPs": ["CARI_KOD", "CARI_ISIM", "CARI_TIP", "VERGI_NO", "VERGI_DAIRESI", "TC_KIMLIK_NO", "CARI_ADRES",
             "CARI_IL", "CARI_ILCE", "POSTA_KODU", "CARI_TEL", "E_POSTA", "DOVIZ_KODU", "KREDI_LIMITI", "KILIT",
             "PLASIYER_KODU", "VADE_GUNU", "BORCLANAN_TUTAR", "ALACAKLANAN_TUTAR", "KAYITTARIHI", "DUZELTMETARIHI"],
    "ARPTransactions": ["INC_KEY_NUMBER", "CARI_KOD", "TARIH", "VADE_TARIHI", "BELGE_NO", "ACIKLAMA",
                        "HAREKET_TURU", "BORC", "ALACAK", "KAYITTARIHI"],
    "ItemSlips": ["FaturaTip", "Seri", "KayitliNumaraOtomatikGuncellensin", "FatUst.FATIRS_NO", "FatUst.CariKod",
                  "FatUst.Tarih", "FatUst.BELGE_NO", "FatUst.SIPARIS_TEST", "FatUst.TIPI", "FatUst.KDV_DAHILMI",
                  "FatUst.DEPO_KODU", "FatUst.Aciklama", "FatUst.EKACK1..EKACK16", "FatUst.ODEMETARIHI",
                  "Kalems.StokKodu", "Kalems.STra_GCMIK", "Kalems.STra_NF", "Kalems.STra_BF", "Kalems.Olcubr",
                  "Kalems.KdvOrani", "Kalems.DEPO_KODU", "Kalems.STra_SIPNUM", "Kalems.STra_SIPKONT",
                  "Kalems.TESLIM_MIKTARI", "Kalems.Aciklama"],
    "BankAccountTransaction": ["KAYITNO", "NETHESKODU", "TARIH", "TUTAR", "ACIKLAMA", "CARI_KOD", "BELGE_NO"],
}  # fmt: skip


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(type(value).__name__)


class NetsisSimulator(LoopbackServer):
    """NetOpenX REST for one company (``db_name``) and branch on ``127.0.0.1``."""

    thread_name = "netsis-simulator"

    def __init__(
        self,
        *,
        branch: int = 0,
        username: str = "NETSIS",
        password: str = "net1",  # noqa: S107 - the simulator's own test user
        db_name: str = "NETSISDEMO",
        db_user: str = "TEMELSET",
        db_password: str = "",
        token_lifetime: float = 1200,
        error_key: str = "ErrorDesc",
        nested: bool = False,
        demo: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.company = Company()
        self.branch = branch
        self.username, self.password = username, password
        self.db_name, self.db_user, self.db_password = db_name, db_user, db_password
        self.token_lifetime = token_lifetime
        self.error_key = error_key
        self.nested = nested
        self.host, self.port = host, port
        self.faults = Faults()
        self.stats = Stats()
        self.tokens = BearerTokens()
        self._transaction: tuple[str, dict[str, Any]] | None = None
        self._server_init()
        if demo:
            seed_demo(self.company)

    def handler_class(self) -> type[SimulatorHandler]:
        return _Handler

    @property
    def base_url(self) -> str:
        return f"{self.root_url}api/v2/"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}token"

    @property
    def tokens_issued(self) -> int:
        return self.tokens.issued

    def expire_tokens(self) -> None:
        self.tokens.clear()

    # -- envelope ---------------------------------------------------------------------------------------------------

    def ok(self, data: Any = None, **extra: Any) -> Answer:
        return Answer(200, {"IsSuccessful": True, "ErrorCode": None, self.error_key: None, "Data": data, **extra})

    def failed(self, code: str, message: str) -> Answer:
        return Answer(200, {"IsSuccessful": False, "ErrorCode": code, self.error_key: message, "Data": None})

    # -- tokens -----------------------------------------------------------------------------------------------------

    def _token(self, form: dict[str, str]) -> Answer:
        def refuse(text: str) -> Answer:
            return Answer(400, {"error": "invalid_grant", "error_description": text})

        if form.get("grant_type") != "password":
            return Answer(400, {"error": "unsupported_grant_type"})
        if form.get("username") != self.username or form.get("password") != self.password:
            return refuse("Netsis kullanıcı adı veya şifresi hatalı.")
        if form.get("dbname") != self.db_name or form.get("dbuser") != self.db_user:
            return refuse(f"{form.get('dbname')} veritabanına bağlanılamadı.")
        if (form.get("dbpassword") or "") != self.db_password:
            return refuse("Veritabanı şifresi hatalı.")
        if str(form.get("dbtype") or "0").lower() not in DB_TYPES:
            return refuse(f"Veritabanı tipi tanınmıyor: {form.get('dbtype')}")
        if str(form.get("branchcode") or "0") != str(self.branch):
            return refuse(f"{form.get('branchcode')} şubesine yetkiniz yok.")
        token = self.tokens.issue(self.token_lifetime)
        return Answer(200, {"access_token": token, "token_type": "bearer", "expires_in": int(self.token_lifetime)})

    # -- rendering --------------------------------------------------------------------------------------------------

    def item_json(self, row: dict[str, Any]) -> dict[str, Any]:
        return {"StokTemelBilgi": dict(row)} if self.nested else dict(row)

    def arp_row(self, row: dict[str, Any]) -> dict[str, Any]:
        debit, credit = self.company.arp_totals(row["CARI_KOD"])
        return {**row, "BORCLANAN_TUTAR": debit, "ALACAKLANAN_TUTAR": credit}

    def arp_json(self, row: dict[str, Any]) -> dict[str, Any]:
        return {"CariTemelBilgi": row} if self.nested else row

    @staticmethod
    def slip_json(slip: dict[str, Any]) -> dict[str, Any]:
        header = dict(slip["FatUst"])
        header["CariKod"] = header["CARI_KOD"]
        lines = [{k: v for k, v in line.items() if k != "BASE_MIKTAR"} for line in slip["Kalems"]]
        return {"FaturaTip": slip["FaturaTip"], "Seri": slip["Seri"], "KayitNo": slip["KayitNo"], "FatUst": header,
                "Kalems": lines}  # fmt: skip

    @staticmethod
    def _flat(row: dict[str, Any]) -> dict[str, Any]:
        for nested in ("StokTemelBilgi", "CariTemelBilgi"):
            if nested in row:
                return row[nested]
        if "FatUst" in row:
            return {"FaturaTip": row["FaturaTip"], **row["FatUst"]}
        return row

    def _list(self, rows: Iterable[dict[str, Any]], query: dict[str, str], render=None) -> Answer:
        """A SelectFilter page of ``rows`` (flat, as ``q`` sees them), each rendered by ``render`` once selected."""
        page, total = select(rows, query, flat=self._flat)
        if render is not None and not query.get("fields"):
            page = [render(row) for row in page]
        return self.ok(page, TotalCount=total)

    def _arp_rows(self) -> list[dict[str, Any]]:
        debit: dict[str, Decimal] = {}
        credit: dict[str, Decimal] = {}
        for line in self.company.ledger:
            debit[line["CARI_KOD"]] = debit.get(line["CARI_KOD"], Decimal(0)) + line["BORC"]
            credit[line["CARI_KOD"]] = credit.get(line["CARI_KOD"], Decimal(0)) + line["ALACAK"]
        return [
            {**row, "BORCLANAN_TUTAR": debit.get(code, Decimal(0)), "ALACAKLANAN_TUTAR": credit.get(code, Decimal(0))}
            for code, row in self.company.arps.items()
        ]

    # -- routes -----------------------------------------------------------------------------------------------------

    def handle(self, method: str, parts: list[str], raw_parts: list[str], query: dict[str, str], body: Any,
               token: str) -> Answer:  # fmt: skip
        company = self.company
        resource = parts[0].lower()
        action = parts[1] if len(parts) > 1 else ""
        if resource == "operations":
            return self._operation(action.lower(), token)
        if action.lower() == "describe" and method == "POST":
            name = next((n for n in DESCRIBE if n.lower() == resource), None)
            if name is None:
                return Answer(404, {"Message": "No HTTP resource was found that matches the request URI."})
            return self.ok(json.dumps({"Resource": name, "Fields": DESCRIBE[name]}, ensure_ascii=False))
        wanted = query.get("id") if action.lower() == "getinternalbyid" else unquote(action) if action else None
        if resource == "items":
            if method == "GET" and not action:
                return self._list(company.items.values(), query, self.item_json)
            if method == "GET" and wanted is not None:
                row = company.items.get(wanted)
                if row is None:
                    raise NetsisBusinessError(UNKNOWN, f"Stok kodu bulunamadı: {wanted}")
                return self.ok(self.item_json(row))
        if resource == "arps":
            if method == "GET" and not action:
                return self._list(self._arp_rows(), query, self.arp_json)
            if method == "POST" and action.lower() == "customerrisk":
                return self.ok(self._risk(body))
            if method == "POST" and not action:
                return self.ok(self.arp_json(self.arp_row(company.create_arp(body))))
            if method == "GET" and wanted is not None:
                row = company.arps.get(wanted)
                if row is None:
                    raise NetsisBusinessError(UNKNOWN, f"Cari kod bulunamadı: {wanted}")
                return self.ok(self.arp_json(self.arp_row(row)))
        if resource == "arptransactions" and method == "GET" and not action:
            return self._list(company.ledger, query)
        if resource == "bankaccounttransaction":
            if method == "GET" and not action:
                return self._list(company.bank, query)
            if method == "POST" and not action:
                return self.ok(company.create_bank_transaction(body or {}))
        if resource == "fastpaymain" and method == "POST" and not action:
            return self.ok(company.create_fast_pay(body or {}))
        if resource == "company" and action.lower() == "bringbalance" and method == "POST":
            return self._balances(body or {})
        if resource == "itemslips":
            return self._item_slips(method, action, raw_parts, query, body)
        return Answer(405 if resource in {n.lower() for n in DESCRIBE} else 404,
                      {"Message": f"The requested resource does not support http method '{method}'."})  # fmt: skip

    def _operation(self, action: str, token: str) -> Answer:
        company = self.company
        if action == "ping":
            return self.ok("pong")
        if action == "begintransaction":
            if self._transaction is not None and self._transaction[0] != token:
                raise NetsisBusinessError(LOCKED, "Başka bir kullanıcının açık işlemi var, daha sonra deneyiniz.")
            if self._transaction is None:
                self._transaction = (token, company.snapshot())
            return self.ok(True)
        if action in ("committransaction", "roolbacktransaction", "logout"):
            if self._transaction is not None and self._transaction[0] == token:
                if action != "committransaction":
                    company.restore(self._transaction[1])
                else:
                    company.forget()
                self._transaction = None
            elif action != "logout":
                raise NetsisBusinessError(REFUSED, "Açık bir işlem (transaction) yok.")
            if action == "logout":
                self.tokens.revoke(token)
            return self.ok(True)
        return Answer(404, {"Message": "No HTTP resource was found that matches the request URI."})

    def _risk(self, body: Any) -> dict[str, Any]:
        code = str((body or {}).get("CariKod") or (body or {}).get("CARI_KOD") or "")
        row = self.company.arps.get(code)
        if row is None:
            raise NetsisBusinessError(UNKNOWN, f"Cari kod bulunamadı: {code}")
        debit, credit = self.company.arp_totals(code)
        orders = self.company.open_orders_total(code)
        return {"CARI_KOD": code, "BAKIYE": debit - credit, "SIPARIS_BAKIYE": orders,
                "KREDI_LIMITI": row.get("KREDI_LIMITI"), "TOPLAM_RISK": debit - credit + orders}  # fmt: skip

    def _balances(self, body: dict[str, Any]) -> Answer:
        code = body.get("StokKodu") or None
        warehouse = body.get("DepoKodu")
        stock = self.company.stock
        keys = self.company.stock_keys()
        if code is not None:  # the item's pairs only: they sit together in the order
            start = bisect.bisect_left(keys, (code, -(10**9)))
            end = bisect.bisect_right(keys, (code, 10**9))
            keys = keys[start:end]
        if warehouse not in (None, ""):
            keys = [key for key in keys if key[1] == int(warehouse)]
        offset = int(body.get("Offset") or 0)
        limit = int(body.get("Limit") or 0) or None
        page = keys[offset : offset + limit if limit else None]
        rows = [
            {"STOK_KODU": item, "DEPO_KODU": depo, "BAKIYE": stock[(item, depo)]["on_hand"],
             "SIPARIS_REZERVE": stock[(item, depo)]["reserved"]}
            for item, depo in page
        ]  # fmt: skip
        return self.ok(rows, TotalCount=len(keys))

    def _item_slips(self, method: str, action: str, raw_parts: list[str], query: dict[str, str], body: Any):
        company = self.company
        verb = action.lower()
        if method == "GET" and not action:
            tip = slip_type(query.get("FaturaTip") or query.get("faturaTip") or "ftSSip")
            rows = [self.slip_json(s) for (t, _, _), s in company.slips.items() if t == tip]
            return self._list(rows, query)
        if method == "POST" and not action:
            slip = company.create_slip(body or {})
            header = slip["FatUst"]
            return self.ok({"FisNo": header["FATIRS_NO"], "BelgeNo": header.get("BELGE_NO"), "KayitNo": slip["KayitNo"],
                            "Id": slip_id(slip["FaturaTip"], header["FATIRS_NO"], header["CARI_KOD"])})  # fmt: skip
        if method == "POST" and verb == "newnumber":
            body = body or {}
            tip = slip_type(body.get("FaturaTip") or "ftSSip")
            return self.ok(company.new_number(tip, str(body.get("Seri") or "")))
        if method == "POST" and verb in ("siparistoirsfat", "irstofat"):
            body = body or {}
            number, customer = str(body.get("FATIRS_NO") or ""), str(body.get("CARI_KOD") or "")
            if verb == "irstofat":
                made = company.invoice_dispatch(number, customer)
            else:
                made = company.convert_order(number, customer, slip_type(body.get("HedefTip") or "ftSIrs"))
            return self.ok(self.slip_json(made))
        composite = None
        if verb == "getinternalbyid":
            composite = [unquote(p) for p in (query.get("id") or "").split(";")]
        elif action and len(raw_parts) > 1:
            composite = [unquote(p) for p in raw_parts[1].split(";")]
        if composite is not None and method in ("GET", "DELETE"):
            if len(composite) != 3:
                raise NetsisBusinessError(REFUSED, "Belge anahtarı FaturaTip;FATIRS_NO;CARI_KOD olmalı")
            tip, number, customer = slip_type(composite[0]), composite[1], composite[2]
            if method == "GET":
                return self.ok(self.slip_json(company.slip(tip, number, customer)))
            company.delete_slip(tip, number, customer)
            return self.ok(True)
        return Answer(405, {"Message": f"The requested resource does not support http method '{method}'."})

    def help_page(self) -> str:
        rows = "".join(f"<tr><td>{name}</td><td>{', '.join(fields)}</td></tr>" for name, fields in DESCRIBE.items())
        return (
            "<!DOCTYPE html><html><head><meta charset='utf-8'><title>NetOpenX Rest API</title></head><body>"
            "<h1>NetOpenX Rest API (simülatör)</h1><p>POST token, Operations/BeginTransaction, CommitTransaction, "
            f"RoolBackTransaction, Ping, LogOut</p><table>{rows}</table></body></html>"
        )


class _Handler(SimulatorHandler):
    server_version = "Microsoft-IIS/10.0"
    logger = logger
    error_page = IIS_ERROR
    json_default = _json_default

    def _serve(self, method: str) -> None:
        split = urlsplit(self.path)
        raw_path = split.path
        raw = self._body()
        raw_relative = raw_path[len("/api/v2/") :] if raw_path.startswith("/api/v2/") else raw_path.lstrip("/")
        relative = unquote(raw_relative)
        seen = relative.split("/", 2)[0] + ("/" + relative.split("/", 2)[1] if "/" in relative else "")
        self._serve_faulted(method, seen, lambda kinds: self._answer(method, raw_relative, split.query, raw, kinds))

    def _refused(self, fault: Any) -> Answer:
        return self.simulator.failed(str(fault.code or LOCKED), fault.message or "İşlem yapılamadı.")

    def _answer(self, method: str, raw_relative: str, query_text: str, raw: bytes, kinds: dict[str, Any]) -> Answer:
        sim: NetsisSimulator = self.simulator
        query = dict(parse_qsl(query_text, keep_blank_values=True))
        relative = unquote(raw_relative)
        if relative.lower() == "token":
            if method != "POST":
                return Answer(405, {"Message": "The requested resource does not support http method 'GET'."})
            sim.stats.logins += 1
            return sim._token(form_fields(raw))
        if relative.lower() == "help" and method == "GET":
            return Answer(200, sim.help_page(), content_type="text/html; charset=utf-8")
        if not self.path.startswith("/api/v2/"):
            return Answer(404, {"Message": "No HTTP resource was found that matches the request URI."})
        if "expire_session" in kinds:
            sim.expire_tokens()
        token = sim.tokens.check(self.headers.get("Authorization", ""))
        if token is None:
            return Answer(401, {"Message": DENIED})
        body = None
        if raw:
            try:
                body = json.loads(raw, parse_float=Decimal)
            except ValueError:
                return sim.failed(REFUSED, "İstek gövdesi JSON değil.")
        raw_parts = [part for part in raw_relative.split("/") if part]
        parts = [unquote(part) for part in raw_parts]
        if not parts:
            return Answer(404, {"Message": "No HTTP resource was found that matches the request URI."})
        try:
            with sim.company.lock:
                return sim.handle(method, parts, raw_parts, query, body, token)
        except NetsisBusinessError as exc:
            return sim.failed(exc.code, exc.message)
        except FilterError as exc:
            return sim.failed(REFUSED, f"Sorgu (q) hatalı: {exc}")
        except Exception:
            logger.exception("Netsis simulator failed on %s %s", method, self.path)
            return Answer(500, {"Message": "An error has occurred."})


__all__ = ["NetsisSimulator"]
