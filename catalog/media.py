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

Only the ERP's own pictures and documents (``source`` ERP) are ever replaced or removed by the sync; staff's uploads
are not touched. The files of a removed or replaced picture are deleted once the transaction has committed, and only
when no picture (or document) holds that content any more: a rollback keeps them, and a failed deletion is logged
without failing anything.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from b2bportal.storage import private_storage
from b2bportal.uploads import CheckedImage, UploadRefused, document_check, image_check
from catalog.models import MediaSource, Product, ProductDocument, ProductImage

log = logging.getLogger(__name__)

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


def _files_delete(storage, names: Iterable[str]) -> None:
    for name in names:
        try:
            storage.delete(name)
        except Exception:  # the import that dropped the file has committed; a stray file is no reason to fail it
            log.warning("Could not delete the stored file %s", name, exc_info=True)


def stored_files_release(*, images: Iterable[tuple[str, str]] = (), documents: Iterable[str] = ()) -> None:
    """Deletes the files of pictures (``(original, digest)``) and documents (stored names) no longer shown, once
    the current transaction commits (at once outside one). A content still held by any picture or document
    (another product, a staff upload) is kept; a rollback keeps everything. A deletion that fails is logged."""
    images = {(original, digest) for original, digest in images if original and digest}
    documents = {name for name in documents if name}
    if images or documents:
        transaction.on_commit(lambda: _stored_files_delete(images, documents), robust=True)


def _stored_files_delete(images: set[tuple[str, str]], documents: set[str]) -> None:
    digests = {digest for _original, digest in images}
    held = set(ProductImage.objects.filter(digest__in=digests).values_list("digest", flat=True))
    kept_documents = set(ProductDocument.objects.filter(file__in=documents).values_list("file", flat=True))
    private, public = private_storage(), storages["default"]
    for original, digest in sorted(images):
        if digest in held:
            continue
        _files_delete(private, [original])
        _files_delete(public, [thumbnail_name(digest, size) for size in THUMBNAIL_SIZES])
    _files_delete(private, sorted(documents - kept_documents))


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
        before = (image.original, image.digest)
        changed = image_content_set(image, data)
        if not changed and image.position == position:
            return MediaOutcome()
        image.position = position
        if alt_text:
            image.alt_text = alt_text[:255]
        image.save()
        product_images_settle(product=product)
        if changed and not created:
            stored_files_release(images=[before])
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
        before = document.file
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
        if changed and not created:
            stored_files_release(documents=[before])
    return MediaOutcome(created=created, changed=True)


def product_media_remove(*, product: Product, source_key: str) -> bool:
    """Removes the ERP's picture or document ``source_key`` from ``product`` (the ERP dropped it); returns whether
    there was one. Staff's uploads are never removed here."""
    images = ProductImage.objects.filter(product=product, source=MediaSource.ERP, source_key=source_key)
    documents = ProductDocument.objects.filter(product=product, source=MediaSource.ERP, source_key=source_key)
    removed = erp_media_remove(
        image_ids=images.values_list("pk", flat=True), document_ids=documents.values_list("pk", flat=True)
    )
    return bool(removed.images or removed.documents)


@dataclass(frozen=True)
class MediaRemoved:
    images: int = 0
    documents: int = 0
    products: int = 0


def erp_media_remove(*, image_ids: Iterable[int], document_ids: Iterable[int] = ()) -> MediaRemoved:
    """Removes these pictures and documents where the ERP owns them (rows staff uploaded are left out, whatever
    the ids say), settles each affected product's primary picture and ``thumbnail_key`` in a few set-based
    statements, and deletes the files no longer held once the transaction commits. The products are locked in pk
    order first, as ``product_image_import`` locks them."""
    image_ids, document_ids = list(image_ids), list(document_ids)
    if not (image_ids or document_ids):
        return MediaRemoved()
    with transaction.atomic():
        images = ProductImage.objects.filter(pk__in=image_ids, source=MediaSource.ERP)
        documents = ProductDocument.objects.filter(pk__in=document_ids, source=MediaSource.ERP)
        product_ids = set(images.values_list("product_id", flat=True)) | set(
            documents.values_list("product_id", flat=True)
        )
        list(Product.objects.select_for_update().filter(pk__in=product_ids).order_by("pk").values_list("pk"))
        files = list(images.values_list("original", "digest"))
        document_files = list(documents.values_list("file", flat=True))
        pictured = set(images.values_list("product_id", flat=True))
        image_count, _ = images.delete()
        document_count, _ = documents.delete()
        _primaries_settle(pictured)
        stored_files_release(images=files, documents=document_files)
    return MediaRemoved(images=image_count, documents=document_count, products=len(product_ids))


def _primaries_settle(product_ids: set[int]) -> None:
    """After pictures of these products were removed: the first remaining picture becomes primary where none is,
    and ``thumbnail_key`` follows the primary (empty without pictures). The thumbnails of the remaining pictures
    were made when they were stored."""
    if not product_ids:
        return
    remaining: dict[int, list[tuple[int, bool, str]]] = {}
    for pk, product_id, primary, digest in (
        ProductImage.objects.filter(product_id__in=product_ids)
        .order_by("product_id", "position", "id")
        .values_list("pk", "product_id", "is_primary", "digest")
    ):
        remaining.setdefault(product_id, []).append((pk, primary, digest))
    promote, keys = [], {}
    for product_id in product_ids:
        rows = remaining.get(product_id, [])
        primary = next((row for row in rows if row[1]), None)
        if primary is None and rows:
            primary = rows[0]
            promote.append(primary[0])
        keys[product_id] = primary[2] if primary else ""
    if promote:
        ProductImage.objects.filter(pk__in=promote).update(is_primary=True)
    products = [
        product
        for product in Product.objects.filter(pk__in=product_ids).only("pk", "thumbnail_key")
        if product.thumbnail_key != keys[product.pk]
    ]
    for product in products:
        product.thumbnail_key = keys[product.pk]
    Product.objects.bulk_update(products, ["thumbnail_key"], batch_size=500)


def document_open(document: ProductDocument):
    """The stored file of ``document``, opened for reading (the caller closes it)."""
    return private_storage().open(document.file, "rb")


def document_download_name(document: ProductDocument) -> str:
    """The title as a file name: characters a file system or a header could misread replaced, ``.pdf`` added."""
    title = "".join(c if c.isprintable() and c not in '/\\:*?"<>|;' else " " for c in document.title).strip()
    return f"{title or document.product.sku}.{document.file.rsplit('.', 1)[-1]}"
