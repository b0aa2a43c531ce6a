"""The Netsis adapter against the simulator: what an order and a quote look like on the wire, one test per fault
switch (no duplicate slip, no lost order), transactions, cancellation, settings that take either reading."""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime
from decimal import Decimal

import pytest

pytest.register_assert_rewrite("erpsync.tests.contract")

from django.core.exceptions import ImproperlyConfigured  # noqa: E402

from erpsync.adapters.base import (  # noqa: E402
    ErpCancel,
    ErpOrderState,
    OutcomeUnknownError,
    PermanentError,
    RetryableError,
)
from erpsync.simulators.netsis import NetsisSimulator  # noqa: E402
from erpsync.tests.contract import sample_new_customer, sample_order, sample_quote  # noqa: E402
from erpsync.tests.netsis_side import CUSTOMER, NetsisErpSide, netsis_adapter  # noqa: E402

pytestmark = pytest.mark.django_db
REFERENCE = "B2B-2026-000123"


@pytest.fixture
def side():
    with NetsisSimulator() as simulator:
        yield NetsisErpSide(simulator)


@pytest.fixture
def sim(side):
    return side.sim


@pytest.fixture
def adapter(side):
    with side.make_adapter() as made:
        yield made


def held(sim, tip="ftSSip") -> list[dict]:
    with sim.company.lock:
        return [slip for slip in sim.company.slips.values() if slip["FaturaTip"] == tip]


def test_order_slip_on_the_wire(sim, adapter):
    ack = adapter.order_push(sample_order())

    (slip,) = held(sim)
    header = slip["FatUst"]
    assert (ack.document_number, header["FATIRS_NO"]) == ("B00022026000123", "B00022026000123")
    assert ack.document_id == "ftSSip;B00022026000123;120.01.001"
    assert (header["EKACK1"], header["BELGE_NO"], header["SIPARIS_TEST"]) == (REFERENCE, "PO-77", "2026-03-05")
    assert header["TIPI"] == 2 and header["KDV_DAHILMI"] is False
    # KOLI is the tea's second unit, KG its third: sent as unit indexes with net prices and VAT.
    assert [(line["Olcubr"], line["STra_GCMIK"], line["STra_NF"], line["KdvOrani"]) for line in slip["Kalems"]] == [
        (2, Decimal("12"), Decimal("1250.50"), Decimal("20")),
        (3, Decimal("1.5"), Decimal("1250.50"), Decimal("20")),
    ]
    assert sim.company.stock[("ÇAY-001", 1)]["reserved"] == 12 * 12 + Decimal("1.5")


def test_unknown_unit_is_refused_before_anything_is_sent(sim, adapter):
    order = sample_order()
    order = dataclasses.replace(order, lines=(dataclasses.replace(order.lines[0], unit="PALET"),))
    with pytest.raises(PermanentError, match="PALET"):
        adapter.order_push(order)
    assert sim.stats.count("POST", "ItemSlips") == 0


def test_two_references_with_one_slip_number_are_refused_not_merged(sim, adapter):
    adapter.order_push(sample_order("B2B-2026-000123"))
    with pytest.raises(PermanentError, match="same slip number") as caught:
        adapter.order_push(sample_order("B2B2026000-123"))
    assert caught.value.code == "number_taken"
    assert len(held(sim)) == 1


def test_quote_is_a_sales_quote_slip_not_an_order(sim, adapter):
    ack = adapter.quote_push(sample_quote())

    assert held(sim) == []
    (slip,) = held(sim, "ftSatTeklif")
    assert slip["FatUst"]["FATIRS_NO"] == ack.document_number == "T00020260001232"
    assert slip["FatUst"]["SIPARIS_TEST"] == "2026-03-15"  # valid until
    assert "Teslim 5 iş günü" in slip["FatUst"]["Aciklama"]
    assert sim.company.stock[("ÇAY-001", 1)]["reserved"] == 0  # a quote holds no stock


# -- one test per fault switch ---------------------------------------------------------------------------------------


def test_latency_past_the_timeout_is_outcome_unknown_then_found_once(sim, side):
    adapter = netsis_adapter(sim, timeout_seconds=0.3)
    adapter.order_lookup("B2B-WARM")  # the token first
    sim.faults.latency("ItemSlips", method="POST", seconds=0.6)
    with pytest.raises(OutcomeUnknownError):
        adapter.order_push(sample_order())
    time.sleep(0.5)  # Netsis finishes what it was sent
    ack = adapter.order_push(sample_order())
    assert ack.document_number == "B00022026000123"
    assert len(held(sim)) == 1
    assert sim.stats.count("POST", "ItemSlips") == 1


