"""Declared connection settings: parsing, the problems they name, the admin form, the system checks and the docs."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.urls import reverse
from django.utils import timezone

from erpsync import settings_docs
from erpsync.adapters import settings_for
from erpsync.adapters.base import ErpUnit
from erpsync.adapters.file import FileAdapter
from erpsync.adapters.sap_b1 import SapB1Adapter
from erpsync.adapters.sap_b1.settings import SapB1Settings
from erpsync.adapters.tryton import TrytonAdapter
from erpsync.checks import check_adapter_registry, check_connection_settings
from erpsync.common_settings import CommonSettings, adapter_settings_parse, connection_settings_problems
from erpsync.connection_settings import SettingsError
from erpsync.importers import sync_import
from erpsync.models import ErpConnection
from erpsync.settings_docs import stale_pages

SAP = {"base_url": "https://sap.example:50000/b1s/v1", "company_db": "SBODEMOTR"}


def messages(adapter_class, raw) -> list[str]:
    return [p.message for p in connection_settings_problems(adapter_class, raw) if not p.warning]


# --- parsing -----------------------------------------------------------------------------------------------


def test_good_settings_parse_to_typed_values_with_defaults(settings):
    settings.ERPSYNC_OUTBOX_MAX_ATTEMPTS = 7
    common, own = adapter_settings_parse(SapB1Adapter, {**SAP, "timeout_seconds": 12, "vat_groups": {"20.0": "S1"}})
    assert own.base_url == "https://sap.example:50000/b1s/v1/"
    assert (own.company_db, own.timeout_seconds, own.page_size, own.verify_tls) == ("SBODEMOTR", 12.0, 100, True)
    assert own.timezone == ZoneInfo("Europe/Istanbul") and own.vat_groups == {Decimal("20"): "S1"}
    assert own.payment_delta == "document_date" and own.payment_accounts == {}
    assert common.outbox_concurrency == 4  # the adapter's own default
    assert common.outbox_max_attempts == 7  # the site's
    assert common.drift_checks == ("balance", "stock", "orders")
    assert common.drift_balance_tolerance == Decimal("0.01") and common.delta_overlap_seconds == 300
    assert common.stock_shortfall is None and common.schedules == {} and common.batch_items_sellable is True


def test_numbers_given_as_text_are_read():
    common = CommonSettings.parse({"drift_balance_tolerance": "0.5", "reconcile_hour": "3"})
    assert (common.drift_balance_tolerance, common.reconcile_hour) == (Decimal("0.5"), 3)


def test_a_missing_required_setting_is_named():
    assert messages(SapB1Adapter, {"base_url": SAP["base_url"]}) == [
        "'company_db' is required: The company database Login opens."
    ]


def test_a_misspelt_key_is_refused_with_a_suggestion():
    assert messages(SapB1Adapter, {**SAP, "compnay_db": "X", "outbox_concurrenyc": 3}) == [
        "unknown setting 'compnay_db'; did you mean 'company_db'?",
        "unknown setting 'outbox_concurrenyc'; did you mean 'outbox_concurrency'?",
    ]
    assert messages(SapB1Adapter, {**SAP, "zzz": 1}) == ["unknown setting 'zzz'."]
    # Another adapter's setting is unknown here.
    assert "unknown setting 'database'." in messages(SapB1Adapter, {**SAP, "database": "tryton"})


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"verify_tls": "no"}, "'verify_tls' must be true or false, got 'no'."),
        ({"page_size": "many"}, "'page_size' must be a positive whole number, got 'many'."),
        ({"outbox_max_attempts": True}, "'outbox_max_attempts' must be a positive whole number, got True."),
        ({"drift_checks": "balance"}, "'drift_checks' must be a list of balance, stock, orders, got 'balance'."),
        ({"payment_accounts": {"card": 5}}, "'payment_accounts' must map texts to non-empty texts, got {'card': 5}."),
    ],
)
def test_a_value_of_the_wrong_type_is_refused(change, expected):
    assert messages(SapB1Adapter, {**SAP, **change}) == [expected]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"reconcile_hour": 24}, "'reconcile_hour' must be a whole number from 0 to 23, got 24."),
        ({"outbox_concurrency": 0}, "'outbox_concurrency' must be a positive whole number, got 0."),
        ({"drift_stock_tolerance": -1}, "'drift_stock_tolerance' must be a number of 0 or more, got -1."),
        ({"stock_shortfall": "ignore"}, "'stock_shortfall' must be one of warn, hold, block, backorder, got 'ignore'."),
        ({"payment_delta": "daily"}, "'payment_delta' must be one of document_date, got 'daily'."),
        ({"schedules": {"stok": 5}}, "'schedules' has unknown names 'stok' (known: unit, category, brand, "
         "warehouse, product, stock, price_list, price, agreement, customer, balance, credit, order_status, "
         "delivery, invoice, credit_memo, ledger)."),
        ({"schedules": {"stock": -5}}, "'schedules' values must be a whole number of 0 or more, got -5."),
        ({"base_url": "https://sap.example/b1s/v9"}, "'base_url' must name the server, or end with /b1s/v1/ or "
         "/b1s/v2/, got 'https://sap.example/b1s/v9/'."),
    ],
)  # fmt: skip
def test_a_value_out_of_range_or_choice_is_refused(change, expected):
    assert messages(SapB1Adapter, {**SAP, **change}) == [expected]


def test_every_problem_is_named_at_once_and_the_adapter_refuses_them():
    bad = {**SAP, "page_size": 0, "timezone": "Mars/Olympus", "drift_live_balance": "yes"}
    with pytest.raises(SettingsError) as caught:
        SapB1Adapter(settings=bad, credentials={"username": "u", "password": "p"})
    assert [p.key for p in caught.value.problems] == ["page_size", "timezone", "drift_live_balance"]
    assert "SAP B1 adapter: 'page_size' must be a positive whole number, got 0." in str(caught.value)
    assert "Connection settings: 'drift_live_balance' must be true or false, got 'yes'." in str(caught.value)


def test_a_setting_between_two_keys_is_checked_once_each_is_valid():
    assert messages(
        TrytonAdapter, {"base_url": "https://erp.example/", "database": "t", "payment_journal": "CASH"}
    ) == ["payments need both 'payment_journal' and 'payment_account'."]


def test_a_bad_common_setting_fails_only_where_it_is_read(db, memory_erp):
    memory_erp.connection.settings = {"drift_balance_tolerance": "a lot"}
    options = settings_for(memory_erp.connection)
    assert options.outbox_max_attempts > 0  # the outbox goes on
    with pytest.raises(ImproperlyConfigured, match="'drift_balance_tolerance' must be a number of 0 or more"):
        options.drift_balance_tolerance  # noqa: B018


def test_the_file_adapter_names_its_nested_problems(tmp_path):
    problems = messages(FileAdapter, {"root": str(tmp_path), "entities": {"product": {"delimiter": ";;"}}})
    assert problems == ["entities.product.delimiter must be one punctuation character or 'tab', got ';;'."]


# --- the delta overlap -------------------------------------------------------------------------------------


def test_the_old_delta_buffer_key_is_a_deprecated_alias():
    problems = connection_settings_problems(SapB1Adapter, {**SAP, "delta_buffer_seconds": 90})
    assert [(p.key, p.warning, p.message) for p in problems] == [
        ("delta_buffer_seconds", True, "'delta_buffer_seconds' is deprecated; call it 'delta_overlap_seconds'.")
    ]
    assert CommonSettings.parse({"delta_buffer_seconds": 90}).delta_overlap_seconds == 90
    both = CommonSettings.read({"delta_buffer_seconds": 90, "delta_overlap_seconds": 30})
    assert both[0].delta_overlap_seconds == 30 and both[1][0].warning


def test_the_engine_reads_back_the_one_overlap_whichever_key_names_it(db, memory_erp, settings):
    settings.ERPSYNC_ADAPTERS = {**settings.ERPSYNC_ADAPTERS, "memory_delta": "erpsync.tests.memory.DeltaMemoryAdapter"}
    connection = memory_erp.connection
    connection.adapter = "memory_delta"
    connection.settings = {"delta_buffer_seconds": 45}
    connection.save()
    mark = timezone.now() - timedelta(hours=2)
    memory_erp.publish("unit", [ErpUnit("AD", "Adet")], complete=False, watermark=mark)
    sync_import(connection=connection, entity="unit")
    memory_erp.publish("unit", [ErpUnit("AD", "Adet 2")], complete=False, watermark=mark + timedelta(hours=1))
    sync_import(connection=connection, entity="unit")
    assert memory_erp.reads[-1][1] == mark - timedelta(seconds=45)
    connection.settings = {"delta_overlap_seconds": 10}
    connection.save()
    memory_erp.publish("unit", [ErpUnit("AD", "Adet 3")], complete=False, watermark=mark + timedelta(hours=2))
    sync_import(connection=connection, entity="unit")
    assert memory_erp.reads[-1][1] == mark + timedelta(hours=1) - timedelta(seconds=10)


# --- the admin ---------------------------------------------------------------------------------------------


def form_data(**changes) -> dict:
    data = {"code": "sap", "name": "SAP", "adapter": "sap_b1", "settings": "{}", "credentials_ref": "SAP",
            "is_active": "on"}  # fmt: skip
    return {**data, **changes}


def test_the_admin_form_shows_each_problem_and_saves_nothing(staff_client):
    settings_json = '{"base_url": "https://sap.example/b1s/v1/", "compnay_db": "X", "page_size": 0}'
    response = staff_client.post(reverse("admin:erpsync_erpconnection_add"), form_data(settings=settings_json))
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors["settings"]
    assert "SAP B1 adapter: 'company_db' is required: The company database Login opens." in errors
    assert "SAP B1 adapter: 'page_size' must be a positive whole number, got 0." in errors
    assert "unknown setting 'compnay_db'; did you mean 'company_db'?" in errors
    assert "did you mean" in response.content.decode()
    assert not ErpConnection.objects.exists()


def test_the_admin_form_refuses_an_unknown_adapter(staff_client):
    response = staff_client.post(reverse("admin:erpsync_erpconnection_add"), form_data(adapter="sap"))
    assert "No adapter sap" in response.context["adminform"].form.errors["adapter"][0]
    assert not ErpConnection.objects.exists()


def test_the_admin_form_saves_good_settings_and_warns_of_a_deprecated_key(staff_client):
    settings_json = '{"base_url": "https://sap.example/b1s/v1/", "company_db": "X", "delta_buffer_seconds": 60}'
    response = staff_client.post(
        reverse("admin:erpsync_erpconnection_add"), form_data(settings=settings_json), follow=True
    )
    assert response.status_code == 200
    connection = ErpConnection.objects.get(code="sap")
    assert connection.settings["company_db"] == "X"
    assert any("deprecated" in str(m) for m in response.context["messages"])


# --- system checks -----------------------------------------------------------------------------------------


def test_the_check_reports_a_bad_active_connection_and_ignores_an_inactive_one(db):
    ErpConnection.objects.create(code="bad", name="Bad", adapter="sap_b1", settings={**SAP, "page_siz": 5})
    ErpConnection.objects.create(code="off", name="Off", adapter="sap_b1", settings={"nonsense": 1}, is_active=False)
    ErpConnection.objects.create(code="old", name="Old", adapter="sap_b1", settings={**SAP, "delta_buffer_seconds": 1})
    ErpConnection.objects.create(code="gone", name="Gone", adapter="navision")
    found = [(m.id, m.msg) for m in check_connection_settings()]
    assert found == [
        ("erpsync.E004", "Connection 'bad': unknown setting 'page_siz'; did you mean 'page_size'?"),
        ("erpsync.E003", "Connection 'gone' uses adapter 'navision', which ERPSYNC_ADAPTERS does not list "
         "(or cannot import)."),
        ("erpsync.W001", "Connection 'old': Connection settings: 'delta_buffer_seconds' is deprecated; call it "
         "'delta_overlap_seconds'."),
    ]  # fmt: skip


def test_the_check_is_quiet_for_good_connections(db):
    ErpConnection.objects.create(code="sap", name="SAP", adapter="sap_b1", settings=SAP)
    assert check_connection_settings() == []


def test_the_registry_check_refuses_a_bad_dotted_path(settings):
    assert check_adapter_registry() == []
    settings.ERPSYNC_ADAPTERS = {
        **settings.ERPSYNC_ADAPTERS,
        "nope": "erpsync.adapters.nowhere.Adapter",
        "model": "erpsync.models.ErpConnection",
    }
    found = {m.id: m.msg for m in check_adapter_registry()}
    assert set(found) == {"erpsync.E001", "erpsync.E002"}
    assert "'nope'" in found["erpsync.E001"] and "cannot be imported" in found["erpsync.E001"]
    assert "'model'" in found["erpsync.E002"] and "not an ErpAdapter" in found["erpsync.E002"]


def test_the_checks_are_registered():
    registered = {c.__name__ for c in checks.registry.registry.get_checks()}
    assert {"check_adapter_registry", "check_connection_settings", "check_payment_gateways"} <= registered


# --- docs --------------------------------------------------------------------------------------------------


def test_the_docs_tables_match_the_declarations():
    stale = stale_pages()
    assert not stale, f"Out of date: {', '.join(p.name for p in stale)}; run manage.py erpsync settings-doc --write"


def test_a_changed_declaration_makes_the_docs_stale(monkeypatch, tmp_path):
    for page in {page for _cls, page in settings_docs.TABLES.values()}:
        (tmp_path / page).write_text((settings_docs.DOCS / page).read_text(encoding="utf-8"), encoding="utf-8")
    assert stale_pages(docs=tmp_path) == []
    monkeypatch.setattr(SapB1Settings.declared["page_size"], "help", "Something else.")
    assert [p.name for p in stale_pages(docs=tmp_path)] == ["sap-b1.md"]
    stale_pages(docs=tmp_path, write=True)
    assert stale_pages(docs=tmp_path) == []
