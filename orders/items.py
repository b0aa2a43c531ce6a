"""Which product a dealer means by a code — the one place that decides it, for quick order (pasted or uploaded),
the API's order lines and EDI orders.

Order of matching, first hit wins: the dealer's own item code (``DealerItemCode``, with the pack it names), then
the SKU (the exact spelling first, then the same code folded: case and Turkish letters), then the product barcode
(GTIN, base unit), then a pack barcode (that pack). A code that several products share at the same step gives
every one of them, best first; the caller takes the first the dealer may order.
Reads at most three queries whatever the number of codes.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import BigIntegerField, Value
from django.utils.translation import gettext as _

from b2bportal.text import code_key, code_key_sql
from catalog.models import Product, ProductUnit
from catalog.pricing import DealerPricing
from catalog.selectors import visible_products
from orders.models import DealerItemCode


@dataclass(frozen=True)
class ItemCandidate:
    """A product a code may mean, and the pack the code itself names (None: the base unit or none named)."""

    product_id: int
    pack_unit_id: int | None = None
    matched_by: str = "sku"


def item_candidates(*, dealer_id: int | None, codes: list[str]) -> list[list[ItemCandidate]]:
    """For each code (already stripped; "" for none), the products it may mean, best first."""
    found: list[list[ItemCandidate]] = [[] for _code in codes]
    wanted = {code for code in codes if code}
    if not wanted:
        return found
    own: dict[str, ItemCandidate] = {}
    if dealer_id is not None:
        rows = DealerItemCode.objects.filter(dealer_id=dealer_id, code__in=wanted).values_list(
            "code", "product_id", "unit_id"
        )
        own = {code: ItemCandidate(product_id, unit_id, "dealer_code") for code, product_id, unit_id in rows}
    keys = {code_key(code) for code in wanted if code not in own}
    by_key: dict[str, list[tuple[int, str]]] = {}
    if keys:
        matches = Product.objects.annotate(sku_key=code_key_sql("sku")).filter(sku_key__in=keys)
        for pk, sku in matches.values_list("pk", "sku"):
            by_key.setdefault(code_key(sku), []).append((pk, sku.strip()))
    for index, code in enumerate(codes):
        if not code:
            continue
        if code in own:
            found[index] = [own[code]]
            continue
        matches = sorted(by_key.get(code_key(code), []), key=lambda match: (match[1] != code, match[0]))
        found[index] = [ItemCandidate(pk) for pk, _sku in matches]
    barcodes = {code for code, candidates in zip(codes, found, strict=True) if code and not candidates}
    if not barcodes:
        return found
    by_product_barcode: dict[str, list[ItemCandidate]] = {}
    by_pack_barcode: dict[str, list[ItemCandidate]] = {}
    # Product barcodes (pack None) and pack barcodes in one statement, each side read through its own index.
    product_rows = Product.objects.filter(barcode__in=barcodes).annotate(pack=Value(None, BigIntegerField()))
    pack_rows = ProductUnit.objects.filter(barcode__in=barcodes)
    rows = (
        product_rows.order_by()
        .values_list("pk", "barcode", "pack")
        .union(pack_rows.order_by().values_list("product_id", "barcode", "unit_id"), all=True)
    )
    for pk, barcode, pack_unit_id in sorted(rows, key=lambda row: (row[2] is not None, row[0], row[2] or 0)):
        if pack_unit_id is None:
            by_product_barcode.setdefault(barcode, []).append(ItemCandidate(pk, None, "barcode"))
        else:
            by_pack_barcode.setdefault(barcode, []).append(ItemCandidate(pk, pack_unit_id, "pack_barcode"))
    for index, code in enumerate(codes):
        if code in barcodes:
            found[index] = by_product_barcode.get(code, []) + by_pack_barcode.get(code, [])
    return found


def first_known_code(*, dealer_id: int | None, alternatives: list[list[str]]) -> list[str]:
    """For each line given by several codes (e.g. an EDI line's buyer's code, seller's code and GTIN, in that
    order), the first code that names a product, else the first code given (so the refusal names it)."""
    flat = [code for codes in alternatives for code in codes]
    candidates = iter(item_candidates(dealer_id=dealer_id, codes=flat))
    chosen = []
    for codes in alternatives:
        hits = [code for code in codes if next(candidates)]
        chosen.append(hits[0] if hits else (codes[0] if codes else ""))
    return chosen


class ItemCodeRefused(Exception):
    """The item code cannot be saved; ``message`` says why, for the dealer."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


def dealer_item_code_set(*, dealer_user, code: str, sku: str, unit_code: str = "") -> DealerItemCode:
    """Create or change ``dealer_user``'s dealer's own code ``code`` for the product ``sku`` (a product the dealer
    may see), optionally for one of its packs. Refuses an empty or too long code, an unknown or hidden SKU (the
    same answer for both), and a unit the product is not sold in."""
    code = code.strip()
    if not code or len(code) > DealerItemCode._meta.get_field("code").max_length:
        raise ItemCodeRefused(_("Give a code of at most 64 characters."))
    pricing = DealerPricing(dealer_user.dealer)
    product = visible_products(pricing=pricing).filter(sku=sku.strip()).select_related("base_unit").first()
    if product is None:
        raise ItemCodeRefused(_("No product with the code %(code)s can be ordered.") % {"code": sku.strip()})
    unit = None
    unit_code = unit_code.strip()
    if unit_code and code_key(unit_code) != code_key(product.base_unit.code):
        pack = next(
            (
                p
                for p in product.units.select_related("unit")
                if p.is_sales_unit and code_key(p.unit.code) == code_key(unit_code)
            ),
            None,
        )
        if pack is None:
            raise ItemCodeRefused(_("%(sku)s is not sold in unit %(unit)s.") % {"sku": product.sku, "unit": unit_code})
        unit = pack.unit
    item, _created = DealerItemCode.objects.update_or_create(
        dealer_id=dealer_user.dealer_id, code=code, defaults={"product": product, "unit": unit}
    )
    return item
