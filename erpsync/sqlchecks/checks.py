"""Running the live stock and live risk statements of a connection: the answers, checked against the documented
columns, cached for a few seconds, and every failure recorded where staff look (the run log, as a failed live
lookup) before the caller falls back to the synced figures.

After a failure the connection's checks pause for ``sql_pause_seconds``: while the ERP database is down or slow,
pages use the synced figures at once instead of each waiting for the time limit.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings as django_settings
from django.core.cache import cache
from django.utils import timezone

from b2bportal.credentials import credentials_for
from b2bportal.registry import NotImportable, WrongKind, class_at
from erpsync.connection_settings import SettingsError
from erpsync.models import Entity, ErpConnection, SyncRun
from erpsync.sqlchecks import drivers
from erpsync.sqlchecks.settings import SqlCheckSettings
from erpsync.sqlchecks.statements import KIND, RISK, STOCK, StatementRefused, bind, validate_statement

logger = logging.getLogger(__name__)
MAX_CODES = 500  # per statement; a longer list runs in parts (SQL Server takes at most 2,100 parameters)
ZERO = Decimal("0")


class SqlCheckFailed(Exception):
    """A check that gave no usable answer: the caller uses the synced figures. ``str()`` says why, for staff."""


class SqlCheckOff(SqlCheckFailed):
    """The connection has no statement of that kind (or no database URL): not a failure, nothing is recorded."""


@dataclass(frozen=True)
class StockFigure:
    """One row of a stock statement: an item's stock in a warehouse, in the item's base unit."""

    item_code: str
    warehouse_code: str
    quantity: Decimal
    reserved: Decimal = ZERO
    on_order: Decimal | None = None


@dataclass(frozen=True)
class StockAnswer:
    figures: tuple[StockFigure, ...]
    as_of: datetime
    cached: bool = False


@dataclass(frozen=True)
class RiskAnswer:
    """A customer's figures as the risk statement gives them; ``exposure_in_erp`` is what the ERP holds beyond
    the balance (open orders plus uncleared cheques and notes)."""

    customer_code: str
    balance: Decimal
    open_orders: Decimal | None
    cheque_risk: Decimal | None
    credit_limit: Decimal | None
    currency: str
    as_of: datetime
    cached: bool = False

    @property
    def exposure_in_erp(self) -> Decimal | None:
        if self.open_orders is None and self.cheque_risk is None:
            return None
        return (self.open_orders or ZERO) + (self.cheque_risk or ZERO)


def adapter_class(connection: ErpConnection) -> type | None:
    """The connection's adapter class (``ERPSYNC_ADAPTERS``), or None when it names none that imports. Only its
    SQL check defaults are read here (``sql_check_kinds``, ``sql_check_statements``, ``sql_check_url``)."""
    path = getattr(django_settings, "ERPSYNC_ADAPTERS", {}).get(connection.adapter)
    if not path:
        return None
    try:
        return class_at(path, object, label=f"ERPSYNC_ADAPTERS[{connection.adapter!r}]", kind="a class")
    except (NotImportable, WrongKind):
        return None


def check_settings(connection: ErpConnection) -> SqlCheckSettings:
    """The connection's SQL check settings; raises ``SqlCheckFailed`` naming what is wrong with them."""
    try:
        return SqlCheckSettings.parse(connection.settings or {}, context=adapter_class(connection))
    except SettingsError as exc:
        raise SqlCheckFailed(str(exc)) from None


def database_url(connection: ErpConnection) -> str:
    """The read-only database URL, a credential (``<credentials_ref>_SQL_URL``), never a setting; without one, the
    URL the adapter derives from the connection (Mikro: its own database with its login), if it does."""
    credentials = credentials_for(connection.credentials_ref)
    url = credentials.get("sql_url", "")
    if url:
        return url
    derive = getattr(adapter_class(connection), "sql_check_url", None)
    return derive(connection.settings or {}, credentials) if derive else ""


