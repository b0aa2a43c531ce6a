"""The adapter registry: ``ERPSYNC_ADAPTERS`` maps an adapter key to its class; a connection names its key.

``capabilities_for`` is the one answer to "what can this connection do": its adapter class's capabilities narrowed
by the connection's settings (a Logo connection with ``customer_cards`` ``none``, a Nebim profile without a
``customer`` write). The outbox, the live look-ups and the health page all ask it.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from b2bportal.credentials import credentials_for
from b2bportal.registry import class_at
from erpsync.adapters.base import Capability, ErpAdapter
from erpsync.common_settings import CommonSettings, adapter_settings_parse

__all__ = ["adapter_classes", "adapter_for", "capabilities_for", "credentials_for", "settings_for"]

log = logging.getLogger(__name__)


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


def capabilities_for(connection) -> frozenset[Capability]:
    """What ``connection`` can do: its adapter class's capabilities narrowed by its settings
    (``ErpAdapter.connection_capabilities``). Reads the settings, never the ERP. Nothing for an adapter that
    ``ERPSYNC_ADAPTERS`` does not list. Settings that cannot be parsed leave the class's capabilities: the work
    is queued and fails where staff see it (the checks name the wrong value), rather than vanishing."""
    cls = adapter_classes().get(connection.adapter)
    if cls is None:
        return frozenset()
    try:
        common, options = adapter_settings_parse(cls, connection.settings or {})
    except ImproperlyConfigured as exc:
        log.warning("The settings of connection %s cannot be read (%s); its adapter's capabilities apply.",
                    connection.code, exc)  # fmt: skip
        return cls.capabilities
    return cls.connection_capabilities(common, options)
