"""MT940 statements, read with the ``mt-940`` package and checked more strictly than it checks them.

The package parses the tags; this module finds the tags and their lines itself, so that a file is refused with
the line at fault instead of being read in part: text outside any tag, a statement without account or balances
(a truncated file), a tag the package cannot read, lines that do not add up from the opening to the closing
balance. A file may hold several statements (one ``:20:`` block each, e.g. one per day).

Turkish banks' files: UTF-8 or Windows-1254 text, often wrapped in a SWIFT envelope (``{1:…}{2:…}{4:`` … ``-}``),
currency TRY, and a ``:86:`` that is either the structured ``NNN?20…?31…?32…`` form, SWIFT codes such as
``/NAME/…/IBAN/…/REMI/…``, or plain text with the counterparty's IBAN somewhere inside.
"""

from __future__ import annotations

import io
import logging
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from itertools import pairwise
from typing import Any, BinaryIO

import mt940
from django.utils.translation import gettext

from payments.statements.fingerprints import normalise_reference
from payments.statements.ibans import find_iban, normalise_iban, statement_account
from payments.statements.records import (
    ParsedStatement,
    StatementError,
    StatementLine,
    balance_check,
    money,
    text_encoding,
    text_lines,
)

_TAG = re.compile(r"^:(?P<full>(?P<id>\d{2}|NS)(?P<letter>[A-Z])?):", re.IGNORECASE)
# The SWIFT envelope around each message: "{1:F01…}{2:I940…}{3:{108:…}}{4:" before the text (on one line or one
# block a line), "-}" and trailer blocks "{5:{CHK:…}}" after it, often with the next message's header on the same
# line. A block holds at most one level of nested blocks.
_BLOCK = r"\{[1-5]:(?:[^{}]|\{[^{}]*\})*\}"
_ENVELOPE = re.compile(rf"^(?P<end>-\}}|-XXX)?(?P<blocks>(?:{_BLOCK})*)(?P<open>\{{4:)?(?P<rest>.*)$")
# What banks write above the first field of a message (only there, never inside a statement): ":940:"
# (Rabobank), "940" between two lines of the bank's BIC (ABN AMRO "ABNANL2A / 940 / ABNANL2A", bunq alike), and
# ING's "0000 01INGBNL2AXXXX00001" / "940 00" export header. A BIC line counts only with the "940" line.
_PREAMBLE = re.compile(r"^(?::940:|940(?: 00)?|\d{4} \d{2}[A-Z0-9]{12}\d{5})$")
_PREAMBLE_BIC = re.compile(r"^[A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?$")
# Transmission framing: start of heading (SOH) before a message and end of text (ETX) after it.
_FRAMING = str.maketrans("", "", "\x01\x03")
# A balance (:60F:, :62F:, …): debit/credit mark, date YYMMDD, currency, amount with a decimal comma. Checked here
# because the package reads "C250303TR25250,00" as currency "TR2" and "…25250,0X" as 25250.0 without a word.
_BALANCE = re.compile(r"^[CD]\d{6}[A-Z]{3}\d+(?:,\d*)?$")
_SLASH_CODES = re.compile(r"/([A-Z]{2,4})/(.*?)(?=/[A-Z]{2,4}/|$)", re.DOTALL)
_OPENING = ("60F", "60M", "60")
_CLOSING = ("62F", "62M", "62")
#: Statement lines read with the package at a time: a statement of any length is read in windows of this many.
WINDOW = 500
#: MT940 wraps ``:86:`` at 65 characters, often in the middle of a word.
_WRAP = 65

log = logging.getLogger(__name__)
# The package logs every field it cannot read as a handful of ERROR records with its regular expressions; the
# refusal already says which field and line, so the package is kept quiet while a file is read here.
_PACKAGE_LOG = logging.getLogger("mt940")
_quiet_lock = threading.Lock()
_quiet_readers = 0
_package_level = logging.NOTSET


@dataclass
class _Tag:
    full: str
    line: int
    lines: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f":{self.full}:"

    @property
    def value(self) -> str:
        return "\n".join(self.lines)[len(self.label) :].strip()


def parse_mt940(data: bytes, *, file_name: str) -> list[ParsedStatement]:
    """Every statement in an MT940 file, in file order, with its lines. Raises ``StatementError`` with the line
    for anything it cannot read completely."""
    statements: list[ParsedStatement] = []
    lines: list[StatementLine] = []
    for part in read_mt940(io.BytesIO(data), file_name=file_name):
        if isinstance(part, ParsedStatement):
            statements.append(replace(part, lines=tuple(lines)))
            lines = []
        else:
            lines.extend(part)
    return statements


