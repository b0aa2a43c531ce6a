from django.urls import path

from catalog import views

app_name = "catalog"

urlpatterns = [
    path("", views.catalog_list, name="catalog_list"),
    # Before the product page: its SKU pattern takes slashes and would swallow this path.
    path("p/<path:sku>/documents/<int:document_id>/", views.product_document, name="product_document"),
    path("p/<path:sku>/", views.product_page, name="product_detail"),
]
