"""The SAP RFC adapter against the BAPI simulator: the BAPI LUW under every fault (no order left uncommitted or
committed twice), BAPIRET2 mapping, cancellation, ALPHA numbers, unit conversion, RFC_READ_TABLE's row limit, the
session cap, and pyrfc's import guard and connection parameters."""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
import threading
import types
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured

from erpsync.adapters.base import ErpCancel, OutcomeUnknownError, PermanentError, RetryableError
from erpsync.adapters.sap_rfc import SapRfcAdapter
from erpsync.adapters.sap_rfc.session import OPTION_LINE, where_lines
from erpsync.adapters.sap_rfc.settings import connection_parameters
from erpsync.adapters.sap_rfc.transport import PyrfcTransport, pyrfc_missing
from erpsync.tests.contract import sample_order
from erpsync.tests.sap_rfc_side import CREDENTIALS, CUSTOMER, SapRfcErpSide

D = Decimal
CREATE, COMMIT = "BAPI_SALESORDER_CREATEFROMDAT2", "BAPI_TRANSACTION_COMMIT"


@pytest.fixture
def side():
    erp = SapRfcErpSide()
    yield erp
    erp.close()


@pytest.fixture
def adapter(side):
    with side.make_adapter() as made:
        yield made


def export(adapter: SapRfcAdapter, order, attempts: int = 4):
    """What the outbox does: look the order up, push it when SAP has none, try again after a retryable error."""
    for _ in range(attempts):
        try:
            found = adapter.order_lookup(order.reference)
            return found if found is not None else adapter.order_push(order)
        except RetryableError:
            continue
    raise AssertionError("never went through")


def committed(side, reference: str) -> list[dict]:
    return side.system.order_by_po(reference)


FAULTS = {
    "connection lost before the create": ("drop_before", CREATE, 0),
    "connection lost after the create, before the commit": ("drop_after", CREATE, 0),
    "create beyond the timeout": ("latency", CREATE, 0.4),
    "connection lost before the commit": ("drop_before", COMMIT, 0),
    "connection lost after the commit": ("drop_after", COMMIT, 0),
    "commit answered, then the connection dropped": ("drop_after_answer", COMMIT, 0),
    "commit beyond the timeout": ("latency", COMMIT, 0.4),
}


@pytest.mark.parametrize("fault", sorted(FAULTS))
def test_no_fault_leaves_an_order_uncommitted_or_commits_it_twice(side, fault):
    adapter = side.make_adapter(timeout_seconds=0.2)
    kind, function, seconds = FAULTS[fault]
    side.system.fault(kind, function, seconds=seconds)
    order = sample_order()

    ack = export(adapter, order)

    orders = committed(side, order.reference)
    assert [o["VBELN"] for o in orders] == [ack.document_id]
    assert all(wait == "X" for wait in side.system.stats.commits)
    # Whatever a broken session had not committed is gone: no second order appears later.
    adapter.close()
    side.system.update_delay = 0
    assert len(committed(side, order.reference)) == 1
    assert side.system.stats.open_now == 0


def test_commit_without_an_answer_is_outcome_unknown_and_the_lookup_finds_it(side, adapter):
    side.system.fault("drop_after", COMMIT)
    with pytest.raises(OutcomeUnknownError):
        adapter.order_push(sample_order())
    found = adapter.order_lookup(sample_order().reference)
    assert found is not None and found.document_number == found.document_id.lstrip("0")


def test_a_session_lost_before_the_commit_takes_the_order_with_it(side, adapter):
    """The client cannot tell whether the commit reached SAP: unknown; the look-up then finds nothing, since the
    uncommitted order went with the session, and the next push creates it once."""
    side.system.fault("drop_before", COMMIT)
    with pytest.raises(OutcomeUnknownError):
        adapter.order_push(sample_order())
    assert adapter.order_lookup(sample_order().reference) is None
    assert committed(side, sample_order().reference) == []
    adapter.order_push(sample_order())
    assert len(committed(side, sample_order().reference)) == 1


