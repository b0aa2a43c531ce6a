"""The dealer's account pages read a fixed number of queries however many rows they show: the account with its
open items, the statement of account, the documents list and the addresses."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection as db_connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from dealers.models import DealerDocument
from dealers.tests.factories import DealerAddressFactory
from dealers.tests.test_account import book
from erpsync.models import ErpConnection
from orders.tests.factories import OrderFactory

pytestmark = pytest.mark.django_db
D = Decimal
FEW, MANY = 2, 25
START = date(2026, 1, 1)


@pytest.fixture
def erp():
    return ErpConnection.objects.create(code="erp", name="ERP", adapter="file", settings={"root": "/nonexistent"})


def page_queries(client, url: str, rows: str, expected: int) -> int:
    """The queries one request for ``url`` makes, after checking that the page shows ``expected`` rows (the
    number of ``rows`` markers in its HTML)."""
    with CaptureQueriesContext(db_connection) as captured:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.content.decode().count(rows) == expected
    return len(captured)


def invoices(erp, dealer, first: int, count: int) -> None:
    """``count`` invoices and a collection after each that pays part of the oldest ones; every invoice stays open."""
    rows = []
    for n in range(first, first + count):
        day = START + timedelta(days=n)
        rows.append(("invoice", day, "1000.00", f"F-{n:03d}", day + timedelta(days=30)))
        rows.append(("collection", day, "-10.00", f"EFT-{n:03d}", None))
    book(erp, dealer, rows)


def test_account_page_queries_do_not_grow_with_open_items(dealer_client, erp):
    dealer = dealer_client.dealer_user.dealer
    url = reverse("account:summary")
    invoices(erp, dealer, 0, FEW)
    dealer_client.get(url)  # the first request warms the session
    few = page_queries(dealer_client, url, 'name="invoice"', FEW)

    invoices(erp, dealer, FEW, MANY - FEW)
    many = page_queries(dealer_client, url, 'name="invoice"', MANY)

    assert few == many <= 11


def test_statement_page_queries_do_not_grow_with_movements(dealer_client, erp):
    dealer = dealer_client.dealer_user.dealer
    url = reverse("dealers:statement") + "?date_from=2026-01-01&date_to=2026-12-31"
    book(erp, dealer, [("opening", START - timedelta(days=1), "250.00", "DEVIR", None)])
    invoices(erp, dealer, 0, FEW)
    dealer_client.get(url)
    few = page_queries(dealer_client, url, "F-0", FEW)

    invoices(erp, dealer, FEW, MANY - FEW)
    many = page_queries(dealer_client, url, "F-0", MANY)

    # One of them is the navigation's unread notice count, on every page.
    assert few == many <= 8


def documents(dealer, placed_by, first: int, count: int) -> None:
    for n in range(first, first + count):
        order = OrderFactory(dealer=dealer, placed_by=placed_by)
        DealerDocument.objects.create(
            dealer=dealer,
            order=order,
            kind=DealerDocument.Kind.DELIVERY if n % 2 else DealerDocument.Kind.INVOICE,
            number=f"DOC-{n:03d}",
            issued_on=START + timedelta(days=n),
            gross=D("1180.00"),
            carrier="Aras",
            tracking_number=f"TRK-{n}",
        )


def test_documents_page_queries_do_not_grow_with_documents(dealer_client):
    dealer_user = dealer_client.dealer_user
    url = reverse("dealers:document_list")
    documents(dealer_user.dealer, dealer_user.user, 0, FEW)
    dealer_client.get(url)
    few = page_queries(dealer_client, url, 'data-testid="document-pdf"', FEW)

    documents(dealer_user.dealer, dealer_user.user, FEW, MANY - FEW)
    many = page_queries(dealer_client, url, 'data-testid="document-pdf"', MANY)

    assert few == many <= 7


def test_addresses_page_queries_do_not_grow_with_addresses(dealer_client):
    dealer = dealer_client.dealer_user.dealer
    url = reverse("dealers:address_list")
    DealerAddressFactory.create_batch(FEW, dealer=dealer)
    dealer_client.get(url)
    few = page_queries(dealer_client, url, 'class="card address"', FEW)

    DealerAddressFactory.create_batch(MANY - FEW, dealer=dealer)
    many = page_queries(dealer_client, url, 'class="card address"', MANY)

    assert few == many <= 6
