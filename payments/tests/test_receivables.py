"""One receivables selector: the bank matcher, the account page and the payments page agree on what each invoice
still owes — from the invoices and their allocations without an ERP ledger, from the ledger (less what was paid in
the portal since) with one — in a fixed number of queries however many dealers; the matcher and the order page agree
on what an order awaiting payment still owes."""

from __future__ import annotations

import itertools
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from dealers.models import AccountEntry, Dealer, DealerDocument, DealerUser
from dealers.tests.factories import DealerFactory, DealerUserFactory
from erpsync.models import ErpConnection
from orders.models import Order
from orders.services import cart_line_add
from orders.status import OrderStatus
from orders.tests.factories import buyer_of, make_shop, place
from payments.matching import MatchIndex, statement_match
from payments.models import Allocation, BankStatement, BankTransaction, Payment
from payments.receivables import (
    invoice_open_amounts,
    invoice_open_amounts_many,
    open_items,
    order_amount_due,
    order_amounts_due,
)
from payments.services import bank_transfer_instructions

pytestmark = pytest.mark.django_db
D = Decimal
_serial = itertools.count(1)


@pytest.fixture
def erp(tmp_path):
    return ErpConnection.objects.create(
        code="files", name="Files", adapter="file", is_default=True, settings={"root": str(tmp_path)}
    )


def invoice(dealer, number, gross, issued_on=date(2026, 2, 1)) -> DealerDocument:
    return DealerDocument.objects.create(
        dealer=dealer, kind="invoice", number=number, issued_on=issued_on, gross=D(gross), currency="TRY"
    )


def paid_in_portal(dealer, number, amount) -> Allocation:
    payment = Payment.objects.create(dealer=dealer, method="card", amount=D(amount), status="succeeded")
    return Allocation.objects.create(
        dealer=dealer, payment=payment, invoice_number=number, amount=D(amount), method="card"
    )


def book(erp, dealer, rows, *, as_of) -> None:
    """Ledger rows (kind, posted_on, amount, document, due_on, open_amount) on ``dealer``, sent at ``as_of``."""
    AccountEntry.objects.bulk_create(
        AccountEntry(
            connection=erp,
            erp_id=f"J{next(_serial)}",
            dealer=dealer,
            kind=kind,
            posted_on=posted_on,
            due_on=due_on,
            document_number=number,
            amount=D(amount),
            open_amount=None if left is None else D(left),
            as_of=as_of,
        )
        for kind, posted_on, amount, number, due_on, left in rows
    )
    Dealer.objects.filter(pk=dealer.pk).update(ledger_as_of=as_of)
    dealer.refresh_from_db()


def matcher_dues(dealer=None) -> dict:
    """What the bank matcher would take each open invoice to owe, by (dealer id, number)."""
    return {
        (item.dealer_id, item.number): item.due
        for item in MatchIndex().invoices.values()
        if dealer is None or item.dealer_id == dealer.pk
    }


def transfer(amount, description) -> BankTransaction:
    statement = BankStatement.objects.create(
        account_iban="TR120006200000000000000001", format="csv", file_sha256=f"{next(_serial):064d}"
    )
    return BankTransaction.objects.create(
        statement=statement,
        account_iban=statement.account_iban,
        booking_date=timezone.localdate(),
        amount=D(amount),
        description=description,
        fingerprint=f"fp-{next(_serial)}",
    )


def pay_page_invoices(client, dealer) -> dict[str, str]:
    """The open invoices the payments page offers, number to the digits of the amount it shows (whatever the
    language's separators)."""
    user = DealerUserFactory(dealer=dealer, role=DealerUser.Role.ADMIN).user
    client.force_login(user)
    response = client.get(reverse("payments:account_pay"))
    assert response.status_code == 200
    choices = response.context["form"].fields["invoices"].choices
    return {number: re.sub(r"\D", "", label.split("·")[-1]) for number, label in choices}


def digits(amounts: dict[str, Decimal]) -> dict[str, str]:
    return {number: re.sub(r"\D", "", f"{left:.2f}") for number, left in amounts.items()}


