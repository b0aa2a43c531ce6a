"""Ageing that a dealer can follow: money paid for an order the ERP has not invoiced yet is a prepayment for that
order (it does not settle older invoices), and the account page says how its open amounts were worked out."""

from __future__ import annotations

import itertools
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from dealers.models import AccountEntry, Dealer, DealerDocument, DealerUser
from dealers.tests.factories import DealerFactory, DealerUserFactory
from erpsync.models import ErpConnection
from orders.status import OrderStatus
from orders.tests.factories import OrderFactory
from payments.models import Allocation, Payment
from payments.receivables import (
    ERP_OPEN_ITEMS,
    INVOICES,
    OLDEST_FIRST,
    Prepayment,
    invoice_open_amounts,
    invoice_open_amounts_many,
    open_items,
)

pytestmark = pytest.mark.django_db
D = Decimal
_serial = itertools.count(1)
TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def language_reset():
    yield
    translation.deactivate()


@pytest.fixture
def erp():
    return ErpConnection.objects.create(code="erp", name="ERP", adapter="file", settings={"root": "/nonexistent"})


def book(erp, dealer, rows, *, as_of=None):
    """Ledger rows (kind, days ago, amount, document, description, due in days or None, open amount or None)."""
    AccountEntry.objects.bulk_create(
        AccountEntry(
            connection=erp,
            erp_id=f"P{next(_serial)}",
            dealer=dealer,
            kind=kind,
            posted_on=TODAY - timedelta(days=ago),
            due_on=None if due is None else TODAY - timedelta(days=ago) + timedelta(days=due),
            document_number=number,
            description=description,
            amount=D(amount),
            open_amount=None if left is None else D(left),
            as_of=timezone.now(),
        )
        for kind, ago, amount, number, description, due, left in rows
    )
    Dealer.objects.filter(pk=dealer.pk).update(ledger_as_of=as_of or timezone.now())
    dealer.refresh_from_db()


def invoice_of(order, number, gross, ago=1):
    return DealerDocument.objects.create(
        dealer=order.dealer, order=order, kind="invoice", number=number, gross=D(gross),
        issued_on=TODAY - timedelta(days=ago), due_on=TODAY + timedelta(days=30), currency="TRY",
    )  # fmt: skip


def paid_for_order(order, amount):
    payment = Payment.objects.create(dealer=order.dealer, order=order, method="card", amount=D(amount),
                                     status="succeeded")  # fmt: skip
    return Allocation.objects.create(dealer=order.dealer, payment=payment, order=order, amount=D(amount),
                                     method="auto")  # fmt: skip


OLD_INVOICES = [
    ("invoice", 200, "1000.00", "F-1", "Satış faturası", 30, None),
    ("invoice", 150, "600.00", "F-2", "Satış faturası", 30, None),
]


def open_by_number(ageing):
    return {item.document_number: item.open_amount for item in ageing.items}


# --- a collection in the ERP's ledger ----------------------------------------------------------------------------


def test_a_ledger_collection_for_an_order_not_yet_invoiced_is_kept_for_it(erp):
    dealer = DealerFactory()
    order = OrderFactory(dealer=dealer, number="P2026-000777", status=OrderStatus.CONFIRMED)
    book(erp, dealer, [*OLD_INVOICES, ("collection", 2, "-500.00", "TAH-9", "Havale P2026-000777 avans", None, None)])
    ageing = open_items(dealer)
    assert ageing.basis == OLDEST_FIRST
    assert open_by_number(ageing) == {"F-1": D("1000.00"), "F-2": D("600.00")}  # the old invoices stay open
    assert ageing.prepayments == [Prepayment(order.number, D("500.00"))] and ageing.unapplied_credit == 0
    assert ageing.total - ageing.prepaid == D("1100.00")  # what the ledger's balance says
    # The bank matcher and the payments page read the same open amounts.
    assert invoice_open_amounts(dealer) == {"F-2": D("600.00"), "F-1": D("1000.00")}


def test_a_collection_naming_the_erps_order_number_is_kept_for_the_order(erp):
    dealer = DealerFactory()
    order = OrderFactory(dealer=dealer, status=OrderStatus.SENT_TO_ERP, erp_document_number="SIP-2026-0042")
    book(erp, dealer, [*OLD_INVOICES, ("collection", 2, "-250.00", "SIP-2026-0042", "", None, None)])
    assert open_items(dealer).prepayments == [Prepayment(order.number, D("250.00"))]


