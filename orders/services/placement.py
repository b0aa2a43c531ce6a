"""Placing an order: one short transaction that re-prices, checks credit, applies the rules and reserves stock.

The stock rows are what buyers of the same products wait for, so they are locked last, for as little as possible:
everything that does not need them — pricing, the lines, the credit check, the rules, the order's status and its
notifications — is done first, on the stock figures read without locks when the cart was priced (what each line's
product has free). Then the stock rows of the ordered products are locked, what can be taken from each is decided
again on the locked figures (``catalog.availability.allocate``) and reserved in one statement, and the transaction
commits. When the locked figures give another shortfall than the unlocked ones did (another buyer took the last
units meanwhile), nothing is kept: the order is refused there if the stock rule blocks; otherwise the placement
starts over — once more the same way, on figures read after the change, and if the stock moves again, a third
time locking the stock rows before deciding the rules — so its outcome is always the one the locked figures give.
When the unlocked figures already show a shortfall the stock rule blocks, the stock rows are locked before
refusing, so a refusal is never decided on figures read without locks either.

Locking discipline (every placement takes the locks in this order, so two placements never wait on each other in
a circle; an accepted quote's placement holds its quote row before all of them, see ``orders.services.quotes``):

1. the new order row — its ``(dealer, idempotency_key)`` is unique, so a second submit with the same key waits
   here for the first and then finds its order instead of placing another;
2. the cart row and the dealer row, locked by the statement that reads the cart's lines (for a quote or a saved
   list: the list's row, then the dealer row on its own; for lines given at once: the dealer row alone) — the
   lines priced are the lines ordered and removed from the cart; credit exposure is read and this order added to
   it under the dealer's lock, so two on-account orders of one dealer cannot both pass the same available credit
   (the pending total is read by a later statement, which sees every order of the dealer committed before the
   lock was granted);
3. the stock rows of the ordered products in primary-key order: the quantity reserved is at most what is free
   under the lock, so concurrent buyers can never reserve the same unit twice.

Nothing outside the database happens inside the transaction; the confirmation e-mail is queued on commit.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.availability import StockAllocation, allocate, sellable_levels
from catalog.models import StockLevel
from catalog.prices import steps_snapshot
from catalog.pricing import DealerPricing
from dealers.access import scoped
from dealers.credit import credit_decision
from dealers.models import Dealer, DealerAddress, DealerUser
from orders import tasks  # through the module: the confirmation hook is looked up when it runs
from orders.exceptions import OrderRefused, PricesChanged
from orders.hooks import erp_stock_rule
from orders.models import Cart, CartLine, Order, OrderLine, OrderStatusChange, QuoteVersion, StockReservation
from orders.pricing import cart_priced, quote_priced
from orders.rules import BACKORDER, HOLD, WARN, CheckOutcome, rule_action
from orders.services.transitions import order_moves_at_placement
from orders.status import OrderStatus

log = logging.getLogger(__name__)
ZERO = Decimal("0")


class _StockMoved(Exception):
    """The locked stock figures give another shortfall than the unlocked ones the placement was decided on."""


class _CartChanged(Exception):
    """The cart's lines changed between pricing them and removing them from the cart."""


