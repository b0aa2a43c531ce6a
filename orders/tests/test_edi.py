"""EDI order intake: the samples in ``edi_samples/`` (written from PEPPOL BIS Ordering 3 and UN/EDIFACT ORDERS
D.96A/D.01B, sources in its README) become one order each through ``order_place`` with the portal's prices; the
answers say per line accepted, changed or rejected; malformed and hostile messages are refused with where."""

import threading
from decimal import Decimal

import pytest
from defusedxml.ElementTree import fromstring
from django.db import connection

from b2bportal.tests.sqlite_run import sqlite_database, sqlite_script
from dealers.tests.factories import DealerFactory
from orders.edi.edifact import parse_interchange, tokenize
from orders.edi.intake import EdiPartyMismatch, edi_order_receive
from orders.edi.message import EdiSyntaxError
from orders.edi.ubl import CAC, CBC, parse_order
from orders.models import EdiMessage, Order
from orders.tests.edi_factories import BUYER_GLN, OTHER_GLN, edi_shop, sample

pytestmark = pytest.mark.django_db
D = Decimal
NS = {"cac": CAC, "cbc": CBC}
API = EdiMessage.Channel.API


def _lines(order):
    return sorted((line.sku, line.quantity, line.unit_code, line.unit_price_net) for line in order.lines.all())


def _segments(text):
    return [(segment.tag, segment.elements) for segment in tokenize(text)[1]]


def test_peppol_order_becomes_one_order_at_portal_prices():
    dealer, admin, _products = edi_shop()
    received = edi_order_receive(payload=sample("peppol_order.xml"), channel=API)
    message = received.message
    assert message.status == EdiMessage.Status.ACCEPTED, message.error
    order = message.order
    assert order.dealer == dealer and order.placed_by == admin.user
    assert order.po_number == "PO-2026-0412" and str(order.requested_delivery_date) == "2026-12-10"
    # The message asked 95.00 and 45.00; the portal's list prices are used.
    assert _lines(order) == [
        ("KB-1001", D("3"), "ADET", D("100.00")),
        ("KB-2002", D("4"), "ADET", D("50.00")),
        ("KB-3003", D("24"), "ADET", D("10.00")),
    ]
    assert order.total_net == D("740.00")
    root = fromstring(message.response.encode())
    assert root.find("cbc:OrderResponseCode", NS).text == "AP"
    assert root.find("cac:OrderReference/cbc:ID", NS).text == "PO-2026-0412"
    assert [el.text for el in root.findall("cac:OrderLine/cac:LineItem/cbc:LineStatusCode", NS)] == ["5", "5", "5"]
    assert [el.text for el in root.findall("cac:OrderLine/cac:LineItem/cac:Price/cbc:PriceAmount", NS)] == [
        "100.00",
        "50.00",
        "10.00",
    ]
    assert message.sender == BUYER_GLN and message.reference == "PO-2026-0412"


def test_edifact_d96a_with_service_advice_release_characters_and_a_pack_gtin():
    dealer, _admin, _products = edi_shop()
    message = edi_order_receive(payload=sample("orders_d96a.edi"), channel=API).message
    assert message.status == EdiMessage.Status.ACCEPTED, message.error
    assert (message.sender, message.reference, message.document_number) == (BUYER_GLN, "ACME000417", "PO-417")
    order = message.order
    assert order.dealer == dealer and order.note == "Rampa 3: saat 08:00-12:00 arası teslim"
    # The case GTIN orders one case of twelve at twelve times the piece price.
    assert _lines(order) == [
        ("KB-1001", D("2"), "ADET", D("100.00")),
        ("KB-2002", D("6"), "ADET", D("50.00")),
        ("KB-3003", D("1"), "KOLI", D("120.00")),
    ]
    segments = _segments(message.response)
    assert segments[0][0] == "UNB" and segments[-1] == ("UNZ", [["1"], [segments[0][1][4][0]]])
    assert ("BGM", [["231"], [order.number], ["29"]]) in segments
    assert [elements[1] for tag, elements in segments if tag == "LIN"] == [["5"], ["5"], ["5"]]
    assert ("RFF", [["ON", "PO-417"]]) in segments
    unt = next(elements for tag, elements in segments if tag == "UNT")
    assert unt[0] == [str(sum(1 for tag, _e in segments if tag not in ("UNB", "UNZ")))]


