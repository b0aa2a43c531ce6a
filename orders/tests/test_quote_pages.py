"""The dealer's quote pages: asking from the cart and from a quick-order paste, the list and the page in the reader's
language, the PDF, accept / decline / revision, another dealer's 404, and query counts that do not grow with rows."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.tests.factories import PriceListItemFactory, ProductFactory, StockLevelFactory
from dealers.models import Dealer
from dealers.tests.factories import DealerAddressFactory, DealerFactory
from orders.models import Order, Quote, QuoteLine, QuoteStatus
from orders.quote_documents import quote_html
from orders.services import cart_line_add
from orders.services.quotes import LinePrice, quote_accept, quote_price, quote_request_from_cart, quote_send
from orders.tests.factories import buyer_of, make_shop
from orders.tests.quote_factories import sent_quote, staff_user

pytestmark = pytest.mark.django_db
D = Decimal
Q = QuoteStatus


@pytest.fixture
def buyer_client(client):
    dealer, product = make_shop(stock="50", price="100")
    buyer = buyer_of(dealer)
    DealerAddressFactory(dealer=dealer, is_default=True, name="Merkez")
    client.force_login(buyer.user)
    client.buyer, client.dealer, client.product = buyer, dealer, product
    return client


def test_the_cart_asks_for_a_quote_with_a_note_and_target_prices(buyer_client):
    buyer, product = buyer_client.buyer, buyer_client.product
    line = cart_line_add(dealer_user=buyer, product=product, quantity=D("12")).line
    page = buyer_client.get(reverse("orders:cart"), HTTP_ACCEPT_LANGUAGE="en")
    assert 'data-testid="request-quote"' in page.content.decode()
    response = buyer_client.post(reverse("orders:quote_from_cart"), {"note": "Proje için", f"target_{line.pk}": "87,5"})
    quote = Quote.objects.get()
    assert response.status_code == 302 and response.url == reverse("orders:quote_detail", args=[quote.number])
    assert quote.note == "Proje için" and QuoteLine.objects.get().target_price == D("87.5")


def test_a_bad_target_price_asks_nothing(buyer_client):
    line = cart_line_add(dealer_user=buyer_client.buyer, product=buyer_client.product, quantity=D("2")).line
    response = buyer_client.post(reverse("orders:quote_from_cart"), {f"target_{line.pk}": "-3"})
    assert response.status_code == 302 and response.url == reverse("orders:cart")
    assert not Quote.objects.exists()


def test_a_quick_order_paste_becomes_a_quote_request(buyer_client):
    sku = buyer_client.product.sku
    response = buyer_client.post(
        reverse("orders:quick_order"), {"text": f"{sku} 30\nNOPE-1 2", "quote": "1", "quote_note": "Acil"}
    )
    quote = Quote.objects.get()
    assert response.status_code == 302 and response.url == reverse("orders:quote_detail", args=[quote.number])
    assert list(QuoteLine.objects.values_list("product__sku", "quantity")) == [(sku, D("30"))]
    assert quote.note == "Acil"


PAGE_WORDS = [("en", "Sent", "Accept and order"), ("tr", "Gönderildi", "Kabul et ve sipariş ver")]


@pytest.mark.parametrize(("language", "status", "accept"), PAGE_WORDS)
def test_the_quote_page_in_the_readers_language(buyer_client, language, status, accept):
    quote = sent_quote(buyer_client.buyer, buyer_client.product, staff_user(), net="80")
    page = buyer_client.get(reverse("orders:quote_detail", args=[quote.number]), HTTP_ACCEPT_LANGUAGE=language)
    html = page.content.decode()
    assert page.status_code == 200 and status in html and accept in html
    assert 'data-testid="quote-accept-form"' in html and "960" in html


def test_accepting_on_the_page_places_the_order_and_shows_it(buyer_client):
    quote = sent_quote(buyer_client.buyer, buyer_client.product, staff_user(), net="80")
    url = reverse("orders:quote_accept", args=[quote.number])
    response = buyer_client.post(url, {"payment_method": "on_account", "po_number": "PO-9"})
    order = Order.objects.get()
    assert response.status_code == 302 and response.url == reverse("orders:order_detail", args=[order.number])
    again = buyer_client.post(url, {"payment_method": "on_account"})  # the second tab
    assert again.url == response.url and Order.objects.count() == 1
    page = buyer_client.get(reverse("orders:quote_detail", args=[quote.number]), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert order.number in html and 'data-testid="shipped"' in html and 'data-testid="remaining"' in html


def test_the_page_shows_shipped_and_remaining_of_the_order(buyer_client):
    quote = sent_quote(buyer_client.buyer, buyer_client.product, staff_user(), net="80", quantity="10")
    order = quote_accept(quote=quote, dealer_user=buyer_client.buyer)
    order.lines.update(shipped_qty=D("4"))
    page = buyer_client.get(reverse("orders:quote_detail", args=[quote.number]), HTTP_ACCEPT_LANGUAGE="en")
    html = page.content.decode()
    assert '<td class="num" data-testid="shipped">4</td>' in html
    assert '<td class="num" data-testid="remaining">6</td>' in html


def test_acceptance_on_credit_hold_says_why(buyer_client):
    quote = sent_quote(buyer_client.buyer, buyer_client.product, staff_user())
    Dealer.objects.filter(pk=buyer_client.dealer.pk).update(credit_hold=True, credit_hold_reason="Vadesi geçmiş")
    response = buyer_client.post(
        reverse("orders:quote_accept", args=[quote.number]), {"payment_method": "on_account"}, follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )  # fmt: skip
    assert "Your account is on credit hold: Vadesi geçmiş." in response.content.decode()
    assert not Order.objects.exists()


def test_decline_and_revision_on_the_page(buyer_client):
    staff = staff_user()
    first = sent_quote(buyer_client.buyer, buyer_client.product, staff)
    second = sent_quote(buyer_client.buyer, buyer_client.product, staff)
    buyer_client.post(reverse("orders:quote_decline", args=[first.number]), {"note": "Pahalı"})
    buyer_client.post(reverse("orders:quote_revision", args=[second.number]), {"note": "75 olur mu?"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (Q.DECLINED, Q.REVISION_REQUESTED)
    # A revision without a note is refused, and nothing changes.
    third = sent_quote(buyer_client.buyer, buyer_client.product, staff)
    buyer_client.post(reverse("orders:quote_revision", args=[third.number]), {"note": ""})
    third.refresh_from_db()
    assert third.status == Q.SENT


def test_the_dealer_cancels_a_request_not_yet_priced(buyer_client):
    cart_line_add(dealer_user=buyer_client.buyer, product=buyer_client.product, quantity=D("2"))
    quote = quote_request_from_cart(dealer_user=buyer_client.buyer)
    buyer_client.post(reverse("orders:quote_cancel", args=[quote.number]))
    quote.refresh_from_db()
    assert quote.status == Q.CANCELLED


def test_another_dealer_gets_404_everywhere(buyer_client, client):
    quote = sent_quote(buyer_client.buyer, buyer_client.product, staff_user())
    stranger = buyer_of(DealerFactory())
    client.force_login(stranger.user)
    for name in ("quote_detail", "quote_pdf"):
        assert client.get(reverse(f"orders:{name}", args=[quote.number])).status_code == 404
    for name in ("quote_accept", "quote_decline", "quote_revision", "quote_cancel"):
        response = client.post(reverse(f"orders:{name}", args=[quote.number]), {"payment_method": "on_account",
                                                                                  "note": "x"})  # fmt: skip
        assert response.status_code == 404
    assert client.get(reverse("orders:quote_list")).content.decode().count(quote.number) == 0
    quote.refresh_from_db()
    assert quote.status == Q.SENT and not Order.objects.exists()


@pytest.mark.parametrize(("language", "title", "valid"), [("tr", "Teklif", "Geçerlilik tarihi"),
                                                          ("en", "Quote", "Valid until")])  # fmt: skip
def test_the_quote_document_in_the_readers_language(buyer_client, language, title, valid):
    quote = sent_quote(buyer_client.buyer, buyer_client.product, staff_user(), net="80")
    html = quote_html(quote=quote, language=language)
    assert f"<h1>{title}</h1>" in html and valid in html and quote.number in html
    assert "Teslim 5 iş günü" in html  # the terms
    response = buyer_client.get(reverse("orders:quote_pdf", args=[quote.number]), HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


# -- query counts ----------------------------------------------------------------------------------------------


def _quote_with_lines(client, count: int, first: int) -> Quote:
    dealer, buyer = client.dealer, client.buyer
    for n in range(first, first + count):
        product = ProductFactory(sku=f"QQ-{n:03d}", min_order_qty=D("1"), order_multiple=D("1"))
        PriceListItemFactory(price_list=dealer.price_list, product=product, price=D("100"))
        StockLevelFactory(product=product, on_hand=D("500"))
        cart_line_add(dealer_user=buyer, product=product, quantity=D("3"))
    quote = quote_request_from_cart(dealer_user=buyer)
    staff = staff_user()
    lines = quote.versions.get().lines.all()
    quote_price(quote=quote, actor=staff, prices={line.pk: LinePrice(net=D("90")) for line in lines},
                valid_until=dealer.created_at.date().replace(year=2099))  # fmt: skip
    quote_send(quote=quote, actor=staff)
    return quote


def _queries(client, url: str, marker: str, expected: int) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert response.content.decode().count(marker) == expected
    return len(captured)


def test_quote_page_queries_do_not_grow_with_lines(buyer_client):
    few = _quote_with_lines(buyer_client, 2, 0)
    many = _quote_with_lines(buyer_client, 20, 100)
    # The first page of a session records the language and fills the units' cache.
    buyer_client.get(reverse("orders:quote_detail", args=[few.number]), HTTP_ACCEPT_LANGUAGE="en")
    small = _queries(buyer_client, reverse("orders:quote_detail", args=[few.number]), "QQ-", 2)
    large = _queries(buyer_client, reverse("orders:quote_detail", args=[many.number]), "QQ-", 20)
    assert small == large, (small, large)


def test_quote_list_queries_do_not_grow_with_quotes(buyer_client):
    staff = staff_user()
    sent_quote(buyer_client.buyer, buyer_client.product, staff)
    buyer_client.get(reverse("orders:quote_list"), HTTP_ACCEPT_LANGUAGE="en")  # the first request records more
    small = _queries(buyer_client, reverse("orders:quote_list"), "/orders/quotes/Q", 1)
    for _ in range(10):
        sent_quote(buyer_client.buyer, buyer_client.product, staff)
    large = _queries(buyer_client, reverse("orders:quote_list"), "/orders/quotes/Q", 11)
    assert small == large, (small, large)