def order_place(
    *,
    dealer_user: DealerUser,
    idempotency_key: uuid.UUID,
    payment_method: str,
    delivery_address: DealerAddress | None,
    po_number: str = "",
    requested_delivery_date: dt.date | None = None,
    note: str = "",
    confirmed_signature: str = "",
    quote_version: QuoteVersion | None = None,
    saved_list: Cart | None = None,
    lines: list[CartLine] | None = None,
    pricing: DealerPricing | None = None,
) -> Order:
    """Turn the dealer user's active cart — or, with ``quote_version``, the lines of a quote's sent version at
    their quoted prices — into an order and return it.

    Idempotent: a second call with the same ``idempotency_key`` returns the first order, whatever its outcome.
    Refuses, saving nothing: an empty cart or a line that cannot be ordered (``OrderRefused``), prices or lines that
    changed since the dealer confirmed ``confirmed_signature`` (``PricesChanged``, with the new priced cart), a
    missing PO number where the dealer requires one, another dealer's address, and any rule configured to block.
    Otherwise the order is approved, waits for payment, for the dealer's approver, or for staff, with every check
    recorded in ``placement_checks`` and the failing ones in ``hold_reasons``. A quote's version is priced with
    its frozen prices (``catalog.pricing``'s quote step), so no signature is compared and the cart is left alone.
    With ``saved_list`` (a recurring order's run), the list's lines are priced today and ordered, with nobody to
    confirm a signature; the list and the active cart are left as they are.
    With ``lines`` (unsaved ``CartLine``s: an order a purchasing system sent, see ``orders.services.lines``), those
    lines are priced now and ordered, nothing else read or changed; ``pricing`` may be the ``DealerPricing`` that
    already read the lines' products for the same dealer (its loaded prices are used, not read again).
    """
    request = {
        "dealer_user": dealer_user,
        "idempotency_key": idempotency_key,
        "payment_method": payment_method,
        "delivery_address": delivery_address,
        "po_number": po_number.strip(),
        "requested_delivery_date": requested_delivery_date,
        "note": note.strip(),
        "confirmed_signature": confirmed_signature,
        "quote_version": quote_version,
        "saved_list": saved_list,
        "lines": lines,
        "pricing": pricing,
    }
    try:
        # Another buyer may change the stock of these products in between: then try once more on the figures read
        # after it did, and the third time decide on locked figures.
        for lock_stock_first in (False, False, True):
            try:
                with transaction.atomic():
                    return _place(**request, lock_stock_first=lock_stock_first)
            except _StockMoved:
                continue
        raise AssertionError("unreachable: the last attempt locks the stock rows first")  # pragma: no cover
    except IntegrityError:
        # The key is taken: an earlier submit of this order, or a concurrent one this request waited for.
        existing = Order.objects.filter(dealer_id=dealer_user.dealer_id, idempotency_key=idempotency_key).first()
        if existing is None:
            raise
        return existing
    except _CartChanged:
        # A line was added, changed or removed (another tab, a quote request) while this order was being placed.
        priced = _active_cart_priced(dealer_user)
        if priced is None:
            raise OrderRefused([_("Your cart is empty.")]) from None
        raise PricesChanged(priced) from None


def _place(
    *,
    dealer_user,
    idempotency_key,
    payment_method,
    delivery_address,
    po_number,
    requested_delivery_date,
    note,
    confirmed_signature,
    quote_version,
    saved_list,
    lines,
    pricing,
    lock_stock_first: bool,
) -> Order:
    # 1. The order row first: a concurrent submit with the same key waits here, an earlier one fails here.
    order = _order_row(
        dealer_user, idempotency_key, payment_method, delivery_address, po_number, requested_delivery_date, note
    )
    _check_request(dealer_user, payment_method, delivery_address, requested_delivery_date)
    # 2. The cart and the dealer row (locked), priced now — or the quote's lines at their quoted prices, a saved
    # list, or lines given at once. Credit is decided under the dealer's lock.
    cart_lines = None
    if quote_version is not None:
        priced = _priced_quote(dealer_user.dealer, quote_version)
        dealer = _dealer_locked(dealer_user)
    elif saved_list is not None:
        priced = _priced_list(dealer_user, dealer_user.dealer, saved_list)
        dealer = _dealer_locked(dealer_user)
    elif lines is not None:
        priced = _priced_lines(dealer_user.dealer, lines, pricing)
        dealer = _dealer_locked(dealer_user)
    else:
        cart_lines, priced = _priced_cart(dealer_user, confirmed_signature)
        dealer = cart_lines[0].cart.dealer
    stock_action = rule_action("stock", erp_choice=erp_stock_rule.first())
    needed = _needed(priced)
    if dealer.po_number_required and not po_number:
        raise OrderRefused([_("Your company requires a PO number on every order.")])
    order.currency = dealer.currency
    # 3. The rules, on the stock figures read with the prices (or locked now: see the module's docstring).
    stock = _stock_allocated(needed) if lock_stock_first else None
    shortfall = stock.shortfall if stock is not None else _unlocked_shortfall(priced, needed)
    checks = _checks(dealer, dealer_user, payment_method, priced, shortfall, stock_action)
    if stock is None and any(c.blocks and c.rule == "stock" for c in checks):
        stock = _stock_allocated(needed)
        shortfall = stock.shortfall
        checks = _checks(dealer, dealer_user, payment_method, priced, shortfall, stock_action)
    blocking = [c for c in checks if c.blocks]
    if blocking:
        raise OrderRefused([str(c.message) for c in blocking], checks=checks)
    # 4. Lines, with the price as ordered and its explanation in both languages; the cart emptied of them.
    lines_by_product = _lines_write(order, priced, shortfall)
    if cart_lines is not None:
        _cart_lines_remove(cart_lines)
    # 5. Totals, number, status (with its notifications and hooks).
    _finish(order, priced, checks)
    _route(order, dealer_user, payment_method, checks)
    # 6. Stock: locked last, decided on the locked figures, reserved warehouse by warehouse in one statement.
    if stock is None:
        stock = _stock_allocated(needed)
        if stock.shortfall != shortfall:
            # Refused on the locked figures, if the stock rule blocks: nothing written is kept. Otherwise the
            # order, its lines and status must follow the locked figures: start over.
            checks = _checks(dealer, dealer_user, payment_method, priced, stock.shortfall, stock_action)
            blocking = [c for c in checks if c.blocks]
            if blocking:
                raise OrderRefused([str(c.message) for c in blocking], checks=checks)
            raise _StockMoved
    _reserve(order, stock, lines_by_product)
    transaction.on_commit(lambda: tasks.order_confirmation_queue(order.pk))
    return order


