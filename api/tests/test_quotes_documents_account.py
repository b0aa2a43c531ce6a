"""Quotes (list, detail, accept — an order at the quoted prices), documents and their PDFs, and the account's
figures through the API, each read through the same selectors as the portal's pages."""

from decimal import Decimal

import pytest
from django.utils import timezone

from api.tests.factories import api_shop, client_for
from dealers.models import AccountEntry, DealerDocument
from erpsync.models import ErpConnection
from orders.models import Order
from orders.tests.factories import OrderFactory
from orders.tests.quote_factories import sent_quote, staff_user

pytestmark = pytest.mark.django_db
D = Decimal


def test_a_sent_quote_is_listed_shown_and_accepted_once():
    _dealer, product, member = api_shop()
    quote = sent_quote(member, product, staff_user(), net="80", quantity="2")
    client = client_for(member)
    assert [q["number"] for q in client.get("/api/v1/quotes/").json()["results"]] == [quote.number]
    detail = client.get(f"/api/v1/quotes/{quote.number}/").json()
    assert detail["versions"][0]["lines"][0]["quoted_price_net"].startswith("80")
    accepted = client.post(f"/api/v1/quotes/{quote.number}/accept/", {}, format="json", HTTP_IDEMPOTENCY_KEY="q1")
    assert accepted.status_code == 201, accepted.json()
    order = Order.objects.get(number=accepted.json()["number"])
    assert order.lines.get().unit_price_net == D("80")
    again = client.post(f"/api/v1/quotes/{quote.number}/accept/", {}, format="json", HTTP_IDEMPOTENCY_KEY="q2")
    assert again.status_code == 201 and again.json()["number"] == order.number  # the service is idempotent too
    assert Order.objects.count() == 1


def test_a_quote_that_is_not_sent_cannot_be_accepted():
    _dealer, product, member = api_shop()
    quote = sent_quote(member, product, staff_user())
    quote.status = "declined"
    quote.save()
    refused = client_for(member).post(
        f"/api/v1/quotes/{quote.number}/accept/", {}, format="json", HTTP_IDEMPOTENCY_KEY="x"
    )
    assert refused.status_code == 409 and refused.json()["code"] == "quote_refused"


def test_documents_list_detail_and_pdf():
    dealer, _product, member = api_shop()
    order = OrderFactory(dealer=dealer, placed_by=member.user)
    invoice = DealerDocument.objects.create(
        dealer=dealer, order=order, kind=DealerDocument.Kind.INVOICE, number="FTR-9", issued_on=timezone.localdate(),
        gross=D("1200.00"),
    )  # fmt: skip
    client = client_for(member)
    listed = client.get("/api/v1/documents/?kind=invoice").json()["results"]
    assert [d["number"] for d in listed] == ["FTR-9"] and listed[0]["order"] == order.number
    assert client.get("/api/v1/documents/?kind=letter").status_code == 400
    assert client.get(f"/api/v1/documents/{invoice.pk}/").json()["lines"] == []
    pdf = client.get(f"/api/v1/documents/{invoice.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")


def test_account_open_items_and_statement():
    dealer, _product, member = api_shop()
    today = timezone.localdate()
    connection = ErpConnection.objects.create(code="erp", name="ERP", adapter="file", settings={"root": "/none"})
    AccountEntry.objects.create(
        connection=connection, erp_id="J1", dealer=dealer, kind="invoice", document_number="FTR-1", posted_on=today,
        due_on=today, amount=D("500.00"), as_of=timezone.now(),
    )  # fmt: skip
    dealer.ledger_as_of = timezone.now()
    dealer.save(update_fields=["ledger_as_of"])
    client = client_for(member)
    account = client.get("/api/v1/account/").json()
    assert account["currency"] == "TRY" and account["credit"]["credit_limit"] == "100000.00"
    items = client.get("/api/v1/account/open-items/").json()
    assert [i["document_number"] for i in items["items"]] == ["FTR-1"] and items["total"] == "500.00"
    statement = client.get("/api/v1/account/statement/").json()
    assert statement["closing"] == "500.00" and statement["lines"][0]["debit"] == "500.00"
    bad = client.get("/api/v1/account/statement/?date_from=2026-12-31&date_to=2026-01-01")
    assert bad.status_code == 400 and "date_from" in bad.json()["errors"]
