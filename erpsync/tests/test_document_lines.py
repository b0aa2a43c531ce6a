"""Document lines from the ERP: validated, linked to products and order lines, replaced idempotently, and a document
with a bad line refused whole; the file connection's optional line columns and elements."""

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from dealers.models import DealerDocument, DealerDocumentLine
from erpsync.adapters.base import DocumentKind, ErpDocument, ErpDocumentLine
from erpsync.adapters.file import FileAdapter
from erpsync.adapters.file.writer import csv_text, drop, xml_bytes
from erpsync.importers import sync_import
from erpsync.models import SyncIssue
from erpsync.tests.test_file_adapter import doc_block
from orders.tests.factories import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db
D = Decimal


def run(erp, entity, records):
    erp.publish(entity, records)
    return sync_import(connection=erp.connection, entity=entity)


def invoice_of(order, *lines, number="FTR-1", **kw):
    values = {"order_reference": order.number, "net": D("1200"), "vat": D("240"), "gross": D("1440"), "lines": lines}
    return ErpDocument(DocumentKind.INVOICE, number, order.dealer.code, date(2026, 11, 21), **{**values, **kw})


def line(no, code, quantity="10", **kw):
    values = {"unit_price": D("100"), "vat_rate": D("20"), "net": D(quantity) * 100, "vat": D(quantity) * 20}
    return ErpDocumentLine(no, D(quantity), product_code=code, description=f"Item {code}", **{**values, **kw})


@pytest.fixture
def order():
    order = OrderFactory()
    OrderLineFactory(order=order, line_no=1)
    OrderLineFactory(order=order, line_no=2)
    return order


def test_lines_land_with_products_and_order_lines(memory_erp, order):
    first, _second = order.lines.order_by("line_no")
    result = run(
        memory_erp,
        "invoice",
        [invoice_of(order, line(1, first.sku, order_line_no=1), line(2, "UNKNOWN-SKU", "2", order_line_no=9))],
    )
    assert (result.created, result.failed) == (1, 0)
    lines = list(DealerDocument.objects.get(number="FTR-1").lines.order_by("line_no"))
    assert [(x.line_no, x.item_code, x.quantity, x.line_net) for x in lines] == [
        (1, first.sku, D("10"), D("1000")),
        (2, "UNKNOWN-SKU", D("2"), D("200")),
    ]
    assert lines[0].product_id == first.product_id and lines[0].order_line_id == first.pk
    # An unknown item code keeps its text; a line number the order does not have links nothing.
    assert lines[1].product_id is None and lines[1].order_line_id is None


def test_sending_the_same_lines_again_changes_nothing_and_new_lines_replace_the_old(memory_erp, order):
    sku = order.lines.first().sku
    document = invoice_of(order, line(1, sku), line(2, sku, "3"))
    run(memory_erp, "invoice", [document])
    ids = set(DealerDocumentLine.objects.values_list("id", flat=True))
    again = run(memory_erp, "invoice", [document])
    assert again.unchanged == 1 and set(DealerDocumentLine.objects.values_list("id", flat=True)) == ids
    changed = run(memory_erp, "invoice", [replace(document, lines=(line(1, sku, "4"),))])
    assert changed.updated == 1
    assert list(DealerDocumentLine.objects.values_list("line_no", "quantity")) == [(1, D("4"))]


def test_a_document_sent_without_lines_keeps_the_lines_it_has(memory_erp, order):
    sku = order.lines.first().sku
    run(memory_erp, "invoice", [invoice_of(order, line(1, sku))])
    run(memory_erp, "invoice", [replace(invoice_of(order), lines=None, gross=D("1500"))])
    document = DealerDocument.objects.get(number="FTR-1")
    assert document.gross == D("1500") and document.lines.count() == 1
    run(memory_erp, "invoice", [replace(invoice_of(order), lines=())])  # the ERP says: no lines
    assert document.lines.count() == 0


