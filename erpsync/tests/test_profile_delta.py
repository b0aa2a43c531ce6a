"""Changes-only reads through a profile: a read binding ``:since`` (Nebim's procedures' ``Date`` parameter, a
query's ``delta_criteria``) gets the watermark less the connection's overlap, in the ERP server's time zone; the
simulator returns the rows stamped (``LastUpdatedDate``) at or after it; a full read still deactivates what is
gone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

pytest.register_assert_rewrite("erpsync.tests.contract")

from catalog.models import Product  # noqa: E402
from demo.tests.site import postgres_database, postgres_database_drop, scratch_database_name  # noqa: E402
from erpsync.adapters.base import Capability, ErpUnit  # noqa: E402
from erpsync.adapters.profile import EtaAdapter  # noqa: E402
from erpsync.adapters.profile.settings import profile_problems  # noqa: E402
from erpsync.importers import sync_import  # noqa: E402
from erpsync.models import ErpConnection, SyncCursor, SyncRun, ValueMap  # noqa: E402
from erpsync.simulators.nebim import NebimSimulator  # noqa: E402
from erpsync.simulators.nebim.server import NebimCompany, Refused  # noqa: E402
from erpsync.tests.eta_side import EtaDatabase, eta_profile  # noqa: E402
from erpsync.tests.nebim_side import NebimErpSide, nebim_adapter, nebim_profile  # noqa: E402

ISTANBUL = ZoneInfo("Europe/Istanbul")
PRODUCTS = "usp_B2B_Products"


def product_row(code: str, name: str, stamp: str | None) -> dict:
    row = {"ItemCode": code, "ItemDescription": name, "UnitOfMeasureCode1": "AD", "VatRate": 20, "IsActive": True}
    if stamp is not None:
        row["LastUpdatedDate"] = stamp
    return row


def codes(feeds) -> list[str]:
    return sorted(p.code for feed in feeds for p in feed.records)


def local(moment: datetime) -> str:
    """``moment`` as V3 stamps it: the server's wall time."""
    return moment.astimezone(ISTANBUL).replace(tzinfo=None).isoformat(timespec="seconds")


@pytest.fixture(params=["token", "session"])
def sim(request):
    with NebimSimulator(mode=request.param) as simulator:
        yield simulator


# -- the adapter ---------------------------------------------------------------------------------------------------


def test_delta_read_sends_since_in_the_servers_zone_and_returns_only_changed_rows(sim):
    sim.company.views[PRODUCTS] = [
        product_row("OLD-1", "Eski", "2026-12-01T10:00:00"),
        product_row("NEW-1", "Yeni", "2026-12-08T10:00:00"),
    ]
    since = datetime(2026, 12, 8, 6, 0, tzinfo=UTC)  # 09:00 in Istanbul
    with nebim_adapter(sim) as adapter:
        assert adapter.supports(Capability.DELTA)
        before = datetime.now(UTC)
        (feed,) = adapter.read("product", since=since)
        records = list(feed.records)
    assert [p.code for p in records] == ["NEW-1"]
    assert feed.complete is False
    assert feed.watermark is not None and feed.watermark >= before
    assert sim.company.proc_calls[-1] == (PRODUCTS, {"Date": "2026-12-08 09:00:00"})


def test_full_read_sends_no_date_and_is_a_complete_snapshot(sim):
    sim.company.views[PRODUCTS] = [
        product_row("OLD-1", "Eski", "2026-12-01T10:00:00"),
        product_row("NEW-1", "Yeni", "2026-12-08T10:00:00"),
    ]
    with nebim_adapter(sim) as adapter:
        feeds = list(adapter.read("product", since=datetime(2026, 12, 8, tzinfo=UTC), full=True))
    assert codes(feeds) == ["NEW-1", "OLD-1"]
    assert [f.complete for f in feeds] == [True]
    assert sim.company.proc_calls[-1] == (PRODUCTS, {"Date": ""})


