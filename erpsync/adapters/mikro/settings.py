"""The Mikro adapter's connection settings, declared in ``MikroSettings`` and parsed once when the adapter is made (the
table in docs/mikro.md is generated from the declaration).

Credentials (``credentials_ref``): ``username`` and ``password`` of the SQL login the portal uses (see docs/mikro.md
for the permissions it needs); they are never part of ``database_url``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from django.core.exceptions import ImproperlyConfigured

from erpsync.connection_settings import (
    REQUIRED,
    Choice,
    Flag,
    Integer,
    Number,
    Settings,
    Text,
    TextList,
    TextMap,
    TimeZone,
)

VERSIONS = ("v16", "v15")
# The SIPARISLER column that carries the portal order number (nvarchar 25 and 50 in Mikro's schema).
REFERENCE_COLUMNS = {"sip_belgeno": 25, "sip_aciklama": 50}
STOCK_SOURCES = ("function", "movements")
VAT_POINTERS = ("sto_toptan_vergi", "sto_perakende_vergi")
COMMITTED = ("open_orders", "none")
# Mikro's currency numbers (cari_doviz_cinsi, sfiyat_doviz, sip_doviz_cinsi): 0 is the local currency.
DEFAULT_CURRENCIES = {"0": "TRY", "1": "USD", "2": "EUR"}
SCHEMES = ("mssql", "sqlserver", "postgresql", "postgres")
SERIES = re.compile(r"^[A-Za-z0-9]{0,20}$")
COLUMN = re.compile(r"^cari_[A-Za-z0-9_]{1,60}$")


class MikroSettings(Settings):
    owner = "Mikro adapter"
    title = "Mikro (SQL Server)"

    database_url = Text(
        "The company's Mikro database, e.g. `mssql://sql-host:1433/MikroDB_V16_FIRMA` (SQL Server, through "
        "pymssql); `postgresql://…` opens a Mikro-shaped PostgreSQL database (tests and demos). No user or password "
        "in it: those come from the credentials.",
        default=REQUIRED,
    )
    version = Choice(
        "The schema generation: `v16` (and v17: `<p>_Guid` keys; order lines get deterministic `sip_Guid`s) or "
        "`v15` (`<p>_RECno` identity keys; orders are found again by their reference column only).",
        choices=VERSIONS,
        default="v16",
    )
    read_only = Flag(
        "Only read: every write (orders, cancellations, collections) is refused before the database is asked, and "
        "the connection is opened read-only where the driver allows it.",
        default=False,
    )
    firm_no = Integer("`<p>_firmano` of the rows the portal writes.", default=0, minimum=0)
    branch_no = Integer("`<p>_subeno` of the rows the portal writes.", default=0, minimum=0)
    user_no = Integer(
        "The Mikro user number written as `<p>_create_user` and `<p>_lastup_user` of the portal's rows.",
        default=1,
        minimum=0,
    )
    order_series = Text(
        "The order series (`sip_evrakno_seri`) of the portal's orders; their numbers (`sip_evrakno_sira`) continue "
        "the series' highest, allocated under a lock.",
        default="B2B",
    )
    reference_column = Choice(
        "The `SIPARISLER` column that carries the portal order number (`sip_belgeno`, 25 characters, or "
        "`sip_aciklama`, 50).",
        choices=tuple(REFERENCE_COLUMNS),
        default="sip_belgeno",
    )
    order_warehouse = Integer("The warehouse number (`sip_depono`) orders ship from.", default=1, minimum=0)
    order_fileid = Integer("`sip_fileid` of order rows (Mikro's file number of SIPARISLER).", default=21, minimum=0)
    db_cno = Integer("`<p>_DBCno` of the portal's rows.", default=0, minimum=0)
    write_collections = Flag(
        "Write the portal's collections as customer ledger rows (`CARI_HESAP_HAREKETLERI`). Off by default: many "
        "companies allow order writes only.",
        default=False,
    )
    collection_series = Text("The ledger series (`cha_evrakno_seri`) of collections.", default="B2BT")
    collection_document_type = Integer(
        "`cha_evrak_tip` of collection rows (installation-specific; check with the company's Mikro partner).",
        default=1,
        minimum=0,
    )
    stock_source = Choice(
        "Stock per warehouse from `dbo.fn_DepodakiMiktar(code, warehouse, 0)` (`function`) or summed from "
        "`STOK_HAREKETLERI` in one statement (`movements`: in +, out −, transfers by warehouse).",
        choices=STOCK_SOURCES,
        default="function",
    )
    committed = Choice(
        "What counts as committed stock: the open quantity of open sales orders (`open_orders`) or nothing.",
        choices=COMMITTED,
        default="open_orders",
    )
    vat_pointer = Choice(
        "The item's VAT pointer the portal uses, resolved with `dbo.fn_VergiYuzde`: wholesale or retail.",
        choices=VAT_POINTERS,
        default="sto_toptan_vergi",
    )
    sold_kinds = TextList(
        "Item kinds (`sto_cins`) the portal sells; items of other kinds are read as not sold (empty: every kind).",
        default=[],
    )
    price_warehouse = Integer(
        "`sfiyat_deposirano` of the prices read (0: the prices valid for every warehouse).", default=0, minimum=0
    )
    unsellable_warehouses = TextList("Warehouse numbers the portal does not sell from.", default=[])
    currencies = TextMap("Mikro currency numbers → ISO codes (0 is the local currency).", default=DEFAULT_CURRENCIES)
    credit_limit_column = Text(
        "A numeric `CARI_HESAPLAR` column holding the credit limit at this installation (Mikro's v16 schema has no "
        "documented one); empty: credit limits and holds are not read.",
        default="",
    )
    timezone = TimeZone(
        "The time zone of the Mikro server's clock (its dates are local time).", default="Europe/Istanbul"
    )
    page_size = Integer("Rows per page of a read.", default=2000, positive=True, maximum=20000)
    timeout_seconds = Number("Seconds to wait for the database.", default=30, positive=True, as_float=True)
    lock_timeout_seconds = Integer(
        "Seconds a write waits for the series lock before it is tried again later.", default=10, positive=True
    )
    lookback_days = Number("How far back the ledger goes on a full read.", default=365, positive=True, as_float=True)

    def clean(self) -> list:
        problems = []
        scheme = self.database_url.split("://", 1)[0].split("+", 1)[0].lower() if "://" in self.database_url else ""
        if scheme not in SCHEMES:
            problems.append(
                self.problem(
                    "database_url", f"'database_url' must start with mssql:// or postgresql://, got {scheme!r}."
                )
            )
        for name in ("order_series", "collection_series"):
            if not SERIES.match(getattr(self, name)):
                problems.append(self.problem(name, f"'{name}' must be at most 20 letters or digits."))
        if self.credit_limit_column and not COLUMN.match(self.credit_limit_column):
            problems.append(self.problem("credit_limit_column", "'credit_limit_column' must name a cari_… column."))
        return problems


def login(credentials: Mapping[str, str]) -> tuple[str, str]:
    user, password = credentials.get("username", ""), credentials.get("password", "")
    if not user:
        raise ImproperlyConfigured("Mikro adapter: credentials need username (and password).")
    return user, password


__all__ = ["COMMITTED", "DEFAULT_CURRENCIES", "REFERENCE_COLUMNS", "MikroSettings", "login"]
