"""Quotes: request → price → send → revise → accept (an order at the quoted prices), decline, expiry, cancellation,
every step audited; acceptance idempotent under a race on real PostgreSQL and refused on credit hold."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.utils import timezone

from catalog.models import StockLevel
from catalog.tests.factories import ProductFactory
from dealers.models import Dealer
from dealers.tests.factories import DealerFactory
from notifications.models import Notification
from orders.exceptions import QuoteRefused
from orders.models import Cart, Order, Quote, QuoteEvent, QuoteLine, QuoteStatus
from orders.services import cart_line_add
from orders.services.quotes import (
    LinePrice,
    RequestedLine,
    quote_accept,
    quote_cancel,
    quote_decline,
    quote_price,
    quote_request,
    quote_request_from_cart,
    quote_revise,
    quote_revision_request,
    quote_send,
    quotes_expire_due,
)
from orders.status import OrderStatus
from orders.tests.factories import buyer_of, make_shop
from orders.tests.quote_factories import priced_quote, requested_quote, sent_quote, staff_user

D = Decimal
Q = QuoteStatus


@pytest.fixture
def shop(db):
    dealer, product = make_shop(stock="50", price="100")
    return dealer, product, buyer_of(dealer), staff_user()


def events(quote):
    return list(quote.events.values_list("action", "from_status", "to_status"))


# -- request -----------------------------------------------------------------------------------------------------


def test_a_cart_becomes_a_quote_request_with_targets_and_the_normal_price(shop):
    _dealer, product, buyer, _staff = shop
    quote = requested_quote(buyer, product, quantity="10", target="85")
    assert quote.status == Q.REQUESTED and quote.number == f"Q{timezone.localdate().year}-{quote.pk:06d}"
    line = QuoteLine.objects.get(version__quote=quote)
    assert (line.quantity, line.target_price, line.normal_price_net) == (D("10"), D("85"), D("100"))
    assert line.normal_explanation[0]["en"].startswith("List price")
    assert not Cart.objects.get(owner=buyer.user).lines.exists()
    assert events(quote) == [("requested", "", Q.REQUESTED)]
    assert quote.events.get().actor == buyer.user and quote.note == "Proje fiyatı lütfen"


def test_an_empty_cart_cannot_become_a_quote_request(shop):
    _dealer, _product, buyer, _staff = shop
    with pytest.raises(QuoteRefused):
        quote_request_from_cart(dealer_user=buyer, note="")
    assert not Quote.objects.exists()


def test_a_request_refuses_a_negative_target_and_a_zero_quantity(shop):
    _dealer, product, buyer, _staff = shop
    with pytest.raises(QuoteRefused):
        quote_request(dealer_user=buyer, lines=[RequestedLine(product=product, quantity=D("1"), target_price=D("-1"))])
    with pytest.raises(QuoteRefused):
        quote_request(dealer_user=buyer, lines=[RequestedLine(product=product, quantity=D("0"))])
    assert not Quote.objects.exists()


def test_the_same_product_twice_is_one_line(shop):
    _dealer, product, buyer, _staff = shop
    quote = quote_request(
        dealer_user=buyer,
        lines=[RequestedLine(product=product, quantity=D("2")), RequestedLine(product=product, quantity=D("3"))],
    )
    assert list(QuoteLine.objects.filter(version__quote=quote).values_list("quantity", flat=True)) == [D("5")]


# -- price and send ----------------------------------------------------------------------------------------------


def test_staff_price_a_line_with_a_net_price_and_stock_and_credit_are_recorded(shop):
    _dealer, product, buyer, staff = shop
    quote = requested_quote(buyer, product, quantity="10")
    version = priced_quote(quote, staff, net="80")
    quote.refresh_from_db()
    line = version.lines.get()
    assert quote.status == Q.DRAFT
    assert (line.quoted_price_net, line.quoted_price_gross, line.line_net, line.line_gross) == (
        D("80"), D("96"), D("800"), D("960"),
    )  # fmt: skip
    assert [step["kind"] for step in line.quoted_explanation] == ["list", "quoted", "vat"]
    assert line.quoted_explanation[1]["en"] == f"quoted price ({quote.number}/1): ₺80.00"
    assert (version.total_gross, version.priced_by) == (D("960.00"), staff)
    assert line.available_when_priced == D("50") and version.checks["short"] == []
    assert version.checks["credit"]["within_limit"] is True and version.checks["credit"]["exposure"]
    assert events(quote)[-1] == ("priced", Q.REQUESTED, Q.DRAFT)
    assert quote.events.last().actor == staff


def test_a_discount_comes_off_the_normal_price(shop):
    _dealer, product, buyer, staff = shop
    quote = requested_quote(buyer, product, quantity="10")
    line = priced_quote(quote, staff, percent="12.5").lines.get()
    assert (line.discount_percent, line.quoted_price_net) == (D("12.5"), D("87.5"))
    assert [step["kind"] for step in line.quoted_explanation] == ["list", "quote_discount", "vat"]


def test_a_short_line_is_recorded_when_priced(db):
    dealer, product = make_shop(stock="3", price="100")
    buyer, staff = buyer_of(dealer), staff_user()
    quote = requested_quote(buyer, product, quantity="10")
    version = priced_quote(quote, staff, net="90")
    assert version.checks["short"] == [product.sku] and version.lines.get().available_when_priced == D("3")


@pytest.mark.parametrize("given", [LinePrice(net=D("-1")), LinePrice(percent=D("100")), LinePrice()])
def test_a_bad_price_is_refused_and_nothing_changes(shop, given):
    _dealer, product, buyer, staff = shop
    quote = requested_quote(buyer, product)
    line = QuoteLine.objects.get(version__quote=quote)
    with pytest.raises(QuoteRefused):
        quote_price(quote=quote, actor=staff, prices={line.pk: given}, valid_until=timezone.localdate())
    quote.refresh_from_db()
    assert quote.status == Q.REQUESTED and QuoteLine.objects.get(pk=line.pk).quoted_price_net is None


def test_sending_freezes_the_version_and_tells_the_buyer(shop):
    _dealer, product, buyer, staff = shop
    quote = sent_quote(buyer, product, staff)
    version = quote.versions.get()
    assert quote.status == Q.SENT and version.sent_by == staff and version.sent_at is not None
    assert Notification.objects.filter(kind="quote_sent", recipient=buyer.user).exists()
    with pytest.raises(QuoteRefused, match="sent"):
        priced_quote(quote, staff, net="1")
    assert QuoteLine.objects.get(version=version).quoted_price_net == D("80")
    assert [e[0] for e in events(quote)] == ["requested", "priced", "sent"]


def test_a_quote_with_an_unpriced_line_cannot_be_sent(shop):
    _dealer, product, buyer, staff = shop
    other = ProductFactory(min_order_qty=D("1"), order_multiple=D("1"))
    quote = requested_quote(buyer, product)
    # A second line (the other product, not on the list) left without a price.
    version = quote.versions.get()
    QuoteLine.objects.create(version=version, line_no=2, product=other, quantity=D("1"))
    first = version.lines.get(line_no=1)
    quote_price(quote=quote, actor=staff, prices={first.pk: LinePrice(net=D("80"))},
                valid_until=timezone.localdate())  # fmt: skip
    with pytest.raises(QuoteRefused, match="Price every line"):
        quote_send(quote=quote, actor=staff)
    quote.refresh_from_db()
    assert quote.status == Q.DRAFT


def test_a_quote_without_a_validity_date_cannot_be_sent(shop):
    _dealer, product, buyer, staff = shop
    quote = requested_quote(buyer, product)
    line = QuoteLine.objects.get(version__quote=quote)
    quote_price(quote=quote, actor=staff, prices={line.pk: LinePrice(net=D("80"))}, valid_until=None)
    with pytest.raises(QuoteRefused, match="validity"):
        quote_send(quote=quote, actor=staff)


def test_a_request_cannot_be_sent_before_it_is_priced(shop):
    _dealer, product, buyer, staff = shop
    quote = requested_quote(buyer, product)
    with pytest.raises(QuoteRefused):
        quote_send(quote=quote, actor=staff)


# -- revision ----------------------------------------------------------------------------------------------------


def test_a_revision_makes_a_new_version_and_keeps_the_sent_one(shop):
    _dealer, product, buyer, staff = shop
    quote = sent_quote(buyer, product, staff, net="90")
    quote_revision_request(quote=quote, dealer_user=buyer, note="85 olur mu?")
    quote.refresh_from_db()
    assert quote.status == Q.REVISION_REQUESTED
    assert Notification.objects.filter(kind="quote_revision_requested", recipient=staff).exists()
    version = quote_revise(quote=quote, actor=staff)
    assert version.number == 2 and version.lines.get().quoted_price_net == D("90")
    priced_quote(quote, staff, net="85")
    quote_send(quote=quote, actor=staff)
    quote.refresh_from_db()
    first, second = quote.versions.order_by("number")
    assert first.lines.get().quoted_price_net == D("90") and second.lines.get().quoted_price_net == D("85")
    assert [e[0] for e in events(quote)] == [
        "requested", "priced", "sent", "revision_requested", "revised", "priced", "sent",
    ]  # fmt: skip
    order = quote_accept(quote=quote, dealer_user=buyer)
    assert order.lines.get().unit_price_net == D("85")


def test_a_revision_needs_a_note_and_a_sent_quote(shop):
    _dealer, product, buyer, staff = shop
    quote = sent_quote(buyer, product, staff)
    with pytest.raises(QuoteRefused):
        quote_revision_request(quote=quote, dealer_user=buyer, note="  ")
    with pytest.raises(QuoteRefused):
        quote_revise(quote=quote, actor=staff)  # sent, no revision asked
    draft = requested_quote(buyer, product)
    with pytest.raises(QuoteRefused):
        quote_revision_request(quote=draft, dealer_user=buyer, note="?")


# -- accept ------------------------------------------------------------------------------------------------------


def test_accepting_places_an_order_at_the_quoted_prices(shop):
    _dealer, product, buyer, staff = shop
    quote = sent_quote(buyer, product, staff, net="80", quantity="10")
    order = quote_accept(quote=quote, dealer_user=buyer, po_number="PO-7")
    quote.refresh_from_db()
    order.refresh_from_db()
    line = order.lines.get()
    assert quote.status == Q.ACCEPTED and quote.order == order
    assert order.status == OrderStatus.APPROVED and order.po_number == "PO-7"
    assert (line.unit_price_net, line.line_net, order.total_gross) == (D("80"), D("800"), D("960"))
    assert [step["kind"] for step in line.price_explanation] == ["list", "quoted", "vat"]
    assert StockLevel.objects.get(product=product).reserved_portal == D("10")
    assert quote.events.last().actor == buyer.user and quote.events.last().note == order.number
    assert Notification.objects.filter(kind="quote_accepted", recipient=staff).exists()


def test_accepting_twice_returns_the_same_order(shop):
    _dealer, product, buyer, staff = shop
    quote = sent_quote(buyer, product, staff)
    first = quote_accept(quote=quote, dealer_user=buyer)
    again = quote_accept(quote=quote, dealer_user=buyer)
    assert first.pk == again.pk and Order.objects.count() == 1


def test_a_quote_not_sent_cannot_be_accepted(shop):
    _dealer, product, buyer, staff = shop
    quote = requested_quote(buyer, product)
    priced_quote(quote, staff, net="80")
    with pytest.raises(QuoteRefused):
        quote_accept(quote=quote, dealer_user=buyer)
    assert not Order.objects.exists()


def test_an_expired_quote_cannot_be_accepted_and_is_marked_expired(shop):
    _dealer, product, buyer, staff = shop
    quote = sent_quote(buyer, product, staff)
    quote.versions.update(valid_until=timezone.localdate() - dt.timedelta(days=1))
    with pytest.raises(QuoteRefused, match="expired"):
        quote_accept(quote=quote, dealer_user=buyer)
    quote.refresh_from_db()
    assert quote.status == Q.EXPIRED and not Order.objects.exists()
    assert events(quote)[-1] == ("expired", Q.SENT, Q.EXPIRED)


def test_acceptance_is_refused_on_credit_hold_with_the_reason(shop):
    dealer, product, buyer, staff = shop
    quote = sent_quote(buyer, product, staff)
    Dealer.objects.filter(pk=dealer.pk).update(credit_hold=True, credit_hold_reason="Vadesi geçmiş bakiye")
    with pytest.raises(QuoteRefused, match="Vadesi geçmiş bakiye"):
        quote_accept(quote=quote, dealer_user=buyer)
    quote.refresh_from_db()
    assert quote.status == Q.SENT and not Order.objects.exists()


def test_another_dealer_cannot_accept_it(shop):
    _dealer, product, buyer, staff = shop
    quote = sent_quote(buyer, product, staff)
    stranger = buyer_of(DealerFactory())
    with pytest.raises(Quote.DoesNotExist):
        quote_accept(quote=quote, dealer_user=stranger)
    with pytest.raises(Quote.DoesNotExist):
        quote_decline(quote=quote, dealer_user=stranger)
    assert not Order.objects.exists()


def _run_together(functions):
    barrier = threading.Barrier(len(functions))
    results = [None] * len(functions)

    def runner(index, function):
        try:
            barrier.wait()
            results[index] = function()
        except Exception as error:  # collected, asserted by the test
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i, f)) for i, f in enumerate(functions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_tabs_accepting_at_once_make_one_order():
    dealer, product = make_shop(stock="50", price="100")
    buyer, staff = buyer_of(dealer), staff_user()
    quote = sent_quote(buyer, product, staff)
    results = _run_together([lambda: quote_accept(quote=Quote.objects.get(pk=quote.pk), dealer_user=buyer)] * 2)
    assert all(isinstance(r, Order) for r in results), results
    assert results[0].pk == results[1].pk and Order.objects.count() == 1
    assert StockLevel.objects.get(product=product).reserved_portal == D("10")
    assert QuoteEvent.objects.filter(quote=quote, action="accepted").count() == 1


# -- decline, expiry, cancel -------------------------------------------------------------------------------------


def test_the_dealer_declines_and_staff_hear_of_it(shop):
    _dealer, product, buyer, staff = shop
    quote = sent_quote(buyer, product, staff)
    quote_decline(quote=quote, dealer_user=buyer, note="Pahalı")
    quote.refresh_from_db()
    assert quote.status == Q.DECLINED and events(quote)[-1] == ("declined", Q.SENT, Q.DECLINED)
    assert Notification.objects.filter(kind="quote_declined", recipient=staff).exists()
    with pytest.raises(QuoteRefused):
        quote_accept(quote=quote, dealer_user=buyer)


def test_a_request_not_sent_cannot_be_declined(shop):
    _dealer, product, buyer, _staff = shop
    quote = requested_quote(buyer, product)
    with pytest.raises(QuoteRefused):
        quote_decline(quote=quote, dealer_user=buyer)


def test_sent_quotes_past_their_date_expire_once(shop):
    _dealer, product, buyer, staff = shop
    quote = sent_quote(buyer, product, staff)
    fresh = sent_quote(buyer, product, staff)
    quote.versions.update(valid_until=timezone.localdate() - dt.timedelta(days=1))
    assert quotes_expire_due() == 1
    assert quotes_expire_due() == 0
    quote.refresh_from_db()
    fresh.refresh_from_db()
    assert (quote.status, fresh.status) == (Q.EXPIRED, Q.SENT)
    # An expired quote may be priced again in a new version.
    assert quote_revise(quote=quote, actor=staff).number == 2


def test_staff_cancel_a_sent_quote_and_a_dealer_only_an_unsent_request(shop):
    _dealer, product, buyer, staff = shop
    sent = sent_quote(buyer, product, staff)
    with pytest.raises(QuoteRefused):
        quote_cancel(quote=sent, actor=buyer.user, dealer_user=buyer)
    quote_cancel(quote=sent, actor=staff, note="Fiyat listesi değişti")
    sent.refresh_from_db()
    assert sent.status == Q.CANCELLED and sent.events.last().actor == staff
    request = requested_quote(buyer, product)
    quote_cancel(quote=request, actor=buyer.user, dealer_user=buyer)
    request.refresh_from_db()
    assert request.status == Q.CANCELLED
    with pytest.raises(QuoteRefused):
        quote_cancel(quote=request, actor=staff)  # already cancelled


def test_an_accepted_quote_cannot_be_cancelled(shop):
    _dealer, product, buyer, staff = shop
    quote = sent_quote(buyer, product, staff)
    quote_accept(quote=quote, dealer_user=buyer)
    with pytest.raises(QuoteRefused):
        quote_cancel(quote=quote, actor=staff)


def test_a_product_added_after_the_request_is_not_in_the_quote(shop):
    _dealer, product, buyer, _staff = shop
    quote = requested_quote(buyer, product)
    cart_line_add(dealer_user=buyer, product=product, quantity=D("1"))
    assert QuoteLine.objects.filter(version__quote=quote).count() == 1
