"""Delivery notes, invoices and credit memos through a profile, with their lines: one row per line, grouped into one
document per number; a profile mapping half a line is refused at save."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

pytest.register_assert_rewrite("erpsync.tests.contract")

from erpsync.adapters.base import Capability, DocumentKind, ErpDocument, ErpDocumentLine, FeedError  # noqa: E402
from erpsync.adapters.profile.settings import profile_problems  # noqa: E402
from erpsync.simulators.nebim import NebimSimulator  # noqa: E402
from erpsync.tests.nebim_side import NebimErpSide, nebim_profile  # noqa: E402

D = Decimal


@pytest.fixture(params=["token", "session"])
def side(request):
    with NebimSimulator(mode=request.param) as sim:
        yield NebimErpSide(sim)


def read_all(side: NebimErpSide, entity: str) -> list:
    with side.make_adapter() as adapter:
        return [record for feed in adapter.read(entity, full=True) for record in feed.records]


def test_invoice_rows_per_line_make_one_invoice_with_its_lines(side):
    lines = (
        ErpDocumentLine(1, D("3"), "ÇAY-001", "Rize çayı", "AD", D("150.0000"), D("10"), D("20"), D("405.00"), D("81")),
        ErpDocumentLine(2, D("1.5"), "KML-001", unit="AD", unit_price=D("100"), order_line_no=2),
    )
    invoice = ErpDocument(DocumentKind.INVOICE, "GIB2026000000042", "120.01.001", date(2026, 3, 4), lines=lines)
    bare = ErpDocument(DocumentKind.INVOICE, "GIB2026000000043", "120.01.001", date(2026, 3, 5), gross=D("10"))
    side.publish("invoice", [invoice, bare])
    read = {d.number: d for d in read_all(side, "invoice")}
    # The shipped profile maps no order line number (V3 links lines by its own GUIDs).
    assert read["GIB2026000000042"].lines == (lines[0], dataclasses.replace(lines[1], order_line_no=None))
    assert read["GIB2026000000043"].lines == ()  # the ERP said it has no lines
    assert read["GIB2026000000043"].gross == D("10")


def test_delivery_lines_are_read_in_the_rows_order(side):
    lines = tuple(ErpDocumentLine(n, D(n), f"KML-00{n}") for n in (3, 1, 2))
    side.publish("delivery", [ErpDocument(DocumentKind.DELIVERY, "IRS-1", "120.01.001", date(2026, 3, 4), lines=lines)])
    (delivery,) = read_all(side, "delivery")
    assert [line.line_no for line in delivery.lines] == [3, 1, 2]
    assert delivery.kind == DocumentKind.DELIVERY


def test_credit_memo_is_read_through_its_own_procedure(side):
    memo = ErpDocument(
        DocumentKind.CREDIT_MEMO, "IADE-7", "120.01.001", date(2026, 3, 6), related_number="GIB2026000000042"
    )
    side.publish("credit_memo", [memo])
    with side.make_adapter() as adapter:
        assert adapter.can_read("credit_memo") and adapter.supports(Capability.DOCUMENTS)
    (read,) = read_all(side, "credit_memo")
    assert (read.kind, read.related_number, read.lines) == (DocumentKind.CREDIT_MEMO, "GIB2026000000042", ())


def test_a_line_without_its_quantity_refuses_the_feed_naming_the_row(side):
    line = ErpDocumentLine(1, D("3"), "ÇAY-001")
    side.publish("invoice", [ErpDocument(DocumentKind.INVOICE, "F-1", "120.01.001", date(2026, 3, 4), lines=(line,))])
    side.company.views["usp_B2B_Invoices"][0]["Qty1"] = None
    with pytest.raises(FeedError, match=r"row 1: .*'line_quantity' is empty"):
        read_all(side, "invoice")


def test_a_profile_mapping_half_a_line_is_refused_naming_the_column():
    profile = nebim_profile()
    del profile["reads"]["invoice"]["columns"]["line_quantity"]
    text = " ".join(profile_problems(profile))
    assert "read 'invoice' missing the column 'line_quantity' (a read returning document lines needs" in text


def test_a_line_column_the_contract_does_not_know_is_refused_with_the_nearest():
    profile = nebim_profile()
    profile["reads"]["delivery"]["columns"]["line_quantty"] = "Qty2"
    text = " ".join(profile_problems(profile))
    assert "'line_quantty', which the contract does not know (did you mean 'line_quantity'?)" in text


def test_a_document_read_without_line_columns_leaves_the_lines_alone(side):
    columns = side.profile["reads"]["delivery"]["columns"]
    side.profile["reads"]["delivery"]["columns"] = {c: s for c, s in columns.items() if not c.startswith("line_")}
    side.settings["profile"] = side.profile
    side.publish("delivery", [ErpDocument(DocumentKind.DELIVERY, "IRS-2", "120.01.001", date(2026, 3, 4))])
    (delivery,) = read_all(side, "delivery")
    assert delivery.lines is None


def test_a_delta_returns_every_line_of_a_document_one_line_of_which_changed(side):
    lines = (ErpDocumentLine(1, D("3"), "ÇAY-001"), ErpDocumentLine(2, D("1"), "KML-001"))
    side.publish("delivery", [ErpDocument(DocumentKind.DELIVERY, "IRS-1", "120.01.001", date(2026, 3, 4), lines=lines)])
    rows = side.company.views["usp_B2B_Shipments"]
    rows.append({**rows[0], "ShippingNumber": "IRS-0", "SortOrder": 1, "LastUpdatedDate": "2026-01-01T00:00:00"})
    rows[0]["LastUpdatedDate"] = "2026-03-01T00:00:00"
    rows[1]["LastUpdatedDate"] = "2026-03-05T12:00:00"  # only the second line changed
    with side.make_adapter() as adapter:
        (feed,) = adapter.read("delivery", since=datetime(2026, 3, 5, tzinfo=UTC))
        records = list(feed.records)
    assert [(d.number, [line.line_no for line in d.lines]) for d in records] == [("IRS-1", [1, 2])]
    assert feed.complete is False
