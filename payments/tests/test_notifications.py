"""Payment notices: a payment received (card or bank transfer) tells the dealer's account readers once; the payment
link goes to the dealer's address in the recipient's language and locale with an absolute link; the staff form
picks the dealer's open invoices, a listed currency and a default expiry."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import formats, timezone, translation

from accounts.tests.factories import UserFactory
from dealers.models import DealerDocument, DealerIban, DealerUser
from dealers.tests.factories import DealerFactory, DealerUserFactory
from erpsync.models import ErpConnection
from notifications.models import Notification
from orders.models import Order
from orders.services import cart_line_add
from orders.tests.factories import buyer_of, make_shop, place
from payments.gateways.base import Outcome, OutcomeStatus
from payments.link_form import PaymentLinkForm
from payments.matching import statement_match
from payments.models import BankStatement, BankTransaction, Payment, PaymentLink
from payments.notifications import collections_notify, dealer_language
from payments.services import payment_apply, payment_link_send
from payments.views import link_url

pytestmark = pytest.mark.django_db
D = Decimal
SENDER = "TR330006100519786457841326"
_serial = itertools.count(1)


@pytest.fixture(autouse=True)
def erp(tmp_path, settings):
    settings.B2B_SITE_URL = "https://bayi.example.com"
    return ErpConnection.objects.create(
        code="files", name="Files", adapter="file", is_default=True, settings={"root": str(tmp_path)}
    )


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _html(message) -> str:
    return {mime: content for content, mime in message.alternatives}["text/html"]


def _link(dealer, **kwargs) -> PaymentLink:
    kwargs.setdefault("expires_at", timezone.now() + timedelta(days=14))
    return PaymentLink.objects.create(dealer=dealer, amount=D("1500"), invoice_numbers=["F-2026-17"], **kwargs)


# -- payment received ---------------------------------------------------------------------------------------------


def _transfer(amount, iban) -> BankTransaction:
    statement = BankStatement.objects.create(
        account_iban="TR120006200000000000000001", format="csv", file_sha256=f"{next(_serial):064d}"
    )
    return BankTransaction.objects.create(
        statement=statement,
        account_iban=statement.account_iban,
        booking_date=date(2026, 3, 2),
        amount=D(amount),
        description="CARI ODEME",
        counterparty_iban=iban,
        fingerprint=f"fp-{next(_serial)}",
    )


@pytest.mark.parametrize(
    ("language", "subject", "phrase", "amount"),
    [
        ("tr", "Ödeme alındı: 1.500,00 ₺", "firmasından bir ödeme aldık", "1.500,00 ₺"),
        ("en", "Payment received: ₺1,500.00", "We received a payment from", "₺1,500.00"),
    ],
)
def test_a_matched_transfer_tells_the_account_readers_once(commit, language, subject, phrase, amount):
    dealer = DealerFactory()
    DealerIban.objects.create(dealer=dealer, iban=SENDER)
    reader = DealerUserFactory(dealer=dealer, role=DealerUser.Role.APPROVER, user=UserFactory(language=language))
    buyer = DealerUserFactory(dealer=dealer, role=DealerUser.Role.BUYER)  # does not see the account
    _transfer("1500", SENDER)
    with commit():
        statement_match()
    with commit():
        statement_match()  # matched already: nothing new
    (message,) = mail.outbox
    assert message.to == [reader.user.email] and message.subject == subject
    with translation.override(language):
        day = formats.date_format(date(2026, 3, 2), "SHORT_DATE_FORMAT")
    for text in (message.body, _html(message)):
        assert phrase in text and amount in text and day in text and dealer.title in text
    assert "https://bayi.example.com/account/" in message.body
    assert not Notification.objects.filter(recipient=buyer.user).exists()


def test_a_collection_recorded_twice_is_told_once(commit):
    dealer = DealerFactory()
    reader = DealerUserFactory(dealer=dealer, role=DealerUser.Role.ADMIN)
    collection = (
        "payment:abc",
        1,
        {"dealer_id": dealer.pk, "amount": "10", "currency": "TRY", "received_on": "2026-03-02", "method": "card"},
    )
    with commit():
        collections_notify(collections=[collection])
        collections_notify(collections=[collection])
    assert [m.to for m in mail.outbox] == [[reader.user.email]]


def _collection(dealer, n, **payload):
    return (
        f"transfer:{n}",
        n,
        {"dealer_id": dealer.pk, "amount": "10", "currency": "TRY", "received_on": "2026-03-02", "method": "transfer"}
        | payload,
    )


def test_a_statements_collections_are_told_in_the_same_queries_however_many(commit):
    dealers = [DealerFactory() for _ in range(6)]
    readers = {dealer.pk: DealerUserFactory(dealer=dealer, role=DealerUser.Role.ADMIN) for dealer in dealers}
    for dealer in dealers:  # a buyer who may not read the account hears nothing
        DealerUserFactory(dealer=dealer, role=DealerUser.Role.BUYER)
    few = [_collection(dealers[0], 1)]
    many = [_collection(dealer, 100 + n) for n, dealer in enumerate(dealers * 5)]
    with CaptureQueriesContext(connection) as one:
        collections_notify(collections=few)
    with CaptureQueriesContext(connection) as thirty:
        collections_notify(collections=many)
    assert len(thirty) == len(one)
    with commit():
        pass
    told = Notification.objects.filter(kind="payment_received")
    assert told.count() == 31
    assert {n.recipient_id for n in told} == {reader.user_id for reader in readers.values()}


def test_collections_of_dealers_without_account_readers_tell_no_one(commit):
    dealer = DealerFactory()
    DealerUserFactory(dealer=dealer, role=DealerUser.Role.BUYER)
    DealerUserFactory(dealer=dealer, role=DealerUser.Role.ADMIN, is_active=False)
    with commit():
        assert collections_notify(collections=[_collection(dealer, 1), _collection(dealer, 2)]) == 2
    assert not Notification.objects.exists() and not mail.outbox


def test_a_collection_tells_the_buyer_of_its_own_dealers_order_only(commit):
    dealer, product = make_shop(price="250")
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=D(2))
    order = place(buyer)
    other = DealerFactory()
    reader = DealerUserFactory(dealer=other, role=DealerUser.Role.ADMIN)
    with commit():
        # Another dealer's collection naming this order number reaches that dealer's readers, not this buyer.
        collections_notify(collections=[_collection(other, 1, order_number=order.number)])
        collections_notify(collections=[_collection(dealer, 2, order_number=order.number)])
    assert set(Notification.objects.values_list("recipient_id", flat=True)) == {reader.user_id, buyer.user_id}


def test_a_card_payment_tells_the_buyer_of_the_order_it_pays(commit):
    dealer, product = make_shop(price="250")
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=D(2))
    order = place(buyer, payment_method=Order.PaymentMethod.CARD)
    payment = Payment.objects.create(
        dealer=dealer, order=order, method="card", gateway="sandbox", amount=order.total_gross, status="pending"
    )
    outcome = Outcome(
        reference=str(payment.reference),
        provider_payment_id="P-1",
        status=OutcomeStatus.SUCCEEDED,
        amount=order.total_gross,
        currency="TRY",
    )
    with commit():
        payment_apply(gateway_key="sandbox", outcome=outcome)
    received = [m for m in mail.outbox if m.to == [buyer.user.email] and "Payment received" in m.subject]
    assert len(received) == 1 and order.number in received[0].body


# -- payment link -------------------------------------------------------------------------------------------------


def test_the_link_is_written_in_the_dealers_language_not_the_staff_members():
    dealer = DealerFactory(email="muhasebe@bayi.example")
    assert dealer_language(dealer) == "en"  # nobody chose: the portal's language (English in tests)
    DealerUserFactory(dealer=dealer, role=DealerUser.Role.ADMIN, user=UserFactory(language="tr"))
    assert dealer_language(dealer) == "tr"
    DealerUserFactory(
        dealer=dealer, role=DealerUser.Role.BUYER, user=UserFactory(email="muhasebe@bayi.example", language="en")
    )
    assert dealer_language(dealer) == "en"  # the person who reads that address


@pytest.mark.parametrize(
    ("language", "subject", "phrase"),
    [
        ("tr", "Ödeme talebi: 1.500,00 ₺", "oturum açmadan kartla ödeyebilirsiniz"),
        ("en", "Payment request: ₺1,500.00", "by card with the link below, without signing in"),
    ],
)
def test_staff_create_a_link_and_it_is_mailed_once_in_the_dealers_language(
    admin_client, commit, language, subject, phrase
):
    admin_client.cookies["django_language"] = "en"  # the staff member reads English
    dealer = DealerFactory(email="muhasebe@bayi.example")
    DealerUserFactory(dealer=dealer, role=DealerUser.Role.ADMIN, user=UserFactory(language=language))
    DealerDocument.objects.create(
        dealer=dealer, kind="invoice", number="F-1", issued_on=timezone.localdate(), gross=D("1000"), currency="TRY"
    )
    DealerDocument.objects.create(
        dealer=dealer, kind="invoice", number="F-2", issued_on=timezone.localdate(), gross=D("500"), currency="TRY"
    )
    with commit():
        response = admin_client.post(
            reverse("admin:payments_paymentlink_add"),
            {"dealer": dealer.pk, "invoices": ["F-1", "F-2"], "amount": "", "currency": "TRY", "description": "",
             "expires_at_0": "2099-01-31", "expires_at_1": "10:00:00"},
        )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    link = PaymentLink.objects.get()
    assert link.amount == D("1500") and link.invoice_numbers == ["F-1", "F-2"]
    (message,) = mail.outbox
    assert message.to == ["muhasebe@bayi.example"] and message.subject == subject
    absolute = f"https://bayi.example.com{link_url(link)}"
    with translation.override(language):
        until = formats.date_format(timezone.localtime(link.expires_at), "SHORT_DATETIME_FORMAT")
    for text in (message.body, _html(message)):
        assert phrase in text and absolute in text and "F-1, F-2" in text and until in text
    assert Notification.objects.get().status == Notification.Status.SENT
    # The same link is not mailed twice by accident; staff asking again is another e-mail.
    with commit():
        admin_client.post(
            reverse("admin:payments_paymentlink_changelist"), {"action": "send_again", "_selected_action": [link.pk]}
        )
    assert len(mail.outbox) == 2


def test_the_link_stays_pending_while_the_mail_server_is_down(commit, settings):
    settings.EMAIL_BACKEND = "notifications.tests.backends.DownBackend"
    link = _link(DealerFactory(email="muhasebe@bayi.example"))
    with commit():
        assert payment_link_send(link=link, path=link_url(link)) is True
    notice = Notification.objects.get()
    assert notice.status == Notification.Status.PENDING and "Connection refused" in notice.last_error


def test_a_dealer_without_an_address_gets_no_link_mail(commit):
    link = _link(DealerFactory(email=""))
    with commit():
        assert payment_link_send(link=link, path=link_url(link)) is False
    assert mail.outbox == [] and not Notification.objects.exists()


def test_the_form_offers_the_dealers_open_invoices_listed_currencies_and_a_default_expiry(settings):
    dealer = DealerFactory(currency="EUR")
    DealerDocument.objects.create(dealer=dealer, kind="invoice", number="F-9", issued_on=timezone.localdate(),
                                  gross=D("80"), currency="EUR")  # fmt: skip
    other = DealerFactory()
    DealerDocument.objects.create(dealer=other, kind="invoice", number="X-1", issued_on=timezone.localdate(),
                                  gross=D("5"), currency="TRY")  # fmt: skip
    blank = PaymentLinkForm()
    assert blank.fields["invoices"].choices == []
    assert [code for code, _label in blank.fields["currency"].choices] == settings.B2B_CURRENCIES
    expiry = blank.fields["expires_at"].initial
    assert timedelta(days=13, hours=23) < expiry - timezone.now() <= timedelta(days=14)
    form = PaymentLinkForm(initial={"dealer": dealer.pk})
    assert [number for number, _label in form.fields["invoices"].choices] == ["F-9"]
    assert form.fields["currency"].initial == "EUR"
    refused = PaymentLinkForm(
        data={"dealer": dealer.pk, "invoices": ["X-1"], "currency": "XYZ", "expires_at_0": "2099-01-01",
              "expires_at_1": "10:00"}
    )  # fmt: skip
    assert not refused.is_valid()
    assert {"invoices", "currency"} <= set(refused.errors)
    nothing = PaymentLinkForm(
        data={"dealer": dealer.pk, "currency": "EUR", "expires_at_0": "2099-01-01", "expires_at_1": "10:00"}
    )
    assert not nothing.is_valid() and "Choose the invoices to pay or enter an amount." in str(nothing.errors)
    past = PaymentLinkForm(
        data={"dealer": dealer.pk, "amount": "5", "currency": "EUR", "expires_at_0": "2020-01-01",
              "expires_at_1": "10:00"}
    )  # fmt: skip
    assert not past.is_valid() and "expires_at" in past.errors


def test_a_saved_link_keeps_its_paid_invoices_on_the_form():
    dealer = DealerFactory()
    link = _link(dealer)  # names F-2026-17, which owes nothing (no such open invoice)
    form = PaymentLinkForm(instance=link)
    assert ("F-2026-17", "F-2026-17") in form.fields["invoices"].choices
    assert form.fields["invoices"].initial == ["F-2026-17"]
