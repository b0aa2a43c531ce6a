"""Quotes on a schedule and who hears of them: the hourly task (installed after ``migrate``) expires sent quotes past
their date and reminds dealers a few days before; staff who price quotes hear of new requests in one digest, a
dealer's sales representative of their own dealers' requests only."""

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.utils import timezone
from django.utils.module_loading import import_string
from django_q.models import Schedule

from accounts.tests.factories import UserFactory
from dealers.models import SalesRep
from notifications.models import Notification
from notifications.services import notifications_digest
from orders.models import QuoteStatus
from orders.quote_tasks import SCHEDULES, schedules_install
from orders.services.quotes import quote_revise, quote_revision_request, quote_send, quotes_remind_expiring
from orders.tests.factories import buyer_of, make_shop
from orders.tests.quote_factories import priced_quote, requested_quote, sent_quote, staff_user

D = Decimal
Q = QuoteStatus


@pytest.fixture
def shop(db):
    dealer, product = make_shop(stock="50", price="100")
    return dealer, product, buyer_of(dealer), staff_user()


def _valid_until(quote, days):
    quote.versions.update(valid_until=timezone.localdate() + dt.timedelta(days=days))


# -- the schedule ----------------------------------------------------------------------------------------------------


def test_the_quote_schedule_is_installed_once_and_expires_due_quotes(shop):
    _dealer, product, buyer, staff = shop
    Schedule.objects.filter(name__startswith="orders:").delete()
    schedules_install()
    schedules_install()
    installed = Schedule.objects.get(name="orders:quotes")
    assert set(Schedule.objects.filter(name__startswith="orders:").values_list("name", flat=True)) == set(SCHEDULES)
    assert (installed.schedule_type, installed.minutes, installed.repeats) == (Schedule.MINUTES, 60, -1)
    due, fresh = sent_quote(buyer, product, staff), sent_quote(buyer, product, staff)
    _valid_until(due, -1)

    # What the worker runs: the schedule's function, by its dotted path.
    assert import_string(installed.func)() == 1
    assert import_string(installed.func)() == 0
    due.refresh_from_db()
    fresh.refresh_from_db()
    assert (due.status, fresh.status) == (Q.EXPIRED, Q.SENT)
    assert due.events.last().action == "expired" and due.events.last().actor is None


def test_migrate_installs_the_schedule(db):
    # pytest-django migrated the test database: post_migrate ran schedules_install.
    assert Schedule.objects.filter(name="orders:quotes", func="orders.quote_tasks.quotes_due").exists()


# -- reminders before expiry -----------------------------------------------------------------------------------------


def test_the_dealer_is_reminded_once_a_few_days_before_expiry(shop, settings):
    _dealer, product, buyer, staff = shop
    settings.QUOTE_REMINDER_DAYS = 3
    soon, later = sent_quote(buyer, product, staff), sent_quote(buyer, product, staff)
    _valid_until(soon, 2)
    _valid_until(later, 10)

    assert import_string(SCHEDULES["orders:quotes"][0])() == 0  # nothing expired
    assert import_string(SCHEDULES["orders:quotes"][0])() == 0
    reminders = Notification.objects.filter(kind="quote_expiring")
    assert [(n.recipient, n.params["quote_id"]) for n in reminders] == [(buyer.user, soon.pk)]
    assert reminders.get().url == f"/orders/quotes/{soon.number}/"


def test_no_reminder_for_a_quote_answered_expired_or_when_switched_off(shop):
    _dealer, product, buyer, staff = shop
    answered = sent_quote(buyer, product, staff)
    quote_revision_request(quote=answered, dealer_user=buyer, note="Daha iyi fiyat?")
    past = sent_quote(buyer, product, staff)
    for quote in (answered, past):
        _valid_until(quote, 1)
    _valid_until(past, -1)
    assert quotes_remind_expiring(days=3) == 0
    live = sent_quote(buyer, product, staff)
    _valid_until(live, 1)
    assert quotes_remind_expiring(days=0) == 0
    assert not Notification.objects.filter(kind="quote_expiring").exists()
    assert quotes_remind_expiring(days=3) == 1


