"""Back-in-stock alerts: asking on an out-of-stock product (list row and product page), the user's own alerts page
and cancelling, and the scheduled check that tells each user once — in the portal and by e-mail in their language —
when the product can be ordered again by their dealer, never twice for one return."""

from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_q.models import Schedule

from catalog.models import Product, StockAlert, StockLevel
from catalog.stock_alert_tasks import SCHEDULES, stock_alerts_due
from catalog.stock_alerts import StockAlertRefused, stock_alert_cancel, stock_alert_subscribe, stock_alerts_check
from catalog.tests.factories import PriceListFactory, PriceListItemFactory, ProductFactory, StockLevelFactory
from dealers.models import Dealer
from dealers.tests.factories import DealerFactory, DealerUserFactory
from notifications.models import Notification

pytestmark = pytest.mark.django_db
D = Decimal
ALERTS = "/catalog/alerts/"
NEW = "/catalog/alerts/new/"


def priced(price_list, sku, *, stock="0"):
    product = ProductFactory(sku=sku)
    PriceListItemFactory(price_list=price_list, product=product, price=D("10"))
    StockLevelFactory(product=product, on_hand=D(stock))
    return product


def restock(product, on_hand="20"):
    StockLevel.objects.filter(product=product).update(on_hand=D(on_hand))


def told(user):
    return list(Notification.objects.filter(recipient=user, kind="stock_back").values_list("params__sku", flat=True))


@pytest.fixture
def out(shop):
    return priced(shop.price_list, "OUT-1")


# -- asking -----------------------------------------------------------------------------------------------------


