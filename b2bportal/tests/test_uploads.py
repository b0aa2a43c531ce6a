"""Workbooks that unpack to far more than they weigh (zip bombs, millions of texts or cells) are refused before any
parser runs, in well under a second and in flat memory; an ordinary workbook passes."""

import io
import time
import tracemalloc
import zipfile

import openpyxl
import pytest

from b2bportal.uploads import UploadRefused, XlsxLimits, xlsx_check

MB = 1024 * 1024
LIMITS = XlsxLimits(
    max_members=500, max_part_bytes=10 * MB, max_total_bytes=50 * MB, max_shared_strings=100_000, max_cells=100_000
)


def _real_workbook() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(["SKU", "Qty"])
    workbook.active.append(["A-1", 2])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def workbook_zip(parts: dict[str, tuple[bytes, bytes, int, bytes]]) -> bytes:
    """A workbook openpyxl opens, with each named part replaced by ``head + body * times + foot``, written in
    chunks (so the test itself never holds the unpacked part)."""
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(_real_workbook())) as source,
        zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
    ):
        for info in source.infolist():
            if info.filename not in parts:
                archive.writestr(info.filename, source.read(info.filename))
        for name, (head, body, times, foot) in parts.items():
            with archive.open(name, "w", force_zip64=True) as part:
                part.write(head)
                block = body * 10_000
                for _ in range(times // 10_000):
                    part.write(block)
                part.write(body * (times % 10_000))
                part.write(foot)
    return buffer.getvalue()


SST_HEAD = b'<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
SHEET_HEAD = (
    b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<sheetData><row r="1">'
)
SHEET_FOOT = b"</row></sheetData></worksheet>"


def shared_strings_bomb(count: int, text: bytes = b"x") -> bytes:
    return workbook_zip({"xl/sharedStrings.xml": (SST_HEAD, b"<si><t>" + text + b"</t></si>", count, b"</sst>")})


def one_row_bomb(cells: int) -> bytes:
    return workbook_zip({"xl/worksheets/sheet1.xml": (SHEET_HEAD, b"<c/>", cells, SHEET_FOOT)})


def refused_quickly(data: bytes, limits: XlsxLimits = LIMITS) -> tuple[str, float, int]:
    tracemalloc.start()
    started = time.process_time()  # CPU time: what the refusal costs, however busy the machine is
    try:
        with pytest.raises(UploadRefused) as refused:
            xlsx_check(data, limits)
        elapsed = time.process_time() - started
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return refused.value.message, elapsed, peak


def test_shared_strings_unpacking_to_tens_of_megabytes_are_refused_at_once():
    data = shared_strings_bomb(2_900_000, b"xxxxxxxx")  # 45 MB unpacked
    assert len(data) < 200 * 1024
    message, elapsed, peak = refused_quickly(data)
    assert "too large" in message
    assert elapsed < 1.0
    assert peak < 5 * MB


def test_millions_of_shared_strings_within_the_size_limit_are_counted_and_refused():
    data = shared_strings_bomb(600_000)  # 9 MB unpacked, under the part limit
    message, elapsed, peak = refused_quickly(data)
    assert "texts" in message
    assert elapsed < 1.0
    assert peak < 5 * MB


def test_millions_of_cells_in_one_row_are_refused_at_once():
    data = one_row_bomb(2_800_000)  # 11 MB of <c/> in a file of a few dozen KB
    assert len(data) < 100 * 1024
    message, elapsed, peak = refused_quickly(data)
    assert "too large" in message
    assert elapsed < 1.0 and peak < 5 * MB


def test_a_million_cells_under_the_size_limit_are_counted_and_refused():
    data = one_row_bomb(1_000_000)  # 4 MB unpacked
    message, elapsed, peak = refused_quickly(data)
    assert "cells" in message
    assert elapsed < 1.0 and peak < 5 * MB


def test_cells_and_strings_with_a_namespace_prefix_are_counted():
    data = workbook_zip(
        {"xl/worksheets/sheet1.xml": (b"<x:worksheet><x:sheetData><x:row>", b'<x:c r="A1"/>', 1_000, b"</x:row>")}
    )
    xlsx_check(data, XlsxLimits(max_cells=1_000))
    with pytest.raises(UploadRefused):
        xlsx_check(data, XlsxLimits(max_cells=999))


def test_counting_across_chunk_boundaries_is_exact():
    # 70,001 cells of 13 bytes straddle many 64 KB chunk boundaries.
    data = workbook_zip({"xl/worksheets/sheet1.xml": (SHEET_HEAD, b'<c r="A1"><v>', 70_001, SHEET_FOOT)})
    xlsx_check(data, XlsxLimits(max_cells=70_001))
    with pytest.raises(UploadRefused):
        xlsx_check(data, XlsxLimits(max_cells=70_000))


def test_too_many_parts_are_refused():
    data = workbook_zip({f"xl/media/{n}.xml": (b"", b"a", 1, b"") for n in range(20)})
    xlsx_check(data, XlsxLimits(max_members=30))
    with pytest.raises(UploadRefused):
        xlsx_check(data, XlsxLimits(max_members=10))


def test_an_ordinary_workbook_passes():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in range(1, 1001):
        sheet.append([f"SKU-{row}", row, "ADET", f"note {row}"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    xlsx_check(buffer.getvalue(), LIMITS)
    xlsx_check(buffer.getvalue(), XlsxLimits(max_cells=4_000, max_shared_strings=3_001))
    with pytest.raises(UploadRefused):
        xlsx_check(buffer.getvalue(), XlsxLimits(max_cells=3_999))


def test_something_that_is_not_a_zip_is_left_to_the_reader():
    assert xlsx_check(b"SKU;Qty\nA-1;2\n", LIMITS) is None
