"""Field encryption (``b2bportal.encryption``): a round trip, keys rotated (the old key still decrypts, the new one
encrypts), a removed key refused with ``DecryptionFailed``, the default key derived from SECRET_KEY stable and
HKDF-made, and the system checks on the keys."""

import base64

import pytest
from cryptography.fernet import Fernet

from b2bportal.checks import check_field_encryption_keys
from b2bportal.encryption import DecryptionFailed, decrypt, derive_key, encrypt, key_materials, reencrypt

OLD = "old-key-material-0123456789-abcdefghijklmnop"
NEW = "new-key-material-9876543210-zyxwvutsrqponmlk"


def test_a_value_round_trips_and_is_not_stored_readable(settings):
    settings.B2B_FIELD_ENCRYPTION_KEYS = [NEW]
    token = encrypt("whsec_plain-secret")
    assert "plain-secret" not in token and token != encrypt("whsec_plain-secret")  # a fresh IV each time
    assert decrypt(token) == "whsec_plain-secret"
    assert encrypt("") == "" and decrypt("") == ""


def test_rotated_keys_the_old_decrypts_the_new_encrypts(settings):
    settings.B2B_FIELD_ENCRYPTION_KEYS = [OLD]
    old_token = encrypt("s1")
    settings.B2B_FIELD_ENCRYPTION_KEYS = [NEW, OLD]
    assert decrypt(old_token) == "s1"
    new_token = encrypt("s2")
    rotated = reencrypt(old_token)
    settings.B2B_FIELD_ENCRYPTION_KEYS = [NEW]  # the old key retired
    assert decrypt(new_token) == "s2" and decrypt(rotated) == "s1"
    with pytest.raises(DecryptionFailed):
        decrypt(old_token)


def test_a_removed_key_or_an_altered_value_fails_loudly(settings):
    settings.B2B_FIELD_ENCRYPTION_KEYS = [OLD]
    token = encrypt("secret")
    settings.B2B_FIELD_ENCRYPTION_KEYS = [NEW]
    with pytest.raises(DecryptionFailed):
        decrypt(token)
    with pytest.raises(DecryptionFailed):
        reencrypt(token)
    settings.B2B_FIELD_ENCRYPTION_KEYS = [OLD]
    with pytest.raises(DecryptionFailed):
        decrypt(token[:-4] + "AAAA")


def test_without_keys_the_key_is_derived_from_secret_key_by_hkdf(settings):
    settings.B2B_FIELD_ENCRYPTION_KEYS = []
    settings.SECRET_KEY = OLD
    assert key_materials() == [OLD]
    token = encrypt("secret")
    # Stable: the same SECRET_KEY gives the same key, so the value can be read by another process and later.
    assert Fernet(derive_key(OLD)).decrypt(token.encode()) == b"secret"
    # Not the SECRET_KEY itself nor a plain hash of it: HKDF with the purpose label.
    assert derive_key(OLD) != derive_key(NEW) and len(base64.urlsafe_b64decode(derive_key(OLD))) == 32
    settings.SECRET_KEY = NEW
    with pytest.raises(DecryptionFailed):
        decrypt(token)


def test_production_warns_when_the_key_comes_from_secret_key(settings):
    settings.B2B_PRODUCTION = True
    settings.B2B_FIELD_ENCRYPTION_KEYS = []
    assert [p.id for p in check_field_encryption_keys()] == ["b2bportal.W001"]
    settings.B2B_FIELD_ENCRYPTION_KEYS = [NEW]
    assert check_field_encryption_keys() == []
    settings.B2B_PRODUCTION = False
    settings.B2B_FIELD_ENCRYPTION_KEYS = []
    assert check_field_encryption_keys() == []  # development and the demo: the derived key is fine


def test_a_short_key_is_refused(settings):
    settings.B2B_FIELD_ENCRYPTION_KEYS = [NEW, "short"]
    assert [p.id for p in check_field_encryption_keys()] == ["b2bportal.E014"]
