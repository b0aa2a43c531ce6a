"""NetOpenX REST's SelectFilter on the simulator's side: ``q`` (a SQL WHERE fragment), ``sort``, ``fields``,
``offset`` and ``limit`` (``first``/``last`` are accepted as the first or last ``limit`` rows).

``q`` is parsed, never evaluated as code: comparisons ``= <> != < <= > >=`` of a column with a string literal
('…', quotes doubled) or a number, ``IN (…)``, ``NOT IN (…)``, ``LIKE`` with ``%`` and ``_``, ``IS [NOT] NULL``,
joined with ``AND``/``OR``/``NOT`` and parentheses. Column names are matched without regard to case. Anything else
is refused with ``FilterError`` (the service answers it as a business error). Dates are compared as their ISO text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<number>-?\d+(?:\.\d+)?)|(?P<op><>|!=|<=|>=|=|<|>|\(|\)|,)"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_.]*))"
)
KEYWORDS = {"AND", "OR", "NOT", "IN", "LIKE", "IS", "NULL"}

Row = Mapping[str, Any]
Predicate = Callable[[Row], bool]


class FilterError(ValueError):
    """The ``q`` fragment (or sort, fields) is not understood."""


def _tokens(text: str) -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []
    at = 0
    text = text.rstrip()
    while at < len(text):
        match = TOKEN.match(text, at)
        if not match or match.end() == at:
            raise FilterError(f"q: cannot read {text[at : at + 20]!r}")
        at = match.end()
        if match["string"] is not None:
            found.append(("value", match["string"][1:-1].replace("''", "'")))
        elif match["number"] is not None:
            found.append(("value", Decimal(match["number"])))
        elif match["op"] is not None:
            found.append(("op", match["op"]))
        else:
            word = match["word"]
            found.append(("kw", word.upper()) if word.upper() in KEYWORDS else ("name", word))
    return found


def lookup(row: Row, name: str) -> Any:
    """A column of ``row`` by name, whatever its case."""
    if name in row:
        return row[name]
    lowered = name.lower()
    for key, value in row.items():
        if key.lower() == lowered:
            return value
    return None


def _comparable(value: Any) -> Any:
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    return value


def _compare(left: Any, op: str, right: Any) -> bool:
    if left is None or right is None:
        return False
    left, right = _comparable(left), _comparable(right)
    if isinstance(right, Decimal) and not isinstance(left, Decimal):
        try:
            left = Decimal(str(left))
        except ArithmeticError:
            return False
    elif isinstance(left, Decimal) and not isinstance(right, Decimal):
        left = str(left)
    left = left if isinstance(left, Decimal) else str(left)
    right = right if isinstance(right, Decimal) else str(right)
    return {
        "=": left == right,
        "<>": left != right,
        "!=": left != right,
        "<": left < right,
        "<=": left <= right,
        ">": left > right,
        ">=": left >= right,
    }[op]


def _text(value: Any) -> str | None:
    """A column's value as ``_compare`` sees it against a text literal (None stays None: it matches nothing)."""
    if value is None or isinstance(value, str):
        return value
    return str(_comparable(value))


def _like(value: Any, pattern: str) -> bool:
    if value is None:
        return False
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, str(value), re.DOTALL) is not None


