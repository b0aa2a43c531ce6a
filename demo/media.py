"""Pictures and a datasheet for a few demo products, arriving the way a real ERP's would: drawn here with Pillow,
dropped into the demo connection's ``inbound/images/`` and ``inbound/documents/`` as SKU-named files, and imported
by ``sync_import`` (checked, thumbnails made, primary image on the product)."""

from __future__ import annotations

import io
import os
from pathlib import Path

from PIL import Image, ImageDraw

from catalog.models import Product, ProductImage
from demo.erp_import import DemoSyncError, demo_connection, sync_run_text
from demo.rows import Context
from erpsync.importers import sync_import
from erpsync.models import SyncIssue, SyncRun

PICTURED_PRODUCTS = 8
PALETTE = [(33, 96, 196), (214, 92, 38), (46, 139, 87), (128, 64, 160), (200, 160, 40), (60, 60, 60)]


def _picture(sku: str, shade: tuple[int, int, int], variant: int) -> bytes:
    """A 600×450 product shot stand-in: a box in the product's colour, its SKU written on it."""
    picture = Image.new("RGB", (600, 450), (245, 246, 248))
    draw = ImageDraw.Draw(picture)
    inset = 60 + 30 * variant
    draw.rounded_rectangle((inset, inset, 600 - inset, 450 - inset // 2), radius=24, fill=shade)
    draw.text((inset + 24, inset + 24), sku, fill=(255, 255, 255))
    output = io.BytesIO()
    picture.save(output, "JPEG", quality=85)
    return output.getvalue()


def _datasheet(sku: str, name: str) -> bytes:
    """A one-page PDF (Pillow writes it) standing in for a datasheet."""
    page = Image.new("RGB", (595, 842), (255, 255, 255))
    draw = ImageDraw.Draw(page)
    draw.text((60, 60), f"{sku}\n{name}", fill=(0, 0, 0))
    output = io.BytesIO()
    page.save(output, "PDF")
    return output.getvalue()


def _drop(folder: Path, name: str, data: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    temp = folder / f".{name}.tmp"
    temp.write_bytes(data)
    os.replace(temp, folder / name)


def load_pictures(ctx: Context, drop: Path) -> SyncRun | None:
    """Drops two pictures each for the first few active products, and a datasheet for the first, then imports
    them. Once any product has a picture the demo drops nothing more, so a second demo run changes nothing. Raises
    ``DemoSyncError`` when the import fails or opens issues."""
    if ProductImage.objects.exists():
        return None
    products = list(
        Product.objects.filter(status=Product.Status.ACTIVE).order_by("sku").only("sku", "name")[:PICTURED_PRODUCTS]
    )
    if not products:
        return None
    images, documents = drop / "inbound" / "images", drop / "inbound" / "documents"
    for n, product in enumerate(products):
        shade = PALETTE[n % len(PALETTE)]
        _drop(images, f"{product.sku}.jpg", _picture(product.sku, shade, 0))
        _drop(images, f"{product.sku}_2.jpg", _picture(product.sku, tuple(c // 2 for c in shade), 1))
    _drop(documents, f"{products[0].sku}__Teknik_föy.tr.pdf", _datasheet(products[0].sku, products[0].name))
    _drop(documents, f"{products[0].sku}__Datasheet.en.pdf", _datasheet(products[0].sku, products[0].name))
    connection = demo_connection(drop)
    run = sync_import(connection=connection, entity="product_media")
    ctx.log(f"  {sync_run_text(run)}")
    issues = SyncIssue.objects.filter(run=run, status__in=(SyncIssue.Status.OPEN, SyncIssue.Status.RETRYING))
    if run.status != SyncRun.Status.SUCCEEDED or issues.exists():
        raise DemoSyncError(
            "The demo pictures did not import cleanly: "
            + "; ".join([sync_run_text(run), *(f"{i.external_id}: {i.message}" for i in issues[:10])])
        )
    return run
