"""Quotes (requests for quotation): one named service per step, each along ``QUOTE_TRANSITIONS`` and audited.

A dealer user asks (``quote_request`` from their cart or any lines, with a note and optional target prices);
staff price a draft version line by line (``quote_price``: a net price or a discount, beside the dealer's normal
price and its explanation, with stock and credit read at that moment) and send it (``quote_send``), which freezes
the version for good. The dealer accepts (``quote_accept`` → an order through ``order_place`` at the quoted
prices), declines, or asks for a revision; staff then start a new version (``quote_revise``) and send again.
A sent quote past its validity date expires (``quotes_expire_due``); staff or the dealer may cancel one that is
not accepted yet.

Locking: every service locks the quote row first (``SELECT … FOR UPDATE``), then does what placement does in
its own order (order row, dealer, stock). Two acceptances of one quote (a double click, two tabs) wait on the
quote row: the second finds it accepted and returns the same order; the quote's ``order_key`` (unique, used as
the order's idempotency key) and the one-to-one link to the order make a second order impossible even without
the lock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from b2bportal.money import quantize_money
from catalog.availability import availability_for_products
from catalog.prices import QuotedPrice, steps_snapshot
from catalog.pricing import DealerPricing
from catalog.selectors import is_visible
from dealers.credit import credit_decision
from dealers.models import Dealer, DealerAddress, DealerUser
from orders.exceptions import QuoteRefused
from orders.hooks import quote_cancelling, quote_sent
from orders.models import (
    Cart,
    Order,
    Quote,
    QuoteEvent,
    QuoteLine,
    QuoteStatus,
    QuoteVersion,
)
from orders.quote_notifications import quote_event_notify, quote_expiring_notify
from orders.services.placement import order_place

Q = QuoteStatus
ZERO = Decimal("0")
HUNDRED = Decimal("100")

QUOTE_TRANSITIONS: dict[str, frozenset[str]] = {
    Q.REQUESTED: frozenset({Q.DRAFT, Q.CANCELLED}),
    Q.DRAFT: frozenset({Q.DRAFT, Q.SENT, Q.CANCELLED}),
    Q.SENT: frozenset({Q.ACCEPTED, Q.DECLINED, Q.REVISION_REQUESTED, Q.EXPIRED, Q.CANCELLED}),
    Q.REVISION_REQUESTED: frozenset({Q.DRAFT, Q.CANCELLED}),
    Q.EXPIRED: frozenset({Q.DRAFT, Q.CANCELLED}),
    Q.ACCEPTED: frozenset(),
    Q.DECLINED: frozenset(),
    Q.CANCELLED: frozenset(),
}
# The states a dealer may still cancel from, and the states staff may.
DEALER_CANCELLABLE = frozenset({Q.REQUESTED, Q.DRAFT, Q.REVISION_REQUESTED})


@dataclass(frozen=True)
class RequestedLine:
    """One line a dealer asks a price for: a product, its unit (None: the base unit), the quantity and, if they
    have one in mind, a target net unit price."""

    product: object
    quantity: Decimal
    unit: object | None = None
    target_price: Decimal | None = None


@dataclass(frozen=True)
class LinePrice:
    """Staff's price for one line: a net unit price or a discount percentage off the dealer's normal price."""

    net: Decimal | None = None
    percent: Decimal | None = None


def quote_can(quote: Quote, to_status: str) -> bool:
    return to_status in QUOTE_TRANSITIONS.get(quote.status, frozenset())


def _move(quote: Quote, to_status: str, *, action: str, actor, note: str = "", version: int | None = None):
    """Change the (locked) quote's status along the map and write the audit row; refuses a move the map does not
    allow."""
    if not quote_can(quote, to_status):
        raise QuoteRefused(
            _("Quote %(number)s is %(status)s; this step is not possible now.")
            % {"number": quote.number, "status": quote.get_status_display()}
        )
    from_status = quote.status
    quote.status = to_status
    quote.save(update_fields=["status", "updated_at"])
    return QuoteEvent.objects.create(
        quote=quote,
        version_number=version,
        action=action,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        note=note,
    )


def _locked(quote: Quote) -> Quote:
    return Quote.objects.select_for_update(of=("self",)).select_related("dealer").get(pk=quote.pk)


def quote_current_version(quote: Quote) -> QuoteVersion | None:
    return quote.versions.order_by("-number").first()


def quote_sent_version(quote: Quote) -> QuoteVersion | None:
    """The latest version sent to the dealer, or None."""
    return quote.versions.filter(sent_at__isnull=False).order_by("-number").first()


# -- the dealer asks -------------------------------------------------------------------------------------------------


@transaction.atomic
def quote_request(*, dealer_user: DealerUser, lines: list[RequestedLine], note: str = "") -> Quote:
    """A new quote request of ``dealer_user``'s dealer for ``lines`` (the same product and unit twice is one
    line, the quantities summed). Refuses no lines, a quantity not above zero, a negative target price and a
    product the dealer cannot see. The dealer's normal price of each line is recorded with its explanation."""
    if not lines:
        raise QuoteRefused(_("Add at least one product to ask for a quote."))
    dealer = dealer_user.dealer
    pricing = DealerPricing(dealer)
    merged: dict[tuple[int, int | None], RequestedLine] = {}
    for line in lines:
        if line.quantity is None or line.quantity <= 0:
            raise QuoteRefused(_("%(sku)s: the quantity must be above zero.") % {"sku": line.product.sku})
        if line.target_price is not None and line.target_price < 0:
            raise QuoteRefused(_("%(sku)s: the target price cannot be negative.") % {"sku": line.product.sku})
        if not is_visible(pricing=pricing, product=line.product):
            raise QuoteRefused(_("%(sku)s: this product is not available to you.") % {"sku": line.product.sku})
        unit_id = line.unit.pk if line.unit is not None and line.unit.pk != line.product.base_unit_id else None
        key = (line.product.pk, unit_id)
        if key in merged:
            earlier = merged[key]
            line = RequestedLine(
                product=line.product,
                unit=line.unit,
                quantity=earlier.quantity + line.quantity,
                target_price=line.target_price if line.target_price is not None else earlier.target_price,
            )
        merged[key] = line
    quote = Quote.objects.create(
        number=f"TMPQ-{timezone.now().timestamp()}-{dealer_user.pk}",
        dealer=dealer,
        requested_by=dealer_user.user,
        note=note.strip(),
        currency=dealer.currency,
    )
    quote.number = f"Q{timezone.localdate().year}-{quote.pk:06d}"
    quote.save(update_fields=["number"])
    version = QuoteVersion.objects.create(quote=quote, number=1)
    new_lines = []
    for number, ((_product_id, unit_id), line) in enumerate(merged.items(), start=1):
        normal = pricing.price(line.product, line.quantity, line.unit if unit_id else None)
        new_lines.append(
            QuoteLine(
                version=version,
                line_no=number,
                product=line.product,
                unit_id=unit_id,
                unit_code=normal.unit_code if normal.exists else (line.unit.code if unit_id else ""),
                quantity=line.quantity,
                target_price=line.target_price,
                normal_price_net=normal.net if normal.exists else None,
                normal_explanation=_explanation(normal),
            )
        )
    QuoteLine.objects.bulk_create(new_lines)
    event = QuoteEvent.objects.create(
        quote=quote, version_number=1, action=QuoteEvent.Action.REQUESTED, to_status=Q.REQUESTED,
        actor=dealer_user.user, note=quote.note,
    )  # fmt: skip
    quote_event_notify(quote=quote, event=event)
    return quote


