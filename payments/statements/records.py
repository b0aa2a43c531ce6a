"""What a parser hands to the importer: plain, frozen records of a statement and its lines, and the one error
type every parser raises."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import BinaryIO

from django.utils.translation import gettext

#: A statement file larger than this is refused before it is parsed. A busy account's monthly MT940 or CAMT.053
#: file is a few megabytes; the cap keeps a hostile or mistaken upload from eating the server's memory.
MAX_STATEMENT_BYTES = 20 * 1024 * 1024

CENT = Decimal("0.01")


class StatementError(Exception):
    """A statement file that cannot be imported, and where: the file name, the line and, when known, the field
    (an MT940 tag, an XML element, a CSV column). Nothing of such a file is stored."""

    def __init__(self, message: str, *, file_name: str = "", line: int | None = None, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.file_name = file_name
        self.line = line
        self.field = field

    def located(self, *, file_name: str | None = None, line: int | None = None) -> StatementError:
        """The same error with the file name or line filled in where it was not known yet."""
        return StatementError(
            self.message,
            file_name=self.file_name or file_name or "",
            line=self.line if self.line is not None else line,
            field=self.field,
        )

    def __str__(self) -> str:
        where = []
        if self.file_name:
            where.append(self.file_name)
        if self.line is not None:
            where.append(gettext("line %(line)s") % {"line": self.line})
        if self.field:
            where.append(self.field)
        return f"{', '.join(where)}: {self.message}" if where else self.message


@dataclass(frozen=True)
class StatementLine:
    """One booked line as the bank wrote it. ``amount`` is signed: positive is money in, negative money out.
    ``counterparty_iban`` is the text found in the file, not yet validated."""

    booking_date: date
    amount: Decimal
    currency: str
    value_date: date | None = None
    counterparty_name: str = ""
    counterparty_iban: str = ""
    description: str = ""
    bank_reference: str = ""
    line: int | None = None


@dataclass(frozen=True)
class ParsedStatement:
    """One statement of one account. ``account`` is the account as ``ibans.statement_account`` writes it (normally
    an IBAN). Balances are signed like amounts; ``None`` where the file has none. ``opening_interim`` and
    ``closing_interim`` say that a balance is an interim one (MT940 ``:60M:``/``:62M:``): the statement is a page
    of a day that goes on before or after it."""

    account: str
    currency: str
    lines: tuple[StatementLine, ...]
    statement_id: str = ""
    period_start: date | None = None
    period_end: date | None = None
    opening_balance: Decimal | None = None
    closing_balance: Decimal | None = None
    line: int | None = None
    opening_interim: bool = False
    closing_interim: bool = False


def money(value: str | Decimal, *, file_name: str, line: int | None, field: str) -> Decimal:
    """``value`` as a Decimal with at most two decimals; anything else is refused rather than rounded."""
    try:
        amount = Decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        raise StatementError(
            gettext("%(value)r is not an amount.") % {"value": value}, file_name=file_name, line=line, field=field
        ) from None
    if not amount.is_finite():
        raise StatementError(
            gettext("%(value)r is not an amount.") % {"value": value}, file_name=file_name, line=line, field=field
        )
    if amount != amount.quantize(CENT):
        raise StatementError(
            gettext("The amount %(value)s has more than two decimals.") % {"value": value},
            file_name=file_name,
            line=line,
            field=field,
        )
    if abs(amount) >= Decimal("1e14"):
        raise StatementError(
            gettext("The amount %(value)s is too large.") % {"value": value},
            file_name=file_name,
            line=line,
            field=field,
        )
    return amount.quantize(CENT)


def balance_check(statement: ParsedStatement, *, file_name: str, total: Decimal | None = None) -> None:
    """Refuse a statement whose lines do not add up from the opening to the closing balance: a truncated or
    spliced file, or a line read with the wrong sign. Statements without both balances are not checked.
    ``total`` is the sum of the lines when the statement was read without keeping them."""
    if statement.opening_balance is None or statement.closing_balance is None:
        return
    if total is None:
        total = sum((line.amount for line in statement.lines), Decimal("0"))
    if statement.opening_balance + total != statement.closing_balance:
        raise StatementError(
            gettext(
                "The lines do not add up: opening balance %(opening)s plus the lines %(total)s is %(expected)s, "
                "but the closing balance is %(closing)s. The file may be incomplete."
            )
            % {
                "opening": statement.opening_balance,
                "total": total,
                "expected": statement.opening_balance + total,
                "closing": statement.closing_balance,
            },
            file_name=file_name,
            line=statement.line,
        )


def decode_text(data: bytes, *, file_name: str, encodings: tuple[str, ...] = ("utf-8", "cp1254")) -> str:
    """The file's text with line ends made ``\\n``: a UTF-8 byte-order mark dropped, then the first of
    ``encodings`` that decodes the whole file. Refuses binary files and text none of them can read."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise StatementError(gettext("This is not a text file."), file_name=file_name, line=line)
    failures: list[UnicodeDecodeError] = []
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError as exc:
            failures.append(exc)
            continue
        return text.replace("\r\n", "\n").replace("\r", "\n")
    # The encoding that read furthest is the file's: its failure is the byte at fault, not the first byte another
    # encoding could not read (a Turkish letter in a Windows-1254 file is no UTF-8).
    failure = max(failures, key=lambda exc: exc.start)
    line_start = data.rfind(b"\n", 0, failure.start) + 1
    raise _undecodable(
        data[failure.start],
        line=data.count(b"\n", 0, failure.start) + 1,
        position=failure.start - line_start + 1,
        file_name=file_name,
        encodings=encodings,
    )


