"""Skipping records a CSV feed repeats unchanged (line digests): unchanged records are neither parsed nor written,
changed ones are applied, and a digest that may be stale (new importer rules, new mappings, a portal row changed
since, a failed import) never skips a record wrongly."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection as db

from catalog.models import PriceList, PriceListItem, Product, StockLevel, Unit, Warehouse
from dealers.models import AccountEntry, Dealer, PaymentTerms
from erpsync.adapters.base import ErpLedgerEntry, ErpPrice, ErpProduct, ErpStock
from erpsync.adapters.file.writer import csv_text, drop
from erpsync.importers import sync_import
from erpsync.importers.catalog import ProductImporter
from erpsync.models import ErpConnection, LineDigest, SyncIssue, SyncRun, ValueMap
from erpsync.tests.test_import_accounts import customer

pytestmark = pytest.mark.django_db(transaction=False)
D = Decimal


@pytest.fixture
def files(tmp_path):
    Unit.objects.create(code="AD", name="Adet")
    Warehouse.objects.create(code="W1", name="Ana depo")
    Warehouse.objects.create(code="W2", name="Yan depo")
    return ErpConnection.objects.create(code="files", name="Files", adapter="file", settings={"root": str(tmp_path)})


def deliver(connection, entity: str, name: str, records) -> None:
    drop(Path(connection.settings["root"]) / "inbound" / entity, name, csv_text(entity, records).encode())


def feed_report(run: SyncRun) -> dict:
    [report] = run.summary["feeds"]
    return report


def versions(model) -> dict[int, str]:
    """Each row's PostgreSQL row version: a row written again gets a new one."""
    with db.cursor() as cursor:
        cursor.execute(f"SELECT id, xmin::text FROM {model._meta.db_table}")  # noqa: S608 - a model's table
        return dict(cursor.fetchall())


def products(n: int = 20, **changes) -> list[ErpProduct]:
    items = [ErpProduct(f"P{i:02d}", f"Ürün {i}", "AD", vat_rate=D("20")) for i in range(n)]
    return [ErpProduct(p.code, changes.get(p.code, p.name), "AD", vat_rate=D("20")) for p in items]


def test_unchanged_records_are_skipped_with_no_row_written(files):
    deliver(files, "product", "1.csv", products())
    first = sync_import(connection=files, entity="product")
    assert first.created == 20 and LineDigest.objects.filter(entity="product").count() == 20
    before = versions(Product)
    deliver(files, "product", "2.csv", reversed(products()))  # another order: the file's own digest differs
    run = sync_import(connection=files, entity="product")
    assert (run.status, run.created, run.updated, run.unchanged) == (SyncRun.Status.SUCCEEDED, 0, 0, 20)
    assert feed_report(run)["skipped_unchanged"] == 20
    assert versions(Product) == before


def test_a_changed_line_is_applied_and_only_it_is_parsed(files):
    deliver(files, "product", "1.csv", products())
    sync_import(connection=files, entity="product")
    before = versions(Product)
    deliver(files, "product", "2.csv", products(P05="Yeni ad"))
    run = sync_import(connection=files, entity="product")
    assert (run.updated, run.unchanged, feed_report(run)["skipped_unchanged"]) == (1, 19, 19)
    assert Product.objects.get(sku="P05").name == "Yeni ad"
    changed = {pk for pk, version in versions(Product).items() if before[pk] != version}
    assert changed == {Product.objects.get(sku="P05").pk}
    # The new digest is the one kept: the same file again skips everything.
    deliver(files, "product", "3.csv", reversed(products(P05="Yeni ad")))
    assert feed_report(sync_import(connection=files, entity="product"))["skipped_unchanged"] == 20


def test_a_record_missing_from_a_snapshot_is_deactivated_while_the_rest_is_skipped(files):
    deliver(files, "product", "1.csv", products())
    sync_import(connection=files, entity="product")
    deliver(files, "product", "2.csv", products()[:-1])
    run = sync_import(connection=files, entity="product")
    assert (run.deactivated, feed_report(run)["skipped_unchanged"]) == (1, 19)
    assert Product.objects.get(sku="P19").status == "inactive"
    assert Product.objects.filter(status="active").count() == 19
    assert not LineDigest.objects.filter(key="P19").exists()


