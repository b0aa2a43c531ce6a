"""In-transaction hooks: how a lower layer tells a higher one that something happened, without importing it.

The layers run kernel → catalog, dealers → orders, payments → erpsync. A domain app that must reach the ERP (an
approved order goes to the outbox in the same transaction as the approval) declares a ``Hook`` in its own
``hooks.py`` and sends it; ``erpsync`` connects its handlers at start-up (``AppConfig.ready``). Handlers run
synchronously, in the caller's transaction: if one raises, the caller's change rolls back with it, so the outbox
row and the change commit together or not at all.

Unlike Django signals, a hook says whether it must be connected: a ``required`` hook with no handler is a
configuration error (a system check reports it, and sending it raises), because an approved order that silently
never reaches the ERP is worse than a start-up error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured

_ALL: list[Hook] = []


class Hook:
    """A named extension point. ``connect`` a handler once (by identity); ``send`` calls every handler in the order
    they were connected, with keyword arguments only, and returns their results."""

    def __init__(self, name: str, *, required: bool = False, doc: str = "") -> None:
        self.name = name
        self.required = required
        self.doc = doc
        self._handlers: list[Callable[..., Any]] = []
        _ALL.append(self)

    def __repr__(self) -> str:
        return f"<Hook {self.name!r}: {len(self._handlers)} handler(s)>"

    def connect(self, handler: Callable[..., Any]) -> Callable[..., Any]:
        """Add ``handler``; connecting the same function twice keeps one (``ready`` may run more than once)."""
        if handler not in self._handlers:
            self._handlers.append(handler)
        return handler

    def disconnect(self, handler: Callable[..., Any]) -> None:
        if handler in self._handlers:
            self._handlers.remove(handler)

    @property
    def handlers(self) -> tuple[Callable[..., Any], ...]:
        return tuple(self._handlers)

    def send(self, **kwargs: Any) -> list[Any]:
        """Call every handler with ``kwargs``; refuses to run a required hook that nothing handles."""
        if self.required and not self._handlers:
            raise ImproperlyConfigured(f"Nothing handles the hook {self.name!r}; is its app installed?")
        return [handler(**kwargs) for handler in self._handlers]

    def first(self, default: Any = None, **kwargs: Any) -> Any:
        """The first handler's answer, for hooks that ask a question (``default`` when nothing answers)."""
        if not self._handlers:
            if self.required:
                raise ImproperlyConfigured(f"Nothing answers the hook {self.name!r}; is its app installed?")
            return default
        return self._handlers[0](**kwargs)


def all_hooks() -> tuple[Hook, ...]:
    return tuple(_ALL)


def unconnected_required_hooks() -> list[Hook]:
    """Required hooks that nothing handles: each is a start-up error (see ``b2bportal.checks``)."""
    return [hook for hook in _ALL if hook.required and not hook.handlers]
