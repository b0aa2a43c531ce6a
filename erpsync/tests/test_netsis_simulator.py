"""The Netsis simulator on its own: the token form, the TResult envelope, SelectFilter's ``q`` parser, composite
slip ids, numbering, stock effects, conversions, transactions, the describe and help pages."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from erpsync.simulators.netsis import NetsisSimulator
from erpsync.simulators.netsis.select import FilterError, select, where

ROWS = [
    {"STOK_KODU": "ÇAY-001", "GRUP_KODU": "ICECEK", "SATIS_FIAT1": 1250.5, "STOK_ADI": "Rize'nin çayı"},
    {"STOK_KODU": "ŞKR-5", "GRUP_KODU": None, "SATIS_FIAT1": 42.5, "STOK_ADI": "Şeker"},
    {"STOK_KODU": "HAM-01", "GRUP_KODU": "HAMMADDE", "SATIS_FIAT1": None, "STOK_ADI": "Hammadde"},
]


def codes(q: str) -> list[str]:
    return [row["STOK_KODU"] for row in ROWS if where(q)(row)]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("", ["ÇAY-001", "ŞKR-5", "HAM-01"]),
        ("STOK_KODU = 'ÇAY-001'", ["ÇAY-001"]),
        ("stok_adi = 'Rize''nin çayı'", ["ÇAY-001"]),
        ("GRUP_KODU IS NULL", ["ŞKR-5"]),
        ("GRUP_KODU IS NOT NULL AND SATIS_FIAT1 > 100", ["ÇAY-001"]),
        ("SATIS_FIAT1 >= 42.5 OR GRUP_KODU = 'HAMMADDE'", ["ÇAY-001", "ŞKR-5", "HAM-01"]),
        ("STOK_KODU IN ('ŞKR-5', 'HAM-01') AND NOT (GRUP_KODU = 'HAMMADDE')", ["ŞKR-5"]),
        ("STOK_KODU NOT IN ('ŞKR-5')", ["ÇAY-001", "HAM-01"]),
        ("STOK_ADI LIKE 'Ham%'", ["HAM-01"]),
        ("SATIS_FIAT1 <> 42.5", ["ÇAY-001"]),  # NULL compares as unknown, as in SQL
    ],
)
def test_q_selects_what_sql_would(q, expected):
    assert codes(q) == expected


@pytest.mark.parametrize(
    "q",
    ["STOK_KODU = 'x'; DROP TABLE TBLSTSABIT", "STOK_KODU ==", "STOK_KODU = 'open", "(STOK_KODU = 'x'", "1 = 1"],
)
def test_q_that_is_not_a_where_fragment_is_refused(q):
    with pytest.raises(FilterError):
        where(q)


def test_select_sorts_projects_and_pages():
    page, total = select(ROWS, {"sort": "SATIS_FIAT1 DESC", "fields": "STOK_KODU", "offset": "1", "limit": "1"})
    assert (page, total) == ([{"STOK_KODU": "ŞKR-5"}], 3)
    with pytest.raises(FilterError):
        select(ROWS, {"sort": "STOK_KODU SIDEWAYS"})


@pytest.fixture
def sim():
    with NetsisSimulator(demo=True) as simulator:
        yield simulator


def token_form(sim, **changes):
    form = {
        "grant_type": "password",
        "branchcode": "0",
        "username": sim.username,
        "password": sim.password,
        "dbname": sim.db_name,
        "dbuser": sim.db_user,
        "dbpassword": sim.db_password,
        "dbtype": "vtMSSQL",
    }
    return {**form, **changes}


def session(sim) -> requests.Session:
    http = requests.Session()
    token = http.post(sim.token_url, data=token_form(sim)).json()["access_token"]
    http.headers["Authorization"] = f"Bearer {token}"
    return http


@pytest.mark.parametrize("dbtype", ["vtMSSQL", "0", "1"])
def test_token_takes_every_reading_of_dbtype(sim, dbtype):
    answer = requests.post(sim.token_url, data=token_form(sim, dbtype=dbtype), timeout=5)
    assert answer.status_code == 200
    assert answer.json()["token_type"] == "bearer" and answer.json()["expires_in"] > 0


@pytest.mark.parametrize("change", [{"password": "yanlis"}, {"dbname": "BASKA"}, {"branchcode": "7"}])
def test_token_refused_for_wrong_user_database_or_branch(sim, change):
    answer = requests.post(sim.token_url, data=token_form(sim, **change), timeout=5)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_calls_need_a_live_token(sim):
    assert requests.get(sim.base_url + "Items", timeout=5).status_code == 401
    http = session(sim)
    assert http.get(sim.base_url + "Items").json()["IsSuccessful"] is True
    sim.expire_tokens()
    assert http.get(sim.base_url + "Items").status_code == 401


def test_lists_are_tresults_with_a_count_and_q(sim):
    http = session(sim)
    answer = http.get(sim.base_url + "Items", params={"q": "SAT_DOV_TIP > 0", "sort": "STOK_KODU"}).json()
    assert answer["IsSuccessful"] and answer["ErrorCode"] is None
    assert [row["STOK_KODU"] for row in answer["Data"]] == ["ITH-EUR", "UZN-İSİM"]
    assert answer["TotalCount"] == 2
    refused = http.get(sim.base_url + "Items", params={"q": "STOK_KODU = 'x' OR"}).json()
    assert refused["IsSuccessful"] is False and "Sorgu" in refused["ErrorDesc"]


def test_error_text_under_either_name(sim):
    sim.error_key = "ErrorDescription"
    answer = session(sim).get(sim.base_url + "Items/GetInternalById", params={"id": "YOK"}).json()
    assert answer["IsSuccessful"] is False
    assert "bulunamadı" in answer["ErrorDescription"] and "ErrorDesc" not in answer


def order_body(number="", customer="120.01.001", quantity=2, unit=2, **header):
    return {
        "FaturaTip": "ftSSip",
        "Seri": "W",
        "FatUst": {"CariKod": customer, "FATIRS_NO": number, "Tarih": "2026-03-10", **header},
        "Kalems": [{"StokKodu": "ÇAY-001", "STra_GCMIK": quantity, "Olcubr": unit, "STra_NF": 14400, "DEPO_KODU": 1}],
    }


def test_slips_by_composite_id_numbering_and_duplicate_refused(sim):
    http = session(sim)
    number = http.post(sim.base_url + "ItemSlips/NewNumber", json={"FaturaTip": "ftSSip", "Seri": "W"}).json()
    assert number["Data"] == "W00000000000001"
    made = http.post(sim.base_url + "ItemSlips", json=order_body(number["Data"])).json()
    assert made["IsSuccessful"] and made["Data"]["FisNo"] == "W00000000000001"
    again = http.post(sim.base_url + "ItemSlips", json=order_body(number["Data"])).json()
    assert (again["IsSuccessful"], again["ErrorCode"]) == (False, "7002")
    assert "zaten kayıtlı" in again["ErrorDesc"]
    found = http.get(sim.base_url + "ItemSlips/ftSSip;W00000000000001;120.01.001").json()["Data"]
    assert found["FatUst"]["GENELTOPLAM"] == 2 * 14400 * 1.2
    by_param = http.get(sim.base_url + "ItemSlips/GetInternalById", params={"id": "7;W00000000000001;120.01.001"})
    assert by_param.json()["Data"]["KayitNo"] == found["KayitNo"]
    with sim.company.lock:
        assert sim.company.stock[("ÇAY-001", 1)]["reserved"] == 24 + 24  # two boxes of 12, and the demo's two


def test_conversion_moves_stock_and_bars_deleting_the_order(sim):
    http = session(sim)
    http.post(sim.base_url + "ItemSlips", json=order_body("B00000000000009", quantity=1))
    moved = http.post(
        sim.base_url + "ItemSlips/SiparisToIrsFat",
        json={"FATIRS_NO": "B00000000000009", "CARI_KOD": "120.01.001", "HedefTip": "ftSIrs"},
    ).json()
    assert moved["IsSuccessful"] and moved["Data"]["FaturaTip"] == "ftSIrs"
    with sim.company.lock:
        assert sim.company.stock[("ÇAY-001", 1)] == {"on_hand": 480 - 12, "reserved": 24}
    refused = http.delete(sim.base_url + "ItemSlips/ftSSip;B00000000000009;120.01.001").json()
    assert refused["IsSuccessful"] is False and "silinemez" in refused["ErrorDesc"]
    invoiced = http.post(
        sim.base_url + "ItemSlips/IrsToFat",
        json={"FATIRS_NO": moved["Data"]["FatUst"]["FATIRS_NO"], "CARI_KOD": "120.01.001"},
    ).json()
    assert invoiced["Data"]["FaturaTip"] == "ftSFat"
    ledger = http.get(sim.base_url + "ARPTransactions", params={"q": "HAREKET_TURU = 'FATURA'"}).json()["Data"]
    assert Decimal(str(ledger[-1]["BORC"])) == Decimal("17280")


def test_delete_of_an_open_order_releases_its_reservation(sim):
    http = session(sim)
    http.post(sim.base_url + "ItemSlips", json=order_body("B00000000000010", quantity=1))
    assert http.delete(sim.base_url + "ItemSlips/ftSSip;B00000000000010;120.01.001").json()["Data"] is True
    with sim.company.lock:
        assert sim.company.stock[("ÇAY-001", 1)]["reserved"] == 24


@pytest.mark.parametrize(
    ("body", "text"),
    [
        (order_body("B1", customer="999"), "Cari kod bulunamadı"),
        (order_body("B1", customer="120.01.003"), "kilitli"),
        (order_body("B1", unit=4), "ölçü birimi"),
        (order_body("B1", quantity=0), "miktar"),
        (order_body("B" * 16), "15 karakter"),
    ],
)
def test_business_errors_are_turkish_and_apply_nothing(sim, body, text):
    answer = session(sim).post(sim.base_url + "ItemSlips", json=body)
    assert answer.status_code == 200
    assert answer.json()["IsSuccessful"] is False and text in answer.json()["ErrorDesc"]
    with sim.company.lock:
        assert sim.company.stock[("ÇAY-001", 1)]["reserved"] == 24


def test_rollback_undoes_and_commit_keeps(sim):
    http = session(sim)
    assert http.post(sim.base_url + "Operations/BeginTransaction").json()["IsSuccessful"]
    http.post(sim.base_url + "ItemSlips", json=order_body("B00000000000011"))
    other = session(sim).post(sim.base_url + "Operations/BeginTransaction").json()
    assert (other["IsSuccessful"], other["ErrorCode"]) == (False, "7001")  # one open transaction at a time
    http.post(sim.base_url + "Operations/RoolBackTransaction")
    with sim.company.lock:
        assert sim.company.stock[("ÇAY-001", 1)]["reserved"] == 24  # the demo's order only
    assert http.get(sim.base_url + "ItemSlips", params={"q": "FATIRS_NO = 'B00000000000011'"}).json()["Data"] == []
    http.post(sim.base_url + "Operations/BeginTransaction")
    http.post(sim.base_url + "ItemSlips", json=order_body("B00000000000011"))
    http.post(sim.base_url + "Operations/CommitTransaction")
    assert len(http.get(sim.base_url + "ItemSlips", params={"q": "FATIRS_NO = 'B00000000000011'"}).json()["Data"]) == 1
    assert http.post(sim.base_url + "Operations/CommitTransaction").json()["IsSuccessful"] is False


def test_describe_help_balances_and_risk(sim):
    http = session(sim)
    described = http.post(sim.base_url + "ItemSlips/Describe").json()["Data"]
    assert "Kalems.STra_GCMIK" in described
    assert "RoolBackTransaction" in requests.get(sim.base_url + "help", timeout=5).text
    balances = http.post(sim.base_url + "Company/BringBalance", json={"StokKodu": "ÇAY-001"}).json()["Data"]
    assert [(row["DEPO_KODU"], row["BAKIYE"]) for row in balances] == [(1, 480), (2, 36), (3, 100)]
    risk = http.post(sim.base_url + "ARPs/CustomerRisk", json={"CariKod": "120.01.002"}).json()["Data"]
    assert risk["SIPARIS_BAKIYE"] == 2 * 14400 * 1.2


def test_nested_items_and_accounts(sim):
    sim.nested = True
    http = session(sim)
    item = http.get(sim.base_url + "Items", params={"q": "STOK_KODU = 'ÇAY-001'"}).json()["Data"][0]
    assert item["StokTemelBilgi"]["OLCU_BR2"] == "KOLI"
    account = http.get(sim.base_url + "ARPs/GetInternalById", params={"id": "120.01.001"}).json()["Data"]
    assert account["CariTemelBilgi"]["CARI_ISIM"].startswith("Öztürk")


def test_management_command_serves_the_demo_company():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "b2bportal.settings.test"}
    process = subprocess.Popen(
        [sys.executable, "manage.py", "erp_simulator", "netsis", "--port", str(port)],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        banner = process.stdout.readline()
        assert f"http://127.0.0.1:{port}/api/v2/" in banner, process.stderr.read() if process.poll() else banner
        base = f"http://127.0.0.1:{port}/api/v2/"
        form = {"grant_type": "password", "branchcode": 0, "username": "NETSIS", "password": "net1",
                "dbname": "NETSISDEMO", "dbuser": "TEMELSET", "dbpassword": "", "dbtype": "vtMSSQL"}  # fmt: skip
        access = requests.post(base + "token", data=form, timeout=5).json()
        items = requests.get(base + "Items", headers={"Authorization": f"Bearer {access['access_token']}"}, timeout=5)
        assert items.json()["TotalCount"] == 7
    finally:
        process.terminate()
        process.wait(timeout=10)


# -- new accounts (POST ARPs) ----------------------------------------------------------------------------------------


def test_post_arps_creates_an_account_flat_or_nested(sim):
    http = session(sim)
    flat = http.post(
        sim.base_url + "ARPs", json={"CARI_KOD": "120.09.001", "CARI_ISIM": "Çınar Yapı", "VERGI_NO": "4440001112"}
    ).json()
    nested = http.post(
        sim.base_url + "ARPs",
        json={"CariTemelBilgi": {"CARI_KOD": "120.09.002", "CARI_ISIM": "Ömer Şahin", "TC_KIMLIK_NO": "12345678950"}},
    ).json()

    assert flat["IsSuccessful"] and flat["Data"]["CARI_KOD"] == "120.09.001"
    assert nested["IsSuccessful"] and nested["Data"]["TC_KIMLIK_NO"] == "12345678950"
    listed = http.get(sim.base_url + "ARPs", params={"q": "CARI_KOD LIKE '120.09.%'", "sort": "CARI_KOD"}).json()
    assert [(row["CARI_KOD"], row["CARI_TIP"], row["KILIT"]) for row in listed["Data"]] == [
        ("120.09.001", "A", "H"),
        ("120.09.002", "A", "H"),
    ]
    assert sim.company.created_arps == ["120.09.001", "120.09.002"]


@pytest.mark.parametrize(
    ("body", "code", "text"),
    [
        ({"CARI_KOD": "120.09.003"}, "7004", "ismi (CARI_ISIM) boş olamaz"),
        ({"CARI_ISIM": "Kodsuz"}, "7004", "Cari kodu (CARI_KOD) boş olamaz"),
        ({"CARI_KOD": "120.01.001", "CARI_ISIM": "İkinci"}, "7002", "kodlu cari zaten kayıtlı"),
        ({"CARI_KOD": "120.09.004", "CARI_ISIM": "X", "VERGI_NO": "12"}, "7004", "Vergi numarası 10 haneli"),
        ({"CARI_KOD": "120.09.005", "CARI_ISIM": "X", "TC_KIMLIK_NO": "1234"}, "7004", "kimlik numarası 11 haneli"),
        ({"CARI_KOD": "120.09.006", "CARI_ISIM": "X", "VERGI_NUMARASI": "1"}, "7004", "tanımsız alan: VERGI_NUMARASI"),
        ({"CARI_KOD": "K" * 36, "CARI_ISIM": "X"}, "7004", "35 karakterden uzun"),
    ],
)
def test_post_arps_refuses_what_netsis_would(sim, body, code, text):
    before = dict(sim.company.arps)
    answer = session(sim).post(sim.base_url + "ARPs", json=body).json()
    assert answer["IsSuccessful"] is False and answer["ErrorCode"] == code
    assert text in answer["ErrorDesc"]
    assert sim.company.arps == before and sim.company.created_arps == []
