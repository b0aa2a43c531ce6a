"""The production profile (``bin/portal-profile``, docs/deploy.md) on this machine: gunicorn with two workers, two
task worker clusters sharing the Redis broker, PostgreSQL, WhiteNoise and the production settings (a demonstration
site: the sandbox card provider, e-mails written to files). The demo company is prepared as for ``make run``.

Dealers sign in, browse, search, fill their carts and place orders over HTTP, several at once; then both clusters
drain the outbox together. Each placed order reaches the ERP's drop folder as exactly one document from one delivery,
each buyer gets exactly one confirmation e-mail, no task is left in the broker or failed, every schedule due fires
once (not once per cluster), a confirmation whose task was lost is sent once by the sweep, and ``/healthz`` reports
the database, the broker and the worker heartbeat healthy. A backup of it (pg_dump) restores into a scratch database
with every order (``bin/portal-restore-test``). Every process the profile started is gone afterwards, whatever
happened."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

from demo.tests.dealer_http import DealerHttp
from demo.tests.site import (
    ROOT,
    DemoSite,
    dealer_buyer_emails,
    dealer_buyers_code,
    demo_site_prepare,
    postgres_database_drop,
    profile_env,
    redis_flush,
    scratch_database_name,
    session_pids,
)

REDIS_URL = os.environ.get("PROFILE_REDIS_URL", "redis://127.0.0.1:6379/5")
BUYER = "buyer@demo.b2bportal.local"
DEMO_PASSWORD = "demo12345!"
LOAD_PASSWORD = "load-buyer-2026!"
CONCURRENT_BUYERS = 8
ONCE_SCHEDULES = 12
# The clusters run their scheduler about 30 s after they start, then every 30 s.
SCHEDULER_WAIT = 75

ONCE_SCHEDULES_CODE = """
from datetime import timedelta
from django.utils import timezone
from django_q.models import Schedule
now = timezone.now().replace(microsecond=0)
for n in range({count}):
    Schedule.objects.create(
        name=f"profile:once:{{n}}", func="b2bportal.tasks.worker_heartbeat", schedule_type=Schedule.ONCE,
        repeats=1, next_run=now - timedelta(minutes=n + 1), intended_date_kwarg="scheduled_for",
    )
