"""Card refunds in two phases through the sandbox provider: the refund is recorded before the provider is called and
settled after it answers, so a crash in between leaves a refund the check settles later — never money gone without a
record, never a second provider refund. More than is left is refused, also when two staff refund at once; every
staff refund is in the payment's admin history."""

from __future__ import annotations

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.urls import reverse
from django_q.models import Schedule

from dealers.tests.factories import DealerFactory
from erpsync.models import ErpConnection, SyncJob
from payments import services
from payments.gateways.base import GatewayError
from payments.gateways.sandbox import SandboxGateway
from payments.models import Payment, Refund, SandboxCharge
from payments.services import PaymentRefused, payment_refund, refund_check_pending
from payments.tasks import SCHEDULES, schedules_install

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def erp(tmp_path):
    return ErpConnection.objects.create(
        code="files", name="Files", adapter="file", is_default=True, settings={"root": str(tmp_path)}
    )


def paid(amount: str = "600") -> Payment:
    """A card payment the sandbox provider charged, settled in the portal."""
    dealer = DealerFactory()
    charge = SandboxCharge.objects.create(
        charge_id=f"sbx_test{dealer.pk}", reference="ref", amount=D(amount), currency="TRY",
        return_url="https://portal.example/return", card="success", status=SandboxCharge.Status.SUCCEEDED,
    )  # fmt: skip
    return Payment.objects.create(
        dealer=dealer, method=Payment.Method.CARD, gateway="sandbox", provider_payment_id=charge.charge_id,
        amount=D(amount), currency="TRY", status=Payment.Status.SUCCEEDED,
    )  # fmt: skip


def provider_refunds(payment: Payment) -> list[dict]:
    """The refunds the provider made (its own record, not the portal's)."""
    return SandboxCharge.objects.get(charge_id=payment.provider_payment_id).refunds


def test_a_refund_is_recorded_sent_and_settled(erp, admin_user):
    payment = paid()
    refund = payment_refund(payment=payment, amount=D("100"), user=admin_user, reason="Hasarlı ürün")
    payment.refresh_from_db()
    assert (refund.status, refund.requested_by, refund.amount) == ("succeeded", admin_user, D("100"))
    assert (payment.status, payment.refunded_amount) == ("partially_refunded", D("100"))
    assert provider_refunds(payment) == [
        {"reference": str(refund.reference), "id": refund.provider_refund_id, "amount": "100"}
    ]
    job = SyncJob.objects.get(kind=SyncJob.Kind.REFUND_EXPORT)
    assert job.identity_key == f"refund:{refund.provider_refund_id}" and job.payload["reason"] == "Hasarlı ürün"


def test_a_crash_after_the_provider_refunded_leaves_a_requested_refund_the_check_settles_once(erp, monkeypatch):
    """The provider refunds, then the portal fails before recording it (simulated by an error in the settle step):
    the refund stays "requested" with its amount held; the check finds it at the provider under the same reference
    and settles it; the provider made exactly one refund and the ERP hears of it once."""
    payment = paid()
    settle = services._refund_settle

    def crash(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "_refund_settle", crash)
    with pytest.raises(RuntimeError):
        payment_refund(payment=payment, amount=D("250"))
    refund = Refund.objects.get()
    payment.refresh_from_db()
    assert (refund.status, payment.refunded_amount) == ("requested", D("0"))
    assert len(provider_refunds(payment)) == 1  # the money has left
    assert not SyncJob.objects.filter(kind=SyncJob.Kind.REFUND_EXPORT).exists()
    with pytest.raises(PaymentRefused):  # the held amount is not refunded again meanwhile
        payment_refund(payment=payment, amount=D("350.01"))

    monkeypatch.setattr(services, "_refund_settle", settle)
    assert refund_check_pending() == 0  # too recent: the provider call may still be under way
    assert refund_check_pending(older_than=timedelta(0)) == 1
    assert refund_check_pending(older_than=timedelta(0)) == 0
    refund.refresh_from_db()
    payment.refresh_from_db()
    assert (refund.status, payment.status, payment.refunded_amount) == ("succeeded", "partially_refunded", D("250"))
    assert len(provider_refunds(payment)) == 1  # never a second provider refund
    assert refund.provider_refund_id == provider_refunds(payment)[0]["id"]
    assert [job.payload["amount"] for job in SyncJob.objects.filter(kind=SyncJob.Kind.REFUND_EXPORT)] == ["250.00"]


def test_a_refund_the_provider_never_received_is_sent_again_under_the_same_reference(erp, monkeypatch):
    """The provider did not answer and made nothing (it was down): the refund is "unknown"; the check, finding no
    refund under its reference, sends it again under that same reference — the sandbox makes a refund once per
    reference — and settles it."""
    payment = paid()
    gateway_refund = SandboxGateway.refund

    def down(self, **kwargs):
        raise GatewayError("The provider did not answer in time.", retryable=True, code="timeout")

    monkeypatch.setattr(SandboxGateway, "refund", down)
    refund = payment_refund(payment=payment, amount=D("600"))
    assert (refund.status, refund.error) == ("unknown", "The provider did not answer in time.")
    assert provider_refunds(payment) == []

    monkeypatch.setattr(SandboxGateway, "refund", gateway_refund)
    assert refund_check_pending(older_than=timedelta(0)) == 1
    refund.refresh_from_db()
    payment.refresh_from_db()
    assert (refund.status, refund.attempts, payment.status) == ("succeeded", 2, "refunded")
    assert [r["reference"] for r in provider_refunds(payment)] == [str(refund.reference)]


