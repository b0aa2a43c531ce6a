"""The placement rules: what each check does when it fails — warn, hold or block — and the record of each outcome.

Configured by ``B2B_ORDER_RULES`` (a system check refuses unknown rules or actions). The stock rule can also be
``backorder`` (the missing quantity is recorded on the line and the order goes on), and the default ERP
connection may choose it in its settings (``{"stock_shortfall": "hold"}`` or ``"backorder"``), because whether a
seller backorders is a property of how they run their ERP.

Defaults: an on-account order above the available credit is held for staff; a dealer on credit hold cannot order
on account at all (block); a stock shortfall holds; an order above the buyer's approval limit waits for the
dealer's own approver; a dealer marked for manual review, or quarantined by the sync, is held for staff.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from django.conf import settings
from django.utils.translation import gettext_lazy as _

WARN, HOLD, BLOCK, BACKORDER = "warn", "hold", "block", "backorder"

RULES = {
    "credit_hold": (WARN, HOLD, BLOCK),
    "credit_limit": (WARN, HOLD, BLOCK),
    "stock": (WARN, HOLD, BLOCK, BACKORDER),
    "buyer_limit": (WARN, HOLD, BLOCK),
    "manual_review": (WARN, HOLD),
    "dealer_quarantined": (WARN, HOLD, BLOCK),
}

DEFAULT_RULES = {
    "credit_hold": BLOCK,
    "credit_limit": HOLD,
    "stock": HOLD,
    "buyer_limit": HOLD,
    "manual_review": HOLD,
    "dealer_quarantined": HOLD,
}

RULE_LABELS = {
    "credit_hold": _("Dealer on credit hold"),
    "credit_limit": _("Credit limit exceeded"),
    "stock": _("Insufficient stock"),
    "buyer_limit": _("Above the buyer's approval limit"),
    "manual_review": _("Manual review"),
    "dealer_quarantined": _("Dealer record quarantined"),
    "price_changed": _("Price changed"),
}


def rule_action(rule: str, *, erp_choice: str | None = None) -> str:
    """The configured action for ``rule``; for stock, the default ERP connection's choice (``erp_choice``) wins
    when it is one of the stock actions."""
    if rule == "stock" and erp_choice in RULES["stock"]:
        return erp_choice
    return {**DEFAULT_RULES, **getattr(settings, "B2B_ORDER_RULES", {})}.get(rule, DEFAULT_RULES[rule])


@dataclass
class CheckOutcome:
    """One rule as checked at placement: whether it passed, the action taken, and the figures it used."""

    rule: str
    passed: bool
    action: str = ""
    message: str = ""
    details: dict = field(default_factory=dict)

    @property
    def holds(self) -> bool:
        return not self.passed and self.action == HOLD

    @property
    def blocks(self) -> bool:
        return not self.passed and self.action == BLOCK

    def as_record(self) -> dict:
        """The outcome as stored on the order: rule code, result, action and figures. The message is not stored:
        ``orders.reasons`` words a recorded outcome in the reader's language when it is shown."""
        return {key: value for key, value in asdict(self).items() if key != "message"}


def validate_rules(configured: dict) -> list[str]:
    """Problems in a ``B2B_ORDER_RULES`` setting, as sentences; empty when it is fine."""
    problems = []
    for rule, action in configured.items():
        if rule not in RULES:
            problems.append(f"unknown rule {rule!r} (known: {', '.join(RULES)})")
        elif action not in RULES[rule]:
            problems.append(f"{rule}: {action!r} is not one of {', '.join(RULES[rule])}")
    return problems
