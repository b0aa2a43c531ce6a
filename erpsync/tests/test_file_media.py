"""Product pictures and documents from the drop folder through the import engine: SKU-named files land, unchanged
files change nothing, unknown products and bad files become issues and go to error/, nothing crashes."""

import json

import pytest

from catalog.models import Product, ProductDocument, ProductImage, Unit
from catalog.tests.media_files import MINIMAL_PDF, bomb_png, image_bytes
from erpsync.adapters.file.media import document_kind, document_slot, image_slot
from erpsync.adapters.file.writer import drop
from erpsync.importers import sync_import
from erpsync.models import ErpConnection, SyncIssue, SyncRun

pytestmark = pytest.mark.django_db


@pytest.fixture
def files(tmp_path):
    unit = Unit.objects.create(code="AD", name="Adet")
    for sku in ("KBL-1", "LMB_2"):
        Product.objects.create(sku=sku, name=sku, base_unit=unit)
    return ErpConnection.objects.create(code="files", name="Files", adapter="file", settings={"root": str(tmp_path)})


def folder(connection, name):
    from pathlib import Path

    return Path(connection.settings["root"]) / "inbound" / name


def test_names_say_product_slot_title_and_language():
    assert image_slot("KBL-1.jpg") == ("KBL-1", 1)
    assert image_slot("KBL-1_3.PNG") == ("KBL-1", 3)
    assert image_slot("LMB_2_1.jpg") == ("LMB_2", 1)
    assert document_slot("KBL-1__Kullanım_kılavuzu.tr.pdf") == ("KBL-1", "Kullanım kılavuzu", "tr")
    assert document_slot("KBL-1__Datasheet.pdf") == ("KBL-1", "Datasheet", "")
    assert document_kind("Kullanım kılavuzu") == "other" and document_kind("Sertifika CE") == "certificate"


def test_pictures_and_documents_land_in_order_and_files_are_archived(files):
    drop(folder(files, "images"), "KBL-1_2.jpg", image_bytes(color=(2, 2, 2)))
    drop(folder(files, "images"), "KBL-1.jpg", image_bytes("PNG", color=(1, 1, 1)))  # a PNG under a .jpg name
    drop(folder(files, "images"), "LMB_2_1.webp", image_bytes("WEBP"))
    drop(folder(files, "documents"), "KBL-1__Datasheet.en.pdf", MINIMAL_PDF)
    run = sync_import(connection=files, entity="product_media")
    assert (run.status, run.created, run.failed) == (SyncRun.Status.SUCCEEDED, 4, 0)
    images = list(ProductImage.objects.filter(product__sku="KBL-1").order_by("position"))
    assert [(i.position, i.format, i.is_primary) for i in images] == [(1, "PNG", True), (2, "JPEG", False)]
    kbl = Product.objects.get(sku="KBL-1")
    assert kbl.thumbnail_key == images[0].digest
    assert Product.objects.get(sku="LMB_2").thumbnail_key
    document = ProductDocument.objects.get()
    assert (document.title, document.language, document.kind) == ("Datasheet", "en", "datasheet")
    assert sorted(p.name for p in (folder(files, "images") / "done").iterdir() if p.suffix != ".json") == [
        "KBL-1.jpg",
        "KBL-1_2.jpg",
        "LMB_2_1.webp",
    ]
    result = json.loads((folder(files, "documents") / "done" / "KBL-1__Datasheet.en.pdf.result.json").read_text())
    assert result["status"] == "done"


def test_a_file_dropped_again_unchanged_changes_nothing_and_a_new_one_replaces(files):
    drop(folder(files, "images"), "KBL-1.jpg", image_bytes(color=(1, 1, 1)))
    sync_import(connection=files, entity="product_media")
    before = ProductImage.objects.get()
    drop(folder(files, "images"), "KBL-1.jpg", image_bytes(color=(1, 1, 1)))
    again = sync_import(connection=files, entity="product_media")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)
    assert ProductImage.objects.get().updated_at == before.updated_at
    drop(folder(files, "images"), "KBL-1.png", image_bytes("PNG", color=(7, 7, 7)))  # same slot, new picture
    changed = sync_import(connection=files, entity="product_media")
    image = ProductImage.objects.get()
    assert changed.updated == 1 and image.digest != before.digest and image.format == "PNG"
    assert Product.objects.get(sku="KBL-1").thumbnail_key == image.digest


def test_unknown_product_and_bad_files_become_issues_and_go_to_error(files):
    drop(folder(files, "images"), "NOPE.jpg", image_bytes())
    drop(folder(files, "images"), "KBL-1.jpg", b"<html>not a picture</html>")
    drop(folder(files, "images"), "KBL-1_2.png", bomb_png())
    drop(folder(files, "documents"), "KBL-1__Manual.pdf", b"MZ\x90 an executable")
    drop(folder(files, "images"), "LMB_2_1.jpg", image_bytes())  # the good one still lands
    run = sync_import(connection=files, entity="product_media")
    assert (run.status, run.created, run.failed) == (SyncRun.Status.PARTIAL, 1, 4)
    issues = {issue.external_id: issue for issue in SyncIssue.objects.filter(entity="product_media")}
    assert issues["NOPE:image:NOPE:1"].code == "unknown_product"
    assert issues["KBL-1:image:KBL-1:1"].code == "bad_file" and "not a JPEG" in issues["KBL-1:image:KBL-1:1"].message
    assert "pixels" in issues["KBL-1:image:KBL-1:2"].message
    assert "not a PDF" in issues["KBL-1:document:KBL-1:manual:"].message
    errors = sorted(p.name for p in (folder(files, "images") / "error").iterdir() if p.suffix != ".json")
    assert errors == ["KBL-1.jpg", "KBL-1_2.png", "NOPE.jpg"]
    assert (folder(files, "documents") / "error" / "KBL-1__Manual.pdf").exists()
    assert (folder(files, "images") / "done" / "LMB_2_1.jpg").exists()
    assert not ProductImage.objects.filter(product__sku="KBL-1").exists()
    assert not ProductDocument.objects.exists()


def test_nothing_waiting_is_no_run(files):
    run = sync_import(connection=files, entity="product_media")
    assert run.pk is None or not SyncRun.objects.filter(pk=run.pk).exists()
