"""Demo orders with lines and a status history that follows the transition map."""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, ROUND_DOWN, Decimal

from django.utils import translation
from django.utils.translation import gettext

from catalog.models import Product
from catalog.prices import PriceStep, steps_snapshot
from dealers.models import DealerAddress
from demo.catalogue import PRICE_LISTS, PriceBook, ProductPlan
from demo.company import BUYER_APPROVAL_LIMIT, EMAIL_DOMAIN, USD_RATE, money, price4
from demo.customers import EGE, KUZEY, YILDIZ, DealerPlan
from demo.erp_export import ErpPlan
from demo.rows import BATCH_SIZE, Context, ids, insert_missing
from demo.users import ADMIN_EMAIL
from orders.models import Order, OrderLine, OrderStatusChange
from orders.notifications import order_status_notify
from orders.reasons import reasons_text
from orders.rules import HOLD
from orders.status import OrderStatus, can_transition

ORDER_PREFIX = "B2B-2026-"
DEMO_LANGUAGE = "tr"  # the demo company's own staff and system write Turkish
S = OrderStatus

FORWARD = [S.SUBMITTED, S.APPROVED, S.SENT_TO_ERP, S.CONFIRMED, S.IN_FULFILMENT, S.SHIPPED, S.INVOICED, S.CLOSED]
PATHS: dict[str, list[str]] = {
    **{status: FORWARD[: FORWARD.index(status) + 1] for status in FORWARD},
    S.AWAITING_DEALER_APPROVAL: [S.SUBMITTED, S.AWAITING_DEALER_APPROVAL],
    S.ON_HOLD: [S.SUBMITTED, S.ON_HOLD],
    S.AWAITING_PAYMENT: [S.SUBMITTED, S.AWAITING_PAYMENT],
    S.PARTIALLY_SHIPPED: [*FORWARD[:5], S.PARTIALLY_SHIPPED],
    S.CANCELLED: [S.SUBMITTED, S.APPROVED, S.CANCELLED],
    S.REJECTED: [S.SUBMITTED, S.ON_HOLD, S.REJECTED],
}
SHIPPED_STATES = {S.SHIPPED, S.INVOICED, S.CLOSED}


@dataclass(frozen=True)
class _OrderScript:
    dealer: str
    user: str
    status: str
    days_ago: int
    hold_rules: tuple[str, ...] = ()  # the placement rules that held it (orders.rules), recorded as placement does
    path: tuple[str, ...] = ()
    payment_method: str = Order.PaymentMethod.ON_ACCOUNT


ORDER_SCRIPTS = [
    _OrderScript(YILDIZ, "bayi", S.CLOSED, 58),
    _OrderScript(YILDIZ, "alici", S.INVOICED, 45),
    _OrderScript(YILDIZ, "bayi", S.SHIPPED, 30),
    _OrderScript(YILDIZ, "onay", S.PARTIALLY_SHIPPED, 21),
    _OrderScript(YILDIZ, "bayi", S.IN_FULFILMENT, 12),
    _OrderScript(YILDIZ, "alici", S.CONFIRMED, 9),
    _OrderScript(YILDIZ, "bayi", S.SENT_TO_ERP, 2),
    _OrderScript(
        YILDIZ, "alici", S.APPROVED, 3, path=(S.SUBMITTED, S.AWAITING_DEALER_APPROVAL, S.APPROVED)
    ),
    _OrderScript(YILDIZ, "alici", S.AWAITING_DEALER_APPROVAL, 1, hold_rules=("buyer_limit",)),
    _OrderScript(YILDIZ, "bayi", S.ON_HOLD, 1, hold_rules=("stock",)),
    _OrderScript(YILDIZ, "bayi", S.SUBMITTED, 0),
    _OrderScript(YILDIZ, "alici", S.CANCELLED, 16),
    _OrderScript(YILDIZ, "bayi", S.REJECTED, 25, hold_rules=("manual_review",)),
    _OrderScript(EGE, "buyer", S.INVOICED, 40),
    _OrderScript(EGE, "buyer", S.CONFIRMED, 7),
    _OrderScript(EGE, "buyer", S.SUBMITTED, 0),
    _OrderScript(KUZEY, "kuzey", S.ON_HOLD, 4, hold_rules=("credit_hold", "credit_limit")),
    _OrderScript(KUZEY, "kuzey", S.AWAITING_PAYMENT, 0, payment_method=Order.PaymentMethod.CARD),
]  # fmt: skip


