"""Benchmark of the dealer API on PostgreSQL: the catalogue endpoint at 100,000 products, and placing an order
through the API against the portal's checkout form (the same ``order_place`` underneath).

The catalogue is the one ``bench/catalog.py`` builds (100,000 products in about 2,000 categories, 5 warehouses,
three price lists with quantity breaks, 5,000 dealers with 20,000 agreements), in a database of its own,
``postgres://postgres@127.0.0.1:5432/b2bportal_bench_api`` unless ``BENCH_API_DATABASE_URL`` says otherwise, built
once (``--rebuild`` starts over). The benchmark dealer user gets an API key with every scope.

In-process (Django's test client, the request's whole server time, after a warm-up) it measures:

* ``GET /api/v1/products/?page_size=50``: the first page, a page deep in the catalogue (by its cursor), one
  category, and a delta (``updated_since``); SQL queries of one request, p50/p95/max server time and CPU;
* the queries at page sizes 10, 50, 100 and 200, which must be the same;
* placing a 10-line order: ``POST /api/v1/orders/`` (with an Idempotency-Key) against the checkout form's POST
  (``/orders/checkout/``, the cart filled beforehand and not timed), alternating, p50/p95 of each and the difference.

Goals, printed with the figures: the catalogue endpoint at most 10 queries, the same at every page size, p95 at
most 50 ms; the API's order at most 10 ms above the form's. The load average is printed with the figures (the
machine is shared: compare CPU time, which does not grow while a request waits for a processor).

    make bench-api                                # installs the Python packages, then runs this
    .venv/bin/python bench/api.py [--rebuild] [--requests N] [--orders N] [--products N]
"""

from __future__ import annotations

import argparse
import base64
import importlib.util
import os
import sys
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

# Run as a script: this folder is on the path.
from database import BenchError, ensure_database, migrate

HERE = Path(__file__).resolve().parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/b2bportal_bench_api"
GOAL_QUERIES, GOAL_P95_MS, GOAL_ORDER_EXTRA_MS = 10, 50.0, 10.0
ORDER_LINES = 10