@dataclass(frozen=True)
class PlacementPreview:
    """What placing the priced cart now would do, by payment method: the same checks placement runs (``_checks``:
    ``rule_action``, ``credit_decision``, ``allocate``), read without locks — a guide for the buyer, since stock
    and credit may change before they press the button; placement decides again under its locks.

    ``approvers`` are the names of the dealer's users who may approve this order when it is above the buyer's
    approval limit."""

    checks: dict[str, list[CheckOutcome]]
    approvers: list[str]

    def failing(self, payment_method: str) -> list[CheckOutcome]:
        return [check for check in self.checks[payment_method] if not check.passed]

    def blocking(self, payment_method: str) -> list[CheckOutcome]:
        return [check for check in self.checks[payment_method] if check.blocks]

    def outcome(self, payment_method: str) -> str:
        """Where the order would go: "blocked", "dealer_approval", "staff", or "" (straight on)."""
        failing = self.failing(payment_method)
        if any(check.blocks for check in failing):
            return "blocked"
        if any(check.holds and check.rule == "buyer_limit" for check in failing):
            return "dealer_approval"
        if any(check.holds for check in failing):
            return "staff"
        return ""


def placement_preview(*, dealer_user: DealerUser, priced) -> PlacementPreview:
    """The placement checks for ``priced`` (the dealer user's priced cart) under each payment method, without
    placing or locking anything."""
    dealer = dealer_user.dealer
    shortfall = _stock_allocated(_needed(priced), lock=False).shortfall if priced.lines else {}
    stock_action = rule_action("stock", erp_choice=erp_stock_rule.first())
    checks = {
        method: _checks(dealer, dealer_user, method, priced, shortfall, stock_action)
        for method in Order.PaymentMethod.values
    }
    over_limit = any(c.rule == "buyer_limit" and not c.passed for c in checks[Order.PaymentMethod.CARD])
    approvers = _approver_names(dealer_user, priced.total_gross) if over_limit else []
    return PlacementPreview(checks=checks, approvers=approvers)


def _approver_names(dealer_user: DealerUser, total: Decimal) -> list[str]:
    """The dealer's active approvers and admins whose own limit allows ``total``, the buyer left out."""
    approvers = (
        DealerUser.objects.filter(
            dealer_id=dealer_user.dealer_id,
            is_active=True,
            user__is_active=True,
            role__in=[DealerUser.Role.APPROVER, DealerUser.Role.ADMIN],
        )
        .filter(Q(approval_limit__isnull=True) | Q(approval_limit__gte=total))
        .exclude(pk=dealer_user.pk)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )
    return [approver.user.get_full_name() or approver.user.email for approver in approvers]


