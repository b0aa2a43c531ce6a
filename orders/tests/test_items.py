"""Which product a code means (``orders/items.py``): the dealer's own code first, then the SKU, then the GTIN and
pack barcodes — the same for quick order, the API and EDI."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.tests.factories import ProductFactory, ProductUnitFactory
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


def test_a_code_shared_by_a_product_barcode_and_a_pack_barcode_gives_both_product_first():
    _dealer, _admin, products = edi_shop()
    other = ProductFactory(sku="ZZ-9")
    ProductUnitFactory(product=other, factor=D("6"), barcode="8691234500019")
    found = item_candidates(dealer_id=None, codes=["8691234500019", "0000000000000", " kb-1001 "[1:-1]])
    assert [[(c.product_id, c.matched_by) for c in hits] for hits in found] == [
        [(products["KB-2002"].pk, "barcode"), (other.pk, "pack_barcode")],
        [],
        [(products["KB-1001"].pk, "sku")],
    ]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the plans are PostgreSQL's")
def test_codes_are_looked_up_through_the_indexes_not_by_reading_the_catalogue():
    """A purchasing system's order names its lines by SKU or GTIN: each lookup reads an index, so an order costs
    the same in a catalogue of 100 products and of 100,000."""
    edi_shop()
    with CaptureQueriesContext(connection) as captured:
        item_candidates(dealer_id=None, codes=["kb-1001", "8691234500019", "8691234500026"])
    lookups = [q["sql"] for q in captured.captured_queries if "catalog_product" in q["sql"]]
    assert len(lookups) == 2, lookups
    with connection.cursor() as cursor:
        # Only the lookups an index condition allows: a plan that read every row would be a sequential scan.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        plans = []
        for sql in lookups:
            cursor.execute("EXPLAIN " + sql)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
    assert "Bitmap Index Scan on product_sku_key_idx" in plans[0], plans[0]
    assert "Seq Scan" not in plans[1], plans[1]
    assert "Bitmap Index Scan on catalog_product_barcode" in plans[1], plans[1]
    assert "Bitmap Index Scan on catalog_productunit_barcode" in plans[1], plans[1]


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
