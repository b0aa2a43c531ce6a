"""Importing one statement file: parse it completely, then store it in one transaction, or store nothing.

Idempotency rules (see docs/bank-statements.md):

- The same file (same bytes, by SHA-256) is imported once; again, it creates nothing and reports "already
  imported". Two imports of it at the same time meet at the unique checksum: one stores, the other reports.
- A line already stored from another file (an overlapping statement, or the same statement in another format) is
  recognised by its fingerprint (``fingerprints.py``) and skipped; the database's unique fingerprint decides, so
  concurrent imports of overlapping files cannot both store it.
- Outgoing lines are stored, marked ignored with the reason "outgoing"; zero-amount lines are skipped and counted.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import pickle
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import BinaryIO

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from payments.matching import MatchReport, statement_match
from payments.models import BankStatement, BankTransaction
from payments.statements.camt053_format import parse_camt053
from payments.statements.choices import csv_profile
from payments.statements.continuity import continuity_warnings, repeated_from, statement_chain, warning_text
from payments.statements.csv_format import parse_csv
from payments.statements.fingerprints import normalise_reference, statement_fingerprints
from payments.statements.ibans import normalise_iban, statement_account
from payments.statements.mt940_format import looks_like_mt940, read_mt940
from payments.statements.profiles import CsvProfile, ProfileError
from payments.statements.records import MAX_STATEMENT_BYTES, ParsedStatement, StatementError, StatementLine

FORMATS = tuple(BankStatement.Format.values)
#: Bytes read from the file at a time, and lines written to the database in one INSERT.
CHUNK = 1024 * 1024
BATCH = 1000
OUTGOING = "outgoing"


@dataclass(frozen=True)
class ImportResult:
    """What an import did. ``created`` counts the stored lines, outgoing ones (``ignored``) included;
    ``duplicates`` the lines already stored from another file; ``zero_skipped`` the zero-amount lines."""

    statement: BankStatement
    already_imported: bool = False
    created: int = 0
    duplicates: int = 0
    ignored: int = 0
    zero_skipped: int = 0
    allocated: int = 0
    queued: int = 0

    def warning_texts(self) -> list[str]:
        """The statement's continuity warnings (``continuity``) in words: lines may be missing."""
        return [warning_text(warning) for warning in self.statement.warnings]

    def summary(self) -> str:
        if self.already_imported:
            return gettext("This file was already imported on %(date)s; nothing was added.") % {
                "date": timezone.localdate(self.statement.created_at).isoformat()
            }
        parts = [
            ngettext("Created %(count)s line", "Created %(count)s lines", self.created) % {"count": self.created},
            ngettext("skipped %(count)s already imported", "skipped %(count)s already imported", self.duplicates)
            % {"count": self.duplicates},
            ngettext("%(count)s outgoing line ignored", "%(count)s outgoing lines ignored", self.ignored)
            % {"count": self.ignored},
            ngettext("%(count)s zero-amount line skipped", "%(count)s zero-amount lines skipped", self.zero_skipped)
            % {"count": self.zero_skipped},
            ngettext("%(count)s allocated automatically", "%(count)s allocated automatically", self.allocated)
            % {"count": self.allocated},
            ngettext("%(count)s waiting in the matching queue", "%(count)s waiting in the matching queue", self.queued)
            % {"count": self.queued},
        ]
        return ", ".join(parts) + "."


