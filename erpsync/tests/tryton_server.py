"""A real Tryton server for the Tryton adapter's tests: built once, cached, started per test session.

- ``prepared_databases()`` initialises Tryton SQLite databases (``trytond-admin`` plus ``tryton_seed``) under the
  repository's ``var/tryton/<key>/`` and reuses them on later runs; the key covers the installed Tryton packages,
  the module list and the seed script, so any change there builds them again. Nothing is installed here: Tryton
  comes from the pinned test requirements.
- ``TrytonServer`` starts ``trytond`` on a free loopback port in a scratch folder, hands out a fresh copy of a
  prepared database per test (``database()``), and stops the server at the end.
- ``FaultProxy`` stands between an adapter and the server to make the network fail on purpose: refuse
  connections, or forward a request and lose its answer (the server applied it; the client never hears).
- ``StaffClient`` is the ERP's own staff in tests: it keys in records and clicks workflow buttons through the same
  REST API, with its own application key.
"""

from __future__ import annotations

import fcntl
import hashlib
import http.client
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import metadata
from pathlib import Path
from typing import Any

import requests

from erpsync.adapters.tryton import dumps, encode_param
from erpsync.tests import tryton_seed

REPO = Path(__file__).resolve().parents[2]
CACHE_ROOT = REPO / "var" / "tryton"
# The modules the portal's Tryton needs; their dependencies (party, product, stock, account…) come along.
MODULES = ("sale_price_list", "account_invoice_stock", "account_credit_limit")
PACKAGES = (
    "trytond",
    "proteus",
    "trytond-party",
    "trytond-company",
    "trytond-currency",
    "trytond-country",
    "trytond-product",
    "trytond-product-price-list",
    "trytond-stock",
    "trytond-sale",
    "trytond-sale-price-list",
    "trytond-account",
    "trytond-account-invoice",
    "trytond-account-invoice-stock",
    "trytond-account-credit-limit",
)
TEMPLATES = ("base", "catalog")
START_TIMEOUT = 60


def _bin(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def cache_key() -> str:
    """Changes whenever the databases would come out differently: package versions, modules, seed script, years."""
    digest = hashlib.sha256()
    for package in PACKAGES:
        digest.update(f"{package}=={metadata.version(package)}\n".encode())
    digest.update(" ".join(MODULES).encode())
    digest.update(Path(tryton_seed.__file__).read_bytes())
    digest.update(repr(tryton_seed.fiscal_years()).encode())
    return digest.hexdigest()[:16]


def _config(folder: Path, *, port: int | None = None) -> Path:
    lines = ["[database]", "uri = sqlite://", f"path = {folder}", "[web]", f"listen = 127.0.0.1:{port or 0}"]
    # The server lists its databases again on every unknown name, so copies made after start are served at once
    # (the API authenticates with application keys: no login session is affected).
    lines += ["[session]", "timeout = 0"]
    path = folder / "trytond.conf"
    path.write_text("\n".join(lines) + "\n")
    return path


def _run(command: list[str], *, env: dict[str, str] | None = None, log: Path) -> None:
    with log.open("ab") as out:
        result = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, env=env, check=False, cwd=REPO)
    if result.returncode:
        tail = log.read_text(errors="replace")[-3000:]
        raise RuntimeError(f"{' '.join(command[:2])} failed ({result.returncode}):\n{tail}")


def snapshot(source: Path, target: Path) -> None:
    """A copy of a SQLite database as a reader sees it. Tryton runs SQLite in WAL mode: recent commits may still sit
    in the ``-wal`` file beside it, which copying the file alone would lose."""
    reader = sqlite3.connect(source)
    writer = sqlite3.connect(target)
    try:
        with writer:
            reader.backup(writer)
    finally:
        reader.close()
        writer.close()


