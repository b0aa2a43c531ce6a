from django.urls import path

from catalog import views

app_name = "catalog"

urlpatterns = [
    path("", views.catalog_list, name="catalog_list"),
    path("suggest/", views.suggest, name="suggest"),
    path("p/<path:sku>/", views.product_page, name="product_detail"),
]
