from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def english_names_from_the_catalogue(apps, schema_editor):
    """Lines placed before the English name was kept take the catalogue's English name of their product."""
    OrderLine = apps.get_model("orders", "OrderLine")
    Product = apps.get_model("catalog", "Product")
    name_en = Product.objects.filter(pk=OuterRef("product_id")).values("name_en")[:1]
    OrderLine.objects.filter(name_en="").update(name_en=Subquery(name_en))


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0003_approval_queue"),
        ("catalog", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="orderline",
            name="name_en",
            field=models.CharField(blank=True, max_length=255, verbose_name="name (English)"),
        ),
        migrations.RunPython(english_names_from_the_catalogue, migrations.RunPython.noop, elidable=True),
    ]