def test_5xx_is_retryable_and_nothing_is_made(sim, adapter):
    sim.faults.error("ItemSlips", method="POST", status=503)
    with pytest.raises(RetryableError) as caught:
        adapter.order_push(sample_order())
    assert not isinstance(caught.value, PermanentError) and caught.value.code == "503"
    assert held(sim) == []
    adapter.order_push(sample_order())
    assert len(held(sim)) == 1


def test_business_error_with_http_200_is_permanent_with_the_turkish_text(sim, adapter):
    sim.faults.refuse("ItemSlips", method="POST", code=7010, message="Stok kartı kullanımda, kayıt yapılamadı")
    with pytest.raises(PermanentError, match="Stok kartı kullanımda") as caught:
        adapter.order_push(sample_order())
    assert caught.value.code == "7010"
    assert held(sim) == []


def test_business_error_of_a_retryable_code_is_retryable(sim, adapter):
    sim.faults.refuse("ItemSlips", method="POST", code=7001, message="Kayıt başka kullanıcı tarafından kilitli")
    with pytest.raises(RetryableError, match="kilitli") as caught:
        adapter.order_push(sample_order())
    assert not isinstance(caught.value, PermanentError)
    assert held(sim) == []


def test_expired_token_is_renewed_once_and_the_order_sent_once(sim, adapter):
    adapter.order_lookup("B2B-WARM")
    sim.faults.expire_session("ItemSlips", method="POST")
    adapter.order_push(sample_order())
    assert sim.tokens_issued == 2
    assert len(held(sim)) == 1


def test_reset_connection_is_outcome_unknown_and_the_retry_sends_it(sim, adapter):
    adapter.order_lookup("B2B-WARM")
    sim.faults.reset("ItemSlips", method="POST")
    with pytest.raises(OutcomeUnknownError):
        adapter.order_push(sample_order())
    assert adapter.order_lookup(REFERENCE) is None  # nothing was applied: not lost, sent again
    adapter.order_push(sample_order())
    assert len(held(sim)) == 1


def test_apply_then_drop_then_push_again_finds_the_slip(sim, adapter):
    sim.faults.drop_response("ItemSlips", method="POST")
    with pytest.raises(OutcomeUnknownError):
        adapter.order_push(sample_order())
    again = adapter.order_push(sample_order())
    assert again.document_number == "B00022026000123"
    assert len(held(sim)) == 1 and sim.stats.count("POST", "ItemSlips") == 1


# -- numbers from NewNumber, in a transaction ------------------------------------------------------------------------


def test_new_number_create_runs_in_one_transaction(sim):
    adapter = netsis_adapter(sim, numbering="new_number", series="WEB")
    ack = adapter.order_push(sample_order())
    assert ack.document_number == "WEB000000000001"
    assert [path for _, path in sim.stats.requests if path.startswith(("Operations", "ItemSlips/N"))] == [
        "Operations/BeginTransaction",
        "ItemSlips/NewNumber",
        "Operations/CommitTransaction",
    ]


def test_new_number_answer_lost_inside_the_transaction_is_rolled_back_and_sent_again(sim):
    adapter = netsis_adapter(sim, numbering="new_number")
    sim.faults.drop_response("ItemSlips", method="POST")
    with pytest.raises(RetryableError, match="rolled back") as caught:
        adapter.order_push(sample_order())
    assert not isinstance(caught.value, (PermanentError, OutcomeUnknownError))
    assert held(sim) == [] and sim.company.numbers == {}  # the number given back too
    assert ("ÇAY-001", 1) not in sim.company.stock  # and the reservation (the cell it made)
    adapter.order_push(sample_order())
    assert [slip["FatUst"]["FATIRS_NO"] for slip in held(sim)] == ["W00000000000001"]


def test_new_number_commit_answer_lost_is_outcome_unknown_and_found(sim):
    adapter = netsis_adapter(sim, numbering="new_number")
    sim.faults.drop_response("Operations/CommitTransaction", method="POST")
    with pytest.raises(OutcomeUnknownError):
        adapter.order_push(sample_order())
    assert adapter.order_lookup(REFERENCE) is not None
    adapter.order_push(sample_order())
    assert len(held(sim)) == 1


