"""The adapter registry: ``ERPSYNC_ADAPTERS`` maps an adapter key to its class; a connection names its key."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from b2bportal.credentials import credentials_for
from b2bportal.registry import class_at
from erpsync.adapters.base import ErpAdapter
from erpsync.common_settings import CommonSettings

__all__ = ["adapter_classes", "adapter_for", "credentials_for", "settings_for"]


def adapter_classes() -> dict[str, type[ErpAdapter]]:
    """Every configured adapter class by key. Refuses a path that does not name an ``ErpAdapter``."""
    return {key: adapter_class(key, path) for key, path in settings.ERPSYNC_ADAPTERS.items()}


def adapter_class(key: str, path: str) -> type[ErpAdapter]:
    """The adapter class ``ERPSYNC_ADAPTERS[key] = path`` names (``NotImportable`` or ``WrongKind`` otherwise)."""
    return class_at(path, ErpAdapter, label=f"ERPSYNC_ADAPTERS[{key!r}] = {path!r}", kind="an ErpAdapter class")


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


def settings_for(connection) -> CommonSettings:
    """The settings every connection has (``erpsync.common_settings``), parsed for the connection's adapter.
    A setting with a wrong value raises ``ImproperlyConfigured`` when it is read, naming the key; the others can
    still be used (an unusable drift tolerance does not stop the outbox)."""
    cls = adapter_classes().get(connection.adapter)
    return CommonSettings.read(connection.settings or {}, context=cls)[0]
