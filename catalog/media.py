"""Product images and documents: storing them, making thumbnails once, keeping one primary image per product.

Every file passes ``b2bportal.uploads`` first (``image_check``, ``document_check``), whether it was uploaded in the
admin or imported from an ERP; the sender's file name is never used for anything but a title.

Where the files live:

- originals of images: ``private_storage()`` (``PRIVATE_MEDIA_ROOT``) as ``catalog/originals/<d[:2]>/<digest>.<ext>``;
- documents: ``private_storage()`` as ``catalog/documents/<d[:2]>/<digest>.pdf``, handed out by a view that checks
  the dealer may see the product;
- thumbnails: the default storage (``MEDIA_ROOT``, served at ``MEDIA_URL``) as
  ``catalog/thumbs/<d[:2]>/<digest>-<box>.webp``, one per size in ``THUMBNAIL_SIZES``: square, the picture fitted
  and centred on a transparent background, without any metadata of the original.

Names derive from the content's SHA-256, so a thumbnail is made once per content: storing the same picture again
changes nothing, a new picture gets new names. The primary image's digest is kept on the product
(``Product.thumbnail_key``), so a list page finds its pictures without a query per row.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from b2bportal.storage import private_storage
from b2bportal.uploads import CheckedImage, UploadRefused, document_check, image_check
from catalog.models import MediaSource, Product, ProductDocument, ProductImage

# Square boxes in pixels: a list row (shown at 64 px, twice that for sharp screens), a grid card, the product page.
THUMBNAIL_SIZES: dict[str, int] = {"list": 128, "card": 400, "page": 800}
THUMBNAIL_QUALITY = 82


def thumbnail_name(key: str, size: str) -> str:
    return f"catalog/thumbs/{key[:2]}/{key}-{THUMBNAIL_SIZES[size]}.webp"


def thumbnail_url(key: str, size: str) -> str:
    return storages["default"].url(thumbnail_name(key, size))


def _original_name(checked: CheckedImage) -> str:
    return f"catalog/originals/{checked.digest[:2]}/{checked.digest}.{checked.extension}"


def _save_once(storage, name: str, data: bytes) -> None:
    """Content-addressed: a file already there under this name holds these very bytes."""
    if not storage.exists(name):
        saved = storage.save(name, ContentFile(data))
        if saved != name:  # another process wrote it in between; keep one copy
            storage.delete(saved)


def render_thumbnail(data: bytes, box: int) -> bytes:
    """A ``box``×``box`` WebP of a checked image: first frame, turned upright as its EXIF says, fitted and centred
    on transparency. Nothing of the original's metadata (EXIF, ICC, XMP, comments) is copied. Refuses
    (``UploadRefused``) an image Pillow cannot decode after all."""
    try:
        with Image.open(io.BytesIO(data)) as source:
            source.draft("RGB", (box, box))  # JPEG: decode at a reduced scale, much less memory and time
            picture = ImageOps.exif_transpose(source).convert("RGBA")
            picture.thumbnail((box, box), Image.Resampling.LANCZOS)
            canvas = Image.new("RGBA", (box, box), (255, 255, 255, 0))
            canvas.paste(picture, ((box - picture.width) // 2, (box - picture.height) // 2))
            output = io.BytesIO()
            canvas.save(output, "WEBP", quality=THUMBNAIL_QUALITY, method=4)
            return output.getvalue()
    except Exception:  # a header that looked right over pixels that do not decode
        raise UploadRefused(_("The image is damaged and cannot be read.")) from None


def thumbnails_make(image: ProductImage, *, data: bytes | None = None) -> bool:
    """Makes the image's thumbnails unless they were made from its current content and are still there; returns
    whether it made them. Refuses (``UploadRefused``) pixels that do not decode."""
    storage = storages["default"]
    names = [thumbnail_name(image.digest, size) for size in THUMBNAIL_SIZES]
    if image.thumbnails_digest == image.digest and all(storage.exists(name) for name in names):
        return False
    if data is None:
        with private_storage().open(image.original, "rb") as handle:
            data = handle.read()
    for size, name in zip(THUMBNAIL_SIZES, names, strict=True):
        if not storage.exists(name):
            _save_once(storage, name, render_thumbnail(data, THUMBNAIL_SIZES[size]))
    image.thumbnails_digest = image.digest
    if image.pk:
        ProductImage.objects.filter(pk=image.pk).update(thumbnails_digest=image.digest)
    return True


def image_content_set(image: ProductImage, data: bytes) -> bool:
    """Checks ``data`` and makes it the content of ``image`` (not saved); returns whether the content changed.
    Refuses a file that is not an acceptable image (``UploadRefused``)."""
    checked = image_check(data)
    if image.digest == checked.digest and image.original:
        return False
    name = _original_name(checked)
    _save_once(private_storage(), name, data)
    image.original, image.digest, image.format = name, checked.digest, checked.format
    image.width, image.height = checked.width, checked.height
    # Made here, so a picture whose pixels do not decode is refused before it is saved.
    thumbnails_make(image, data=data)
    return True


def document_content_set(document: ProductDocument, data: bytes) -> bool:
    """Checks ``data`` and makes it the content of ``document`` (not saved); returns whether it changed. Refuses a
    file that is not an acceptable document (``UploadRefused``)."""
    checked = document_check(data)
    if document.digest == checked.digest and document.file:
        return False
    name = f"catalog/documents/{checked.digest[:2]}/{checked.digest}.{checked.extension}"
    _save_once(private_storage(), name, data)
    document.file, document.digest = name, checked.digest
    document.content_type, document.size = checked.content_type, checked.size
    return True


def product_images_settle(*, product: Product) -> str:
    """After images of ``product`` changed: makes missing thumbnails, makes sure exactly one image is primary (the
    first by position when none is) and writes the primary's digest to ``Product.thumbnail_key``. Returns the key
    (empty: no image)."""
    with transaction.atomic():
        locked = Product.objects.select_for_update().only("pk", "thumbnail_key").get(pk=product.pk)
        images = list(ProductImage.objects.filter(product=locked).order_by("position", "id"))
        primary = next((image for image in images if image.is_primary), None)
        if primary is None and images:
            primary = images[0]
            ProductImage.objects.filter(pk=primary.pk).update(is_primary=True)
            primary.is_primary = True
        for image in images:
            thumbnails_make(image)
        key = primary.digest if primary else ""
        if locked.thumbnail_key != key:
            Product.objects.filter(pk=locked.pk).update(thumbnail_key=key)
        product.thumbnail_key = key
        return key


@dataclass(frozen=True)
class MediaOutcome:
    created: bool = False
    changed: bool = False


def product_image_import(
    *, product: Product, source_key: str, data: bytes, position: int, alt_text: str = ""
) -> MediaOutcome:
    """The ERP's picture ``source_key`` of ``product``: created, replaced when its content changed, or left alone
    (same digest: no file written, no thumbnail made). Refuses a bad image (``UploadRefused``); nothing changes
    then."""
    with transaction.atomic():
        Product.objects.select_for_update().only("pk").get(pk=product.pk)
        image = ProductImage.objects.filter(product=product, source_key=source_key).first()
        created = image is None
        if created:
            image = ProductImage(product=product, source=MediaSource.ERP, source_key=source_key)
        changed = image_content_set(image, data)
        if not changed and image.position == position:
            return MediaOutcome()
        image.position = position
        if alt_text:
            image.alt_text = alt_text[:255]
        image.save()
        product_images_settle(product=product)
    return MediaOutcome(created=created, changed=True)


def product_document_import(
    *, product: Product, source_key: str, data: bytes, title: str, kind: str, language: str = "", position: int = 0
) -> MediaOutcome:
    """The ERP's document ``source_key`` of ``product``: created, updated when its content or description changed,
    or left alone. Refuses a file that is not an acceptable document (``UploadRefused``)."""
    with transaction.atomic():
        document = ProductDocument.objects.select_for_update().filter(product=product, source_key=source_key).first()
        created = document is None
        if created:
            document = ProductDocument(product=product, source=MediaSource.ERP, source_key=source_key)
        changed = document_content_set(document, data)
        described = (document.title, document.kind, document.language, document.position) != (
            title[:200],
            kind,
            language,
            position,
        )
        if not (changed or described):
            return MediaOutcome()
        document.title, document.kind, document.language, document.position = title[:200], kind, language, position
        document.save()
    return MediaOutcome(created=created, changed=True)


def product_media_remove(*, product: Product, source_key: str) -> bool:
    """Removes the ERP's picture or document ``source_key`` from ``product`` (the ERP dropped it); returns whether
    there was one. The files stay: another product may show the same content."""
    with transaction.atomic():
        Product.objects.select_for_update().only("pk").get(pk=product.pk)
        images, _ = ProductImage.objects.filter(product=product, source_key=source_key).delete()
        documents, _ = ProductDocument.objects.filter(product=product, source_key=source_key).delete()
        if images:
            product_images_settle(product=product)
    return bool(images or documents)


def document_open(document: ProductDocument):
    """The stored file of ``document``, opened for reading (the caller closes it)."""
    return private_storage().open(document.file, "rb")


def document_download_name(document: ProductDocument) -> str:
    """The title as a file name: characters a file system or a header could misread replaced, ``.pdf`` added."""
    title = "".join(c if c.isprintable() and c not in '/\\:*?"<>|;' else " " for c in document.title).strip()
    return f"{title or document.product.sku}.{document.file.rsplit('.', 1)[-1]}"
