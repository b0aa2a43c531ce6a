"""The first pass over an inbound file: its digest, and the text encoding the readers will use.

Hashing and encoding detection share one streaming pass, so a file is never held in memory whole. Decoding
problems are found here, with the line they sit on, because a text stream reports them only by chunk.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1024 * 1024
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
FALLBACK = "cp1254"
_DECLARED = re.compile(rb"""<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")


@dataclass(frozen=True, slots=True)
class DecodeFault:
    line: int
    message: str


@dataclass(frozen=True, slots=True)
class Scan:
    """What the first pass learned. ``encoding`` is the codec the CSV reader decodes with; ``xml_encoding`` the
    override handed to the XML parser (None: the parser follows the BOM or the XML declaration). ``fault``
    is the first place the bytes do not decode in ``encoding`` (CSV only)."""

    digest: str
    encoding: str
    xml_encoding: str | None
    fault: DecodeFault | None


def scan(path: Path, setting: str, *, xml: bool) -> Scan:
    """Hash ``path`` and settle its encoding from ``setting`` ("auto" or a codec name).

    Auto: a BOM decides (UTF-8, UTF-16); otherwise strict UTF-8 when every byte decodes as UTF-8, else
    Windows-1254. For XML, a document that declares its encoding keeps it unless a codec is configured.
    Raises ``OSError`` when the file cannot be read."""
    with open(path, "rb") as handle:
        head = handle.read(4)
    bom = next((codec for mark, codec in _BOMS if head.startswith(mark)), None)
    candidate = (bom or "utf-8") if setting == "auto" else setting
    digest, fault = _hash_and_check(path, candidate, check=not xml or (setting == "auto" and bom is None))
    if xml:
        return Scan(digest, candidate, _xml_override(path, setting, bom, fault), None)
    if fault is not None and setting == "auto" and bom is None:
        # Not UTF-8: Turkish ERPs that are not on UTF-8 write Windows-1254 (a superset of ISO-8859-9's letters).
        candidate = FALLBACK
        fault = _check_only(path, candidate)
    return Scan(digest, candidate, None, fault)


def _xml_override(path: Path, setting: str, bom: str | None, utf8_fault: DecodeFault | None) -> str | None:
    if setting != "auto":
        return "utf-8" if setting == "utf-8-sig" else setting
    if bom is not None or utf8_fault is None:
        return None
    with open(path, "rb") as handle:
        prolog = handle.read(200)
    return None if _DECLARED.match(prolog.lstrip()) else FALLBACK


def _hash_and_check(path: Path, codec: str, *, check: bool) -> tuple[str, DecodeFault | None]:
    digest = hashlib.sha256()
    checker = _Checker(codec) if check else None
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            if checker is not None:
                checker.feed(chunk)
    return digest.hexdigest(), checker.finish() if checker is not None else None


def _check_only(path: Path, codec: str) -> DecodeFault | None:
    checker = _Checker(codec)
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            checker.feed(chunk)
            if checker.fault is not None:
                break
    return checker.finish()


class _Checker:
    """Decodes a byte stream chunk by chunk, counting lines, and remembers where it first failed."""

    def __init__(self, codec: str) -> None:
        self.codec = codec
        self.decoder = codecs.getincrementaldecoder(codec)(errors="strict")
        self.lines = 0
        self.fault: DecodeFault | None = None

    def feed(self, chunk: bytes, *, final: bool = False) -> None:
        if self.fault is not None:
            return
        pending = getattr(self.decoder, "buffer", b"") + chunk
        try:
            self.lines += self.decoder.decode(chunk, final=final).count("\n")
        except UnicodeDecodeError as exc:
            before = pending[: exc.start].decode(self.codec, errors="replace").count("\n")
            bad = pending[exc.start : exc.end].hex(" ")
            self.fault = DecodeFault(self.lines + before + 1, f"bytes {bad} are not valid {self.codec} ({exc.reason})")

    def finish(self) -> DecodeFault | None:
        self.feed(b"", final=True)
        return self.fault
