"""Card payments through iyzico's Checkout Form, end to end against the local iyzico simulator over verified HTTPS:
the portal starts the form, the dealer pays on the simulator's page (card and 3-D Secure), the simulator posts the
token back to the portal's return view, and the gateway's completion call and signature check decide. Declines,
3-D Secure failures, tampered and changed answers, replays, unknown tokens, wrong keys, status checks, refunds and
transport failures. No mocks: the simulator is the peer, iyzipay builds every request."""

from __future__ import annotations

import hashlib
import hmac
import http.client
import json
import logging
import re
import ssl
import urllib.error
import urllib.request
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlencode, urlsplit

import iyzipay
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection as db
from django.urls import reverse
from django.utils import timezone

from erpsync.models import ErpConnection, SyncJob
from orders.models import Order
from orders.services import cart_line_add
from orders.status import OrderStatus as S
from orders.tests.factories import buyer_of, make_shop, place
from payments.gateways import gateway_for
from payments.gateways.base import CallbackRejected, Checkout, GatewayError, OutcomeStatus
from payments.gateways.iyzico import (
    CHECKOUT_FORM_FIELDS,
    PAYMENT_DETAIL_FIELDS,
    IyzicoGateway,
    plain,
    signature_verifies,
)
from payments.models import Allocation, Payment
from payments.services import PaymentRefused, payment_check_pending, payment_refund, refund_check_pending
from payments.simulators import TEST_CARDS, IyzicoSimulator
from payments.simulators.iyzico import THREE_D_SECURE_CODE
from payments.simulators.iyzico.api import REFUND

pytestmark = pytest.mark.django_db
D = Decimal
APPROVED, APPROVED_NO_REFUND = "5528790000000008", "5406670000000009"
NO_FUNDS, DO_NOT_HONOUR, THREE_DS_FAILS = "4111111111111129", "4129111111111111", "4131111111111117"
API_KEY, SECRET_KEY = "sandbox-portal-test-key", "sandbox-portal-test-secret"


@pytest.fixture
def sim():
    with IyzicoSimulator(api_key=API_KEY, secret_key=SECRET_KEY) as simulator:
        yield simulator


@pytest.fixture
def iyzico(sim, settings, monkeypatch):
    """The portal's default gateway is iyzico, pointed at the simulator; its keys come from the environment."""
    settings.PAYMENT_DEFAULT_GATEWAY = "iyzico"
    settings.PAYMENT_GATEWAYS = {
        **settings.PAYMENT_GATEWAYS,
        "iyzico": {**settings.PAYMENT_GATEWAYS["iyzico"], "settings": {"base_url": sim.base_url, "timeout": 3}},
    }
    monkeypatch.setenv("IYZICO_BASE_URL", sim.base_url)
    monkeypatch.setenv("IYZICO_CA_FILE", sim.ca_file)
    monkeypatch.setenv("IYZICO_API_KEY", API_KEY)
    monkeypatch.setenv("IYZICO_SECRET_KEY", SECRET_KEY)
    return sim


@pytest.fixture
def erp(tmp_path):
    return ErpConnection.objects.create(
        code="files", name="Files", adapter="file", is_default=True, settings={"root": str(tmp_path)}
    )


@pytest.fixture
def card_order(erp, iyzico, client):
    dealer, product = make_shop(price="250")
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=D(2))
    order = place(buyer, payment_method=Order.PaymentMethod.CARD)
    assert order.status == S.AWAITING_PAYMENT
    client.force_login(buyer.user)
    return order


# --- the dealer's browser on the provider's page ------------------------------------------------------------------


class Browser:
    """What the dealer's browser does on iyzico's page: over HTTPS to the simulator, never through the portal."""

    def __init__(self, sim: IyzicoSimulator) -> None:
        self.sim = sim
        self.context = ssl.create_default_context(cafile=sim.ca_file)
        self.pages: list[str] = []

    def open(self, url: str, fields: dict[str, str] | None = None) -> str:
        data = urlencode(fields).encode() if fields is not None else None
        assert url.startswith(self.sim.root)
        with urllib.request.urlopen(url, data=data, context=self.context, timeout=5) as response:  # noqa: S310
            page = response.read().decode()
        self.pages.append(page)
        return page


