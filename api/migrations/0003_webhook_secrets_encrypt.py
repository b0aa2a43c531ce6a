"""The signing secrets stored in plain text are encrypted (``b2bportal.encryption``); backwards they are decrypted
into the plain column again. Going backwards refuses a secret no configured key decrypts rather than lose it."""

from django.db import migrations

from b2bportal.encryption import decrypt, encrypt

HINT_LENGTH = len("whsec_") + 4  # as api.webhook_secrets.secret_hint, frozen here


def encrypt_secrets(apps, schema_editor):
    WebhookEndpoint = apps.get_model("api", "WebhookEndpoint")
    for endpoint in WebhookEndpoint.objects.filter(secret_encrypted="").only("pk", "secret").iterator():
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            secret_encrypted=encrypt(endpoint.secret), secret_hint=endpoint.secret[:HINT_LENGTH]
        )


def decrypt_secrets(apps, schema_editor):
    WebhookEndpoint = apps.get_model("api", "WebhookEndpoint")
    for endpoint in WebhookEndpoint.objects.exclude(secret_encrypted="").only("pk", "secret_encrypted").iterator():
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
            secret=decrypt(endpoint.secret_encrypted), secret_encrypted="", secret_hint=""
        )


class Migration(migrations.Migration):
    dependencies = [("api", "0002_webhook_secret_encrypted_fields")]

    operations = [migrations.RunPython(encrypt_secrets, decrypt_secrets)]
