"""Quick order uploads too large or too costly to read are refused with a clear message before they are read: the
request body is dropped while it arrives, workbooks that unpack to millions of texts or cells are refused unparsed."""

import time
import tracemalloc

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.wsgi import WSGIRequest
from django.test.client import BOUNDARY
from django.urls import resolve, reverse

from b2bportal.tests.test_uploads import one_row_bomb, shared_strings_bomb
from b2bportal.uploads import upload_refused
from orders.models import CartLine
from orders.quick_order import MAX_FILE_BYTES, QuickOrderError, parse_quick_order_file

MB = 1024 * 1024


@pytest.mark.parametrize(
    ("bomb", "words"),
    [
        (lambda: shared_strings_bomb(2_900_000, b"xxxxxxxx"), "too large"),  # 126 KB → 45 MB of texts
        (lambda: shared_strings_bomb(600_000), "texts"),
        (lambda: one_row_bomb(2_800_000), "too large"),  # 2.8 M cells in one row
        (lambda: one_row_bomb(1_000_000), "cells"),
    ],
)
def test_workbook_bombs_are_refused_in_under_a_second_with_flat_memory(bomb, words):
    data = bomb()
    assert len(data) < MAX_FILE_BYTES
    tracemalloc.start()
    started = time.process_time()  # CPU time: what the refusal costs, however busy the machine is
    try:
        with pytest.raises(QuickOrderError) as error:
            parse_quick_order_file(data, "order.xlsx")
        elapsed = time.process_time() - started
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert words in error.value.message
    assert elapsed < 1.0
    assert peak < 10 * MB


@pytest.mark.django_db
def test_a_workbook_bomb_posted_to_quick_order_gets_the_message(dealer_client):
    upload = SimpleUploadedFile("siparis.xlsx", one_row_bomb(1_000_000))
    started = time.process_time()  # CPU time: what the refusal costs, however busy the machine is
    response = dealer_client.post(reverse("orders:quick_order"), {"file": upload})
    assert time.process_time() - started < 2.0
    assert response.status_code == 200
    assert "more than 100,000 cells" in response.content.decode()


@pytest.mark.django_db
def test_a_file_over_the_limit_is_refused_with_the_message_and_nothing_added(dealer_client):
    upload = SimpleUploadedFile("siparis.csv", b"A-1;1\n" * (MAX_FILE_BYTES // 6 + 1000), content_type="text/csv")
    response = dealer_client.post(reverse("orders:quick_order"), {"file": upload, "confirm": "1"})
    assert response.status_code == 200
    assert "larger than 2 MB" in response.content.decode()
    assert not CartLine.objects.exists()


class GeneratedBody:
    """A multipart body of ``size`` bytes of file content, produced as it is read (never held whole)."""

    def __init__(self, size: int, filename: str = "big.csv"):
        self.head = (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        self.tail = f"\r\n--{BOUNDARY}--\r\n".encode()
        self.length = len(self.head) + size + len(self.tail)
        self.size = size
        self.position = 0
        self.block = b"A-1;1\n" * (64 * 1024 // 6)

    def readline(self, n: int = -1) -> bytes:
        start = self.position
        piece = self.read(min(n, 64 * 1024) if n is not None and n >= 0 else 64 * 1024)
        end = piece.find(b"\n")
        if end < 0:
            return piece
        self.position = start + end + 1
        return piece[: end + 1]

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = self.length - self.position
        out = bytearray()
        while n > 0 and self.position < self.length:
            offset = self.position
            if offset < len(self.head):
                piece = self.head[offset : offset + n]
            elif offset < len(self.head) + self.size:
                left = len(self.head) + self.size - offset
                piece = self.block[: min(n, left, len(self.block))]
            else:
                start = offset - len(self.head) - self.size
                piece = self.tail[start : start + n]
            out += piece
            self.position += len(piece)
            n -= len(piece)
        return bytes(out)


def streamed_request(path: str, size: int) -> tuple[WSGIRequest, GeneratedBody]:
    body = GeneratedBody(size)
    request = WSGIRequest(
        {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": path,
            "SCRIPT_NAME": "",
            "CONTENT_TYPE": f"multipart/form-data; boundary={BOUNDARY}",
            "CONTENT_LENGTH": str(body.length),
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "80",
            "wsgi.input": body,
            "wsgi.url_scheme": "http",
        }
    )
    request.resolver_match = resolve(path)
    return request, body


def test_a_200_mb_upload_is_dropped_while_it_arrives_without_being_held(tmp_path, settings):
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    request, body = streamed_request(reverse("orders:quick_order"), 200 * MB)
    tracemalloc.start()
    try:
        files = request.FILES
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert upload_refused(request)
    assert "file" not in files
    assert body.position == body.length  # read to the end and thrown away: the client gets the page
    assert peak < 10 * MB
    assert list(tmp_path.iterdir()) == []  # nothing of it stays on disk


def test_other_pages_take_uploads_up_to_the_site_limit(settings):
    settings.B2B_UPLOAD_MAX_BYTES = 8 * MB
    request, _body = streamed_request("/admin/payments/bankstatement/add/", 5 * MB)
    assert not upload_refused(request) and request.FILES["file"].size == 5 * MB
    request, _body = streamed_request("/admin/payments/bankstatement/add/", 9 * MB)
    assert "file" not in request.FILES and upload_refused(request)


def test_quick_order_takes_a_file_within_its_limit():
    request, _body = streamed_request(reverse("orders:quick_order"), MAX_FILE_BYTES - 1024)
    assert not upload_refused(request) and request.FILES["file"].size == MAX_FILE_BYTES - 1024
