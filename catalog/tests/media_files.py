"""Small image and PDF files made on the spot for tests of product pictures and documents."""

from __future__ import annotations

import io

from PIL import Image

MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \n"
    b"trailer<</Size 4/Root 1 0 R>>\nstartxref\n166\n%%EOF\n"
)


def image_bytes(
    fmt: str = "JPEG", size: tuple[int, int] = (300, 200), color=(200, 30, 30), exif: bool = False
) -> bytes:
    """An image of ``size`` in ``fmt``; ``exif`` adds camera metadata with a GPS position (JPEG)."""
    mode = "RGBA" if fmt in ("PNG", "WEBP") else "RGB"
    picture = Image.new(mode, size, (*color, 255) if mode == "RGBA" else color)
    output = io.BytesIO()
    options = {}
    if exif:
        data = Image.Exif()
        data[0x010F] = "CameraMaker"  # Make
        data[0x8825] = {1: "N", 2: (41.0, 0.0, 0.0)}  # GPS info
        options["exif"] = data.tobytes()
    if fmt == "GIF":
        picture = picture.convert("P")
    picture.save(output, fmt, **options)
    return output.getvalue()


def bomb_png(width: int = 8000, height: int = 8000) -> bytes:
    """A PNG whose header claims ``width``×``height`` pixels (64 million by default) in a few hundred bytes."""
    picture = Image.new("1", (width, height))
    output = io.BytesIO()
    picture.save(output, "PNG", optimize=True)
    return output.getvalue()
