from django import template

from b2bportal.money import format_decimal, format_money

register = template.Library()


@register.filter
def money(amount, currency="TRY"):
    """``{{ order.total_gross|money:order.currency }}`` → ``1.234,56 ₺`` in Turkish."""
    return format_money(amount, currency)


@register.filter
def qty(value, places=0):
    """A quantity in the active locale; trailing zeros of whole quantities dropped."""
    if value is None:
        return ""
    places = int(places)
    if places == 0 and value != int(value):
        places = 3
    return format_decimal(value, places)
