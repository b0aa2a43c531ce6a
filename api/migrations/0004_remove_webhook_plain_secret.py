from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("api", "0003_webhook_secrets_encrypt")]

    operations = [
        # A default first, so that backwards the column can come back on a table with rows (0003 then fills it).
        migrations.AlterField(
            model_name="webhookendpoint",
            name="secret",
            field=models.CharField(default="", editable=False, max_length=100, verbose_name="signing secret"),
        ),
        migrations.RemoveField(model_name="webhookendpoint", name="secret"),
    ]
