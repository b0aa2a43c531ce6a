"""Uploaded files: CSV (UTF-8, UTF-16 or Windows-1254; ";", "," or tab) and XLSX workbooks, with or without a
header row naming the columns."""

from __future__ import annotations

import codecs
import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from b2bportal.money import format_quantity
from b2bportal.text import header_key
from b2bportal.uploads import UploadRefused, xlsx_check
from orders.quick_order.rows import (
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    MAX_SHEET_ROWS,
    XLSX_LIMITS,
    QuickOrderError,
    QuickOrderRow,
    cell_text,
    parse_quantity_text,
    quantity_from_cell,
    raw_text,
    sku_error,
    too_many_rows,
)

SKU_HEADERS = frozenset(
    {"sku", "stok kodu", "urun kodu", "kod", "code", "item code", "malzeme kodu", "product code", "stock code"}
)
QUANTITY_HEADERS = frozenset({"quantity", "qty", "miktar", "adet"})
UNIT_HEADERS = frozenset({"unit", "birim", "unit code", "birim kodu"})


@dataclass(frozen=True)
class _Columns:
    sku: int
    quantity: int | None
    unit: int | None
    from_header: bool


def _is_number(value: object) -> bool:
    if isinstance(value, str):
        return parse_quantity_text(value) is not None
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _header_columns(cells: list, texts: list[str]) -> _Columns | None:
    """Columns named by a header row, or None when the row names none of SKU, quantity or unit. A row with a
    number in it is data ("A-1;5;ADET" names the unit ADET, not a quantity column)."""
    if any(_is_number(value) for value in cells):
        return None
    keys = [header_key(text) for text in texts]

    def first(names: frozenset[str]) -> int | None:
        return next((index for index, key in enumerate(keys) if key in names), None)

    sku, quantity, unit = first(SKU_HEADERS), first(QUANTITY_HEADERS), first(UNIT_HEADERS)
    if sku is None and quantity is None and unit is None:
        return None
    if sku is None:
        # A header with a quantity column under a name we do not know for the code: the first other column.
        sku = next(index for index in range(len(keys) + 1) if index not in (quantity, unit))
    return _Columns(sku=sku, quantity=quantity, unit=unit, from_header=True)


def _row_from_cells(line_no: int, cells: list, texts: list[str], columns: _Columns) -> QuickOrderRow:
    def cell(index: int | None) -> object:
        return cells[index] if index is not None and index < len(cells) else None

    def text(index: int | None) -> str:
        return texts[index] if index is not None and index < len(texts) else ""

    raw_cells = list(texts)
    while raw_cells and not raw_cells[-1]:
        raw_cells.pop()
    raw = raw_text(" | ".join(raw_cells))
    sku, unit_code = text(columns.sku), text(columns.unit)
    error = sku_error(sku)
    if error:
        return QuickOrderRow(line_no, sku, None, unit_code, raw, error)
    if columns.quantity is None:
        quantity, error = Decimal("1"), ""
    elif not text(columns.quantity):
        # Under a quantity heading an empty cell is a product left out of an order form, not "one of it".
        quantity, error = (None, _("No quantity given.")) if columns.from_header else (Decimal("1"), "")
    else:
        quantity, error = quantity_from_cell(cell(columns.quantity))
    return QuickOrderRow(line_no, sku, quantity, unit_code, raw, error)


def _rows_from_table(table: Iterable[tuple[int, list]]) -> list[QuickOrderRow]:
    """Rows from (row number, cells) pairs: a header row when the first non-empty row names its columns,
    otherwise SKU, quantity and unit in the first three columns. Blank rows are skipped."""
    columns: _Columns | None = None
    rows: list[QuickOrderRow] = []
    for line_no, values in table:
        cells = list(values[:MAX_COLUMNS])
        texts = [cell_text(value) for value in cells]
        if not any(texts):
            continue
        if columns is None:
            columns = _header_columns(cells, texts)
            if columns is not None:
                continue
            # Like a pasted line: SKU, quantity, optional unit. Reading a third column "KOLI" as pieces would
            # silently order a twelfth of what was meant; an unknown unit at least shows up in the preview.
            columns = _Columns(sku=0, quantity=1, unit=2, from_header=False)
        if len(rows) >= MAX_ROWS:
            raise too_many_rows()
        rows.append(_row_from_cells(line_no, cells, texts, columns))
    return rows