def _catalogue_bench():
    """``bench/catalog.py`` under another name: its builder and measuring helpers (``catalog`` is the app's name)."""
    spec = importlib.util.spec_from_file_location("bench_catalog", HERE / "catalog.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


cb = _catalogue_bench()


def api_client():
    """A client signed in with a fresh API key of the benchmark dealer user (older bench keys revoked)."""
    from rest_framework.test import APIClient

    from accounts.models import User
    from api.models import ApiKey
    from api.services import api_key_create, api_key_revoke
    from dealers.models import DealerUser

    member = DealerUser.objects.select_related("user").get(user=User.objects.get(email=cb.BENCH_EMAIL))
    for old in ApiKey.objects.filter(dealer_user=member, name="bench", revoked_at__isnull=True):
        api_key_revoke(api_key=old)
    _row, key = api_key_create(dealer_user=member, name="bench", scopes=["read", "order", "account"])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client, member


def catalogue_pages(client) -> list:
    """The measured catalogue requests: first page, a deep page, one category, a delta."""
    from django.utils import timezone

    from catalog.models import Category, Product

    first = cb.get_ok(client, "/api/v1/products/?page_size=50").json()
    if not first["results"]:
        raise BenchError("The benchmark dealer sees no products; the catalogue is not what the benchmark needs")
    # A cursor half-way through the catalogue: keyset paging costs the same there as on the first page.
    middle = Product.objects.order_by("pk").values_list("pk", flat=True)[Product.objects.count() // 2]
    deep = cb.get_ok(client, f"/api/v1/products/?page_size=50&cursor={_cursor(middle)}").json()
    category = (
        Category.objects.filter(products__isnull=False).order_by("pk").values_list("code", flat=True).distinct()[:1]
    )
    since = (timezone.now() - timedelta(days=1)).isoformat()
    Product.objects.filter(pk__in=Product.objects.order_by("-pk").values("pk")[:500]).update(updated_at=timezone.now())
    base = "/api/v1/products/?page_size=50"
    if not deep["results"]:
        raise BenchError("The page from the middle of the catalogue is empty")
    return [
        cb.Page("first", "products, first page of 50", [base]),
        cb.Page("deep", "products, 50 from the middle (cursor)", [f"{base}&cursor={_cursor(middle)}"]),
        cb.Page("category", "products, one category", [f"{base}&category={category[0]}"]),
        cb.Page("delta", "products, updated_since (500 changed)", [f"{base}&updated_since={quote(since)}"]),
    ]


def _cursor(pk: int) -> str:
    return base64.urlsafe_b64encode(f"pk:{pk}".encode()).decode().rstrip("=")


def order_lines(client, member) -> list[dict]:
    """Ten products this dealer may order now as given (the dry run says "ok"), at their minimum quantity."""
    lines, cursor = [], ""
    while len(lines) < ORDER_LINES:
        page = cb.get_ok(client, f"/api/v1/products/?page_size=200&in_stock=1{cursor}").json()
        candidates = [
            {"sku": row["sku"], "quantity": row["min_order_qty"]}
            for row in page["results"]
            if row["price"]["priced"]
            and Decimal(row["availability"]["available"]) > 100 * Decimal(row["min_order_qty"])
        ]
        if candidates:
            report = client.post("/api/v1/orders/validate/", {"lines": candidates}, format="json").json()
            lines += [c for c, r in zip(candidates, report["lines"], strict=True) if r["status"] == "ok"]
        if not page["next_cursor"]:
            break
        cursor = f"&cursor={page['next_cursor']}"
    if len(lines) < ORDER_LINES:
        raise BenchError("Not enough orderable products in stock for a 10-line order")
    return lines[:ORDER_LINES]


def ensure_delivery_address(member) -> int:
    from dealers.models import DealerAddress

    address = DealerAddress.objects.filter(dealer=member.dealer, kind="shipping", is_active=True).first()
    if address is None:
        address = DealerAddress.objects.create(
            dealer=member.dealer, kind="shipping", name="Merkez depo", line1="Atatürk Cad. 1", city="İstanbul",
            is_default=True,
        )  # fmt: skip
    return address.pk


def measure_orders(client, member, lines: list[dict], count: int) -> dict[str, list[float]]:
    """``count`` orders each way, alternating: the API's POST, and the checkout form's POST on a cart filled
    beforehand (not timed). Bank transfer: no credit limit decides, so both orders take the same path."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from catalog.models import Product
    from orders.models import Cart
    from orders.pricing import cart_priced
    from orders.services import cart_line_add

    address = ensure_delivery_address(member)
    web = Client()
    web.force_login(member.user)
    products = {p.sku: p for p in Product.objects.filter(sku__in=[line["sku"] for line in lines])}
    times: dict[str, list[float]] = {"api": [], "form": []}
    cpu: dict[str, list[float]] = {"api": [], "form": []}
    queries: dict[str, int] = {}
    for i in range(count + 2):  # the first two of each are a warm-up
        body = {"lines": lines, "payment_method": "bank_transfer", "delivery_address": address}
        with CaptureQueriesContext(connection) as captured:
            started, cpu_started = time.perf_counter(), time.thread_time()
            response = client.post("/api/v1/orders/", body, format="json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()))
            took, took_cpu = time.perf_counter() - started, time.thread_time() - cpu_started
        if response.status_code != 201:
            raise BenchError(f"POST /api/v1/orders/ answered {response.status_code}: {response.content[:500]!r}")
        if i >= 2:
            times["api"].append(took * 1000)
            cpu["api"].append(took_cpu * 1000)
        queries["api"] = len(captured.captured_queries)
        for line in lines:
            cart_line_add(dealer_user=member, product=products[line["sku"]], quantity=Decimal(line["quantity"]))
        cart = Cart.objects.get(owner=member.user, kind=Cart.Kind.ACTIVE, dealer=member.dealer)
        form = {
            "delivery_address": address,
            "payment_method": "bank_transfer",
            "idempotency_key": str(uuid.uuid4()),
            "signature": cart_priced(dealer=member.dealer, cart=cart).signature,
            "po_number": "",
            "note": "",
        }
        with CaptureQueriesContext(connection) as captured:
            started, cpu_started = time.perf_counter(), time.thread_time()
            response = web.post("/orders/checkout/", form)
            took, took_cpu = time.perf_counter() - started, time.thread_time() - cpu_started
        if response.status_code != 302 or "/orders/" not in response["Location"]:
            raise BenchError(f"POST /orders/checkout/ answered {response.status_code}, not the order page")
        if i >= 2:
            times["form"].append(took * 1000)
            cpu["form"].append(took_cpu * 1000)
        queries["form"] = len(captured.captured_queries)
    return {"times": times, "cpu": cpu, "queries": queries}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rebuild", action="store_true", help="drop the benchmark database and build it again")
    parser.add_argument("--requests", type=int, default=200, help="in-process requests per catalogue page")
    parser.add_argument("--orders", type=int, default=30, help="orders placed each way (API and form)")
    parser.add_argument("--products", type=int, default=cb.PRODUCTS, help="catalogue size (default 100000)")
    parser.add_argument("--budget", type=int, default=60, help="seconds per page before a slow page stops early")
    parser.add_argument("--show-sql", action="store_true", help="print the slowest query of each page")
    args = parser.parse_args(argv)
    url = os.environ.get("BENCH_API_DATABASE_URL", DEFAULT_DATABASE_URL)
    if "api" not in url.rsplit("/", 1)[-1]:
        print("BENCH_API_DATABASE_URL must name a database of its own (with 'api' in its name)", file=sys.stderr)
        return 2
    try:
        ensure_database(url, drop=args.rebuild)
        # The benchmark's requests are not to be throttled: a rate far above what one process can ask for.
        cb.django_environment(url, ALLOWED_HOSTS="127.0.0.1,testserver", API_RATE="1000000/s")
        import django

        django.setup()
        migrate()
        cb.ensure_catalogue(url, args.products)
        client, member = api_client()
        print("Load average (1, 5, 15 min) at the start: " + ", ".join(f"{v:.2f}" for v in os.getloadavg()))
        pages = catalogue_pages(client)
        print(f"In-process, Django test client, API key: {cb.WARMUP} warm-up requests, then {args.requests} per page")
        for page in pages:
            cb.measure_page(client, page, args)
        sizes = {size: cb.query_count(client, f"/api/v1/products/?page_size={size}") for size in (10, 50, 100, 200)}
        print("  queries by page size: " + ", ".join(f"{size}: {q} ({n} SKUs)" for size, (q, n) in sizes.items()))
        lines = order_lines(client, member)
        print(f"Orders of {ORDER_LINES} lines, {args.orders} each way, alternating (after 2 warm-up each):")
        found = measure_orders(client, member, lines, args.orders)
        p = cb.percentile
        for kind, label in (("api", "POST /api/v1/orders/"), ("form", "POST /orders/checkout/ (form)")):
            t, c = found["times"][kind], found["cpu"][kind]
            print(
                f"  {label:<32} {found['queries'][kind]:>3} queries, p50 {p(t, 50):6.1f} ms, p95 {p(t, 95):6.1f} ms, "
                f"max {max(t):6.1f} ms, Django CPU p50 {p(c, 50):6.1f} ms"
            )
        extra = p(found["times"]["api"], 50) - p(found["times"]["form"], 50)
        extra_cpu = p(found["cpu"]["api"], 50) - p(found["cpu"]["form"], 50)
        print()
        print("Goals:")
        counts = {q for q, _n in sizes.values()}
        print(
            f"  catalogue queries ≤ {GOAL_QUERIES} and constant in page size: {sorted(counts)} "
            f"({'met' if len(counts) == 1 and max(counts) <= GOAL_QUERIES else 'NOT MET'})"
        )
        for page in pages:
            p95 = p(page.times_ms, 95)
            verdict = "met" if p95 <= GOAL_P95_MS else "NOT MET"
            print(f"  {page.label:<44} p95 {p95:6.1f} ms ≤ {GOAL_P95_MS:.0f} ms: {verdict}")
        print(
            f"  API order vs form, p50: {extra:+.1f} ms (Django CPU {extra_cpu:+.1f} ms), "
            f"goal ≤ +{GOAL_ORDER_EXTRA_MS:.0f} ms: {'met' if extra <= GOAL_ORDER_EXTRA_MS else 'NOT MET'}"
        )
        print(f"Machine: {cb.machine_facts()}")
        print("Load average (1, 5, 15 min) at the end: " + ", ".join(f"{v:.2f}" for v in os.getloadavg()))
    except BenchError as exc:
        print(f"\nBENCHMARK FAILED: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