def quote_request_from_cart(
    *, dealer_user: DealerUser, note: str = "", targets: dict[int, Decimal] | None = None
) -> Quote:
    """A quote request for the lines of ``dealer_user``'s active cart (``targets``: a target net unit price by cart
    line id), after which the cart is emptied: the basket now waits in the quote. Refuses an empty cart."""
    targets = targets or {}
    with transaction.atomic():
        cart = (
            Cart.objects.select_for_update(of=("self",))
            .filter(dealer_id=dealer_user.dealer_id, owner=dealer_user.user, kind=Cart.Kind.ACTIVE)
            .first()
        )
        cart_lines = list(cart.lines.select_related("product__base_unit", "unit")) if cart else []
        if not cart_lines:
            raise QuoteRefused(_("Your cart is empty."))
        quote = quote_request(
            dealer_user=dealer_user,
            note=note,
            lines=[
                RequestedLine(
                    product=line.product, unit=line.unit, quantity=line.quantity, target_price=targets.get(line.pk)
                )
                for line in cart_lines
            ],
        )
        cart.lines.all().delete()
    return quote


# -- staff price and send ----------------------------------------------------------------------------------------


@transaction.atomic
def quote_price(
    *,
    quote: Quote,
    actor,
    prices: dict[int, LinePrice],
    valid_until: dt.date | None,
    terms: str = "",
) -> QuoteVersion:
    """Price the quote's draft version: each line in ``prices`` (by line id) gets a net unit price or a discount
    off the dealer's normal price, through the catalogue's pricing (its quote step), and every line's normal
    price and explanation are read again. Records the dealer's credit for the version's total and each line's
    available stock now. Refuses a version already sent (versions are frozen once sent — start a new one with
    ``quote_revise``), a line of another quote, a negative price, a discount outside 0–99.99 %, a discount on a
    line without a normal price, and a validity date in the past."""
    quote = _locked(quote)
    version = quote_current_version(quote)
    if version is None or version.sent_at is not None:
        raise QuoteRefused(_("This version was sent and cannot change; start a new version."))
    if valid_until is not None and valid_until < timezone.localdate():
        raise QuoteRefused(_("The validity date is in the past."))
    lines = list(version.lines.select_related("product__base_unit", "product__brand", "unit").order_by("line_no"))
    by_id = {line.pk: line for line in lines}
    unknown = set(prices) - set(by_id)
    if unknown:
        raise QuoteRefused(_("A line priced is not on this quote."))
    dealer = quote.dealer
    normal_pricing = DealerPricing(dealer)
    normal_pricing.prime([line.product for line in lines], packs=any(line.unit_id for line in lines))
    quoted: dict[tuple[int, int | None], QuotedPrice] = {}
    for line in lines:
        normal = normal_pricing.price(line.product, line.quantity, line.unit)
        line.normal_price_net = normal.net if normal.exists else None
        line.normal_explanation = _explanation(normal)
        given = prices.get(line.pk)
        if given is None and line.quoted_price_net is not None:  # priced before: kept as it was given
            kept_percent = line.discount_percent is not None
            given = LinePrice(percent=line.discount_percent) if kept_percent else LinePrice(net=line.quoted_price_net)
        if given is None:
            continue
        quoted[(line.product_id, line.unit_id)] = _quoted_price(line, given, normal, version)
    pricing = DealerPricing(dealer, quoted=quoted)
    pricing.prime([line.product for line in lines], packs=any(line.unit_id for line in lines))
    stock = availability_for_products([line.product for line in lines])
    total_net = total_vat = ZERO
    for line in lines:
        line.available_when_priced = stock[line.product_id].available
        key = (line.product_id, line.unit_id)
        if key not in quoted:
            continue
        price = pricing.price(line.product, line.quantity, line.unit)
        if not price.exists:
            raise QuoteRefused(f"{line.product.sku}: {price.message}")
        amounts = price.line(line.quantity)
        line.discount_percent = quoted[key].percent
        line.quoted_price_net = price.net
        line.quoted_price_gross = price.gross
        line.vat_rate = price.vat_rate
        line.unit_code = price.unit_code
        line.line_net = amounts.net
        line.line_gross = amounts.gross
        line.quoted_explanation = steps_snapshot(price.steps)
        total_net += amounts.net
        total_vat += amounts.vat
    QuoteLine.objects.bulk_update(
        lines,
        [
            "normal_price_net",
            "normal_explanation",
            "discount_percent",
            "quoted_price_net",
            "quoted_price_gross",
            "vat_rate",
            "unit_code",
            "line_net",
            "line_gross",
            "quoted_explanation",
            "available_when_priced",
        ],
    )
    decision = credit_decision(dealer, total_net + total_vat)
    version.total_net, version.total_vat, version.total_gross = total_net, total_vat, total_net + total_vat
    version.valid_until = valid_until
    version.terms = terms.strip()
    version.priced_by, version.priced_at = actor, timezone.now()
    version.checks = {
        "credit": {**decision.details(), "on_hold": decision.on_hold, "within_limit": decision.within_limit,
                   "hold_reason": dealer.credit_hold_reason},
        "short": [line.product.sku for line in lines
                  if line.available_when_priced < line.quantity * _factor(line, normal_pricing)],
    }  # fmt: skip
    version.save()
    _move(quote, Q.DRAFT, action=QuoteEvent.Action.PRICED, actor=actor, version=version.number)
    return version