def test_a_session_lost_after_the_create_loses_the_uncommitted_order(side, adapter):
    side.system.fault("drop_after", CREATE)
    with pytest.raises(RetryableError) as caught:
        adapter.order_push(sample_order())
    assert not isinstance(caught.value, OutcomeUnknownError)
    assert committed(side, sample_order().reference) == []


def test_a_session_whose_write_failed_half_way_is_closed_not_reused(side, adapter, monkeypatch):
    """A create that went through but whose commit was never asked (the process failed in between) must not be
    committed by the next order on the same session."""
    original = adapter._commit
    monkeypatch.setattr(adapter, "_commit", lambda holder, what: (_ for _ in ()).throw(RuntimeError("worker died")))
    with pytest.raises(RuntimeError):
        adapter.order_push(sample_order("B2B-HALF"))
    monkeypatch.setattr(adapter, "_commit", original)

    adapter.order_push(sample_order("B2B-NEXT"))

    assert committed(side, "B2B-HALF") == [] and len(committed(side, "B2B-NEXT")) == 1


def test_refused_order_is_rolled_back_and_never_committed(side, adapter):
    order = dataclasses.replace(
        sample_order(), lines=(dataclasses.replace(sample_order().lines[0], product_code="YOK"),)
    )
    with pytest.raises(PermanentError, match="V1 392"):
        adapter.order_push(order)
    assert side.system.stats.calls["BAPI_TRANSACTION_ROLLBACK"] == 1
    assert side.system.stats.commits == []


def test_a_successful_order_carries_the_sales_area_partners_schedules_and_commits_with_wait(side):
    with side.make_adapter(item_categories={"*": "TAN"}, order_plant="1000", order_storage_location="0001",
                           price_condition="PR00") as adapter:  # fmt: skip
        ack = adapter.order_push(sample_order())
    (order,) = committed(side, sample_order().reference)
    assert (order["VKORG"], order["VTWEG"], order["SPART"], order["AUART"]) == ("1000", "10", "00", "TA")
    assert (order["KUNNR"], order["KUNWE"], order["PURCH_NO_S"]) == (CUSTOMER, CUSTOMER, "PO-77")
    assert [(i["POSNR"], i["KWMENG"], i["VRKME"], i["PSTYV"], i["LGORT"]) for i in order["items"]] == [
        ("000010", D("12"), "KOLI", "TAN", "0001"),
        ("000020", D("1.5"), "KG", "TAN", "0001"),
    ]
    assert order["items"][0]["NETWR"] == D("15006.00")  # the portal's net price through PR00
    assert side.system.stats.commits == ["X"] and ack.document_number == order["VBELN"].lstrip("0")


def test_a_lock_is_retryable_then_the_order_goes_through(side, adapter):
    side.system.lock_object(CUSTOMER, "AYSE")
    with pytest.raises(RetryableError, match="being processed by AYSE") as caught:
        adapter.order_push(sample_order())
    assert caught.value.details.get("busy")
    side.system.unlock_object(CUSTOMER)
    assert adapter.order_push(sample_order()).document_id
    assert len(committed(side, sample_order().reference)) == 1


def test_retryable_message_ids_are_configurable(side):
    order = dataclasses.replace(
        sample_order(), lines=(dataclasses.replace(sample_order().lines[0], product_code="YOK"),)
    )
    with side.make_adapter(retryable_messages=["V1 392"]) as adapter, pytest.raises(RetryableError):
        adapter.order_push(order)
    with side.make_adapter(retryable_messages=[]) as adapter:
        side.system.lock_object(CUSTOMER)
        with pytest.raises(PermanentError, match="V1 042"):
            adapter.order_push(sample_order())


