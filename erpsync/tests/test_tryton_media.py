"""Product pictures and documents from a real Tryton: attachments (``ir.attachment``) on product templates and
variants, read over the REST API, stored once, and refused as issues when they are no picture or PDF."""

from __future__ import annotations

import pytest

from b2bportal.storage import private_storage
from catalog.models import Product, ProductDocument, ProductImage
from catalog.tests.media_files import MINIMAL_PDF, image_bytes
from erpsync.importers import sync_import
from erpsync.models import ErpConnection, SyncIssue, SyncRun
from erpsync.tests.tryton_seed import PORTAL_KEY
from erpsync.tests.tryton_server import StaffClient

pytestmark = pytest.mark.django_db


@pytest.fixture
def tryton(tryton_server, monkeypatch):
    database = tryton_server.database("catalog")
    staff = StaffClient(tryton_server.url, database)
    monkeypatch.setenv("TRYTON_TEST_KEY", PORTAL_KEY)
    connection = ErpConnection.objects.create(
        code="tryton",
        name="Tryton",
        adapter="tryton",
        credentials_ref="TRYTON_TEST",
        settings={"base_url": tryton_server.url, "database": database, "timeout_seconds": 20},
    )
    for entity in ("unit", "warehouse", "product"):
        sync_import(connection=connection, entity=entity)
    yield connection, staff
    staff.close()


def attach(staff, sku: str, name: str, data: bytes, *, on: str = "template", description: str | None = None) -> int:
    product = staff.one("product.product", [["code", "=", sku]], ["template"])
    resource = f"product.template,{product['template']}" if on == "template" else f"product.product,{product['id']}"
    values = {"name": name, "type": "data", "data": data, "resource": resource, "description": description}
    return staff.create("ir.attachment", values)


def test_attachments_become_pictures_and_documents_once(tryton):
    connection, staff = tryton
    sku = Product.objects.order_by("sku").values_list("sku", flat=True)[0]
    attach(staff, sku, "front.jpg", image_bytes(color=(1, 1, 1)))
    attach(staff, sku, "back.png", image_bytes("PNG", color=(2, 2, 2)), on="variant")
    attach(staff, sku, "spec.pdf", MINIMAL_PDF, description="Teknik föy")
    run = sync_import(connection=connection, entity="product_media")
    assert (run.status, run.created, run.failed) == (SyncRun.Status.SUCCEEDED, 3, 0)
    images = list(ProductImage.objects.filter(product__sku=sku).order_by("position"))
    assert [(i.format, i.position, i.is_primary) for i in images] == [("JPEG", 1, True), ("PNG", 2, False)]
    assert ProductDocument.objects.get(product__sku=sku).title == "Teknik föy"
    assert Product.objects.get(sku=sku).thumbnail_key == images[0].digest
    again = sync_import(connection=connection, entity="product_media", full=True)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)


def test_an_attachment_that_is_no_picture_is_an_issue(tryton):
    connection, staff = tryton
    sku = Product.objects.order_by("sku").values_list("sku", flat=True)[0]
    attach(staff, sku, "photo.jpg", b"MZ\x90\x00 an executable with a picture's name")
    attach(staff, sku, "ok.webp", image_bytes("WEBP"))
    run = sync_import(connection=connection, entity="product_media")
    assert (run.status, run.created, run.failed) == (SyncRun.Status.PARTIAL, 1, 1)
    issue = SyncIssue.objects.get(entity="product_media")
    assert issue.code == "bad_file" and "photo.jpg" in issue.message
    assert ProductImage.objects.get().format == "WEBP"


def test_an_attachment_deleted_in_tryton_leaves_on_the_next_full_read(tryton, django_capture_on_commit_callbacks):
    connection, staff = tryton
    connection.settings = {**connection.settings, "removal_brake_percent": 40, "removal_brake_minimum": 1}
    connection.save(update_fields=["settings"])
    skus = list(Product.objects.order_by("sku").values_list("sku", flat=True)[:3])
    attachments = [
        attach(staff, sku, f"{sku}.png", image_bytes("PNG", color=(70 * n, 9, 9)), on="variant")
        for n, sku in enumerate(skus)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        assert sync_import(connection=connection, entity="product_media", full=True).created == 3
    deleted = ProductImage.objects.get(product__sku=skus[0])
    staff.delete("ir.attachment", attachments[0])
    with django_capture_on_commit_callbacks(execute=True):
        delta = sync_import(connection=connection, entity="product_media")
    assert delta.deactivated == 0 and ProductImage.objects.count() == 3  # a change read cannot tell a deletion
    with django_capture_on_commit_callbacks(execute=True):
        full = sync_import(connection=connection, entity="product_media", full=True)
    assert (full.status, full.deactivated) == (SyncRun.Status.SUCCEEDED, 1)
    assert sorted(ProductImage.objects.values_list("product__sku", flat=True)) == skus[1:]
    assert not private_storage().exists(deleted.original)
