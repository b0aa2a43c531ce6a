"""EDI order intake: the samples in ``edi_samples/`` (written from PEPPOL BIS Ordering 3 and UN/EDIFACT ORDERS
D.96A/D.01B, sources in its README) become one order each through ``order_place`` with the portal's prices; the
answers say per line accepted, changed or rejected; malformed and hostile messages are refused with where."""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from defusedxml.ElementTree import fromstring
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from b2bportal.tests.sqlite_run import sqlite_database, sqlite_script
from dealers.models import DealerAddress
from dealers.tests.factories import DealerFactory
from orders.edi import intake
from orders.edi.edifact import parse_interchange, tokenize, write_contrl
from orders.edi.intake import EdiInProgress, EdiPartyMismatch, edi_order_receive
from orders.edi.message import EdiSyntaxError
from orders.edi.ubl import CAC, CBC, parse_order
from orders.models import EdiMessage, Order
from orders.services.lines import order_place_lines
from orders.tests.edi_factories import (
    BUYER_GLN,
    OTHER_GLN,
    STORE_GLN,
    edi_shop,
    orders_seen_elsewhere_while_placing,
    sample,
)

pytestmark = pytest.mark.django_db
D = Decimal
NS = {"cac": CAC, "cbc": CBC}
API = EdiMessage.Channel.API
FOLDER = EdiMessage.Channel.FOLDER


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
        three = edi_order_receive(payload=sample("orders_d96a_three_messages.edi"), channel="api")
        three_again = edi_order_receive(payload=sample("orders_d96a_three_messages.edi"), channel="folder")
        print(json.dumps({
            "statuses": [first.message.status, unknown.message.status, again.message.status],
            "replayed": second.replayed,
            "three": [m.status for m in three.messages],
            "three_replayed": [m.pk for m in three_again.messages] == [m.pk for m in three.messages],
            "contrl": "UCI+ACME000500" in three.message.contrl,
            "orders": Order.objects.count(),
            "messages": EdiMessage.objects.count(),
        }))
        """,
    )
    # An unknown party is not recorded under its reference: the same message again is read again.
    assert result == {
        "statuses": ["accepted", "rejected", "rejected"],
        "replayed": True,
        "three": ["accepted", "rejected", "accepted"],
        "three_replayed": True,
        "contrl": True,
        "orders": 3,
        "messages": 6,
    }


# -- Interchanges with several messages, CONTRL, delivery points -----------------------------------------------

THREE = sample("orders_d96a_three_messages.edi").decode()


def _contrl(text):
    return [(tag, elements) for tag, elements in _segments(text) if tag in ("UNH", "UCI", "UCM", "UCS", "UCD")]


def test_three_messages_make_two_orders_and_one_rejected_answer_in_one_interchange():
    dealer, _admin, _products = edi_shop()
    received = edi_order_receive(payload=THREE, channel=API)
    messages = received.messages
    assert [m.message_reference for m in messages] == ["ME1", "ME2", "ME3"]
    assert [m.status for m in messages] == ["accepted", "rejected", "accepted"]
    assert "KB-9999" in _segments_text(messages[1].response) and messages[1].order is None
    assert received.status == EdiMessage.Status.CHANGED
    first, third = messages[0].order, messages[2].order
    assert first != third and {first.po_number, third.po_number} == {"PO-501", "PO-503"}
    assert _lines(first) == [("KB-2002", D("6"), "ADET", D("50.00"))]
    assert _lines(third) == [("KB-1001", D("2"), "ADET", D("100.00"))]
    # ME1 goes to the store its NAD+DP names, ME3 (no delivery point) to the default address.
    assert first.delivery_address.gln == STORE_GLN
    assert third.delivery_address == DealerAddress.objects.get(dealer=dealer, is_default=True)
    assert Order.objects.count() == 2
    # One answering interchange with an ORDRSP per message, every message holding it.
    segments = _segments(messages[0].response)
    assert [elements[0][0] for tag, elements in segments if tag == "UNH"] == ["1", "2", "3"]
    assert [elements[2][0] for tag, elements in segments if tag == "BGM"] == ["29", "27", "29"]
    assert segments[-1][0] == "UNZ" and segments[-1][1][0] == ["3"]
    assert {m.response for m in messages} == {messages[0].response}
    for tag, elements in segments:
        if tag == "UNT":
            unh = next(i for i, (t, e) in enumerate(segments) if t == "UNH" and e[0] == elements[1])
            end = next(i for i, (t, e) in enumerate(segments) if t == "UNT" and e[1] == elements[1])
            assert elements[0] == [str(end - unh + 1)]


def _segments_text(text):
    return " ".join(":".join(part) for _tag, elements in _segments(text) for part in elements)


def test_the_same_multi_message_interchange_twice_replays_the_same_orders():
    edi_shop()
    first = edi_order_receive(payload=THREE, channel=API)
    again = edi_order_receive(payload=THREE.encode(), channel=EdiMessage.Channel.FOLDER)
    assert again.replayed and not first.replayed
    assert [m.pk for m in again.messages] == [m.pk for m in first.messages]
    assert [m.order_id for m in again.messages] == [m.order_id for m in first.messages]
    assert again.message.response == first.message.response and again.message.contrl == first.message.contrl
    assert Order.objects.count() == 2 and EdiMessage.objects.count() == 3


def test_each_message_places_its_own_order_under_its_message_reference():
    """Two messages of one interchange ordering the same lines make two orders, not one replayed."""
    edi_shop()
    payload = THREE.replace("PIA+5+KB-9999:SA", "PIA+5+KB-1001:SA")
    messages = edi_order_receive(payload=payload, channel=API).messages
    assert [m.status for m in messages] == ["accepted"] * 3
    assert len({m.order_id for m in messages}) == 3 and Order.objects.count() == 3


def test_contrl_acknowledges_every_message_when_the_sender_asks():
    edi_shop()
    message = edi_order_receive(payload=THREE, channel=API).message
    contrl = _contrl(message.contrl)
    assert contrl[0] == ("UNH", [["1"], ["CONTRL", "D", "3", "UN"]])
    assert contrl[1] == ("UCI", [["ACME000500"], [BUYER_GLN, "14"], ["8690000000012", "14"], ["7"]])
    # A message refused for its content is answered by its ORDRSP; syntactically it is acknowledged.
    assert [elements for tag, elements in contrl if tag == "UCM"] == [
        [[ref], ["ORDERS", "D", "96A", "UN", "EAN008"], ["7"]] for ref in ("ME1", "ME2", "ME3")
    ]
    segments = _segments(message.contrl)
    assert segments[0][1][2] == [BUYER_GLN, "14"]  # addressed back to the sender
    assert segments[0][1][4] != _segments(message.response)[0][1][4]  # its own control reference


def test_no_contrl_when_the_sender_does_not_ask():
    edi_shop()
    message = edi_order_receive(payload=sample("orders_d96a.edi"), channel=API).message
    assert message.status == EdiMessage.Status.ACCEPTED and message.contrl == ""


def test_a_syntax_error_in_one_message_places_nothing_and_contrl_names_segment_and_element():
    edi_shop()
    payload = THREE.replace("QTY+21:3'", "QTY+21:three'")
    received = edi_order_receive(payload=payload, channel=API)
    message = received.message
    assert message.status == EdiMessage.Status.MALFORMED and received.messages == [message]
    assert message.error.startswith("segment 17 (QTY), element 1.2")
    assert Order.objects.count() == 0 and EdiMessage.objects.count() == 1
    contrl = _contrl(message.contrl)
    assert contrl[1] == ("UCI", [["ACME000500"], [BUYER_GLN, "14"], ["8690000000012", "14"], ["4"]])
    identifier = ["ORDERS", "D", "96A", "UN", "EAN008"]
    # QTY is the seventh segment of ME2 (UNH = 1); 12 = invalid value in element 1, component 2.
    assert contrl[2:] == [
        ("UCM", [["ME1"], identifier, ["4"]]),
        ("UCM", [["ME2"], identifier, ["4"]]),
        ("UCS", [["7"]]),
        ("UCD", [["12"], ["1", "2"]]),
        ("UCM", [["ME3"], identifier, ["4"]]),
    ]


def test_a_syntax_error_is_reported_in_contrl_even_unasked():
    edi_shop()
    payload = sample("orders_d96a.edi").decode().replace("UNT+24+1", "UNT+24+9")
    message = edi_order_receive(payload=payload, channel=API).message
    assert message.status == EdiMessage.Status.MALFORMED
    # UNT 0062 differs from UNH's: 28 = references do not match, on the message's UNT, element 2.
    assert ("UCM", [["1"], ["ORDERS", "D", "96A", "UN", "EAN008"], ["4"], ["28"], ["UNT"], ["2"]]) in _contrl(
        message.contrl
    )


def test_unz_message_count_mismatch_refuses_the_interchange():
    edi_shop()
    payload = THREE.replace("UNZ+3+ACME000500", "UNZ+2+ACME000500")
    message = edi_order_receive(payload=payload, channel=API).message
    assert message.status == EdiMessage.Status.MALFORMED and Order.objects.count() == 0
    assert message.error.startswith("segment 29 (UNZ), element 1: the message count “2” should be 3")
    # 29 = control count does not match, on UNZ element 1, reported in UCI.
    assert _contrl(message.contrl)[1] == (
        "UCI",
        [["ACME000500"], [BUYER_GLN, "14"], ["8690000000012", "14"], ["4"], ["29"], ["UNZ"], ["1"]],
    )


@pytest.mark.parametrize(
    ("payload", "where", "code"),
    [
        (THREE.replace("UNT+9+ME2", "UNT+8+ME2"), "segment 19 (UNT), element 1", "29"),
        (THREE.replace("UNH+ME3", "UNH+ME1").replace("UNT+9+ME3", "UNT+9+ME1"), "segment 20 (UNH), element 1", "26"),
        (THREE.replace("UNS+S'\nUNT+9+ME1", "UNS+S'\nUNS+S'\nUNT+10+ME1"), "segment 10 (UNS)", "35"),
        (THREE.replace("QTY+21:6:PCE", "QTY+21:6:PCE:X"), "segment 8 (QTY), element 1.4", "16"),
        (THREE.replace("UNT+9+ME1'", "UNT+9+ME1'\nFTX+AAI+++stray'"), "segment 11 (FTX)", "33"),
        (THREE.replace("UNH+ME2+ORDERS:D:96A", "UNH+ME2+INVOIC:D:96A"), "segment 11 (UNH), element 2.1", "14"),
    ],
)
def test_envelope_and_structure_errors_carry_their_iso_9735_code(payload, where, code):
    edi_shop()
    with pytest.raises(EdiSyntaxError) as caught:
        parse_interchange(payload)
    assert str(caught.value).startswith(where) and caught.value.code == code
    assert caught.value.envelope is not None and caught.value.envelope.reference == "ACME000500"


def test_delivery_point_gln_sets_the_orders_delivery_address():
    dealer, _admin, _products = edi_shop()
    message = edi_order_receive(payload=sample("peppol_order.xml"), channel=API).message
    store = DealerAddress.objects.get(dealer=dealer, gln=STORE_GLN)
    assert message.status == EdiMessage.Status.ACCEPTED and message.order.delivery_address == store
    assert not store.is_default


def test_an_unknown_delivery_gln_rejects_the_message_naming_it():
    edi_shop()
    payload = sample("orders_d96a.edi").replace(b"NAD+DP+8680000000037::9", b"NAD+DP+8680000000044::9")
    message = edi_order_receive(payload=payload, channel=API).message
    assert message.status == EdiMessage.Status.REJECTED and message.order is None
    assert "8680000000044" in message.error and Order.objects.count() == 0
    assert ("BGM", [["231"], [f"EDI{message.pk:08d}"], ["27"]]) in _segments(message.response)


def test_an_inactive_or_other_dealers_address_is_no_delivery_point():
    dealer, _admin, _products = edi_shop()
    DealerAddress.objects.filter(dealer=dealer, gln=STORE_GLN).update(is_active=False)
    other = edi_shop(gln=OTHER_GLN, tax_number="9876543210", skus_prefix="X")[0]
    assert DealerAddress.objects.filter(dealer=other, gln=STORE_GLN, is_active=True).exists()
    message = edi_order_receive(payload=sample("peppol_order.xml"), channel=API).message
    assert message.status == EdiMessage.Status.REJECTED and STORE_GLN in message.error


def test_without_a_delivery_point_the_default_address_is_used():
    dealer, _admin, _products = edi_shop()
    payload = sample("orders_d96a.edi").decode().replace("NAD+DP+8680000000037::9'\n", "")
    payload = payload.replace("UNT+24+1", "UNT+23+1")
    message = edi_order_receive(payload=payload, channel=API).message
    assert message.status == EdiMessage.Status.ACCEPTED, message.error
    assert message.order.delivery_address == DealerAddress.objects.get(dealer=dealer, is_default=True)


def test_contrl_answers_syntax_version_4_in_its_own_message_version():
    d01b = sample("orders_d01b_changes.edi").decode().replace("+A0000099++ORDERS'", "+A0000099++ORDERS++1'")
    envelope = parse_interchange(d01b).envelope
    assert envelope.acknowledgement_requested and envelope.syntax_version == "4"
    contrl = write_contrl(envelope, error=None, our_id="", control="C1", now=dt.datetime(2026, 12, 8, 1, 0))
    assert _contrl(contrl)[:2] == [
        ("UNH", [["1"], ["CONTRL", "4", "1", "UN"]]),
        ("UCI", [["A0000099"], ["ACMEEDI", "ZZZ"], ["TOPTAN", "ZZZ"], ["7"]]),
    ]
    assert _segments(contrl)[0] == (
        "UNB",
        [["UNOC", "4"], ["PORTAL", "ZZZ"], ["ACMEEDI", "ZZZ"], ["261208", "0100"], ["C1"]],
    )


def test_an_unterminated_interchange_is_rejected_in_uci_naming_unz():
    with pytest.raises(EdiSyntaxError) as caught:
        parse_interchange(THREE.rstrip().rstrip("'"))
    error = caught.value
    contrl = write_contrl(error.envelope, error=error, our_id="", control="C1", now=dt.datetime(2026, 12, 8))
    assert _contrl(contrl)[1] == (
        "UCI",
        [["ACME000500"], [BUYER_GLN, "14"], ["8690000000012", "14"], ["4"], ["22"], ["UNZ"]],
    )


# -- Each message in its own transaction; an interrupted receipt; a copy arriving meanwhile ----------------------


@pytest.mark.django_db(transaction=True)
def test_an_interrupted_receipt_keeps_the_orders_placed_and_is_finished_when_sent_again(monkeypatch):
    """The process stops while placing the third message: the first's order is committed (its own transaction),
    the messages wait as "received" under their claim; sent again after the claim ran out, the interchange is
    finished without a second order for the first message."""
    edi_shop()
    placed = []

    def stop_at_the_third(**kwargs):
        if len(placed) == 1:
            raise RuntimeError("the worker stopped")
        order = order_place_lines(**kwargs)
        placed.append(order)
        return order

    monkeypatch.setattr(intake, "order_place_lines", stop_at_the_third)
    with pytest.raises(RuntimeError):
        edi_order_receive(payload=THREE, channel=FOLDER)
    assert Order.objects.count() == 1
    statuses = dict(EdiMessage.objects.values_list("message_reference", "status"))
    assert statuses == {"ME1": "accepted", "ME2": "rejected", "ME3": "received"}
    assert not EdiMessage.objects.exclude(response="").exists()
    monkeypatch.undo()
    # Within the claim, another copy does not take it over.
    with override_settings(B2B_EDI_WAIT_SECONDS=0), pytest.raises(EdiInProgress):
        edi_order_receive(payload=THREE, channel=FOLDER)
    EdiMessage.objects.update(claimed_until=timezone.now() - dt.timedelta(seconds=1))
    finished = edi_order_receive(payload=THREE, channel=FOLDER)
    assert [m.status for m in finished.messages] == ["accepted", "rejected", "accepted"]
    assert Order.objects.count() == 2 and finished.messages[0].order == placed[0]
    assert finished.message.response and all(m.claimed_until is None for m in EdiMessage.objects.all())
    again = edi_order_receive(payload=THREE, channel=FOLDER)
    assert again.replayed and again.message.response == finished.message.response and Order.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_each_message_is_committed_before_the_next_is_placed(monkeypatch):
    """Placement's locks are held for one order at a time: when the third message is placed, another connection
    already sees the first message's order."""
    assert connection.vendor == "postgresql"
    edi_shop()
    seen_elsewhere = orders_seen_elsewhere_while_placing(monkeypatch)
    edi_order_receive(payload=THREE, channel=FOLDER)
    assert seen_elsewhere == [0, 1]


