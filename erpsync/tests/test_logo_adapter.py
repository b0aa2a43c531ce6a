"""The Logo adapter against the simulator's fault switches (no duplicate slip, no lost order), its token handling,
paging, deltas, period rollover, live look-ups and what it refuses."""

from __future__ import annotations

import dataclasses
import json
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ImproperlyConfigured

from erpsync.adapters.base import (
    ErpCancel,
    ErpOrderState,
    OutcomeUnknownError,
    PermanentError,
    RetryableError,
)
from erpsync.adapters.logo import LogoAdapter
from erpsync.adapters.logo.soap import order_transfer_xml, parameters_xml, transfer_xml
from erpsync.connection_settings import SettingsError
from erpsync.forms import ErpConnectionForm
from erpsync.simulators.logo import LogoBusinessError, LogoSimulator
from erpsync.tests.logo_side import (
    logo_adapter,
    sample_credit_memo,
    sample_new_customer,
    sample_order,
    sample_payment,
    sample_quote,
)

pytestmark = pytest.mark.django_db
ORDER = dataclasses.replace(
    sample_order("B2B-2026-000777"),
    lines=(
        dataclasses.replace(sample_order().lines[0], product_code="ÇAY-001", unit="KOLI", quantity=Decimal(2)),
        dataclasses.replace(
            sample_order().lines[0], line_no=2, product_code="ŞKR-5", unit="KG", quantity=Decimal("2.5")
        ),
    ),
)


@pytest.fixture
def sim():
    with LogoSimulator(demo=True) as simulator:
        yield simulator


@pytest.fixture
def adapter(sim):
    with logo_adapter(sim, payment_slips={"*": "bank:102.01.001", "cash": "cash:100.01"}) as made:
        yield made


def slips(sim: LogoSimulator, reference: str) -> list[dict]:
    with sim.firm.lock:
        return sim.firm.rows("SELECT * FROM LG_001_02_ORFICHE WHERE DOCODE = ?", (reference,))


# -- one test per fault switch: no duplicate slip, no lost order ---------------------------------------------------


def test_answer_lost_after_apply_is_outcome_unknown_and_the_retry_finds_the_slip(sim, adapter):
    sim.faults.drop_response("salesOrders", method="POST")
    with pytest.raises(OutcomeUnknownError):
        adapter.order_push(ORDER)
    found = adapter.order_lookup(ORDER.reference)
    again = adapter.order_push(ORDER)
    assert found is not None and again.document_id == found.document_id
    assert len(slips(sim, ORDER.reference)) == 1


def test_answer_held_past_the_timeout_is_outcome_unknown_and_not_sent_twice(sim):
    sim.faults.drop_response("salesOrders", method="POST", mode="timeout", seconds=1.5)
    with logo_adapter(sim, timeout_seconds=0.5) as adapter:
        with pytest.raises(OutcomeUnknownError):
            adapter.order_push(ORDER)
        adapter.order_push(ORDER)
    assert len(slips(sim, ORDER.reference)) == 1


def test_connection_reset_before_apply_is_outcome_unknown_then_sent_once(sim, adapter):
    sim.faults.reset("salesOrders", method="POST")
    with pytest.raises(OutcomeUnknownError):
        adapter.order_push(ORDER)
    assert slips(sim, ORDER.reference) == []
    ack = adapter.order_push(ORDER)
    assert [row["FICHENO"] for row in slips(sim, ORDER.reference)] == [ack.document_number]


def test_server_error_on_create_is_retryable_and_nothing_is_made(sim, adapter):
    sim.faults.error("salesOrders", method="POST", status=503)
    with pytest.raises(RetryableError) as caught:
        adapter.order_push(ORDER)
    assert not isinstance(caught.value, (PermanentError, OutcomeUnknownError))
    assert slips(sim, ORDER.reference) == []
    adapter.order_push(ORDER)
    assert len(slips(sim, ORDER.reference)) == 1


def test_latency_within_the_timeout_is_only_slower(sim, adapter):
    sim.faults.latency("queries", seconds=0.3, count=None)
    assert adapter.order_push(ORDER).document_number
    assert len(slips(sim, ORDER.reference)) == 1


def test_latency_past_the_timeout_fails_a_read_as_retryable(sim):
    sim.faults.latency("queries", seconds=1.0, count=None)
    with logo_adapter(sim, timeout_seconds=0.3) as adapter, pytest.raises(RetryableError):
        list(adapter.read("warehouse"))


@pytest.mark.parametrize("status", [401, 400])
def test_expired_token_is_renewed_once_and_the_order_sent_once(status):
    with LogoSimulator(demo=True, login_error_status=status) as sim:
        with logo_adapter(sim) as adapter:
            adapter.order_lookup("B2B-WARM")  # a token in hand
            issued = sim.tokens_issued
            sim.faults.expire_session("salesOrders", method="POST")
            ack = adapter.order_push(ORDER)
        assert sim.tokens_issued == issued + 1
        assert [row["FICHENO"] for row in slips(sim, ORDER.reference)] == [ack.document_number]


