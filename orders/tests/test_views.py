"""Dealer cart, checkout, order history and decision pages: thin views over the services, scoped to the dealer."""

import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from dealers.models import DealerUser
from dealers.tests.factories import DealerAddressFactory, DealerUserFactory
from orders.models import Cart, CartLine, Order
from orders.pricing import cart_priced
from orders.services import cart_line_add
from orders.status import OrderStatus
from orders.tests.factories import buyer_of, make_shop, place

pytestmark = pytest.mark.django_db
D = Decimal
S = OrderStatus


@pytest.fixture
def buyer_client(client):
    dealer, product = make_shop(stock="50")
    buyer = buyer_of(dealer)
    DealerAddressFactory(dealer=dealer, is_default=True, name="Merkez")
    client.force_login(buyer.user)
    client.buyer, client.product, client.dealer = buyer, product, dealer
    return client


def test_cart_page_reprices_every_time(buyer_client):
    cart_line_add(dealer_user=buyer_client.buyer, product=buyer_client.product, quantity=D("2"))
    html = buyer_client.get(reverse("orders:cart"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "₺240.00" in html
    buyer_client.product.price_items.update(price=D("50"))
    html = buyer_client.get(reverse("orders:cart"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "₺120.00" in html


def test_line_update_answers_fetch_with_the_table(buyer_client):
    result = cart_line_add(dealer_user=buyer_client.buyer, product=buyer_client.product, quantity=D("2"))
    url = reverse("orders:cart_line_update", args=[result.line.pk])
    response = buyer_client.post(url, {"quantity": "5"}, HTTP_X_FRAGMENT="cart", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200 and 'id="cart-table"' in response.content.decode()
    assert "<html" not in response.content.decode()
    assert CartLine.objects.get().quantity == D("5")
    buyer_client.post(url, {"remove": "1"})
    assert not CartLine.objects.exists()


@pytest.mark.parametrize("quantity", ["-1", "abc", "99999999999", "1.5"])
def test_bad_line_quantities_change_nothing(buyer_client, quantity):
    result = cart_line_add(dealer_user=buyer_client.buyer, product=buyer_client.product, quantity=D("2"))
    buyer_client.post(reverse("orders:cart_line_update", args=[result.line.pk]), {"quantity": quantity})
    assert CartLine.objects.get().quantity == D("2")


def test_another_users_cart_line_cannot_be_changed(buyer_client):
    other = buyer_of(buyer_client.dealer)
    result = cart_line_add(dealer_user=other, product=buyer_client.product, quantity=D("2"))
    buyer_client.post(reverse("orders:cart_line_update", args=[result.line.pk]), {"quantity": "9"})
    assert CartLine.objects.get().quantity == D("2")


def checkout_post(client, **overrides):
    cart = Cart.objects.get(owner=client.buyer.user, kind="active")
    data = {
        "delivery_address": client.dealer.addresses.get().pk,
        "payment_method": "on_account",
        "idempotency_key": str(uuid.uuid4()),
        "signature": cart_priced(dealer=client.dealer, cart=cart).signature,
    }
    data.update(overrides)
    return client.post(reverse("orders:checkout"), data, HTTP_ACCEPT_LANGUAGE="en"), data


def test_checkout_places_the_order_once_for_a_double_submit(buyer_client):
    cart_line_add(dealer_user=buyer_client.buyer, product=buyer_client.product, quantity=D("2"))
    assert buyer_client.get(reverse("orders:checkout")).status_code == 200
    response, data = checkout_post(buyer_client)
    order = Order.objects.get()
    assert response["Location"] == reverse("orders:order_detail", args=[order.number])
    again = buyer_client.post(reverse("orders:checkout"), data)
    assert again.status_code == 302 and Order.objects.count() == 1


def test_checkout_shows_changed_prices_and_asks_again(buyer_client):
    cart_line_add(dealer_user=buyer_client.buyer, product=buyer_client.product, quantity=D("2"))
    response, _data = checkout_post(buyer_client, signature="old")
    assert response.status_code == 200
    assert 'data-testid="prices-changed"' in response.content.decode()
    assert not Order.objects.exists()


def test_checkout_refuses_another_dealers_address(buyer_client):
    cart_line_add(dealer_user=buyer_client.buyer, product=buyer_client.product, quantity=D("2"))
    response, _data = checkout_post(buyer_client, delivery_address=DealerAddressFactory().pk)
    assert response.status_code == 200 and not Order.objects.exists()


def test_tampered_product_ids_in_the_cart_add_post_change_nothing(buyer_client):
    response = buyer_client.post(reverse("orders:cart_add"), {"product": "999999", "quantity": "1"})
    assert response.status_code == 302 and not CartLine.objects.exists()


def test_order_history_filters_and_buyer_scope(buyer_client):
    cart_line_add(dealer_user=buyer_client.buyer, product=buyer_client.product, quantity=D("1"))
    mine = place(buyer_client.buyer, po_number="PO-77")
    colleague = buyer_of(buyer_client.dealer)
    cart_line_add(dealer_user=colleague, product=buyer_client.product, quantity=D("1"))
    theirs = place(colleague)
    page = buyer_client.get(reverse("orders:order_list")).context["page"]
    assert [o.number for o in page] == [mine.number]
    assert buyer_client.get(reverse("orders:order_detail", args=[theirs.number])).status_code == 404
    assert [o.number for o in buyer_client.get(reverse("orders:order_list"), {"q": "po-7"}).context["page"]] == [
        mine.number
    ]
    assert not list(buyer_client.get(reverse("orders:order_list"), {"status": "rejected"}).context["page"])


def test_cancel_from_the_detail_page(buyer_client):
    cart_line_add(dealer_user=buyer_client.buyer, product=buyer_client.product, quantity=D("1"))
    order = place(buyer_client.buyer)
    detail = buyer_client.get(reverse("orders:order_detail", args=[order.number]))
    assert 'data-testid="cancel-form"' in detail.content.decode()
    buyer_client.post(reverse("orders:order_cancel", args=[order.number]), {"note": "changed my mind"})
    order.refresh_from_db()
    assert order.status == S.CANCELLED


def test_dealer_approver_page_and_decision(client):
    dealer, product = make_shop()
    buyer = buyer_of(dealer, approval_limit=D("10"))
    cart_line_add(dealer_user=buyer, product=product, quantity=D("1"))
    order = place(buyer)
    approver = DealerUserFactory(dealer=dealer, role=DealerUser.Role.APPROVER)
    client.force_login(approver.user)
    assert [o.number for o in client.get(reverse("orders:approvals")).context["orders"]] == [order.number]
    client.post(reverse("orders:order_approve", args=[order.number]))
    order.refresh_from_db()
    assert order.status == S.APPROVED


def test_a_buyer_cannot_approve_through_the_url(client):
    dealer, product = make_shop()
    buyer = buyer_of(dealer, approval_limit=D("10"))
    cart_line_add(dealer_user=buyer, product=product, quantity=D("1"))
    order = place(buyer)
    client.force_login(buyer.user)
    client.post(reverse("orders:order_approve", args=[order.number]))
    order.refresh_from_db()
    assert order.status == S.AWAITING_DEALER_APPROVAL


def test_reorder_fills_the_cart_and_shows_price_changes(buyer_client):
    cart_line_add(dealer_user=buyer_client.buyer, product=buyer_client.product, quantity=D("3"))
    order = place(buyer_client.buyer)
    buyer_client.product.price_items.update(price=D("110"))
    response = buyer_client.post(reverse("orders:reorder", args=[order.number]), follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert CartLine.objects.get(cart__kind="active").quantity == D("3")
    assert "₺100.00 on the earlier order, ₺110.00 today" in response.content.decode()


def test_saved_list_round_trip(buyer_client):
    cart_line_add(dealer_user=buyer_client.buyer, product=buyer_client.product, quantity=D("3"))
    buyer_client.post(reverse("orders:cart_save"), {"name": "Haftalık"})
    saved = Cart.objects.get(kind="saved")
    buyer_client.post(reverse("orders:cart_empty"))
    buyer_client.post(reverse("orders:cart_load", args=[saved.pk]))
    assert CartLine.objects.get(cart__kind="active").quantity == D("3")


def test_order_pdf_download(buyer_client):
    cart_line_add(dealer_user=buyer_client.buyer, product=buyer_client.product, quantity=D("1"))
    order = place(buyer_client.buyer)
    response = buyer_client.get(reverse("orders:order_pdf", args=[order.number]))
    assert response["Content-Type"] == "application/pdf" and response.content.startswith(b"%PDF-")


def test_quick_order_previews_then_adds_the_accepted_lines(buyer_client):
    sku = buyer_client.product.sku
    text = f"{sku} 2\nNOPE-1 5"
    preview = buyer_client.post(reverse("orders:quick_order"), {"text": text}, HTTP_ACCEPT_LANGUAGE="en")
    assert [p.status for p in preview.context["preview"]] == ["ok", "unknown_sku"]
    assert not CartLine.objects.exists()
    buyer_client.post(reverse("orders:quick_order"), {"text": text, "confirm": "1"})
    assert CartLine.objects.get().quantity == D("2")


def test_quick_order_file_upload(buyer_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = f"Stok Kodu;Miktar\n{buyer_client.product.sku};2,0\n".encode("cp1254")
    upload = SimpleUploadedFile("siparis.csv", data, content_type="text/csv")
    response = buyer_client.post(reverse("orders:quick_order"), {"file": upload, "confirm": "1"})
    assert response.status_code == 302
    assert CartLine.objects.get().quantity == D("2")


def test_detail_page_shows_the_erp_delivery_with_its_tracking_link(buyer_client):
    from datetime import date

    from dealers.models import DealerDocument

    cart_line_add(dealer_user=buyer_client.buyer, product=buyer_client.product, quantity=D("1"))
    order = place(buyer_client.buyer)
    url = reverse("orders:order_detail", args=[order.number])
    assert "IRS-77" not in buyer_client.get(url).content.decode()
    DealerDocument.objects.create(
        dealer=buyer_client.dealer,
        order=order,
        kind="delivery",
        number="IRS-77",
        issued_on=date(2026, 11, 20),
        carrier="Aras",
        tracking_number="TRK9",
        tracking_url="https://kargo.example/TRK9",
    )
    html = buyer_client.get(url, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "IRS-77" in html and 'href="https://kargo.example/TRK9"' in html and "TRK9" in html


def test_the_approvers_page_shows_the_reasons_and_the_lines(client):
    dealer, product = make_shop()
    buyer = buyer_of(dealer, approval_limit=D("10"))
    cart_line_add(dealer_user=buyer, product=product, quantity=D("3"))
    order = place(buyer)
    approver = DealerUserFactory(dealer=dealer, role=DealerUser.Role.APPROVER)
    client.force_login(approver.user)
    html = client.get(reverse("orders:approvals"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert order.number in html
    assert "Above the buyer&#x27;s approval limit of ₺10.00" in html
    assert 'data-testid="approval-lines"' in html and product.sku in html and "360.00" in html
