"""Every declared kind renders in both languages: a subject, a text part and an HTML part, each in the recipient's
language (the Turkish and English e-mails differ, the HTML says its language), with the facts of the event."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.tests.factories import UserFactory
from catalog.tests.factories import ProductFactory
from dealers.models import DealerAddress, DealerDocument, DealerInvitation, DealerUser
from notifications.kinds import all_kinds
from notifications.models import Notification
from notifications.rendering import digest_message, message, title
from orders.models import Cart, Quote, RecurringOrder, RecurringRun
from orders.tests.factories import OrderFactory
from payments.models import PaymentLink

pytestmark = pytest.mark.django_db

# A phrase each kind's text part carries, per language (the subject is checked to differ between the two).
PHRASES = {
    "order_awaiting_approval": ("onay limitinin üzerinde", "above their approval limit"),
    "order_approved": ("Siparişiniz onaylandı.", "Your order was approved."),
    "order_held": ("Siparişiniz beklemede", "Your order is on hold"),
    "order_rejected": ("Siparişiniz reddedildi", "Your order was rejected"),
    "order_cancelled": ("Siparişiniz iptal edildi", "Your order was cancelled"),
    "order_shipped": ("Ürünleriniz yola çıktı.", "Your goods are on their way."),
    "order_invoiced": ("Firmanız adına bir fatura kesildi.", "An invoice was issued to your company."),
    "payment_received": ("bir ödeme aldık", "We received a payment from"),
    "payment_link": ("kartla ödeyebilirsiniz", "by card with the link below"),
    "order_held_staff": ("Bu siparişler beklemeye alındı", "These orders were put on hold"),
    "sync_issues": ("istisna kuyruğunda bekliyorlar", "wait in the exception queue"),
    "quote_sent": ("İstediğiniz teklif hazır", "The quote you asked for is ready"),
    "quote_accepted": ("Bayi teklifi kabul etti", "The dealer accepted the quote"),
    "quote_declined": ("Bayi teklifi reddetti", "The dealer declined the quote"),
    "quote_revision_requested": ("yeni bir sürümünü istiyor", "asks for a new version of the quote"),
    "quote_requested": ("fiyatlandırılmayı bekliyorlar", "they wait to be priced"),
    "quote_expiring": ("o tarihten önce kabul edin", "accept it before then"),
    "dealer_invitation": ("Parolanızı bu bağlantıyla belirleyin", "Choose your password with this link"),
    "address_decided": ("Önerdiğiniz teslimat adresi onaylandı", "The delivery address you proposed was approved"),
    "recurring_placed": ("bugünkü fiyatlarla yeniden sipariş edildi", "was ordered again as scheduled"),
    "recurring_skipped": ("Bayi kredi blokajında: overdue", "Dealer on credit hold: overdue"),
    "stock_back": ("yeniden stokta ve sipariş edilebilir", "is back in stock and can be ordered again"),
    "webhook_endpoint_disabled": ("art arda 20 kez başarısız oldu", "failed 20 times in a row"),
}


@pytest.fixture
def params():
    order = OrderFactory(placed_by=UserFactory(), po_number="PO-77")
    today = timezone.localdate()
    delivery = DealerDocument.objects.create(
        dealer=order.dealer, order=order, kind="delivery", number="IRS-5", issued_on=today, as_of=timezone.now(),
        carrier="Yurtiçi", tracking_number="YK-1", tracking_url="https://kargo.example/YK-1",
    )  # fmt: skip
    invoice = DealerDocument.objects.create(
        dealer=order.dealer, order=order, kind="invoice", number="FTR-5", issued_on=today, as_of=timezone.now(),
        gross=Decimal("1200"), currency="TRY",
    )  # fmt: skip
    link = PaymentLink.objects.create(
        dealer=order.dealer, amount=Decimal("750"), expires_at=timezone.now() + timedelta(days=14)
    )
    on_order = {"order_id": order.pk, "reason": "Kontrol", "status": "approved"}
    received = {"dealer_id": order.dealer_id, "amount": "1200.00", "currency": "TRY", "received_on": today.isoformat(),
                "method": "transfer", "order_number": order.number, "invoice_numbers": ["FTR-5"]}  # fmt: skip
    issues = {"connection": "SAP", "count": 2, "entities": ["product"], "codes": [["unknown_unit", 2]],
              "example": "Unit XX"}  # fmt: skip
    quote = Quote.objects.create(number="Q2026-000077", dealer=order.dealer, requested_by=order.placed_by)
    on_quote = {"quote_id": quote.pk, "note": "85 olur mu?", "version": 1}
    invited = DealerUser.objects.create(user=UserFactory(), dealer=order.dealer)
    invitation = DealerInvitation.objects.create(dealer_user=invited, expires_at=timezone.now() + timedelta(days=7))
    address = DealerAddress.objects.create(dealer=order.dealer, name="Yeni Depo", line1="Sanayi Cad. 5", city="Bursa")
    saved = Cart.objects.create(dealer=order.dealer, owner=order.placed_by, kind=Cart.Kind.SAVED, name="Haftalık")
    recurring = RecurringOrder.objects.create(
        dealer=order.dealer, owner=order.placed_by, saved_list=saved, start_date=today
    )
    placed = RecurringRun.objects.create(recurring=recurring, run_on=today, outcome="placed", order=order)
    skipped = RecurringRun.objects.create(
        recurring=recurring,
        run_on=today + timedelta(days=7),
        outcome="skipped",
        reasons=[{"rule": "credit_hold", "passed": False, "action": "block", "details": {"reason": "overdue"}}],
    )
    product = ProductFactory(sku="KBL-9", name="Kablo", name_en="Cable")
    back = {"product_id": product.pk, "sku": product.sku, "name": product.name, "name_en": product.name_en}
    return {
        "order": order,
        "by_kind": {
            "stock_back": back,
            "quote_sent": on_quote,
            "quote_accepted": on_quote,
            "quote_declined": on_quote,
            "quote_revision_requested": on_quote,
            "quote_requested": on_quote,
            "quote_expiring": {**on_quote, "valid_until": (today + timedelta(days=3)).isoformat()},
            "order_awaiting_approval": on_order,
            "order_approved": on_order,
            "order_held": on_order,
            "order_rejected": on_order,
            "order_cancelled": on_order,
            "order_held_staff": on_order,
            "order_shipped": {"document_id": delivery.pk},
            "order_invoiced": {"document_id": invoice.pk},
            "payment_received": received,
            "payment_link": {"link_id": link.pk},
            "sync_issues": issues,
            "dealer_invitation": {"invitation_id": invitation.pk},
            "address_decided": {"address_id": address.pk, "approved": True, "note": ""},
            "recurring_placed": {"run_id": placed.pk},
            "recurring_skipped": {"run_id": skipped.pk},
            "webhook_endpoint_disabled": {"address": "https://erp.example.com/hooks/b2b", "failures": 20},
        },
    }


def _render(kind, language, kind_params):
    notice = Notification(
        kind=kind.key, key=f"{kind.key}:{language}", email="okur@example.com", language=language,
        params=kind_params, url="/orders/", digest=kind.digest,
    )  # fmt: skip
    email = digest_message(kind, [notice]) if kind.digest else message(notice)
    html = {mime: content for content, mime in email.alternatives}["text/html"]
    return email.subject, email.body, html, notice


def test_every_kind_is_covered_here():
    assert {kind.key for kind in all_kinds()} == set(PHRASES)


@pytest.mark.parametrize("kind", all_kinds(), ids=lambda kind: kind.key)
def test_each_kind_in_both_languages_with_html_and_text(kind, params):
    rendered = {}
    for language, phrase in zip(("tr", "en"), PHRASES[kind.key], strict=True):
        subject, body, html, notice = _render(kind, language, params["by_kind"][kind.key])
        assert subject and "\n" not in subject
        assert phrase in body, body
        assert phrase in html or phrase.replace("'", "&#x27;") in html
        assert f'<html lang="{language}">' in html
        assert "{%" not in body and "{{" not in body and "{%" not in html
        rendered[language] = (subject, body)
        assert title(notice)  # the portal list's title renders too
    assert rendered["tr"][0] != rendered["en"][0]
    if kind.key.startswith("order_") and kind.key not in ("order_shipped", "order_invoiced"):
        number = params["order"].number
        assert number in rendered["tr"][1] and number in rendered["en"][1]


def test_subjects_are_plain_text_and_the_html_escapes_them():
    order = OrderFactory(placed_by=UserFactory(), dealer__title="Öz & Yıldız <Ltd>")
    notice = Notification(
        kind="order_held_staff", key="x", email="okur@example.com", language="en", params={"order_id": order.pk}
    )
    assert title(notice) == f"Order {order.number} of Öz & Yıldız <Ltd> is on hold for review"
    email = message(Notification(kind="order_rejected", key="y", email="a@example.com", language="en",
                                 params={"order_id": order.pk, "reason": "<script>x</script>"}))  # fmt: skip
    html = email.alternatives[0][0]
    assert "Öz &amp; Yıldız &lt;Ltd&gt;" in html and "<script>" not in html
    assert "Öz & Yıldız <Ltd>" in email.body and "<script>x</script>" in email.body