def test_row_stamped_exactly_at_since_is_read(sim):
    sim.company.views[PRODUCTS] = [
        product_row("EDGE-1", "Sınırda", "2026-12-08T09:00:00"),
        product_row("OLD-1", "Eski", "2026-12-08T08:59:59"),
    ]
    with nebim_adapter(sim) as adapter:
        feeds = list(adapter.read("product", since=datetime(2026, 12, 8, 6, 0, tzinfo=UTC)))
    assert codes(feeds) == ["EDGE-1"]


def test_timezone_setting_moves_the_date_sent(sim):
    sim.company.views[PRODUCTS] = [product_row("NEW-1", "Yeni", "2026-12-08T06:30:00")]
    with nebim_adapter(sim, timezone="UTC") as adapter:
        feeds = list(adapter.read("product", since=datetime(2026, 12, 8, 6, 0, tzinfo=UTC)))
    assert codes(feeds) == ["NEW-1"]
    assert sim.company.proc_calls[-1][1] == {"Date": "2026-12-08 06:00:00"}


def test_read_that_binds_no_since_is_read_in_full_even_in_a_delta(sim):
    profile = nebim_profile()
    profile["reads"]["product"]["parameters"] = {}
    sim.company.views[PRODUCTS] = [product_row("OLD-1", "Eski", "2026-12-01T10:00:00")]
    with nebim_adapter(sim, profile=profile) as adapter:
        assert "product" not in adapter.delta_reads
        assert adapter.supports(Capability.DELTA)  # the other reads still take it
        feeds = list(adapter.read("product", since=datetime(2026, 12, 8, tzinfo=UTC)))
    assert codes(feeds) == ["OLD-1"]
    assert [f.complete for f in feeds] == [True]


def test_profile_binding_no_since_declares_no_delta(sim):
    profile = nebim_profile()
    for spec in profile["reads"].values():
        spec.get("parameters", {}).pop("Date", None)
    with nebim_adapter(sim, profile=profile) as adapter:
        assert adapter.delta_reads == frozenset()
        assert not adapter.supports(Capability.DELTA)


def test_query_delta_criteria_is_added_on_a_delta_only(sim):
    profile = nebim_profile()
    profile["reads"]["warehouse"]["delta_criteria"] = "LastUpdatedDate >= :since"
    profile["reads"]["warehouse"]["criteria"] = "IsBlocked = 'False'"
    sim.company.views["B2B_Warehouses"] = [
        {"WarehouseCode": "M", "WarehouseDescription": "Merkez", "IsBlocked": False, "LastUpdatedDate": "20261201"},
        {"WarehouseCode": "D", "WarehouseDescription": "Dış", "IsBlocked": False, "LastUpdatedDate": "08.12.2026"},
        {"WarehouseCode": "X", "WarehouseDescription": "Kapalı", "IsBlocked": True, "LastUpdatedDate": "08.12.2026"},
    ]
    with nebim_adapter(sim, profile=profile) as adapter:
        assert "warehouse" in adapter.delta_reads
        delta = list(adapter.read("warehouse", since=datetime(2026, 12, 7, 12, 0, tzinfo=UTC)))
        full = list(adapter.read("warehouse", full=True))
    assert codes(delta) == ["D"] and delta[0].complete is False
    assert codes(full) == ["D", "M"] and full[0].complete is True


# -- the profile, checked ------------------------------------------------------------------------------------------


def test_delta_criteria_without_since_is_refused_naming_the_read():
    profile = nebim_profile()
    profile["reads"]["unit"]["delta_criteria"] = "LastUpdatedDate >= '2026-01-01'"
    assert "read 'unit': 'delta_criteria' must be a criteria text naming :since" in " ".join(profile_problems(profile))


def test_delta_criteria_on_a_lookup_is_refused():
    profile = nebim_profile()
    profile["reads"]["customer_lookup"]["delta_criteria"] = "LastUpdatedDate >= :since"
    assert "read 'customer_lookup': 'delta_criteria' is for entity reads" in " ".join(profile_problems(profile))