class _Parser:
    def __init__(self, tokens: list[tuple[str, Any]]):
        self.tokens = tokens
        self.at = 0

    def peek(self) -> tuple[str, Any] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self, kind: str, value: Any = None) -> Any:
        token = self.peek()
        if token is None or token[0] != kind or (value is not None and token[1] != value):
            raise FilterError(f"q: expected {value or kind} at {token[1] if token else 'the end'!r}")
        self.at += 1
        return token[1]

    def accept(self, kind: str, value: Any) -> bool:
        token = self.peek()
        if token == (kind, value):
            self.at += 1
            return True
        return False

    def parse(self) -> Predicate:
        predicate = self.disjunction()
        if self.peek() is not None:
            raise FilterError(f"q: unexpected {self.peek()[1]!r}")
        return predicate

    def disjunction(self) -> Predicate:
        parts = [self.conjunction()]
        while self.accept("kw", "OR"):
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else (lambda row: any(part(row) for part in parts))

    def conjunction(self) -> Predicate:
        parts = [self.negation()]
        while self.accept("kw", "AND"):
            parts.append(self.negation())
        return parts[0] if len(parts) == 1 else (lambda row: all(part(row) for part in parts))

    def negation(self) -> Predicate:
        if self.accept("kw", "NOT"):
            inner = self.negation()
            return lambda row: not inner(row)
        if self.accept("op", "("):
            inner = self.disjunction()
            self.take("op", ")")
            return inner
        return self.condition()

    def condition(self) -> Predicate:
        name = self.take("name")
        if self.accept("kw", "IS"):
            negated = self.accept("kw", "NOT")
            self.take("kw", "NULL")
            return lambda row: (lookup(row, name) is None) != negated
        negated = self.accept("kw", "NOT")
        if self.accept("kw", "IN"):
            self.take("op", "(")
            values = [self.take("value")]
            while self.accept("op", ","):
                values.append(self.take("value"))
            self.take("op", ")")
            if all(isinstance(v, str) for v in values):  # text against text: a set look-up per row
                wanted = frozenset(values)
                return lambda row: (_text(lookup(row, name)) in wanted) != negated
            return lambda row: any(_compare(lookup(row, name), "=", v) for v in values) != negated
        if self.accept("kw", "LIKE"):
            pattern = self.take("value")
            return lambda row: _like(lookup(row, name), str(pattern)) != negated
        if negated:
            raise FilterError("q: NOT here must be followed by IN or LIKE")
        op = self.take("op")
        if op not in ("=", "<>", "!=", "<", "<=", ">", ">="):
            raise FilterError(f"q: {op!r} is not a comparison")
        value = self.take("value")
        if op == "=" and isinstance(value, str):
            return lambda row: _text(lookup(row, name)) == value
        return lambda row: _compare(lookup(row, name), op, value)


def where(q: str | None) -> Predicate:
    """The predicate ``q`` describes (every row when empty)."""
    if not q or not q.strip():
        return lambda row: True
    return _Parser(_tokens(q)).parse()


def _sort_key(value: Any) -> tuple[int, Any]:
    if value is None:
        return (0, "")
    value = _comparable(value)
    return (1, value) if isinstance(value, Decimal) else (2, str(value))


def select(rows: Iterable[Row], params: Mapping[str, str], *, flat: Callable[[Row], Row] = lambda row: row):
    """(the rows of one page, the count of every matching row) for a SelectFilter. ``flat`` gives the columns
    ``q`` and ``sort`` see for a row (the fields of a nested object)."""
    predicate = where(params.get("q"))
    found = [row for row in rows if predicate(flat(row))]
    sort = (params.get("sort") or "").strip()
    for part in reversed([p.strip() for p in sort.split(",") if p.strip()]):
        name, _, direction = part.partition(" ")
        if direction.strip().upper() not in ("", "ASC", "DESC"):
            raise FilterError(f"sort: {part!r}")
        found.sort(key=lambda row: _sort_key(lookup(flat(row), name)), reverse=direction.strip().upper() == "DESC")
    total = len(found)
    offset = max(0, int(params.get("offset") or 0))
    limit = int(params.get("limit") or params.get("first") or 0) or None
    if params.get("last") and not params.get("limit"):
        found = found[-int(params["last"]) :]
    page = found[offset : offset + limit if limit else None]
    fields = [name.strip() for name in (params.get("fields") or "").split(",") if name.strip()]
    if fields:
        page = [{name: lookup(flat(row), name) for name in fields} for row in page]
    return page, total


__all__ = ["FilterError", "lookup", "select", "where"]
