from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0004_hold_reasons_as_rule_codes"),
        ("orders", "0004_unique_constraints_portable"),
        ("orders", "0004_order_line_english_name"),
    ]

    operations = []
