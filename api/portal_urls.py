"""The dealer admin's pages for the API: keys and webhooks, under ``/account/``."""

from django.urls import path

from api import portal_views

app_name = "api_portal"

urlpatterns = [
    path("api-keys/", portal_views.api_key_list, name="api_key_list"),
    path("api-keys/<int:pk>/revoke/", portal_views.api_key_revoke_view, name="api_key_revoke"),
    path("webhooks/", portal_views.webhook_list, name="webhook_list"),
    path("webhooks/<int:pk>/", portal_views.webhook_edit, name="webhook_edit"),
    path("webhooks/<int:pk>/roll-secret/", portal_views.webhook_secret_roll_view, name="webhook_secret_roll"),
    path("webhooks/deliveries/<int:pk>/replay/", portal_views.delivery_replay_view, name="delivery_replay"),
]