def callback_form(page: str) -> tuple[str, str]:
    """The action and token of the page's auto-submitting form back to the merchant."""
    action = re.search(r'<form id="iyzico-callback" method="post" action="([^"]+)"', page)
    token = re.search(r'name="token" value="([^"]+)"', page)
    assert action and token, page
    return action.group(1), token.group(1)


def start(client, order) -> str:
    """The dealer presses "pay by card": the portal answers a redirect to iyzico's page."""
    response = client.post(reverse("payments:order_pay", args=[order.number]))
    assert response.status_code == 302, response
    return response["Location"]


def card_fields(token: str, card: str) -> dict[str, str]:
    return {"token": token, "cardHolderName": "Ayşe Yılmaz", "cardNumber": card, "expireMonth": "12",
            "expireYear": "2099", "cvc": "123"}  # fmt: skip


def pay(client, order, sim, card: str = APPROVED, code: str = THREE_D_SECURE_CODE, *, browser=None):
    """Start the payment and pay on the hosted page; returns the callback (action, token)."""
    browser = browser or Browser(sim)
    page_url = start(client, order)
    assert page_url.startswith(sim.root + "/checkoutform/")
    page = browser.open(page_url)
    assert 'data-testid="iyzico-page"' in page
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    page = browser.open(sim.root + "/checkoutform/pay", card_fields(token, card))
    if 'data-testid="iyzico-3ds"' in page:
        page = browser.open(sim.root + "/checkoutform/3ds", {"token": token, "code": code})
    return callback_form(page)


def back(client, action: str, token: str):
    """The callback form arrives at the portal (the browser's cross-site POST)."""
    assert urlsplit(action).path == reverse("payments:return", args=["iyzico"])
    return client.post(urlsplit(action).path, {"token": token})


# --- the happy path -----------------------------------------------------------------------------------------------


def test_paid_on_iyzicos_page_the_order_is_released_and_the_collection_queued(client, card_order, iyzico):
    order = card_order
    action, token = pay(client, order, iyzico)
    response = back(client, action, token)

    assert response.status_code == 302 and response["Location"] == reverse("orders:order_detail", args=[order.number])
    order.refresh_from_db()
    payment = order.payments.get()
    form = iyzico.forms[token]
    assert order.status == S.APPROVED
    assert (payment.gateway, payment.status, payment.amount) == ("iyzico", "succeeded", D("600.00"))
    assert payment.provider_payment_id == form.payment_id
    assert payment.commission == (D("600") * D("0.0249") + D("0.25")).quantize(D("0.01"))
    assert (form.conversation_id, form.basket_id, form.price, form.callback_url) == (
        str(payment.reference),
        str(payment.reference),
        D("600.00"),
        "http://testserver" + urlsplit(action).path,
    )
    assert Allocation.objects.get(payment=payment).order == order
    job = SyncJob.objects.get(kind=SyncJob.Kind.PAYMENT_EXPORT)
    assert (job.payload["amount"], job.payload["order_number"]) == ("600.00", order.number)
    assert b"received" in client.get(response["Location"]).content


def test_the_gateway_is_registered_in_settings_and_reads_its_keys_from_the_environment(iyzico):
    gateway = gateway_for("iyzico")
    assert isinstance(gateway, IyzicoGateway)
    assert (gateway.host, gateway.api_key, gateway.secret_key) == (iyzico.base_url, API_KEY, SECRET_KEY)


