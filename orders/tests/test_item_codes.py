"""The dealer admin's item codes: saved through ``dealer_item_code_set`` (a product the dealer may see, a unit it
is sold in), listed and removed on the portal page, never another dealer's."""

import pytest

from dealers.models import DealerUser
from dealers.tests.factories import DealerUserFactory
from orders.items import ItemCodeRefused, dealer_item_code_set
from orders.models import DealerItemCode
from orders.tests.edi_factories import edi_shop

pytestmark = pytest.mark.django_db
URL = "/orders/item-codes/"


def test_a_code_is_saved_for_a_visible_product_and_a_sold_pack():
    dealer, admin, products = edi_shop()
    item = dealer_item_code_set(dealer_user=admin, code=" ACME-K ", sku="KB-3003", unit_code="koli")
    assert (item.dealer, item.code, item.product, item.unit.code) == (dealer, "ACME-K", products["KB-3003"], "KOLI")
    again = dealer_item_code_set(dealer_user=admin, code="ACME-K", sku="KB-1001")
    assert again.pk == item.pk and again.product == products["KB-1001"] and again.unit is None


@pytest.mark.parametrize(
    ("code", "sku", "unit", "says"),
    [
        ("", "KB-1001", "", "at most 64"),
        ("ACME-1", "KB-0000", "", "KB-0000 can be ordered"),
        ("ACME-1", "KB-1001", "KOLI", "not sold in unit KOLI"),
    ],
)
def test_a_code_is_refused_with_the_reason(code, sku, unit, says):
    _dealer, admin, _products = edi_shop()
    with pytest.raises(ItemCodeRefused, match=says):
        dealer_item_code_set(dealer_user=admin, code=code, sku=sku, unit_code=unit)
    assert not DealerItemCode.objects.exclude(code="ACME-55").exists()


def test_a_hidden_product_answers_like_an_unknown_one():
    _dealer, admin, products = edi_shop()
    products["KB-1001"].status = "inactive"
    products["KB-1001"].save()
    with pytest.raises(ItemCodeRefused, match="KB-1001 can be ordered"):
        dealer_item_code_set(dealer_user=admin, code="ACME-1", sku="KB-1001")


def test_the_page_lists_adds_and_removes_only_this_dealers_codes(client):
    dealer, admin, _products = edi_shop()
    _other, other_admin, _p = edi_shop(gln="8680000000020", tax_number="9876543210", skus_prefix="X")
    client.force_login(admin.user)
    page = client.get(URL, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200 and b"ACME-55" in page.content and b"XACME-55" not in page.content
    added = client.post(URL, {"code": "ACME-9", "sku": "KB-2002", "unit": ""})
    assert added.status_code == 302 and DealerItemCode.objects.filter(dealer=dealer, code="ACME-9").exists()
    refused = client.post(URL, {"code": "ACME-10", "sku": "KB-0000", "unit": ""}, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 200 and b"KB-0000" in refused.content
    foreign = DealerItemCode.objects.get(code="XACME-55")
    assert client.post(f"{URL}{foreign.pk}/delete/").status_code == 404
    own = DealerItemCode.objects.get(code="ACME-9")
    assert client.post(f"{URL}{own.pk}/delete/").status_code == 302
    assert not DealerItemCode.objects.filter(pk=own.pk).exists() and other_admin is not None


def test_a_buyer_cannot_open_the_page(client):
    dealer, _admin, _products = edi_shop()
    buyer = DealerUserFactory(dealer=dealer, role=DealerUser.Role.BUYER)
    client.force_login(buyer.user)
    assert client.get(URL).status_code == 403
