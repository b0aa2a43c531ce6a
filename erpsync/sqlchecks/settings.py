"""The SQL checks' connection settings, shared by every connection whatever its adapter (the table in
docs/sql-checks.md is generated from the declaration).

The database URL is a credential, never a setting: ``<credentials_ref>_SQL_URL`` in the environment
(``postgresql://reader:…@host/db``, ``mysql://…``, ``mssql://…``), read through ``b2bportal.credentials``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from erpsync.connection_settings import Choice, Integer, Problem, Settings, Text
from erpsync.sqlchecks.statements import DIALECTS, RISK, STOCK, StatementRefused, validate_statement

LIVE_STOCK_SOURCES = ("off", "sql", "api")
LIVE_RISK_SOURCES = ("off", "sql")


class SqlCheckSettings(Settings):
    owner = "SQL checks"
    title = "Read-only SQL checks"

    sql_dialect = Choice(
        "The ERP database's kind: `postgresql`, `mysql` (MariaDB too) or `mssql` (SQL Server: Logo, Netsis, Mikro).",
        choices=tuple(DIALECTS),
    )
    sql_stock_statement = Text(
        "The live stock statement: one SELECT taking `:codes` (and `:warehouse`), returning `item_code`, "
        "`warehouse_code`, `quantity` (optional `reserved`, `on_order`)."
    )
    sql_risk_statement = Text(
        "The live risk statement: one SELECT taking `:customer`, returning `balance` (optional `open_orders`, "
        "`cheque_risk`, `credit_limit`, `currency`)."
    )
    live_stock_source = Choice(
        "Where every add to the cart, checkout and placement take live stock from: `sql` (the stock statement, or "
        "the adapter's shipped one (Mikro), else the adapter's live stock), `api` (the adapter's live stock), `off`; "
        "each falls back to the synced figures.",
        choices=LIVE_STOCK_SOURCES,
        default="off",
    )
    live_risk_source = Choice(
        "`sql`: the account page and placement read the dealer's balance and risk with the risk statement (or the "
        "adapter's shipped one: Mikro), "
        "falling back to the synced figures; `off`: only the synced figures (and the refresh button, if the "
        "adapter offers a live balance).",
        choices=LIVE_RISK_SOURCES,
        default="off",
    )
    sql_timeout_ms = Integer("How long a statement may run, in milliseconds.", default=2000, minimum=100,
                             maximum=30000)  # fmt: skip
    sql_cache_seconds = Integer("How long an answer is reused for the same question (0: never).", default=5,
                                minimum=0, maximum=300)  # fmt: skip
    sql_pause_seconds = Integer("After a failure, how long the checks are not tried (the synced figures are used).",
                                default=30, minimum=0, maximum=3600)  # fmt: skip

    @classmethod
    def read(cls, raw: Mapping[str, Any] | None, *, context: Any = None) -> tuple[Self, list[Problem]]:
        """As ``Settings.read``; ``context`` is the connection's adapter class: a live source ``sql`` needs a
        statement of the connection's own unless the adapter ships a default one (``sql_check_kinds``)."""
        obj, problems = super().read(raw, context=context)
        if any(not p.warning for p in problems):
            return obj, problems
        shipped = getattr(context, "sql_check_kinds", frozenset())
        for kind, key in ((STOCK, "sql_stock_statement"), (RISK, "sql_risk_statement")):
            wanted = getattr(obj, f"live_{kind}_source") == "sql"
            if wanted and not (getattr(obj, key) or "").strip() and kind not in shipped:
                problems.append(cls.problem(key, f"{key!r} is required when live_{kind}_source is 'sql'."))
        return obj, problems

    def clean(self) -> list[Problem]:
        problems = []
        statements = {STOCK: ("sql_stock_statement", self.sql_stock_statement),
                      RISK: ("sql_risk_statement", self.sql_risk_statement)}  # fmt: skip
        for kind, (key, sql) in statements.items():
            if not (sql or "").strip():
                continue
            if not self.sql_dialect:
                problems.append(self.problem("sql_dialect", f"'sql_dialect' is required with {key!r}."))
                continue
            try:
                validate_statement(sql, kind, self.sql_dialect)
            except StatementRefused as exc:
                problems.append(self.problem(key, f"{key!r} {exc}"))
        return problems