def test_transaction_held_by_another_user_is_retryable(sim):
    adapter = netsis_adapter(sim, numbering="new_number")
    with sim.company.lock:
        sim._transaction = ("someone-else", sim.company.snapshot())
    with pytest.raises(RetryableError, match="açık işlemi"):
        adapter.order_push(sample_order())
    assert held(sim) == []


# -- cancellation, reads, settings -------------------------------------------------------------------------------------


def test_cancel_deletes_an_open_order_and_refuses_a_dispatched_one(sim, side, adapter):
    ack = adapter.order_push(sample_order())
    adapter.order_push(sample_order("B2B-2026-000124"))
    adapter.order_cancel(ErpCancel(REFERENCE))
    assert adapter.order_lookup(REFERENCE) is None
    # A retry after a lost answer finds nothing and takes the known document as cancelled.
    assert (
        adapter.order_cancel(ErpCancel(REFERENCE, document_id=ack.document_id)).document_number == ack.document_number
    )
    with pytest.raises(PermanentError, match="holds no order slip"):
        adapter.order_cancel(ErpCancel("B2B-2026-000999"))
    with sim.company.lock:
        sim.company.convert_order("B00022026000124", CUSTOMER, "ftSIrs", quantities={"ÇAY-001": 1})
    with pytest.raises(PermanentError, match="partially_shipped"):
        adapter.order_cancel(ErpCancel("B2B-2026-000124"))
    assert len(held(sim)) == 1


def test_order_states_read_back(sim, side, adapter):
    adapter.order_push(sample_order())
    assert adapter.order_lookup(REFERENCE).state == ErpOrderState.OPEN
    with sim.company.lock:
        dispatch = sim.company.convert_order("B00022026000123", CUSTOMER, "ftSIrs")
    assert adapter.order_lookup(REFERENCE).state == ErpOrderState.SHIPPED
    with sim.company.lock:
        sim.company.invoice_dispatch(dispatch["FatUst"]["FATIRS_NO"], CUSTOMER)
    (status,) = next(iter(adapter.read("order_status", full=True))).records
    assert (status.reference, status.state) == (REFERENCE, ErpOrderState.INVOICED)
    (invoice,) = next(iter(adapter.read("invoice", full=True))).records
    assert [(line.product_code, line.unit, line.quantity) for line in invoice.lines] == [
        ("ÇAY-001", "KOLI", Decimal("12")),
        ("ÇAY-001", "KG", Decimal("1.5")),
    ]
    assert invoice.order_reference == REFERENCE and invoice.related_number == dispatch["FatUst"]["FATIRS_NO"]


def test_live_balance_counts_open_orders(sim, adapter):
    with sim.company.lock:
        sim.company.add_ledger(CUSTOMER, "DEVIR", debit=1000)
    adapter.order_push(sample_order())
    balance = adapter.live_balance(CUSTOMER)
    assert balance.balance == 1000
    assert balance.open_orders == Decimal("20258.1")


def test_types_sent_as_numbers_when_set(sim):
    adapter = netsis_adapter(sim, type_format="number")
    adapter.order_push(sample_order())
    assert held(sim)[0]["FaturaTip"] == "ftSSip"  # 7, read by the service as ftSSip


def test_wrong_password_needs_authorisation(sim):
    adapter = netsis_adapter(sim)
    adapter.login["password"] = "yanlış"
    with pytest.raises(PermanentError) as caught:
        adapter.order_lookup(REFERENCE)
    assert caught.value.code == "needs_authorisation"
    assert not adapter.test_connection().ok


@pytest.mark.parametrize(
    "change",
    [
        {"number_prefix": "b2b"},
        {"reference_field": "EKACK1; DROP"},
        {"ledger_kinds": {"X": "gift"}},
        {"db_name": ""},
        {"live_stock_concurrency": 0},
        {"live_stock_concurrency": 17},
    ],
)
def test_settings_refused(sim, change):
    with pytest.raises(ImproperlyConfigured):
        netsis_adapter(sim, **change)