def _check_request(dealer_user, payment_method, delivery_address, requested_delivery_date) -> None:
    if payment_method not in Order.PaymentMethod.values:
        raise OrderRefused([_("Choose a payment method.")])
    if delivery_address is not None and delivery_address.dealer_id != dealer_user.dealer_id:
        raise OrderRefused([_("Choose one of your delivery addresses.")])
    if requested_delivery_date is not None and requested_delivery_date < timezone.localdate():
        raise OrderRefused([_("The requested delivery date is in the past.")])


def _order_row(
    dealer_user, idempotency_key, payment_method, delivery_address, po_number, requested_delivery_date, note
) -> Order:
    return Order.objects.create(
        number=f"TMP-{uuid.uuid4().hex[:24]}",
        dealer_id=dealer_user.dealer_id,
        placed_by=dealer_user.user,
        status=OrderStatus.DRAFT,
        payment_method=payment_method,
        idempotency_key=idempotency_key,
        delivery_address=delivery_address,
        delivery_address_text=_address_text(delivery_address),
        po_number=po_number,
        requested_delivery_date=requested_delivery_date,
        note=note,
    )


def _priced_cart(dealer_user, confirmed_signature):
    """The dealer user's active cart and its dealer, both locked and read with the cart's lines in one query (only
    those rows: ``of``), priced now; refuses an empty cart, a line that cannot be ordered and prices that changed
    since the dealer confirmed them. Returns the lines (``lines[0].cart.dealer`` is the locked dealer) and the
    priced cart."""
    lines = list(
        scoped(CartLine.objects.select_for_update(of=("cart", "cart__dealer")), dealer_user)
        .filter(cart__owner=dealer_user.user, cart__kind=Cart.Kind.ACTIVE)
        .select_related("cart__dealer", "product__base_unit", "product__brand", "unit")
        .order_by("pk")
    )
    if not lines:
        raise OrderRefused([_("Your cart is empty.")])
    priced = cart_priced(dealer=lines[0].cart.dealer, cart=lines[0].cart, lines=lines)
    if priced.problems:
        raise OrderRefused([f"{p.line.product.sku}: {p.problem}" for p in priced.problems])
    if priced.signature != confirmed_signature:
        raise PricesChanged(priced)
    return lines, priced


def _active_cart_priced(dealer_user):
    """The dealer user's active cart priced now, or None when it is empty (read without locks, to show)."""
    cart = scoped(Cart.objects.all(), dealer_user).filter(owner=dealer_user.user, kind=Cart.Kind.ACTIVE).first()
    priced = cart_priced(dealer=dealer_user.dealer, cart=cart) if cart is not None else None
    return priced if priced is not None and priced.lines else None


def _cart_lines_remove(lines) -> None:
    """Remove the ordered lines from the cart, and refuse (``_CartChanged``) when the cart no longer holds exactly
    them at the quantities priced: the DELETE sees every change committed before it and waits for any in progress."""
    cart_id = lines[0].cart_id
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {CartLine._meta.db_table} WHERE cart_id = %s RETURNING id, product_id, unit_id, quantity",  # noqa: S608 - the model's table
            [cart_id],
        )
        removed = sorted(cursor.fetchall())
    if removed != sorted((line.pk, line.product_id, line.unit_id, line.quantity) for line in lines):
        raise _CartChanged


def _priced_list(dealer_user, dealer, saved_list: Cart):
    """A saved list of the dealer the user may use (their own or shared), priced now; refuses another dealer's or
    user's list, an empty list and a line that cannot be ordered any more."""
    locked = (
        scoped(Cart.objects.select_for_update(of=("self",)), dealer_user)
        .filter(pk=saved_list.pk, kind=Cart.Kind.SAVED)
        .filter(Q(owner=dealer_user.user) | Q(is_shared=True))
        .first()
    )
    if locked is None:
        raise OrderRefused([_("This list is not available to you.")])
    priced = cart_priced(dealer=dealer, cart=locked)
    if not priced.lines:
        raise OrderRefused([_("The list is empty.")])
    if priced.problems:
        raise OrderRefused([f"{p.line.product.sku}: {p.problem}" for p in priced.problems])
    return priced


def _priced_lines(dealer, lines: list[CartLine], pricing: DealerPricing | None):
    """Lines given at once (not saved anywhere), priced now; refuses none and a line that cannot be ordered."""
    if not lines:
        raise OrderRefused([_("The order has no lines.")])
    priced = cart_priced(dealer=dealer, cart=None, lines=lines, pricing=pricing)
    if priced.problems:
        raise OrderRefused([f"{p.line.product.sku}: {p.problem}" for p in priced.problems])
    return priced


