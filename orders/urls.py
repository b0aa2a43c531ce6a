from django.urls import path

from orders import views

app_name = "orders"

urlpatterns = [
    path("", views.order_list, name="order_list"),
    path("cart/add/", views.cart_add, name="cart_add"),
    path("<str:number>/", views.order_detail, name="order_detail"),
]
