from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("api", "0001_api_keys_idempotency_webhooks")]

    operations = [
        migrations.AddField(
            model_name="webhookendpoint",
            name="secret_encrypted",
            field=models.TextField(default="", editable=False, verbose_name="signing secret (encrypted)"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="webhookendpoint",
            name="secret_hint",
            field=models.CharField(default="", editable=False, max_length=20, verbose_name="signing secret"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="webhookendpoint",
            name="previous_secret_encrypted",
            field=models.TextField(blank=True, editable=False, verbose_name="previous signing secret (encrypted)"),
        ),
        migrations.AddField(
            model_name="webhookendpoint",
            name="previous_secret_until",
            field=models.DateTimeField(
                blank=True, editable=False, null=True, verbose_name="previous secret valid until"
            ),
        ),
    ]