def test_business_error_is_permanent_with_logos_message(sim, adapter):
    sim.faults.refuse(
        "salesOrders", method="POST", code=207, message="Sipariş fişi kaydedilemedi: tarih kapalı dönemde."
    )
    with pytest.raises(PermanentError, match="kapalı dönemde"):
        adapter.order_push(ORDER)
    assert slips(sim, ORDER.reference) == []


def test_refused_content_names_the_reason(adapter):
    with pytest.raises(PermanentError, match="Cari hesap kodu bulunamadı"):
        adapter.order_push(dataclasses.replace(ORDER, customer_code="999.99.999"))
    with pytest.raises(PermanentError, match="does not fit"):
        adapter.order_push(dataclasses.replace(ORDER, reference="B" * 33))
    with pytest.raises(PermanentError, match="No Logo currency number for CHF"):
        adapter.order_push(dataclasses.replace(ORDER, currency="CHF"))


def test_read_retries_a_server_error_then_succeeds(sim):
    sim.faults.error("queries", status=502, count=1)
    with logo_adapter(sim, read_retries=1) as adapter:
        (feed,) = adapter.read("warehouse", full=True)
    assert [w.code for w in feed.records] == ["0", "1", "2"]


def test_unavailable_read_is_retryable(sim):
    sim.faults.error("queries", status=503, count=None)
    with logo_adapter(sim, read_retries=1) as adapter, pytest.raises(RetryableError):
        list(adapter.read("product"))


# -- tokens -------------------------------------------------------------------------------------------------------


def test_token_is_reused_across_adapters_and_processes(sim):
    with logo_adapter(sim) as first:
        first.order_lookup("B2B-X")
    with logo_adapter(sim) as second:
        second.order_lookup("B2B-Y")
    assert sim.tokens_issued == 1


def test_wrong_password_is_permanent_and_says_so(sim):
    adapter = LogoAdapter(
        settings={"base_url": sim.root_url, "firm": 1, "period": 2},
        credentials={"client_id": sim.client_id, "client_secret": sim.client_secret, "username": "PORTAL",
                     "password": "yanlış"},
    )  # fmt: skip
    with adapter, pytest.raises(PermanentError, match="Kullanıcı adı veya şifre hatalı"):
        adapter.order_lookup("B2B-1")
    check = adapter.test_connection()
    assert not check.ok and "sign in" in check.message


def test_settings_and_credentials_are_checked():
    with pytest.raises(SettingsError, match="firm"):
        LogoAdapter(settings={"base_url": "http://logo/", "period": 1}, credentials={})
    with pytest.raises(ImproperlyConfigured, match="client_secret"):
        LogoAdapter(settings={"base_url": "http://logo/", "firm": 1, "period": 1}, credentials={"client_id": "x"})


# -- orders across periods, cancellation, collections ---------------------------------------------------------------


def test_order_sent_before_the_rollover_is_found_in_the_previous_period(sim, adapter):
    found = adapter.order_lookup("B2B-2025-000900")
    assert found is not None and found.document_id.startswith("1/")
    again = adapter.order_push(dataclasses.replace(ORDER, reference="B2B-2025-000900"))
    assert again.document_id == found.document_id
    assert slips(sim, "B2B-2025-000900") == []  # nothing new in the working period


def test_lookup_binds_a_quote_in_the_reference_as_data(adapter):
    assert adapter.order_lookup("X' OR '1'='1") is None


def test_cancel_while_open_then_refused_once_shipped(sim, adapter):
    adapter.order_push(ORDER)
    ack = adapter.order_cancel(ErpCancel(ORDER.reference))
    assert adapter.order_lookup(ORDER.reference).state == ErpOrderState.CANCELLED
    assert adapter.order_cancel(ErpCancel(ORDER.reference)) == ack  # twice is fine
    shipped = dataclasses.replace(ORDER, reference="B2B-SHIPPED")
    adapter.order_push(shipped)
    with sim.firm.lock:
        sim.firm.dispatch(slips(sim, "B2B-SHIPPED")[0]["LOGICALREF"], {1: 1})
    with pytest.raises(PermanentError, match="partially_shipped"):
        adapter.order_cancel(ErpCancel("B2B-SHIPPED"))


def test_collection_by_bank_or_cash_once(sim, adapter):
    bank = adapter.payment_push(sample_payment("PAY-BANK-1"))
    assert bank.document_id.startswith("bankSlips/")
    assert adapter.payment_push(sample_payment("PAY-BANK-1")) == bank
    cash = adapter.payment_push(dataclasses.replace(sample_payment("PAY-CASH-1"), method="cash"))
    assert cash.document_id.startswith("safeDepositSlips/")
    assert adapter.live_balance("120.01.001").balance == Decimal("17280") - Decimal("10000") - Decimal("10000")


def test_collection_without_a_slip_setting_is_refused(sim):
    with logo_adapter(sim, payment_slips={"card": "bank:102"}) as adapter, pytest.raises(PermanentError, match="slips"):
        adapter.payment_push(dataclasses.replace(sample_payment(), method="transfer"))
    with logo_adapter(sim) as bare:
        assert not bare.supports("payment_push")


# -- reads --------------------------------------------------------------------------------------------------------