# --- declines -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "card, reason", [(NO_FUNDS, "Kart limiti yetersiz"), (DO_NOT_HONOUR, "İşlem onaylanmadı")]
)  # fmt: skip
def test_a_card_the_bank_declines_leaves_the_order_waiting_for_another_try(client, card_order, iyzico, card, reason):
    order = card_order
    response = back(client, *pay(client, order, iyzico, card))
    order.refresh_from_db()

    assert response.status_code == 302 and order.status == S.AWAITING_PAYMENT
    failed = order.payments.get()
    assert failed.status == "failed" and reason in failed.failure_reason
    assert not SyncJob.objects.filter(kind=SyncJob.Kind.PAYMENT_EXPORT).exists()
    assert reason in client.get(response["Location"]).content.decode()

    back(client, *pay(client, order, iyzico))
    order.refresh_from_db()
    assert order.status == S.APPROVED and order.payments.count() == 2


@pytest.mark.parametrize("card, code", [(THREE_DS_FAILS, THREE_D_SECURE_CODE), (APPROVED, "000000")])
def test_a_failed_3d_secure_step_fails_the_payment(client, card_order, iyzico, card, code):
    order = card_order
    action, token = pay(client, order, iyzico, card, code)
    back(client, action, token)

    payment = order.payments.get()
    assert payment.status == "failed" and "3D Secure" in payment.failure_reason
    assert iyzico.forms[token].md_status == "0"
    order.refresh_from_db()
    assert order.status == S.AWAITING_PAYMENT


# --- what does not verify -----------------------------------------------------------------------------------------


def test_a_retrieve_answer_with_a_tampered_signature_is_rejected_and_changes_nothing(client, card_order, iyzico):
    order = card_order
    action, token = pay(client, order, iyzico)
    iyzico.faults.tamper_signature = True
    response = back(client, action, token)

    assert response.status_code == 400 and b"could not be verified" in response.content
    order.refresh_from_db()
    assert order.status == S.AWAITING_PAYMENT and order.payments.get().status == "pending"
    assert not Allocation.objects.exists() and not SyncJob.objects.filter(kind="payment_export").exists()

    iyzico.faults.clear()  # the genuine answer still settles it
    assert back(client, action, token).status_code == 302
    assert order.payments.get().status == "succeeded"


def test_a_changed_amount_verifies_at_the_gateway_but_the_service_refuses_it(client, card_order, iyzico):
    order = card_order
    action, token = pay(client, order, iyzico)
    iyzico.faults.amount = D("1.00")

    outcome = gateway_for("iyzico").finish({"token": token}, b"")
    assert (outcome.status, outcome.amount) == (OutcomeStatus.SUCCEEDED, D("1.00"))  # signed by the provider
    response = back(client, action, token)

    assert response.status_code == 400
    order.refresh_from_db()
    assert order.status == S.AWAITING_PAYMENT and order.payments.get().status == "pending"
    assert not Allocation.objects.exists()


def test_a_replayed_token_changes_nothing(client, card_order, iyzico):
    order = card_order
    declined = pay(client, order, iyzico, NO_FUNDS)
    back(client, *declined)
    paid = pay(client, order, iyzico)
    back(client, *paid)

    for replay in (paid, paid, declined):  # the success again, and the old decline after the success
        assert back(client, *replay).status_code == 302
    order.refresh_from_db()
    assert order.status == S.APPROVED
    assert sorted(order.payments.values_list("status", flat=True)) == ["failed", "succeeded"]
    assert Allocation.objects.count() == 1
    assert SyncJob.objects.filter(kind=SyncJob.Kind.PAYMENT_EXPORT).count() == 1


@pytest.mark.parametrize("token", ["0b9a4a52-5c1c-4f0e-9a51-8d0b7a7f2b11", "", "../../etc", "x" * 200])
def test_an_unknown_or_malformed_token_is_rejected(client, card_order, iyzico, token):
    order = card_order
    start(client, order)
    response = client.post(reverse("payments:return", args=["iyzico"]), {"token": token})

    assert response.status_code == 400
    assert order.payments.get().status == "pending"


