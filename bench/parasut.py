"""Benchmark of the Paraşüt adapter against the Paraşüt simulator, on PostgreSQL: how long a first import takes under
Paraşüt's rate limit, and how many orders a minute fit it.

The ERP is ``erpsync.simulators.parasut.ParasutSimulator``, its company built directly in Python (fixed seed, no
HTTP): 5,000 products (``--products``; 80 % with stock tracking, each in 1 to 3 of 3 warehouses; a tenth priced in
USD or EUR; some without a code, some archived) and 2,000 customer contacts (``--contacts``). A connection
``parasut`` (credentials from the environment, as in production) reads it with ``customer_code`` ``tax_number``.

1. First import, at full speed: the simulator's limit off and the adapter's budget wide open, each entity imported
   with ``sync_import`` into empty tables, in dependency order. For each entity: the requests the adapter made
   (counted at the simulator) and the wall time. Under Paraşüt's limit (10 requests per 10 s per company) the
   import can make ten requests per window at best; the adapter's budget also leaves a safety margin of 0.25 s per
   window, so the time under the limit is computed as requests × (10.25 s / 10). Both stock modes are shown:
   ``warehouses`` (one request per tracked product) and ``total`` (the products' own ``stock_count``).
2. Orders: ``--orders`` approved orders of ``--lines`` lines exported as the outbox does (``order_lookup`` by the
   number, then ``order_push``, which looks the order up again, narrowly, before it creates the invoice), at full
   speed; requests per order counted at the simulator. Under the limit: 60 / (requests per order × 1.025 s)
   orders a minute, when nothing else uses the company's budget.
3. ``--limited N`` (default 30): N requests sent through the adapter with the real limit on at the simulator and in
   the adapter, for another company (a budget of its own): the measured seconds, and the most requests the
   simulator saw in any 10 s (must be at most 10) and how many it answered 429 (must be none); 0 skips it.

It uses its own database, ``postgres://postgres@127.0.0.1:5432/b2bportal_bench_parasut`` unless
``BENCH_PARASUT_DATABASE_URL`` says otherwise, dropped and created at every run and dropped at the end unless
``--keep``.

    make bench-parasut
    .venv/bin/python bench/parasut.py [--products N] [--contacts N] [--orders N] [--lines N] [--limited N] [--keep]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time

# Run as a script: this folder is on the path.
from common import SEED, erp_connection, erp_order, export_orders, tax_number, timed_imports
from database import machine_facts, migrate, run, setup_django

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/b2bportal_bench_parasut"
PRODUCTS, CONTACTS, ORDERS, LINES, LIMITED = 5_000, 2_000, 20, 5, 30
CREDENTIALS_REF = "BENCH_PARASUT_ERP"
LIMIT, WINDOW, MARGIN = 10, 10.0, 0.25
SECONDS_PER_REQUEST = (WINDOW + MARGIN) / LIMIT
ENTITIES = ("unit", "warehouse", "price_list", "product", "stock", "price", "customer", "balance")


def build_company(company, products: int, contacts: int) -> dict:
    """Fill the simulator's company directly; returns what the checks need."""
    rng = random.Random(SEED)  # noqa: S311 - benchmark figures, not secrets
    warehouses = [company.add_warehouse(name) for name in ("Merkez Depo", "Ankara Depo", "İzmir Depo")]
    tracked = 0
    codes = []
    for number in range(products):
        currency = rng.choices(["TRL", "USD", "EUR"], weights=[90, 6, 4])[0]
        code = None if number % 250 == 7 else f"STK-{number:05d}"
        product = company.add_product(
            code=code,
            name=f"Ürün {number} — ışıklı şişe çöp kovası",
            unit=rng.choice(["Adet", "Adet", "Adet", "Kg", "Metre"]),
            vat_rate=rng.choice([1.0, 10.0, 20.0]),
            list_price=round(rng.uniform(1, 5000), 2),
            currency=currency,
            barcode=f"869{number:010d}" if number % 3 else None,
            archived=number % 97 == 0,
        )
        if number % 5:
            tracked += 1
            for warehouse in rng.sample(warehouses, rng.randint(1, 3)):
                company.set_stock(product, warehouse, rng.randint(0, 900))
        if code and currency == "TRL" and not product.attributes["archived"]:
            codes.append(code)
    for number in range(contacts):
        company.add_contact(
            f"Bayi {number} Ticaret Ltd. Şti.",
            tax_number=tax_number(100_000_000 + number * 7),
            tax_office="Şişli",
            city="İstanbul",
            address=f"Atatürk Cad. No:{number}",
            email=f"bayi{number}@example.com",
            trl_balance=float(number % 1000),
            balance=float(number % 1000),
        )
    bank = company.add_account("Garanti BBVA TL")
    return {"tracked": tracked, "codes": codes, "bank": bank.id}


def create_connection(sim, bank: int, stock_mode: str):
    return erp_connection(
        f"parasut-{stock_mode}",
        name="Paraşüt",
        adapter="parasut",
        credentials_ref=CREDENTIALS_REF,
        is_default=stock_mode == "warehouses",
        settings={
            "base_url": sim.root_url,
            "company_id": sim.company_id,
            "customer_code": "tax_number",
            "payment_accounts": {"*": str(bank)},
            "stock_mode": stock_mode,
            "stock_warehouse": "1001",
            "rate_limit": 1_000_000,
        },
    )


