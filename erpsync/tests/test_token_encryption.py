"""The stored OAuth tokens use the portal's field encryption (``b2bportal.encryption``): readable across a key
rotation, as good as none when their key was removed, re-encrypted by ``encryption_rotate``, and moved from the
token store's former key by the migration (and back)."""

import base64
import hashlib
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from b2bportal.encryption import decrypt
from erpsync.models import ApiToken
from erpsync.token_store import token_read, token_renew

OLD_KEY = "old-key-material-0123456789-abcdefghijklmnop"
NEW_KEY = "new-key-material-9876543210-zyxwvutsrqponmlk"


def _store(key="parasut:1:client") -> None:
    token_renew(key, seen_version=0, renew=lambda current: ("access-1", "refresh-1", 3600))


@pytest.mark.django_db
def test_tokens_are_encrypted_with_the_field_keys_and_survive_a_rotation(settings):
    settings.B2B_FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    _store()
    row = ApiToken.objects.get()
    assert "access-1" not in row.access_token and decrypt(row.access_token) == "access-1"
    settings.B2B_FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    assert token_read("parasut:1:client").access_token == "access-1"
    call_command("encryption_rotate", stdout=StringIO())
    settings.B2B_FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    pair = token_read("parasut:1:client")
    assert (pair.access_token, pair.refresh_token) == ("access-1", "refresh-1")


@pytest.mark.django_db
def test_a_token_whose_key_was_removed_is_as_good_as_none(settings):
    settings.B2B_FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    _store()
    settings.B2B_FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    pair = token_read("parasut:1:client")
    assert pair.access_token == "" and pair.refresh_token == "" and not pair.usable()


@pytest.mark.django_db(transaction=True)
def test_the_migration_moves_tokens_from_the_former_key_and_back(settings):
    settings.B2B_FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    former = Fernet(base64.urlsafe_b64encode(hashlib.sha256(b"erpsync.token_store:" + settings.SECRET_KEY.encode())
                                             .digest()))  # fmt: skip
    before, after = [("erpsync", "0015_api_usage")], [("erpsync", "0016_api_tokens_field_encryption")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    OldToken = executor.loader.project_state(before).apps.get_model("erpsync", "ApiToken")
    row = OldToken.objects.create(
        key="parasut:1:client",
        access_token=former.encrypt(b"access-1").decode(),
        refresh_token=former.encrypt(b"refresh-1").decode(),
    )
    unreadable = OldToken.objects.create(key="parasut:2:client", access_token="not-a-token")
    executor = MigrationExecutor(connection)
    executor.migrate(after)
    pair = token_read("parasut:1:client")
    assert (pair.access_token, pair.refresh_token) == ("access-1", "refresh-1")
    assert ApiToken.objects.get(pk=unreadable.pk).access_token == "not-a-token"  # left as it was
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    assert former.decrypt(OldToken.objects.get(pk=row.pk).access_token.encode()) == b"access-1"
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes("erpsync"))
