"""The simulated Service Layer is as strict as a real one: bodies and query options are checked against the real
``$metadata`` subset, UDFs exist only when the company declares them, enum values are the real ones, v1 and v2 answer
in their own forms, ``$expand``, ``$batch`` change sets and SAP's cancellation documents work, payments have no update
stamps, and the demo company has the shapes real companies have."""

from __future__ import annotations

import json

import pytest
import requests

from erpsync.simulators import SapB1Simulator
from erpsync.simulators.sap_b1 import schema
from erpsync.simulators.sap_b1.demo import AWKWARD_ITEMS
from erpsync.simulators.sap_b1.metadata import metadata
from erpsync.simulators.sap_b1.real import load_real_items, real_items


@pytest.fixture(scope="module")
def sim():
    with SapB1Simulator(items=6, customers=2) as simulator:
        yield simulator


def login(sim: SapB1Simulator, root: str) -> requests.Session:
    client = requests.Session()
    answer = client.post(
        root + "Login", json={"CompanyDB": sim.company_db, "UserName": "manager", "Password": "1234"}, timeout=5
    )
    assert answer.status_code == 200
    return client


@pytest.fixture(scope="module")
def v1(sim):
    return login(sim, sim.base_url)


@pytest.fixture(scope="module")
def v2(sim):
    return login(sim, sim.base_url_v2)


def order_body(**extra):
    lines = [{"ItemCode": "A0001", "Quantity": 1, "UnitPrice": 10}]
    return {"CardCode": "C0001", "DocDueDate": "2026-05-01", "DocumentLines": lines, **extra}


# --- the metadata and the templates ---------------------------------------------------------------------------


TEMPLATES = {
    schema.item_template: "Item",
    schema.item_price_template: "ItemPrice",
    schema.warehouse_info_template: "ItemWarehouseInfo",
    schema.warehouse_template: "Warehouse",
    schema.price_list_template: "PriceList",
    schema.special_price_template: "SpecialPrice",
    schema.uom_group_template: "UnitOfMeasurementGroup",
    schema.business_partner_template: "BusinessPartner",
    schema.address_template: "BPAddress",
    schema.document_template: "Document",
    schema.document_line_template: "DocumentLine",
    schema.payment_template: "Payment",
    schema.payment_invoice_template: "PaymentInvoice",
}


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda template: TEMPLATES[template])
def test_every_stored_field_and_enum_value_exists_in_the_real_metadata(template):
    meta = metadata()
    props = meta.properties(TEMPLATES[template])
    row = template()
    assert set(row) <= set(props), set(row) - set(props)
    for name, value in row.items():
        members = meta.enum_of(props[name])
        if members is not None and value is not None:
            assert value in members, (name, value)


def test_the_metadata_subset_has_the_real_names_the_simulator_used_to_invent():
    meta = metadata()
    assert meta.enums["BoPriceListGroupNum"][0] == "boplgn_Group1"
    assert meta.enums["CancelStatusEnum"] == ("csYes", "csNo", "csCancellation")
    assert "PriceListName" not in meta.properties("ItemPrice")
    assert "Discountin" in meta.properties("SpecialPriceQuantityArea")
    assert not {"UpdateDate", "UpdateTime"} & set(meta.properties("Payment"))
    # 65 standard properties: the recorded company's stock rows have 66 with its own UDF.
    assert len(meta.properties("ItemWarehouseInfo")) == 65


def test_recorded_items_fit_the_metadata_subset():
    for item in real_items():
        meta = metadata()
        assert {name for name in item if not name.startswith("U_")} <= set(meta.properties("Item"))
        rows = item["ItemWarehouseInfoCollection"]
        assert len(rows) == 10
        assert {name for name in rows[0] if not name.startswith("U_")} == set(meta.properties("ItemWarehouseInfo"))
        assert len(rows[0]) == 66


# --- bodies, $select, UDFs, enums -------------------------------------------------------------------------------


def test_an_unknown_property_in_a_body_or_select_is_the_real_400(sim, v1, v2):
    refused = v2.post(sim.base_url_v2 + "Orders", json=order_body(DocStatus="O"), timeout=5)
    assert refused.status_code == 400
    assert refused.json() == {
        "error": {
            "code": "-1000",
            "details": [{"code": "", "message": ""}],
            "message": "Property 'DocStatus' of 'Document' is invalid",
        }
    }
    line = {"ItemCode": "A0001", "Quantity": 1, "Whatever": 1}
    nested = v1.post(sim.base_url + "Orders", json=order_body(DocumentLines=[line]), timeout=5)
    assert nested.json()["error"] == {
        "code": -1000,
        "message": {"lang": "en-us", "value": "Property 'Whatever' of 'DocumentLine' is invalid"},
    }
    selected = v2.get(sim.base_url_v2 + "Orders?$select=DocEntry,SlpCode", timeout=5)
    assert (selected.status_code, selected.json()["error"]["message"]) == (
        400,
        "Property 'SlpCode' of 'Document' is invalid",
    )
    # A real property the company does not fill is shown empty, not refused.
    item = v1.get(sim.base_url + "Items('A0001')?$select=ItemCode,AvgStdPrice", timeout=5).json()
    assert item["AvgStdPrice"] == 0.0


