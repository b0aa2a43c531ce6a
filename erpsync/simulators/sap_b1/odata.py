"""The query options of the simulated Service Layer: ``$filter``, ``$select`` and ``$orderby``.

``$filter`` is parsed by a small recursive-descent parser into a tree and evaluated per entity. What it accepts:

- comparisons ``eq ne gt ge lt le`` between a property and a literal (either side), joined by ``and`` / ``or``,
  negated by ``not``, grouped with parentheses;
- literals: ``'text'`` (a quote inside is doubled: ``'O''Brien'``), integers and decimals, ``true``/``false``/``null``,
  and the typed forms ``datetime'…'``, ``datetimeoffset'…'`` and ``time'…'`` some v2 clients send;
- functions ``startswith(P,'x')``, ``endswith(P,'x')``, ``substringof('x',P)`` (v3 order), ``contains(P,'x')``
  (v4 order), ``tolower(P)``, ``toupper(P)``.

What it refuses (``QueryError``, which the server answers with HTTP 400 and an error body): arithmetic operators,
``any``/``all`` lambdas and paths into child collections (``DocumentLines/ItemCode``), unknown properties, unknown
functions and anything that does not parse. It never raises anything else on bad input.

Dates and times compare as dates and times, not as text: ``UpdateDate`` holds ``'2024-03-01'`` and a literal may be
``'2024-03-01'``, ``'2024-03-01T00:00:00Z'`` or ``datetime'2024-03-01T00:00:00'``; ``UpdateTime`` holds
``'14:05:09'`` and a literal may omit the seconds. That is what makes the correct delta filter
``UpdateDate gt 'D' or (UpdateDate eq 'D' and UpdateTime ge 'T')`` and the naive
``UpdateDate ge 'D' and UpdateTime ge 'T'`` give the different answers they give against a real company.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any


class QueryError(ValueError):
    """A query option the simulator does not understand or does not support."""


COMPARISONS = frozenset({"eq", "ne", "gt", "ge", "lt", "le"})
# Recognised so they can be refused with a clear message rather than a parse error further on.
ARITHMETIC = frozenset({"add", "sub", "mul", "div", "mod"})
STRING_FUNCTIONS = frozenset({"startswith", "endswith", "substringof", "contains", "tolower", "toupper"})

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<typed>(?:datetimeoffset|datetime|time|guid)'(?:[^']|'')*')
  | (?P<string>'(?:[^']|'')*')
  | (?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?[mMdDfFlL]?)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:/[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<punct>[(),])
    """,
    re.VERBOSE,
)
_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$")
_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$")


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    pos: int


def tokenize(text: str) -> list[Token]:
    """Split a ``$filter`` into tokens; an unexpected character is a ``QueryError`` naming its position."""
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match:
            raise QueryError(f"Invalid character {text[pos]!r} at position {pos} in $filter")
        kind = match.lastgroup or ""
        if kind != "ws":
            tokens.append(Token(kind, match.group(), pos))
        pos = match.end()
    return tokens


# ---------------------------------------------------------------------------------------------------------------
# Tree


@dataclass(frozen=True)
class Literal:
    value: Any


@dataclass(frozen=True)
class Property:
    name: str


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]


@dataclass(frozen=True)
class Compare:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class BoolOp:
    op: str  # "and" | "or"
    left: Node
    right: Node


@dataclass(frozen=True)
class Not:
    operand: Node


Node = Literal | Property | Call | Compare | BoolOp | Not