def _build(target: Path) -> None:
    """Initialise and seed both databases in a scratch folder, then move them into ``target`` at once."""
    work = Path(tempfile.mkdtemp(prefix="tryton-build-", dir=target.parent))
    try:
        config = _config(work)
        log = work / "build.log"
        password = work / "admin-password"
        password.write_text("admin\n")
        (work / "base.sqlite").touch()
        env = {**os.environ, "TRYTONPASSFILE": str(password)}
        admin = _bin("trytond-admin")
        _run([admin, "-c", str(config), "-d", "base", "--all", "--email", "admin@example.com"], env=env, log=log)
        _run([admin, "-c", str(config), "-d", "base", "-u", *MODULES, "--activate-dependencies"], env=env, log=log)
        seed = [sys.executable, "-m", "erpsync.tests.tryton_seed", "--config", str(config)]
        _run([*seed, "--database", "base", "--stage", "base"], log=log)
        snapshot(work / "base.sqlite", work / "catalog.sqlite")
        _run([*seed, "--database", "catalog", "--stage", "catalog"], log=log)
        ready = work / "ready"
        ready.mkdir()
        for name in TEMPLATES:
            snapshot(work / f"{name}.sqlite", ready / f"{name}.sqlite")
        os.replace(ready, target)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def prepared_databases() -> Path:
    """The folder holding ``base.sqlite`` and ``catalog.sqlite``, built on first use (about half a minute).
    A lock keeps two test runs from building at once."""
    CACHE_ROOT.mkdir(parents=True, exist_ok=True)
    target = CACHE_ROOT / cache_key()
    with (CACHE_ROOT / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not target.is_dir():
            for stale in CACHE_ROOT.iterdir():  # older keys: other versions or seeds
                if stale.is_dir():
                    shutil.rmtree(stale, ignore_errors=True)
            _build(target)
    return target


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class TrytonServer:
    """``trytond`` serving copies of the prepared databases from a scratch folder."""

    def __init__(self) -> None:
        self.templates = prepared_databases()
        self.folder = Path(tempfile.mkdtemp(prefix="tryton-run-"))
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.log = self.folder / "trytond.log"
        self.derived = self.folder / "templates"  # not served: the server lists only the folder's own files
        self.derived.mkdir()
        self.process: subprocess.Popen | None = None
        self._count = 0

    def start(self) -> TrytonServer:
        config = _config(self.folder, port=self.port)
        with self.log.open("wb") as out:
            self.process = subprocess.Popen(
                [_bin("trytond"), "-c", str(config)], stdout=out, stderr=subprocess.STDOUT, cwd=self.folder
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"trytond exited at start:\n{self.log.read_text(errors='replace')[-3000:]}")
            try:
                requests.get(self.url, timeout=1)
                return self
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"trytond did not answer within {START_TIMEOUT} s")

    def database(self, template: str = "base") -> str:
        """A fresh copy of a prepared (or derived) database, under a name of its own."""
        source = self.derived / f"{template}.sqlite"
        if not source.exists():
            if template not in TEMPLATES:
                raise ValueError(template)
            source = self.templates / f"{template}.sqlite"
        self._count += 1
        name = f"{template}_{self._count:03d}"
        shutil.copyfile(source, self.folder / f"{name}.sqlite")
        return name

    def derive(self, template: str, database: str) -> str:
        """Keep ``database`` as it is now as a template for later copies."""
        snapshot(self.folder / f"{database}.sqlite", self.derived / f"{template}.sqlite")
        return template

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


# --- a proxy that fails on purpose ---------------------------------------------------------------------------------


