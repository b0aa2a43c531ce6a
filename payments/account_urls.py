"""The dealer's account page (balance, credit, open items and their ageing) and its live refresh, under
``/account/`` beside the statement and documents of ``dealers.urls``."""

from django.urls import path

from payments import views

app_name = "account"

urlpatterns = [
    path("", views.account, name="summary"),
    path("refresh/", views.balance_refresh, name="balance_refresh"),
]
