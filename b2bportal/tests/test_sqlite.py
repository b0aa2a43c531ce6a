"""The embedded SQLite database (``make run``): the web server and the task worker share one file without "database is
locked" and without losing work, and a fresh file enforces the same unique rules as PostgreSQL.

Each test runs real processes with the development settings (``b2bportal.settings.base``) on a temporary SQLite file,
as ``make run`` does."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from django.db import OperationalError

from b2bportal.database import database_from_url, is_locked_error, retry_when_locked, task_workers

ROOT = Path(__file__).resolve().parents[2]


def sqlite_env(path: Path, **extra: str) -> dict[str, str]:
    environ = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "Q_WORKERS", "LOG_LEVEL"}}
    environ.update(DJANGO_SETTINGS_MODULE="b2bportal.settings.base", DATABASE_URL=f"sqlite:///{path}", **extra)
    return environ


def run_python(code: str, environ: dict[str, str], *args: str, timeout: int = 180) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def migrated(tmp_path_factory):
    """A fresh SQLite file migrated by ``manage.py migrate``, and what migrate printed."""
    path = tmp_path_factory.mktemp("sqlite") / "portal.sqlite3"
    result = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=sqlite_env(path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return path, result.stdout + result.stderr


SETTINGS_PROBE = """
    import json
    import django
    from django.conf import settings
    django.setup()
    from django.db import connection
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        journal = cursor.fetchone()[0]
        cursor.execute("PRAGMA busy_timeout")
        busy = cursor.fetchone()[0]
    print(json.dumps({
        "options": settings.DATABASES["default"].get("OPTIONS", {}),
        "workers": settings.Q_CLUSTER["workers"],
        "journal": journal,
        "busy_ms": busy,
    }))
"""


def test_sqlite_settings_give_wal_a_busy_timeout_immediate_transactions_and_one_worker(tmp_path):
    result = run_python(SETTINGS_PROBE, sqlite_env(tmp_path / "probe.sqlite3"))
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert probe["journal"] == "wal"
    assert probe["busy_ms"] >= 20_000
    assert probe["options"]["transaction_mode"] == "IMMEDIATE"
    assert probe["workers"] == 1
    # An explicit Q_WORKERS wins, also on SQLite.
    result = run_python(SETTINGS_PROBE, sqlite_env(tmp_path / "probe.sqlite3", Q_WORKERS="3"))
    assert json.loads(result.stdout.strip().splitlines()[-1])["workers"] == 3


def test_postgresql_settings_are_left_alone():
    database = database_from_url("postgres://postgres@127.0.0.1:5432/x")
    assert "init_command" not in database.get("OPTIONS", {})
    assert task_workers(database, None) == 2
    sqlite = database_from_url("sqlite:////tmp/x.sqlite3", busy_timeout=7)
    assert sqlite["OPTIONS"]["timeout"] == 7 and task_workers(sqlite, None) == 1


WRITER = """
    import sys
    import django
    django.setup()
    from django.db import transaction
    from django_q.models import OrmQ
    from django_q.tasks import async_task

    tag, count = sys.argv[1], int(sys.argv[2])
    for i in range(count):
        # Read, then write, in one transaction: what a request placing an order does before it queues its e-mail.
        with transaction.atomic():
            OrmQ.objects.filter(key="nobody").count()
            async_task("math.floor", i, task_name=f"{tag}-{i}")
    print("queued", count)
"""

CONSUMER = """
    import sys
    import time
    import django
    django.setup()
    from django.db import transaction
    from django_q.models import OrmQ

    expected, taken, deadline = int(sys.argv[1]), 0, time.monotonic() + 120
    while taken < expected and time.monotonic() < deadline:
        # Take a batch, as the worker does: read the queue, then delete what it took.
        with transaction.atomic():
            ids = list(OrmQ.objects.order_by("id").values_list("id", flat=True)[:7])
            taken += OrmQ.objects.filter(id__in=ids).delete()[0]
    print("taken", taken)
