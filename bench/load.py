"""Load on the production profile: signed-in dealers browsing, searching, adding to their carts and placing orders.

The demo company is prepared as for ``make run`` in its own PostgreSQL database (``b2bportal_bench_load`` unless
``BENCH_LOAD_DATABASE_URL`` says otherwise; dropped and created every run), with one extra buyer per simulated dealer
(spread over its 44 active dealers not on credit hold) and plenty of stock (so every placement succeeds: overselling
is ``bench/orders.py``'s subject). Then, for each configuration, ``bin/portal-profile`` starts (gunicorn with W sync
workers, C task worker clusters on the Redis broker, production settings as a demonstration site) and N dealers
(default 50), each its own session, loop with no pause for D seconds (default 60):

    catalogue page (1–5) → search → product page → add to cart → every third round (a third of the dealers in each
    round): checkout, place the order, and the order's page.

Per configuration it prints requests/s and orders/min within the window, latency p50/p95/p99 per page as the
dealer's client measures it (queueing for a free web worker included) and the time the request spent in the gunicorn
worker (its access log), the machine's load average before the run and the CPU the load generator itself used (it
runs on the same machine), errors (any answer other than the one a browser expects: must be 0),
and after the load the seconds until both the outbox and the confirmation e-mails have caught up. Configurations:
1, 2 and 3 web workers with 2 clusters, and 3 web workers with 1 cluster (``--configs`` to choose).

    make bench-load                                  # installs the Python packages, starts PostgreSQL and Redis
    .venv/bin/python bench/load.py [--dealers 50] [--duration 60] [--configs 1x2,2x2,3x2,3x1]

Redis database 6 is used and emptied (``--redis-url``). Sessions are kept across configurations (the same
``SECRET_KEY``): dealers sign in once, before the first configuration, and sign-in is not part of the figures.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import resource
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import percentile  # noqa: E402
from demo.tests.dealer_http import DealerHttp, RequestFailed  # noqa: E402
from demo.tests.site import (  # noqa: E402
    DemoSite,
    dealer_buyers_create,
    demo_site_prepare,
    postgres_database_drop,
    profile_env,
    redis_flush,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/b2bportal_bench_load"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/6"
PASSWORD = "load-buyer-2026!"  # noqa: S105 - a published password, in the benchmark database only
SEARCHES = ["kablo", "led", "vida", "boya", "priz", "matkap", "sigorta", "eldiven", "hortum", "anahtar"]
PAGES = ["catalogue", "search", "product", "add to cart", "checkout", "place order", "order"]
ORDER_EVERY = 3

PLENTY_OF_STOCK_CODE = """
from catalog.models import StockLevel
print(StockLevel.objects.update(on_hand=1_000_000, committed_erp=0, reserved_portal=0))
"""


class Recorder:
    """Latencies of the answers that arrive inside the measured window (a dealer's round may run past its end: what
    arrives after it is not counted)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.orders: list[str] = []
        self.window = (0.0, 0.0)

    def start(self, started: float, stop_at: float) -> None:
        self.latency.clear()
        self.errors.clear()
        self.orders.clear()
        self.window = (started, stop_at)

    def answer(self, label, answer) -> None:
        if self.window[0] <= time.monotonic() <= self.window[1]:
            with self.lock:
                self.latency[label].append(answer.seconds)

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text)


def dealer_loop(dealer: DealerHttp, seed: int, stop_at: float, recorder: Recorder) -> None:
    rng = random.Random(seed)  # noqa: S311 - which page a simulated dealer opens
    rounds = seed % ORDER_EVERY  # a third of the dealers place an order in each round
    while time.monotonic() < stop_at:
        rounds += 1
        try:
            page = dealer.get(f"/catalog/?page={rng.randint(1, 5)}", label="catalogue")
            dealer.catalogue(rng.choice(SEARCHES), label="search")
            product = dealer.get(rng.choice(dealer.product_paths(page)), label="product")
            answer = dealer.post("/orders/cart/add/", add_fields(product.text), label="add to cart", expect=302)
            dealer.get(answer.location, label="product")
            if rounds % ORDER_EVERY == 0:
                number = dealer.place_order(payment_method="on_account", po_number=f"LOAD-{seed}-{rounds}")
                if time.monotonic() <= stop_at:
                    with recorder.lock:
                        recorder.orders.append(number)
        except (RequestFailed, OSError, StopIteration, IndexError) as exc:
            recorder.error(f"{type(exc).__name__}: {exc}")


