"""Why an order waits: hold reasons as recorded, put into words in the reader's language when they are shown.

Placement records each failed check as a rule code with its figures (``CheckOutcome.as_record``):
``{"rule": "credit_limit", "passed": false, "action": "hold", "details": {"exposure": "1100.00", …}}``. Nothing
language-bound is stored: the words are made here, at display time, in the active language, so a Turkish reader
sees Turkish and an English reader English whoever placed the order. Rows written before reasons were structured
may hold a plain text (``"text"``); it is shown as it is.

``reason_text`` gives one reason, ``reasons_text`` several joined by "; " (no reason ends in a full stop).
``reasons_without`` drops the reasons that a decision has settled (a dealer approval settles ``buyer_limit``).
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from b2bportal.money import format_money, format_quantity
from orders.rules import BACKORDER, RULE_LABELS


def _amount(value, currency: str) -> str:
    try:
        return format_money(Decimal(str(value)), currency)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)


def _quantity(value) -> str:
    try:
        return format_quantity(Decimal(str(value)))
    except (InvalidOperation, TypeError, ValueError):
        return str(value)


def _with_text(label: str, text: str) -> str:
    text = (text or "").strip().rstrip(".")
    return f"{label}: {text}" if text else label


def reason_text(reason, currency: str = "TRY") -> str:
    """One recorded reason as words in the active language (no full stop at the end)."""
    if not isinstance(reason, dict):
        return str(reason).strip().rstrip(".")
    rule = reason.get("rule") or ""
    details = reason.get("details") or {}
    if reason.get("text") and rule not in RULE_LABELS:
        return str(reason["text"]).strip().rstrip(".")
    if rule == "credit_hold":
        return _with_text(_("Dealer on credit hold"), details.get("reason", ""))
    if rule == "credit_limit" and details.get("exposure") and details.get("credit_limit"):
        return _("Credit limit exceeded: %(exposure)s with this order, limit %(limit)s") % {
            "exposure": _amount(details["exposure"], currency),
            "limit": _amount(details["credit_limit"], currency),
        }
    if rule == "stock" and details.get("short"):
        items = ", ".join(
            _("%(sku)s %(quantity)s short") % {"sku": sku, "quantity": _quantity(quantity)}
            for sku, quantity in details["short"].items()
        )
        label = _("Backordered") if reason.get("action") == BACKORDER else _("Insufficient stock")
        return f"{label}: {items}"
    if rule == "buyer_limit" and details.get("approval_limit"):
        return _("Above the buyer's approval limit of %(limit)s") % {
            "limit": _amount(details["approval_limit"], currency)
        }
    if rule == "manual_review":
        return _("Manual review: every order of this dealer is checked by staff")
    if rule == "dealer_quarantined":
        return _with_text(str(RULE_LABELS[rule]), details.get("reason", ""))
    return str(RULE_LABELS.get(rule, rule))


def reasons_text(reasons: Iterable, currency: str = "TRY") -> str:
    """Several reasons in words, joined by "; "."""
    return "; ".join(reason_text(reason, currency) for reason in reasons)


def reason_rule(reason) -> str:
    return reason.get("rule", "") if isinstance(reason, dict) else ""


def reasons_without(reasons: Iterable, rules: set[str]) -> list:
    """The reasons whose rule is not one of ``rules``."""
    return [reason for reason in reasons if reason_rule(reason) not in rules]