def test_demo_firm_reads_with_its_awkward_shapes(adapter):
    (products,) = adapter.read("product", full=True)
    by_code = {p.code: p for p in products.records}
    assert by_code["ÇAY-001"].units[0].factor == 12 and by_code["ÇAY-001"].units[0].barcode == "8690000000012"
    assert by_code["ÇAY-001"].units[1].sellable is False
    assert (by_code["DMR-99"].active, by_code["DMR-99"].inactive_reason) == (False, "not_sold")
    assert (by_code["ESK-01"].active, by_code["ESK-01"].inactive_reason) == (False, "")
    assert by_code["ŞKR-5"].category_code == ""
    (customers,) = adapter.read("customer", full=True)
    codes = {c.code: c for c in customers.records}
    assert "320.01.001" not in codes  # a supplier
    assert codes["120.01.002"].tax_number == "11111111110"  # TCKN only
    assert codes["120.02.001"].currency == "EUR" and codes["120.02.001"].price_list_code == "LOGO-EUR"
    assert [a.code for a in codes["120.01.001"].addresses] == ["FATURA", "DEPO"]
    # The sales representative through SLSCLREL; the passive one beside it is not read.
    assert (codes["120.01.001"].sales_rep_code, codes["120.01.001"].sales_rep_name) == ("PL-01", "Ayşe Yılmaz")
    assert codes["120.01.002"].sales_rep_code == ""
    (prices,) = adapter.read("price", full=True)
    assert {(p.price_list_code, p.product_code, p.unit, p.price) for p in prices.records} >= {
        ("LOGO-TRY", "ÇAY-001", "", Decimal("1250.5")),
        ("LOGO-TRY", "ÇAY-001", "KOLI", Decimal("14400")),
        ("LOGO-TRY-KDV", "ŞKR-5", "", Decimal("42.5")),
        ("LOGO-USD", "UZN-İSİM", "", Decimal("7.25")),
    }
    (agreements,) = adapter.read("agreement", full=True)
    assert [(a.customer_code, a.value) for a in agreements.records] == [("120.01.001", Decimal("1190"))]
    (stock,) = adapter.read("stock", full=True)
    tea = {s.warehouse_code: s for s in stock.records if s.product_code == "ÇAY-001"}
    assert (tea["0"].on_hand, tea["1"].on_hand) == (Decimal("468"), Decimal("36"))


def test_credit_holds_only_when_a_limit_column_is_set(sim, adapter):
    assert not adapter.can_read("credit")
    with logo_adapter(sim, credit_limit="ACCRISKLIMIT") as with_credit:
        (feed,) = with_credit.read("credit", full=True)
    credits = {c.customer_code: c for c in feed.records}
    assert credits["120.01.001"].credit_limit == 100000 and not credits["120.01.001"].hold
    assert credits["120.01.002"].hold


@pytest.mark.parametrize("page_size", [1, 2, 3])
def test_small_pages_lose_nothing(sim, page_size):
    with logo_adapter(sim) as whole, logo_adapter(sim, page_size=page_size) as paged:
        for entity in ("product", "stock", "customer", "price", "ledger"):
            (all_,) = whole.read(entity, full=True)
            (pages,) = paged.read(entity, full=True)
            assert sorted(map(repr, pages.records)) == sorted(map(repr, all_.records)), entity
        balances = [
            sorted((b.customer_code, b.balance) for b in next(a.read("balance")).records) for a in (whole, paged)
        ]
        assert balances[0] == balances[1] and balances[0]


def test_stock_from_dated_movements_equals_the_totals(sim):
    with logo_adapter(sim, stock_table="STINVTOT") as dated, logo_adapter(sim) as totals:
        assert sorted(map(repr, next(dated.read("stock")).records)) == sorted(
            map(repr, next(totals.read("stock")).records)
        )


def test_delta_reads_what_changed_since_with_the_hour(sim, adapter):
    with sim.firm.lock:
        sim.firm.advance(hours=5)
        changed_at = sim.firm.now
        sim.firm.change_item("ŞKR-5", NAME="Toz Şeker 5 kg (yeni)")
    since = (changed_at - timedelta(minutes=1)).replace(tzinfo=adapter.zone)
    (feed,) = adapter.read("product", since=since)
    assert not feed.complete
    assert [p.code for p in feed.records] == ["ŞKR-5"]
    (later,) = adapter.read("product", since=since + timedelta(minutes=2))
    assert later.records == []


def test_order_status_and_documents_follow_the_firm(sim, adapter):
    adapter.order_push(ORDER)
    ref = slips(sim, ORDER.reference)[0]["LOGICALREF"]
    with sim.firm.lock:
        first = sim.firm.dispatch(ref, {1: 1})
    states = {s.reference: s.state for s in next(adapter.read("order_status", full=True)).records}
    assert states[ORDER.reference] == ErpOrderState.PARTIALLY_SHIPPED
    assert states["B2B-2026-000050"] == ErpOrderState.INVOICED
    assert states["B2B-2025-000900"] == ErpOrderState.OPEN  # the previous period's
    with sim.firm.lock:
        dispatch = sim.firm.dispatch(ref)
        sim.firm.invoice([first, dispatch], e_invoice_uuid="ABC-1")
    states = {s.reference: s.state for s in next(adapter.read("order_status", full=True)).records}
    assert states[ORDER.reference] == ErpOrderState.INVOICED
    invoices = [d for d in next(adapter.read("invoice", full=True)).records if d.order_reference == ORDER.reference]
    assert [d.e_invoice_uuid for d in invoices] == ["abc-1"]
    deliveries = [d for d in next(adapter.read("delivery", full=True)).records if d.order_reference == ORDER.reference]
    assert len(deliveries) == 2