def _priced_quote(dealer, version: QuoteVersion):
    """The lines of a quote's sent version priced at their quoted prices; refuses a line that cannot be ordered
    any more (the product withdrawn from the dealer, a quantity the product's rules no longer allow)."""
    priced = quote_priced(dealer=dealer, version=version)
    if not priced.lines:
        raise OrderRefused([_("The quote has no lines.")])
    if priced.problems:
        raise OrderRefused([f"{p.line.product.sku}: {p.problem}" for p in priced.problems])
    return priced


def _needed(priced) -> dict[int, Decimal]:
    """What the order takes of each product, in base units."""
    needed: dict[int, Decimal] = defaultdict(Decimal)
    for p in priced.lines:
        needed[p.line.product_id] += p.line.quantity * p.price.unit_factor
    return dict(needed)


def _unlocked_shortfall(priced, needed: dict[int, Decimal]) -> dict[int, Decimal]:
    """The shortfall per product on the stock figures read, without locks, when the lines were priced (each line's
    decision carries what its product had free then); what ``allocate`` would find if nothing changed since."""
    free = {p.line.product_id: p.decision.available for p in priced.lines}
    return {product_id: wanted - free[product_id] for product_id, wanted in needed.items() if wanted > free[product_id]}


def _stock_allocated(needed: dict[int, Decimal], *, lock: bool = True) -> StockAllocation:
    """The stock rows of the ordered products, locked in primary-key order, and what can be taken from each.
    ``of=("self",)``: only the stock rows — a plain FOR UPDATE would also lock the joined warehouse rows and make
    every placement wait for every other. ``lock=False`` reads them without locks (the checkout's preview)."""
    levels = sellable_levels()
    if lock:
        levels = levels.select_for_update(of=("self",))
    levels = list(levels.filter(product_id__in=list(needed)).select_related("warehouse").order_by("pk"))
    return allocate(levels, needed)


def _dealer_locked(dealer_user) -> Dealer:
    return Dealer.objects.select_for_update(of=("self",)).get(pk=dealer_user.dealer_id)


def _checks(dealer, dealer_user, payment_method, priced, shortfalls, stock_action=None) -> list[CheckOutcome]:
    """Every placement rule for this cart: credit (on account only), stock, the buyer's limit, manual review and a
    quarantined dealer. ``stock_action``: the stock rule's action when the caller has read it already."""
    total = priced.total_gross
    if stock_action is None:
        stock_action = rule_action("stock", erp_choice=erp_stock_rule.first())
    checks: list[CheckOutcome] = []
    if payment_method == Order.PaymentMethod.ON_ACCOUNT:
        checks.extend(_credit_checks(dealer, total))
    checks.append(
        CheckOutcome(
            "stock",
            passed=not shortfalls,
            action=stock_action,
            message=_("Some products are short of stock.") if shortfalls else "",
            details={"short": {_sku(priced, pid): str(qty) for pid, qty in shortfalls.items()}},
        )
    )
    limit = dealer_user.approval_limit if dealer_user.role == DealerUser.Role.BUYER else None
    checks.append(
        CheckOutcome(
            "buyer_limit",
            passed=limit is None or total <= limit,
            action=rule_action("buyer_limit"),
            message=_("Above your approval limit: your company's approver decides.")
            if limit is not None and total > limit
            else "",
            details={"approval_limit": str(limit) if limit is not None else None, "order_total": str(total)},
        )
    )
    checks.append(
        CheckOutcome(
            "manual_review",
            passed=not dealer.requires_manual_review,
            action=rule_action("manual_review"),
            message=_("Every order of your company is reviewed by our staff.") if dealer.requires_manual_review else "",
        )
    )
    quarantined = dealer.status != Dealer.Status.ACTIVE
    checks.append(
        CheckOutcome(
            "dealer_quarantined",
            passed=not quarantined,
            action=rule_action("dealer_quarantined"),
            message=_("Your account is being reviewed by our staff.") if quarantined else "",
            details={"status": dealer.status, "reason": dealer.status_reason},
        )
    )
    return checks


