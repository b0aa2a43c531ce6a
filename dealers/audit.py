"""The dealer audit: one ``DealerChange`` row per change of a figure money depends on, whoever changed it.

Two forms write it: ``dealer_changes`` for one dealer saved by ``dealer_save`` (staff, the demo), and
``dealer_changes_record_sql`` for the dealers a bulk import is about to change, in one statement. Both store
``old_value`` and ``new_value`` in one format, on PostgreSQL and SQLite alike, so a change reads the same in
the admin whichever path made it:

- nothing (no value, no related record): ``""``;
- a related record (price list, payment terms, head account): its name as it shows itself, from the template
  in ``RELATED_LABELS`` (``"Bayi listesi (B2B-2025)"``), which spells ``str()`` of the record once for Python and
  SQL alike;
- yes/no: ``"True"`` / ``"False"``;
- an amount: fixed point with the field's decimal places (``"1000.00"``, whether typed as 1000 or 1000.00);
- anything else (status codes, currency, text): the stored value.
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from django.db import connection
from django.db import models as m

from b2bportal.sql import SqlNames, column
from dealers.models import Dealer, DealerChange

# Fields whose every change is recorded by ``dealer_save``: who, when, old → new.
AUDITED_FIELDS = (
    "credit_limit",
    "credit_hold",
    "credit_hold_reason",
    "price_list",
    "payment_terms",
    "currency",
    "status",
    "requires_manual_review",
)
# How a related record is named in the audit, per model label: its ``__str__``, as a template of its fields.
RELATED_LABELS = {
    "catalog.PriceList": "{name} ({code})",
    "dealers.PaymentTerms": "{name}",
    "dealers.Dealer": "{title} ({code})",
}
TRUE, FALSE = "True", "False"


def _field(name: str) -> m.Field:
    return Dealer._meta.get_field(name)


def _template(field: m.Field) -> str:
    label = field.related_model._meta.label
    if label not in RELATED_LABELS:
        raise ValueError(f"No audit label for {label}: add it to RELATED_LABELS.")
    return RELATED_LABELS[label]


def audit_text(dealer: Dealer, name: str) -> str:
    """The value of the dealer's field ``name`` as the audit stores it (see the module's docstring)."""
    field = _field(name)
    if field.is_relation:
        related = getattr(dealer, name)
        if related is None:
            return ""
        names = [part[1] for part in string.Formatter().parse(_template(field)) if part[1]]
        return _template(field).format(**{n: getattr(related, n) for n in names})
    value = field.value_from_object(dealer)
    if value is None:
        return ""
    if isinstance(field, m.BooleanField):
        return TRUE if value else FALSE
    if isinstance(field, m.DecimalField):
        return f"{Decimal(value):.{field.decimal_places}f}"
    return str(value)


def dealer_changes(
    *, before: Dealer, after: Dealer, fields: Iterable[str] = AUDITED_FIELDS, actor=None, source: str, reason: str
) -> list[DealerChange]:
    """The audit rows (not yet saved) for the ``fields`` whose stored value differs between ``before`` and
    ``after``: the same amount typed as 1000 or 1000.00 is no change."""
    rows = []
    for name in fields:
        field = _field(name)
        if field.value_from_object(before) == field.value_from_object(after):
            continue
        rows.append(
            DealerChange(
                dealer=after,
                field=name,
                old_value=audit_text(before, name),
                new_value=audit_text(after, name),
                actor=actor,
                source=source,
                reason=reason,
            )
        )
    return rows


def value_text(value) -> str:
    """A value of a dealer's user or address as the audit stores it, in the format of ``audit_text``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return TRUE if value else FALSE
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    return str(value)


def record_changes(
    *, dealer: Dealer, subject: str, values: Iterable[tuple[str, object, object]], actor, source: str, reason: str = ""
) -> list[DealerChange]:
    """Audit rows (not yet saved) for changes of a record of the dealer named by ``subject`` (a user's e-mail, an
    address): one per ``(field, old, new)`` whose old and new values differ; an event has ``old`` None."""
    return [
        DealerChange(
            dealer=dealer,
            subject=subject[:255],
            field=field,
            old_value=value_text(old),
            new_value=value_text(new),
            actor=actor,
            source=source,
            reason=reason[:255],
        )
        for field, old, new in values
        if value_text(old) != value_text(new) or old is None
    ]


def dealer_changes_write(rows: list[DealerChange]) -> None:
    DealerChange.objects.bulk_create(rows)


# --- The bulk form --------------------------------------------------------------------------------------------------


def audit_text_sql(name: str, expr: str) -> str:
    """SQL giving ``audit_text`` of the dealer field ``name`` whose value is the SQL expression ``expr``."""
    field = _field(name)
    if field.is_relation:
        related = field.related_model
        r = SqlNames(related)
        parts = []
        for literal, part, _spec, _conv in string.Formatter().parse(_template(field)):
            if literal:
                parts.append("'" + literal.replace("'", "''").replace("%", "%%") + "'")
            if part:
                parts.append(f"a_r.{column(related, part)}")
        label = " || ".join(parts)
        return f"COALESCE((SELECT {label} FROM {r} a_r WHERE a_r.{column(related, 'pk')} = {expr}), '')"
    if isinstance(field, m.BooleanField):
        return f"(CASE WHEN {expr} THEN '{TRUE}' WHEN NOT {expr} THEN '{FALSE}' ELSE '' END)"
    if isinstance(field, m.DecimalField):
        places = int(field.decimal_places)
        if connection.vendor == "postgresql":
            return f"COALESCE(CAST(ROUND(CAST({expr} AS NUMERIC), {places}) AS TEXT), '')"
        # SQLite keeps amounts as numbers without their places (1000, 1000.5).
        return f"COALESCE(printf('%%.{places}f', {expr}), '')"
    if isinstance(field, (m.CharField, m.TextField)):
        return f"COALESCE(CAST({expr} AS TEXT), '')"
    raise ValueError(f"Dealer.{name} is not a kind of field the audit stores.")


def dealer_changes_record_sql(
    *, field: str, rows: str, source: str, reason: str, now: datetime, new: str | None = None
) -> int:
    """For every dealer of ``rows`` (an SQL relation, aliased ``s``, with the dealer's id in column ``id``)
    whose ``field`` is about to change, one ``DealerChange`` row, in one statement. ``new`` is the value the
    dealer will get, an SQL expression over ``s`` and the dealer ``t``; by default ``s``'s column of the same
    name. Runs in the caller's transaction, before the change itself. Returns how many rows it wrote."""
    d, c = SqlNames(Dealer), SqlNames(DealerChange)
    current = f"t.{column(Dealer, field)}"
    new = new or f"s.{column(Dealer, field)}"
    sql = (
        f"INSERT INTO {c} ({c.dealer_id}, {c.field}, {c.old_value}, {c.new_value}, {c.source}, {c.reason}, "
        f"{c.created_at}) "
        f"SELECT t.{d.id}, %(audit_field)s, {audit_text_sql(field, current)}, {audit_text_sql(field, new)}, "
        f"%(audit_source)s, %(audit_reason)s, %(audit_now)s FROM {rows} s JOIN {d} t ON t.{d.id} = s.id "
        f"WHERE {current} IS DISTINCT FROM {new}"
    )
    params = {"audit_field": field, "audit_source": source, "audit_reason": reason[:255], "audit_now": now}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
