"""The DİA adapter against the DİA simulator: the session shared and replaced once, each fault switch (no duplicate
order or collection), kontör counted per run and per day, 406, deltas by ``_date``, discovery, cancellation rules,
and the simulator's own protocol (POST only, one service key, list parameters, the reports)."""

from __future__ import annotations

import base64
import dataclasses
import json
import time
from datetime import timedelta
from decimal import Decimal

import pytest
import requests
from django.urls import reverse

pytest.register_assert_rewrite("erpsync.tests.contract")

from erpsync.adapters.base import ErpCancel, OutcomeUnknownError, PermanentError, RetryableError  # noqa: E402
from erpsync.api_usage import api_usage_on  # noqa: E402
from erpsync.health import connection_health  # noqa: E402
from erpsync.importers import sync_import  # noqa: E402
from erpsync.models import ErpConnection  # noqa: E402
from erpsync.simulators.dia import DiaSimulator  # noqa: E402
from erpsync.tests.contract import sample_new_customer, sample_order, sample_payment  # noqa: E402
from erpsync.tests.dia_side import CUSTOMER, DiaErpSide, dia_adapter  # noqa: E402

pytestmark = pytest.mark.django_db


@pytest.fixture
def sim():
    with DiaSimulator() as simulator:
        yield simulator


@pytest.fixture
def side(sim):
    return DiaErpSide(sim)


def orders(sim: DiaSimulator, reference: str) -> int:
    return sum(1 for row in sim.company.tables["siparis"] if row["belgeno"] == reference)


def call(sim: DiaSimulator, module: str, service: str, params: dict) -> dict:
    return requests.post(sim.url(module), json={service: params}, timeout=5).json()


def session(sim: DiaSimulator) -> dict:
    login = {"username": sim.username, "password": sim.password, "params": {"apikey": sim.apikey}}
    sid = call(sim, "sis", "login", login)["msg"]
    return {"session_id": sid, "firma_kodu": 1, "donem_kodu": 1}


# -- the simulator's protocol ---------------------------------------------------------------------------------------


def test_simulator_login_refuses_a_wrong_password_or_key(sim):
    assert call(sim, "sis", "login", {"username": "ws", "password": "x", "params": {"apikey": sim.apikey}}) == {
        "code": "401",
        "msg": "NOUSER",
    }
    refused = call(sim, "sis", "login", {"username": "ws", "password": sim.password, "params": {"apikey": "x"}})
    assert refused["code"] == "401"
    assert requests.get(sim.url("scf"), timeout=5).status_code == 405


def test_simulator_lists_filter_sort_page_and_select_columns(sim):
    seed = DiaSimulator(demo=True)  # the demo company, without serving it
    sim.company = seed.company
    head = session(sim)
    body = {
        **head,
        "filters": [{"field": "durum", "operator": "=", "value": "A"}, {"field": "aciklama", "value": "çay"}],
        "sorts": [{"field": "stokkartkodu", "sorttype": "DESC"}],
        "params": {"selectedcolumns": ["stokkartkodu", "fiyat1"]},
        "limit": 2,
        "offset": 1,
    }
    rows = call(sim, "scf", "scf_stokkart_listele", body)["result"]
    assert len(rows) == 2 and all(set(row) == {"stokkartkodu", "fiyat1"} for row in rows)
    assert rows[0]["stokkartkodu"] > rows[1]["stokkartkodu"]
    empty = {**head, "filters": "", "sorts": "", "params": "", "limit": 0}
    assert len(call(sim, "scf", "scf_stokkart_listele", empty)["result"]) == len(sim.company.tables["stokkart"])
    bad = call(sim, "scf", "scf_stokkart_listele", {**head, "params": {"selectedcolumns": ["yok"]}})
    assert bad["code"] == "500" and "Hatalı Veri" in bad["msg"]
    inside = {**head, "filters": [{"field": "stokkartkodu", "operator": "IN", "value": "ÇAY-001,UN-25"}]}
    assert {r["stokkartkodu"] for r in call(sim, "scf", "scf_stokkart_listele", inside)["result"]} == {
        "ÇAY-001",
        "UN-25",
    }


