"""Uploaded files the portal reads, checked before they are read.

Two guards, one for each way an upload can exhaust the server:

- **The request body.** ``SizeLimitUploadHandler`` (first in ``FILE_UPLOAD_HANDLERS``) counts the bytes of every
  uploaded file as they arrive and stops keeping them past the view's limit (``upload_limit`` on the view) or
  ``B2B_UPLOAD_MAX_BYTES``: the rest of the body is read in chunks and dropped, never held in memory or written to
  disk, and
  the view finds ``upload_refused(request)`` true and says so. Form fields other than files are capped by Django's
  ``DATA_UPLOAD_MAX_MEMORY_SIZE``.
- **XLSX workbooks.** A workbook is a zip of XML parts: 100 KB on disk can unpack to gigabytes, or to millions of
  shared strings or cells that a parser builds objects for. ``xlsx_check`` refuses such a file before any parser
  sees it, from the zip's directory (part count, each part's and the total unpacked size; the sizes it states are
  the most ``zipfile`` ever unpacks) and by counting the shared strings and the cells while streaming each part
  through a small buffer. Every XLSX the portal reads passes here first (quick order).
- **Product images and documents.** An image is whatever Pillow says it is, never what its name says: ``image_check``
  refuses a file past its byte limit, one Pillow does not recognise as JPEG, PNG, WebP or GIF, one whose header
  claims more pixels than allowed (a decompression bomb is refused before a single pixel is decoded) and one that
  fails Pillow's integrity check. ``document_check`` takes a document by its content: a PDF starts with ``%PDF-``
  and ends with ``%%EOF`` near its end, within its byte limit. Every product image and document passes here,
  whether uploaded in the admin or imported from an ERP.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from b2bportal.money import format_quantity

MB = 1024 * 1024
DRAIN_CHUNK = 64 * 1024


# -- the request body --------------------------------------------------------------------------------------------


def upload_limit(max_bytes: int) -> Callable:
    """Marks a view: its uploaded files may hold at most ``max_bytes`` together (checked while they arrive)."""

    def mark(view):
        view.upload_max_bytes = max_bytes
        return view

    return mark


def upload_refused(request) -> bool:
    """Whether an uploaded file of this request went past its limit and was dropped."""
    return getattr(request, "upload_refused", False)


def request_upload_limit(request) -> int:
    match = getattr(request, "resolver_match", None)
    view_limit = getattr(match.func, "upload_max_bytes", None) if match is not None else None
    limit = settings.B2B_UPLOAD_MAX_BYTES
    return min(limit, view_limit) if view_limit else limit


class SizeLimitUploadHandler(FileUploadHandler):
    """Stops an upload as soon as its files pass the request's limit, before a later handler stores more."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        self.input_data = input_data
        self.limit = request_upload_limit(self.request)
        self.received = 0

    def _refuse(self):
        self.request.upload_refused = True
        # The rest of the body (at most its Content-Length; the proxy in front caps that) is read in fixed chunks
        # and thrown away, so the browser, done sending, shows the page with the reason instead of a broken
        # connection. Django's own draining reads line by line, which holds a binary file without newlines whole.
        while self.input_data.read(DRAIN_CHUNK):
            pass
        raise StopUpload(connection_reset=True)

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        if self.received > self.limit:
            self._refuse()

    def receive_data_chunk(self, raw_data, start):
        self.received += len(raw_data)
        if self.received > self.limit:
            self._refuse()
        return raw_data

    def file_complete(self, file_size):
        return None


# -- XLSX workbooks ----------------------------------------------------------------------------------------------


class UploadRefused(Exception):
    """The uploaded file is refused before it is read; ``message`` says why, for the person who sent it."""

    def __init__(self, message: str):
        self.message = message
        super().__init__(message)


@dataclass(frozen=True)
class XlsxLimits:
    max_members: int = 500
    max_part_bytes: int = 10 * MB
    max_total_bytes: int = 50 * MB
    max_shared_strings: int = 100_000
    max_cells: int = 100_000


CHUNK = 64 * 1024
# An element's start tag, with or without a namespace prefix: <si>, <x:si ...>, <c r="A1"/>, <c>.
SHARED_STRING = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s/>]")
CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")
OVERLAP = 64  # longer than any tag prefix the patterns match
WORKSHEET = re.compile(r"^xl/worksheets/[^/]+\.xml$", re.IGNORECASE)
SHARED_STRINGS = re.compile(r"^xl/sharedStrings\.xml$", re.IGNORECASE)


def _count_in_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo, pattern: re.Pattern, stop_after: int) -> int:
    """Occurrences of ``pattern`` in one part, streamed through a buffer of ``CHUNK + OVERLAP`` bytes; stops
    counting once past ``stop_after``."""
    count = 0
    tail = b""
    with archive.open(info) as part:
        while chunk := part.read(CHUNK):
            buffer = tail + chunk
            cut = len(buffer) - OVERLAP
            count += sum(1 for match in pattern.finditer(buffer) if match.start() < cut)
            tail = buffer[cut:] if cut > 0 else buffer
            if count > stop_after:
                return count
    return count + sum(1 for _match in pattern.finditer(tail))


def _too_large() -> UploadRefused:
    return UploadRefused(_("The workbook is too large to read; please save only the list in a new workbook."))


