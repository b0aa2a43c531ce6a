"""An ETA-shaped PostgreSQL database as the ERP's end of a connection in tests: ``EtaErpSide`` keys records into
the tables third-party ETA:SQL integrations read (docs/erp-protocols.md §12: ``STKKART``, ``STKFIYAT``, ``CARKART``,
``CARHAR``, ``SIPFIS``/``SIPHAR``, ``IRSFIS``, ``FATFIS``/``FATHAR``, ``HARREFNO``) and plays ETA's transfer
module, which imports the order files the portal leaves (``consume``).

The schema is a reconstruction from third-party code, not ETA's (unpublished) definition: only the columns the
example profile reads or writes, with the types those clients imply (codes as text, amounts as decimals, ``*TAR``
dates). One database per test module (``scratch_database_name``), emptied before each test, dropped after.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

pytest.register_assert_rewrite("erpsync.tests.contract")

from erpsync.adapters.base import (  # noqa: E402
    DocumentKind,
    ErpBalance,
    ErpCustomer,
    ErpDocument,
    ErpLedgerEntry,
    ErpOrderState,
    ErpOrderStatus,
    ErpPrice,
    ErpPriceList,
    ErpProduct,
    ErpStock,
    ErpUnit,
)
from erpsync.adapters.profile import EtaAdapter  # noqa: E402
from erpsync.adapters.profile.etafile import ENCODING  # noqa: E402
from erpsync.tests.contract import SAMPLES, UNAVAILABLE, ErpSide  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[1] / "adapters" / "profile" / "examples"
CUSTOMER = "120.01.001"

DDL = """
CREATE TABLE STKKART (STKKOD VARCHAR(30) PRIMARY KEY, STKCINSI VARCHAR(100), STKCINSI2 VARCHAR(100),
  STKCINSI3 VARCHAR(100), STKBIRIM VARCHAR(10), STKBAKIYE NUMERIC(18, 4), STKBARKOD VARCHAR(30),
  STKGRUPKOD VARCHAR(20), STKKDVORAN NUMERIC(5, 2), STKOZKOD1 VARCHAR(20), STKOZKOD2 VARCHAR(20),
  STKOZKOD3 VARCHAR(20), STKOZKOD4 VARCHAR(20), STKOZKOD5 VARCHAR(20), STKACIK1 VARCHAR(200));
CREATE TABLE STKFIYAT (STKFIYSTKKOD VARCHAR(30) NOT NULL, STKFIYNO INT NOT NULL, STKFIYTUTAR NUMERIC(18, 4),
  STKFIYISKYUZ1 NUMERIC(5, 2), STKFIYDOVKOD VARCHAR(5), STKFIYDOVTUR INT);
CREATE TABLE CARKART (CARKOD VARCHAR(30) PRIMARY KEY, CARUNVAN VARCHAR(200), CARBAKIYE NUMERIC(18, 2),
  CARALACAKTOP NUMERIC(18, 2), CARVERGINO VARCHAR(20), CARVERGIDAIRE VARCHAR(50));
CREATE TABLE CARHAR (CARHARREFNO INT NOT NULL, CARHARSIRANO INT NOT NULL, CARHARTAR DATE, CARHARTIPI INT,
  CARHARCARKOD VARCHAR(30), CARHARTUTAR NUMERIC(18, 2), CARHARKDVTUTAR NUMERIC(18, 2), CARHARDOVKOD VARCHAR(5),
  CARHARDOVTUTAR NUMERIC(18, 2), CARHARISTIPKOD VARCHAR(20), CARHARACIKLAMA1 VARCHAR(100));
CREATE TABLE SIPFIS (SIPFISREFNO INT PRIMARY KEY, SIPFISTAR DATE, SIPFISTIPI INT, SIPFISCARKOD VARCHAR(30),
  SIPFISCARUNVAN VARCHAR(200), SIPFISEVRAKNO1 VARCHAR(30), SIPFISEVRAKNO2 VARCHAR(30), SIPFISEVRAKNO3 VARCHAR(30),
  SIPFISKAYNAK VARCHAR(20), SIPFISREZERVFLAG INT, SIPFISIRSREFNO INT, SIPFISFATREFNO INT, SIPFISANADEPO VARCHAR(10),
  SIPFISGENTOPLAM NUMERIC(18, 2), SIPFISKDVTUTARI NUMERIC(18, 2));
