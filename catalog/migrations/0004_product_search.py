"""A trigram index over the folded search text of products (PostgreSQL only; SQLite searches without it)."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

INDEX_NAME = "product_search_trgm_idx"
# Must stay identical to catalog.search.SEARCH_DOCUMENT_SQL, or PostgreSQL will not use the index
# (a test checks the query plan).
SEARCH_DOCUMENT_SQL = (
    "lower(translate(\"catalog_product\".\"sku\" || ' ' || \"catalog_product\".\"name\" || ' ' || "
    "\"catalog_product\".\"name_en\" || ' ' || \"catalog_product\".\"barcode\", "
    "'İIıŞşĞğÜüÖöÇç', 'iiissgguuoocc'))"
)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX_NAME} ON catalog_product USING gin (({SEARCH_DOCUMENT_SQL}) gin_trgm_ops)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX_NAME}")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0003_product_low_stock_level")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_index, drop_index),
    ]