class _Parser:
    """Recursive descent over the grammar::

    or_expr  := and_expr ("or" and_expr)*
    and_expr := unary ("and" unary)*
    unary    := "not" unary | compare
    compare  := operand (COMPARISON operand)?
    operand  := "(" or_expr ")" | literal | NAME "(" args ")" | NAME
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0

    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def keyword(self) -> str | None:
        token = self.peek()
        return token.text if token is not None and token.kind == "name" else None

    def advance(self) -> Token:
        token = self.peek()
        if token is None:
            raise QueryError("Unexpected end of $filter")
        self.pos += 1
        return token

    def expect(self, text: str) -> None:
        token = self.advance()
        if token.text != text:
            raise QueryError(f"Expected {text!r} at position {token.pos} in $filter, found {token.text!r}")

    def parse(self) -> Node:
        if not self.tokens:
            raise QueryError("Empty $filter")
        node = self.or_expr()
        token = self.peek()
        if token is not None:
            if token.text in ARITHMETIC:
                raise QueryError(f"Arithmetic operator {token.text!r} is not supported in $filter")
            raise QueryError(f"Unexpected {token.text!r} at position {token.pos} in $filter")
        return node

    def or_expr(self) -> Node:
        node = self.and_expr()
        while self.keyword() == "or":
            self.advance()
            node = BoolOp("or", node, self.and_expr())
        return node

    def and_expr(self) -> Node:
        node = self.unary()
        while self.keyword() == "and":
            self.advance()
            node = BoolOp("and", node, self.unary())
        return node

    def unary(self) -> Node:
        if self.keyword() == "not":
            self.advance()
            return Not(self.unary())
        return self.compare()

    def compare(self) -> Node:
        left = self.operand()
        op = self.keyword()
        if op in COMPARISONS:
            self.advance()
            return Compare(op, left, self.operand())
        if op in ARITHMETIC:
            raise QueryError(f"Arithmetic operator {op!r} is not supported in $filter")
        return left

    def operand(self) -> Node:
        token = self.advance()
        if token.text == "(":
            node = self.or_expr()
            self.expect(")")
            return node
        if token.kind == "string":
            return Literal(token.text[1:-1].replace("''", "'"))
        if token.kind == "typed":
            _prefix, _, rest = token.text.partition("'")
            return Literal(rest[:-1].replace("''", "'"))
        if token.kind == "number":
            return Literal(_number(token.text))
        if token.kind == "name":
            return self.name(token)
        raise QueryError(f"Unexpected {token.text!r} at position {token.pos} in $filter")

    def name(self, token: Token) -> Node:
        lowered = token.text.lower()
        if lowered in {"true", "false"}:
            return Literal(lowered == "true")
        if lowered == "null":
            return Literal(None)
        following = self.peek()
        if following is not None and following.text == "(":
            if token.text not in STRING_FUNCTIONS:
                raise QueryError(f"Function {token.text!r} is not supported in $filter")
            self.advance()
            args: list[Node] = []
            if self.peek() is not None and self.peek().text != ")":  # type: ignore[union-attr]
                args.append(self.or_expr())
                while self.peek() is not None and self.peek().text == ",":  # type: ignore[union-attr]
                    self.advance()
                    args.append(self.or_expr())
            self.expect(")")
            return _checked_call(token.text, tuple(args))
        if "/" in token.text:
            raise QueryError(f"Navigation path {token.text!r} is not supported in $filter")
        if token.text in COMPARISONS | ARITHMETIC | {"and", "or", "not"}:
            raise QueryError(f"Unexpected operator {token.text!r} at position {token.pos} in $filter")
        return Property(token.text)


def _number(text: str) -> int | float:
    text = text.rstrip("mMdDfFlL")
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    return float(text)


def _checked_call(name: str, args: tuple[Node, ...]) -> Call:
    arity = 1 if name in {"tolower", "toupper"} else 2
    if len(args) != arity:
        raise QueryError(f"Function {name!r} takes {arity} argument(s), got {len(args)}")
    return Call(name, args)


def parse_filter(text: str, fields: Iterable[str]) -> Node:
    """Parse ``text`` and check that every property it names is one of ``fields``."""
    node = _Parser(text).parse()
    known = set(fields)
    for name in _properties(node):
        if name not in known:
            raise QueryError(f"Property '{name}' is invalid")
    if not _is_boolean(node):
        raise QueryError("$filter must be a condition (a comparison or a boolean function)")
    return node


def _properties(node: Node) -> Iterable[str]:
    if isinstance(node, Property):
        yield node.name
    elif isinstance(node, Call):
        for arg in node.args:
            yield from _properties(arg)
    elif isinstance(node, Compare | BoolOp):
        yield from _properties(node.left)
        yield from _properties(node.right)
    elif isinstance(node, Not):
        yield from _properties(node.operand)


def _is_boolean(node: Node) -> bool:
    if isinstance(node, Compare):
        return True
    if isinstance(node, BoolOp):
        return _is_boolean(node.left) and _is_boolean(node.right)
    if isinstance(node, Not):
        return _is_boolean(node.operand)
    if isinstance(node, Call):
        return node.name in {"startswith", "endswith", "substringof", "contains"}
    return False


# ---------------------------------------------------------------------------------------------------------------
# Evaluation


def evaluate(node: Node, entity: Mapping[str, Any], *, case_insensitive: bool = False) -> bool:
    """Whether ``entity`` matches the parsed filter. ``case_insensitive`` mirrors the ``B1S-CaseInsensitive`` header."""
    return bool(_value(node, entity, case_insensitive))


def _value(node: Node, entity: Mapping[str, Any], ci: bool) -> Any:
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Property):
        value = entity.get(node.name)
        if isinstance(value, list | dict):
            raise QueryError(f"Property '{node.name}' is a collection and cannot be filtered on")
        return value
    if isinstance(node, BoolOp):
        left = bool(_value(node.left, entity, ci))
        # Short-circuit like SQL would, so a row never errs on a branch that cannot matter.
        if node.op == "and":
            return left and bool(_value(node.right, entity, ci))
        return left or bool(_value(node.right, entity, ci))
    if isinstance(node, Not):
        return not _value(node.operand, entity, ci)
    if isinstance(node, Compare):
        return compare(node.op, _value(node.left, entity, ci), _value(node.right, entity, ci), case_insensitive=ci)
    return _call(node, entity, ci)


def _call(node: Call, entity: Mapping[str, Any], ci: bool) -> Any:
    values = [_value(arg, entity, ci) for arg in node.args]
    if node.name in {"tolower", "toupper"}:
        value = values[0]
        if value is None:
            return None
        return str(value).lower() if node.name == "tolower" else str(value).upper()
    if any(value is None for value in values):
        return False
    a, b = (str(value) for value in values)
    if ci:
        a, b = a.lower(), b.lower()
    if node.name == "startswith":
        return a.startswith(b)
    if node.name == "endswith":
        return a.endswith(b)
    if node.name == "substringof":  # v3: substringof('needle', Property)
        return a in b
    return b in a  # contains(Property, 'needle')


_ORDERING: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
}


def compare(op: str, left: Any, right: Any, *, case_insensitive: bool = False) -> bool:
    """Compare two values the way the database behind the Service Layer would.

    ``null`` equals only ``null`` and is neither greater nor smaller than anything (SQL semantics). Numbers compare
    numerically (a quoted number against a numeric property is accepted); dates, date-times and times compare by
    their value whatever their spelling; everything else compares as text.
    """
    if left is None or right is None:
        if op == "eq":
            return left is None and right is None
        if op == "ne":
            return not (left is None and right is None)
        return False
    a, b = comparable(left, right, case_insensitive=case_insensitive)
    try:
        return _ORDERING[op](a, b)
    except TypeError as exc:
        raise QueryError(f"Cannot compare {left!r} with {right!r}") from exc


def comparable(left: Any, right: Any, *, case_insensitive: bool = False) -> tuple[Any, Any]:
    """Turn two values into a pair Python can order the way the Service Layer orders them."""
    if isinstance(left, bool) or isinstance(right, bool):
        return _boolish(left), _boolish(right)
    if isinstance(left, int | float) or isinstance(right, int | float):
        return _numeric(left), _numeric(right)
    a, b = str(left), str(right)
    dates = _as_datetime(a), _as_datetime(b)
    if dates[0] is not None and dates[1] is not None:
        return dates
    times = _as_seconds(a), _as_seconds(b)
    if times[0] is not None and times[1] is not None:
        return times
    if case_insensitive:
        return a.lower(), b.lower()
    return a, b


def sort_key(value: Any) -> tuple[int, Any]:
    """A key for ``$orderby``: nulls first (as SQL Server and HANA sort ascending), then by value."""
    if value is None:
        return (0, 0)
    if isinstance(value, bool):
        return (1, int(value))
    if isinstance(value, int | float):
        return (1, value)
    text = str(value)
    when = _as_datetime(text)
    if when is not None:
        return (2, when)
    seconds = _as_seconds(text)
    if seconds is not None:
        return (3, seconds)
    return (4, text)


def _boolish(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() in {"true", "tyes"}
    return bool(value)


def _numeric(value: Any) -> float:
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value))
    except ValueError as exc:
        raise QueryError(f"{value!r} is not a number") from exc


def _as_datetime(text: str) -> datetime | None:
    match = _DATE.match(text)
    if not match:
        return None
    year, month, day, hour, minute, second = match.groups()
    try:
        return datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
    except ValueError:
        return None


def _as_seconds(text: str) -> int | None:
    match = _TIME.match(text)
    if not match:
        return None
    hour, minute, second = match.groups()
    return int(hour) * 3600 + int(minute) * 60 + int(second or 0)


# ---------------------------------------------------------------------------------------------------------------
# $select and $orderby


def parse_select(text: str, fields: Iterable[str]) -> list[str]:
    """The property names of ``$select``; ``*`` means all. Unknown names are a ``QueryError``."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise QueryError("Empty $select")
    if names == ["*"]:
        return list(fields)
    known = set(fields)
    for name in names:
        if name not in known:
            raise QueryError(f"Property '{name}' is invalid")
    return names


def parse_orderby(text: str, fields: Iterable[str]) -> list[tuple[str, bool]]:
    """``$orderby`` as ``[(property, descending)]``; unknown properties or directions are a ``QueryError``."""
    known = set(fields)
    keys: list[tuple[str, bool]] = []
    for part in text.split(","):
        words = part.split()
        if not words or len(words) > 2:
            raise QueryError(f"Invalid $orderby clause {part.strip()!r}")
        name = words[0]
        direction = words[1].lower() if len(words) == 2 else "asc"
        if name not in known:
            raise QueryError(f"Property '{name}' is invalid")
        if direction not in {"asc", "desc"}:
            raise QueryError(f"Invalid $orderby direction {words[1]!r}")
        keys.append((name, direction == "desc"))
    return keys


def order_rows(rows: list[dict[str, Any]], keys: list[tuple[str, bool]]) -> list[dict[str, Any]]:
    """Sort by several keys, each ascending or descending (stable sorts applied from the last key)."""
    for name, descending in reversed(keys):
        rows = sorted(rows, key=lambda row, name=name: sort_key(row.get(name)), reverse=descending)
    return rows
