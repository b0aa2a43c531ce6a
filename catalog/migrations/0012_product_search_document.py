"""The folded search text of a product stored in its row (PostgreSQL only; SQLite builds it in each query).

The trigram index of migration 0004 was built over an expression: it finds the candidate rows, but every match
had to be checked again by computing the expression on it (``translate`` and ``lower`` over four columns, about
10 µs a row), and for a common word that was most of the time of a search (7,600 matches: 70 ms). The database
now keeps the folded text in the generated column ``search_document``, computed when a row is written (whoever
writes it: the admin, the importers, ``COPY``), and the trigram index is rebuilt over that column under the same
name, so the check reads a stored text. The column is not a model field: Django never writes it, the database
does, and ``catalog.search`` reads it by name on PostgreSQL only.

The SKU-prefix index of migration 0009 is rebuilt in byte order (collation "C"), so that instant search reads the
first SKUs with a prefix from it in order instead of sorting all of them.
"""

from django.db import migrations

INDEX_NAME = "product_search_trgm_idx"
SKU_INDEX_NAME = "product_sku_search_key_idx"
# b2bportal.text.search_key_sql of the SKU, as in migration 0009 and catalog.search (``_Folded("sku")``).
SKU_KEY_SQL = "lower(translate(\"sku\", 'İIıŞşĞğÜüÖöÇç', 'iiissgguuoocc'))"
COLUMN = "search_document"
# b2bportal.text.search_key_sql over the document fields of catalog.search (DOCUMENT_FIELDS): the same text the
# index of migration 0004 was built over.
SEARCH_DOCUMENT_SQL = (
    "lower(translate(\"sku\" || ' ' || \"name\" || ' ' || \"name_en\" || ' ' || \"barcode\", "
    "'İIıŞşĞğÜüÖöÇç', 'iiissgguuoocc'))"
)
OLD_DOCUMENT_SQL = (
    "lower(translate(\"catalog_product\".\"sku\" || ' ' || \"catalog_product\".\"name\" || ' ' || "
    "\"catalog_product\".\"name_en\" || ' ' || \"catalog_product\".\"barcode\", "
    "'İIıŞşĞğÜüÖöÇç', 'iiissgguuoocc'))"
)


def store_document(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"ALTER TABLE catalog_product ADD COLUMN IF NOT EXISTS {COLUMN} text "
        f"GENERATED ALWAYS AS ({SEARCH_DOCUMENT_SQL}) STORED"
    )
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX_NAME}")
    schema_editor.execute(f"CREATE INDEX {INDEX_NAME} ON catalog_product USING gin ({COLUMN} gin_trgm_ops)")
    # The SKU-prefix index of migration 0009 in byte order (collation "C") instead of text_pattern_ops: it answers
    # the same prefixes, and PostgreSQL can also read SKUs from it in order (ORDER BY … COLLATE "C"), stopping
    # after the first few instead of sorting every SKU with the prefix.
    schema_editor.execute(f"DROP INDEX IF EXISTS {SKU_INDEX_NAME}")
    schema_editor.execute(f'CREATE INDEX {SKU_INDEX_NAME} ON catalog_product (({SKU_KEY_SQL}) COLLATE "C")')
    # Statistics of the new column at once: without them PostgreSQL takes every word for a rare one (10 rows).
    schema_editor.execute("ANALYZE catalog_product")


def drop_document(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {SKU_INDEX_NAME}")
    schema_editor.execute(f"CREATE INDEX {SKU_INDEX_NAME} ON catalog_product (({SKU_KEY_SQL}) text_pattern_ops)")
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX_NAME}")
    schema_editor.execute(f"ALTER TABLE catalog_product DROP COLUMN IF EXISTS {COLUMN}")
    schema_editor.execute(
        f"CREATE INDEX {INDEX_NAME} ON catalog_product USING gin (({OLD_DOCUMENT_SQL}) gin_trgm_ops)"
    )


class Migration(migrations.Migration):
    dependencies = [("catalog", "0011_merge_product_media")]

    operations = [migrations.RunPython(store_document, drop_document)]
