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
- ``POST /v2/payment/refund`` by ``paymentId`` and ``price``: partial refunds add up to at most ``paidPrice``.

UNCONFIRMED (iyzico's public pages do not say; constructor arguments or constants here): the HTTP status of a
``failure`` answer (``failure_status``, 400 as in iyzico's API reference; older integrations saw 200), the error
codes of an unknown token (``5146``), of an unfinished form (``5147``), of an unknown payment (``5148``), of a
refund that does not fit (``5149``) and of a 3-D Secure failure (``10219``), and whether the Checkout Form retrieve
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
answers report this price and paidPrice, correctly signed), ``fraud_status`` (0 under review, -1 declined); each
limited to ``paths`` when set.

Not simulated: instalments, stored cards, BKM and other wallets, the embedded ``checkoutFormContent`` script,
token expiry, webhooks, cancel, the reporting API.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import contextlib
import hashlib
import hmac
import html
import ipaddress
import json
import logging
import secrets
import shutil
import ssl
import subprocess
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

logger = logging.getLogger(__name__)

INITIALIZE = "/payment/iyzipos/checkoutform/initialize/ecom"
RETRIEVE = "/payment/iyzipos/checkoutform/auth/ecom/detail"
DETAIL = "/payment/detail"
REFUND = "/v2/payment/refund"
PAGE = "/checkoutform/"
THREE_D_SECURE_CODE = "283126"
CURRENCIES = frozenset({"TRY", "EUR", "USD", "GBP", "CHF", "NOK", "RUB"})
TOKEN_UNKNOWN, FORM_UNFINISHED, PAYMENT_UNKNOWN, REFUND_REFUSED, THREE_DS_FAILED = (
    "5146", "5147", "5148", "5149", "10219",
)  # fmt: skip


@dataclass(frozen=True)
class Card:
    number: str
    label: str
    outcome: str  # "success", "declined" (by the bank, before 3-D Secure) or "3ds_failure"
    association: str
    error_code: str = ""
    error_group: str = ""
    error_message: str = ""
    refundable: bool = True


TEST_CARDS: dict[str, Card] = {
    card.number: card
    for card in (
        Card("5528790000000008", "Halkbank Mastercard — approved", "success", "MASTER_CARD"),
        Card("5890040000000016", "Akbank Mastercard debit — approved", "success", "MASTER_CARD"),
        Card(
            "5406670000000009", "Mastercard — approved, cannot be refunded", "success", "MASTER_CARD", refundable=False
        ),
        Card(
            "4111111111111129",
            "Visa — not sufficient funds",
            "declined",
            "VISA",
            "10051",
            "NOT_SUFFICIENT_FUNDS",
            "Kart limiti yetersiz, yetersiz bakiye",
        ),
        Card(
            "4129111111111111",
            "Visa — do not honour",
            "declined",
            "VISA",
            "10005",
            "DO_NOT_HONOUR",
            "İşlem onaylanmadı",
        ),
        Card(
            "4131111111111117",
            "Visa — 3-D Secure fails (mdStatus 0)",
            "3ds_failure",
            "VISA",
            THREE_DS_FAILED,
            "NOT_AUTHENTICATED",
            "3D Secure doğrulaması başarısız",
        ),
    )
}


def plain(value: Decimal) -> str:
    """A price as it enters a signature: no trailing zeros, no exponent."""
    return format(value.normalize(), "f")


def sign(values: list[Any], secret_key: str) -> str:
    joined = ":".join("" if value is None else str(value) for value in values)
    return hmac.new(secret_key.encode(), joined.encode(), hashlib.sha256).hexdigest()


@dataclass
class Faults:
    """Switches a test flips; read by every API call."""

    server_error: bool = False
    delay: float = 0.0
    tamper_signature: bool = False
    amount: Decimal | None = None
    fraud_status: int | None = None
    paths: tuple[str, ...] | None = None

    def applies(self, path: str) -> bool:
        return self.paths is None or path in self.paths

    def clear(self) -> None:
        self.__init__()


@dataclass
class CheckoutForm:
    """One Checkout Form and what became of it. ``state``: INIT (nobody paid yet), INIT_THREEDS (waiting for the
    3-D Secure code), SUCCESS, FAILURE."""

    token: str
    conversation_id: str
    basket_id: str
    price: Decimal
    paid_price: Decimal
    currency: str
    callback_url: str
    locale: str
    item_ids: list[str]
    state: str = "INIT"
    payment_id: str = ""
    card: Card | None = None
    bin_number: str = ""
    last_four: str = ""
    md_status: str = ""
    error: tuple[str, str, str] = ("", "", "")
    auth_code: str = ""
    refunds: list[Decimal] = field(default_factory=list)
    created: float = field(default_factory=time.time)


class ApiError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


class IyzicoSimulator:
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
            cert, key = _self_signed(Path(self._tmp.name), self.host)
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

    # -- the API --------------------------------------------------------------------------------------------------

    def authenticate(self, path: str, authorization: str, body: str) -> None:
        """Check the ``IYZWSv2`` header as iyzico does; raises ``ApiError`` 1001 or 1000."""
        scheme, _space, encoded = authorization.partition(" ")
        try:
            decoded = base64.b64decode(encoded, validate=True).decode()
            parts = dict(part.split(":", 1) for part in decoded.split("&"))
        except (binascii.Error, UnicodeDecodeError, ValueError):
            parts = {}
        if scheme != "IYZWSv2" or not hmac.compare_digest(parts.get("apiKey", ""), self.api_key):
            raise ApiError("1001", "api bilgileri bulunamadı")
        message = parts.get("randomKey", "") + path + body
        expected = hmac.new(self.secret_key.encode(), message.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(parts.get("signature", ""), expected):
            raise ApiError("1000", "Geçersiz imza")

    def api(self, path: str, request: dict[str, Any]) -> dict[str, Any]:
        handler = {INITIALIZE: self._initialize, RETRIEVE: self._retrieve, DETAIL: self._detail, REFUND: self._refund}
        with self.lock:
            return handler[path](request)

    def _initialize(self, request: dict[str, Any]) -> dict[str, Any]:
        price, paid = _price(request.get("price"), "price"), _price(request.get("paidPrice"), "paidPrice")
        currency = request.get("currency") or "TRY"
        if currency not in CURRENCIES:
            raise ApiError("5001", "currency geçersiz")
        callback = request.get("callbackUrl")
        if not isinstance(callback, str) or urlsplit(callback).scheme not in ("http", "https"):
            raise ApiError("5001", "callbackUrl gönderilmesi zorunludur")
        buyer = request.get("buyer") or {}
        for name in ("id", "name", "surname", "identityNumber", "email", "registrationAddress", "city", "country",
                     "ip"):  # fmt: skip
            if not buyer.get(name):
                raise ApiError("5001", f"buyer.{name} gönderilmesi zorunludur")
        billing = request.get("billingAddress") or {}
        for name in ("contactName", "city", "country", "address"):
            if not billing.get(name):
                raise ApiError("5001", f"billingAddress.{name} gönderilmesi zorunludur")
        items = request.get("basketItems") or []
        if not items:
            raise ApiError("5001", "basketItems gönderilmesi zorunludur")
        total = Decimal(0)
        for item in items:
            for name in ("id", "name", "category1", "itemType"):
                if not item.get(name):
                    raise ApiError("5001", f"basketItems.{name} gönderilmesi zorunludur")
            if item["itemType"] == "PHYSICAL" and not (request.get("shippingAddress") or {}).get("address"):
                raise ApiError("5001", "shippingAddress gönderilmesi zorunludur")
            total += _price(item.get("price"), "basketItems.price")
        if total != price:
            raise ApiError("5001", "Sepetteki ürünlerin toplam tutarı price değerine eşit olmalıdır")
        token = str(uuid.uuid4())
        locale = request.get("locale") or "tr"
        self.forms[token] = CheckoutForm(
            token=token,
            conversation_id=str(request.get("conversationId") or ""),
            basket_id=str(request.get("basketId") or ""),
            price=price,
            paid_price=paid,
            currency=currency,
            callback_url=callback,
            locale=locale,
            item_ids=[str(item["id"]) for item in items],
        )
        return {
            "status": "success",
            "locale": locale,
            "systemTime": _now_ms(),
            "conversationId": request.get("conversationId"),
            "token": token,
            "checkoutFormContent": '<script type="text/javascript">/* iyzico simulator */</script>',
            "tokenExpireTime": 1800,
            "paymentPageUrl": f"{self.root}{PAGE}?token={token}&lang={locale}",
        }

    def _payment_fields(self, form: CheckoutForm) -> dict[str, Any]:
        price = self.faults.amount if self.faults.amount is not None else form.price
        paid = self.faults.amount if self.faults.amount is not None else form.paid_price
        fields: dict[str, Any] = {
            "price": float(price),
            "paidPrice": float(paid),
            "installment": 1,
            "paymentId": form.payment_id,
            "paymentStatus": form.state,
            "basketId": form.basket_id,
            "currency": form.currency,
            "phase": "AUTH",
        }
        if form.card is not None:
            fields.update(cardType="CREDIT_CARD", cardAssociation=form.card.association, binNumber=form.bin_number,
                          lastFourDigits=form.last_four)  # fmt: skip
        if form.md_status:
            fields["mdStatus"] = int(form.md_status)
        if form.state == "SUCCESS":
            rate_amount = (paid * self.commission_rate).quantize(Decimal("0.00000001"))
            fields.update(
                fraudStatus=self.faults.fraud_status if self.faults.fraud_status is not None else 1,
                merchantCommissionRate=0,
                merchantCommissionRateAmount=0,
                iyziCommissionRateAmount=float(rate_amount),
                iyziCommissionFee=float(self.commission_fee),
                authCode=form.auth_code,
                itemTransactions=[
                    {
                        "itemId": item_id,
                        "paymentTransactionId": f"{form.payment_id}{index}",
                        "transactionStatus": 2,
                        "price": float(price),
                        "paidPrice": float(paid),
                    }
                    for index, item_id in enumerate(form.item_ids, start=1)
                ],
            )
        elif form.state == "FAILURE":
            code, group, message = form.error
            fields.update(errorCode=code, errorGroup=group, errorMessage=message)
        return fields

    def _signed(self, values: list[Any]) -> str:
        return sign(values, "tampered-" + self.secret_key if self.faults.tamper_signature else self.secret_key)

    def _retrieve(self, request: dict[str, Any]) -> dict[str, Any]:
        form = self.forms.get(str(request.get("token") or ""))
        if form is None:
            raise ApiError(TOKEN_UNKNOWN, "Ödeme formu bulunamadı")
        if form.state == "INIT":
            raise ApiError(FORM_UNFINISHED, "Ödeme formu henüz tamamlanmadı")
        data = self._payment_fields(form)
        conversation_id = request.get("conversationId") or form.conversation_id
        data.update(status="success", locale=request.get("locale") or form.locale, systemTime=_now_ms(),
                    conversationId=conversation_id, token=form.token, callbackUrl=form.callback_url)  # fmt: skip
        data["signature"] = self._signed(
            [data["paymentStatus"], data["paymentId"], data["currency"], data["basketId"], conversation_id,
             plain(Decimal(str(data["paidPrice"]))), plain(Decimal(str(data["price"]))), form.token]
        )  # fmt: skip
        return data

    def _detail(self, request: dict[str, Any]) -> dict[str, Any]:
        payment_id = str(request.get("paymentId") or "")
        conversation = str(request.get("paymentConversationId") or "")

        def wanted(form: CheckoutForm) -> bool:
            if form.state == "INIT":
                return False
            if payment_id:
                return form.payment_id == payment_id
            return bool(conversation) and form.conversation_id == conversation

        candidates = [form for form in self.forms.values() if wanted(form)]
        if not candidates:
            raise ApiError(PAYMENT_UNKNOWN, "Ödeme bulunamadı")
        form = max(candidates, key=lambda candidate: candidate.created)
        data = self._payment_fields(form)
        data.update(status="success", locale=request.get("locale") or "tr", systemTime=_now_ms(),
                    conversationId=request.get("conversationId"))  # fmt: skip
        data["signature"] = self._signed(
            [data["paymentId"], data["currency"], data["basketId"], data["conversationId"],
             plain(Decimal(str(data["paidPrice"]))), plain(Decimal(str(data["price"])))]
        )  # fmt: skip
        return data

    def _refund(self, request: dict[str, Any]) -> dict[str, Any]:
        form = next((f for f in self.forms.values() if f.payment_id and f.payment_id == str(request.get("paymentId"))),
                    None)  # fmt: skip
        if form is None:
            raise ApiError(PAYMENT_UNKNOWN, "Ödeme bulunamadı")
        amount = _price(request.get("price"), "price")
        if form.state != "SUCCESS" or form.card is None or not form.card.refundable:
            raise ApiError(REFUND_REFUSED, "Bu ödeme iade edilemez")
        if request.get("currency") and request["currency"] != form.currency:
            raise ApiError(REFUND_REFUSED, "İade para birimi ödemeninkiyle aynı olmalıdır")
        if amount <= 0 or sum(form.refunds) + amount > form.paid_price:
            raise ApiError(REFUND_REFUSED, "İade tutarı iade edilebilir tutardan büyük olamaz")
        form.refunds.append(amount)
        return {
            "status": "success",
            "locale": request.get("locale") or "tr",
            "systemTime": _now_ms(),
            "conversationId": request.get("conversationId"),
            "paymentId": form.payment_id,
            "price": float(amount),
            "currency": form.currency,
            "authCode": f"{secrets.randbelow(10**6):06d}",
            "hostReference": f"mock{secrets.randbelow(10**8):08d}iyzihostrfn",
        }

    # -- the hosted page ------------------------------------------------------------------------------------------

    def pay(self, token: str, fields: dict[str, str]) -> tuple[str, CheckoutForm | None]:
        """The card form was sent: returns the page to show (``form``, ``3ds`` or ``callback``) and the form."""
        with self.lock:
            form = self.forms.get(token)
            if form is None:
                return "unknown", None
            if form.state in ("SUCCESS", "FAILURE"):
                return "callback", form
            number = "".join(ch for ch in fields.get("cardNumber", "") if ch.isdigit())
            card = TEST_CARDS.get(number)
            valid_expiry = _future(fields.get("expireMonth", ""), fields.get("expireYear", ""))
            cvc = fields.get("cvc", "")
            if (
                card is None
                or not valid_expiry
                or not (cvc.isdigit() and len(cvc) in (3, 4))
                or not fields.get("cardHolderName", "").strip()
            ):
                return "form", form
            form.card, form.bin_number, form.last_four = card, number[:8], number[-4:]
            form.payment_id = self._new_payment_id()
            if card.outcome == "declined":
                form.state, form.error = "FAILURE", (card.error_code, card.error_group, card.error_message)
                return "callback", form
            form.state = "INIT_THREEDS"
            return "3ds", form

    def three_d_secure(self, token: str, code: str) -> tuple[str, CheckoutForm | None]:
        with self.lock:
            form = self.forms.get(token)
            if form is None:
                return "unknown", None
            if form.state != "INIT_THREEDS" or form.card is None:
                return ("callback" if form.state in ("SUCCESS", "FAILURE") else "form"), form
            if form.card.outcome == "3ds_failure" or not hmac.compare_digest(code.strip(), THREE_D_SECURE_CODE):
                form.state, form.md_status = "FAILURE", "0"
                form.error = (THREE_DS_FAILED, "NOT_AUTHENTICATED", "3D Secure doğrulaması başarısız")
            else:
                form.state, form.md_status, form.auth_code = "SUCCESS", "1", f"{secrets.randbelow(10**6):06d}"
            return "callback", form

    def _new_payment_id(self) -> str:
        self._next_id += 1
        return str(self._next_id)


# -----------------------------------------------------------------------------------------------------------------
# HTTP


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
        if url.path.rstrip("/") + "/" != PAGE:
            self._html(404, _page("Bulunamadı", "<p>Not found.</p>"))
            return
        token = dict(parse_qsl(url.query)).get("token", "")
        with self.sim.lock:
            form = self.sim.forms.get(token)
        if form is None:
            self._html(404, _page("Ödeme formu", '<p data-testid="unknown-token">Ödeme formu bulunamadı.</p>'))
        elif form.state in ("SUCCESS", "FAILURE"):
            self._html(200, _callback_page(form))
        else:
            self._html(200, _card_page(form))

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
            self._html(404, _page("Ödeme formu", '<p data-testid="unknown-token">Ödeme formu bulunamadı.</p>'))
        elif shown == "3ds":
            self._html(200, _three_d_secure_page(form))
        elif shown == "callback":
            self._html(200, _callback_page(form))
        else:
            self._html(200, _card_page(form, error=error))

    def _api(self, path: str, raw_path: str, body: bytes) -> None:
        sim = self.sim
        sim.requests.append(("POST", path))
        faults = sim.faults
        if faults.applies(path) and faults.delay:
            sim._stopping.wait(faults.delay)
        if faults.applies(path) and faults.server_error:
            self._html(500, _page("500", "<p>Internal Server Error</p>"))
            return
        text = body.decode(errors="replace")
        request: dict[str, Any] = {}
        try:
            sim.authenticate(raw_path, self.headers.get("Authorization", ""), text)
            parsed = json.loads(text) if text else {}
            if not isinstance(parsed, dict):
                raise ApiError("11", "Geçersiz istek")
            request = parsed
            self._json(200, sim.api(path, request))
        except ApiError as error:
            self._json(sim.failure_status, {
                "status": "failure", "errorCode": error.code, "errorMessage": error.message,
                "locale": request.get("locale") or "tr", "systemTime": _now_ms(),
                "conversationId": request.get("conversationId"),
            })  # fmt: skip
        except ValueError:
            self._json(sim.failure_status, {"status": "failure", "errorCode": "11", "errorMessage": "Geçersiz istek",
                                            "locale": "tr", "systemTime": _now_ms()})  # fmt: skip


# -----------------------------------------------------------------------------------------------------------------
# Pages


def _page(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="tr"><head><meta charset="utf-8"><title>'
        f"{html.escape(title)} · iyzico simulator</title></head><body>"
        f'<main style="max-width:32rem;margin:2rem auto;font-family:sans-serif">{body}</main></body></html>'
    )


def _card_page(form: CheckoutForm, error: str = "") -> str:
    e = html.escape
    cards = "".join(
        f"<tr><td><code>{e(card.number)}</code></td><td>{e(card.label)}</td></tr>" for card in TEST_CARDS.values()
    )
    alert = f'<p role="alert" data-testid="card-error">{e(error)}</p>' if error else ""
    return _page(
        "Ödeme",
        f'<h1 data-testid="iyzico-page">iyzico ile öde</h1><p>Tutar: <strong>{e(plain(form.paid_price))} '
        f"{e(form.currency)}</strong></p>{alert}"
        f'<form method="post" action="{PAGE}pay" autocomplete="off">'
        f'<input type="hidden" name="token" value="{e(form.token)}">'
        '<p><label>Kart üzerindeki isim <input name="cardHolderName" required></label></p>'
        '<p><label>Kart numarası <input name="cardNumber" inputmode="numeric" required></label></p>'
        '<p><label>Ay <input name="expireMonth" size="2" required></label> '
        '<label>Yıl <input name="expireYear" size="4" required></label> '
        '<label>CVC <input name="cvc" size="4" required></label></p>'
        '<p><button type="submit">Öde</button></p></form>'
        f"<h2>Test kartları</h2><table>{cards}</table><p>Son kullanma: ileri bir tarih; CVC: herhangi üç hane.</p>",
    )


def _three_d_secure_page(form: CheckoutForm) -> str:
    e = html.escape
    return _page(
        "3-D Secure",
        '<h1 data-testid="iyzico-3ds">3-D Secure doğrulaması</h1>'
        f"<p>Bankanız ···· {e(form.last_four)} ile biten kart için bir kod gönderdi "
        f"(simülatör: <code>{THREE_D_SECURE_CODE}</code>).</p>"
        f'<form method="post" action="{PAGE}3ds"><input type="hidden" name="token" value="{e(form.token)}">'
        '<p><label>SMS kodu <input name="code" inputmode="numeric" required></label></p>'
        '<p><button type="submit">Onayla</button></p></form>',
    )


def _callback_page(form: CheckoutForm) -> str:
    """Back to the merchant: an auto-submitting form with the token, as iyzico's page does."""
    e = html.escape
    return _page(
        "Yönlendiriliyor",
        f'<form id="iyzico-callback" method="post" action="{e(form.callback_url)}">'
        f'<input type="hidden" name="token" value="{e(form.token)}">'
        '<noscript><button type="submit">Devam</button></noscript></form>'
        "<script>document.getElementById('iyzico-callback').submit();</script>",
    )


# -----------------------------------------------------------------------------------------------------------------
# Helpers


def _price(value: Any, name: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError):
        raise ApiError("5001", f"{name} geçersiz") from None
    if value in (None, "") or not number.is_finite() or number <= 0 or number != number.quantize(Decimal("0.01")):
        raise ApiError("5001", f"{name} geçersiz")
    return number


def _future(month: str, year: str) -> bool:
    if not (month.isdigit() and year.isdigit()):
        return False
    y = int(year) + (2000 if len(year) == 2 else 0)
    m = int(month)
    now = time.gmtime()
    return 1 <= m <= 12 and (y, m) >= (now.tm_year, now.tm_mon)


def _now_ms() -> int:
    return int(time.time() * 1000)


def _self_signed(directory: Path, host: str) -> tuple[Path, Path]:
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
