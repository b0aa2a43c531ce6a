"""Pictures the ERP no longer has, through the file connection and the import engine: a ``.removed`` file takes a
picture off (its files deleted after commit), a slot the drop says nothing about is kept, staff uploads are never
touched, a complete drop (``media_snapshot``) removes what it lacks unless the removal brake holds it, and the run
counts what was removed. The brake's own rule is tested here too."""

from decimal import Decimal
from pathlib import Path

import pytest

from b2bportal.storage import private_storage
from catalog.media import image_content_set
from catalog.models import MediaSource, Product, ProductImage, Unit
from catalog.tests.media_files import image_bytes
from erpsync.adapters.file.writer import drop
from erpsync.common_settings import CommonSettings
from erpsync.importers import sync_import
from erpsync.importers.brake import REMOVAL_HELD, removal_brake
from erpsync.models import ErpConnection, SyncIssue, SyncRun

pytestmark = pytest.mark.django_db

SKUS = [f"RSM-{n:02d}" for n in range(1, 11)]


@pytest.fixture
def files(tmp_path):
    unit = Unit.objects.create(code="AD", name="Adet")
    for sku in SKUS:
        Product.objects.create(sku=sku, name=sku, base_unit=unit)
    return ErpConnection.objects.create(
        code="files", name="Files", adapter="file", settings={"root": str(tmp_path), "removal_brake_minimum": 1}
    )


def images(connection) -> Path:
    return Path(connection.settings["root"]) / "inbound" / "images"


def snapshot(connection, on: bool = True) -> None:
    connection.settings = {**connection.settings, "media_snapshot": on}
    connection.save(update_fields=["settings"])


def import_pictures(connection, captured, **kwargs) -> SyncRun:
    with captured(execute=True):
        return sync_import(connection=connection, entity="product_media", **kwargs)


def picture_of(sku: str) -> ProductImage:
    return ProductImage.objects.get(product__sku=sku)


def kept(sku: str) -> bool:
    return ProductImage.objects.filter(product__sku=sku).exists()


def every_picture(connection, captured, skus=SKUS) -> None:
    for n, sku in enumerate(skus):
        drop(images(connection), f"{sku}.jpg", image_bytes(color=(20 * n, 200 - 15 * n, 3)))
    run = import_pictures(connection, captured)
    assert run.created == len(skus)


def test_a_removed_file_takes_the_picture_off_and_its_file_goes_after_commit(files, django_capture_on_commit_callbacks):
    every_picture(files, django_capture_on_commit_callbacks, SKUS[:2])
    first = picture_of(SKUS[0])
    assert private_storage().exists(first.original)
    drop(images(files), f"{SKUS[0]}.removed", b"")
    run = import_pictures(files, django_capture_on_commit_callbacks)
    assert (run.status, run.deactivated, run.failed) == (SyncRun.Status.SUCCEEDED, 1, 0)
    assert not kept(SKUS[0]) and kept(SKUS[1])  # the other product was not in the drop: nothing said, kept
    assert not private_storage().exists(first.original)
    assert Product.objects.get(sku=SKUS[0]).thumbnail_key == ""
    assert (images(files) / "done" / f"{SKUS[0]}.removed").exists()


def test_a_change_drop_without_the_picture_keeps_it(files, django_capture_on_commit_callbacks):
    every_picture(files, django_capture_on_commit_callbacks, SKUS[:2])
    drop(images(files), f"{SKUS[1]}_2.jpg", image_bytes(color=(99, 1, 1)))
    run = import_pictures(files, django_capture_on_commit_callbacks)
    assert (run.created, run.deactivated) == (1, 0)
    assert kept(SKUS[0]) and private_storage().exists(picture_of(SKUS[0]).original)


def test_staff_uploads_are_kept_by_removals_and_by_a_complete_drop(files, django_capture_on_commit_callbacks):
    every_picture(files, django_capture_on_commit_callbacks, SKUS)
    product = Product.objects.get(sku=SKUS[0])
    staff = ProductImage(product=product, position=5, source=MediaSource.ADMIN)
    image_content_set(staff, image_bytes(color=(250, 250, 0)))
    staff.save()
    drop(images(files), f"{SKUS[0]}_5.removed", b"")  # the slot of the staff picture's position: not the ERP's
    import_pictures(files, django_capture_on_commit_callbacks)
    snapshot(files)
    for n, sku in enumerate(SKUS[1:], start=1):
        drop(images(files), f"{sku}.jpg", image_bytes(color=(20 * n, 200 - 15 * n, 3)))
    run = import_pictures(files, django_capture_on_commit_callbacks)
    assert run.deactivated == 1  # the ERP's picture of the first product, missing from the complete drop
    assert list(ProductImage.objects.filter(product=product).values_list("pk", flat=True)) == [staff.pk]
    assert private_storage().exists(staff.original)
    product.refresh_from_db()
    assert product.thumbnail_key == staff.digest


