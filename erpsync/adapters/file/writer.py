"""Writing inbound files the way the ERP should: the executable form of ``docs/file-exchange.md``.

The test simulator uses it to play the ERP, and integrators can use it to produce sample files. It writes
from the same schema the readers read with, so the two cannot drift apart.
"""

from __future__ import annotations

import csv
import dataclasses
import enum
import io
import os
from collections.abc import Iterable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element, ElementTree, SubElement  # building only: nothing is parsed

from erpsync.adapters.file.schema import SCHEMAS, FieldSpec, Kind, RecordSchema


@dataclasses.dataclass(frozen=True, slots=True)
class TextFormat:
    """How values are spelled: decimal mark (thousands grouped with the other mark when ``thousands``), the
    date pattern, and the words for yes and no."""

    decimal_mark: str = ","
    thousands: bool = False
    date_format: str = "%Y-%m-%d"
    yes: str = "1"
    no: str = "0"


def spell(spec: FieldSpec, value: Any, fmt: TextFormat) -> str:
    """``value`` as text for ``spec``; None and the empty string as "" (the reader's "use the default")."""
    if value is None:
        return ""
    if spec.kind is Kind.BOOL:
        return fmt.yes if value else fmt.no
    if spec.kind is Kind.DECIMAL:
        return spell_decimal(value, fmt)
    if spec.kind is Kind.DATETIME:
        return value.isoformat()
    if spec.kind is Kind.DATE:
        return value.strftime(fmt.date_format)
    if isinstance(value, enum.Enum):
        return str(value.value)
    return str(value)


def spell_decimal(value: Decimal, fmt: TextFormat) -> str:
    sign, text = ("-", format(-value, "f")) if value < 0 else ("", format(value, "f"))
    whole, _, fraction = text.partition(".")
    if fmt.thousands:
        separator = "." if fmt.decimal_mark == "," else ","
        groups = []
        while len(whole) > 3:
            whole, groups = whole[:-3], [whole[-3:], *groups]
        whole = separator.join([whole, *groups])
    return sign + whole + (fmt.decimal_mark + fraction if fraction else "")


def _headers(schema: RecordSchema, columns: Mapping[str, str]) -> list[str]:
    keys = list(schema.field_keys())
    nested = schema.nested
    if nested is not None:
        if nested.csv_column:
            keys.append(nested.csv_column)
        else:
            keys += [nested.csv_prefix + key for key in nested.schema.field_keys()]
    return keys


def csv_text(
    entity: str,
    records: Iterable[Any],
    *,
    delimiter: str = ";",
    fmt: TextFormat | None = None,
    columns: Mapping[str, str] | None = None,
) -> str:
    """The CSV file for ``records`` of ``entity``: header line, then one row per record (a customer: one row
    per address, its own fields repeated). ``columns`` renames headers (field key → header text)."""
    fmt = fmt or TextFormat()
    columns = columns or {}
    schema = SCHEMAS[entity]
    records = list(records)
    keys = _headers(schema, columns)
    nested = schema.nested
    if nested is not None and nested.absent_is_default and not any(getattr(r, nested.attr) for r in records):
        # Optional nested items none of the records has (documents without lines): the file keeps its old columns.
        keys = list(schema.field_keys())
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([columns.get(key, key) for key in keys])
    for record in records:
        own = {spec.key: spell(spec, getattr(record, spec.name), fmt) for spec in schema.fields}
        nested = schema.nested
        if nested is None:
            writer.writerow([own.get(key, "") for key in keys])
        elif nested.csv_column:
            own[nested.csv_column] = "|".join(_pack(item, nested.schema, fmt) for item in getattr(record, nested.attr))
            writer.writerow([own.get(key, "") for key in keys])
        else:
            for child in getattr(record, nested.attr) or (None,):
                row = dict(own)
                if child is not None:
                    for spec in nested.schema.fields:
                        row[nested.csv_prefix + spec.key] = spell(spec, getattr(child, spec.name), fmt)
                writer.writerow([row.get(key, "") for key in keys])
    return buffer.getvalue()


def _pack(item: Any, schema: RecordSchema, fmt: TextFormat) -> str:
    parts = [spell(spec, getattr(item, spec.name), fmt) for spec in schema.fields]
    # Leave out trailing defaults: sellable (yes), then an empty barcode.
    if parts[3] == fmt.yes:
        del parts[3]
        if not parts[2]:
            del parts[2]
    return "*".join(parts)


def xml_bytes(entity: str, records: Iterable[Any], *, encoding: str = "UTF-8", fmt: TextFormat | None = None) -> bytes:
    """The XML file for ``records`` of ``entity``, declared in ``encoding``. Empty values are left out."""
    fmt = fmt or TextFormat(decimal_mark=".")
    schema = SCHEMAS[entity]
    root = Element(schema.xml_root)
    for record in records:
        element = SubElement(root, schema.xml_item)
        _xml_fields(element, schema, record, fmt)
        nested = schema.nested
        if nested is not None and getattr(record, nested.attr):
            container = SubElement(element, nested.xml_container)
            for child in getattr(record, nested.attr):
                _xml_fields(SubElement(container, nested.xml_item), nested.schema, child, fmt)
    buffer = io.BytesIO()
    ElementTree(root).write(buffer, encoding=encoding, xml_declaration=True)
    return buffer.getvalue()


def _xml_fields(element: Element, schema: RecordSchema, record: Any, fmt: TextFormat) -> None:
    for spec in schema.fields:
        text = spell(spec, getattr(record, spec.name), fmt)
        if text:
            SubElement(element, spec.key).text = text


def drop(folder: Path, name: str, data: bytes) -> Path:
    """Put ``data`` into ``folder`` as ``name`` the way readers expect: written under ``name.part``, then
    renamed, so the portal never sees a half-written file."""
    folder.mkdir(parents=True, exist_ok=True)
    part = folder / f"{name}.part"
    part.write_bytes(data)
    final = folder / name
    os.replace(part, final)
    return final


__all__ = ["TextFormat", "csv_text", "drop", "spell", "spell_decimal", "xml_bytes"]
