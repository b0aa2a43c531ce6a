"""The statements of the SQL checks: what each kind must look like, refused at save when it does not, and bound to
the driver's placeholders when it runs. No database is reached here.

A statement is one ``SELECT`` (``WITH … SELECT`` included) in the ERP database's own dialect, parsed with
``sqlglot``: no second statement, no ``SELECT … INTO``, no locking clause (``FOR UPDATE``, ``WITH (UPDLOCK)``…),
no data change or definition anywhere in it. Values reach it only as named parameters (``:codes``,
``:warehouse``, ``:customer``), which are bound by the driver — never formatted into the text. A list parameter
(``:codes``) becomes one bound placeholder per value (``IN (:codes)`` → ``IN (%s, %s, %s)``), which every driver
takes; an empty list becomes ``NULL``, which matches nothing.

The checks are a second line only: the ERP database's read-only login (see ``docs/sql-checks.md``) and the
read-only transaction the statement runs in are what keep the ERP's data safe.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import SqlglotError
from sqlglot.tokens import TokenType

STOCK = "stock"
RISK = "risk"
KINDS = (STOCK, RISK)
# The ERP database's kind → sqlglot's dialect.
DIALECTS = {"postgresql": "postgres", "mysql": "mysql", "mssql": "tsql"}


@dataclass(frozen=True)
class Kind:
    """What a statement of one kind takes and gives: its parameters (``required`` ones must appear: a stock
    statement without ``:codes`` would read every item, a risk statement without ``:customer`` every customer)
    and its result columns (``columns`` must be there, ``optional`` ones may be)."""

    name: str
    parameters: tuple[str, ...]
    required_parameters: tuple[str, ...]
    list_parameters: tuple[str, ...]
    columns: tuple[str, ...]
    optional: tuple[str, ...]


KIND = {
    STOCK: Kind(
        name=STOCK,
        parameters=("codes", "warehouse"),
        required_parameters=("codes",),
        list_parameters=("codes",),
        columns=("item_code", "warehouse_code", "quantity"),
        optional=("reserved", "on_order"),
    ),
    RISK: Kind(
        name=RISK,
        parameters=("customer",),
        required_parameters=("customer",),
        list_parameters=(),
        columns=("balance",),
        optional=("open_orders", "cheque_risk", "credit_limit", "currency"),
    ),
}

# Anything that changes data, definitions, sessions or permissions, wherever it sits in the tree.
FORBIDDEN = (
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Merge,
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.TruncateTable,
    exp.Command,
    exp.Set,
    exp.Use,
    exp.Grant,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Into,
    exp.Lock,
)
# Table hints that take locks (T-SQL ``WITH (UPDLOCK)``); NOLOCK / READPAST only lower them.
LOCKING_HINTS = {"UPDLOCK", "XLOCK", "HOLDLOCK", "TABLOCK", "TABLOCKX", "PAGLOCK", "ROWLOCK", "SERIALIZABLE"}


class StatementRefused(ValueError):
    """A statement that cannot be run as a check; the message says why, for the person who wrote it."""


@dataclass(frozen=True)
class Parameter:
    name: str
    start: int  # the colon's offset in the text
    end: int  # one past the name's last character


def _tokens(sql: str, dialect: str):
    try:
        return Dialect.get_or_raise(DIALECTS[dialect]).tokenize(sql)
    except SqlglotError as exc:
        raise StatementRefused(f"cannot be read: {exc}") from None


def parameters(sql: str, dialect: str) -> list[Parameter]:
    """The named parameters in ``sql`` (``:name``, not inside a quoted text or a comment, not a ``::`` cast), in
    order of appearance."""
    return list(_parameters(sql, dialect))


@lru_cache(maxsize=256)
def _parameters(sql: str, dialect: str) -> tuple[Parameter, ...]:
    tokens = _tokens(sql, dialect)
    found = []
    for colon, name in pairwise(tokens):
        if colon.token_type == TokenType.COLON and name.start == colon.end + 1 and name.text.isidentifier():
            found.append(Parameter(name.text, colon.start, name.end + 1))
    return tuple(found)


def output_columns(tree: exp.Expression) -> list[str] | None:
    """The names of the statement's result columns in lower case, or None when they cannot be known before it
    runs (``*``, an expression without a name, a ``UNION`` whose branches differ)."""
    select = tree
    while isinstance(select, exp.SetOperation):
        select = select.this
    if not isinstance(select, exp.Select):
        return None
    names = []
    for column in select.expressions:
        if isinstance(column, exp.Star) or (isinstance(column, exp.Column) and isinstance(column.this, exp.Star)):
            return None
        name = column.alias_or_name
        if not name:
            return None
        names.append(name.lower())
    return names


def validate_statement(sql: str, kind: str, dialect: str) -> list[str]:
    """Refuse (``StatementRefused``) what cannot be run as a ``kind`` check in ``dialect`` (``postgresql``,
    ``mysql`` or ``mssql``); return the statement's parameters. Checks: one ``SELECT`` (or ``WITH … SELECT``),
    nothing that writes or locks, only the kind's parameters and its required ones present, and — where the
    result's column names are written out — the kind's columns among them (else they are checked on the first
    run). A statement is parsed once per process (the answer is kept, a refusal too)."""
    verdict = _verdict(sql, kind, dialect)
    if isinstance(verdict, StatementRefused):
        raise StatementRefused(str(verdict))
    return list(verdict)


@lru_cache(maxsize=256)
def _verdict(sql: str, kind: str, dialect: str) -> tuple[str, ...] | StatementRefused:
    try:
        return tuple(_validate(sql, kind, dialect))
    except StatementRefused as refused:
        return refused


def _validate(sql: str, kind: str, dialect: str) -> list[str]:
    if kind not in KIND:
        raise StatementRefused(f"unknown kind of check {kind!r}.")
    if dialect not in DIALECTS:
        raise StatementRefused(f"unknown database kind {dialect!r}; one of {', '.join(DIALECTS)}.")
    spec = KIND[kind]
    tree = _read_only_tree(sql, dialect)
    used = [p.name for p in parameters(sql, dialect)]
    unknown = sorted({name for name in used if name not in spec.parameters})
    if unknown:
        known = ", ".join(f":{p}" for p in spec.parameters)
        raise StatementRefused(f"has unknown parameters {', '.join(':' + n for n in unknown)}; known: {known}.")
    missing = [name for name in spec.required_parameters if name not in used]
    if missing:
        raise StatementRefused(f"must use the parameter {', '.join(':' + n for n in missing)}.")
    names = output_columns(tree)
    if names is not None:
        absent = [column for column in spec.columns if column not in names]
        if absent:
            raise StatementRefused(f"must return the column {', '.join(absent)} (it returns {', '.join(names)}).")
    return list(dict.fromkeys(used))


def validate_read(sql: str, dialect: str, known_parameters: tuple[str, ...]) -> list[str] | None:
    """Refuse (``StatementRefused``) what cannot be run as a read in ``dialect``: one ``SELECT`` that neither writes
    nor locks, taking only ``known_parameters``. Returns its result columns in lower case, or None when they are
    known only once it runs (``*``). What the adapters that read an ERP's database by statements build on."""
    if dialect not in DIALECTS:
        raise StatementRefused(f"unknown database kind {dialect!r}; one of {', '.join(DIALECTS)}.")
    tree = _read_only_tree(sql, dialect)
    unknown = sorted({p.name for p in parameters(sql, dialect)} - set(known_parameters))
    if unknown:
        known = ", ".join(f":{p}" for p in known_parameters) or "none"
        raise StatementRefused(f"has unknown parameters {', '.join(':' + n for n in unknown)}; known: {known}.")
    return output_columns(tree)


