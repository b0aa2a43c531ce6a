"""The profile adapters beyond the contract: the profile refused at save naming the column, "test this read", the
shipped examples, Nebim's session modes and each fault switch of its simulator (no order twice), and the ETA order
written into SIPFIS/SIPHAR in one transaction."""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

pytest.register_assert_rewrite("erpsync.tests.contract")

from demo.tests.site import postgres_database, postgres_database_drop, scratch_database_name  # noqa: E402
from erpsync.adapters.base import (  # noqa: E402
    Capability,
    ErpAck,
    FeedError,
    OutcomeUnknownError,
    PermanentError,
    RetryableError,
)
from erpsync.adapters.profile import EtaAdapter  # noqa: E402
from erpsync.adapters.profile.settings import profile_problems  # noqa: E402
from erpsync.forms import ErpConnectionForm  # noqa: E402
from erpsync.models import ErpConnection  # noqa: E402
from erpsync.simulators.nebim import NebimSimulator, demo_company  # noqa: E402
from erpsync.simulators.nebim.server import Refused  # noqa: E402
from erpsync.tests.contract import sample_new_customer, sample_order, sample_payment  # noqa: E402
from erpsync.tests.eta_side import SQL_ORDER_WRITE, EtaDatabase, EtaErpSide, eta_profile  # noqa: E402
from erpsync.tests.nebim_side import EXAMPLES, NebimErpSide, nebim_adapter, nebim_profile  # noqa: E402

# -- the profile, checked at save ---------------------------------------------------------------------------------


