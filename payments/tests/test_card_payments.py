"""Card payments through the sandbox provider, end to end over HTTP: an order awaiting payment is paid on the hosted
3-D Secure page and released; declined, failed and unanswered payments; callbacks tampered, doubled or unknown;
payment links; payments on account; refunds. The ERP hears of every collection and refund once."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import signing
from django.db import connection as db
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from erpsync.models import ErpConnection, SyncJob
from orders.models import Order
from orders.services import cart_line_add
from orders.status import OrderStatus as S
from orders.tests.factories import buyer_of, make_shop, place
from payments.gateways.base import CallbackRejected, Outcome, OutcomeStatus
from payments.models import Allocation, Payment, PaymentLink, SandboxCharge
from payments.services import PaymentRefused, payment_apply, payment_check_pending, payment_refund
from payments.views import link_url

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def erp(tmp_path):
    """A default ERP connection, so collections and refunds are queued for it."""
    return ErpConnection.objects.create(
        code="files", name="Files", adapter="file", is_default=True, settings={"root": str(tmp_path)}
    )


@pytest.fixture
def card_order(erp):
    dealer, product = make_shop(price="250")
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=D(2))
    order = place(buyer, payment_method=Order.PaymentMethod.CARD)
    assert order.status == S.AWAITING_PAYMENT
    return order, buyer


def hosted_page(client, order) -> SandboxCharge:
    response = client.post(reverse("payments:order_pay", args=[order.number]))
    assert response.status_code == 302
    charge = SandboxCharge.objects.get(reference=str(order.payments.latest("created_at").reference))
    assert response["Location"] == reverse("payments:sandbox_page", args=[charge.charge_id])
    return charge


def returned_fields(response) -> dict[str, str]:
    """The hidden fields of the sandbox's auto-submitting return form."""
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', response.content.decode()))


def pay(client, order, card: str = "success", code: str = "283126"):
    charge = hosted_page(client, order)
    page = reverse("payments:sandbox_page", args=[charge.charge_id])
    response = client.post(page, {"card": card})
    if card in ("success", "3ds_failure"):
        response = client.post(reverse("payments:sandbox_3ds", args=[charge.charge_id]), {"code": code})
    fields = returned_fields(response)
    return charge, fields


def back(client, fields):
    return client.post(reverse("payments:return", args=["sandbox"]), fields)


def test_paid_by_card_the_order_is_released_and_the_collection_queued(client, card_order):
    order, buyer = card_order
    client.force_login(buyer.user)
    charge, fields = pay(client, order)
    response = back(client, fields)

    assert response.status_code == 302 and response["Location"] == reverse("orders:order_detail", args=[order.number])
    order.refresh_from_db()
    payment = order.payments.get()
    assert order.status == S.APPROVED
    assert (payment.status, payment.amount, payment.provider_payment_id) == ("succeeded", D("600.00"), charge.charge_id)
    assert Allocation.objects.get(payment=payment).order == order
    job = SyncJob.objects.get(kind=SyncJob.Kind.PAYMENT_EXPORT)
    assert (job.payload["amount"], job.payload["order_number"]) == ("600.00", order.number)
    assert SyncJob.objects.filter(kind=SyncJob.Kind.ORDER_EXPORT).count() == 1
    assert order.status_changes.filter(to_status=S.APPROVED, source="payment").exists()


def test_the_same_outcome_twice_changes_nothing(client, card_order):
    order, buyer = card_order
    client.force_login(buyer.user)
    _charge, fields = pay(client, order)
    back(client, fields)
    again = back(client, fields)

    assert again.status_code == 302
    assert Allocation.objects.count() == 1
    assert SyncJob.objects.filter(kind=SyncJob.Kind.PAYMENT_EXPORT).count() == 1


@pytest.mark.parametrize("field, value", [("amount", "1.00"), ("status", "succeeded"), ("signature", "0" * 64)])
def test_a_tampered_return_is_refused_and_changes_nothing(client, card_order, field, value):
    order, buyer = card_order
    client.force_login(buyer.user)
    _charge, fields = pay(client, order, card="3ds_failure")
    response = back(client, {**fields, field: value})

    assert response.status_code == 400
    order.refresh_from_db()
    assert order.status == S.AWAITING_PAYMENT and order.payments.get().status == "pending"
    assert not Allocation.objects.exists()


