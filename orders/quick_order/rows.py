"""What parsing produces, and its limits: a row (SKU, quantity, unit code, or an error saying why the row cannot be
read), the whole-input ``QuickOrderError``, and quantities typed the Turkish or the English way. No database."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from b2bportal.money import format_quantity
from b2bportal.uploads import XlsxLimits
from catalog.models import Product

MAX_ROWS = 1000
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_TEXT_CHARS = MAX_FILE_BYTES
MAX_QUANTITY = Decimal("1000000")
MAX_COLUMNS = 50
# A workbook is a zip: its size on disk says little about what it unpacks to.
# Checked before the workbook is parsed (b2bportal/uploads.py): each part and the whole unpacked, and the number of
# texts and of cells, so a small file that unpacks to millions of either is refused at once.
XLSX_LIMITS = XlsxLimits(
    max_members=500,
    max_part_bytes=10 * 1024 * 1024,
    max_total_bytes=50 * 1024 * 1024,
    max_shared_strings=100_000,
    max_cells=100_000,
)
# Blank rows count here too, so a sheet with a stray cell in row 1,000,000 cannot keep the parser busy.
MAX_SHEET_ROWS = 10 * MAX_ROWS
MAX_SKU_LENGTH = Product._meta.get_field("sku").max_length
RAW_PREVIEW_CHARS = 200
XLSX_PLACES = Decimal("0.001")


class QuickOrderError(Exception):
    """The input as a whole cannot be read; ``message`` says why, for the dealer. Nothing of it is parsed."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class QuickOrderRow:
    """One line of pasted text or one spreadsheet row. ``quantity`` is None when ``error`` says why."""

    line_no: int
    sku: str
    quantity: Decimal | None
    unit_code: str
    raw: str
    error: str = ""


DIGITS = re.compile(r"[0-9]+")
_GROUPED = {
    ".": re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+"),
    ",": re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+"),
}
_SPACES = str.maketrans("", "", " \u00a0\u202f")


def parse_quantity_text(text: str) -> Decimal | None:
    """A number typed the Turkish or the English way: "12", "2,5", "2.5", "1.234,5", "1,234.5", "1.234.567".

    With both separators the last one is the decimal mark. A single comma is a decimal comma ("1,234" is
    1.234, as a Turkish reader means it); a single dot is a decimal point; a separator repeated is thousands
    grouping and must group by three. Returns None for anything else (letters, exponents, "NaN", misgrouping).
    """
    text = text.strip().translate(_SPACES)
    sign = ""
    if text[:1] in ("+", "-"):
        sign, text = text[0], text[1:]
    if "," in text and "." in text:
        decimal_mark = "," if text.rfind(",") > text.rfind(".") else "."
        group_mark = "." if decimal_mark == "," else ","
    elif text.count(",") == 1:
        decimal_mark, group_mark = ",", None
    elif text.count(",") > 1:
        decimal_mark, group_mark = None, ","
    elif text.count(".") > 1:
        decimal_mark, group_mark = None, "."
    else:
        decimal_mark, group_mark = ".", None
    whole, mark, fraction = text.partition(decimal_mark) if decimal_mark else (text, "", "")
    if group_mark and group_mark in whole:
        if not _GROUPED[group_mark].fullmatch(whole):
            return None
        whole = whole.replace(group_mark, "")
    if not DIGITS.fullmatch(whole) or (mark and not DIGITS.fullmatch(fraction)):
        return None
    return Decimal(f"{sign}{whole}.{fraction}" if mark else f"{sign}{whole}")


def _checked_quantity(quantity: Decimal) -> tuple[Decimal | None, str]:
    if quantity <= 0:
        return None, _("The quantity must be above zero.")
    if quantity > MAX_QUANTITY:
        return None, _("The quantity %(quantity)s is too large; at most %(max)s.") % {
            "quantity": format_quantity(quantity),
            "max": format_quantity(MAX_QUANTITY),
        }
    return quantity, ""


def _not_a_quantity(text: str) -> tuple[None, str]:
    shown = text if len(text) <= 40 else text[:40] + "…"
    return None, _("“%(text)s” is not a quantity.") % {"text": shown}


def quantity_from_text(text: str) -> tuple[Decimal | None, str]:
    quantity = parse_quantity_text(text)
    if quantity is None:
        return _not_a_quantity(text)
    return _checked_quantity(quantity)


def quantity_from_cell(value: object) -> tuple[Decimal | None, str]:
    """A quantity from a spreadsheet cell: numbers as stored (floats to three places), text as typed."""
    if isinstance(value, str):
        return quantity_from_text(value)
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return _not_a_quantity(cell_text(value))
    if isinstance(value, float) and not math.isfinite(value):
        return _not_a_quantity(str(value))
    quantity = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if isinstance(value, float) and abs(quantity) <= MAX_QUANTITY:
        quantity = quantity.quantize(XLSX_PLACES, rounding=ROUND_HALF_UP)
    return _checked_quantity(quantity)


def cell_text(value: object) -> str:
    """A cell as text: whole floats without ".0" (a numeric SKU typed into Excel comes back as 12345.0)."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return str(int(value))
    return str(value).strip()


def raw_text(text: str) -> str:
    return text if len(text) <= RAW_PREVIEW_CHARS else text[:RAW_PREVIEW_CHARS] + "…"


def sku_error(sku: str) -> str:
    if not sku:
        return _("No SKU given.")
    if len(sku) > MAX_SKU_LENGTH:
        return _("The code is longer than %(max)s characters.") % {"max": MAX_SKU_LENGTH}
    return ""


def too_many_rows() -> QuickOrderError:
    return QuickOrderError(
        _("At most %(max)s rows can be ordered at once; please split the list.") % {"max": format_quantity(MAX_ROWS)}
    )
