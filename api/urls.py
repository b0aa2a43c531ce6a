"""The dealer API, version 1: ``/api/v1/`` (docs/api.md), its OpenAPI schema and its documentation pages."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView

from api.views import account, catalogue, documents, edi, orders, quotes

app_name = "api"

urlpatterns = [
    path("products/", catalogue.ProductListApi.as_view(), name="product_list"),
    path("products/<str:sku>/", catalogue.ProductDetailApi.as_view(), name="product_detail"),
    path("products/<str:sku>/price/", catalogue.ProductPriceApi.as_view(), name="product_price"),
    path("stock/", catalogue.StockApi.as_view(), name="stock"),
    path("orders/", orders.OrderListApi.as_view(), name="order_list"),
    path("orders/validate/", orders.OrderValidateApi.as_view(), name="order_validate"),
    path("orders/<str:number>/", orders.OrderDetailApi.as_view(), name="order_detail"),
    path("orders/<str:number>/history/", orders.OrderHistoryApi.as_view(), name="order_history"),
    path("orders/<str:number>/cancel/", orders.OrderCancelApi.as_view(), name="order_cancel"),
    path("edi/orders/", edi.EdiOrderApi.as_view(), name="edi_orders"),
    path("quotes/", quotes.QuoteListApi.as_view(), name="quote_list"),
    path("quotes/<str:number>/", quotes.QuoteDetailApi.as_view(), name="quote_detail"),
    path("quotes/<str:number>/accept/", quotes.QuoteAcceptApi.as_view(), name="quote_accept"),
    path("documents/", documents.DocumentListApi.as_view(), name="document_list"),
    path("documents/<int:pk>/", documents.DocumentDetailApi.as_view(), name="document_detail"),
    path("documents/<int:pk>/pdf/", documents.DocumentPdfApi.as_view(), name="document_pdf"),
    path("account/", account.AccountApi.as_view(), name="account"),
    path("account/open-items/", account.OpenItemsApi.as_view(), name="open_items"),
    path("account/statement/", account.StatementApi.as_view(), name="statement"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
]
