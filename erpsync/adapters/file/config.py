"""The file adapter's settings (``ErpConnection.settings``), checked once when the adapter is built.

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
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ImproperlyConfigured

from b2bportal.text import word_key
from erpsync.adapters.file.layout import ENTITIES
from erpsync.adapters.file.values import DEFAULT_DATE_FORMATS

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


@dataclass(frozen=True, slots=True)
class FileSettings:
    root: Path
    zone: tzinfo
    max_file_bytes: int
    max_xml_depth: int
    entities: Mapping[str, EntityOptions]


def parse_settings(raw: Mapping[str, Any]) -> FileSettings:
    """Checked settings. Raises ``ImproperlyConfigured`` naming the first bad setting: a missing or relative
    ``root``, an unknown entity or entity option, an unsupported encoding, a delimiter that is not one
    character, a decimal mark other than "," or ".", a date format that does not round-trip, a column mapping
    that is not text → text, or limits that are not positive integers."""
    root = raw.get("root")
    if not isinstance(root, str) or not root.strip():
        raise ImproperlyConfigured("File adapter: settings need 'root', the drop folder's absolute path.")
    root_path = Path(root.strip())
    if not root_path.is_absolute():
        raise ImproperlyConfigured(f"File adapter: 'root' must be an absolute path, got {root!r}.")
    zone_name = raw.get("timezone", "Europe/Istanbul")
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ImproperlyConfigured(f"File adapter: 'timezone' {zone_name!r} is not a known time zone.") from None
    max_bytes = _positive_int(raw, "max_file_bytes", DEFAULT_MAX_FILE_BYTES)
    max_depth = _positive_int(raw, "max_xml_depth", DEFAULT_MAX_XML_DEPTH)
    overrides = raw.get("entities") or {}
    if not isinstance(overrides, Mapping):
        raise ImproperlyConfigured("File adapter: 'entities' must map entity names to their options.")
    unknown = sorted(set(overrides) - set(ENTITIES))
    if unknown:
        raise ImproperlyConfigured(
            f"File adapter: unknown entities in 'entities': {', '.join(unknown)} (known: {', '.join(ENTITIES)})."
        )
    entities = {entity: _entity_options(entity, overrides.get(entity) or {}) for entity in ENTITIES}
    return FileSettings(root=root_path, zone=zone, max_file_bytes=max_bytes, max_xml_depth=max_depth, entities=entities)


def _positive_int(raw: Mapping[str, Any], key: str, default: int) -> int:
    value = raw.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ImproperlyConfigured(f"File adapter: {key!r} must be a positive whole number, got {value!r}.")
    return value


def _entity_options(entity: str, raw: Any) -> EntityOptions:
    where = f"File adapter: entities.{entity}"
    if not isinstance(raw, Mapping):
        raise ImproperlyConfigured(f"{where} must be an object of options.")
    unknown = sorted(set(raw) - ENTITY_KEYS)
    if unknown:
        raise ImproperlyConfigured(
            f"{where}: unknown options {', '.join(unknown)} (known: {', '.join(sorted(ENTITY_KEYS))})."
        )
    delimiter = raw.get("delimiter", ";")
    if delimiter in ("tab", "\\t"):
        delimiter = "\t"
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in '"\r\n' or delimiter.isalnum():
        raise ImproperlyConfigured(f"{where}.delimiter must be one punctuation character or 'tab', got {delimiter!r}.")
    encoding = raw.get("encoding", "auto")
    if not isinstance(encoding, str) or encoding.strip().lower() not in ENCODINGS:
        raise ImproperlyConfigured(
            f"{where}.encoding {encoding!r} is not supported (use one of {', '.join(sorted(ENCODINGS))})."
        )
    decimal = raw.get("decimal")
    if decimal not in (None, ",", "."):
        raise ImproperlyConfigured(f"{where}.decimal must be ',' or '.', got {decimal!r}.")
    if decimal is not None and decimal == delimiter:
        raise ImproperlyConfigured(f"{where}: the decimal mark and the delimiter cannot both be {decimal!r}.")
    date_formats = _date_formats(where, raw.get("date_format"))
    columns = raw.get("columns") or {}
    if not isinstance(columns, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in columns.items()
    ):
        raise ImproperlyConfigured(f"{where}.columns must map field names to non-empty header texts.")
    folded = [word_key(v) for v in columns.values()]
    if len(set(folded)) != len(folded):
        raise ImproperlyConfigured(f"{where}.columns maps two fields to the same header.")
    snapshot = raw.get("snapshot", entity in SNAPSHOT_ENTITIES)
    if not isinstance(snapshot, bool):
        raise ImproperlyConfigured(f"{where}.snapshot must be true or false, got {snapshot!r}.")
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
        raise ImproperlyConfigured(f"{where}.date_format must be a strptime pattern or a list of them.")
    probe = date(2026, 12, 31)
    for pattern in formats:
        # A pattern that loses the day, month or century would silently read wrong dates: it must turn a
        # known date into text and back unchanged.
        try:
            ok = "%Y" in pattern and datetime.strptime(probe.strftime(pattern), pattern).date() == probe
        except ValueError:
            ok = False
        if not ok:
            raise ImproperlyConfigured(
                f"{where}.date_format {pattern!r} must hold day, month and a four-digit year, e.g. '%d/%m/%Y'."
            )
    return tuple(formats)
