"""Pasted text: one "SKU quantity unit" line per row, separated by whitespace, a tab, ";" or ","."""

from __future__ import annotations

import re
from decimal import Decimal

from django.utils.translation import gettext as _

from orders.quick_order.rows import (
    DIGITS,
    MAX_ROWS,
    MAX_TEXT_CHARS,
    QuickOrderError,
    QuickOrderRow,
    quantity_from_text,
    raw_text,
    sku_error,
    too_many_rows,
)

_SKU_AND_REST = re.compile(r"(?P<sku>[^\s;,]+)(?P<sep>\s*[;,]\s*|\s+)?(?P<rest>.*)", re.DOTALL)


def _text_fields(sep: str, rest: str) -> list[str]:
    """The columns after the SKU, split the way the line separates the SKU from the quantity."""
    mark = sep.strip()
    if mark == ";":
        fields = rest.split(";")
    elif mark == ",":
        fields = rest.split(",")
        # "ABC-1,2,5": a comma separates the SKU, so "2,5" is a decimal comma only when digits follow it.
        if len(fields) >= 2 and DIGITS.fullmatch(fields[0].strip()) and DIGITS.fullmatch(fields[1].strip()):
            fields = [f"{fields[0].strip()},{fields[1].strip()}", *fields[2:]]
    elif "\t" in sep:
        fields = rest.split("\t")
    else:
        fields = [rest]
    # "ABC-1;2 KOLI": whitespace inside a column separates too.
    fields = [part for field in fields for part in (field.split() or [""])]
    while fields and not fields[-1]:
        fields.pop()
    return fields


def _row_from_line(line_no: int, line: str) -> QuickOrderRow:
    stripped = line.strip()
    match = _SKU_AND_REST.fullmatch(stripped)
    if match is None:
        return QuickOrderRow(line_no, "", None, "", raw_text(stripped), _("No SKU given."))
    sku = match["sku"]
    fields = _text_fields(match["sep"] or "", match["rest"])
    unit_code = fields[1] if len(fields) > 1 else ""
    error = sku_error(sku)
    if error:
        return QuickOrderRow(line_no, sku, None, unit_code, raw_text(stripped), error)
    if len(fields) > 2:
        error = _("Too many columns: expected a SKU, a quantity and optionally a unit.")
        return QuickOrderRow(line_no, sku, None, unit_code, raw_text(stripped), error)
    if not fields or not fields[0]:
        quantity, error = Decimal("1"), ""
    else:
        quantity, error = quantity_from_text(fields[0])
    return QuickOrderRow(line_no, sku, quantity, unit_code, raw_text(stripped), error)


def parse_quick_order_text(text: str) -> list[QuickOrderRow]:
    """One row per non-empty line that does not start with "#": SKU, quantity (default 1), optional unit code.

    The SKU is separated from the quantity by whitespace, a tab, ";" or ",". After whitespace, a tab or ";" a
    comma in the quantity is a decimal comma ("ABC-1 2,5" and "ABC-1;2,5" are 2.5); after a comma it is not
    ("ABC-1,3" is 3), unless digits follow it ("ABC-1,2,5" is 2.5).
    Refuses with ``QuickOrderError`` text longer than ``MAX_TEXT_CHARS`` or with more than ``MAX_ROWS`` rows.
    """
    if len(text) > MAX_TEXT_CHARS:
        raise QuickOrderError(_("The text is too long; please split the list."))
    rows: list[QuickOrderRow] = []
    for line_no, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if len(rows) >= MAX_ROWS:
            raise too_many_rows()
        rows.append(_row_from_line(line_no, line))
    return rows