MAX_LINES = 5


@dataclass
class _LinePlan:
    plan: ProductPlan
    unit_code: str
    unit_factor: Decimal
    quantity: Decimal
    unit_price_net: Decimal
    unit_price_gross: Decimal
    explanation: list[tuple[str, Decimal, dict]]

    @property
    def net(self) -> Decimal:
        return money(self.quantity * self.unit_price_net)

    @property
    def vat(self) -> Decimal:
        return money(self.net * self.plan.vat / 100)


def _price_line(
    plan: ProductPlan, list_code: str, vat_included: bool, quantity: Decimal, prices: PriceBook, in_cases: bool
) -> _LinePlan:
    """The line's price from the planned list, with the steps placement would have explained it by (kind, amount
    after the step, parameters; ``catalog.prices.PriceStep``)."""
    if in_cases:
        unit_code, factor = "KOLI", Decimal(plan.case_factor)
        listed = prices.case.get((list_code, plan.sku))
        if listed is None:
            unit_listed = prices.breaks[list_code, plan.sku][0][1]
            listed = unit_listed * factor
            explanation = [
                ("list", price4(unit_listed), {"code": list_code}),
                ("pack", price4(listed), {"factor": factor, "unit": unit_code}),
            ]
        else:
            explanation = [("list", price4(listed), {"code": list_code})]
    else:
        unit_code, factor = plan.unit, Decimal("1")
        min_qty, listed = max(
            (tier for tier in prices.breaks[list_code, plan.sku] if tier[0] <= quantity), key=lambda t: t[0]
        )
        explanation = [("list", price4(prices.breaks[list_code, plan.sku][0][1]), {"code": list_code})]
        if min_qty > 1:
            explanation.append(("tier", price4(listed), {"min": min_qty}))
    rate = 1 + plan.vat / 100
    if vat_included:
        net, gross = price4(listed / rate), price4(listed)
        explanation.append(("without_vat", net, {"rate": plan.vat}))
    else:
        net, gross = price4(listed), price4(listed * rate)
    explanation.append(("vat", gross, {"rate": plan.vat}))
    return _LinePlan(plan, unit_code, factor, quantity, net, gross, explanation)


def _plan_lines(
    rng: random.Random,
    script: _OrderScript,
    candidates: list[ProductPlan],
    list_code: str,
    vat_included: bool,
    prices: PriceBook,
) -> list[_LinePlan]:
    """1-5 lines; a buyer's order stays within their approval limit unless it is waiting for that approval."""
    limit = BUYER_APPROVAL_LIMIT if script.user == "alici" else None
    must_exceed = limit is not None and S.AWAITING_DEALER_APPROVAL in (script.status, *script.path)
    lines: list[_LinePlan] = []
    wanted = rng.randint(1, MAX_LINES)
    for _ in range(100):
        if len(lines) >= wanted and (not must_exceed or _gross(lines) > limit):
            break
        plan = rng.choice(candidates)
        if any(line.plan.sku == plan.sku for line in lines):
            continue
        quantity, in_cases = _line_quantity(rng, plan, prices.breaks[list_code, plan.sku][0][1], list_code)
        line = _price_line(plan, list_code, vat_included, quantity, prices, in_cases)
        if limit is not None and not must_exceed and _gross([*lines, line]) > limit:
            continue
        if must_exceed and len(lines) == MAX_LINES - 1 and _gross([*lines, line]) <= limit:
            continue  # the last line must take the order over the limit
        lines.append(line)
    return lines