CREATE TABLE SIPHAR (SIPHARREFNO INT NOT NULL, SIPHARSIRANO INT NOT NULL, SIPHARSTKKOD VARCHAR(30) NOT NULL,
  SIPHARSTKCINS VARCHAR(100), SIPHARSTKBRM VARCHAR(10), SIPHARDEPOKOD VARCHAR(10), SIPHARBARKOD VARCHAR(30),
  SIPHARMIKTAR NUMERIC(18, 4) NOT NULL, SIPHARFIYAT NUMERIC(18, 4), SIPHARTUTAR NUMERIC(18, 2),
  SIPHARKDVYUZ NUMERIC(5, 2), SIPHARISKYUZ1 NUMERIC(5, 2), SIPHARKALMIKTAR NUMERIC(18, 4),
  SIPHARTESMIKTAR NUMERIC(18, 4), SIPHARTAKIPNO VARCHAR(30));
CREATE TABLE IRSFIS (IRSFISREFNO INT PRIMARY KEY, IRSFISTAR DATE, IRSFISTIPI INT, IRSFISCARKOD VARCHAR(30),
  IRSFISCARUNVAN VARCHAR(200), IRSFISEVRAKNO1 VARCHAR(30), IRSFISGENTOPLAM NUMERIC(18, 2));
CREATE TABLE FATFIS (FATFISREFNO INT PRIMARY KEY, FATFISTAR DATE, FATFISTIPI INT, FATFISEVRAKNO1 VARCHAR(30),
  FATFISCARUNVAN VARCHAR(200), FATFISGENTOPLAM NUMERIC(18, 2), FATFISANADEPO VARCHAR(10));