def test_delta_criteria_on_a_procedure_read_is_an_unknown_key():
    profile = nebim_profile()
    profile["reads"]["stock"]["delta_criteria"] = "LastUpdatedDate >= :since"
    assert "read 'stock' has unknown keys delta_criteria" in " ".join(profile_problems(profile))


# -- the simulator -------------------------------------------------------------------------------------------------


def test_simulator_reads_the_date_leniently_and_refuses_what_is_no_date():
    company = NebimCompany()
    company.views["usp_X"] = [
        {"ItemCode": "A", "LastUpdatedDate": "2026-12-08T10:00:00"},
        {"ItemCode": "B", "LastUpdatedDate": "2026-12-01T10:00:00"},
        {"ItemCode": "C"},  # no stamp: cannot be told, so returned
    ]
    ms = int(datetime(2026, 12, 5, tzinfo=UTC).timestamp() * 1000)
    for given in ("2026-12-05", "05.12.2026", "20261205", f"/Date({ms})/", "2026-12-05T00:00:00Z"):
        assert [r["ItemCode"] for r in company.run_proc("usp_X", {"Date": given})] == ["A", "C"], given
    assert [r["ItemCode"] for r in company.run_proc("usp_X", {"Date": ""})] == ["A", "B", "C"]
    with pytest.raises(Refused, match="Conversion failed"):
        company.run_proc("usp_X", {"Date": "dün"})


# -- the import engine: watermark, overlap, deactivation -----------------------------------------------------------


def connection_for(sim: NebimSimulator, monkeypatch, **settings) -> ErpConnection:
    monkeypatch.setenv("NEBIMDELTA_USERNAME", sim.username)
    monkeypatch.setenv("NEBIMDELTA_PASSWORD", sim.password)
    connection = ErpConnection.objects.create(
        code="nebim",
        name="Nebim V3",
        adapter="nebim",
        is_default=True,
        credentials_ref="NEBIMDELTA",
        settings={
            "profile": nebim_profile(),
            "base_url": sim.root_url,
            "session_mode": sim.mode,
            "database_name": sim.company.database,
            "user_group_code": "B2B",
            "office_code": "M",
            "warehouse_code": "M",
            "timeout_seconds": 5,
            **settings,
        },
    )
    ValueMap.objects.create(connection=connection, kind=ValueMap.Kind.TAX_CODE, external_value="20", local_value="20")
    return connection


@pytest.mark.django_db
@pytest.mark.parametrize(("overlap", "late_row_read"), [(300, True), (0, False)])
def test_delta_import_reads_from_the_watermark_less_the_overlap(monkeypatch, overlap, late_row_read):
    with NebimSimulator(mode="token") as sim:
        side = NebimErpSide(sim)
        connection = connection_for(sim, monkeypatch, delta_overlap_seconds=overlap)
        side.publish("unit", [ErpUnit("AD", "Adet")])
        old = "2026-01-01T10:00:00"
        sim.company.views[PRODUCTS] = [product_row("A-1", "Birinci", old), product_row("B-1", "İkinci", old)]
        sync_import(connection=connection, entity="unit", full=True)
        first = sync_import(connection=connection, entity="product")
        assert (first.mode, first.status, first.created) == (SyncRun.Mode.FULL, SyncRun.Status.SUCCEEDED, 2)
        watermark = SyncCursor.objects.get(connection=connection, entity="product").watermark
        assert watermark is not None

        # Committed late: stamped a minute before the watermark, not there when the first read ran.
        sim.company.views[PRODUCTS].append(product_row("LATE-1", "Geç gelen", local(watermark - timedelta(minutes=1))))
        # Changed in the portal's catalogue name only by a row V3 did not stamp again: a delta does not see it.
        sim.company.views[PRODUCTS][0] = product_row("A-1", "Birinci (yeni ad)", old)
        second = sync_import(connection=connection, entity="product")

    assert second.mode == SyncRun.Mode.DELTA
    assert second.window_from == watermark - timedelta(seconds=overlap)
    assert sim.company.proc_calls[-1] == (
        PRODUCTS,
        {"Date": local(watermark - timedelta(seconds=overlap)).replace("T", " ")},
    )
    assert Product.objects.filter(sku="LATE-1").exists() is late_row_read
    assert Product.objects.get(sku="A-1").name == "Birinci"
    cursor = SyncCursor.objects.get(connection=connection, entity="product")
    assert cursor.watermark > watermark