@pytest.mark.parametrize("status", [OrderStatus.CANCELLED, OrderStatus.INVOICED])
def test_money_for_an_order_that_will_not_be_invoiced_or_already_is_settles_the_oldest(erp, status):
    """A cancelled order's money, or money for an order invoiced already, is on account: oldest first."""
    dealer = DealerFactory()
    OrderFactory(dealer=dealer, number="P2026-000778", status=status)
    book(erp, dealer, [*OLD_INVOICES, ("collection", 2, "-500.00", "TAH-9", "Havale P2026-000778", None, None)])
    ageing = open_items(dealer)
    assert ageing.prepayments == [] and open_by_number(ageing) == {"F-1": D("500.00"), "F-2": D("600.00")}


def test_another_dealers_order_number_is_no_prepayment(erp):
    dealer = DealerFactory()
    OrderFactory(number="P2026-000779", status=OrderStatus.CONFIRMED)  # someone else's
    book(erp, dealer, [*OLD_INVOICES, ("collection", 2, "-500.00", "TAH-9", "P2026-000779", None, None)])
    assert open_items(dealer).prepayments == []


def test_once_the_order_is_invoiced_its_prepayment_settles_the_account(erp):
    dealer = DealerFactory()
    order = OrderFactory(dealer=dealer, number="P2026-000780", status=OrderStatus.CONFIRMED)
    book(erp, dealer, [*OLD_INVOICES, ("collection", 5, "-500.00", "TAH-9", "P2026-000780", None, None)])
    assert open_items(dealer).prepaid == D("500.00")
    invoice_of(order, "F-3", "500.00")
    book(erp, dealer, [("invoice", 1, "500.00", "F-3", "Satış faturası", 30, None)])
    ageing = open_items(dealer)
    assert ageing.prepayments == [] and ageing.total == D("1600.00")


def test_the_erps_open_items_keep_an_orders_prepayment_apart_from_unapplied_credit(erp):
    dealer = DealerFactory()
    order = OrderFactory(dealer=dealer, number="P2026-000781", status=OrderStatus.APPROVED)
    book(erp, dealer, [
        ("invoice", 60, "1000.00", "F-1", "", 30, "1000.00"),
        ("collection", 3, "-300.00", "TAH-1", "P2026-000781", None, "-300.00"),
        ("collection", 2, "-50.00", "TAH-2", "", None, "-50.00"),
    ])  # fmt: skip
    ageing = open_items(dealer)
    assert ageing.basis == ERP_OPEN_ITEMS and open_by_number(ageing) == {"F-1": D("1000.00")}
    assert ageing.prepayments == [Prepayment(order.number, D("300.00"))] and ageing.unapplied_credit == D("50.00")


# --- a payment in the portal --------------------------------------------------------------------------------------


def test_a_portal_payment_for_an_order_not_yet_invoiced_leaves_old_invoices_open(erp):
    dealer = DealerFactory()
    book(erp, dealer, OLD_INVOICES, as_of=timezone.now() - timedelta(hours=1))
    order = OrderFactory(dealer=dealer, number="P2026-000782", status=OrderStatus.APPROVED)
    paid_for_order(order, "300.00")
    ageing = open_items(dealer)
    assert open_by_number(ageing) == {"F-1": D("1000.00"), "F-2": D("600.00")}
    assert ageing.prepayments == [Prepayment(order.number, D("300.00"))] and ageing.unapplied_credit == 0
    assert ageing.paid_in_portal == 0  # not "included" in the open amounts: shown apart
    # Once invoiced, the money settles the order's own invoice, not the oldest.
    invoice_of(order, "F-3", "300.00")
    book(erp, dealer, [("invoice", 1, "300.00", "F-3", "", 30, None)], as_of=timezone.now() - timedelta(hours=1))
    ageing = open_items(dealer)
    assert open_by_number(ageing) == {"F-1": D("1000.00"), "F-2": D("600.00")} and ageing.prepayments == []


