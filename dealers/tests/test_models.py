from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from dealers.models import DealerAddress, DealerIban
from dealers.tests.factories import DealerAddressFactory, DealerFactory, DealerUserFactory
from dealers.validators import validate_iban, validate_tax_number

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("number", ["1234567891", "123456789", "12345678901", "ABCDEFGHIJ", "00000000000"])
def test_invalid_tax_numbers_are_refused(number):
    with pytest.raises(ValidationError):
        validate_tax_number(number)


@pytest.mark.parametrize("number", ["0010000017", "10000000146"])
def test_valid_vkn_and_tckn_pass(number):
    validate_tax_number(number)


def test_iban_validation():
    validate_iban("TR330006100519786457841326")
    with pytest.raises(ValidationError):
        validate_iban("TR330006100519786457841327")


def test_full_clean_refuses_a_bad_tax_number():
    dealer = DealerFactory.build(tax_number="1234567891")
    with pytest.raises(ValidationError) as excinfo:
        dealer.full_clean()
    assert "tax_number" in excinfo.value.message_dict


def test_two_head_accounts_cannot_share_a_tax_number():
    first = DealerFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        DealerFactory(tax_number=first.tax_number)


def test_a_branch_shares_its_parents_tax_number():
    head = DealerFactory()
    branch = DealerFactory(tax_number=head.tax_number, parent=head)
    assert branch.parent == head


def test_credit_limit_cannot_be_negative():
    with pytest.raises(IntegrityError), transaction.atomic():
        DealerFactory(credit_limit=Decimal("-1"))


def test_dealer_codes_are_unique():
    first = DealerFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        DealerFactory(code=first.code)


def test_one_default_address_per_kind():
    dealer = DealerFactory()
    DealerAddressFactory(dealer=dealer, is_default=True)
    DealerAddressFactory(dealer=dealer, is_default=True, kind=DealerAddress.Kind.BILLING)
    with pytest.raises(IntegrityError), transaction.atomic():
        DealerAddressFactory(dealer=dealer, is_default=True)


def test_an_iban_belongs_to_one_dealer():
    DealerIban.objects.create(dealer=DealerFactory(), iban="TR330006100519786457841326")
    with pytest.raises(IntegrityError), transaction.atomic():
        DealerIban.objects.create(dealer=DealerFactory(), iban="TR330006100519786457841326")


def test_approval_limit_cannot_be_negative():
    with pytest.raises(IntegrityError), transaction.atomic():
        DealerUserFactory(approval_limit=Decimal("-5"))


def test_a_user_belongs_to_one_dealer():
    member = DealerUserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        DealerUserFactory(user=member.user)


def test_database_refuses_spaced_tax_numbers_and_ibans():
    refused_tax = DealerFactory.build(tax_number="00100 00017")
    with pytest.raises(IntegrityError), transaction.atomic():
        refused_tax.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        DealerIban.objects.create(dealer=DealerFactory(), iban="TR33 0006 1005 1978 6457 8413 26")


def test_clean_compacts_an_iban_so_duplicates_are_caught():
    DealerIban.objects.create(dealer=DealerFactory(), iban="TR330006100519786457841326")
    spaced = DealerIban(dealer=DealerFactory(), iban="TR33 0006 1005 1978 6457 8413 26")
    with pytest.raises(ValidationError) as excinfo:
        spaced.full_clean()
    assert spaced.iban == "TR330006100519786457841326"
    assert "iban" in excinfo.value.message_dict
