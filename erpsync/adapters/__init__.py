"""The adapter registry: ``ERPSYNC_ADAPTERS`` maps an adapter key to its class; a connection names its key."""

from __future__ import annotations

import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from erpsync.adapters.base import ErpAdapter


def adapter_classes() -> dict[str, type[ErpAdapter]]:
    """Every configured adapter class by key. Refuses a path that does not name an ``ErpAdapter``."""
    classes = {}
    for key, path in settings.ERPSYNC_ADAPTERS.items():
        cls = import_string(path)
        if not (isinstance(cls, type) and issubclass(cls, ErpAdapter)):
            raise ImproperlyConfigured(f"ERPSYNC_ADAPTERS[{key!r}] = {path!r} is not an ErpAdapter class.")
        classes[key] = cls
    return classes


def credentials_for(credentials_ref: str) -> dict[str, str]:
    """What ``credentials_ref`` names: the environment variables starting with ``<ref>_``, keyed by the rest of
    their name in lower case (``ERP_MAIN_PASSWORD`` → ``password``). Secrets never live in the database."""
    if not credentials_ref:
        return {}
    prefix = credentials_ref.upper().rstrip("_") + "_"
    return {name[len(prefix) :].lower(): value for name, value in os.environ.items() if name.startswith(prefix)}


def adapter_for(connection) -> ErpAdapter:
    """A fresh adapter for an ``ErpConnection``; the caller closes it (it is a context manager)."""
    classes = adapter_classes()
    try:
        cls = classes[connection.adapter]
    except KeyError:
        raise ImproperlyConfigured(
            f"Connection {connection.code!r} uses adapter {connection.adapter!r}, which ERPSYNC_ADAPTERS does not list."
        ) from None
    return cls(settings=connection.settings, credentials=credentials_for(connection.credentials_ref))