"""

# An order placed five minutes ago whose confirmation task was lost (a cluster killed): the sweep sends it.
LOST_CONFIRMATION_CODE = """
from datetime import timedelta
from django.utils import timezone
from orders.models import Order
lost = Order.objects.exclude(placed_by=None).order_by("-placed_at").first()
Order.objects.filter(pk=lost.pk).update(confirmation_sent_at=None, placed_at=timezone.now() - timedelta(minutes=5))
print("LOST", lost.number, lost.placed_by.email)
"""


@pytest.fixture(scope="module")
def profile(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("profile")
    database_name = scratch_database_name("profile")
    site = demo_site_prepare("postgresql", workdir, database_name)
    left: list[int] = []
    try:
        # One shell for the three (each manage.py start costs seconds): buyers, due schedules, a lost confirmation.
        code = dealer_buyers_code(CONCURRENT_BUYERS, LOAD_PASSWORD) + ONCE_SCHEDULES_CODE.format(count=ONCE_SCHEDULES)
        output = site.manage("shell", "--no-imports", "-c", code + LOST_CONFIRMATION_CODE)
        site.buyers = dealer_buyer_emails(CONCURRENT_BUYERS)
        site.lost_confirmation = re.search(r"^LOST (\S+) (\S+)$", output, re.M).groups()
        redis_flush(REDIS_URL)
        # The release steps (migrate, collectstatic) run first; the suite's other processes share the two cores.
        site.start("portal-profile", profile_env(site, redis_url=REDIS_URL, web_workers=2, clusters=2), timeout=180)
        site.started_at = time.monotonic()
        site.placed = {}
        yield site
    finally:
        session = site.process.pid if site.process else None
        # As a service manager stops it: SIGTERM to the script, which stops gunicorn and the clusters.
        site.stop(signal.SIGTERM, group=False)
        left = session_pids(session) if session else []
        postgres_database_drop(site.database_url)
        redis_flush(REDIS_URL)
    assert not left, f"processes of the profile still running: {left}"
    failures = site.log_failures()
    assert not failures, "the profile logged failures:\n" + "\n".join(failures) + "\n\n" + site.log()[-8000:]


def query(site: DemoSite, sql: str, *params) -> list[tuple]:
    with psycopg.connect(site.database_url.replace("postgres://", "postgresql://", 1)) as connection:
        return connection.execute(sql, params).fetchall()


def wait_until(condition, timeout: float, what: str, interval: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(interval)
    raise AssertionError(f"{what}: not within {timeout:.0f} s")


def healthz(site: DemoSite, **headers) -> tuple[int, dict]:
    request = urllib.request.Request(f"{site.url}/healthz", headers=headers)  # noqa: S310 (http on loopback)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def processes(site: DemoSite) -> dict[int, tuple[bytes, int]]:
    """The profile's live processes: pid → (command line, parent pid)."""
    found = {}
    for pid in session_pids(site.process.pid):
        try:
            parent = int((Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[1])
            found[pid] = ((Path("/proc") / str(pid) / "cmdline").read_bytes(), parent)
        except (OSError, ValueError):
            continue
    return found


def cluster_of_pid(site: DemoSite) -> dict[int, int]:
    """Each process of a task worker cluster → the pid of its ``manage.py qcluster`` (a child of the script)."""
    found = processes(site)
    parents = {pid: parent for pid, (_command, parent) in found.items()}
    clusters = {p for p, (command, parent) in found.items() if b"qcluster" in command and parent == site.process.pid}
    owner = {}
    for pid in parents:
        ancestor = pid
        while ancestor in parents and ancestor not in clusters:
            ancestor = parents[ancestor]
        if ancestor in clusters:
            owner[pid] = ancestor
    return owner


def test_a_dealer_signs_in_browses_fills_the_cart_and_places_an_order(profile):
    dealer = DealerHttp(profile.url, headers=profile.headers)
    dealer.sign_in(BUYER, DEMO_PASSWORD)
    catalogue = dealer.catalogue()
    assert 'data-testid="add-to-cart"' in catalogue.text
    search = dealer.catalogue("kablo")
    assert dealer.product_paths(search), "the search found no product"
    product = dealer.get(dealer.product_paths(catalogue)[0])
    assert 'data-testid="add-to-cart"' in product.text
    dealer.add_to_cart(product)
    cart = dealer.get("/orders/cart/")
    assert 'data-testid="cart-total"' in cart.text
    number = dealer.place_order(po_number="PO-PROFILE-1", note="Profile journey")
    profile.placed[number] = BUYER
    order = dealer.get(f"/orders/{number}/")
    assert "Profile journey" in order.text

    # The production settings are the ones in force: secure cookies, HSTS, and plain HTTP sent to HTTPS.
    fresh = DealerHttp(profile.url, headers=profile.headers).request("GET", "/accounts/login/")
    assert "secure" in fresh.headers["set-cookie"].lower()
    assert "max-age" in order.headers["strict-transport-security"]
    plain = DealerHttp(profile.url).request("GET", "/catalog/")
    assert plain.status == 301 and plain.headers["location"].startswith("https://")
    # WhiteNoise serves the collected, hashed static files with a long cache.
    stylesheet = re.search(r'href="(/static/[^"]+\.css)"', catalogue.text).group(1)
    assert re.search(r"\.[0-9a-f]{12}\.css$", stylesheet), stylesheet
    static = dealer.get(stylesheet)
    assert "max-age=315360000" in static.headers["cache-control"]


def test_dealers_ordering_at_once_reach_the_erp_once_each_and_get_one_email_each(profile):
    def journey(n_email):
        n, email = n_email
        dealer = DealerHttp(profile.url, headers=profile.headers)
        dealer.sign_in(email, LOAD_PASSWORD)
        page = dealer.catalogue()
        dealer.add_to_cart(page)
        dealer.add_to_cart(dealer.catalogue("kablo") if n % 2 else page)
        return dealer.place_order(payment_method="on_account", po_number=f"PO-LOAD-{n}"), email

    with ThreadPoolExecutor(CONCURRENT_BUYERS) as pool:
        placed = dict(pool.map(journey, enumerate(profile.buyers)))
    assert len(placed) == CONCURRENT_BUYERS
    profile.placed.update(placed)
    numbers = sorted(profile.placed)

    # Both clusters take the drain and confirmation tasks from the one Redis list; each order is delivered once.
    def exported():
        rows = query(
            profile,
            "SELECT o.number, j.status, j.attempts FROM erpsync_syncjob j JOIN orders_order o ON o.id = j.object_id "
            "WHERE j.kind = 'order_export' AND o.number = ANY(%s)",
            numbers,
        )
        statuses = {r[0]: r for r in rows}
        return statuses if statuses and all(r[1] == "succeeded" for r in rows) else None

    placed_statuses = dict(query(profile, "SELECT number, status FROM orders_order WHERE number = ANY(%s)", numbers))
    held = {n for n, s in placed_statuses.items() if s in ("on_hold", "awaiting_dealer_approval", "awaiting_payment")}
    jobs = wait_until(exported, 40, "every approved order's export delivered")
    assert set(jobs) == set(numbers) - held, (placed_statuses, jobs)
    # Orders held by the placement rules (stock taken by the others at once, a dealer's exposure) are right not to go
    # out; enough must go out for two clusters to compete over them.
    reasons = query(profile, "SELECT number, status, hold_reasons FROM orders_order WHERE number = ANY(%s)", numbers)
    assert len(jobs) >= 2, reasons
    assert all(attempts == 1 for _n, _s, attempts in jobs.values()), jobs
    one_job_each = query(
        profile,
        "SELECT identity_key, count(*) FROM erpsync_syncjob WHERE kind = 'order_export' GROUP BY 1 HAVING count(*) > 1",
    )
    assert one_job_each == []
    outbound = profile.workdir / "erp-drop" / "outbound"
    # The demo's own portal orders (an accepted quote, a recurring run) were written before; these are this test's.
    files = sorted(p.stem for p in (outbound / "orders").glob("*.xml") if p.stem in numbers)
    assert files == sorted(jobs), files
    assert sorted(p.stem for p in (outbound / "sent" / "orders").glob("*.xml") if p.stem in numbers) == files
    sent_to_erp = query(
        profile, "SELECT count(*) FROM orders_order WHERE number = ANY(%s) AND status = %s", files, "sent_to_erp"
    )
    assert sent_to_erp == [(len(files),)]

    # One confirmation per order, to its buyer; no e-mail twice.
    def confirmations():
        found = Counter(
            (m["To"], number) for m in profile.mails() for number in numbers if number in (m["Subject"] or "")
        )
        return found if len(found) == len(numbers) else None

    found = wait_until(confirmations, 40, "a confirmation e-mail for every order")
    assert found == Counter({(email, number): 1 for number, email in profile.placed.items()})
    sent = Counter((m["To"], m["Subject"]) for m in profile.mails())
    assert [pair for pair, times in sent.items() if times > 1] == []
    unsent = query(
        profile, "SELECT number FROM orders_order WHERE number = ANY(%s) AND confirmation_sent_at IS NULL", numbers
    )
    assert unsent == []


def test_each_due_schedule_fires_once_with_two_clusters_and_healthz_sees_the_heartbeat(profile):
    names = [f"profile:once:{n}" for n in range(ONCE_SCHEDULES)]

    def fired():
        rows = query(profile, 'SELECT "group", success FROM django_q_task WHERE "group" = ANY(%s)', names)
        return rows if len(rows) >= ONCE_SCHEDULES else None

    left = max(5, SCHEDULER_WAIT - (time.monotonic() - profile.started_at))
    wait_until(fired, left, "the due schedules' tasks")
    time.sleep(3)  # the other cluster's scheduler pass, had it created a second task, would be done by now
    runs = query(
        profile,
        'SELECT "group", count(*), bool_and(success) FROM django_q_task WHERE "group" = ANY(%s) GROUP BY 1',
        names,
    )
    assert sorted(runs) == sorted((name, 1, True) for name in names)
    assert query(profile, "SELECT count(*) FROM django_q_schedule WHERE name = ANY(%s) AND repeats = 0", names) == [
        (ONCE_SCHEDULES,)
    ]

    # The heartbeat, every schedule run recording the time it was due: no due time twice.
    beats = query(profile, "SELECT scheduled_for, worker FROM b2bportal_workerheartbeat")
    due = Counter(at for at, _ in beats)
    assert [at for at, times in due.items() if times > 1] == []
    assert len(beats) >= ONCE_SCHEDULES + 1  # the twelve above and the minute heartbeat
    # Both clusters ran tasks: the work is shared, not taken by one.
    owner = cluster_of_pid(profile)
    assert len(set(owner.values())) == 2, owner
    ran_on = {owner.get(int(worker.rsplit(":", 1)[1])) for _, worker in beats}
    assert len(ran_on - {None}) == 2, (beats, owner)

    # Nothing left in the broker, nothing failed.
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        assert client.llen("django_q:b2bportal:q") == 0
    finally:
        client.close()
    assert query(profile, "SELECT func, result FROM django_q_task WHERE NOT success") == []

    # The confirmation whose task was lost is sent by the sweep, once.
    number, email = profile.lost_confirmation
    wait_until(lambda: [m for m in profile.mails(email) if number in m["Subject"]], 20, "the lost confirmation")
    assert len([m for m in profile.mails() if number in m["Subject"]]) == 1

    status, body = healthz(profile)
    assert status == 200, body
    assert body["checks"] == {"database": "ok", "broker": "ok", "worker": "ok"}
    # A load balancer probes the node's own address over plain HTTP.
    status, _ = healthz(profile, Host="10.0.0.5")
    assert status == 200


def restore_test(profile: DemoSite, *args: str) -> subprocess.CompletedProcess:
    env = {**profile.env, "PYTHON": sys.executable, "DATABASE_URL": profile.database_url}
    return subprocess.run(
        [str(ROOT / "bin" / "portal-restore-test"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def scratch_exists(profile: DemoSite) -> bool:
    server, name = profile.database_url.rsplit("/", 1)
    with psycopg.connect(f"{server}/postgres".replace("postgres://", "postgresql://", 1)) as connection:
        found = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (f"{name}_restore_test",))
        return found.fetchone() is not None


def test_a_backup_of_the_running_portal_restores_with_every_order(profile):
    orders = query(profile, "SELECT count(*) FROM orders_order")[0][0]
    done = restore_test(profile)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"orders_order: {orders} rows" in done.stdout
    assert "the backup restores" in done.stdout
    assert not scratch_exists(profile)


def test_a_damaged_backup_fails_the_restore_test_and_leaves_no_scratch_database(profile, tmp_path):
    damaged = tmp_path / "damaged.dump"
    damaged.write_bytes(b"PGDMP" + b"\x00" * 200)
    done = restore_test(profile, str(damaged))
    assert done.returncode != 0
    assert "the backup restores" not in done.stdout
    assert not scratch_exists(profile)


def test_when_one_process_dies_the_profile_stops_the_others(profile):
    """Last: a profile with its web server gone must not go on looking alive to its service manager."""
    script = profile.process.pid
    gunicorn = [
        pid for pid, command in processes(profile).items() if command[1] == script and b"gunicorn" in command[0]
    ]
    assert len(gunicorn) == 1, gunicorn
    os.kill(gunicorn[0], signal.SIGKILL)
    profile.process.wait(timeout=40)
    assert profile.process.returncode != 0
    wait_until(lambda: not session_pids(script), 30, "every process of the profile stopped")
    assert "a process exited" in profile.log()


@pytest.mark.parametrize(
    ("database_url", "redis_url", "says"),
    [
        ("sqlite:////tmp/portal.sqlite3", REDIS_URL, "DATABASE_URL must point at PostgreSQL"),
        ("postgres://postgres@127.0.0.1:5432/b2bportal", "", "REDIS_URL must be set"),
    ],
)
def test_the_profile_refuses_to_start_without_postgresql_or_redis(database_url, redis_url, says):
    env = {**os.environ, "PYTHON": sys.executable, "DATABASE_URL": database_url, "REDIS_URL": redis_url}
    done = subprocess.run(
        [str(ROOT / "bin" / "portal-profile")], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2
    assert says in done.stderr
