"""The SAP Business One Service Layer simulator, spoken to over real HTTP as an adapter would.

No database: the simulator holds its company in memory."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import requests

from erpsync.simulators import SapB1Simulator
from erpsync.simulators.sap_b1.demo import AWKWARD_ITEMS

ROOT = Path(__file__).resolve().parents[2]
LOGIN = {"CompanyDB": "SBODEMOTR", "UserName": "manager", "Password": "1234"}


def login(sim: SapB1Simulator) -> requests.Session:
    session = requests.Session()
    response = session.post(sim.base_url + "Login", json=LOGIN, timeout=5)
    assert response.status_code == 200, response.text
    return session


def error_of(response: requests.Response) -> tuple[int, int]:
    """(HTTP status, SL error code), after checking the error body has the documented shape."""
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["message"]["lang"] == "en-us"
    assert isinstance(body["error"]["message"]["value"], str)
    return response.status_code, body["error"]["code"]


@pytest.fixture
def sim():
    with SapB1Simulator() as simulator:
        yield simulator


@pytest.fixture
def client(sim):
    return login(sim)


def order_payload(num_at_card: str = "PORTAL-1", **lines: float) -> dict:
    rows = [{"ItemCode": code, "Quantity": quantity, "WarehouseCode": "01"} for code, quantity in lines.items()]
    return {"CardCode": "C0001", "NumAtCard": num_at_card, "DocDueDate": "2025-03-05", "DocumentLines": rows}


# ---------------------------------------------------------------------------------------------------------------
# Login and sessions


def test_login_answers_session_and_sets_both_cookies(sim):
    session = requests.Session()
    response = session.post(sim.base_url + "Login", json={**LOGIN, "Language": 27}, timeout=5)
    assert response.status_code == 200
    body = response.json()
    assert body["SessionTimeout"] == 30
    assert body["Version"] == "1000190"
    assert body["odata.metadata"].endswith("$metadata#B1Sessions/@Element")
    assert session.cookies["B1SESSION"] == body["SessionId"]
    assert session.cookies["ROUTEID"] == ".node1"
    assert "path=/" in response.headers["Set-Cookie"]
    assert session.get(sim.base_url + "Items", timeout=5).status_code == 200


@pytest.mark.parametrize("change", [{"Password": "wrong"}, {"UserName": "nobody"}, {"CompanyDB": "OTHERDB"}], ids=str)
def test_failed_login_is_401_with_login_failed_code(sim, change):
    response = requests.post(sim.base_url + "Login", json={**LOGIN, **change}, timeout=5)
    assert error_of(response) == (401, 100000027)
    assert "B1SESSION" not in response.cookies


def test_calls_without_or_with_unknown_session_are_401_code_301(sim):
    assert error_of(requests.get(sim.base_url + "Items", timeout=5)) == (401, 301)
    response = requests.get(sim.base_url + "Items", cookies={"B1SESSION": "nope", "ROUTEID": ".node1"}, timeout=5)
    assert error_of(response) == (401, 301)


def test_logout_ends_the_session(sim, client):
    assert client.post(sim.base_url + "Logout", timeout=5).status_code == 204
    assert error_of(client.get(sim.base_url + "Items", timeout=5)) == (401, 301)


def test_idle_timeout_is_sliding(sim, client):
    sim.advance_idle(20 * 60)
    assert client.get(sim.base_url + "Warehouses", timeout=5).status_code == 200
    sim.advance_idle(20 * 60)  # 40 minutes since login, 20 since the last call: still alive
    assert client.get(sim.base_url + "Warehouses", timeout=5).status_code == 200
    sim.advance_idle(31 * 60)
    assert error_of(client.get(sim.base_url + "Warehouses", timeout=5)) == (401, 301)
    # The documented cure: log in again and replay.
    client.post(sim.base_url + "Login", json=LOGIN, timeout=5)
    assert client.get(sim.base_url + "Warehouses", timeout=5).status_code == 200


def test_session_timeout_is_configurable_and_runs_on_real_time():
    with SapB1Simulator(session_timeout=0.005, items=1, customers=0) as sim:  # 0.3 s
        client = login(sim)
        assert client.post(sim.base_url + "Login", json=LOGIN, timeout=5).json()["SessionTimeout"] == 0.005
        time.sleep(0.45)
        assert error_of(client.get(sim.base_url + "Items", timeout=5)) == (401, 301)


def test_session_cap_refuses_new_logins():
    with SapB1Simulator(max_sessions=2, items=1, customers=0) as sim:
        first, _second = login(sim), login(sim)
        assert error_of(requests.post(sim.base_url + "Login", json=LOGIN, timeout=5)) == (401, 100000027)
        first.post(sim.base_url + "Logout", timeout=5)
        login(sim)  # a seat was freed


def test_session_cap_can_evict_the_oldest_session():
    with SapB1Simulator(max_sessions=1, session_cap_policy="evict_oldest", items=1, customers=0) as sim:
        first = login(sim)
        second = login(sim)
        assert error_of(first.get(sim.base_url + "Items", timeout=5)) == (401, 301)
        assert second.get(sim.base_url + "Items", timeout=5).status_code == 200
        assert sim.sessions.count() == 1


def test_missing_routeid_is_refused_when_required():
    with SapB1Simulator(require_routeid=True, items=1, customers=0) as sim:
        client = login(sim)
        assert client.get(sim.base_url + "Items", timeout=5).status_code == 200
        cookies = {"B1SESSION": client.cookies["B1SESSION"]}
        assert error_of(requests.get(sim.base_url + "Items", cookies=cookies, timeout=5)) == (401, 301)


# ---------------------------------------------------------------------------------------------------------------
# Errors, keys, paging and query options


def test_get_by_key_and_the_documented_errors(sim, client):
    item = client.get(sim.base_url + "Items('A0001')", timeout=5)
    assert item.status_code == 200
    assert item.json()["ItemCode"] == "A0001"
    assert item.headers["ETag"].startswith('W/"')
    assert error_of(client.get(sim.base_url + "Items('NOPE')", timeout=5)) == (404, -2028)
    assert error_of(client.get(sim.base_url + "Orders(999)", timeout=5)) == (404, -2028)
    duplicate = client.post(sim.base_url + "Items", json={"ItemCode": "A0001", "ItemName": "Again"}, timeout=5)
    assert error_of(duplicate) == (400, -2035)
    assert client.get(sim.base_url + "NoSuchThing", timeout=5).status_code == 404
    special = client.get(sim.base_url + "SpecialPrices(CardCode='C0001',ItemCode='A0001')", timeout=5)
    assert special.json()["CardCode"] == "C0001"


def test_default_page_is_20_and_next_links_walk_every_row():
    with SapB1Simulator(items=95, customers=1) as sim:
        client = login(sim)
        first = client.get(sim.base_url + "Items?$select=ItemCode&$filter=ItemsGroupCode ge 0", timeout=5).json()
        assert len(first["value"]) == 20
        assert first["odata.nextLink"].startswith("Items?")  # relative to the service root
        codes, url, pages = [], sim.base_url + "Items?$select=ItemCode&$filter=ItemsGroupCode ge 0", 0
        while url:
            page = client.get(url, timeout=5).json()
            codes += [row["ItemCode"] for row in page["value"]]
            url = sim.base_url + page["odata.nextLink"] if "odata.nextLink" in page else None
            pages += 1
        assert len(codes) == 95 + 6  # the demo's goods and its six items of awkward shapes
        assert pages == 6
        assert codes == sorted(sim.company.items)


def test_page_size_headers():
    with SapB1Simulator(items=45, customers=1) as sim:
        client = login(sim)
        url = sim.base_url + "Items?$select=ItemCode"
        prefer = client.get(url, headers={"Prefer": "odata.maxpagesize=7"}, timeout=5)
        assert len(prefer.json()["value"]) == 7
        assert prefer.headers["Preference-Applied"] == "odata.maxpagesize=7"
        b1s = client.get(url, headers={"B1S-PageSize": "9"}, timeout=5)
        assert len(b1s.json()["value"]) == 9
        assert "Preference-Applied" not in b1s.headers
        both = client.get(url, headers={"Prefer": "odata.maxpagesize=7", "B1S-PageSize": "9"}, timeout=5)
        assert len(both.json()["value"]) == 7
        everything = client.get(url, headers={"B1S-PageSize": "0"}, timeout=5).json()
        assert len(everything["value"]) == len(sim.company.items) == 45 + 6
        assert "odata.nextLink" not in everything
        assert error_of(client.get(url, headers={"B1S-PageSize": "x"}, timeout=5)) == (400, -1000)
    with SapB1Simulator(items=45, customers=1, page_size_precedence="b1s") as sim:
        both = login(sim).get(
            sim.base_url + "Items", headers={"Prefer": "odata.maxpagesize=7", "B1S-PageSize": "9"}, timeout=5
        )
        assert len(both.json()["value"]) == 9


def test_top_skip_orderby_select_and_counts(sim, client):
    top = client.get(sim.base_url + "Items?$top=5&$skip=2&$select=ItemCode", timeout=5).json()
    assert [row["ItemCode"] for row in top["value"]] == ["A0003", "A0004", "A0005", "A0006", "A0007"]
    assert set(top["value"][0]) == {"odata.etag", "ItemCode"}  # every list row carries its ETag
    assert "odata.nextLink" not in top  # $top within one page: no link even though more rows exist
    longer = client.get(sim.base_url + "Items?$top=23&$select=ItemCode", timeout=5).json()
    assert len(longer["value"]) == 20
    rest = client.get(sim.base_url + longer["odata.nextLink"], timeout=5).json()
    assert [row["ItemCode"] for row in rest["value"]] == ["A0021", "A0022", "A0023"]
    desc = client.get(sim.base_url + "Items?$orderby=ItemsGroupCode desc,ItemCode&$select=ItemsGroupCode,ItemCode")
    rows = [(row["ItemsGroupCode"], row["ItemCode"]) for row in desc.json()["value"]]
    assert rows == sorted(rows, key=lambda row: (-row[0], row[1]))
    assert client.get(sim.base_url + "Items/$count?$filter=ItemsGroupCode eq 100").text == str(
        sum(1 for item in sim.company.items.values() if item["ItemsGroupCode"] == 100)
    )
    counted = client.get(sim.base_url + "Items?$inlinecount=allpages&$top=1", timeout=5).json()
    assert counted["odata.count"] == str(len(sim.company.items)) == "31"
    assert error_of(client.get(sim.base_url + "Items?$select=Nope", timeout=5)) == (400, -1000)
    assert error_of(client.get(sim.base_url + "Items?$orderby=ItemCode sideways", timeout=5)) == (400, -1000)


def test_filter_operators_strings_numbers_and_case(sim, client):
    sim.add_item("Q1", "O'Brien bolt", price=10)

    def codes(expression: str, **headers: str) -> list[str]:
        response = client.get(
            sim.base_url + "Items",
            params={"$filter": expression, "$select": "ItemCode"},
            headers={"B1S-PageSize": "0", **headers},
            timeout=5,
        )
        assert response.status_code == 200, response.text
        return [row["ItemCode"] for row in response.json()["value"]]

    assert codes("ItemName eq 'O''Brien bolt'") == ["Q1"]
    assert codes("ItemName eq 'o''brien BOLT'") == []
    assert codes("ItemName eq 'o''brien BOLT'", **{"B1S-CaseInsensitive": "true"}) == ["Q1"]
    assert codes("ItemCode ge 'A0003' and ItemCode lt 'A0006'") == ["A0003", "A0004", "A0005"]
    assert codes("ItemCode eq 'A0001' or (ItemCode eq 'A0002' and ItemType eq 'itItems')") == ["A0001", "A0002"]
    assert codes("not (ItemCode ne 'A0007')") == ["A0007"]
    assert codes("ManageBatchNumbers eq 'tYES'") == ["A0003"]
    assert codes("startswith(ItemCode,'Q')") == ["Q1"]
    assert codes("substringof('Brien',ItemName)") == ["Q1"]
    group = [code for code, item in sim.company.items.items() if item["ItemsGroupCode"] == 101]
    assert codes("ItemsGroupCode eq 101") == group
    assert codes("101 eq ItemsGroupCode") == group
    assert codes("ForeignName eq null and startswith(ItemCode,'Q')") == ["Q1"]
    assert codes("ForeignName eq null") == ["Q1", *(item["ItemCode"] for item in AWKWARD_ITEMS)]


@pytest.mark.parametrize(
    "expression",
    [
        "ItemCode eq",
        "ItemCode eq 'A0001",
        "ItemCode eq 'A0001')",
        "(ItemCode eq 'A0001'",
        "ItemsGroupCode add 1 gt 2",
        "Nope eq 1",
        "ItemPrices/PriceList eq 1",
        "DocumentLines/any(d: d/ItemCode eq 'A')",
        "frobnicate(ItemCode)",
        "ItemCode",
        "ItemCode eq 'A' and",
        "ItemCode == 'A'",
        "ItemPrices eq 1",
        "ItemsGroupCode eq 'abc'",
        "",
    ],
)
def test_unsupported_or_broken_filters_are_400(sim, client, expression):
    response = client.get(sim.base_url + "Items", params={"$filter": expression}, timeout=5)
    assert error_of(response) == (400, -1000)


def test_delta_by_update_date_and_time_naive_filter_drops_a_row(sim, client):
    sim.touch_item("A0001", datetime(2024, 3, 9, 23, 0, 0))  # before the watermark
    sim.touch_item("A0002", datetime(2024, 3, 10, 10, 0, 0))  # same day, earlier: before
    sim.touch_item("A0003", datetime(2024, 3, 10, 13, 0, 0))  # same day, later: after
    sim.touch_item("A0004", datetime(2024, 3, 11, 8, 0, 0))  # next day, earlier clock time: after
    for code in list(sim.company.items)[4:]:
        sim.touch_item(code, datetime(2024, 1, 1, 12, 0, 0))

    def codes(expression: str) -> list[str]:
        response = client.get(sim.base_url + "Items", params={"$filter": expression, "$select": "ItemCode"}, timeout=5)
        assert response.status_code == 200, response.text
        return [row["ItemCode"] for row in response.json()["value"]]

    correct = "UpdateDate gt '2024-03-10' or (UpdateDate eq '2024-03-10' and UpdateTime ge '12:00:00')"
    naive = "UpdateDate ge '2024-03-10' and UpdateTime ge '12:00:00'"
    assert codes(correct) == ["A0003", "A0004"]
    assert codes(naive) == ["A0003"]  # A0004 silently lost
    # The other literal spellings clients send mean the same thing.
    assert codes(
        "UpdateDate gt datetime'2024-03-10T00:00:00' or (UpdateDate eq '2024-03-10T00:00:00Z' "
        "and UpdateTime ge '12:00')"
    ) == ["A0003", "A0004"]
    item = client.get(sim.base_url + "Items('A0004')?$select=UpdateDate,UpdateTime", timeout=5).json()
    assert (item["UpdateDate"], item["UpdateTime"]) == ("2024-03-11", "08:00:00")


# ---------------------------------------------------------------------------------------------------------------
# Documents and their effects


def test_order_commits_stock_and_numatcard_is_not_unique(sim, client):
    before = sim.stock("A0001")["Committed"]
    first = client.post(sim.base_url + "Orders", json=order_payload("PO-7", A0001=3), timeout=5)
    assert first.status_code == 201
    order = first.json()
    assert order["DocumentStatus"] == "bost_Open"
    assert order["Cancelled"] == "tNO"
    assert order["DocumentLines"][0]["LineNum"] == 0
    assert order["DocumentLines"][0]["RemainingOpenQuantity"] == 3
    assert order["DocTotal"] > 0
    assert sim.stock("A0001")["Committed"] == before + 3
    again = client.post(sim.base_url + "Orders", json=order_payload("PO-7", A0001=1), timeout=5)
    assert again.status_code == 201
    found = client.get(sim.base_url + "Orders", params={"$filter": "NumAtCard eq 'PO-7'", "$select": "DocEntry"})
    assert [row["DocEntry"] for row in found.json()["value"]] == [order["DocEntry"], again.json()["DocEntry"]]
    fetched = client.get(sim.base_url + f"Orders({order['DocEntry']})", timeout=5).json()
    assert fetched["DocNum"] == order["DocNum"]


def test_order_uses_units_of_measure_for_committed_quantity(sim, client):
    before = sim.stock("A0005")["Committed"]
    order = client.post(sim.base_url + "Orders", json=order_payload(A0005=2), timeout=5).json()
    assert order["DocumentLines"][0]["UoMCode"] == "Box12"
    assert order["DocumentLines"][0]["InventoryQuantity"] == 24
    assert sim.stock("A0005")["Committed"] == before + 24


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"CardCode": "NOPE"}, "unknown customer"),
        ({"CardCode": "V0001"}, "supplier"),
        ({"DocumentLines": [{"ItemCode": "NOPE", "Quantity": 1}]}, "unknown item"),
        ({"DocumentLines": [{"ItemCode": "A0001", "Quantity": 0}]}, "zero quantity"),
        ({"DocumentLines": [{"ItemCode": "A0001", "Quantity": 1, "WarehouseCode": "99"}]}, "unknown warehouse"),
        ({"DocumentLines": []}, "no lines"),
        ({"DocDueDate": None}, "no delivery date"),
    ],
)
def test_order_validation_refusals(sim, client, change, why):
    committed = sim.stock("A0001")["Committed"]
    response = client.post(sim.base_url + "Orders", json={**order_payload(A0001=1), **change}, timeout=5)
    assert error_of(response) == (400, -10), why
    assert sim.company.orders == {}
    assert sim.stock("A0001")["Committed"] == committed


def test_unknown_field_is_refused(sim, client):
    response = client.post(sim.base_url + "Orders", json={**order_payload(A0001=1), "Nonsense": 1}, timeout=5)
    assert error_of(response) == (400, -1000)
    response = client.post(sim.base_url + "Orders", json={**order_payload(A0001=1), "DocDate": "31.02.2025"})
    assert error_of(response) == (400, -1000)
    broken = client.post(sim.base_url + "Orders", data="{not json", timeout=5)
    assert error_of(broken) == (400, -1000)


def test_cancel_and_close_release_committed(sim, client):
    committed = sim.stock("A0001")["Committed"]
    one = client.post(sim.base_url + "Orders", json=order_payload(A0001=4), timeout=5).json()["DocEntry"]
    two = client.post(sim.base_url + "Orders", json=order_payload(A0001=6), timeout=5).json()["DocEntry"]
    assert sim.stock("A0001")["Committed"] == committed + 10
    assert client.post(sim.base_url + f"Orders({one})/Cancel", timeout=5).status_code == 204
    assert sim.company.orders[one]["Cancelled"] == "tYES"
    assert sim.company.orders[one]["DocumentStatus"] == "bost_Close"
    assert sim.stock("A0001")["Committed"] == committed + 6
    assert error_of(client.post(sim.base_url + f"Orders({one})/Cancel", timeout=5)) == (400, -10)
    sim.deliver(two, {0: 2})
    assert error_of(client.post(sim.base_url + f"Orders({two})/Cancel", timeout=5)) == (400, -10)
    assert client.post(sim.base_url + f"Orders({two})/Close", timeout=5).status_code == 204
    assert sim.company.orders[two]["DocumentStatus"] == "bost_Close"
    assert sim.company.orders[two]["Cancelled"] == "tNO"
    assert sim.stock("A0001")["Committed"] == committed
    assert error_of(client.post(sim.base_url + f"Orders({two})/Close", timeout=5)) == (400, -10)
    assert error_of(client.post(sim.base_url + "Orders(999)/Close", timeout=5)) == (404, -2028)


def test_delivery_from_order_moves_stock_and_closes_the_order(sim, client):
    stock = sim.stock("A0001")
    order = client.post(sim.base_url + "Orders", json=order_payload(A0001=5, A0002=1), timeout=5).json()
    entry = order["DocEntry"]
    partial = {
        "CardCode": "C0001",
        "TrackingNumber": "1Z999",
        "DocumentLines": [{"BaseType": 17, "BaseEntry": entry, "BaseLine": 0, "Quantity": 2}],
    }
    delivery = client.post(sim.base_url + "DeliveryNotes", json=partial, timeout=5)
    assert delivery.status_code == 201, delivery.text
    assert delivery.json()["TrackingNumber"] == "1Z999"
    assert delivery.json()["DocumentLines"][0]["ItemCode"] == "A0001"  # copied from the base line
    assert sim.stock("A0001") | {} == stock | {"InStock": stock["InStock"] - 2, "Committed": stock["Committed"] + 3}
    line = sim.company.orders[entry]["DocumentLines"][0]
    assert (line["RemainingOpenQuantity"], line["LineStatus"]) == (3, "bost_Open")
    too_much = {**partial, "DocumentLines": [{"BaseType": 17, "BaseEntry": entry, "BaseLine": 0, "Quantity": 4}]}
    assert error_of(client.post(sim.base_url + "DeliveryNotes", json=too_much, timeout=5)) == (400, -10)
    sim.deliver(entry, tracking_number="1Z1000")
    assert sim.company.orders[entry]["DocumentStatus"] == "bost_Close"
    assert sim.stock("A0001")["Committed"] == stock["Committed"]
    assert sim.stock("A0001")["InStock"] == stock["InStock"] - 5
    found = client.get(sim.base_url + "DeliveryNotes", params={"$filter": "TrackingNumber eq '1Z1000'"}).json()
    assert [line["BaseEntry"] for line in found["value"][0]["DocumentLines"]] == [entry, entry]


def test_batch_managed_item_needs_batch_numbers_to_leave_stock(sim, client):
    entry = client.post(sim.base_url + "Orders", json=order_payload(A0003=3), timeout=5).json()["DocEntry"]
    base = {"BaseType": 17, "BaseEntry": entry, "BaseLine": 0}
    without = {"CardCode": "C0001", "DocumentLines": [base]}
    assert error_of(client.post(sim.base_url + "DeliveryNotes", json=without, timeout=5)) == (400, -10)
    with_batches = {
        "CardCode": "C0001",
        "DocumentLines": [{**base, "BatchNumbers": [{"BatchNumber": "L1", "Quantity": 3}]}],
    }
    assert client.post(sim.base_url + "DeliveryNotes", json=with_batches, timeout=5).status_code == 201


def test_invoice_credit_note_and_payment(sim, client):
    partner = sim.company.business_partners["C0001"]
    entry = client.post(sim.base_url + "Orders", json=order_payload(A0002=4), timeout=5).json()["DocEntry"]
    delivery = sim.deliver(entry)
    in_stock = sim.stock("A0002")["InStock"]
    lines = [{"BaseType": 15, "BaseEntry": delivery["DocEntry"], "BaseLine": 0}]
    response = client.post(sim.base_url + "Invoices", json={"CardCode": "C0001", "DocumentLines": lines}, timeout=5)
    assert response.status_code == 201, response.text
    invoice = response.json()
    assert sim.stock("A0002")["InStock"] == in_stock  # the delivery already took it out
    assert sim.company.delivery_notes[delivery["DocEntry"]]["DocumentStatus"] == "bost_Close"
    assert partner["CurrentAccountBalance"] == invoice["DocTotal"]

    returned = {
        "CardCode": "C0001",
        "DocumentLines": [{"BaseType": 13, "BaseEntry": invoice["DocEntry"], "BaseLine": 0, "Quantity": 1}],
    }
    credit = client.post(sim.base_url + "CreditNotes", json=returned, timeout=5)
    assert credit.status_code == 201, credit.text
    assert sim.stock("A0002")["InStock"] == in_stock + 1
    balance = round(invoice["DocTotal"] - credit.json()["DocTotal"], 2)
    assert partner["CurrentAccountBalance"] == balance
    # The credit note copied from the invoice settles that much of it, and is itself applied in full.
    credited = client.get(sim.base_url + f"Invoices({invoice['DocEntry']})", timeout=5).json()
    assert (credited["PaidToDate"], credited["DocumentStatus"]) == (credit.json()["DocTotal"], "bost_Open")
    assert (credit.json()["PaidToDate"], credit.json()["DocumentStatus"]) == (credit.json()["DocTotal"], "bost_Close")

    overpaid = {
        "CardCode": "C0001",
        "TransferSum": invoice["DocTotal"],
        "PaymentInvoices": [{"DocEntry": invoice["DocEntry"], "SumApplied": invoice["DocTotal"]}],
    }
    assert error_of(client.post(sim.base_url + "IncomingPayments", json=overpaid, timeout=5)) == (400, -10)
    payment = {
        "CardCode": "C0001",
        "DocDate": "2025-03-10",
        "TransferSum": balance,
        "TransferReference": "EFT-1",
        "PaymentInvoices": [{"DocEntry": invoice["DocEntry"], "SumApplied": balance, "InvoiceType": "it_Invoice"}],
    }
    paid = client.post(sim.base_url + "IncomingPayments", json=payment, timeout=5)
    assert paid.status_code == 201, paid.text
    assert paid.json()["DocType"] == "rCustomer"
    paid_invoice = client.get(sim.base_url + f"Invoices({invoice['DocEntry']})", timeout=5).json()
    assert paid_invoice["PaidToDate"] == invoice["DocTotal"]
    assert paid_invoice["DocumentStatus"] == "bost_Close"
    assert partner["CurrentAccountBalance"] == 0


def test_cancelling_a_credit_note_takes_back_what_it_applied(sim):
    order = sim.create("Orders", order_payload(A0002=4))
    invoice = sim.invoice(order["DocEntry"], base_type=17)
    note = sim.credit_note(invoice["DocEntry"], {0: 1})
    assert sim.company.invoices[invoice["DocEntry"]]["PaidToDate"] == note["DocTotal"]

    with sim.company.lock:
        sim.company.action("CreditNotes", note["DocEntry"], "Cancel")

    assert sim.company.invoices[invoice["DocEntry"]]["PaidToDate"] == 0
    assert sim.company.credit_notes[note["DocEntry"]]["Cancelled"] == "tYES"
    assert sim.company.business_partners["C0001"]["CurrentAccountBalance"] == invoice["DocTotal"]


def test_invoice_helper_from_an_order_takes_stock_out(sim):
    order = sim.create("Orders", order_payload(A0006=2))
    stock = sim.stock("A0006")
    sim.invoice(order["DocEntry"], base_type=17)
    assert sim.stock("A0006")["InStock"] == stock["InStock"] - 2
    assert sim.stock("A0006")["Committed"] == stock["Committed"] - 2
    assert sim.company.orders[order["DocEntry"]]["DocumentStatus"] == "bost_Close"


def test_patch_updates_with_204_moves_committed_and_checks_etag(sim, client):
    sim.set_time(datetime(2025, 5, 1, 9, 30, 0))
    order = client.post(sim.base_url + "Orders", json=order_payload(A0001=2), timeout=5)
    entry, etag = order.json()["DocEntry"], order.headers["ETag"]
    committed = sim.stock("A0001")["Committed"]
    sim.clock.advance(timedelta(minutes=5))
    change = {"Comments": "ring twice", "DocumentLines": [{"LineNum": 0, "Quantity": 5}]}
    response = client.patch(sim.base_url + f"Orders({entry})", json=change, headers={"If-Match": etag}, timeout=5)
    assert response.status_code == 204, response.text
    assert sim.stock("A0001")["Committed"] == committed + 3
    stored = sim.company.orders[entry]
    assert (stored["Comments"], stored["UpdateTime"]) == ("ring twice", "09:35:00")
    stale = client.patch(sim.base_url + f"Orders({entry})", json={"Comments": "x"}, headers={"If-Match": etag})
    assert error_of(stale) == (412, -2039)
    read_only = client.patch(sim.base_url + f"Orders({entry})", json={"DocumentStatus": "bost_Close"}, timeout=5)
    assert error_of(read_only) == (400, -10)
    renamed = client.patch(sim.base_url + "Items('A0001')", json={"ItemName": "Renamed"}, timeout=5)
    assert renamed.status_code == 204
    item = sim.company.items["A0001"]
    assert (item["ItemName"], item["UpdateDate"], item["UpdateTime"]) == ("Renamed", "2025-05-01", "09:35:00")


def test_approval_procedure_makes_a_draft(sim, client):
    sim.company.approval_required = True
    refused = client.post(sim.base_url + "Orders", json=order_payload("PO-APP", A0001=1), timeout=5)
    assert error_of(refused) == (400, -2028)
    quiet = client.post(
        sim.base_url + "Orders",
        json=order_payload("PO-APP2", A0001=1),
        headers={"Prefer": "return-no-content"},
        timeout=5,
    )
    assert quiet.status_code == 204
    assert quiet.content == b""
    drafts = client.get(sim.base_url + "Drafts", params={"$filter": "NumAtCard eq 'PO-APP2'"}, timeout=5).json()
    assert len(drafts["value"]) == 1
    assert sim.company.orders == {}


# ---------------------------------------------------------------------------------------------------------------
# Faults and concurrency


def test_latency_fault(sim, client):
    fault = sim.faults.latency("Items*", seconds=0.3, count=1)
    started = time.monotonic()
    assert client.get(sim.base_url + "Items", timeout=5).status_code == 200
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    client.get(sim.base_url + "Items", timeout=5)
    assert time.monotonic() - started < 0.3
    assert fault.hits == 1


def test_server_error_and_throttle_faults(sim, client):
    sim.faults.error("Orders", status=502, method="POST", count=1)
    bad_gateway = client.post(sim.base_url + "Orders", json=order_payload(A0001=1), timeout=5)
    assert bad_gateway.status_code == 502
    assert sim.company.orders == {}  # refused before anything was applied
    sim.faults.throttle("Items", retry_after=3, count=2)
    for _ in range(2):
        throttled = client.get(sim.base_url + "Items", timeout=5)
        assert throttled.status_code == 429
        assert throttled.headers["Retry-After"] == "3"
    assert client.get(sim.base_url + "Items", timeout=5).status_code == 200
    assert client.post(sim.base_url + "Orders", json=order_payload(A0001=1), timeout=5).status_code == 201


def test_forced_session_expiry_fault(sim, client):
    sim.faults.expire_session("Items", count=1)
    assert error_of(client.get(sim.base_url + "Items", timeout=5)) == (401, 301)
    assert error_of(client.get(sim.base_url + "Warehouses", timeout=5)) == (401, 301)  # the session is gone
    client.post(sim.base_url + "Login", json=LOGIN, timeout=5)
    assert client.get(sim.base_url + "Items", timeout=5).status_code == 200


def test_connection_reset_fault_applies_nothing(sim, client):
    sim.faults.reset("Orders", method="POST")
    with pytest.raises(requests.ConnectionError):
        client.post(sim.base_url + "Orders", json=order_payload(A0001=1), timeout=5)
    assert sim.company.orders == {}


def test_drop_response_fault_applies_the_write(sim, client):
    sim.faults.drop_response("Orders", method="POST")
    with pytest.raises(requests.ConnectionError):
        client.post(sim.base_url + "Orders", json=order_payload("PO-LOST", A0001=1), timeout=5)
    # The commit-uncertain case: the order exists and is found by its reference.
    found = client.get(sim.base_url + "Orders", params={"$filter": "NumAtCard eq 'PO-LOST'"}, timeout=5).json()
    assert len(found["value"]) == 1
    sim.faults.drop_response("Orders", method="POST", mode="timeout", seconds=1.0)
    with pytest.raises(requests.ReadTimeout):
        client.post(sim.base_url + "Orders", json=order_payload("PO-SLOW", A0001=1), timeout=0.3)
    assert [order["NumAtCard"] for order in sim.company.orders.values()] == ["PO-LOST", "PO-SLOW"]


def test_concurrency_counter_sees_simultaneous_requests(sim, client):
    sim.faults.latency("Warehouses", seconds=0.3, count=None)
    sim.stats.reset()
    cookies = client.cookies.get_dict()
    statuses: list[int] = []

    def call() -> None:
        statuses.append(requests.get(sim.base_url + "Warehouses", cookies=cookies, timeout=5).status_code)

    threads = [threading.Thread(target=call) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 4
    assert sim.stats.max_concurrent == 4
    assert sim.stats.count("GET", "Warehouses") == 4


# ---------------------------------------------------------------------------------------------------------------
# Command line


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_management_command_serves_until_terminated():
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "b2bportal.settings.test"}
    process = subprocess.Popen(
        [sys.executable, "manage.py", "erp_simulator", "sap_b1", "--port", str(port), "--items", "3", "--seed", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        banner = process.stdout.readline()
        assert f"http://127.0.0.1:{port}/b1s/v1/" in banner, process.stderr.read() if process.poll() else banner
        assert "Login" in process.stdout.readline()
        session = requests.Session()
        base = f"http://127.0.0.1:{port}/b1s/v1/"
        assert session.post(base + "Login", json=LOGIN, timeout=5).status_code == 200
        items = session.get(base + "Items?$select=ItemCode", timeout=5).json()["value"]
        assert [row["ItemCode"] for row in items] == ["A0001", "A0002", "A0003"]
    finally:
        process.terminate()
        process.wait(timeout=10)