def test_live_stock_and_open_orders(adapter):
    live = adapter.live_stock(["ÇAY-001", "X' OR 1=1 --"])
    assert {s.warehouse_code for s in live} == {"0", "1", "2"}
    assert all(s.product_code == "ÇAY-001" and s.as_of for s in live)
    assert adapter.live_stock([]) == []
    opened = list(adapter.open_orders())
    assert {o.document_number for o in opened} >= {"SS00000000000001"}
    assert all(o.reference != "B2B-2026-000050" for o in opened)


def test_connection_check_names_the_firm(adapter):
    check = adapter.test_connection()
    assert check.ok and "Demo Dağıtım" in check.message


def test_sql_timestamps_are_the_servers_local_time(sim, adapter):
    (feed,) = adapter.read("customer", full=True)
    stamped = next(c for c in feed.records if c.code == "120.01.001").updated_at
    assert stamped == datetime(2026, 3, 1, 9, 0, tzinfo=adapter.zone)


# -- the SOAP transport (LogoObjectService through zeep) -----------------------------------------------------------


def soap_adapter(sim: LogoSimulator, **settings) -> LogoAdapter:
    return logo_adapter(sim, write_transport="soap", query_transport="soap", **settings)


def test_soap_order_is_one_append_of_a_sales_order_slip(sim):
    with soap_adapter(sim) as adapter:
        ack = adapter.order_push(ORDER)
        assert adapter.order_push(ORDER).document_id == ack.document_id
    assert sim.soap.appended == [3]
    assert sim.stats.count("POST", "LogoObjectService.svc/AppendDataObject") == 1
    assert sim.stats.count("POST", "salesOrders") == sim.stats.count("GET", "queries") == 0
    (slip,) = slips(sim, ORDER.reference)
    assert (slip["FICHENO"], slip["STATUS"]) == (ack.document_number, 4)


def test_soap_transfer_document_is_iso_8859_9_with_logos_dates():
    xml = order_transfer_xml(
        {"NUMBER": "~", "DATE": "2026-03-01", "ARP_CODE": "120.01.001", "DOC_NUMBER": "B2B-Ğ",
         "TRANSACTIONS": {"items": [{"TYPE": 0, "MASTER_CODE": "ÇAY-001", "QUANTITY": Decimal("1.5")}]}}
    )  # fmt: skip
    assert xml.startswith("<?xml version='1.0' encoding='ISO-8859-9'?>")
    assert '<ORDER_SLIP DBOP="INS"><NUMBER>~</NUMBER><DATE>01.03.2026</DATE>' in xml
    assert "<MASTER_CODE>ÇAY-001</MASTER_CODE><QUANTITY>1.5</QUANTITY>" in xml
    assert xml.encode("iso-8859-9").decode("iso-8859-9") == xml
    assert "<Period>2</Period>" in parameters_xml(2)


def test_soap_business_error_is_permanent_with_logos_message(sim):
    with soap_adapter(sim) as adapter, pytest.raises(PermanentError, match="Cari hesap kodu bulunamadı"):
        adapter.order_push(dataclasses.replace(ORDER, customer_code="999.99.999"))
    assert sim.soap.appended == []


def test_soap_wrong_security_code_is_permanent(sim):
    adapter = LogoAdapter(
        settings={"base_url": sim.root_url, "firm": 1, "period": 2, "write_transport": "soap",
                  "soap_url": sim.soap_url},
        credentials={"client_id": sim.client_id, "client_secret": sim.client_secret, "username": sim.username,
                     "password": sim.password, "security_code": "yanlış"},
    )  # fmt: skip
    with adapter, pytest.raises(PermanentError, match="Güvenlik kodu hatalı"):
        adapter.order_push(ORDER)


def test_soap_answer_lost_after_apply_then_found_not_sent_twice(sim):
    sim.faults.drop_response("LogoObjectService.svc/AppendDataObject", method="POST")
    with soap_adapter(sim) as adapter:
        with pytest.raises(OutcomeUnknownError):
            adapter.order_push(ORDER)
        assert adapter.order_lookup(ORDER.reference) is not None
        adapter.order_push(ORDER)
    assert len(slips(sim, ORDER.reference)) == 1


def test_soap_server_error_is_retryable_and_nothing_is_made(sim):
    sim.faults.error("LogoObjectService.svc/AppendDataObject", method="POST", status=503)
    with soap_adapter(sim) as adapter, pytest.raises(RetryableError) as caught:
        adapter.order_push(ORDER)
    assert not isinstance(caught.value, OutcomeUnknownError)
    assert slips(sim, ORDER.reference) == []


