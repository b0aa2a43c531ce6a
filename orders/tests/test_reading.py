"""What a dealer reads on the cart and order pages, in both languages: a message once, the note typed at checkout,
where the order stands, product names, units, VAT and dates in the reader's language, prices explained without the
price list's internal code."""

import datetime as dt
import re
import uuid
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from catalog.tests.factories import PriceListItemFactory, ProductFactory, StockLevelFactory, UnitFactory
from dealers.tests.factories import DealerAddressFactory
from orders.models import Cart, Order
from orders.pricing import cart_priced
from orders.services import cart_line_add
from orders.status import STATUS_NOTES, OrderStatus
from orders.tests.factories import OrderFactory, OrderLineFactory, buyer_of, make_shop

pytestmark = pytest.mark.django_db
D = Decimal
S = OrderStatus
US_DATE = re.compile(r"\b(0?[1-9]|1[0-2])/(0?[1-9]|[12]\d|3[01])/\d{4}\b")


@pytest.fixture
def buyer_client(client):
    dealer, product = make_shop(stock="50")
    dealer.price_list.code = "TRY-B"
    dealer.price_list.save()
    buyer = buyer_of(dealer)
    DealerAddressFactory(dealer=dealer, is_default=True, name="Merkez")
    client.force_login(buyer.user)
    client.buyer, client.product, client.dealer = buyer, product, dealer
    return client


def page(client, url, language="tr"):
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return response.content.decode()


def step(kind, amount, tr, en):
    return {"kind": kind, "amount": amount, "currency": "TRY", "tr": tr, "en": en}


def held_order(client, status=S.CLOSED, **fields):
    """An order of the signed-in buyer with one line, as placement stores it (explanation in both languages)."""
    order = OrderFactory(dealer=client.dealer, placed_by=client.buyer.user, status=status, **fields)
    OrderLineFactory(
        order=order,
        product=client.product,
        name="Kablo NYA 2x1,5 mm²",
        name_en="Cable NYA 2x1.5 mm²",
        unit_code="ADET",
        quantity=D("12"),
        vat_rate=D("20"),
        # Written before the wording changed: the price list's code in both languages, "KDV %20" in English.
        price_explanation=[
            step("list", "120.0000", "Liste TRY-B: 120,00 ₺", "List TRY-B: ₺120.00"),
            step("vat", "144.0000", "KDV %20: 144,00 ₺", "KDV %20: ₺144.00"),
        ],
    )
    return order


# -- messages --------------------------------------------------------------------------------------------------------


def test_a_message_is_shown_once_on_the_cart_page(buyer_client):
    cart_line_add(dealer_user=buyer_client.buyer, product=buyer_client.product, quantity=D("2"))
    response = buyer_client.post(reverse("orders:cart_save"), {"name": "Haftalık"}, follow=True)
    html = response.content.decode()
    assert html.count("“Haftalık”") == 1


def test_the_cart_table_sent_alone_carries_its_own_message(buyer_client):
    result = cart_line_add(dealer_user=buyer_client.buyer, product=buyer_client.product, quantity=D("2"))
    url = reverse("orders:cart_line_update", args=[result.line.pk])
    response = buyer_client.post(url, {"quantity": "-1"}, HTTP_X_FRAGMENT="cart")
    assert response.content.decode().count('class="message message--error"') == 1


# -- the order page --------------------------------------------------------------------------------------------------


def test_the_note_typed_at_checkout_is_on_the_order_page(buyer_client):
    cart_line_add(dealer_user=buyer_client.buyer, product=buyer_client.product, quantity=D("2"))
    cart = Cart.objects.get(owner=buyer_client.buyer.user, kind="active")
    buyer_client.post(
        reverse("orders:checkout"),
        {
            "delivery_address": buyer_client.dealer.addresses.get().pk,
            "payment_method": "on_account",
            "idempotency_key": str(uuid.uuid4()),
            "signature": cart_priced(dealer=buyer_client.dealer, cart=cart).signature,
            "note": "Forklift yok, elle boşaltma.",
        },
    )
    order = Order.objects.get()
    html = page(buyer_client, reverse("orders:order_detail", args=[order.number]))
    assert 'data-testid="order-note"' in html and "Forklift yok, elle boşaltma." in html


def test_an_order_without_a_note_shows_no_note(buyer_client):
    order = held_order(buyer_client, note="")
    assert 'data-testid="order-note"' not in page(buyer_client, reverse("orders:order_detail", args=[order.number]))


@pytest.mark.parametrize(
    "status, says, not_says",
    [
        (S.CLOSED, "This order is complete.", "preparing"),
        (S.INVOICED, "This order has been shipped and invoiced.", "preparing"),
        (S.SHIPPED, "This order has been shipped.", "preparing"),
        (S.IN_FULFILMENT, "The seller is preparing this order", "complete"),
        (S.CANCELLED, "This order was cancelled.", "preparing"),
    ],
)
def test_the_order_page_says_where_the_order_stands(buyer_client, status, says, not_says):
    order = held_order(buyer_client, status=status)
    html = page(buyer_client, reverse("orders:order_detail", args=[order.number]), "en")
    note = re.search(r'data-testid="status-note">([^<]*)<', html).group(1)
    assert says in note and not_says not in note


