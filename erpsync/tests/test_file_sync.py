"""The file connection end to end through the import engine: malformed and hostile files become issues and leave
nothing half-applied; good files land and are archived."""

import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.models import Product, StockLevel, Unit, Warehouse
from erpsync.adapters.base import ErpProduct, ErpStock
from erpsync.adapters.file.writer import csv_text, drop
from erpsync.importers import sync_import
from erpsync.models import ErpConnection, SyncIssue, SyncRun
from erpsync.tests.test_file_adapter import BILLION_LAUGHS

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def files(tmp_path):
    Unit.objects.create(code="AD", name="Adet")
    Warehouse.objects.create(code="W1", name="Ana depo")
    return ErpConnection.objects.create(code="files", name="Files", adapter="file", settings={"root": str(tmp_path)})


def inbox(connection, entity):
    from pathlib import Path

    return Path(connection.settings["root"]) / "inbound" / entity


def test_good_file_lands_and_is_archived_with_a_result(files):
    products = [ErpProduct(f"P{i}", f"Ürün {i}", "AD", vat_rate=D("20")) for i in range(50)]
    drop(inbox(files, "product"), "items-1.csv", csv_text("product", products).encode("cp1254"))
    run = sync_import(connection=files, entity="product")
    assert (run.status, run.created) == (SyncRun.Status.SUCCEEDED, 50)
    assert Product.objects.get(sku="P7").name == "Ürün 7"
    result = json.loads((inbox(files, "product") / "done" / "items-1.csv.result.json").read_text())
    assert (result["status"], result["file"], result["summary"]["created"]) == ("done", "items-1.csv", 50)


def test_malformed_row_deep_in_a_file_applies_nothing_and_names_the_place(files):
    Product.objects.bulk_create(Product(sku=f"P{i}", name="x", base_unit=Unit.objects.get()) for i in range(100))
    text = csv_text("stock", [ErpStock(f"P{i}", "W1", D(i)) for i in range(100)])
    lines = text.splitlines()
    assert lines[81] == "P80;W1;80;0;"
    lines[81] = "P80;W1;8x0;0;"
    drop(inbox(files, "stock"), "stock.csv", ("\r\n".join(lines) + "\r\n").encode())
    run = sync_import(connection=files, entity="stock")
    assert run.failed == 1 and StockLevel.objects.count() == 0
    issue = SyncIssue.objects.get()
    assert issue.code == "feed_malformed" and issue.external_id == "stock.csv"
    assert issue.payload["line"] == 82 and issue.payload["column"] == "on_hand"
    assert (inbox(files, "stock") / "error" / "stock.csv").exists()


def test_xml_bomb_is_refused_as_an_issue(files):
    drop(inbox(files, "unit"), "bomb.xml", BILLION_LAUGHS)
    run = sync_import(connection=files, entity="unit")
    assert run.failed == 1 and Unit.objects.count() == 1
    assert "bomb.xml" in SyncIssue.objects.get(code="feed_malformed").message


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_corrupted_product_files_never_crash_the_import(files, data):
    products = [ErpProduct(f"F{i}", f"Ürün {i}", "AD", vat_rate=D("20")) for i in range(20)]
    raw = bytearray(csv_text("product", products).encode())
    for _ in range(data.draw(st.integers(1, 5))):
        at = data.draw(st.integers(0, len(raw) - 1))
        raw[at] = data.draw(st.integers(0, 255))
    Product.objects.all().delete()
    drop(inbox(files, "product"), "fuzzed.csv", bytes(raw))
    run = sync_import(connection=files, entity="product", full=True)
    assert run.status in (SyncRun.Status.SUCCEEDED, SyncRun.Status.PARTIAL)
    [feed] = run.summary["feeds"]
    if "error" in feed:
        assert "fuzzed.csv" in feed["error"] and Product.objects.count() == 0  # refused whole
    else:
        assert Product.objects.count() == feed["created"]
