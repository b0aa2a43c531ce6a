from datetime import timedelta
from decimal import Decimal

from django import template
from django.utils import translation
from django.utils.translation import pgettext

from b2bportal.money import format_money, format_percent, format_quantity

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
def percent(rate):
    """``{{ line.vat_rate|percent }}`` → ``%20`` in Turkish, ``20%`` in English."""
    return format_percent(rate)


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


@register.filter
def duration(value):
    """A time span to the minute, its two largest parts: ``2 h 5 min``, ``3 d 4 h``; under a minute in seconds.
    Empty for no value."""
    if not isinstance(value, timedelta):
        return value if value not in (None, "") else ""
    seconds = max(int(value.total_seconds()), 0)
    if seconds < 60:
        return f"{seconds} {pgettext('seconds, short', 's')}"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    parts = [
        (days, pgettext("days, short", "d")),
        (hours, pgettext("hours, short", "h")),
        (minutes, pgettext("minutes, short", "min")),
    ]
    while parts and parts[0][0] == 0:
        parts.pop(0)
    return " ".join(f"{number} {label}" for number, label in parts[:2] if number)
