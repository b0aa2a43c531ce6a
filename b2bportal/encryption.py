"""Encryption of the secrets the portal must read back (webhook signing secrets): every caller encrypts and
decrypts through this module, so there is one key set and one format.

Keys come from ``B2B_FIELD_ENCRYPTION_KEYS`` (environment ``FIELD_ENCRYPTION_KEYS``, comma-separated): the first
encrypts, every one decrypts, so a key is rotated by putting a new one first and keeping the old one after it
until everything was encrypted again (``reencrypt``). Left empty, the one key is ``SECRET_KEY``. Each entry is key
material, not a Fernet key: it goes through HKDF-SHA256 with the fixed label ``PURPOSE``, so the key that encrypts
is stable for the same material and unrelated to anything else made from ``SECRET_KEY`` (sessions, tokens).

The format is Fernet (AES-128-CBC with HMAC-SHA256, a timestamp, base64): a value encrypted under a key no longer
listed, or altered, raises ``DecryptionFailed`` — never garbage. The empty text stays empty (no secret).

Apps name their encrypted columns with ``register_encrypted_fields`` (in ``AppConfig.ready``), so that
``manage.py encryption_rotate`` can encrypt them all again with the first key after a rotation.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.apps import apps
from django.conf import settings

# Changing the label changes every key: values encrypted before could no longer be read.
PURPOSE = b"b2bportal.encryption:field-encryption:v1"
MIN_KEY_LENGTH = 32
ENCRYPTED_FIELDS: dict[str, tuple[str, ...]] = {}


class DecryptionFailed(Exception):
    """The value cannot be decrypted with any configured key: the key it was encrypted with was removed, or the
    value was altered."""


def key_materials() -> list[str]:
    """The configured key material, the encrypting one first; ``SECRET_KEY`` when none is configured."""
    return [key for key in getattr(settings, "B2B_FIELD_ENCRYPTION_KEYS", []) if key] or [settings.SECRET_KEY]


def keys_derived_from_secret_key() -> bool:
    """Whether no key is configured, so the one key is derived from ``SECRET_KEY``."""
    return not [key for key in getattr(settings, "B2B_FIELD_ENCRYPTION_KEYS", []) if key]


def derive_key(material: str) -> bytes:
    """The Fernet key made from ``material`` (HKDF-SHA256, 32 bytes, ``PURPOSE`` as the info label)."""
    derived = HKDF(algorithm=SHA256(), length=32, salt=None, info=PURPOSE).derive(material.encode())
    return base64.urlsafe_b64encode(derived)


@lru_cache(maxsize=8)
def _cipher(materials: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(derive_key(material)) for material in materials])


def _current() -> MultiFernet:
    # Read on every call, not at import: settings overridden in tests and by operators apply at once.
    return _cipher(tuple(key_materials()))


def encrypt(text: str) -> str:
    """``text`` encrypted with the first key (ASCII, about 1.4 × its length plus 100 characters)."""
    if not text:
        return ""
    return _current().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    """The text ``token`` was made from, with whichever configured key made it. Raises ``DecryptionFailed``."""
    if not token:
        return ""
    try:
        return _current().decrypt(token.encode()).decode()
    except (InvalidToken, UnicodeError) as error:
        raise DecryptionFailed("No configured encryption key decrypts this value.") from error


def reencrypt(token: str) -> str:
    """``token`` encrypted again with the first key (after a key was put first). Raises ``DecryptionFailed``."""
    if not token:
        return ""
    try:
        return _current().rotate(token.encode()).decode()
    except InvalidToken as error:
        raise DecryptionFailed("No configured encryption key decrypts this value.") from error


def register_encrypted_fields(model_label: str, *fields: str) -> None:
    """Name the text columns of ``model_label`` ("app.Model") that hold values made by ``encrypt``."""
    ENCRYPTED_FIELDS[model_label] = tuple(dict.fromkeys((*ENCRYPTED_FIELDS.get(model_label, ()), *fields)))


@dataclass
class RotationReport:
    reencrypted: int = 0
    unreadable: list[str] = field(default_factory=list)  # "app.Model #pk field": no configured key decrypts it


def encrypted_fields_rotate() -> RotationReport:
    """Encrypt every registered column again with the first key. A value no key decrypts is left as it is and
    named in the report. Safe to run twice; each row is written on its own (an offline command over few rows)."""
    report = RotationReport()
    for label, names in ENCRYPTED_FIELDS.items():
        model = apps.get_model(label)
        for pk, *values in model.objects.order_by("pk").values_list("pk", *names).iterator():
            changed = {}
            for name, value in zip(names, values, strict=True):
                try:
                    changed[name] = reencrypt(value)
                except DecryptionFailed:
                    report.unreadable.append(f"{label} #{pk} {name}")
            if changed:
                model.objects.filter(pk=pk).update(**changed)
                report.reencrypted += sum(1 for value in changed.values() if value)
    return report
