"""The adapter contract, run against the file adapter with a drop folder playing the ERP."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

pytest.register_assert_rewrite("erpsync.tests.contract")

from erpsync.adapters.file import FileAdapter  # noqa: E402
from erpsync.adapters.file.config import SNAPSHOT_ENTITIES  # noqa: E402
from erpsync.adapters.file.layout import OUTBOUND_KINDS, is_temp_name  # noqa: E402
from erpsync.adapters.file.writer import TextFormat, csv_text, drop, xml_bytes  # noqa: E402
from erpsync.tests.contract import (  # noqa: E402
    CUSTOMER_TIMEOUT_AFTER_APPLY,
    TIMEOUT_AFTER_APPLY,
    UNAVAILABLE,
    AdapterContract,
    ErpSide,
)

# How a Turkish ERP that is not on UTF-8 writes its exports: decimal comma with grouped thousands, day-first
# dates, Turkish yes/no.
TURKISH_CSV = TextFormat(decimal_mark=",", thousands=True, date_format="%d.%m.%Y", yes="Evet", no="Hayır")


class FileErpSide(ErpSide):
    """The ERP's end of a drop folder: it writes exports into ``inbound/`` and takes the portal's documents
    out of ``outbound/`` into its own ``imported/`` folder (outside the exchange root)."""

    failures = frozenset({UNAVAILABLE, TIMEOUT_AFTER_APPLY, CUSTOMER_TIMEOUT_AFTER_APPLY})

    def __init__(self, base: Path, *, fmt: str) -> None:
        self.root = base / "exchange"
        self.imported = base / "erp-imported"
        self.root.mkdir()
        self.fmt = fmt
        self.published = 0
        self.taken: dict[str, list[str]] = {}  # kind → references the ERP imported, in order, duplicates kept

    def make_adapter(self) -> FileAdapter:
        return FileAdapter(settings={"root": str(self.root)})

    def publish(self, entity: str, records: Sequence[Any], *, complete: bool = True) -> None:
        if complete != self.expected_complete(entity):
            raise ValueError(f"{entity} files are {'snapshots' if not complete else 'changes'} in this setup")
        self.published += 1
        if entity == "product_media":
            for record in records:
                if record.kind == "image":
                    name = f"{record.product_code}_{record.position}.{'png' if record.position == 1 else 'jpg'}"
                    drop(self.root / "inbound" / "images", name, record.content)
                else:
                    title = record.title.replace(" ", "_")
                    drop(
                        self.root / "inbound" / "documents",
                        f"{record.product_code}__{title}.{record.language}.pdf",
                        record.content,
                    )
            return
        name = f"{entity}-{self.published:04d}.{self.fmt}"
        if self.fmt == "csv":
            data = csv_text(entity, records, fmt=TURKISH_CSV).encode("cp1254")
        else:
            data = xml_bytes(entity, records, encoding="ISO-8859-9")
        drop(self.root / "inbound" / entity, name, data)

    def received(self, kind: str) -> list[str]:
        waiting = self.root / "outbound" / kind
        present = [path.stem for path in self._documents(waiting)] if waiting.is_dir() else []
        return sorted(present + self.taken.get(kind, []))

    @staticmethod
    def _documents(folder: Path) -> list[Path]:
        return sorted(path for path in folder.glob("*.xml") if not is_temp_name(path.name))

    def consume(self) -> None:
        for kind in OUTBOUND_KINDS:
            waiting = self.root / "outbound" / kind
            if not waiting.is_dir():
                continue
            taken = self.taken.setdefault(kind, [])
            target = self.imported / kind
            target.mkdir(parents=True, exist_ok=True)
            for path in self._documents(waiting):
                taken.append(path.stem)
                os.replace(path, target / f"{len(taken):04d}-{path.name}")

    def simulate(self, failure: str) -> None:
        if failure == UNAVAILABLE:  # the share is unmounted
            self.root.rename(self.root.with_name("exchange-offline"))
        elif failure in (TIMEOUT_AFTER_APPLY, CUSTOMER_TIMEOUT_AFTER_APPLY):  # the ledger cannot be written once
            sent = self.root / "outbound" / "sent"  # the document is out
            sent.mkdir(parents=True, exist_ok=True)
            (sent / ("orders" if failure == TIMEOUT_AFTER_APPLY else "customers")).write_bytes(b"not a folder")
        else:
            super().simulate(failure)

    def normalise(self, entity: str, record: Any) -> Any:
        # The drop folder's name of a file is its key and source: published records carry neither.
        return dataclasses.replace(record, key="", source="") if entity == "product_media" else record

    def expected_complete(self, entity: str) -> bool:
        return entity in SNAPSHOT_ENTITIES


class TestFileAdapterContractCsv(AdapterContract):
    @pytest.fixture
    def erp(self, tmp_path: Path) -> FileErpSide:
        return FileErpSide(tmp_path, fmt="csv")


class TestFileAdapterContractXml(AdapterContract):
    @pytest.fixture
    def erp(self, tmp_path: Path) -> FileErpSide:
        return FileErpSide(tmp_path, fmt="xml")
