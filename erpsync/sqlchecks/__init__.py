"""Read-only SQL checks: a connection's own ``SELECT`` statements asked of the ERP's database for live stock and
live risk, with a time limit, in a read-only transaction, values bound, answers cached for a few seconds, and a
fallback to the synced figures when they fail (see docs/sql-checks.md).

The public API (adapters that read the ERP's database reuse it):

- ``validate_statement(sql, kind, dialect)``: refuse a statement that cannot be a check; its parameters;
- ``validate_read(sql, dialect, parameters)``: refuse a statement that cannot be a read; its result columns;
- in ``erpsync.sqlchecks.checks``: ``run_stock_check(connection, codes, warehouse=None)`` → ``StockAnswer``;
  ``run_risk_check(connection, customer_code)`` → ``RiskAnswer``; ``SqlCheckFailed`` (no usable answer: use the
  synced figures) and ``SqlCheckOff`` (no statement configured).

This package itself imports only the statements and the settings, which need no models: the connection settings
of every adapter (``erpsync.common_settings``) read them while Django's settings are still being loaded.
"""

from erpsync.sqlchecks.settings import SqlCheckSettings
from erpsync.sqlchecks.statements import KIND, RISK, STOCK, StatementRefused, bind, validate_read, validate_statement

__all__ = [
    "KIND",
    "RISK",
    "STOCK",
    "SqlCheckSettings",
    "StatementRefused",
    "bind",
    "validate_read",
    "validate_statement",
]
