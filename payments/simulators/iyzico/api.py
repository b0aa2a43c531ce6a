"""iyzico's API as the simulator answers it: request authentication (``IYZWSv2``), Checkout Form initialize and
retrieve, payment detail, refunds, response signatures, and the card page's payment and 3-D Secure steps."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from payments.simulators.iyzico.cards import (
    FORM_UNFINISHED,
    PAYMENT_UNKNOWN,
    REFUND_REFUSED,
    TEST_CARDS,
    THREE_DS_FAILED,
    TOKEN_UNKNOWN,
    CheckoutForm,
    RefundRecord,
)

INITIALIZE = "/payment/iyzipos/checkoutform/initialize/ecom"
RETRIEVE = "/payment/iyzipos/checkoutform/auth/ecom/detail"
DETAIL = "/payment/detail"
REFUND = "/v2/payment/refund"
REPORT = "/v2/reporting/payment/details"
PAGE = "/checkoutform/"
THREE_D_SECURE_CODE = "283126"
CURRENCIES = frozenset({"TRY", "EUR", "USD", "GBP", "CHF", "NOK", "RUB"})


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
    answer_lost: bool = False  # the call is carried out, then the connection closes without an answer

    def applies(self, path: str) -> bool:
        return self.paths is None or path in self.paths

    def clear(self) -> None:
        self.__init__()


class ApiError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def price_field(value: Any, name: str) -> Decimal:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, TypeError):
        raise ApiError("5001", f"{name} geçersiz") from None
    if value in (None, "") or not number.is_finite() or number <= 0 or number != number.quantize(Decimal("0.01")):
        raise ApiError("5001", f"{name} geçersiz")
    return number


def in_future(month: str, year: str) -> bool:
    if not (month.isdigit() and year.isdigit()):
        return False
    y = int(year) + (2000 if len(year) == 2 else 0)
    m = int(month)
    now = time.gmtime()
    return 1 <= m <= 12 and (y, m) >= (now.tm_year, now.tm_mon)


def now_ms() -> int:
    return int(time.time() * 1000)


class CheckoutApi:
    """The API half of ``IyzicoSimulator``: every call is authenticated, then answered from ``forms``."""

    faults: Faults
    forms: dict[str, CheckoutForm]

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
        handler = {INITIALIZE: self._initialize, RETRIEVE: self._retrieve, DETAIL: self._detail, REFUND: self._refund,
                   REPORT: self._report}  # fmt: skip
        with self.lock:
            return handler[path](request)

    def _initialize(self, request: dict[str, Any]) -> dict[str, Any]:
        price, paid = price_field(request.get("price"), "price"), price_field(request.get("paidPrice"), "paidPrice")
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
            total += price_field(item.get("price"), "basketItems.price")
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
            "systemTime": now_ms(),
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
        data.update(status="success", locale=request.get("locale") or form.locale, systemTime=now_ms(),
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
        data.update(status="success", locale=request.get("locale") or "tr", systemTime=now_ms(),
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
        amount = price_field(request.get("price"), "price")
        if form.state != "SUCCESS" or form.card is None or not form.card.refundable:
            raise ApiError(REFUND_REFUSED, "Bu ödeme iade edilemez")
        if request.get("currency") and request["currency"] != form.currency:
            raise ApiError(REFUND_REFUSED, "İade para birimi ödemeninkiyle aynı olmalıdır")
        if amount <= 0 or sum(r.amount for r in form.refunds) + amount > form.paid_price:
            raise ApiError(REFUND_REFUSED, "İade tutarı iade edilebilir tutardan büyük olamaz")
        self._next_id += 1
        form.refunds.append(RefundRecord(str(request.get("conversationId") or ""), amount, str(self._next_id)))
        return {
            "status": "success",
            "locale": request.get("locale") or "tr",
            "systemTime": now_ms(),
            "conversationId": request.get("conversationId"),
            "paymentId": form.payment_id,
            "price": float(self.faults.amount if self.faults.amount is not None else amount),
            "currency": form.currency,
            "authCode": f"{secrets.randbelow(10**6):06d}",
            "hostReference": f"mock{secrets.randbelow(10**8):08d}iyzihostrfn",
        }

    def _report(self, request: dict[str, Any]) -> dict[str, Any]:
        """The reporting API's payment details, by ``paymentId`` or ``paymentConversationId``: the payment with its
        item transactions and, under each, the refunds made (amount-based refunds are booked on the first item)."""
        payment_id = str(request.get("paymentId") or "")
        conversation = str(request.get("paymentConversationId") or "")
        forms = [
            form for form in self.forms.values()
            if form.payment_id
            and (form.payment_id == payment_id if payment_id else form.conversation_id == conversation)
        ]  # fmt: skip
        if not payment_id and not conversation:
            raise ApiError("5001", "paymentId veya paymentConversationId gönderilmesi zorunludur")
        payments = []
        for form in forms:
            refunded = sum((r.amount for r in form.refunds), Decimal(0))
            refund_status = ("NOT_REFUNDED" if not refunded else
                             "TOTALLY_REFUNDED" if refunded >= form.paid_price else "PARTIALLY_REFUNDED")  # fmt: skip
            items = []
            for index, item_id in enumerate(form.item_ids, start=1):
                refunds = [
                    {"refundTxId": r.tx_id, "refundConversationId": r.conversation_id, "refundPrice": float(r.amount),
                     "refundStatus": 1, "isAfterSettlement": False, "currencyCode": form.currency,
                     "createdDate": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(r.created))}
                    for r in (form.refunds if index == 1 else [])
                ]  # fmt: skip
                items.append({"itemId": item_id, "paymentTransactionId": f"{form.payment_id}{index}",
                              "transactionStatus": 2 if form.state == "SUCCESS" else 0,
                              "price": float(form.price), "paidPrice": float(form.paid_price),
                              "refunds": refunds})  # fmt: skip
            payments.append({
                "paymentId": form.payment_id, "paymentStatus": 1 if form.state == "SUCCESS" else 2,
                "paymentRefundStatus": refund_status, "price": float(form.price), "paidPrice": float(form.paid_price),
                "installment": 1, "paymentConversationId": form.conversation_id, "basketId": form.basket_id,
                "currency": form.currency, "phase": "AUTH", "itemTransactions": items, "cancels": [],
            })  # fmt: skip
        return {"status": "success", "locale": request.get("locale") or "tr", "systemTime": now_ms(),
                "payments": payments}  # fmt: skip

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
            valid_expiry = in_future(fields.get("expireMonth", ""), fields.get("expireYear", ""))
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
