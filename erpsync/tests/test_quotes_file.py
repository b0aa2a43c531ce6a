"""Quotes to the ERP through the file connection: with ``quotes_to_erp: quote`` a sent quote version is written to
``outbound/quotes/`` once, and cancelling the quote writes ``outbound/quote_cancellations/`` through the outbox;
with the default (``order_only``) nothing but the accepted quote's order is pushed."""

from decimal import Decimal

import pytest
from defusedxml.ElementTree import fromstring

from erpsync.adapters.base import Capability
from erpsync.adapters.file.adapter import FileAdapter
from erpsync.common_settings import connection_settings_problems
from erpsync.models import ErpConnection, SyncJob
from erpsync.tasks import drain_outbox
from orders.models import QuoteStatus
from orders.services.quotes import quote_accept, quote_cancel, quote_revise, quote_revision_request, quote_send
from orders.tests.factories import buyer_of, make_shop
from orders.tests.quote_factories import priced_quote, sent_quote, staff_user

pytestmark = pytest.mark.django_db
D = Decimal
K = SyncJob.Kind


def _connection(tmp_path, **settings):
    root = tmp_path / "drop"
    root.mkdir()
    return ErpConnection.objects.create(
        code="files", name="Files", adapter="file", is_default=True, settings={"root": str(root), **settings}
    )


@pytest.fixture
def shop(db):
    dealer, product = make_shop(stock="50", price="100")
    return dealer, product, buyer_of(dealer), staff_user()


def test_the_file_connection_declares_quotes():
    assert Capability.QUOTES in FileAdapter.capabilities


def test_a_sent_quote_is_written_as_a_quote_document_once(tmp_path, shop, django_capture_on_commit_callbacks):
    _dealer, product, buyer, staff = shop
    connection = _connection(tmp_path, quotes_to_erp="quote")
    with django_capture_on_commit_callbacks(execute=False):
        quote = sent_quote(buyer, product, staff, net="80", quantity="10")
    job = SyncJob.objects.get(kind=K.QUOTE_EXPORT)
    assert job.identity_key == f"quote:{quote.number}-1"
    assert drain_outbox(connection.pk) == 1
    path = tmp_path / "drop" / "outbound" / "quotes" / f"{quote.number}-1.xml"
    root = fromstring(path.read_bytes())
    assert root.tag == "Quote" and root.findtext("reference") == f"{quote.number}-1"
    assert root.findtext("customer_code") == buyer.dealer.code and root.findtext("gross") == "960.00"
    line = root.find("Lines/Line")
    assert (line.findtext("product_code"), line.findtext("quantity"), line.findtext("unit_price")) == (
        product.sku, "10.000", "80.0000",
    )  # fmt: skip
    job.refresh_from_db()
    quote.refresh_from_db()
    assert job.status == SyncJob.Status.SUCCEEDED and quote.erp_document_number == f"file:{quote.number}-1"
    # Run again: the ERP does not get it twice.
    assert drain_outbox(connection.pk) == 0
    assert len(list((tmp_path / "drop" / "outbound" / "quotes").glob("*.xml"))) == 1


def test_each_version_sent_is_its_own_quote_document(tmp_path, shop):
    _dealer, product, buyer, staff = shop
    connection = _connection(tmp_path, quotes_to_erp="quote")
    quote = sent_quote(buyer, product, staff, net="90")
    quote_revision_request(quote=quote, dealer_user=buyer, note="85?")
    quote_revise(quote=quote, actor=staff)
    priced_quote(quote, staff, net="85")
    quote_send(quote=quote, actor=staff)
    drain_outbox(connection.pk)
    names = sorted(p.name for p in (tmp_path / "drop" / "outbound" / "quotes").glob("*.xml"))
    assert names == [f"{quote.number}-1.xml", f"{quote.number}-2.xml"]
    # The version replaced is cancelled in the ERP: one quote, one open quote document.
    cancelled = tmp_path / "drop" / "outbound" / "quote_cancellations" / f"{quote.number}-1.xml"
    assert fromstring(cancelled.read_bytes()).findtext("reason") == f"Replaced by {quote.number}-2."
    assert [p.name for p in cancelled.parent.glob("*.xml")] == [cancelled.name]


def test_cancelling_a_quote_the_erp_holds_cancels_it_there(tmp_path, shop):
    _dealer, product, buyer, staff = shop
    connection = _connection(tmp_path, quotes_to_erp="quote")
    quote = sent_quote(buyer, product, staff)
    drain_outbox(connection.pk)
    quote_cancel(quote=quote, actor=staff, note="Fiyatlar değişti")
    job = SyncJob.objects.get(kind=K.QUOTE_CANCEL)
    assert job.payload["reference"] == f"{quote.number}-1"
    drain_outbox(connection.pk)
    path = tmp_path / "drop" / "outbound" / "quote_cancellations" / f"{quote.number}-1.xml"
    root = fromstring(path.read_bytes())
    assert root.tag == "QuoteCancellation" and root.findtext("reason") == "Fiyatlar değişti"


def test_a_quote_cancelled_before_its_export_ran_never_reaches_the_erp(tmp_path, shop):
    _dealer, product, buyer, staff = shop
    connection = _connection(tmp_path, quotes_to_erp="quote")
    quote = sent_quote(buyer, product, staff)
    quote_cancel(quote=quote, actor=staff)
    drain_outbox(connection.pk)
    assert SyncJob.objects.get(kind=K.QUOTE_EXPORT).status == SyncJob.Status.CANCELLED
    assert not list((tmp_path / "drop" / "outbound").glob("quote*/*.xml"))


def test_order_only_pushes_the_accepted_order_and_no_quote(tmp_path, shop):
    _dealer, product, buyer, staff = shop
    connection = _connection(tmp_path)  # quotes_to_erp: order_only, the default
    quote = sent_quote(buyer, product, staff)
    order = quote_accept(quote=quote, dealer_user=buyer)
    assert not SyncJob.objects.filter(kind__in=[K.QUOTE_EXPORT, K.QUOTE_CANCEL]).exists()
    drain_outbox(connection.pk)
    assert (tmp_path / "drop" / "outbound" / "orders" / f"{order.number}.xml").is_file()
    assert not (tmp_path / "drop" / "outbound" / "quotes").exists() or not list(
        (tmp_path / "drop" / "outbound" / "quotes").glob("*.xml")
    )
    quote.refresh_from_db()
    assert quote.status == QuoteStatus.ACCEPTED


def test_a_wrong_setting_is_refused_by_the_checks(tmp_path, db):
    problems = connection_settings_problems(FileAdapter, {"root": str(tmp_path), "quotes_to_erp": "always"})
    assert any("quotes_to_erp" in str(problem) for problem in problems)
