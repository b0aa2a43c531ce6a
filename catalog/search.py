"""Product search by SKU, name (Turkish or English) and barcode.

On PostgreSQL the product's SKU, names and barcode are folded into one lower-case text without Turkish letters
("İpek Çanta" → "ipek canta"), which the database keeps in the row (the generated column ``search_document``,
migration ``0012_product_search_document``), and searched with ``LIKE '%term%'``, which the trigram index over that
column answers without scanning the table; the matches it finds are checked against the stored text, not folded
again (folding costs about 10 µs a row: most of a search for a common word, before). Dealers type without
Turkish letters or in any case and still find "ŞİŞE" with "sise". Every word of the query must match. A pack's
barcode matches exactly.
On SQLite (the try-out database) the same folded text is built with ``search_key_expression`` (``TRANSLATE``
written as ``REPLACE``) and searched with ``LIKE``, without an index: the same words find the same products.

A word shorter than three letters has no trigram, so the index cannot narrow it: PostgreSQL would read all of the
index and then every row. Such a word is looked for with ``strpos`` instead, which the index does not answer, so
the rows are read in the page's order and the reading stops when the page is full.

Instant search (``product_suggestions``) needs the best few matches quickly, not all of them sorted: it takes the
first products by folded SKU in byte order from the SKU-prefix index (``0009_product_sku_search_key``, in byte
order since ``0012``; the query typed as a SKU, exact first) and the first matches by name (sorted from the trigram
index, or for one- and two-letter words read along the name index); their ids are read first, and only those rows
are then checked against the dealer's catalogue (visibility, prices) and ranked (``_Among``). Both are subsets of
what ``product_search`` finds, so the suggestions are always among the search page's results. Its queries run with
JIT compilation off (``search_transaction``): PostgreSQL cannot see that they stop early and would compile them for
longer than they run.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connections, transaction
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    F,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Collate, Concat

from b2bportal.text import search_key, search_key_expression, search_key_sql
from catalog.models import ProductUnit

MAX_TERMS = 8
# Instant search (``catalog/suggestions.py``): suggestions shown while typing, from this many characters on; a
# query longer than the catalogue form accepts gets none (the search page reports it).
SUGGEST_LIMIT = 8
SUGGEST_MIN_LENGTH = 2
MAX_QUERY_LENGTH = 100

# The folded document of these fields is the generated column ``search_document`` on PostgreSQL (migration 0012,
# trigram index) and an expression on SQLite; migration 0009 indexes the folded SKU (prefixes). Both are written
# with the table alias of the query at hand (``_Document``, ``_Folded``), so a subquery's rows are read, not the
# outer query's; PostgreSQL matches an expression to an index whatever the table's alias.
DOCUMENT_FIELDS = ("sku", "name", "name_en", "barcode")
DOCUMENT_COLUMN = "search_document"
SKU_KEY_SQL = search_key_sql('"catalog_product"."sku"')
# Words shorter than this have no trigram for the index to look up.
TRIGRAM = 3
# Instant search ranks this many candidates per suggestion shown from each index it walks.
CANDIDATES = 4


def search_terms(query: str) -> list[str]:
    return [term for term in search_key(query).split() if term][:MAX_TERMS]


def suggestion_query(query: str) -> str | None:
    """``query`` trimmed, when worth suggesting for: at least ``SUGGEST_MIN_LENGTH`` characters, at most
    ``MAX_QUERY_LENGTH``, with a word to search; otherwise None."""
    query = " ".join(query.split())
    if not SUGGEST_MIN_LENGTH <= len(query) <= MAX_QUERY_LENGTH or not search_terms(query):
        return None
    return query


def _escape_like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _like_pattern(term: str) -> str:
    return f"%{_escape_like(term)}%"


class _Folded(Func):
    """``search_key`` of the given fields joined by spaces, written exactly as the indexes were built."""

    output_field = CharField()

    def __init__(self, *fields: str):
        super().__init__(*(F(name) for name in fields))

    def as_sql(self, compiler, connection, **extra_context):
        columns, params = [], []
        for expression in self.get_source_expressions():
            sql, column_params = compiler.compile(expression)
            columns.append(sql)
            params += column_params
        return search_key_sql(" || ' ' || ".join(columns)), params


class _Document(Func):
    """The stored folded document of the query's product rows (PostgreSQL): ``"<alias>"."search_document"``. The
    column is the database's, not a model field; the alias is the one the product's primary key is read with."""

    output_field = CharField()

    def __init__(self):
        super().__init__(F("pk"))

    def as_sql(self, compiler, connection, **extra_context):
        column = self.get_source_expressions()[0]
        return f"{compiler.quote_name_unless_alias(column.alias)}.{connection.ops.quote_name(DOCUMENT_COLUMN)}", []


class _Match(Func):
    """``<folded fields> LIKE %s`` (the index answers it), or ``strpos(<folded fields>, %s) > 0`` for a word too
    short for the trigram index: the same test, written so that PostgreSQL does not read the whole index for it."""

    output_field = BooleanField()

    def __init__(self, folded: Func, value: str, *, operator: str = "like"):
        super().__init__(folded)
        self.value = value
        self.operator = operator

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.get_source_expressions()[0])
        if self.operator == "strpos":
            return f"strpos({sql}, %s) > 0", [*params, self.value]
        return f"{sql} LIKE %s", [*params, self.value]


def _search_document():
    """The folded document as an expression, for databases without the indexed SQL (SQLite)."""
    parts = []
    for name in ("sku", "name", "name_en", "barcode"):
        parts += [F(name), Value(" ")]
    return search_key_expression(Concat(*parts[:-1], output_field=CharField()))


def product_search(queryset: QuerySet, query: str) -> QuerySet:
    """Products matching every word of ``query``; best matches first are marked by ``search_rank`` (0 = exact)."""
    exact = query.strip()
    return _search(queryset, query, _pack_product_ids(exact))


def _search(queryset: QuerySet, query: str, pack_ids: list[int]) -> QuerySet:
    terms = search_terms(query)
    if not terms:
        return queryset
    exact = query.strip()
    condition = Q()
    if connections[queryset.db].vendor == "postgresql":
        for term in terms:
            if len(term) >= TRIGRAM:
                condition &= Q(_Match(_Document(), _like_pattern(term)))
            else:
                condition &= Q(_Match(_Document(), term, operator="strpos"))
    else:
        queryset = queryset.alias(search_document=_search_document())
        for term in terms:
            condition &= Q(search_document__contains=term)
    if pack_ids:
        condition |= Q(pk__in=pack_ids)
    return queryset.filter(condition).annotate(search_rank=_rank(exact, pack_ids))


class _Among(Func):
    """``<pk> = ANY(ARRAY(<candidates>))`` on PostgreSQL: the candidates' ids are read first, once, and only those
    rows are then looked up by primary key. Written as ``pk IN (…)`` PostgreSQL may turn it around, reading every
    match of the query and probing the candidates for each (it did, for a word in 7,600 names: 160 ms)."""

    output_field = BooleanField()

    def __init__(self, candidates: QuerySet):
        super().__init__(F("pk"), Subquery(candidates))

    def as_sql(self, compiler, connection, **extra_context):
        pk, candidates = self.get_source_expressions()
        pk_sql, pk_params = compiler.compile(pk)
        candidates_sql, candidates_params = compiler.compile(candidates)
        return f"{pk_sql} = ANY(ARRAY{candidates_sql})", [*pk_params, *candidates_params]


def _looks_like_a_barcode(exact: str) -> bool:
    return exact.isdigit() and len(exact) >= 8


def _pack_product_ids(exact: str) -> list[int]:
    """Products with a pack (a case of 12 has its own barcode) whose barcode is ``exact``: looked up first, so the
    main condition stays index-friendly."""
    if not _looks_like_a_barcode(exact):
        return []
    return list(ProductUnit.objects.filter(barcode=exact).values_list("product_id", flat=True)[:100])


def _rank(exact: str, pack_ids: list[int]) -> Case:
    return Case(
        When(Q(sku__iexact=exact) | Q(barcode=exact) | Q(pk__in=pack_ids), then=Value(0)),
        When(sku__istartswith=exact, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )


@contextmanager
def search_transaction(using: str):
    """A transaction for the queries of instant search in which PostgreSQL does not compile them (JIT).

    Their plans look costly to PostgreSQL, which cannot tell that an index walk stops after a few rows, and above
    ``jit_above_cost`` it spends longer compiling a query (seconds on a busy machine) than running it.
    ``SET LOCAL`` keeps the setting to this transaction."""
    with transaction.atomic(using=using):
        if connections[using].vendor == "postgresql":
            with connections[using].cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        yield


def _suggestion_order(name_field: str) -> list:
    code_first = Case(When(search_rank__lte=1, then=F("sku")), default=Value(""), output_field=CharField())
    return ["search_rank", code_first, name_field, "sku"]


def ranked_matches(queryset: QuerySet, query: str, *, name_field: str = "name") -> QuerySet:
    """Every match of ``product_search(queryset, query)`` in the order of instant search: by ``search_rank``
    (0: the SKU or a barcode is the query, 1: the SKU starts with it) and SKU, then the others by ``name_field``."""
    return product_search(queryset, query).order_by(*_suggestion_order(name_field))


def product_suggestions(queryset: QuerySet, query: str, *, limit: int, name_field: str = "name") -> QuerySet:
    """The first ``limit`` of ``ranked_matches(queryset, query)``, found without ranking every match.

    Ranking all matches of a short query to keep the first few reads most of a large catalogue, and PostgreSQL
    cannot tell how few rows ``queryset``'s own conditions (a dealer's prices) leave, so it would check them on
    every match before sorting. Candidates are therefore taken from all products, in index order, stopping early:
    the first ``CANDIDATES × limit`` whose folded SKU starts with the query (the SKU-prefix index, which holds the
    products of rank 0 and 1), those whose barcode or a pack's barcode is the query, and the first
    ``CANDIDATES × limit`` matches by ``name_field`` (for words of three letters or more the trigram index finds
    all matches and they are sorted; for shorter ones, whose matches are many, the name index is walked). Only
    they are checked against ``queryset`` and ranked. When this gives ``limit`` products, they are those
    ``ranked_matches`` gives; when it gives fewer than ``queryset`` has matches (most of the first matches are not
    in ``queryset``), the caller asks ``ranked_matches``. SQLite ranks all matches."""
    if connections[queryset.db].vendor != "postgresql":
        return ranked_matches(queryset, query, name_field=name_field)[:limit]
    exact = query.strip()
    pack_ids = _pack_product_ids(exact)
    every = queryset.model._default_manager.all()
    # In byte order ("C"), the order of the SKU-prefix index: PostgreSQL reads the first SKUs from it and stops.
    # In the database's own collation it read every SKU with the prefix and sorted them (6,000 for "BYA-03": 25 ms,
    # against 0.2 ms). For SKUs it is the same order in a "C" or "C.UTF-8" database; in another collation
    # punctuation may sort otherwise, and the candidates may then differ from the first SKUs in the ranking's order.
    sku_key = Collate(_Folded("sku"), "C")
    sku_prefix = _Match(sku_key, f"{_escape_like(search_key(exact))}%")
    by_code = every.filter(sku_prefix).order_by(sku_key).values("pk")[: CANDIDATES * limit]
    name_order = F(name_field)
    if all(len(term) >= TRIGRAM for term in search_terms(query)):
        # The trigram index finds every match of such words, and sorting them costs as much as there are matches.
        # Walking the name index instead, which PostgreSQL prefers when it expects many matches, reads far past
        # matches that sit together late in name order ("Beton Katkısı …"): thousands of rows for 32. Sorting by
        # the name as an expression (`|| ''`) keeps that index out of the plan.
        name_order = Concat(F(name_field), Value(""), output_field=CharField())
    by_name = _search(every, query, pack_ids).order_by(name_order, "sku").values("pk")[: CANDIDATES * limit]
    candidates = by_code.union(by_name, all=True)
    if _looks_like_a_barcode(exact):
        candidates = candidates.union(every.filter(Q(barcode=exact) | Q(pk__in=pack_ids)).values("pk"), all=True)
    ranked = _search(queryset.filter(_Among(candidates)), query, pack_ids)
    return ranked.order_by(*_suggestion_order(name_field))[:limit]