def statement(connection: ErpConnection, options: SqlCheckSettings, kind: str, url: str) -> str:
    """The statement of ``kind`` a check runs: the connection's own, else the adapter's default for the database
    at ``url`` (Mikro ships both kinds); empty when there is neither."""
    own = (options.sql_stock_statement if kind == STOCK else options.sql_risk_statement) or ""
    if own.strip() or not url:
        return own
    defaults = getattr(adapter_class(connection), "sql_check_statements", None)
    if defaults is None:
        return ""
    try:
        dialect = drivers.url_dialect(url)
    except drivers.DatabaseFailed:
        return ""
    return defaults(connection.settings or {}, dialect).get(kind, "")


def run_stock_check(connection: ErpConnection, codes: Iterable[str], warehouse: str | None = None) -> StockAnswer:
    """The live stock of ``codes`` (in ``warehouse``, or every warehouse the statement covers) from the
    connection's stock statement. Raises ``SqlCheckOff`` when the connection has none, ``SqlCheckFailed`` when
    it gives no usable answer (recorded as a failed live lookup)."""
    codes = sorted({str(c) for c in codes if c})
    if not codes:
        return StockAnswer(figures=(), as_of=timezone.now())
    options = check_settings(connection)
    source = _source(connection, options, STOCK)
    cached, key = _cached(connection, source, STOCK, {"codes": codes, "warehouse": warehouse})
    if cached is not None:
        return StockAnswer(figures=cached[0], as_of=cached[1], cached=True)
    as_of = timezone.now()
    figures: list[StockFigure] = []
    for start in range(0, len(codes), MAX_CODES):
        part = codes[start : start + MAX_CODES]
        params = {"codes": part, "warehouse": warehouse}
        result = _run(connection, options, source, STOCK, params, summary={"codes": len(codes)})
        try:
            figures.extend(_stock_figure(result.columns, row) for row in result.rows)
        except SqlCheckFailed as exc:
            _record_failure(connection, STOCK, str(exc), {"codes": len(codes)})
            raise
    answer = tuple(figures)
    _store(options, key, (answer, as_of))
    return StockAnswer(figures=answer, as_of=as_of)


def run_risk_check(connection: ErpConnection, customer_code: str) -> RiskAnswer:
    """The live risk figures of one customer from the connection's risk statement. The caller passes the
    customer code of the signed-in dealer only (``erpsync.live`` does); the statement must return one row.
    Raises ``SqlCheckOff`` or ``SqlCheckFailed`` as ``run_stock_check`` does."""
    if not customer_code:
        raise SqlCheckFailed("No customer code to check.")
    options = check_settings(connection)
    source = _source(connection, options, RISK)
    cached, key = _cached(connection, source, RISK, {"customer": customer_code})
    if cached is not None:
        return RiskAnswer(**{**cached, "cached": True})
    result = _run(connection, options, source, RISK, {"customer": customer_code}, summary={"customer": customer_code})
    try:
        if len(result.rows) != 1:
            raise SqlCheckFailed(
                f"The risk statement returned {len(result.rows)} rows for customer {customer_code}; it must return one."
            )
        row = dict(zip(result.columns, result.rows[0], strict=True))
        fields = {
            "customer_code": customer_code,
            "balance": _decimal(row, "balance"),
            "open_orders": _decimal(row, "open_orders", optional=True),
            "cheque_risk": _decimal(row, "cheque_risk", optional=True),
            "credit_limit": _decimal(row, "credit_limit", optional=True),
            "currency": str(row.get("currency") or "").strip().upper(),
            "as_of": timezone.now(),
        }
    except SqlCheckFailed as exc:
        _record_failure(connection, RISK, str(exc), {"customer": customer_code})
        raise
    _store(options, key, fields)
    return RiskAnswer(**fields)


# --- Running ----------------------------------------------------------------------------------------------------


def _pause_key(connection: ErpConnection) -> str:
    return f"sqlcheck-paused:{connection.pk}"


@dataclass(frozen=True)
class _Source:
    sql: str
    url: str


def _source(connection: ErpConnection, options: SqlCheckSettings, kind: str) -> _Source:
    """The statement and the database URL of a check; ``SqlCheckOff`` when either is missing."""
    url = database_url(connection)
    sql = statement(connection, options, kind, url)
    if not sql.strip():
        raise SqlCheckOff(f"The connection has no {kind} statement.")
    if not url:
        raise SqlCheckOff(f"No database URL: set {connection.credentials_ref.upper() or '<credentials_ref>'}_SQL_URL.")
    return _Source(sql=sql, url=url)


