"""Before "place order" the buyer is told what will happen — from the placement checks themselves — and after it,
what happens next: a held card order says why and that nothing is charged yet, a bank-transfer order shows the
seller's IBANs and the reference the bank matching recognises."""

import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from b2bportal.company import company_bank_accounts
from dealers.models import DealerUser
from dealers.tests.factories import DealerAddressFactory, DealerUserFactory
from orders.exceptions import OrderRefused
from orders.models import Cart, Order
from orders.pricing import cart_priced
from orders.services import cart_line_add
from orders.services.placement import placement_preview
from orders.status import OrderStatus
from orders.tests.factories import buyer_of, make_shop, place
from payments.matching import MatchIndex, candidates_for, payment_reference
from payments.models import BankTransaction

pytestmark = pytest.mark.django_db
D = Decimal
S = OrderStatus
M = Order.PaymentMethod
URL = reverse("orders:checkout")


def shop_client(client, *, quantity="2", approval_limit=None, **shop):
    dealer, product = make_shop(**shop)
    buyer = buyer_of(dealer, approval_limit=approval_limit)
    DealerAddressFactory(dealer=dealer, is_default=True)
    cart_line_add(dealer_user=buyer, product=product, quantity=D(quantity))
    client.force_login(buyer.user)
    client.buyer, client.dealer, client.product = buyer, dealer, product
    return client


def page(client, language="en") -> str:
    return client.get(URL, HTTP_ACCEPT_LANGUAGE=language).content.decode()


def preview_of(buyer):
    cart = Cart.objects.get(owner=buyer.user, kind=Cart.Kind.ACTIVE)
    return placement_preview(dealer_user=buyer, priced=cart_priced(dealer=buyer.dealer, cart=cart))


# -- the preview is placement's own verdict ---------------------------------------------------------------------

EXPECTED_STATUS = {
    "": {S.APPROVED, S.AWAITING_PAYMENT},
    "staff": {S.ON_HOLD},
    "dealer_approval": {S.AWAITING_DEALER_APPROVAL},
}


@pytest.mark.parametrize(
    ("shop", "method", "outcome"),
    [
        ({}, M.ON_ACCOUNT, ""),
        ({"stock": "1"}, M.CARD, "staff"),
        ({"credit_limit": "100"}, M.ON_ACCOUNT, "staff"),
        ({"credit_limit": "100"}, M.BANK_TRANSFER, ""),
        ({"approval_limit": D("10")}, M.CARD, "dealer_approval"),
        ({"credit_hold": True}, M.ON_ACCOUNT, "blocked"),
        ({"credit_hold": True}, M.CARD, ""),
    ],
)
def test_the_preview_predicts_what_placement_does(client, shop, method, outcome):
    approval_limit = shop.pop("approval_limit", None)
    client = shop_client(client, approval_limit=approval_limit, **shop)
    preview = preview_of(client.buyer)
    assert preview.outcome(method) == outcome
    if outcome == "blocked":
        with pytest.raises(OrderRefused):
            place(client.buyer, payment_method=method)
    else:
        assert place(client.buyer, payment_method=method).status in EXPECTED_STATUS[outcome]


# -- the checkout page -------------------------------------------------------------------------------------------


def test_nothing_to_warn_about_shows_no_warning(client):
    html = page(shop_client(client))
    assert 'data-testid="checkout-warnings"' not in html
    assert "not available" not in html
    assert "By card: you pay on the order&#x27;s page right after placing the order." in html


def test_short_stock_on_hold_says_staff_decide(client):
    client = shop_client(client, stock="1", quantity="3")
    html = page(client)
    assert 'data-testid="checkout-warnings"' in html
    assert f"Not enough stock for {client.product.sku} 2 short" in html
    assert "waits for our staff" in html and "backordered" not in html


def test_short_stock_with_backorders_explains_backorder(client, settings):
    settings.B2B_ORDER_RULES = {"stock": "backorder"}
    client = shop_client(client, stock="1", quantity="3")
    html = page(client)
    assert "the rest is backordered — it is delivered when stock arrives" in html
    turkish = page(client, "tr")
    assert "kalanı açık siparişe (backorder) alınır" in turkish


def test_above_the_approval_limit_names_who_approves(client):
    client = shop_client(client, approval_limit=D("100"))  # 240 gross
    dealer = client.dealer
    DealerUserFactory(dealer=dealer, role=DealerUser.Role.APPROVER, user__full_name="Ayşe Onaylı")
    DealerUserFactory(dealer=dealer, role=DealerUser.Role.ADMIN, user__full_name="Can Yönetici")
    DealerUserFactory(
        dealer=dealer, role=DealerUser.Role.APPROVER, approval_limit=D("50"), user__full_name="Limitli Lale"
    )
    DealerUserFactory(dealer=dealer, role=DealerUser.Role.APPROVER, is_active=False, user__full_name="Eski Ekrem")
    DealerUserFactory(role=DealerUser.Role.APPROVER, user__full_name="Başka Bayi")
    html = page(client)
    assert "above your approval limit of ₺100.00: it waits for your company&#x27;s approver" in html
    assert "(Ayşe Onaylı, Can Yönetici)" in html
    for name in ("Limitli Lale", "Eski Ekrem", "Başka Bayi"):
        assert name not in html