def read_mt940(file: BinaryIO, *, file_name: str) -> Iterator[tuple[StatementLine, ...] | ParsedStatement]:
    """The statements of an MT940 file, read from ``file`` a line at a time rather than held in memory: for each
    statement, its lines in batches of at most ``WINDOW``, then the statement itself, its ``lines`` left empty,
    once its closing balance is read and the lines are checked against it. Raises ``StatementError`` with the
    line for anything it cannot read completely (what was yielded before is then to be thrown away)."""
    encoding = text_encoding(file, file_name=file_name)
    statement: _StatementReader | None = None
    for tag in _scan(text_lines(file, encoding), file_name):
        if tag.full == "20":
            if statement is not None:
                yield from statement.finish()
            statement = _StatementReader(tag, file_name)
        elif statement is None:
            raise StatementError(
                gettext("A statement must start with :20:, found %(tag)s.") % {"tag": tag.label},
                file_name=file_name,
                line=tag.line,
                field=tag.label,
            )
        else:
            yield from statement.add(tag)
    if statement is None:
        raise StatementError(gettext("No MT940 statement (:20:) in the file."), file_name=file_name, line=1)
    yield from statement.finish()


def looks_like_mt940(head: bytes) -> bool:
    """Whether the start of a file is MT940: its first field, past the envelope, framing and preambles this
    module accepts, is ``:20:``."""
    lines = head.decode("latin-1").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    try:
        first = next(_scan(lines[:-1] if len(lines) > 1 else lines, ""), None)
    except StatementError:
        return False
    return first is not None and first.full == "20"


def _known(full: str, tag_id: str) -> bool:
    tags = mt940.tags.TAG_BY_ID
    return full in tags or (int(tag_id) if tag_id.isdigit() else tag_id) in tags


def _scan(lines: Iterable[str], file_name: str) -> Iterator[_Tag]:
    """The tags of the file with the line each starts on, each yielded once complete; text of an unknown tag
    belongs to the tag before it, as the ``mt-940`` package reads it.

    Between messages (before the first field of the file, after a ``-``/``-}`` trailer, from a SWIFT header on)
    the SWIFT envelope, SOH/ETX framing and the banks' preambles (``_PREAMBLE``) are skipped; any other text
    outside a field is refused with its line."""
    tag: _Tag | None = None
    between = True
    bic: tuple[int, str] | None = None  # the preamble's BIC line, which needs its "940" line
    saw_940 = False
    for number, raw in enumerate(lines, start=1):
        line = raw.translate(_FRAMING).rstrip()
        stripped = line.strip()
        if stripped == "-":
            between, bic, saw_940 = True, None, False
            continue
        envelope = _ENVELOPE.match(stripped)
        if envelope and (envelope["end"] or envelope["blocks"] or envelope["open"]):
            between, bic, saw_940 = True, None, False
            line = envelope["rest"].rstrip()
            stripped = line.strip()
        if not stripped:
            continue
        match = _TAG.match(line)
        if match and _known(match.group("full").upper(), match.group("id").upper()):
            if bic is not None and not saw_940:
                raise _outside(*bic, file_name)
            if tag is not None:
                yield tag
            tag = _Tag(full=match.group("full").upper(), line=number, lines=[line])
            between, bic, saw_940 = False, None, False
        elif between and _PREAMBLE.match(stripped):
            saw_940 = True
        elif between and _PREAMBLE_BIC.match(stripped):
            bic = bic or (number, stripped)
        elif tag is not None and not between:
            tag.lines.append(line)
        else:
            raise _outside(number, stripped, file_name)
    if tag is not None:
        yield tag


def _outside(line: int, text: str, file_name: str) -> StatementError:
    return StatementError(
        gettext("Text outside any MT940 field: %(text)r.") % {"text": text[:40]}, file_name=file_name, line=line
    )