def test_numbers_go_to_sap_alpha_converted_and_come_back_without_zeros(side, adapter):
    side.system.add_customer("100001", "Çiğdem Market")
    side.system.add_material("4711", "Kablo", price=10)
    line = dataclasses.replace(sample_order().lines[0], product_code="4711", unit="ST", quantity=D(3))
    order = dataclasses.replace(sample_order(), customer_code="100001", lines=(line,))

    ack = adapter.order_push(order)

    (sap,) = committed(side, order.reference)
    assert (sap["KUNNR"], sap["items"][0]["MATNR"]) == ("0000100001", "000000000000004711")
    assert ack.document_number == sap["VBELN"].lstrip("0") != sap["VBELN"]
    status = list(next(adapter.read("order_status")).records)
    assert [(s.reference, s.document_number) for s in status] == [(order.reference, ack.document_number)]


def test_lines_are_converted_to_the_sales_unit(side):
    side.system.add_material("5000", "Deterjan", units={"KAR": (12, 1)}, price=8, sales_unit="KAR")
    line = dataclasses.replace(sample_order().lines[0], product_code="5000", unit="ST", quantity=D(24),
                               unit_price=D("8"))  # fmt: skip
    order = dataclasses.replace(sample_order(), lines=(line,))
    with side.make_adapter(convert_to_sales_unit=True, price_condition="PR00") as adapter:
        adapter.order_push(order)
    (item,) = committed(side, order.reference)[0]["items"]
    assert (item["KWMENG"], item["VRKME"], item["NETWR"]) == (D(2), "KAR", D("192.00"))

    unknown = dataclasses.replace(order, reference="B2B-2", lines=(dataclasses.replace(line, unit="PAL"),))
    with side.make_adapter(convert_to_sales_unit=True) as adapter, pytest.raises(PermanentError, match="PAL"):
        adapter.order_push(unknown)


def test_getlist_lookup_finds_the_order_of_the_customer(side):
    with side.make_adapter(order_lookup="getlist") as adapter:
        first = adapter.order_push(sample_order())
        again = adapter.order_push(sample_order())
    assert first == again
    assert side.system.stats.calls["BAPI_SALESORDER_GETLIST"] == 2
    assert side.system.stats.calls[CREATE] == 1


def test_cancel_rejects_every_item_until_delivered(side, adapter):
    kept = adapter.order_push(sample_order("B2B-KEPT"))
    dropped = adapter.order_push(sample_order("B2B-DROPPED"))

    adapter.order_cancel(ErpCancel("B2B-DROPPED", reason="Vazgeçti"))
    adapter.order_cancel(ErpCancel("B2B-DROPPED", document_id=dropped.document_id))  # again: nothing to do

    assert {i["ABGRU"] for i in committed(side, "B2B-DROPPED")[0]["items"]} == {"Z1"}
    assert side.system.stats.calls["BAPI_SALESORDER_CHANGE"] == 1
    side.system.deliver(kept.document_id, {"000010": 1})
    with pytest.raises(PermanentError, match="delivered"):
        adapter.order_cancel(ErpCancel("B2B-KEPT", document_id=kept.document_id))
    assert {i["ABGRU"] for i in committed(side, "B2B-KEPT")[0]["items"]} == {""}


def test_cancel_of_a_locked_order_is_retried_and_needs_a_rejection_reason(side, adapter):
    ack = adapter.order_push(sample_order())
    side.system.lock_object(ack.document_id, "AYSE")
    with pytest.raises(RetryableError, match="AYSE"):
        adapter.order_cancel(ErpCancel(sample_order().reference))
    with side.make_adapter(rejection_reason="") as plain, pytest.raises(PermanentError, match="rejection_reason"):
        plain.order_cancel(ErpCancel(sample_order().reference))


