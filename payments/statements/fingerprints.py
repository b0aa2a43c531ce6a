"""The fingerprint that recognises one bank line in every statement it appears in.

Which identity survives overlap
-------------------------------
A bank line reaches the portal more than once: the CAMT.053 of a day already imported as MT940, the same statement
sent again with the afternoon's lines added at the end, two files that share a day, a monthly CSV over daily MT940
files. Only what every rendering of the line carries can identify it:

- the account (``ibans.statement_account``: the IBAN, never "IBAN/TRY"), the booking date, the signed amount and
  the currency;
- the bank's own reference when the file gives one (MT940 ``//`` reference or customer reference, CAMT.053
  ``AcctSvcrRef``/``EndToEndId``, a CSV reference column); placeholders such as NONREF count as none;
- else the line's text (MT940 ``:86:`` as read, CAMT.053 ``Ustrd``, the CSV description) reduced to its letters
  and digits, Turkish letters folded to ASCII, since MT940 files usually drop them;
- among lines equal in all of that (two equal transfers from one dealer on one day), their occurrence: the first
  is 0, the second 1, counted through the file. A statement that repeats an earlier one of the file (the same day
  twice, or an interim page and then the whole day: ``continuity.repeated_from``) is counted again from where
  that one started, so its lines get the fingerprints of the first copy and are stored once.

What is left out, and why: the position of the line within the statement and the statement number (``:28C:``,
``ElctrncSeqNb``) change between renderings — a CSV lists the newest line first, a file covering two days moves
every line of the second day, CAMT.053 numbers statements in its own sequence and a CSV has none — so a
fingerprint holding them would miss exactly the overlaps it exists for. The occurrence number stands in for the
position only among otherwise identical lines, where it is stable as long as a file holds the day from its start
(a day sent again with lines added at the end keeps the numbers of the lines it had). The counterparty's name and
IBAN are left out because a CSV export often has no column for them. Two renderings that disagree on the reference
or the text (a CSV without the reference column, the other file with it) are not recognised as one line.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from decimal import Decimal

from b2bportal.text import compact_key
from payments.statements.ibans import statement_account
from payments.statements.records import ParsedStatement, StatementLine

#: References banks write when there is none.
EMPTY_REFERENCES = frozenset({"", "NONREF", "NOTPROVIDED", "NONE", "-", "0"})


def normalise_reference(reference: str) -> str:
    """The bank reference without spaces, upper-case; "" for the placeholders banks use for none."""
    compact = re.sub(r"\s+", "", reference or "").upper()
    return "" if compact in EMPTY_REFERENCES else compact


def line_key(
    *, account: str, booking_date: date, amount: Decimal, currency: str, bank_reference: str, description: str
) -> str:
    reference = normalise_reference(bank_reference)
    identity = f"ref:{reference}" if reference else f"text:{compact_key(description)}"
    number = statement_account(account).number
    return "|".join((number, booking_date.isoformat(), f"{amount:.2f}", currency, identity))


def fingerprints(keys: Iterable[str]) -> list[str]:
    """One fingerprint per key, in order; a key seen before in ``keys`` gets the next occurrence number."""
    seen: Counter[str] = Counter()
    result = []
    for key in keys:
        result.append(_digest(key, seen[key]))
        seen[key] += 1
    return result


def _digest(key: str, occurrence: int) -> str:
    return hashlib.sha256(f"{key}|{occurrence}".encode()).hexdigest()


def statement_fingerprints(
    *,
    account: str,
    chain: Sequence[ParsedStatement],
    repeats: Sequence[int | None],
    lines_of: Callable[[ParsedStatement], Iterable[StatementLine]] = lambda statement: statement.lines,
) -> Iterator[tuple[StatementLine, str]]:
    """Every line of the file's statements, in ``chain`` order and without the zero-amount ones, with its
    fingerprint, one at a time (``lines_of`` gives a statement's lines, which a large file keeps on disk).
    ``repeats[i]`` is the index of the earlier statement that statement ``i`` repeats
    (``continuity.repeated_from``): its lines are counted from where that one started, so a repeated day meets the
    fingerprints of its first copy instead of counting as more occurrences."""
    seen: Counter[str] = Counter()
    counted: list[list[str] | None] = []  # the keys each statement added to ``seen``, None once taken back
    for index, statement in enumerate(chain):
        if repeats[index] is not None:
            for earlier in range(repeats[index], index):
                seen.subtract(counted[earlier] or [])
                counted[earlier] = None
        keys = []
        for line in lines_of(statement):
            if line.amount == 0:
                continue
            key = line_key(
                account=account,
                booking_date=line.booking_date,
                amount=line.amount,
                currency=line.currency,
                bank_reference=line.bank_reference,
                description=line.description,
            )
            yield line, _digest(key, seen[key])
            seen[key] += 1
            keys.append(key)
        counted.append(keys)