def test_simulator_stock_report_is_base64_json_rows(sim):
    sim.company = DiaSimulator(demo=True).company
    answer = call(sim, "rpr", "rpr_raporsonuc_getir", {**session(sim), "report_code": "scf2310a", "param": {}})
    rows = json.loads(base64.b64decode(answer["result"]))["__rows"]
    assert {"stokkartkodu", "depokodu", "miktar"} <= set(rows[0])
    assert not any(row["stokkartkodu"] == "ESK-01" for row in rows)  # passive items are left out


def test_simulator_session_ends_after_its_idle_time_and_each_call_restarts_it():
    with DiaSimulator(session_timeout=0.3) as sim:
        head = session(sim)
        for _ in range(3):  # calls closer together than the idle time keep it alive
            time.sleep(0.15)
            assert call(sim, "scf", "scf_siparis_listele", head)["code"] == "200"
        time.sleep(0.4)
        assert call(sim, "scf", "scf_siparis_listele", head) == {"code": "419", "msg": "LOGIN_TIMEOUT"}


def test_simulator_answers_406_without_credit_but_logs_in(sim):
    sim.credits = Decimal("0.01")
    head = session(sim)
    assert call(sim, "scf", "scf_stokkart_listele", head)["code"] == "406"
    assert call(sim, "sis", "logout", {"session_id": head["session_id"]})["code"] == "200"


# -- sessions -------------------------------------------------------------------------------------------------------


def test_session_is_shared_between_adapters_and_replaced_once_when_it_expires(sim, side):
    with side.make_adapter() as first:
        first.order_lookup("B2B-1")
    with side.make_adapter() as second:  # another worker: takes the stored session, no login
        second.order_lookup("B2B-1")
        assert sim.stats.logins == 1
        sim.expire_sessions()
        assert second.order_lookup("B2B-1") is None
    assert sim.stats.logins == 2


def test_logout_ends_the_shared_session_and_the_next_call_logs_in(sim, side):
    with side.make_adapter() as adapter:
        adapter.order_lookup("B2B-1")
        adapter.logout()
        assert sim.sessions == 0 and sim.count("logout") == 1
    with side.make_adapter() as other:  # another worker finds no stored session
        other.order_lookup("B2B-1")
    assert sim.stats.logins == 2 and sim.sessions == 1


def test_session_ended_answered_401_is_replaced_too():
    with DiaSimulator(expired_code="401") as sim:
        side = DiaErpSide(sim)
        with side.make_adapter() as adapter:
            adapter.order_lookup("B2B-1")
            sim.expire_sessions()
            adapter.order_push(sample_order())
        assert sim.stats.logins == 2 and orders(sim, "B2B-2026-000123") == 1


def test_simulator_disconnect_same_user_ends_the_older_session(sim):
    older = session(sim)
    login = {"username": sim.username, "password": sim.password, "params": {"apikey": sim.apikey}}
    call(sim, "sis", "login", {**login, "disconnect_same_user": "True"})
    assert call(sim, "scf", "scf_siparis_listele", older) == {"code": "401", "msg": "INVALID_SESSION"}


def test_session_refused_again_after_a_new_login_is_permanent(sim, side):
    sim.faults.expire_session("scf/scf_siparis_listele", count=2)
    with side.make_adapter() as adapter, pytest.raises(PermanentError, match="419"):
        adapter.order_lookup("B2B-1")


def test_wrong_password_is_permanent_and_named(sim):
    adapter = dia_adapter(sim)
    adapter.login = {**adapter.login, "password": "yanlış"}
    with adapter, pytest.raises(PermanentError, match="refused to log in"):
        adapter.order_lookup("B2B-1")


def test_company_not_authorised_is_refused(sim):
    with dia_adapter(sim, firma_kodu=7) as adapter, pytest.raises(PermanentError, match="firma_kodu"):
        list(adapter.read("customer"))


# -- one test per fault switch: never a second order or collection ---------------------------------------------------