CREATE TABLE FATHAR (FATHARREFNO INT NOT NULL, FATHARCARKOD VARCHAR(30), FATHARTAR DATE);
CREATE TABLE HARREFNO (HARREFMODUL INT NOT NULL, HARREFKONU INT NOT NULL, HARREFDEGER INT NOT NULL);
"""
TABLES = ("STKKART", "STKFIYAT", "CARKART", "CARHAR", "SIPFIS", "SIPHAR", "IRSFIS", "FATFIS", "FATHAR", "HARREFNO")

# The order write into SIPFIS/SIPHAR (mode "sql"), numbered from HARREFNO module 17 / konu 1 under the row's lock.
SQL_ORDER_WRITE = {
    "mode": "sql",
    "number": "UPDATE HARREFNO SET HARREFDEGER = HARREFDEGER + 1 WHERE HARREFMODUL = 17 AND HARREFKONU = 1 "
    "RETURNING HARREFDEGER",
    "header": "INSERT INTO SIPFIS (SIPFISREFNO, SIPFISTAR, SIPFISTIPI, SIPFISCARKOD, SIPFISEVRAKNO1, SIPFISKAYNAK, "
    "SIPFISGENTOPLAM, SIPFISKDVTUTARI) VALUES (:number, :ordered_on, 1, :customer, :reference, 'B2B', :gross, :vat)",
    "line": "INSERT INTO SIPHAR (SIPHARREFNO, SIPHARSIRANO, SIPHARSTKKOD, SIPHARSTKBRM, SIPHARMIKTAR, SIPHARFIYAT, "
    "SIPHARTUTAR, SIPHARKDVYUZ, SIPHARISKYUZ1, SIPHARKALMIKTAR) VALUES (:number, :line_no, :product, :unit, "
    ":quantity, :price, :amount, :vat_rate, :discount, :quantity)",
}


def eta_profile(**writes: Any) -> dict[str, Any]:
    """The shipped ETA profile, for this PostgreSQL-shaped database."""
    profile = json.loads((EXAMPLES / "eta.json").read_text(encoding="utf-8"))
    profile["dialect"] = "postgresql"
    profile["writes"].update(writes)
    return profile


class EtaDatabase:
    """The scratch database of one test module."""

    def __init__(self, url: str) -> None:
        self.url = url

    def create(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(DDL)

    def reset(self) -> None:
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f"TRUNCATE {', '.join(TABLES)}")
            conn.execute("INSERT INTO HARREFNO VALUES (17, 1, 500), (3, 1, 9000)")

    def execute(self, sql: str, *rows: Sequence[Any]) -> None:
        with psycopg.connect(self.url) as conn, conn.cursor() as cursor:
            if rows:
                cursor.executemany(sql, rows)
            else:
                cursor.execute(sql)

    def query(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.url) as conn:
            return conn.execute(sql, args).fetchall()

    def allow_connections(self, allow: bool) -> None:
        base, name = self.url.rsplit("/", 1)
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allow).lower()}')
            if not allow:
                conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))


def _none(value: str) -> str | None:
    return value or None  # ETA leaves columns NULL rather than empty


class EtaErpSide(ErpSide):
    """ETA's company database plus its transfer module's folder; ``publish`` keys records in as ETA's users would."""

    failures = frozenset({UNAVAILABLE})

    def __init__(self, db: EtaDatabase, folder: Path, **writes: Any) -> None:
        self.db = db
        self.folder = folder
        self.profile = eta_profile(**writes)
        db.reset()
        db.execute(
            "INSERT INTO CARKART (CARKOD, CARUNVAN, CARVERGINO) VALUES (%s, %s, %s)",
            (CUSTOMER, "Öztürk Gıda Ltd. Şti.", "1234567890"),
        )

    def make_adapter(self) -> EtaAdapter:
        return EtaAdapter(
            settings={"profile": self.profile, "outbound_folder": str(self.folder), "sql_timeout_ms": 5000},
            credentials={"sql_url": self.db.url},
        )

    # --- what ETA holds ---
    def samples(self, entity: str) -> list[Any]:
        stamp = date(2026, 3, 4)
        own = {
            "price_list": [
                ErpPriceList("1", "Fiyat 1"),
                ErpPriceList("2", "Fiyat 2", currency="USD"),
                ErpPriceList("3", "Fiyat 3", currency="EUR"),
            ],
            "price": [
                ErpPrice("1", "ÇAY-001", Decimal("1250.50")),
                ErpPrice("2", "ÇAY-001", Decimal("41.2500"), currency="USD"),
                ErpPrice("3", "İĞNE-7", Decimal("0.0150"), currency="EUR"),
            ],
            "ledger": [
                ErpLedgerEntry(
                    "1001-1", CUSTOMER, stamp, "invoice", Decimal("20258.10"), description="Satış faturası ğüşıöç"
                ),
                ErpLedgerEntry("1002-1", CUSTOMER, stamp, "collection", Decimal("-5000")),
                ErpLedgerEntry("1003-2", CUSTOMER, stamp, "invoice", Decimal("300"), currency="USD"),
            ],
            "order_status": [
                ErpOrderStatus("B2B-2026-000123", ErpOrderState.SHIPPED, "501", "501"),
                ErpOrderStatus("B2B-2026-000124", ErpOrderState.OPEN, "502", "502"),
                ErpOrderStatus("B2B-2026-000125", ErpOrderState.INVOICED, "503", "503"),
            ],
            "delivery": [
                ErpDocument(
                    DocumentKind.DELIVERY,
                    "IRS-2026-1",
                    CUSTOMER,
                    stamp,
                    order_reference="B2B-2026-000123",
                    gross=Decimal("20258.10"),
                ),
                ErpDocument(DocumentKind.DELIVERY, "IRS-2026-2", CUSTOMER, stamp),
            ],
            "invoice": [
                ErpDocument(
                    DocumentKind.INVOICE,
                    "GIB2026000000042",
                    CUSTOMER,
                    stamp,
                    order_reference="B2B-2026-000124",
                    gross=Decimal("20258.10"),
                )
            ],
        }
        return own.get(entity) or list(SAMPLES[entity])

    def publish(self, entity: str, records: Sequence[Any], *, complete: bool = True) -> None:
        getattr(self, f"_publish_{entity}")(records)

    def _item(self, code: str, unit: str = "AD", **columns: Any) -> None:
        names = ["STKKOD", "STKBIRIM", *columns]
        self.db.execute(
            f"INSERT INTO STKKART ({', '.join(names)}) VALUES ({', '.join(['%s'] * len(names))}) "  # noqa: S608
            "ON CONFLICT (STKKOD) DO NOTHING",
            (code, unit, *columns.values()),
        )

    def _publish_unit(self, records) -> None:
        for unit in records:
            self._item(f"U-{unit.code}", unit.code, STKCINSI="Birim örneği")
        self._item("U-NULL", None)  # an item without a unit adds none

    def _publish_product(self, records) -> None:
        for p in records:
            self._item(
                p.code,
                p.unit,
                STKCINSI=p.name,
                STKCINSI2=_none(p.name_en),
                STKKDVORAN=p.vat_rate,
                STKBARKOD=_none(p.barcode),
                STKGRUPKOD=_none(p.category_code),
                STKOZKOD1=_none(p.brand_code),
                STKACIK1=_none(p.description),
                STKOZKOD5=None if p.active else "PASIF",
            )

    def _publish_stock(self, records) -> None:
        for s in records:
            self._item(s.product_code, STKBAKIYE=s.on_hand)
        self._item("STOKSUZ", STKBAKIYE=None)  # never counted: 0

    def _publish_price_list(self, records) -> None:
        for pl in records:
            currency = None if pl.currency == "TRY" else pl.currency
            self.db.execute(
                "INSERT INTO STKFIYAT (STKFIYSTKKOD, STKFIYNO, STKFIYTUTAR, STKFIYDOVKOD) VALUES (%s, %s, 1, %s)",
                ("ÇAY-001", int(pl.code), currency),
            )

    def _publish_price(self, records) -> None:
        self.db.execute(
            "INSERT INTO STKFIYAT (STKFIYSTKKOD, STKFIYNO, STKFIYTUTAR, STKFIYDOVKOD) VALUES (%s, %s, %s, %s)",
            *[(p.product_code, int(p.price_list_code), p.price, p.currency or None) for p in records],
        )

    def _publish_customer(self, records) -> None:
        self.db.execute("DELETE FROM CARKART")
        self.db.execute(
            "INSERT INTO CARKART (CARKOD, CARUNVAN, CARVERGINO, CARVERGIDAIRE) VALUES (%s, %s, %s, %s)",
            *[(c.code, c.title, c.tax_number, _none(c.tax_office)) for c in records],
        )

    def _publish_balance(self, records) -> None:
        self.db.execute("DELETE FROM CARKART")
        self.db.execute(
            "INSERT INTO CARKART (CARKOD, CARUNVAN, CARBAKIYE) VALUES (%s, 'Cari', %s)",
            *[(b.customer_code, b.balance) for b in records],
        )

    def _publish_ledger(self, records) -> None:
        kinds = {"invoice": "FATURA", "collection": "TAHSILAT"}
        rows = []
        for e in records:
            refno, sirano = e.entry_id.split("-")
            rows.append(
                (
                    int(refno),
                    int(sirano),
                    e.posted_on,
                    e.customer_code,
                    e.amount,
                    None if e.currency == "TRY" else e.currency,
                    kinds[e.kind],
                    _none(e.description),
                )
            )
        self.db.execute(
            "INSERT INTO CARHAR (CARHARREFNO, CARHARSIRANO, CARHARTAR, CARHARCARKOD, CARHARTUTAR, CARHARDOVKOD, "
            "CARHARISTIPKOD, CARHARACIKLAMA1) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
            *rows,
        )

    def _order_row(self, refno: int, reference: str, irs: int | None = None, fat: int | None = None) -> None:
        self.db.execute(
            "INSERT INTO SIPFIS (SIPFISREFNO, SIPFISTAR, SIPFISTIPI, SIPFISCARKOD, SIPFISEVRAKNO1, SIPFISIRSREFNO, "
            "SIPFISFATREFNO, SIPFISKAYNAK) VALUES (%s, '2026-03-01', 1, %s, %s, %s, %s, 'ETA')",
            (refno, CUSTOMER, reference, irs, fat),
        )

    def _publish_order_status(self, records) -> None:
        for s in records:
            shipped = 7001 if s.state == ErpOrderState.SHIPPED else None
            invoiced = 8001 if s.state == ErpOrderState.INVOICED else None
            self._order_row(int(s.document_id), s.reference, shipped, invoiced)
        self._order_row(504, "")  # keyed in ETA by hand: no portal number, not read

    def _publish_delivery(self, records) -> None:
        for n, d in enumerate(records, start=1):
            self.db.execute(
                "INSERT INTO IRSFIS (IRSFISREFNO, IRSFISTAR, IRSFISTIPI, IRSFISCARKOD, IRSFISEVRAKNO1, "
                "IRSFISGENTOPLAM) VALUES (%s, %s, 3, %s, %s, %s)",
                (n, d.issued_on, d.customer_code, d.number, d.gross),
            )
            if d.order_reference:
                self._order_row(600 + n, d.order_reference, irs=n)
        self.db.execute("INSERT INTO IRSFIS (IRSFISREFNO, IRSFISTIPI, IRSFISEVRAKNO1) VALUES (99, 1, 'ALIS-1')")

    def _publish_invoice(self, records) -> None:
        for n, d in enumerate(records, start=1):
            self.db.execute(
                "INSERT INTO FATFIS (FATFISREFNO, FATFISTAR, FATFISTIPI, FATFISEVRAKNO1, FATFISGENTOPLAM) "
                "VALUES (%s, %s, 1, %s, %s)",
                (n, d.issued_on, d.number, d.gross),
            )
            self.db.execute(
                "INSERT INTO FATHAR (FATHARREFNO, FATHARCARKOD, FATHARTAR) VALUES (%s, %s, %s)",
                (n, d.customer_code, d.issued_on),
            )
            if d.order_reference:
                self._order_row(700 + n, d.order_reference, fat=n)

    def normalise(self, entity: str, record: Any) -> Any:
        """What ETA's tables (as the example profile reads them) carry of each record."""
        if entity == "unit":
            return ErpUnit(record.code, record.code)
        if entity == "product":
            return ErpProduct(
                record.code,
                record.name,
                record.unit,
                name_en=record.name_en,
                vat_rate=record.vat_rate,
                barcode=record.barcode,
                category_code=record.category_code,
                brand_code=record.brand_code,
                description=record.description,
                active=record.active,
            )
        if entity == "stock":
            return ErpStock(record.product_code, "MERKEZ", record.on_hand)
        if entity == "price_list":
            return ErpPriceList(record.code, record.name, record.currency)
        if entity == "customer":
            return ErpCustomer(record.code, record.title, record.tax_number, tax_office=record.tax_office)
        if entity == "balance":
            return ErpBalance(record.customer_code, record.balance)
        if entity in ("delivery", "invoice"):
            return dataclasses.replace(record, lines=None)
        return record

    # --- ETA's side of the writes ---
    def received(self, kind: str) -> list[str]:
        if kind != "orders":
            return []
        return [
            row[0]
            for row in self.db.query(
                "SELECT SIPFISEVRAKNO1 FROM SIPFIS WHERE SIPFISKAYNAK IN ('TRANSFER', 'B2B') ORDER BY SIPFISREFNO"
            )
        ]

    def consume(self) -> None:
        """ETA's transfer module: each order file becomes SIPFIS/SIPHAR rows numbered from HARREFNO; the file goes."""
        for path in sorted(self.folder.glob("*.txt")):
            rows = [line.split(";") for line in path.read_bytes().decode(ENCODING).splitlines() if line]
            header = rows[0]
            with psycopg.connect(self.db.url) as conn:
                (number,) = conn.execute(
                    "UPDATE HARREFNO SET HARREFDEGER = HARREFDEGER + 1 WHERE HARREFMODUL = 17 "
                    "AND HARREFKONU = 1 RETURNING HARREFDEGER"
                ).fetchone()
                conn.execute(
                    "INSERT INTO SIPFIS (SIPFISREFNO, SIPFISTAR, SIPFISTIPI, SIPFISCARKOD, SIPFISEVRAKNO1, "
                    "SIPFISEVRAKNO2, SIPFISKAYNAK) VALUES (%s, %s, 1, %s, %s, %s, 'TRANSFER')",
                    (number, header[2], header[3], header[1], header[4]),
                )
                for line in rows[1:]:
                    conn.execute(
                        "INSERT INTO SIPHAR (SIPHARREFNO, SIPHARSIRANO, SIPHARSTKKOD, SIPHARSTKBRM, SIPHARMIKTAR, "
                        "SIPHARFIYAT, SIPHARKDVYUZ, SIPHARSTKCINS) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                        (
                            number,
                            int(line[1]),
                            line[2],
                            line[3],
                            Decimal(line[4].replace(",", ".")),
                            Decimal(line[5].replace(",", ".")),
                            Decimal(line[6].replace(",", ".")),
                            line[8],
                        ),
                    )
            path.unlink()

    def simulate(self, failure: str) -> None:
        if failure != UNAVAILABLE:
            raise NotImplementedError(failure)
        self.db.allow_connections(False)


__all__ = ["SQL_ORDER_WRITE", "EtaDatabase", "EtaErpSide", "eta_profile"]
