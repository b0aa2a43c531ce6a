"""A worker killed (SIGKILL) in the middle of an import or an export: the rerun completes, nothing duplicated or
lost. The worker is a real ``manage.py erpsync`` process on the test database."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection as db
from django.utils import timezone

from catalog.models import Product, StockLevel, Unit, Warehouse
from erpsync.adapters.base import ErpStock
from erpsync.adapters.file.writer import csv_text, drop
from erpsync.importers import sync_import
from erpsync.models import ErpConnection, SyncJob, SyncRun
from erpsync.outbox import outbox_drain
from orders.services import cart_line_add
from orders.status import OrderStatus as S
from orders.tests.factories import buyer_of, make_shop, place

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(settings.BASE_DIR)
D = Decimal


def worker(*args: str, settings_module: str = "b2bportal.settings.test") -> subprocess.Popen:
    name = db.settings_dict["NAME"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": settings_module,
        "DATABASE_URL": f"postgres://{db.settings_dict['USER']}@{db.settings_dict['HOST']}:{db.settings_dict['PORT']}/{name}",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "erpsync", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_for(condition, timeout=60.0, what=""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def copying_into_stage() -> bool:
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND datname = current_database() "
            "AND query LIKE 'COPY %%erpsync_stage_stock%%'"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.skipif("postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="kills a PostgreSQL worker")
def test_import_killed_mid_feed_leaves_nothing_and_the_rerun_completes(tmp_path):
    connection = ErpConnection.objects.create(
        code="files", name="Files", adapter="file", settings={"root": str(tmp_path)}
    )
    unit = Unit.objects.create(code="AD", name="Adet")
    warehouses = [Warehouse.objects.create(code=f"W{i}", name=f"Depo {i}") for i in range(4)]
    Product.objects.bulk_create(Product(sku=f"P{i:05d}", name=f"Ürün {i}", base_unit=unit) for i in range(25_000))
    rows = [ErpStock(f"P{i:05d}", w.code, D(i % 97)) for i in range(25_000) for w in warehouses]
    inbox = tmp_path / "inbound" / "stock"
    drop(inbox, "stock.csv", csv_text("stock", rows).encode())

    proc = worker("sync", "files", "stock", "--no-progress")
    try:
        wait_for(copying_into_stage, what="the worker to stream the feed")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert StockLevel.objects.count() == 0  # nothing half-applied
    assert (inbox / "stock.csv").exists()  # the feed waits for the rerun
    assert SyncRun.objects.get().status == SyncRun.Status.RUNNING

    run = sync_import(connection=connection, entity="stock")
    assert (run.status, run.created, run.failed) == (SyncRun.Status.SUCCEEDED, 100_000, 0)
    assert StockLevel.objects.count() == 100_000
    assert SyncRun.objects.exclude(pk=run.pk).get().status == SyncRun.Status.FAILED  # the killed run, marked
    assert not (inbox / "stock.csv").exists() and (inbox / "done" / "stock.csv").exists()


@pytest.mark.skipif("postgresql" not in settings.DATABASES["default"]["ENGINE"], reason="kills a PostgreSQL worker")
def test_export_killed_after_the_erp_took_the_order_binds_on_the_rerun(tmp_path, settings, monkeypatch):
    monkeypatch.setattr("erpsync.enqueue._wake", lambda connection_id: None)  # the worker process delivers
    hanging = "erpsync.tests.killable.HangingFileAdapter"
    settings.ERPSYNC_ADAPTERS = {**settings.ERPSYNC_ADAPTERS, "hanging_file": hanging}
    connection = ErpConnection.objects.create(
        code="files", name="Files", adapter="file", settings={"root": str(tmp_path)}, is_default=True
    )
    dealer, product = make_shop()
    buyer = buyer_of(dealer)
    cart_line_add(dealer_user=buyer, product=product, quantity=D("1"))
    # Placed with the worker's adapter: the approval queues the export; the drain happens in the worker.
    ErpConnection.objects.filter(pk=connection.pk).update(adapter="hanging_file")
    order = place(buyer)
    job = SyncJob.objects.get()
    sent = tmp_path / "outbound" / "orders" / f"{order.number}.xml"

    proc = worker("drain", "files", settings_module="erpsync.tests.killable")
    try:
        wait_for(sent.exists, what="the ERP to receive the order")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    job.refresh_from_db()
    assert job.status == SyncJob.Status.RUNNING and job.attempts == 1  # the worker died holding it

    ErpConnection.objects.filter(pk=connection.pk).update(adapter="file")
    connection.refresh_from_db()
    assert outbox_drain(connection=connection) == 0  # its lease still runs: nobody else takes it
    SyncJob.objects.filter(pk=job.pk).update(locked_at=timezone.now() - timedelta(hours=1))
    assert outbox_drain(connection=connection) == 1
    job.refresh_from_db()
    order.refresh_from_db()
    assert job.status == SyncJob.Status.SUCCEEDED and job.attempts == 2
    assert order.status == S.SENT_TO_ERP
    assert [p.name for p in sent.parent.glob("*.xml")] == [sent.name]  # one document, not two