def _credit_checks(dealer, total) -> list[CheckOutcome]:
    """Credit hold and credit limit, as ``dealers.credit.credit_decision`` decides them for this order's total."""
    decision = credit_decision(dealer, total)
    return [
        CheckOutcome(
            "credit_hold",
            passed=not decision.on_hold,
            action=rule_action("credit_hold"),
            message=_("Your account is on credit hold; pay by card or bank transfer.") if decision.on_hold else "",
            details={"reason": dealer.credit_hold_reason, "as_of": _iso(dealer.credit_hold_as_of)},
        ),
        CheckOutcome(
            "credit_limit",
            passed=decision.within_limit,
            action=rule_action("credit_limit"),
            message="" if decision.within_limit else _("This order would exceed your credit limit."),
            details=decision.details(),
        ),
    ]


def _lines_write(order, priced, shortfalls: dict[int, Decimal]) -> dict[int, list[OrderLine]]:
    """The order lines (a product's shortfall recorded as backordered on its first lines), by product id."""
    shortfalls = dict(shortfalls)
    lines = []
    for number, p in enumerate(priced.lines, start=1):
        line_base = p.line.quantity * p.price.unit_factor
        short = shortfalls.get(p.line.product_id, ZERO)
        backordered = min(short, line_base) / p.price.unit_factor if short else ZERO
        if short:
            shortfalls[p.line.product_id] = short - min(short, line_base)
        lines.append(
            OrderLine(
                order=order,
                line_no=number,
                product=p.line.product,
                sku=p.line.product.sku,
                name=p.line.product.name,
                name_en=p.line.product.name_en,
                unit_code=p.price.unit_code,
                unit_factor=p.price.unit_factor,
                quantity=p.line.quantity,
                unit_price_net=p.price.net,
                unit_price_gross=p.price.gross,
                vat_rate=p.price.vat_rate,
                line_net=p.amounts.net,
                line_vat=p.amounts.vat,
                line_gross=p.amounts.gross,
                price_list_currency=_source_currency(p.price),
                exchange_rate=p.price.exchange_rate,
                exchange_rate_date=p.price.exchange_rate_date,
                price_explanation=steps_snapshot(p.price.steps),
                backordered_qty=backordered.quantize(Decimal("0.001")),
            )
        )
    OrderLine.objects.bulk_create(lines)  # PostgreSQL returns their ids
    lines_by_product: dict[int, list[OrderLine]] = defaultdict(list)
    for line in lines:
        lines_by_product[line.product_id].append(line)
    return lines_by_product


