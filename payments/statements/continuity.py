"""Whether a file's statements join: each statement's opening balance must be the closing balance before it, within
the file (several ``:20:`` blocks, several ``Stmt``) and against the statements already stored for the account.

A file's statements are put in the order of their closing dates (pages of one day keep their order in the file).
Walking that chain, a statement either

- **joins** the one before it (its opening balance is the previous closing balance): nothing to say;
- **repeats** an earlier statement of the same day (it opens where that one opened: the day sent twice, or an
  interim page followed by the whole day): its lines are recognised through their fingerprints
  (``fingerprints.statement_fingerprints`` counts them again from where that statement started), not doubled;
- or leaves a **gap**: lines may be missing between the two. The file is still imported; the gap is recorded as a
  warning on the bank statement, shown with the import result, in the bank statement admin and in the matching
  queue, because a human has to fetch the missing statement.

A file that ends on an interim closing balance (``:62M:``) lacks the rest of that day; one that starts on an interim
opening balance (``:60M:``) lacks its beginning, unless a stored statement of that day closes where it opens.

Against stored statements the check is made where the file meets them: the statement stored last before the
file's first statement (by closing date) must close at the file's opening balance, and the first stored after the
file's last statement must open at its closing balance. Where the file overlaps stored statements the boundary lies
inside data already imported and nothing is said about it; a file without balances (a CSV without a balance
column) is not checked.

Warnings are stored as plain data (``kind`` and the dates and balances) and put into words when shown
(``warning_text``), in the reader's language.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext

from b2bportal.money import format_money
from payments.models import BankStatement
from payments.statements.records import ParsedStatement

GAP = "gap"
INTERIM_START = "interim_start"
INTERIM_END = "interim_end"
#: Where the balance a gap is measured against comes from.
IN_FILE, STORED_BEFORE, STORED_AFTER = "file", "stored_before", "stored_after"


def statement_chain(statements: list[ParsedStatement]) -> list[ParsedStatement]:
    """The file's statements by closing date; statements of one day (pages, repeats) keep their order in the file.
    The closing date, unlike the first line's date, is not moved by a back-dated line."""
    return sorted(statements, key=lambda statement: statement.period_end or date.min)


def _joins(previous: ParsedStatement, statement: ParsedStatement) -> bool:
    return previous.closing_balance == statement.opening_balance


def repeated_from(chain: list[ParsedStatement]) -> list[int | None]:
    """For each statement of ``chain``, the index of the earlier statement it repeats from the start, else None.

    A statement repeats an earlier one of the same day that opened at the same balance, when it does not join the
    statement before it — or when it does, but carries the earlier one's statement number (a day without net
    movement, sent twice)."""
    result: list[int | None] = []
    for index, statement in enumerate(chain):
        found = None
        if index and statement.opening_balance is not None:
            joins = _joins(chain[index - 1], statement)
            for earlier_index, earlier in enumerate(chain[:index]):
                same_start = (
                    earlier.period_end == statement.period_end and earlier.opening_balance == statement.opening_balance
                )
                same_number = bool(statement.statement_id) and statement.statement_id == earlier.statement_id
                if same_start and (not joins or same_number):
                    found = earlier_index
                    break
        result.append(found)
    return result


def _money(amount: Decimal | None) -> str | None:
    return None if amount is None else f"{amount:.2f}"