def detect_format(data: bytes) -> str:
    """The format the file looks like: "camt053" for an XML document, "mt940" for text whose first field is
    ``:20:`` (past the envelopes and bank preambles the MT940 reader accepts), "csv" for other delimited text.
    Only a guess for the caller who asked for one; the parser still checks everything. Raises ``StatementError``
    for anything else."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<"):
        return BankStatement.Format.CAMT053
    if looks_like_mt940(head):
        return BankStatement.Format.MT940
    lines = head.split(b"\n")[:20]
    if b"\x00" not in head and any(separator in line for line in lines for separator in (b";", b",", b"\t")):
        return BankStatement.Format.CSV
    raise StatementError(gettext("The file's format cannot be recognised; choose it."))


def statement_import(
    *,
    file_name: str,
    data: bytes | None = None,
    file: BinaryIO | None = None,
    format: str,
    profile: str | CsvProfile | None = None,
    account_iban: str = "",
    imported_by=None,
    progress: Callable[[int], None] | None = None,
) -> ImportResult:
    """Import one statement file as one ``BankStatement`` with its ``BankTransaction`` lines.

    The file is given as ``data`` (its bytes) or as ``file`` (a seekable binary file, read a piece at a time).
    ``format`` is "mt940", "camt053" or "csv"; a CSV file needs a ``profile`` (a name or a ``CsvProfile``) and an
    ``account_iban`` unless the profile or the file names it. For MT940 and CAMT.053 a given ``account_iban`` must
    be the file's. Several statements in one file are stored as one, from the first opening to the last closing
    balance; they must all be of one account. ``progress`` is called now and then with the line of the file
    read so far.

    The file is read completely first, its lines spooled to a temporary file (an MT940 file is read statement by
    statement, a long statement ``WINDOW`` lines at a time, so memory does not grow with the file); then the
    statement and its lines are written in one transaction, in batches, and matched.

    Refuses (``StatementError``, nothing stored) a file that is too large, of another format, malformed or
    truncated anywhere, or whose lines do not add up to its balances."""
    file_name = os.path.basename(file_name or "")[:255]
    source: BinaryIO = io.BytesIO(data or b"") if file is None else file
    _check_file(file_name, source, format)
    checksum = _sha256(source)
    earlier = BankStatement.objects.filter(file_sha256=checksum).first()
    if earlier is not None:
        return ImportResult(statement=earlier, already_imported=True)
    with tempfile.TemporaryFile(prefix="statement-", suffix=".spool") as spool:
        statements, read = _read(file_name, source, format, profile, account_iban, spool, progress)
        chain = statement_chain(statements)
        statement = _merge(chain, account_iban, file_name)
        account = statement_account(statement.account).number
        if not account or len(account) > 34:
            raise StatementError(
                gettext("The account %(account)r is not an IBAN.") % {"account": statement.account},
                file_name=file_name,
            )
        warnings = continuity_warnings(account, chain)
        position = {id(parsed): index for index, parsed in enumerate(statements)}
        lines = statement_fingerprints(
            account=account,
            chain=chain,
            repeats=repeated_from(chain),
            lines_of=lambda parsed: _spooled(spool, read.batches[position[id(parsed)]]),
        )
        with transaction.atomic():
            try:
                with transaction.atomic():
                    stored = _statement_row(statement, account, format, file_name, checksum, imported_by, warnings)
            except IntegrityError:  # the same file, imported at this moment by someone else
                return ImportResult(statement=BankStatement.objects.get(file_sha256=checksum), already_imported=True)
            _transactions_write(stored, account, lines)
            created = stored.transactions.count()
            ignored = stored.transactions.filter(status=BankTransaction.Status.IGNORED).count()
    matched = _match(stored)
    return ImportResult(
        statement=stored,
        created=created,
        duplicates=read.stored - created,
        ignored=ignored,
        zero_skipped=read.zero,
        allocated=matched.allocated,
        queued=matched.queued,
    )


@dataclass
class _Read:
    """What reading the file found: the lines to store (spooled; ``batches[i]`` the spool offsets of the batches of
    the file's statement ``i``) and the zero-amount lines left out."""

    stored: int = 0
    zero: int = 0
    batches: list[list[int]] = field(default_factory=lambda: [[]])


def _read(file_name, source, format, profile, account_iban, spool, progress) -> tuple[list[ParsedStatement], _Read]:
    """Read the whole file, checking everything; spool its non-zero lines in batches and return its statements
    without their lines."""
    statements: list[ParsedStatement] = []
    read = _Read()
    for part in _parts(file_name, source, format, profile, account_iban):
        if isinstance(part, ParsedStatement):
            statements.append(replace(part, lines=()))
            read.batches.append([])
            continue
        kept = [line for line in part if line.amount != 0]
        read.stored += len(kept)
        read.zero += len(part) - len(kept)
        if kept:
            read.batches[-1].append(spool.tell())
            pickle.dump(kept, spool, protocol=pickle.HIGHEST_PROTOCOL)
        if progress and part and part[-1].line:
            progress(part[-1].line)
    return statements, read


def _spooled(spool, offsets: list[int]) -> Iterator[StatementLine]:
    """The lines of one statement, from the batches ``_read`` spooled at ``offsets``."""
    for offset in offsets:
        spool.seek(offset)
        yield from pickle.load(spool)  # noqa: S301 - written by _read in this process, never from outside


def _parts(file_name, source, format, profile, account_iban) -> Iterator[Sequence[StatementLine] | ParsedStatement]:
    """The file as the MT940 reader gives it: batches of lines, then each statement. CAMT.053 and CSV files are
    read whole (a document, a table), then handed on the same way."""
    if format == BankStatement.Format.MT940 and not profile:
        yield from read_mt940(source, file_name=file_name)
        return
    source.seek(0)
    for statement in _parse(file_name, source.read(), format, profile, account_iban):
        yield statement.lines
        yield statement


def _sha256(source: BinaryIO) -> str:
    digest = hashlib.sha256()
    source.seek(0)
    for chunk in iter(lambda: source.read(CHUNK), b""):
        digest.update(chunk)
    return digest.hexdigest()


def _check_file(file_name: str, source: BinaryIO, format: str) -> None:
    """Refuse an unknown format, a file above the size limit and an empty file, before reading it."""
    if format not in FORMATS:
        raise StatementError(gettext("Unknown statement format %(format)r.") % {"format": format}, file_name=file_name)
    if source.seek(0, os.SEEK_END) > MAX_STATEMENT_BYTES:
        raise StatementError(
            gettext("The file is larger than %(size)s MB.") % {"size": MAX_STATEMENT_BYTES // (1024 * 1024)},
            file_name=file_name,
        )
    source.seek(0)
    if not any(chunk.strip() for chunk in iter(lambda: source.read(CHUNK), b"")):
        raise StatementError(gettext("The file is empty."), file_name=file_name)


def _statement_row(statement, account: str, format: str, file_name: str, checksum: str, imported_by, warnings):
    return BankStatement.objects.create(
        account_iban=account,
        statement_id=statement.statement_id[:128],
        format=format,
        file_name=file_name,
        file_sha256=checksum,
        period_start=statement.period_start,
        period_end=statement.period_end,
        opening_balance=statement.opening_balance,
        closing_balance=statement.closing_balance,
        currency=statement.currency,
        imported_by=imported_by,
        warnings=warnings,
    )


def _transactions_write(stored: BankStatement, account: str, lines: Iterable[tuple[StatementLine, str]]) -> None:
    """The statement's lines, each under its fingerprint (``(line, fingerprint)`` pairs, read as they come), written
    ``BATCH`` at a time; a fingerprint already stored (the line came with an earlier statement) or met earlier in
    the file (a repeated day) is skipped."""
    seen: set[str] = set()
    batch: list[BankTransaction] = []
    for line, fingerprint in lines:
        if fingerprint in seen:
            continue
        seen.add(fingerprint)
        batch.append(_transaction(stored, account, line, fingerprint))
        if len(batch) == BATCH:
            BankTransaction.objects.bulk_create(batch, ignore_conflicts=True)
            batch = []
    if batch:
        BankTransaction.objects.bulk_create(batch, ignore_conflicts=True)


def _match(stored: BankStatement):
    """Match the new lines at once. The statement is stored whatever happens here: a failure is logged and the
    scheduled matching run picks the lines up again."""

    try:
        return statement_match(transactions=stored.transactions.all())
    except Exception:
        logging.getLogger("payments").exception("Matching the lines of statement %s failed", stored.pk)
        return MatchReport()


def _parse(file_name, data, format, profile, account_iban) -> list[ParsedStatement]:
    if format != BankStatement.Format.CSV:
        if profile:
            raise StatementError(gettext("A profile applies to CSV files only."), file_name=file_name)
        return parse_camt053(data, file_name=file_name)
    if not profile:
        raise StatementError(gettext("A CSV statement needs a profile."), file_name=file_name)
    if isinstance(profile, str):
        name = profile
        try:
            profile = csv_profile(name)
        except ProfileError as exc:
            raise StatementError(
                gettext("The CSV profile %(name)r cannot be used: %(problems)s") % {"name": name, "problems": exc},
                file_name=file_name,
            ) from None
        if profile is None:
            raise StatementError(gettext("There is no CSV profile %(name)r.") % {"name": name}, file_name=file_name)
    given = statement_account(account_iban)
    if account_iban and not normalise_iban(given.number):
        raise StatementError(
            gettext("The account IBAN %(iban)r is not valid.") % {"iban": account_iban}, file_name=file_name
        )
    return parse_csv(data, file_name=file_name, profile=profile, account_iban=given.number)


def _merge(statements: list[ParsedStatement], account_iban: str, file_name: str) -> ParsedStatement:
    """The file's statements (in chain order) as one: all of one account and currency, from the first opening to
    the last closing balance of the chain."""
    accounts = {statement_account(s.account).number for s in statements}
    if len(accounts) > 1:
        raise StatementError(
            gettext("The file holds statements of several accounts (%(accounts)s); import one file per account.")
            % {"accounts": ", ".join(sorted(accounts))},
            file_name=file_name,
            line=statements[1].line,
        )
    if account_iban and statement_account(account_iban).number not in accounts:
        raise StatementError(
            gettext("The file is a statement of %(account)s, not of %(expected)s.")
            % {"account": accounts.pop(), "expected": account_iban},
            file_name=file_name,
        )
    currencies = {s.currency for s in statements}
    if len(currencies) > 1:
        raise StatementError(
            gettext("The file holds statements in several currencies (%(currencies)s).")
            % {"currencies": ", ".join(sorted(currencies))},
            file_name=file_name,
        )
    if len(statements) == 1:
        return statements[0]
    ordered = statements  # in ``continuity.statement_chain`` order
    ids = [s.statement_id for s in ordered if s.statement_id]
    starts = [s.period_start for s in ordered if s.period_start]
    ends = [s.period_end for s in ordered if s.period_end]
    return ParsedStatement(
        account=ordered[0].account,
        currency=ordered[0].currency,
        lines=(),
        statement_id=f"{ids[0]} … {ids[-1]}" if len(ids) > 1 else "".join(ids),
        period_start=min(starts, default=None),
        period_end=max(ends, default=None),
        opening_balance=ordered[0].opening_balance,
        closing_balance=ordered[-1].closing_balance,
        line=ordered[0].line,
    )


def _transaction(statement: BankStatement, account: str, line, fingerprint: str) -> BankTransaction:
    iban = normalise_iban(line.counterparty_iban) if line.counterparty_iban else None
    description = line.description
    if line.counterparty_iban and not iban:
        # Kept for the reader, but out of the IBAN field that matching trusts.
        note = gettext("Counterparty IBAN (invalid): %(iban)s") % {"iban": line.counterparty_iban}
        description = f"{description}\n{note}" if description else note
    outgoing = line.amount < Decimal("0")
    return BankTransaction(
        statement=statement,
        account_iban=account,
        booking_date=line.booking_date,
        value_date=line.value_date,
        amount=line.amount,
        currency=line.currency,
        counterparty_name=line.counterparty_name[:255],
        counterparty_iban=iban or "",
        description=description,
        bank_reference=line.bank_reference[:128] if normalise_reference(line.bank_reference) else "",
        fingerprint=fingerprint,
        status=BankTransaction.Status.IGNORED if outgoing else BankTransaction.Status.UNMATCHED,
        status_reason=OUTGOING if outgoing else "",
    )
