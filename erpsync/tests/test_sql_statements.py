"""The SQL checks' statements without a database: what is refused, in each dialect, and how values are bound."""

from __future__ import annotations

import re

import pytest
from django.conf import settings

from erpsync.sqlchecks import StatementRefused, bind, validate_statement
from erpsync.sqlchecks.statements import parameters

DIALECTS = ("postgresql", "mysql", "mssql")
RISK = "SELECT SUM(DEBIT - CREDIT) AS balance FROM LG_001_01_GNTOTCL g JOIN LG_001_CLCARD c ON c.LOGICALREF = g.CARDREF WHERE c.CODE = :customer"  # noqa: E501


@pytest.mark.parametrize("dialect", DIALECTS)
def test_a_plain_select_and_a_with_select_are_accepted(dialect):
    assert validate_statement(RISK, "risk", dialect) == ["customer"]
    cte = "WITH t AS (" + RISK + ") SELECT balance FROM t"  # noqa: S608 - a statement under test
    assert validate_statement(cte, "risk", dialect) == ["customer"]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize(
    ("statement", "message"),
    [
        ("UPDATE LG_001_CLCARD SET CODE = 'x' WHERE CODE = :customer", "not UPDATE"),
        ("INSERT INTO t SELECT 1 AS balance WHERE 'a' = :customer", "not INSERT"),
        (f"{RISK}; SELECT 1", "must be one statement, found 2"),
        ("SELECT 1 AS balance INTO keep WHERE 'a' = :customer", "SELECT … INTO"),
        ("WITH d AS (DELETE FROM t WHERE c = :customer RETURNING 1) SELECT 1 AS balance", "it contains DELETE"),
        ("SELECT 1 AS balance WHERE 'a' = :customer OR 'b' = :someone", "unknown parameters :someone"),
        ("SELECT 1 AS balance FROM LG_001_CLCARD", "must use the parameter :customer"),
        ("SELECT 1 AS amount FROM LG_001_CLCARD WHERE CODE = :customer", "must return the column balance"),
        ("", "is empty"),
    ],
)
def test_what_is_not_a_single_read_is_refused(dialect, statement, message):
    with pytest.raises(StatementRefused, match=message.replace("(", r"\(")) as refused:
        validate_statement(statement, "risk", dialect)
    assert str(refused.value)


@pytest.mark.parametrize("dialect", ["postgresql", "mysql"])
def test_locking_reads_are_refused(dialect):
    with pytest.raises(StatementRefused, match="must not lock rows"):
        validate_statement(RISK + " FOR UPDATE", "risk", dialect)
    with pytest.raises(StatementRefused, match="must not lock rows"):
        validate_statement(RISK + " FOR SHARE", "risk", dialect)


def test_an_unknown_kind_or_dialect_is_refused():
    with pytest.raises(StatementRefused, match="unknown kind"):
        validate_statement(RISK, "price", "postgresql")
    with pytest.raises(StatementRefused, match="unknown database kind"):
        validate_statement(RISK, "risk", "oracle")


def test_only_real_parameters_are_found_not_casts_quoted_texts_or_comments():
    sql = "SELECT a::numeric AS balance, ':quoted' AS s FROM t -- :commented\nWHERE c = :customer /* :too */"
    assert [p.name for p in parameters(sql, "postgresql")] == ["customer"]
    assert validate_statement(sql, "risk", "postgresql") == ["customer"]


def test_values_are_bound_never_written_into_the_text():
    sql = "SELECT CODE AS item_code FROM ITEMS WHERE CODE IN (:codes) AND NAME LIKE 'A%' AND (:warehouse IS NULL)"
    text, args = bind(sql, "postgresql", {"codes": ["A", "x'; DROP TABLE ITEMS; --"], "warehouse": None})
    assert text == ("SELECT CODE AS item_code FROM ITEMS WHERE CODE IN (%s, %s) AND NAME LIKE 'A%%' AND (%s IS NULL)")
    assert args == ["A", "x'; DROP TABLE ITEMS; --", None]
    assert "DROP" not in text


def test_an_empty_list_matches_nothing_and_a_missing_value_is_refused():
    text, args = bind("SELECT 1 FROM t WHERE c IN (:codes)", "mysql", {"codes": []})
    assert text == "SELECT 1 FROM t WHERE c IN (NULL)" and args == []
    with pytest.raises(StatementRefused, match="no value for :codes"):
        bind("SELECT 1 FROM t WHERE c IN (:codes)", "mysql", {})


def docs_examples() -> list[tuple[str, str, str]]:
    """The example statements of docs/sql-checks.md: (kind, dialect, statement) of each ``sql`` block, whose first
    line says ``-- kind: …, dialect: …``."""
    text = (settings.BASE_DIR / "docs" / "sql-checks.md").read_text(encoding="utf-8")
    found = []
    for block in re.findall(r"```sql\n(.*?)```", text, re.DOTALL):
        head = re.match(r"-- kind: (\w+), dialect: (\w+)\n", block)
        assert head, f"an example without its kind and dialect: {block[:60]!r}"
        found.append((head[1], head[2], block))
    return found


def test_every_example_in_the_docs_passes_the_checks_the_admin_applies():
    examples = docs_examples()
    wanted = {("stock", "mssql"), ("risk", "mssql"), ("stock", "postgresql"), ("risk", "mysql")}
    assert {(kind, dialect) for kind, dialect, _ in examples} >= wanted
    for kind, dialect, statement in examples:
        assert validate_statement(statement, kind, dialect)