def _day(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _gap(source: str, before: date | None, closing, after: date | None, opening, currency: str) -> dict:
    return {
        "kind": GAP,
        "source": source,
        "before": _day(before),
        "closing": _money(closing),
        "after": _day(after),
        "opening": _money(opening),
        "currency": currency,
    }


def file_warnings(chain: list[ParsedStatement]) -> list[dict]:
    """Gaps between the file's statements and a file ending on an interim balance."""
    warnings = []
    repeats = repeated_from(chain)
    for index, statement in enumerate(chain[1:], start=1):
        previous = chain[index - 1]
        if None in (statement.opening_balance, previous.closing_balance) or _joins(previous, statement):
            continue
        if repeats[index] is None:
            warnings.append(
                _gap(IN_FILE, previous.period_end, previous.closing_balance, statement.period_end,
                     statement.opening_balance, statement.currency)
            )  # fmt: skip
    last = chain[-1]
    if last.closing_interim:
        warnings.append(
            {"kind": INTERIM_END, "date": _day(last.period_end), "closing": _money(last.closing_balance),
             "currency": last.currency}
        )  # fmt: skip
    return warnings


def stored_warnings(account: str, chain: list[ParsedStatement]) -> list[dict]:
    """Gaps between the file and the statements stored for ``account`` just before and just after it, and an
    interim opening balance that no stored statement of that day closes with."""
    first, last = chain[0], chain[-1]
    stored = BankStatement.objects.filter(account_iban=account, currency=first.currency)
    warnings = []
    if first.opening_interim:
        continued = stored.filter(period_end=first.period_end, closing_balance=first.opening_balance).exists()
        if not continued:
            warnings.append(
                {"kind": INTERIM_START, "date": _day(first.period_end), "opening": _money(first.opening_balance),
                 "currency": first.currency}
            )  # fmt: skip
    elif first.opening_balance is not None and first.period_end is not None:
        before = (
            stored.filter(period_end__lt=first.period_end, closing_balance__isnull=False)
            .order_by("-period_end", "-created_at")
            .first()
        )
        if before is not None and before.closing_balance != first.opening_balance and not _overlaps(stored, chain):
            warnings.append(
                _gap(STORED_BEFORE, before.period_end, before.closing_balance, first.period_end,
                     first.opening_balance, first.currency)
            )  # fmt: skip
    if last.closing_balance is not None and last.period_end is not None and not last.closing_interim:
        after = (
            stored.filter(period_end__gt=last.period_end, opening_balance__isnull=False)
            .order_by("period_end", "created_at")
            .first()
        )
        if after is not None and after.opening_balance != last.closing_balance and not _overlaps(stored, chain):
            warnings.append(
                _gap(STORED_AFTER, last.period_end, last.closing_balance, after.period_start, after.opening_balance,
                     last.currency)
            )  # fmt: skip
    return warnings


def _overlaps(stored, chain: list[ParsedStatement]) -> bool:
    """Whether a stored statement covers a day of the file: the file's boundary then lies inside imported data."""
    starts = [s.period_start for s in chain if s.period_start] + [s.period_end for s in chain if s.period_end]
    ends = [s.period_end for s in chain if s.period_end]
    if not starts or not ends:
        return False
    return stored.filter(Q(period_start__lte=max(ends)) & Q(period_end__gte=min(starts))).exists()


def continuity_warnings(account: str, chain: list[ParsedStatement]) -> list[dict]:
    """Everything a human should know about how the file joins: ``file_warnings`` then ``stored_warnings``."""
    return file_warnings(chain) + stored_warnings(account, chain)


def warning_text(warning: dict) -> str:
    """The warning in words, in the active language."""
    currency = warning.get("currency", "")
    values = {
        key: format_money(Decimal(warning[key]), currency) if warning.get(key) is not None else "—"
        for key in ("opening", "closing")
    }
    values.update({key: warning.get(key) or "—" for key in ("before", "after", "date")})
    kind = warning.get("kind")
    if kind == INTERIM_END:
        return (
            gettext(
                "The file ends on an interim balance (%(closing)s on %(date)s): the rest of that day's lines are "
                "not in it."
            )
            % values
        )
    if kind == INTERIM_START:
        return (
            gettext(
                "The file starts on an interim balance (%(opening)s on %(date)s) with which no imported statement "
                "closes: the earlier lines of that day are not in it."
            )
            % values
        )
    source = warning.get("source")
    if source == STORED_BEFORE:
        message = gettext(
            "Lines may be missing between %(before)s and %(after)s: the statement already imported for %(before)s "
            "closes at %(closing)s, this file opens at %(opening)s."
        )
    elif source == STORED_AFTER:
        message = gettext(
            "Lines may be missing between %(before)s and %(after)s: this file closes at %(closing)s, the statement "
            "already imported for %(after)s opens at %(opening)s."
        )
    else:
        message = gettext(
            "Lines may be missing between %(before)s and %(after)s: the statement of %(before)s closes at "
            "%(closing)s, the next one opens at %(opening)s."
        )
    return message % values