def test_a_complete_drop_removes_the_pictures_it_lacks_within_the_brake(files, django_capture_on_commit_callbacks):
    every_picture(files, django_capture_on_commit_callbacks)
    snapshot(files)
    dropped = [picture_of(sku) for sku in SKUS[:2]]
    for n, sku in enumerate(SKUS[2:], start=2):  # 2 of 10 pictured products lose their picture: 20 %, not more
        drop(images(files), f"{sku}.jpg", image_bytes(color=(20 * n, 200 - 15 * n, 3)))
    run = import_pictures(files, django_capture_on_commit_callbacks)
    assert (run.status, run.deactivated, run.unchanged) == (SyncRun.Status.SUCCEEDED, 2, 8)
    assert [sku for sku in SKUS if kept(sku)] == SKUS[2:]
    assert not any(private_storage().exists(image.original) for image in dropped)
    assert not SyncIssue.objects.filter(code=REMOVAL_HELD).exists()


def test_the_brake_holds_a_complete_drop_that_would_strip_too_many(files, django_capture_on_commit_callbacks):
    every_picture(files, django_capture_on_commit_callbacks)
    snapshot(files)
    for n, sku in enumerate(SKUS[3:], start=3):  # 3 of 10: 30 %, more than 20 %
        drop(images(files), f"{sku}.jpg", image_bytes(color=(20 * n, 200 - 15 * n, 3)))
    run = import_pictures(files, django_capture_on_commit_callbacks)
    assert (run.status, run.deactivated, run.failed) == (SyncRun.Status.PARTIAL, 0, 1)
    assert all(kept(sku) for sku in SKUS)
    issue = SyncIssue.objects.get(code=REMOVAL_HELD)
    assert (issue.entity, issue.status, issue.payload["removing"]) == ("product_media", "open", 3)
    assert "3 of 10" in issue.message and "30.0%" in issue.message
    # Staff checked the ERP: the removal is right. One run with the brake raised lets it through and resolves it.
    files.settings = {**files.settings, "removal_brake_percent": 50}
    files.save(update_fields=["settings"])
    for n, sku in enumerate(SKUS[3:], start=3):
        drop(images(files), f"{sku}.jpg", image_bytes(color=(20 * n, 200 - 15 * n, 3)))
    run = import_pictures(files, django_capture_on_commit_callbacks)
    assert (run.status, run.deactivated) == (SyncRun.Status.SUCCEEDED, 3)
    assert [sku for sku in SKUS if kept(sku)] == SKUS[3:]
    issue.refresh_from_db()
    assert issue.status == SyncIssue.Status.RESOLVED


def test_a_dry_run_rolls_the_removal_back_and_keeps_the_files(files, django_capture_on_commit_callbacks):
    every_picture(files, django_capture_on_commit_callbacks, SKUS[:2])
    first = picture_of(SKUS[0])
    drop(images(files), f"{SKUS[0]}.removed", b"")
    run = import_pictures(files, django_capture_on_commit_callbacks, dry_run=True)
    assert run.deactivated == 1  # counted, as a dry run counts
    assert kept(SKUS[0]) and private_storage().exists(first.original)


def test_the_brake_holds_only_above_its_share_and_minimum():
    options = CommonSettings.read({"removal_brake_percent": 20, "removal_brake_minimum": 3})[0]
    assert removal_brake(options=options, removing=3, holding=10).held  # 30 %
    assert not removal_brake(options=options, removing=2, holding=10).held  # 20 %: not more than the limit
    assert not removal_brake(options=options, removing=2, holding=2).held  # 100 %, but fewer than the minimum
    assert not removal_brake(options=options, removing=0, holding=0).held
    verdict = removal_brake(options=options, removing=1, holding=3)
    assert (verdict.percent, verdict.held) == (Decimal("33.3"), False)
    off = CommonSettings.read({"removal_brake_percent": 100, "removal_brake_minimum": 0})[0]
    assert not removal_brake(options=off, removing=10, holding=10).held
    default = CommonSettings.read({})[0]
    assert (default.removal_brake_percent, default.removal_brake_minimum) == (20, 5)
    assert removal_brake(options=default, removing=5, holding=10).held
