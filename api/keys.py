"""API key material: a key is ``b2b_<prefix>_<secret>``; the prefix finds it, the SHA-256 digest of the whole key
checks it. The secret is 32 random bytes, so a fast digest is enough (nothing to guess from it), and a digest
comparison in constant time answers every wrong key alike."""

from __future__ import annotations

import hashlib
import hmac
import secrets

PREFIX_CHARS = 8
KEY_START = "b2b_"


def new_key() -> tuple[str, str, str]:
    """A fresh key: (the whole key, shown once; its prefix; its digest)."""
    prefix = secrets.token_hex(PREFIX_CHARS // 2)
    key = f"{KEY_START}{prefix}_{secrets.token_urlsafe(32)}"
    return key, prefix, key_digest(key)


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def key_prefix(key: str) -> str | None:
    """The prefix of a well-formed key, else None."""
    if not key.startswith(KEY_START):
        return None
    prefix, sep, secret = key[len(KEY_START) :].partition("_")
    if not sep or len(prefix) != PREFIX_CHARS or not secret:
        return None
    return prefix


def key_matches(key: str, digest: str) -> bool:
    return hmac.compare_digest(key_digest(key), digest)
