from django import template

from catalog.units import quantity_with_unit, unit_name

register = template.Library()


@register.filter(name="unit_name")
def unit_name_filter(unit):
    """``{{ line.unit_code|unit_name }}`` → ``Adet`` in Turkish, ``Piece`` in English (a Unit or its code)."""
    return unit_name(unit)


@register.filter
def qty_unit(quantity, unit):
    """``{{ stock.available|qty_unit:product.base_unit }}`` → ``465,5 Metre``."""
    return quantity_with_unit(quantity, unit)
