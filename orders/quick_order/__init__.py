"""Quick order: a dealer pastes "SKU quantity" lines or uploads a CSV or XLSX file, and sees row by row what
would go into the cart before anything is added.

Parsing is pure (no database). It refuses hostile input as a whole with ``QuickOrderError``: more than
``MAX_ROWS`` rows, more than ``MAX_FILE_BYTES``, bytes that are neither text nor an XLSX workbook, a workbook past
``XLSX_LIMITS`` (a part or the whole unpacking too large, too many texts or cells: checked before parsing). A single
row that cannot be read (no SKU, a quantity that is not a number, zero, negative or above ``MAX_QUANTITY``) is not
an exception: it carries an ``error``.

The preview reads the database in a constant number of queries whatever the number of rows: one for the SKUs,
one for barcodes (only when some code is not a SKU), one for the products this dealer may see, then prices,
pack sizes and stock for all of them at once (``catalog/pricing.py``, ``catalog/availability.py``). A product the
dealer may not see answers exactly like an inactive one, "not orderable", and the answer names nothing but the
code the dealer typed.
"""

from orders.quick_order.files import file_too_large, parse_quick_order_file
from orders.quick_order.pasted import parse_quick_order_text
from orders.quick_order.preview import PreviewLine, PreviewStatus, quick_order_preview
from orders.quick_order.rows import (
    MAX_FILE_BYTES,
    MAX_QUANTITY,
    MAX_ROWS,
    MAX_SKU_LENGTH,
    MAX_TEXT_CHARS,
    QuickOrderError,
    QuickOrderRow,
    parse_quantity_text,
)

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_QUANTITY",
    "MAX_ROWS",
    "MAX_SKU_LENGTH",
    "MAX_TEXT_CHARS",
    "PreviewLine",
    "PreviewStatus",
    "QuickOrderError",
    "QuickOrderRow",
    "file_too_large",
    "parse_quantity_text",
    "parse_quick_order_file",
    "parse_quick_order_text",
    "quick_order_preview",
]