# -- without an ERP ledger: the invoices less the money allocated to them -----------------------------------------


@pytest.fixture
def invoices_only():
    """Two dealers whose ERP sends invoices but no ledger; some invoices partly or fully paid in the portal."""
    first, second = DealerFactory(), DealerFactory()
    invoice(first, "FTR2026000001", "1000.00")
    invoice(first, "FTR2026000002", "500.00", issued_on=date(2026, 2, 10))
    paid_in_portal(first, "FTR2026000002", "200.00")
    invoice(first, "FTR2026000003", "300.00")
    paid_in_portal(first, "FTR2026000003", "300.00")
    invoice(second, "FTR2026000011", "750.00")
    paid_in_portal(second, "FTR2026000011", "25.00")
    paid_in_portal(second, "FTR2026000011", "25.00")
    DealerDocument.objects.create(
        dealer=second, kind="delivery", number="IRS2026000001", issued_on=date(2026, 2, 1), gross=D("90.00")
    )
    return first, second


def test_without_a_ledger_the_matcher_and_the_selector_agree_on_open_invoices(invoices_only, client):
    first, second = invoices_only
    expected = {
        (first.pk, "FTR2026000001"): D("1000.00"),
        (first.pk, "FTR2026000002"): D("300.00"),
        (second.pk, "FTR2026000011"): D("700.00"),
    }
    assert invoice_open_amounts_many() == expected
    assert matcher_dues() == expected
    mine = {"FTR2026000001": D("1000.00"), "FTR2026000002": D("300.00")}
    assert invoice_open_amounts(first) == mine
    assert list(invoice_open_amounts(first)) == ["FTR2026000002", "FTR2026000001"]  # newest first
    assert pay_page_invoices(client, first) == digits(mine)


def test_without_a_ledger_the_account_page_shows_the_same_open_invoices(invoices_only, client):
    first, _second = invoices_only
    ageing = open_items(first)
    assert {item.document_number: item.open_amount for item in ageing.items} == invoice_open_amounts(first)
    assert not ageing.from_erp_open_items and ageing.total == D("1300.00")
    partly = next(item for item in ageing.items if item.document_number == "FTR2026000002")
    assert partly.amount == D("500.00") and partly.paid_in_portal == D("200.00")
    user = DealerUserFactory(dealer=first, role=DealerUser.Role.ADMIN).user
    client.force_login(user)
    page = client.get(reverse("account:summary"))
    assert [item.document_number for item in page.context["ageing"].items] == ["FTR2026000001", "FTR2026000002"]
    # Aged on a day before the second invoice was issued, only the first one is open.
    assert [i.document_number for i in open_items(first, on=date(2026, 2, 5)).items] == ["FTR2026000001"]


def test_without_a_ledger_a_fully_paid_invoice_and_an_unknown_number_give_nothing(invoices_only, client):
    first, _second = invoices_only
    assert invoice_open_amounts(first, ["FTR2026000003"]) == {}
    assert invoice_open_amounts(first, ["FTR2026999999"]) == {}
    assert invoice_open_amounts_many(numbers=["FTR2026999999"]) == {}
    assert invoice_open_amounts_many(numbers=["IRS2026000001"]) == {}  # a delivery note owes nothing
    assert not {"FTR2026000003", "FTR2026999999"} & {number for _d, number in matcher_dues()}
    assert "FTR2026000003" not in pay_page_invoices(client, first)


# -- with an ERP ledger: its open items, less what was paid in the portal since ------------------------------------

TODAY = timezone.localdate


def ledger_rows(erp_keeps_open_items: bool):
    """F100 settled in full by a collection, F101 partly (700 of 1000 open), F102 not at all (600 open); the
    collection came in at the bank, outside the portal. Either the ERP sends each debit's open amount or the portal
    settles the oldest first: the same figures."""
    today = TODAY()
    rows = [
        ("invoice", today - timedelta(days=90), "400.00", "FTR2026000100", today - timedelta(days=60), "0.00"),
        ("invoice", today - timedelta(days=60), "1000.00", "FTR2026000101", today - timedelta(days=30), "700.00"),
        ("invoice", today - timedelta(days=20), "600.00", "FTR2026000102", today + timedelta(days=10), "600.00"),
        ("collection", today - timedelta(days=10), "-700.00", "EFT-77", None, "0.00"),
    ]
    return rows if erp_keeps_open_items else [(*row[:5], None) for row in rows]