def test_soap_cancel_deletes_the_slip(sim):
    with soap_adapter(sim) as adapter:
        adapter.order_push(ORDER)
        adapter.order_cancel(ErpCancel(ORDER.reference))
        assert adapter.order_lookup(ORDER.reference) is None
    assert [row["DOCODE"] for _resource, row in sim.firm.deleted] == [ORDER.reference]


def test_exec_query_reads_the_same_records_as_rest_queries(sim):
    with soap_adapter(sim) as soap, logo_adapter(sim) as rest:
        for entity in ("product", "stock", "customer", "price", "order_status", "ledger"):
            by_soap = sorted(map(repr, next(soap.read(entity, full=True)).records))
            by_rest = sorted(map(repr, next(rest.read(entity, full=True)).records))
            assert by_soap == by_rest, entity
    assert sim.stats.count("POST", "LogoObjectService.svc/ExecQuery") > 0


def test_soap_needs_its_address_and_security_code(sim):
    with pytest.raises(SettingsError, match="soap_url"):
        LogoAdapter(settings={"base_url": sim.root_url, "firm": 1, "period": 2, "write_transport": "soap"})
    with pytest.raises(ImproperlyConfigured, match="security_code"):
        LogoAdapter(
            settings={
                "base_url": sim.root_url,
                "firm": 1,
                "period": 2,
                "query_transport": "soap",
                "soap_url": "http://x/",
            },
            credentials={"client_id": "a", "client_secret": "b", "username": "c", "password": "d"},
        )


# -- the connection form ------------------------------------------------------------------------------------------


def connection_form(settings: dict) -> ErpConnectionForm:
    return ErpConnectionForm(
        data={"code": "logo", "name": "Logo Tiger", "adapter": "logo", "settings": json.dumps(settings),
              "credentials_ref": "LOGO_MAIN", "is_active": True},
    )  # fmt: skip


def test_connection_form_takes_a_logo_connection():
    form = connection_form({"base_url": "http://logo-app:32001/", "firm": 1, "period": 2, "previous_period": 1})
    assert form.is_valid(), form.errors


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"base_url": "http://logo-app:32001/", "period": 2}, "firm"),
        ({"base_url": "http://logo-app:32001/", "firm": 1, "period": 2, "write_transport": "soap"}, "soap_url"),
        ({"base_url": "http://logo-app:32001/", "firm": 1, "period": 2, "reference_field": "GUID"}, "reference_field"),
        ({"base_url": "http://logo-app:32001/", "firm": 1, "period": 2, "stock_tabel": "GNTOTST"}, "stock_table"),
    ],
)
def test_connection_form_refuses_wrong_logo_settings(settings, problem):
    form = connection_form(settings)
    assert not form.is_valid()
    assert problem in " ".join(form.errors["settings"])


def test_exec_query_answer_past_ten_megabytes_is_read_whole(sim):
    """ExecQuery answers every row in one text node; libxml2 refuses one past 10 MB unless told (seen at 50,000
    price cards)."""
    sql = (
        "SELECT A.CODE AS K, printf('%.*c', 200, 'x') AS T FROM LG_001_ITEMS A, LG_001_ITEMS B, LG_001_ITEMS C, "
        "LG_001_ITEMS D, LG_001_ITEMS E, LG_001_ITEMS F LIMIT 60000"
    )
    with soap_adapter(sim, timeout_seconds=60) as adapter:  # 12 MB built by the simulator on a busy machine
        rows = adapter.query(sql)
    assert len(rows) == 60000 and rows[-1]["T"] == "x" * 200


# -- new customers (CLCARD through Arps / AR_APS/AR_AP) ----------------------------------------------------------------


def test_soap_customer_is_one_append_of_an_ar_ap_card(sim):
    customer = sample_new_customer("120.01.960")
    with soap_adapter(sim) as adapter:
        ack = adapter.customer_push(customer)
        assert adapter.customer_push(customer).document_id == ack.document_id == "120.01.960"
    assert sim.soap.appended == [30]  # doAccountsRP, not the 81 or <CLCARD> some write-ups give
    assert sim.stats.count("POST", "Arps") == 0
    with sim.firm.lock:
        card = sim.firm.customer("120.01.960")
    assert (card["TCKNO"], card["ISPERSCOMP"], card["TAXNR"]) == (customer.tax_number, 1, None)
    assert (card["DEFINITION_"], card["TOWN"], card["COUNTRY"]) == (customer.title, "Çankaya", "TÜRKİYE")
    assert ack.document_number == str(card["LOGICALREF"])


def test_customer_transfer_document_is_ar_aps_in_iso_8859_9():
    xml = transfer_xml({"ACCOUNT_TYPE": 1, "CODE": "120.01.960", "TITLE": "Şahin Yapı"}, "AR_APS", "AR_AP")
    assert xml.startswith("<?xml version='1.0' encoding='ISO-8859-9'?>")
    assert '<AR_APS><AR_AP DBOP="INS"><ACCOUNT_TYPE>1</ACCOUNT_TYPE><CODE>120.01.960</CODE>' in xml
    assert "<TRANSACTIONS" not in xml