def _undecodable(byte: int, *, line: int, position: int, file_name: str, encodings: tuple[str, ...]) -> StatementError:
    return StatementError(
        gettext("The text cannot be read as %(encodings)s: byte 0x%(byte)02x at position %(position)s of the line.")
        % {"encodings": " / ".join(encodings), "byte": byte, "position": position},
        file_name=file_name,
        line=line,
    )


_BOM = b"\xef\xbb\xbf"


def text_encoding(file: BinaryIO, *, file_name: str, encodings: tuple[str, ...] = ("utf-8", "cp1254")) -> str:
    """What ``decode_text`` decides, for a file read line by line instead of held in memory: the first of
    ``encodings`` that decodes every line (encodings in which a newline byte is always a line end: UTF-8 and
    single-byte code pages). Refuses binary files and text none of them can read, like ``decode_text``."""
    failures: list[tuple[int, int, int]] = []  # (line, position in the line, byte) where each encoding failed
    for encoding in encodings:
        failure = None
        for number, raw in enumerate(_raw_lines(file), start=1):
            if b"\x00" in raw:
                raise StatementError(gettext("This is not a text file."), file_name=file_name, line=number)
            try:
                raw.decode(encoding)
            except UnicodeDecodeError as exc:
                failure = (number, exc.start + 1, raw[exc.start])
                break
        if failure is None:
            return encoding
        failures.append(failure)
    line, position, byte = max(failures)
    raise _undecodable(byte, line=line, position=position, file_name=file_name, encodings=encodings)


def text_lines(file: BinaryIO, encoding: str) -> Iterator[str]:
    """The file's lines decoded with ``encoding``, without their line ends (``\r\n``, ``\n`` or ``\r``), one at a
    time; numbered as ``decode_text(...).split("\n")`` numbers them."""
    for raw in _raw_lines(file):
        text = raw.decode(encoding)
        text = text[:-1] if text.endswith("\n") else text
        text = text[:-1] if text.endswith("\r") else text
        yield from text.split("\r")


def _raw_lines(file: BinaryIO) -> Iterator[bytes]:
    file.seek(0)
    if file.read(3) != _BOM:
        file.seek(0)
    # Not "yield from file": closing this generator early would close the file too.
    for raw in file:  # noqa: UP028
        yield raw