def test_every_status_has_a_note():
    assert set(STATUS_NOTES) == set(OrderStatus.values)
    assert all(str(note) for note in STATUS_NOTES.values())


def test_the_price_explanation_shows_no_price_list_code(buyer_client):
    order = held_order(buyer_client)
    url = reverse("orders:order_detail", args=[order.number])
    turkish, english = page(buyer_client, url, "tr"), page(buyer_client, url, "en")
    assert "Liste fiyatı: 120,00 ₺" in turkish and "KDV %20: 144,00 ₺" in turkish
    assert "List price: ₺120.00" in english and "VAT 20%: ₺144.00" in english
    assert "TRY-B" not in turkish and "TRY-B" not in english

    cart_line_add(dealer_user=buyer_client.buyer, product=buyer_client.product, quantity=D("2"))
    cart = page(buyer_client, reverse("orders:cart"))
    assert "Liste fiyatı" in cart and "TRY-B" not in cart


def test_an_order_reads_in_english_for_an_english_reader(buyer_client):
    order = held_order(buyer_client, placed_at=timezone.make_aware(dt.datetime(2026, 12, 7, 9, 30)))
    url = reverse("orders:order_detail", args=[order.number])
    english = page(buyer_client, url, "en")
    assert "Cable NYA 2x1.5 mm²" in english and "Kablo NYA" not in english
    assert "12 Piece" in english and "ADET" not in english
    assert ">20%<" in english and "%20" not in english
    assert "7 December 2026" in english and not US_DATE.search(english)

    turkish = page(buyer_client, url, "tr")
    assert "Kablo NYA 2x1,5 mm²" in turkish and "12 Adet" in turkish and ">%20<" in turkish
    assert "7 Aralık 2026" in turkish


def test_a_line_without_an_english_name_keeps_the_turkish_one(buyer_client):
    order = held_order(buyer_client)
    order.lines.update(name_en="")
    html = page(buyer_client, reverse("orders:order_detail", args=[order.number]), "en")
    assert "Kablo NYA 2x1,5 mm²" in html


def test_placement_keeps_the_english_name(buyer_client):
    buyer_client.product.name_en = "Cable"
    buyer_client.product.save()
    cart_line_add(dealer_user=buyer_client.buyer, product=buyer_client.product, quantity=D("2"))
    cart = Cart.objects.get(owner=buyer_client.buyer.user, kind="active")
    buyer_client.post(
        reverse("orders:checkout"),
        {
            "delivery_address": buyer_client.dealer.addresses.get().pk,
            "payment_method": "on_account",
            "idempotency_key": str(uuid.uuid4()),
            "signature": cart_priced(dealer=buyer_client.dealer, cart=cart).signature,
        },
    )
    line = Order.objects.get().lines.get()
    assert (line.name, line.name_en) == (buyer_client.product.name, "Cable")


# -- quantities in metres --------------------------------------------------------------------------------------------


def test_a_fractional_stock_reads_with_its_units_decimals_and_name(buyer_client):
    metre = UnitFactory(code="MT", name="Metre", name_en="Metre", decimals=3)
    cable = ProductFactory(sku="KBL-1", base_unit=metre, min_order_qty=D("1"), order_multiple=D("1"))
    PriceListItemFactory(price_list=buyer_client.dealer.price_list, product=cable, price=D("10"))
    StockLevelFactory(product=cable, on_hand=D("465.500"))

    html = page(buyer_client, reverse("catalog:product_detail", args=["KBL-1"]))
    total = re.search(r'data-testid="total-available">([^<]*)<', html).group(1)
    assert total == "465,5 Metre"
    assert "465,500" not in html

    response = buyer_client.post(
        reverse("orders:cart_add"), {"product": cable.pk, "quantity": "500"}, follow=True, HTTP_ACCEPT_LANGUAGE="tr"
    )
    html = response.content.decode()
    assert "Stokta yalnızca 465,5 Metre var." in html and "465,500" not in html


def test_the_product_page_and_the_cart_write_vat_and_units_in_the_readers_language(buyer_client):
    url = reverse("catalog:product_detail", args=[buyer_client.product.sku])
    english, turkish = page(buyer_client, url, "en"), page(buyer_client, url, "tr")
    assert "incl. VAT 20%" in english and "KDV %20" not in english and "net / Piece" in english
    assert "KDV %20 dahil" in turkish and "net / Adet" in turkish

    cart_line_add(dealer_user=buyer_client.buyer, product=buyer_client.product, quantity=D("2"))
    english = page(buyer_client, reverse("orders:cart"), "en")
    assert '<span class="muted">Piece</span>' in english and ">ADET<" not in english


def test_the_quick_order_preview_shows_quantities_with_their_units_name(buyer_client):
    response = buyer_client.post(
        reverse("orders:quick_order"), {"text": f"{buyer_client.product.sku} 2"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    html = response.content.decode()
    assert '<td class="num">2 Piece</td>' in html
