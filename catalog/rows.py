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


class _PageTexts:
    """What every row of a page says alike, translated once: the fixed words, and unit names and VAT rates
    remembered as they come."""

    def __init__(self) -> None:
        self.per_unit = _("per %(unit)s")
        self.multiples = _("in multiples of %(n)s")
        self.as_of = _("as of %(when)s")
        self.not_synced = _("not synced yet")
        self.net = _("net")
        self.with_vat = _("incl. VAT %(rate)s")
        self._units: dict[str, str] = {}
        self._rates: dict[Decimal, str] = {}
        before, _mark, after = reverse("catalog:product_detail", args=[_SKU_MARK]).partition(_SKU_MARK)
        self._url = (before, after)

    def unit(self, code: str) -> str:
        if code not in self._units:
            self._units[code] = unit_name(code)
        return self._units[code]

    def vat(self, rate: Decimal) -> str:
        if rate not in self._rates:
            self._rates[rate] = self.with_vat % {"rate": format_percent(rate)}
        return self._rates[rate]

    def url(self, sku: str) -> str:
        """The product page's address, as ``reverse`` quotes it."""
        return f"{self._url[0]}{quote(sku, safe=RFC3986_SUBDELIMS + '/~:@')}{self._url[1]}"


def add_cells(rows) -> None:
    """Give each ``catalog.selectors.CatalogRow`` of a page its ``cells``."""
    texts = _PageTexts()
    for row in rows:
        row.cells = row_cells(row, texts)


def row_cells(row, texts: _PageTexts) -> dict[str, str | bool]:
    """The texts of one catalogue row in the active language."""
    product, price, availability = row.product, row.price, row.availability
    unit = product.base_unit.display_name
    meta = texts.per_unit % {"unit": unit}
    if product.order_multiple != 1:
        meta += " · " + texts.multiples % {"n": format_quantity(product.order_multiple)}
    as_of = timezone.localtime(availability.as_of) if availability.as_of else None
    cells: dict[str, str | bool] = {
        "id": str(product.pk),
        "url": texts.url(product.sku),
        "sku": product.sku,
        "name": product.display_name,
        "brand": product.brand.name if product.brand_id else "",
        "meta": meta,
        "stock_status": availability.status,
        "stock_label": availability.status_label,
        "as_of_title": formats.date_format(as_of, "DATETIME_FORMAT") if as_of else "",
        "as_of": (
            texts.as_of % {"when": formats.date_format(as_of, "SHORT_DATETIME_FORMAT")} if as_of else texts.not_synced
        ),
        "priced": price.exists,
    }
    if price.exists:
        smallest = number_attr(product.smallest_order_quantity)
        cells.update(
            net=format_money(price.net, price.currency),
            net_label=f"{texts.net} / {texts.unit(price.unit_code)}",
            gross=format_money(price.gross, price.currency),
            vat=texts.vat(price.vat_rate),
            qty_min=smallest,
            qty_step=number_attr(product.order_multiple),
            qty_value=smallest,
            unit=unit,
        )
    return cells
