"""Who hears of an order's moves, once, by e-mail (HTML and text) in their own language."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import formats, timezone, translation

from accounts.tests.factories import UserFactory
from dealers.models import DealerDocument, DealerUser
from dealers.tests.factories import DealerUserFactory
from notifications.models import Notification
from notifications.services import notifications_digest
from orders.notifications import documents_notify, order_status_notify
from orders.services import (
    cart_line_add,
    order_dealer_approve,
    order_dealer_cancel,
    order_dealer_reject,
    order_staff_approve,
    order_staff_reject,
    order_transition,
)
from orders.status import OrderStatus
from orders.tests.factories import OrderFactory, buyer_of, make_shop, place

pytestmark = pytest.mark.django_db
D = Decimal
S = OrderStatus


def _mails_to(user):
    return [m for m in mail.outbox if m.to == [user.email]]


def _only_mail_to(user):
    found = _mails_to(user)
    assert len(found) == 1, [m.subject for m in mail.outbox]
    message = found[0]
    html = {mime: content for content, mime in message.alternatives}["text/html"]
    return message.subject, message.body, html


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _above_limit(commit, language="en", approver_language="tr"):
    dealer, product = make_shop()
    buyer = buyer_of(dealer, approval_limit=D("100"), user=UserFactory(language=language))
    approver = DealerUserFactory(
        dealer=dealer, role=DealerUser.Role.APPROVER, user=UserFactory(language=approver_language)
    )
    cart_line_add(dealer_user=buyer, product=product, quantity=D("2"))
    with commit():
        order = place(buyer)
    assert order.status == S.AWAITING_DEALER_APPROVAL
    assert sorted(m.to[0] for m in mail.outbox) == sorted([buyer.user.email, approver.user.email])
    return order, buyer, approver


def _held(commit, language="en"):
    dealer, product = make_shop(requires_manual_review=True)
    buyer = buyer_of(dealer, user=UserFactory(language=language))
    cart_line_add(dealer_user=buyer, product=product, quantity=D("1"))
    with commit():
        order = place(buyer)
    assert order.status == S.ON_HOLD
    mail.outbox.clear()  # the buyer's confirmation
    return order, buyer


def _staff(language="en"):
    return UserFactory(is_staff=True, is_superuser=True, language=language)


@pytest.mark.parametrize(
    ("language", "subject", "phrase"),
    [
        ("tr", "numaralı sipariş onayınızı bekliyor", "onay limitinin üzerinde bir sipariş verdi"),
        ("en", "waits for your approval", "placed an order above their approval limit"),
    ],
)
def test_the_dealers_approvers_hear_of_an_order_waiting_for_them(commit, language, subject, phrase):
    order, buyer, approver = _above_limit(commit, approver_language=language)
    limited = DealerUserFactory(dealer=order.dealer, role=DealerUser.Role.APPROVER, approval_limit=D("1"))
    with commit():
        order_transition(order=order, to_status=S.ON_HOLD)  # unrelated move: no approver mail
    title, body, html = _only_mail_to(approver.user)
    mail.outbox.clear()
    assert subject in title and order.number in title
    assert phrase in body and phrase in html
    assert order.number in body and order.number in html
    assert f"http://testserver-portal.example/orders/{order.number}/" in body
    assert f'href="http://testserver-portal.example/orders/{order.number}/"' in html
    assert "http://testserver-portal.example/notifications/preferences/" in body
    assert 'href="http://testserver-portal.example/notifications/preferences/"' in html
    assert _mails_to(limited.user) == []  # their own limit is below the order
    assert not [m for m in _mails_to(buyer.user) if "approval" in m.subject]


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.B2B_SITE_URL = "http://testserver-portal.example"


@pytest.mark.parametrize(
    ("language", "subject", "phrase", "total"),
    [
        ("tr", "numaralı sipariş onaylandı", "Siparişiniz onaylandı.", "240,00 ₺"),
        ("en", "was approved", "Your order was approved.", "₺240.00"),
    ],
)
def test_the_buyer_hears_the_dealer_approved(commit, language, subject, phrase, total):
    order, buyer, approver = _above_limit(commit, language=language)
    mail.outbox.clear()
    with commit():
        order_dealer_approve(order=order, approver=approver)
    title, body, html = _only_mail_to(buyer.user)
    assert subject in title
    assert phrase in body and phrase in html
    assert total in body and total in html


@pytest.mark.parametrize(
    ("language", "subject", "phrase"),
    [
        ("tr", "numaralı sipariş reddedildi", "Siparişiniz reddedildi"),
        ("en", "was rejected", "Your order was rejected"),
    ],
)
def test_the_buyer_hears_the_rejection_with_its_reason(commit, language, subject, phrase):
    order, buyer, approver = _above_limit(commit, language=language)
    mail.outbox.clear()
    with commit():
        order_dealer_reject(order=order, approver=approver, note="Bütçe aşıldı")
    title, body, html = _only_mail_to(buyer.user)
    assert subject in title
    assert phrase in body and phrase in html
    assert "Bütçe aşıldı" in body and "Bütçe aşıldı" in html


@pytest.mark.parametrize(
    ("language", "subject", "phrase"),
    [("tr", "numaralı sipariş beklemede", "Siparişiniz beklemede"), ("en", "is on hold", "Your order is on hold")],
)
def test_the_buyer_hears_staff_hold_after_the_dealers_approval(commit, language, subject, phrase):
    dealer, product = make_shop(requires_manual_review=True)
    buyer = buyer_of(dealer, approval_limit=D("10"), user=UserFactory(language=language))
    cart_line_add(dealer_user=buyer, product=product, quantity=D("1"))
    approver = DealerUserFactory(dealer=dealer, role=DealerUser.Role.ADMIN)
    with commit():
        order = place(buyer)
    mail.outbox.clear()
    with commit():
        order_dealer_approve(order=order, approver=approver)
    title, body, html = _only_mail_to(buyer.user)
    assert subject in title
    assert phrase in body and phrase in html


def test_placement_on_hold_tells_the_buyer_nothing_more_and_staff_in_one_digest(commit):
    holder, other = _staff("en"), _staff("tr")
    orders = [_held(commit)[0] for _ in range(3)]
    # The buyers' own mail is the confirmation (which says "On hold"); no separate hold notice.
    assert not Notification.objects.filter(kind="order_held").exists()
    assert notifications_digest() == 2
    english_subject, english, english_html = _only_mail_to(holder)
    turkish_subject, turkish, _html = _only_mail_to(other)
    assert english_subject == "3 orders on hold for review"
    assert turkish_subject == "İncelemede bekleyen 3 sipariş"
    for order in orders:
        assert order.number in english and order.number in turkish and order.number in english_html
        assert f"http://testserver-portal.example/admin/orders/order/{order.pk}/change/" in english
    assert "These orders were put on hold" in english and "Bu siparişler beklemeye alındı" in turkish
    assert notifications_digest() == 0


@pytest.mark.parametrize(
    ("language", "phrase"),
    [("tr", "%(number)s numaralı sipariş onaylandı"), ("en", "Order %(number)s was approved")],
)
def test_staff_approval_tells_the_buyer(commit, language, phrase):
    order, buyer = _held(commit, language=language)
    with commit():
        order_staff_approve(order=order, actor=_staff())
    title, _body, _html = _only_mail_to(buyer.user)
    assert title == phrase % {"number": order.number}


def test_staff_rejection_is_mailed_even_when_switched_off(commit):
    order, buyer = _held(commit)
    Notification.objects.all().delete()
    buyer.user.notification_preferences.create(kind="order_rejected", email=False)
    mail.outbox.clear()
    with commit():
        order_staff_reject(order=order, actor=_staff(), note="Kredi limiti aşıldı")
    title, body, _html = _only_mail_to(buyer.user)
    assert "was rejected" in title and "Kredi limiti aşıldı" in body


def test_a_buyer_cancelling_their_own_order_is_not_told_but_a_cancel_by_the_admin_is(commit):
    dealer, product = make_shop()
    buyer = buyer_of(dealer)
    admin = DealerUserFactory(dealer=dealer, role=DealerUser.Role.ADMIN)
    for who, told in ((buyer, False), (admin, True)):
        cart_line_add(dealer_user=buyer, product=product, quantity=D("1"))
        with commit():
            order = place(buyer)
        mail.outbox.clear()
        with commit():
            order_dealer_cancel(order=order, dealer_user=who, reason="Yanlış ürün")
        cancelled = [m for m in _mails_to(buyer.user) if "cancelled" in m.subject]
        assert bool(cancelled) is told
        if told:
            assert "Yanlış ürün" in cancelled[0].body


def test_a_status_change_notified_once_even_if_the_notice_is_written_twice(commit):
    order, buyer, approver = _above_limit(commit)
    with commit():
        order_dealer_reject(order=order, approver=approver, note="No")
    change = order.status_changes.get(to_status=S.REJECTED)
    with commit():
        order_status_notify(order=order, change=change)  # a duplicated event
    assert len([m for m in _mails_to(buyer.user) if "rejected" in m.subject]) == 1
    assert Notification.objects.filter(kind="order_rejected").count() == 1


def _local_date(day, language):
    with translation.override(language):
        return formats.date_format(day, "SHORT_DATE_FORMAT")


def _document(for_order, kind, **values):
    defaults = {
        "dealer": for_order.dealer,
        "order": for_order,
        "number": f"{kind}-{for_order.pk}",
        "issued_on": timezone.localdate(),
        "as_of": timezone.now(),
    }
    return DealerDocument.objects.create(kind=kind, **{**defaults, **values})


@pytest.mark.parametrize(
    ("language", "subject", "phrase"),
    [
        ("tr", "numaralı sipariş sevk edildi", "Ürünleriniz yola çıktı."),
        ("en", "was shipped", "Your goods are on their way."),
    ],
)
def test_shipped_with_carrier_and_tracking(commit, language, subject, phrase):
    buyer = UserFactory(language=language)
    order = OrderFactory(placed_by=buyer)
    note = _document(
        order,
        DealerDocument.Kind.DELIVERY,
        carrier="Aras Kargo",
        tracking_number="AR123",
        tracking_url="https://kargo.example/AR123",
    )
    with commit():
        assert documents_notify([note]) == 1
    title, body, html = _only_mail_to(buyer)
    assert subject in title and order.number in title
    for text in (body, html):
        assert phrase in text and "Aras Kargo" in text and "AR123" in text and "https://kargo.example/AR123" in text
        assert _local_date(timezone.localdate(), language) in text


def test_a_tracking_number_arriving_later_is_told_once_more(commit):
    buyer = UserFactory()
    order = OrderFactory(placed_by=buyer)
    note = _document(order, DealerDocument.Kind.DELIVERY)
    with commit():
        documents_notify([note])
        documents_notify([note])
    note.tracking_number = "AR9"
    note.save()
    with commit():
        documents_notify([note])
        documents_notify([note])
    assert len(_mails_to(buyer)) == 2
    assert "AR9" in _mails_to(buyer)[-1].body


@pytest.mark.parametrize(
    ("language", "subject", "total"),
    [("tr", "numaralı fatura kesildi", "1.200,00 ₺"), ("en", "was issued", "₺1,200.00")],
)
def test_invoiced(commit, language, subject, total):
    buyer = UserFactory(language=language)
    order = OrderFactory(placed_by=buyer)
    invoice = _document(
        order, DealerDocument.Kind.INVOICE, gross=D("1200"), currency="TRY", due_on=timezone.localdate()
    )
    with commit():
        documents_notify([invoice])
    title, body, html = _only_mail_to(buyer)
    assert subject in title and invoice.number in title
    assert total in body and total in html and order.number in body


def test_old_documents_and_documents_without_an_order_go_to_the_right_people(commit):
    buyer = UserFactory()
    order = OrderFactory(placed_by=buyer)
    admin = DealerUserFactory(dealer=order.dealer, role=DealerUser.Role.ADMIN)
    plain_buyer = DealerUserFactory(dealer=order.dealer, role=DealerUser.Role.BUYER)
    old = _document(order, DealerDocument.Kind.INVOICE, issued_on=timezone.localdate() - timedelta(days=30))
    loose = _document(order, DealerDocument.Kind.INVOICE, number="F-LOOSE", order=None)
    with commit():
        assert documents_notify([old, loose]) == 1
    assert _mails_to(buyer) == []  # history from the ERP's archive tells nobody
    assert len(_mails_to(admin.user)) == 1 and _mails_to(plain_buyer.user) == []