def test_enum_values_must_be_real_members(sim, v1):
    refused = v1.post(sim.base_url + "Orders", json=order_body(DocType="dDocument_Goods"), timeout=5)
    assert refused.status_code == 400 and "DocType" in refused.json()["error"]["message"]["value"]


def test_udfs_exist_once_declared_and_a_mandatory_one_must_be_given():
    with SapB1Simulator(items=2, customers=1) as sim:
        client = login(sim, sim.base_url_v2)
        url = sim.base_url_v2 + "Orders"
        assert client.post(url, json=order_body(U_Kanal="B2B"), timeout=5).status_code == 400
        sim.company.declare_udf("Document", "U_Kanal", mandatory=True)
        missing = client.post(url, json=order_body(), timeout=5)
        assert missing.status_code == 400 and "U_Kanal" in missing.json()["error"]["message"]
        created = client.post(url, json=order_body(U_Kanal="B2B"), timeout=5)
        assert created.status_code == 201 and created.json()["U_Kanal"] == "B2B"
        found = client.get(url + "?$select=DocEntry,U_Kanal&$filter=U_Kanal eq 'B2B'", timeout=5).json()
        assert [row["U_Kanal"] for row in found["value"]] == ["B2B"]


# --- v1 and v2 forms --------------------------------------------------------------------------------------------


def test_v2_answers_in_odata_v4_form_and_v1_in_v3_form(sim, v1, v2):
    answer = v2.get(sim.base_url_v2 + "Items?$select=ItemCode,UpdateDate", headers={"B1S-PageSize": "2"}, timeout=5)
    assert answer.headers["OData-Version"] == "4.0"
    assert answer.headers["Content-Type"].startswith("application/json;odata.metadata=minimal")
    body = answer.json()
    assert body["@odata.context"].endswith("$metadata#Items")
    assert body["@odata.nextLink"].startswith("Items?")
    first = body["value"][0]
    assert first["@odata.etag"].startswith('W/"') and first["UpdateDate"].endswith("T00:00:00Z")
    old = v1.get(sim.base_url + "Items?$select=ItemCode,UpdateDate", headers={"B1S-PageSize": "2"}, timeout=5)
    assert old.headers["DataServiceVersion"] == "3.0" and "OData-Version" not in old.headers
    row = old.json()["value"][0]
    assert "odata.nextLink" in old.json() and row["odata.etag"] == first["@odata.etag"]
    assert len(row["UpdateDate"]) == 10
    counted = v2.get(sim.base_url_v2 + "Items?$count=true&$top=1", timeout=5).json()
    assert counted["@odata.count"] == len(sim.company.items)


def test_full_width_rows_go_out_as_a_real_company_sends_them(sim, v2):
    item = v2.get(sim.base_url_v2 + "Items('A0001')", timeout=5).json()
    assert len([name for name in item if not name.startswith("@")]) == len(metadata().properties("Item"))
    stock = v2.get(sim.base_url_v2 + "Items('A0001')?$select=ItemWarehouseInfoCollection", timeout=5).json()
    rows = stock["ItemWarehouseInfoCollection"]
    # The demo company, like the recorded one, has a UDF on stock rows: 65 properties and the UDF.
    assert len(rows) == 10 and all(len(row) == 66 for row in rows)


def test_expand_embeds_the_business_partner(sim, v2):
    v2.post(sim.base_url_v2 + "Orders", json=order_body(), timeout=5)
    url = sim.base_url_v2 + "Orders?$select=DocEntry,CardCode&$expand=BusinessPartner($select=CardCode,CardName)"
    row = v2.get(url, timeout=5).json()["value"][0]
    name = sim.company.business_partners["C0001"]["CardName"]
    assert row["BusinessPartner"] == {"CardCode": "C0001", "CardName": name}
    assert v2.get(sim.base_url_v2 + "Orders?$expand=Nope", timeout=5).status_code == 400


# --- $batch -----------------------------------------------------------------------------------------------------


