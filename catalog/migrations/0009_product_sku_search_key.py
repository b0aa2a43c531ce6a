"""An index over the folded SKU for prefixes (PostgreSQL only): instant search walks it in SKU order."""

from django.db import migrations

INDEX_NAME = "product_sku_search_key_idx"
# Must stay identical to catalog.search.SKU_KEY_SQL, or PostgreSQL will not use the index (a test checks the plan).
SKU_KEY_SQL = "lower(translate(\"catalog_product\".\"sku\", 'İIıŞşĞğÜüÖöÇç', 'iiissgguuoocc'))"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX_NAME} ON catalog_product (({SKU_KEY_SQL}) text_pattern_ops)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX_NAME}")


class Migration(migrations.Migration):
    dependencies = [("catalog", "0008_unique_constraints_portable")]

    operations = [migrations.RunPython(create_index, drop_index)]