def test_expired_session_on_create_makes_one_order(sim, side):
    sim.faults.expire_session("scf/scf_siparis_ekle")
    with side.make_adapter() as adapter:
        ack = adapter.order_push(sample_order())
    assert ack.document_id and orders(sim, "B2B-2026-000123") == 1
    assert sim.count("scf_siparis_ekle") == 2  # refused before it was looked at, then sent again


def test_latency_past_the_timeout_then_retry_makes_one_order(sim, side):
    sim.faults.latency("scf/scf_siparis_ekle", seconds=1.0)
    with dia_adapter(sim, **side.settings, timeout_seconds=0.3) as adapter, pytest.raises(OutcomeUnknownError):
        adapter.order_push(sample_order())
    with side.make_adapter() as adapter:
        time.sleep(0.8)  # the slow answer lands in DİA meanwhile
        adapter.order_push(sample_order())
    assert orders(sim, "B2B-2026-000123") == 1


def test_bad_gateway_on_create_is_outcome_unknown_and_retry_makes_one_order(sim, side):
    sim.faults.error("scf/scf_siparis_ekle", status=502)
    with side.make_adapter() as adapter:
        with pytest.raises(OutcomeUnknownError):
            adapter.order_push(sample_order())
        adapter.order_push(sample_order())
    assert orders(sim, "B2B-2026-000123") == 1


def test_bad_gateway_on_a_read_is_retried(sim, side):
    sim.faults.error("scf/scf_carikart_listele", status=503)
    with dia_adapter(sim, read_retries=1) as adapter:
        records = [r for feed in adapter.read("customer") for r in feed.records]
    assert [r.code for r in records] == [CUSTOMER]
    with dia_adapter(sim, read_retries=0) as adapter:
        sim.faults.error("scf/scf_carikart_listele", status=503)
        with pytest.raises(RetryableError):
            list(adapter.read("customer"))


def test_reset_on_create_then_retry_makes_one_order(sim, side):
    sim.faults.reset("scf/scf_siparis_ekle")
    with side.make_adapter() as adapter:
        with pytest.raises(OutcomeUnknownError):
            adapter.order_push(sample_order())
        assert adapter.order_lookup("B2B-2026-000123") is None  # a reset applies nothing
        adapter.order_push(sample_order())
    assert orders(sim, "B2B-2026-000123") == 1


def test_collection_applied_then_answer_dropped_is_found_not_sent_twice(sim, side):
    sim.faults.drop_response("scf/scf_carihesap_fisi_ekle")
    payment = sample_payment()
    with side.make_adapter() as adapter:
        with pytest.raises(OutcomeUnknownError):
            adapter.payment_push(payment)
        found = adapter.payment_lookup(payment.reference)
        assert found is not None and adapter.payment_push(payment) == found
    assert side.received("payments") == [payment.reference]
    customer = sim.company.find("carikart", carikartkodu=CUSTOMER)[0]
    assert Decimal(customer["alacaktoplam"]) == payment.amount


def test_cash_collection_needs_a_cash_box_and_books_a_receipt(sim):
    side = DiaErpSide(sim, collection_service="kasaislemleri", cash_box="")
    with side.make_adapter() as adapter, pytest.raises(PermanentError, match="cash_box"):
        adapter.payment_push(sample_payment())
    with dia_adapter(sim, collection_service="kasaislemleri") as adapter:
        adapter.payment_push(sample_payment())
    (receipt,) = sim.company.tables["kasaislemleri"]
    assert (receipt["turu"], receipt["belgeno"], receipt["tutar"]) == ("TAH", "PAY-2026-0001", Decimal("5000.00"))


def test_business_refusal_is_permanent_with_dias_text_and_a_server_fault_retryable(sim, side):
    with side.make_adapter() as adapter:
        sim.faults.refuse("scf/scf_siparis_ekle", code=500, message="value too long for type character varying(30)")
        with pytest.raises(PermanentError, match="value too long"):
            adapter.order_push(sample_order())
        sim.faults.refuse("scf/scf_siparis_ekle", code=501, message="TypeError: 'NoneType' object")
        with pytest.raises(RetryableError) as caught:
            adapter.order_push(sample_order())
        assert not isinstance(caught.value, PermanentError)
    assert orders(sim, "B2B-2026-000123") == 0


