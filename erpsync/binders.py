"""The binder: which portal record an ERP record is, per connection and entity (``ExternalRef``).

Every read and write of the binding table goes through here. A binding is one to one: an ERP id names at most
one portal record of an entity on a connection, and a portal record has at most one ERP id there. Both rules
are the table's unique constraints, so two workers binding at once cannot both win.

- ``to_internal`` / ``to_external``: one id the other way, or None when nothing is bound;
- ``to_internal_many`` / ``to_external_many``: the same for a batch, in one query;
- ``bind``: record a binding; idempotent, and refuses (``BindingConflict``) to move an existing one unless told;
- ``bound_join`` and ``bind_missing``: the set-based forms the importers' SQL merges use;
- ``bindings``: the table as a queryset, for subqueries (``Exists``, ``OuterRef``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db import connection as db
from django.db.models import Model, Q, QuerySet

from b2bportal.sql import SqlNames, column
from erpsync.models import ErpConnection, ExternalRef

Connection = ErpConnection | int
REF = SqlNames(ExternalRef)


class BindingConflict(Exception):
    """The binding asked for contradicts one already recorded: the ERP id is bound to another portal record,
    or the portal record to another ERP id."""

    def __init__(self, message: str, *, existing: ExternalRef):
        super().__init__(message)
        self.existing = existing


def _connection_id(connection: Connection) -> int:
    return connection if isinstance(connection, int) else connection.pk


def bindings(entity: str, *, connection: Connection | None = None) -> QuerySet[ExternalRef]:
    """The bindings of ``entity`` (on ``connection``, or on every connection), for subqueries and admin lists."""
    refs = ExternalRef.objects.filter(entity=entity)
    return refs if connection is None else refs.filter(connection_id=_connection_id(connection))


def to_internal(connection: Connection, entity: str, external_id: str) -> int | None:
    """The portal id bound to the ERP id, or None."""
    return (
        bindings(entity, connection=connection)
        .filter(external_id=external_id)
        .values_list("local_id", flat=True)
        .first()
    )


def to_external(connection: Connection, entity: str, internal_id: int) -> str | None:
    """The ERP id bound to the portal id, or None."""
    return (
        bindings(entity, connection=connection)
        .filter(local_id=internal_id)
        .values_list("external_id", flat=True)
        .first()
    )


def to_internal_many(connection: Connection, entity: str, external_ids: Iterable[str]) -> dict[str, int]:
    """ERP id → portal id for those of ``external_ids`` that are bound; one query."""
    return dict(
        bindings(entity, connection=connection)
        .filter(external_id__in=list(external_ids))
        .values_list("external_id", "local_id")
    )


def to_external_many(connection: Connection, entity: str, internal_ids: Iterable[int]) -> dict[int, str]:
    """Portal id → ERP id for those of ``internal_ids`` that are bound; one query."""
    return dict(
        bindings(entity, connection=connection)
        .filter(local_id__in=list(internal_ids))
        .values_list("local_id", "external_id")
    )


@transaction.atomic
def bind(
    connection: Connection,
    entity: str,
    internal_id: int,
    external_id: str,
    *,
    rebind_internal: bool = False,
    rebind_external: bool = False,
    external_updated_at: datetime | None = None,
    payload_hash: str | None = None,
) -> ExternalRef:
    """Record that portal record ``internal_id`` is ERP record ``external_id`` and return the binding.

    Binding the same pair again only refreshes it (``synced_at``, and the ERP's time and payload hash when
    given). ``rebind_internal`` lets the portal record leave the ERP id it had (an order the ERP filed under a
    new document); ``rebind_external`` lets the ERP id leave the portal record it named (staff mapping an ERP
    code to the right product). Any other clash raises ``BindingConflict`` and writes nothing; so does a clash
    with a binding another transaction is recording at the same moment (the unique constraints decide)."""
    connection_id = _connection_id(connection)
    refs = list(
        bindings(entity, connection=connection_id)
        .select_for_update()
        .filter(Q(local_id=internal_id) | Q(external_id=external_id))
    )
    by_internal = next((r for r in refs if r.local_id == internal_id), None)
    by_external = next((r for r in refs if r.external_id == external_id), None)
    if by_internal is not None and by_internal is by_external:
        ref = by_internal
    else:
        if by_internal is not None and not rebind_internal:
            raise BindingConflict(
                f"{entity} {internal_id} is bound to ERP id {by_internal.external_id!r}, not {external_id!r}.",
                existing=by_internal,
            )
        if by_external is not None and not rebind_external:
            raise BindingConflict(
                f"ERP {entity} {external_id!r} is bound to {by_external.local_id}, not {internal_id}.",
                existing=by_external,
            )
        if by_internal is not None and by_external is not None:
            by_external.delete()
            by_external = None
        ref = by_internal or by_external or ExternalRef(connection_id=connection_id, entity=entity)
        ref.local_id, ref.external_id = internal_id, external_id
    if external_updated_at is not None:
        ref.external_updated_at = external_updated_at
    if payload_hash is not None:
        ref.payload_hash = payload_hash
    try:
        with transaction.atomic():
            ref.save()
    except IntegrityError:
        # Recorded by another transaction since we looked: the same pair is a success, anything else a clash.
        existing = (
            bindings(entity, connection=connection_id)
            .filter(Q(local_id=internal_id) | Q(external_id=external_id))
            .first()
        )
        if existing is not None and (existing.local_id, existing.external_id) == (internal_id, external_id):
            return existing
        raise BindingConflict(
            f"ERP {entity} {external_id!r} and {internal_id} clash with a binding recorded meanwhile.",
            existing=existing,
        ) from None
    return ref


# --- Set-based forms, for the importers' SQL ------------------------------------------------------------------------


def bound_join(
    connection_id: int, entity: str, model: type[Model], natural: str, code_sql: str, alias: str
) -> tuple[str, str]:
    """LEFT JOINs finding the portal row an ERP code (the SQL expression ``code_sql``) names, and the id
    expression: the binding first, else the ``model`` row whose field ``natural`` equals the code. Joins
    rather than per-row subqueries, so the planner can hash them over a large feed. The binding's alias is
    ``<alias>_r`` (its ``local_id`` is the bound id), the natural match's ``<alias>_n``."""
    opts = model._meta
    joins = (
        f" LEFT JOIN {REF} {alias}_r ON {alias}_r.{REF.connection_id} = {int(connection_id)}"
        f" AND {alias}_r.{REF.entity} = '{_literal(entity)}' AND {alias}_r.{REF.external_id} = {code_sql}"
        f" LEFT JOIN {SqlNames(model)} {alias}_n ON {alias}_n.{column(model, natural)} = {code_sql}"
    )
    return joins, f"COALESCE({alias}_r.{REF.local_id}, {alias}_n.{column(model, opts.pk.name)})"


def bind_missing(connection_id: int, entity: str, pairs_sql: str, params: dict) -> int:
    """Bind the ``(local_id, external_id)`` rows the SELECT ``pairs_sql`` yields (it needs a WHERE clause), except
    where either side is already bound: those are left as they are, the unique constraints deciding. ``params``
    must hold ``now``. Returns how many bindings were recorded."""
    sql = (
        f"INSERT INTO {REF} ({REF.connection_id}, {REF.entity}, {REF.local_id}, {REF.external_id}, "
        f"{REF.payload_hash}, {REF.synced_at}) "
        f"SELECT {int(connection_id)}, '{_literal(entity)}', p.local_id, p.external_id, '', %(now)s "
        f"FROM ({pairs_sql}) p WHERE TRUE ON CONFLICT DO NOTHING"
    )
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _literal(entity: str) -> str:
    """An entity spelled inside an SQL string literal: entities are our own identifiers, anything else is refused."""
    if not entity.isidentifier():
        raise ValueError(f"Not an entity: {entity!r}.")
    return entity
