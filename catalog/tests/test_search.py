"""Product search: Turkish letters folded, every word must match, exact SKU and barcodes first, the index used."""

from decimal import Decimal

import pytest
from django.db import connection

from b2bportal.tests.sqlite_run import sqlite_database, sqlite_script
from b2bportal.text import search_key
from catalog.models import Product
from catalog.search import product_search
from catalog.tests.factories import ProductFactory, ProductUnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def products(db):
    return {
        "bottle": ProductFactory(
            sku="CAM-100", name="ŞİŞE Cam 1 L", name_en="Glass bottle 1 l", barcode="8690000000011"
        ),
        "bag": ProductFactory(sku="IPK-7", name="İpek Çanta", name_en="Silk bag"),
        "screw": ProductFactory(sku="VD-4x40", name="Vida 4x40 %50 indirimli", name_en="Screw"),
        "cam": ProductFactory(sku="CAM-1000", name="Kamera", name_en="Camera"),
    }


def found(query):
    return list(
        product_search(Product.objects.all(), query).order_by("search_rank", "sku").values_list("sku", flat=True)
    )


def test_fold():
    assert search_key("İPEK ÇANTA Şişe ığ") == "ipek canta sise ig"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("sise", ["CAM-100"]),
        ("ŞİŞE", ["CAM-100"]),
        ("Şişe cam", ["CAM-100"]),
        ("ipek", ["IPK-7"]),
        ("IPEK canta", ["IPK-7"]),
        ("silk", ["IPK-7"]),
        ("bottle glass", ["CAM-100"]),
        ("8690000000011", ["CAM-100"]),
        ("ipek vida", []),
        ("%", ["VD-4x40"]),
        ("_", []),
    ],
)
def test_every_word_must_match_in_any_field(products, query, expected):
    assert found(query) == expected


def test_exact_sku_comes_first(products):
    assert found("cam-100") == ["CAM-100", "CAM-1000"]
    assert found("CAM-1000")[0] == "CAM-1000"


def test_pack_barcode_matches_exactly(products):
    ProductUnitFactory(product=products["screw"], factor=Decimal("100"), barcode="8690000009999")
    assert found("8690000009999") == ["VD-4x40"]
    assert found("869000000999") == []


def test_empty_query_changes_nothing(products):
    assert product_search(Product.objects.all(), "   ").count() == 4


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigram index exists on PostgreSQL only")
def test_search_uses_the_trigram_index(products):
    queryset = product_search(Product.objects.all(), "sise").order_by("search_rank", "name")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = queryset.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "product_search_trgm_idx" in plan, plan


TURKISH_NAMES = {
    "KAC-1": ("Kaçak Akım Rölesi 30 mA", "Residual current relay 30 mA"),
    "BOY-1": ("Duvar Boyası Beyaz 15 L", "Wall paint white 15 l"),
    "CAM-100": ("ŞİŞE Cam 1 L", "Glass bottle 1 l"),
    "IPK-7": ("İpek Çanta", "Silk bag"),
}
TURKISH_QUERIES = {
    "kaçak": ["KAC-1"],
    "kacak": ["KAC-1"],
    "akım": ["KAC-1"],
    "AKIM": ["KAC-1"],
    "rolesi": ["KAC-1"],
    "Rölesi kaçak": ["KAC-1"],
    "boyası": ["BOY-1"],
    "BOYASI beyaz": ["BOY-1"],
    "sise": ["CAM-100"],
    "ŞİŞE cam": ["CAM-100"],
    "ipek canta": ["IPK-7"],
    "silk": ["IPK-7"],
    "ipek vida": [],
}


def test_turkish_letters_are_folded_on_postgresql_as_on_sqlite(db):
    for sku, (name, name_en) in TURKISH_NAMES.items():
        ProductFactory(sku=sku, name=name, name_en=name_en)
    assert {query: found(query) for query in TURKISH_QUERIES} == TURKISH_QUERIES


def test_turkish_letters_are_folded_on_sqlite(tmp_path):
    """The try-out database: the same search on a real SQLite file finds the same products."""
    database = sqlite_database(tmp_path)
    results = sqlite_script(
        database,
        f"""
        import json
        from catalog.models import Product
        from catalog.search import product_search
        from catalog.tests.factories import ProductFactory
        for sku, (name, name_en) in {TURKISH_NAMES!r}.items():
            ProductFactory(sku=sku, name=name, name_en=name_en)
        found = {{
            query: sorted(product_search(Product.objects.all(), query).values_list("sku", flat=True))
            for query in {list(TURKISH_QUERIES)!r}
        }}
        print(json.dumps(found))
        """,
    )
    assert results == TURKISH_QUERIES