def test_out_of_credit_is_permanent_with_a_message_for_staff(sim, side):
    sim.credits = Decimal(0)
    with side.make_adapter() as adapter, pytest.raises(PermanentError, match="kontör") as caught:
        adapter.order_push(sample_order())
    assert caught.value.code == "406"
    assert orders(sim, "B2B-2026-000123") == 0


def test_the_outbox_s_look_up_just_before_counts_as_the_one_before_the_create(sim, side):
    with side.make_adapter() as adapter:
        assert adapter.order_lookup("B2B-2026-000123") is None
        adapter.order_push(sample_order())  # no second look-up: one kontör saved per order
        assert sim.count("scf_siparis_listele") == 1
        adapter.order_push(sample_order())  # no fresh miss any more: looked up, found, not created again
    assert sim.count("scf_siparis_listele") == 2 and orders(sim, "B2B-2026-000123") == 1


# -- credits --------------------------------------------------------------------------------------------------------


def test_calls_and_credit_counted_per_adapter_and_per_day(sim, side):
    with side.make_adapter() as adapter:
        adapter.order_push(sample_order())
        usage = adapter.run_usage()
    paid = [name for name in sim.calls if name not in ("login", "logout")]
    assert usage["calls"] == len(sim.calls)
    assert Decimal(usage["credits"]) == Decimal("0.0125") * len(paid)
    assert usage["services"]["scf_siparis_ekle"] == 1 and usage["services"]["login"] == 1
    assert Decimal(1000) - sim.credits == Decimal(usage["credits"])
    today = api_usage_on(adapter.usage_key)
    assert (today.calls, today.credits) == (len(sim.calls), Decimal(usage["credits"]))


def test_an_import_run_records_its_calls_and_the_health_page_today_s(sim, side, monkeypatch, staff_client):
    monkeypatch.setenv("DIATEST_USERNAME", sim.username)
    monkeypatch.setenv("DIATEST_PASSWORD", sim.password)
    monkeypatch.setenv("DIATEST_APIKEY", sim.apikey)
    connection = ErpConnection.objects.create(
        code="dia", name="DİA", adapter="dia", credentials_ref="DIATEST", settings={"base_url": sim.base_url}
    )
    run = sync_import(connection=connection, entity="balance", full=True)
    assert run.summary["api"]["services"] == {
        "login": 1,
        "sis_yetkili_firma_donem_sube_depo": 1,
        "scf_carikart_listele": 1,
    }
    assert Decimal(run.summary["api"]["credits"]) == Decimal("0.025")
    health = connection_health(connection)
    assert (health.usage.calls, health.usage.credits) == (3, Decimal("0.025"))
    page = staff_client.get(reverse("admin:erpsync_erpconnection_health", args=[connection.pk])).content.decode()
    assert "ERP calls today: 3; credit spent: 0.0250" in page


# -- reads ----------------------------------------------------------------------------------------------------------


def test_delta_reads_what_changed_since_by_date(sim, side):
    with side.make_adapter() as adapter:
        (feed,) = adapter.read("customer")
        assert [r.code for r in feed.records] and feed.complete and feed.watermark is not None
        sim.company.advance(hours=1)
        sim.company.add_customer("120.03.003", "Yeni Bayi Ltd.")
        (delta,) = adapter.read("customer", since=feed.watermark + timedelta(seconds=1))
    assert [r.code for r in delta.records] == ["120.03.003"] and not delta.complete
    assert delta.watermark > feed.watermark


def test_ledger_reads_the_statements_of_changed_customers_only_when_told(sim, side):
    customer = sim.company.find("carikart", carikartkodu=CUSTOMER)[0]
    quiet = sim.company.add_customer("120.04.004", "Sessiz Bayi")
    sim.company.post(quiet, kind="Devir", number="DEVIR", debit=50)
    sim.company.advance(days=1)  # the statement is read by day, from the watermark's
    since = sim.company.now.replace(tzinfo=side.make_adapter().zone)
    sim.company.advance(hours=1)
    sim.company.post(customer, kind="Satış Faturası", number="F-1", debit=100)
    with dia_adapter(sim, ledger_customers="changed") as adapter:
        (feed,) = adapter.read("ledger", since=since)
    assert [(e.customer_code, e.document_number) for e in feed.records] == [(CUSTOMER, "F-1")]
    assert sim.count("rpr_raporsonuc_getir") == 1
    with dia_adapter(sim) as adapter:  # moved: everyone with a debit or credit
        (feed,) = adapter.read("ledger", since=since)
    assert sorted(e.customer_code for e in feed.records) == [CUSTOMER]  # the quiet one's opening is older
    assert sim.count("rpr_raporsonuc_getir") == 3


