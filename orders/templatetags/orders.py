from django import template

from orders.rules import RULE_LABELS

register = template.Library()


@register.filter
def hold_reason(reason):
    """A recorded placement check as a sentence in the reader's language."""
    if isinstance(reason, dict):
        return str(RULE_LABELS.get(reason.get("rule"), reason.get("rule", "")))
    return reason
