"""Matching incoming transfers: the evidence table, automatic allocation above the threshold, the admin queue
below it, splits over several invoices, orders released when paid, manual matches that teach IBANs, and one ERP
collection per allocation."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import pytest

from dealers.models import DealerDocument, DealerIban
from dealers.tests.factories import DealerFactory
from erpsync.models import ErpConnection, SyncJob
from orders.models import Order
from orders.services import cart_line_add
from orders.status import OrderStatus as S
from orders.tests.factories import buyer_of, make_shop, place
from payments.matching import Part, allocate_manually, statement_match, transaction_ignore
from payments.models import Allocation, BankStatement, BankTransaction

pytestmark = pytest.mark.django_db
D = Decimal
SENDER = "TR330006100519786457841326"
_serial = itertools.count(1)


@pytest.fixture(autouse=True)
def erp(tmp_path):
    return ErpConnection.objects.create(
        code="files", name="Files", adapter="file", is_default=True, settings={"root": str(tmp_path)}
    )


@pytest.fixture
def statement():
    return BankStatement.objects.create(account_iban="TR120006200000000000000001", format="csv", file_sha256="a" * 64)


def transfer(statement, amount, description="", iban="", name="") -> BankTransaction:
    n = next(_serial)
    return BankTransaction.objects.create(
        statement=statement,
        account_iban=statement.account_iban,
        booking_date=date(2026, 3, 2),
        amount=D(amount),
        description=description,
        counterparty_iban=iban,
        counterparty_name=name,
        fingerprint=f"fp-{n}",
    )


def invoice(dealer, number, gross) -> DealerDocument:
    return DealerDocument.objects.create(
        dealer=dealer, kind="invoice", number=number, issued_on=date(2026, 2, 1), gross=D(gross), currency="TRY"
    )


def test_a_known_iban_allocates_on_account(statement):
    dealer = DealerFactory()
    DealerIban.objects.create(dealer=dealer, iban=SENDER)
    tx = transfer(statement, "1500", "CARI ODEME", iban=SENDER)

    report = statement_match()

    tx.refresh_from_db()
    allocation = Allocation.objects.get()
    assert (report.allocated, report.queued, tx.status) == (1, 0, "allocated")
    assert (allocation.dealer, allocation.order, allocation.amount, allocation.method) == (
        dealer,
        None,
        D(1500),
        "auto",
    )
    assert "known IBAN" in allocation.reasons[0] or "IBAN" in " ".join(allocation.reasons)
    job = SyncJob.objects.get(kind=SyncJob.Kind.PAYMENT_EXPORT)
    assert (job.payload["method"], job.payload["amount"], job.payload["dealer_id"]) == (
        "transfer",
        "1500.00",
        dealer.pk,
    )


def test_a_tax_number_in_the_description_names_the_dealer(statement):
    dealer = DealerFactory()
    transfer(statement, "320.50", f"EFT {dealer.tax_number} MART ODEMESI")
    statement_match()
    assert Allocation.objects.get().dealer == dealer


def test_an_order_number_with_its_amount_releases_the_order(statement):
    dealer, product = make_shop(price="100")
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=D(3))
    order = place(buyer, payment_method=Order.PaymentMethod.BANK_TRANSFER)
    assert order.status == S.AWAITING_PAYMENT
    transfer(statement, str(order.total_gross), f"SIPARIS {order.number.lower()} HAVALE")

    statement_match()

    order.refresh_from_db()
    allocation = Allocation.objects.get()
    assert order.status == S.APPROVED and allocation.order == order and allocation.score == 75
    job = SyncJob.objects.get(kind=SyncJob.Kind.PAYMENT_EXPORT)
    assert job.payload["order_number"] == order.number


def test_an_order_number_with_another_amount_waits_for_staff(statement):
    dealer, product = make_shop(price="100")
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=D(3))
    order = place(buyer, payment_method=Order.PaymentMethod.BANK_TRANSFER)
    tx = transfer(statement, "100", f"SIPARIS {order.number}")

    report = statement_match()

    tx.refresh_from_db()
    assert report.queued == 1 and tx.status == "unmatched" and not Allocation.objects.exists()
    (top,) = tx.candidates
    assert top["dealer_id"] == dealer.pk and top["score"] == 50 and top["items"][0]["number"] == order.number


def test_invoices_named_are_paid_in_order_and_the_rest_goes_on_account(statement):
    dealer = DealerFactory()
    invoice(dealer, "GIB2026000000041", "1000")
    invoice(dealer, "GIB2026000000042", "500")
    DealerIban.objects.create(dealer=dealer, iban=SENDER)
    transfer(statement, "1700", "FT GIB2026000000041 GIB2026000000042", iban=SENDER)

    statement_match()

    parts = sorted((a.invoice_number, a.amount) for a in Allocation.objects.all())
    assert parts == [("", D(200)), ("GIB2026000000041", D(1000)), ("GIB2026000000042", D(500))]
    # One receipt in the ERP for the transfer, naming the invoices it settles.
    (job,) = SyncJob.objects.filter(kind=SyncJob.Kind.PAYMENT_EXPORT)
    assert job.payload["amount"] == "1700.00"
    assert job.payload["invoice_numbers"] == ["GIB2026000000041", "GIB2026000000042"]


def test_an_invoice_number_with_its_open_amount_is_enough(statement):
    dealer = DealerFactory()
    invoice(dealer, "F-2026-000917", "2400")
    transfer(statement, "2400", "Fatura F-2026-000917 odemesi")
    statement_match()
    assert Allocation.objects.get().invoice_number == "F-2026-000917"


def test_the_amount_alone_only_suggests(statement):
    dealer = DealerFactory()
    invoice(dealer, "F-2026-000918", "777.77")
    tx = transfer(statement, "777.77", "ODEME")
    statement_match()
    tx.refresh_from_db()
    assert tx.status == "unmatched" and tx.candidates[0]["dealer_id"] == dealer.pk
    assert tx.candidates[0]["score"] == 30


def test_conflicting_evidence_waits_for_staff(statement):
    one, other = DealerFactory(), DealerFactory()
    DealerIban.objects.create(dealer=one, iban=SENDER)
    tx = transfer(statement, "100", f"VKN {other.tax_number}", iban=SENDER)
    statement_match()
    tx.refresh_from_db()
    assert tx.status == "unmatched" and {c["dealer_id"] for c in tx.candidates} == {one.pk, other.pk}


def test_nothing_known_is_queued_with_no_candidate(statement):
    tx = transfer(statement, "12.34", "BILINMEYEN")
    statement_match()
    tx.refresh_from_db()
    assert tx.candidates == [] and tx.status_reason == "No candidate found."


def test_matching_twice_allocates_once_and_leaves_outgoing_lines(statement):
    dealer = DealerFactory()
    DealerIban.objects.create(dealer=dealer, iban=SENDER)
    transfer(statement, "100", iban=SENDER)
    transfer(statement, "-50", iban=SENDER)
    statement_match()
    statement_match()
    assert Allocation.objects.count() == 1


def test_a_manual_match_splits_and_remembers_the_iban(statement, admin_user):
    one, other = DealerFactory(), DealerFactory()
    tx = transfer(statement, "900", "ODEME", iban=SENDER)
    with pytest.raises(ValueError):
        allocate_manually(tx=tx, parts=[Part(one.pk, D(901))], user=admin_user)
    allocate_manually(tx=tx, parts=[Part(one.pk, D(600))], user=admin_user)
    tx.refresh_from_db()
    assert tx.status == "partial"
    assert DealerIban.objects.get(iban=SENDER).dealer == one
    allocate_manually(tx=tx, parts=[Part(other.pk, D(300))], user=admin_user, learn_iban=False)
    tx.refresh_from_db()
    assert tx.status == "allocated" and Allocation.objects.filter(method="manual").count() == 2
    with pytest.raises(ValueError):
        allocate_manually(tx=tx, parts=[Part(one.pk, D(1))], user=admin_user)


def test_a_transfer_split_between_two_dealers_is_one_collection_on_each_account(statement, admin_user):
    from erpsync.models import SyncJob

    one, other = DealerFactory(), DealerFactory()
    tx = transfer(statement, "900", "ODEME")
    parts = [Part(one.pk, D(600), invoice_number="F-1"), Part(other.pk, D(200)), Part(one.pk, D(100))]
    allocate_manually(tx=tx, parts=parts, user=admin_user)
    jobs = SyncJob.objects.filter(kind="payment_export", object_id=tx.pk).order_by("identity_key")
    assert [(j.payload["dealer_id"], j.payload["amount"], j.payload["invoice_numbers"]) for j in jobs] == [
        (one.pk, "700", ["F-1"]),
        (other.pk, "200", []),
    ]
    assert len({j.payload["reference"] for j in jobs}) == 2


def test_ignoring_needs_a_reason(statement):
    tx = transfer(statement, "10", "IADE")
    with pytest.raises(ValueError):
        transaction_ignore(tx=tx, reason=" ")
    transaction_ignore(tx=tx, reason="Bankadan faiz")
    tx.refresh_from_db()
    assert (tx.status, tx.status_reason) == ("ignored", "Bankadan faiz")


def test_the_admin_queue_shows_candidates_and_matches_by_hand(admin_client, statement):
    from django.urls import reverse

    dealer = DealerFactory(title="Yıldız Yapı Market")
    invoice(dealer, "F-2026-000450", "450")
    tx = transfer(statement, "450", "ODEME", iban=SENDER)
    statement_match()
    tx.refresh_from_db()
    assert tx.status == "unmatched"  # the amount alone only suggests
    page = admin_client.get(reverse("admin:payments_unmatchedtransfer_changelist"))
    assert page.status_code == 200 and "Yıldız Yapı Market (30)" in page.content.decode()

    url = reverse("admin:payments_transfer_match", args=[tx.pk])
    assert admin_client.get(url).status_code == 200
    form = {"part-TOTAL_FORMS": "3", "part-INITIAL_FORMS": "0", "allocate": "1",
            "part-0-dealer": dealer.pk, "part-0-amount": "450", "part-0-invoice_number": "F-2026-000450"}  # fmt: skip
    assert admin_client.post(url, {**form, "part-0-amount": "451"}).status_code == 200  # more than the transfer
    response = admin_client.post(url, form)
    assert response.status_code == 302
    tx.refresh_from_db()
    allocation = Allocation.objects.get()
    assert tx.status == "allocated" and (allocation.method, allocation.invoice_number) == ("manual", "F-2026-000450")
    assert DealerIban.objects.get(iban=SENDER).dealer == dealer


def test_the_admin_sets_a_transfer_aside_with_a_reason(admin_client, statement):
    from django.urls import reverse

    tx = transfer(statement, "5", "FAIZ")
    url = reverse("admin:payments_transfer_match", args=[tx.pk])
    assert admin_client.post(url, {"ignore": "1", "ignore-reason": ""}).status_code == 200
    admin_client.post(url, {"ignore": "1", "ignore-reason": "Mevduat faizi"})
    tx.refresh_from_db()
    assert (tx.status, tx.status_reason) == ("ignored", "Mevduat faizi")


def test_schedules_are_installed_and_links_expire():
    from datetime import timedelta

    from django.utils import timezone
    from django_q.models import Schedule

    from payments.models import PaymentLink
    from payments.tasks import SCHEDULES, payment_links_expire, schedules_install

    schedules_install()
    schedules_install()
    assert set(Schedule.objects.filter(name__startswith="payments:").values_list("name", flat=True)) == set(SCHEDULES)
    dealer = DealerFactory()
    old = PaymentLink.objects.create(dealer=dealer, amount=D(5), expires_at=timezone.now() - timedelta(seconds=1))
    fresh = PaymentLink.objects.create(dealer=dealer, amount=D(5), expires_at=timezone.now() + timedelta(days=1))
    assert payment_links_expire() == 1
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.status, fresh.status) == ("expired", "active")