def add_fields(html: str) -> dict[str, str]:
    from demo.tests.dealer_http import forms_of

    form = next(f for f in forms_of(html) if f.attrs.get("data-testid") == "add-to-cart")
    return form.fields


def sign_in_all(site: DemoSite, emails: list[str], recorder: Recorder) -> list[DealerHttp]:
    dealers = [DealerHttp(site.url, headers=site.headers, on_answer=recorder.answer) for _ in emails]
    threads = [threading.Thread(target=d.sign_in, args=(e, PASSWORD)) for d, e in zip(dealers, emails, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return dealers


def backlog(site: DemoSite) -> tuple[int, int]:
    """(order exports not yet delivered, placed orders whose confirmation has not gone out)."""
    import psycopg

    with psycopg.connect(site.database_url.replace("postgres://", "postgresql://", 1)) as connection:
        jobs = connection.execute(
            "SELECT count(*) FROM erpsync_syncjob WHERE kind = 'order_export' AND status <> 'succeeded'"
        ).fetchone()[0]
        mails = connection.execute(
            "SELECT count(*) FROM orders_order WHERE number LIKE 'P%%' AND confirmation_sent_at IS NULL"
        ).fetchone()[0]
    return jobs, mails


def run_config(site, env, dealers, web, clusters, duration, recorder) -> dict:
    env = {**env, "WEB_WORKERS": str(web), "CLUSTERS": str(clusters)}
    site.start("portal-profile", env, timeout=120)
    try:
        # Warm up: every worker process imports and connects before the clock starts.
        for dealer in dealers[: web * 4]:
            dealer.get("/catalog/", label="warm-up")
        log_offset = len(site.log())
        load_before = os.getloadavg()[0]
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        started = time.monotonic()
        stop_at = started + duration
        recorder.start(started, stop_at)
        threads = [threading.Thread(target=dealer_loop, args=(d, n, stop_at, recorder)) for n, d in enumerate(dealers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        elapsed = duration
        tail = time.monotonic() - started - duration
        drained_at = None
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if backlog(site) == (0, 0):
                drained_at = max(0.0, time.monotonic() - started - duration - tail)
                break
            time.sleep(1)
    finally:
        site.stop(signal.SIGTERM, group=False)
    server = server_times(site.log()[log_offset:])
    client_cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    requests = sum(len(v) for v in recorder.latency.values())
    return {
        "web": web,
        "clusters": clusters,
        "seconds": elapsed,
        "requests": requests,
        "rps": requests / elapsed,
        "orders": len(recorder.orders),
        "orders_per_min": len(recorder.orders) / elapsed * 60,
        "errors": list(recorder.errors),
        "drain": drained_at,
        "load_before": load_before,
        "client_cpu": client_cpu / (duration + tail),
        "server": {
            label: (len(v), percentile(v, 50), percentile(v, 95), percentile(v, 99)) for label, v in server.items() if v
        },
        "pages": {
            label: (
                len(values),
                percentile(values, 50) * 1000,
                percentile(values, 95) * 1000,
                percentile(values, 99) * 1000,
            )
            for label, values in recorder.latency.items()
            if values
        },
    }


ACCESS_LINE = re.compile(r'"(GET|POST) (\S+) HTTP/[\d.]+" (\d{3}) \S+ (\d+)ms')


def server_label(method: str, path: str) -> str | None:
    if path.startswith("/catalog/p/"):
        return "product"
    if path.startswith("/catalog/"):
        return "search" if "q=" in path else "catalogue"
    if path == "/orders/cart/add/":
        return "add to cart"
    if path == "/orders/checkout/":
        return "place order" if method == "POST" else "checkout"
    if re.match(r"^/orders/P[\w-]+/$", path):
        return "order"
    return None


def server_times(log: str) -> dict[str, list[float]]:
    """Time in the gunicorn worker per page (ms), from the profile's access log (``%(M)s``)."""
    times: dict[str, list[float]] = defaultdict(list)
    for method, path, _status, ms in ACCESS_LINE.findall(log):
        label = server_label(method, path)
        if label:
            times[label].append(float(ms))
    return times


def report(result: dict) -> None:
    drain = f"{result['drain']:.1f} s" if result["drain"] is not None else "not within 300 s"
    print(
        f"\n== {result['web']} web worker(s), {result['clusters']} cluster(s): {result['rps']:.1f} requests/s, "
        f"{result['orders_per_min']:.0f} orders/min ({result['orders']} in {result['seconds']:.0f} s), "
        f"errors {len(result['errors'])}, outbox and e-mails caught up {drain} after the load"
    )
    print(
        f"   machine load average before: {result['load_before']:.1f}; the load generator used "
        f"{result['client_cpu']:.2f} CPU"
    )
    print(
        f"   {'page':<12} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}   "
        f"{'server p50':>10} {'p95':>6} {'p99':>6}"
    )
    for label in PAGES:
        if label in result["pages"]:
            n, p50, p95, p99 = result["pages"][label]
            s50, s95, s99 = result["server"].get(label, (0, 0, 0, 0))[1:]
            print(f"   {label:<12} {n:>8} {p50:>8.0f} {p95:>8.0f} {p99:>8.0f}   {s50:>10.0f} {s95:>6.0f} {s99:>6.0f}")
    for error in result["errors"][:10]:
        print(f"   error: {error}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dealers", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--configs", default="1x2,2x2,3x2,3x1", help="web workers x clusters, comma-separated")
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL)
    args = parser.parse_args()
    database_url = os.environ.get("BENCH_LOAD_DATABASE_URL", DEFAULT_DATABASE_URL)
    configs = [tuple(int(x) for x in c.split("x")) for c in args.configs.split(",")]

    print(
        f"Machine: {os.cpu_count()} CPUs ({platform.processor() or platform.machine()}), "
        f"Python {platform.python_version()}"
    )
    print("The load generator (Python threads) runs on the same machine and shares its CPUs with the portal.")
    workdir = Path(tempfile.mkdtemp(prefix="b2bportal-load-"))
    _server, name = database_url.rsplit("/", 1)
    os.environ["DATABASE_URL"] = database_url
    t0 = time.monotonic()
    site = demo_site_prepare("postgresql", workdir, name)
    emails = dealer_buyers_create(site, args.dealers, PASSWORD)
    site.manage("shell", "--no-imports", "-c", PLENTY_OF_STOCK_CODE)
    print(f"Prepared the demo company and {len(emails)} buyers in {time.monotonic() - t0:.0f} s ({workdir})")
    redis_flush(args.redis_url)
    env = profile_env(site, redis_url=args.redis_url)
    env["SECRET_KEY"] = secrets.token_urlsafe(60)  # one key: the sessions last across configurations
    recorder = Recorder()
    results = []
    try:
        site.start("portal-profile", {**env, "WEB_WORKERS": "3", "CLUSTERS": "1"}, timeout=120)
        t0 = time.monotonic()
        dealers = sign_in_all(site, emails, recorder)
        print(f"{len(dealers)} dealers signed in in {time.monotonic() - t0:.0f} s")
        site.stop(signal.SIGTERM, group=False)
        for web, clusters in configs:
            result = run_config(site, env, dealers, web, clusters, args.duration, recorder)
            report(result)
            results.append(result)
    finally:
        site.stop(signal.SIGTERM, group=False)
        failures = site.log_failures()
        postgres_database_drop(database_url)
        redis_flush(args.redis_url)
        shutil.rmtree(workdir, ignore_errors=True)

    print(f"\nSummary ({len(emails)} dealers, {args.duration:.0f} s each, no pause between requests):")
    print(f"   {'web':>3} {'clusters':>8} {'req/s':>7} {'orders/min':>10} {'p95 ms (all)':>12} {'errors':>6}")
    for r in results:
        p95_all = max(p95 for _n, _p50, p95, _p99 in r["pages"].values())
        print(
            f"   {r['web']:>3} {r['clusters']:>8} {r['rps']:>7.1f} {r['orders_per_min']:>10.0f} {p95_all:>12.0f} "
            f"{len(r['errors']):>6}"
        )
    if failures:
        print("The profile logged failures:\n" + "\n".join(failures[:20]))
    return 1 if failures or any(r["errors"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
