"""The Mikro adapter's default read-only SQL checks (``erpsync.sqlchecks``, docs/sql-checks.md): the live stock and the
live risk statement a Mikro connection uses when its live source is ``sql`` and the company wrote none of its own, and
the database URL they run against.

One text per statement for both servers: what differs between SQL Server and the Mikro-shaped PostgreSQL database is
the table hint, which the dialect gives (``Dialect.reading_hint``). The expressions Mikro's functions are called with
are the ones the adapter's reads use (``STOCK_IN_WAREHOUSE``, ``BALANCE_IN_MAIN_CURRENCY``, ``OPEN_ORDER_LINE``), so a
live answer is the figure the next import brings.

- Stock: per asked item and every warehouse in ``DEPOLAR``, ``quantity`` from ``dbo.fn_DepodakiMiktar`` and, when the
  connection's ``committed`` is ``open_orders``, ``reserved`` as the open quantity of open sales orders of that item
  and warehouse.
- Risk: ``balance`` from ``dbo.fn_CariHesapAnaDovizBakiye`` (the local currency), ``open_orders`` the gross open part
  of the customer's open sales orders in the local currency (``sip_doviz_cinsi`` 0), ``currency`` the local
  currency's code, and ``credit_limit`` when ``credit_limit_column`` names the installation's limit column.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from erpsync.adapters.mikro.dialect import DIALECTS, SCHEMES
from erpsync.adapters.mikro.settings import MikroSettings

# Mikro's function calls and conditions, shared with the adapter's reads (``reads``).
STOCK_IN_WAREHOUSE = "dbo.fn_DepodakiMiktar({item}, {warehouse}, 0)"
BALANCE_IN_MAIN_CURRENCY = (
    "dbo.fn_CariHesapAnaDovizBakiye('', 0, {customer}, '', '', NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL)"
)
OPEN_ORDER_LINE = (
    "{o}.sip_tip = 0 AND {o}.sip_iptal = 0 AND {o}.sip_kapat_fl = 0 AND {o}.sip_miktar > {o}.sip_teslim_miktar"
)
KINDS = frozenset({"stock", "risk"})


def stock_statement(dialect: str, *, committed: str = "open_orders") -> str:
    """The live stock statement in ``dialect`` (``mssql`` or ``postgresql``)."""
    hint = DIALECTS[dialect].reading_hint
    reserved = ""
    if committed == "open_orders":
        reserved = (
            ",\n       (SELECT COALESCE(SUM(O.sip_miktar - O.sip_teslim_miktar), 0)\n"
            f"          FROM dbo.SIPARISLER O{hint}\n"
            "         WHERE O.sip_stok_kod = S.sto_kod AND O.sip_depono = D.dep_no\n"
            f"           AND {OPEN_ORDER_LINE.format(o='O')}) AS reserved"
        )
    quantity = STOCK_IN_WAREHOUSE.format(item="S.sto_kod", warehouse="D.dep_no")
    return (
        "SELECT S.sto_kod AS item_code, CAST(D.dep_no AS varchar(10)) AS warehouse_code,\n"
        f"       {quantity} AS quantity{reserved}\n"
        f"FROM dbo.STOKLAR S{hint}\n"
        f"CROSS JOIN dbo.DEPOLAR D{hint}\n"
        "WHERE S.sto_kod IN (:codes) AND (:warehouse IS NULL OR CAST(D.dep_no AS varchar(10)) = :warehouse)"
    )


def risk_statement(dialect: str, *, currency: str = "TRY", credit_limit_column: str = "") -> str:
    """The live risk statement in ``dialect``; ``currency``: the ISO code of Mikro's local currency (number 0)."""
    hint = DIALECTS[dialect].reading_hint
    limit = f",\n       C.{credit_limit_column} AS credit_limit" if credit_limit_column else ""
    balance = BALANCE_IN_MAIN_CURRENCY.format(customer="C.cari_kod")
    return (
        f"SELECT {balance} AS balance,\n"
        "       (SELECT COALESCE(SUM(CASE WHEN O.sip_miktar > 0 THEN (O.sip_tutar + O.sip_vergi)\n"
        "                    * (O.sip_miktar - O.sip_teslim_miktar) / O.sip_miktar ELSE 0 END), 0)\n"
        f"          FROM dbo.SIPARISLER O{hint}\n"
        f"         WHERE O.sip_musteri_kod = C.cari_kod AND O.sip_doviz_cinsi = 0 AND {OPEN_ORDER_LINE.format(o='O')})"
        f" AS open_orders,\n       '{_code(currency)}' AS currency{limit}\n"
        f"FROM dbo.CARI_HESAPLAR C{hint}\n"
        "WHERE C.cari_kod = :customer"
    )


def _code(currency: str) -> str:
    """An ISO currency code as a literal: letters only (it comes from the connection's settings)."""
    return "".join(ch for ch in currency.upper() if "A" <= ch <= "Z")[:3] or "TRY"


def default_statements(raw: Mapping[str, Any] | None, dialect: str) -> dict[str, str]:
    """The default statements of a connection with these settings, by kind, for a database of ``dialect``; empty
    when the settings are unusable or the database is not SQL Server or PostgreSQL."""
    if dialect not in DIALECTS:
        return {}
    options, problems = MikroSettings.read(raw or {})
    if any(not p.warning for p in problems):
        return {}
    return {
        "stock": stock_statement(dialect, committed=options.committed),
        "risk": risk_statement(
            dialect, currency=options.currencies.get("0", "TRY"), credit_limit_column=options.credit_limit_column
        ),
    }


def default_url(raw: Mapping[str, Any] | None, credentials: Mapping[str, str]) -> str:
    """The connection's own Mikro database (``database_url``) with the login of its credentials, as the checks'
    database URL; empty when the settings or the login are missing."""
    options, problems = MikroSettings.read(raw or {})
    user = credentials.get("username", "")
    if any(not p.warning for p in problems) or not user:
        return ""
    parts = urlsplit(options.database_url)
    if SCHEMES.get(parts.scheme.split("+", 1)[0].lower()) is None or not parts.hostname:
        return ""
    login = quote(user, safe="")
    if credentials.get("password"):
        login += ":" + quote(credentials["password"], safe="")
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    netloc = f"{login}@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


__all__ = [
    "BALANCE_IN_MAIN_CURRENCY",
    "KINDS",
    "OPEN_ORDER_LINE",
    "STOCK_IN_WAREHOUSE",
    "default_statements",
    "default_url",
    "risk_statement",
    "stock_statement",
]