def _line_quantity(rng: random.Random, plan: ProductPlan, unit_price: Decimal, list_code: str) -> tuple[Decimal, bool]:
    """A quantity worth roughly 800-30,000 TRY that respects the item's minimum and multiple, and whether
    it is counted in cases."""
    target = Decimal(f"{math.exp(rng.uniform(math.log(800), math.log(30_000))):.2f}")
    if list_code == "USD-EXP":
        target /= USD_RATE
    case_price = unit_price * (plan.case_factor or 0)
    if plan.case_factor and plan.order_multiple == 1 and 0 < case_price <= target and rng.random() < 0.4:
        return Decimal(min(10, int(target / case_price))), True
    quantity = max(1, int(target / unit_price))
    if quantity > 20:
        quantity -= quantity % (10 if quantity > 100 else 5)
    multiple = plan.order_multiple
    return max(plan.min_order_qty, (Decimal(quantity) / multiple).to_integral_value(ROUND_CEILING) * multiple), False


def _gross(lines: list[_LinePlan]) -> Decimal:
    return sum((line.net + line.vat for line in lines), Decimal("0"))


def load_orders(ctx: Context, plan: ErpPlan, dealer_ids: dict[str, int], user_ids: dict[str, int]) -> None:
    """Orders with lines and a status history that follows the transition map, for the products, dealers and
    delivery addresses the sync created.

    An order that already exists is left alone with its lines and history; the random draws happen
    either way, so the orders created are the same whichever of them are missing.
    """
    ctx.log("Orders")
    rng = ctx.rng
    prices = plan.prices
    product_ids = ids(Product, "sku")
    by_code = {d.code: d for d in plan.dealers}
    code_by_id = {dealer_id: code for code, dealer_id in dealer_ids.items()}
    ordering = [dealer_ids[code] for code in {script.dealer for script in ORDER_SCRIPTS}]
    addresses = {
        code_by_id[address.dealer_id]: address
        for address in DealerAddress.objects.filter(dealer_id__in=ordering, code="SEV-01")
    }
    vat_included = {code: included for code, _n, _c, included in PRICE_LISTS}
    sellable = [p for p in plan.products if p.sellable]
    existing = set(Order.objects.filter(number__startswith=ORDER_PREFIX).values_list("number", flat=True))
    orders: list[Order] = []
    lines: list[OrderLine] = []
    history: list[tuple[OrderStatusChange, datetime]] = []
    for index, script in enumerate(ORDER_SCRIPTS, start=1):
        dealer = by_code[script.dealer]
        candidates = [p for p in sellable if (dealer.price_list, p.sku) in prices.breaks]
        planned = _plan_lines(rng, script, candidates, dealer.price_list, vat_included[dealer.price_list], prices)
        placed_at = ctx.now - timedelta(days=script.days_ago, hours=rng.randint(1, 9), minutes=rng.randint(0, 59))
        order = _build_order(ctx, index, script, dealer, dealer_ids, addresses, user_ids, planned, placed_at)
        steps = _build_history(ctx, script, order, user_ids, placed_at)
        order.updated_at = steps[-1][1]
        if order.number in existing:
            continue
        orders.append(order)
        lines += [
            _build_line(order, line_no, line, product_ids[line.plan.sku])
            for line_no, line in enumerate(planned, start=1)
        ]
        for change, when in steps:
            change.order = order
            history.append((change, when))
    insert_missing(ctx, orders, ("number",))
    # auto_now_add stamps rows with the time of insert; bulk_update writes the planned history times back.
    Order.objects.bulk_update(orders, ["created_at", "updated_at"], batch_size=BATCH_SIZE)
    changes = [change for change, _when in history]
    for row in [*lines, *changes]:
        row.order_id = row.order.pk  # the orders had no primary key when their lines were built
    insert_missing(ctx, lines, ("order_id", "line_no"))
    OrderStatusChange.objects.bulk_create(changes, batch_size=BATCH_SIZE)
    for change, when in history:
        change.created_at = when
    OrderStatusChange.objects.bulk_update(changes, ["created_at"], batch_size=BATCH_SIZE)
    ctx.log(f"  order status changes: {len(changes)} created")
    # The orders still waiting for someone notify them as a live placement would: the dealer's approver, staff.
    last = {change.order_id: change for change in changes}
    for order in orders:
        if order.status in (OrderStatus.AWAITING_DEALER_APPROVAL, OrderStatus.ON_HOLD):
            order_status_notify(order=order, change=last[order.pk])


