"""Staff import and export in the admin (django-import-export): dealer item codes and product texts imported
from CSV/XLSX with the preview-and-confirm step and row errors, ERP-owned columns refused, workbooks checked
before they are read, and the orders, payments, allocations and sync issues exported from their changelists."""

import io
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from catalog.models import DealerAgreement, PriceList, PriceListItem, Product
from dealers.models import DealerUser
from erpsync.models import ErpConnection, ExternalRef, SyncIssue
from orders.edi.intake import edi_order_receive
from orders.models import DealerItemCode
from orders.tests.edi_factories import edi_shop, sample
from payments.models import Allocation, Payment

pytestmark = pytest.mark.django_db
D = Decimal
CODES = "/admin/orders/dealeritemcode/"
PRODUCTS = "/admin/catalog/product/"


def _import(client, base, content: bytes, name="file.csv", fmt="0"):
    upload = SimpleUploadedFile(name, content)
    return client.post(
        f"{base}import/", {"format": fmt, "import_file": upload, "resource": "0"}, HTTP_ACCEPT_LANGUAGE="en"
    )


def _confirm(client, base, preview):
    return client.post(f"{base}process_import/", preview.context["confirm_form"].initial, HTTP_ACCEPT_LANGUAGE="en")


def test_item_codes_import_previews_then_saves_only_when_confirmed(staff_client):
    dealer, _admin, products = edi_shop()
    csv = f"dealer,code,product,unit\n{dealer.code},ACME-77,KB-1001,\n{dealer.code},ACME-55,KB-2002,\n".encode()
    preview = _import(staff_client, CODES, csv)
    assert preview.status_code == 200 and preview.context["confirm_form"] is not None
    result = preview.context["result"]
    assert not result.has_errors() and not result.has_validation_errors()
    assert [row.import_type for row in result.rows] == ["new", "update"]
    assert not DealerItemCode.objects.filter(code="ACME-77").exists()  # a preview writes nothing
    done = _confirm(staff_client, CODES, preview)
    assert done.status_code == 302
    codes = dict(DealerItemCode.objects.filter(dealer=dealer).values_list("code", "product__sku"))
    assert codes == {"ACME-77": "KB-1001", "ACME-55": "KB-2002"}
    assert products["KB-1001"].dealer_codes.count() == 1


def test_item_codes_import_shows_row_errors_and_offers_no_confirmation(staff_client):
    dealer, _admin, _products = edi_shop()
    csv = f"dealer,code,product,unit\n{dealer.code},ACME-78,NO-SUCH-SKU,\n".encode()
    preview = _import(staff_client, CODES, csv)
    result = preview.context["result"]
    assert result.has_validation_errors() and "confirm_form" not in preview.context
    assert b"No product with the code NO-SUCH-SKU" in preview.content
    assert not DealerItemCode.objects.filter(code="ACME-78").exists()


def test_xlsx_item_codes_import_reads_the_first_sheet(staff_client):
    dealer, _admin, _products = edi_shop()
    book = Workbook()
    sheet = book.active
    sheet.append(["dealer", "code", "product", "unit"])
    sheet.append([dealer.code, "ACME-KOLI", "KB-3003", "KOLI"])
    data = io.BytesIO()
    book.save(data)
    preview = _import(staff_client, CODES, data.getvalue(), name="codes.xlsx", fmt="1")
    assert preview.context["confirm_form"] is not None, preview.content[:2000]
    _confirm(staff_client, CODES, preview)
    assert DealerItemCode.objects.get(code="ACME-KOLI").unit.code == "KOLI"


def test_a_workbook_that_unpacks_too_large_is_refused_before_it_is_read(staff_client):
    edi_shop()
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/worksheets/sheet1.xml", "<c/>" * 20_000_000)
    preview = _import(staff_client, CODES, data.getvalue(), name="bomb.xlsx", fmt="1")
    errors = preview.context["form"].errors["import_file"]
    assert errors and "result" not in preview.context
    assert "Refused" not in errors[0] and "encountered" not in errors[0]


def test_product_texts_and_low_stock_levels_are_imported(staff_client):
    edi_shop()
    csv = b"sku,description,description_en,low_stock_level\nKB-1001,Paslanmaz vida,Stainless screw,25\n"
    preview = _import(staff_client, PRODUCTS, csv)
    _confirm(staff_client, PRODUCTS, preview)
    product = Product.objects.get(sku="KB-1001")
    assert (product.description, product.description_en, product.low_stock_level) == (
        "Paslanmaz vida",
        "Stainless screw",
        D("25"),
    )


def test_an_erp_owned_column_refuses_the_file_naming_it(staff_client):
    edi_shop()
    csv = b"sku,name,description,vat_rate\nKB-1001,Yeni ad,Metin,10\n"
    preview = _import(staff_client, PRODUCTS, csv)
    result = preview.context["result"]
    assert result.has_errors() and "confirm_form" not in preview.context
    assert b"The ERP owns name, vat_rate (product)" in preview.content
    assert Product.objects.get(sku="KB-1001").description == ""


def test_an_unknown_sku_in_product_texts_is_a_row_error(staff_client):
    edi_shop()
    preview = _import(staff_client, PRODUCTS, b"sku,description\nKB-0000,Metin\n")
    assert preview.context["result"].has_errors()
    assert b"No product with SKU KB-0000" in preview.content
    assert not Product.objects.filter(sku="KB-0000").exists()


