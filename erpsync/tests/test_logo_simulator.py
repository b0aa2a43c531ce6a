"""The Logo simulator keeps Logo's promises: the token grant and its refusals, ASP.NET error bodies, list paging,
read-only queries, slip numbering and the stock effects of orders and dispatches, the command line."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from erpsync.simulators.logo import LogoBusinessError, LogoSimulator

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def sim():
    with LogoSimulator(demo=True) as simulator:
        yield simulator


def token(sim: LogoSimulator, **form) -> requests.Response:
    data = {"grant_type": "password", "username": sim.username, "password": sim.password, "firmno": "001", **form}
    return requests.post(sim.token_url, data=data, auth=(sim.client_id, sim.client_secret), timeout=5)


def bearer(sim: LogoSimulator) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(sim).json()['access_token']}"}


def query(sim: LogoSimulator, sql: str, headers=None) -> requests.Response:
    return requests.get(sim.base_url + "queries", params={"tsql": sql}, headers=headers or bearer(sim), timeout=5)


def test_password_grant_with_firm_and_basic_client(sim):
    answer = token(sim)
    assert answer.status_code == 200
    assert answer.json()["token_type"] == "bearer" and answer.json()["expires_in"] == 1200
    as_get = requests.get(
        sim.token_url,
        params={"grant_type": "password", "username": sim.username, "password": sim.password, "firmno": 1},
        auth=(sim.client_id, sim.client_secret),
        timeout=5,
    )
    assert as_get.status_code == 200 and as_get.json()["access_token"]


@pytest.mark.parametrize(
    ("form", "auth", "error"),
    [
        ({"password": "yanlış"}, None, "invalid_grant"),
        ({"firmno": "7"}, None, "invalid_grant"),
        ({}, ("LOGO", "wrong"), "invalid_client"),
        ({"grant_type": "client_credentials"}, None, "unsupported_grant_type"),
    ],
)
def test_refused_grants_answer_oauth_errors(sim, form, auth, error):
    data = {"grant_type": "password", "username": sim.username, "password": sim.password, "firmno": 1, **form}
    answer = requests.post(sim.token_url, data=data, auth=auth or (sim.client_id, sim.client_secret), timeout=5)
    assert answer.status_code == 400
    assert answer.json()["error"] == error


def test_expired_token_is_a_login_error(sim):
    headers = bearer(sim)
    sim.expire_tokens()
    answer = requests.get(sim.base_url + "items", headers=headers, timeout=5)
    assert answer.status_code == 401
    assert "LoginError" in answer.json()["ModelState"]


def test_lists_page_with_offset_limit_and_expand(sim):
    headers = bearer(sim)
    first = requests.get(sim.base_url + "items", params={"offset": 0, "limit": 2}, headers=headers, timeout=5).json()
    second = requests.get(sim.base_url + "items", params={"offset": 2, "limit": 2}, headers=headers, timeout=5).json()
    assert first["count"] == second["count"] == 7
    assert [i["CODE"] for i in first["items"]] == ["ÇAY-001", "ŞKR-5"]
    assert "UNITS" not in first["items"][0]
    assert [i["CODE"] for i in second["items"]] == ["UZN-İSİM", "ESK-01"]
    full = requests.get(sim.base_url + "items", params={"limit": 1, "expandlevel": "full"}, headers=headers, timeout=5)
    units = full.json()["items"][0]["UNITS"]["items"]
    assert [(u["UNIT_CODE"], u["CONV_FACT2"], u["USEF_SALES"]) for u in units] == [
        ("ADET", 1.0, 1),
        ("KOLI", 12.0, 1),
        ("PAKET", 6.0, 0),
    ]


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM LG_001_ITEMS",
        "SELECT 1; DELETE FROM LG_001_ITEMS",
        "UPDATE LG_001_ITEMS SET NAME = 'x'",
        "SELECT * FROM pragma_table_info('LG_001_ITEMS')",
        "WITH x AS (SELECT 1) DELETE FROM LG_001_ITEMS",
    ],
)
def test_queries_refuse_anything_but_one_select(sim, sql):
    answer = query(sim, sql)
    assert answer.status_code == 400
    assert answer.json()["ModelState"]["207"]
    with sim.firm.lock:
        assert sim.firm.rows("SELECT COUNT(*) AS N FROM LG_001_ITEMS")[0]["N"] == 7


def test_queries_answer_rows_of_a_select(sim):
    answer = query(sim, "SELECT CODE, NAME FROM LG_001_ITEMS WHERE CODE = 'ÇAY-001'")
    assert answer.status_code == 200
    assert answer.json()["items"] == [{"CODE": "ÇAY-001", "NAME": "Rize Turist Çayı 1 kg"}]


def stock(sim, code: str, warehouse: int = 0) -> dict:
    return query(
        sim,
        "SELECT S.ONHAND, S.ACTSORDER FROM LG_001_02_GNTOTST S JOIN LG_001_ITEMS I ON I.LOGICALREF = S.STOCKREF "
        f"WHERE I.CODE = '{code}' AND S.INVENNO = {warehouse}",
    ).json()["items"][0]


def test_orders_are_numbered_and_reserve_stock_then_dispatch_moves_it(sim):
    headers = bearer(sim)
    before = stock(sim, "ÇAY-001")
    body = {
        "NUMBER": "~",
        "ARP_CODE": "120.01.001",
        "DOC_NUMBER": "B2B-1",
        "TRANSACTIONS": {"items": [{"TYPE": 0, "MASTER_CODE": "ÇAY-001", "QUANTITY": 2, "UNIT_CODE": "KOLI"}]},
    }
    first = requests.post(sim.base_url + "salesOrders", json=body, headers=headers, timeout=5).json()
    second = requests.post(sim.base_url + "salesOrders", json=body, headers=headers, timeout=5).json()
    assert int(second["NUMBER"][2:]) == int(first["NUMBER"][2:]) + 1
    reserved = stock(sim, "ÇAY-001")
    assert reserved["ACTSORDER"] - before["ACTSORDER"] == 48  # 2 × 2 boxes of 12
    with sim.firm.lock:
        sim.firm.dispatch(first["INTERNAL_REFERENCE"])
    after = stock(sim, "ÇAY-001")
    assert (before["ONHAND"] - after["ONHAND"], after["ACTSORDER"] - before["ACTSORDER"]) == (24, 24)


def test_shipped_order_cannot_be_cancelled(sim):
    headers = bearer(sim)
    body = {
        "ARP_CODE": "120.01.001",
        "TRANSACTIONS": {"items": [{"MASTER_CODE": "ŞKR-5", "QUANTITY": 1}]},
    }
    order = requests.post(sim.base_url + "salesOrders", json=body, headers=headers, timeout=5).json()
    with sim.firm.lock:
        sim.firm.dispatch(order["INTERNAL_REFERENCE"])
    answer = requests.patch(
        sim.base_url + "salesOrders",
        json={"INTERNAL_REFERENCE": order["INTERNAL_REFERENCE"], "CANCELLED": 1},
        headers=headers,
        timeout=5,
    )
    assert answer.status_code == 400
    assert "iptal edilemez" in answer.json()["ModelState"]["207"][0]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"ARP_CODE": "999"}, "Cari hesap kodu bulunamadı"),
        ({"ARP_CODE": "120.01.003"}, "kullanım dışı"),
        ({"TRANSACTIONS": {"items": [{"MASTER_CODE": "YOK-1", "QUANTITY": 1}]}}, "Malzeme kodu bulunamadı"),
        ({"TRANSACTIONS": {"items": [{"MASTER_CODE": "ÇAY-001", "QUANTITY": 1, "UNIT_CODE": "TON"}]}}, "Birim"),
        ({"TRANSACTIONS": {"items": []}}, "satır yok"),
    ],
)
def test_business_errors_answer_model_state_in_turkish(sim, change, message):
    body = {"ARP_CODE": "120.01.001", "TRANSACTIONS": {"items": [{"MASTER_CODE": "ÇAY-001", "QUANTITY": 1}]}, **change}
    answer = requests.post(sim.base_url + "salesOrders", json=body, headers=bearer(sim), timeout=5)
    assert answer.status_code == 400
    assert answer.json()["Message"] == "The request is invalid."
    assert message in answer.json()["ModelState"]["207"][0]


def test_arps_post_makes_a_customer_card_read_back_as_an_arp(sim):
    body = {"ACCOUNT_TYPE": 1, "CODE": "120.01.970", "TITLE": "Işık Elektrik", "TAX_ID": "6666666666", "CITY": "İzmir"}
    made = requests.post(sim.base_url + "Arps", json=body, headers=bearer(sim), timeout=5)
    assert made.status_code == 200
    card = made.json()
    assert (card["CODE"], card["TITLE"], card["TAX_ID"], card["CITY"]) == (
        "120.01.970",
        "Işık Elektrik",
        "6666666666",
        "İzmir",
    )
    again = requests.post(sim.base_url + "Arps", json=body, headers=bearer(sim), timeout=5)
    assert again.status_code == 400 and "zaten var" in again.json()["ModelState"]["207"][0]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"CODE": ""}, "kodu girilmelidir"),
        ({"TITLE": ""}, "unvanı girilmelidir"),
        ({"TAX_ID": "123"}, "10 haneli"),
        ({"TAX_ID": "", "TCKNO": "1234", "PERSCOMPANY": 1}, "11 haneli"),
        ({"TAX_ID": "", "PERSCOMPANY": 1}, "TC kimlik numarası girilmelidir"),
        ({"CURRENCY": 99}, "Döviz türü"),
    ],
)
def test_customer_card_refusals_are_logos(sim, change, message):
    body = {"CODE": "120.01.971", "TITLE": "Deneme", "TAX_ID": "7777777777", **change}
    with sim.firm.lock, pytest.raises(LogoBusinessError, match=message):
        sim.firm.create_customer(body)


def test_firm_refuses_an_unknown_unit_set():
    with LogoSimulator() as simulator, pytest.raises(LogoBusinessError, match="Birim seti"):
        simulator.firm.add_item("X", "X", "YOK")


def test_faults_answer_iis_errors_and_business_refusals(sim):
    headers = bearer(sim)
    sim.faults.error("items", status=503)
    answer = requests.get(sim.base_url + "items", headers=headers, timeout=5)
    assert answer.status_code == 503 and "Service Unavailable" in answer.text
    sim.faults.refuse("salesOrders", code=207, message="Kayıt başka bir kullanıcı tarafından kilitlendi.")
    refused = requests.post(sim.base_url + "salesOrders", json={}, headers=headers, timeout=5)
    assert refused.json()["ModelState"]["207"] == ["Kayıt başka bir kullanıcı tarafından kilitlendi."]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_management_command_serves_the_demo_firm():
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "b2bportal.settings.test"}
    process = subprocess.Popen(
        [sys.executable, "manage.py", "erp_simulator", "logo", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        banner = process.stdout.readline()
        assert f"http://127.0.0.1:{port}/api/v1/" in banner, process.stderr.read() if process.poll() else banner
        base = f"http://127.0.0.1:{port}/api/v1/"
        form = {"grant_type": "password", "username": "PORTAL", "password": "Gizli-1", "firmno": 1}
        access = requests.post(base + "token", data=form, auth=("LOGO", "LOGO-SECRET"), timeout=5).json()
        items = requests.get(
            base + "items", headers={"Authorization": f"Bearer {access['access_token']}"}, timeout=5
        ).json()
        assert items["count"] == 7
    finally:
        process.terminate()
        process.wait(timeout=10)
