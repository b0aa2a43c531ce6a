"""Product pictures and documents: checks on hostile files, thumbnails made once, one primary image, the catalogue
showing them without a query per row, the admin upload and the document download's visibility."""

import io
import os
from decimal import Decimal

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from b2bportal.storage import private_storage
from b2bportal.uploads import MediaLimits, UploadRefused, document_check, image_check
from catalog.media import (
    THUMBNAIL_SIZES,
    product_document_import,
    product_image_import,
    product_images_settle,
    product_media_remove,
    thumbnail_name,
)
from catalog.models import ProductDocument, ProductImage
from catalog.tests.factories import PriceListFactory, PriceListItemFactory, ProductFactory
from catalog.tests.media_files import MINIMAL_PDF, bomb_png, image_bytes

pytestmark = pytest.mark.django_db
D = Decimal


# -- checks --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "GIF"])
def test_accepts_the_four_image_formats_by_content(fmt):
    checked = image_check(image_bytes(fmt, size=(30, 20)))
    assert (checked.format, checked.width, checked.height) == (fmt, 30, 20)


@pytest.mark.parametrize(
    "data, reason",
    [
        (b"", "empty"),
        (b"GIF89a not really", "not a JPEG"),
        (b"%PDF-1.4 pretending to be a picture", "not a JPEG"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "not a JPEG"),
        (image_bytes("BMP"), "not a JPEG"),
        (image_bytes("JPEG")[:200], "damaged"),
    ],
    ids=["empty", "fake-gif", "pdf", "svg", "bmp", "truncated"],
)
def test_refuses_what_is_not_an_acceptable_image(data, reason):
    with pytest.raises(UploadRefused, match=reason):
        image_check(data)


def test_refuses_a_decompression_bomb_from_its_header():
    data = bomb_png()
    assert len(data) < 100_000
    with pytest.raises(UploadRefused, match="more than"):
        image_check(data)


def test_refuses_an_image_over_the_byte_limit():
    with pytest.raises(UploadRefused, match="larger than"):
        image_check(image_bytes(size=(400, 400)), MediaLimits(image_max_bytes=100))


def test_document_is_a_pdf_by_content_within_its_limit():
    assert document_check(MINIMAL_PDF).content_type == "application/pdf"
    with pytest.raises(UploadRefused, match="not a PDF"):
        document_check(b"MZ\x90\x00 an executable named manual.pdf")
    with pytest.raises(UploadRefused, match="not a PDF"):
        document_check(b"%PDF-1.4 cut off before its end")
    with pytest.raises(UploadRefused, match="larger than"):
        document_check(MINIMAL_PDF, MediaLimits(document_max_bytes=10))


# -- thumbnails ----------------------------------------------------------------------------------------------------


def test_thumbnails_are_square_webp_without_the_originals_metadata():
    product = ProductFactory()
    product_image_import(product=product, source_key="a", data=image_bytes(size=(600, 300), exif=True), position=1)
    image = ProductImage.objects.get(product=product)
    for size, box in THUMBNAIL_SIZES.items():
        with storages["default"].open(thumbnail_name(image.digest, size)) as handle:
            thumb = Image.open(io.BytesIO(handle.read()))
            assert (thumb.format, thumb.size) == ("WEBP", (box, box))
            assert not thumb.getexif() and "icc_profile" not in thumb.info and "exif" not in thumb.info
    # The original keeps what it had, and is private: no URL.
    with private_storage().open(image.original) as handle:
        assert Image.open(handle).getexif()
    with pytest.raises(ValueError):
        private_storage().url(image.original)


def test_thumbnails_are_made_again_only_when_the_content_changes():
    product = ProductFactory()
    first = product_image_import(product=product, source_key="a", data=image_bytes(color=(1, 2, 3)), position=1)
    image = ProductImage.objects.get(product=product)
    thumb = storages["default"].path(thumbnail_name(image.digest, "card"))
    made_at = os.stat(thumb).st_mtime_ns
    again = product_image_import(product=product, source_key="a", data=image_bytes(color=(1, 2, 3)), position=1)
    assert first.created and first.changed and not again.changed
    assert os.stat(thumb).st_mtime_ns == made_at
    changed = product_image_import(product=product, source_key="a", data=image_bytes(color=(9, 9, 9)), position=1)
    image.refresh_from_db()
    assert changed.changed and not changed.created
    assert storages["default"].exists(thumbnail_name(image.digest, "card"))
    product.refresh_from_db()
    assert product.thumbnail_key == image.digest == image.thumbnails_digest