class _StatementReader:
    """One statement, fed its tags in order: the header (``:20:`` to the opening balance and what follows it up
    to the first line), the lines (each ``:61:`` with the tags after it) read ``WINDOW`` at a time with the
    header, and the closing part (the closing balance and what follows it). An ``:86:`` after the closing balance
    informs the account owner and is left out; the package would add it to the last line."""

    def __init__(self, first: _Tag, file_name: str) -> None:
        self.file_name = file_name
        self.start = first.line
        self.last = first
        self.header: list[_Tag] = [first]
        self.window: list[_Tag] = []
        self.window_lines = 0
        self.closing: list[_Tag] = []
        self.header_checked = False
        self.count = 0
        self.total = Decimal("0")
        self.first_date: date | None = None

    def add(self, tag: _Tag) -> Iterator[tuple[StatementLine, ...]]:
        self.last = tag
        if tag.full == "61" and self.closing:
            raise self._misplaced(tag)
        if self.closing:
            self.closing.append(tag)
        elif tag.full in _CLOSING:
            yield from self._flush()
            self.closing.append(tag)
        elif tag.full == "61":
            if self.window_lines == WINDOW:
                yield from self._flush()
            self._check_header()
            self.window.append(tag)
            self.window_lines += 1
        elif self.window or self.count:
            if tag.full in _OPENING:
                raise self._misplaced(self.window[0] if self.window else tag)
            self.window.append(tag)
        else:
            self.header.append(tag)

    def finish(self) -> Iterator[tuple[StatementLine, ...] | ParsedStatement]:
        """The last lines, then the statement, its balances and lines checked."""
        self._check_header()
        if not self.closing:
            raise StatementError(
                gettext("The statement has no closing balance (:62F:): the file looks truncated."),
                file_name=self.file_name,
                line=self.last.line,
                field=":62F:",
            )
        yield from self._flush()
        for tag in self.closing:
            if tag.full in _CLOSING:
                _check_balance(tag, self.file_name)
        closing_tags = [tag for tag in self.closing if tag.full != "86"]
        parsed = _parse_block(self.header + closing_tags, self.file_name)
        account, currency, _ = self._facts(parsed)
        data = parsed.data
        opening = _balance(data, ("final_opening_balance", "intermediate_opening_balance", "opening_balance"))
        closing = _balance(data, ("final_closing_balance", "intermediate_closing_balance", "closing_balance"))
        number = "/".join(filter(None, (data.get("statement_number"), data.get("sequence_number"))))
        closing_date = _date(closing.date)
        statement = ParsedStatement(
            account=account,
            currency=currency,
            lines=(),
            statement_id=number or (data.get("transaction_reference") or "").strip(),
            period_start=min(filter(None, [self.first_date, closing_date])),
            period_end=closing_date,
            opening_balance=_balance_amount(opening, self.header, _OPENING, self.file_name),
            closing_balance=_balance_amount(closing, closing_tags, _CLOSING, self.file_name),
            line=self.start,
            opening_interim=_balance_tag(self.header, _OPENING).full == "60M",
            closing_interim=_balance_tag(closing_tags, _CLOSING).full == "62M",
        )
        balance_check(statement, file_name=self.file_name, total=self.total)
        yield statement

    def _check_header(self) -> None:
        """A statement has its account and an opening balance before its lines."""
        if self.header_checked:
            return
        names = [tag.full for tag in self.header]
        if "25" not in names:
            raise StatementError(
                gettext("The statement has no account (:25:)."), file_name=self.file_name, line=self.start, field=":25:"
            )
        if not any(name in _OPENING for name in names):
            raise StatementError(
                gettext("The statement has no opening balance (:60F:)."),
                file_name=self.file_name,
                line=self.start,
                field=":60F:",
            )
        for tag in self.header:
            if tag.full in _OPENING:
                _check_balance(tag, self.file_name)
        self.header_checked = True

    def _flush(self) -> Iterator[tuple[StatementLine, ...]]:
        """The lines of the window, read with the header."""
        if not self.window:
            return
        parsed = _parse_block(self.header + self.window, self.file_name)
        line_tags = [tag for tag in self.window if tag.full == "61"]
        if len(parsed.transactions) != len(line_tags):
            # Each :61: must stay a line of its own; the package merges one it reads without a type code into the line
            # before it (``_without_type_code`` gives every line one).
            raise StatementError(
                gettext("The statement lines cannot be told apart (a :61: without a transaction type code?)."),
                file_name=self.file_name,
                line=self.start,
                field=":61:",
            )
        _, currency, own_ibans = self._facts(parsed)
        batch = tuple(
            _line(transaction.data, tag, currency, own_ibans, self.file_name)
            for transaction, tag in zip(parsed.transactions, line_tags, strict=True)
        )
        self.count += len(batch)
        self.total += sum((line.amount for line in batch), Decimal("0"))
        self.first_date = min(filter(None, [self.first_date, *(line.booking_date for line in batch)]))
        self.window, self.window_lines = [], 0
        yield batch

    def _facts(self, parsed: mt940.models.Transactions) -> tuple[str, str, frozenset[str]]:
        """The account (its IBAN, a currency written after it checked against the balances'), the currency and
        the account's own IBANs."""
        account_tag = next(tag for tag in self.header if tag.full == "25")
        # Read from the field itself: the package cuts it at 35 characters, inside an IBAN written in groups.
        account = statement_account(account_tag.value)
        if not account.number:
            raise StatementError(
                gettext("The statement has no account (:25:)."),
                file_name=self.file_name,
                line=account_tag.line,
                field=account_tag.label,
            )
        currency = (parsed.currency or "").upper()
        if not re.fullmatch(r"[A-Z]{3}", currency):
            raise StatementError(
                gettext("%(value)r is not a currency code.") % {"value": currency},
                file_name=self.file_name,
                line=self.start,
            )
        if account.currency and account.currency != currency:
            raise StatementError(
                gettext(
                    "The account %(account)s is written with the currency %(written)s, its balances are in "
                    "%(currency)s."
                )
                % {"account": account.number, "written": account.currency, "currency": currency},
                file_name=self.file_name,
                line=account_tag.line,
                field=account_tag.label,
            )
        own_ibans = frozenset(filter(None, [normalise_iban(account.number)]))
        return account.number, currency, own_ibans

    def _misplaced(self, tag: _Tag) -> StatementError:
        return StatementError(
            gettext("A statement line (:61:) must stand between the opening and the closing balance."),
            file_name=self.file_name,
            line=tag.line,
            field=tag.label,
        )