_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text"), else Windows-1254."""
    try:
        if data.startswith(codecs.BOM_UTF8):
            text = data[len(codecs.BOM_UTF8) :].decode("utf-8")
        elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            text = data.decode("utf-16")
        else:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text = data.decode("cp1254")
    except UnicodeDecodeError:
        raise _unreadable() from None
    if _CONTROL_CHARS.search(text):
        raise _unreadable()
    return text


def _unreadable() -> QuickOrderError:
    return QuickOrderError(_("The file could not be read. Please upload a CSV file or an Excel workbook (.xlsx)."))


def _delimiter(text: str) -> str:
    """The separator found on most of the first lines; on a tie tab before ";" before "," (a decimal comma
    sits beside ";" in Turkish files)."""
    sample = [line for line in text.splitlines()[:50] if line.strip()][:20]
    return max(("\t", ";", ","), key=lambda mark: sum(mark in line for line in sample))


def _parse_csv(data: bytes) -> list[QuickOrderRow]:
    text = _decode_text(data)
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _rows_from_table(enumerate(reader, start=1))
    except csv.Error:
        raise _unreadable() from None


def _sheet_rows(sheet) -> Iterator[tuple[int, list]]:
    for line_no, values in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1):
        if line_no > MAX_SHEET_ROWS:
            raise QuickOrderError(
                _("The sheet has more than %(max)s rows, blank ones included; please copy the list to a new sheet.")
                % {"max": format_quantity(MAX_SHEET_ROWS)}
            )
        yield line_no, list(values)


def _parse_xlsx(data: bytes) -> list[QuickOrderRow]:
    import openpyxl  # only when a workbook is uploaded

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = {member.filename for member in archive.infolist()}
    except (zipfile.BadZipFile, ValueError):
        raise _unreadable() from None
    if "[Content_Types].xml" not in names:
        raise _unreadable()
    try:
        xlsx_check(data, XLSX_LIMITS)
    except UploadRefused as refused:
        raise QuickOrderError(refused.message) from None
    try:
        # read_only streams the sheet; data_only reads the values Excel saved, never formulas; macros in a
        # workbook are not loaded (keep_vba is off).
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise _unreadable() from None
    try:
        if not workbook.worksheets:
            return []
        return _rows_from_table(_sheet_rows(workbook.worksheets[0]))
    except QuickOrderError:
        raise
    except Exception:
        raise _unreadable() from None
    finally:
        workbook.close()


def file_too_large() -> str:
    return _("The file is larger than %(max)s MB; please split the list.") % {"max": MAX_FILE_BYTES // (1024 * 1024)}


def parse_quick_order_file(data: bytes, filename: str) -> list[QuickOrderRow]:
    """Rows from an uploaded CSV or XLSX file (the first sheet). The content decides the format, not the name.

    CSV: UTF-8 with or without BOM, else Windows-1254 (what Turkish Excel saves); ";", "," or tab. A first row
    naming its columns (in Turkish or English, any case and accents: "Stok Kodu", "Miktar", "Birim", "SKU",
    "Qty", "Unit"…) picks the columns; without one the columns are SKU, quantity (empty: 1) and unit, as in
    pasted text. Under a quantity heading an empty cell is a row error. Line numbers are the spreadsheet's.
    Refuses with ``QuickOrderError``: an empty file, more than ``MAX_FILE_BYTES``, more than ``MAX_ROWS`` rows,
    old .xls, and anything that is neither text nor an .xlsx workbook.
    """
    if not data:
        raise QuickOrderError(_("The file is empty."))
    if len(data) > MAX_FILE_BYTES:
        raise QuickOrderError(file_too_large())
    if data.startswith(b"PK\x03\x04"):
        return _parse_xlsx(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise QuickOrderError(_("Old Excel files (.xls) cannot be read; please save the file as .xlsx or CSV."))
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise _unreadable()
    return _parse_csv(data)