def test_a_portal_payment_on_account_still_settles_the_oldest(erp):
    dealer = DealerFactory()
    book(erp, dealer, OLD_INVOICES, as_of=timezone.now() - timedelta(hours=1))
    payment = Payment.objects.create(dealer=dealer, method="card", amount=D("300.00"), status="succeeded")
    Allocation.objects.create(dealer=dealer, payment=payment, amount=D("300.00"), method="auto")
    ageing = open_items(dealer)
    assert open_by_number(ageing) == {"F-1": D("700.00"), "F-2": D("600.00")} and ageing.prepayments == []


def test_without_a_ledger_an_orders_money_is_a_prepayment_then_pays_its_invoice():
    dealer = DealerFactory()
    old = DealerDocument.objects.create(dealer=dealer, kind="invoice", number="F-1", gross=D("1000.00"),
                                        issued_on=TODAY - timedelta(days=200), currency="TRY")  # fmt: skip
    order = OrderFactory(dealer=dealer, number="P2026-000783", status=OrderStatus.AWAITING_PAYMENT)
    paid_for_order(order, "1200.00")
    ageing = open_items(dealer)
    assert ageing.basis == INVOICES and open_by_number(ageing) == {"F-1": D("1000.00")}
    assert ageing.prepayments == [Prepayment(order.number, D("1200.00"))] and ageing.unapplied_credit == 0
    assert ageing.paid_in_portal == 0
    # The ERP invoices the order in two parts: the order's money pays both; the old invoice still owes all.
    invoice_of(order, "F-2", "700.00", ago=3)
    invoice_of(order, "F-3", "500.00", ago=2)
    ageing = open_items(dealer)
    assert open_by_number(ageing) == {"F-1": D("1000.00")} and ageing.prepayments == []
    assert invoice_open_amounts_many([dealer.pk]) == {(dealer.pk, old.number): D("1000.00")}
    assert invoice_open_amounts(dealer, ["F-3"]) == {}


def test_without_a_ledger_a_cancelled_orders_money_is_credit_on_account():
    dealer = DealerFactory()
    order = OrderFactory(dealer=dealer, status=OrderStatus.CANCELLED)
    paid_for_order(order, "100.00")
    ageing = open_items(dealer)
    assert ageing.prepayments == [] and ageing.unapplied_credit == D("100.00")


# --- what the page says -------------------------------------------------------------------------------------------


def account_page(client, dealer, language="en") -> str:
    user = DealerUserFactory(dealer=dealer, role=DealerUser.Role.ADMIN).user
    user.language = language
    user.save()
    client.force_login(user)
    return client.get(reverse("account:summary")).content.decode()


def basis_note(page: str) -> str:
    return re.search(r'data-testid="ageing-basis">(.*?)</p>', page, re.S).group(1)


def test_the_page_explains_the_oldest_first_estimate_and_shows_prepayments(client, erp):
    dealer = DealerFactory()
    OrderFactory(dealer=dealer, number="P2026-000784", status=OrderStatus.CONFIRMED)
    book(erp, dealer, [*OLD_INVOICES, ("collection", 2, "-500.00", "TAH-9", "P2026-000784", None, None)])
    page = account_page(client, dealer)
    assert "oldest invoices first" in basis_note(page) and "estimate" in basis_note(page)
    prepayments = re.search(r'data-testid="prepayments">(.*?)</div>', page, re.S).group(1)
    assert "Prepayment for order P2026-000784: ₺500.00" in prepayments
    turkish = account_page(client, dealer, "tr")
    assert "en eski faturadan başlayarak" in basis_note(turkish)
    assert "P2026-000784 numaralı sipariş için ön ödeme: 500,00 ₺" in turkish


def test_the_page_says_when_the_erp_closed_the_items_itself(client, erp):
    dealer = DealerFactory()
    book(erp, dealer, [("invoice", 60, "1000.00", "F-1", "", 30, "400.00")])
    page = account_page(client, dealer)
    assert "as the ERP closed them" in basis_note(page) and "oldest invoices first" not in page
    assert 'data-testid="prepayments"' not in page


def test_the_page_says_when_open_amounts_come_from_the_invoices(client):
    dealer = DealerFactory()
    DealerDocument.objects.create(dealer=dealer, kind="invoice", number="F-1", gross=D("10.00"), issued_on=TODAY)
    assert "invoices less the payments made in the portal" in basis_note(account_page(client, dealer))
