from django.urls import path

from dealers import views

app_name = "dealers"

urlpatterns = [
    path("statement/", views.statement_view, name="statement"),
    path("documents/", views.document_list, name="document_list"),
    path("documents/<int:pk>/pdf/", views.document_download, name="document_pdf"),
    path("addresses/", views.address_list, name="address_list"),
]