def test_a_new_version_sent_is_reminded_again(shop):
    _dealer, product, buyer, staff = shop
    quote = sent_quote(buyer, product, staff)
    _valid_until(quote, 1)
    quotes_remind_expiring(days=3)
    quote_revision_request(quote=quote, dealer_user=buyer, note="Miktar 20 olsun")
    quote_revise(quote=quote, actor=staff)
    priced_quote(quote, staff, net="75", days=2)
    quote_send(quote=quote, actor=staff)
    quotes_remind_expiring(days=3)
    assert sorted(n.params["version"] for n in Notification.objects.filter(kind="quote_expiring")) == [1, 2]


@pytest.mark.parametrize(
    ("language", "subject", "phrase"),
    [("en", "is valid until", "accept it before then"), ("tr", "tarihine kadar geçerli", "o tarihten önce kabul")],
)
def test_the_reminder_speaks_the_dealers_language(db, language, subject, phrase, django_capture_on_commit_callbacks):
    dealer, product = make_shop(stock="50", price="100")
    buyer = buyer_of(dealer, user=UserFactory(language=language))
    quote = sent_quote(buyer, product, staff_user())
    _valid_until(quote, 2)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        quotes_remind_expiring(days=3)
    [message] = [m for m in mail.outbox if buyer.user.email in m.to]
    assert quote.number in message.subject and subject in message.subject
    assert phrase in message.body


# -- staff hear of new requests --------------------------------------------------------------------------------------


def _sales_rep(dealer, *, code, may_price=True):
    user = UserFactory(is_staff=True, language="tr")
    if may_price:
        user.user_permissions.add(Permission.objects.get(codename="price_quote"))
    rep = SalesRep.objects.create(code=code, name=f"Plasiyer {code}", user=user)
    dealer.sales_rep = rep
    dealer.save(update_fields=["sales_rep"])
    return user


def test_staff_who_price_quotes_hear_of_requests_in_one_digest(shop):
    dealer, product, buyer, staff = shop
    other_dealer, _other_product = make_shop()
    own_rep = _sales_rep(dealer, code="PL-1")
    other_rep = _sales_rep(other_dealer, code="PL-2")
    viewer = UserFactory(is_staff=True)  # may look at quotes but not price them
    viewer.user_permissions.add(Permission.objects.get(codename="view_quote"))
    first = requested_quote(buyer, product, note="Proje için 10 adet")
    second = requested_quote(buyer, product, quantity="5", note="")

    told = Notification.objects.filter(kind="quote_requested")
    assert set(told.values_list("recipient", flat=True)) == {staff.pk, own_rep.pk}
    assert all(n.digest for n in told)
    assert not told.filter(recipient__in=[other_rep, viewer]).exists()

    mail.outbox.clear()
    assert notifications_digest() == 2
    [english] = [m for m in mail.outbox if staff.email in m.to]
    [turkish] = [m for m in mail.outbox if own_rep.email in m.to]
    assert english.subject == "2 new quote requests"
    assert turkish.subject == "2 yeni teklif talebi"
    for quote in (first, second):
        assert quote.number in english.body and quote.number in turkish.body
        assert f"/admin/orders/quote/{quote.pk}/change/" in english.body
    assert "Proje için 10 adet" in english.body
    assert "they wait to be priced" in english.body and "fiyatlandırılmayı bekliyorlar" in turkish.body
    assert notifications_digest() == 0


def test_a_sales_rep_without_the_pricing_permission_is_not_told(shop):
    dealer, product, buyer, _staff = shop
    rep = _sales_rep(dealer, code="PL-3", may_price=False)
    requested_quote(buyer, product)
    assert not Notification.objects.filter(kind="quote_requested", recipient=rep).exists()


def test_a_revision_request_tells_the_staff_member_who_sent_it(shop):
    _dealer, product, buyer, staff = shop
    colleague = staff_user()
    quote = sent_quote(buyer, product, staff)
    quote_revision_request(quote=quote, dealer_user=buyer, note="Teslim süresi kısalsın")
    told = Notification.objects.filter(kind="quote_revision_requested")
    assert list(told.values_list("recipient", flat=True)) == [staff.pk]
    assert not told.filter(recipient=colleague).exists()
    assert told.get().params["note"] == "Teslim süresi kısalsın"