def test_outcomes_that_do_not_fit_the_payment_are_refused(card_order):
    order, _ = card_order
    from payments.services import payment_start

    started = payment_start(dealer=order.dealer, order=order, return_url="http://testserver/r/")
    reference = str(started.payment.reference)

    def apply(status=OutcomeStatus.SUCCEEDED, amount="600", currency="TRY", ref=reference):
        return payment_apply(gateway_key="sandbox", outcome=Outcome(ref, status, "sbx_1", D(amount), currency))

    for wrong in ({"amount": "1"}, {"currency": "EUR"}, {"ref": "no-such"}):
        with pytest.raises(CallbackRejected):
            apply(**wrong)
    assert apply().status == "succeeded"
    assert apply().status == "succeeded"  # the same outcome again
    # A replayed old outcome saying otherwise, for a settled payment, is refused.
    with pytest.raises(CallbackRejected):
        apply(status=OutcomeStatus.FAILED)
    assert Allocation.objects.count() == 1


@pytest.mark.parametrize("card, reason", [("3ds_failure", "3-D Secure"), ("insufficient_funds", "Insufficient")])
def test_a_declined_card_leaves_the_order_waiting_for_another_try(client, card_order, card, reason):
    order, buyer = card_order
    client.force_login(buyer.user)
    _charge, fields = pay(client, order, card=card)
    response = back(client, fields)
    order.refresh_from_db()

    assert response.status_code == 302 and order.status == S.AWAITING_PAYMENT
    failed = order.payments.get()
    assert failed.status == "failed" and reason in failed.failure_reason
    assert not SyncJob.objects.filter(kind=SyncJob.Kind.PAYMENT_EXPORT).exists()

    _charge, fields = pay(client, order)
    back(client, fields)
    order.refresh_from_db()
    assert order.status == S.APPROVED and order.payments.count() == 2


def test_a_wrong_3ds_code_fails(client, card_order):
    order, buyer = card_order
    client.force_login(buyer.user)
    _charge, fields = pay(client, order, code="000000")
    back(client, fields)
    assert order.payments.get().status == "failed"


def test_an_unanswered_payment_is_settled_by_a_later_status_check(client, card_order, settings):
    order, buyer = card_order
    client.force_login(buyer.user)
    charge = hosted_page(client, order)
    waiting = client.post(reverse("payments:sandbox_page", args=[charge.charge_id]), {"card": "timeout"})
    assert b'data-testid="sandbox-waiting"' in waiting.content

    assert payment_check_pending() == 0  # too recent to ask
    past = timezone.now() - timedelta(hours=1)
    Payment.objects.update(updated_at=past)
    SandboxCharge.objects.update(created_at=past)
    assert payment_check_pending() == 1
    payment = order.payments.get()
    assert payment.status == "failed" and "did not answer" in payment.failure_reason


def test_another_dealers_order_cannot_be_paid(client, card_order):
    order, _ = card_order
    other_dealer, _product = make_shop()
    client.force_login(buyer_of(other_dealer).user)
    assert client.post(reverse("payments:order_pay", args=[order.number])).status_code == 404
    assert not Payment.objects.exists()


def test_an_order_not_awaiting_payment_is_not_charged(client, card_order):
    order, buyer = card_order
    Order.objects.filter(pk=order.pk).update(status=S.CANCELLED)
    client.force_login(buyer.user)
    response = client.post(reverse("payments:order_pay", args=[order.number]))
    assert response.status_code == 302 and not Payment.objects.exists()


def test_refunds_partial_then_the_rest_each_queue_one_credit_memo(client, card_order):
    order, buyer = card_order
    client.force_login(buyer.user)
    _charge, fields = pay(client, order)
    back(client, fields)
    payment = order.payments.get()

    assert payment_refund(payment=payment, amount=D("100"), reason="Hasarlı ürün").status == "succeeded"
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == ("partially_refunded", D("100"))
    with pytest.raises(PaymentRefused):
        payment_refund(payment=payment, amount=D("500.01"))
    assert payment_refund(payment=payment, amount=D("500")).status == "succeeded"
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == ("refunded", D("600"))
    with pytest.raises(PaymentRefused):
        payment_refund(payment=payment, amount=D("1"))
    jobs = SyncJob.objects.filter(kind=SyncJob.Kind.REFUND_EXPORT).order_by("pk")
    assert [job.payload["amount"] for job in jobs] == ["100.00", "500.00"]
    assert SandboxCharge.objects.get().refunded == D("600")


def make_link(dealer, amount="1500", **kwargs) -> PaymentLink:
    kwargs.setdefault("expires_at", timezone.now() + timedelta(days=3))
    return PaymentLink.objects.create(dealer=dealer, amount=D(amount), invoice_numbers=["F-2026-17"], **kwargs)


