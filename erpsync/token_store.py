"""OAuth tokens of ERP accounts, kept in the database encrypted (``ApiToken``) and shared by every process.

They are encrypted with the portal's field-encryption keys (``b2bportal.encryption``, ``FIELD_ENCRYPTION_KEYS``):
whoever reads the database alone cannot use the tokens. Renewal is serialised per account by ``token_renew``: the
row is locked while the ERP is asked for a new pair, because a refresh token works once (it rotates) and two
processes refreshing at once would leave one of them with a revoked token; the second process finds the pair the
first stored and uses it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from b2bportal.encryption import DecryptionFailed, decrypt, encrypt
from erpsync.models import ApiToken


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_at: datetime | None
    version: int = 0

    def usable(self, *, margin: timedelta = timedelta(seconds=60)) -> bool:
        return bool(self.access_token) and (self.expires_at is None or self.expires_at - margin > timezone.now())


class NeedsAuthorisation(Exception):
    """No token can be had without a person: the reason is stored on the token and shown in sync health."""


def _seal(text: str) -> str:
    return encrypt(text)


def _open(text: str) -> str:
    try:
        return decrypt(text)
    except DecryptionFailed:
        return ""  # encrypted under a key no longer configured: as good as no token (a new sign-in follows)


def token_read(key: str) -> TokenPair:
    row = ApiToken.objects.filter(key=key).first()
    if row is None:
        return TokenPair("", "", None, 0)
    return TokenPair(_open(row.access_token), _open(row.refresh_token), row.expires_at, row.version)


def token_problem(key: str) -> str:
    return ApiToken.objects.filter(key=key).values_list("problem", flat=True).first() or ""


def token_renew(
    key: str,
    *,
    seen_version: int,
    renew: Callable[[TokenPair], tuple[str, str, int]],
) -> TokenPair:
    """A usable pair for ``key``: the one another process stored after ``seen_version``, else what ``renew``
    (given the current pair, returning access token, refresh token and lifetime in seconds) gets from the ERP,
    stored before the lock is released. ``renew`` raising ``NeedsAuthorisation`` stores its reason as the problem
    (committed) and raises it again."""
    with transaction.atomic():
        ApiToken.objects.get_or_create(key=key)
        row = ApiToken.objects.select_for_update().get(key=key)
        current = TokenPair(_open(row.access_token), _open(row.refresh_token), row.expires_at, row.version)
        if row.version > seen_version and current.usable():
            return current
        try:
            access, refresh, lifetime = renew(current)
        except NeedsAuthorisation as exc:
            row.problem = str(exc)
            row.save(update_fields=["problem", "updated_at"])
            failed = exc
        else:
            row.access_token, row.refresh_token = _seal(access), _seal(refresh)
            row.expires_at = timezone.now() + timedelta(seconds=lifetime)
            row.version += 1
            row.problem = ""
            row.save()
            return TokenPair(access, refresh, row.expires_at, row.version)
    raise failed


def token_forget(key: str) -> None:
    """Drop the stored pair (after a person re-authorised with new credentials)."""
    ApiToken.objects.filter(key=key).delete()