"""


def test_concurrent_writers_and_a_worker_share_the_file_without_locks_or_lost_tasks(migrated):
    path, _output = migrated
    environ = sqlite_env(path)
    writers, per_writer = 4, 60
    consumer = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(CONSUMER), str(writers * per_writer)],
        cwd=ROOT,
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(WRITER), f"w{n}", str(per_writer)],
            cwd=ROOT,
            env=environ,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(writers)
    ]
    outputs = [p.communicate(timeout=240) for p in [*procs, consumer]]
    results = [(p.returncode, out, err) for p, (out, err) in zip([*procs, consumer], outputs, strict=True)]
    for code, _out, err in results:
        assert "database is locked" not in err
        assert code == 0, err
    assert [out.split() for _code, out, _err in results[:-1]] == [["queued", str(per_writer)]] * writers
    # Every queued task was either taken by the worker or is still waiting: none lost.
    left = run_python(
        "import django; django.setup(); from django_q.models import OrmQ; print(OrmQ.objects.count())", environ
    )
    taken = int(results[-1][1].split()[-1])
    assert taken + int(left.stdout.strip()) == writers * per_writer


def test_migrate_on_a_fresh_sqlite_file_warns_about_no_constraint(migrated):
    _path, output = migrated
    assert "W047" not in output and "SQLite does not support" not in output
    assert "System check identified" not in output


DUPLICATES = """
    import django
    django.setup()
    from decimal import Decimal
    from django.db import IntegrityError, transaction
    from accounts.models import User
    from catalog.models import PriceList, PriceListItem, Product, Unit
    from dealers.models import Dealer
    from erpsync.models import ErpConnection, SyncIssue
    from orders.models import Cart, CartLine

    unit = Unit.objects.create(code="AD", name="Adet")
    product = Product.objects.create(sku="P1", name="Kablo", base_unit=unit)
    price_list = PriceList.objects.create(code="L1", name="Liste", currency="TRY")
    connection = ErpConnection.objects.create(code="c", name="C", adapter="file")
    dealer = Dealer.objects.create(code="D1", title="Bayi", tax_number="1234567890")
    user = User.objects.create_user(email="b@example.com", password="x" * 12)
    cart = Cart.objects.create(dealer=dealer, owner=user)
    cases = {
        "price_item_unique_break": lambda: PriceListItem.objects.create(
            price_list=price_list, product=product, unit=None, min_quantity=Decimal(1), price=Decimal(5)
        ),
        "cart_line_unique": lambda: CartLine.objects.create(cart=cart, product=product, unit=None, quantity=1),
        "sync_issue_one_open_per_record_and_reason": lambda: SyncIssue.objects.create(
            connection=connection, entity="product", external_id="X", local_id=None, code="c", message="m"
        ),
    }
    for name, create in cases.items():
        create()
        try:
            with transaction.atomic():
                create()
        except IntegrityError:
            print("refused", name)
        else:
            print("accepted", name)
"""


def test_sqlite_refuses_the_duplicates_postgresql_refuses(migrated, tmp_path):
    path, _output = migrated
    copy = tmp_path / "copy.sqlite3"
    copy.write_bytes(path.read_bytes())
    result = run_python(DUPLICATES, sqlite_env(copy))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:3] == [
        "refused price_item_unique_break",
        "refused cart_line_unique",
        "refused sync_issue_one_open_per_record_and_reason",
    ]


def test_retry_when_locked_runs_again_on_a_lock_and_only_then(monkeypatch):
    monkeypatch.setattr("b2bportal.database.time.sleep", lambda _s: None)
    calls = []

    @retry_when_locked
    def task():
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("database is locked")
        return "done"

    assert task() == "done" and len(calls) == 3

    @retry_when_locked
    def broken():
        calls.append(1)
        raise OperationalError("no such table: x")

    calls.clear()
    with pytest.raises(OperationalError, match="no such table"):
        broken()
    assert len(calls) == 1
    assert is_locked_error(OperationalError("database is locked")) and not is_locked_error(ValueError("locked"))


def test_the_worker_logs_in_the_operators_language_on_a_turkish_portal(migrated, tmp_path):
    path, _output = migrated
    copy = tmp_path / "worker.sqlite3"
    copy.write_bytes(path.read_bytes())
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=sqlite_env(copy, LANGUAGE_CODE="tr"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any("running." in line for line in lines):
            lines.append(worker.stderr.readline())
        # Stopped as a service manager stops it, a while after it started: the cluster logs its stop after the
        # command's handle has returned.
        time.sleep(2)
        worker.send_signal(signal.SIGTERM)
        _, rest = worker.communicate(timeout=60)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    log = "".join(lines) + rest
    assert "starting." in log and "ready for work" in log and "stopping." in log and "has stopped." in log, log
    assert "başlatılıyor" not in log and "durduruluyor" not in log and "Traceback" not in log