def test_a_token_whose_form_was_never_paid_is_rejected(client, card_order, iyzico):
    order = card_order
    page_url = start(client, order)
    token = dict(re.findall(r"(token)=([^&]+)", page_url))["token"]
    assert back(client, "http://testserver" + reverse("payments:return", args=["iyzico"]), token).status_code == 400
    assert order.payments.get().status == "pending"


def test_response_signatures_follow_iyzicos_field_order():
    secret = "s3cr3t"
    data = {"paymentStatus": "SUCCESS", "paymentId": "21000001", "currency": "TRY", "basketId": "ref",
            "conversationId": "ref", "paidPrice": D("600.0"), "price": D("600.00"), "token": "tok"}  # fmt: skip
    joined = "SUCCESS:21000001:TRY:ref:ref:600:600:tok"
    data["signature"] = hmac.new(secret.encode(), joined.encode(), hashlib.sha256).hexdigest()
    assert signature_verifies(data, CHECKOUT_FORM_FIELDS, secret)
    assert signature_verifies({**data, "signature": data["signature"].upper()}, CHECKOUT_FORM_FIELDS, secret)
    assert not signature_verifies(data, CHECKOUT_FORM_FIELDS, "another")
    assert not signature_verifies({**data, "price": D("60")}, CHECKOUT_FORM_FIELDS, secret)
    assert not signature_verifies({**data, "signature": "zz" * 32}, CHECKOUT_FORM_FIELDS, secret)
    assert not signature_verifies({**data, "signature": None}, CHECKOUT_FORM_FIELDS, secret)
    # payment detail: no paymentStatus, no token; an absent field may be left out of the join (iyzico's PHP helper)
    detail = {key: data[key] for key in PAYMENT_DETAIL_FIELDS} | {"basketId": None}
    detail["signature"] = hmac.new(secret.encode(), b"21000001:TRY:ref:600:600", hashlib.sha256).hexdigest()
    assert signature_verifies(detail, PAYMENT_DETAIL_FIELDS, secret)
    assert [plain(v) for v in (D("12.50"), D("1E+2"), 7, "0.10", None)] == ["12.5", "100", "7", "0.1", ""]


# --- credentials, transport -------------------------------------------------------------------------------------


@pytest.mark.parametrize("variable, code", [("IYZICO_API_KEY", "1001"), ("IYZICO_SECRET_KEY", "1000")])
def test_wrong_keys_are_a_gateway_error_and_no_payment_starts(client, card_order, iyzico, monkeypatch, variable,
                                                              code):  # fmt: skip
    order = card_order
    monkeypatch.setenv(variable, "sandbox-wrong")
    with pytest.raises(GatewayError) as refused:
        gateway_for("iyzico").status("ref")
    assert (refused.value.code, refused.value.retryable) == (code, False)

    response = client.post(reverse("payments:order_pay", args=[order.number]), follow=True)
    assert b"not available" in response.content
    payment = order.payments.get()
    assert payment.status == "failed" and "credentials" in payment.failure_reason
    assert not iyzico.forms


def test_failure_answers_with_http_200_are_read_the_same(iyzico):
    with IyzicoSimulator(api_key=API_KEY, secret_key=SECRET_KEY, failure_status=200) as old_style:
        gateway = IyzicoGateway({"base_url": old_style.base_url, "ca_file": old_style.ca_file, "api_key": "wrong",
                                 "secret_key": SECRET_KEY})  # fmt: skip
        with pytest.raises(GatewayError) as refused:
            gateway.status("ref")
        assert refused.value.code == "1001"