def test_buyers_name_with_release_characters_is_read_literally():
    order = parse_interchange(sample("orders_d96a.edi").decode()).orders[0]
    assert order.buyer.name == "ACME Yap+Market Ltd. Şti'"
    assert order.delivery.gln == "8680000000037" and order.seller.gln == "8690000000012"


def test_d01b_by_tax_number_answers_changed_and_rejected_lines():
    dealer, _admin, _products = edi_shop(gln="")
    message = edi_order_receive(payload=sample("orders_d01b_changes.edi"), channel=API).message
    assert message.dealer == dealer and message.status == EdiMessage.Status.CHANGED
    assert _lines(message.order) == [("KB-3003", D("12"), "ADET", D("10.00"))]
    segments = _segments(message.response)
    assert ("BGM", [["231"], [message.order.number], ["4"]]) in segments
    lins = [elements for tag, elements in segments if tag == "LIN"]
    assert [lin[1] for lin in lins] == [["3"], ["7"]]
    quantities = [elements[0] for tag, elements in segments if tag == "QTY"]
    assert quantities == [["21", "12", "C62"], ["21", "5", "C62"]]
    assert segments[0][1][2] == ["ACMEEDI", "ZZZ"]  # answered to the sender as it named itself
    notes = [elements[3][0] for tag, elements in segments if tag == "FTX"]
    assert any("KB-9999" in note for note in notes)


def test_unknown_party_places_nothing_and_rejects_every_line():
    edi_shop(gln="8680000000099", tax_number="9876543210")
    received = edi_order_receive(payload=sample("peppol_order.xml"), channel=API)
    message = received.message
    assert message.status == EdiMessage.Status.REJECTED and message.order is None
    assert BUYER_GLN in message.error and message.reference == ""
    assert Order.objects.count() == 0
    root = fromstring(message.response.encode())
    assert root.find("cbc:OrderResponseCode", NS).text == "RE"
    assert {el.text for el in root.findall("cac:OrderLine/cac:LineItem/cbc:LineStatusCode", NS)} == {"7"}


def test_same_interchange_twice_makes_one_order_and_replays_the_first_answer():
    edi_shop()
    first = edi_order_receive(payload=sample("orders_d96a.edi"), channel=API)
    second = edi_order_receive(payload=sample("orders_d96a.edi"), channel=EdiMessage.Channel.FOLDER)
    assert not first.replayed and second.replayed
    assert second.message.pk == first.message.pk and second.message.response == first.message.response
    assert Order.objects.count() == 1 and EdiMessage.objects.count() == 1


def test_a_message_with_no_orderable_line_places_nothing():
    edi_shop()
    payload = sample("orders_d01b_changes.edi").replace(b"KB-3003", b"KB-0000")
    message = edi_order_receive(payload=payload, channel=API).message
    assert message.status == EdiMessage.Status.REJECTED and message.order is None
    assert Order.objects.count() == 0


def test_another_dealers_party_on_a_dealers_channel_is_refused_and_not_stored():
    edi_shop()
    other = DealerFactory(gln=OTHER_GLN, tax_number="9876543210")
    with pytest.raises(EdiPartyMismatch):
        edi_order_receive(payload=sample("peppol_order.xml"), channel=API, only_dealer=other)
    assert EdiMessage.objects.count() == 0 and Order.objects.count() == 0


D96A = sample("orders_d96a.edi").decode()


@pytest.mark.parametrize(
    ("payload", "where"),
    [
        (D96A.replace("QTY+21:6:PCE", "QTY+21:six:PCE"), "segment 14 (QTY), element 1.2"),
        (D96A.replace("UNT+24+1", "UNT+23+1"), "segment 25 (UNT), element 1"),
        (D96A.replace("ORDERS:D:96A", "ORDERS:D:93A"), "segment 2 (UNH), element 2.3"),
        (D96A.replace("UNZ+1+ACME000417'", "UNZ+1+ACME000417"), "segment 26 (UNZ)"),
        (D96A.replace("UNZ+1+ACME000417", "UNZ+1+ACME000418"), "segment 26 (UNZ), element 2"),
        (D96A.replace("QTY+21:2'", "QTY+12:2'"), "segment 16 (LIN)"),
        (D96A.replace("BGM+220+PO-417+9", "BGM+220"), "segment 3 (BGM), element 2.1"),
        (D96A.rstrip() + "?", "segment 27: the message ends with a release character"),
    ],
)
def test_malformed_edifact_is_refused_naming_segment_and_element(payload, where):
    edi_shop()
    message = edi_order_receive(payload=payload, channel=API).message
    assert message.status == EdiMessage.Status.MALFORMED
    assert message.error.startswith(where), message.error
    assert Order.objects.count() == 0 and message.reference == ""


