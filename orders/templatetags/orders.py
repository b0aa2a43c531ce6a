from decimal import Decimal

from django import template

from b2bportal.templatetags.portal import in_language
from catalog.prices import PriceStep
from orders.reasons import reason_text, reasons_text
from orders.status import STATUS_NOTES

register = template.Library()


@register.filter
def hold_reason(reason, currency="TRY"):
    """A recorded hold reason as words in the reader's language."""
    return reason_text(reason, currency)


@register.filter
def hold_reasons(order):
    """An order's hold reasons as words in the reader's language, joined by "; "."""
    return reasons_text(order.hold_reasons, order.currency)


@register.filter
def reasons(recorded, currency="TRY"):
    """Recorded reasons (a recurring order's skipped run) as words in the reader's language, joined by "; "."""
    return reasons_text(recorded, currency)


@register.filter
def status_note(status):
    """Where an order in ``status`` stands and what happens next, in the reader's language."""
    return str(STATUS_NOTES.get(status, ""))


# Steps an order line's snapshot can be written again from its kind, amount and the line itself, so an order placed
# before a wording changed reads like a new one (no price list codes, the reader's VAT notation).
REWRITTEN_STEPS = frozenset({"list", "rounded", "vat", "without_vat"})


@register.filter
def price_step(step, line):
    """One step of an order line's price explanation in the reader's language."""
    if isinstance(step, dict) and step.get("kind") in REWRITTEN_STEPS:
        try:
            amount = Decimal(step["amount"])
        except (KeyError, ArithmeticError, TypeError, ValueError):
            return in_language(step)
        params = {"rate": line.vat_rate} if step["kind"] in {"vat", "without_vat"} else {}
        return PriceStep(step["kind"], amount, step.get("currency", ""), params).text()
    return in_language(step)
