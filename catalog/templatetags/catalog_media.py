from django import template
from django.templatetags.static import static
from django.utils.html import format_html
from django.utils.translation import gettext as _

from catalog.media import THUMBNAIL_SIZES, thumbnail_url

register = template.Library()


@register.simple_tag
def product_picture(product, size: str = "list"):
    """``{% product_picture product "card" %}`` → the product's primary thumbnail of that size as an ``<img>`` with
    its width and height (no layout shift), lazily loaded except on the product page; an external ``image_url``
    when the product has no image of its own; the placeholder picture when it has neither. Reads only the product
    row (``thumbnail_key``): no query."""
    box = THUMBNAIL_SIZES[size]
    alt = product.display_name
    if product.thumbnail_key:
        src = thumbnail_url(product.thumbnail_key, size)
    elif product.image_url:
        src = product.image_url
    else:
        src, alt = static("catalog/placeholder.svg"), _("No picture")
    return format_html(
        '<img src="{}" alt="{}" width="{}" height="{}" loading="{}" decoding="async">',
        src,
        alt,
        box,
        box,
        "eager" if size == "page" else "lazy",
    )


@register.simple_tag
def image_thumbnail_url(image, size: str = "list") -> str:
    """The URL of one ``ProductImage``'s thumbnail (the product page's gallery)."""
    return thumbnail_url(image.digest, size)