def _check_balance(tag: _Tag, file_name: str) -> None:
    if _BALANCE.match(tag.value):
        return
    message = (
        gettext("The opening balance cannot be read: %(value)r (expected e.g. C250303TRY10000,00).")
        if tag.full in _OPENING
        else gettext("The closing balance cannot be read: %(value)r (expected e.g. C250303TRY25250,00).")
    )
    raise _unreadable(tag, message % {"value": tag.value[:80]}, file_name)


#: A SWIFT transaction type: N, S or F and three letters or digits (NTRF, NMSC, S103, FCHG).
_TYPE_CODE = re.compile(r"[NSF][A-Z0-9]{3}")
#: What a :61: without a type code is given in its place, so that the package keeps it a line of its own.
_NO_TYPE_CODE = "----"


def _without_type_code(transactions, tag, tag_dict: dict[str, Any], *args) -> dict[str, Any]:
    """Many banks leave the transaction type code out of ``:61:`` (``…C20,00NONREF//REF``). The package then
    reads the first four characters of the reference as the code ("NONR", leaving "EF" as the reference), or
    without any reference merges the line into the one before it. A code is taken as one only when it has the
    code's form and what follows it is not all of a placeholder reference such as NONREF; otherwise the whole text
    is the reference."""
    code = tag_dict.get("id") or ""
    written = code + (tag_dict.get("customer_reference") or "")
    if _TYPE_CODE.fullmatch(code) and normalise_reference(written):
        return tag_dict
    return {**tag_dict, "id": _NO_TYPE_CODE, "customer_reference": written.strip()}


_PROCESSORS = {
    "pre_statement": [*mt940.models.Transactions.DEFAULT_PROCESSORS["pre_statement"], _without_type_code],
}


def _transactions(tags: list[_Tag]) -> mt940.models.Transactions:
    parsed = mt940.models.Transactions(options=mt940.Options.all(), processors=_PROCESSORS)
    with _package_quiet():
        parsed.parse("\n".join(line for tag in tags for line in tag.lines))
    return parsed


@contextmanager
def _package_quiet():
    """The ``mt940`` package's loggers silenced while any thread reads a file here, restored after the last."""
    global _quiet_readers, _package_level
    with _quiet_lock:
        if _quiet_readers == 0:
            _package_level = _PACKAGE_LOG.level
            _PACKAGE_LOG.setLevel(logging.CRITICAL + 1)
        _quiet_readers += 1
    try:
        yield
    finally:
        with _quiet_lock:
            _quiet_readers -= 1
            if _quiet_readers == 0:
                _PACKAGE_LOG.setLevel(_package_level)