def test_order_status_delta_sees_an_old_order_dispatched_today(sim, adapter):
    adapter.order_push(sample_order())  # dated 2026-03-01
    with sim.company.lock:
        sim.company.convert_order("B00022026000123", CUSTOMER, "ftSIrs")
    since = datetime(2026, 12, 1, tzinfo=UTC)
    (feed,) = adapter.read("order_status", since=since)
    assert [(status.reference, status.state) for status in feed.records] == [(REFERENCE, ErpOrderState.SHIPPED)]
    assert feed.complete is False


# -- new customer accounts (ARPs) ------------------------------------------------------------------------------------


def test_new_customer_account_on_the_wire(sim, adapter):
    customer = dataclasses.replace(sample_new_customer(), currency="EUR", sales_rep_code="P01", payment_terms_code="30")

    ack = adapter.customer_push(customer)

    assert (ack.reference, ack.document_id) == ("dealer:900", "120.01.900")
    row = sim.company.arps["120.01.900"]
    assert row["CARI_ISIM"] == "Şahin Yapı Malzemeleri İnş. San. ve Tic. Ltd. Şti."
    assert (row["TC_KIMLIK_NO"], row["VERGI_NO"], row["VERGI_DAIRESI"]) == ("12345678950", None, "Çankaya")
    assert (row["CARI_IL"], row["CARI_ILCE"], row["POSTA_KODU"]) == ("Ankara", "Çankaya", "06570")
    assert row["CARI_ADRES"] == "Gazi Mustafa Kemal Blv. No:12/3"
    assert (row["DOVIZ_KODU"], row["PLASIYER_KODU"], row["VADE_GUNU"], row["CARI_TIP"]) == (2, "P01", 30, "A")
    assert row["E_POSTA"] == "muhasebe@sahinyapi.example"
    assert sim.company.created_arps == ["120.01.900"]


def test_new_customer_answer_lost_then_pushed_again_makes_one_account(sim, adapter):
    sim.faults.drop_response("ARPs", method="POST")
    with pytest.raises(OutcomeUnknownError):
        adapter.customer_push(sample_new_customer())

    assert adapter.customer_lookup("120.01.900").document_id == "120.01.900"
    assert adapter.customer_push(sample_new_customer()).document_id == "120.01.900"
    assert sim.company.created_arps == ["120.01.900"] and sim.stats.count("POST", "ARPs") == 1


def test_locked_account_of_the_code_is_found_not_made_again(sim, adapter):
    with sim.company.lock:
        sim.company.add_customer("120.01.900", "Elle açılmış", CARI_TIP="S", KILIT="E")
    assert adapter.customer_push(sample_new_customer()).document_id == "120.01.900"
    assert sim.company.created_arps == [] and sim.stats.count("POST", "ARPs") == 0


def test_new_customer_with_a_tax_number_another_account_holds_is_refused(sim, adapter):
    customer = dataclasses.replace(sample_new_customer(), tax_number="1234567890")  # the contract customer's
    with pytest.raises(PermanentError, match=r"holds account 120\.01\.001 with tax number 1234567890") as refused:
        adapter.customer_push(customer)
    assert refused.value.code == "tax_number_taken"
    assert "120.01.900" not in sim.company.arps and sim.stats.count("POST", "ARPs") == 0


def test_new_customer_refused_by_netsis_is_permanent_with_its_text(sim, adapter):
    customer = dataclasses.replace(sample_new_customer(), tax_number="12345")  # neither 10 nor 11 digits
    with pytest.raises(PermanentError, match="Vergi numarası 10 haneli olmalı") as refused:
        adapter.customer_push(customer)
    assert refused.value.code == "7004"
    assert "120.01.900" not in sim.company.arps and sim.stats.count("POST", "ARPs") == 1


def test_new_customer_without_a_name_is_refused_before_anything_is_sent(sim, adapter):
    with pytest.raises(PermanentError, match="no title"):
        adapter.customer_push(dataclasses.replace(sample_new_customer(), title="  "))
    assert "120.01.900" not in sim.company.arps and sim.stats.count("POST", "ARPs") == 0


def test_new_customer_in_a_currency_netsis_does_not_number_is_refused(sim, adapter):
    with pytest.raises(PermanentError, match="No Netsis currency number for JPY"):
        adapter.customer_push(dataclasses.replace(sample_new_customer(), currency="JPY"))
    assert sim.stats.count("POST", "ARPs") == 0
