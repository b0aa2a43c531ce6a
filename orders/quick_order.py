"""Quick order: a dealer pastes "SKU quantity" lines or uploads a CSV or XLSX file, and sees row by row what
would go into the cart before anything is added.

Parsing is pure (no database). It refuses hostile input as a whole with ``QuickOrderError``: more than
``MAX_ROWS`` rows, more than ``MAX_FILE_BYTES``, bytes that are neither text nor an XLSX workbook, a workbook
that unpacks to more than ``MAX_XLSX_UNPACKED_BYTES``. A single row that cannot be read (no SKU, a quantity that
is not a number, zero, negative or above ``MAX_QUANTITY``) is not an exception: it carries an ``error``.

The preview reads the database in a constant number of queries whatever the number of rows: one for the SKUs,
one for barcodes (only when some code is not a SKU), one for the products this dealer may see, then prices,
pack sizes and stock for all of them at once (``catalog/pricing.py``, ``catalog/availability.py``). A product the
dealer may not see answers exactly like an inactive one, "not orderable", and the answer names nothing but the
code the dealer typed.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from django.db.models import CharField, Func, Q, Value
from django.db.models.functions import Lower, Trim
from django.utils.translation import gettext as _

from b2bportal.money import format_quantity
from catalog.availability import Availability, Decision, availability_for_products, quantity_decision
from catalog.models import Product, ProductUnit, Unit
from catalog.prices import PriceResult
from catalog.pricing import DealerPricing
from catalog.selectors import visible_products

MAX_ROWS = 1000
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_TEXT_CHARS = MAX_FILE_BYTES
MAX_QUANTITY = Decimal("1000000")
MAX_COLUMNS = 50
# A workbook is a zip: its size on disk says little about what it unpacks to.
MAX_XLSX_UNPACKED_BYTES = 50 * 1024 * 1024
MAX_XLSX_MEMBERS = 500
# Blank rows count here too, so a sheet with a stray cell in row 1,000,000 cannot keep the parser busy.
MAX_SHEET_ROWS = 10 * MAX_ROWS
MAX_SKU_LENGTH = Product._meta.get_field("sku").max_length
RAW_PREVIEW_CHARS = 200
XLSX_PLACES = Decimal("0.001")
# Pack quantities are stepped up to the next allowed one; a product whose minimum, multiple and pack factor
# never line up gives up after this many steps instead of looping.
MAX_ADJUST_STEPS = 1000

SKU_HEADERS = frozenset(
    {"sku", "stok kodu", "urun kodu", "kod", "code", "item code", "malzeme kodu", "product code", "stock code"}
)
QUANTITY_HEADERS = frozenset({"quantity", "qty", "miktar", "adet"})
UNIT_HEADERS = frozenset({"unit", "birim", "unit code", "birim kodu"})


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


class PreviewStatus:
    OK = "ok"
    ADJUSTED = "adjusted"
    UNKNOWN_SKU = "unknown_sku"
    NOT_ORDERABLE = "not_orderable"
    NO_PRICE = "no_price"
    INVALID_QUANTITY = "invalid_quantity"
    UNKNOWN_UNIT = "unknown_unit"

    ADDABLE = frozenset({OK, ADJUSTED})


@dataclass(frozen=True)
class PreviewLine:
    """What one row (or several rows of the same product and unit, summed) would add to the cart.

    ``quantity`` is what would be added, in ``unit`` (None: the product's base unit); it is None when nothing
    would be added. ``requested`` is the quantity asked for, before any adjustment. ``line_nos`` lists every
    input line summed into this one. ``product`` and ``price`` are None for "unknown_sku" and "not_orderable".
    """

    row: QuickOrderRow
    status: str
    product: Product | None
    quantity: Decimal | None
    unit: Unit | None
    price: PriceResult | None
    message: str
    requested: Decimal | None = None
    line_nos: tuple[int, ...] = ()

    @property
    def can_be_added(self) -> bool:
        return self.status in PreviewStatus.ADDABLE


# -- quantities --------------------------------------------------------------------------------------------------

_DIGITS = re.compile(r"[0-9]+")
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
    if not _DIGITS.fullmatch(whole) or (mark and not _DIGITS.fullmatch(fraction)):
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


def _quantity_from_text(text: str) -> tuple[Decimal | None, str]:
    quantity = parse_quantity_text(text)
    if quantity is None:
        return _not_a_quantity(text)
    return _checked_quantity(quantity)


def _quantity_from_cell(value: object) -> tuple[Decimal | None, str]:
    """A quantity from a spreadsheet cell: numbers as stored (floats to three places), text as typed."""
    if isinstance(value, str):
        return _quantity_from_text(value)
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return _not_a_quantity(_cell_text(value))
    if isinstance(value, float) and not math.isfinite(value):
        return _not_a_quantity(str(value))
    quantity = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    if isinstance(value, float) and abs(quantity) <= MAX_QUANTITY:
        quantity = quantity.quantize(XLSX_PLACES, rounding=ROUND_HALF_UP)
    return _checked_quantity(quantity)


def _cell_text(value: object) -> str:
    """A cell as text: whole floats without ".0" (a numeric SKU typed into Excel comes back as 12345.0)."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        return str(int(value))
    return str(value).strip()


def _raw(text: str) -> str:
    return text if len(text) <= RAW_PREVIEW_CHARS else text[:RAW_PREVIEW_CHARS] + "…"


def _sku_error(sku: str) -> str:
    if not sku:
        return _("No SKU given.")
    if len(sku) > MAX_SKU_LENGTH:
        return _("The code is longer than %(max)s characters.") % {"max": MAX_SKU_LENGTH}
    return ""


# -- pasted text -------------------------------------------------------------------------------------------------

_SKU_AND_REST = re.compile(r"(?P<sku>[^\s;,]+)(?P<sep>\s*[;,]\s*|\s+)?(?P<rest>.*)", re.DOTALL)


def _text_fields(sep: str, rest: str) -> list[str]:
    """The columns after the SKU, split the way the line separates the SKU from the quantity."""
    mark = sep.strip()
    if mark == ";":
        fields = rest.split(";")
    elif mark == ",":
        fields = rest.split(",")
        # "ABC-1,2,5": a comma separates the SKU, so "2,5" is a decimal comma only when digits follow it.
        if len(fields) >= 2 and _DIGITS.fullmatch(fields[0].strip()) and _DIGITS.fullmatch(fields[1].strip()):
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
        return QuickOrderRow(line_no, "", None, "", _raw(stripped), _("No SKU given."))
    sku = match["sku"]
    fields = _text_fields(match["sep"] or "", match["rest"])
    unit_code = fields[1] if len(fields) > 1 else ""
    error = _sku_error(sku)
    if error:
        return QuickOrderRow(line_no, sku, None, unit_code, _raw(stripped), error)
    if len(fields) > 2:
        error = _("Too many columns: expected a SKU, a quantity and optionally a unit.")
        return QuickOrderRow(line_no, sku, None, unit_code, _raw(stripped), error)
    if not fields or not fields[0]:
        quantity, error = Decimal("1"), ""
    else:
        quantity, error = _quantity_from_text(fields[0])
    return QuickOrderRow(line_no, sku, quantity, unit_code, _raw(stripped), error)


def _too_many_rows() -> QuickOrderError:
    return QuickOrderError(
        _("At most %(max)s rows can be ordered at once; please split the list.") % {"max": format_quantity(MAX_ROWS)}
    )


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
            raise _too_many_rows()
        rows.append(_row_from_line(line_no, line))
    return rows


# -- files -------------------------------------------------------------------------------------------------------

_HEADER_FOLD = str.maketrans({"İ": "i", "I": "i", "ı": "i"})


def _header_key(text: str) -> str:
    """ "Ürün Kodu", "URUN_KODU" and "ürün kodu:" all become "urun kodu"."""
    text = unicodedata.normalize("NFKD", text.translate(_HEADER_FOLD))
    text = "".join(char for char in text if not unicodedata.combining(char)).lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


@dataclass(frozen=True)
class _Columns:
    sku: int
    quantity: int | None
    unit: int | None
    from_header: bool


def _is_number(value: object) -> bool:
    if isinstance(value, str):
        return parse_quantity_text(value) is not None
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _header_columns(cells: list, texts: list[str]) -> _Columns | None:
    """Columns named by a header row, or None when the row names none of SKU, quantity or unit. A row with a
    number in it is data ("A-1;5;ADET" names the unit ADET, not a quantity column)."""
    if any(_is_number(value) for value in cells):
        return None
    keys = [_header_key(text) for text in texts]

    def first(names: frozenset[str]) -> int | None:
        return next((index for index, key in enumerate(keys) if key in names), None)

    sku, quantity, unit = first(SKU_HEADERS), first(QUANTITY_HEADERS), first(UNIT_HEADERS)
    if sku is None and quantity is None and unit is None:
        return None
    if sku is None:
        # A header with a quantity column under a name we do not know for the code: the first other column.
        sku = next(index for index in range(len(keys) + 1) if index not in (quantity, unit))
    return _Columns(sku=sku, quantity=quantity, unit=unit, from_header=True)


def _row_from_cells(line_no: int, cells: list, texts: list[str], columns: _Columns) -> QuickOrderRow:
    def cell(index: int | None) -> object:
        return cells[index] if index is not None and index < len(cells) else None

    def text(index: int | None) -> str:
        return texts[index] if index is not None and index < len(texts) else ""

    raw_cells = list(texts)
    while raw_cells and not raw_cells[-1]:
        raw_cells.pop()
    raw = _raw(" | ".join(raw_cells))
    sku, unit_code = text(columns.sku), text(columns.unit)
    error = _sku_error(sku)
    if error:
        return QuickOrderRow(line_no, sku, None, unit_code, raw, error)
    if columns.quantity is None:
        quantity, error = Decimal("1"), ""
    elif not text(columns.quantity):
        # Under a quantity heading an empty cell is a product left out of an order form, not "one of it".
        quantity, error = (None, _("No quantity given.")) if columns.from_header else (Decimal("1"), "")
    else:
        quantity, error = _quantity_from_cell(cell(columns.quantity))
    return QuickOrderRow(line_no, sku, quantity, unit_code, raw, error)


def _rows_from_table(table: Iterable[tuple[int, list]]) -> list[QuickOrderRow]:
    """Rows from (row number, cells) pairs: a header row when the first non-empty row names its columns,
    otherwise SKU, quantity and unit in the first three columns. Blank rows are skipped."""
    columns: _Columns | None = None
    rows: list[QuickOrderRow] = []
    for line_no, values in table:
        cells = list(values[:MAX_COLUMNS])
        texts = [_cell_text(value) for value in cells]
        if not any(texts):
            continue
        if columns is None:
            columns = _header_columns(cells, texts)
            if columns is not None:
                continue
            # Like a pasted line: SKU, quantity, optional unit. Reading a third column "KOLI" as pieces would
            # silently order a twelfth of what was meant; an unknown unit at least shows up in the preview.
            columns = _Columns(sku=0, quantity=1, unit=2, from_header=False)
        if len(rows) >= MAX_ROWS:
            raise _too_many_rows()
        rows.append(_row_from_cells(line_no, cells, texts, columns))
    return rows


_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM (Excel's "Unicode text"), else Windows-1254."""
    try:
        if data.startswith(codecs.BOM_UTF8):
            text = data[len(codecs.BOM_UTF8) :].decode("utf-8")
        elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            text = data.decode("utf-16")
        else:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text = data.decode("cp1254")
    except UnicodeDecodeError:
        raise _unreadable() from None
    if _CONTROL_CHARS.search(text):
        raise _unreadable()
    return text


def _unreadable() -> QuickOrderError:
    return QuickOrderError(_("The file could not be read. Please upload a CSV file or an Excel workbook (.xlsx)."))


def _delimiter(text: str) -> str:
    """The separator found on most of the first lines; on a tie tab before ";" before "," (a decimal comma
    sits beside ";" in Turkish files)."""
    sample = [line for line in text.splitlines()[:50] if line.strip()][:20]
    return max(("\t", ";", ","), key=lambda mark: sum(mark in line for line in sample))


def _parse_csv(data: bytes) -> list[QuickOrderRow]:
    text = _decode_text(data)
    delimiter = _delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return _rows_from_table(enumerate(reader, start=1))
    except csv.Error:
        raise _unreadable() from None


def _sheet_rows(sheet) -> Iterator[tuple[int, list]]:
    for line_no, values in enumerate(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True), start=1):
        if line_no > MAX_SHEET_ROWS:
            raise QuickOrderError(
                _("The sheet has more than %(max)s rows, blank ones included; please copy the list to a new sheet.")
                % {"max": format_quantity(MAX_SHEET_ROWS)}
            )
        yield line_no, list(values)


def _parse_xlsx(data: bytes) -> list[QuickOrderRow]:
    import openpyxl  # only when a workbook is uploaded

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            names = {member.filename for member in members}
    except (zipfile.BadZipFile, ValueError):
        raise _unreadable() from None
    if "[Content_Types].xml" not in names:
        raise _unreadable()
    if len(members) > MAX_XLSX_MEMBERS or sum(member.file_size for member in members) > MAX_XLSX_UNPACKED_BYTES:
        raise QuickOrderError(_("The workbook is too large to read; please save only the order list."))
    try:
        # read_only streams the sheet; data_only reads the values Excel saved, never formulas; macros in a
        # workbook are not loaded (keep_vba is off).
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:
        raise _unreadable() from None
    try:
        if not workbook.worksheets:
            return []
        return _rows_from_table(_sheet_rows(workbook.worksheets[0]))
    except QuickOrderError:
        raise
    except Exception:
        raise _unreadable() from None
    finally:
        workbook.close()


def parse_quick_order_file(data: bytes, filename: str) -> list[QuickOrderRow]:
    """Rows from an uploaded CSV or XLSX file (the first sheet). The content decides the format, not the name.

    CSV: UTF-8 with or without BOM, else Windows-1254 (what Turkish Excel saves); ";", "," or tab. A first row
    naming its columns (in Turkish or English, any case and accents: "Stok Kodu", "Miktar", "Birim", "SKU",
    "Qty", "Unit"…) picks the columns; without one the columns are SKU, quantity (empty: 1) and unit, as in
    pasted text. Under a quantity heading an empty cell is a row error. Line numbers are the spreadsheet's.
    Refuses with ``QuickOrderError``: an empty file, more than ``MAX_FILE_BYTES``, more than ``MAX_ROWS`` rows,
    old .xls, and anything that is neither text nor an .xlsx workbook.
    """
    if not data:
        raise QuickOrderError(_("The file is empty."))
    if len(data) > MAX_FILE_BYTES:
        raise QuickOrderError(
            _("The file is larger than %(max)s MB; please split the list.") % {"max": MAX_FILE_BYTES // (1024 * 1024)}
        )
    if data.startswith(b"PK\x03\x04"):
        return _parse_xlsx(data)
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise QuickOrderError(_("Old Excel files (.xls) cannot be read; please save the file as .xlsx or CSV."))
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise _unreadable()
    return _parse_csv(data)


# -- preview -----------------------------------------------------------------------------------------------------

# Turkish letters folded so "şişe-1" finds "ŞİŞE-1": Python's and PostgreSQL's lower() disagree on "İ", and
# neither maps "I" to "ı", so both sides first fold the letters that differ, then lower the rest.
_SKU_FOLD_FROM = "İIıŞĞÜÖÇ"
_SKU_FOLD_TO = "iiişğüöç"
_SKU_FOLD = str.maketrans(_SKU_FOLD_FROM, _SKU_FOLD_TO)


class _Translate(Func):
    function = "TRANSLATE"
    output_field = CharField()


def sku_key(sku: str) -> str:
    """The form in which two SKUs are the same code: trimmed, case and Turkish dotted/dotless i ignored."""
    return sku.strip().translate(_SKU_FOLD).lower()


def _sku_key_sql():
    return Lower(_Translate(Trim("sku"), Value(_SKU_FOLD_FROM), Value(_SKU_FOLD_TO)))


@dataclass(frozen=True)
class _Candidate:
    product_id: int
    pack_unit_id: int | None = None


def _candidates(rows: list[QuickOrderRow]) -> list[list[_Candidate]]:
    """For each row, the products its code may mean, best first: by SKU (the exact spelling first), else by
    product barcode (the base unit), else by pack barcode (that pack). One query for the SKUs, one for barcodes.
    """
    codes = [row.sku.strip() if row.sku and not _sku_error(row.sku) else "" for row in rows]
    keys = {sku_key(code) for code in codes if code}
    by_key: dict[str, list[tuple[int, str]]] = {}
    if keys:
        matches = Product.objects.annotate(sku_key=_sku_key_sql()).filter(sku_key__in=keys)
        for pk, sku in matches.values_list("pk", "sku").order_by("pk"):
            by_key.setdefault(sku_key(sku), []).append((pk, sku.strip()))
    found: list[list[_Candidate]] = []
    for code in codes:
        matches = sorted(by_key.get(sku_key(code), []), key=lambda match: (match[1] != code, match[0])) if code else []
        found.append([_Candidate(pk) for pk, _sku in matches])
    barcodes = {code for code, candidates in zip(codes, found, strict=True) if code and not candidates}
    if not barcodes:
        return found
    by_product_barcode: dict[str, list[_Candidate]] = {}
    by_pack_barcode: dict[str, list[_Candidate]] = {}
    matches = (
        Product.objects.filter(Q(barcode__in=barcodes) | Q(units__barcode__in=barcodes))
        .values_list("pk", "barcode", "units__barcode", "units__unit_id")
        .order_by("pk", "units__unit_id")
    )
    for pk, barcode, pack_barcode, pack_unit_id in matches:
        if barcode in barcodes and _Candidate(pk) not in by_product_barcode.get(barcode, []):
            by_product_barcode.setdefault(barcode, []).append(_Candidate(pk))
        if pack_barcode in barcodes:
            by_pack_barcode.setdefault(pack_barcode, []).append(_Candidate(pk, pack_unit_id))
    for index, code in enumerate(codes):
        if code in barcodes:
            found[index] = by_product_barcode.get(code, []) + by_pack_barcode.get(code, [])
    return found


def _too_many_places(quantity: Decimal, places: int) -> bool:
    return quantity != quantity.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _fit(
    product: Product, quantity: Decimal, *, factor: Decimal, places: int, availability: Availability
) -> tuple[Decimal | None, Decision, Decision]:
    """The requested quantity, or the least larger one that the minimum and the order multiple allow and that
    the row's unit can express: (that quantity, or None when none fits; the decision on the request; the
    decision on the answer). Stock never makes it None."""
    first = quantity_decision(product, quantity, unit_factor=factor, availability=availability)
    decision, candidate = first, quantity
    step = Decimal(1).scaleb(-places)
    for _attempt in range(MAX_ADJUST_STEPS):
        if decision.reason not in ("below_minimum", "not_a_multiple"):
            break
        # ``suggested`` counts base units: back to the row's unit, rounded up to what the unit can express.
        candidate = max((decision.suggested / factor).quantize(step, rounding=ROUND_CEILING), candidate + step)
        decision = quantity_decision(product, candidate, unit_factor=factor, availability=availability)
    if decision.allowed or decision.reason == "insufficient_stock":
        return candidate, first, decision
    return None, first, decision


def _pack_for(
    product: Product, code: str, pack_unit_id: int | None, packs: list[ProductUnit]
) -> tuple[bool, ProductUnit | None]:
    """(known, pack) for a typed unit code, else for the pack a barcode named; pack None is the base unit.
    A pack that is not sold is not known."""
    if code:
        if sku_key(code) == sku_key(product.base_unit.code):
            return True, None
        pack = next((p for p in packs if sku_key(p.unit.code) == sku_key(code)), None)
    elif pack_unit_id is None or pack_unit_id == product.base_unit_id:
        return True, None
    else:
        pack = next((p for p in packs if p.unit_id == pack_unit_id), None)
    if pack is None or not pack.is_sales_unit or pack.unit_id == product.base_unit_id:
        return False, None
    return True, pack


@dataclass
class _Group:
    product: Product
    pack: ProductUnit | None
    rows: list[QuickOrderRow]


def quick_order_preview(*, dealer_user, rows: list[QuickOrderRow]) -> list[PreviewLine]:
    """What each row would add to ``dealer_user``'s cart, in input order; nothing is written.

    Rows of the same product and unit are summed into one line, in the first row's place. A quantity below
    the minimum or off the order multiple is raised to the next allowed one ("adjusted", the message says from
    what to what); one with more decimals than its unit allows is refused ("invalid_quantity"). Low stock is
    mentioned, never refused: stock is decided when the order is placed.
    Refuses, line by line: unknown codes ("unknown_sku"), products the dealer cannot see or that are not active
    (both "not_orderable", saying nothing about the product), units the product is not sold in
    ("unknown_unit"), and quantities without a price for this dealer ("no_price").
    Reads the database in a constant number of queries, whatever the number of rows.
    """
    pricing = DealerPricing(dealer_user.dealer)
    candidates = _candidates(rows)
    product_ids = {candidate.product_id for found in candidates for candidate in found}
    products: dict[int, Product] = {}
    if product_ids:
        visible = visible_products(pricing=pricing).filter(pk__in=product_ids).select_related("base_unit")
        products = {product.pk: product for product in visible}
    pricing.prime(products.values(), packs=True)
    stock = availability_for_products(products.values()) if products else {}

    slots: list[PreviewLine | tuple[int, int | None]] = []
    groups: dict[tuple[int, int | None], _Group] = {}
    for row, found in zip(rows, candidates, strict=True):
        resolved = _resolve(row, found, products, pricing)
        if isinstance(resolved, PreviewLine):
            slots.append(resolved)
            continue
        product, pack = resolved
        key = (product.pk, pack.unit_id if pack else None)
        if key not in groups:
            groups[key] = _Group(product=product, pack=pack, rows=[])
            slots.append(key)
        groups[key].rows.append(row)
    return [
        slot if isinstance(slot, PreviewLine) else _group_line(groups[slot], pricing, stock[slot[0]]) for slot in slots
    ]


def _refused(row: QuickOrderRow, status: str, message: str, *, product=None, unit=None, requested=None) -> PreviewLine:
    return PreviewLine(
        row=row,
        status=status,
        product=product,
        quantity=None,
        unit=unit,
        price=None,
        message=message,
        requested=requested,
        line_nos=(row.line_no,),
    )


def _resolve(
    row: QuickOrderRow, found: list[_Candidate], products: dict[int, Product], pricing: DealerPricing
) -> PreviewLine | tuple[Product, ProductUnit | None]:
    """The product and pack a row orders, or the line that says why it cannot join the cart."""
    code = row.sku.strip()[:MAX_SKU_LENGTH]
    if not found:
        message = _sku_error(row.sku) or _("No product with the code %(code)s.") % {"code": code}
        return _refused(row, PreviewStatus.UNKNOWN_SKU, message)
    chosen = next((candidate for candidate in found if candidate.product_id in products), None)
    if chosen is None:
        # Hidden and inactive products get the same answer, and it names only what the dealer typed.
        return _refused(row, PreviewStatus.NOT_ORDERABLE, _("%(code)s cannot be ordered.") % {"code": code})
    product = products[chosen.product_id]
    if row.error:
        return _refused(row, PreviewStatus.INVALID_QUANTITY, row.error, product=product)
    packs = pricing.packs(product)
    known, pack = _pack_for(product, row.unit_code, chosen.pack_unit_id, packs)
    if not known:
        named = row.unit_code or next((p.unit.code for p in packs if p.unit_id == chosen.pack_unit_id), "")
        sold = dict.fromkeys([product.base_unit.code] + [p.unit.code for p in packs if p.is_sales_unit])
        message = _("%(sku)s is not sold in unit %(unit)s; it is sold in %(units)s.") % {
            "sku": product.sku,
            "unit": named,
            "units": ", ".join(sold),
        }
        return _refused(row, PreviewStatus.UNKNOWN_UNIT, message, product=product, requested=row.quantity)
    unit = pack.unit if pack else product.base_unit
    if _too_many_places(row.quantity, unit.decimals):
        message = _("%(unit)s allows %(places)s decimal places.") % {"unit": unit.code, "places": unit.decimals}
        return _refused(
            row,
            PreviewStatus.INVALID_QUANTITY,
            message,
            product=product,
            unit=pack.unit if pack else None,
            requested=row.quantity,
        )
    return product, pack


def _group_line(group: _Group, pricing: DealerPricing, availability: Availability) -> PreviewLine:
    """The line for one product and unit: the summed quantity, adjusted to the rules, with its price."""
    product, pack = group.product, group.pack
    unit = pack.unit if pack else None
    shown_unit = unit or product.base_unit
    line_nos = tuple(row.line_no for row in group.rows)
    requested = sum((row.quantity for row in group.rows), Decimal("0"))
    parts = []
    if len(line_nos) > 1:
        parts.append(_("Lines %(lines)s were combined into one.") % {"lines": ", ".join(map(str, line_nos))})
    quantity, first, final = _fit(
        product,
        requested,
        factor=pack.factor if pack else Decimal("1"),
        places=shown_unit.decimals,
        availability=availability,
    )

    def line(status: str, *, price: PriceResult | None = None, quantity: Decimal | None = None) -> PreviewLine:
        return PreviewLine(group.rows[0], status, product, quantity, unit, price, " ".join(parts), requested, line_nos)

    if quantity is None:
        parts.append(final.message)
        return line(PreviewStatus.INVALID_QUANTITY)
    status = PreviewStatus.OK
    if quantity != requested:
        status = PreviewStatus.ADJUSTED
        parts.append(
            _("Quantity changed from %(requested)s to %(quantity)s %(unit)s: %(reason)s")
            % {
                "requested": format_quantity(requested),
                "quantity": format_quantity(quantity),
                "unit": shown_unit.code,
                "reason": first.message,
            }
        )
    if final.reason == "insufficient_stock":
        parts.append(
            _("Low stock: %(available)s %(unit)s available now; the rest may be delivered later.")
            % {"available": format_quantity(final.available), "unit": product.base_unit.code}
        )
    price = pricing.price(product, quantity, unit)
    if not price.exists:
        parts.append(price.message)
        return line(PreviewStatus.NO_PRICE, price=price)
    return line(status, price=price, quantity=quantity)