def _read_only_tree(sql: str, dialect: str) -> exp.Expression:
    if not sql or not sql.strip():
        raise StatementRefused("is empty.")
    try:
        trees = [t for t in sqlglot.parse(sql, read=DIALECTS[dialect]) if t is not None]
    except SqlglotError as exc:
        raise StatementRefused(f"cannot be read as {dialect} SQL: {str(exc).splitlines()[0]}") from None
    if len(trees) != 1:
        raise StatementRefused(f"must be one statement, found {len(trees)}; remove the ';' between them.")
    tree = trees[0]
    if not isinstance(tree, (exp.Select, exp.SetOperation)):
        raise StatementRefused(f"must be a SELECT (or WITH … SELECT), not {tree.key.upper()}.")
    for node in tree.walk():
        if isinstance(node, exp.Into) or (isinstance(node, exp.Select) and node.args.get("into")):
            raise StatementRefused("must not write its result anywhere (SELECT … INTO).")
        if isinstance(node, exp.Lock) or (isinstance(node, exp.Select) and node.args.get("locks")):
            raise StatementRefused("must not lock rows (FOR UPDATE / FOR SHARE).")
        if isinstance(node, FORBIDDEN):
            raise StatementRefused(f"must only read; it contains {node.key.upper()}.")
        if isinstance(node, exp.WithTableHint):
            hints = {h.sql(dialect=DIALECTS[dialect]).upper() for h in node.expressions}
            if hints & LOCKING_HINTS:
                raise StatementRefused(f"must not take locks ({', '.join(sorted(hints & LOCKING_HINTS))}).")
    if any(isinstance(node, exp.Placeholder) and not node.name for node in tree.walk()):
        raise StatementRefused("must use named parameters (:codes), not '?' or '%s'.")
    return tree


def bind(sql: str, dialect: str, values: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """``sql`` with each named parameter replaced by the driver's placeholder (``%s``; a literal ``%`` doubled,
    as the drivers read ``%`` themselves) and the values in placeholder order. A list value becomes one
    placeholder per item, an empty list ``NULL``."""
    out: list[str] = []
    args: list[Any] = []
    position = 0
    for parameter in parameters(sql, dialect):
        if parameter.name not in values:
            raise StatementRefused(f"has no value for :{parameter.name}.")
        out.append(sql[position : parameter.start].replace("%", "%%"))
        value = values[parameter.name]
        if isinstance(value, (list, tuple, set, frozenset)):
            items: Sequence[Any] = list(value)
            out.append(", ".join(["%s"] * len(items)) if items else "NULL")
            args.extend(items)
        else:
            out.append("%s")
            args.append(value)
        position = parameter.end
    out.append(sql[position:].replace("%", "%%"))
    return "".join(out), args