def test_a_new_importer_version_reads_every_record_again(files, monkeypatch):
    deliver(files, "product", "1.csv", products())
    sync_import(connection=files, entity="product")
    monkeypatch.setattr(ProductImporter, "digest_version", ProductImporter.digest_version + 1)
    deliver(files, "product", "2.csv", reversed(products()))
    run = sync_import(connection=files, entity="product")
    assert (run.unchanged, feed_report(run).get("skipped_unchanged", 0)) == (20, 0)
    deliver(files, "product", "3.csv", products())  # the digests of the new version are kept
    assert feed_report(sync_import(connection=files, entity="product"))["skipped_unchanged"] == 20


def test_a_new_value_mapping_reads_every_record_again(files):
    Unit.objects.create(code="ADET", name="Adet")
    deliver(files, "product", "1.csv", products())
    sync_import(connection=files, entity="product")
    ValueMap.objects.create(connection=files, kind=ValueMap.Kind.UNIT, external_value="AD", local_value="ADET")
    deliver(files, "product", "2.csv", reversed(products()))
    run = sync_import(connection=files, entity="product")
    assert (run.updated, feed_report(run).get("skipped_unchanged", 0)) == (20, 0)
    assert set(Product.objects.values_list("base_unit__code", flat=True)) == {"ADET"}


def test_a_row_changed_or_removed_in_the_portal_is_read_again(files):
    deliver(files, "product", "1.csv", products())
    sync_import(connection=files, entity="product")
    Product.objects.filter(sku="P03").update(name="Elle değişti")
    Product.objects.filter(sku="P04").delete()
    deliver(files, "product", "2.csv", reversed(products()))
    run = sync_import(connection=files, entity="product")
    assert (run.created, run.updated, feed_report(run)["skipped_unchanged"]) == (1, 1, 18)
    assert Product.objects.get(sku="P03").name == "Ürün 3"
    assert Product.objects.filter(sku="P04").exists()


def test_a_full_run_reads_every_record(files):
    deliver(files, "product", "1.csv", products())
    sync_import(connection=files, entity="product")
    deliver(files, "product", "2.csv", reversed(products()))
    run = sync_import(connection=files, entity="product", full=True)
    assert (run.unchanged, feed_report(run).get("skipped_unchanged", 0)) == (20, 0)


def test_a_failed_import_keeps_the_digests_of_the_feed_before(files):
    deliver(files, "product", "1.csv", products())
    sync_import(connection=files, entity="product")
    kept = set(LineDigest.objects.values_list("key", "digest"))
    # A changed record, then a malformed line further down: the feed is refused whole.
    text = csv_text("product", products(P01="Yeni ad")).rstrip("\r\n") + "\r\nP99;;AD;;20;;;;;;;;;\r\n"
    drop(Path(files.settings["root"]) / "inbound" / "product", "2.csv", text.encode())
    run = sync_import(connection=files, entity="product")
    assert run.failed == 1 and SyncIssue.objects.filter(code="feed_malformed").exists()
    assert set(LineDigest.objects.values_list("key", "digest")) == kept
    assert Product.objects.get(sku="P01").name == "Ürün 1"
    # The changed record still comes in with the next good feed.
    deliver(files, "product", "3.csv", products(P01="Yeni ad"))
    run = sync_import(connection=files, entity="product")
    assert (run.updated, feed_report(run)["skipped_unchanged"]) == (1, 19)


def test_a_first_import_that_fails_records_no_digest(files, monkeypatch):
    def broken(self, ctx, stage):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(ProductImporter, "land", broken)
    deliver(files, "product", "1.csv", products())
    with pytest.raises(RuntimeError):
        sync_import(connection=files, entity="product")
    assert not LineDigest.objects.exists() and not Product.objects.exists()


def test_a_refused_record_is_not_skipped_the_next_time(files):
    records = [*products(3), ErpProduct("BAD", "Kötü", "KOLI", vat_rate=D("20"))]
    deliver(files, "product", "1.csv", records)
    first = sync_import(connection=files, entity="product")
    assert first.failed == 1 and not LineDigest.objects.filter(key="BAD").exists()
    Unit.objects.create(code="KOLI", name="Koli")  # the lookups changed: every record is read again
    deliver(files, "product", "2.csv", reversed(records))
    run = sync_import(connection=files, entity="product")
    assert (run.failed, run.created) == (0, 1) and Product.objects.filter(sku="BAD").exists()


