"""IBANs in statements: validated and written compactly with python-stdnum, found inside free text; the account a
statement names, in the one form it is stored and compared in."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError

# A country code, two check digits, then letters and digits optionally in groups separated by single spaces.
# The match may run into the words that follow; ``find_iban`` tries it from the longest prefix down.
_CANDIDATE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){10,32}")


def normalise_iban(text: str) -> str | None:
    """``text`` as a compact upper-case IBAN when it is a valid one, else ``None``. Never raises."""
    compact = re.sub(r"[\s\-.]", "", text or "").upper()
    if not compact:
        return None
    try:
        return stdnum_iban.validate(compact)
    except ValidationError:
        return None


@dataclass(frozen=True)
class StatementAccount:
    """The account a statement (or staff) names: ``number`` as it is stored and compared, ``currency`` the
    currency written after it ("" when none is)."""

    number: str
    currency: str = ""


# "TR19…/TRY", "TR19… TRY", "TR19…TRY": an account number followed by a currency code.
_CURRENCY_SUFFIX = re.compile(r"(?P<number>.+?)/?(?P<currency>[A-Z]{3})")


@lru_cache(maxsize=256)
def statement_account(text: str) -> StatementAccount:
    """The account written in ``text``, the only form in which accounts are stored, compared and fingerprinted:
    the compact upper-case IBAN when the text is one, grouped with spaces or not, or is one followed by its
    currency ("TR19 0006 … 34/TRY", "TR19…34 TRY", "TR19…34TRY" — MT940's ``:25:`` is often written so), the
    currency then given apart. Text that holds no IBAN (an account number such as "10020030/1234567") is kept as
    written, without spaces and upper-case, with no currency. Never raises; "" gives an empty number."""
    compact = re.sub(r"[\s\-.]", "", text or "").upper()
    iban = normalise_iban(compact)
    if iban:
        return StatementAccount(iban)
    suffixed = _CURRENCY_SUFFIX.fullmatch(compact)
    if suffixed:
        iban = normalise_iban(suffixed.group("number"))
        if iban:
            return StatementAccount(iban, suffixed.group("currency"))
    return StatementAccount(re.sub(r"\s+", "", text or "").upper())


def find_iban(text: str, *, exclude: frozenset[str] = frozenset()) -> str:
    """The first valid IBAN written in ``text`` (spaces between groups allowed), compact, or "" if there is
    none. IBANs in ``exclude`` (the statement's own account) are passed over."""
    for match in _CANDIDATE.finditer((text or "").upper()):
        compact = match.group(0).replace(" ", "")
        for length in range(min(len(compact), 34), 14, -1):
            found = normalise_iban(compact[:length])
            if found and found not in exclude:
                return found
    return ""