def _cached(connection: ErpConnection, source: _Source, kind: str, params: dict) -> tuple[Any, str]:
    """The cached answer to this question (None when there is none) and its key: per connection, statement and
    parameters, so an edited statement is never answered from the old one's cache."""
    sql = source.sql
    digest = hashlib.sha256(json.dumps([sql, params], sort_keys=True, default=str).encode()).hexdigest()[:32]
    key = f"sqlcheck:{connection.pk}:{kind}:{digest}"
    return cache.get(key), key


def _store(options: SqlCheckSettings, key: str, value: Any) -> None:
    seconds = options.sql_cache_seconds
    if seconds:
        cache.set(key, value, seconds)


def _run(
    connection: ErpConnection,
    options: SqlCheckSettings,
    source: _Source,
    kind: str,
    params: dict[str, Any],
    *,
    summary: dict,
) -> drivers.Result:
    sql, url = source.sql, source.url
    if cache.get(_pause_key(connection)):
        raise SqlCheckFailed("The SQL checks are paused after a recent failure.")
    try:
        dialect = drivers.url_dialect(url)
        if options.sql_dialect and dialect != options.sql_dialect:
            raise SqlCheckFailed(
                f"The database URL is {dialect}, the statements are written for {options.sql_dialect}."
            )
        validate_statement(sql, kind, dialect)
        text, args = bind(sql, dialect, params)
        result = drivers.run(url, text, args, timeout_ms=options.sql_timeout_ms)
        missing = [column for column in KIND[kind].columns if column not in result.columns]
        if missing:
            absent, returned = ", ".join(missing), ", ".join(result.columns)
            raise SqlCheckFailed(f"The {kind} statement returned no column {absent} (it returned {returned}).")
        return result
    except (StatementRefused, drivers.DatabaseFailed, SqlCheckFailed) as exc:
        reason = str(exc) if isinstance(exc, SqlCheckFailed) else f"The {kind} statement failed: {exc}"
        _record_failure(connection, kind, reason, summary)
        raise SqlCheckFailed(reason) from exc


def _record_failure(connection: ErpConnection, kind: str, reason: str, summary: dict) -> None:
    """A failed check: logged, in the run log as a failed live lookup (the sync health page counts it), and the
    connection's checks paused for ``sql_pause_seconds``."""
    logger.warning("SQL %s check of connection %s failed: %s", kind, connection.code, reason)
    try:
        seconds = SqlCheckSettings.read(connection.settings or {}, context=adapter_class(connection))[
            0
        ].sql_pause_seconds
    except SettingsError:
        seconds = SqlCheckSettings.sql_pause_seconds.default
    if seconds:
        cache.set(_pause_key(connection), 1, seconds)
    SyncRun.objects.create(
        connection=connection,
        entity=Entity.STOCK if kind == STOCK else Entity.BALANCE,
        mode=SyncRun.Mode.LIVE,
        status=SyncRun.Status.FAILED,
        failed=1,
        error=reason[:2000],
        summary={"sql_check": kind, **summary},
        finished_at=timezone.now(),
    )


# --- Rows -------------------------------------------------------------------------------------------------------


def _decimal(row: dict[str, Any], column: str, *, optional: bool = False) -> Decimal | None:
    value = row.get(column)
    if value is None:
        if optional:
            return None
        raise SqlCheckFailed(f"The column {column} is empty (NULL); use COALESCE({column}, 0).")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise SqlCheckFailed(f"The column {column} is not a number: {value!r}.") from None
    if not number.is_finite():
        raise SqlCheckFailed(f"The column {column} is not a number: {value!r}.")
    return number


def _stock_figure(columns: list[str], values: tuple) -> StockFigure:
    row = dict(zip(columns, values, strict=True))
    item, warehouse = row.get("item_code"), row.get("warehouse_code")
    if item is None or warehouse is None:
        raise SqlCheckFailed("A row of the stock statement has no item_code or warehouse_code.")
    return StockFigure(
        item_code=str(item).strip(),  # fixed-width ERP columns pad with spaces
        warehouse_code=str(warehouse).strip(),
        quantity=_decimal(row, "quantity"),
        reserved=_decimal(row, "reserved", optional=True) or ZERO,
        on_order=_decimal(row, "on_order", optional=True),
    )