def test_a_server_error_is_a_retryable_gateway_error_everywhere(client, card_order, iyzico):
    order = card_order
    _action, token = pay(client, order, iyzico)
    iyzico.faults.server_error = True
    gateway = gateway_for("iyzico")

    calls = (
        lambda: gateway.finish({"token": token}, b""),
        lambda: gateway.status("ref"),
        lambda: gateway.refund(provider_payment_id="1", amount=D(1), currency="TRY", reference="r"),
    )
    for call in calls:
        with pytest.raises(GatewayError) as failed:
            call()
        assert (failed.value.retryable, failed.value.code) == (True, "http_500")

    Payment.objects.update(updated_at=timezone.now() - timedelta(hours=1))
    assert payment_check_pending() == 0
    assert order.payments.get().status == "pending"
    # The dealer coming back while iyzico cannot confirm is told so; nothing is settled, nothing fails.
    response = back(client, reverse("payments:return", args=["iyzico"]), token)
    assert response.status_code == 302 and order.payments.get().status == "pending"

    response = client.post(reverse("payments:order_pay", args=[order.number]), follow=True)
    assert b"not available" in response.content
    assert order.payments.latest("created_at").status == "failed"


def test_a_silent_iyzico_times_out_as_a_retryable_error(iyzico):
    iyzico.faults.delay = 2
    gateway = IyzicoGateway({"base_url": iyzico.base_url, "ca_file": iyzico.ca_file, "api_key": API_KEY,
                             "secret_key": SECRET_KEY, "timeout": 0.3})  # fmt: skip
    with pytest.raises(GatewayError) as failed:
        gateway.status("ref")
    assert (failed.value.retryable, failed.value.code) == (True, "timeout")


def test_tls_is_verified_an_untrusted_certificate_is_refused(iyzico):
    gateway = IyzicoGateway({"base_url": iyzico.base_url, "api_key": API_KEY, "secret_key": SECRET_KEY})
    with pytest.raises(GatewayError) as refused:
        gateway.status("ref")
    assert refused.value.code == "tls"
    assert not iyzico.requests  # nothing was sent
    with pytest.raises(ImproperlyConfigured):
        IyzicoGateway({"base_url": "http://" + iyzico.base_url})


def test_start_refuses_what_iyzico_cannot_take(iyzico):
    from payments.gateways.base import Buyer

    gateway = gateway_for("iyzico")
    checkout = Checkout("ref", D("10"), "JPY", "x", Buyer("B1", "Bayi"), "https://portal.example/r/")
    with pytest.raises(GatewayError):
        gateway.start(checkout)
    with pytest.raises(GatewayError):
        gateway.start(Checkout("ref", D("0"), "TRY", "x", Buyer("B1", "Bayi"), "https://portal.example/r/"))
    redirect = gateway.start(Checkout("ref", D("10.5"), "EUR", "", Buyer("B1", "Bayi"), "https://portal.example/r/"))
    assert redirect.token in iyzico.forms and iyzico.forms[redirect.token].price == D("10.50")


# --- status -------------------------------------------------------------------------------------------------------


def test_a_payment_whose_dealer_never_came_back_is_settled_by_a_status_check(client, card_order, iyzico):
    order = card_order
    browser = Browser(iyzico)
    gateway = gateway_for("iyzico")
    page_url = start(client, order)
    payment = order.payments.get()
    assert gateway.status(str(payment.reference)).status == OutcomeStatus.PENDING  # nothing paid yet

    token = re.search(r'name="token" value="([^"]+)"', browser.open(page_url)).group(1)
    browser.open(iyzico.root + "/checkoutform/pay", card_fields(token, APPROVED))
    waiting = gateway.status(str(payment.reference))
    assert (waiting.status, waiting.provider_payment_id) == (OutcomeStatus.PENDING, iyzico.forms[token].payment_id)
    browser.open(iyzico.root + "/checkoutform/3ds", {"token": token, "code": THREE_D_SECURE_CODE})  # tab closed here

    assert payment_check_pending() == 0  # too recent to ask
    Payment.objects.update(updated_at=timezone.now() - timedelta(hours=1))
    assert payment_check_pending() == 1
    payment.refresh_from_db()
    order.refresh_from_db()
    assert (payment.status, payment.provider_payment_id) == ("succeeded", iyzico.forms[token].payment_id)
    assert order.status == S.APPROVED
    outcome = gateway.status(str(payment.reference), payment.provider_payment_id)
    assert (outcome.status, outcome.amount, outcome.currency) == (OutcomeStatus.SUCCEEDED, D("600.00"), "TRY")


