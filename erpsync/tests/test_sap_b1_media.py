"""SAP Business One item pictures through the Service Layer simulator: ``Items.Picture`` names a file in the
company's pictures folder and ``ItemImages('<code>')/$value`` serves it; the sync stores it as the product's
picture, skips it while unchanged, and turns a missing file or a file that is no picture into issues."""

from __future__ import annotations

import pytest
import requests

from b2bportal.storage import private_storage
from catalog.models import Product, ProductImage
from catalog.tests.media_files import image_bytes
from erpsync.adapters.sap_b1.reads import SapB1Reads
from erpsync.importers import sync_import
from erpsync.importers.brake import REMOVAL_HELD
from erpsync.models import ErpConnection, SyncIssue, SyncRun, ValueMap
from erpsync.simulators import SapB1Simulator

pytestmark = pytest.mark.django_db


@pytest.fixture
def sim():
    with SapB1Simulator(items=4, customers=1) as simulator:
        yield simulator


@pytest.fixture
def sap(sim, monkeypatch):
    monkeypatch.setenv("SAPTEST_USERNAME", "manager")
    monkeypatch.setenv("SAPTEST_PASSWORD", "1234")
    connection = ErpConnection.objects.create(
        code="sap",
        name="SAP Business One",
        adapter="sap_b1",
        credentials_ref="SAPTEST",
        settings={
            "base_url": sim.base_url,
            "company_db": sim.company_db,
            "timeout_seconds": 2,
            "vat_groups": {"20": "S1", "10": "S2"},
            "read_retries": 1,
        },
    )
    for code, rate in (("S1", "20"), ("S2", "10")):
        ValueMap.objects.create(
            connection=connection, kind=ValueMap.Kind.TAX_CODE, external_value=code, local_value=rate
        )
    for entity in ("unit", "warehouse", "price_list", "product"):
        sync_import(connection=connection, entity=entity)  # the demo company's awkward items may be refused
    assert Product.objects.count() >= 3, list(SyncIssue.objects.values_list("message", flat=True))
    return connection


def skus() -> list[str]:
    return sorted(Product.objects.values_list("sku", flat=True))


def codes(sim) -> list[str]:
    with sim.company.lock:
        return sorted(sim.company.items)


def test_the_simulator_serves_a_picture_the_way_the_service_layer_does(sim):
    code = codes(sim)[0]
    picture = image_bytes("PNG")
    sim.company.set_item_picture(code, f"{code}.png", picture)
    session = requests.Session()
    login = {"CompanyDB": sim.company_db, "UserName": "manager", "Password": "1234"}
    assert session.post(sim.base_url + "Login", json=login).status_code == 200
    answer = session.get(sim.base_url + f"ItemImages('{code}')/$value")
    assert (answer.status_code, answer.headers["Content-Type"], answer.content) == (200, "image/png", picture)
    assert session.get(sim.base_url + f"ItemImages('{code}')").json()["Picture"] == f"{code}.png"
    missing = session.get(sim.base_url + f"ItemImages('{codes(sim)[1]}')/$value")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == -2028
    assert session.get(sim.base_url + "ItemImages('NO-SUCH')/$value").status_code == 404


def test_item_pictures_become_product_pictures_once(sap, sim):
    first, second = skus()[:2]
    sim.company.set_item_picture(first, f"{first}.jpg", image_bytes(color=(1, 2, 3)))
    run = sync_import(connection=sap, entity="product_media")
    assert (run.status, run.created, run.failed) == (SyncRun.Status.SUCCEEDED, 1, 0)
    image = ProductImage.objects.get()
    assert image.product.sku == first and image.is_primary and image.source_key == "sap:picture"
    assert Product.objects.get(sku=first).thumbnail_key == image.digest
    # Read again in full: the same bytes change nothing.
    again = sync_import(connection=sap, entity="product_media", full=True)
    assert (again.created, again.updated) == (0, 0)
    # A new picture replaces it; taking the picture off the item removes it.
    sim.company.set_item_picture(first, f"{first}-v2.jpg", image_bytes(color=(9, 9, 9)))
    sim.company.set_item_picture(second, f"{second}.jpg", image_bytes(color=(4, 4, 4)))
    changed = sync_import(connection=sap, entity="product_media")
    assert (changed.created, changed.updated) == (1, 1)
    sim.company.set_item_picture(first, "", None)
    gone = sync_import(connection=sap, entity="product_media")
    assert gone.deactivated == 1
    assert list(ProductImage.objects.values_list("product__sku", flat=True)) == [second]
    assert Product.objects.get(sku=first).thumbnail_key == ""


def test_a_missing_file_and_a_bad_picture_are_issues_and_the_rest_lands(sap, sim):
    missing, bad, good = skus()[:3]
    sim.company.set_item_picture(missing, "not-in-the-folder.jpg", None)
    sim.company.set_item_picture(bad, f"{bad}.jpg", b"%PDF-1.4 a pdf named .jpg")
    sim.company.set_item_picture(good, f"{good}.jpg", image_bytes())
    run = sync_import(connection=sap, entity="product_media")
    assert (run.status, run.created, run.failed) == (SyncRun.Status.PARTIAL, 1, 2)
    issues = {i.external_id: i for i in SyncIssue.objects.filter(entity="product_media")}
    assert issues[f"{missing}:picture"].code == "file_unavailable" and "-2028" in issues[f"{missing}:picture"].message
    assert issues[f"{bad}:picture"].code == "bad_file"
    assert list(ProductImage.objects.values_list("product__sku", flat=True)) == [good]


