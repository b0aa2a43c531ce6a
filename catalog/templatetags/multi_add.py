from django import template

from catalog.multi_add import field_name

register = template.Library()


@register.filter
def kept_row(kept, product_id):
    """The refused row kept for ``product_id`` (``catalog.multi_add.KeptRow``), or None."""
    return (kept or {}).get(product_id)


@register.filter
def multi_add_field(product_id):
    """The name of the row's quantity field in the "add selected" form."""
    return field_name(product_id)
