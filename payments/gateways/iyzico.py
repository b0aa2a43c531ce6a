"""iyzico card payments through its hosted Checkout Form (ödeme formu) with 3-D Secure, on the ``iyzipay`` package.

Why the Checkout Form: the dealer types the card number on iyzico's own page, never on the portal's, so the portal
stays within PCI DSS SAQ A. iyzico's 3-D Secure initialise API (``/payment/3dsecure/initialize``) takes the card
number, expiry and CVC in the merchant's server request, which would put card data through the portal (SAQ D); it is
deliberately not used.

The flow, as ``payments.gateways.base`` describes it:

1. ``start``: Checkout Form initialise (``POST /payment/iyzipos/checkoutform/initialize/ecom``) with
   ``conversationId`` and ``basketId`` set to our reference, ``price`` = ``paidPrice`` = the amount, a single
   instalment, and ``callbackUrl`` = ``checkout.return_url``. iyzico answers a ``token`` and its
   ``paymentPageUrl``, where the dealer is sent.
2. iyzico POSTs ``token`` to the callback URL. ``finish`` makes the completion call, Checkout Form retrieve
   (``POST /payment/iyzipos/checkoutform/auth/ecom/detail``), and believes only its answer: the response
   ``signature`` must verify, the token must be the one posted, and ``conversationId`` must equal ``basketId`` (our
   reference, which the signature covers).
3. ``status``: payment retrieve (``POST /payment/detail``) by ``paymentConversationId`` = our reference (the
   payments service does not keep the Checkout Form token), or by ``paymentId`` once known.
4. ``refund``: the amount-based refund by ``paymentId`` (``POST /v2/payment/refund``, iyzipay's
   ``Payment.refund``), full or partial, with ``conversationId`` = the portal's refund reference.
5. ``refund_status``: iyzico has no call that looks a refund up. Its reporting API's payment details
   (``GET /v2/reporting/payment/details?paymentId=…``, iyzipay's ``RetrievePaymentDetails``) lists each payment's
   ``itemTransactions`` with their ``refunds`` (``refundTxId``, ``refundConversationId``, ``refundPrice``,
   ``refundStatus``, ``currencyCode``, ``errorMessage``…): a refund is found by ``refundConversationId`` = our
   reference. ``refundStatus`` 1 is read as a refund made; iyzico names no other values, so any other is read as
   refused. The report carries no response signature (iyzico documents none); the request is authenticated like
   every other (``IYZWSv2`` over the path alone: a GET has no body). iyzico does not recognise a refund sent twice
   under one ``conversationId``, so the payments service never sends a refund again on its own
   (``refunds_idempotent`` is False): a refund the report does not show is left for staff.

Response signatures (iyzico's "response signature validation"): HMAC-SHA256 with the merchant's secret key, hex,
over response fields joined by ``:`` in a documented order —

- Checkout Form retrieve: ``paymentStatus, paymentId, currency, basketId, conversationId, paidPrice, price, token``;
- payment retrieve (``/payment/detail``): ``paymentId, currency, basketId, conversationId, paidPrice, price``.

Prices enter the signature in their plain form without trailing zeros (``600.0`` → ``600``, ``12.50`` → ``12.5``),
as iyzipay's ``strip_zero`` does. iyzico's own samples differ on absent fields (the Python samples join them as empty
strings, the PHP helper leaves them out), so both joins are accepted; either one needs the secret key. Comparison is
constant time (``hmac.compare_digest``).

Transport: iyzipay builds the requests (endpoint paths, JSON body, the ``IYZWSv2`` authorization header: HMAC-SHA256
with the secret key over random string + URI path + body). This module sends them itself over verified TLS with a
timeout, because iyzipay's own ``connect`` opens ``http.client.HTTPSConnection(base_url)`` with no timeout (a
silent iyzico would hold a web worker forever) and writes the header into one dict shared by every thread.

Settings (``PAYMENT_GATEWAYS["iyzico"]["settings"]`` or ``IYZICO_*`` environment variables): ``base_url`` (host, e.g.
``sandbox-api.iyzipay.com`` or ``api.iyzipay.com``), ``api_key``, ``secret_key`` (environment only),
``timeout`` (seconds, default 20), ``ca_file`` (an extra CA bundle to trust; default: the system's).
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import re
import ssl
import threading
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlencode

import iyzipay
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from payments.gateways.base import (
    Buyer,
    CallbackRejected,
    Checkout,
    GatewayError,
    Outcome,
    OutcomeStatus,
    PaymentGateway,
    Redirect,
    RefundCheck,
    RefundResult,
    RefundState,
)

log = logging.getLogger("payments.iyzico")

CHECKOUT_FORM_FIELDS = ("paymentStatus", "paymentId", "currency", "basketId", "conversationId", "paidPrice", "price",
                        "token")  # fmt: skip
PAYMENT_DETAIL_FIELDS = ("paymentId", "currency", "basketId", "conversationId", "paidPrice", "price")
# iyzico's answers to a request it could not authenticate: a wrong signature (1000), an unknown API key (1001).
AUTH_ERRORS = frozenset({"1000", "1001"})
CURRENCIES = frozenset({"TRY", "EUR", "USD", "GBP", "CHF", "NOK", "RUB"})
TOKEN = re.compile(r"[A-Za-z0-9_-]{1,128}")
SIGNATURE = re.compile(r"[0-9a-fA-F]{64}")
CENT = Decimal("0.01")
REPORT = "/v2/reporting/payment/details"
REFUND_MADE = "1"  # a report's refundStatus for a refund made

# iyzipay writes each request's authorization into a class-level header dict; build and copy it under a lock.
_header_lock = threading.Lock()


def plain(value: Any) -> str:
    """A price as iyzico puts it into a signature: plain notation, no trailing zeros (``600.00`` → ``600``)."""
    if value is None or value == "":
        return ""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return format(number.normalize(), "f")


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def signature_of(values: list[str], secret_key: str) -> str:
    """HMAC-SHA256 (hex) with the secret key over ``values`` joined by ``:``."""
    return hmac.new(secret_key.encode(), ":".join(values).encode(), hashlib.sha256).hexdigest()


def _signed_values(data: Mapping[str, Any], fields: tuple[str, ...]) -> list[str]:
    return [plain(data.get(name)) if name in ("paidPrice", "price") else _text(data.get(name)) for name in fields]


def signature_verifies(data: Mapping[str, Any], fields: tuple[str, ...], secret_key: str) -> bool:
    given = data.get("signature")
    if not isinstance(given, str) or not SIGNATURE.fullmatch(given):
        return False
    values = _signed_values(data, fields)
    verified = False
    for variant in (values, [v for v in values if v]):
        verified |= hmac.compare_digest(signature_of(variant, secret_key), given.lower())
    return verified


class _Connect:
    """iyzipay's requests and ``IYZWSv2`` header, sent over a connection of our own (timeout, verified TLS)."""

    gateway: IyzicoGateway

    def connect(self, method, url, options, request_body_dict=None):
        body = json.dumps(request_body_dict)
        with _header_lock:
            headers = dict(self.get_http_header(url, options, body))
        return self.gateway._send(method, url, body, headers)