@pytest.mark.django_db
def test_delta_leaves_what_is_gone_and_a_full_read_deactivates_it(monkeypatch):
    with NebimSimulator(mode="token") as sim:
        side = NebimErpSide(sim)
        connection = connection_for(sim, monkeypatch)
        side.publish("unit", [ErpUnit("AD", "Adet")])
        sync_import(connection=connection, entity="unit", full=True)
        old = "2026-01-01T10:00:00"
        sim.company.views[PRODUCTS] = [product_row("A-1", "Birinci", old), product_row("B-1", "İkinci", old)]
        sync_import(connection=connection, entity="product")
        sim.company.views[PRODUCTS] = [product_row("A-1", "Birinci", old)]  # B-1 deleted in V3

        delta = sync_import(connection=connection, entity="product")
        assert (delta.mode, delta.deactivated) == (SyncRun.Mode.DELTA, 0)
        assert Product.objects.get(sku="B-1").status != Product.Status.INACTIVE

        full = sync_import(connection=connection, entity="product", full=True)
    assert (full.mode, full.deactivated) == (SyncRun.Mode.FULL, 1)
    assert Product.objects.get(sku="B-1").status == Product.Status.INACTIVE
    assert Product.objects.get(sku="A-1").status != Product.Status.INACTIVE


# -- ETA: a statement naming :since --------------------------------------------------------------------------------


@pytest.fixture
def eta_db():
    url = f"postgres://postgres@127.0.0.1:5432/{scratch_database_name('profile_eta_delta')}"
    postgres_database(url)
    db = EtaDatabase(url)
    db.create()
    yield db
    postgres_database_drop(url)


def test_sql_read_naming_since_gets_the_servers_wall_time_and_reads_changes_only(eta_db, tmp_path):
    profile = eta_profile()
    profile["reads"]["ledger"]["sql"] += " WHERE CAST(:since AS TIMESTAMP) IS NULL OR CARHARTAR >= :since"
    eta_db.execute(
        "INSERT INTO CARHAR (CARHARREFNO, CARHARSIRANO, CARHARTAR, CARHARCARKOD, CARHARTUTAR, CARHARISTIPKOD) "
        "VALUES (%s, %s, %s, %s, %s, %s)",
        (1, 1, "2026-12-01", "120.01.001", "100.00", "FATURA"),
        (2, 1, "2026-12-08", "120.01.001", "-40.00", "TAHSILAT"),
    )
    adapter = EtaAdapter(
        settings={"profile": profile, "outbound_folder": str(tmp_path)}, credentials={"sql_url": eta_db.url}
    )
    assert adapter.delta_reads == frozenset({"ledger"}) and adapter.supports(Capability.DELTA)
    # 21:00 UTC on the 7th is midnight on the 8th in Istanbul: the entry of the 8th counts, that of the 1st does not;
    # a second later it no longer does (in UTC it would still be the 7th).
    (delta,) = adapter.read("ledger", since=datetime(2026, 12, 7, 21, 0, tzinfo=UTC))
    assert ([e.entry_id for e in delta.records], delta.complete) == (["2-1"], False)
    (later,) = adapter.read("ledger", since=datetime(2026, 12, 7, 21, 0, 1, tzinfo=UTC))
    assert list(later.records) == []
    (full,) = adapter.read("ledger", full=True)
    assert (sorted(e.entry_id for e in full.records), full.complete) == (["1-1", "2-1"], True)


def test_shipped_eta_profile_names_no_since_and_reads_in_full(tmp_path):
    adapter = EtaAdapter(settings={"profile": eta_profile(), "outbound_folder": str(tmp_path)}, credentials={})
    assert adapter.delta_reads == frozenset()
    assert not adapter.supports(Capability.DELTA)
