"""A local iyzico for tests and demos: the Checkout Form API, the hosted payment page with a 3-D Secure step, payment
retrieve and refunds, over HTTPS with a certificate of its own. No iyzico account needed.

    with IyzicoSimulator(api_key="sandbox-key", secret_key="sandbox-secret") as sim:
        gateway settings: base_url=sim.base_url, ca_file=sim.ca_file, the same api_key and secret_key

It is the provider: the card number typed on its page stays in this process (only the BIN and the last four digits
are kept, as iyzico reports them) and never reaches the portal.

What it promises, from iyzico's public documentation and its iyzipay clients:

- Every API call must carry ``Authorization: IYZWSv2 base64("apiKey:K&randomKey:R&signature:S")`` with ``S`` the
  hex HMAC-SHA256 with the secret key over ``R`` + the URI path (no query) + the request body. An unknown key answers
  ``errorCode`` 1001 "api bilgileri bulunamadı", a signature that does not verify 1000 "Geçersiz imza".
- ``POST /payment/iyzipos/checkoutform/initialize/ecom`` checks the required fields (price, paidPrice, callbackUrl,
  buyer, billing address, basket items summing to the price) and answers ``token``, ``tokenExpireTime`` and
  ``paymentPageUrl`` (``/checkoutform/?token=…`` on this server).
- The page takes a card; test cards (``TEST_CARDS``) decide what happens. Approved cards and the 3-D Secure failure
  card go through a 3-D Secure page (the code is shown on it, ``THREE_D_SECURE_CODE``); bank declines come back at
  once. At the end the page POSTs ``token`` to the ``callbackUrl`` (an auto-submitting form).
- ``POST /payment/iyzipos/checkoutform/auth/ecom/detail`` (with or without a trailing slash) answers the result
  with ``paymentStatus`` (``SUCCESS``, ``FAILURE``, ``INIT_THREEDS`` while the 3-D Secure code is awaited), the
  amounts, ``paymentId``, ``fraudStatus``, ``mdStatus``, the ``errorCode``/``errorGroup``/``errorMessage`` of a
  decline, and ``signature``: hex HMAC-SHA256 over ``paymentStatus:paymentId:currency:basketId:conversationId:
  paidPrice:price:token`` (prices without trailing zeros).
- ``POST /payment/detail`` by ``paymentId`` or ``paymentConversationId``; ``conversationId`` is echoed and signed:
  ``paymentId:currency:basketId:conversationId:paidPrice:price``.
- ``POST /v2/payment/refund`` by ``paymentId`` and ``price``: partial refunds add up to at most ``paidPrice``; each is
  recorded with the request's ``conversationId`` (``form.refunds``).
- ``GET /v2/reporting/payment/details?paymentId=…`` (or ``paymentConversationId``), authenticated over the path alone:
  ``payments`` with ``paymentRefundStatus`` and ``itemTransactions``, each with its ``refunds`` (``refundTxId``,
  ``refundConversationId``, ``refundPrice``, ``refundStatus`` 1, ``currencyCode``, ``createdDate``); the
  amount-based refunds are listed under the first item. Not signed (iyzico documents no response signature here).

UNCONFIRMED (iyzico's public pages do not say; constructor arguments or constants here): the HTTP status of a
``failure`` answer (``failure_status``, 400 as in iyzico's API reference; older integrations saw 200), the error
codes of an unknown token (``5146``), of an unfinished form (``5147``), of an unknown payment (``5148``), of a
refund that does not fit (``5149``) and of a 3-D Secure failure (``10219``), the report's ``refundStatus`` values
other than 1 (made), and whether the Checkout Form retrieve
echoes a ``conversationId`` sent with it (it does here; without one it answers the form's own).

Test cards (iyzico's published sandbox cards; expiry any future month, any CVC):

======================  ============================================================================
5528790000000008        Halkbank Mastercard credit — approved after 3-D Secure
5890040000000016        Akbank Mastercard debit — approved after 3-D Secure
5406670000000009        approved, but cannot be refunded
4111111111111129        declined: not sufficient funds (10051)
4129111111111111        declined: do not honour (10005)
4131111111111117        3-D Secure fails (mdStatus 0)
======================  ============================================================================

Faults (``sim.faults``), on the API only, never on the page: ``server_error`` (HTTP 500), ``delay`` (seconds before
answering, for timeouts), ``tamper_signature`` (retrieve answers signed with another key), ``amount`` (retrieve
answers report this price and paidPrice, correctly signed; a refund's answer reports it as the refunded price),
``fraud_status`` (0 under review, -1 declined), ``answer_lost`` (the call is carried out, then the connection closes
without an answer); each limited to ``paths`` when set.

Not simulated: instalments, stored cards, BKM and other wallets, the embedded ``checkoutFormContent`` script,
token expiry, webhooks, cancel, the reporting API beyond a payment's details.
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import json
import logging
import secrets
import shutil
import ssl
import subprocess
import tempfile
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from payments.simulators.iyzico.api import (
    DETAIL,
    INITIALIZE,
    PAGE,
    REFUND,
    REPORT,
    RETRIEVE,
    ApiError,
    CheckoutApi,
    Faults,
    now_ms,
)
from payments.simulators.iyzico.cards import TEST_CARDS, CheckoutForm
from payments.simulators.iyzico.pages import callback_page, card_page, page, three_d_secure_page

logger = logging.getLogger(__name__)


class IyzicoSimulator(CheckoutApi):
    """iyzico on ``127.0.0.1`` (or ``host``), HTTPS with a self-signed certificate (``ca_file``) unless
    ``tls=False``. ``base_url`` is what the gateway's ``base_url`` setting takes (``host:port``)."""

    def __init__(
        self,
        *,
        api_key: str = "sandbox-simulator-api-key",
        secret_key: str = "sandbox-simulator-secret-key",  # noqa: S107 (the simulator's own test key)
        host: str = "127.0.0.1",
        port: int = 0,
        tls: bool = True,
        failure_status: int = 400,
        commission_rate: Decimal = Decimal("0.0249"),
        commission_fee: Decimal = Decimal("0.25"),
    ) -> None:
        self.api_key, self.secret_key = api_key, secret_key
        self.host, self.port, self.tls = host, port, tls
        self.failure_status = failure_status
        self.commission_rate, self.commission_fee = commission_rate, commission_fee
        self.faults = Faults()
        self.forms: dict[str, CheckoutForm] = {}
        self.lock = threading.Lock()
        self.requests: list[tuple[str, str]] = []
        self.ca_file: str | None = None
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._next_id = 20_000_000 + secrets.randbelow(1_000_000)

    # -- lifecycle ------------------------------------------------------------------------------------------------

    def start(self) -> IyzicoSimulator:
        if self._server is not None:
            return self
        server = _Server((self.host, self.port), _Handler)
        server.simulator = self
        if self.tls:
            self._tmp = tempfile.TemporaryDirectory(prefix="iyzico-sim-")
            cert, key = self_signed(Path(self._tmp.name), self.host)
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(cert, key)
            server.tls = context
            self.ca_file = str(cert)
        self._server = server
        self.port = server.server_address[1]
        self._stopping.clear()
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="iyzico-simulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._tmp is not None:
            self._tmp.cleanup()
        self._server = self._thread = self._tmp = None

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def __enter__(self) -> IyzicoSimulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def root(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    def payment(self, payment_id: str) -> CheckoutForm | None:
        with self.lock:
            return next((form for form in self.forms.values() if form.payment_id == payment_id), None)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    simulator: IyzicoSimulator
    tls: ssl.SSLContext | None = None

    def finish_request(self, request, client_address) -> None:
        if self.tls is None:
            super().finish_request(request, client_address)
            return
        request.settimeout(30)
        try:
            wrapped = self.tls.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            logger.debug("TLS handshake with %s failed", client_address)
            return
        try:
            self.RequestHandlerClass(wrapped, client_address, self)
        finally:
            wrapped.close()

    def handle_error(self, request, client_address) -> None:
        logger.debug("request from %s failed", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "iyzico-simulator"

    def log_message(self, format: str, *args: Any) -> None:
        # The request line only (no bodies: the page's form carries card numbers).
        logger.debug("%s %s", self.command, urlsplit(self.path).path)

    @property
    def sim(self) -> IyzicoSimulator:
        return self.server.simulator

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, data: dict[str, Any]) -> None:
        self._send(status, json.dumps(data, ensure_ascii=False).encode(), "application/json;charset=UTF-8")

    def _html(self, status: int, page: str) -> None:
        self._send(status, page.encode(), "text/html; charset=utf-8")

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path.rstrip("/") == REPORT:
            self._api(REPORT, url.path, b"", query=dict(parse_qsl(url.query)))
            return
        if url.path.rstrip("/") + "/" != PAGE:
            self._html(404, page("Bulunamadı", "<p>Not found.</p>"))
            return
        token = dict(parse_qsl(url.query)).get("token", "")
        with self.sim.lock:
            form = self.sim.forms.get(token)
        if form is None:
            self._html(404, page("Ödeme formu", '<p data-testid="unknown-token">Ödeme formu bulunamadı.</p>'))
        elif form.state in ("SUCCESS", "FAILURE"):
            self._html(200, callback_page(form))
        else:
            self._html(200, card_page(form))

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        path = url.path.rstrip("/") if url.path != "/" else url.path
        body = self._body()
        if path in (INITIALIZE, RETRIEVE, DETAIL, REFUND):
            self._api(path, url.path, body)
        elif path == PAGE + "pay":
            fields = dict(parse_qsl(body.decode(errors="replace")))
            shown, form = self.sim.pay(fields.get("token", ""), fields)
            self._after(shown, form, error="Kart bilgileri geçersiz veya bir test kartı değil.")
        elif path == PAGE + "3ds":
            fields = dict(parse_qsl(body.decode(errors="replace")))
            shown, form = self.sim.three_d_secure(fields.get("token", ""), fields.get("code", ""))
            self._after(shown, form)
        else:
            self._json(404, {"status": "failure", "errorCode": "404", "errorMessage": "Not found"})

    def _after(self, shown: str, form: CheckoutForm | None, error: str = "") -> None:
        if form is None:
            self._html(404, page("Ödeme formu", '<p data-testid="unknown-token">Ödeme formu bulunamadı.</p>'))
        elif shown == "3ds":
            self._html(200, three_d_secure_page(form))
        elif shown == "callback":
            self._html(200, callback_page(form))
        else:
            self._html(200, card_page(form, error=error))

    def _api(self, path: str, raw_path: str, body: bytes, query: dict[str, str] | None = None) -> None:
        sim = self.sim
        sim.requests.append((self.command, path))
        faults = sim.faults
        if faults.applies(path) and faults.delay:
            sim._stopping.wait(faults.delay)
        if faults.applies(path) and faults.server_error:
            self._html(500, page("500", "<p>Internal Server Error</p>"))
            return
        text = body.decode(errors="replace")
        request: dict[str, Any] = {}
        try:
            sim.authenticate(raw_path, self.headers.get("Authorization", ""), text)
            parsed = json.loads(text) if text else {}
            if not isinstance(parsed, dict):
                raise ApiError("11", "Geçersiz istek")
            request = parsed if query is None else query
            answer = sim.api(path, request)
            if faults.applies(path) and faults.answer_lost:
                self.close_connection = True  # carried out, but the answer never reaches the merchant
                return
            self._json(200, answer)
        except ApiError as error:
            self._json(sim.failure_status, {
                "status": "failure", "errorCode": error.code, "errorMessage": error.message,
                "locale": request.get("locale") or "tr", "systemTime": now_ms(),
                "conversationId": request.get("conversationId"),
            })  # fmt: skip
        except ValueError:
            self._json(sim.failure_status, {"status": "failure", "errorCode": "11", "errorMessage": "Geçersiz istek",
                                            "locale": "tr", "systemTime": now_ms()})  # fmt: skip


def self_signed(directory: Path, host: str) -> tuple[Path, Path]:
    """A throwaway certificate for ``host`` (and localhost) made with the ``openssl`` command."""
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("The iyzico simulator needs the openssl command to make its TLS certificate.")
    names = {"DNS:localhost", "IP:127.0.0.1"}
    try:
        ipaddress.ip_address(host)
        names.add(f"IP:{host}")
    except ValueError:
        names.add(f"DNS:{host}")
    cert, key = directory / "cert.pem", directory / "key.pem"
    command = [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
               "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=iyzico simulator",
               "-addext", "subjectAltName=" + ",".join(sorted(names))]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, timeout=30)  # noqa: S603 (fixed arguments)
    return cert, key


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the iyzico simulator (Ctrl-C stops it).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8443)
    parser.add_argument("--api-key", default="sandbox-simulator-api-key")
    parser.add_argument("--secret-key", default="sandbox-simulator-secret-key")
    args = parser.parse_args(argv)
    with IyzicoSimulator(host=args.host, port=args.port, api_key=args.api_key, secret_key=args.secret_key) as sim:
        print(f"IYZICO_BASE_URL={sim.base_url}")
        print(f"IYZICO_CA_FILE={sim.ca_file}")
        print(f"IYZICO_API_KEY={sim.api_key}")
        print(f"IYZICO_SECRET_KEY={sim.secret_key}")
        print("Test cards:")
        for card in TEST_CARDS.values():
            print(f"  {card.number}  {card.label}")
        with contextlib.suppress(KeyboardInterrupt):
            sim.wait()
