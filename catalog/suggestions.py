"""Instant search: the first few products of a search while the dealer types, and the size of a search's result.

Suggestions are the first rows of the catalogue search page itself (``catalog_products`` with the query, in its
"best match" order): the same products a dealer may see there (``visible_products``: active, in a visible
category, priced when unpriced products are hidden), found by the one search (``catalog/search.py``), priced by
``catalog/pricing.py`` and with availability from ``catalog/availability.py``. The query count does not depend on
the number of suggestions: the products, their count, their prices and their stock are one query each.

Counting every match of a two-letter query in a large catalogue costs more than the suggestions themselves, so
counts stop at ``COUNT_CAP`` and are shown as "1,000+".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.db.models import QuerySet

from catalog.availability import Availability, availability_for_products
from catalog.models import Product
from catalog.prices import PriceResult
from catalog.pricing import DealerPricing
from catalog.search import SUGGEST_LIMIT, suggestion_query
from catalog.selectors import CatalogFilters, catalog_products

COUNT_CAP = 1000
# Page links on either side of the current page; the first and last page are always linked.
PAGE_WINDOW = 2


@dataclass(frozen=True)
class ResultCount:
    """How many products a search found, up to ``COUNT_CAP``; ``capped`` when there are more."""

    total: int
    capped: bool = False

    def last_page(self, per_page: int) -> int:
        return max(1, math.ceil(self.total / per_page))

    def page_numbers(self, current: int, per_page: int) -> list[int | None]:
        """Page numbers to link: the first, a window around ``current`` and the last; ``None`` marks a gap. When
        the count is capped the last page is unknown: the numbers end with the window (and a gap follows)."""
        last = self.last_page(per_page)
        upper = min(current + PAGE_WINDOW, last) if current <= last else current
        shown = {1, *range(max(1, current - PAGE_WINDOW), upper + 1)}
        if not self.capped:
            shown.add(last)
        numbers: list[int | None] = []
        for number in sorted(shown):
            if numbers and number - numbers[-1] > 1:
                numbers.append(None)
            numbers.append(number)
        if self.capped:
            numbers.append(None)
        return numbers


def result_count(queryset: QuerySet) -> ResultCount:
    """The rows of ``queryset`` counted up to ``COUNT_CAP`` (the database stops reading after one more)."""
    found = queryset.order_by()[: COUNT_CAP + 1].count()
    return ResultCount(total=min(found, COUNT_CAP), capped=found > COUNT_CAP)


def search_result_count(*, pricing: DealerPricing, filters: CatalogFilters) -> ResultCount:
    """The size of the catalogue page's result for these filters (search, category, brand, stock)."""
    return result_count(catalog_products(pricing=pricing, filters=filters))


@dataclass
class Suggestion:
    product: Product
    price: PriceResult
    availability: Availability


@dataclass
class Suggestions:
    query: str
    rows: list[Suggestion]
    count: ResultCount


def product_suggestions(*, pricing: DealerPricing, query: str, limit: int = SUGGEST_LIMIT) -> Suggestions | None:
    """The first ``limit`` products the catalogue search finds for ``query``, each with the dealer's price and
    its availability, and how many it finds in all. ``None`` for a query too short or too long to suggest for
    (``suggestion_query``): no query runs then."""
    query = suggestion_query(query)
    if query is None:
        return None
    products = catalog_products(pricing=pricing, filters=CatalogFilters(q=query))
    rows = list(products[:limit])
    count = result_count(products) if rows else ResultCount(total=0)
    pricing.prime(rows)
    stock = availability_for_products(rows)
    return Suggestions(
        query=query,
        rows=[Suggestion(product=p, price=pricing.price(p, p.min_order_qty), availability=stock[p.pk]) for p in rows],
        count=count,
    )