def test_a_field_list_wider_than_the_row_is_read_in_passes(side, adapter):
    side.system.add_material("4711", "Kablo", long_text="ş" * 255, packaging="ğ" * 255)
    fields = ["MTART", "MEINS", "ZZLANGTEXT", "ZZVERPACKUNG"]
    with pytest.raises(Exception, match="DATA_BUFFER_EXCEEDED"):
        side.system.connect(user="RFC_B2B", passwd="secret").call(
            "RFC_READ_TABLE", QUERY_TABLE="MARA", FIELDS=[{"FIELDNAME": f} for f in ["MATNR", *fields]]
        )
    before = side.system.stats.calls["RFC_READ_TABLE"]

    rows = adapter.read_table("MARA", fields, keys=["MATNR"])

    wide = next(row for row in rows if row["MATNR"] == "000000000000004711")
    assert (wide["ZZLANGTEXT"], wide["ZZVERPACKUNG"], wide["MEINS"]) == ("ş" * 255, "ğ" * 255, "ST")
    assert side.system.stats.calls["RFC_READ_TABLE"] - before >= 3  # probing, then two passes


def test_tables_are_read_page_by_page(side):
    for number in range(1, 8):
        side.system.add_material(f"{number}", f"Ürün {number}")
    with side.make_adapter(table_page_rows=3) as adapter:
        rows = adapter.read_table("MARA", ["MEINS"], keys=["MATNR"])
    assert len(rows) == len(side.system.materials) == 8


def test_where_clauses_fit_option_lines():
    clause = "MATNR IN ( " + " , ".join(f"'{n:018d}'" for n in range(30)) + " ) AND NAME EQ 'Öz Ticaret A Ş'"
    lines = where_lines(clause)
    assert all(len(line["TEXT"]) <= OPTION_LINE for line in lines)
    assert " ".join(line["TEXT"] for line in lines) == clause


def test_sessions_are_capped_per_connection(side):
    side.system.fault("latency", "BAPI_MATERIAL_AVAILABILITY", count=None, seconds=0.05)
    errors = []
    with side.make_adapter(max_sessions=2) as adapter:

        def ask():
            try:
                adapter.live_stock(["ÇAY-001"])
            except Exception as exc:  # collected for the assertion
                errors.append(exc)

        threads = [threading.Thread(target=ask) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert side.system.stats.most_open == 2


def test_wrong_password_is_a_failed_check_not_an_exception(side):
    adapter = SapRfcAdapter(settings={"transport": "simulator", "simulator": side.name, "sales_org": "1000"},
                            credentials={**CREDENTIALS, "passwd": "wrong"})  # fmt: skip
    check = adapter.test_connection()
    assert not check.ok and "logon" in check.message.casefold()
    assert side.make_adapter().test_connection().ok


# --- pyrfc: import guard and connection parameters ---


def test_without_pyrfc_the_real_transport_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyrfc", None)  # import fails as on a machine without the SDK
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *args: None)
    assert "NW RFC SDK" in pyrfc_missing()
    with pytest.raises(ImproperlyConfigured, match="pip install pyrfc"):
        PyrfcTransport(connection_parameters(CREDENTIALS), timeout=5)
    adapter = SapRfcAdapter(settings={"sales_org": "1000"}, credentials=CREDENTIALS)  # made without touching SAP
    check = adapter.test_connection()
    assert not check.ok and "pyrfc" in check.message


def test_pyrfc_gets_the_credentials_and_the_timeout(monkeypatch):
    made = {}

    class Connection:
        alive = True

        def __init__(self, **kwargs):
            made.update(kwargs)

        def call(self, name, **params):
            return {"ECHO": name}

    monkeypatch.setitem(sys.modules, "pyrfc", types.SimpleNamespace(Connection=Connection))
    transport = PyrfcTransport(connection_parameters({**CREDENTIALS, "lang": "TR", "unrelated": "x"}), timeout=7.5)
    assert transport.call("RFC_PING") == {"ECHO": "RFC_PING"}
    assert made == {"ashost": "sap.example", "sysnr": "00", "client": "100", "user": "RFC_B2B", "passwd": "secret",
                    "lang": "TR", "config": {"timeout": 7.5, "rstrip": True}}  # fmt: skip


