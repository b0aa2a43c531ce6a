"""Helpers shared by the benchmarks that place orders and report latencies, and by the ERP adapter benchmarks (Django
set up by the caller)."""

from __future__ import annotations

import argparse
import math
import random
import statistics
import time
from datetime import date
from decimal import Decimal

# Run as a script: this folder is on the path.
from database import BenchError

SEED = 2026  # the ERP adapter benchmarks' figures come from this seed


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


def fill_cart(buyer, lines) -> str:
    """Empty the buyer's active cart, add ``lines`` (product, quantity) and return the signature the buyer
    confirms at checkout."""
    from orders.models import Cart, CartLine
    from orders.pricing import cart_priced
    from orders.services import cart_line_add

    CartLine.objects.filter(cart__owner=buyer.user, cart__kind=Cart.Kind.ACTIVE).delete()
    for product, quantity in lines:
        cart_line_add(dealer_user=buyer, product=product, quantity=quantity)
    cart = Cart.objects.get(owner=buyer.user, kind=Cart.Kind.ACTIVE)
    return cart_priced(dealer=buyer.dealer, cart=cart).signature


# --- The ERP adapter benchmarks: a simulated ERP, a connection to it, imports, order export and live stock ---------


def count_options(doc: str, argv: list[str] | None, **counts: int) -> argparse.Namespace:
    """The options of an ERP benchmark: ``--<name> N`` for each of ``counts`` (its default), in order, then
    ``--keep`` (the database stays); the description is the first paragraph of ``doc``."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    for name, default in counts.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, default=default)
    parser.add_argument("--keep", action="store_true")
    return parser.parse_args(argv)


def tax_number(base: int) -> str:
    """A valid VKN (10 digits, the last a check digit), as the portal checks them."""
    from stdnum.tr import vkn

    digits = f"{base:09d}"
    return digits + vkn.calc_check_digit(digits)


def erp_connection(code: str, *, name: str, adapter: str, credentials_ref: str, is_default: bool, settings: dict,
                   tax_codes: dict[str, str] | None = None):  # fmt: skip
    """The connection ``code`` (created or updated) and its tax code map (the ERP's rate → the portal's; by default
    1, 10 and 20 each to itself)."""
    from erpsync.models import ErpConnection, ValueMap

    connection, _ = ErpConnection.objects.update_or_create(
        code=code,
        defaults={
            "name": name,
            "adapter": adapter,
            "credentials_ref": credentials_ref,
            "is_default": is_default,
            "settings": settings,
        },
    )
    for external, local in (tax_codes or {rate: rate for rate in ("1", "10", "20")}).items():
        ValueMap.objects.get_or_create(
            connection=connection, kind=ValueMap.Kind.TAX_CODE, external_value=external, defaults={"local_value": local}
        )
    return connection


def timed_imports(connection, entities, requests) -> list[tuple[str, int, float, str, int]]:
    """A full ``sync_import`` of each entity in turn: (entity, requests the ERP saw, seconds, status, records), where
    ``requests()`` counts what the ERP has answered so far."""
    from erpsync.importers import sync_import

    rows = []
    for entity in entities:
        before = requests()
        started = time.monotonic()
        run = sync_import(connection=connection, entity=entity, full=True)
        took = time.monotonic() - started
        rows.append((entity, requests() - before, took, run.status, run.created + run.updated + run.unchanged))
    return rows


def print_imports(
    rows, *, counted: str = "requests", failed: str = "import of", totals=None, note: str = ""
) -> list[str]:
    """Print the table of an import, (entity, ``counted``, seconds, status) a row, and the line of all (over
    ``totals``, by default every row, with ``note`` after it); the problems: the entities that did not import."""
    problems = []
    print(f"{'entity':<12}{counted:>10}{'seconds':>10}  status")
    for entity, count, took, status, *_ in rows:
        print(f"{entity:<12}{count:>10,}{took:>10.1f}  {status}")
        if status not in ("succeeded", "partial"):
            problems.append(f"{failed} {entity}: {status}")
    totals = rows if totals is None else totals
    print(f"{'all':<12}{sum(r[1] for r in totals):>10,}{sum(r[2] for r in totals):>10.1f}{note}")
    return problems


def erp_order(rng: random.Random, reference: str, customers: list[str], codes: list[str], lines: int, *,
              unit: str, price: str = "100", vat=lambda code: Decimal("20")):  # fmt: skip
    """An open-account order in TRY: ``lines`` lines of items drawn from ``codes`` (1 to 9 each at ``price``, the
    rate ``vat(code)``), for a customer drawn from ``customers``."""
    from erpsync.adapters.base import ErpOrder, ErpOrderLine

    order_lines = tuple(
        ErpOrderLine(i + 1, code, Decimal(rng.randint(1, 9)), unit, Decimal(price), vat(code))
        for i, code in enumerate(rng.sample(codes, lines))
    )
    return ErpOrder(
        reference, rng.choice(customers), date.today(), "TRY", "open_account", order_lines,
        Decimal(0), Decimal(0), Decimal(0),
    )  # fmt: skip


def push_order(adapter, order) -> None:
    """What the outbox does: look the order up, push it when the ERP has none."""
    if adapter.order_lookup(order.reference) is None:
        adapter.order_push(order)


def export_orders(connection, orders, requests=None) -> tuple[int, float]:
    """Push ``orders`` (made as they are pushed) through one adapter; (requests the ERP saw, seconds), where
    ``requests()`` counts what the ERP has answered so far (none counted without it)."""
    from erpsync.adapters import adapter_for

    before = requests() if requests else 0
    started = time.monotonic()
    with adapter_for(connection) as adapter:
        for order in orders:
            push_order(adapter, order)
    return (requests() if requests else 0) - before, time.monotonic() - started


def throughput(title: str, count: int, took: float, requests: int | None = None, unit: str = "requests") -> str:
    """``title: N in S s = R a second`` and, given the requests, how many each took."""
    line = f"{title}: {count} in {took:.1f} s = {count / took:.1f} a second"
    return line if requests is None else f"{line}, {requests / count:.1f} {unit} each"


def live_checks(connection, codes: list[str], checks: int) -> list[float]:
    """``live_stock`` of 50 items drawn from ``codes``, ``checks`` times after one to open the session: each in ms."""
    from erpsync.adapters import adapter_for

    rng = random.Random(SEED)  # noqa: S311 - benchmark figures, not secrets
    took = []
    with adapter_for(connection) as adapter:
        adapter.live_stock(codes[:1])  # the token
        for _ in range(checks):
            cart = rng.sample(codes, 50)
            started = time.perf_counter()
            found = adapter.live_stock(cart)
            took.append((time.perf_counter() - started) * 1000)
            if len({s.product_code for s in found}) != 50:
                raise BenchError(f"live stock answered {len(found)} rows for 50 items")
    return took


def live_stock_line(how: str, took: list[float], note: str = "") -> str:
    """The median and p95 of the live stock checks."""
    took = sorted(took)
    p95 = took[max(0, int(len(took) * 0.95) - 1)]
    return (
        f"\nLive stock of a 50-line cart ({how}, {len(took)} checks): median {statistics.median(took):.1f} ms, "
        f"p95 {p95:.1f} ms{note}"
    )
