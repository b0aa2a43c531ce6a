"""The settings tables in the docs, generated from the declarations so that they cannot drift from the code.

Each table sits between ``<!-- settings-table: NAME -->`` and ``<!-- /settings-table -->`` in a docs page;
``manage.py erpsync settings-doc`` prints the tables and, with ``--write``, puts them into the pages.
"""

from __future__ import annotations

import re
from pathlib import Path

from erpsync.adapters.dia.settings import DiaSettings
from erpsync.adapters.file.config import FileSettings
from erpsync.adapters.logo.settings import LogoSettings
from erpsync.adapters.mikro.settings import MikroSettings
from erpsync.adapters.netsis.settings import NetsisSettings
from erpsync.adapters.parasut.settings import ParasutSettings
from erpsync.adapters.profile.settings import ProfileSettings
from erpsync.adapters.sap_b1.settings import SapB1Settings
from erpsync.adapters.sap_rfc.settings import SapRfcSettings
from erpsync.adapters.tryton.settings import TrytonSettings
from erpsync.common_settings import CommonSettings
from erpsync.connection_settings import Settings, markdown_table
from erpsync.sqlchecks.settings import SqlCheckSettings

DOCS = Path(__file__).resolve().parent.parent / "docs"
# Table name → (declaration, the docs page it is in).
TABLES: dict[str, tuple[type[Settings], str]] = {
    "common": (CommonSettings, "connection-settings.md"),
    "sap_b1": (SapB1Settings, "sap-b1.md"),
    "sap_rfc": (SapRfcSettings, "sap-rfc.md"),
    "tryton": (TrytonSettings, "tryton.md"),
    "parasut": (ParasutSettings, "parasut.md"),
    "logo": (LogoSettings, "logo.md"),
    "dia": (DiaSettings, "dia.md"),
    "netsis": (NetsisSettings, "netsis.md"),
    "mikro": (MikroSettings, "mikro.md"),
    "file": (FileSettings, "file-exchange.md"),
    "sql_checks": (SqlCheckSettings, "sql-checks.md"),
    "profile": (ProfileSettings, "profile-adapter.md"),
}
BLOCK = re.compile(r"(<!-- settings-table: (?P<name>\w+) -->\n).*?(<!-- /settings-table -->)", re.DOTALL)


def settings_table(name: str) -> str:
    return markdown_table(TABLES[name][0])


def page_with_tables(text: str) -> str:
    """``text`` with every marked table replaced by the one generated from its declaration."""
    return BLOCK.sub(lambda m: f"{m.group(1)}\n{settings_table(m.group('name'))}\n{m.group(3)}", text)


def stale_pages(*, write: bool = False, docs: Path = DOCS) -> list[Path]:
    """The docs pages whose tables differ from the declarations (rewritten with ``write``); a page that lacks
    its table's markers counts as stale."""
    stale = []
    for name, (_cls, page) in TABLES.items():
        path = docs / page
        text = path.read_text(encoding="utf-8")
        fresh = page_with_tables(text)
        if fresh != text or f"<!-- settings-table: {name} -->" not in text:
            stale.append(path)
            if write and fresh != text:
                path.write_text(fresh, encoding="utf-8")
    return sorted(set(stale))
