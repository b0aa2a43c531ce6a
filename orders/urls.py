from django.urls import path

from orders import views

app_name = "orders"

urlpatterns = [
    path("", views.order_list, name="order_list"),
    path("<str:number>/", views.order_detail, name="order_detail"),
]