def xlsx_check(source: bytes | BinaryIO, limits: XlsxLimits | None = None) -> None:
    """Refuses (``UploadRefused``) a workbook that would cost too much to read, before any parser runs: too many
    parts, a part or the whole unpacking past its limit, more shared strings or cells than allowed. A file that is
    not a zip at all is left to the reader to refuse. Time and memory stay bounded by the limits."""
    limits = limits or XlsxLimits()
    handle = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
    try:
        archive = zipfile.ZipFile(handle)
    except (zipfile.BadZipFile, ValueError):
        return
    with archive:
        members = archive.infolist()
        if len(members) > limits.max_members:
            raise _too_large()
        if any(member.file_size > limits.max_part_bytes for member in members):
            raise _too_large()
        if sum(member.file_size for member in members) > limits.max_total_bytes:
            raise _too_large()
        try:
            strings = sum(
                _count_in_part(archive, member, SHARED_STRING, limits.max_shared_strings)
                for member in members
                if SHARED_STRINGS.match(member.filename)
            )
            if strings > limits.max_shared_strings:
                raise UploadRefused(
                    _("The workbook holds more than %(max)s texts; please save only the list in a new workbook.")
                    % {"max": format_quantity(limits.max_shared_strings)}
                )
            cells = 0
            for member in members:
                if WORKSHEET.match(member.filename):
                    cells += _count_in_part(archive, member, CELL, limits.max_cells - cells)
                    if cells > limits.max_cells:
                        raise UploadRefused(
                            _("The workbook has more than %(max)s cells; please save only the list in a new workbook.")
                            % {"max": format_quantity(limits.max_cells)}
                        )
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, NotImplementedError, RuntimeError):
            return  # damaged or encrypted: the reader refuses it as unreadable


# -- product images and documents --------------------------------------------------------------------------------

# Pillow's format name → the extension the portal stores the file under (never the sender's name).
IMAGE_FORMATS: dict[str, str] = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}


@dataclass(frozen=True)
class MediaLimits:
    """``None`` fields take the portal's settings (``B2B_PRODUCT_IMAGE_*``, ``B2B_PRODUCT_DOCUMENT_MAX_BYTES``)."""

    image_max_bytes: int | None = None
    image_max_pixels: int | None = None
    document_max_bytes: int | None = None

    def resolved(self) -> MediaLimits:
        return MediaLimits(
            image_max_bytes=self.image_max_bytes or settings.B2B_PRODUCT_IMAGE_MAX_BYTES,
            image_max_pixels=self.image_max_pixels or settings.B2B_PRODUCT_IMAGE_MAX_PIXELS,
            document_max_bytes=self.document_max_bytes or settings.B2B_PRODUCT_DOCUMENT_MAX_BYTES,
        )


@dataclass(frozen=True)
class CheckedImage:
    """An image that passed ``image_check``: its real format, size in pixels, bytes and SHA-256."""

    format: str
    extension: str
    width: int
    height: int
    size: int
    digest: str


@dataclass(frozen=True)
class CheckedDocument:
    extension: str
    content_type: str
    size: int
    digest: str


def content_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _megabytes(limit: int) -> str:
    return format_quantity(round(limit / MB, 1))


def image_check(data: bytes, limits: MediaLimits | None = None) -> CheckedImage:
    """Accepts ``data`` as a product image or refuses it (``UploadRefused``, the reason for the sender): more bytes
    than allowed, not a JPEG/PNG/WebP/GIF by its content, more pixels than allowed (decided from the header, before
    decoding), or damaged. Decodes no pixels itself: thumbnails are made from a checked image only."""
    limits = (limits or MediaLimits()).resolved()
    if not data:
        raise UploadRefused(_("The file is empty."))
    if len(data) > limits.image_max_bytes:
        raise UploadRefused(_("The image is larger than %(max)s MB.") % {"max": _megabytes(limits.image_max_bytes)})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(IMAGE_FORMATS)) as image:
                kind, (width, height) = image.format, image.size
                if width * height > limits.image_max_pixels:
                    raise UploadRefused(
                        _("The image has more than %(max)s pixels.") % {"max": format_quantity(limits.image_max_pixels)}
                    )
                image.verify()
    except UploadRefused:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise UploadRefused(_("The file is not a JPEG, PNG, WebP or GIF image.")) from None
    except Exception:  # Pillow raises many kinds (SyntaxError, OSError, struct.error…) for damaged files
        raise UploadRefused(_("The image is damaged and cannot be read.")) from None
    if kind not in IMAGE_FORMATS or width < 1 or height < 1:
        raise UploadRefused(_("The file is not a JPEG, PNG, WebP or GIF image."))
    return CheckedImage(
        format=kind,
        extension=IMAGE_FORMATS[kind],
        width=width,
        height=height,
        size=len(data),
        digest=content_digest(data),
    )


PDF_TAIL = 2048  # "%%EOF" must appear this close to the end (incremental saves may leave a newline or two after)


def document_check(data: bytes, limits: MediaLimits | None = None) -> CheckedDocument:
    """Accepts ``data`` as a product document (a PDF, told by its content) or refuses it (``UploadRefused``): empty,
    larger than allowed, or not a PDF whatever its name says."""
    limits = (limits or MediaLimits()).resolved()
    if not data:
        raise UploadRefused(_("The file is empty."))
    if len(data) > limits.document_max_bytes:
        raise UploadRefused(
            _("The document is larger than %(max)s MB.") % {"max": _megabytes(limits.document_max_bytes)}
        )
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-PDF_TAIL:]:
        raise UploadRefused(_("The document is not a PDF file."))
    return CheckedDocument(extension="pdf", content_type="application/pdf", size=len(data), digest=content_digest(data))
