"""The stored OAuth tokens move from the token store's own key (SHA-256 of ``SECRET_KEY``, or of
``ERPSYNC_TOKEN_KEY``) to the portal's field encryption (``b2bportal.encryption``), and back. A token the old key
cannot decrypt is left as it is: it was already as good as none (a new sign-in follows)."""

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import migrations

from b2bportal.encryption import DecryptionFailed, decrypt, encrypt

FIELDS = ("access_token", "refresh_token")


def _legacy() -> Fernet:
    # The token store's key before this migration, frozen here.
    secret = getattr(settings, "ERPSYNC_TOKEN_KEY", "") or settings.SECRET_KEY
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"erpsync.token_store:" + secret.encode()).digest()))


def _legacy_decrypt(text: str) -> str | None:
    try:
        return _legacy().decrypt(text.encode()).decode() if text else ""
    except InvalidToken:
        return None


def _new_decrypt(text: str) -> str | None:
    try:
        return decrypt(text)
    except DecryptionFailed:
        return None


def _convert(apps, read, write) -> None:
    ApiToken = apps.get_model("erpsync", "ApiToken")
    for pk, *values in ApiToken.objects.order_by("pk").values_list("pk", *FIELDS).iterator():
        changed = {}
        for name, value in zip(FIELDS, values, strict=True):
            plain = read(value)
            if plain is not None:
                changed[name] = write(plain)
        if changed:
            ApiToken.objects.filter(pk=pk).update(**changed)


def to_field_encryption(apps, schema_editor):
    _convert(apps, _legacy_decrypt, encrypt)


def to_token_store_key(apps, schema_editor):
    _convert(apps, _new_decrypt, lambda plain: _legacy().encrypt(plain.encode()).decode() if plain else "")


class Migration(migrations.Migration):
    dependencies = [("erpsync", "0015_api_usage")]

    operations = [migrations.RunPython(to_field_encryption, to_token_store_key)]