def _factor(line: QuoteLine, pricing: DealerPricing) -> Decimal:
    if line.unit_id is None:
        return Decimal("1")
    pack = next((p for p in pricing.packs(line.product) if p.unit_id == line.unit_id), None)
    return pack.factor if pack else Decimal("1")


def _quoted_price(line: QuoteLine, given: LinePrice, normal, version: QuoteVersion) -> QuotedPrice:
    sku = line.product.sku
    if (given.net is None) == (given.percent is None):
        raise QuoteRefused(_("%(sku)s: give either a price or a discount.") % {"sku": sku})
    if given.net is not None and given.net < 0:
        raise QuoteRefused(_("%(sku)s: the price cannot be negative.") % {"sku": sku})
    if given.percent is not None:
        if not (ZERO <= given.percent < HUNDRED):
            raise QuoteRefused(_("%(sku)s: the discount must be from 0 to below 100 %%.") % {"sku": sku})
        if not normal.exists:
            raise QuoteRefused(_("%(sku)s: no normal price to discount; give a price.") % {"sku": sku})
    reference = f"{version.quote.number}/{version.number}"
    return QuotedPrice(reference=reference, net=given.net, percent=given.percent)


@transaction.atomic
def quote_send(*, quote: Quote, actor) -> QuoteVersion:
    """Send the priced draft version to the dealer: it is frozen from now on. Refuses a version with an unpriced
    line, without a validity date or with one in the past, and a quote not being priced."""
    quote = _locked(quote)
    version = quote_current_version(quote)
    if quote.status != Q.DRAFT or version is None or version.sent_at is not None:
        raise QuoteRefused(_("Only a priced draft can be sent."))
    if version.lines.filter(quoted_price_net__isnull=True).exists():
        raise QuoteRefused(_("Price every line before sending the quote."))
    if version.valid_until is None or version.valid_until < timezone.localdate():
        raise QuoteRefused(_("Set a validity date from today on before sending the quote."))
    version.sent_by, version.sent_at = actor, timezone.now()
    version.save(update_fields=["sent_by", "sent_at"])
    event = _move(quote, Q.SENT, action=QuoteEvent.Action.SENT, actor=actor, version=version.number)
    quote_event_notify(quote=quote, event=event)
    quote_sent.send(quote=quote, version=version)
    return version