def test_a_payment_link_is_paid_once_without_signing_in(client, erp):
    dealer, _ = make_shop()
    link = make_link(dealer)
    url = link_url(link)
    assert b"link-pay" in client.get(url).content

    response = client.post(url)
    charge = SandboxCharge.objects.get()
    assert response["Location"] == reverse("payments:sandbox_page", args=[charge.charge_id])
    client.post(reverse("payments:sandbox_page", args=[charge.charge_id]), {"card": "success"})
    fields = returned_fields(client.post(reverse("payments:sandbox_3ds", args=[charge.charge_id]), {"code": "283126"}))
    assert back(client, fields)["Location"] == url

    link.refresh_from_db()
    assert link.status == "used" and link.payment.status == "succeeded" and link.used_at
    assert b"link-paid" in client.get(url).content
    client.post(url)
    assert SandboxCharge.objects.count() == 1  # a used link starts no second payment
    job = SyncJob.objects.get(kind=SyncJob.Kind.PAYMENT_EXPORT)
    assert job.payload["invoice_numbers"] == ["F-2026-17"] and job.payload["order_number"] == ""


def test_expired_and_forged_links_start_nothing(client, erp):
    dealer, _ = make_shop()
    expired = make_link(dealer, expires_at=timezone.now() - timedelta(minutes=1))
    response = client.post(link_url(expired))
    assert b"link-expired" in response.content
    expired.refresh_from_db()
    assert expired.status == "expired"
    forged = link_url(make_link(dealer))[:-3] + "abc/"
    assert client.get(forged).status_code == 404
    assert not Payment.objects.exists()


def test_a_link_keeps_its_address_and_links_sent_earlier_still_open(client, erp):
    dealer, _ = make_shop()
    link = make_link(dealer)
    assert link_url(link) == link_url(PaymentLink.objects.get(pk=link.pk))
    earlier = reverse("payments:link", args=[signing.dumps(str(link.token), salt="payments.link")])
    assert earlier != link_url(link)
    assert b"link-pay" in client.get(earlier).content
    other_salt = reverse("payments:link", args=[signing.dumps(str(link.token), salt="another")])
    assert client.get(other_salt).status_code == 404


def test_a_dealer_pays_invoices_on_account(client, erp):
    dealer, _ = make_shop()
    buyer = buyer_of(dealer)
    client.force_login(buyer.user)
    assert client.post(reverse("payments:account_pay"), {"amount": "0"}).status_code == 200
    response = client.post(reverse("payments:account_pay"), {"amount": "750.50"})
    charge = SandboxCharge.objects.get()
    assert response["Location"].endswith(charge.charge_id + "/")
    client.post(reverse("payments:sandbox_page", args=[charge.charge_id]), {"card": "success"})
    fields = returned_fields(client.post(reverse("payments:sandbox_3ds", args=[charge.charge_id]), {"code": "283126"}))
    back(client, fields)
    allocation = Allocation.objects.get()
    assert (allocation.dealer, allocation.order, allocation.amount) == (dealer, None, D("750.50"))


def test_no_card_number_is_stored_anywhere(client, card_order):
    order, buyer = card_order
    client.force_login(buyer.user)
    _charge, fields = pay(client, order)
    back(client, fields)
    with db.cursor() as cursor:
        cursor.execute("SELECT row_to_json(p)::text FROM payments_payment p UNION ALL "
                       "SELECT row_to_json(c)::text FROM payments_sandboxcharge c UNION ALL "
                       "SELECT row_to_json(j)::text FROM erpsync_syncjob j")  # fmt: skip
        rows = " ".join(row[0] for row in cursor.fetchall())
    assert not card_numbers_in(rows)


def card_numbers_in(text: str) -> list[str]:
    """Card-number-like runs in ``text``: 13–19 digits, maybe grouped by spaces or dashes, passing the Luhn check,
    not part of a longer hexadecimal token (a UUID or a digest may hold a long run of digits by chance)."""
    found = []
    for match in re.finditer(r"(?<![0-9a-f])(?:\d[ -]?){12,18}\d(?![0-9a-f])", text.lower()):
        digits = re.sub(r"\D", "", match.group())
        total = sum(d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(map(int, digits[::-1])))
        if total % 10 == 0:
            found.append(digits)
    return found


def test_the_card_number_check_finds_what_it_must_and_nothing_else():
    assert card_numbers_in('{"pan": "4111 1111 1111 1111"}') == ["4111111111111111"]
    assert card_numbers_in("x 5528-7900-0000-0008 y") == ["5528790000000008"]
    assert card_numbers_in('"reference": "29f0a8c4-4254-8265-9677-3534781abc12"') == []
    assert card_numbers_in("order 4111111111111112 total") == []  # fails the Luhn check