def test_rest_customer_in_another_currency_with_a_payment_plan(sim, adapter):
    customer = dataclasses.replace(
        sample_new_customer("120.02.960"), currency="EUR", tax_number="5555555555", payment_terms_code="60GUN"
    )
    with sim.firm.lock:
        sim.firm.add_payplan("60GUN", "60 gün vadeli")
    ack = adapter.customer_push(customer)
    with sim.firm.lock:
        card = sim.firm.customer("120.02.960")
        plan = sim.firm.row("SELECT CODE FROM LG_001_PAYPLANS WHERE LOGICALREF = ?", (card["PAYMENTREF"],))
    assert (card["CCURRENCY"], card["TAXNR"], plan["CODE"]) == (20, "5555555555", "60GUN")
    assert sim.stats.count("POST", "Arps") == 1 and ack.document_id == "120.02.960"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"payment_terms_code": "YOK"}, "Ödeme planı bulunamadı"),  # Logo's own refusal, in Turkish
        ({"code": "120.01.960.0000001"}, "does not fit Logo's CODE"),
        ({"currency": "CHF"}, "No Logo currency number for CHF"),
    ],
)
def test_customer_logo_refuses_is_permanent_and_nothing_is_made(sim, adapter, change, message):
    customer = dataclasses.replace(sample_new_customer("120.01.961"), **change)
    with pytest.raises(PermanentError, match=message):
        adapter.customer_push(customer)
    with sim.firm.lock:
        assert sim.firm.customer(customer.code) is None


def test_customer_server_error_is_retryable_and_nothing_is_made(sim, adapter):
    sim.faults.error("Arps", method="POST", status=503)
    with pytest.raises(RetryableError):
        adapter.customer_push(sample_new_customer("120.01.962"))
    assert adapter.customer_lookup("120.01.962") is None


# -- collections and credit notes over SOAP; credit notes' refusals -------------------------------------------------


def test_soap_collections_are_bank_and_cash_vouchers_once(sim):
    with soap_adapter(sim, payment_slips={"*": "bank:102.01.001", "cash": "cash:100.01"}) as adapter:
        bank = adapter.payment_push(sample_payment("PAY-SOAP-1"))
        assert adapter.payment_push(sample_payment("PAY-SOAP-1")) == bank
        cash = adapter.payment_push(dataclasses.replace(sample_payment("PAY-SOAP-2"), method="cash"))
        assert (bank.document_id.split("/")[0], cash.document_id.split("/")[0]) == ("bankSlips", "safeDepositSlips")
        assert adapter.live_balance("120.01.001").balance == Decimal("17280") - Decimal("10000") - Decimal("10000")
    assert sim.soap.appended == [24, 29]  # doBankVoucher, doSafeDepositTrans
    assert sim.stats.count("POST", "bankSlips") == sim.stats.count("POST", "safeDepositSlips") == 0


def invoiced(sim: LogoSimulator, price: float = 1000) -> str:
    with sim.firm.lock:
        order = sim.firm.create_order(
            {"ARP_CODE": "120.01.001", "DOC_NUMBER": "B2B-INV-1",
             "TRANSACTIONS": {"items": [{"MASTER_CODE": "ÇAY-001", "QUANTITY": 1, "PRICE": price, "VAT_RATE": 20}]}}
        )  # fmt: skip
        invoice = sim.firm.invoice([sim.firm.dispatch(order)])
        return sim.firm.row("SELECT FICHENO FROM LG_001_02_INVOICE WHERE LOGICALREF = ?", (invoice,))["FICHENO"]


@pytest.mark.parametrize("transport", ["rest", "soap"])
def test_refund_is_one_credit_note_on_the_account_naming_the_invoice(sim, transport):
    number = invoiced(sim)
    memo = dataclasses.replace(sample_credit_memo("RF-77"), invoice_number=number, amount=Decimal("250.75"))
    with logo_adapter(sim, write_transport=transport, query_transport=transport) as adapter:
        before = adapter.live_balance("120.01.001").balance
        ack = adapter.credit_memo_push(memo)
        assert adapter.credit_memo_push(memo) == ack == adapter.credit_memo_lookup("RF-77")
        assert adapter.live_balance("120.01.001").balance == before - Decimal("250.75")
        (entry,) = [
            e
            for feed in adapter.read("ledger", full=True)
            for e in feed.records
            if e.document_number == ack.document_number
        ]
    assert (entry.kind, entry.amount) == ("credit_memo", Decimal("-250.75"))
    assert number in entry.description
    with sim.firm.lock:
        (slip,) = sim.firm.rows("SELECT * FROM LG_001_02_CLFICHE WHERE DOCODE = 'RF-77'")
    assert (slip["TRCODE"], slip["CREDITTOT"]) == (4, 250.75)
    assert sim.soap.appended == ([31] if transport == "soap" else [])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"invoice_number": "GIB2026999"}, "holds no invoice GIB2026999"),
        ({"amount": Decimal("99999")}, "more than invoice"),
        ({"currency": "EUR"}, "local currency only"),
        ({"amount": Decimal("0")}, "positive amount"),
    ],
)
def test_refund_logo_cannot_take_is_permanent_and_nothing_is_made(sim, adapter, change, message):
    memo = dataclasses.replace(sample_credit_memo("RF-78"), **{"invoice_number": invoiced(sim), **change})
    with pytest.raises(PermanentError, match=message):
        adapter.credit_memo_push(memo)
    assert adapter.credit_memo_lookup("RF-78") is None