@transaction.atomic
def quote_revise(*, quote: Quote, actor, note: str = "") -> QuoteVersion:
    """Start a new draft version from the last sent one (its lines and prices copied, to be changed), after the
    dealer asked for a revision or the quote expired. The sent versions stay as they were."""
    quote = _locked(quote)
    if quote.status not in (Q.REVISION_REQUESTED, Q.EXPIRED):
        raise QuoteRefused(_("A new version is started after a revision request or an expiry."))
    previous = quote_current_version(quote)
    number = (quote.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    version = QuoteVersion.objects.create(quote=quote, number=number, terms=previous.terms)
    copies = []
    for line in previous.lines.order_by("line_no"):
        line.pk = None
        line.version = version
        copies.append(line)
    QuoteLine.objects.bulk_create(copies)
    _move(quote, Q.DRAFT, action=QuoteEvent.Action.REVISED, actor=actor, note=note, version=number)
    return version


# -- the dealer answers ------------------------------------------------------------------------------------------


def _dealer_quote(quote: Quote, dealer_user: DealerUser) -> Quote:
    locked = _locked(quote)
    if locked.dealer_id != dealer_user.dealer_id:
        raise Quote.DoesNotExist
    return locked


def _expired(version: QuoteVersion | None) -> bool:
    return version is not None and version.valid_until is not None and version.valid_until < timezone.localdate()


@transaction.atomic
def quote_decline(*, quote: Quote, dealer_user: DealerUser, note: str = "") -> Quote:
    """The dealer declines the sent quote. Refuses a quote that is not waiting for the dealer's answer."""
    quote = _dealer_quote(quote, dealer_user)
    version = quote_sent_version(quote)
    event = _move(
        quote, Q.DECLINED, action=QuoteEvent.Action.DECLINED, actor=dealer_user.user, note=note.strip(),
        version=version.number if version else None,
    )  # fmt: skip
    quote_event_notify(quote=quote, event=event)
    return quote


@transaction.atomic
def quote_revision_request(*, quote: Quote, dealer_user: DealerUser, note: str) -> Quote:
    """The dealer asks for another version, saying what should change. Refuses an empty note and a quote that is
    not waiting for the dealer's answer."""
    if not note.strip():
        raise QuoteRefused(_("Say what should change in the quote."))
    quote = _dealer_quote(quote, dealer_user)
    version = quote_sent_version(quote)
    event = _move(
        quote, Q.REVISION_REQUESTED, action=QuoteEvent.Action.REVISION_REQUESTED, actor=dealer_user.user,
        note=note.strip(), version=version.number if version else None,
    )  # fmt: skip
    quote_event_notify(quote=quote, event=event)
    return quote


def quote_accept(
    *,
    quote: Quote,
    dealer_user: DealerUser,
    payment_method: str = Order.PaymentMethod.ON_ACCOUNT,
    delivery_address: DealerAddress | None = None,
    po_number: str = "",
    note: str = "",
) -> Order:
    """The dealer accepts the sent quote: an order is placed through ``order_place`` with the quoted prices
    frozen (placement's stock, credit and approval rules apply as to any order) and the quote is accepted.

    Idempotent: accepting an accepted quote returns its order (a double click or two tabs make one order).
    Refuses (``QuoteRefused``, nothing saved): a quote not waiting for the dealer's answer, an expired quote (it is
    marked expired), a dealer now on credit hold (with the hold's reason: the quote was priced on a credit
    position that no longer holds), and whatever placement refuses (``OrderRefused``)."""
    expired = False
    with transaction.atomic():
        locked = _dealer_quote(quote, dealer_user)
        if locked.status == Q.ACCEPTED:
            return locked.order
        version = quote_sent_version(locked)
        if locked.status == Q.SENT and _expired(version):
            expired = True
            _move(locked, Q.EXPIRED, action=QuoteEvent.Action.EXPIRED, actor=None, version=version.number)
        elif locked.status != Q.SENT:
            raise QuoteRefused(
                _("Quote %(number)s is %(status)s and cannot be accepted.")
                % {"number": locked.number, "status": locked.get_status_display()}
            )
        else:
            dealer = Dealer.objects.get(pk=locked.dealer_id)
            if dealer.credit_hold:
                reason = dealer.credit_hold_reason.strip().rstrip(".")
                message = _("Your account is on credit hold")
                raise QuoteRefused(f"{message}: {reason}." if reason else f"{message}.")
            order = order_place(
                dealer_user=dealer_user,
                idempotency_key=locked.order_key,
                payment_method=payment_method,
                delivery_address=delivery_address,
                po_number=po_number,
                note=note,
                quote_version=version,
            )
            locked.order = order
            locked.save(update_fields=["order", "updated_at"])
            event = _move(
                locked, Q.ACCEPTED, action=QuoteEvent.Action.ACCEPTED, actor=dealer_user.user,
                note=order.number, version=version.number,
            )  # fmt: skip
            quote_event_notify(quote=locked, event=event)
            return order
    if expired:  # committed above: the quote stays expired although the acceptance is refused
        raise QuoteRefused(_("The quote expired on %(date)s.") % {"date": version.valid_until.isoformat()})
    raise AssertionError("unreachable")


# -- expiry and cancellation -------------------------------------------------------------------------------------


def quotes_expire_due(*, today: dt.date | None = None) -> int:
    """Mark expired every sent quote whose validity date has passed; returns how many. Safe to run twice."""
    today = today or timezone.localdate()
    due = (
        Quote.objects.filter(status=Q.SENT, versions__sent_at__isnull=False, versions__valid_until__lt=today)
        .values_list("pk", flat=True)
        .distinct()
    )
    expired = 0
    for pk in sorted(due):
        with transaction.atomic():
            quote = Quote.objects.select_for_update(of=("self",)).get(pk=pk)
            version = quote_sent_version(quote)
            if quote.status != Q.SENT or version is None or version.valid_until >= today:
                continue
            _move(quote, Q.EXPIRED, action=QuoteEvent.Action.EXPIRED, actor=None, version=version.number)
            expired += 1
    return expired


def quotes_remind_expiring(*, days: int, today: dt.date | None = None) -> int:
    """Remind the dealer of every sent quote whose validity date is within ``days`` days from ``today`` (and not
    past), once per version however often it runs (the notice's key is the quote and version). Returns how many
    quotes are in that window; ``days`` 0 reminds nobody."""
    if days <= 0:
        return 0
    today = today or timezone.localdate()
    versions = (
        QuoteVersion.objects.filter(
            quote__status=Q.SENT,
            sent_at__isnull=False,
            valid_until__gte=today,
            valid_until__lte=today + dt.timedelta(days=days),
        )
        .select_related("quote__requested_by")
        .order_by("pk")
    )
    reminded = 0
    for version in versions:
        if quote_sent_version(version.quote).pk != version.pk:
            continue  # an earlier version of a quote sent again
        with transaction.atomic():
            quote_expiring_notify(quote=version.quote, version=version)
        reminded += 1
    return reminded


@transaction.atomic
def quote_cancel(*, quote: Quote, actor, note: str = "", dealer_user: DealerUser | None = None) -> Quote:
    """Cancel a quote that is not accepted, declined or cancelled already. A dealer user cancels only their own
    dealer's quote, before it is sent to them (a sent one is declined instead); staff may cancel until it is
    accepted. The ERP is told when it holds the quote (``quote_cancelling``)."""
    quote = _dealer_quote(quote, dealer_user) if dealer_user is not None else _locked(quote)
    if dealer_user is not None and quote.status not in DEALER_CANCELLABLE:
        raise QuoteRefused(_("A sent quote is declined, not cancelled."))
    version = quote_current_version(quote)
    from_status = quote.status
    _move(
        quote, Q.CANCELLED, action=QuoteEvent.Action.CANCELLED, actor=actor, note=note.strip(),
        version=version.number if version else None,
    )  # fmt: skip
    if from_status in (Q.SENT, Q.REVISION_REQUESTED, Q.EXPIRED) or quote.erp_document_number:
        quote_cancelling.send(quote=quote, reason=note.strip())
    return quote


@transaction.atomic
def quote_erp_document_set(*, quote: Quote, number: str) -> bool:
    """Record the ERP's quote document number; returns whether it changed (an empty number changes nothing)."""
    number = (number or "").strip()[:64]
    if not number:
        return False
    changed = Quote.objects.filter(pk=quote.pk).exclude(erp_document_number=number).update(erp_document_number=number)
    quote.erp_document_number = number
    return bool(changed)


def _explanation(price) -> list[dict]:
    if not price.exists:
        texts = {}
        for language in ("tr", "en"):
            with translation.override(language):
                texts[language] = price.message
        return [{"kind": "no_price", "amount": "", "currency": "", **texts}]
    return steps_snapshot(price.steps)


def line_discount_of_normal(line: QuoteLine) -> Decimal | None:
    """How far the quoted price is below the normal price, in percent (for staff and the dealer to read)."""
    if line.quoted_price_net is None or not line.normal_price_net:
        return None
    return quantize_money((line.normal_price_net - line.quoted_price_net) / line.normal_price_net * HUNDRED)
