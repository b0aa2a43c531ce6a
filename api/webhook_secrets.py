"""Webhook signing secrets: made, encrypted at rest (``b2bportal.encryption``), named by a hint, and read back for
signing. A secret is shown in full only when made (on registration and after a roll); afterwards only its hint.

After a roll the previous secret stays valid for ``ROLL_OVERLAP``: deliveries in that window carry a signature
with each secret, the new one first, so a receiver can switch over without losing a delivery."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from django.utils import timezone

from api.models import WebhookEndpoint
from b2bportal.encryption import DecryptionFailed, decrypt, encrypt

log = logging.getLogger(__name__)
SECRET_START = "whsec_"  # noqa: S105  (the visible start of every secret, not a secret)
HINT_CHARS = 4
ROLL_OVERLAP = timedelta(hours=24)
UNREADABLE = (
    "The signing secret cannot be decrypted: the encryption key it was stored with is no longer configured "
    "(FIELD_ENCRYPTION_KEYS). Restore the key, or roll the secret and switch the address on again."
)


class SecretUnreadable(Exception):
    """The endpoint's current secret cannot be decrypted with the configured keys."""


def new_secret() -> str:
    return f"{SECRET_START}{secrets.token_urlsafe(32)}"


def secret_hint(secret: str) -> str:
    """The visible start of a secret (``whsec_AbCd``): enough to tell two apart, nothing to sign with."""
    return secret[: len(SECRET_START) + HINT_CHARS]


def secret_set(endpoint: WebhookEndpoint, secret: str) -> None:
    """Store ``secret`` (encrypted) and its hint on ``endpoint``; the caller saves it."""
    endpoint.secret_encrypted = encrypt(secret)
    endpoint.secret_hint = secret_hint(secret)


def current_secret_readable(endpoint: WebhookEndpoint) -> bool:
    try:
        decrypt(endpoint.secret_encrypted)
    except DecryptionFailed:
        return False
    return True


def previous_secret_valid(endpoint: WebhookEndpoint, now: datetime | None = None) -> bool:
    until = endpoint.previous_secret_until
    return bool(endpoint.previous_secret_encrypted) and until is not None and until > (now or timezone.now())


def signing_secrets(endpoint: WebhookEndpoint, *, now: datetime | None = None) -> list[str]:
    """The secrets a delivery is signed with now: the current one, then the previous one while its overlap lasts.
    Raises ``SecretUnreadable`` when the current one cannot be decrypted; a previous one that cannot is left out
    (the receiver has the new one)."""
    try:
        found = [decrypt(endpoint.secret_encrypted)]
    except DecryptionFailed as error:
        raise SecretUnreadable(UNREADABLE) from error
    if previous_secret_valid(endpoint, now):
        try:
            found.append(decrypt(endpoint.previous_secret_encrypted))
        except DecryptionFailed:
            log.warning("previous signing secret of webhook endpoint %s cannot be decrypted", endpoint.pk)
    return found
