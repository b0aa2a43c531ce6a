"""Quick order: pasted lines and CSV/XLSX files parsed row by row, and the preview of what would enter the cart."""

import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Product
from catalog.tests.factories import (
    PriceListFactory,
    PriceListItemFactory,
    ProductFactory,
    ProductUnitFactory,
    StockLevelFactory,
    UnitFactory,
)
from dealers.tests.factories import DealerUserFactory
from orders.models import CartLine
from orders.quick_order import (
    MAX_FILE_BYTES,
    MAX_ROWS,
    PreviewStatus,
    QuickOrderError,
    QuickOrderRow,
    parse_quantity_text,
    parse_quick_order_file,
    parse_quick_order_text,
    quick_order_preview,
)

D = Decimal


def parsed(text):
    return [(row.sku, row.quantity, row.unit_code) for row in parse_quick_order_text(text)]


def xlsx(cells: dict[tuple[int, int], object]) -> bytes:
    """A workbook whose first sheet holds ``cells`` at (row, column), both 1-based."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for (row, column), value in cells.items():
        sheet.cell(row=row, column=column, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def table(*rows) -> dict[tuple[int, int], object]:
    return {(r, c): value for r, row in enumerate(rows, start=1) for c, value in enumerate(row, start=1)}


# -- pasted text -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("ABC-1 2,5", ("ABC-1", D("2.5"), "")),
        ("ABC-1;2,5", ("ABC-1", D("2.5"), "")),
        ("ABC-1\t2,5", ("ABC-1", D("2.5"), "")),
        ("ABC-1,3", ("ABC-1", D("3"), "")),
        ("ABC-1 , 3", ("ABC-1", D("3"), "")),
        ("ABC-1,2,5", ("ABC-1", D("2.5"), "")),
        ("ABC-1,3,KOLI", ("ABC-1", D("3"), "KOLI")),
        ("ABC-1 1.234,5", ("ABC-1", D("1234.5"), "")),
        ("ABC-1 1,234.5", ("ABC-1", D("1234.5"), "")),
        ("ABC-1 2.5", ("ABC-1", D("2.5"), "")),
        ("  ABC-1     7   ", ("ABC-1", D("7"), "")),
        ("ABC-1 2 KOLI", ("ABC-1", D("2"), "KOLI")),
        ("ABC-1;2;koli", ("ABC-1", D("2"), "koli")),
        ("ABC-1\t2\tKOLI", ("ABC-1", D("2"), "KOLI")),
        ("ABC-1;;KOLI", ("ABC-1", D("1"), "KOLI")),
        ("ABC-1;4;", ("ABC-1", D("4"), "")),
    ],
)
def test_text_separators_and_decimal_comma(line, expected):
    assert parsed(line) == [expected]


def test_text_missing_quantity_is_one_and_comments_and_blank_lines_are_skipped():
    rows = parse_quick_order_text("# our weekly order\n\nABC-1\n   # ABC-2 5\nABC-3 2\n\n")
    assert [(row.line_no, row.sku, row.quantity, row.error) for row in rows] == [
        (3, "ABC-1", D("1"), ""),
        (5, "ABC-3", D("2"), ""),
    ]
    assert rows[0].raw == "ABC-1"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("ABC-1 abc", "is not a quantity"),
        ("ABC-1 -3", "must be above zero"),
        ("ABC-1 0", "must be above zero"),
        ("ABC-1 0,000", "must be above zero"),
        ("ABC-1 1000001", "too large"),
        ("ABC-1 1e5", "is not a quantity"),
        ("ABC-1 NaN", "is not a quantity"),
        ("ABC-1 Infinity", "is not a quantity"),
        ("ABC-1 1.23,4", "is not a quantity"),
        ("ABC-1 1 2 3", "Too many columns"),
        (";5", "No SKU"),
        ("X" * 65 + " 1", "longer than 64"),
    ],
)
def test_text_garbage_gives_a_row_error_not_an_exception(line, message):
    [row] = parse_quick_order_text(line)
    assert row.quantity is None
    assert message in row.error
    assert row.line_no == 1 and row.raw == line.strip()


def test_text_a_million_is_the_largest_quantity():
    assert parsed("ABC-1 1.000.000") == [("ABC-1", D("1000000"), "")]


def test_text_a_chatty_line_does_not_stop_the_rest():
    rows = parse_quick_order_text("Merhaba, aşağıdakileri istiyoruz:\nABC-1 2")
    assert rows[0].error and rows[1] == QuickOrderRow(2, "ABC-1", D("2"), "", "ABC-1 2", "")


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("12", D("12")),
        ("2,5", D("2.5")),
        ("2.5", D("2.5")),
        ("1.234,5", D("1234.5")),
        ("1,234.5", D("1234.5")),
        ("1.234.567", D("1234567")),
        ("1,234,567.25", D("1234567.25")),
        ("1 234,5", D("1234.5")),
        ("-2", D("-2")),
        ("12,", None),
        ("1,23,4", None),
        ("1.2.3", None),
        ("", None),
        ("½", None),
        ("١٢", None),
    ],
)
def test_quantity_text_in_turkish_and_english_notation(text, number):
    assert parse_quantity_text(text) == number


def test_text_row_limit_counts_rows_not_comments():
    lines = [f"A-{n} 1" for n in range(MAX_ROWS)]
    assert len(parse_quick_order_text("# header\n" + "\n".join(lines))) == MAX_ROWS
    with pytest.raises(QuickOrderError) as error:
        parse_quick_order_text("\n".join([*lines, "ONE-TOO-MANY 1"]))
    assert "At most 1,000 rows" in error.value.message


def test_text_too_long_is_refused():
    with pytest.raises(QuickOrderError):
        parse_quick_order_text("A 1 " + " " * MAX_FILE_BYTES)


# -- CSV ---------------------------------------------------------------------------------------------------------


def test_csv_turkish_excel_cp1254():
    data = "Stok Kodu;Miktar\nŞİŞE-1;2,5\nçivi-2;3\n".encode("cp1254")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")  # the test really exercises the fallback
    rows = parse_quick_order_file(data, "siparis.csv")
    assert [(row.line_no, row.sku, row.quantity) for row in rows] == [(2, "ŞİŞE-1", D("2.5")), (3, "çivi-2", D("3"))]


def test_csv_utf8_with_bom_recognises_the_header():
    data = "\ufeffSKU;Quantity\nÇİVİ-1;3\n".encode()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = parse_quick_order_file(data, "order.csv")
    assert [(row.line_no, row.sku, row.quantity, row.error) for row in rows] == [(2, "ÇİVİ-1", D("3"), "")]


def test_csv_utf8_without_bom_comma_separated_with_quoted_decimal_comma():
    data = b'Code,Qty,Unit\nA-1,"2,5",koli\nA-2,4,\n'
    rows = parse_quick_order_file(data, "order.csv")
    assert [(row.sku, row.quantity, row.unit_code) for row in rows] == [("A-1", D("2.5"), "koli"), ("A-2", D("4"), "")]


def test_csv_tab_separated():
    rows = parse_quick_order_file(b"A-1\t2,5\nA-2\t3\n", "order.txt")
    assert [(row.sku, row.quantity) for row in rows] == [("A-1", D("2.5")), ("A-2", D("3"))]


@pytest.mark.parametrize(
    ("sku_header", "quantity_header"),
    [
        ("Stok Kodu", "Miktar"),
        ("STOK KODU", "MİKTAR"),
        ("ÜRÜN KODU", "ADET"),
        ("urun_kodu", "qty"),
        ("Item Code", "Quantity"),
        ("Malzeme Kodu", "miktar"),
        ("KOD", "Adet"),
        ("code", "QTY"),
        ("sku", "Qty."),
    ],
)
def test_csv_header_variations(sku_header, quantity_header):
    data = f"{quantity_header};{sku_header}\n7;A-1\n".encode()
    rows = parse_quick_order_file(data, "order.csv")
    assert [(row.line_no, row.sku, row.quantity) for row in rows] == [(2, "A-1", D("7"))]


def test_csv_header_picks_columns_among_others():
    data = "Açıklama;Miktar;Birim;Stok Kodu;Fiyat\nVida;5;KOLI;V-1;12,50\n".encode()
    [row] = parse_quick_order_file(data, "order.csv")
    assert (row.sku, row.quantity, row.unit_code) == ("V-1", D("5"), "KOLI")


def test_csv_without_header_first_column_sku_second_quantity():
    data = b"A-1;5\n\nA-2;2,5\nA-3\nA-4;\n"
    rows = parse_quick_order_file(data, "order.csv")
    assert [(row.line_no, row.sku, row.quantity, row.error) for row in rows] == [
        (1, "A-1", D("5"), ""),
        (3, "A-2", D("2.5"), ""),
        (4, "A-3", D("1"), ""),
        (5, "A-4", D("1"), ""),
    ]


def test_csv_without_header_reads_a_unit_in_the_third_column_even_when_it_looks_like_a_heading():
    rows = parse_quick_order_file(b"A-1;5;ADET\nA-2;2;KOLI\n", "order.csv")
    assert [(row.line_no, row.sku, row.quantity, row.unit_code) for row in rows] == [
        (1, "A-1", D("5"), "ADET"),
        (2, "A-2", D("2"), "KOLI"),
    ]


def test_csv_empty_cell_under_a_quantity_heading_is_a_row_error():
    rows = parse_quick_order_file(b"SKU;Qty\nA-1;\nA-2;0\nA-3;x\n;4\n", "order.csv")
    assert [(row.sku, row.quantity) for row in rows] == [("A-1", None), ("A-2", None), ("A-3", None), ("", None)]
    assert ["No quantity" in rows[0].error, "above zero" in rows[1].error, "not a quantity" in rows[2].error] == [
        True,
        True,
        True,
    ]
    assert "No SKU" in rows[3].error


def test_csv_row_limit():
    body = "".join(f"A-{n};1\n" for n in range(MAX_ROWS))
    assert len(parse_quick_order_file(("SKU;Qty\n" + body).encode(), "order.csv")) == MAX_ROWS
    with pytest.raises(QuickOrderError) as error:
        parse_quick_order_file(("SKU;Qty\n" + body + "ONE-TOO-MANY;1\n").encode(), "order.csv")
    assert "1,000" in error.value.message


def test_size_limit():
    data = b"A-1;1\n" + b" " * MAX_FILE_BYTES
    with pytest.raises(QuickOrderError) as error:
        parse_quick_order_file(data, "order.csv")
    assert "2 MB" in error.value.message


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"", "order.csv"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10", "order.csv"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<\x00\x01>>", "order.pdf"),
        (bytes(range(256)) * 4, "order.csv"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "order.xls"),
        (_zip({"hello.txt": b"not a workbook"}), "order.xlsx"),
        (_zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"}), "order.docx"),
        (b"PK\x03\x04 broken zip", "order.xlsx"),
        (b"A-1;1\n", "order.xlsx"),
    ],
)
def test_bytes_that_are_neither_csv_nor_xlsx_are_refused(data, filename):
    with pytest.raises(QuickOrderError) as error:
        parse_quick_order_file(data, filename)
    assert error.value.message


def test_a_workbook_that_unpacks_to_too_much_is_refused_unopened():
    data = _zip({"[Content_Types].xml": b"<Types/>", "xl/sharedStrings.xml": b"0" * (51 * 1024 * 1024)})
    assert len(data) < MAX_FILE_BYTES
    with pytest.raises(QuickOrderError) as error:
        parse_quick_order_file(data, "order.xlsx")
    assert "too large" in error.value.message


# -- XLSX --------------------------------------------------------------------------------------------------------


def test_xlsx_numbers_and_text_quantities_with_header():
    cells = table(
        ["Stok Kodu", "Miktar", "Birim"],
        ["A-1", 5, None],
        ["A-2", 2.5, "KOLI"],
        ["A-3", "1.234,5", None],
        [12345, 0.1 + 0.2, None],
        [None, None, None],
        ["A-5", "beş", None],
        ["A-6", 1.23456, None],
    )
    rows = parse_quick_order_file(xlsx(cells), "siparis.xlsx")
    assert [(row.line_no, row.sku, row.quantity, row.unit_code) for row in rows] == [
        (2, "A-1", D("5"), ""),
        (3, "A-2", D("2.5"), "KOLI"),
        (4, "A-3", D("1234.5"), ""),
        (5, "12345", D("0.3"), ""),
        (7, "A-5", None, ""),
        (8, "A-6", D("1.235"), ""),
    ]
    assert "not a quantity" in rows[4].error


def test_xlsx_without_header_and_with_blank_rows_keeps_sheet_row_numbers():
    cells = {(2, 1): "B-1", (2, 2): 3, (4, 1): "B-2", (4, 2): "2,5", (5, 1): "B-3"}
    rows = parse_quick_order_file(xlsx(cells), "list.xlsx")
    assert [(row.line_no, row.sku, row.quantity) for row in rows] == [
        (2, "B-1", D("3")),
        (4, "B-2", D("2.5")),
        (5, "B-3", D("1")),
    ]


def test_xlsx_is_recognised_by_content_not_name():
    rows = parse_quick_order_file(xlsx(table(["SKU", "Qty"], ["A-1", 2])), "export.csv")
    assert [(row.sku, row.quantity) for row in rows] == [("A-1", D("2"))]


def test_xlsx_row_limit():
    cells = table(["SKU", "Qty"], *[[f"A-{n}", 1] for n in range(MAX_ROWS)])
    assert len(parse_quick_order_file(xlsx(cells), "order.xlsx")) == MAX_ROWS
    cells[(MAX_ROWS + 2, 1)], cells[(MAX_ROWS + 2, 2)] = "ONE-TOO-MANY", 1
    with pytest.raises(QuickOrderError):
        parse_quick_order_file(xlsx(cells), "order.xlsx")


def test_xlsx_stray_cell_far_below_is_refused():
    with pytest.raises(QuickOrderError) as error:
        parse_quick_order_file(xlsx({(1, 1): "A-1", (1, 2): 1, (200_000, 1): "x"}), "order.xlsx")
    assert "blank ones included" in error.value.message


# -- preview -----------------------------------------------------------------------------------------------------


@pytest.fixture
def shop(dealer_user):
    dealer = dealer_user.dealer
    dealer.price_list = PriceListFactory(code="TRY-A")
    dealer.save()
    return dealer


def listed(shop, stock="100", **product_kwargs):
    product = ProductFactory(**product_kwargs)
    PriceListItemFactory(price_list=shop.price_list, product=product, price=D("100"))
    if stock:
        StockLevelFactory(product=product, on_hand=D(stock))
    return product


def preview(dealer_user, text):
    return quick_order_preview(dealer_user=dealer_user, rows=parse_quick_order_text(text))


@pytest.mark.django_db
def test_preview_ok_line_with_price_and_nothing_written(dealer_user, shop):
    product = listed(shop, sku="VIDA-1")
    [line] = preview(dealer_user, "vida-1 3")
    assert (line.status, line.product, line.quantity, line.unit) == (PreviewStatus.OK, product, D("3"), None)
    assert line.price.net == D("100.00") and line.price.quantity == D("3")
    assert line.can_be_added and line.message == ""
    assert not CartLine.objects.exists()


@pytest.mark.django_db
def test_preview_matches_turkish_sku_in_any_case(dealer_user, shop):
    product = listed(shop, sku="ŞİŞE-1")
    lines = preview(dealer_user, "şişe-1 2\nŞIŞE-1 1\n ŞİŞE-1 1")
    assert [(line.status, line.product) for line in lines] == [(PreviewStatus.OK, product)]
    assert lines[0].quantity == D("4")


@pytest.mark.django_db
def test_preview_prefers_the_exact_spelling_when_two_skus_differ_only_in_case(dealer_user, shop):
    upper = listed(shop, sku="AB-1")
    lower = listed(shop, sku="ab-1")
    lines = preview(dealer_user, "ab-1 1\nAB-1 1")
    assert [line.product for line in lines] == [lower, upper]


@pytest.mark.django_db
def test_preview_below_minimum_is_raised_to_the_minimum(dealer_user, shop):
    listed(shop, sku="M-1", min_order_qty=D("10"))
    [line] = preview(dealer_user, "M-1 3")
    assert (line.status, line.requested, line.quantity) == (PreviewStatus.ADJUSTED, D("3"), D("10"))
    assert "from 3 to 10" in line.message and "minimum order quantity is 10" in line.message
    assert line.price.quantity == D("10") and line.can_be_added


@pytest.mark.django_db
def test_preview_off_the_multiple_is_raised_to_the_next_multiple(dealer_user, shop):
    listed(shop, sku="M-6", order_multiple=D("6"))
    [line] = preview(dealer_user, "M-6 8")
    assert (line.status, line.quantity) == (PreviewStatus.ADJUSTED, D("12"))
    assert "from 8 to 12" in line.message and "multiples of 6" in line.message


@pytest.mark.django_db
def test_preview_adjusts_packs_to_a_whole_number_of_packs(dealer_user, shop):
    product = listed(shop, sku="P-5", min_order_qty=D("40"), order_multiple=D("5"))
    ProductUnitFactory(product=product, factor=D("12"))
    [line] = preview(dealer_user, "P-5 1 KOLI")
    # 1 case = 12 pieces; the least whole number of cases ≥ 40 pieces and a multiple of 5 pieces: 5 cases = 60.
    assert (line.status, line.unit.code, line.quantity) == (PreviewStatus.ADJUSTED, "KOLI", D("5"))


@pytest.mark.django_db
def test_preview_unknown_sku(dealer_user, shop):
    [line] = preview(dealer_user, "NOPE-1 2")
    assert (line.status, line.product, line.price, line.quantity) == (PreviewStatus.UNKNOWN_SKU, None, None, None)
    assert "NOPE-1" in line.message


@pytest.mark.django_db
def test_preview_another_dealers_product_is_not_orderable_and_not_described(dealer_user, shop):
    other = DealerUserFactory()
    other.dealer.price_list = PriceListFactory(code="SECRET-LIST")
    other.dealer.save()
    hidden = ProductFactory(sku="GIZLI-1", name="Gizli Özel Ürün", name_en="Secret special product", barcode="869111")
    PriceListItemFactory(price_list=other.dealer.price_list, product=hidden, price=D("77"))
    inactive = listed(shop, sku="ESKI-1", name="Eski Ürün", status=Product.Status.INACTIVE)
    lines = preview(dealer_user, "GIZLI-1 2\n869111 1\nESKI-1 2")
    assert [line.status for line in lines] == [PreviewStatus.NOT_ORDERABLE] * 3
    for line in lines:
        assert line.product is None and line.price is None and line.quantity is None and line.unit is None
        for secret in (hidden.name, hidden.name_en, "SECRET-LIST", "77", inactive.name):
            assert secret not in line.message
    # The answer for a hidden product is the answer for an inactive one.
    assert lines[0].message.replace("GIZLI-1", "X") == lines[2].message.replace("ESKI-1", "X")
    # The other dealer does see it.
    [theirs] = preview(other, "GIZLI-1 2")
    assert theirs.status == PreviewStatus.OK


@pytest.mark.django_db
def test_preview_no_price_when_unpriced_products_are_shown(dealer_user, shop, settings):
    settings.B2B_UNPRICED_PRODUCTS = "on_request"
    product = ProductFactory(sku="NP-1")
    [line] = preview(dealer_user, "NP-1 2")
    assert (line.status, line.product, line.quantity) == (PreviewStatus.NO_PRICE, product, None)
    # The dealer is told the product is not on their list, not the list's internal code.
    assert not line.price.exists and "not on your price list" in line.message and "TRY-A" not in line.message
    settings.B2B_UNPRICED_PRODUCTS = "hide"
    assert preview(dealer_user, "NP-1 2")[0].status == PreviewStatus.NOT_ORDERABLE


@pytest.mark.django_db
def test_preview_no_price_below_the_lowest_break(dealer_user, shop):
    product = ProductFactory(sku="BR-1")
    PriceListItemFactory(price_list=shop.price_list, product=product, min_quantity=D("1"), price=D("10"))
    ProductUnitFactory(product=product, factor=D("12"))
    PriceListItemFactory(
        price_list=shop.price_list, product=product, unit=UnitFactory(code="KOLI"), min_quantity=D("5"), price=D("100")
    )
    [line] = preview(dealer_user, "BR-1 2 KOLI")
    assert line.status == PreviewStatus.NO_PRICE and line.price.reason == "below_lowest_break"


@pytest.mark.django_db
def test_preview_invalid_quantities(dealer_user, shop):
    listed(shop, sku="ADET-1")
    kilogram = UnitFactory(code="KG", name="Kilogram", decimals=3)
    listed(shop, sku="KG-1", base_unit=kilogram, order_multiple=D("0.001"))
    lines = preview(dealer_user, "ADET-1 1,5\nKG-1 1,2345\nKG-1 abc\nKG-1 1,234")
    assert [(line.status, line.quantity) for line in lines] == [
        (PreviewStatus.INVALID_QUANTITY, None),
        (PreviewStatus.INVALID_QUANTITY, None),
        (PreviewStatus.INVALID_QUANTITY, None),
        (PreviewStatus.OK, D("1.234")),
    ]
    assert "ADET allows 0 decimal places" in lines[0].message
    assert "KG allows 3 decimal places" in lines[1].message
    assert "not a quantity" in lines[2].message


@pytest.mark.django_db
def test_preview_pack_barcode_selects_the_pack_and_product_barcode_the_base_unit(dealer_user, shop):
    product = listed(shop, sku="BC-1", barcode="8690000000011")
    ProductUnitFactory(product=product, factor=D("12"), barcode="8690000000028")
    ProductUnitFactory(product=product, unit=UnitFactory(code="PALET"), factor=D("480"), barcode="8690000000035")
    lines = preview(dealer_user, "8690000000028 2\n8690000000011 3")
    assert [(line.status, line.product, line.unit and line.unit.code, line.quantity) for line in lines] == [
        (PreviewStatus.OK, product, "KOLI", D("2")),
        (PreviewStatus.OK, product, None, D("3")),
    ]
    assert (lines[0].price.unit_code, lines[0].price.unit_factor, lines[0].price.net) == ("KOLI", D("12"), D("1200.00"))


@pytest.mark.django_db
def test_preview_unit_codes_and_unknown_units(dealer_user, shop):
    product = listed(shop, sku="U-1")
    ProductUnitFactory(product=product, factor=D("12"))
    ProductUnitFactory(product=product, unit=UnitFactory(code="PALET"), factor=D("480"), is_sales_unit=False)
    lines = preview(dealer_user, "U-1 1 koli\nU-1 2 adet\nU-1 1 PALET\nU-1 1 KUTU")
    assert [(line.status, line.unit and line.unit.code) for line in lines] == [
        (PreviewStatus.OK, "KOLI"),
        (PreviewStatus.OK, None),
        (PreviewStatus.UNKNOWN_UNIT, None),
        (PreviewStatus.UNKNOWN_UNIT, None),
    ]
    assert "sold in ADET, KOLI" in lines[3].message and "KUTU" in lines[3].message


@pytest.mark.django_db
def test_preview_duplicates_are_summed_per_unit(dealer_user, shop):
    product = listed(shop, sku="D-1")
    ProductUnitFactory(product=product, factor=D("12"), barcode="8690000000042")
    lines = preview(dealer_user, "D-1 2\nX-9 1\nd-1 3 KOLI\nd-1 3\n8690000000042 1")
    assert [(line.status, line.line_nos, line.unit and line.unit.code, line.quantity) for line in lines] == [
        (PreviewStatus.OK, (1, 4), None, D("5")),
        (PreviewStatus.UNKNOWN_SKU, (2,), None, None),
        (PreviewStatus.OK, (3, 5), "KOLI", D("4")),
    ]
    assert "Lines 1, 4 were combined" in lines[0].message
    assert lines[0].price.quantity == D("5")


@pytest.mark.django_db
def test_preview_low_stock_is_mentioned_not_refused(dealer_user, shop):
    listed(shop, sku="S-1", stock=D("4"))
    [line] = preview(dealer_user, "S-1 10")
    assert (line.status, line.quantity) == (PreviewStatus.OK, D("10"))
    assert "Low stock: 4 Piece available" in line.message


@pytest.mark.django_db
def test_preview_rows_without_sku_are_unknown(dealer_user, shop):
    rows = parse_quick_order_file(b"SKU;Qty\n;4\n", "order.csv")
    [line] = quick_order_preview(dealer_user=dealer_user, rows=rows)
    assert line.status == PreviewStatus.UNKNOWN_SKU and "No SKU" in line.message


def _queries(dealer_user, text):
    with CaptureQueriesContext(connection) as context:
        lines = quick_order_preview(dealer_user=dealer_user, rows=parse_quick_order_text(text))
    return len(context.captured_queries), lines


@pytest.mark.django_db
def test_preview_query_count_does_not_grow_with_rows(dealer_user, shop):
    for n in range(50):
        product = listed(shop, sku=f"Q-{n:02d}")
        ProductUnitFactory(product=product, factor=D("12"), barcode=f"86900000{n:05d}")
    ProductFactory(sku="Q-HIDDEN")
    extra = "Q-HIDDEN 1\nNOPE 1\n8690000000001 1"  # a hidden product, an unknown code, a pack barcode
    preview(dealer_user, extra)  # caches the category tree
    five, five_lines = _queries(dealer_user, "\n".join([*(f"Q-{n:02d} 2" for n in range(2)), extra]))
    fifty, fifty_lines = _queries(dealer_user, "\n".join([*(f"Q-{n:02d} 2" for n in range(47)), extra]))
    assert len(five_lines) == 5 and len(fifty_lines) == 50
    assert {line.status for line in fifty_lines} == {"ok", "not_orderable", "unknown_sku"}
    assert five == fifty <= 8
