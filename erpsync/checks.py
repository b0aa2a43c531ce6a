"""System checks of the ERP sync's configuration: the adapter registry (``ERPSYNC_ADAPTERS``) and the settings of
every active connection, checked against their declarations (``erpsync.common_settings``).

The connections' check reads the database: it says nothing while the table does not exist yet (before the first
``migrate``), the database cannot be reached or database access is blocked, and the other checks still run.
"""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Warning, register
from django.db import DatabaseError

from b2bportal.registry import NotImportable, WrongKind
from erpsync.adapters import adapter_class
from erpsync.adapters.base import ErpAdapter
from erpsync.common_settings import connection_settings_problems
from erpsync.models import ErpConnection


def _adapter_classes() -> tuple[dict[str, type[ErpAdapter]], list[Error]]:
    """The adapter classes that import and are adapters, and an error for each entry that is not."""
    classes, errors = {}, []
    for key, path in settings.ERPSYNC_ADAPTERS.items():
        try:
            classes[key] = adapter_class(key, path)
        except NotImportable as exc:
            errors.append(Error(str(exc), id="erpsync.E001"))
        except WrongKind as exc:
            errors.append(
                Error(str(exc), hint="Name a subclass of erpsync.adapters.base.ErpAdapter.", id="erpsync.E002")
            )
    return classes, errors


@register("erpsync")
def check_adapter_registry(app_configs=None, **kwargs) -> list[Error]:
    """Every ``ERPSYNC_ADAPTERS`` entry imports and is an ``ErpAdapter``."""
    return _adapter_classes()[1]


@register("erpsync")
def check_connection_settings(app_configs=None, **kwargs) -> list[Error | Warning]:
    """Every active connection names a known adapter and has settings its declarations accept: an error per
    problem, a warning per deprecated key."""
    try:
        connections = list(ErpConnection.objects.filter(is_active=True).order_by("code"))
    except DatabaseError:  # not migrated yet, or no database to ask: nothing to check
        return []
    except RuntimeError:  # database access is blocked where the checks run (pytest-django outside a db test)
        return []
    classes, _errors = _adapter_classes()
    messages: list[Error | Warning] = []
    for connection in connections:
        cls = classes.get(connection.adapter)
        if cls is None:
            messages.append(
                Error(
                    f"Connection {connection.code!r} uses adapter {connection.adapter!r}, which ERPSYNC_ADAPTERS "
                    "does not list (or cannot import).",
                    obj=connection,
                    id="erpsync.E003",
                )
            )
            continue
        for problem in connection_settings_problems(cls, connection.settings):
            text = f"Connection {connection.code!r}: {problem}"
            if problem.warning:
                messages.append(Warning(text, obj=connection, id="erpsync.W001"))
            else:
                messages.append(Error(text, obj=connection, id="erpsync.E004"))
    return messages


@register("erpsync")
def check_client_libraries(app_configs=None, **kwargs) -> list[Error]:
    """Every active connection's adapter finds what it needs on this machine (an adapter with optional client
    libraries says what is missing through ``missing_requirements``)."""
    try:
        connections = list(ErpConnection.objects.filter(is_active=True).order_by("code"))
    except (DatabaseError, RuntimeError):  # not migrated, no database, or database access blocked
        return []
    classes, _errors = _adapter_classes()
    messages = []
    for connection in connections:
        missing = getattr(classes.get(connection.adapter), "missing_requirements", None)
        for text in missing(connection.settings) if missing else ():
            messages.append(Error(f"Connection {connection.code!r}: {text}", obj=connection, id="erpsync.E005"))
    return messages