@pytest.fixture(params=[False, True], ids=["settled-oldest-first", "erp-open-items"])
def ledger_dealer(request, erp):
    dealer = DealerFactory()
    book(erp, dealer, ledger_rows(request.param), as_of=timezone.now() - timedelta(hours=1))
    # The ERP sends the invoices as documents too; on their own they would say all three are open in full.
    for number, gross in (("FTR2026000100", "400.00"), ("FTR2026000101", "1000.00"), ("FTR2026000102", "600.00")):
        invoice(dealer, number, gross)
    # Paid by card in the portal after the ERP last sent its movements: not in the ledger yet.
    paid_in_portal(dealer, "FTR2026000101", "200.00")
    return dealer


def account_page_open_invoices(client, dealer) -> dict[str, Decimal]:
    user = DealerUserFactory(dealer=dealer, role=DealerUser.Role.ADMIN).user
    client.force_login(user)
    response = client.get(reverse("account:summary"))
    assert response.status_code == 200
    return {i.document_number: i.open_amount for i in response.context["ageing"].items if i.kind == "invoice"}


def test_with_a_ledger_the_matcher_owes_what_the_account_page_shows(ledger_dealer, client):
    dealer = ledger_dealer
    account = {i.document_number: i.open_amount for i in open_items(dealer).items if i.kind == "invoice"}
    assert account == {"FTR2026000101": D("500.00"), "FTR2026000102": D("600.00")}
    assert account_page_open_invoices(client, dealer) == account
    assert matcher_dues(dealer) == {(dealer.pk, number): left for number, left in account.items()}
    assert invoice_open_amounts(dealer) == account
    assert pay_page_invoices(client, dealer) == digits(account)
    # The invoice's gross less what was allocated to it would ignore the collection the ERP booked.
    gross_less_allocated = D("1000.00") - D("200.00")
    assert matcher_dues(dealer)[(dealer.pk, "FTR2026000101")] != gross_less_allocated


def test_a_transfer_for_the_ledgers_open_amount_naming_the_invoice_is_allocated_to_it(ledger_dealer):
    dealer = ledger_dealer
    tx = transfer("500.00", "FATURA FTR2026000101 ODEMESI")

    report = statement_match()

    tx.refresh_from_db()
    allocation = Allocation.objects.get(bank_transaction=tx)
    assert (report.allocated, tx.status) == (1, BankTransaction.Status.ALLOCATED)
    assert (allocation.dealer, allocation.invoice_number, allocation.amount, allocation.method) == (
        dealer,
        "FTR2026000101",
        D("500.00"),
        Allocation.Method.AUTOMATIC,
    )
    # Paid now on every page, and no longer a candidate for the next transfer.
    assert "FTR2026000101" not in {i.document_number for i in open_items(dealer).items}
    assert "FTR2026000101" not in invoice_open_amounts(dealer)
    assert (dealer.pk, "FTR2026000101") not in matcher_dues()


def test_a_transfer_for_the_gross_less_allocations_is_not_taken_for_the_invoice(ledger_dealer):
    tx = transfer("800.00", "FATURA FTR2026000101 ODEMESI")
    report = statement_match()
    tx.refresh_from_db()
    assert (report.allocated, report.queued, tx.status) == (0, 1, BankTransaction.Status.UNMATCHED)
    assert not Allocation.objects.filter(bank_transaction=tx).exists()
    [top] = tx.candidates
    assert top["items"] == [{"kind": "invoice", "number": "FTR2026000101", "due": "500.00"}]


