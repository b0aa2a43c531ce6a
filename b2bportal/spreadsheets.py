"""CSV and XLSX files for people who open them in Excel: statements, reconciliation exports.

- Formula injection: a text cell starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return is written with
  a leading apostrophe, so Excel shows it as text instead of running it. Numbers, dates and booleans are written
  as such (a negative amount stays a number).
- Memory stays flat whatever the number of rows: CSV rows are produced one by one, XLSX is written by openpyxl's
  write-only workbook, which streams rows to a temporary file.
- CSV comes in two dialects (``CsvDialect``): the international one (``,`` between fields, a decimal point, ISO
  dates) and the one Excel opens by double-click on a Turkish Windows (``;`` between fields, a decimal comma, dates
  as DD.MM.YYYY); both UTF-8 with a BOM. ``csv_dialect_for`` picks the reader's from their language.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONEY_FORMAT = "#,##0.00"
DATE_FORMAT = "yyyy-mm-dd"


@dataclass(frozen=True)
class CsvDialect:
    """How a CSV writes its fields: separator, decimal mark and date format (``strftime``)."""

    key: str
    delimiter: str
    decimal: str
    date_format: str


INTERNATIONAL_CSV = CsvDialect(key="intl", delimiter=",", decimal=".", date_format="%Y-%m-%d")
# Excel with Turkish regional settings splits fields on ";" and reads "1234,56" and "31.01.2026" as number and date.
TURKISH_EXCEL_CSV = CsvDialect(key="tr", delimiter=";", decimal=",", date_format="%d.%m.%Y")
CSV_DIALECTS = {dialect.key: dialect for dialect in (INTERNATIONAL_CSV, TURKISH_EXCEL_CSV)}


def csv_dialect_for(language: str | None) -> CsvDialect:
    """The CSV dialect of a reader of ``language``: Turkish Excel's for Turkish, the international one otherwise."""
    return TURKISH_EXCEL_CSV if (language or "").lower().startswith("tr") else INTERNATIONAL_CSV


class SummaryRow(tuple):
    """A row that sums up others (opening and closing balances, totals): written bold in XLSX."""

    __slots__ = ()


def safe_text(value: str) -> str:
    """``value`` as a spreadsheet shows it: with an apostrophe in front when Excel would read it as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def cell_value(value: Any) -> Any:
    """A value fit for a cell: numbers, dates and booleans as they are, aware datetimes in local time without a
    zone (Excel has none), None empty, anything else as escaped text."""
    if value is None:
        return ""
    if isinstance(value, bool | int | Decimal | float):
        return value
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return value
    return safe_text(str(value))


def _csv_value(value: Any, dialect: CsvDialect = INTERNATIONAL_CSV) -> str:
    value = cell_value(value)
    if isinstance(value, datetime):
        return value.strftime(f"{dialect.date_format} %H:%M:%S")
    if isinstance(value, date):
        return value.strftime(dialect.date_format)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Decimal | float | int):
        return str(value).replace(".", dialect.decimal)  # no grouping: Excel reads the plain number either way
    return str(value)


class _Line(io.StringIO):
    """A one-line buffer csv.writer writes into; read back and emptied after each row."""

    def take(self) -> str:
        text = self.getvalue()
        self.seek(0)
        self.truncate()
        return text


def csv_chunks(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    bom: bool = True,
    dialect: CsvDialect = INTERNATIONAL_CSV,
) -> Iterator[bytes]:
    """The CSV file as UTF-8 byte chunks, one per row (with a BOM first, so Excel reads Turkish letters right),
    in ``dialect``; for ``StreamingHttpResponse`` or a file."""
    line = _Line()
    writer = csv.writer(line, delimiter=dialect.delimiter, lineterminator="\r\n")
    writer.writerow([safe_text(str(h)) for h in header])
    yield ("\ufeff" if bom else "").encode() + line.take().encode()
    for row in rows:
        writer.writerow([_csv_value(v, dialect) for v in row])
        yield line.take().encode("utf-8")


def csv_write(target: IO[bytes], header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write the CSV into ``target``; returns the number of data rows."""
    chunks = csv_chunks(header, rows)
    target.write(next(chunks))  # the header
    count = 0
    for chunk in chunks:
        target.write(chunk)
        count += 1
    return count


def xlsx_write(
    target: IO[bytes] | str,
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    title: str = "Sheet",
    money_columns: Iterable[int] = (),
    widths: Sequence[int] | None = None,
) -> int:
    """Write an XLSX with one sheet into ``target`` (a path or a binary file), streaming the rows; returns the
    number of rows. ``money_columns`` get a money number format; ``SummaryRow`` rows are bold."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    if widths:
        from openpyxl.utils import get_column_letter

        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)
    header_cells = []
    for name in header:
        cell = WriteOnlyCell(sheet, value=safe_text(str(name)))
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    money = frozenset(money_columns)
    count = 0
    for row in rows:
        strong = isinstance(row, SummaryRow)
        cells = []
        for index, value in enumerate(row):
            # Only a cell that needs a style is wrapped: plain values are written several times faster.
            number_format = None
            if index in money and isinstance(value, Decimal | int | float) and not isinstance(value, bool):
                number_format = MONEY_FORMAT
            elif isinstance(value, date) and not isinstance(value, datetime):
                number_format = DATE_FORMAT
            if number_format is None and not strong:
                cells.append(cell_value(value))
                continue
            cell = WriteOnlyCell(sheet, value=cell_value(value))
            if number_format:
                cell.number_format = number_format
            if strong:
                cell.font = bold
            cells.append(cell)
        sheet.append(cells)
        count += 1
    workbook.save(target)
    return count
