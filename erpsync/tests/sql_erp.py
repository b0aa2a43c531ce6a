"""Scratch ERP databases shaped like Logo's tables, on the local PostgreSQL and MariaDB servers, for the SQL
checks' tests and benchmark.

The tables follow Logo Tiger's SQL schema (docs/sql-checks.md; the shapes are those of the published table list
summarised in the protocol notes, §3.3): firm tables ``LG_<firm>_ITEMS`` and ``LG_<firm>_CLCARD``, period tables
``LG_<firm>_<period>_STINVTOT`` (stock per item, warehouse number ``INVENNO`` — ``-1`` is the all-warehouses total —
and day, with ``ONHAND``, ``RESERVED``, ``ACTSORDER``), ``LG_<firm>_<period>_GNTOTCL`` (customer totals: ``TOTTYP``,
``DEBIT``, ``CREDIT``) and ``LG_<firm>_<period>_ORFICHE`` (order slips: ``TRCODE`` 1 sales order, ``STATUS`` 4
approved, ``CANCELLED``, ``NETTOTAL``). Only the columns the checks read are created. Quantities are floats, as in
Logo; codes are fixed-width ``CHAR`` on the warehouse side and may carry Turkish letters.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from urllib.parse import urlsplit

import psycopg
import pymysql

DDL = [
    "CREATE TABLE LG_001_ITEMS (LOGICALREF INT PRIMARY KEY, CODE VARCHAR(25) NOT NULL, NAME VARCHAR(51), "
    "ACTIVE SMALLINT NOT NULL, CARDTYPE SMALLINT NOT NULL)",
    "CREATE UNIQUE INDEX I_ITEMS_CODE ON LG_001_ITEMS (CODE)",
    "CREATE TABLE LG_001_01_STINVTOT (STOCKREF INT NOT NULL, INVENNO SMALLINT NOT NULL, DATE_ DATE NOT NULL, "
    "ONHAND FLOAT NOT NULL, RESERVED FLOAT NOT NULL, ACTSORDER FLOAT NOT NULL)",
    "CREATE INDEX I_STINVTOT_STOCKREF ON LG_001_01_STINVTOT (STOCKREF, INVENNO)",
    "CREATE TABLE LG_001_CLCARD (LOGICALREF INT PRIMARY KEY, CODE VARCHAR(17) NOT NULL, DEFINITION_ VARCHAR(201), "
    "ACTIVE SMALLINT NOT NULL, CARDTYPE SMALLINT NOT NULL)",
    "CREATE TABLE LG_001_01_GNTOTCL (CARDREF INT NOT NULL, TOTTYP SMALLINT NOT NULL, DEBIT FLOAT NOT NULL, "
    "CREDIT FLOAT NOT NULL)",
    "CREATE TABLE LG_001_01_ORFICHE (LOGICALREF INT PRIMARY KEY, CLIENTREF INT NOT NULL, TRCODE SMALLINT NOT NULL, "
    "STATUS SMALLINT NOT NULL, CANCELLED SMALLINT NOT NULL, NETTOTAL FLOAT NOT NULL)",
]
TABLES = ["LG_001_ITEMS", "LG_001_01_STINVTOT", "LG_001_CLCARD", "LG_001_01_GNTOTCL", "LG_001_01_ORFICHE"]

# The checks as a company would write them for these tables (the same text runs on both servers).
STOCK_SQL = """
SELECT i.CODE AS item_code, CAST(t.INVENNO AS CHAR(5)) AS warehouse_code,
       SUM(t.ONHAND) AS quantity, SUM(t.RESERVED + t.ACTSORDER) AS reserved
FROM LG_001_01_STINVTOT t
JOIN LG_001_ITEMS i ON i.LOGICALREF = t.STOCKREF
WHERE i.CODE IN (:codes) AND t.INVENNO >= 0 AND (:warehouse IS NULL OR t.INVENNO = :warehouse)
GROUP BY i.CODE, t.INVENNO
"""
RISK_SQL = """
SELECT COALESCE(SUM(g.DEBIT - g.CREDIT), 0) AS balance,
       (SELECT COALESCE(SUM(o.NETTOTAL), 0) FROM LG_001_01_ORFICHE o
         WHERE o.CLIENTREF = c.LOGICALREF AND o.TRCODE = 1 AND o.STATUS = 4 AND o.CANCELLED = 0) AS open_orders,
       'TRY' AS currency
FROM LG_001_CLCARD c
LEFT JOIN LG_001_01_GNTOTCL g ON g.CARDREF = c.LOGICALREF AND g.TOTTYP = 1
WHERE c.CODE = :customer
GROUP BY c.LOGICALREF
"""

PG_ADMIN = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
MARIADB = {"host": "127.0.0.1", "port": 3306, "user": "root", "password": ""}


def scratch_name(label: str) -> str:
    return f"sqlchecks_{label}_{os.getpid()}"


def drop_pg(name: str) -> None:
    with psycopg.connect(pg_url("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def drop_mariadb(name: str) -> None:
    admin = pymysql.connect(**MARIADB, autocommit=True)
    try:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
    finally:
        admin.close()


def pg_url(name: str) -> str:
    parts = urlsplit(PG_ADMIN)
    return f"postgresql://{parts.netloc}/{name}"


def mariadb_url(name: str, query: str = "") -> str:
    return f"mysql://{MARIADB['user']}@{MARIADB['host']}:{MARIADB['port']}/{name}{query}"


@contextmanager
def pg_database(name: str, *, keep: bool = False):
    """A scratch PostgreSQL database with the Logo-shaped tables; dropped afterwards (unless ``keep``). Yields a
    connection."""
    with psycopg.connect(pg_url("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(pg_url(name), autocommit=True) as conn:
            for statement in DDL:
                conn.execute(statement)
            yield conn
    finally:
        if not keep:
            drop_pg(name)


@contextmanager
def mariadb_database(name: str, *, keep: bool = False):
    """A scratch MariaDB database with the Logo-shaped tables; dropped afterwards (unless ``keep``). Yields a
    connection."""
    admin = pymysql.connect(**MARIADB, autocommit=True, charset="utf8mb4")
    try:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
            cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        conn = pymysql.connect(**MARIADB, database=name, autocommit=True, charset="utf8mb4")
        try:
            with conn.cursor() as cursor:
                for statement in DDL:
                    cursor.execute(statement)
            yield conn
        finally:
            conn.close()
    finally:
        admin.close()
        if not keep:
            drop_mariadb(name)


def insert(conn, table: str, rows: list[tuple]) -> None:
    """Insert ``rows`` into ``table`` on either server (both drivers take ``%s``)."""
    if not rows:
        return
    marks = ", ".join(["%s"] * len(rows[0]))
    sql = f"INSERT INTO {table} VALUES ({marks})"  # noqa: S608 - a fixture's own table name
    cursor = conn.cursor()
    try:
        cursor.executemany(sql, rows)
    finally:
        cursor.close()


def execute(conn, sql: str, args=()) -> list[tuple]:
    cursor = conn.cursor()
    try:
        cursor.execute(sql, args)
        return list(cursor.fetchall()) if cursor.description else []
    finally:
        cursor.close()
