"""Classes named in settings by dotted path (ERP adapters, payment gateways): loaded and checked in one place, so
the code that uses them and the system checks that report a broken entry agree on what is wrong."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string


class NotImportable(ImproperlyConfigured, ImportError):
    """The dotted path does not import."""


class WrongKind(ImproperlyConfigured):
    """The dotted path names something that is not the kind of class the setting asks for."""


def class_at(path: str, base: type, *, label: str, kind: str) -> type:
    """The class at ``path``, a subclass of ``base``. Refuses with ``NotImportable`` a path that does not import and
    with ``WrongKind`` anything else; both messages start with ``label`` (where the path is written) and the second
    ends with ``kind`` ("is not an ErpAdapter class.")."""
    try:
        cls = import_string(path)
    except ImportError as exc:
        raise NotImportable(f"{label} cannot be imported: {exc}") from exc
    if not (isinstance(cls, type) and issubclass(cls, base)):
        raise WrongKind(f"{label} is not {kind}.")
    return cls