def test_one_primary_image_whose_digest_is_on_the_product():
    product = ProductFactory()
    product_image_import(product=product, source_key="b", data=image_bytes(color=(5, 5, 5)), position=2)
    product_image_import(product=product, source_key="a", data=image_bytes(color=(6, 6, 6)), position=1)
    images = list(ProductImage.objects.filter(product=product).order_by("position"))
    assert [i.is_primary for i in images] == [False, True]  # the first one stored became primary
    product.refresh_from_db()
    assert product.thumbnail_key == images[1].digest
    assert product_media_remove(product=product, source_key="b")
    product.refresh_from_db()
    assert product.thumbnail_key == images[0].digest
    assert ProductImage.objects.get(product=product).is_primary
    assert product_media_remove(product=product, source_key="a")
    assert not product_media_remove(product=product, source_key="a")
    product.refresh_from_db()
    assert product.thumbnail_key == "" and product_images_settle(product=product) == ""


def test_a_bad_image_changes_nothing():
    product = ProductFactory()
    product_image_import(product=product, source_key="a", data=image_bytes(), position=1)
    before = ProductImage.objects.get(product=product).digest
    with pytest.raises(UploadRefused):
        product_image_import(product=product, source_key="a", data=b"garbage", position=1)
    assert ProductImage.objects.get(product=product).digest == before


def test_documents_are_updated_only_when_content_or_description_changes():
    product = ProductFactory()
    made = product_document_import(
        product=product, source_key="d", data=MINIMAL_PDF, title="Datasheet", kind="datasheet"
    )
    same = product_document_import(
        product=product, source_key="d", data=MINIMAL_PDF, title="Datasheet", kind="datasheet"
    )
    renamed = product_document_import(product=product, source_key="d", data=MINIMAL_PDF, title="Data", kind="datasheet")
    assert made.created and not same.changed and renamed.changed and not renamed.created
    with pytest.raises(UploadRefused):
        product_document_import(product=product, source_key="x", data=b"not a pdf", title="X", kind="other")
    assert ProductDocument.objects.filter(product=product).count() == 1


# -- the catalogue -------------------------------------------------------------------------------------------------


@pytest.fixture
def shop(dealer_client):
    dealer = dealer_client.dealer_user.dealer
    dealer.price_list = PriceListFactory(code="TRY-A")
    dealer.save()
    return dealer


def listed(shop, **kwargs):
    product = ProductFactory(**kwargs)
    PriceListItemFactory(price_list=shop.price_list, product=product, price=D("100"))
    return product


def _count(client, params):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/catalog/", params)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


@pytest.mark.parametrize("view", ["list", "grid"])
def test_list_pages_show_thumbnails_with_no_query_per_row(dealer_client, shop, view):
    products = [listed(shop, sku=f"I-{n:02d}") for n in range(30)]
    dealer_client.get("/catalog/")  # caches the category tree and brands
    without, _ = _count(dealer_client, {"per_page": 24, "view": view})
    for n, product in enumerate(products):
        product_image_import(product=product, source_key="p", data=image_bytes(color=(n, n, n)), position=1)
    dealer_client.get("/catalog/")  # the same warm caches as before the pictures came
    with_images, response = _count(dealer_client, {"per_page": 24, "view": view})
    assert with_images == without <= 10
    html = response.content.decode()
    size = "list" if view == "list" else "card"
    product = response.context["page"].rows[0].product  # pictures came from the product row itself
    assert product.thumbnail_key
    box = THUMBNAIL_SIZES[size]
    assert f'src="/media/{thumbnail_name(product.thumbnail_key, size)}"' in html
    assert f'width="{box}" height="{box}" loading="lazy"' in html
    assert f'alt="{product.display_name}"' in html


def test_a_product_without_pictures_shows_the_placeholder(dealer_client, shop):
    listed(shop, sku="BARE")
    html = dealer_client.get("/catalog/").content.decode()
    assert "catalog/placeholder.svg" in html and 'alt="No picture"' in html


def test_thumbnails_are_served_with_a_long_cache(client):
    product = ProductFactory()
    product_image_import(product=product, source_key="a", data=image_bytes(), position=1)
    product.refresh_from_db()
    response = client.get(f"/media/{thumbnail_name(product.thumbnail_key, 'page')}")
    assert response.status_code == 200 and response["Content-Type"] == "image/webp"
    assert "immutable" in response["Cache-Control"]
    assert client.get("/media/catalog/thumbs/../../etc/passwd").status_code in (400, 404)