def connection_form(adapter: str, settings: dict) -> ErpConnectionForm:
    return ErpConnectionForm(
        data={
            "code": adapter,
            "name": adapter,
            "adapter": adapter,
            "settings": json.dumps(settings),
            "credentials_ref": adapter.upper(),
            "is_active": True,
        },
    )


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["nebim", "eta"])
def test_shipped_example_profiles_validate(name):
    profile = json.loads((EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    assert profile_problems(profile) == []
    settings = {
        "profile": profile,
        **({"base_url": "http://v3:801/"} if name == "nebim" else {"outbound_folder": "/x"}),
    }
    form = connection_form(name, settings)
    assert form.is_valid(), form.errors


@pytest.mark.django_db
def test_sql_read_with_a_misnamed_column_is_refused_at_save_naming_it():
    profile = eta_profile()
    profile["reads"]["product"]["sql"] = profile["reads"]["product"]["sql"].replace("AS unit,", "AS birim,")
    form = connection_form("eta", {"profile": profile, "outbound_folder": "/x"})
    assert not form.is_valid()
    text = " ".join(form.errors["settings"])
    assert "read 'product' missing the column 'unit'" in text
    assert "'birim'" in text


@pytest.mark.django_db
def test_sql_read_that_writes_is_refused_at_save():
    profile = eta_profile()
    profile["reads"]["balance"]["sql"] = "DELETE FROM CARKART"
    form = connection_form("eta", {"profile": profile, "outbound_folder": "/x"})
    assert not form.is_valid()
    assert "read 'balance'" in " ".join(form.errors["settings"])


@pytest.mark.django_db
def test_nebim_read_missing_a_column_is_refused_at_save_naming_it():
    profile = nebim_profile()
    del profile["reads"]["stock"]["columns"]["on_hand"]
    profile["reads"]["customer"]["columns"]["titel"] = profile["reads"]["customer"]["columns"].pop("title")
    form = connection_form("nebim", {"profile": profile, "base_url": "http://v3:801/"})
    assert not form.is_valid()
    text = " ".join(form.errors["settings"])
    assert "read 'stock' missing the column 'on_hand'" in text
    assert "'titel', which the contract does not know (did you mean 'title'?)" in text


def test_nebim_order_write_without_a_lookup_read_is_refused():
    profile = nebim_profile()
    del profile["reads"]["order_lookup"]
    assert "write 'order' needs the read 'order_lookup'" in " ".join(profile_problems(profile))


def test_nebim_write_with_a_wrong_model_type_is_refused():
    profile = nebim_profile()
    profile["writes"]["order"]["model_type"] = 6
    assert "'model_type' must be 5, got 6" in " ".join(profile_problems(profile))


# -- Nebim: transport and "test this read" ------------------------------------------------------------------------


@pytest.fixture(params=["token", "session"])
def sim(request):
    with NebimSimulator(mode=request.param) as simulator:
        yield simulator


@pytest.fixture
def side(sim):
    return NebimErpSide(sim)


def test_test_this_read_shows_first_rows_and_the_column_check(side):
    side.company.views["usp_B2B_Customers"] = [{"CurrAccCode": "120.01.001", "CurrAccDescription": "Öztürk"}] * 7
    with side.make_adapter() as adapter:
        result = adapter.test_read("customer")
    assert len(result.rows) == 5
    assert result.rows[0]["title"] == "Öztürk"
    assert "missing the column 'tax_number'" in " ".join(result.problems)


def test_test_this_read_of_an_unregistered_procedure_says_why(side):
    with side.make_adapter() as adapter:
        result = adapter.test_read("stock")
    assert result.rows == []
    assert "usp_B2B_Inventory" in " ".join(result.problems)


def test_read_whose_answer_lacks_a_required_column_is_refused_naming_it(side):
    side.company.views["usp_B2B_Balances"] = [{"CurrAccCode": "120.01.001", "Bakiye": 10}]
    with side.make_adapter() as adapter, pytest.raises(PermanentError, match="'balance'"):
        list(adapter.read("balance", full=True))


def test_wrong_password_is_refused_in_both_modes(sim):
    """In session mode Connect says yes to any password: GetUserInfo is what refuses it."""
    adapter = nebim_adapter(sim)
    adapter.client.login["Password"] = "yanlış"
    check = adapter.test_connection()
    assert not check.ok
    assert "refused" in check.message
    adapter.close()


def test_right_password_connects_and_disconnect_ends_the_session(sim):
    adapter = nebim_adapter(sim)
    assert adapter.test_connection().ok
    assert len(sim.sessions) == 1
    adapter.close()
    assert sim.sessions == {}


def test_token_in_the_path_is_taken(side):
    side.settings["token_placement"] = "path"
    with side.make_adapter() as adapter:
        ack = adapter.order_push(sample_order())
    assert ack.document_id.startswith("1-WS-2-")


def test_reference_in_description_when_so_set(side):
    side.settings["reference_field"] = "Description"
    profile = nebim_profile()
    profile["reads"]["order_lookup"]["columns"]["reference"] = "Description"
    with side.make_adapter() as adapter:
        adapter.profile = profile
        adapter.reads = profile["reads"]
        first = adapter.order_push(sample_order())
        again = adapter.order_push(sample_order())
    assert first == again
    assert [o["Description"] for o in side.company.orders] == ["B2B-2026-000123"]


def test_refused_order_carries_nebims_message(side):
    order = sample_order()
    bad = dataclasses.replace(order, lines=(dataclasses.replace(order.lines[0], product_code="YOK-1"),))
    with side.make_adapter() as adapter, pytest.raises(PermanentError, match="Ürün bulunamadı: YOK-1"):
        adapter.order_push(bad)
    assert side.company.orders == []


# -- Nebim: one test per fault switch, never an order twice -----------------------------------------------------


def test_latency_on_reads_beyond_the_timeout_is_retryable_and_nothing_is_sent(side):
    side.settings["timeout_seconds"] = 0.3
    with side.make_adapter() as adapter:
        adapter.client.connect()
        side.sim.faults.latency = 0.5
        with pytest.raises(RetryableError) as caught:
            adapter.order_push(sample_order())  # the look-up before the create is what timed out
        assert not isinstance(caught.value, OutcomeUnknownError)
    assert side.received("orders") == []


def test_latency_on_the_post_is_outcome_unknown_and_the_retry_finds_it(side):
    side.settings["timeout_seconds"] = 0.3
    with side.make_adapter() as adapter:
        side.sim.faults.latency, side.sim.faults.commands = 0.5, {"Post"}
        with pytest.raises(OutcomeUnknownError):
            adapter.order_push(sample_order())
        side.sim.faults.latency = 0
        again = adapter.order_push(sample_order())
    assert again.document_id.startswith("1-WS-2-")
    assert side.received("orders") == ["B2B-2026-000123"]


def test_5xx_on_a_read_is_retryable_and_the_order_goes_once(side):
    with side.make_adapter() as adapter:
        adapter.client.connect()
        side.sim.faults.error_5xx = 1
        with pytest.raises(RetryableError) as caught:
            adapter.order_push(sample_order())  # the look-up failed: nothing sent
        assert not isinstance(caught.value, OutcomeUnknownError)
        adapter.order_push(sample_order())
    assert side.received("orders") == ["B2B-2026-000123"]


def test_5xx_on_the_post_is_outcome_unknown_and_not_sent_twice(side):
    with side.make_adapter() as adapter:
        side.sim.faults.error_5xx, side.sim.faults.commands = 1, {"Post"}
        with pytest.raises(OutcomeUnknownError):
            adapter.order_push(sample_order())
        assert side.received("orders") == []
        first = adapter.order_push(sample_order())
        again = adapter.order_push(sample_order())
    assert first == again
    assert side.received("orders") == ["B2B-2026-000123"]


def test_session_expiry_reconnects_once_and_goes_on(side):
    with side.make_adapter() as adapter:
        adapter.order_lookup("B2B-X")
        side.sim.expire_sessions()
        ack = adapter.order_push(sample_order())
    assert ack.document_id
    assert side.received("orders") == ["B2B-2026-000123"]


def test_connection_reset_on_the_post_is_outcome_unknown_and_nothing_was_saved(side):
    with side.make_adapter() as adapter:
        side.sim.faults.reset, side.sim.faults.commands = 1, {"Post"}
        with pytest.raises(OutcomeUnknownError):
            adapter.order_push(sample_order())
        assert side.received("orders") == []
        adapter.order_push(sample_order())
        adapter.order_push(sample_order())
    assert side.received("orders") == ["B2B-2026-000123"]


def test_apply_then_drop_is_outcome_unknown_and_the_lookup_finds_it(side):
    with side.make_adapter() as adapter:
        side.sim.faults.apply_then_drop = 1
        with pytest.raises(OutcomeUnknownError):
            adapter.order_push(sample_order())
        found = adapter.order_lookup("B2B-2026-000123")
        again = adapter.order_push(sample_order())
    assert found is not None and again.document_id == found.document_id
    assert side.received("orders") == ["B2B-2026-000123"]


def test_collection_apply_then_drop_is_not_posted_twice(side):
    with side.make_adapter() as adapter:
        side.sim.faults.apply_then_drop = 1
        with pytest.raises(OutcomeUnknownError):
            adapter.payment_push(sample_payment())
        ack = adapter.payment_push(sample_payment())
    assert ack.document_id.startswith("TAH-")
    assert side.received("payments") == ["PAY-2026-0001"]
    assert side.company.collections[0]["ModelType"] == 98
    assert side.company.collections[0]["Lines"][0]["Amount"] == Decimal("5000")


# -- ETA: the order into SIPFIS/SIPHAR --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def eta_db():
    url = f"postgres://postgres@127.0.0.1:5432/{scratch_database_name('profile_eta_writes')}"
    postgres_database(url)
    db = EtaDatabase(url)
    db.create()
    yield db
    postgres_database_drop(url)


def test_eta_order_into_tables_is_numbered_from_harrefno(eta_db, tmp_path):
    side = EtaErpSide(eta_db, tmp_path, order=SQL_ORDER_WRITE)
    with side.make_adapter() as adapter:
        ack = adapter.order_push(sample_order())
    assert ack.document_number == "501"
    assert eta_db.query("SELECT HARREFDEGER FROM HARREFNO WHERE HARREFMODUL = 17") == [(501,)]
    lines = eta_db.query("SELECT SIPHARSTKKOD, SIPHARMIKTAR FROM SIPHAR WHERE SIPHARREFNO = 501 ORDER BY 1, 2")
    assert lines == [("ÇAY-001", Decimal("1.5000")), ("ÇAY-001", Decimal("12.0000"))]


def test_eta_order_failing_half_way_leaves_nothing_behind(eta_db, tmp_path):
    broken = {**SQL_ORDER_WRITE, "line": SQL_ORDER_WRITE["line"].replace(":product", "NULL")}
    side = EtaErpSide(eta_db, tmp_path, order=broken)
    with side.make_adapter() as adapter, pytest.raises(RetryableError):
        adapter.order_push(sample_order())
    assert eta_db.query("SELECT COUNT(*) FROM SIPFIS") == [(0,)]
    assert eta_db.query("SELECT HARREFDEGER FROM HARREFNO WHERE HARREFMODUL = 17") == [(500,)]


def test_eta_order_file_is_windows_turkish_with_decimal_commas(eta_db, tmp_path):
    side = EtaErpSide(eta_db, tmp_path)
    with side.make_adapter() as adapter:
        adapter.order_push(sample_order())
    text = (tmp_path / "B2B-2026-000123.txt").read_bytes().decode("cp1254")
    assert text.splitlines()[0] == "FIS;B2B-2026-000123;20260301;120.01.001;PO-77;Kapıda teslim"
    assert text.splitlines()[1].startswith("HAR;1;ÇAY-001;KOLI;12;1250,50;20;0;Çaykur")


# -- the admin's "Test the profile's reads" -------------------------------------------------------------------------


@pytest.mark.django_db
def test_admin_action_shows_each_reads_columns_first_row_and_problems(admin_client, sim, side, monkeypatch, tmp_path):
    monkeypatch.setenv("NEBIMADMIN_USERNAME", sim.username)
    monkeypatch.setenv("NEBIMADMIN_PASSWORD", sim.password)
    profile = nebim_profile()
    profile["reads"] = {k: profile["reads"][k] for k in ("unit", "stock", "order_lookup")}
    del profile["writes"]["payment"], profile["writes"]["customer"]
    side.company.views["B2B_Units"] = [{"UnitOfMeasureCode": "AD", "UnitOfMeasureDescription": "Adet"}]
    connection = ErpConnection.objects.create(
        code="nebim",
        name="Nebim",
        adapter="nebim",
        credentials_ref="NEBIMADMIN",
        settings={
            "profile": profile,
            "base_url": sim.root_url,
            "session_mode": sim.mode,
            "database_name": sim.company.database,
        },
    )
    other = ErpConnection.objects.create(code="dosya", name="Dosya", adapter="file", settings={"root": str(tmp_path)})

    response = admin_client.post(
        reverse("admin:erpsync_erpconnection_changelist"),
        {"action": "test_profile_reads", "_selected_action": [connection.pk, other.pk]},
    )

    texts = [(m.level_tag, m.message) for m in get_messages(response.wsgi_request)]
    assert (
        "success",
        "nebim · unit: code, name · {'code': 'AD', 'name': 'Adet', 'name_en': None, 'decimals': None}",
    ) in texts
    assert any(level == "error" and "stock" in text and "usp_B2B_Inventory" in text for level, text in texts)
    assert any("dosya" in text for _level, text in texts)


def test_demo_company_of_the_simulator_command_reads_through_the_shipped_profile():
    with NebimSimulator(company=demo_company()) as demo, nebim_adapter(demo) as adapter:
        products = {p.code: p for feed in adapter.read("product", full=True) for p in feed.records}
        stock = [s for feed in adapter.read("stock", full=True) for s in feed.records]
        prices = [p for feed in adapter.read("price", full=True) for p in feed.records]
        assert adapter.test_read("warehouse").problems == []
    assert products["ÇAY-001"].active is False and products["ÇAY-001"].barcode == ""
    assert {(s.product_code, s.on_hand) for s in stock} == {("KML-001", 42), ("ÇAY-001", -1)}
    assert {(p.price_list_code, p.price, p.currency) for p in prices} == {
        ("TOPTAN", Decimal("1499.9"), ""),
        ("IHR", Decimal("52.5"), "EUR"),
    }


def test_a_value_that_cannot_be_read_refuses_the_feed_naming_row_and_column(side):
    side.company.views["usp_B2B_Balances"] = [
        {"CurrAccCode": "120.01.001", "Balance": 10},
        {"CurrAccCode": "120.01.002", "Balance": "on bin"},
    ]
    with side.make_adapter() as adapter, pytest.raises(FeedError, match=r"row 2: .*'balance' holds 'on bin'"):
        list(adapter.read("balance", full=True))


def test_a_null_in_a_required_column_refuses_the_feed(side):
    side.company.views["usp_B2B_Customers"] = [
        {"CurrAccCode": "120.01.001", "CurrAccDescription": None, "TaxNumber": "1"}
    ]
    with side.make_adapter() as adapter, pytest.raises(FeedError, match="required column 'title' is empty"):
        list(adapter.read("customer", full=True))


def test_test_this_read_without_a_database_url_says_so(tmp_path):
    adapter = EtaAdapter(settings={"profile": eta_profile(), "outbound_folder": str(tmp_path)}, credentials={})
    (result,) = [test for test in adapter.test_reads() if test.read == "balance"]
    assert "no database URL" in " ".join(result.problems)


# -- Nebim: new dealers as customers (ModelType 2) -----------------------------------------------------------------


@pytest.mark.django_db
def test_nebim_customer_write_without_a_lookup_read_is_refused_at_save():
    profile = nebim_profile()
    del profile["reads"]["customer_lookup"]
    form = connection_form("nebim", {"profile": profile, "base_url": "http://v3:801/"})
    assert not form.is_valid()
    assert "write 'customer' needs the read 'customer_lookup'" in " ".join(form.errors["settings"])


def test_nebim_profile_without_a_customer_write_declares_no_customer_push(sim):
    profile = nebim_profile()
    del profile["writes"]["customer"]
    with nebim_adapter(sim, profile) as without, nebim_adapter(sim) as shipped:
        assert not without.supports(Capability.CUSTOMER_PUSH)
        assert shipped.supports(Capability.CUSTOMER_PUSH)


def test_new_customer_is_posted_as_nebims_wholesale_customer(side):
    with side.make_adapter() as adapter:
        ack = adapter.customer_push(sample_new_customer())
    assert ack == ErpAck("dealer:900", "120.01.900")
    saved = side.company.accounts["120.01.900"]
    assert saved["ModelType"] == 2
    assert saved["CurrAccDescription"] == "Şahin Yapı Malzemeleri İnş. San. ve Tic. Ltd. Şti."
    assert (saved["TaxNumber"], saved["IdentityNum"], saved["OfficeCode"]) == ("12345678950", "12345678950", "M")
    assert "TaxOfficeCode" not in saved  # a name, not one of V3's tax office codes
    assert saved["PostalAddresses"] == [
        {
            "AddressTypeCode": "2",
            "CountryCode": "TR",
            "Address": "Gazi Mustafa Kemal Blv. No:12/3, 06570 Çankaya Ankara",
        }
    ]
    assert saved["Communications"] == [
        {"CommunicationTypeCode": 3, "CommAddress": "muhasebe@sahinyapi.example"},
        {"CommunicationTypeCode": 1, "CommAddress": "+90 312 000 00 00"},
    ]


def test_customer_keyed_in_v3_is_found_not_posted_over(side):
    with side.make_adapter() as adapter:
        ack = adapter.customer_push(dataclasses.replace(sample_new_customer(), code="120.01.002"))
    assert ack.document_id == "120.01.002"
    assert side.company.accounts == {} and side.received("customers") == []


def test_customer_answer_lost_makes_one_customer_and_posts_once(side):
    posts = []
    with side.make_adapter() as adapter:
        send = adapter.client.post
        adapter.client.post = lambda model: posts.append(model["CurrAccCode"]) or send(model)
        side.sim.faults.apply_then_drop = 1
        with pytest.raises(OutcomeUnknownError):
            adapter.customer_push(sample_new_customer())
        again = adapter.customer_push(sample_new_customer())
    assert again.document_id == "120.01.900"
    assert posts == ["120.01.900"]  # the retry found it: no second Post, no update over it
    assert side.received("customers") == ["120.01.900"]


def test_customer_without_a_name_is_refused_for_good_with_nebims_text(side):
    nameless = dataclasses.replace(sample_new_customer(), title="  ")
    with side.make_adapter() as adapter, pytest.raises(PermanentError, match="CurrAccDescription alanı zorunludur"):
        adapter.customer_push(nameless)
    assert side.received("customers") == []


def test_customer_code_too_long_for_nebim_is_refused_before_anything_is_sent(side):
    with side.make_adapter() as adapter, pytest.raises(PermanentError, match="CurrAccCode"):
        adapter.customer_push(dataclasses.replace(sample_new_customer(), code="120." + "9" * 30))
    assert side.received("customers") == []


def test_simulator_updates_a_customer_posted_again_and_refuses_a_nameless_one():
    """As Nebim's document says: a customer posted under a code V3 holds is updated, not created again."""
    company = demo_company()
    company.post({"ModelType": 2, "CurrAccCode": "120.05", "CurrAccDescription": "Ilgaz Ltd.", "OfficeCode": "M"})
    company.post({"ModelType": 2, "CurrAccCode": "120.05", "CurrAccDescription": "Ilgaz A.Ş.", "OfficeCode": "M"})
    assert company.created_customers == ["120.05"]
    assert company.accounts["120.05"]["CurrAccDescription"] == "Ilgaz A.Ş."
    with pytest.raises(Refused, match="CurrAccDescription alanı zorunludur"):
        company.post({"ModelType": 2, "CurrAccCode": "120.06", "CurrAccDescription": "", "OfficeCode": "M"})
    assert "120.06" not in company.customers