def export_orders_to(sim, connection, codes: list[str], count: int, lines: int) -> tuple[int, float]:
    """``count`` orders exported as the outbox does; returns (requests, seconds)."""
    rng = random.Random(SEED)  # noqa: S311 - benchmark figures, not secrets
    contacts = [c.attributes["tax_number"] for c in list(sim.company.tables["contacts"].values())[:50]]
    orders = (erp_order(rng, f"B2B-BENCH-{number:05d}", contacts, codes, lines, unit="Adet") for number in range(count))
    return export_orders(connection, orders, lambda: len(sim.stats.requests))


def limited_run(url_sim_factory, count: int) -> tuple[float, int, int]:
    """``count`` requests with the real limit on both sides: (seconds, most in any 10 s at the simulator, 429s)."""
    from erpsync.adapters.parasut import ParasutAdapter

    with url_sim_factory() as sim:
        credentials = {
            "client_id": sim.client_id,
            "client_secret": sim.client_secret,
            "username": sim.username,
            "password": sim.password,
        }
        settings = {"base_url": sim.root_url, "company_id": sim.company_id, "throttle_retries": 0}
        started = time.monotonic()
        with ParasutAdapter(settings=settings, credentials=credentials) as adapter:
            for _ in range(count):
                adapter._call("GET", "warehouses", query={"page[size]": 1})
        return time.monotonic() - started, sim.most_in_window(), sim.throttled


def minutes(seconds: float) -> str:
    return f"{seconds / 60:,.1f} min" if seconds >= 90 else f"{seconds:,.1f} s"


def measure(url: str, sim, args) -> list[str]:
    from erpsync.simulators.parasut import ParasutSimulator

    problems: list[str] = []
    setup_django(
        url,
        CREDENTIALS_REF,
        CLIENT_ID=sim.client_id,
        CLIENT_SECRET=sim.client_secret,
        USERNAME=sim.username,
        PASSWORD=sim.password,
    )
    migrate()
    started = time.monotonic()
    built = build_company(sim.company, args.products, args.contacts)
    print(
        f"Company built in {time.monotonic() - started:.1f} s: {args.products:,} products "
        f"({built['tracked']:,} tracked), {args.contacts:,} contacts"
    )
    sim.start()
    by_mode = {}
    for mode in ("warehouses", "total"):
        connection = create_connection(sim, built["bank"], mode)
        entities = ENTITIES if mode == "warehouses" else ("stock",)
        by_mode[mode] = [row[:4] for row in timed_imports(connection, entities, lambda: len(sim.stats.requests))]
    rows = by_mode["warehouses"]
    total_stock = by_mode["total"][0]
    print("\nFirst import at full speed, and under Paraşüt's limit (10 requests / 10 s, +0.25 s margin):")
    print(f"{'entity':<12}{'requests':>10}{'measured':>12}{'under limit':>14}  status")
    all_requests = all_seconds = 0
    for entity, requests, took, status in rows:
        all_requests += requests
        all_seconds += took
        print(f"{entity:<12}{requests:>10,}{took:>11.1f}s{minutes(requests * SECONDS_PER_REQUEST):>14}  {status}")
        if status not in ("succeeded", "partial"):
            problems.append(f"import of {entity}: {status}")
    print(f"{'all':<12}{all_requests:>10,}{all_seconds:>11.1f}s{minutes(all_requests * SECONDS_PER_REQUEST):>14}")
    light = all_requests - rows[ENTITIES.index("stock")][1] + total_stock[1]
    print(
        f"with stock_mode total (stock: {total_stock[1]:,} requests): {light:,} requests, "
        f"{minutes(light * SECONDS_PER_REQUEST)} under the limit"
    )

    connection = create_connection(sim, built["bank"], "warehouses")
    requests, took = export_orders_to(sim, connection, built["codes"], args.orders, args.lines)
    per_order = requests / args.orders
    print(
        f"\nOrders ({args.lines} lines, looked up by number, then pushed): {args.orders} in {took:.1f} s at "
        f"full speed, {per_order:.1f} requests each → {60 / (per_order * SECONDS_PER_REQUEST):.1f} orders a "
        "minute under the limit"
    )
    invoices = [r.attributes["order_no"] for r in sim.company.tables["sales_invoices"].values()]
    if len(invoices) != len(set(invoices)) or len(invoices) != args.orders:
        problems.append(f"{len(invoices)} invoices for {args.orders} orders")
    if args.limited:
        seconds, most, throttled = limited_run(
            lambda: ParasutSimulator(rate_limit=LIMIT, rate_window=WINDOW), args.limited
        )
        print(
            f"\nUnder the real limit: {args.limited} requests and the token's in {seconds:.1f} s (10 at a time, "
            f"one window of {WINDOW + MARGIN:g} s after another); most in any 10 s at the simulator: {most}; "
            f"answered 429: {throttled}"
        )
        if most > LIMIT or throttled:
            problems.append(f"the limit did not hold: {most} in 10 s, {throttled} throttled")
    print("\n" + machine_facts())
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=PRODUCTS)
    parser.add_argument("--contacts", type=int, default=CONTACTS)
    parser.add_argument("--orders", type=int, default=ORDERS)
    parser.add_argument("--lines", type=int, default=LINES)
    parser.add_argument("--limited", type=int, default=LIMITED, help="requests sent under the real limit (0: none)")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args(argv)
    url = os.environ.get("BENCH_PARASUT_DATABASE_URL", DEFAULT_DATABASE_URL)
    # Imported after the path is set: the simulator is the project's.
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    from erpsync.simulators.parasut import ParasutSimulator

    sim = ParasutSimulator(rate_limit=0)
    return run(url, lambda: measure(url, sim, args), keep=args.keep, stop=sim.stop)


if __name__ == "__main__":
    sys.exit(main())
