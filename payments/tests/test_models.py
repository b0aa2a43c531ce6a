from decimal import Decimal

import pytest
from django.utils import timezone

from b2bportal.tests.assertions import refused
from dealers.tests.factories import DealerFactory
from payments.models import Allocation, BankStatement, BankTransaction, Payment, PaymentLink

pytestmark = pytest.mark.django_db


def payment(**kwargs):
    defaults = {"dealer": DealerFactory(), "method": Payment.Method.CARD, "gateway": "sandbox", "amount": Decimal("10")}
    defaults.update(kwargs)
    return Payment.objects.create(**defaults)


def test_a_provider_payment_id_is_recorded_once_per_gateway():
    payment(provider_payment_id="P-1")
    refused(lambda: payment(provider_payment_id="P-1"))
    payment(provider_payment_id="P-1", gateway="iyzico")
    payment(provider_payment_id=None)
    payment(provider_payment_id=None)


def test_amounts_positive_and_refunds_within_amount():
    refused(lambda: payment(amount=Decimal("0")))
    refused(lambda: payment(amount=Decimal("10"), refunded_amount=Decimal("10.01")))


def test_used_link_must_name_its_payment():
    dealer = DealerFactory()
    refused(
        lambda: PaymentLink.objects.create(
            dealer=dealer, amount=Decimal("5"), expires_at=timezone.now(), status=PaymentLink.Status.USED
        )
    )


def test_same_statement_file_cannot_be_imported_twice():
    BankStatement.objects.create(account_iban="TR1", format="mt940", file_sha256="a" * 64)
    refused(lambda: BankStatement.objects.create(account_iban="TR1", format="mt940", file_sha256="a" * 64))


def test_transaction_fingerprint_unique_and_amount_non_zero():
    statement = BankStatement.objects.create(account_iban="TR1", format="csv", file_sha256="b" * 64)

    def tx(**kwargs):
        values = {
            "statement": statement,
            "account_iban": "TR1",
            "booking_date": timezone.localdate(),
            "amount": Decimal("1"),
            "fingerprint": "f1",
        }
        values.update(kwargs)
        return BankTransaction.objects.create(**values)

    tx()
    refused(tx)
    refused(lambda: tx(fingerprint="f2", amount=Decimal("0")))


def test_allocation_needs_a_source_and_a_positive_amount():
    dealer = DealerFactory()
    refused(lambda: Allocation.objects.create(dealer=dealer, amount=Decimal("5")))
    pay = payment(dealer=dealer)
    refused(lambda: Allocation.objects.create(dealer=dealer, payment=pay, amount=Decimal("0")))
    Allocation.objects.create(dealer=dealer, payment=pay, amount=Decimal("5"))
