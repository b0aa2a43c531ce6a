"""What the ERP sync tells people: a delivery note or invoice it imports tells the buyer once, an order the ERP
cancels tells the buyer, and new records in the exception queue reach staff as one digest."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.utils import timezone

from accounts.tests.factories import UserFactory
from erpsync.adapters.base import DocumentKind, ErpDocument, ErpOrderState, ErpOrderStatus
from erpsync.importers import sync_import
from erpsync.issues import IssueDraft, sync_issues_record
from erpsync.models import ErpConnection
from notifications.models import Notification
from notifications.services import notifications_digest
from orders.services import cart_line_add
from orders.tests.factories import buyer_of, make_shop, place

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def run(erp, entity, records):
    erp.publish(entity, records)
    return sync_import(connection=erp.connection, entity=entity)


def placed(commit, language="en"):
    dealer, product = make_shop()
    buyer = buyer_of(dealer, user=UserFactory(language=language))
    cart_line_add(dealer_user=buyer, product=product, quantity=D("2"))
    with commit():
        order = place(buyer)
    mail.outbox.clear()  # the confirmation
    return order, buyer.user


def test_an_imported_delivery_note_and_invoice_tell_the_buyer_once(memory_erp, commit):
    order, buyer = placed(commit, language="tr")
    today = timezone.localdate()
    delivery = ErpDocument(
        DocumentKind.DELIVERY,
        "IRS-1",
        order.dealer.code,
        today,
        order_reference=order.number,
        carrier="Aras",
        tracking_number="123",
        tracking_url="https://kargo.example/123",
    )
    invoice = ErpDocument(
        DocumentKind.INVOICE, "FTR-1", order.dealer.code, today, order_reference=order.number, gross=D("240")
    )
    with commit():
        run(memory_erp, "delivery", [delivery])
        run(memory_erp, "invoice", [invoice])
    with commit():  # the same documents again: nobody is told twice
        run(memory_erp, "delivery", [delivery])
        run(memory_erp, "invoice", [invoice])
    subjects = sorted(m.subject for m in mail.outbox)
    assert subjects == ["FTR-1 numaralı fatura kesildi", f"{order.number} numaralı sipariş sevk edildi"]
    shipped = next(m for m in mail.outbox if "sevk" in m.subject)
    assert "Aras" in shipped.body and "https://kargo.example/123" in shipped.body
    assert {m.to[0] for m in mail.outbox} == {buyer.email}


def test_the_erp_cancelling_an_order_tells_the_buyer(memory_erp, commit):
    order, buyer = placed(commit)
    with commit():
        run(memory_erp, "order_status", [ErpOrderStatus(order.number, ErpOrderState.OPEN)])
    assert mail.outbox == []  # confirmed by the ERP: not news for the buyer
    with commit():
        run(memory_erp, "order_status", [ErpOrderStatus(order.number, ErpOrderState.CANCELLED, note="Stok yok")])
    (message,) = mail.outbox
    assert message.to == [buyer.email] and "was cancelled" in message.subject and "Stok yok" in message.body


def _staff_for_issues():
    user = UserFactory(is_staff=True, language="tr")
    user.user_permissions.add(Permission.objects.get(codename="change_syncissue"))
    return user


def test_new_sync_issues_reach_staff_in_one_digest_and_a_repeat_is_not_news(memory_erp):
    staff = _staff_for_issues()
    UserFactory(is_staff=True)  # staff without the permission: not told
    connection = memory_erp.connection
    drafts = [IssueDraft("product", "unknown_unit", f"Unknown unit KOLI-{n}", external_id=f"P{n}") for n in range(3)]
    sync_issues_record(connection=connection, drafts=drafts)
    other = ErpConnection.objects.create(code="other", name="Tryton", adapter="memory")
    sync_issues_record(connection=other, drafts=[IssueDraft("customer", "invalid_tax", "Bad VKN", external_id="C1")])
    sync_issues_record(connection=connection, drafts=drafts[:1])  # seen again while open: no new notice
    assert Notification.objects.filter(kind="sync_issues").count() == 2
    assert notifications_digest() == 1
    (message,) = mail.outbox
    assert message.to == [staff.email]
    assert message.subject == "İlgilenilmesi gereken senkronizasyon sorunları"
    html = {mime: content for content, mime in message.alternatives}["text/html"]
    for text in (message.body, html):
        assert "Memory ERP bağlantısında 3 yeni sorun" in text
        assert "Tryton bağlantısında 1 yeni sorun" in text
        assert "unknown_unit × 3" in text
    assert f"/admin/erpsync/syncissue/?connection__id__exact={connection.pk}" in message.body
    assert notifications_digest() == 0