def _build_order(
    ctx: Context,
    index: int,
    script: _OrderScript,
    dealer: DealerPlan,
    dealer_ids: dict[str, int],
    addresses: dict[str, DealerAddress],
    user_ids: dict[str, int],
    lines: list[_LinePlan],
    placed_at: datetime,
) -> Order:
    rng = ctx.rng
    total_net = sum((line.net for line in lines), Decimal("0"))
    total_vat = sum((line.vat for line in lines), Decimal("0"))
    address = addresses[script.dealer]
    reached_erp = S.CONFIRMED in (script.path or PATHS[script.status])
    po_number = f"PO-{rng.randint(4500000000, 4599999999)}" if dealer.po_number_required or rng.random() < 0.4 else ""
    return Order(
        number=f"{ORDER_PREFIX}{index:06d}",
        dealer_id=dealer_ids[script.dealer],
        placed_by_id=user_ids[f"{script.user}@{EMAIL_DOMAIN}"],
        po_number=po_number,
        status=script.status,
        payment_method=script.payment_method,
        currency=dealer.currency,
        total_net=total_net,
        total_vat=total_vat,
        total_gross=total_net + total_vat,
        idempotency_key=uuid.UUID(int=rng.getrandbits(128), version=4),
        delivery_address_id=address.pk,
        delivery_address_text=address.as_text(),
        requested_delivery_date=(placed_at + timedelta(days=rng.randint(2, 10))).date(),
        note=rng.choice(("", "", "Lütfen teslimattan önce arayınız.", "Forklift yok, elle boşaltma.")),
        hold_reasons=_hold_reasons(script, dealer, lines, total_net + total_vat),
        erp_document_number=f"SS{placed_at:%y}-{rng.randint(1000, 99999):06d}" if reached_erp else "",
        placed_at=placed_at,
        # History: its confirmation went out when it was placed (the portal does not send it again).
        confirmation_sent_at=placed_at + timedelta(minutes=1),
        created_at=placed_at - timedelta(minutes=rng.randint(2, 30)),
    )


def _hold_reasons(script: _OrderScript, dealer: DealerPlan, lines: list[_LinePlan], total: Decimal) -> list[dict]:
    """The reasons as placement records them: rule code, action and the figures (``orders.rules.CheckOutcome``),
    worded in the reader's language when shown."""
    reasons = []
    for rule in script.hold_rules:
        details: dict = {}
        if rule == "stock":
            first = lines[0]
            short = max(Decimal(1), (first.quantity / 2).to_integral_value(ROUND_DOWN)) * first.unit_factor
            details = {"short": {first.plan.sku: f"{short:.3f}"}}
        elif rule == "buyer_limit":
            details = {"approval_limit": str(BUYER_APPROVAL_LIMIT), "order_total": str(total)}
        elif rule == "credit_hold":
            details = {"reason": dealer.credit_hold_reason, "as_of": None}
        elif rule == "credit_limit":
            exposure = dealer.erp_balance + dealer.erp_open_orders + total
            details = {
                "credit_limit": str(dealer.credit_limit),
                "erp_balance": str(dealer.erp_balance),
                "erp_open_orders": str(dealer.erp_open_orders),
                "portal_pending": "0.00",
                "order_total": str(total),
                "exposure": str(exposure),
                "balance_as_of": None,
                "limit_as_of": None,
            }
        reasons.append({"rule": rule, "passed": False, "action": HOLD, "details": details})
    return reasons