def test_credit_hold_disables_on_account_with_the_reason(client):
    client = shop_client(client, credit_hold=True)
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert "On account — not available: your account is on credit hold" in html
    radio = html[html.index('value="on_account"') - 200 : html.index('value="on_account"') + 200]
    assert "disabled" in radio
    assert response.context["form"]["payment_method"].initial == M.CARD
    cart = Cart.objects.get(owner=client.buyer.user)
    data = {
        "delivery_address": client.dealer.addresses.get().pk,
        "payment_method": M.ON_ACCOUNT,
        "idempotency_key": str(uuid.uuid4()),
        "signature": cart_priced(dealer=client.dealer, cart=cart).signature,
    }
    refused = client.post(URL, data, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 200 and not Order.objects.exists()
    assert "your account is on credit hold" in refused.content.decode()
    placed = client.post(URL, {**data, "payment_method": M.CARD}, HTTP_ACCEPT_LANGUAGE="en", follow=True)
    order = Order.objects.get()
    assert order.payment_method == M.CARD
    assert [str(m) for m in placed.context["messages"]] == [f"Order {order.number} is placed."]


def test_over_the_credit_limit_on_hold_says_staff_approve(client):
    client = shop_client(client, credit_limit="100")
    html = page(client)
    assert 'value="on_account"' in html and "not available" not in html
    assert "On account: this order is above your available credit of ₺100.00, so it waits for our staff" in html


def test_over_the_credit_limit_set_to_block_disables_on_account(client, settings):
    settings.B2B_ORDER_RULES = {"credit_limit": "block"}
    client = shop_client(client, credit_limit="100")
    assert "On account — not available: this order is above your available credit of ₺100.00" in page(client)


# -- after placing ----------------------------------------------------------------------------------------------


def test_a_held_card_order_says_why_and_what_happens_next(client):
    client = shop_client(client, stock="1")
    order = place(client.buyer, payment_method=M.CARD)
    assert order.status == S.ON_HOLD
    html = client.get(reverse("orders:order_detail", args=[order.number]), HTTP_ACCEPT_LANGUAGE="en").content
    html = html.decode()
    assert f"Insufficient stock: {client.product.sku} 1 short" in html
    assert "You pay by card here once the order is approved; nothing has been charged yet." in html
    assert 'data-testid="pay-by-card"' not in html


def test_a_card_order_awaiting_payment_says_to_pay(client):
    client = shop_client(client)
    order = place(client.buyer, payment_method=M.CARD)
    html = client.get(reverse("orders:order_detail", args=[order.number]), HTTP_ACCEPT_LANGUAGE="en").content
    assert b"the order goes on as soon as the payment is confirmed" in html and b'data-testid="pay-by-card"' in html


IBANS = "Ziraat Bankası: TR33 0006 1005 1978 6457 8413 26, Akbank: TR12 0004 6000 1234 5678 9012 34"


def test_a_bank_transfer_order_shows_the_ibans_and_the_reference(client, settings):
    settings.B2B_COMPANY_IBAN = IBANS
    client = shop_client(client)
    order = place(client.buyer, payment_method=M.BANK_TRANSFER)
    assert order.status == S.AWAITING_PAYMENT
    html = client.get(reverse("orders:order_detail", args=[order.number]), HTTP_ACCEPT_LANGUAGE="en").content
    html = html.decode()
    assert f'data-testid="payment-reference">{order.number}<' in html
    assert "Ziraat Bankası" in html and "TR33 0006 1005 1978 6457 8413 26" in html
    assert "Akbank" in html and "TR12 0004 6000 1234 5678 9012 34" in html
    assert "₺240.00" in html


def test_the_reference_shown_is_the_one_the_bank_matching_recognises(client):
    client = shop_client(client)
    order = place(client.buyer, payment_method=M.BANK_TRANSFER)
    reference = payment_reference(order)
    transfer = BankTransaction(
        amount=order.total_gross, description=f"SIPARIS ODEMESI {reference} TESEKKURLER", counterparty_name=""
    )
    [best] = candidates_for(MatchIndex(), transfer)
    assert best.dealer_id == order.dealer_id and [item.number for item in best.items] == [order.number]
    unrelated = BankTransaction(amount=D("1.00"), description="SIPARIS ODEMESI", counterparty_name="")
    assert candidates_for(MatchIndex(), unrelated) == []


def test_no_bank_details_for_other_orders(client, settings):
    settings.B2B_COMPANY_IBAN = IBANS
    client = shop_client(client)
    order = place(client.buyer, payment_method=M.ON_ACCOUNT)
    html = client.get(reverse("orders:order_detail", args=[order.number])).content.decode()
    assert 'data-testid="bank-transfer"' not in html and "TR33" not in html


@pytest.mark.parametrize(
    ("setting", "accounts"),
    [
        ("TR330006100519786457841326", [("", "TR330006100519786457841326")]),
        (" tr33 0006 1005 1978 6457 8413 26 ", [("", "TR330006100519786457841326")]),
        (IBANS, [("Ziraat Bankası", "TR330006100519786457841326"), ("Akbank", "TR120004600012345678901234")]),
        ("", []),
        (" , ", []),
    ],
)
def test_company_bank_accounts_read_one_or_several(setting, accounts):
    assert [(a.bank, a.iban) for a in company_bank_accounts(setting)] == accounts
