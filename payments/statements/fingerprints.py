"""The fingerprint that recognises one bank line in every statement it appears in.

A line is identified by the account, the booking date, the signed amount and currency, and the bank's reference
when the file gives one, else the description reduced to its letters and digits (Turkish letters folded to ASCII,
since MT940 files usually drop them). Identical lines in one file (two equal transfers on one day) are told
apart by their occurrence: the first is 0, the second 1. Importing an overlapping statement therefore finds the
lines it shares with an earlier one and does not count them twice.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from b2bportal.text import compact_key
from payments.statements.ibans import statement_account

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
        occurrence = seen[key]
        seen[key] += 1
        result.append(hashlib.sha256(f"{key}|{occurrence}".encode()).hexdigest())
    return result
