from django.urls import path

from payments import views

app_name = "payments"

urlpatterns = [
    path("orders/<str:number>/card/", views.order_pay, name="order_pay"),
    path("pay/", views.account_pay, name="account_pay"),
    path("link/<str:signed>/", views.link_pay, name="link"),
    path("return/<str:gateway>/", views.payment_return, name="return"),
    path("callback/<str:gateway>/", views.payment_callback, name="callback"),
    path("sandbox/<str:charge_id>/", views.sandbox_page, name="sandbox_page"),
    path("sandbox/<str:charge_id>/3ds/", views.sandbox_3ds, name="sandbox_3ds"),
]
