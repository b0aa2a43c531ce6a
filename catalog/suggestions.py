"""Instant search: the first few products of a search while the dealer types, and the size of a search's result.

Suggestions are the best matches of the catalogue search (``catalog/search.py``: ``product_suggestions`` picks
them from ``product_search``'s matches) among the products the dealer may see on the catalogue list
(``visible_products``: active, in a visible category, priced when unpriced products are hidden), priced by
``catalog/pricing.py``, with availability from ``catalog/availability.py``. The query count does not depend on the
number of suggestions: the products, their count, their prices and their stock are one query each.

Counting every match of a two-letter query in a large catalogue costs more than the suggestions themselves, so
the search page's counts stop at ``COUNT_CAP`` ("1,000+"), and the suggestions' at ``SUGGEST_COUNT_CAP`` ("See all
100+ results"): a count is read row by row up to one more than its cap, and while the dealer types a tenth of
the rows are read (for a common pair of letters, 1,000 matches took 11 ms of reading, 100 took 2 ms). Instant
search reads the matches' ids rather than counting them: up to the cap they are all the matches, and the
suggestions are ranked among them alone, without searching again (a rare word was searched twice, the second
time along the name index to its end); beyond it, ``catalog.search.product_suggestions`` picks them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils import translation

from catalog.availability import Availability, availability_for_products
from catalog.models import Product
from catalog.prices import PriceResult
from catalog.pricing import DealerPricing
from catalog.search import SUGGEST_LIMIT, product_search, ranked_matches, search_transaction, suggestion_query
from catalog.search import product_suggestions as search_suggestions
from catalog.selectors import CatalogFilters, catalog_products, visible_products

COUNT_CAP = 1000
SUGGEST_COUNT_CAP = 100
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
    found = queryset.select_related(None).order_by().values("pk")[: COUNT_CAP + 1].count()
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
    visible = visible_products(pricing=pricing)
    name_field = "name_en" if (translation.get_language() or "").startswith("en") else "name"
    cap = min(COUNT_CAP, SUGGEST_COUNT_CAP)
    with search_transaction(visible.db):
        # The ids of the matches, up to one more than the cap: their number is the count, and when there are
        # no more than the cap they are all the matches, ranked exactly by looking up only them.
        found_ids = list(product_search(visible, query).order_by().values_list("pk", flat=True)[: cap + 1])
        count = ResultCount(total=min(len(found_ids), cap), capped=len(found_ids) > cap)
        rows = []
        if count.total and not count.capped:
            among = Product.objects.filter(pk__in=found_ids)
            rows = list(ranked_matches(among, query, name_field=name_field).select_related("base_unit")[:limit])
        elif count.total:
            found = search_suggestions(visible, query, limit=limit, name_field=name_field)
            rows = list(found.select_related("base_unit"))
        if len(rows) < min(limit, count.total):
            # Most of the catalogue's first matches are not offered to this dealer: rank all of theirs.
            rows = list(ranked_matches(visible, query, name_field=name_field).select_related("base_unit")[:limit])
    pricing.prime(rows)
    stock = availability_for_products(rows)
    return Suggestions(
        query=query,
        rows=[Suggestion(product=p, price=pricing.price(p, p.min_order_qty), availability=stock[p.pk]) for p in rows],
        count=count,
    )
