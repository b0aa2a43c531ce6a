"""Product search by SKU, name (Turkish or English) and barcode.

On PostgreSQL the product's SKU, names and barcode are folded into one lower-case text without Turkish letters
("İpek Çanta" → "ipek canta") and searched with ``LIKE '%term%'``, which the trigram index created in migration
``0004_product_search`` answers without scanning the table. Dealers type without Turkish letters or in any case
and still find "ŞİŞE" with "sise". Every word of the query must match. A pack's barcode matches exactly.
On SQLite (the try-out database) the same folded text is built with ``search_key_expression`` (``TRANSLATE``
written as ``REPLACE``) and searched with ``LIKE``, without an index: the same words find the same products.
"""

from __future__ import annotations

from django.db import connections
from django.db.models import BooleanField, Case, CharField, F, Func, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Concat

from b2bportal.text import search_key, search_key_expression, search_key_sql
from catalog.models import ProductUnit

MAX_TERMS = 8
# Instant search (``catalog/suggestions.py``): suggestions shown while typing, from this many characters on; a
# query longer than the catalogue form accepts gets none (the search page reports it).
SUGGEST_LIMIT = 8
SUGGEST_MIN_LENGTH = 2
MAX_QUERY_LENGTH = 100

# The indexed expression; migration 0004 builds the index from exactly this SQL.
SEARCH_DOCUMENT_SQL = search_key_sql(
    '"catalog_product"."sku" || \' \' || "catalog_product"."name" || \' \' || '
    '"catalog_product"."name_en" || \' \' || "catalog_product"."barcode"'
)


def search_terms(query: str) -> list[str]:
    return [term for term in search_key(query).split() if term][:MAX_TERMS]


def suggestion_query(query: str) -> str | None:
    """``query`` trimmed, when worth suggesting for: at least ``SUGGEST_MIN_LENGTH`` characters, at most
    ``MAX_QUERY_LENGTH``, with a word to search; otherwise None."""
    query = " ".join(query.split())
    if not SUGGEST_MIN_LENGTH <= len(query) <= MAX_QUERY_LENGTH or not search_terms(query):
        return None
    return query


def _like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class _Like(Func):
    """``<search document> LIKE %s`` written out, so PostgreSQL sees the indexed expression unchanged."""

    def __init__(self, pattern: str):
        super().__init__(output_field=BooleanField())
        self.pattern = pattern

    def as_sql(self, compiler, connection, **extra_context):
        return f"{SEARCH_DOCUMENT_SQL} LIKE %s", [self.pattern]


def _search_document():
    """The folded document as an expression, for databases without the indexed SQL (SQLite)."""
    parts = []
    for name in ("sku", "name", "name_en", "barcode"):
        parts += [F(name), Value(" ")]
    return search_key_expression(Concat(*parts[:-1], output_field=CharField()))


def product_search(queryset: QuerySet, query: str) -> QuerySet:
    """Products matching every word of ``query``; best matches first are marked by ``search_rank`` (0 = exact)."""

    terms = search_terms(query)
    if not terms:
        return queryset
    exact = query.strip()
    condition = Q()
    if connections[queryset.db].vendor == "postgresql":
        for term in terms:
            condition &= Q(_Like(_like_pattern(term)))
    else:
        queryset = queryset.alias(search_document=_search_document())
        for term in terms:
            condition &= Q(search_document__contains=term)
    # A pack's barcode (a case of 12 has its own): looked up first, so the main condition stays index-friendly.
    pack_ids = []
    if exact.isdigit() and len(exact) >= 8:
        pack_ids = list(ProductUnit.objects.filter(barcode=exact).values_list("product_id", flat=True)[:100])
    if pack_ids:
        condition |= Q(pk__in=pack_ids)
    rank = Case(
        When(Q(sku__iexact=exact) | Q(barcode=exact) | Q(pk__in=pack_ids), then=Value(0)),
        When(sku__istartswith=exact, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return queryset.filter(condition).annotate(search_rank=rank)
