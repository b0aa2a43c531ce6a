"""Which language text is made in when no user's request decides it.

- What operators read — management commands' output, the task worker's log, and the messages of sync runs and sync
  issues those write — speaks one language, ``B2B_OPERATOR_LANGUAGE`` (``OPERATOR_LANGUAGE``, English by default):
  ``operator_language`` / ``for_operators``.
- Text stored for dealers by background work (an order status change the ERP reported) is written in the portal's
  default language, ``LANGUAGE_CODE``, whoever started the work: ``portal_language``.
- Whatever is sent to one user (an e-mail) is rendered in that user's language by its sender.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.utils import translation

F = TypeVar("F", bound=Callable[..., Any])


def operator_language() -> translation.override:
    """A context manager: the block runs in the operators' language."""
    return translation.override(settings.B2B_OPERATOR_LANGUAGE)


def portal_language() -> translation.override:
    """A context manager: the block runs in the portal's default language (``LANGUAGE_CODE``)."""
    return translation.override(settings.LANGUAGE_CODE)


def for_operators(handle: F) -> F:
    """Decorate a management command's ``handle`` so that all it prints speaks the operators' language."""

    @functools.wraps(handle)
    def wrapper(*args, **kwargs):
        with operator_language():
            return handle(*args, **kwargs)

    return wrapper  # type: ignore[return-value]
