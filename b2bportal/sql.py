"""Table and column names for hand-written SQL, taken from the models rather than spelled out.

Set-based code (imports, bulk audits) writes SQL by hand; naming tables and columns through the models means a
renamed model or field fails where the name is built, not in production. Names are quoted for the database in
use when they are read, never at import time.

    d = SqlNames(Dealer)
    f"UPDATE {d} SET {d.status} = 'inactive' WHERE {d.price_list_id} IS NULL"
"""

from __future__ import annotations

from django.core.exceptions import FieldDoesNotExist
from django.db import connection
from django.db.models import Model


def table(model: type[Model]) -> str:
    """The model's table, quoted."""
    return connection.ops.quote_name(model._meta.db_table)


def column_name(model: type[Model], name: str) -> str:
    """The column (unquoted) of the model's field ``name``, given as the field name or its attribute name
    (``price_list`` or ``price_list_id``; ``pk`` for the primary key). Refuses a name that is not a concrete
    field of the model (``FieldDoesNotExist``)."""
    opts = model._meta
    if name == "pk":
        return opts.pk.column
    for field in opts.concrete_fields:
        if name in (field.name, field.attname):
            return field.column
    raise FieldDoesNotExist(f"{opts.label} has no column for {name!r}.")


def column(model: type[Model], name: str) -> str:
    """The column of the model's field ``name`` (field or attribute name), quoted."""
    return connection.ops.quote_name(column_name(model, name))


class SqlNames:
    """A model's names for an SQL template: ``str()`` is the quoted table, each attribute a quoted column
    (``SqlNames(Dealer).price_list_id``). An attribute that names no column raises ``FieldDoesNotExist``."""

    __slots__ = ("model",)

    def __init__(self, model: type[Model]):
        self.model = model

    def __str__(self) -> str:
        return table(self.model)

    def __getattr__(self, name: str) -> str:
        if name.startswith("__"):
            raise AttributeError(name)
        return column(self.model, name)