def test_a_key_sent_twice_is_refused_even_when_one_copy_is_unchanged(files):
    deliver(files, "product", "1.csv", products(3))
    sync_import(connection=files, entity="product")
    twice = [*products(3), ErpProduct("P01", "Başka ad", "AD", vat_rate=D("20"))]
    deliver(files, "product", "2.csv", twice)
    run = sync_import(connection=files, entity="product")
    assert run.failed == 2 and SyncIssue.objects.filter(code="duplicate_code", external_id="P01").count() == 1
    assert Product.objects.get(sku="P01").name == "Ürün 1"


def stock_rows(changes=None, drop_key=None):
    rows = []
    for i in range(10):
        for warehouse in ("W1", "W2"):
            key = f"P{i:02d}@{warehouse}"
            if key != drop_key:
                rows.append(ErpStock(f"P{i:02d}", warehouse, D((changes or {}).get(key, i + 1))))
    return rows


def test_stock_skips_unchanged_rows_and_zeroes_a_row_the_snapshot_lost(files):
    deliver(files, "product", "p.csv", products(10))
    sync_import(connection=files, entity="product")
    deliver(files, "stock", "1.csv", stock_rows())
    assert sync_import(connection=files, entity="stock").created == 20
    before = versions(StockLevel)
    deliver(files, "stock", "2.csv", reversed(stock_rows()))
    run = sync_import(connection=files, entity="stock")
    assert (run.unchanged, feed_report(run)["skipped_unchanged"]) == (20, 20) and versions(StockLevel) == before
    deliver(files, "stock", "3.csv", stock_rows({"P02@W2": 50}, drop_key="P07@W1"))
    run = sync_import(connection=files, entity="stock")
    assert (run.updated, run.deactivated, feed_report(run)["skipped_unchanged"]) == (1, 1, 18)
    level = StockLevel.objects.get
    assert level(product__sku="P02", warehouse__code="W2").on_hand == 50
    assert level(product__sku="P07", warehouse__code="W1").on_hand == 0
    assert level(product__sku="P07", warehouse__code="W2").on_hand == 8


def test_prices_skip_unchanged_rows_and_remove_a_withdrawn_price(files):
    PriceList.objects.create(code="BAYI", name="Bayi", currency="TRY")
    deliver(files, "product", "p.csv", products(10))
    sync_import(connection=files, entity="product")
    prices = [ErpPrice("BAYI", f"P{i:02d}", D(f"{i + 1}.50")) for i in range(10)]
    deliver(files, "price", "1.csv", prices)
    sync_import(connection=files, entity="price")
    before = versions(PriceListItem)
    deliver(files, "price", "2.csv", reversed(prices))
    run = sync_import(connection=files, entity="price")
    assert feed_report(run)["skipped_unchanged"] == 10 and versions(PriceListItem) == before
    deliver(files, "price", "3.csv", [*prices[:4], ErpPrice("BAYI", "P04", D("99")), *prices[6:]])
    run = sync_import(connection=files, entity="price")
    assert (run.updated, run.deactivated, feed_report(run)["skipped_unchanged"]) == (1, 1, 8)
    assert PriceListItem.objects.get(product__sku="P04").price == D("99")
    assert not PriceListItem.objects.filter(product__sku="P05").exists()


def test_ledger_skips_unchanged_movements_and_removes_a_withdrawn_one(files):
    files.settings = {**files.settings, "entities": {"ledger": {"snapshot": True}}}
    files.save()
    Dealer.objects.create(code="120.01", title="Bayi", tax_number="1234567890")
    movements = [
        ErpLedgerEntry(f"E{i}", "120.01", date(2026, 1, i + 1), "invoice", D(f"{100 + i}.00")) for i in range(8)
    ]
    deliver(files, "ledger", "1.csv", movements)
    assert sync_import(connection=files, entity="ledger").created == 8
    before = versions(AccountEntry)
    deliver(files, "ledger", "2.csv", reversed(movements))
    run = sync_import(connection=files, entity="ledger")
    assert feed_report(run)["skipped_unchanged"] == 8 and versions(AccountEntry) == before
    deliver(files, "ledger", "3.csv", movements[1:])
    run = sync_import(connection=files, entity="ledger")
    assert (run.deactivated, feed_report(run)["skipped_unchanged"]) == (1, 7)
    assert not AccountEntry.objects.filter(erp_id="E0").exists() and AccountEntry.objects.count() == 7


