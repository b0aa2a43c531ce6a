"""CSV profiles: how one bank's CSV export is written (encoding, separators, date format, column names).

A profile is a JSON object; the same validation applies to the profiles shipped with the portal (JSON files in
``csv_profiles/``, examples to adapt) and to those staff add in the admin (``BankCsvProfile``). A staff profile
with the name of a shipped one takes its place. See docs/bank-statements.md for every setting.
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.utils.translation import gettext

from payments.statements.ibans import normalise_iban

BUILT_IN_DIR = Path(__file__).resolve().parent / "csv_profiles"

#: The meanings a column can have, in the order the docs list them.
COLUMN_FIELDS = (
    "booking_date",
    "value_date",
    "amount",
    "debit",
    "credit",
    "direction",
    "description",
    "counterparty_name",
    "counterparty_iban",
    "reference",
    "balance",
    "currency",
)
SETTINGS_KEYS = frozenset(
    {
        "description",
        "encoding",
        "delimiter",
        "quotechar",
        "decimal_separator",
        "thousands_separator",
        "date_format",
        "currency",
        "account_iban",
        "skip_rows_without_date",
        "debit_markers",
        "columns",
    }
)
_DATE_TOKENS = re.compile(r"dd|mm|yyyy|yy|[./\- ]")


class ProfileError(ValueError):
    """A profile's settings that cannot be used, with every problem found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class CsvProfile:
    name: str
    encoding: str = "cp1254"
    delimiter: str = ";"
    quotechar: str = '"'
    decimal_separator: str = ","
    thousands_separator: str = "."
    date_format: str = "dd.mm.yyyy"
    currency: str = "TRY"
    account_iban: str = ""
    skip_rows_without_date: bool = False
    debit_markers: tuple[str, ...] = ("B", "BORÇ", "BORC", "D", "-")
    #: (meaning, header names): several header names for "description" are joined in that order.
    columns: tuple[tuple[str, tuple[str, ...]], ...] = ()
    description: str = ""

    def column(self, meaning: str) -> tuple[str, ...]:
        return next((headers for name, headers in self.columns if name == meaning), ())


def profile_from_settings(name: str, settings: Any) -> CsvProfile:
    """The profile ``settings`` describe. Raises ``ProfileError`` listing every problem: unknown keys, an unknown
    encoding, separators that clash, a date format other than dd/mm/yy(yy) tokens, a column mapping without a
    date or without amounts (one amount column, or debit and credit columns)."""
    if not isinstance(settings, dict):
        raise ProfileError([gettext("The settings must be a JSON object.")])
    problems: list[str] = []
    unknown = sorted(set(settings) - SETTINGS_KEYS)
    if unknown:
        problems.append(gettext("Unknown settings: %(keys)s.") % {"keys": ", ".join(unknown)})
    values: dict[str, Any] = {}
    for key in ("description", "encoding", "delimiter", "quotechar", "decimal_separator", "thousands_separator"):
        if key in settings:
            if not isinstance(settings[key], str):
                problems.append(gettext("%(key)s must be text.") % {"key": key})
            else:
                values[key] = settings[key]
    profile = CsvProfile(name=name, **values)
    try:
        codecs.lookup(profile.encoding)
    except LookupError:
        problems.append(gettext("Unknown encoding %(encoding)r.") % {"encoding": profile.encoding})
    if len(profile.delimiter) != 1:
        problems.append(gettext("The delimiter must be one character."))
    if len(profile.quotechar) != 1 or profile.quotechar == profile.delimiter:
        problems.append(gettext("The quote character must be one character other than the delimiter."))
    if profile.decimal_separator not in (",", "."):
        problems.append(gettext("The decimal separator must be a comma or a full stop."))
    if profile.thousands_separator not in ("", ".", ",", " ", "'") or (
        profile.thousands_separator == profile.decimal_separator
    ):
        problems.append(gettext("The thousands separator must be empty, a full stop, a comma, a space or '."))
    date_format = settings.get("date_format", profile.date_format)
    if not isinstance(date_format, str) or not _valid_date_format(date_format):
        problems.append(
            gettext("The date format must use dd, mm and yyyy (or yy) with . / - or space, e.g. dd.mm.yyyy.")
        )
    currency = settings.get("currency", profile.currency)
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Z]{3}", currency):
        problems.append(gettext("The currency must be a three-letter code such as TRY."))
    account_iban = settings.get("account_iban", "")
    if account_iban and (not isinstance(account_iban, str) or not normalise_iban(account_iban)):
        problems.append(gettext("The account IBAN %(iban)r is not valid.") % {"iban": account_iban})
    skip = settings.get("skip_rows_without_date", False)
    if not isinstance(skip, bool):
        problems.append(gettext("skip_rows_without_date must be true or false."))
    markers = settings.get("debit_markers", list(profile.debit_markers))
    if not isinstance(markers, list) or not markers or not all(isinstance(m, str) and m.strip() for m in markers):
        problems.append(gettext("debit_markers must be a list of texts."))
        markers = []
    columns = _columns(settings.get("columns"), problems)
    if problems:
        raise ProfileError(problems)
    return CsvProfile(
        name=name,
        **values,
        date_format=date_format,
        currency=currency,
        account_iban=(normalise_iban(account_iban) or "") if account_iban else "",
        skip_rows_without_date=skip,
        debit_markers=tuple(marker.strip() for marker in markers),
        columns=columns,
    )


def _valid_date_format(date_format: str) -> bool:
    tokens = _DATE_TOKENS.findall(date_format)
    if "".join(tokens) != date_format:
        return False
    return tokens.count("dd") == 1 and tokens.count("mm") == 1 and tokens.count("yyyy") + tokens.count("yy") == 1


def _columns(mapping: Any, problems: list[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    if not isinstance(mapping, dict):
        problems.append(gettext("columns must map meanings (booking_date, amount, …) to header names."))
        return ()
    result = []
    unknown = sorted(set(mapping) - set(COLUMN_FIELDS))
    if unknown:
        problems.append(gettext("Unknown column meanings: %(keys)s.") % {"keys": ", ".join(unknown)})
    for meaning in COLUMN_FIELDS:
        if meaning not in mapping:
            continue
        headers = mapping[meaning]
        names = tuple(headers) if meaning == "description" and isinstance(headers, list) else (headers,)
        if not names or not all(isinstance(header, str) and header.strip() for header in names):
            problems.append(gettext("The column for %(meaning)s must be a header name.") % {"meaning": meaning})
            continue
        result.append((meaning, tuple(header.strip() for header in names)))
    present = {meaning for meaning, _ in result}
    if "booking_date" not in present:
        problems.append(gettext("The columns must name the booking_date column."))
    split = present & {"debit", "credit"}
    if not (("amount" in present and not split) or ("amount" not in present and len(split) == 2)):
        problems.append(gettext("The columns must name either an amount column or both a debit and a credit column."))
    if "direction" in present and "amount" not in present:
        problems.append(gettext("A direction column only goes with an amount column."))
    return tuple(result)


@cache
def built_in_profiles() -> dict[str, CsvProfile]:
    """The profiles shipped with the portal, by name (the JSON file's name without .json)."""
    profiles = {}
    for path in sorted(BUILT_IN_DIR.glob("*.json")):
        profiles[path.stem] = profile_from_settings(path.stem, json.loads(path.read_text(encoding="utf-8")))
    return profiles
