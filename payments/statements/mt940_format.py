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

import logging
import re
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise
from typing import Any

import mt940
from django.utils.translation import gettext

from payments.statements.ibans import find_iban, normalise_iban
from payments.statements.records import (
    ParsedStatement,
    StatementError,
    StatementLine,
    balance_check,
    decode_text,
    money,
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
    """Every statement in an MT940 file, in file order. Raises ``StatementError`` with the line for anything
    it cannot read completely."""
    text = decode_text(data, file_name=file_name)
    return [_statement(block, file_name) for block in _blocks(_scan(text.split("\n"), file_name), file_name)]


def looks_like_mt940(head: bytes) -> bool:
    """Whether the start of a file is MT940: its first field, past the envelope, framing and preambles this
    module accepts, is ``:20:``."""
    lines = head.decode("latin-1").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    try:
        first = next(_scan(lines[:-1] if len(lines) > 1 else lines, ""), None)
    except StatementError:
        return False
    return first is not None and first.full == "20"


def _blocks(tags: Iterable[_Tag], file_name: str) -> Iterator[list[_Tag]]:
    """The tags grouped by statement (one ``:20:`` each), each group yielded once the next one starts."""
    block: list[_Tag] = []
    for tag in tags:
        if tag.full == "20":
            if block:
                yield block
            block = [tag]
        elif block:
            block.append(tag)
        else:
            raise StatementError(
                gettext("A statement must start with :20:, found %(tag)s.") % {"tag": tag.label},
                file_name=file_name,
                line=tag.line,
                field=tag.label,
            )
    if not block:
        raise StatementError(gettext("No MT940 statement (:20:) in the file."), file_name=file_name, line=1)
    yield block


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


def _statement(block: list[_Tag], file_name: str) -> ParsedStatement:
    start = block[0].line
    _check_structure(block, file_name)
    # An :86: after the closing balance informs the account owner; the package would add it to the last line.
    closing_at = max(index for index, tag in enumerate(block) if tag.full in _CLOSING)
    block = [tag for index, tag in enumerate(block) if index < closing_at or tag.full != "86"]
    parsed = _parse_block(block, file_name)
    statement_lines = [tag for tag in block if tag.full == "61"]
    if len(parsed.transactions) != len(statement_lines):
        # The package merges a :61: without a transaction type code into the line before it.
        raise StatementError(
            gettext("The statement lines cannot be told apart (a :61: without a transaction type code?)."),
            file_name=file_name,
            line=start,
            field=":61:",
        )
    data = parsed.data
    account = (data.get("account_identification") or "").strip()
    if not account:
        tag = next(tag for tag in block if tag.full == "25")
        raise StatementError(
            gettext("The statement has no account (:25:)."), file_name=file_name, line=tag.line, field=tag.label
        )
    opening = _balance(data, ("final_opening_balance", "intermediate_opening_balance", "opening_balance"))
    closing = _balance(data, ("final_closing_balance", "intermediate_closing_balance", "closing_balance"))
    currency = (parsed.currency or "").upper()
    if not re.fullmatch(r"[A-Z]{3}", currency):
        raise StatementError(
            gettext("%(value)r is not a currency code.") % {"value": currency},
            file_name=file_name,
            line=start,
        )
    own_ibans = frozenset(filter(None, [normalise_iban(part) for part in [account, *account.split("/")]]))
    lines = tuple(
        _line(transaction.data, tag, currency, own_ibans, file_name)
        for transaction, tag in zip(parsed.transactions, statement_lines, strict=True)
    )
    number = "/".join(filter(None, (data.get("statement_number"), data.get("sequence_number"))))
    statement = ParsedStatement(
        account=account,
        currency=currency,
        lines=lines,
        statement_id=number or (data.get("transaction_reference") or "").strip(),
        period_start=min([line.booking_date for line in lines] + [_date(closing.date)]),
        period_end=_date(closing.date),
        opening_balance=_balance_amount(opening, block, _OPENING, file_name),
        closing_balance=_balance_amount(closing, block, _CLOSING, file_name),
        line=start,
    )
    balance_check(statement, file_name=file_name)
    return statement


def _check_structure(block: list[_Tag], file_name: str) -> None:
    """A statement has its account, an opening balance before its lines and a closing balance after them;
    a file cut short lacks the closing balance."""
    start = block[0].line
    names = [tag.full for tag in block]
    if "25" not in names:
        raise StatementError(
            gettext("The statement has no account (:25:)."), file_name=file_name, line=start, field=":25:"
        )
    opening = next((i for i, name in enumerate(names) if name in _OPENING), None)
    closing = next((i for i, name in enumerate(names) if name in _CLOSING), None)
    if opening is None:
        raise StatementError(
            gettext("The statement has no opening balance (:60F:)."), file_name=file_name, line=start, field=":60F:"
        )
    if closing is None:
        raise StatementError(
            gettext("The statement has no closing balance (:62F:): the file looks truncated."),
            file_name=file_name,
            line=block[-1].line,
            field=":62F:",
        )
    for tag in block:
        if tag.full in _OPENING + _CLOSING and not _BALANCE.match(tag.value):
            message = (
                gettext("The opening balance cannot be read: %(value)r (expected e.g. C250303TRY10000,00).")
                if tag.full in _OPENING
                else gettext("The closing balance cannot be read: %(value)r (expected e.g. C250303TRY25250,00).")
            )
            raise _unreadable(tag, message % {"value": tag.value[:80]}, file_name)
    for index, tag in enumerate(block):
        if tag.full == "61" and not opening < index < closing:
            raise StatementError(
                gettext("A statement line (:61:) must stand between the opening and the closing balance."),
                file_name=file_name,
                line=tag.line,
                field=tag.label,
            )


def _transactions(tags: list[_Tag]) -> mt940.models.Transactions:
    parsed = mt940.models.Transactions(options=mt940.Options.all())
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


def _balance_amount(balance: Any, block: list[_Tag], names: tuple[str, ...], file_name: str):
    tag = next(tag for tag in block if tag.full in names)
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