@pytest.mark.parametrize(
    ("credentials", "expected"),
    [
        ({"mshost": "ms.example", "sysid": "PRD", "group": "PUBLIC", "client": "200", "user": "U", "passwd": "P"},
         {"mshost": "ms.example", "sysid": "PRD", "group": "PUBLIC", "client": "200", "user": "U", "passwd": "P"}),
        ({"ashost": "h", "sysnr": "01", "client": "100", "snc_partnername": "p:CN=SAP", "snc_lib": "/l/sapcrypto.so"},
         {"ashost": "h", "sysnr": "01", "client": "100", "snc_partnername": "p:CN=SAP", "snc_lib": "/l/sapcrypto.so",
          "snc_mode": "1", "snc_qop": "9"}),
    ],
)  # fmt: skip
def test_message_server_and_snc_parameters(credentials, expected):
    assert connection_parameters(credentials) == expected


@pytest.mark.parametrize(
    ("credentials", "missing"),
    [
        ({"ashost": "h", "sysnr": "00", "user": "U", "passwd": "P"}, "'client'"),
        ({"ashost": "h", "client": "100", "user": "U", "passwd": "P"}, "'ashost' and 'sysnr'"),
        ({"ashost": "h", "sysnr": "00", "client": "100", "user": "U"}, "'passwd'"),
    ],
)
def test_incomplete_credentials_are_refused(credentials, missing):
    with pytest.raises(ImproperlyConfigured, match=missing):
        connection_parameters(credentials)


# --- other read paths ---


def test_materials_through_the_bapis_carry_the_base_unit_and_the_sales_status(side):
    side.system.add_material("4711", "Kablo", units={"KAR": (10, 1)})
    side.system.add_material("900001", "Montaj", base_unit="H", material_type="DIEN")
    with side.make_adapter(material_source="bapi") as adapter:
        products = {p.code: p for p in next(adapter.read("product")).records}
    assert (products["4711"].unit, products["4711"].units, products["4711"].active) == ("ST", (), True)
    assert (products["900001"].active, products["900001"].inactive_reason) == (False, "not_sold")
    assert side.system.stats.calls["BAPI_MATERIAL_GET_DETAIL"] == len(side.system.materials)


def test_credit_from_a_simulation_and_balances_from_open_items(side):
    side.system.add_customer(CUSTOMER, "Öztürk", credit_limit=75000)
    side.system.add_customer("100001", "Çiğdem", order_block="01")
    side.system.post_item(CUSTOMER, D("1000.50"))
    side.system.post_item(CUSTOMER, D("-200"), doc_type="DZ")
    side.system.post_item(CUSTOMER, D("999"), cleared=True)
    with side.make_adapter(credit_source="BAPI_SALESORDER_SIMULATE", credit_probe_material="ÇAY-001") as adapter:
        credit = {c.customer_code: c for c in next(adapter.read("credit")).records}
        assert adapter.live_balance(CUSTOMER).balance == D("800.50")
    assert (credit[CUSTOMER].credit_limit, credit[CUSTOMER].hold) == (D(75000), False)
    assert credit["100001"].hold
    with side.make_adapter(credit_source="BAPI_SALESORDER_SIMULATE") as adapter, pytest.raises(PermanentError):
        list(next(adapter.read("credit")).records)


def test_ledger_of_open_items_only(side):
    side.system.post_item(CUSTOMER, D("500"), reference="F-1", doc_type="RV", due_days=30)
    side.system.post_item(CUSTOMER, D("300"), reference="F-0", doc_type="RV", cleared=True)
    with side.make_adapter(ledger_source="open_items") as adapter:
        entries = list(next(adapter.read("ledger")).records)
    assert [(e.document_number, e.amount, e.open_amount, e.kind) for e in entries] == [
        ("F-1", D(500), D(500), "invoice")
    ]
    assert entries[0].due_on == side.system.today + timedelta(days=30)


def test_a_table_the_user_may_not_read_and_a_missing_function_are_permanent(side, adapter):
    with pytest.raises(PermanentError, match="S_TABU_DIS"):
        adapter.read_table("USR02", ["BNAME"], keys=["BNAME"])
    with pytest.raises(PermanentError, match="no function module"):
        adapter._ask("Z_NOT_THERE")