def test_product_page_has_a_gallery_and_documents(dealer_client, shop):
    product = listed(shop, sku="G/1", name="Gallery")
    product_image_import(product=product, source_key="a", data=image_bytes(color=(1, 1, 1)), position=1)
    product_image_import(product=product, source_key="b", data=image_bytes(color=(2, 2, 2)), position=2)
    product_document_import(
        product=product, source_key="d", data=MINIMAL_PDF, title="Kullanım kılavuzu", kind="manual", language="tr"
    )
    response = dealer_client.get(reverse("catalog:product_detail", args=["G/1"]), HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert 'data-testid="gallery"' in html and html.count('loading="lazy"') >= 2
    document = ProductDocument.objects.get(product=product)
    assert reverse("catalog:product_document", args=["G/1", document.pk]) in html and "Kullanım kılavuzu" in html


def test_a_dealer_downloads_documents_of_visible_products_only(dealer_client, shop):
    mine = listed(shop, sku="DOC/1")
    theirs = ProductFactory(sku="DOC/2")
    PriceListItemFactory(price_list=PriceListFactory(), product=theirs)
    for product in (mine, theirs):
        product_document_import(
            product=product, source_key="d", data=MINIMAL_PDF, title="Sertifika", kind="certificate"
        )
    own = ProductDocument.objects.get(product=mine)
    hidden = ProductDocument.objects.get(product=theirs)
    response = dealer_client.get(reverse("catalog:product_document", args=["DOC/1", own.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == MINIMAL_PDF
    assert 'attachment; filename="Sertifika.pdf"' in response["Content-Disposition"]
    # Another dealer's product, and a document asked for under the wrong product: not found.
    assert dealer_client.get(reverse("catalog:product_document", args=["DOC/2", hidden.pk])).status_code == 404
    assert dealer_client.get(reverse("catalog:product_document", args=["DOC/1", hidden.pk])).status_code == 404


def test_documents_need_a_signed_in_dealer(client):
    product = ProductFactory(sku="DOC/3")
    product_document_import(product=product, source_key="d", data=MINIMAL_PDF, title="T", kind="other")
    document = ProductDocument.objects.get()
    response = client.get(reverse("catalog:product_document", args=["DOC/3", document.pk]))
    assert response.status_code in (302, 403)


# -- the admin -----------------------------------------------------------------------------------------------------


def _change_form(product, images=(), documents=()):
    data = {
        "sku": product.sku,
        "name": product.name,
        "name_en": "",
        "base_unit": product.base_unit_id,
        "vat_rate": "20",
        "min_order_qty": "1",
        "order_multiple": "1",
        "status": "active",
        "units-TOTAL_FORMS": "0",
        "units-INITIAL_FORMS": "0",
        "images-TOTAL_FORMS": str(len(images)),
        "images-INITIAL_FORMS": "0",
        "documents-TOTAL_FORMS": str(len(documents)),
        "documents-INITIAL_FORMS": "0",
    }
    for n, (upload, primary) in enumerate(images):
        data.update({f"images-{n}-upload": upload, f"images-{n}-position": str(n), f"images-{n}-alt_text": ""})
        if primary:
            data[f"images-{n}-is_primary"] = "on"
    for n, (upload, title) in enumerate(documents):
        data.update(
            {
                f"documents-{n}-upload": upload,
                f"documents-{n}-title": title,
                f"documents-{n}-kind": "datasheet",
                f"documents-{n}-language": "",
                f"documents-{n}-position": "0",
            }
        )
    return data


def test_admin_uploads_pictures_and_documents(staff_client):
    product = ProductFactory(sku="ADM-1")
    url = reverse("admin:catalog_product_change", args=[product.pk])
    assert staff_client.get(url).status_code == 200
    data = _change_form(
        product,
        images=[
            (SimpleUploadedFile("evil.php", image_bytes("PNG"), content_type="text/x-php"), False),
            (SimpleUploadedFile("b.jpg", image_bytes(color=(3, 3, 3))), True),
        ],
        documents=[(SimpleUploadedFile("spec.pdf", MINIMAL_PDF), "Spec")],
    )
    response = staff_client.post(url, data)
    assert response.status_code == 302, response.context["inline_admin_formsets"] if response.context else response
    images = list(ProductImage.objects.filter(product=product).order_by("position"))
    assert [i.format for i in images] == ["PNG", "JPEG"] and [i.is_primary for i in images] == [False, True]
    assert images[0].original.endswith(".png")  # named after its content, never "evil.php"
    product.refresh_from_db()
    assert product.thumbnail_key == images[1].digest
    assert ProductDocument.objects.get(product=product).title == "Spec"


def test_admin_refuses_a_bad_picture_and_a_fake_pdf_and_two_primaries(staff_client):
    product = ProductFactory(sku="ADM-2")
    url = reverse("admin:catalog_product_change", args=[product.pk])
    bad = _change_form(
        product,
        images=[(SimpleUploadedFile("x.jpg", b"<?php system($_GET[1]); ?>"), False)],
        documents=[(SimpleUploadedFile("x.pdf", b"MZ not a pdf"), "X")],
    )
    response = staff_client.post(url, bad)
    assert response.status_code == 200
    html = response.content.decode()
    assert "not a JPEG, PNG, WebP or GIF image" in html and "not a PDF file" in html
    two = _change_form(
        product,
        images=[
            (SimpleUploadedFile("a.jpg", image_bytes(color=(1, 1, 1))), True),
            (SimpleUploadedFile("b.jpg", image_bytes(color=(2, 2, 2))), True),
        ],
    )
    response = staff_client.post(url, two)
    assert response.status_code == 200 and "Only one picture can be the primary one." in response.content.decode()
    assert not ProductImage.objects.filter(product=product).exists()
    assert not ProductDocument.objects.filter(product=product).exists()
