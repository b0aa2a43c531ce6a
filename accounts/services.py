"""Writes on users."""

from __future__ import annotations

from django.conf import settings
from django.db import transaction

from accounts.models import User


@transaction.atomic
def user_set_language(*, user: User, language: str) -> User:
    """Remember the language a user chose. Refuses a language the portal does not speak."""
    codes = {code for code, _name in settings.LANGUAGES}
    if language not in codes:
        raise ValueError(f"Unsupported language {language!r}; expected one of {sorted(codes)}.")
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return user
