"""Removing and replacing the ERP's pictures: only ERP-owned rows go, the primary picture and ``thumbnail_key``
follow, and the stored files are deleted after the transaction commits (never before, never on a rollback, never
while another picture shows the same content); a failed file deletion is logged and fails nothing."""

import logging

import pytest
from django.core.files.storage import storages
from django.db import transaction

from b2bportal.storage import private_storage
from catalog.media import (
    THUMBNAIL_SIZES,
    erp_media_remove,
    image_content_set,
    product_document_import,
    product_image_import,
    thumbnail_name,
)
from catalog.models import MediaSource, ProductDocument, ProductImage
from catalog.tests.factories import ProductFactory
from catalog.tests.media_files import MINIMAL_PDF, image_bytes

pytestmark = pytest.mark.django_db


def erp_picture(product, key, color, position=1) -> ProductImage:
    product_image_import(product=product, source_key=key, data=image_bytes(color=color), position=position)
    return ProductImage.objects.get(product=product, source_key=key)


def staff_picture(product, color, position=1) -> ProductImage:
    image = ProductImage(product=product, position=position, source=MediaSource.ADMIN)
    image_content_set(image, image_bytes(color=color))
    image.save()
    return image


def stored(image: ProductImage) -> bool:
    """Whether the original and every thumbnail of ``image``'s content are in storage."""
    thumbnails = [storages["default"].exists(thumbnail_name(image.digest, size)) for size in THUMBNAIL_SIZES]
    return private_storage().exists(image.original) and all(thumbnails)


def gone(image: ProductImage) -> bool:
    thumbnails = [storages["default"].exists(thumbnail_name(image.digest, size)) for size in THUMBNAIL_SIZES]
    return not private_storage().exists(image.original) and not any(thumbnails)


def test_a_removed_erp_picture_goes_and_its_files_are_deleted_after_commit(django_capture_on_commit_callbacks):
    product = ProductFactory()
    image = erp_picture(product, "erp:1", (10, 20, 30))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        removed = erp_media_remove(image_ids=[image.pk])
        assert stored(image), "deleted before the transaction committed"
    assert (removed.images, removed.products, len(callbacks)) == (1, 1, 1)
    assert not ProductImage.objects.filter(pk=image.pk).exists() and gone(image)
    product.refresh_from_db()
    assert product.thumbnail_key == ""


def test_staff_pictures_are_never_removed_by_the_erp_path(django_capture_on_commit_callbacks):
    product = ProductFactory()
    staff = staff_picture(product, (1, 1, 1))
    with django_capture_on_commit_callbacks(execute=True):
        removed = erp_media_remove(image_ids=[staff.pk])
    assert removed.images == 0
    assert ProductImage.objects.filter(pk=staff.pk).exists() and stored(staff)


def test_a_rollback_keeps_the_picture_and_its_files(django_capture_on_commit_callbacks):
    product = ProductFactory()
    image = erp_picture(product, "erp:1", (10, 20, 30))
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        erp_media_remove(image_ids=[image.pk])
        raise RuntimeError("the import failed after the removal")
    assert callbacks == []
    assert ProductImage.objects.filter(pk=image.pk).exists() and stored(image)


def test_content_another_picture_still_shows_is_kept(django_capture_on_commit_callbacks):
    first, second = ProductFactory(), ProductFactory()
    image = erp_picture(first, "erp:1", (7, 7, 7))
    twin = erp_picture(second, "erp:1", (7, 7, 7))
    assert twin.original == image.original
    with django_capture_on_commit_callbacks(execute=True):
        erp_media_remove(image_ids=[image.pk])
    assert stored(twin)
    with django_capture_on_commit_callbacks(execute=True):
        erp_media_remove(image_ids=[twin.pk])
    assert gone(twin)


def test_a_replaced_picture_gets_the_new_file_and_the_old_one_is_deleted(django_capture_on_commit_callbacks):
    product = ProductFactory()
    old = erp_picture(product, "erp:1", (1, 2, 3))
    with django_capture_on_commit_callbacks(execute=True):
        outcome = product_image_import(
            product=product, source_key="erp:1", data=image_bytes(color=(200, 9, 9)), position=1
        )
    new = ProductImage.objects.get(product=product)
    assert outcome.changed and new.pk == old.pk and new.digest != old.digest
    assert stored(new) and gone(old)
    product.refresh_from_db()
    assert product.thumbnail_key == new.digest


def test_the_same_picture_again_deletes_nothing(django_capture_on_commit_callbacks):
    product = ProductFactory()
    image = erp_picture(product, "erp:1", (1, 2, 3))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        product_image_import(product=product, source_key="erp:1", data=image_bytes(color=(1, 2, 3)), position=1)
    assert callbacks == [] and stored(image)


def test_a_replaced_document_file_is_deleted_after_commit(django_capture_on_commit_callbacks):
    product = ProductFactory()
    product_document_import(product=product, source_key="erp:d", data=MINIMAL_PDF, title="Datasheet", kind="datasheet")
    old = ProductDocument.objects.get().file
    with django_capture_on_commit_callbacks(execute=True):
        product_document_import(
            product=product, source_key="erp:d", data=MINIMAL_PDF + b"\n% v2", title="Datasheet", kind="datasheet"
        )
    new = ProductDocument.objects.get().file
    assert new != old and private_storage().exists(new) and not private_storage().exists(old)


def test_removing_the_primary_promotes_the_next_picture(django_capture_on_commit_callbacks):
    product = ProductFactory()
    first = erp_picture(product, "erp:1", (1, 1, 1), position=1)
    second = erp_picture(product, "erp:2", (2, 2, 2), position=2)
    staff = staff_picture(ProductFactory(), (3, 3, 3))
    with django_capture_on_commit_callbacks(execute=True):
        removed = erp_media_remove(image_ids=[first.pk, staff.pk])
    assert (removed.images, removed.products) == (1, 1)
    second.refresh_from_db()
    product.refresh_from_db()
    assert second.is_primary and product.thumbnail_key == second.digest


def test_a_failed_file_deletion_is_logged_and_fails_nothing(django_capture_on_commit_callbacks, monkeypatch, caplog):
    product = ProductFactory()
    image = erp_picture(product, "erp:1", (4, 5, 6))
    storage_class = type(private_storage())

    def refuse(self, name):
        raise PermissionError(f"read-only volume: {name}")

    monkeypatch.setattr(storage_class, "delete", refuse)
    with caplog.at_level(logging.WARNING, logger="catalog.media"), django_capture_on_commit_callbacks(execute=True):
        removed = erp_media_remove(image_ids=[image.pk])
    assert removed.images == 1 and not ProductImage.objects.filter(pk=image.pk).exists()
    assert any(image.original in record.getMessage() for record in caplog.records)
