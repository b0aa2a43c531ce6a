from django.urls import path

from erpsync import views

app_name = "erpsync"

urlpatterns = [
    path("webhooks/<slug:code>/", views.webhook, name="webhook"),
]
