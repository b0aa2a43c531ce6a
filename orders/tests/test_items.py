"""Which product a code means (``orders/items.py``): the dealer's own code first, then the SKU, then the GTIN and
pack barcodes — the same for quick order, the API and EDI."""

from decimal import Decimal

import pytest

from catalog.tests.factories import ProductFactory
from dealers.tests.factories import DealerFactory
from orders.items import first_known_code, item_candidates
from orders.models import DealerItemCode
from orders.quick_order import QuickOrderRow, quick_order_preview
from orders.tests.edi_factories import edi_shop

pytestmark = pytest.mark.django_db
D = Decimal


def _row(code, quantity="1", unit=""):
    return QuickOrderRow(line_no=1, sku=code, quantity=D(quantity), unit_code=unit, raw=code)


def test_own_code_wins_over_a_sku_and_a_barcode_with_the_same_spelling():
    dealer, _admin, products = edi_shop()
    ProductFactory(sku="ACME-55")
    found = item_candidates(dealer_id=dealer.pk, codes=["ACME-55", "KB-1001", "8691234500019", "8691234500026", ""])
    assert [[(c.product_id, c.matched_by) for c in hits] for hits in found] == [
        [(products["KB-3003"].pk, "dealer_code")],
        [(products["KB-1001"].pk, "sku")],
        [(products["KB-2002"].pk, "barcode")],
        [(products["KB-3003"].pk, "pack_barcode")],
        [],
    ]


def test_another_dealers_codes_are_not_read():
    _dealer, _admin, _products = edi_shop()
    stranger = DealerFactory()
    assert item_candidates(dealer_id=stranger.pk, codes=["ACME-55"]) == [[]]


def test_first_known_code_prefers_the_buyers_code_and_falls_back_to_the_first_given():
    dealer, _admin, _products = edi_shop()
    codes = first_known_code(
        dealer_id=dealer.pk, alternatives=[["NOPE", "KB-1001", "8691234500019"], ["ACME-55", "KB-1001"], ["X1", "X2"]]
    )
    assert codes == ["KB-1001", "ACME-55", "X1"]


def test_quick_order_reads_the_dealers_own_code_with_its_pack():
    dealer, admin, products = edi_shop()
    koli = products["KB-3003"].units.get().unit
    DealerItemCode.objects.create(dealer=dealer, code="ACME-KOLI", product=products["KB-3003"], unit=koli)
    lines = quick_order_preview(dealer_user=admin, rows=[_row("ACME-55", "24"), _row("acme-koli", "2")])
    assert [(line.status, line.product, line.unit) for line in lines] == [
        ("ok", products["KB-3003"], None),
        ("unknown_sku", None, None),  # own codes are matched as written, unlike SKUs
    ]
    lines = quick_order_preview(dealer_user=admin, rows=[_row("ACME-KOLI", "2")])
    assert (lines[0].status, lines[0].unit, lines[0].price.net) == ("ok", koli, D("120.00"))


def test_quick_order_of_another_dealer_does_not_know_the_code():
    _dealer, _admin, _products = edi_shop()
    _other, other_admin, _p = edi_shop(gln="8680000000020", tax_number="9876543210", skus_prefix="X")
    # The other shop's own code is XACME-55; ACME-55 is the first dealer's.
    lines = quick_order_preview(dealer_user=other_admin, rows=[_row("ACME-55", "24")])
    assert lines[0].status == "unknown_sku"