def test_stock_from_the_card_when_not_kept_per_depot(sim, side):
    sim.company.add_depot("MRK", "Merkez")
    sim.company.set_stock("ÇAY-001", "MRK", 7)
    with dia_adapter(sim, stock_mode="card", stock_warehouse="MRK") as adapter:
        records = [r for feed in adapter.read("stock") for r in feed.records]
    assert [(r.product_code, r.warehouse_code, r.on_hand) for r in records] == [("ÇAY-001", "MRK", Decimal(7))]
    assert "rpr_raporsonuc_getir" not in sim.calls


# -- cancellation ---------------------------------------------------------------------------------------------------


def test_cancel_refused_by_default_asks_a_person(sim, side):
    with dia_adapter(sim) as adapter:
        adapter.order_push(sample_order())
        with pytest.raises(PermanentError, match="cancel order B2B-2026-000123 in DİA"):
            adapter.order_cancel(ErpCancel("B2B-2026-000123"))
    assert [row["onay"] for row in sim.company.tables["siparis"]] == ["KABUL"]


def test_cancel_of_a_dispatched_order_is_refused(sim, side):
    with side.make_adapter() as adapter:
        ack = adapter.order_push(sample_order())
        sim.company.dispatch(ack.document_id, {1: 1})
        with pytest.raises(PermanentError, match="partially_shipped"):
            adapter.order_cancel(ErpCancel("B2B-2026-000123"))
    assert [row["onay"] for row in sim.company.tables["siparis"]] == ["KABUL"]


# -- new customer cards (scf_carikart_ekle) --------------------------------------------------------------------------


def cards(sim: DiaSimulator, code: str) -> list[dict]:
    return [row for row in sim.company.tables["carikart"] if row["carikartkodu"] == code]


def test_new_customer_card_on_the_wire_and_what_it_costs(sim, side):
    customer = dataclasses.replace(sample_new_customer(), currency="EUR")
    with side.make_adapter() as adapter:
        assert adapter.customer_lookup(customer.code) is None
        ack = adapter.customer_push(customer)  # the outbox's look-up just before counts: no second one
        usage = adapter.run_usage()

    (card,) = cards(sim, "120.01.900")
    assert (ack.reference, ack.document_id, ack.document_number) == ("dealer:900", "120.01.900", card["_key"])
    assert (card["unvan"], card["carikarttipi"], card["carikayitturu"]) == (customer.title, "AL", "SHS")
    assert (card["tckimlikno"], card["verginumarasi"], card["vergidairesi"]) == ("12345678950", None, "Çankaya")
    assert (card["eposta"], card["dovizadi"]) == ("muhasebe@sahinyapi.example", "EUR")
    (address,) = card["m_adresler"]
    assert (address["anaadres"], address["adresadi"], address["adres1"]) == ("1", "Merkez", customer.address.line1)
    assert (address["sehir"], address["ilce"], address["postakodu"]) == ("Ankara", "Çankaya", "06570")
    assert (card["sehir"], card["telefon1"]) == ("Ankara", "+90 312 000 00 00")
    assert usage["services"]["scf_carikart_listele"] == 2  # the look-up and the tax number check
    assert usage["services"]["scf_carikart_ekle"] == 1
    paid = [name for name in sim.calls if name not in ("login", "logout")]
    assert Decimal(usage["credits"]) == Decimal("0.0125") * len(paid)