class FaultProxy:
    """An HTTP relay on a loopback port in front of the server, as a reverse proxy stands in front of Tryton.
    ``down()`` stops listening (connections are refused, as with a stopped server); ``lose_answer(method,
    path_part)`` forwards the next matching request and drops the connection instead of answering;
    ``answer_instead(status, body, headers)`` answers the next request itself without forwarding it (an overloaded
    proxy's 503); ``up()`` listens again."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.lost: list[tuple[str, str, int]] = []  # requests whose answers were dropped, with Tryton's status
        self._rules: list[tuple[str, str]] = []
        self._canned: list[tuple[int, bytes, dict[str, str]]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.up()

    def up(self) -> None:
        if self._server is not None:
            return
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # quiet
                pass

            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                canned = proxy._canned_answer()
                if canned is not None:
                    status, data, extra = canned
                    self.send_response(status)
                    for key, value in {"Content-Type": "text/html", **extra}.items():
                        self.send_header(key, value)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
                upstream = http.client.HTTPConnection("127.0.0.1", proxy.target_port, timeout=60)
                upstream.request(self.command, self.path, body=body, headers=headers)
                answer = upstream.getresponse()
                data = answer.read()
                upstream.close()
                if proxy._take(self.command, self.path):
                    proxy.lost.append((self.command, self.path, answer.status))
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.send_response(answer.status)
                for key, value in answer.getheaders():
                    if key.lower() not in ("connection", "transfer-encoding", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = _relay

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self._server = server

    def down(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def lose_answer(self, method: str, path_part: str) -> None:
        with self._lock:
            self._rules.append((method, path_part))

    def answer_instead(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        with self._lock:
            self._canned.append((status, body, dict(headers or {})))

    def _canned_answer(self) -> tuple[int, bytes, dict[str, str]] | None:
        with self._lock:
            return self._canned.pop(0) if self._canned else None

    def _take(self, method: str, path: str) -> bool:
        with self._lock:
            for rule in self._rules:
                if rule[0] == method and rule[1] in path.split("?", 1)[0]:
                    self._rules.remove(rule)
                    return True
        return False

    def close(self) -> None:
        self.down()


# --- the ERP staff's side --------------------------------------------------------------------------------------


def _hook(value: dict[str, Any]) -> Any:
    kind = value.get("__class__")
    if kind == "Decimal":
        return Decimal(value["decimal"])
    if kind == "date":
        return date(value["year"], value["month"], value["day"])
    if kind == "timedelta":
        return timedelta(seconds=value["seconds"])
    return value


class StaffClient:
    """What the company's own people do in Tryton, over the same REST API (the staff's own key)."""

    def __init__(self, base_url: str, database: str, key: str = tryton_seed.STAFF_KEY) -> None:
        self.root = f"{base_url}{database}/rest/model/"
        self.http = requests.Session()
        self.http.headers.update({"Authorization": f"Bearer {key}", "Accept": "application/json"})
        preferences = self._json(self.http.post(self.root + "res.user/get_preferences", json={"context_only": True}))
        self.context = {k: preferences[k] for k in ("company", "companies") if k in preferences}

    def _json(self, response: requests.Response) -> Any:
        if response.status_code >= 400:
            raise AssertionError(f"Tryton answered {response.status_code}: {response.text[:500]}")
        return json.loads(response.content, object_hook=_hook) if response.content else None

    def _headers(self, context: dict | None = None) -> dict[str, str]:
        return {"X-Tryton-Context": encode_param({**self.context, **(context or {})})}

    def search(self, model: str, domain: list, fields: Iterable[str] = (), **context) -> list[dict[str, Any]]:
        params = [("d", encode_param(domain)), ("o", encode_param([["id", "ASC"]])), *(("f", f) for f in fields)]
        return self._json(self.http.get(self.root + model, params=params, headers=self._headers(context)))

    def one(self, model: str, domain: list, fields: Iterable[str] = ()) -> dict[str, Any]:
        rows = self.search(model, domain, fields)
        assert len(rows) == 1, f"{model} {domain}: {len(rows)} rows"
        return rows[0]

    def read(self, model: str, record_id: int, fields: Iterable[str]) -> dict[str, Any]:
        params = [("f", f) for f in fields]
        return self._json(self.http.get(f"{self.root}{model}/{record_id}", params=params, headers=self._headers()))

    def create(self, model: str, values: dict[str, Any]) -> int:
        headers = {**self._headers(), "Content-Type": "application/json"}
        return self._json(self.http.post(self.root + model, data=dumps(values).encode(), headers=headers))["id"]

    def write(self, model: str, record_id: int, values: dict[str, Any]) -> None:
        headers = {**self._headers(), "Content-Type": "application/json"}
        self._json(self.http.put(f"{self.root}{model}/{record_id}", data=dumps(values).encode(), headers=headers))

    def delete(self, model: str, record_id: int) -> None:
        self._json(self.http.delete(f"{self.root}{model}/{record_id}", headers=self._headers()))

    def click(self, model: str, record_id: int, button: str) -> Any:
        headers = {**self._headers(), "Content-Type": "application/json"}
        return self._json(self.http.post(f"{self.root}{model}/{record_id}/{button}", data=b"{}", headers=headers))

    def id_of(self, model: str, **where: Any) -> int:
        return self.one(model, [[name, "=", value] for name, value in where.items()])["id"]

    def close(self) -> None:
        self.http.close()


def ship(staff: StaffClient, sale_id: int, *, on: date | None = None) -> list[int]:
    """The warehouse ships a confirmed sale whole: force-assign, pick, pack, done (on ``on``, else today)."""
    shipments = staff.read("sale.sale", sale_id, ["shipments"])["shipments"]
    for shipment in shipments:
        for button in ("assign_force", "pick", "pack"):
            staff.click("stock.shipment.out", shipment, button)
        if on is not None:
            staff.write("stock.shipment.out", shipment, {"effective_date": on})
        staff.click("stock.shipment.out", shipment, "do")
    return shipments