def test_the_sandbox_makes_a_refund_once_per_reference():
    payment = paid()
    gateway = services.gateway_for("sandbox")
    first = gateway.refund(provider_payment_id=payment.provider_payment_id, amount=D("10"), currency="TRY",
                           reference="r-1")  # fmt: skip
    again = gateway.refund(provider_payment_id=payment.provider_payment_id, amount=D("10"), currency="TRY",
                           reference="r-1")  # fmt: skip
    assert first == again and len(provider_refunds(payment)) == 1
    with pytest.raises(GatewayError):  # the same reference for another amount is refused
        gateway.refund(provider_payment_id=payment.provider_payment_id, amount=D("11"), currency="TRY",
                       reference="r-1")  # fmt: skip
    found = gateway.refund_status(provider_payment_id=payment.provider_payment_id, reference="r-1")
    assert (found.state, found.provider_refund_id, found.amount) == ("succeeded", first.provider_refund_id, D("10"))
    assert gateway.refund_status(provider_payment_id=payment.provider_payment_id, reference="r-2").state == "not_found"


def test_a_refused_refund_fails_and_changes_nothing(erp):
    payment = paid()
    SandboxCharge.objects.filter(charge_id=payment.provider_payment_id).update(status="failed")
    with pytest.raises(PaymentRefused, match="refused the refund"):
        payment_refund(payment=payment, amount=D("100"))
    refund = Refund.objects.get()
    payment.refresh_from_db()
    assert (refund.status, payment.refunded_amount, payment.status) == ("failed", D("0"), "succeeded")
    assert refund_check_pending(older_than=timedelta(0)) == 0  # a failed refund is not asked about again
    assert not SyncJob.objects.filter(kind=SyncJob.Kind.REFUND_EXPORT).exists()


@pytest.mark.parametrize("amount", ["0", "-5", "600.01"])
def test_more_than_is_left_or_nothing_is_refused_before_the_provider_is_asked(erp, amount):
    payment = paid()
    with pytest.raises(PaymentRefused):
        payment_refund(payment=payment, amount=D(amount))
    assert not Refund.objects.exists() and provider_refunds(payment) == []


def test_a_payment_not_succeeded_is_not_refunded(erp):
    payment = paid()
    Payment.objects.filter(pk=payment.pk).update(status=Payment.Status.FAILED)
    with pytest.raises(PaymentRefused):
        payment_refund(payment=payment, amount=D("1"))
    assert not Refund.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_staff_refunding_at_once_cannot_exceed_the_payment(tmp_path):
    ErpConnection.objects.create(code="files", name="Files", adapter="file", is_default=True,
                                 settings={"root": str(tmp_path)})  # fmt: skip
    payment = paid()
    barrier = threading.Barrier(4)
    results = []

    def refund_400():
        try:
            barrier.wait()
            results.append(payment_refund(payment=payment, amount=D("400")).status)
        except PaymentRefused:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=refund_400) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    payment.refresh_from_db()
    assert sorted(results) == ["refused", "refused", "refused", "succeeded"]
    assert payment.refunded_amount == D("400") and len(provider_refunds(payment)) == 1


def test_staff_refund_in_the_admin_is_in_the_payments_history_with_the_user(erp, admin_client, admin_user):
    payment = paid()
    url = reverse("admin:payments_payment_refund", args=[payment.pk])
    assert admin_client.post(url, {"amount": "150", "reason": "Eksik teslimat"}).status_code == 302
    assert admin_client.post(url, {"amount": "500", "reason": ""}).status_code == 200  # more than is left
    entries = LogEntry.objects.filter(object_id=str(payment.pk), content_type__model="payment").order_by("pk")
    assert [entry.user for entry in entries] == [admin_user, admin_user]
    refund = Refund.objects.get()
    assert str(refund.reference) in entries[0].change_message and "Succeeded" in entries[0].change_message
    assert "refused" in entries[1].change_message
    history = admin_client.get(reverse("admin:payments_payment_history", args=[payment.pk]))
    assert str(refund.reference) in history.content.decode()
    page = admin_client.get(reverse("admin:payments_payment_change", args=[payment.pk]))
    assert str(refund.reference) in page.content.decode()  # the refunds inline


def test_a_refund_without_an_answer_warns_staff_not_to_refund_again(erp, admin_client, monkeypatch):
    payment = paid()

    def down(self, **kwargs):
        raise GatewayError("The provider did not answer in time.", retryable=True, code="timeout")

    monkeypatch.setattr(SandboxGateway, "refund", down)
    url = reverse("admin:payments_payment_refund", args=[payment.pk])
    response = admin_client.post(url, {"amount": "150", "reason": ""}, follow=True)
    assert "do not refund again" in response.content.decode()
    assert Refund.objects.get().status == "unknown"


def test_the_refund_check_is_a_schedule():
    schedules_install()
    assert SCHEDULES["payments:refunds"][0] == "payments.tasks.refunds_check_pending"
    assert Schedule.objects.get(name="payments:refunds").func == "payments.tasks.refunds_check_pending"
