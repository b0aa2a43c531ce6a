"""The catalogue list's rows as the page shows them: every text of a row (price, VAT, unit, stock and its *as of*
time, the add-to-cart quantity) made once in Python, so the list template only places plain values.

A page of 50 rows rendered through per-row includes, translation blocks and filters cost more than finding,
pricing and stocking the products together; the same texts made here cost a fraction of it. The values are the
ones the partials of the product page show (``catalog/partials/price.html``, ``stock.html``, ``add_to_cart.html``):
the same functions make them (``b2bportal.money``, ``catalog.units``), and the same translations say them.
The template still escapes every value.
"""

from __future__ import annotations

from decimal import Decimal
from urllib.parse import quote

from django.urls import reverse
from django.utils import formats, timezone
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.translation import gettext as _

from b2bportal.money import format_money, format_percent, format_quantity
from catalog.units import unit_name


def number_attr(value) -> str:
    """A number for an HTML attribute: a dot, no grouping, no trailing zeros (as the ``number_attr`` filter)."""
    text = format(Decimal(value), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


_SKU_MARK = "0SKU0"


def add_cells(rows) -> None:
    """Give each ``catalog.selectors.CatalogRow`` its ``cells``; the product link is reversed once per page."""
    before, _mark, after = reverse("catalog:product_detail", args=[_SKU_MARK]).partition(_SKU_MARK)
    for row in rows:
        row.cells = row_cells(row, url=f"{before}{quote(row.product.sku, safe=RFC3986_SUBDELIMS + '/~:@')}{after}")


def row_cells(row, *, url: str) -> dict[str, str | bool]:
    """The texts of one catalogue row in the active language; ``url`` is the product page's address."""
    product, price, availability = row.product, row.price, row.availability
    unit = product.base_unit
    meta = _("per %(unit)s") % {"unit": unit.display_name}
    if product.order_multiple != 1:
        meta += " · " + _("in multiples of %(n)s") % {"n": format_quantity(product.order_multiple)}
    as_of = availability.as_of
    cells: dict[str, str | bool] = {
        "id": str(product.pk),
        "url": url,
        "sku": product.sku,
        "initials": product.sku[:2],
        "name": product.display_name,
        "brand": product.brand.name if product.brand_id else "",
        "meta": meta,
        "image_url": product.image_url,
        "stock_status": availability.status,
        "stock_label": availability.status_label,
        "as_of_title": formats.date_format(timezone.localtime(as_of), "DATETIME_FORMAT") if as_of else "",
        "as_of": (
            _("as of %(when)s") % {"when": formats.date_format(timezone.localtime(as_of), "SHORT_DATETIME_FORMAT")}
            if as_of
            else _("not synced yet")
        ),
        "priced": price.exists,
    }
    if price.exists:
        smallest = number_attr(product.smallest_order_quantity)
        cells.update(
            net=format_money(price.net, price.currency),
            net_label=f"{_('net')} / {unit_name(price.unit_code)}",
            gross=format_money(price.gross, price.currency),
            vat=_("incl. VAT %(rate)s") % {"rate": format_percent(price.vat_rate)},
            qty_min=smallest,
            qty_step=number_attr(product.order_multiple),
            qty_value=smallest,
            unit=unit_name(unit),
        )
    return cells