class _CheckoutFormInitialize(_Connect, iyzipay.CheckoutFormInitialize):
    pass


class _CheckoutForm(_Connect, iyzipay.CheckoutForm):
    pass


class _Payment(_Connect, iyzipay.Payment):
    pass


class _PaymentReport(_Connect, iyzipay.RetrievePaymentDetails):
    """The reporting API's payment details: a GET whose query names the payment, signed over the path alone (a GET
    has no body; iyzipay's own ``retrieve`` would sign the text ``null``)."""

    def retrieve(self, request, options):
        with _header_lock:
            headers = dict(self.get_http_header(REPORT, options, ""))
        return self.gateway._send("GET", f"{REPORT}?{urlencode(request)}", "", headers)


class IyzicoGateway(PaymentGateway):
    key = "iyzico"
    label = _("iyzico (card, 3-D Secure)")

    def __init__(self, settings: Mapping | None = None) -> None:
        super().__init__(settings)
        base = str(self.settings.get("base_url") or "sandbox-api.iyzipay.com").strip()
        if base.startswith("http://"):
            raise ImproperlyConfigured("iyzico is reached over HTTPS only; IYZICO_BASE_URL must not be http://.")
        self.host = base.removeprefix("https://").rstrip("/")
        self.api_key = str(self.settings.get("api_key") or "")
        self.secret_key = str(self.settings.get("secret_key") or "")
        try:
            self.timeout = float(self.settings.get("timeout") or 20)
        except ValueError:
            raise ImproperlyConfigured("The iyzico timeout must be a number of seconds.") from None
        self.ca_file = str(self.settings.get("ca_file") or "") or None
        self._tls: ssl.SSLContext | None = None

    # -- transport ------------------------------------------------------------------------------------------------

    def _options(self) -> dict[str, str]:
        if not self.api_key or not self.secret_key:
            raise GatewayError("iyzico credentials are missing (IYZICO_API_KEY, IYZICO_SECRET_KEY).", code="config")
        return {"api_key": self.api_key, "secret_key": self.secret_key, "base_url": self.host}

    def _context(self) -> ssl.SSLContext:
        if self._tls is None:
            self._tls = ssl.create_default_context(cafile=self.ca_file)
        return self._tls

    def _send(self, method: str, url: str, body: str, headers: Mapping[str, str]) -> tuple[int, bytes]:
        connection = http.client.HTTPSConnection(self.host, timeout=self.timeout, context=self._context())
        try:
            connection.request(method, url, body.encode(), dict(headers))
            response = connection.getresponse()
            return response.status, response.read()
        except ssl.SSLCertVerificationError as exc:
            raise GatewayError(f"iyzico's TLS certificate does not verify: {exc.verify_message}", code="tls") from exc
        except TimeoutError as exc:
            raise GatewayError("iyzico did not answer in time.", retryable=True, code="timeout") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise GatewayError(f"iyzico could not be reached: {exc.__class__.__name__}", retryable=True,
                               code="connection") from exc  # fmt: skip
        finally:
            connection.close()

    def _call(self, resource_class: type, method: str, request: dict[str, Any]) -> dict[str, Any]:
        """One API call: iyzico's JSON answer (``status`` success or failure); transport trouble and server errors
        raise ``GatewayError`` (retryable), an unauthenticated request raises it too (not retryable)."""
        resource = resource_class()
        resource.gateway = self
        status, raw = getattr(resource, method)(request, self._options())
        if status >= 500:
            raise GatewayError(f"iyzico answered HTTP {status}.", retryable=True, code=f"http_{status}")
        try:
            data = json.loads(raw, parse_float=Decimal)
        except ValueError:
            raise GatewayError(f"iyzico answered HTTP {status} without JSON.", retryable=status == 429,
                               code=f"http_{status}") from None  # fmt: skip
        if not isinstance(data, dict) or data.get("status") not in ("success", "failure"):
            raise GatewayError(f"iyzico answered HTTP {status} with an unexpected body.", code=f"http_{status}")
        if data["status"] == "failure" and str(data.get("errorCode")) in AUTH_ERRORS:
            raise GatewayError(f"iyzico refused our credentials: {data.get('errorMessage', '')}",
                               code=str(data.get("errorCode")))  # fmt: skip
        return data

    @staticmethod
    def _failure(data: Mapping[str, Any], what: str) -> GatewayError:
        code = str(data.get("errorCode") or "")
        return GatewayError(f"iyzico refused {what}: {data.get('errorMessage') or code}", code=code)

    # -- the contract ---------------------------------------------------------------------------------------------

    def start(self, checkout: Checkout) -> Redirect:
        if checkout.amount <= 0:
            raise GatewayError("The amount must be above zero.")
        if checkout.currency not in CURRENCIES:
            raise GatewayError(f"iyzico does not take payments in {checkout.currency}.")
        price = str(Decimal(checkout.amount).quantize(CENT))
        buyer = self._buyer(checkout.buyer)
        address = {
            "contactName": f"{buyer['name']} {buyer['surname']}".strip(),
            "city": buyer["city"],
            "country": buyer["country"],
            "address": buyer["registrationAddress"],
        }
        request = {
            "locale": self._locale(checkout.locale),
            "conversationId": checkout.reference,
            "price": price,
            "paidPrice": price,
            "currency": checkout.currency,
            "basketId": checkout.reference,
            "paymentGroup": "PRODUCT",
            "callbackUrl": checkout.return_url,
            "enabledInstallments": [1],
            "buyer": buyer,
            "shippingAddress": address,
            "billingAddress": address,
            "basketItems": [
                {
                    "id": checkout.reference,
                    "name": (checkout.description or checkout.reference)[:100],
                    "category1": "B2B",
                    "itemType": "PHYSICAL",
                    "price": price,
                }
            ],
        }
        data = self._call(_CheckoutFormInitialize, "create", request)
        if data["status"] != "success":
            raise self._failure(data, "the checkout form")
        token, page = data.get("token"), data.get("paymentPageUrl")
        if not isinstance(token, str) or not TOKEN.fullmatch(token) or not isinstance(page, str):
            raise GatewayError("iyzico's checkout form answer has no token or payment page.")
        if not page.startswith("https://"):
            raise GatewayError("iyzico's payment page is not an https:// address.")
        log.info("payment %s: iyzico checkout form ready", checkout.reference)
        return Redirect(url=page, token=token)

    def finish(self, params: Mapping[str, str], body: bytes) -> Outcome:
        token = params.get("token") or ""
        if not isinstance(token, str) or not TOKEN.fullmatch(token):
            raise CallbackRejected("The iyzico callback carries no valid token.")
        data = self._call(_CheckoutForm, "retrieve", {"locale": "tr", "token": token})
        if data["status"] != "success":
            raise CallbackRejected(f"iyzico knows no completed checkout form for this token ({data.get('errorCode')}).")
        if not signature_verifies(data, CHECKOUT_FORM_FIELDS, self.secret_key):
            raise CallbackRejected("The signature of iyzico's checkout form result does not verify.")
        if not hmac.compare_digest(_text(data.get("token")), token):
            raise CallbackRejected("iyzico's checkout form result is for another token.")
        return self._outcome(data)

    def status(self, reference: str, provider_payment_id: str = "") -> Outcome:
        request = {"locale": "tr", "conversationId": reference, "paymentConversationId": reference}
        if provider_payment_id:
            request["paymentId"] = provider_payment_id
        data = self._call(_Payment, "retrieve", request)
        if data["status"] != "success":
            # No payment under this reference yet: the dealer may still be on iyzico's page (its token lives 30
            # minutes). Deciding "failed" here could contradict a payment that completes a minute later.
            log.info("payment %s: iyzico reports no payment yet (%s)", reference, data.get("errorCode"))
            return Outcome(reference=reference, status=OutcomeStatus.PENDING, reason=_text(data.get("errorMessage")))
        if not signature_verifies(data, PAYMENT_DETAIL_FIELDS, self.secret_key):
            raise CallbackRejected("The signature of iyzico's payment detail does not verify.")
        outcome = self._outcome(data)
        if outcome.reference != reference:
            raise CallbackRejected("iyzico's payment detail is for another payment.")
        return outcome

    def refund(self, *, provider_payment_id: str, amount: Decimal, currency: str, reference: str) -> RefundResult:
        amount = Decimal(amount).quantize(CENT)
        if not provider_payment_id or amount <= 0:
            raise GatewayError("A refund needs iyzico's payment id and an amount above zero.")
        request = {
            "locale": "tr",
            "conversationId": reference,
            "paymentId": provider_payment_id,
            "price": str(amount),
            "currency": currency,
            "ip": "127.0.0.1",
        }
        data = self._call(_Payment, "refund", request)
        if data["status"] != "success":
            raise self._failure(data, "the refund")
        try:
            refunded = Decimal(str(data.get("price"))).quantize(CENT)
        except InvalidOperation:
            refunded = None
        if _text(data.get("paymentId")) != provider_payment_id or refunded != amount:
            log.error("iyzico payment %s: refund answer does not match the request (%s, %s)", provider_payment_id,
                      data.get("paymentId"), data.get("price"))  # fmt: skip
            raise GatewayError("iyzico's refund answer does not match the request; check the iyzico panel.",
                               code="answer_mismatch")  # fmt: skip
        return RefundResult(provider_refund_id=self._refund_id(provider_payment_id, reference), amount=refunded)

    @staticmethod
    def _refund_id(provider_payment_id: str, reference: str) -> str:
        """The portal's id of an iyzico refund (the amount-based refund answers none of its own): the payment id and
        a digest of our reference, the same whether the refund's answer or the report found it."""
        digest = hashlib.sha256(reference.encode()).hexdigest()[:12]
        return f"iyz-{provider_payment_id}-{digest}"

    def refund_status(self, *, provider_payment_id: str, reference: str) -> RefundCheck:
        if not provider_payment_id:
            raise GatewayError("A refund can be looked up only with iyzico's payment id.")
        data = self._call(_PaymentReport, "retrieve", {"locale": "tr", "paymentId": provider_payment_id})
        if data["status"] != "success":
            reason = data.get("errorMessage") or data.get("errorCode")
            raise GatewayError(f"iyzico refused the payment report: {reason}",
                               retryable=True, code=str(data.get("errorCode") or ""))  # fmt: skip
        payments = [p for p in data.get("payments") or [] if isinstance(p, dict)]
        payments = [p for p in payments if _text(p.get("paymentId")) == provider_payment_id]
        if not payments:
            raise GatewayError(f"iyzico's report does not hold payment {provider_payment_id}.", retryable=True)
        found = [
            refund
            for payment in payments
            for item in payment.get("itemTransactions") or []
            if isinstance(item, dict)
            for refund in item.get("refunds") or []
            if isinstance(refund, dict) and _text(refund.get("refundConversationId")) == reference
        ]
        if not found:
            return RefundCheck(state=RefundState.NOT_FOUND)
        made = [refund for refund in found if _text(refund.get("refundStatus")) == REFUND_MADE]
        if not made:
            reason = next((_text(r.get("errorMessage")) for r in found if r.get("errorMessage")), "")
            return RefundCheck(state=RefundState.FAILED, reason=(reason or "Refused by iyzico.")[:255])
        try:
            amount = sum((Decimal(str(r.get("refundPrice"))) for r in made), Decimal(0)).quantize(CENT)
        except InvalidOperation:
            raise GatewayError("iyzico's report shows a refund without a readable amount.") from None
        return RefundCheck(
            state=RefundState.SUCCEEDED,
            provider_refund_id=self._refund_id(provider_payment_id, reference),
            amount=amount,
        )

    # -- mapping --------------------------------------------------------------------------------------------------

    @staticmethod
    def _locale(locale: str) -> str:
        return locale if locale in ("tr", "en") else "tr"

    @staticmethod
    def _buyer(buyer: Buyer) -> dict[str, str]:
        """iyzico wants a person's name and surname and an identity number; a dealer is a company, so its title
        is split at the last space and its tax number (VKN/TCKN) stands for the identity number."""
        title = (buyer.name or buyer.code).strip()
        name, _space, surname = title.rpartition(" ")
        fields = {
            "id": buyer.code,
            "name": name or title,
            "surname": surname or title,
            "identityNumber": buyer.tax_number or "11111111111",
            "email": buyer.email or "muhasebe@example.invalid",
            "registrationAddress": buyer.address or buyer.city or "-",
            "city": buyer.city or "-",
            "country": buyer.country or "Turkey",
            "ip": buyer.ip or "127.0.0.1",
        }
        if buyer.phone:
            fields["gsmNumber"] = buyer.phone
        return fields

    def _outcome(self, data: Mapping[str, Any]) -> Outcome:
        """A verified retrieve answer as an ``Outcome``. ``basketId`` (signed) is our reference; a
        ``conversationId`` that says otherwise is refused."""
        reference = _text(data.get("basketId"))
        if not reference or _text(data.get("conversationId")) not in ("", reference):
            raise CallbackRejected("iyzico's answer names another payment (conversationId differs from basketId).")
        try:
            price = Decimal(str(data.get("price"))).quantize(CENT)
            paid = Decimal(str(data.get("paidPrice"))).quantize(CENT)
        except InvalidOperation:
            price = paid = None
        # paidPrice is what the card was charged; more than the price (instalment interest) still pays it in full.
        amount = paid if price is not None and paid is not None and paid < price else price
        payment_status = _text(data.get("paymentStatus"))
        reason = _text(data.get("errorMessage") or data.get("errorGroup"))
        fraud = _text(data.get("fraudStatus"))
        status = OutcomeStatus.PENDING
        if payment_status == "SUCCESS":
            if fraud in ("1", ""):
                status = OutcomeStatus.SUCCEEDED
            elif fraud == "-1":
                status, reason = OutcomeStatus.FAILED, reason or "Declined by iyzico's fraud check."
            else:
                reason = "Under review by iyzico's fraud check."
        elif payment_status == "FAILURE":
            status = OutcomeStatus.FAILED
            reason = reason or "Declined."
        commission = None
        if status == OutcomeStatus.SUCCEEDED:
            try:
                commission = (
                    Decimal(str(data.get("iyziCommissionRateAmount") or 0))
                    + Decimal(str(data.get("iyziCommissionFee") or 0))
                ).quantize(CENT)
            except InvalidOperation:
                commission = None
        return Outcome(
            reference=reference,
            status=status,
            provider_payment_id=_text(data.get("paymentId")),
            amount=amount,
            currency=_text(data.get("currency")),
            reason=reason[:255],
            commission=commission,
        )
