"""The file adapter's settings (``ErpConnection.settings``), declared in ``FileSettings`` and parsed once when the
adapter is built (the table in docs/file-exchange.md is generated from the declaration).

::

    {
      "root": "/srv/erp-exchange",                 # required, absolute
      "timezone": "Europe/Istanbul",               # the ERP's clock for times without an offset
      "max_file_bytes": 536870912,                 # larger files are refused unread
      "max_xml_depth": 16,                         # deeper XML nesting is refused
      "entities": {
        "product": {"delimiter": ";", "encoding": "auto", "decimal": ",", "date_format": ["%d.%m.%Y"],
                    "columns": {"code": "STOK KODU"}, "snapshot": true}
      }
    }
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import Any

from b2bportal.text import word_key
from erpsync.adapters.file.layout import ENTITIES
from erpsync.adapters.file.values import DEFAULT_DATE_FORMATS
from erpsync.connection_settings import REQUIRED, Flag, Integer, Invalid, Setting, Settings, TimeZone

SNAPSHOT_ENTITIES = frozenset(ENTITIES) - {"order_status", "delivery", "invoice", "credit_memo", "ledger"}
ENCODINGS: dict[str, str] = {
    "auto": "auto",
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "windows-1254": "cp1254",
    "cp1254": "cp1254",
    "iso-8859-9": "iso-8859-9",
    "latin5": "iso-8859-9",
    "utf-16": "utf-16",
}
DEFAULT_MAX_FILE_BYTES = 512 * 1024 * 1024
DEFAULT_MAX_XML_DEPTH = 16
ENTITY_KEYS = frozenset({"delimiter", "encoding", "decimal", "date_format", "columns", "snapshot"})


@dataclass(frozen=True, slots=True)
class EntityOptions:
    """How the files of one entity are written. ``decimal_mark`` None: "," for CSV, "." for XML."""

    delimiter: str = ";"
    encoding: str = "auto"
    decimal_mark: str | None = None
    date_formats: tuple[str, ...] = DEFAULT_DATE_FORMATS
    columns: Mapping[str, str] = field(default_factory=dict)
    snapshot: bool = True

    def header_for(self, key: str) -> str:
        """The header text expected for the field whose default header is ``key``."""
        return self.columns.get(key, key)


class AbsolutePath(Setting):
    type_name = "absolute path"

    def convert(self, value: Any) -> Path:
        if not isinstance(value, str) or not value.strip():
            raise Invalid("must be the drop folder's absolute path.")
        path = Path(value.strip())
        if not path.is_absolute():
            raise Invalid(f"must be an absolute path, got {value!r}.")
        return path


class EntitiesSetting(Setting):
    """Entity name → its options (every entity gets its options; those not named the defaults)."""

    type_name = "object of entity → options"

    def default_value(self, context: Any) -> dict[str, EntityOptions]:
        return self.convert({})

    def describe_default(self) -> str:
        return "each entity's defaults"

    def convert(self, value: Any) -> dict[str, EntityOptions]:
        if not isinstance(value, Mapping):
            raise Invalid("must map entity names to their options.")
        unknown = sorted(set(value) - set(ENTITIES))
        if unknown:
            raise Invalid(f"names unknown entities: {', '.join(unknown)} (known: {', '.join(ENTITIES)}).")
        return {entity: _entity_options(entity, value.get(entity) or {}) for entity in ENTITIES}


class FileSettings(Settings):
    """Checked settings: refuses a missing or relative ``root``, an unknown entity or entity option, an
    unsupported encoding, a delimiter that is not one character, a decimal mark other than "," or ".", a date
    format that does not round-trip, a column mapping that is not text → text, or limits that are not positive
    integers."""

    owner = "File adapter"
    title = "File exchange"

    root = AbsolutePath("The drop folder's absolute path.", default=REQUIRED)
    timezone = TimeZone("The ERP's clock, for times in the files without an offset.", default="Europe/Istanbul")
    max_file_bytes = Integer("Larger files are refused unread.", default=DEFAULT_MAX_FILE_BYTES, positive=True)
    max_xml_depth = Integer("Deeper XML nesting is refused.", default=DEFAULT_MAX_XML_DEPTH, positive=True)
    entities = EntitiesSetting(
        "Per entity: `delimiter`, `encoding`, `decimal`, `date_format`, `columns` (field → header) and "
        "`snapshot` (described below)."
    )
    media_snapshot = Flag(
        "Whether each drop in `images/` and `documents/` holds every picture the ERP has: the ERP's pictures it "
        "lacks are removed (within the removal brake). Off: a drop holds changes, and `.removed` files remove.",
        default=False,
    )

    @property
    def zone(self) -> tzinfo:
        return self.timezone


def _entity_options(entity: str, raw: Any) -> EntityOptions:
    where = f"entities.{entity}"
    if not isinstance(raw, Mapping):
        raise Invalid(f"{where} must be an object of options.", complete=True)
    unknown = sorted(set(raw) - ENTITY_KEYS)
    if unknown:
        raise Invalid(
            f"{where}: unknown options {', '.join(unknown)} (known: {', '.join(sorted(ENTITY_KEYS))}).",
            complete=True,
        )
    delimiter = raw.get("delimiter", ";")
    if delimiter in ("tab", "\\t"):
        delimiter = "\t"
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '"\r\n' or delimiter.isalnum():
        raise Invalid(
            f"{where}.delimiter must be one punctuation character or 'tab', got {delimiter!r}.", complete=True
        )
    encoding = raw.get("encoding", "auto")
    if not isinstance(encoding, str) or encoding.strip().lower() not in ENCODINGS:
        raise Invalid(
            f"{where}.encoding {encoding!r} is not supported (use one of {', '.join(sorted(ENCODINGS))}).",
            complete=True,
        )
    decimal = raw.get("decimal")
    if decimal not in (None, ",", "."):
        raise Invalid(f"{where}.decimal must be ',' or '.', got {decimal!r}.", complete=True)
    if decimal is not None and decimal == delimiter:
        raise Invalid(f"{where}: the decimal mark and the delimiter cannot both be {decimal!r}.", complete=True)
    date_formats = _date_formats(where, raw.get("date_format"))
    columns = raw.get("columns") or {}
    if not isinstance(columns, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in columns.items()
    ):
        raise Invalid(f"{where}.columns must map field names to non-empty header texts.", complete=True)
    folded = [word_key(v) for v in columns.values()]
    if len(set(folded)) != len(folded):
        raise Invalid(f"{where}.columns maps two fields to the same header.", complete=True)
    snapshot = raw.get("snapshot", entity in SNAPSHOT_ENTITIES)
    if not isinstance(snapshot, bool):
        raise Invalid(f"{where}.snapshot must be true or false, got {snapshot!r}.", complete=True)
    return EntityOptions(
        delimiter=delimiter,
        encoding=ENCODINGS[encoding.strip().lower()],
        decimal_mark=decimal,
        date_formats=date_formats,
        columns={k.strip(): v.strip() for k, v in columns.items()},
        snapshot=snapshot,
    )


def _date_formats(where: str, raw: Any) -> tuple[str, ...]:
    if raw in (None, "", []):
        return DEFAULT_DATE_FORMATS
    formats = (raw,) if isinstance(raw, str) else raw
    if not isinstance(formats, list | tuple) or not all(isinstance(f, str) and f for f in formats):
        raise Invalid(f"{where}.date_format must be a strptime pattern or a list of them.", complete=True)
    probe = date(2026, 12, 31)
    for pattern in formats:
        # A pattern that loses the day, month or century would silently read wrong dates: it must turn a
        # known date into text and back unchanged.
        try:
            ok = "%Y" in pattern and datetime.strptime(probe.strftime(pattern), pattern).date() == probe
        except ValueError:
            ok = False
        if not ok:
            raise Invalid(
                f"{where}.date_format {pattern!r} must hold day, month and a four-digit year, e.g. '%d/%m/%Y'.",
                complete=True,
            )
    return tuple(formats)
