"""What the checkout page tells the buyer before they place the order, in their language.

The verdicts come from ``orders.services.placement.placement_preview`` — the placement checks themselves
(``orders.rules.rule_action``, ``dealers.credit.credit_decision``, ``catalog.availability.allocate``), run without
locks; this module only puts them into words:

* ``notes``: what happens whatever the payment (short stock and what backorder means under the configured stock
  rule, the buyer's approval limit and who approves, a staff review of every order);
* ``methods``: what happens with each payment method (on account: the credit verdict; card: when to pay; bank
  transfer: the IBAN and reference come with the order);
* ``unavailable``: the payment methods a rule would refuse, each with the reason (the form disables them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from b2bportal.money import format_money, format_quantity
from orders.models import Order
from orders.rules import BLOCK, HOLD, CheckOutcome

M = Order.PaymentMethod


@dataclass
class CheckoutGuidance:
    notes: list[str] = field(default_factory=list)
    methods: dict[str, str] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)


def _decimal(value) -> Decimal:
    try:
        return Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        return Decimal(0)


def _short_items(check: CheckOutcome) -> str:
    return ", ".join(
        _("%(sku)s %(quantity)s short") % {"sku": sku, "quantity": format_quantity(_decimal(quantity))}
        for sku, quantity in check.details.get("short", {}).items()
    )


def _stock_note(check: CheckOutcome) -> str:
    items = _short_items(check)
    if check.action == BLOCK:
        return _("Not enough stock for %(items)s: lower these quantities in the cart to place the order.") % {
            "items": items
        }
    if check.action == HOLD:
        return _(
            "Not enough stock for %(items)s: what is in stock is reserved for you, and the order waits for our "
            "staff to decide how to deliver the rest."
        ) % {"items": items}
    # backorder and warn: the order goes on, the missing quantity is recorded as backordered on its line.
    return _(
        "Not enough stock for %(items)s: what is in stock is reserved for you; the rest is backordered — it is "
        "delivered when stock arrives, and the order goes on without waiting."
    ) % {"items": items}


def _buyer_limit_note(check: CheckOutcome, approvers: list[str], currency: str) -> str:
    limit = format_money(_decimal(check.details.get("approval_limit")), currency)
    if check.action == BLOCK:
        return _("This order is above your approval limit of %(limit)s and cannot be placed.") % {"limit": limit}
    if approvers:
        return _(
            "This order is above your approval limit of %(limit)s: it waits for your company's approver "
            "(%(approvers)s) before it goes on."
        ) % {"limit": limit, "approvers": ", ".join(approvers)}
    return _(
        "This order is above your approval limit of %(limit)s: it waits for an approver of your company before it "
        "goes on."
    ) % {"limit": limit}


def _available_credit(check: CheckOutcome) -> Decimal:
    details = check.details
    return _decimal(details.get("credit_limit")) - (
        _decimal(details.get("exposure")) - _decimal(details.get("order_total"))
    )


def _on_account(checks: list[CheckOutcome], currency: str) -> tuple[str, str]:
    """(why on account is refused, what happens on account) — one of them empty."""
    for check in checks:
        if check.passed or check.rule not in ("credit_hold", "credit_limit"):
            continue
        if check.rule == "credit_hold":
            refused = _("your account is on credit hold")
            held = _("your account is on credit hold, so the order waits for our staff before it goes on.")
        else:
            available = format_money(max(_available_credit(check), Decimal(0)), currency)
            refused = _("this order is above your available credit of %(available)s") % {"available": available}
            held = _(
                "this order is above your available credit of %(available)s, so it waits for our staff to approve "
                "it; by card or bank transfer it does not wait for credit."
            ) % {"available": available}
        if check.action == BLOCK:
            return refused, ""
        if check.action == HOLD:
            return "", held
    return "", ""


def checkout_guidance(preview, currency: str) -> CheckoutGuidance:
    """The words for ``preview`` (a ``PlacementPreview``) in the active language."""
    guidance = CheckoutGuidance()
    for check in preview.failing(M.CARD):  # the checks every payment method shares
        if check.rule == "stock":
            guidance.notes.append(_stock_note(check))
        elif check.rule == "buyer_limit" and check.action in (HOLD, BLOCK):
            guidance.notes.append(_buyer_limit_note(check, preview.approvers, currency))
        elif check.rule == "manual_review" and check.action == HOLD:
            guidance.notes.append(_("Our staff review every order of your company before it goes on."))
        elif check.rule == "dealer_quarantined" and check.action in (HOLD, BLOCK):
            guidance.notes.append(_("Your account is being reviewed by our staff: the order waits for them."))
    refused, held = _on_account(preview.failing(M.ON_ACCOUNT), currency)
    if refused:
        guidance.unavailable[M.ON_ACCOUNT] = refused
    elif held:
        guidance.methods[M.ON_ACCOUNT] = _("On account: %(what)s") % {"what": held}
    if preview.outcome(M.CARD) in ("staff", "dealer_approval"):
        guidance.methods[M.CARD] = _("By card: you pay on the order's page once the order is approved.")
        guidance.methods[M.BANK_TRANSFER] = _(
            "By bank transfer: once the order is approved, its page shows our IBAN and the reference to quote; "
            "the order goes on when the money arrives."
        )
    else:
        guidance.methods[M.CARD] = _("By card: you pay on the order's page right after placing the order.")
        guidance.methods[M.BANK_TRANSFER] = _(
            "By bank transfer: the order's page shows our IBAN and the reference to quote; the order goes on "
            "when the money arrives."
        )
    return guidance