PEPPOL = sample("peppol_order.xml")


@pytest.mark.parametrize(
    ("payload", "where"),
    [
        (PEPPOL.replace(b'"C62">4<', '"C62">dört<'.encode()), "/Order/cac:OrderLine[2]/cac:LineItem/cbc:Quantity"),
        (PEPPOL.replace(b"<cbc:ID>PO-2026-0412</cbc:ID>", b""), "/Order/cbc:ID"),
        (PEPPOL.replace(b"2026-12-10", b"10.12.2026"), "/Order/cac:Delivery/cac:RequestedDeliveryPeriod"),
        (PEPPOL.replace(b"</Order>", b""), "/: not well-formed"),
        (PEPPOL.replace(b"Order-2", b"Invoice-2"), "/Order: the root element"),
    ],
)
def test_malformed_ubl_is_refused_naming_the_xpath(payload, where):
    edi_shop()
    message = edi_order_receive(payload=payload, channel=API).message
    assert message.status == EdiMessage.Status.MALFORMED
    assert message.error.startswith(where), message.error
    assert Order.objects.count() == 0


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE Order [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"><cbc:ID
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">&xxe;</cbc:ID></Order>"""
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2">&lol3;</Order>"""


@pytest.mark.parametrize("payload", [XXE, LAUGHS])
def test_entities_and_doctypes_are_refused_before_reading(payload):
    with pytest.raises(EdiSyntaxError, match="refused"):
        parse_order(payload)
    message = edi_order_receive(payload=payload, channel=API).message
    assert message.status == EdiMessage.Status.MALFORMED and "passwd" not in message.response


def test_neither_xml_nor_edifact_is_malformed():
    message = edi_order_receive(payload=b"%PDF-1.4 not an order", channel=API).message
    assert message.status == EdiMessage.Status.MALFORMED and message.format == EdiMessage.Format.UNKNOWN


@pytest.mark.django_db(transaction=True)
def test_the_same_interchange_arriving_at_once_makes_one_order():
    assert connection.vendor == "postgresql"
    edi_shop()
    barrier = threading.Barrier(3)
    received = []

    def send():
        barrier.wait()
        try:
            received.append(edi_order_receive(payload=sample("orders_d96a.edi"), channel=API))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(received) == 3 and sum(r.replayed for r in received) == 2
    assert len({r.message.pk for r in received}) == 1
    assert Order.objects.count() == 1 and EdiMessage.objects.count() == 1


def test_edi_orders_on_sqlite(tmp_path):
    database = sqlite_database(tmp_path)
    result = sqlite_script(
        database,
        """
        import json
        from orders.edi.intake import edi_order_receive
        from orders.models import EdiMessage, Order
        from orders.tests.edi_factories import edi_shop, sample

        edi_shop()
        first = edi_order_receive(payload=sample("orders_d96a.edi"), channel="api")
        second = edi_order_receive(payload=sample("orders_d96a.edi"), channel="folder")
        unknown = edi_order_receive(payload=sample("peppol_order.xml").replace(b"8680000000013", b"8680000000099"),
                                    channel="api")
        again = edi_order_receive(payload=sample("peppol_order.xml").replace(b"8680000000013", b"8680000000099"),
                                  channel="api")
        print(json.dumps({
            "statuses": [first.message.status, unknown.message.status, again.message.status],
            "replayed": second.replayed,
            "orders": Order.objects.count(),
            "messages": EdiMessage.objects.count(),
        }))
        """,
    )
    # An unknown party is not recorded under its reference: the same message again is read again.
    assert result == {"statuses": ["accepted", "rejected", "rejected"], "replayed": True, "orders": 1, "messages": 3}
