from django.urls import path

from dealers import views

app_name = "dealers"

urlpatterns = [
    path("addresses/", views.address_list, name="address_list"),
]
