"""Staff money actions in the bank matching queue and on payment links are in each record's admin history with the
acting user: a transfer matched by hand, split, set aside or matched again; a link withdrawn."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from dealers.tests.factories import DealerFactory
from erpsync.models import ErpConnection
from payments.models import BankStatement, BankTransaction, PaymentLink

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def erp(tmp_path):
    return ErpConnection.objects.create(
        code="files", name="Files", adapter="file", is_default=True, settings={"root": str(tmp_path)}
    )


@pytest.fixture
def transfers():
    statement = BankStatement.objects.create(account_iban="TR120006200000000000000001", format="csv",
                                             file_sha256="b" * 64)  # fmt: skip
    return [
        BankTransaction.objects.create(
            statement=statement,
            account_iban=statement.account_iban,
            booking_date=date(2026, 3, 2),
            amount=D(amount),
            description=text,
            fingerprint=f"staff-{n}",
        )
        for n, (amount, text) in enumerate([("900", "ODEME"), ("500", "ODEME"), ("5", "FAIZ")])
    ]


def history(obj) -> list[tuple[str, str]]:
    entries = LogEntry.objects.filter(content_type__model="banktransaction", object_id=str(obj.pk)).order_by("pk")
    return [(entry.user.email, entry.change_message) for entry in entries]


def parts(*rows) -> dict:
    form = {"part-TOTAL_FORMS": "3", "part-INITIAL_FORMS": "0", "allocate": "1"}
    for index, (dealer, amount, number) in enumerate(rows):
        form |= {
            f"part-{index}-dealer": dealer.pk,
            f"part-{index}-amount": amount,
            f"part-{index}-invoice_number": number,
        }
    return form


def test_a_match_a_split_and_a_set_aside_are_in_the_transfers_history(staff_client, superuser, transfers):
    one, other = DealerFactory(code="120.001"), DealerFactory(code="120.002")
    split, single, interest = transfers
    match = reverse("admin:payments_transfer_match", args=[split.pk])
    assert staff_client.post(match, parts((one, "600", "F-1"), (other, "300", ""))).status_code == 302
    staff_client.post(reverse("admin:payments_transfer_match", args=[single.pk]), parts((one, "500", "")))
    staff_client.post(reverse("admin:payments_transfer_match", args=[interest.pk]),
                      {"ignore": "1", "ignore-reason": "Mevduat faizi"})  # fmt: skip
    assert history(split) == [(superuser.email, "Split by hand: 120.001 ₺600.00 F-1; 120.002 ₺300.00")]
    assert history(single) == [(superuser.email, "Matched by hand: 120.001 ₺500.00")]
    assert history(interest) == [(superuser.email, "Set aside: Mevduat faizi")]
    page = staff_client.get(reverse("admin:payments_banktransaction_history", args=[split.pk]))
    assert "Split by hand" in page.content.decode()


def test_a_refused_match_is_not_recorded(staff_client, transfers):
    dealer = DealerFactory()
    url = reverse("admin:payments_transfer_match", args=[transfers[1].pk])
    assert staff_client.post(url, parts((dealer, "501", ""))).status_code == 200  # more than the transfer
    assert history(transfers[1]) == []


def test_matching_again_records_the_transfers_it_allocated(staff_client, superuser, transfers):
    dealer = DealerFactory(tax_number="1234567895")
    BankTransaction.objects.filter(pk=transfers[1].pk).update(description="VKN 1234567895 ODEME")
    url = reverse("admin:payments_unmatchedtransfer_changelist")
    staff_client.post(url, {"action": "match_again", "_selected_action": [t.pk for t in transfers]})
    assert history(transfers[1]) == [(superuser.email, "Allocated by the matcher, run again by staff.")]
    assert history(transfers[0]) == [] and history(transfers[2]) == []
    assert BankTransaction.objects.get(pk=transfers[1].pk).allocations.get().dealer == dealer


def test_a_withdrawn_link_is_in_its_history(staff_client, superuser):
    link = PaymentLink.objects.create(dealer=DealerFactory(), amount=D("100"),
                                      expires_at=timezone.now() + timedelta(days=3))  # fmt: skip
    staff_client.post(reverse("admin:payments_paymentlink_changelist"),
                      {"action": "withdraw", "_selected_action": [link.pk]})  # fmt: skip
    entries = LogEntry.objects.filter(content_type__model="paymentlink", object_id=str(link.pk))
    assert [(e.user, e.change_message) for e in entries] == [(superuser, "Payment link withdrawn.")]