def test_a_tampered_status_answer_settles_nothing(client, card_order, iyzico):
    order = card_order
    pay(client, order, iyzico)  # paid, but the dealer never came back
    iyzico.faults.tamper_signature = True
    Payment.objects.update(updated_at=timezone.now() - timedelta(hours=1))

    assert payment_check_pending() == 0
    assert order.payments.get().status == "pending"
    with pytest.raises(CallbackRejected):
        gateway_for("iyzico").status(str(order.payments.get().reference))


def test_fraud_review_keeps_the_payment_pending_until_iyzico_decides(client, card_order, iyzico):
    order = card_order
    action, token = pay(client, order, iyzico)
    iyzico.faults.fraud_status = 0
    response = back(client, action, token)
    assert response.status_code == 302 and order.payments.get().status == "pending"
    assert b"not confirmed the payment yet" in client.get(response["Location"]).content

    iyzico.faults.fraud_status = -1
    assert gateway_for("iyzico").finish({"token": token}, b"").status == OutcomeStatus.FAILED
    iyzico.faults.fraud_status = 1
    Payment.objects.update(updated_at=timezone.now() - timedelta(hours=1))
    assert payment_check_pending() == 1
    assert order.payments.get().status == "succeeded"


# --- refunds ------------------------------------------------------------------------------------------------------


def test_partial_then_full_refund_through_iyzico_each_queue_one_credit_memo(client, card_order, iyzico):
    order = card_order
    action, token = pay(client, order, iyzico)
    back(client, action, token)
    payment = order.payments.get()

    first = payment_refund(payment=payment, amount=D("100"), reason="Hasarlı ürün")
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == ("partially_refunded", D("100"))
    second = payment_refund(payment=payment, amount=D("500"))
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == ("refunded", D("600"))
    assert [(r.conversation_id, r.amount) for r in iyzico.forms[token].refunds] == [
        (str(first.reference), D("100.00")),
        (str(second.reference), D("500.00")),
    ]
    jobs = SyncJob.objects.filter(kind=SyncJob.Kind.REFUND_EXPORT).order_by("pk")
    assert [job.payload["amount"] for job in jobs] == ["100.00", "500.00"]
    assert len({job.identity_key for job in jobs}) == 2

    with pytest.raises(GatewayError) as refused:  # iyzico itself refuses more than was paid
        gateway_for("iyzico").refund(provider_payment_id=payment.provider_payment_id, amount=D("1"), currency="TRY",
                                     reference="again")  # fmt: skip
    assert refused.value.code == "5149" and not refused.value.retryable


def test_a_refund_iyzico_refuses_changes_nothing(client, card_order, iyzico):
    order = card_order
    back(client, *pay(client, order, iyzico, APPROVED_NO_REFUND))
    payment = order.payments.get()
    assert payment.status == "succeeded"

    with pytest.raises(PaymentRefused, match="iade edilemez"):
        payment_refund(payment=payment, amount=D("600"))
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == ("succeeded", D("0"))
    assert not SyncJob.objects.filter(kind=SyncJob.Kind.REFUND_EXPORT).exists()
    refund = payment.refunds.get()
    assert refund.status == "failed" and "iade edilemez" in refund.error