@pytest.mark.parametrize(
    ("bad", "code"),
    [
        (line(2, "X", "-1"), "negative_quantity"),
        (line(2, "X", vat_rate=D("120")), "value_too_large"),
        (line(2, "X", discount_percent=D("-5")), "negative_discount"),
        (line(2, "X", net=D("NaN")), "invalid_number"),
        (line(2, "X", net=D("1e12")), "invalid_number"),
        (line(2, "X", currency="EUR"), "currency_mismatch"),
        (line(2, "X" * 65), "value_too_long"),
        (replace(line(2, "X"), description="d" * 256), "value_too_long"),
        (line(1, "X"), "duplicate_line"),
        (replace(line(2, "X"), line_no=-1), "invalid_number"),
    ],
)
def test_a_bad_line_sends_the_whole_document_to_the_exception_queue(memory_erp, order, bad, code):
    good = invoice_of(order, line(1, "A"), number="FTR-OK")
    result = run(memory_erp, "invoice", [invoice_of(order, line(1, "A"), bad), good])
    assert (result.created, result.failed) == (1, 1)
    assert not DealerDocument.objects.filter(number="FTR-1").exists()
    assert DealerDocumentLine.objects.filter(document__number="FTR-OK").count() == 1
    issue = SyncIssue.objects.get(entity="invoice")
    assert issue.code == code and issue.external_id == "invoice:FTR-1"


def test_a_bad_line_in_a_known_document_leaves_its_lines_and_figures_as_they_were(memory_erp, order):
    run(memory_erp, "invoice", [invoice_of(order, line(1, "A"), line(2, "B"))])
    result = run(memory_erp, "invoice", [invoice_of(order, line(1, "A", "5"), line(2, "B", "-2"), gross=D("9"))])
    assert result.failed == 1
    document = DealerDocument.objects.get(number="FTR-1")
    assert document.gross == D("1440")
    assert list(document.lines.values_list("quantity", flat=True)) == [D("10"), D("10")]


# --- the file connection -----------------------------------------------------------------------------------


def read(root: Path, entity: str, name: str, data: bytes) -> list[ErpDocument]:
    drop(root / "inbound" / entity, name, data)
    (feed,) = FileAdapter(settings={"root": str(root)}).read(entity)
    return list(feed.records)


def test_file_documents_carry_their_lines_in_csv_and_xml(tmp_path):
    document = ErpDocument(
        DocumentKind.DELIVERY,
        "IRS-9",
        "C1",
        date(2026, 3, 4),
        lines=(ErpDocumentLine(1, D("12"), product_code="A-1", unit="ADET"), ErpDocumentLine(2, D("1.5"))),
    )
    plain = ErpDocument(DocumentKind.DELIVERY, "IRS-10", "C1", date(2026, 3, 5))
    from_csv = read(tmp_path / "csv", "delivery", "d.csv", csv_text("delivery", [document, plain]).encode())
    from_xml = read(tmp_path / "xml", "delivery", "d.xml", xml_bytes("delivery", [document, plain]))
    for records in (from_csv, from_xml):
        assert [r.number for r in records] == ["IRS-9", "IRS-10"]
        assert records[0].lines == document.lines
        assert records[1].lines is None  # no lines in the file: the portal keeps what it has


def test_a_document_file_without_line_columns_reads_one_document_per_row(tmp_path):
    text = "number;customer_code;issued_on;gross\nF-1;C1;04.03.2026;10\nF-1;C1;04.03.2026;12\n"
    records = read(tmp_path, "invoice", "i.csv", text.encode())
    assert [(r.number, r.gross, r.lines) for r in records] == [("F-1", D("10"), None), ("F-1", D("12"), None)]


@pytest.mark.parametrize("language", ["", "xml"])
def test_documented_document_lines_read_as_documented(tmp_path, language):
    block = doc_block("**document lines** example", language).strip()
    (record,) = read(tmp_path, "invoice", f"invoices.{language or 'csv'}", (block + "\n").encode())
    assert record.number == "GIB2026000000042"
    assert [(x.line_no, x.product_code, x.quantity, x.net) for x in record.lines] == [
        (1, "A-1001", D("10"), D("1000")),
        (2, "A-1002", D("4"), D("200")),
    ]
