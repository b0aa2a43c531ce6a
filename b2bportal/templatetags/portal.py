from decimal import Decimal

from django import template
from django.utils import translation

from b2bportal.money import format_money, format_quantity

register = template.Library()


@register.filter
def money(amount, currency="TRY"):
    """``{{ order.total_gross|money:order.currency }}`` → ``1.234,56 ₺`` in Turkish."""
    return format_money(amount, currency)


@register.filter
def qty(value, places=0):
    """A quantity in the active locale; trailing zeros of whole quantities dropped."""
    return format_quantity(value, int(places))


@register.filter
def number_attr(value):
    """A number for an HTML attribute (``min``, ``step``, ``value`` of a number input): always a dot, no grouping,
    no trailing zeros, whatever the language."""
    if value is None or value == "":
        return ""
    text = format(Decimal(value), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@register.filter
def in_language(snapshot):
    """A text stored in both languages (``{"tr": …, "en": …}``) in the reader's; older plain texts as they are."""
    if isinstance(snapshot, dict):
        language = "en" if (translation.get_language() or "").startswith("en") else "tr"
        return snapshot.get(language) or snapshot.get("tr") or snapshot.get("en") or ""
    return snapshot