def test_a_refund_whose_answer_is_lost_is_found_in_the_report_and_settled_once(client, card_order, iyzico):
    """iyzico makes the refund but its answer never arrives: the refund waits as "unknown", holding its amount; the
    check finds it in the payment report under the same reference and settles it; iyzico made one refund."""
    action, token = pay(client, card_order, iyzico)
    back(client, action, token)
    payment = card_order.payments.get()
    iyzico.faults.answer_lost, iyzico.faults.paths = True, (REFUND,)

    refund = payment_refund(payment=payment, amount=D("250"))
    iyzico.faults.clear()
    payment.refresh_from_db()
    assert (refund.status, payment.refunded_amount) == ("unknown", D("0"))
    assert [r.amount for r in iyzico.forms[token].refunds] == [D("250.00")]  # the money has left
    with pytest.raises(PaymentRefused):  # what waits for an answer is not refunded again
        payment_refund(payment=payment, amount=D("350.01"))

    assert refund_check_pending(older_than=timedelta(0)) == 1
    assert refund_check_pending(older_than=timedelta(0)) == 0
    refund.refresh_from_db()
    payment.refresh_from_db()
    assert (refund.status, payment.refunded_amount, payment.status) == ("succeeded", D("250"), "partially_refunded")
    digest = refund.provider_refund_id.rsplit("-", 1)[1]
    assert refund.provider_refund_id == f"iyz-{payment.provider_payment_id}-{digest}"
    assert [r.amount for r in iyzico.forms[token].refunds] == [D("250.00")]  # never sent twice
    assert ("GET", "/v2/reporting/payment/details") in iyzico.requests
    jobs = SyncJob.objects.filter(kind=SyncJob.Kind.REFUND_EXPORT)
    assert [job.payload["amount"] for job in jobs] == ["250.00"]


def test_a_refund_answer_that_does_not_match_leaves_the_refund_waiting_not_failed(client, card_order, iyzico):
    """iyzico answers another amount than was asked: the money may have left, so the refund is not failed (a failed
    refund may be made again); the report, which shows what was refunded, settles it."""
    back(client, *pay(client, card_order, iyzico))
    payment = card_order.payments.get()
    iyzico.faults.amount, iyzico.faults.paths = D("1.00"), (REFUND,)
    refund = payment_refund(payment=payment, amount=D("250"))
    iyzico.faults.clear()
    assert (refund.status, refund.error) == ("unknown", "iyzico's refund answer does not match the request; check "
                                                        "the iyzico panel.")  # fmt: skip
    assert refund_check_pending(older_than=timedelta(0)) == 1
    refund.refresh_from_db()
    payment.refresh_from_db()
    assert (refund.status, payment.refunded_amount) == ("succeeded", D("250"))
    assert iyzico.requests.count(("POST", REFUND)) == 1


def test_a_refund_iyzico_never_received_is_not_sent_again_and_fails_after_the_grace_period(client, card_order, iyzico):
    """iyzico makes no refund-once guarantee per conversationId, so a refund its report does not show is never sent
    again by the portal: it waits, then fails for staff to check the iyzico panel."""
    back(client, *pay(client, card_order, iyzico))
    payment = card_order.payments.get()
    iyzico.faults.server_error, iyzico.faults.paths = True, (REFUND,)  # refused before anything was done
    refund = payment_refund(payment=payment, amount=D("100"))
    iyzico.faults.clear()
    assert refund.status == "unknown"

    assert refund_check_pending(older_than=timedelta(0)) == 0  # not in the report: waits
    refund.refresh_from_db()
    assert refund.status == "unknown"
    assert refund_check_pending(older_than=timedelta(0), give_up_after=timedelta(0)) == 1
    refund.refresh_from_db()
    assert refund.status == "failed" and "no record" in refund.error
    assert iyzico.requests.count(("POST", REFUND)) == 1
    assert not any(form.refunds for form in iyzico.forms.values())
    payment.refresh_from_db()
    assert payment.refunded_amount == D("0")


def test_the_payment_report_is_authenticated_over_the_path_alone(iyzico):
    gateway = gateway_for("iyzico")
    with pytest.raises(GatewayError):  # an unknown payment: no report to read
        gateway.refund_status(provider_payment_id="12345", reference="r")
    assert iyzico.requests[-1] == ("GET", "/v2/reporting/payment/details")
    gateway.secret_key = "wrong"
    with pytest.raises(GatewayError) as refused:
        gateway.refund_status(provider_payment_id="12345", reference="r")
    assert refused.value.code == "1000"


