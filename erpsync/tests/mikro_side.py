"""A Mikro-shaped PostgreSQL database as the ERP's end of a connection in tests.

SQL Server cannot run here, so the tests build Mikro's tables in a scratch PostgreSQL database: schema ``dbo``, the
tables and columns named as Mikro names them, every table with Mikro's common header (``<p>_Guid`` keys in v16,
``<p>_RECno`` identity keys in v15, ``<p>_iptal``, ``<p>_lastup_date``…), and the helper functions the adapter calls
written in PL/pgSQL with Mikro's signatures and meaning:

- ``dbo.fn_VergiYuzde(pointer)``: the VAT rate a pointer stands for at this installation (one site: 0/1 exempt,
  2 = 1 %, 5 = 20 %, 7 = 10 %; it differs between sites, which is why the adapter never hard-codes it);
- ``dbo.fn_DepodakiMiktar(code, warehouse, 0)``: movements of the warehouse summed, +quantity when ``sth_tip`` 0 (in)
  or 2 (transfer) into it, −quantity when 1 (out) or 2 out of it;
- ``dbo.fn_CariHesapAnaDovizBakiye('', 0, code, '', '', NULL, NULL, NULL, 0, NULL, NULL, NULL, NULL)``: the
  customer's balance in the local currency, debits (``cha_tip`` 0) less credits (1).

Sources: a live v16 schema dump and a real SIPARISLER insert (Rynawkin/bakircilar-b2b ``mikro-tables-full.txt`` and
``backend/src/services/mikro.service.ts``), EF Core models of ``CARI_HESAPLAR``, ``SIPARISLER``,
``EVRAK_ACIKLAMALARI`` and the price list index in public code, and public queries that call the three functions
(see ../shared notes, §5, and docs/mikro.md). Data is awkward on purpose: nulls where Mikro allows them, USD and EUR,
passive and non-sales items, Turkish letters.

The database is created once per test session and version (``mikro_database``), emptied and seeded again for
each test (``MikroErpSide``), and dropped at the end.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest

pytest.register_assert_rewrite("erpsync.tests.contract")

from erpsync.adapters.base import (  # noqa: E402
    ErpAddress,
    ErpCustomer,
    ErpLedgerEntry,
    ErpPrice,
    ErpPriceList,
    ErpUnit,
)
from erpsync.adapters.mikro import MikroAdapter  # noqa: E402
from erpsync.tests.contract import TIMEOUT_AFTER_APPLY, UNAVAILABLE, ErpSide, canonical, sample_order  # noqa: E402

CUSTOMER = "120.01.001"
WAREHOUSES = {"IST": 1, "ANK": 2}
# This installation's VAT pointers (fn_VergiYuzde): not the same at every site.
VAT_POINTERS = {0: 0, 1: 0, 2: 1, 5: 20, 7: 10}
CURRENCIES = {"TRY": 0, "USD": 1, "EUR": 2}


def header(prefix: str, version: str) -> list[str]:
    key = (
        f"{prefix}_Guid uuid PRIMARY KEY DEFAULT gen_random_uuid()"
        if version == "v16"
        else f"{prefix}_RECno serial PRIMARY KEY"
    )
    return [
        key,
        f"{prefix}_DBCno smallint DEFAULT 0",
        f"{prefix}_SpecRECno integer DEFAULT 0",
        f"{prefix}_iptal smallint NOT NULL DEFAULT 0",
        f"{prefix}_fileid smallint DEFAULT 0",
        f"{prefix}_hidden smallint DEFAULT 0",
        f"{prefix}_kilitli smallint DEFAULT 0",
        f"{prefix}_degisti smallint DEFAULT 0",
        f"{prefix}_checksum integer DEFAULT 0",
        f"{prefix}_create_user smallint DEFAULT 1",
        f"{prefix}_create_date timestamp DEFAULT LOCALTIMESTAMP",
        f"{prefix}_lastup_user smallint DEFAULT 1",
        f"{prefix}_lastup_date timestamp DEFAULT LOCALTIMESTAMP",
        f"{prefix}_special1 varchar(4) DEFAULT ''",
        f"{prefix}_special2 varchar(4) DEFAULT ''",
        f"{prefix}_special3 varchar(4) DEFAULT ''",
        f"{prefix}_firmano integer DEFAULT 0",
        f"{prefix}_subeno integer DEFAULT 0",
    ]


TABLES: dict[str, tuple[str, list[str]]] = {
    "STOKLAR": (
        "sto",
        [
            "sto_kod varchar(25) NOT NULL UNIQUE",
            "sto_isim varchar(127)",
            "sto_kisa_ismi varchar(25)",
            "sto_yabanci_isim varchar(127)",
            "sto_cins smallint DEFAULT 0",
            "sto_birim1_ad varchar(10)",
            "sto_birim1_katsayi double precision DEFAULT 1",
            "sto_birim2_ad varchar(10)",
            "sto_birim2_katsayi double precision DEFAULT 0",
            "sto_birim3_ad varchar(10)",
            "sto_birim3_katsayi double precision DEFAULT 0",
            "sto_toptan_vergi smallint DEFAULT 0",
            "sto_perakende_vergi smallint DEFAULT 0",
            "sto_kategori_kodu varchar(25)",
            "sto_anagrup_kod varchar(25)",
            "sto_marka_kodu varchar(25)",
            "sto_pasif_fl smallint DEFAULT 0",
            "sto_satis_dursun smallint DEFAULT 0",
            "sto_standartmaliyet double precision DEFAULT 0",
        ],
    ),
    "BARKOD_TANIMLARI": (
        "bar",
        ["bar_kodu varchar(50) NOT NULL", "bar_stokkodu varchar(25) NOT NULL", "bar_birimpntr smallint DEFAULT 1"],
    ),
    "DEPOLAR": ("dep", ["dep_no integer NOT NULL UNIQUE", "dep_adi varchar(50)"]),
    "STOK_HAREKETLERI": (
        "sth",
        [
            "sth_tarih timestamp",
            "sth_tip smallint",
            "sth_cins smallint DEFAULT 0",
            "sth_normal_iade smallint DEFAULT 0",
            "sth_evraktip smallint DEFAULT 0",
            "sth_evrakno_seri varchar(20) DEFAULT ''",
            "sth_evrakno_sira integer DEFAULT 0",
            "sth_stok_kod varchar(25)",
            "sth_cari_kodu varchar(25)",
            "sth_miktar double precision",
            "sth_giris_depo_no integer",
            "sth_cikis_depo_no integer",
            "sth_sip_uid uuid",
            "sth_fat_uid uuid",
        ],
    ),
    "STOK_SATIS_FIYAT_LISTE_TANIMLARI": (
        "sfl",
        ["sfl_sirano integer NOT NULL UNIQUE", "sfl_aciklama varchar(50)", "sfl_kdvdahil smallint DEFAULT 0"],
    ),
    "STOK_SATIS_FIYAT_LISTELERI": (
        "sfiyat",
        [
            "sfiyat_stokkod varchar(25) NOT NULL",
            "sfiyat_listesirano integer NOT NULL",
            "sfiyat_deposirano integer NOT NULL DEFAULT 0",
            "sfiyat_odemeplan integer NOT NULL DEFAULT 0",
            "sfiyat_birim_pntr smallint NOT NULL DEFAULT 1",
            "sfiyat_fiyati double precision",
            "sfiyat_doviz smallint DEFAULT 0",
            "sfiyat_iskontokod varchar(4) DEFAULT ''",
            "UNIQUE (sfiyat_stokkod, sfiyat_listesirano, sfiyat_deposirano, sfiyat_birim_pntr, sfiyat_odemeplan)",
        ],
    ),
    "CARI_HESAPLAR": (
        "cari",
        [
            "cari_kod varchar(25) NOT NULL UNIQUE",
            "cari_unvan1 varchar(127)",
            "cari_unvan2 varchar(127)",
            "cari_vdaire_adi varchar(50)",
            "cari_vdaire_no varchar(15)",
            "cari_VergiKimlikNo varchar(15)",
            "cari_EMail varchar(127)",
            "cari_CepTel varchar(20)",
            "cari_grup_kodu varchar(25)",
            "cari_sektor_kodu varchar(25)",
            "cari_odemeplan_no integer DEFAULT 0",
            "cari_doviz_cinsi smallint DEFAULT 0",
            "cari_efatura_fl smallint DEFAULT 0",
            "cari_cari_kilitli_flg smallint DEFAULT 0",
            "cari_KrediRiskTakibiVar_flg smallint DEFAULT 0",
            "cari_satis_fk integer DEFAULT 0",
            "cari_VarsayilanCikisDepo integer DEFAULT 0",
            "cari_fatura_adres_no integer DEFAULT 1",
            # Not Mikro's: the column this test installation keeps its credit limits in (credit_limit_column).
            "cari_kredi_limiti double precision",
        ],
    ),
    "CARI_HESAP_ADRESLERI": (
        "adr",
        [
            "adr_cari_kod varchar(25) NOT NULL",
            "adr_adres_no integer NOT NULL",
            "adr_cadde varchar(50)",
            "adr_mahalle varchar(50)",
            "adr_sokak varchar(50)",
            "adr_posta_kodu varchar(8)",
            "adr_ilce varchar(50)",
            "adr_il varchar(50)",
            "adr_ulke varchar(50)",
            "adr_tel_no1 varchar(10)",
        ],
    ),
    "CARI_HESAP_HAREKETLERI": (
        "cha",
        [
            "cha_evrak_tip smallint",
            "cha_evrakno_seri varchar(20) DEFAULT ''",
            "cha_evrakno_sira integer DEFAULT 0",
            "cha_satir_no integer DEFAULT 0",
            "cha_tarihi timestamp",
            "cha_belge_no varchar(50) DEFAULT ''",
            "cha_belge_tarih timestamp",
            "cha_kod varchar(25)",
            "cha_cari_cins smallint DEFAULT 0",
            "cha_tip smallint",
            "cha_cinsi smallint DEFAULT 0",
            "cha_normal_Iade smallint DEFAULT 0",
            "cha_meblag double precision",
            "cha_aratoplam double precision",
            "cha_aciklama varchar(40)",
            "cha_d_cins smallint DEFAULT 0",
            "cha_d_kur double precision DEFAULT 1",
        ],
    ),
    "SIPARISLER": (
        "sip",
        [
            "sip_tarih timestamp",
            "sip_teslim_tarih timestamp",
            "sip_tip smallint",
            "sip_cins smallint",
            "sip_evrakno_seri varchar(20)",
            "sip_evrakno_sira integer",
            "sip_satirno integer",
            "sip_belgeno varchar(25)",
            "sip_belge_tarih timestamp",
            "sip_satici_kod varchar(25)",
            "sip_musteri_kod varchar(25)",
            "sip_stok_kod varchar(25)",
            "sip_b_fiyat double precision",
            "sip_miktar double precision",
            "sip_birim_pntr smallint",
            "sip_teslim_miktar double precision DEFAULT 0",
            "sip_tutar double precision",
            *[f"sip_iskonto_{n} double precision DEFAULT 0" for n in range(1, 7)],
            *[f"sip_masraf_{n} double precision DEFAULT 0" for n in range(1, 5)],
            "sip_vergi_pntr smallint",
            "sip_vergi double precision",
            "sip_aciklama varchar(50)",
            "sip_depono integer",
            "sip_doviz_cinsi smallint DEFAULT 0",
            "sip_doviz_kuru double precision DEFAULT 1",
            "sip_fiyat_liste_no integer DEFAULT 0",
            "sip_kapat_fl smallint NOT NULL DEFAULT 0",
            "sip_rezervasyon_miktari double precision DEFAULT 0",
            "sip_harekettipi smallint DEFAULT 0",
            "sip_stok_sormerk varchar(25) DEFAULT ''",
            "sip_cari_sormerk varchar(25) DEFAULT ''",
            "sip_projekodu varchar(25) DEFAULT ''",
            # Mikro's own key of an order line: series, number, line.
            "UNIQUE (sip_tip, sip_cins, sip_evrakno_seri, sip_evrakno_sira, sip_satirno)",
        ],
    ),
    "EVRAK_ACIKLAMALARI": (
        "egk",
        [
            "egk_dosyano smallint",
            "egk_hareket_tip smallint",
            "egk_evr_tip smallint",
            "egk_evr_seri varchar(20)",
            "egk_evr_sira integer",
            "egk_evr_ustkod varchar(25)",
            "egk_evr_doksayisi smallint",
            *[f"egk_evracik{n} varchar(127)" for n in range(1, 11)],
        ],
    ),
}
INDEXES = (
    "CREATE INDEX ON dbo.STOK_HAREKETLERI (sth_stok_kod, sth_giris_depo_no)",
    "CREATE INDEX ON dbo.STOK_HAREKETLERI (sth_stok_kod, sth_cikis_depo_no)",
    "CREATE INDEX ON dbo.STOKLAR (sto_lastup_date, sto_kod)",
    "CREATE INDEX ON dbo.SIPARISLER (sip_stok_kod)",
    "CREATE INDEX ON dbo.SIPARISLER (sip_belgeno)",
    "CREATE INDEX ON dbo.BARKOD_TANIMLARI (bar_stokkodu)",
    "CREATE INDEX ON dbo.CARI_HESAP_HAREKETLERI (cha_kod)",
    "CREATE INDEX ON dbo.CARI_HESAP_ADRESLERI (adr_cari_kod)",
)


def functions(vat_pointers: dict[int, int]) -> list[str]:
    cases = " ".join(f"WHEN {pointer} THEN {rate}" for pointer, rate in vat_pointers.items())
    return [
        f"""CREATE FUNCTION dbo.fn_VergiYuzde(p_vergi_pntr integer) RETURNS double precision AS $$
        BEGIN RETURN CASE p_vergi_pntr {cases} ELSE 0 END; END $$ LANGUAGE plpgsql IMMUTABLE""",
        """CREATE FUNCTION dbo.fn_DepodakiMiktar(p_stok_kod varchar, p_depo_no integer, p_tarih integer)
        RETURNS double precision AS $$
        DECLARE total double precision;
        BEGIN
          SELECT COALESCE(SUM(CASE WHEN h.sth_tip = 0 THEN h.sth_miktar
                                   WHEN h.sth_tip = 1 THEN -h.sth_miktar
                                   WHEN h.sth_tip = 2 AND h.sth_giris_depo_no = p_depo_no THEN h.sth_miktar
                                   ELSE -h.sth_miktar END), 0)
            INTO total FROM dbo.STOK_HAREKETLERI h
           WHERE h.sth_stok_kod = p_stok_kod AND h.sth_iptal = 0
             AND (h.sth_giris_depo_no = p_depo_no OR h.sth_cikis_depo_no = p_depo_no);
          RETURN total;
        END $$ LANGUAGE plpgsql STABLE""",
        """CREATE FUNCTION dbo.fn_CariHesapAnaDovizBakiye(p_firmalar varchar, p_cari_cins integer, p_cari_kod varchar,
            p_grupno varchar, p_srmmerkezi varchar, p_doviz integer, p_ilk_tarih timestamp, p_son_tarih timestamp,
            p_odeme_emri integer, p_musteri_teminat integer, p_firma_teminat integer, p_depozito_cek integer,
            p_depozito_senet integer) RETURNS double precision AS $$
        DECLARE total double precision;
        BEGIN
          SELECT COALESCE(SUM(CASE WHEN h.cha_tip = 0 THEN h.cha_meblag ELSE -h.cha_meblag END), 0) INTO total
            FROM dbo.CARI_HESAP_HAREKETLERI h
           WHERE h.cha_kod = p_cari_kod AND h.cha_cari_cins = COALESCE(p_cari_cins, 0) AND h.cha_iptal = 0
             AND (p_ilk_tarih IS NULL OR h.cha_tarihi >= p_ilk_tarih)
             AND (p_son_tarih IS NULL OR h.cha_tarihi <= p_son_tarih);
          RETURN total;
        END $$ LANGUAGE plpgsql STABLE""",
    ]


def server_url() -> str:
    """The local PostgreSQL server the tests' DATABASE_URL points at (without its database)."""
    parts = urlsplit(os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/b2bportal"))
    return f"host={parts.hostname or '127.0.0.1'} port={parts.port or 5432} user={parts.username or 'postgres'}"


class MikroDatabase:
    """A scratch database shaped like a Mikro company database (one version)."""

    def __init__(self, version: str = "v16", *, name: str | None = None, vat_pointers: dict[int, int] | None = None):
        self.version = version
        self.name = name or f"b2bportal_mikro_erp_{version}_{os.getpid()}"
        self.server = server_url()
        parts = dict(item.split("=", 1) for item in self.server.split())
        self.user = parts["user"]
        self.url = f"postgresql://{parts['host']}:{parts['port']}/{self.name}"
        with self._maintenance() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            admin.execute(f"CREATE DATABASE \"{self.name}\" ENCODING 'UTF8' TEMPLATE template0")
            admin.execute(f"ALTER DATABASE \"{self.name}\" SET timezone TO 'Europe/Istanbul'")
        self.db = self.connect()
        self.db.execute("CREATE SCHEMA dbo")
        for table, (prefix, columns) in TABLES.items():
            self.db.execute(f"CREATE TABLE dbo.{table} ({', '.join(header(prefix, version) + columns)})")
        for statement in (*INDEXES, *functions(vat_pointers or VAT_POINTERS)):
            self.db.execute(statement)

    def _maintenance(self) -> psycopg.Connection:
        return psycopg.connect(f"{self.server} dbname=postgres", autocommit=True)

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(f"{self.server} dbname={self.name}", autocommit=True)

    def reset(self) -> None:
        if self.db.closed or self.db.broken:
            self.db = self.connect()
        with self.db.transaction():
            for table in TABLES:
                self.db.execute(f"DELETE FROM dbo.{table}")

    def available(self, on: bool) -> None:
        """Let connections in, or throw every one out and refuse new ones (the server 'goes away')."""
        if not on:
            self.db.close()
        with self._maintenance() as admin:
            admin.execute(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS {"true" if on else "false"}')
            if not on:
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> "
                    "pg_backend_pid()",
                    (self.name,),
                )
        if on and (self.db.closed or self.db.broken):
            self.db = self.connect()

    def drop(self) -> None:
        self.db.close()
        with self._maintenance() as admin:
            admin.execute(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true')
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    # -- rows as Mikro's users key them ----------------------------------------------------------------------------

    def insert(self, table: str, **columns: Any) -> None:
        names = ", ".join(columns)
        self.db.execute(
            f"INSERT INTO dbo.{table} ({names}) VALUES ({', '.join(['%s'] * len(columns))})", tuple(columns.values())
        )

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cursor = self.db.execute(sql, tuple(params))
        columns = [column.name for column in cursor.description]
        return [dict(zip(columns, values, strict=True)) for values in cursor.fetchall()]

    def add_item(self, code: str, name: str, unit: str = "ADET", **columns: Any) -> None:
        self.db.execute("DELETE FROM dbo.STOKLAR WHERE sto_kod = %s", (code,))
        self.db.execute("DELETE FROM dbo.BARKOD_TANIMLARI WHERE bar_stokkodu = %s", (code,))
        self.insert("STOKLAR", sto_kod=code, sto_isim=name, sto_birim1_ad=unit, **columns)

    def add_barcode(self, code: str, barcode: str, pointer: int = 1) -> None:
        self.insert("BARKOD_TANIMLARI", bar_kodu=barcode, bar_stokkodu=code, bar_birimpntr=pointer)

    def add_customer(self, code: str, title: str, **columns: Any) -> None:
        self.db.execute("DELETE FROM dbo.CARI_HESAPLAR WHERE cari_kod = %s", (code,))
        self.db.execute("DELETE FROM dbo.CARI_HESAP_ADRESLERI WHERE adr_cari_kod = %s", (code,))
        self.insert("CARI_HESAPLAR", cari_kod=code, cari_unvan1=title, **columns)

    def add_warehouse(self, number: int, name: str) -> None:
        self.db.execute("DELETE FROM dbo.DEPOLAR WHERE dep_no = %s", (number,))
        self.insert("DEPOLAR", dep_no=number, dep_adi=name)

    def move(self, code: str, kind: int, quantity: float, warehouse: int, to: int | None = None, **columns) -> None:
        """A stock movement: 0 in, 1 out (both warehouse columns the same warehouse), 2 transfer to ``to``."""
        self.insert(
            "STOK_HAREKETLERI",
            sth_tarih=datetime(2026, 3, 1),
            sth_tip=kind,
            sth_stok_kod=code,
            sth_miktar=quantity,
            sth_giris_depo_no=to if kind == 2 else warehouse,
            sth_cikis_depo_no=warehouse,
            **columns,
        )

    def ledger(self, code: str, tip: int, amount: float, *, evrak_tip: int = 0, **columns: Any) -> None:
        columns.setdefault("cha_tarihi", datetime(2026, 3, 4))
        self.insert(
            "CARI_HESAP_HAREKETLERI",
            cha_kod=code,
            cha_tip=tip,
            cha_evrak_tip=evrak_tip,
            cha_meblag=amount,
            cha_aratoplam=amount,
            **columns,
        )

    def key_in_order(
        self,
        reference: str,
        lines: Sequence[tuple[str, float]],
        *,
        customer: str = CUSTOMER,
        series: str = "SIP",
        warehouse: int = 1,
        column: str = "sip_belgeno",
    ) -> int:
        """An order keyed in by Mikro's users: the series' next number, one row per (item, quantity) line."""
        number = self.rows(
            "SELECT COALESCE(MAX(sip_evrakno_sira), 0) + 1 AS n FROM dbo.SIPARISLER WHERE sip_evrakno_seri = %s",
            (series,),
        )[0]["n"]
        for index, (code, quantity) in enumerate(lines):
            row: dict[str, Any] = {
                "sip_tarih": datetime(2026, 3, 1),
                "sip_teslim_tarih": datetime(2026, 3, 5),
                "sip_tip": 0,
                "sip_cins": 0,
                "sip_evrakno_seri": series,
                "sip_evrakno_sira": number,
                "sip_satirno": index,
                "sip_belgeno": "",
                "sip_musteri_kod": customer,
                "sip_stok_kod": code,
                "sip_b_fiyat": 100.0,
                "sip_miktar": quantity,
                "sip_birim_pntr": 1,
                "sip_tutar": 100.0 * quantity,
                "sip_vergi_pntr": 5,
                "sip_vergi": 20.0 * quantity,
                "sip_depono": warehouse,
            }
            row[column] = reference
            self.insert("SIPARISLER", **row)
        return number

    def deliver(self, series: str, number: int, quantities: dict[int, float] | None = None) -> None:
        """Mikro's users dispatch the order: delivered quantities per line (every line in full when None)."""
        for line in self.rows(
            "SELECT sip_satirno, sip_miktar FROM dbo.SIPARISLER WHERE sip_evrakno_seri = %s AND sip_evrakno_sira = %s",
            (series, number),
        ):
            quantity = line["sip_miktar"] if quantities is None else quantities.get(line["sip_satirno"], 0)
            self.db.execute(
                "UPDATE dbo.SIPARISLER SET sip_teslim_miktar = %s, sip_lastup_date = LOCALTIMESTAMP "
                "WHERE sip_evrakno_seri = %s AND sip_evrakno_sira = %s AND sip_satirno = %s",
                (quantity, series, number, line["sip_satirno"]),
            )

    def order_references(self, where: str = "1 = 1") -> list[str]:
        rows = self.rows(
            "SELECT MAX(sip_belgeno) AS ref, MAX(sip_aciklama) AS note FROM dbo.SIPARISLER WHERE sip_tip = 0 "
            f"GROUP BY sip_evrakno_seri, sip_evrakno_sira HAVING {where}"
        )
        return sorted(row["ref"] or row["note"] for row in rows if row["ref"] or row["note"])


# One database per version for the whole session, whichever test modules import the fixture.
MADE: dict[str, MikroDatabase] = {}


@pytest.fixture(scope="session")
def mikro_databases():
    """Mikro-shaped databases by version, made when first asked for and dropped when the session ends."""
    yield MADE
    while MADE:
        MADE.popitem()[1].drop()


def database_for(made: dict[str, MikroDatabase], version: str) -> MikroDatabase:
    if version not in made:
        made[version] = MikroDatabase(version)
    database = made[version]
    database.reset()
    return database


class LosingConnection:
    """A DB-API connection whose answer to one commit is lost: the commit is applied, then the connection drops."""

    def __init__(self, connection: Any, side: MikroErpSide):
        self._connection, self._side = connection, side

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)

    def commit(self) -> None:
        self._connection.commit()
        if self._side.lose_commits:
            self._side.lose_commits -= 1
            self._connection.close()
            raise psycopg.OperationalError("server closed the connection unexpectedly (after COMMIT)")


def mikro_adapter(database: MikroDatabase, **settings: Any) -> MikroAdapter:
    return MikroAdapter(
        settings={
            "database_url": database.url,
            "version": database.version,
            "order_series": "B2B",
            "timeout_seconds": 5,
            "lock_timeout_seconds": 5,
            "lookback_days": 3650,
            "page_size": 3,  # small pages: every read goes over several
            **settings,
        },
        credentials={"username": database.user, "password": ""},
    )


class MikroErpSide(ErpSide):
    """A company with the contract's customer, its tea (in ADET, KOLI and KG) and a warehouse; ``publish`` keys records
    in as Mikro's users would."""

    failures = frozenset({UNAVAILABLE, TIMEOUT_AFTER_APPLY})

    def __init__(self, database: MikroDatabase, **settings: Any) -> None:
        self.database = database
        self.settings = settings
        self.lose_commits = 0
        self.column = settings.get("reference_column", "sip_belgeno")
        db = self.database
        db.add_warehouse(1, "Merkez Depo")
        db.add_customer(CUSTOMER, "Öztürk Gıda Ltd. Şti.", cari_vdaire_no="1234567890", cari_unvan2=None)
        db.add_item(
            "ÇAY-001",
            "Rize Turist Çayı",
            "ADET",
            sto_birim2_ad="KOLI",
            sto_birim2_katsayi=-12,
            sto_birim3_ad="KG",
            sto_birim3_katsayi=1,
            sto_toptan_vergi=5,
        )

    def close(self) -> None:
        self.database.available(True)

    def expected_complete(self, entity: str) -> bool:
        return entity != "ledger"

    def make_adapter(self) -> MikroAdapter:
        adapter = mikro_adapter(
            self.database,
            unsellable_warehouses=["2"],
            credit_limit_column="cari_kredi_limiti",
            write_collections=True,
            **self.settings,
        )
        adapter.wrap_connection = lambda connection: LosingConnection(connection, self)
        return adapter

    # -- publishing -------------------------------------------------------------------------------------------------

    def publish(self, entity: str, records: Sequence[Any], *, complete: bool = True) -> None:
        getattr(self, f"_publish_{entity}")(records)

    def _ensure_item(self, code: str, unit: str = "ADET") -> None:
        if not self.database.rows("SELECT 1 FROM dbo.STOKLAR WHERE sto_kod = %s", (code,)):
            self.database.add_item(code, code, unit)

    def _ensure_customer(self, code: str) -> None:
        if not self.database.rows("SELECT 1 FROM dbo.CARI_HESAPLAR WHERE cari_kod = %s", (code,)):
            self.database.add_customer(code, code)

    def _publish_unit(self, records) -> None:
        for unit in records:
            self.database.add_item(f"U-{unit.code}", unit.name, unit.code)

    def _publish_category(self, records) -> None:
        for number, category in enumerate(records):
            self.database.add_item(f"G-{number}", category.name, sto_kategori_kodu=category.code)

    def _publish_brand(self, records) -> None:
        for number, brand in enumerate(records):
            self.database.add_item(f"M-{number}", brand.name, sto_marka_kodu=brand.code)

    def _publish_product(self, records) -> None:
        pointers = {Decimal(rate): pointer for pointer, rate in reversed(VAT_POINTERS.items())}
        db = self.database
        for product in records:
            columns: dict[str, Any] = {
                "sto_yabanci_isim": product.name_en or None,
                "sto_kategori_kodu": product.category_code or None,
                "sto_marka_kodu": product.brand_code or None,
                "sto_pasif_fl": 0 if product.active else 1,
                "sto_toptan_vergi": pointers[product.vat_rate or Decimal(0)],
                "sto_perakende_vergi": 7,
            }
            for pointer, unit in enumerate(product.units[:2], start=2):
                columns[f"sto_birim{pointer}_ad"] = unit.unit
                columns[f"sto_birim{pointer}_katsayi"] = -float(unit.factor)
            db.add_item(product.code, product.name, product.unit, **columns)
            if product.barcode:
                db.add_barcode(product.code, product.barcode)
            for pointer, unit in enumerate(product.units[:2], start=2):
                if unit.barcode:
                    db.add_barcode(product.code, unit.barcode, pointer)

    def _publish_warehouse(self, records) -> None:
        for warehouse in records:
            self.database.add_warehouse(WAREHOUSES[warehouse.code], warehouse.name)

    def _publish_stock(self, records) -> None:
        for stock in records:
            self._ensure_item(stock.product_code)
            warehouse = WAREHOUSES[stock.warehouse_code]
            if warehouse not in (1,):
                self.database.add_warehouse(warehouse, stock.warehouse_code)
            on_hand = float(stock.on_hand)
            self.database.move(stock.product_code, 0 if on_hand >= 0 else 1, abs(on_hand), warehouse)
            if stock.committed:
                self.database.key_in_order("", [(stock.product_code, float(stock.committed))], warehouse=warehouse)

    def _publish_price_list(self, records) -> None:
        for price_list in records:
            number = int(price_list.code.split("-")[0])
            name = price_list.name.removesuffix(f" ({price_list.currency})")
            self.database.insert(
                "STOK_SATIS_FIYAT_LISTE_TANIMLARI",
                sfl_sirano=number,
                sfl_aciklama=name,
                sfl_kdvdahil=int(price_list.vat_included),
            )
            if price_list.currency != "TRY":
                self.database.insert(
                    "STOK_SATIS_FIYAT_LISTELERI",
                    sfiyat_stokkod="ÇAY-001",
                    sfiyat_listesirano=number,
                    sfiyat_fiyati=1.5,
                    sfiyat_doviz=CURRENCIES[price_list.currency],
                )

    def _publish_price(self, records) -> None:
        for price in records:
            self._ensure_item(price.product_code)
            number, _, code = price.price_list_code.partition("-")
            pointer = {"": 1, "KOLI": 2, "KG": 3}[price.unit]
            self.database.insert(
                "STOK_SATIS_FIYAT_LISTELERI",
                sfiyat_stokkod=price.product_code,
                sfiyat_listesirano=int(number),
                sfiyat_birim_pntr=pointer,
                sfiyat_fiyati=float(price.price),
                sfiyat_doviz=CURRENCIES[code or "TRY"],
            )
        # Prices for another warehouse and another payment plan: neither is read.
        self.database.insert(
            "STOK_SATIS_FIYAT_LISTELERI",
            sfiyat_stokkod="ÇAY-001",
            sfiyat_listesirano=1,
            sfiyat_deposirano=3,
            sfiyat_fiyati=9.0,
        )
        self.database.insert(
            "STOK_SATIS_FIYAT_LISTELERI",
            sfiyat_stokkod="ÇAY-001",
            sfiyat_listesirano=1,
            sfiyat_odemeplan=30,
            sfiyat_fiyati=8.0,
        )

    def _publish_customer(self, records) -> None:
        for customer in records:
            billing = next((a for a in customer.addresses if a.kind == "billing"), None)
            self.database.add_customer(
                customer.code,
                customer.title,
                cari_unvan2=None,
                cari_vdaire_no=customer.tax_number,
                cari_vdaire_adi=customer.tax_office or None,
                cari_EMail=customer.email or None,
                cari_CepTel=customer.phone or None,
                cari_doviz_cinsi=CURRENCIES[customer.currency],
                cari_satis_fk=int(customer.price_list_code.split("-")[0] or 0),
                cari_fatura_adres_no=int(billing.code) if billing else 1,
                cari_iptal=0 if customer.active else 1,
            )
            for address in customer.addresses:
                self.database.insert(
                    "CARI_HESAP_ADRESLERI",
                    adr_cari_kod=customer.code,
                    adr_adres_no=int(address.code),
                    adr_cadde=address.line1,
                    adr_mahalle=None,
                    adr_sokak=address.line2 or None,
                    adr_il=address.city,
                    adr_ilce=address.district or None,
                    adr_posta_kodu=address.postal_code or None,
                    adr_tel_no1=address.phone or None,
                )

    def _publish_balance(self, records) -> None:
        for balance in records:
            self._ensure_customer(balance.customer_code)
            self.database.ledger(balance.customer_code, 0 if balance.balance >= 0 else 1, float(abs(balance.balance)))
        self.database.ledger(CUSTOMER, 0, 999.0, cha_iptal=1)  # a cancelled row: not in the balance

    def _publish_credit(self, records) -> None:
        for credit in records:
            self._ensure_customer(credit.customer_code)
            self.database.db.execute(
                "UPDATE dbo.CARI_HESAPLAR SET cari_kredi_limiti = %s, cari_cari_kilitli_flg = %s WHERE cari_kod = %s",
                (float(credit.credit_limit) or None, int(credit.hold), credit.customer_code),
            )

    def _publish_order_status(self, records) -> None:
        for status in records:
            number = self.database.key_in_order(status.reference, [("ÇAY-001", 2), ("ÇAY-001", 3)], column=self.column)
            if status.state == "partially_shipped":
                self.database.deliver("SIP", number, {0: 2})
            elif status.state == "cancelled":
                self.database.db.execute(
                    "UPDATE dbo.SIPARISLER SET sip_iptal = 1 WHERE sip_evrakno_sira = %s", (number,)
                )

    def _publish_ledger(self, records) -> None:
        for entry in records:
            self._ensure_customer(entry.customer_code)
            tip = 0 if entry.amount >= 0 else 1
            self.database.ledger(
                entry.customer_code,
                tip,
                float(abs(entry.amount)),
                evrak_tip={"invoice": 63, "credit_memo": 0, "collection": 1}[entry.kind],
                cha_normal_Iade=int(entry.kind == "credit_memo"),
                cha_belge_no=entry.document_number,
                cha_aciklama=entry.description or None,
                cha_tarihi=datetime.combine(entry.posted_on, datetime.min.time()),
            )
        # A supplier's row (cha_cari_cins 1) and a cancelled one: neither is read.
        self.database.ledger(CUSTOMER, 0, 1.0, cha_cari_cins=1)
        self.database.ledger(CUSTOMER, 0, 2.0, cha_iptal=1)

    # -- what the contract expects of Mikro -------------------------------------------------------------------------

    def samples(self, entity: str) -> list[Any]:
        title = "Öztürk Gıda Ltd. Şti."
        own = {
            "unit": [ErpUnit("ADET", "ADET"), ErpUnit("KG", "KG", decimals=3), ErpUnit("KOLI", "KOLI")],
            "price_list": [
                ErpPriceList("1", "Bayi Fiyatı", vat_included=True),
                ErpPriceList("2-USD", "İhracat listesi (USD)", currency="USD"),
            ],
            "price": [
                ErpPrice("1", "ÇAY-001", Decimal("1250.5")),
                ErpPrice("1", "ÇAY-001", Decimal("14400"), unit="KOLI"),
                ErpPrice("2-EUR", "ÇAY-001", Decimal("31.25")),
            ],
            "customer": [
                ErpCustomer(
                    code=CUSTOMER,
                    title=title,
                    tax_number="1234567890",
                    tax_office="Şişli",
                    email="muhasebe@ozturk.example",
                    price_list_code="1",
                    addresses=(
                        ErpAddress(
                            "1",
                            title,
                            "Büyükdere Cad. No:1",
                            "İstanbul",
                            kind="billing",
                            district="Şişli",
                            postal_code="34394",
                            is_default=True,
                        ),
                        ErpAddress("2", title, "Depo Sok. 5", "Kocaeli", kind="shipping", district="Gebze"),
                    ),
                ),
                ErpCustomer(
                    code="120.01.002",
                    title="Çiğdem Market",
                    tax_number="99999999999",
                    currency="USD",
                    price_list_code="2-USD",
                    active=False,
                ),
            ],
            "ledger": [
                ErpLedgerEntry(
                    "",
                    CUSTOMER,
                    date(2026, 3, 4),
                    "invoice",
                    Decimal("20258.1"),
                    document_number="GIB2026000000042",
                    description="Satış faturası",
                ),
                ErpLedgerEntry("", CUSTOMER, date(2026, 3, 6), "credit_memo", Decimal("-250.75")),
                ErpLedgerEntry("", CUSTOMER, date(2026, 3, 7), "collection", Decimal("-5000"), description="Havale"),
            ],
        }
        return list(own.get(entity) or super().samples(entity))

    def normalise(self, entity: str, record: Any) -> Any:
        """What Mikro carries of the contract's records (see docs/mikro.md, mapping)."""
        if entity in ("category", "brand"):
            return dataclasses.replace(
                record,
                name=record.code,
                **({"name_en": "", "parent_code": "", "active": True} if entity == "category" else {}),
            )
        if entity == "product":
            return dataclasses.replace(
                record,
                tax_code="",
                description="",
                description_en="",
                min_order_qty=None,
                order_multiple=None,
                batch_managed=False,
                updated_at=None,
                vat_rate=canonical(record.vat_rate or Decimal(0)),
                units=tuple(dataclasses.replace(u, factor=canonical(u.factor), sellable=True) for u in record.units),
            )
        if entity == "warehouse":
            code = {str(number): code for code, number in WAREHOUSES.items()}.get(record.code, record.code)
            return dataclasses.replace(record, code=code)
        if entity == "stock":
            code = {str(number): code for code, number in WAREHOUSES.items()}.get(record.warehouse_code)
            return dataclasses.replace(
                record,
                warehouse_code=code or record.warehouse_code,
                on_hand=canonical(record.on_hand),
                committed=canonical(record.committed),
                as_of=None,
            )
        if entity == "price":
            return dataclasses.replace(record, price=canonical(record.price))
        if entity == "customer":
            return dataclasses.replace(record, updated_at=None)
        if entity == "balance":
            return dataclasses.replace(record, balance=canonical(record.balance), open_orders=None, as_of=None)
        if entity == "credit":
            return dataclasses.replace(record, hold_reason="", as_of=None, credit_limit=canonical(record.credit_limit))
        if entity == "order_status":
            return dataclasses.replace(record, document_number="", document_id="", updated_at=None, note="")
        if entity == "ledger":
            return dataclasses.replace(
                record, entry_id="", due_on=None, open_amount=None, updated_at=None, amount=canonical(record.amount)
            )
        return record

    # -- what the company holds -------------------------------------------------------------------------------------

    def received(self, kind: str) -> list[str]:
        if kind == "orders":
            return self.database.order_references()
        if kind == "cancellations":
            return self.database.order_references("MIN(sip_iptal) = 1")
        if kind == "payments":
            rows = self.database.rows(
                "SELECT cha_belge_no FROM dbo.CARI_HESAP_HAREKETLERI WHERE cha_evrakno_seri = 'B2BT' ORDER BY 1"
            )
            return [row["cha_belge_no"] for row in rows]
        return []

    def consume(self) -> None:
        """Nothing to do: Mikro holds what was committed."""

    def simulate(self, failure: str) -> None:
        if failure == UNAVAILABLE:
            self.database.available(False)
        elif failure == TIMEOUT_AFTER_APPLY:
            self.lose_commits = 1
        else:
            super().simulate(failure)

    def invalid_order(self):
        return dataclasses.replace(sample_order(), customer_code="999.99.999")

    def publish_open_orders(self) -> tuple[set[str], set[str]]:
        db = self.database
        db.key_in_order("B2B-OPEN-1", [("ÇAY-001", 1)], column=self.column)
        partial = db.key_in_order("B2B-OPEN-2", [("ÇAY-001", 1), ("ÇAY-001", 2)], column=self.column)
        db.deliver("SIP", partial, {0: 1})
        cancelled = db.key_in_order("B2B-DONE-1", [("ÇAY-001", 1)], column=self.column)
        db.db.execute("UPDATE dbo.SIPARISLER SET sip_iptal = 1 WHERE sip_evrakno_sira = %s", (cancelled,))
        shipped = db.key_in_order("B2B-DONE-2", [("ÇAY-001", 4)], column=self.column)
        db.deliver("SIP", shipped)
        closed = db.key_in_order("B2B-DONE-3", [("ÇAY-001", 4)], column=self.column)
        db.db.execute("UPDATE dbo.SIPARISLER SET sip_kapat_fl = 1 WHERE sip_evrakno_sira = %s", (closed,))
        return {"B2B-OPEN-1", "B2B-OPEN-2"}, {"B2B-DONE-1", "B2B-DONE-2", "B2B-DONE-3"}


def seed_demo(db: MikroDatabase) -> None:
    """A small company as Mikro's users keep it: awkward on purpose (nulls, USD and EUR, a passive item, a raw
    material, a locked customer, Turkish letters everywhere)."""
    db.add_warehouse(1, "Merkez Depo — İstanbul")
    db.add_warehouse(2, "Ankara Şube")
    db.add_warehouse(9, "İade / hasarlı")
    db.add_item(
        "ÇAY-001",
        "Rize Turist Çayı 1 kg ğüşıöç",
        "ADET",
        sto_yabanci_isim="Rize tea",
        sto_birim2_ad="KOLI",
        sto_birim2_katsayi=-12,
        sto_toptan_vergi=5,
        sto_perakende_vergi=5,
        sto_kategori_kodu="ICECEK",
        sto_marka_kodu="CAYKUR",
    )
    db.add_barcode("ÇAY-001", "8690000000005")
    db.add_barcode("ÇAY-001", "8690000000012", 2)
    db.add_item("BSK-09", "Bisküvi", "KG", sto_toptan_vergi=2, sto_kategori_kodu="GIDA", sto_yabanci_isim=None)
    db.add_item("ESK-01", "Eski ambalaj", sto_pasif_fl=1, sto_toptan_vergi=5)
    db.add_item("HAM-01", "Ham çay yaprağı", "KG", sto_cins=1, sto_toptan_vergi=7)
    db.add_item("NUL-01", None, "ADET", sto_toptan_vergi=0)
    for code, warehouse, quantity in (("ÇAY-001", 1, 500), ("ÇAY-001", 2, 40), ("BSK-09", 1, 12.5), ("HAM-01", 1, 900)):
        db.move(code, 0, quantity, warehouse)
    db.move("ÇAY-001", 2, 10, 1, to=9)
    db.insert("STOK_SATIS_FIYAT_LISTE_TANIMLARI", sfl_sirano=1, sfl_aciklama="Bayi fiyatı", sfl_kdvdahil=0)
    db.insert("STOK_SATIS_FIYAT_LISTE_TANIMLARI", sfl_sirano=2, sfl_aciklama="İhracat", sfl_kdvdahil=0)
    for code, number, price, money in (
        ("ÇAY-001", 1, 250.0, 0),
        ("BSK-09", 1, 80.5, 0),
        ("ESK-01", 1, 10.0, 0),
        ("ÇAY-001", 2, 7.5, 1),
        ("BSK-09", 2, 2.25, 2),
    ):
        db.insert(
            "STOK_SATIS_FIYAT_LISTELERI",
            sfiyat_stokkod=code,
            sfiyat_listesirano=number,
            sfiyat_fiyati=price,
            sfiyat_doviz=money,
        )
    db.add_customer(
        CUSTOMER,
        "Öztürk Gıda",
        cari_unvan2="Ltd. Şti.",
        cari_vdaire_adi="Şişli",
        cari_vdaire_no="1234567890",
        cari_EMail="muhasebe@ozturk.example",
        cari_satis_fk=1,
        cari_kredi_limiti=500000.0,
    )
    db.insert(
        "CARI_HESAP_ADRESLERI",
        adr_cari_kod=CUSTOMER,
        adr_adres_no=1,
        adr_cadde="Büyükdere Cad. No:1",
        adr_il="İstanbul",
        adr_ilce="Şişli",
        adr_posta_kodu="34394",
    )
    db.add_customer(
        "120.02.001",
        "Export Partners GmbH",
        cari_doviz_cinsi=2,
        cari_satis_fk=2,
        cari_vdaire_no=None,
        cari_VergiKimlikNo="9990001119",
    )
    db.add_customer("120.03.001", "Kilitli Market", cari_cari_kilitli_flg=1, cari_vdaire_no="1111111114")
    db.ledger(CUSTOMER, 0, 12000.0, evrak_tip=63, cha_belge_no="GIB2026000000001", cha_aciklama="Satış faturası")
    db.ledger(CUSTOMER, 1, 2000.0, evrak_tip=1, cha_aciklama="Havale")
    db.key_in_order("", [("ÇAY-001", 5)])  # keyed in Mikro itself, no portal reference


__all__ = [
    "CUSTOMER",
    "TIMEOUT_AFTER_APPLY",
    "MikroDatabase",
    "MikroErpSide",
    "database_for",
    "mikro_adapter",
    "mikro_databases",
    "sample_order",
]