def test_credit_notes_can_be_left_to_accounting(sim):
    with logo_adapter(sim, credit_memos="none") as adapter:
        assert not adapter.supports("credit_memo_push")


# -- sales representatives and line discounts on orders ---------------------------------------------------------------


@pytest.mark.parametrize("transport", ["rest", "soap"])
def test_order_names_the_dealers_sales_rep(sim, transport):
    order = dataclasses.replace(ORDER, sales_rep_code="PL-01")
    with logo_adapter(sim, write_transport=transport) as adapter:
        adapter.order_push(order)
        with pytest.raises(PermanentError, match="Satış elemanı bulunamadı: PL-09"):  # passive in Logo
            adapter.order_push(dataclasses.replace(ORDER, reference="B2B-REP-2", sales_rep_code="PL-09"))
    (slip,) = slips(sim, order.reference)
    with sim.firm.lock:
        assert slip["SALESMANREF"] == sim.firm.salesman("PL-01")["LOGICALREF"]
    assert slips(sim, "B2B-REP-2") == []


DISCOUNTED = dataclasses.replace(
    ORDER,
    reference="B2B-DISC-1",
    lines=(
        dataclasses.replace(
            ORDER.lines[0],
            unit_price=Decimal("1125.45"),
            list_price=Decimal("1250.50"),
            discount_percent=Decimal("10.00"),
        ),
        ORDER.lines[1],
    ),
)


@pytest.mark.parametrize("transport", ["rest", "soap"])
def test_discount_line_carries_list_price_and_rate(sim, transport):
    with logo_adapter(sim, write_transport=transport, line_discounts="discount_line") as adapter:
        adapter.order_push(DISCOUNTED)
    (slip,) = slips(sim, DISCOUNTED.reference)
    with sim.firm.lock:
        lines = sim.firm.order_lines(slip["LOGICALREF"])
    assert [(line["PRICE"], line["DISCPER"]) for line in lines] == [(1250.5, 10.0), (1250.5, 0.0)]
    assert lines[0]["TOTAL"] * (1 - lines[0]["DISCPER"] / 100) == pytest.approx(2 * 1125.45, abs=0.01)


def test_net_price_sends_the_discounted_price_alone(sim, adapter):
    adapter.order_push(DISCOUNTED)
    (slip,) = slips(sim, DISCOUNTED.reference)
    with sim.firm.lock:
        lines = sim.firm.order_lines(slip["LOGICALREF"])
    assert [(line["PRICE"], line["DISCPER"]) for line in lines] == [(1125.45, 0.0), (1250.5, 0.0)]


def test_simulator_refuses_a_discount_line_without_a_material_line(sim):
    with sim.firm.lock, pytest.raises(LogoBusinessError, match="malzeme satırı"):
        sim.firm.create_order({"ARP_CODE": "120.01.001", "TRANSACTIONS": {"items": [{"TYPE": 2, "DISCOUNT_RATE": 5}]}})


# -- orders in other currencies ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("transport", ["rest", "soap"])
def test_order_in_dollars_is_priced_in_dollars_and_converted_at_logos_rate(sim, transport):
    order = dataclasses.replace(
        ORDER,
        reference="B2B-USD-1",
        customer_code="120.02.001",
        currency="USD",
        lines=tuple(dataclasses.replace(line, currency="USD", unit_price=Decimal("34.25")) for line in ORDER.lines),
    )
    with logo_adapter(sim, write_transport=transport) as adapter:
        ack = adapter.order_push(order)
        (listed,) = [o for o in adapter.open_orders() if o.reference == "B2B-USD-1"]
    (slip,) = slips(sim, order.reference)
    with sim.firm.lock:
        lines = sim.firm.order_lines(slip["LOGICALREF"])
    assert (slip["TRCURR"], slip["TRRATE"], ack.document_number) == (1, 36.4512, slip["FICHENO"])
    assert [(line["PRCURR"], line["PRPRICE"], line["PRICE"]) for line in lines] == [(1, 34.25, 1248.4536)] * 2
    assert listed.currency == "USD"


def test_order_in_a_currency_logo_has_no_rate_for_is_refused(sim, adapter):
    with sim.firm.lock:
        sim.firm.advance(days=1)  # no rate keyed in for tomorrow
    order = dataclasses.replace(ORDER, reference="B2B-EUR-1", currency="EUR", ordered_on=sim.firm.now.date())
    with pytest.raises(PermanentError, match="Kur bilgisi bulunamadı: EUR"):
        adapter.order_push(order)
    with pytest.raises(PermanentError, match="No Logo currency number for CHF"):
        adapter.order_push(dataclasses.replace(order, currency="CHF"))
    assert slips(sim, "B2B-EUR-1") == []


# -- quotes as suggestion slips ---------------------------------------------------------------------------------------