def _unreadable(tag: _Tag, message: str, file_name: str) -> StatementError:
    """The refusal of a field that cannot be read, logged once as a warning with its line."""
    log.warning("%s, line %s, %s: %s", file_name, tag.line, tag.label, message)
    return StatementError(message, file_name=file_name, line=tag.line, field=tag.label)


# What the package raises on a field it cannot read: its own RuntimeError for a pattern that does not match,
# and ValueError or decimal's InvalidOperation for a date or an amount that matched but is not one.
_PACKAGE_ERRORS = (RuntimeError, ValueError, ArithmeticError, TypeError, KeyError, AttributeError)


def _parse_block(block: list[_Tag], file_name: str) -> mt940.models.Transactions:
    try:
        return _transactions(block)
    except _PACKAGE_ERRORS:
        pass
    # Each tag is read on its own, so the first prefix of the block that fails ends with the tag at fault.
    low, high = 1, len(block)
    while low < high:
        middle = (low + high) // 2
        try:
            _transactions(block[:middle])
        except _PACKAGE_ERRORS:
            high = middle
        else:
            low = middle + 1
    tag = block[low - 1]
    raise _unreadable(tag, gettext("The field cannot be read: %(value)r.") % {"value": tag.value[:80]}, file_name)


def _date(value: date) -> date:
    """The package's ``Date`` subclass as a plain date."""
    return date(value.year, value.month, value.day)


def _balance(data: dict[str, Any], keys: tuple[str, ...]) -> Any:
    return next((data[key] for key in keys if data.get(key) is not None), None)


def _balance_tag(block: list[_Tag], names: tuple[str, ...]) -> _Tag:
    return next(tag for tag in block if tag.full in names)


def _balance_amount(balance: Any, block: list[_Tag], names: tuple[str, ...], file_name: str):
    tag = _balance_tag(block, names)
    return money(balance.amount.amount, file_name=file_name, line=tag.line, field=tag.label)


def _line(data: dict[str, Any], tag: _Tag, currency: str, own: frozenset[str], file_name: str) -> StatementLine:
    amount = money(data["amount"].amount, file_name=file_name, line=tag.line, field=tag.label)
    name, iban, description = _details(data, own)
    reference = (data.get("bank_reference") or "").strip() or (data.get("customer_reference") or "").strip()
    return StatementLine(
        booking_date=_date(data.get("entry_date") or data["date"]),
        value_date=_date(data["date"]),
        amount=amount,
        currency=currency,
        counterparty_name=name,
        counterparty_iban=iban,
        description=description,
        bank_reference=reference,
        line=tag.line,
    )


def _details(data: dict[str, Any], own: frozenset[str]) -> tuple[str, str, str]:
    """(counterparty name, counterparty IBAN as written, description) from the line's ``:86:``."""
    if "transaction_details" not in data:  # the package read a structured "NNN?00…?20…" field
        description = " ".join(
            part.strip()
            for part in (data.get("posting_text"), data.get("purpose"), data.get("additional_purpose"))
            if part and part.strip()
        )
        iban = (data.get("applicant_iban") or data.get("gvc_applicant_iban") or "").strip()
        return (data.get("applicant_name") or "").strip(), iban or find_iban(description, exclude=own), description
    text = _unwrap(data.get("transaction_details") or "")
    if re.match(r"/[A-Z]{2,4}/", text):
        codes: dict[str, list[str]] = {}
        for code, value in _SLASH_CODES.findall(text):
            if value.strip():
                codes.setdefault(code, []).append(value.strip())
        name = " ".join(codes.pop("NAME", []))
        iban = " ".join(codes.pop("IBAN", []) or codes.pop("ACCW", []))
        for code in ("ORDP", "BENM", "BIC", "ADDR"):
            codes.pop(code, None)
        description = " ".join(value for values in codes.values() for value in values)
        return name, iban or find_iban(description, exclude=own), description
    return "", find_iban(text, exclude=own), text


def _unwrap(text: str) -> str:
    """The ``:86:`` lines as one text: a line filled to the wrap width continues without a space."""
    parts = text.split("\n")
    result = parts[0].strip()
    for before, line in pairwise(parts):
        result += ("" if len(before.strip()) >= _WRAP else " ") + line.strip()
    return result.strip()