def _reserve(order, stock: StockAllocation, lines_by_product) -> None:
    """Reserve what ``stock`` takes (decided under the stock rows' locks) in one statement: each stock row's
    ``reserved_portal`` raised, only where that much is still free (``on_hand − committed_erp − reserved_portal``),
    and the reservations of the order's lines written from the rows it raised. A row that had not that much free
    cannot happen under the locks; it would fail the placement rather than oversell."""
    room = {
        line.pk: (line.quantity - line.backordered_qty) * line.unit_factor
        for product_lines in lines_by_product.values()
        for line in product_lines
    }
    taken: dict[int, Decimal] = defaultdict(Decimal)
    reservations: list[tuple[int, int, Decimal]] = []
    for product_id, plan in stock.plan.items():
        for level, quantity in plan:
            taken[level.pk] += quantity
            reservations.extend(_split_over_lines(lines_by_product[product_id], level, quantity, room))
    if not taken:
        return
    if connection.vendor != "postgresql":
        _reserve_row_by_row(order, taken, reservations)
        return
    levels, reservation_table = StockLevel._meta.db_table, StockReservation._meta.db_table
    line_ids, level_ids, quantities = zip(*reservations, strict=True)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH raised AS (
                UPDATE {levels} AS s SET reserved_portal = s.reserved_portal + t.quantity
                FROM unnest(%s::bigint[], %s::numeric[]) AS t(id, quantity)
                WHERE s.id = t.id AND s.on_hand - s.committed_erp - s.reserved_portal >= t.quantity
                RETURNING s.id
            )
            INSERT INTO {reservation_table} (order_id, line_id, stock_level_id, quantity, created_at)
            SELECT %s, r.line_id, r.stock_level_id, r.quantity, %s
            FROM unnest(%s::bigint[], %s::bigint[], %s::numeric[]) AS r(line_id, stock_level_id, quantity)
            WHERE (SELECT count(*) FROM raised) = %s
            """,  # noqa: S608 - the models' tables; every value is a parameter
            [
                list(taken),
                list(taken.values()),
                order.pk,
                timezone.now(),
                list(line_ids),
                list(level_ids),
                list(quantities),
                len(taken),
            ],
        )
        written = cursor.rowcount
    if written != len(reservations):
        raise RuntimeError(f"Order {order.number}: stock no longer free under its lock; nothing reserved.")


def _reserve_row_by_row(order, taken: dict[int, Decimal], reservations: list[tuple[int, int, Decimal]]) -> None:
    """``_reserve`` for databases without data-modifying ``WITH`` (SQLite, the try-out database, which lets one
    writer in at a time anyway): one conditional update per stock row, then the reservations in one insert."""
    for level_id, quantity in taken.items():
        raised = StockLevel.objects.filter(
            pk=level_id, on_hand__gte=F("committed_erp") + F("reserved_portal") + quantity
        ).update(reserved_portal=F("reserved_portal") + quantity)
        if raised != 1:
            raise RuntimeError(f"Order {order.number}: stock no longer free under its lock; nothing reserved.")
    StockReservation.objects.bulk_create(
        StockReservation(order=order, line_id=line_id, stock_level_id=level_id, quantity=quantity)
        for line_id, level_id, quantity in reservations
    )


def _finish(order, priced, checks) -> None:
    order.total_net = priced.total_net
    order.total_vat = priced.total_vat
    order.total_gross = priced.total_gross
    order.number = f"P{timezone.localdate().year}-{order.pk:06d}"
    order.placed_at = timezone.now()
    order.placement_checks = [c.as_record() for c in checks]
    order.hold_reasons = [c.as_record() for c in checks if not c.passed and c.action in (HOLD, BACKORDER, WARN)]


def _route(order, dealer_user, payment_method, checks) -> None:
    """Submitted, then where the checks send it: the dealer's approver, staff, payment, or approved — saved with
    the order's totals and checks."""
    staff_holds = [c for c in checks if c.holds and c.rule != "buyer_limit"]
    if any(c.holds and c.rule == "buyer_limit" for c in checks):
        target, reason = OrderStatus.AWAITING_DEALER_APPROVAL, _("Above the buyer's approval limit.")
    elif staff_holds:
        target, reason = OrderStatus.ON_HOLD, " ".join(str(c.message) for c in staff_holds)
    elif payment_method == Order.PaymentMethod.ON_ACCOUNT:
        target, reason = OrderStatus.APPROVED, _("All placement checks passed.")
    else:
        target, reason = OrderStatus.AWAITING_PAYMENT, _("Waiting for the payment.")
    order_moves_at_placement(
        order=order,
        moves=[
            (OrderStatus.SUBMITTED, dealer_user.user, OrderStatusChange.Source.DEALER, ""),
            (target, None, OrderStatusChange.Source.SYSTEM, reason),
        ],
    )


def _split_over_lines(lines, level, quantity, room: dict[int, Decimal]) -> list[tuple[int, int, Decimal]]:
    """A product's reservation in one warehouse, divided over its lines in line order (usually one line), as
    (line id, stock row id, quantity); ``room`` holds what each line can still take, in base units, and is lowered
    as it goes."""
    result = []
    for line in lines:
        take = min(room[line.pk], quantity)
        if take > 0:
            result.append((line.pk, level.pk, take))
            room[line.pk] -= take
            quantity -= take
    return result


def _address_text(address: DealerAddress | None) -> str:
    if address is None:
        return ""
    parts = [
        address.name,
        address.line1,
        address.line2,
        " ".join(filter(None, [address.postal_code, address.district, address.city])),
        address.country,
    ]
    return "\n".join(part for part in parts if part)


def _source_currency(price) -> str:
    for step in price.steps:
        if step.kind == "currency":
            return step.params["source"]
    return price.currency


def _sku(priced, product_id) -> str:
    return next(p.line.product.sku for p in priced.lines if p.line.product_id == product_id)


def _iso(value) -> str | None:
    return value.isoformat() if value else None
