from django import template

from orders.reasons import reason_text, reasons_text

register = template.Library()


@register.filter
def hold_reason(reason, currency="TRY"):
    """A recorded hold reason as words in the reader's language."""
    return reason_text(reason, currency)


@register.filter
def hold_reasons(order):
    """An order's hold reasons as words in the reader's language, joined by "; "."""
    return reasons_text(order.hold_reasons, order.currency)