def test_customers_skip_unchanged_accounts_and_deactivate_one_the_list_lost(files):
    accounts = [customer(f"120.{i:02d}", i + 1) for i in range(6)]
    deliver(files, "customer", "1.csv", accounts)
    assert sync_import(connection=files, entity="customer").created == 6
    before = versions(Dealer)
    deliver(files, "customer", "2.csv", reversed(accounts))
    run = sync_import(connection=files, entity="customer")
    assert feed_report(run)["skipped_unchanged"] == 6 and versions(Dealer) == before
    changed = [customer("120.00", 1, email="yeni@bayi.example.com"), *accounts[1:5]]
    deliver(files, "customer", "3.csv", changed)
    run = sync_import(connection=files, entity="customer")
    assert (run.updated, run.deactivated, feed_report(run)["skipped_unchanged"]) == (1, 1, 4)
    assert Dealer.objects.get(code="120.00").email == "yeni@bayi.example.com"
    assert Dealer.objects.get(code="120.05").status == "inactive"
    assert Dealer.objects.filter(status="active").count() == 5


def test_a_shorter_payment_term_with_skipped_customers_reads_the_feed_whole(files):
    accounts = [customer(f"120.{i:02d}", i + 1, payment_terms_days=30 + i) for i in range(3)]
    deliver(files, "customer", "1.csv", accounts)
    sync_import(connection=files, entity="customer")
    assert PaymentTerms.objects.get(code="30G").days == 32
    shorter = [*accounts[:2], customer("120.02", 3, payment_terms_days=20)]
    deliver(files, "customer", "2.csv", shorter)
    run = sync_import(connection=files, entity="customer")
    assert (run.updated, feed_report(run).get("skipped_unchanged", 0)) == (0, 0)
    assert PaymentTerms.objects.get(code="30G").days == 31


def test_an_xml_feed_read_whole_drops_the_digests_and_the_next_csv_is_read_whole(files):
    from erpsync.adapters.file.writer import xml_bytes

    deliver(files, "product", "1.csv", products(5))
    sync_import(connection=files, entity="product")
    assert LineDigest.objects.filter(entity="product").count() == 5
    drop(Path(files.settings["root"]) / "inbound" / "product", "2.xml", xml_bytes("product", products(5)))
    sync_import(connection=files, entity="product")
    assert not LineDigest.objects.exists()
    deliver(files, "product", "3.csv", products(5))
    run = sync_import(connection=files, entity="product")
    assert (run.unchanged, feed_report(run).get("skipped_unchanged", 0)) == (5, 0)


def test_a_dry_run_skips_unchanged_records_but_writes_no_digest(files):
    deliver(files, "product", "1.csv", products(5))
    sync_import(connection=files, entity="product")
    kept = set(LineDigest.objects.values_list("key", "digest", "row_xmin"))
    deliver(files, "product", "2.csv", products(5, P02="Yeni ad"))
    run = sync_import(connection=files, entity="product", dry_run=True)
    assert (run.updated, run.unchanged, feed_report(run)["skipped_unchanged"]) == (1, 4, 4)
    assert set(LineDigest.objects.values_list("key", "digest", "row_xmin")) == kept
    assert Product.objects.get(sku="P02").name == "Ürün 2"


def test_quoted_values_over_several_lines_are_one_record(files):
    items = [
        ErpProduct("Q1", "Çok satırlı", "AD", vat_rate=D("20"), description='İlk satır;\n"ikinci" satır'),
        *products(3),
    ]
    deliver(files, "product", "1.csv", items)
    assert sync_import(connection=files, entity="product").created == 4
    assert Product.objects.get(sku="Q1").description == 'İlk satır;\n"ikinci" satır'
    deliver(files, "product", "2.csv", reversed(items))
    assert feed_report(sync_import(connection=files, entity="product"))["skipped_unchanged"] == 4


def test_a_file_with_lone_cr_line_ends_is_read_whole(files):
    text = csv_text("product", products(3)).replace("\r\n", "\r").replace("\n", "\r")
    drop(Path(files.settings["root"]) / "inbound" / "product", "1.csv", text.encode())
    assert sync_import(connection=files, entity="product").created == 3
    assert not LineDigest.objects.exists()