def test_with_a_ledger_a_settled_invoice_and_an_unknown_number_give_nothing(ledger_dealer):
    dealer = ledger_dealer
    assert invoice_open_amounts(dealer, ["FTR2026000100"]) == {}
    assert invoice_open_amounts(dealer, ["FTR2026999999"]) == {}
    assert invoice_open_amounts_many([dealer.pk], ["FTR2026000100", "FTR2026999999"]) == {}
    assert invoice_open_amounts(dealer, ["FTR2026000102"]) == {"FTR2026000102": D("600.00")}
    assert not {"FTR2026000100", "FTR2026999999"} & {number for _d, number in matcher_dues(dealer)}
    tx = transfer("400.00", "FATURA FTR2026000100")
    statement_match()
    assert not Allocation.objects.filter(bank_transaction=tx, invoice_number="FTR2026000100").exists()


# -- set-based: a fixed number of queries however many dealers ---------------------------------------------------


def test_open_amounts_of_many_dealers_with_ledgers_take_a_fixed_number_of_queries(erp):
    dealers = DealerFactory.create_batch(20)
    for dealer in dealers:
        book(erp, dealer, ledger_rows(False), as_of=timezone.now() - timedelta(hours=1))
        paid_in_portal(dealer, "FTR2026000101", "200.00")
    invoice(DealerFactory(), "FTR2026000999", "50.00")  # and a dealer without a ledger

    def counted(dealer_ids):
        with CaptureQueriesContext(db_connection) as queries:
            found = invoice_open_amounts_many([d.pk for d in dealer_ids])
        return len(queries), found

    few, found_few = counted(dealers[:2])
    many, found_many = counted(dealers)
    assert len(found_few) == 2 * 2 and len(found_many) == 20 * 2
    assert set(found_many.values()) == {D("500.00"), D("600.00")}
    assert few == many, f"{few} queries for 2 dealers, {many} for 20"
    # Dealers with a ledger, their orders waiting for an invoice, their movements, portal payments (and the orders
    # they paid for, when there are such), invoices, their allocations.
    assert few <= 7
    with CaptureQueriesContext(db_connection) as everyone:
        invoice_open_amounts_many()
    assert len(everyone) == few


# -- what an order awaiting payment still owes ----------------------------------------------------------------------


def test_the_matcher_owes_what_the_order_page_asks_for_and_a_transfer_for_it_releases_the_order(erp, client):
    """A bank-transfer order partly paid already: the order page's transfer instructions, the matcher and a card
    payment of the order read what is left from one rule (``order_amounts_due``)."""
    dealer, product = make_shop(price="100")
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=D(3))
    order = place(buyer, payment_method=Order.PaymentMethod.BANK_TRANSFER)
    earlier = Payment.objects.create(dealer=dealer, method="card", amount=D("100.00"), status="succeeded")
    Allocation.objects.create(dealer=dealer, payment=earlier, order=order, amount=D("100.00"))
    left = order.total_gross - D("100.00")

    client.force_login(buyer.user)
    page = client.get(reverse("orders:order_detail", args=[order.number]))
    assert page.context["instructions"].amount_due == left
    assert bank_transfer_instructions(order=order).amount_due == left == order_amount_due(order)
    assert {item.number: item.due for item in MatchIndex().orders.values()} == {order.number: left}
    assert order_amounts_due(Order.objects.filter(pk=order.pk)) == {order.pk: left}

    tx = transfer(str(left), f"SIPARIS {order.number} HAVALE")
    assert statement_match().allocated == 1
    order.refresh_from_db()
    tx.refresh_from_db()
    assert (order.status, tx.status) == (OrderStatus.APPROVED, BankTransaction.Status.ALLOCATED)
    assert order_amount_due(order) == D("0.00") and MatchIndex().orders == {}


def test_an_order_paid_more_than_its_total_owes_nothing_not_a_negative_amount(erp):
    dealer, product = make_shop(price="100")
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=D(1))
    order = place(buyer, payment_method=Order.PaymentMethod.BANK_TRANSFER)
    payment = Payment.objects.create(dealer=dealer, method="card", amount=D("500.00"), status="succeeded")
    Allocation.objects.create(dealer=dealer, payment=payment, order=order, amount=D("500.00"))
    assert order_amount_due(order) == D("0.00")
    assert order.number not in {item.number for item in MatchIndex().orders.values()}
