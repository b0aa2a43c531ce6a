from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from accounts.tests.factories import UserFactory
from catalog.tests.factories import PriceListFactory
from dealers.models import Dealer, DealerChange
from dealers.services import dealer_save
from dealers.tests.factories import DealerFactory

pytestmark = pytest.mark.django_db


def test_changes_to_money_fields_are_audited_with_who_and_old_new():
    staff = UserFactory(is_staff=True)
    dealer = DealerFactory(credit_limit=Decimal("1000.00"))
    new_list = PriceListFactory()
    dealer.credit_limit = Decimal("5000.00")
    dealer.credit_hold = True
    dealer.price_list = new_list
    dealer_save(dealer=dealer, actor=staff, reason="annual review")
    changes = {c.field: c for c in DealerChange.objects.filter(dealer=dealer)}
    assert set(changes) == {"credit_limit", "credit_hold", "price_list"}
    assert (changes["credit_limit"].old_value, changes["credit_limit"].new_value) == ("1000.00", "5000.00")
    assert (changes["credit_hold"].old_value, changes["credit_hold"].new_value) == ("False", "True")
    assert changes["price_list"].new_value == str(new_list)
    assert all(c.actor == staff and c.reason == "annual review" for c in changes.values())
    dealer.refresh_from_db()
    assert dealer.credit_limit_as_of is not None
    assert dealer.credit_hold_as_of is not None


def test_unaudited_changes_write_no_audit_rows():
    dealer = DealerFactory()
    dealer.phone = "+90 212 000 00 00"
    dealer_save(dealer=dealer)
    assert not DealerChange.objects.filter(dealer=dealer).exists()


def test_invalid_dealer_is_refused_and_nothing_is_written():
    dealer = DealerFactory(credit_limit=Decimal("1000.00"))
    dealer.credit_limit = Decimal("9999.00")
    dealer.tax_number = "1234567891"
    with pytest.raises(ValidationError):
        dealer_save(dealer=dealer)
    assert Dealer.objects.get(pk=dealer.pk).credit_limit == Decimal("1000.00")
    assert not DealerChange.objects.exists()


def test_sync_source_is_recorded_and_does_not_touch_as_of():
    dealer = DealerFactory()
    dealer.credit_limit = Decimal("1.00")
    dealer_save(dealer=dealer, source=DealerChange.Source.ERP, fields=["credit_limit"])
    change = DealerChange.objects.get(dealer=dealer)
    assert change.source == "erp"
    assert change.actor is None


def test_the_same_amount_typed_differently_is_not_a_change():
    dealer = DealerFactory(credit_limit=Decimal("100000.00"))
    dealer.refresh_from_db()
    as_of = dealer.credit_limit_as_of
    dealer.credit_limit = Decimal("100000")
    dealer_save(dealer=dealer)
    assert not DealerChange.objects.exists()
    dealer.refresh_from_db()
    assert dealer.credit_limit_as_of == as_of


def test_tax_number_is_stored_without_spaces():
    head = DealerFactory()
    branch = DealerFactory.build(tax_number=f"{head.tax_number[:5]} {head.tax_number[5:]}", parent=head)
    dealer_save(dealer=branch)
    branch.refresh_from_db()
    assert branch.tax_number == head.tax_number