def test_quote_slip_is_not_an_order_and_reserves_nothing(sim, adapter):
    quote = dataclasses.replace(sample_quote("Q2026-000050-1"), lines=ORDER.lines)
    with sim.firm.lock:
        reserved = sim.firm.rows("SELECT SUM(ACTSORDER) AS N FROM LG_001_02_GNTOTST")[0]["N"]
    ack = adapter.quote_push(quote)
    assert adapter.order_lookup(quote.reference) is None  # order reads leave the portal's quotes out
    assert quote.reference not in {o.reference for o in adapter.open_orders()}
    assert adapter.quote_lookup(quote.reference).document_id == ack.document_id
    (slip,) = slips(sim, quote.reference)
    assert (slip["STATUS"], slip["SPECODE"]) == (1, "B2B-TEKLIF")
    with sim.firm.lock:
        assert sim.firm.rows("SELECT SUM(ACTSORDER) AS N FROM LG_001_02_GNTOTST")[0]["N"] == reserved


def test_quote_valid_before_it_was_made_is_refused_and_quotes_can_stay_in_the_portal(sim, adapter):
    quote = dataclasses.replace(sample_quote(), lines=ORDER.lines, valid_until=date(2026, 2, 1))
    with pytest.raises(PermanentError, match="before it was quoted"):
        adapter.quote_push(quote)
    assert slips(sim, quote.reference) == []
    with logo_adapter(sim, quote_document="none") as bare:
        assert not bare.supports("quotes")


@pytest.mark.parametrize(
    ("transport", "path", "push", "lookup", "table"),
    [
        ("rest", "bankSlips", "payment", "payment", "BNFICHE"),
        ("soap", "LogoObjectService.svc/AppendDataObject", "payment", "payment", "BNFICHE"),
        ("rest", "ArpSlips", "credit_memo", "credit_memo", "CLFICHE"),
        ("soap", "LogoObjectService.svc/AppendDataObject", "credit_memo", "credit_memo", "CLFICHE"),
    ],
)
def test_collection_or_credit_note_answer_lost_then_found_not_made_twice(sim, transport, path, push, lookup, table):
    document = (
        sample_payment("PAY-LOST-1")
        if push == "payment"
        else dataclasses.replace(sample_credit_memo("RF-LOST-1"), invoice_number=invoiced(sim))
    )
    sim.faults.drop_response(path, method="POST")
    with logo_adapter(
        sim, write_transport=transport, payment_slips={"*": "bank:102.01.001"}, timeout_seconds=2
    ) as adapter:
        with pytest.raises(OutcomeUnknownError):
            getattr(adapter, f"{push}_push")(document)
        found = getattr(adapter, f"{lookup}_lookup")(document.reference)
        assert found is not None
        assert getattr(adapter, f"{push}_push")(document) == found
    with sim.firm.lock:
        assert len(sim.firm.rows(f"SELECT * FROM LG_001_02_{table} WHERE DOCODE = ?", (document.reference,))) == 1


# -- open orders in the balance ---------------------------------------------------------------------------------------


def test_balance_carries_what_logo_accepted_and_has_not_invoiced(sim, adapter):
    def figures() -> tuple[Decimal, Decimal]:
        (feed,) = adapter.read("balance", full=True)
        read = next(b for b in feed.records if b.customer_code == "120.01.960")
        live = adapter.live_balance("120.01.960")
        assert (live.balance, live.open_orders) == (read.balance, read.open_orders)
        return read.balance, read.open_orders

    with sim.firm.lock:
        sim.firm.add_customer("120.01.960", "Yeni Sipariş Ltd.", TAXNR="9999999990")
        ref = sim.firm.create_order(
            {"ARP_CODE": "120.01.960", "DOC_NUMBER": "B2B-OPEN-9",
             "TRANSACTIONS": {"items": [{"MASTER_CODE": "ÇAY-001", "QUANTITY": 4, "PRICE": 100, "VAT_RATE": 20,
                                         "DISCOUNT_RATE": 10}]}}
        )  # fmt: skip
        sim.firm.create_order(  # a suggestion slip and a quote: no commitment
            {"ARP_CODE": "120.01.960", "ORDER_STATUS": 1, "AUXIL_CODE": "B2B-TEKLIF",
             "TRANSACTIONS": {"items": [{"MASTER_CODE": "ÇAY-001", "QUANTITY": 50, "PRICE": 100, "VAT_RATE": 20}]}}
        )  # fmt: skip
    assert figures() == (Decimal(0), Decimal("432.00"))  # 4 × 100 − 10 % + 20 % VAT, nothing on the account yet
    with sim.firm.lock:
        dispatch = sim.firm.dispatch(ref, {1: 1})
    assert figures() == (Decimal(0), Decimal("432.00"))  # 3 to ship and 1 shipped, not invoiced
    with sim.firm.lock:
        sim.firm.invoice([dispatch])
    assert figures() == (Decimal("108.00"), Decimal("324.00"))  # the invoiced one moved onto the account
    with sim.firm.lock:
        sim.firm.close_order(ref)  # the rest will not be shipped
    assert figures() == (Decimal("108.00"), Decimal(0))