def test_the_list_row_and_product_page_offer_the_alert_on_out_of_stock_products_only(dealer_client, shop, out):
    priced(shop.price_list, "IN-1", stock="5")
    html = dealer_client.get("/catalog/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert html.count('data-testid="stock-alert"') == 1
    page = dealer_client.get(reverse("catalog:product_detail", args=["OUT-1"]), HTTP_ACCEPT_LANGUAGE="en")
    assert 'data-testid="stock-alert"' in page.content.decode()
    assert (
        'data-testid="stock-alert"'
        not in dealer_client.get(reverse("catalog:product_detail", args=["IN-1"])).content.decode()
    )


def test_asking_from_the_list_sets_one_alert_and_the_product_page_says_so(dealer_client, shop, out):
    for _ in range(2):
        response = dealer_client.post(
            NEW, {"product": out.pk, "next": "/catalog/"}, HTTP_ACCEPT_LANGUAGE="en", follow=True
        )
    assert response.redirect_chain[-1][0] == "/catalog/"
    assert "OUT-1: we will tell you when it is back in stock." in response.content.decode()
    assert StockAlert.objects.filter(user=dealer_client.dealer_user.user, product=out, notified_at=None).count() == 1
    html = dealer_client.get(reverse("catalog:product_detail", args=["OUT-1"])).content.decode()
    assert 'data-testid="stock-alert-set"' in html and 'data-testid="stock-alert"' not in html


def test_a_product_in_stock_or_not_in_the_dealers_catalogue_is_refused(dealer_user):
    dealer_user.dealer.price_list = PriceListFactory()
    dealer_user.dealer.save()
    in_stock = priced(dealer_user.dealer.price_list, "IN", stock="5")
    theirs = priced(PriceListFactory(), "THEIRS")
    with pytest.raises(StockAlertRefused):
        stock_alert_subscribe(dealer_user=dealer_user, product=in_stock)
    with pytest.raises(StockAlertRefused):
        stock_alert_subscribe(dealer_user=dealer_user, product=theirs)
    assert not StockAlert.objects.exists()


def test_a_missing_product_is_refused_by_the_view(dealer_client, shop):
    response = dealer_client.post(NEW, {"product": "999999"}, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    assert "This product is not available to you." in response.content.decode()
    assert not StockAlert.objects.exists()


# -- my alerts ----------------------------------------------------------------------------------------------------


def test_my_alerts_lists_only_my_own_and_cancelling_removes_it(dealer_client, shop, out):
    mine = stock_alert_subscribe(dealer_user=dealer_client.dealer_user, product=out)
    colleague = DealerUserFactory(dealer=shop)
    theirs = stock_alert_subscribe(dealer_user=colleague, product=priced(shop.price_list, "OTHER"))
    html = dealer_client.get(ALERTS, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "OUT-1" in html and "OTHER" not in html and "Waiting for stock" in html
    # Another user's alert cannot be cancelled, by the page or the service.
    dealer_client.post(reverse("catalog:stock_alert_cancel", args=[theirs.pk]))
    assert StockAlert.objects.filter(pk=theirs.pk).exists()
    with pytest.raises(StockAlertRefused):
        stock_alert_cancel(dealer_user=dealer_client.dealer_user, alert_id=theirs.pk)
    dealer_client.post(reverse("catalog:stock_alert_cancel", args=[mine.pk]))
    assert not StockAlert.objects.filter(pk=mine.pk).exists()
    empty = dealer_client.get(ALERTS, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="no-stock-alerts"' in empty


def test_my_alerts_page_is_constant_in_queries(dealer_client, shop):
    def queries(count):
        for n in range(count):
            stock_alert_subscribe(
                dealer_user=dealer_client.dealer_user, product=priced(shop.price_list, f"P{count}-{n}")
            )
        with CaptureQueriesContext(connection) as captured:
            response = dealer_client.get(ALERTS)
        return len(captured), response.content.decode().count('data-testid="stock-alert-row"')

    queries(1)
    few, many = queries(2), queries(20)
    assert few[1] == 3 and many[1] == 23 and few[0] == many[0]


# -- being told ---------------------------------------------------------------------------------------------------


def test_told_once_when_the_product_returns_in_the_users_language(dealer_user, settings):
    dealer_user.dealer.price_list = PriceListFactory()
    dealer_user.dealer.save()
    dealer_user.user.language = "en"
    dealer_user.user.save()
    product = priced(dealer_user.dealer.price_list, "BACK-1")
    stock_alert_subscribe(dealer_user=dealer_user, product=product)
    assert stock_alerts_check() == 0  # still out: nothing
    restock(product)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("notifications.services.async_task", lambda *args, **kwargs: None)
        assert stock_alerts_check() == 1
    assert told(dealer_user.user) == ["BACK-1"]
    alert = StockAlert.objects.get()
    assert alert.notified_at is not None and not alert.is_open
    notice = Notification.objects.get(kind="stock_back")
    assert notice.language == "en" and notice.url == reverse("catalog:product_detail", args=["BACK-1"])
    from notifications.services import notification_send

    assert notification_send(notice.pk)
    assert mail.outbox[-1].subject.startswith("Back in stock: BACK-1")
    # Running again, even after the stock moves, tells nobody again.
    restock(product, "0")
    restock(product, "30")
    assert stock_alerts_check() == 0 and stock_alerts_due() == 0
    assert told(dealer_user.user) == ["BACK-1"]


def test_asking_again_after_being_told_opens_a_new_round(dealer_user):
    dealer_user.dealer.price_list = PriceListFactory()
    dealer_user.dealer.save()
    product = priced(dealer_user.dealer.price_list, "AGAIN")
    stock_alert_subscribe(dealer_user=dealer_user, product=product)
    restock(product)
    stock_alerts_check()
    restock(product, "0")
    again = stock_alert_subscribe(dealer_user=dealer_user, product=product)
    assert again.is_open and StockAlert.objects.count() == 1
    restock(product)
    assert stock_alerts_check() == 1
    assert told(dealer_user.user) == ["AGAIN", "AGAIN"]


def test_a_closed_alert_is_never_told_twice_even_if_checked_concurrently(dealer_user):
    dealer_user.dealer.price_list = PriceListFactory()
    dealer_user.dealer.save()
    product = priced(dealer_user.dealer.price_list, "ONCE")
    alert = stock_alert_subscribe(dealer_user=dealer_user, product=product)
    restock(product)
    from catalog import stock_alerts

    assert stock_alerts._close_and_notify([alert.pk]) == 1
    # A second checker that found the same alert back before the first closed it adds nothing.
    assert stock_alerts._close_and_notify([alert.pk]) == 0
    assert told(dealer_user.user) == ["ONCE"]


def test_stock_only_in_a_quarantine_warehouse_is_not_a_return(dealer_user):
    dealer_user.dealer.price_list = PriceListFactory()
    dealer_user.dealer.save()
    product = priced(dealer_user.dealer.price_list, "QUAR")
    stock_alert_subscribe(dealer_user=dealer_user, product=product)
    StockLevelFactory(product=product, on_hand=D("50"), warehouse__is_sellable=False)
    assert stock_alerts_check() == 0
    assert StockAlert.objects.get().is_open


def test_a_product_back_in_stock_but_no_longer_for_this_dealer_tells_only_the_dealer_who_can_order_it(dealer_user):
    shared = PriceListFactory()
    dealer_user.dealer.price_list = shared
    dealer_user.dealer.save()
    other_user = DealerUserFactory(dealer=DealerFactory(price_list=shared))
    product = priced(shared, "SHARED")
    stock_alert_subscribe(dealer_user=dealer_user, product=product)
    stock_alert_subscribe(dealer_user=other_user, product=product)
    # The first dealer moves to a price list without the product: not in its catalogue any more.
    dealer_user.dealer.price_list = PriceListFactory()
    dealer_user.dealer.save()
    restock(product)
    assert stock_alerts_check() == 1
    assert told(other_user.user) == ["SHARED"] and told(dealer_user.user) == []
    assert StockAlert.objects.get(user=dealer_user.user).is_open


def test_inactive_products_users_and_dealers_are_not_told(dealer_user):
    dealer_user.dealer.price_list = PriceListFactory()
    dealer_user.dealer.save()
    product = priced(dealer_user.dealer.price_list, "GONE")
    stock_alert_subscribe(dealer_user=dealer_user, product=product)
    restock(product)
    Product.objects.filter(pk=product.pk).update(status=Product.Status.INACTIVE)
    assert stock_alerts_check() == 0
    Product.objects.filter(pk=product.pk).update(status=Product.Status.ACTIVE)
    Dealer.objects.filter(pk=dealer_user.dealer_id).update(status=Dealer.Status.INACTIVE)
    assert stock_alerts_check() == 0
    Dealer.objects.filter(pk=dealer_user.dealer_id).update(status=Dealer.Status.ACTIVE)
    assert stock_alerts_check() == 1


def test_many_alerts_are_checked_in_batches(dealer_user):
    dealer_user.dealer.price_list = PriceListFactory()
    dealer_user.dealer.save()
    products = [priced(dealer_user.dealer.price_list, f"B{n}") for n in range(7)]
    for product in products:
        stock_alert_subscribe(dealer_user=dealer_user, product=product)
    for product in products[::2]:
        restock(product)
    assert stock_alerts_check(batch=2) == 4
    assert sorted(told(dealer_user.user)) == ["B0", "B2", "B4", "B6"]


def test_the_schedule_is_installed_by_migrate():
    assert Schedule.objects.filter(name__in=list(SCHEDULES), func=SCHEDULES["catalog:stock-alerts"][0]).count() == 1


def test_a_user_who_moved_to_another_dealer_is_told_only_after_asking_there(dealer_user):
    shared = PriceListFactory()
    dealer_user.dealer.price_list = shared
    dealer_user.dealer.save()
    product = priced(shared, "MOVED")
    stock_alert_subscribe(dealer_user=dealer_user, product=product)
    dealer_user.dealer = DealerFactory(price_list=shared)
    dealer_user.save()
    restock(product)
    assert stock_alerts_check() == 0  # asked for the former dealer
    restock(product, "0")
    stock_alert_subscribe(dealer_user=dealer_user, product=product)
    restock(product)
    assert stock_alerts_check() == 1
    assert StockAlert.objects.get().dealer_id == dealer_user.dealer_id
