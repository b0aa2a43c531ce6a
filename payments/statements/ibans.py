"""IBANs in statements: validated and written compactly with python-stdnum, found inside free text."""

from __future__ import annotations

import re

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