def batch_body(*orders: dict) -> tuple[str, bytes]:
    parts = []
    for number, order in enumerate(orders, start=1):
        parts.append(
            "--changeset_1\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
            f"Content-ID: {number}\r\n\r\nPOST /b1s/v2/Orders HTTP/1.1\r\nContent-Type: application/json\r\n\r\n"
            f"{json.dumps(order)}\r\n"
        )
    body = (
        "--batch_1\r\nContent-Type: multipart/mixed;boundary=changeset_1\r\n\r\n"
        + "".join(parts)
        + "--changeset_1--\r\n--batch_1--\r\n"
    )
    return "multipart/mixed;boundary=batch_1", body.encode()


def test_a_batch_change_set_is_all_or_nothing(sim, v2):
    before = len(sim.company.orders)
    content_type, body = batch_body(order_body(NumAtCard="BATCH-1"), order_body(NumAtCard="BATCH-2"))
    answer = v2.post(sim.base_url_v2 + "$batch", data=body, headers={"Content-Type": content_type}, timeout=5)
    assert answer.status_code == 200 and answer.text.count("HTTP/1.1 201 Created") == 2
    assert len(sim.company.orders) == before + 2
    content_type, body = batch_body(order_body(NumAtCard="BATCH-3"), order_body(CardCode="NOBODY"))
    failed = v2.post(sim.base_url_v2 + "$batch", data=body, headers={"Content-Type": content_type}, timeout=5)
    assert "HTTP/1.1 400" in failed.text and "201 Created" not in failed.text
    assert len(sim.company.orders) == before + 2  # BATCH-3 did not stay


# --- documents and payments -----------------------------------------------------------------------------------


def test_cancelling_an_invoice_adds_sap_cancellation_document(sim):
    order = sim.create("Orders", order_body())
    invoice = sim.invoice(order["DocEntry"], base_type=17)
    before = set(sim.company.invoices)
    with sim.company.lock:
        sim.company.action("Invoices", invoice["DocEntry"], "Cancel")
    (added,) = set(sim.company.invoices) - before
    cancellation = sim.company.invoices[added]
    assert (invoice["Cancelled"], invoice["CancelStatus"]) == ("tYES", "csYes")
    assert (cancellation["CancelStatus"], cancellation["Cancelled"]) == ("csCancellation", "tNO")
    assert cancellation["DocTotal"] == invoice["DocTotal"]
    assert cancellation["DocumentLines"][0]["BaseEntry"] == invoice["DocEntry"]
    cancelled_order = sim.create("Orders", order_body())
    with sim.company.lock:
        sim.company.action("Orders", cancelled_order["DocEntry"], "Cancel")
    assert cancelled_order["CancelStatus"] == "csYes"  # an order is cancelled in place


def test_payments_have_no_update_stamps(sim, v1):
    sim.create("IncomingPayments", {"CardCode": "C0001", "TransferSum": 5})
    row = v1.get(sim.base_url + "IncomingPayments?$top=1", timeout=5).json()["value"][0]
    assert "UpdateDate" not in row and "UpdateTime" not in row
    assert v1.get(sim.base_url + "IncomingPayments?$filter=UpdateTime ge '10:00'", timeout=5).status_code == 400


def test_admin_info_names_the_local_currency():
    with SapB1Simulator(items=0, customers=0, currency="EUR") as sim:
        info = login(sim, sim.base_url_v2).post(sim.base_url_v2 + "CompanyService_GetAdminInfo", json={}, timeout=5)
        assert (info.json()["LocalCurrency"], info.json()["@odata.context"].endswith("AdminInfo/$entity")) == (
            "EUR",
            True,
        )


# --- demo data ----------------------------------------------------------------------------------------------------


def test_demo_company_has_the_shapes_of_a_real_one(sim):
    items = sim.company.items
    assert len(sim.company.warehouses) == 10
    assert {code for code, item in items.items() if item["SalesItem"] == "tNO"} == {"Z9001", "Z9002"}
    assert items["Z9003"]["InventoryUOM"] is None and items["Z9003"]["SalesVATGroup"] is None
    assert items["Z9004"]["ItemPrices"][0]["Currency"] == "USD"
    assert {item["ItemCode"] for item in AWKWARD_ITEMS} <= set(items)


def test_the_recorded_items_load_as_recorded():
    with SapB1Simulator(items=0, customers=0, currency="MXN") as sim:
        added = load_real_items(sim.company)
        client = login(sim, sim.base_url_v2)
        row = client.get(sim.base_url_v2 + "Items('9990140071261')", timeout=5).json()
        assert len(added) == 6 and row["U_Marca"] is None and row["SalesItem"] == "tNO"
        assert len(row["ItemWarehouseInfoCollection"][0]) == 66  # 65 properties and the company's UDF