def test_a_picture_of_an_item_the_portal_does_not_have_is_an_issue(sap, sim):
    with sim.company.lock:
        sim.company.create("Items", {"ItemCode": "NEW-1", "ItemName": "Yeni"})
    sim.company.set_item_picture("NEW-1", "NEW-1.jpg", image_bytes())
    run = sync_import(connection=sap, entity="product_media")
    assert run.failed == 1 and SyncIssue.objects.get(entity="product_media").code == "unknown_product"


# -- pictures SAP no longer has ------------------------------------------------------------------------------------


def pictured(sap, sim, skus_with_pictures, captured) -> dict[str, ProductImage]:
    for n, sku in enumerate(skus_with_pictures):
        sim.company.set_item_picture(sku, f"{sku}.jpg", image_bytes(color=(60 * n, 40, 80)))
    with captured(execute=True):
        run = sync_import(connection=sap, entity="product_media", full=True)
    assert run.created == len(skus_with_pictures)
    return {image.product.sku: image for image in ProductImage.objects.select_related("product")}


def brake(sap, percent: int, minimum: int = 1) -> None:
    sap.settings = {**sap.settings, "removal_brake_percent": percent, "removal_brake_minimum": minimum}
    sap.save(update_fields=["settings"])


def test_a_picture_taken_off_in_sap_leaves_the_portal_and_its_file_after_commit(
    sap, sim, django_capture_on_commit_callbacks
):
    first, second, third = skus()[:3]
    images = pictured(sap, sim, [first, second, third], django_capture_on_commit_callbacks)
    sim.company.set_item_picture(first, "", None)  # B1 answers "Picture": null from now on
    with django_capture_on_commit_callbacks(execute=True):
        delta = sync_import(connection=sap, entity="product_media")
    assert (delta.mode, delta.deactivated) == (SyncRun.Mode.DELTA, 1)
    assert not ProductImage.objects.filter(product__sku=first).exists()
    assert not private_storage().exists(images[first].original)
    assert private_storage().exists(images[second].original)


def test_a_full_read_takes_off_the_pictures_of_items_sap_no_longer_lists(sap, sim, django_capture_on_commit_callbacks):
    first, second, third = skus()[:3]
    images = pictured(sap, sim, [first, second, third], django_capture_on_commit_callbacks)
    brake(sap, percent=40)  # one of three pictured items: 33 %, within the brake
    with sim.company.lock:
        del sim.company.items[first]  # deleted in SAP: a delta cannot tell, the full read can
    with django_capture_on_commit_callbacks(execute=True):
        delta = sync_import(connection=sap, entity="product_media")
    assert delta.deactivated == 0 and ProductImage.objects.filter(product__sku=first).exists()
    with django_capture_on_commit_callbacks(execute=True):
        full = sync_import(connection=sap, entity="product_media", full=True)
    assert (full.mode, full.deactivated, full.failed) == (SyncRun.Mode.FULL, 1, 0)
    assert sorted(ProductImage.objects.values_list("product__sku", flat=True)) == [second, third]
    assert not private_storage().exists(images[first].original)
    assert not SyncIssue.objects.filter(code=REMOVAL_HELD).exists()


def test_a_full_read_whose_pictures_all_come_back_empty_is_held_by_the_brake(
    sap, sim, django_capture_on_commit_callbacks
):
    pictured_skus = skus()[:3]
    images = pictured(sap, sim, pictured_skus, django_capture_on_commit_callbacks)
    brake(sap, percent=20)
    for sku in pictured_skus:  # an export gone wrong: every item's Picture empty
        sim.company.set_item_picture(sku, "", None)
    with django_capture_on_commit_callbacks(execute=True):
        full = sync_import(connection=sap, entity="product_media", full=True)
    assert (full.status, full.deactivated, full.failed) == (SyncRun.Status.PARTIAL, 0, 1)
    assert sorted(ProductImage.objects.values_list("product__sku", flat=True)) == pictured_skus
    assert all(private_storage().exists(image.original) for image in images.values())
    issue = SyncIssue.objects.get(code=REMOVAL_HELD)
    assert (issue.connection, issue.entity, issue.payload["removing"]) == (sap, "product_media", 3)
    # The same removal as a delta is what the ERP said of each item: it goes through, no brake.
    with django_capture_on_commit_callbacks(execute=True):
        delta = sync_import(connection=sap, entity="product_media")
    assert delta.deactivated == 3 and not ProductImage.objects.exists()


@pytest.mark.parametrize("full", [False, True])
def test_a_row_without_the_picture_field_says_nothing_and_keeps_the_picture(
    sap, sim, monkeypatch, django_capture_on_commit_callbacks, full
):
    first, second = skus()[:2]
    images = pictured(sap, sim, [first, second], django_capture_on_commit_callbacks)
    brake(sap, percent=100)  # the brake off: only the absent field keeps the pictures
    sim.company.set_item_picture(first, "", None)
    sim.company.set_item_picture(second, "", None)
    read_items = SapB1Reads._items

    def without_picture(self, select, since, **kwargs):
        return ({k: v for k, v in row.items() if k != "Picture"} for row in read_items(self, select, since, **kwargs))

    monkeypatch.setattr(SapB1Reads, "_items", without_picture)
    with django_capture_on_commit_callbacks(execute=True):
        run = sync_import(connection=sap, entity="product_media", full=full)
    assert (run.deactivated, run.failed) == (0, 0)
    assert sorted(ProductImage.objects.values_list("product__sku", flat=True)) == [first, second]
    assert all(private_storage().exists(image.original) for image in images.values())
    monkeypatch.setattr(SapB1Reads, "_items", read_items)  # the field back, null: now SAP says they are gone
    with django_capture_on_commit_callbacks(execute=True):
        run = sync_import(connection=sap, entity="product_media", full=full)
    assert run.deactivated == 2 and not ProductImage.objects.exists()