def _export(client, url):
    page = client.get(f"{url}export/")
    form = page.context["form"]
    data = {name: "on" for name in form.fields if name not in ("format", "resource", "export_items")}
    data.update({"format": "0", "resource": "0"})
    response = client.post(f"{url}export/", data)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv"), (
        response.context["form"].errors,
        list(form.fields),
    )
    return response.content.decode()


def test_orders_payments_allocations_and_sync_issues_export_with_their_data(staff_client):
    dealer, _admin, _products = edi_shop()
    order = edi_order_receive(payload=sample("peppol_order.xml"), channel="api").message.order
    payment = Payment.objects.create(dealer=dealer, method="card", gateway="sandbox", amount=D("100"))
    Allocation.objects.create(dealer=dealer, payment=payment, invoice_number="F-2026-17", amount=D("100"))
    connection = ErpConnection.objects.create(code="erp", name="ERP", adapter="file")
    SyncIssue.objects.create(connection=connection, entity="product", code="unknown_unit", message="Birim yok: KOLİ")
    orders_csv = _export(staff_client, "/admin/orders/order/")
    assert order.number in orders_csv and dealer.code in orders_csv and "740.00" in orders_csv
    assert "100.00" in _export(staff_client, "/admin/payments/payment/")
    assert "F-2026-17" in _export(staff_client, "/admin/payments/allocation/")
    assert "Birim yok: KOLİ" in _export(staff_client, "/admin/erpsync/syncissue/")


PRICES = "/admin/catalog/pricelistitem/"
AGREEMENTS = "/admin/catalog/dealeragreement/"


def test_portal_price_list_items_are_imported_and_erp_price_lists_refused(staff_client):
    dealer, _admin, _products = edi_shop()
    portal_list = dealer.price_list
    erp_list = PriceList.objects.create(code="ERP-LIST", name="ERP", currency="TRY")
    connection = ErpConnection.objects.create(code="erp", name="ERP", adapter="file")
    ExternalRef.objects.create(connection=connection, entity="price_list", local_id=erp_list.pk, external_id="L1")
    csv = f"price_list,product,unit,min_quantity,price\n{portal_list.code},KB-1001,,10,90.50\n".encode()
    preview = _import(staff_client, PRICES, csv)
    assert preview.context["confirm_form"] is not None
    _confirm(staff_client, PRICES, preview)
    item = PriceListItem.objects.get(price_list=portal_list, product__sku="KB-1001", min_quantity=10)
    assert item.price == D("90.50")
    refused = _import(staff_client, PRICES, b"price_list,product,unit,min_quantity,price\nERP-LIST,KB-1001,,1,80\n")
    assert refused.context["result"].has_errors()
    assert b"The ERP maintains price list ERP-LIST" in refused.content
    assert not PriceListItem.objects.filter(price_list=erp_list).exists()


def test_portal_agreements_are_imported_and_the_erps_refused(staff_client):
    dealer, _admin, _products = edi_shop()
    csv = f"id,dealer,product,kind,value,currency\n,{dealer.code},KB-1001,discount,7.5,TRY\n".encode()
    preview = _import(staff_client, AGREEMENTS, csv)
    assert preview.context["confirm_form"] is not None, preview.content[-3000:]
    _confirm(staff_client, AGREEMENTS, preview)
    agreement = DealerAgreement.objects.get(dealer=dealer)
    assert (agreement.kind, agreement.value, agreement.code) == ("discount", D("7.5"), "")
    with_code = _import(staff_client, AGREEMENTS, f"dealer,code,kind,value\n{dealer.code},X1,discount,5\n".encode())
    assert b"The ERP owns code (agreement)" in with_code.content
    agreement.code = "ERP-77"
    agreement.save()
    change = f"id,dealer,product,kind,value,currency\n{agreement.pk},{dealer.code},KB-1001,discount,9,TRY\n".encode()
    refused = _import(staff_client, AGREEMENTS, change)
    assert refused.context["result"].has_errors() and b"comes from the ERP" in refused.content
    agreement.refresh_from_db()
    assert agreement.value == D("7.5")


USERS = "/admin/dealers/dealeruser/"


def test_dealer_users_are_invited_on_confirmation_and_taken_addresses_are_row_errors(staff_client):
    dealer, admin, _products = edi_shop()
    csv = (
        "dealer,email,full_name,role,approval_limit,sees_account,language\n"
        f"{dealer.code},Ayse.Yilmaz@Example.COM,Ayşe Yılmaz,buyer,5000,1,tr\n"
    ).encode()
    preview = _import(staff_client, USERS, csv)
    assert preview.context["confirm_form"] is not None, preview.content[-3000:]
    assert not DealerUser.objects.filter(user__email__iexact="ayse.yilmaz@example.com").exists()
    _confirm(staff_client, USERS, preview)
    member = DealerUser.objects.get(dealer=dealer, role="buyer", user__full_name="Ayşe Yılmaz")
    assert member.approval_limit == D("5000") and member.sees_account and hasattr(member, "invitation")
    taken = _import(staff_client, USERS, f"dealer,email,role\n{dealer.code},{admin.user.email},buyer\n".encode())
    assert taken.context["result"].has_validation_errors() or taken.context["result"].has_errors()
    assert "confirm_form" not in taken.context
    exported = _export(staff_client, USERS)
    assert "Ayşe Yılmaz" in exported and dealer.code in exported
