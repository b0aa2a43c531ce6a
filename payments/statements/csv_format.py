"""A bank's CSV export, read with a profile (``profiles.CsvProfile``) that names its columns and number formats.

The header row is the first row holding the booking date column (banks put title rows, the account and the
period above it); header names are matched ignoring case, spaces and Turkish letters ("AÇIKLAMA" is
"Açıklama"). Amounts are written as the profile says ("1.234,56", "-1.234,56", "1.234,56-", "1.234,56 TL");
a thousands separator must group by three, so "1234.56" read with a decimal comma is refused instead of
becoming 123456. With a balance column, every row must carry the previous balance plus its amount (in the file's
order or, for newest-first exports, in reverse); the first and last balances give the opening and closing ones.
The account IBAN comes from the import, else the profile, else the first valid IBAN above the header.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal
from itertools import pairwise

from django.utils.translation import gettext

from b2bportal.text import compact_key
from payments.statements.ibans import find_iban, statement_account
from payments.statements.profiles import CsvProfile
from payments.statements.records import ParsedStatement, StatementError, StatementLine, decode_text, money

HEADER_SEARCH_ROWS = 50
_CURRENCY_MARK = re.compile(r"^(?:TRY|TL|₺)|(?:TRY|TL|₺)$", re.IGNORECASE)


class _Row:
    def __init__(self, cells: list[str], line: int, header: dict[str, int], profile: CsvProfile, file_name: str):
        self.cells = cells
        self.line = line
        self.header = header
        self.profile = profile
        self.file_name = file_name

    def get(self, meaning: str) -> str:
        """The cell of the column with this meaning ("" where the row is short or the column unmapped); several
        description columns are joined."""
        values = []
        for name in self.profile.column(meaning):
            index = self.header[compact_key(name)]
            values.append(self.cells[index].strip() if index < len(self.cells) else "")
        return " ".join(value for value in values if value)

    def error(self, message: str, meaning: str = "") -> StatementError:
        column = self.profile.column(meaning)[0] if meaning and self.profile.column(meaning) else ""
        return StatementError(message, file_name=self.file_name, line=self.line, field=column)


def parse_csv(data: bytes, *, file_name: str, profile: CsvProfile, account_iban: str = "") -> list[ParsedStatement]:
    """The statement in a CSV file read with ``profile``: one statement of one account. Raises
    ``StatementError`` with the line and the column for a missing header column or a value that cannot be read."""
    text = decode_text(data, file_name=file_name, encodings=(profile.encoding,))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=profile.delimiter, quotechar=profile.quotechar)
    rows = _rows(reader, file_name)
    header_at = _header_index(rows, profile, file_name)
    header_line, header_cells = rows[header_at]
    header = {compact_key(cell): index for index, cell in reversed(list(enumerate(header_cells))) if compact_key(cell)}
    missing = [name for _, names in profile.columns for name in names if compact_key(name) not in header]
    if missing:
        raise StatementError(
            gettext("The header has no column %(columns)s; it has: %(found)s.")
            % {
                "columns": ", ".join(repr(name) for name in missing),
                "found": ", ".join(repr(cell.strip()) for cell in header_cells if cell.strip()),
            },
            file_name=file_name,
            line=header_line,
            field=missing[0],
        )
    lines: list[StatementLine] = []
    balances: list[Decimal] = []
    for line_number, cells in rows[header_at + 1 :]:
        if not any(cell.strip() for cell in cells):
            continue
        row = _Row(cells, line_number, header, profile, file_name)
        if any(cell.strip() for cell in cells[len(header_cells) :]):
            # With a comma delimiter and a decimal comma, an unquoted amount splits into two cells.
            raise row.error(
                gettext("The row has %(count)s cells, the header %(header)s: a value with the delimiter unquoted?")
                % {"count": len(cells), "header": len(header_cells)}
            )
        if not row.get("booking_date"):
            if profile.skip_rows_without_date:
                continue
            raise row.error(gettext("The row has no date."), "booking_date")
        lines.append(_line(row))
        if profile.column("balance"):
            balances.append(_amount(row, "balance", required=True))
    if not lines:
        raise StatementError(gettext("The file holds no statement rows."), file_name=file_name, line=header_line)
    currencies = {line.currency for line in lines}
    if len(currencies) > 1:
        raise StatementError(
            gettext("The rows are in several currencies (%(currencies)s); a statement has one.")
            % {"currencies": ", ".join(sorted(currencies))},
            file_name=file_name,
        )
    opening, closing = _balances(lines, balances, file_name)
    preamble = " ".join(" ".join(cells) for _, cells in rows[:header_at])
    account = statement_account(account_iban or profile.account_iban or find_iban(preamble)).number
    if not account:
        raise StatementError(
            gettext("The file does not name the account's IBAN: give it with the import or in the profile."),
            file_name=file_name,
        )
    return [
        ParsedStatement(
            account=account,
            currency=currencies.pop(),
            lines=tuple(lines),
            period_start=min(line.booking_date for line in lines),
            period_end=max(line.booking_date for line in lines),
            opening_balance=opening,
            closing_balance=closing,
            line=header_line,
        )
    ]


def _rows(reader, file_name: str) -> list[tuple[int, list[str]]]:
    rows = []
    try:
        for cells in reader:
            rows.append((reader.line_num, cells))
    except csv.Error as exc:
        raise StatementError(
            gettext("The CSV cannot be read: %(error)s.") % {"error": exc}, file_name=file_name, line=reader.line_num
        ) from None
    return rows


def _header_index(rows: list[tuple[int, list[str]]], profile: CsvProfile, file_name: str) -> int:
    wanted = compact_key(profile.column("booking_date")[0])
    for index, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if any(compact_key(cell) == wanted for cell in cells):
            return index
    raise StatementError(
        gettext("No header row with the column %(column)r in the first %(count)s lines: is this the right profile?")
        % {"column": profile.column("booking_date")[0], "count": HEADER_SEARCH_ROWS},
        file_name=file_name,
        line=1,
        field=profile.column("booking_date")[0],
    )


def _line(row: _Row) -> StatementLine:
    profile = row.profile
    if profile.column("amount"):
        amount = _amount(row, "amount", required=True)
        direction = row.get("direction")
        if direction:
            markers = {_marker(marker) for marker in profile.debit_markers}
            amount = -abs(amount) if _marker(direction) in markers else abs(amount)
    else:
        debit = _amount(row, "debit", required=False)
        credit = _amount(row, "credit", required=False)
        if debit is None and credit is None:
            raise row.error(gettext("The row has neither a debit nor a credit amount."), "credit")
        if debit and credit:
            raise row.error(gettext("The row has both a debit and a credit amount."), "credit")
        # Banks write debits with or without a minus; a minus in the credit column is a reversal, money out.
        amount = (credit or Decimal("0")) - abs(debit or Decimal("0"))
    currency = (row.get("currency") or profile.currency).upper()
    if currency == "TL":
        currency = "TRY"
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise row.error(gettext("%(value)r is not a currency code.") % {"value": currency}, "currency")
    return StatementLine(
        booking_date=_date(row, "booking_date"),
        value_date=_date(row, "value_date") if row.get("value_date") else None,
        amount=amount,
        currency=currency,
        counterparty_name=row.get("counterparty_name"),
        counterparty_iban=row.get("counterparty_iban"),
        description=row.get("description"),
        bank_reference=row.get("reference"),
        line=row.line,
    )


def _marker(text: str) -> str:
    return compact_key(text) or text.strip()


def _amount(row: _Row, meaning: str, *, required: bool) -> Decimal | None:
    text = row.get(meaning)
    if not text:
        if required:
            raise row.error(gettext("The amount is missing."), meaning)
        return None
    value = parse_amount(text, decimal=row.profile.decimal_separator, thousands=row.profile.thousands_separator)
    if value is None:
        example = "1.234,56" if row.profile.decimal_separator == "," else "1,234.56"
        raise row.error(
            gettext("%(value)r is not an amount written like %(example)s.") % {"value": text, "example": example},
            meaning,
        )
    column = row.profile.column(meaning)[0]
    return money(value, file_name=row.file_name, line=row.line, field=column)


def parse_amount(text: str, *, decimal: str, thousands: str) -> Decimal | None:
    """``text`` as a signed Decimal, or ``None`` when it is not written with these separators. Accepts a sign in
    front or behind, parentheses for negative, and TL/TRY/₺ before or after."""
    value = text.strip().replace("\u00a0", " ")
    value = _CURRENCY_MARK.sub("", value).strip()
    negative = False
    if value.startswith("(") and value.endswith(")"):
        negative, value = True, value[1:-1].strip()
    if value[:1] in "+-" and value:
        negative, value = value[0] == "-", value[1:].strip()
    elif value[-1:] in "+-" and value:
        negative, value = value[-1] == "-", value[:-1].strip()
    if thousands != " ":
        value = value.replace(" ", "")
    group = re.escape(thousands)
    point = re.escape(decimal)
    plain = rf"\d+(?:{point}\d+)?"
    grouped = rf"\d{{1,3}}(?:{group}\d{{3}})+(?:{point}\d+)?" if thousands else plain
    if not re.fullmatch(rf"{plain}|{grouped}", value):
        return None
    if thousands:
        value = value.replace(thousands, "")
    number = Decimal(value.replace(decimal, "."))
    return -number if negative else number


def _date(row: _Row, meaning: str) -> date:
    text = row.get(meaning)
    parsed = parse_date(text, row.profile.date_format)
    if parsed is None:
        raise row.error(
            gettext("%(value)r is not a date written as %(format)s.")
            % {"value": text, "format": row.profile.date_format},
            meaning,
        )
    return parsed


def parse_date(text: str, date_format: str) -> date | None:
    """``text`` read with a dd/mm/yyyy style format; a time after the date (``12.03.2025 14:05``) is ignored."""
    pattern = ""
    for token in re.findall(r"dd|mm|yyyy|yy|.", date_format):
        pattern += {
            "dd": r"(?P<day>\d{1,2})",
            "mm": r"(?P<month>\d{1,2})",
            "yyyy": r"(?P<year>\d{4})",
            "yy": r"(?P<short_year>\d{2})",
        }.get(token, re.escape(token))
    match = re.match(rf"{pattern}(?:\s.*)?$", text.strip())
    if not match:
        return None
    parts = match.groupdict()
    year = int(parts["year"]) if parts.get("year") else 2000 + int(parts["short_year"])
    try:
        return date(year, int(parts["month"]), int(parts["day"]))
    except ValueError:
        return None


def _balances(
    lines: list[StatementLine], balances: list[Decimal], file_name: str
) -> tuple[Decimal | None, Decimal | None]:
    """Opening and closing balance from the running balance column, checked row by row."""
    if not balances:
        return None, None
    forward = list(range(len(lines)))
    gap = _first_gap(forward, lines, balances)
    if gap is None:
        return balances[0] - lines[0].amount, balances[-1]
    if _first_gap(forward[::-1], lines, balances) is None:  # newest first
        return balances[-1] - lines[-1].amount, balances[0]
    raise StatementError(
        gettext(
            "The balance %(balance)s does not follow from the previous row's balance and this row's amount "
            "%(amount)s (neither oldest-first nor newest-first): check the profile's amount columns."
        )
        % {"balance": balances[gap], "amount": lines[gap].amount},
        file_name=file_name,
        line=lines[gap].line,
    )


def _first_gap(order: list[int], lines: list[StatementLine], balances: list[Decimal]) -> int | None:
    for previous, current in pairwise(order):
        if balances[previous] + lines[current].amount != balances[current]:
            return current
    return None