def test_a_copy_arriving_while_the_first_is_placed_waits_and_replays_or_is_told_to_come_back(monkeypatch):
    edi_shop()
    first = edi_order_receive(payload=THREE, channel=FOLDER)
    EdiMessage.objects.filter(message_reference="ME3").update(
        status=EdiMessage.Status.RECEIVED, claimed_until=timezone.now() + dt.timedelta(minutes=5)
    )
    with override_settings(B2B_EDI_WAIT_SECONDS=0), pytest.raises(EdiInProgress):
        edi_order_receive(payload=THREE, channel=API)
    # The first finishes while the copy waits: the copy answers with its answer.
    sleeps = []

    def first_finishes(seconds):
        sleeps.append(seconds)
        EdiMessage.objects.filter(message_reference="ME3").update(status=EdiMessage.Status.ACCEPTED)

    monkeypatch.setattr(intake.time, "sleep", first_finishes)
    copy = edi_order_receive(payload=THREE, channel=API)
    assert copy.replayed and sleeps and copy.message.response == first.message.response
    assert Order.objects.count() == 2


def test_another_document_under_an_unfinished_interchanges_reference_waits_and_takes_nothing_over():
    """Two messages sent under the reference of a three-message interchange whose receipt stopped: they are not
    that interchange, so its messages are neither claimed nor placed by them."""
    edi_shop()
    edi_order_receive(payload=THREE, channel=FOLDER)
    expired = timezone.now() - dt.timedelta(seconds=1)
    EdiMessage.objects.update(status=EdiMessage.Status.RECEIVED, claimed_until=expired)
    start = THREE.index("UNH+ME3")
    two = THREE[:start] + "UNZ+2+ACME000500'\n"
    assert len(parse_interchange(two).orders) == 2
    with override_settings(B2B_EDI_WAIT_SECONDS=0), pytest.raises(EdiInProgress):
        edi_order_receive(payload=two, channel=FOLDER)
    assert set(EdiMessage.objects.values_list("claimed_until", flat=True)) == {expired}
    assert Order.objects.count() == 2