def _build_history(
    ctx: Context, script: _OrderScript, order: Order, user_ids: dict[str, int], placed_at: datetime
) -> list[tuple[OrderStatusChange, datetime]]:
    """One audit row per step, from "" to the current status; refuses a step the transition map forbids."""
    path = list(script.path or PATHS[script.status])
    placed_by = user_ids[f"{script.user}@{EMAIL_DOMAIN}"]
    admin = user_ids[ADMIN_EMAIL]
    approver = user_ids[f"onay@{EMAIL_DOMAIN}"]
    history = []
    when = placed_at
    previous = ""
    for status in path:
        if previous and not can_transition(previous, status):
            raise ValueError(f"Demo order {order.number}: {previous} → {status} is not an allowed transition.")
        actor, source, reason = None, OrderStatusChange.Source.SYSTEM, ""
        if status == S.SUBMITTED:
            actor, source = placed_by, OrderStatusChange.Source.DEALER
        elif status == S.AWAITING_DEALER_APPROVAL:
            with translation.override(DEMO_LANGUAGE):
                reason = gettext("Above the buyer's approval limit.")
        elif status == S.ON_HOLD:
            with translation.override(DEMO_LANGUAGE):
                reason = reasons_text(order.hold_reasons, order.currency)
        elif status == S.AWAITING_PAYMENT:
            with translation.override(DEMO_LANGUAGE):
                reason = gettext("Waiting for the payment.")
        elif status == S.APPROVED and previous == S.AWAITING_DEALER_APPROVAL:
            # Notes people typed, in the demo company's language.
            actor, source, reason = approver, OrderStatusChange.Source.DEALER, "Uygun, proje siparişi."
        elif status == S.APPROVED:
            with translation.override(DEMO_LANGUAGE):
                reason = gettext("All placement checks passed.")
        elif status == S.REJECTED:
            actor, source, reason = admin, OrderStatusChange.Source.STAFF, "Bayi ile görüşüldü, reddedildi."
        elif status == S.CANCELLED:
            actor, source, reason = placed_by, OrderStatusChange.Source.DEALER, "Yanlışlıkla iki kez verildi."
        elif status in (S.CONFIRMED, S.IN_FULFILMENT, S.PARTIALLY_SHIPPED, S.SHIPPED, S.INVOICED, S.CLOSED):
            source = OrderStatusChange.Source.ERP
        change = OrderStatusChange(from_status=previous, to_status=status, actor_id=actor, source=source, reason=reason)
        history.append((change, when))
        previous = status
        when += timedelta(hours=ctx.rng.randint(1, 30) if status != S.SUBMITTED else 0, minutes=ctx.rng.randint(1, 50))
    # Later steps are squeezed before "now": a recent order cannot have a history in the future.
    latest = ctx.now - timedelta(minutes=1)
    if history[-1][1] > latest:
        span = (history[-1][1] - placed_at) or timedelta(seconds=1)
        room = max(latest - placed_at, timedelta(0))
        history = [(change, placed_at + (at - placed_at) * (room / span)) for change, at in history]
    return history


def _build_line(order: Order, line_no: int, line: _LinePlan, product_id: int) -> OrderLine:
    """Shipped and backordered quantities follow the order's status; a partial delivery sent half of each line."""
    shipped = Decimal("0")
    if order.status in SHIPPED_STATES:
        shipped = line.quantity
    elif order.status == S.PARTIALLY_SHIPPED:
        shipped = (line.quantity / 2).quantize(Decimal("1"), rounding=ROUND_DOWN)
    backordered = line.quantity - shipped if order.status == S.PARTIALLY_SHIPPED else Decimal("0")
    net, vat = line.net, line.vat
    return OrderLine(
        order=order,
        line_no=line_no,
        product_id=product_id,
        sku=line.plan.sku,
        name=line.plan.name,
        name_en=line.plan.name_en,
        unit_code=line.unit_code,
        unit_factor=line.unit_factor,
        quantity=line.quantity,
        unit_price_net=line.unit_price_net,
        unit_price_gross=line.unit_price_gross,
        vat_rate=line.plan.vat,
        line_net=net,
        line_vat=vat,
        line_gross=net + vat,
        price_list_currency=order.currency,
        price_explanation=steps_snapshot(
            PriceStep(kind, amount, order.currency, params) for kind, amount, params in line.explanation
        ),
        shipped_qty=shipped,
        backordered_qty=backordered,
    )
