"""The registry of notification kinds. The kernel knows none of them: each app declares its own kinds, with their
templates, in its ``notifications.py`` (imported from its ``AppConfig.ready``).

A kind names three templates from its ``template`` prefix: ``<prefix>_subject.txt`` (the e-mail subject and the
title in the portal's list), ``<prefix>.txt`` and ``<prefix>.html`` (the two parts of the e-mail). A digest kind
collects its notices and sends one e-mail per recipient listing them: ``<prefix>_digest_subject.txt``,
``<prefix>_digest.txt`` and ``<prefix>_digest.html`` get ``items`` (each item's context) instead.

``context(params)`` turns the parameters stored with the notice (JSON) into the template context at render time
(load the order by its id, parse a date); it runs in the recipient's language.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

DEALER = "dealer"
STAFF = "staff"


def _same(params: dict[str, Any]) -> dict[str, Any]:
    return dict(params)


@dataclass(frozen=True)
class Kind:
    key: str
    label: Any  # a lazy translation: shown on the preferences page and in the admin
    template: str
    mandatory: bool = False  # sent whatever the recipient's preferences say
    digest: bool = False  # collected and sent as one e-mail per recipient by the digest task
    audience: str = DEALER  # whose preferences page lists it: dealer users or staff
    description: Any = ""
    # False: a notice in the portal's list only, never e-mailed, because another e-mail already says the same to
    # the same person (a recurring order's placed run: the order confirmation). Not listed on the preferences page.
    emailed: bool = True
    context: Callable[[dict[str, Any]], dict[str, Any]] = field(default=_same)


_KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Declare ``kind``; declaring the same key again replaces it (``ready`` may run more than once)."""
    _KINDS[kind.key] = kind
    return kind


def kind_for(key: str) -> Kind:
    """The kind declared under ``key``; ``LookupError`` when no installed app declares it."""
    try:
        return _KINDS[key]
    except KeyError:
        raise LookupError(f"No notification kind {key!r} is declared; is its app installed?") from None


def all_kinds() -> tuple[Kind, ...]:
    return tuple(sorted(_KINDS.values(), key=lambda kind: kind.key))