def test_staff_create_a_link_it_is_mailed_and_can_be_withdrawn(
    admin_client, erp, mailoutbox, django_capture_on_commit_callbacks
):
    dealer, _ = make_shop(email="muhasebe@bayi.example")
    with django_capture_on_commit_callbacks(execute=True):  # the e-mail is queued when the save commits
        response = admin_client.post(
            reverse("admin:payments_paymentlink_add"),
            {"dealer": dealer.pk, "amount": "1200.00", "currency": "TRY", "description": "Mart cari",
             "expires_at_0": "2099-01-01", "expires_at_1": "10:00:00"},
        )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    link = PaymentLink.objects.get()
    (mail,) = mailoutbox
    assert mail.to == ["muhasebe@bayi.example"] and link_url(link) in mail.body
    admin_client.post(
        reverse("admin:payments_paymentlink_changelist"), {"action": "withdraw", "_selected_action": [link.pk]}
    )
    link.refresh_from_db()
    assert link.status == "cancelled"
    assert b"withdrawn" in Client().get(link_url(link)).content


def test_staff_refund_from_the_admin(admin_client, client, card_order):
    order, buyer = card_order
    client.force_login(buyer.user)
    _charge, fields = pay(client, order)
    back(client, fields)
    payment = order.payments.get()
    url = reverse("admin:payments_payment_refund", args=[payment.pk])
    assert admin_client.post(url, {"amount": "700", "reason": ""}).status_code == 200  # more than paid
    response = admin_client.post(url, {"amount": "150", "reason": "Eksik teslimat"})
    assert response.status_code == 302
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == ("partially_refunded", D("150"))


def test_the_payments_page_offers_only_invoices_still_open(client, erp):
    from dealers.models import DealerDocument

    dealer, _ = make_shop()
    for number, gross in (("F-1", "100"), ("F-2", "250"), ("F-3", "80")):
        DealerDocument.objects.create(dealer=dealer, kind="invoice", number=number, issued_on=timezone.localdate(),
                                      gross=D(gross))  # fmt: skip
    other, _ = make_shop()
    DealerDocument.objects.create(dealer=other, kind="invoice", number="X-9", issued_on=timezone.localdate(), gross=1)
    payment = Payment.objects.create(dealer=dealer, method="card", gateway="sandbox", amount=D("100"))
    Allocation.objects.create(dealer=dealer, payment=payment, invoice_number="F-1", amount=D("100"))
    Allocation.objects.create(dealer=dealer, payment=payment, invoice_number="F-2", amount=D("50"))
    client.force_login(buyer_of(dealer).user)

    page = client.get(reverse("payments:account_pay")).content.decode()

    assert "F-1" not in page and "X-9" not in page
    assert "F-2 · ₺200.00" in page and "F-3 · ₺80.00" in page  # the test client speaks English


def test_a_card_payment_for_invoices_settles_each_up_to_what_it_owes(client, erp):
    from dealers.models import DealerDocument

    dealer, _ = make_shop()
    for number, gross in (("F-1", "100"), ("F-2", "250")):
        DealerDocument.objects.create(dealer=dealer, kind="invoice", number=number, issued_on=timezone.localdate(),
                                      gross=D(gross))  # fmt: skip
    client.force_login(buyer_of(dealer).user)
    client.post(reverse("payments:account_pay"), {"amount": "400", "invoices": ["F-1", "F-2"]})
    charge = SandboxCharge.objects.get()
    client.post(reverse("payments:sandbox_page", args=[charge.charge_id]), {"card": "success"})
    back(client, returned_fields(client.post(reverse("payments:sandbox_3ds", args=[charge.charge_id]),
                                             {"code": "283126"})))  # fmt: skip

    parts = sorted(Allocation.objects.values_list("invoice_number", "amount"))
    assert parts == [("", D(50)), ("F-1", D(100)), ("F-2", D(250))]
    assert "F-1" not in client.get(reverse("payments:account_pay")).content.decode()


def test_the_thank_you_message_and_the_history_show_the_amount_as_money(client, erp):
    dealer, product = make_shop(price="1176.58")
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=D(2))
    order = place(buyer, payment_method=Order.PaymentMethod.CARD)
    client.force_login(buyer.user)
    _charge, fields = pay(client, order)
    response = client.post(reverse("payments:return", args=["sandbox"]), fields, follow=True, HTTP_ACCEPT_LANGUAGE="tr")

    html = response.content.decode()
    assert "Teşekkürler: 2.823,79 ₺ tutarındaki ödemeniz alındı." in html
    assert "2823.79" not in html
    assert order.status_changes.get(to_status=S.APPROVED).reason == "Kartla ödendi (2.823,79 ₺)."