# --- card numbers stay with the provider ---------------------------------------------------------------------------


def test_no_card_number_reaches_the_database_the_logs_or_the_portals_pages(client, card_order, iyzico, caplog):
    for name in ["", *logging.root.manager.loggerDict]:
        caplog.set_level(logging.DEBUG, logger=name or None)
    db.force_debug_cursor = True  # every SQL statement and its parameters are logged too
    try:
        order = card_order
        portal_pages = [client.get(reverse("orders:order_detail", args=[order.number]))]
        browser = Browser(iyzico)
        for card in (NO_FUNDS, THREE_DS_FAILS, APPROVED):
            response = back(client, *pay(client, order, iyzico, card, browser=browser))
            portal_pages += [response, client.get(response["Location"])]
        payment = order.payments.get(status="succeeded")
        payment_refund(payment=payment, amount=D("50"))
        portal_pages.append(client.get(reverse("orders:order_detail", args=[order.number])))
    finally:
        db.force_debug_cursor = False

    assert any(card in page for page in browser.pages for card in (NO_FUNDS, APPROVED))  # typed on iyzico's page
    with db.cursor() as cursor:
        dumps = []
        for table in db.introspection.table_names():
            cursor.execute(f"SELECT row_to_json(t)::text FROM {db.ops.quote_name(table)} t")  # noqa: S608
            dumps += [row[0] for row in cursor.fetchall()]
    stored = " ".join(dumps)
    assert "django.db.backends" in {record.name for record in caplog.records}
    logged = "\n".join(record.getMessage() for record in caplog.records) + caplog.text
    rendered = " ".join(page.content.decode() + str(page.headers) for page in portal_pages)
    for number in TEST_CARDS:
        for where, text in (("database", stored), ("logs", logged), ("portal pages", rendered)):
            assert number not in text, f"card {number} found in the {where}"
    assert not re.search(r"\b\d{15,19}\b", rendered)


def test_an_answer_naming_another_conversation_is_rejected(iyzico):
    gateway = gateway_for("iyzico")
    answer = {"basketId": "ref-a", "conversationId": "ref-b", "paymentStatus": "SUCCESS", "price": D("1"),
              "paidPrice": D("1"), "currency": "TRY", "paymentId": "1"}  # fmt: skip
    with pytest.raises(CallbackRejected):
        gateway._outcome(answer)
    assert gateway._outcome({**answer, "conversationId": "ref-a"}).reference == "ref-a"


def test_the_simulator_checks_the_iyzwsv2_header_over_path_and_body(iyzico):
    """The simulator authenticates a request exactly as iyzipay signs it: random string + URI path + body."""
    options = {"api_key": API_KEY, "secret_key": SECRET_KEY, "base_url": iyzico.base_url}
    path = "/payment/iyzipos/checkoutform/auth/ecom/detail"
    signed_body = json.dumps({"locale": "tr", "token": "no-such-token"})

    def send(url: str, body: str, signed_for: str, signed_url: str = path) -> dict:
        headers = dict(iyzipay.CheckoutForm().get_http_header_v2(signed_url, options, "r4nd0m12", signed_for))
        connection = http.client.HTTPSConnection(
            iyzico.base_url, timeout=5, context=ssl.create_default_context(cafile=iyzico.ca_file)
        )
        connection.request("POST", url, body, headers)
        answer = json.loads(connection.getresponse().read())
        connection.close()
        return answer

    assert send(path, signed_body, signed_body)["errorCode"] == "5146"  # authenticated; the token is unknown
    assert send(path, signed_body.replace("no-such", "other"), signed_body)["errorCode"] == "1000"  # body changed
    assert send(path, signed_body, signed_body, signed_url="/payment/detail")["errorCode"] == "1000"  # path changed
