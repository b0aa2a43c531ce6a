"""Reading one delimited text file into records, row by row.

The file is streamed through the ``csv`` module: memory stays flat whatever its length. Line 1 is the header;
header texts are matched to fields through the entity's ``columns`` mapping, ignoring case and surrounding
spaces. Extra columns are ignored. Consecutive rows of the same customer form one customer with one address
per row.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from erpsync.adapters.base import FeedError
from erpsync.adapters.file.config import EntityOptions
from erpsync.adapters.file.scan import Scan
from erpsync.adapters.file.schema import RawRecord, RecordSchema, build, match_key, split_packs
from erpsync.adapters.file.values import ValueFormat


def read_csv(
    path: Path, *, source: str, schema: RecordSchema, options: EntityOptions, fmt: ValueFormat, scan: Scan
) -> Iterator[Any]:
    """The records of the CSV file at ``path``, one at a time.

    Raises ``FeedError`` (with the file name, line and header text) for bytes that do not decode, a file
    without a header, a header that lacks a required column or names one field twice, a row with a different
    number of cells than the header, broken quoting, and values ``build`` refuses."""
    if scan.fault is not None:
        raise FeedError(scan.fault.message, source=source, line=scan.fault.line)
    with open(path, "rb") as raw:
        text = io.TextIOWrapper(raw, encoding=scan.encoding, errors="strict", newline="")
        reader = csv.reader(text, delimiter=options.delimiter, quotechar='"', strict=True)
        rows = _rows(reader, source)
        try:
            header_line, header = next(rows)
        except StopIteration:
            raise FeedError("the file is empty: line 1 must be the header", source=source, line=1) from None
        columns = _columns(schema, options, header, source, header_line)
        labels = {key: header[index].strip().lstrip("\ufeff") for key, index in columns.items()}
        records = (_raw_record(columns, labels, header, line, row, source) for line, row in rows)
        nested = schema.nested
        # Rows are grouped only when the file has the nested columns: a document file without ``line_*`` columns
        # keeps one document per row, as before lines existed.
        if (
            nested is not None
            and nested.csv_prefix
            and (not nested.absent_is_default or any(key.startswith(nested.csv_prefix) for key in columns))
        ):
            yield from _grouped(schema, records, fmt, source)
        else:
            for record in records:
                if nested is not None:
                    record.children = split_packs(record, nested.csv_column, source)
                yield build(schema, record, fmt, source)


def _rows(reader, source: str) -> Iterator[tuple[int, list[str]]]:
    """Non-blank rows with the line each starts on; csv and decoding faults become ``FeedError``."""
    previous_end = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise FeedError(f"not valid CSV: {exc}", source=source, line=reader.line_num or 1) from None
        except UnicodeDecodeError as exc:  # the file changed after it was scanned
            raise FeedError(f"undecodable bytes: {exc.reason}", source=source, line=reader.line_num + 1) from None
        start, previous_end = previous_end + 1, reader.line_num
        # Blank lines and rows of empty cells (some exports end with ";;;;") carry nothing: skip them.
        if any(cell.strip() for cell in row):
            yield start, row


def _columns(schema: RecordSchema, options: EntityOptions, header: list[str], source: str, line: int) -> dict[str, int]:
    """Field key → cell index. Refuses a missing required column and a field named twice."""
    seen = [match_key(text) for text in header]
    positions: dict[str, int] = {}
    for index, key in enumerate(seen):
        positions.setdefault(key, index)
    keys = list(schema.field_keys())
    nested = schema.nested
    if nested is not None:
        if nested.csv_column:
            keys.append(nested.csv_column)
        else:
            keys += [nested.csv_prefix + key for key in nested.schema.field_keys()]
    columns: dict[str, int] = {}
    for key in keys:
        wanted = match_key(options.header_for(key))
        if wanted and seen.count(wanted) > 1:
            raise FeedError(
                f"the header names column {options.header_for(key)!r} more than once",
                source=source,
                line=line,
                column=options.header_for(key),
            )
        if wanted in positions:
            columns[key] = positions[wanted]
    for spec in schema.fields:
        if spec.required and spec.key not in columns:
            raise FeedError(
                f"the header lacks the required column {options.header_for(spec.key)!r}",
                source=source,
                line=line,
                column=options.header_for(spec.key),
            )
    return columns


def _raw_record(
    columns: dict[str, int], labels: dict[str, str], header: list[str], line: int, row: list[str], source: str
) -> RawRecord:
    if len(row) != len(header):
        raise FeedError(
            f"the row has {len(row)} cells, the header {len(header)}"
            " (check the delimiter and quoting of values that contain it)",
            source=source,
            line=line,
        )
    # ``labels`` is the same for every row: shared, not copied, to keep per-row allocations down.
    return RawRecord(line=line, values={key: row[index] for key, index in columns.items()}, labels=labels)


def _grouped(schema: RecordSchema, rows: Iterator[RawRecord], fmt: ValueFormat, source: str) -> Iterator[Any]:
    """One record per run of rows with the same ``code`` (the nested spec's ``group_key``); each row adds the
    nested record its prefixed columns describe, unless they are all empty. The record's own fields come from the
    run's first row."""
    prefix = schema.nested.csv_prefix if schema.nested is not None else ""
    group_key = schema.nested.group_key if schema.nested is not None else "code"
    current: RawRecord | None = None
    current_code = ""
    for row in rows:
        code = (row.values.get(group_key) or "").strip()
        if current is None or code != current_code or not code:
            if current is not None:
                yield build(schema, current, fmt, source)
            current, current_code = row, code
        child = _prefixed(row, prefix)
        if child is not None:
            current.children.append(child)
    if current is not None:
        yield build(schema, current, fmt, source)


def _prefixed(row: RawRecord, prefix: str) -> RawRecord | None:
    values = {key[len(prefix) :]: text for key, text in row.values.items() if key.startswith(prefix)}
    if not any(text.strip() for text in values.values()):
        return None
    labels = {key[len(prefix) :]: label for key, label in row.labels.items() if key.startswith(prefix)}
    return RawRecord(line=row.line, values=values, labels=labels)


# --- Reading by raw line digests -------------------------------------------------------------------------------
#
# An unchanged re-sync should not pay for parsing what it applied before. ``csv_line_digests`` hashes the raw bytes
# of every record (one CSV row; a customer's run of rows) without parsing it; ``read_csv_digested`` parses and
# builds only the records a caller asks for, each with its digest. Both number the records the same way (0, 1, …
# in file order), so a caller can scan first, decide, then read. The digest is keyed with ``salt`` (the importer's
# version, the connection's mappings…) and the file's header row: a new mapping or column order changes every
# digest. Memory stays flat: one record at a time.

# Codecs whose newline and quote bytes are the ASCII ones, so rows can be split on bytes before decoding.
LINE_SAFE_CODECS = frozenset({"utf-8", "utf-8-sig", "cp1254", "iso-8859-9", "latin-1", "ascii", "cp1252"})


def line_digests_supported(scan: Scan) -> bool:
    return scan.fault is None and scan.encoding.replace("_", "-").lower() in LINE_SAFE_CODECS


def _logical_rows(raw) -> Iterator[tuple[int, bytes]]:
    """(line it starts on, raw bytes) of each CSV row: physical lines are joined while a quoted value is open (an
    odd number of quote characters so far). Blank lines are left out."""
    line, start, parts, quotes = 0, 0, [], 0
    for physical in raw:
        line += 1
        if not parts:
            start = line
        parts.append(physical)
        quotes += physical.count(b'"')
        if quotes % 2:
            continue
        row = parts[0] if len(parts) == 1 else b"".join(parts)
        parts, quotes = [], 0
        if row.strip():
            yield start, row
    if parts:
        yield start, b"".join(parts)


def _keyed_hasher(salt: bytes, header: bytes):
    import hashlib

    return hashlib.blake2b(digest_size=8, key=hashlib.sha256(salt + b"\x00" + header.strip()).digest())


def _digest(hasher, raw: bytes) -> int:
    h = hasher.copy()
    h.update(raw)
    return int.from_bytes(h.digest(), "big", signed=True)


def _record_rows(path: Path, scan: Scan, delimiter: str, schema: RecordSchema, options: EntityOptions):
    """The header (line, raw bytes) and an iterator of records as (line, [raw rows]); a customer's consecutive rows
    of one code form one record."""
    raw = open(path, "rb")  # noqa: SIM115 - closed by the generator below
    rows = _logical_rows(raw)
    header = next(rows, None)
    nested = schema.nested
    grouped = nested is not None and bool(nested.csv_prefix)

    def records() -> Iterator[tuple[int, list[bytes]]]:
        try:
            if not grouped:
                for line, row in rows:
                    yield line, [row]
                return
            code_index = _code_index(header, scan, delimiter, schema, options)
            current: list[bytes] = []
            current_code, current_line = None, 0
            for line, row in rows:
                code = _cell(row, scan.encoding, delimiter, code_index)
                if current and (code != current_code or not code):
                    yield current_line, current
                    current = []
                if not current:
                    current_code, current_line = code, line
                current.append(row)
            if current:
                yield current_line, current
        finally:
            raw.close()

    return header, records()


def _code_index(header, scan: Scan, delimiter: str, schema: RecordSchema, options: EntityOptions) -> int | None:
    if header is None:
        return None
    cells = next(csv.reader([header[1].decode(scan.encoding)], delimiter=delimiter, quotechar='"'), [])
    wanted = match_key(options.header_for("code"))
    keys = [match_key(cell) for cell in cells]
    return keys.index(wanted) if wanted in keys else None


def _cell(row: bytes, encoding: str, delimiter: str, index: int | None) -> str:
    if index is None:
        return ""
    try:
        cells = next(csv.reader([row.decode(encoding)], delimiter=delimiter, quotechar='"'), [])
    except (csv.Error, UnicodeDecodeError):
        return ""
    return cells[index].strip() if index < len(cells) else ""


def csv_line_digests(
    path: Path, *, schema: RecordSchema, options: EntityOptions, scan: Scan, salt: bytes
) -> Iterator[int]:
    """The digest of every record of the CSV file at ``path``, in file order, without parsing the records."""
    header, records = _record_rows(path, scan, options.delimiter, schema, options)
    if header is None:
        return
    hasher = _keyed_hasher(salt, header[1])
    for _line, rows in records:
        yield _digest(hasher, rows[0] if len(rows) == 1 else b"\x1e".join(rows))


def read_csv_digested(
    path: Path,
    *,
    source: str,
    schema: RecordSchema,
    options: EntityOptions,
    fmt: ValueFormat,
    scan: Scan,
    salt: bytes,
    keep: bytearray | None = None,
) -> Iterator[tuple[int, Any]]:
    """(digest, record) for the records of the CSV file at ``path`` whose number is set in ``keep`` (all when
    None), in file order. Raises ``FeedError`` as ``read_csv`` does, for the rows it parses (the header always)."""
    if scan.fault is not None:
        raise FeedError(scan.fault.message, source=source, line=scan.fault.line)
    header_row, records = _record_rows(path, scan, options.delimiter, schema, options)
    if header_row is None:
        raise FeedError("the file is empty: line 1 must be the header", source=source, line=1)
    encoding = scan.encoding
    header_line, header = _decoded_row(header_row[1], encoding, options.delimiter, source, header_row[0])
    columns = _columns(schema, options, header, source, header_line)
    labels = {key: header[index].strip().lstrip("\ufeff") for key, index in columns.items()}
    hasher = _keyed_hasher(salt, header_row[1])
    nested = schema.nested
    for ordinal, (line, rows) in enumerate(records):
        if keep is not None and (ordinal >= len(keep) or not keep[ordinal]):
            continue
        digest = _digest(hasher, rows[0] if len(rows) == 1 else b"\x1e".join(rows))
        raws = []
        offset = 0
        for raw in rows:
            row_line, cells = _decoded_row(raw, encoding, options.delimiter, source, line + offset)
            offset += raw.count(b"\n")
            if not any(cell.strip() for cell in cells):
                continue
            raws.append(_raw_record(columns, labels, header, row_line, cells, source))
        if not raws:
            continue
        if nested is not None and nested.csv_prefix:
            record = raws[0]
            for row in raws:
                child = _prefixed(row, nested.csv_prefix)
                if child is not None:
                    record.children.append(child)
            yield digest, build(schema, record, fmt, source)
            continue
        record = raws[0]
        if nested is not None:
            record.children = split_packs(record, nested.csv_column, source)
        yield digest, build(schema, record, fmt, source)


def _decoded_row(raw: bytes, encoding: str, delimiter: str, source: str, line: int) -> tuple[int, list[str]]:
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        raise FeedError(f"undecodable bytes: {exc.reason}", source=source, line=line) from None
    if line == 1:
        text = text.lstrip("\ufeff")
    try:
        cells = next(csv.reader([text], delimiter=delimiter, quotechar='"', strict=True), [])
    except csv.Error as exc:
        raise FeedError(f"not valid CSV: {exc}", source=source, line=line) from None
    return line, cells