def test_new_customer_answer_lost_then_pushed_again_makes_one_card(sim, side):
    sim.faults.drop_response("scf/scf_carikart_ekle")
    with side.make_adapter() as adapter:
        with pytest.raises(OutcomeUnknownError):
            adapter.customer_push(sample_new_customer())
        found = adapter.customer_lookup("120.01.900")
        again = adapter.customer_push(sample_new_customer())
    assert found is not None and again.document_number == found.document_number == cards(sim, "120.01.900")[0]["_key"]
    assert sim.company.created_customers == ["120.01.900"] and sim.count("scf_carikart_ekle") == 1


def test_card_keyed_in_after_the_look_up_is_found_when_dia_refuses_the_duplicate(sim, side):
    with side.make_adapter() as adapter:
        assert adapter.customer_lookup("120.01.900") is None
        with sim.company.lock:
            keyed = sim.company.add_customer("120.01.900", "Elle açılmış", durum="P")
        ack = adapter.customer_push(sample_new_customer())
    assert ack.document_number == keyed["_key"] and sim.company.created_customers == []
    assert sim.count("scf_carikart_ekle") == 1 and len(cards(sim, "120.01.900")) == 1


def test_new_customer_with_a_tax_number_another_card_holds_is_refused(sim, side):
    customer = dataclasses.replace(sample_new_customer(), tax_number="9876543210")
    with sim.company.lock:
        sim.company.add_customer("320.01.050", "Tedarikçi", carikarttipi="ST", verginumarasi="9876543210")
    with side.make_adapter() as adapter:
        assert adapter.customer_push(customer).document_id == "120.01.900"  # a supplier's card does not count
        with sim.company.lock:
            sim.company.add_customer("120.01.050", "Öztürk Gıda", verginumarasi="5556667778")
        other = dataclasses.replace(customer, code="120.01.901", tax_number="5556667778")
        with pytest.raises(PermanentError, match=r"holds customer 120\.01\.050 with tax number") as refused:
            adapter.customer_push(other)
    assert refused.value.code == "tax_number_taken"
    assert cards(sim, "120.01.901") == [] and sim.count("scf_carikart_ekle") == 1


def test_new_customer_refused_by_dia_is_permanent_with_its_text(sim, side):
    customer = dataclasses.replace(sample_new_customer(), tax_office="Ankara Kurumlar")  # no such tax office
    with side.make_adapter() as adapter, pytest.raises(PermanentError, match=r"Kayıt bulunamadı.*sis_vergidairesi"):
        adapter.customer_push(customer)
    assert cards(sim, "120.01.900") == [] and sim.count("scf_carikart_ekle") == 1


def test_new_customer_without_a_title_is_refused_before_anything_is_sent(sim, side):
    with side.make_adapter() as adapter, pytest.raises(PermanentError, match="no title"):
        adapter.customer_push(dataclasses.replace(sample_new_customer(), title=" "))
    assert sim.count("scf_carikart_ekle") == 0 and sim.count("scf_carikart_listele") == 0


def test_simulator_refuses_a_card_without_title_a_taken_code_or_a_wrong_tax_number(sim):
    head = session(sim)

    def add(**kart):
        return call(sim, "scf", "scf_carikart_ekle", {**head, "kart": kart})

    assert add(carikartkodu="120.09.001")["msg"] == "120.09.001: Ünvan (unvan) zorunludur"
    assert add(unvan="Kodsuz")["code"] == "500"
    made = add(carikartkodu="120.09.001", unvan="Çınar Yapı", verginumarasi="4440001112")
    assert made["code"] == "200" and made["key"]
    taken = add(carikartkodu="120.09.001", unvan="İkinci")
    assert taken["code"] == "501" and "already exists" in taken["msg"]
    assert "10 haneli" in add(carikartkodu="120.09.002", unvan="X", verginumarasi="12")["msg"]
    assert "vergino alanı yok" in add(carikartkodu="120.09.003", unvan="X", vergino="1")["msg"]
    city = add(
        carikartkodu="120.09.004", unvan="X", m_adresler=[{"anaadres": "1", "_key_sis_sehirler": {"sehiradi": "Yok"}}]
    )
    assert city["code"] == "500" and "sis_sehirler" in city["msg"]
    assert sim.company.created_customers == ["120.09.001"]
