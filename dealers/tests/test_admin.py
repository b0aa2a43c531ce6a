"""The dealer admin saves through ``dealer_save``: staff edits to credit figures leave an audit row, bad input none."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from b2bportal.tests.test_admin_pages import changeform_data
from dealers.admin import DEALER_CHANGE_INLINE_ROWS
from dealers.models import Dealer, DealerChange
from dealers.services import dealer_save
from dealers.tests.factories import DealerAddressFactory, DealerFactory, DealerUserFactory


@pytest.fixture
def dealer(db):
    dealer = DealerFactory(credit_limit=Decimal("100000.00"))
    # Inline rows too, so the POST carries real inline formsets, not only empty management forms.
    DealerUserFactory(dealer=dealer)
    DealerAddressFactory(dealer=dealer)
    return dealer


def change_url(dealer: Dealer) -> str:
    return reverse("admin:dealers_dealer_change", args=[dealer.pk])


def test_credit_change_through_the_admin_is_audited(staff_client, superuser, dealer):
    data = changeform_data(staff_client.get(change_url(dealer)))
    data.update(credit_limit="250000.00", credit_hold="on", credit_hold_reason="Overdue invoices")

    response = staff_client.post(change_url(dealer), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    dealer.refresh_from_db()
    assert dealer.credit_limit == Decimal("250000.00")
    assert dealer.credit_hold is True
    assert dealer.credit_limit_as_of is not None
    assert dealer.credit_hold_as_of is not None
    changes = {c.field: c for c in DealerChange.objects.filter(dealer=dealer)}
    assert set(changes) == {"credit_limit", "credit_hold", "credit_hold_reason"}
    limit = changes["credit_limit"]
    assert (limit.old_value, limit.new_value) == ("100000.00", "250000.00")
    assert (changes["credit_hold"].old_value, changes["credit_hold"].new_value) == ("False", "True")
    for change in changes.values():
        assert change.actor == superuser
        assert change.source == DealerChange.Source.STAFF
        assert change.reason == "admin"
    # The inlines went through the same POST untouched.
    assert dealer.users.count() == 1
    assert dealer.addresses.count() == 1


def test_saving_without_changes_writes_no_audit_row(staff_client, dealer):
    data = changeform_data(staff_client.get(change_url(dealer)))

    response = staff_client.post(change_url(dealer), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert not DealerChange.objects.exists()


def test_invalid_tax_number_saves_nothing(staff_client, dealer):
    tax_number = dealer.tax_number
    data = changeform_data(staff_client.get(change_url(dealer)))
    data.update(tax_number="1234567891", credit_limit="999999.00")  # checksum fails

    response = staff_client.post(change_url(dealer), data)

    assert response.status_code == 200
    assert "tax_number" in response.context["adminform"].form.errors
    dealer.refresh_from_db()
    assert dealer.tax_number == tax_number
    assert dealer.credit_limit == Decimal("100000.00")
    assert not DealerChange.objects.exists()


def test_dealer_added_through_the_admin(staff_client):
    data = changeform_data(staff_client.get(reverse("admin:dealers_dealer_add")))
    data.update(code="120.99999", title="Yeni Bayi Ltd. Şti.", tax_number="10000000146")  # a valid TCKN

    response = staff_client.post(reverse("admin:dealers_dealer_add"), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    added = Dealer.objects.get(code="120.99999")
    assert added.status == Dealer.Status.ACTIVE
    assert not DealerChange.objects.filter(dealer=added).exists()


def test_dealer_page_shows_only_the_latest_changes(staff_client, superuser, dealer):
    for n in range(DEALER_CHANGE_INLINE_ROWS + 5):
        dealer.credit_limit = Decimal(1000 + n)
        dealer_save(dealer=dealer, actor=superuser, reason=f"step {n}")
    newest = list(DealerChange.objects.filter(dealer=dealer).order_by("-created_at", "-id")[:DEALER_CHANGE_INLINE_ROWS])

    response = staff_client.get(change_url(dealer))

    (audit,) = [i for i in response.context["inline_admin_formsets"] if i.opts.model is DealerChange]
    assert [form.instance for form in audit.formset.forms] == newest
    assert not audit.has_add_permission
    assert not audit.has_change_permission
    assert not audit.has_delete_permission
