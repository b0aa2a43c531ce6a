from django.urls import path

from catalog import views

app_name = "catalog"

urlpatterns = [
    path("", views.catalog_list, name="catalog_list"),
    path("alerts/", views.stock_alerts, name="stock_alerts"),
    path("alerts/new/", views.stock_alert_create, name="stock_alert_create"),
    path("alerts/<int:alert_id>/remove/", views.stock_alert_remove, name="stock_alert_cancel"),
    path("suggest/", views.suggest, name="suggest"),
    # Before the product page: its SKU pattern takes slashes and would swallow this path.
    path("p/<path:sku>/documents/<int:document_id>/", views.product_document, name="product_document"),
    path("p/<path:sku>/", views.product_page, name="product_detail"),
]
